// SPDX-License-Identifier: GPL-2.0
/*
 * libmptrace's own share of fast locks: the handle API
 * (mpt_lock_fast_map/acquire/release/unmap) and the thread token it
 * keeps.  lock_test speaks the protocol raw; these tests check that the
 * library speaks it: the right token per thread, a forked child's own,
 * a new one after the module was loaded again, the same results as the
 * ioctls.  And mpt_nl_events(): events are what the kernel sent, not
 * what another process sent to the listener's port.  Built only from
 * the mptrace repository (it links libmptrace.a).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"
#include "libmptrace.h"
#include "mpt_helpers.h"

#define RW	(MPT_QOPEN_READ | MPT_QOPEN_WRITE | MPT_QOPEN_CLOEXEC)

FIXTURE(lib) {
	char name[2][MPT_NAME_LEN];
	int fd[2];
	struct mpt_lock_fast *h[2];
};

FIXTURE_SETUP(lib)
{
	static int n;
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(self->name[i], sizeof(self->name[i]), "lib-%d-%d-%d",
			 getpid(), n, i);
		self->fd[i] = -1;
		self->h[i] = NULL;
	}
	n++;
	if (!mpt_loaded())
		SKIP(return, "mptrace module not loaded");
}

/* Lock @i unmapped, closed and its name removed. */
static void lfree(FIXTURE_DATA(lib) *self, int i)
{
	mpt_lock_fast_unmap(self->h[i]);
	self->h[i] = NULL;
	if (self->fd[i] >= 0)
		close(self->fd[i]);
	self->fd[i] = -1;
	mpt_lock_unlink(self->name[i]);
}

FIXTURE_TEARDOWN(lib)
{
	int i;

	for (i = 0; i < 2; i++)
		lfree(self, i);
}

/* Make lock @i, fast, of @kind, and map it. */
static int lmake(FIXTURE_DATA(lib) *self, int i, uint32_t kind)
{
	self->fd[i] = mpt_lock_open(self->name[i], RW | MPT_QOPEN_CREATE |
				    MPT_QOPEN_EXCL, kind, 0600, MPT_LOCK_FAST);
	if (self->fd[i] < 0)
		return self->fd[i];
	return mpt_lock_fast_map(self->fd[i], &self->h[i]);
}

/* The word of lock @i, read through a mapping of our own. */
static __u64 lword(FIXTURE_DATA(lib) *self, int i)
{
	struct mpt_lock_page *p;
	__u64 w;

	p = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED,
		 self->fd[i], 0);
	if (p == MAP_FAILED)
		return ~0ULL;
	w = __atomic_load_n(&p->word, __ATOMIC_SEQ_CST);
	munmap(p, sysconf(_SC_PAGESIZE));
	return w;
}

/* The calling thread's token, asked of the module itself. */
static __u32 ltoken(int fd)
{
	__u32 tok = 0;

	return ioctl(fd, MPT_LIOC_TOKEN, &tok) ? 0 : tok;
}

/* What mpt_lock_fast_map() refuses, and what it leaves then. */
TEST_F(lib, map_forms)
{
	struct mpt_lock_fast *h = (void *)1;
	int slow, ro;

	slow = mpt_lock_open(self->name[1], RW | MPT_QOPEN_CREATE,
			     MPT_LOCK_MUTEX, 0600, 0);
	ASSERT_LE(0, slow);
	EXPECT_EQ(-ENODEV, mpt_lock_fast_map(slow, &h));
	EXPECT_EQ(NULL, h);
	close(slow);

	ASSERT_EQ(0, lmake(self, 0, MPT_LOCK_MUTEX));
	ro = mpt_lock_open(self->name[0], MPT_QOPEN_READ | MPT_QOPEN_CLOEXEC,
			   0, 0, 0);
	ASSERT_LE(0, ro);
	h = (void *)1;
	EXPECT_EQ(-EBADF, mpt_lock_fast_map(ro, &h));
	EXPECT_EQ(NULL, h);
	close(ro);
	EXPECT_EQ(-EBADF, mpt_lock_fast_map(-1, &h));
	EXPECT_EQ(NULL, h);
	mpt_lock_fast_unmap(NULL);
}

/*
 * Acquisitions in user space carry this thread's token and count; the
 * results are those of the ioctls: EDEADLK for a mutex again, EPERM
 * for a release without a hold.
 */
TEST_F(lib, results)
{
	struct mpt_lock_info li;
	struct mpt_lock_acq a;
	__u32 tok;

	ASSERT_EQ(0, lmake(self, 0, MPT_LOCK_RECURSIVE));
	ASSERT_EQ(0, lmake(self, 1, MPT_LOCK_MUTEX));
	memset(&a, 0xff, sizeof(a));
	ASSERT_EQ(0, mpt_lock_fast_acquire(self->h[0], MPT_FOREVER, &a));
	EXPECT_EQ(1, a.count);
	EXPECT_EQ(0, a.flags);
	EXPECT_EQ(0, a.waited_ns);
	ASSERT_EQ(0, mpt_lock_fast_acquire(self->h[0], 0, &a));
	EXPECT_EQ(2, a.count);
	tok = ltoken(self->fd[0]);
	ASSERT_NE(0, tok);
	EXPECT_EQ(tok | 2 * MPT_LOCKW_ONE, lword(self, 0));
	ASSERT_EQ(0, mpt_lock_info(self->fd[0], &li, NULL, NULL));
	EXPECT_EQ(gettid(), li.owner_tid);
	EXPECT_EQ(2, li.count);
	EXPECT_EQ(2, li.acquisitions);
	EXPECT_EQ(0, mpt_lock_fast_release(self->h[0]));
	EXPECT_EQ(tok | MPT_LOCKW_ONE, lword(self, 0));
	EXPECT_EQ(0, mpt_lock_fast_release(self->h[0]));
	EXPECT_EQ(0, lword(self, 0));
	EXPECT_EQ(-EPERM, mpt_lock_fast_release(self->h[0]));

	ASSERT_EQ(0, mpt_lock_fast_acquire(self->h[1], MPT_FOREVER, NULL));
	EXPECT_EQ(-EDEADLK, mpt_lock_fast_acquire(self->h[1], MPT_FOREVER,
						  NULL));
	EXPECT_EQ(-EDEADLK, mpt_lock_fast_acquire(self->h[1], 0, NULL));
	EXPECT_EQ(0, mpt_lock_fast_release(self->h[1]));
	EXPECT_EQ(0, lword(self, 1));
	ASSERT_EQ(0, mpt_lock_info(self->fd[1], &li, NULL, NULL));
	EXPECT_EQ(0, li.owner_tid);
	EXPECT_EQ(2, li.deadlocks);
}

/*
 * A forked child is another thread: with the parent's token it would
 * take the parent's hold for its own and release it.  With its own, its
 * release is refused and its try finds the lock busy.
 */
TEST_F(lib, fork_child_token)
{
	__u32 tok;
	pid_t pid;
	int st;

	ASSERT_EQ(0, lmake(self, 0, MPT_LOCK_MUTEX));
	ASSERT_EQ(0, lmake(self, 1, MPT_LOCK_MUTEX));
	ASSERT_EQ(0, mpt_lock_fast_acquire(self->h[0], MPT_FOREVER, NULL));
	tok = ltoken(self->fd[0]);
	ASSERT_EQ(tok | MPT_LOCKW_ONE, lword(self, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct mpt_lock_info li;

		if (mpt_lock_fast_release(self->h[0]) != -EPERM)
			_exit(1);
		if (mpt_lock_fast_acquire(self->h[0], 0, NULL) != -EBUSY)
			_exit(2);
		if (mpt_lock_fast_acquire(self->h[1], MPT_FOREVER, NULL))
			_exit(3);
		if (mpt_lock_info(self->fd[1], &li, NULL, NULL) ||
		    li.owner_tid != (__u32)getpid())
			_exit(4);
		if ((lword(self, 1) & MPT_LOCKW_TOKEN) == tok ||
		    (lword(self, 1) & MPT_LOCKW_TOKEN) != ltoken(self->fd[1]))
			_exit(5);
		_exit(mpt_lock_fast_release(self->h[1]) ? 6 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(tok | MPT_LOCKW_ONE, lword(self, 0));
	EXPECT_EQ(0, lword(self, 1));
	EXPECT_EQ(0, mpt_lock_fast_release(self->h[0]));
}

struct counter {
	struct mpt_lock_fast *h;
	int fd;
	volatile long *n;
	long each;
	pthread_barrier_t *all;	/* waited for after the first round */
	__u32 tok;
	int err;
};

static void *count_thread(void *arg)
{
	struct counter *c = arg;
	long i;

	for (i = 0; i < c->each; i++) {
		c->err = mpt_lock_fast_acquire(c->h, MPT_FOREVER, NULL);
		if (c->err)
			break;
		if (!i)
			c->tok = ltoken(c->fd);
		(*c->n)++;
		if (i % 64 == 0)
			sched_yield();	/* let the others find it held */
		c->err = mpt_lock_fast_release(c->h);
		if (c->err)
			break;
		if (!i && c->all)
			pthread_barrier_wait(c->all);
	}
	return NULL;
}

/*
 * Threads of one process share the handle, each with its own token: a
 * non-atomic counter ends exact, and every thread took the lock.
 */
TEST_F(lib, threads)
{
	struct counter c[4];
	pthread_t t[4];
	struct mpt_lock_info li;
	volatile long n = 0;
	int i, j;

	ASSERT_EQ(0, lmake(self, 0, MPT_LOCK_MUTEX));
	for (i = 0; i < 4; i++) {
		c[i] = (struct counter){ .h = self->h[0], .fd = self->fd[0],
					 .n = &n, .each = 5000 };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, count_thread, &c[i]));
	}
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	EXPECT_EQ(20000, n);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, c[i].err);
		EXPECT_NE(0, c[i].tok);
		for (j = 0; j < i; j++)
			EXPECT_NE(c[j].tok, c[i].tok);
	}
	EXPECT_EQ(0, lword(self, 0));
	ASSERT_EQ(0, mpt_lock_info(self->fd[0], &li, NULL, NULL));
	EXPECT_EQ(20000, li.acquisitions);
}

/*
 * An owner that dies holding: the next acquire through the handle
 * returns -EOWNERDEAD holding the lock, with the dead process named.
 */
TEST_F(lib, owner_dead)
{
	struct mpt_lock_acq a;
	pid_t pid;
	int st;

	ASSERT_EQ(0, lmake(self, 0, MPT_LOCK_MUTEX));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(mpt_lock_fast_acquire(self->h[0], MPT_FOREVER, NULL) ?
		      1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(-EOWNERDEAD, mpt_lock_fast_acquire(self->h[0], MPT_FOREVER,
						     &a));
	EXPECT_EQ(pid, a.dead_pid);
	EXPECT_EQ(pid, a.dead_tid);
	EXPECT_EQ(0, mpt_lock_fast_release(self->h[0]));
	EXPECT_EQ(0, lword(self, 0));
}

/*
 * Threads the module gives no token (past max_lock_tokens) take and
 * release through the ioctls, beside one that has a token: the count is
 * exact, and each was refused once by the library and once by us.
 */
TEST_F(lib, without_token)
{
	pthread_barrier_t all;
	struct mpt_lock_info li;
	struct counter c[4];
	volatile long n = 0;
	pthread_t t[4];
	int i, with = 0;

	if (!mpt_ko_path())
		SKIP(return, "MPTRACE_KO not set: cannot reload the module");
	ASSERT_EQ(0, mpt_unload());
	ASSERT_EQ(0, mpt_load_with("max_lock_tokens=1"));
	ASSERT_EQ(0, lmake(self, 0, MPT_LOCK_MUTEX));
	ASSERT_EQ(0, pthread_barrier_init(&all, NULL, 4));
	for (i = 0; i < 4; i++) {
		c[i] = (struct counter){ .h = self->h[0], .fd = self->fd[0],
					 .n = &n, .each = 3000, .all = &all };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, count_thread, &c[i]));
	}
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	pthread_barrier_destroy(&all);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, c[i].err);
		with += c[i].tok != 0;
	}
	EXPECT_EQ(1, with);
	EXPECT_EQ(12000, n);
	EXPECT_EQ(0, lword(self, 0));
	ASSERT_EQ(0, mpt_lock_info(self->fd[0], &li, NULL, NULL));
	EXPECT_EQ(12000, li.acquisitions);
	EXPECT_EQ(6, mpt_stat_now(MPT_STATS_A_LOCK_TOKEN_REFUSED));

	lfree(self, 0);
	ASSERT_EQ(0, mpt_unload());
	ASSERT_EQ(0, mpt_load());
}

static void *make_token(void *arg)
{
	*(__u32 *)arg = ltoken(*(int *)arg);
	return NULL;
}

/*
 * The module loaded again gives tokens from the start: a thread that
 * kept one of the earlier load would name another thread in the word.
 * The library sees the new generation in the page and asks again.
 */
TEST_F(lib, token_after_reload)
{
	__u32 old, gen;
	pthread_t t;
	int arg, i;

	if (!mpt_ko_path())
		SKIP(return, "MPTRACE_KO not set: cannot reload the module");
	ASSERT_EQ(0, lmake(self, 0, MPT_LOCK_MUTEX));
	/* Other threads' tokens first, so that ours is not the first one. */
	for (i = 0; i < 3; i++) {
		arg = self->fd[0];
		ASSERT_EQ(0, pthread_create(&t, NULL, make_token, &arg));
		ASSERT_EQ(0, pthread_join(t, NULL));
	}
	ASSERT_EQ(0, mpt_lock_fast_acquire(self->h[0], MPT_FOREVER, NULL));
	old = lword(self, 0) & MPT_LOCKW_TOKEN;
	ASSERT_EQ(0, mpt_lock_fast_release(self->h[0]));
	lfree(self, 0);
	ASSERT_EQ(0, mpt_unload());
	ASSERT_EQ(0, mpt_load());

	ASSERT_EQ(0, lmake(self, 0, MPT_LOCK_MUTEX));
	ASSERT_EQ(0, mpt_lock_fast_acquire(self->h[0], MPT_FOREVER, NULL));
	gen = lword(self, 0) & MPT_LOCKW_TOKEN;
	/* The token the module gives this thread now, and not the old. */
	EXPECT_EQ(ltoken(self->fd[0]), gen);
	EXPECT_NE(old, gen);
	ASSERT_EQ(0, mpt_lock_fast_release(self->h[0]));
	EXPECT_EQ(0, lword(self, 0));
}

/* The generic netlink ports of this process, from /proc/net/netlink. */
static int own_genl_ports(uint32_t *ports, int max)
{
	FILE *f = fopen("/proc/net/netlink", "r");
	char line[256];
	unsigned int eth, port;
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < max)
		if (sscanf(line, "%*s %u %u", &eth, &port) == 2 &&
		    eth == NETLINK_GENERIC && (port & 0x3fffff) == (unsigned int)getpid())
			ports[n++] = port;
	fclose(f);
	return n;
}

struct seen {
	pid_t forged, child;
	int forged_n, child_n;
};

static int count_seen(const struct mpt_event_view *ev, void *arg)
{
	struct seen *s = arg;

	if (ev->type == MPT_EV_FORK && ev->pid == (uint32_t)s->forged)
		s->forged_n++;
	if (ev->type == MPT_EV_FORK && ev->pid == (uint32_t)s->child)
		s->child_n++;
	return 0;
}

/*
 * A FORK event sent to the listener's port by another socket (root may:
 * CAP_NET_ADMIN) is dropped; the kernel's events still come.
 */
TEST(nl_events_from_kernel_only)
{
	struct seen seen = { .forged = 0x3fff0001 };
	struct nl_sock *sk;
	struct mpt_nl *nl;
	struct nl_msg *msg;
	struct nlattr *ev;
	uint32_t ports[16];
	int family, n, i, status, sent = 0;

	if (!mpt_module_loaded())
		SKIP(return, "mptrace module not loaded");
	ASSERT_EQ(0, mpt_nl_open(&nl));
	ASSERT_EQ(0, mpt_nl_subscribe(nl));
	n = own_genl_ports(ports, 16);
	ASSERT_GT(n, 0);

	sk = nl_socket_alloc();
	ASSERT_NE(NULL, sk);
	ASSERT_EQ(0, genl_connect(sk));
	family = genl_ctrl_resolve(sk, MPT_GENL_NAME);
	ASSERT_GT(family, 0);
	for (i = 0; i < n; i++) {
		msg = nlmsg_alloc();
		ASSERT_NE(NULL, msg);
		ASSERT_NE(NULL, genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family,
					    0, 0, MPT_CMD_EVENT, MPT_GENL_VERSION));
		ev = nla_nest_start(msg, MPT_A_EVENT);
		ASSERT_NE(NULL, ev);
		ASSERT_EQ(0, nla_put_u32(msg, MPT_EV_A_TYPE, MPT_EV_FORK));
		ASSERT_EQ(0, nla_put_u64(msg, MPT_EV_A_SEQ, 1));
		ASSERT_EQ(0, nla_put_u32(msg, MPT_EV_A_PID, seen.forged));
		nla_nest_end(msg, ev);
		nl_socket_set_peer_port(sk, ports[i]);
		/* a port of ours that is not the listener's may refuse it */
		sent += nl_send_auto(sk, msg) > 0;
		nlmsg_free(msg);
	}
	nl_socket_free(sk);
	/* The listener's port took it: the forgery was delivered. */
	ASSERT_LT(0, sent) TH_LOG("%d ports, none took the message", n);

	seen.child = fork();
	ASSERT_GE(seen.child, 0);
	if (!seen.child)
		_exit(0);
	ASSERT_EQ(seen.child, waitpid(seen.child, &status, 0));
	for (i = 0; i < 20 && !seen.child_n; i++)
		ASSERT_LE(0, mpt_nl_events(nl, 100, count_seen, &seen));
	EXPECT_EQ(1, seen.child_n);
	EXPECT_EQ(0, seen.forged_n);
	mpt_nl_close(nl);
}

/* Events kept in the order received, each copied whole. */
#define KEPT_MAX 1024

struct kept {
	struct mpt_event_view *v;
	size_t n;
};

static int keep_event(const struct mpt_event_view *ev, void *arg)
{
	struct kept *k = arg;

	if (k->n < KEPT_MAX)
		memcpy(&k->v[k->n++], ev, sizeof(*ev));
	return 0;
}

/* What both channels have received so far, read without waiting long. */
static void drain_both(struct mpt_nl *nl, struct kept *nlk, int fd,
		       struct kept *devk)
{
	size_t before;

	do {
		before = nlk->n + devk->n;
		/* a netlink batch leaves within a tick: wait longer */
		mpt_nl_events(nl, 200, keep_event, nlk);
		mpt_dev_events(fd, 0, keep_event, devk);
	} while (nlk->n + devk->n != before);
}

/* @seq is among the events a LOST record of @k stands for. */
static bool lost_in(const struct kept *k, uint64_t seq)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].type == MPT_EV_LOST && k->v[i].seq <= seq &&
		    seq < k->v[i].seq + k->v[i].lost)
			return true;
	return false;
}

/*
 * The two channels tell each event alike: every event a netlink listener
 * parsed (mpt_nl_events(), attributes) equals, byte for byte, the /dev
 * reader's (mpt_dev_events(), records) of the same number.  Made here:
 * a fork and its exec (a file name), exit, zombie and reap; an orphan,
 * reaped by this process as its subreaper; a traced queue's and a
 * traced lock's events.
 */
TEST(nl_events_match_dev)
{
	static struct mpt_event_view nlv[KEPT_MAX], devv[KEPT_MAX];
	static const uint32_t want[] = {
		MPT_EV_FORK, MPT_EV_EXEC, MPT_EV_EXIT, MPT_EV_ZOMBIE,
		MPT_EV_REAP, MPT_EV_ORPHAN, MPT_EV_QUEUE_CREATE,
		MPT_EV_QUEUE_PUT, MPT_EV_QUEUE_GET, MPT_EV_LOCK_CREATE,
		MPT_EV_LOCK_ACQUIRE, MPT_EV_LOCK_RELEASE,
	};
	struct mpt_queue_params qp = { .mode = 0600,
				       .qflags = MPT_QUEUE_TRACE };
	struct kept nlk = { nlv, 0 }, devk = { devv, 0 };
	uint64_t matched = 0;
	char qname[32], lname[32], buf[16];
	int fd, q, l, status, p[2];
	struct mpt_nl *nl;
	pid_t c, g;
	size_t i, j;

	if (!mpt_module_loaded())
		SKIP(return, "mptrace module not loaded");
	ASSERT_EQ(0, mpt_nl_open(&nl));
	ASSERT_EQ(0, mpt_nl_subscribe(nl));
	fd = mpt_dev_open(O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mpt_dev_subscribe(fd, 4096));
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));

	c = fork();
	ASSERT_LE(0, c);
	if (!c) {
		execl("/bin/true", "true", NULL);
		_exit(127);
	}
	ASSERT_EQ(c, waitpid(c, &status, 0));
	ASSERT_EQ(0, status);

	ASSERT_EQ(0, pipe(p));
	c = fork();
	ASSERT_LE(0, c);
	if (!c) {
		if (fork() == 0) {
			close(p[1]);
			_exit(read(p[0], buf, 1) == 1 ? 3 : 4);
		}
		_exit(0);
	}
	ASSERT_EQ(c, waitpid(c, &status, 0));
	ASSERT_EQ(1, write(p[1], "x", 1));
	g = waitpid(-1, &status, 0);	/* the grandchild, orphaned to us */
	ASSERT_LT(0, g);
	ASSERT_EQ(3, WEXITSTATUS(status));
	close(p[0]);
	close(p[1]);

	snprintf(qname, sizeof(qname), "lib_test.q%d", getpid());
	snprintf(lname, sizeof(lname), "lib_test.l%d", getpid());
	q = mpt_queue_open(qname, RW | MPT_QOPEN_CREATE | MPT_QOPEN_EXCL, &qp);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, mpt_queue_put(q, "hello", 5, MPT_FOREVER, NULL));
	/* The flags are DETACHED or 0: how long to wait is @timeout_ns. */
	EXPECT_EQ(-EINVAL, mpt_queue_get(q, buf, sizeof(buf), MPT_FOREVER,
					 MPT_QMSG_NOWAIT, NULL));
	ASSERT_EQ(5, mpt_queue_get(q, buf, sizeof(buf), MPT_FOREVER,
				   MPT_QMSG_DETACHED, NULL));
	close(q);
	EXPECT_EQ(0, mpt_queue_unlink(qname));
	l = mpt_lock_open(lname, RW | MPT_QOPEN_CREATE | MPT_QOPEN_EXCL,
			  MPT_LOCK_MUTEX, 0600, MPT_LOCK_TRACE);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, mpt_lock_acquire(l, MPT_FOREVER, NULL));
	ASSERT_EQ(0, mpt_lock_release(l));
	close(l);
	EXPECT_EQ(0, mpt_lock_unlink(lname));

	drain_both(nl, &nlk, fd, &devk);
	ASSERT_GT(KEPT_MAX, nlk.n);
	ASSERT_GT(KEPT_MAX, devk.n);
	ASSERT_LT(0, nlk.n);
	ASSERT_LT(0, devk.n);
	/*
	 * The listener joined first and /dev delivers as events happen:
	 * from the reader's first record on, every event netlink told is on
	 * /dev too, but a thread's (on /dev only on request) or one /dev
	 * lost; and every /dev event up to the last netlink told is on
	 * netlink, but one netlink lost (from its first on: a loss before
	 * that is no gap).
	 */
	for (i = 0; i < devk.n; i++) {
		if (devv[i].type == MPT_EV_LOST || devv[i].seq < nlv[0].seq ||
		    devv[i].seq > nlv[nlk.n - 1].seq || lost_in(&nlk, devv[i].seq))
			continue;
		for (j = 0; j < nlk.n && nlv[j].seq != devv[i].seq; j++)
			;
		EXPECT_GT(nlk.n, j) TH_LOG("event %llu (%s) only on /dev",
					   (unsigned long long)devv[i].seq,
					   mpt_event_name(devv[i].type));
	}
	for (i = 0; i < nlk.n; i++) {
		if (nlv[i].type == MPT_EV_LOST)
			continue;
		if (nlv[i].seq < devv[0].seq)
			continue;	/* before the reader subscribed */
		if ((nlv[i].flags & MPT_EVF_THREAD) || lost_in(&devk, nlv[i].seq))
			continue;
		for (j = 0; j < devk.n && devv[j].seq != nlv[i].seq; j++)
			;
		EXPECT_GT(devk.n, j) TH_LOG("event %llu (%s) only on netlink",
					    (unsigned long long)nlv[i].seq,
					    mpt_event_name(nlv[i].type));
		if (j == devk.n)
			continue;
		EXPECT_EQ(0, memcmp(&nlv[i], &devv[j], sizeof(nlv[i])))
			TH_LOG("event %llu (%s) differs",
			       (unsigned long long)nlv[i].seq,
			       mpt_event_name(nlv[i].type));
		matched |= 1ULL << (nlv[i].type & 63);
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		EXPECT_TRUE(matched & (1ULL << want[i]))
			TH_LOG("no %s on both channels",
			       mpt_event_name(want[i]));
	}
	close(fd);
	mpt_nl_close(nl);
}

/*
 * mpt_nl_subscribe_types(): types of one class join that class's group
 * (1), and only its events come, numbered in the group so that the
 * other classes' numbers they skip are no loss; types of two classes
 * join the events group (0).
 */
struct kept_of {
	struct kept k;
	pid_t pid;	/* the events of this process, and any LOST */
};

static int keep_of(const struct mpt_event_view *ev, void *arg)
{
	struct kept_of *ko = arg;

	if (ev->type == MPT_EV_LOST || ev->pid == (uint32_t)ko->pid)
		keep_event(ev, &ko->k);
	return 0;
}

TEST(nl_subscribe_types)
{
	static struct mpt_event_view cls[KEPT_MAX], all[KEPT_MAX];
	struct kept_of ck = { { cls, 0 }, 0 }, ak = { { all, 0 }, 0 };
	struct mpt_nl *reap, *both;
	unsigned int ctypes = 0, atypes = 0;
	int status, i;
	pid_t c;

	if (!mpt_module_loaded())
		SKIP(return, "mptrace module not loaded");
	ASSERT_EQ(0, mpt_nl_open(&reap));
	ASSERT_EQ(0, mpt_nl_open(&both));
	EXPECT_EQ(1, mpt_nl_subscribe_types(reap, 1u << MPT_EV_ZOMBIE |
					    1u << MPT_EV_REAP));
	EXPECT_EQ(0, mpt_nl_subscribe_types(both, 1u << MPT_EV_FORK |
					    1u << MPT_EV_REAP));
	EXPECT_STREQ(MPT_MCGRP_REAP, mpt_nl_class_group(MPT_EV_ORPHAN));
	EXPECT_STREQ(MPT_MCGRP_LOCKS, mpt_nl_class_group(MPT_EV_DEADLOCK));
	EXPECT_EQ(NULL, mpt_nl_class_group(MPT_EV_LOST));

	c = fork();
	ASSERT_LE(0, c);
	if (!c)
		_exit(7);
	ASSERT_EQ(c, waitpid(c, &status, 0));
	ck.pid = ak.pid = c;
	for (i = 0; i < 10; i++) {
		mpt_nl_events(reap, 100, keep_of, &ck);
		mpt_nl_events(both, 100, keep_of, &ak);
	}
	for (size_t j = 0; j < ck.k.n; j++) {
		ctypes |= 1u << cls[j].type;
		EXPECT_NE(0, cls[j].group_seq);
	}
	for (size_t j = 0; j < ak.k.n; j++) {
		atypes |= 1u << all[j].type;
		EXPECT_EQ(0, all[j].group_seq);
	}
	EXPECT_EQ(1u << MPT_EV_ZOMBIE | 1u << MPT_EV_REAP, ctypes);
	EXPECT_EQ(1u << MPT_EV_FORK | 1u << MPT_EV_EXIT |
		  1u << MPT_EV_ZOMBIE | 1u << MPT_EV_REAP, atypes);
	mpt_nl_close(reap);
	mpt_nl_close(both);
}

TEST_HARNESS_MAIN
