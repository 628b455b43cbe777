// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmptrace: /dev/mptrace and the "mptrace" generic netlink family.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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

static struct nl_msg *mpt_nl_msg(struct mpt_nl *nl, uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				0, cmd, MPT_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
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
