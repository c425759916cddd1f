// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite grpsec_batch: the batch builder's layout and its limits.
 */
#include <kunit/test.h>

#include "../batch.c"

static void batch_layout(struct kunit *test)
{
	static const u8 inner[28] = { [0] = 0xaa, [27] = 0xbb };
	struct grpsec_batch_item it = {
		.mode = GRPSEC_MODE_IDENTIFIED, .suite = 3, .group = 0x01020304,
		.epoch = 5, .member = 0x0a0b0c0d, .inner = inner,
		.inner_len = sizeof(inner),
	};
	static const u8 want_hdr[20] = {
		2, 2, 1, 0, 0, 0, 0, 9,
		0, 0, 0, 0, 0, 0, 0x10, 0x20, 0, 2, 0, 0,
	};
	static const u8 want_entry[16] = {
		1, 3, 0, 28, 1, 2, 3, 4, 0, 0, 0, 5, 0x0a, 0x0b, 0x0c, 0x0d,
	};
	struct grpsec_batch b;
	u8 buf[256], aad[256];

	grpsec_batch_init(&b, buf, aad, sizeof(buf), 8);
	KUNIT_ASSERT_EQ(test, grpsec_batch_add(&b, &it), 0);
	it.mode = GRPSEC_MODE_ANONYMOUS;
	it.member = 0;
	KUNIT_ASSERT_EQ(test, grpsec_batch_add(&b, &it), 0);
	KUNIT_ASSERT_EQ(test, grpsec_batch_finish(&b, 1, 9, 0x1020), 20U + 2 * 44);
	KUNIT_EXPECT_MEMEQ(test, buf, want_hdr, sizeof(want_hdr));
	KUNIT_EXPECT_MEMEQ(test, buf + 20, want_entry, sizeof(want_entry));
	KUNIT_EXPECT_MEMEQ(test, buf + 36, inner, sizeof(inner));
	/* The anonymous entry carries no member id. */
	KUNIT_EXPECT_EQ(test, buf[64], 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_be32(buf + 64 + 12), 0U);
	/* Both entries are 16 + 28 bytes: the tag covers the whole batch. */
	KUNIT_EXPECT_EQ(test, b.aad_len, 20U + 2 * 44);
	KUNIT_EXPECT_PTR_EQ(test, grpsec_batch_aad(&b), (u8 *)aad);
	KUNIT_EXPECT_MEMEQ(test, aad, buf, b.aad_len);
}

/*
 * The tag covers an identified entry's header, nonce and inner tag, and
 * an anonymous entry whole (frames.rst, "Batch").
 */
static void batch_aad(struct kunit *test)
{
	u8 inner[28 + 10];
	struct grpsec_batch_item it = {
		.mode = GRPSEC_MODE_IDENTIFIED, .suite = 1, .group = 7,
		.epoch = 1, .member = 3, .inner = inner,
		.inner_len = sizeof(inner),
	};
	struct grpsec_batch b;
	u8 buf[512], aad[512];
	u32 i;

	for (i = 0; i < sizeof(inner); i++)
		inner[i] = i;
	/* Anonymous entries only: the batch itself, nothing copied. */
	it.mode = GRPSEC_MODE_ANONYMOUS;
	it.member = 0;
	grpsec_batch_init(&b, buf, aad, sizeof(buf), 8);
	memset(aad, 0, sizeof(aad));
	KUNIT_ASSERT_EQ(test, grpsec_batch_add(&b, &it), 0);
	KUNIT_ASSERT_EQ(test, grpsec_batch_add(&b, &it), 0);
	KUNIT_ASSERT_EQ(test, grpsec_batch_finish(&b, 1, 9, 1), 20U + 2 * 54);
	KUNIT_EXPECT_EQ(test, b.aad_len, 20U + 2 * 54);
	KUNIT_EXPECT_PTR_EQ(test, grpsec_batch_aad(&b), (u8 *)buf);
	KUNIT_EXPECT_EQ(test, aad[0], 0);

	/* Identified, anonymous, identified: gathered apart. */
	it.mode = GRPSEC_MODE_IDENTIFIED;
	it.member = 3;
	grpsec_batch_init(&b, buf, aad, sizeof(buf), 8);
	KUNIT_ASSERT_EQ(test, grpsec_batch_add(&b, &it), 0);
	it.mode = GRPSEC_MODE_ANONYMOUS;
	it.member = 0;
	KUNIT_ASSERT_EQ(test, grpsec_batch_add(&b, &it), 0);
	it.mode = GRPSEC_MODE_IDENTIFIED;
	it.member = 4;
	KUNIT_ASSERT_EQ(test, grpsec_batch_add(&b, &it), 0);
	KUNIT_ASSERT_EQ(test, grpsec_batch_finish(&b, 1, 9, 1), 20U + 3 * 54);
	KUNIT_ASSERT_EQ(test, b.aad_len, 20U + 44 + 54 + 44);
	KUNIT_EXPECT_PTR_EQ(test, grpsec_batch_aad(&b), (u8 *)aad);
	KUNIT_EXPECT_MEMEQ(test, aad, buf, 20 + 44);
	KUNIT_EXPECT_MEMEQ(test, aad + 64, buf + 74, 54);
	KUNIT_EXPECT_MEMEQ(test, aad + 118, buf + 128, 44);

	/* Anonymous first: what it covered moves over with the first identified. */
	it.mode = GRPSEC_MODE_ANONYMOUS;
	it.member = 0;
	grpsec_batch_init(&b, buf, aad, sizeof(buf), 8);
	memset(aad, 0, sizeof(aad));
	KUNIT_ASSERT_EQ(test, grpsec_batch_add(&b, &it), 0);
	it.mode = GRPSEC_MODE_IDENTIFIED;
	it.member = 4;
	KUNIT_ASSERT_EQ(test, grpsec_batch_add(&b, &it), 0);
	KUNIT_ASSERT_EQ(test, grpsec_batch_finish(&b, 1, 9, 1), 20U + 2 * 54);
	KUNIT_ASSERT_EQ(test, b.aad_len, 20U + 54 + 44);
	KUNIT_EXPECT_PTR_EQ(test, grpsec_batch_aad(&b), (u8 *)aad);
	KUNIT_EXPECT_MEMEQ(test, aad, buf, 20 + 54 + 44);
	/* The tag's room follows, in either buffer. */
	KUNIT_EXPECT_LE(test, b.aad_len + GRPSEC_TAG_LEN, (u32)sizeof(aad));
}

static void batch_count_limit(struct kunit *test)
{
	static const u8 inner[28];
	struct grpsec_batch_item it = { .inner = inner, .inner_len = 28 };
	struct grpsec_batch b;
	u8 buf[512], aad[512];
	int i;

	grpsec_batch_init(&b, buf, aad, sizeof(buf), 3);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, grpsec_batch_add(&b, &it), 0);
	KUNIT_EXPECT_FALSE(test, grpsec_batch_fits(&b, 28));
	KUNIT_EXPECT_EQ(test, grpsec_batch_add(&b, &it), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, b.count, 3);
}

static void batch_size_limit(struct kunit *test)
{
	static const u8 inner[100];
	struct grpsec_batch_item it = { .inner = inner, .inner_len = 100 };
	struct grpsec_batch b;
	/* Header, two entries and the tag fit exactly. */
	u8 buf[20 + 2 * 116 + 16], aad[sizeof(buf)];

	grpsec_batch_init(&b, buf, aad, sizeof(buf), 255);
	KUNIT_EXPECT_EQ(test, grpsec_batch_add(&b, &it), 0);
	KUNIT_EXPECT_EQ(test, grpsec_batch_add(&b, &it), 0);
	KUNIT_EXPECT_EQ(test, b.len + GRPSEC_TAG_LEN, (u32)sizeof(buf));
	KUNIT_EXPECT_EQ(test, grpsec_batch_add(&b, &it), -EMSGSIZE);
	it.inner_len = 0;
	KUNIT_EXPECT_FALSE(test, grpsec_batch_fits(&b, 0));
}

static struct kunit_case batch_test_cases[] = {
	KUNIT_CASE(batch_layout),
	KUNIT_CASE(batch_aad),
	KUNIT_CASE(batch_count_limit),
	KUNIT_CASE(batch_size_limit),
	{}
};

static struct kunit_suite batch_suite = {
	.name = "grpsec_batch",
	.test_cases = batch_test_cases,
};

kunit_test_suites(&batch_suite);
