/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/**
 * DOC: Overview
 *
 * mptrace - process lifecycle, zombies, orphans, queues and locks, seen
 * from the kernel.
 *
 * This header is the protocol between mptrace.ko and its users (the
 * mptrace CLI, libmptrace, the selftests and any other program).  It is
 * the written contract: every message and field is described here, and
 * kmod/uapi/mptrace.yaml describes the same netlink family for generic
 * clients such as the kernel's ynl.
 *
 * Two channels lead to the module:
 *
 * /dev/mptrace (%MPT_DEVICE_PATH: a misc character device, mode 0666)
 *	open(2) gives a private reader context.  ioctl(2) carries the
 *	%MPT_IOC_* requests below; read(2) and poll(2) deliver events to
 *	that reader from its own ring (see "Reading events").  The device
 *	is not seekable (lseek fails with ESPIPE) and not writable (write
 *	fails with EINVAL).
 *
 * Generic netlink family "mptrace" (%MPT_GENL_NAME, %MPT_GENL_VERSION)
 *	Requests are the %MPT_CMD_* commands; attributes are enum mpt_attr
 *	at the top level.  Each command has its own policy: an attribute
 *	the command does not take is rejected with EINVAL and an extended
 *	ACK message naming it.  The family is available in every network
 *	namespace.  Events are multicast on the group %MPT_MCGRP_EVENTS.
 */

/**
 * DOC: Compatibility
 *
 * %MPT_ABI_VERSION grows when a message changes incompatibly.  New
 * ioctls, commands and attributes may be added without a bump; a client
 * discovers them through the version reply.  Reserved fields in ioctl
 * arguments must be zero on input; the module answers EINVAL otherwise,
 * so that they can be given a meaning later.
 */

/**
 * DOC: Errors
 *
 * Besides the errors each request lists, these mean the same everywhere:
 *
 * ==========  ==========================================================
 * ENOTTY      unknown ioctl (wrong magic, number, direction or size)
 * EFAULT      an ioctl argument pointer is not valid user memory
 * EINVAL      a malformed request (reserved field set, bad attribute)
 * ERANGE      an attribute value outside its documented range
 * EOPNOTSUPP  unknown netlink command
 * EPROTO      the client asked for an ABI the module does not speak
 * ==========  ==========================================================
 */
#ifndef _UAPI_LINUX_MPTRACE_H
#define _UAPI_LINUX_MPTRACE_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: Version and features
 *
 * A client asks for the module's version first: %MPT_IOC_VERSION on
 * /dev/mptrace, %MPT_CMD_GET_VERSION on netlink.  The answer carries the
 * module's %MPT_ABI_VERSION (see "Compatibility") and the %MPT_FEAT_*
 * bits of the subsystems it provides on the running kernel.
 */

/**
 * MPT_DEVICE_NAME - the misc device's name
 */
#define MPT_DEVICE_NAME		"mptrace"

/**
 * MPT_DEVICE_PATH - where the misc device appears
 */
#define MPT_DEVICE_PATH		"/dev/mptrace"

/**
 * MPT_GENL_NAME - the generic netlink family's name
 */
#define MPT_GENL_NAME		"mptrace"

/**
 * MPT_GENL_VERSION - the family's version, in the generic netlink header
 */
#define MPT_GENL_VERSION	1

/**
 * MPT_MCGRP_EVENTS - the multicast group of every event (%MPT_CMD_EVENT)
 */
#define MPT_MCGRP_EVENTS	"events"

/**
 * MPT_MCGRP_PROCS - the group of %MPT_EV_FORK, %MPT_EV_EXEC and
 * %MPT_EV_EXIT only, what the kernel's proc connector also tells
 *
 * This group and the three below each carry one class of events, for a
 * listener that wants that class alone and should not pay for the rest
 * (see %MPT_CMD_EVENT).  The classes do not overlap, and together they
 * are what %MPT_MCGRP_EVENTS carries.
 */
#define MPT_MCGRP_PROCS		"procs"

/**
 * MPT_MCGRP_REAP - the group of %MPT_EV_ZOMBIE, %MPT_EV_REAP and
 * %MPT_EV_ORPHAN only
 */
#define MPT_MCGRP_REAP		"reap"

/**
 * MPT_MCGRP_QUEUES - the group of the QUEUE_* events only
 */
#define MPT_MCGRP_QUEUES	"queues"

/**
 * MPT_MCGRP_LOCKS - the group of the LOCK_* events and %MPT_EV_DEADLOCK
 * only
 */
#define MPT_MCGRP_LOCKS		"locks"

/**
 * MPT_ABI_VERSION - the ABI this header describes (see "Compatibility")
 */
#define MPT_ABI_VERSION		1

/**
 * MPT_VERSION_LEN - length of the version string, including its
 * terminating NUL
 */
#define MPT_VERSION_LEN		32

/**
 * MPT_IOC_MAGIC - the ioctl magic of every mptrace ioctl
 *
 * 0xB9 is unassigned in the kernel's
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

/**
 * MPT_IOC_VERSION - the module's version, ABI and features
 *
 * On /dev/mptrace; the argument is a struct mpt_version, output only.
 * Never fails but for EFAULT.
 */
#define MPT_IOC_VERSION		_IOR(MPT_IOC_MAGIC, 0x00, struct mpt_version)

/**
 * enum mpt_feature - bit numbers of the %MPT_FEAT_* features
 * @MPT_FEAT_STATS_BIT: %MPT_FEAT_STATS
 * @MPT_FEAT_EVENTS_BIT: %MPT_FEAT_EVENTS
 * @MPT_FEAT_PROCS_BIT: %MPT_FEAT_PROCS
 * @MPT_FEAT_REAP_BIT: %MPT_FEAT_REAP
 * @MPT_FEAT_QUEUES_BIT: %MPT_FEAT_QUEUES
 * @MPT_FEAT_LOCKS_BIT: %MPT_FEAT_LOCKS
 * @MPT_FEAT_FAST_LOCKS_BIT: %MPT_FEAT_FAST_LOCKS
 * @MPT_FEAT_FAST_QUEUES_BIT: %MPT_FEAT_FAST_QUEUES
 * @__MPT_FEAT_BIT_LAST: one past the last bit; not a feature
 *
 * The feature bits of struct mpt_version.features and %MPT_A_FEATURES
 * are 1 << these.
 */
enum mpt_feature {
	MPT_FEAT_STATS_BIT,
	MPT_FEAT_EVENTS_BIT,
	MPT_FEAT_PROCS_BIT,
	MPT_FEAT_REAP_BIT,
	MPT_FEAT_QUEUES_BIT,
	MPT_FEAT_LOCKS_BIT,
	MPT_FEAT_FAST_LOCKS_BIT,
	MPT_FEAT_FAST_QUEUES_BIT,
	__MPT_FEAT_BIT_LAST,
};

/**
 * MPT_FEAT_STATS - the module's counters (%MPT_CMD_GET_STATS); always
 * provided
 */
#define MPT_FEAT_STATS		_BITULL(MPT_FEAT_STATS_BIT)

/**
 * MPT_FEAT_EVENTS - events: read(2) of /dev/mptrace and the
 * %MPT_MCGRP_EVENTS group; always provided
 */
#define MPT_FEAT_EVENTS		_BITULL(MPT_FEAT_EVENTS_BIT)

/**
 * MPT_FEAT_PROCS - the process table: %MPT_IOC_PROCS and
 * %MPT_CMD_GET_PROCS
 */
#define MPT_FEAT_PROCS		_BITULL(MPT_FEAT_PROCS_BIT)

/**
 * MPT_FEAT_REAP - %MPT_EV_ZOMBIE, %MPT_EV_REAP and %MPT_EV_ORPHAN
 *
 * They need kprobes (through ftrace) on proc_exit_connector() and
 * proc_flush_pid(); a kernel without them loads the module without
 * this feature.
 */
#define MPT_FEAT_REAP		_BITULL(MPT_FEAT_REAP_BIT)

/**
 * MPT_FEAT_QUEUES - queues: %MPT_IOC_QUEUE_OPEN and the rest of
 * "Queues"
 */
#define MPT_FEAT_QUEUES		_BITULL(MPT_FEAT_QUEUES_BIT)

/**
 * MPT_FEAT_LOCKS - locks: %MPT_IOC_LOCK_OPEN and the rest of "Locks"
 */
#define MPT_FEAT_LOCKS		_BITULL(MPT_FEAT_LOCKS_BIT)

/**
 * MPT_FEAT_FAST_LOCKS - fast locks: %MPT_LOCK_FAST, %MPT_LIOC_TOKEN and
 * the mapping of a lock's file ("Fast locks")
 */
#define MPT_FEAT_FAST_LOCKS	_BITULL(MPT_FEAT_FAST_LOCKS_BIT)

/**
 * MPT_FEAT_FAST_QUEUES - fast queues: %MPT_QUEUE_FAST, the mapping of a
 * queue's file and %MPT_QIOC_ATTACH, %MPT_QIOC_WAIT, %MPT_QIOC_WAKE
 * ("Fast queues")
 */
#define MPT_FEAT_FAST_QUEUES	_BITULL(MPT_FEAT_FAST_QUEUES_BIT)

/**
 * DOC: Reading events
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
 * ring_mem_max (bytes), and the rings of one user's readers (the
 * openers' real uid) by ring_mem_user_max; a ring that would exceed
 * either is refused with ENOSPC.  One user may have at most
 * readers_user_max files subscribed at once; one more is refused with
 * EMFILE.  A refused subscription fails the read(2) or
 * %MPT_IOC_RING_SET with that error, and poll(2) with POLLERR; the file
 * stays usable for every other request.
 */

/**
 * MPT_EVENT_MAX_SIZE - the largest event record, in bytes: a read(2)
 * buffer of this size always works
 */
#define MPT_EVENT_MAX_SIZE	256

/**
 * MPT_RING_MIN_SLOTS - the smallest ring %MPT_IOC_RING_SET accepts, in
 * records
 */
#define MPT_RING_MIN_SLOTS	16

/**
 * MPT_RING_MAX_SLOTS - the largest ring %MPT_IOC_RING_SET accepts, in
 * records
 */
#define MPT_RING_MAX_SLOTS	65536

/**
 * MPT_RING_DEFAULT_SLOTS - the ring of a file that subscribes without
 * %MPT_IOC_RING_SET, in records
 */
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
 * @MPT_EV_QUEUE_CREATE: a queue was created (struct mpt_event_queue)
 * @MPT_EV_QUEUE_REMOVE: a queue's name was removed; the queue itself
 *	lives on until its last file is closed
 * @MPT_EV_QUEUE_FULL: a producer blocks: the queue is full
 * @MPT_EV_QUEUE_EMPTY: a consumer blocks: the queue is empty
 * @MPT_EV_QUEUE_CONSUMER_DIED: a process ended with items it got from the
 *	queue and had not marked done; @count says how many were released
 * @MPT_EV_QUEUE_PUT: a message was put (queues with %MPT_QUEUE_TRACE)
 * @MPT_EV_QUEUE_GET: a message was got (queues with %MPT_QUEUE_TRACE)
 * @MPT_EV_LOCK_CREATE: a lock was created (struct mpt_event_lock)
 * @MPT_EV_LOCK_REMOVE: a lock's name was removed
 * @MPT_EV_LOCK_CONTENDED: a thread blocks on a lock another holds
 * @MPT_EV_LOCK_OWNER_DIED: a thread ended holding a lock; the lock was
 *	released, and its next owner is told
 * @MPT_EV_DEADLOCK: an acquire was refused with EDEADLK: waiting would
 *	have closed a cycle (struct mpt_event_deadlock)
 * @MPT_EV_LOCK_ACQUIRE: a lock was taken (locks with %MPT_LOCK_TRACE)
 * @MPT_EV_LOCK_RELEASE: a lock was released (locks with %MPT_LOCK_TRACE)
 * @__MPT_EV_MAX: one past the last type (%MPT_EV_MAX is the last)
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
	MPT_EV_QUEUE_CREATE,
	MPT_EV_QUEUE_REMOVE,
	MPT_EV_QUEUE_FULL,
	MPT_EV_QUEUE_EMPTY,
	MPT_EV_QUEUE_CONSUMER_DIED,
	MPT_EV_QUEUE_PUT,
	MPT_EV_QUEUE_GET,
	MPT_EV_LOCK_CREATE,
	MPT_EV_LOCK_REMOVE,
	MPT_EV_LOCK_CONTENDED,
	MPT_EV_LOCK_OWNER_DIED,
	MPT_EV_DEADLOCK,
	MPT_EV_LOCK_ACQUIRE,
	MPT_EV_LOCK_RELEASE,
	__MPT_EV_MAX,
};

/**
 * MPT_EV_MAX - the highest event type
 */
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

/**
 * MPT_EVF_THREAD - flag of struct mpt_event_hdr: the event is about a
 * thread, not a process
 *
 * Set on the FORK of a thread and on the EXIT of a thread that is not
 * the last of its process.
 */
#define MPT_EVF_THREAD		_BITUL(0)

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

/**
 * MPT_COMM_LEN - length of a command name, including its terminating
 * NUL
 */
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

/**
 * MPT_FILENAME_LEN - room for an EXEC's filename, including its
 * terminating NUL
 */
#define MPT_FILENAME_LEN	176

/**
 * MPT_EXEC_TRUNCATED - flag of struct mpt_event_exec: the filename was
 * cut
 */
#define MPT_EXEC_TRUNCATED	_BITUL(0)

/**
 * struct mpt_event_exec - %MPT_EV_EXEC
 * @hdr: header
 * @task: the process, with its new comm
 * @old_tid: the thread id that called execve (another thread of the
 *	process may have called it; the process keeps its pid).  That of a
 *	thread other than the leader no longer exists when the event is
 *	made: readers outside the initial pid namespace see 0 for it
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

/**
 * MPT_REAP_ZOMBIE_UNKNOWN - flag of struct mpt_event_reap: it was a
 * zombie before the module loaded
 *
 * Its zombie_ns counts from the load.
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
 * @zombie_ns: how long it was a zombie: 0 when released as it ended
 *	(%MPT_REAP_AUTO), except a zombie its ending parent passed to a
 *	new parent that ignores SIGCHLD, released then (also AUTO)
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

/**
 * MPT_ORPHAN_SUBREAPER - flag of struct mpt_event_orphan: the new
 * parent is a child subreaper (PR_SET_CHILD_SUBREAPER)
 */
#define MPT_ORPHAN_SUBREAPER	_BITUL(0)

/**
 * MPT_ORPHAN_NS_INIT - flag of struct mpt_event_orphan: the new parent
 * is the init (pid 1) of a pid namespace: the ending
 * parent's
 */
#define MPT_ORPHAN_NS_INIT	_BITUL(1)

/**
 * MPT_ORPHAN_ZOMBIE - flag of struct mpt_event_orphan: the orphan had
 * already ended; the new parent must reap it
 */
#define MPT_ORPHAN_ZOMBIE	_BITUL(2)

/**
 * MPT_ORPHAN_HISTORY_UNKNOWN - flag of struct mpt_event_orphan: the
 * orphan predates the module
 *
 * Its orig_ppid is the parent it had when the module loaded.
 */
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

/**
 * MPT_NAME_LEN - length of a queue or lock name, including its
 * terminating NUL
 */
#define MPT_NAME_LEN		64

/**
 * struct mpt_event_queue - the %MPT_EV_QUEUE_* events
 * @hdr: header
 * @task: the process that acted: the creator, the remover, the blocked
 *	producer or consumer, the consumer that died, the putter or getter
 * @queue_id: the queue's id (struct mpt_queue_info.id)
 * @depth: messages in the queue after the event
 * @len: PUT, GET: the message's length in bytes
 * @count: CONSUMER_DIED: items released; PUT, GET: the message's
 *	sequence number in the queue (1 for the first message ever put)
 * @name: the queue's name, NUL-terminated
 */
struct mpt_event_queue {
	struct mpt_event_hdr	hdr;
	struct mpt_task		task;
	__u64			queue_id;
	__u32			depth;
	__u32			len;
	__u64			count;
	char			name[MPT_NAME_LEN];
};

/**
 * struct mpt_event_lock - the %MPT_EV_LOCK_* events
 * @hdr: header
 * @task: the thread that acted: the creator, the remover, the blocked
 *	acquirer (CONTENDED), the thread that ended (OWNER_DIED), the
 *	acquirer or releaser
 * @lock_id: the lock's id (struct mpt_lock_info.id)
 * @owner_pid: CONTENDED: the process holding the lock; 0 otherwise
 * @owner_tid: CONTENDED: the thread holding it
 * @ns: ACQUIRE: how long it waited; RELEASE, OWNER_DIED: how long the
 *	lock was held
 * @count: ACQUIRE, RELEASE: the recursion count after the event
 * @waiters: threads waiting for the lock after the event
 * @name: the lock's name
 */
struct mpt_event_lock {
	struct mpt_event_hdr	hdr;
	struct mpt_task		task;
	__u64			lock_id;
	__u32			owner_pid;
	__u32			owner_tid;
	__u64			ns;
	__u32			count;
	__u32			waiters;
	char			name[MPT_NAME_LEN];
};

/**
 * MPT_DEADLOCK_MAX - steps of a cycle a deadlock record lists at most
 */
#define MPT_DEADLOCK_MAX	6

/**
 * MPT_SHORT_NAME_LEN - length of a lock's name in a deadlock record,
 * including its terminating NUL
 */
#define MPT_SHORT_NAME_LEN	16

/**
 * MPT_DEADLOCK_TRUNCATED - flag of struct mpt_event_deadlock: the cycle
 * is longer than the record lists
 */
#define MPT_DEADLOCK_TRUNCATED	_BITUL(0)

/**
 * struct mpt_deadlock_entry - one step of a wait-for cycle
 * @pid: a process
 * @tid: its thread, which waits for (the first entry: would wait for)
 *	lock @lock_id, held by the next entry's thread (the last entry's
 *	lock is held by the first entry's thread)
 * @lock_id: that lock
 * @name: the lock's name, cut to %MPT_SHORT_NAME_LEN - 1 bytes
 */
struct mpt_deadlock_entry {
	__u32	pid;
	__u32	tid;
	__u64	lock_id;
	char	name[MPT_SHORT_NAME_LEN];
};

/**
 * struct mpt_event_deadlock - %MPT_EV_DEADLOCK
 * @hdr: header
 * @task: the thread whose acquire was refused
 * @len: threads (and locks) in the cycle
 * @flags: %MPT_DEADLOCK_* flags
 * @cycle: its first %MPT_DEADLOCK_MAX steps, starting with @task
 */
struct mpt_event_deadlock {
	struct mpt_event_hdr		hdr;
	struct mpt_task			task;
	__u32				len;
	__u32				flags;
	struct mpt_deadlock_entry	cycle[MPT_DEADLOCK_MAX];
};

/**
 * MPT_FILTER_SUBTREE - flag of struct mpt_filter: the process pid and
 * its descendants
 */
#define MPT_FILTER_SUBTREE	_BITUL(0)

/**
 * MPT_FILTER_THREADS - flag of struct mpt_filter: threads' events too
 * (%MPT_EVF_THREAD)
 */
#define MPT_FILTER_THREADS	_BITUL(1)

/**
 * MPT_FILTER_ALL_FLAGS - every %MPT_FILTER_* flag
 */
#define MPT_FILTER_ALL_FLAGS	(MPT_FILTER_SUBTREE | MPT_FILTER_THREADS)

/**
 * struct mpt_filter - argument of %MPT_IOC_FILTER_SET
 * @types: bit (1 << MPT_EV_*) for each event type wanted; 0 for all.
 *	%MPT_EV_LOST records always come.
 * @flags: %MPT_FILTER_* flags
 * @pid: only events about this process (as the pid namespace of the
 *	file's opener numbers it) and the forks it makes, or with
 *	%MPT_FILTER_SUBTREE about it and the processes descended from it
 *	at the time of each event (an orphan adopted elsewhere leaves the
 *	subtree); 0 for every process
 * @reserved: zero
 */
struct mpt_filter {
	__u32	types;
	__u32	flags;
	__u32	pid;
	__u32	reserved;
};

/**
 * MPT_IOC_FILTER_SET - what this reader receives from now on
 *
 * On /dev/mptrace; the argument is a struct mpt_filter.  EINVAL for an
 * unknown type bit or flag, %MPT_FILTER_SUBTREE without a pid, a pid
 * above PID_MAX_LIMIT, or a non-zero reserved; ESRCH when the pid names
 * no process in the opener's pid namespace.  Another user's process may
 * be named: its events still come only to a reader that may see them
 * (the opener's own, or every user's with CAP_SYS_ADMIN or CAP_PERFMON).
 * The default is every type, every process, no threads.
 */
#define MPT_IOC_FILTER_SET	_IOW(MPT_IOC_MAGIC, 0x03, struct mpt_filter)

/**
 * struct mpt_ring_conf - argument of %MPT_IOC_RING_SET and %MPT_IOC_RING_GET
 * @slots: ring size in records: a power of two from %MPT_RING_MIN_SLOTS
 *	to %MPT_RING_MAX_SLOTS
 * @flags: reserved, zero
 * @used: (GET) records waiting to be read; a LOST record still to be
 *	written (the ring full since the loss) is not counted until a read
 *	makes room for it
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

/**
 * MPT_IOC_RING_SET - subscribe with a ring of slots records, or resize
 * the ring
 *
 * On /dev/mptrace; the argument is a struct mpt_ring_conf.  Its flags,
 * used, reserved and lost must be zero.  EINVAL for a bad size or a
 * non-zero field, EBUSY when records wait to be read (read them first),
 * ENOSPC when ring_mem_max would be exceeded, ENOMEM when the memory
 * cannot be had.  On failure the ring is unchanged.
 */
#define MPT_IOC_RING_SET	_IOW(MPT_IOC_MAGIC, 0x01, struct mpt_ring_conf)

/**
 * MPT_IOC_RING_GET - this reader's ring: size, records waiting, events
 * lost
 *
 * On /dev/mptrace; the argument is a struct mpt_ring_conf, output only.
 * Its slots is 0 while the file has not subscribed.
 */
#define MPT_IOC_RING_GET	_IOR(MPT_IOC_MAGIC, 0x02, struct mpt_ring_conf)

/**
 * DOC: The process table
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

/**
 * MPT_PROC_ZOMBIE - flag of struct mpt_proc: ended, not yet reaped
 */
#define MPT_PROC_ZOMBIE		_BITUL(0)

/**
 * MPT_PROC_ORPHAN - flag of struct mpt_proc: its parent ended before it
 * (its orphan_ns says when)
 */
#define MPT_PROC_ORPHAN		_BITUL(1)

/**
 * MPT_PROC_SUBREAPER - flag of struct mpt_proc: a child subreaper
 */
#define MPT_PROC_SUBREAPER	_BITUL(2)

/**
 * MPT_PROC_NS_INIT - flag of struct mpt_proc: the init (child reaper)
 * of its pid namespace
 */
#define MPT_PROC_NS_INIT	_BITUL(3)

/**
 * MPT_PROC_HISTORY_UNKNOWN - flag of struct mpt_proc: no record from its
 * birth: it predates the module, or the table
 * was full
 */
#define MPT_PROC_HISTORY_UNKNOWN _BITUL(4)

/**
 * MPT_PROC_KTHREAD - flag of struct mpt_proc: a kernel thread
 */
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
 * @exit_ns: CLOCK_BOOTTIME when it ended (zombie since); 0 while alive.
 *	A zombie already when the module loaded has the load's time, the
 *	latest it can have ended (%MPT_PROC_HISTORY_UNKNOWN is set)
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

/**
 * MPT_PROCS_MAX - room one %MPT_IOC_PROCS call may offer, in records
 */
#define MPT_PROCS_MAX		4096

/**
 * MPT_IOC_PROCS - list processes, in pid order, from start
 *
 * On /dev/mptrace; the argument is a struct mpt_procs_req.  Call again
 * from its next until that is 0.  EINVAL for a count of 0 or above
 * %MPT_PROCS_MAX, or a non-zero reserved; EFAULT for a bad buf.
 */
#define MPT_IOC_PROCS		_IOWR(MPT_IOC_MAGIC, 0x04, struct mpt_procs_req)

/**
 * DOC: Queues
 *
 * A queue is a bounded FIFO of messages, kept in the kernel, that any
 * number of processes put to and get from: multiprocessing.Queue and
 * JoinableQueue, with every count exact.
 *
 * Names.  A queue has a name of 1 to %MPT_NAME_LEN - 1 bytes: ASCII
 * letters and digits, the at sign and the characters . _ + : -, not
 * starting with '.'.  Names belong to the pid namespace of the process
 * that creates the queue: processes of another pid namespace (another
 * container) neither see nor open it.
 *
 * Opening.  %MPT_IOC_QUEUE_OPEN on /dev/mptrace creates and/or opens a
 * queue and returns a new file descriptor for it, which fork(2) shares
 * and SCM_RIGHTS passes like any other.  Access is checked at open, as
 * for POSIX message queues: the queue's owner (the creator's fsuid and
 * fsgid) and its mode grant read (get, task_done, join) and write (put,
 * join); CAP_IPC_OWNER over the namespace's user namespace overrides.
 * Removing the name (%MPT_IOC_QUEUE_UNLINK) is for the owner or
 * CAP_IPC_OWNER; the queue lives until its last file is closed.  A queue
 * whose name is still there lives on with no file open, as POSIX message
 * queues do, until it is removed or the module unloaded.
 *
 * Messages.  put(2) and get keep message boundaries and FIFO order; a
 * message may be empty.  write(2) on the queue's file is a put of the
 * whole buffer, read(2) a get into it (a get that tracks the item, see
 * below); O_NONBLOCK (%MPT_QOPEN_NONBLOCK or fcntl) makes them fail with
 * EAGAIN instead of blocking.  poll(2) reports POLLIN when a message
 * waits and POLLOUT when there is room.  A message larger than the
 * queue's @msgsize is refused with EMSGSIZE; a get into a buffer smaller
 * than the next message fails with EMSGSIZE, gives the size needed in
 * @len and consumes nothing.  Blocking calls sleep interruptibly (so a
 * fatal signal always ends them): a put interrupted before the message
 * went in did not put it, a get interrupted before it took one took
 * none, and a get whose copy to user memory fails puts the message back
 * at the head of the queue: a message is never lost or duplicated.
 *
 * Tasks.  Every message put is an unfinished task until a task_done
 * settles it (%MPT_QIOC_TASK_DONE); join (%MPT_QIOC_JOIN) waits until no
 * task is unfinished.  A get makes the item "in flight" for the process
 * that got it; its task_done settles its own items first.  When that
 * process ends with items in flight, they are released: settled as if
 * done (the message was delivered; it is not put back), counted in
 * @released, and reported by %MPT_EV_QUEUE_CONSUMER_DIED, so that join
 * never hangs on a dead consumer.  A get with %MPT_QMSG_DETACHED leaves
 * its item "loose" instead: not tied to the process, settled by any
 * process's task_done (the CLI's "queue get" and "queue done" work this
 * way, from separate processes).  A task_done with more items than the
 * caller has in flight plus the loose ones fails with EINVAL and
 * settles nothing.
 *
 * Limits.  The module parameters max_queues (default 256) and
 * max_queue_bytes (default 64 MiB) bound the queues: creating a queue
 * reserves @capacity * @msgsize bytes of max_queue_bytes, as POSIX
 * message queues charge RLIMIT_MSGQUEUE; a create that would exceed
 * either fails with ENOSPC (%MPT_STATS_A_QUEUE_REFUSED).  Messages are
 * charged to the putter's memory cgroup.
 */

/**
 * MPT_QUEUE_CAPACITY_MAX - the most messages a queue may hold
 */
#define MPT_QUEUE_CAPACITY_MAX	65536

/**
 * MPT_QUEUE_MSGSIZE_MAX - the largest message size a queue may be
 * given, in bytes
 */
#define MPT_QUEUE_MSGSIZE_MAX	65536

/**
 * MPT_QUEUE_DEFAULT_CAPACITY - the capacity of a queue created with
 * capacity 0
 */
#define MPT_QUEUE_DEFAULT_CAPACITY 64

/**
 * MPT_QUEUE_DEFAULT_MSGSIZE - the message size of a queue created with
 * msgsize 0
 */
#define MPT_QUEUE_DEFAULT_MSGSIZE 8192

/**
 * MPT_QOPEN_CREATE - open flag (struct mpt_queue_open.flags, struct
 * mpt_lock_open.flags): create the object if the name
 * is free
 */
#define MPT_QOPEN_CREATE	_BITUL(0)

/**
 * MPT_QOPEN_EXCL - open flag: with CREATE, fail with EEXIST if the name
 * is taken
 */
#define MPT_QOPEN_EXCL		_BITUL(1)

/**
 * MPT_QOPEN_READ - open flag: open for get, task_done and join (a
 * lock: for inspecting)
 */
#define MPT_QOPEN_READ		_BITUL(2)

/**
 * MPT_QOPEN_WRITE - open flag: open for put and join (a lock: for
 * acquiring and releasing)
 */
#define MPT_QOPEN_WRITE		_BITUL(3)

/**
 * MPT_QOPEN_NONBLOCK - open flag: the file starts with O_NONBLOCK
 * (refused for a lock)
 */
#define MPT_QOPEN_NONBLOCK	_BITUL(4)

/**
 * MPT_QOPEN_CLOEXEC - open flag: the descriptor is close-on-exec
 */
#define MPT_QOPEN_CLOEXEC	_BITUL(5)

/**
 * MPT_QOPEN_ALL_FLAGS - every %MPT_QOPEN_* flag
 */
#define MPT_QOPEN_ALL_FLAGS	(_BITUL(6) - 1)

/**
 * MPT_QUEUE_TRACE - queue flag (struct mpt_queue_open.qflags, struct
 * mpt_queue_info.flags): every put and get makes an
 * event
 */
#define MPT_QUEUE_TRACE		_BITUL(0)

/**
 * MPT_QUEUE_UNLINKED - queue flag, info only: its name was removed
 */
#define MPT_QUEUE_UNLINKED	_BITUL(1)

/**
 * MPT_QUEUE_FAST - queue flag (struct mpt_queue_open.qflags, struct
 * mpt_queue_info.flags): a fast queue, whose messages live in a ring its
 * files map, put and got in user space unless the caller must wait or
 * wake a waiter (see "Fast queues"); not with %MPT_QUEUE_TRACE
 */
#define MPT_QUEUE_FAST		_BITUL(2)

/**
 * struct mpt_queue_open - argument of %MPT_IOC_QUEUE_OPEN
 * @name: the queue's name, NUL-terminated
 * @flags: %MPT_QOPEN_* flags; READ, WRITE or both
 * @mode: with CREATE: permission bits (0 to 0777) of a new queue
 * @capacity: with CREATE: messages it holds, 1 to
 *	%MPT_QUEUE_CAPACITY_MAX; 0 for %MPT_QUEUE_DEFAULT_CAPACITY
 * @msgsize: with CREATE: bytes a message may have, 1 to
 *	%MPT_QUEUE_MSGSIZE_MAX; 0 for %MPT_QUEUE_DEFAULT_MSGSIZE
 * @qflags: with CREATE: %MPT_QUEUE_TRACE or 0
 * @created: out: 1 if this call created the queue, else 0; zero on input
 * @id: out: the queue's id, unique while the module is loaded; zero on
 *	input
 *
 * Opening an existing queue ignores @mode, @capacity, @msgsize and
 * @qflags.
 */
struct mpt_queue_open {
	char	name[MPT_NAME_LEN];
	__u32	flags;
	__u32	mode;
	__u32	capacity;
	__u32	msgsize;
	__u32	qflags;
	__u32	created;
	__u64	id;
};

/**
 * MPT_IOC_QUEUE_OPEN - create and/or open a queue; returns a new file
 * descriptor
 *
 * On /dev/mptrace; the argument is a struct mpt_queue_open.  EINVAL for
 * a bad name, flag, mode or size; ENOENT when the queue does not exist
 * and CREATE is not given; EEXIST with CREATE|EXCL when it does; EACCES
 * when its mode refuses the access asked; ENOSPC at a limit; EMFILE when
 * the caller has no free descriptor.
 */
#define MPT_IOC_QUEUE_OPEN	_IOWR(MPT_IOC_MAGIC, 0x10, struct mpt_queue_open)

/**
 * struct mpt_name - argument of %MPT_IOC_QUEUE_UNLINK
 * @name: NUL-terminated
 */
struct mpt_name {
	char	name[MPT_NAME_LEN];
};

/**
 * MPT_IOC_QUEUE_UNLINK - remove a queue's name
 *
 * On /dev/mptrace; the argument is a struct mpt_name.  ENOENT when
 * there is none, EPERM when the caller is not its owner and lacks
 * CAP_IPC_OWNER.
 */
#define MPT_IOC_QUEUE_UNLINK	_IOW(MPT_IOC_MAGIC, 0x11, struct mpt_name)

/**
 * MPT_QMSG_NOWAIT - flag of struct mpt_qmsg and struct mpt_qwait: fail
 * with EAGAIN instead of blocking
 *
 * Full on put, empty on get, tasks unfinished on join.  The ioctls
 * follow this flag alone, never the file's O_NONBLOCK, which read(2)
 * and write(2) follow.
 */
#define MPT_QMSG_NOWAIT		_BITUL(0)

/**
 * MPT_QMSG_TIMEOUT - flag of struct mpt_qmsg and struct mpt_qwait:
 * block at most until deadline_ns
 *
 * The deadline is CLOCK_MONOTONIC; past it the call fails with
 * ETIMEDOUT.  An absolute deadline, so that a call restarted after a
 * signal does not wait longer.
 */
#define MPT_QMSG_TIMEOUT	_BITUL(1)

/**
 * MPT_QMSG_DETACHED - flag of struct mpt_qmsg, get only: the item is
 * loose, not in flight for the caller (see "Tasks")
 */
#define MPT_QMSG_DETACHED	_BITUL(2)

/**
 * struct mpt_qmsg - argument of %MPT_QIOC_PUT and %MPT_QIOC_GET
 * @buf: user pointer to the message (put) or to room for it (get)
 * @len: put: the message's length; get: in, the room at @buf; out, the
 *	message's length (also on EMSGSIZE: the room needed)
 * @flags: %MPT_QMSG_* flags
 * @deadline_ns: with %MPT_QMSG_TIMEOUT
 * @seq: out: the message's sequence number in the queue (1 for the first
 *	message ever put to it)
 */
struct mpt_qmsg {
	__u64	buf;
	__u32	len;
	__u32	flags;
	__u64	deadline_ns;
	__u64	seq;
};

/**
 * struct mpt_qwait - argument of %MPT_QIOC_TASK_DONE and %MPT_QIOC_JOIN
 * @count: TASK_DONE: items to settle (>= 1); JOIN: zero
 * @flags: JOIN: %MPT_QMSG_NOWAIT or %MPT_QMSG_TIMEOUT; TASK_DONE: zero
 * @deadline_ns: with %MPT_QMSG_TIMEOUT
 */
struct mpt_qwait {
	__u32	count;
	__u32	flags;
	__u64	deadline_ns;
};

/**
 * enum mpt_qwait_what - who waits (struct mpt_qwaiter.what)
 * @MPT_QW_PUT: a producer, the queue being full
 * @MPT_QW_GET: a consumer, the queue being empty
 * @MPT_QW_JOIN: a join, tasks being unfinished
 */
enum mpt_qwait_what {
	MPT_QW_PUT = 1,
	MPT_QW_GET,
	MPT_QW_JOIN,
};

/**
 * struct mpt_qwaiter - a thread blocked on a queue
 * @pid: its process (0: outside the caller's pid namespace)
 * @tid: the thread
 * @what: enum mpt_qwait_what
 * @reserved: zero
 * @since_ns: CLOCK_BOOTTIME when it began to wait
 */
struct mpt_qwaiter {
	__u32	pid;
	__u32	tid;
	__u32	what;
	__u32	reserved;
	__u64	since_ns;
};

/**
 * struct mpt_qconsumer - a process with items in flight
 * @pid: the process (0: outside the caller's pid namespace)
 * @reserved: zero
 * @inflight: items it got and has not marked done
 */
struct mpt_qconsumer {
	__u32	pid;
	__u32	reserved;
	__u64	inflight;
};

/**
 * struct mpt_queue_info - a queue, as %MPT_QIOC_INFO, %MPT_IOC_QUEUE_INFO,
 * %MPT_IOC_QUEUES and %MPT_CMD_GET_QUEUES report it
 * @id: unique while the module is loaded; ids grow
 * @name: NUL-terminated
 * @capacity: messages it holds at most
 * @msgsize: bytes a message may have at most
 * @flags: %MPT_QUEUE_* flags
 * @mode: permission bits
 * @uid: owner, in the caller's user namespace
 * @gid: owner group, in the caller's user namespace
 * @depth: messages in it now
 * @hwm: the most it ever held
 * @bytes: bytes of the messages in it now
 * @puts: messages put since it was created
 * @gets: messages got since it was created
 * @unfinished: tasks not yet settled: put, and not marked done nor
 *	released
 * @loose: items got with %MPT_QMSG_DETACHED, not yet done
 * @released: items settled because their consumer died
 * @consumer_deaths: processes that died with items in flight
 * @full_waits: times a producer blocked on a full queue
 * @empty_waits: times a consumer blocked on an empty queue
 * @created_ns: CLOCK_BOOTTIME of its creation
 * @openers: files open on it now
 * @nput: producers blocked now
 * @nget: consumers blocked now
 * @njoin: joins blocked now
 * @nconsumers: processes with items in flight now
 * @reserved: zero
 * @waiters: in: user pointer to room for @waiters_max struct mpt_qwaiter
 *	(0: none wanted); only with %MPT_QIOC_INFO and %MPT_IOC_QUEUE_INFO
 * @waiters_max: in: that room; out: entries written (the longest
 *	waiting first); at most %MPT_QUEUE_LIST_MAX
 * @consumers_max: in: room at @consumers; out: entries written
 * @consumers: in: user pointer to room for struct mpt_qconsumer
 */
struct mpt_queue_info {
	__u64	id;
	char	name[MPT_NAME_LEN];
	__u32	capacity;
	__u32	msgsize;
	__u32	flags;
	__u32	mode;
	__u32	uid;
	__u32	gid;
	__u32	depth;
	__u32	hwm;
	__u64	bytes;
	__u64	puts;
	__u64	gets;
	__u64	unfinished;
	__u64	loose;
	__u64	released;
	__u64	consumer_deaths;
	__u64	full_waits;
	__u64	empty_waits;
	__u64	created_ns;
	__u32	openers;
	__u32	nput;
	__u32	nget;
	__u32	njoin;
	__u32	nconsumers;
	__u32	reserved;
	__u64	waiters;
	__u32	waiters_max;
	__u32	consumers_max;
	__u64	consumers;
};

/**
 * MPT_QUEUE_LIST_MAX - entries one call lists at most: queues of
 * %MPT_IOC_QUEUES, waiters and consumers of an info
 */
#define MPT_QUEUE_LIST_MAX	1024

/**
 * MPT_QIOC_PUT - put a message
 *
 * On a queue's file descriptor (ENOTTY on /dev/mptrace, as the /dev
 * ioctls fail on a queue); the argument is a struct mpt_qmsg.  EBADF
 * when the file was not opened for writing, EMSGSIZE when its len
 * exceeds the queue's msgsize, EAGAIN (full, not waiting), ETIMEDOUT,
 * EINTR/restart on a signal.
 */
#define MPT_QIOC_PUT		_IOWR(MPT_IOC_MAGIC, 0x20, struct mpt_qmsg)

/**
 * MPT_QIOC_GET - get the oldest message
 *
 * On a queue's file descriptor (ENOTTY on /dev/mptrace, as the /dev
 * ioctls fail on a queue); the argument is a struct mpt_qmsg.  EBADF
 * when the file was not opened for reading, EMSGSIZE when it does not
 * fit in len, EAGAIN (empty, not waiting), ETIMEDOUT.
 */
#define MPT_QIOC_GET		_IOWR(MPT_IOC_MAGIC, 0x21, struct mpt_qmsg)

/**
 * MPT_QIOC_TASK_DONE - settle count items (see "Tasks")
 *
 * On a queue's file descriptor (ENOTTY on /dev/mptrace, as the /dev
 * ioctls fail on a queue); the argument is a struct mpt_qwait.
 * EINVAL when more than the caller may settle.  Needs a file opened for
 * reading.
 */
#define MPT_QIOC_TASK_DONE	_IOW(MPT_IOC_MAGIC, 0x22, struct mpt_qwait)

/**
 * MPT_QIOC_JOIN - wait until no task is unfinished
 *
 * On a queue's file descriptor (ENOTTY on /dev/mptrace, as the /dev
 * ioctls fail on a queue); the argument is a struct mpt_qwait.
 * EAGAIN (NOWAIT, some unfinished), ETIMEDOUT.
 */
#define MPT_QIOC_JOIN		_IOW(MPT_IOC_MAGIC, 0x23, struct mpt_qwait)

/**
 * MPT_QIOC_INFO - the queue's struct mpt_queue_info
 *
 * On a queue's file descriptor (ENOTTY on /dev/mptrace, as the /dev
 * ioctls fail on a queue).
 */
#define MPT_QIOC_INFO		_IOWR(MPT_IOC_MAGIC, 0x24, struct mpt_queue_info)

/**
 * DOC: Fast queues
 *
 * A queue created with %MPT_QUEUE_FAST keeps its messages in a ring of
 * @capacity slots that its files map (mmap(), MAP_SHARED, the whole
 * mapping at offset 0, of the size computed below, which struct
 * mpt_qring.size repeats).  Its users put and get by compare-and-swap
 * on a slot's state word, copying messages in and out themselves, and
 * enter the kernel only to sleep on a full or empty ring
 * (%MPT_QIOC_WAIT) or to wake a sleeper (%MPT_QIOC_WAKE), as with a
 * futex.  Everything of "Queues" holds for it as well, through the same
 * calls: put, get, read(2), write(2), poll(2), task_done, join, info;
 * the kernel's own puts and gets follow the protocol below.
 *
 * The mapping: a struct mpt_qring at offset 0; %MPT_QRING_ENTRIES
 * struct mpt_qentry at @entries_offset; @capacity slots of @slot_size
 * bytes at @slots_offset, each a struct mpt_qslot followed by room for
 * @msgsize bytes.  @entries_offset is the page size, @slots_offset the
 * end of the entries rounded up to the page size, @slot_size 16 plus
 * @msgsize rounded up to 8, and the mapping's size @slots_offset plus
 * @capacity slots, rounded up to the page size.  A position p (0, 1, 2, ... as messages are put) is
 * slot p % @capacity in lap p / @capacity; a slot's state word holds the
 * lap (%MPT_QS_LAP), a phase (%MPT_QS_PHASE) and, while a thread works
 * on the slot, its token (%MPT_QS_TOKEN).  The protocol, for a thread
 * that has attached (%MPT_QIOC_ATTACH: its entry and token):
 *
 * - put: read @tail (p); the slot of p says EMPTY for p's lap: store p
 *   in the entry's @pos, compare-and-swap the state to WRITING with the
 *   token, then @tail from p to p + 1 (a failure means another thread
 *   moved it).  Copy the message, store @len, store the state FULL
 *   (token 0), with release order.  A slot already claimed for p's lap
 *   (WRITING, FULL or READING): move @tail from p to p + 1 for the
 *   claimer and read it again.  A slot still of the lap before (FULL,
 *   WRITING, READING): the ring is full;
 * - get: read @head (p); the slot of p says FULL for p's lap, and @len
 *   fits: store p in @pos and the entry's @word with %MPT_QE_BUSY set,
 *   compare-and-swap the state to READING with the token, move @head
 *   from p to p + 1, copy the message out, store @word one more without
 *   %MPT_QE_BUSY (the item is the process's, in flight), then store the
 *   state EMPTY for the next lap, with release order.  A slot FULL with
 *   @len %MPT_QS_SKIP is a put that died half-way: get it as any (the
 *   entry's count stays) and look again.  READING with a token: move
 *   @head for the reader.  EMPTY for p's lap, WRITING, or READING with
 *   token 0 (the kernel copies the message out; it moves @head itself):
 *   the ring is empty for now;
 * - after a store of FULL, read @sleepers_get (after a full barrier);
 *   if it is not 0, or @polled is, %MPT_QIOC_WAKE with %MPT_QW_GET;
 *   after a store of EMPTY, the same with @sleepers_put and %MPT_QW_PUT;
 * - on a full or empty ring: %MPT_QIOC_WAIT with the position and the
 *   state word seen; it returns when the word is another, and the
 *   caller looks again; with %MPT_QFW_ONE it sleeps in line: a get that
 *   finds a message too long for it (%EMSGSIZE) then does
 *   %MPT_QIOC_WAKE with %MPT_QW_GET before it returns;
 * - after a put, raise @hwm to the messages the ring holds (p + 1 -
 *   @head) if that is more, by compare-and-swap.
 *
 * A thread that ends in the middle of a put or get is repaired at its
 * exit: a half-written message becomes a skipped slot (the put never
 * happened), a half-read one is the process's, in flight, as if the get
 * had finished.  Counting follows: @puts counts positions less skipped
 * slots, and a sequence number (struct mpt_qmsg.seq) is the position
 * plus one, so a skipped slot leaves a gap.  Items got in user space are
 * the getting process's, settled by task_done and released at its death
 * as any; %MPT_QMSG_DETACHED gets go through %MPT_QIOC_GET.
 *
 * The protocol trusts those who map the ring: mapping needs a file
 * opened for reading and writing both (EACCES otherwise; the calls work
 * on any file as for every queue).  A process that writes nonsense into
 * the mapping breaks the queue for its sharers, never the kernel, which
 * reads every value there as untrusted.  What the kernel does not see it
 * cannot tell: %MPT_QUEUE_TRACE is refused, the high-water mark is what
 * the putters raise, and a thread stopped in the middle of a put stops
 * the gets behind it.  mmap() fails with ENODEV for a queue that is not
 * fast and EINVAL for a mapping of another size or offset, or private.
 * A queue has %MPT_QRING_ENTRIES entries for the threads of all the
 * processes that map it, not so many for each process; a thread keeps
 * its entry until it ends, not until it unmaps the ring or closes its
 * file (ENOSPC once they are all taken; such a thread uses the calls).
 */

/**
 * MPT_QRING_ENTRIES - entries of a fast queue's ring: threads attached
 * to it at once, of every process together
 */
#define MPT_QRING_ENTRIES	256

/**
 * struct mpt_qring - the start of a fast queue's mapping
 * @tail: the next position to put
 * @pad0: zero
 * @head: the next position to get
 * @pad1: zero
 * @sleepers_put: threads asleep in %MPT_QIOC_WAIT for room; the kernel's
 * @sleepers_get: threads asleep in %MPT_QIOC_WAIT for a message; the
 *	kernel's
 * @polled: not 0 once poll(2) was asked of the queue: wake always
 * @hwm: the most messages the ring held, raised by the putters
 * @capacity: slots; read-only, as everything below
 * @msgsize: room for a message in a slot
 * @slot_size: bytes from one slot to the next
 * @entries_offset: bytes from the start to the entries
 * @slots_offset: bytes from the start to the first slot
 * @reserved: zero
 * @size: bytes of the whole mapping
 */
struct mpt_qring {
	__u64	tail;
	__u64	pad0[7];
	__u64	head;
	__u64	pad1[7];
	__u32	sleepers_put;
	__u32	sleepers_get;
	__u32	polled;
	__u32	hwm;
	__u32	capacity;
	__u32	msgsize;
	__u32	slot_size;
	__u32	entries_offset;
	__u32	slots_offset;
	__u32	reserved;
	__u64	size;
};

/**
 * struct mpt_qentry - a thread's entry in a fast queue's ring
 * @pos: the position of its put or get under way
 * @word: the items it got in user space (%MPT_QE_GETS), and
 *	%MPT_QE_BUSY while a get is under way
 */
struct mpt_qentry {
	__u64	pos;
	__u64	word;
};

/**
 * MPT_QE_BUSY - bit of struct mpt_qentry.word: a get is under way
 */
#define MPT_QE_BUSY		_BITULL(63)

/**
 * MPT_QE_GETS - bits of struct mpt_qentry.word: items got in user space
 */
#define MPT_QE_GETS		(MPT_QE_BUSY - 1)

/**
 * struct mpt_qslot - a slot of a fast queue's ring; @msgsize bytes of
 * room follow it
 * @state: %MPT_QS_LAP, %MPT_QS_PHASE, %MPT_QS_TOKEN
 * @len: the message's length when FULL; %MPT_QS_SKIP for a put that died
 * @reserved: zero
 */
struct mpt_qslot {
	__u64	state;
	__u32	len;
	__u32	reserved;
};

/**
 * MPT_QS_TOKEN - bits of struct mpt_qslot.state: the token of the thread
 * writing (WRITING) or reading (READING) the slot; 0 otherwise, and 0
 * while the kernel reads it
 */
#define MPT_QS_TOKEN		0xffffffffULL

/**
 * MPT_QS_PHASE - bits of struct mpt_qslot.state: %MPT_QS_EMPTY,
 * %MPT_QS_WRITING, %MPT_QS_FULL or %MPT_QS_READING
 */
#define MPT_QS_PHASE		(3ULL << 32)

/** MPT_QS_EMPTY - phase: room for the position of this lap */
#define MPT_QS_EMPTY		(0ULL << 32)
/** MPT_QS_WRITING - phase: a put is copying its message in */
#define MPT_QS_WRITING		_BITULL(32)
/** MPT_QS_FULL - phase: a message of this lap waits */
#define MPT_QS_FULL		_BITULL(33)
/** MPT_QS_READING - phase: a get is copying the message out */
#define MPT_QS_READING		(3ULL << 32)

/**
 * MPT_QS_LAP_SHIFT - where the lap begins in struct mpt_qslot.state
 */
#define MPT_QS_LAP_SHIFT	34

/**
 * MPT_QS_LAP - bits of struct mpt_qslot.state: the lap, position /
 * capacity, modulo 2^30
 */
#define MPT_QS_LAP		(~0ULL << MPT_QS_LAP_SHIFT)

/**
 * MPT_QS_SKIP - struct mpt_qslot.len of a slot whose put died half-way
 */
#define MPT_QS_SKIP		0xffffffffU

/**
 * struct mpt_qattach - answer of %MPT_QIOC_ATTACH
 * @entry: the calling thread's entry, 0 to %MPT_QRING_ENTRIES - 1
 * @token: its token (the one %MPT_LIOC_TOKEN gives), never 0
 */
struct mpt_qattach {
	__u32	entry;
	__u32	token;
};

/**
 * MPT_QIOC_ATTACH - the calling thread's entry and token in a fast queue
 *
 * On a fast queue's file opened for reading and writing (EBADF
 * otherwise; ENODEV for a queue that is not fast).  The same entry on
 * every call until the thread ends; ENOSPC when %MPT_QRING_ENTRIES
 * threads, of any processes, are attached, or no token is left (see
 * "Fast locks").
 */
#define MPT_QIOC_ATTACH		_IOR(MPT_IOC_MAGIC, 0x25, struct mpt_qattach)

/**
 * MPT_QFW_AGAIN - flag of struct mpt_qfwait: the caller waited already
 * for the same put or get; not counted again in @full_waits or
 * @empty_waits, no %MPT_EV_QUEUE_FULL or %MPT_EV_QUEUE_EMPTY again
 */
#define MPT_QFW_AGAIN		_BITUL(3)

/**
 * MPT_QFW_ONE - flag of struct mpt_qfwait: the caller sleeps in line.
 * A wake (%MPT_QIOC_WAKE, or a put or get of the kernel) ends the wait
 * of every sleeper without the flag, but of those in line only of as
 * many as the ring has messages to take (%MPT_QW_GET) or free slots
 * (%MPT_QW_PUT), the longest asleep first.  A sleeper woken in line
 * whose slot still holds the word it gave sleeps on, and is woken
 * again when that slot changes.  In return, a get woken in line that
 * leaves a message it could not take (%EMSGSIZE) wakes for %MPT_QW_GET
 * again.  libmptrace's fast queues sleep in line, as the kernel's own
 * puts and gets do: a message wakes one consumer of many, not all.  A
 * module from before this flag refuses it (%EINVAL, as any flag it does
 * not know); libmptrace then sleeps without it on that queue.
 */
#define MPT_QFW_ONE		_BITUL(4)

/**
 * struct mpt_qfwait - argument of %MPT_QIOC_WAIT
 * @pos: the position whose slot the caller found full (put) or empty
 *	(get)
 * @state: the slot's state word the caller saw
 * @what: %MPT_QW_PUT or %MPT_QW_GET
 * @flags: %MPT_QMSG_NOWAIT, %MPT_QMSG_TIMEOUT, %MPT_QFW_AGAIN,
 *	%MPT_QFW_ONE
 * @deadline_ns: with %MPT_QMSG_TIMEOUT, CLOCK_MONOTONIC
 */
struct mpt_qfwait {
	__u64	pos;
	__u64	state;
	__u32	what;
	__u32	flags;
	__u64	deadline_ns;
};

/**
 * MPT_QIOC_WAIT - sleep while a fast queue's slot keeps a state word
 *
 * On a fast queue's file (ENODEV otherwise), opened for writing
 * (%MPT_QW_PUT) or reading (%MPT_QW_GET), EBADF otherwise.  Returns 0
 * at once when the slot of @pos holds another word than @state, else
 * once it does, or when woken (%MPT_QIOC_WAKE, a put or get of the
 * kernel); the caller looks again.  The caller counts as blocked
 * (waiters, @nput or @nget) while it sleeps.  EINVAL for another what
 * or flag, EAGAIN with %MPT_QMSG_NOWAIT, ETIMEDOUT, EINTR/restart on a
 * signal.
 */
#define MPT_QIOC_WAIT		_IOW(MPT_IOC_MAGIC, 0x26, struct mpt_qfwait)

/**
 * MPT_QIOC_WAKE - wake the threads asleep in %MPT_QIOC_WAIT for what
 * the argument (not a pointer) says: %MPT_QW_PUT or %MPT_QW_GET
 *
 * On a fast queue's file (ENODEV otherwise); EINVAL for another value.
 * Pollers are woken too, and every sleeper out of line; of those in line
 * (%MPT_QFW_ONE), one a message the ring holds (%MPT_QW_GET) or one a
 * free slot (%MPT_QW_PUT), the longest asleep first.
 */
#define MPT_QIOC_WAKE		_IO(MPT_IOC_MAGIC, 0x27)

/**
 * MPT_IOC_QUEUE_INFO - one queue, by name
 *
 * On /dev/mptrace; the argument is a struct mpt_queue_info: the queue
 * named by its name, of the caller's pid namespace, if the caller may
 * open it for reading or writing (else EACCES); ENOENT when there is
 * none.  The other fields are as for %MPT_QIOC_INFO.
 */
#define MPT_IOC_QUEUE_INFO	_IOWR(MPT_IOC_MAGIC, 0x12, struct mpt_queue_info)

/**
 * struct mpt_queues_req - argument of %MPT_IOC_QUEUES
 * @buf: user pointer to an array of struct mpt_queue_info (their
 *	@waiters and @consumers are not filled)
 * @count: in: room in @buf (1 to %MPT_QUEUE_LIST_MAX); out: written
 * @reserved: zero
 * @start: in: list queues with an id >= @start
 * @next: out: the @start of the next call; 0 when the list is complete
 */
struct mpt_queues_req {
	__u64	buf;
	__u32	count;
	__u32	reserved;
	__u64	start;
	__u64	next;
};

/**
 * MPT_IOC_QUEUES - list queues
 *
 * On /dev/mptrace; the argument is a struct mpt_queues_req.  Lists, in
 * id order, the queues of the caller's pid namespace that it may open
 * for reading or writing, named or not (%MPT_QUEUE_UNLINKED).
 */
#define MPT_IOC_QUEUES		_IOWR(MPT_IOC_MAGIC, 0x13, struct mpt_queues_req)

/**
 * DOC: Locks
 *
 * A lock is a named mutual-exclusion object in the kernel that knows its
 * owner: the thread that acquired it.  Names, opening, access and removal
 * work as for queues: names per pid namespace, %MPT_IOC_LOCK_OPEN
 * returns a new descriptor, the owner's fsuid/fsgid and the mode decide
 * who may open it for acquiring (write) or inspecting (read),
 * %MPT_IOC_LOCK_UNLINK removes the name, and a lock lives while it has a
 * name, a descriptor or an owner.
 *
 * Kinds.  A mutex may not be taken again by its owner (EDEADLK).  A
 * recursive lock may: it is released when the owner has released it as
 * many times as it took it (Python's RLock).
 *
 * Acquiring blocks, with an optional deadline, or not at all
 * (%MPT_LOCK_TRY: EBUSY when another thread holds it).  Waits are
 * interruptible and killable.  Waiters queue in the order they came; a
 * release frees the lock and wakes the first, and a running thread may
 * take a free lock before it (as the kernel's mutex allows).  A woken
 * waiter that finds it taken again waits to be woken again; once 1 ms
 * has passed since it was first woken, the next release after it lost
 * such a race hands it the lock directly, and it returns owning it: no
 * waiter starves.  A woken waiter that has not run yet is left to run
 * and look; the lock is not handed to a thread that is not running.
 * Only the owner may release (EPERM for anyone else, and for a lock
 * nobody holds).
 *
 * Owner death.  When a thread ends holding locks, each is released and
 * %MPT_EV_LOCK_OWNER_DIED names the dead thread.  A thread killed by a
 * signal releases them when it takes the signal (it never runs user
 * code again), before its exit tears its memory down, as soon as a
 * robust futex would be.  The next acquirer (the
 * first waiter, or whoever takes it next) gets the lock with
 * %MPT_LOCK_PREV_OWNER_DIED and the dead owner's ids, as a robust
 * pthread mutex returns EOWNERDEAD: the data it protects may be
 * half-updated.  A recursive lock is released whatever its count.
 *
 * Deadlocks.  Before a thread waits (with or without a deadline), the
 * module follows the wait-for graph from the lock it wants: its owner,
 * the lock that owner waits for, that lock's owner, and so on.  If the
 * path comes back to the caller, waiting would never end: the acquire
 * fails at once with EDEADLK, the lock's %deadlocks counter grows, and
 * %MPT_EV_DEADLOCK lists the cycle.  Only the thread whose wait would
 * close a cycle is refused; a chain that does not come back waits.
 *
 * Limits.  The module parameter max_locks (default 1024) bounds the
 * locks; past it, creating one fails with ENOSPC, counted.
 *
 * Fast locks.  A lock created with %MPT_LOCK_FAST is taken and released
 * without a system call unless the caller must wait or wake a waiter, as
 * a futex is: its file maps (mmap(), MAP_SHARED, one page at offset 0) a
 * struct mpt_lock_page whose word says who holds it.  Everything above holds
 * for it as well: the kernel takes the word over whenever a thread
 * enters it for the lock (to wait, to find a deadlock, after an owner's
 * death) and hands it back on its way out, with %MPT_LOCKW_WAITERS set
 * while threads wait that a release must wake.  While they do, only the
 * release that frees the lock enters the kernel, to wake one; as with
 * the kernel's own mutex, threads that run may take and release the
 * freed lock before the woken waiter runs, in user space (a first
 * waiter woken and not yet run leaves the bit off, whoever waits behind
 * it); a waiter that lost such a race sets it again, and is woken again
 * by the next release, or handed the lock by it once it was first woken
 * a millisecond ago, so none starves.  The protocol:
 *
 * - a thread's token: %MPT_LIOC_TOKEN, once per thread (the same token
 *   for every lock; it ends with the thread, and no other thread gets
 *   it before 2^32 - 1 more tokens were given out);
 * - acquire: compare-and-swap the word from 0 to the token with a count
 *   of 1 (%MPT_LOCKW_ONE), or from %MPT_LOCKW_WAITERS alone to the same
 *   with %MPT_LOCKW_WAITERS kept; a recursive lock's owner adds
 *   %MPT_LOCKW_ONE to a word holding its token.  Anything else (held by
 *   another, the %MPT_LOCKW_KERNEL bit set, a mutex taken again):
 *   %MPT_LIOC_ACQUIRE, which waits, refuses or reports exactly as for
 *   any lock;
 * - release: compare-and-swap the word holding the caller's token from
 *   its count to one less (%MPT_LOCKW_WAITERS kept), or to 0 at a count
 *   of 1 without %MPT_LOCKW_WAITERS.  At a count of 1 with
 *   %MPT_LOCKW_WAITERS, or with %MPT_LOCKW_KERNEL set: %MPT_LIOC_RELEASE;
 * - after an acquisition made in user space, the owner adds one to the
 *   page's fast_acquisitions, which the lock's info adds to its
 *   acquisitions;
 * - a token belongs to one load of the module: a thread that keeps its
 *   token compares the page's token_gen with that of the lock it got the
 *   token from, and asks again when they differ (the module was unloaded
 *   and loaded again in between).
 *
 * mmap() fails with ENODEV for a lock that is not fast, EINVAL for
 * anything but one page at offset 0 shared (MAP_SHARED), and EACCES for
 * a writable mapping of a file opened for reading alone.  The mapping
 * is inherited by fork(); it keeps the lock alive as its file does.
 *
 * A thread that ends holding a fast lock is its dead owner as for any
 * lock: the module finds the lock by its token.  A word that names no
 * living thread's token with a count of 1 or more (written by a thread
 * that was never given the token, or nonsense) is taken for a dead
 * owner's, whose ids are then unknown (0).
 * The protocol trusts those who may acquire: a process that writes
 * nonsense into the word breaks the lock for its sharers (as it could by
 * holding it forever), never the kernel.  What the kernel does not see
 * it cannot report: acquisitions are counted by their owners, hold times
 * only of the holds the kernel took part in.  A fast lock cannot be
 * traced (%MPT_LOCK_TRACE).  At most max_lock_tokens threads (a module
 * parameter; %MPT_LOCK_TOKENS_MAX, the default, at most) hold a token at
 * once; past it %MPT_LIOC_TOKEN fails with ENOSPC, counted, and the
 * thread uses the system calls alone.
 */

/**
 * enum mpt_lock_kind - kinds of lock (struct mpt_lock_open.kind)
 * @MPT_LOCK_MUTEX: may not be taken again by its owner (EDEADLK)
 * @MPT_LOCK_RECURSIVE: may be taken again by its owner; released when the
 *	owner has released it as many times as it took it
 */
enum mpt_lock_kind {
	MPT_LOCK_MUTEX = 1,
	MPT_LOCK_RECURSIVE,
};

/**
 * MPT_LOCK_TRACE - lock flag (struct mpt_lock_open.lflags, struct
 * mpt_lock_info.flags): every acquire and release makes
 * an event
 */
#define MPT_LOCK_TRACE		_BITUL(0)

/**
 * MPT_LOCK_UNLINKED - lock flag, info only: its name was removed
 */
#define MPT_LOCK_UNLINKED	_BITUL(1)

/**
 * MPT_LOCK_OWNER_DEAD - lock flag, info only: its last owner died
 * holding it and no one has taken it since
 */
#define MPT_LOCK_OWNER_DEAD	_BITUL(2)

/**
 * MPT_LOCK_FAST - lock flag (struct mpt_lock_open.lflags, struct
 * mpt_lock_info.flags): a fast lock, taken and released in user space
 * unless the caller must wait or wake a waiter (see "Fast locks"); not
 * with %MPT_LOCK_TRACE
 */
#define MPT_LOCK_FAST		_BITUL(3)

/**
 * struct mpt_lock_page - the page a fast lock's file maps
 * @word: who holds it: %MPT_LOCKW_TOKEN, %MPT_LOCKW_COUNT,
 *	%MPT_LOCKW_WAITERS, %MPT_LOCKW_KERNEL; 0 when free and nobody
 *	waits.  Changed only by compare-and-swap.
 * @fast_acquisitions: acquisitions the owners made in user space; the
 *	owner adds one after each
 * @token_gen: the generation of the tokens this lock knows: one per load
 *	of the module, never 0; read-only
 * @reserved: zero
 *
 * The rest of the page is zero and reserved.
 */
struct mpt_lock_page {
	__u64	word;
	__u64	fast_acquisitions;
	__u32	token_gen;
	__u32	reserved;
};

/**
 * MPT_LOCKW_TOKEN - bits of struct mpt_lock_page.word: the owner's token
 * (%MPT_LIOC_TOKEN)
 */
#define MPT_LOCKW_TOKEN		0xffffffffULL

/**
 * MPT_LOCKW_ONE - struct mpt_lock_page.word: one in %MPT_LOCKW_COUNT
 */
#define MPT_LOCKW_ONE		_BITULL(32)

/**
 * MPT_LOCKW_COUNT - bits of struct mpt_lock_page.word: the owner's
 * recursion count, 1 or more while held in user space
 */
#define MPT_LOCKW_COUNT		(0x3fffffffULL << 32)

/**
 * MPT_LOCKW_WAITERS - bit of struct mpt_lock_page.word: threads wait for
 * the lock in the kernel, one of them to be woken or handed the lock
 * (while the first waiter was woken and has not run yet, it is off,
 * however many wait behind it).  With a token and count, the release
 * that frees the lock goes through %MPT_LIOC_RELEASE, which wakes one;
 * alone, the lock is free while threads wait, and a thread may take it
 * (compare-and-swap to its token and %MPT_LOCKW_ONE, the bit kept)
 */
#define MPT_LOCKW_WAITERS	_BITULL(62)

/**
 * MPT_LOCKW_KERNEL - bit of struct mpt_lock_page.word: the kernel keeps
 * the lock's state now (a thread is in the kernel for it, a dead
 * owner's news waits for the next owner, or the owner has no token);
 * acquire and release go through %MPT_LIOC_ACQUIRE and %MPT_LIOC_RELEASE
 */
#define MPT_LOCKW_KERNEL	_BITULL(63)

/**
 * MPT_LOCK_TOKENS_MAX - threads that hold a token at once, at most (the
 * largest value of the module parameter max_lock_tokens)
 */
#define MPT_LOCK_TOKENS_MAX	65536

/**
 * struct mpt_lock_open - argument of %MPT_IOC_LOCK_OPEN
 * @name: the lock's name, NUL-terminated (as a queue's)
 * @flags: %MPT_QOPEN_* flags: CREATE, EXCL, READ (inspect), WRITE
 *	(acquire and release), CLOEXEC; NONBLOCK is refused
 * @mode: with CREATE: permission bits (0 to 0777)
 * @kind: with CREATE: enum mpt_lock_kind
 * @lflags: with CREATE: %MPT_LOCK_TRACE, %MPT_LOCK_FAST or 0
 * @created: out: 1 if this call created the lock; zero on input
 * @reserved: zero
 * @id: out: the lock's id, unique while the module is loaded; zero on
 *	input
 */
struct mpt_lock_open {
	char	name[MPT_NAME_LEN];
	__u32	flags;
	__u32	mode;
	__u32	kind;
	__u32	lflags;
	__u32	created;
	__u32	reserved;
	__u64	id;
};

/**
 * MPT_IOC_LOCK_OPEN - create and/or open a lock; returns a new file
 * descriptor
 *
 * On /dev/mptrace; the argument is a struct mpt_lock_open.  Errors as
 * %MPT_IOC_QUEUE_OPEN.
 */
#define MPT_IOC_LOCK_OPEN	_IOWR(MPT_IOC_MAGIC, 0x14, struct mpt_lock_open)

/**
 * MPT_IOC_LOCK_UNLINK - remove a lock's name
 *
 * On /dev/mptrace; the argument is a struct mpt_name.  A held lock
 * stays held.  Errors as %MPT_IOC_QUEUE_UNLINK.
 */
#define MPT_IOC_LOCK_UNLINK	_IOW(MPT_IOC_MAGIC, 0x15, struct mpt_name)

/**
 * MPT_LOCK_TRY - flag of struct mpt_lock_acq, in: fail with EBUSY
 * rather than wait
 */
#define MPT_LOCK_TRY		_BITUL(0)

/**
 * MPT_LOCK_TIMEOUT - flag of struct mpt_lock_acq, in: wait at most
 * until deadline_ns (CLOCK_MONOTONIC), then fail with
 * ETIMEDOUT
 */
#define MPT_LOCK_TIMEOUT	_BITUL(1)

/**
 * MPT_LOCK_PREV_OWNER_DIED - flag of struct mpt_lock_acq, out: acquired;
 * its previous owner died holding it (dead_pid,
 * dead_tid)
 */
#define MPT_LOCK_PREV_OWNER_DIED _BITUL(16)

/**
 * struct mpt_lock_acq - argument of %MPT_LIOC_ACQUIRE
 * @flags: in: %MPT_LOCK_TRY or %MPT_LOCK_TIMEOUT; out: those, and
 *	%MPT_LOCK_PREV_OWNER_DIED
 * @count: out: the recursion count now (1 for a mutex)
 * @deadline_ns: with %MPT_LOCK_TIMEOUT
 * @waited_ns: out: how long the call waited
 * @dead_pid: out: with PREV_OWNER_DIED, the process of the dead owner
 *	(0 when outside the caller's pid namespace)
 * @dead_tid: out: and its thread
 */
struct mpt_lock_acq {
	__u32	flags;
	__u32	count;
	__u64	deadline_ns;
	__u64	waited_ns;
	__u32	dead_pid;
	__u32	dead_tid;
};

/**
 * struct mpt_lwaiter - a thread waiting for a lock
 * @pid: its process (0: outside the caller's pid namespace)
 * @tid: the thread
 * @since_ns: CLOCK_BOOTTIME when it began to wait
 */
struct mpt_lwaiter {
	__u32	pid;
	__u32	tid;
	__u64	since_ns;
};

/**
 * struct mpt_lock_info - a lock, as %MPT_LIOC_INFO, %MPT_IOC_LOCK_INFO,
 * %MPT_IOC_LOCKS and %MPT_CMD_GET_LOCKS report it
 * @id: unique while the module is loaded
 * @name: NUL-terminated
 * @kind: enum mpt_lock_kind
 * @flags: %MPT_LOCK_* flags
 * @mode: permission bits
 * @uid: owner of the object (not of the lock's hold), caller's view
 * @gid: its group
 * @owner_pid: the process holding it now; 0 when free (or outside the
 *	caller's pid namespace)
 * @owner_tid: the thread holding it
 * @count: recursion count (0 when free)
 * @owner_comm: the holder's command name
 * @held_ns: CLOCK_BOOTTIME since when it is held (0 when free, and
 *	when a fast lock is held in user space)
 * @created_ns: CLOCK_BOOTTIME of its creation
 * @acquisitions: times it was taken (recursive re-takes included; for
 *	a fast lock with those its owners counted in its page)
 * @contentions: times an acquirer had to wait
 * @owner_deaths: times its owner died holding it
 * @deadlocks: acquires refused with EDEADLK
 * @timeouts: acquires that timed out
 * @hold_total_ns: time it was held, all holds together
 * @hold_max_ns: the longest hold
 * @wait_total_ns: time acquirers waited, all together
 * @wait_max_ns: the longest wait
 * @openers: files open on it
 * @nwaiters: threads waiting now
 * @waiters: in: user pointer to room for @waiters_max struct mpt_lwaiter
 *	(0: none); only with %MPT_LIOC_INFO and %MPT_IOC_LOCK_INFO
 * @waiters_max: in: that room (at most %MPT_LOCK_LIST_MAX); out: written,
 *	in the order they came
 * @reserved: zero
 */
struct mpt_lock_info {
	__u64	id;
	char	name[MPT_NAME_LEN];
	__u32	kind;
	__u32	flags;
	__u32	mode;
	__u32	uid;
	__u32	gid;
	__u32	owner_pid;
	__u32	owner_tid;
	__u32	count;
	char	owner_comm[MPT_COMM_LEN];
	__u64	held_ns;
	__u64	created_ns;
	__u64	acquisitions;
	__u64	contentions;
	__u64	owner_deaths;
	__u64	deadlocks;
	__u64	timeouts;
	__u64	hold_total_ns;
	__u64	hold_max_ns;
	__u64	wait_total_ns;
	__u64	wait_max_ns;
	__u32	openers;
	__u32	nwaiters;
	__u64	waiters;
	__u32	waiters_max;
	__u32	reserved;
};

/**
 * MPT_LOCK_LIST_MAX - entries one call lists at most: locks of
 * %MPT_IOC_LOCKS, waiters of an info
 */
#define MPT_LOCK_LIST_MAX	1024

/**
 * MPT_LIOC_ACQUIRE - take the lock
 *
 * On a lock's file descriptor (ENOTTY elsewhere); the argument is a
 * struct mpt_lock_acq.  EBADF (not opened for writing), EDEADLK (a mutex
 * its caller holds, or a wait-for cycle), EBUSY (TRY, held), EAGAIN (a
 * recursive lock its caller holds 2^32 - 1 times already), ETIMEDOUT,
 * EINTR/restart on a signal.
 */
#define MPT_LIOC_ACQUIRE	_IOWR(MPT_IOC_MAGIC, 0x30, struct mpt_lock_acq)

/**
 * MPT_LIOC_RELEASE - release the lock once
 *
 * On a lock's file descriptor (ENOTTY elsewhere); takes no argument (0).
 * EPERM when the caller does not hold it.
 */
#define MPT_LIOC_RELEASE	_IO(MPT_IOC_MAGIC, 0x31)

/**
 * MPT_LIOC_INFO - the lock's struct mpt_lock_info
 *
 * On a lock's file descriptor (ENOTTY elsewhere).
 */
#define MPT_LIOC_INFO		_IOWR(MPT_IOC_MAGIC, 0x32, struct mpt_lock_info)

/**
 * MPT_LIOC_TOKEN - the calling thread's token for fast locks
 *
 * On a lock's file descriptor opened for writing (EBADF otherwise); the
 * argument points to a __u32 the token is written to (never 0).  The
 * same token for every lock and every call of one thread, until it
 * ends.  ENOSPC past max_lock_tokens threads (%MPT_LOCK_TOKENS_MAX).  A child made by
 * fork() is another thread: it asks for its own token.
 */
#define MPT_LIOC_TOKEN		_IOR(MPT_IOC_MAGIC, 0x33, __u32)

/**
 * MPT_IOC_LOCK_INFO - one lock, by name
 *
 * On /dev/mptrace; the argument is a struct mpt_lock_info: the lock
 * named by its name, of the caller's pid namespace, if the caller may
 * open it (else EACCES); ENOENT when there is none.
 */
#define MPT_IOC_LOCK_INFO	_IOWR(MPT_IOC_MAGIC, 0x16, struct mpt_lock_info)

/**
 * MPT_IOC_LOCKS - list locks
 *
 * On /dev/mptrace; lists, in id order, the locks the caller may open.
 * The argument is a struct mpt_queues_req whose buf points to struct
 * mpt_lock_info.
 */
#define MPT_IOC_LOCKS		_IOWR(MPT_IOC_MAGIC, 0x17, struct mpt_queues_req)

/**
 * DOC: Generic netlink
 *
 * The family %MPT_GENL_NAME answers the requests of enum mpt_cmd and
 * multicasts the events on %MPT_MCGRP_EVENTS, and each class of them on
 * a group of its own (%MPT_MCGRP_PROCS, %MPT_MCGRP_REAP,
 * %MPT_MCGRP_QUEUES, %MPT_MCGRP_LOCKS).  Messages carry the
 * top-level attributes of enum mpt_attr; the nested ones (counters,
 * events, processes, queues, locks) are the enums that follow.  Each is
 * the netlink form of a structure above: an attribute has the type its
 * description gives, and 64-bit attributes are aligned with the PAD
 * attribute of their enum.  kmod/uapi/mptrace.yaml describes the same
 * family for generic clients (ynl).
 */

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
 *	makes while anyone listens takes the next number).  Events that
 *	come faster than one a scheduler tick arrive several to a datagram,
 *	each its own message, at most a tick late: read every message of
 *	what one recv(2) returns (NLMSG_NEXT), with a buffer of at least
 *	a page.  The same notification on a class's group (%MPT_MCGRP_PROCS
 *	and the others) carries that class's events only, which the module
 *	neither renders nor sends when nobody listens to them, and each
 *	also carries %MPT_EV_A_GROUP_SEQ: a listener of such a group detects
 *	lost events by gaps in that number instead, since %MPT_EV_A_SEQ
 *	skips the other classes' events.  Join one group: events come in
 *	order within a group, not between groups, and an event reaches a
 *	socket once for every group of it that the socket joined.
 * @MPT_CMD_GET_PROCS: dump: takes no attribute.  One message per process
 *	the caller can see (see "The process table"), each with a
 *	%MPT_A_PROC nest of enum mpt_proc_attr, in pid order.
 * @MPT_CMD_GET_QUEUES: dump: takes no attribute.  One message per queue
 *	the caller may open (as %MPT_IOC_QUEUES), each with a %MPT_A_QUEUE
 *	nest of enum mpt_queue_attr, in id order.
 * @MPT_CMD_GET_LOCKS: dump: takes no attribute.  One message per lock
 *	the caller may open, each with a %MPT_A_LOCK nest of enum
 *	mpt_lock_attr, in id order.
 * @__MPT_CMD_MAX: one past the last command (%MPT_CMD_MAX is the last)
 */
enum mpt_cmd {
	MPT_CMD_UNSPEC,
	MPT_CMD_GET_VERSION,
	MPT_CMD_GET_STATS,
	MPT_CMD_EVENT,
	MPT_CMD_GET_PROCS,
	MPT_CMD_GET_QUEUES,
	MPT_CMD_GET_LOCKS,
	__MPT_CMD_MAX,
};

/**
 * MPT_CMD_MAX - the highest command of enum mpt_cmd
 */
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
 * @MPT_A_QUEUE: nest, enum mpt_queue_attr
 * @MPT_A_LOCK: nest, enum mpt_lock_attr
 * @__MPT_A_MAX: one past the last attribute (%MPT_A_MAX is the last)
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
	MPT_A_QUEUE,
	MPT_A_LOCK,
	__MPT_A_MAX,
};

/**
 * MPT_A_MAX - the highest attribute of enum mpt_attr
 */
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
 *	(open files; see %MPT_STATS_A_RING_BYTES_CLOSING for closed ones)
 * @MPT_STATS_A_RING_BYTES_MAX: u64, the ring_mem_max parameter
 * @MPT_STATS_A_DEV_LOST: u64, events dropped from full /dev rings (each
 *	reader was told in a LOST record)
 * @MPT_STATS_A_NL_EVENTS: u64, events multicast on netlink, once for
 *	each group an event went to (%MPT_MCGRP_EVENTS and its class's)
 * @MPT_STATS_A_NL_DROPS: u64, netlink events no listener received: no
 *	memory for the message, or every listener's receive buffer was
 *	full; once for each group, as %MPT_STATS_A_NL_EVENTS (where a send
 *	that a listener with NETLINK_BROADCAST_ERROR failed counts, the
 *	others may have it).  A listener
 *	sees its own misses as gaps in the sequence numbers (and in the
 *	Drops column of /proc/net/netlink)
 * @MPT_STATS_A_PROCS: u64, records in the process table now
 * @MPT_STATS_A_PROCS_MAX: u64, the max_procs parameter
 * @MPT_STATS_A_PROCS_BYTES: u64, memory the process table holds
 * @MPT_STATS_A_PROCS_EVICTED: u64, records given to a new process while
 *	the table was full
 * @MPT_STATS_A_PROCS_UNTRACKED: u64, processes created while the table
 *	was full, or when no memory could be had, and not tracked
 * @MPT_STATS_A_QUEUES: u64, queues that exist now
 * @MPT_STATS_A_QUEUES_MAX: u64, the max_queues parameter
 * @MPT_STATS_A_QUEUE_BYTES: u64, bytes the queues reserve
 *	(capacity * msgsize each)
 * @MPT_STATS_A_QUEUE_BYTES_MAX: u64, the max_queue_bytes parameter
 * @MPT_STATS_A_QUEUE_MSG_BYTES: u64, bytes of the messages in all queues
 * @MPT_STATS_A_QUEUE_REFUSED: u64, queue creations refused at a limit
 * @MPT_STATS_A_LOCKS: u64, locks that exist now
 * @MPT_STATS_A_LOCKS_MAX: u64, the max_locks parameter
 * @MPT_STATS_A_LOCK_REFUSED: u64, lock creations refused at the limit
 * @MPT_STATS_A_LOCKS_HELD: u64, locks held now, as the kernel knows
 *	(not fast locks held in user space)
 * @MPT_STATS_A_LOCK_TOKENS: u64, threads holding a token for fast locks
 * @MPT_STATS_A_LOCK_TOKENS_MAX: u64, the max_lock_tokens parameter
 * @MPT_STATS_A_LOCK_TOKEN_REFUSED: u64, tokens refused at the limit
 * @MPT_STATS_A_DEV_READERS: u64, /dev/mptrace files receiving events now
 *	(those with a ring)
 * @MPT_STATS_A_DEV_READERS_USER_MAX: u64, the readers_user_max parameter
 * @MPT_STATS_A_RING_BYTES_USER_MAX: u64, the ring_mem_user_max parameter
 * @MPT_STATS_A_DEV_REFUSED: u64, rings refused at a limit (ring_mem_max,
 *	ring_mem_user_max or readers_user_max)
 * @MPT_STATS_A_RING_BYTES_CLOSING: u64, memory held by the rings of
 *	closed readers, freed once no event can be on its way into them (an
 *	RCU grace period after the close); at most ring_mem_max, past which
 *	a close waits for its ring to be freed
 * @__MPT_STATS_A_MAX: one past the last attribute (%MPT_STATS_A_MAX is the last)
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
	MPT_STATS_A_QUEUES,
	MPT_STATS_A_QUEUES_MAX,
	MPT_STATS_A_QUEUE_BYTES,
	MPT_STATS_A_QUEUE_BYTES_MAX,
	MPT_STATS_A_QUEUE_MSG_BYTES,
	MPT_STATS_A_QUEUE_REFUSED,
	MPT_STATS_A_LOCKS,
	MPT_STATS_A_LOCKS_MAX,
	MPT_STATS_A_LOCK_REFUSED,
	MPT_STATS_A_LOCKS_HELD,
	MPT_STATS_A_LOCK_TOKENS,
	MPT_STATS_A_LOCK_TOKENS_MAX,
	MPT_STATS_A_LOCK_TOKEN_REFUSED,
	MPT_STATS_A_DEV_READERS,
	MPT_STATS_A_DEV_READERS_USER_MAX,
	MPT_STATS_A_RING_BYTES_USER_MAX,
	MPT_STATS_A_DEV_REFUSED,
	MPT_STATS_A_RING_BYTES_CLOSING,
	__MPT_STATS_A_MAX,
};

/**
 * MPT_STATS_A_MAX - the highest attribute of enum mpt_stats_attr
 */
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
 * @MPT_EV_A_OBJ_ID: u64, QUEUE_*: struct mpt_event_queue.queue_id
 * @MPT_EV_A_OBJ_NAME: string, QUEUE_*: struct mpt_event_queue.name
 * @MPT_EV_A_DEPTH: u32, QUEUE_*: struct mpt_event_queue.depth
 * @MPT_EV_A_LEN: u32, QUEUE_PUT, QUEUE_GET: struct mpt_event_queue.len
 * @MPT_EV_A_COUNT: u64, QUEUE_*: struct mpt_event_queue.count
 * @MPT_EV_A_OWNER_PID: u32, LOCK_CONTENDED: struct mpt_event_lock.owner_pid
 * @MPT_EV_A_OWNER_TID: u32, LOCK_CONTENDED: struct mpt_event_lock.owner_tid
 * @MPT_EV_A_NS: u64, LOCK_*: struct mpt_event_lock.ns
 * @MPT_EV_A_WAITERS: u32, LOCK_*: struct mpt_event_lock.waiters
 * @MPT_EV_A_CYCLE: nest, DEADLOCK: one per step of the cycle, in order,
 *	each a nest of enum mpt_cycle_attr (names cut as in the record,
 *	up to %MPT_DEADLOCK_MAX steps)
 * @MPT_EV_A_GROUP_SEQ: u64, on a class's group only (not on
 *	%MPT_MCGRP_EVENTS): the event's number among the events the module
 *	made for that group while anyone listened to it, from 1 after the
 *	module is loaded, one more for each
 * @__MPT_EV_A_MAX: one past the last attribute (%MPT_EV_A_MAX is the last)
 *
 * LOCK_* events carry %MPT_EV_A_OBJ_ID, %MPT_EV_A_OBJ_NAME and (ACQUIRE,
 * RELEASE: the recursion count) %MPT_EV_A_COUNT too; DEADLOCK carries
 * %MPT_EV_A_COUNT as the cycle's length and %MPT_EV_A_INFO_FLAGS.
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
	MPT_EV_A_OBJ_ID,
	MPT_EV_A_OBJ_NAME,
	MPT_EV_A_DEPTH,
	MPT_EV_A_LEN,
	MPT_EV_A_COUNT,
	MPT_EV_A_OWNER_PID,
	MPT_EV_A_OWNER_TID,
	MPT_EV_A_NS,
	MPT_EV_A_WAITERS,
	MPT_EV_A_CYCLE,
	MPT_EV_A_GROUP_SEQ,
	__MPT_EV_A_MAX,
};

/**
 * MPT_EV_A_MAX - the highest attribute of enum mpt_event_attr
 */
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
 * @__MPT_PROC_A_MAX: one past the last attribute (%MPT_PROC_A_MAX is the last)
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

/**
 * MPT_PROC_A_MAX - the highest attribute of enum mpt_proc_attr
 */
#define MPT_PROC_A_MAX	(__MPT_PROC_A_MAX - 1)

/**
 * enum mpt_queue_attr - a queue in a %MPT_CMD_GET_QUEUES dump, nested in
 * %MPT_A_QUEUE; each is the struct mpt_queue_info field of the same name
 * @MPT_QUEUE_A_UNSPEC: never used
 * @MPT_QUEUE_A_PAD: padding for 64-bit attributes
 * @MPT_QUEUE_A_ID: u64
 * @MPT_QUEUE_A_NAME: string
 * @MPT_QUEUE_A_CAPACITY: u32
 * @MPT_QUEUE_A_MSGSIZE: u32
 * @MPT_QUEUE_A_FLAGS: u32, %MPT_QUEUE_*
 * @MPT_QUEUE_A_MODE: u32
 * @MPT_QUEUE_A_UID: u32
 * @MPT_QUEUE_A_GID: u32
 * @MPT_QUEUE_A_DEPTH: u32
 * @MPT_QUEUE_A_HWM: u32
 * @MPT_QUEUE_A_BYTES: u64
 * @MPT_QUEUE_A_PUTS: u64
 * @MPT_QUEUE_A_GETS: u64
 * @MPT_QUEUE_A_UNFINISHED: u64
 * @MPT_QUEUE_A_LOOSE: u64
 * @MPT_QUEUE_A_RELEASED: u64
 * @MPT_QUEUE_A_CONSUMER_DEATHS: u64
 * @MPT_QUEUE_A_FULL_WAITS: u64
 * @MPT_QUEUE_A_EMPTY_WAITS: u64
 * @MPT_QUEUE_A_CREATED_NS: u64
 * @MPT_QUEUE_A_OPENERS: u32
 * @MPT_QUEUE_A_NPUT: u32
 * @MPT_QUEUE_A_NGET: u32
 * @MPT_QUEUE_A_NJOIN: u32
 * @MPT_QUEUE_A_NCONSUMERS: u32
 * @MPT_QUEUE_A_WAITER: nest, enum mpt_qwaiter_attr; one per blocked
 *	thread, the longest waiting first, at most %MPT_QUEUE_DUMP_LIST
 * @MPT_QUEUE_A_CONSUMER: nest, enum mpt_qconsumer_attr; one per process
 *	with items in flight, at most %MPT_QUEUE_DUMP_LIST
 * @__MPT_QUEUE_A_MAX: one past the last attribute (%MPT_QUEUE_A_MAX is the last)
 *
 * A client must ignore attributes it does not know.
 */
enum mpt_queue_attr {
	MPT_QUEUE_A_UNSPEC,
	MPT_QUEUE_A_PAD,
	MPT_QUEUE_A_ID,
	MPT_QUEUE_A_NAME,
	MPT_QUEUE_A_CAPACITY,
	MPT_QUEUE_A_MSGSIZE,
	MPT_QUEUE_A_FLAGS,
	MPT_QUEUE_A_MODE,
	MPT_QUEUE_A_UID,
	MPT_QUEUE_A_GID,
	MPT_QUEUE_A_DEPTH,
	MPT_QUEUE_A_HWM,
	MPT_QUEUE_A_BYTES,
	MPT_QUEUE_A_PUTS,
	MPT_QUEUE_A_GETS,
	MPT_QUEUE_A_UNFINISHED,
	MPT_QUEUE_A_LOOSE,
	MPT_QUEUE_A_RELEASED,
	MPT_QUEUE_A_CONSUMER_DEATHS,
	MPT_QUEUE_A_FULL_WAITS,
	MPT_QUEUE_A_EMPTY_WAITS,
	MPT_QUEUE_A_CREATED_NS,
	MPT_QUEUE_A_OPENERS,
	MPT_QUEUE_A_NPUT,
	MPT_QUEUE_A_NGET,
	MPT_QUEUE_A_NJOIN,
	MPT_QUEUE_A_NCONSUMERS,
	MPT_QUEUE_A_WAITER,
	MPT_QUEUE_A_CONSUMER,
	__MPT_QUEUE_A_MAX,
};

/**
 * MPT_QUEUE_A_MAX - the highest attribute of enum mpt_queue_attr
 */
#define MPT_QUEUE_A_MAX	(__MPT_QUEUE_A_MAX - 1)

/**
 * MPT_QUEUE_DUMP_LIST - waiters and consumers a %MPT_CMD_GET_QUEUES
 * message carries at most
 */
#define MPT_QUEUE_DUMP_LIST	64

/**
 * enum mpt_qwaiter_attr - a blocked thread, nested in %MPT_QUEUE_A_WAITER;
 * the fields of struct mpt_qwaiter
 * @MPT_QWAITER_A_UNSPEC: never used
 * @MPT_QWAITER_A_PAD: padding for 64-bit attributes
 * @MPT_QWAITER_A_PID: u32
 * @MPT_QWAITER_A_TID: u32
 * @MPT_QWAITER_A_WHAT: u32, enum mpt_qwait_what
 * @MPT_QWAITER_A_SINCE_NS: u64
 * @__MPT_QWAITER_A_MAX: one past the last attribute (%MPT_QWAITER_A_MAX is the last)
 */
enum mpt_qwaiter_attr {
	MPT_QWAITER_A_UNSPEC,
	MPT_QWAITER_A_PAD,
	MPT_QWAITER_A_PID,
	MPT_QWAITER_A_TID,
	MPT_QWAITER_A_WHAT,
	MPT_QWAITER_A_SINCE_NS,
	__MPT_QWAITER_A_MAX,
};

/**
 * MPT_QWAITER_A_MAX - the highest attribute of enum mpt_qwaiter_attr
 */
#define MPT_QWAITER_A_MAX	(__MPT_QWAITER_A_MAX - 1)

/**
 * enum mpt_qconsumer_attr - a consumer, nested in %MPT_QUEUE_A_CONSUMER;
 * the fields of struct mpt_qconsumer
 * @MPT_QCONSUMER_A_UNSPEC: never used
 * @MPT_QCONSUMER_A_PAD: padding for 64-bit attributes
 * @MPT_QCONSUMER_A_PID: u32
 * @MPT_QCONSUMER_A_INFLIGHT: u64
 * @__MPT_QCONSUMER_A_MAX: one past the last attribute (%MPT_QCONSUMER_A_MAX is the last)
 */
enum mpt_qconsumer_attr {
	MPT_QCONSUMER_A_UNSPEC,
	MPT_QCONSUMER_A_PAD,
	MPT_QCONSUMER_A_PID,
	MPT_QCONSUMER_A_INFLIGHT,
	__MPT_QCONSUMER_A_MAX,
};

/**
 * MPT_QCONSUMER_A_MAX - the highest attribute of enum mpt_qconsumer_attr
 */
#define MPT_QCONSUMER_A_MAX	(__MPT_QCONSUMER_A_MAX - 1)

/**
 * enum mpt_cycle_attr - a step of a deadlock cycle, nested in
 * %MPT_EV_A_CYCLE; the fields of struct mpt_deadlock_entry
 * @MPT_CYCLE_A_UNSPEC: never used
 * @MPT_CYCLE_A_PAD: padding for 64-bit attributes
 * @MPT_CYCLE_A_PID: u32
 * @MPT_CYCLE_A_TID: u32
 * @MPT_CYCLE_A_LOCK_ID: u64
 * @MPT_CYCLE_A_NAME: string, the lock's name (cut as in the record)
 * @__MPT_CYCLE_A_MAX: one past the last attribute (%MPT_CYCLE_A_MAX is the last)
 */
enum mpt_cycle_attr {
	MPT_CYCLE_A_UNSPEC,
	MPT_CYCLE_A_PAD,
	MPT_CYCLE_A_PID,
	MPT_CYCLE_A_TID,
	MPT_CYCLE_A_LOCK_ID,
	MPT_CYCLE_A_NAME,
	__MPT_CYCLE_A_MAX,
};

/**
 * MPT_CYCLE_A_MAX - the highest attribute of enum mpt_cycle_attr
 */
#define MPT_CYCLE_A_MAX	(__MPT_CYCLE_A_MAX - 1)

/**
 * enum mpt_lock_attr - a lock in a %MPT_CMD_GET_LOCKS dump, nested in
 * %MPT_A_LOCK; each is the struct mpt_lock_info field of the same name
 * @MPT_LOCK_A_UNSPEC: never used
 * @MPT_LOCK_A_PAD: padding for 64-bit attributes
 * @MPT_LOCK_A_ID: u64
 * @MPT_LOCK_A_NAME: string
 * @MPT_LOCK_A_KIND: u32
 * @MPT_LOCK_A_FLAGS: u32
 * @MPT_LOCK_A_MODE: u32
 * @MPT_LOCK_A_UID: u32
 * @MPT_LOCK_A_GID: u32
 * @MPT_LOCK_A_OWNER_PID: u32
 * @MPT_LOCK_A_OWNER_TID: u32
 * @MPT_LOCK_A_COUNT: u32
 * @MPT_LOCK_A_OWNER_COMM: string
 * @MPT_LOCK_A_HELD_NS: u64
 * @MPT_LOCK_A_CREATED_NS: u64
 * @MPT_LOCK_A_ACQUISITIONS: u64
 * @MPT_LOCK_A_CONTENTIONS: u64
 * @MPT_LOCK_A_OWNER_DEATHS: u64
 * @MPT_LOCK_A_DEADLOCKS: u64
 * @MPT_LOCK_A_TIMEOUTS: u64
 * @MPT_LOCK_A_HOLD_TOTAL_NS: u64
 * @MPT_LOCK_A_HOLD_MAX_NS: u64
 * @MPT_LOCK_A_WAIT_TOTAL_NS: u64
 * @MPT_LOCK_A_WAIT_MAX_NS: u64
 * @MPT_LOCK_A_OPENERS: u32
 * @MPT_LOCK_A_NWAITERS: u32
 * @MPT_LOCK_A_WAITER: nest, enum mpt_qwaiter_attr (pid, tid, since_ns);
 *	one per waiter in FIFO order, at most %MPT_QUEUE_DUMP_LIST
 * @__MPT_LOCK_A_MAX: one past the last attribute (%MPT_LOCK_A_MAX is the last)
 *
 * A client must ignore attributes it does not know.
 */
enum mpt_lock_attr {
	MPT_LOCK_A_UNSPEC,
	MPT_LOCK_A_PAD,
	MPT_LOCK_A_ID,
	MPT_LOCK_A_NAME,
	MPT_LOCK_A_KIND,
	MPT_LOCK_A_FLAGS,
	MPT_LOCK_A_MODE,
	MPT_LOCK_A_UID,
	MPT_LOCK_A_GID,
	MPT_LOCK_A_OWNER_PID,
	MPT_LOCK_A_OWNER_TID,
	MPT_LOCK_A_COUNT,
	MPT_LOCK_A_OWNER_COMM,
	MPT_LOCK_A_HELD_NS,
	MPT_LOCK_A_CREATED_NS,
	MPT_LOCK_A_ACQUISITIONS,
	MPT_LOCK_A_CONTENTIONS,
	MPT_LOCK_A_OWNER_DEATHS,
	MPT_LOCK_A_DEADLOCKS,
	MPT_LOCK_A_TIMEOUTS,
	MPT_LOCK_A_HOLD_TOTAL_NS,
	MPT_LOCK_A_HOLD_MAX_NS,
	MPT_LOCK_A_WAIT_TOTAL_NS,
	MPT_LOCK_A_WAIT_MAX_NS,
	MPT_LOCK_A_OPENERS,
	MPT_LOCK_A_NWAITERS,
	MPT_LOCK_A_WAITER,
	__MPT_LOCK_A_MAX,
};

/**
 * MPT_LOCK_A_MAX - the highest attribute of enum mpt_lock_attr
 */
#define MPT_LOCK_A_MAX	(__MPT_LOCK_A_MAX - 1)

#endif /* _UAPI_LINUX_MPTRACE_H */
