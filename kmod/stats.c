// SPDX-License-Identifier: GPL-2.0
/*
 * Module-wide counters and their netlink encoding.
 */
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <net/netlink.h>
#include <linux/mptrace.h>

#include "dev.h"
#include "lock.h"
#include "procs.h"
#include "queue.h"
#include "ring.h"
#include "stats.h"

struct mpt_stats mpt_stats;

void mpt_stats_init(void)
{
	memset(&mpt_stats, 0, sizeof(mpt_stats));
	mpt_stats.loaded_ns = ktime_get_boottime_ns();
}

/* The counters kept as atomic64_t, by their attribute. */
static atomic64_t *mpt_stats_u64(int attr)
{
	switch (attr) {
	case MPT_STATS_A_DEV_OPENS:	return &mpt_stats.dev_opens;
	case MPT_STATS_A_DEV_IOCTLS:	return &mpt_stats.dev_ioctls;
	case MPT_STATS_A_NL_REQUESTS:	return &mpt_stats.nl_requests;
	case MPT_STATS_A_BAD_REQUESTS:	return &mpt_stats.bad_requests;
	case MPT_STATS_A_RING_BYTES:	return &mpt_ring_budget.used;
	case MPT_STATS_A_DEV_LOST:	return &mpt_stats.dev_lost;
	case MPT_STATS_A_DEV_REFUSED:	return &mpt_stats.dev_refused;
	case MPT_STATS_A_NL_EVENTS:	return &mpt_stats.nl_events;
	case MPT_STATS_A_NL_DROPS:	return &mpt_stats.nl_drops;
	case MPT_STATS_A_PROCS_EVICTED:	return &mpt_stats.procs_evicted;
	case MPT_STATS_A_PROCS_UNTRACKED: return &mpt_stats.procs_untracked;
	case MPT_STATS_A_QUEUE_REFUSED:	return &mpt_stats.queue_refused;
	case MPT_STATS_A_LOCK_REFUSED:	return &mpt_stats.lock_refused;
	case MPT_STATS_A_LOCK_TOKEN_REFUSED:
		return &mpt_stats.lock_token_refused;
	default:			return NULL;
	}
}

/* Worst-case size of the nest mpt_stats_fill() writes: every attribute. */
size_t mpt_stats_size(void)
{
	return nla_total_size(0) +
	       nla_total_size(sizeof(u32)) +			/* dev_open */
	       nla_total_size_64bit(sizeof(u64)) * (MPT_STATS_A_MAX - 2);
}

int mpt_stats_fill(struct sk_buff *skb, int attrtype)
{
	struct nlattr *nest;
	int attr;

	nest = nla_nest_start(skb, attrtype);
	if (!nest)
		return -EMSGSIZE;

	if (nla_put_u64_64bit(skb, MPT_STATS_A_LOADED_NS, mpt_stats.loaded_ns,
			      MPT_STATS_A_PAD) ||
	    nla_put_u32(skb, MPT_STATS_A_DEV_OPEN,
			atomic_read(&mpt_stats.dev_open)) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_RING_BYTES_MAX,
			      mpt_ring_budget.max, MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_RING_BYTES_USER_MAX,
			      mpt_dev_ring_user_max(), MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_RING_BYTES_CLOSING,
			      mpt_dev_ring_closing(), MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_DEV_READERS, mpt_dev_readers(),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_DEV_READERS_USER_MAX,
			      mpt_dev_readers_user_max(), MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_PROCS, mpt_procs_count(),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_PROCS_MAX, mpt_procs_max(),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_PROCS_BYTES, mpt_procs_bytes(),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_QUEUES, mpt_queues_count(),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_QUEUES_MAX, mpt_queues_max(),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_QUEUE_BYTES,
			      mpt_queues_reserved(), MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_QUEUE_BYTES_MAX,
			      mpt_queues_bytes_max(), MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_QUEUE_MSG_BYTES,
			      mpt_queues_msg_bytes(), MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_LOCKS, mpt_locks_count(),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_LOCKS_MAX, mpt_locks_max(),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_LOCKS_HELD, mpt_locks_held(),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_LOCK_TOKENS, mpt_lock_tokens(),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_LOCK_TOKENS_MAX,
			      mpt_lock_tokens_max(), MPT_STATS_A_PAD))
		goto cancel;
	for (attr = MPT_STATS_A_PAD + 1; attr <= MPT_STATS_A_MAX; attr++) {
		atomic64_t *v = mpt_stats_u64(attr);

		if (v && nla_put_u64_64bit(skb, attr, atomic64_read(v),
					   MPT_STATS_A_PAD))
			goto cancel;
	}
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}
