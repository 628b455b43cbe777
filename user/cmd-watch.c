// SPDX-License-Identifier: GPL-2.0
/*
 * mptrace watch: live events, from netlink (default) or /dev/mptrace.
 *
 * Human output is a libsmartcols table printed a line at a time; -j
 * prints one JSON object per line (JSON Lines), which libsmartcols, made
 * for whole tables, cannot stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libmptrace.h"
#include "mptrace.h"

struct watch {
	unsigned int types;		/* 1 << MPT_EV_* to show */
	long pid;			/* -p, 0 for all */
	bool subtree;
	bool threads;
	long count;			/* stop after that many, 0: never */
	long shown;
	struct mpt_pidset tree;		/* --subtree: the pids in it */
	struct libscols_table *tb;
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void usage(void)
{
	printf("Usage: mptrace watch [OPTIONS]\n\n"
	       "Print process events as they happen: fork, exec, exit, zombie (ended,\n"
	       "waiting for its parent), reap (gone: who reaped it, after how long),\n"
	       "orphan (its parent ended: who adopted it), and lost (the events a\n"
	       "slow reader missed, counted exactly).  Queues and locks report\n"
	       "queue-create, queue-remove, queue-full, queue-empty,\n"
	       "queue-consumer-died, queue-put, queue-get (traced queues), lock-create,\n"
	       "lock-remove, lock-contended, lock-owner-died, deadlock, lock-acquire\n"
	       "and lock-release (traced locks).\n\n"
	       "Options:\n"
	       "  -e, --events LIST   only these, e.g. zombie,reap,orphan (lost always\n"
	       "                      shows)\n"
	       "  -p, --pid PID       only events of process PID\n"
	       "      --subtree       with -p: and of its descendants\n"
	       "      --threads       threads' creation and exit too\n"
	       "  -c, --count N       stop after N events\n"
	       "  -t, --timeout S     stop after S seconds, e.g. 2 or 0.5 (exit 0)\n"
	       "      --dev           read /dev/mptrace (your own processes without\n"
	       "                      privilege, namespace-aware) instead of netlink\n"
	       "                      (all processes, needs CAP_SYS_ADMIN)\n"
	       "  -j, --json          one JSON object per line\n"
	       "  -h, --help          this text\n");
}

static bool wanted(struct watch *w, const struct mpt_event_view *ev)
{
	if (ev->type == MPT_EV_LOST)
		return true;
	if ((ev->flags & MPT_EVF_THREAD) && !w->threads)
		return false;
	if (w->subtree && ev->type == MPT_EV_FORK &&
	    mpt_pidset_has(&w->tree, ev->parent_pid) && !mpt_pidset_has(&w->tree, ev->pid))
		mpt_pidset_add(&w->tree, ev->pid);
	if (!(w->types & (1u << ev->type)))
		return false;
	if (!w->pid)
		return true;
	if (w->subtree)
		return mpt_pidset_has(&w->tree, ev->pid);
	/* The process itself, and the forks it makes. */
	return ev->pid == (uint32_t)w->pid ||
	       (ev->type == MPT_EV_FORK && ev->parent_pid == (uint32_t)w->pid);
}

static int print_row(struct watch *w, const struct mpt_event_view *ev)
{
	struct libscols_line *ln = scols_table_new_line(w->tb, NULL);
	char seq[24], when[32], pid[16], ppid[16], more[256];
	const char *name = mpt_event_name(ev->type);
	int ret;

	if (!ln)
		return -ENOMEM;
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)ev->seq);
	snprintf(when, sizeof(when), "%llu.%06llu",
		 (unsigned long long)(ev->time_ns / 1000000000ULL),
		 (unsigned long long)(ev->time_ns % 1000000000ULL / 1000));
	snprintf(pid, sizeof(pid), "%u", ev->pid);
	snprintf(ppid, sizeof(ppid), "%u", ev->ppid);
	mpt_event_details(ev, more, sizeof(more));
	if (scols_line_set_data(ln, 0, seq) ||
	    scols_line_set_data(ln, 1, ev->type == MPT_EV_LOST ? "" : when) ||
	    scols_line_set_data(ln, 2, name ? name : "?") ||
	    scols_line_set_data(ln, 3, ev->type == MPT_EV_LOST ? "" : pid) ||
	    scols_line_set_data(ln, 4, ev->type == MPT_EV_LOST ? "" : ppid) ||
	    scols_line_set_data(ln, 5, ev->comm) ||
	    scols_line_set_data(ln, 6, more))
		return -ENOMEM;
	ret = scols_table_print_range(w->tb, ln, ln);
	fputc('\n', stdout);
	/* Printed: keep the table from growing with the stream. */
	scols_table_remove_line(w->tb, ln);
	return ret ? -EIO : 0;
}

static int on_event(const struct mpt_event_view *ev, void *arg)
{
	struct watch *w = arg;
	int ret;

	if (!wanted(w, ev))
		return 0;
	if (mpt_opts.json)
		mpt_event_json(stdout, ev, NULL);
	else if ((ret = print_row(w, ev)))
		return ret;
	fflush(stdout);
	if (ev->type != MPT_EV_LOST && w->count && ++w->shown >= w->count)
		return 1;
	return 0;
}

static int parse_types(const char *list, unsigned int *types)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	*types = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned int t;

		for (t = MPT_EV_FORK; t <= MPT_EV_MAX; t++)
			if (mpt_event_name(t) && !strcmp(tok, mpt_event_name(t)))
				break;
		if (t > MPT_EV_MAX) {
			ret = mpt_usage_err("watch: unknown event '%s' (fork, exec, exit, zombie, reap, orphan, queue-..., lock-..., deadlock; see --help)",
					    tok);
			break;
		}
		*types |= 1u << t;
	}
	free(copy);
	if (!ret && !*types)
		ret = mpt_usage_err("watch: -e needs at least one event");
	return ret;
}

static struct libscols_table *watch_table(void)
{
	static const struct { const char *name; double whint; int flags; } cols[] = {
		{ "SEQ", 6, SCOLS_FL_RIGHT }, { "TIME", 14, SCOLS_FL_RIGHT },
		{ "EVENT", 6, 0 }, { "PID", 7, SCOLS_FL_RIGHT },
		{ "PPID", 7, SCOLS_FL_RIGHT }, { "COMM", 16, 0 },
		{ "DETAILS", 0, 0 },
	};
	struct libscols_table *tb = scols_new_table();

	if (!tb)
		return NULL;
	/* A stream, not a screen: never wrap or cut to a terminal width. */
	scols_table_enable_nowrap(tb, 1);
	scols_table_set_termforce(tb, SCOLS_TERMFORCE_NEVER);
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		struct libscols_column *c;

		c = scols_table_new_column(tb, cols[i].name, cols[i].whint,
					   cols[i].flags);
		if (!c)
			goto err;
		/* Rows print one at a time: give them all the same widths. */
		if (cols[i].whint)
			scols_column_set_flags(c, cols[i].flags | SCOLS_FL_STRICTWIDTH);
	}
	return tb;
err:
	scols_unref_table(tb);
	return NULL;
}

int cmd_watch(int argc, char **argv)
{
	enum { OPT_SUBTREE = 256, OPT_DEV, OPT_THREADS };
	static const struct option longopts[] = {
		{ "events",  required_argument, NULL, 'e' },
		{ "pid",     required_argument, NULL, 'p' },
		{ "subtree", no_argument,       NULL, OPT_SUBTREE },
		{ "threads", no_argument,       NULL, OPT_THREADS },
		{ "count",   required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "dev",     no_argument,       NULL, OPT_DEV },
		{ "json",    no_argument,       NULL, 'j' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct watch w = {
		.types = ((1u << (MPT_EV_MAX + 1)) - 1) & ~(1u << MPT_EV_NONE |
							    1u << MPT_EV_LOST),
	};
	long long timeout = 0;		/* ns, 0: none */
	bool use_dev = false;
	struct mpt_nl *nl = NULL;
	struct timespec start, now;
	int c, ret, fd = -1;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+e:p:c:t:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (parse_types(optarg, &w.types))
				return MPT_EXIT_USAGE;
			break;
		case 'p':
			if (mpt_parse_num("watch", "-p", optarg, INT_MAX, &w.pid))
				return MPT_EXIT_USAGE;
			break;
		case OPT_SUBTREE:
			w.subtree = true;
			break;
		case 'c':
			if (mpt_parse_num("watch", "--count", optarg, LONG_MAX, &w.count))
				return MPT_EXIT_USAGE;
			break;
		case 't':
			if (mpt_parse_seconds("watch", optarg, &timeout))
				return MPT_EXIT_USAGE;
			if (!timeout || timeout > 1000000 * 1000000000LL)
				return mpt_usage_err("watch: --timeout takes more than 0 and at most 1000000 seconds, not '%s'",
						     optarg);
			break;
		case OPT_DEV:
			use_dev = true;
			break;
		case OPT_THREADS:
			w.threads = true;
			break;
		case 'j':
			mpt_opts.json = true;
			break;
		case 'h':
			usage();
			return MPT_EXIT_OK;
		default:
			return mpt_option_err("watch", "epct", argv);
		}
	}
	if (optind < argc)
		return mpt_usage_err("watch: unexpected argument '%s'", argv[optind]);
	if (w.subtree && !w.pid)
		return mpt_usage_err("watch: --subtree needs -p PID");
	if (w.subtree && mpt_pidset_add(&w.tree, w.pid)) {
		mpt_err("out of memory");
		return MPT_EXIT_FAIL;
	}

	if (use_dev) {
		fd = mpt_dev_open(O_RDONLY);
		/*
		 * The kernel filters for /dev (and follows the subtree
		 * itself); what it sends passes the same checks here.
		 */
		ret = fd < 0 ? fd :
		      mpt_dev_filter(fd, w.types,
				     (w.subtree ? MPT_FILTER_SUBTREE : 0) |
				     (w.threads ? MPT_FILTER_THREADS : 0),
				     w.pid);
		if (ret == -ESRCH) {
			mpt_err("no process %ld to watch", w.pid);
			goto out;
		}
		if (!ret)
			ret = mpt_dev_subscribe(fd, 4096);
		if (ret) {
			mpt_err("cannot read events from %s: %s", MPT_DEVICE_PATH,
				mpt_strerror(ret));
			goto out;
		}
	} else {
		ret = mpt_nl_open(&nl);
		if (!ret)
			ret = mpt_nl_subscribe(nl);
		if (ret == -EPERM) {
			mpt_err("joining the events group needs CAP_SYS_ADMIN: run as root, or use --dev for your own processes");
			goto out;
		}
		if (ret) {
			mpt_err("cannot listen to the mptrace netlink family: %s",
				mpt_strerror(ret));
			goto out;
		}
	}
	if (!mpt_opts.json) {
		w.tb = watch_table();
		if (!w.tb) {
			mpt_err("out of memory");
			ret = -ENOMEM;
			goto out;
		}
	}

	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int wait_ms = 500;

		if (timeout) {
			long left;

			clock_gettime(CLOCK_MONOTONIC, &now);
			left = timeout / 1000000 - ((now.tv_sec - start.tv_sec) * 1000 +
						 (now.tv_nsec - start.tv_nsec) / 1000000);
			if (left <= 0)
				break;
			if (left < wait_ms)
				wait_ms = left;
		}
		if (stop_signal)
			break;
		ret = use_dev ? mpt_dev_events(fd, wait_ms, on_event, &w) :
				mpt_nl_events(nl, wait_ms, on_event, &w);
		if (ret == -EINTR)
			continue;
		if (ret > 0) {		/* --count reached */
			ret = 0;
			break;
		}
		if (ret < 0) {
			mpt_err("reading events failed: %s", mpt_strerror(ret));
			break;
		}
	}
out:
	if (w.tb)
		scols_unref_table(w.tb);
	free(w.tree.pid);
	mpt_nl_close(nl);
	if (fd >= 0)
		close(fd);
	return ret ? MPT_EXIT_FAIL : MPT_EXIT_OK;
}
