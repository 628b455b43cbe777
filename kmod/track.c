// SPDX-License-Identifier: GPL-2.0
/*
 * Watching processes: probes on the scheduler's process tracepoints.
 *
 * The sched_process_* tracepoints are not exported to modules, so they
 * are found by name with for_each_kernel_tracepoint().  Probes run in the
 * context of fork, exec and exit: they never sleep and allocate nothing;
 * mpt_emit() returns at once when nobody listens.
 */
#include <linux/binfmts.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/mptrace.h>

#include "event.h"
#include "track.h"

static void mpt_probe_fork(void *data, struct task_struct *parent,
			   struct task_struct *child)
{
	struct mpt_src src = {
		.type = MPT_EV_FORK,
		.thread = !thread_group_leader(child),
		.task = child,
		.actor = parent,
	};

	mpt_emit(&src);
}

static void mpt_probe_exec(void *data, struct task_struct *p, pid_t old_pid,
			   struct linux_binprm *bprm)
{
	struct mpt_src src = {
		.type = MPT_EV_EXEC,
		.task = p,
		.old_tid = old_pid,
		.filename = bprm->filename,
	};

	mpt_emit(&src);
}

/*
 * The last thread out reports the process; the others report a thread.
 * signal->live has already been decremented for @p when the tracepoint
 * fires.
 */
static void mpt_probe_exit(void *data, struct task_struct *p)
{
	struct signal_struct *sig = p->signal;
	struct mpt_src src = {
		.type = MPT_EV_EXIT,
		.thread = atomic_read(&sig->live) != 0,
		.task = p,
		.status = p->exit_code,
	};

	if (!src.thread && (sig->flags & SIGNAL_GROUP_EXIT))
		src.status = sig->group_exit_code;
	mpt_emit(&src);
}

struct mpt_tp {
	const char		*name;
	void			*probe;
	struct tracepoint	*tp;
};

static struct mpt_tp mpt_tps[] = {
	{ "sched_process_fork", mpt_probe_fork },
	{ "sched_process_exec", mpt_probe_exec },
	{ "sched_process_exit", mpt_probe_exit },
};

static void mpt_find_tp(struct tracepoint *tp, void *priv)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mpt_tps); i++)
		if (!strcmp(tp->name, mpt_tps[i].name))
			mpt_tps[i].tp = tp;
}

static void mpt_detach(size_t n)
{
	while (n--)
		tracepoint_probe_unregister(mpt_tps[n].tp, mpt_tps[n].probe,
					    NULL);
	/* No probe may still run when the module's memory goes. */
	tracepoint_synchronize_unregister();
}

int mpt_track_init(void)
{
	size_t i;
	int ret;

	for_each_kernel_tracepoint(mpt_find_tp, NULL);
	for (i = 0; i < ARRAY_SIZE(mpt_tps); i++) {
		if (!mpt_tps[i].tp) {
			pr_err("tracepoint %s not found\n", mpt_tps[i].name);
			ret = -ENOENT;
			goto err;
		}
		ret = tracepoint_probe_register(mpt_tps[i].tp,
						mpt_tps[i].probe, NULL);
		if (ret) {
			pr_err("cannot attach to %s: %d\n", mpt_tps[i].name,
			       ret);
			goto err;
		}
	}
	return 0;

err:
	mpt_detach(i);
	return ret;
}

void mpt_track_exit(void)
{
	mpt_detach(ARRAY_SIZE(mpt_tps));
}
