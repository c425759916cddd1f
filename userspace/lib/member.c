// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Member side: seal uplink frames.  The sequence number is reserved in
 * blocks through the caller's persistence callback before it is used, so a
 * restart skips ahead and never reuses a nonce under K_m[e] or K_e,m[e].
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

struct grpsec_member {
	uint32_t group;
	uint32_t member;
	uint32_t epoch;
	unsigned int mode;
	unsigned int suite;
	bool commands;			/* the group receives commands: K_G[e] held */
	struct grpsec_aead outer;	/* K_m[e] */
	struct grpsec_aead inner;	/* K_G[e] or K_e,m[e] */
	uint64_t msg_limit;
	uint64_t msg_count;		/* frames sealed in this epoch */
	uint64_t next_seq;		/* 0 once the sequence space is used up */
	uint64_t reserved;		/* highest sequence reserved */
	uint32_t block;
	grpsec_seq_reserve_fn reserve;
	void *reserve_arg;
	/* Commands and rekeys */
	struct grpsec_aead cmd;		/* K_G[e], decrypting; cmd.ctx NULL: none */
	struct grpsec_window gw_window;	/* gateway sequences of type 4/5 frames */
	uint64_t cmd_seq;		/* last signed command sequence accepted */
	uint64_t gw_cmd_seq;		/* last gateway-originated command sequence */
	uint64_t rekey_seq;		/* last rekey sequence accepted */
	/*
	 * The epoch before the current one, kept from a switch until it is
	 * retired (frames.rst, "Rollover"): the gateway tags type 4/5 frames
	 * under it until this member's first frame under the new epoch, and
	 * the backend may still seal commands under it.
	 */
	struct {
		bool valid;
		uint32_t epoch;
		struct grpsec_aead outer;	/* K_m[e], for the frame tags */
		struct grpsec_aead cmd;		/* K_G[e], decrypting; ctx NULL: none */
		struct grpsec_window gw_window;
	} prev;
};

/* Forget the previous epoch's keys. */
static void retire_prev(struct grpsec_member *m)
{
	grpsec_aead_uninit(&m->prev.outer);
	grpsec_aead_uninit(&m->prev.cmd);
	memset(&m->prev, 0, sizeof(m->prev));
}

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
	    !grpsec_mode_name(cfg->mode) || cfg->seq_reserved == UINT64_MAX ||
	    (cfg->group_flags & ~GRPSEC_GROUP_COMMANDS) ||
	    (cfg->mode == GRPSEC_MODE_IDENTIFIED && cfg->group_key &&
	     !(cfg->group_flags & GRPSEC_GROUP_COMMANDS)))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->group = cfg->group;
	m->member = cfg->member;
	m->epoch = cfg->epoch;
	m->mode = cfg->mode;
	m->suite = cfg->suite;
	m->commands = cfg->mode == GRPSEC_MODE_ANONYMOUS ||
		      (cfg->group_flags & GRPSEC_GROUP_COMMANDS);
	m->msg_limit = cfg->msg_limit ? cfg->msg_limit : GRPSEC_MSG_LIMIT_DEFAULT;
	m->next_seq = cfg->seq_reserved + 1;
	m->block = cfg->reserve_block ? cfg->reserve_block : GRPSEC_SEQ_BLOCK_DEFAULT;
	m->reserve = cfg->reserve;
	m->reserve_arg = cfg->reserve_arg;
	/* Without persistence every sequence is available. */
	m->reserved = cfg->reserve ? cfg->seq_reserved : UINT64_MAX;
	/* A floor is the first sequence still new: the one below is the last. */
	m->cmd_seq = cfg->command_seq_floor ? cfg->command_seq_floor - 1 : 0;
	m->gw_cmd_seq = cfg->gateway_command_seq_floor ? cfg->gateway_command_seq_floor - 1 : 0;
	m->rekey_seq = cfg->rekey_seq_floor ? cfg->rekey_seq_floor - 1 : 0;
	err = load_keys(m, cfg->suite, cfg->member_key, cfg->inner_key);
	if (err) {
		free(m);
		return err;
	}
	if (cfg->mode == GRPSEC_MODE_ANONYMOUS || cfg->group_key) {
		err = grpsec_aead_init(&m->cmd, cfg->suite, cfg->mode == GRPSEC_MODE_ANONYMOUS ?
				       cfg->inner_key : cfg->group_key, false);
		if (err) {
			grpsec_member_free(m);
			return err;
		}
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
	grpsec_aead_uninit(&m->cmd);
	retire_prev(m);
	grpsec_wipe(m, sizeof(*m));
	free(m);
}

/*
 * Install epoch @epoch: K_m, inner key and the command key @cmd_key (NULL:
 * none).  All or nothing.
 */
static int switch_epoch(struct grpsec_member *m, uint32_t epoch, const uint8_t *member_key,
			const uint8_t *inner_key, const uint8_t *cmd_key, uint64_t msg_limit)
{
	struct grpsec_aead old_outer, old_inner, cmd = { 0 };
	int err;

	if (!m || !member_key || !inner_key || epoch <= m->epoch)
		return -EINVAL;
	if (cmd_key) {
		err = grpsec_aead_init(&cmd, m->suite, cmd_key, false);
		if (err)
			return err;
	}
	old_outer = m->outer;
	old_inner = m->inner;
	err = load_keys(m, m->suite, member_key, inner_key);
	if (err) {
		m->outer = old_outer;
		m->inner = old_inner;
		grpsec_aead_uninit(&cmd);
		return err;
	}
	/* The old epoch stays acceptable until retired; the one before goes. */
	retire_prev(m);
	m->prev.valid = true;
	m->prev.epoch = m->epoch;
	m->prev.outer = old_outer;
	m->prev.cmd = m->cmd;
	m->prev.gw_window = m->gw_window;
	grpsec_aead_uninit(&old_inner);
	m->cmd = cmd;
	m->epoch = epoch;
	m->msg_limit = msg_limit ? msg_limit : GRPSEC_MSG_LIMIT_DEFAULT;
	m->msg_count = 0;
	/* A new K_m[e]: the gateway's sequence window starts again. */
	memset(&m->gw_window, 0, sizeof(m->gw_window));
	return 0;
}

int grpsec_member_set_epoch(struct grpsec_member *m, uint32_t epoch,
			    const uint8_t *member_key, const uint8_t *inner_key,
			    uint64_t msg_limit)
{
	if (!m)
		return -EINVAL;
	return switch_epoch(m, epoch, member_key, inner_key,
			    m->mode == GRPSEC_MODE_ANONYMOUS ? inner_key : NULL, msg_limit);
}

void grpsec_member_retire_epoch(struct grpsec_member *m)
{
	if (m)
		retire_prev(m);
}

int grpsec_member_set_group_key(struct grpsec_member *m, const uint8_t *group_key)
{
	struct grpsec_aead cmd;
	int err;

	if (!m || !group_key || !m->commands)
		return -EINVAL;
	err = grpsec_aead_init(&cmd, m->suite, group_key, false);
	if (err)
		return err;
	grpsec_aead_uninit(&m->cmd);
	m->cmd = cmd;
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
	uint8_t *inner;
	uint64_t seq;
	int err;

	if (!m || !out || !out_len || (len && !payload))
		return -EINVAL;
	inner = out + GRPSEC_HDR_LEN;
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
			       inner + GRPSEC_INNER_CT_OFFSET, inner + GRPSEC_INNER_TAG_OFFSET);
	if (err)
		return err;
	/*
	 * Outer tag: GMAC-like seal of nothing.  AAD: header, inner nonce and
	 * inner tag; in an anonymous group the ciphertext too, because any
	 * member could make another one under K_G[e] with the same inner tag.
	 */
	err = grpsec_aead_seal(&m->outer, outer_nonce, out,
			       grpsec_outer_auth_len(m->mode, len), NULL, 0, NULL,
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

uint64_t grpsec_member_command_seq(const struct grpsec_member *m)
{
	return m ? m->cmd_seq : 0;
}

uint64_t grpsec_member_gateway_command_seq(const struct grpsec_member *m)
{
	return m ? m->gw_cmd_seq : 0;
}

uint64_t grpsec_member_rekey_seq(const struct grpsec_member *m)
{
	return m ? m->rekey_seq : 0;
}

/* Type 4/5 frames (frames.rst): the K_m[e] tag proves the gateway sent it. */
int grpsec_member_open_frame(struct grpsec_member *m, const uint8_t *buf, size_t len,
			     struct grpsec_mframe *out)
{
	uint8_t nonce[GRPSEC_NONCE_LEN], tag[GRPSEC_TAG_LEN];
	struct grpsec_window *win;
	struct grpsec_aead *km;
	struct grpsec_mframe f;
	int err;

	if (!m || !out)
		return -EINVAL;
	err = grpsec_mframe_parse(buf, len, &f);
	if (err)
		return err;
	if (f.flags & GRPSEC_MFRAME_FLAG_MULTICAST) {
		/* No tag to check: the body's signature must carry it. */
		if (f.group != m->group || f.suite != m->suite)
			return -EPROTO;
		*out = f;
		return 0;
	}
	if (f.group != m->group || f.member != m->member || f.suite != m->suite)
		return -EPROTO;
	if (f.epoch == m->epoch) {
		km = &m->outer;
		win = &m->gw_window;
	} else if (m->prev.valid && f.epoch == m->prev.epoch) {
		km = &m->prev.outer;
		win = &m->prev.gw_window;
	} else {
		return f.epoch < m->epoch ? -ESTALE : -ENOKEY;
	}
	if (!grpsec_window_check(win, f.seq))
		return -ESTALE;
	/* The K_m context seals: recompute the tag of the empty plaintext. */
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_DOWNLINK, f.seq);
	err = grpsec_aead_seal(km, nonce, buf, len - GRPSEC_TAG_LEN, NULL, 0, NULL, tag);
	if (err)
		return err;
	if (CRYPTO_memcmp(tag, buf + len - GRPSEC_TAG_LEN, GRPSEC_TAG_LEN))
		return -EBADMSG;
	grpsec_window_update(win, f.seq);
	*out = f;
	return 0;
}

int grpsec_member_open_command(struct grpsec_member *m, const struct grpsec_verifier *v,
			       const uint8_t *buf, size_t len, uint8_t *out,
			       size_t out_size, size_t *out_len,
			       struct grpsec_command_info *info)
{
	uint8_t aad[GRPSEC_COMMAND_AAD_LEN], prefix[32];
	struct grpsec_mframe f;
	struct grpsec_aead *kg;
	const uint8_t *b, *nonce;
	uint64_t seq, *last;
	uint32_t epoch, recipient;
	size_t n, signed_len;
	bool from_gw;
	int err;

	if (!m || !out_len || (!out && out_size))
		return -EINVAL;
	err = grpsec_member_open_frame(m, buf, len, &f);
	if (err)
		return err;
	if (f.type != GRPSEC_TYPE_COMMAND)
		return -EPROTO;
	from_gw = f.flags & GRPSEC_MFRAME_FLAG_GATEWAY;
	/* What the backend signed and sealed for: the group, or this member alone. */
	recipient = f.flags & GRPSEC_MFRAME_FLAG_GROUP ? 0 : m->member;
	b = f.body;
	signed_len = from_gw ? f.body_len : f.body_len - GRPSEC_SIG_LEN;
	if (f.body_len < (from_gw ? GRPSEC_COMMAND_UNSIGNED_OVERHEAD : GRPSEC_COMMAND_OVERHEAD))
		return -EMSGSIZE;
	n = signed_len - GRPSEC_COMMAND_UNSIGNED_OVERHEAD;
	epoch = get_be32(b);
	seq = get_be64(b + 4);
	if (!seq)
		return -EPROTO;
	if (epoch == m->epoch)
		kg = &m->cmd;
	else if (m->prev.valid && epoch == m->prev.epoch)
		kg = &m->prev.cmd;
	else
		return epoch < m->epoch ? -ESTALE : -ENOKEY;
	last = from_gw ? &m->gw_cmd_seq : &m->cmd_seq;
	if (seq <= *last)
		return -ESTALE;
	if (!from_gw) {
		if (!v)
			return -EINVAL;
		err = grpsec_sig_verify(v, prefix,
					grpsec_command_sig_prefix(prefix, m->group, recipient),
					b, signed_len, b + signed_len);
		if (err)
			return err;
	}
	if (!kg->ctx)
		return -ENOKEY;
	if (out_size < n)
		return -EMSGSIZE;
	nonce = b + GRPSEC_COMMAND_HDR_LEN;
	grpsec_command_aad(aad, m->suite, m->mode, m->group, recipient, epoch, seq);
	err = grpsec_aead_open(kg, nonce, aad, sizeof(aad), nonce + GRPSEC_NONCE_LEN, n,
			       nonce + GRPSEC_NONCE_LEN + n, out);
	if (err) {
		grpsec_wipe(out, n);
		return err;
	}
	*last = seq;
	*out_len = n;
	if (info) {
		info->from_gateway = from_gw;
		info->delivery = from_gw ? GRPSEC_COMMAND_GATEWAY :
				 f.flags & GRPSEC_MFRAME_FLAG_MULTICAST ? GRPSEC_COMMAND_MULTICAST :
				 GRPSEC_COMMAND_UNICAST;
		info->recipient = recipient;
		info->epoch = epoch;
		info->seq = seq;
	}
	return 0;
}

int grpsec_member_apply_rekey(struct grpsec_member *m, const struct grpsec_verifier *v,
			      const uint8_t wrap_key[GRPSEC_WRAP_KEY_LEN],
			      const uint8_t *buf, size_t len, uint32_t *new_epoch)
{
	uint8_t aad[GRPSEC_REKEY_AAD_LEN], prefix[32], pt[GRPSEC_REKEY_KEYS_MAX_LEN];
	const uint8_t *b, *nonce, *k, *km, *kg = NULL, *ke = NULL;
	size_t kl = grpsec_suite_key_len(m ? m->suite : 0), n, signed_len, want;
	struct grpsec_mframe f;
	uint32_t epoch;
	uint64_t seq;
	int err;

	if (!m || !v || !wrap_key)
		return -EINVAL;
	err = grpsec_member_open_frame(m, buf, len, &f);
	if (err)
		return err;
	if (f.type != GRPSEC_TYPE_REKEY)
		return -EPROTO;
	if (f.body_len < GRPSEC_COMMAND_OVERHEAD + GRPSEC_REKEY_KEYS_HDR_LEN + kl ||
	    f.body_len > GRPSEC_REKEY_BODY_MAX_LEN)
		return -EMSGSIZE;
	b = f.body;
	signed_len = f.body_len - GRPSEC_SIG_LEN;
	n = signed_len - GRPSEC_COMMAND_UNSIGNED_OVERHEAD;
	epoch = get_be32(b);
	seq = get_be64(b + 4);
	if (!seq)
		return -EPROTO;
	if (epoch <= m->epoch || seq <= m->rekey_seq)
		return -ESTALE;
	err = grpsec_sig_verify(v, prefix, grpsec_rekey_prefix(prefix, m->group, m->member),
				b, signed_len, b + signed_len);
	if (err)
		return err;
	nonce = b + GRPSEC_COMMAND_HDR_LEN;
	grpsec_rekey_aad(aad, m->group, m->member, epoch, seq);
	err = grpsec_aead_open_once(GRPSEC_SUITE_AES_256_GCM, wrap_key, nonce, aad, sizeof(aad),
				    nonce + GRPSEC_NONCE_LEN, n, nonce + GRPSEC_NONCE_LEN + n, pt);
	if (err)
		goto out;
	/* u8 suite, u8 mode, u8 flags, u8 0, be64 msg_limit, K_m [, K_G] [, K_e,m] */
	want = GRPSEC_REKEY_KEYS_HDR_LEN + kl *
	       (1 + !!(pt[2] & GRPSEC_REKEY_HAS_GROUP_KEY) + !!(pt[2] & GRPSEC_REKEY_HAS_E2E_KEY));
	err = -EPROTO;
	if (pt[0] != m->suite || pt[1] != m->mode || pt[3] || n != want ||
	    (pt[2] & ~(GRPSEC_REKEY_HAS_GROUP_KEY | GRPSEC_REKEY_HAS_E2E_KEY)))
		goto out;
	k = pt + GRPSEC_REKEY_KEYS_HDR_LEN;
	km = k;
	k += kl;
	if (pt[2] & GRPSEC_REKEY_HAS_GROUP_KEY) {
		kg = k;
		k += kl;
	}
	if (pt[2] & GRPSEC_REKEY_HAS_E2E_KEY)
		ke = k;
	/* Exactly the keys the group gets: K_G iff it receives commands. */
	if (m->mode == GRPSEC_MODE_ANONYMOUS ? !kg || ke : !ke || !kg != !m->commands)
		goto out;
	err = switch_epoch(m, epoch, km, m->mode == GRPSEC_MODE_ANONYMOUS ? kg : ke, kg,
			   get_be64(pt + 4));
	if (err)
		goto out;
	m->rekey_seq = seq;
	if (new_epoch)
		*new_epoch = epoch;
out:
	grpsec_wipe(pt, sizeof(pt));
	return err;
}
