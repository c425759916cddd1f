// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite grpsec_frame: uplink header parsing, one table row per
 * drop reason and the accepted edge cases.
 */
#include <kunit/test.h>

#include "../frame.c"

/* A good header, with @n bytes at @off set to @val, parsed at @len. */
struct frame_case {
	const char *name;
	u32 len;
	u8 off, n, val;
	int reason;
};

static const struct frame_case frame_cases[] = {
	{ "empty payload", 68, 0, 0, 0, 0 },
	{ "largest payload", 68 + GRPSEC_MAX_PAYLOAD, 0, 0, 0, 0 },
	{ "one byte over", 69 + GRPSEC_MAX_PAYLOAD, 0, 0, 0,
	  GRPSEC_A_STATS_DROP_OVERSIZE },
	{ "empty datagram", 0, 0, 0, 0, GRPSEC_A_STATS_DROP_TRUNCATED },
	{ "three bytes", 3, 0, 0, 0, GRPSEC_A_STATS_DROP_TRUNCATED },
	{ "one byte short", 67, 0, 0, 0, GRPSEC_A_STATS_DROP_TRUNCATED },
	{ "version 1", 100, 0, 1, 1, GRPSEC_A_STATS_DROP_BAD_VERSION },
	{ "short and version 1", 10, 0, 1, 1, GRPSEC_A_STATS_DROP_BAD_VERSION },
	{ "version 3", 100, 0, 1, 3, GRPSEC_A_STATS_DROP_BAD_VERSION },
	{ "batch type", 100, 1, 1, GRPSEC_TYPE_BATCH,
	  GRPSEC_A_STATS_DROP_BAD_HEADER },
	{ "flag set", 100, 3, 1, 0x80, GRPSEC_A_STATS_DROP_BAD_HEADER },
	{ "suite 0", 100, 2, 1, 0, GRPSEC_A_STATS_DROP_BAD_HEADER },
	{ "suite 4", 100, 2, 1, 4, GRPSEC_A_STATS_DROP_BAD_HEADER },
	{ "group 0", 100, 4, 4, 0, GRPSEC_A_STATS_DROP_BAD_HEADER },
	{ "member 0", 100, 12, 4, 0, GRPSEC_A_STATS_DROP_BAD_HEADER },
	{ "sequence 0", 100, 16, 8, 0, GRPSEC_A_STATS_DROP_BAD_HEADER },
};

static void frame_case_desc(const struct frame_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(frame, frame_cases, frame_case_desc);

static void good_header(u8 *buf)
{
	static const u8 hdr[] = {
		2, 1, 2, 0,			/* version, uplink, suite 2 */
		0x00, 0x00, 0x00, 0x07,		/* group 7 */
		0x00, 0x00, 0x00, 0x03,		/* epoch 3 */
		0x00, 0x01, 0x00, 0x02,		/* member 65538 */
		0, 0, 0, 0, 0, 0, 0x01, 0x00,	/* sequence 256 */
	};

	memcpy(buf, hdr, sizeof(hdr));
}

static void frame_parse_table(struct kunit *test)
{
	const struct frame_case *c = test->param_value;
	struct grpsec_uplink up;
	u8 *buf;

	buf = kunit_kzalloc(test, GRPSEC_UPLINK_MAX + 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	good_header(buf);
	memset(buf + c->off, c->val, c->n);
	KUNIT_EXPECT_EQ(test, grpsec_uplink_parse(buf, c->len, &up), c->reason);
}

static void frame_parse_fields(struct kunit *test)
{
	struct grpsec_uplink up;
	u8 buf[100] = { };

	good_header(buf);
	KUNIT_ASSERT_EQ(test, grpsec_uplink_parse(buf, sizeof(buf), &up), 0);
	KUNIT_EXPECT_EQ(test, up.suite, 2);
	KUNIT_EXPECT_EQ(test, up.group, 7U);
	KUNIT_EXPECT_EQ(test, up.epoch, 3U);
	KUNIT_EXPECT_EQ(test, up.member, 65538U);
	KUNIT_EXPECT_EQ(test, up.seq, 256ULL);
	KUNIT_EXPECT_PTR_EQ(test, up.inner, (const u8 *)buf + 24);
	KUNIT_EXPECT_EQ(test, up.auth_len, 84U);
	KUNIT_EXPECT_EQ(test, up.inner_len, 60U);
	/* Identified: header, nonce, inner tag; anonymous: all of it. */
	KUNIT_EXPECT_EQ(test, grpsec_uplink_outer_len(&up, GRPSEC_MODE_IDENTIFIED),
			52U);
	KUNIT_EXPECT_EQ(test, grpsec_uplink_outer_len(&up, GRPSEC_MODE_ANONYMOUS),
			84U);
}

static void frame_seq_nonce(struct kunit *test)
{
	static const u8 want[GRPSEC_NONCE_LEN] = {
		0, 0, 0, 2, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	};
	u8 nonce[GRPSEC_NONCE_LEN];

	grpsec_seq_nonce(nonce, GRPSEC_NONCE_BATCH, 0x0102030405060708ULL);
	KUNIT_EXPECT_MEMEQ(test, nonce, want, sizeof(want));
}

static struct kunit_case frame_test_cases[] = {
	KUNIT_CASE_PARAM(frame_parse_table, frame_gen_params),
	KUNIT_CASE(frame_parse_fields),
	KUNIT_CASE(frame_seq_nonce),
	{}
};

static struct kunit_suite frame_suite = {
	.name = "grpsec_frame",
	.test_cases = frame_test_cases,
};

kunit_test_suites(&frame_suite);
MODULE_LICENSE("GPL");
