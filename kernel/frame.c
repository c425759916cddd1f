// SPDX-License-Identifier: GPL-2.0
/*
 * Uplink frame parsing.  Pure logic on a byte buffer: no allocation, no
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
