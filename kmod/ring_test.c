// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the per-reader event ring (ring.c, built into this test
 * module from the same source).  The property that matters: every event
 * pushed is either read, in order, or counted in exactly one LOST record
 * that sits where the gap is.
 */
#include <kunit/test.h>
#include <linux/prandom.h>

#include "ring.c"

static struct mpt_mem_budget budget;

static void make_event(struct mpt_event *ev, u64 seq)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.size = sizeof(ev->hdr) + 8 * (seq % 5);
	ev->hdr.type = MPT_EV_MAX + 1;	/* a type the ring knows nothing of */
	ev->hdr.seq = seq;
	ev->hdr.time_ns = seq * 1000;
	memset(ev->bytes + sizeof(ev->hdr), (u8)seq,
	       ev->hdr.size - sizeof(ev->hdr));
}

static int ring_test_init(struct kunit *test)
{
	atomic64_set(&budget.used, 0);
	budget.max = 1 << 20;
	return 0;
}

/* A reader's view: what it read, and the losses it was told of. */
struct drain {
	u64 events, lost, last_seq, lost_records;
};

/* Take one record as a reader would, checking it continues the stream. */
static void account(struct kunit *test, struct drain *d,
		    const struct mpt_event *ev)
{
	/* Events and gaps follow each other without a hole. */
	KUNIT_EXPECT_EQ(test, ev->hdr.seq, d->last_seq + 1);
	if (ev->hdr.type == MPT_EV_LOST) {
		KUNIT_EXPECT_EQ(test, ev->hdr.size, sizeof(ev->lost));
		KUNIT_EXPECT_GT(test, ev->lost.count, 0);
		d->lost += ev->lost.count;
		d->last_seq = ev->hdr.seq + ev->lost.count - 1;
		d->lost_records++;
	} else {
		if (ev->hdr.size > sizeof(ev->hdr))
			KUNIT_EXPECT_EQ(test, ev->bytes[ev->hdr.size - 1],
					(u8)ev->hdr.seq);
		d->events++;
		d->last_seq = ev->hdr.seq;
	}
}

static void drain(struct kunit *test, struct mpt_ring *ring, struct drain *d)
{
	struct mpt_event ev;

	while (!mpt_ring_peek(ring, &ev)) {
		account(test, d, &ev);
		mpt_ring_consume(ring);
	}
}

/* Push events @from..@to; returns how many the ring queued. */
static u64 push_range(struct mpt_ring *ring, u64 from, u64 to)
{
	struct mpt_event ev;
	u64 seq, queued = 0;

	for (seq = from; seq <= to; seq++) {
		make_event(&ev, seq);
		queued += mpt_ring_push(ring, &ev);
	}
	return queued;
}

static void ring_test_fifo(struct kunit *test)
{
	struct mpt_ring ring;
	struct mpt_event ev;
	struct drain d = { 0 };

	KUNIT_ASSERT_EQ(test, mpt_ring_init(&ring, 16, &budget), 0);
	KUNIT_EXPECT_FALSE(test, mpt_ring_readable(&ring));
	KUNIT_EXPECT_EQ(test, mpt_ring_peek(&ring, &ev), -EAGAIN);
	KUNIT_EXPECT_EQ(test, push_range(&ring, 1, 16), 16);
	KUNIT_EXPECT_TRUE(test, mpt_ring_readable(&ring));
	drain(test, &ring, &d);
	KUNIT_EXPECT_EQ(test, d.events, 16);
	KUNIT_EXPECT_EQ(test, d.lost, 0);
	KUNIT_EXPECT_FALSE(test, mpt_ring_readable(&ring));
	mpt_ring_destroy(&ring);
	KUNIT_EXPECT_EQ(test, atomic64_read(&budget.used), 0);
}

/* A peeked record stays until consumed: a failed copy loses nothing. */
static void ring_test_peek_keeps(struct kunit *test)
{
	struct mpt_event *a, *b;
	struct mpt_ring ring;

	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_EQ(test, mpt_ring_init(&ring, 16, &budget), 0);
	make_event(a, 1);
	mpt_ring_push(&ring, a);
	KUNIT_ASSERT_EQ(test, mpt_ring_peek(&ring, a), 0);
	KUNIT_ASSERT_EQ(test, mpt_ring_peek(&ring, b), 0);
	KUNIT_EXPECT_EQ(test, a->hdr.seq, b->hdr.seq);
	mpt_ring_consume(&ring);
	KUNIT_EXPECT_EQ(test, mpt_ring_peek(&ring, a), -EAGAIN);
	mpt_ring_destroy(&ring);
}

/* Overflow: the first 16 are kept, the other 84 are one LOST record. */
static void ring_test_overflow(struct kunit *test)
{
	struct mpt_ring_conf conf;
	struct mpt_ring ring;
	struct drain d = { 0 };

	KUNIT_ASSERT_EQ(test, mpt_ring_init(&ring, 16, &budget), 0);
	KUNIT_EXPECT_EQ(test, push_range(&ring, 1, 100), 16);
	mpt_ring_conf(&ring, &conf);
	KUNIT_EXPECT_EQ(test, conf.slots, 16);
	KUNIT_EXPECT_EQ(test, conf.used, 16);
	KUNIT_EXPECT_EQ(test, conf.lost, 84);
	drain(test, &ring, &d);
	KUNIT_EXPECT_EQ(test, d.events, 16);
	KUNIT_EXPECT_EQ(test, d.lost, 84);
	KUNIT_EXPECT_EQ(test, d.lost_records, 1);
	mpt_ring_destroy(&ring);
}

/*
 * The LOST record goes in before the next event that fits, between the
 * events around the gap, even when the reader has not drained the ring.
 */
static void ring_test_lost_in_place(struct kunit *test)
{
	struct mpt_ring ring;
	struct mpt_event ev;
	struct drain d = { 0 };
	int i;

	KUNIT_ASSERT_EQ(test, mpt_ring_init(&ring, 16, &budget), 0);
	KUNIT_EXPECT_EQ(test, push_range(&ring, 1, 20), 16);	/* 17..20 lost */
	for (i = 0; i < 3; i++) {		/* read 1..3: 3 slots free */
		KUNIT_ASSERT_EQ(test, mpt_ring_peek(&ring, &ev), 0);
		account(test, &d, &ev);
		mpt_ring_consume(&ring);
	}
	/* LOST(17..20), 21 and 22 fill the 3 slots; 23 is lost. */
	KUNIT_EXPECT_EQ(test, push_range(&ring, 21, 23), 2);
	drain(test, &ring, &d);
	KUNIT_EXPECT_EQ(test, d.events + d.lost, 23);
	KUNIT_EXPECT_EQ(test, d.lost, 5);
	KUNIT_EXPECT_EQ(test, d.lost_records, 2);
	mpt_ring_destroy(&ring);
}

/* Random pushes and reads: nothing is ever unaccounted for. */
static void ring_test_random(struct kunit *test)
{
	struct rnd_state rnd;
	struct mpt_ring ring;
	struct mpt_event ev;
	struct drain d = { 0 };
	u64 seq = 0;
	int round;

	prandom_seed_state(&rnd, 42);
	KUNIT_ASSERT_EQ(test, mpt_ring_init(&ring, 32, &budget), 0);
	for (round = 0; round < 20000; round++) {
		u32 r = prandom_u32_state(&rnd);

		if (r % 3) {
			make_event(&ev, ++seq);
			mpt_ring_push(&ring, &ev);
		} else if (!mpt_ring_peek(&ring, &ev)) {
			account(test, &d, &ev);
			mpt_ring_consume(&ring);
		}
	}
	drain(test, &ring, &d);
	KUNIT_EXPECT_EQ(test, d.events + d.lost, seq);
	KUNIT_EXPECT_EQ(test, ring.lost, d.lost);
	mpt_ring_destroy(&ring);
}

static void ring_test_sizes(struct kunit *test)
{
	static const u32 bad[] = { 0, 1, 15, 17, 24, MPT_RING_MAX_SLOTS * 2,
				   U32_MAX };
	struct mpt_ring ring;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ(test, mpt_ring_init(&ring, bad[i], &budget),
				-EINVAL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&budget.used), 0);

	KUNIT_ASSERT_EQ(test, mpt_ring_init(&ring, 16, &budget), 0);
	KUNIT_EXPECT_EQ(test, mpt_ring_resize(&ring, 24), -EINVAL);
	KUNIT_EXPECT_EQ(test, mpt_ring_resize(&ring, 64), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&budget.used),
			64 * sizeof(struct mpt_event));
	mpt_ring_destroy(&ring);
	KUNIT_EXPECT_EQ(test, atomic64_read(&budget.used), 0);
}

/* Waiting records are never thrown away by a resize. */
static void ring_test_resize_busy(struct kunit *test)
{
	struct mpt_ring ring;
	struct mpt_event ev;

	KUNIT_ASSERT_EQ(test, mpt_ring_init(&ring, 16, &budget), 0);
	make_event(&ev, 1);
	mpt_ring_push(&ring, &ev);
	KUNIT_EXPECT_EQ(test, mpt_ring_resize(&ring, 32), -EBUSY);
	KUNIT_EXPECT_EQ(test, atomic64_read(&budget.used),
			16 * sizeof(struct mpt_event));
	KUNIT_ASSERT_EQ(test, mpt_ring_peek(&ring, &ev), 0);
	KUNIT_EXPECT_EQ(test, ev.hdr.seq, 1);
	mpt_ring_destroy(&ring);
}

/* The budget bounds all rings together. */
static void ring_test_budget(struct kunit *test)
{
	struct mpt_ring a, b;

	budget.max = 48 * sizeof(struct mpt_event);
	KUNIT_ASSERT_EQ(test, mpt_ring_init(&a, 32, &budget), 0);
	KUNIT_EXPECT_EQ(test, mpt_ring_init(&b, 32, &budget), -ENOSPC);
	KUNIT_ASSERT_EQ(test, mpt_ring_init(&b, 16, &budget), 0);
	KUNIT_EXPECT_EQ(test, mpt_ring_resize(&b, 32), -ENOSPC);
	mpt_ring_destroy(&a);
	KUNIT_EXPECT_EQ(test, mpt_ring_resize(&b, 32), 0);
	mpt_ring_destroy(&b);
	KUNIT_EXPECT_EQ(test, atomic64_read(&budget.used), 0);
}

/*
 * A share within the budget (one user's): a ring is charged to both or
 * to neither, whichever of the two refuses it.
 */
static void ring_test_budget_share(struct kunit *test)
{
	struct mpt_mem_budget share = { .max = 32 * sizeof(struct mpt_event),
					.parent = &budget };
	struct mpt_ring a, b, c;

	budget.max = 48 * sizeof(struct mpt_event);
	KUNIT_ASSERT_EQ(test, mpt_ring_init(&a, 16, &share), 0);
	KUNIT_ASSERT_EQ(test, mpt_ring_init(&b, 32, &budget), 0);
	/* Within the share, not within the whole. */
	KUNIT_EXPECT_EQ(test, mpt_ring_init(&c, 16, &share), -ENOSPC);
	KUNIT_EXPECT_EQ(test, atomic64_read(&share.used),
			16 * sizeof(struct mpt_event));
	KUNIT_EXPECT_EQ(test, atomic64_read(&budget.used),
			48 * sizeof(struct mpt_event));
	mpt_ring_destroy(&b);
	/* Within the whole, not within the share. */
	budget.max = 128 * sizeof(struct mpt_event);
	KUNIT_EXPECT_EQ(test, mpt_ring_resize(&a, 64), -ENOSPC);
	KUNIT_EXPECT_EQ(test, atomic64_read(&share.used),
			16 * sizeof(struct mpt_event));
	KUNIT_EXPECT_EQ(test, atomic64_read(&budget.used),
			16 * sizeof(struct mpt_event));
	/* A resize is charged its growth only: up to the whole share, back. */
	KUNIT_EXPECT_EQ(test, mpt_ring_resize(&a, 32), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&share.used),
			32 * sizeof(struct mpt_event));
	KUNIT_EXPECT_EQ(test, mpt_ring_resize(&a, 16), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&share.used),
			16 * sizeof(struct mpt_event));
	KUNIT_ASSERT_EQ(test, mpt_ring_init(&c, 16, &share), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&share.used),
			32 * sizeof(struct mpt_event));
	KUNIT_EXPECT_EQ(test, atomic64_read(&budget.used),
			32 * sizeof(struct mpt_event));
	mpt_ring_destroy(&a);
	mpt_ring_destroy(&c);
	KUNIT_EXPECT_EQ(test, atomic64_read(&share.used), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&budget.used), 0);
}

/*
 * A ring given back (a closed reader's, before its grace period ends)
 * leaves both budgets at once, keeps its records, and its destroy
 * gives nothing back twice.
 */
static void ring_test_uncharge(struct kunit *test)
{
	struct mpt_mem_budget share = { .max = 32 * sizeof(struct mpt_event),
					.parent = &budget };
	struct mpt_event *ev = kunit_kzalloc(test, sizeof(*ev), GFP_KERNEL);
	struct mpt_ring a, b;

	KUNIT_ASSERT_NOT_NULL(test, ev);
	KUNIT_ASSERT_EQ(test, mpt_ring_init(&a, 32, &share), 0);
	make_event(ev, 7);
	KUNIT_EXPECT_TRUE(test, mpt_ring_push(&a, ev));
	KUNIT_EXPECT_EQ(test, mpt_ring_bytes(&a), 32 * sizeof(struct mpt_event));
	mpt_ring_uncharge(&a);
	KUNIT_EXPECT_EQ(test, atomic64_read(&share.used), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&budget.used), 0);
	/* Its room is another's now; what it held is still readable. */
	memset(ev, 0, sizeof(*ev));
	KUNIT_EXPECT_EQ(test, mpt_ring_peek(&a, ev), 0);
	KUNIT_EXPECT_EQ(test, ev->hdr.seq, 7);
	if (mpt_ring_init(&b, 32, &share)) {
		mpt_ring_destroy(&a);
		KUNIT_FAIL(test, "the room given back was not there");
		return;
	}
	mpt_ring_destroy(&a);
	KUNIT_EXPECT_EQ(test, atomic64_read(&share.used),
			32 * sizeof(struct mpt_event));
	KUNIT_EXPECT_EQ(test, atomic64_read(&budget.used),
			32 * sizeof(struct mpt_event));
	mpt_ring_destroy(&b);
	KUNIT_EXPECT_EQ(test, atomic64_read(&share.used), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&budget.used), 0);
}

static struct kunit_case ring_test_cases[] = {
	KUNIT_CASE(ring_test_fifo),
	KUNIT_CASE(ring_test_peek_keeps),
	KUNIT_CASE(ring_test_overflow),
	KUNIT_CASE(ring_test_lost_in_place),
	KUNIT_CASE(ring_test_random),
	KUNIT_CASE(ring_test_sizes),
	KUNIT_CASE(ring_test_resize_busy),
	KUNIT_CASE(ring_test_budget),
	KUNIT_CASE(ring_test_budget_share),
	KUNIT_CASE(ring_test_uncharge),
	{}
};

static struct kunit_suite ring_test_suite = {
	.name = "mptrace_ring",
	.init = ring_test_init,
	.test_cases = ring_test_cases,
};

kunit_test_suite(ring_test_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of mptrace's event ring");
