/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_LIST_H
#define _MPT_LIST_H

#include <linux/types.h>

/*
 * The next record from *@pos into @out, and *@pos past it; false at the
 * end.  May sleep; may not touch user memory.
 */
typedef bool (*mpt_list_next_t)(void *ctx, u64 *pos, void *out);

int mpt_list_out(void __user *ubuf, u32 want, size_t size, u64 *pos,
		 mpt_list_next_t next, void *ctx, u32 *written);

#endif /* _MPT_LIST_H */
