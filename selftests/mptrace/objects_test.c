// SPDX-License-Identifier: GPL-2.0
/*
 * Queues and locks as named objects, each test once for either kind:
 * names belong to a pid namespace (neither seen nor opened from another,
 * the same name free in each), the MPT_CMD_GET_QUEUES and
 * MPT_CMD_GET_LOCKS dumps (only a dump, no attribute, only what the
 * caller may open), the MPT_IOC_QUEUES and MPT_IOC_LOCKS listings (bad
 * requests, paging from start to next), MPT_IOC_QUEUE_INFO and
 * MPT_IOC_LOCK_INFO by name (bad requests), and an open of an existing
 * object, which ignores what only a create takes.  The truth is what the
 * test made: the ids its opens returned, its names, and what the
 * objects then do.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mpt_helpers.h"

#define RW	(MPT_QOPEN_READ | MPT_QOPEN_WRITE | MPT_QOPEN_CLOEXEC)
#define CREATE	(RW | MPT_QOPEN_CREATE)
#define EXCL	(CREATE | MPT_QOPEN_EXCL)

/* What MPT_IOC_QUEUES (or _LOCKS) lists, and _INFO fills: either kind. */
union rec {
	struct mpt_queue_info q;
	struct mpt_lock_info l;
};

/* An object as a listing or a dump shows it. */
struct ent {
	__u64 id;
	char name[MPT_NAME_LEN];
};

#define MAXE	4096
#define LIST_MAX	MPT_QUEUE_LIST_MAX

static struct ent ents[MAXE];
static char list_buf[(LIST_MAX + 1) * sizeof(union rec)];
static char nl_buf[65536];

static size_t rec_size(bool lock)
{
	return lock ? sizeof(struct mpt_lock_info) :
		      sizeof(struct mpt_queue_info);
}

static __u64 rec_id(bool lock, const void *r)
{
	return lock ? ((const struct mpt_lock_info *)r)->id :
		      ((const struct mpt_queue_info *)r)->id;
}

static const char *rec_name(bool lock, const void *r)
{
	return lock ? ((const struct mpt_lock_info *)r)->name :
		      ((const struct mpt_queue_info *)r)->name;
}

/*
 * Open @name with @flags, asking for @mode and a small size (a queue) or
 * a mutex (a lock): the descriptor, or -errno; *@id and *@created as the
 * module answered.
 */
static int obj_open(int dev, bool lock, const char *name, __u32 flags,
		    __u32 mode, __u64 *id, __u32 *created)
{
	int fd;

	if (lock) {
		struct mpt_lock_open lo = {
			.flags = flags, .mode = mode, .kind = MPT_LOCK_MUTEX,
		};

		snprintf(lo.name, sizeof(lo.name), "%s", name);
		fd = ioctl(dev, MPT_IOC_LOCK_OPEN, &lo);
		*id = lo.id;
		*created = lo.created;
	} else {
		struct mpt_queue_open qo = {
			.flags = flags, .mode = mode, .capacity = 1,
			.msgsize = 8,
		};

		snprintf(qo.name, sizeof(qo.name), "%s", name);
		fd = ioctl(dev, MPT_IOC_QUEUE_OPEN, &qo);
		*id = qo.id;
		*created = qo.created;
	}
	return fd < 0 ? -errno : fd;
}

/* Create @name, kept by its name alone: its id (> 0), or -errno. */
static long long make(int dev, bool lock, const char *name, __u32 mode)
{
	__u32 created;
	__u64 id;
	int fd;

	fd = obj_open(dev, lock, name, EXCL, mode, &id, &created);
	if (fd < 0)
		return fd;
	close(fd);
	return created == 1 && id ? (long long)id : -EBADMSG;
}

/* Open an existing @name for reading: 0, or -errno. */
static int open_existing(int dev, bool lock, const char *name)
{
	__u32 created;
	__u64 id;
	int fd;

	fd = obj_open(dev, lock, name, MPT_QOPEN_READ | MPT_QOPEN_CLOEXEC, 0,
		      &id, &created);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int unlink_obj(int dev, bool lock, const char *name)
{
	struct mpt_name n = { 0 };

	snprintf(n.name, sizeof(n.name), "%s", name);
	return ioctl(dev, lock ? MPT_IOC_LOCK_UNLINK : MPT_IOC_QUEUE_UNLINK,
		     &n) ? -errno : 0;
}

/* MPT_IOC_QUEUE_INFO (or _LOCK_INFO) of @r as it is: 0, or -errno. */
static int info_raw(int dev, bool lock, union rec *r)
{
	return ioctl(dev, lock ? MPT_IOC_LOCK_INFO : MPT_IOC_QUEUE_INFO,
		     r) ? -errno : 0;
}

static int info_named(int dev, bool lock, const char *name, union rec *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(lock ? r->l.name : r->q.name, MPT_NAME_LEN, "%s", name);
	return info_raw(dev, lock, r);
}

static int list_call(int dev, bool lock, struct mpt_queues_req *req)
{
	return ioctl(dev, lock ? MPT_IOC_LOCKS : MPT_IOC_QUEUES, req) ?
	       -errno : 0;
}

/* The whole listing into @out (at most @max): how many, or -errno. */
static int list_all(int dev, bool lock, struct ent *out, int max)
{
	struct mpt_queues_req req = { .start = 0 };
	int n = 0, calls = 0, ret;
	__u32 i;

	do {
		req.buf = (uintptr_t)list_buf;
		req.count = LIST_MAX;
		req.next = 0;
		ret = list_call(dev, lock, &req);
		if (ret)
			return ret;
		for (i = 0; i < req.count; i++) {
			const char *r = list_buf + i * rec_size(lock);

			if (n == max)
				return -ENOSPC;
			out[n].id = rec_id(lock, r);
			memcpy(out[n].name, rec_name(lock, r), MPT_NAME_LEN);
			out[n].name[MPT_NAME_LEN - 1] = '\0';
			n++;
		}
		req.start = req.next;
	} while (req.next && ++calls < 1000);
	return req.next ? -ELOOP : n;
}

/*
 * A MPT_CMD_GET_QUEUES (or _LOCKS) dump on a socket of its own, into
 * @out (at most @max): how many, or -errno (an error message included).
 */
static int nl_dump(bool lock, struct ent *out, int max)
{
	int fd = mpt_nl_socket(), family, n = 0, ret;
	int nest_type = lock ? MPT_A_LOCK : MPT_A_QUEUE;
	int id_type = lock ? MPT_LOCK_A_ID : MPT_QUEUE_A_ID;
	int name_type = lock ? MPT_LOCK_A_NAME : MPT_QUEUE_A_NAME;
	struct mpt_nlmsg m;

	if (fd < 0)
		return fd;
	family = mpt_genl_family(fd, MPT_GENL_NAME, NULL, NULL);
	if (family <= 0) {
		close(fd);
		return family < 0 ? family : -ENOENT;
	}
	mpt_nlmsg_init(&m, family,
		       lock ? MPT_CMD_GET_LOCKS : MPT_CMD_GET_QUEUES,
		       NLM_F_DUMP);
	m.n.nlmsg_seq = 4242;
	if (send(fd, &m, m.n.nlmsg_len, 0) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		ssize_t len = recv(fd, nl_buf, sizeof(nl_buf), MSG_TRUNC);
		struct nlmsghdr *h;

		if (len < 0) {
			ret = -errno;
			goto out;
		}
		if (len > (ssize_t)sizeof(nl_buf)) {
			ret = -EMSGSIZE;
			goto out;
		}
		for (h = (struct nlmsghdr *)nl_buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			struct nlattr *nest, *id, *name;
			int nlen;

			if (h->nlmsg_seq != m.n.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				ret = n;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				ret = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
				ret = ret ? ret : -EBADMSG;
				goto out;
			}
			nest = mpt_nla_find(MPT_GENL_ATTRS(h),
					    MPT_GENL_ATTRLEN(h), nest_type);
			if (!nest) {
				ret = -EBADMSG;
				goto out;
			}
			nlen = nest->nla_len - NLA_HDRLEN;
			id = mpt_nla_find(MPT_NLA_DATA(nest), nlen, id_type);
			name = mpt_nla_find(MPT_NLA_DATA(nest), nlen, name_type);
			if (!id || !name || id->nla_len != NLA_HDRLEN + 8) {
				ret = -EBADMSG;
				goto out;
			}
			if (n == max) {
				ret = -ENOSPC;
				goto out;
			}
			memcpy(&out[n].id, MPT_NLA_DATA(id), sizeof(__u64));
			snprintf(out[n].name, MPT_NAME_LEN, "%s",
				 (char *)MPT_NLA_DATA(name));
			n++;
		}
	}
out:
	close(fd);
	return ret;
}

/* How many of @v[@n] are named @name. */
static int count_named(const struct ent *v, int n, const char *name)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += !strcmp(v[i].name, name);
	return c;
}

/* How many of @v[@n] have the id @id. */
static int count_id(const struct ent *v, int n, __u64 id)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += v[i].id == id;
	return c;
}

FIXTURE(obj) {
	int dev;
	int n;
	char names[8][MPT_NAME_LEN];
};

FIXTURE_VARIANT(obj) {
	bool lock;
};

FIXTURE_VARIANT_ADD(obj, queue) {
	.lock = false,
};

FIXTURE_VARIANT_ADD(obj, lock) {
	.lock = true,
};

FIXTURE_SETUP(obj)
{
	self->dev = -1;
	self->n = 0;
	if (!mpt_loaded())
		SKIP(return, "mptrace module not loaded");
	self->dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(obj)
{
	int i;

	if (self->dev < 0)
		return;
	for (i = 0; i < self->n; i++)
		unlink_obj(self->dev, variant->lock, self->names[i]);
	close(self->dev);
}

/* A name of this test's own, removed (in this namespace) at teardown. */
static const char *fresh(FIXTURE_DATA(obj) *self, const char *tag)
{
	static int seq;
	char *name;

	if (self->n == (int)ARRAY_SIZE(self->names))
		abort();
	name = self->names[self->n++];
	snprintf(name, MPT_NAME_LEN, "ot-%d-%d-%s", getpid(), seq++, tag);
	return name;
}

/* The number of objects of this kind in the module, every namespace's. */
static long long objects_now(bool lock)
{
	return mpt_stat_now(lock ? MPT_STATS_A_LOCKS : MPT_STATS_A_QUEUES);
}

struct ns_args {
	bool lock;
	const char *host, *own, *same;
	__u64 host_id, same_host_id;
	int up, down;
};

/* What the namespace made, sent up. */
struct ns_made {
	__u64 own, same;
};

/*
 * pid 1 of a new pid namespace: the host's objects are not there, its
 * own are; tell the host the ids, wait for it to look, remove them.
 * 0, or the step that failed.
 */
static int in_namespace(const struct ns_args *a)
{
	struct ns_made made = { 0 };
	long long id;
	union rec r;
	int dev, n, ret = 0;
	char c;

	if (getpid() != 1)
		return 2;
	dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (dev < 0)
		return 3;
	if (info_named(dev, a->lock, a->host, &r) != -ENOENT)
		return 4;
	if (open_existing(dev, a->lock, a->host) != -ENOENT)
		return 5;
	if (unlink_obj(dev, a->lock, a->host) != -ENOENT)
		return 6;
	if (info_named(dev, a->lock, a->same, &r) != -ENOENT)
		return 7;

	id = make(dev, a->lock, a->own, 0600);
	if (id <= 0)
		return 8;
	made.own = id;
	id = make(dev, a->lock, a->same, 0600);	/* EXCL: free here */
	if (id <= 0) {
		ret = 9;
		goto out;
	}
	made.same = id;
	if (info_named(dev, a->lock, a->own, &r) ||
	    rec_id(a->lock, &r) != made.own ||
	    info_named(dev, a->lock, a->same, &r) ||
	    rec_id(a->lock, &r) != made.same) {
		ret = 10;
		goto out;
	}
	n = list_all(dev, a->lock, ents, MAXE);
	if (n < 0) {
		ret = 11;
		goto out;
	}
	if (count_named(ents, n, a->host) || count_id(ents, n, a->host_id) ||
	    count_id(ents, n, a->same_host_id)) {
		ret = 12;
		goto out;
	}
	if (count_id(ents, n, made.own) != 1 ||
	    count_id(ents, n, made.same) != 1 ||
	    count_named(ents, n, a->same) != 1) {
		ret = 13;
		goto out;
	}
	n = nl_dump(a->lock, ents, MAXE);
	if (n < 0) {
		ret = 14;
		goto out;
	}
	if (count_named(ents, n, a->host) || count_id(ents, n, a->host_id) ||
	    count_id(ents, n, a->same_host_id)) {
		ret = 15;
		goto out;
	}
	if (count_id(ents, n, made.own) != 1 ||
	    count_id(ents, n, made.same) != 1) {
		ret = 16;
		goto out;
	}
	if (write(a->up, &made, sizeof(made)) != sizeof(made)) {
		ret = 17;
		goto out;
	}
	if (read(a->down, &c, 1) != 1)
		ret = 18;		/* the host gave up: clean up anyway */
out:
	if (unlink_obj(dev, a->lock, a->own) && !ret)
		ret = 19;
	if (made.same && unlink_obj(dev, a->lock, a->same) && !ret)
		ret = 20;
	close(dev);
	return ret;
}

/*
 * Names belong to the pid namespace of their creator: a child namespace
 * neither sees nor opens (nor removes) the host's, the host not the
 * child's, and the same name exists in both, each its own object.
 */
TEST_F(obj, pid_namespace)
{
	const bool lock = variant->lock;
	const char *host = fresh(self, "host");
	const char *own = fresh(self, "ns");
	const char *same = fresh(self, "same");
	struct ns_made made = { 0 };
	int up[2], down[2], status, n;
	long long base, host_id, same_id;
	union rec r;
	ssize_t got;
	pid_t outer;

	if (geteuid() != 0)
		SKIP(return, "needs root for a new pid namespace");
	host_id = make(self->dev, lock, host, 0600);
	ASSERT_LT(0, host_id);
	same_id = make(self->dev, lock, same, 0600);
	ASSERT_LT(0, same_id);
	base = objects_now(lock);
	ASSERT_LE(2, base);
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));

	outer = fork();
	ASSERT_LE(0, outer);
	if (outer == 0) {
		struct ns_args a = {
			.lock = lock, .host = host, .own = own, .same = same,
			.host_id = host_id, .same_host_id = same_id,
			.up = up[1], .down = down[0],
		};
		pid_t init;

		close(up[0]);
		close(down[1]);		/* EOF for the child if the host goes */
		if (unshare(CLONE_NEWPID))
			_exit(errno == EPERM || errno == EINVAL ? 99 : 1);
		init = fork();
		if (init == 0)
			_exit(in_namespace(&a));
		if (init < 0 || waitpid(init, &status, 0) != init)
			_exit(21);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 22);
	}
	close(up[1]);
	close(down[0]);

	got = read(up[0], &made, sizeof(made));
	if (got != sizeof(made)) {
		close(down[1]);
		ASSERT_EQ(outer, waitpid(outer, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		if (WEXITSTATUS(status) == 99)
			SKIP(return, "no new pid namespace here");
		ASSERT_EQ(0, WEXITSTATUS(status))
			TH_LOG("namespace step %d", WEXITSTATUS(status));
		ASSERT_EQ(sizeof(made), got);
	}

	/* They exist (module-wide), other objects than the host's... */
	EXPECT_EQ(base + 2, objects_now(lock));
	EXPECT_NE(same_id, made.same);
	EXPECT_NE(host_id, made.own);
	/* ...and the host sees none of them. */
	EXPECT_EQ(-ENOENT, info_named(self->dev, lock, own, &r));
	EXPECT_EQ(-ENOENT, open_existing(self->dev, lock, own));
	EXPECT_EQ(0, info_named(self->dev, lock, same, &r));
	EXPECT_EQ(same_id, rec_id(lock, &r));
	n = list_all(self->dev, lock, ents, MAXE);
	ASSERT_LE(0, n);
	EXPECT_EQ(0, count_id(ents, n, made.own));
	EXPECT_EQ(0, count_id(ents, n, made.same));
	EXPECT_EQ(0, count_named(ents, n, own));
	EXPECT_EQ(1, count_named(ents, n, same));
	EXPECT_EQ(1, count_id(ents, n, same_id));
	EXPECT_EQ(1, count_id(ents, n, host_id));
	n = nl_dump(lock, ents, MAXE);
	ASSERT_LE(0, n);
	EXPECT_EQ(0, count_id(ents, n, made.own));
	EXPECT_EQ(0, count_id(ents, n, made.same));
	EXPECT_EQ(1, count_id(ents, n, same_id));

	ASSERT_EQ(1, write(down[1], "x", 1));
	close(down[1]);
	close(up[0]);
	ASSERT_EQ(outer, waitpid(outer, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("namespace step %d", WEXITSTATUS(status));

	/* Its removals took its own objects, not the host's same name. */
	EXPECT_EQ(base, objects_now(lock));
	EXPECT_EQ(0, info_named(self->dev, lock, same, &r));
	EXPECT_EQ(same_id, rec_id(lock, &r));
	EXPECT_EQ(0, info_named(self->dev, lock, host, &r));
	EXPECT_EQ(host_id, rec_id(lock, &r));
}

/* The dumps are only dumps, and take no attribute. */
TEST_F(obj, netlink_dump_form)
{
	const bool lock = variant->lock;
	const char *name = fresh(self, "nl");
	__u8 cmd = lock ? MPT_CMD_GET_LOCKS : MPT_CMD_GET_QUEUES;
	int nl, family, n;
	char extack[256], nest[8] = { 0 };
	struct mpt_nlmsg m;
	long long id;
	__u32 abi = 1;

	id = make(self->dev, lock, name, 0600);
	ASSERT_LT(0, id);
	n = nl_dump(lock, ents, MAXE);		/* the right form works */
	ASSERT_LE(1, n);
	EXPECT_EQ(1, count_id(ents, n, id));

	nl = mpt_nl_socket();
	ASSERT_LE(0, nl);
	family = mpt_genl_family(nl, MPT_GENL_NAME, NULL, NULL);
	ASSERT_LT(0, family);

	mpt_nlmsg_init(&m, family, cmd, 0);
	EXPECT_EQ(-EOPNOTSUPP, mpt_nl_transact(nl, &m, NULL, 0, NULL, 0));

	mpt_nlmsg_init(&m, family, cmd, NLM_F_DUMP);
	mpt_nlmsg_put(&m, MPT_A_ABI, &abi, sizeof(abi));
	EXPECT_EQ(-EINVAL, mpt_nl_transact(nl, &m, NULL, 0, extack,
					   sizeof(extack)));
	EXPECT_NE(0, extack[0]) TH_LOG("no extended ACK message");

	/* Its own nest, as a request, is no more welcome. */
	mpt_nlmsg_init(&m, family, cmd, NLM_F_DUMP);
	mpt_nlmsg_put(&m, lock ? MPT_A_LOCK : MPT_A_QUEUE, nest, 0);
	EXPECT_EQ(-EINVAL, mpt_nl_transact(nl, &m, NULL, 0, NULL, 0));

	mpt_nlmsg_init(&m, family, cmd, NLM_F_DUMP);
	mpt_nlmsg_put(&m, MPT_A_MAX + 1, &abi, sizeof(abi));
	EXPECT_EQ(-EINVAL, mpt_nl_transact(nl, &m, NULL, 0, NULL, 0));
	close(nl);
}

struct nobody_args {
	bool lock;
	const char *priv, *pub;
	__u64 priv_id, pub_id;
};

/* May uid 65534 open @name, for reading or for writing? */
static bool may_open(int dev, bool lock, const char *name)
{
	__u32 flags[] = { MPT_QOPEN_READ, MPT_QOPEN_WRITE }, created;
	__u64 id;
	int i, fd;

	for (i = 0; i < 2; i++) {
		fd = obj_open(dev, lock, name, flags[i] | MPT_QOPEN_CLOEXEC, 0,
			      &id, &created);
		if (fd >= 0) {
			close(fd);
			return true;
		}
		if (fd == -ENOENT)	/* removed since, or never named */
			return true;
	}
	return false;
}

/* As uid 65534: 0 when the dump and the listing show just what it may open. */
static int nobody_lists(void *p)
{
	const struct nobody_args *a = p;
	int dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC), n, i;

	if (dev < 0)
		return 90;
	n = nl_dump(a->lock, ents, MAXE);
	if (n < 0)
		return 91;
	if (count_named(ents, n, a->priv) || count_id(ents, n, a->priv_id))
		return 1;
	if (count_named(ents, n, a->pub) != 1 || count_id(ents, n, a->pub_id) != 1)
		return 2;
	for (i = 0; i < n; i++)
		if (!may_open(dev, a->lock, ents[i].name))
			return 3;
	n = list_all(dev, a->lock, ents, MAXE);
	if (n < 0)
		return 92;
	if (count_named(ents, n, a->priv) || count_id(ents, n, a->priv_id))
		return 4;
	if (count_named(ents, n, a->pub) != 1 || count_id(ents, n, a->pub_id) != 1)
		return 5;
	close(dev);
	return 0;
}

/* An unprivileged dump lists only what its caller may open. */
TEST_F(obj, netlink_dump_unprivileged)
{
	const bool lock = variant->lock;
	struct nobody_args a = {
		.lock = lock,
		.priv = fresh(self, "priv"),
		.pub = fresh(self, "pub"),
	};
	long long id;
	int n;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to another uid");
	id = make(self->dev, lock, a.priv, 0600);
	ASSERT_LT(0, id);
	a.priv_id = id;
	id = make(self->dev, lock, a.pub, 0666);
	ASSERT_LT(0, id);
	a.pub_id = id;
	/* Root (its owner) is shown both. */
	n = nl_dump(lock, ents, MAXE);
	ASSERT_LE(2, n);
	EXPECT_EQ(1, count_id(ents, n, a.priv_id));
	EXPECT_EQ(1, count_id(ents, n, a.pub_id));
	EXPECT_EQ(0, mpt_as_nobody(nobody_lists, &a));
}

/* The listing's argument: count, reserved, buf and the pointer itself. */
TEST_F(obj, list_bad_requests)
{
	const bool lock = variant->lock;
	const char *name = fresh(self, "bad");
	struct mpt_queues_req req = { .buf = (uintptr_t)list_buf };
	long page = sysconf(_SC_PAGESIZE);
	void *ro;

	ASSERT_LT(0, make(self->dev, lock, name, 0600));	/* one to copy */

	req.count = LIST_MAX;
	ASSERT_EQ(0, list_call(self->dev, lock, &req));
	EXPECT_LE(1, req.count);
	req = (struct mpt_queues_req){ .buf = (uintptr_t)list_buf,
				       .count = LIST_MAX + 1 };
	EXPECT_EQ(-EINVAL, list_call(self->dev, lock, &req));
	req = (struct mpt_queues_req){ .buf = (uintptr_t)list_buf,
				       .count = 1, .reserved = 1 };
	EXPECT_EQ(-EINVAL, list_call(self->dev, lock, &req));
	req = (struct mpt_queues_req){ .buf = 1, .count = 1 };
	EXPECT_EQ(-EFAULT, list_call(self->dev, lock, &req));
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	req = (struct mpt_queues_req){ .buf = (uintptr_t)ro, .count = 1 };
	EXPECT_EQ(-EFAULT, list_call(self->dev, lock, &req));
	munmap(ro, page);
	EXPECT_EQ(-1, ioctl(self->dev, lock ? MPT_IOC_LOCKS : MPT_IOC_QUEUES,
			    NULL));
	EXPECT_EQ(EFAULT, errno);
}

#define NPAGED	5

/*
 * Two at a time from start to next: every object once, in id order,
 * next 0 at the end; a start in the middle lists from there.
 */
TEST_F(obj, list_paging)
{
	const bool lock = variant->lock;
	struct mpt_queues_req req;
	const char *names[NPAGED];
	int seen[NPAGED] = { 0 };
	__u64 ids[NPAGED], start = 0, last = 0, max_id = 0;
	int i, calls, total = 0;
	long long id;
	__u32 k;

	for (i = 0; i < NPAGED; i++) {
		names[i] = fresh(self, "page");
		id = make(self->dev, lock, names[i], 0600);
		ASSERT_LT(0, id);
		ids[i] = id;
		ASSERT_LT(i ? ids[i - 1] : 0, ids[i]);	/* ids grow */
	}

	for (calls = 0; calls < 10000; calls++) {
		req = (struct mpt_queues_req){
			.buf = (uintptr_t)list_buf, .count = 2, .start = start,
		};
		ASSERT_EQ(0, list_call(self->dev, lock, &req));
		ASSERT_GE(2, req.count);
		for (k = 0; k < req.count; k++) {
			const char *r = list_buf + k * rec_size(lock);
			__u64 rid = rec_id(lock, r);

			EXPECT_LE(start, rid);
			EXPECT_LT(last, rid) TH_LOG("not in id order");
			last = rid;
			total++;
			for (i = 0; i < NPAGED; i++) {
				if (strcmp(rec_name(lock, r), names[i]))
					continue;
				EXPECT_EQ(ids[i], rid);
				seen[i]++;
			}
		}
		EXPECT_TRUE(req.count == 2 || !req.next)
			TH_LOG("a short page ends the list");
		if (!req.next)
			break;
		EXPECT_LT(last, req.next);
		start = req.next;
	}
	ASSERT_GT(10000, calls);
	EXPECT_LE(NPAGED, total);
	for (i = 0; i < NPAGED; i++) {
		int times = seen[i];

		EXPECT_EQ(1, times) TH_LOG("object %d of %d", i, NPAGED);
	}

	/* From the third: the third first, the first two not again. */
	req = (struct mpt_queues_req){
		.buf = (uintptr_t)list_buf, .count = 2, .start = ids[2],
	};
	ASSERT_EQ(0, list_call(self->dev, lock, &req));
	ASSERT_EQ(2, req.count);
	EXPECT_EQ(ids[2], rec_id(lock, list_buf));
	EXPECT_EQ(ids[3], rec_id(lock, list_buf + rec_size(lock)));
	/* The next call goes on after the fourth, not past the fifth. */
	EXPECT_LT(ids[3], req.next);
	EXPECT_GE(ids[4], req.next);

	/* Past every id: nothing, and the end. */
	for (i = 0; i < NPAGED; i++)
		max_id = ids[i] > max_id ? ids[i] : max_id;
	req = (struct mpt_queues_req){
		.buf = (uintptr_t)list_buf, .count = 2, .start = last + 1,
	};
	ASSERT_EQ(0, list_call(self->dev, lock, &req));
	EXPECT_EQ(0, req.count);
	EXPECT_EQ(0, req.next);
	EXPECT_LE(max_id, last);
}

/* INFO by name: no such name, a name without its NUL, a bad pointer. */
TEST_F(obj, info_by_name_errors)
{
	const bool lock = variant->lock;
	const char *name = fresh(self, "info");
	const char *none = fresh(self, "none");
	union rec r;
	long long id;

	id = make(self->dev, lock, name, 0600);
	ASSERT_LT(0, id);
	ASSERT_EQ(0, info_named(self->dev, lock, name, &r));
	EXPECT_EQ(id, rec_id(lock, &r));
	EXPECT_STREQ(name, rec_name(lock, &r));

	EXPECT_EQ(-ENOENT, info_named(self->dev, lock, none, &r));
	/* Removed: gone by name. */
	ASSERT_EQ(0, unlink_obj(self->dev, lock, name));
	EXPECT_EQ(-ENOENT, info_named(self->dev, lock, name, &r));

	memset(&r, 0, sizeof(r));
	memset(lock ? r.l.name : r.q.name, 'n', MPT_NAME_LEN);
	EXPECT_EQ(-EINVAL, info_raw(self->dev, lock, &r));
	EXPECT_EQ(-EINVAL, info_named(self->dev, lock, "a/b", &r));
	EXPECT_EQ(-EINVAL, info_named(self->dev, lock, "", &r));
	EXPECT_EQ(-1, ioctl(self->dev, lock ? MPT_IOC_LOCK_INFO :
			    MPT_IOC_QUEUE_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* INFO's reserved field must be zero on input, by name or on the file. */
TEST_F(obj, info_reserved)
{
	const bool lock = variant->lock;
	const char *name = fresh(self, "rsv");
	__u32 created;
	union rec r;
	__u64 id;
	int fd;

	fd = obj_open(self->dev, lock, name, EXCL, 0600, &id, &created);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, info_named(self->dev, lock, name, &r));
	EXPECT_EQ(id, rec_id(lock, &r));

	memset(&r, 0, sizeof(r));
	snprintf(lock ? r.l.name : r.q.name, MPT_NAME_LEN, "%s", name);
	if (lock)
		r.l.reserved = 1;
	else
		r.q.reserved = 1;
	EXPECT_EQ(-EINVAL, info_raw(self->dev, lock, &r));

	memset(&r, 0, sizeof(r));
	if (lock)
		r.l.reserved = 1;
	else
		r.q.reserved = 1;
	EXPECT_EQ(-1, ioctl(fd, lock ? MPT_LIOC_INFO : MPT_QIOC_INFO, &r));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

struct nobody_open_args {
	bool lock;
	const char *name;
};

/* As uid 65534: 13 when an open for reading is refused, 0 when allowed. */
static int nobody_reads(void *p)
{
	const struct nobody_open_args *a = p;
	int dev = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC), ret;

	if (dev < 0)
		return 99;
	ret = open_existing(dev, a->lock, a->name);
	return !ret ? 0 : ret == -EACCES ? 13 : 98;
}

static int qput(int fd, size_t len)
{
	static char msg[64];
	struct mpt_qmsg m = {
		.buf = (uintptr_t)msg, .len = len, .flags = MPT_QMSG_NOWAIT,
	};

	return ioctl(fd, MPT_QIOC_PUT, &m) ? -errno : 0;
}

static int lacquire(int fd)
{
	struct mpt_lock_acq a = { .flags = MPT_LOCK_TRY };

	return ioctl(fd, MPT_LIOC_ACQUIRE, &a) ? -errno : 0;
}

/*
 * The three opens of open_existing_ignores_create_args: the creator's,
 * then with CREATE (not EXCL) and without it, each asking for other
 * sizes, kinds, modes and flags, which an existing object ignores.
 */
static const struct mpt_queue_open queue_opens[3] = {
	{ .flags = EXCL, .mode = 0640, .capacity = 4, .msgsize = 16 },
	{ .flags = CREATE, .mode = 0666, .capacity = 8, .msgsize = 32,
	  .qflags = MPT_QUEUE_TRACE },
	{ .flags = RW, .mode = 0606, .capacity = 2, .msgsize = 8,
	  .qflags = MPT_QUEUE_FAST },
};

static const struct mpt_lock_open lock_opens[3] = {
	{ .flags = EXCL, .mode = 0640, .kind = MPT_LOCK_MUTEX },
	{ .flags = CREATE, .mode = 0666, .kind = MPT_LOCK_RECURSIVE,
	  .lflags = MPT_LOCK_TRACE },
	{ .flags = RW, .mode = 0606, .kind = MPT_LOCK_RECURSIVE,
	  .lflags = MPT_LOCK_FAST },
};

/* Open @name as the @i-th of queue_opens (lock_opens): fd or -1. */
static int open_nth(int dev, bool lock, const char *name, int i, __u64 *id,
		    __u32 *created)
{
	struct mpt_queue_open qo = queue_opens[i];
	struct mpt_lock_open lo = lock_opens[i];
	int fd;

	if (lock) {
		snprintf(lo.name, sizeof(lo.name), "%s", name);
		fd = ioctl(dev, MPT_IOC_LOCK_OPEN, &lo);
		*id = lo.id;
		*created = lo.created;
	} else {
		snprintf(qo.name, sizeof(qo.name), "%s", name);
		fd = ioctl(dev, MPT_IOC_QUEUE_OPEN, &qo);
		*id = qo.id;
		*created = qo.created;
	}
	return fd;
}

/* @r, an _INFO answer, shows what queue_opens[0] (lock_opens[0]) asked. */
static void expect_creators(struct __test_metadata *_metadata, bool lock,
			    const union rec *r)
{
	if (lock) {
		EXPECT_EQ(MPT_LOCK_MUTEX, r->l.kind);
		EXPECT_EQ(0640, r->l.mode);
		EXPECT_EQ(0, r->l.flags);
	} else {
		EXPECT_EQ(0640, r->q.mode);
		EXPECT_EQ(4, r->q.capacity);
		EXPECT_EQ(16, r->q.msgsize);
		EXPECT_EQ(0, r->q.flags);
	}
}

/*
 * Opening an existing object: its creator's mode, and its capacity and
 * msgsize (a queue) or kind (a lock), and flags.
 */
TEST_F(obj, open_existing_ignores_create_args)
{
	const char *name = fresh(self, "exist");
	struct nobody_open_args na = { .lock = variant->lock, .name = name };
	long page = sysconf(_SC_PAGESIZE);
	bool lock = variant->lock;
	__u32 created;
	int fd[3], i;
	union rec r;
	void *map;
	__u64 id;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to another uid");
	fd[0] = open_nth(self->dev, lock, name, 0, &id, &created);
	ASSERT_LE(0, fd[0]);
	ASSERT_EQ(1, created);
	for (i = 1; i < 3; i++) {
		__u64 id_i;

		fd[i] = open_nth(self->dev, lock, name, i, &id_i, &created);
		ASSERT_LE(0, fd[i]);
		EXPECT_EQ(0, created);
		EXPECT_EQ(id, id_i);
	}

	ASSERT_EQ(0, info_named(self->dev, lock, name, &r));
	EXPECT_EQ(id, lock ? r.l.id : r.q.id);
	expect_creators(_metadata, lock, &r);
	EXPECT_EQ(3, lock ? r.l.openers : r.q.openers);
	for (i = 1; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		ASSERT_EQ(0, ioctl(fd[i], lock ? MPT_LIOC_INFO : MPT_QIOC_INFO,
				   &r));
		expect_creators(_metadata, lock, &r);
	}

	if (lock) {
		/* And it behaves so: a mutex, not recursive, not fast. */
		ASSERT_EQ(0, lacquire(fd[2]));
		EXPECT_EQ(-EDEADLK, lacquire(fd[1]));
		EXPECT_EQ(0, ioctl(fd[2], MPT_LIOC_RELEASE, 0));
	} else {
		/* And it behaves so: 16 bytes a message, 4 of them, not fast. */
		EXPECT_EQ(-EMSGSIZE, qput(fd[2], 17));
		EXPECT_EQ(0, qput(fd[2], 16));
		EXPECT_EQ(0, qput(fd[1], 1));
		EXPECT_EQ(0, qput(fd[2], 1));
		EXPECT_EQ(0, qput(fd[1], 1));
		EXPECT_EQ(-EAGAIN, qput(fd[2], 1));
	}
	map = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd[2], 0);
	EXPECT_EQ(MAP_FAILED, map);
	EXPECT_EQ(ENODEV, errno);
	if (map != MAP_FAILED)
		munmap(map, page);
	/* Mode 0640: nothing for others, as 0666 or 0606 would give. */
	EXPECT_EQ(13, mpt_as_nobody(nobody_reads, &na));
	for (i = 0; i < 3; i++)
		close(fd[i]);
}

TEST_HARNESS_MAIN
