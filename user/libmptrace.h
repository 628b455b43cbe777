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
#include <stdint.h>
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
};

/* Return 0 to go on, anything else to stop (mpt_*_events returns it). */
typedef int (*mpt_event_cb)(const struct mpt_event_view *ev, void *arg);

/* Join the events group (needs CAP_SYS_ADMIN: -EPERM otherwise). */
int mpt_nl_subscribe(struct mpt_nl *nl);
/*
 * Wait up to @timeout_ms (-1: forever) for events and hand each to @cb.
 * Returns 0 on timeout, @cb's non-zero result, or a negative errno.
 */
int mpt_nl_events(struct mpt_nl *nl, int timeout_ms, mpt_event_cb cb,
		  void *arg);
/* Subscribe an open /dev/mptrace with a ring of @slots records. */
int mpt_dev_subscribe(int fd, uint32_t slots);
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
