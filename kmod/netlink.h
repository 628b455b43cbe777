/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_NETLINK_H
#define _MPT_NETLINK_H

#include <linux/types.h>

struct mpt_src;

int mpt_netlink_init(void);
bool mpt_nl_listening(void);
void mpt_nl_deliver(const struct mpt_src *src);
void mpt_nl_flush(bool close);
void mpt_netlink_exit(void);

#endif /* _MPT_NETLINK_H */
