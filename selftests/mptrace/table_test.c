// SPDX-License-Identifier: GPL-2.0
/*
 * The process table as MPT_IOC_PROCS and the MPT_CMD_GET_PROCS dump list
 * it, against /proc: every process, zombies and why they wait, orphans
 * and their original parent, paging, the caller's rights, and every bad
 * form of the request.
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "mpt_helpers.h"

#define MAXP	8192

FIXTURE(tab) {
	int fd;
	struct mpt_proc *v;
	size_t n;
	char comm[16];
};

FIXTURE_SETUP(tab)
{
	struct mpt_version ver;

	if (!mpt_loaded())
		SKIP(return, "mptrace.ko is not loaded");
	self->fd = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioctl(self->fd, MPT_IOC_VERSION, &ver));
	if (!(ver.features & MPT_FEAT_PROCS))
		SKIP(return, "no process table in this module");
	self->v = calloc(MAXP, sizeof(*self->v));
	ASSERT_NE(NULL, self->v);
	ASSERT_EQ(0, mpt_read_file("/proc/self/comm", self->comm,
				   sizeof(self->comm)));
}

FIXTURE_TEARDOWN(tab)
{
	if (self->fd >= 0)
		close(self->fd);
	free(self->v);
}

/* A child that waits on its go pipe, whose write end is left in go[1]. */
static pid_t sleeping_child(int go[2])
{
	pid_t pid = mpt_fork_go(&go[1]);

	if (pid == 0) {
		mpt_wait_go(go[1]);
		_exit(0);
	}
	return pid;
}

/* A process of ours, field by field against /proc; and no one missing. */
TEST_F(tab, matches_proc)
{
	static pid_t before[MAXP], after[MAXP];
	const struct mpt_proc *p;
	size_t nb, na, i, j;
	int go[2], missing = 0;
	char start[32];
	pid_t child;

	child = sleeping_child(go);
	ASSERT_LT(0, child);
	ASSERT_TRUE(mpt_await_state(child, 'S'));
	ASSERT_EQ(0, mpt_proc_stat(child, 22, start, sizeof(start)));
	nb = mpt_proc_pids(before, MAXP);
	ASSERT_EQ(0, mpt_procs(self->fd, self->v, MAXP, &self->n,
			       MPT_PROCS_MAX));
	na = mpt_proc_pids(after, MAXP);

	p = mpt_proc_lookup(self->v, self->n, child);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(getpid(), p->ppid);
	EXPECT_EQ(getpid(), p->orig_ppid);
	EXPECT_EQ(0, p->uid);
	EXPECT_EQ('S', p->state);
	EXPECT_EQ(1, p->threads);
	EXPECT_EQ(0, p->flags);
	EXPECT_EQ(0, p->exit_ns);
	EXPECT_EQ(0, p->orphan_ns);
	EXPECT_STREQ(self->comm, p->comm);
	/* Clock ticks since boot, as /proc counts them. */
	EXPECT_GE(1, llabs((long long)(p->start_ns / (1000000000ULL /
					 sysconf(_SC_CLK_TCK))) - atoll(start)));

	/* Ours is listed as the test sees itself. */
	p = mpt_proc_lookup(self->v, self->n, getpid());
	ASSERT_NE(NULL, p);
	EXPECT_EQ('R', p->state);
	EXPECT_EQ(getppid(), p->ppid);

	/* Every process /proc showed before and after is in the list. */
	for (i = 0; i < nb; i++)
		for (j = 0; j < na; j++)
			if (before[i] == after[j] &&
			    !mpt_proc_lookup(self->v, self->n, before[i])) {
				TH_LOG("pid %d is missing", before[i]);
				missing++;
			}
	EXPECT_EQ(0, missing);
	/* In pid order, each once. */
	for (i = 1; i < self->n; i++)
		EXPECT_LT(self->v[i - 1].pid, self->v[i].pid);
	close(go[1]);
	EXPECT_EQ(child, waitpid(child, NULL, 0));
}

static const struct mpt_proc *listed(FIXTURE_DATA(tab) *self, pid_t pid)
{
	if (mpt_procs(self->fd, self->v, MAXP, &self->n, MPT_PROCS_MAX))
		return NULL;
	return mpt_proc_lookup(self->v, self->n, pid);
}

/* A zombie of ours: ended, when, how; its parent (us) runs. */
TEST_F(tab, zombie)
{
	const struct mpt_proc *p;
	__u64 before;
	pid_t child;

	before = mpt_boottime_ns();
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(7);
	ASSERT_TRUE(mpt_await_state(child, 'Z'));
	p = listed(self, child);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(MPT_PROC_ZOMBIE, p->flags);
	EXPECT_EQ('Z', p->state);
	EXPECT_EQ(7 << 8, p->status);
	EXPECT_EQ(0, p->threads);
	EXPECT_EQ(MPT_ZW_NOT_WAITING, p->why);	/* we run: in this ioctl */
	EXPECT_LE(before, p->exit_ns);
	EXPECT_GE(mpt_boottime_ns(), p->exit_ns);
	EXPECT_EQ(child, waitpid(child, NULL, 0));
	EXPECT_EQ(NULL, listed(self, child));
}

/*
 * Why a zombie waits, told from its parent: in a wait() for another
 * child, or stopped.
 */
static int parent_of_zombie(int up, bool waits)
{
	pid_t z, s;
	char c;
	int go[2];

	z = fork();
	if (z == 0)
		_exit(1);
	s = sleeping_child(go);
	if (z < 0 || s < 0 || write(up, &z, sizeof(z)) != sizeof(z))
		return 1;
	if (waits)		/* for the other one, which never ends */
		return waitpid(s, NULL, 0) == s ? 0 : 2;
	for (;;)
		read(go[1], &c, 1);	/* blocks forever, stopped or not */
}

TEST_F(tab, zombie_why)
{
	const struct mpt_proc *p;
	int up[2], status;
	pid_t parent, z;

	for (int stopped = 0; stopped < 2; stopped++) {
		ASSERT_EQ(0, pipe(up));
		parent = fork();
		ASSERT_LE(0, parent);
		if (parent == 0)
			_exit(parent_of_zombie(up[1], !stopped));
		ASSERT_EQ(sizeof(z), read(up[0], &z, sizeof(z)));
		ASSERT_TRUE(mpt_await_state(z, 'Z'));
		if (stopped) {
			ASSERT_EQ(0, kill(parent, SIGSTOP));
			ASSERT_TRUE(mpt_await_state(parent, 'T'));
		} else {
			ASSERT_TRUE(mpt_await_state(parent, 'S'));
		}
		p = listed(self, z);
		ASSERT_NE(NULL, p);
		EXPECT_EQ(stopped ? MPT_ZW_STOPPED : MPT_ZW_WAITS_OTHER, p->why);
		EXPECT_EQ(parent, p->ppid);
		kill(parent, SIGKILL);
		ASSERT_EQ(parent, waitpid(parent, &status, 0));
		close(up[0]);
		close(up[1]);
	}
}

/* An orphan adopted by a subreaper keeps its original parent. */
static int subreaper(int up, int hold)
{
	pid_t child, g = 0;
	int go[2], pipe2[2];
	char c;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) || pipe(go) || pipe(pipe2))
		return 1;
	child = fork();
	if (child == 0) {
		g = fork();
		if (g == 0) {
			close(go[1]);
			read(go[0], &c, 1);
			_exit(0);
		}
		_exit(write(pipe2[1], &g, sizeof(g)) != sizeof(g));
	}
	if (read(pipe2[0], &g, sizeof(g)) != sizeof(g) ||
	    waitpid(child, NULL, 0) != child)
		return 2;
	for (int i = 0; i < 500 && mpt_proc_ppid(g) != getpid(); i++)
		usleep(10000);
	if (write(up, &g, sizeof(g)) != sizeof(g) ||
	    write(up, &child, sizeof(child)) != sizeof(child))
		return 3;
	read(hold, &c, 1);		/* until the test has looked */
	close(go[1]);
	return waitpid(g, NULL, 0) == g ? 0 : 4;
}

TEST_F(tab, orphan)
{
	const struct mpt_proc *p;
	int up[2], hold[2], status;
	pid_t helper, g, child;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(hold));
	helper = fork();
	ASSERT_LE(0, helper);
	if (helper == 0) {
		close(hold[1]);
		_exit(subreaper(up[1], hold[0]));
	}
	close(hold[0]);
	ASSERT_EQ(sizeof(g), read(up[0], &g, sizeof(g)));
	ASSERT_EQ(sizeof(child), read(up[0], &child, sizeof(child)));
	ASSERT_EQ(helper, mpt_proc_ppid(g));

	p = listed(self, g);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(helper, p->ppid);
	EXPECT_EQ(child, p->orig_ppid);
	EXPECT_EQ(MPT_PROC_ORPHAN, p->flags);
	EXPECT_LT(0, p->orphan_ns);
	EXPECT_GE(mpt_boottime_ns(), p->orphan_ns);
	p = mpt_proc_lookup(self->v, self->n, helper);
	ASSERT_NE(NULL, p);
	EXPECT_TRUE(p->flags & MPT_PROC_SUBREAPER);

	close(hold[1]);			/* the helper may go on */
	ASSERT_EQ(helper, waitpid(helper, &status, 0));
	EXPECT_EQ(0, status);
	close(up[0]);
	close(up[1]);
}

/* One record a call gives the same list as one call for all. */
TEST_F(tab, paging)
{
	static struct mpt_proc one[MAXP];
	struct mpt_procs_req req = { .count = 4, .start = 4194305 };
	struct mpt_proc four[4];
	size_t n1 = 0, i;

	ASSERT_EQ(0, mpt_procs(self->fd, self->v, MAXP, &self->n,
			       MPT_PROCS_MAX));
	ASSERT_EQ(0, mpt_procs(self->fd, one, MAXP, &n1, 1));
	for (i = 0; i < self->n; i++) {
		if (kill(self->v[i].pid, 0) && errno == ESRCH)
			continue;	/* gone since */
		EXPECT_NE(NULL, mpt_proc_lookup(one, n1, self->v[i].pid))
			TH_LOG("pid %u", self->v[i].pid);
	}
	/* Beyond the last pid: nothing, and done. */
	req.buf = (uintptr_t)four;
	ASSERT_EQ(0, ioctl(self->fd, MPT_IOC_PROCS, &req));
	EXPECT_EQ(0, req.count);
	EXPECT_EQ(0, req.next);
	/* From 0 or 1: the first process, init. */
	req = (struct mpt_procs_req){ .buf = (uintptr_t)four, .count = 1 };
	ASSERT_EQ(0, ioctl(self->fd, MPT_IOC_PROCS, &req));
	EXPECT_EQ(1, req.count);
	EXPECT_EQ(1, four[0].pid);
	EXPECT_LT(1, req.next);
}

/* Every bad form is refused with its errno, and nothing changes. */
TEST_F(tab, bad_requests)
{
	static const __u32 bad_counts[] = { 0, MPT_PROCS_MAX + 1, 0xffffffff };
	long page = sysconf(_SC_PAGESIZE);
	struct mpt_procs_req req;
	uintptr_t bufs[] = { 0, 0, 0, 0xffffffff81000000UL, (uintptr_t)-64 };
	struct mpt_proc buf[2];
	void *hole, *ro;
	size_t i;

	hole = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_NE(MAP_FAILED, ro);

	for (i = 0; i < sizeof(bad_counts) / sizeof(bad_counts[0]); i++) {
		req = (struct mpt_procs_req){ .buf = (uintptr_t)buf,
					      .count = bad_counts[i] };
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_PROCS, &req));
		EXPECT_EQ(EINVAL, errno) TH_LOG("count %u", bad_counts[i]);
	}
	req = (struct mpt_procs_req){ .buf = (uintptr_t)buf, .count = 2,
				      .reserved = 1 };
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_PROCS, &req));
	EXPECT_EQ(EINVAL, errno);

	bufs[1] = (uintptr_t)hole;
	bufs[2] = (uintptr_t)ro;
	for (i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		req = (struct mpt_procs_req){ .buf = bufs[i], .count = 2 };
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_PROCS, &req));
		EXPECT_EQ(EFAULT, errno) TH_LOG("buf %#lx",
						(unsigned long)bufs[i]);
	}
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_PROCS, NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_PROCS, hole));
	EXPECT_EQ(EFAULT, errno);
	/* The request itself read-only: the answer cannot be written. */
	memset(&req, 0, sizeof(req));
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_PROCS, ro));
	EXPECT_EQ(EINVAL, errno);	/* count 0, read before writing */

	/* Still answers. */
	req = (struct mpt_procs_req){ .buf = (uintptr_t)buf, .count = 2 };
	EXPECT_EQ(0, ioctl(self->fd, MPT_IOC_PROCS, &req));
	EXPECT_EQ(2, req.count);
	munmap(hole, page);
	munmap(ro, page);
}

/* Without privilege, one's own processes only. */
static int list_as_nobody(void *arg)
{
	struct mpt_proc *v = calloc(MAXP, sizeof(*v));
	int fd = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	size_t n, i;

	(void)arg;
	if (!v || fd < 0)
		return 1;
	if (mpt_procs(fd, v, MAXP, &n, 64))
		return 2;
	if (!mpt_proc_lookup(v, n, getpid()))
		return 3;
	for (i = 0; i < n; i++)
		if (v[i].uid != 65534)
			return 4;
	return 0;
}

TEST_F(tab, unprivileged)
{
	EXPECT_EQ(0, mpt_as_nobody(list_as_nobody, NULL));
}

/* The pids of a MPT_CMD_GET_PROCS dump, or -errno; @attr adds one. */
static int dump_pids(pid_t *pids, size_t max, size_t *n, bool attr,
		     bool dump, struct mpt_proc *mine, pid_t pid)
{
	int fd = mpt_nl_socket(), family, ret = 0;
	struct mpt_nlmsg m;
	char buf[16384];
	__u32 abi = 1;

	*n = 0;
	if (fd < 0)
		return fd;
	family = mpt_genl_family(fd, MPT_GENL_NAME, NULL, NULL);
	if (family < 0) {
		close(fd);
		return family;
	}
	mpt_nlmsg_init(&m, family, MPT_CMD_GET_PROCS, dump ? NLM_F_DUMP : 0);
	if (attr)
		mpt_nlmsg_put(&m, MPT_A_ABI, &abi, sizeof(abi));
	if (send(fd, &m, m.n.nlmsg_len, 0) < 0) {
		close(fd);
		return -errno;
	}
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len < 0) {
			ret = -errno;
			break;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			struct nlattr *nest, *a;

			if (h->nlmsg_type == NLMSG_DONE)
				goto out;
			if (h->nlmsg_type == NLMSG_ERROR) {
				ret = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
				goto out;
			}
			nest = mpt_nla_find(MPT_GENL_ATTRS(h),
					    MPT_GENL_ATTRLEN(h), MPT_A_PROC);
			if (!nest) {
				ret = -EBADMSG;
				goto out;
			}
			a = mpt_nla_find(MPT_NLA_DATA(nest),
					 nest->nla_len - NLA_HDRLEN,
					 MPT_PROC_A_PID);
			if (!a || *n >= max) {
				ret = -EBADMSG;
				goto out;
			}
			pids[(*n)++] = *(__u32 *)MPT_NLA_DATA(a);
			if (pids[*n - 1] != pid)
				continue;
#define PROC_U32(f, t) do {						\
	a = mpt_nla_find(MPT_NLA_DATA(nest), nest->nla_len - NLA_HDRLEN, t); \
	mine->f = a ? *(__u32 *)MPT_NLA_DATA(a) : 0xdead;		\
} while (0)
			PROC_U32(ppid, MPT_PROC_A_PPID);
			PROC_U32(orig_ppid, MPT_PROC_A_ORIG_PPID);
			PROC_U32(flags, MPT_PROC_A_FLAGS);
			PROC_U32(threads, MPT_PROC_A_THREADS);
			a = mpt_nla_find(MPT_NLA_DATA(nest),
					 nest->nla_len - NLA_HDRLEN,
					 MPT_PROC_A_STATE);
			mine->state = a ? *(__u8 *)MPT_NLA_DATA(a) : '?';
			a = mpt_nla_find(MPT_NLA_DATA(nest),
					 nest->nla_len - NLA_HDRLEN,
					 MPT_PROC_A_COMM);
			snprintf(mine->comm, sizeof(mine->comm), "%s",
				 a ? (char *)MPT_NLA_DATA(a) : "?");
		}
	}
out:
	close(fd);
	return ret;
}

/* @pid is among @pids[@n]. */
static bool has_pid(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/*
 * The dump lists what the ioctl lists, and what /proc lists: every
 * process /proc showed before and after it, and none /proc did not
 * show but one gone since; bad forms are refused.
 */
TEST_F(tab, netlink_dump)
{
	static pid_t pids[MAXP], pb[MAXP], pa[MAXP];
	static struct mpt_proc after[MAXP];
	struct mpt_proc mine = { 0 };
	size_t n, na, nb, npa, i;
	int go[2];
	pid_t child;

	child = sleeping_child(go);
	ASSERT_LT(0, child);
	ASSERT_TRUE(mpt_await_state(child, 'S'));
	nb = mpt_proc_pids(pb, MAXP);
	ASSERT_EQ(0, mpt_procs(self->fd, self->v, MAXP, &self->n,
			       MPT_PROCS_MAX));
	ASSERT_EQ(0, dump_pids(pids, MAXP, &n, false, true, &mine, child));
	ASSERT_EQ(0, mpt_procs(self->fd, after, MAXP, &na, MPT_PROCS_MAX));
	npa = mpt_proc_pids(pa, MAXP);
	ASSERT_LT(0, nb);
	ASSERT_GT(MAXP, nb);
	ASSERT_GT(MAXP, npa);
	ASSERT_TRUE(has_pid(pids, n, getpid()));
	ASSERT_TRUE(has_pid(pids, n, child));
	/* (Braces: an EXPECT's TH_LOG runs after the statement it ends.) */
	for (i = 0; i < n; i++) {
		EXPECT_TRUE(has_pid(pb, nb, pids[i]) || has_pid(pa, npa, pids[i]) ||
			    (kill(pids[i], 0) && errno == ESRCH))
			TH_LOG("pid %d dumped, unknown to /proc", pids[i]);
	}
	for (i = 0; i < nb; i++) {
		EXPECT_TRUE(!has_pid(pa, npa, pb[i]) || has_pid(pids, n, pb[i]))
			TH_LOG("pid %d of /proc not dumped", pb[i]);
	}
	for (i = 0; i < self->n; i++) {
		bool found = false;

		if (!mpt_proc_lookup(after, na, self->v[i].pid))
			continue;	/* gone meanwhile */
		for (size_t j = 0; j < n && !found; j++)
			found = pids[j] == (pid_t)self->v[i].pid;
		EXPECT_TRUE(found) TH_LOG("pid %u", self->v[i].pid);
	}
	EXPECT_EQ(getpid(), mine.ppid);
	EXPECT_EQ(getpid(), mine.orig_ppid);
	EXPECT_EQ(0, mine.flags);
	EXPECT_EQ(1, mine.threads);
	EXPECT_EQ('S', mine.state);
	EXPECT_STREQ(self->comm, mine.comm);

	/* The dump takes no attribute, and is only a dump. */
	EXPECT_EQ(-EINVAL, dump_pids(pids, MAXP, &n, true, true, &mine, 0));
	EXPECT_EQ(-EOPNOTSUPP, dump_pids(pids, MAXP, &n, false, false, &mine, 0));
	close(go[1]);
	EXPECT_EQ(child, waitpid(child, NULL, 0));
}

/*
 * The table's counters, against the parameter and /proc.  Every process
 * has a record (the table is far from full), so the count is between
 * /proc's after and before when none was made in between (/proc/stat's
 * count of forks): a run in which one was is run again.
 */
#define STATS_TRIES	5

TEST_F(tab, stats)
{
	static pid_t pids[MAXP];
	char param[32];
	int64_t procs = -1, max;
	size_t nb = 0, na = 0;
	int tries;

	ASSERT_EQ(0, mpt_read_file("/sys/module/mptrace/parameters/max_procs",
				   param, sizeof(param)));
	max = mpt_stat_now(MPT_STATS_A_PROCS_MAX);
	EXPECT_EQ(atoll(param), max);
	for (tries = 1; tries <= STATS_TRIES; tries++) {
		long long f0, f1;

		f0 = mpt_forks_total();
		ASSERT_LT(0, f0);
		nb = mpt_proc_pids(pids, MAXP);
		procs = mpt_stat_now(MPT_STATS_A_PROCS);
		na = mpt_proc_pids(pids, MAXP);
		f1 = mpt_forks_total();
		ASSERT_GT(MAXP, nb);
		if (f1 == f0)
			break;
		TH_LOG("run %d: %lld forks meanwhile; again", tries, f1 - f0);
	}
	EXPECT_LT(0, procs);
	EXPECT_LE(procs, max);
	EXPECT_LT(0, mpt_stat_now(MPT_STATS_A_PROCS_BYTES));
	EXPECT_GE(procs * 256, mpt_stat_now(MPT_STATS_A_PROCS_BYTES));
	if (tries > STATS_TRIES) {
		/* SKIP() would hide a failure. */
		if (_metadata->exit_code == KSFT_PASS)
			SKIP(return, "processes forked in each of %d runs",
			     STATS_TRIES);
		return;
	}
	TH_LOG("/proc: %zu, then %zu; the table: %lld", nb, na,
	       (long long)procs);
	EXPECT_LE((int64_t)na, procs);
	EXPECT_GE((int64_t)nb, procs);
}

TEST_HARNESS_MAIN
