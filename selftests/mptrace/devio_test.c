// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mptrace at its edges: a ring resized while records wait, reads
 * into buffers too small or not there, an exec whose path the record
 * cuts, processes that predate the module (after a reload), the
 * filter's pid at its bounds, and closes that do not wait.  Each reader
 * follows one process of the test (MPT_IOC_FILTER_SET), so that exactly
 * the records the test made arrive, whatever else runs.
 */
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "mpt_helpers.h"

/* The kernel's PID_MAX_LIMIT (include/linux/threads.h), !BASE_SMALL. */
#define PID_LIMIT	(sizeof(long) > 4 ? 4 * 1024 * 1024 : 32768)

#define FORK_SIZE	sizeof(struct mpt_event_fork)
#define EXIT_SIZE	sizeof(struct mpt_event_exit)
#define EV(t)		(1U << (t))

/*
 * Close every descriptor but stdio, @a and @b: a child the test holds
 * must keep no other child's pipe (nor /dev/mptrace) open, so that each
 * ends when the test does.
 */
static void keep_only(int a, int b)
{
	for (int i = 3; i < 1024; i++)
		if (i != a && i != b)
			close(i);
}

/*
 * Fork a child that waits until *@go is written to, then ends with
 * @fn(@arg) (with 120 if the test went away first).  @keep: another
 * descriptor the child keeps, or -1.
 */
static pid_t hold(int *go, int (*fn)(void *), void *arg, int keep)
{
	pid_t pid = mpt_fork_go(go);

	if (pid == 0) {
		keep_only(*go, keep);
		_exit(mpt_wait_go(*go) ? fn(arg) : 120);
	}
	return pid;
}

/* Let @pid go on, and reap it: its wait status, or -1. */
static int let_go(pid_t pid, int go)
{
	int status;

	if (write(go, "g", 1) != 1)
		return -1;
	close(go);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static int end_now(void *arg)
{
	(void)arg;
	return 0;
}

struct forker {
	int report;	/* each grandchild's pid is written here */
	int n;
};

/* Fork @n children one after the other, reap each, end with 3. */
static int forker_fn(void *arg)
{
	const struct forker *k = arg;

	for (int i = 0; i < k->n; i++) {
		pid_t g = fork();

		if (g < 0)
			return 10;
		if (g == 0)
			_exit(0);
		if (waitpid(g, NULL, 0) != g)
			return 11;
		if (write(k->report, &g, sizeof(g)) != sizeof(g))
			return 12;
	}
	return 3;
}

/*
 * A held child that, let go, forks @n children and ends with 3: its
 * events are @n FORKs and its EXIT.  *@report gives the children's pids.
 */
static pid_t start_forker(int n, int *go, int *report)
{
	struct forker k = { .n = n };
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	k.report = p[1];
	pid = hold(go, forker_fn, &k, p[1]);
	close(p[1]);
	*report = p[0];
	return pid;
}

static int set_filter(int fd, __u32 types, __u32 flags, __u32 pid)
{
	struct mpt_filter f = { .types = types, .flags = flags, .pid = pid };

	return ioctl(fd, MPT_IOC_FILTER_SET, &f) ? -errno : 0;
}

static int ring_set(int fd, __u32 slots)
{
	struct mpt_ring_conf conf = { .slots = slots };

	return ioctl(fd, MPT_IOC_RING_SET, &conf) ? -errno : 0;
}

static struct mpt_ring_conf ring_get(int fd)
{
	struct mpt_ring_conf conf;

	memset(&conf, 0xa5, sizeof(conf));
	if (ioctl(fd, MPT_IOC_RING_GET, &conf))
		memset(&conf, 0xff, sizeof(conf));
	return conf;
}

/*
 * A non-blocking reader of @pid's events of @types, subscribed with a
 * ring of @slots (the filter first: nothing else gets in).
 */
static int reader(pid_t pid, __u32 types, __u32 slots)
{
	int fd = open(MPT_DEVICE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = set_filter(fd, types, 0, pid);
	if (!ret)
		ret = ring_set(fd, slots);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

FIXTURE(devio) {
	long page;
};

FIXTURE_SETUP(devio)
{
	if (!mpt_loaded())
		SKIP(return, "mptrace.ko is not loaded");
	self->page = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(devio)
{
}

/* Voluntary context switches of the calling thread so far, or -1. */
static long voluntary_switches(void)
{
	FILE *f = fopen("/proc/thread-self/status", "re");
	char line[128];
	long n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

#define CLOSERS	64

/*
 * Closing a subscribed reader does not wait for the probes that may
 * still push into its ring (a grace period, a sleep, each): 64 closes
 * in a row sleep far fewer than 64 times.  The rings' memory is given
 * back at once all the same.
 */
TEST_F(devio, close_without_waiting)
{
	int64_t bytes = mpt_stat_now(MPT_STATS_A_RING_BYTES);
	long before, after;
	int fd[CLOSERS];

	ASSERT_LE(0, bytes);
	for (int i = 0; i < CLOSERS; i++) {
		/* Deadlocks of this process only: none comes. */
		fd[i] = reader(getpid(), EV(MPT_EV_DEADLOCK),
			       MPT_RING_MIN_SLOTS);
		ASSERT_LE(0, fd[i]) TH_LOG("reader %d: %s", i, strerror(-fd[i]));
	}
	EXPECT_EQ(bytes + CLOSERS * MPT_RING_MIN_SLOTS * MPT_EVENT_MAX_SIZE,
		  mpt_stat_now(MPT_STATS_A_RING_BYTES));
	before = voluntary_switches();
	ASSERT_LE(0, before);
	for (int i = 0; i < CLOSERS; i++)
		ASSERT_EQ(0, close(fd[i]));
	after = voluntary_switches();
	EXPECT_GT(CLOSERS / 8, after - before)
		TH_LOG("%ld sleeps in %d closes", after - before, CLOSERS);
	/* Moved to the rings waiting to be freed, which empty soon. */
	EXPECT_EQ(bytes, mpt_stat_now(MPT_STATS_A_RING_BYTES));
	EXPECT_EQ(0, mpt_ring_closing_settled());
}

/*
 * RING_SET on a ring with records waiting fails with EBUSY and leaves
 * the ring as it was (size, records, memory); once they are read, it
 * resizes.
 */
TEST_F(devio, ring_set_busy)
{
	static const __u32 sizes[] = { MPT_RING_MIN_SLOTS, 64, 128, 4096 };
	struct mpt_ring_conf conf;
	union mpt_rec r[2];
	int fd, go, rep, status;
	int64_t bytes;
	pid_t child, g;

	child = start_forker(1, &go, &rep);
	ASSERT_LT(0, child);
	fd = reader(child, EV(MPT_EV_FORK) | EV(MPT_EV_EXIT), 64);
	ASSERT_LE(0, fd) TH_LOG("reader: %s", strerror(-fd));
	status = let_go(child, go);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(3, WEXITSTATUS(status));
	ASSERT_EQ(sizeof(g), read(rep, &g, sizeof(g)));
	close(rep);

	/* Its FORK and its EXIT wait (both made before waitpid returned). */
	conf = ring_get(fd);
	ASSERT_EQ(64, conf.slots);
	ASSERT_EQ(2, conf.used);
	EXPECT_EQ(0, conf.lost);
	bytes = mpt_stat_now(MPT_STATS_A_RING_BYTES);
	ASSERT_LE(64 * MPT_EVENT_MAX_SIZE, bytes);

	/* Larger, smaller, the same: busy, and nothing changed. */
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		EXPECT_EQ(-EBUSY, ring_set(fd, sizes[i]))
			TH_LOG("slots %u", sizes[i]);
	}
	conf = ring_get(fd);
	EXPECT_EQ(64, conf.slots);
	EXPECT_EQ(2, conf.used);
	EXPECT_EQ(0, conf.lost);
	EXPECT_EQ(bytes, mpt_stat_now(MPT_STATS_A_RING_BYTES));

	/* The records are intact: one read, one still waits, still busy. */
	ASSERT_EQ(FORK_SIZE, read(fd, &r[0], FORK_SIZE));
	EXPECT_EQ(MPT_EV_FORK, r[0].hdr.type);
	EXPECT_EQ(g, r[0].fork.task.pid);
	EXPECT_EQ(child, r[0].fork.parent_pid);
	EXPECT_EQ(-EBUSY, ring_set(fd, 128));
	conf = ring_get(fd);
	EXPECT_EQ(64, conf.slots);
	EXPECT_EQ(1, conf.used);

	ASSERT_EQ(EXIT_SIZE, read(fd, &r[1], sizeof(r[1])));
	EXPECT_EQ(MPT_EV_EXIT, r[1].hdr.type);
	EXPECT_EQ(child, r[1].exit.task.pid);
	EXPECT_EQ(status, r[1].exit.status);
	EXPECT_LT(r[0].hdr.seq, r[1].hdr.seq);

	/* Nothing waits: now it resizes, and the memory follows. */
	ASSERT_EQ(0, ring_set(fd, 128));
	conf = ring_get(fd);
	EXPECT_EQ(128, conf.slots);
	EXPECT_EQ(0, conf.used);
	EXPECT_EQ(0, conf.lost);
	EXPECT_EQ(bytes + 64 * MPT_EVENT_MAX_SIZE,
		  mpt_stat_now(MPT_STATS_A_RING_BYTES));
	close(fd);
}

#define BURST	20

/*
 * A full ring with losses counted is busy too, and so is one where only
 * the LOST record waits; the resize keeps the count of losses.
 */
TEST_F(devio, ring_set_busy_lost)
{
	union mpt_rec *r = calloc(BURST + 8, sizeof(*r));
	pid_t child, g[BURST];
	struct mpt_ring_conf conf;
	int fd, go, rep, status;

	ASSERT_NE(NULL, r);
	child = start_forker(BURST, &go, &rep);
	ASSERT_LT(0, child);
	fd = reader(child, EV(MPT_EV_FORK), MPT_RING_MIN_SLOTS);
	ASSERT_LE(0, fd) TH_LOG("reader: %s", strerror(-fd));
	status = let_go(child, go);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(3, WEXITSTATUS(status));
	ASSERT_EQ(sizeof(g), read(rep, g, sizeof(g)));
	close(rep);

	/* BURST forks into 16 slots: 16 wait, the rest were lost. */
	conf = ring_get(fd);
	ASSERT_EQ(MPT_RING_MIN_SLOTS, conf.slots);
	ASSERT_EQ(MPT_RING_MIN_SLOTS, conf.used);
	ASSERT_EQ(BURST - MPT_RING_MIN_SLOTS, conf.lost);
	EXPECT_EQ(-EBUSY, ring_set(fd, 2 * MPT_RING_MIN_SLOTS));
	EXPECT_EQ(-EBUSY, ring_set(fd, MPT_RING_MIN_SLOTS));
	conf = ring_get(fd);
	EXPECT_EQ(MPT_RING_MIN_SLOTS, conf.slots);
	EXPECT_EQ(MPT_RING_MIN_SLOTS, conf.used);
	EXPECT_EQ(BURST - MPT_RING_MIN_SLOTS, conf.lost);

	/* The 16 FORKs, the first children's, in order. */
	ASSERT_EQ(MPT_RING_MIN_SLOTS * FORK_SIZE,
		  read(fd, r, MPT_RING_MIN_SLOTS * FORK_SIZE));
	for (int i = 0; i < MPT_RING_MIN_SLOTS; i++) {
		const union mpt_rec *f = (const void *)((char *)r + i * FORK_SIZE);

		EXPECT_EQ(MPT_EV_FORK, f->hdr.type);
		EXPECT_EQ(g[i], f->fork.task.pid) TH_LOG("record %d", i);
	}

	/* Only the LOST record waits now: still a record, still busy. */
	EXPECT_EQ(-EBUSY, ring_set(fd, 2 * MPT_RING_MIN_SLOTS));
	conf = ring_get(fd);
	EXPECT_EQ(MPT_RING_MIN_SLOTS, conf.slots);
	EXPECT_EQ(1, conf.used);
	ASSERT_EQ(sizeof(r->lost), read(fd, r, MPT_EVENT_MAX_SIZE));
	EXPECT_EQ(MPT_EV_LOST, r->hdr.type);
	EXPECT_EQ(BURST - MPT_RING_MIN_SLOTS, r->lost.count);

	ASSERT_EQ(0, ring_set(fd, 2 * MPT_RING_MIN_SLOTS));
	conf = ring_get(fd);
	EXPECT_EQ(2 * MPT_RING_MIN_SLOTS, conf.slots);
	EXPECT_EQ(0, conf.used);
	/* "missed since it opened": a resize does not forget them. */
	EXPECT_EQ(BURST - MPT_RING_MIN_SLOTS, conf.lost);
	close(fd);
	free(r);
}

/* A held child that forks once: a reader of its FORK and EXIT. */
static pid_t fork_and_exit(struct __test_metadata *_metadata, int *fd,
			   int nfd, pid_t *g, int *status)
{
	int go, rep;
	pid_t child;

	child = start_forker(1, &go, &rep);
	if (child <= 0)
		return -1;
	for (int i = 0; i < nfd; i++) {
		fd[i] = reader(child, EV(MPT_EV_FORK) | EV(MPT_EV_EXIT), 64);
		EXPECT_LE(0, fd[i]) TH_LOG("reader: %s", strerror(-fd[i]));
	}
	*status = let_go(child, go);
	EXPECT_TRUE(WIFEXITED(*status));
	if (read(rep, g, sizeof(*g)) != sizeof(*g))
		*g = -1;
	close(rep);
	return child;
}

/*
 * A buffer smaller than the next record fails with EINVAL and takes
 * nothing; a buffer that holds one record and part of the next returns
 * the one, whole.
 */
TEST_F(devio, read_small_buffer)
{
	union mpt_rec r[2];
	int fd, status;
	pid_t child, g;

	child = fork_and_exit(_metadata, &fd, 1, &g, &status);
	ASSERT_LT(0, child);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, g);
	ASSERT_EQ(2, ring_get(fd).used);

	for (size_t len = 1; len < FORK_SIZE; len++) {
		errno = 0;
		EXPECT_EQ(-1, read(fd, r, len)) TH_LOG("len %zu", len);
		EXPECT_EQ(EINVAL, errno) TH_LOG("len %zu", len);
	}
	EXPECT_EQ(2, ring_get(fd).used);

	ASSERT_EQ(FORK_SIZE, read(fd, r, FORK_SIZE + EXIT_SIZE - 1));
	EXPECT_EQ(MPT_EV_FORK, r[0].hdr.type);
	EXPECT_EQ(g, r[0].fork.task.pid);
	EXPECT_EQ(child, r[0].fork.parent_pid);
	EXPECT_EQ(1, ring_get(fd).used);

	errno = 0;
	EXPECT_EQ(-1, read(fd, &r[1], EXIT_SIZE - 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(EXIT_SIZE, read(fd, &r[1], sizeof(r[1])));
	EXPECT_EQ(MPT_EV_EXIT, r[1].hdr.type);
	EXPECT_EQ(child, r[1].exit.task.pid);
	EXPECT_EQ(status, r[1].exit.status);
	EXPECT_LT(r[0].hdr.seq, r[1].hdr.seq);

	/* Each came once. */
	errno = 0;
	EXPECT_EQ(-1, read(fd, r, sizeof(r)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, ring_get(fd).lost);
	close(fd);
}

/*
 * A fault loses nothing: after reads into no memory, read-only memory,
 * and a buffer whose second record runs off the mapping, the reader gets
 * each record once, byte for byte what a second reader got.
 */
TEST_F(devio, read_fault)
{
	union mpt_rec ref[2], r;
	char *ro, *two, *edge;
	void *gone;
	int fd[2], status;
	pid_t child, g;

	child = fork_and_exit(_metadata, fd, 2, &g, &status);
	ASSERT_LT(0, child);
	ASSERT_LE(0, fd[0]);
	ASSERT_LE(0, fd[1]);

	/* The reference: the other reader's two records. */
	ASSERT_EQ(FORK_SIZE + EXIT_SIZE, read(fd[1], ref, sizeof(ref)));
	ASSERT_EQ(MPT_EV_FORK, ref[0].hdr.type);
	ASSERT_EQ(g, ref[0].fork.task.pid);
	memmove(&ref[1], (char *)ref + FORK_SIZE, EXIT_SIZE);
	ASSERT_EQ(MPT_EV_EXIT, ref[1].hdr.type);
	ASSERT_EQ(child, ref[1].exit.task.pid);

	errno = 0;	/* raw: read() of NULL does not compile */
	EXPECT_EQ(-1, syscall(__NR_read, fd[0], NULL, MPT_EVENT_MAX_SIZE));
	EXPECT_EQ(EFAULT, errno);

	gone = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, self->page));
	errno = 0;
	EXPECT_EQ(-1, read(fd[0], gone, MPT_EVENT_MAX_SIZE));
	EXPECT_EQ(EFAULT, errno);

	ro = mmap(NULL, self->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	errno = 0;
	EXPECT_EQ(-1, read(fd[0], ro, MPT_EVENT_MAX_SIZE));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, self->page);
	EXPECT_EQ(2, ring_get(fd[0]).used);

	/* Room for the first record, the second runs off the end. */
	two = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, munmap(two + self->page, self->page));
	edge = two + self->page - FORK_SIZE - 8;
	ASSERT_EQ(FORK_SIZE, read(fd[0], edge, MPT_EVENT_MAX_SIZE));
	memcpy(&r, edge, FORK_SIZE);
	munmap(two, self->page);
	EXPECT_EQ(ref[0].hdr.seq, r.hdr.seq);
	EXPECT_EQ(0, memcmp(&ref[0], &r, FORK_SIZE));
	EXPECT_EQ(1, ring_get(fd[0]).used);

	/* The record that faulted comes whole on the next good read. */
	ASSERT_EQ(EXIT_SIZE, read(fd[0], &r, sizeof(r)));
	EXPECT_EQ(ref[1].hdr.seq, r.hdr.seq);
	EXPECT_EQ(0, memcmp(&ref[1], &r, EXIT_SIZE));
	EXPECT_EQ(0, ring_get(fd[0]).used);
	EXPECT_EQ(0, ring_get(fd[0]).lost);
	close(fd[0]);
	close(fd[1]);
}

/*
 * A path of exactly @len bytes that names /bin/true:
 * "/././.../bin/true", or "//./.../bin/true" for an even length.
 */
static void true_path(char *buf, size_t len)
{
	size_t n = 0;

	buf[n++] = '/';
	if (len % 2 == 0)
		buf[n++] = '/';
	while (n < len - strlen("bin/true")) {
		buf[n++] = '.';
		buf[n++] = '/';
	}
	memcpy(buf + n, "bin/true", sizeof("bin/true"));
}

static int exec_fn(void *arg)
{
	execl(arg, "true", (char *)NULL);
	return 127;
}

/* The EXEC record of a child that execs @path. */
static int exec_record(const char *path, union mpt_rec *r)
{
	int fd, go, status;
	pid_t child;
	ssize_t n;

	child = hold(&go, exec_fn, (void *)path, -1);
	if (child < 0)
		return -1;
	fd = reader(child, EV(MPT_EV_EXEC), MPT_RING_MIN_SLOTS);
	status = let_go(child, go);
	if (fd < 0)
		return -2;
	if (status != 0) {
		close(fd);
		return -3;
	}
	n = read(fd, r, sizeof(*r));
	/* Exactly one record, about the child. */
	if (n != sizeof(r->exec) || r->hdr.type != MPT_EV_EXEC ||
	    r->exec.task.pid != (__u32)child || ring_get(fd).used) {
		close(fd);
		return -4;
	}
	close(fd);
	return 0;
}

/*
 * The filename field holds MPT_FILENAME_LEN - 1 bytes: a longer path is
 * cut to exactly that, its start, and flagged MPT_EXEC_TRUNCATED; one
 * that fits comes whole and unflagged.
 */
TEST_F(devio, exec_truncated)
{
	static const size_t lens[] = {
		9, MPT_FILENAME_LEN - 2, MPT_FILENAME_LEN - 1,
		MPT_FILENAME_LEN, MPT_FILENAME_LEN + 1, 3 * MPT_FILENAME_LEN,
	};
	char path[4 * MPT_FILENAME_LEN];
	union mpt_rec r;

	if (access("/bin/true", X_OK))
		SKIP(return, "no /bin/true to exec");
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		size_t len = lens[i];

		true_path(path, len);
		ASSERT_EQ(len, strlen(path));
		ASSERT_EQ(0, access(path, X_OK)) TH_LOG("%s", path);
		memset(&r, 0, sizeof(r));
		ASSERT_EQ(0, exec_record(path, &r)) TH_LOG("len %zu", len);
		EXPECT_STREQ("true", r.exec.task.comm);
		ASSERT_NE(NULL, memchr(r.exec.filename, '\0',
				       sizeof(r.exec.filename)));
		if (len <= MPT_FILENAME_LEN - 1) {
			EXPECT_EQ(0, r.exec.flags) TH_LOG("len %zu", len);
			EXPECT_STREQ(path, r.exec.filename);
		} else {
			EXPECT_EQ(MPT_EXEC_TRUNCATED, r.exec.flags)
				TH_LOG("len %zu", len);
			EXPECT_EQ(MPT_FILENAME_LEN - 1,
				  strlen(r.exec.filename)) TH_LOG("len %zu", len);
			EXPECT_EQ(0, strncmp(path, r.exec.filename,
					     MPT_FILENAME_LEN - 1));
		}
	}
}

/*
 * The filter's pid at the bound the header gives: PID_MAX_LIMIT itself
 * names no process (ESRCH), one more is malformed (EINVAL).
 */
TEST_F(devio, filter_pid_limit)
{
	int fd = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(-1, kill(PID_LIMIT, 0));
	EXPECT_EQ(ESRCH, errno);
	EXPECT_EQ(-ESRCH, set_filter(fd, 0, 0, PID_LIMIT));
	EXPECT_EQ(-ESRCH, set_filter(fd, 0, MPT_FILTER_SUBTREE, PID_LIMIT));
	EXPECT_EQ(-EINVAL, set_filter(fd, 0, 0, PID_LIMIT + 1));
	EXPECT_EQ(-EINVAL, set_filter(fd, 0, MPT_FILTER_SUBTREE,
				      PID_LIMIT + 1));
	close(fd);
}

/* A zombie is still a process; once reaped, its pid names none. */
TEST_F(devio, filter_pid_reaped)
{
	int fd = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	pid_t pid;

	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	ASSERT_TRUE(mpt_await_state(pid, 'Z'));
	EXPECT_EQ(0, kill(pid, 0));
	EXPECT_EQ(0, set_filter(fd, 0, 0, pid));
	EXPECT_EQ(0, set_filter(fd, 0, MPT_FILTER_SUBTREE, pid));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	errno = 0;
	EXPECT_EQ(-1, kill(pid, 0));
	EXPECT_EQ(ESRCH, errno);
	EXPECT_EQ(-ESRCH, set_filter(fd, 0, 0, pid));
	close(fd);
}

/* In the init of a new pid namespace: @outer is not there. */
static int ns_init_filters(pid_t outer)
{
	int fd = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 11;
	if (getpid() != 1)
		return 12;
	if (!kill(outer, 0) || errno != ESRCH)	/* the truth */
		return 13;
	if (set_filter(fd, 0, 0, outer) != -ESRCH)
		return 14;
	if (set_filter(fd, 0, MPT_FILTER_SUBTREE, outer) != -ESRCH)
		return 15;
	if (set_filter(fd, 0, MPT_FILTER_SUBTREE, 1))
		return 16;
	return 0;
}

/*
 * The pid is the opener's pid namespace's: a live process outside it is
 * named by no pid there.
 */
TEST_F(devio, filter_pid_other_ns)
{
	pid_t outer = getpid(), mid;
	int status;

	if (geteuid() != 0)
		SKIP(return, "needs root to make a pid namespace");
	mid = fork();
	ASSERT_LE(0, mid);
	if (mid == 0) {
		pid_t init;

		if (unshare(CLONE_NEWPID))
			_exit(errno == EPERM || errno == EINVAL ? 99 : 20);
		init = fork();
		if (init == 0)
			_exit(ns_init_filters(outer));
		if (init < 0 || waitpid(init, &status, 0) != init)
			_exit(21);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 22);
	}
	ASSERT_EQ(mid, waitpid(mid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 99)
		SKIP(return, "pid namespaces are not available");
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("step %d failed",
						 WEXITSTATUS(status));
}

#define MAXP	8192
#define MAXR	4096

FIXTURE(reload) {
	struct mpt_proc *v;
	union mpt_rec *recs;
	int nrecs;
};

FIXTURE_SETUP(reload)
{
	struct mpt_version ver;
	int fd;

	if (geteuid() != 0)
		SKIP(return, "reloading the module needs root");
	if (!mpt_ko_path())
		SKIP(return, "no module file: set MPTRACE_KO");
	if (!mpt_loaded())
		ASSERT_EQ(0, mpt_load());
	fd = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MPT_IOC_VERSION, &ver));
	close(fd);
	if (!(ver.features & MPT_FEAT_PROCS) || !(ver.features & MPT_FEAT_REAP))
		SKIP(return, "no process table or reap events on this kernel");
	self->v = calloc(MAXP, sizeof(*self->v));
	self->recs = calloc(MAXR, sizeof(*self->recs));
	ASSERT_NE(NULL, self->v);
	ASSERT_NE(NULL, self->recs);
}

/* Whatever the test did, leave the module loaded for the next one. */
FIXTURE_TEARDOWN(reload)
{
	if (geteuid() == 0 && mpt_ko_path() && !mpt_loaded())
		EXPECT_EQ(0, mpt_load());
	free(self->v);
	free(self->recs);
}

/* Append what waits on @fd to the fixture's records. */
static void drain(int fd, union mpt_rec *recs, int *n)
{
	char buf[16 * MPT_EVENT_MAX_SIZE];
	ssize_t len;

	while ((len = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < len && *n < MAXR;) {
			const union mpt_rec *r = (const void *)(buf + off);

			memcpy(&recs[(*n)++], r, r->hdr.size);
			off += r->hdr.size;
		}
	}
}

/* The record of @type about process @pid (LOST records aside). */
static const union mpt_rec *find(const union mpt_rec *recs, int n, int type,
			     pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (recs[i].hdr.type == type && type != MPT_EV_LOST &&
		    recs[i].fork.task.pid == (__u32)pid)
			return &recs[i];
	return NULL;
}

/*
 * A parent P and its child G, both held: let P go (*@go_p) and G is
 * orphaned; let G go (*@go_g) and it ends.  Returns P.
 */
static pid_t family(int *go_p, int *go_g, pid_t *g)
{
	int pp[2], gp[2], up[2];
	pid_t p;
	char c;

	if (pipe(pp) || pipe(gp) || pipe(up))
		return -1;
	p = fork();
	if (p == 0) {
		pid_t k = fork();

		if (k == 0) {
			keep_only(gp[0], -1);
			_exit(read(gp[0], &c, 1) == 1 ? 0 : 120);
		}
		if (k < 0 || write(up[1], &k, sizeof(k)) != sizeof(k))
			_exit(1);
		keep_only(pp[0], -1);
		_exit(read(pp[0], &c, 1) == 1 ? 0 : 120);
	}
	close(pp[0]);
	close(gp[0]);
	close(up[1]);
	if (p < 0 || read(up[0], g, sizeof(*g)) != sizeof(*g))
		p = -1;
	close(up[0]);
	*go_p = pp[1];
	*go_g = gp[1];
	return p;
}

/*
 * After a reload, what the module says of processes that predate it:
 * MPT_PROC_HISTORY_UNKNOWN in the table (not for a child forked after),
 * MPT_REAP_ZOMBIE_UNKNOWN when a zombie from before is reaped (not for
 * one that was alive at the load), MPT_ORPHAN_HISTORY_UNKNOWN when a
 * process from before is orphaned, orig_ppid being the parent it had at
 * the load (not for a family born after).
 */
TEST_F_TIMEOUT(reload, history_unknown, 300)
{
	int go_old, go_young, go_p, go_g, go_p2, go_g2, fd, status, ppid;
	pid_t me = getpid(), old, zombie, p, g, young, p2, g2;
	const struct mpt_proc *e;
	const union mpt_rec *r;
	__u64 t0;
	int64_t loaded;
	size_t n;

	/* Before: a live child, a zombie, a parent with a child. */
	old = hold(&go_old, end_now, NULL, -1);
	ASSERT_LT(0, old);
	zombie = fork();
	ASSERT_LE(0, zombie);
	if (zombie == 0)
		_exit(5);
	p = family(&go_p, &go_g, &g);
	ASSERT_LT(0, p);
	ASSERT_TRUE(mpt_await_state(zombie, 'Z'));

	t0 = mpt_boottime_ns();
	ASSERT_EQ(0, mpt_unload());
	ASSERT_EQ(0, mpt_load());
	loaded = mpt_stat_now(MPT_STATS_A_LOADED_NS);
	ASSERT_LT(0, loaded);
	EXPECT_LE(t0, (__u64)loaded);

	/* Every user's events: a reader of them all. */
	fd = open(MPT_DEVICE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ring_set(fd, MAXR));

	/* After: a live child, a parent with a child. */
	young = hold(&go_young, end_now, NULL, -1);
	ASSERT_LT(0, young);
	p2 = family(&go_p2, &go_g2, &g2);
	ASSERT_LT(0, p2);

	ASSERT_EQ(0, mpt_procs(fd, self->v, MAXP, &n, 256));
	e = mpt_proc_lookup(self->v, n, me);
	ASSERT_NE(NULL, e);
	EXPECT_TRUE(e->flags & MPT_PROC_HISTORY_UNKNOWN);
	e = mpt_proc_lookup(self->v, n, old);
	ASSERT_NE(NULL, e);
	EXPECT_TRUE(e->flags & MPT_PROC_HISTORY_UNKNOWN);
	EXPECT_EQ(me, e->orig_ppid);
	e = mpt_proc_lookup(self->v, n, zombie);
	ASSERT_NE(NULL, e);
	EXPECT_TRUE(e->flags & MPT_PROC_HISTORY_UNKNOWN);
	EXPECT_TRUE(e->flags & MPT_PROC_ZOMBIE);
	e = mpt_proc_lookup(self->v, n, g);
	ASSERT_NE(NULL, e);
	EXPECT_TRUE(e->flags & MPT_PROC_HISTORY_UNKNOWN);
	EXPECT_EQ(p, e->orig_ppid);
	e = mpt_proc_lookup(self->v, n, young);
	ASSERT_NE(NULL, e);
	EXPECT_FALSE(e->flags & MPT_PROC_HISTORY_UNKNOWN);
	EXPECT_EQ(me, e->orig_ppid);
	e = mpt_proc_lookup(self->v, n, g2);
	ASSERT_NE(NULL, e);
	EXPECT_FALSE(e->flags & MPT_PROC_HISTORY_UNKNOWN);
	EXPECT_EQ(p2, e->orig_ppid);

	/* The zombie from before, reaped now. */
	ASSERT_EQ(zombie, waitpid(zombie, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(5, WEXITSTATUS(status));
	drain(fd, self->recs, &self->nrecs);
	r = find(self->recs, self->nrecs, MPT_EV_REAP, zombie);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(MPT_REAP_ZOMBIE_UNKNOWN, r->reap.flags);
	EXPECT_EQ(MPT_REAP_WAIT, r->reap.how);
	EXPECT_EQ(me, r->reap.reaper_pid);
	EXPECT_EQ(status, r->reap.status);
	/* Counted from the load, which came after it ended. */
	EXPECT_LE(r->reap.zombie_ns, r->hdr.time_ns - (__u64)loaded);

	/* Alive at the load, or born after: reaped as zombies known. */
	status = let_go(old, go_old);
	ASSERT_EQ(0, status);
	status = let_go(young, go_young);
	ASSERT_EQ(0, status);
	drain(fd, self->recs, &self->nrecs);
	r = find(self->recs, self->nrecs, MPT_EV_REAP, old);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(0, r->reap.flags);
	EXPECT_EQ(MPT_REAP_WAIT, r->reap.how);
	r = find(self->recs, self->nrecs, MPT_EV_REAP, young);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(0, r->reap.flags);

	/* Orphaned: the one from before, then the one born after. */
	ASSERT_EQ(0, let_go(p, go_p));
	ppid = mpt_await_reparent(g, p);
	ASSERT_LT(0, ppid);
	ASSERT_NE(p, ppid);
	drain(fd, self->recs, &self->nrecs);
	r = find(self->recs, self->nrecs, MPT_EV_ORPHAN, g);
	ASSERT_NE(NULL, r);
	EXPECT_TRUE(r->orphan.flags & MPT_ORPHAN_HISTORY_UNKNOWN);
	EXPECT_EQ(p, r->orphan.old_ppid);
	EXPECT_EQ(p, r->orphan.orig_ppid);
	EXPECT_EQ(ppid, r->orphan.task.ppid);

	ASSERT_EQ(0, let_go(p2, go_p2));
	ppid = mpt_await_reparent(g2, p2);
	ASSERT_LT(0, ppid);
	ASSERT_NE(p2, ppid);
	drain(fd, self->recs, &self->nrecs);
	r = find(self->recs, self->nrecs, MPT_EV_ORPHAN, g2);
	ASSERT_NE(NULL, r);
	EXPECT_FALSE(r->orphan.flags & MPT_ORPHAN_HISTORY_UNKNOWN);
	EXPECT_EQ(p2, r->orphan.old_ppid);
	EXPECT_EQ(p2, r->orphan.orig_ppid);

	/* Every event was seen: no record above is missing for a loss. */
	EXPECT_EQ(0, ring_get(fd).lost);
	close(go_g);
	close(go_g2);
	close(fd);
}

TEST_HARNESS_MAIN
