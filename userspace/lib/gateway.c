// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Gateway-side reference: outer tag check, inner open and batch sealing.
 * The kernel module does the same in its data path; this copy serves the
 * tests, the vector generator and the simulators (a malicious gateway
 * included).
 */
#include <errno.h>

#include "internal.h"

int grpsec_uplink_verify(const struct grpsec_uplink *u, const uint8_t *member_key)
{
	uint8_t nonce[GRPSEC_NONCE_LEN];

	if (!u || !member_key || !u->frame || u->frame_len < GRPSEC_UPLINK_MIN_LEN)
		return -EINVAL;
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_UPLINK, u->seq);
	return grpsec_aead_open_once(u->suite, member_key, nonce, u->frame,
				     u->frame_len - GRPSEC_TAG_LEN, NULL, 0,
				     u->outer_tag, NULL);
}

int grpsec_inner_open(unsigned int mode, unsigned int suite, uint32_t group,
		      uint32_t epoch, uint32_t member, const uint8_t *key,
		      const uint8_t *inner, size_t inner_len,
		      uint8_t *out, size_t *out_len)
{
	uint8_t aad[GRPSEC_INNER_AAD_LEN];
	size_t n;
	int err;

	if (!key || !inner || !out || !out_len || !grpsec_mode_name(mode) ||
	    !grpsec_suite_key_len(suite))
		return -EINVAL;
	if (inner_len < GRPSEC_INNER_MIN_LEN || inner_len > GRPSEC_INNER_MAX_LEN)
		return -EMSGSIZE;
	n = inner_len - GRPSEC_INNER_OVERHEAD;
	grpsec_inner_aad(aad, GRPSEC_DIR_UPLINK, suite, mode, group, epoch,
			 mode == GRPSEC_MODE_IDENTIFIED ? member : 0);
	err = grpsec_aead_open_once(suite, key, inner, aad, sizeof(aad),
				    inner + GRPSEC_NONCE_LEN, n,
				    inner + GRPSEC_NONCE_LEN + n, out);
	if (err)
		return err;
	*out_len = n;
	return 0;
}

int grpsec_batch_seal(struct grpsec_batch_builder *b, uint64_t seq,
		      const uint8_t *upstream_key, size_t *out_len)
{
	uint8_t nonce[GRPSEC_NONCE_LEN];
	int err;

	if (!b || !b->buf || !upstream_key || !out_len || !b->count)
		return -EINVAL;
	if (b->size - b->len < GRPSEC_TAG_LEN)
		return -EMSGSIZE;
	put_be64(b->buf + 8, seq);
	put_be16(b->buf + 16, b->count);
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_BATCH, seq);
	err = grpsec_aead_seal_once(b->suite, upstream_key, nonce, b->buf, b->len,
				    NULL, 0, NULL, b->buf + b->len);
	if (err)
		return err;
	*out_len = b->len + GRPSEC_TAG_LEN;
	return 0;
}
