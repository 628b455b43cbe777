/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_DEV_H
#define _MPT_DEV_H

struct mpt_mem_budget;

extern struct mpt_mem_budget mpt_ring_budget;

int mpt_dev_init(void);
void mpt_dev_exit(void);

#endif /* _MPT_DEV_H */
