// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite grpsec_replay: the edge cases of WireGuard's counter
 * selftest, replayed against our window size.
 */
#include <kunit/test.h>

#include "../replay.c"

#define W GRPSEC_REPLAY_WINDOW
#define B GRPSEC_REPLAY_BITS

struct step {
	u64 seq;
	bool accept;
};

/* Applied in order to one fresh window. */
static const struct step steps[] = {
	{ 0, false },		/* never issued */
	{ 1, true },
	{ 1, false },
	{ 9, true },
	{ 8, true },
	{ 7, true },
	{ 7, false },
	{ W + 1, true },
	{ 1, false },		/* still inside, already seen */
	{ 2, true },		/* just inside the window */
	{ W + 2, true },
	{ 2, false },
	{ W + 3, true },
	{ 2, false },		/* now too old */
	{ 3, true },		/* oldest still inside */
	{ 2 * W, true },
	{ W - 1, false },	/* too old */
	{ W, true },		/* oldest inside, never seen */
	{ W + 1, false },	/* inside, seen before */
	{ 2 * W - 1, true },
	{ 2 * W - 1, false },
	{ B * 10, true },	/* far jump clears the map */
	{ B * 10 - W, true },
	{ B * 10 - W - 1, false },
	{ B * 10 - 1, true },
	{ B * 10 + 1, true },
	{ B * 10 + 1, false },
	{ U64_MAX, true },
	{ U64_MAX, false },
	{ U64_MAX - 1, true },
};

static void replay_sequence(struct kunit *test)
{
	struct grpsec_replay r;
	int i;

	grpsec_replay_init(&r);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		bool seen = grpsec_replay_seen(&r, steps[i].seq);

		KUNIT_EXPECT_EQ_MSG(test, seen, !steps[i].accept,
				    "step %d seq %llu (seen)", i, steps[i].seq);
		KUNIT_EXPECT_EQ_MSG(test,
				    grpsec_replay_accept(&r, steps[i].seq),
				    steps[i].accept, "step %d seq %llu", i,
				    steps[i].seq);
	}
}

/* Every order of a window's worth of numbers is accepted exactly once. */
static void replay_reverse_order(struct kunit *test)
{
	struct grpsec_replay r;
	u64 seq;

	grpsec_replay_init(&r);
	KUNIT_EXPECT_TRUE(test, grpsec_replay_accept(&r, W + 1));
	for (seq = W; seq >= 1; seq--)
		KUNIT_EXPECT_TRUE(test, grpsec_replay_accept(&r, seq));
	for (seq = 1; seq <= W + 1; seq++)
		KUNIT_EXPECT_FALSE(test, grpsec_replay_accept(&r, seq));
}

/* Moving forward word by word keeps the bits still inside the window. */
static void replay_slide(struct kunit *test)
{
	struct grpsec_replay r;
	u64 seq;

	grpsec_replay_init(&r);
	for (seq = 1; seq <= 4 * B; seq += 2)
		KUNIT_ASSERT_TRUE(test, grpsec_replay_accept(&r, seq));
	for (seq = 4 * B - W + 1; seq <= 4 * B; seq++)
		KUNIT_EXPECT_EQ(test, grpsec_replay_accept(&r, seq),
				!(seq & 1));
}

/* A floor refuses what it covers and nothing above, wherever it falls. */
static void replay_floor(struct kunit *test)
{
	static const u64 floors[] = { 0, 1, 63, 64, 65, 1000, 5000 };
	struct grpsec_replay r;
	u64 f, seq;
	int i;

	for (i = 0; i < ARRAY_SIZE(floors); i++) {
		f = floors[i];
		grpsec_replay_init_floor(&r, f);
		for (seq = f > 1100 ? f - 1100 : 1; seq <= f; seq++)
			KUNIT_EXPECT_TRUE(test, grpsec_replay_seen(&r, seq));
		for (seq = f + 1; seq <= f + 200; seq += 3)
			KUNIT_EXPECT_FALSE(test, grpsec_replay_seen(&r, seq));
		for (seq = f + 200; seq > f; seq--)
			KUNIT_EXPECT_TRUE(test, grpsec_replay_accept(&r, seq));
		for (seq = f > 100 ? f - 100 : 1; seq <= f + 200; seq++)
			KUNIT_EXPECT_FALSE(test, grpsec_replay_accept(&r, seq));
	}
}

/*
 * Raising the floor of a window in use: below the top, what it covers is
 * refused and what was not seen above it still passes; above the top, it
 * is a fresh floor.  A lower floor changes nothing.
 */
static void replay_raise(struct kunit *test)
{
	struct grpsec_replay r;
	u64 seq;

	grpsec_replay_init(&r);
	for (seq = 100; seq <= 2000; seq += 2)
		KUNIT_ASSERT_TRUE(test, grpsec_replay_accept(&r, seq));
	grpsec_replay_raise(&r, 1500);
	for (seq = 1041; seq <= 1500; seq++)
		KUNIT_EXPECT_FALSE(test, grpsec_replay_accept(&r, seq));
	for (seq = 1501; seq < 2000; seq += 2)
		KUNIT_EXPECT_TRUE(test, grpsec_replay_accept(&r, seq));
	grpsec_replay_raise(&r, 10);
	KUNIT_EXPECT_FALSE(test, grpsec_replay_accept(&r, 1999));
	grpsec_replay_raise(&r, 5000);
	for (seq = 2001; seq <= 5000; seq += 7)
		KUNIT_EXPECT_FALSE(test, grpsec_replay_accept(&r, seq));
	KUNIT_EXPECT_TRUE(test, grpsec_replay_accept(&r, 5001));
}

static struct kunit_case replay_test_cases[] = {
	KUNIT_CASE(replay_sequence),
	KUNIT_CASE(replay_reverse_order),
	KUNIT_CASE(replay_slide),
	KUNIT_CASE(replay_floor),
	KUNIT_CASE(replay_raise),
	{}
};

static struct kunit_suite replay_suite = {
	.name = "grpsec_replay",
	.test_cases = replay_test_cases,
};

kunit_test_suites(&replay_suite);
