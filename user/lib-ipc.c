// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmptrace: queues and locks, through /dev/mptrace and their own
 * descriptors.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "libmptrace.h"

static int mpt_set_name(char *dst, const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= MPT_NAME_LEN)
		return -EINVAL;
	memset(dst, 0, MPT_NAME_LEN);
	memcpy(dst, name, len);
	return 0;
}

/* Run @req on a /dev/mptrace opened for the occasion. */
static int mpt_dev_ioctl(unsigned long req, void *arg)
{
	int fd = mpt_dev_open(O_RDONLY), ret;

	if (fd < 0)
		return fd;
	ret = ioctl(fd, req, arg);
	ret = ret < 0 ? -errno : ret;
	close(fd);
	return ret;
}

int mpt_queue_open(const char *name, uint32_t flags,
		   const struct mpt_queue_params *attr)
{
	struct mpt_queue_open qo = { .flags = flags, .mode = 0600 };

	if (mpt_set_name(qo.name, name))
		return -EINVAL;
	if (attr && (flags & MPT_QOPEN_CREATE)) {
		qo.capacity = attr->capacity;
		qo.msgsize = attr->msgsize;
		qo.mode = attr->mode;
		qo.qflags = attr->qflags;
	}
	return mpt_dev_ioctl(MPT_IOC_QUEUE_OPEN, &qo);
}

int mpt_queue_unlink(const char *name)
{
	struct mpt_name n;

	if (mpt_set_name(n.name, name))
		return -EINVAL;
	return mpt_dev_ioctl(MPT_IOC_QUEUE_UNLINK, &n);
}

/* Flags and deadline for a timeout in ns (see libmptrace.h). */
static uint32_t mpt_deadline(long long timeout_ns, __u64 *deadline)
{
	struct timespec now;

	*deadline = 0;
	if (timeout_ns < 0)
		return 0;
	if (!timeout_ns)
		return MPT_QMSG_NOWAIT;
	clock_gettime(CLOCK_MONOTONIC, &now);
	*deadline = (uint64_t)now.tv_sec * 1000000000ULL + now.tv_nsec +
		    (uint64_t)timeout_ns;
	return MPT_QMSG_TIMEOUT;
}

int mpt_queue_put(int qfd, const void *buf, size_t len, long long timeout_ns,
		  uint64_t *seq)
{
	struct mpt_qmsg m = { .buf = (uintptr_t)buf, .len = len };

	if (len > UINT32_MAX)
		return -EMSGSIZE;
	m.flags = mpt_deadline(timeout_ns, &m.deadline_ns);
	if (ioctl(qfd, MPT_QIOC_PUT, &m) < 0)
		return -errno;
	if (seq)
		*seq = m.seq;
	return 0;
}

ssize_t mpt_queue_get(int qfd, void *buf, size_t len, long long timeout_ns,
		      uint32_t flags, uint64_t *seq)
{
	struct mpt_qmsg m = {
		.buf = (uintptr_t)buf,
		.len = len > UINT32_MAX ? UINT32_MAX : len,
	};

	/* @timeout_ns says how long: NOWAIT and TIMEOUT are the library's. */
	if (flags & ~MPT_QMSG_DETACHED)
		return -EINVAL;
	m.flags = flags | mpt_deadline(timeout_ns, &m.deadline_ns);
	if (ioctl(qfd, MPT_QIOC_GET, &m) < 0)
		return -errno;
	if (seq)
		*seq = m.seq;
	return m.len;
}

int mpt_queue_task_done(int qfd, uint32_t count)
{
	struct mpt_qwait w = { .count = count };

	return ioctl(qfd, MPT_QIOC_TASK_DONE, &w) < 0 ? -errno : 0;
}

int mpt_queue_join(int qfd, long long timeout_ns)
{
	struct mpt_qwait w = { 0 };

	w.flags = mpt_deadline(timeout_ns, &w.deadline_ns);
	return ioctl(qfd, MPT_QIOC_JOIN, &w) < 0 ? -errno : 0;
}

static int mpt_queue_info_req(int fd, unsigned long req,
			      struct mpt_queue_info *qi,
			      struct mpt_qwaiter *waiters, uint32_t *nwaiters,
			      struct mpt_qconsumer *consumers,
			      uint32_t *nconsumers)
{
	if (waiters && nwaiters) {
		qi->waiters = (uintptr_t)waiters;
		qi->waiters_max = *nwaiters;
	}
	if (consumers && nconsumers) {
		qi->consumers = (uintptr_t)consumers;
		qi->consumers_max = *nconsumers;
	}
	if (ioctl(fd, req, qi) < 0)
		return -errno;
	if (nwaiters)
		*nwaiters = waiters ? qi->waiters_max : 0;
	if (nconsumers)
		*nconsumers = consumers ? qi->consumers_max : 0;
	return 0;
}

int mpt_queue_info(int qfd, struct mpt_queue_info *qi,
		   struct mpt_qwaiter *waiters, uint32_t *nwaiters,
		   struct mpt_qconsumer *consumers, uint32_t *nconsumers)
{
	memset(qi, 0, sizeof(*qi));
	return mpt_queue_info_req(qfd, MPT_QIOC_INFO, qi, waiters, nwaiters,
				  consumers, nconsumers);
}

int mpt_queue_info_name(int devfd, const char *name,
			struct mpt_queue_info *qi,
			struct mpt_qwaiter *waiters, uint32_t *nwaiters,
			struct mpt_qconsumer *consumers, uint32_t *nconsumers)
{
	memset(qi, 0, sizeof(*qi));
	if (mpt_set_name(qi->name, name))
		return -EINVAL;
	return mpt_queue_info_req(devfd, MPT_IOC_QUEUE_INFO, qi, waiters,
				  nwaiters, consumers, nconsumers);
}

int mpt_lock_open(const char *name, uint32_t flags, uint32_t kind,
		  uint32_t mode, uint32_t lflags)
{
	struct mpt_lock_open lo = {
		.flags = flags, .mode = mode, .kind = kind, .lflags = lflags,
	};

	if (mpt_set_name(lo.name, name))
		return -EINVAL;
	if (!(flags & MPT_QOPEN_CREATE))
		lo.mode = lo.kind = lo.lflags = 0;
	return mpt_dev_ioctl(MPT_IOC_LOCK_OPEN, &lo);
}

int mpt_lock_unlink(const char *name)
{
	struct mpt_name n;

	if (mpt_set_name(n.name, name))
		return -EINVAL;
	return mpt_dev_ioctl(MPT_IOC_LOCK_UNLINK, &n);
}

int mpt_lock_acquire(int lfd, long long timeout_ns, struct mpt_lock_acq *out)
{
	struct mpt_lock_acq a = { 0 };
	uint32_t f = mpt_deadline(timeout_ns, &a.deadline_ns);

	/* NOWAIT means "try" for a lock. */
	a.flags = f == MPT_QMSG_NOWAIT ? MPT_LOCK_TRY :
		  f == MPT_QMSG_TIMEOUT ? MPT_LOCK_TIMEOUT : 0;
	if (ioctl(lfd, MPT_LIOC_ACQUIRE, &a) < 0)
		return -errno;
	if (out)
		*out = a;
	return a.flags & MPT_LOCK_PREV_OWNER_DIED ? -EOWNERDEAD : 0;
}

int mpt_lock_release(int lfd)
{
	return ioctl(lfd, MPT_LIOC_RELEASE, 0) < 0 ? -errno : 0;
}

/*
 * Fast locks (linux/mptrace.h, "Fast locks"): the word of the lock's
 * page is taken and given back with a compare-and-swap while the kernel
 * does not keep the lock's state (MPT_LOCKW_KERNEL); everything else is
 * the ioctls' business.
 */
struct mpt_lock_fast {
	int fd;				/* not ours: the caller closes it */
	uint32_t kind;			/* enum mpt_lock_kind */
	struct mpt_lock_page *page;
	size_t len;			/* of the mapping */
};

/*
 * The calling thread's token: 0 until asked for, MPT_TOKEN_NONE when the
 * module gave none (the thread then uses the ioctls alone).
 */
#define MPT_TOKEN_NONE	UINT64_MAX
static __thread uint64_t mpt_token;
static __thread uint32_t mpt_token_gen;	/* the module load it is of */
static pthread_once_t mpt_token_once = PTHREAD_ONCE_INIT;

/*
 * The calling thread's attachments to fast queues: its entry and token in
 * each ring it put or got in.  MPT_QIOC_ATTACH gives the same answer to a
 * thread every time, but takes global locks in the module: it is asked
 * once a thread and handle, not on every put or get.
 *
 * A handle has a place of its own in every thread's table, taken from
 * mpt_qatt_used when it is mapped and given back when it is unmapped, so
 * that a thread using up to MPT_QATT_MAX handles in any order finds each
 * at once and none pushes another out.  Past that many handles mapped at
 * once, the others share places (serial modulo MPT_QATT_MAX): a thread
 * alternating between two that share one attaches again at each switch
 * (the same entry and token; slower, never wrong).
 *
 * A place is keyed by the serial number of the handle, never reused in
 * the process: an entry left by an unmapped handle cannot be taken for a
 * new one that got the same place, or the same address.  A handle's
 * queue keeps the module loaded while it is mapped, so an entry cannot be
 * of an earlier load.  64 places of 16 bytes: 1 KiB a thread.
 */
#define MPT_QATT_MAX	64
struct mpt_qatt {
	uint64_t serial;	/* of the handle; 0: nobody's */
	uint32_t entry;
	uint32_t token;		/* 0: the module gave none: the ioctls */
};
static __thread struct mpt_qatt mpt_qatt[MPT_QATT_MAX];
static uint64_t mpt_qatt_used;	/* places of mapped handles, a bit each */
static uint64_t mpt_qserial;

/*
 * A child of fork() is another thread: it asks for a token of its own,
 * and attaches again.  Its handles and their places are the parent's.
 */
static void mpt_token_forget(void)
{
	mpt_token = 0;
	memset(mpt_qatt, 0, sizeof(mpt_qatt));
}

/* The token of the calling thread for @h, if it has one already. */
static uint64_t mpt_token_for(const struct mpt_lock_fast *h)
{
	/* A module loaded again has other tokens: ask again. */
	if (mpt_token_gen != h->page->token_gen)
		return 0;
	return mpt_token;
}

/*
 * How many times a fast queue's put or get looks again at a full or empty
 * slot before it sleeps: a put or get under way on another CPU usually
 * ends within that, and a sleep costs two system calls and a wake-up (an
 * adaptive mutex spins for the same reason).  0 with one CPU online.
 * Measured (make bench's VM, 2 CPUs): 200 makes a 1P/1C queue of 64 B
 * messages 4-6 times faster than sleeping at once, a ping-pong round trip
 * 20 times; 50 is half-way, 1000 and 5000 no better.
 *
 * Once a put or get has slept, it spins again only on a slot another is
 * writing (a get) or reading (a put): woken, and the message or room
 * gone to another that was not asleep, what it waits for next has not
 * begun, and a spin would hold the CPU its maker needs.  One producer
 * and sixteen consumers on 6.1: such spins saw a change 3 times in 100,
 * and without them the pool ran 3.1 times as fast; on 6.12 1.07, the
 * other queues and the ping-pong unchanged.
 */
static unsigned int mpt_qspins;

static void mpt_token_init(void)
{
	pthread_atfork(NULL, NULL, mpt_token_forget);
	mpt_qspins = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 200 : 0;
}

/* The calling thread's token, asked of the module on first use; or 0. */
static uint32_t mpt_thread_token(const struct mpt_lock_fast *h)
{
	uint64_t cached = mpt_token_for(h);
	__u32 tok = 0;

	if (cached)
		return cached == MPT_TOKEN_NONE ? 0 : (uint32_t)cached;
	pthread_once(&mpt_token_once, mpt_token_init);
	mpt_token_gen = h->page->token_gen;
	if (ioctl(h->fd, MPT_LIOC_TOKEN, &tok) < 0 || !tok) {
		/*
		 * EBADF is this descriptor's fault (not opened for
		 * writing), not the thread's: ask again with another.
		 * Anything else (ENOSPC: too many threads hold one) is for
		 * the thread's life.
		 */
		if (errno != EBADF)
			mpt_token = MPT_TOKEN_NONE;
		return 0;
	}
	mpt_token = tok;
	return tok;
}

int mpt_lock_fast_map(int lfd, struct mpt_lock_fast **out)
{
	struct mpt_lock_info li = { 0 };
	struct mpt_lock_fast *h;
	long psz = sysconf(_SC_PAGESIZE);
	void *p;

	*out = NULL;
	if (ioctl(lfd, MPT_LIOC_INFO, &li) < 0)
		return -errno;
	if (!(li.flags & MPT_LOCK_FAST))
		return -ENODEV;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	p = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, lfd, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		free(h);
		/* Opened for inspecting alone: it cannot be taken either. */
		return err == EACCES ? -EBADF : -err;
	}
	h->fd = lfd;
	h->kind = li.kind;
	h->page = p;
	h->len = psz;
	*out = h;
	return 0;
}

void mpt_lock_fast_unmap(struct mpt_lock_fast *h)
{
	if (!h)
		return;
	munmap(h->page, h->len);
	free(h);
}

/* An acquisition the word made, not the kernel: the owner counts it. */
static int mpt_lock_fast_got(struct mpt_lock_fast *h, __u64 word,
			     struct mpt_lock_acq *out)
{
	__u64 n = __atomic_load_n(&h->page->fast_acquisitions,
				  __ATOMIC_RELAXED);

	__atomic_store_n(&h->page->fast_acquisitions, n + 1, __ATOMIC_RELAXED);
	if (out) {
		memset(out, 0, sizeof(*out));
		out->count = (word & MPT_LOCKW_COUNT) / MPT_LOCKW_ONE;
	}
	return 0;
}

int mpt_lock_fast_acquire(struct mpt_lock_fast *h, long long timeout_ns,
			  struct mpt_lock_acq *out)
{
	__u64 *word = &h->page->word;
	uint32_t tok = mpt_thread_token(h);
	__u64 w = 0, nw;

	if (!tok)
		return mpt_lock_acquire(h->fd, timeout_ns, out);
	nw = tok | MPT_LOCKW_ONE;
	if (__atomic_compare_exchange_n(word, &w, nw, false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return mpt_lock_fast_got(h, nw, out);
	/* Free, a waiter woken to take it: whoever runs first has it. */
	if (w == MPT_LOCKW_WAITERS) {
		nw |= MPT_LOCKW_WAITERS;
		if (__atomic_compare_exchange_n(word, &w, nw, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return mpt_lock_fast_got(h, nw, out);
	}
	/*
	 * A recursive lock the caller holds in user space: one more.  A
	 * mutex it holds, a lock another holds, or one whose state the
	 * kernel keeps: the ioctl waits, refuses or reports.
	 */
	if (h->kind == MPT_LOCK_RECURSIVE && (w & MPT_LOCKW_TOKEN) == tok &&
	    !(w & MPT_LOCKW_KERNEL) && (w & MPT_LOCKW_COUNT) &&
	    (w & MPT_LOCKW_COUNT) != MPT_LOCKW_COUNT) {
		nw = w + MPT_LOCKW_ONE;
		if (__atomic_compare_exchange_n(word, &w, nw, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return mpt_lock_fast_got(h, nw, out);
	}
	return mpt_lock_acquire(h->fd, timeout_ns, out);
}

int mpt_lock_fast_release(struct mpt_lock_fast *h)
{
	__u64 *word = &h->page->word;
	__u64 w = __atomic_load_n(word, __ATOMIC_RELAXED), nw;
	uint64_t tok = mpt_token_for(h);

	/*
	 * Held in user space by this thread: one less, or free when nobody
	 * waits.  Freeing it for a waiter is the kernel's: it wakes one.
	 */
	if (tok && tok != MPT_TOKEN_NONE && (w & MPT_LOCKW_TOKEN) == tok &&
	    !(w & MPT_LOCKW_KERNEL) && (w & MPT_LOCKW_COUNT) &&
	    (w & (MPT_LOCKW_COUNT | MPT_LOCKW_WAITERS)) !=
	    (MPT_LOCKW_ONE | MPT_LOCKW_WAITERS)) {
		nw = (w & MPT_LOCKW_COUNT) > MPT_LOCKW_ONE ?
		     w - MPT_LOCKW_ONE : 0;
		if (__atomic_compare_exchange_n(word, &w, nw, false,
						__ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			return 0;
	}
	/* The kernel keeps it, a waiter came, or the caller is no owner. */
	return mpt_lock_release(h->fd);
}

static int mpt_lock_info_req(int fd, unsigned long req,
			     struct mpt_lock_info *li,
			     struct mpt_lwaiter *waiters, uint32_t *nwaiters)
{
	if (waiters && nwaiters) {
		li->waiters = (uintptr_t)waiters;
		li->waiters_max = *nwaiters;
	}
	if (ioctl(fd, req, li) < 0)
		return -errno;
	if (nwaiters)
		*nwaiters = waiters ? li->waiters_max : 0;
	return 0;
}

int mpt_lock_info(int lfd, struct mpt_lock_info *li,
		  struct mpt_lwaiter *waiters, uint32_t *nwaiters)
{
	memset(li, 0, sizeof(*li));
	return mpt_lock_info_req(lfd, MPT_LIOC_INFO, li, waiters, nwaiters);
}

int mpt_lock_info_name(int devfd, const char *name, struct mpt_lock_info *li,
		       struct mpt_lwaiter *waiters, uint32_t *nwaiters)
{
	memset(li, 0, sizeof(*li));
	if (mpt_set_name(li->name, name))
		return -EINVAL;
	return mpt_lock_info_req(devfd, MPT_IOC_LOCK_INFO, li, waiters,
				 nwaiters);
}

/* A list ioctl (MPT_IOC_QUEUES or MPT_IOC_LOCKS) into a growing array. */
static int mpt_dev_list(int devfd, unsigned long ioc, size_t size,
			uint32_t max, void **out, size_t *n)
{
	struct mpt_queues_req req = { .start = 0 };
	size_t have = 0, room = 0;
	char *v = NULL, *nv;

	do {
		if (room - have < 64) {
			room = room ? room * 2 : 64;
			nv = reallocarray(v, room, size);
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		req.buf = (uintptr_t)(v + have * size);
		req.count = room - have > max ? max : room - have;
		req.next = 0;
		if (ioctl(devfd, ioc, &req)) {
			free(v);
			return -errno;
		}
		have += req.count;
		req.start = req.next;
	} while (req.next);
	*out = v;
	*n = have;
	return 0;
}

int mpt_dev_get_queues(int devfd, struct mpt_queue_info **qs, size_t *n)
{
	return mpt_dev_list(devfd, MPT_IOC_QUEUES, sizeof(**qs),
			    MPT_QUEUE_LIST_MAX, (void **)qs, n);
}

int mpt_dev_get_locks(int devfd, struct mpt_lock_info **ls, size_t *n)
{
	return mpt_dev_list(devfd, MPT_IOC_LOCKS, sizeof(**ls),
			    MPT_LOCK_LIST_MAX, (void **)ls, n);
}

/*
 * Fast queues (linux/mptrace.h, "Fast queues"): messages go into and out
 * of the ring's slots here; the kernel is entered to sleep on a full or
 * empty ring and to wake sleepers.
 */
struct mpt_queue_fast {
	int fd;				/* not ours: the caller closes it */
	struct mpt_qring *ring;
	size_t len;			/* of the mapping */
	uint32_t capacity;
	uint32_t msgsize;
	uint32_t slot_size;
	char *slots;
	struct mpt_qentry *ents;
	uint64_t serial;		/* of this handle, in this process */
	unsigned int att;		/* its place in mpt_qatt[] */
	bool att_own;			/* ... its own, in mpt_qatt_used */
	int noline;			/* the module refused MPT_QFW_ONE */
};

/* The mapping's layout, as the module makes it (linux/mptrace.h). */
struct mpt_qf_layout {
	uint32_t slot_size;
	uint32_t entries_offset;
	uint32_t slots_offset;
	size_t size;
};

static void mpt_qf_layout(uint32_t capacity, uint32_t msgsize, size_t psz,
			  struct mpt_qf_layout *l)
{
	size_t ents = MPT_QRING_ENTRIES * sizeof(struct mpt_qentry);

	l->slot_size = sizeof(struct mpt_qslot) + ((msgsize + 7) & ~7U);
	l->entries_offset = psz;
	l->slots_offset = psz + (ents + psz - 1) / psz * psz;
	l->size = (l->slots_offset + (size_t)capacity * l->slot_size +
		   psz - 1) / psz * psz;
}

/* A place of its own in every thread's mpt_qatt[] for a new handle. */
static void mpt_qatt_take(struct mpt_queue_fast *h)
{
	uint64_t used = __atomic_load_n(&mpt_qatt_used, __ATOMIC_RELAXED);

	/* Nothing else is ordered by the bit: the serial keys the place. */
	while (~used) {
		h->att = __builtin_ctzll(~used);
		if (__atomic_compare_exchange_n(&mpt_qatt_used, &used,
						used | 1ULL << h->att, false,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			h->att_own = true;
			return;
		}
	}
	h->att = h->serial % MPT_QATT_MAX;
	h->att_own = false;
}

int mpt_queue_fast_map(int qfd, struct mpt_queue_fast **out)
{
	struct mpt_queue_info qi = { 0 };
	long psz = sysconf(_SC_PAGESIZE);
	const struct mpt_qring *r;
	struct mpt_queue_fast *h;
	struct mpt_qf_layout l;
	uint32_t ents_off, slots_off;
	uint64_t size;
	void *p;

	*out = NULL;
	if (ioctl(qfd, MPT_QIOC_INFO, &qi) < 0)
		return -errno;
	if (!(qi.flags & MPT_QUEUE_FAST))
		return -ENODEV;
	mpt_qf_layout(qi.capacity, qi.msgsize, psz, &l);
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	p = mmap(NULL, l.size, PROT_READ | PROT_WRITE, MAP_SHARED, qfd, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		free(h);
		/* Not opened for both reading and writing. */
		return err == EACCES ? -EBADF : -err;
	}
	/*
	 * Every sharer may write the header: each value is read once, and
	 * the handle uses it only if it is the module's layout.  Other
	 * offsets would point the copies outside the mapping.
	 */
	r = p;
	h->fd = qfd;
	h->ring = p;
	h->len = l.size;
	h->capacity = __atomic_load_n(&r->capacity, __ATOMIC_RELAXED);
	h->msgsize = __atomic_load_n(&r->msgsize, __ATOMIC_RELAXED);
	h->slot_size = __atomic_load_n(&r->slot_size, __ATOMIC_RELAXED);
	ents_off = __atomic_load_n(&r->entries_offset, __ATOMIC_RELAXED);
	slots_off = __atomic_load_n(&r->slots_offset, __ATOMIC_RELAXED);
	size = __atomic_load_n(&r->size, __ATOMIC_RELAXED);
	h->slots = (char *)p + slots_off;
	h->ents = (struct mpt_qentry *)((char *)p + ents_off);
	h->serial = __atomic_add_fetch(&mpt_qserial, 1, __ATOMIC_RELAXED);
	mpt_qatt_take(h);
	if (size != l.size || h->capacity != qi.capacity ||
	    h->msgsize != qi.msgsize || h->slot_size != l.slot_size ||
	    ents_off != l.entries_offset || slots_off != l.slots_offset) {
		mpt_queue_fast_unmap(h);
		return -EPROTO;
	}
	*out = h;
	return 0;
}

void mpt_queue_fast_unmap(struct mpt_queue_fast *h)
{
	if (!h)
		return;
	/* Threads' entries at the place stay, keyed by a serial now dead. */
	if (h->att_own)
		__atomic_fetch_and(&mpt_qatt_used, ~(1ULL << h->att),
				   __ATOMIC_RELAXED);
	munmap(h->ring, h->len);
	free(h);
}

/* Not at @h's place yet: ask the module, and keep its answer there. */
static struct mpt_qatt mpt_qf_attach_slow(const struct mpt_queue_fast *h)
{
	struct mpt_qatt *a = &mpt_qatt[h->att];
	struct mpt_qattach qa;

	pthread_once(&mpt_token_once, mpt_token_init);
	/*
	 * The same entry again if the thread had one: it keeps it until it
	 * ends.  None (ENOSPC: the ring's entries or the tokens ran out):
	 * the ioctls, for as long as the place is the handle's.
	 */
	if (ioctl(h->fd, MPT_QIOC_ATTACH, &qa) < 0)
		qa.entry = qa.token = 0;
	a->entry = qa.entry;
	a->token = qa.token;
	a->serial = h->serial;
	return *a;
}

/*
 * The calling thread's attachment to @h's queue; a token of 0: use the
 * ioctls.  A copy: a signal handler's put or get on a handle sharing the
 * place may fill it anew meanwhile.
 */
static inline struct mpt_qatt mpt_qf_attach(const struct mpt_queue_fast *h)
{
	const struct mpt_qatt *a = &mpt_qatt[h->att];

	if (__builtin_expect(a->serial == h->serial, 1))
		return *a;
	return mpt_qf_attach_slow(h);
}

/* The slot of position @pos, and its lap's bits for a state word. */
static struct mpt_qslot *mpt_qf_slot(const struct mpt_queue_fast *h,
				     uint64_t pos, uint64_t *lap)
{
	*lap = (pos / h->capacity) << MPT_QS_LAP_SHIFT;
	return (struct mpt_qslot *)(h->slots +
				    (size_t)(pos % h->capacity) * h->slot_size);
}

#if defined(__x86_64__) || defined(__i386__)
#define mpt_cpu_relax()	__builtin_ia32_pause()
#elif defined(__aarch64__)
#define mpt_cpu_relax()	__asm__ __volatile__("yield" ::: "memory")
#else
#define mpt_cpu_relax()	__asm__ __volatile__("" ::: "memory")
#endif

/*
 * Before a sleep: true when the state of @s changes from @st in a spin.
 * Once @w has slept, only while the slot is in phase @busy (another's put
 * or get under way; see mpt_qspins).
 */
static bool mpt_qf_spin(const struct mpt_qslot *s, uint64_t st,
			long long timeout_ns, const struct mpt_qfwait *w,
			uint64_t busy)
{
	unsigned int i;

	if (w->what && (st & MPT_QS_PHASE) != busy)
		return false;
	for (i = 0; timeout_ns && i < mpt_qspins; i++) {
		if (__atomic_load_n(&s->state, __ATOMIC_RELAXED) != st)
			return true;
		mpt_cpu_relax();
	}
	return false;
}

static uint64_t mpt_qf_lap_add(uint64_t lap, int64_t n)
{
	return (lap + ((uint64_t)n << MPT_QS_LAP_SHIFT)) & MPT_QS_LAP;
}

/*
 * After a store that may end a wait: wake the sleepers of @what (or the
 * pollers) if there are any.  The full barrier pairs with the sleeper's,
 * between its count and its last look at the slot.
 */
static void mpt_qf_wake(const struct mpt_queue_fast *h, uint32_t what)
{
	const __u32 *n = what == MPT_QW_PUT ? &h->ring->sleepers_put :
					      &h->ring->sleepers_get;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(n, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&h->ring->polled, __ATOMIC_RELAXED))
		ioctl(h->fd, MPT_QIOC_WAKE, (unsigned long)what);
}

/*
 * Sleep while the slot of @pos holds @state; the first wait of a put or
 * get sets up its deadline (*@flags) and counts it.  0: look again.
 * In line (MPT_QFW_ONE) unless the module is one from before the flag,
 * which refuses it as any flag it does not know (EINVAL): then as that
 * module knows, woken with every other sleeper, from then on.
 */
static int mpt_qf_wait(struct mpt_queue_fast *h, uint32_t what,
		       uint64_t pos, uint64_t state, long long timeout_ns,
		       struct mpt_qfwait *w)
{
	if (!timeout_ns)
		return -EAGAIN;
	if (!w->what) {
		w->what = what;
		w->flags = mpt_deadline(timeout_ns, &w->deadline_ns);
		if (!__atomic_load_n(&h->noline, __ATOMIC_RELAXED))
			w->flags |= MPT_QFW_ONE;
	} else {
		w->flags |= MPT_QFW_AGAIN;
	}
	w->pos = pos;
	w->state = state;
	if (!ioctl(h->fd, MPT_QIOC_WAIT, w))
		return 0;
	if (errno != EINVAL || !(w->flags & MPT_QFW_ONE))
		return -errno;
	__atomic_store_n(&h->noline, 1, __ATOMIC_RELAXED);
	w->flags &= ~MPT_QFW_ONE;
	return ioctl(h->fd, MPT_QIOC_WAIT, w) < 0 ? -errno : 0;
}

/* The putters' high-water mark, for a message put at @pos. */
static void mpt_qf_hwm(const struct mpt_queue_fast *h, uint64_t pos)
{
	uint64_t held = pos + 1 - __atomic_load_n(&h->ring->head,
						  __ATOMIC_RELAXED);
	__u32 old = __atomic_load_n(&h->ring->hwm, __ATOMIC_RELAXED);

	while (held <= h->capacity && held > old &&
	       !__atomic_compare_exchange_n(&h->ring->hwm, &old, held, false,
					    __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

int mpt_queue_fast_put(struct mpt_queue_fast *h, const void *buf,
		       size_t len, long long timeout_ns, uint64_t *seq)
{
	struct mpt_qring *r = h->ring;
	struct mpt_qatt a;
	struct mpt_qfwait w = { 0 };
	struct mpt_qslot *s;
	uint64_t pos, st, lap;
	int ret;

	if (len > h->msgsize)
		return -EMSGSIZE;
	a = mpt_qf_attach(h);
	if (!a.token)
		return mpt_queue_put(h->fd, buf, len, timeout_ns, seq);
	for (;;) {
		pos = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
		s = mpt_qf_slot(h, pos, &lap);
		st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		if (st == (lap | MPT_QS_EMPTY)) {
			__atomic_store_n(&h->ents[a.entry].pos, pos,
					 __ATOMIC_RELAXED);
			if (__atomic_compare_exchange_n(&s->state, &st,
					lap | MPT_QS_WRITING | a.token, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				break;
		} else if ((st & MPT_QS_LAP) == lap ||
			   st == (mpt_qf_lap_add(lap, 1) | MPT_QS_EMPTY)) {
			/* Claimed for this lap (or got already): move on. */
			__atomic_compare_exchange_n(&r->tail, &pos, pos + 1,
						    false, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED);
		} else if ((st & MPT_QS_LAP) == mpt_qf_lap_add(lap, -1) &&
			   (st & MPT_QS_PHASE) != MPT_QS_EMPTY) {
			/* The message of the lap before is still there: full. */
			if (mpt_qf_spin(s, st, timeout_ns, &w, MPT_QS_READING))
				continue;
			ret = mpt_qf_wait(h, MPT_QW_PUT, pos, st, timeout_ns,
					  &w);
			if (ret)
				return ret;
		}
	}
	__atomic_compare_exchange_n(&r->tail, &pos, pos + 1, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	memcpy(s + 1, buf, len);
	__atomic_store_n(&s->len, len, __ATOMIC_RELAXED);
	__atomic_store_n(&s->state, lap | MPT_QS_FULL, __ATOMIC_RELEASE);
	mpt_qf_hwm(h, pos);
	mpt_qf_wake(h, MPT_QW_GET);
	if (seq)
		*seq = pos + 1;
	return 0;
}

ssize_t mpt_queue_fast_get(struct mpt_queue_fast *h, void *buf, size_t len,
			   long long timeout_ns, uint32_t flags, uint64_t *seq)
{
	struct mpt_qatt a = { .token = 0 };
	struct mpt_qring *r = h->ring;
	struct mpt_qfwait w = { 0 };
	struct mpt_qentry *en;
	struct mpt_qslot *s;
	uint64_t pos, st, lap, gets;
	uint32_t mlen;
	bool skip;
	int ret;

	/*
	 * DETACHED or 0, as documented, whichever path the get takes: the
	 * ioctl would honour NOWAIT and TIMEOUT (against @timeout_ns) and
	 * refuse others, the ring would ignore them.
	 */
	if (flags & ~MPT_QMSG_DETACHED)
		return -EINVAL;
	/* Detached items are the kernel's to count. */
	if (!(flags & MPT_QMSG_DETACHED))
		a = mpt_qf_attach(h);
	if (!a.token)
		return mpt_queue_get(h->fd, buf, len, timeout_ns, flags, seq);
	en = &h->ents[a.entry];
	for (;;) {
		pos = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
		s = mpt_qf_slot(h, pos, &lap);
		st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		if (st == (lap | MPT_QS_FULL)) {
			mlen = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
			skip = mlen > h->msgsize;
			if (!skip && mlen > len) {
				/*
				 * Only if @mlen is of the message seen: the
				 * slot may have been got and filled again
				 * since, for a later lap.  The fence keeps
				 * the load of @len before the second look.
				 */
				__atomic_thread_fence(__ATOMIC_ACQUIRE);
				if (__atomic_load_n(&s->state,
						    __ATOMIC_ACQUIRE) != st)
					continue;
				/* Perhaps woken in line for it: pass it on. */
				mpt_qf_wake(h, MPT_QW_GET);
				return -EMSGSIZE;
			}
			gets = __atomic_load_n(&en->word, __ATOMIC_RELAXED) &
			       MPT_QE_GETS;
			__atomic_store_n(&en->pos, pos, __ATOMIC_RELAXED);
			__atomic_store_n(&en->word, gets | MPT_QE_BUSY,
					 __ATOMIC_RELAXED);
			if (!__atomic_compare_exchange_n(&s->state, &st,
					lap | MPT_QS_READING | a.token, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
				__atomic_store_n(&en->word, gets,
						 __ATOMIC_RELAXED);
				continue;
			}
			__atomic_compare_exchange_n(&r->head, &pos, pos + 1,
						    false, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED);
			if (!skip)
				memcpy(buf, s + 1, mlen);
			/* The item is the process's now, in flight. */
			__atomic_store_n(&en->word, gets + !skip,
					 __ATOMIC_RELEASE);
			__atomic_store_n(&s->state,
					 mpt_qf_lap_add(lap, 1) | MPT_QS_EMPTY,
					 __ATOMIC_RELEASE);
			mpt_qf_wake(h, MPT_QW_PUT);
			if (skip)
				continue;
			if (seq)
				*seq = pos + 1;
			return mlen;
		}
		if (((st & MPT_QS_LAP) == lap &&
		     (st & MPT_QS_PHASE) == MPT_QS_READING &&
		     (st & MPT_QS_TOKEN)) ||
		    st == (mpt_qf_lap_add(lap, 1) | MPT_QS_EMPTY)) {
			/* Got by another: move on. */
			__atomic_compare_exchange_n(&r->head, &pos, pos + 1,
						    false, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED);
		} else if ((st & MPT_QS_LAP) == lap) {
			/* Empty, being written, or held by the kernel. */
			if (mpt_qf_spin(s, st, timeout_ns, &w, MPT_QS_WRITING))
				continue;
			ret = mpt_qf_wait(h, MPT_QW_GET, pos, st, timeout_ns,
					  &w);
			if (ret)
				return ret;
		}
	}
}
