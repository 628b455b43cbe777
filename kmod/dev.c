// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mptrace: a misc character device.  Each open file is a reader
 * with its own context; ioctl() carries the MPT_IOC_* requests.
 */
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/miscdevice.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pid_namespace.h>
#include <linux/rculist.h>
#include <linux/user_namespace.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/mptrace.h>

#include "dev.h"
#include "event.h"
#include "list.h"
#include "param.h"
#include "ring.h"
#include "lock.h"
#include "procs.h"
#include "queue.h"
#include "stats.h"
#include "track.h"

/* From one smallest ring (4 KiB) to 1 TiB: larger is taken for a mistake. */
static unsigned long ring_mem_max = 64UL << 20;
static struct mpt_param ring_mem_max_param = {
	.ulong	= &ring_mem_max,
	.min	= MPT_RING_MIN_SLOTS * sizeof(struct mpt_event),
	.max	= 1UL << 40,
};
module_param_cb(ring_mem_max, &mpt_param_ulong_ops, &ring_mem_max_param, 0444);
MODULE_PARM_DESC(ring_mem_max,
		 "bytes the event rings of all /dev/mptrace readers may hold together (default 64 MiB, 4096 to 2^40)");

/*
 * One user's share, so that one user's readers cannot take the whole
 * budget from the others (root's monitor among them), nor make every
 * fork and exit pay for thousands of rings: as inotify's
 * max_user_instances.  A user is the opener's real uid.
 */
static unsigned long ring_mem_user_max = 16UL << 20;
static struct mpt_param ring_mem_user_max_param = {
	.ulong	= &ring_mem_user_max,
	.min	= MPT_RING_MIN_SLOTS * sizeof(struct mpt_event),
	.max	= 1UL << 40,
};
module_param_cb(ring_mem_user_max, &mpt_param_ulong_ops,
		&ring_mem_user_max_param, 0444);
MODULE_PARM_DESC(ring_mem_user_max,
		 "bytes the event rings of one user's /dev/mptrace readers may hold together (default 16 MiB, 4096 to 2^40)");

static unsigned int readers_user_max = 128;
static struct mpt_param readers_user_max_param = {
	.uint	= &readers_user_max,
	.min	= 1,
	.max	= 65536,
};
module_param_cb(readers_user_max, &mpt_param_uint_ops,
		&readers_user_max_param, 0444);
MODULE_PARM_DESC(readers_user_max,
		 "/dev/mptrace readers one user may have receiving events at once (default 128, 1 to 65536)");

struct mpt_mem_budget mpt_ring_budget;

/**
 * struct mpt_dev_user - what one user's subscribed readers hold
 * @node: in mpt_dev_users
 * @uid: the user: the readers' openers' real uid
 * @readers: subscribed readers of @uid; the entry goes with the last
 * @budget: their rings' memory, a share of mpt_ring_budget
 */
struct mpt_dev_user {
	struct hlist_node	node;
	kuid_t			uid;
	unsigned int		readers;
	struct mpt_mem_budget	budget;
};

/**
 * struct mpt_reader - the state of one open file of /dev/mptrace
 * @wait: readers and pollers sleep here until an event arrives
 * @lock: serialises consumers of @ring and its setup
 * @ring: the file's events; no slots until it subscribes
 * @node: in mpt_readers once subscribed
 * @user: the opener's share, once subscribed
 * @pidns: the opener's pid namespace: what the reader sees, and how
 * @userns: the opener's user namespace, to map uids
 * @uid: the opener's real uid
 * @all_users: the opener may see every user's processes in @pidns
 * @filter: what the reader asked for (MPT_IOC_FILTER_SET); NULL: the
 *	default, every process event
 * @free_work: frees a subscribed reader once its file is closed and no
 *	probe can see it any more
 * @closing: then, the bytes of its ring, in mpt_dev_closing_bytes
 */
struct mpt_reader {
	wait_queue_head_t	wait;
	struct mutex		lock;	/* one consumer of @ring at a time */
	struct mpt_ring		ring;
	struct list_head	node;
	struct mpt_dev_user	*user;
	struct pid_namespace	*pidns;
	struct user_namespace	*userns;
	kuid_t			uid;
	bool			all_users;
	struct mpt_kfilter __rcu *filter;
	struct rcu_work		free_work;
	size_t			closing;
};

/**
 * struct mpt_kfilter - a reader's filter, replaced whole under RCU
 * @types: 1 << MPT_EV_* wanted; 0 for all
 * @flags: MPT_FILTER_*
 * @pid: the process of interest (a reference), or NULL
 * @rcu: to free it once no probe can see it
 */
struct mpt_kfilter {
	u32		types;
	u32		flags;
	struct pid	*pid;
	struct rcu_head	rcu;
};

static void mpt_kfilter_free(struct rcu_head *rcu)
{
	struct mpt_kfilter *f = container_of(rcu, struct mpt_kfilter, rcu);

	put_pid(f->pid);
	kfree(f);
}

/*
 * Is @task @pid or, walking up its parents, descended from it?  Under RCU.
 * A released task's parent is no longer kept up to date, and may be gone
 * (as the kernel's own task_ppid_nr_ns() knows): the walk goes on from
 * it only when that parent is current, its reaper, alive.
 */
static bool mpt_in_subtree(struct task_struct *task, struct pid *pid)
{
	struct task_struct *parent;

	while (task->pid) {		/* the idle task ends every chain */
		if (task_tgid(task) == pid)
			return true;
		parent = rcu_dereference(task->real_parent);
		if (task == parent || (!pid_alive(task) && parent != current))
			break;
		task = parent;
	}
	return false;
}

static bool mpt_filter_wants(const struct mpt_kfilter *f,
			     const struct mpt_src *src)
{
	if (!f)
		return !src->thread;
	if (src->thread && !(f->flags & MPT_FILTER_THREADS))
		return false;
	if (f->types && !(f->types & BIT(src->type)))
		return false;
	if (!f->pid)
		return true;
	if (mpt_src_pid(src) == f->pid)
		return true;
	if (f->flags & MPT_FILTER_SUBTREE) {
		struct task_struct *from = src->task ?: src->actor, *old;

		/*
		 * A released process is in the subtree its reaper is in.  A
		 * reaper that released itself (nobody waits for it) has left
		 * its parent: the parent it was known by is looked at.
		 */
		if (!pid_alive(from))
			from = src->ppid ? pid_task(src->ppid, PIDTYPE_TGID) : NULL;
		if (from && mpt_in_subtree(from, f->pid))
			return true;
		/*
		 * An orphan adopted outside the subtree was in it until
		 * this event: its old parent still is, or is @pid itself.
		 */
		if (src->type != MPT_EV_ORPHAN)
			return false;
		if (src->old_parent == f->pid)
			return true;
		old = pid_task(src->old_parent, PIDTYPE_TGID);
		if (!old && src->old_near) {
			old = src->old_near;
			/*
			 * Reaped since its exit told of the orphan (on another
			 * CPU, as this event is made): its parent is still safe
			 * to look at while this RCU section lasts.
			 */
			if (!pid_alive(old) && src->old_near_held)
				old = rcu_dereference(old->real_parent);
		}
		return old && mpt_in_subtree(old, f->pid);
	}
	return src->type == MPT_EV_FORK && task_tgid(src->actor) == f->pid;
}

/* Subscribed readers: walked under RCU by the probes. */
static LIST_HEAD(mpt_readers);
/* Writers of mpt_readers, and mpt_dev_users. */
static DEFINE_MUTEX(mpt_readers_lock);
static atomic_t mpt_nreaders = ATOMIC_INIT(0);
/*
 * A closed subscribed reader is freed after a grace period, the probes
 * may still be pushing into its ring, by mpt_dev_wq: a close does not
 * wait for one (a process exiting with many readers waited for one
 * each, in a row).  Its ring moves from the budgets to
 * mpt_dev_closing_bytes at the close, never out of both; the rings
 * waiting to be freed may hold as much as ring_mem_max, past which a
 * close waits as before, its ring charged until it is freed.
 */
static struct workqueue_struct *mpt_dev_wq;
static atomic64_t mpt_dev_closing_bytes = ATOMIC64_INIT(0);
static DEFINE_HASHTABLE(mpt_dev_users, 6);

bool mpt_dev_listening(void)
{
	return atomic_read(&mpt_nreaders) > 0;
}

u64 mpt_dev_readers(void)
{
	return atomic_read(&mpt_nreaders);
}

u64 mpt_dev_ring_closing(void)
{
	return atomic64_read(&mpt_dev_closing_bytes);
}

u64 mpt_dev_ring_user_max(void)
{
	return ring_mem_user_max;
}

u64 mpt_dev_readers_user_max(void)
{
	return readers_user_max;
}

/*
 * A place among @uid's subscribed readers: EMFILE when the user has
 * readers_user_max of them already.  Called with mpt_readers_lock.
 */
static struct mpt_dev_user *mpt_dev_user_get(kuid_t uid)
{
	u32 key = __kuid_val(uid);
	struct mpt_dev_user *user;

	hash_for_each_possible(mpt_dev_users, user, node, key) {
		if (!uid_eq(user->uid, uid))
			continue;
		if (user->readers >= readers_user_max)
			return ERR_PTR(-EMFILE);
		user->readers++;
		return user;
	}
	user = kzalloc(sizeof(*user), GFP_KERNEL_ACCOUNT);
	if (!user)
		return ERR_PTR(-ENOMEM);
	user->uid = uid;
	user->readers = 1;
	user->budget.max = ring_mem_user_max;
	user->budget.parent = &mpt_ring_budget;
	hash_add(mpt_dev_users, &user->node, key);
	return user;
}

/* Called with mpt_readers_lock, once the reader's ring is uncharged. */
static void mpt_dev_user_put(struct mpt_dev_user *user)
{
	if (--user->readers)
		return;
	hash_del(&user->node);
	kfree(user);
}

/* Rights are the opener's (file->f_cred): passing the fd passes no more. */
static bool mpt_reader_sees(const struct mpt_reader *reader,
			    const struct mpt_src *src)
{
	return reader->all_users || uid_eq(mpt_src_uid(src), reader->uid);
}

/* Called from the probes, any context: no sleeping, no allocation. */
void mpt_dev_deliver(const struct mpt_src *src)
{
	struct mpt_reader *reader;
	struct mpt_event ev;

	rcu_read_lock();
	list_for_each_entry_rcu(reader, &mpt_readers, node) {
		/* The cheap test first: another user's events cost no walk. */
		if (!mpt_reader_sees(reader, src) ||
		    !mpt_filter_wants(rcu_dereference(reader->filter), src) ||
		    !mpt_render(src, reader->pidns, reader->userns, &ev))
			continue;
		if (!mpt_ring_push(&reader->ring, &ev))
			atomic64_inc(&mpt_stats.dev_lost);
		wake_up_interruptible_poll(&reader->wait, EPOLLIN | EPOLLRDNORM);
	}
	rcu_read_unlock();
}

static int mpt_dev_open(struct inode *inode, struct file *file)
{
	struct mpt_reader *reader;

	reader = kzalloc(sizeof(*reader), GFP_KERNEL_ACCOUNT);
	if (!reader)
		return -ENOMEM;
	init_waitqueue_head(&reader->wait);
	mutex_init(&reader->lock);
	INIT_LIST_HEAD(&reader->node);
	reader->pidns = get_pid_ns(task_active_pid_ns(current));
	reader->userns = get_user_ns(file->f_cred->user_ns);
	reader->uid = file->f_cred->uid;
	reader->all_users =
		file_ns_capable(file, reader->pidns->user_ns, CAP_SYS_ADMIN) ||
		file_ns_capable(file, reader->pidns->user_ns, CAP_PERFMON);

	/* misc_open() left the miscdevice here; the reader replaces it. */
	file->private_data = reader;
	atomic_inc(&mpt_stats.dev_open);
	atomic64_inc(&mpt_stats.dev_opens);
	return stream_open(inode, file);
}

/* Once no probe can see the reader: it never subscribed, or after RCU. */
static void mpt_reader_free(struct mpt_reader *reader)
{
	struct mpt_kfilter *f = rcu_dereference_protected(reader->filter, 1);

	mpt_ring_destroy(&reader->ring);
	if (reader->user) {
		mutex_lock(&mpt_readers_lock);
		mpt_dev_user_put(reader->user);
		mutex_unlock(&mpt_readers_lock);
	}
	if (f)
		mpt_kfilter_free(&f->rcu);
	put_user_ns(reader->userns);
	put_pid_ns(reader->pidns);
	mutex_destroy(&reader->lock);
	kfree(reader);
}

static void mpt_reader_free_work(struct work_struct *work)
{
	struct mpt_reader *reader = container_of(to_rcu_work(work),
						 struct mpt_reader, free_work);
	size_t bytes = reader->closing;

	mpt_reader_free(reader);
	atomic64_sub(bytes, &mpt_dev_closing_bytes);
}

static int mpt_dev_release(struct inode *inode, struct file *file)
{
	struct mpt_reader *reader = file->private_data;
	size_t bytes = mpt_ring_bytes(&reader->ring);
	bool wait;

	atomic_dec(&mpt_stats.dev_open);
	if (!reader->ring.slots) {
		mpt_reader_free(reader);
		return 0;
	}
	mutex_lock(&mpt_readers_lock);
	list_del_rcu(&reader->node);
	atomic_dec(&mpt_nreaders);
	wait = atomic64_add_return(bytes, &mpt_dev_closing_bytes) >
	       (s64)ring_mem_max;
	if (wait) {
		atomic64_sub(bytes, &mpt_dev_closing_bytes);
	} else {
		mpt_ring_uncharge(&reader->ring);
		mpt_dev_user_put(reader->user);
		reader->user = NULL;
	}
	mutex_unlock(&mpt_readers_lock);

	/* Probes may still be pushing into the ring: free it after them. */
	if (wait) {
		synchronize_rcu();
		mpt_reader_free(reader);
		return 0;
	}
	reader->closing = bytes;
	INIT_RCU_WORK(&reader->free_work, mpt_reader_free_work);
	queue_rcu_work(mpt_dev_wq, &reader->free_work);
	return 0;
}

/* A subscription or a larger ring refused at a limit is counted. */
static int mpt_dev_refused(int ret)
{
	if (ret == -ENOSPC || ret == -EMFILE)
		atomic64_inc(&mpt_stats.dev_refused);
	return ret;
}

/*
 * Start receiving events into a new ring, charged to the opener's share.
 * Called with reader->lock.
 */
static int mpt_reader_listen(struct mpt_reader *reader, u32 nslots)
{
	struct mpt_dev_user *user;
	int ret;

	mutex_lock(&mpt_readers_lock);
	user = mpt_dev_user_get(reader->uid);
	if (IS_ERR(user)) {
		ret = PTR_ERR(user);
		goto out;
	}
	ret = mpt_ring_init(&reader->ring, nslots, &user->budget);
	if (ret) {
		mpt_dev_user_put(user);
		goto out;
	}
	reader->user = user;
	list_add_tail_rcu(&reader->node, &mpt_readers);
	atomic_inc(&mpt_nreaders);
out:
	mutex_unlock(&mpt_readers_lock);
	return mpt_dev_refused(ret);
}

/* Subscribe with the default ring if not yet.  Called with reader->lock. */
static int mpt_reader_subscribe(struct mpt_reader *reader)
{
	if (reader->ring.slots)
		return 0;
	return mpt_reader_listen(reader, MPT_RING_DEFAULT_SLOTS);
}

/*
 * Whole records only, oldest first.  A record leaves the ring once it
 * has been copied out, so a fault loses nothing.
 */
static ssize_t mpt_dev_read(struct file *file, char __user *buf, size_t len,
			    loff_t *ppos)
{
	struct mpt_reader *reader = file->private_data;
	struct mpt_event ev;
	size_t done = 0;
	int ret;

	if (!len)
		return 0;
	if (mutex_lock_interruptible(&reader->lock))
		return -ERESTARTSYS;
	ret = mpt_reader_subscribe(reader);

	while (!ret) {
		ret = mpt_ring_peek(&reader->ring, &ev);
		if (ret == -EAGAIN) {
			if (done || (file->f_flags & O_NONBLOCK))
				break;
			mutex_unlock(&reader->lock);
			if (wait_event_interruptible(reader->wait,
						     mpt_ring_readable(&reader->ring)))
				return -ERESTARTSYS;
			if (mutex_lock_interruptible(&reader->lock))
				return -ERESTARTSYS;
			ret = 0;
			continue;
		}
		if (ev.hdr.size > len - done) {
			if (!done)
				ret = -EINVAL;
			break;
		}
		if (copy_to_user(buf + done, &ev, ev.hdr.size)) {
			ret = -EFAULT;
			break;
		}
		mpt_ring_consume(&reader->ring);
		done += ev.hdr.size;
	}
	mutex_unlock(&reader->lock);
	return done ? done : ret;
}

static __poll_t mpt_dev_poll(struct file *file, poll_table *wait)
{
	struct mpt_reader *reader = file->private_data;
	int ret;

	poll_wait(file, &reader->wait, wait);
	mutex_lock(&reader->lock);
	ret = mpt_reader_subscribe(reader);
	mutex_unlock(&reader->lock);
	if (ret)
		return EPOLLERR;
	return mpt_ring_readable(&reader->ring) ? EPOLLIN | EPOLLRDNORM : 0;
}

static long mpt_ioc_ring_set(struct mpt_reader *reader, void __user *argp)
{
	struct mpt_ring_conf conf;
	long ret;

	if (copy_from_user(&conf, argp, sizeof(conf)))
		return -EFAULT;
	if (conf.flags || conf.used || conf.reserved || conf.lost ||
	    !mpt_ring_valid_slots(conf.slots))
		return -EINVAL;

	/* A read copying out (a page it faults on) may hold it long. */
	if (mutex_lock_interruptible(&reader->lock))
		return -ERESTARTSYS;
	if (reader->ring.slots)
		ret = mpt_dev_refused(mpt_ring_resize(&reader->ring,
						      conf.slots));
	else
		ret = mpt_reader_listen(reader, conf.slots);
	mutex_unlock(&reader->lock);
	return ret;
}

static long mpt_ioc_filter_set(struct mpt_reader *reader, void __user *argp)
{
	struct mpt_kfilter *f, *old;
	struct mpt_filter uf;
	u32 all_types = GENMASK(MPT_EV_MAX, MPT_EV_FORK);

	if (copy_from_user(&uf, argp, sizeof(uf)))
		return -EFAULT;
	if ((uf.types & ~all_types) || (uf.flags & ~MPT_FILTER_ALL_FLAGS) ||
	    uf.reserved || ((uf.flags & MPT_FILTER_SUBTREE) && !uf.pid) ||
	    uf.pid > PID_MAX_LIMIT)
		return -EINVAL;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->types = uf.types;
	f->flags = uf.flags;
	if (uf.pid) {
		struct pid *pid;

		rcu_read_lock();
		pid = find_pid_ns(uf.pid, reader->pidns);
		/* A process: the pid of a thread group leader. */
		if (pid && pid_task(pid, PIDTYPE_TGID))
			f->pid = get_pid(pid);
		rcu_read_unlock();
		if (!f->pid) {
			kfree(f);
			return -ESRCH;
		}
	}

	if (mutex_lock_interruptible(&reader->lock)) {
		put_pid(f->pid);
		kfree(f);
		return -ERESTARTSYS;
	}
	old = rcu_replace_pointer(reader->filter, f,
				  lockdep_is_held(&reader->lock));
	mutex_unlock(&reader->lock);
	if (old)
		call_rcu(&old->rcu, mpt_kfilter_free);
	return 0;
}

static long mpt_ioc_ring_get(struct mpt_reader *reader, void __user *argp)
{
	struct mpt_ring_conf conf = { 0 };

	if (mutex_lock_interruptible(&reader->lock))
		return -ERESTARTSYS;
	if (reader->ring.slots)
		mpt_ring_conf(&reader->ring, &conf);
	mutex_unlock(&reader->lock);
	return copy_to_user(argp, &conf, sizeof(conf)) ? -EFAULT : 0;
}

static long mpt_ioc_version(void __user *argp)
{
	struct mpt_version v = {
		.abi = MPT_ABI_VERSION,
		.features = mpt_features(),
	};

	strscpy(v.version, MPT_VERSION, sizeof(v.version));
	if (copy_to_user(argp, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static bool mpt_procs_list_next(void *ctx, u64 *pos, void *out)
{
	u32 nr = *pos;
	bool more = mpt_procs_next(ctx, &nr, out);

	*pos = nr;
	return more;
}

static long mpt_ioc_procs(struct mpt_reader *reader, void __user *argp)
{
	struct mpt_procs_view view = {
		.ns = reader->pidns,
		.userns = reader->userns,
		.uid = reader->uid,
		.all_users = reader->all_users,
	};
	struct mpt_procs_req req;
	u64 pos;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (!req.count || req.count > MPT_PROCS_MAX || req.reserved)
		return -EINVAL;
	pos = req.start;
	ret = mpt_list_out(u64_to_user_ptr(req.buf), req.count,
			   sizeof(struct mpt_proc), &pos, mpt_procs_list_next,
			   &view, &req.count);
	req.next = pos;
	if (!ret && copy_to_user(argp, &req, sizeof(req)))
		ret = -EFAULT;
	return ret;
}

static long mpt_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	long ret;

	atomic64_inc(&mpt_stats.dev_ioctls);

	switch (cmd) {
	case MPT_IOC_VERSION:
		ret = mpt_ioc_version(argp);
		break;
	case MPT_IOC_RING_SET:
		ret = mpt_ioc_ring_set(file->private_data, argp);
		break;
	case MPT_IOC_RING_GET:
		ret = mpt_ioc_ring_get(file->private_data, argp);
		break;
	case MPT_IOC_FILTER_SET:
		ret = mpt_ioc_filter_set(file->private_data, argp);
		break;
	case MPT_IOC_PROCS:
		ret = mpt_ioc_procs(file->private_data, argp);
		break;
	case MPT_IOC_QUEUE_OPEN:
		ret = mpt_ioc_queue_open(argp);
		break;
	case MPT_IOC_QUEUE_UNLINK:
		ret = mpt_ioc_queue_unlink(argp);
		break;
	case MPT_IOC_QUEUE_INFO:
		ret = mpt_ioc_queue_info(argp);
		break;
	case MPT_IOC_QUEUES:
		ret = mpt_ioc_queues(argp);
		break;
	case MPT_IOC_LOCK_OPEN:
		ret = mpt_ioc_lock_open(argp);
		break;
	case MPT_IOC_LOCK_UNLINK:
		ret = mpt_ioc_lock_unlink(argp);
		break;
	case MPT_IOC_LOCK_INFO:
		ret = mpt_ioc_lock_info(argp);
		break;
	case MPT_IOC_LOCKS:
		ret = mpt_ioc_locks(argp);
		break;
	default:
		ret = -ENOTTY;
		break;
	}

	return mpt_ioctl_result(ret);
}

static const struct file_operations mpt_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= mpt_dev_open,
	.release	= mpt_dev_release,
	.read		= mpt_dev_read,
	.poll		= mpt_dev_poll,
	.unlocked_ioctl	= mpt_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/*
 * Anyone may open the device: what a caller may see or do is checked
 * per request, not at open.
 */
static struct miscdevice mpt_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= MPT_DEVICE_NAME,
	.fops	= &mpt_dev_fops,
	.mode	= 0666,
};

int mpt_dev_init(void)
{
	int ret;

	atomic64_set(&mpt_ring_budget.used, 0);
	mpt_ring_budget.max = ring_mem_max;
	mpt_dev_wq = alloc_workqueue("mptrace_dev", 0, 0);
	if (!mpt_dev_wq)
		return -ENOMEM;
	ret = misc_register(&mpt_miscdev);
	if (ret)
		destroy_workqueue(mpt_dev_wq);
	return ret;
}

void mpt_dev_exit(void)
{
	misc_deregister(&mpt_miscdev);
	/*
	 * Filters freed by call_rcu() and closed readers must be gone
	 * before the code is: the readers' works are queued by RCU.
	 */
	rcu_barrier();
	destroy_workqueue(mpt_dev_wq);
}
