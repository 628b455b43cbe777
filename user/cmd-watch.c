// SPDX-License-Identifier: GPL-2.0
/*
 * mptrace watch: live events, from netlink (default) or /dev/mptrace.
 *
 * Human output is a table written a row at a time, in libsmartcols'
 * layout (see print_row()); -j prints one JSON object per line (JSON
 * Lines).  libsmartcols is made for whole tables and streams neither
 * well.  What one wake-up brings is written out together.
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
#include <wchar.h>
#include <wctype.h>

#include "libmptrace.h"
#include "mptrace.h"

struct watch {
	unsigned int types;		/* 1 << MPT_EV_* to show */
	long pid;			/* -p, 0 for all */
	bool subtree;
	bool threads;
	bool dev;			/* the kernel filters by pid */
	long count;			/* stop after that many, 0: never */
	long shown;
	struct mpt_pidset tree;		/* --subtree: the pids in it */
	bool titled;			/* the titles are printed */
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

/*
 * /dev's reader is filtered by the kernel, which follows a subtree from
 * the start; netlink's events are filtered here, the subtree followed
 * from the processes in it when watching began (watch_tree()) through
 * the forks since, each pid dropped at its reap (it may be reused).
 */
static bool wanted(struct watch *w, const struct mpt_event_view *ev)
{
	bool show;

	if (ev->type == MPT_EV_LOST)
		return true;
	/* A type of a newer module than this CLI: not asked for. */
	if (ev->type > MPT_EV_MAX)
		return false;
	if ((ev->flags & MPT_EVF_THREAD) && !w->threads)
		return false;
	if (w->dev || !w->pid)
		return w->types & (1u << ev->type);
	if (!w->subtree)	/* the process itself, and the forks it makes */
		return (w->types & (1u << ev->type)) &&
		       (ev->pid == (uint32_t)w->pid ||
			(ev->type == MPT_EV_FORK &&
			 ev->parent_pid == (uint32_t)w->pid));
	if (ev->type == MPT_EV_FORK && mpt_pidset_has(&w->tree, ev->parent_pid))
		mpt_pidset_add(&w->tree, ev->pid);
	show = (w->types & (1u << ev->type)) &&
	       mpt_pidset_has(&w->tree, ev->pid);
	if (ev->type == MPT_EV_REAP)
		mpt_pidset_del(&w->tree, ev->pid);
	return show;
}

/*
 * -p on netlink: PID must exist, and with --subtree the processes below
 * it now are in the subtree, from the module's table.  Asked after
 * joining the group: a fork meanwhile is in the table or, its parent
 * found there, followed from its event.
 */
static int watch_tree(struct watch *w)
{
	struct mpt_proc *v = NULL;
	struct mpt_nl *nl;
	size_t n = 0, i;
	bool grew = true;
	int ret;

	if (kill(w->pid, 0) && errno == ESRCH)
		return -ESRCH;
	if (!w->subtree)
		return 0;
	ret = mpt_pidset_add(&w->tree, w->pid);
	if (!ret)
		ret = mpt_nl_open(&nl);
	if (ret)
		return ret;
	ret = mpt_nl_get_procs(nl, &v, &n);
	mpt_nl_close(nl);
	while (!ret && grew) {
		grew = false;
		for (i = 0; i < n && !ret; i++) {
			if (v[i].ppid == v[i].pid ||
			    mpt_pidset_has(&w->tree, v[i].pid) ||
			    !mpt_pidset_has(&w->tree, v[i].ppid))
				continue;
			ret = mpt_pidset_add(&w->tree, v[i].pid);
			grew = true;
		}
	}
	free(v);
	return ret;
}

/*
 * The table of events, a row written as each event comes, in the
 * layout libsmartcols gives a table: columns of at least these widths,
 * one space apart, titles aligned as their values, and what the locale
 * cannot print shown as \xHH (a backslash before an x as \x5c).  Made
 * for whole tables, libsmartcols asked for one row at a time worked out
 * every width again, cleared a buffer and passed each character twice
 * through mbrtowc(): about 61,000 instructions a row, which a fork loop
 * watched paid for (0.59 of its speed unwatched, 0.80 under forkstat).
 * A value wider than its column widens its own row; none is cut.
 */
static const struct {
	const char *name;
	size_t width;
	bool right;
} watch_cols[] = {
	{ "SEQ", 6, true }, { "TIME", 14, true }, { "EVENT", 6, false },
	{ "PID", 7, true }, { "PPID", 7, true }, { "COMM", 16, false },
	{ "DETAILS", 0, false },
};
#define WATCH_NCOLS (sizeof(watch_cols) / sizeof(watch_cols[0]))

/* A row being written; what would not fit in it is left out. */
struct row {
	char buf[2048];
	size_t len;
};

static void row_put(struct row *r, const char *s, size_t n)
{
	if (n > sizeof(r->buf) - r->len)
		n = sizeof(r->buf) - r->len;
	memcpy(r->buf + r->len, s, n);
	r->len += n;
}

static void row_pad(struct row *r, size_t n)
{
	while (n-- && r->len < sizeof(r->buf))
		r->buf[r->len++] = ' ';
}

/*
 * The first @max bytes of @s shown safely into @out (room for four bytes
 * a byte); their width on screen.
 */
static size_t safe_text(const char *s, size_t max, char *out, size_t *outlen)
{
	static const char hex[] = "0123456789abcdef";
	const char *end = s + strnlen(s, max);
	size_t width = 0, o = 0;
	mbstate_t st;

	memset(&st, 0, sizeof(st));
	while (s < end) {
		unsigned char c = *s;

		if (c >= 0x20 && c < 0x7f && !(c == '\\' && s + 1 < end && s[1] == 'x')) {
			out[o++] = c;
			width++;
			s++;
			continue;
		}
		if (c >= 0x80) {
			wchar_t wc;
			size_t n = mbrtowc(&wc, s, end - s, &st);

			if (n && n < (size_t)-2 && iswprint(wc)) {
				int cw = wcwidth(wc);

				memcpy(out + o, s, n);
				o += n;
				s += n;
				width += cw > 0 ? cw : 0;
				continue;
			}
			memset(&st, 0, sizeof(st));
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 0xf];
		width += 4;
		s++;
	}
	*outlen = o;
	return width;
}

/* Column @i of @r: @s, padded to its width, shown safely. */
static void row_cell(struct row *r, size_t i, const char *s)
{
	char safe[4 * 256];	/* no value of a row is longer */
	size_t len, width;

	width = safe_text(s, sizeof(safe) / 4, safe, &len);
	if (i)
		row_put(r, " ", 1);
	if (watch_cols[i].right && width < watch_cols[i].width)
		row_pad(r, watch_cols[i].width - width);
	row_put(r, safe, len);
	if (!watch_cols[i].right && i + 1 < WATCH_NCOLS &&
	    width < watch_cols[i].width)
		row_pad(r, watch_cols[i].width - width);
}

static void row_end(struct row *r)
{
	if (r->len == sizeof(r->buf))
		r->len--;
	r->buf[r->len++] = '\n';
	fwrite(r->buf, 1, r->len, stdout);
	r->len = 0;
}

/* @v in decimal, without snprintf()'s cost, paid per event. */
static char *u64_text(uint64_t v, char *end)
{
	*--end = '\0';
	do {
		*--end = '0' + v % 10;
		v /= 10;
	} while (v);
	return end;
}

static void print_row(struct watch *w, const struct mpt_event_view *ev)
{
	char seq[24], secs[24], frac[16], when[32], pid[16], ppid[16], more[256];
	const char *name = mpt_event_name(ev->type);
	bool lost = ev->type == MPT_EV_LOST;
	struct row r = { .len = 0 };
	uint64_t us = ev->time_ns / 1000;
	const char *t;
	size_t n;

	if (!w->titled) {
		for (size_t i = 0; i < WATCH_NCOLS; i++)
			row_cell(&r, i, watch_cols[i].name);
		row_end(&r);
		w->titled = true;
	}
	/* seconds since boot, to the microsecond: S.UUUUUU */
	t = u64_text(us / 1000000, secs + sizeof(secs));
	n = strlen(t);
	memcpy(when, t, n);
	when[n] = '.';
	/* six digits: the leading 1 of 1UUUUUU left out */
	memcpy(when + n + 1, u64_text(us % 1000000 + 1000000, frac + sizeof(frac)) + 1, 7);
	mpt_event_details(ev, more, sizeof(more));
	row_cell(&r, 0, u64_text(ev->seq, seq + sizeof(seq)));
	row_cell(&r, 1, lost ? "" : when);
	row_cell(&r, 2, name ? name : "?");
	row_cell(&r, 3, lost ? "" : u64_text(ev->pid, pid + sizeof(pid)));
	row_cell(&r, 4, lost ? "" : u64_text(ev->ppid, ppid + sizeof(ppid)));
	row_cell(&r, 5, ev->comm);
	row_cell(&r, 6, more);
	row_end(&r);
}

static int on_event(const struct mpt_event_view *ev, void *arg)
{
	struct watch *w = arg;

	if (!wanted(w, ev))
		return 0;
	if (mpt_opts.json)
		mpt_event_json(stdout, ev, NULL);
	else
		print_row(w, ev);
	if (ev->type != MPT_EV_LOST && w->count && ++w->shown >= w->count)
		return 1;
	return 0;
}

static int parse_types(const char *list, unsigned int *types)
{
	char *copy = strdup(list), *tok, *rest;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	*types = 0;
	/* Every item a name: "fork,,exec" and "fork," are typing errors. */
	for (rest = *list ? copy : NULL; (tok = strsep(&rest, ",")); ) {
		unsigned int t;

		if (!*tok) {
			ret = mpt_usage_err("watch: -e '%s' has an empty item", list);
			break;
		}
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
			return mpt_option_err("watch", "+e:p:c:t:jh", longopts, argv);
		}
	}
	if (optind < argc)
		return mpt_usage_err("watch: unexpected argument '%s'", argv[optind]);
	if (w.subtree && !w.pid)
		return mpt_usage_err("watch: --subtree needs -p PID");

	w.dev = use_dev;
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
		if (ret) {
			mpt_err("cannot read events from %s: %s", MPT_DEVICE_PATH,
				mpt_strerror(ret));
			goto out;
		}
		ret = mpt_dev_subscribe(fd, 4096);
		if (ret) {
			mpt_err("cannot read events from %s: %s", MPT_DEVICE_PATH,
				mpt_ring_strerror(ret));
			goto out;
		}
	} else {
		/* A subtree is followed by its forks and reaps. */
		unsigned int types = w.types |
			(w.subtree ? 1u << MPT_EV_FORK | 1u << MPT_EV_REAP : 0);

		ret = mpt_nl_open(&nl);
		if (!ret)
			ret = mpt_nl_subscribe_types(nl, types);
		if (ret > 0)		/* the group of the types' one class */
			ret = 0;
		if (ret == -EPERM) {
			mpt_err("joining the events group needs CAP_SYS_ADMIN: run as root, or use --dev for your own processes");
			goto out;
		}
		if (ret) {
			mpt_err("cannot listen to the mptrace netlink family: %s",
				mpt_strerror(ret));
			goto out;
		}
		ret = w.pid ? watch_tree(&w) : 0;
		if (ret == -ESRCH) {
			mpt_err("no process %ld to watch", w.pid);
			goto out;
		}
		if (ret) {
			mpt_err("cannot list the processes to watch: %s",
				mpt_strerror(ret));
			goto out;
		}
	}
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int wait_ms = 500;

		if (timeout) {
			long long left;

			clock_gettime(CLOCK_MONOTONIC, &now);
			left = timeout - ((now.tv_sec - start.tv_sec) * 1000000000LL +
					  now.tv_nsec - start.tv_nsec);
			if (left <= 0)
				break;
			/* A part of a millisecond left is waited as a whole. */
			if (left < wait_ms * 1000000LL)
				wait_ms = (left + 999999) / 1000000;
		}
		if (stop_signal)
			break;
		ret = use_dev ? mpt_dev_events(fd, wait_ms, on_event, &w) :
				mpt_nl_events(nl, wait_ms, on_event, &w);
		/*
		 * What one wake-up brought goes out together; output that
		 * cannot be written (a full disk, a reader gone while SIGPIPE
		 * is ignored) ends the watch rather than losing events.
		 */
		if (fflush(stdout) == EOF || ferror(stdout)) {
			mpt_err("cannot write the events: %s", strerror(errno));
			ret = -EIO;
			break;
		}
		/* SIGINT or SIGTERM: the watch ends, as asked (exit 0). */
		if (ret == -EINTR) {
			ret = 0;
			continue;
		}
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
	free(w.tree.pid);
	mpt_nl_close(nl);
	if (fd >= 0)
		close(fd);
	return ret ? MPT_EXIT_FAIL : MPT_EXIT_OK;
}
