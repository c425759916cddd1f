// SPDX-License-Identifier: GPL-2.0
/*
 * Frame parsing and layout.  Pure logic on a byte buffer: no allocation, no
 * locks, no kernel-only calls, so the same file runs under KUnit and under
 * a userspace fuzzer.
 */
#include <linux/grpsec.h>

#include "frame.h"

/**
 * grpsec_uplink_parse - check an uplink frame's header and split it
 * @buf: the frame, starting at the version byte
 * @len: its length in bytes
 * @up: filled in on success
 *
 * Return: 0, or the GRPSEC_A_STATS_DROP_* reason the frame must be
 * dropped for.  Nothing cryptographic is checked here.
 */
int grpsec_uplink_parse(const u8 *buf, size_t len, struct grpsec_uplink *up)
{
	const struct grpsec_uplink_hdr *hdr = (const void *)buf;

	/* The fixed part must be there before any field is trusted. */
	if (len < 4)
		return GRPSEC_A_STATS_DROP_TRUNCATED;
	if (hdr->version != GRPSEC_WIRE_VERSION)
		return GRPSEC_A_STATS_DROP_BAD_VERSION;
	if (hdr->type != GRPSEC_TYPE_UPLINK || hdr->flags ||
	    hdr->suite < GRPSEC_SUITE_AES128_GCM ||
	    hdr->suite > GRPSEC_SUITE_MAX)
		return GRPSEC_A_STATS_DROP_BAD_HEADER;
	if (len < GRPSEC_UPLINK_OVERHEAD)
		return GRPSEC_A_STATS_DROP_TRUNCATED;
	if (len > GRPSEC_UPLINK_MAX)
		return GRPSEC_A_STATS_DROP_OVERSIZE;

	up->suite = hdr->suite;
	up->group = get_unaligned_be32(&hdr->group);
	up->epoch = get_unaligned_be32(&hdr->epoch);
	up->member = get_unaligned_be32(&hdr->member);
	up->seq = get_unaligned_be64(&hdr->seq);
	/* Zero ids and sequence 0 are never issued; refuse them early. */
	if (!up->group || !up->member || !up->seq)
		return GRPSEC_A_STATS_DROP_BAD_HEADER;

	up->inner = buf + sizeof(*hdr);
	up->auth_len = len - GRPSEC_TAG_LEN;
	up->inner_len = up->auth_len - sizeof(*hdr);
	return 0;
}

/**
 * grpsec_uplink_outer_len - how many bytes the outer tag covers
 * @up: a parsed uplink
 * @mode: its group's mode
 *
 * An identified group's outer tag covers the header, the inner nonce and
 * the inner tag; the ciphertext is bound by the inner tag, under a key
 * that the gateway does not hold.  An anonymous group's covers
 * everything before it, ciphertext included: every member holds K_G[e],
 * and a GCM tag does not commit to its ciphertext under a known key
 * (Documentation/frames.rst, "Why version 2 covers what it covers").
 *
 * Return: the length of the outer tag's AAD, from the version byte.
 */
u32 grpsec_uplink_outer_len(const struct grpsec_uplink *up, u8 mode)
{
	return mode == GRPSEC_MODE_IDENTIFIED ? GRPSEC_UPLINK_HEAD_LEN :
						up->auth_len;
}

/**
 * grpsec_seq_nonce - build the nonce that a sequence number stands for
 * @nonce: output
 * @kind: GRPSEC_NONCE_UPLINK, _BATCH or _DOWNLINK
 * @seq: the sequence number
 */
void grpsec_seq_nonce(u8 nonce[GRPSEC_NONCE_LEN], u8 kind, u64 seq)
{
	put_unaligned_be32(kind, nonce);
	put_unaligned_be64(seq, nonce + 4);
}

/**
 * grpsec_downlink_parse - check a downlink frame's layout and split it
 * @buf: the frame, starting at the version byte
 * @len: its length in bytes
 * @dl: filled in on success
 *
 * Everything Documentation/frames.rst ("Downlink") lets a gateway check
 * before the tag: length, version, type, flags, reserved byte, kind,
 * group and sequence not 0, no rekey for member 0.  Suite and gateway id
 * are checked against the upstream association by the caller.
 *
 * Return: 0, or GRPSEC_A_STATS_DL_DROP_MALFORMED.
 */
int grpsec_downlink_parse(const u8 *buf, size_t len,
			  struct grpsec_downlink_frame *dl)
{
	const struct grpsec_downlink_hdr *hdr = (const void *)buf;

	if (len < GRPSEC_DOWNLINK_OVERHEAD)
		return GRPSEC_A_STATS_DL_DROP_MALFORMED;
	dl->suite = hdr->suite;
	dl->gateway = get_unaligned_be32(&hdr->gateway);
	dl->seq = get_unaligned_be64(&hdr->seq);
	dl->group = get_unaligned_be32(&hdr->group);
	dl->member = get_unaligned_be32(&hdr->member);
	dl->kind = hdr->kind;
	dl->body_len = get_unaligned_be16(&hdr->body_len);
	dl->body = buf + sizeof(*hdr);
	dl->auth_len = len - GRPSEC_TAG_LEN;
	if (hdr->version != GRPSEC_WIRE_VERSION ||
	    hdr->type != GRPSEC_TYPE_DOWNLINK || hdr->flags || hdr->reserved ||
	    len != GRPSEC_DOWNLINK_OVERHEAD + dl->body_len || !dl->body_len ||
	    dl->body_len > GRPSEC_BODY_MAX || !dl->seq || !dl->group ||
	    (dl->kind != GRPSEC_KIND_COMMAND && dl->kind != GRPSEC_KIND_REKEY) ||
	    (dl->kind == GRPSEC_KIND_REKEY && !dl->member))
		return GRPSEC_A_STATS_DL_DROP_MALFORMED;
	return 0;
}

/**
 * grpsec_mframe_build - lay out a command or rekey frame, tag excluded
 * @buf: room for GRPSEC_MFRAME_MAX bytes
 * @f: the header's fields
 * @body: the body, @f->body_len bytes
 *
 * Return: the number of bytes the tag covers; the tag goes right after.
 */
u32 grpsec_mframe_build(u8 *buf, const struct grpsec_mframe *f, const u8 *body)
{
	struct grpsec_mframe_hdr *hdr = (void *)buf;

	hdr->version = GRPSEC_WIRE_VERSION;
	hdr->type = f->type;
	hdr->suite = f->suite;
	hdr->flags = f->flags;
	put_unaligned_be32(f->group, &hdr->group);
	put_unaligned_be32(f->member, &hdr->member);
	put_unaligned_be32(f->epoch, &hdr->epoch);
	put_unaligned_be64(f->seq, &hdr->seq);
	put_unaligned_be16(f->body_len, &hdr->body_len);
	hdr->reserved = 0;
	memcpy(buf + sizeof(*hdr), body, f->body_len);
	return sizeof(*hdr) + f->body_len;
}

/**
 * grpsec_command_layout - an unsigned command body, ready to be sealed
 * @buf: GRPSEC_CMD_AAD_LEN bytes of AAD, then the body: epoch, sequence,
 *	nonce, @len bytes of plaintext and room for the tag
 * @f: group, recipient (@f->member, 0 for every member), epoch (of
 *	K_G), sequence and suite; the other fields are not used
 * @mode: the group's mode
 * @nonce: the body's random nonce
 * @data: the plaintext
 * @len: its length
 *
 * The caller seals the plaintext in place under K_G[epoch] with @nonce and
 * the AAD (frames.rst, "Command body"), which binds the recipient.
 */
void grpsec_command_layout(u8 *buf, const struct grpsec_mframe *f, u8 mode,
			   const u8 nonce[GRPSEC_NONCE_LEN], const u8 *data,
			   u32 len)
{
	struct grpsec_inner_aad *aad = (void *)buf;
	u8 *body = buf + GRPSEC_CMD_AAD_LEN;

	aad->version = GRPSEC_WIRE_VERSION;
	aad->direction = GRPSEC_DIR_COMMAND;
	aad->suite = f->suite;
	aad->mode = mode;
	put_unaligned_be32(f->group, &aad->group);
	put_unaligned_be32(f->epoch, &aad->epoch);
	put_unaligned_be32(f->member, &aad->member);
	put_unaligned_be64(f->seq, buf + sizeof(*aad));
	put_unaligned_be32(f->epoch, body);
	put_unaligned_be64(f->seq, body + 4);
	memcpy(body + 12, nonce, GRPSEC_NONCE_LEN);
	memcpy(body + GRPSEC_CMD_BODY_HDR, data, len);
}
