// SPDX-License-Identifier: GPL-2.0
/*
 * mptrace demo: processes talking and sharing — the ticket race and its
 * lock, queues, pipes, producer/consumer with join, deadlock, the
 * recursive lock, and a pool of workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"
#include "mptrace.h"

#define MS	1000000LL	/* nanoseconds */

static const uint32_t OPEN_NEW = MPT_QOPEN_CREATE | MPT_QOPEN_EXCL |
				 MPT_QOPEN_READ | MPT_QOPEN_WRITE;

static int new_queue(struct demo_ctx *d, const char *what, uint32_t capacity,
		     bool trace)
{
	struct mpt_queue_params p = {
		.capacity = capacity, .msgsize = 64, .mode = 0600,
		.qflags = trace ? MPT_QUEUE_TRACE : 0,
	};
	const char *name = demo_obj(d, what);
	int fd = mpt_queue_open(name, OPEN_NEW, &p);

	if (fd < 0) {
		demo_check(d, false, "creating queue %s: %s", name, mpt_strerror(fd));
		return -1;
	}
	demo_say(d, "queue %s: %u messages of up to 64 bytes", name, capacity);
	return fd;
}

static int new_lock(struct demo_ctx *d, const char *what, uint32_t kind, bool trace)
{
	const char *name = demo_obj(d, what);
	int fd = mpt_lock_open(name, OPEN_NEW, kind, 0600,
			       trace ? MPT_LOCK_TRACE : 0);

	if (fd < 0) {
		demo_check(d, false, "creating lock %s: %s", name, mpt_strerror(fd));
		return -1;
	}
	return fd;
}

static int put_str(int qfd, const char *s, long long timeout_ns)
{
	return mpt_queue_put(qfd, s, strlen(s), timeout_ns, NULL);
}

/* Get a message as a string into @buf (room @len); its length or -errno. */
static ssize_t get_str(int qfd, char *buf, size_t len, long long timeout_ns,
		       uint32_t flags)
{
	ssize_t n = mpt_queue_get(qfd, buf, len - 1, timeout_ns, flags, NULL);

	buf[n >= 0 ? n : 0] = '\0';
	return n;
}

static bool qinfo(int qfd, struct mpt_queue_info *qi)
{
	uint32_t nw = 0, nc = 0;

	memset(qi, 0, sizeof(*qi));
	return !mpt_queue_info(qfd, qi, NULL, &nw, NULL, &nc);
}

static bool linfo(int lfd, struct mpt_lock_info *li)
{
	uint32_t nw = 0;

	memset(li, 0, sizeof(*li));
	return !mpt_lock_info(lfd, li, NULL, &nw);
}

static int status_code(int status)
{
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Sleep between @lo and @hi milliseconds, differently in each process. */
static void nap(long lo, long hi)
{
	static unsigned int seed;

	if (!seed)
		seed = (unsigned int)getpid() * 2654435761u;
	demo_sleep_ms(lo + rand_r(&seed) % (hi - lo + 1));
}

/* --- ticket --------------------------------------------------------------- */

static int read_tickets(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC), n = -1;

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		sscanf(buf, "{\"number\": %d}", &n);
	close(fd);
	return n;
}

static void write_tickets(const char *path, int n)
{
	char buf[64];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int len = snprintf(buf, sizeof(buf), "{\"number\": %d}\n", n);

	if (fd >= 0) {
		if (write(fd, buf, len) != len)
			perror("write");
		close(fd);
	}
}

enum { BOUGHT = 10, SOLD_OUT = 11 };

static void buyer(struct demo_ctx *d, const char *path, struct demo_gate *g, int lfd)
{
	int left;

	demo_gate_wait(g);
	demo_say(d, "sees %d ticket(s) left", read_tickets(path));
	if (lfd >= 0 && mpt_lock_acquire(lfd, MPT_FOREVER, NULL) < 0)
		_exit(1);
	left = read_tickets(path);
	if (left > 0) {
		nap(100, 300);		/* the network is slow */
		write_tickets(path, left - 1);
		demo_say(d, "bought a ticket!");
	} else {
		demo_say(d, "sold out");
	}
	if (lfd >= 0)
		mpt_lock_release(lfd);
	_exit(left > 0 ? BOUGHT : SOLD_OUT);
}

/* Ten buyers for one ticket; returns how many bought it. */
static int ticket_round(struct demo_ctx *d, const char *path, int lfd)
{
	pid_t pids[10];
	struct demo_gate g;
	int bought = 0;

	write_tickets(path, 1);
	if (demo_gate_open(d, &g))
		return -1;
	for (int i = 0; i < 10; i++) {
		char name[16];

		snprintf(name, sizeof(name), "jason%d", i);
		pids[i] = demo_fork(d, name);
		if (!pids[i])
			buyer(d, path, &g, lfd);
		if (pids[i] < 0)
			return -1;
	}
	demo_gate_go(&g);
	for (int i = 0; i < 10; i++)
		bought += status_code(demo_wait(d, pids[i], 10000)) == BOUGHT;
	demo_events(d, 50);
	return bought;
}

static int run_ticket(struct demo_ctx *d)
{
	bool ok;
	struct mpt_lock_info li;
	char path[128];
	const char *dir = getenv("TMPDIR");
	int bought, lfd, before;

	snprintf(path, sizeof(path), "%s/mptrace-demo-%d-ticket.json",
		 dir && *dir ? dir : "/tmp", (int)d->self);
	demo_step(d, "One ticket left in %s; ten buyers at once, no lock", path);
	bought = ticket_round(d, path, -1);
	demo_say(d, "%d buyers were told they bought the last ticket; the file says %d left",
		 bought, read_tickets(path));
	demo_check(d, bought > 1,
		   "without a lock the ticket was sold %d times: each buyer read 1 before anyone wrote 0",
		   bought);

	demo_step(d, "Again, each buyer holding an mptrace lock while it buys");
	lfd = new_lock(d, "ticket", MPT_LOCK_MUTEX, true);
	if (lfd < 0)
		return -1;
	before = (int)d->nev;
	bought = ticket_round(d, path, lfd);
	demo_check(d, bought == 1 && read_tickets(path) == 0,
		   "with the lock exactly one buyer got it (%d), and the file says %d left",
		   bought, read_tickets(path));
	ok = linfo(lfd, &li);
	demo_check(d, ok && li.acquisitions == 10,
		   "the lock was taken %llu times, %llu of them after waiting: one buyer at a time",
		   (unsigned long long)li.acquisitions, (unsigned long long)li.contentions);
	demo_say(d, "the lock passed from buyer to buyer:");
	{
		char line[400] = "";
		size_t off = 0;

		for (size_t i = before; i < d->nev && off < sizeof(line); i++)
			if (d->ev[i].type == MPT_EV_LOCK_ACQUIRE)
				off += snprintf(line + off, sizeof(line) - off, "%s%s",
						off ? " -> " : "", d->ev[i].comm);
		demo_say(d, "%s", line);
	}
	demo_check(d, demo_count(d, MPT_EV_LOCK_ACQUIRE, 0) == 10 &&
		   demo_count(d, MPT_EV_LOCK_RELEASE, 0) == 10,
		   "mptrace saw 10 acquisitions and 10 releases");
	close(lfd);
	unlink(path);
	return 0;
}

const struct demo demo_ticket = {
	.show = DEMO_SHOW_IPC,
	.name = "ticket",
	.title = "ten buyers, one ticket: the race without a lock, exactly one buyer with it",
	.python = "lock.acquire(); buy(name); lock.release()",
	.run = run_ticket,
};

/* --- queue ------------------------------------------------------------------ */

static int run_queue(struct demo_ctx *d)
{
	bool ok;
	const struct mpt_event_view *ev;
	struct mpt_queue_info qi;
	char buf[64], st = '?';
	double t0;
	pid_t pid, pp;
	ssize_t n;
	int qfd, ret, status;

	demo_step(d, "q = Queue(2); q.put('json'); q.put('tank')");
	qfd = new_queue(d, "q", 2, true);
	if (qfd < 0)
		return -1;
	put_str(qfd, "json", MPT_FOREVER);
	put_str(qfd, "tank", MPT_FOREVER);
	demo_events(d, 50);
	ok = qinfo(qfd, &qi);
	demo_check(d, ok && qi.depth == 2 && qi.capacity == 2,
		   "q.full(): %u of %u messages waiting", qi.depth, qi.capacity);
	ret = put_str(qfd, "www", 0);
	demo_check(d, ret == -EAGAIN, "q.put_nowait('www') fails at once: %s (Python: queue.Full)",
		   strerror(-ret));

	demo_step(d, "A child calls q.put('www'): the queue is full, so it blocks");
	pid = demo_fork(d, "producer");
	if (!pid) {
		ret = put_str(qfd, "www", MPT_FOREVER);
		demo_say(d, "put returned %d: my message is in", ret);
		_exit(ret ? 1 : 0);
	}
	if (pid < 0)
		return -1;
	ev = demo_await(d, MPT_EV_QUEUE_FULL, pid, 3000);
	demo_check(d, ev != NULL, "mptrace saw the producer %d block on the full queue", (int)pid);
	ok = qinfo(qfd, &qi);
	demo_check(d, ok && qi.nput == 1,
		   "the queue itself lists %u blocked producer(s)", qi.nput);
	ok = demo_proc_stat(pid, &st, &pp);
	demo_check(d, ok && st == 'S',
		   "/proc/%d/stat: state %c (sleeping)", (int)pid, st);
	n = get_str(qfd, buf, sizeof(buf), MPT_FOREVER, MPT_QMSG_DETACHED);
	demo_say(d, "main: q.get() = '%s': room for one", buf);
	status = demo_wait(d, pid, 5000);
	demo_events(d, 50);
	demo_check(d, n == 4 && !strcmp(buf, "json") && status_code(status) == 0,
		   "the get woke the producer; its put completed");

	demo_step(d, "q.get() twice more: first in, first out");
	get_str(qfd, buf, sizeof(buf), MPT_FOREVER, MPT_QMSG_DETACHED);
	demo_check(d, !strcmp(buf, "tank"), "q.get() = '%s'", buf);
	get_str(qfd, buf, sizeof(buf), MPT_FOREVER, MPT_QMSG_DETACHED);
	demo_check(d, !strcmp(buf, "www"), "q.get() = '%s'", buf);
	ret = (int)get_str(qfd, buf, sizeof(buf), 0, MPT_QMSG_DETACHED);
	demo_check(d, ret == -EAGAIN, "q.get_nowait() on the empty queue: %s (Python: queue.Empty)",
		   strerror(-ret));
	t0 = demo_now_ms();
	ret = (int)get_str(qfd, buf, sizeof(buf), 300 * MS, MPT_QMSG_DETACHED);
	demo_check(d, ret == -ETIMEDOUT && demo_now_ms() - t0 >= 290,
		   "q.get(timeout=0.3) waited %.0f ms, then: %s", demo_now_ms() - t0,
		   strerror(-ret));

	demo_step(d, "A child calls q.get() on the empty queue: it blocks until main puts");
	pid = demo_fork(d, "consumer");
	if (!pid) {
		n = get_str(qfd, buf, sizeof(buf), MPT_FOREVER, MPT_QMSG_DETACHED);
		demo_say(d, "got '%s'", buf);
		_exit(n == 4 && !strcmp(buf, "late") ? 0 : 1);
	}
	if (pid < 0)
		return -1;
	ev = demo_await(d, MPT_EV_QUEUE_EMPTY, pid, 3000);
	demo_check(d, ev != NULL && qinfo(qfd, &qi) && qi.nget == 1,
		   "mptrace saw the consumer %d block; the queue lists %u waiting consumer(s)",
		   (int)pid, qi.nget);
	put_str(qfd, "late", MPT_FOREVER);
	status = demo_wait(d, pid, 5000);
	demo_events(d, 50);
	demo_check(d, status_code(status) == 0, "main's q.put('late') woke it with the message");
	ok = qinfo(qfd, &qi);
	demo_check(d, ok && qi.puts == 4 && qi.gets == 4 && qi.depth == 0,
		   "the queue counted %llu puts, %llu gets, %u left", (unsigned long long)qi.puts,
		   (unsigned long long)qi.gets, qi.depth);
	close(qfd);
	return 0;
}

const struct demo demo_queue = {
	.show = DEMO_SHOW_IPC,
	.name = "queue",
	.title = "a bounded queue: put blocks when it is full, get when it is empty",
	.python = "q = Queue(2); q.put(x); q.get(); q.put_nowait(x); q.get(timeout=0.3)",
	.run = run_queue,
};

/* --- pipe ------------------------------------------------------------------- */

static int run_pipe(struct demo_ctx *d)
{
	char buf[128] = "";
	const char *lines[] = { "one\n", "two\n", "three\n" };
	int sv[2], fd[2], status;
	ssize_t n;
	pid_t pid;

	demo_step(d, "left, right = Pipe(): two connected ends, both ways (a socketpair)");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	pid = demo_fork(d, "right-end");
	if (!pid) {
		close(sv[0]);
		n = read(sv[1], buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		demo_say(d, "received '%s'", buf);
		snprintf(buf, sizeof(buf), "hello main, %d here", (int)getpid());
		if (write(sv[1], buf, strlen(buf)) < 0)
			_exit(1);
		_exit(0);
	}
	if (pid < 0)
		return -1;
	close(sv[1]);
	if (write(sv[0], "hello child", 11) != 11)
		return -1;
	n = read(sv[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(sv[0]);
	demo_say(d, "main: received '%s'", buf);
	status = demo_wait(d, pid, 5000);
	demo_events(d, 50);
	snprintf(buf + 64, 64, "hello main, %d here", (int)pid);
	demo_check(d, !strcmp(buf, buf + 64) && status_code(status) == 0,
		   "the answer came from the child at the other end (%d)", (int)pid);

	demo_step(d, "A one-way pipe(): the child writes three lines and ends; main reads to EOF");
	if (pipe2(fd, O_CLOEXEC))
		return -1;
	pid = demo_fork(d, "writer");
	if (!pid) {
		close(fd[0]);
		for (int i = 0; i < 3; i++)
			if (write(fd[1], lines[i], strlen(lines[i])) < 0)
				_exit(1);
		_exit(0);
	}
	if (pid < 0)
		return -1;
	close(fd[1]);
	demo_read_eof(fd[0], buf, sizeof(buf));
	close(fd[0]);
	status = demo_wait(d, pid, 5000);
	demo_events(d, 50);
	demo_check(d, !strcmp(buf, "one\ntwo\nthree\n") && status_code(status) == 0,
		   "main read the three lines, then end-of-file: the last writer had closed its end");
	demo_say(d, "a pipe has no name and no counters: mptrace sees the processes at its ends;");
	demo_say(d, "a named mptrace queue shows its messages, waiters and counters (demo queue)");
	return 0;
}

const struct demo demo_pipe = {
	.show = DEMO_SHOW_IPC,
	.name = "pipe",
	.title = "Pipe(): two ends, a child at one; end-of-file when the writer is gone",
	.python = "left, right = Pipe(); right.send(x); left.recv()",
	.run = run_pipe,
};

/* --- producer-consumer ---------------------------------------------------------- */

static void producer(struct demo_ctx *d, int qfd, const char *who)
{
	char item[32];

	for (int i = 0; i < 5; i++) {
		snprintf(item, sizeof(item), "bun %d by %s", i, who);
		nap(10, 40);
		if (put_str(qfd, item, MPT_FOREVER))
			_exit(1);
		demo_say(d, "made %s", item);
	}
	_exit(0);
}

/* Eat forever: get, work, task_done; report each item on @out. */
static void consumer(struct demo_ctx *d, int qfd, int out, long lo, long hi)
{
	char item[64];

	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* a daemon: ends with main */
	for (;;) {
		if (get_str(qfd, item, sizeof(item), MPT_FOREVER, 0) < 0)
			_exit(1);
		demo_say(d, "eating %s", item);
		if (write(out, item, sizeof(item)) != (ssize_t)sizeof(item))
			_exit(1);
		nap(lo, hi);
		mpt_queue_task_done(qfd, 1);
	}
}

static int run_producer_consumer(struct demo_ctx *d)
{
	bool ok;
	const struct mpt_event_view *ev;
	struct mpt_queue_info qi;
	char item[64];
	pid_t prod[2], cons[2], slow, eater;
	int qfd, out[2], ret, eaten = 0;

	demo_step(d, "q = JoinableQueue(); two producers make 5 buns each, two daemon consumers eat");
	qfd = new_queue(d, "buns", 8, false);
	if (qfd < 0 || pipe2(out, O_CLOEXEC))
		return -1;
	for (int i = 0; i < 2; i++) {
		prod[i] = demo_fork(d, i ? "producer-tank" : "producer-egon");
		if (!prod[i])
			producer(d, qfd, i ? "tank" : "egon");
		cons[i] = demo_fork(d, i ? "consumer-2" : "consumer-1");
		if (!cons[i])
			consumer(d, qfd, out[1], 20, 60);
		if (prod[i] < 0 || cons[i] < 0)
			return -1;
	}
	close(out[1]);
	for (int i = 0; i < 2; i++)
		demo_wait(d, prod[i], 10000);
	demo_say(d, "main: producers done; q.join() waits until every bun is marked task_done()");
	ret = mpt_queue_join(qfd, 10000 * MS);
	while (eaten < 10 && read(out[0], item, sizeof(item)) == (ssize_t)sizeof(item))
		eaten++;
	close(out[0]);
	demo_check(d, ret == 0 && eaten == 10, "q.join() returned after %d buns were eaten", eaten);
	ok = qinfo(qfd, &qi);
	demo_check(d, ok && qi.puts == 10 && qi.gets == 10 && !qi.unfinished,
		   "the queue agrees: %llu put, %llu got, %llu unfinished",
		   (unsigned long long)qi.puts, (unsigned long long)qi.gets,
		   (unsigned long long)qi.unfinished);
	demo_say(d, "main ends; the daemon consumers end with it");
	for (int i = 0; i < 2; i++) {
		kill(cons[i], SIGTERM);
		demo_wait(d, cons[i], 5000);
	}
	demo_events(d, 50);
	close(qfd);

	demo_step(d, "A consumer is killed while it holds a bun it has not finished");
	qfd = new_queue(d, "buns2", 8, false);
	if (qfd < 0 || pipe2(out, O_CLOEXEC))
		return -1;
	for (int i = 0; i < 3; i++) {
		snprintf(item, sizeof(item), "bun %d", i);
		put_str(qfd, item, MPT_FOREVER);
	}
	slow = demo_fork(d, "slow-eater");
	if (!slow)
		consumer(d, qfd, out[1], 60000, 60000);
	if (slow < 0 || read(out[0], item, sizeof(item)) != (ssize_t)sizeof(item))
		return -1;
	demo_say(d, "main: kill -9 %d while it eats '%s'", (int)slow, item);
	kill(slow, SIGKILL);
	demo_wait(d, slow, 5000);
	ev = demo_await(d, MPT_EV_QUEUE_CONSUMER_DIED, slow, 3000);
	demo_check(d, ev && ev->count == 1,
		   "mptrace: the consumer died with %llu bun in flight, and the queue released it",
		   ev ? (unsigned long long)ev->count : 0ULL);
	eater = demo_fork(d, "eater");
	if (!eater)
		consumer(d, qfd, out[1], 20, 40);
	if (eater < 0)
		return -1;
	close(out[1]);
	ret = mpt_queue_join(qfd, 10000 * MS);
	demo_check(d, ret == 0,
		   "q.join() still returns: a released bun counts as done (Python's join() would wait forever)");
	ok = qinfo(qfd, &qi);
	demo_check(d, ok && qi.released == 1 && qi.gets == 3 && !qi.unfinished,
		   "the queue counted %llu got, %llu released, %llu unfinished",
		   (unsigned long long)qi.gets, (unsigned long long)qi.released,
		   (unsigned long long)qi.unfinished);
	demo_say(d, "the bun is not put back: a second delivery could make it twice");
	demo_say(d, "(Documentation/queues.rst: why release, not requeue)");
	kill(eater, SIGTERM);
	demo_wait(d, eater, 5000);
	close(out[0]);
	close(qfd);
	return 0;
}

const struct demo demo_producer_consumer = {
	.show = DEMO_SHOW_IPC,
	.name = "producer-consumer",
	.title = "JoinableQueue: task_done and join; a consumer killed with work in hand",
	.python = "q = JoinableQueue(); q.get(); q.task_done(); q.join()",
	.run = run_producer_consumer,
};

/* --- deadlock ---------------------------------------------------------------- */

/*
 * Take @first, tell main (@ready), wait for the start (@g), take
 * @second.  Exit 0 when both were held, EDEADLK when refused.
 */
static void two_locks(struct demo_ctx *d, int first, int second, const char *n1,
		      const char *n2, int ready, struct demo_gate *g)
{
	int ret;

	demo_gate_enter(g);
	mpt_lock_acquire(first, MPT_FOREVER, NULL);
	demo_say(d, "got lock %s", n1);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	demo_gate_wait(g);
	ret = mpt_lock_acquire(second, 10000 * MS, NULL);
	if (ret == -EDEADLK) {
		demo_say(d, "wants lock %s: refused, EDEADLK; lets go of %s and gives up", n2, n1);
		mpt_lock_release(first);
		_exit(EDEADLK);
	}
	if (ret) {
		demo_say(d, "wants lock %s: %s", n2, strerror(-ret));
		_exit(1);
	}
	demo_say(d, "got lock %s", n2);
	mpt_lock_release(second);
	mpt_lock_release(first);
	_exit(0);
}

/* Two processes take (A, B) and (A, B) or (B, A); their exit codes. */
static int lock_pair(struct demo_ctx *d, int a, int b, bool opposite, int codes[2],
		     pid_t pids[2])
{
	struct demo_gate g;
	int ready[2];
	char c;

	if (demo_gate_open(d, &g) || pipe2(ready, O_CLOEXEC))
		return -1;
	pids[0] = demo_fork(d, "proc-1");
	if (!pids[0])
		two_locks(d, a, b, "A", "B", ready[1], &g);
	pids[1] = demo_fork(d, "proc-2");
	if (!pids[1]) {
		if (opposite)
			two_locks(d, b, a, "B", "A", ready[1], &g);
		two_locks(d, a, b, "A", "B", ready[1], &g);
	}
	if (pids[0] < 0 || pids[1] < 0)
		return -1;
	close(ready[1]);
	/* Opposite order: both hold their first lock before either goes on. */
	if (opposite)
		for (int i = 0; i < 2; i++)
			if (read(ready[0], &c, 1) != 1)
				return -1;
	demo_gate_go(&g);
	for (int i = 0; i < 2; i++)
		codes[i] = status_code(demo_wait(d, pids[i], 15000));
	close(ready[0]);
	demo_events(d, 50);
	return 0;
}

static int run_deadlock(struct demo_ctx *d)
{
	const struct mpt_event_view *ev;
	int a, b, codes[2], refused;
	pid_t pids[2];
	bool both;

	demo_step(d, "proc-1 takes A then B; proc-2 takes B then A (the tutorial's two threads, as processes)");
	demo_say(d, "with Python's Lock this is where the tutorial 'just hangs': each waits for the other");
	a = new_lock(d, "A", MPT_LOCK_MUTEX, false);
	b = new_lock(d, "B", MPT_LOCK_MUTEX, false);
	if (a < 0 || b < 0 || lock_pair(d, a, b, true, codes, pids))
		return -1;
	refused = (codes[0] == EDEADLK) + (codes[1] == EDEADLK);
	demo_check(d, refused == 1 && (codes[0] == 0 || codes[1] == 0),
		   "exactly one of them was refused with EDEADLK instead of waiting forever; the other finished");
	ev = demo_await(d, MPT_EV_DEADLOCK, 0, 3000);
	both = ev && ev->count == 2 && ev->ncycle == 2 &&
	       ((ev->cycle[0].pid == (uint32_t)pids[0] && ev->cycle[1].pid == (uint32_t)pids[1]) ||
		(ev->cycle[0].pid == (uint32_t)pids[1] && ev->cycle[1].pid == (uint32_t)pids[0]));
	demo_check(d, both, "mptrace's deadlock event names the cycle: %d and %d, each holding what the other wants",
		   (int)pids[0], (int)pids[1]);

	demo_step(d, "The fix: both take A first, then B");
	if (lock_pair(d, a, b, false, codes, pids))
		return -1;
	demo_check(d, codes[0] == 0 && codes[1] == 0,
		   "both finished; nobody was refused (exit codes %d and %d)", codes[0], codes[1]);
	demo_say(d, "mptrace only sees waits for its locks: a holder blocked in waitpid() for a");
	demo_say(d, "child that waits for a lock is a deadlock it cannot name");
	close(a);
	close(b);
	return 0;
}

const struct demo demo_deadlock = {
	.show = DEMO_SHOW_IPC,
	.name = "deadlock",
	.title = "two locks taken in opposite order: EDEADLK and the cycle, then the fix",
	.python = "mutexA.acquire(); mutexB.acquire()  vs  mutexB.acquire(); mutexA.acquire()",
	.run = run_deadlock,
};

/* --- rlock ------------------------------------------------------------------ */

static int run_rlock(struct demo_ctx *d)
{
	bool ok;
	const struct mpt_event_view *got = NULL, *last = NULL;
	struct mpt_lock_info li;
	int m, r, ret, ready[2], go[2], codes[2];
	pid_t owner, waiter, pids[2];
	char c = 0;

	demo_step(d, "A plain lock taken twice by the same process");
	m = new_lock(d, "mutex", MPT_LOCK_MUTEX, false);
	if (m < 0)
		return -1;
	mpt_lock_acquire(m, MPT_FOREVER, NULL);
	ret = mpt_lock_acquire(m, MPT_FOREVER, NULL);
	demo_check(d, ret == -EDEADLK,
		   "the second acquire fails at once with %s (Python's Lock would wait for itself forever)",
		   ret < 0 ? strerror(-ret) : "success");
	mpt_lock_release(m);
	close(m);

	demo_step(d, "An RLock: its owner may take it again; it counts");
	r = new_lock(d, "rlock", MPT_LOCK_RECURSIVE, true);
	if (r < 0 || pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC))
		return -1;
	owner = demo_fork(d, "owner");
	if (!owner) {
		close(go[1]);
		for (int i = 0; i < 3; i++)
			mpt_lock_acquire(r, MPT_FOREVER, NULL);
		demo_say(d, "took the rlock 3 times");
		if (write(ready[1], "h", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		for (int i = 2; i >= 0; i--) {
			demo_sleep_ms(100);
			mpt_lock_release(r);
			demo_say(d, "released once: count %d", i);
		}
		_exit(0);
	}
	if (owner < 0 || read(ready[0], &c, 1) != 1)
		return -1;
	close(go[0]);
	ok = linfo(r, &li);
	demo_check(d, ok && li.count == 3 && li.owner_pid == (uint32_t)owner,
		   "the lock says: owner %u, count %u", li.owner_pid, li.count);
	waiter = demo_fork(d, "waiter");
	if (!waiter) {
		ret = mpt_lock_acquire(r, 10000 * MS, NULL);
		demo_say(d, "got the rlock%s", ret ? " NOT" : "");
		if (!ret)
			mpt_lock_release(r);
		_exit(ret ? 1 : 0);
	}
	if (waiter < 0)
		return -1;
	demo_check(d, demo_await(d, MPT_EV_LOCK_CONTENDED, waiter, 3000) != NULL,
		   "another process, %d, waits for it", (int)waiter);
	if (write(go[1], "g", 1) != 1)
		return -1;
	codes[0] = status_code(demo_wait(d, owner, 5000));
	codes[1] = status_code(demo_wait(d, waiter, 5000));
	demo_events(d, 50);
	got = demo_find(d, MPT_EV_LOCK_ACQUIRE, waiter);
	for (size_t i = 0; i < d->nev; i++)
		if (d->ev[i].type == MPT_EV_LOCK_RELEASE && d->ev[i].pid == (uint32_t)owner)
			last = &d->ev[i];
	demo_check(d, !codes[0] && !codes[1] && got && last && last->count == 0 &&
		   demo_count(d, MPT_EV_LOCK_RELEASE, owner) == 3 && got->seq > last->seq,
		   "the waiter got it only after the third release brought the count to 0");
	close(r);
	close(ready[0]);
	close(ready[1]);
	close(go[1]);

	demo_step(d, "The tutorial's fix for the deadlock: mutexA = mutexB = RLock()");
	r = new_lock(d, "AB", MPT_LOCK_RECURSIVE, false);
	/* A and B are one lock: "A then B" and "B then A" are the same order. */
	if (r < 0 || lock_pair(d, r, r, false, codes, pids))
		return -1;
	demo_check(d, codes[0] == 0 && codes[1] == 0,
		   "one lock under two names: whoever holds it may take it again; both finished");
	close(r);
	return 0;
}

const struct demo demo_rlock = {
	.show = DEMO_SHOW_IPC,
	.name = "rlock",
	.title = "a recursive lock: its owner takes it again; others wait for the count to reach 0",
	.python = "mutexA = mutexB = RLock()",
	.run = run_rlock,
};

/* --- pool ------------------------------------------------------------------- */

struct result {
	int32_t task;
	int32_t value;
	int32_t pid;
};

static void worker(struct demo_ctx *d, int tasks, int results)
{
	struct result res;
	int32_t i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		if (mpt_queue_get(tasks, &i, sizeof(i), MPT_FOREVER, MPT_QMSG_DETACHED,
				  NULL) != sizeof(i))
			_exit(1);
		if (i < 0)
			_exit(0);
		demo_sleep_ms(200);	/* time.sleep(2) */
		demo_say(d, "in the process %d: foo(%d)", (int)getpid(), i);
		res = (struct result){ i, i + 100, getpid() };
		if (mpt_queue_put(results, &res, sizeof(res), MPT_FOREVER, NULL))
			_exit(1);
	}
}

static int run_pool(struct demo_ctx *d)
{
	pid_t pids[3];
	int tasks, results, used = 0, sum = 0, good = 0;
	bool seen[10] = { false };
	struct result res;
	double t0;

	demo_step(d, "pool = Pool(3); ten tasks foo(i) = i + 100, each taking 200 ms");
	demo_say(d, "the pool is three worker processes, a task queue and a result queue");
	tasks = new_queue(d, "tasks", 16, false);
	results = new_queue(d, "results", 16, false);
	if (tasks < 0 || results < 0)
		return -1;
	t0 = demo_now_ms();
	for (int w = 0; w < 3; w++) {
		char name[16];

		snprintf(name, sizeof(name), "pool-worker-%d", w + 1);
		pids[w] = demo_fork(d, name);
		if (!pids[w])
			worker(d, tasks, results);
		if (pids[w] < 0)
			return -1;
	}
	for (int32_t i = 0; i < 10; i++)
		mpt_queue_put(tasks, &i, sizeof(i), MPT_FOREVER, NULL);
	demo_say(d, "main: ten tasks submitted (apply_async); pool.close(): no more");
	for (int32_t i = 0; i < 3; i++) {
		int32_t stop = -1;

		mpt_queue_put(tasks, &stop, sizeof(stop), MPT_FOREVER, NULL);
	}
	for (int i = 0; i < 10; i++) {
		if (mpt_queue_get(results, &res, sizeof(res), 10000 * MS, MPT_QMSG_DETACHED,
				  NULL) != sizeof(res))
			break;
		demo_say(d, "main (callback): -->exec done: %d from %d", res.value, res.pid);
		if (res.task >= 0 && res.task < 10 && res.value == res.task + 100 &&
		    !seen[res.task]) {
			seen[res.task] = true;
			good++;
			sum += res.value;
		}
		for (int w = 0; w < 3; w++)
			if (res.pid == pids[w])
				used |= 1 << w;
	}
	demo_say(d, "main: pool.join()");
	for (int w = 0; w < 3; w++)
		demo_check(d, status_code(demo_wait(d, pids[w], 10000)) == 0,
			   "pool-worker-%d (%d) ended when it took its stop sign", w + 1,
			   (int)pids[w]);
	demo_events(d, 50);
	demo_check(d, good == 10 && sum == 1045,
		   "ten results, one per task, each i + 100 (sum %d)", sum);
	demo_check(d, used && !(used & ~7),
		   "all computed by the pool's own workers (%d of 3 got work)",
		   __builtin_popcount(used));
	demo_check(d, demo_count(d, MPT_EV_FORK, 0) == 3,
		   "mptrace saw %u forks: three processes did ten tasks",
		   demo_count(d, MPT_EV_FORK, 0));
	demo_check(d, demo_now_ms() - t0 < 10 * 200,
		   "in %.0f ms, less than ten tasks one after another (2000 ms)",
		   demo_now_ms() - t0);
	close(tasks);
	close(results);
	return 0;
}

const struct demo demo_pool = {
	.show = DEMO_SHOW_IPC,
	.name = "pool",
	.title = "Pool(3): three workers take ten tasks from a queue, results come back on another",
	.python = "pool = Pool(3); pool.apply_async(foo, (i,), callback=call); pool.close(); pool.join()",
	.run = run_pool,
};
