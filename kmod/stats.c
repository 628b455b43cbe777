// SPDX-License-Identifier: GPL-2.0
/*
 * Module-wide counters and their netlink encoding.
 */
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <net/netlink.h>
#include <linux/mptrace.h>

#include "dev.h"
#include "ring.h"
#include "stats.h"

struct mpt_stats mpt_stats;

void mpt_stats_init(void)
{
	memset(&mpt_stats, 0, sizeof(mpt_stats));
	mpt_stats.loaded_ns = ktime_get_boottime_ns();
}

/* Worst-case size of the nest mpt_stats_fill() writes. */
size_t mpt_stats_size(void)
{
	return nla_total_size(0) +				/* nest */
	       nla_total_size_64bit(sizeof(u64)) * 10 +		/* u64s */
	       nla_total_size(sizeof(u32));			/* dev_open */
}

int mpt_stats_fill(struct sk_buff *skb, int attrtype)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, attrtype);
	if (!nest)
		return -EMSGSIZE;

	if (nla_put_u64_64bit(skb, MPT_STATS_A_LOADED_NS, mpt_stats.loaded_ns,
			      MPT_STATS_A_PAD) ||
	    nla_put_u32(skb, MPT_STATS_A_DEV_OPEN,
			atomic_read(&mpt_stats.dev_open)) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_DEV_OPENS,
			      atomic64_read(&mpt_stats.dev_opens),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_DEV_IOCTLS,
			      atomic64_read(&mpt_stats.dev_ioctls),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_NL_REQUESTS,
			      atomic64_read(&mpt_stats.nl_requests),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_BAD_REQUESTS,
			      atomic64_read(&mpt_stats.bad_requests),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_RING_BYTES,
			      atomic64_read(&mpt_ring_budget.used),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_RING_BYTES_MAX,
			      mpt_ring_budget.max, MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_DEV_LOST,
			      atomic64_read(&mpt_stats.dev_lost),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_NL_EVENTS,
			      atomic64_read(&mpt_stats.nl_events),
			      MPT_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_STATS_A_NL_DROPS,
			      atomic64_read(&mpt_stats.nl_drops),
			      MPT_STATS_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}

	nla_nest_end(skb, nest);
	return 0;
}
