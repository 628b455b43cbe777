// SPDX-License-Identifier: GPL-2.0
/*
 * mpt_fuzz - throw random and mutated requests at mptrace.ko.
 *
 *	mpt_fuzz [-s SEED] [-d SECONDS] [-p PROCS] [-v]
 *
 * PROCS workers (default 4), each seeded from SEED, run for SECONDS
 * (default 10) and pick, at random:
 *   - an ioctl on /dev/mptrace: known numbers, mutated numbers (a flipped
 *     bit of direction, size, type or number) and fully random ones, with
 *     argument pointers that are NULL, unmapped, kernel addresses,
 *     read-only, unaligned, straddling the end of a mapping, or valid
 *     buffers of random bytes;
 *   - a file operation on it: read of any length, poll, lseek, write,
 *     mmap, dup and close, reopen;
 *   - a generic netlink message to the mptrace family: random commands,
 *     flags and reserved header bits; missing, duplicate, oversized,
 *     truncated, nested and unknown attributes; or a valid request with
 *     random bytes mutated;
 * while one more process keeps forking children that use the device and
 * exit or are SIGKILLed mid-request.
 *
 * The fuzzer only judges liveness: at the end the module must still
 * answer the version ioctl and the stats command.  The test VM judges
 * the rest (warnings, KASAN, lockdep, leaks).  A run is reproducible from
 * its seed as far as scheduling allows.  Exit 0 when the module survived.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mpt_helpers.h"

static uint64_t rng;
static long page;
static char *rw_buf;		/* two writable pages (and room behind) */
static char *ro_page;		/* one read-only page */
static char *edge;		/* the last bytes before an unmapped page */
static char *hole;		/* an unmapped page */
static int family;

struct counts {
	unsigned long ioctls, fileops, nlmsgs, forks;
	unsigned long qopens, qok;	/* queues opened, queue ioctls that worked */
	unsigned long lopens, lok;	/* the same for locks */
};

static uint64_t rnd(void)
{
	/* xorshift64*: small, fast, reproducible from the seed */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned int below(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static void fill_random(void *p, size_t len)
{
	unsigned char *c = p;

	while (len--)
		*c++ = rnd();
}

static void setup_memory(void)
{
	char *two;

	page = sysconf(_SC_PAGESIZE);
	/*
	 * Two pages to fill, and room behind them for what the kernel may
	 * write there: a read of up to two pages at up to one page in.
	 * Then a guard page, so that nothing of the fuzzer's own (its TLS,
	 * its stack guard) is ever in reach.
	 */
	rw_buf = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rw_buf != MAP_FAILED)
		mprotect(rw_buf + 3 * page, page, PROT_NONE);
	ro_page = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rw_buf == MAP_FAILED || ro_page == MAP_FAILED ||
	    two == MAP_FAILED || hole == MAP_FAILED) {
		perror("mpt_fuzz: mmap");
		exit(1);
	}
	munmap(two + page, page);
	munmap(hole, page);
	edge = two + page;
}

/* A queue to open, valid or nearly. */
static unsigned long queue_open_arg(void)
{
	struct mpt_queue_open *qo = (void *)rw_buf;

	memset(qo, 0, sizeof(*qo));
	snprintf(qo->name, sizeof(qo->name), "fz%u", below(4));
	if (below(8) == 0)
		fill_random(qo->name, sizeof(qo->name));
	qo->flags = below(2) ? MPT_QOPEN_CREATE | MPT_QOPEN_READ |
			       MPT_QOPEN_WRITE | (rnd() & MPT_QOPEN_NONBLOCK) :
		    below(2) ? rnd() & MPT_QOPEN_ALL_FLAGS : rnd();
	qo->flags |= MPT_QOPEN_CLOEXEC;
	qo->mode = below(4) ? rnd() & 0777 : rnd();
	qo->capacity = below(4) ? below(64) : rnd();
	qo->msgsize = below(4) ? below(8192) : rnd();
	qo->qflags = below(4) ? rnd() & (MPT_QUEUE_TRACE | MPT_QUEUE_FAST) :
		     rnd();
	return (unsigned long)qo;
}

/* A lock to open, valid or nearly. */
static unsigned long lock_open_arg(void)
{
	struct mpt_lock_open *lo = (void *)rw_buf;

	memset(lo, 0, sizeof(*lo));
	snprintf(lo->name, sizeof(lo->name), "fl%u", below(3));
	if (below(8) == 0)
		fill_random(lo->name, sizeof(lo->name));
	lo->flags = below(2) ? MPT_QOPEN_CREATE | MPT_QOPEN_READ |
			       MPT_QOPEN_WRITE : rnd() & MPT_QOPEN_ALL_FLAGS;
	lo->flags |= MPT_QOPEN_CLOEXEC;
	lo->mode = below(4) ? rnd() & 0777 : rnd();
	lo->kind = below(4) ? 1 + below(2) : rnd();
	lo->lflags = below(4) ? rnd() & MPT_LOCK_TRACE : rnd();
	return (unsigned long)lo;
}

/* An acquire: mostly a try or a short wait, so that workers go on. */
static unsigned long lock_acq_arg(void)
{
	struct mpt_lock_acq *a = (void *)rw_buf;

	memset(a, 0, sizeof(*a));
	a->flags = below(2) ? MPT_LOCK_TRY : MPT_LOCK_TIMEOUT;
	a->deadline_ns = now_ns() + below(20000000);
	if (below(8) == 0)
		fill_random(a, sizeof(*a));
	return (unsigned long)a;
}

/* A message to put, or room to get one into. */
static unsigned long qmsg_arg(void)
{
	struct mpt_qmsg *m = (void *)rw_buf;

	memset(m, 0, sizeof(*m));
	m->buf = below(3) ? (unsigned long)rw_buf + page :
		 below(2) ? (unsigned long)edge - below(200) :
		 (unsigned long)hole;
	m->len = below(4) ? below(page) : rnd();
	m->flags = below(4) ? MPT_QMSG_TIMEOUT | (rnd() & MPT_QMSG_NOWAIT) |
			      (below(2) ? 0 : MPT_QMSG_DETACHED) : rnd();
	m->deadline_ns = below(4) ? now_ns() + below(20000000) : rnd();
	return (unsigned long)m;
}

/* An ioctl argument: mostly hostile. */
static unsigned long pick_arg(void)
{
	switch (below(18)) {
	case 0:
		return 0;
	case 13:
		return queue_open_arg();
	case 14:
	case 15:
		return qmsg_arg();
	case 16: {		/* task_done or join */
		struct mpt_qwait *w = (void *)rw_buf;

		w->count = below(4) ? below(3) : rnd();
		w->flags = below(4) ? MPT_QMSG_TIMEOUT : rnd();
		w->deadline_ns = now_ns() + below(20000000);
		return (unsigned long)w;
	}
	case 17: {		/* a queue's info, or the list */
		struct mpt_queue_info *qi = (void *)rw_buf;

		memset(qi, 0, sizeof(*qi));
		snprintf(qi->name, sizeof(qi->name), "fz%u", below(4));
		qi->waiters = below(2) ? (unsigned long)rw_buf + page :
			      (unsigned long)hole;
		qi->waiters_max = below(4) ? below(8) : rnd();
		qi->consumers = below(2) ? (unsigned long)edge - 16 : rnd();
		qi->consumers_max = below(4) ? below(8) : rnd();
		if (below(2)) {
			struct mpt_queues_req *r = (void *)rw_buf;

			r->buf = (unsigned long)rw_buf + page;
			r->count = below(4) ? below(4) : rnd();
			r->start = below(3);
			r->next = below(4) ? 0 : rnd();
		}
		return (unsigned long)qi;
	}
	case 10: {		/* a process listing, valid or nearly */
		struct mpt_procs_req *req = (void *)rw_buf;

		memset(req, 0, sizeof(*req));
		/* What fits in rw_buf's second page, or refused outright. */
		req->count = below(4) ? below(page / sizeof(struct mpt_proc)) :
			     MPT_PROCS_MAX + 1 + below(1000);
		req->start = below(2) ? below(400) : rnd();
		req->buf = below(3) ? (unsigned long)rw_buf + page :
			   below(2) ? (unsigned long)edge - below(200) :
			   0xffffffff81000000UL;
		if (below(6) == 0)
			req->reserved = rnd();
		return (unsigned long)req;
	}
	case 1:
		return (unsigned long)hole + below(page);
	case 2:
		return 0xffffffff81000000UL + below(1 << 20);
	case 3:
		return 0xffff888000000000UL + (rnd() & 0xffffff);
	case 4:
		return (unsigned long)ro_page + below(page);
	case 5:
		return (unsigned long)edge - 1 - below(64);
	case 6:
		return rnd();
	case 7:
		return (unsigned long)-1 - below(4096);
	case 9: {		/* a filter, valid or nearly */
		struct mpt_filter *f = (void *)rw_buf;

		memset(f, 0, sizeof(*f));
		f->types = below(2) ? rnd() & (0xff << 2) : rnd();
		f->flags = below(2) ? rnd() & MPT_FILTER_ALL_FLAGS : rnd();
		f->pid = below(2) ? getpid() - below(3) : below(4) ? 1 : rnd();
		return (unsigned long)f;
	}
	case 8: {		/* a ring size, valid or nearly */
		struct mpt_ring_conf *conf = (void *)rw_buf;

		memset(conf, 0, sizeof(*conf));
		conf->slots = below(4) ? 1u << below(18) : rnd();
		if (below(4) == 0)
			conf->flags = rnd();
		return (unsigned long)conf;
	}
	default:
		fill_random(rw_buf, 2 * page);
		return (unsigned long)rw_buf + below(page);
	}
}

static unsigned long pick_cmd(void)
{
	static const unsigned long known[] = {
		MPT_IOC_VERSION, MPT_IOC_RING_SET, MPT_IOC_RING_GET,
		MPT_IOC_FILTER_SET, MPT_IOC_PROCS, MPT_IOC_QUEUE_OPEN,
		MPT_IOC_QUEUE_UNLINK, MPT_IOC_QUEUE_INFO, MPT_IOC_QUEUES,
		MPT_QIOC_PUT, MPT_QIOC_GET, MPT_QIOC_TASK_DONE, MPT_QIOC_JOIN,
		MPT_QIOC_INFO, MPT_IOC_LOCK_OPEN, MPT_IOC_LOCK_UNLINK,
		MPT_IOC_LOCK_INFO, MPT_IOC_LOCKS, MPT_LIOC_INFO,
		MPT_LIOC_RELEASE, MPT_LIOC_ACQUIRE, MPT_QIOC_ATTACH,
		MPT_QIOC_WAIT, MPT_QIOC_WAKE,
	};
	unsigned long cmd = known[below(sizeof(known) / sizeof(known[0]))];

	switch (below(5)) {
	case 0:
		return cmd;
	case 1:			/* one flipped bit */
		return cmd ^ (1UL << below(32));
	case 2:			/* our magic, any number, direction, size */
		return _IOC(below(4), MPT_IOC_MAGIC, below(256), below(1 << 14));
	case 3:			/* our magic, small numbers, known sizes */
		return _IOC(below(4), MPT_IOC_MAGIC, below(16),
			    (below(2) ? sizeof(struct mpt_version) :
			     sizeof(struct mpt_procs_req)) + below(9) - 4);
	default:
		return (uint32_t)rnd();
	}
}

static void fuzz_ioctl(int fd, struct counts *c)
{
	ioctl(fd, pick_cmd(), pick_arg());
	c->ioctls++;
}

static void fuzz_fileop(int *fd, struct counts *c);

/*
 * A fast queue's ring, scribbled on: a few of its words (the header's,
 * an entry's, a slot's) made random, then the kernel asked to put, get,
 * wait or attach on it.  The kernel reads the ring as untrusted: the
 * queue may break for its users, the kernel may not.
 */
static void fuzz_ring(int qfd, struct counts *c)
{
	struct mpt_qfwait w = { 0 };
	struct mpt_queue_info qi = { 0 };
	struct mpt_qattach qa;
	size_t slot, len;
	unsigned int i, n;
	__u64 *words;

	if (ioctl(qfd, MPT_QIOC_INFO, &qi) || !(qi.flags & MPT_QUEUE_FAST))
		return;
	slot = sizeof(struct mpt_qslot) + (qi.msgsize + 7) / 8 * 8;
	len = (2 * page + qi.capacity * slot + page - 1) / page * page;
	words = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, qfd, 0);
	if (words == MAP_FAILED)
		return;
	n = below(4);
	for (i = 0; i < n; i++) {
		size_t at = below(3) ? below(32) :
			    below(2) ? (page + below(MPT_QRING_ENTRIES * 16)) / 8 :
			    below(len / 8);
		words[at] = below(2) ? rnd() : (__u64)rnd() << 32 | rnd();
	}
	switch (below(4)) {
	case 0:
		ioctl(qfd, below(2) ? MPT_QIOC_PUT : MPT_QIOC_GET, qmsg_arg());
		break;
	case 1:
		w.pos = below(2) ? below(64) : (__u64)rnd() << 32 | rnd();
		w.state = below(2) ? 0 : (__u64)rnd() << 32 | rnd();
		w.what = below(3);
		w.flags = below(4) ? MPT_QMSG_NOWAIT : rnd() & 0xf;
		ioctl(qfd, MPT_QIOC_WAIT, &w);
		break;
	case 2:
		ioctl(qfd, MPT_QIOC_WAKE, below(4));
		break;
	default:
		ioctl(qfd, MPT_QIOC_ATTACH, &qa);
		break;
	}
	c->ioctls++;
	munmap(words, len);
}

/*
 * A lock's descriptor: open one (of three names), then try, wait
 * briefly, release, inspect; sometimes remove a name.  Locks held when
 * the worker ends are released by its exit.
 */
static void fuzz_lock(int dev, int *lfd, struct counts *c)
{
	struct mpt_name n = { 0 };
	int fd;

	c->ioctls++;
	if (*lfd < 0 || below(16) == 0) {
		fd = ioctl(dev, MPT_IOC_LOCK_OPEN, below(4) ? lock_open_arg() :
							  pick_arg());
		if (fd >= 0) {
			if (*lfd >= 0)
				close(*lfd);
			*lfd = fd;
			c->lopens++;
		}
		return;
	}
	switch (below(6)) {
	case 0:
		snprintf(n.name, sizeof(n.name), "fl%u", below(3));
		ioctl(dev, MPT_IOC_LOCK_UNLINK, &n);
		break;
	case 1:
	case 2:
		if (!ioctl(*lfd, MPT_LIOC_ACQUIRE, lock_acq_arg()))
			c->lok++;
		break;
	case 3:
		if (!ioctl(*lfd, MPT_LIOC_RELEASE, below(8) ? 0 : rnd()))
			c->lok++;
		break;
	case 4:
		ioctl(*lfd, MPT_LIOC_INFO, pick_arg());
		break;
	default:
		/* Anything else, a timed acquire included, on any object. */
		fd = *lfd;
		fuzz_fileop(&fd, c);
		if (fd != *lfd) {
			if (fd >= 0)
				close(fd);
			*lfd = -1;
		}
		break;
	}
}

/*
 * A queue's descriptor: open one (of four names, created on demand with
 * random attributes), then throw queue requests and file operations at
 * it; sometimes remove a name.  Blocking calls end with their random
 * deadlines or the interval timer's signals.
 */
static void fuzz_queue(int dev, int *qfd, struct counts *c)
{
	struct mpt_name n = { 0 };
	int fd;

	if (*qfd < 0 || below(16) == 0) {
		fd = ioctl(dev, MPT_IOC_QUEUE_OPEN, below(4) ? queue_open_arg() :
							  pick_arg());
		if (fd >= 0) {
			if (*qfd >= 0)
				close(*qfd);
			*qfd = fd;
			c->qopens++;
		}
		c->ioctls++;
		return;
	}
	switch (below(5)) {
	case 0:
		snprintf(n.name, sizeof(n.name), "fz%u", below(4));
		ioctl(dev, MPT_IOC_QUEUE_UNLINK, &n);
		c->ioctls++;
		break;
	case 1:
		fd = *qfd;
		fuzz_fileop(&fd, c);
		if (fd != *qfd) {	/* closed, and /dev/mptrace opened */
			if (fd >= 0)
				close(fd);
			*qfd = -1;
		}
		break;
	case 2:			/* a put or a get, valid or nearly */
		if (ioctl(*qfd, below(2) ? MPT_QIOC_PUT : MPT_QIOC_GET,
			  qmsg_arg()) >= 0)
			c->qok++;
		c->ioctls++;
		break;
	case 3:
		fuzz_ring(*qfd, c);
		break;
	default:
		if (ioctl(*qfd, pick_cmd(), pick_arg()) >= 0)
			c->qok++;
		c->ioctls++;
		break;
	}
}

static void fuzz_fileop(int *fd, struct counts *c)
{
	struct pollfd pfd = { .fd = *fd, .events = POLLIN | POLLOUT | POLLPRI };
	size_t len = below(4) ? below(2 * page) : rnd();
	void *m;
	int d;

	c->fileops++;
	switch (below(8)) {
	case 0:
		read(*fd, (void *)pick_arg(), len);
		break;
	case 1:
		poll(&pfd, 1, 0);
		break;
	case 2:
		lseek(*fd, rnd(), below(5));
		break;
	case 3:
		write(*fd, rw_buf, below(2 * page));
		break;
	case 4:
		m = mmap(NULL, page, PROT_READ, MAP_SHARED, *fd, 0);
		if (m != MAP_FAILED)
			munmap(m, page);
		break;
	case 5:
		d = dup(*fd);
		if (d >= 0) {
			ioctl(d, pick_cmd(), pick_arg());
			close(d);
		}
		break;
	default:
		close(*fd);
		*fd = open(MPT_DEVICE_PATH,
			   (below(2) ? O_RDWR : O_RDONLY) |
			   (below(2) ? O_NONBLOCK : 0) | O_CLOEXEC);
		break;
	}
}

/* A valid request, to be mutated. */
static void valid_request(struct mpt_nlmsg *m)
{
	uint32_t abi = below(3);

	switch (below(3)) {
	case 0:
		mpt_nlmsg_init(m, family, MPT_CMD_GET_VERSION, 0);
		if (below(2))
			mpt_nlmsg_put(m, MPT_A_ABI, &abi, sizeof(abi));
		break;
	case 1:
		mpt_nlmsg_init(m, family, MPT_CMD_GET_STATS, 0);
		break;
	default:		/* a dump, left unread now and then */
		mpt_nlmsg_init(m, family, MPT_CMD_GET_PROCS, NLM_F_DUMP);
		break;
	}
}

static void random_attrs(struct mpt_nlmsg *m)
{
	unsigned int n = below(9), i;
	char data[300];

	for (i = 0; i < n; i++) {
		size_t len = below(4) ? below(16) : below(sizeof(data));
		size_t room = sizeof(*m) - NLMSG_ALIGN(m->n.nlmsg_len) -
			      NLA_HDRLEN;
		uint16_t type = below(4) ? below(MPT_A_MAX + 3) : rnd();

		if (len > room)
			break;
		fill_random(data, len);
		if (below(5) == 0)
			type |= NLA_F_NESTED;
		/* A header that lies about the length, now and then. */
		mpt_nlmsg_put_raw(m, type, data, len,
				  below(6) ? len : len + below(600));
	}
}

static void fuzz_netlink(int sk, struct counts *c)
{
	struct mpt_nlmsg m;
	char junk[8192];
	size_t len;

	switch (below(3)) {
	case 0:			/* random command, flags and attributes */
		mpt_nlmsg_init(&m, family, below(4) ? below(MPT_CMD_MAX + 3) :
					   below(256),
			       below(3) ? 0 : (rnd() & 0xfff0));
		if (below(6) == 0)
			m.g.reserved = rnd();
		if (below(6) == 0)
			m.g.version = rnd();
		random_attrs(&m);
		break;
	case 1:			/* a valid request with some bytes mutated */
		valid_request(&m);
		len = m.n.nlmsg_len;
		for (int i = below(4) + 1; i > 0; i--)
			((unsigned char *)&m)[sizeof(m.n) + below(len - sizeof(m.n))] = rnd();
		break;
	default:		/* a valid request with junk attributes added */
		valid_request(&m);
		random_attrs(&m);
		break;
	}
	/* A length that lies, now and then (the netlink core must cope). */
	if (below(10) == 0)
		m.n.nlmsg_len = below(sizeof(m));
	m.n.nlmsg_type = family;
	m.n.nlmsg_flags |= NLM_F_REQUEST;
	send(sk, &m, m.n.nlmsg_len > sizeof(m) ? sizeof(m) : m.n.nlmsg_len,
	     MSG_DONTWAIT);
	while (recv(sk, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	c->nlmsgs++;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * A no-restart SIGALRM every 20 ms ends blocking calls with EINTR, so a
 * worker never sleeps past its deadline and signals hit calls in flight.
 */
static void start_interrupts(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = {
		.it_interval = { .tv_usec = 20000 },
		.it_value = { .tv_usec = 20000 },
	};

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void worker(uint64_t seed, time_t deadline)
{
	struct counts c = { 0 };
	int fd, sk, qfd = -1, lfd = -1;

	rng = seed ? seed : 1;
	start_interrupts();
	fd = open(MPT_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	sk = mpt_nl_socket();
	if (fd < 0 || sk < 0) {
		perror("mpt_fuzz: worker setup");
		_exit(1);
	}
	while (time(NULL) < deadline) {
		unsigned int op = below(10);

		if (fd < 0)
			fd = open(MPT_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (op < 3 && fd >= 0)
			fuzz_ioctl(fd, &c);
		else if (op < 4 && fd >= 0)
			fuzz_queue(fd, &qfd, &c);
		else if (op < 5 && fd >= 0)
			fuzz_lock(fd, &lfd, &c);
		else if (op < 7 && fd >= 0)
			fuzz_fileop(&fd, &c);
		else
			fuzz_netlink(sk, &c);
	}
	printf("mpt_fuzz: worker %d: %lu ioctls, %lu file ops, %lu netlink messages, queues: %lu opened, %lu done; locks: %lu opened, %lu done\n",
	       getpid(), c.ioctls, c.fileops, c.nlmsgs, c.qopens, c.qok,
	       c.lopens, c.lok);
	fflush(stdout);
	_exit(0);
}

/* Children that use the device and die in the middle. */
static void churner(uint64_t seed, time_t deadline)
{
	unsigned long forks = 0, killed = 0;

	rng = seed ? seed : 1;
	while (time(NULL) < deadline) {
		pid_t pid = fork();

		if (pid == 0) {
			int fd = open(MPT_DEVICE_PATH, O_RDWR | O_CLOEXEC);

			for (int i = below(50); i > 0 && fd >= 0; i--)
				ioctl(fd, pick_cmd(), pick_arg());
			if (below(3) == 0) {
				char b[64];

				read(fd, b, sizeof(b));	/* blocks: killed */
			}
			_exit(0);
		}
		if (pid < 0)
			continue;
		forks++;
		if (below(2)) {
			usleep(below(2000));
			kill(pid, SIGKILL);
			killed++;
		} else {
			/* Wake a child blocked in read. */
			usleep(below(5000));
			kill(pid, SIGKILL);
		}
		waitpid(pid, NULL, 0);
	}
	printf("mpt_fuzz: churner: %lu forks, %lu killed mid-request\n",
	       forks, killed);
	fflush(stdout);
	_exit(0);
}

static int module_alive(void)
{
	struct mpt_version v;
	int fd, sk, ret = 0;

	fd = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, MPT_IOC_VERSION, &v) ||
	    v.abi != MPT_ABI_VERSION) {
		fprintf(stderr, "mpt_fuzz: the version ioctl no longer answers\n");
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
	sk = mpt_nl_socket();
	if (sk < 0 || mpt_stat(sk, family, MPT_STATS_A_DEV_OPENS) < 0) {
		fprintf(stderr, "mpt_fuzz: the stats command no longer answers\n");
		ret = -1;
	}
	if (sk >= 0)
		close(sk);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: mpt_fuzz [-s SEED] [-d SECONDS] [-p PROCS] [-v]\n");
}

int main(int argc, char **argv)
{
	unsigned long seconds = 10, procs = 4;
	uint64_t seed = time(NULL);
	int c, sk, failed = 0;
	time_t deadline;
	char *end;

	while ((c = getopt(argc, argv, "s:d:p:h")) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, &end, 0);
			if (*end)
				goto bad;
			break;
		case 'd':
			seconds = strtoul(optarg, &end, 0);
			if (*end || !seconds)
				goto bad;
			break;
		case 'p':
			procs = strtoul(optarg, &end, 0);
			if (*end || !procs || procs > 64)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;

	sk = mpt_nl_socket();
	family = sk < 0 ? sk : mpt_genl_family(sk, MPT_GENL_NAME, NULL, NULL);
	if (family < 0) {
		fprintf(stderr, "mpt_fuzz: the mptrace family is missing: load mptrace.ko\n");
		return 1;
	}
	close(sk);
	setup_memory();
	signal(SIGPIPE, SIG_IGN);

	printf("mpt_fuzz: seed %llu, %lu s, %lu workers + 1 churner\n",
	       (unsigned long long)seed, seconds, procs);
	fflush(stdout);
	deadline = time(NULL) + seconds;
	for (unsigned long i = 0; i <= procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("mpt_fuzz: fork");
			return 1;
		}
		if (pid == 0) {
			if (i == procs)
				churner(seed * 31 + i, deadline);
			worker(seed * 31 + i, deadline);
		}
	}
	for (;;) {
		int status;
		pid_t pid = wait(&status);

		if (pid < 0)
			break;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "mpt_fuzz: process %d failed (status 0x%x)\n",
				pid, status);
			failed = 1;
		}
	}
	if (module_alive())
		failed = 1;
	printf("mpt_fuzz: seed %llu: %s\n", (unsigned long long)seed,
	       failed ? "FAILED" : "module alive");
	return failed;
bad:
	usage(stderr);
	return 2;
}
