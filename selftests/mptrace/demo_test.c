// SPDX-License-Identifier: GPL-2.0
/*
 * `mptrace demo`: every scenario runs to its end and checks itself (exit
 * 0 only when the kernel behaved as narrated), as root and as a user
 * without privilege; its JSON is one object per line; bad input is
 * refused with exit 2 and a message naming the fix.
 */
#include <fcntl.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "mpt_helpers.h"
#include "mpt_cli.h"

#define OUT_MAX	(512 * 1024)

/* Run the CLI as @uid (-1: ourselves) with stdout to a file; its status. */
static int run_demo(char *const argv[], int uid, const char *outfile)
{
	const char *cli = getenv("MPTRACE_CLI");
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(125);
		if (uid >= 0 && (setgid(uid) || setuid(uid)))
			_exit(126);
		execvp(cli ? cli : "mptrace", argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *read_out(const char *path)
{
	char *buf = calloc(1, OUT_MAX);
	int fd = open(path, O_RDONLY);
	ssize_t n, used = 0;

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (used < OUT_MAX - 1 && (n = read(fd, buf + used, OUT_MAX - 1 - used)) > 0)
		used += n;
	close(fd);
	return buf;
}

FIXTURE(demo) {
	char out[64];
};

FIXTURE_VARIANT(demo) {
	const char *name;
};

#define DEMO(n, s) FIXTURE_VARIANT_ADD(demo, n) { .name = s }
DEMO(create, "create");
DEMO(join, "join");
DEMO(isolation, "isolation");
DEMO(attributes, "attributes");
DEMO(daemon, "daemon");
DEMO(zombie, "zombie");
DEMO(orphan, "orphan");
DEMO(ticket, "ticket");
DEMO(queue, "queue");
DEMO(pipe, "pipe");
DEMO(producer_consumer, "producer-consumer");
DEMO(deadlock, "deadlock");
DEMO(rlock, "rlock");
DEMO(pool, "pool");

FIXTURE_SETUP(demo)
{
	struct run r;

	snprintf(self->out, sizeof(self->out), "/tmp/demo-test-%d.out", getpid());
	ASSERT_EQ(0, RUN(&r, "--version"));
	if (r.status == 127)
		SKIP(return, "the mptrace CLI is not on PATH (or set MPTRACE_CLI)");
	if (!mpt_loaded())
		SKIP(return, "mptrace.ko is not loaded");
}

FIXTURE_TEARDOWN(demo)
{
	unlink(self->out);
}

/* The demo behaves as narrated: exit 0, its summary line, no failed check. */
TEST_F(demo, runs)
{
	char *const argv[] = { "mptrace", "demo", (char *)variant->name, NULL };
	char want[96], *out;
	int status = run_demo(argv, -1, self->out);

	out = read_out(self->out);
	ASSERT_NE(NULL, out);
	if (status)
		TH_LOG("mptrace demo %s said:\n%s", variant->name, out);
	EXPECT_EQ(0, status);
	snprintf(want, sizeof(want), "--- %s: as narrated", variant->name);
	EXPECT_NE(NULL, strstr(out, want));
	EXPECT_EQ(NULL, strstr(out, "[FAILED]"));
	EXPECT_NE(NULL, strstr(out, "[ok]"));
	free(out);
}

/*
 * A user without privilege: the events of their own processes come from
 * /dev/mptrace, their queues and locks are theirs.  Every line of -j is
 * one JSON object of this demo; the last says it went well.
 */
TEST_F(demo, json_unprivileged)
{
	char *const argv[] = { "mptrace", "demo", "-j", (char *)variant->name, NULL };
	char head[96], *out, *line, *save = NULL, *last = NULL;
	int status, lines = 0, events = 0, checks = 0;

	if (geteuid() != 0)
		SKIP(return, "needs root to become another user");
	status = run_demo(argv, 65534, self->out);
	out = read_out(self->out);
	ASSERT_NE(NULL, out);
	if (status)
		TH_LOG("mptrace demo -j %s as uid 65534 said:\n%s", variant->name, out);
	EXPECT_EQ(0, status);
	snprintf(head, sizeof(head), "{\"demo\": \"%s\", \"kind\": \"", variant->name);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lines++;
		if (strncmp(line, head, strlen(head)) || line[strlen(line) - 1] != '}') {
			TH_LOG("not a JSON line of this demo: %s", line);
			EXPECT_TRUE(false);
			break;
		}
		events += !strncmp(line + strlen(head), "event\"", 6);
		checks += !strncmp(line + strlen(head), "check\", \"ok\": true", 18);
		last = line;
	}
	EXPECT_LT(3, lines);
	EXPECT_LT(0, events);
	EXPECT_LT(0, checks);
	ASSERT_NE(NULL, last);
	EXPECT_EQ(0, strncmp(last + strlen(head), "result\", \"ok\": true", 19));
	free(out);
}

FIXTURE(demo_cli) {
	struct run r;
};

FIXTURE_SETUP(demo_cli)
{
	ASSERT_EQ(0, RUN(&self->r, "--version"));
	if (self->r.status == 127)
		SKIP(return, "the mptrace CLI is not on PATH (or set MPTRACE_CLI)");
}

FIXTURE_TEARDOWN(demo_cli)
{
}

TEST_F(demo_cli, list)
{
	static const char *const names[] = {
		"create", "join", "isolation", "attributes", "daemon", "zombie",
		"orphan", "ticket", "queue", "pipe", "producer-consumer",
		"deadlock", "rlock", "pool",
	};

	ASSERT_EQ(0, RUN(&self->r, "demo"));
	EXPECT_EQ(0, self->r.status);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		EXPECT_NE(NULL, strstr(self->r.out, names[i]));
	ASSERT_EQ(0, RUN(&self->r, "demo", "--list", "-j"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "\"demos\": ["));
	EXPECT_NE(NULL, strstr(self->r.out, "\"name\": \"producer-consumer\""));
}

TEST_F(demo_cli, usage_errors)
{
	ASSERT_EQ(0, RUN(&self->r, "demo", "bogus"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "no demo 'bogus'"));
	EXPECT_NE(NULL, strstr(self->r.err, "--list"));

	ASSERT_EQ(0, RUN(&self->r, "demo", "zombie", "bogus"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_EQ(NULL, strstr(self->r.out, "==="));	/* nothing ran */

	ASSERT_EQ(0, RUN(&self->r, "demo", "--pace", "-1", "zombie"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "--pace"));
	ASSERT_EQ(0, RUN(&self->r, "demo", "--pace", "soon", "zombie"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "demo", "--pace", "61", "zombie"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "demo", "--pace"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "--pace needs a value"));
	ASSERT_EQ(0, RUN(&self->r, "demo", "--fast"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown option '--fast'"));

	ASSERT_EQ(0, RUN(&self->r, "demo", "--help"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "Exit status"));
}

TEST_HARNESS_MAIN
