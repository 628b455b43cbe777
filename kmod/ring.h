/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MPT_RING_H
#define _MPT_RING_H

#include <linux/atomic.h>
#include <linux/log2.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/mptrace.h>

/* One slot: any event record fits. */
struct mpt_event {
	union {
		struct mpt_event_hdr	hdr;
		struct mpt_event_lost	lost;
		struct mpt_event_fork	fork;
		struct mpt_event_exec	exec;
		struct mpt_event_exit	exit;
		struct mpt_event_zombie	zombie;
		struct mpt_event_reap	reap;
		struct mpt_event_orphan	orphan;
		struct mpt_event_queue	queue;
		struct mpt_event_lock	lock;
		struct mpt_event_deadlock deadlock;
		u8			bytes[MPT_EVENT_MAX_SIZE];
	};
};

/* Every record fits a slot: MPT_EVENT_MAX_SIZE is the UAPI's promise. */
static_assert(sizeof(struct mpt_event) == MPT_EVENT_MAX_SIZE);

/**
 * struct mpt_mem_budget - memory that a set of rings may hold together
 * @used: bytes held now
 * @max: bytes they may hold
 * @parent: a budget that holds this one's bytes too (one user's share
 *	within all readers'), or NULL; a ring's bytes are charged to every
 *	budget up the chain, or to none
 */
struct mpt_mem_budget {
	atomic64_t		used;
	u64			max;
	struct mpt_mem_budget	*parent;
};

/**
 * struct mpt_ring - a bounded FIFO of event records for one reader
 * @lock: taken with interrupts off: producers run in any context
 * @mask: slots - 1 (slots is a power of two)
 * @head: where the next record goes (free-running)
 * @tail: the next record to read (free-running)
 * @pending: events dropped since the last LOST record was queued
 * @pending_seq: sequence number of the first of those
 * @pending_time: and its time
 * @lost: events dropped since the ring was made
 * @slots: the records
 * @budget: where the slots' memory is accounted; NULL once given back
 *
 * Producers call mpt_ring_push(); one consumer at a time (the caller
 * serialises them) calls mpt_ring_peek() then mpt_ring_consume(), so a
 * record leaves the ring only once it has reached the reader.
 */
struct mpt_ring {
	spinlock_t		lock;	/* producers vs the consumer */
	u32			mask;
	u32			head;
	u32			tail;
	u64			pending;
	u64			pending_seq;
	u64			pending_time;
	u64			lost;
	struct mpt_event	*slots;
	struct mpt_mem_budget	*budget;
};

int mpt_ring_init(struct mpt_ring *ring, u32 nslots,
		  struct mpt_mem_budget *budget);
/* The bytes of @ring's slots, as charged to its budgets. */
static inline size_t mpt_ring_bytes(const struct mpt_ring *ring)
{
	return (size_t)(ring->mask + 1) * sizeof(struct mpt_event);
}

void mpt_ring_uncharge(struct mpt_ring *ring);
void mpt_ring_destroy(struct mpt_ring *ring);
int mpt_ring_resize(struct mpt_ring *ring, u32 nslots);
bool mpt_ring_push(struct mpt_ring *ring, const struct mpt_event *ev);
int mpt_ring_peek(struct mpt_ring *ring, struct mpt_event *ev);
void mpt_ring_consume(struct mpt_ring *ring);
bool mpt_ring_readable(struct mpt_ring *ring);
void mpt_ring_conf(struct mpt_ring *ring, struct mpt_ring_conf *conf);

static inline bool mpt_ring_valid_slots(u32 nslots)
{
	return nslots >= MPT_RING_MIN_SLOTS && nslots <= MPT_RING_MAX_SLOTS &&
	       is_power_of_2(nslots);
}

#endif /* _MPT_RING_H */
