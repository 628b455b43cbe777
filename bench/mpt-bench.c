// SPDX-License-Identifier: GPL-2.0
/*
 * mpt-bench: one run of one benchmark scenario with one peer, inside the
 * test VM; prints one line "VALUE [P99]".  bench/run-vm interleaves the
 * peers round by round; tools/bench computes medians and ratios.
 *
 * Every peer of a scenario gets the same work: the same message size,
 * the same capacity (64 messages; a pipe of 64-byte ones two pages, see
 * chan_open()), the same counts, the same processes.
 *
 *   mpt-bench queue PEER SIZE N        1 producer, 1 consumer: msgs/s
 *   mpt-bench queue4 PEER SIZE N       4 producers, 4 consumers: msgs/s
 *   mpt-bench queuepool PEER SIZE N C  1 producer, C consumers (a pool
 *                                      of workers): msgs/s
 *   mpt-bench pingpong PEER SIZE N     round trips: median and p99, us
 *   mpt-bench lock PEER N              uncontended acquire+release: ops/s
 *   mpt-bench lockc PEER PROCS N       PROCS processes, one lock: ops/s
 *   mpt-bench lockdead PEER N          owner SIGKILLed: us until a waiter
 *                                      holds it, told (median, p99)
 *   mpt-bench fork N                   fork + exit + wait: ops/s, on
 *                                      the first CPU
 *   mpt-bench listen-nl|listen-nl-procs|listen-dev|listen-dev-filtered|
 *             listen-cn                count events until SIGTERM, then
 *                                      print "EVENTS LOST"; on the last
 *                                      CPU (dev-filtered: a /dev reader
 *                                      that asked for FORK, EXEC and
 *                                      EXIT only, what the proc
 *                                      connector tells of a process;
 *                                      nl-procs: a netlink listener of
 *                                      the group of those three only)
 *   mpt-bench storm dev|cn N BYTES STOP
 *                                      4 forkers make N children while a
 *                                      listener with BYTES of buffer (a
 *                                      /dev ring, or the proc connector's
 *                                      socket) counts their FORK events,
 *                                      SIGSTOPped meanwhile if STOP is 1:
 *                                      "DELIVERED LOST MADE"; for dev,
 *                                      DELIVERED + LOST must be MADE;
 *                                      for cn, LOST is the Drops of its
 *                                      socket in /proc/net/netlink
 *   mpt-bench last-cpu CMD [ARGS]      CMD, on the last CPU (a listening
 *                                      tool: forkstat, mptrace watch)
 *   mpt-bench hold N                   N sleeping children until SIGTERM
 *   mpt-bench rate K CMD [ARGS]        run CMD K times: runs/s
 *
 * Peers: mpt (mptrace; a queue's puts and gets are write(2) and read(2)
 * of its file, the plain blocking path; a lock's acquire and release are
 * ioctls), mpt-ioctl (a queue's puts and detached gets through
 * MPT_QIOC_PUT/GET, the path with deadlines and sequence numbers),
 * mpt-fast (a lock made with MPT_LOCK_FAST, a queue with MPT_QUEUE_FAST,
 * through libmptrace's mpt_lock_fast_*() and mpt_queue_fast_*(): user
 * space while nobody waits; a get is tracked, as a read(2)), mq (POSIX), sysv
 * (System V msg or sem), pipe, unix (socketpair), flock (on tmpfs),
 * pthread (robust process-shared mutex).
 *
 * Exit status 3: the loaded module cannot run this peer (a module
 * without fast locks or queues, as with tools/bench --against an older
 * one).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/connector.h>
#include <linux/cn_proc.h>
#include <linux/netlink.h>

#include "libmptrace.h"
#include "mpt_helpers.h"	/* the selftests' /proc readers */

#define CAPACITY	64
#define MAXMSG		4096

static void die(const char *what)
{
	fprintf(stderr, "mpt-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void die_ret(const char *what, int ret)
{
	fprintf(stderr, "mpt-bench: %s: %s\n", what, mpt_strerror(ret));
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void *shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static void wait_all(void)
{
	int status;

	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "mpt-bench: a worker failed\n");
			exit(1);
		}
}

/* --- one channel, many kinds -------------------------------------------------- */

enum chan_kind { CH_MPT, CH_MPT_IOCTL, CH_MPT_FAST, CH_MQ, CH_SYSV, CH_PIPE,
		 CH_UNIX };

static const char *const chan_peers[] = {
	[CH_MPT] = "mpt", [CH_MPT_IOCTL] = "mpt-ioctl", [CH_MPT_FAST] = "mpt-fast",
	[CH_MQ] = "mq", [CH_SYSV] = "sysv", [CH_PIPE] = "pipe", [CH_UNIX] = "unix",
};

struct chan {
	enum chan_kind kind;
	const char *peer;
	size_t size;
	int fd[2];		/* mpt: fd[0]; pipe: read, write; unix: ends */
	struct mpt_queue_fast *h;	/* mpt-fast: the queue's ring */
	mqd_t mq;
	int msqid;
	char name[64];
};

static void chan_open(struct chan *c, const char *peer, size_t size, int tag)
{
	memset(c, 0, sizeof(*c));
	c->peer = peer;
	c->size = size;
	for (c->kind = 0; c->kind <= CH_UNIX; c->kind++)
		if (!strcmp(peer, chan_peers[c->kind]))
			break;
	snprintf(c->name, sizeof(c->name), "bench.%d.%d", (int)getpid(), tag);
	if (c->kind <= CH_MPT_FAST) {
		bool fast = c->kind == CH_MPT_FAST;
		struct mpt_queue_params p = {
			.capacity = CAPACITY, .msgsize = size, .mode = 0600,
			.qflags = fast ? MPT_QUEUE_FAST : 0,
		};
		int fd = mpt_queue_open(c->name, MPT_QOPEN_CREATE | MPT_QOPEN_EXCL |
					MPT_QOPEN_READ | MPT_QOPEN_WRITE, &p);

		if (fd == -EINVAL && fast) {
			fprintf(stderr, "mpt-bench: the loaded module refuses MPT_QUEUE_FAST: it has no fast queues\n");
			exit(3);
		}
		if (fd < 0)
			die_ret("mpt_queue_open", fd);
		mpt_queue_unlink(c->name);
		c->fd[0] = fd;
		if (fast) {
			int ret = mpt_queue_fast_map(fd, &c->h);

			if (ret)
				die_ret("mpt_queue_fast_map", ret);
		}
	} else if (c->kind == CH_MQ) {
		struct mq_attr a = { .mq_maxmsg = CAPACITY, .mq_msgsize = size };
		char n[72];

		snprintf(n, sizeof(n), "/%s", c->name);
		c->mq = mq_open(n, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
		if (c->mq == (mqd_t)-1)
			die("mq_open (is /proc/sys/fs/mqueue/msg_max >= 64?)");
		mq_unlink(n);
	} else if (c->kind == CH_SYSV) {
		struct msqid_ds ds;

		c->msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (c->msqid < 0 || msgctl(c->msqid, IPC_STAT, &ds))
			die("msgget");
		/* The same room: 64 messages of this size. */
		ds.msg_qbytes = CAPACITY * size;
		if (msgctl(c->msqid, IPC_SET, &ds))
			die("msgctl IPC_SET");
	} else if (c->kind == CH_PIPE) {
		long room = CAPACITY * size, two_pages = 2 * sysconf(_SC_PAGESIZE);

		if (pipe(c->fd))
			die("pipe");
		/*
		 * 64 messages of room (a power of two of pages), and two
		 * pages at least: small writes fill a page, whose room comes
		 * back only once all of it has been read.  Of one page of 64
		 * messages of 64 bytes the writer would wait for the reader
		 * to drain all 64; of two (128 messages) it fills one while
		 * the reader drains the other.
		 */
		if (fcntl(c->fd[1], F_SETPIPE_SZ, room > two_pages ? room : two_pages) < 0)
			die("F_SETPIPE_SZ");
	} else if (c->kind == CH_UNIX) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, c->fd))
			die("socketpair");
	} else {
		fprintf(stderr, "mpt-bench: unknown queue peer '%s'\n", peer);
		exit(2);
	}
}

static void chan_close(struct chan *c)
{
	if (c->h)
		mpt_queue_fast_unmap(c->h);
	if (c->kind <= CH_MPT_FAST)
		close(c->fd[0]);
	else if (c->kind == CH_MQ)
		mq_close(c->mq);
	else if (c->kind == CH_SYSV)
		msgctl(c->msqid, IPC_RMID, NULL);
	else {
		close(c->fd[0]);
		close(c->fd[1]);
	}
}

struct sysv_msg {
	long mtype;
	char mtext[MAXMSG];
};

static bool full_io(int fd, void *buf, size_t len, bool wr)
{
	while (len) {
		ssize_t n = wr ? write(fd, buf, len) : read(fd, buf, len);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return false;
		}
		buf = (char *)buf + n;
		len -= n;
	}
	return true;
}

/* Send @buf; @end: 0 or 1, the end of a two-way channel (unix). */
static void chan_put(struct chan *c, void *buf, int end)
{
	int ret;

	switch (c->kind) {
	case CH_MPT:
		/* A put is a write(2) of the whole message. */
		if (write(c->fd[0], buf, c->size) != (ssize_t)c->size)
			die("write to the queue");
		break;
	case CH_MPT_IOCTL:
		ret = mpt_queue_put(c->fd[0], buf, c->size, MPT_FOREVER, NULL);
		if (ret)
			die_ret("mpt_queue_put", ret);
		break;
	case CH_MPT_FAST:
		ret = mpt_queue_fast_put(c->h, buf, c->size, MPT_FOREVER, NULL);
		if (ret)
			die_ret("mpt_queue_fast_put", ret);
		break;
	case CH_MQ:
		if (mq_send(c->mq, buf, c->size, 0))
			die("mq_send");
		break;
	case CH_SYSV: {
		static struct sysv_msg m = { .mtype = 1 };

		memcpy(m.mtext, buf, c->size);
		if (msgsnd(c->msqid, &m, c->size, 0))
			die("msgsnd");
		break;
	}
	case CH_PIPE:
		if (!full_io(c->fd[1], buf, c->size, true))
			die("write");
		break;
	case CH_UNIX:
		if (write(c->fd[end], buf, c->size) != (ssize_t)c->size)
			die("send");
		break;
	}
}

static void chan_get(struct chan *c, void *buf, int end)
{
	ssize_t n;

	switch (c->kind) {
	case CH_MPT:
		/* A get (tracked: the item is in flight) is a read(2). */
		if (read(c->fd[0], buf, MAXMSG) != (ssize_t)c->size)
			die("read from the queue");
		break;
	case CH_MPT_IOCTL:
		n = mpt_queue_get(c->fd[0], buf, MAXMSG, MPT_FOREVER,
				  MPT_QMSG_DETACHED, NULL);
		if (n < 0)
			die_ret("mpt_queue_get", (int)n);
		if (n != (ssize_t)c->size)
			die("mpt_queue_get: a message of another size");
		break;
	case CH_MPT_FAST:
		/* Tracked, as a read(2): the item is in flight. */
		n = mpt_queue_fast_get(c->h, buf, MAXMSG, MPT_FOREVER, 0, NULL);
		if (n < 0)
			die_ret("mpt_queue_fast_get", (int)n);
		if (n != (ssize_t)c->size)
			die("mpt_queue_fast_get: a message of another size");
		break;
	case CH_MQ:
		if (mq_receive(c->mq, buf, MAXMSG, NULL) != (ssize_t)c->size)
			die("mq_receive");
		break;
	case CH_SYSV: {
		static struct sysv_msg m;

		if (msgrcv(c->msqid, &m, MAXMSG, 0, 0) != (ssize_t)c->size)
			die("msgrcv");
		memcpy(buf, m.mtext, c->size);
		break;
	}
	case CH_PIPE:
		if (!full_io(c->fd[0], buf, c->size, false))
			die("read");
		break;
	case CH_UNIX:
		if (read(c->fd[end], buf, MAXMSG) != (ssize_t)c->size)
			die("recv");
		break;
	}
}

/* --- queue scenarios ------------------------------------------------------------ */

/* The share of @n of worker @i of @k: n / k, the first n % k one more. */
static long share(long n, int k, int i)
{
	return n / k + (i < n % k);
}

/*
 * @np producers put N messages in all, @nc consumers get them.  Every
 * message carries its producer and number in its first 8 bytes.  One
 * consumer of one producer checks they come in order; otherwise the sum
 * of what the consumers got must be the sum of what was put: a message
 * lost, doubled or garbled fails the run instead of counting.
 */
static double run_queue(const char *peer, size_t size, long n, int np, int nc)
{
	uint64_t *sum = shared(sizeof(*sum)), want = 0;
	char buf[MAXMSG] = { 0 };
	struct chan c;
	double t0;

	chan_open(&c, peer, size, 0);
	t0 = now_s();
	for (int p = 0; p < np + nc; p++) {
		bool producer = p < np;
		long each = producer ? share(n, np, p) : share(n, nc, p - np);
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid) {
			uint64_t tag, got = 0;

			for (long i = 0; i < each; i++) {
				if (producer) {
					tag = (uint64_t)p << 40 | i;
					memcpy(buf, &tag, sizeof(tag));
					chan_put(&c, buf, 0);
					continue;
				}
				chan_get(&c, buf, 0);
				memcpy(&tag, buf, sizeof(tag));
				if (np == 1 && nc == 1 && tag != (uint64_t)i)
					_exit(1);
				got += tag;
			}
			__atomic_fetch_add(sum, got, __ATOMIC_RELAXED);
			_exit(0);
		}
	}
	wait_all();
	t0 = now_s() - t0;
	chan_close(&c);
	for (int p = 0; p < np; p++) {
		uint64_t each = share(n, np, p);

		want += ((uint64_t)p << 40) * each + each * (each - 1) / 2;
	}
	if (*sum != want) {
		fprintf(stderr, "mpt-bench: %s: the messages got are not the ones put\n",
			peer);
		exit(1);
	}
	return n / t0;
}

/* Two channels (one for a two-way socket), A sends, B echoes. */
static void run_pingpong(const char *peer, size_t size, long n)
{
	char buf[MAXMSG] = { 0 };
	struct chan ab, ba;
	bool two_way = !strcmp(peer, "unix");
	double *rtt = calloc(n, sizeof(*rtt));
	pid_t pid;

	if (!rtt)
		die("calloc");
	chan_open(&ab, peer, size, 1);
	if (!two_way)
		chan_open(&ba, peer, size, 2);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		for (long i = 0; i < n + 100; i++) {
			chan_get(&ab, buf, 1);
			chan_put(two_way ? &ab : &ba, buf, 1);
		}
		_exit(0);
	}
	for (long i = 0; i < n + 100; i++) {
		uint64_t tag = i;
		double t;

		/* The echo must be of this message. */
		memcpy(buf, &tag, sizeof(tag));
		t = now_s();
		chan_put(&ab, buf, 0);
		chan_get(two_way ? &ab : &ba, buf, 0);
		if (i >= 100)		/* the first 100 warm up */
			rtt[i - 100] = (now_s() - t) * 1e6;
		memcpy(&tag, buf, sizeof(tag));
		if (tag != (uint64_t)i) {
			fprintf(stderr, "mpt-bench: %s: the echo is of another message\n",
				peer);
			exit(1);
		}
	}
	wait_all();
	qsort(rtt, n, sizeof(*rtt), cmp_double);
	printf("%.3f %.3f\n", rtt[n / 2], rtt[n * 99 / 100]);
	chan_close(&ab);
	if (!two_way)
		chan_close(&ba);
	free(rtt);
}

/* --- locks ------------------------------------------------------------------------ */

struct lk {
	const char *peer;
	int fd;			/* mpt lock, flock file */
	struct mpt_lock_fast *h;	/* mpt-fast: the lock's mapping */
	int semid;
	pthread_mutex_t *m;	/* in shared memory */
};

static void lk_open(struct lk *l, const char *peer)
{
	char name[64];

	memset(l, 0, sizeof(*l));
	l->peer = peer;
	snprintf(name, sizeof(name), "bench.%d.lock", (int)getpid());
	if (!strcmp(peer, "mpt") || !strcmp(peer, "mpt-fast")) {
		bool fast = peer[3] != '\0';
		int ret;

		l->fd = mpt_lock_open(name, MPT_QOPEN_CREATE | MPT_QOPEN_EXCL |
				      MPT_QOPEN_READ | MPT_QOPEN_WRITE,
				      MPT_LOCK_MUTEX, 0600,
				      fast ? MPT_LOCK_FAST : 0);
		if (l->fd == -EINVAL && fast) {
			fprintf(stderr, "mpt-bench: the loaded module refuses MPT_LOCK_FAST: it has no fast locks\n");
			exit(3);
		}
		if (l->fd < 0)
			die_ret("mpt_lock_open", l->fd);
		mpt_lock_unlink(name);
		if (fast) {
			ret = mpt_lock_fast_map(l->fd, &l->h);
			if (ret)
				die_ret("mpt_lock_fast_map", ret);
		}
	} else if (!strcmp(peer, "flock")) {
		char path[96];

		snprintf(path, sizeof(path), "/dev/shm/%s", name);
		l->fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (l->fd < 0)
			die("open /dev/shm");
		unlink(path);
	} else if (!strcmp(peer, "sysv")) {
		union { int val; } arg = { 1 };

		l->semid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
		if (l->semid < 0 || semctl(l->semid, 0, SETVAL, arg))
			die("semget");
	} else if (!strcmp(peer, "pthread")) {
		pthread_mutexattr_t a;

		l->m = shared(sizeof(*l->m));
		pthread_mutexattr_init(&a);
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
		if (pthread_mutex_init(l->m, &a))
			die("pthread_mutex_init");
	} else {
		fprintf(stderr, "mpt-bench: unknown lock peer '%s'\n", peer);
		exit(2);
	}
}

static void lk_close(struct lk *l)
{
	if (!strcmp(l->peer, "sysv"))
		semctl(l->semid, 0, IPC_RMID);
	else if (l->h) {
		mpt_lock_fast_unmap(l->h);
		close(l->fd);
	} else if (l->m)
		munmap(l->m, sizeof(*l->m));
	else
		close(l->fd);
}

/* Acquire; true when the previous owner died holding it. */
static bool lk_acquire(struct lk *l)
{
	struct sembuf down = { 0, -1, SEM_UNDO };
	int ret;

	switch (l->peer[0]) {
	case 'm':
		ret = l->h ? mpt_lock_fast_acquire(l->h, MPT_FOREVER, NULL) :
		      mpt_lock_acquire(l->fd, MPT_FOREVER, NULL);
		if (ret == -EOWNERDEAD)
			return true;
		if (ret)
			die_ret("mpt_lock_acquire", ret);
		break;
	case 'f':
		if (flock(l->fd, LOCK_EX))
			die("flock");
		break;
	case 's':
		if (semop(l->semid, &down, 1))
			die("semop");
		break;
	case 'p':
		ret = pthread_mutex_lock(l->m);
		if (ret == EOWNERDEAD) {
			pthread_mutex_consistent(l->m);
			return true;
		}
		if (ret) {
			errno = ret;
			die("pthread_mutex_lock");
		}
		break;
	}
	return false;
}

static void lk_release(struct lk *l)
{
	struct sembuf up = { 0, 1, SEM_UNDO };
	int ret;

	switch (l->peer[0]) {
	case 'm':
		ret = l->h ? mpt_lock_fast_release(l->h) :
		      mpt_lock_release(l->fd);
		if (ret)
			die_ret("mpt_lock_release", ret);
		break;
	case 'f':
		flock(l->fd, LOCK_UN);
		break;
	case 's':
		semop(l->semid, &up, 1);
		break;
	case 'p':
		pthread_mutex_unlock(l->m);
		break;
	}
}

static double run_lock(const char *peer, long n)
{
	struct lk l;
	double t0;

	lk_open(&l, peer);
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		lk_acquire(&l);
		lk_release(&l);
	}
	t0 = now_s() - t0;
	lk_close(&l);
	return n / t0;
}

/*
 * @procs processes share one lock and one counter; each takes the lock,
 * counts, lets go, until @n acquisitions in all.  A flock is per open
 * file: each process opens its own, as flock users do.  Each process
 * also counts its own increments: their sum must be the shared count,
 * or the lock let two in at once; and each marks that it is inside,
 * which another finding the mark set counts as an overlap.
 */
static double run_lockc(const char *peer, int procs, long n)
{
	volatile long *count = shared(sizeof(long) * (procs + 3));
	long *inside = (long *)&count[procs + 1], *overlaps = inside + 1;
	long sum = 0;
	struct lk l;
	double t0;

	lk_open(&l, peer);
	t0 = now_s();
	for (int p = 0; p < procs; p++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid) {
			if (!strcmp(peer, "flock")) {
				char path[64];

				snprintf(path, sizeof(path), "/proc/self/fd/%d", l.fd);
				l.fd = open(path, O_RDWR);
				if (l.fd < 0)
					die("reopen");
			}
			for (;;) {
				bool done;

				lk_acquire(&l);
				if (__atomic_exchange_n(inside, 1, __ATOMIC_SEQ_CST))
					__atomic_fetch_add(overlaps, 1, __ATOMIC_RELAXED);
				done = *count >= n;
				if (!done) {
					(*count)++;
					count[p + 1]++;
				}
				__atomic_store_n(inside, 0, __ATOMIC_SEQ_CST);
				lk_release(&l);
				if (done)
					_exit(0);
			}
		}
	}
	wait_all();
	t0 = now_s() - t0;
	lk_close(&l);
	for (int p = 0; p < procs; p++)
		sum += count[p + 1];
	if (sum != *count || *count != n || *overlaps) {
		fprintf(stderr, "mpt-bench: lockc %s: the count is %ld, its processes made %ld increments of %ld, %ld found another inside: the lock let two in at once\n",
			peer, *count, sum, n, *overlaps);
		exit(1);
	}
	return *count / t0;
}

/* The owner is SIGKILLed holding the lock; how long until the waiter has it. */
static void run_lockdead(const char *peer, long n)
{
	struct timespec *killed = shared(sizeof(*killed));
	double *lat = calloc(n, sizeof(*lat));

	if (!lat)
		die("calloc");
	for (long i = 0; i < n; i++) {
		int ready[2], got[2];
		struct lk l;
		pid_t owner, waiter;
		char c;

		lk_open(&l, peer);
		if (pipe(ready) || pipe(got))
			die("pipe");
		owner = fork();
		if (owner < 0)
			die("fork");
		if (!owner) {
			lk_acquire(&l);
			if (write(ready[1], "h", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		if (read(ready[0], &c, 1) != 1)
			die("owner");
		waiter = fork();
		if (waiter < 0)
			die("fork");
		if (!waiter) {
			bool dead = lk_acquire(&l);
			struct timespec t;

			clock_gettime(CLOCK_MONOTONIC, &t);
			if (write(got[1], &t, sizeof(t)) != sizeof(t) || !dead)
				_exit(1);
			_exit(0);
		}
		/* Let the waiter block first: asleep, as /proc tells. */
		for (int tries = 0; mpt_proc_state(waiter) != 'S'; tries++) {
			if (tries == 1000) {
				fprintf(stderr, "mpt-bench: lockdead: the waiter does not block\n");
				exit(1);
			}
			usleep(1000);
		}
		usleep(10000);
		clock_gettime(CLOCK_MONOTONIC, killed);
		kill(owner, SIGKILL);
		{
			struct timespec t;

			if (read(got[0], &t, sizeof(t)) != sizeof(t))
				die("waiter");
			lat[i] = (t.tv_sec - killed->tv_sec) * 1e6 +
				 (t.tv_nsec - killed->tv_nsec) / 1e3;
		}
		{
			int st1, st2;

			/* The owner was killed; the waiter was told it died. */
			if (waitpid(owner, &st1, 0) != owner || waitpid(waiter, &st2, 0) != waiter ||
			    !WIFSIGNALED(st1) || !WIFEXITED(st2) || WEXITSTATUS(st2)) {
				fprintf(stderr, "mpt-bench: lockdead: the waiter was not told the owner died\n");
				exit(1);
			}
		}
		close(ready[0]);
		close(ready[1]);
		close(got[0]);
		close(got[1]);
		lk_close(&l);
	}
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("%.3f %.3f\n", lat[n / 2], lat[n * 99 / 100]);
	free(lat);
}

/* --- processes -------------------------------------------------------------------- */

static double run_fork(long n)
{
	double t0 = now_s();

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid)
			_exit(0);
		if (waitpid(pid, NULL, 0) != pid)
			die("waitpid");
	}
	return n / (now_s() - t0);
}

/*
 * The fork loop runs on the first CPU, a listener on the last.  Left to
 * the scheduler, a child ran on either vCPU, and where it ran decided
 * more than anything measured: ten runs of one loop in one VM went from
 * 505 to 730 forks a second unpinned, 806 to 855 pinned (TCG, two
 * vCPUs).  Every peer runs the same way.
 */
static void on_cpu(bool last)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (cpus < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(last ? cpus - 1 : 0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/* A tool that listens (forkstat, mptrace watch), where listeners run. */
static void on_last_cpu(char **argv)
{
	on_cpu(true);
	execvp(argv[0], argv);
	die(argv[0]);
}

static double run_fork_loop(long n)
{
	on_cpu(false);
	return run_fork(n);
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int count_event(const struct mpt_event_view *ev, void *arg)
{
	uint64_t *c = arg;

	if (ev->type == MPT_EV_LOST)
		c[1] += ev->lost;
	else
		c[0]++;
	return 0;
}

/*
 * Since Linux 6.6 a proc connector subscriber may name the events it
 * wants (struct proc_input, newer than the headers here); an older
 * kernel ignores a request of that size, so it gets the plain one.
 */
static bool cn_can_filter(void)
{
	struct utsname u;
	int major, minor;

	return !uname(&u) && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
	       (major > 6 || (major == 6 && minor >= 6));
}

/* The kernel's proc connector: subscribe (to forks only, when it can). */
static int cn_open(bool forks_only)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC,
				  .nl_pid = getpid() };
	struct {
		struct nlmsghdr nh;
		struct cn_msg cn;
		uint32_t op;		/* enum proc_cn_mcast_op */
		uint32_t event_type;	/* struct proc_input's, since 6.6 */
	} __attribute__((packed)) req = {
		.nh.nlmsg_type = NLMSG_DONE, .nh.nlmsg_pid = getpid(),
		.cn.id = { CN_IDX_PROC, CN_VAL_PROC },
		.op = PROC_CN_MCAST_LISTEN, .event_type = PROC_EVENT_FORK,
	};
	int fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);

	req.cn.len = sizeof(req.op) +
		     (forks_only && cn_can_filter() ? sizeof(req.event_type) : 0);
	req.nh.nlmsg_len = offsetof(typeof(req), op) + req.cn.len;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, &req, req.nh.nlmsg_len, 0) != (ssize_t)req.nh.nlmsg_len)
		die("proc connector");
	return fd;
}

/*
 * The events of a datagram of the proc connector (its FORK events only,
 * with @forks_only), each read as a listener reads it: its kind, and for
 * a FORK or an EXIT the process it is of.  Ours are read into a
 * struct mpt_event_view by mpt_nl_events(); the connector's need no
 * parsing beyond this.
 */
static volatile pid_t cn_last_pid;

static int cn_events(const char *buf, ssize_t n, bool forks_only)
{
	int got = 0;

	for (const struct nlmsghdr *nh = (const void *)buf; NLMSG_OK(nh, n);
	     nh = NLMSG_NEXT(nh, n)) {
		const struct cn_msg *cn = NLMSG_DATA(nh);
		const struct proc_event *ev = (const void *)cn->data;

		if (ev->what == PROC_EVENT_FORK)
			cn_last_pid = ev->event_data.fork.child_tgid;
		else if (ev->what == PROC_EVENT_EXIT)
			cn_last_pid = ev->event_data.exit.process_tgid;
		if (ev->what == PROC_EVENT_FORK || !forks_only)
			got++;
	}
	return got;
}

/*
 * What one wake-up of a listener reads: @nl, or @fd (@cn: the proc
 * connector's socket, else /dev/mptrace).
 */
static void listen_once(struct mpt_nl *nl, int fd, bool cn, int timeout_ms,
			uint64_t c[2])
{
	char buf[8192];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (nl) {
		mpt_nl_events(nl, timeout_ms, count_event, c);
	} else if (!cn) {
		mpt_dev_events(fd, timeout_ms, count_event, c);
	} else if (poll(&p, 1, timeout_ms) == 1) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0)
			c[0] += cn_events(buf, n, false);
		else if (n < 0 && errno == ENOBUFS)
			c[1]++;	/* an overrun: how many is unknown */
	}
}

/*
 * The group of FORK, EXEC and EXIT alone; exit status 3 (see the top)
 * when the module has no such group, as an older one with
 * tools/bench --against.
 */
static int nl_procs(struct mpt_nl *nl)
{
	int ret = mpt_nl_subscribe_types(nl, 1u << MPT_EV_FORK |
					 1u << MPT_EV_EXEC | 1u << MPT_EV_EXIT);

	if (!ret) {
		fprintf(stderr, "mpt-bench: the module has no netlink group \"%s\"\n",
			MPT_MCGRP_PROCS);
		exit(3);
	}
	return ret < 0 ? ret : 0;
}

static void no_listener(const char *how)
{
	fprintf(stderr, "mpt-bench: %s: not a listener (listen-nl, listen-nl-procs, listen-dev, listen-dev-filtered or listen-cn)\n",
		how);
	exit(2);
}

static void listen_events(const char *how)
{
	bool cn = !strcmp(how, "listen-cn");
	uint64_t c[2] = { 0, 0 };
	struct mpt_nl *nl = NULL;
	int fd = -1, ret;

	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	on_cpu(true);
	if (!strncmp(how, "listen-nl", 9)) {
		bool procs = !strcmp(how + 9, "-procs");

		if (!procs && how[9])
			no_listener(how);
		ret = mpt_nl_open(&nl);
		if (!ret)
			ret = procs ? nl_procs(nl) : mpt_nl_subscribe(nl);
		if (ret)
			die_ret("netlink", ret);
	} else if (!strncmp(how, "listen-dev", 10)) {
		bool filtered = !strcmp(how + 10, "-filtered");

		if (!filtered && how[10])
			no_listener(how);
		fd = mpt_dev_open(O_RDONLY);
		ret = fd < 0 ? fd : 0;
		if (!ret && filtered)
			ret = mpt_dev_filter(fd, 1u << MPT_EV_FORK |
					     1u << MPT_EV_EXEC |
					     1u << MPT_EV_EXIT, 0, 0);
		if (!ret)
			ret = mpt_dev_subscribe(fd, 4096);
		if (ret)
			die_ret("/dev/mptrace", ret);
	} else if (cn) {
		fd = cn_open(false);	/* every event, as forkstat asks */
	} else {
		no_listener(how);
	}
	/* Ready: the driver waits for this line before it measures. */
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		listen_once(nl, fd, cn, 200, c);
	/* What is still queued counts too. */
	for (uint64_t before = ~0ULL; before != c[0] + c[1];) {
		before = c[0] + c[1];
		listen_once(nl, fd, cn, 0, c);
	}
	printf("%llu %llu\n", (unsigned long long)c[0], (unsigned long long)c[1]);
}

/* --- fork storm, snapshots ------------------------------------------------------ */

/*
 * What the kernel dropped for netlink socket @fd when its receive buffer
 * was full: the Drops column of its line (found by inode) in
 * /proc/net/netlink, the count the proc connector's listeners have.
 */
static uint64_t nl_socket_drops(int fd)
{
	unsigned long long drops, ino;
	char line[256];
	struct stat st;
	FILE *f;

	if (fstat(fd, &st))
		die("fstat");
	f = fopen("/proc/net/netlink", "r");
	if (!f)
		die("/proc/net/netlink");
	while (fgets(line, sizeof(line), f)) {
		/* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode */
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %llu %llu",
			   &drops, &ino) == 2 && ino == st.st_ino) {
			fclose(f);
			return drops;
		}
	}
	fclose(f);
	fprintf(stderr, "mpt-bench: no line of inode %llu in /proc/net/netlink\n",
		(unsigned long long)st.st_ino);
	exit(1);
}

/*
 * The listener of a storm: counts FORK events until SIGTERM, then
 * reports.  The /dev reader asks for the storm's own (its parent's
 * subtree): a kernel thread or a daemon forking meanwhile would
 * otherwise be made, delivered or lost beside the storm's count.  The
 * proc connector is asked for FORK events only where the kernel can
 * filter them (6.6 and later), but not for a subtree; for it only the
 * fraction delivered is compared, and its lost are what its socket
 * dropped (events of every kind before 6.6, and anyone's).
 */
static void storm_listener(const char *kind, long bytes, int ready, int report)
{
	uint64_t c[2] = { 0, 0 };
	int fd;

	signal(SIGTERM, on_term);
	if (!strcmp(kind, "dev")) {
		fd = mpt_dev_open(O_RDONLY);
		if (fd < 0 || mpt_dev_filter(fd, 1u << MPT_EV_FORK,
					     MPT_FILTER_SUBTREE, getppid()) ||
		    mpt_dev_subscribe(fd, bytes / MPT_EVENT_MAX_SIZE))
			die("/dev/mptrace reader");
	} else {
		int sz = bytes;

		fd = cn_open(true);
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
			die("SO_RCVBUFFORCE");
	}
	if (write(ready, "r", 1) != 1)
		_exit(1);
	while (!stop) {
		if (!strcmp(kind, "dev")) {
			mpt_dev_events(fd, 100, count_event, c);
		} else {
			char buf[65536];
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, 100) == 1) {
				ssize_t n = recv(fd, buf, sizeof(buf), 0);

				if (n > 0)
					c[0] += cn_events(buf, n, true);
			}
		}
	}
	/* What is still queued counts too. */
	for (uint64_t before = ~0ULL; before != c[0] + c[1];) {
		before = c[0] + c[1];
		if (!strcmp(kind, "dev")) {
			mpt_dev_events(fd, 0, count_event, c);
		} else {
			char buf[65536];
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n > 0)
				c[0] += cn_events(buf, n, true);
		}
	}
	if (strcmp(kind, "dev"))
		c[1] = nl_socket_drops(fd);
	if (write(report, c, sizeof(c)) != sizeof(c))
		_exit(1);
	_exit(0);
}

static void run_storm(const char *kind, long n, long bytes, bool pause_it)
{
	int ready[2], report[2];
	uint64_t c[2];
	pid_t listener;
	char x;

	if (pipe(ready) || pipe(report))
		die("pipe");
	listener = fork();
	if (listener < 0)
		die("fork");
	if (!listener)
		storm_listener(kind, bytes, ready[1], report[1]);
	if (read(ready[0], &x, 1) != 1)
		die("listener");
	if (pause_it)
		kill(listener, SIGSTOP);
	for (int f = 0; f < 4; f++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid) {
			run_fork(n / 4);
			_exit(0);
		}
	}
	for (int f = 0; f < 4; f++)
		if (wait(NULL) < 0)
			die("wait");
	if (pause_it)
		kill(listener, SIGCONT);
	usleep(500000);		/* let it read what waits */
	kill(listener, SIGTERM);
	if (read(report[0], c, sizeof(c)) != sizeof(c))
		die("report");
	waitpid(listener, NULL, 0);
	/* Made: the 4 forkers and their children. */
	printf("%llu %llu %ld\n", (unsigned long long)c[0], (unsigned long long)c[1],
	       n / 4 * 4 + 4);
	if (!strcmp(kind, "dev") && c[0] + c[1] != (uint64_t)(n / 4 * 4 + 4)) {
		fprintf(stderr, "mpt-bench: storm: %llu delivered + %llu lost != %ld made\n",
			(unsigned long long)c[0], (unsigned long long)c[1], n / 4 * 4 + 4);
		exit(1);
	}
}

static void run_hold(long n)
{
	pid_t *kids = calloc(n, sizeof(*kids));

	if (!kids)
		die("calloc");
	signal(SIGTERM, on_term);
	for (long i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			die("fork");
		if (!kids[i]) {
			signal(SIGTERM, SIG_DFL);
			for (;;)
				pause();
		}
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	for (long i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
}

static void run_rate(long k, char **cmd)
{
	double t0 = now_s();

	for (long i = 0; i < k; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 1);
			execvp(cmd[0], cmd);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			fprintf(stderr, "mpt-bench: %s failed\n", cmd[0]);
			exit(1);
		}
	}
	printf("%.3f\n", k / (now_s() - t0));
}

static long arg_num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v <= 0) {
		fprintf(stderr, "mpt-bench: '%s' is not a positive number\n", s);
		exit(2);
	}
	return v;
}

/* The run's time is up: it ends, and every process it made with it. */
static void on_alarm(int sig)
{
	static const char msg[] = "mpt-bench: still running after 600 s: killed\n";
	ssize_t ret = write(STDERR_FILENO, msg, sizeof(msg) - 1);

	(void)ret;
	(void)sig;
	kill(0, SIGKILL);
}

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	/*
	 * A lost message or wake-up fails the run, not the whole bench.  The
	 * run leads a process group of its own, killed whole: a worker left
	 * blocked would hold the driver's $(...) open until the VM timed
	 * out.  (An alarm is not inherited across fork().)
	 */
	if (strcmp(s, "hold") && strcmp(s, "last-cpu") && strncmp(s, "listen-", 7)) {
		if (!setpgid(0, 0))
			signal(SIGALRM, on_alarm);
		alarm(600);
	}
	if (!strcmp(s, "queue") && argc == 5)
		printf("%.1f\n", run_queue(argv[2], arg_num(argv[3]), arg_num(argv[4]), 1, 1));
	else if (!strcmp(s, "queue4") && argc == 5)
		printf("%.1f\n", run_queue(argv[2], arg_num(argv[3]), arg_num(argv[4]), 4, 4));
	else if (!strcmp(s, "queuepool") && argc == 6)
		printf("%.1f\n", run_queue(argv[2], arg_num(argv[3]), arg_num(argv[4]), 1,
					  arg_num(argv[5])));
	else if (!strcmp(s, "pingpong") && argc == 5)
		run_pingpong(argv[2], arg_num(argv[3]), arg_num(argv[4]));
	else if (!strcmp(s, "lock") && argc == 4)
		printf("%.1f\n", run_lock(argv[2], arg_num(argv[3])));
	else if (!strcmp(s, "lockc") && argc == 5)
		printf("%.1f\n", run_lockc(argv[2], arg_num(argv[3]), arg_num(argv[4])));
	else if (!strcmp(s, "lockdead") && argc == 4)
		run_lockdead(argv[2], arg_num(argv[3]));
	else if (!strcmp(s, "fork") && argc == 3)
		printf("%.1f\n", run_fork_loop(arg_num(argv[2])));
	else if (!strncmp(s, "listen-", 7) && argc == 2)
		listen_events(s);
	else if (!strcmp(s, "storm") && argc == 6)
		run_storm(argv[2], arg_num(argv[3]), arg_num(argv[4]), !strcmp(argv[5], "1"));
	else if (!strcmp(s, "hold") && argc == 3)
		run_hold(arg_num(argv[2]));
	else if (!strcmp(s, "rate") && argc >= 4)
		run_rate(arg_num(argv[2]), argv + 3);
	else if (!strcmp(s, "last-cpu") && argc >= 3)
		on_last_cpu(argv + 2);
	else {
		fprintf(stderr, "usage: mpt-bench SCENARIO PEER ARGS (see the source's head)\n");
		return 2;
	}
	return 0;
}
