// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmptrace: /dev/mptrace and the "mptrace" generic netlink family.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "libmptrace.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Private errno-like codes for conditions errno cannot name. */
#define MPT_ENOMODULE	4096	/* the module is not loaded */
#define MPT_ENODEV	4097	/* loaded, but /dev/mptrace is missing */

bool mpt_module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/mptrace", &st) == 0;
}

int mpt_dev_open(int flags)
{
	int fd = open(MPT_DEVICE_PATH, flags | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return mpt_module_loaded() ? -MPT_ENODEV : -MPT_ENOMODULE;
	return -errno;
}

int mpt_dev_version(int fd, struct mpt_version *v)
{
	memset(v, 0, sizeof(*v));
	if (ioctl(fd, MPT_IOC_VERSION, v) < 0)
		return -errno;
	v->version[sizeof(v->version) - 1] = '\0';
	return 0;
}

struct mpt_nl {
	struct nl_sock *sk;
	int family;
	char errmsg[256];
	uint64_t last_seq;	/* of the events received, 0 before any */
	uint64_t last_group_seq;	/* their MPT_EV_A_GROUP_SEQ, the same */
	void *rxbuf;		/* mpt_nl_events()' receive buffer, made once */
};

int mpt_nl_open(struct mpt_nl **nlp)
{
	struct mpt_nl *nl;
	int one = 1;
	int ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	ret = genl_connect(nl->sk);
	if (ret < 0) {
		ret = -EIO;
		goto err;
	}
	/* Ask for the kernel's error messages along with error codes. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));

	nl->family = genl_ctrl_resolve(nl->sk, MPT_GENL_NAME);
	if (nl->family < 0) {
		ret = mpt_module_loaded() ? -EPROTO : -MPT_ENOMODULE;
		goto err;
	}
	*nlp = nl;
	return 0;

err:
	nl_socket_free(nl->sk);
	free(nl);
	return ret;
}

void mpt_nl_close(struct mpt_nl *nl)
{
	if (!nl)
		return;
	free(nl->rxbuf);
	nl_socket_free(nl->sk);
	free(nl);
}

const char *mpt_nl_errmsg(const struct mpt_nl *nl)
{
	return nl->errmsg[0] ? nl->errmsg : NULL;
}

/* One request in flight: its reply parser and what came back. */
struct mpt_req {
	struct mpt_nl *nl;
	int (*parse)(struct nlattr **tb, void *arg);
	void *arg;
	int err;
	bool done;
};

static int mpt_req_valid(struct nl_msg *msg, void *arg)
{
	struct mpt_req *req = arg;
	struct nlattr *tb[MPT_A_MAX + 1];
	int ret;

	ret = genlmsg_parse(nlmsg_hdr(msg), 0, tb, MPT_A_MAX, NULL);
	if (ret < 0) {
		req->err = -EBADMSG;
		return NL_STOP;
	}
	ret = req->parse(tb, req->arg);
	if (ret < 0)
		req->err = ret;
	return NL_OK;
}

static int mpt_req_ack(struct nl_msg *msg __attribute__((unused)), void *arg)
{
	struct mpt_req *req = arg;

	req->done = true;
	return NL_STOP;
}

static int mpt_req_error(struct sockaddr_nl *nla __attribute__((unused)),
			 struct nlmsgerr *e,
			 void *arg)
{
	struct mpt_req *req = arg;
	struct nlmsghdr *hdr = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);

	req->err = e->error;
	req->done = true;
	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (NLMSG_HDRLEN + off >= hdr->nlmsg_len)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      hdr->nlmsg_len - NLMSG_HDRLEN - off, NULL) == 0 &&
	    tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(req->nl->errmsg, tb[NLMSGERR_ATTR_MSG],
			    sizeof(req->nl->errmsg));
	return NL_STOP;
}

/*
 * Send @msg (a request of ours, consumed here) and feed each reply to
 * @parse until the kernel acknowledges or fails the request.
 */
static int mpt_nl_transact(struct mpt_nl *nl, struct nl_msg *msg,
			   int (*parse)(struct nlattr **tb, void *arg),
			   void *arg)
{
	struct mpt_req req = { .nl = nl, .parse = parse, .arg = arg };
	struct nl_cb *cb;
	int ret;

	nl->errmsg[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, mpt_req_valid, &req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, mpt_req_ack, &req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, mpt_req_ack, &req);
	nl_cb_err(cb, NL_CB_CUSTOM, mpt_req_error, &req);

	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		nl_cb_put(cb);
		return -EIO;
	}
	while (!req.done) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && !req.err)
			req.err = -EIO;
		if (req.err)
			break;
	}
	nl_cb_put(cb);
	return req.err;
}

static struct nl_msg *mpt_nl_msg_flags(struct mpt_nl *nl, uint8_t cmd,
				       int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				flags, cmd, MPT_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

static struct nl_msg *mpt_nl_msg(struct mpt_nl *nl, uint8_t cmd)
{
	return mpt_nl_msg_flags(nl, cmd, 0);
}

static int mpt_parse_version(struct nlattr **tb, void *arg)
{
	struct mpt_nl_version *v = arg;

	if (!tb[MPT_A_ABI] || !tb[MPT_A_VERSION])
		return -EBADMSG;
	v->abi = nla_get_u32(tb[MPT_A_ABI]);
	nla_strlcpy(v->version, tb[MPT_A_VERSION], sizeof(v->version));
	v->features = tb[MPT_A_FEATURES] ? nla_get_u64(tb[MPT_A_FEATURES]) : 0;
	return 0;
}

int mpt_nl_get_version(struct mpt_nl *nl, uint32_t need_abi,
		       struct mpt_nl_version *v)
{
	struct nl_msg *msg = mpt_nl_msg(nl, MPT_CMD_GET_VERSION);

	if (!msg)
		return -ENOMEM;
	if (need_abi && nla_put_u32(msg, MPT_A_ABI, need_abi) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	memset(v, 0, sizeof(*v));
	return mpt_nl_transact(nl, msg, mpt_parse_version, v);
}

static int mpt_parse_stats(struct nlattr **tb, void *arg)
{
	struct mpt_nl_stats *st = arg;
	struct nlattr *nest[MPT_STATS_A_MAX + 1];
	int i;

	if (!tb[MPT_A_STATS] ||
	    nla_parse_nested(nest, MPT_STATS_A_MAX, tb[MPT_A_STATS], NULL))
		return -EBADMSG;
	for (i = MPT_STATS_A_PAD + 1; i <= MPT_STATS_A_MAX; i++) {
		if (!nest[i])
			continue;
		st->present[i] = true;
		st->value[i] = nla_len(nest[i]) == 4 ? nla_get_u32(nest[i]) :
						       nla_get_u64(nest[i]);
	}
	return 0;
}

int mpt_nl_get_stats(struct mpt_nl *nl, struct mpt_nl_stats *st)
{
	struct nl_msg *msg = mpt_nl_msg(nl, MPT_CMD_GET_STATS);

	if (!msg)
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	return mpt_nl_transact(nl, msg, mpt_parse_stats, st);
}

static const char *const event_names[] = {
	[MPT_EV_LOST] = "lost",
	[MPT_EV_FORK] = "fork",
	[MPT_EV_EXEC] = "exec",
	[MPT_EV_EXIT] = "exit",
	[MPT_EV_ZOMBIE] = "zombie",
	[MPT_EV_REAP] = "reap",
	[MPT_EV_ORPHAN] = "orphan",
	[MPT_EV_QUEUE_CREATE] = "queue-create",
	[MPT_EV_QUEUE_REMOVE] = "queue-remove",
	[MPT_EV_QUEUE_FULL] = "queue-full",
	[MPT_EV_QUEUE_EMPTY] = "queue-empty",
	[MPT_EV_QUEUE_CONSUMER_DIED] = "queue-consumer-died",
	[MPT_EV_QUEUE_PUT] = "queue-put",
	[MPT_EV_QUEUE_GET] = "queue-get",
	[MPT_EV_LOCK_CREATE] = "lock-create",
	[MPT_EV_LOCK_REMOVE] = "lock-remove",
	[MPT_EV_LOCK_CONTENDED] = "lock-contended",
	[MPT_EV_LOCK_OWNER_DIED] = "lock-owner-died",
	[MPT_EV_DEADLOCK] = "deadlock",
	[MPT_EV_LOCK_ACQUIRE] = "lock-acquire",
	[MPT_EV_LOCK_RELEASE] = "lock-release",
};

/* A growing array of processes. */
struct mpt_procs {
	struct mpt_proc *v;
	size_t n, room;
};

/* Room for at least @want more records. */
static int mpt_procs_reserve(struct mpt_procs *ps, size_t want)
{
	size_t room = ps->room ? ps->room : 256;
	struct mpt_proc *v;

	while (room - ps->n < want)
		room *= 2;
	if (room == ps->room)
		return 0;
	v = reallocarray(ps->v, room, sizeof(*v));
	if (!v)
		return -ENOMEM;
	ps->v = v;
	ps->room = room;
	return 0;
}

static struct mpt_proc *mpt_procs_add(struct mpt_procs *ps)
{
	if (mpt_procs_reserve(ps, 1))
		return NULL;
	memset(&ps->v[ps->n], 0, sizeof(ps->v[0]));
	return &ps->v[ps->n++];
}

static uint32_t attr_u32(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

static uint64_t attr_u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

static int mpt_parse_proc(struct nlattr **top, void *arg)
{
	struct nlattr *tb[MPT_PROC_A_MAX + 1];
	struct mpt_proc *p;

	if (!top[MPT_A_PROC] ||
	    nla_parse_nested(tb, MPT_PROC_A_MAX, top[MPT_A_PROC], NULL) ||
	    !tb[MPT_PROC_A_PID])
		return -EBADMSG;
	p = mpt_procs_add(arg);
	if (!p)
		return -ENOMEM;
	p->pid = nla_get_u32(tb[MPT_PROC_A_PID]);
	p->ppid = attr_u32(tb, MPT_PROC_A_PPID);
	p->orig_ppid = attr_u32(tb, MPT_PROC_A_ORIG_PPID);
	p->uid = attr_u32(tb, MPT_PROC_A_UID);
	p->flags = attr_u32(tb, MPT_PROC_A_FLAGS);
	p->threads = attr_u32(tb, MPT_PROC_A_THREADS);
	p->start_ns = attr_u64(tb, MPT_PROC_A_START_NS);
	p->exit_ns = attr_u64(tb, MPT_PROC_A_EXIT_NS);
	p->orphan_ns = attr_u64(tb, MPT_PROC_A_ORPHAN_NS);
	p->status = (int32_t)attr_u32(tb, MPT_PROC_A_STATUS);
	p->state = tb[MPT_PROC_A_STATE] ? nla_get_u8(tb[MPT_PROC_A_STATE]) : '?';
	p->why = tb[MPT_PROC_A_WHY] ? nla_get_u8(tb[MPT_PROC_A_WHY]) : 0;
	if (tb[MPT_PROC_A_COMM])
		nla_strlcpy(p->comm, tb[MPT_PROC_A_COMM], sizeof(p->comm));
	return 0;
}

int mpt_nl_get_procs(struct mpt_nl *nl, struct mpt_proc **procs, size_t *n)
{
	struct nl_msg *msg = mpt_nl_msg_flags(nl, MPT_CMD_GET_PROCS,
					      NLM_F_DUMP);
	struct mpt_procs ps = { 0 };
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = mpt_nl_transact(nl, msg, mpt_parse_proc, &ps);
	if (ret < 0) {
		free(ps.v);
		return ret;
	}
	*procs = ps.v;
	*n = ps.n;
	return 0;
}

int mpt_dev_get_procs(int fd, struct mpt_proc **procs, size_t *n)
{
	struct mpt_procs ps = { 0 };
	struct mpt_procs_req req = { .start = 1 };

	do {
		if (mpt_procs_reserve(&ps, 256)) {
			free(ps.v);
			return -ENOMEM;
		}
		req.buf = (uintptr_t)(ps.v + ps.n);
		req.count = ps.room - ps.n;
		if (req.count > MPT_PROCS_MAX)
			req.count = MPT_PROCS_MAX;
		if (ioctl(fd, MPT_IOC_PROCS, &req)) {
			free(ps.v);
			return -errno;
		}
		ps.n += req.count;
		req.start = req.next;
	} while (req.next);
	*procs = ps.v;
	*n = ps.n;
	return 0;
}

/* The queues of a GET_QUEUES dump, with their lists. */
struct mpt_queues_acc {
	struct mpt_queue_info *qs;
	size_t n, room;
	struct mpt_qwaiter *w;
	size_t nw, wroom;
	struct mpt_qconsumer *c;
	size_t nc, croom;
};

/* Room for one more element of @size in *@v (*@room of them). */
static int mpt_grow(void **v, size_t n, size_t *room, size_t size)
{
	void *nv;

	if (n < *room)
		return 0;
	nv = reallocarray(*v, *room ? *room * 2 : 16, size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*room = *room ? *room * 2 : 16;
	return 0;
}

static int mpt_parse_qlist(struct nlattr *a, struct mpt_queues_acc *acc,
			   struct mpt_queue_info *qi)
{
	struct nlattr *tb[MPT_QWAITER_A_MAX + MPT_QCONSUMER_A_MAX + 2];

	if (nla_type(a) == MPT_QUEUE_A_WAITER) {
		struct mpt_qwaiter *w;

		if (nla_parse_nested(tb, MPT_QWAITER_A_MAX, a, NULL) ||
		    mpt_grow((void **)&acc->w, acc->nw, &acc->wroom,
			     sizeof(*w)))
			return -EBADMSG;
		w = &acc->w[acc->nw++];
		memset(w, 0, sizeof(*w));
		w->pid = attr_u32(tb, MPT_QWAITER_A_PID);
		w->tid = attr_u32(tb, MPT_QWAITER_A_TID);
		w->what = attr_u32(tb, MPT_QWAITER_A_WHAT);
		w->since_ns = attr_u64(tb, MPT_QWAITER_A_SINCE_NS);
		qi->waiters_max++;
	} else if (nla_type(a) == MPT_QUEUE_A_CONSUMER) {
		struct mpt_qconsumer *c;

		if (nla_parse_nested(tb, MPT_QCONSUMER_A_MAX, a, NULL) ||
		    mpt_grow((void **)&acc->c, acc->nc, &acc->croom,
			     sizeof(*c)))
			return -EBADMSG;
		c = &acc->c[acc->nc++];
		memset(c, 0, sizeof(*c));
		c->pid = attr_u32(tb, MPT_QCONSUMER_A_PID);
		c->inflight = attr_u64(tb, MPT_QCONSUMER_A_INFLIGHT);
		qi->consumers_max++;
	}
	return 0;
}

static int mpt_parse_queue(struct nlattr **top, void *arg)
{
	struct mpt_queues_acc *acc = arg;
	struct nlattr *tb[MPT_QUEUE_A_MAX + 1], *a;
	struct mpt_queue_info *qi;
	int rem;

	if (!top[MPT_A_QUEUE] ||
	    nla_parse_nested(tb, MPT_QUEUE_A_MAX, top[MPT_A_QUEUE], NULL) ||
	    !tb[MPT_QUEUE_A_ID] ||
	    mpt_grow((void **)&acc->qs, acc->n, &acc->room, sizeof(*qi)))
		return -EBADMSG;
	qi = &acc->qs[acc->n++];
	memset(qi, 0, sizeof(*qi));
	qi->id = attr_u64(tb, MPT_QUEUE_A_ID);
	if (tb[MPT_QUEUE_A_NAME])
		nla_strlcpy(qi->name, tb[MPT_QUEUE_A_NAME], sizeof(qi->name));
	qi->capacity = attr_u32(tb, MPT_QUEUE_A_CAPACITY);
	qi->msgsize = attr_u32(tb, MPT_QUEUE_A_MSGSIZE);
	qi->flags = attr_u32(tb, MPT_QUEUE_A_FLAGS);
	qi->mode = attr_u32(tb, MPT_QUEUE_A_MODE);
	qi->uid = attr_u32(tb, MPT_QUEUE_A_UID);
	qi->gid = attr_u32(tb, MPT_QUEUE_A_GID);
	qi->depth = attr_u32(tb, MPT_QUEUE_A_DEPTH);
	qi->hwm = attr_u32(tb, MPT_QUEUE_A_HWM);
	qi->bytes = attr_u64(tb, MPT_QUEUE_A_BYTES);
	qi->puts = attr_u64(tb, MPT_QUEUE_A_PUTS);
	qi->gets = attr_u64(tb, MPT_QUEUE_A_GETS);
	qi->unfinished = attr_u64(tb, MPT_QUEUE_A_UNFINISHED);
	qi->loose = attr_u64(tb, MPT_QUEUE_A_LOOSE);
	qi->released = attr_u64(tb, MPT_QUEUE_A_RELEASED);
	qi->consumer_deaths = attr_u64(tb, MPT_QUEUE_A_CONSUMER_DEATHS);
	qi->full_waits = attr_u64(tb, MPT_QUEUE_A_FULL_WAITS);
	qi->empty_waits = attr_u64(tb, MPT_QUEUE_A_EMPTY_WAITS);
	qi->created_ns = attr_u64(tb, MPT_QUEUE_A_CREATED_NS);
	qi->openers = attr_u32(tb, MPT_QUEUE_A_OPENERS);
	qi->nput = attr_u32(tb, MPT_QUEUE_A_NPUT);
	qi->nget = attr_u32(tb, MPT_QUEUE_A_NGET);
	qi->njoin = attr_u32(tb, MPT_QUEUE_A_NJOIN);
	qi->nconsumers = attr_u32(tb, MPT_QUEUE_A_NCONSUMERS);
	qi->waiters = acc->nw;
	qi->consumers = acc->nc;
	nla_for_each_nested(a, top[MPT_A_QUEUE], rem)
		if (mpt_parse_qlist(a, acc, qi))
			return -EBADMSG;
	return 0;
}

int mpt_nl_get_queues(struct mpt_nl *nl, struct mpt_queue_info **qs,
		      size_t *n, struct mpt_qwaiter **waiters,
		      struct mpt_qconsumer **consumers)
{
	struct nl_msg *msg = mpt_nl_msg_flags(nl, MPT_CMD_GET_QUEUES,
					      NLM_F_DUMP);
	struct mpt_queues_acc acc = { 0 };
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = mpt_nl_transact(nl, msg, mpt_parse_queue, &acc);
	if (ret < 0) {
		free(acc.qs);
		free(acc.w);
		free(acc.c);
		return ret;
	}
	*qs = acc.qs;
	*n = acc.n;
	*waiters = acc.w;
	*consumers = acc.c;
	return 0;
}

const char *mpt_event_name(uint32_t type)
{
	if (type >= sizeof(event_names) / sizeof(event_names[0]))
		return NULL;
	return event_names[type];
}

const char *mpt_nl_class_group(uint32_t type)
{
	switch (type) {
	case MPT_EV_FORK:
	case MPT_EV_EXEC:
	case MPT_EV_EXIT:
		return MPT_MCGRP_PROCS;
	case MPT_EV_ZOMBIE:
	case MPT_EV_REAP:
	case MPT_EV_ORPHAN:
		return MPT_MCGRP_REAP;
	case MPT_EV_QUEUE_CREATE ... MPT_EV_QUEUE_GET:
		return MPT_MCGRP_QUEUES;
	case MPT_EV_LOCK_CREATE ... MPT_EV_LOCK_RELEASE:
		return MPT_MCGRP_LOCKS;
	}
	return NULL;
}

int mpt_nl_subscribe(struct mpt_nl *nl)
{
	int ret = mpt_nl_subscribe_types(nl, UINT32_MAX);

	return ret < 0 ? ret : 0;
}

/* The one class's group of @types, or NULL when they span more. */
static const char *types_group(uint32_t types)
{
	const char *group = NULL;

	for (uint32_t t = 0; t < 32; t++) {
		const char *g;

		if (!(types & (1u << t)) || t == MPT_EV_NONE || t == MPT_EV_LOST)
			continue;
		g = mpt_nl_class_group(t);
		if (!g || (group && strcmp(g, group)))
			return NULL;
		group = g;
	}
	return group;
}

int mpt_nl_subscribe_types(struct mpt_nl *nl, uint32_t types)
{
	const char *class = types_group(types);
	int grp = -1;
	int ret;

	if (class)
		grp = genl_ctrl_resolve_grp(nl->sk, MPT_GENL_NAME, class);
	if (grp < 0) {
		class = NULL;
		grp = genl_ctrl_resolve_grp(nl->sk, MPT_GENL_NAME,
					    MPT_MCGRP_EVENTS);
	}
	if (grp < 0)
		return -EPROTO;
	ret = nl_socket_add_membership(nl->sk, grp);
	if (ret < 0)
		return ret == -NLE_PERM ? -EPERM : -EIO;
	/* Events come unasked: no sequence numbers to match. */
	nl_socket_disable_seq_check(nl->sk);
	/*
	 * 4 MiB of room for bursts.  SO_RCVBUF is capped at
	 * net.core.rmem_max; a subscriber (CAP_SYS_ADMIN, so CAP_NET_ADMIN
	 * as a rule) may go past it with SO_RCVBUFFORCE.
	 */
	if (setsockopt(nl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVBUFFORCE,
		       &(int){ 4 << 20 }, sizeof(int)))
		nl_socket_set_buffer_size(nl->sk, 4 << 20, 0);
	return class != NULL;
}

struct mpt_events_ctx {
	struct mpt_nl *nl;
	mpt_event_cb cb;
	void *arg;
	int stop;
};

/* One MPT_EV_A_CYCLE nest of a DEADLOCK event: the next step. */
static void mpt_parse_step(struct nlattr *a, struct mpt_event_view *ev)
{
	struct nlattr *tb[MPT_CYCLE_A_MAX + 1];
	struct mpt_deadlock_entry *c;

	if (ev->ncycle >= MPT_DEADLOCK_MAX ||
	    nla_parse_nested(tb, MPT_CYCLE_A_MAX, a, NULL))
		return;
	c = &ev->cycle[ev->ncycle++];
	c->pid = attr_u32(tb, MPT_CYCLE_A_PID);
	c->tid = attr_u32(tb, MPT_CYCLE_A_TID);
	c->lock_id = attr_u64(tb, MPT_CYCLE_A_LOCK_ID);
	if (tb[MPT_CYCLE_A_NAME])
		nla_strlcpy(c->name, tb[MPT_CYCLE_A_NAME], sizeof(c->name));
}

/*
 * Where each attribute of an event lands in struct mpt_event_view: one
 * walk over the event's attributes fills it, without a table of them
 * and a lookup per field (an event listener runs this for every event,
 * and parsing was most of what it cost).  @size: of the field; @str: a
 * string, cut to @size.  An attribute shorter than its field is left
 * out, one not named here (newer than this library) is skipped.
 */
#define EV_FIELD(attr, field, is_str)					\
	[attr] = { offsetof(struct mpt_event_view, field),		\
		   sizeof(((struct mpt_event_view *)0)->field), is_str }

static const struct {
	uint16_t off;
	uint16_t size;
	bool str;
} ev_fields[MPT_EV_A_MAX + 1] = {
	EV_FIELD(MPT_EV_A_TYPE, type, false),
	EV_FIELD(MPT_EV_A_SEQ, seq, false),
	EV_FIELD(MPT_EV_A_TIME_NS, time_ns, false),
	EV_FIELD(MPT_EV_A_PID, pid, false),
	EV_FIELD(MPT_EV_A_TID, tid, false),
	EV_FIELD(MPT_EV_A_PPID, ppid, false),
	EV_FIELD(MPT_EV_A_UID, uid, false),
	EV_FIELD(MPT_EV_A_COMM, comm, true),
	EV_FIELD(MPT_EV_A_PARENT_PID, parent_pid, false),
	EV_FIELD(MPT_EV_A_PARENT_TID, parent_tid, false),
	EV_FIELD(MPT_EV_A_OLD_TID, old_tid, false),
	EV_FIELD(MPT_EV_A_EXEC_FLAGS, exec_flags, false),
	EV_FIELD(MPT_EV_A_FILENAME, filename, true),
	EV_FIELD(MPT_EV_A_STATUS, status, false),
	EV_FIELD(MPT_EV_A_FLAGS, flags, false),
	EV_FIELD(MPT_EV_A_REAPER_PID, reaper_pid, false),
	EV_FIELD(MPT_EV_A_REAP_HOW, how, false),
	EV_FIELD(MPT_EV_A_ZOMBIE_NS, zombie_ns, false),
	EV_FIELD(MPT_EV_A_OLD_PPID, old_ppid, false),
	EV_FIELD(MPT_EV_A_ORIG_PPID, orig_ppid, false),
	EV_FIELD(MPT_EV_A_INFO_FLAGS, info_flags, false),
	EV_FIELD(MPT_EV_A_OBJ_ID, obj_id, false),
	EV_FIELD(MPT_EV_A_OBJ_NAME, obj_name, true),
	EV_FIELD(MPT_EV_A_DEPTH, depth, false),
	EV_FIELD(MPT_EV_A_LEN, len, false),
	EV_FIELD(MPT_EV_A_COUNT, count, false),
	EV_FIELD(MPT_EV_A_OWNER_PID, owner_pid, false),
	EV_FIELD(MPT_EV_A_OWNER_TID, owner_tid, false),
	EV_FIELD(MPT_EV_A_NS, ns, false),
	EV_FIELD(MPT_EV_A_WAITERS, waiters, false),
	EV_FIELD(MPT_EV_A_GROUP_SEQ, group_seq, false),
};

/* The attributes of @event into @ev; false without a sequence number. */
static bool mpt_parse_event(struct nlattr *event, struct mpt_event_view *ev)
{
	bool have_seq = false;
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, event, rem) {
		int type = nla_type(a);
		char *field;

		if (type == MPT_EV_A_CYCLE) {
			mpt_parse_step(a, ev);
			continue;
		}
		if (type > MPT_EV_A_MAX || !ev_fields[type].size)
			continue;
		field = (char *)ev + ev_fields[type].off;
		if (ev_fields[type].str) {
			nla_strlcpy(field, a, ev_fields[type].size);
		} else if (nla_len(a) >= ev_fields[type].size) {
			memcpy(field, nla_data(a), ev_fields[type].size);
			have_seq |= type == MPT_EV_A_SEQ;
		}
	}
	return have_seq;
}

/* One message of the events group: to the callback, after any gap. */
static void mpt_event_msg(struct mpt_events_ctx *ctx, struct nlmsghdr *h)
{
	struct genlmsghdr *g = nlmsg_data(h);
	struct mpt_event_view ev = { 0 };
	struct nlattr *event;
	uint64_t last, now;

	if (h->nlmsg_type != ctx->nl->family || !genlmsg_valid_hdr(h, 0) ||
	    g->cmd != MPT_CMD_EVENT)
		return;
	event = nla_find(genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
			 MPT_A_EVENT);
	if (!event || !mpt_parse_event(event, &ev))
		return;

	/*
	 * On a class's group the events' own numbers skip the other
	 * classes': the group's number tells what was lost.
	 */
	last = ev.group_seq ? ctx->nl->last_group_seq : ctx->nl->last_seq;
	now = ev.group_seq ? ev.group_seq : ev.seq;
	if (last && now > last + 1) {
		struct mpt_event_view lost = {
			.type = MPT_EV_LOST,
			.seq = ctx->nl->last_seq + 1,
			.lost = now - last - 1,
		};

		ctx->stop = ctx->cb(&lost, ctx->arg);
		if (ctx->stop)
			return;
	}
	ctx->nl->last_seq = ev.seq;
	ctx->nl->last_group_seq = ev.group_seq;
	ctx->stop = ctx->cb(&ev, ctx->arg);
}

/*
 * What one call reads at most before it returns to its caller: datagrams
 * (an event each), and the room for one (the kernel sends at most 32 KiB
 * at once, a dump's part; an event is under 1 KiB).
 */
#define MPT_NL_BATCH	64
#define MPT_NL_RXBUF	32768

int mpt_nl_events(struct mpt_nl *nl, int timeout_ms, mpt_event_cb cb,
		  void *arg)
{
	struct mpt_events_ctx ctx = { .nl = nl, .cb = cb, .arg = arg };
	int fd = nl_socket_get_fd(nl->sk);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret, i;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret <= 0)
		return ret < 0 ? -errno : 0;
	if (!nl->rxbuf) {
		nl->rxbuf = malloc(MPT_NL_RXBUF);
		if (!nl->rxbuf)
			return -ENOMEM;
	}
	/*
	 * Every datagram waiting, without a poll() before each: recv(),
	 * then parsed where it landed (no copy into an nl_msg).  Any
	 * process may send to this socket's port: what the kernel did not
	 * send is dropped unread.
	 */
	for (i = 0; i < MPT_NL_BATCH; i++) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		ssize_t len = recvfrom(fd, nl->rxbuf, MPT_NL_RXBUF, MSG_DONTWAIT,
				       (struct sockaddr *)&from, &fromlen);
		int left;
		struct nlmsghdr *h;

		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			/*
			 * A receive buffer overrun loses events; the next one
			 * shows the gap, so reading simply goes on.
			 */
			if (errno == ENOBUFS)
				continue;
			return -errno;
		}
		if (fromlen != sizeof(from) || from.nl_pid)
			continue;
		left = (int)len;
		for (h = nl->rxbuf; nlmsg_ok(h, left); h = nlmsg_next(h, &left)) {
			mpt_event_msg(&ctx, h);
			if (ctx.stop)
				return ctx.stop;
		}
	}
	return 0;
}

int mpt_dev_subscribe(int fd, uint32_t slots)
{
	struct mpt_ring_conf conf = { .slots = slots };

	return ioctl(fd, MPT_IOC_RING_SET, &conf) ? -errno : 0;
}

const char *mpt_ring_strerror(int err)
{
	switch (-err) {
	case ENOSPC:
		return "no room for the event ring: all readers' ring_mem_max, or this user's share ring_mem_user_max, is taken (see mptrace stat); close other readers, or load the module with larger limits";
	case EMFILE:
		return "this user has readers_user_max files of it receiving events already (see mptrace stat); close one, or load the module with a larger readers_user_max";
	default:
		return mpt_strerror(err);
	}
}

int mpt_dev_filter(int fd, uint32_t types, uint32_t flags, uint32_t pid)
{
	struct mpt_filter f = { .types = types, .flags = flags, .pid = pid };

	return ioctl(fd, MPT_IOC_FILTER_SET, &f) ? -errno : 0;
}

static void view_from_record(const void *rec, struct mpt_event_view *v)
{
	const struct mpt_event_hdr *h = rec;
	const struct mpt_event_fork *f = rec;
	const struct mpt_event_exec *x = rec;
	const struct mpt_event_exit *e = rec;
	const struct mpt_event_zombie *z = rec;
	const struct mpt_event_reap *r = rec;
	const struct mpt_event_orphan *o = rec;
	const struct mpt_event_lost *l = rec;
	const struct mpt_event_queue *q = rec;
	const struct mpt_event_lock *k = rec;
	const struct mpt_event_deadlock *d = rec;
	uint32_t i;

	memset(v, 0, sizeof(*v));
	v->type = h->type;
	v->flags = h->flags;
	v->seq = h->seq;
	v->time_ns = h->time_ns;
	if (h->type == MPT_EV_LOST) {
		v->lost = l->count;
		return;
	}
	/* Every process event starts with struct mpt_task after the header. */
	v->pid = f->task.pid;
	v->tid = f->task.tid;
	v->ppid = f->task.ppid;
	v->uid = f->task.uid;
	memcpy(v->comm, f->task.comm, sizeof(v->comm));
	v->comm[sizeof(v->comm) - 1] = '\0';
	if (h->type == MPT_EV_FORK) {
		v->parent_pid = f->parent_pid;
		v->parent_tid = f->parent_tid;
	} else if (h->type == MPT_EV_EXEC) {
		v->old_tid = x->old_tid;
		v->exec_flags = x->flags;
		memcpy(v->filename, x->filename, sizeof(v->filename));
		v->filename[sizeof(v->filename) - 1] = '\0';
	} else if (h->type == MPT_EV_EXIT) {
		v->status = e->status;
	} else if (h->type == MPT_EV_ZOMBIE) {
		v->status = z->status;
	} else if (h->type == MPT_EV_REAP) {
		v->status = r->status;
		v->reaper_pid = r->reaper_pid;
		v->how = r->how;
		v->info_flags = r->flags;
		v->zombie_ns = r->zombie_ns;
	} else if (h->type == MPT_EV_ORPHAN) {
		v->old_ppid = o->old_ppid;
		v->orig_ppid = o->orig_ppid;
		v->info_flags = o->flags;
	} else if (h->type >= MPT_EV_QUEUE_CREATE &&
		   h->type <= MPT_EV_QUEUE_GET) {
		v->obj_id = q->queue_id;
		v->depth = q->depth;
		v->len = q->len;
		v->count = q->count;
		memcpy(v->obj_name, q->name, sizeof(v->obj_name));
		v->obj_name[sizeof(v->obj_name) - 1] = '\0';
	} else if (h->type == MPT_EV_DEADLOCK) {
		v->count = d->len;
		v->info_flags = d->flags;
		for (i = 0; i < d->len && i < MPT_DEADLOCK_MAX; i++) {
			v->cycle[i] = d->cycle[i];
			v->cycle[i].name[MPT_SHORT_NAME_LEN - 1] = '\0';
		}
		v->ncycle = i;
	} else if (h->type >= MPT_EV_LOCK_CREATE &&
		   h->type <= MPT_EV_LOCK_RELEASE) {
		v->obj_id = k->lock_id;
		v->owner_pid = k->owner_pid;
		v->owner_tid = k->owner_tid;
		v->ns = k->ns;
		v->count = k->count;
		v->waiters = k->waiters;
		memcpy(v->obj_name, k->name, sizeof(v->obj_name));
		v->obj_name[sizeof(v->obj_name) - 1] = '\0';
	}
}

int mpt_dev_events(int fd, int timeout_ms, mpt_event_cb cb, void *arg)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[64 * MPT_EVENT_MAX_SIZE];
	struct mpt_event_view v;
	ssize_t n, off;
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret <= 0)
		return ret < 0 ? -errno : 0;
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	for (off = 0; off + (ssize_t)sizeof(struct mpt_event_hdr) <= n;) {
		const struct mpt_event_hdr *h = (const void *)(buf + off);

		if (h->size < sizeof(*h) || off + h->size > n)
			return -EBADMSG;
		view_from_record(h, &v);
		off += h->size;
		ret = cb(&v, arg);
		if (ret)
			return ret;
	}
	return 0;
}

const char *mpt_strerror(int err)
{
	switch (-err) {
	case MPT_ENOMODULE:
		return "module not loaded: run insmod kmod/mptrace.ko (or modprobe mptrace)";
	case MPT_ENODEV:
		return "module loaded but " MPT_DEVICE_PATH " is missing: mount devtmpfs or check udev";
	case EACCES:
	case EPERM:
		return "permission denied";
	case EPROTO:
		return "the module does not speak this CLI's protocol: load the matching mptrace.ko";
	case EBADMSG:
		return "malformed reply from the module";
	default:
		return strerror(-err);
	}
}
