/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_PROCS_H
#define _MPT_PROCS_H

#include <linux/types.h>
#include <linux/uidgid.h>

struct mpt_proc;
struct pid;
struct pid_namespace;
struct task_struct;
struct user_namespace;

int mpt_procs_init(void);
void mpt_procs_exit(void);
void mpt_procs_scan(void);

/* Hooks, called from the probes of track.c. */
void mpt_procs_fork(struct task_struct *child);
bool mpt_procs_exit_task(struct task_struct *task, int status);
int mpt_wait_status(struct task_struct *leader);
void mpt_procs_after_exit(struct task_struct *task);
void mpt_procs_release(struct pid *pid);

/**
 * struct mpt_procs_view - who lists the table, and how he sees it
 * @ns: the caller's pid namespace
 * @userns: the caller's user namespace
 * @uid: the caller's real uid
 * @all_users: the caller may see every user's processes in @ns
 */
struct mpt_procs_view {
	struct pid_namespace	*ns;
	struct user_namespace	*userns;
	kuid_t			uid;
	bool			all_users;
};

bool mpt_procs_next(const struct mpt_procs_view *view, u32 *nr,
		    struct mpt_proc *out);
u64 mpt_procs_count(void);
u64 mpt_procs_bytes(void);
u64 mpt_procs_max(void);

#endif /* _MPT_PROCS_H */
