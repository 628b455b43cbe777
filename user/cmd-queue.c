// SPDX-License-Identifier: GPL-2.0
/*
 * mptrace queue: create, use and inspect kernel-backed queues.
 *
 *	mptrace queue create NAME [--capacity N] [--msgsize B] [--mode M] [--trace | --fast]
 *	mptrace queue put NAME [--timeout S|--nowait] MSG...|-
 *	mptrace queue get NAME [--count N] [--timeout S|--nowait]
 *	mptrace queue done NAME [N]
 *	mptrace queue join NAME [--timeout S|--nowait]
 *	mptrace queue ls
 *	mptrace queue stat NAME
 *	mptrace queue rm NAME
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libmptrace.h"
#include "mptrace.h"

static void queue_usage(FILE *out)
{
	fprintf(out,
		"Usage: mptrace queue SUBCOMMAND NAME [OPTIONS]\n"
		"\n"
		"Kernel-backed message queues with multiprocessing.JoinableQueue\n"
		"semantics: exact depth, task accounting and who waits.\n"
		"\n"
		"  create NAME [--capacity N] [--msgsize B] [--mode MODE] [--trace | --fast]\n"
		"                  make a queue (defaults: %u messages of %u bytes, mode 0600);\n"
		"                  --trace: an event per put and get; --fast: messages in\n"
		"                  a ring its users map, put and got without system calls\n"
		"  put NAME [--timeout S|--nowait] MSG...|-\n"
		"                  put each MSG, or each line of standard input for -\n"
		"  get NAME [--count N] [--timeout S|--nowait] [--inflight]\n"
		"                  get N messages (default 1), each printed on a line\n"
		"  done NAME [N]   mark N got messages (default 1) as done\n"
		"  join NAME [--timeout S|--nowait]\n"
		"                  wait until every message put is done\n"
		"  ls              the queues you may open\n"
		"  stat NAME       one queue: counters, blocked processes, consumers\n"
		"  rm NAME         remove the name (the queue goes with its last user)\n"
		"\n"
		"Options: -j/--json on every subcommand; ls also takes -r -n -o --output-all -H.\n"
		"Messages got by 'get' stay unfinished until 'done', even after it exits;\n"
		"with --inflight they are this process's, released (settled) when it ends.\n"
		"Exit status: 0 success, 1 failure (timeout, empty, full, refused), 2 usage.\n",
		MPT_QUEUE_DEFAULT_CAPACITY, MPT_QUEUE_DEFAULT_MSGSIZE);
}

struct qargs {
	const char *sub;
	const char *name;
	long long timeout_ns;
	long capacity, msgsize, count;
	unsigned int mode;
	bool trace;
	bool fast;
	bool inflight;
	int first;		/* argv index of the first operand after NAME */
};

enum {
	OPT_CAPACITY = 2000, OPT_MSGSIZE, OPT_MODE, OPT_TRACE, OPT_FAST, OPT_TIMEOUT,
	OPT_NOWAIT, OPT_COUNT, OPT_INFLIGHT,
};

/* Which options each subcommand takes. */
static bool sub_takes(const char *sub, int opt)
{
	switch (opt) {
	case OPT_CAPACITY:
	case OPT_MSGSIZE:
	case OPT_MODE:
	case OPT_TRACE:
	case OPT_FAST:
		return !strcmp(sub, "create");
	case OPT_TIMEOUT:
	case OPT_NOWAIT:
		return !strcmp(sub, "put") || !strcmp(sub, "get") ||
		       !strcmp(sub, "join");
	case OPT_COUNT:
	case OPT_INFLIGHT:
		return !strcmp(sub, "get");
	default:
		return false;
	}
}

static int parse_args(int argc, char **argv, struct qargs *a)
{
	static const struct option longopts[] = {
		{ "capacity", required_argument, NULL, OPT_CAPACITY },
		{ "msgsize",  required_argument, NULL, OPT_MSGSIZE },
		{ "mode",     required_argument, NULL, OPT_MODE },
		{ "trace",    no_argument,	 NULL, OPT_TRACE },
		{ "fast",     no_argument,	 NULL, OPT_FAST },
		{ "timeout",  required_argument, NULL, OPT_TIMEOUT },
		{ "nowait",   no_argument,	 NULL, OPT_NOWAIT },
		{ "count",    required_argument, NULL, OPT_COUNT },
		{ "inflight", no_argument,	 NULL, OPT_INFLIGHT },
		{ "help",     no_argument,	 NULL, 'h' },
		{ "json",     no_argument,	 NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c, idx = 0, ret;
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "queue %s", a->sub);
	a->timeout_ns = MPT_FOREVER;
	a->mode = 0600;
	a->count = 1;
	optind = 0;		/* re-initialise: main() parsed in order, we permute */
	opterr = 0;
	/* Options may follow NAME; '-' alone is an operand; -- ends options. */
	while ((c = getopt_long(argc, argv, "hj", longopts, &idx)) != -1) {
		if (c == 'h') {
			queue_usage(stdout);
			return MPT_EXIT_OK;
		}
		if (c == 'j') {
			mpt_opts.json = true;
			continue;
		}
		if (c == '?')
			return mpt_option_err(cmd, "hj", longopts, argv);
		if (!sub_takes(a->sub, c))
			return mpt_usage_err("queue %s: option '--%s' does not apply",
					     a->sub, longopts[idx].name);
		switch (c) {
		case OPT_CAPACITY:
			ret = mpt_parse_num("queue create", "--capacity", optarg,
					    MPT_QUEUE_CAPACITY_MAX, &a->capacity);
			break;
		case OPT_MSGSIZE:
			ret = mpt_parse_num("queue create", "--msgsize", optarg,
					    MPT_QUEUE_MSGSIZE_MAX, &a->msgsize);
			break;
		case OPT_MODE:
			ret = mpt_parse_mode("queue create", optarg, &a->mode);
			break;
		case OPT_TRACE:
			a->trace = true;
			ret = 0;
			break;
		case OPT_FAST:
			a->fast = true;
			ret = 0;
			break;
		case OPT_TIMEOUT:
			ret = mpt_parse_seconds(cmd, optarg, &a->timeout_ns);
			break;
		case OPT_NOWAIT:
			a->timeout_ns = 0;
			ret = 0;
			break;
		case OPT_INFLIGHT:
			a->inflight = true;
			ret = 0;
			break;
		default:
			ret = mpt_parse_num("queue get", "--count", optarg,
					    1000000000L, &a->count);
			break;
		}
		if (ret)
			return ret;
	}
	if (!strcmp(a->sub, "ls"))
		return -1;
	if (optind >= argc)
		return mpt_usage_err("queue %s: which queue? (a NAME is needed)",
				     a->sub);
	a->name = argv[optind];
	a->first = optind + 1;
	return -1;
}

/* Say why a queue operation failed, in words that name the fix. */
static int qfail(const struct qargs *a, const char *what, int err)
{
	switch (-err) {
	case ENOENT:
		mpt_err("queue '%s' does not exist (mptrace queue create %s)",
			a->name, a->name);
		break;
	case EEXIST:
		mpt_err("queue '%s' exists already", a->name);
		break;
	case EACCES:
		mpt_err("queue '%s': its mode does not let you %s it (see mptrace queue stat, as its owner)",
			a->name, what);
		break;
	case EPERM:
		mpt_err("queue '%s': only its owner (or CAP_IPC_OWNER) may %s it",
			a->name, what);
		break;
	case EINVAL:
		if (!strcmp(what, "mark done"))
			mpt_err("queue '%s': more items marked done than were got and not yet done",
				a->name);
		else
			mpt_err("queue '%s': invalid request (names are 1-%d of A-Z a-z 0-9 . _ + : @ -, not starting with '.')",
				a->name, MPT_NAME_LEN - 1);
		break;
	case ENOSPC:
		mpt_err("cannot create queue '%s': the module's max_queues or max_queue_bytes is reached (mptrace stat shows them)",
			a->name);
		break;
	case EAGAIN:
		mpt_err("queue '%s' %s: %s would have to wait (--nowait)",
			a->name, !strcmp(what, "put") ? "is full" :
			!strcmp(what, "get") ? "is empty" : "has unfinished tasks",
			what);
		break;
	case ETIMEDOUT:
		mpt_err("queue '%s': timed out waiting to %s", a->name, what);
		break;
	default:
		mpt_err("queue '%s': cannot %s: %s", a->name, what,
			mpt_strerror(err));
		break;
	}
	return MPT_EXIT_FAIL;
}

static int open_queue(const struct qargs *a, uint32_t flags, const char *what)
{
	int fd = mpt_queue_open(a->name, flags | MPT_QOPEN_CLOEXEC, NULL);

	if (fd < 0)
		qfail(a, what, fd);
	return fd;
}

static int q_create(struct qargs *a, int argc)
{
	struct mpt_queue_params attr = {
		.capacity = a->capacity,
		.msgsize = a->msgsize,
		.mode = a->mode,
		.qflags = (a->trace ? MPT_QUEUE_TRACE : 0) |
			  (a->fast ? MPT_QUEUE_FAST : 0),
	};
	struct mpt_queue_info qi;
	int fd, ret;

	if (a->first < argc)
		return mpt_usage_err("queue create: unexpected argument after NAME");
	if (a->trace && a->fast)
		return mpt_usage_err("queue create: --fast and --trace exclude each other: the kernel does not see the puts and gets of a fast queue, so it cannot trace them (choose one)");
	fd = mpt_queue_open(a->name, MPT_QOPEN_CREATE | MPT_QOPEN_EXCL |
			    MPT_QOPEN_READ | MPT_QOPEN_CLOEXEC, &attr);
	if (fd == -EINVAL && a->fast &&
	    !mpt_have_feature(MPT_FEAT_FAST_QUEUES)) {
		mpt_err("queue '%s': the loaded mptrace.ko has no fast queues (mptrace version shows its features; create it without --fast, or load a newer module)",
			a->name);
		return MPT_EXIT_FAIL;
	}
	if (fd < 0)
		return qfail(a, "create", fd);
	ret = mpt_queue_info(fd, &qi, NULL, NULL, NULL, NULL);
	close(fd);
	if (ret)
		return qfail(a, "read", ret);
	if (mpt_opts.json) {
		printf("{\"name\": ");
		mpt_json_string(stdout, qi.name);
		printf(", \"id\": %llu, \"capacity\": %u, \"msgsize\": %u, \"mode\": \"%04o\", \"trace\": %s, \"fast\": %s}\n",
		       (unsigned long long)qi.id, qi.capacity, qi.msgsize,
		       qi.mode, qi.flags & MPT_QUEUE_TRACE ? "true" : "false",
		       qi.flags & MPT_QUEUE_FAST ? "true" : "false");
	}
	return MPT_EXIT_OK;
}

static int put_one(const struct qargs *a, int fd, const char *msg, size_t len)
{
	int ret = mpt_queue_put(fd, msg, len, a->timeout_ns, NULL);

	if (ret == -EMSGSIZE) {
		struct mpt_queue_info qi;

		if (!mpt_queue_info(fd, &qi, NULL, NULL, NULL, NULL))
			mpt_err("queue '%s': a message of %zu bytes exceeds its msgsize of %u",
				a->name, len, qi.msgsize);
		return MPT_EXIT_FAIL;
	}
	return ret ? qfail(a, "put", ret) : MPT_EXIT_OK;
}

static int q_put(struct qargs *a, int argc, char **argv)
{
	int fd, i, ret = MPT_EXIT_OK;
	char *line = NULL;
	size_t room = 0;
	ssize_t len;

	if (a->first >= argc)
		return mpt_usage_err("queue put: what message? (MSG... or - for standard input)");
	fd = open_queue(a, MPT_QOPEN_WRITE, "write to");
	if (fd < 0)
		return MPT_EXIT_FAIL;
	for (i = a->first; i < argc && !ret; i++) {
		if (strcmp(argv[i], "-")) {
			ret = put_one(a, fd, argv[i], strlen(argv[i]));
			continue;
		}
		while (!ret && (len = getline(&line, &room, stdin)) >= 0) {
			if (len && line[len - 1] == '\n')
				line[--len] = '\0';
			ret = put_one(a, fd, line, len);
		}
		if (!ret && ferror(stdin)) {
			mpt_err("queue put: cannot read standard input: %s (the lines before it were put)",
				strerror(errno));
			ret = MPT_EXIT_FAIL;
		}
	}
	free(line);
	close(fd);
	return ret;
}

static const struct mpt_column get_cols[] = {
	{ "SEQ",     0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "the message's number in the queue" },
	{ "LEN",     0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "its length in bytes" },
	{ "MESSAGE", 0, 0, SCOLS_JSON_STRING, true, "the message" },
};

#define NGET_COLS (sizeof(get_cols) / sizeof(get_cols[0]))

/*
 * A message as a JSON string: libsmartcols writes a cell's bytes as they
 * are, up to a NUL, so every NUL and every byte that is not UTF-8
 * becomes U+FFFD (LEN keeps the message's own length).  @text has room
 * for three bytes a byte.
 */
static const char *json_message(char *msg, size_t len, char *text,
				size_t room)
{
	for (size_t i = 0; i < len; i++)
		if (!msg[i])
			msg[i] = '\xff';	/* never UTF-8 */
	return mpt_cell_text(msg, text, room);
}

/* One message as text, and a line's end: false if stdout failed. */
static bool write_message(const char *msg, size_t len)
{
	return fwrite(msg, 1, len, stdout) == len && putchar('\n') != EOF &&
	       fflush(stdout) != EOF;
}

static int q_get(struct qargs *a, int argc)
{
	struct libscols_table *tb = NULL;
	int fd, ids[NGET_COLS], ret = MPT_EXIT_OK;
	size_t nids, room = 3 * MPT_QUEUE_MSGSIZE_MAX + 1;
	char *buf, *text = NULL;
	long n;

	if (a->first < argc)
		return mpt_usage_err("queue get: unexpected argument after NAME");
	if (mpt_opts.json) {
		tb = mpt_table_new("messages", get_cols, NGET_COLS, ids, &nids);
		if (!tb)
			return MPT_EXIT_USAGE;
	}
	buf = malloc(MPT_QUEUE_MSGSIZE_MAX + 1);
	if (tb)
		text = malloc(room);
	fd = buf && (text || !tb) ? open_queue(a, MPT_QOPEN_READ, "read from") : -1;
	if (fd < 0) {
		free(buf);
		free(text);
		if (tb)
			scols_unref_table(tb);
		return MPT_EXIT_FAIL;
	}
	for (n = 0; n < a->count; n++) {
		uint64_t seq;
		ssize_t len = mpt_queue_get(fd, buf, MPT_QUEUE_MSGSIZE_MAX,
					    a->timeout_ns,
					    a->inflight ? 0 : MPT_QMSG_DETACHED,
					    &seq);

		if (len < 0) {
			ret = qfail(a, "get", len);
			break;
		}
		buf[len] = '\0';
		if (tb) {
			struct libscols_line *ln = scols_table_new_line(tb, NULL);
			char num[2][24];

			snprintf(num[0], sizeof(num[0]), "%llu",
				 (unsigned long long)seq);
			snprintf(num[1], sizeof(num[1]), "%zd", len);
			if (!ln || scols_line_set_data(ln, 0, num[0]) ||
			    scols_line_set_data(ln, 1, num[1]) ||
			    scols_line_set_data(ln, 2, json_message(buf, len, text, room))) {
				mpt_err("out of memory");
				ret = MPT_EXIT_FAIL;
				break;
			}
		} else if (!write_message(buf, len)) {
			/* Taken: it is lost, but no other after it. */
			mpt_err("queue get: cannot write message %llu of queue '%s', taken from it: %s",
				(unsigned long long)seq, a->name, strerror(errno));
			ret = MPT_EXIT_FAIL;
			break;
		}
	}
	close(fd);
	free(buf);
	free(text);
	if (tb) {
		int pret = mpt_table_print(tb);

		return ret ? ret : pret;
	}
	return ret;
}

static int q_done(struct qargs *a, int argc, char **argv)
{
	long count = 1;
	int fd, ret;

	if (a->first < argc &&
	    mpt_parse_num("queue done", "N", argv[a->first], UINT32_MAX, &count))
		return MPT_EXIT_USAGE;
	if (a->first + 1 < argc)
		return mpt_usage_err("queue done: unexpected argument '%s'",
				     argv[a->first + 1]);
	fd = open_queue(a, MPT_QOPEN_READ, "read from");
	if (fd < 0)
		return MPT_EXIT_FAIL;
	ret = mpt_queue_task_done(fd, count);
	close(fd);
	return ret ? qfail(a, "mark done", ret) : MPT_EXIT_OK;
}

static int q_join(struct qargs *a, int argc)
{
	int fd, ret;

	if (a->first < argc)
		return mpt_usage_err("queue join: unexpected argument after NAME");
	fd = mpt_queue_open(a->name, MPT_QOPEN_READ | MPT_QOPEN_CLOEXEC, NULL);
	if (fd == -EACCES)
		fd = mpt_queue_open(a->name, MPT_QOPEN_WRITE | MPT_QOPEN_CLOEXEC,
				    NULL);
	if (fd < 0)
		return qfail(a, "join", fd);
	ret = mpt_queue_join(fd, a->timeout_ns);
	close(fd);
	return ret ? qfail(a, "join", ret) : MPT_EXIT_OK;
}

static int q_rm(struct qargs *a, int argc)
{
	int ret;

	if (a->first < argc)
		return mpt_usage_err("queue rm: unexpected argument after NAME");
	ret = mpt_queue_unlink(a->name);
	return ret ? qfail(a, "remove", ret) : MPT_EXIT_OK;
}

enum {
	COL_NAME, COL_ID, COL_DEPTH, COL_CAPACITY, COL_MSGSIZE, COL_BYTES,
	COL_HWM, COL_PUTS, COL_GETS, COL_UNFINISHED, COL_INFLIGHT, COL_LOOSE,
	COL_RELEASED, COL_DEATHS, COL_BLOCKED, COL_PRODUCERS_BLOCKED,
	COL_CONSUMERS_BLOCKED, COL_JOINS_BLOCKED, COL_FULL_WAITS,
	COL_EMPTY_WAITS, COL_OPENERS, COL_UID, COL_GID, COL_MODE, COL_FLAGS,
	COL_AGE,
};

static const struct mpt_column ls_cols[] = {
	[COL_NAME]	= { "NAME", 0, 0, SCOLS_JSON_STRING, true, "queue name" },
	[COL_ID]	= { "ID", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "queue id" },
	[COL_DEPTH]	= { "DEPTH", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "messages waiting (exact)" },
	[COL_CAPACITY]	= { "CAPACITY", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "messages it holds at most" },
	[COL_MSGSIZE]	= { "MSGSIZE", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "bytes per message at most" },
	[COL_BYTES]	= { "BYTES", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "bytes of the messages waiting" },
	[COL_HWM]	= { "HWM", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "the most messages it ever held" },
	[COL_PUTS]	= { "PUTS", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "messages put" },
	[COL_GETS]	= { "GETS", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "messages got" },
	[COL_UNFINISHED] = { "UNFINISHED", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "tasks not done (join waits for 0)" },
	[COL_INFLIGHT]	= { "INFLIGHT", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "got by a live process, not done" },
	[COL_LOOSE]	= { "LOOSE", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "got detached (queue get), not done" },
	[COL_RELEASED]	= { "RELEASED", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "items settled by their consumer's death" },
	[COL_DEATHS]	= { "DEATHS", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "consumers that died with items in flight" },
	[COL_BLOCKED]	= { "BLOCKED", 0, 0, SCOLS_JSON_STRING, true, "blocked now: producers/consumers/joins" },
	[COL_PRODUCERS_BLOCKED] = { "PUT-WAIT", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "producers blocked now" },
	[COL_CONSUMERS_BLOCKED] = { "GET-WAIT", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "consumers blocked now" },
	[COL_JOINS_BLOCKED] = { "JOIN-WAIT", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "joins blocked now" },
	[COL_FULL_WAITS] = { "FULL", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "times a producer blocked" },
	[COL_EMPTY_WAITS] = { "EMPTY", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "times a consumer blocked" },
	[COL_OPENERS]	= { "OPENERS", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true, "descriptors open on it" },
	[COL_UID]	= { "UID", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "owner" },
	[COL_GID]	= { "GID", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "owner group" },
	[COL_MODE]	= { "MODE", 0, 0, SCOLS_JSON_STRING, true, "permission bits" },
	[COL_FLAGS]	= { "FLAGS", 0, 0, SCOLS_JSON_STRING, false, "trace, fast, deleted" },
	[COL_AGE]	= { "AGE", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false, "seconds since it was created" },
};

#define NLS_COLS (sizeof(ls_cols) / sizeof(ls_cols[0]))

static void qi_cell(const void *row, int col, char *buf, size_t len)
{
	const struct mpt_queue_info *qi = row;
	unsigned long long v;

	switch (col) {
	case COL_NAME:
		snprintf(buf, len, "%s", qi->name);
		return;
	case COL_BLOCKED:
		snprintf(buf, len, "%u/%u/%u", qi->nput, qi->nget, qi->njoin);
		return;
	case COL_MODE:
		snprintf(buf, len, "%04o", qi->mode);
		return;
	case COL_FLAGS:
		snprintf(buf, len, "%s%s%s%s%s",
			 qi->flags & MPT_QUEUE_TRACE ? "trace" : "",
			 (qi->flags & MPT_QUEUE_TRACE) &&
			 (qi->flags & (MPT_QUEUE_FAST | MPT_QUEUE_UNLINKED)) ?
			 "," : "",
			 qi->flags & MPT_QUEUE_FAST ? "fast" : "",
			 (qi->flags & MPT_QUEUE_FAST) &&
			 (qi->flags & MPT_QUEUE_UNLINKED) ? "," : "",
			 qi->flags & MPT_QUEUE_UNLINKED ? "deleted" : "");
		return;
	case COL_AGE:
		snprintf(buf, len, "%.1f", mpt_since_s(qi->created_ns));
		return;
	}
	switch (col) {
	case COL_ID:		v = qi->id; break;
	case COL_DEPTH:		v = qi->depth; break;
	case COL_CAPACITY:	v = qi->capacity; break;
	case COL_MSGSIZE:	v = qi->msgsize; break;
	case COL_BYTES:		v = qi->bytes; break;
	case COL_HWM:		v = qi->hwm; break;
	case COL_PUTS:		v = qi->puts; break;
	case COL_GETS:		v = qi->gets; break;
	case COL_UNFINISHED:	v = qi->unfinished; break;
	case COL_INFLIGHT:	v = qi->unfinished - qi->depth - qi->loose; break;
	case COL_LOOSE:		v = qi->loose; break;
	case COL_RELEASED:	v = qi->released; break;
	case COL_DEATHS:	v = qi->consumer_deaths; break;
	case COL_PRODUCERS_BLOCKED: v = qi->nput; break;
	case COL_CONSUMERS_BLOCKED: v = qi->nget; break;
	case COL_JOINS_BLOCKED:	v = qi->njoin; break;
	case COL_FULL_WAITS:	v = qi->full_waits; break;
	case COL_EMPTY_WAITS:	v = qi->empty_waits; break;
	case COL_OPENERS:	v = qi->openers; break;
	case COL_UID:		v = qi->uid; break;
	default:		v = qi->gid; break;
	}
	snprintf(buf, len, "%llu", v);
}

static int fetch_queues(void **rows, size_t *n)
{
	int fd = mpt_dev_open(O_RDONLY), ret;

	if (fd < 0)
		return fd;
	ret = mpt_dev_get_queues(fd, (struct mpt_queue_info **)rows, n);
	close(fd);
	return ret;
}

static int q_ls(int argc, char **argv)
{
	return mpt_ls(argc, argv, "queue ls", "queues", ls_cols, NLS_COLS, queue_usage,
		      fetch_queues, sizeof(struct mpt_queue_info), qi_cell);
}

static const char *what_name(uint32_t what)
{
	switch (what) {
	case MPT_QW_PUT:
		return "put";
	case MPT_QW_GET:
		return "get";
	case MPT_QW_JOIN:
		return "join";
	default:
		return "?";
	}
}

static void stat_json(const struct mpt_queue_info *qi,
		      const struct mpt_qwaiter *w, uint32_t nw,
		      const struct mpt_qconsumer *c, uint32_t nc)
{
	size_t i;

	printf("{\"queue\": {");
	mpt_json_fields(ls_cols, NLS_COLS, qi, qi_cell);
	printf("}, \"waiters\": [");
	for (i = 0; i < nw; i++)
		printf("%s{\"pid\": %u, \"tid\": %u, \"waits\": \"%s\", \"for_s\": %.3f}",
		       i ? ", " : "", w[i].pid, w[i].tid, what_name(w[i].what),
		       mpt_since_s(w[i].since_ns));
	printf("], \"consumers\": [");
	for (i = 0; i < nc; i++)
		printf("%s{\"pid\": %u, \"inflight\": %llu}", i ? ", " : "",
		       c[i].pid, (unsigned long long)c[i].inflight);
	printf("]}\n");
}

static int q_stat(struct qargs *a, int argc)
{
	static struct mpt_qwaiter w[MPT_QUEUE_LIST_MAX];
	static struct mpt_qconsumer c[MPT_QUEUE_LIST_MAX];
	uint32_t nw = MPT_QUEUE_LIST_MAX, nc = MPT_QUEUE_LIST_MAX, i;
	struct mpt_queue_info qi;
	char cell[96];
	int fd, ret;

	if (a->first < argc)
		return mpt_usage_err("queue stat: unexpected argument after NAME");
	fd = mpt_dev_open(O_RDONLY);
	if (fd < 0) {
		mpt_err("cannot open %s: %s", MPT_DEVICE_PATH, mpt_strerror(fd));
		return MPT_EXIT_FAIL;
	}
	ret = mpt_queue_info_name(fd, a->name, &qi, w, &nw, c, &nc);
	close(fd);
	if (ret)
		return qfail(a, "inspect", ret);
	if (mpt_opts.json) {
		stat_json(&qi, w, nw, c, nc);
		return MPT_EXIT_OK;
	}
	for (i = 0; i < NLS_COLS; i++) {
		qi_cell(&qi, i, cell, sizeof(cell));
		printf("%-10s %s\n", ls_cols[i].name, cell);
	}
	if (nw) {
		printf("\n%8s %8s %-5s %s\n", "PID", "TID", "WAITS", "FOR");
		for (i = 0; i < nw; i++)
			printf("%8u %8u %-5s %.1fs\n", w[i].pid, w[i].tid,
			       what_name(w[i].what), mpt_since_s(w[i].since_ns));
	}
	if (nc) {
		printf("\n%8s %s\n", "PID", "INFLIGHT");
		for (i = 0; i < nc; i++)
			printf("%8u %llu\n", c[i].pid,
			       (unsigned long long)c[i].inflight);
	}
	return MPT_EXIT_OK;
}

int cmd_queue(int argc, char **argv)
{
	static const char *const subs[] = {
		"create", "put", "get", "done", "join", "ls", "stat", "rm",
	};
	struct qargs a = { 0 };
	size_t i;
	int ret;

	if (argc < 2) {
		queue_usage(stderr);
		return MPT_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		queue_usage(stdout);
		return MPT_EXIT_OK;
	}
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i]))
			break;
	if (i == sizeof(subs) / sizeof(subs[0]))
		return mpt_usage_err("queue: unknown subcommand '%s' (create, put, get, done, join, ls, stat, rm)",
				     argv[1]);
	a.sub = subs[i];
	if (!strcmp(a.sub, "ls"))
		return q_ls(argc - 1, argv + 1);

	ret = parse_args(argc - 1, argv + 1, &a);
	if (ret >= 0)
		return ret;
	a.first++;		/* indexes of argv + 1 to argv */
	if (!strcmp(a.sub, "create"))
		return q_create(&a, argc);
	if (!strcmp(a.sub, "put"))
		return q_put(&a, argc, argv);
	if (!strcmp(a.sub, "get"))
		return q_get(&a, argc);
	if (!strcmp(a.sub, "done"))
		return q_done(&a, argc, argv);
	if (!strcmp(a.sub, "join"))
		return q_join(&a, argc);
	if (!strcmp(a.sub, "stat"))
		return q_stat(&a, argc);
	return q_rm(&a, argc);
}
