// SPDX-License-Identifier: GPL-2.0
/*
 * Locks: mutual exclusion (and the race without it), recursion, try and
 * timeouts, ownership, owner death (process and thread; released when
 * the fatal signal is taken, before the exit), deadlock
 * refusal (ABBA, a 3-cycle, waits with timeouts) without false positives,
 * no starvation under barging, permissions, removal, limits and unload, bad input,
 * events and the netlink dump; and fast locks (the fast.* tests: the
 * word's protocol spoken raw, against the kernel's view of the same
 * lock).  Children act on cue through pipes; every result is checked
 * against what they were told to do.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
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

/* Zeroed memory @size long that the children of fork() share, or NULL. */
static void *shared_mem(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
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

/*
 * Fork @a's process, with a pipe each way: in the parent, @a->go and
 * @a->res are the ends it writes and reads; in the child (true), the
 * ends it reads and writes.
 */
static bool actor_fork(struct actor *a)
{
	int go[2], res[2];

	if (pipe(go) || pipe(res))
		abort();
	a->pid = fork();
	if (a->pid < 0)
		abort();
	if (a->pid) {
		close(go[0]);
		close(res[1]);
		a->go = go[1];
		a->res = res[0];
		return false;
	}
	close(go[1]);
	close(res[0]);
	a->go = go[0];
	a->res = res[1];
	return true;
}

/* In an actor's process: the script's 'g' (wait for a go) or 'p' (pause). */
static void actor_wait(struct actor *a, char op)
{
	char c;

	if (op == 'p')
		pause();
	else if (read(a->go, &c, 1) != 1)
		_exit(1);
}

static void actor_start(struct actor *a, const int *fds, const char *script)
{
	if (!actor_fork(a))
		return;
	for (; *script; script++) {
		int r = 0;

		switch (*script) {
		case 'a':
			r = acquire(fds[*++script - '0'], 0, 0, NULL);
			break;
		case 'r':
			r = release(fds[*++script - '0']);
			break;
		case 'g':
		case 'p':
			actor_wait(a, *script);
			continue;
		}
		if (write(a->res, &r, sizeof(r)) != sizeof(r))
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
	ASSERT_LE(0, racy);			/* -1: a bumper failed */
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
 * Nobody starves: a thread that runs may take the free lock before the
 * waiter a release woke (it steals it), but once that waiter ran, lost
 * and waits again, a release at least 1 ms after its first wake hands
 * it the lock.  Without the hand-off a hog that takes the lock again
 * as soon as it lets go wins over and over.  The waiter and we share one
 * CPU, ours SCHED_FIFO: the woken waiter runs only when we let it, so
 * every step is certain, not a race won (as fast.steal does for the
 * word).  Waiters are listed in the order they came.
 */
TEST_F(lk, no_starvation)
{
	struct sched_param rt = { .sched_priority = 1 };
	struct sched_param normal = { 0 };
	struct mpt_lwaiter lw[4];
	struct mpt_lock_info li;
	cpu_set_t all, one;
	struct actor w[3];
	int i, status;
	pid_t waiter;

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

	/* On lock B: a waiter on our CPU alone (it inherits that). */
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(all), &all));
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	ASSERT_EQ(0, acquire(self->fd[1], 0, 0, NULL));
	waiter = fork();
	ASSERT_LE(0, waiter);
	if (!waiter)
		_exit(acquire(self->fd[1], 0, 0, NULL) ||
		      release(self->fd[1]) ? 1 : 0);
	ASSERT_TRUE(await_waiters(self->fd[1], 1));
	for (i = 0; i < 500 && mpt_proc_state(waiter) != 'S'; i++)
		usleep(10000);
	ASSERT_EQ('S', mpt_proc_state(waiter));		/* asleep in it */

	if (sched_setscheduler(0, SCHED_FIFO, &rt)) {
		sched_setaffinity(0, sizeof(all), &all);
		kill(waiter, SIGKILL);
		waitpid(waiter, NULL, 0);
		SKIP(return, "SCHED_FIFO refused: %s", strerror(errno));
	}
	/* Our release wakes it and leaves the lock free. */
	ASSERT_EQ(0, release(self->fd[1]));
	EXPECT_EQ('R', mpt_proc_state(waiter));		/* woken, not run */
	ASSERT_EQ(0, linfo(self->fd[1], &li, NULL, 0));
	EXPECT_EQ(0, li.owner_pid);
	EXPECT_EQ(1, li.nwaiters);
	/* Stolen: neither handed to it nor woken again before it ran. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, acquire(self->fd[1], MPT_LOCK_TRY, 0, NULL));
		ASSERT_EQ(0, release(self->fd[1]));
		ASSERT_EQ(0, linfo(self->fd[1], &li, NULL, 0));
		EXPECT_EQ(0, li.owner_pid);
		EXPECT_EQ(1, li.nwaiters);
	}
	/* Taken again; the waiter runs, finds it taken, sleeps again. */
	ASSERT_EQ(0, acquire(self->fd[1], MPT_LOCK_TRY, 0, NULL));
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_OTHER, &normal));
	for (i = 0; i < 500 && mpt_proc_state(waiter) != 'S'; i++)
		usleep(10000);
	ASSERT_EQ('S', mpt_proc_state(waiter));
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_FIFO, &rt));
	usleep(3000);		/* over the hand-off delay since its wake */
	ASSERT_EQ(0, linfo(self->fd[1], &li, NULL, 0));
	EXPECT_EQ(getpid(), li.owner_pid);
	EXPECT_EQ(1, li.nwaiters);

	/* Our release hands it the lock: its own before it even ran. */
	ASSERT_EQ(0, release(self->fd[1]));
	ASSERT_EQ(0, linfo(self->fd[1], &li, NULL, 0));
	EXPECT_EQ(waiter, li.owner_pid);
	EXPECT_EQ(0, li.nwaiters);
	i = acquire(self->fd[1], MPT_LOCK_TRY, 0, NULL);
	if (!i)			/* a failure: not to keep the waiter waiting */
		release(self->fd[1]);
	EXPECT_EQ(-EBUSY, i);
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_OTHER, &normal));
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(all), &all));

	ASSERT_EQ(waiter, waitpid(waiter, &status, 0));
	EXPECT_EQ(0, status);
	ASSERT_EQ(0, linfo(self->fd[1], &li, NULL, 0));
	EXPECT_EQ(0, li.owner_pid);
	EXPECT_EQ(0, li.nwaiters);
	EXPECT_EQ(0, li.timeouts);
	EXPECT_EQ(1, li.contentions);
	/* Ours: 1 + 3 stolen + 1; the waiter's: 1. */
	EXPECT_EQ(6, li.acquisitions);
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

/* --- fast locks ------------------------------------------------------------------ */

/*
 * Fast locks (MPT_LOCK_FAST): the protocol of the header's "Fast locks",
 * spoken raw here, and the kernel's side of it checked from outside: the
 * word of the mapped page, the lock's info, events, who gets the lock.
 */
struct fl {
	int fd;
	struct mpt_lock_page *pg;
	bool recursive;
};

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static struct mpt_lock_page *fmap(int fd, int prot)
{
	void *p = mmap(NULL, page_size(), prot, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* mmap()'s errno for one form, 0 if it maps (and the map is undone). */
static int mmap_err(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

static int ftoken(int fd, __u32 *tok)
{
	*tok = 0;
	return ioctl(fd, MPT_LIOC_TOKEN, tok) ? -errno : 0;
}

static __u64 fword(const struct fl *l)
{
	return __atomic_load_n(&l->pg->word, __ATOMIC_SEQ_CST);
}

static __u64 wtok(__u32 tok, __u32 count)
{
	return tok | (__u64)count * MPT_LOCKW_ONE;
}

/*
 * Acquire @l as the protocol says, with token @tok: the word first, the
 * ioctl (with @flags, @deadline) otherwise.  *@user says which took it.
 */
static int fast_acquire(struct fl *l, __u32 tok, __u32 flags, __u64 deadline,
			struct mpt_lock_acq *out, bool *user)
{
	__u64 w = 0, nw = wtok(tok, 1), n;
	struct mpt_lock_acq a;
	bool u;

	if (!user)
		user = &u;
	if (!out)
		out = &a;
	*user = false;
	if (__atomic_compare_exchange_n(&l->pg->word, &w, nw, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		goto got;
	if (w == MPT_LOCKW_WAITERS) {	/* free, a waiter woken */
		nw |= MPT_LOCKW_WAITERS;
		if (__atomic_compare_exchange_n(&l->pg->word, &w, nw, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			goto got;
	}
	if (l->recursive && (w & MPT_LOCKW_TOKEN) == tok &&
	    !(w & MPT_LOCKW_KERNEL) && (w & MPT_LOCKW_COUNT) &&
	    (w & MPT_LOCKW_COUNT) != MPT_LOCKW_COUNT) {
		nw = w + MPT_LOCKW_ONE;
		if (__atomic_compare_exchange_n(&l->pg->word, &w, nw, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			goto got;
	}
	return acquire(l->fd, flags, deadline, out);
got:
	n = __atomic_load_n(&l->pg->fast_acquisitions, __ATOMIC_RELAXED);
	__atomic_store_n(&l->pg->fast_acquisitions, n + 1, __ATOMIC_RELAXED);
	memset(out, 0, sizeof(*out));
	out->count = (nw & MPT_LOCKW_COUNT) >> 32;
	*user = true;
	return 0;
}

/* Release @l as the protocol says; *@user says whether the word did it. */
static int fast_release(struct fl *l, __u32 tok, bool *user)
{
	__u64 w = __atomic_load_n(&l->pg->word, __ATOMIC_RELAXED), nw;
	bool u;

	if (!user)
		user = &u;
	*user = false;
	if ((w & MPT_LOCKW_TOKEN) == tok && !(w & MPT_LOCKW_KERNEL) &&
	    (w & MPT_LOCKW_COUNT) &&
	    ((w & MPT_LOCKW_COUNT) > MPT_LOCKW_ONE ||
	     !(w & MPT_LOCKW_WAITERS))) {
		nw = (w & MPT_LOCKW_COUNT) > MPT_LOCKW_ONE ?
		     w - MPT_LOCKW_ONE : 0;
		if (__atomic_compare_exchange_n(&l->pg->word, &w, nw, false,
						__ATOMIC_RELEASE,
						__ATOMIC_RELAXED)) {
			*user = true;
			return 0;
		}
	}
	return release(l->fd);
}

/*
 * A child that acts on fast locks on cue: 'f' acquire lock l[digit] by
 * the protocol, 'u' release it by the protocol, 'a' and 'r' the same
 * through the ioctls alone, 'g' wait for the go, 'p' pause for ever, 'k'
 * report its token.  Each step but g and p reports a struct fres.
 */
struct fres {
	int ret;
	int user;
	__u32 flags;
	__u32 count;
	__u32 dead_pid;
	__u32 dead_tid;
	__u64 waited_ns;
	__u32 token;
	__u32 tid;
};

static void factor_start(struct actor *a, struct fl *l, const char *script)
{
	__u32 tok = 0;

	if (!actor_fork(a))
		return;
	for (; *script; script++) {
		struct fres r = { .tid = gettid() };
		struct mpt_lock_acq acq = { 0 };
		bool user = false;
		struct fl *x;

		switch (*script) {
		case 'f':
		case 'u':
		case 'k':
			if (!tok && ftoken(l[0].fd, &tok))
				_exit(2);
			break;
		}
		switch (*script) {
		case 'f':
			x = &l[*++script - '0'];
			r.ret = fast_acquire(x, tok, 0, 0, &acq, &user);
			break;
		case 'u':
			x = &l[*++script - '0'];
			r.ret = fast_release(x, tok, &user);
			break;
		case 'a':
			x = &l[*++script - '0'];
			r.ret = acquire(x->fd, 0, 0, &acq);
			break;
		case 'r':
			x = &l[*++script - '0'];
			r.ret = release(x->fd);
			break;
		case 'k':
			break;
		case 'g':
		case 'p':
			actor_wait(a, *script);
			continue;
		}
		r.user = user;
		r.flags = acq.flags;
		r.count = acq.count;
		r.dead_pid = acq.dead_pid;
		r.dead_tid = acq.dead_tid;
		r.waited_ns = acq.waited_ns;
		r.token = tok;
		if (write(a->res, &r, sizeof(r)) != sizeof(r))
			_exit(1);
	}
	_exit(0);
}

/* The next report of @a; ret -1000 if none comes within 10 s. */
static struct fres factor_result(struct actor *a)
{
	struct pollfd p = { .fd = a->res, .events = POLLIN };
	struct fres r = { .ret = -1000 };

	if (poll(&p, 1, 10000) != 1 ||
	    read(a->res, &r, sizeof(r)) != sizeof(r))
		r.ret = -1000;
	return r;
}

FIXTURE(fast) {
	int dev;
	char name[3][MPT_NAME_LEN];
	struct fl l[3];
	__u32 tok;		/* this thread's */
};

FIXTURE_SETUP(fast)
{
	static int n;
	int i;

	self->dev = -1;
	for (i = 0; i < 3; i++) {
		snprintf(self->name[i], sizeof(self->name[i]), "lf-%d-%d-%c",
			 getpid(), n, 'A' + i);
		self->l[i].fd = -1;
		self->l[i].pg = NULL;
	}
	n++;
	if (!mpt_loaded())
		SKIP(return, "mptrace module not loaded");
	self->dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
}

/* Fast lock @i unmapped, closed and its name removed. */
static void ffree(FIXTURE_DATA(fast) *self, int i)
{
	if (self->l[i].pg)
		munmap(self->l[i].pg, page_size());
	self->l[i].pg = NULL;
	if (self->l[i].fd >= 0)
		close(self->l[i].fd);
	self->l[i].fd = -1;
	if (self->dev >= 0)
		lunlink(self->dev, self->name[i]);
}

/* The module loaded again with @params, the device opened again. */
static int freload(FIXTURE_DATA(fast) *self, const char *params)
{
	int ret;

	if (self->dev >= 0)
		close(self->dev);
	self->dev = -1;
	ret = mpt_unload();
	if (!ret)
		ret = mpt_load_with(params);
	if (ret)
		return ret;
	self->dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	return self->dev < 0 ? -errno : 0;
}

FIXTURE_TEARDOWN(fast)
{
	int i;

	for (i = 0; i < 3; i++)
		ffree(self, i);
	if (self->dev >= 0)
		close(self->dev);
}

/* Create fast lock @i of @kind, map it, and get this thread's token. */
static int fmake(FIXTURE_DATA(fast) *self, int i, __u32 kind)
{
	struct fl *l = &self->l[i];

	l->fd = lopen(self->dev, self->name[i], W | MPT_QOPEN_CREATE |
		      MPT_QOPEN_EXCL, kind, 0600, MPT_LOCK_FAST);
	if (l->fd < 0)
		return l->fd;
	l->recursive = kind == MPT_LOCK_RECURSIVE;
	l->pg = fmap(l->fd, PROT_READ | PROT_WRITE);
	if (!l->pg)
		return -errno;
	return ftoken(l->fd, &self->tok);
}

/*
 * The forms of mmap() and of creation the header refuses, and the one it
 * takes: a fresh page of zeros but for the generation of the tokens,
 * the same for every lock.
 */
TEST_F(fast, mmap_forms)
{
	long psz = page_size();
	struct mpt_lock_page *old;
	struct mpt_lock_info li;
	unsigned char *p;
	int slow, ro, i, nonzero = 0;
	__u32 gen;

	/* Fast and traced: refused at create, whatever the kind. */
	EXPECT_EQ(-EINVAL, lopen(self->dev, self->name[0], W | MPT_QOPEN_CREATE,
				 MPT_LOCK_MUTEX, 0600,
				 MPT_LOCK_FAST | MPT_LOCK_TRACE));
	EXPECT_EQ(-EINVAL, lopen(self->dev, self->name[0], W | MPT_QOPEN_CREATE,
				 MPT_LOCK_RECURSIVE, 0600,
				 MPT_LOCK_FAST | MPT_LOCK_TRACE));
	EXPECT_EQ(-EINVAL, lopen(self->dev, self->name[0], W | MPT_QOPEN_CREATE,
				 MPT_LOCK_MUTEX, 0600, MPT_LOCK_FAST << 1));
	EXPECT_EQ(-ENOENT, lopen(self->dev, self->name[0], W, 0, 0, 0));

	/* A lock that is not fast has no page. */
	slow = lcreate(self->dev, self->name[1], MPT_LOCK_MUTEX);
	ASSERT_LE(0, slow);
	EXPECT_EQ(ENODEV, mmap_err(slow, psz, PROT_READ | PROT_WRITE,
				   MAP_SHARED, 0));
	EXPECT_EQ(ENODEV, mmap_err(slow, psz, PROT_READ, MAP_SHARED, 0));
	ASSERT_EQ(0, linfo(slow, &li, NULL, 0));
	EXPECT_EQ(0, li.flags & MPT_LOCK_FAST);
	close(slow);

	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(MPT_LOCK_FAST, li.flags & MPT_LOCK_FAST);
	EXPECT_EQ(0, li.flags & MPT_LOCK_TRACE);
	EXPECT_EQ(MPT_LOCK_MUTEX, li.kind);

	/* Anything but one page at offset 0, shared. */
	EXPECT_EQ(EINVAL, mmap_err(self->l[0].fd, 2 * psz,
				   PROT_READ | PROT_WRITE, MAP_SHARED, 0));
	EXPECT_EQ(EINVAL, mmap_err(self->l[0].fd, psz, PROT_READ | PROT_WRITE,
				   MAP_SHARED, psz));
	EXPECT_EQ(EINVAL, mmap_err(self->l[0].fd, psz, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, 0));
	EXPECT_EQ(EINVAL, mmap_err(self->l[0].fd, psz, PROT_READ,
				   MAP_PRIVATE, 0));
	EXPECT_EQ(0, mmap_err(self->l[0].fd, psz, PROT_READ | PROT_WRITE,
			      MAP_SHARED, 0));

	/* Opened to inspect alone: read, yes; write, never. */
	ro = lopen(self->dev, self->name[0], MPT_QOPEN_READ | MPT_QOPEN_CLOEXEC,
		   0, 0, 0);
	ASSERT_LE(0, ro);
	EXPECT_EQ(EACCES, mmap_err(ro, psz, PROT_READ | PROT_WRITE,
				   MAP_SHARED, 0));
	EXPECT_EQ(EACCES, mmap_err(ro, psz, PROT_WRITE, MAP_SHARED, 0));
	p = mmap(NULL, psz, PROT_READ, MAP_SHARED, ro, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, psz, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);

	/* The page: zeros, and the same page through both mappings. */
	gen = ((struct mpt_lock_page *)p)->token_gen;
	EXPECT_NE(0, gen);
	for (i = 0; i < psz; i++)
		nonzero += p[i] != 0 &&
			   (i < offsetof(struct mpt_lock_page, token_gen) ||
			    i >= offsetof(struct mpt_lock_page, reserved));
	EXPECT_EQ(0, nonzero);
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, NULL, NULL));
	EXPECT_EQ(wtok(self->tok, 1),
		  __atomic_load_n(&((struct mpt_lock_page *)p)->word,
				  __ATOMIC_SEQ_CST));
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, NULL));
	munmap(p, psz);
	close(ro);

	/*
	 * The mapping outlives its file and the name: still the lock's page
	 * (no SIGBUS), while another lock of that name is another page.
	 */
	close(self->l[0].fd);
	self->l[0].fd = -1;
	ASSERT_EQ(0, lunlink(self->dev, self->name[0]));
	EXPECT_EQ(0, fword(&self->l[0]));
	EXPECT_EQ(1, self->l[0].pg->fast_acquisitions);
	old = self->l[0].pg;
	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	EXPECT_EQ(0, self->l[0].pg->fast_acquisitions);
	EXPECT_EQ(gen, self->l[0].pg->token_gen);
	EXPECT_EQ(1, old->fast_acquisitions);
	munmap(old, psz);
}

struct tokthr {
	int fd;
	__u32 tok[2];
	int ret[2];
};

static void *token_thread(void *p)
{
	struct tokthr *t = p;

	t->ret[0] = ftoken(t->fd, &t->tok[0]);
	t->ret[1] = ftoken(t->fd, &t->tok[1]);
	return NULL;
}

/* A token per thread: never 0, stable, its own, never given twice. */
TEST_F(fast, token)
{
	__u32 a, b, c, child = 0;
	struct tokthr t[4];
	int slow, ro, pp[2], i, j, st;
	pthread_t th;
	pid_t pid;

	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	ASSERT_EQ(0, fmake(self, 1, MPT_LOCK_RECURSIVE));
	ASSERT_EQ(0, ftoken(self->l[0].fd, &a));
	ASSERT_EQ(0, ftoken(self->l[0].fd, &b));
	ASSERT_EQ(0, ftoken(self->l[1].fd, &c));
	EXPECT_NE(0, a);
	EXPECT_EQ(a, b);
	EXPECT_EQ(a, c);		/* the same for every lock */
	/* A lock that is not fast answers the same (per thread, not lock). */
	slow = lcreate(self->dev, self->name[2], MPT_LOCK_MUTEX);
	ASSERT_LE(0, slow);
	ASSERT_EQ(0, ftoken(slow, &b));
	EXPECT_EQ(a, b);
	close(slow);

	/* Not opened for writing: EBADF; not a lock: ENOTTY; EFAULT. */
	ro = lopen(self->dev, self->name[0], MPT_QOPEN_READ | MPT_QOPEN_CLOEXEC,
		   0, 0, 0);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, ftoken(ro, &b));
	EXPECT_EQ(0, b);
	close(ro);
	EXPECT_EQ(-ENOTTY, ftoken(self->dev, &b));
	EXPECT_EQ(-1, ioctl(self->l[0].fd, MPT_LIOC_TOKEN, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* Threads, one after the other: each its own, never one seen before. */
	for (i = 0; i < 4; i++) {
		t[i].fd = self->l[i % 2].fd;
		t[i].ret[0] = t[i].ret[1] = -1;
		ASSERT_EQ(0, pthread_create(&th, NULL, token_thread, &t[i]));
		pthread_join(th, NULL);
		ASSERT_EQ(0, t[i].ret[0]);
		ASSERT_EQ(0, t[i].ret[1]);
		EXPECT_NE(0, t[i].tok[0]);
		EXPECT_EQ(t[i].tok[0], t[i].tok[1]);
		EXPECT_NE(a, t[i].tok[0]);
		for (j = 0; j < i; j++)
			EXPECT_NE(t[j].tok[0], t[i].tok[0]);
	}

	/* A child of fork() is another thread. */
	ASSERT_EQ(0, pipe(pp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 x = 0, y = 0;

		if (ftoken(self->l[0].fd, &x) || ftoken(self->l[1].fd, &y) ||
		    x != y || write(pp[1], &x, sizeof(x)) != sizeof(x))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(sizeof(child), read(pp[0], &child, sizeof(child)));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	EXPECT_NE(0, child);
	EXPECT_NE(a, child);
	for (j = 0; j < 4; j++)
		EXPECT_NE(t[j].tok[0], child);
	ASSERT_EQ(0, ftoken(self->l[0].fd, &b));
	EXPECT_EQ(a, b);		/* ours did not change */
	close(pp[0]);
	close(pp[1]);
}

struct holdthr {
	struct fl *l;
	pid_t tid;
	__u32 tok;
	int ret;
	int ready[2];		/* the thread says it holds */
	int go[2];		/* the test says: release */
};

/* Take @l in user space, say so, wait for the go, release, end. */
static void *user_holder_thread(void *p)
{
	struct holdthr *t = p;
	char c;

	t->tid = gettid();
	t->ret = ftoken(t->l->fd, &t->tok);
	if (!t->ret)
		t->ret = fast_acquire(t->l, t->tok, 0, 0, NULL, NULL);
	if (write(t->ready[1], "h", 1) != 1 || read(t->go[0], &c, 1) != 1)
		t->ret = -1;
	if (!t->ret)
		t->ret = fast_release(t->l, t->tok, NULL);
	return NULL;
}

/* A byte on @fd within 10 s: 0, else -1. */
static int ready_byte(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, 10000) == 1 && read(fd, &c, 1) == 1 ? 0 : -1;
}

/*
 * In a child: @prep(@arg), then @fn(@arg) traced, counting the system
 * calls it enters: *@other those but the write(2) and exit(2) of the
 * child's report and end, *@ioctls the ioctl(2) calls among them.
 * Returns what @fn returned, or -1.
 */
static long count_syscalls(int (*prep)(void *), long (*fn)(void *),
			   void *arg, int *other, int *ioctls)
{
	struct __ptrace_syscall_info si;
	int pp[2], st;
	long got = -1;
	pid_t pid;

	*other = *ioctls = 0;
	if (pipe(pp))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		long n;

		close(pp[0]);
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) || prep(arg))
			_exit(2);
		/* Stop: the tracer counts from here. */
		syscall(SYS_kill, getpid(), SIGSTOP);
		n = fn(arg);
		syscall(SYS_write, pp[1], &n, sizeof(n));
		syscall(SYS_exit, 0);
	}
	close(pp[1]);
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st) ||
	    ptrace(PTRACE_SETOPTIONS, pid, 0,
		   PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL))
		goto out;
	for (int sig = 0;; sig = 0) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, sig) ||
		    waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
			break;
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			sig = WSTOPSIG(st);	/* a signal: deliver it */
			continue;
		}
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(si), &si) <= 0 ||
		    si.op != PTRACE_SYSCALL_INFO_ENTRY)
			continue;
		if (si.entry.nr == __NR_ioctl)
			++*ioctls;
		if (si.entry.nr != __NR_write && si.entry.nr != __NR_exit)
			++*other;
	}
	if (read(pp[0], &got, sizeof(got)) != sizeof(got))
		got = -1;
out:
	close(pp[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return got;
}

struct loop1000 {
	struct fl *l;
	__u32 tok;
};

static int fast_loop_prep(void *p)
{
	struct loop1000 *x = p;

	return ftoken(x->l->fd, &x->tok);
}

/* A thousand acquire + release by the word; how many went by it. */
static long fast_loop(void *p)
{
	struct loop1000 *x = p;
	long n = 0;

	for (int i = 0; i < 1000; i++) {
		bool u1 = false, u2 = false;

		if (fast_acquire(x->l, x->tok, 0, 0, NULL, &u1) ||
		    fast_release(x->l, x->tok, &u2) || !u1 || !u2)
			break;
		n++;
	}
	return n;
}

/*
 * Uncontended: the word alone.  A process takes and releases a thousand
 * times while a tracer counts its system calls: none (the kernel is
 * never entered).  The lock's info names the user-space owner, counts
 * the acquisitions its owners counted, and has no hold time for them.
 */
TEST_F(fast, uncontended)
{
	struct mpt_lock_info li;
	struct loop1000 loop;
	struct mpt_lock_acq a;
	struct holdthr t;
	pthread_t th;
	int i, other, ioctls, fails = 0;
	bool user;
	long got;

	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	EXPECT_EQ(0, fword(&self->l[0]));

	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, &a, &user));
	EXPECT_TRUE(user);
	EXPECT_EQ(1, a.count);
	EXPECT_EQ(wtok(self->tok, 1), fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(getpid(), li.owner_pid);
	EXPECT_EQ(gettid(), li.owner_tid);
	EXPECT_EQ(1, li.count);
	EXPECT_EQ(0, li.held_ns);		/* held in user space */
	EXPECT_EQ(1, li.acquisitions);
	EXPECT_EQ(0, li.nwaiters);
	EXPECT_EQ(0, li.contentions);
	/* Looking is not entering: the word stays the owner's. */
	EXPECT_EQ(wtok(self->tok, 1), fword(&self->l[0]));
	/* By name too, on /dev/mptrace. */
	memset(&li, 0, sizeof(li));
	snprintf(li.name, sizeof(li.name), "%s", self->name[0]);
	ASSERT_EQ(0, ioctl(self->dev, MPT_IOC_LOCK_INFO, &li));
	EXPECT_EQ(getpid(), li.owner_pid);
	EXPECT_EQ(gettid(), li.owner_tid);
	EXPECT_EQ(MPT_LOCK_FAST, li.flags & MPT_LOCK_FAST);
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, &user));
	EXPECT_TRUE(user);
	EXPECT_EQ(0, fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(0, li.owner_pid);
	EXPECT_EQ(0, li.count);

	/*
	 * A thousand, with no system call at all (the child's token is
	 * its own: asked for in the child, before the count starts).
	 */
	loop.l = &self->l[0];
	loop.tok = 0;
	got = count_syscalls(fast_loop_prep, fast_loop, &loop, &other,
			     &ioctls);
	EXPECT_EQ(1000, got);
	EXPECT_EQ(0, ioctls);
	EXPECT_EQ(0, other);
	EXPECT_EQ(0, fword(&self->l[0]));
	EXPECT_EQ(1001, self->l[0].pg->fast_acquisitions);
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(1001, li.acquisitions);
	EXPECT_EQ(0, li.contentions);
	EXPECT_EQ(0, li.owner_deaths);
	EXPECT_EQ(0, li.hold_total_ns);
	EXPECT_EQ(0, li.owner_pid);

	/* Held in user space by another thread: that thread is the owner. */
	t.l = &self->l[0];
	t.ret = -1;
	ASSERT_EQ(0, pipe(t.ready));
	ASSERT_EQ(0, pipe(t.go));
	ASSERT_EQ(0, pthread_create(&th, NULL, user_holder_thread, &t));
	ASSERT_EQ(0, ready_byte(t.ready[0]));
	ASSERT_EQ(0, t.ret);
	EXPECT_EQ(wtok(t.tok, 1), fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(getpid(), li.owner_pid);
	EXPECT_EQ(t.tid, li.owner_tid);
	/* Not ours to release; our try finds it held. */
	EXPECT_EQ(-EPERM, fast_release(&self->l[0], self->tok, NULL));
	EXPECT_EQ(-EBUSY, fast_acquire(&self->l[0], self->tok, MPT_LOCK_TRY,
				       0, NULL, NULL));
	/* Nobody waits: the kernel gave the word back as it was. */
	EXPECT_EQ(wtok(t.tok, 1), fword(&self->l[0]));
	ASSERT_EQ(1, write(t.go[1], "g", 1));
	pthread_join(th, NULL);
	EXPECT_EQ(0, t.ret);
	EXPECT_EQ(0, fword(&self->l[0]));
	close(t.ready[0]);
	close(t.ready[1]);
	close(t.go[0]);
	close(t.go[1]);
	for (i = 0; i < 3; i++)
		fails += fast_acquire(&self->l[0], self->tok, 0, 0, NULL, &user) ||
			 !user || fast_release(&self->l[0], self->tok, NULL);
	EXPECT_EQ(0, fails);
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(1005, li.acquisitions);
}

/*
 * Mutual exclusion, fast and slow acquirers mixed: four processes do a
 * read-modify-write of a plain counter in shared memory, sleeping now
 * and then in between.  Three take the lock by the protocol or by the
 * ioctl and release it either way (the choice varies); the fourth never
 * asks for a token and uses the ioctls alone.  Without a lock the race
 * loses updates; with it the count is exact, both paths were taken, and
 * the lock counted every acquisition once.
 */
#define MX_PROCS	4
#define MX_ITERS	1500

struct mx {
	volatile long counter;
	long user_acq[MX_PROCS], kern_acq[MX_PROCS];
	long user_rel[MX_PROCS], kern_rel[MX_PROCS];
};

static int mx_worker(struct fl *l, struct mx *m, int p, bool locked)
{
	__u32 tok = 0;
	int i;

	if (locked && p < MX_PROCS - 1 && ftoken(l->fd, &tok))
		return 10;
	for (i = 0; i < MX_ITERS; i++) {
		bool ioctls = !tok || (i * 7 + p) % 3 == 0, user = false;
		long v;

		if (locked) {
			int r = ioctls ? acquire(l->fd, 0, 0, NULL) :
				fast_acquire(l, tok, 0, 0, NULL, &user);

			if (r)
				return 11;
			if (user)
				m->user_acq[p]++;
			else
				m->kern_acq[p]++;
		}
		v = m->counter;
		if (i % 16 == p)
			usleep(50);			/* the window */
		m->counter = v + 1;
		if (locked) {
			int r;

			ioctls = !tok || (i + p) % 2;
			r = ioctls ? release(l->fd) :
				fast_release(l, tok, &user);
			if (r)
				return 12;
			if (!ioctls && user)
				m->user_rel[p]++;
			else
				m->kern_rel[p]++;
		}
		/* Now and then nobody waits: the word's turn. */
		if (i % 4 == 3)
			usleep(100);
	}
	return 0;
}

static long mx_run(struct fl *l, struct mx *m, bool locked)
{
	int p, st, bad = 0;

	memset((void *)m, 0, sizeof(*m));
	for (p = 0; p < MX_PROCS; p++)
		if (fork() == 0)
			_exit(mx_worker(l, m, p, locked));
	for (p = 0; p < MX_PROCS; p++)
		if (wait(&st) < 0 || st)
			bad++;
	return bad ? -1 : m->counter;
}

TEST_F_TIMEOUT(fast, mixed_exclusion, 180)
{
	long racy, exact, ua = 0, ka = 0, ur = 0, kr = 0;
	struct mpt_lock_info li;
	struct mx *m;
	int p;

	m = shared_mem(sizeof(*m));
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	racy = mx_run(&self->l[0], m, false);
	exact = mx_run(&self->l[0], m, true);
	for (p = 0; p < MX_PROCS; p++) {
		ua += m->user_acq[p];
		ka += m->kern_acq[p];
		ur += m->user_rel[p];
		kr += m->kern_rel[p];
	}
	TH_LOG("without the lock: %ld of %d; with it: %ld; acquired %ld in user space, %ld in the kernel; released %ld, %ld",
	       racy, MX_PROCS * MX_ITERS, exact, ua, ka, ur, kr);
	ASSERT_LE(0, racy);			/* -1: a worker failed */
	EXPECT_LT(racy, MX_PROCS * MX_ITERS);	/* the race is real */
	EXPECT_EQ(MX_PROCS * MX_ITERS, exact);
	EXPECT_LT(0, ua);
	EXPECT_LT(0, ka);
	EXPECT_LT(0, ur);
	EXPECT_LT(0, kr);
	EXPECT_EQ(0, m->user_acq[MX_PROCS - 1]);	/* no token, no word */
	EXPECT_EQ(0, m->user_rel[MX_PROCS - 1]);
	EXPECT_EQ(ua, self->l[0].pg->fast_acquisitions);
	EXPECT_EQ(0, fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(MX_PROCS * MX_ITERS, li.acquisitions);
	EXPECT_EQ(0, li.owner_pid);
	EXPECT_EQ(0, li.nwaiters);
	EXPECT_EQ(0, li.owner_deaths);
	EXPECT_EQ(0, li.deadlocks);
	munmap(m, sizeof(*m));
}

/*
 * Waits given up under load: four processes take a fast lock by the
 * protocol, some blocking, some trying, some with deadlines a few tens
 * of microseconds away, while signals (handled, no SA_RESTART) break
 * into their waits.  Every waiter that leaves (busy, timed out,
 * interrupted) must leave the word and the queue right: the count under
 * the lock ends exact, nobody hangs (a lost wake-up would), the info's
 * acquisitions and timeouts are exactly the ones returned, and the lock
 * ends free in user space.
 */
#define GU_PROCS	4
#define GU_ITERS	1500

struct gu {
	volatile long counter;
	long incs[GU_PROCS], busy[GU_PROCS], timedout[GU_PROCS];
	long intr[GU_PROCS], user[GU_PROCS];
};

static void gu_signal(int sig)
{
	(void)sig;
}

static int gu_worker(struct fl *l, struct gu *m, int p)
{
	__u32 tok;
	int i;

	if (ftoken(l->fd, &tok))
		return 10;
	for (i = 0; i < GU_ITERS; i++) {
		__u32 flags = 0;
		__u64 deadline = 0;
		bool user;
		long v;
		int r;

		switch ((i + p) % 4) {
		case 1:
			flags = MPT_LOCK_TRY;
			break;
		case 2:
			flags = MPT_LOCK_TIMEOUT;
			deadline = now_ns() + (i % 5) * 30000ULL;
			break;
		}
		r = fast_acquire(l, tok, flags, deadline, NULL, &user);
		if (r == -EBUSY && flags == MPT_LOCK_TRY) {
			m->busy[p]++;
			continue;
		}
		if (r == -ETIMEDOUT && flags == MPT_LOCK_TIMEOUT) {
			m->timedout[p]++;
			continue;
		}
		if (r == -EINTR) {
			m->intr[p]++;
			continue;
		}
		if (r)
			return 11;
		m->user[p] += user;
		v = m->counter;
		if (i % 8 == p)
			usleep(30);			/* the window */
		m->counter = v + 1;
		m->incs[p]++;
		if (fast_release(l, tok, NULL))
			return 12;
	}
	return 0;
}

TEST_F_TIMEOUT(fast, give_up_under_load, 180)
{
	struct sigaction sa = { .sa_handler = gu_signal }, old;
	long incs = 0, busy = 0, timedout = 0, intr = 0, user = 0;
	struct mpt_lock_info li;
	pid_t pid[GU_PROCS];
	int p, st, alive, bad = 0;
	struct gu *m;
	bool u;

	m = shared_mem(sizeof(*m));
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, &old));	/* the children's */
	for (p = 0; p < GU_PROCS; p++) {
		pid[p] = fork();
		if (!pid[p])
			_exit(gu_worker(&self->l[0], m, p));
	}
	sigaction(SIGUSR1, &old, NULL);
	for (alive = GU_PROCS; alive;) {
		for (p = 0; p < GU_PROCS; p++) {
			if (!pid[p])
				continue;
			if (waitpid(pid[p], &st, WNOHANG) == pid[p]) {
				EXPECT_EQ(0, st) TH_LOG("worker %d", p);
				bad += !!st;
				pid[p] = 0;
				alive--;
				continue;
			}
			kill(pid[p], SIGUSR1);
		}
		usleep(500);
	}
	for (p = 0; p < GU_PROCS; p++) {
		incs += m->incs[p];
		busy += m->busy[p];
		timedout += m->timedout[p];
		intr += m->intr[p];
		user += m->user[p];
	}
	TH_LOG("%ld acquired (%ld in user space), %ld busy, %ld timed out, %ld interrupted",
	       incs, user, busy, timedout, intr);
	ASSERT_EQ(0, bad);
	EXPECT_EQ(incs, m->counter);
	EXPECT_EQ(GU_PROCS * GU_ITERS, incs + busy + timedout + intr);
	EXPECT_LT(0, busy);
	EXPECT_LT(0, timedout);
	EXPECT_EQ(0, fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(incs, li.acquisitions);
	EXPECT_EQ(timedout, li.timeouts);
	EXPECT_EQ(0, li.nwaiters);
	EXPECT_EQ(0, li.owner_pid);
	EXPECT_EQ(0, li.owner_deaths);
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, NULL, &u));
	EXPECT_TRUE(u);
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, &u));
	EXPECT_TRUE(u);
	munmap(m, sizeof(*m));
}

/*
 * Owners killed at any moment: four processes pass a fast lock around
 * (each holding it for a while, so that most kills find a holder, in
 * user space or in the kernel, with waiters or stealers about) while we
 * SIGKILL one every few milliseconds and start another.  No acquire may
 * wait for a dead owner (each gives up after 5 s and says so), none may
 * fail, every dead owner reported is one we killed (found by its token,
 * not taken for an unknown one: ids 0), and after the last kill the lock
 * works: free, nobody waiting, the deaths counted at least as often as
 * they were reported.
 */
#define KS_PROCS	4
#define KS_KILLS	200

struct ks {
	long acquired, died, stuck, failed;
	pid_t dead[1024];	/* the first dead owners reported */
};

static void ks_worker(struct fl *l, struct ks *m)
{
	struct mpt_lock_acq a;
	__u32 tok;
	int r;

	if (ftoken(l->fd, &tok))
		_exit(10);
	for (;;) {
		r = fast_acquire(l, tok, MPT_LOCK_TIMEOUT,
				 now_ns() + 5000000000ULL, &a, NULL);
		if (r) {
			__atomic_add_fetch(r == -ETIMEDOUT ? &m->stuck :
					   &m->failed, 1, __ATOMIC_SEQ_CST);
			_exit(11);
		}
		__atomic_add_fetch(&m->acquired, 1, __ATOMIC_SEQ_CST);
		if (a.flags & MPT_LOCK_PREV_OWNER_DIED) {
			long n = __atomic_fetch_add(&m->died, 1,
						    __ATOMIC_SEQ_CST);

			if (n < (long)ARRAY_SIZE(m->dead))
				m->dead[n] = a.dead_pid;
		}
		usleep(200);
		if (fast_release(l, tok, NULL)) {
			__atomic_add_fetch(&m->failed, 1, __ATOMIC_SEQ_CST);
			_exit(12);
		}
	}
}

TEST_F_TIMEOUT(fast, kill_storm, 300)
{
	pid_t pid[KS_PROCS], killed[KS_KILLS + KS_PROCS];
	struct mpt_lock_info li;
	struct mpt_lock_acq a;
	int i, j, st, odd = 0, unknown = 0;
	struct ks *m;

	m = shared_mem(sizeof(*m));
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	for (i = 0; i < KS_PROCS; i++) {
		pid[i] = fork();
		if (!pid[i])
			ks_worker(&self->l[0], m);
	}
	for (i = 0; i < KS_KILLS; i++) {
		int w = i % KS_PROCS;

		usleep(3000);
		killed[i] = pid[w];
		kill(pid[w], SIGKILL);
		if (waitpid(pid[w], &st, 0) != pid[w] || !WIFSIGNALED(st))
			odd++;		/* it ended by itself: a failure */
		pid[w] = fork();
		if (!pid[w])
			ks_worker(&self->l[0], m);
	}
	for (i = 0; i < KS_PROCS; i++) {
		killed[KS_KILLS + i] = pid[i];
		kill(pid[i], SIGKILL);
		waitpid(pid[i], &st, 0);
	}
	for (i = 0; i < m->died && i < (int)ARRAY_SIZE(m->dead); i++) {
		for (j = 0; j < KS_KILLS + KS_PROCS; j++)
			if (m->dead[i] == killed[j])
				break;
		if (j == KS_KILLS + KS_PROCS) {
			TH_LOG("dead owner %d reported, not one we killed",
			       m->dead[i]);
			unknown++;
		}
	}
	TH_LOG("%d kills: %ld acquisitions, %ld told of a dead owner",
	       KS_KILLS + KS_PROCS, m->acquired, m->died);
	EXPECT_EQ(0, odd);
	EXPECT_EQ(0, m->stuck);
	EXPECT_EQ(0, m->failed);
	EXPECT_LT(KS_KILLS, m->acquired);
	EXPECT_LT(0, m->died);
	EXPECT_EQ(0, unknown);

	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, MPT_LOCK_TIMEOUT,
				  now_ns() + 5000000000ULL, &a, NULL));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(gettid(), li.owner_tid);
	EXPECT_EQ(0, li.nwaiters);
	EXPECT_LE(m->died + !!(a.flags & MPT_LOCK_PREV_OWNER_DIED),
		  (long)li.owner_deaths);
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, NULL));
	EXPECT_EQ(0, fword(&self->l[0]));
	munmap(m, sizeof(*m));
}

/*
 * Contention: we hold the lock in user space; a second process comes
 * through the protocol and waits in the kernel.  The word then still
 * names us, with the waiters bit; the info and the CONTENDED event name
 * us, found by our token.  Our release by the protocol goes to the
 * kernel, which wakes the waiter; once nobody waits, the word is user
 * space's alone again, and the new owner lets it go there.
 */
TEST_F(fast, contended)
{
	struct mpt_ring_conf conf = { .slots = 256 };
	char buf[64 * MPT_EVENT_MAX_SIZE];
	struct mpt_lwaiter lw[2];
	struct mpt_lock_info li;
	struct fres r;
	struct actor w;
	int rd, contended = 0;
	ssize_t len, off;
	bool user;

	rd = open(MPT_DEVICE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, rd);
	ASSERT_EQ(0, ioctl(rd, MPT_IOC_RING_SET, &conf));
	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, NULL, &user));
	ASSERT_TRUE(user);

	factor_start(&w, self->l, "kf0u0p");
	r = factor_result(&w);
	ASSERT_EQ(0, r.ret);
	ASSERT_NE(0, r.token);
	ASSERT_TRUE(await_waiters(self->l[0].fd, 1));
	EXPECT_EQ(wtok(self->tok, 1) | MPT_LOCKW_WAITERS, fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, lw, 2));
	EXPECT_EQ(getpid(), li.owner_pid);
	EXPECT_EQ(gettid(), li.owner_tid);
	EXPECT_EQ(1, li.count);
	EXPECT_EQ(1, li.nwaiters);
	EXPECT_EQ(1, li.waiters_max);
	EXPECT_EQ(w.pid, lw[0].pid);
	EXPECT_EQ(1, li.contentions);

	usleep(50000);
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, &user));
	EXPECT_FALSE(user);			/* through the kernel */
	r = factor_result(&w);			/* the waiter has it */
	EXPECT_EQ(0, r.ret);
	EXPECT_FALSE(r.user);
	EXPECT_EQ(1, r.count);
	EXPECT_EQ(0, r.flags & MPT_LOCK_PREV_OWNER_DIED);
	EXPECT_LE(50000000ULL, r.waited_ns);
	r = factor_result(&w);			/* and let it go */
	EXPECT_EQ(0, r.ret);
	EXPECT_TRUE(r.user);			/* nobody waited for it */
	/* Nobody waits: the word is user space's again. */
	EXPECT_EQ(0, fword(&self->l[0]));
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, NULL, &user));
	EXPECT_TRUE(user);
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, &user));
	EXPECT_TRUE(user);
	EXPECT_EQ(0, fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(3, li.acquisitions);
	EXPECT_EQ(1, li.contentions);
	EXPECT_LE(50000000ULL, li.wait_max_ns);
	actor_end(&w);

	while ((len = read(rd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < len;) {
			struct mpt_event_lock *e = (void *)(buf + off);

			off += e->hdr.size;
			if (e->hdr.type != MPT_EV_LOCK_CONTENDED ||
			    strcmp(e->name, self->name[0]))
				continue;
			contended++;
			EXPECT_EQ(w.pid, e->task.pid);
			EXPECT_EQ(getpid(), e->owner_pid);
			EXPECT_EQ(gettid(), e->owner_tid);
		}
	}
	EXPECT_EQ(1, contended);
	close(rd);
}

/*
 * Pinned to the CPU we run on (the CPU set we had in *@all), holding
 * fast lock 0, made for it, in user space.  0 or -errno.
 */
static int pinned_holder(FIXTURE_DATA(fast) *self, cpu_set_t *all)
{
	cpu_set_t one;
	bool user;
	int ret;

	if (sched_getaffinity(0, sizeof(*all), all))
		return -errno;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return -errno;
	ret = fmake(self, 0, MPT_LOCK_MUTEX);
	if (!ret)
		ret = fast_acquire(&self->l[0], self->tok, 0, 0, NULL, &user);
	return ret ? ret : user ? 0 : -EPROTO;
}

/*
 * We run SCHED_FIFO on our waiters' CPU: let them run (SCHED_OTHER)
 * until @l's word says @want, within 5 s, then SCHED_FIFO again.
 */
static bool let_waiters_run(struct fl *l, __u64 want)
{
	struct sched_param rt = { .sched_priority = 1 };
	struct sched_param normal = { 0 };
	__u64 t0;

	if (sched_setscheduler(0, SCHED_OTHER, &normal))
		return false;
	for (t0 = now_ns(); fword(l) != want &&
	     now_ns() - t0 < 5000000000ULL;)
		usleep(1000);
	return !sched_setscheduler(0, SCHED_FIFO, &rt) && fword(l) == want;
}

/*
 * Free with a waiter: our release wakes it and, as it is woken, leaves
 * the word at 0; before the waiter runs, we take and let go of
 * the lock in user space as often as we like (as running threads steal
 * the kernel's mutex), no system call each.  When the waiter runs and
 * finds it taken, the word says MPT_LOCKW_WAITERS again, and first
 * woken over a millisecond before, the waiter is handed the lock by our
 * next release, which the word names at once.  Both processes are on one CPU and we
 * run SCHED_FIFO, so the woken waiter cannot run before we let it:
 * every step is certain, not a race won.
 */
TEST_F(fast, steal)
{
	struct sched_param rt = { .sched_priority = 1 };
	struct sched_param normal = { 0 };
	struct mpt_lock_info li;
	cpu_set_t all;
	struct fres r;
	struct actor w;
	__u32 wtoken;
	__u64 t0;
	bool user;
	int i;

	ASSERT_EQ(0, pinned_holder(self, &all));
	factor_start(&w, self->l, "kf0u0p");	/* on our CPU alone, too */
	r = factor_result(&w);
	ASSERT_EQ(0, r.ret);
	wtoken = r.token;
	ASSERT_TRUE(await_waiters(self->l[0].fd, 1));
	EXPECT_EQ(wtok(self->tok, 1) | MPT_LOCKW_WAITERS, fword(&self->l[0]));

	if (sched_setscheduler(0, SCHED_FIFO, &rt)) {
		sched_setaffinity(0, sizeof(all), &all);
		actor_end(&w);
		SKIP(return, "SCHED_FIFO refused: %s", strerror(errno));
	}
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, &user));
	EXPECT_FALSE(user);			/* to wake the waiter */
	EXPECT_EQ(0, fword(&self->l[0]));	/* woken: nobody to wake */
	for (i = 0; i < 3; i++) {		/* stolen, no system call */
		ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, NULL,
					  &user));
		EXPECT_TRUE(user);
		EXPECT_EQ(wtok(self->tok, 1), fword(&self->l[0]));
		if (i == 2)
			break;
		ASSERT_EQ(0, fast_release(&self->l[0], self->tok, &user));
		EXPECT_TRUE(user);
		EXPECT_EQ(0, fword(&self->l[0]));
	}
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(gettid(), li.owner_tid);
	EXPECT_EQ(1, li.nwaiters);		/* woken, still listed */
	EXPECT_EQ(wtok(self->tok, 1), fword(&self->l[0]));

	/* The waiter runs, finds it taken: a waiter to hand it to. */
	ASSERT_TRUE(let_waiters_run(&self->l[0],
				    wtok(self->tok, 1) | MPT_LOCKW_WAITERS));
	/* Woken for longer than the hand-off delay (a millisecond). */
	for (t0 = now_ns(); now_ns() - t0 < 3000000ULL;)
		;
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, &user));
	EXPECT_FALSE(user);
	EXPECT_EQ(wtok(wtoken, 1), fword(&self->l[0]));	/* handed over */
	EXPECT_EQ(-EBUSY, fast_acquire(&self->l[0], self->tok, MPT_LOCK_TRY,
				       0, NULL, &user));
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_OTHER, &normal));
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(all), &all));

	r = factor_result(&w);			/* the waiter has it */
	EXPECT_EQ(0, r.ret);
	EXPECT_FALSE(r.user);
	EXPECT_EQ(1, r.count);
	r = factor_result(&w);			/* and lets it go */
	EXPECT_EQ(0, r.ret);
	EXPECT_TRUE(r.user);
	EXPECT_EQ(0, fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(5, li.acquisitions);
	EXPECT_EQ(1, li.contentions);
	EXPECT_EQ(0, li.nwaiters);
	actor_end(&w);
}

/*
 * A woken waiter that has not run yet is neither woken again nor handed
 * the lock, however long ago it was woken and however many wait behind
 * it: it will look by itself.  Our release wakes the first of two
 * waiters and leaves the word at 0, so we take and let go of it in user
 * space; a release through the ioctl 3 ms later (past the hand-off
 * delay) leaves it free too.  Once the waiter ran and lost, the word
 * says MPT_LOCKW_WAITERS again and our next release hands it the lock;
 * the second waiter gets it after.  Everything runs on one CPU, ours
 * SCHED_FIFO: the waiters run only when we let them.
 */
TEST_F(fast, woken_not_handed)
{
	struct sched_param rt = { .sched_priority = 1 };
	struct sched_param normal = { 0 };
	struct mpt_lock_info li;
	cpu_set_t all;
	struct actor w[2];
	struct fres r;
	__u32 wtoken[2];
	__u64 t0;
	bool user;
	int i;

	ASSERT_EQ(0, pinned_holder(self, &all));
	for (i = 0; i < 2; i++) {
		factor_start(&w[i], self->l, "kf0u0p");
		r = factor_result(&w[i]);
		ASSERT_EQ(0, r.ret);
		wtoken[i] = r.token;
		ASSERT_TRUE(await_waiters(self->l[0].fd, i + 1));
	}
	EXPECT_EQ(wtok(self->tok, 1) | MPT_LOCKW_WAITERS, fword(&self->l[0]));

	if (sched_setscheduler(0, SCHED_FIFO, &rt)) {
		sched_setaffinity(0, sizeof(all), &all);
		actor_end(&w[0]);
		actor_end(&w[1]);
		SKIP(return, "SCHED_FIFO refused: %s", strerror(errno));
	}
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, &user));
	EXPECT_FALSE(user);			/* to wake the first */
	EXPECT_EQ(0, fword(&self->l[0]));	/* the second waits for it */
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, NULL, &user));
	EXPECT_TRUE(user);
	for (t0 = now_ns(); now_ns() - t0 < 3000000ULL;)
		;
	ASSERT_EQ(0, release(self->l[0].fd));	/* into the kernel anyway */
	EXPECT_EQ(0, fword(&self->l[0]));	/* free: not handed over */
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(0, li.owner_tid);
	EXPECT_EQ(2, li.nwaiters);
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, NULL, &user));
	EXPECT_TRUE(user);

	/* The first waiter runs, finds it taken, and goes back to sleep. */
	ASSERT_TRUE(let_waiters_run(&self->l[0],
				    wtok(self->tok, 1) | MPT_LOCKW_WAITERS));
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, &user));
	EXPECT_FALSE(user);
	/* Handed over; the second still to be woken. */
	EXPECT_EQ(wtok(wtoken[0], 1) | MPT_LOCKW_WAITERS, fword(&self->l[0]));
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_OTHER, &normal));
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(all), &all));

	r = factor_result(&w[0]);		/* the first has it */
	EXPECT_EQ(0, r.ret);
	EXPECT_FALSE(r.user);
	r = factor_result(&w[0]);		/* and wakes the second */
	EXPECT_EQ(0, r.ret);
	EXPECT_FALSE(r.user);
	r = factor_result(&w[1]);		/* which takes it */
	EXPECT_EQ(0, r.ret);
	EXPECT_FALSE(r.user);
	EXPECT_EQ(wtoken[1], r.token);
	r = factor_result(&w[1]);		/* and lets it go */
	EXPECT_EQ(0, r.ret);
	EXPECT_TRUE(r.user);
	EXPECT_EQ(0, fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(5, li.acquisitions);
	EXPECT_EQ(2, li.contentions);
	EXPECT_EQ(0, li.nwaiters);
	actor_end(&w[0]);
	actor_end(&w[1]);
}

/*
 * Held in user space by a live process: a try is refused, a timed wait
 * times out, a release by another is refused, and each time the kernel
 * gives the word back as it found it.
 */
TEST_F(fast, held_elsewhere)
{
	struct mpt_lock_info li;
	struct fres r;
	struct actor h;
	__u64 t0, held;

	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	factor_start(&h, self->l, "f0gu0p");
	r = factor_result(&h);
	ASSERT_EQ(0, r.ret);
	ASSERT_TRUE(r.user);
	held = wtok(r.token, 1);
	EXPECT_EQ(held, fword(&self->l[0]));

	EXPECT_EQ(-EBUSY, fast_acquire(&self->l[0], self->tok, MPT_LOCK_TRY, 0,
				       NULL, NULL));
	EXPECT_EQ(held, fword(&self->l[0]));
	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, fast_acquire(&self->l[0], self->tok,
					   MPT_LOCK_TIMEOUT, t0 + 200000000ULL,
					   NULL, NULL));
	EXPECT_LE(200000000ULL, now_ns() - t0);
	EXPECT_EQ(held, fword(&self->l[0]));
	EXPECT_EQ(-EPERM, fast_release(&self->l[0], self->tok, NULL));
	EXPECT_EQ(held, fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(h.pid, li.owner_pid);
	EXPECT_EQ(r.tid, li.owner_tid);
	EXPECT_EQ(1, li.timeouts);
	EXPECT_EQ(1, li.contentions);
	EXPECT_EQ(0, li.nwaiters);

	actor_go(&h);
	r = factor_result(&h);
	EXPECT_EQ(0, r.ret);
	EXPECT_TRUE(r.user);			/* nobody waited: user space */
	EXPECT_EQ(0, fword(&self->l[0]));
	actor_end(&h);
}

/*
 * Owner death, three ways: a process ends holding the lock in user space
 * (nobody waiting), a process is killed holding it with a waiter already
 * in the kernel, a thread ends holding it.  The next owner is told, with
 * the dead owner's ids, once.
 */
TEST_F(fast, owner_exits)
{
	struct mpt_lock_acq a;
	struct mpt_lock_info li;
	struct fres r;
	struct actor h;
	int st;

	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	factor_start(&h, self->l, "f0");	/* takes it, then exits */
	r = factor_result(&h);
	ASSERT_EQ(0, r.ret);
	ASSERT_TRUE(r.user);
	ASSERT_EQ(h.pid, waitpid(h.pid, &st, 0));
	EXPECT_EQ(0, st);
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(0, li.owner_pid);
	EXPECT_EQ(1, li.owner_deaths);
	EXPECT_EQ(MPT_LOCK_OWNER_DEAD, li.flags & MPT_LOCK_OWNER_DEAD);
	/*
	 * The news waits for the next acquirer, so the word must not let
	 * it take the lock in user space, untold.
	 */
	EXPECT_NE(0, fword(&self->l[0]));

	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, MPT_LOCK_TIMEOUT,
				  now_ns() + 5000000000ULL, &a, NULL));
	EXPECT_EQ(MPT_LOCK_PREV_OWNER_DIED, a.flags & MPT_LOCK_PREV_OWNER_DIED);
	EXPECT_EQ(h.pid, a.dead_pid);
	EXPECT_EQ(h.pid, a.dead_tid);
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(getpid(), li.owner_pid);
	EXPECT_EQ(0, li.flags & MPT_LOCK_OWNER_DEAD);
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, NULL));
	EXPECT_EQ(0, fword(&self->l[0]));	/* all settled: user space */
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, &a, NULL));
	EXPECT_EQ(0, a.flags & MPT_LOCK_PREV_OWNER_DIED);	/* told once */
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, NULL));
	close(h.go);
	close(h.res);
}

TEST_F(fast, owner_killed_with_waiter)
{
	struct mpt_lock_info li;
	struct fres r;
	struct actor h, w;

	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	factor_start(&h, self->l, "f0p");
	r = factor_result(&h);
	ASSERT_EQ(0, r.ret);
	ASSERT_TRUE(r.user);
	factor_start(&w, self->l, "kf0u0p");
	ASSERT_EQ(0, factor_result(&w).ret);
	ASSERT_TRUE(await_waiters(self->l[0].fd, 1));
	/* Still held in user space: the exit finds it by the token. */
	EXPECT_EQ(wtok(r.token, 1) | MPT_LOCKW_WAITERS, fword(&self->l[0]));
	kill(h.pid, SIGKILL);
	waitpid(h.pid, NULL, 0);
	r = factor_result(&w);			/* handed over, told */
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(MPT_LOCK_PREV_OWNER_DIED, r.flags & MPT_LOCK_PREV_OWNER_DIED);
	EXPECT_EQ(h.pid, r.dead_pid);
	EXPECT_EQ(h.pid, r.dead_tid);
	EXPECT_EQ(1, r.count);			/* it holds it once */
	r = factor_result(&w);			/* and released */
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(0, fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(1, li.owner_deaths);
	EXPECT_EQ(0, li.flags & MPT_LOCK_OWNER_DEAD);
	EXPECT_EQ(0, li.owner_pid);
	actor_end(&w);
	close(h.go);
	close(h.res);
}

/* Take @l in user space and end this thread alone, holding it. */
static void *fast_holder_exits(void *p)
{
	struct holdthr *t = p;

	t->tid = gettid();
	t->ret = ftoken(t->l->fd, &t->tok);
	if (!t->ret)
		t->ret = fast_acquire(t->l, t->tok, 0, 0, NULL, NULL);
	syscall(SYS_exit, 0);
	return NULL;
}

TEST_F(fast, owner_thread_exits)
{
	struct holdthr t = { .ret = -1 };
	struct mpt_lock_acq a;
	pthread_t th;

	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_RECURSIVE));
	t.l = &self->l[0];
	ASSERT_EQ(0, pthread_create(&th, NULL, fast_holder_exits, &t));
	pthread_join(th, NULL);
	ASSERT_EQ(0, t.ret);
	ASSERT_NE(self->tok, t.tok);
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, MPT_LOCK_TIMEOUT,
				  now_ns() + 5000000000ULL, &a, NULL));
	EXPECT_EQ(MPT_LOCK_PREV_OWNER_DIED, a.flags & MPT_LOCK_PREV_OWNER_DIED);
	EXPECT_EQ(getpid(), a.dead_pid);
	EXPECT_EQ(t.tid, a.dead_tid);
	EXPECT_EQ(1, a.count);
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, NULL));
	EXPECT_EQ(0, fword(&self->l[0]));
}

/*
 * A deadlock through owners that hold in user space: p1 holds A, p2
 * holds B, both by the word; p1 waits for B; p2 asking for A closes the
 * cycle and is refused at once, the cycle named.  The kernel found
 * both owners by their tokens.
 */
TEST_F(fast, deadlock)
{
	struct mpt_event_deadlock ev[4];
	struct mpt_lock_info li;
	struct fres r1, r2;
	struct actor p1, p2;
	int rd;

	rd = reader();
	ASSERT_LE(0, rd);
	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	ASSERT_EQ(0, fmake(self, 1, MPT_LOCK_MUTEX));
	factor_start(&p1, self->l, "f0gf1u1u0p");	/* A, then B */
	factor_start(&p2, self->l, "f1gf0u1p");		/* B, then A */
	r1 = factor_result(&p1);
	r2 = factor_result(&p2);
	ASSERT_EQ(0, r1.ret);
	ASSERT_EQ(0, r2.ret);
	ASSERT_TRUE(r1.user);
	ASSERT_TRUE(r2.user);
	actor_go(&p1);
	ASSERT_TRUE(await_waiters(self->l[1].fd, 1));	/* p1 waits for B */
	/* A and B are still held in user space when p2 asks. */
	EXPECT_EQ(wtok(r1.token, 1), fword(&self->l[0]));
	EXPECT_EQ(wtok(r2.token, 1) | MPT_LOCKW_WAITERS, fword(&self->l[1]));
	actor_go(&p2);
	r2 = factor_result(&p2);
	EXPECT_EQ(-EDEADLK, r2.ret);			/* p2 refused */
	r2 = factor_result(&p2);
	EXPECT_EQ(0, r2.ret);				/* releases B */
	r1 = factor_result(&p1);
	EXPECT_EQ(0, r1.ret);				/* so p1 gets B */
	EXPECT_EQ(0, factor_result(&p1).ret);
	EXPECT_EQ(0, factor_result(&p1).ret);
	ASSERT_EQ(1, deadlocks(rd, ev, 4));
	EXPECT_EQ(p2.pid, ev[0].task.pid);
	EXPECT_EQ(2, ev[0].len);
	EXPECT_EQ(p2.pid, ev[0].cycle[0].pid);
	EXPECT_EQ(p1.pid, ev[0].cycle[1].pid);
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(1, li.deadlocks);
	EXPECT_EQ(0, li.owner_pid);
	EXPECT_EQ(0, fword(&self->l[0]));
	EXPECT_EQ(0, fword(&self->l[1]));
	actor_end(&p1);
	actor_end(&p2);
	close(rd);
}

/*
 * Recursion in the word: the count grows and shrinks there, the info
 * agrees, and goes on doing so while a waiter waits; only the last
 * release enters the kernel, and the waiter gets the lock then.
 */
TEST_F(fast, recursive)
{
	struct mpt_lock_info li;
	struct mpt_lock_acq a;
	struct fres r;
	struct actor w;
	bool user;
	int i;

	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_RECURSIVE));
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, &a,
					  &user));
		EXPECT_TRUE(user);
		EXPECT_EQ(i, a.count);
		EXPECT_EQ(wtok(self->tok, i), fword(&self->l[0]));
	}
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(3, li.count);
	EXPECT_EQ(gettid(), li.owner_tid);
	EXPECT_EQ(3, li.acquisitions);
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, &user));
	EXPECT_TRUE(user);
	EXPECT_EQ(wtok(self->tok, 2), fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(2, li.count);

	/* A waiter: the count stays in the word, with the waiters bit. */
	factor_start(&w, self->l, "kf0u0p");
	ASSERT_EQ(0, factor_result(&w).ret);
	ASSERT_TRUE(await_waiters(self->l[0].fd, 1));
	EXPECT_EQ(wtok(self->tok, 2) | MPT_LOCKW_WAITERS, fword(&self->l[0]));
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, &a, &user));
	EXPECT_TRUE(user);
	EXPECT_EQ(3, a.count);
	EXPECT_EQ(wtok(self->tok, 3) | MPT_LOCKW_WAITERS, fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(3, li.count);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, fast_release(&self->l[0], self->tok, &user));
		EXPECT_TRUE(user);
		EXPECT_EQ(wtok(self->tok, 2 - i) | MPT_LOCKW_WAITERS,
			  fword(&self->l[0]));
		ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
		EXPECT_EQ(gettid(), li.owner_tid);	/* still ours */
		EXPECT_EQ(1, li.nwaiters);
		EXPECT_EQ(2 - i, li.count);
	}
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, &user));
	EXPECT_FALSE(user);			/* the kernel wakes the waiter */
	r = factor_result(&w);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(1, r.count);
	EXPECT_EQ(0, factor_result(&w).ret);
	EXPECT_EQ(0, fword(&self->l[0]));
	EXPECT_EQ(-EPERM, fast_release(&self->l[0], self->tok, NULL));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(5, li.acquisitions);
	EXPECT_EQ(0, li.count);
	actor_end(&w);
}

/* A mutex its owner takes again through the protocol: EDEADLK, and still held. */
TEST_F(fast, mutex_again)
{
	struct mpt_lock_info li;
	bool user;

	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, NULL, &user));
	ASSERT_TRUE(user);
	EXPECT_EQ(-EDEADLK, fast_acquire(&self->l[0], self->tok, 0, 0, NULL,
					 &user));
	EXPECT_EQ(-EDEADLK, fast_acquire(&self->l[0], self->tok, MPT_LOCK_TRY,
					 0, NULL, &user));
	EXPECT_EQ(wtok(self->tok, 1), fword(&self->l[0]));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(2, li.deadlocks);
	EXPECT_EQ(1, li.count);
	EXPECT_EQ(gettid(), li.owner_tid);
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, &user));
	EXPECT_TRUE(user);
	EXPECT_EQ(0, fword(&self->l[0]));
	EXPECT_EQ(-EPERM, fast_release(&self->l[0], self->tok, NULL));
}

/*
 * Nonsense in the word.  A token nobody was given is a dead owner's,
 * ids unknown (the header's promise).  Other garbage must not make an
 * acquire wait for ever, nor the kernel complain (the VM fails the run
 * on any warning); whatever the acquirer is told, the lock works after.
 * Garbage written while the kernel keeps the state changes nothing.
 */
TEST_F(fast, garbage_word)
{
	static const __u64 junk[] = {
		MPT_LOCKW_KERNEL,
		~0ULL,
		MPT_LOCKW_ONE,				/* no token */
		0xfffffff0ULL,				/* no count */
		MPT_LOCKW_COUNT | 0xfffffff1ULL,
		MPT_LOCKW_KERNEL | 0x12345678ULL | MPT_LOCKW_ONE,
		MPT_LOCKW_WAITERS,			/* nobody waits */
		MPT_LOCKW_WAITERS | 0xfffffff2ULL | MPT_LOCKW_ONE,
	};
	struct mpt_lock_info li;
	struct mpt_lock_acq a;
	struct fres r;
	struct actor w;
	__u64 deaths;
	bool user;
	size_t i;

	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	ASSERT_EQ(0, fmake(self, 1, MPT_LOCK_RECURSIVE));

	/* A token no thread was given (they count up from 1). */
	__atomic_store_n(&self->l[0].pg->word, wtok(0xfffffff0U, 1),
			 __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(0, li.owner_pid);
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, MPT_LOCK_TIMEOUT,
				  now_ns() + 5000000000ULL, &a, NULL));
	EXPECT_EQ(MPT_LOCK_PREV_OWNER_DIED, a.flags & MPT_LOCK_PREV_OWNER_DIED);
	EXPECT_EQ(0, a.dead_pid);
	EXPECT_EQ(0, a.dead_tid);
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(1, li.owner_deaths);
	EXPECT_EQ(gettid(), li.owner_tid);
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, NULL));
	EXPECT_EQ(0, fword(&self->l[0]));

	/* Other nonsense, on either kind. */
	for (i = 0; i < 2 * sizeof(junk) / sizeof(junk[0]); i++) {
		struct fl *l = &self->l[i % 2];
		int ret, fails = 0;

		__atomic_store_n(&l->pg->word, junk[i / 2], __ATOMIC_SEQ_CST);
		ret = fast_acquire(l, self->tok, MPT_LOCK_TIMEOUT,
				   now_ns() + 5000000000ULL, &a, NULL);
		EXPECT_EQ(0, ret) TH_LOG("word %#llx: %s", junk[i / 2],
					 strerror(-ret));
		if (ret)
			continue;
		if (a.flags & MPT_LOCK_PREV_OWNER_DIED) {
			EXPECT_EQ(0, a.dead_pid);
			EXPECT_EQ(0, a.dead_tid);
		}
		EXPECT_EQ(1, a.count);
		ASSERT_EQ(0, linfo(l->fd, &li, NULL, 0));
		EXPECT_EQ(gettid(), li.owner_tid) TH_LOG("word %#llx",
							 junk[i / 2]);
		EXPECT_EQ(0, fast_release(l, self->tok, NULL));
		EXPECT_EQ(0, fword(l)) TH_LOG("word %#llx", junk[i / 2]);
		fails += fast_acquire(l, self->tok, 0, 0, NULL, &user) ||
			 !user || fast_release(l, self->tok, NULL);
		EXPECT_EQ(0, fails) TH_LOG("word %#llx", junk[i / 2]);
	}

	/*
	 * Garbage while the kernel keeps the state (its owner has no token,
	 * so the word cannot name it): ignored.
	 */
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	deaths = li.owner_deaths;
	factor_start(&w, self->l, "a0gr0p");
	r = factor_result(&w);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(MPT_LOCKW_KERNEL, fword(&self->l[0]));
	__atomic_store_n(&self->l[0].pg->word, 0x5555ULL | MPT_LOCKW_ONE,
			 __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(w.pid, li.owner_pid);
	EXPECT_EQ(-EBUSY, fast_acquire(&self->l[0], self->tok, MPT_LOCK_TRY, 0,
				       NULL, &user));
	EXPECT_FALSE(user);
	actor_go(&w);
	r = factor_result(&w);			/* its release */
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(0, fword(&self->l[0]));
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, &a, &user));
	EXPECT_TRUE(user);
	EXPECT_EQ(0, a.flags & MPT_LOCK_PREV_OWNER_DIED);
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, NULL));
	ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
	EXPECT_EQ(deaths, li.owner_deaths);
	actor_end(&w);
}

/*
 * The word names as owner a thread that waits for the same lock: a
 * cycle its sharers made, without the caller.  An acquire then follows
 * the wait-for path no further than the waiting threads, and waits (here
 * until its deadline) instead of going round that cycle for ever under
 * the locks' spinlock.
 */
TEST_F(fast, forged_cycle)
{
	struct mpt_lock_info li;
	struct fres r;
	struct actor w;
	int i;

	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, NULL, NULL));
	factor_start(&w, self->l, "kgf0");
	r = factor_result(&w);
	ASSERT_EQ(0, r.ret);
	actor_go(&w);
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, linfo(self->l[0].fd, &li, NULL, 0));
		if (li.nwaiters == 1)
			break;
		usleep(10000);
	}
	ASSERT_EQ(1, li.nwaiters);
	/* The waiter, by its token, holds the lock it waits for. */
	__atomic_store_n(&self->l[0].pg->word, wtok(r.token, 1),
			 __ATOMIC_SEQ_CST);
	EXPECT_EQ(-ETIMEDOUT,
		  acquire(self->l[0].fd, MPT_LOCK_TIMEOUT,
			  now_ns() + 200000000ULL, NULL));
	actor_end(&w);
}

/*
 * A mapping holds the lock's file, hence the module: unloading waits
 * for the last munmap(), not only for the last close().
 */
TEST_F(fast, mapping_holds_module)
{
	if (!mpt_ko_path())
		SKIP(return, "MPTRACE_KO not set: cannot reload the module");
	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));
	ASSERT_EQ(0, fast_acquire(&self->l[0], self->tok, 0, 0, NULL, NULL));
	ASSERT_EQ(0, fast_release(&self->l[0], self->tok, NULL));
	close(self->l[0].fd);
	self->l[0].fd = -1;
	ASSERT_EQ(0, lunlink(self->dev, self->name[0]));
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(-EAGAIN, mpt_unload());
	EXPECT_EQ(1, self->l[0].pg->fast_acquisitions);
	munmap(self->l[0].pg, page_size());
	self->l[0].pg = NULL;
	EXPECT_EQ(0, mpt_unload());
	ASSERT_EQ(0, mpt_load());
	self->dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
}

/*
 * max_lock_tokens bounds the threads holding a token: past it ENOSPC,
 * counted, nothing written; a thread that ends gives its token back.
 */
TEST_F(fast, token_limit)
{
	struct tokthr t = { 0 };
	pthread_t th;
	int go[2];
	pid_t pid;
	char c;

	if (!mpt_ko_path())
		SKIP(return, "MPTRACE_KO not set: cannot reload the module");
	ASSERT_EQ(0, freload(self, "max_lock_tokens=2"));
	EXPECT_EQ(2, mpt_stat_now(MPT_STATS_A_LOCK_TOKENS_MAX));
	EXPECT_EQ(0, mpt_stat_now(MPT_STATS_A_LOCK_TOKENS));
	ASSERT_EQ(0, fmake(self, 0, MPT_LOCK_MUTEX));	/* our token: 1 */
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 tok;

		close(go[1]);
		if (ftoken(self->l[0].fd, &tok) || !tok)
			_exit(1);
		_exit(read(go[0], &c, 1) == 0 ? 0 : 2);	/* until we close */
	}
	close(go[0]);
	while (mpt_stat_now(MPT_STATS_A_LOCK_TOKENS) < 2)
		usleep(10000);

	/* The third thread: refused, counted, nothing written. */
	t.fd = self->l[0].fd;
	ASSERT_EQ(0, pthread_create(&th, NULL, token_thread, &t));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(-ENOSPC, t.ret[0]);
	EXPECT_EQ(-ENOSPC, t.ret[1]);
	EXPECT_EQ(0, t.tok[0]);
	EXPECT_EQ(2, mpt_stat_now(MPT_STATS_A_LOCK_TOKENS));
	EXPECT_EQ(2, mpt_stat_now(MPT_STATS_A_LOCK_TOKEN_REFUSED));
	/* Still ours, as before. */
	EXPECT_EQ(0, ftoken(self->l[0].fd, &t.tok[0]));
	EXPECT_EQ(self->tok, t.tok[0]);

	/* The child ends: its token is free for the next thread. */
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &t.ret[0], 0));
	EXPECT_EQ(0, t.ret[0]);
	EXPECT_EQ(1, mpt_stat_now(MPT_STATS_A_LOCK_TOKENS));
	ASSERT_EQ(0, pthread_create(&th, NULL, token_thread, &t));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, t.ret[0]);
	EXPECT_NE(0, t.tok[0]);
	EXPECT_NE(self->tok, t.tok[0]);
	EXPECT_EQ(2, mpt_stat_now(MPT_STATS_A_LOCK_TOKEN_REFUSED));

	/* Back to the defaults for the tests after this one. */
	ffree(self, 0);
	ASSERT_EQ(0, freload(self, ""));
}

TEST_HARNESS_MAIN
