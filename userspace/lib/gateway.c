// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Gateway-side reference: outer tag check, inner open and batch sealing.
 * The kernel module does the same in its data path; this copy serves the
 * tests, the vector generator and the simulators (a malicious gateway
 * included).
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

int grpsec_uplink_verify(const struct grpsec_uplink *u, unsigned int mode,
			 const uint8_t *member_key)
{
	uint8_t nonce[GRPSEC_NONCE_LEN];

	if (!u || !member_key || !u->frame || u->frame_len < GRPSEC_UPLINK_MIN_LEN ||
	    !grpsec_mode_name(mode))
		return -EINVAL;
	/*
	 * In an anonymous group every member holds K_G[e] and the inner tag
	 * does not commit to one ciphertext, so the outer tag must cover the
	 * ciphertext too.  In an identified group only the member and the
	 * backend hold K_e,m[e]: the inner tag is enough, and the gateway
	 * need not read the ciphertext at all.
	 */
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_UPLINK, u->seq);
	return grpsec_aead_open_once(u->suite, member_key, nonce, u->frame,
				     grpsec_outer_auth_len(mode, u->frame_len -
							   GRPSEC_UPLINK_OVERHEAD),
				     NULL, 0, u->outer_tag, NULL);
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
				    inner + GRPSEC_INNER_CT_OFFSET, n,
				    inner + GRPSEC_INNER_TAG_OFFSET, out);
	if (err)
		return err;
	*out_len = n;
	return 0;
}

/*
 * The batch tag's AAD comes in pieces: the header, each entry's first 44
 * bytes, anonymous entries whole.  An AAD update costs OpenSSL about 370
 * instructions beyond the hashing (callgrind, OpenSSL 3.0: 51 updates of
 * 44 bytes against one of 2,244), more than hashing 44 bytes.  Pieces
 * that follow each other in the batch make one run (all of a batch of
 * anonymous entries); a long run is one update, short ones are gathered
 * into few.
 */
#define GATHER_DIRECT 256

struct aad_gather {
	struct grpsec_aead *a;
	const uint8_t *run;	/* contiguous bytes not yet added */
	size_t run_len;
	size_t len;		/* bytes gathered in buf */
	int err;
	uint8_t buf[2048];
};

_Static_assert(GATHER_DIRECT <= sizeof(((struct aad_gather *)0)->buf), "a short run fits");

static void add(struct aad_gather *g, const uint8_t *p, size_t len)
{
	if (!g->err)
		g->err = grpsec_aead_mac_add(g->a, p, len);
}

static void run_end(struct aad_gather *g)
{
	if (!g->run_len)
		return;
	if (g->run_len >= GATHER_DIRECT || g->run_len > sizeof(g->buf) - g->len) {
		if (g->len)
			add(g, g->buf, g->len);
		g->len = 0;
	}
	if (g->run_len >= GATHER_DIRECT) {
		add(g, g->run, g->run_len);
	} else {
		memcpy(g->buf + g->len, g->run, g->run_len);
		g->len += g->run_len;
	}
	g->run_len = 0;
}

static void gather(struct aad_gather *g, const uint8_t *p, size_t len)
{
	if (g->run_len && p == g->run + g->run_len) {
		g->run_len += len;
		return;
	}
	run_end(g);
	g->run = p;
	g->run_len = len;
}

int grpsec_batch_tag(struct grpsec_aead *a, uint64_t seq, const uint8_t *buf, size_t len,
		     uint8_t tag[GRPSEC_TAG_LEN])
{
	uint8_t nonce[GRPSEC_NONCE_LEN];
	size_t off = GRPSEC_BATCH_HDR_LEN;
	struct aad_gather g;
	int err;

	if (len < GRPSEC_BATCH_HDR_LEN)
		return -EPROTO;
	/* Not zeroed: only what gather() wrote is ever read. */
	g.a = a;
	g.run_len = 0;
	g.len = 0;
	g.err = 0;
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_BATCH, seq);
	err = grpsec_aead_mac_start(a, nonce);
	if (err)
		return err;
	gather(&g, buf, GRPSEC_BATCH_HDR_LEN);
	while (off < len) {
		const uint8_t *p = buf + off;
		size_t l;

		if (len - off < GRPSEC_BATCH_ENTRY_HEAD_LEN)
			return -EPROTO;
		l = get_be16(p + 2);
		if (l < GRPSEC_INNER_MIN_LEN || l > GRPSEC_INNER_MAX_LEN ||
		    len - off - GRPSEC_BATCH_ENTRY_HDR_LEN < l)
			return -EPROTO;
		/*
		 * An identified entry's ciphertext is bound by its inner tag
		 * under K_e,m[e], which no gateway holds; an anonymous one's
		 * is not (every member holds K_G[e]), so K_up covers it.
		 */
		gather(&g, p, p[0] == GRPSEC_MODE_ANONYMOUS ? GRPSEC_BATCH_ENTRY_HDR_LEN + l :
							     GRPSEC_BATCH_ENTRY_HEAD_LEN);
		off += GRPSEC_BATCH_ENTRY_HDR_LEN + l;
	}
	run_end(&g);
	if (g.len)
		add(&g, g.buf, g.len);
	if (g.err)
		return g.err;
	return grpsec_aead_mac_finish(a, tag);
}

int grpsec_batch_seal(struct grpsec_batch_builder *b, uint64_t seq,
		      const uint8_t *upstream_key, size_t *out_len)
{
	struct grpsec_aead a;
	int err;

	if (!b || !b->buf || !upstream_key || !out_len || !b->count)
		return -EINVAL;
	if (b->size - b->len < GRPSEC_TAG_LEN)
		return -EMSGSIZE;
	put_be64(b->buf + 8, seq);
	put_be16(b->buf + 16, b->count);
	err = grpsec_aead_init(&a, b->suite, upstream_key, true);
	if (err)
		return err;
	err = grpsec_batch_tag(&a, seq, b->buf, b->len, b->buf + b->len);
	grpsec_aead_uninit(&a);
	if (err)
		return err;
	*out_len = b->len + GRPSEC_TAG_LEN;
	return 0;
}
