// SPDX-License-Identifier: GPL-2.0
/*
 * Fast queues (linux/mptrace.h, "Fast queues"): the ring's protocol as
 * libmptrace speaks it, checked against what the kernel counts (the
 * queue's info) and against the kernel's own puts and gets (read(2),
 * write(2), the ioctls) on the same ring; threads that die in the middle
 * of a put or get, written here by hand into the mapping; and every bad
 * form of the mapping and of the three ioctls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "libmptrace.h"
#include "mpt_helpers.h"

#define RW	(MPT_QOPEN_READ | MPT_QOPEN_WRITE | MPT_QOPEN_CLOEXEC)

FIXTURE(fq) {
	char name[MPT_NAME_LEN];
	int fd;
	struct mpt_queue_fast *h;
};

FIXTURE_SETUP(fq)
{
	static int n;

	snprintf(self->name, sizeof(self->name), "fq-%d-%d", getpid(), n++);
	self->fd = -1;
	self->h = NULL;
	if (!mpt_loaded())
		SKIP(return, "mptrace module not loaded");
}

FIXTURE_TEARDOWN(fq)
{
	mpt_queue_fast_unmap(self->h);
	if (self->fd >= 0)
		close(self->fd);
	mpt_queue_unlink(self->name);
}

/* Make the fast queue, open for both, and map it. */
static int fmake(FIXTURE_DATA(fq) *self, uint32_t capacity, uint32_t msgsize)
{
	struct mpt_queue_params p = {
		.capacity = capacity,
		.msgsize = msgsize,
		.mode = 0600,
		.qflags = MPT_QUEUE_FAST,
	};

	self->fd = mpt_queue_open(self->name, RW | MPT_QOPEN_CREATE |
				  MPT_QOPEN_EXCL, &p);
	if (self->fd < 0)
		return self->fd;
	return mpt_queue_fast_map(self->fd, &self->h);
}

static struct mpt_queue_info finfo(int fd)
{
	struct mpt_queue_info qi;

	memset(&qi, 0xff, sizeof(qi));
	if (mpt_queue_info(fd, &qi, NULL, NULL, NULL, NULL))
		memset(&qi, 0xff, sizeof(qi));
	return qi;
}

/* Our own view of the ring: the whole mapping, mapped again. */
struct ring {
	struct mpt_qring *r;
	size_t len;
};

/*
 * The mapping's size by the layout linux/mptrace.h gives (a header page,
 * a page of entries, the slots), page-aligned.
 */
static size_t rsize(__u32 capacity, __u32 msgsize)
{
	size_t psz = sysconf(_SC_PAGESIZE);
	size_t slot = sizeof(struct mpt_qslot) + (msgsize + 7) / 8 * 8;

	return (2 * psz + capacity * slot + psz - 1) / psz * psz;
}

static int rmap(int fd, struct ring *v)
{
	struct mpt_queue_info qi = finfo(fd);

	v->len = rsize(qi.capacity, qi.msgsize);
	v->r = mmap(NULL, v->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (v->r == MAP_FAILED)
		return -errno;
	return v->r->size == v->len ? 0 : -EPROTO;
}

static struct mpt_qslot *rslot(struct ring *v, __u64 pos, __u64 *lap)
{
	*lap = (pos / v->r->capacity) << MPT_QS_LAP_SHIFT;
	return (void *)((char *)v->r + v->r->slots_offset +
			(pos % v->r->capacity) * v->r->slot_size);
}

static struct mpt_qentry *rentry(struct ring *v, __u32 i)
{
	return (void *)((char *)v->r + v->r->entries_offset) + i * 16;
}

static int qwait(int fd, __u32 what, __u64 pos, __u64 state, __u32 flags)
{
	struct mpt_qfwait w = {
		.pos = pos, .state = state, .what = what, .flags = flags,
	};

	return ioctl(fd, MPT_QIOC_WAIT, &w) ? -errno : 0;
}

/* What creating, mapping and the ioctls refuse. */
TEST_F(fq, bad_forms)
{
	struct mpt_queue_params p = {
		.mode = 0600, .qflags = MPT_QUEUE_FAST | MPT_QUEUE_TRACE,
	};
	struct mpt_queue_fast *h = (void *)1;
	struct mpt_qattach qa;
	char slowname[MPT_NAME_LEN];
	int slow, ro;
	size_t len;
	void *m;

	EXPECT_EQ(-EINVAL, mpt_queue_open(self->name, RW | MPT_QOPEN_CREATE, &p));
	p.qflags = 1U << 5;
	EXPECT_EQ(-EINVAL, mpt_queue_open(self->name, RW | MPT_QOPEN_CREATE, &p));
	/* The whole ring is reserved: 2^16 slots of 64 KiB is too much. */
	p.qflags = MPT_QUEUE_FAST;
	p.capacity = MPT_QUEUE_CAPACITY_MAX;
	p.msgsize = MPT_QUEUE_MSGSIZE_MAX;
	EXPECT_EQ(-ENOSPC, mpt_queue_open(self->name, RW | MPT_QOPEN_CREATE, &p));

	ASSERT_EQ(0, fmake(self, 4, 64));
	ASSERT_EQ(MPT_QUEUE_FAST, finfo(self->fd).flags & MPT_QUEUE_FAST);

	/* A queue that is not fast has no ring. */
	snprintf(slowname, sizeof(slowname), "fqs-%d", getpid());
	slow = mpt_queue_open(slowname, RW | MPT_QOPEN_CREATE, NULL);
	ASSERT_LE(0, slow);
	mpt_queue_unlink(slowname);
	EXPECT_EQ(-ENODEV, mpt_queue_fast_map(slow, &h));
	EXPECT_EQ(NULL, h);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, slow, 0));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, ioctl(slow, MPT_QIOC_ATTACH, &qa));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-ENODEV, qwait(slow, MPT_QW_GET, 0, 0, MPT_QMSG_NOWAIT));
	EXPECT_EQ(-1, ioctl(slow, MPT_QIOC_WAKE, MPT_QW_GET));
	EXPECT_EQ(ENODEV, errno);
	close(slow);

	/* Mapped whole, shared, at 0: nothing else. */
	len = rsize(4, 64);
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(len, ((struct mpt_qring *)m)->size);
	EXPECT_EQ(4, ((struct mpt_qring *)m)->capacity);
	EXPECT_EQ(64, ((struct mpt_qring *)m)->msgsize);
	munmap(m, len);
	m = mmap(NULL, len - 4096, PROT_READ, MAP_SHARED, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = mmap(NULL, len + 4096, PROT_READ, MAP_SHARED, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, 4096);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);

	/* Opened for reading alone: no writable mapping, no entry. */
	ro = mpt_queue_open(self->name, MPT_QOPEN_READ | MPT_QOPEN_CLOEXEC, NULL);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, mpt_queue_fast_map(ro, &h));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, len, PROT_READ, MAP_SHARED, ro, 0));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, ioctl(ro, MPT_QIOC_ATTACH, &qa));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, qwait(ro, MPT_QW_PUT, 0, 0, MPT_QMSG_NOWAIT));
	/* ... but the calls work on it as on any queue's. */
	EXPECT_EQ(0, mpt_queue_fast_put(self->h, "x", 1, 0, NULL));
	EXPECT_EQ(1, read(ro, slowname, sizeof(slowname)));
	close(ro);

	/* The waits and wakes: what, flags. */
	EXPECT_EQ(-EINVAL, qwait(self->fd, 0, 0, 0, MPT_QMSG_NOWAIT));
	EXPECT_EQ(-EINVAL, qwait(self->fd, MPT_QW_JOIN, 0, 0, MPT_QMSG_NOWAIT));
	EXPECT_EQ(-EINVAL, qwait(self->fd, MPT_QW_GET, 0, 0, 1U << 7));
	EXPECT_EQ(-EINVAL, qwait(self->fd, MPT_QW_GET, 0, 0,
				 MPT_QMSG_DETACHED | MPT_QMSG_NOWAIT));
	EXPECT_EQ(-1, ioctl(self->fd, MPT_QIOC_WAKE, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, MPT_QIOC_WAKE, MPT_QW_JOIN));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, ioctl(self->fd, MPT_QIOC_WAKE, MPT_QW_PUT));
	EXPECT_EQ(-1, ioctl(self->fd, MPT_QIOC_WAIT, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, MPT_QIOC_ATTACH, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	/* The slot's word is another than said: at once.  The same: EAGAIN. */
	EXPECT_EQ(0, qwait(self->fd, MPT_QW_GET, 1, 12345, MPT_QMSG_NOWAIT));
	EXPECT_EQ(-EAGAIN, qwait(self->fd, MPT_QW_GET, 1, 0, MPT_QMSG_NOWAIT));
	EXPECT_EQ(-EAGAIN, qwait(self->fd, MPT_QW_GET, 1, 0,
				 MPT_QMSG_NOWAIT | MPT_QFW_ONE));
	EXPECT_EQ(-EINVAL, qwait(self->fd, MPT_QW_GET, 1, 0,
				 MPT_QMSG_NOWAIT | MPT_QFW_ONE << 1));
	/* Any position names a slot: modulo the capacity. */
	EXPECT_EQ(-EAGAIN, qwait(self->fd, MPT_QW_GET, ~0ULL - 2, 0,
				 MPT_QMSG_NOWAIT));
	/* Nothing above counted a wait. */
	EXPECT_EQ(0, finfo(self->fd).empty_waits);
	EXPECT_EQ(0, finfo(self->fd).full_waits);
}

/* Puts and gets of user space and of the kernel, counted as one queue. */
TEST_F(fq, counts_and_order)
{
	struct mpt_qconsumer c[4];
	struct mpt_queue_info qi;
	uint32_t nc = 4, nw = 0;
	char buf[64], msg[16];
	uint64_t seq;
	ssize_t n;
	int i;

	ASSERT_EQ(0, fmake(self, 16, 32));
	for (i = 0; i < 10; i++) {
		snprintf(msg, sizeof(msg), "m%d", i);
		ASSERT_EQ(0, mpt_queue_fast_put(self->h, msg, strlen(msg), -1,
						&seq));
		EXPECT_EQ(i + 1, seq);
	}
	/* The kernel's put goes behind them. */
	ASSERT_EQ(3, write(self->fd, "m10", 3));
	qi = finfo(self->fd);
	EXPECT_EQ(11, qi.depth);
	EXPECT_EQ(11, qi.hwm);
	EXPECT_EQ(11, qi.puts);
	EXPECT_EQ(0, qi.gets);
	EXPECT_EQ(2 * 10 + 3, qi.bytes);
	EXPECT_EQ(11, qi.unfinished);

	/* Too small: nothing consumed, the size needed said. */
	EXPECT_EQ(-EMSGSIZE, mpt_queue_fast_get(self->h, buf, 1, 0, 0, NULL));
	EXPECT_EQ(-EMSGSIZE, mpt_queue_fast_put(self->h, buf, 33, 0, NULL));
	for (i = 0; i < 11; i++) {
		snprintf(msg, sizeof(msg), "m%d", i);
		/* Every third by the kernel (read(2)), the others here. */
		if (i % 3 == 2)
			n = read(self->fd, buf, sizeof(buf));
		else
			n = mpt_queue_fast_get(self->h, buf, sizeof(buf), 0, 0,
					       &seq);
		ASSERT_EQ(strlen(msg), n);
		EXPECT_EQ(0, memcmp(buf, msg, n));
		if (i % 3 != 2)
			EXPECT_EQ(i + 1, seq);
	}
	EXPECT_EQ(-EAGAIN, mpt_queue_fast_get(self->h, buf, sizeof(buf), 0, 0,
					      NULL));
	ASSERT_EQ(0, mpt_queue_info(self->fd, &qi, NULL, &nw, c, &nc));
	EXPECT_EQ(0, qi.depth);
	EXPECT_EQ(0, qi.bytes);
	EXPECT_EQ(11, qi.gets);
	EXPECT_EQ(11, qi.unfinished);
	EXPECT_EQ(0, qi.loose);
	ASSERT_EQ(1, nc);
	EXPECT_EQ(getpid(), c[0].pid);
	EXPECT_EQ(11, c[0].inflight);

	/* Detached: the kernel's, loose. */
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "d", 1, 0, NULL));
	ASSERT_EQ(1, mpt_queue_fast_get(self->h, buf, sizeof(buf), 0,
					MPT_QMSG_DETACHED, NULL));
	EXPECT_EQ(1, finfo(self->fd).loose);

	EXPECT_EQ(-EINVAL, mpt_queue_task_done(self->fd, 13));
	EXPECT_EQ(-EAGAIN, mpt_queue_join(self->fd, 0));
	EXPECT_EQ(0, mpt_queue_task_done(self->fd, 12));
	EXPECT_EQ(0, mpt_queue_join(self->fd, 0));
	qi = finfo(self->fd);
	EXPECT_EQ(0, qi.unfinished);
	EXPECT_EQ(0, qi.loose);
	/* Attached, it stays a consumer with nothing in flight. */
	EXPECT_EQ(12, qi.puts);
	EXPECT_EQ(12, qi.gets);
	EXPECT_EQ(0, qi.released);
}

/* Full and empty: try, time out, count one wait per call. */
TEST_F(fq, full_empty)
{
	struct timespec a, b;
	char buf[8];
	int i;

	ASSERT_EQ(0, fmake(self, 4, 8));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, mpt_queue_fast_put(self->h, "abc", 3, 0, NULL));
	EXPECT_EQ(-EAGAIN, mpt_queue_fast_put(self->h, "abc", 3, 0, NULL));
	EXPECT_EQ(0, finfo(self->fd).full_waits);
	clock_gettime(CLOCK_MONOTONIC, &a);
	EXPECT_EQ(-ETIMEDOUT, mpt_queue_fast_put(self->h, "abc", 3, 50000000,
						 NULL));
	clock_gettime(CLOCK_MONOTONIC, &b);
	EXPECT_LE(50000000LL, (b.tv_sec - a.tv_sec) * 1000000000LL +
			      b.tv_nsec - a.tv_nsec);
	EXPECT_EQ(1, finfo(self->fd).full_waits);
	/* write(2) on a full fast queue, nonblocking: EAGAIN. */
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, write(self->fd, "x", 1));
	EXPECT_EQ(EAGAIN, errno);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(3, mpt_queue_fast_get(self->h, buf, sizeof(buf), 0, 0,
						NULL));
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-ETIMEDOUT, mpt_queue_fast_get(self->h, buf, sizeof(buf),
						 20000000, 0, NULL));
	EXPECT_EQ(1, finfo(self->fd).empty_waits);
	EXPECT_EQ(4, finfo(self->fd).hwm);
}

/* Wait until @pid sleeps, or fail after 10 s. */
static bool await_sleep(pid_t pid)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (mpt_proc_state(pid) == 'S')
			return true;
		usleep(10000);
	}
	return false;
}

/* A getter asleep on the empty ring, a putter on the full one: woken. */
TEST_F(fq, sleep_and_wake)
{
	struct mpt_qwaiter w[2];
	struct mpt_queue_info qi;
	uint32_t nw = 2;
	char buf[8];
	pid_t pid;
	int st;

	ASSERT_EQ(0, fmake(self, 1, 8));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(mpt_queue_fast_get(self->h, buf, sizeof(buf), -1, 0,
					 NULL) == 2 && !memcmp(buf, "hi", 2) ?
		      0 : 1);
	ASSERT_TRUE(await_sleep(pid));
	ASSERT_EQ(0, mpt_queue_info(self->fd, &qi, w, &nw, NULL, NULL));
	EXPECT_EQ(1, qi.nget);
	ASSERT_EQ(1, nw);
	EXPECT_EQ(pid, w[0].pid);
	EXPECT_EQ(MPT_QW_GET, w[0].what);
	EXPECT_EQ(1, qi.empty_waits);
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "hi", 2, 0, NULL));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);

	/* Full: the putter sleeps until a get, of the kernel's, makes room. */
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "a", 1, 0, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(mpt_queue_fast_put(self->h, "b", 1, -1, NULL) ? 1 : 0);
	ASSERT_TRUE(await_sleep(pid));
	EXPECT_EQ(1, finfo(self->fd).nput);
	ASSERT_EQ(1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ('a', buf[0]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	ASSERT_EQ(1, mpt_queue_fast_get(self->h, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ('b', buf[0]);
	qi = finfo(self->fd);
	EXPECT_EQ(0, qi.nput);
	EXPECT_EQ(0, qi.nget);
	EXPECT_EQ(1, qi.full_waits);
	/* The child's get is released with it: it never marked it done. */
	EXPECT_EQ(1, qi.released);
	EXPECT_EQ(1, qi.consumer_deaths);
}

/* How often @pid went to sleep: voluntary_ctxt_switches of its status. */
static long sleeps(pid_t pid)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (mpt_read_file(path, buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "\nvoluntary_ctxt_switches:");
	return p ? strtol(p + strlen("\nvoluntary_ctxt_switches:"), NULL, 10) :
		   -1;
}

/* A getter in a child: its index into @fd once it has a message. */
static pid_t line_getter(struct mpt_queue_fast *h, int qfd, int idx,
			 size_t room, bool by_read, int fd)
{
	char buf[16], c = idx;
	ssize_t n;
	pid_t pid = fork();

	if (pid)
		return pid;
	n = by_read ? read(qfd, buf, room) :
		      mpt_queue_fast_get(h, buf, room, -1, 0, NULL);
	if (n == -EMSGSIZE || (n == -1 && errno == EMSGSIZE))
		_exit(2);
	_exit(n > 0 && write(fd, &c, 1) == 1 ? 0 : 1);
}

static void kill_all(const pid_t *pid, int n)
{
	while (n--)
		kill(pid[n], SIGKILL);
}

/*
 * The index the next getter to get a message writes; after 10 s without
 * one, -1 and the getters @pid killed, so that waiting for them ends.
 */
static int line_next(int fd, const pid_t *pid, int n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, 10000) == 1 && read(fd, &c, 1) == 1)
		return c;
	kill_all(pid, n);
	return -1;
}

#define NLINE	6

/*
 * Getters asleep in line: a message wakes one of them, the longest
 * asleep, and the others sleep on (none went to sleep again: they never
 * woke); a burst of messages wakes as many getters.
 */
TEST_F(fq, wake_in_line)
{
	long before[NLINE];
	pid_t pid[NLINE];
	int p[2], i, st;

	ASSERT_EQ(0, fmake(self, 16, 8));
	ASSERT_EQ(0, pipe(p));
	for (i = 0; i < NLINE; i++) {
		pid[i] = line_getter(self->h, self->fd, i, 8, false, p[1]);
		ASSERT_LE(0, pid[i]);
		ASSERT_TRUE(await_sleep(pid[i]));
	}
	EXPECT_EQ(NLINE, finfo(self->fd).nget);
	for (i = 0; i < NLINE; i++) {
		before[i] = sleeps(pid[i]);
		ASSERT_LE(1, before[i]);
	}
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "x", 1, 0, NULL));
	i = line_next(p[0], pid, NLINE);
	if (i)
		kill_all(pid, NLINE);
	EXPECT_EQ(0, i);
	ASSERT_EQ(pid[0], waitpid(pid[0], &st, 0));
	EXPECT_EQ(0, st);
	usleep(200000);
	for (i = 1; i < NLINE; i++)
		EXPECT_EQ(before[i], sleeps(pid[i]));
	EXPECT_EQ(NLINE - 1, finfo(self->fd).nget);

	/* The kernel's put counts the messages it wakes for, too. */
	for (i = 1; i < NLINE; i++)
		ASSERT_EQ(1, write(self->fd, "y", 1));
	for (i = 1; i < NLINE; i++)
		EXPECT_LE(1, line_next(p[0], pid, NLINE));
	for (i = 1; i < NLINE; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &st, 0));
		EXPECT_EQ(0, st);
	}
	EXPECT_EQ(NLINE, finfo(self->fd).gets);
	EXPECT_EQ(0, finfo(self->fd).depth);
	close(p[0]);
	close(p[1]);
}

/*
 * A getter woken in line for a message too long for it (EMSGSIZE, by the
 * library or by read(2)) wakes the next in line, which gets it.
 */
TEST_F(fq, wake_passed_on)
{
	int p[2], by_read, st;
	pid_t small, big;

	ASSERT_EQ(0, fmake(self, 4, 16));
	ASSERT_EQ(0, pipe(p));
	for (by_read = 0; by_read < 2; by_read++) {
		small = line_getter(self->h, self->fd, 1, 4, by_read, p[1]);
		ASSERT_LE(0, small);
		ASSERT_TRUE(await_sleep(small));
		big = line_getter(self->h, self->fd, 2, 16, false, p[1]);
		ASSERT_LE(0, big);
		ASSERT_TRUE(await_sleep(big));
		ASSERT_EQ(0, mpt_queue_fast_put(self->h, "too long", 8, 0,
						NULL));
		EXPECT_EQ(2, line_next(p[0], (pid_t[]){ small, big }, 2));
		ASSERT_EQ(small, waitpid(small, &st, 0));
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 2);
		ASSERT_EQ(big, waitpid(big, &st, 0));
		EXPECT_EQ(0, st);
	}
	close(p[0]);
	close(p[1]);
}

/*
 * A module from before MPT_QFW_ONE, played here in front of the system
 * call: it answers a wait with that flag EINVAL, as it does any flag it
 * does not know, and sleeps the others as they ask.  Every ioctl of this
 * program comes through; only while @old_module is set is one refused.
 */
static int old_module, refused, plain_waits;

int ioctl(int fd, unsigned long req, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, req);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (old_module && req == MPT_QIOC_WAIT) {
		const struct mpt_qfwait *w = (const void *)arg;

		if (w->flags & MPT_QFW_ONE) {
			refused++;
			errno = EINVAL;
			return -1;
		}
		plain_waits++;
	}
	return syscall(SYS_ioctl, fd, req, arg);
}

/* Wait until the queue has had @gets gets and has @nget and @nput asleep. */
static bool await_waits(int fd, uint64_t gets, uint32_t nget, uint32_t nput)
{
	struct mpt_queue_info qi;
	int i;

	for (i = 0; i < 1000; i++) {
		qi = finfo(fd);
		if (qi.gets == gets && qi.nget == nget && qi.nput == nput)
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * With such a module the library's gets and puts still sleep and wake:
 * out of line, asking once a handle whether the flag is known.
 */
TEST_F(fq, module_without_line)
{
	char buf[8];
	pid_t pid;
	int st;

	ASSERT_EQ(0, fmake(self, 1, 8));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		bool ok;

		old_module = 1;
		ok = mpt_queue_fast_get(self->h, buf, sizeof(buf), -1, 0,
					NULL) == 1 && buf[0] == 'a';
		ok = ok && mpt_queue_fast_get(self->h, buf, sizeof(buf), -1, 0,
					      NULL) == 1 && buf[0] == 'b';
		/* Full: the put sleeps until the parent's get. */
		ok = ok && !mpt_queue_fast_put(self->h, "c", 1, -1, NULL) &&
		     !mpt_queue_fast_put(self->h, "d", 1, -1, NULL);
		_exit(!ok ? 1 : refused != 1 ? 2 : plain_waits < 3 ? 3 : 0);
	}
	ASSERT_TRUE(await_waits(self->fd, 0, 1, 0));
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "a", 1, 0, NULL));
	ASSERT_TRUE(await_waits(self->fd, 1, 1, 0));
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "b", 1, 0, NULL));
	ASSERT_TRUE(await_waits(self->fd, 2, 0, 1));
	ASSERT_EQ(1, mpt_queue_fast_get(self->h, buf, sizeof(buf), -1, 0,
					NULL));
	EXPECT_EQ('c', buf[0]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	ASSERT_EQ(1, mpt_queue_fast_get(self->h, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ('d', buf[0]);
}

/* poll(2) sees a put made in user space by another process. */
TEST_F(fq, poll_wakes)
{
	struct pollfd pfd;
	pid_t pid;
	int st;

	ASSERT_EQ(0, fmake(self, 2, 8));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pfd.fd = self->fd;
		pfd.events = POLLIN;
		_exit(poll(&pfd, 1, 20000) == 1 && (pfd.revents & POLLIN) ?
		      0 : 1);
	}
	ASSERT_TRUE(await_sleep(pid));
	usleep(50000);
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "p", 1, 0, NULL));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	pfd.fd = self->fd;
	pfd.events = POLLIN | POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, pfd.revents);
}

/* A get whose copy out fails leaves the message first in line. */
TEST_F(fq, kernel_copy_fails)
{
	char buf[8], *bad;

	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, fmake(self, 4, 8));
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "one", 3, 0, NULL));
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "two", 3, 0, NULL));
	EXPECT_EQ(-1, read(self->fd, bad, sizeof(buf)));
	EXPECT_EQ(EFAULT, errno);
	/* A put whose copy in fails never happened: a gap, not a message. */
	EXPECT_EQ(-1, write(self->fd, bad, 3));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(2, finfo(self->fd).puts);
	ASSERT_EQ(3, mpt_queue_fast_get(self->h, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ(0, memcmp(buf, "one", 3));
	ASSERT_EQ(3, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "two", 3));
	EXPECT_EQ(-EAGAIN, mpt_queue_fast_get(self->h, buf, sizeof(buf), 0, 0,
					      NULL));
	EXPECT_EQ(2, finfo(self->fd).gets);
	EXPECT_EQ(0, finfo(self->fd).depth);
}

/*
 * A child attaches, claims the slot at @tail for writing (or the message
 * at @head for reading) by hand, as the protocol says, and dies there;
 * with @ready and @go (else -1), once it has said so on @ready and read
 * a byte from @go.
 */
static int die_claiming(int fd, bool reading, int ready, int go)
{
	char c;
	struct mpt_qattach qa;
	struct mpt_qentry *e;
	struct mpt_qslot *s;
	struct ring v;
	__u64 pos, lap, st;

	if (rmap(fd, &v) || ioctl(fd, MPT_QIOC_ATTACH, &qa))
		return 2;
	e = rentry(&v, qa.entry);
	pos = reading ? v.r->head : v.r->tail;
	s = rslot(&v, pos, &lap);
	st = lap | (reading ? MPT_QS_FULL : MPT_QS_EMPTY);
	e->pos = pos;
	if (reading)
		e->word |= MPT_QE_BUSY;
	if (!__atomic_compare_exchange_n(&s->state, &st,
			lap | (reading ? MPT_QS_READING : MPT_QS_WRITING) |
			qa.token, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return 3;
	if (reading)
		v.r->head = pos + 1;
	else
		v.r->tail = pos + 1;
	memset(s + 1, 'z', 4);
	if (ready >= 0 && (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1))
		return 5;
	/* A signal, not an exit: it never runs user code again. */
	kill(getpid(), SIGKILL);
	return 4;
}

/* A put that died half-way: skipped, counted as never put. */
TEST_F(fq, writer_dies)
{
	struct mpt_queue_info qi;
	char buf[8];
	uint64_t seq;
	pid_t pid;
	int st;

	ASSERT_EQ(0, fmake(self, 4, 8));
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "a", 1, 0, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(die_claiming(self->fd, false, -1, -1));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFSIGNALED(st));
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "c", 1, 0, &seq));
	EXPECT_EQ(3, seq);
	qi = finfo(self->fd);
	EXPECT_EQ(2, qi.puts);
	EXPECT_EQ(2, qi.depth);
	EXPECT_EQ(2, qi.unfinished);
	ASSERT_EQ(1, mpt_queue_fast_get(self->h, buf, sizeof(buf), 0, 0, &seq));
	EXPECT_EQ('a', buf[0]);
	/* The kernel's get steps over the gap too. */
	ASSERT_EQ(1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ('c', buf[0]);
	qi = finfo(self->fd);
	EXPECT_EQ(2, qi.gets);
	EXPECT_EQ(0, qi.depth);
	EXPECT_EQ(0, mpt_queue_task_done(self->fd, 2));
	EXPECT_EQ(0, mpt_queue_join(self->fd, 0));
}

/*
 * A join waits, and the one put it waits for dies half-way: the position
 * it claimed holds nothing after all, and the join ends with it (not at
 * its own deadline, a minute away).
 */
TEST_F(fq, join_ends_with_dead_put)
{
	int ready[2], go[2], st, i;
	pid_t putter, joiner;
	char c;

	ASSERT_EQ(0, fmake(self, 4, 8));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	putter = fork();
	ASSERT_LE(0, putter);
	if (putter == 0) {
		close(go[1]);
		_exit(die_claiming(self->fd, false, ready[1], go[0]));
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(1, finfo(self->fd).unfinished);
	joiner = fork();
	ASSERT_LE(0, joiner);
	if (joiner == 0)
		_exit(mpt_queue_join(self->fd, 60000000000LL) ? 1 : 0);
	for (i = 0; i < 1000 && finfo(self->fd).njoin != 1; i++)
		usleep(10000);
	ASSERT_EQ(1, finfo(self->fd).njoin);
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(putter, waitpid(putter, &st, 0));
	ASSERT_TRUE(WIFSIGNALED(st));
	for (i = 0; i < 2000 && !waitpid(joiner, &st, WNOHANG); i++)
		usleep(10000);
	if (i == 2000) {
		kill(joiner, SIGKILL);
		waitpid(joiner, &st, 0);
	}
	EXPECT_GT(2000, i);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_EQ(0, finfo(self->fd).unfinished);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

/* A get that died half-way: the item was the dead process's, released. */
TEST_F(fq, reader_dies)
{
	struct mpt_queue_info qi;
	char buf[8];
	pid_t pid;
	int st, i;

	ASSERT_EQ(0, fmake(self, 2, 8));
	/* Lap 1 and on: the slots' laps must move on right. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, mpt_queue_fast_put(self->h, "o", 1, 0, NULL));
		ASSERT_EQ(1, mpt_queue_fast_get(self->h, buf, 8, 0, 0, NULL));
	}
	ASSERT_EQ(0, mpt_queue_task_done(self->fd, 3));
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "a", 1, 0, NULL));
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "b", 1, 0, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(die_claiming(self->fd, true, -1, -1));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFSIGNALED(st));
	qi = finfo(self->fd);
	EXPECT_EQ(5, qi.puts);
	EXPECT_EQ(4, qi.gets);
	EXPECT_EQ(1, qi.depth);
	EXPECT_EQ(1, qi.released);
	EXPECT_EQ(1, qi.consumer_deaths);
	EXPECT_EQ(1, qi.unfinished);
	/* Room again where "a" was: a full ring of two takes two more. */
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "c", 1, 0, NULL));
	ASSERT_EQ(1, mpt_queue_fast_get(self->h, buf, 8, 0, 0, NULL));
	EXPECT_EQ('b', buf[0]);
	ASSERT_EQ(1, mpt_queue_fast_get(self->h, buf, 8, 0, 0, NULL));
	EXPECT_EQ('c', buf[0]);
	EXPECT_EQ(0, mpt_queue_task_done(self->fd, 2));
	EXPECT_EQ(0, mpt_queue_join(self->fd, 0));
}

#define NPROD	4
#define NCONS	4
#define PER	2000

/* Four putters and four getters, through a ring of eight; sums checked. */
TEST_F(fq, many_to_many)
{
	unsigned long long sum = 0, want = 0, expect = 0;
	struct mpt_queue_info qi;
	int p[NCONS][2], i, k, st;
	pid_t pid[NPROD + NCONS];

	ASSERT_EQ(0, fmake(self, 8, 16));
	for (i = 0; i < NPROD + NCONS; i++) {
		if (i >= NPROD)
			ASSERT_EQ(0, pipe(p[i - NPROD]));
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i])
			continue;
		if (i < NPROD) {
			unsigned long long v;

			for (k = 0; k < PER; k++) {
				v = (unsigned long long)i << 32 | k;
				if (mpt_queue_fast_put(self->h, &v, sizeof(v),
						       -1, NULL))
					_exit(1);
			}
			_exit(0);
		} else {
			unsigned long long v, s = 0, n = 0;

			for (;;) {
				if (mpt_queue_fast_get(self->h, &v, sizeof(v),
						       -1, 0, NULL) !=
				    sizeof(v))
					_exit(1);
				if (v == ~0ULL)
					break;
				s += v;
				n++;
			}
			if (write(p[i - NPROD][1], &s, sizeof(s)) != sizeof(s) ||
			    write(p[i - NPROD][1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < NPROD; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &st, 0));
		EXPECT_EQ(0, st);
	}
	for (i = 0; i < NCONS; i++) {
		unsigned long long stop = ~0ULL;

		ASSERT_EQ(0, mpt_queue_fast_put(self->h, &stop, sizeof(stop),
						-1, NULL));
	}
	for (i = 0; i < NCONS; i++) {
		unsigned long long s, n;

		ASSERT_EQ(pid[NPROD + i], waitpid(pid[NPROD + i], &st, 0));
		EXPECT_EQ(0, st);
		ASSERT_EQ(sizeof(s), read(p[i][0], &s, sizeof(s)));
		ASSERT_EQ(sizeof(n), read(p[i][0], &n, sizeof(n)));
		sum += s;
		want += n;
	}
	EXPECT_EQ(NPROD * PER, want);
	for (i = 0; i < NPROD; i++)
		for (k = 0; k < PER; k++)
			expect += (unsigned long long)i << 32 | k;
	EXPECT_EQ(expect, sum);
	qi = finfo(self->fd);
	EXPECT_EQ(NPROD * PER + NCONS, qi.puts);
	EXPECT_EQ(NPROD * PER + NCONS, qi.gets);
	EXPECT_EQ(0, qi.depth);
	/* The getters died with every item in flight: released. */
	EXPECT_EQ(NPROD * PER + NCONS, qi.released);
	EXPECT_EQ(NCONS, qi.consumer_deaths);
	EXPECT_EQ(0, qi.unfinished);
	EXPECT_LE(1, qi.hwm);
	EXPECT_GE(8, qi.hwm);
}

struct att {
	int fd;
	pthread_barrier_t *b;
	struct mpt_qattach qa;
	int err;
};

static void *attach_thread(void *arg)
{
	struct att *a = arg;

	a->err = ioctl(a->fd, MPT_QIOC_ATTACH, &a->qa) ? errno : 0;
	pthread_barrier_wait(a->b);
	return NULL;
}

/* Entries: one per thread, the same again, ENOSPC past the last, reused. */
TEST_F(fq, entries)
{
	static struct att a[MPT_QRING_ENTRIES + 1];
	static pthread_t t[MPT_QRING_ENTRIES + 1];
	struct mpt_qattach mine, again;
	pthread_barrier_t b;
	unsigned char seen[MPT_QRING_ENTRIES] = { 0 };
	int i, nospc = 0;

	ASSERT_EQ(0, fmake(self, 2, 8));
	ASSERT_EQ(0, ioctl(self->fd, MPT_QIOC_ATTACH, &mine));
	ASSERT_EQ(0, ioctl(self->fd, MPT_QIOC_ATTACH, &again));
	EXPECT_EQ(mine.entry, again.entry);
	EXPECT_EQ(mine.token, again.token);
	EXPECT_NE(0, mine.token);
	seen[mine.entry] = 1;

	ASSERT_EQ(0, pthread_barrier_init(&b, NULL, MPT_QRING_ENTRIES + 1));
	for (i = 0; i < MPT_QRING_ENTRIES; i++) {
		a[i].fd = self->fd;
		a[i].b = &b;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, attach_thread, &a[i]));
	}
	pthread_barrier_wait(&b);
	for (i = 0; i < MPT_QRING_ENTRIES; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		if (a[i].err == ENOSPC) {
			nospc++;
			continue;
		}
		ASSERT_EQ(0, a[i].err);
		ASSERT_GT(MPT_QRING_ENTRIES, a[i].qa.entry);
		EXPECT_EQ(0, seen[a[i].qa.entry]);
		seen[a[i].qa.entry] = 1;
	}
	/* 256 entries, ours among them: one thread was refused. */
	EXPECT_EQ(1, nospc);
	pthread_barrier_destroy(&b);

	/*
	 * Their threads ended: entries free again (a joined thread's exit
	 * probe may run a little after pthread_join() returns).
	 */
	ASSERT_EQ(0, pthread_barrier_init(&b, NULL, 2));
	for (i = 0; i < 100; i++) {
		a[0].fd = self->fd;
		a[0].b = &b;
		ASSERT_EQ(0, pthread_create(&t[0], NULL, attach_thread, &a[0]));
		pthread_barrier_wait(&b);
		ASSERT_EQ(0, pthread_join(t[0], NULL));
		if (a[0].err != ENOSPC)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, a[0].err);
	pthread_barrier_destroy(&b);
	EXPECT_EQ(0, mpt_queue_fast_put(self->h, "q", 1, 0, NULL));
	EXPECT_EQ(1, finfo(self->fd).puts);
}


/*
 * A thread that uses several fast queues in turn attaches to each once:
 * past its first round, its puts and gets on rings neither full nor empty
 * make no system call (linux/mptrace.h, "Fast queues").  Counted by an
 * independent truth, not by the library or the ioctl() above: this
 * process traces a child with PTRACE_SYSCALL and counts every system call
 * it enters, by request for the ioctls, between two marks the child makes
 * (a getppid() each).  A put through the descriptor after the second mark
 * shows that the count sees what it is meant to.
 */
#define NQ	6
#define ROUNDS	50

/* Into each queue in turn, then out of each: the contents checked. */
static bool round_of_queues(struct mpt_queue_fast **h, int r)
{
	char buf[8], c;
	int i;

	for (i = 0; i < NQ; i++) {
		c = 'a' + (r + i) % 26;
		if (mpt_queue_fast_put(h[i], &c, 1, 0, NULL))
			return false;
	}
	for (i = 0; i < NQ; i++)
		if (mpt_queue_fast_get(h[i], buf, sizeof(buf), 0, 0, NULL) != 1 ||
		    buf[0] != 'a' + (r + i) % 26)
			return false;
	return true;
}

TEST_F(fq, attach_once)
{
	struct mpt_queue_params p = {
		.capacity = 4, .msgsize = 8, .mode = 0600,
		.qflags = MPT_QUEUE_FAST,
	};
	struct mpt_queue_fast *h[NQ] = { NULL };
	struct __ptrace_syscall_info si;
	long calls[3] = { 0 }, attaches[3] = { 0 }, puts[3] = { 0 };
	char name[MPT_NAME_LEN + 8];
	int fd[NQ], i, r, st, sig, phase = 0;
	pid_t pid;

	for (i = 0; i < NQ; i++) {
		snprintf(name, sizeof(name), "%s-%d", self->name, i);
		fd[i] = mpt_queue_open(name, RW | MPT_QOPEN_CREATE |
				       MPT_QOPEN_EXCL, &p);
		ASSERT_LE(0, fd[i]);
		mpt_queue_unlink(name);		/* lives while open */
		ASSERT_EQ(0, mpt_queue_fast_map(fd[i], &h[i]));
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		bool ok = true;
		char buf[8];

		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(42);
		raise(SIGSTOP);
		ok = round_of_queues(h, 0);
		syscall(SYS_getppid);
		for (r = 1; r <= ROUNDS; r++)
			ok = ok && round_of_queues(h, r);
		syscall(SYS_getppid);
		ok = ok && !mpt_queue_put(fd[0], "z", 1, 0, NULL) &&
		     mpt_queue_fast_get(h[0], buf, sizeof(buf), 0, 0,
					NULL) == 1 && buf[0] == 'z';
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 42)
		SKIP(return, "ptrace refused");
	ASSERT_TRUE(WIFSTOPPED(st));
	ASSERT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, NULL,
			    PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	sig = 0;
	for (;;) {
		ASSERT_EQ(0, ptrace(PTRACE_SYSCALL, pid, NULL, sig));
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		if (!WIFSTOPPED(st))
			break;
		sig = WSTOPSIG(st) == (SIGTRAP | 0x80) ? 0 : WSTOPSIG(st);
		if (sig)
			continue;
		ASSERT_LT(0, ptrace(PTRACE_GET_SYSCALL_INFO, pid,
				    (void *)sizeof(si), &si));
		if (si.op != PTRACE_SYSCALL_INFO_ENTRY)
			continue;
		if (si.entry.nr == SYS_getppid && phase < 2) {
			phase++;
			continue;
		}
		calls[phase]++;
		if (si.entry.nr == SYS_ioctl &&
		    (unsigned int)si.entry.args[1] == MPT_QIOC_ATTACH)
			attaches[phase]++;
		if (si.entry.nr == SYS_ioctl &&
		    (unsigned int)si.entry.args[1] == MPT_QIOC_PUT)
			puts[phase]++;
	}
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(2, phase);
	/* The first round: one attach a queue, and nothing more of them. */
	EXPECT_EQ(NQ, attaches[0]);
	/* Then not one system call, in 2 * NQ * ROUNDS puts and gets. */
	EXPECT_EQ(0, calls[1]);
	EXPECT_EQ(1, puts[2]);
	/* What the child did is the queues' too. */
	for (i = 0; i < NQ; i++) {
		EXPECT_EQ(ROUNDS + 1 + !i, finfo(fd[i]).gets);
		mpt_queue_fast_unmap(h[i]);
		close(fd[i]);
	}
}

/*
 * The layout in the ring's header is writable by every sharer: a handle
 * made from offsets or a slot size other than the module's would copy
 * outside the mapping.  Mapping refuses them.
 */
TEST_F(fq, map_checks_layout)
{
	struct mpt_queue_fast *h2;
	__u32 *field[3];
	struct ring v;
	char buf[8];
	int i;

	ASSERT_EQ(0, fmake(self, 4, 64));
	ASSERT_EQ(0, rmap(self->fd, &v));
	field[0] = &v.r->slots_offset;
	field[1] = &v.r->entries_offset;
	field[2] = &v.r->slot_size;
	for (i = 0; i < 3; i++) {
		__u32 saved = *field[i];

		*field[i] = saved + 8;
		h2 = (void *)1;
		EXPECT_EQ(-EPROTO, mpt_queue_fast_map(self->fd, &h2));
		EXPECT_EQ(NULL, h2);
		if (h2 && h2 != (void *)1)
			mpt_queue_fast_unmap(h2);
		*field[i] = saved;
	}
	/* Put right again, it maps, and both handles see one ring. */
	ASSERT_EQ(0, mpt_queue_fast_map(self->fd, &h2));
	EXPECT_EQ(0, mpt_queue_fast_put(h2, "x", 1, 0, NULL));
	EXPECT_EQ(1, mpt_queue_fast_get(self->h, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ('x', buf[0]);
	mpt_queue_fast_unmap(h2);
	munmap(v.r, v.len);
}

/*
 * A fast get takes MPT_QMSG_DETACHED or 0, on the ring and through the
 * ioctl alike (a detached get is the ioctl's): anything else is EINVAL,
 * and nothing is taken.
 */
TEST_F(fq, get_flags)
{
	const uint32_t bad[] = {
		MPT_QMSG_NOWAIT, MPT_QMSG_TIMEOUT, MPT_QMSG_NOWAIT |
		MPT_QMSG_TIMEOUT, 1U << 7, 1U << 31,
		MPT_QMSG_DETACHED | MPT_QMSG_NOWAIT,
		MPT_QMSG_DETACHED | MPT_QMSG_TIMEOUT,
		MPT_QMSG_DETACHED | 1U << 7,
	};
	char buf[8];
	unsigned int i;

	ASSERT_EQ(0, fmake(self, 4, 8));
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "a", 1, 0, NULL));
	ASSERT_EQ(0, mpt_queue_fast_put(self->h, "b", 1, 0, NULL));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		uint32_t f = bad[i];

		EXPECT_EQ(-EINVAL, mpt_queue_fast_get(self->h, buf, sizeof(buf),
						      0, f, NULL)) {
			TH_LOG("flags %#x", f);
		}
	}
	EXPECT_EQ(2, finfo(self->fd).depth);
	EXPECT_EQ(0, finfo(self->fd).gets);
	ASSERT_EQ(1, mpt_queue_fast_get(self->h, buf, sizeof(buf), 0, 0, NULL));
	EXPECT_EQ('a', buf[0]);
	ASSERT_EQ(1, mpt_queue_fast_get(self->h, buf, sizeof(buf), 0,
					MPT_QMSG_DETACHED, NULL));
	EXPECT_EQ('b', buf[0]);
	/* Empty, and a timeout: refused at once all the same. */
	EXPECT_EQ(-EINVAL, mpt_queue_fast_get(self->h, buf, sizeof(buf),
					      50000000, MPT_QMSG_NOWAIT, NULL));
	EXPECT_EQ(0, finfo(self->fd).empty_waits);
}

TEST_HARNESS_MAIN
