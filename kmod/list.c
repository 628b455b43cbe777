// SPDX-License-Identifier: GPL-2.0
/*
 * The listing ioctls (processes, queues, locks): records are made in
 * kernel memory a chunk at a time, with whatever locks their source
 * needs, then copied out with none held, so that a fault (or a
 * userfaultfd) in the caller's buffer never stalls anyone else.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "list.h"

/* Records made per chunk: a few KiB at most. */
#define MPT_LIST_CHUNK	16

/**
 * mpt_list_out - copy up to @want records of @size bytes to @ubuf
 * @ubuf: the caller's array
 * @want: its room, in records
 * @size: bytes per record
 * @pos: in, where to start; out, where the next call starts, 0 when the
 *	list is complete
 * @next: makes one record (see mpt_list_next_t)
 * @ctx: for @next
 * @written: records copied
 *
 * Returns 0, -ENOMEM or -EFAULT.
 */
int mpt_list_out(void __user *ubuf, u32 want, size_t size, u64 *pos,
		 mpt_list_next_t next, void *ctx, u32 *written)
{
	char *chunk = kmalloc_array(MPT_LIST_CHUNK, size, GFP_KERNEL);
	u32 n, room;
	int ret = 0;

	if (!chunk)
		return -ENOMEM;
	*written = 0;
	while (*written < want) {
		room = min_t(u32, MPT_LIST_CHUNK, want - *written);
		for (n = 0; n < room; n++)
			if (!next(ctx, pos, chunk + n * size))
				break;
		if (n && copy_to_user(ubuf + (size_t)*written * size, chunk,
				      n * size)) {
			ret = -EFAULT;
			break;
		}
		*written += n;
		if (n < room) {
			*pos = 0;
			break;
		}
	}
	kfree(chunk);
	return ret;
}
