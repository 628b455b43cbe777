// SPDX-License-Identifier: GPL-2.0
/*
 * mptrace lock: kernel-backed locks that know their owner.
 *
 *	mptrace lock create NAME [--recursive] [--mode M] [--trace | --fast]
 *	mptrace lock [hold] NAME [--timeout S] -- CMD [ARGS]
 *	mptrace lock ls
 *	mptrace lock stat NAME
 *	mptrace lock rm NAME
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libmptrace.h"
#include "mptrace.h"

static void lock_usage(FILE *out)
{
	fprintf(out,
		"Usage: mptrace lock SUBCOMMAND NAME [OPTIONS]\n"
		"       mptrace lock NAME [--timeout S] -- CMD [ARGS]\n"
		"\n"
		"Kernel-backed locks that know their owner, are released when it dies\n"
		"(the next owner is told), never starve a waiter and refuse to deadlock.\n"
		"\n"
		"  create NAME [--recursive] [--mode MODE] [--trace | --fast]\n"
		"                  make a lock (a mutex unless --recursive; mode 0600);\n"
		"                  --trace: an event per acquire and release; --fast:\n"
		"                  taken without a system call unless it must wait\n"
		"  [hold] NAME [--timeout S] -- CMD [ARGS]\n"
		"                  run CMD holding the lock, like flock(1); exit with\n"
		"                  CMD's status; 1 if the lock is not had within S seconds\n"
		"  ls              the locks you may open: owner, waiters, counters\n"
		"  stat NAME       one lock: owner, waiters and how long they wait\n"
		"  rm NAME         remove the name (a held lock stays held)\n"
		"\n"
		"Options: -j/--json on create, ls and stat; ls also takes -r -n -o\n"
		"--output-all -H.  A NAME equal to a subcommand needs 'hold'.\n"
		"Exit status: 0 success (or CMD's), 1 failure or timeout, 2 usage.\n");
}

static int lfail(const char *name, const char *what, int err)
{
	switch (-err) {
	case ENOENT:
		mpt_err("lock '%s' does not exist (mptrace lock create %s)",
			name, name);
		break;
	case EEXIST:
		mpt_err("lock '%s' exists already", name);
		break;
	case EACCES:
		mpt_err("lock '%s': its mode does not let you %s it", name,
			what);
		break;
	case EPERM:
		mpt_err("lock '%s': only its owner (or CAP_IPC_OWNER) may %s it",
			name, what);
		break;
	case EINVAL:
		mpt_err("lock '%s': invalid request (names are 1-%d of A-Z a-z 0-9 . _ + : @ -, not starting with '.')",
			name, MPT_NAME_LEN - 1);
		break;
	case ENOSPC:
		mpt_err("cannot create lock '%s': the module's max_locks is reached (mptrace stat shows it)",
			name);
		break;
	default:
		mpt_err("lock '%s': cannot %s: %s", name, what,
			mpt_strerror(err));
		break;
	}
	return MPT_EXIT_FAIL;
}

static int l_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "recursive", no_argument,	  NULL, 'R' },
		{ "mode",      required_argument, NULL, 'm' },
		{ "trace",     no_argument,	  NULL, 'T' },
		{ "fast",      no_argument,	  NULL, 'F' },
		{ "json",      no_argument,	  NULL, 'j' },
		{ "help",      no_argument,	  NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t kind = MPT_LOCK_MUTEX, lflags = 0;
	unsigned int mode = 0600;
	struct mpt_lock_info li;
	int c, fd, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hj", longopts, NULL)) != -1) {
		switch (c) {
		case 'R':
			kind = MPT_LOCK_RECURSIVE;
			break;
		case 'm':
			if (mpt_parse_mode("lock create", optarg, &mode))
				return MPT_EXIT_USAGE;
			break;
		case 'T':
			lflags |= MPT_LOCK_TRACE;
			break;
		case 'F':
			lflags |= MPT_LOCK_FAST;
			break;
		case 'j':
			mpt_opts.json = true;
			break;
		case 'h':
			lock_usage(stdout);
			return MPT_EXIT_OK;
		default:
			return mpt_option_err("lock create", "hj", longopts, argv);
		}
	}
	if (optind != argc - 1)
		return mpt_usage_err("lock create: one NAME is needed");
	if ((lflags & MPT_LOCK_TRACE) && (lflags & MPT_LOCK_FAST))
		return mpt_usage_err("lock create: --fast and --trace exclude each other: the kernel does not see the acquisitions of a fast lock, so it cannot trace them (choose one)");
	fd = mpt_lock_open(argv[optind], MPT_QOPEN_CREATE | MPT_QOPEN_EXCL |
			   MPT_QOPEN_READ | MPT_QOPEN_CLOEXEC, kind, mode,
			   lflags);
	if (fd == -EINVAL && (lflags & MPT_LOCK_FAST) && !mpt_have_feature(MPT_FEAT_FAST_LOCKS)) {
		mpt_err("lock '%s': the loaded mptrace.ko has no fast locks (mptrace version shows its features; create it without --fast, or load a newer module)",
			argv[optind]);
		return MPT_EXIT_FAIL;
	}
	if (fd < 0)
		return lfail(argv[optind], "create", fd);
	ret = mpt_lock_info(fd, &li, NULL, NULL);
	close(fd);
	if (ret)
		return lfail(argv[optind], "read", ret);
	if (mpt_opts.json) {
		printf("{\"name\": ");
		mpt_json_string(stdout, li.name);
		printf(", \"id\": %llu, \"kind\": \"%s\", \"mode\": \"%04o\", \"trace\": %s, \"fast\": %s}\n",
		       (unsigned long long)li.id,
		       li.kind == MPT_LOCK_RECURSIVE ? "recursive" : "mutex",
		       li.mode, li.flags & MPT_LOCK_TRACE ? "true" : "false",
		       li.flags & MPT_LOCK_FAST ? "true" : "false");
	}
	return MPT_EXIT_OK;
}

/* The command run holding the lock, for the signals passed on to it. */
static volatile pid_t l_child;

static void l_pass_on(int sig)
{
	if (l_child > 0)
		kill(l_child, sig);
}

/*
 * Run argv[] holding the lock; CMD's exit status (128 + signal).  The
 * lock is held for exactly the life of CMD: SIGTERM and SIGHUP are passed
 * on to it, SIGINT and SIGQUIT (which its terminal sends it too) are left
 * to it, and it is killed if mptrace dies first (PR_SET_PDEATHSIG).
 */
static int l_hold(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help",    no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long timeout = MPT_FOREVER;
	struct mpt_lock_acq acq;
	const char *name;
	int c, fd, ret, status;
	pid_t pid, got, parent;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (mpt_parse_seconds("lock", optarg, &timeout))
				return MPT_EXIT_USAGE;
			break;
		case 'h':
			lock_usage(stdout);
			return MPT_EXIT_OK;
		default:
			return mpt_option_err("lock", "+h", longopts, argv);
		}
	}
	if (optind >= argc)
		return mpt_usage_err("lock: which lock? (mptrace lock NAME -- CMD)");
	name = argv[optind++];
	/* Options may also follow NAME, before the command. */
	while (optind < argc) {
		const char *val;

		if (!strcmp(argv[optind], "-h") ||
		    !strcmp(argv[optind], "--help")) {
			lock_usage(stdout);
			return MPT_EXIT_OK;
		}
		if (!strncmp(argv[optind], "--timeout=", 10)) {
			val = argv[optind] + 10;
			optind++;
		} else if (!strcmp(argv[optind], "--timeout")) {
			if (optind + 1 >= argc)
				return mpt_usage_err("lock: --timeout needs seconds (e.g. 2 or 0.5)");
			val = argv[optind + 1];
			optind += 2;
		} else if (argv[optind][0] == '-' && strcmp(argv[optind], "--")) {
			return mpt_usage_err("lock: unknown option '%s' (the command comes after --)",
					     argv[optind]);
		} else {
			break;
		}
		if (mpt_parse_seconds("lock", val, &timeout))
			return MPT_EXIT_USAGE;
	}
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc)
		return mpt_usage_err("lock: what to run? (mptrace lock %s -- CMD [ARGS])",
				     name);

	fd = mpt_lock_open(name, MPT_QOPEN_WRITE | MPT_QOPEN_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return lfail(name, "take", fd);
	ret = mpt_lock_acquire(fd, timeout, &acq);
	if (ret == -EOWNERDEAD) {
		fprintf(stderr, "mptrace: lock '%s': its previous owner, process %u (thread %u), died holding it; what it protects may be half-done\n",
			name, acq.dead_pid, acq.dead_tid);
		ret = 0;
	}
	if (ret == -ETIMEDOUT || ret == -EBUSY) {
		struct mpt_lock_info li;

		if (!mpt_lock_info(fd, &li, NULL, NULL) && li.owner_pid)
			mpt_err("lock '%s': not had within the timeout: held by process %u (%s)",
				name, li.owner_pid, li.owner_comm);
		else
			mpt_err("lock '%s': not had within the timeout", name);
		close(fd);
		return MPT_EXIT_FAIL;
	}
	if (ret) {
		close(fd);
		return lfail(name, "take", ret);
	}

	/* An inherited SIG_IGN would have CMD reaped by the kernel. */
	signal(SIGCHLD, SIG_DFL);
	parent = getpid();
	pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "mptrace: lock: cannot run '%s': %s\n",
			argv[optind], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		mpt_err("lock: cannot fork: %s", strerror(errno));
		status = MPT_EXIT_FAIL << 8;
	} else {
		struct sigaction sa = { .sa_handler = l_pass_on };

		l_child = pid;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		while ((got = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (got != pid) {
			mpt_err("lock: cannot wait for '%s': %s", argv[optind],
				strerror(errno));
			status = MPT_EXIT_FAIL << 8;
		}
	}
	ret = mpt_lock_release(fd);
	close(fd);
	if (ret)
		return lfail(name, "release", ret);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * The options of "lock stat" (-j if @json) and "lock rm" (none), before
 * or after NAME, into *@name; -h/--help shows the help.  -1 to go on,
 * else the exit code (0 after the help, 2 on a usage error).
 */
static int name_args(int argc, char **argv, const char *cmd, bool json,
		     const char **name)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hj", longopts, NULL)) != -1) {
		if (c == 'h') {
			lock_usage(stdout);
			return MPT_EXIT_OK;
		}
		if (c != 'j' || !json)
			return mpt_option_err(cmd, "hj", longopts, argv);
		mpt_opts.json = true;
	}
	if (optind != argc - 1)
		return mpt_usage_err("%s: one NAME is needed", cmd);
	*name = argv[optind];
	return -1;
}

static int l_rm(int argc, char **argv)
{
	const char *name;
	int ret;

	ret = name_args(argc, argv, "lock rm", false, &name);
	if (ret >= 0)
		return ret;
	ret = mpt_lock_unlink(name);
	return ret ? lfail(name, "remove", ret) : MPT_EXIT_OK;
}

enum {
	COL_NAME, COL_ID, COL_KIND, COL_OWNER, COL_OWNER_TID, COL_OWNER_COMM,
	COL_COUNT, COL_HELD, COL_WAITERS, COL_ACQUISITIONS, COL_CONTENTIONS,
	COL_OWNER_DEATHS, COL_DEADLOCKS, COL_TIMEOUTS, COL_HOLD_AVG,
	COL_HOLD_MAX, COL_WAIT_AVG, COL_WAIT_MAX, COL_OPENERS, COL_UID,
	COL_GID, COL_MODE, COL_FLAGS,
};

static const struct mpt_column ls_cols[] = {
	[COL_NAME]	= { "NAME", 0, 0, SCOLS_JSON_STRING, true, "lock name" },
	[COL_ID]	= { "ID", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "lock id" },
	[COL_KIND]	= { "KIND", 0, 0, SCOLS_JSON_STRING, true, "mutex or recursive" },
	[COL_OWNER]	= { "OWNER", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "process holding it (0: free)" },
	[COL_OWNER_TID]	= { "TID", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "thread holding it" },
	[COL_OWNER_COMM] = { "COMM", 0, 0, SCOLS_JSON_STRING, true, "holder's command" },
	[COL_COUNT]	= { "COUNT", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "recursion count" },
	[COL_HELD]	= { "HELD", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "seconds held so far" },
	[COL_WAITERS]	= { "WAITERS", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "threads waiting now" },
	[COL_ACQUISITIONS] = { "TAKEN", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "acquisitions" },
	[COL_CONTENTIONS] = { "CONTENDED", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "acquisitions that waited" },
	[COL_OWNER_DEATHS] = { "DIED", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "owners that died holding it" },
	[COL_DEADLOCKS]	= { "DEADLOCKS", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "acquires refused with EDEADLK" },
	[COL_TIMEOUTS]	= { "TIMEOUTS", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "acquires that timed out" },
	[COL_HOLD_AVG]	= { "HOLD-AVG", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "mean hold, seconds" },
	[COL_HOLD_MAX]	= { "HOLD-MAX", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "longest hold, seconds" },
	[COL_WAIT_AVG]	= { "WAIT-AVG", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "mean wait of a contended acquire, seconds" },
	[COL_WAIT_MAX]	= { "WAIT-MAX", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "longest wait, seconds" },
	[COL_OPENERS]	= { "OPENERS", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "descriptors open on it" },
	[COL_UID]	= { "UID", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "owner of the object" },
	[COL_GID]	= { "GID", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "its group" },
	[COL_MODE]	= { "MODE", 0, 0, SCOLS_JSON_STRING, false, "permission bits" },
	[COL_FLAGS]	= { "FLAGS", 0, 0, SCOLS_JSON_STRING, false, "trace, fast, deleted, owner-dead" },
};

#define NLS_COLS (sizeof(ls_cols) / sizeof(ls_cols[0]))

static void li_cell(const void *row, int col, char *buf, size_t len)
{
	const struct mpt_lock_info *li = row;
	char comm[3 * sizeof(li->owner_comm)];
	unsigned long long held = li->acquisitions - li->count;

	switch (col) {
	case COL_NAME:
		snprintf(buf, len, "%s", li->name);
		break;
	case COL_KIND:
		snprintf(buf, len, "%s", li->kind == MPT_LOCK_RECURSIVE ?
			 "recursive" : "mutex");
		break;
	case COL_OWNER_COMM:
		if (li->owner_pid)
			snprintf(buf, len, "%s",
				 mpt_cell_text(li->owner_comm, comm, sizeof(comm)));
		else
			buf[0] = '\0';
		break;
	case COL_HELD:
		snprintf(buf, len, "%.3f", li->held_ns ? mpt_since_s(li->held_ns) : 0);
		break;
	case COL_HOLD_AVG:
		/* A fast lock's holds in user space are untimed: unknown. */
		if (li->flags & MPT_LOCK_FAST)
			snprintf(buf, len, "%s", mpt_opts.json ? "null" : "-");
		else
			snprintf(buf, len, "%.6f",
				 held ? li->hold_total_ns / 1e9 / held : 0);
		break;
	case COL_HOLD_MAX:
		snprintf(buf, len, "%.6f", li->hold_max_ns / 1e9);
		break;
	case COL_WAIT_AVG:
		snprintf(buf, len, "%.6f", li->contentions ?
			 li->wait_total_ns / 1e9 / li->contentions : 0);
		break;
	case COL_WAIT_MAX:
		snprintf(buf, len, "%.6f", li->wait_max_ns / 1e9);
		break;
	case COL_MODE:
		snprintf(buf, len, "%04o", li->mode);
		break;
	case COL_FLAGS:
		snprintf(buf, len, "%s%s%s%s",
			 li->flags & MPT_LOCK_TRACE ? "trace " : "",
			 li->flags & MPT_LOCK_FAST ? "fast " : "",
			 li->flags & MPT_LOCK_UNLINKED ? "deleted " : "",
			 li->flags & MPT_LOCK_OWNER_DEAD ? "owner-dead" : "");
		break;
	default: {
		unsigned long long v =
			col == COL_ID ? li->id :
			col == COL_OWNER ? li->owner_pid :
			col == COL_OWNER_TID ? li->owner_tid :
			col == COL_COUNT ? li->count :
			col == COL_WAITERS ? li->nwaiters :
			col == COL_ACQUISITIONS ? li->acquisitions :
			col == COL_CONTENTIONS ? li->contentions :
			col == COL_OWNER_DEATHS ? li->owner_deaths :
			col == COL_DEADLOCKS ? li->deadlocks :
			col == COL_TIMEOUTS ? li->timeouts :
			col == COL_OPENERS ? li->openers :
			col == COL_UID ? li->uid : li->gid;

		snprintf(buf, len, "%llu", v);
		break;
	}
	}
}

static int fetch_locks(void **rows, size_t *n)
{
	int fd = mpt_dev_open(O_RDONLY), ret;

	if (fd < 0)
		return fd;
	ret = mpt_dev_get_locks(fd, (struct mpt_lock_info **)rows, n);
	close(fd);
	return ret;
}

static int l_ls(int argc, char **argv)
{
	return mpt_ls(argc, argv, "lock ls", "locks", ls_cols, NLS_COLS, lock_usage,
		      fetch_locks, sizeof(struct mpt_lock_info), li_cell);
}

static int l_stat(int argc, char **argv)
{
	static struct mpt_lwaiter w[MPT_LOCK_LIST_MAX];
	uint32_t nw = MPT_LOCK_LIST_MAX, i;
	struct mpt_lock_info li;
	const char *name;
	char cell[96];
	int fd, ret;

	ret = name_args(argc, argv, "lock stat", true, &name);
	if (ret >= 0)
		return ret;
	fd = mpt_dev_open(O_RDONLY);
	if (fd < 0) {
		mpt_err("cannot open %s: %s", MPT_DEVICE_PATH, mpt_strerror(fd));
		return MPT_EXIT_FAIL;
	}
	ret = mpt_lock_info_name(fd, name, &li, w, &nw);
	close(fd);
	if (ret)
		return lfail(name, "inspect", ret);
	if (mpt_opts.json) {
		printf("{\"lock\": {");
		mpt_json_fields(ls_cols, NLS_COLS, &li, li_cell);
		printf("}, \"waiters\": [");
		for (i = 0; i < nw; i++)
			printf("%s{\"pid\": %u, \"tid\": %u, \"for_s\": %.3f}",
			       i ? ", " : "", w[i].pid, w[i].tid,
			       mpt_since_s(w[i].since_ns));
		printf("]}\n");
		return MPT_EXIT_OK;
	}
	for (i = 0; i < NLS_COLS; i++) {
		li_cell(&li, i, cell, sizeof(cell));
		printf("%-10s %s\n", ls_cols[i].name, cell);
	}
	if (nw) {
		printf("\n%8s %8s %s\n", "PID", "TID", "WAITING");
		for (i = 0; i < nw; i++)
			printf("%8u %8u %.1fs\n", w[i].pid, w[i].tid,
			       mpt_since_s(w[i].since_ns));
	}
	return MPT_EXIT_OK;
}

int cmd_lock(int argc, char **argv)
{
	if (argc < 2) {
		lock_usage(stderr);
		return MPT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		lock_usage(stdout);
		return MPT_EXIT_OK;
	}
	if (!strcmp(argv[1], "create"))
		return l_create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ls"))
		return l_ls(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stat"))
		return l_stat(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rm"))
		return l_rm(argc - 1, argv + 1);
	if (!strcmp(argv[1], "hold"))
		return l_hold(argc - 1, argv + 1);
	if (argv[1][0] == '-' && strcmp(argv[1], "--timeout") &&
	    strncmp(argv[1], "--timeout=", 10))
		return mpt_usage_err("lock: unknown option '%s'", argv[1]);
	return l_hold(argc, argv);
}
