/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_LOCK_H
#define _MPT_LOCK_H

#include <linux/types.h>

struct mpt_lock_info;
struct mpt_lwaiter;
struct task_struct;

/* /dev/mptrace ioctls */
long mpt_ioc_lock_open(void __user *argp);
long mpt_ioc_lock_unlink(void __user *argp);
long mpt_ioc_lock_info(void __user *argp);
long mpt_ioc_locks(void __user *argp);

bool mpt_locks_next(u64 *id, struct mpt_lock_info *li, struct mpt_lwaiter *w,
		    u32 wmax);

/* A thread ends: the locks it holds are released. */
void mpt_locks_exit_task(struct task_struct *task);
/* current took a fatal signal: its locks are released soon. */
void mpt_locks_dying(void);
/* After the probes are detached: no release is pending any more. */
void mpt_locks_flush(void);

/* The calling thread's token (fast locks and queues), made if needed. */
int mpt_lk_token(u32 *out);

/* A lock of a deadlock cycle, for the event. */
u64 mpt_lock_id(const void *lock);
const char *mpt_lock_name(const void *lock);

u64 mpt_locks_count(void);
u64 mpt_locks_max(void);
u64 mpt_locks_held(void);
u64 mpt_lock_tokens(void);
u64 mpt_lock_tokens_max(void);
void mpt_locks_exit(void);

#endif /* _MPT_LOCK_H */
