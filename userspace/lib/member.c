// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Member side: seal uplink frames.  The sequence number is reserved in
 * blocks through the caller's persistence callback before it is used, so a
 * restart skips ahead and never reuses a nonce under K_m[e] or K_e,m[e].
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct grpsec_member {
	uint32_t group;
	uint32_t member;
	uint32_t epoch;
	unsigned int mode;
	unsigned int suite;
	struct grpsec_aead outer;	/* K_m[e] */
	struct grpsec_aead inner;	/* K_G[e] or K_e,m[e] */
	uint64_t msg_limit;
	uint64_t msg_count;		/* frames sealed in this epoch */
	uint64_t next_seq;		/* 0 once the sequence space is used up */
	uint64_t reserved;		/* highest sequence reserved */
	uint32_t block;
	grpsec_seq_reserve_fn reserve;
	void *reserve_arg;
};

static int load_keys(struct grpsec_member *m, unsigned int suite,
		     const uint8_t *member_key, const uint8_t *inner_key)
{
	int err;

	err = grpsec_aead_init(&m->outer, suite, member_key, true);
	if (err)
		return err;
	err = grpsec_aead_init(&m->inner, suite, inner_key, true);
	if (err) {
		grpsec_aead_uninit(&m->outer);
		return err;
	}
	return 0;
}

int grpsec_member_new(const struct grpsec_member_config *cfg, struct grpsec_member **out)
{
	struct grpsec_member *m;
	int err;

	if (!cfg || !out || !cfg->group || !cfg->member || !cfg->member_key ||
	    !cfg->inner_key || !grpsec_suite_key_len(cfg->suite) ||
	    !grpsec_mode_name(cfg->mode) || cfg->seq_reserved == UINT64_MAX)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->group = cfg->group;
	m->member = cfg->member;
	m->epoch = cfg->epoch;
	m->mode = cfg->mode;
	m->suite = cfg->suite;
	m->msg_limit = cfg->msg_limit ? cfg->msg_limit : GRPSEC_MSG_LIMIT_DEFAULT;
	m->next_seq = cfg->seq_reserved + 1;
	m->block = cfg->reserve_block ? cfg->reserve_block : GRPSEC_SEQ_BLOCK_DEFAULT;
	m->reserve = cfg->reserve;
	m->reserve_arg = cfg->reserve_arg;
	/* Without persistence every sequence is available. */
	m->reserved = cfg->reserve ? cfg->seq_reserved : UINT64_MAX;
	err = load_keys(m, cfg->suite, cfg->member_key, cfg->inner_key);
	if (err) {
		free(m);
		return err;
	}
	*out = m;
	return 0;
}

void grpsec_member_free(struct grpsec_member *m)
{
	if (!m)
		return;
	grpsec_aead_uninit(&m->outer);
	grpsec_aead_uninit(&m->inner);
	grpsec_wipe(m, sizeof(*m));
	free(m);
}

int grpsec_member_set_epoch(struct grpsec_member *m, uint32_t epoch,
			    const uint8_t *member_key, const uint8_t *inner_key,
			    uint64_t msg_limit)
{
	struct grpsec_aead old_outer, old_inner;
	int err;

	if (!m || !member_key || !inner_key || epoch <= m->epoch)
		return -EINVAL;
	old_outer = m->outer;
	old_inner = m->inner;
	err = load_keys(m, m->suite, member_key, inner_key);
	if (err) {
		m->outer = old_outer;
		m->inner = old_inner;
		return err;
	}
	grpsec_aead_uninit(&old_outer);
	grpsec_aead_uninit(&old_inner);
	m->epoch = epoch;
	m->msg_limit = msg_limit ? msg_limit : GRPSEC_MSG_LIMIT_DEFAULT;
	m->msg_count = 0;
	return 0;
}

/* Take the next sequence number, reserving a new block first if needed. */
static int take_seq(struct grpsec_member *m, uint64_t *seq)
{
	if (m->msg_count >= m->msg_limit)
		return -ENOSPC;
	if (!m->next_seq)
		return -EOVERFLOW;
	if (m->next_seq > m->reserved) {
		uint64_t upto = m->next_seq - 1 + m->block;
		int err;

		if (upto < m->next_seq)		/* saturate at the end of the space */
			upto = UINT64_MAX;
		err = m->reserve(m->reserve_arg, upto);
		if (err)
			return err < 0 ? err : -EIO;
		m->reserved = upto;
	}
	*seq = m->next_seq++;
	m->msg_count++;
	return 0;
}

static int seal(struct grpsec_member *m, const uint8_t *nonce, const uint8_t *payload,
		size_t len, uint8_t *out, size_t out_size, size_t *out_len)
{
	uint8_t aad[GRPSEC_INNER_AAD_LEN];
	uint8_t outer_nonce[GRPSEC_NONCE_LEN];
	uint8_t *inner = out + GRPSEC_HDR_LEN;
	uint64_t seq;
	int err;

	if (!m || !out || !out_len || (len && !payload))
		return -EINVAL;
	if (len > GRPSEC_MAX_PAYLOAD || out_size < GRPSEC_UPLINK_OVERHEAD + len)
		return -EMSGSIZE;
	err = take_seq(m, &seq);
	if (err)
		return err;

	out[0] = GRPSEC_VERSION;
	out[1] = GRPSEC_TYPE_UPLINK;
	out[2] = (uint8_t)m->suite;
	out[3] = 0;
	put_be32(out + 4, m->group);
	put_be32(out + 8, m->epoch);
	put_be32(out + 12, m->member);
	put_be64(out + 16, seq);

	grpsec_seq_nonce(outer_nonce, GRPSEC_NONCE_PREFIX_UPLINK, seq);
	if (m->mode == GRPSEC_MODE_IDENTIFIED) {
		memcpy(inner, outer_nonce, GRPSEC_NONCE_LEN);
	} else if (nonce) {
		memcpy(inner, nonce, GRPSEC_NONCE_LEN);
	} else {
		err = grpsec_random(inner, GRPSEC_NONCE_LEN);
		if (err)
			return err;
	}
	grpsec_inner_aad(aad, GRPSEC_DIR_UPLINK, m->suite, m->mode, m->group, m->epoch,
			 m->mode == GRPSEC_MODE_IDENTIFIED ? m->member : 0);
	err = grpsec_aead_seal(&m->inner, inner, aad, sizeof(aad), payload, len,
			       inner + GRPSEC_NONCE_LEN, inner + GRPSEC_NONCE_LEN + len);
	if (err)
		return err;
	/* Outer tag: GMAC-like seal of nothing, AAD = header and inner part. */
	err = grpsec_aead_seal(&m->outer, outer_nonce, out,
			       GRPSEC_HDR_LEN + GRPSEC_INNER_OVERHEAD + len, NULL, 0, NULL,
			       inner + GRPSEC_INNER_OVERHEAD + len);
	if (err)
		return err;
	*out_len = GRPSEC_UPLINK_OVERHEAD + len;
	return 0;
}

int grpsec_member_seal_uplink(struct grpsec_member *m, const uint8_t *payload,
			      size_t len, uint8_t *out, size_t out_size,
			      size_t *out_len)
{
	return seal(m, NULL, payload, len, out, out_size, out_len);
}

int grpsec_member_seal_uplink_nonce(struct grpsec_member *m,
				    const uint8_t nonce[GRPSEC_NONCE_LEN],
				    const uint8_t *payload, size_t len,
				    uint8_t *out, size_t out_size, size_t *out_len)
{
	if (!m || !nonce || m->mode != GRPSEC_MODE_ANONYMOUS)
		return -EINVAL;
	return seal(m, nonce, payload, len, out, out_size, out_len);
}

uint64_t grpsec_member_next_seq(const struct grpsec_member *m)
{
	return m ? m->next_seq : 0;
}

uint32_t grpsec_member_epoch(const struct grpsec_member *m)
{
	return m ? m->epoch : 0;
}

uint64_t grpsec_member_epoch_remaining(const struct grpsec_member *m)
{
	return m ? m->msg_limit - m->msg_count : 0;
}
