/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_CYCLE_H
#define _MPT_CYCLE_H

/**
 * struct mpt_cycle_ops - the wait-for graph, as the search sees it
 * @owner: the thread holding @lock, or NULL when it is free
 * @waits: the lock @thread waits for, or NULL when it does not wait
 *
 * Threads and locks are opaque pointers: the search is tested in
 * isolation (KUnit) on graphs of its own.
 */
struct mpt_cycle_ops {
	const void *(*owner)(const void *lock);
	const void *(*waits)(const void *thread);
};

/* One step of a cycle: @thread waits for @lock. */
struct mpt_cycle_step {
	const void *thread;
	const void *lock;
};

int mpt_cycle_find(const struct mpt_cycle_ops *ops, const void *me,
		   const void *lock, struct mpt_cycle_step *path, int max,
		   int limit);

#endif /* _MPT_CYCLE_H */
