// SPDX-License-Identifier: GPL-2.0
/*
 * Deadlock detection: would a thread's wait close a cycle in the wait-for
 * graph?  Every thread waits for at most one lock and every lock has at
 * most one owner, so from the lock a thread wants there is one path:
 * its owner, the lock that owner waits for, that lock's owner, ...  The
 * wait closes a cycle exactly when that path comes back to the thread.
 *
 * Edges are only ever added after this check, under the caller's lock,
 * so the path ends, at a free lock or a thread that does not wait, within
 * one step more than there are waiting threads -- unless an owner is
 * what user space says it is (a fast lock's word), which can make a
 * cycle without @me: @limit, the waiting threads and two, ends that walk.
 */
#include <linux/types.h>

#include "cycle.h"

/**
 * mpt_cycle_find - would @me waiting for @lock close a cycle?
 * @ops: the graph
 * @me: the thread that would wait
 * @lock: the lock it would wait for
 * @path: receives the cycle's first @max steps, from (@me, @lock)
 * @max: room in @path
 * @limit: steps to follow at most
 *
 * Returns the number of threads in the cycle (1 when @me holds @lock
 * itself), or 0 when waiting is safe.
 */
int mpt_cycle_find(const struct mpt_cycle_ops *ops, const void *me,
		   const void *lock, struct mpt_cycle_step *path, int max,
		   int limit)
{
	const void *thread = me;
	int n = 0;

	while (lock && n < limit) {
		const void *owner = ops->owner(lock);

		if (n < max) {
			path[n].thread = thread;
			path[n].lock = lock;
		}
		n++;
		if (!owner)
			return 0;
		if (owner == me)
			return n;
		thread = owner;
		lock = ops->waits(thread);
	}
	return 0;
}
