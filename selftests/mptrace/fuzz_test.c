// SPDX-License-Identifier: GPL-2.0
/*
 * A short run of mpt_fuzz (beside this program) as part of the suite:
 * MPT_FUZZ_SECONDS (default 10) and MPT_FUZZ_SEED (default: the time,
 * printed so that a failure can be replayed).  `make fuzz` runs longer.
 */
#include <libgen.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "mpt_helpers.h"

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, short_run, 600)
{
	char self_path[4096], fuzz[4200], seed[32];
	const char *secs = getenv("MPT_FUZZ_SECONDS");
	const char *s = getenv("MPT_FUZZ_SEED");
	int status;
	ssize_t n;
	pid_t pid;

	if (!mpt_loaded())
		SKIP(return, "mptrace.ko is not loaded");
	n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	ASSERT_LT(0, n);
	self_path[n] = '\0';
	snprintf(fuzz, sizeof(fuzz), "%s/mpt_fuzz", dirname(self_path));
	snprintf(seed, sizeof(seed), "%s", s ? s : "");
	if (!s)
		snprintf(seed, sizeof(seed), "%ld", (long)time(NULL));
	TH_LOG("seed %s (replay: MPT_FUZZ_SEED=%s)", seed, seed);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execl(fuzz, "mpt_fuzz", "-s", seed, "-d", secs ? secs : "10",
		      NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
