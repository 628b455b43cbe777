// SPDX-License-Identifier: GPL-2.0
/*
 * Per-reader event rings: bounded, and exact about what they drop.
 *
 * A full ring drops the new event and counts it as pending.  The count
 * enters the stream as one LOST record at the place of the gap: a
 * producer writes it just before the next event that fits (it needs two
 * free slots then), or the consumer writes it when it finds the ring
 * empty.  So every event is either read or counted in exactly one LOST
 * record, and LOST records sit between the events around the gap.
 */
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "ring.h"

static size_t ring_bytes(u32 nslots)
{
	return (size_t)nslots * sizeof(struct mpt_event);
}

/* Give @bytes back to @b and the budgets above it, up to @end. */
static void budget_uncharge(struct mpt_mem_budget *b,
			    struct mpt_mem_budget *end, size_t bytes)
{
	for (; b != end; b = b->parent)
		atomic64_sub(bytes, &b->used);
}

/* Charge @bytes to @b and every budget above it, or to none: ENOSPC. */
static int budget_charge(struct mpt_mem_budget *b, size_t bytes)
{
	struct mpt_mem_budget *p;

	for (p = b; p; p = p->parent) {
		if (atomic64_add_return(bytes, &p->used) > p->max) {
			budget_uncharge(b, p->parent, bytes);
			return -ENOSPC;
		}
	}
	return 0;
}

/*
 * @nslots slots, @charge bytes of which are charged to @b first (a new
 * ring's all, a resized one's growth): ENOSPC past a budget.
 */
static struct mpt_event *ring_alloc(u32 nslots, size_t charge,
				    struct mpt_mem_budget *b)
{
	struct mpt_event *slots;
	int ret = budget_charge(b, charge);

	if (ret)
		return ERR_PTR(ret);
	slots = kvmalloc_array(nslots, sizeof(*slots),
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!slots) {
		budget_uncharge(b, NULL, charge);
		return ERR_PTR(-ENOMEM);
	}
	return slots;
}

int mpt_ring_init(struct mpt_ring *ring, u32 nslots,
		  struct mpt_mem_budget *budget)
{
	struct mpt_event *slots;

	if (!mpt_ring_valid_slots(nslots))
		return -EINVAL;
	slots = ring_alloc(nslots, ring_bytes(nslots), budget);
	if (IS_ERR(slots))
		return PTR_ERR(slots);

	memset(ring, 0, sizeof(*ring));
	spin_lock_init(&ring->lock);
	ring->mask = nslots - 1;
	ring->slots = slots;
	ring->budget = budget;
	return 0;
}

/*
 * Give the ring's bytes back to its budgets now; its slots stay until
 * mpt_ring_destroy() (a closed reader's, once no probe can push into
 * them), which gives nothing back again.
 */
void mpt_ring_uncharge(struct mpt_ring *ring)
{
	budget_uncharge(ring->budget, NULL, mpt_ring_bytes(ring));
	ring->budget = NULL;
}

void mpt_ring_destroy(struct mpt_ring *ring)
{
	if (!ring->slots)
		return;
	kvfree(ring->slots);
	budget_uncharge(ring->budget, NULL, mpt_ring_bytes(ring));
	ring->slots = NULL;
}

/* Records may only be moved while none wait: EBUSY otherwise. */
int mpt_ring_resize(struct mpt_ring *ring, u32 nslots)
{
	struct mpt_event *slots, *old;
	unsigned long flags;
	u32 old_slots;
	size_t grow;

	if (!mpt_ring_valid_slots(nslots))
		return -EINVAL;
	/*
	 * Only the growth is charged: a ring that fits once resized is not
	 * refused for the moment both exist.  A shrink gives back after.
	 */
	old_slots = ring->mask + 1;
	grow = nslots > old_slots ? ring_bytes(nslots) - ring_bytes(old_slots) : 0;
	slots = ring_alloc(nslots, grow, ring->budget);
	if (IS_ERR(slots))
		return PTR_ERR(slots);

	spin_lock_irqsave(&ring->lock, flags);
	if (ring->head != ring->tail || ring->pending) {
		spin_unlock_irqrestore(&ring->lock, flags);
		kvfree(slots);
		budget_uncharge(ring->budget, NULL, grow);
		return -EBUSY;
	}
	old = ring->slots;
	ring->slots = slots;
	ring->mask = nslots - 1;
	ring->head = 0;
	ring->tail = 0;
	spin_unlock_irqrestore(&ring->lock, flags);

	kvfree(old);
	if (nslots < old_slots)
		budget_uncharge(ring->budget, NULL,
				ring_bytes(old_slots) - ring_bytes(nslots));
	return 0;
}

static u32 ring_free_slots(const struct mpt_ring *ring)
{
	return ring->mask + 1 - (ring->head - ring->tail);
}

/* Queue the pending count as a LOST record; the caller made room. */
static void ring_put_lost(struct mpt_ring *ring)
{
	struct mpt_event_lost *lost = &ring->slots[ring->head & ring->mask].lost;

	memset(lost, 0, sizeof(*lost));
	lost->hdr.size = sizeof(*lost);
	lost->hdr.type = MPT_EV_LOST;
	lost->hdr.seq = ring->pending_seq;
	lost->hdr.time_ns = ring->pending_time;
	lost->count = ring->pending;
	ring->pending = 0;
	ring->head++;
}

/**
 * mpt_ring_push - queue a copy of @ev
 * @ring: the reader's ring
 * @ev: the record; @ev->hdr.size bytes of it are copied
 *
 * Any context.  Returns false when the ring was full and the event was
 * counted as lost instead.
 */
bool mpt_ring_push(struct mpt_ring *ring, const struct mpt_event *ev)
{
	unsigned long flags;
	bool queued = true;

	spin_lock_irqsave(&ring->lock, flags);
	if (ring_free_slots(ring) < (ring->pending ? 2 : 1)) {
		if (!ring->pending++) {
			ring->pending_seq = ev->hdr.seq;
			ring->pending_time = ev->hdr.time_ns;
		}
		ring->lost++;
		queued = false;
	} else {
		if (ring->pending)
			ring_put_lost(ring);
		memcpy(&ring->slots[ring->head & ring->mask], ev,
		       ev->hdr.size);
		ring->head++;
	}
	spin_unlock_irqrestore(&ring->lock, flags);
	return queued;
}

/**
 * mpt_ring_peek - copy the oldest record, leaving it in the ring
 * @ring: the reader's ring
 * @ev: where to copy it
 *
 * Returns 0, or -EAGAIN when there is nothing to read.
 */
int mpt_ring_peek(struct mpt_ring *ring, struct mpt_event *ev)
{
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&ring->lock, flags);
	if (ring->head == ring->tail && ring->pending)
		ring_put_lost(ring);
	if (ring->head == ring->tail) {
		ret = -EAGAIN;
	} else {
		const struct mpt_event *rec = &ring->slots[ring->tail & ring->mask];

		memcpy(ev, rec, rec->hdr.size);
	}
	spin_unlock_irqrestore(&ring->lock, flags);
	return ret;
}

/* Drop the record mpt_ring_peek() returned: it reached the reader. */
void mpt_ring_consume(struct mpt_ring *ring)
{
	unsigned long flags;

	spin_lock_irqsave(&ring->lock, flags);
	if (ring->head != ring->tail)
		ring->tail++;
	spin_unlock_irqrestore(&ring->lock, flags);
}

bool mpt_ring_readable(struct mpt_ring *ring)
{
	unsigned long flags;
	bool readable;

	spin_lock_irqsave(&ring->lock, flags);
	readable = ring->head != ring->tail || ring->pending;
	spin_unlock_irqrestore(&ring->lock, flags);
	return readable;
}

void mpt_ring_conf(struct mpt_ring *ring, struct mpt_ring_conf *conf)
{
	unsigned long flags;

	memset(conf, 0, sizeof(*conf));
	spin_lock_irqsave(&ring->lock, flags);
	conf->slots = ring->mask + 1;
	conf->used = ring->head - ring->tail;
	conf->lost = ring->lost;
	spin_unlock_irqrestore(&ring->lock, flags);
}
