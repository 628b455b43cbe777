/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_STATS_H
#define _MPT_STATS_H

#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/types.h>

struct sk_buff;

/**
 * struct mpt_stats - module-wide counters, reported by MPT_CMD_GET_STATS
 *
 * Plain atomics: nothing here is on a hot path yet.  Each field is
 * described by the matching MPT_STATS_A_* attribute in linux/mptrace.h.
 */
struct mpt_stats {
	u64		loaded_ns;
	atomic_t	dev_open;
	atomic64_t	dev_opens;
	atomic64_t	dev_ioctls;
	atomic64_t	nl_requests;
	atomic64_t	bad_requests;
	atomic64_t	dev_lost;
	atomic64_t	dev_refused;
	atomic64_t	nl_events;
	atomic64_t	nl_drops;
	atomic64_t	procs_evicted;
	atomic64_t	procs_untracked;
	atomic64_t	queue_refused;
	atomic64_t	lock_refused;
	atomic64_t	lock_token_refused;
};

extern struct mpt_stats mpt_stats;

/* An ioctl's result, counted when it refused a malformed request. */
static inline long mpt_ioctl_result(long ret)
{
	if (ret == -ENOTTY || ret == -EFAULT || ret == -EINVAL)
		atomic64_inc(&mpt_stats.bad_requests);
	return ret;
}

void mpt_stats_init(void);
int mpt_stats_fill(struct sk_buff *skb, int attrtype);
size_t mpt_stats_size(void);

#endif /* _MPT_STATS_H */
