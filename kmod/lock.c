// SPDX-License-Identifier: GPL-2.0
/*
 * Locks that know their owner: mutexes and recursive locks shared by
 * processes through file descriptors, released when their owner dies,
 * taken by whoever runs first but never starving a waiter, and refusing
 * any wait that would close a wait-for cycle (linux/mptrace.h, "Locks").
 *
 * Hand-over works like the kernel's own mutex: a release marks the lock
 * free and wakes the first waiter, and a thread that runs may take a
 * free lock before that waiter does (it steals it: no context switch per
 * acquisition).  A woken waiter that ran, found the lock taken again
 * and went back to sleep is woken again by the next release, or handed
 * the lock directly by it once it was first woken MPT_LK_HANDOFF_NS ago
 * (the next release that enters the kernel: every release of a lock
 * that is not fast, and of a fast lock while its word says
 * MPT_LOCKW_WAITERS), as is the next waiter of an owner that died.  A
 * waiter woken and not yet run is never handed the lock, nor woken
 * again: it will run and look.  Handing the lock to a thread that was
 * not running left it idle until that thread was scheduled, and the
 * threads that ran queued behind it: four processes on two CPUs spent a
 * third of their time idle.
 *
 * Names, owners of the object, modes, files and the registry are obj.c's.
 * Everything about holding and waiting is under one spinlock,
 * mpt_lk_lock: the deadlock search follows owners and waits across all
 * locks at once, so they must hold still together.
 *
 * A lock is owned by a thread (task pointer).  No reference is kept: the
 * exit probe (mpt_locks_exit_task) releases every lock a thread holds
 * before the thread can be freed.  Waiters live on their own stacks and
 * leave the lists before they return.  A lock whose last file closes and
 * whose name is gone is freed even if held; its owner is forgotten.
 *
 * A fast lock (MPT_LOCK_FAST) has a page its files map, whose word user
 * space changes by compare-and-swap while the kernel is not involved
 * (@kmode false: no owner or dead owner's news in the kernel's fields;
 * waiters stay on its list, asleep).  Every entry into the kernel for
 * the lock first takes the word over (mpt_lk_absorb(): the word becomes
 * MPT_LOCKW_KERNEL, which no compare-and-swap of user space expects, and
 * the owner it named becomes @owner, found by its token), works on the
 * kernel's fields as for any lock, and gives the state back to the word
 * on its way out (mpt_lk_settle()), marked MPT_LOCKW_WAITERS while
 * threads wait that a release must wake: the last release then enters
 * the kernel to wake one, and threads that run may take and release the
 * lock in user space while the woken waiter has not run yet, as they may
 * a kernel-kept lock.  A thread's token
 * maps to it through mpt_lk_tokens; a thread with a token that ends has
 * its fast locks taken over first, so that it dies their owner as it
 * would any lock's.
 */
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/hrtimer.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pid_namespace.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/mptrace.h>

#include "cycle.h"
#include "event.h"
#include "list.h"
#include "lock.h"
#include "obj.h"
#include "param.h"
#include "stats.h"

/* A waiter first woken this long ago is handed the lock once it lost. */
#define MPT_LK_HANDOFF_NS	NSEC_PER_MSEC

static unsigned int max_locks = 1024;
static struct mpt_param max_locks_param = {
	.uint	= &max_locks,
	.min	= 1,
	.max	= 65536,
};
module_param_cb(max_locks, &mpt_param_uint_ops, &max_locks_param, 0444);
MODULE_PARM_DESC(max_locks, "locks that may exist at once (default 1024, 1 to 65536)");

static unsigned int max_lock_tokens = MPT_LOCK_TOKENS_MAX;
static struct mpt_param max_lock_tokens_param = {
	.uint	= &max_lock_tokens,
	.min	= 1,
	.max	= MPT_LOCK_TOKENS_MAX,
};
module_param_cb(max_lock_tokens, &mpt_param_uint_ops, &max_lock_tokens_param,
		0444);
MODULE_PARM_DESC(max_lock_tokens,
		 "threads that may hold a token for fast locks at once (default 65536, 1 to 65536)");

/**
 * struct mpt_lwaiter_k - a thread waiting for a lock, on its stack
 * @node: in the lock's @waiters, FIFO
 * @hnode: in mpt_lk_waiting, by @task
 * @task: the thread
 * @lock: the lock it waits for
 * @since_ns: CLOCK_BOOTTIME when it began to wait
 * @granted: the lock was handed to it (set last, with release order)
 * @woken: a release found it first and woke it; the lock was left free
 * @woken_ns: CLOCK_BOOTTIME when it was first woken; 0 before
 * @owner_died: it was handed over by a dead owner's exit
 * @dead_pid: then, the dead owner's process; a reference
 * @dead_tid: and thread; a reference
 */
struct mpt_lwaiter_k {
	struct list_head	node;
	struct hlist_node	hnode;
	struct task_struct	*task;
	struct mpt_lock		*lock;
	u64			since_ns;
	u64			woken_ns;
	bool			granted;
	bool			woken;
	bool			owner_died;
	struct pid		*dead_pid;
	struct pid		*dead_tid;
};

/**
 * struct mpt_lock - a lock
 * @obj: name, owner of the object, mode, files (obj.c)
 * @kind: MPT_LOCK_MUTEX or MPT_LOCK_RECURSIVE
 * @lflags: MPT_LOCK_TRACE
 * @owner: the thread holding it, or NULL (under mpt_lk_lock, as all below)
 * @ohnode: in mpt_lk_owned by @owner while held
 * @count: recursion count
 * @held_ns: CLOCK_BOOTTIME since it is held
 * @owner_dead: its last owner died holding it; nobody has taken it since
 * @dead_pid: then, that owner's process; a reference
 * @dead_tid: and thread; a reference
 * @waiters: threads waiting, FIFO
 * @nwaiters: how many
 * @acquisitions: counters, as struct mpt_lock_info names them
 * @contentions: see struct mpt_lock_info
 * @owner_deaths: see struct mpt_lock_info
 * @deadlocks: see struct mpt_lock_info
 * @timeouts: see struct mpt_lock_info
 * @hold_total_ns: see struct mpt_lock_info
 * @hold_max_ns: see struct mpt_lock_info
 * @wait_total_ns: see struct mpt_lock_info
 * @wait_max_ns: see struct mpt_lock_info
 * @page: a fast lock's page, which its files map; NULL for others
 * @fp: its kernel address
 * @fnode: in mpt_lk_fast while the lock lives
 * @kmode: a fast lock's owner is in the fields above, not in its word
 */
struct mpt_lock {
	struct mpt_obj		obj;
	u32			kind;
	u32			lflags;
	struct task_struct	*owner;
	struct hlist_node	ohnode;
	u32			count;
	u64			held_ns;
	bool			owner_dead;
	struct pid		*dead_pid;
	struct pid		*dead_tid;
	struct list_head	waiters;
	u32			nwaiters;
	u64			acquisitions;
	u64			contentions;
	u64			owner_deaths;
	u64			deadlocks;
	u64			timeouts;
	u64			hold_total_ns;
	u64			hold_max_ns;
	u64			wait_total_ns;
	u64			wait_max_ns;
	struct page		*page;
	struct mpt_lock_page	*fp;
	struct list_head	fnode;
	bool			kmode;
};

/**
 * struct mpt_lk_token - a thread's token for fast locks
 * @hnode: in mpt_lk_tokened, by @task (changed under mpt_lk_lock, read
 *	under it or RCU)
 * @task: the thread; no reference: the exit probe drops the token first
 * @token: its value in mpt_lk_tokens
 * @rcu: for freeing after the exit probes that may look at it
 */
struct mpt_lk_token {
	struct hlist_node	hnode;
	struct task_struct	*task;
	u32			token;
	struct rcu_head		rcu;
};

static DEFINE_SPINLOCK(mpt_lk_lock);
static DEFINE_HASHTABLE(mpt_lk_owned, 8);	/* locks, by owner task */
static DEFINE_HASHTABLE(mpt_lk_waiting, 8);	/* waiters, by task */
static unsigned int mpt_lk_nwaiting;		/* in it */
static atomic_t mpt_lk_held = ATOMIC_INIT(0);

static LIST_HEAD(mpt_lk_fast);			/* fast locks */
static DEFINE_HASHTABLE(mpt_lk_tokened, 8);	/* tokens, by task */
/* Tokens to their struct mpt_lk_token; erased under mpt_lk_lock. */
static DEFINE_XARRAY_ALLOC1(mpt_lk_tokens);
static u32 mpt_lk_token_next;
static u32 mpt_lk_token_gen;	/* of this load, never 0; set once */
static atomic_t mpt_lk_ntokens = ATOMIC_INIT(0);

static const struct file_operations mpt_lock_fops;
static struct mpt_obj_type mpt_lock_type;

static struct mpt_lock *to_lock(struct mpt_obj *obj)
{
	return container_of(obj, struct mpt_lock, obj);
}

static struct task_struct *mpt_lk_token_task(u32 token);

/* --- the wait-for graph, for cycle.c --------------------------------------- */

/*
 * Under mpt_lk_lock: the thread holding @lock.  A fast lock that the
 * kernel does not keep says it in its word: a lock someone waits for may
 * be held in user space (MPT_LOCKW_WAITERS).  Its owner cannot let it go
 * while it waits itself, so a cycle found through it is real.
 */
static const void *mpt_lk_owner(const void *lock)
{
	const struct mpt_lock *lk = lock;
	u64 word;

	if (!lk->fp || lk->kmode)
		return lk->owner;
	word = READ_ONCE(lk->fp->word);
	if ((word & MPT_LOCKW_KERNEL) || !(word & MPT_LOCKW_COUNT))
		return NULL;
	return mpt_lk_token_task(word & MPT_LOCKW_TOKEN);
}

/* Under mpt_lk_lock: the lock @thread waits for, or NULL. */
static const void *mpt_lk_waits(const void *thread)
{
	struct mpt_lwaiter_k *w;

	hash_for_each_possible(mpt_lk_waiting, w, hnode, (unsigned long)thread)
		if (w->task == thread && !w->granted)
			return w->lock;
	return NULL;
}

static const struct mpt_cycle_ops mpt_lk_graph = {
	.owner = mpt_lk_owner,
	.waits = mpt_lk_waits,
};

/* --- events ------------------------------------------------------------------ */

/*
 * What an event says about a lock, gathered under mpt_lk_lock; @task
 * acted (current when NULL).
 */
struct mpt_lk_ev {
	u16			type;
	struct task_struct	*task;
	struct task_struct	*owner;
	u64			ns;
	u32			count;
	u32			waiters;
};

/* Under mpt_lk_lock, or with @lk's state copied into @e. */
static void mpt_lk_emit(struct mpt_lock *lk, const struct mpt_lk_ev *e)
{
	struct mpt_src src = {
		.type = e->type,
		.task = e->task,
		.owner = e->owner,
		.ns = e->ns,
		.count = e->count,
		.waiters = e->waiters,
	};

	mpt_obj_event(&lk->obj, &src);
}

/* --- holding and handing over ---------------------------------------------- */

/* Under mpt_lk_lock: @task holds the free @lk @count times. */
static void mpt_lk_own(struct mpt_lock *lk, struct task_struct *task,
		       u32 count)
{
	lk->owner = task;
	lk->count = count;
	lk->held_ns = ktime_get_boottime_ns();
	hash_add(mpt_lk_owned, &lk->ohnode, (unsigned long)task);
	atomic_inc(&mpt_lk_held);
}

/* Under mpt_lk_lock: @task takes the free @lk. */
static void mpt_lk_take(struct mpt_lock *lk, struct task_struct *task)
{
	mpt_lk_own(lk, task, 1);
	lk->acquisitions++;
}

/* Under mpt_lk_lock: @lk's owner is no longer the kernel's business. */
static void mpt_lk_disown(struct mpt_lock *lk)
{
	hash_del(&lk->ohnode);
	atomic_dec(&mpt_lk_held);
	lk->owner = NULL;
	lk->count = 0;
}

/* Under mpt_lk_lock: the news of a dead owner passes to @w's thread. */
static void mpt_lk_tell_dead(struct mpt_lock *lk, struct mpt_lwaiter_k *w)
{
	if (!lk->owner_dead)
		return;
	w->owner_died = true;
	w->dead_pid = lk->dead_pid;	/* the references pass */
	w->dead_tid = lk->dead_tid;
	lk->dead_pid = NULL;
	lk->dead_tid = NULL;
	lk->owner_dead = false;
}

/* Under mpt_lk_lock: @w stops waiting. */
static void mpt_lk_dequeue(struct mpt_lock *lk, struct mpt_lwaiter_k *w)
{
	list_del_init(&w->node);
	hash_del(&w->hnode);
	mpt_lk_nwaiting--;
	lk->nwaiters--;
}

static void mpt_lk_forget_dead(struct mpt_lock *lk)
{
	put_pid(lk->dead_pid);
	put_pid(lk->dead_tid);
	lk->dead_pid = NULL;
	lk->dead_tid = NULL;
	lk->owner_dead = false;
}

/*
 * Under mpt_lk_lock: @lk is free; its first waiter, if any and not woken
 * already, is woken to take it.  Returns it, with a reference, or NULL.
 */
static struct task_struct *mpt_lk_pass(struct mpt_lock *lk)
{
	struct mpt_lwaiter_k *w;

	if (lk->owner || list_empty(&lk->waiters))
		return NULL;
	w = list_first_entry(&lk->waiters, struct mpt_lwaiter_k, node);
	if (w->woken)
		return NULL;
	if (!w->woken_ns)	/* the first time: the hand-off's clock */
		w->woken_ns = ktime_get_boottime_ns();
	WRITE_ONCE(w->woken, true);
	get_task_struct(w->task);
	return w->task;
}

/*
 * Under mpt_lk_lock: the owner lets @lk go (for good: its count is
 * spent, or it died, @dead).  The first waiter, if any, is woken to
 * take the free lock (again, if it lost a race for it), or handed it
 * directly when the owner died, or when it lost a race and was first
 * woken MPT_LK_HANDOFF_NS ago.  One woken and not yet run is left to
 * run and look.  Returns the thread to wake, with a reference, or
 * NULL.  Returns the hold's length in *@held.
 */
static struct task_struct *mpt_lk_handoff(struct mpt_lock *lk, bool dead,
					  u64 *held)
{
	struct task_struct *old = lk->owner;
	struct mpt_lwaiter_k *w;

	*held = ktime_get_boottime_ns() - lk->held_ns;
	lk->hold_total_ns += *held;
	lk->hold_max_ns = max(lk->hold_max_ns, *held);
	mpt_lk_disown(lk);
	if (dead) {
		mpt_lk_forget_dead(lk);
		lk->owner_dead = true;
		lk->dead_pid = get_pid(task_tgid(old));
		lk->dead_tid = get_pid(task_pid(old));
	}
	if (list_empty(&lk->waiters))
		return NULL;

	w = list_first_entry(&lk->waiters, struct mpt_lwaiter_k, node);
	/*
	 * Being killed, it must not die as the owner (nor take the death
	 * of @old with it): it leaves the line, and passes the wake-up on.
	 */
	if (fatal_signal_pending(w->task))
		return NULL;
	if (!dead && (w->woken || !w->woken_ns ||
		      ktime_get_boottime_ns() - w->woken_ns < MPT_LK_HANDOFF_NS)) {
		/* Free for whoever comes first: the waiter too. */
		if (!w->woken)
			return mpt_lk_pass(lk);
		return NULL;	/* woken, it has not run yet */
	}
	mpt_lk_dequeue(lk, w);
	mpt_lk_take(lk, w->task);
	mpt_lk_tell_dead(lk, w);
	get_task_struct(w->task);
	/* The waiter may return as soon as it sees this. */
	smp_store_release(&w->granted, true);
	return w->task;
}

static void mpt_lk_wake(struct task_struct *task)
{
	if (task) {
		wake_up_process(task);
		put_task_struct(task);
	}
}

/* --- fast locks: the word and the tokens ------------------------------------- */

/* Under mpt_lk_lock or RCU: @task's token, or NULL. */
static struct mpt_lk_token *mpt_lk_token_of(struct task_struct *task)
{
	struct mpt_lk_token *t;

	hash_for_each_possible_rcu(mpt_lk_tokened, t, hnode,
				   (unsigned long)task)
		if (t->task == task)
			return t;
	return NULL;
}

/* Under mpt_lk_lock: the thread whose token @token is, or NULL. */
static struct task_struct *mpt_lk_token_task(u32 token)
{
	struct mpt_lk_token *t = token ? xa_load(&mpt_lk_tokens, token) : NULL;

	return t ? t->task : NULL;
}

/*
 * Under mpt_lk_lock: the kernel takes fast @lk's state over from its
 * word, which says MPT_LOCKW_KERNEL from now on: user space enters the
 * kernel to acquire or release it until mpt_lk_settle().  An owner the
 * word names by a token nobody has is dead, its ids unknown.
 */
static void mpt_lk_absorb(struct mpt_lock *lk)
{
	struct task_struct *task = NULL;
	u64 old;
	u32 count;

	if (!lk->fp || lk->kmode)
		return;
	old = xchg(&lk->fp->word, MPT_LOCKW_KERNEL);
	lk->kmode = true;
	/* Free; the kernel knows its waiters, the word only says it has some. */
	if (!(old & ~MPT_LOCKW_WAITERS))
		return;
	count = (old & MPT_LOCKW_COUNT) >> 32;
	if (!(old & MPT_LOCKW_KERNEL) && count)
		task = mpt_lk_token_task(old & MPT_LOCKW_TOKEN);
	if (task) {
		mpt_lk_own(lk, task,
			   lk->kind == MPT_LOCK_RECURSIVE ? count : 1);
		return;
	}
	lk->owner_deaths++;
	mpt_lk_forget_dead(lk);
	lk->owner_dead = true;
}

/*
 * Under mpt_lk_lock: a release of @lk has a waiter to wake or to hand
 * the lock to.  Only the first waiter is ever woken (mpt_lk_pass()) or
 * handed the lock (mpt_lk_handoff()), and neither is done to one woken
 * already and not yet run: it will look by itself, and becomes a waiter
 * to wake again when it loses the race.  Those behind it wait for it
 * to take the lock or lose.
 */
static bool mpt_lk_must_wake(const struct mpt_lock *lk)
{
	const struct mpt_lwaiter_k *w;

	if (!lk->nwaiters)
		return false;
	w = list_first_entry(&lk->waiters, struct mpt_lwaiter_k, node);
	return !READ_ONCE(w->woken);
}

/*
 * Under mpt_lk_lock, on the way out of every entry for fast @lk: the
 * word takes the state back (the owner's token and count, or 0; with
 * MPT_LOCKW_WAITERS when a release must wake a waiter), so that
 * acquires and releases stay in user space until one must.  A first
 * waiter woken and not yet run leaves the bit off, however many wait
 * behind it: the threads that run take and let go of the lock without
 * the kernel meanwhile (a release that entered it for each, until the
 * woken one ran, made a contended fast lock about as slow as one used
 * through the ioctls), and the woken waiter, when it runs, takes the
 * lock if free, or sets the bit again as it goes back to sleep.  The
 * kernel keeps the state while a dead owner's news waits for the next
 * owner, and for an owner without a token.
 */
static void mpt_lk_settle(struct mpt_lock *lk)
{
	struct mpt_lk_token *t;
	u64 word = 0;

	if (!lk->kmode || lk->owner_dead)
		return;
	if (lk->owner) {
		t = mpt_lk_token_of(lk->owner);
		if (!t || lk->count > MPT_LOCKW_COUNT >> 32)
			return;
		word = t->token | (u64)lk->count << 32;
		mpt_lk_disown(lk);
	}
	if (mpt_lk_must_wake(lk))
		word |= MPT_LOCKW_WAITERS;
	lk->kmode = false;
	/* The owner's writes under the kernel's hold come before. */
	smp_store_release(&lk->fp->word, word);
}

/* mpt_lk_settle() and let go of mpt_lk_lock. */
static void mpt_lk_unlock(struct mpt_lock *lk)
	__releases(&mpt_lk_lock)
{
	mpt_lk_settle(lk);
	spin_unlock(&mpt_lk_lock);
}

/*
 * Under mpt_lk_lock: the thread of token @t ends.  The fast locks
 * whose words hold its token are taken over, so that it dies as their
 * owner.
 */
static void mpt_lk_token_exit(struct mpt_lk_token *t)
{
	struct mpt_lock *lk;

	list_for_each_entry(lk, &mpt_lk_fast, fnode) {
		u64 word = READ_ONCE(lk->fp->word);

		if (!lk->kmode && !(word & MPT_LOCKW_KERNEL) &&
		    (word & MPT_LOCKW_TOKEN) == t->token)
			mpt_lk_absorb(lk);
	}
}

/*
 * The thread @task ends, or will never run user code again: every lock
 * it holds is released, and its next owner told.  Called from the
 * sched_process_exit probe for every thread (no sleeping, @gone: its
 * token goes too), and earlier from mpt_lk_dying_work for a thread
 * killed by a signal.
 */
static void mpt_lk_exit_task(struct task_struct *task, bool gone)
{
	struct mpt_lk_token *t = NULL;
	struct mpt_lock *lk;
	struct hlist_node *tmp;

	if (!atomic_read(&mpt_lk_held)) {
		bool token;

		/* Most threads have no token: no lock for them. */
		if (!atomic_read(&mpt_lk_ntokens))
			return;
		rcu_read_lock();
		token = mpt_lk_token_of(task);
		rcu_read_unlock();
		if (!token)
			return;
	}
	spin_lock(&mpt_lk_lock);
	if (atomic_read(&mpt_lk_ntokens)) {
		t = mpt_lk_token_of(task);
		if (t)
			mpt_lk_token_exit(t);
	}
	hash_for_each_possible_safe(mpt_lk_owned, lk, tmp, ohnode,
				    (unsigned long)task) {
		struct mpt_lk_ev e = {
			.type = MPT_EV_LOCK_OWNER_DIED,
			.task = task,	/* the event names the dead thread */
		};

		if (lk->owner != task)
			continue;
		lk->owner_deaths++;
		mpt_lk_wake(mpt_lk_handoff(lk, true, &e.ns));
		e.waiters = lk->nwaiters;
		mpt_lk_emit(lk, &e);
		if (lk->fp)
			mpt_lk_settle(lk);
	}
	/* Gone: its token with it (a thread killed still may take locks). */
	if (t && gone) {
		hash_del_rcu(&t->hnode);
		xa_erase(&mpt_lk_tokens, t->token);
	} else {
		t = NULL;
	}
	spin_unlock(&mpt_lk_lock);
	if (t) {
		atomic_dec(&mpt_lk_ntokens);
		kfree_rcu(t, rcu);
	}
}

/* The exit probe's: @task ends. */
void mpt_locks_exit_task(struct task_struct *task)
{
	mpt_lk_exit_task(task, true);
}

/*
 * Threads that a signal kills, whose locks go before their exit: the
 * exit tears the address space down first (exit_mm()), which a robust
 * futex's waiter does not wait for.
 */
struct mpt_lk_dying {
	struct llist_node	node;
	struct task_struct	*task;
};

static LLIST_HEAD(mpt_lk_dying_list);

static void mpt_lk_dying_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&mpt_lk_dying_list);
	struct mpt_lk_dying *d, *tmp;

	llist_for_each_entry_safe(d, tmp, list, node) {
		mpt_lk_exit_task(d->task, false);
		put_task_struct(d->task);
		kfree(d);
	}
}

static DECLARE_WORK(mpt_lk_dying_work, mpt_lk_dying_fn);

/*
 * current took a fatal signal (get_signal(), siglock held, interrupts
 * off): it never runs user code again, so its locks may go now.  They
 * go from a worker: mpt_lk_lock nests the event locks, which may not be
 * taken under the siglock.  The exit probe releases them anyway, if the
 * worker has not yet or the allocation failed.
 */
void mpt_locks_dying(void)
{
	struct mpt_lk_dying *d;

	if (!atomic_read(&mpt_lk_held) && !atomic_read(&mpt_lk_ntokens))
		return;
	d = kmalloc(sizeof(*d), GFP_ATOMIC);
	if (!d)
		return;
	d->task = get_task_struct(current);
	if (llist_add(&d->node, &mpt_lk_dying_list))
		queue_work(system_unbound_wq, &mpt_lk_dying_work);
}

/* --- acquiring ------------------------------------------------------------- */

/* Under mpt_lk_lock: report a refused wait, @n threads around the cycle. */
static void mpt_lk_deadlock(struct mpt_lock *lk, struct mpt_cycle_step *path,
			    int n)
{
	struct mpt_src src = {
		.type = MPT_EV_DEADLOCK,
		.count = n,
		.flags = n > MPT_DEADLOCK_MAX ? MPT_DEADLOCK_TRUNCATED : 0,
		.cycle = path,
		.cycle_len = min(n, MPT_DEADLOCK_MAX),
	};

	lk->deadlocks++;
	mpt_obj_event(&lk->obj, &src);
}

/*
 * The cycle's steps as events render them: the thread and the lock it
 * waits for.  The lock is a struct mpt_lock: event.c reads its id and
 * name through these.
 */
u64 mpt_lock_id(const void *lock)
{
	return ((const struct mpt_lock *)lock)->obj.id;
}

const char *mpt_lock_name(const void *lock)
{
	return ((const struct mpt_lock *)lock)->obj.name;
}

static void mpt_lk_waited(struct mpt_lock *lk, u64 waited)
{
	lk->wait_total_ns += waited;
	lk->wait_max_ns = max(lk->wait_max_ns, waited);
}

/*
 * Sleep until granted, woken to take the free lock, a signal or
 * @deadline.  Returns 0 or -errno.
 */
static int mpt_lk_sleep(struct mpt_lwaiter_k *w, ktime_t *deadline)
{
	int ret = 0;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		/* Pairs with smp_store_release() in mpt_lk_handoff(). */
		if (smp_load_acquire(&w->granted) || READ_ONCE(w->woken))
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (!deadline) {
			schedule();
		} else if (!schedule_hrtimeout_range(deadline,
						     current->timer_slack_ns,
						     HRTIMER_MODE_ABS)) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	__set_current_state(TASK_RUNNING);
	return ret;
}

static int mpt_lk_acquire(struct mpt_lock *lk, struct mpt_lock_acq *acq,
			  ktime_t *deadline)
{
	struct mpt_cycle_step path[MPT_DEADLOCK_MAX];
	struct mpt_lk_ev e = { .type = MPT_EV_LOCK_CONTENDED };
	struct mpt_lwaiter_k w = { .task = current, .lock = lk };
	u64 t0 = ktime_get_ns();
	int n, ret;

	spin_lock(&mpt_lk_lock);
	mpt_lk_absorb(lk);
	if (lk->owner == current && lk->kind == MPT_LOCK_RECURSIVE) {
		if (lk->count == U32_MAX) {	/* as pthread's EAGAIN */
			mpt_lk_unlock(lk);
			return -EAGAIN;
		}
		lk->count++;
		lk->acquisitions++;
		goto got;
	}
	if (!lk->owner) {	/* free, even if a woken waiter wants it */
		mpt_lk_take(lk, current);
		mpt_lk_tell_dead(lk, &w);
		goto got;
	}
	if (lk->owner == current) {	/* a mutex, again: a cycle of one */
		path[0].thread = current;
		path[0].lock = lk;
		mpt_lk_deadlock(lk, path, 1);
		mpt_lk_unlock(lk);
		return -EDEADLK;
	}
	if (acq->flags & MPT_LOCK_TRY) {
		mpt_lk_unlock(lk);
		return -EBUSY;
	}
	/*
	 * A path longer than the waiting threads goes round a cycle that
	 * a fast lock's word, written by its sharers, has made without
	 * @current: not a wait of ours that closes one.
	 */
	n = mpt_cycle_find(&mpt_lk_graph, current, lk, path, MPT_DEADLOCK_MAX,
			   mpt_lk_nwaiting + 2);
	if (n) {
		mpt_lk_deadlock(lk, path, n);
		mpt_lk_unlock(lk);
		return -EDEADLK;
	}

	w.since_ns = ktime_get_boottime_ns();
	list_add_tail(&w.node, &lk->waiters);
	hash_add(mpt_lk_waiting, &w.hnode, (unsigned long)current);
	mpt_lk_nwaiting++;
	lk->nwaiters++;
	lk->contentions++;
	e.owner = lk->owner;
	e.waiters = lk->nwaiters;
	mpt_lk_emit(lk, &e);

	for (;;) {
		mpt_lk_unlock(lk);
		ret = mpt_lk_sleep(&w, deadline);
		spin_lock(&mpt_lk_lock);
		mpt_lk_absorb(lk);	/* one that runs may have taken it */
		/*
		 * Granted: ours, whatever ended the sleep.  Free: ours too,
		 * unless a signal came (a thread being killed must not take
		 * it, to die as its owner).
		 */
		if (w.granted)
			break;
		if (!lk->owner && ret != -ERESTARTSYS) {
			mpt_lk_dequeue(lk, &w);
			mpt_lk_take(lk, current);
			mpt_lk_tell_dead(lk, &w);
			break;
		}
		if (ret) {
			struct task_struct *next;

			mpt_lk_dequeue(lk, &w);
			next = mpt_lk_pass(lk);	/* the wake-up we leave */
			mpt_lk_waited(lk, ktime_get_ns() - t0);
			if (ret == -ETIMEDOUT)
				lk->timeouts++;
			mpt_lk_unlock(lk);
			mpt_lk_wake(next);
			return ret;
		}
		/*
		 * Woken, but a running thread took it: the next release
		 * wakes us again, or hands it to us if we were first woken
		 * MPT_LK_HANDOFF_NS ago.
		 */
		w.woken = false;
	}
	mpt_lk_waited(lk, ktime_get_ns() - t0);
got:
	/*
	 * Handed over, the lock is held once; a fast lock's count may be
	 * in its word already, put back there by the release.
	 */
	acq->count = w.granted ? 1 : lk->count;
	acq->waited_ns = ktime_get_ns() - t0;
	if (lk->lflags & MPT_LOCK_TRACE) {
		e.type = MPT_EV_LOCK_ACQUIRE;
		e.owner = NULL;
		e.ns = acq->waited_ns;
		e.count = lk->count;
		e.waiters = lk->nwaiters;
		mpt_lk_emit(lk, &e);
	}
	mpt_lk_unlock(lk);

	if (w.owner_died) {
		struct pid_namespace *ns = task_active_pid_ns(current);

		acq->flags |= MPT_LOCK_PREV_OWNER_DIED;
		acq->dead_pid = pid_nr_ns(w.dead_pid, ns);
		acq->dead_tid = pid_nr_ns(w.dead_tid, ns);
		put_pid(w.dead_pid);
		put_pid(w.dead_tid);
	}
	return 0;
}

static int mpt_lk_release(struct mpt_lock *lk)
{
	struct mpt_lk_ev e = { .type = MPT_EV_LOCK_RELEASE };
	struct task_struct *next = NULL;

	spin_lock(&mpt_lk_lock);
	mpt_lk_absorb(lk);
	if (lk->owner != current) {
		mpt_lk_unlock(lk);
		return -EPERM;
	}
	if (--lk->count)
		e.ns = ktime_get_boottime_ns() - lk->held_ns;
	else
		next = mpt_lk_handoff(lk, false, &e.ns);
	if (lk->lflags & MPT_LOCK_TRACE) {
		e.count = lk->owner == current ? lk->count : 0;
		e.waiters = lk->nwaiters;
		mpt_lk_emit(lk, &e);
	}
	mpt_lk_unlock(lk);
	mpt_lk_wake(next);
	return 0;
}

/* --- making, opening, inspecting ------------------------------------------- */

/* Under obj.c's mutex: a new lock for @arg, a struct mpt_lock_open. */
static struct mpt_obj *mpt_lk_make(void *arg)
{
	const struct mpt_lock_open *lo = arg;
	struct mpt_lock *lk;

	lk = kzalloc(sizeof(*lk), GFP_KERNEL_ACCOUNT);
	if (!lk)
		return ERR_PTR(-ENOMEM);
	lk->kind = lo->kind;
	lk->lflags = lo->lflags;
	INIT_LIST_HEAD(&lk->waiters);
	INIT_LIST_HEAD(&lk->fnode);
	if (lk->lflags & MPT_LOCK_FAST) {
		lk->page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!lk->page) {
			kfree(lk);
			return ERR_PTR(-ENOMEM);
		}
		lk->fp = page_address(lk->page);
		/* Under obj.c's mutex: the first fast lock sets it. */
		while (!mpt_lk_token_gen)
			mpt_lk_token_gen = get_random_u32();
		lk->fp->token_gen = mpt_lk_token_gen;
		spin_lock(&mpt_lk_lock);
		list_add(&lk->fnode, &mpt_lk_fast);
		spin_unlock(&mpt_lk_lock);
	}
	return &lk->obj;
}

/* No file and no name: nobody waits (a waiter holds a file). */
static void mpt_lk_free(struct mpt_obj *obj)
{
	struct mpt_lock *lk = to_lock(obj);

	spin_lock(&mpt_lk_lock);
	if (lk->owner)
		mpt_lk_disown(lk);
	mpt_lk_forget_dead(lk);
	list_del(&lk->fnode);
	spin_unlock(&mpt_lk_lock);
	/* A mapping that outlives the file keeps the page. */
	if (lk->page)
		put_page(lk->page);
	kfree(lk);
}

long mpt_ioc_lock_open(void __user *argp)
{
	struct mpt_lock_open lo;
	struct mpt_obj *obj;
	bool created;

	if (copy_from_user(&lo, argp, sizeof(lo)))
		return -EFAULT;
	if (mpt_obj_check_open(lo.flags, lo.name, lo.mode) ||
	    (lo.flags & MPT_QOPEN_NONBLOCK) || lo.created || lo.reserved ||
	    lo.id)
		return -EINVAL;
	if ((lo.flags & MPT_QOPEN_CREATE) &&
	    ((lo.kind != MPT_LOCK_MUTEX && lo.kind != MPT_LOCK_RECURSIVE) ||
	     (lo.lflags & ~(MPT_LOCK_TRACE | MPT_LOCK_FAST)) ||
	     lo.lflags == (MPT_LOCK_TRACE | MPT_LOCK_FAST)))
		return -EINVAL;

	obj = mpt_obj_get(&mpt_lock_type, lo.name, lo.flags, lo.mode,
			  mpt_lk_make, &lo, &created);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	lo.created = created;
	lo.id = obj->id;
	return mpt_obj_install(obj, lo.flags, created, argp, &lo, sizeof(lo));
}

long mpt_ioc_lock_unlink(void __user *argp)
{
	return mpt_obj_unlink(&mpt_lock_type, argp);
}

/* Fill @li from @lk for the caller; up to @wmax waiters into @w. */
static void mpt_lk_info(struct mpt_lock *lk, struct mpt_lock_info *li,
			struct mpt_lwaiter *w, u32 wmax)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct user_namespace *userns = current_user_ns();
	struct task_struct *owner;
	struct mpt_lwaiter_k *wk;
	u64 word;
	u32 n = 0;

	memset(li, 0, sizeof(*li));
	li->id = lk->obj.id;
	strscpy(li->name, lk->obj.name, sizeof(li->name));
	li->kind = lk->kind;
	li->mode = lk->obj.mode;
	li->uid = from_kuid_munged(userns, lk->obj.uid);
	li->gid = from_kgid_munged(userns, lk->obj.gid);
	li->created_ns = lk->obj.created_ns;
	li->openers = atomic_read(&lk->obj.openers);

	spin_lock(&mpt_lk_lock);
	li->flags = lk->lflags |
		    (READ_ONCE(lk->obj.linked) ? 0 : MPT_LOCK_UNLINKED) |
		    (lk->owner_dead ? MPT_LOCK_OWNER_DEAD : 0);
	owner = lk->owner;
	li->count = lk->count;
	li->acquisitions = lk->acquisitions;
	if (lk->fp) {
		li->acquisitions += READ_ONCE(lk->fp->fast_acquisitions);
		word = READ_ONCE(lk->fp->word);
		if (!lk->kmode && !(word & MPT_LOCKW_KERNEL)) {
			owner = mpt_lk_token_task(word & MPT_LOCKW_TOKEN);
			li->count = (word & MPT_LOCKW_COUNT) >> 32;
		}
	}
	if (owner) {
		li->owner_pid = task_tgid_nr_ns(owner, ns);
		li->owner_tid = task_pid_nr_ns(owner, ns);
		/* Not the name of a thread the caller cannot see. */
		if (li->owner_tid)
			get_task_comm(li->owner_comm, owner);
		if (owner == lk->owner)
			li->held_ns = lk->held_ns;
	}
	li->contentions = lk->contentions;
	li->owner_deaths = lk->owner_deaths;
	li->deadlocks = lk->deadlocks;
	li->timeouts = lk->timeouts;
	li->hold_total_ns = lk->hold_total_ns;
	li->hold_max_ns = lk->hold_max_ns;
	li->wait_total_ns = lk->wait_total_ns;
	li->wait_max_ns = lk->wait_max_ns;
	li->nwaiters = lk->nwaiters;
	list_for_each_entry(wk, &lk->waiters, node) {
		if (n == wmax)
			break;
		w[n].pid = task_tgid_nr_ns(wk->task, ns);
		w[n].tid = task_pid_nr_ns(wk->task, ns);
		w[n].since_ns = wk->since_ns;
		n++;
	}
	li->waiters_max = n;
	spin_unlock(&mpt_lk_lock);
}

/* The info of @lk, its waiters to where @li points, all copied out. */
static noinline_for_stack long
mpt_lk_info_out(struct mpt_lock *lk, void __user *argp, struct mpt_lock_info *li)
{
	u64 ubuf = li->waiters;
	u32 wmax = ubuf ? li->waiters_max : 0;
	struct mpt_lwaiter *w;
	long ret = 0;

	if (li->waiters_max > MPT_LOCK_LIST_MAX)
		return -EINVAL;
	w = kcalloc(wmax, sizeof(*w), GFP_KERNEL);
	if (!w && wmax)
		return -ENOMEM;
	mpt_lk_info(lk, li, w, wmax);
	li->waiters = ubuf;
	if (copy_to_user(u64_to_user_ptr(ubuf), w,
			 li->waiters_max * sizeof(*w)) ||
	    copy_to_user(argp, li, sizeof(*li)))
		ret = -EFAULT;
	kfree(w);
	return ret;
}

long mpt_ioc_lock_info(void __user *argp)
{
	struct mpt_lock_info li;
	struct mpt_obj *obj;
	long ret;

	if (copy_from_user(&li, argp, sizeof(li)))
		return -EFAULT;
	if (li.reserved)
		return -EINVAL;
	obj = mpt_obj_lookup(&mpt_lock_type, li.name);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	ret = mpt_lk_info_out(to_lock(obj), argp, &li);
	mpt_obj_put(obj);
	return ret;
}

/*
 * The next lock, by id from *@id, that the caller may open, with up to
 * @wmax of its waiters into @w.  False at the end.
 */
bool mpt_locks_next(u64 *id, struct mpt_lock_info *li, struct mpt_lwaiter *w,
		    u32 wmax)
{
	struct mpt_obj *obj = mpt_obj_next(&mpt_lock_type,
					   task_active_pid_ns(current), id);

	if (!obj)
		return false;
	mpt_lk_info(to_lock(obj), li, w, wmax);
	mpt_obj_put(obj);
	return true;
}

static bool mpt_lk_list_next(void *ctx, u64 *pos, void *out)
{
	return mpt_locks_next(pos, out, NULL, 0);
}

long mpt_ioc_locks(void __user *argp)
{
	struct mpt_queues_req req;
	u64 pos;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (!req.count || req.count > MPT_LOCK_LIST_MAX || req.reserved)
		return -EINVAL;
	pos = req.start;
	ret = mpt_list_out(u64_to_user_ptr(req.buf), req.count,
			   sizeof(struct mpt_lock_info), &pos,
			   mpt_lk_list_next, NULL, &req.count);
	req.next = pos;
	if (!ret && copy_to_user(argp, &req, sizeof(req)))
		ret = -EFAULT;
	return ret;
}

/* --- the lock's file --------------------------------------------------------- */

static noinline_for_stack long
mpt_lioc_acquire(struct file *file, void __user *argp)
{
	struct mpt_lock_acq acq;
	ktime_t kt, *deadline = NULL;
	int ret;

	if (copy_from_user(&acq, argp, sizeof(acq)))
		return -EFAULT;
	if ((acq.flags & ~(MPT_LOCK_TRY | MPT_LOCK_TIMEOUT)) || acq.count ||
	    acq.waited_ns || acq.dead_pid || acq.dead_tid ||
	    (!(acq.flags & MPT_LOCK_TIMEOUT) && acq.deadline_ns))
		return -EINVAL;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (acq.flags & MPT_LOCK_TIMEOUT) {
		kt = ns_to_ktime(min_t(u64, acq.deadline_ns, KTIME_MAX));
		deadline = &kt;
	}
	ret = mpt_lk_acquire(to_lock(file->private_data), &acq, deadline);
	if (ret)
		return ret;
	/*
	 * The lock is held: a failed copy of the answer cannot undo that,
	 * and the caller, who passed a bad argument, owns it regardless.
	 */
	if (copy_to_user(argp, &acq, sizeof(acq)))
		return -EFAULT;
	return 0;
}

/*
 * The calling thread's token, given on its first call: a struct
 * mpt_lk_token in mpt_lk_tokens and mpt_lk_tokened.  Only the thread
 * itself adds its own, so no two calls race for one thread.  Fast
 * queues name their users by the same tokens.
 */
int mpt_lk_token(u32 *out)
{
	struct mpt_lk_token *t;
	u32 token = 0;
	int ret;

	spin_lock(&mpt_lk_lock);
	t = mpt_lk_token_of(current);
	if (t)
		token = t->token;
	spin_unlock(&mpt_lk_lock);
	if (token) {
		*out = token;
		return 0;
	}

	if (atomic_inc_return(&mpt_lk_ntokens) > max_lock_tokens) {
		atomic64_inc(&mpt_stats.lock_token_refused);
		ret = -ENOSPC;
		goto undo;
	}
	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t) {
		ret = -ENOMEM;
		goto undo;
	}
	t->task = current;
	ret = xa_alloc_cyclic(&mpt_lk_tokens, &t->token, t,
			      XA_LIMIT(1, U32_MAX), &mpt_lk_token_next,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		kfree(t);
		goto undo;
	}
	spin_lock(&mpt_lk_lock);
	hash_add_rcu(mpt_lk_tokened, &t->hnode, (unsigned long)current);
	spin_unlock(&mpt_lk_lock);
	*out = t->token;
	return 0;
undo:
	atomic_dec(&mpt_lk_ntokens);
	return ret == -EBUSY ? -ENOSPC : ret;
}

static long mpt_lk_token_get(struct file *file, u32 __user *argp)
{
	u32 token;
	int ret;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	ret = mpt_lk_token(&token);
	return ret ? ret : put_user(token, argp);
}

/*
 * A fast lock's page: one, at offset 0, shared.  The core refused a
 * writable mapping of a file not open for writing already, and takes
 * the right to write away from it (no mprotect() later).
 */
static int mpt_lock_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mpt_lock *lk = to_lock(file->private_data);

	if (!lk->page)
		return -ENODEV;
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != PAGE_SIZE ||
	    !(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	mpt_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	return vm_insert_page(vma, vma->vm_start, lk->page);
}

static long mpt_lock_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	struct mpt_lock_info li;
	long ret;

	switch (cmd) {
	case MPT_LIOC_ACQUIRE:
		ret = mpt_lioc_acquire(file, argp);
		break;
	case MPT_LIOC_RELEASE:
		if (arg)
			ret = -EINVAL;
		else if (!(file->f_mode & FMODE_WRITE))
			ret = -EBADF;
		else
			ret = mpt_lk_release(to_lock(file->private_data));
		break;
	case MPT_LIOC_TOKEN:
		ret = mpt_lk_token_get(file, argp);
		break;
	case MPT_LIOC_INFO:
		if (copy_from_user(&li, argp, sizeof(li)))
			ret = -EFAULT;
		else if (li.reserved)
			ret = -EINVAL;
		else
			ret = mpt_lk_info_out(to_lock(file->private_data), argp,
					      &li);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	return mpt_ioctl_result(ret);
}

static const struct file_operations mpt_lock_fops = {
	.owner		= THIS_MODULE,
	.release	= mpt_obj_release,
	.unlocked_ioctl	= mpt_lock_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= mpt_lock_mmap,
};

static struct mpt_obj_type mpt_lock_type = {
	.anon_name	= "[mptrace-lock]",
	.fops		= &mpt_lock_fops,
	.max		= &max_locks,
	.refused	= &mpt_stats.lock_refused,
	.ev_create	= MPT_EV_LOCK_CREATE,
	.ev_remove	= MPT_EV_LOCK_REMOVE,
	.free		= mpt_lk_free,
	.objs		= LIST_HEAD_INIT(mpt_lock_type.objs),
	.next_id	= 1,
};

u64 mpt_locks_count(void)
{
	return READ_ONCE(mpt_lock_type.count);
}

u64 mpt_locks_max(void)
{
	return max_locks;
}

u64 mpt_locks_held(void)
{
	return atomic_read(&mpt_lk_held);
}

u64 mpt_lock_tokens(void)
{
	return atomic_read(&mpt_lk_ntokens);
}

u64 mpt_lock_tokens_max(void)
{
	return max_lock_tokens;
}

/* The probes are gone: the releases asked for are done. */
void mpt_locks_flush(void)
{
	flush_work(&mpt_lk_dying_work);
}

void mpt_locks_exit(void)
{
	struct mpt_lk_token *t;
	unsigned long token;

	mpt_locks_flush();
	mpt_obj_exit(&mpt_lock_type);
	/* The probes are gone: no thread drops its token any more. */
	xa_for_each(&mpt_lk_tokens, token, t)
		kfree(t);
	xa_destroy(&mpt_lk_tokens);
}
