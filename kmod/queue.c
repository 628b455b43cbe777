// SPDX-License-Identifier: GPL-2.0
/*
 * Queues: bounded FIFOs of messages that processes share through file
 * descriptors, with multiprocessing.JoinableQueue's task accounting kept
 * exact and visible (linux/mptrace.h, "Queues").
 *
 * Names, owners, modes, files and the registry are obj.c's.  Locking:
 *	obj.c's mutex		the registry, names, mpt_queues_rsv
 *	queue->lock (spinlock)	messages, counters, waiters, consumers
 *	mpt_qcons_lock		the hash of consumers by process, taken
 *				inside queue->lock or alone
 *
 * A queue is counted (kref) by its name while it has one, and by each
 * open file.  It is freed after an RCU grace period, as are consumer
 * entries, because the exit hook reaches them from the hash without a
 * reference.
 *
 * Invariant, under queue->lock:
 *	unfinished = depth + (sum of consumers' inflight) + loose
 *
 * A fast queue (MPT_QUEUE_FAST) keeps its messages in a ring its files
 * map (linux/mptrace.h, "Fast queues"): the "mpt_qr_" functions.  Its
 * depth, bytes, puts and gets are read off the ring; unfinished is the
 * puts less what was settled.  A thread that attaches has an entry in
 * the ring (struct mpt_qthr), whose count of items got in user space is
 * folded into its process's consumer entry whenever the kernel needs
 * that entry's inflight; the consumer entry lives while threads are
 * attached.  The exit of an attached thread repairs a put or get it left
 * half-done.  Everything in the mapping is read as untrusted.
 */
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/mptrace.h>

#include "compat.h"
#include "event.h"
#include "list.h"
#include "lock.h"
#include "name.h"
#include "obj.h"
#include "param.h"
#include "queue.h"
#include "stats.h"

static unsigned int max_queues = 256;
static struct mpt_param max_queues_param = {
	.uint	= &max_queues,
	.min	= 1,
	.max	= 65536,
};
module_param_cb(max_queues, &mpt_param_uint_ops, &max_queues_param, 0444);
MODULE_PARM_DESC(max_queues, "queues that may exist at once (default 256, 1 to 65536)");

/* At most 1 TiB: larger is taken for a mistake. */
static unsigned long max_queue_bytes = 64UL << 20;
static struct mpt_param max_queue_bytes_param = {
	.ulong	= &max_queue_bytes,
	.min	= 4096,
	.max	= 1UL << 40,
};
module_param_cb(max_queue_bytes, &mpt_param_ulong_ops, &max_queue_bytes_param, 0444);
MODULE_PARM_DESC(max_queue_bytes,
		 "bytes all queues may reserve together, capacity * msgsize each (default 64 MiB, 4096 to 2^40)");

/**
 * struct mpt_qmsg_k - one message
 * @node: in the queue's @msgs
 * @seq: its number in the queue
 * @len: bytes of @data
 * @data: the message: @inline_data, or its own allocation when the
 *	header and the message would not fit in a page together
 * @inline_data: the message, when it fits
 */
struct mpt_qmsg_k {
	struct list_head	node;
	u64			seq;
	u32			len;
	char			*data;
	char			inline_data[];
};

/*
 * No allocation of more than a page for a message of a page or less (as
 * System V and POSIX messages do): a 4 KiB message with its header would
 * otherwise take an order-1 block, slower to get and to free.
 */
static struct mpt_qmsg_k *mpt_q_msg_alloc(u32 len)
{
	struct mpt_qmsg_k *m;

	if (struct_size(m, inline_data, len) <= PAGE_SIZE) {
		m = kmalloc(struct_size(m, inline_data, len), GFP_KERNEL_ACCOUNT);
		if (m)
			m->data = m->inline_data;
		return m;
	}
	m = kmalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return NULL;
	m->data = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!m->data) {
		kfree(m);
		return NULL;
	}
	return m;
}

static void mpt_q_msg_free(struct mpt_qmsg_k *m)
{
	if (m->data != m->inline_data)
		kvfree(m->data);
	kfree(m);
}

/* How a wait ended, for the waiter to see when it runs again. */
enum {
	MPT_QWS_WAITING,	/* on the queue's @waiters */
	MPT_QWS_WOKEN,		/* taken off: what it waits for may be there */
	MPT_QWS_DONE,		/* taken off: its put or get was done for it */
};

/**
 * struct mpt_qwaiter_k - a thread blocked on a queue, on its stack
 * @node: in the queue's @waiters, the longest waiting first, while
 *	@state is MPT_QWS_WAITING
 * @task: the thread
 * @what: MPT_QW_*
 * @state: MPT_QWS_*, under the queue's lock
 * @since_ns: CLOCK_BOOTTIME when it began to wait
 * @msg: a put's message; the message handed to a get
 * @seq: the sequence number a put's message was given when moved in
 * @room: a get's buffer, in bytes
 * @detached: a get with %MPT_QMSG_DETACHED
 * @spare: a tracked get's consumer entry, for a hand-off to use if the
 *	getter's process has none
 *
 * Puts and gets are handed over as POSIX message queues do (pipelined
 * send and receive): a put finding a get waiting on an empty queue gives
 * it the message, and a get finding a put waiting on a full queue moves
 * that put's message in, both under the queue's lock; the waiter wakes
 * with its work done (MPT_QWS_DONE) and neither side waits for the lock
 * twice.  Otherwise a waiter is taken off the list and woken
 * (MPT_QWS_WOKEN) and looks again.  Only the thread that ends a wait
 * takes the waiter off: a wake-up is never spent on a thread that has
 * nothing to do.
 */
struct mpt_qwaiter_k {
	struct list_head	node;
	struct task_struct	*task;
	u32			what;
	u32			state;
	u64			since_ns;
	struct mpt_qmsg_k	*msg;
	u64			seq;
	u32			room;
	bool			detached;
	struct mpt_qcons	*spare;
};

/**
 * struct mpt_qcons - a process with items in flight on one queue
 * @node: in the queue's @consumers; empty once removed
 * @hnode: in mpt_qcons_hash, by @tgid
 * @q: the queue
 * @tgid: the process; a reference
 * @inflight: items it got and has not settled (>= 1 unless @nthr)
 * @thrs: its threads attached to a fast queue (struct mpt_qthr)
 * @nthr: how many
 * @dead_next: the exit hook's private list
 * @rcu: freed after a grace period
 */
struct mpt_qcons {
	struct list_head	node;
	struct hlist_node	hnode;
	struct mpt_queue	*q;
	struct pid		*tgid;
	u64			inflight;
	struct list_head	thrs;
	u32			nthr;
	struct mpt_qcons	*dead_next;
	struct rcu_head		rcu;
};

/**
 * struct mpt_queue - a queue
 * @obj: its name, owner, mode, files (obj.c)
 * @capacity: messages at most
 * @msgsize: bytes per message at most
 * @qflags: MPT_QUEUE_TRACE
 * @lock: everything below
 * @msgs: the messages, oldest first
 * @waiters: blocked threads
 * @consumers: processes with items in flight
 * @dead: being freed: no consumer may be settled any more
 * @depth: messages in @msgs
 * @hwm: the largest @depth
 * @nput: producers blocked
 * @nget: consumers blocked
 * @njoin: joins blocked
 * @nconsumers: entries in @consumers
 * @bytes: bytes in @msgs
 * @puts: messages put (and the last sequence number given)
 * @gets: messages got
 * @unfinished: tasks not settled
 * @loose: items got detached, not settled
 * @released: items settled by their consumer's death
 * @consumer_deaths: consumers that died with items in flight
 * @full_waits: producers that blocked
 * @empty_waits: consumers that blocked
 * @rd_wait: POLLIN pollers, and a fast queue's getters asleep out of line
 * @wr_wait: POLLOUT pollers, and a fast queue's putters asleep out of line
 * @rd_line: a fast queue's getters asleep in line (%MPT_QFW_ONE)
 * @wr_line: a fast queue's putters asleep in line
 * @join_wait: joins
 * @rsv: bytes reserved of max_queue_bytes
 * @ring: a fast queue's mapping (vmalloc_user()), or NULL
 * @ents: its entries
 * @slots: its first slot
 * @slot_size: bytes from a slot to the next
 * @entmap: entries taken
 * @skips: slots of puts that never finished (a fast queue's)
 * @settled: items done or released (a fast queue's)
 * @rcu: freed after a grace period
 */
struct mpt_queue {
	struct mpt_obj		obj;
	u32			capacity;
	u32			msgsize;
	u32			qflags;
	u64			rsv;
	struct mpt_qring	*ring;
	struct mpt_qentry	*ents;
	char			*slots;
	u32			slot_size;
	DECLARE_BITMAP(entmap, MPT_QRING_ENTRIES);
	u64			skips;
	u64			settled;

	spinlock_t		lock;	/* see the top of this file */
	struct list_head	msgs;
	struct list_head	waiters;
	struct list_head	consumers;
	bool			dead;
	u32			depth;
	u32			hwm;
	u32			nput;
	u32			nget;
	u32			njoin;
	u32			nconsumers;
	u64			bytes;
	u64			puts;
	u64			gets;
	u64			unfinished;
	u64			loose;
	u64			released;
	u64			consumer_deaths;
	u64			full_waits;
	u64			empty_waits;
	wait_queue_head_t	rd_wait;
	wait_queue_head_t	wr_wait;
	wait_queue_head_t	rd_line;
	wait_queue_head_t	wr_line;
	wait_queue_head_t	join_wait;
	struct rcu_head		rcu;
};

static u64 mpt_queues_rsv;	/* capacity * msgsize of all, under obj.c's mutex */

static DEFINE_HASHTABLE(mpt_qcons_hash, 8);
static DEFINE_SPINLOCK(mpt_qcons_lock);
static atomic_t mpt_nqcons = ATOMIC_INIT(0);

/**
 * struct mpt_qthr - a thread attached to a fast queue
 * @node: in its consumer's @thrs; empty once detached
 * @hnode: in mpt_qthr_hash, by @task (under mpt_qcons_lock)
 * @q: the queue
 * @cons: its process's consumer entry
 * @task: the thread; no reference: its exit detaches it first
 * @idx: its entry in the ring
 * @token: its token
 * @seen: the entry's count of gets already folded into @cons
 * @dead_next: the exit hook's private list
 * @rcu: freed after a grace period
 */
struct mpt_qthr {
	struct list_head	node;
	struct hlist_node	hnode;
	struct mpt_queue	*q;
	struct mpt_qcons	*cons;
	struct task_struct	*task;
	u32			idx;
	u32			token;
	u64			seen;
	struct mpt_qthr		*dead_next;
	struct rcu_head		rcu;
};

static DEFINE_HASHTABLE(mpt_qthr_hash, 8);
static atomic_t mpt_nqthr = ATOMIC_INIT(0);

static const struct file_operations mpt_queue_fops;
static struct mpt_obj_type mpt_queue_type;

static struct mpt_queue *to_queue(struct mpt_obj *obj)
{
	return container_of(obj, struct mpt_queue, obj);
}

static void mpt_q_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct mpt_queue, rcu));
}

/* Messages waiting now, for events: a fast queue's positions between. */
static u32 mpt_q_depth_of(struct mpt_queue *q)
{
	u64 head, tail;

	if (!q->ring)
		return READ_ONCE(q->depth);
	head = READ_ONCE(q->ring->head);
	tail = READ_ONCE(q->ring->tail);
	return tail >= head ? min_t(u64, tail - head, q->capacity) : 0;
}

/* Messages waiting now, for the QUEUE_REMOVE event. */
static u32 mpt_q_depth(struct mpt_obj *obj)
{
	return mpt_q_depth_of(to_queue(obj));
}

/* The last reference is gone: no file, no name. */
static void mpt_q_free(struct mpt_obj *obj)
{
	struct mpt_queue *q = to_queue(obj);
	struct mpt_qmsg_k *m, *mn;
	struct mpt_qcons *e, *en;

	spin_lock(&q->lock);
	q->dead = true;
	list_for_each_entry_safe(e, en, &q->consumers, node) {
		struct mpt_qthr *t, *tn;

		spin_lock(&mpt_qcons_lock);
		if (!hlist_unhashed(&e->hnode))
			hash_del(&e->hnode);
		list_for_each_entry_safe(t, tn, &e->thrs, node) {
			list_del_init(&t->node);
			/* Else its exit hook has it, and frees it. */
			if (!hlist_unhashed(&t->hnode)) {
				hash_del(&t->hnode);
				atomic_dec(&mpt_nqthr);
				kfree_rcu(t, rcu);
			}
		}
		spin_unlock(&mpt_qcons_lock);
		list_del_init(&e->node);
		atomic_dec(&mpt_nqcons);
		put_pid(e->tgid);
		kfree_rcu(e, rcu);
	}
	spin_unlock(&q->lock);

	list_for_each_entry_safe(m, mn, &q->msgs, node)
		mpt_q_msg_free(m);
	/* No mapping is left (it holds a file), and the exit hook saw dead. */
	vfree(q->ring);
	call_rcu(&q->rcu, mpt_q_free_rcu);
}

/* Under obj.c's mutex: the queue leaves the registry. */
static void mpt_q_unlist(struct mpt_obj *obj)
{
	struct mpt_queue *q = to_queue(obj);

	mpt_queues_rsv -= q->rsv;
}

/* Tell the listeners about @q; @task acted. */
static void mpt_q_event_by(struct mpt_queue *q, struct task_struct *task,
			   u16 type, u32 depth, u32 len, u64 count)
{
	struct mpt_src src = {
		.type = type,
		.task = task,
		.depth = depth,
		.len = len,
		.count = count,
	};

	mpt_obj_event(&q->obj, &src);
}

static void mpt_q_event(struct mpt_queue *q, u16 type, u32 depth, u32 len,
			u64 count)
{
	mpt_q_event_by(q, current, type, depth, len, count);
}

/*
 * The layout of a fast queue's mapping for @q's capacity and msgsize:
 * the ring's header page, the entries, the slots.  Returns its size.
 */
static u64 mpt_qr_layout(struct mpt_queue *q, struct mpt_qring *r)
{
	u32 slot_size = sizeof(struct mpt_qslot) + round_up(q->msgsize, 8);
	u32 ents = PAGE_SIZE;
	u32 slots = ents + PAGE_ALIGN(MPT_QRING_ENTRIES *
				      sizeof(struct mpt_qentry));
	u64 size = PAGE_ALIGN(slots + (u64)q->capacity * slot_size);

	if (r) {
		r->capacity = q->capacity;
		r->msgsize = q->msgsize;
		r->slot_size = slot_size;
		r->entries_offset = ents;
		r->slots_offset = slots;
		r->size = size;
		q->ring = r;
		q->ents = (void *)r + ents;
		q->slots = (void *)r + slots;
		q->slot_size = slot_size;
	}
	return size;
}

/* Under obj.c's mutex: a new queue for @arg, a struct mpt_queue_open. */
static struct mpt_obj *mpt_q_make(void *arg)
{
	const struct mpt_queue_open *qo = arg;
	u32 capacity = qo->capacity ?: MPT_QUEUE_DEFAULT_CAPACITY;
	u32 msgsize = qo->msgsize ?: MPT_QUEUE_DEFAULT_MSGSIZE;
	u64 rsv = (u64)capacity * msgsize;
	struct mpt_qring *r;
	struct mpt_queue *q;

	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (!q)
		return ERR_PTR(-ENOMEM);
	q->capacity = capacity;
	q->msgsize = msgsize;
	q->qflags = qo->qflags;
	/* A fast queue reserves its whole mapping: it is all there at once. */
	if (q->qflags & MPT_QUEUE_FAST)
		rsv = mpt_qr_layout(q, NULL);
	if (mpt_queues_rsv + rsv > max_queue_bytes) {
		kfree(q);
		return ERR_PTR(-ENOSPC);
	}
	if (q->qflags & MPT_QUEUE_FAST) {
		/* Zeroed: every slot EMPTY for lap 0, no entry busy. */
		r = vmalloc_user(rsv);
		if (!r) {
			kfree(q);
			return ERR_PTR(-ENOMEM);
		}
		mpt_qr_layout(q, r);
	}
	q->rsv = rsv;
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->msgs);
	INIT_LIST_HEAD(&q->waiters);
	INIT_LIST_HEAD(&q->consumers);
	init_waitqueue_head(&q->rd_wait);
	init_waitqueue_head(&q->wr_wait);
	init_waitqueue_head(&q->rd_line);
	init_waitqueue_head(&q->wr_line);
	init_waitqueue_head(&q->join_wait);
	mpt_queues_rsv += rsv;
	return &q->obj;
}

long mpt_ioc_queue_open(void __user *argp)
{
	struct mpt_queue_open qo;
	struct mpt_obj *obj;
	bool created;
	int ret;

	if (copy_from_user(&qo, argp, sizeof(qo)))
		return -EFAULT;
	ret = mpt_obj_check_open(qo.flags, qo.name, qo.mode);
	if (ret || qo.created || qo.id)
		return -EINVAL;
	if ((qo.flags & MPT_QOPEN_CREATE) &&
	    (qo.capacity > MPT_QUEUE_CAPACITY_MAX ||
	     qo.msgsize > MPT_QUEUE_MSGSIZE_MAX ||
	     (qo.qflags & ~(MPT_QUEUE_TRACE | MPT_QUEUE_FAST)) ||
	     qo.qflags == (MPT_QUEUE_TRACE | MPT_QUEUE_FAST)))
		return -EINVAL;

	obj = mpt_obj_get(&mpt_queue_type, qo.name, qo.flags, qo.mode,
			  mpt_q_make, &qo, &created);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	qo.created = created;
	qo.id = obj->id;
	return mpt_obj_install(obj, qo.flags, created, argp, &qo, sizeof(qo));
}

long mpt_ioc_queue_unlink(void __user *argp)
{
	return mpt_obj_unlink(&mpt_queue_type, argp);
}

/* Under q->lock: may a put (MPT_QW_PUT) or get go on? */
static bool mpt_q_ready(const struct mpt_queue *q, u32 what)
{
	return what == MPT_QW_PUT ? q->depth < q->capacity : q->depth > 0;
}

static u32 *mpt_q_nwait(struct mpt_queue *q, u32 what)
{
	switch (what) {
	case MPT_QW_PUT:
		return &q->nput;
	case MPT_QW_GET:
		return &q->nget;
	default:
		return &q->njoin;
	}
}

static void mpt_q_wake(wait_queue_head_t *wq, __poll_t key)
{
	if (wq_has_sleeper(wq))
		wake_up_interruptible_poll(wq, key);
}

/* Under q->lock: the longest waiting thread that waits for @what. */
static struct mpt_qwaiter_k *mpt_q_first(struct mpt_queue *q, u32 what)
{
	struct mpt_qwaiter_k *w;

	if (!*mpt_q_nwait(q, what))
		return NULL;
	list_for_each_entry(w, &q->waiters, node)
		if (w->what == what)
			return w;
	return NULL;
}

/*
 * Under q->lock: end @w's wait with @state.  Returns its thread, counted,
 * for mpt_q_wake_task() once the lock is dropped: @w may be gone then.
 */
static struct task_struct *mpt_q_end_wait(struct mpt_queue *q,
					  struct mpt_qwaiter_k *w, u32 state)
{
	list_del(&w->node);
	(*mpt_q_nwait(q, w->what))--;
	w->state = state;
	return get_task_struct(w->task);
}

/* Under q->lock: wake the longest waiting thread for @what, if any. */
static struct task_struct *mpt_q_kick(struct mpt_queue *q, u32 what)
{
	struct mpt_qwaiter_k *w = mpt_q_first(q, what);

	return w ? mpt_q_end_wait(q, w, MPT_QWS_WOKEN) : NULL;
}

static void mpt_q_wake_task(struct task_struct *task)
{
	if (task) {
		wake_up_process(task);
		put_task_struct(task);
	}
}

/*
 * Sleep, in the state the caller set, until woken or until @deadline
 * (CLOCK_MONOTONIC; NULL: none).  False when the deadline passed.
 */
static bool mpt_q_sleep(ktime_t *deadline)
{
	if (deadline)
		return schedule_hrtimeout_range(deadline,
						current->timer_slack_ns,
						HRTIMER_MODE_ABS);
	schedule();
	return true;
}

/**
 * mpt_q_wait - wait, with q->lock held, until a put or get may go on
 * @q: the queue, locked; locked again on return
 * @w: the waiter: @what, and for a get @room, @detached and @spare, set
 * @nowait: fail with -EAGAIN rather than block
 * @deadline: CLOCK_MONOTONIC, or NULL to wait for ever
 *
 * Interruptible: a fatal signal always ends the wait.  Returns 0 when
 * the put or get may go on, 1 when another thread did it (see struct
 * mpt_qwaiter_k), -EAGAIN, -ETIMEDOUT or -ERESTARTSYS.  A put or get
 * that could go on goes on, even with a signal pending.
 */
static int mpt_q_wait(struct mpt_queue *q, struct mpt_qwaiter_k *w,
		      bool nowait, ktime_t *deadline)
	__must_hold(&q->lock)
{
	bool timed_out = false;

	if (mpt_q_ready(q, w->what))
		return 0;
	if (nowait)
		return -EAGAIN;

	w->task = current;
	w->since_ns = ktime_get_boottime_ns();
	if (w->what == MPT_QW_PUT)
		q->full_waits++;
	else
		q->empty_waits++;
	mpt_q_event(q, w->what == MPT_QW_PUT ? MPT_EV_QUEUE_FULL :
		    MPT_EV_QUEUE_EMPTY, q->depth, 0, 0);
	/* The first time at the tail; woken for nothing, first again. */
	list_add_tail(&w->node, &q->waiters);

	for (;;) {
		w->state = MPT_QWS_WAITING;
		(*mpt_q_nwait(q, w->what))++;
		__set_current_state(TASK_INTERRUPTIBLE);
		spin_unlock(&q->lock);
		if (signal_pending(current))
			__set_current_state(TASK_RUNNING);
		else
			timed_out = !mpt_q_sleep(deadline);
		spin_lock(&q->lock);

		if (w->state == MPT_QWS_DONE)
			return 1;
		if (w->state == MPT_QWS_WAITING) {
			list_del(&w->node);
			(*mpt_q_nwait(q, w->what))--;
		}
		if (mpt_q_ready(q, w->what))
			return 0;
		if (signal_pending(current))
			return -ERESTARTSYS;
		if (timed_out)
			return -ETIMEDOUT;
		list_add(&w->node, &q->waiters);
	}
}

/* Under q->lock: the process @tgid's entry, or NULL. */
static struct mpt_qcons *mpt_q_consumer(struct mpt_queue *q,
					struct pid *tgid)
{
	struct mpt_qcons *e;

	list_for_each_entry(e, &q->consumers, node)
		if (e->tgid == tgid)
			return e;
	return NULL;
}

/* Under q->lock: @e settled its last item, and no thread is attached. */
static void mpt_q_consumer_drop(struct mpt_queue *q, struct mpt_qcons *e)
{
	if (e->inflight || e->nthr)
		return;
	spin_lock(&mpt_qcons_lock);
	if (!hlist_unhashed(&e->hnode))
		hash_del(&e->hnode);
	spin_unlock(&mpt_qcons_lock);
	list_del_init(&e->node);
	q->nconsumers--;
	atomic_dec(&mpt_nqcons);
	put_pid(e->tgid);
	kfree_rcu(e, rcu);
}

/*
 * Under q->lock: the entry of @tgid, made from *@spare if it has none;
 * NULL when it has none and *@spare is NULL.
 */
static struct mpt_qcons *mpt_q_consumer_make(struct mpt_queue *q,
					     struct pid *tgid,
					     struct mpt_qcons **spare)
{
	struct mpt_qcons *e = mpt_q_consumer(q, tgid);

	if (e || !*spare)
		return e;
	e = *spare;
	*spare = NULL;
	e->q = q;
	e->tgid = get_pid(tgid);
	INIT_LIST_HEAD(&e->thrs);
	list_add_tail(&e->node, &q->consumers);
	q->nconsumers++;
	atomic_inc(&mpt_nqcons);
	spin_lock(&mpt_qcons_lock);
	hash_add(mpt_qcons_hash, &e->hnode, (unsigned long)e->tgid);
	spin_unlock(&mpt_qcons_lock);
	return e;
}

/*
 * Under q->lock: a message is got by a thread of @tgid, detached or in
 * flight for @tgid, whose entry is made from *@spare if it has none.
 * False, with nothing changed, when it has none and *@spare is NULL.
 */
static bool mpt_q_account_get(struct mpt_queue *q, struct pid *tgid,
			      bool detached, struct mpt_qcons **spare)
{
	struct mpt_qcons *e;

	if (detached) {
		q->loose++;
		goto got;
	}
	e = mpt_q_consumer_make(q, tgid, spare);
	if (!e)
		return false;
	e->inflight++;
got:
	q->gets++;
	return true;
}

/*
 * Under q->lock: @m, put by @putter, goes in, or straight to the getter
 * waiting on the empty queue.  Returns a thread to wake (mpt_q_wake_task()) or NULL;
 * *@queued tells whether @m went into the queue (pollers to wake).
 * A getter still waits while messages are queued when the one woken for
 * them could not take them (its buffer too small, its copy failed): the
 * next message wakes it.
 */
static struct task_struct *mpt_q_enqueue(struct mpt_queue *q,
					 struct mpt_qmsg_k *m,
					 struct task_struct *putter,
					 bool *queued)
{
	struct mpt_qwaiter_k *g = mpt_q_first(q, MPT_QW_GET);

	m->seq = ++q->puts;
	q->unfinished++;
	if (q->qflags & MPT_QUEUE_TRACE)
		mpt_q_event_by(q, putter, MPT_EV_QUEUE_PUT, q->depth + 1,
			       m->len, m->seq);
	*queued = false;
	if (g && !q->depth && m->len <= g->room &&
	    mpt_q_account_get(q, task_tgid(g->task), g->detached, &g->spare)) {
		g->msg = m;
		return mpt_q_end_wait(q, g, MPT_QWS_DONE);
	}
	list_add_tail(&m->node, &q->msgs);
	if (++q->depth > q->hwm)
		q->hwm = q->depth;
	q->bytes += m->len;
	*queued = true;
	return g ? mpt_q_end_wait(q, g, MPT_QWS_WOKEN) : NULL;
}

/* --- fast queues: the ring ------------------------------------------------- */

/* The slot of position @pos, and its lap's bits for a state word. */
static struct mpt_qslot *mpt_qr_slot(struct mpt_queue *q, u64 pos, u64 *lap)
{
	u32 idx;
	u64 n = div_u64_rem(pos, q->capacity, &idx);

	*lap = n << MPT_QS_LAP_SHIFT;
	return (struct mpt_qslot *)(q->slots + (size_t)idx * q->slot_size);
}

static void *mpt_qr_data(struct mpt_qslot *s)
{
	return s + 1;
}

static u64 mpt_qr_next_lap(u64 lap)
{
	return (lap + (1ULL << MPT_QS_LAP_SHIFT)) & MPT_QS_LAP;
}

/* The ring's positions, read once; @tail never behind @head. */
static void mpt_qr_ends(struct mpt_queue *q, u64 *head, u64 *tail)
{
	*head = READ_ONCE(q->ring->head);
	*tail = READ_ONCE(q->ring->tail);
	if (*tail < *head || *tail - *head > q->capacity)
		*tail = *head;
}

/*
 * How many sleepers in line (%MPT_QFW_ONE) a wake for @what ends: one a
 * message between @head and @tail (a get), or one a free slot between
 * @tail and a lap past @head (a put), no more than sleep.  A sleeper
 * woken whose own slot has not changed sleeps again: the change of a
 * slot that a sleeper watches wakes, and counts, again.  At most
 * @capacity looks at the ring.
 */
static int mpt_qr_wake_count(struct mpt_queue *q, u32 what)
{
	u32 sleepers = READ_ONCE(*mpt_q_nwait(q, what)), n = 0;
	u64 head, tail, pos, end, lap, want;

	mpt_qr_ends(q, &head, &tail);
	pos = what == MPT_QW_PUT ? tail : head;
	end = what == MPT_QW_PUT ? head + q->capacity : tail;
	want = what == MPT_QW_PUT ? MPT_QS_EMPTY : MPT_QS_FULL;
	for (; pos < end && n < sleepers; pos++) {
		struct mpt_qslot *s = mpt_qr_slot(q, pos, &lap);

		if (READ_ONCE(s->state) == (lap | want))
			n++;
	}
	return n;
}

/*
 * Wake for @what: the pollers and every sleeper out of line, and as many
 * in line as mpt_qr_wake_count() says.
 */
static void mpt_qr_wake(struct mpt_queue *q, u32 what)
{
	wait_queue_head_t *line = what == MPT_QW_PUT ? &q->wr_line : &q->rd_line;
	int n;

	if (what == MPT_QW_PUT)
		mpt_q_wake(&q->wr_wait, EPOLLOUT | EPOLLWRNORM);
	else
		mpt_q_wake(&q->rd_wait, EPOLLIN | EPOLLRDNORM);
	if (wq_has_sleeper(line)) {
		n = mpt_qr_wake_count(q, what);
		if (n)
			__wake_up(line, TASK_INTERRUPTIBLE, n, NULL);
	}
}

/*
 * A loop over the ring that does not move on (nonsense in the mapping,
 * or other threads always first) yields, and ends on a signal.
 */
static int mpt_qr_spin(unsigned int *n)
{
	if (++*n < 64)
		return 0;
	if (signal_pending(current))
		return -ERESTARTSYS;
	cond_resched();
	return 0;
}

/*
 * Under q->lock: the items @t's thread got in user space since the last
 * look go to its process's inflight.  A count that went back, or that
 * would make more in flight than unfinished, is nonsense: taken in part.
 */
static u64 mpt_q_unfinished(struct mpt_queue *q);

static void mpt_qr_fold(struct mpt_queue *q, struct mpt_qthr *t)
{
	u64 now = READ_ONCE(q->ents[t->idx].word) & MPT_QE_GETS;

	if (now <= t->seen)
		return;
	t->cons->inflight += min(now - t->seen, mpt_q_unfinished(q));
	t->seen = now;
}

static void mpt_qr_fold_cons(struct mpt_queue *q, struct mpt_qcons *e)
{
	struct mpt_qthr *t;

	if (!q->ring)
		return;
	list_for_each_entry(t, &e->thrs, node)
		mpt_qr_fold(q, t);
}

static u64 mpt_qr_puts(struct mpt_queue *q)
{
	u64 tail = READ_ONCE(q->ring->tail);

	return tail > q->skips ? tail - q->skips : 0;
}

/* Under q->lock: tasks not settled. */
static u64 mpt_q_unfinished(struct mpt_queue *q)
{
	u64 puts;

	if (!q->ring)
		return q->unfinished;
	puts = mpt_qr_puts(q);
	return puts > q->settled ? puts - q->settled : 0;
}

/* Under q->lock: @n tasks are settled.  True when none is left. */
static bool mpt_q_settle(struct mpt_queue *q, u64 n)
{
	if (q->ring)
		q->settled += n;
	else
		q->unfinished -= n;
	return !mpt_q_unfinished(q);
}

/*
 * Under q->lock, the ring's counts now: messages waiting and their bytes,
 * and skipped slots not yet got past.
 */
static void mpt_qr_count(struct mpt_queue *q, u32 *depth, u64 *bytes,
			 u64 *skips_ahead)
{
	u64 head, tail, pos, lap;

	mpt_qr_ends(q, &head, &tail);
	*depth = 0;
	*bytes = 0;
	*skips_ahead = 0;
	for (pos = head; pos < tail; pos++) {
		struct mpt_qslot *s = mpt_qr_slot(q, pos, &lap);
		u32 len = READ_ONCE(s->len);

		if (READ_ONCE(s->state) != (lap | MPT_QS_FULL))
			continue;
		if (len == MPT_QS_SKIP) {
			(*skips_ahead)++;
		} else if (len <= q->msgsize) {
			(*depth)++;
			*bytes += len;
		}
	}
}

/*
 * Under q->lock: a position claimed by a put holds no message after all.
 * It was counted unfinished: a join may end with it.
 */
static void mpt_qr_skipped(struct mpt_queue *q)
{
	q->skips++;
	if (!mpt_q_unfinished(q))
		mpt_q_wake(&q->join_wait, EPOLLIN);
}

/* The putters' high-water mark, raised for a message put at @pos. */
static void mpt_qr_hwm(struct mpt_queue *q, u64 pos)
{
	u64 held = pos + 1 - READ_ONCE(q->ring->head);
	u32 old = READ_ONCE(q->ring->hwm);

	while (held <= q->capacity && held > old) {
		u32 seen = cmpxchg(&q->ring->hwm, old, (u32)held);

		if (seen == old)
			break;
		old = seen;
	}
}

/**
 * mpt_qr_wait - sleep while the slot of @pos holds @seen
 * @q: a fast queue
 * @what: MPT_QW_PUT or MPT_QW_GET
 * @pos: the position
 * @seen: its slot's state word as the caller saw it
 * @flags: MPT_QMSG_NOWAIT, MPT_QMSG_TIMEOUT (with @deadline),
 *	MPT_QFW_AGAIN
 * @deadline: CLOCK_MONOTONIC, or NULL
 *
 * The sleeper is counted in the ring's sleepers before it looks at the
 * slot a last time, and a thread that changes the slot looks at the
 * sleepers after (both with a full barrier between): one of them sees
 * the other.  Returns 0 (look again), -EAGAIN, -ETIMEDOUT or
 * -ERESTARTSYS.
 */
static int mpt_qr_wait(struct mpt_queue *q, u32 what, u64 pos, u64 seen,
		       u32 flags, ktime_t *deadline)
{
	struct mpt_qwaiter_k w = { .what = what, .task = current };
	wait_queue_head_t *wq = what == MPT_QW_PUT ?
		(flags & MPT_QFW_ONE ? &q->wr_line : &q->wr_wait) :
		(flags & MPT_QFW_ONE ? &q->rd_line : &q->rd_wait);
	u32 *sleepers = what == MPT_QW_PUT ? &q->ring->sleepers_put :
					     &q->ring->sleepers_get;
	struct mpt_qslot *s;
	bool timed_out = false;
	DEFINE_WAIT(wait);
	int ret = 0;
	u64 lap;

	s = mpt_qr_slot(q, pos, &lap);
	if (READ_ONCE(s->state) != seen)
		return 0;
	if (flags & MPT_QMSG_NOWAIT)
		return -EAGAIN;

	spin_lock(&q->lock);
	w.since_ns = ktime_get_boottime_ns();
	if (!(flags & MPT_QFW_AGAIN)) {
		if (what == MPT_QW_PUT)
			q->full_waits++;
		else
			q->empty_waits++;
		mpt_q_event(q, what == MPT_QW_PUT ? MPT_EV_QUEUE_FULL :
			    MPT_EV_QUEUE_EMPTY, mpt_q_depth_of(q), 0, 0);
	}
	list_add_tail(&w.node, &q->waiters);
	WRITE_ONCE(*sleepers, ++*mpt_q_nwait(q, what));
	spin_unlock(&q->lock);

	for (;;) {
		/* A full barrier after the sleepers' count (set_current_state). */
		if (flags & MPT_QFW_ONE)
			prepare_to_wait_exclusive(wq, &wait, TASK_INTERRUPTIBLE);
		else
			prepare_to_wait(wq, &wait, TASK_INTERRUPTIBLE);
		if (READ_ONCE(s->state) != seen)
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (timed_out) {
			ret = -ETIMEDOUT;
			break;
		}
		timed_out = !mpt_q_sleep(deadline);
	}
	finish_wait(wq, &wait);
	/*
	 * Woken in line just as it gave up: that wake was for a change it
	 * must not take from the sleepers behind it.  Off the queue now, it
	 * looks again: a wake that chose it followed the change, and
	 * finish_wait() saw that wake (or took the wake's lock after it).
	 */
	if (ret && READ_ONCE(s->state) != seen)
		ret = 0;

	spin_lock(&q->lock);
	list_del(&w.node);
	WRITE_ONCE(*sleepers, --*mpt_q_nwait(q, what));
	spin_unlock(&q->lock);
	return ret;
}

/* A put of the kernel's, by the protocol, with token 0. */
static int mpt_qr_put(struct mpt_queue *q, const void __user *ubuf, u32 len,
		      bool nowait, ktime_t *deadline, u64 *seq)
{
	struct mpt_qring *r = q->ring;
	u32 flags = MPT_QFW_ONE | (nowait ? MPT_QMSG_NOWAIT : 0);
	unsigned int spins = 0;
	struct mpt_qslot *s;
	u64 pos, st, lap;
	int ret;

	for (;;) {
		pos = READ_ONCE(r->tail);
		s = mpt_qr_slot(q, pos, &lap);
		st = READ_ONCE(s->state);
		if (st == (lap | MPT_QS_EMPTY)) {
			if (cmpxchg(&s->state, st, lap | MPT_QS_WRITING) == st)
				break;
		} else if ((st & MPT_QS_LAP) == lap ||
			   st == (mpt_qr_next_lap(lap) | MPT_QS_EMPTY)) {
			/* Claimed for this lap (or got already): @tail moves on. */
			cmpxchg(&r->tail, pos, pos + 1);
		} else if ((st & MPT_QS_LAP) ==
			   ((lap - (1ULL << MPT_QS_LAP_SHIFT)) & MPT_QS_LAP) &&
			   (st & MPT_QS_PHASE) != MPT_QS_EMPTY) {
			/* The message of the lap before is still there: full. */
			ret = mpt_qr_wait(q, MPT_QW_PUT, pos, st, flags,
					  deadline);
			if (ret)
				return ret;
			flags |= MPT_QFW_AGAIN;
		}
		/* Every turn: a mapper may make the ring turn for ever. */
		ret = mpt_qr_spin(&spins);
		if (ret)
			return ret;
	}
	cmpxchg(&r->tail, pos, pos + 1);

	ret = 0;
	if (copy_from_user(mpt_qr_data(s), ubuf, len)) {
		/* Never put: a gap, as a put that died half-way leaves. */
		spin_lock(&q->lock);
		mpt_qr_skipped(q);
		spin_unlock(&q->lock);
		len = MPT_QS_SKIP;
		ret = -EFAULT;
	}
	WRITE_ONCE(s->len, len);
	/* The message and its length before the word that publishes them. */
	smp_store_release(&s->state, lap | MPT_QS_FULL);
	if (!ret)
		mpt_qr_hwm(q, pos);
	mpt_qr_wake(q, MPT_QW_GET);
	*seq = pos + 1;
	return ret;
}

/* Under q->lock: @s of position @pos, read, becomes room for the next lap. */
static void mpt_qr_consumed(struct mpt_queue *q, struct mpt_qslot *s,
			    u64 pos, u64 st, u64 lap)
{
	cmpxchg(&q->ring->head, pos, pos + 1);
	cmpxchg(&s->state, st, mpt_qr_next_lap(lap) | MPT_QS_EMPTY);
}

/*
 * A get of the kernel's, by the protocol: it holds the slot with token 0
 * (READING) and moves @head only once the message is copied out, so
 * that a failed copy leaves the message first in line.
 */
static int mpt_qr_get(struct mpt_queue *q, void __user *ubuf, u32 *len,
		      u32 flags, ktime_t *deadline, u64 *seq)
{
	struct mpt_qring *r = q->ring;
	bool detached = flags & MPT_QMSG_DETACHED;
	u32 wflags = MPT_QFW_ONE | (flags & MPT_QMSG_NOWAIT);
	struct pid *tgid = task_tgid(current);
	struct mpt_qcons *spare = NULL;
	unsigned int spins = 0;
	struct mpt_qslot *s;
	u64 pos, st, lap;
	u32 mlen;
	int ret;

	if (!detached) {
		spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
		if (!spare)
			return -ENOMEM;
	}
	for (;;) {
		pos = READ_ONCE(r->head);
		s = mpt_qr_slot(q, pos, &lap);
		st = READ_ONCE(s->state);
		if (st == (lap | MPT_QS_FULL)) {
			if (cmpxchg(&s->state, st, lap | MPT_QS_READING) != st)
				goto next;
			st = lap | MPT_QS_READING;
			/* Read once, held: a mapper's later writes are not used. */
			mlen = READ_ONCE(s->len);
			if (mlen <= q->msgsize && mlen > *len) {
				*len = mlen;
				ret = -EMSGSIZE;
				goto give_back;
			}
			if (mlen > q->msgsize) {
				/* Skipped, or nonsense: past it. */
				spin_lock(&q->lock);
				mpt_qr_consumed(q, s, pos, st, lap);
				spin_unlock(&q->lock);
				mpt_qr_wake(q, MPT_QW_PUT);
				mpt_qr_wake(q, MPT_QW_GET);
				goto next;
			}
			if (copy_to_user(ubuf, mpt_qr_data(s), mlen)) {
				ret = -EFAULT;
				goto give_back;
			}
			spin_lock(&q->lock);
			mpt_q_account_get(q, tgid, detached, &spare);
			mpt_qr_consumed(q, s, pos, st, lap);
			spin_unlock(&q->lock);
			mpt_qr_wake(q, MPT_QW_PUT);
			mpt_qr_wake(q, MPT_QW_GET);
			*len = mlen;
			*seq = pos + 1;
			ret = 0;
			goto out;
		}
		if (((st & MPT_QS_LAP) == lap &&
		     (st & MPT_QS_PHASE) == MPT_QS_READING &&
		     (st & MPT_QS_TOKEN)) ||
		    st == (mpt_qr_next_lap(lap) | MPT_QS_EMPTY)) {
			/* Got by another: @head moves on. */
			cmpxchg(&r->head, pos, pos + 1);
		} else if ((st & MPT_QS_LAP) == lap) {
			/* Empty, being written, or held by the kernel. */
			ret = mpt_qr_wait(q, MPT_QW_GET, pos, st, wflags,
					  deadline);
			if (ret)
				goto out;
			wflags |= MPT_QFW_AGAIN;
		}
next:
		/* Every turn: a mapper may make the ring turn for ever. */
		ret = mpt_qr_spin(&spins);
		if (ret)
			goto out;
	}

give_back:
	/* First in line again, our reads of it done; another may take it. */
	smp_store_release(&s->state, lap | MPT_QS_FULL);
	mpt_qr_wake(q, MPT_QW_GET);
out:
	kfree(spare);
	return ret;
}

/*
 * Under q->lock: the thread of @t ends.  A put it left half-done becomes
 * a skipped slot; a get, an item got (in flight for its process, once
 * the entry is folded).
 */
static void mpt_qr_repair(struct mpt_queue *q, struct mpt_qthr *t)
{
	struct mpt_qentry *en = &q->ents[t->idx];
	u64 pos = READ_ONCE(en->pos), word = READ_ONCE(en->word);
	u64 lap, st;
	struct mpt_qslot *s = mpt_qr_slot(q, pos, &lap);

	st = READ_ONCE(s->state);
	if (st == (lap | MPT_QS_WRITING | t->token)) {
		WRITE_ONCE(s->len, MPT_QS_SKIP);
		cmpxchg(&q->ring->tail, pos, pos + 1);
		mpt_qr_skipped(q);
		cmpxchg(&s->state, st, lap | MPT_QS_FULL);
		mpt_qr_wake(q, MPT_QW_GET);
	} else if (st == (lap | MPT_QS_READING | t->token)) {
		/* Got, the count not yet raised: it is, now. */
		if ((word & MPT_QE_BUSY) && READ_ONCE(s->len) != MPT_QS_SKIP)
			word = (word & MPT_QE_GETS) + 1;
		WRITE_ONCE(en->word, word & MPT_QE_GETS);
		mpt_qr_consumed(q, s, pos, st, lap);
		mpt_qr_wake(q, MPT_QW_PUT);
		mpt_qr_wake(q, MPT_QW_GET);
	} else if (word & MPT_QE_BUSY) {
		/* Its claim failed or never came. */
		WRITE_ONCE(en->word, word & MPT_QE_GETS);
	}
}

/*
 * Under q->lock: the thread of @t ended; what it left half-done is
 * repaired, its gets folded into its process's entry, its entry free.
 */
static void mpt_qr_leave(struct mpt_queue *q, struct mpt_qthr *t)
{
	mpt_qr_repair(q, t);
	mpt_qr_fold(q, t);
	list_del_init(&t->node);
	__clear_bit(t->idx, q->entmap);
	t->cons->nthr--;
	/* It may have been woken in line for what it never took: passed on. */
	mpt_qr_wake(q, MPT_QW_PUT);
	mpt_qr_wake(q, MPT_QW_GET);
}

/*
 * Under q->lock: the process of @e ends, and threads that ended before
 * it whose own exit hooks have not run yet are still attached: they
 * leave now (a hook that has one already frees it).
 */
static void mpt_qr_exit_thrs(struct mpt_queue *q, struct mpt_qcons *e)
{
	struct mpt_qthr *t, *tn;

	list_for_each_entry_safe(t, tn, &e->thrs, node) {
		mpt_qr_leave(q, t);
		spin_lock(&mpt_qcons_lock);
		if (!hlist_unhashed(&t->hnode)) {
			hash_del(&t->hnode);
			atomic_dec(&mpt_nqthr);
			kfree_rcu(t, rcu);
		}
		spin_unlock(&mpt_qcons_lock);
	}
}

/*
 * The thread @task ends: its puts and gets under way on fast queues are
 * repaired and it leaves their rings.  Called from the
 * sched_process_exit probe for every thread, before its process's
 * mpt_queues_exit_task(): no sleeping.
 */
void mpt_queues_exit_thread(struct task_struct *task)
{
	struct mpt_qthr *t, *dead = NULL;
	struct hlist_node *tmp;

	if (!atomic_read(&mpt_nqthr))
		return;
	rcu_read_lock();
	spin_lock(&mpt_qcons_lock);
	hash_for_each_possible_safe(mpt_qthr_hash, t, tmp, hnode,
				    (unsigned long)task) {
		if (t->task != task)
			continue;
		hash_del(&t->hnode);
		atomic_dec(&mpt_nqthr);
		t->dead_next = dead;
		dead = t;
	}
	spin_unlock(&mpt_qcons_lock);

	for (t = dead; t; t = dead) {
		struct mpt_queue *q = t->q;

		dead = t->dead_next;
		spin_lock(&q->lock);
		if (!q->dead && !list_empty(&t->node)) {
			mpt_qr_leave(q, t);
			mpt_q_consumer_drop(q, t->cons);
		}
		spin_unlock(&q->lock);
		kfree_rcu(t, rcu);
	}
	rcu_read_unlock();
}

static int mpt_q_put_msg(struct mpt_queue *q, const void __user *ubuf,
			 u32 len, bool nowait, ktime_t *deadline, u64 *seq)
{
	struct mpt_qwaiter_k w = { .what = MPT_QW_PUT };
	struct task_struct *task;
	struct mpt_qmsg_k *m;
	bool queued;
	int ret;

	if (len > q->msgsize)
		return -EMSGSIZE;
	if (q->ring)
		return mpt_qr_put(q, ubuf, len, nowait, deadline, seq);
	m = mpt_q_msg_alloc(len);
	if (!m)
		return -ENOMEM;
	if (copy_from_user(m->data, ubuf, len)) {
		mpt_q_msg_free(m);
		return -EFAULT;
	}
	m->len = len;
	w.msg = m;

	spin_lock(&q->lock);
	ret = mpt_q_wait(q, &w, nowait, deadline);
	if (ret < 0) {
		spin_unlock(&q->lock);
		mpt_q_msg_free(m);
		return ret;
	}
	/* Moved in by a getter: @m may be got and freed already. */
	if (ret) {
		*seq = w.seq;
		spin_unlock(&q->lock);
		return 0;
	}
	task = mpt_q_enqueue(q, m, current, &queued);
	*seq = m->seq;
	spin_unlock(&q->lock);

	mpt_q_wake_task(task);
	if (queued)
		mpt_q_wake(&q->rd_wait, EPOLLIN | EPOLLRDNORM);
	return 0;
}

/* A get whose copy failed: the message goes back first in line. */
static void mpt_q_putback(struct mpt_queue *q, struct mpt_qmsg_k *m,
			  bool detached)
{
	struct task_struct *task;
	struct mpt_qcons *e;

	spin_lock(&q->lock);
	list_add(&m->node, &q->msgs);
	q->depth++;
	q->bytes += m->len;
	q->gets--;
	e = detached ? NULL : mpt_q_consumer(q, task_tgid(current));
	if (e) {
		e->inflight--;
		mpt_q_consumer_drop(q, e);
	} else if (detached && q->loose) {
		q->loose--;
	} else {
		/* Another thread settled the item already: it is back. */
		q->unfinished++;
	}
	task = mpt_q_kick(q, MPT_QW_GET);
	spin_unlock(&q->lock);
	mpt_q_wake_task(task);
	mpt_q_wake(&q->rd_wait, EPOLLIN | EPOLLRDNORM);
}

static int mpt_q_get_msg(struct mpt_queue *q, void __user *ubuf, u32 *len,
			 u32 flags, ktime_t *deadline, u64 *seq)
{
	struct mpt_qwaiter_k w = {
		.what = MPT_QW_GET,
		.room = *len,
		.detached = flags & MPT_QMSG_DETACHED,
	};
	struct pid *tgid = task_tgid(current);
	struct task_struct *task = NULL, *putter = NULL;
	struct mpt_qwaiter_k *p;
	bool nowait = flags & MPT_QMSG_NOWAIT;
	bool queued = false, room = false;
	struct mpt_qmsg_k *m;
	u32 depth;
	int ret;

	if (q->ring)
		return mpt_qr_get(q, ubuf, len, flags, deadline, seq);
again:
	spin_lock(&q->lock);
	if (!w.detached && !w.spare && (q->depth || !nowait) &&
	    !mpt_q_consumer(q, tgid)) {
		/* A get or a hand-off may make this process's entry. */
		spin_unlock(&q->lock);
		w.spare = kzalloc(sizeof(*w.spare), GFP_KERNEL_ACCOUNT);
		if (!w.spare)
			return -ENOMEM;
		goto again;
	}
	ret = mpt_q_wait(q, &w, nowait, deadline);
	if (ret < 0)
		goto unlock;
	if (ret) {
		m = w.msg;
		depth = 0;
		if (fatal_signal_pending(current)) {
			/* Handed over to a thread that dies: not lost. */
			spin_unlock(&q->lock);
			kfree(w.spare);
			mpt_q_putback(q, m, w.detached);
			return -EINTR;
		}
		goto got;
	}
	m = list_first_entry(&q->msgs, struct mpt_qmsg_k, node);
	if (m->len > *len) {
		*len = m->len;
		ret = -EMSGSIZE;
		/* Another getter may have the room. */
		task = mpt_q_kick(q, MPT_QW_GET);
		goto unlock;
	}
	if (!mpt_q_account_get(q, tgid, w.detached, &w.spare)) {
		/* The entry went (another thread settled) since we looked. */
		spin_unlock(&q->lock);
		goto again;
	}
	list_del(&m->node);
	q->depth--;
	q->bytes -= m->len;
	/* A put waiting on the full queue: its message moves in. */
	p = mpt_q_first(q, MPT_QW_PUT);
	if (p) {
		task = mpt_q_enqueue(q, p->msg, p->task, &queued);
		p->seq = p->msg->seq;
		putter = mpt_q_end_wait(q, p, MPT_QWS_DONE);
	} else {
		room = true;
	}
	depth = q->depth;
got:
	spin_unlock(&q->lock);
	kfree(w.spare);
	mpt_q_wake_task(task);
	mpt_q_wake_task(putter);
	if (queued)
		mpt_q_wake(&q->rd_wait, EPOLLIN | EPOLLRDNORM);
	if (room)
		mpt_q_wake(&q->wr_wait, EPOLLOUT | EPOLLWRNORM);

	if (copy_to_user(ubuf, m->data, m->len)) {
		mpt_q_putback(q, m, w.detached);
		return -EFAULT;
	}
	*len = m->len;
	*seq = m->seq;
	if (q->qflags & MPT_QUEUE_TRACE)
		mpt_q_event(q, MPT_EV_QUEUE_GET, depth, m->len, m->seq);
	mpt_q_msg_free(m);
	return 0;

unlock:
	spin_unlock(&q->lock);
	kfree(w.spare);
	mpt_q_wake_task(task);
	return ret;
}

static int mpt_q_task_done(struct mpt_queue *q, u32 count)
{
	struct mpt_qcons *e;
	u64 own, wake;

	spin_lock(&q->lock);
	e = mpt_q_consumer(q, task_tgid(current));
	if (e)
		mpt_qr_fold_cons(q, e);
	own = e ? e->inflight : 0;
	/* More than unfinished: only nonsense in a fast queue's ring. */
	if (count > own + q->loose || count > mpt_q_unfinished(q)) {
		spin_unlock(&q->lock);
		return -EINVAL;
	}
	if (e) {
		e->inflight -= min_t(u64, own, count);
		mpt_q_consumer_drop(q, e);
	}
	if (count > own)
		q->loose -= count - own;
	wake = mpt_q_settle(q, count);
	spin_unlock(&q->lock);
	if (wake)
		mpt_q_wake(&q->join_wait, EPOLLIN);
	return 0;
}

/* Wait until no task is unfinished. */
static int mpt_q_join(struct mpt_queue *q, bool nowait, ktime_t *deadline)
{
	struct mpt_qwaiter_k w = { .what = MPT_QW_JOIN };
	bool timed_out = false;
	DEFINE_WAIT(wait);
	int ret = 0;

	spin_lock(&q->lock);
	if (!mpt_q_unfinished(q))
		goto unlock;
	ret = -EAGAIN;
	if (nowait)
		goto unlock;
	ret = 0;
	w.task = current;
	w.since_ns = ktime_get_boottime_ns();
	list_add_tail(&w.node, &q->waiters);
	q->njoin++;
	while (mpt_q_unfinished(q)) {
		prepare_to_wait(&q->join_wait, &wait, TASK_INTERRUPTIBLE);
		spin_unlock(&q->lock);
		if (signal_pending(current))
			ret = -ERESTARTSYS;
		else
			timed_out = !mpt_q_sleep(deadline);
		spin_lock(&q->lock);
		if (ret)
			break;
		if (timed_out && mpt_q_unfinished(q)) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	finish_wait(&q->join_wait, &wait);
	list_del(&w.node);
	q->njoin--;
unlock:
	spin_unlock(&q->lock);
	return ret;
}

/*
 * The last thread of @task's process ends: its items in flight, on every
 * queue, are released.  Called from the sched_process_exit probe: no
 * sleeping.
 */
void mpt_queues_exit_task(struct task_struct *task)
{
	struct pid *tgid = task_tgid(task);
	struct mpt_qcons *e, *dead = NULL;
	struct hlist_node *tmp;

	if (!atomic_read(&mpt_nqcons))
		return;

	rcu_read_lock();
	spin_lock(&mpt_qcons_lock);
	hash_for_each_possible_safe(mpt_qcons_hash, e, tmp, hnode,
				    (unsigned long)tgid) {
		if (e->tgid != tgid)
			continue;
		hash_del(&e->hnode);
		e->dead_next = dead;
		dead = e;
	}
	spin_unlock(&mpt_qcons_lock);

	for (e = dead; e; e = dead) {
		struct mpt_queue *q = e->q;
		bool wake = false;
		u32 depth = 0;
		u64 n = 0;

		dead = e->dead_next;
		spin_lock(&q->lock);
		/* A dead queue's ring may be freed already: not looked at. */
		if (!q->dead && !list_empty(&e->node)) {
			mpt_qr_exit_thrs(q, e);
			n = min(e->inflight, mpt_q_unfinished(q));
			wake = n && mpt_q_settle(q, n);
			q->released += n;
			q->consumer_deaths += !!n;
			list_del_init(&e->node);
			q->nconsumers--;
			atomic_dec(&mpt_nqcons);
			put_pid(e->tgid);
			kfree_rcu(e, rcu);
			depth = mpt_q_depth_of(q);
		}
		spin_unlock(&q->lock);
		if (!n)
			continue;
		if (wake)
			mpt_q_wake(&q->join_wait, EPOLLIN);
		mpt_q_event(q, MPT_EV_QUEUE_CONSUMER_DIED, depth, 0, n);
	}
	rcu_read_unlock();
}

/*
 * Under q->lock: a fast queue's counts, off its ring.  Gets are the
 * positions got less the skipped slots got past; the kernel's own gets
 * and those of user space alike.
 */
static void mpt_qr_info(struct mpt_queue *q, struct mpt_queue_info *qi)
{
	u64 head, tail, ahead, passed;
	struct mpt_qcons *e;

	list_for_each_entry(e, &q->consumers, node)
		mpt_qr_fold_cons(q, e);
	mpt_qr_count(q, &qi->depth, &qi->bytes, &ahead);
	mpt_qr_ends(q, &head, &tail);
	passed = q->skips > ahead ? q->skips - ahead : 0;
	qi->puts = mpt_qr_puts(q);
	qi->gets = head > passed ? head - passed : 0;
	qi->unfinished = mpt_q_unfinished(q);
	qi->hwm = min(READ_ONCE(q->ring->hwm), q->capacity);
}

/* Fill @qi from @q as @view sees it.  The lists go to @view's room. */
static void mpt_q_info(struct mpt_queue *q, const struct mpt_queues_view *view,
		       struct mpt_queue_info *qi)
{
	struct mpt_qwaiter_k *w;
	struct mpt_qcons *e;
	u32 n;

	memset(qi, 0, sizeof(*qi));
	qi->id = q->obj.id;
	strscpy(qi->name, q->obj.name, sizeof(qi->name));
	qi->capacity = q->capacity;
	qi->msgsize = q->msgsize;
	qi->flags = q->qflags |
		    (READ_ONCE(q->obj.linked) ? 0 : MPT_QUEUE_UNLINKED);
	qi->mode = q->obj.mode;
	qi->uid = from_kuid_munged(view->userns, q->obj.uid);
	qi->gid = from_kgid_munged(view->userns, q->obj.gid);
	qi->created_ns = q->obj.created_ns;
	qi->openers = atomic_read(&q->obj.openers);

	spin_lock(&q->lock);
	qi->depth = q->depth;
	qi->hwm = q->hwm;
	qi->bytes = q->bytes;
	qi->puts = q->puts;
	qi->gets = q->gets;
	qi->unfinished = q->unfinished;
	if (q->ring)
		mpt_qr_info(q, qi);
	qi->loose = q->loose;
	qi->released = q->released;
	qi->consumer_deaths = q->consumer_deaths;
	qi->full_waits = q->full_waits;
	qi->empty_waits = q->empty_waits;
	qi->nput = q->nput;
	qi->nget = q->nget;
	qi->njoin = q->njoin;
	qi->nconsumers = q->nconsumers;

	n = 0;
	list_for_each_entry(w, &q->waiters, node) {
		if (n == view->waiters_max)
			break;
		view->waiters[n].pid = task_tgid_nr_ns(w->task, view->ns);
		view->waiters[n].tid = task_pid_nr_ns(w->task, view->ns);
		view->waiters[n].what = w->what;
		view->waiters[n].reserved = 0;
		view->waiters[n].since_ns = w->since_ns;
		n++;
	}
	qi->waiters_max = n;

	n = 0;
	list_for_each_entry(e, &q->consumers, node) {
		if (n == view->consumers_max)
			break;
		view->consumers[n].pid = pid_nr_ns(e->tgid, view->ns);
		view->consumers[n].reserved = 0;
		view->consumers[n].inflight = e->inflight;
		n++;
	}
	qi->consumers_max = n;
	spin_unlock(&q->lock);
}

/*
 * The next queue, by id from *@id, that the caller may open, in @view's
 * namespace; *@id is then the id after it.  False at the end.
 */
bool mpt_queues_next(const struct mpt_queues_view *view, u64 *id,
		     struct mpt_queue_info *qi)
{
	struct mpt_obj *obj = mpt_obj_next(&mpt_queue_type, view->ns, id);

	if (!obj)
		return false;
	mpt_q_info(to_queue(obj), view, qi);
	mpt_obj_put(obj);
	return true;
}

/*
 * Room for the waiter and consumer lists that @qi points to: allocate
 * it in @view, checked against the limits.
 */
static int mpt_q_info_prepare(struct mpt_queue_info *qi,
			      struct mpt_queues_view *view)
{
	if (qi->waiters_max > MPT_QUEUE_LIST_MAX ||
	    qi->consumers_max > MPT_QUEUE_LIST_MAX)
		return -EINVAL;
	view->waiters_max = qi->waiters ? qi->waiters_max : 0;
	view->consumers_max = qi->consumers ? qi->consumers_max : 0;
	view->waiters = kcalloc(view->waiters_max, sizeof(*view->waiters),
				GFP_KERNEL);
	view->consumers = kcalloc(view->consumers_max,
				  sizeof(*view->consumers), GFP_KERNEL);
	if ((view->waiters_max && !view->waiters) ||
	    (view->consumers_max && !view->consumers)) {
		kfree(view->waiters);
		kfree(view->consumers);
		return -ENOMEM;
	}
	return 0;
}

/* Fill the info of @q for the caller and copy it, lists included, out. */
static long mpt_q_info_out(struct mpt_queue *q, void __user *argp,
			   struct mpt_queue_info *qi)
{
	struct mpt_queues_view view = {
		.ns = task_active_pid_ns(current),
		.userns = current_user_ns(),
	};
	u64 wbuf = qi->waiters, cbuf = qi->consumers;
	long ret;

	ret = mpt_q_info_prepare(qi, &view);
	if (ret)
		return ret;
	mpt_q_info(q, &view, qi);
	qi->waiters = wbuf;
	qi->consumers = cbuf;
	ret = -EFAULT;
	if (copy_to_user(u64_to_user_ptr(wbuf), view.waiters,
			 qi->waiters_max * sizeof(*view.waiters)) ||
	    copy_to_user(u64_to_user_ptr(cbuf), view.consumers,
			 qi->consumers_max * sizeof(*view.consumers)) ||
	    copy_to_user(argp, qi, sizeof(*qi)))
		goto out;
	ret = 0;
out:
	kfree(view.waiters);
	kfree(view.consumers);
	return ret;
}

long mpt_ioc_queue_info(void __user *argp)
{
	struct mpt_queue_info qi;
	struct mpt_obj *obj;
	long ret;

	if (copy_from_user(&qi, argp, sizeof(qi)))
		return -EFAULT;
	if (qi.reserved)
		return -EINVAL;
	obj = mpt_obj_lookup(&mpt_queue_type, qi.name);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	ret = mpt_q_info_out(to_queue(obj), argp, &qi);
	mpt_obj_put(obj);
	return ret;
}

static bool mpt_q_list_next(void *ctx, u64 *pos, void *out)
{
	return mpt_queues_next(ctx, pos, out);
}

long mpt_ioc_queues(void __user *argp)
{
	struct mpt_queues_view view = {
		.ns = task_active_pid_ns(current),
		.userns = current_user_ns(),
	};
	struct mpt_queues_req req;
	u64 pos;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (!req.count || req.count > MPT_QUEUE_LIST_MAX || req.reserved)
		return -EINVAL;
	pos = req.start;
	ret = mpt_list_out(u64_to_user_ptr(req.buf), req.count,
			   sizeof(struct mpt_queue_info), &pos,
			   mpt_q_list_next, &view, &req.count);
	req.next = pos;
	if (!ret && copy_to_user(argp, &req, sizeof(req)))
		ret = -EFAULT;
	return ret;
}

/* --- the queue's file ------------------------------------------------------ */

static ssize_t mpt_queue_read(struct file *file, char __user *buf,
			      size_t len, loff_t *ppos)
{
	u32 room = min_t(size_t, len, U32_MAX);
	u64 seq;
	int ret;

	ret = mpt_q_get_msg(to_queue(file->private_data), buf, &room,
			    file->f_flags & O_NONBLOCK ? MPT_QMSG_NOWAIT : 0,
			    NULL, &seq);
	return ret ? ret : (ssize_t)room;
}

static ssize_t mpt_queue_write(struct file *file, const char __user *buf,
			       size_t len, loff_t *ppos)
{
	struct mpt_queue *q = to_queue(file->private_data);
	u64 seq;
	int ret;

	if (len > q->msgsize)
		return -EMSGSIZE;
	ret = mpt_q_put_msg(q, buf, len, file->f_flags & O_NONBLOCK, NULL,
			    &seq);
	return ret ? ret : (ssize_t)len;
}

/*
 * A fast queue's readiness: a message at @head, room at @tail.  From now
 * on every put and get of user space wakes the kernel (@polled).
 */
static __poll_t mpt_qr_poll(struct mpt_queue *q, struct file *file)
{
	struct mpt_qring *r = q->ring;
	__poll_t mask = 0;
	u64 head, tail, lap;

	if (!READ_ONCE(r->polled)) {
		WRITE_ONCE(r->polled, 1);
		smp_mb();	/* as a sleeper's count: see mpt_qr_wait() */
	}
	mpt_qr_ends(q, &head, &tail);
	if ((file->f_mode & FMODE_READ) &&
	    READ_ONCE(mpt_qr_slot(q, head, &lap)->state) == (lap | MPT_QS_FULL))
		mask |= EPOLLIN | EPOLLRDNORM;
	if ((file->f_mode & FMODE_WRITE) && tail - head < q->capacity)
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static __poll_t mpt_queue_poll(struct file *file, poll_table *wait)
{
	struct mpt_queue *q = to_queue(file->private_data);
	__poll_t mask = 0;

	if (file->f_mode & FMODE_READ)
		poll_wait(file, &q->rd_wait, wait);
	if (file->f_mode & FMODE_WRITE)
		poll_wait(file, &q->wr_wait, wait);
	if (q->ring)
		return mpt_qr_poll(q, file);
	spin_lock(&q->lock);
	if ((file->f_mode & FMODE_READ) && q->depth)
		mask |= EPOLLIN | EPOLLRDNORM;
	if ((file->f_mode & FMODE_WRITE) && q->depth < q->capacity)
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock(&q->lock);
	return mask;
}

/* A deadline from user space, or NULL for none. */
static ktime_t *mpt_q_deadline(u32 flags, u64 deadline_ns, ktime_t *kt)
{
	if (!(flags & MPT_QMSG_TIMEOUT))
		return NULL;
	*kt = ns_to_ktime(min_t(u64, deadline_ns, KTIME_MAX));
	return kt;
}

/* The calling thread's entry in fast queue @q's ring, made if needed. */
static long mpt_qr_attach(struct file *file, void __user *argp)
{
	struct mpt_queue *q = to_queue(file->private_data);
	struct mpt_qattach qa = { 0 };
	struct mpt_qcons *spare = NULL;
	struct mpt_qthr *t, *found = NULL;
	long ret;
	u32 idx;

	if (!q->ring)
		return -ENODEV;
	if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) !=
	    (FMODE_READ | FMODE_WRITE))
		return -EBADF;
	ret = mpt_lk_token(&qa.token);
	if (ret)
		return ret;

	/* Only the thread itself attaches: nothing races with this look. */
	spin_lock(&mpt_qcons_lock);
	hash_for_each_possible(mpt_qthr_hash, t, hnode, (unsigned long)current)
		if (t->task == current && t->q == q)
			found = t;
	spin_unlock(&mpt_qcons_lock);
	if (found) {
		qa.entry = found->idx;
		goto out;
	}

	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	ret = -ENOMEM;
	if (!t || !spare)
		goto fail;
	spin_lock(&q->lock);
	idx = find_first_zero_bit(q->entmap, MPT_QRING_ENTRIES);
	if (idx >= MPT_QRING_ENTRIES) {
		spin_unlock(&q->lock);
		ret = -ENOSPC;
		goto fail;
	}
	__set_bit(idx, q->entmap);
	t->q = q;
	t->task = current;
	t->idx = idx;
	t->token = qa.token;
	t->cons = mpt_q_consumer_make(q, task_tgid(current), &spare);
	t->cons->nthr++;
	list_add_tail(&t->node, &t->cons->thrs);
	WRITE_ONCE(q->ents[idx].pos, 0);
	WRITE_ONCE(q->ents[idx].word, 0);
	spin_lock(&mpt_qcons_lock);
	hash_add(mpt_qthr_hash, &t->hnode, (unsigned long)current);
	spin_unlock(&mpt_qcons_lock);
	atomic_inc(&mpt_nqthr);
	spin_unlock(&q->lock);
	kfree(spare);
	qa.entry = idx;
out:
	return copy_to_user(argp, &qa, sizeof(qa)) ? -EFAULT : 0;
fail:
	kfree(t);
	kfree(spare);
	return ret;
}

static long mpt_qr_wait_ioc(struct file *file, void __user *argp)
{
	struct mpt_queue *q = to_queue(file->private_data);
	struct mpt_qfwait fw;
	ktime_t kt;

	if (!q->ring)
		return -ENODEV;
	if (copy_from_user(&fw, argp, sizeof(fw)))
		return -EFAULT;
	if ((fw.what != MPT_QW_PUT && fw.what != MPT_QW_GET) ||
	    (fw.flags & ~(MPT_QMSG_NOWAIT | MPT_QMSG_TIMEOUT | MPT_QFW_AGAIN |
			  MPT_QFW_ONE)))
		return -EINVAL;
	if (!(file->f_mode & (fw.what == MPT_QW_GET ? FMODE_READ : FMODE_WRITE)))
		return -EBADF;
	return mpt_qr_wait(q, fw.what, fw.pos, fw.state, fw.flags,
			   mpt_q_deadline(fw.flags, fw.deadline_ns, &kt));
}

static long mpt_qr_wake_ioc(struct file *file, unsigned long what)
{
	struct mpt_queue *q = to_queue(file->private_data);

	if (!q->ring)
		return -ENODEV;
	if (what != MPT_QW_PUT && what != MPT_QW_GET)
		return -EINVAL;
	mpt_qr_wake(q, what);
	return 0;
}

static long mpt_qioc_msg(struct file *file, unsigned int cmd,
			 void __user *argp)
{
	struct mpt_queue *q = to_queue(file->private_data);
	u32 allowed = MPT_QMSG_NOWAIT | MPT_QMSG_TIMEOUT;
	struct mpt_qmsg qm;
	ktime_t kt, *deadline;
	long ret;

	if (copy_from_user(&qm, argp, sizeof(qm)))
		return -EFAULT;
	if (cmd == MPT_QIOC_GET)
		allowed |= MPT_QMSG_DETACHED;
	if ((qm.flags & ~allowed) || qm.seq)
		return -EINVAL;
	if (!(file->f_mode & (cmd == MPT_QIOC_GET ? FMODE_READ : FMODE_WRITE)))
		return -EBADF;
	deadline = mpt_q_deadline(qm.flags, qm.deadline_ns, &kt);

	if (cmd == MPT_QIOC_PUT)
		ret = mpt_q_put_msg(q, u64_to_user_ptr(qm.buf), qm.len,
				    qm.flags & MPT_QMSG_NOWAIT, deadline,
				    &qm.seq);
	else
		ret = mpt_q_get_msg(q, u64_to_user_ptr(qm.buf), &qm.len,
				    qm.flags, deadline, &qm.seq);
	if (ret && ret != -EMSGSIZE)
		return ret;
	/*
	 * The message has moved: a failed copy of the answer cannot undo
	 * that, so the caller that passes a bad argument loses its seq.
	 */
	if (copy_to_user(argp, &qm, sizeof(qm)) && !ret)
		return -EFAULT;
	return ret;
}

static long mpt_qioc_wait(struct file *file, unsigned int cmd,
			  void __user *argp)
{
	struct mpt_queue *q = to_queue(file->private_data);
	struct mpt_qwait qw;
	ktime_t kt;

	if (copy_from_user(&qw, argp, sizeof(qw)))
		return -EFAULT;
	if (cmd == MPT_QIOC_TASK_DONE) {
		if (!qw.count || qw.flags || qw.deadline_ns)
			return -EINVAL;
		if (!(file->f_mode & FMODE_READ))
			return -EBADF;
		return mpt_q_task_done(q, qw.count);
	}
	if (qw.count || (qw.flags & ~(MPT_QMSG_NOWAIT | MPT_QMSG_TIMEOUT)))
		return -EINVAL;
	return mpt_q_join(q, qw.flags & MPT_QMSG_NOWAIT,
			  mpt_q_deadline(qw.flags, qw.deadline_ns, &kt));
}

static long mpt_queue_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	struct mpt_queue_info qi;
	long ret;

	switch (cmd) {
	case MPT_QIOC_PUT:
	case MPT_QIOC_GET:
		ret = mpt_qioc_msg(file, cmd, argp);
		break;
	case MPT_QIOC_TASK_DONE:
	case MPT_QIOC_JOIN:
		ret = mpt_qioc_wait(file, cmd, argp);
		break;
	case MPT_QIOC_INFO:
		if (copy_from_user(&qi, argp, sizeof(qi)))
			ret = -EFAULT;
		else if (qi.reserved)
			ret = -EINVAL;
		else
			ret = mpt_q_info_out(to_queue(file->private_data), argp, &qi);
		break;
	case MPT_QIOC_ATTACH:
		ret = mpt_qr_attach(file, argp);
		break;
	case MPT_QIOC_WAIT:
		ret = mpt_qr_wait_ioc(file, argp);
		break;
	case MPT_QIOC_WAKE:
		ret = mpt_qr_wake_ioc(file, arg);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	return mpt_ioctl_result(ret);
}

/*
 * A fast queue's ring: the whole of it, at offset 0, shared.  The core
 * refuses a writable mapping of a file not open for writing, and any
 * mapping of one not open for reading.
 */
static int mpt_queue_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mpt_queue *q = to_queue(file->private_data);

	if (!q->ring)
		return -ENODEV;
	if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) !=
	    (FMODE_READ | FMODE_WRITE))
		return -EACCES;
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != q->rsv ||
	    !(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	mpt_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	return remap_vmalloc_range(vma, q->ring, 0);
}

static const struct file_operations mpt_queue_fops = {
	.owner		= THIS_MODULE,
	.release	= mpt_obj_release,
	.read		= mpt_queue_read,
	.write		= mpt_queue_write,
	.poll		= mpt_queue_poll,
	.unlocked_ioctl	= mpt_queue_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= mpt_queue_mmap,
};

/* --- counters and life ------------------------------------------------------ */

static struct mpt_obj_type mpt_queue_type = {
	.anon_name	= "[mptrace-queue]",
	.fops		= &mpt_queue_fops,
	.max		= &max_queues,
	.refused	= &mpt_stats.queue_refused,
	.ev_create	= MPT_EV_QUEUE_CREATE,
	.ev_remove	= MPT_EV_QUEUE_REMOVE,
	.unlist		= mpt_q_unlist,
	.depth		= mpt_q_depth,
	.free		= mpt_q_free,
	.objs		= LIST_HEAD_INIT(mpt_queue_type.objs),
	.next_id	= 1,
};

u64 mpt_queues_count(void)
{
	return READ_ONCE(mpt_queue_type.count);
}

u64 mpt_queues_max(void)
{
	return max_queues;
}

u64 mpt_queues_reserved(void)
{
	return READ_ONCE(mpt_queues_rsv);
}

u64 mpt_queues_bytes_max(void)
{
	return max_queue_bytes;
}

static u64 mpt_q_bytes(struct mpt_obj *obj)
{
	struct mpt_queue *q = to_queue(obj);
	u64 bytes, skips;
	u32 depth;

	if (!q->ring)
		return READ_ONCE(q->bytes);
	spin_lock(&q->lock);
	mpt_qr_count(q, &depth, &bytes, &skips);
	spin_unlock(&q->lock);
	return bytes;
}

u64 mpt_queues_msg_bytes(void)
{
	return mpt_obj_sum(&mpt_queue_type, mpt_q_bytes);
}

void mpt_queues_exit(void)
{
	mpt_obj_exit(&mpt_queue_type);	/* unlists: mpt_queues_rsv is 0 */
	/* mpt_q_free_rcu() is this module's code. */
	rcu_barrier();
}
