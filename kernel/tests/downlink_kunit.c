// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite grpsec_downlink_vectors: the kernel's side of downlink,
 * command and rekey frames against libgrpsec's vectors
 * (Documentation/vectors/): it accepts the backend's downlink frames and
 * refuses changed ones, builds byte for byte the member frames libgrpsec
 * builds, and seals a gateway command body as the backend does.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/grpsec.h>

#include "../aead.h"
#include "../frame.h"
#include "../../Documentation/vectors/v2_vectors.h"

/* Scatterlists need linear memory: vectors live in module memory. */
static u8 *copy(struct kunit *test, const u8 *p, unsigned int len,
		unsigned int room)
{
	u8 *d = kunit_kzalloc(test, room, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, d);
	memcpy(d, p, len);
	return d;
}

static void dl_desc(const struct grpsec_vec_downlink *v, char *desc)
{
	strscpy(desc, v->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dl, grpsec_vec_downlinks, dl_desc);

static void vectors_downlink_accept(struct kunit *test)
{
	const struct grpsec_vec_downlink *vec = test->param_value;
	struct grpsec_downlink_frame dl;
	u8 nonce[GRPSEC_NONCE_LEN];
	struct grpsec_aead_key *k;
	u8 *buf;

	/* The gateway's own commands come from no downlink. */
	if (!vec->up_suite)
		kunit_skip(test, "gateway-originated: no downlink");
	buf = copy(test, vec->downlink, vec->downlink_len, vec->downlink_len);
	KUNIT_ASSERT_EQ(test, grpsec_downlink_parse(buf, vec->downlink_len,
						    &dl), 0);
	KUNIT_EXPECT_EQ(test, dl.suite, vec->up_suite);
	KUNIT_EXPECT_EQ(test, dl.gateway, vec->gateway);
	KUNIT_EXPECT_EQ(test, dl.seq, vec->downlink_seq);
	KUNIT_EXPECT_EQ(test, dl.group, vec->group);
	KUNIT_EXPECT_EQ(test, dl.member, vec->recipient);
	KUNIT_EXPECT_EQ(test, dl.kind, vec->type == GRPSEC_TYPE_REKEY ?
			GRPSEC_KIND_REKEY : GRPSEC_KIND_COMMAND);
	KUNIT_EXPECT_EQ(test, dl.body_len, vec->body_len);
	KUNIT_EXPECT_MEMEQ(test, dl.body, vec->body, vec->body_len);

	k = grpsec_aead_key_create(vec->up_suite, vec->k_up,
				   grpsec_suite_keylen(vec->up_suite));
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_DOWNLINK, dl.seq);
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open_tag(k, nonce, buf,
						       dl.auth_len), 0);
	/* One bit of the body changed: the gateway refuses it. */
	buf[dl.auth_len - 1] ^= 0x01;
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open_tag(k, nonce, buf,
						       dl.auth_len), -EBADMSG);
	grpsec_aead_key_destroy(k);
}

/* Layout faults a gateway catches before spending the tag check. */
static void downlink_parse_rejects(struct kunit *test)
{
	const struct grpsec_vec_downlink *vec = &grpsec_vec_downlinks[0];
	struct grpsec_downlink_frame dl;
	unsigned int len = vec->downlink_len;
	static const struct {
		unsigned int off;
		u8 val;
	} faults[] = {
		{ 0, 1 },	/* version 1 */
		{ 0, 3 },	/* version 3 */
		{ 1, 1 },	/* type */
		{ 3, 1 },	/* flags */
		{ 24, 3 },	/* kind */
		{ 25, 1 },	/* reserved */
		{ 27, 0 },	/* body length one off (low byte) */
	};
	unsigned int i;
	u8 *buf;

	for (i = 0; i < ARRAY_SIZE(faults); i++) {
		buf = copy(test, vec->downlink, len, len);
		buf[faults[i].off] = faults[i].val;
		KUNIT_EXPECT_EQ_MSG(test, grpsec_downlink_parse(buf, len, &dl),
				    GRPSEC_A_STATS_DL_DROP_MALFORMED,
				    "byte %u", faults[i].off);
	}
	buf = copy(test, vec->downlink, len, len);
	KUNIT_EXPECT_EQ(test, grpsec_downlink_parse(buf, len - 1, &dl),
			GRPSEC_A_STATS_DL_DROP_MALFORMED);
	KUNIT_EXPECT_EQ(test, grpsec_downlink_parse(buf, 10, &dl),
			GRPSEC_A_STATS_DL_DROP_MALFORMED);
	/* Sequence 0 and group 0 are never valid. */
	memset(buf + 8, 0, 8);
	KUNIT_EXPECT_EQ(test, grpsec_downlink_parse(buf, len, &dl),
			GRPSEC_A_STATS_DL_DROP_MALFORMED);
	buf = copy(test, vec->downlink, len, len);
	memset(buf + 16, 0, 4);
	KUNIT_EXPECT_EQ(test, grpsec_downlink_parse(buf, len, &dl),
			GRPSEC_A_STATS_DL_DROP_MALFORMED);
	/* A rekey names its member. */
	vec = &grpsec_vec_downlinks[1];
	len = vec->downlink_len;
	buf = copy(test, vec->downlink, len, len);
	KUNIT_ASSERT_EQ(test, grpsec_downlink_parse(buf, len, &dl), 0);
	memset(buf + 20, 0, 4);
	KUNIT_EXPECT_EQ(test, grpsec_downlink_parse(buf, len, &dl),
			GRPSEC_A_STATS_DL_DROP_MALFORMED);
}

/*
 * The frame the fan-out builds for the vector's member: the flags it sets
 * (GROUP for a downlink to member 0, GATEWAY for its own commands) and the
 * tag under K_m[e], byte for byte.
 */
static void vectors_member_frame_produce(struct kunit *test)
{
	const struct grpsec_vec_downlink *vec = test->param_value;
	u8 *buf = kunit_kzalloc(test, GRPSEC_MFRAME_MAX, GFP_KERNEL);
	struct grpsec_mframe f = {
		.type = vec->type,
		.suite = vec->suite,
		.flags = (vec->up_suite ? 0 : GRPSEC_MFRAME_F_GATEWAY) |
			 (vec->recipient ? 0 : GRPSEC_MFRAME_F_GROUP),
		.group = vec->group,
		.member = vec->member,
		.epoch = vec->epoch,
		.seq = vec->gateway_seq,
		.body_len = vec->body_len,
	};
	u8 nonce[GRPSEC_NONCE_LEN];
	struct grpsec_aead_key *k;
	u32 len;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, f.flags, vec->flags);
	len = grpsec_mframe_build(buf, &f, vec->body);
	KUNIT_ASSERT_EQ(test, len + GRPSEC_TAG_LEN, vec->frame_len);
	k = grpsec_aead_key_create(vec->suite, vec->k_m, vec->km_len);
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_DOWNLINK, vec->gateway_seq);
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_seal_tag(k, nonce, buf, len), 0);
	KUNIT_EXPECT_MEMEQ(test, buf, vec->frame, vec->frame_len);
	grpsec_aead_key_destroy(k);
}

/*
 * A multicast command frame (frames.rst): the backend's body behind a
 * header for member 0 and epoch 0 with flag bit 1, and no tag.  Built as
 * the gateway builds it from the command vector's body, it is byte for
 * byte the multicast vector.
 */
static void multicast_frame_layout(struct kunit *test)
{
	const struct grpsec_vec_multicast *vec = &grpsec_vec_multicasts[0];
	const struct grpsec_vec_downlink *cmd =
		&grpsec_vec_downlinks[vec->command];
	u8 *buf = kunit_kzalloc(test, GRPSEC_MFRAME_MAX, GFP_KERNEL);
	struct grpsec_mframe f = {
		.type = GRPSEC_TYPE_COMMAND,
		.suite = cmd->suite,
		.flags = GRPSEC_MFRAME_F_MULTICAST | GRPSEC_MFRAME_F_GROUP,
		.group = cmd->group,
		.seq = vec->gateway_seq,
		.body_len = cmd->body_len,
	};
	u32 len;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, cmd->type, GRPSEC_TYPE_COMMAND);
	KUNIT_EXPECT_EQ(test, cmd->recipient, 0);
	KUNIT_EXPECT_EQ(test, vec->flags,
			GRPSEC_MFRAME_F_MULTICAST | GRPSEC_MFRAME_F_GROUP);
	len = grpsec_mframe_build(buf, &f, cmd->body);
	KUNIT_ASSERT_EQ(test, len, vec->frame_len);
	KUNIT_EXPECT_MEMEQ(test, buf, vec->frame, vec->frame_len);
}

/*
 * A command body sealed by the gateway (terminate mode, GRPSEC_CMD_SEND):
 * the layout, the AAD binding group, recipient, epoch and sequence, and
 * the seal, byte for byte the gateway-originated vectors; the signed ones
 * share all of it up to the signature.
 */
static void vectors_command_body_produce(struct kunit *test)
{
	const struct grpsec_vec_downlink *vec = test->param_value;
	unsigned int n = vec->plaintext_len;
	u8 *buf = kunit_kzalloc(test, GRPSEC_CMD_AAD_LEN + GRPSEC_CMD_BODY_HDR +
				n + GRPSEC_TAG_LEN, GFP_KERNEL);
	u8 *body = buf + GRPSEC_CMD_AAD_LEN;
	struct grpsec_mframe f = {
		.suite = vec->suite,
		.group = vec->group,
		.member = vec->recipient,
		.epoch = vec->body_epoch,
		.seq = vec->seq,
	};
	u8 nonce[GRPSEC_NONCE_LEN];
	struct grpsec_aead_key *k;

	if (vec->type != GRPSEC_TYPE_COMMAND)
		kunit_skip(test, "not a command");
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memcpy(nonce, vec->body + 12, sizeof(nonce));
	grpsec_command_layout(buf, &f, vec->mode, nonce, vec->plaintext, n);
	k = grpsec_aead_key_create(vec->suite, vec->key, vec->key_len);
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_seal(k, nonce, buf,
						   GRPSEC_CMD_AAD_LEN,
						   body + GRPSEC_CMD_BODY_HDR,
						   n), 0);
	KUNIT_EXPECT_MEMEQ(test, body, vec->body,
			   GRPSEC_CMD_BODY_HDR + n + GRPSEC_TAG_LEN);

	/* And opens it again; another recipient or group does not. */
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open(k, nonce, buf,
						   GRPSEC_CMD_AAD_LEN,
						   body + GRPSEC_CMD_BODY_HDR,
						   n + GRPSEC_TAG_LEN), 0);
	KUNIT_EXPECT_MEMEQ(test, body + GRPSEC_CMD_BODY_HDR, vec->plaintext, n);
	memcpy(body + GRPSEC_CMD_BODY_HDR, vec->body + GRPSEC_CMD_BODY_HDR,
	       n + GRPSEC_TAG_LEN);
	buf[15] ^= 0x01;	/* the recipient's low byte */
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open(k, nonce, buf,
						   GRPSEC_CMD_AAD_LEN,
						   body + GRPSEC_CMD_BODY_HDR,
						   n + GRPSEC_TAG_LEN), -EBADMSG);
	buf[15] ^= 0x01;
	buf[7] ^= 0x01;		/* the group's */
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open(k, nonce, buf,
						   GRPSEC_CMD_AAD_LEN,
						   body + GRPSEC_CMD_BODY_HDR,
						   n + GRPSEC_TAG_LEN), -EBADMSG);
	grpsec_aead_key_destroy(k);
}

/*
 * Terminate mode's delivery datagram: the uplink's header fields in the
 * delivery header, then the inner part opened as grpsec_terminate_deliver()
 * opens it (K_G[e], the inner AAD with member id 0).
 */
static void vectors_deliver_layout(struct kunit *test)
{
	const struct grpsec_vec_deliver *vec = &grpsec_vec_delivers[0];
	const struct grpsec_vec_uplink *up = &grpsec_vec_uplinks[vec->uplink];
	u32 n = up->payload_len;
	u8 *inner = copy(test, up->frame + sizeof(struct grpsec_uplink_hdr),
			 GRPSEC_INNER_OVERHEAD + n,
			 GRPSEC_INNER_OVERHEAD + n + GRPSEC_TAG_LEN);
	struct grpsec_deliver_hdr dh = {
		.version = GRPSEC_WIRE_VERSION,
		.type = GRPSEC_TYPE_UPLINK,
		.suite = up->suite,
		.group = htonl(up->group),
		.epoch = htonl(up->epoch),
		.member = htonl(up->member),
		.seq = cpu_to_be64(up->seq),
	};
	struct grpsec_inner_aad aad = {
		.version = GRPSEC_WIRE_VERSION,
		.direction = GRPSEC_DIR_UPLINK,
		.suite = up->suite,
		.mode = up->mode,
		.group = htonl(up->group),
		.epoch = htonl(up->epoch),
	};
	struct grpsec_aead_key *k;
	u8 *aad_buf;

	KUNIT_ASSERT_EQ(test, vec->datagram_len, sizeof(dh) + n);
	KUNIT_EXPECT_MEMEQ(test, &dh, vec->datagram, sizeof(dh));
	/* Scatterlists: the AAD in linear memory, not on the stack. */
	aad_buf = copy(test, (const u8 *)&aad, sizeof(aad), sizeof(aad));
	k = grpsec_aead_key_create(up->suite, up->k_inner, up->key_len);
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	/* Nonce, inner tag, ciphertext: the tag goes after the text. */
	memcpy(inner + GRPSEC_INNER_OVERHEAD + n, inner + GRPSEC_NONCE_LEN,
	       GRPSEC_TAG_LEN);
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open(k, inner, aad_buf,
						   sizeof(aad),
						   inner + GRPSEC_INNER_OVERHEAD,
						   n + GRPSEC_TAG_LEN), 0);
	KUNIT_EXPECT_MEMEQ(test, inner + GRPSEC_INNER_OVERHEAD,
			   vec->datagram + sizeof(dh), n);
	grpsec_aead_key_destroy(k);
}

static void dlrej_desc(const struct grpsec_vec_downlink_reject *v, char *desc)
{
	strscpy(desc, v->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dlrej, grpsec_vec_downlink_rejects, dlrej_desc);

/*
 * Downlink rejects: the parse-stage ones are malformed to the kernel's
 * parser, but for an unknown suite, which the kernel leaves to the K_up
 * check like the other verify-stage ones: not for this gateway (its id or
 * K_up suite), or a bad K_up tag.
 */
static void vectors_downlink_reject(struct kunit *test)
{
	const struct grpsec_vec_downlink_reject *r = test->param_value;
	const struct grpsec_vec_downlink *vec = &grpsec_vec_downlinks[r->downlink];
	u8 *buf = copy(test, r->frame, r->frame_len, r->frame_len);
	struct grpsec_downlink_frame dl;
	u8 nonce[GRPSEC_NONCE_LEN];
	struct grpsec_aead_key *k;
	int err;

	err = grpsec_downlink_parse(buf, r->frame_len, &dl);
	if (!r->verify && err) {
		KUNIT_EXPECT_EQ(test, err, GRPSEC_A_STATS_DL_DROP_MALFORMED);
		return;
	}
	KUNIT_ASSERT_EQ(test, err, 0);
	if (dl.gateway != vec->gateway || dl.suite != vec->up_suite) {
		KUNIT_EXPECT_EQ(test, r->expect, -EPROTO);
		return;
	}
	KUNIT_EXPECT_TRUE(test, r->verify);
	k = grpsec_aead_key_create(vec->up_suite, vec->k_up,
				   grpsec_suite_keylen(vec->up_suite));
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_DOWNLINK, dl.seq);
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open_tag(k, nonce, buf,
						       dl.auth_len), -EBADMSG);
	KUNIT_EXPECT_EQ(test, r->expect, -EBADMSG);
	grpsec_aead_key_destroy(k);
}

static void mfrej_desc(const struct grpsec_vec_member_frame_reject *v,
		       char *desc)
{
	strscpy(desc, v->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(mfrej, grpsec_vec_member_frame_rejects, mfrej_desc);

/*
 * Member-frame rejects, the kernel's side: it builds type 4/5 frames, it
 * does not parse them.  What it can check is the tag it would put on
 * them: a frame a member must refuse for its body (signature, recipient)
 * carries a good K_m[e] tag for that member, so nothing but the body's
 * binding stops it; one refused for its tag does not.
 */
static void vectors_member_frame_reject(struct kunit *test)
{
	const struct grpsec_vec_member_frame_reject *r = test->param_value;
	const struct grpsec_vec_downlink *vec = &grpsec_vec_downlinks[r->downlink];
	u8 *buf = copy(test, r->frame, r->frame_len, r->frame_len);
	const struct grpsec_mframe_hdr *hdr = (const void *)buf;
	u8 nonce[GRPSEC_NONCE_LEN];
	struct grpsec_aead_key *k;
	int want;

	if (r->stage == 0)
		kunit_skip(test, "structure: member side only");
	if (hdr->flags & GRPSEC_MFRAME_F_MULTICAST) {
		/* No tag: the body alone is what the member can refuse. */
		KUNIT_EXPECT_EQ(test, r->stage, 2);
		KUNIT_EXPECT_EQ(test, r->frame_len,
				sizeof(*hdr) + get_unaligned_be16(&hdr->body_len));
		return;
	}
	/* Not for this member: the ids say so before any key is used. */
	if (r->stage == 1 && r->expect == -EPROTO) {
		KUNIT_EXPECT_NE(test, get_unaligned_be32(&hdr->member), r->member);
		return;
	}
	want = r->stage == 1 ? -EBADMSG : 0;
	k = grpsec_aead_key_create(vec->suite, r->k_m, r->km_len);
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_DOWNLINK, get_unaligned_be64(&hdr->seq));
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open_tag(k, nonce, buf,
						       r->frame_len - GRPSEC_TAG_LEN),
			want);
	grpsec_aead_key_destroy(k);
}

static struct kunit_case downlink_cases[] = {
	KUNIT_CASE_PARAM(vectors_downlink_accept, dl_gen_params),
	KUNIT_CASE(downlink_parse_rejects),
	KUNIT_CASE_PARAM(vectors_member_frame_produce, dl_gen_params),
	KUNIT_CASE(multicast_frame_layout),
	KUNIT_CASE_PARAM(vectors_command_body_produce, dl_gen_params),
	KUNIT_CASE(vectors_deliver_layout),
	KUNIT_CASE_PARAM(vectors_downlink_reject, dlrej_gen_params),
	KUNIT_CASE_PARAM(vectors_member_frame_reject, mfrej_gen_params),
	{}
};

static struct kunit_suite downlink_suite = {
	.name = "grpsec_downlink_vectors",
	.test_cases = downlink_cases,
};

kunit_test_suites(&downlink_suite);

