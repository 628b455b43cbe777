/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_EVENT_H
#define _MPT_EVENT_H

#include <linux/types.h>

struct mpt_event;
struct pid_namespace;
struct task_struct;
struct user_namespace;

/**
 * struct mpt_src - an event as it happened, before any reader's view
 * @type: MPT_EV_*
 * @thread: about a thread, not a whole process (MPT_EVF_THREAD)
 * @seq: global sequence number, given by mpt_emit()
 * @time_ns: CLOCK_BOOTTIME, given by mpt_emit()
 * @task: the task the event is about (alive for the call)
 * @actor: FORK: the parent thread; EXEC: unused
 * @old_tid: EXEC: the caller's pid in the initial namespace, to translate
 * @status: EXIT: the wait(2) status
 * @filename: EXEC: the path given to execve
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
};

void mpt_emit(struct mpt_src *src);
bool mpt_render(const struct mpt_src *src, struct pid_namespace *ns,
		struct user_namespace *userns, struct mpt_event *ev);

#endif /* _MPT_EVENT_H */
