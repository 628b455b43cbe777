// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mptrace: the node, its permissions, the version ioctl, and every
 * bad form of a request.
 */
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mpt_helpers.h"

#define MISC_MAJOR 10

FIXTURE(dev) {
	int fd;
	long page;
};

FIXTURE_SETUP(dev)
{
	if (!mpt_loaded())
		SKIP(return, "mptrace.ko is not loaded");
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open(MPT_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MPT_DEVICE_PATH,
				      strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* A misc char device, mode 0666, numbered as sysfs says. */
TEST_F(dev, node)
{
	char buf[32];
	unsigned int maj, min;
	struct stat st;

	ASSERT_EQ(0, stat(MPT_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	ASSERT_EQ(0, mpt_read_file("/sys/class/misc/mptrace/dev", buf,
				   sizeof(buf)));
	ASSERT_EQ(2, sscanf(buf, "%u:%u", &maj, &min));
	EXPECT_EQ(MISC_MAJOR, maj);
	EXPECT_EQ(maj, major(st.st_rdev));
	EXPECT_EQ(min, minor(st.st_rdev));
}

static int nobody_version(void *arg)
{
	struct mpt_version v;
	int fd;

	(void)arg;
	fd = open(MPT_DEVICE_PATH, O_RDONLY);
	if (fd < 0)
		return 11;
	if (ioctl(fd, MPT_IOC_VERSION, &v))
		return 12;
	return v.abi == MPT_ABI_VERSION ? 0 : 13;
}

/* Anyone may open the device; what they may do is checked per request. */
TEST_F(dev, open_unprivileged)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to switch to another uid");
	EXPECT_EQ(0, mpt_as_nobody(nobody_version, NULL));
}

/* pid 1 of a new user and pid namespace, unprivileged, uses the device. */
static int container_init(void *arg)
{
	struct mpt_ring_conf conf = { .slots = 16 };
	int status, ret;
	pid_t init;

	(void)arg;
	if (unshare(CLONE_NEWUSER | CLONE_NEWPID))
		return errno == EPERM || errno == EINVAL ? 99 : 20;
	init = fork();
	if (init == 0) {
		int fd;

		if (getpid() != 1)
			_exit(21);
		ret = nobody_version(NULL);
		if (ret)
			_exit(ret);
		fd = open(MPT_DEVICE_PATH, O_RDWR);
		_exit(fd >= 0 && !ioctl(fd, MPT_IOC_RING_SET, &conf) ? 0 : 22);
	}
	if (init < 0 || waitpid(init, &status, 0) != init)
		return 23;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 24;
}

TEST_F(dev, container)
{
	int ret;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to another uid");
	ret = mpt_as_nobody(container_init, NULL);
	if (ret == 99)
		SKIP(return, "unprivileged user namespaces are disabled");
	EXPECT_EQ(0, ret) TH_LOG("step %d failed", ret);
}

/* The version ioctl agrees with sysfs, the independent source. */
TEST_F(dev, version)
{
	struct mpt_version v;
	char sysver[64];

	memset(&v, 0xa5, sizeof(v));
	ASSERT_EQ(0, ioctl(self->fd, MPT_IOC_VERSION, &v));
	EXPECT_EQ(MPT_ABI_VERSION, v.abi);
	EXPECT_EQ(0, v.reserved);
	EXPECT_TRUE(v.features & MPT_FEAT_STATS);
	EXPECT_TRUE(v.features & MPT_FEAT_FAST_LOCKS);
	ASSERT_NE(NULL, memchr(v.version, '\0', sizeof(v.version)));
	ASSERT_EQ(0, mpt_read_file("/sys/module/mptrace/version", sysver,
				   sizeof(sysver)));
	EXPECT_STREQ(sysver, v.version);
}

/* Unaligned buffers are fine: the kernel copies bytes. */
TEST_F(dev, version_unaligned)
{
	char buf[sizeof(struct mpt_version) + 1];
	struct mpt_version v;

	ASSERT_EQ(0, ioctl(self->fd, MPT_IOC_VERSION, buf + 1));
	memcpy(&v, buf + 1, sizeof(v));
	EXPECT_EQ(MPT_ABI_VERSION, v.abi);
}

TEST_F(dev, bad_pointers)
{
	char *two, *edge;
	void *unmapped;

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_VERSION,
			    (void *)0xffffffff81000000UL));
	EXPECT_EQ(EFAULT, errno);

	unmapped = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, unmapped);
	ASSERT_EQ(0, munmap(unmapped, self->page));
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_VERSION, unmapped));
	EXPECT_EQ(EFAULT, errno);

	/* Read-only memory cannot take the answer. */
	two = mmap(NULL, 2 * self->page, PROT_READ,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_VERSION, two));
	EXPECT_EQ(EFAULT, errno);

	/* A struct straddling the edge of a mapping. */
	ASSERT_EQ(0, mprotect(two, self->page, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, munmap(two + self->page, self->page));
	edge = two + self->page - sizeof(struct mpt_version) / 2;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_VERSION, edge));
	EXPECT_EQ(EFAULT, errno);
	munmap(two, self->page);
}

/* Wrong magic, number, direction or size: ENOTTY, never a guess. */
TEST_F(dev, unknown_ioctls)
{
	struct mpt_version v;
	char big[256];
	unsigned long bad[] = {
		_IOR(MPT_IOC_MAGIC, 0x7f, struct mpt_version),
		_IOR(MPT_IOC_MAGIC + 1, 0x00, struct mpt_version),
		_IOW(MPT_IOC_MAGIC, 0x00, struct mpt_version),
		_IOWR(MPT_IOC_MAGIC, 0x00, struct mpt_version),
		_IOR(MPT_IOC_MAGIC, 0x00, __u32),
		_IOR(MPT_IOC_MAGIC, 0x00, char[sizeof(struct mpt_version) + 8]),
		_IO(MPT_IOC_MAGIC, 0x00),
		0,
		0xffffffff,
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, bad[i], big))
			TH_LOG("ioctl 0x%lx succeeded", bad[i]);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("ioctl 0x%lx", bad[i]);
	}
	/* The device still answers properly afterwards. */
	EXPECT_EQ(0, ioctl(self->fd, MPT_IOC_VERSION, &v));
}

TEST_F(dev, not_seekable_not_writable)
{
	char buf[16] = "x";

	errno = 0;
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(self->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ESPIPE, errno);
	errno = 0;
	EXPECT_EQ(-1, write(self->fd, buf, 1));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->page, PROT_READ, MAP_SHARED,
				   self->fd, 0));
	EXPECT_EQ(ENODEV, errno);
}

TEST_F(dev, read_idle)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLOUT };
	char buf[256];
	int fd;

	ASSERT_EQ(0, mpt_quiet(self->fd));
	EXPECT_EQ(0, read(self->fd, buf, 0));
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	fd = open(MPT_DEVICE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mpt_quiet(fd));
	errno = 0;
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A blocked read ends with EINTR on a signal that does not restart. */
TEST_F(dev, read_interrupted)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	char buf[256];

	ASSERT_EQ(0, mpt_quiet(self->fd));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	alarm(1);
	errno = 0;
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINTR, errno);
	alarm(0);
	signal(SIGALRM, SIG_DFL);
}

static int ring_set(int fd, __u32 slots)
{
	struct mpt_ring_conf conf = { .slots = slots };

	return ioctl(fd, MPT_IOC_RING_SET, &conf) ? -errno : 0;
}

/* A file has no ring until it subscribes; RING_SET subscribes. */
TEST_F(dev, ring_subscribe)
{
	struct mpt_ring_conf conf;
	int nl, family, fd;
	int64_t bytes;

	nl = mpt_nl_socket();
	ASSERT_LE(0, nl);
	family = mpt_genl_family(nl, MPT_GENL_NAME, NULL, NULL);
	ASSERT_LT(0, family);
	bytes = mpt_stat(nl, family, MPT_STATS_A_RING_BYTES);
	ASSERT_LE(0, bytes);

	fd = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	memset(&conf, 0xff, sizeof(conf));
	ASSERT_EQ(0, ioctl(fd, MPT_IOC_RING_GET, &conf));
	EXPECT_EQ(0, conf.slots);
	EXPECT_EQ(0, conf.used);
	EXPECT_EQ(0, conf.lost);
	EXPECT_EQ(bytes, mpt_stat(nl, family, MPT_STATS_A_RING_BYTES));

	ASSERT_EQ(0, mpt_quiet(fd));
	ASSERT_EQ(0, ring_set(fd, 64));
	ASSERT_EQ(0, ioctl(fd, MPT_IOC_RING_GET, &conf));
	EXPECT_EQ(64, conf.slots);
	EXPECT_EQ(0, conf.used);
	EXPECT_EQ(bytes + 64 * MPT_EVENT_MAX_SIZE,
		  mpt_stat(nl, family, MPT_STATS_A_RING_BYTES));

	/* Resizing an empty ring. */
	ASSERT_EQ(0, ring_set(fd, MPT_RING_MIN_SLOTS));
	ASSERT_EQ(0, ioctl(fd, MPT_IOC_RING_GET, &conf));
	EXPECT_EQ(MPT_RING_MIN_SLOTS, conf.slots);
	EXPECT_EQ(bytes + MPT_RING_MIN_SLOTS * MPT_EVENT_MAX_SIZE,
		  mpt_stat(nl, family, MPT_STATS_A_RING_BYTES));

	close(fd);
	EXPECT_EQ(bytes, mpt_stat(nl, family, MPT_STATS_A_RING_BYTES));
	close(nl);
}

/* A first read or poll subscribes with the default ring. */
TEST_F(dev, ring_default)
{
	struct pollfd pfd = { .events = POLLIN };
	struct mpt_ring_conf conf;
	char buf[MPT_EVENT_MAX_SIZE];
	int fd;

	fd = open(MPT_DEVICE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mpt_quiet(fd));
	errno = 0;
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, ioctl(fd, MPT_IOC_RING_GET, &conf));
	EXPECT_EQ(MPT_RING_DEFAULT_SLOTS, conf.slots);
	close(fd);

	fd = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mpt_quiet(fd));
	pfd.fd = fd;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, ioctl(fd, MPT_IOC_RING_GET, &conf));
	EXPECT_EQ(MPT_RING_DEFAULT_SLOTS, conf.slots);
	close(fd);
}

/* Every bad form of RING_SET is refused and leaves the ring as it was. */
TEST_F(dev, ring_set_bad)
{
	static const __u32 bad_slots[] = {
		0, 1, MPT_RING_MIN_SLOTS - 1, MPT_RING_MIN_SLOTS / 2,
		MPT_RING_MIN_SLOTS + 1, 100, MPT_RING_MAX_SLOTS * 2,
		MPT_RING_MAX_SLOTS + 1, 0x80000000u, 0xffffffffu,
	};
	struct mpt_ring_conf conf;
	size_t i;

	ASSERT_EQ(0, ring_set(self->fd, 32));
	for (i = 0; i < sizeof(bad_slots) / sizeof(bad_slots[0]); i++)
		EXPECT_EQ(-EINVAL, ring_set(self->fd, bad_slots[i]))
			TH_LOG("slots %u", bad_slots[i]);

	conf = (struct mpt_ring_conf){ .slots = 64, .flags = 1 };
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_RING_SET, &conf));
	EXPECT_EQ(EINVAL, errno);
	conf = (struct mpt_ring_conf){ .slots = 64, .used = 1 };
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_RING_SET, &conf));
	conf = (struct mpt_ring_conf){ .slots = 64, .reserved = 1 };
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_RING_SET, &conf));
	conf = (struct mpt_ring_conf){ .slots = 64, .lost = 1 };
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_RING_SET, &conf));

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_RING_SET, NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_RING_GET, NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MPT_IOC_RING_GET, (void *)0xffffffff81000000UL));
	EXPECT_EQ(EFAULT, errno);

	ASSERT_EQ(0, ioctl(self->fd, MPT_IOC_RING_GET, &conf));
	EXPECT_EQ(32, conf.slots);
}

/* Each open is counted, and the open-file gauge follows open/close. */
TEST_F(dev, counted)
{
	int nl, family, fd;
	int64_t opens, open_now, ioctls, bad;
	struct mpt_version v;

	nl = mpt_nl_socket();
	ASSERT_LE(0, nl);
	family = mpt_genl_family(nl, MPT_GENL_NAME, NULL, NULL);
	ASSERT_LT(0, family);

	opens = mpt_stat(nl, family, MPT_STATS_A_DEV_OPENS);
	open_now = mpt_stat(nl, family, MPT_STATS_A_DEV_OPEN);
	ioctls = mpt_stat(nl, family, MPT_STATS_A_DEV_IOCTLS);
	bad = mpt_stat(nl, family, MPT_STATS_A_BAD_REQUESTS);
	ASSERT_LE(1, open_now);		/* the fixture's own */

	fd = open(MPT_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(opens + 1, mpt_stat(nl, family, MPT_STATS_A_DEV_OPENS));
	EXPECT_EQ(open_now + 1, mpt_stat(nl, family, MPT_STATS_A_DEV_OPEN));
	EXPECT_EQ(0, ioctl(fd, MPT_IOC_VERSION, &v));
	EXPECT_EQ(-1, ioctl(fd, _IO(MPT_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ioctls + 2, mpt_stat(nl, family, MPT_STATS_A_DEV_IOCTLS));
	EXPECT_EQ(bad + 1, mpt_stat(nl, family, MPT_STATS_A_BAD_REQUESTS));
	close(fd);
	EXPECT_EQ(open_now, mpt_stat(nl, family, MPT_STATS_A_DEV_OPEN));
	close(nl);
}

TEST_HARNESS_MAIN
