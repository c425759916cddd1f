// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libFuzzer target: the member side of libgrpsec, on command (type 4) and
 * rekey (type 5) frames: grpsec_member_open_frame(),
 * grpsec_member_open_command(), grpsec_member_apply_rekey().
 *
 * Input: byte 0 selects what the harness fixes up before the member sees
 * the frame (bytes 1..): bit 0: the header's group, member and epoch set
 * to the member's and the tag made valid under its K_m[e], so the body's
 * checks are reached; bit 1: the member is identified (else anonymous);
 * bit 2: an unsigned command body also sealed validly under K_G[e] (with
 * bit 0), so a whole gateway-originated command opens; bit 3: open it as
 * a rekey.  Invariants: no crash, leak or undefined behaviour; what opens
 * once is refused when it comes again (-ESTALE); a refused frame changes
 * none of the member's sequences; the payload fits the buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

#define GROUP	7
#define MEMBER	7
#define EPOCH	1

static const uint8_t k_m[32] = "member key of member 7, epoch 1";
static const uint8_t k_g[32] = "group key of group 7, epoch 1..";
static const uint8_t wrap[32] = "wrap key of member 7 ...........";
static const uint8_t sign_priv[32] = "the manager's signing key seed..";

/* A gateway-originated body that opens: seal its ciphertext in place. */
static void seal_body(uint8_t *f, size_t len, unsigned int suite, unsigned int mode)
{
	uint8_t *b = f + GRPSEC_MFRAME_HDR_LEN, aad[GRPSEC_COMMAND_AAD_LEN];
	size_t blen = len - GRPSEC_MFRAME_HDR_LEN - GRPSEC_TAG_LEN, n;

	if (!(f[3] & GRPSEC_MFRAME_FLAG_GATEWAY) || blen < GRPSEC_COMMAND_UNSIGNED_OVERHEAD)
		return;
	n = blen - GRPSEC_COMMAND_UNSIGNED_OVERHEAD;
	put_be32(b, EPOCH);
	grpsec_command_aad(aad, suite, mode, GROUP, f[3] & GRPSEC_MFRAME_FLAG_GROUP ? 0 : MEMBER,
			   EPOCH, get_be64(b + 4));
	grpsec_aead_seal_once(suite, k_g, b + GRPSEC_COMMAND_HDR_LEN, aad, sizeof(aad),
			      b + GRPSEC_COMMAND_HDR_LEN + GRPSEC_NONCE_LEN, n,
			      b + GRPSEC_COMMAND_HDR_LEN + GRPSEC_NONCE_LEN,
			      b + GRPSEC_COMMAND_HDR_LEN + GRPSEC_NONCE_LEN + n);
}

/* The header made the member's, then the K_m tag made valid. */
static void fix_up(uint8_t *f, size_t len, unsigned int suite, unsigned int mode,
		   bool body)
{
	uint8_t nonce[GRPSEC_NONCE_LEN];

	if (len < GRPSEC_MFRAME_HDR_LEN + GRPSEC_TAG_LEN || (f[3] & GRPSEC_MFRAME_FLAG_MULTICAST))
		return;
	f[2] = (uint8_t)suite;
	put_be32(f + 4, GROUP);
	put_be32(f + 8, MEMBER);
	put_be32(f + 12, EPOCH);
	if (body)
		seal_body(f, len, suite, mode);
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_DOWNLINK, get_be64(f + 16));
	grpsec_aead_seal_once(suite, k_m, nonce, f, len - GRPSEC_TAG_LEN, NULL, 0, NULL,
			      f + len - GRPSEC_TAG_LEN);
}

static int open_once(struct grpsec_member *m, const struct grpsec_verifier *v, bool rekey,
		     const uint8_t *f, size_t len)
{
	static uint8_t out[GRPSEC_BODY_MAX_LEN];
	struct grpsec_command_info info;
	size_t olen = 0;
	uint32_t e;
	int err;

	if (rekey)
		return grpsec_member_apply_rekey(m, v, wrap, f, len, &e);
	err = grpsec_member_open_command(m, v, f, len, out, sizeof(out), &olen, &info);
	if (!err)
		CHECK(olen <= sizeof(out) && info.epoch == EPOCH &&
		      (info.recipient == 0 || info.recipient == MEMBER));
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct grpsec_verifier *v;
	struct grpsec_member_config cfg = {
		.group = GROUP, .member = MEMBER, .epoch = EPOCH, .member_key = k_m,
		.inner_key = k_g, .group_flags = GRPSEC_GROUP_COMMANDS, .group_key = k_g,
	};
	struct grpsec_member *m;
	uint64_t cmd, gw, rk;
	uint8_t *f;
	bool rekey;
	int err;

	if (!v) {
		struct grpsec_signer *s;
		uint8_t pub[GRPSEC_SIGN_KEY_LEN];

		CHECK(!grpsec_signer_new(sign_priv, &s) && !grpsec_signer_public(s, pub) &&
		      !grpsec_verifier_new(pub, &v));
		grpsec_signer_free(s);
	}
	if (size < 1)
		return 0;
	cfg.mode = data[0] & 2 ? GRPSEC_MODE_IDENTIFIED : GRPSEC_MODE_ANONYMOUS;
	cfg.suite = 1 + data[0] % 3;
	rekey = data[0] & 8;
	f = malloc(size);
	CHECK(f);
	memcpy(f, data + 1, size - 1);
	if (data[0] & 1)
		fix_up(f, size - 1, cfg.suite, cfg.mode, data[0] & 4);
	CHECK(!grpsec_member_new(&cfg, &m));
	err = open_once(m, v, rekey, f, size - 1);
	cmd = grpsec_member_command_seq(m);
	gw = grpsec_member_gateway_command_seq(m);
	rk = grpsec_member_rekey_seq(m);
	if (err) {
		/* Refused: no sequence moved. */
		CHECK(!cmd && !gw && !rk && grpsec_member_epoch(m) == EPOCH);
	} else {
		CHECK(cmd || gw || rk);
		/* The same frame again is a replay (its gateway sequence). */
		CHECK(open_once(m, v, rekey, f, size - 1) == -ESTALE);
		CHECK(grpsec_member_command_seq(m) == cmd && grpsec_member_rekey_seq(m) == rk &&
		      grpsec_member_gateway_command_seq(m) == gw);
	}
	grpsec_member_free(m);
	free(f);
	return 0;
}
