// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite grpsec_member: key slots, the replay window behind them,
 * epoch rollover and retirement, key replacement racing a verification,
 * epoch message limits, and burst counting.
 */
#include <kunit/test.h>
#include <linux/rcupdate.h>

#include "../group.c"
#include "../member.c"

static const u8 key1[16] = { 1 }, key2[16] = { 2 }, key3[16] = { 3 };

static struct grpsec_member *new_member(struct kunit *test, u64 limit)
{
	struct grpsec_group_cfg cfg = {
		.id = 7, .suite = GRPSEC_SUITE_AES128_GCM, .msg_limit = limit,
	};
	struct grpsec_group *g = grpsec_group_create(&cfg);
	struct grpsec_member *m;

	KUNIT_ASSERT_FALSE(test, IS_ERR(g));
	m = grpsec_member_create(g, 9);
	grpsec_group_put(g);
	KUNIT_ASSERT_FALSE(test, IS_ERR(m));
	return m;
}

static u64 slot_id(struct grpsec_member *m, u32 epoch)
{
	struct grpsec_keyslot *s;
	u64 id = 0;

	rcu_read_lock();
	s = grpsec_member_slot(m, epoch);
	if (s)
		id = s->key_id;
	rcu_read_unlock();
	return id;
}

static const union grpsec_endpoint from = {
	.v4 = { .sin_family = AF_INET, .sin_port = 1234 },
};

static void member_slots_by_epoch(struct kunit *test)
{
	struct grpsec_member *m = new_member(test, 0);

	KUNIT_EXPECT_EQ(test, slot_id(m, 1), 0ULL);
	KUNIT_ASSERT_EQ(test, grpsec_member_set_key(m, 0, 1, key1, 16), 0);
	KUNIT_ASSERT_EQ(test, grpsec_member_set_key(m, 1, 2, key2, 16), 0);
	KUNIT_EXPECT_NE(test, slot_id(m, 1), 0ULL);
	KUNIT_EXPECT_NE(test, slot_id(m, 2), 0ULL);
	KUNIT_EXPECT_NE(test, slot_id(m, 1), slot_id(m, 2));
	KUNIT_EXPECT_EQ(test, slot_id(m, 3), 0ULL);
	grpsec_member_clear_key(m, GRPSEC_KEY_SLOT_NEXT);
	KUNIT_EXPECT_EQ(test, slot_id(m, 2), 0ULL);
	KUNIT_EXPECT_NE(test, slot_id(m, 1), 0ULL);
	grpsec_member_put(m);
}

static void member_accept_replay(struct kunit *test)
{
	struct grpsec_member *m = new_member(test, 0);
	u64 id;

	KUNIT_ASSERT_EQ(test, grpsec_member_set_key(m, 0, 1, key1, 16), 0);
	id = slot_id(m, 1);
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, id, 5, &from, NULL));
	KUNIT_EXPECT_FALSE(test, grpsec_member_accept(m, id, 5, &from, NULL));
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, id, 4, &from, NULL));
	KUNIT_EXPECT_EQ(test, m->last_seq, 5ULL);
	KUNIT_EXPECT_EQ(test, m->endpoint.v4.sin_port, (__be16)1234);

	/* The same key again (a configuration sync) keeps the window. */
	KUNIT_ASSERT_EQ(test, grpsec_member_set_key(m, 0, 1, key1, 16), 0);
	KUNIT_EXPECT_EQ(test, slot_id(m, 1), id);
	KUNIT_EXPECT_FALSE(test, grpsec_member_accept(m, id, 5, &from, NULL));

	/*
	 * A different key is a new slot: the old id is refused.  The epoch
	 * is not new, so the member's sequences so far stay closed.
	 */
	KUNIT_ASSERT_EQ(test, grpsec_member_set_key(m, 0, 1, key3, 16), 0);
	KUNIT_EXPECT_NE(test, slot_id(m, 1), id);
	KUNIT_EXPECT_FALSE(test, grpsec_member_accept(m, id, 6, &from, NULL));
	KUNIT_EXPECT_FALSE(test, grpsec_member_accept(m, slot_id(m, 1), 5, &from, NULL));
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, slot_id(m, 1), 6, &from, NULL));
	grpsec_member_put(m);
}

/*
 * A configuration sync after the kernel promoted the next key by itself
 * installs the keys again in other slots: no sequence opens again.
 */
static void member_reinstall_keeps_sequences(struct kunit *test)
{
	struct grpsec_member *m = new_member(test, 0);
	u64 id;

	KUNIT_ASSERT_EQ(test, grpsec_member_set_key(m, 0, 1, key1, 16), 0);
	KUNIT_ASSERT_EQ(test, grpsec_member_set_key(m, 1, 2, key2, 16), 0);
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, slot_id(m, 1), 5, &from, NULL));
	/* A new epoch starts empty: its members may count from anywhere. */
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, slot_id(m, 2), 3, &from, NULL));
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, slot_id(m, 2), 10, &from, NULL));

	/* Epoch 2 moves to the current slot: its window goes along. */
	KUNIT_ASSERT_EQ(test, grpsec_member_set_key(m, 0, 2, key2, 16), 0);
	KUNIT_ASSERT_TRUE(test, rcu_access_pointer(m->slot[0])->epoch == 2);
	id = rcu_access_pointer(m->slot[0])->key_id;
	KUNIT_EXPECT_FALSE(test, grpsec_member_accept(m, id, 3, &from, NULL));
	KUNIT_EXPECT_FALSE(test, grpsec_member_accept(m, id, 10, &from, NULL));
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, id, 7, &from, NULL));
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, id, 11, &from, NULL));

	/* Epoch 1 again, retired meanwhile: nothing up to 11 opens. */
	KUNIT_ASSERT_EQ(test, grpsec_member_set_key(m, 1, 1, key1, 16), 0);
	id = slot_id(m, 1);
	KUNIT_EXPECT_FALSE(test, grpsec_member_accept(m, id, 5, &from, NULL));
	KUNIT_EXPECT_FALSE(test, grpsec_member_accept(m, id, 4, &from, NULL));
	KUNIT_EXPECT_FALSE(test, grpsec_member_accept(m, id, 11, &from, NULL));
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, id, 12, &from, NULL));
	grpsec_member_put(m);
}

static void member_rollover(struct kunit *test)
{
	struct grpsec_member *m = new_member(test, 0);
	bool rolled = true;
	u64 id1, id2;

	KUNIT_ASSERT_EQ(test, grpsec_member_set_key(m, 0, 1, key1, 16), 0);
	KUNIT_ASSERT_EQ(test, grpsec_member_set_key(m, 1, 2, key2, 16), 0);
	id1 = slot_id(m, 1);
	id2 = slot_id(m, 2);

	/* Both epochs are accepted while the rollover runs. */
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, id2, 1, &from, &rolled));
	KUNIT_EXPECT_FALSE(test, rolled);
	KUNIT_EXPECT_NE(test, m->rollover_since, 0UL);
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, id1, 100, &from, NULL));
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, id2, 2, &from, &rolled));
	KUNIT_EXPECT_FALSE(test, rolled);
	KUNIT_EXPECT_EQ(test, slot_id(m, 1), id1);

	/* Past the grace period, the next frame retires epoch 1. */
	m->rollover_since = jiffies - GRPSEC_ROLLOVER_GRACE - 1;
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, id2, 3, &from, &rolled));
	KUNIT_EXPECT_TRUE(test, rolled);
	KUNIT_EXPECT_EQ(test, slot_id(m, 1), 0ULL);
	KUNIT_EXPECT_EQ(test, slot_id(m, 2), id2);
	KUNIT_EXPECT_EQ(test, m->rollover_since, 0UL);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(m->slot[1]));
	/* The window moved with the key: old sequences stay refused. */
	KUNIT_EXPECT_FALSE(test, grpsec_member_accept(m, id2, 2, &from, NULL));
	KUNIT_EXPECT_FALSE(test, grpsec_member_accept(m, id1, 101, &from, NULL));
	grpsec_member_put(m);
}

/*
 * The fan-out's key (frames.rst, "Rollover"): the current slot's until the
 * member's first verified frame under the next one, then the next one's,
 * and a late frame under the old epoch does not switch it back.
 */
static void member_tx_key_rollover(struct kunit *test)
{
	struct grpsec_member *m = new_member(test, 0);
	union grpsec_endpoint to;
	u8 key[GRPSEC_KEY_MAX];
	u32 epoch = 0;
	u64 id1, id2;

	KUNIT_ASSERT_EQ(test, grpsec_member_set_key(m, 0, 1, key1, 16), 0);
	KUNIT_EXPECT_FALSE(test, grpsec_member_tx_key(m, key, &epoch, &to));
	id1 = slot_id(m, 1);
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, id1, 1, &from, NULL));
	KUNIT_ASSERT_EQ(test, grpsec_member_set_key(m, 1, 2, key2, 16), 0);
	id2 = slot_id(m, 2);

	/* Epoch 2 installed, the member still sends under 1: K_m[1]. */
	KUNIT_EXPECT_TRUE(test, grpsec_member_tx_key(m, key, &epoch, &to));
	KUNIT_EXPECT_EQ(test, epoch, 1U);
	KUNIT_EXPECT_MEMEQ(test, key, key1, sizeof(key1));
	KUNIT_EXPECT_EQ(test, to.v4.sin_port, from.v4.sin_port);

	/* Its first frame under 2: K_m[2], also after a late one under 1. */
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, id2, 2, &from, NULL));
	KUNIT_EXPECT_TRUE(test, grpsec_member_tx_key(m, key, &epoch, &to));
	KUNIT_EXPECT_EQ(test, epoch, 2U);
	KUNIT_EXPECT_MEMEQ(test, key, key2, sizeof(key2));
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, id1, 3, &from, NULL));
	KUNIT_EXPECT_TRUE(test, grpsec_member_tx_key(m, key, &epoch, &to));
	KUNIT_EXPECT_EQ(test, epoch, 2U);

	/* Epoch 1 retired: the one key left. */
	m->rollover_since = jiffies - GRPSEC_ROLLOVER_GRACE - 1;
	KUNIT_EXPECT_TRUE(test, grpsec_member_accept(m, id2, 4, &from, NULL));
	KUNIT_EXPECT_EQ(test, slot_id(m, 1), 0ULL);
	KUNIT_EXPECT_TRUE(test, grpsec_member_tx_key(m, key, &epoch, &to));
	KUNIT_EXPECT_EQ(test, epoch, 2U);
	KUNIT_EXPECT_MEMEQ(test, key, key2, sizeof(key2));
	memzero_explicit(key, sizeof(key));
	grpsec_member_put(m);
}

static void member_epoch_limit(struct kunit *test)
{
	struct grpsec_member *m = new_member(test, 20);
	struct grpsec_group *g = m->group;
	int i, warned = 0;
	bool warn;

	KUNIT_EXPECT_EQ(test, grpsec_group_use(g, 1, &warn), 1ULL);
	KUNIT_EXPECT_FALSE(test, warn);
	KUNIT_EXPECT_EQ(test, grpsec_group_use(g, 2, &warn), 1ULL);
	/* 90% of 20 is 18: one warning, at message 18 of epoch 1. */
	for (i = 2; i <= 21; i++) {
		u64 used = grpsec_group_use(g, 1, &warn);

		KUNIT_EXPECT_EQ(test, used, (u64)i);
		KUNIT_EXPECT_EQ(test, warn, i == 18);
		warned += warn;
	}
	KUNIT_EXPECT_EQ(test, warned, 1);
	KUNIT_EXPECT_GT(test, grpsec_group_use(g, 1, &warn), g->msg_limit);
	/*
	 * Three live epochs (a member that slept through a rollover) keep
	 * their counts, taking turns; a fifth epoch takes the oldest's place
	 * and starts at 1.
	 */
	KUNIT_EXPECT_EQ(test, grpsec_group_use(g, 3, &warn), 1ULL);
	KUNIT_EXPECT_EQ(test, grpsec_group_use(g, 2, &warn), 2ULL);
	KUNIT_EXPECT_EQ(test, grpsec_group_use(g, 1, &warn), 23ULL);
	KUNIT_EXPECT_EQ(test, grpsec_group_use(g, 3, &warn), 2ULL);
	KUNIT_EXPECT_EQ(test, grpsec_group_use(g, 4, &warn), 1ULL);
	KUNIT_EXPECT_EQ(test, grpsec_group_use(g, 5, &warn), 1ULL);
	KUNIT_EXPECT_EQ(test, grpsec_group_use(g, 2, &warn), 3ULL);
	KUNIT_EXPECT_EQ(test, grpsec_group_use(g, 1, &warn), 1ULL);
	/* A limit lowered below what was used warns at the next message. */
	WRITE_ONCE(g->msg_limit, 1);
	grpsec_group_use(g, 2, &warn);
	KUNIT_EXPECT_TRUE(test, warn);
	grpsec_member_put(m);
}

static void member_burst_threshold(struct kunit *test)
{
	struct grpsec_member *m = new_member(test, 0);
	int i;

	for (i = 1; i < GRPSEC_BURST_THRESHOLD; i++)
		KUNIT_EXPECT_EQ(test, grpsec_member_burst(m, false), 0U);
	KUNIT_EXPECT_EQ(test, grpsec_member_burst(m, false),
			(u32)GRPSEC_BURST_THRESHOLD);
	KUNIT_EXPECT_EQ(test, grpsec_member_burst(m, false), 0U);
	/* The count saturates: the event is not raised again in the window. */
	for (i = 0; i < 70000; i++)
		KUNIT_EXPECT_EQ(test, grpsec_member_burst(m, false), 0U);
	/* Replays count apart from bad tags. */
	KUNIT_EXPECT_EQ(test, grpsec_member_burst(m, true), 0U);
	grpsec_member_put(m);
}

static const union grpsec_endpoint stranger = {
	.v4 = { .sin_family = AF_INET, .sin_port = 4321 },
};

/* Only verified frames spend a member's rate; forgeries never do. */
static void member_rate_verified_only(struct kunit *test)
{
	struct grpsec_member *m = new_member(test, 0);
	bool own;
	int i;

	grpsec_member_set_endpoint(m, &from);
	/* A flood naming the member, from elsewhere: nothing is charged. */
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, grpsec_member_admit(m, 5, 3, &stranger,
							  &own), 0);
	KUNIT_EXPECT_FALSE(test, own);
	KUNIT_EXPECT_EQ(test, grpsec_member_admit(m, 5, 3, &from, &own), 0);
	KUNIT_EXPECT_TRUE(test, own);
	/* Five verified frames spend it; the sixth is refused before crypto. */
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_TRUE(test, grpsec_member_rate_ok(m, 5));
	KUNIT_EXPECT_FALSE(test, grpsec_member_rate_ok(m, 5));
	KUNIT_EXPECT_EQ(test, grpsec_member_admit(m, 5, 3, &from, &own),
			GRPSEC_A_STATS_DROP_RATE_LIMIT);
	/* The next second starts afresh. */
	m->rate_start -= 2 * HZ;
	KUNIT_EXPECT_EQ(test, grpsec_member_admit(m, 5, 3, &from, &own), 0);
	KUNIT_EXPECT_TRUE(test, grpsec_member_rate_ok(m, 0));
	grpsec_member_put(m);
}

/* Bad tags from the member's endpoint are bounded per member. */
static void member_unauth_own_endpoint(struct kunit *test)
{
	struct grpsec_member *m = new_member(test, 0);
	bool own;
	int i;

	grpsec_member_set_endpoint(m, &from);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, grpsec_member_admit(m, 0, 3, &from, &own),
				0);
		grpsec_member_unauth_fail(m);
	}
	KUNIT_EXPECT_EQ(test, grpsec_member_admit(m, 0, 3, &from, &own),
			GRPSEC_A_STATS_DROP_UNAUTH_LIMIT);
	/* Frames from elsewhere are the group's to limit, not the member's. */
	KUNIT_EXPECT_EQ(test, grpsec_member_admit(m, 0, 3, &stranger, &own), 0);
	KUNIT_EXPECT_FALSE(test, own);
	grpsec_member_put(m);
}

/* Bad tags from strangers are bounded per group, per second. */
static void group_unauth_window(struct kunit *test)
{
	struct grpsec_member *m = new_member(test, 0);
	struct grpsec_group *g = m->group;
	int i;

	KUNIT_EXPECT_EQ(test, grpsec_group_unauth_limit(g),
			(u32)GRPSEC_UNAUTH_LIMIT_DEFAULT);
	g->rate_limit = 4;
	KUNIT_EXPECT_EQ(test, grpsec_group_unauth_limit(g), 4U);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_TRUE(test, grpsec_group_unauth_ok(g, 4));
		grpsec_group_unauth_fail(g);
	}
	KUNIT_EXPECT_FALSE(test, grpsec_group_unauth_ok(g, 4));
	g->unauth_start -= 2 * HZ;
	KUNIT_EXPECT_TRUE(test, grpsec_group_unauth_ok(g, 4));
	grpsec_group_unauth_fail(g);
	KUNIT_EXPECT_EQ(test, g->unauth_count, 1U);
	grpsec_member_put(m);
}

/* A member keeps its uplink outcomes, and nothing else. */
static void member_counters(struct kunit *test)
{
	struct grpsec_member *m = new_member(test, 0);
	struct grpsec_stats st;
	int i;

	for (i = 0; i < 3; i++)
		grpsec_member_count(m, GRPSEC_A_STATS_RX_FRAMES);
	grpsec_member_count(m, GRPSEC_A_STATS_VERIFIED);
	grpsec_member_count(m, GRPSEC_A_STATS_FORWARDED);
	grpsec_member_count(m, GRPSEC_A_STATS_DROP_BAD_TAG);
	grpsec_member_count(m, GRPSEC_A_STATS_DROP_RATE_LIMIT);
	grpsec_member_count(m, GRPSEC_A_STATS_RX_BYTES);
	grpsec_member_count(m, GRPSEC_A_STATS_DELIVERED);
	grpsec_member_stats_read(m, &st);
	KUNIT_EXPECT_EQ(test, st.c[GRPSEC_A_STATS_RX_FRAMES], 3ULL);
	KUNIT_EXPECT_EQ(test, st.c[GRPSEC_A_STATS_VERIFIED], 1ULL);
	KUNIT_EXPECT_EQ(test, st.c[GRPSEC_A_STATS_FORWARDED], 1ULL);
	KUNIT_EXPECT_EQ(test, st.c[GRPSEC_A_STATS_DROP_BAD_TAG], 1ULL);
	KUNIT_EXPECT_EQ(test, st.c[GRPSEC_A_STATS_DROP_RATE_LIMIT], 1ULL);
	KUNIT_EXPECT_EQ(test, st.c[GRPSEC_A_STATS_DROP_REPLAY], 0ULL);
	KUNIT_EXPECT_EQ(test, st.c[GRPSEC_A_STATS_RX_BYTES], 0ULL);
	KUNIT_EXPECT_EQ(test, st.c[GRPSEC_A_STATS_DELIVERED], 0ULL);
	grpsec_member_put(m);
}

/* This module has its own copy of member.c, and of its caches. */
static int member_suite_init(struct kunit_suite *suite)
{
	return grpsec_member_init();
}

/* Keys and members are freed after a grace period, by this module. */
static void member_suite_exit(struct kunit_suite *suite)
{
	rcu_barrier();
	rcu_barrier();
	grpsec_member_uninit();
}

static struct kunit_case member_test_cases[] = {
	KUNIT_CASE(member_slots_by_epoch),
	KUNIT_CASE(member_accept_replay),
	KUNIT_CASE(member_reinstall_keeps_sequences),
	KUNIT_CASE(member_rollover),
	KUNIT_CASE(member_tx_key_rollover),
	KUNIT_CASE(member_epoch_limit),
	KUNIT_CASE(member_burst_threshold),
	KUNIT_CASE(member_rate_verified_only),
	KUNIT_CASE(member_unauth_own_endpoint),
	KUNIT_CASE(group_unauth_window),
	KUNIT_CASE(member_counters),
	{}
};

static struct kunit_suite member_suite = {
	.name = "grpsec_member",
	.suite_init = member_suite_init,
	.suite_exit = member_suite_exit,
	.test_cases = member_test_cases,
};

kunit_test_suites(&member_suite);
