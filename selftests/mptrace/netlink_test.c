// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "mptrace": it resolves (through libnl, as
 * clients do), its commands answer, and every malformed request is
 * refused with an error and, where the kernel gives one, a message.
 */
#include <dirent.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"
#include "mpt_helpers.h"

FIXTURE(nl) {
	int fd;
	int family;
	char reply[4096];
	char extack[256];
};

FIXTURE_SETUP(nl)
{
	if (!mpt_loaded())
		SKIP(return, "mptrace.ko is not loaded");
	self->fd = mpt_nl_socket();
	ASSERT_LE(0, self->fd);
	self->family = mpt_genl_family(self->fd, MPT_GENL_NAME, NULL, NULL);
	ASSERT_LT(0, self->family) TH_LOG("resolve: %s",
					  strerror(-self->family));
}

FIXTURE_TEARDOWN(nl)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* libnl finds the same family and the events group. */
TEST_F(nl, resolve_libnl)
{
	struct nl_sock *sk = nl_socket_alloc();
	uint32_t grp = 0;

	ASSERT_NE(NULL, sk);
	ASSERT_EQ(0, genl_connect(sk));
	EXPECT_EQ(self->family, genl_ctrl_resolve(sk, MPT_GENL_NAME));
	EXPECT_LE(0, genl_ctrl_resolve_grp(sk, MPT_GENL_NAME,
					   MPT_MCGRP_EVENTS));
	EXPECT_EQ(self->family, mpt_genl_family(self->fd, MPT_GENL_NAME,
						MPT_MCGRP_EVENTS, &grp));
	EXPECT_EQ((uint32_t)genl_ctrl_resolve_grp(sk, MPT_GENL_NAME,
						  MPT_MCGRP_EVENTS), grp);
	nl_socket_free(sk);
}

static int get_version(struct __test_metadata *_metadata,
		       FIXTURE_DATA(nl) *self, const void *abi, size_t len,
		       size_t hdr_len)
{
	struct mpt_nlmsg m;

	mpt_nlmsg_init(&m, self->family, MPT_CMD_GET_VERSION, 0);
	if (abi)
		mpt_nlmsg_put_raw(&m, MPT_A_ABI, abi, len, hdr_len);
	return mpt_nl_transact(self->fd, &m, self->reply, sizeof(self->reply),
			       self->extack, sizeof(self->extack));
}

/* The reply agrees with sysfs and with the ioctl's ABI. */
TEST_F(nl, version)
{
	struct nlattr *abi, *ver, *feat;
	char sysver[64];
	int len;

	ASSERT_EQ(0, get_version(_metadata, self, NULL, 0, 0));
	len = MPT_GENL_ATTRLEN(self->reply);
	abi = mpt_nla_find(MPT_GENL_ATTRS(self->reply), len, MPT_A_ABI);
	ver = mpt_nla_find(MPT_GENL_ATTRS(self->reply), len, MPT_A_VERSION);
	feat = mpt_nla_find(MPT_GENL_ATTRS(self->reply), len, MPT_A_FEATURES);
	ASSERT_NE(NULL, abi);
	ASSERT_NE(NULL, ver);
	ASSERT_NE(NULL, feat);
	EXPECT_EQ(MPT_ABI_VERSION, *(uint32_t *)MPT_NLA_DATA(abi));
	EXPECT_TRUE(*(uint64_t *)MPT_NLA_DATA(feat) & MPT_FEAT_STATS);
	ASSERT_EQ(0, mpt_read_file("/sys/module/mptrace/version", sysver,
				   sizeof(sysver)));
	EXPECT_STREQ(sysver, (char *)MPT_NLA_DATA(ver));
}

TEST_F(nl, version_abi_current)
{
	uint32_t abi = MPT_ABI_VERSION;

	EXPECT_EQ(0, get_version(_metadata, self, &abi, sizeof(abi),
				 sizeof(abi)));
}

/* A client that needs a newer ABI is told, with a message. */
TEST_F(nl, version_abi_newer)
{
	uint32_t abi = MPT_ABI_VERSION + 1;

	EXPECT_EQ(-EPROTO, get_version(_metadata, self, &abi, sizeof(abi),
				       sizeof(abi)));
	EXPECT_NE(NULL, strstr(self->extack, "newer"))
		TH_LOG("extack: '%s'", self->extack);
}

/* ABI 0 does not exist: the policy refuses it as out of range. */
TEST_F(nl, version_abi_zero)
{
	uint32_t abi = 0;

	EXPECT_EQ(-ERANGE, get_version(_metadata, self, &abi, sizeof(abi),
				       sizeof(abi)));
	EXPECT_NE(0, self->extack[0]) TH_LOG("no extack message");
}

/* A u32 attribute of the wrong size. */
TEST_F(nl, version_abi_wrong_size)
{
	uint16_t short_abi = 1;
	uint64_t long_abi = 1;

	EXPECT_EQ(-EINVAL, get_version(_metadata, self, &short_abi,
				       sizeof(short_abi), sizeof(short_abi)));
	EXPECT_NE(0, self->extack[0]) TH_LOG("no extack message");
	EXPECT_EQ(-EINVAL, get_version(_metadata, self, &long_abi,
				       sizeof(long_abi), sizeof(long_abi)));
	EXPECT_NE(0, self->extack[0]) TH_LOG("no extack message");
}

/* An attribute whose length runs past the end of the message. */
TEST_F(nl, truncated_attribute)
{
	uint32_t abi = 1;

	EXPECT_EQ(-EINVAL, get_version(_metadata, self, &abi, sizeof(abi),
				       64));
}

/* Attributes a command does not take, known or not, are refused. */
TEST_F(nl, unknown_attributes)
{
	struct mpt_nlmsg m;
	uint32_t v = 1;

	mpt_nlmsg_init(&m, self->family, MPT_CMD_GET_VERSION, 0);
	mpt_nlmsg_put(&m, MPT_A_MAX + 1, &v, sizeof(v));
	EXPECT_EQ(-EINVAL, mpt_nl_transact(self->fd, &m, NULL, 0, self->extack,
					   sizeof(self->extack)));
	EXPECT_NE(0, self->extack[0]) TH_LOG("no extack message");

	mpt_nlmsg_init(&m, self->family, MPT_CMD_GET_VERSION, 0);
	mpt_nlmsg_put(&m, MPT_A_STATS, &v, sizeof(v));
	EXPECT_EQ(-EINVAL, mpt_nl_transact(self->fd, &m, NULL, 0, self->extack,
					   sizeof(self->extack)));

	mpt_nlmsg_init(&m, self->family, MPT_CMD_GET_STATS, 0);
	mpt_nlmsg_put(&m, MPT_A_ABI, &v, sizeof(v));
	EXPECT_EQ(-EINVAL, mpt_nl_transact(self->fd, &m, NULL, 0, self->extack,
					   sizeof(self->extack)));
	EXPECT_NE(0, self->extack[0]) TH_LOG("no extack message");
}

TEST_F(nl, unknown_commands)
{
	uint8_t cmds[] = { MPT_CMD_UNSPEC, MPT_CMD_MAX + 1, 200, 255 };
	struct mpt_nlmsg m;
	size_t i;

	for (i = 0; i < sizeof(cmds); i++) {
		mpt_nlmsg_init(&m, self->family, cmds[i], 0);
		EXPECT_EQ(-EOPNOTSUPP, mpt_nl_transact(self->fd, &m, NULL, 0,
						       NULL, 0))
			TH_LOG("command %u", cmds[i]);
	}
}

/* No command dumps yet. */
TEST_F(nl, dump_refused)
{
	struct mpt_nlmsg m;

	mpt_nlmsg_init(&m, self->family, MPT_CMD_GET_STATS, NLM_F_DUMP);
	EXPECT_EQ(-EOPNOTSUPP, mpt_nl_transact(self->fd, &m, NULL, 0, NULL, 0));
}

/* The generic netlink header's reserved field must be zero. */
TEST_F(nl, reserved_header)
{
	struct mpt_nlmsg m;

	mpt_nlmsg_init(&m, self->family, MPT_CMD_GET_STATS, 0);
	m.g.reserved = 1;
	EXPECT_EQ(-EINVAL, mpt_nl_transact(self->fd, &m, NULL, 0, self->extack,
					   sizeof(self->extack)));
}

/* Every request is counted; the counters only move forward. */
TEST_F(nl, stats)
{
	int64_t before, after, loaded;
	struct timespec now;

	before = mpt_stat(self->fd, self->family, MPT_STATS_A_NL_REQUESTS);
	ASSERT_LE(0, before);
	after = mpt_stat(self->fd, self->family, MPT_STATS_A_NL_REQUESTS);
	EXPECT_EQ(before + 1, after);

	loaded = mpt_stat(self->fd, self->family, MPT_STATS_A_LOADED_NS);
	ASSERT_LT(0, loaded);
	ASSERT_EQ(0, clock_gettime(CLOCK_BOOTTIME, &now));
	EXPECT_GT(now.tv_sec * 1000000000LL + now.tv_nsec, loaded);

	EXPECT_LE(0, mpt_stat(self->fd, self->family, MPT_STATS_A_BAD_REQUESTS));
}

/*
 * The /dev/mptrace files open now, by every process's descriptors
 * (/proc/PID/fd): one a file, however many descriptors share it (dup,
 * fork), as kcmp(2) tells; -1 when they cannot be told apart.
 */
#define DEV_FDS_MAX	256

static int dev_files_open(void)
{
	struct { pid_t pid; int fd; } seen[DEV_FDS_MAX];
	struct stat dev, st;
	struct dirent *p, *f;
	char path[300];
	int n = 0, files = 0;
	DIR *d, *fds;

	if (stat(MPT_DEVICE_PATH, &dev))
		return -1;
	d = opendir("/proc");
	if (!d)
		return -1;
	while ((p = readdir(d))) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;	/* gone meanwhile */
		while ((f = readdir(fds))) {
			char fpath[600];
			int i;

			if (f->d_name[0] < '0' || f->d_name[0] > '9')
				continue;
			snprintf(fpath, sizeof(fpath), "%s/%s", path, f->d_name);
			if (stat(fpath, &st) || !S_ISCHR(st.st_mode) ||
			    st.st_rdev != dev.st_rdev)
				continue;
			if (n == DEV_FDS_MAX) {
				n = -1;
				break;
			}
			seen[n].pid = atoi(p->d_name);
			seen[n].fd = atoi(f->d_name);
			for (i = 0; i < n; i++) {
				long same = syscall(SYS_kcmp, seen[i].pid,
						    seen[n].pid, KCMP_FILE,
						    seen[i].fd, seen[n].fd);

				if (!same)
					break;		/* the same file */
				/* one of the two gone is another file */
				if (same < 0 && errno != ESRCH && errno != EBADF) {
					n = -1;		/* cannot tell */
					break;
				}
			}
			if (n < 0)
				break;
			files += i == n;
			n++;
		}
		closedir(fds);
		if (n < 0)
			break;
	}
	closedir(d);
	return n < 0 ? -1 : files;
}

/*
 * DEV_OPEN counts the files open: what /proc shows, with ours (two,
 * and a duplicate descriptor that is no file of its own) and without.
 * Another process may open or close one meanwhile: such a run, where
 * /proc's count moved while the module's was read, is run again.
 */
TEST_F(nl, dev_open)
{
	int fds[3] = { -1, -1, -1 };
	int64_t open_now = -1;
	int step, tries, a = -1, b = -1, unchecked = 0;

	/* Files are told apart by kcmp(2), which a kernel may lack. */
	if (syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, 0, 0) < 0 &&
	    errno == ENOSYS)
		SKIP(return, "no kcmp(2) in this kernel (CONFIG_KCMP)");
	for (step = 0; step < 3; step++) {
		if (step == 1) {
			fds[0] = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
			fds[1] = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
			ASSERT_LE(0, fds[0]);
			ASSERT_LE(0, fds[1]);
			fds[2] = dup(fds[0]);
			ASSERT_LE(0, fds[2]);
		} else if (step == 2) {
			for (int i = 0; i < 3; i++)
				close(fds[i]);
		}
		for (tries = 0; tries < 5; tries++) {
			a = dev_files_open();
			open_now = mpt_stat(self->fd, self->family,
					    MPT_STATS_A_DEV_OPEN);
			b = dev_files_open();
			ASSERT_LE(0, a);
			ASSERT_LE(0, open_now);
			if (a == b)
				break;
		}
		if (a != b) {
			TH_LOG("step %d: /proc's count kept moving", step);
			unchecked++;
			continue;
		}
		EXPECT_EQ(a, open_now) TH_LOG("step %d", step);
		if (step == 1)
			EXPECT_LE(2, open_now);
	}
	/* (SKIP() would hide a failure.) */
	if (unchecked && _metadata->exit_code == KSFT_PASS)
		SKIP(return, "/dev/mptrace opened and closed by others throughout");
}

/* The module counts the malformed requests it refuses itself. */
TEST_F(nl, bad_requests_counted)
{
	uint32_t abi = MPT_ABI_VERSION + 1;
	int64_t bad;

	bad = mpt_stat(self->fd, self->family, MPT_STATS_A_BAD_REQUESTS);
	ASSERT_LE(0, bad);
	EXPECT_EQ(-EPROTO, get_version(_metadata, self, &abi, sizeof(abi),
				       sizeof(abi)));
	EXPECT_EQ(bad + 1, mpt_stat(self->fd, self->family,
				    MPT_STATS_A_BAD_REQUESTS));
}

/*
 * Events show every user's processes: an unprivileged user may query the
 * module but not join the events group.
 */
struct nl_target {
	int family;
	uint32_t grp;
};

static int nobody_join(void *arg)
{
	struct nl_target *t = arg;
	int fd = mpt_nl_socket();

	if (fd < 0)
		return 1;
	if (mpt_stat(fd, t->family, MPT_STATS_A_NL_REQUESTS) < 0)
		return 2;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &t->grp,
		       sizeof(t->grp)) == 0)
		return 3;
	return errno == EPERM ? 0 : 4;
}

/* Every group: the events group and each class's. */
static const char *const groups[] = {
	MPT_MCGRP_EVENTS, MPT_MCGRP_PROCS, MPT_MCGRP_REAP, MPT_MCGRP_QUEUES,
	MPT_MCGRP_LOCKS,
};

TEST_F(nl, events_group_privileged)
{
	struct nl_target t = { .family = self->family };

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		ASSERT_EQ(self->family, mpt_genl_family(self->fd, MPT_GENL_NAME,
							groups[i], &t.grp))
			TH_LOG("group %s", groups[i]);
		if (geteuid() != 0)
			SKIP(return, "needs root to compare with an unprivileged uid");
		EXPECT_EQ(0, setsockopt(self->fd, SOL_NETLINK,
					NETLINK_ADD_MEMBERSHIP, &t.grp,
					sizeof(t.grp)));
		EXPECT_EQ(0, mpt_as_nobody(nobody_join, &t))
			TH_LOG("group %s", groups[i]);
	}
}

/*
 * Root of a new user namespace has CAP_SYS_ADMIN only there: it may not
 * join any group of the initial network namespace.
 */
static int userns_join(void *arg)
{
	uint32_t grp = *(uint32_t *)arg;
	int fd;

	if (unshare(CLONE_NEWUSER))
		return errno == EPERM || errno == EINVAL ? 99 : 1;
	fd = mpt_nl_socket();
	if (fd < 0)
		return 2;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
		       sizeof(grp)) == 0)
		return 3;
	return errno == EPERM ? 0 : 4;
}

TEST_F(nl, events_group_userns_root)
{
	uint32_t grp;
	int ret;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to another uid");
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		ASSERT_EQ(self->family, mpt_genl_family(self->fd, MPT_GENL_NAME,
							groups[i], &grp));
		ret = mpt_as_nobody(userns_join, &grp);
		if (ret == 99)
			SKIP(return, "unprivileged user namespaces are disabled");
		EXPECT_EQ(0, ret) TH_LOG("group %s", groups[i]);
	}
}

/*
 * A container (user + network namespace, unprivileged) reaches the
 * family in its own network namespace and may query the module.
 */
static int container_query(void *arg)
{
	char reply[1024];
	struct mpt_nlmsg m;
	int fd, family;

	(void)arg;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return errno == EPERM || errno == EINVAL ? 99 : 1;
	fd = mpt_nl_socket();
	if (fd < 0)
		return 2;
	family = mpt_genl_family(fd, MPT_GENL_NAME, NULL, NULL);
	if (family <= 0)
		return 3;
	mpt_nlmsg_init(&m, family, MPT_CMD_GET_VERSION, 0);
	if (mpt_nl_transact(fd, &m, reply, sizeof(reply), NULL, 0))
		return 4;
	if (mpt_stat(fd, family, MPT_STATS_A_NL_REQUESTS) <= 0)
		return 5;
	return 0;
}

TEST_F(nl, container_queries)
{
	int ret;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to another uid");
	ret = mpt_as_nobody(container_query, NULL);
	if (ret == 99)
		SKIP(return, "unprivileged user namespaces are disabled");
	EXPECT_EQ(0, ret);
}

TEST_HARNESS_MAIN
