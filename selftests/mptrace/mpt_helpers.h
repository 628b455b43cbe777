/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the mptrace selftests.  Netlink is spoken raw here, not
 * through libmptrace, so that the tests do not trust the code they test
 * and can build messages no well-behaved library would send.
 */
#ifndef MPT_HELPERS_H
#define MPT_HELPERS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/mptrace.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/*
 * The harness gives a test 30 s before it kills it as hung.  That is for
 * a release kernel on hardware: the debug kernel (KASAN, lockdep,
 * kmemleak) under TCG runs these tests about ten times slower, a shared CI
 * host slower still, and tests that take 3 s on 6.12 took 30 there.  The
 * timeout guards against a hang, it measures nothing: 120 s, and the
 * heaviest tests set their own with TEST_F_TIMEOUT().
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 120
#endif

/* A record read from /dev/mptrace, as any of its kinds. */
union mpt_rec {
	struct mpt_event_hdr hdr;
	struct mpt_event_lost lost;
	struct mpt_event_fork fork;
	struct mpt_event_exec exec;
	struct mpt_event_exit exit;
	struct mpt_event_zombie zombie;
	struct mpt_event_reap reap;
	struct mpt_event_orphan orphan;
	char bytes[MPT_EVENT_MAX_SIZE];
};

/*
 * A reader that must stay idle while the rest of the system forks and
 * execs: a filter on this process's execs (it makes none meanwhile).
 */
static inline int mpt_quiet(int fd)
{
	struct mpt_filter f = {
		.types = 1U << MPT_EV_EXEC,
		.pid = (__u32)getpid(),
	};

	return ioctl(fd, MPT_IOC_FILTER_SET, &f);
}

/* Read a small sysfs/proc file into @buf, trailing newline removed. */
static inline int mpt_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static inline bool mpt_loaded(void)
{
	struct stat st;

	return stat("/sys/module/mptrace", &st) == 0;
}

/* The module file: $MPTRACE_KO (set by the test VM), else none. */
static inline const char *mpt_ko_path(void)
{
	const char *ko = getenv("MPTRACE_KO");
	struct stat st;

	return ko && stat(ko, &st) == 0 ? ko : NULL;
}

static inline int mpt_unload(void)
{
	if (syscall(__NR_delete_module, "mptrace", O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* Load mptrace.ko with module parameters @params ("" for none). */
static inline int mpt_load_with(const char *params)
{
	const char *ko = mpt_ko_path();
	int fd, ret = 0;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(__NR_finit_module, fd, params, 0) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static inline int mpt_load(void)
{
	return mpt_load_with("");
}

/*
 * Run @fn(@arg) in a child process as uid/gid 65534 (nobody) and return
 * its result, the child's exit status: 0 for success, another small
 * number for the step that failed; -1 if the child could not run.
 */
static inline int mpt_as_nobody(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* A generic netlink request under construction. */
struct mpt_nlmsg {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[1024];
};

static inline void mpt_nlmsg_init(struct mpt_nlmsg *m, uint16_t type,
				  uint8_t cmd, uint16_t flags)
{
	memset(m, 0, sizeof(*m));
	m->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->n.nlmsg_type = type;
	m->n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	m->g.cmd = cmd;
	m->g.version = 1;
}

/* Append an attribute whose header claims @hdr_len payload bytes. */
static inline void mpt_nlmsg_put_raw(struct mpt_nlmsg *m, uint16_t type,
				     const void *data, size_t len,
				     size_t hdr_len)
{
	struct nlattr *a = (struct nlattr *)((char *)m + NLMSG_ALIGN(m->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + hdr_len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->n.nlmsg_len = NLMSG_ALIGN(m->n.nlmsg_len) + NLA_ALIGN(NLA_HDRLEN + len);
}

static inline void mpt_nlmsg_put(struct mpt_nlmsg *m, uint16_t type,
				 const void *data, size_t len)
{
	mpt_nlmsg_put_raw(m, type, data, len, len);
}

static inline int mpt_nl_socket(void)
{
	int one = 1;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return fd;
}

/* Find attribute @type among the attributes in [@p, @p + @len). */
static inline struct nlattr *mpt_nla_find(void *p, int len, int type)
{
	struct nlattr *a = p;

	while (len >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return NULL;
}

#define MPT_NLA_DATA(a) ((void *)((char *)(a) + NLA_HDRLEN))

/*
 * Send @m and collect the answer.  The first data reply (if any) lands in
 * @reply; returns the request's result: 0 or the kernel's negative errno.
 * @extack receives the extended ACK message, "" when there is none.
 */
static inline int mpt_nl_transact(int fd, struct mpt_nlmsg *m,
				  void *reply, size_t reply_len,
				  char *extack, size_t extack_len)
{
	static uint32_t seq = 1000;
	char buf[8192];
	bool have_reply = false;

	if (extack)
		extack[0] = '\0';
	m->n.nlmsg_seq = ++seq;
	if (send(fd, m, m->n.nlmsg_len, 0) < 0)
		return -errno;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != m->n.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				size_t off = sizeof(*e);
				struct nlattr *msg;

				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - NLMSG_HDRLEN;
				if (extack && (h->nlmsg_flags & NLM_F_ACK_TLVS) &&
				    NLMSG_HDRLEN + off < h->nlmsg_len) {
					msg = mpt_nla_find((char *)e + off,
							   h->nlmsg_len - NLMSG_HDRLEN - off,
							   NLMSGERR_ATTR_MSG);
					if (msg)
						snprintf(extack, extack_len, "%s",
							 (char *)MPT_NLA_DATA(msg));
				}
				return e->error;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (!have_reply && reply) {
				memcpy(reply, h, h->nlmsg_len < reply_len ?
				       h->nlmsg_len : reply_len);
				have_reply = true;
			}
		}
	}
}

/* The attributes of a generic netlink reply in @reply. */
#define MPT_GENL_ATTRS(reply) \
	((char *)NLMSG_DATA(reply) + GENL_HDRLEN)
#define MPT_GENL_ATTRLEN(reply) \
	((int)((struct nlmsghdr *)(reply))->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN)

/* Resolve a generic netlink family through the controller, raw. */
static inline int mpt_genl_family(int fd, const char *name,
				  const char *mcgrp, uint32_t *mcgrp_id)
{
	struct mpt_nlmsg m;
	char reply[8192];
	struct nlattr *a, *grps, *g;
	int ret, len;

	mpt_nlmsg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	mpt_nlmsg_put(&m, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	ret = mpt_nl_transact(fd, &m, reply, sizeof(reply), NULL, 0);
	if (ret)
		return ret;
	len = MPT_GENL_ATTRLEN(reply);
	a = mpt_nla_find(MPT_GENL_ATTRS(reply), len, CTRL_ATTR_FAMILY_ID);
	if (!a)
		return -EBADMSG;
	ret = *(uint16_t *)MPT_NLA_DATA(a);
	if (!mcgrp)
		return ret;

	grps = mpt_nla_find(MPT_GENL_ATTRS(reply), len, CTRL_ATTR_MCAST_GROUPS);
	if (!grps)
		return -ENOENT;
	for (g = MPT_NLA_DATA(grps);
	     (char *)g < (char *)grps + grps->nla_len;
	     g = (struct nlattr *)((char *)g + NLA_ALIGN(g->nla_len))) {
		int glen = g->nla_len - NLA_HDRLEN;
		struct nlattr *gname = mpt_nla_find(MPT_NLA_DATA(g), glen,
						    CTRL_ATTR_MCAST_GRP_NAME);
		struct nlattr *gid = mpt_nla_find(MPT_NLA_DATA(g), glen,
						  CTRL_ATTR_MCAST_GRP_ID);

		if (gname && gid && !strcmp(MPT_NLA_DATA(gname), mcgrp)) {
			*mcgrp_id = *(uint32_t *)MPT_NLA_DATA(gid);
			return ret;
		}
	}
	return -ENOENT;
}

/* One counter of MPT_CMD_GET_STATS, or a negative errno. */
static inline int64_t mpt_stat(int fd, int family, int counter)
{
	struct mpt_nlmsg m;
	char reply[4096];
	struct nlattr *nest, *a;
	int ret;

	mpt_nlmsg_init(&m, family, MPT_CMD_GET_STATS, 0);
	ret = mpt_nl_transact(fd, &m, reply, sizeof(reply), NULL, 0);
	if (ret)
		return ret;
	nest = mpt_nla_find(MPT_GENL_ATTRS(reply), MPT_GENL_ATTRLEN(reply),
			    MPT_A_STATS);
	if (!nest)
		return -EBADMSG;
	a = mpt_nla_find(MPT_NLA_DATA(nest), nest->nla_len - NLA_HDRLEN,
			 counter);
	if (!a)
		return -ENOENT;
	if (a->nla_len - NLA_HDRLEN == sizeof(uint32_t))
		return *(uint32_t *)MPT_NLA_DATA(a);
	return *(int64_t *)MPT_NLA_DATA(a);
}

/* One counter, on a socket of its own: for tests that hold none. */
static inline int64_t mpt_stat_now(int counter)
{
	int fd = mpt_nl_socket();
	int64_t v = -1;
	int family;

	if (fd < 0)
		return fd;
	family = mpt_genl_family(fd, MPT_GENL_NAME, NULL, NULL);
	if (family > 0)
		v = mpt_stat(fd, family, counter);
	close(fd);
	return v;
}

/*
 * The rings of closed /dev readers are freed a grace period after their
 * close: RING_BYTES_CLOSING once it has come down to 0 (within 10 s),
 * else what it still was.
 */
static inline int64_t mpt_ring_closing_settled(void)
{
	int64_t v = -1;

	for (int i = 0; i < 1000; i++) {
		v = mpt_stat_now(MPT_STATS_A_RING_BYTES_CLOSING);
		if (v <= 0)
			break;
		usleep(10 * 1000);
	}
	return v;
}

/* The PPid line of /proc/@pid/status (the truth about parents), or -1. */
static inline int mpt_proc_ppid(pid_t pid)
{
	char path[64], buf[2048];
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (mpt_read_file(path, buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "\nPPid:");
	return p ? atoi(p + 7) : -1;
}

/*
 * Field @field (1-based, as proc(5) numbers them: 3 is the state) of
 * /proc/@pid/stat into @out; 0, or -1 when there is no such process.
 */
static inline int mpt_proc_stat(pid_t pid, int field, char *out, size_t len)
{
	char path[64], buf[1024], *p;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (mpt_read_file(path, buf, sizeof(buf)))
		return -1;
	p = strrchr(buf, ')');		/* after the comm, whatever it holds */
	if (!p)
		return -1;
	for (int f = 2; f < field; f++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -1;
	}
	n = strcspn(++p, " \n");
	snprintf(out, len, "%.*s", (int)n, p);
	return 0;
}

/* The state letter of @pid ('R', 'S', 'Z'...), or 0 when it is gone. */
static inline char mpt_proc_state(pid_t pid)
{
	char s[8];

	return mpt_proc_stat(pid, 3, s, sizeof(s)) ? 0 : s[0];
}

/* Until /proc says @pid is in state @want ('S', 'Z'...), or 5 s. */
static inline bool mpt_await_state(pid_t pid, char want)
{
	for (int i = 0; i < 500; i++) {
		if (mpt_proc_state(pid) == want)
			return true;
		usleep(10000);
	}
	return false;
}

/* Until @pid's parent is no longer @ppid, by /proc (or 5 s): the parent. */
static inline int mpt_await_reparent(pid_t pid, pid_t ppid)
{
	int now = -1;

	for (int i = 0; i < 500; i++) {
		now = mpt_proc_ppid(pid);
		if (now != ppid)
			break;
		usleep(10000);
	}
	return now;
}

/* The pids /proc lists now, into @pids (at most @max): how many. */
static inline size_t mpt_proc_pids(pid_t *pids, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d)) && n < max)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			pids[n++] = atoi(e->d_name);
	if (d)
		closedir(d);
	return n;
}

/*
 * The whole process table through MPT_IOC_PROCS on @fd, @count records
 * a call, into @v (room for @max): 0 and *@n, or -ENOSPC, -E2BIG (a call
 * answered more than asked) or the ioctl's -errno.
 */
static inline int mpt_procs(int fd, struct mpt_proc *v, size_t max,
			    size_t *n, __u32 count)
{
	struct mpt_procs_req req = { .start = 1 };

	*n = 0;
	do {
		if (*n + count > max)
			return -ENOSPC;
		req.buf = (uintptr_t)(v + *n);
		req.count = count;
		if (ioctl(fd, MPT_IOC_PROCS, &req))
			return -errno;
		if (req.count > count)
			return -E2BIG;
		*n += req.count;
		req.start = req.next;
	} while (req.next);
	return 0;
}

/* The record of @pid among @v[@n], or NULL. */
static inline const struct mpt_proc *mpt_proc_lookup(const struct mpt_proc *v,
						     size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].pid == (__u32)pid)
			return &v[i];
	return NULL;
}

/* CLOCK_BOOTTIME in ns: the clock of the module's times. */
static inline __u64 mpt_boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Processes and threads made since boot: "processes" of /proc/stat. */
static inline long long mpt_forks_total(void)
{
	FILE *f = fopen("/proc/stat", "r");
	long long n = -1;
	char *line = NULL;
	size_t len = 0;

	while (f && n < 0 && getline(&line, &len, f) > 0)
		if (!strncmp(line, "processes ", 10))
			n = atoll(line + 10);
	free(line);
	if (f)
		fclose(f);
	return n;
}

/*
 * fork() with a go pipe.  In the child (0 returned) *@go is the pipe's
 * read end, to wait on with mpt_wait_go(); in the parent (the child's
 * pid) its write end, to let the child go with a byte or by closing it.
 * -1 when the pipe or the fork fails.
 */
static inline pid_t mpt_fork_go(int *go)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		*go = p[0];
		return 0;
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return -1;
	}
	*go = p[1];
	return pid;
}

/* In a child of mpt_fork_go(): wait; true if a byte came, not EOF. */
static inline bool mpt_wait_go(int go)
{
	char c;

	return read(go, &c, 1) == 1;
}

#endif /* MPT_HELPERS_H */
