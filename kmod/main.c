// SPDX-License-Identifier: GPL-2.0
/*
 * mptrace - process lifecycle, zombies, orphans, queues and locks, seen
 * from the kernel.  This file is the table of contents: each subsystem's
 * init in order, its exit in reverse.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <linux/mptrace.h>

#include "dev.h"
#include "netlink.h"
#include "lock.h"
#include "procs.h"
#include "queue.h"
#include "stats.h"
#include "track.h"

static int __init mpt_init(void)
{
	int ret;

	mpt_stats_init();

	ret = mpt_procs_init();
	if (ret)
		goto err_procs;

	ret = mpt_netlink_init();
	if (ret)
		goto err_netlink;

	ret = mpt_track_init();
	if (ret)
		goto err_track;

	/*
	 * The device last: a file opened while the module is still coming
	 * holds its code, which a failed init would free under it.
	 */
	ret = mpt_dev_init();
	if (ret)
		goto err_dev;

	pr_info("version %s (ABI %d) loaded\n", MPT_VERSION, MPT_ABI_VERSION);
	return 0;

err_dev:
	mpt_track_exit();
err_track:
	mpt_netlink_exit();
err_netlink:
	mpt_locks_exit();
	mpt_queues_exit();
	mpt_procs_exit();
err_procs:
	return ret;
}

static void __exit mpt_exit(void)
{
	mpt_track_exit();
	mpt_locks_flush();	/* its releases tell the listeners */
	mpt_dev_exit();
	mpt_netlink_exit();
	mpt_locks_exit();
	mpt_queues_exit();
	mpt_procs_exit();
	pr_info("unloaded\n");
}

module_init(mpt_init);
module_exit(mpt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Process lifecycle, zombies, orphans, queues and locks");
MODULE_AUTHOR("The mptrace developers");
MODULE_VERSION(MPT_VERSION);
MODULE_ALIAS_GENL_FAMILY(MPT_GENL_NAME);
