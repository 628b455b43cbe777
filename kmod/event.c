// SPDX-License-Identifier: GPL-2.0
/*
 * Events: one source, rendered for each reader as its namespaces see it.
 */
#include <linux/cred.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uidgid.h>

#include "cycle.h"
#include "dev.h"
#include "lock.h"
#include "event.h"
#include "netlink.h"
#include "ring.h"

static atomic64_t mpt_seq = ATOMIC64_INIT(0);
/*
 * Numbers events and delivers them as one step, so that every reader
 * receives them in the order of their numbers: without it two CPUs
 * emitting at once could deliver 13 before 12, and a netlink reader
 * would count 12 as lost.  Taken inside the probes' own locks (process
 * records, locks' graph, queues); takes the readers' ring locks and the
 * netlink broadcast inside.
 */
static DEFINE_SPINLOCK(mpt_emit_lock);

/*
 * Called from the probes.  Nothing is done, not even a sequence number
 * taken, unless someone listens on either channel.
 */
void mpt_emit(struct mpt_src *src)
{
	bool dev = mpt_dev_listening();
	unsigned int nl = mpt_nl_listening(src->type);

	if (!dev && !nl)
		return;
	spin_lock(&mpt_emit_lock);
	src->seq = atomic64_inc_return(&mpt_seq);
	src->time_ns = ktime_get_boottime_ns();
	if (dev)
		mpt_dev_deliver(src);
	if (nl)
		mpt_nl_deliver(src, nl);
	spin_unlock(&mpt_emit_lock);
}

/*
 * Send what waits for netlink listeners (see mpt_nl_flush()); @close:
 * the family is going away, and nothing is gathered after.
 */
void mpt_emit_flush(bool close)
{
	spin_lock(&mpt_emit_lock);
	mpt_nl_flush(close);
	spin_unlock(&mpt_emit_lock);
}

/* The process an event is about: its tgid. */
struct pid *mpt_src_pid(const struct mpt_src *src)
{
	return src->task ? task_tgid(src->task) : src->pid;
}

/* Its real uid.  Under RCU. */
kuid_t mpt_src_uid(const struct mpt_src *src)
{
	return src->task ? task_cred_xxx(src->task, uid) : src->uid;
}

static void render_task(struct task_struct *task, struct pid_namespace *ns,
			struct user_namespace *userns, struct mpt_task *t)
{
	struct task_struct *parent;

	t->pid = task_tgid_nr_ns(task, ns);
	t->tid = task_pid_nr_ns(task, ns);
	rcu_read_lock();
	parent = rcu_dereference(task->real_parent);
	t->ppid = task_tgid_nr_ns(parent, ns);
	t->uid = from_kuid_munged(userns, task_cred_xxx(task, uid));
	rcu_read_unlock();
	get_task_comm(t->comm, task);
}

/* The steps of a deadlock cycle; threads outside @ns show as 0. */
static void render_cycle(const struct mpt_src *src, struct pid_namespace *ns,
			 struct mpt_event_deadlock *d)
{
	int i;

	d->len = src->count;
	d->flags = src->flags;
	for (i = 0; i < src->cycle_len && i < MPT_DEADLOCK_MAX; i++) {
		struct task_struct *task = (void *)src->cycle[i].thread;

		d->cycle[i].pid = task_tgid_nr_ns(task, ns);
		d->cycle[i].tid = task_pid_nr_ns(task, ns);
		d->cycle[i].lock_id = mpt_lock_id(src->cycle[i].lock);
		strscpy(d->cycle[i].name, mpt_lock_name(src->cycle[i].lock),
			sizeof(d->cycle[i].name));
	}
}

/*
 * Fill @ev with @src as seen from pid namespace @ns and user namespace
 * @userns.  Returns false when the task is not visible from @ns.
 */
bool mpt_render(const struct mpt_src *src, struct pid_namespace *ns,
		struct user_namespace *userns, struct mpt_event *ev)
{
	struct mpt_task *t;

	if (!pid_nr_ns(mpt_src_pid(src), ns))
		return false;

	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = src->type;
	ev->hdr.flags = src->thread ? MPT_EVF_THREAD : 0;
	ev->hdr.seq = src->seq;
	ev->hdr.time_ns = src->time_ns;

	switch (src->type) {
	case MPT_EV_FORK:
		t = &ev->fork.task;
		ev->hdr.size = sizeof(ev->fork);
		ev->fork.parent_pid = task_tgid_nr_ns(src->actor, ns);
		ev->fork.parent_tid = task_pid_nr_ns(src->actor, ns);
		break;
	case MPT_EV_EXEC:
		t = &ev->exec.task;
		ev->hdr.size = sizeof(ev->exec);
		/*
		 * A thread other than the leader that calls execve takes the
		 * leader's pid, and its own is freed before the tracepoint:
		 * that number is known in the initial namespace alone.
		 */
		if (src->old_tid == task_pid_nr(src->task))
			ev->exec.old_tid = task_pid_nr_ns(src->task, ns);
		else
			ev->exec.old_tid = ns == &init_pid_ns ? src->old_tid : 0;
		if (strscpy(ev->exec.filename, src->filename,
			    sizeof(ev->exec.filename)) < 0)
			ev->exec.flags |= MPT_EXEC_TRUNCATED;
		break;
	case MPT_EV_EXIT:
		t = &ev->exit.task;
		ev->hdr.size = sizeof(ev->exit);
		ev->exit.status = src->status;
		break;
	case MPT_EV_ZOMBIE:
		t = &ev->zombie.task;
		ev->hdr.size = sizeof(ev->zombie);
		ev->zombie.status = src->status;
		break;
	case MPT_EV_REAP:
		t = &ev->reap.task;
		ev->hdr.size = sizeof(ev->reap);
		ev->reap.reaper_pid = pid_nr_ns(src->reaper, ns);
		ev->reap.how = src->how;
		ev->reap.status = src->status;
		ev->reap.flags = src->flags;
		ev->reap.zombie_ns = src->zombie_ns;
		break;
	case MPT_EV_ORPHAN:
		t = &ev->orphan.task;
		ev->hdr.size = sizeof(ev->orphan);
		ev->orphan.old_ppid = pid_nr_ns(src->old_parent, ns);
		ev->orphan.orig_ppid = pid_nr_ns(src->orig_parent, ns);
		ev->orphan.flags = src->flags;
		break;
	case MPT_EV_QUEUE_CREATE ... MPT_EV_QUEUE_GET:
		t = &ev->queue.task;
		ev->hdr.size = sizeof(ev->queue);
		ev->queue.queue_id = src->obj_id;
		ev->queue.depth = src->depth;
		ev->queue.len = src->len;
		ev->queue.count = src->count;
		strscpy(ev->queue.name, src->obj_name, sizeof(ev->queue.name));
		break;
	case MPT_EV_LOCK_CREATE ... MPT_EV_LOCK_OWNER_DIED:
	case MPT_EV_LOCK_ACQUIRE ... MPT_EV_LOCK_RELEASE:
		t = &ev->lock.task;
		ev->hdr.size = sizeof(ev->lock);
		ev->lock.lock_id = src->obj_id;
		if (src->owner) {
			ev->lock.owner_pid = task_tgid_nr_ns(src->owner, ns);
			ev->lock.owner_tid = task_pid_nr_ns(src->owner, ns);
		}
		ev->lock.ns = src->ns;
		ev->lock.count = src->count;
		ev->lock.waiters = src->waiters;
		strscpy(ev->lock.name, src->obj_name, sizeof(ev->lock.name));
		break;
	case MPT_EV_DEADLOCK:
		t = &ev->deadlock.task;
		ev->hdr.size = sizeof(ev->deadlock);
		render_cycle(src, ns, &ev->deadlock);
		break;
	default:
		return false;
	}
	if (src->task) {
		render_task(src->task, ns, userns, t);
	} else {
		t->pid = pid_nr_ns(src->pid, ns);
		t->tid = t->pid;
		t->ppid = pid_nr_ns(src->ppid, ns);
		t->uid = from_kuid_munged(userns, src->uid);
		strscpy(t->comm, src->comm, sizeof(t->comm));
	}
	return true;
}
