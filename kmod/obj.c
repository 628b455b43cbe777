// SPDX-License-Identifier: GPL-2.0
/*
 * Named objects (queues, locks): their names in a pid namespace, their
 * owners and modes, their files, their registries.  What is the same for
 * every kind is here; what a queue or a lock is, is in queue.c and lock.c.
 *
 * One mutex guards every registry and every name.  An object is counted
 * (kref) by its name while it has one and by each open file; the last
 * reference unlists it under the mutex and frees it through its type.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "event.h"
#include "name.h"
#include "obj.h"

static DEFINE_MUTEX(mpt_objs_lock);

/* The flags and name of an open request (the parts every kind shares). */
int mpt_obj_check_open(u32 flags, const char *name, u32 mode)
{
	if ((flags & ~MPT_QOPEN_ALL_FLAGS) ||
	    !(flags & (MPT_QOPEN_READ | MPT_QOPEN_WRITE)) ||
	    ((flags & MPT_QOPEN_EXCL) && !(flags & MPT_QOPEN_CREATE)))
		return -EINVAL;
	if (mpt_name_check(name))
		return -EINVAL;
	if ((flags & MPT_QOPEN_CREATE) && (mode & ~0777))
		return -EINVAL;
	return 0;
}

/* The permission bits an open with @flags asks for. */
unsigned int mpt_obj_want(u32 flags)
{
	return (flags & MPT_QOPEN_READ ? MPT_MAY_READ : 0) |
	       (flags & MPT_QOPEN_WRITE ? MPT_MAY_WRITE : 0);
}

/* The permission bits the caller has on @obj, as for POSIX queues. */
unsigned int mpt_obj_granted(const struct mpt_obj *obj, bool noaudit)
{
	unsigned int mode = obj->mode;

	if (uid_eq(current_fsuid(), obj->uid))
		mode >>= 6;
	else if (in_group_p(obj->gid))
		mode >>= 3;
	mode &= 7;
	if ((mode & 6) != 6 &&
	    (noaudit ? ns_capable_noaudit(obj->ns->user_ns, CAP_IPC_OWNER) :
		       ns_capable(obj->ns->user_ns, CAP_IPC_OWNER)))
		mode |= 6;
	return mode;
}

/* Under mpt_objs_lock: the object of @t named @name in @ns. */
static struct mpt_obj *mpt_obj_find(struct mpt_obj_type *t,
				    struct pid_namespace *ns, const char *name)
{
	struct mpt_obj *obj;

	list_for_each_entry(obj, &t->objs, node)
		if (obj->linked && obj->ns == ns && !strcmp(obj->name, name))
			return obj;
	return NULL;
}

/* The last reference went: called by kref_put_mutex(), which we unlock. */
static void mpt_obj_kref_release(struct kref *ref)
{
	struct mpt_obj *obj = container_of(ref, struct mpt_obj, ref);
	struct mpt_obj_type *t = obj->type;

	list_del(&obj->node);
	t->count--;
	if (t->unlist)
		t->unlist(obj);
	mutex_unlock(&mpt_objs_lock);
	put_pid_ns(obj->ns);
	t->free(obj);
}

void mpt_obj_put(struct mpt_obj *obj)
{
	kref_put_mutex(&obj->ref, mpt_obj_kref_release, &mpt_objs_lock);
}

/*
 * Tell the listeners about @obj; @src says what, and who acted in
 * @src->task (current when NULL).
 */
void mpt_obj_event(struct mpt_obj *obj, struct mpt_src *src)
{
	if (!src->task)
		src->task = current;
	src->obj_id = obj->id;
	src->obj_name = obj->name;
	mpt_emit(src);
}

static struct mpt_obj *mpt_obj_create(struct mpt_obj_type *t,
				      struct pid_namespace *ns,
				      const char *name, umode_t mode,
				      struct mpt_obj *(*make)(void *arg),
				      void *arg)
{
	struct mpt_obj *obj = ERR_PTR(-ENOSPC);

	if (t->count < *t->max)
		obj = make(arg);
	if (IS_ERR(obj)) {
		if (PTR_ERR(obj) == -ENOSPC)
			atomic64_inc(t->refused);
		return obj;
	}
	kref_init(&obj->ref);		/* the name's */
	obj->type = t;
	obj->ns = get_pid_ns(ns);
	obj->id = t->next_id++;
	strscpy(obj->name, name, sizeof(obj->name));
	obj->linked = true;
	obj->uid = current_fsuid();
	obj->gid = current_fsgid();
	obj->mode = mode;
	obj->created_ns = ktime_get_boottime_ns();
	atomic_set(&obj->openers, 0);
	list_add_tail(&obj->node, &t->objs);
	t->count++;
	return obj;
}

/**
 * mpt_obj_get - find or create the object an open asks for
 * @t: its type
 * @name: its name (checked)
 * @flags: MPT_QOPEN_* (checked)
 * @mode: the permission bits of a new one (checked)
 * @make: allocate and set up a new one of @t from @arg, under the
 *	registry's mutex; ERR_PTR(-ENOSPC) at a limit of its own
 * @arg: what @make needs: the open request
 * @created: set when this call made it
 *
 * Returns the object with a reference for the caller's file, or an
 * ERR_PTR: -EEXIST, -EACCES, -ENOENT, -ENOSPC, -ENOMEM.
 */
struct mpt_obj *mpt_obj_get(struct mpt_obj_type *t, const char *name,
			    u32 flags, umode_t mode,
			    struct mpt_obj *(*make)(void *arg), void *arg,
			    bool *created)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	unsigned int want = mpt_obj_want(flags);
	struct mpt_obj *obj;

	*created = false;
	mutex_lock(&mpt_objs_lock);
	obj = mpt_obj_find(t, ns, name);
	if (obj) {
		if ((flags & MPT_QOPEN_CREATE) && (flags & MPT_QOPEN_EXCL))
			obj = ERR_PTR(-EEXIST);
		else if ((mpt_obj_granted(obj, false) & want) != want)
			obj = ERR_PTR(-EACCES);
	} else if (!(flags & MPT_QOPEN_CREATE)) {
		obj = ERR_PTR(-ENOENT);
	} else {
		obj = mpt_obj_create(t, ns, name, mode, make, arg);
		*created = !IS_ERR(obj);
	}
	if (!IS_ERR(obj))
		kref_get(&obj->ref);	/* the file's */
	mutex_unlock(&mpt_objs_lock);
	return obj;
}

/* Remove @obj's name if it still has it; drops the name's reference. */
static void mpt_obj_unname(struct mpt_obj *obj)
{
	mutex_lock(&mpt_objs_lock);
	if (!obj->linked) {
		mutex_unlock(&mpt_objs_lock);
		return;
	}
	obj->linked = false;
	mutex_unlock(&mpt_objs_lock);
	mpt_obj_put(obj);
}

/**
 * mpt_obj_install - give the caller a file of @obj
 * @obj: from mpt_obj_get(), with the file's reference (consumed)
 * @flags: MPT_QOPEN_* of the request
 * @created: the request made @obj
 * @argp: where the request came from
 * @reply: the request as answered (id, created filled in), copied to
 *	@argp before the descriptor exists
 * @len: its size
 *
 * Returns the descriptor.  On failure nothing is left behind: the file
 * is dropped and an object this request made loses its name again.
 */
int mpt_obj_install(struct mpt_obj *obj, u32 flags, bool created,
		    void __user *argp, const void *reply, size_t len)
{
	unsigned int want = mpt_obj_want(flags);
	struct mpt_src src = { .type = obj->type->ev_create };
	struct file *file = NULL;
	int fd, fflags;

	fd = get_unused_fd_flags(flags & MPT_QOPEN_CLOEXEC ? O_CLOEXEC : 0);
	if (fd < 0)
		goto err;
	fflags = want == (MPT_MAY_READ | MPT_MAY_WRITE) ? O_RDWR :
		 want == MPT_MAY_READ ? O_RDONLY : O_WRONLY;
	if (flags & MPT_QOPEN_NONBLOCK)
		fflags |= O_NONBLOCK;
	file = anon_inode_getfile(obj->type->anon_name, obj->type->fops, obj,
				  fflags);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		file = NULL;
		goto err;
	}
	stream_open(file_inode(file), file);
	atomic_inc(&obj->openers);
	if (copy_to_user(argp, reply, len)) {
		put_unused_fd(fd);
		fd = -EFAULT;
		goto err;
	}
	if (created)
		mpt_obj_event(obj, &src);
	fd_install(fd, file);
	return fd;

err:
	/*
	 * The name first: an unlink may have taken it since, and then the
	 * file's reference, dropped below, is the last.
	 */
	if (created)
		mpt_obj_unname(obj);
	if (file)
		fput(file);		/* its release drops the reference */
	else
		mpt_obj_put(obj);
	return fd;
}

/* The release of every object file. */
int mpt_obj_release(struct inode *inode, struct file *file)
{
	struct mpt_obj *obj = file->private_data;

	atomic_dec(&obj->openers);
	mpt_obj_put(obj);
	return 0;
}

/* MPT_IOC_*_UNLINK: the owner (or CAP_IPC_OWNER) removes a name. */
int mpt_obj_unlink(struct mpt_obj_type *t, void __user *argp)
{
	struct mpt_src src = { .type = t->ev_remove };
	struct mpt_obj *obj;
	struct mpt_name n;

	if (copy_from_user(&n, argp, sizeof(n)))
		return -EFAULT;
	if (mpt_name_check(n.name))
		return -EINVAL;

	mutex_lock(&mpt_objs_lock);
	obj = mpt_obj_find(t, task_active_pid_ns(current), n.name);
	if (!obj) {
		mutex_unlock(&mpt_objs_lock);
		return -ENOENT;
	}
	if (!uid_eq(current_fsuid(), obj->uid) &&
	    !ns_capable(obj->ns->user_ns, CAP_IPC_OWNER)) {
		mutex_unlock(&mpt_objs_lock);
		return -EPERM;
	}
	obj->linked = false;		/* the name's reference is ours now */
	mutex_unlock(&mpt_objs_lock);

	if (t->depth)
		src.depth = t->depth(obj);
	mpt_obj_event(obj, &src);
	mpt_obj_put(obj);
	return 0;
}

/*
 * The object named @name in the caller's pid namespace, referenced, if
 * the caller may open it at all; else ERR_PTR(-ENOENT or -EACCES).
 */
struct mpt_obj *mpt_obj_lookup(struct mpt_obj_type *t, const char *name)
{
	struct mpt_obj *obj;

	if (mpt_name_check(name))
		return ERR_PTR(-EINVAL);
	mutex_lock(&mpt_objs_lock);
	obj = mpt_obj_find(t, task_active_pid_ns(current), name);
	if (!obj)
		obj = ERR_PTR(-ENOENT);
	else if (!(mpt_obj_granted(obj, false) & 6))
		obj = ERR_PTR(-EACCES);
	else
		kref_get(&obj->ref);
	mutex_unlock(&mpt_objs_lock);
	return obj;
}

/*
 * The next object of @t, by id from *@id, of pid namespace @ns, that the
 * caller may open; referenced.  *@id is then the id after it.  NULL at
 * the end.
 */
struct mpt_obj *mpt_obj_next(struct mpt_obj_type *t,
			     struct pid_namespace *ns, u64 *id)
{
	struct mpt_obj *obj, *found = NULL;

	mutex_lock(&mpt_objs_lock);
	list_for_each_entry(obj, &t->objs, node) {
		if (obj->id < *id || obj->ns != ns ||
		    !(mpt_obj_granted(obj, true) & 6))
			continue;
		found = obj;
		kref_get(&obj->ref);
		*id = obj->id + 1;
		break;
	}
	mutex_unlock(&mpt_objs_lock);
	return found;
}

/* The sum of @fn over every object of @t. */
u64 mpt_obj_sum(struct mpt_obj_type *t, u64 (*fn)(struct mpt_obj *obj))
{
	struct mpt_obj *obj;
	u64 sum = 0;

	mutex_lock(&mpt_objs_lock);
	list_for_each_entry(obj, &t->objs, node)
		sum += fn(obj);
	mutex_unlock(&mpt_objs_lock);
	return sum;
}

/*
 * Unload: no file is open (each holds a reference on the module), so
 * what is left are objects kept by their names alone.
 */
void mpt_obj_exit(struct mpt_obj_type *t)
{
	struct mpt_obj *obj, *n;

	mutex_lock(&mpt_objs_lock);
	list_for_each_entry_safe(obj, n, &t->objs, node) {
		list_del(&obj->node);
		t->count--;
		if (t->unlist)
			t->unlist(obj);
		put_pid_ns(obj->ns);
		t->free(obj);
	}
	mutex_unlock(&mpt_objs_lock);
}
