/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mptrace demo: the scenarios of the multiprocessing tutorials mptrace
 * grew from, replayed with real processes, queues and locks.  Each one
 * narrates, shows the events the module saw and checks the outcome
 * against an independent truth (/proc, return values, counts), so that
 * `mptrace demo all` is also a test.
 */
#ifndef MPT_DEMO_H
#define MPT_DEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "libmptrace.h"
#include "mptrace.h"

struct demo_ctx {
	const char *name;		/* the demo running */
	pid_t self;			/* the narrator: the demo's own process */
	int devfd;			/* /dev/mptrace, reading events */
	struct mpt_pidset tree;		/* the demo's processes, as seen forking */
	struct mpt_event_view *ev;	/* every event of the demo's processes */
	size_t nev, ev_cap;
	uint64_t lost;			/* events the reader missed */
	uint32_t show;			/* 1 << MPT_EV_* shown (0: all) */
	unsigned int hidden;		/* kept but not shown */
	double pace;			/* seconds between steps */
	bool json;
	unsigned int checks, failed;
	char obj[64];			/* name prefix of its queues and locks */
};

struct demo {
	const char *name;
	const char *title;		/* one line: what it shows */
	const char *python;		/* the Python it replays */
	uint32_t show;			/* events it shows: 1 << MPT_EV_*, 0: all */
	int (*run)(struct demo_ctx *d);
};

/* What the demos about queues and locks show: not every zombie and reap. */
#define DEMO_SHOW_IPC	(~((1u << MPT_EV_ZOMBIE) | (1u << MPT_EV_REAP)))

extern const struct demo demo_create, demo_join, demo_isolation,
	demo_attributes, demo_daemon, demo_zombie, demo_orphan, demo_ticket,
	demo_queue, demo_pipe, demo_producer_consumer, demo_deadlock,
	demo_rlock, demo_pool;

/* A step of the story: a heading, after a pause of --pace seconds. */
void demo_step(struct demo_ctx *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A sentence, from the narrator or (marked with its pid) a child. */
void demo_say(struct demo_ctx *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Record a check: true when @ok.  A failed one fails the demo. */
bool demo_check(struct demo_ctx *d, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * fork(2) a process named @comm (prctl PR_SET_NAME): 0 in the child, its
 * pid in the parent, -1 (and a failed check) when fork fails.  Children
 * end with _exit(); stdout is flushed first so nothing prints twice.
 */
pid_t demo_fork(struct demo_ctx *d, const char *comm);
/* waitpid(@pid) with a timeout of @ms: its status, or -1 (and kill it). */
int demo_wait(struct demo_ctx *d, pid_t pid, int ms);
/* Reap whatever is left (children and adopted orphans), killing them. */
void demo_reap_all(struct demo_ctx *d);
/* Read @fd to end-of-file into @buf (room @len, NUL-ended); the length. */
size_t demo_read_eof(int fd, char *buf, size_t len);
/* Sleep @ms milliseconds. */
void demo_sleep_ms(long ms);
/* Milliseconds since an arbitrary start (CLOCK_MONOTONIC). */
double demo_now_ms(void);

/*
 * Read the events that have arrived, show the demo's own, keep them;
 * stop once nothing new came for @quiet_ms.
 */
void demo_events(struct demo_ctx *d, int quiet_ms);
/* The first kept event of @type about @pid (0: any), or NULL. */
const struct mpt_event_view *demo_find(struct demo_ctx *d, uint32_t type,
				       pid_t pid);
/* Like demo_find(), reading events for up to @ms until it comes. */
const struct mpt_event_view *demo_await(struct demo_ctx *d, uint32_t type,
					pid_t pid, int ms);
/* How many kept events of @type about @pid (0: any). */
unsigned int demo_count(struct demo_ctx *d, uint32_t type, pid_t pid);

/* /proc/PID/stat: state letter and parent; false when PID is gone. */
bool demo_proc_stat(pid_t pid, char *state, pid_t *ppid);
/* mptrace's own record of @pid (struct mpt_proc); false if none. */
bool demo_proc_record(struct demo_ctx *d, pid_t pid, struct mpt_proc *out);

/* A name for a queue or lock of this run: "demo.<run pid>.<what>". */
const char *demo_obj(struct demo_ctx *d, const char *what);

/*
 * A start line for several processes: demo_gate_open() before forking,
 * children demo_gate_wait(), the parent demo_gate_go() releases them all
 * at once (closing the pipe they read).  A child that may block before
 * its demo_gate_wait() calls demo_gate_enter() first, or it holds the
 * line for everyone.
 */
struct demo_gate {
	int fd[2];
};

int demo_gate_open(struct demo_ctx *d, struct demo_gate *g);
/* In a child: let go of the start line's other end (demo_gate_wait does). */
void demo_gate_enter(struct demo_gate *g);
void demo_gate_wait(struct demo_gate *g);	/* in a child */
void demo_gate_go(struct demo_gate *g);		/* in the parent */

#endif /* MPT_DEMO_H */
