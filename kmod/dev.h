/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_DEV_H
#define _MPT_DEV_H

#include <linux/types.h>

struct mpt_mem_budget;
struct mpt_src;

extern struct mpt_mem_budget mpt_ring_budget;

int mpt_dev_init(void);
bool mpt_dev_listening(void);
u64 mpt_dev_readers(void);
u64 mpt_dev_ring_closing(void);
u64 mpt_dev_ring_user_max(void);
u64 mpt_dev_readers_user_max(void);
void mpt_dev_deliver(const struct mpt_src *src);
void mpt_dev_exit(void);

#endif /* _MPT_DEV_H */
