/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_NETLINK_H
#define _MPT_NETLINK_H

int mpt_netlink_init(void);
void mpt_netlink_exit(void);

#endif /* _MPT_NETLINK_H */
