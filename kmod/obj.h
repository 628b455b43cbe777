/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_OBJ_H
#define _MPT_OBJ_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/mptrace.h>

struct mpt_obj;
struct mpt_src;
struct pid_namespace;

/**
 * struct mpt_obj_type - a kind of named object (queues, locks)
 * @anon_name: the name of its files' anonymous inode
 * @fops: its files' operations; private_data is the struct mpt_obj
 * @max: the module parameter bounding how many may exist
 * @refused: counts creations refused at a limit
 * @ev_create: the event of a creation
 * @ev_remove: the event of a removal
 * @unlist: the object leaves the registry: give back what it reserved
 *	(called under the registry's mutex; may be NULL)
 * @free: free it; no reference is left (process context)
 * @objs: the registry, by id (under the registry's mutex)
 * @count: objects in @objs
 * @next_id: the id of the next one made
 */
struct mpt_obj_type {
	const char			*anon_name;
	const struct file_operations	*fops;
	unsigned int			*max;
	atomic64_t			*refused;
	u16				ev_create;
	u16				ev_remove;
	void				(*unlist)(struct mpt_obj *obj);
	u32				(*depth)(struct mpt_obj *obj);
	void				(*free)(struct mpt_obj *obj);
	struct list_head		objs;
	unsigned int			count;
	u64				next_id;
};

/**
 * struct mpt_obj - what every named object has, first in its struct
 * @ref: one for the name while linked, one per open file
 * @node: in its type's registry
 * @type: its type
 * @ns: the pid namespace its name belongs to; a reference
 * @id: unique among its type's while the module is loaded
 * @name: its name
 * @linked: the name is in use (under the registry's mutex)
 * @uid: owner
 * @gid: owner group
 * @mode: permission bits
 * @created_ns: CLOCK_BOOTTIME of its creation
 * @openers: files open on it
 */
struct mpt_obj {
	struct kref			ref;
	struct list_head		node;
	struct mpt_obj_type		*type;
	struct pid_namespace		*ns;
	u64				id;
	char				name[MPT_NAME_LEN];
	bool				linked;
	kuid_t				uid;
	kgid_t				gid;
	umode_t				mode;
	u64				created_ns;
	atomic_t			openers;
};

/* Permission bits asked at open */
#define MPT_MAY_READ	4
#define MPT_MAY_WRITE	2

int mpt_obj_check_open(u32 flags, const char *name, u32 mode);
unsigned int mpt_obj_want(u32 flags);
struct mpt_obj *mpt_obj_get(struct mpt_obj_type *t, const char *name,
			    u32 flags, umode_t mode,
			    struct mpt_obj *(*make)(void *arg), void *arg,
			    bool *created);
int mpt_obj_install(struct mpt_obj *obj, u32 flags, bool created,
		    void __user *argp, const void *reply, size_t len);
int mpt_obj_unlink(struct mpt_obj_type *t, void __user *argp);
struct mpt_obj *mpt_obj_lookup(struct mpt_obj_type *t, const char *name);
struct mpt_obj *mpt_obj_next(struct mpt_obj_type *t,
			     struct pid_namespace *ns, u64 *id);
void mpt_obj_put(struct mpt_obj *obj);
unsigned int mpt_obj_granted(const struct mpt_obj *obj, bool noaudit);
void mpt_obj_event(struct mpt_obj *obj, struct mpt_src *src);
int mpt_obj_release(struct inode *inode, struct file *file);
u64 mpt_obj_sum(struct mpt_obj_type *t, u64 (*fn)(struct mpt_obj *obj));
void mpt_obj_exit(struct mpt_obj_type *t);

#endif /* _MPT_OBJ_H */
