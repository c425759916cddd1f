// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite grpsec_seq: the sequence counters of seq.c.  A counter with
 * a floor never reads the clock, never goes below the floor, never lowers
 * and never wraps; one without starts from the clock.
 */
#include <kunit/test.h>

#include "../seq.c"

enum seq_op { SEQ_FLOOR, SEQ_TAKE, SEQ_EMPTY, SEQ_PEEK };

struct seq_step {
	enum seq_op op;
	u64 val;	/* the floor, or the value taken or peeked */
};

struct seq_case {
	const char *name;
	struct seq_step steps[6];
	int n;
};

static const struct seq_case seq_cases[] = {
	{ "floor read back, then counted up", {
		{ SEQ_FLOOR, 1000 }, { SEQ_PEEK, 1000 }, { SEQ_TAKE, 1000 },
		{ SEQ_TAKE, 1001 }, { SEQ_PEEK, 1002 } }, 5 },
	{ "a lower floor changes nothing", {
		{ SEQ_FLOOR, 1000 }, { SEQ_TAKE, 1000 }, { SEQ_FLOOR, 5 },
		{ SEQ_TAKE, 1001 } }, 4 },
	{ "a higher floor moves it on", {
		{ SEQ_FLOOR, 10 }, { SEQ_TAKE, 10 }, { SEQ_FLOOR, 500 },
		{ SEQ_TAKE, 500 } }, 4 },
	{ "below the clock: the floor, not the clock", {
		{ SEQ_FLOOR, 1 }, { SEQ_TAKE, 1 }, { SEQ_TAKE, 2 } }, 3 },
	{ "never wraps", {
		{ SEQ_FLOOR, U64_MAX - 2 }, { SEQ_TAKE, U64_MAX - 2 },
		{ SEQ_TAKE, U64_MAX - 1 }, { SEQ_EMPTY, 0 }, { SEQ_EMPTY, 0 },
		{ SEQ_PEEK, U64_MAX } }, 6 },
};

static void seq_case_desc(const struct seq_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(seq, seq_cases, seq_case_desc);

static void seq_steps(struct kunit *test)
{
	const struct seq_case *c = test->param_value;
	struct grpsec_seq s;
	u64 v;
	int i;

	grpsec_seq_init(&s);
	for (i = 0; i < c->n; i++) {
		const struct seq_step *st = &c->steps[i];

		switch (st->op) {
		case SEQ_FLOOR:
			grpsec_seq_set_floor(&s, st->val);
			break;
		case SEQ_TAKE:
			KUNIT_ASSERT_TRUE_MSG(test, grpsec_seq_take(&s, &v),
					      "step %d", i);
			KUNIT_EXPECT_EQ_MSG(test, v, st->val, "step %d", i);
			break;
		case SEQ_EMPTY:
			KUNIT_EXPECT_FALSE_MSG(test, grpsec_seq_take(&s, &v),
					       "step %d", i);
			break;
		case SEQ_PEEK:
			KUNIT_EXPECT_EQ_MSG(test, grpsec_seq_peek(&s), st->val,
					    "step %d", i);
			break;
		}
	}
}

/*
 * Without a floor, each value is at least the clock; given a floor below
 * the clock, the counter carries on from its last value, by one.
 */
static void seq_clock(struct kunit *test)
{
	struct grpsec_seq s;
	u64 before, a, b;

	before = ktime_get_real_ns();
	grpsec_seq_init(&s);
	KUNIT_ASSERT_TRUE(test, grpsec_seq_take(&s, &a));
	KUNIT_EXPECT_GE(test, a, before);
	/* One apart, not a clock reading apart: reordered frames stay in a window. */
	KUNIT_ASSERT_TRUE(test, grpsec_seq_take(&s, &b));
	KUNIT_EXPECT_EQ(test, b, a + 1);
	grpsec_seq_set_floor(&s, 1);
	KUNIT_ASSERT_TRUE(test, grpsec_seq_take(&s, &a));
	KUNIT_EXPECT_EQ(test, a, b + 1);
	KUNIT_ASSERT_TRUE(test, grpsec_seq_take(&s, &b));
	KUNIT_EXPECT_EQ(test, b, a + 1);
}

static struct kunit_case seq_test_cases[] = {
	KUNIT_CASE_PARAM(seq_steps, seq_gen_params),
	KUNIT_CASE(seq_clock),
	{}
};

static struct kunit_suite seq_suite = {
	.name = "grpsec_seq",
	.test_cases = seq_test_cases,
};

kunit_test_suites(&seq_suite);
