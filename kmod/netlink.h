/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_NETLINK_H
#define _MPT_NETLINK_H

#include <linux/types.h>

struct mpt_src;

int mpt_netlink_init(void);
unsigned int mpt_nl_listening(u32 type);
void mpt_nl_deliver(const struct mpt_src *src, unsigned int groups);
void mpt_nl_flush(bool close);
void mpt_netlink_exit(void);

#endif /* _MPT_NETLINK_H */
