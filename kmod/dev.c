// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mptrace: a misc character device.  Each open file is a reader
 * with its own context; ioctl() carries the MPT_IOC_* requests.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/mptrace.h>

#include "dev.h"
#include "stats.h"

/**
 * struct mpt_reader - the state of one open file of /dev/mptrace
 * @wait: readers and pollers sleep here until an event arrives
 */
struct mpt_reader {
	wait_queue_head_t	wait;
};

static int mpt_dev_open(struct inode *inode, struct file *file)
{
	struct mpt_reader *reader;

	reader = kzalloc(sizeof(*reader), GFP_KERNEL_ACCOUNT);
	if (!reader)
		return -ENOMEM;
	init_waitqueue_head(&reader->wait);

	/* misc_open() left the miscdevice here; the reader replaces it. */
	file->private_data = reader;
	atomic_inc(&mpt_stats.dev_open);
	atomic64_inc(&mpt_stats.dev_opens);
	return stream_open(inode, file);
}

static int mpt_dev_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	atomic_dec(&mpt_stats.dev_open);
	return 0;
}

/*
 * No event source is attached yet, so a reader never has anything to
 * read: a non-blocking read says so, a blocking one sleeps until a
 * signal.  Both are what a reader of an idle event stream expects.
 */
static ssize_t mpt_dev_read(struct file *file, char __user *buf, size_t len,
			    loff_t *ppos)
{
	struct mpt_reader *reader = file->private_data;

	if (!len)
		return 0;
	if (file->f_flags & O_NONBLOCK)
		return -EAGAIN;
	if (wait_event_interruptible(reader->wait, false))
		return -ERESTARTSYS;
	return 0;
}

static __poll_t mpt_dev_poll(struct file *file, poll_table *wait)
{
	struct mpt_reader *reader = file->private_data;

	poll_wait(file, &reader->wait, wait);
	return 0;
}

static long mpt_ioc_version(void __user *argp)
{
	struct mpt_version v = {
		.abi = MPT_ABI_VERSION,
		.features = MPT_FEAT_STATS,
	};

	strscpy(v.version, MPT_VERSION, sizeof(v.version));
	if (copy_to_user(argp, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static long mpt_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	long ret;

	atomic64_inc(&mpt_stats.dev_ioctls);

	switch (cmd) {
	case MPT_IOC_VERSION:
		ret = mpt_ioc_version(argp);
		break;
	default:
		ret = -ENOTTY;
		break;
	}

	if (ret == -ENOTTY || ret == -EFAULT || ret == -EINVAL)
		atomic64_inc(&mpt_stats.bad_requests);
	return ret;
}

static const struct file_operations mpt_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= mpt_dev_open,
	.release	= mpt_dev_release,
	.read		= mpt_dev_read,
	.poll		= mpt_dev_poll,
	.unlocked_ioctl	= mpt_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/*
 * Anyone may open the device: what a caller may see or do is checked
 * per request, not at open.
 */
static struct miscdevice mpt_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= MPT_DEVICE_NAME,
	.fops	= &mpt_dev_fops,
	.mode	= 0666,
};

int mpt_dev_init(void)
{
	return misc_register(&mpt_miscdev);
}

void mpt_dev_exit(void)
{
	misc_deregister(&mpt_miscdev);
}
