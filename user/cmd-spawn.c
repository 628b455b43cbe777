// SPDX-License-Identifier: GPL-2.0
/*
 * mptrace spawn SPEC - make a process tree (zombies, orphans, daemons,
 * subreapers...), print the pids it made, keep it for its hold times.
 * It needs no module: scripts and tests use it to make what the module
 * then reports.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mptrace.h"
#include "spawn.h"

enum { COL_NODE, COL_PID, COL_PPID, COL_ROLE, COL_NAME };

static const struct mpt_column spawn_cols[] = {
	[COL_NODE] = { "NODE", 6, 0, SCOLS_JSON_STRING, true,
		       "where it is in the tree: 0, 0.1, 0.1.2..." },
	[COL_PID]  = { "PID", 7, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true,
		       "its process id" },
	[COL_PPID] = { "PPID", 7, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true,
		       "its parent's process id" },
	[COL_ROLE] = { "ROLE", 12, 0, SCOLS_JSON_STRING, true,
		       "its options: zombie, orphan, exit=3, hold=2000ms..." },
	[COL_NAME] = { "NAME", 8, 0, SCOLS_JSON_STRING, true,
		       "its command name, if name= set one" },
};

#define NCOLS (sizeof(spawn_cols) / sizeof(spawn_cols[0]))

static void usage(void)
{
	printf("Usage: mptrace spawn [OPTIONS] SPEC\n\n"
	       "Make the process tree SPEC describes, print the pids it made, and keep\n"
	       "it for its hold times (until its root ends).\n\n"
	       "  SPEC    := [COUNT*]p{:OPTION}[(SPEC{,SPEC})]\n"
	       "  OPTION  := exit=0..255 | kill=SIGNAL | hold=DURATION | name=NAME\n"
	       "           | zombie | orphan | daemon | subreaper | join\n\n"
	       "  exit=N      end with exit code N (default 0)\n"
	       "  kill=SIG    end killed by signal SIG (TERM, KILL, SEGV, 9...)\n"
	       "  hold=D      live D after starting its children (500ms, 2s, 1m);\n"
	       "              default --hold, 0 for a zombie\n"
	       "  name=NAME   its command name (comm)\n"
	       "  zombie      its parent never waits for it\n"
	       "  orphan      its parent does not wait for it, and it outlives it\n"
	       "  daemon      dies with its parent (PR_SET_PDEATHSIG)\n"
	       "  subreaper   adopts orphans below it (PR_SET_CHILD_SUBREAPER)\n"
	       "  join        its parent waits for it before starting the next\n"
	       "A parent waits for its other children once its hold is over.\n\n"
	       "Example: mptrace spawn 'p:hold=5s(p:zombie:exit=3, p:hold=1s(p:orphan), 2*p:daemon)'\n\n"
	       "Options:\n"
	       "  -t, --hold D        default hold (default 10s)\n"
	       "  -d, --detach        print the pids and return; the tree lives on\n"
	       "  -j, --json          JSON output\n"
	       "  -r, --raw           raw output, no alignment\n"
	       "  -n, --noheadings    no header line\n"
	       "  -o, --output LIST   columns to show (+LIST adds)\n"
	       "      --output-all    every column\n"
	       "  -H, --list-columns  list the columns\n"
	       "  -h, --help          this text\n\n"
	       "Columns:\n");
	mpt_list_columns(spawn_cols, NCOLS);
}

/* The spec error, with a caret under its column (in text mode). */
static int spec_error(const char *spec, const struct spawn_error *e)
{
	if (mpt_opts.json)
		return mpt_usage_err("spawn: %s (column %d)", e->msg, e->col + 1);
	return mpt_usage_err("spawn: %s\n  %s\n  %*s^", e->msg, spec, e->col,
			     "");
}

static long parse_hold(const char *arg)
{
	struct spawn_tree t;
	struct spawn_error e;
	char spec[64];
	long ms;

	/* One parser for durations: the spec's (and nothing but one). */
	snprintf(spec, sizeof(spec), "p:hold=%s", arg);
	if (strlen(arg) > 32 || strspn(arg, "0123456789.ms") != strlen(arg) ||
	    spawn_parse(spec, &t, &e))
		return -1;
	ms = t.v[0].hold_ms;
	spawn_free(&t);
	return ms;
}

/*
 * Wait for every process's report.  No clock: a process made late (after
 * a join's or an orphan's parent's hold) reports late.  Every process
 * holds the pipe until it ends, so the end of the pipe says that those
 * not heard from never will be.
 */
static int collect(int fd, const struct spawn_tree *t,
		   struct spawn_report *got)
{
	int seen = 0, failed = 0;
	struct spawn_report r;
	ssize_t n;

	while (seen < t->n) {
		n = read(fd, &r, sizeof(r));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(r))
			break;
		if (r.node < 0 || r.node >= t->n || got[r.node].pid)
			continue;
		got[r.node] = r;
		failed += r.pid < 0;
		seen++;
	}
	if (seen < t->n) {
		mpt_err("spawn: only %d of %d processes reported; the others ended before they could",
			seen, t->n);
		return -1;
	}
	if (failed) {
		for (int i = 0; i < t->n; i++)
			if (got[i].pid < 0) {
				mpt_err("spawn: cannot make process %s: %s (raise ulimit -u or make a smaller tree)",
					t->v[i].path, strerror(-got[i].pid));
				break;
			}
		return -1;
	}
	return 0;
}

/* The tree made, into @tb (made before it, so that -o was checked). */
static int print(struct libscols_table *tb, const int *ids, size_t nids,
		 const struct spawn_tree *t, const struct spawn_report *got)
{
	size_t c;

	for (int i = 0; i < t->n; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		char buf[128];

		if (!ln)
			goto oom;
		for (c = 0; c < nids; c++) {
			const char *val = buf;

			switch (ids[c]) {
			case COL_NODE:
				val = t->v[i].path;
				break;
			case COL_PID:
				snprintf(buf, sizeof(buf), "%d", got[i].pid);
				break;
			case COL_PPID:
				snprintf(buf, sizeof(buf), "%d", got[i].ppid);
				break;
			case COL_ROLE:
				spawn_role(&t->v[i], buf, sizeof(buf));
				break;
			default:
				val = t->v[i].name;
				break;
			}
			if (scols_line_set_data(ln, c, val))
				goto oom;
		}
	}
	return mpt_table_print(tb);
oom:
	scols_unref_table(tb);
	mpt_err("out of memory");
	return MPT_EXIT_FAIL;
}

int cmd_spawn(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "hold",	  required_argument, NULL, 't' },
		{ "detach",	  no_argument,	     NULL, 'd' },
		MPT_COMMON_LONGOPTS,
		{ "help",	  no_argument,	     NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct spawn_report *got = NULL;
	struct libscols_table *tb;
	int ids[NCOLS];
	size_t nids;
	long hold = 10000;
	bool detach = false;
	struct spawn_tree t;
	struct spawn_error e;
	int c, fds[2], ret;
	pid_t root;

	optind = 0;		/* re-initialise: main() parsed in order, we permute */
	opterr = 0;
	/* Options before or after SPEC (which never starts with '-'). */
	while ((c = getopt_long(argc, argv, "t:dh" MPT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			hold = parse_hold(optarg);
			if (hold < 0)
				return mpt_usage_err("spawn: --hold needs a duration (500ms, 2s, 1m), not '%s'",
						     optarg);
			break;
		case 'd':
			detach = true;
			break;
		case 'h':
			usage();
			return MPT_EXIT_OK;
		default:
			switch (mpt_common_opt(c, spawn_cols, NCOLS)) {
			case 1:
				return MPT_EXIT_OK;
			case -1:
				return mpt_option_err("spawn", "t:dh" MPT_COMMON_SHORTOPTS,
						      longopts, argv);
			}
		}
	}
	if (optind >= argc)
		return mpt_usage_err("spawn: which tree? e.g. mptrace spawn 'p(p:zombie)'");
	if (optind + 1 < argc)
		return mpt_usage_err("spawn: one SPEC (quote it), not '%s' too",
				     argv[optind + 1]);
	if (spawn_parse(argv[optind], &t, &e))
		return spec_error(argv[optind], &e);
	/* Every usage error before a process is made. */
	tb = mpt_table_new("spawn", spawn_cols, NCOLS, ids, &nids);
	if (!tb) {
		spawn_free(&t);
		return MPT_EXIT_USAGE;
	}
	/* An inherited SIG_IGN would have the kernel reap its zombies. */
	signal(SIGCHLD, SIG_DFL);

	got = calloc(t.n, sizeof(*got));
	if (!got || pipe(fds)) {
		mpt_err("spawn: %s", strerror(errno ?: ENOMEM));
		ret = MPT_EXIT_FAIL;
		goto out;
	}
	root = spawn_run(&t, hold, fds[1]);
	close(fds[1]);
	if (root < 0) {
		mpt_err("spawn: cannot fork: %s", strerror(-root));
		ret = MPT_EXIT_FAIL;
		goto out_pipe;
	}
	if (collect(fds[0], &t, got)) {
		/* Not a tree half made: what was made goes. */
		for (int i = 0; i < t.n; i++)
			if (got[i].pid > 0)
				kill(got[i].pid, SIGKILL);
		waitpid(root, NULL, 0);
		ret = MPT_EXIT_FAIL;
		goto out_pipe;
	}
	ret = print(tb, ids, nids, &t, got);
	tb = NULL;
	fflush(stdout);
	if (!detach)
		waitpid(root, NULL, 0);
out_pipe:
	close(fds[0]);
out:
	if (tb)
		scols_unref_table(tb);
	free(got);
	spawn_free(&t);
	return ret;
}
