// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "mptrace": per-command policies, so that
 * the core rejects any attribute a command does not take, and the
 * multicast group that carries events.
 */
#include <linux/jiffies.h>
#include <linux/pid_namespace.h>
#include <linux/user_namespace.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <linux/mptrace.h>

#include "event.h"
#include "netlink.h"
#include "ring.h"
#include "lock.h"
#include "procs.h"
#include "queue.h"
#include "stats.h"
#include "track.h"

static struct genl_family mpt_genl_family;

static int mpt_nl_pre_doit(const struct mpt_genl_pre_doit_ops *ops,
			   struct sk_buff *skb, struct genl_info *info)
{
	atomic64_inc(&mpt_stats.nl_requests);
	return 0;
}

static int mpt_nl_get_version(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *abi = info->attrs[MPT_A_ABI];
	struct sk_buff *msg;
	void *hdr;

	if (abi && nla_get_u32(abi) > MPT_ABI_VERSION) {
		atomic64_inc(&mpt_stats.bad_requests);
		NL_SET_ERR_MSG_ATTR(info->extack, abi,
				    "requested ABI is newer than the module's: load a newer mptrace.ko");
		return -EPROTO;
	}

	msg = genlmsg_new(nla_total_size(sizeof(u32)) +
			  nla_total_size(MPT_VERSION_LEN) +
			  nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &mpt_genl_family, 0,
				MPT_CMD_GET_VERSION);
	if (!hdr)
		goto err_size;

	if (nla_put_u32(msg, MPT_A_ABI, MPT_ABI_VERSION) ||
	    nla_put_string(msg, MPT_A_VERSION, MPT_VERSION) ||
	    nla_put_u64_64bit(msg, MPT_A_FEATURES,
			      mpt_features(), MPT_A_PAD))
		goto err_size;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_size:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int mpt_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(mpt_stats_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &mpt_genl_family, 0,
				MPT_CMD_GET_STATS);
	if (!hdr || mpt_stats_fill(msg, MPT_A_STATS)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * GET_PROCS: the caller's view, as for a /dev reader, kept from the
 * start of the dump in cb->args[0]; cb->args[1] is the next pid.
 */
static int mpt_nl_procs_start(struct netlink_callback *cb)
{
	struct mpt_procs_view *view;

	atomic64_inc(&mpt_stats.nl_requests);
	view = kzalloc(sizeof(*view), GFP_KERNEL);
	if (!view)
		return -ENOMEM;
	view->ns = get_pid_ns(task_active_pid_ns(current));
	view->userns = get_user_ns(current_user_ns());
	view->uid = current_uid();
	view->all_users =
		netlink_ns_capable(cb->skb, view->ns->user_ns, CAP_SYS_ADMIN) ||
		netlink_ns_capable(cb->skb, view->ns->user_ns, CAP_PERFMON);
	cb->args[0] = (long)view;
	cb->args[1] = 1;
	return 0;
}

static int mpt_nl_procs_done(struct netlink_callback *cb)
{
	struct mpt_procs_view *view = (struct mpt_procs_view *)cb->args[0];

	if (view) {
		put_user_ns(view->userns);
		put_pid_ns(view->ns);
		kfree(view);
	}
	return 0;
}

static int mpt_nl_put_proc(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct mpt_proc *p)
{
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &mpt_genl_family, NLM_F_MULTI, MPT_CMD_GET_PROCS);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, MPT_A_PROC);
	if (!nest ||
	    nla_put_u32(skb, MPT_PROC_A_PID, p->pid) ||
	    nla_put_u32(skb, MPT_PROC_A_PPID, p->ppid) ||
	    nla_put_u32(skb, MPT_PROC_A_ORIG_PPID, p->orig_ppid) ||
	    nla_put_u32(skb, MPT_PROC_A_UID, p->uid) ||
	    nla_put_u32(skb, MPT_PROC_A_FLAGS, p->flags) ||
	    nla_put_u32(skb, MPT_PROC_A_THREADS, p->threads) ||
	    nla_put_u64_64bit(skb, MPT_PROC_A_START_NS, p->start_ns,
			      MPT_PROC_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_PROC_A_EXIT_NS, p->exit_ns,
			      MPT_PROC_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_PROC_A_ORPHAN_NS, p->orphan_ns,
			      MPT_PROC_A_PAD) ||
	    nla_put_s32(skb, MPT_PROC_A_STATUS, p->status) ||
	    nla_put_u8(skb, MPT_PROC_A_STATE, p->state) ||
	    nla_put_u8(skb, MPT_PROC_A_WHY, p->why) ||
	    nla_put_string(skb, MPT_PROC_A_COMM, p->comm)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
}

/* One message per process; a process that does not fit comes next time. */
static int mpt_nl_procs_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct mpt_procs_view *view = (void *)cb->args[0];
	u32 nr = cb->args[1], cur;
	struct mpt_proc p;

	for (;;) {
		cur = nr;
		if (!mpt_procs_next(view, &nr, &p))
			break;
		if (mpt_nl_put_proc(skb, cb, &p)) {
			nr = cur;
			break;
		}
	}
	cb->args[1] = nr;
	return skb->len;
}

/* A field of a struct (u64 or u32, by table), and its attribute. */
struct mpt_nl_field {
	int	attr;
	size_t	off;
};

static const struct mpt_nl_field mpt_nl_queue_f64[] = {
	{ MPT_QUEUE_A_ID, offsetof(struct mpt_queue_info, id) },
	{ MPT_QUEUE_A_BYTES, offsetof(struct mpt_queue_info, bytes) },
	{ MPT_QUEUE_A_PUTS, offsetof(struct mpt_queue_info, puts) },
	{ MPT_QUEUE_A_GETS, offsetof(struct mpt_queue_info, gets) },
	{ MPT_QUEUE_A_UNFINISHED, offsetof(struct mpt_queue_info, unfinished) },
	{ MPT_QUEUE_A_LOOSE, offsetof(struct mpt_queue_info, loose) },
	{ MPT_QUEUE_A_RELEASED, offsetof(struct mpt_queue_info, released) },
	{ MPT_QUEUE_A_CONSUMER_DEATHS, offsetof(struct mpt_queue_info, consumer_deaths) },
	{ MPT_QUEUE_A_FULL_WAITS, offsetof(struct mpt_queue_info, full_waits) },
	{ MPT_QUEUE_A_EMPTY_WAITS, offsetof(struct mpt_queue_info, empty_waits) },
	{ MPT_QUEUE_A_CREATED_NS, offsetof(struct mpt_queue_info, created_ns) },
};

static const struct mpt_nl_field mpt_nl_queue_f32[] = {
	{ MPT_QUEUE_A_CAPACITY, offsetof(struct mpt_queue_info, capacity) },
	{ MPT_QUEUE_A_MSGSIZE, offsetof(struct mpt_queue_info, msgsize) },
	{ MPT_QUEUE_A_FLAGS, offsetof(struct mpt_queue_info, flags) },
	{ MPT_QUEUE_A_MODE, offsetof(struct mpt_queue_info, mode) },
	{ MPT_QUEUE_A_UID, offsetof(struct mpt_queue_info, uid) },
	{ MPT_QUEUE_A_GID, offsetof(struct mpt_queue_info, gid) },
	{ MPT_QUEUE_A_DEPTH, offsetof(struct mpt_queue_info, depth) },
	{ MPT_QUEUE_A_HWM, offsetof(struct mpt_queue_info, hwm) },
	{ MPT_QUEUE_A_OPENERS, offsetof(struct mpt_queue_info, openers) },
	{ MPT_QUEUE_A_NPUT, offsetof(struct mpt_queue_info, nput) },
	{ MPT_QUEUE_A_NGET, offsetof(struct mpt_queue_info, nget) },
	{ MPT_QUEUE_A_NJOIN, offsetof(struct mpt_queue_info, njoin) },
	{ MPT_QUEUE_A_NCONSUMERS, offsetof(struct mpt_queue_info, nconsumers) },
};

/*
 * The largest message of one queue, for the dump's min_dump_alloc: a
 * queue that an empty skb cannot hold would end the dump, the queues
 * after it unlisted.
 */
static u32 mpt_nl_queue_size_max(void)
{
	size_t waiter = nla_total_size(0) + 3 * nla_total_size(sizeof(u32)) +
			nla_total_size_64bit(sizeof(u64));
	size_t consumer = nla_total_size(0) + nla_total_size(sizeof(u32)) +
			  nla_total_size_64bit(sizeof(u64));
	size_t queue = nla_total_size(0) + nla_total_size(MPT_NAME_LEN) +
		ARRAY_SIZE(mpt_nl_queue_f64) * nla_total_size_64bit(sizeof(u64)) +
		ARRAY_SIZE(mpt_nl_queue_f32) * nla_total_size(sizeof(u32)) +
		MPT_QUEUE_DUMP_LIST * (waiter + consumer);

	return nlmsg_total_size(GENL_HDRLEN + queue);
}

/*
 * GET_QUEUES: cb->args[0] holds the view (the caller's namespaces and room
 * for the lists), cb->args[1] the next queue id.
 */
static int mpt_nl_queues_start(struct netlink_callback *cb)
{
	struct mpt_queues_view *view;

	atomic64_inc(&mpt_stats.nl_requests);
	view = kzalloc(sizeof(*view), GFP_KERNEL);
	if (!view)
		return -ENOMEM;
	view->waiters = kcalloc(MPT_QUEUE_DUMP_LIST, sizeof(*view->waiters),
				GFP_KERNEL);
	view->consumers = kcalloc(MPT_QUEUE_DUMP_LIST,
				  sizeof(*view->consumers), GFP_KERNEL);
	if (!view->waiters || !view->consumers) {
		/* A start that fails has no done(). */
		kfree(view->waiters);
		kfree(view->consumers);
		kfree(view);
		return -ENOMEM;
	}
	view->ns = get_pid_ns(task_active_pid_ns(current));
	view->userns = get_user_ns(current_user_ns());
	view->waiters_max = MPT_QUEUE_DUMP_LIST;
	view->consumers_max = MPT_QUEUE_DUMP_LIST;
	cb->args[0] = (long)view;
	cb->args[1] = 1;
	cb->min_dump_alloc = mpt_nl_queue_size_max();
	return 0;
}

static int mpt_nl_queues_done(struct netlink_callback *cb)
{
	struct mpt_queues_view *view = (void *)cb->args[0];

	if (view) {
		put_user_ns(view->userns);
		put_pid_ns(view->ns);
		kfree(view->waiters);
		kfree(view->consumers);
		kfree(view);
	}
	return 0;
}

static int mpt_nl_put_qlists(struct sk_buff *skb,
			     const struct mpt_queues_view *view,
			     const struct mpt_queue_info *qi)
{
	struct nlattr *nest;
	u32 i;

	for (i = 0; i < qi->waiters_max; i++) {
		const struct mpt_qwaiter *w = &view->waiters[i];

		nest = nla_nest_start(skb, MPT_QUEUE_A_WAITER);
		if (!nest ||
		    nla_put_u32(skb, MPT_QWAITER_A_PID, w->pid) ||
		    nla_put_u32(skb, MPT_QWAITER_A_TID, w->tid) ||
		    nla_put_u32(skb, MPT_QWAITER_A_WHAT, w->what) ||
		    nla_put_u64_64bit(skb, MPT_QWAITER_A_SINCE_NS, w->since_ns,
				      MPT_QWAITER_A_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	for (i = 0; i < qi->consumers_max; i++) {
		const struct mpt_qconsumer *c = &view->consumers[i];

		nest = nla_nest_start(skb, MPT_QUEUE_A_CONSUMER);
		if (!nest ||
		    nla_put_u32(skb, MPT_QCONSUMER_A_PID, c->pid) ||
		    nla_put_u64_64bit(skb, MPT_QCONSUMER_A_INFLIGHT,
				      c->inflight, MPT_QCONSUMER_A_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

/* Put the u64 fields @f64 and the u32 fields @f32 of the struct at @base. */
static int mpt_nl_put_fields(struct sk_buff *skb, const void *base,
			     const struct mpt_nl_field *f64, size_t n64,
			     const struct mpt_nl_field *f32, size_t n32,
			     int pad)
{
	size_t i;

	for (i = 0; i < n64; i++)
		if (nla_put_u64_64bit(skb, f64[i].attr,
				      *(const u64 *)(base + f64[i].off), pad))
			return -EMSGSIZE;
	for (i = 0; i < n32; i++)
		if (nla_put_u32(skb, f32[i].attr,
				*(const u32 *)(base + f32[i].off)))
			return -EMSGSIZE;
	return 0;
}

static int mpt_nl_put_queue(struct sk_buff *skb, struct netlink_callback *cb,
			    const struct mpt_queues_view *view,
			    const struct mpt_queue_info *qi)
{
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &mpt_genl_family, NLM_F_MULTI, MPT_CMD_GET_QUEUES);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, MPT_A_QUEUE);
	if (!nest || nla_put_string(skb, MPT_QUEUE_A_NAME, qi->name))
		goto cancel;
	if (mpt_nl_put_fields(skb, qi, mpt_nl_queue_f64,
			      ARRAY_SIZE(mpt_nl_queue_f64), mpt_nl_queue_f32,
			      ARRAY_SIZE(mpt_nl_queue_f32), MPT_QUEUE_A_PAD))
		goto cancel;
	if (mpt_nl_put_qlists(skb, view, qi))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* One message per queue; a queue that does not fit comes next time. */
static int mpt_nl_queues_dump(struct sk_buff *skb,
			      struct netlink_callback *cb)
{
	const struct mpt_queues_view *view = (void *)cb->args[0];
	u64 id = cb->args[1], cur;
	struct mpt_queue_info qi;

	for (;;) {
		cur = id;
		if (!mpt_queues_next(view, &id, &qi))
			break;
		if (mpt_nl_put_queue(skb, cb, view, &qi)) {
			/* Never with min_dump_alloc; else not a silent end. */
			if (!skb->len)
				return -EMSGSIZE;
			id = cur;
			break;
		}
	}
	cb->args[1] = id;
	return skb->len;
}

/* GET_LOCKS: cb->args[0] is room for the waiters, cb->args[1] the next id. */
static int mpt_nl_locks_start(struct netlink_callback *cb)
{
	atomic64_inc(&mpt_stats.nl_requests);
	cb->args[0] = (long)kcalloc(MPT_QUEUE_DUMP_LIST,
				    sizeof(struct mpt_lwaiter), GFP_KERNEL);
	cb->args[1] = 1;
	return cb->args[0] ? 0 : -ENOMEM;
}

static int mpt_nl_locks_done(struct netlink_callback *cb)
{
	kfree((void *)cb->args[0]);
	return 0;
}

static int mpt_nl_put_lock(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct mpt_lock_info *li,
			   const struct mpt_lwaiter *w)
{
	static const struct mpt_nl_field f64[] = {
		{ MPT_LOCK_A_ID, offsetof(struct mpt_lock_info, id) },
		{ MPT_LOCK_A_HELD_NS, offsetof(struct mpt_lock_info, held_ns) },
		{ MPT_LOCK_A_CREATED_NS, offsetof(struct mpt_lock_info, created_ns) },
		{ MPT_LOCK_A_ACQUISITIONS, offsetof(struct mpt_lock_info, acquisitions) },
		{ MPT_LOCK_A_CONTENTIONS, offsetof(struct mpt_lock_info, contentions) },
		{ MPT_LOCK_A_OWNER_DEATHS, offsetof(struct mpt_lock_info, owner_deaths) },
		{ MPT_LOCK_A_DEADLOCKS, offsetof(struct mpt_lock_info, deadlocks) },
		{ MPT_LOCK_A_TIMEOUTS, offsetof(struct mpt_lock_info, timeouts) },
		{ MPT_LOCK_A_HOLD_TOTAL_NS, offsetof(struct mpt_lock_info, hold_total_ns) },
		{ MPT_LOCK_A_HOLD_MAX_NS, offsetof(struct mpt_lock_info, hold_max_ns) },
		{ MPT_LOCK_A_WAIT_TOTAL_NS, offsetof(struct mpt_lock_info, wait_total_ns) },
		{ MPT_LOCK_A_WAIT_MAX_NS, offsetof(struct mpt_lock_info, wait_max_ns) },
	};
	static const struct mpt_nl_field f32[] = {
		{ MPT_LOCK_A_KIND, offsetof(struct mpt_lock_info, kind) },
		{ MPT_LOCK_A_FLAGS, offsetof(struct mpt_lock_info, flags) },
		{ MPT_LOCK_A_MODE, offsetof(struct mpt_lock_info, mode) },
		{ MPT_LOCK_A_UID, offsetof(struct mpt_lock_info, uid) },
		{ MPT_LOCK_A_GID, offsetof(struct mpt_lock_info, gid) },
		{ MPT_LOCK_A_OWNER_PID, offsetof(struct mpt_lock_info, owner_pid) },
		{ MPT_LOCK_A_OWNER_TID, offsetof(struct mpt_lock_info, owner_tid) },
		{ MPT_LOCK_A_COUNT, offsetof(struct mpt_lock_info, count) },
		{ MPT_LOCK_A_OPENERS, offsetof(struct mpt_lock_info, openers) },
		{ MPT_LOCK_A_NWAITERS, offsetof(struct mpt_lock_info, nwaiters) },
	};
	struct nlattr *nest, *wn;
	void *hdr;
	size_t i;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &mpt_genl_family, NLM_F_MULTI, MPT_CMD_GET_LOCKS);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, MPT_A_LOCK);
	if (!nest || nla_put_string(skb, MPT_LOCK_A_NAME, li->name) ||
	    nla_put_string(skb, MPT_LOCK_A_OWNER_COMM, li->owner_comm))
		goto cancel;
	if (mpt_nl_put_fields(skb, li, f64, ARRAY_SIZE(f64), f32,
			      ARRAY_SIZE(f32), MPT_LOCK_A_PAD))
		goto cancel;
	for (i = 0; i < li->waiters_max; i++) {
		wn = nla_nest_start(skb, MPT_LOCK_A_WAITER);
		if (!wn ||
		    nla_put_u32(skb, MPT_QWAITER_A_PID, w[i].pid) ||
		    nla_put_u32(skb, MPT_QWAITER_A_TID, w[i].tid) ||
		    nla_put_u64_64bit(skb, MPT_QWAITER_A_SINCE_NS,
				      w[i].since_ns, MPT_QWAITER_A_PAD))
			goto cancel;
		nla_nest_end(skb, wn);
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* One message per lock; a lock that does not fit comes next time. */
static int mpt_nl_locks_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct mpt_lwaiter *w = (void *)cb->args[0];
	u64 id = cb->args[1], cur;
	struct mpt_lock_info li;

	for (;;) {
		cur = id;
		if (!mpt_locks_next(&id, &li, w, MPT_QUEUE_DUMP_LIST))
			break;
		if (mpt_nl_put_lock(skb, cb, &li, w)) {
			id = cur;
			break;
		}
	}
	cb->args[1] = id;
	return skb->len;
}

static const struct nla_policy mpt_version_policy[MPT_A_ABI + 1] = {
	[MPT_A_ABI]	= NLA_POLICY_MIN(NLA_U32, 1),
};

/* GET_STATS has no policy: the core then refuses every attribute. */
static const struct genl_ops mpt_genl_ops[] = {
	{
		.cmd	= MPT_CMD_GET_VERSION,
		.doit	= mpt_nl_get_version,
		.policy	= mpt_version_policy,
		.maxattr = ARRAY_SIZE(mpt_version_policy) - 1,
	},
	{
		.cmd	= MPT_CMD_GET_STATS,
		.doit	= mpt_nl_get_stats,
	},
	{
		.cmd	= MPT_CMD_GET_PROCS,
		.start	= mpt_nl_procs_start,
		.dumpit	= mpt_nl_procs_dump,
		.done	= mpt_nl_procs_done,
	},
	{
		.cmd	= MPT_CMD_GET_QUEUES,
		.start	= mpt_nl_queues_start,
		.dumpit	= mpt_nl_queues_dump,
		.done	= mpt_nl_queues_done,
	},
	{
		.cmd	= MPT_CMD_GET_LOCKS,
		.start	= mpt_nl_locks_start,
		.dumpit	= mpt_nl_locks_dump,
		.done	= mpt_nl_locks_done,
	},
};

/* Every event, then one group per class of them (mpt_nl_class()). */
enum {
	MPT_MCGRP_EVENTS_ID,
	MPT_MCGRP_PROCS_ID,
	MPT_MCGRP_REAP_ID,
	MPT_MCGRP_QUEUES_ID,
	MPT_MCGRP_LOCKS_ID,
	MPT_MCGRP_N
};

/* Events reveal every user's processes: admins only, in every group. */
#define MPT_MCGRP(id, group_name) \
	[id] = { .name = group_name, .flags = GENL_MCAST_CAP_SYS_ADMIN }

static const struct genl_multicast_group mpt_genl_mcgrps[] = {
	MPT_MCGRP(MPT_MCGRP_EVENTS_ID, MPT_MCGRP_EVENTS),
	MPT_MCGRP(MPT_MCGRP_PROCS_ID, MPT_MCGRP_PROCS),
	MPT_MCGRP(MPT_MCGRP_REAP_ID, MPT_MCGRP_REAP),
	MPT_MCGRP(MPT_MCGRP_QUEUES_ID, MPT_MCGRP_QUEUES),
	MPT_MCGRP(MPT_MCGRP_LOCKS_ID, MPT_MCGRP_LOCKS),
};

static struct genl_family mpt_genl_family __ro_after_init = {
	.name		= MPT_GENL_NAME,
	.version	= MPT_GENL_VERSION,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.pre_doit	= mpt_nl_pre_doit,
	.ops		= mpt_genl_ops,
	.n_ops		= ARRAY_SIZE(mpt_genl_ops),
	.mcgrps		= mpt_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(mpt_genl_mcgrps),
};

/* The group of the class of events of @type. */
static unsigned int mpt_nl_class(u32 type)
{
	switch (type) {
	case MPT_EV_ZOMBIE ... MPT_EV_ORPHAN:
		return MPT_MCGRP_REAP_ID;
	case MPT_EV_QUEUE_CREATE ... MPT_EV_QUEUE_GET:
		return MPT_MCGRP_QUEUES_ID;
	case MPT_EV_LOCK_CREATE ... MPT_EV_LOCK_RELEASE:
		return MPT_MCGRP_LOCKS_ID;
	default:
		return MPT_MCGRP_PROCS_ID;
	}
}

static bool mpt_nl_heard(unsigned int group)
{
	/* Only the initial network namespace hears events (security.rst). */
	return genl_has_listeners(&mpt_genl_family, &init_net, group);
}

/*
 * The groups with listeners that an event of @type goes to, as a mask of
 * 1 << MPT_MCGRP_*_ID: 0 when nobody would hear it.
 */
unsigned int mpt_nl_listening(u32 type)
{
	unsigned int class = mpt_nl_class(type);

	return (mpt_nl_heard(MPT_MCGRP_EVENTS_ID) << MPT_MCGRP_EVENTS_ID) |
	       (mpt_nl_heard(class) << class);
}

/*
 * Room for any event: the common part, and the largest of an EXEC's
 * filename and a DEADLOCK's cycle (a queue's or a lock's fields take
 * less than either).
 */
static size_t mpt_nl_str_size(const char *s, size_t max)
{
	return nla_total_size(strnlen(s, max) + 1);
}

/*
 * The room mpt_nl_put_event() takes for @ev, no more: what an event
 * costs in a listener's receive buffer is the skb's true size, and a
 * fork event is a fifth of the largest.
 */
static size_t mpt_nl_event_size(const struct mpt_event *ev)
{
	const size_t u32s = nla_total_size(sizeof(u32));
	const size_t u64s = nla_total_size_64bit(sizeof(u64));
	size_t size = nla_total_size(0) + 6 * u32s + 2 * u64s +
		      mpt_nl_str_size(ev->fork.task.comm, MPT_COMM_LEN);
	u32 i;

	switch (ev->hdr.type) {
	case MPT_EV_FORK:
		return size + 2 * u32s;
	case MPT_EV_EXEC:
		return size + 2 * u32s +
		       mpt_nl_str_size(ev->exec.filename, MPT_FILENAME_LEN);
	case MPT_EV_EXIT:
	case MPT_EV_ZOMBIE:
		return size + u32s;
	case MPT_EV_REAP:
		return size + 4 * u32s + u64s;
	case MPT_EV_ORPHAN:
		return size + 3 * u32s;
	case MPT_EV_QUEUE_CREATE ... MPT_EV_QUEUE_GET:
		return size + 2 * u32s + 2 * u64s +
		       mpt_nl_str_size(ev->queue.name, MPT_NAME_LEN);
	case MPT_EV_LOCK_CREATE ... MPT_EV_LOCK_OWNER_DIED:
	case MPT_EV_LOCK_ACQUIRE ... MPT_EV_LOCK_RELEASE:
		return size + 3 * u32s + 3 * u64s +
		       mpt_nl_str_size(ev->lock.name, MPT_NAME_LEN);
	case MPT_EV_DEADLOCK:
		size += u32s + u64s;
		for (i = 0; i < ev->deadlock.len && i < MPT_DEADLOCK_MAX; i++)
			size += nla_total_size(0) + 2 * u32s + u64s +
				mpt_nl_str_size(ev->deadlock.cycle[i].name,
						MPT_SHORT_NAME_LEN);
		return size;
	}
	return size;
}

static int mpt_nl_put_cycle(struct sk_buff *skb,
			    const struct mpt_event_deadlock *d)
{
	struct nlattr *nest;
	u32 i;

	for (i = 0; i < d->len && i < MPT_DEADLOCK_MAX; i++) {
		const struct mpt_deadlock_entry *c = &d->cycle[i];

		nest = nla_nest_start(skb, MPT_EV_A_CYCLE);
		if (!nest ||
		    nla_put_u32(skb, MPT_CYCLE_A_PID, c->pid) ||
		    nla_put_u32(skb, MPT_CYCLE_A_TID, c->tid) ||
		    nla_put_u64_64bit(skb, MPT_CYCLE_A_LOCK_ID, c->lock_id,
				      MPT_CYCLE_A_PAD) ||
		    nla_put_string(skb, MPT_CYCLE_A_NAME, c->name))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

/*
 * @ev as a %MPT_A_EVENT nest, left open for the caller to add to and end;
 * NULL when @skb has no room for it (nothing of it is left in @skb).
 */
static struct nlattr *mpt_nl_put_event(struct sk_buff *skb,
				       const struct mpt_event *ev)
{
	const struct mpt_task *t = &ev->fork.task;	/* same place in all */
	struct nlattr *nest;

	nest = nla_nest_start(skb, MPT_A_EVENT);
	if (!nest)
		return NULL;
	if (nla_put_u32(skb, MPT_EV_A_TYPE, ev->hdr.type) ||
	    nla_put_u64_64bit(skb, MPT_EV_A_SEQ, ev->hdr.seq, MPT_EV_A_PAD) ||
	    nla_put_u64_64bit(skb, MPT_EV_A_TIME_NS, ev->hdr.time_ns,
			      MPT_EV_A_PAD) ||
	    nla_put_u32(skb, MPT_EV_A_PID, t->pid) ||
	    nla_put_u32(skb, MPT_EV_A_TID, t->tid) ||
	    nla_put_u32(skb, MPT_EV_A_PPID, t->ppid) ||
	    nla_put_u32(skb, MPT_EV_A_UID, t->uid) ||
	    nla_put_u32(skb, MPT_EV_A_FLAGS, ev->hdr.flags) ||
	    nla_put_string(skb, MPT_EV_A_COMM, t->comm))
		goto cancel;

	switch (ev->hdr.type) {
	case MPT_EV_FORK:
		if (nla_put_u32(skb, MPT_EV_A_PARENT_PID, ev->fork.parent_pid) ||
		    nla_put_u32(skb, MPT_EV_A_PARENT_TID, ev->fork.parent_tid))
			goto cancel;
		break;
	case MPT_EV_EXEC:
		if (nla_put_u32(skb, MPT_EV_A_OLD_TID, ev->exec.old_tid) ||
		    nla_put_u32(skb, MPT_EV_A_EXEC_FLAGS, ev->exec.flags) ||
		    nla_put_string(skb, MPT_EV_A_FILENAME, ev->exec.filename))
			goto cancel;
		break;
	case MPT_EV_EXIT:
		if (nla_put_s32(skb, MPT_EV_A_STATUS, ev->exit.status))
			goto cancel;
		break;
	case MPT_EV_ZOMBIE:
		if (nla_put_s32(skb, MPT_EV_A_STATUS, ev->zombie.status))
			goto cancel;
		break;
	case MPT_EV_REAP:
		if (nla_put_s32(skb, MPT_EV_A_STATUS, ev->reap.status) ||
		    nla_put_u32(skb, MPT_EV_A_REAPER_PID, ev->reap.reaper_pid) ||
		    nla_put_u32(skb, MPT_EV_A_REAP_HOW, ev->reap.how) ||
		    nla_put_u32(skb, MPT_EV_A_INFO_FLAGS, ev->reap.flags) ||
		    nla_put_u64_64bit(skb, MPT_EV_A_ZOMBIE_NS,
				      ev->reap.zombie_ns, MPT_EV_A_PAD))
			goto cancel;
		break;
	case MPT_EV_ORPHAN:
		if (nla_put_u32(skb, MPT_EV_A_OLD_PPID, ev->orphan.old_ppid) ||
		    nla_put_u32(skb, MPT_EV_A_ORIG_PPID, ev->orphan.orig_ppid) ||
		    nla_put_u32(skb, MPT_EV_A_INFO_FLAGS, ev->orphan.flags))
			goto cancel;
		break;
	case MPT_EV_QUEUE_CREATE ... MPT_EV_QUEUE_GET:
		if (nla_put_u64_64bit(skb, MPT_EV_A_OBJ_ID, ev->queue.queue_id,
				      MPT_EV_A_PAD) ||
		    nla_put_string(skb, MPT_EV_A_OBJ_NAME, ev->queue.name) ||
		    nla_put_u32(skb, MPT_EV_A_DEPTH, ev->queue.depth) ||
		    nla_put_u32(skb, MPT_EV_A_LEN, ev->queue.len) ||
		    nla_put_u64_64bit(skb, MPT_EV_A_COUNT, ev->queue.count,
				      MPT_EV_A_PAD))
			goto cancel;
		break;
	case MPT_EV_LOCK_CREATE ... MPT_EV_LOCK_OWNER_DIED:
	case MPT_EV_LOCK_ACQUIRE ... MPT_EV_LOCK_RELEASE:
		if (nla_put_u64_64bit(skb, MPT_EV_A_OBJ_ID, ev->lock.lock_id,
				      MPT_EV_A_PAD) ||
		    nla_put_string(skb, MPT_EV_A_OBJ_NAME, ev->lock.name) ||
		    nla_put_u32(skb, MPT_EV_A_OWNER_PID, ev->lock.owner_pid) ||
		    nla_put_u32(skb, MPT_EV_A_OWNER_TID, ev->lock.owner_tid) ||
		    nla_put_u64_64bit(skb, MPT_EV_A_NS, ev->lock.ns,
				      MPT_EV_A_PAD) ||
		    nla_put_u64_64bit(skb, MPT_EV_A_COUNT, ev->lock.count,
				      MPT_EV_A_PAD) ||
		    nla_put_u32(skb, MPT_EV_A_WAITERS, ev->lock.waiters))
			goto cancel;
		break;
	case MPT_EV_DEADLOCK:
		if (nla_put_u64_64bit(skb, MPT_EV_A_COUNT, ev->deadlock.len,
				      MPT_EV_A_PAD) ||
		    nla_put_u32(skb, MPT_EV_A_INFO_FLAGS, ev->deadlock.flags) ||
		    mpt_nl_put_cycle(skb, &ev->deadlock))
			goto cancel;
		break;
	}
	return nest;

cancel:
	nla_nest_cancel(skb, nest);
	return NULL;
}

/*
 * Events that come fast go out several to a datagram.  The first event
 * after a tick without a send goes at once, in a message of its own
 * size; those that follow it within the tick are gathered in one buffer
 * of about a page, sent when the next event does not fit or when
 * mpt_nl_flush_work runs, a tick after the batch began.  A listener then
 * wakes and receives once for many events, and its receive buffer,
 * which counts every skb's true size, holds about twice as many.  An
 * event reaches a listener at most a tick late and in order: a batch is
 * sent under mpt_emit_lock, as a single event is.
 *
 * Each group gathers its own batch: an event for "events" and for its
 * class's group is put in both.  A class's group numbers its events
 * (MPT_EV_A_GROUP_SEQ), so that its listeners can tell what they lost.
 *
 * All under mpt_emit_lock: the batches, the number of events in each,
 * the groups' numbers, the jiffies of each group's last send, and
 * whether the family is going away.
 */
struct mpt_nl_group {
	struct sk_buff *batch;
	u32 batched;
	u64 seq;
	unsigned long sent;
};

static struct mpt_nl_group mpt_nl_groups[MPT_MCGRP_N];
static bool mpt_nl_closed;

static void mpt_nl_flush_fn(struct work_struct *work)
{
	mpt_emit_flush(false);
}

static DECLARE_DELAYED_WORK(mpt_nl_flush_work, mpt_nl_flush_fn);

/*
 * Under mpt_emit_lock: send @id's batch.  Every event of a batch no
 * listener took is counted as dropped, and the listeners see them as a
 * gap in the sequence numbers.
 */
static void mpt_nl_send(unsigned int id)
{
	struct mpt_nl_group *g = &mpt_nl_groups[id];
	struct sk_buff *skb = g->batch;
	u32 n = g->batched;
	int ret;

	if (!skb)
		return;
	g->batch = NULL;
	g->batched = 0;
	g->sent = jiffies;
	ret = genlmsg_multicast_netns(&mpt_genl_family, &init_net, skb, 0, id,
				      GFP_NOWAIT);
	/*
	 * -ESRCH: nobody took it.  Every listener's buffer was full (a
	 * drop), or the last listener left since the batch began.
	 * -ENOBUFS: a listener that asked for broadcast errors
	 * (NETLINK_BROADCAST_ERROR) had no room; the others may have taken
	 * it, and that one sees its gap: sent, not dropped.
	 */
	if (ret == -ESRCH && !mpt_nl_heard(id))
		return;
	atomic64_add(n, ret && ret != -ENOBUFS ? &mpt_stats.nl_drops :
						 &mpt_stats.nl_events);
}

/*
 * Under mpt_emit_lock: send every group's batch.  @close: nothing is
 * gathered after this.
 */
void mpt_nl_flush(bool close)
{
	unsigned int id;

	mpt_nl_closed |= close;
	for (id = 0; id < MPT_MCGRP_N; id++)
		mpt_nl_send(id);
}

/*
 * Under mpt_emit_lock: add @ev to @g's batch, begun when there is none
 * with room for @ev alone (@alone) or for a page of events; @seq, when
 * not 0, is its number in @g.  False when the batch has no room left for
 * it, or no memory.
 */
static bool mpt_nl_add(struct mpt_nl_group *g, const struct mpt_event *ev,
		       u64 seq, bool alone)
{
	struct sk_buff *skb = g->batch;
	struct nlattr *nest;
	void *hdr;

	if (!skb) {
		size_t size = mpt_nl_event_size(ev) +
			      (seq ? nla_total_size_64bit(sizeof(u64)) : 0);

		skb = alone ? genlmsg_new(size, GFP_NOWAIT) :
			      nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_NOWAIT);
		if (!skb)
			return false;
	}
	hdr = genlmsg_put(skb, 0, 0, &mpt_genl_family, 0, MPT_CMD_EVENT);
	if (!hdr)
		goto fail;
	nest = mpt_nl_put_event(skb, ev);
	if (!nest || (seq && nla_put_u64_64bit(skb, MPT_EV_A_GROUP_SEQ, seq,
					       MPT_EV_A_PAD)))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	g->batch = skb;
	g->batched++;
	return true;

cancel:
	genlmsg_cancel(skb, hdr);
fail:
	if (!g->batch)	/* begun for it: room for any event, or a bug */
		nlmsg_free(skb);
	return false;
}

/*
 * Under mpt_emit_lock: @ev to group @id, numbered in it if it is a
 * class's group.  Every failure is counted, and the group's listeners
 * see it as a gap in the sequence numbers.
 */
static void mpt_nl_group_deliver(unsigned int id, const struct mpt_event *ev)
{
	struct mpt_nl_group *g = &mpt_nl_groups[id];
	u64 seq = id == MPT_MCGRP_EVENTS_ID ? 0 : ++g->seq;
	bool quiet = !g->batch && time_after(jiffies, g->sent);

	if (!mpt_nl_add(g, ev, seq, quiet)) {
		mpt_nl_send(id);	/* full: it goes, a new one begins */
		if (!mpt_nl_add(g, ev, seq, quiet)) {
			atomic64_inc(&mpt_stats.nl_drops);
			return;
		}
	}
	if (quiet)
		mpt_nl_send(id);
	else
		queue_delayed_work(system_wq, &mpt_nl_flush_work, 1);
}

/*
 * Called from mpt_emit() with the groups mpt_nl_listening() gave, any
 * context but interrupts, under mpt_emit_lock.  Built with GFP_NOWAIT.
 */
void mpt_nl_deliver(const struct mpt_src *src, unsigned int groups)
{
	struct mpt_event ev;
	unsigned int id;

	if (mpt_nl_closed || !mpt_render(src, &init_pid_ns, &init_user_ns, &ev))
		return;
	for (id = 0; id < MPT_MCGRP_N; id++)
		if (groups & BIT(id))
			mpt_nl_group_deliver(id, &ev);
}

int __init mpt_netlink_init(void)
{
	unsigned int id;

	for (id = 0; id < MPT_MCGRP_N; id++)
		mpt_nl_groups[id].sent = jiffies - 1;
	return genl_register_family(&mpt_genl_family);
}

void mpt_netlink_exit(void)
{
	/* What is gathered goes out; nothing is gathered after. */
	mpt_emit_flush(true);
	cancel_delayed_work_sync(&mpt_nl_flush_work);
	genl_unregister_family(&mpt_genl_family);
}
