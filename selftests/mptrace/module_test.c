// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading mptrace.ko: repeatedly, cleanly, and never while
 * someone holds the device open.  Leaks and warnings are caught by the
 * test VM (kmemleak, panic_on_warn).
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "mpt_helpers.h"

#define RELOADS 20

FIXTURE(mod) {
	int unused;
};

FIXTURE_SETUP(mod)
{
	if (geteuid() != 0)
		SKIP(return, "loading modules needs root");
	if (!mpt_ko_path())
		SKIP(return, "no module file: set MPTRACE_KO");
	if (!mpt_loaded())
		ASSERT_EQ(0, mpt_load());
}

/* Whatever a test did, leave the module loaded for the next one. */
FIXTURE_TEARDOWN(mod)
{
	if (!mpt_loaded())
		EXPECT_EQ(0, mpt_load());
}

static int family_id(void)
{
	int fd = mpt_nl_socket();
	int ret;

	if (fd < 0)
		return fd;
	ret = mpt_genl_family(fd, MPT_GENL_NAME, NULL, NULL);
	close(fd);
	return ret;
}

TEST_F(mod, reload)
{
	struct mpt_version v;
	struct stat st;
	int i, fd;

	for (i = 0; i < RELOADS; i++) {
		ASSERT_EQ(0, mpt_unload()) TH_LOG("unload %d", i);
		EXPECT_FALSE(mpt_loaded());
		EXPECT_EQ(-1, stat(MPT_DEVICE_PATH, &st));
		EXPECT_EQ(-ENOENT, family_id());

		ASSERT_EQ(0, mpt_load()) TH_LOG("load %d", i);
		EXPECT_TRUE(mpt_loaded());
		EXPECT_LT(0, family_id());
		fd = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd);
		EXPECT_EQ(0, ioctl(fd, MPT_IOC_VERSION, &v));
		EXPECT_EQ(MPT_ABI_VERSION, v.abi);
		close(fd);
	}
}

/* An open file holds the module; closing it lets the unload through. */
TEST_F(mod, busy_while_open)
{
	int fd;

	fd = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, mpt_unload());
	EXPECT_TRUE(mpt_loaded());
	close(fd);
	EXPECT_EQ(0, mpt_unload());
	EXPECT_FALSE(mpt_loaded());
}

/* A netlink socket does not hold the module; after unload it gets ENOENT. */
TEST_F(mod, unload_under_netlink)
{
	int fd = mpt_nl_socket();
	int family;

	ASSERT_LE(0, fd);
	family = mpt_genl_family(fd, MPT_GENL_NAME, NULL, NULL);
	ASSERT_LT(0, family);
	EXPECT_LE(0, mpt_stat(fd, family, MPT_STATS_A_NL_REQUESTS));
	ASSERT_EQ(0, mpt_unload());
	EXPECT_GT(0, mpt_stat(fd, family, MPT_STATS_A_NL_REQUESTS));
	ASSERT_EQ(0, mpt_load());
	family = mpt_genl_family(fd, MPT_GENL_NAME, NULL, NULL);
	ASSERT_LT(0, family);
	EXPECT_LE(0, mpt_stat(fd, family, MPT_STATS_A_NL_REQUESTS));
	close(fd);
}

/* A fresh load starts its counters from zero. */
TEST_F(mod, counters_reset)
{
	int fd, family;

	ASSERT_EQ(0, mpt_unload());
	ASSERT_EQ(0, mpt_load());
	fd = mpt_nl_socket();
	ASSERT_LE(0, fd);
	family = mpt_genl_family(fd, MPT_GENL_NAME, NULL, NULL);
	ASSERT_LT(0, family);
	/* This request is the first the new module serves. */
	EXPECT_EQ(1, mpt_stat(fd, family, MPT_STATS_A_NL_REQUESTS));
	EXPECT_EQ(0, mpt_stat(fd, family, MPT_STATS_A_DEV_OPENS));
	EXPECT_EQ(0, mpt_stat(fd, family, MPT_STATS_A_DEV_OPEN));
	close(fd);
}

TEST_HARNESS_MAIN
