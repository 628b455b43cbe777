/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * mptrace - process lifecycle, zombies, orphans, queues and locks, seen
 * from the kernel.
 *
 * This header is the protocol between mptrace.ko and its users (the
 * mptrace CLI, libmptrace, the selftests and any other program).  It is
 * the written contract: every message and field is described here, and
 * kmod/uapi/mptrace.yaml describes the same netlink family for generic
 * clients such as the kernel's ynl.
 *
 * Two channels
 * ============
 *
 * /dev/mptrace (misc character device, mode 0666)
 *	open(2) gives a private reader context.  ioctl(2) carries the
 *	MPT_IOC_* requests below; read(2) and poll(2) deliver events to
 *	that reader from its own ring (see "Reading events").  The device
 *	is not seekable (lseek fails with ESPIPE) and not writable (write
 *	fails with EINVAL).
 *
 * Generic netlink family "mptrace" (MPT_GENL_NAME, MPT_GENL_VERSION)
 *	Requests are the MPT_CMD_* commands; attributes are enum mpt_attr
 *	at the top level.  Each command has its own policy: an attribute
 *	the command does not take is rejected with EINVAL and an extended
 *	ACK message naming it.  The family is available in every network
 *	namespace.  Events are multicast on the group MPT_MCGRP_EVENTS.
 *
 * Compatibility
 * =============
 *
 * MPT_ABI_VERSION grows when a message changes incompatibly.  New
 * ioctls, commands and attributes may be added without a bump; a client
 * discovers them through the version reply.  Reserved fields in ioctl
 * arguments must be zero on input; the module answers EINVAL otherwise,
 * so that they can be given a meaning later.
 *
 * Errors
 * ======
 *
 * ENOTTY	unknown ioctl (wrong magic, number, direction or size)
 * EFAULT	an ioctl argument pointer is not valid user memory
 * EINVAL	a malformed request (reserved field set, bad attribute)
 * ERANGE	an attribute value outside its documented range
 * EOPNOTSUPP	unknown netlink command
 * EPROTO	the client asked for an ABI the module does not speak
 */
#ifndef _UAPI_LINUX_MPTRACE_H
#define _UAPI_LINUX_MPTRACE_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define MPT_DEVICE_NAME		"mptrace"
#define MPT_DEVICE_PATH		"/dev/mptrace"

#define MPT_GENL_NAME		"mptrace"
#define MPT_GENL_VERSION	1
#define MPT_MCGRP_EVENTS	"events"

#define MPT_ABI_VERSION		1

/* Length of the version string, including its terminating NUL. */
#define MPT_VERSION_LEN		32

/*
 * ioctl magic.  0xB9 is unassigned in the kernel's
 * Documentation/userspace-api/ioctl/ioctl-number.rst.
 */
#define MPT_IOC_MAGIC		0xB9

/**
 * struct mpt_version - answer of %MPT_IOC_VERSION
 * @abi: the module's %MPT_ABI_VERSION
 * @reserved: always zero
 * @features: %MPT_FEAT_* bits of the subsystems this module provides
 * @version: module version, NUL-terminated (the same string as
 *	/sys/module/mptrace/version)
 */
struct mpt_version {
	__u32	abi;
	__u32	reserved;
	__u64	features;
	char	version[MPT_VERSION_LEN];
};

/*
 * MPT_IOC_VERSION - the module's version, ABI and features.
 * Output only; never fails but for EFAULT.
 */
#define MPT_IOC_VERSION		_IOR(MPT_IOC_MAGIC, 0x00, struct mpt_version)

/* Feature bits of struct mpt_version and %MPT_A_FEATURES. */
enum mpt_feature {
	MPT_FEAT_STATS_BIT,
	MPT_FEAT_EVENTS_BIT,
	MPT_FEAT_PROCS_BIT,
	MPT_FEAT_REAP_BIT,
	__MPT_FEAT_BIT_LAST,
};

#define MPT_FEAT_STATS		_BITULL(MPT_FEAT_STATS_BIT)
#define MPT_FEAT_EVENTS		_BITULL(MPT_FEAT_EVENTS_BIT)
/* The process table: %MPT_IOC_PROCS and %MPT_CMD_GET_PROCS. */
#define MPT_FEAT_PROCS		_BITULL(MPT_FEAT_PROCS_BIT)
/*
 * %MPT_EV_ZOMBIE, %MPT_EV_REAP and %MPT_EV_ORPHAN.  They need kprobes
 * (through ftrace) on proc_exit_connector() and proc_flush_pid(); a kernel
 * without them loads the module without this feature.
 */
#define MPT_FEAT_REAP		_BITULL(MPT_FEAT_REAP_BIT)

/*
 * Reading events
 * ==============
 *
 * Each open file of /dev/mptrace has its own ring of event records.  A
 * file subscribes, and its ring is made (%MPT_RING_DEFAULT_SLOTS slots
 * unless %MPT_IOC_RING_SET says otherwise), on its first read(2),
 * poll(2) or %MPT_IOC_RING_SET: files used only for other requests cost
 * no ring, and events before a file subscribes are not its to lose.  One
 * slot holds one record of at most %MPT_EVENT_MAX_SIZE bytes.
 *
 * read(2) returns as many whole records as fit in the buffer, oldest
 * first; a buffer smaller than the next record fails with EINVAL, so a
 * buffer of %MPT_EVENT_MAX_SIZE bytes always works.  A record leaves the
 * ring only once it has been copied out: a fault loses nothing.  With no
 * record waiting, read blocks (interruptibly) or, with O_NONBLOCK, fails
 * with EAGAIN; poll reports POLLIN when a record waits.
 *
 * When the ring is full, new events are dropped and counted, never
 * silently: the stream then holds an %MPT_EV_LOST record, at the place
 * of the gap, that says how many events this reader missed and the
 * sequence number of the first.  Every event is either read or counted
 * in exactly one LOST record.
 *
 * The rings of all readers together are bounded by the module parameter
 * ring_mem_max (bytes); a ring that would exceed it is refused with
 * ENOSPC.
 */

#define MPT_EVENT_MAX_SIZE	256
#define MPT_RING_MIN_SLOTS	16
#define MPT_RING_MAX_SLOTS	65536
#define MPT_RING_DEFAULT_SLOTS	1024

/**
 * enum mpt_event_type - the type of an event record
 * @MPT_EV_NONE: never used
 * @MPT_EV_LOST: the reader missed events here (struct mpt_event_lost)
 * @MPT_EV_FORK: a process was created (struct mpt_event_fork)
 * @MPT_EV_EXEC: a process executed a program (struct mpt_event_exec)
 * @MPT_EV_EXIT: a process ended (struct mpt_event_exit)
 * @MPT_EV_ZOMBIE: a process that ended now waits for its parent to reap
 *	it (struct mpt_event_zombie)
 * @MPT_EV_REAP: a process is gone for good: its parent reaped it, or the
 *	kernel did (struct mpt_event_reap)
 * @MPT_EV_ORPHAN: a process's parent ended before it; the kernel gave it
 *	a new parent (struct mpt_event_orphan)
 *
 * The life of a process in events: FORK, any number of EXEC, EXIT when
 * its last thread ends, then either ZOMBIE and later REAP (%MPT_REAP_WAIT)
 * or, when its parent ignores SIGCHLD, REAP alone (%MPT_REAP_AUTO).
 * ORPHAN may come at any point before REAP.  ZOMBIE, REAP and ORPHAN are
 * about processes, never threads, and are reported only for processes
 * in the module's table (see "The process table").
 *
 * Which processes a reader sees: those of its pid namespace and the
 * namespaces below it, numbered as its namespace numbers them; all of
 * them if the file's opener had CAP_SYS_ADMIN or CAP_PERFMON over the
 * user namespace owning that pid namespace, else only those whose real
 * uid is the opener's.  Within that, %MPT_IOC_FILTER_SET narrows what a
 * reader gets.  Thread creation and the exit of a thread that is not the
 * last of its process are reported with %MPT_EVF_THREAD: on netlink
 * always (so that sequence gaps there mean losses), on /dev only to
 * readers whose filter asks for %MPT_FILTER_THREADS.  A /dev reader may
 * thus see sequence numbers skip what it does not receive; its losses
 * come as %MPT_EV_LOST records.
 */
enum mpt_event_type {
	MPT_EV_NONE,
	MPT_EV_LOST,
	MPT_EV_FORK,
	MPT_EV_EXEC,
	MPT_EV_EXIT,
	MPT_EV_ZOMBIE,
	MPT_EV_REAP,
	MPT_EV_ORPHAN,
	__MPT_EV_MAX,
};

#define MPT_EV_MAX	(__MPT_EV_MAX - 1)

/**
 * struct mpt_event_hdr - the start of every event record
 * @size: bytes of the whole record, this header included; a multiple of 8
 *	and at most %MPT_EVENT_MAX_SIZE.  Skip what you do not know.
 * @type: enum mpt_event_type
 * @flags: %MPT_EVF_* flags
 * @seq: global sequence number: every event the module makes gets the
 *	next one, starting at 1 when it loads (a LOST record carries the
 *	number of the first event it stands for)
 * @time_ns: CLOCK_BOOTTIME when the event happened
 */
struct mpt_event_hdr {
	__u16	size;
	__u16	type;
	__u32	flags;
	__u64	seq;
	__u64	time_ns;
};

/* Flags of struct mpt_event_hdr */
#define MPT_EVF_THREAD		_BITUL(0)	/* about a thread, not a process */

/**
 * struct mpt_event_lost - %MPT_EV_LOST
 * @hdr: header; @hdr.seq and @hdr.time_ns are those of the first lost
 *	event
 * @count: how many events this reader missed at this point
 */
struct mpt_event_lost {
	struct mpt_event_hdr	hdr;
	__u64			count;
};

#define MPT_COMM_LEN		16

/**
 * struct mpt_task - the process an event is about
 * @pid: its process id (thread group id)
 * @tid: the id of the thread that acted
 * @ppid: its parent's process id, 0 when the parent is outside the
 *	reader's pid namespace
 * @uid: its real uid, as the reader's user namespace maps it (overflow
 *	uid 65534 when unmapped)
 * @comm: its command name, NUL-terminated
 */
struct mpt_task {
	__u32	pid;
	__u32	tid;
	__u32	ppid;
	__u32	uid;
	char	comm[MPT_COMM_LEN];
};

/**
 * struct mpt_event_fork - %MPT_EV_FORK
 * @hdr: header
 * @task: the new process (its comm is still the parent's)
 * @parent_pid: the process that called fork/clone
 * @parent_tid: its thread that did
 */
struct mpt_event_fork {
	struct mpt_event_hdr	hdr;
	struct mpt_task		task;
	__u32			parent_pid;
	__u32			parent_tid;
};

#define MPT_FILENAME_LEN	176

/* Flags of struct mpt_event_exec */
#define MPT_EXEC_TRUNCATED	_BITUL(0)	/* @filename was cut */

/**
 * struct mpt_event_exec - %MPT_EV_EXEC
 * @hdr: header
 * @task: the process, with its new comm
 * @old_tid: the thread id that called execve (another thread of the
 *	process may have called it; the process keeps its pid)
 * @flags: %MPT_EXEC_* flags
 * @filename: the program's path as given to execve, NUL-terminated,
 *	cut to %MPT_FILENAME_LEN - 1 bytes (%MPT_EXEC_TRUNCATED)
 */
struct mpt_event_exec {
	struct mpt_event_hdr	hdr;
	struct mpt_task		task;
	__u32			old_tid;
	__u32			flags;
	char			filename[MPT_FILENAME_LEN];
};

/**
 * struct mpt_event_exit - %MPT_EV_EXIT, the last thread of a process ended
 * (or, with %MPT_EVF_THREAD, one thread of it)
 * @hdr: header
 * @task: the process; @task.tid is its last thread (or the thread)
 * @status: the status its parent's wait(2) will see: exit code << 8, or
 *	the terminating signal with 0x80 set when it dumped core (use
 *	WIFEXITED(), WEXITSTATUS(), WTERMSIG(), WCOREDUMP()); for a thread,
 *	its own exit code in the same form
 * @reserved: zero
 */
struct mpt_event_exit {
	struct mpt_event_hdr	hdr;
	struct mpt_task		task;
	__s32			status;
	__u32			reserved;
};

/**
 * struct mpt_event_zombie - %MPT_EV_ZOMBIE
 * @hdr: header
 * @task: the process; @task.ppid is the parent whose wait(2) must reap it
 * @status: its wait(2) status, as in struct mpt_event_exit
 * @reserved: zero
 */
struct mpt_event_zombie {
	struct mpt_event_hdr	hdr;
	struct mpt_task		task;
	__s32			status;
	__u32			reserved;
};

/**
 * enum mpt_reap_how - how a process was reaped: struct mpt_event_reap.how
 * @MPT_REAP_WAIT: by a wait(2) of its parent (or tracer)
 * @MPT_REAP_AUTO: by the kernel, without a wait: its parent ignores
 *	SIGCHLD or set SA_NOCLDWAIT
 */
enum mpt_reap_how {
	MPT_REAP_WAIT = 1,
	MPT_REAP_AUTO,
};

/*
 * Flags of struct mpt_event_reap
 *
 * MPT_REAP_ZOMBIE_UNKNOWN: it was a zombie before the module loaded;
 * @zombie_ns counts from the load.
 */
#define MPT_REAP_ZOMBIE_UNKNOWN	_BITUL(0)

/**
 * struct mpt_event_reap - %MPT_EV_REAP
 * @hdr: header
 * @task: the process; @task.ppid is its parent at the end
 * @reaper_pid: the process whose thread reaped it (%MPT_REAP_WAIT), or
 *	the one that released it (%MPT_REAP_AUTO: the process itself, or a
 *	parent that ignored SIGCHLD as it exited); 0 when outside the
 *	reader's pid namespace
 * @how: enum mpt_reap_how
 * @status: its wait(2) status
 * @flags: %MPT_REAP_* flags
 * @zombie_ns: how long it was a zombie (0 for %MPT_REAP_AUTO)
 */
struct mpt_event_reap {
	struct mpt_event_hdr	hdr;
	struct mpt_task		task;
	__u32			reaper_pid;
	__u32			how;
	__s32			status;
	__u32			flags;
	__u64			zombie_ns;
};

/*
 * Flags of struct mpt_event_orphan
 *
 * MPT_ORPHAN_SUBREAPER: the new parent is a child subreaper
 *	(PR_SET_CHILD_SUBREAPER).
 * MPT_ORPHAN_NS_INIT: the new parent is the init (pid 1) of a pid
 *	namespace: the ending parent's.
 * MPT_ORPHAN_ZOMBIE: the orphan had already ended; the new parent must
 *	reap it.
 * MPT_ORPHAN_HISTORY_UNKNOWN: the orphan predates the module: @orig_ppid
 *	is the parent it had when the module loaded.
 */
#define MPT_ORPHAN_SUBREAPER	_BITUL(0)
#define MPT_ORPHAN_NS_INIT	_BITUL(1)
#define MPT_ORPHAN_ZOMBIE	_BITUL(2)
#define MPT_ORPHAN_HISTORY_UNKNOWN _BITUL(3)

/**
 * struct mpt_event_orphan - %MPT_EV_ORPHAN
 * @hdr: header
 * @task: the orphan; @task.ppid is its new parent, the one the kernel
 *	chose (the same as PPid in /proc/PID/status from now on)
 * @old_ppid: the parent that ended
 * @orig_ppid: its original parent, kept for its whole life (the same as
 *	@old_ppid the first time it is orphaned)
 * @flags: %MPT_ORPHAN_* flags
 * @reserved: zero
 *
 * A pid is 0 when that process is outside the reader's pid namespace.
 */
struct mpt_event_orphan {
	struct mpt_event_hdr	hdr;
	struct mpt_task		task;
	__u32			old_ppid;
	__u32			orig_ppid;
	__u32			flags;
	__u32			reserved;
};

/* Flags of struct mpt_filter */
#define MPT_FILTER_SUBTREE	_BITUL(0)	/* @pid and its descendants */
#define MPT_FILTER_THREADS	_BITUL(1)	/* threads' events too */
#define MPT_FILTER_ALL_FLAGS	(MPT_FILTER_SUBTREE | MPT_FILTER_THREADS)

/**
 * struct mpt_filter - argument of %MPT_IOC_FILTER_SET
 * @types: bit (1 << MPT_EV_*) for each event type wanted; 0 for all.
 *	%MPT_EV_LOST records always come.
 * @flags: %MPT_FILTER_* flags
 * @pid: only events about this process (as the caller's pid namespace
 *	numbers it) and the forks it makes, or with %MPT_FILTER_SUBTREE
 *	about it and the processes descended from it at the time of each
 *	event (an orphan adopted elsewhere leaves the subtree); 0 for every
 *	process
 * @reserved: zero
 */
struct mpt_filter {
	__u32	types;
	__u32	flags;
	__u32	pid;
	__u32	reserved;
};

/*
 * MPT_IOC_FILTER_SET - what this reader receives from now on.  EINVAL for
 * an unknown type bit or flag, %MPT_FILTER_SUBTREE without @pid, or a
 * non-zero @reserved; ESRCH when @pid names no process the caller can
 * see.  The default is every type, every process, no threads.
 */
#define MPT_IOC_FILTER_SET	_IOW(MPT_IOC_MAGIC, 0x03, struct mpt_filter)

/**
 * struct mpt_ring_conf - argument of %MPT_IOC_RING_SET and %MPT_IOC_RING_GET
 * @slots: ring size in records: a power of two from %MPT_RING_MIN_SLOTS
 *	to %MPT_RING_MAX_SLOTS
 * @flags: reserved, zero
 * @used: (GET) records waiting to be read
 * @lost: (GET) events this reader has missed since it opened
 * @reserved: zero
 */
struct mpt_ring_conf {
	__u32	slots;
	__u32	flags;
	__u32	used;
	__u32	reserved;
	__u64	lost;
};

/*
 * MPT_IOC_RING_SET - subscribe with a ring of @slots records, or resize
 * the ring.  @flags, @used, @reserved and @lost must be zero.  EINVAL for
 * a bad size or a non-zero field, EBUSY when records wait to be read
 * (read them first), ENOSPC when ring_mem_max would be exceeded, ENOMEM
 * when the memory cannot be had.  On failure the ring is unchanged.
 */
#define MPT_IOC_RING_SET	_IOW(MPT_IOC_MAGIC, 0x01, struct mpt_ring_conf)

/*
 * MPT_IOC_RING_GET - this reader's ring: size, records waiting, events
 * lost.  @slots is 0 while the file has not subscribed.
 */
#define MPT_IOC_RING_GET	_IOR(MPT_IOC_MAGIC, 0x02, struct mpt_ring_conf)

/*
 * The process table
 * =================
 *
 * The module keeps a record of each process it tracks: every process
 * created while it is loaded, and those that existed when it loaded
 * (%MPT_PROC_HISTORY_UNKNOWN: their original parent is the parent they
 * had then).  A record holds what the kernel forgets: the original
 * parent (kept for life, across orphaning), when the process was
 * orphaned, when it ended and with what status.  It goes when the
 * process is reaped.
 *
 * The table is bounded by the module parameter max_procs (default 32768
 * records, about 200 bytes each, counted by %MPT_STATS_A_PROCS_BYTES).
 * When it is full, a new process takes the record of the oldest process
 * that is alive, was never orphaned and has no tracked children (its
 * record says nothing /proc does not); when there is no such record the
 * new process is not tracked.  Both are counted
 * (%MPT_STATS_A_PROCS_EVICTED, %MPT_STATS_A_PROCS_UNTRACKED).  A process
 * without a record is listed with %MPT_PROC_HISTORY_UNKNOWN and has no
 * ZOMBIE, REAP or ORPHAN events.
 *
 * %MPT_IOC_PROCS and %MPT_CMD_GET_PROCS list the processes the caller
 * can see, by the rules of "Reading events": those of its pid namespace
 * (and below), in its numbering, every user's with CAP_SYS_ADMIN or
 * CAP_PERFMON over that namespace, else its own.  They walk the live
 * kernel in pid order, one process at a time, like /proc: each record
 * is consistent, the list as a whole is not a snapshot.
 */

/*
 * Flags of struct mpt_proc
 *
 * MPT_PROC_ZOMBIE: ended, not yet reaped.
 * MPT_PROC_ORPHAN: its parent ended before it (@orphan_ns says when).
 * MPT_PROC_SUBREAPER: a child subreaper.
 * MPT_PROC_NS_INIT: the init (child reaper) of its pid namespace.
 * MPT_PROC_HISTORY_UNKNOWN: no record from its birth: it predates the
 *	module, or the table was full.
 * MPT_PROC_KTHREAD: a kernel thread.
 */
#define MPT_PROC_ZOMBIE		_BITUL(0)
#define MPT_PROC_ORPHAN		_BITUL(1)
#define MPT_PROC_SUBREAPER	_BITUL(2)
#define MPT_PROC_NS_INIT	_BITUL(3)
#define MPT_PROC_HISTORY_UNKNOWN _BITUL(4)
#define MPT_PROC_KTHREAD	_BITUL(5)

/**
 * enum mpt_zombie_why - why a zombie waits, as far as the module can tell
 * @MPT_ZW_NONE: not a zombie
 * @MPT_ZW_NOT_WAITING: its parent runs but is not in a wait(2)
 * @MPT_ZW_BLOCKED: its parent sleeps, but not in a wait(2)
 * @MPT_ZW_WAITS_OTHER: a thread of its parent is in a wait(2) that does
 *	not take this child (another pid or group, or __WCLONE/__WALL)
 * @MPT_ZW_STOPPED: its parent is stopped or traced
 * @MPT_ZW_PARENT_EXITING: its parent is ending; the zombie will pass to
 *	a new parent
 */
enum mpt_zombie_why {
	MPT_ZW_NONE,
	MPT_ZW_NOT_WAITING,
	MPT_ZW_BLOCKED,
	MPT_ZW_WAITS_OTHER,
	MPT_ZW_STOPPED,
	MPT_ZW_PARENT_EXITING,
};

/**
 * struct mpt_proc - one process, as %MPT_IOC_PROCS and %MPT_CMD_GET_PROCS
 * report it
 * @pid: its process id
 * @ppid: its parent now (0: outside the caller's pid namespace)
 * @orig_ppid: the parent it was born to (or had when the module first
 *	saw it); equal to @ppid unless it was orphaned
 * @uid: its real uid, mapped into the caller's user namespace
 * @flags: %MPT_PROC_* flags
 * @threads: its live threads (0 for a zombie)
 * @start_ns: CLOCK_BOOTTIME when it was created
 * @exit_ns: CLOCK_BOOTTIME when it ended (zombie since); 0 while alive or
 *	when unknown
 * @orphan_ns: CLOCK_BOOTTIME when it was first orphaned; 0 if never
 * @status: its wait(2) status once ended
 * @state: its state as /proc/PID/stat shows it ('R', 'S', 'D', 'T', 't',
 *	'Z', 'X', 'I', ...)
 * @why: a zombie: enum mpt_zombie_why
 * @reserved: zero
 * @comm: its command name
 */
struct mpt_proc {
	__u32	pid;
	__u32	ppid;
	__u32	orig_ppid;
	__u32	uid;
	__u32	flags;
	__u32	threads;
	__u64	start_ns;
	__u64	exit_ns;
	__u64	orphan_ns;
	__s32	status;
	__u8	state;
	__u8	why;
	__u16	reserved;
	char	comm[MPT_COMM_LEN];
};

/**
 * struct mpt_procs_req - argument of %MPT_IOC_PROCS
 * @buf: user pointer to an array of struct mpt_proc
 * @count: in: room in @buf (at most %MPT_PROCS_MAX); out: records written
 * @start: in: list processes with a pid >= @start (0 or 1: from the first)
 * @next: out: the @start of the next call; 0 when the list is complete
 * @reserved: zero
 */
struct mpt_procs_req {
	__u64	buf;
	__u32	count;
	__u32	start;
	__u32	next;
	__u32	reserved;
};

#define MPT_PROCS_MAX		4096

/*
 * MPT_IOC_PROCS - list processes, in pid order, from @start.  Call again
 * from @next until it is 0.  EINVAL for a @count of 0 or above
 * %MPT_PROCS_MAX, or a non-zero @reserved; EFAULT for a bad @buf.
 */
#define MPT_IOC_PROCS		_IOWR(MPT_IOC_MAGIC, 0x04, struct mpt_procs_req)

/**
 * enum mpt_cmd - generic netlink commands of family "mptrace"
 * @MPT_CMD_UNSPEC: never used
 * @MPT_CMD_GET_VERSION: do: request may carry %MPT_A_ABI, the ABI the
 *	client needs; the module answers EPROTO (with an extended ACK
 *	message) when that is newer than its own.  The reply carries
 *	%MPT_A_ABI, %MPT_A_VERSION and %MPT_A_FEATURES.
 * @MPT_CMD_GET_STATS: do: takes no attribute.  The reply carries
 *	%MPT_A_STATS, a nest of enum mpt_stats_attr counters.  Anyone may
 *	ask; the counters describe the module, never a process.
 * @MPT_CMD_EVENT: notification on the %MPT_MCGRP_EVENTS group: one
 *	event in %MPT_A_EVENT, a nest of enum mpt_event_attr.  Multicast in
 *	the initial network namespace only, with pids as the initial pid
 *	namespace numbers them; joining needs CAP_SYS_ADMIN.  A listener
 *	detects lost events by gaps in %MPT_EV_A_SEQ (every event the module
 *	makes while anyone listens takes the next number).
 * @MPT_CMD_GET_PROCS: dump: takes no attribute.  One message per process
 *	the caller can see (see "The process table"), each with a
 *	%MPT_A_PROC nest of enum mpt_proc_attr, in pid order.
 */
enum mpt_cmd {
	MPT_CMD_UNSPEC,
	MPT_CMD_GET_VERSION,
	MPT_CMD_GET_STATS,
	MPT_CMD_EVENT,
	MPT_CMD_GET_PROCS,
	__MPT_CMD_MAX,
};

#define MPT_CMD_MAX	(__MPT_CMD_MAX - 1)

/**
 * enum mpt_attr - top-level netlink attributes
 * @MPT_A_UNSPEC: never used
 * @MPT_A_PAD: padding for 64-bit attributes
 * @MPT_A_ABI: u32, an ABI version (>= 1)
 * @MPT_A_VERSION: string, the module version (< %MPT_VERSION_LEN bytes)
 * @MPT_A_FEATURES: u64, %MPT_FEAT_* bits
 * @MPT_A_STATS: nest, enum mpt_stats_attr
 * @MPT_A_EVENT: nest, enum mpt_event_attr
 * @MPT_A_PROC: nest, enum mpt_proc_attr
 */
enum mpt_attr {
	MPT_A_UNSPEC,
	MPT_A_PAD,
	MPT_A_ABI,
	MPT_A_VERSION,
	MPT_A_FEATURES,
	MPT_A_STATS,
	MPT_A_EVENT,
	MPT_A_PROC,
	__MPT_A_MAX,
};

#define MPT_A_MAX	(__MPT_A_MAX - 1)

/**
 * enum mpt_stats_attr - module counters, nested in %MPT_A_STATS
 * @MPT_STATS_A_UNSPEC: never used
 * @MPT_STATS_A_PAD: padding for 64-bit attributes
 * @MPT_STATS_A_LOADED_NS: u64, CLOCK_BOOTTIME (ns) when the module loaded
 * @MPT_STATS_A_DEV_OPEN: u32, /dev/mptrace files open now
 * @MPT_STATS_A_DEV_OPENS: u64, opens of /dev/mptrace since load
 * @MPT_STATS_A_DEV_IOCTLS: u64, ioctls on /dev/mptrace since load
 * @MPT_STATS_A_NL_REQUESTS: u64, netlink requests served since load
 * @MPT_STATS_A_BAD_REQUESTS: u64, ioctls and netlink requests the
 *	module refused as malformed (unknown ioctl, bad argument); requests
 *	the netlink core refuses by policy never reach the module
 * @MPT_STATS_A_RING_BYTES: u64, memory held by the rings of all readers
 * @MPT_STATS_A_RING_BYTES_MAX: u64, the ring_mem_max parameter
 * @MPT_STATS_A_DEV_LOST: u64, events dropped from full /dev rings (each
 *	reader was told in a LOST record)
 * @MPT_STATS_A_NL_EVENTS: u64, events multicast on netlink
 * @MPT_STATS_A_NL_DROPS: u64, netlink events not delivered: no memory
 *	for the message, or a listener's receive buffer was full (the
 *	listener sees a gap in the sequence numbers)
 * @MPT_STATS_A_PROCS: u64, records in the process table now
 * @MPT_STATS_A_PROCS_MAX: u64, the max_procs parameter
 * @MPT_STATS_A_PROCS_BYTES: u64, memory the process table holds
 * @MPT_STATS_A_PROCS_EVICTED: u64, records given to a new process while
 *	the table was full
 * @MPT_STATS_A_PROCS_UNTRACKED: u64, processes created while the table
 *	was full, or when no memory could be had, and not tracked
 *
 * A client must ignore counters it does not know.
 */
enum mpt_stats_attr {
	MPT_STATS_A_UNSPEC,
	MPT_STATS_A_PAD,
	MPT_STATS_A_LOADED_NS,
	MPT_STATS_A_DEV_OPEN,
	MPT_STATS_A_DEV_OPENS,
	MPT_STATS_A_DEV_IOCTLS,
	MPT_STATS_A_NL_REQUESTS,
	MPT_STATS_A_BAD_REQUESTS,
	MPT_STATS_A_RING_BYTES,
	MPT_STATS_A_RING_BYTES_MAX,
	MPT_STATS_A_DEV_LOST,
	MPT_STATS_A_NL_EVENTS,
	MPT_STATS_A_NL_DROPS,
	MPT_STATS_A_PROCS,
	MPT_STATS_A_PROCS_MAX,
	MPT_STATS_A_PROCS_BYTES,
	MPT_STATS_A_PROCS_EVICTED,
	MPT_STATS_A_PROCS_UNTRACKED,
	__MPT_STATS_A_MAX,
};

#define MPT_STATS_A_MAX	(__MPT_STATS_A_MAX - 1)

/**
 * enum mpt_event_attr - an event on netlink, nested in %MPT_A_EVENT
 * @MPT_EV_A_UNSPEC: never used
 * @MPT_EV_A_PAD: padding for 64-bit attributes
 * @MPT_EV_A_TYPE: u32, enum mpt_event_type
 * @MPT_EV_A_SEQ: u64, struct mpt_event_hdr.seq
 * @MPT_EV_A_TIME_NS: u64, struct mpt_event_hdr.time_ns
 * @MPT_EV_A_PID: u32, struct mpt_task.pid
 * @MPT_EV_A_TID: u32, struct mpt_task.tid
 * @MPT_EV_A_PPID: u32, struct mpt_task.ppid
 * @MPT_EV_A_UID: u32, struct mpt_task.uid
 * @MPT_EV_A_COMM: string, struct mpt_task.comm
 * @MPT_EV_A_PARENT_PID: u32, FORK: struct mpt_event_fork.parent_pid
 * @MPT_EV_A_PARENT_TID: u32, FORK: struct mpt_event_fork.parent_tid
 * @MPT_EV_A_OLD_TID: u32, EXEC: struct mpt_event_exec.old_tid
 * @MPT_EV_A_EXEC_FLAGS: u32, EXEC: struct mpt_event_exec.flags
 * @MPT_EV_A_FILENAME: string, EXEC: struct mpt_event_exec.filename
 * @MPT_EV_A_STATUS: s32, EXIT: struct mpt_event_exit.status
 * @MPT_EV_A_FLAGS: u32, struct mpt_event_hdr.flags (%MPT_EVF_*)
 * @MPT_EV_A_REAPER_PID: u32, REAP: struct mpt_event_reap.reaper_pid
 * @MPT_EV_A_REAP_HOW: u32, REAP: struct mpt_event_reap.how
 * @MPT_EV_A_ZOMBIE_NS: u64, REAP: struct mpt_event_reap.zombie_ns
 * @MPT_EV_A_OLD_PPID: u32, ORPHAN: struct mpt_event_orphan.old_ppid
 * @MPT_EV_A_ORIG_PPID: u32, ORPHAN: struct mpt_event_orphan.orig_ppid
 * @MPT_EV_A_INFO_FLAGS: u32, REAP and ORPHAN: the event's own flags
 *	(%MPT_REAP_*, %MPT_ORPHAN_*)
 *
 * %MPT_EV_A_STATUS also comes with ZOMBIE and REAP.
 *
 * A listener must ignore attributes it does not know.
 */
enum mpt_event_attr {
	MPT_EV_A_UNSPEC,
	MPT_EV_A_PAD,
	MPT_EV_A_TYPE,
	MPT_EV_A_SEQ,
	MPT_EV_A_TIME_NS,
	MPT_EV_A_PID,
	MPT_EV_A_TID,
	MPT_EV_A_PPID,
	MPT_EV_A_UID,
	MPT_EV_A_COMM,
	MPT_EV_A_PARENT_PID,
	MPT_EV_A_PARENT_TID,
	MPT_EV_A_OLD_TID,
	MPT_EV_A_EXEC_FLAGS,
	MPT_EV_A_FILENAME,
	MPT_EV_A_STATUS,
	MPT_EV_A_FLAGS,
	MPT_EV_A_REAPER_PID,
	MPT_EV_A_REAP_HOW,
	MPT_EV_A_ZOMBIE_NS,
	MPT_EV_A_OLD_PPID,
	MPT_EV_A_ORIG_PPID,
	MPT_EV_A_INFO_FLAGS,
	__MPT_EV_A_MAX,
};

#define MPT_EV_A_MAX	(__MPT_EV_A_MAX - 1)

/**
 * enum mpt_proc_attr - a process in a %MPT_CMD_GET_PROCS dump, nested in
 * %MPT_A_PROC; each is the struct mpt_proc field of the same name
 * @MPT_PROC_A_UNSPEC: never used
 * @MPT_PROC_A_PAD: padding for 64-bit attributes
 * @MPT_PROC_A_PID: u32
 * @MPT_PROC_A_PPID: u32
 * @MPT_PROC_A_ORIG_PPID: u32
 * @MPT_PROC_A_UID: u32
 * @MPT_PROC_A_FLAGS: u32, %MPT_PROC_*
 * @MPT_PROC_A_THREADS: u32
 * @MPT_PROC_A_START_NS: u64
 * @MPT_PROC_A_EXIT_NS: u64
 * @MPT_PROC_A_ORPHAN_NS: u64
 * @MPT_PROC_A_STATUS: s32
 * @MPT_PROC_A_STATE: u8
 * @MPT_PROC_A_WHY: u8, enum mpt_zombie_why
 * @MPT_PROC_A_COMM: string
 *
 * A client must ignore attributes it does not know.
 */
enum mpt_proc_attr {
	MPT_PROC_A_UNSPEC,
	MPT_PROC_A_PAD,
	MPT_PROC_A_PID,
	MPT_PROC_A_PPID,
	MPT_PROC_A_ORIG_PPID,
	MPT_PROC_A_UID,
	MPT_PROC_A_FLAGS,
	MPT_PROC_A_THREADS,
	MPT_PROC_A_START_NS,
	MPT_PROC_A_EXIT_NS,
	MPT_PROC_A_ORPHAN_NS,
	MPT_PROC_A_STATUS,
	MPT_PROC_A_STATE,
	MPT_PROC_A_WHY,
	MPT_PROC_A_COMM,
	__MPT_PROC_A_MAX,
};

#define MPT_PROC_A_MAX	(__MPT_PROC_A_MAX - 1)

#endif /* _UAPI_LINUX_MPTRACE_H */
