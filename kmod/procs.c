// SPDX-License-Identifier: GPL-2.0
/*
 * The process table: what the kernel forgets about a process.
 *
 * The kernel keeps no memory of a process's first parent, of when it was
 * orphaned or when it became a zombie, and fires no event when it
 * reparents children.  Each tracked process has a record here, linked to
 * its parent's record as the kernel's children lists are: when a process
 * ends, its records's children whose real_parent is no longer one of its
 * threads were orphaned, and the kernel's choice of new parent is read
 * from them.
 *
 * The life of a record:
 *	sched_process_fork		made (mpt_procs_fork)
 *	sched_process_exit, last thread	exit status and time
 *	proc_exit_connector()		after exit_notify(): its children are
 *					reparented, and the process may now
 *					be a zombie (mpt_procs_after_exit)
 *	proc_flush_pid()		in release_task(): reaped; the record
 *					goes (mpt_procs_release)
 *
 * One spinlock guards the table; every hook runs in process context (the
 * kprobes go through ftrace), never in interrupts.  Records are freed
 * after an RCU grace period so that lookups may run under RCU alone.
 */
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/threads.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>
#include <linux/mptrace.h>

#include "event.h"
#include "param.h"
#include "procs.h"
#include "stats.h"

/* At most PID_MAX_LIMIT (4194304 on 64-bit): no more processes exist. */
static unsigned int max_procs = 32768;
static struct mpt_param max_procs_param = {
	.uint	= &max_procs,
	.min	= 1,
	.max	= PID_MAX_LIMIT,
};
module_param_cb(max_procs, &mpt_param_uint_ops, &max_procs_param, 0444);
MODULE_PARM_DESC(max_procs,
		 "processes the table tracks at most (default 32768, 1 to 4194304, about 200 bytes each)");

/* Flags of struct mpt_rec */
#define MPT_REC_EXITED		BIT(0)	/* last thread ended: @status, @exit_ns */
#define MPT_REC_ZOMBIE		BIT(1)	/* ZOMBIE reported: @zombie_ns */
#define MPT_REC_ORPHAN		BIT(2)	/* orphaned at @orphan_ns */
#define MPT_REC_HISTORY_UNKNOWN	BIT(3)	/* predates the module */
#define MPT_REC_ZOMBIE_UNKNOWN	BIT(4)	/* a zombie when the module loaded */

/**
 * struct mpt_rec - what the module remembers of one process
 * @hnode: in mpt_recs, hashed by @pid
 * @sibling: in @parent's @children
 * @children: records of the processes whose parent this one is
 * @plain: on mpt_plain while the record may be evicted
 * @parent: the parent's record, NULL when its parent is not tracked
 * @pid: the process (its tgid); a reference
 * @orig_parent: its first parent (or the one it had when the module
 *	loaded); a reference, kept for life
 * @last_parent: its parent when last seen: at fork, orphaning or zombie
 * @exit_ns: when its last thread ended
 * @zombie_ns: when it became a zombie
 * @orphan_ns: when it was first orphaned
 * @status: its wait(2) status
 * @flags: MPT_REC_*
 * @uid: its real uid, kept at exit for the REAP event
 * @comm: its command name, kept at exit for the REAP event
 * @rcu: to free it once no lookup can see it
 */
struct mpt_rec {
	struct hlist_node	hnode;
	struct list_head	sibling;
	struct list_head	children;
	struct list_head	plain;
	struct mpt_rec		*parent;
	struct pid		*pid;
	struct pid		*orig_parent;
	struct pid		*last_parent;
	u64			exit_ns;
	u64			zombie_ns;
	u64			orphan_ns;
	s32			status;
	u32			flags;
	kuid_t			uid;
	char			comm[TASK_COMM_LEN];
	struct rcu_head		rcu;
};

static DEFINE_HASHTABLE(mpt_recs, 13);
static DEFINE_SPINLOCK(mpt_recs_lock);
/* Live, never orphaned, childless: evictable, oldest first. */
static LIST_HEAD(mpt_plain);
static unsigned int mpt_nrecs;
static struct kmem_cache *mpt_rec_cache;

static struct mpt_rec *rec_find(struct pid *pid)
{
	struct mpt_rec *r;

	hash_for_each_possible_rcu(mpt_recs, r, hnode, (unsigned long)pid,
				   lockdep_is_held(&mpt_recs_lock))
		if (r->pid == pid)
			return r;
	return NULL;
}

static void rec_free(struct mpt_rec *r)
{
	put_pid(r->pid);
	put_pid(r->orig_parent);
	put_pid(r->last_parent);
	kmem_cache_free(mpt_rec_cache, r);
}

static void rec_free_rcu(struct rcu_head *rcu)
{
	rec_free(container_of(rcu, struct mpt_rec, rcu));
}

static void rec_update_plain(struct mpt_rec *r)
{
	bool plain = !(r->flags & (MPT_REC_EXITED | MPT_REC_ORPHAN)) &&
		     list_empty(&r->children);

	if (plain && list_empty(&r->plain))
		list_add_tail(&r->plain, &mpt_plain);
	else if (!plain)
		list_del_init(&r->plain);
}

static void rec_link(struct mpt_rec *r, struct mpt_rec *parent)
{
	r->parent = parent;
	if (parent) {
		list_add_tail(&r->sibling, &parent->children);
		rec_update_plain(parent);
	}
}

static void rec_unlink(struct mpt_rec *r)
{
	struct mpt_rec *parent = r->parent;

	if (!parent)
		return;
	list_del_init(&r->sibling);
	r->parent = NULL;
	rec_update_plain(parent);
}

/* Take @r out of the table; freed after a grace period.  Under the lock. */
static void rec_drop(struct mpt_rec *r)
{
	struct mpt_rec *c, *tmp;

	list_for_each_entry_safe(c, tmp, &r->children, sibling) {
		list_del_init(&c->sibling);
		c->parent = NULL;
	}
	rec_unlink(r);
	list_del_init(&r->plain);
	hash_del_rcu(&r->hnode);
	mpt_nrecs--;
	call_rcu(&r->rcu, rec_free_rcu);
}

static struct mpt_rec *rec_new(struct task_struct *task, gfp_t gfp)
{
	struct mpt_rec *r;

	r = kmem_cache_zalloc(mpt_rec_cache, gfp | __GFP_NOWARN);
	if (!r)
		return NULL;
	INIT_LIST_HEAD(&r->sibling);
	INIT_LIST_HEAD(&r->children);
	INIT_LIST_HEAD(&r->plain);
	r->pid = get_pid(task_tgid(task));
	rcu_read_lock();
	r->orig_parent = get_pid(task_tgid(rcu_dereference(task->real_parent)));
	rcu_read_unlock();
	r->last_parent = get_pid(r->orig_parent);
	return r;
}

/*
 * Put @r in the table under @parent.  When the table is full, the oldest
 * plain record goes (never @parent: it is about to have a child).  False
 * when @r's process has a record already or there is no room.
 */
static bool rec_insert(struct mpt_rec *r, struct mpt_rec *parent)
{
	struct mpt_rec *victim;

	if (rec_find(r->pid))
		return false;
	if (mpt_nrecs >= max_procs) {
		if (parent)
			list_del_init(&parent->plain);
		victim = list_first_entry_or_null(&mpt_plain, struct mpt_rec,
						  plain);
		if (!victim) {
			if (parent)
				rec_update_plain(parent);
			atomic64_inc(&mpt_stats.procs_untracked);
			return false;
		}
		rec_drop(victim);
		atomic64_inc(&mpt_stats.procs_evicted);
	}
	hash_add_rcu(mpt_recs, &r->hnode, (unsigned long)r->pid);
	mpt_nrecs++;
	rec_link(r, parent);
	rec_update_plain(r);
	return true;
}

/* From the fork probe: a new process gets a record. */
void mpt_procs_fork(struct task_struct *child)
{
	struct mpt_rec *r;
	bool ok;

	if (!thread_group_leader(child))
		return;
	r = rec_new(child, GFP_NOWAIT);
	if (!r) {
		atomic64_inc(&mpt_stats.procs_untracked);
		return;
	}
	spin_lock(&mpt_recs_lock);
	ok = rec_insert(r, rec_find(r->orig_parent));
	spin_unlock(&mpt_recs_lock);
	if (!ok)
		rec_free(r);
}

/*
 * From the exit probe, for a thread that finds no thread of its process
 * live.  False when one did before: the group's count falls to zero
 * before the probe, so threads still on their way out may all see it.
 */
bool mpt_procs_exit_task(struct task_struct *task, int status)
{
	char comm[TASK_COMM_LEN];
	bool first = true;
	struct mpt_rec *r;
	kuid_t uid;

	get_task_comm(comm, task);
	uid = task_uid(task);
	spin_lock(&mpt_recs_lock);
	r = rec_find(task_tgid(task));
	if (r && (r->flags & MPT_REC_EXITED)) {
		first = false;
	} else if (r) {
		r->flags |= MPT_REC_EXITED;
		r->status = status;
		r->exit_ns = ktime_get_boottime_ns();
		r->uid = uid;
		memcpy(r->comm, comm, sizeof(r->comm));
		rec_update_plain(r);
	}
	spin_unlock(&mpt_recs_lock);
	return first;
}

/*
 * The status a wait() for the process of @leader sees, as the kernel's
 * wait_task_zombie() makes it: the group's exit code once set (by an
 * exit_group(), a fatal signal, or the last thread's exit), else the
 * leader's own.
 */
int mpt_wait_status(struct task_struct *leader)
{
	struct signal_struct *sig = leader->signal;

	return (READ_ONCE(sig->flags) & SIGNAL_GROUP_EXIT) ?
	       READ_ONCE(sig->group_exit_code) : READ_ONCE(leader->exit_code);
}

/*
 * @c's process was orphaned by the end of process @old: the kernel gave
 * it @np.  @comm, @uid and @zombie describe it, @actor is its task (or,
 * when it is gone already, its reaper); @near as struct mpt_src says.
 * Under the lock and RCU.
 */
static void mpt_orphan(struct mpt_rec *c, struct pid *old,
		       struct task_struct *near, bool held,
		       struct task_struct *actor, struct task_struct *np,
		       const char *comm, kuid_t uid, bool zombie)
{
	struct pid *npid = task_tgid(np);
	struct mpt_src src = {
		.type = MPT_EV_ORPHAN,
		.actor = actor,
		.pid = c->pid,
		.ppid = npid,
		.uid = uid,
		.comm = comm,
		.old_parent = old,
		.old_near = near,
		.old_near_held = held,
		.orig_parent = c->orig_parent,
	};

	rec_unlink(c);
	rec_link(c, rec_find(npid));
	c->flags |= MPT_REC_ORPHAN;
	if (!c->orphan_ns)
		c->orphan_ns = ktime_get_boottime_ns();
	rec_update_plain(c);

	if (np->signal->is_child_subreaper)
		src.flags |= MPT_ORPHAN_SUBREAPER;
	if (is_child_reaper(npid))
		src.flags |= MPT_ORPHAN_NS_INIT;
	if (zombie)
		src.flags |= MPT_ORPHAN_ZOMBIE;
	if (c->flags & MPT_REC_HISTORY_UNKNOWN)
		src.flags |= MPT_ORPHAN_HISTORY_UNKNOWN;
	mpt_emit(&src);
	/* After the event: @old may be this very reference. */
	put_pid(c->last_parent);
	c->last_parent = get_pid(npid);
}

/*
 * @r's process is ending: those of its children that the kernel gave to
 * another process were orphaned.  A child passed to a live thread of the
 * same process was not.  @near: its last thread, or the thread reaping
 * it (its parent, or itself); @held: as struct mpt_src's old_near_held.
 * Under the lock and RCU.
 */
static void mpt_orphan_children(struct mpt_rec *r, struct task_struct *near,
				bool held)
{
	struct mpt_rec *c, *tmp;

	list_for_each_entry_safe(c, tmp, &r->children, sibling) {
		struct task_struct *t = pid_task(c->pid, PIDTYPE_TGID);
		struct task_struct *np;

		if (!t)		/* being released: its REAP unlinks it */
			continue;
		np = rcu_dereference(t->real_parent);
		if (task_tgid(np) != r->pid) {
			/* @t may be reaped meanwhile: tell it from a copy. */
			char comm[TASK_COMM_LEN];

			memcpy(comm, t->comm, sizeof(comm));
			comm[sizeof(comm) - 1] = '\0';
			mpt_orphan(c, r->pid, near, held, t, np, comm,
				   task_uid(t), READ_ONCE(t->exit_state));
		}
	}
}

/*
 * From the kprobe after exit_notify(): @task has passed its children on
 * and, when it was the last thread, made its process a zombie (or had it
 * reaped at once).  Only the end of the whole process matters: while
 * another thread lives, children go to that thread.
 */
void mpt_procs_after_exit(struct task_struct *task)
{
	struct task_struct *leader;
	struct mpt_rec *r;
	struct pid *pid;

	if (atomic_read(&task->signal->live))
		return;
	rcu_read_lock();
	pid = task_tgid(task);
	if (!pid)		/* released already: REAP did the rest */
		goto out;
	spin_lock(&mpt_recs_lock);
	r = rec_find(pid);
	if (!r)
		goto unlock;
	/* @task had its pid when this RCU section began (just above). */
	mpt_orphan_children(r, task, true);

	leader = pid_task(pid, PIDTYPE_TGID);
	if (leader && READ_ONCE(leader->exit_state) == EXIT_ZOMBIE &&
	    thread_group_empty(leader) && !(r->flags & MPT_REC_ZOMBIE)) {
		/*
		 * Its parent may reap it as we speak: the event is told
		 * from the record, not from the task.
		 */
		struct mpt_src src = {
			.type = MPT_EV_ZOMBIE,
			.actor = leader,
			.pid = pid,
			.comm = r->comm,
		};

		if (!(r->flags & MPT_REC_EXITED)) {
			r->flags |= MPT_REC_EXITED;
			r->status = mpt_wait_status(leader);
			r->exit_ns = ktime_get_boottime_ns();
			r->uid = task_uid(leader);
			memcpy(r->comm, leader->comm, sizeof(r->comm));
			r->comm[sizeof(r->comm) - 1] = '\0';
		}
		src.status = r->status;
		src.uid = r->uid;
		r->flags |= MPT_REC_ZOMBIE;
		r->zombie_ns = ktime_get_boottime_ns();
		put_pid(r->last_parent);
		r->last_parent =
			get_pid(task_tgid(rcu_dereference(leader->real_parent)));
		src.ppid = r->last_parent;
		mpt_emit(&src);
	}
unlock:
	spin_unlock(&mpt_recs_lock);
out:
	rcu_read_unlock();
}

/* Has the process @pid ended (all its threads gone through exit)? */
static bool mpt_process_ended(struct pid *pid)
{
	struct task_struct *t = pid_task(pid, PIDTYPE_TGID);

	return !t || !atomic_read(&t->signal->live);
}

/*
 * From the kprobe on proc_flush_pid() in release_task(): @pid's task is
 * gone.  When @pid is a tracked process, it was reaped by current: by a
 * wait(2), or without one when current is exiting (the process itself,
 * or a parent passing a zombie to a reaper that ignores SIGCHLD).
 */
void mpt_procs_release(struct pid *pid)
{
	struct mpt_src src = {
		.type = MPT_EV_REAP,
		.actor = current,
		.pid = pid,
	};
	struct mpt_rec *r;
	u64 now;

	rcu_read_lock();
	if (!rec_find(pid))	/* a thread, or untracked: no lock taken */
		goto out;
	spin_lock(&mpt_recs_lock);
	r = rec_find(pid);
	if (!r)
		goto unlock;
	/* Its parent may reap it before its after-exit probe looks. */
	mpt_orphan_children(r, current, false);

	now = ktime_get_boottime_ns();
	src.how = current->flags & PF_EXITING ? MPT_REAP_AUTO : MPT_REAP_WAIT;
	/*
	 * A zombie whose parent ended can be reaped by its new parent
	 * before the ending parent's after-exit probe looks at its
	 * children: then the orphaning is told here, just before the reap.
	 */
	if (src.how == MPT_REAP_WAIT && r->last_parent &&
	    r->last_parent != task_tgid(current) &&
	    mpt_process_ended(r->last_parent))
		mpt_orphan(r, r->last_parent, NULL, false, current, current,
			   r->comm, r->uid, true);
	/* A task releasing itself has already left its tgid. */
	src.reaper = task_tgid(current) ?: pid;
	src.ppid = r->last_parent;
	src.uid = r->uid;
	src.comm = r->comm;
	src.status = r->status;
	if (src.how == MPT_REAP_WAIT && !(r->flags & MPT_REC_ZOMBIE)) {
		/* Reaped before the exiting thread could tell: tell now. */
		src.type = MPT_EV_ZOMBIE;
		src.ppid = src.reaper;
		mpt_emit(&src);
		src.type = MPT_EV_REAP;
		r->flags |= MPT_REC_ZOMBIE;
		r->zombie_ns = now;
	}
	if (r->flags & MPT_REC_ZOMBIE)
		src.zombie_ns = now - r->zombie_ns;
	if (r->flags & MPT_REC_ZOMBIE_UNKNOWN)
		src.flags |= MPT_REAP_ZOMBIE_UNKNOWN;
	mpt_emit(&src);
	rec_drop(r);
unlock:
	spin_unlock(&mpt_recs_lock);
out:
	rcu_read_unlock();
}

/*
 * At load, after the probes are attached: a record for every process
 * that exists (history unknown), then each linked to its parent's.
 */
void mpt_procs_scan(void)
{
	struct task_struct *p, *t;
	struct mpt_rec *r;
	unsigned int bkt;
	bool ok;

	rcu_read_lock();
	for_each_process(p) {
		r = rec_new(p, GFP_ATOMIC);
		if (!r) {
			atomic64_inc(&mpt_stats.procs_untracked);
			continue;
		}
		r->flags = MPT_REC_HISTORY_UNKNOWN;
		if (READ_ONCE(p->exit_state) == EXIT_ZOMBIE &&
		    thread_group_empty(p)) {
			r->flags |= MPT_REC_EXITED | MPT_REC_ZOMBIE |
				    MPT_REC_ZOMBIE_UNKNOWN;
			r->status = mpt_wait_status(p);
			r->exit_ns = mpt_stats.loaded_ns;
			r->zombie_ns = mpt_stats.loaded_ns;
			r->uid = task_uid(p);
			get_task_comm(r->comm, p);
		}
		/*
		 * A zombie reaped since we looked: unhashed already, its
		 * proc_flush_pid() probe may have found no record, so it
		 * gets none; unhashed after this look, that probe comes
		 * after us (the lock) and reaps the record.
		 */
		spin_lock(&mpt_recs_lock);
		ok = pid_alive(p) && r->pid && rec_insert(r, NULL);
		spin_unlock(&mpt_recs_lock);
		if (!ok)
			rec_free(r);
	}

	spin_lock(&mpt_recs_lock);
	hash_for_each(mpt_recs, bkt, r, hnode) {
		if (r->parent)
			continue;
		t = pid_task(r->pid, PIDTYPE_TGID);
		if (t)
			rec_link(r, rec_find(task_tgid(rcu_dereference(t->real_parent))));
	}
	spin_unlock(&mpt_recs_lock);
	rcu_read_unlock();
}

/* Why a zombie whose parent is @parent waits.  Under RCU. */
static u8 mpt_zombie_why(struct task_struct *parent)
{
	unsigned int state;

	if (parent->flags & PF_EXITING)
		return MPT_ZW_PARENT_EXITING;
	/*
	 * A diagnosis, not a wakeup: no barrier needed.  do_wait() queues
	 * itself here while it sleeps; nothing else does but io_uring's
	 * waitid, which is a wait too.
	 */
	if (waitqueue_active(&parent->signal->wait_chldexit))
		return MPT_ZW_WAITS_OTHER;
	state = READ_ONCE(parent->__state);
	if (state & (__TASK_STOPPED | __TASK_TRACED))
		return MPT_ZW_STOPPED;
	return state == TASK_RUNNING ? MPT_ZW_NOT_WAITING : MPT_ZW_BLOCKED;
}

static void mpt_fill(const struct mpt_procs_view *view, struct pid *pid,
		     struct task_struct *task, struct mpt_proc *out)
{
	struct task_struct *parent = rcu_dereference(task->real_parent);
	bool zombie = READ_ONCE(task->exit_state) == EXIT_ZOMBIE &&
		      thread_group_empty(task);
	struct mpt_rec *r;

	memset(out, 0, sizeof(*out));
	out->pid = pid_nr_ns(pid, view->ns);
	out->ppid = task_tgid_nr_ns(parent, view->ns);
	out->uid = from_kuid_munged(view->userns, task_cred_xxx(task, uid));
	out->start_ns = task->start_boottime;
	out->state = task_state_to_char(task);
	out->threads = task->exit_state ? 0 : get_nr_threads(task);
	get_task_comm(out->comm, task);
	if (zombie) {
		out->flags |= MPT_PROC_ZOMBIE;
		out->why = mpt_zombie_why(parent);
		out->status = task->exit_code;
	}
	if (task->signal->is_child_subreaper)
		out->flags |= MPT_PROC_SUBREAPER;
	if (is_child_reaper(pid))
		out->flags |= MPT_PROC_NS_INIT;
	if (task->flags & PF_KTHREAD)
		out->flags |= MPT_PROC_KTHREAD;

	spin_lock(&mpt_recs_lock);
	r = rec_find(pid);
	if (r) {
		out->orig_ppid = pid_nr_ns(r->orig_parent, view->ns);
		if (r->flags & MPT_REC_ORPHAN) {
			out->flags |= MPT_PROC_ORPHAN;
			out->orphan_ns = r->orphan_ns;
		}
		if (r->flags & MPT_REC_EXITED) {
			out->exit_ns = r->exit_ns;
			out->status = r->status;
		}
		if (r->flags & MPT_REC_HISTORY_UNKNOWN)
			out->flags |= MPT_PROC_HISTORY_UNKNOWN;
	} else {
		out->orig_ppid = out->ppid;
		out->flags |= MPT_PROC_HISTORY_UNKNOWN;
	}
	spin_unlock(&mpt_recs_lock);
}

/*
 * The first process with a pid >= *@nr that @view may see, into @out;
 * *@nr then is the pid to go on from.  False when there is none.
 */
bool mpt_procs_next(const struct mpt_procs_view *view, u32 *nr,
		    struct mpt_proc *out)
{
	struct task_struct *task;
	struct pid *pid;
	bool found = false;

	if (*nr < 1)
		*nr = 1;
	rcu_read_lock();
	while (!found && *nr <= PID_MAX_LIMIT &&
	       (pid = find_ge_pid(*nr, view->ns))) {
		*nr = pid_nr_ns(pid, view->ns) + 1;
		task = pid_task(pid, PIDTYPE_TGID);
		if (!task || (!view->all_users &&
			      !uid_eq(task_cred_xxx(task, uid), view->uid)))
			continue;
		mpt_fill(view, pid, task, out);
		found = true;
	}
	rcu_read_unlock();
	return found;
}

u64 mpt_procs_count(void)
{
	return READ_ONCE(mpt_nrecs);
}

u64 mpt_procs_bytes(void)
{
	return (u64)READ_ONCE(mpt_nrecs) * kmem_cache_size(mpt_rec_cache);
}

u64 mpt_procs_max(void)
{
	return max_procs;
}

int mpt_procs_init(void)
{
	mpt_rec_cache = kmem_cache_create("mptrace_proc",
					  sizeof(struct mpt_rec), 0, 0, NULL);
	return mpt_rec_cache ? 0 : -ENOMEM;
}

/* After every probe and every reader is gone. */
void mpt_procs_exit(void)
{
	struct hlist_node *tmp;
	struct mpt_rec *r;
	unsigned int bkt;

	hash_for_each_safe(mpt_recs, bkt, tmp, r, hnode) {
		hash_del(&r->hnode);
		rec_free(r);
	}
	mpt_nrecs = 0;
	INIT_LIST_HEAD(&mpt_plain);
	rcu_barrier();		/* the records dropped by call_rcu */
	kmem_cache_destroy(mpt_rec_cache);
}
