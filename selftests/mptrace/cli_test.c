// SPDX-License-Identifier: GPL-2.0
/*
 * The mptrace CLI as a user meets it: exit codes, help, version and stat
 * in text and JSON, errors that name the fix.
 */
#include <dirent.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mpt_helpers.h"
#include "mpt_cli.h"

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

TEST_F(cli, watch_usage_errors)
{
	static const char *const bad[][3] = {
		{ "-p", "0" }, { "-p", "abc" }, { "-p", "-5" }, { "-c", "0" },
		{ "-c", "x" }, { "-t", "0" }, { "-t", "99999999" }, { "-e", "" },
		{ "-e", "fork,nope" }, { "-e", "fork,,exec" }, { "-e", "fork," },
		{ "-p", " 12" }, { "-p", "+12" }, { "-t", " 1" }, { "-t", "0x1p3" },
		{ "-t", "1e3" }, { "-t", "." }, { "-c", "+1" },
		{ "--subtree" }, { "--bogus" }, { "extra" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "mptrace", "watch", (char *)bad[i][0],
				 (char *)bad[i][1], NULL };

		ASSERT_EQ(0, run(&self->r, argv));
		EXPECT_EQ(2, self->r.status) TH_LOG("watch %s %s", bad[i][0],
						    bad[i][1] ?: "");
		EXPECT_NE(0, self->r.err[0]);
	}
}

/* Without CAP_SYS_ADMIN, netlink watching is refused with the way out. */
TEST_F(cli, watch_unprivileged_netlink)
{
	char *argv[] = { "mptrace", "watch", "-t", "1", NULL };

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to another uid");
	ASSERT_EQ(0, run_as(&self->r, 65534, argv));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "CAP_SYS_ADMIN"));
	EXPECT_NE(NULL, strstr(self->r.err, "--dev"));
}

/*
 * A child that exits with @code when its pipe is written to, named
 * @name first when @name is not NULL.
 */
static pid_t waiting_child(int code, const char *name, int *go)
{
	pid_t pid = mpt_fork_go(go);

	if (pid == 0) {
		mpt_wait_go(*go);
		if (name)
			prctl(PR_SET_NAME, name);
		_exit(code);
	}
	return pid;
}

/*
 * mptrace watch --dev -e exit -p CHILD -c 1 [@fmt], for a child that
 * exits with @code (named @name first): its output in @r, the child's
 * pid in @pid.
 */
static void watch_dev_exit(struct __test_metadata *_metadata,
			   struct run *r, pid_t *pid, const char *fmt,
			   int code, const char *name)
{
	long long before = mpt_stat_now(MPT_STATS_A_RING_BYTES);
	char pidarg[16];
	char *argv[] = { "mptrace", "watch", "--dev", "-e", "exit",
			 "-p", pidarg, "-c", "1", "-t", "60", (char *)fmt, NULL };
	int go, out, err;
	pid_t child, watch;

	ASSERT_LE(0, before);
	child = waiting_child(code, name, &go);
	ASSERT_LT(0, child);
	snprintf(pidarg, sizeof(pidarg), "%d", child);
	watch = start(argv, -1, &out, &err);
	ASSERT_LT(0, watch);
	/*
	 * Subscribed once its ring is counted and it sleeps (in poll()):
	 * the ring is counted just before the reader joins the readers'
	 * list, behind a mutex, whose sleep is D, not S.
	 */
	for (int i = 0; i < 200 && (mpt_stat_now(MPT_STATS_A_RING_BYTES) == before ||
				    mpt_proc_state(watch) != 'S'); i++)
		usleep(50000);
	ASSERT_LT(before, mpt_stat_now(MPT_STATS_A_RING_BYTES));
	ASSERT_EQ('S', mpt_proc_state(watch));
	ASSERT_EQ(1, write(go, "x", 1));
	ASSERT_EQ(child, waitpid(child, NULL, 0));
	ASSERT_EQ(0, finish(r, watch, out, err));
	EXPECT_EQ(0, r->status) TH_LOG("stderr: %s", r->err);
	*pid = child;
}

/* watch --dev -p: exactly the child's exit, as JSON. */
TEST_F(cli, watch_dev_json)
{
	char want[64];
	int lines = 0;
	pid_t pid = 0;

	watch_dev_exit(_metadata, &self->r, &pid, "-j", 5, NULL);
	snprintf(want, sizeof(want), "\"pid\": %d,", pid);
	EXPECT_NE(NULL, strstr(self->r.out, want)) TH_LOG("out: %s", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.out, "\"event\": \"exit\""));
	EXPECT_NE(NULL, strstr(self->r.out, "\"exit_code\": 5"));
	/* One event, one line. */
	for (const char *p = self->r.out; *p; p++)
		lines += *p == '\n';
	EXPECT_EQ(1, lines);
}

/*
 * A process's name is its own to choose: a terminal's escape sequence
 * in it is shown as \xHH, never written raw, and the columns stay
 * where the titles put them.
 */
TEST_F(cli, watch_table_escapes)
{
	char want[128], *row;
	pid_t pid = 0;

	watch_dev_exit(_metadata, &self->r, &pid, NULL, 9, "ev\033[31mil\\x");
	EXPECT_EQ(NULL, strchr(self->r.out, '\033')) TH_LOG("out: %s", self->r.out);
	/* the titles, then one row */
	row = strchr(self->r.out, '\n');
	ASSERT_NE(NULL, row);
	row++;
	EXPECT_EQ(strlen(row) - 1, strcspn(row, "\n")) TH_LOG("out: %s", self->r.out);
	snprintf(want, sizeof(want), " exit   %7d", pid);
	EXPECT_NE(NULL, strstr(row, want)) TH_LOG("row: %s", row);
	EXPECT_NE(NULL, strstr(row, " ev\\x1b[31mil\\x5cx ")) TH_LOG("row: %s", row);
	EXPECT_NE(NULL, strstr(row, "exit code 9")) TH_LOG("row: %s", row);
	/* PID's values end where its title does */
	EXPECT_EQ(strstr(self->r.out, "PID") + 3 - self->r.out,
		  strstr(row, want) + strlen(want) - row);
}

/* watch over netlink, as a table: children exit until it has seen one. */
TEST_F(cli, watch_netlink_table)
{
	char pid[16];
	/* Only this test's children: other exits in the VM do not count. */
	char *argv[] = { "mptrace", "watch", "-e", "exit", "-p", pid,
			 "--subtree", "-c", "1", "-t", "60", NULL };
	int out, err, status;
	pid_t watch;

	if (geteuid() != 0)
		SKIP(return, "the events group needs CAP_SYS_ADMIN");
	snprintf(pid, sizeof(pid), "%d", getpid());
	watch = start(argv, -1, &out, &err);
	ASSERT_LT(0, watch);
	for (int i = 0; i < 100 && waitpid(watch, &status, WNOHANG) == 0; i++) {
		pid_t c = fork();

		if (c == 0)
			_exit(6);
		waitpid(c, NULL, 0);
		usleep(100000);
	}
	/* finish() reaps it, or the loop already did: then status is set. */
	if (finish(&self->r, watch, out, err))
		self->r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, "EVENT"));
	EXPECT_NE(NULL, strstr(self->r.out, "exit code 6")) TH_LOG("out: %s",
								   self->r.out);
}

/*
 * Whether @pid sleeps in poll(2): a watch that polls has joined its
 * group or subscribed, and found its subtree (state S alone may be a
 * reply it awaits on the way).
 */
static bool in_poll(pid_t pid)
{
	char path[64], buf[64];
	long nr;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	if (mpt_read_file(path, buf, sizeof(buf)) || !buf[0])
		return false;
	nr = strtol(buf, NULL, 10);
	return nr == __NR_poll || nr == __NR_ppoll;
}

/*
 * watch -p SELF --subtree follows what is below SELF from the start,
 * not only what it sees forking: the exit of a child made before the
 * watch began, with -e exit (no FORK comes), on /dev and on netlink.
 */
TEST_F(cli, watch_subtree_from_start)
{
	for (int dev = 0; dev < 2; dev++) {
		char self_pid[16], want[64];
		char *argv[] = { "mptrace", "watch", "-e", "exit", "-p", self_pid,
				 "--subtree", "-c", "1", "-t", "60", "-j",
				 dev ? "--dev" : NULL, NULL };
		int go, out, err, i;
		pid_t child, watch;

		if (!dev && geteuid() != 0)
			continue;	/* netlink's group needs CAP_SYS_ADMIN */
		child = waiting_child(7, NULL, &go);
		ASSERT_LT(0, child);
		snprintf(self_pid, sizeof(self_pid), "%d", getpid());
		watch = start(argv, -1, &out, &err);
		ASSERT_LT(0, watch);
		for (i = 0; i < 400 && !in_poll(watch); i++)
			usleep(50000);
		ASSERT_TRUE(in_poll(watch));
		ASSERT_EQ(1, write(go, "x", 1));
		close(go);
		ASSERT_EQ(child, waitpid(child, NULL, 0));
		ASSERT_EQ(0, finish(&self->r, watch, out, err));
		EXPECT_EQ(0, self->r.status) TH_LOG("%s: %s", dev ? "dev" : "netlink",
						    self->r.err);
		snprintf(want, sizeof(want), "\"pid\": %d,", child);
		EXPECT_NE(NULL, strstr(self->r.out, want))
			TH_LOG("%s: %s", dev ? "dev" : "netlink", self->r.out);
		EXPECT_NE(NULL, strstr(self->r.out, "\"exit_code\": 7"));
	}
}

/* Stopped by SIGINT or SIGTERM, as asked: exit 0, nothing said. */
TEST_F(cli, watch_stops_on_signal)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	char *argv[] = { "mptrace", "watch", "--dev", "-e", "exit", "-p", "1",
			 NULL };

	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		int out, err, j;
		pid_t watch = start(argv, -1, &out, &err);

		ASSERT_LT(0, watch);
		for (j = 0; j < 400 && !in_poll(watch); j++)
			usleep(50000);
		ASSERT_TRUE(in_poll(watch));
		ASSERT_EQ(0, kill(watch, sigs[i]));
		ASSERT_EQ(0, finish(&self->r, watch, out, err));
		EXPECT_EQ(0, self->r.status) TH_LOG("signal %d: %s", sigs[i],
						    self->r.err);
		EXPECT_EQ(0, self->r.err[0]) TH_LOG("signal %d: %s", sigs[i],
						    self->r.err);
	}
}

/* Run the CLI with @argv, its stdout on /dev/full: stderr into @r. */
/* As run(), with start_with()'s @in, @full and @ignore_chld. */
static int run_in(struct run *r, int in, bool ignore_chld, bool full,
		  char *const argv[])
{
	int out, err;
	pid_t pid = start_with(argv, -1, in, full, ignore_chld, &out, &err);

	return pid < 0 ? -1 : finish(r, pid, out, err);
}

/*
 * Output that cannot be written (a full disk: /dev/full) fails the
 * command, which says so: a table, JSON, a watch's events.
 */
TEST_F(cli, output_errors)
{
	static char *const cmds[][10] = {
		{ "mptrace", "ps" },
		{ "mptrace", "-j", "stat" },
		{ "mptrace", "watch", "--dev", "-e", "exit", "-c", "1", "-t", "60" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		pid_t kid = 0;

		if (i == 2) {	/* exits for the watch to write, until it ends */
			kid = fork();
			ASSERT_LE(0, kid);
			if (kid == 0) {
				for (;;) {
					if (fork() == 0)
						_exit(0);
					wait(NULL);
					usleep(100000);
				}
			}
		}
		ASSERT_EQ(0, run_in(&self->r, -1, false, true, cmds[i]));
		EXPECT_EQ(1, self->r.status) TH_LOG("%s: %s", cmds[i][1], self->r.err);
		EXPECT_NE(NULL, strstr(self->r.err, "No space left on device"))
			TH_LOG("%s: %s", cmds[i][1], self->r.err);
		if (kid) {
			kill(kid, SIGKILL);
			waitpid(kid, NULL, 0);
		}
	}
}

/* A refused option is named as given: in a cluster, with a value. */
TEST_F(cli, option_messages)
{
	static char *const cases[][5] = {
		{ "mptrace", "watch", "-xj", NULL, "unknown option '-x'" },
		{ "mptrace", "watch", "--dev", "-xj", "unknown option '-x'" },
		{ "mptrace", "watch", "--subtree=1", NULL, "option '--subtree' takes no value" },
		{ "mptrace", "watch", "--sub=1", NULL, "option '--subtree' takes no value" },
		{ "mptrace", "watch", "--pid", NULL, "option '--pid' needs a value" },
		{ "mptrace", "watch", "-p", NULL, "option -p needs a value" },
		{ "mptrace", "ps", "-ko", NULL, "option -o needs a value" },
		{ "mptrace", "ps", "--bogus", NULL, "unknown option '--bogus'" },
		{ "mptrace", "-xj", "version", NULL, "mptrace: unknown option '-x'" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *argv[] = { cases[i][0], cases[i][1], cases[i][2],
				 cases[i][3], NULL };

		ASSERT_EQ(0, run(&self->r, argv));
		EXPECT_EQ(2, self->r.status) TH_LOG("%s %s", argv[1], argv[2]);
		EXPECT_NE(NULL, strstr(self->r.err, cases[i][4]))
			TH_LOG("%s %s: %s", argv[1], argv[2], self->r.err);
	}
	/* On netlink too, -p names a process that exists. */
	if (geteuid() == 0) {
		ASSERT_EQ(0, RUN(&self->r, "watch", "-p", "4194303", "-t", "1"));
		EXPECT_EQ(1, self->r.status);
		EXPECT_NE(NULL, strstr(self->r.err, "no process 4194303"))
			TH_LOG("%s", self->r.err);
	}
}

static bool await(bool (*cond)(pid_t, int), pid_t pid, int arg)
{
	for (int i = 0; i < 500; i++) {
		if (cond(pid, arg))
			return true;
		usleep(10000);
	}
	return false;
}

static bool is_zombie(pid_t pid, int unused)
{
	(void)unused;
	return mpt_proc_state(pid) == 'Z';
}

TEST_F(cli, ps_usage_errors)
{
	static const char *const bad[][3] = {
		{ "-p", "0" }, { "-p", "abc" }, { "--subtree" }, { "--original" },
		{ "-o", "NOPE" }, { "--tree", "-oPID" }, { "--bogus" }, { "extra" },
		{ "--dev", "--netlink" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "mptrace", "ps", (char *)bad[i][0],
				 (char *)bad[i][1], NULL };

		ASSERT_EQ(0, run(&self->r, argv));
		EXPECT_EQ(2, self->r.status) TH_LOG("ps %s %s", bad[i][0],
						    bad[i][1] ?: "");
		EXPECT_NE(0, self->r.err[0]);
	}
	/* A process that does not exist is a failure, not a usage error. */
	ASSERT_EQ(0, RUN(&self->r, "ps", "-p", "4000000"));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "no process 4000000"));
}

/* The value of "key": in the JSON text @json, as a string, or NULL. */
static const char *json_value(const char *json, const char *key, char *buf,
			      size_t len)
{
	char want[64];
	const char *p;
	size_t n = 0;

	snprintf(want, sizeof(want), "\"%s\": ", key);
	p = strstr(json, want);
	if (!p)
		return NULL;
	for (p += strlen(want); *p && *p != ',' && *p != '\n' && n < len - 1; p++)
		if (*p != '"')
			buf[n++] = *p;
	buf[n] = '\0';
	return buf;
}

/* A zombie as ps shows it: state, exit status, parent, against /proc. */
TEST_F(cli, ps_zombie)
{
	char pid[16], buf[64];
	pid_t child;

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(3);
	/* A zombie once /proc says so. */
	ASSERT_TRUE(await(is_zombie, child, 0));
	snprintf(pid, sizeof(pid), "%d", child);
	ASSERT_EQ(0, RUN(&self->r, "-j", "ps", "--zombies", "-p", pid,
			 "-o", "pid,ppid,state,zombie,why,exit,flags"));
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ(pid, json_value(self->r.out, "pid", buf, sizeof(buf)));
	snprintf(pid, sizeof(pid), "%d", getpid());
	EXPECT_STREQ(pid, json_value(self->r.out, "ppid", buf, sizeof(buf)));
	EXPECT_STREQ("Z", json_value(self->r.out, "state", buf, sizeof(buf)));
	EXPECT_STREQ("exit 3", json_value(self->r.out, "exit", buf, sizeof(buf)));
	EXPECT_STREQ("parent blocked elsewhere",
		     json_value(self->r.out, "why", buf, sizeof(buf)))
		TH_LOG("%s", self->r.out);
	EXPECT_NE(NULL, json_value(self->r.out, "zombie", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "s")) TH_LOG("zombie age '%s'", buf);
	EXPECT_STREQ("zombie", json_value(self->r.out, "flags", buf, sizeof(buf)));
	ASSERT_EQ(child, waitpid(child, NULL, 0));

	/* Reaped: gone. */
	snprintf(pid, sizeof(pid), "%d", child);
	ASSERT_EQ(0, RUN(&self->r, "ps", "-p", pid));
	EXPECT_EQ(1, self->r.status);
}

/*
 * An orphan: its parent now is /proc's PPid, its original parent the one
 * that ended; the tree with --original draws it under that one.
 */
TEST_F(cli, ps_orphan)
{
	int up[2], go[2];
	char pid[16], buf[64];
	pid_t child, orphan = 0;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(go));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		pid_t g = fork();

		if (g == 0) {
			close(go[1]);
			read(go[0], buf, 1);	/* until the test ends */
			_exit(0);
		}
		write(up[1], &g, sizeof(g));
		_exit(0);
	}
	close(go[0]);
	ASSERT_EQ(sizeof(orphan), read(up[0], &orphan, sizeof(orphan)));
	ASSERT_EQ(child, waitpid(child, NULL, 0));
	for (int i = 0; i < 100 && mpt_proc_ppid(orphan) == child; i++)
		usleep(20000);

	snprintf(pid, sizeof(pid), "%d", orphan);
	ASSERT_EQ(0, RUN(&self->r, "-j", "ps", "--orphans", "-p", pid,
			 "-o", "pid,ppid,orig,orphan,flags"));
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ(pid, json_value(self->r.out, "pid", buf, sizeof(buf)));
	EXPECT_EQ(mpt_proc_ppid(orphan),
		  atoi(json_value(self->r.out, "ppid", buf, sizeof(buf)) ?: "-1"));
	EXPECT_EQ(child,
		  atoi(json_value(self->r.out, "orig", buf, sizeof(buf)) ?: "-1"));
	EXPECT_NE(NULL, strstr(self->r.out, "orphan"));

	ASSERT_EQ(0, RUN(&self->r, "ps", "--tree", "--original", "-o",
			 "pid,comm"));
	EXPECT_EQ(0, self->r.status);
	/* The ended parent's row, then the orphan's under it. */
	snprintf(buf, sizeof(buf), "%d (ended)", child);
	EXPECT_NE(NULL, strstr(self->r.out, buf)) TH_LOG("%s", self->r.out);
	close(go[1]);
	close(up[0]);
	close(up[1]);
}

/*
 * The device (the default) and netlink give the same rows: a zombie of
 * ours and ourselves, every column that does not tick with the clock.
 */
TEST_F(cli, ps_dev_netlink_agree)
{
	char pid[16], me[16], dev[sizeof(self->r.out)];
	pid_t child;

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(7);
	ASSERT_TRUE(await(is_zombie, child, 0));
	snprintf(pid, sizeof(pid), "%d", child);
	snprintf(me, sizeof(me), "%d", getpid());
	for (int i = 0; i < 2; i++) {
		char *who = i ? me : pid;

		ASSERT_EQ(0, RUN(&self->r, "-j", "ps", "-p", who, "-o",
				 "pid,ppid,orig,state,uid,threads,why,exit,flags,comm"));
		EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
		snprintf(dev, sizeof(dev), "%s", self->r.out);
		EXPECT_NE(NULL, strstr(dev, who));
		ASSERT_EQ(0, RUN(&self->r, "-j", "ps", "--netlink", "-p", who, "-o",
				 "pid,ppid,orig,state,uid,threads,why,exit,flags,comm"));
		EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
		EXPECT_STREQ(dev, self->r.out);
	}
	EXPECT_NE(NULL, strstr(dev, "\"state\": \"S\"")) TH_LOG("%s", dev);
	ASSERT_EQ(child, waitpid(child, NULL, 0));
}

/* Every integer value of "key": in @json, in order; how many. */
static int json_ints(const char *json, const char *key, int *out, int max)
{
	char want[64];
	const char *p = json;
	int n = 0;

	snprintf(want, sizeof(want), "\"%s\": ", key);
	while (n < max && (p = strstr(p, want))) {
		p += strlen(want);
		out[n++] = atoi(p);
	}
	return n;
}

/* Field 52 of /proc/@pid/stat: the wait status of a zombie. */
static int proc_exit_code(pid_t pid)
{
	char buf[32];

	return mpt_proc_stat(pid, 52, buf, sizeof(buf)) ? -1 : atoi(buf);
}

static bool has_parent(pid_t pid, int ppid)
{
	return mpt_proc_ppid(pid) == ppid;
}

static bool is_gone(pid_t pid, int unused)
{
	(void)unused;
	return (kill(pid, 0) && errno == ESRCH) || is_zombie(pid, 0);
}

/* spawn makes what the spec says, with the parents it reports. */
TEST_F(cli, spawn_tree)
{
	int pids[16], ppids[16], n;

	ASSERT_EQ(0, RUN(&self->r, "-j", "spawn", "-d", "-t", "3s",
			 "p(3*p(2*p))"));
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	n = json_ints(self->r.out, "pid", pids, 16);
	EXPECT_EQ(10, n) TH_LOG("%s", self->r.out);
	EXPECT_EQ(n, json_ints(self->r.out, "ppid", ppids, 16));
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(0, kill(pids[i], 0)) TH_LOG("pid %d: %s", pids[i],
						       strerror(errno));
		if (i)	/* the root's parent, mptrace, has gone: -d */
			EXPECT_EQ(ppids[i], mpt_proc_ppid(pids[i]));
	}
	/* Detached: the tree holds no pipe of ours, and lives on. */
	kill(pids[0], SIGKILL);
}

/* Zombies end as told, and stay zombies while their parent lives. */
TEST_F(cli, spawn_zombies)
{
	int pids[4];

	ASSERT_EQ(0, RUN(&self->r, "-j", "spawn", "-d", "-t", "3s",
			 "p(p:zombie:exit=3, p:zombie:kill=TERM)"));
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	ASSERT_EQ(3, json_ints(self->r.out, "pid", pids, 4));
	ASSERT_TRUE(await(is_zombie, pids[1], 0));
	ASSERT_TRUE(await(is_zombie, pids[2], 0));
	EXPECT_EQ(3 << 8, proc_exit_code(pids[1]));
	EXPECT_EQ(SIGTERM, proc_exit_code(pids[2]));
	EXPECT_NE(NULL, strstr(self->r.out, "\"role\": \"zombie,exit=3\""));
	kill(pids[0], SIGKILL);
}

/* An orphan under a subreaper; a daemon that dies with its parent. */
TEST_F(cli, spawn_orphan_daemon)
{
	int pids[4];

	ASSERT_EQ(0, RUN(&self->r, "-j", "spawn", "-d",
			 "p:subreaper:hold=5s(p:hold=300ms(p:orphan:hold=3s, p:daemon:hold=1m))"));
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	ASSERT_EQ(4, json_ints(self->r.out, "pid", pids, 4));
	EXPECT_TRUE(await(has_parent, pids[2], pids[0]))
		TH_LOG("orphan's parent %d", mpt_proc_ppid(pids[2]));
	EXPECT_TRUE(await(is_gone, pids[3], 0));
	EXPECT_EQ(0, kill(pids[2], 0));		/* the orphan lives on */
	kill(pids[2], SIGKILL);
	kill(pids[0], SIGKILL);
}

/* Without -d, spawn returns once the root has ended. */
TEST_F(cli, spawn_waits)
{
	int pids[4];

	ASSERT_EQ(0, RUN(&self->r, "spawn", "-t", "50ms", "-n", "-r", "-o", "pid",
			 "p(p:join, p:kill=KILL)"));
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	ASSERT_EQ(3, sscanf(self->r.out, "%d %d %d", &pids[0], &pids[1],
			    &pids[2]));
	for (int i = 0; i < 3; i++)
		EXPECT_TRUE(kill(pids[i], 0) && errno == ESRCH);
}

/*
 * Processes made late still count: a join child's later sibling comes
 * after its hold (11 s), a daemon whose parent has ended is made and
 * ends at once; and signal 32, which glibc's raise() refuses, kills.
 */
TEST_F(cli, spawn_late_and_early)
{
	int pids[4], fails = 0;

	ASSERT_EQ(0, RUN(&self->r, "-j", "spawn", "-d",
			 "p:hold=13s(p:join:hold=11s, p:hold=1s)"));
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	ASSERT_EQ(3, json_ints(self->r.out, "pid", pids, 4));
	kill(pids[0], SIGKILL);
	for (int i = 0; i < 10; i++) {
		ASSERT_EQ(0, RUN(&self->r, "spawn", "-d", "-t", "0",
				 "p(p:hold=0(p:daemon))"));
		if (self->r.status)
			TH_LOG("daemon spec, status %d: %s", self->r.status,
			       self->r.err);
		fails += self->r.status != 0;
	}
	EXPECT_EQ(0, fails);
	ASSERT_EQ(0, RUN(&self->r, "-j", "spawn", "-d",
			 "p:hold=5s(p:kill=32:hold=0)"));
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	ASSERT_EQ(2, json_ints(self->r.out, "pid", pids, 4));
	ASSERT_TRUE(await(is_zombie, pids[1], 0));
	EXPECT_EQ(32, proc_exit_code(pids[1]));
	EXPECT_NE(NULL, strstr(self->r.out, "\"role\": \"kill=32,hold=0ms\""));
	kill(pids[0], SIGKILL);
}

/* Without standard input and error, spawn's report pipe is not one of them. */
TEST_F(cli, spawn_without_std_fds)
{
	const char *cli = getenv("MPTRACE_CLI");
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null < 0 || dup2(null, 1) != 1)
			_exit(126);
		close(null);
		close(0);
		close(2);
		execlp(cli ? cli : "mptrace", "mptrace", "spawn", "-d", "-t", "0",
		       "-n", "p(p)", (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("status %#x", status);
}

/* JSON output stays UTF-8 whatever the bytes it quotes. */
TEST_F(cli, json_is_utf8)
{
	ASSERT_EQ(0, RUN(&self->r, "-j", "spawn", "p\xc3"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "\\ufffd")) TH_LOG("%s", self->r.out);
	EXPECT_EQ(NULL, strchr(self->r.out, '\xc3'));
	ASSERT_EQ(0, RUN(&self->r, "-j", "spawn", "p\xc3\xa9"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "'\xc3\xa9'")) TH_LOG("%s", self->r.out);
}

/*
 * A name in the user's character set is shown as it is, in a table and
 * in a watch's rows; in the C locale its bytes beyond ASCII as \xHH.
 */
TEST_F(cli, names_in_locale)
{
	static const char *const locales[] = { "C.UTF-8", "C" };
	static const char *const want[] = { "caf\xc3\xa9", "caf\\xc3\\xa9" };
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);

	if (!utf8)
		SKIP(return, "no C.UTF-8 locale here");
	freelocale(utf8);
	for (size_t i = 0; i < ARRAY_SIZE(locales); i++) {
		char pid[16], c;
		char *argv[] = { "mptrace", "ps", "-p", pid, "-o", "comm", "-n", NULL };
		int go[2], ready[2];
		pid_t child;

		ASSERT_EQ(0, pipe(go));
		ASSERT_EQ(0, pipe(ready));
		child = fork();
		ASSERT_LE(0, child);
		if (child == 0) {
			close(go[1]);
			close(ready[0]);
			prctl(PR_SET_NAME, "caf\xc3\xa9");
			if (write(ready[1], "x", 1) != 1)
				_exit(1);
			read(go[0], &c, 1);
			_exit(0);
		}
		close(go[0]);
		close(ready[1]);
		ASSERT_EQ(1, read(ready[0], &c, 1));	/* named */
		close(ready[0]);
		snprintf(pid, sizeof(pid), "%d", child);
		ASSERT_EQ(0, setenv("LC_ALL", locales[i], 1));
		ASSERT_EQ(0, run(&self->r, argv));
		unsetenv("LC_ALL");
		ASSERT_EQ(1, write(go[1], "x", 1));
		close(go[1]);
		ASSERT_EQ(child, waitpid(child, NULL, 0));
		EXPECT_EQ(0, self->r.status) TH_LOG("%s: %s", locales[i], self->r.err);
		EXPECT_NE(NULL, strstr(self->r.out, want[i]))
			TH_LOG("%s: %s", locales[i], self->r.out);
	}
}

/* Bad specs: exit 2, and a caret under the offending character. */
TEST_F(cli, spawn_bad_specs)
{
	static const struct { const char *spec; int col; } bad[] = {
		{ "", 0 }, { "q", 0 }, { "p(", 2 }, { "p(p", 3 },
		{ "p(p,)", 4 }, { "p:zombi", 2 }, { "3*p", 0 },
		{ "p(0*p)", 2 }, { "p(p:exit=256)", 9 },
		{ "p(p:exit=1:kill=TERM)", 11 }, { "p(p:kill=CHLD)", 9 },
		{ "p(p:kill=NOPE)", 9 }, { "p(p:hold=2x)", 9 },
		{ "p(p:zombie:orphan)", 11 }, { "p(p:join:join)", 9 },
		{ "p:zombie", 2 }, { "p(p:name=a/b)", 10 }, { "p(p) x", 5 },
		{ "p(1000*p(1000*p))", 0 }, { "p(p:exit)", 8 },
		{ "p(p:hold=1e3)", 9 }, { "p(p:hold=0x10)", 9 },
		{ "p(p:exit=+3)", 9 },
		/* 17 levels */
		{ "p(p(p(p(p(p(p(p(p(p(p(p(p(p(p(p(p))))))))))))))))", 32 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "mptrace", "spawn", (char *)bad[i].spec, NULL };
		char want[128];

		ASSERT_EQ(0, run(&self->r, argv));
		EXPECT_EQ(2, self->r.status) TH_LOG("'%s'", bad[i].spec);
		snprintf(want, sizeof(want), "\n  %s\n  %*s^\n", bad[i].spec,
			 bad[i].col, "");
		EXPECT_NE(NULL, strstr(self->r.err, want))
			TH_LOG("'%s': %s", bad[i].spec, self->r.err);
	}
	ASSERT_EQ(0, RUN(&self->r, "spawn", "--hold", "soon", "p"));
	EXPECT_EQ(2, self->r.status);
	/* A duration, not a piece of spec. */
	ASSERT_EQ(0, RUN(&self->r, "spawn", "--hold", "1s(p)", "p"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "spawn"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "spawn", "p", "p"));
	EXPECT_EQ(2, self->r.status);
}

/* A queue's life through the CLI: every count checked after each step. */
TEST_F(cli, queue_roundtrip)
{
	char name[32];

	snprintf(name, sizeof(name), "cliq-%d", getpid());
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name, "--capacity", "4",
			 "--msgsize", "32", "--mode", "0640"));
	ASSERT_EQ(0, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "put", name, "alpha", "beta", "",
			 "gamma"));
	EXPECT_EQ(0, self->r.status);
	/* Full: --nowait refuses, --timeout gives up. */
	ASSERT_EQ(0, RUN(&self->r, "queue", "put", name, "--nowait", "delta"));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "would have to wait"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "put", name, "--timeout", "0.1",
			 "delta"));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "timed out"));

	ASSERT_EQ(0, RUN(&self->r, "-j", "queue", "ls", "-o",
			 "NAME,DEPTH,PUTS,UNFINISHED,MODE"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, name));
	EXPECT_NE(NULL, strstr(self->r.out, "\"depth\": 4"));
	EXPECT_NE(NULL, strstr(self->r.out, "\"mode\": \"0640\""));

	ASSERT_EQ(0, RUN(&self->r, "queue", "get", name, "--count", "3"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_STREQ("alpha\nbeta\n\n", self->r.out);
	ASSERT_EQ(0, RUN(&self->r, "queue", "stat", name, "-j"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "\"depth\": 1"));
	EXPECT_NE(NULL, strstr(self->r.out, "\"unfinished\": 4"));
	EXPECT_NE(NULL, strstr(self->r.out, "\"loose\": 3"));

	/* Three got, so four done is too many; nothing changes. */
	ASSERT_EQ(0, RUN(&self->r, "queue", "done", name, "4"));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "more items marked done"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "done", name, "3"));
	EXPECT_EQ(0, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "join", name, "--timeout", "0.1"));
	EXPECT_EQ(1, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "-j", "queue", "get", name));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "\"message\": \"gamma\""));
	EXPECT_NE(NULL, strstr(self->r.out, "\"seq\": 4"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "done", name));
	EXPECT_EQ(0, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "join", name));
	EXPECT_EQ(0, self->r.status);

	ASSERT_EQ(0, RUN(&self->r, "queue", "rm", name));
	EXPECT_EQ(0, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "get", name, "--nowait"));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "does not exist"));
}

/* A fast queue through the CLI: the same calls, its flag shown. */
TEST_F(cli, queue_fast)
{
	char name[32], row[64];

	snprintf(name, sizeof(name), "clifq-%d", getpid());
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name, "--fast",
			 "--trace"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "--fast and --trace"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "stat", name));
	EXPECT_EQ(1, self->r.status);		/* nothing was made */

	ASSERT_EQ(0, RUN(&self->r, "-j", "queue", "create", name, "--fast",
			 "--capacity", "2", "--msgsize", "16"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "\"fast\": true"));
	EXPECT_NE(NULL, strstr(self->r.out, "\"trace\": false"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "put", name, "one", "two"));
	EXPECT_EQ(0, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "put", name, "--nowait", "three"));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "is full"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "ls", "-r", "-n", "-o",
			 "NAME,DEPTH,FLAGS"));
	EXPECT_EQ(0, self->r.status);
	snprintf(row, sizeof(row), "%s 2 fast", name);
	EXPECT_NE(NULL, strstr(self->r.out, row)) TH_LOG("%s", self->r.out);
	ASSERT_EQ(0, RUN(&self->r, "queue", "get", name, "--count", "2"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_STREQ("one\ntwo\n", self->r.out);
	ASSERT_EQ(0, RUN(&self->r, "-j", "queue", "stat", name));
	EXPECT_NE(NULL, strstr(self->r.out, "\"gets\": 2"));
	EXPECT_NE(NULL, strstr(self->r.out, "\"loose\": 2"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "done", name, "2"));
	EXPECT_EQ(0, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "join", name, "--nowait"));
	EXPECT_EQ(0, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "rm", name));
	EXPECT_EQ(0, self->r.status);
}

/*
 * The keys of the JSON object that starts at @obj, a row without nested
 * objects, comma-separated into @out; NULL if @obj is not one.
 */
static const char *json_keys(const char *obj, char *out, size_t len)
{
	size_t n = 0;

	if (!obj || *obj != '{')
		return NULL;
	out[0] = '\0';
	for (obj++; *obj && *obj != '}'; obj++) {
		const char *str, *end;

		if (*obj != '"')
			continue;
		str = obj + 1;
		for (end = str; *end && *end != '"'; end++)
			if (*end == '\\' && end[1])
				end++;
		if (!*end)
			return NULL;
		obj = end;
		while (obj[1] == ' ' || obj[1] == '\n')
			obj++;
		if (obj[1] != ':')
			continue;	/* a value */
		n += snprintf(out + n, len > n ? len - n : 0, "%s%.*s",
			      n ? "," : "", (int)(end - str), str);
	}
	return *obj == '}' && n < len ? out : NULL;
}

/* The object holding "name": "@name" in the JSON text @json. */
static const char *json_row(const char *json, const char *name)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "\"name\": \"%s\"", name);
	p = strstr(json, want);
	while (p && p > json && *p != '{')
		p--;
	return p;
}

/*
 * Make a @kind ("queue" or "lock") named @name; into @ls the keys of its
 * row in "@kind ls -j --output-all", whose array must be named @array;
 * into @st the keys of the object @kind of "@kind stat -j NAME"; remove
 * it.  False, with @ls or @st empty, when either is not there.
 */
static bool ls_stat_keys(struct run *r, char *kind, const char *array,
			 char *name, char *ls, char *st, size_t len)
{
	char want[32];
	const char *p;
	bool ok;

	ls[0] = st[0] = '\0';
	if (RUN(r, kind, "create", name) || r->status)
		return false;
	snprintf(want, sizeof(want), "\"%s\": [", array);
	ok = !RUN(r, kind, "ls", "-j", "--output-all") && !r->status &&
	     strstr(r->out, want) && json_keys(json_row(r->out, name), ls, len);
	snprintf(want, sizeof(want), "{\"%s\": ", kind);
	ok = !RUN(r, kind, "stat", name, "-j") && !r->status &&
	     (p = strstr(r->out, want)) &&
	     json_keys(p + strlen(want), st, len) && ok;
	return !RUN(r, kind, "rm", name) && ok;
}

/*
 * "queue ls" and "lock ls" name their arrays as the other tables do
 * (processes, stats, ...): "queues" and "locks"; a row of ls has the
 * keys of the object of stat, one key per column, '-' written '_'.
 */
TEST_F(cli, queue_lock_json_keys)
{
	char name[32], ls[1024], st[1024];

	snprintf(name, sizeof(name), "cliqj-%d", getpid());
	EXPECT_TRUE(ls_stat_keys(&self->r, "queue", "queues", name, ls, st,
				 sizeof(ls))) TH_LOG("%s%s", self->r.out, self->r.err);
	EXPECT_STREQ(ls, st);
	EXPECT_NE(NULL, strstr(ls, ",put_wait,get_wait,join_wait,")) TH_LOG("%s", ls);
	EXPECT_EQ(NULL, strchr(ls, '-')) TH_LOG("%s", ls);

	snprintf(name, sizeof(name), "clilj-%d", getpid());
	EXPECT_TRUE(ls_stat_keys(&self->r, "lock", "locks", name, ls, st,
				 sizeof(ls))) TH_LOG("%s%s", self->r.out, self->r.err);
	EXPECT_STREQ(ls, st);
	EXPECT_NE(NULL, strstr(ls, ",hold_avg,hold_max,wait_avg,wait_max,"))
		TH_LOG("%s", ls);
	EXPECT_EQ(NULL, strchr(ls, '-')) TH_LOG("%s", ls);
}

TEST_F(cli, queue_usage_errors)
{
	char name[32];

	snprintf(name, sizeof(name), "cliqb-%d", getpid());
	ASSERT_EQ(0, RUN(&self->r, "queue"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "frobnicate"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown subcommand"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "get"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "NAME is needed"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name, "--capacity"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "'--capacity' needs a value"));
	ASSERT_EQ(0, RUN(&self->r, "watch", "-t", "0.2"));
	EXPECT_EQ(0, self->r.status);		/* fractions, like every timeout */
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name, "--capacity", "0"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name, "--capacity",
			 "65537"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name, "--msgsize", "x"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name, "--mode", "0999"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "octal"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name, "--mode", "-0"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name, "--mode", "+600"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name, "--mode", " 600"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "get", name, "--timeout", "soon"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "queue get: --timeout"))
		TH_LOG("%s", self->r.err);
	ASSERT_EQ(0, RUN(&self->r, "queue", "get", name, "--bogus"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "queue get: unknown option"))
		TH_LOG("%s", self->r.err);
	ASSERT_EQ(0, RUN(&self->r, "queue", "get", name, "--count", "-1"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "put", name, "--count", "2", "m"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "does not apply"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "put", name));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", "a/b"));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "not starting with"));
	/* None of that made a queue. */
	ASSERT_EQ(0, RUN(&self->r, "queue", "stat", name));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "does not exist"));

	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name, "--msgsize", "4"));
	EXPECT_EQ(0, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "exists already"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "put", name, "toolong"));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "exceeds its msgsize of 4"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "get", name, "--nowait"));
	EXPECT_EQ(1, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "queue", "rm", name));
	EXPECT_EQ(0, self->r.status);
}

/* Another user meets the queue's mode, and cannot remove it. */
TEST_F(cli, queue_permissions)
{
	char name[32];
	char *get[] = { "mptrace", "queue", "get", name, "--nowait", NULL };
	char *rm[] = { "mptrace", "queue", "rm", name, NULL };

	snprintf(name, sizeof(name), "cliqp-%d", getpid());
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name, "--mode", "0600"));
	ASSERT_EQ(0, self->r.status);
	ASSERT_EQ(0, run_as(&self->r, 65534, get));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "mode does not let you"));
	ASSERT_EQ(0, run_as(&self->r, 65534, rm));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "only its owner"));
	ASSERT_EQ(0, RUN(&self->r, "queue", "rm", name));
	EXPECT_EQ(0, self->r.status);
}

/* A lock through the CLI: held exactly for CMD's life, CMD's status out. */
TEST_F(cli, lock_hold)
{
	char name[32], script[160], val[16];
	const char *row;
	char *sleeper[] = { "mptrace", "lock", name, "--", "sleep", "5", NULL };
	int out, err, status;
	pid_t holder;

	snprintf(name, sizeof(name), "clil-%d", getpid());
	ASSERT_EQ(0, RUN(&self->r, "lock", "create", name, "--mode", "0600"));
	ASSERT_EQ(0, self->r.status);
	/* While CMD runs, the lock is held by the CLI's process. */
	snprintf(script, sizeof(script),
		 "mptrace lock stat %s | grep -q '^OWNER *[1-9]' && exit 7",
		 name);
	ASSERT_EQ(0, RUN(&self->r, "lock", name, "--", "sh", "-c", script));
	EXPECT_EQ(7, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "-j", "lock", "ls", "-o",
			 "NAME,OWNER,TAKEN,DIED"));
	/* This lock's row, not another's. */
	row = json_row(self->r.out, name);
	ASSERT_NE(NULL, row) TH_LOG("%s", self->r.out);
	EXPECT_STREQ("0", json_value(row, "owner", val, sizeof(val)));
	EXPECT_STREQ("1", json_value(row, "taken", val, sizeof(val)));

	/* Held elsewhere: --timeout gives up, naming the holder. */
	holder = start(sleeper, -1, &out, &err);
	ASSERT_LT(0, holder);
	usleep(500000);
	ASSERT_EQ(0, RUN(&self->r, "lock", name, "--timeout", "0.2", "--",
			 "true"));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "held by process"));
	/* Its holder killed: released; the next one is told. */
	kill(holder, SIGKILL);
	waitpid(holder, &status, 0);
	close(out);
	close(err);
	ASSERT_EQ(0, RUN(&self->r, "lock", name, "--", "true"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "died holding it"));
	ASSERT_EQ(0, RUN(&self->r, "lock", "rm", name));
	EXPECT_EQ(0, self->r.status);
}

/*
 * A fast lock through the CLI: made with --fast (never with --trace),
 * shown as fast by create -j, ls and stat, and held by "lock NAME --"
 * as any lock.
 */
TEST_F(cli, lock_fast)
{
	char name[32], traced[40], script[160], val[16];
	const char *row;

	snprintf(name, sizeof(name), "clilf-%d", getpid());
	snprintf(traced, sizeof(traced), "%s-t", name);
	ASSERT_EQ(0, RUN(&self->r, "lock", "create", name, "--fast", "--trace"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "--fast and --trace"));
	ASSERT_EQ(0, RUN(&self->r, "lock", "stat", name));
	EXPECT_EQ(1, self->r.status);		/* nothing was made */

	ASSERT_EQ(0, RUN(&self->r, "-j", "lock", "create", name, "--fast",
			 "--recursive"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "\"fast\": true"));
	EXPECT_NE(NULL, strstr(self->r.out, "\"trace\": false"));
	EXPECT_NE(NULL, strstr(self->r.out, "\"kind\": \"recursive\""));
	ASSERT_EQ(0, RUN(&self->r, "lock", "ls", "-r", "-n", "-o", "NAME,FLAGS"));
	EXPECT_EQ(0, self->r.status);
	snprintf(script, sizeof(script), "%s fast", name);
	EXPECT_NE(NULL, strstr(self->r.out, script)) TH_LOG("%s", self->r.out);
	ASSERT_EQ(0, RUN(&self->r, "-j", "lock", "stat", name));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "\"flags\": \"fast"));
	/* Its holds in user space are untimed: no mean to give. */
	EXPECT_NE(NULL, strstr(self->r.out, "\"hold_avg\": null"));

	/* Held by the CLI's process for CMD's life, through the ioctls. */
	snprintf(script, sizeof(script),
		 "mptrace lock stat %s | grep -q '^OWNER *[1-9]' && exit 7",
		 name);
	ASSERT_EQ(0, RUN(&self->r, "lock", name, "--", "sh", "-c", script));
	EXPECT_EQ(7, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "-j", "lock", "ls", "-o", "NAME,OWNER,TAKEN"));
	row = json_row(self->r.out, name);
	ASSERT_NE(NULL, row) TH_LOG("%s", self->r.out);
	EXPECT_STREQ("0", json_value(row, "owner", val, sizeof(val)));
	EXPECT_STREQ("1", json_value(row, "taken", val, sizeof(val)));

	ASSERT_EQ(0, RUN(&self->r, "-j", "lock", "create", traced, "--trace"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "\"fast\": false"));
	ASSERT_EQ(0, RUN(&self->r, "lock", "rm", traced));
	ASSERT_EQ(0, RUN(&self->r, "lock", "rm", name));
	EXPECT_EQ(0, self->r.status);
}

TEST_F(cli, lock_usage_errors)
{
	char name[32];

	snprintf(name, sizeof(name), "clilb-%d", getpid());
	ASSERT_EQ(0, RUN(&self->r, "lock"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "lock", name));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "what to run"));
	ASSERT_EQ(0, RUN(&self->r, "lock", "create"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "lock", "create", name, "--mode", "9"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "lock", "create", name, "--bogus"));
	EXPECT_EQ(2, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "lock", "--timeout", "x", name, "--", "true"));
	EXPECT_EQ(2, self->r.status);
	/* Not a command named "--timeout": a usage error. */
	ASSERT_EQ(0, RUN(&self->r, "lock", name, "--timeout"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "--timeout needs seconds"));
	/* A misspelt option is not the command, nor a wait without end. */
	ASSERT_EQ(0, RUN(&self->r, "lock", name, "--timout", "1", "--", "true"));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown option '--timout'"))
		TH_LOG("%s", self->r.err);
	ASSERT_EQ(0, RUN(&self->r, "lock", name, "--", "true"));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "does not exist"));
	ASSERT_EQ(0, RUN(&self->r, "lock", "create", ".bad"));
	EXPECT_EQ(1, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "lock", "create", name, "--recursive"));
	EXPECT_EQ(0, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "lock", "create", name));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "exists already"));
	ASSERT_EQ(0, RUN(&self->r, "lock", name, "--", "/no/such/program"));
	EXPECT_EQ(127, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "lock", "stat", name, "-j"));
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "\"kind\": \"recursive\""));
	EXPECT_NE(NULL, strstr(self->r.out, "\"owner\": 0"));
	ASSERT_EQ(0, RUN(&self->r, "lock", "rm", name));
	EXPECT_EQ(0, self->r.status);
	ASSERT_EQ(0, RUN(&self->r, "lock", "rm", name));
	EXPECT_EQ(1, self->r.status);
}

/*
 * Run the CLI with @argv (NULL-terminated): true if it shows the help,
 * @usage first on stdout, nothing on stderr, status 0.  @what receives
 * the command line.
 */
static bool shows_help(struct run *r, char *const argv[], const char *usage,
		       char *what, size_t len)
{
	size_t i, n = 0;

	what[0] = '\0';
	for (i = 1; argv[i]; i++)
		n += snprintf(what + n, len > n ? len - n : 0, " %s", argv[i]);
	return run(r, argv) == 0 && r->status == 0 && !r->err[0] &&
	       !strncmp(r->out, usage, strlen(usage));
}

/*
 * -h and --help show the help of queue, lock or spawn, on stdout with status 0,
 * wherever they stand: after every subcommand, before or after NAME, and
 * never taken for a NAME, a message or a command to run.
 */
TEST_F(cli, queue_lock_subcommand_help)
{
	static char *const queue_subs[] = {
		"create", "put", "get", "done", "join", "ls", "stat", "rm", NULL,
	};
	static char *const lock_subs[] = {
		"create", "hold", "ls", "stat", "rm", NULL,
	};
	static const struct {
		char *cmd;
		const char *usage;
		char *const *subs;
	} kinds[] = {
		{ "queue", "Usage: mptrace queue ", queue_subs },
		{ "lock", "Usage: mptrace lock ", lock_subs },
	};
	static char *const helps[] = { "-h", "--help" };
	char name[32], what[128];
	size_t h, k, i;

	snprintf(name, sizeof(name), "clih-%d", getpid());
	for (h = 0; h < ARRAY_SIZE(helps); h++) {
		for (k = 0; k < ARRAY_SIZE(kinds); k++) {
			char *cmd = kinds[k].cmd, *help = helps[h];
			char *const bare[] = { "mptrace", cmd, help, NULL };

			EXPECT_TRUE(shows_help(&self->r, bare, kinds[k].usage,
					       what, sizeof(what))) TH_LOG("%s", what);
			for (i = 0; kinds[k].subs[i]; i++) {
				char *sub = kinds[k].subs[i];
				char *const before[] = { "mptrace", cmd, sub, help, NULL };
				char *const after[] = { "mptrace", cmd, sub, name, help, NULL };

				EXPECT_TRUE(shows_help(&self->r, before, kinds[k].usage,
						       what, sizeof(what)))
					TH_LOG("%s: %s", what, self->r.err);
				if (!strcmp(sub, "ls"))
					continue;
				EXPECT_TRUE(shows_help(&self->r, after, kinds[k].usage,
						       what, sizeof(what)))
					TH_LOG("%s: %s", what, self->r.err);
			}
		}
	}
	/* "mptrace spawn SPEC -h": help, as before SPEC; nothing spawned. */
	for (h = 0; h < ARRAY_SIZE(helps); h++) {
		char *const spawn[] = { "mptrace", "spawn", "p(p)", helps[h], NULL };

		EXPECT_TRUE(shows_help(&self->r, spawn, "Usage: mptrace spawn ",
				       what, sizeof(what)))
			TH_LOG("%s: %s", what, self->r.err);
	}
	/* "mptrace lock NAME -h": not a command to hold the lock for. */
	for (h = 0; h < ARRAY_SIZE(helps); h++) {
		char *const hold[] = { "mptrace", "lock", name, helps[h], NULL };

		EXPECT_TRUE(shows_help(&self->r, hold, "Usage: mptrace lock ",
				       what, sizeof(what)))
			TH_LOG("%s: %s", what, self->r.err);
	}
	/* Nothing was made of NAME meanwhile. */
	ASSERT_EQ(0, RUN(&self->r, "queue", "stat", name));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "does not exist"));
	ASSERT_EQ(0, RUN(&self->r, "lock", "stat", name));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "does not exist"));
	/* Other options are usage errors, not names. */
	ASSERT_EQ(0, RUN(&self->r, "lock", "stat", "-x", name));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown option '-x'"));
	ASSERT_EQ(0, RUN(&self->r, "lock", "rm", "-x", name));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown option '-x'"));
	ASSERT_EQ(0, RUN(&self->r, "lock", "stat", name, name));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "one NAME is needed"));
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

/* A file of @len bytes @data, open for reading at its start, or -1. */
static int data_file(const char *data, size_t len)
{
	FILE *f = tmpfile();
	int fd;

	if (!f || fwrite(data, 1, len, f) != len || fflush(f))
		return -1;
	fd = dup(fileno(f));
	fclose(f);
	if (fd >= 0 && lseek(fd, 0, SEEK_SET))
		return -1;
	return fd;
}

/*
 * queue get stops at the first message it cannot write, and says so:
 * that one is lost, the others stay in the queue.  queue put - fails on
 * a standard input it cannot read.
 */
TEST_F(cli, queue_io_errors)
{
	char name[32], depth[32];
	char *const get[] = { "mptrace", "queue", "get", name, "--count", "3",
			      NULL };
	char *const put[] = { "mptrace", "queue", "put", name, "-", NULL };
	int dir;

	snprintf(name, sizeof(name), "cliqio-%d", getpid());
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name));
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	ASSERT_EQ(0, RUN(&self->r, "queue", "put", name, "one", "two", "three"));
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	ASSERT_EQ(0, run_in(&self->r, -1, false, true, get));
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "cannot write message"))
		TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "No space left on device"));
	ASSERT_EQ(0, RUN(&self->r, "-j", "queue", "stat", name));
	EXPECT_STREQ("2", json_value(self->r.out, "depth", depth, sizeof(depth)))
		TH_LOG("%s", self->r.out);

	dir = open("/", O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dir);
	ASSERT_EQ(0, run_in(&self->r, dir, false, false, put));
	close(dir);
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "cannot read standard input"))
		TH_LOG("%s", self->r.err);
	ASSERT_EQ(0, RUN(&self->r, "queue", "rm", name));
}

/*
 * A message that is not text comes out of queue get -j as JSON all the
 * same: a NUL and a byte that is not UTF-8 each become U+FFFD, and LEN
 * keeps the message's length.
 */
TEST_F(cli, queue_get_json_bytes)
{
	static const char msg[] = "a\0b\xff\n";
	char name[32], len[16];
	char *const put[] = { "mptrace", "queue", "put", name, "-", NULL };
	int in;

	snprintf(name, sizeof(name), "cliqjb-%d", getpid());
	ASSERT_EQ(0, RUN(&self->r, "queue", "create", name));
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	in = data_file(msg, sizeof(msg) - 1);
	ASSERT_LE(0, in);
	ASSERT_EQ(0, run_in(&self->r, in, false, false, put));
	close(in);
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	ASSERT_EQ(0, RUN(&self->r, "-j", "queue", "get", name));
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("4", json_value(self->r.out, "len", len, sizeof(len)))
		TH_LOG("%s", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.out,
			       "\"message\": \"a\xef\xbf\xbd" "b\xef\xbf\xbd\""))
		TH_LOG("%s", self->r.out);
	ASSERT_EQ(0, RUN(&self->r, "queue", "rm", name));
}

/* A process whose comm is @comm and, if @ppid > 0, whose parent it is; or 0. */
static pid_t proc_find(const char *comm, pid_t ppid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	while (d && !found && (e = readdir(d))) {
		char path[300], buf[32] = "";

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (!mpt_read_file(path, buf, sizeof(buf)) &&
		    !strcmp(buf, comm) &&
		    (ppid <= 0 || mpt_proc_ppid(atoi(e->d_name)) == ppid))
			found = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

/* spawn checks -o before it makes a process; -d as well. */
TEST_F(cli, spawn_columns_first)
{
	char spec[64];

	snprintf(spec, sizeof(spec), "p:hold=10m:name=mptcol%d", getpid() % 100000);
	ASSERT_EQ(0, RUN(&self->r, "spawn", "-o", "bogus", spec));
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown column 'bogus'"))
		TH_LOG("%s", self->r.err);
	ASSERT_EQ(0, RUN(&self->r, "spawn", "-d", "-o", "pid,bogus", spec));
	EXPECT_EQ(2, self->r.status);
	EXPECT_EQ(0, proc_find(spec + strlen("p:hold=10m:name="), 0));
}

/*
 * A caller that ignores SIGCHLD (its children reaped by the kernel) does
 * not break lock's exit status nor spawn's zombies: both set it back.
 */
TEST_F(cli, sigchld_ignored)
{
	char *const create[] = { "mptrace", "lock", "create", NULL, NULL };
	char *const hold[] = { "mptrace", "lock", NULL, "--", "sh", "-c",
			       "exit 3", NULL };
	char *const spawn[] = { "mptrace", "-j", "spawn", "-d", "-t", "3s",
				"p(p:zombie)", NULL };
	char name[32];
	int pids[2];

	snprintf(name, sizeof(name), "clisc-%d", getpid());
	((char **)create)[3] = name;
	((char **)hold)[2] = name;
	ASSERT_EQ(0, run(&self->r, create));
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	ASSERT_EQ(0, run_in(&self->r, -1, true, false, hold));
	EXPECT_EQ(3, self->r.status) TH_LOG("%s", self->r.err);
	ASSERT_EQ(0, RUN(&self->r, "lock", "rm", name));

	ASSERT_EQ(0, run_in(&self->r, -1, true, false, spawn));
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	ASSERT_EQ(2, json_ints(self->r.out, "pid", pids, 2));
	EXPECT_TRUE(await(is_zombie, pids[1], 0));
	kill(pids[0], SIGKILL);
}

/* @pid has a child sh(1) whose own child runs sleep(1). */
static bool has_sleeper(pid_t pid, int unused)
{
	pid_t sh = proc_find("sh", pid);

	(void)unused;
	return sh > 0 && proc_find("sleep", sh) > 0;
}

/*
 * SIGTERM to "mptrace lock" goes to the command it runs, which may
 * handle it (here: exit 7), and mptrace waits for its end: the command
 * never runs without the lock.
 */
TEST_F(cli, lock_passes_term_on)
{
	char *const hold[] = { "mptrace", "lock", NULL, "--", "sh", "-c",
			       "trap 'exit 7' TERM; sleep 100 >/dev/null 2>&1 & wait",
			       NULL };
	char name[32];
	pid_t pid, sleeper;
	int out, err;

	snprintf(name, sizeof(name), "clilt-%d", getpid());
	((char **)hold)[2] = name;
	ASSERT_EQ(0, RUN(&self->r, "lock", "create", name));
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	pid = start(hold, -1, &out, &err);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(await(has_sleeper, pid, 0));
	sleeper = proc_find("sleep", proc_find("sh", pid));
	ASSERT_EQ(0, kill(pid, SIGTERM));
	ASSERT_EQ(0, finish(&self->r, pid, out, err));
	kill(sleeper, SIGKILL);
	/* The command's own status, not mptrace's death. */
	EXPECT_EQ(7, self->r.status) TH_LOG("%s", self->r.err);
	ASSERT_EQ(0, RUN(&self->r, "lock", "stat", name, "-j"));
	EXPECT_NE(NULL, strstr(self->r.out, "\"owner\": 0")) TH_LOG("%s", self->r.out);
	ASSERT_EQ(0, RUN(&self->r, "lock", "rm", name));
}

TEST_HARNESS_MAIN
