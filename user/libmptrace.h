/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmptrace - the small C library under the mptrace CLI.
 *
 * Every function returns 0 (or a non-negative value) on success and a
 * negative errno on failure; none prints anything.  mpt_strerror() turns
 * such an errno into a sentence that names the fix.
 */
#ifndef LIBMPTRACE_H
#define LIBMPTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/mptrace.h>

/* /dev/mptrace */
int mpt_dev_open(int flags);
int mpt_dev_version(int fd, struct mpt_version *v);

/* The generic netlink family "mptrace". */
struct mpt_nl;

int mpt_nl_open(struct mpt_nl **nlp);
void mpt_nl_close(struct mpt_nl *nl);
/* The extended ACK message of the last failed request, or NULL. */
const char *mpt_nl_errmsg(const struct mpt_nl *nl);

struct mpt_nl_version {
	uint32_t abi;
	uint64_t features;
	char version[MPT_VERSION_LEN];
};

int mpt_nl_get_version(struct mpt_nl *nl, uint32_t need_abi,
		       struct mpt_nl_version *v);

struct mpt_nl_stats {
	bool present[MPT_STATS_A_MAX + 1];
	uint64_t value[MPT_STATS_A_MAX + 1];
};

int mpt_nl_get_stats(struct mpt_nl *nl, struct mpt_nl_stats *st);

/*
 * Events, from either channel, in one form.  On netlink a gap in the
 * sequence numbers is handed over as an MPT_EV_LOST event (@seq the first
 * missing, @lost how many), as /dev hands over its LOST records.
 */
struct mpt_event_view {
	uint32_t type;		/* enum mpt_event_type */
	uint32_t flags;		/* MPT_EVF_* */
	uint64_t seq;
	uint64_t time_ns;
	uint32_t pid, tid, ppid, uid;
	char comm[MPT_COMM_LEN];
	uint32_t parent_pid, parent_tid;	/* FORK */
	uint32_t old_tid, exec_flags;		/* EXEC */
	char filename[MPT_FILENAME_LEN];	/* EXEC */
	int32_t status;				/* EXIT, ZOMBIE, REAP */
	uint64_t lost;				/* LOST */
	uint32_t reaper_pid, how;		/* REAP */
	uint64_t zombie_ns;			/* REAP */
	uint32_t old_ppid, orig_ppid;		/* ORPHAN */
	uint32_t info_flags;			/* REAP, ORPHAN: MPT_REAP_*, MPT_ORPHAN_* */
	uint64_t obj_id;			/* QUEUE_*: the queue's id */
	char obj_name[MPT_NAME_LEN];		/* QUEUE_*: its name */
	uint32_t depth, len;			/* QUEUE_* */
	uint64_t count;				/* QUEUE_CONSUMER_DIED, PUT, GET;
						 * LOCK_ACQUIRE, RELEASE: recursion;
						 * DEADLOCK: cycle length */
	uint32_t owner_pid, owner_tid;		/* LOCK_CONTENDED */
	uint64_t ns;				/* LOCK_*: wait or hold */
	uint32_t waiters;			/* LOCK_* */
	uint32_t ncycle;			/* DEADLOCK: entries in cycle */
	struct mpt_deadlock_entry cycle[MPT_DEADLOCK_MAX];
	uint64_t group_seq;			/* netlink, a class's group:
						 * its number there; else 0 */
};

/* Return 0 to go on, anything else to stop (mpt_*_events returns it). */
typedef int (*mpt_event_cb)(const struct mpt_event_view *ev, void *arg);

/* Join the events group (needs CAP_SYS_ADMIN: -EPERM otherwise). */
int mpt_nl_subscribe(struct mpt_nl *nl);
/*
 * Join the group of the events of @types (1 << MPT_EV_*) alone when they
 * are all of one class (MPT_MCGRP_PROCS and the others), else the events
 * group: the module then neither makes nor sends the other classes' for
 * this listener.  A module without the class's group gives the events
 * group too; other events than @types may come either way.  Returns 1
 * when it joined a class's group, 0 the events group, or a negative
 * errno (-EPERM without CAP_SYS_ADMIN).
 */
int mpt_nl_subscribe_types(struct mpt_nl *nl, uint32_t types);
/* The multicast group an event of @type is in besides MPT_MCGRP_EVENTS. */
const char *mpt_nl_class_group(uint32_t type);
/*
 * Wait up to @timeout_ms (-1: forever) for events and hand each to @cb.
 * Returns 0 on timeout, @cb's non-zero result, or a negative errno.
 * Only the kernel's messages count: what another process sent to the
 * socket's port is dropped unread.
 */
int mpt_nl_events(struct mpt_nl *nl, int timeout_ms, mpt_event_cb cb,
		  void *arg);
/*
 * Subscribe an open /dev/mptrace with a ring of @slots records.  Past the
 * module's limits: -ENOSPC (ring memory, all readers' or this user's) or
 * -EMFILE (this user's readers); mpt_ring_strerror() says which limit.
 */
int mpt_dev_subscribe(int fd, uint32_t slots);
const char *mpt_ring_strerror(int err);
/* Narrow what it receives (see struct mpt_filter). */
int mpt_dev_filter(int fd, uint32_t types, uint32_t flags, uint32_t pid);
int mpt_dev_events(int fd, int timeout_ms, mpt_event_cb cb, void *arg);

/*
 * The process table (see struct mpt_proc): every process the caller may
 * see, in pid order, into a malloc'ed array (*@procs, *@n).  Through
 * netlink when @nl is given, else through /dev/mptrace.
 */
int mpt_nl_get_procs(struct mpt_nl *nl, struct mpt_proc **procs, size_t *n);
int mpt_dev_get_procs(int fd, struct mpt_proc **procs, size_t *n);

/*
 * Queues (linux/mptrace.h, "Queues").  A queue's file descriptor comes
 * from mpt_queue_open(); it is shared across fork(2) like any other.
 * Timeouts are in nanoseconds: MPT_FOREVER (negative) blocks as long as
 * needed, 0 never blocks (-EAGAIN), a positive value blocks at most that
 * long (-ETIMEDOUT).  Every call returns a negative errno on failure.
 */
#define MPT_FOREVER	(-1LL)

/* Attributes of a new queue; zeros take the defaults. */
struct mpt_queue_params {
	uint32_t capacity;	/* messages */
	uint32_t msgsize;	/* bytes per message */
	uint32_t mode;		/* permission bits, e.g. 0600 */
	uint32_t qflags;	/* MPT_QUEUE_TRACE */
};

/*
 * Open queue @name with @flags (MPT_QOPEN_*: READ and/or WRITE, CREATE,
 * EXCL, NONBLOCK, CLOEXEC); @attr is used when CREATE makes it (NULL:
 * defaults, mode 0600).  Returns the descriptor.
 */
int mpt_queue_open(const char *name, uint32_t flags,
		   const struct mpt_queue_params *attr);
/* Remove @name; the queue lives while descriptors are open on it. */
int mpt_queue_unlink(const char *name);
/* Put @len bytes; *@seq (if not NULL) gets the message's number. */
int mpt_queue_put(int qfd, const void *buf, size_t len, long long timeout_ns,
		  uint64_t *seq);
/*
 * Get the oldest message into @buf (room @len); returns its length.
 * @flags: MPT_QMSG_DETACHED or 0.  -EMSGSIZE when it does not fit
 * (nothing is taken).
 */
ssize_t mpt_queue_get(int qfd, void *buf, size_t len, long long timeout_ns,
		      uint32_t flags, uint64_t *seq);
/* Mark @count items got from the queue as done. */
int mpt_queue_task_done(int qfd, uint32_t count);
/* Wait until every message put has been marked done (or released). */
int mpt_queue_join(int qfd, long long timeout_ns);
/*
 * What the queue holds and who waits on it.  @waiters and @consumers may
 * be NULL; *@nwaiters and *@nconsumers give their room and receive how
 * many were written.  By descriptor (mpt_queue_info) or, on an open
 * /dev/mptrace @devfd, by name (mpt_queue_info_name).
 */
int mpt_queue_info(int qfd, struct mpt_queue_info *qi,
		   struct mpt_qwaiter *waiters, uint32_t *nwaiters,
		   struct mpt_qconsumer *consumers, uint32_t *nconsumers);
int mpt_queue_info_name(int devfd, const char *name,
			struct mpt_queue_info *qi,
			struct mpt_qwaiter *waiters, uint32_t *nwaiters,
			struct mpt_qconsumer *consumers, uint32_t *nconsumers);
/* Every queue the caller may open, by id, into a malloc'ed array. */
int mpt_dev_get_queues(int devfd, struct mpt_queue_info **qs, size_t *n);
/*
 * The same through netlink, with each queue's waiters and consumers (at
 * most MPT_QUEUE_DUMP_LIST each) in the malloc'ed arrays *@waiters and
 * *@consumers: qs[i].waiters is the index there of its first waiter and
 * qs[i].waiters_max their number; the same for consumers.
 */
int mpt_nl_get_queues(struct mpt_nl *nl, struct mpt_queue_info **qs,
		      size_t *n, struct mpt_qwaiter **waiters,
		      struct mpt_qconsumer **consumers);

/*
 * Locks (linux/mptrace.h, "Locks").  mpt_lock_open() takes the flags of
 * mpt_queue_open() (WRITE to acquire, READ to inspect; no NONBLOCK) and,
 * with CREATE, the kind (MPT_LOCK_MUTEX or MPT_LOCK_RECURSIVE), mode and
 * MPT_LOCK_TRACE or MPT_LOCK_FAST (not both).  mpt_lock_acquire() takes
 * a timeout as the queue calls do (0: try, -EBUSY when held); it returns
 * 0, or -EOWNERDEAD when it got the lock from an owner that died holding
 * it (the lock is then held, as with a robust pthread mutex; *@out says
 * who died).  Other errors: -EDEADLK (a wait-for cycle, or a mutex the
 * caller holds), -EAGAIN (a recursive lock the caller holds 2^32 - 1
 * times already), -ETIMEDOUT, -EINTR.  Only the owner thread may release
 * (-EPERM).
 */
int mpt_lock_open(const char *name, uint32_t flags, uint32_t kind,
		  uint32_t mode, uint32_t lflags);
int mpt_lock_unlink(const char *name);
int mpt_lock_acquire(int lfd, long long timeout_ns, struct mpt_lock_acq *out);
int mpt_lock_release(int lfd);
int mpt_lock_info(int lfd, struct mpt_lock_info *li,
		  struct mpt_lwaiter *waiters, uint32_t *nwaiters);
int mpt_lock_info_name(int devfd, const char *name, struct mpt_lock_info *li,
		       struct mpt_lwaiter *waiters, uint32_t *nwaiters);
int mpt_dev_get_locks(int devfd, struct mpt_lock_info **ls, size_t *n);

/*
 * Fast locks (created with MPT_LOCK_FAST; linux/mptrace.h, "Fast
 * locks"): taken and released without a system call unless the caller
 * must wait or wake a waiter.
 * mpt_lock_fast_map() maps the lock of @lfd (opened with MPT_QOPEN_WRITE:
 * -EBADF otherwise; -ENODEV for a lock that is not fast) into a handle
 * that does not own @lfd: close it after mpt_lock_fast_unmap().  The
 * handle is shared by the threads of the process and inherited by
 * fork(); mpt_lock_fast_acquire() and mpt_lock_fast_release() behave as
 * mpt_lock_acquire() and mpt_lock_release(), with the same results.  An
 * acquisition made in user space fills *@out with count alone (flags
 * and waited_ns 0).  Each thread asks the module once for its token;
 * when it gets none (-ENOSPC: too many threads), it takes and releases
 * through the ioctls.  A child made by a raw clone(2) or by glibc's
 * _Fork(), which both bypass pthread_atfork(3), has the parent thread's
 * token: it must use mpt_lock_acquire() and mpt_lock_release() on the
 * descriptor instead.
 */
struct mpt_lock_fast;

int mpt_lock_fast_map(int lfd, struct mpt_lock_fast **out);
int mpt_lock_fast_acquire(struct mpt_lock_fast *h, long long timeout_ns,
			  struct mpt_lock_acq *out);
int mpt_lock_fast_release(struct mpt_lock_fast *h);
void mpt_lock_fast_unmap(struct mpt_lock_fast *h);

/*
 * Fast queues (created with MPT_QUEUE_FAST; linux/mptrace.h, "Fast
 * queues"): messages put and got in a ring the queue's file maps, without
 * a system call unless the caller must wait or wake a waiter.
 * mpt_queue_fast_map() maps the queue of @qfd (opened with both
 * MPT_QOPEN_READ and MPT_QOPEN_WRITE: -EBADF otherwise; -ENODEV for a
 * queue that is not fast) into a handle that does not own @qfd: close it
 * after mpt_queue_fast_unmap().  The handle is shared by the threads of
 * the process and inherited by fork(); mpt_queue_fast_put() and
 * mpt_queue_fast_get() behave as mpt_queue_put() and mpt_queue_get(),
 * with the same results, except that: mpt_queue_fast_get() takes
 * MPT_QMSG_DETACHED or 0 alone in @flags (-EINVAL otherwise); a bad @buf
 * faults (SIGSEGV) where the ring is copied in user space, rather than
 * failing with -EFAULT; and mpt_queue_fast_map() fails with -EPROTO
 * when the ring's header does not hold the module's layout (a sharer
 * wrote there).  Each thread attaches to a handle's ring once (an entry
 * and a token), on its first put or get through it; afterwards a put or
 * get on a ring neither full nor empty makes no system call, through up
 * to 64 handles mapped at once (past that, a thread alternating between
 * handles may attach again, a system call, at each switch).  A queue has
 * 256 entries for the threads of all the processes that map it, and a
 * thread keeps its entry until it ends; a thread that gets none (-ENOSPC:
 * the entries or the tokens ran out), and MPT_QMSG_DETACHED gets, go
 * through the ioctls.  A child made by a raw clone(2) or by _Fork() must
 * use the descriptor instead, as with fast locks.
 */
struct mpt_queue_fast;

int mpt_queue_fast_map(int qfd, struct mpt_queue_fast **out);
int mpt_queue_fast_put(struct mpt_queue_fast *h, const void *buf,
		       size_t len, long long timeout_ns, uint64_t *seq);
ssize_t mpt_queue_fast_get(struct mpt_queue_fast *h, void *buf, size_t len,
			   long long timeout_ns, uint32_t flags, uint64_t *seq);
void mpt_queue_fast_unmap(struct mpt_queue_fast *h);

/* "fork", "exec", ... for an event type; NULL if unknown. */
const char *mpt_event_name(uint32_t type);

/*
 * A sentence for a negative errno from this library, naming the fix where
 * there is one (e.g. "module not loaded: run insmod kmod/mptrace.ko").
 */
const char *mpt_strerror(int err);

/* True when the module is loaded (/sys/module/mptrace exists). */
bool mpt_module_loaded(void);

#endif /* LIBMPTRACE_H */
