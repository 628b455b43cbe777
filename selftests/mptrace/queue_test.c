// SPDX-License-Identifier: GPL-2.0
/*
 * Queues: FIFO order and message boundaries, capacity and blocking both
 * ways, timeouts, poll, task_done/join, consumer death, permissions,
 * removal, limits, unload, events, and no loss or duplicate under a
 * producer/consumer storm with consumers killed.  Every count is checked
 * against what the test itself put and got.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "mpt_helpers.h"

static int qopen(int dev, const char *name, __u32 flags, __u32 mode,
		 __u32 cap, __u32 msgsize, __u32 qflags)
{
	struct mpt_queue_open qo = {
		.flags = flags, .mode = mode, .capacity = cap,
		.msgsize = msgsize, .qflags = qflags,
	};
	int fd;

	snprintf(qo.name, sizeof(qo.name), "%s", name);
	fd = ioctl(dev, MPT_IOC_QUEUE_OPEN, &qo);
	return fd < 0 ? -errno : fd;
}

#define RW	(MPT_QOPEN_READ | MPT_QOPEN_WRITE | MPT_QOPEN_CLOEXEC)
#define CREATE	(RW | MPT_QOPEN_CREATE)

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int qput(int fd, const void *buf, __u32 len, __u32 flags,
		__u64 deadline, __u64 *seq)
{
	struct mpt_qmsg m = {
		.buf = (uintptr_t)buf, .len = len, .flags = flags,
		.deadline_ns = deadline,
	};

	if (ioctl(fd, MPT_QIOC_PUT, &m))
		return -errno;
	if (seq)
		*seq = m.seq;
	return 0;
}

/* The message's length, or -errno (*len gets the room needed). */
static int qget(int fd, void *buf, __u32 *len, __u32 flags, __u64 deadline,
		__u64 *seq)
{
	struct mpt_qmsg m = {
		.buf = (uintptr_t)buf, .len = *len, .flags = flags,
		.deadline_ns = deadline,
	};
	int ret = ioctl(fd, MPT_QIOC_GET, &m) ? -errno : (int)m.len;

	*len = m.len;
	if (seq)
		*seq = m.seq;
	return ret;
}

static int qdone(int fd, __u32 count)
{
	struct mpt_qwait w = { .count = count };

	return ioctl(fd, MPT_QIOC_TASK_DONE, &w) ? -errno : 0;
}

static int qjoin(int fd, __u32 flags, __u64 deadline)
{
	struct mpt_qwait w = { .flags = flags, .deadline_ns = deadline };

	return ioctl(fd, MPT_QIOC_JOIN, &w) ? -errno : 0;
}

static int qinfo(int fd, struct mpt_queue_info *qi, struct mpt_qwaiter *w,
		 __u32 nw, struct mpt_qconsumer *c, __u32 nc)
{
	memset(qi, 0, sizeof(*qi));
	qi->waiters = (uintptr_t)w;
	qi->waiters_max = nw;
	qi->consumers = (uintptr_t)c;
	qi->consumers_max = nc;
	return ioctl(fd, MPT_QIOC_INFO, qi) ? -errno : 0;
}

static int qunlink(int dev, const char *name)
{
	struct mpt_name n = { 0 };

	snprintf(n.name, sizeof(n.name), "%s", name);
	return ioctl(dev, MPT_IOC_QUEUE_UNLINK, &n) ? -errno : 0;
}

/* Wait up to 10 s for @what waiters on @fd; their count. */
static int await_waiters(int fd, __u32 what, __u32 want)
{
	struct mpt_queue_info qi;
	int i;

	for (i = 0; i < 1000; i++) {
		if (qinfo(fd, &qi, NULL, 0, NULL, 0))
			return -1;
		if ((what == MPT_QW_PUT ? qi.nput : what == MPT_QW_GET ?
		     qi.nget : qi.njoin) >= want)
			return want;
		usleep(10000);
	}
	return -1;
}

FIXTURE(q) {
	int dev;
	char name[MPT_NAME_LEN];
};

FIXTURE_SETUP(q)
{
	static int n;

	if (!mpt_loaded())
		SKIP(return, "mptrace module not loaded");
	self->dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	snprintf(self->name, sizeof(self->name), "qt-%d-%d", getpid(), n++);
}

FIXTURE_TEARDOWN(q)
{
	if (self->dev >= 0) {
		qunlink(self->dev, self->name);
		close(self->dev);
	}
}

/* Create, open again, EXCL, ENOENT; the attributes as given. */
TEST_F(q, create_open)
{
	struct mpt_queue_open qo = { .flags = CREATE, .mode = 0640 };
	struct mpt_queue_info qi;
	__u64 id;
	int a, b;

	snprintf(qo.name, sizeof(qo.name), "%s", self->name);
	a = ioctl(self->dev, MPT_IOC_QUEUE_OPEN, &qo);
	ASSERT_LE(0, a);
	EXPECT_EQ(1, qo.created);
	EXPECT_LT(0, qo.id);
	id = qo.id;
	ASSERT_EQ(0, qinfo(a, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(qo.id, qi.id);
	EXPECT_STREQ(self->name, qi.name);
	EXPECT_EQ(MPT_QUEUE_DEFAULT_CAPACITY, qi.capacity);
	EXPECT_EQ(MPT_QUEUE_DEFAULT_MSGSIZE, qi.msgsize);
	EXPECT_EQ(0640, qi.mode);
	EXPECT_EQ(getuid(), qi.uid);
	EXPECT_EQ(1, qi.openers);
	EXPECT_EQ(0, qi.flags);

	b = qopen(self->dev, self->name, RW, 0, 0, 0, 0);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, qinfo(b, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(qo.id, qi.id);
	EXPECT_EQ(2, qi.openers);
	qo.created = 0;
	qo.id = 0;			/* zero on input: the kernel's out */
	qo.flags = CREATE;		/* open-or-create: an open */
	b = ioctl(self->dev, MPT_IOC_QUEUE_OPEN, &qo);
	ASSERT_LE(0, b);
	EXPECT_EQ(0, qo.created);
	EXPECT_EQ(id, qo.id);		/* copied back: the same queue's */
	ASSERT_EQ(0, qinfo(b, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(id, qi.id);
	EXPECT_EQ(3, qi.openers);
	EXPECT_EQ(-EEXIST, qopen(self->dev, self->name,
				 CREATE | MPT_QOPEN_EXCL, 0600, 0, 0, 0));
	EXPECT_EQ(-ENOENT, qopen(self->dev, "qt-no-such-queue", RW, 0, 0, 0,
				 0));
}

/* FIFO, boundaries, empty messages, sequence numbers; read/write too. */
TEST_F(q, fifo_boundaries)
{
	char buf[64];
	__u64 seq = 0;
	__u32 len;
	int fd;

	fd = qopen(self->dev, self->name, CREATE, 0600, 8, 64, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, qput(fd, "one", 3, 0, 0, &seq));
	EXPECT_EQ(1, seq);
	ASSERT_EQ(0, qput(fd, "", 0, 0, 0, &seq));
	EXPECT_EQ(2, seq);
	ASSERT_EQ(5, write(fd, "three", 5));
	ASSERT_EQ(0, qput(fd, "four!", 5, 0, 0, NULL));

	len = sizeof(buf);
	ASSERT_EQ(3, qget(fd, buf, &len, 0, 0, &seq));
	EXPECT_EQ(0, memcmp(buf, "one", 3));
	EXPECT_EQ(1, seq);
	len = sizeof(buf);
	ASSERT_EQ(0, qget(fd, buf, &len, 0, 0, &seq));
	EXPECT_EQ(2, seq);
	ASSERT_EQ(5, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "three", 5));
	len = sizeof(buf);
	ASSERT_EQ(5, qget(fd, buf, &len, 0, 0, &seq));
	EXPECT_EQ(4, seq);
	EXPECT_EQ(0, memcmp(buf, "four!", 5));
	close(fd);
}

/* Too large: refused, nothing put; too small a buffer: nothing taken. */
TEST_F(q, emsgsize)
{
	struct mpt_queue_info qi;
	char buf[32] = "0123456789abcdefg";
	__u32 len;
	int fd;

	fd = qopen(self->dev, self->name, CREATE, 0600, 4, 16, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EMSGSIZE, qput(fd, buf, 17, 0, 0, NULL));
	EXPECT_EQ(-1, write(fd, buf, 17));
	EXPECT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(0, qi.depth);
	EXPECT_EQ(0, qi.puts);
	ASSERT_EQ(0, qput(fd, buf, 16, 0, 0, NULL));
	len = 8;
	EXPECT_EQ(-EMSGSIZE, qget(fd, buf, &len, 0, 0, NULL));
	EXPECT_EQ(16, len);
	EXPECT_EQ(-1, read(fd, buf, 8));
	EXPECT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(1, qi.depth);
	EXPECT_EQ(0, qi.gets);
	len = sizeof(buf);
	EXPECT_EQ(16, qget(fd, buf, &len, 0, 0, NULL));
	close(fd);
}

/* Full and empty without waiting: EAGAIN, by flag and by O_NONBLOCK. */
TEST_F(q, nowait)
{
	char buf[8];
	__u32 len = sizeof(buf);
	int fd, nb;

	fd = qopen(self->dev, self->name, CREATE, 0600, 2, 8, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EAGAIN, qget(fd, buf, &len, MPT_QMSG_NOWAIT, 0, NULL));
	nb = qopen(self->dev, self->name, RW | MPT_QOPEN_NONBLOCK, 0, 0, 0, 0);
	ASSERT_LE(0, nb);
	EXPECT_EQ(-1, read(nb, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, qput(fd, "a", 1, MPT_QMSG_NOWAIT, 0, NULL));
	EXPECT_EQ(1, write(nb, "b", 1));
	EXPECT_EQ(-EAGAIN, qput(fd, "c", 1, MPT_QMSG_NOWAIT, 0, NULL));
	EXPECT_EQ(-1, write(nb, "c", 1));
	EXPECT_EQ(EAGAIN, errno);
	close(nb);
	close(fd);
}

/* A timeout is waited for at least as long as asked, then ETIMEDOUT. */
TEST_F(q, timeouts)
{
	char buf[8];
	__u32 len = sizeof(buf);
	__u64 t0;
	int fd;

	fd = qopen(self->dev, self->name, CREATE, 0600, 1, 8, 0);
	ASSERT_LE(0, fd);
	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, qget(fd, buf, &len, MPT_QMSG_TIMEOUT,
				   t0 + 200000000ULL, NULL));
	EXPECT_LE(200000000ULL, now_ns() - t0);
	ASSERT_EQ(0, qput(fd, "x", 1, 0, 0, NULL));
	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, qput(fd, "y", 1, MPT_QMSG_TIMEOUT,
				   t0 + 150000000ULL, NULL));
	EXPECT_LE(150000000ULL, now_ns() - t0);
	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, qjoin(fd, MPT_QMSG_TIMEOUT, t0 + 100000000ULL));
	EXPECT_LE(100000000ULL, now_ns() - t0);
	/* A deadline already past: no wait, and the message is still put. */
	len = sizeof(buf);
	EXPECT_EQ(1, qget(fd, buf, &len, MPT_QMSG_TIMEOUT, 1, NULL));
	close(fd);
}

/* Blocked consumers and producers are seen, with their pids, and woken. */
TEST_F(q, blocking_both_ways)
{
	struct mpt_qwaiter w[4];
	struct mpt_queue_info qi;
	char buf[8];
	__u32 len = sizeof(buf);
	int fd, status;
	pid_t pid;

	fd = qopen(self->dev, self->name, CREATE, 0600, 1, 8, 0);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 l = sizeof(buf);

		_exit(qget(fd, buf, &l, 0, 0, NULL) == 2 &&
		      !memcmp(buf, "hi", 2) ? 0 : 1);
	}
	ASSERT_EQ(1, await_waiters(fd, MPT_QW_GET, 1));
	ASSERT_EQ(0, qinfo(fd, &qi, w, 4, NULL, 0));
	EXPECT_EQ(1, qi.nget);
	EXPECT_EQ(1, qi.waiters_max);
	EXPECT_EQ(pid, w[0].pid);
	EXPECT_EQ(MPT_QW_GET, w[0].what);
	EXPECT_EQ(1, qi.empty_waits);
	ASSERT_EQ(0, qput(fd, "hi", 2, 0, 0, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);

	ASSERT_EQ(0, qput(fd, "a", 1, 0, 0, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(qput(fd, "b", 1, 0, 0, NULL) ? 1 : 0);
	ASSERT_EQ(1, await_waiters(fd, MPT_QW_PUT, 1));
	ASSERT_EQ(0, qinfo(fd, &qi, w, 4, NULL, 0));
	EXPECT_EQ(pid, w[0].pid);
	EXPECT_EQ(MPT_QW_PUT, w[0].what);
	EXPECT_EQ(1, qi.full_waits);
	EXPECT_EQ(1, qget(fd, buf, &len, 0, 0, NULL));
	EXPECT_EQ('a', buf[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	len = sizeof(buf);
	EXPECT_EQ(1, qget(fd, buf, &len, 0, 0, NULL));
	EXPECT_EQ('b', buf[0]);
	close(fd);
}

/*
 * Three getters wait, the first with too small a buffer; two messages
 * come before any of them runs (the putter at a real-time priority on
 * their CPU).  Woken for the long one, the first cannot take it and
 * passes its wake on; the second message has woken a getter of its
 * own.  However they run, both messages are got: none stays queued
 * while a getter sleeps.
 */
TEST_F(q, small_getter_passes_on)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct mpt_queue_info qi;
	int fd, i, n, got, status, r1, r2;
	cpu_set_t cpu;
	pid_t pid[3];

	fd = qopen(self->dev, self->name, CREATE, 0600, 4, 16, 0);
	ASSERT_LE(0, fd);
	CPU_ZERO(&cpu);
	CPU_SET(0, &cpu);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu), &cpu));
	for (i = 0; i < 3; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			char buf[16];
			__u32 l = i ? sizeof(buf) : 4;
			int r = qget(fd, buf, &l, 0, 0, NULL);

			_exit(r == -EMSGSIZE ? 10 : r > 0 ? 11 : 1);
		}
		ASSERT_EQ(i + 1, await_waiters(fd, MPT_QW_GET, i + 1));
	}
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_FIFO, &sp));
	r1 = qput(fd, "0123456789abcdef", 16, 0, 0, NULL);
	r2 = qput(fd, "x", 1, 0, 0, NULL);
	/* Both in, no getter run yet: the case this test is about. */
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(2, qi.depth);
	sp.sched_priority = 0;
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_OTHER, &sp));
	ASSERT_EQ(0, r1);
	ASSERT_EQ(0, r2);
	/*
	 * Woken by the puts, two get one each and end (10 s is plenty,
	 * where none would do); the third is told EMSGSIZE, or waits on.
	 */
	for (i = 0, got = 0; i < 1000 && got < 2; i++) {
		for (n = 0; n < 3; n++) {
			if (!pid[n] || waitpid(pid[n], &status, WNOHANG) != pid[n])
				continue;
			pid[n] = 0;
			EXPECT_TRUE(WIFEXITED(status));
			EXPECT_TRUE(WEXITSTATUS(status) == 11 ||
				    (!n && WEXITSTATUS(status) == 10));
			got += WEXITSTATUS(status) == 11;
		}
		usleep(10000);
	}
	EXPECT_EQ(2, got);
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(2, qi.gets);
	EXPECT_EQ(0, qi.depth);
	for (n = 0; n < 3; n++) {
		if (pid[n]) {
			kill(pid[n], SIGKILL);
			waitpid(pid[n], &status, 0);
		}
	}
	close(fd);
}

/* Three producers: each one's messages arrive in its order, all of them. */
TEST_F(q, fifo_across_processes)
{
	enum { P = 3, N = 2000 };
	int fd, i, p, next[P] = { 0 }, status;
	char buf[16];

	fd = qopen(self->dev, self->name, CREATE, 0600, 16, 16, 0);
	ASSERT_LE(0, fd);
	for (p = 0; p < P; p++) {
		if (fork() == 0) {
			for (i = 0; i < N; i++) {
				snprintf(buf, sizeof(buf), "%d %d", p, i);
				if (qput(fd, buf, strlen(buf), 0, 0, NULL))
					_exit(1);
			}
			_exit(0);
		}
	}
	for (i = 0; i < P * N; i++) {
		__u32 len = sizeof(buf) - 1;
		int pp, ii, n = qget(fd, buf, &len, 0, 0, NULL);

		ASSERT_LT(0, n);
		buf[n] = 0;
		ASSERT_EQ(2, sscanf(buf, "%d %d", &pp, &ii));
		ASSERT_EQ(next[pp], ii);
		next[pp]++;
	}
	for (p = 0; p < P; p++) {
		ASSERT_LT(0, wait(&status));
		EXPECT_EQ(0, status);
	}
	close(fd);
}

TEST_F(q, poll)
{
	struct pollfd pfd = { .events = POLLIN | POLLOUT };
	char buf[8];
	int fd, ro;

	fd = qopen(self->dev, self->name, CREATE, 0600, 1, 8, 0);
	ASSERT_LE(0, fd);
	pfd.fd = fd;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	ASSERT_EQ(0, qput(fd, "x", 1, 0, 0, NULL));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);
	ro = qopen(self->dev, self->name, MPT_QOPEN_READ, 0, 0, 0, 0);
	ASSERT_LE(0, ro);
	ASSERT_EQ(1, read(ro, buf, sizeof(buf)));
	pfd.fd = ro;
	EXPECT_EQ(0, poll(&pfd, 1, 0));		/* read-only: never POLLOUT */
	/* A poller sleeps until a put wakes it. */
	if (fork() == 0) {
		usleep(100000);
		_exit(qput(fd, "y", 1, 0, 0, NULL) ? 1 : 0);
	}
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_EQ(POLLIN, pfd.revents);
	wait(NULL);
	close(ro);
	close(fd);
}

/* task_done and join, the error case, and a join woken by task_done. */
TEST_F(q, task_done_join)
{
	struct mpt_queue_info qi;
	char buf[8];
	__u32 len;
	int fd, i, status;
	pid_t pid;

	fd = qopen(self->dev, self->name, CREATE, 0600, 8, 8, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, qjoin(fd, MPT_QMSG_NOWAIT, 0));
	EXPECT_EQ(-EINVAL, qdone(fd, 1));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, qput(fd, "t", 1, 0, 0, NULL));
	EXPECT_EQ(-EAGAIN, qjoin(fd, MPT_QMSG_NOWAIT, 0));
	EXPECT_EQ(-EINVAL, qdone(fd, 1));	/* put, but not got */
	for (i = 0; i < 3; i++) {
		len = sizeof(buf);
		ASSERT_EQ(1, qget(fd, buf, &len, 0, 0, NULL));
	}
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(3, qi.unfinished);
	EXPECT_EQ(1, qi.nconsumers);
	EXPECT_EQ(-EINVAL, qdone(fd, 4));
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(3, qi.unfinished);		/* nothing settled */

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(qjoin(fd, 0, 0) ? 1 : 0);
	ASSERT_EQ(1, await_waiters(fd, MPT_QW_JOIN, 1));
	EXPECT_EQ(0, qdone(fd, 2));
	usleep(50000);
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));	/* one left */
	EXPECT_EQ(0, qdone(fd, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(0, qi.unfinished);
	EXPECT_EQ(0, qi.nconsumers);
	close(fd);
}

static int read_queue_events(int fd, struct mpt_event_queue *out, int max,
			     int type)
{
	char buf[64 * MPT_EVENT_MAX_SIZE];
	int n = 0;
	ssize_t len, off;

	while ((len = read(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < len;) {
			struct mpt_event_hdr *h = (void *)(buf + off);

			if (h->type == type && n < max)
				memcpy(&out[n++], h, sizeof(*out));
			off += h->size;
		}
	}
	return n;
}

/* A consumer that dies with items in flight: released, evented; join ends. */
TEST_F(q, consumer_death)
{
	struct mpt_ring_conf conf = { .slots = 256 };
	struct mpt_event_queue ev[4];
	struct mpt_queue_info qi;
	struct mpt_qconsumer c[4];
	int fd, rd, i, go[2], status;
	__u32 len;
	char buf[8];
	pid_t pid;

	rd = open(MPT_DEVICE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, rd);
	ASSERT_EQ(0, ioctl(rd, MPT_IOC_RING_SET, &conf));
	fd = qopen(self->dev, self->name, CREATE, 0600, 8, 8, 0);
	ASSERT_LE(0, fd);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, qput(fd, "w", 1, 0, 0, NULL));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 l = sizeof(buf);

		/* Two got, one done: one in flight when it dies. */
		if (qget(fd, buf, &l, 0, 0, NULL) != 1)
			_exit(1);
		l = sizeof(buf);
		if (qget(fd, buf, &l, 0, 0, NULL) != 1 || qdone(fd, 1))
			_exit(2);
		l = sizeof(buf);
		if (qget(fd, buf, &l, 0, 0, NULL) != 1)
			_exit(3);
		if (write(go[1], "x", 1) != 1)
			_exit(4);
		pause();
		_exit(5);
	}
	ASSERT_EQ(1, read(go[0], buf, 1));
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, c, 4));
	EXPECT_EQ(3, qi.unfinished);
	EXPECT_EQ(1, qi.consumers_max);
	EXPECT_EQ(pid, c[0].pid);
	EXPECT_EQ(2, c[0].inflight);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, c, 4));
	EXPECT_EQ(1, qi.unfinished);		/* the one still queued */
	EXPECT_EQ(2, qi.released);
	EXPECT_EQ(1, qi.consumer_deaths);
	EXPECT_EQ(0, qi.nconsumers);
	EXPECT_EQ(1, qi.depth);
	ASSERT_EQ(1, read_queue_events(rd, ev, 4,
				       MPT_EV_QUEUE_CONSUMER_DIED));
	EXPECT_EQ(pid, ev[0].task.pid);
	EXPECT_EQ(2, ev[0].count);
	EXPECT_STREQ(self->name, ev[0].name);
	EXPECT_EQ(qi.id, ev[0].queue_id);
	/* The last item, got and done here: join returns. */
	len = sizeof(buf);
	ASSERT_EQ(1, qget(fd, buf, &len, 0, 0, NULL));
	EXPECT_EQ(0, qdone(fd, 1));
	EXPECT_EQ(0, qjoin(fd, MPT_QMSG_NOWAIT, 0));
	close(fd);
	close(rd);
}

/* A detached get leaves a loose item that any process may settle. */
TEST_F(q, detached_loose)
{
	struct mpt_queue_info qi;
	int fd, status;
	char buf[8];
	pid_t pid;

	fd = qopen(self->dev, self->name, CREATE, 0600, 8, 8, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, qput(fd, "d", 1, 0, 0, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 l = sizeof(buf);

		_exit(qget(fd, buf, &l, MPT_QMSG_DETACHED, 0, NULL) == 1 ?
		      0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(1, qi.unfinished);
	EXPECT_EQ(1, qi.loose);
	EXPECT_EQ(0, qi.released);
	EXPECT_EQ(-EAGAIN, qjoin(fd, MPT_QMSG_NOWAIT, 0));
	EXPECT_EQ(0, qdone(fd, 1));
	EXPECT_EQ(0, qjoin(fd, MPT_QMSG_NOWAIT, 0));
	close(fd);
}

/* A signal during a blocked get: EINTR, nothing taken, nothing lost. */
static void on_usr1(int sig)
{
}

TEST_F(q, signal_during_get)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct mpt_queue_info qi;
	int fd, status, intr[2];
	char buf[8];
	pid_t pid;

	fd = qopen(self->dev, self->name, CREATE, 0600, 8, 8, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(intr));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 l = sizeof(buf);
		int r;

		close(intr[0]);
		sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART */
		r = qget(fd, buf, &l, 0, 0, NULL);
		/* What the first get returned, once it has returned. */
		if (write(intr[1], &r, sizeof(r)) != sizeof(r) || r != -EINTR)
			_exit(1);
		l = sizeof(buf);
		r = qget(fd, buf, &l, 0, 0, NULL);
		_exit(r == 1 && buf[0] == 'm' ? 0 : 2);
	}
	close(intr[1]);
	ASSERT_EQ(1, await_waiters(fd, MPT_QW_GET, 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	/* The interrupted get is over before anything is put. */
	status = 0;
	ASSERT_EQ(sizeof(status), read(intr[0], &status, sizeof(status)));
	close(intr[0]);
	EXPECT_EQ(-EINTR, status);
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(0, qi.gets);
	EXPECT_EQ(0, qi.depth);
	ASSERT_EQ(0, qput(fd, "m", 1, 0, 0, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(1, qi.gets);
	EXPECT_EQ(0, qi.depth);
	close(fd);
}

/* A get into unmapped memory puts the message back, first in line. */
TEST_F(q, fault_puts_back)
{
	struct mpt_queue_info qi;
	char buf[8];
	__u32 len = sizeof(buf);
	int fd;

	fd = qopen(self->dev, self->name, CREATE, 0600, 8, 8, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, qput(fd, "1", 1, 0, 0, NULL));
	ASSERT_EQ(0, qput(fd, "2", 1, 0, 0, NULL));
	EXPECT_EQ(-EFAULT, qget(fd, NULL, &len, 0, 0, NULL));
	EXPECT_EQ(-1, syscall(__NR_read, fd, (uintptr_t)8, 8));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(2, qi.depth);
	EXPECT_EQ(0, qi.gets);
	EXPECT_EQ(2, qi.unfinished);
	EXPECT_EQ(0, qi.nconsumers);
	len = sizeof(buf);
	EXPECT_EQ(1, qget(fd, buf, &len, 0, 0, NULL));
	EXPECT_EQ('1', buf[0]);
	close(fd);
}

struct perm_arg {
	const char *name;
	__u32 flags;
};

static int nobody_open(void *p)
{
	const struct perm_arg *a = p;
	int dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	int fd = dev < 0 ? -errno : qopen(dev, a->name, a->flags, 0, 0, 0, 0);

	if (fd >= 0)
		return 0;
	return fd == -EACCES ? 13 : 99;
}

static int nobody_unlink(void *p)
{
	const struct perm_arg *a = p;
	int dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);

	return dev < 0 ? 99 : qunlink(dev, a->name) == -EPERM ? 1 : 0;
}

static int nobody_sees(void *p)
{
	const struct perm_arg *a = p;
	struct mpt_queue_info v[64], qi = { 0 };
	struct mpt_queues_req req = { .buf = (uintptr_t)v, .count = 64 };
	int dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC), i;

	snprintf(qi.name, sizeof(qi.name), "%s", a->name);
	if (dev < 0 || ioctl(dev, MPT_IOC_QUEUES, &req))
		return 99;
	for (i = 0; i < (int)req.count; i++)
		if (!strcmp(v[i].name, a->name))
			return 1;		/* listed */
	if (!ioctl(dev, MPT_IOC_QUEUE_INFO, &qi) || errno != EACCES)
		return 2;
	return 0;
}

/* Mode and owner as for POSIX queues; only the owner removes the name. */
TEST_F(q, permissions)
{
	struct perm_arg a = { .name = self->name };
	int fd;

	fd = qopen(self->dev, self->name, CREATE, 0600, 0, 0, 0);
	ASSERT_LE(0, fd);
	a.flags = MPT_QOPEN_READ;
	EXPECT_EQ(13, mpt_as_nobody(nobody_open, &a));
	a.flags = MPT_QOPEN_WRITE;
	EXPECT_EQ(13, mpt_as_nobody(nobody_open, &a));
	EXPECT_EQ(0, mpt_as_nobody(nobody_sees, &a));
	EXPECT_EQ(1, mpt_as_nobody(nobody_unlink, &a));
	close(fd);
	ASSERT_EQ(0, qunlink(self->dev, self->name));

	fd = qopen(self->dev, self->name, CREATE, 0604, 0, 0, 0);
	ASSERT_LE(0, fd);
	a.flags = MPT_QOPEN_READ;
	EXPECT_EQ(0, mpt_as_nobody(nobody_open, &a));
	a.flags = MPT_QOPEN_READ | MPT_QOPEN_WRITE;
	EXPECT_EQ(13, mpt_as_nobody(nobody_open, &a));
	EXPECT_EQ(1, mpt_as_nobody(nobody_sees, &a) == 1 ? 1 : 0);
	close(fd);
}

/* Removal unlinks the name; open files keep the queue; a new one is new. */
TEST_F(q, remove_while_open)
{
	struct mpt_queue_info qi, qi2;
	char buf[8];
	__u32 len = sizeof(buf);
	int fd, fd2;

	fd = qopen(self->dev, self->name, CREATE, 0600, 4, 8, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, qput(fd, "k", 1, 0, 0, NULL));
	ASSERT_EQ(0, qunlink(self->dev, self->name));
	EXPECT_EQ(-ENOENT, qunlink(self->dev, self->name));
	EXPECT_EQ(-ENOENT, qopen(self->dev, self->name, RW, 0, 0, 0, 0));
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(MPT_QUEUE_UNLINKED, qi.flags & MPT_QUEUE_UNLINKED);
	EXPECT_EQ(1, qget(fd, buf, &len, 0, 0, NULL));
	fd2 = qopen(self->dev, self->name, CREATE | MPT_QOPEN_EXCL, 0600, 4, 8,
		    0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, qinfo(fd2, &qi2, NULL, 0, NULL, 0));
	EXPECT_NE(qi.id, qi2.id);
	EXPECT_EQ(0, qi2.depth);
	close(fd);
	close(fd2);
}

/* A named queue outlives its files, messages and all. */
TEST_F(q, persists_by_name)
{
	struct mpt_queue_info qi;
	int fd;

	fd = qopen(self->dev, self->name, CREATE, 0600, 4, 8, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, qput(fd, "p", 1, 0, 0, NULL));
	close(fd);
	fd = qopen(self->dev, self->name, RW, 0, 0, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(1, qi.depth);
	EXPECT_EQ(1, qi.openers);
	close(fd);
}

/* Every malformed request gets a clear errno and changes nothing. */
TEST_F(q, bad_input)
{
	struct mpt_queue_open qo = { .flags = CREATE, .mode = 0600 };
	struct mpt_queues_req req = { .count = 0 };
	struct mpt_queue_info qi;
	struct mpt_qwait w = { 0 };
	struct mpt_qmsg m = { 0 };
	char big[MPT_NAME_LEN];
	int fd, ro;

	EXPECT_EQ(-EINVAL, qopen(self->dev, "", CREATE, 0600, 0, 0, 0));
	EXPECT_EQ(-EINVAL, qopen(self->dev, ".hidden", CREATE, 0600, 0, 0, 0));
	EXPECT_EQ(-EINVAL, qopen(self->dev, "a/b", CREATE, 0600, 0, 0, 0));
	EXPECT_EQ(-EINVAL, qopen(self->dev, "a b", CREATE, 0600, 0, 0, 0));
	EXPECT_EQ(-EINVAL, qopen(self->dev, "caf\xc3\xa9", CREATE, 0600, 0, 0,
				 0));
	memset(qo.name, 'n', sizeof(qo.name));		/* unterminated */
	EXPECT_EQ(-1, ioctl(self->dev, MPT_IOC_QUEUE_OPEN, &qo));
	EXPECT_EQ(EINVAL, errno);
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;			/* 63 bytes: fine */
	fd = qopen(self->dev, big, CREATE, 0600, 1, 1, 0);
	EXPECT_LE(0, fd);
	EXPECT_EQ(0, qunlink(self->dev, big));
	close(fd);
	EXPECT_EQ(-EINVAL, qopen(self->dev, self->name, CREATE | (1U << 20),
				 0600, 0, 0, 0));
	EXPECT_EQ(-EINVAL, qopen(self->dev, self->name, MPT_QOPEN_CREATE, 0600,
				 0, 0, 0));		/* neither R nor W */
	EXPECT_EQ(-EINVAL, qopen(self->dev, self->name, RW | MPT_QOPEN_EXCL,
				 0600, 0, 0, 0));
	EXPECT_EQ(-EINVAL, qopen(self->dev, self->name, CREATE, 01600, 0, 0, 0));
	EXPECT_EQ(-EINVAL, qopen(self->dev, self->name, CREATE, 0600,
				 MPT_QUEUE_CAPACITY_MAX + 1, 0, 0));
	EXPECT_EQ(-EINVAL, qopen(self->dev, self->name, CREATE, 0600, 0,
				 MPT_QUEUE_MSGSIZE_MAX + 1, 0));
	/* qflags: info only, unknown, or a fast queue that traces */
	EXPECT_EQ(-EINVAL, qopen(self->dev, self->name, CREATE, 0600, 0, 0,
				 MPT_QUEUE_UNLINKED));
	EXPECT_EQ(-EINVAL, qopen(self->dev, self->name, CREATE, 0600, 0, 0,
				 MPT_QUEUE_FAST << 1));
	EXPECT_EQ(-EINVAL, qopen(self->dev, self->name, CREATE, 0600, 0, 0,
				 MPT_QUEUE_TRACE | MPT_QUEUE_FAST));
	snprintf(qo.name, sizeof(qo.name), "%s", self->name);
	qo.id = 7;
	EXPECT_EQ(-1, ioctl(self->dev, MPT_IOC_QUEUE_OPEN, &qo));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->dev, MPT_IOC_QUEUE_OPEN, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->dev, MPT_IOC_QUEUE_UNLINK, (void *)1));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->dev, MPT_IOC_QUEUES, &req));
	EXPECT_EQ(EINVAL, errno);
	/* None of that made a queue. */
	EXPECT_EQ(-ENOENT, qopen(self->dev, self->name, RW, 0, 0, 0, 0));

	fd = qopen(self->dev, self->name, CREATE, 0600, 2, 8, 0);
	ASSERT_LE(0, fd);
	m.flags = MPT_QMSG_DETACHED;			/* a get flag */
	EXPECT_EQ(-1, ioctl(fd, MPT_QIOC_PUT, &m));
	EXPECT_EQ(EINVAL, errno);
	m.flags = 1U << 9;
	EXPECT_EQ(-1, ioctl(fd, MPT_QIOC_GET, &m));
	EXPECT_EQ(EINVAL, errno);
	m.flags = 0;
	m.buf = 1;					/* unmapped */
	m.len = 4;
	EXPECT_EQ(-1, ioctl(fd, MPT_QIOC_PUT, &m));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, MPT_QIOC_TASK_DONE, &w));	/* count 0 */
	EXPECT_EQ(EINVAL, errno);
	w.count = 1;
	EXPECT_EQ(-1, ioctl(fd, MPT_QIOC_JOIN, &w));
	EXPECT_EQ(EINVAL, errno);
	memset(&qi, 0, sizeof(qi));
	qi.waiters_max = MPT_QUEUE_LIST_MAX + 1;
	qi.waiters = (uintptr_t)&qi;
	EXPECT_EQ(-1, ioctl(fd, MPT_QIOC_INFO, &qi));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, MPT_IOC_VERSION, &qi));	/* /dev's */
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->dev, MPT_QIOC_PUT, &m));	/* a queue's */
	EXPECT_EQ(ENOTTY, errno);
	ro = qopen(self->dev, self->name, MPT_QOPEN_READ, 0, 0, 0, 0);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, qput(ro, "x", 1, 0, 0, NULL));
	EXPECT_EQ(-1, write(ro, "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	EXPECT_EQ(0, qi.puts);
	close(ro);
	close(fd);
}

/* Events: create, empty, full, traced put/get, remove. */
TEST_F(q, events)
{
	struct mpt_ring_conf conf = { .slots = 256 };
	char buf[64 * MPT_EVENT_MAX_SIZE], msg[8];
	int rd, fd, types[16] = { 0 }, status;
	__u32 len = sizeof(msg);
	ssize_t n, off;
	pid_t pid;

	rd = open(MPT_DEVICE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, rd);
	ASSERT_EQ(0, ioctl(rd, MPT_IOC_RING_SET, &conf));
	fd = qopen(self->dev, self->name, CREATE, 0600, 1, 8, MPT_QUEUE_TRACE);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 l = sizeof(msg);

		_exit(qget(fd, msg, &l, 0, 0, NULL) == 1 ? 0 : 1);
	}
	ASSERT_EQ(1, await_waiters(fd, MPT_QW_GET, 1));
	ASSERT_EQ(0, qput(fd, "e", 1, 0, 0, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, qput(fd, "f", 1, 0, 0, NULL));
	EXPECT_EQ(-ETIMEDOUT, qput(fd, "g", 1, MPT_QMSG_TIMEOUT, 1, NULL));
	EXPECT_EQ(1, qget(fd, msg, &len, 0, 0, NULL));
	ASSERT_EQ(0, qput(fd, "h", 1, 0, 0, NULL));
	ASSERT_EQ(0, qunlink(self->dev, self->name));

	while ((n = read(rd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n;) {
			struct mpt_event_queue *e = (void *)(buf + off);

			off += e->hdr.size;
			if (e->hdr.type < MPT_EV_QUEUE_CREATE ||
			    e->hdr.type > MPT_EV_QUEUE_GET ||
			    strcmp(e->name, self->name))
				continue;
			types[e->hdr.type - MPT_EV_QUEUE_CREATE]++;
			EXPECT_EQ(sizeof(*e), e->hdr.size);
			if (e->hdr.type == MPT_EV_QUEUE_EMPTY)
				EXPECT_EQ(pid, e->task.pid);
			if (e->hdr.type == MPT_EV_QUEUE_PUT)
				EXPECT_EQ(1, e->len);
			/* Removed with "h" still in it. */
			if (e->hdr.type == MPT_EV_QUEUE_REMOVE)
				EXPECT_EQ(1, e->depth);
		}
	}
	EXPECT_EQ(1, types[MPT_EV_QUEUE_CREATE - MPT_EV_QUEUE_CREATE]);
	EXPECT_EQ(1, types[MPT_EV_QUEUE_EMPTY - MPT_EV_QUEUE_CREATE]);
	EXPECT_EQ(1, types[MPT_EV_QUEUE_FULL - MPT_EV_QUEUE_CREATE]);
	EXPECT_EQ(3, types[MPT_EV_QUEUE_PUT - MPT_EV_QUEUE_CREATE]);
	EXPECT_EQ(2, types[MPT_EV_QUEUE_GET - MPT_EV_QUEUE_CREATE]);
	EXPECT_EQ(1, types[MPT_EV_QUEUE_REMOVE - MPT_EV_QUEUE_CREATE]);
	close(fd);
	close(rd);
}

/*
 * A GET_QUEUES dump on @nl, read whole into @buf (@len bytes): the
 * queues' nests in @nests, at most @max; their number, or -1 (a failed
 * send or read, an error message, a message without a queue, no room).
 */
static int dump_queues(int nl, int family, char *buf, size_t len,
		       struct nlattr **nests, int max)
{
	struct mpt_nlmsg m;
	size_t used = 0;
	int n = 0;

	mpt_nlmsg_init(&m, family, MPT_CMD_GET_QUEUES, NLM_F_DUMP);
	if (send(nl, &m, m.n.nlmsg_len, 0) <= 0)
		return -1;
	while (len - used >= 32768) {
		ssize_t got = recv(nl, buf + used, len - used, 0), left = got;
		struct nlmsghdr *h;

		if (got <= 0)
			return -1;
		for (h = (struct nlmsghdr *)(buf + used); NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return n;
			if (h->nlmsg_type == NLMSG_ERROR || n == max)
				return -1;
			nests[n] = mpt_nla_find(MPT_GENL_ATTRS(h),
						MPT_GENL_ATTRLEN(h), MPT_A_QUEUE);
			if (!nests[n++])
				return -1;
		}
		used += NLMSG_ALIGN(got);
	}
	return -1;
}

/* The attribute @type of queue nest @nest (or of a nest in it). */
static struct nlattr *qattr(struct nlattr *nest, int type)
{
	return mpt_nla_find(MPT_NLA_DATA(nest), nest->nla_len - NLA_HDRLEN,
			    type);
}

/* The nest of the queue named @name among @n; *@count: how many are. */
static struct nlattr *queue_named(struct nlattr **nests, int n,
				  const char *name, int *count)
{
	struct nlattr *found = NULL, *a;

	*count = 0;
	for (int i = 0; i < n; i++) {
		a = qattr(nests[i], MPT_QUEUE_A_NAME);
		if (a && !strcmp(MPT_NLA_DATA(a), name)) {
			found = nests[i];
			++*count;
		}
	}
	return found;
}

static char dump_buf[1 << 20];
static struct nlattr *dump_nests[4096];
static int dump_n;

/*
 * Dump the queues on @nl (into dump_nests, dump_n of them): the nest of
 * the one named @name, *@count how many are (-1: the dump failed).
 */
static struct nlattr *dumped_queue(int nl, int family, const char *name,
				   int *count)
{
	dump_n = dump_queues(nl, family, dump_buf, sizeof(dump_buf),
			     dump_nests, 4096);
	*count = -1;
	return dump_n < 0 ? NULL :
	       queue_named(dump_nests, dump_n, name, count);
}

/* The netlink dump lists the queue, its depth and its blocked producer. */
TEST_F(q, netlink_dump)
{
	int fd, nl, family, count, status;
	struct nlattr *nest, *w;
	pid_t pid;

	fd = qopen(self->dev, self->name, CREATE, 0600, 1, 8, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, qput(fd, "z", 1, 0, 0, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(qput(fd, "y", 1, 0, 0, NULL) ? 1 : 0);
	ASSERT_EQ(1, await_waiters(fd, MPT_QW_PUT, 1));

	nl = mpt_nl_socket();
	ASSERT_LE(0, nl);
	family = mpt_genl_family(nl, MPT_GENL_NAME, NULL, NULL);
	ASSERT_LT(0, family);
	nest = dumped_queue(nl, family, self->name, &count);
	EXPECT_EQ(1, count);
	ASSERT_NE(NULL, nest);
	ASSERT_NE(NULL, qattr(nest, MPT_QUEUE_A_DEPTH));
	EXPECT_EQ(1, *(__u32 *)MPT_NLA_DATA(qattr(nest, MPT_QUEUE_A_DEPTH)));
	w = qattr(nest, MPT_QUEUE_A_WAITER);
	ASSERT_NE(NULL, w);
	ASSERT_NE(NULL, qattr(w, MPT_QWAITER_A_PID));
	EXPECT_EQ(pid, *(__u32 *)MPT_NLA_DATA(qattr(w, MPT_QWAITER_A_PID)));
	close(nl);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(fd);
}

static int count_nests(struct nlattr *nest, int type)
{
	int len = nest->nla_len - NLA_HDRLEN, n = 0;
	struct nlattr *a = MPT_NLA_DATA(nest);

	while (len >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		n += (a->nla_type & NLA_TYPE_MASK) == type;
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return n;
}

#define FULL_LIST	MPT_QUEUE_DUMP_LIST

/*
 * A queue with as many waiters and consumers as a dump lists makes the
 * largest message of a GET_QUEUES dump (more than a page): it is listed
 * whole, and so is a queue made after it.
 */
TEST_F(q, netlink_dump_full_lists)
{
	int fd, fd2, nl, family, count, i, status;
	pid_t pid[2 * FULL_LIST];
	char name2[MPT_NAME_LEN + 2];
	struct mpt_queue_info qi;
	struct nlattr *nest;
	char buf[8];
	int hold[2];

	ASSERT_EQ(0, pipe(hold));
	fd = qopen(self->dev, self->name, CREATE, 0600, FULL_LIST, 8, 0);
	ASSERT_LE(0, fd);
	for (i = 0; i < FULL_LIST; i++)
		ASSERT_EQ(0, qput(fd, "c", 1, 0, 0, NULL));
	/* Consumers each holding an item in flight, then getters waiting. */
	for (i = 0; i < 2 * FULL_LIST; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			__u32 l = 8;
			char c;

			close(hold[1]);
			if (qget(fd, buf, &l, 0, 0, NULL) != 1)
				_exit(1);
			_exit(read(hold[0], &c, 1) == 0 ? 0 : 2);
		}
		if (i == FULL_LIST - 1) {
			int tries;

			for (tries = 0; tries < 1000; tries++) {
				ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
				if (qi.nconsumers == FULL_LIST)
					break;
				usleep(10000);
			}
			ASSERT_EQ(FULL_LIST, qi.nconsumers);
		}
	}
	ASSERT_EQ(FULL_LIST, await_waiters(fd, MPT_QW_GET, FULL_LIST));
	snprintf(name2, sizeof(name2), "%s-b", self->name);
	fd2 = qopen(self->dev, name2, CREATE, 0600, 1, 8, 0);
	ASSERT_LE(0, fd2);

	nl = mpt_nl_socket();
	ASSERT_LE(0, nl);
	family = mpt_genl_family(nl, MPT_GENL_NAME, NULL, NULL);
	ASSERT_LT(0, family);
	close(nl);
	/*
	 * A socket that has received nothing yet: the dump's first skb is
	 * the kernel's least (NLMSG_GOODSIZE), not the size of our reads.
	 */
	nl = mpt_nl_socket();
	ASSERT_LE(0, nl);
	nest = dumped_queue(nl, family, self->name, &count);
	EXPECT_EQ(1, count);
	ASSERT_NE(NULL, nest);
	EXPECT_LT(4096, nest->nla_len);
	EXPECT_EQ(FULL_LIST, count_nests(nest, MPT_QUEUE_A_WAITER));
	EXPECT_EQ(FULL_LIST, count_nests(nest, MPT_QUEUE_A_CONSUMER));
	queue_named(dump_nests, dump_n, name2, &count);
	EXPECT_EQ(1, count);
	close(nl);
	for (i = 0; i < 2 * FULL_LIST; i++)
		kill(pid[i], SIGKILL);
	for (i = 0; i < 2 * FULL_LIST; i++)
		waitpid(pid[i], &status, 0);
	close(hold[0]);
	close(hold[1]);
	close(fd2);
	qunlink(self->dev, name2);
	close(fd);
}

/*
 * No loss, no duplicate: producers put numbered, checksummed messages;
 * consumers record each one they get in shared memory, then mark it done;
 * consumers are SIGKILLed and replaced all along.  At the end every
 * message was recorded at most once, and those never recorded were got
 * by a consumer that died before recording them: released by the kernel,
 * at most one per kill.
 */
#define STORM_P		4
#define STORM_N		25000
#define STORM_C		3

struct storm {
	unsigned int put[STORM_P];
	unsigned char seen[STORM_P][STORM_N];
	unsigned int bad;
};

struct smsg {
	__u32 p, i, sum;
	char pad[20];
};

static __u32 checksum(const struct smsg *m)
{
	return (m->p * 2654435761u) ^ (m->i * 40503u) ^ 0x5a5a5a5a;
}

static void storm_consumer(int fd, struct storm *s)
{
	struct smsg m;

	for (;;) {
		__u32 len = sizeof(m);

		if (qget(fd, &m, &len, 0, 0, NULL) != sizeof(m))
			_exit(1);
		if (m.p >= STORM_P || m.i >= STORM_N || m.sum != checksum(&m))
			__atomic_fetch_add(&s->bad, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_add(&s->seen[m.p][m.i], 1,
					   __ATOMIC_SEQ_CST);
		if (qdone(fd, 1))
			_exit(2);
	}
}

TEST_F_TIMEOUT(q, no_loss_no_dup, 600)
{
	pid_t prod[STORM_P], cons[STORM_C];
	struct mpt_queue_info qi;
	__u64 deadline, total = 0, unseen = 0;
	int fd, i, j, kills = 0, status;
	struct storm *s;

	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s);
	fd = qopen(self->dev, self->name, CREATE, 0600, 64, sizeof(struct smsg),
		   0);
	ASSERT_LE(0, fd);
	/* Slow kernels (debug, TCG) put what they can in 60 s. */
	deadline = now_ns() + 60000000000ULL;
	for (i = 0; i < STORM_P; i++) {
		prod[i] = fork();
		ASSERT_LE(0, prod[i]);
		if (!prod[i]) {
			struct smsg m = { .p = i };

			for (m.i = 0; m.i < STORM_N && now_ns() < deadline;
			     m.i++) {
				m.sum = checksum(&m);
				if (qput(fd, &m, sizeof(m), 0, 0, NULL))
					_exit(1);
				s->put[i] = m.i + 1;
			}
			_exit(0);
		}
	}
	for (j = 0; j < STORM_C; j++) {
		cons[j] = fork();
		ASSERT_LE(0, cons[j]);
		if (!cons[j])
			storm_consumer(fd, s);
	}
	/* Kill a consumer every 20 ms while producers run, and replace it. */
	for (;;) {
		bool running = false;

		for (i = 0; i < STORM_P; i++) {
			if (!prod[i])
				continue;
			if (waitpid(prod[i], &status, WNOHANG) == 0) {
				running = true;
				continue;
			}
			EXPECT_EQ(0, status);
			prod[i] = 0;
		}
		if (!running)
			break;
		usleep(20000);
		j = kills % STORM_C;
		kill(cons[j], SIGKILL);
		waitpid(cons[j], &status, 0);
		kills++;
		cons[j] = fork();
		ASSERT_LE(0, cons[j]);
		if (!cons[j])
			storm_consumer(fd, s);
	}
	/* Let the consumers drain the queue, then stop them. */
	for (i = 0; i < 6000; i++) {
		ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
		if (!qi.unfinished)
			break;
		usleep(10000);
	}
	for (j = 0; j < STORM_C; j++) {
		kill(cons[j], SIGKILL);
		waitpid(cons[j], &status, 0);
	}
	ASSERT_EQ(0, qinfo(fd, &qi, NULL, 0, NULL, 0));
	for (i = 0; i < STORM_P; i++) {
		total += s->put[i];
		for (j = 0; j < (int)s->put[i]; j++) {
			EXPECT_GE(1, s->seen[i][j]);	/* no duplicate */
			unseen += !s->seen[i][j];
		}
		for (; j < STORM_N; j++)
			EXPECT_EQ(0, s->seen[i][j]);
	}
	TH_LOG("%llu messages, %d consumers killed, %llu got but unrecorded, %llu released",
	       (unsigned long long)total, kills, (unsigned long long)unseen,
	       (unsigned long long)qi.released);
	EXPECT_EQ(0, s->bad);
	EXPECT_EQ(total, qi.puts);
	EXPECT_EQ(total, qi.gets);
	EXPECT_EQ(0, qi.depth);
	EXPECT_EQ(0, qi.unfinished);
	EXPECT_EQ(0, qi.loose);
	/* Each unrecorded message was released with its dead consumer. */
	EXPECT_LE(unseen, qi.released);
	EXPECT_GE(kills + STORM_C, qi.released);
	EXPECT_GE(kills + STORM_C, qi.consumer_deaths);
	close(fd);
	munmap(s, sizeof(*s));
}

/*
 * Limits: max_queues and max_queue_bytes refuse with ENOSPC, counted.
 * Unload: refused while a file is open (a waiter blocked on it), clean
 * with queues kept by their names alone.
 */
TEST_F(q, limits_and_unload)
{
	int a, b, nl, family, status;
	char buf[8];
	pid_t pid;

	if (!mpt_ko_path())
		SKIP(return, "MPTRACE_KO not set: cannot reload the module");
	close(self->dev);
	self->dev = -1;
	ASSERT_EQ(0, mpt_unload());
	ASSERT_EQ(0, mpt_load_with("max_queues=2 max_queue_bytes=4096"));
	self->dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	nl = mpt_nl_socket();
	ASSERT_LE(0, nl);
	family = mpt_genl_family(nl, MPT_GENL_NAME, NULL, NULL);
	ASSERT_LT(0, family);

	EXPECT_EQ(-ENOSPC, qopen(self->dev, "qt-big", CREATE, 0600, 8, 1024,
				 0));
	a = qopen(self->dev, "qt-a", CREATE, 0600, 2, 1024, 0);
	ASSERT_LE(0, a);
	b = qopen(self->dev, "qt-b", CREATE, 0600, 1, 1024, 0);
	ASSERT_LE(0, b);
	EXPECT_EQ(-ENOSPC, qopen(self->dev, "qt-c", CREATE, 0600, 1, 1, 0));
	EXPECT_EQ(2, mpt_stat(nl, family, MPT_STATS_A_QUEUE_REFUSED));
	EXPECT_EQ(2, mpt_stat(nl, family, MPT_STATS_A_QUEUES));
	EXPECT_EQ(3072, mpt_stat(nl, family, MPT_STATS_A_QUEUE_BYTES));
	EXPECT_EQ(2, mpt_stat(nl, family, MPT_STATS_A_QUEUES_MAX));
	EXPECT_EQ(4096, mpt_stat(nl, family, MPT_STATS_A_QUEUE_BYTES_MAX));
	ASSERT_EQ(0, qput(a, "12345", 5, 0, 0, NULL));
	EXPECT_EQ(5, mpt_stat(nl, family, MPT_STATS_A_QUEUE_MSG_BYTES));
	/* Removing one makes room again. */
	ASSERT_EQ(0, qunlink(self->dev, "qt-b"));
	close(b);
	b = qopen(self->dev, "qt-c", CREATE, 0600, 1, 1, 0);
	EXPECT_LE(0, b);
	close(nl);

	/* A consumer blocked on qt-c holds the module. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 l = sizeof(buf);

		qget(b, buf, &l, 0, 0, NULL);
		_exit(0);
	}
	ASSERT_EQ(1, await_waiters(b, MPT_QW_GET, 1));
	close(b);
	close(a);
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(-EAGAIN, mpt_unload());
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* Now only names keep qt-a (a message in it) and qt-c. */
	EXPECT_EQ(0, mpt_unload());
	ASSERT_EQ(0, mpt_load());
	self->dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	EXPECT_EQ(-ENOENT, qopen(self->dev, "qt-a", RW, 0, 0, 0, 0));
}

TEST_HARNESS_MAIN
