// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the deadlock cycle search, on graphs made here.
 */
#include <kunit/test.h>

#include "cycle.c"

#define NT	16

/* A graph: thread i waits for lock waits[i] (or -1); lock j is held by owner[j] (or -1). */
struct graph {
	int waits[NT];
	int owner[NT];
};

static struct graph g;
static int threads[NT], locks[NT];	/* their addresses are the nodes */

static const void *t_of(int i)
{
	return i < 0 ? NULL : &threads[i];
}

static const void *l_of(int i)
{
	return i < 0 ? NULL : &locks[i];
}

static const void *g_owner(const void *lock)
{
	return t_of(g.owner[(const int *)lock - locks]);
}

static const void *g_waits(const void *thread)
{
	return l_of(g.waits[(const int *)thread - threads]);
}

static const struct mpt_cycle_ops g_ops = {
	.owner = g_owner,
	.waits = g_waits,
};

/* Would thread @me waiting for lock @lock close a cycle?  @max steps kept. */
static int find(int me, int lock, struct mpt_cycle_step *p, int max,
		int limit)
{
	return mpt_cycle_find(&g_ops, t_of(me), l_of(lock), p, max, limit);
}

static void graph_reset(void)
{
	int i;

	for (i = 0; i < NT; i++) {
		g.waits[i] = -1;
		g.owner[i] = -1;
	}
}

/* Thread 0 holds lock 0; it asks for it again: a cycle of one. */
static void cycle_test_self(struct kunit *test)
{
	struct mpt_cycle_step p[4];

	graph_reset();
	g.owner[0] = 0;
	KUNIT_EXPECT_EQ(test, 1, find(0, 0, p, 4, 100));
	KUNIT_EXPECT_PTR_EQ(test, t_of(0), p[0].thread);
	KUNIT_EXPECT_PTR_EQ(test, l_of(0), p[0].lock);
}

/* ABBA: 1 holds B and waits for A; 0 holds A and asks for B. */
static void cycle_test_abba(struct kunit *test)
{
	struct mpt_cycle_step p[4];

	graph_reset();
	g.owner[0] = 0;		/* A by 0 */
	g.owner[1] = 1;		/* B by 1 */
	g.waits[1] = 0;		/* 1 waits for A */
	KUNIT_ASSERT_EQ(test, 2, find(0, 1, p, 4, 100));
	KUNIT_EXPECT_PTR_EQ(test, t_of(0), p[0].thread);
	KUNIT_EXPECT_PTR_EQ(test, l_of(1), p[0].lock);
	KUNIT_EXPECT_PTR_EQ(test, t_of(1), p[1].thread);
	KUNIT_EXPECT_PTR_EQ(test, l_of(0), p[1].lock);
}

/* A ring of n threads, each holding lock i and waiting for lock i+1. */
static void cycle_test_rings(struct kunit *test)
{
	struct mpt_cycle_step p[NT];
	int n, i;

	for (n = 2; n <= NT; n++) {
		graph_reset();
		for (i = 0; i < n; i++)
			g.owner[i] = i;
		for (i = 1; i < n; i++)
			g.waits[i] = (i + 1) % n;
		KUNIT_EXPECT_EQ(test, n, find(0, 1, p, NT, 100));
		/* Only as much of the path as there is room for. */
		KUNIT_EXPECT_EQ(test, n, find(0, 1, p, 1, 100));
	}
}

/* Chains that do not come back: no cycle, whatever their length. */
static void cycle_test_chains(struct kunit *test)
{
	struct mpt_cycle_step p[4];
	int i;

	graph_reset();
	KUNIT_EXPECT_EQ(test, 0, find(0, 0, p, 4, 100));	/* free */
	for (i = 1; i < NT; i++)
		g.owner[i] = i;
	for (i = 1; i < NT - 1; i++)
		g.waits[i] = i + 1;		/* 1 -> 2 -> ... -> 15 runs */
	KUNIT_EXPECT_EQ(test, 0, find(0, 1, p, 4, 100));
	g.waits[NT - 1] = 0;			/* 15 waits for a free lock */
	KUNIT_EXPECT_EQ(test, 0, find(0, 1, p, 4, 100));
	g.owner[0] = 5;				/* ... held inside the chain */
	KUNIT_EXPECT_EQ(test, 0, find(0, 1, p, 4, 100));
}

/* A cycle that does not pass through the caller ends at @limit. */
static void cycle_test_limit(struct kunit *test)
{
	struct mpt_cycle_step p[4];

	graph_reset();
	g.owner[1] = 1;
	g.owner[2] = 2;
	g.waits[1] = 2;
	g.waits[2] = 1;
	KUNIT_EXPECT_EQ(test, 0, find(0, 1, p, 4, 50));
}

static struct kunit_case cycle_test_cases[] = {
	KUNIT_CASE(cycle_test_self),
	KUNIT_CASE(cycle_test_abba),
	KUNIT_CASE(cycle_test_rings),
	KUNIT_CASE(cycle_test_chains),
	KUNIT_CASE(cycle_test_limit),
	{}
};

static struct kunit_suite cycle_test_suite = {
	.name = "mptrace_cycle",
	.test_cases = cycle_test_cases,
};

kunit_test_suite(cycle_test_suite);
