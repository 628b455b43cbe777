/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_EVENT_H
#define _MPT_EVENT_H

#include <linux/sched.h>
#include <linux/types.h>
#include <linux/uidgid.h>

struct mpt_cycle_step;
struct mpt_event;
struct pid;
struct pid_namespace;
struct task_struct;
struct user_namespace;

/**
 * struct mpt_src - an event as it happened, before any reader's view
 * @type: MPT_EV_*
 * @thread: about a thread, not a whole process (MPT_EVF_THREAD)
 * @seq: global sequence number, given by mpt_emit()
 * @time_ns: CLOCK_BOOTTIME, given by mpt_emit()
 * @task: the task the event is about (alive for the call), or NULL when
 *	the process may be released meanwhile (ZOMBIE, REAP, ORPHAN): then
 *	@pid, @ppid, @uid and @comm describe it
 * @actor: FORK: the parent thread; ZOMBIE, ORPHAN: the process's task;
 *	REAP: the thread that reaped (for subtree filters)
 * @old_tid: EXEC: the caller's pid in the initial namespace, to translate
 * @status: EXIT, ZOMBIE, REAP: the wait(2) status
 * @filename: EXEC: the path given to execve
 * @pid: without @task: the process (its tgid)
 * @ppid: without @task: its parent
 * @uid: without @task: its real uid
 * @comm: without @task: its command name
 * @reaper: REAP: the process that reaped
 * @old_parent: ORPHAN: the parent that ended
 * @old_near: ORPHAN: a task in the subtrees that parent was in, for when
 *	its own task has left its pid already: that parent itself at its
 *	exit, or the process reaping it; NULL when neither is known
 * @old_near_held: ORPHAN: @old_near still had its pid when the RCU read
 *	section this event is made in began, so its parent, not released
 *	then, cannot be freed before the section ends: a subtree walk may
 *	step to it even once @old_near has been reaped meanwhile
 * @orig_parent: ORPHAN: the original parent
 * @how: REAP: MPT_REAP_*
 * @flags: REAP, ORPHAN: the event's own flags
 * @zombie_ns: REAP: time spent as a zombie
 * @obj_id: QUEUE_*: the queue's id
 * @obj_name: QUEUE_*: its name
 * @depth: QUEUE_*: messages in it after the event
 * @len: QUEUE_PUT, QUEUE_GET: the message's length
 * @count: QUEUE_CONSUMER_DIED: items released; PUT, GET: the message's
 *	sequence number; LOCK_ACQUIRE, LOCK_RELEASE: the recursion count;
 *	DEADLOCK: the cycle's length
 * @owner: LOCK_CONTENDED: the thread holding the lock (alive: the
 *	event is made under the locks' spinlock)
 * @ns: LOCK_*: a wait's or a hold's length
 * @waiters: LOCK_*: threads waiting for the lock
 * @cycle: DEADLOCK: its first @cycle_len steps (threads and locks alive,
 *	under the locks' spinlock)
 * @cycle_len: DEADLOCK: entries in @cycle
 */
struct mpt_src {
	u16			type;
	bool			thread;
	u64			seq;
	u64			time_ns;
	struct task_struct	*task;
	struct task_struct	*actor;
	pid_t			old_tid;
	int			status;
	const char		*filename;
	struct pid		*pid;
	struct pid		*ppid;
	kuid_t			uid;
	const char		*comm;
	struct pid		*reaper;
	struct pid		*old_parent;
	struct task_struct	*old_near;
	bool			old_near_held;
	struct pid		*orig_parent;
	u32			how;
	u32			flags;
	u64			zombie_ns;
	u64			obj_id;
	const char		*obj_name;
	u32			depth;
	u32			len;
	u64			count;
	struct task_struct	*owner;
	u64			ns;
	u32			waiters;
	const struct mpt_cycle_step *cycle;
	int			cycle_len;
};

void mpt_emit(struct mpt_src *src);
void mpt_emit_flush(bool close);
bool mpt_render(const struct mpt_src *src, struct pid_namespace *ns,
		struct user_namespace *userns, struct mpt_event *ev);
struct pid *mpt_src_pid(const struct mpt_src *src);
kuid_t mpt_src_uid(const struct mpt_src *src);

#endif /* _MPT_EVENT_H */
