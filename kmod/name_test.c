// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the names user space gives queues and locks.
 */
#include <kunit/test.h>

#include "name.c"

static void name_test_valid(struct kunit *test)
{
	static const char *const ok[] = {
		"a", "jobs", "Q-1", "a.b_c+d:e@f-g", "0", "x.",
	};
	char longest[MPT_NAME_LEN];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ok); i++)
		KUNIT_EXPECT_EQ_MSG(test, 0, mpt_name_check(ok[i]), "%s", ok[i]);
	memset(longest, 'n', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	KUNIT_EXPECT_EQ(test, 0, mpt_name_check(longest));
}

static void name_test_invalid(struct kunit *test)
{
	static const char *const bad[] = {
		"", ".", "..", ".hidden", "a/b", "/", "a b", "tab\there",
		"new\nline", "caf\xc3\xa9", "semi;colon", "star*", "q\x7f",
	};
	char unterminated[MPT_NAME_LEN];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL, mpt_name_check(bad[i]),
				    "index %zu", i);
	memset(unterminated, 'n', sizeof(unterminated));
	KUNIT_EXPECT_EQ(test, -EINVAL, mpt_name_check(unterminated));
}

/* Every byte value alone: exactly the documented set passes. */
static void name_test_each_byte(struct kunit *test)
{
	char name[2] = { 0, 0 };
	int c, passed = 0;

	for (c = 1; c < 256; c++) {
		name[0] = c;
		if (!mpt_name_check(name))
			passed++;
	}
	/* 62 letters and digits, and _ + : @ - (a lone '.' is refused) */
	KUNIT_EXPECT_EQ(test, 62 + 5, passed);
}

static struct kunit_case name_test_cases[] = {
	KUNIT_CASE(name_test_valid),
	KUNIT_CASE(name_test_invalid),
	KUNIT_CASE(name_test_each_byte),
	{}
};

static struct kunit_suite name_test_suite = {
	.name = "mptrace_name",
	.test_cases = name_test_cases,
};

kunit_test_suite(name_test_suite);
