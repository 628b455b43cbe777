// SPDX-License-Identifier: GPL-2.0
/*
 * mptrace - see and drive the life of processes, their queues and locks.
 *
 *	mptrace [-j] COMMAND [OPTIONS] [ARGS]
 *
 * A command may be abbreviated to any unambiguous prefix.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libmptrace.h"
#include "mptrace.h"

static int cmd_help(int argc, char **argv);

static const struct mpt_command commands[] = {
	{ "demo",    cmd_demo,    "[NAME|all]", "replay the multiprocessing classics, narrated" },
	{ "help",    cmd_help,    "[COMMAND]", "show help for mptrace or a command" },
	{ "lock",    cmd_lock,    "SUBCMD",    "kernel-backed locks that know their owner" },
	{ "ps",      cmd_ps,      "[OPTIONS]", "processes, zombies and orphans" },
	{ "queue",   cmd_queue,   "SUBCMD",    "kernel-backed message queues" },
	{ "spawn",   cmd_spawn,   "SPEC",      "make a process tree (zombies, orphans...)" },
	{ "stat",    cmd_stat,    "",	 "module counters" },
	{ "version", cmd_version, "",	 "CLI and module versions and ABI" },
	{ "watch",   cmd_watch,   "[OPTIONS]", "live process events" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct mpt_command *find_command(const char *name)
{
	const struct mpt_command *found = NULL;
	size_t len = strlen(name), i;
	int matches = 0;

	for (i = 0; i < NCOMMANDS; i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
		if (!strncmp(commands[i].name, name, len)) {
			found = &commands[i];
			matches++;
		}
	}
	if (matches == 1)
		return found;
	if (matches > 1 && len) {
		mpt_usage_err("'%s' is ambiguous", name);
		return NULL;
	}
	mpt_usage_err("unknown command '%s'", name);
	return NULL;
}

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: mptrace [-j] COMMAND [OPTIONS] [ARGS]\n"
		"\n"
		"See the life of processes (fork, exec, exit, zombies, orphans) and\n"
		"the queues and locks they share, through the mptrace kernel module.\n"
		"\n"
		"Commands (any unambiguous prefix works):\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-8s %-10s %s\n", commands[i].name,
			commands[i].args, commands[i].summary);
	fprintf(out,
		"\n"
		"Options:\n"
		"  -j, --json      JSON output (errors as {\"error\": \"...\"})\n"
		"  -h, --help      this text; 'mptrace COMMAND --help' for a command\n"
		"  -V, --version   the CLI's version\n"
		"\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static void cmd_usage(const struct mpt_command *cmd,
		      const struct mpt_column *cols, size_t ncols)
{
	printf("Usage: mptrace %s [OPTIONS] %s\n\n%s.\n\n", cmd->name,
	       cmd->args, cmd->summary);
	printf("Options:\n"
	       "  -j, --json          JSON output\n");
	if (cols)
		printf("  -r, --raw           raw output, no alignment\n"
		       "  -n, --noheadings    no header line\n"
		       "  -o, --output LIST   columns to show (+LIST adds)\n"
		       "      --output-all    every column\n"
		       "  -H, --list-columns  list the columns\n");
	printf("  -h, --help          this text\n");
	if (cols) {
		printf("\nColumns:\n");
		mpt_list_columns(cols, ncols);
	}
}

int mpt_common_opt(int c, const struct mpt_column *cols, size_t ncols)
{
	switch (c) {
	case 'j':
		mpt_opts.json = true;
		return 0;
	case 'r':
		mpt_opts.raw = true;
		return 0;
	case 'n':
		mpt_opts.noheadings = true;
		return 0;
	case 'o':
		mpt_opts.columns = optarg;
		return 0;
	case MPT_OPT_OUTPUT_ALL:
		mpt_opts.all_columns = true;
		return 0;
	case 'H':
		mpt_list_columns(cols, ncols);
		return 1;
	default:
		return -1;
	}
}

int mpt_parse_common(int argc, char **argv, const struct mpt_command *cmd,
		     const struct mpt_column *cols, size_t ncols)
{
	static const struct option longopts[] = {
		MPT_COMMON_LONGOPTS,
		{ "help",	  no_argument,	     NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *shortopts = cols ? "+" MPT_COMMON_SHORTOPTS "h" : "+jh";
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'h') {
			cmd_usage(cmd, cols, ncols);
			return MPT_EXIT_OK;
		}
		if (c != 'j' && !cols)
			goto bad;
		switch (mpt_common_opt(c, cols, ncols)) {
		case 1:
			return MPT_EXIT_OK;
		case -1:
			goto bad;
		}
	}
	if (optind < argc)
		return mpt_usage_err("%s: unexpected argument '%s'", cmd->name,
				     argv[optind]);
	return -1;
bad:
	return mpt_option_err(cmd->name, shortopts, longopts, argv);
}

/*
 * What was wrong with the option getopt_long() refused.  optopt is the
 * option's character (or long value) when a known option lacks its value
 * or, a long one, was given a value it does not take ("--dev=x"); the
 * character itself for an unknown short option; 0 for an unknown long
 * one.  A long option's error leaves it at argv[optind - 1]; a short
 * option's may be inside a cluster ("-xj") that optind has not left, so
 * argv[optind - 1] is then the argument before.
 */
int mpt_option_err(const char *cmd, const char *shortopts,
		   const struct option *longopts, char **argv)
{
	const char *arg = argv[optind - 1], *s;
	const char *pre = cmd ? cmd : "", *sep = cmd ? ": " : "";

	if (!optopt)
		return mpt_usage_err("%s%sunknown option '%s'", pre, sep, arg);
	if (!strncmp(arg, "--", 2)) {
		size_t len = strcspn(arg + 2, "=");
		const struct option *o, *hit = NULL;

		/* The option of that name, or unique prefix, and value. */
		for (o = longopts; o->name; o++) {
			if (o->val != optopt || strncmp(o->name, arg + 2, len))
				continue;
			hit = o;
			if (strlen(o->name) == len)
				break;
		}
		if (hit && hit->has_arg == no_argument)
			return mpt_usage_err("%s%soption '--%s' takes no value",
					     pre, sep, hit->name);
		if (hit)
			return mpt_usage_err("%s%soption '--%s' needs a value",
					     pre, sep, hit->name);
	}
	s = optopt != ':' && optopt < 256 ? strchr(shortopts, optopt) : NULL;
	if (s && s[1] == ':')
		return mpt_usage_err("%s%soption -%c needs a value", pre, sep, optopt);
	if (optopt < 256 && isgraph(optopt))
		return mpt_usage_err("%s%sunknown option '-%c'", pre, sep, optopt);
	return mpt_usage_err("%s%sunknown option '%s'", pre, sep, arg);
}

static int cmd_help(int argc, char **argv)
{
	const struct mpt_command *cmd;
	char *help[] = { NULL, "--help", NULL };

	if (argc < 2) {
		usage(stdout);
		return MPT_EXIT_OK;
	}
	if (argc > 2)
		return mpt_usage_err("help: one command at a time");
	cmd = find_command(argv[1]);
	if (!cmd)
		return MPT_EXIT_USAGE;
	if (cmd->run == cmd_help) {
		usage(stdout);
		return MPT_EXIT_OK;
	}
	help[0] = (char *)cmd->name;
	return cmd->run(2, help);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",    no_argument, NULL, 'j' },
		{ "help",    no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct mpt_command *cmd;
	int c, fd, ret;

	/*
	 * The user's character set, to show names in it (a name not in it
	 * as \xHH); the rest of the C locale stays: a point in numbers.
	 */
	setlocale(LC_CTYPE, "");
	/*
	 * Standard input, output and error open, if only on /dev/null: a
	 * descriptor opened later must not become one of them (spawn's
	 * report pipe, redirected by each process it makes).
	 */
	do
		fd = open("/dev/null", O_RDWR);
	while (fd >= 0 && fd <= 2);
	if (fd > 2)
		close(fd);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			mpt_opts.json = true;
			break;
		case 'h':
			usage(stdout);
			return MPT_EXIT_OK;
		case 'V':
			printf("mptrace %s\n", MPT_CLI_VERSION);
			return MPT_EXIT_OK;
		default:
			return mpt_option_err(NULL, "+jhV", longopts, argv);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return MPT_EXIT_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (!cmd)
		return MPT_EXIT_USAGE;
	ret = cmd->run(argc - optind, argv + optind);
	/*
	 * Output that could not be written (a full disk, a closed pipe with
	 * SIGPIPE ignored) is a failure, said unless the reader left.
	 */
	if ((fflush(stdout) == EOF || ferror(stdout)) && ret == MPT_EXIT_OK) {
		if (errno != EPIPE)
			mpt_err("cannot write the output: %s", strerror(errno));
		ret = MPT_EXIT_FAIL;
	}
	return ret;
}

bool mpt_have_feature(uint64_t feat)
{
	struct mpt_version v;
	int fd = mpt_dev_open(O_RDONLY);
	bool have = true;

	if (fd >= 0 && !mpt_dev_version(fd, &v))
		have = v.features & feat;
	if (fd >= 0)
		close(fd);
	return have;
}
