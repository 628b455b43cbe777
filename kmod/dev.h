/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_DEV_H
#define _MPT_DEV_H

#include <linux/types.h>

struct mpt_mem_budget;
struct mpt_src;

extern struct mpt_mem_budget mpt_ring_budget;

int mpt_dev_init(void);
bool mpt_dev_listening(void);
void mpt_dev_deliver(const struct mpt_src *src);
void mpt_dev_exit(void);

#endif /* _MPT_DEV_H */
