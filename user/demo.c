// SPDX-License-Identifier: GPL-2.0
/*
 * mptrace demo: the command, and what every scenario uses — narration,
 * checks, forking named children, and the events of the demo's own
 * processes read from /dev/mptrace (any user may read the events of
 * their own processes there; netlink would need CAP_SYS_ADMIN).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"
#include "mptrace.h"

static const struct demo *const demos[] = {
	&demo_create, &demo_join, &demo_isolation, &demo_attributes,
	&demo_daemon, &demo_zombie, &demo_orphan, &demo_ticket, &demo_queue,
	&demo_pipe, &demo_producer_consumer, &demo_deadlock, &demo_rlock,
	&demo_pool,
};

#define NDEMOS (sizeof(demos) / sizeof(demos[0]))

/* --- output ---------------------------------------------------------------- */

static void json_head(struct demo_ctx *d, const char *kind)
{
	printf("{\"demo\": ");
	mpt_json_string(stdout, d->name);
	printf(", \"kind\": \"%s\"", kind);
}

static void vline(struct demo_ctx *d, const char *kind, const char *fmt,
		  va_list ap)
{
	char text[512];
	pid_t me = getpid();

	vsnprintf(text, sizeof(text), fmt, ap);
	if (d->json) {
		json_head(d, kind);
		printf(", \"pid\": %d, \"text\": ", (int)me);
		mpt_json_string(stdout, text);
		printf("}\n");
	} else if (!strcmp(kind, "step")) {
		printf("\n* %s\n", text);
	} else if (me == d->self) {
		printf("  %s\n", text);
	} else {
		char comm[17] = "";

		prctl(PR_GET_NAME, comm);
		printf("  | %s[%d]: %s\n", comm, (int)me, text);
	}
	fflush(stdout);
}

void demo_step(struct demo_ctx *d, const char *fmt, ...)
{
	va_list ap;

	if (getpid() == d->self)
		demo_events(d, 10);
	if (d->pace > 0)
		demo_sleep_ms((long)(d->pace * 1000));
	va_start(ap, fmt);
	vline(d, "step", fmt, ap);
	va_end(ap);
}

void demo_say(struct demo_ctx *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(d, "say", fmt, ap);
	va_end(ap);
}

bool demo_check(struct demo_ctx *d, bool ok, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (getpid() == d->self)
		demo_events(d, 10);
	d->checks++;
	if (!ok)
		d->failed++;
	if (d->json) {
		json_head(d, "check");
		printf(", \"ok\": %s, \"text\": ", ok ? "true" : "false");
		mpt_json_string(stdout, text);
		printf("}\n");
	} else {
		printf("  %s %s\n", ok ? "[ok]    " : "[FAILED]", text);
	}
	fflush(stdout);
	return ok;
}

static void show_event(struct demo_ctx *d, const struct mpt_event_view *ev)
{
	char head[128], more[320];
	const char *name = mpt_event_name(ev->type);

	if (d->json) {
		snprintf(head, sizeof(head), "\"demo\": \"%s\", \"kind\": \"event\", ",
			 d->name);
		mpt_event_json(stdout, ev, head);
	} else {
		mpt_event_details(ev, more, sizeof(more));
		if (ev->type == MPT_EV_LOST)
			printf("    event %-19s %s\n", name, more);
		else
			printf("    event %-19s %6u %-15s %s\n", name ? name : "?",
			       ev->pid, ev->comm, more);
	}
	fflush(stdout);
}

/* --- time and processes ----------------------------------------------------- */

void demo_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

double demo_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static bool in_tree(const struct demo_ctx *d, pid_t pid)
{
	return mpt_pidset_has(&d->tree, pid);
}

static void tree_add(struct demo_ctx *d, pid_t pid)
{
	/* On -ENOMEM its events go unseen, and the checks say so. */
	mpt_pidset_add(&d->tree, pid);
}

size_t demo_read_eof(int fd, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n;

	while (used < len - 1 && (n = read(fd, buf + used, len - 1 - used)) != 0) {
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			used += n;
	}
	buf[used] = '\0';
	return used;
}

pid_t demo_fork(struct demo_ctx *d, const char *comm)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		demo_check(d, false, "fork() for %s: %s", comm, strerror(errno));
		return -1;
	}
	if (!pid) {
		prctl(PR_SET_NAME, comm);
		/* Children never read the demo's events. */
		close(d->devfd);
		d->devfd = -1;
		return 0;
	}
	tree_add(d, pid);
	return pid;
}

int demo_wait(struct demo_ctx *d, pid_t pid, int ms)
{
	double end = demo_now_ms() + ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0) {
			demo_check(d, false, "waitpid(%d): %s", (int)pid,
				   strerror(errno));
			return -1;
		}
		if (demo_now_ms() > end)
			break;
		demo_sleep_ms(5);
	}
	demo_check(d, false, "process %d still runs after %d ms: killed", (int)pid,
		   ms);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

void demo_reap_all(struct demo_ctx *d)
{
	for (size_t i = 0; i < d->tree.n; i++)
		if (d->tree.pid[i] != d->self)
			kill(d->tree.pid[i], SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
}

bool demo_proc_stat(pid_t pid, char *state, pid_t *ppid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd, pp = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold anything, even ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d", state, &pp) != 2)
		return false;
	*ppid = pp;
	return true;
}

bool demo_proc_record(struct demo_ctx *d, pid_t pid, struct mpt_proc *out)
{
	struct mpt_proc *ps = NULL;
	size_t n = 0;
	bool found = false;
	int fd = d->devfd >= 0 ? d->devfd : mpt_dev_open(O_RDONLY);

	if (fd < 0 || mpt_dev_get_procs(fd, &ps, &n))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (ps[i].pid == (uint32_t)pid) {
			*out = ps[i];
			found = true;
			break;
		}
	}
out:
	free(ps);
	if (fd >= 0 && fd != d->devfd)
		close(fd);
	return found;
}

const char *demo_obj(struct demo_ctx *d, const char *what)
{
	snprintf(d->obj, sizeof(d->obj), "demo.%d.%s", (int)d->self, what);
	return d->obj;
}

int demo_gate_open(struct demo_ctx *d, struct demo_gate *g)
{
	if (pipe2(g->fd, O_CLOEXEC)) {
		demo_check(d, false, "pipe(): %s", strerror(errno));
		return -1;
	}
	return 0;
}

void demo_gate_enter(struct demo_gate *g)
{
	if (g->fd[1] >= 0)
		close(g->fd[1]);
	g->fd[1] = -1;
}

void demo_gate_wait(struct demo_gate *g)
{
	char c;

	demo_gate_enter(g);
	while (read(g->fd[0], &c, 1) < 0 && errno == EINTR)
		;
	close(g->fd[0]);
}

void demo_gate_go(struct demo_gate *g)
{
	close(g->fd[1]);
	close(g->fd[0]);
}

/* --- events ------------------------------------------------------------------ */

static int keep_event(const struct mpt_event_view *ev, void *arg)
{
	struct demo_ctx *d = arg;

	if (ev->type == MPT_EV_LOST) {
		d->lost += ev->lost;
		show_event(d, ev);
		return 0;
	}
	if (ev->type == MPT_EV_FORK && in_tree(d, ev->parent_pid))
		tree_add(d, ev->pid);
	if (!in_tree(d, ev->pid))
		return 0;
	if (d->nev == d->ev_cap) {
		size_t cap = d->ev_cap ? 2 * d->ev_cap : 256;
		struct mpt_event_view *v = realloc(d->ev, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->ev = v;
		d->ev_cap = cap;
	}
	d->ev[d->nev++] = *ev;
	if (!d->show || (d->show & (1u << ev->type)))
		show_event(d, ev);
	else
		d->hidden++;
	return 0;
}

/* Read for up to @ms; returns how many events came (theirs or others'). */
static int read_events(struct demo_ctx *d, int ms)
{
	size_t before = d->nev;
	int ret;

	ret = mpt_dev_events(d->devfd, ms, keep_event, d);
	if (ret < 0 && ret != -EINTR && ret != -EAGAIN) {
		demo_check(d, false, "reading events from %s: %s",
			   MPT_DEVICE_PATH, mpt_strerror(ret));
		return 0;
	}
	return (int)(d->nev - before);
}

void demo_events(struct demo_ctx *d, int quiet_ms)
{
	double end = demo_now_ms() + 10000;

	while (demo_now_ms() < end) {
		struct pollfd p = { .fd = d->devfd, .events = POLLIN };

		if (poll(&p, 1, quiet_ms) <= 0)
			break;
		read_events(d, 0);
	}
}

static bool matches(const struct mpt_event_view *ev, uint32_t type, pid_t pid)
{
	return ev->type == type && (!pid || ev->pid == (uint32_t)pid);
}

const struct mpt_event_view *demo_find(struct demo_ctx *d, uint32_t type,
				       pid_t pid)
{
	for (size_t i = 0; i < d->nev; i++)
		if (matches(&d->ev[i], type, pid))
			return &d->ev[i];
	return NULL;
}

const struct mpt_event_view *demo_await(struct demo_ctx *d, uint32_t type,
					pid_t pid, int ms)
{
	double end = demo_now_ms() + ms;
	const struct mpt_event_view *ev;

	while (!(ev = demo_find(d, type, pid))) {
		double left = end - demo_now_ms();
		struct pollfd p = { .fd = d->devfd, .events = POLLIN };

		if (left <= 0)
			return NULL;
		if (poll(&p, 1, (int)left + 1) > 0)
			read_events(d, 0);
	}
	return ev;
}

unsigned int demo_count(struct demo_ctx *d, uint32_t type, pid_t pid)
{
	unsigned int n = 0;

	for (size_t i = 0; i < d->nev; i++)
		n += matches(&d->ev[i], type, pid);
	return n;
}

/*
 * Remove the names of the queues and locks this run made, whatever
 * happened to it (a name outlives its descriptors, like POSIX mq's).
 */
static void unlink_objects(struct demo_ctx *d)
{
	struct mpt_queue_info *qs = NULL;
	struct mpt_lock_info *ls = NULL;
	char prefix[32];
	size_t n = 0, len;

	len = snprintf(prefix, sizeof(prefix), "demo.%d.", (int)d->self);
	if (!mpt_dev_get_queues(d->devfd, &qs, &n))
		for (size_t i = 0; i < n; i++)
			if (!strncmp(qs[i].name, prefix, len))
				mpt_queue_unlink(qs[i].name);
	free(qs);
	n = 0;
	if (!mpt_dev_get_locks(d->devfd, &ls, &n))
		for (size_t i = 0; i < n; i++)
			if (!strncmp(ls[i].name, prefix, len))
				mpt_lock_unlink(ls[i].name);
	free(ls);
}

/* --- the command ---------------------------------------------------------------- */

static void usage(void)
{
	printf("Usage: mptrace demo [OPTIONS] [NAME|all]...\n\n"
	       "Replay the scenarios of the classic multiprocessing tutorials with\n"
	       "real processes, queues and locks: each narrates what happens, shows\n"
	       "the events mptrace saw (as `mptrace watch` prints them) and checks\n"
	       "that the kernel did what the story says.  Without NAME, list them.\n\n"
	       "Options:\n"
	       "  -l, --list        list the demos\n"
	       "      --pace S      pause S seconds before each step (default 0;\n"
	       "                    e.g. 1 to follow along)\n"
	       "  -j, --json        one JSON object per line: {\"demo\", \"kind\":\n"
	       "                    start|step|say|event|check|result, ...}\n"
	       "  -h, --help        this text\n\n"
	       "Exit status: 0 when every demo behaved as narrated, 1 when one did\n"
	       "not (its failed checks say how), 2 on a usage error.\n");
}

static int list_demos(void)
{
	struct libscols_table *tb = scols_new_table();

	if (!tb) {
		mpt_err("out of memory");
		return MPT_EXIT_FAIL;
	}
	scols_table_set_name(tb, "demos");
	scols_table_enable_json(tb, mpt_opts.json);
	scols_table_enable_noheadings(tb, mpt_opts.noheadings);
	scols_table_enable_raw(tb, mpt_opts.raw);
	if (!scols_table_new_column(tb, "NAME", 0, 0) ||
	    !scols_table_new_column(tb, "SHOWS", 0, SCOLS_FL_WRAP))
		goto err;
	for (size_t i = 0; i < NDEMOS; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);

		if (!ln || scols_line_set_data(ln, 0, demos[i]->name) ||
		    scols_line_set_data(ln, 1, demos[i]->title))
			goto err;
	}
	return mpt_table_print(tb) ? MPT_EXIT_FAIL : MPT_EXIT_OK;
err:
	scols_unref_table(tb);
	mpt_err("out of memory");
	return MPT_EXIT_FAIL;
}

static const struct demo *find_demo(const char *name)
{
	for (size_t i = 0; i < NDEMOS; i++)
		if (!strcmp(demos[i]->name, name))
			return demos[i];
	return NULL;
}

static int run_one(const struct demo *demo, double pace, bool json)
{
	struct demo_ctx d = {
		.name = demo->name, .self = getpid(), .pace = pace, .json = json,
		.show = demo->show,
	};
	double start = demo_now_ms();
	int ret;

	d.devfd = mpt_dev_open(O_RDONLY);
	ret = d.devfd < 0 ? d.devfd : mpt_dev_subscribe(d.devfd, 4096);
	if (ret) {
		mpt_err("demo: cannot read events from %s: %s", MPT_DEVICE_PATH,
			d.devfd < 0 ? mpt_strerror(ret) : mpt_ring_strerror(ret));
		if (d.devfd >= 0)
			close(d.devfd);
		return -1;
	}
	tree_add(&d, d.self);
	if (json) {
		json_head(&d, "start");
		printf(", \"title\": ");
		mpt_json_string(stdout, demo->title);
		printf(", \"python\": ");
		mpt_json_string(stdout, demo->python);
		printf("}\n");
	} else {
		printf("\n=== demo %s: %s\n", demo->name, demo->title);
		printf("    Python: %s\n", demo->python);
	}
	fflush(stdout);

	ret = demo->run(&d);
	if (getpid() != d.self)		/* a child that returned by mistake */
		_exit(1);
	demo_reap_all(&d);
	unlink_objects(&d);
	demo_events(&d, 50);
	if (ret)
		demo_check(&d, false, "the demo could not run to its end");
	if (d.hidden)
		demo_say(&d, "(%u zombie and reap events not shown: mptrace watch shows every event)",
			 d.hidden);
	if (d.lost)
		demo_say(&d, "(the reader missed %llu events: a larger ring would keep them)",
			 (unsigned long long)d.lost);
	if (json) {
		json_head(&d, "result");
		printf(", \"ok\": %s, \"checks\": %u, \"failed\": %u, \"seconds\": %.3f}\n",
		       d.failed ? "false" : "true", d.checks, d.failed,
		       (demo_now_ms() - start) / 1e3);
	} else if (d.failed) {
		printf("--- %s: %u of %u checks FAILED\n", demo->name, d.failed,
		       d.checks);
	} else {
		printf("--- %s: as narrated (%u checks, %.1f s)\n", demo->name,
		       d.checks, (demo_now_ms() - start) / 1e3);
	}
	fflush(stdout);
	close(d.devfd);
	free(d.tree.pid);
	free(d.ev);
	return d.failed ? 1 : 0;
}

int cmd_demo(int argc, char **argv)
{
	enum { OPT_PACE = 256 };
	static const struct option longopts[] = {
		{ "list", no_argument,	     NULL, 'l' },
		{ "pace", required_argument, NULL, OPT_PACE },
		{ "json", no_argument,	     NULL, 'j' },
		{ "help", no_argument,	     NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct demo *todo[NDEMOS];
	size_t ntodo = 0, nfailed = 0;
	double pace = 0;
	bool list = false;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ljh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			list = true;
			break;
		case OPT_PACE: {
			char *end;

			errno = 0;
			pace = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(pace >= 0 && pace <= 60))
				return mpt_usage_err("demo: --pace takes seconds from 0 to 60, not '%s'",
						     optarg);
			break;
		}
		case 'j':
			mpt_opts.json = true;
			break;
		case 'h':
			usage();
			return MPT_EXIT_OK;
		default:
			if (optopt == OPT_PACE)
				return mpt_usage_err("demo: --pace needs a value in seconds");
			return mpt_option_err("demo", "ljh", longopts, argv);
		}
	}
	if (list || optind == argc)
		return list_demos();
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "all")) {
			for (size_t k = 0; k < NDEMOS; k++)
				todo[k] = demos[k];
			ntodo = NDEMOS;
			continue;
		}
		if (!find_demo(argv[i]))
			return mpt_usage_err("demo: no demo '%s' (mptrace demo --list shows them)",
					     argv[i]);
	}
	if (!ntodo) {
		for (int i = optind; i < argc; i++) {
			const struct demo *dm = find_demo(argv[i]);
			bool dup = false;

			for (size_t k = 0; k < ntodo; k++)
				dup |= todo[k] == dm;
			if (!dup && ntodo < NDEMOS)
				todo[ntodo++] = dm;
		}
	}
	if (!mpt_module_loaded()) {
		mpt_err("the mptrace module is not loaded: run 'insmod mptrace.ko' (or modprobe mptrace) as root first");
		return MPT_EXIT_FAIL;
	}
	/* Output goes to a pipe as often as to a terminal: line by line. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t k = 0; k < ntodo; k++) {
		int r = run_one(todo[k], pace, mpt_opts.json);

		if (r < 0)
			return MPT_EXIT_FAIL;
		nfailed += r;
	}
	if (ntodo > 1 && !mpt_opts.json) {
		if (nfailed)
			printf("\n%zu of %zu demos did NOT behave as narrated\n", nfailed,
			       ntodo);
		else
			printf("\nall %zu demos behaved as narrated\n", ntodo);
	}
	return nfailed ? MPT_EXIT_FAIL : MPT_EXIT_OK;
}
