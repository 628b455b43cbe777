// SPDX-License-Identifier: GPL-2.0
/*
 * Watching processes: probes on the scheduler's process tracepoints, and
 * two kprobes where the kernel has no tracepoint.
 *
 * The sched_process_* tracepoints are not exported to modules, so they
 * are found by name with for_each_kernel_tracepoint().  Probes run in the
 * context of fork, exec and exit: they never sleep; the only allocation
 * is a process record (GFP_NOWAIT); mpt_emit() returns at once when
 * nobody listens.
 *
 * Zombies, reaping and orphans have no tracepoint.  Two kprobes find
 * them: proc_exit_connector(), called by do_exit() right after
 * exit_notify() has reparented the task's children and made the process
 * a zombie; and proc_flush_pid(), called by release_task() for every
 * task it releases, whoever calls it (a wait(2), the task itself, or a
 * parent handing zombies to a reaper that ignores SIGCHLD).  Both must
 * go through ftrace (KPROBES_ON_FTRACE, as in Debian's kernels): an int3
 * kprobe runs like an NMI, where neither locks nor allocations are
 * allowed.  Without them the module loads without MPT_FEAT_REAP.
 */
#include <linux/binfmts.h>
#include <linux/kprobes.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/mptrace.h>

#include "event.h"
#include "lock.h"
#include "procs.h"
#include "queue.h"
#include "track.h"

static bool mpt_reap_on;

/* The MPT_FEAT_* bits this module provides on this kernel. */
u64 mpt_features(void)
{
	return MPT_FEAT_STATS | MPT_FEAT_EVENTS | MPT_FEAT_PROCS |
	       MPT_FEAT_QUEUES | MPT_FEAT_LOCKS | MPT_FEAT_FAST_LOCKS |
	       MPT_FEAT_FAST_QUEUES |
	       (mpt_reap_on ? MPT_FEAT_REAP : 0);
}

static void mpt_probe_fork(void *data, struct task_struct *parent,
			   struct task_struct *child)
{
	struct mpt_src src = {
		.type = MPT_EV_FORK,
		.thread = !thread_group_leader(child),
		.task = child,
		.actor = parent,
	};

	if (mpt_reap_on)
		mpt_procs_fork(child);
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
 * The last thread out reports the process, with the status its parent's
 * wait() will see; the others report a thread, with their own.
 * signal->live falls to zero before the tracepoint, so several threads
 * on their way out may find it so: the process table lets only the
 * first report the process (without it, with the kprobes missing, each
 * of them does).
 */
static void mpt_probe_exit(void *data, struct task_struct *p)
{
	struct mpt_src src = {
		.type = MPT_EV_EXIT,
		.thread = atomic_read(&p->signal->live) != 0,
		.task = p,
		.status = p->exit_code,
	};

	if (!src.thread) {
		src.status = mpt_wait_status(p->group_leader);
		if (mpt_reap_on && !mpt_procs_exit_task(p, src.status)) {
			src.thread = true;
			src.status = p->exit_code;
		}
	}
	mpt_queues_exit_thread(p);
	if (!src.thread)
		mpt_queues_exit_task(p);
	mpt_locks_exit_task(p);
	mpt_emit(&src);
}

/*
 * get_signal() delivers @sig to current.  A fatal one (its default
 * action kills, and neither the handler nor init's protection stops it)
 * means current never runs user code again: its locks can go before
 * its exit.  Called with the siglock held and interrupts off.
 */
static void mpt_probe_signal(void *data, int sig,
			     struct kernel_siginfo *info,
			     struct k_sigaction *ka)
{
	if (ka->sa.sa_handler != SIG_DFL || sig_kernel_ignore(sig) ||
	    sig_kernel_stop(sig))
		return;
	if ((current->signal->flags & SIGNAL_UNKILLABLE) &&
	    !sig_kernel_only(sig))
		return;
	mpt_locks_dying();
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
	{ "signal_deliver", mpt_probe_signal },
};

/* do_exit(), after exit_notify(): current is the exiting task. */
static int mpt_kp_after_exit(struct kprobe *kp, struct pt_regs *regs)
{
	mpt_procs_after_exit(current);
	return 0;
}

/* release_task(): the pid of the task released. */
static int mpt_kp_release(struct kprobe *kp, struct pt_regs *regs)
{
	mpt_procs_release((struct pid *)regs_get_kernel_argument(regs, 0));
	return 0;
}

static struct kprobe mpt_kps[] = {
	{ .symbol_name = "proc_exit_connector", .pre_handler = mpt_kp_after_exit },
	{ .symbol_name = "proc_flush_pid", .pre_handler = mpt_kp_release },
};

static void mpt_kp_detach(size_t n)
{
	while (n--)
		unregister_kprobe(&mpt_kps[n]);
}

/* True when both kprobes are attached, through ftrace. */
static bool mpt_kp_attach(void)
{
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(mpt_kps); i++) {
		ret = register_kprobe(&mpt_kps[i]);
		if (!ret && !(mpt_kps[i].flags & KPROBE_FLAG_FTRACE)) {
			unregister_kprobe(&mpt_kps[i]);
			ret = -EOPNOTSUPP;
		}
		if (ret) {
			pr_warn("no kprobe on %s through ftrace (%d): no zombie, reap or orphan events\n",
				mpt_kps[i].symbol_name, ret);
			mpt_kp_detach(i);
			return false;
		}
	}
	return true;
}

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

	/* Records are freed at release: that probe comes first. */
	mpt_reap_on = mpt_kp_attach();
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
	if (mpt_reap_on)
		mpt_procs_scan();
	return 0;

err:
	mpt_detach(i);
	if (mpt_reap_on)
		mpt_kp_detach(ARRAY_SIZE(mpt_kps));
	return ret;
}

void mpt_track_exit(void)
{
	mpt_detach(ARRAY_SIZE(mpt_tps));
	if (mpt_reap_on)
		mpt_kp_detach(ARRAY_SIZE(mpt_kps));
}
