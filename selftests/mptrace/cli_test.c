// SPDX-License-Identifier: GPL-2.0
/*
 * The mptrace CLI as a user meets it: exit codes, help, version and stat
 * in text and JSON, errors that name the fix.
 */
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mpt_helpers.h"

struct run {
	int status;		/* exit code, or 128 + signal */
	char out[8192];
	char err[4096];
};

static void slurp(int fd, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n;

	while (used < len - 1 && (n = read(fd, buf + used, len - 1 - used)) > 0)
		used += n;
	buf[used] = '\0';
}

/* Run the CLI ($MPTRACE_CLI, or mptrace from PATH) with @argv. */
static int run(struct run *r, char *const argv[])
{
	const char *cli = getenv("MPTRACE_CLI");
	int out[2], err[2], status;
	pid_t pid;

	if (pipe(out) || pipe(err))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		execvp(cli ? cli : "mptrace", argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	slurp(out[0], r->out, sizeof(r->out));
	slurp(err[0], r->err, sizeof(r->err));
	close(out[0]);
	close(err[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
					128 + WTERMSIG(status);
	return 0;
}

#define RUN(r, ...) ({ char *const _a[] = { "mptrace", __VA_ARGS__, NULL }; \
		       run(r, _a); })

FIXTURE(cli) {
	struct run r;
	char modver[64];
};

FIXTURE_SETUP(cli)
{
	char *const argv[] = { "mptrace", "--version", NULL };

	ASSERT_EQ(0, run(&self->r, argv));
	if (self->r.status == 127)
		SKIP(return, "the mptrace CLI is not on PATH (or set MPTRACE_CLI)");
	if (!mpt_loaded())
		SKIP(return, "mptrace.ko is not loaded");
	ASSERT_EQ(0, mpt_read_file("/sys/module/mptrace/version", self->modver,
				   sizeof(self->modver)));
}

FIXTURE_TEARDOWN(cli)
{
	if (!mpt_loaded() && mpt_ko_path())
		EXPECT_EQ(0, mpt_load());
}

TEST_F(cli, help)
{
	ASSERT_EQ(0, RUN(&self->r, "--help"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "Usage:"));
	EXPECT_NE(NULL, strstr(self->r.out, "version"));

	ASSERT_EQ(0, RUN(&self->r, "help", "stat"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "mptrace stat"));

	ASSERT_EQ(0, RUN(&self->r, "stat", "--help"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "COUNTER"));
}

TEST_F(cli, usage_errors)
{
	char *const noargs[] = { "mptrace", NULL };

	ASSERT_EQ(0, run(&self->r, noargs));
	EXPECT_EQ(2, self->r.status);

	ASSERT_EQ(0, RUN(&self->r, "bogus"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown command 'bogus'"));

	ASSERT_EQ(0, RUN(&self->r, "--bogus"));
	EXPECT_EQ(2, self->r.status);

	ASSERT_EQ(0, RUN(&self->r, "version", "extra"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unexpected argument 'extra'"));

	ASSERT_EQ(0, RUN(&self->r, "stat", "-o"));
	EXPECT_EQ(2, self->r.status);

	ASSERT_EQ(0, RUN(&self->r, "stat", "-o", "value,nosuch"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown column 'nosuch'"));

	/* With -j, errors are JSON on stdout. */
	ASSERT_EQ(0, RUN(&self->r, "-j", "bogus"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_EQ(0, strncmp(self->r.out, "{\"error\": \"", 11))
		TH_LOG("stdout: %s", self->r.out);
	EXPECT_EQ(0, self->r.err[0]);
}

/* Unambiguous prefixes select a command. */
TEST_F(cli, prefixes)
{
	ASSERT_EQ(0, RUN(&self->r, "ver"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, self->modver));
}

TEST_F(cli, version)
{
	ASSERT_EQ(0, RUN(&self->r, "version"));
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, "module"));
	EXPECT_NE(NULL, strstr(self->r.out, self->modver));

	ASSERT_EQ(0, RUN(&self->r, "-j", "version"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "\"version\": ["));
	EXPECT_NE(NULL, strstr(self->r.out, "\"component\": \"module\""));
	EXPECT_NE(NULL, strstr(self->r.out, "\"abi\": 1"));
}

TEST_F(cli, stat)
{
	ASSERT_EQ(0, RUN(&self->r, "stat"));
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, "dev_opens"));

	ASSERT_EQ(0, RUN(&self->r, "stat", "-j", "-o", "counter,value"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "\"stats\": ["));
	EXPECT_NE(NULL, strstr(self->r.out, "\"counter\": \"nl_requests\""));
	EXPECT_EQ(NULL, strstr(self->r.out, "description"));

	ASSERT_EQ(0, RUN(&self->r, "stat", "-rn", "-o", "counter"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_EQ(0, strncmp(self->r.out, "loaded_ns\n", 10))
		TH_LOG("stdout: %s", self->r.out);
}

/* Without the module, commands fail with 1 and name the fix. */
TEST_F(cli, module_missing)
{
	if (geteuid() != 0 || !mpt_ko_path())
		SKIP(return, "needs root and MPTRACE_KO to unload the module");
	ASSERT_EQ(0, mpt_unload());

	ASSERT_EQ(0, RUN(&self->r, "version"));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "module not loaded"));
	EXPECT_NE(NULL, strstr(self->r.err, "insmod"));

	ASSERT_EQ(0, RUN(&self->r, "stat"));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "insmod"));

	ASSERT_EQ(0, RUN(&self->r, "-j", "stat"));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "{\"error\": "));

	ASSERT_EQ(0, mpt_load());
}

TEST_HARNESS_MAIN
