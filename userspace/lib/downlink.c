// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Group commands and rekeying, the sending side: Ed25519 signing keys,
 * command and rekey bodies (backend / manager), downlink frames under K_up
 * (backend) and their check plus the type 4/5 frames under K_m[e] (gateway
 * reference).  Documentation/frames.rst, sections downlink, command, rekey.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"

struct grpsec_signer {
	EVP_PKEY *pkey;
};

struct grpsec_verifier {
	EVP_PKEY *pkey;
};

int grpsec_signer_new(const uint8_t priv[GRPSEC_SIGN_KEY_LEN], struct grpsec_signer **out)
{
	struct grpsec_signer *s;

	if (!priv || !out)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv,
					       GRPSEC_SIGN_KEY_LEN);
	if (!s->pkey) {
		free(s);
		return -EIO;
	}
	*out = s;
	return 0;
}

int grpsec_signer_generate(struct grpsec_signer **out)
{
	uint8_t priv[GRPSEC_SIGN_KEY_LEN];
	int err;

	err = grpsec_random(priv, sizeof(priv));
	if (!err)
		err = grpsec_signer_new(priv, out);
	grpsec_wipe(priv, sizeof(priv));
	return err;
}

int grpsec_signer_public(const struct grpsec_signer *s, uint8_t pub[GRPSEC_SIGN_KEY_LEN])
{
	size_t len = GRPSEC_SIGN_KEY_LEN;

	if (!s || !pub)
		return -EINVAL;
	if (EVP_PKEY_get_raw_public_key(s->pkey, pub, &len) != 1 || len != GRPSEC_SIGN_KEY_LEN)
		return -EIO;
	return 0;
}

void grpsec_signer_free(struct grpsec_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->pkey);
	free(s);
}

int grpsec_verifier_new(const uint8_t pub[GRPSEC_SIGN_KEY_LEN], struct grpsec_verifier **out)
{
	struct grpsec_verifier *v;

	if (!pub || !out)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
					      GRPSEC_SIGN_KEY_LEN);
	if (!v->pkey) {
		free(v);
		return -EIO;
	}
	*out = v;
	return 0;
}

void grpsec_verifier_free(struct grpsec_verifier *v)
{
	if (!v)
		return;
	EVP_PKEY_free(v->pkey);
	free(v);
}

/* Ed25519 is one-shot: the message is prefix || body, copied together. */
#define SIG_MSG_MAX	(32 + GRPSEC_BODY_MAX_LEN)

static int sig_op(EVP_PKEY *pkey, bool sign, const uint8_t *prefix, size_t prefix_len,
		  const uint8_t *body, size_t len, uint8_t sig[GRPSEC_SIG_LEN])
{
	uint8_t msg[SIG_MSG_MAX];
	size_t siglen = GRPSEC_SIG_LEN;
	EVP_MD_CTX *ctx;
	int ok;

	if (prefix_len + len > sizeof(msg))
		return -EMSGSIZE;
	memcpy(msg, prefix, prefix_len);
	memcpy(msg + prefix_len, body, len);
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (sign) {
		ok = EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, pkey, NULL) == 1 &&
		     EVP_DigestSign(ctx, sig, &siglen, msg, prefix_len + len) == 1 &&
		     siglen == GRPSEC_SIG_LEN;
		EVP_MD_CTX_free(ctx);
		return ok ? 0 : -EIO;
	}
	if (EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, pkey, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -EIO;
	}
	ok = EVP_DigestVerify(ctx, sig, GRPSEC_SIG_LEN, msg, prefix_len + len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EBADMSG;
}

int grpsec_sig_verify(const struct grpsec_verifier *v, const uint8_t *prefix,
		      size_t prefix_len, const uint8_t *body, size_t len,
		      const uint8_t sig[GRPSEC_SIG_LEN])
{
	if (!v)
		return -EINVAL;
	return sig_op(v->pkey, false, prefix, prefix_len, body, len, (uint8_t *)sig);
}

size_t grpsec_command_sig_prefix(uint8_t *p, uint32_t group, uint32_t recipient)
{
	size_t n = sizeof(GRPSEC_COMMAND_LABEL) - 1;

	memcpy(p, GRPSEC_COMMAND_LABEL, n);
	put_be32(p + n, group);
	put_be32(p + n + 4, recipient);
	return n + 8;
}

size_t grpsec_rekey_prefix(uint8_t *p, uint32_t group, uint32_t member)
{
	size_t n = sizeof(GRPSEC_REKEY_LABEL) - 1;

	memcpy(p, GRPSEC_REKEY_LABEL, n);
	put_be32(p + n, group);
	put_be32(p + n + 4, member);
	return n + 8;
}

void grpsec_command_aad(uint8_t aad[GRPSEC_COMMAND_AAD_LEN], unsigned int suite,
			unsigned int mode, uint32_t group, uint32_t recipient, uint32_t epoch,
			uint64_t seq)
{
	grpsec_inner_aad(aad, GRPSEC_DIR_COMMAND, suite, mode, group, epoch, recipient);
	put_be64(aad + GRPSEC_INNER_AAD_LEN, seq);
}

int grpsec_command_seal(const struct grpsec_command_params *p,
			const struct grpsec_signer *signer, const uint8_t *payload,
			size_t len, uint8_t *out, size_t out_size, size_t *out_len)
{
	uint8_t aad[GRPSEC_COMMAND_AAD_LEN], prefix[32];
	size_t need, plen;
	uint8_t *nonce, *ct;
	int err;

	if (!p || !out || !out_len || !p->group || !p->group_key || !p->seq ||
	    !grpsec_suite_key_len(p->suite) || !grpsec_mode_name(p->mode) ||
	    (len && !payload))
		return -EINVAL;
	/* Only now: no offset is ever added to a NULL pointer. */
	nonce = out + GRPSEC_COMMAND_HDR_LEN;
	ct = nonce + GRPSEC_NONCE_LEN;
	if (len > GRPSEC_COMMAND_MAX_PAYLOAD)
		return -EMSGSIZE;
	need = (signer ? GRPSEC_COMMAND_OVERHEAD : GRPSEC_COMMAND_UNSIGNED_OVERHEAD) + len;
	if (out_size < need)
		return -EMSGSIZE;
	put_be32(out, p->epoch);
	put_be64(out + 4, p->seq);
	if (p->nonce)
		memcpy(nonce, p->nonce, GRPSEC_NONCE_LEN);
	else if ((err = grpsec_random(nonce, GRPSEC_NONCE_LEN)))
		return err;
	grpsec_command_aad(aad, p->suite, p->mode, p->group, p->recipient, p->epoch, p->seq);
	err = grpsec_aead_seal_once(p->suite, p->group_key, nonce, aad, sizeof(aad),
				    payload, len, ct, ct + len);
	if (err)
		return err;
	if (signer) {
		size_t signed_len = GRPSEC_COMMAND_UNSIGNED_OVERHEAD + len;

		plen = grpsec_command_sig_prefix(prefix, p->group, p->recipient);
		err = sig_op(signer->pkey, true, prefix, plen, out, signed_len,
			     out + signed_len);
		if (err)
			return err;
	}
	*out_len = need;
	return 0;
}

/* Key material: u8 suite, u8 mode, u8 flags, u8 0, be64 msg_limit, K_m [, K_G] [, K_e,m]. */
static int rekey_keys_encode(const struct grpsec_rekey_keys *k, uint8_t *p, size_t *len)
{
	size_t kl = grpsec_suite_key_len(k->suite), off = GRPSEC_REKEY_KEYS_HDR_LEN;
	uint8_t flags = 0;

	if (!kl || !grpsec_mode_name(k->mode) || !k->member_key ||
	    (k->group_flags & ~GRPSEC_GROUP_COMMANDS))
		return -EINVAL;
	/* Anonymous: K_G, no K_e,m; identified: K_e,m, and K_G iff commands. */
	if (k->mode == GRPSEC_MODE_ANONYMOUS ? !k->group_key || k->e2e_key :
	    !k->e2e_key || !k->group_key != !(k->group_flags & GRPSEC_GROUP_COMMANDS))
		return -EINVAL;
	p[0] = (uint8_t)k->suite;
	p[1] = (uint8_t)k->mode;
	p[3] = 0;
	put_be64(p + 4, k->msg_limit);
	memcpy(p + off, k->member_key, kl);
	off += kl;
	if (k->group_key) {
		flags |= GRPSEC_REKEY_HAS_GROUP_KEY;
		memcpy(p + off, k->group_key, kl);
		off += kl;
	}
	if (k->e2e_key) {
		flags |= GRPSEC_REKEY_HAS_E2E_KEY;
		memcpy(p + off, k->e2e_key, kl);
		off += kl;
	}
	p[2] = flags;
	*len = off;
	return 0;
}

int grpsec_rekey_seal(const struct grpsec_signer *signer,
		      const uint8_t wrap_key[GRPSEC_WRAP_KEY_LEN], uint32_t group,
		      uint32_t member, uint64_t seq, const struct grpsec_rekey_keys *keys,
		      const uint8_t *nonce, uint8_t *out, size_t out_size, size_t *out_len)
{
	uint8_t pt[GRPSEC_REKEY_KEYS_MAX_LEN], aad[GRPSEC_REKEY_AAD_LEN], prefix[32];
	size_t ptlen, plen, signed_len;
	uint8_t *n;
	int err;

	if (!signer || !wrap_key || !group || !member || !seq || !keys || !out || !out_len)
		return -EINVAL;
	n = out + GRPSEC_COMMAND_HDR_LEN;
	err = rekey_keys_encode(keys, pt, &ptlen);
	if (err)
		goto out;
	signed_len = GRPSEC_COMMAND_UNSIGNED_OVERHEAD + ptlen;
	if (out_size < signed_len + GRPSEC_SIG_LEN) {
		err = -EMSGSIZE;
		goto out;
	}
	put_be32(out, keys->epoch);
	put_be64(out + 4, seq);
	if (nonce)
		memcpy(n, nonce, GRPSEC_NONCE_LEN);
	else if ((err = grpsec_random(n, GRPSEC_NONCE_LEN)))
		goto out;
	grpsec_rekey_aad(aad, group, member, keys->epoch, seq);
	err = grpsec_aead_seal_once(GRPSEC_SUITE_AES_256_GCM, wrap_key, n, aad, sizeof(aad),
				    pt, ptlen, n + GRPSEC_NONCE_LEN,
				    n + GRPSEC_NONCE_LEN + ptlen);
	if (err)
		goto out;
	plen = grpsec_rekey_prefix(prefix, group, member);
	err = sig_op(signer->pkey, true, prefix, plen, out, signed_len, out + signed_len);
	if (!err)
		*out_len = signed_len + GRPSEC_SIG_LEN;
out:
	grpsec_wipe(pt, sizeof(pt));
	return err;
}

void grpsec_rekey_aad(uint8_t aad[GRPSEC_REKEY_AAD_LEN], uint32_t group, uint32_t member,
		      uint32_t epoch, uint64_t seq)
{
	size_t n = grpsec_rekey_prefix(aad, group, member);

	put_be32(aad + n, epoch);
	put_be64(aad + n + 4, seq);
}

int grpsec_downlink_build(unsigned int suite, const uint8_t *upstream_key,
			  uint32_t gateway, uint64_t seq, uint32_t group, uint32_t member,
			  unsigned int kind, const uint8_t *body, size_t body_len,
			  uint8_t *out, size_t out_size, size_t *out_len)
{
	uint8_t nonce[GRPSEC_NONCE_LEN];
	size_t n = GRPSEC_DOWNLINK_HDR_LEN + body_len;
	int err;

	if (!grpsec_suite_key_len(suite) || !upstream_key || !seq || !group || !body ||
	    !out || !out_len || (kind != GRPSEC_DOWNLINK_KIND_COMMAND &&
				 kind != GRPSEC_DOWNLINK_KIND_REKEY) ||
	    (kind == GRPSEC_DOWNLINK_KIND_REKEY && !member))
		return -EINVAL;
	if (!body_len || body_len > GRPSEC_BODY_MAX_LEN || out_size < n + GRPSEC_TAG_LEN)
		return -EMSGSIZE;
	out[0] = GRPSEC_VERSION;
	out[1] = GRPSEC_TYPE_DOWNLINK;
	out[2] = (uint8_t)suite;
	out[3] = 0;
	put_be32(out + 4, gateway);
	put_be64(out + 8, seq);
	put_be32(out + 16, group);
	put_be32(out + 20, member);
	out[24] = (uint8_t)kind;
	out[25] = 0;
	put_be16(out + 26, (uint16_t)body_len);
	memmove(out + GRPSEC_DOWNLINK_HDR_LEN, body, body_len);
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_DOWNLINK, seq);
	err = grpsec_aead_seal_once(suite, upstream_key, nonce, out, n, NULL, 0, NULL, out + n);
	if (err)
		return err;
	*out_len = n + GRPSEC_TAG_LEN;
	return 0;
}

int grpsec_downlink_verify(const uint8_t *buf, size_t len, uint32_t gateway,
			   unsigned int suite, const uint8_t *upstream_key,
			   struct grpsec_downlink *out)
{
	uint8_t nonce[GRPSEC_NONCE_LEN];
	struct grpsec_downlink d;
	int err;

	if (!upstream_key)
		return -EINVAL;
	err = grpsec_downlink_parse(buf, len, &d);
	if (err)
		return err;
	if (d.gateway != gateway || d.suite != suite)
		return -EPROTO;
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_DOWNLINK, d.seq);
	err = grpsec_aead_open_once(suite, upstream_key, nonce, buf, len - GRPSEC_TAG_LEN,
				    NULL, 0, d.tag, NULL);
	if (err)
		return err;
	if (out)
		*out = d;
	return 0;
}

int grpsec_member_frame_build(unsigned int type, unsigned int suite, unsigned int flags,
			      uint32_t group, uint32_t member, uint32_t epoch, uint64_t seq,
			      const uint8_t *member_key, const uint8_t *body,
			      size_t body_len, uint8_t *out, size_t out_size, size_t *out_len)
{
	bool mcast = flags & GRPSEC_MFRAME_FLAG_MULTICAST;
	uint8_t nonce[GRPSEC_NONCE_LEN];
	size_t n = GRPSEC_MFRAME_HDR_LEN + body_len;
	int err;

	/* Multicast: member 0, epoch 0, no key, no tag. */
	if (!grpsec_mframe_flags_valid(type, flags) || !grpsec_suite_key_len(suite) ||
	    !group || !member != mcast ||
	    (mcast && epoch) || !seq || (!member_key && !mcast) || !body || !out || !out_len)
		return -EINVAL;
	if (!body_len || body_len > GRPSEC_BODY_MAX_LEN ||
	    out_size < n + (mcast ? 0 : GRPSEC_TAG_LEN))
		return -EMSGSIZE;
	out[0] = GRPSEC_VERSION;
	out[1] = (uint8_t)type;
	out[2] = (uint8_t)suite;
	out[3] = (uint8_t)flags;
	put_be32(out + 4, group);
	put_be32(out + 8, member);
	put_be32(out + 12, epoch);
	put_be64(out + 16, seq);
	put_be16(out + 24, (uint16_t)body_len);
	put_be16(out + 26, 0);
	memmove(out + GRPSEC_MFRAME_HDR_LEN, body, body_len);
	if (mcast) {
		*out_len = n;
		return 0;
	}
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_DOWNLINK, seq);
	err = grpsec_aead_seal_once(suite, member_key, nonce, out, n, NULL, 0, NULL, out + n);
	if (err)
		return err;
	*out_len = n + GRPSEC_TAG_LEN;
	return 0;
}
