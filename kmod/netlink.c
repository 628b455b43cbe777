// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "mptrace": per-command policies, so that
 * the core rejects any attribute a command does not take, and the
 * multicast group that carries events.
 */
#include <net/genetlink.h>
#include <linux/mptrace.h>

#include "netlink.h"
#include "stats.h"

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
			      MPT_FEAT_STATS | MPT_FEAT_EVENTS, MPT_A_PAD))
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
};

static const struct genl_multicast_group mpt_genl_mcgrps[] = {
	/* Events reveal other users' processes: admins only for now. */
	{ .name = MPT_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_SYS_ADMIN },
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

int __init mpt_netlink_init(void)
{
	return genl_register_family(&mpt_genl_family);
}

void mpt_netlink_exit(void)
{
	genl_unregister_family(&mpt_genl_family);
}
