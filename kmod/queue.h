/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_QUEUE_H
#define _MPT_QUEUE_H

#include <linux/types.h>

struct mpt_qconsumer;
struct mpt_queue_info;
struct mpt_qwaiter;
struct pid_namespace;
struct user_namespace;
struct task_struct;

void mpt_queues_exit(void);

/* /dev/mptrace ioctls */
long mpt_ioc_queue_open(void __user *argp);
long mpt_ioc_queue_unlink(void __user *argp);
long mpt_ioc_queue_info(void __user *argp);
long mpt_ioc_queues(void __user *argp);

/**
 * struct mpt_queues_view - who lists the queues, and room for the lists
 * @ns: the caller's pid namespace: its queues, its numbering of pids
 * @userns: the caller's user namespace, to map uids
 * @waiters: room for @waiters_max blocked threads (or NULL)
 * @waiters_max: that room
 * @consumers: room for @consumers_max consumers (or NULL)
 * @consumers_max: that room
 */
struct mpt_queues_view {
	struct pid_namespace	*ns;
	struct user_namespace	*userns;
	struct mpt_qwaiter	*waiters;
	u32			waiters_max;
	struct mpt_qconsumer	*consumers;
	u32			consumers_max;
};

bool mpt_queues_next(const struct mpt_queues_view *view, u64 *id,
		     struct mpt_queue_info *qi);

/* The thread @task ends: it leaves the fast queues' rings. */
void mpt_queues_exit_thread(struct task_struct *task);
/* The last thread of @task's process ends: release its items in flight. */
void mpt_queues_exit_task(struct task_struct *task);

/* Counters for MPT_CMD_GET_STATS */
u64 mpt_queues_count(void);
u64 mpt_queues_max(void);
u64 mpt_queues_reserved(void);
u64 mpt_queues_bytes_max(void);
u64 mpt_queues_msg_bytes(void);

#endif /* _MPT_QUEUE_H */
