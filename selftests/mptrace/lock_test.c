// SPDX-License-Identifier: GPL-2.0
/*
 * Locks: mutual exclusion (and the race without it), recursion, try and
 * timeouts, ownership, owner death (process and thread; released when
 * the fatal signal is taken, before the exit), deadlock
 * refusal (ABBA, a 3-cycle, waits with timeouts) without false positives,
 * no starvation under barging, permissions, removal, limits and unload, bad input,
 * events and the netlink dump.  Children act on cue through pipes; every
 * result is checked against what they were told to do.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "mpt_helpers.h"

#define W	(MPT_QOPEN_READ | MPT_QOPEN_WRITE | MPT_QOPEN_CLOEXEC)

static int lopen(int dev, const char *name, __u32 flags, __u32 kind,
		 __u32 mode, __u32 lflags)
{
	struct mpt_lock_open lo = {
		.flags = flags, .kind = kind, .mode = mode, .lflags = lflags,
	};
	int fd;

	snprintf(lo.name, sizeof(lo.name), "%s", name);
	fd = ioctl(dev, MPT_IOC_LOCK_OPEN, &lo);
	return fd < 0 ? -errno : fd;
}

static int lcreate(int dev, const char *name, __u32 kind)
{
	return lopen(dev, name, W | MPT_QOPEN_CREATE, kind, 0600, 0);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* 0, or -errno; with PREV_OWNER_DIED, *dead gets the dead owner's pid. */
static int acquire(int fd, __u32 flags, __u64 deadline, struct mpt_lock_acq *out)
{
	struct mpt_lock_acq a = { .flags = flags, .deadline_ns = deadline };

	if (ioctl(fd, MPT_LIOC_ACQUIRE, &a))
		return -errno;
	if (out)
		*out = a;
	return 0;
}

static int release(int fd)
{
	return ioctl(fd, MPT_LIOC_RELEASE, 0) ? -errno : 0;
}

static int linfo(int fd, struct mpt_lock_info *li, struct mpt_lwaiter *w,
		 __u32 nw)
{
	memset(li, 0, sizeof(*li));
	li->waiters = (uintptr_t)w;
	li->waiters_max = nw;
	return ioctl(fd, MPT_LIOC_INFO, li) ? -errno : 0;
}

static int lunlink(int dev, const char *name)
{
	struct mpt_name n = { 0 };

	snprintf(n.name, sizeof(n.name), "%s", name);
	return ioctl(dev, MPT_IOC_LOCK_UNLINK, &n) ? -errno : 0;
}

/* Wait up to 10 s until @fd's lock has @n waiters. */
static bool await_waiters(int fd, __u32 n)
{
	struct mpt_lock_info li;
	int i;

	for (i = 0; i < 1000; i++) {
		if (linfo(fd, &li, NULL, 0))
			return false;
		if (li.nwaiters >= n)
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * A child that acts on cue.  It runs @script: 'a' acquire lock
 * fds[next digit] and report the result, 'r' release it and report, 'g'
 * wait for the parent's go, 'p' pause for ever (until killed).  Each
 * report is one int on @res.
 */
struct actor {
	pid_t pid;
	int go;		/* parent writes here */
	int res;	/* parent reads here */
};

static void actor_start(struct actor *a, const int *fds, const char *script)
{
	int go[2], res[2];

	if (pipe(go) || pipe(res))
		abort();
	a->pid = fork();
	if (a->pid) {
		close(go[0]);
		close(res[1]);
		a->go = go[1];
		a->res = res[0];
		return;
	}
	close(go[1]);
	close(res[0]);
	for (; *script; script++) {
		int r = 0;
		char c;

		switch (*script) {
		case 'a':
			r = acquire(fds[*++script - '0'], 0, 0, NULL);
			break;
		case 'r':
			r = release(fds[*++script - '0']);
			break;
		case 'g':
			if (read(go[0], &c, 1) != 1)
				_exit(1);
			continue;
		case 'p':
			pause();
			continue;
		}
		if (write(res[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
	}
	_exit(0);
}

/* The next result of @a, or -1000 if none comes within 10 s. */
static int actor_result(struct actor *a)
{
	struct pollfd p = { .fd = a->res, .events = POLLIN };
	int r;

	if (poll(&p, 1, 10000) != 1 || read(a->res, &r, sizeof(r)) != sizeof(r))
		return -1000;
	return r;
}

static void actor_go(struct actor *a)
{
	if (write(a->go, "g", 1) != 1)
		abort();
}

static int actor_end(struct actor *a)
{
	int status;

	kill(a->pid, SIGKILL);
	waitpid(a->pid, &status, 0);
	close(a->go);
	close(a->res);
	return status;
}

FIXTURE(lk) {
	int dev;
	char name[3][MPT_NAME_LEN];
	int fd[3];
};

FIXTURE_SETUP(lk)
{
	static int n;
	int i;

	if (!mpt_loaded())
		SKIP(return, "mptrace module not loaded");
	self->dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	for (i = 0; i < 3; i++) {
		snprintf(self->name[i], sizeof(self->name[i]), "lt-%d-%d-%c",
			 getpid(), n, 'A' + i);
		self->fd[i] = -1;
	}
	n++;
}

FIXTURE_TEARDOWN(lk)
{
	int i;

	if (self->dev < 0)
		return;
	for (i = 0; i < 3; i++)
		lunlink(self->dev, self->name[i]);
	close(self->dev);
}

/* Create the fixture's locks A, B, C as mutexes. */
static int make3(struct __test_metadata *_metadata, FIXTURE_DATA(lk) *self)
{
	int i;

	for (i = 0; i < 3; i++) {
		self->fd[i] = lcreate(self->dev, self->name[i], MPT_LOCK_MUTEX);
		if (self->fd[i] < 0)
			return -1;
	}
	return 0;
}

TEST_F(lk, create_and_own)
{
	struct mpt_lock_info li;
	struct mpt_lock_acq a = { 0 };
	int fd;

	fd = lopen(self->dev, self->name[0], W | MPT_QOPEN_CREATE,
		   MPT_LOCK_MUTEX, 0640, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, linfo(fd, &li, NULL, 0));
	EXPECT_STREQ(self->name[0], li.name);
	EXPECT_EQ(MPT_LOCK_MUTEX, li.kind);
	EXPECT_EQ(0640, li.mode);
	EXPECT_EQ(0, li.owner_pid);
	EXPECT_EQ(-EEXIST, lopen(self->dev, self->name[0],
				 W | MPT_QOPEN_CREATE | MPT_QOPEN_EXCL,
				 MPT_LOCK_MUTEX, 0600, 0));

	ASSERT_EQ(0, acquire(fd, 0, 0, &a));
	EXPECT_EQ(1, a.count);
	EXPECT_EQ(0, a.flags & MPT_LOCK_PREV_OWNER_DIED);
	ASSERT_EQ(0, linfo(fd, &li, NULL, 0));
	EXPECT_EQ(getpid(), li.owner_pid);
	EXPECT_EQ(gettid(), li.owner_tid);
	EXPECT_EQ(1, li.count);
	EXPECT_NE(0, li.held_ns);
	/* A mutex taken again by its owner: EDEADLK, counted. */
	EXPECT_EQ(-EDEADLK, acquire(fd, 0, 0, NULL));
	EXPECT_EQ(-EDEADLK, acquire(fd, MPT_LOCK_TRY, 0, NULL));
	ASSERT_EQ(0, linfo(fd, &li, NULL, 0));
	EXPECT_EQ(2, li.deadlocks);
	EXPECT_EQ(0, release(fd));
	EXPECT_EQ(-EPERM, release(fd));		/* not held */
	ASSERT_EQ(0, linfo(fd, &li, NULL, 0));
	EXPECT_EQ(0, li.owner_pid);
	EXPECT_EQ(1, li.acquisitions);
	close(fd);
}

TEST_F(lk, recursive)
{
	struct mpt_lock_info li;
	struct mpt_lock_acq a = { 0 };
	int fd, i;

	fd = lcreate(self->dev, self->name[0], MPT_LOCK_RECURSIVE);
	ASSERT_LE(0, fd);
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(0, acquire(fd, 0, 0, &a));
		EXPECT_EQ(i, a.count);
	}
	ASSERT_EQ(0, release(fd));
	ASSERT_EQ(0, release(fd));
	ASSERT_EQ(0, linfo(fd, &li, NULL, 0));
	EXPECT_EQ(getpid(), li.owner_pid);	/* still held, once */
	EXPECT_EQ(1, li.count);
	ASSERT_EQ(0, release(fd));
	ASSERT_EQ(0, linfo(fd, &li, NULL, 0));
	EXPECT_EQ(0, li.owner_pid);
	EXPECT_EQ(-EPERM, release(fd));
	close(fd);
}

/* Held by another: try says EBUSY, a timeout waits that long, non-owners can't release. */
TEST_F(lk, try_timeout_not_owner)
{
	struct mpt_lock_info li;
	struct actor h;
	__u64 t0;

	ASSERT_EQ(0, make3(_metadata, self));
	actor_start(&h, self->fd, "a0p");
	ASSERT_EQ(0, actor_result(&h));
	EXPECT_EQ(-EBUSY, acquire(self->fd[0], MPT_LOCK_TRY, 0, NULL));
	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, acquire(self->fd[0], MPT_LOCK_TIMEOUT,
				      t0 + 200000000ULL, NULL));
	EXPECT_LE(200000000ULL, now_ns() - t0);
	EXPECT_EQ(-EPERM, release(self->fd[0]));
	ASSERT_EQ(0, linfo(self->fd[0], &li, NULL, 0));
	EXPECT_EQ(h.pid, li.owner_pid);
	EXPECT_EQ(1, li.timeouts);
	EXPECT_EQ(1, li.contentions);
	EXPECT_EQ(0, li.nwaiters);
	actor_end(&h);
}

/*
 * The seeds' ticket race: processes do read-modify-write on a shared
 * counter file.  Without the lock updates are lost; with it the total is
 * exact.
 */
static int bump(const char *path, int fd, int times)
{
	for (int i = 0; i < times; i++) {
		char buf[32] = "";
		int f, v;

		if (fd >= 0 && acquire(fd, 0, 0, NULL))
			return 1;
		f = open(path, O_RDWR);
		if (f < 0 || pread(f, buf, sizeof(buf) - 1, 0) < 0)
			return 2;
		v = atoi(buf);
		usleep(200);			/* the window */
		snprintf(buf, sizeof(buf), "%d\n", v + 1);
		if (pwrite(f, buf, strlen(buf), 0) < 0)
			return 3;
		close(f);
		if (fd >= 0 && release(fd))
			return 4;
	}
	return 0;
}

static int run_bumpers(const char *path, int fd, int procs, int times)
{
	char buf[32] = "";
	int i, f, status, bad = 0;

	f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (f < 0 || write(f, "0\n", 2) != 2)
		return -1;
	for (i = 0; i < procs; i++)
		if (fork() == 0)
			_exit(bump(path, fd, times));
	for (i = 0; i < procs; i++)
		if (wait(&status) < 0 || status)
			bad++;
	if (bad || pread(f, buf, sizeof(buf) - 1, 0) < 0)
		return -1;
	close(f);
	return atoi(buf);
}

TEST_F(lk, mutual_exclusion)
{
	const char *path = "/tmp/mpt-lock-counter";
	struct mpt_lock_info li;
	int racy, exact;

	ASSERT_EQ(0, make3(_metadata, self));
	racy = run_bumpers(path, -1, 4, 100);
	exact = run_bumpers(path, self->fd[0], 4, 100);
	TH_LOG("without the lock: %d of 400; with it: %d", racy, exact);
	EXPECT_LT(racy, 400);			/* the race is real */
	EXPECT_EQ(400, exact);
	ASSERT_EQ(0, linfo(self->fd[0], &li, NULL, 0));
	EXPECT_EQ(400, li.acquisitions);
	EXPECT_LT(0, li.contentions);
	EXPECT_LT(0, li.hold_max_ns);
	unlink(path);
}

/* The owner is killed: released; the waiter gets it, told who died. */
TEST_F(lk, owner_killed)
{
	struct mpt_ring_conf conf = { .slots = 256 };
	char buf[64 * MPT_EVENT_MAX_SIZE];
	struct mpt_lock_info li;
	struct mpt_lock_acq a = { 0 };
	struct actor h, w;
	pid_t first, dead[2] = { 0 };
	int rd, died = 0;
	ssize_t len, off;

	rd = open(MPT_DEVICE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, rd);
	ASSERT_EQ(0, ioctl(rd, MPT_IOC_RING_SET, &conf));
	ASSERT_EQ(0, make3(_metadata, self));
	actor_start(&h, self->fd, "a0p");
	ASSERT_EQ(0, actor_result(&h));
	first = h.pid;
	actor_start(&w, self->fd, "a0r0p");
	ASSERT_TRUE(await_waiters(self->fd[0], 1));
	kill(h.pid, SIGKILL);
	waitpid(h.pid, NULL, 0);
	EXPECT_EQ(0, actor_result(&w));		/* handed over */
	EXPECT_EQ(0, actor_result(&w));		/* and released */
	ASSERT_EQ(0, linfo(self->fd[0], &li, NULL, 0));
	EXPECT_EQ(1, li.owner_deaths);
	EXPECT_EQ(0, li.flags & MPT_LOCK_OWNER_DEAD);	/* told, so cleared */

	/* No waiter this time: the next acquirer is told. */
	actor_end(&w);
	actor_start(&h, self->fd, "a0p");
	ASSERT_EQ(0, actor_result(&h));
	kill(h.pid, SIGKILL);
	waitpid(h.pid, NULL, 0);
	ASSERT_EQ(0, linfo(self->fd[0], &li, NULL, 0));
	EXPECT_EQ(MPT_LOCK_OWNER_DEAD, li.flags & MPT_LOCK_OWNER_DEAD);
	EXPECT_EQ(0, li.owner_pid);
	ASSERT_EQ(0, acquire(self->fd[0], 0, 0, &a));
	EXPECT_EQ(MPT_LOCK_PREV_OWNER_DIED, a.flags & MPT_LOCK_PREV_OWNER_DIED);
	EXPECT_EQ(h.pid, a.dead_pid);
	EXPECT_EQ(h.pid, a.dead_tid);
	EXPECT_EQ(0, release(self->fd[0]));
	ASSERT_EQ(0, acquire(self->fd[0], 0, 0, &a));	/* told once only */
	EXPECT_EQ(0, a.flags & MPT_LOCK_PREV_OWNER_DIED);
	EXPECT_EQ(0, release(self->fd[0]));
	close(h.go);
	close(h.res);

	while ((len = read(rd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < len; off += ((struct mpt_event_hdr *)(buf + off))->size) {
			struct mpt_event_lock *e = (void *)(buf + off);

			if (e->hdr.type != MPT_EV_LOCK_OWNER_DIED ||
			    strcmp(e->name, self->name[0]))
				continue;
			if (died < 2)
				dead[died] = e->task.pid;
			died++;
		}
	}
	EXPECT_EQ(2, died);
	EXPECT_EQ(first, dead[0]);
	EXPECT_EQ(h.pid, dead[1]);
	close(rd);
}

/*
 * A thread that takes a fatal signal lets its locks go then, before its
 * exit: the owner below stays stopped inside its exit (a tracer asked
 * for PTRACE_EVENT_EXIT, which stops before the address space goes and
 * before the exit probe), and a waiter is handed the lock all the same.
 * With the release at the exit only, the waiter times out.
 */
TEST_F(lk, owner_killed_released_before_exit)
{
	struct mpt_lock_acq a = { 0 };
	int ready[2], st;
	pid_t pid;
	char c;

	ASSERT_EQ(0, make3(_metadata, self));
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (acquire(self->fd[0], 0, 0, NULL) || write(ready[1], "h", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	/* EXITKILL: whatever fails below, the owner does not outlive us. */
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, pid, 0,
			    PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL));
	ASSERT_EQ(0, kill(pid, SIGTERM));
	/* The tracer sees the signal first, and lets it be delivered. */
	ASSERT_EQ(pid, waitpid(pid, &st, __WALL));
	ASSERT_TRUE(WIFSTOPPED(st));
	ASSERT_EQ(SIGTERM, WSTOPSIG(st));
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, 0, SIGTERM));
	ASSERT_EQ(pid, waitpid(pid, &st, __WALL));
	ASSERT_TRUE(WIFSTOPPED(st));
	ASSERT_EQ(SIGTRAP | (PTRACE_EVENT_EXIT << 8), st >> 8);

	/* Stopped in do_exit(): the lock is free already, told as dead. */
	ASSERT_EQ(0, acquire(self->fd[0], MPT_LOCK_TIMEOUT,
			     now_ns() + 5000000000ULL, &a));
	EXPECT_EQ(MPT_LOCK_PREV_OWNER_DIED, a.flags & MPT_LOCK_PREV_OWNER_DIED);
	EXPECT_EQ(pid, a.dead_pid);
	EXPECT_EQ(pid, a.dead_tid);
	EXPECT_EQ(0, release(self->fd[0]));

	EXPECT_EQ(0, ptrace(PTRACE_CONT, pid, 0, 0));
	ASSERT_EQ(pid, waitpid(pid, &st, __WALL));
	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(SIGTERM, WTERMSIG(st));
	close(ready[0]);
	close(ready[1]);
}

/* A thread of a multi-threaded process ends holding the lock. */
struct thr {
	int fd;
	pid_t tid;
	int ret;
};

static void *holder_thread(void *p)
{
	struct thr *t = p;

	t->tid = gettid();
	t->ret = acquire(t->fd, 0, 0, NULL);
	/* End this thread only, without unwinding (libgcc_s is absent). */
	syscall(SYS_exit, 0);
	return NULL;
}

TEST_F(lk, owner_thread_exits)
{
	struct thr t = { .ret = -1 };
	struct mpt_lock_acq a = { 0 };
	pthread_t th;

	ASSERT_EQ(0, make3(_metadata, self));
	t.fd = self->fd[0];
	ASSERT_EQ(0, pthread_create(&th, NULL, holder_thread, &t));
	pthread_join(th, NULL);
	ASSERT_EQ(0, t.ret);
	ASSERT_EQ(0, acquire(self->fd[0], 0, 0, &a));
	EXPECT_EQ(MPT_LOCK_PREV_OWNER_DIED, a.flags & MPT_LOCK_PREV_OWNER_DIED);
	EXPECT_EQ(getpid(), a.dead_pid);
	EXPECT_EQ(t.tid, a.dead_tid);
	EXPECT_EQ(0, release(self->fd[0]));
}

/* Read the DEADLOCK records of @rd about lock name @name prefix. */
static int deadlocks(int rd, struct mpt_event_deadlock *out, int max)
{
	char buf[64 * MPT_EVENT_MAX_SIZE];
	ssize_t len, off;
	int n = 0;

	while ((len = read(rd, buf, sizeof(buf))) > 0)
		for (off = 0; off < len;
		     off += ((struct mpt_event_hdr *)(buf + off))->size)
			if (((struct mpt_event_hdr *)(buf + off))->type ==
			    MPT_EV_DEADLOCK && n < max)
				memcpy(&out[n++], buf + off, sizeof(*out));
	return n;
}

static int reader(void)
{
	struct mpt_ring_conf conf = { .slots = 256 };
	struct mpt_filter f = { .types = 1 << MPT_EV_DEADLOCK };
	int rd = open(MPT_DEVICE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (rd < 0 || ioctl(rd, MPT_IOC_RING_SET, &conf) ||
	    ioctl(rd, MPT_IOC_FILTER_SET, &f))
		return -1;
	return rd;
}

/* ABBA: exactly one of the two is refused, at once, and the cycle named. */
TEST_F(lk, abba)
{
	struct mpt_event_deadlock ev[4];
	struct actor p1, p2;
	int rd;

	rd = reader();
	ASSERT_LE(0, rd);
	ASSERT_EQ(0, make3(_metadata, self));
	actor_start(&p1, self->fd, "a0ga1r1r0p");	/* A, then B */
	actor_start(&p2, self->fd, "a1ga0r1p");		/* B, then A */
	ASSERT_EQ(0, actor_result(&p1));
	ASSERT_EQ(0, actor_result(&p2));
	actor_go(&p1);
	ASSERT_TRUE(await_waiters(self->fd[1], 1));	/* p1 waits for B */
	actor_go(&p2);
	EXPECT_EQ(-EDEADLK, actor_result(&p2));		/* p2 refused */
	EXPECT_EQ(0, actor_result(&p2));		/* releases B */
	EXPECT_EQ(0, actor_result(&p1));		/* so p1 gets B */
	EXPECT_EQ(0, actor_result(&p1));
	EXPECT_EQ(0, actor_result(&p1));
	ASSERT_EQ(1, deadlocks(rd, ev, 4));
	EXPECT_EQ(p2.pid, ev[0].task.pid);
	EXPECT_EQ(2, ev[0].len);
	EXPECT_EQ(0, ev[0].flags);
	EXPECT_EQ(p2.pid, ev[0].cycle[0].pid);
	EXPECT_EQ(p1.pid, ev[0].cycle[1].pid);
	EXPECT_EQ(0, strncmp(self->name[0], ev[0].cycle[0].name,
			     MPT_SHORT_NAME_LEN - 1));
	EXPECT_EQ(0, strncmp(self->name[1], ev[0].cycle[1].name,
			     MPT_SHORT_NAME_LEN - 1));
	actor_end(&p1);
	actor_end(&p2);
	close(rd);
}

/* A ring of three, the last closing it; and a chain that does not close. */
TEST_F(lk, cycle3_and_chain)
{
	struct mpt_event_deadlock ev[4];
	struct actor p[3];
	int rd, i;

	rd = reader();
	ASSERT_LE(0, rd);
	ASSERT_EQ(0, make3(_metadata, self));
	actor_start(&p[0], self->fd, "a0ga1p");
	actor_start(&p[1], self->fd, "a1ga2p");
	actor_start(&p[2], self->fd, "a2ga0p");
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, actor_result(&p[i]));
	/* p0 -> B (held by p1), p1 -> C (held by p2): a chain, both wait. */
	actor_go(&p[0]);
	ASSERT_TRUE(await_waiters(self->fd[1], 1));
	actor_go(&p[1]);
	ASSERT_TRUE(await_waiters(self->fd[2], 1));
	EXPECT_EQ(0, deadlocks(rd, ev, 4));		/* no false positive */
	/* p2 -> A closes the ring. */
	actor_go(&p[2]);
	EXPECT_EQ(-EDEADLK, actor_result(&p[2]));
	ASSERT_EQ(1, deadlocks(rd, ev, 4));
	EXPECT_EQ(3, ev[0].len);
	EXPECT_EQ(p[2].pid, ev[0].cycle[0].pid);
	EXPECT_EQ(p[0].pid, ev[0].cycle[1].pid);
	EXPECT_EQ(p[1].pid, ev[0].cycle[2].pid);
	for (i = 0; i < 3; i++)
		actor_end(&p[i]);
	close(rd);
}

/* A wait with a timeout is a wait: closing a cycle on it is refused too. */
TEST_F(lk, timed_wait_counts)
{
	struct mpt_lock_info li;
	int go[2], status;
	pid_t pid;
	char c;

	ASSERT_EQ(0, make3(_metadata, self));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, acquire(self->fd[1], 0, 0, NULL));	/* we hold B */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Hold A, then wait for B, for at most 20 s. */
		if (acquire(self->fd[0], 0, 0, NULL) || write(go[1], "x", 1) != 1)
			_exit(1);
		_exit(acquire(self->fd[1], MPT_LOCK_TIMEOUT,
			      now_ns() + 20000000000ULL, NULL) ? 2 : 0);
	}
	ASSERT_EQ(1, read(go[0], &c, 1));
	ASSERT_TRUE(await_waiters(self->fd[1], 1));
	/* We hold B and ask for A, whose owner waits (timed) for B. */
	EXPECT_EQ(-EDEADLK, acquire(self->fd[0], 0, 0, NULL));
	EXPECT_EQ(-EDEADLK, acquire(self->fd[0], MPT_LOCK_TIMEOUT,
				    now_ns() + 1000000000ULL, NULL));
	ASSERT_EQ(0, linfo(self->fd[0], &li, NULL, 0));
	EXPECT_EQ(2, li.deadlocks);
	EXPECT_EQ(0, release(self->fd[1]));		/* the child gets B */
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
}

/*
 * Nobody starves: a hog that holds the lock and takes it again as soon
 * as it lets go, never sleeping, steals the free lock from the woken
 * waiter, but the waiter that lost once is handed the lock by the next
 * release.  Without that hand-off the waiter loses the race over and
 * over.  Waiters are listed in the order they came.
 */
TEST_F(lk, no_starvation)
{
	struct mpt_lwaiter lw[4];
	struct mpt_lock_info li;
	volatile long *shm;
	struct actor w[3];
	int i, got = 0, status;
	long most = 0;
	pid_t hog;

	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shm);
	ASSERT_EQ(0, make3(_metadata, self));

	/* Listed in the order they came. */
	ASSERT_EQ(0, acquire(self->fd[0], 0, 0, NULL));
	for (i = 0; i < 3; i++) {
		w[i].pid = fork();
		ASSERT_LE(0, w[i].pid);
		if (!w[i].pid)
			_exit(acquire(self->fd[0], 0, 0, NULL) ||
			      release(self->fd[0]) ? 1 : 0);
		ASSERT_TRUE(await_waiters(self->fd[0], i + 1));
	}
	ASSERT_EQ(0, linfo(self->fd[0], &li, lw, 4));
	ASSERT_EQ(3, li.waiters_max);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(w[i].pid, lw[i].pid);
	EXPECT_EQ(0, release(self->fd[0]));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(w[i].pid, waitpid(w[i].pid, &status, 0));
		EXPECT_EQ(0, status);
	}

	/* The hog, on the lock B. */
	hog = fork();
	ASSERT_LE(0, hog);
	if (!hog) {
		while (!shm[0]) {
			__u64 t;

			if (acquire(self->fd[1], 0, 0, NULL))
				_exit(1);
			/* Hold it 200 us: it is free only between two calls. */
			for (t = now_ns(); now_ns() - t < 200000;)
				;
			if (release(self->fd[1]))
				_exit(1);
			shm[1]++;
		}
		_exit(0);
	}
	while (shm[1] < 100)
		usleep(1000);
	/*
	 * Twenty times, each within 5 s and a few of the hog's releases:
	 * woken by the first, handed it by the next one once the loss is
	 * known, or 1 ms (5 holds) after the wake: 7 at most once queued.
	 * The slack is for a vCPU the host does not run for a while before
	 * we are queued; without the hand-off, thousands go by.
	 */
	for (i = 0; i < 20; i++) {
		long before = shm[1], passed;

		if (acquire(self->fd[1], MPT_LOCK_TIMEOUT,
			    now_ns() + 5000000000ULL, NULL))
			break;
		passed = shm[1] - before;
		most = passed > most ? passed : most;
		got++;
		ASSERT_EQ(0, release(self->fd[1]));
		usleep(1000);
	}
	shm[0] = 1;
	ASSERT_EQ(hog, waitpid(hog, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(20, got);
	TH_LOG("the hog let go at most %ld times while we waited", most);
	EXPECT_GE(100, most);
	ASSERT_EQ(0, linfo(self->fd[1], &li, NULL, 0));
	EXPECT_EQ(0, li.nwaiters);
	EXPECT_EQ(0, li.timeouts);
	EXPECT_EQ(shm[1] + 20, li.acquisitions);
	munmap((void *)shm, 4096);
}

struct perm {
	const char *name;
	__u32 flags;
};

static int nobody_lock(void *p)
{
	const struct perm *a = p;
	int dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC), fd;

	if (dev < 0)
		return 99;
	fd = lopen(dev, a->name, a->flags, 0, 0, 0);
	if (fd == -EACCES)
		return 13;
	if (fd < 0)
		return 98;
	if (acquire(fd, MPT_LOCK_TRY, 0, NULL) == -EBADF)
		return 9;			/* opened, but not to take */
	return lunlink(dev, a->name) == -EPERM ? 1 : 0;
}

TEST_F(lk, permissions)
{
	struct perm a = { .name = self->name[0] };
	int fd;

	fd = lopen(self->dev, self->name[0], W | MPT_QOPEN_CREATE,
		   MPT_LOCK_MUTEX, 0604, 0);
	ASSERT_LE(0, fd);
	a.flags = MPT_QOPEN_WRITE;
	EXPECT_EQ(13, mpt_as_nobody(nobody_lock, &a));
	a.flags = MPT_QOPEN_READ;
	EXPECT_EQ(9, mpt_as_nobody(nobody_lock, &a));
	close(fd);
	ASSERT_EQ(0, lunlink(self->dev, self->name[0]));
	fd = lopen(self->dev, self->name[0], W | MPT_QOPEN_CREATE,
		   MPT_LOCK_MUTEX, 0606, 0);
	ASSERT_LE(0, fd);
	a.flags = MPT_QOPEN_WRITE;
	EXPECT_EQ(1, mpt_as_nobody(nobody_lock, &a));	/* takes; can't rm */
	close(fd);
}

/* Removing the name of a held lock: still held, released by its owner. */
TEST_F(lk, remove_while_held)
{
	struct mpt_lock_info li, li2;
	int fd2;

	ASSERT_EQ(0, make3(_metadata, self));
	ASSERT_EQ(0, acquire(self->fd[0], 0, 0, NULL));
	ASSERT_EQ(0, lunlink(self->dev, self->name[0]));
	ASSERT_EQ(0, linfo(self->fd[0], &li, NULL, 0));
	EXPECT_EQ(MPT_LOCK_UNLINKED, li.flags & MPT_LOCK_UNLINKED);
	EXPECT_EQ(getpid(), li.owner_pid);
	fd2 = lcreate(self->dev, self->name[0], MPT_LOCK_MUTEX);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, linfo(fd2, &li2, NULL, 0));
	EXPECT_NE(li.id, li2.id);
	EXPECT_EQ(0, li2.owner_pid);
	EXPECT_EQ(0, acquire(fd2, MPT_LOCK_TRY, 0, NULL));
	EXPECT_EQ(0, release(self->fd[0]));
	EXPECT_EQ(0, release(fd2));
	close(fd2);
}

TEST_F(lk, bad_input)
{
	struct mpt_lock_open lo = { .flags = W | MPT_QOPEN_CREATE,
				    .kind = MPT_LOCK_MUTEX, .mode = 0600 };
	struct mpt_queues_req req = { 0 };
	struct mpt_lock_info li;
	struct mpt_lock_acq a = { 0 };
	int fd;

	EXPECT_EQ(-EINVAL, lopen(self->dev, "", W | MPT_QOPEN_CREATE,
				 MPT_LOCK_MUTEX, 0600, 0));
	EXPECT_EQ(-EINVAL, lopen(self->dev, "a/b", W | MPT_QOPEN_CREATE,
				 MPT_LOCK_MUTEX, 0600, 0));
	EXPECT_EQ(-EINVAL, lopen(self->dev, self->name[0], W | MPT_QOPEN_CREATE,
				 0, 0600, 0));		/* no kind */
	EXPECT_EQ(-EINVAL, lopen(self->dev, self->name[0], W | MPT_QOPEN_CREATE,
				 3, 0600, 0));
	EXPECT_EQ(-EINVAL, lopen(self->dev, self->name[0], W | MPT_QOPEN_CREATE,
				 MPT_LOCK_MUTEX, 0600, 2));
	EXPECT_EQ(-EINVAL, lopen(self->dev, self->name[0], W | MPT_QOPEN_CREATE |
				 MPT_QOPEN_NONBLOCK, MPT_LOCK_MUTEX, 0600, 0));
	EXPECT_EQ(-EINVAL, lopen(self->dev, self->name[0], W | MPT_QOPEN_CREATE,
				 MPT_LOCK_MUTEX, 02000, 0));
	memset(lo.name, 'x', sizeof(lo.name));		/* unterminated */
	EXPECT_EQ(-1, ioctl(self->dev, MPT_IOC_LOCK_OPEN, &lo));
	EXPECT_EQ(EINVAL, errno);
	snprintf(lo.name, sizeof(lo.name), "%s", self->name[0]);
	lo.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->dev, MPT_IOC_LOCK_OPEN, &lo));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->dev, MPT_IOC_LOCK_OPEN, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->dev, MPT_IOC_LOCKS, &req));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-ENOENT, lopen(self->dev, self->name[0], W, 0, 0, 0));

	fd = lcreate(self->dev, self->name[0], MPT_LOCK_MUTEX);
	ASSERT_LE(0, fd);
	a.flags = 1U << 5;
	EXPECT_EQ(-1, ioctl(fd, MPT_LIOC_ACQUIRE, &a));
	EXPECT_EQ(EINVAL, errno);
	a.flags = MPT_LOCK_PREV_OWNER_DIED;		/* an output flag */
	EXPECT_EQ(-1, ioctl(fd, MPT_LIOC_ACQUIRE, &a));
	EXPECT_EQ(EINVAL, errno);
	a.flags = 0;
	a.deadline_ns = 5;				/* without TIMEOUT */
	EXPECT_EQ(-1, ioctl(fd, MPT_LIOC_ACQUIRE, &a));
	EXPECT_EQ(EINVAL, errno);
	a.deadline_ns = 0;
	a.count = 1;
	EXPECT_EQ(-1, ioctl(fd, MPT_LIOC_ACQUIRE, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, MPT_LIOC_ACQUIRE, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, MPT_LIOC_RELEASE, 1));
	EXPECT_EQ(EINVAL, errno);
	memset(&li, 0, sizeof(li));
	li.waiters = (uintptr_t)&li;
	li.waiters_max = MPT_LOCK_LIST_MAX + 1;
	EXPECT_EQ(-1, ioctl(fd, MPT_LIOC_INFO, &li));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, MPT_QIOC_PUT, &a));	/* a queue's */
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->dev, MPT_LIOC_RELEASE, 0));	/* on /dev */
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, read(fd, &li, 8));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, linfo(fd, &li, NULL, 0));
	EXPECT_EQ(0, li.acquisitions);
	EXPECT_EQ(0, li.owner_pid);
	close(fd);
}

/* Events: create, contended (naming the holder), traced acquire/release, remove. */
TEST_F(lk, events_and_dump)
{
	struct mpt_ring_conf conf = { .slots = 256 };
	char buf[64 * MPT_EVENT_MAX_SIZE], rbuf[32768];
	int rd, fd, nl, family, types[8] = { 0 }, found = 0;
	struct mpt_nlmsg m;
	struct actor h, w;
	ssize_t len, off;

	rd = open(MPT_DEVICE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, rd);
	ASSERT_EQ(0, ioctl(rd, MPT_IOC_RING_SET, &conf));
	fd = lopen(self->dev, self->name[0], W | MPT_QOPEN_CREATE,
		   MPT_LOCK_RECURSIVE, 0600, MPT_LOCK_TRACE);
	ASSERT_LE(0, fd);
	self->fd[0] = fd;
	actor_start(&h, self->fd, "a0gr0p");
	ASSERT_EQ(0, actor_result(&h));
	actor_start(&w, self->fd, "a0r0p");
	ASSERT_TRUE(await_waiters(fd, 1));

	/* The dump, meanwhile: owner h, one waiter w. */
	nl = mpt_nl_socket();
	ASSERT_LE(0, nl);
	family = mpt_genl_family(nl, MPT_GENL_NAME, NULL, NULL);
	ASSERT_LT(0, family);
	mpt_nlmsg_init(&m, family, MPT_CMD_GET_LOCKS, NLM_F_DUMP);
	ASSERT_LT(0, send(nl, &m, m.n.nlmsg_len, 0));
	for (;;) {
		struct nlmsghdr *hh;

		len = recv(nl, rbuf, sizeof(rbuf), 0);
		ASSERT_LT(0, len);
		for (hh = (struct nlmsghdr *)rbuf; NLMSG_OK(hh, len);
		     hh = NLMSG_NEXT(hh, len)) {
			struct nlattr *nest, *a, *wn;

			if (hh->nlmsg_type == NLMSG_DONE)
				goto done;
			ASSERT_NE(NLMSG_ERROR, hh->nlmsg_type);
			nest = mpt_nla_find(MPT_GENL_ATTRS(hh),
					    MPT_GENL_ATTRLEN(hh), MPT_A_LOCK);
			ASSERT_NE(NULL, nest);
			a = mpt_nla_find(MPT_NLA_DATA(nest),
					 nest->nla_len - NLA_HDRLEN,
					 MPT_LOCK_A_NAME);
			ASSERT_NE(NULL, a);
			if (strcmp(MPT_NLA_DATA(a), self->name[0]))
				continue;
			found++;
			a = mpt_nla_find(MPT_NLA_DATA(nest),
					 nest->nla_len - NLA_HDRLEN,
					 MPT_LOCK_A_OWNER_PID);
			ASSERT_NE(NULL, a);
			EXPECT_EQ(h.pid, *(__u32 *)MPT_NLA_DATA(a));
			wn = mpt_nla_find(MPT_NLA_DATA(nest),
					  nest->nla_len - NLA_HDRLEN,
					  MPT_LOCK_A_WAITER);
			ASSERT_NE(NULL, wn);
			a = mpt_nla_find(MPT_NLA_DATA(wn),
					 wn->nla_len - NLA_HDRLEN,
					 MPT_QWAITER_A_PID);
			ASSERT_NE(NULL, a);
			EXPECT_EQ(w.pid, *(__u32 *)MPT_NLA_DATA(a));
		}
	}
done:
	EXPECT_EQ(1, found);
	close(nl);

	actor_go(&h);
	EXPECT_EQ(0, actor_result(&h));
	EXPECT_EQ(0, actor_result(&w));
	EXPECT_EQ(0, actor_result(&w));
	ASSERT_EQ(0, lunlink(self->dev, self->name[0]));
	while ((len = read(rd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < len;) {
			struct mpt_event_lock *e = (void *)(buf + off);

			off += e->hdr.size;
			if (e->hdr.type < MPT_EV_LOCK_CREATE ||
			    e->hdr.type > MPT_EV_LOCK_RELEASE ||
			    e->hdr.type == MPT_EV_DEADLOCK ||
			    strcmp(e->name, self->name[0]))
				continue;
			types[e->hdr.type - MPT_EV_LOCK_CREATE]++;
			if (e->hdr.type == MPT_EV_LOCK_CONTENDED) {
				EXPECT_EQ(w.pid, e->task.pid);
				EXPECT_EQ(h.pid, e->owner_pid);
			}
		}
	}
	EXPECT_EQ(1, types[MPT_EV_LOCK_CREATE - MPT_EV_LOCK_CREATE]);
	EXPECT_EQ(1, types[MPT_EV_LOCK_CONTENDED - MPT_EV_LOCK_CREATE]);
	EXPECT_EQ(2, types[MPT_EV_LOCK_ACQUIRE - MPT_EV_LOCK_CREATE]);
	EXPECT_EQ(2, types[MPT_EV_LOCK_RELEASE - MPT_EV_LOCK_CREATE]);
	EXPECT_EQ(1, types[MPT_EV_LOCK_REMOVE - MPT_EV_LOCK_CREATE]);
	actor_end(&h);
	actor_end(&w);
	close(rd);
}

/* max_locks refuses with ENOSPC; unload waits for holders and waiters. */
TEST_F(lk, limits_and_unload)
{
	struct actor h, w;
	int fds[3], nl, family;

	if (!mpt_ko_path())
		SKIP(return, "MPTRACE_KO not set: cannot reload the module");
	close(self->dev);
	self->dev = -1;
	ASSERT_EQ(0, mpt_unload());
	ASSERT_EQ(0, mpt_load_with("max_locks=2"));
	self->dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	fds[0] = lcreate(self->dev, "lt-x", MPT_LOCK_MUTEX);
	fds[1] = lcreate(self->dev, "lt-y", MPT_LOCK_MUTEX);
	ASSERT_LE(0, fds[0]);
	ASSERT_LE(0, fds[1]);
	EXPECT_EQ(-ENOSPC, lcreate(self->dev, "lt-z", MPT_LOCK_MUTEX));
	nl = mpt_nl_socket();
	ASSERT_LE(0, nl);
	family = mpt_genl_family(nl, MPT_GENL_NAME, NULL, NULL);
	EXPECT_EQ(1, mpt_stat(nl, family, MPT_STATS_A_LOCK_REFUSED));
	EXPECT_EQ(2, mpt_stat(nl, family, MPT_STATS_A_LOCKS));

	actor_start(&h, fds, "a0p");
	ASSERT_EQ(0, actor_result(&h));
	actor_start(&w, fds, "a0p");
	ASSERT_TRUE(await_waiters(fds[0], 1));
	EXPECT_EQ(1, mpt_stat(nl, family, MPT_STATS_A_LOCKS_HELD));
	close(nl);
	close(fds[0]);
	close(fds[1]);
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(-EAGAIN, mpt_unload());	/* their files hold it */
	actor_end(&h);
	actor_end(&w);
	EXPECT_EQ(0, mpt_unload());		/* named locks alone: freed */
	ASSERT_EQ(0, mpt_load());
	self->dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	EXPECT_EQ(-ENOENT, lopen(self->dev, "lt-x", W, 0, 0, 0));
}

TEST_HARNESS_MAIN
