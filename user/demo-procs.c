// SPDX-License-Identifier: GPL-2.0
/*
 * mptrace demo: the life of processes — creating them, join, isolated
 * memory, a process's attributes, daemon children, zombies and orphans.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"
#include "mptrace.h"

/* "exit code 0", "killed by SIGTERM" */
static const char *status_str(int status)
{
	static char buf[64];

	mpt_status_text(status, buf, sizeof(buf));
	return buf;
}

/* Python's Process.exitcode: the exit code, or -N for death by signal N. */
static int exitcode(int status)
{
	return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
}

/* REAP of @pid by @reaper, as the module reported it. */
static void check_reaped(struct demo_ctx *d, pid_t pid, pid_t reaper)
{
	const struct mpt_event_view *ev = demo_await(d, MPT_EV_REAP, pid, 3000);

	demo_check(d, ev && ev->reaper_pid == (uint32_t)reaper,
		   "mptrace saw %d reaped by %d (reap event: %s)", (int)pid,
		   (int)reaper, ev ? "reaper matches" : "missing");
}

static void write_all(int fd, const void *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0 && errno != EINTR)
			return;
		if (n > 0) {
			buf = (const char *)buf + n;
			len -= n;
		}
	}
}

static bool read_all(int fd, void *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n == 0 || (n < 0 && errno != EINTR))
			return false;
		if (n > 0) {
			buf = (char *)buf + n;
			len -= n;
		}
	}
	return true;
}

/* --- create --------------------------------------------------------------- */

static int run_create(struct demo_ctx *d)
{
	bool ok;
	const struct mpt_event_view *ev;
	char text[256], *save = NULL;
	int out[2];
	pid_t pid;
	char st = '?';
	pid_t pp;
	int status;

	demo_step(d, "Way 1: fork() - the child runs a function of this same program");
	demo_say(d, "Python's Process(target=task).start() is this: the new process is a copy of the old one");
	pid = demo_fork(d, "task");
	if (!pid) {
		demo_say(d, "egon is running");
		demo_sleep_ms(200);
		demo_say(d, "egon is over");
		_exit(0);
	}
	if (pid < 0)
		return -1;
	demo_say(d, "main: started child %d and goes on without waiting for it", (int)pid);
	ev = demo_await(d, MPT_EV_FORK, pid, 3000);
	demo_check(d, ev && ev->parent_pid == (uint32_t)d->self,
		   "mptrace saw the fork: %d is a child of %d", (int)pid, (int)d->self);
	ok = demo_proc_stat(pid, &st, &pp);
	demo_check(d, ok && pp == d->self,
		   "/proc/%d/stat names %d as its parent", (int)pid, (int)d->self);
	status = demo_wait(d, pid, 5000);
	demo_events(d, 50);
	demo_check(d, status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status),
		   "the child ended with %s", status >= 0 ? status_str(status) : "?");
	check_reaped(d, pid, d->self);

	demo_step(d, "Way 2: fork() then exec() - the child becomes another program");
	demo_say(d, "Python's other way, a subclass of Process with run(), is still way 1;");
	demo_say(d, "a C program can also turn its child into a new program (what subprocess does)");
	if (pipe2(out, O_CLOEXEC))
		return -1;
	pid = demo_fork(d, "runner");
	if (!pid) {
		/* Its output comes back through the narrator (and -j). */
		dup2(out[1], STDOUT_FILENO);
		execl("/bin/sh", "sh", "-c",
		      "echo 'hello big baby!'; sleep 0.2; echo 'get out!'; exit 7",
		      (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	close(out[1]);
	demo_read_eof(out[0], text, sizeof(text));
	close(out[0]);
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		demo_say(d, "the program %d printed: %s", (int)pid, line);
	status = demo_wait(d, pid, 5000);
	ev = demo_await(d, MPT_EV_EXEC, pid, 3000);
	demo_check(d, ev && strstr(ev->filename, "sh"),
		   "mptrace saw %d exec %s", (int)pid, ev ? ev->filename : "(nothing)");
	demo_check(d, status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 7,
		   "the program's exit code reached the parent: %s",
		   status >= 0 ? status_str(status) : "?");
	ev = demo_await(d, MPT_EV_EXIT, pid, 3000);
	demo_check(d, ev && ev->status == status,
		   "and mptrace's exit event says the same");
	return 0;
}

const struct demo demo_create = {
	.name = "create",
	.title = "two ways to create a process: fork a function, or exec a program",
	.python = "p = Process(target=task, args=('egon',)); p.start()",
	.run = run_create,
};

/* --- join ----------------------------------------------------------------- */

static void three_children(struct demo_ctx *d, pid_t pids[3], long unit)
{
	for (int i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "child%d", i + 1);
		pids[i] = demo_fork(d, name);
		if (!pids[i]) {
			demo_say(d, "%s runs for %ld ms", name, (i + 1) * unit);
			demo_sleep_ms((i + 1) * unit);
			demo_say(d, "%s is over", name);
			_exit(0);
		}
	}
}

static int run_join(struct demo_ctx *d)
{
	const long unit = 300;
	const struct mpt_event_view *ev;
	pid_t pids[3];
	double t0, total;
	int order[3] = { 2, 0, 1 };

	demo_step(d, "Three children run for 1, 2 and 3 units (%ld ms each); main joins them in order", unit);
	t0 = demo_now_ms();
	three_children(d, pids, unit);
	for (int i = 0; i < 3; i++) {
		if (pids[i] < 0)
			return -1;
		demo_wait(d, pids[i], 10000);
	}
	total = demo_now_ms() - t0;
	demo_events(d, 50);
	demo_say(d, "main: all joined after %.0f ms", total);
	demo_check(d, total >= 3 * unit && total < 6 * unit,
		   "the total (%.0f ms) is about the longest child (%ld ms), not the sum (%ld ms): they ran at once",
		   total, 3 * unit, 6 * unit);
	for (int i = 0; i < 3; i++)
		check_reaped(d, pids[i], d->self);

	demo_step(d, "The same, but main joins the longest first (3, 1, 2)");
	t0 = demo_now_ms();
	three_children(d, pids, unit);
	for (int i = 0; i < 3; i++) {
		if (pids[order[i]] < 0)
			return -1;
		demo_wait(d, pids[order[i]], 10000);
	}
	total = demo_now_ms() - t0;
	demo_events(d, 50);
	demo_say(d, "main: all joined after %.0f ms: the order of join() does not change the total", total);
	demo_check(d, total >= 3 * unit && total < 6 * unit,
		   "the total is again about the longest child (%.0f ms)", total);
	demo_say(d, "but child1 and child2 ended while main waited for child3: they were zombies until joined");
	ev = demo_await(d, MPT_EV_REAP, pids[0], 3000);
	demo_check(d, ev && ev->zombie_ns >= (uint64_t)unit * 1000000,
		   "mptrace measured child1's time as a zombie: %.3f s (>= %.3f s)",
		   ev ? ev->zombie_ns / 1e9 : 0.0, unit / 1e3);
	return 0;
}

const struct demo demo_join = {
	.name = "join",
	.title = "join waits for a child; children run at once, so the total is the longest",
	.python = "for p in p_list: p.join()",
	.run = run_join,
};

/* --- isolation ---------------------------------------------------------------- */

static int money = 100;

struct seen {
	int value;
	const void *addr;
};

static int run_isolation(struct demo_ctx *d)
{
	struct seen child = { 0 };
	int fd[2], status;
	bool got;
	pid_t pid;

	demo_step(d, "A global variable, money = %d; the child sets it to 0", money);
	if (pipe2(fd, O_CLOEXEC))
		return -1;
	pid = demo_fork(d, "child");
	if (!pid) {
		struct seen s;

		money = 0;
		s.value = money;
		s.addr = &money;
		demo_say(d, "child: money = %d (at address %p)", money, (void *)&money);
		write_all(fd[1], &s, sizeof(s));
		_exit(0);
	}
	if (pid < 0)
		return -1;
	close(fd[1]);
	got = read_all(fd[0], &child, sizeof(child));
	close(fd[0]);
	status = demo_wait(d, pid, 5000);
	demo_events(d, 50);
	demo_say(d, "main: money = %d (at address %p)", money, (void *)&money);
	demo_check(d, got && child.value == 0, "the child saw its own change (money = %d)",
		   child.value);
	demo_check(d, money == 100, "main's money is still %d: the child changed its own copy",
		   money);
	demo_check(d, got && child.addr == (const void *)&money,
		   "at the same virtual address %p: each process has its own memory (copied on write at fork)",
		   (void *)&money);
	demo_check(d, status >= 0 && WIFEXITED(status), "the child ended: %s",
		   status >= 0 ? status_str(status) : "?");
	return 0;
}

const struct demo demo_isolation = {
	.name = "isolation",
	.title = "processes do not share memory: a child's change stays in the child",
	.python = "money = 100; def task(): global money; money = 0",
	.run = run_isolation,
};

/* --- attributes --------------------------------------------------------------- */

static bool is_alive(pid_t pid, int *status)
{
	/* Python's is_alive(): a non-blocking wait; an ended child is reaped. */
	return waitpid(pid, status, WNOHANG) == 0;
}

static bool read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

static int run_attributes(struct demo_ctx *d)
{
	bool ok;
	pid_t ids[2] = { 0 }, pid, pp;
	int fd[2], status = 0;
	char comm[32] = "", st = '?';
	bool got, alive;

	demo_step(d, "A child named 'worker' that runs until stopped");
	if (pipe2(fd, O_CLOEXEC))
		return -1;
	pid = demo_fork(d, "worker");
	if (!pid) {
		ids[0] = getpid();
		ids[1] = getppid();
		demo_say(d, "worker: os.getpid() = %d, os.getppid() = %d", (int)ids[0],
			 (int)ids[1]);
		write_all(fd[1], ids, sizeof(ids));
		for (;;)
			pause();
	}
	if (pid < 0)
		return -1;
	close(fd[1]);
	got = read_all(fd[0], ids, sizeof(ids));
	close(fd[0]);
	demo_say(d, "main: p.pid = %d, p.name = worker, p.exitcode = None (it runs)", (int)pid);
	demo_check(d, got && ids[0] == pid && ids[1] == d->self,
		   "the child's own getpid()/getppid() agree: %d, child of %d", (int)ids[0],
		   (int)ids[1]);
	ok = read_comm(pid, comm, sizeof(comm));
	demo_check(d, ok && !strcmp(comm, "worker"),
		   "/proc/%d/comm is '%s'", (int)pid, comm);
	ok = demo_proc_stat(pid, &st, &pp);
	demo_check(d, ok && pp == d->self && st != 'Z',
		   "/proc/%d/stat: state %c, parent %d", (int)pid, st, (int)pp);
	alive = is_alive(pid, &status);
	demo_check(d, alive, "p.is_alive() = %s", alive ? "True" : "False");

	demo_step(d, "p.terminate() sends SIGTERM; then p.join()");
	kill(pid, SIGTERM);
	alive = is_alive(pid, &status);
	demo_say(d, "p.is_alive() just after terminate(): %s (the signal takes a moment; the tutorial prints True)",
		 alive ? "True" : "False");
	if (alive)
		status = demo_wait(d, pid, 5000);
	demo_events(d, 50);
	demo_say(d, "p.exitcode = %d", status >= 0 ? exitcode(status) : 0);
	demo_check(d, status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
		   "exitcode -%d: in Python a negative exit code means 'killed by signal N' (%s)",
		   SIGTERM, status >= 0 ? status_str(status) : "?");
	demo_check(d, kill(pid, 0) && errno == ESRCH, "p.is_alive() = False: %d is gone",
		   (int)pid);
	{
		const struct mpt_event_view *ev = demo_await(d, MPT_EV_EXIT, pid, 3000);

		demo_check(d, ev && WIFSIGNALED(ev->status) &&
			   WTERMSIG(ev->status) == SIGTERM,
			   "mptrace's exit event says so too");
	}

	demo_step(d, "A child that calls sys.exit(3)");
	pid = demo_fork(d, "quitter");
	if (!pid)
		_exit(3);
	if (pid < 0)
		return -1;
	status = demo_wait(d, pid, 5000);
	demo_events(d, 50);
	demo_check(d, status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 3,
		   "p.exitcode = %d", status >= 0 ? exitcode(status) : 0);
	return 0;
}

const struct demo demo_attributes = {
	.name = "attributes",
	.title = "pid, ppid, name, is_alive, terminate and exitcode (negative: a signal)",
	.python = "p.pid; p.name; p.is_alive(); p.terminate(); p.join(); p.exitcode",
	.run = run_attributes,
};

/* --- daemon --------------------------------------------------------------------- */

static int run_daemon(struct demo_ctx *d)
{
	const struct mpt_event_view *main_exit, *dexit, *orphan;
	pid_t pids[2] = { 0 }, mid;
	int fd[2], status;
	bool got;

	demo_step(d, "'main' starts a daemon child and an ordinary one, then ends");
	demo_say(d, "Python's daemon=True children are terminated when their parent ends;");
	demo_say(d, "the kernel's way is prctl(PR_SET_PDEATHSIG): a signal when the parent dies");
	demo_say(d, "(this demo is a subreaper for now, so that what 'main' leaves comes to us)");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) || pipe2(fd, O_CLOEXEC))
		return -1;
	mid = demo_fork(d, "main");
	if (!mid) {
		pid_t me = getpid();

		pids[0] = demo_fork(d, "daemon");
		if (!pids[0]) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != me)	/* main already ended */
				_exit(1);
			demo_say(d, "daemon: running, and will end with main");
			for (;;)
				pause();
		}
		pids[1] = demo_fork(d, "worker");
		if (!pids[1]) {
			demo_say(d, "worker: running for 600 ms");
			demo_sleep_ms(600);
			demo_say(d, "worker: done, after main ended");
			_exit(0);
		}
		write_all(fd[1], pids, sizeof(pids));
		demo_sleep_ms(200);
		demo_say(d, "main: ends now");
		_exit(0);
	}
	if (mid < 0)
		return -1;
	close(fd[1]);
	got = read_all(fd[0], pids, sizeof(pids));
	close(fd[0]);
	if (!got || pids[0] <= 0 || pids[1] <= 0) {
		demo_check(d, false, "main did not start its children");
		return -1;
	}
	status = demo_wait(d, mid, 5000);
	status = demo_wait(d, pids[0], 5000);
	demo_check(d, status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
		   "the daemon %d ended with its parent: %s", (int)pids[0],
		   status >= 0 ? status_str(status) : "?");
	status = demo_wait(d, pids[1], 5000);
	demo_check(d, status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status),
		   "the ordinary child %d finished its work: %s", (int)pids[1],
		   status >= 0 ? status_str(status) : "?");
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	demo_events(d, 50);
	main_exit = demo_await(d, MPT_EV_EXIT, mid, 3000);
	dexit = demo_await(d, MPT_EV_EXIT, pids[0], 3000);
	orphan = demo_await(d, MPT_EV_ORPHAN, pids[1], 3000);
	demo_check(d, main_exit && dexit && dexit->seq > main_exit->seq,
		   "mptrace saw the daemon's exit after main's");
	demo_check(d, orphan && orphan->old_ppid == (uint32_t)mid &&
		   orphan->ppid == (uint32_t)d->self,
		   "and the worker orphaned by main's end, adopted by us (%d)", (int)d->self);
	demo_say(d, "a Python daemon may not have children of its own; the kernel has no such rule");
	return 0;
}

const struct demo demo_daemon = {
	.name = "daemon",
	.title = "daemon children end with their parent (PR_SET_PDEATHSIG); others go on",
	.python = "p.daemon = True; p.start()",
	.run = run_daemon,
};

/* --- zombie --------------------------------------------------------------------- */

static double boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static const char *why_text(unsigned int why)
{
	switch (why) {
	case MPT_ZW_NOT_WAITING:
		return "its parent runs but does not wait";
	case MPT_ZW_BLOCKED:
		return "its parent sleeps, but not in wait()";
	case MPT_ZW_WAITS_OTHER:
		return "its parent waits for someone else";
	case MPT_ZW_STOPPED:
		return "its parent is stopped";
	case MPT_ZW_PARENT_EXITING:
		return "its parent is ending";
	}
	return "unknown";
}

static void show_ps_zombies(struct demo_ctx *d)
{
	pid_t pid;

	if (d->json)
		return;
	demo_say(d, "$ mptrace ps -z");
	pid = demo_fork(d, "mptrace-ps");
	if (!pid) {
		execl("/proc/self/exe", "mptrace", "ps", "-z", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		demo_wait(d, pid, 10000);
}

/* A parent busy forever with a zombie child; then the parent is killed. */
static int stuck_parent(struct demo_ctx *d)
{
	const struct mpt_event_view *ev;
	struct mpt_proc rec = { 0 };
	pid_t mid, child = 0, pp = 0;
	int fd[2];
	char st = '?';
	bool ok;

	if (pipe2(fd, O_CLOEXEC))
		return -1;
	mid = demo_fork(d, "busy-parent");
	if (!mid) {
		child = demo_fork(d, "forgotten");
		if (!child)
			_exit(0);
		write_all(fd[1], &child, sizeof(child));
		demo_say(d, "busy-parent: started %d, and now busy forever, never waiting", (int)child);
		for (;;)
			pause();
	}
	close(fd[1]);
	if (mid < 0 || !read_all(fd[0], &child, sizeof(child))) {
		close(fd[0]);
		return -1;
	}
	close(fd[0]);
	ev = demo_await(d, MPT_EV_ZOMBIE, child, 3000);
	demo_check(d, ev && ev->ppid == (uint32_t)mid,
		   "mptrace names the parent that fails to reap %d: %d (busy-parent)", (int)child,
		   (int)mid);
	demo_sleep_ms(300);
	ok = demo_proc_record(d, child, &rec);
	demo_check(d, ok && rec.state == 'Z' && rec.why != MPT_ZW_NONE,
		   "the process table: zombie, because %s", ok ? why_text(rec.why) : "?");
	demo_say(d, "main: kill -9 %d (busy-parent)", (int)mid);
	kill(mid, SIGKILL);
	demo_wait(d, mid, 5000);
	ev = demo_await(d, MPT_EV_ORPHAN, child, 3000);
	demo_check(d, ev && (ev->info_flags & MPT_ORPHAN_ZOMBIE) && ev->old_ppid == (uint32_t)mid,
		   "the zombie was orphaned as a zombie, adopted by %u", ev ? ev->ppid : 0);
	if (ev)
		pp = ev->ppid;
	ev = demo_await(d, MPT_EV_REAP, child, 5000);
	demo_check(d, ev && pp && ev->reaper_pid == (uint32_t)pp,
		   "and its adopter reaped it at once: the zombie is gone");
	demo_check(d, !demo_proc_stat(child, &st, &pp) || st != 'Z', "/proc/%d is gone",
		   (int)child);
	return 0;
}

static int run_zombie(struct demo_ctx *d)
{
	bool ok;
	const struct mpt_event_view *ev;
	struct mpt_proc rec = { 0 };
	double age1 = 0, age2 = 0;
	bool have;
	pid_t pid, pp;
	char st = '?';
	int status;

	demo_step(d, "A child ends at once; its parent (this demo) does not wait for it");
	pid = demo_fork(d, "short-lived");
	if (!pid)
		_exit(0);
	if (pid < 0)
		return -1;
	ev = demo_await(d, MPT_EV_ZOMBIE, pid, 3000);
	demo_check(d, ev && ev->ppid == (uint32_t)d->self,
		   "mptrace: %d is a zombie and names the parent that must reap it (%d)",
		   (int)pid, (int)d->self);
	ok = demo_proc_stat(pid, &st, &pp);
	demo_check(d, ok && st == 'Z',
		   "/proc/%d/stat says state %c (Z: zombie, dead but not reaped)", (int)pid, st);
	have = demo_proc_record(d, pid, &rec);
	if (have && rec.exit_ns)
		age1 = (boottime_ns() - rec.exit_ns) / 1e9;
	demo_check(d, have && rec.state == 'Z' && rec.exit_ns,
		   "mptrace's process table: zombie for %.3f s; why: %s", age1,
		   have ? why_text(rec.why) : "?");

	demo_step(d, "Half a second later it is still there, older");
	demo_sleep_ms(500);
	have = demo_proc_record(d, pid, &rec);
	if (have && rec.exit_ns)
		age2 = (boottime_ns() - rec.exit_ns) / 1e9;
	demo_check(d, have && age2 >= age1 + 0.4,
		   "its age grew from %.3f s to %.3f s: nobody reaps it", age1, age2);
	show_ps_zombies(d);

	demo_step(d, "Now the parent waits (p.join()): the zombie is reaped");
	status = demo_wait(d, pid, 3000);
	demo_check(d, status >= 0 && WIFEXITED(status), "wait() returned its status: %s",
		   status >= 0 ? status_str(status) : "?");
	ev = demo_await(d, MPT_EV_REAP, pid, 3000);
	demo_check(d, ev && ev->reaper_pid == (uint32_t)d->self &&
		   ev->zombie_ns >= 500000000ULL,
		   "mptrace: reaped by %d after %.3f s as a zombie", (int)d->self,
		   ev ? ev->zombie_ns / 1e9 : 0.0);
	demo_check(d, !demo_proc_stat(pid, &st, &pp), "/proc/%d is gone", (int)pid);
	demo_say(d, "every process is a zombie for a moment: the zombie and reap lines of every demo");

	demo_step(d, "A parent that never waits: its zombie stays; the tutorial's cure is to kill the parent");
	return stuck_parent(d);
}

const struct demo demo_zombie = {
	.name = "zombie",
	.title = "a child that ended stays a zombie until its parent waits",
	.python = "p.start()  # the child ends; without p.join() it stays <defunct>",
	.run = run_zombie,
};

/* --- orphan --------------------------------------------------------------------- */

/*
 * 'parent' starts 'orphan' and ends; the orphan waits until told.
 * Returns the orphan's pid, its parent's in *@parent.
 */
static pid_t make_orphan(struct demo_ctx *d, int go[2], pid_t *parent)
{
	int fd[2];
	pid_t child = 0, mid;

	if (pipe2(fd, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		return -1;
	mid = demo_fork(d, "parent");
	if (!mid) {
		int named[2];
		char c;

		if (pipe2(named, O_CLOEXEC))
			_exit(1);
		child = demo_fork(d, "orphan");
		if (!child) {
			close(go[1]);
			child = getpid();
			demo_say(d, "orphan: running; my parent is %d", (int)getppid());
			write_all(named[1], &c, 1);
			while (read(go[0], &c, 1) < 0 && errno == EINTR)
				;
			demo_say(d, "orphan: my parent is now %d", (int)getppid());
			_exit(0);
		}
		/* Once it has its name, so that its events show it. */
		close(named[1]);
		if (read(named[0], &c, 1) != 1)
			_exit(1);
		write_all(fd[1], &child, sizeof(child));
		demo_say(d, "parent: ends without waiting for its child");
		_exit(0);
	}
	close(fd[1]);
	close(go[0]);
	if (mid < 0 || !read_all(fd[0], &child, sizeof(child)))
		child = -1;
	close(fd[0]);
	*parent = mid;
	if (mid > 0)
		demo_wait(d, mid, 5000);
	return child;
}

static void show_adopter(struct demo_ctx *d, const struct mpt_event_view *ev)
{
	char comm[32] = "?";

	read_comm(ev->ppid, comm, sizeof(comm));
	demo_say(d, "adopted by %u (%s)%s", ev->ppid, comm,
		 ev->info_flags & MPT_ORPHAN_SUBREAPER ? ", a subreaper" :
		 ev->info_flags & MPT_ORPHAN_NS_INIT ? ", init of its pid namespace" : "");
}

static int run_orphan(struct demo_ctx *d)
{
	bool ok;
	const struct mpt_event_view *ev;
	struct mpt_proc rec = { 0 };
	pid_t child, parent, pp = 0;
	int go[2];
	char st = '?';

	demo_step(d, "'parent' starts a child and ends first: the child is an orphan");
	child = make_orphan(d, go, &parent);
	if (child <= 0)
		return -1;
	ev = demo_await(d, MPT_EV_ORPHAN, child, 3000);
	demo_check(d, ev && ev->old_ppid == (uint32_t)parent,
		   "mptrace saw %d orphaned when %d ended", (int)child, (int)parent);
	if (!ev)
		return -1;
	show_adopter(d, ev);
	ok = demo_proc_stat(child, &st, &pp);
	demo_check(d, ok && pp == (pid_t)ev->ppid,
		   "/proc/%d/stat agrees: its parent is now %d", (int)child, (int)pp);
	ok = demo_proc_record(d, child, &rec);
	demo_check(d, ok && rec.orig_ppid == (uint32_t)parent,
		   "/proc has forgotten %d; mptrace remembers the first parent (ps --tree --original)",
		   (int)parent);
	demo_say(d, "the adopter (init, or the nearest subreaper) reaps it when it ends");
	close(go[1]);
	ev = demo_await(d, MPT_EV_REAP, child, 5000);
	demo_check(d, ev && ev->reaper_pid == (uint32_t)pp,
		   "mptrace saw %d reaped by its adopter %d", (int)child, (int)pp);

	demo_step(d, "Again, with this demo as a subreaper (PR_SET_CHILD_SUBREAPER)");
	demo_say(d, "a service manager or a container's init does this to keep its descendants");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		return -1;
	child = make_orphan(d, go, &parent);
	if (child <= 0) {
		prctl(PR_SET_CHILD_SUBREAPER, 0);
		return -1;
	}
	ev = demo_await(d, MPT_EV_ORPHAN, child, 3000);
	if (ev)
		show_adopter(d, ev);
	demo_check(d, ev && ev->ppid == (uint32_t)d->self &&
		   (ev->info_flags & MPT_ORPHAN_SUBREAPER) && ev->orig_ppid == (uint32_t)parent,
		   "mptrace: adopted by us (%d), a subreaper; first parent %d", (int)d->self,
		   (int)parent);
	ok = demo_proc_stat(child, &st, &pp);
	demo_check(d, ok && pp == d->self,
		   "/proc/%d/stat agrees", (int)child);
	close(go[1]);
	demo_wait(d, child, 5000);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	check_reaped(d, child, d->self);
	return 0;
}

const struct demo demo_orphan = {
	.name = "orphan",
	.title = "a child whose parent ended is adopted: by init, or by a subreaper",
	.python = "os._exit(0) in a parent whose child still runs",
	.run = run_orphan,
};
