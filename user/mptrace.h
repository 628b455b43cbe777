/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MPTRACE_H
#define MPTRACE_H

#include <getopt.h>
#include <sys/types.h>

#include "output.h"

/* A command: mptrace NAME [ARGS]; argv[0] is the command's name. */
struct mpt_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *summary;
};

/*
 * Parse the options every command takes (-j -r -n -o --output-all -H -h)
 * plus none of its own.  Returns -1 to go on, or an exit code.
 */
int mpt_parse_common(int argc, char **argv, const struct mpt_command *cmd,
		     const struct mpt_column *cols, size_t ncols);

/* The long forms of the options every table command takes. */
enum { MPT_OPT_OUTPUT_ALL = 1000 };
#define MPT_COMMON_LONGOPTS						\
	{ "json",	  no_argument,	     NULL, 'j' },		\
	{ "raw",	  no_argument,	     NULL, 'r' },		\
	{ "noheadings",	  no_argument,	     NULL, 'n' },		\
	{ "output",	  required_argument, NULL, 'o' },		\
	{ "output-all",	  no_argument,	     NULL, MPT_OPT_OUTPUT_ALL }, \
	{ "list-columns", no_argument,	     NULL, 'H' }
#define MPT_COMMON_SHORTOPTS	"jrno:H"

/*
 * Take getopt's @c if it is a common option (-j -r -n -o --output-all
 * -H) of a command with columns @cols: 0 when taken, 1 when the command
 * is done (-H listed the columns), -1 when @c is not one of them.
 */
int mpt_common_opt(int c, const struct mpt_column *cols, size_t ncols);

/*
 * After getopt_long() returned '?' for command @cmd (NULL: mptrace's own
 * options) with @shortopts and @longopts: report the option that is
 * unknown, lacks its value or was given one it does not take.  Returns 2.
 */
int mpt_option_err(const char *cmd, const char *shortopts,
		   const struct option *longopts, char **argv);

struct mpt_event_view;

/* "exit code 3" or "killed by SIGTERM (core dumped)" for a wait status. */
void mpt_status_text(int status, char *buf, size_t len);
/* The DETAILS column of `mptrace watch` for @ev. */
void mpt_event_details(const struct mpt_event_view *ev, char *buf, size_t len);
/*
 * @ev as one JSON object on a line of @f; @head (may be NULL) is written
 * first inside the braces, e.g. "\"demo\": \"zombie\", ".
 */
void mpt_event_json(FILE *f, const struct mpt_event_view *ev, const char *head);

/* A set of pids (a process tree being followed); free(set.pid) after. */
struct mpt_pidset {
	pid_t *pid;
	size_t n, cap;
};

bool mpt_pidset_has(const struct mpt_pidset *s, pid_t pid);
/* Add @pid (once); -ENOMEM when it cannot. */
int mpt_pidset_add(struct mpt_pidset *s, pid_t pid);
void mpt_pidset_del(struct mpt_pidset *s, pid_t pid);

/* Does the loaded module have @feat (MPT_FEAT_*)?  True when it cannot be told. */
bool mpt_have_feature(uint64_t feat);

int cmd_demo(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_queue(int argc, char **argv);
int cmd_spawn(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_watch(int argc, char **argv);

#endif /* MPTRACE_H */
