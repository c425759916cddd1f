// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Test vectors from fixed inputs: no randomness, so every run writes the
 * same bytes.  The kernel and any other implementation must reproduce them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpsec.h"
#include "vectors.h"

#define N_SUITES	3
#define N_UPLINK	(N_SUITES * 2 * 3)
#define N_KDF		(N_SUITES * 3 + 1)	/* member, e2e, upstream per suite; wrap */
#define MAX_ENTRIES	3
#define N_BATCH		4
#define N_REJ		20
#define GATEWAY		0x00c0ffeeU
#define EPOCH		0x00020001U
#define BATCH_SEQ_BASE	1700000000000000000ULL

static const char short_payload[] = "grpsec v2 test payload";

struct kdf_vec {
	char name[48];
	const char *kind;		/* member, e2e, upstream */
	unsigned int kind_id;
	unsigned int suite;
	uint8_t secret[GRPSEC_SECRET_LEN];
	uint32_t group, epoch, member, gateway;
	uint8_t key[GRPSEC_KEY_MAX_LEN];
	size_t key_len;
};

struct uplink_vec {
	char name[64];
	unsigned int suite, mode;
	uint32_t group, epoch, member;
	uint64_t seq;
	uint8_t k_m[GRPSEC_KEY_MAX_LEN];
	uint8_t k_inner[GRPSEC_KEY_MAX_LEN];
	size_t key_len;
	uint8_t payload[GRPSEC_MAX_PAYLOAD];
	size_t payload_len;
	uint8_t frame[GRPSEC_UPLINK_MAX_LEN];
	size_t frame_len;
};

struct reject_vec {
	const char *name;
	const char *based_on;
	const char *stage;		/* parse or verify */
	int expect;
	const char *expect_name;
	unsigned int mode;		/* the group's */
	const uint8_t *k_m;
	size_t key_len;
	uint8_t frame[GRPSEC_UPLINK_MAX_LEN + 1];
	size_t frame_len;
};

struct batch_vec {
	const char *name;
	unsigned int suite;
	uint32_t gateway;
	uint64_t seq;
	uint8_t k_up[GRPSEC_KEY_MAX_LEN];
	size_t key_len;
	unsigned int count;
	const struct uplink_vec *from[MAX_ENTRIES];
	uint8_t batch[GRPSEC_BATCH_HDR_LEN + MAX_ENTRIES *
		      (GRPSEC_BATCH_ENTRY_HDR_LEN + GRPSEC_INNER_MAX_LEN) + GRPSEC_TAG_LEN];
	size_t batch_len;
};

/*
 * A command or rekey: its body, the downlink that carries it (none for a
 * gateway-originated command) and the type 4/5 frame to one member.
 */
struct dl_spec {
	const char *name;
	unsigned int type;		/* GRPSEC_TYPE_COMMAND or _REKEY */
	unsigned int suite, mode;	/* the group's */
	unsigned int up_suite;		/* of K_up; 0: no downlink (gateway-originated) */
	unsigned int flags;		/* of the type 4/5 frame */
	int to_group;			/* command: body for recipient 0 */
	unsigned int keys;		/* rekey: K_m [+ K_G] [+ K_e,m] */
	uint64_t msg_limit;		/* rekey */
};

struct dl_vec {
	struct dl_spec s;
	uint32_t group, member, recipient, epoch;	/* epoch: of K_m (frame) */
	uint64_t seq;			/* command or rekey sequence */
	uint32_t body_epoch;		/* command: e of K_G; rekey: e' */
	uint8_t sign_priv[GRPSEC_SIGN_KEY_LEN], sign_pub[GRPSEC_SIGN_KEY_LEN];
	uint8_t s_auth[GRPSEC_SECRET_LEN], s_e2e[GRPSEC_SECRET_LEN];
	uint8_t up_secret[GRPSEC_SECRET_LEN], wrap_secret[GRPSEC_SECRET_LEN];
	uint8_t key[GRPSEC_KEY_MAX_LEN];	/* command: K_G[e]; rekey: K_wrap,m */
	size_t key_len;
	uint8_t nonce[GRPSEC_NONCE_LEN];
	uint8_t pt[GRPSEC_REKEY_KEYS_MAX_LEN + 64];	/* payload or key material */
	size_t pt_len;
	uint8_t body[GRPSEC_BODY_MAX_LEN];
	size_t body_len;
	uint8_t k_up[GRPSEC_KEY_MAX_LEN];
	size_t up_key_len;
	uint32_t gateway;
	uint64_t dl_seq;
	uint8_t downlink[GRPSEC_DOWNLINK_MAX_LEN];
	size_t downlink_len;
	uint8_t k_m[GRPSEC_KEY_MAX_LEN];
	size_t km_len;
	uint64_t gw_seq;
	uint8_t frame[GRPSEC_MFRAME_MAX_LEN];
	size_t frame_len;
};

#define KEYS_M		1
#define KEYS_G		2
#define KEYS_E		4

#define CMD(n, su, mo, up, fl, grp) { .name = n, .type = GRPSEC_TYPE_COMMAND, .suite = su, \
	.mode = mo, .up_suite = up, .flags = fl, .to_group = grp }
#define REKEY(n, su, mo, k, lim) { .name = n, .type = GRPSEC_TYPE_REKEY, .suite = su, \
	.mode = mo, .up_suite = su, .keys = k, .msg_limit = lim }
#define F_GROUP		GRPSEC_MFRAME_FLAG_GROUP
#define F_GATEWAY	GRPSEC_MFRAME_FLAG_GATEWAY

static const struct dl_spec dl_specs[] = {
	CMD("command-aes-128-gcm-anonymous", 1, 0, 1, F_GROUP, 1),
	REKEY("rekey-aes-128-gcm-anonymous", 1, 0, KEYS_M | KEYS_G, 0),
	CMD("command-aes-128-gcm-anonymous-unicast", 1, 0, 1, 0, 0),
	CMD("command-aes-256-gcm-identified-unicast", 2, 1, 2, 0, 0),
	CMD("command-chacha20-poly1305-identified", 3, 1, 3, F_GROUP, 1),
	CMD("command-aes-128-gcm-anonymous-gateway", 1, 0, 0, F_GATEWAY | F_GROUP, 1),
	CMD("command-aes-256-gcm-anonymous-gateway-unicast", 2, 0, 0, F_GATEWAY, 0),
	REKEY("rekey-aes-256-gcm-identified-2", 2, 1, KEYS_M | KEYS_E, 1ULL << 20),
	REKEY("rekey-chacha20-poly1305-identified-3", 3, 1, KEYS_M | KEYS_G | KEYS_E,
	      1ULL << 32),
};

#define N_DL		(sizeof(dl_specs) / sizeof(dl_specs[0]))

/* A command's body in a multicast frame: member 0, epoch 0, no tag. */
struct mc_vec {
	const char *name;
	const struct dl_vec *from;	/* the command vector */
	uint64_t gw_seq;
	uint8_t frame[GRPSEC_MFRAME_MAX_LEN];
	size_t frame_len;
};

/* Terminate mode: an uplink's message as the gateway delivers it locally. */
struct deliver_vec {
	const char *name;
	const struct uplink_vec *from;
	uint8_t datagram[24 + GRPSEC_MAX_PAYLOAD];
	size_t len;
};

/* A downlink the gateway drops: at parse time or at its K_up check. */
struct dl_reject_vec {
	const char *name;
	const struct dl_vec *from;
	const char *stage;		/* parse or verify */
	const char *expect_name;
	int expect;
	uint8_t frame[GRPSEC_DOWNLINK_MAX_LEN + 1];
	size_t len;
};

/*
 * A type 4/5 frame a member drops: at parse time, at the frame's checks
 * (grpsec_member_open_frame()) or at the body's (command or rekey).
 */
struct mf_reject_vec {
	const char *name;
	const struct dl_vec *from;	/* the group, keys and body it is made of */
	const char *stage;		/* parse, frame or body */
	const char *expect_name;
	int expect;
	uint32_t member;		/* who receives it */
	uint8_t k_m[GRPSEC_KEY_MAX_LEN];	/* that member's K_m[e] */
	uint8_t frame[GRPSEC_MFRAME_MAX_LEN + 1];
	size_t len;
};

#define N_DL_REJ	14
#define N_MF_REJ	12

struct all {
	struct kdf_vec kdf[N_KDF];
	struct uplink_vec up[N_UPLINK];
	struct reject_vec rej[N_REJ];
	unsigned int n_rej;
	struct batch_vec batch[N_BATCH];
	struct dl_vec dl[N_DL];
	struct mc_vec mc;
	struct deliver_vec deliver;
	struct dl_reject_vec dl_rej[N_DL_REJ];
	unsigned int n_dl_rej;
	struct mf_reject_vec mf_rej[N_MF_REJ];
	unsigned int n_mf_rej;
};

static void fill(uint8_t *p, size_t len, uint8_t start)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(start + i);
}

static uint32_t group_of(unsigned int suite, unsigned int mode)
{
	return 0x10000000U | suite << 8 | mode;
}

static const char *const kind_names[] = { "empty", "short", "max" };

static int make_kdf(struct all *a)
{
	static const char *const kinds[] = { "member", "e2e", "upstream" };
	unsigned int i = 0;
	int err;

	for (unsigned int suite = 1; suite <= N_SUITES; suite++) {
		for (unsigned int k = 0; k < 3; k++, i++) {
			struct kdf_vec *v = &a->kdf[i];

			v->kind = kinds[k];
			v->kind_id = k;
			v->suite = suite;
			v->key_len = grpsec_suite_key_len(suite);
			snprintf(v->name, sizeof(v->name), "kdf-%s-%s", kinds[k],
				 grpsec_suite_name(suite));
			fill(v->secret, sizeof(v->secret), k == 0 ? 0x00 : k == 1 ? 0x20 : 0x60);
			if (k == 2) {
				v->gateway = GATEWAY;
				err = grpsec_kdf_upstream_key(suite, v->secret, v->gateway,
							      v->key, v->key_len);
			} else {
				v->group = group_of(suite, GRPSEC_MODE_IDENTIFIED);
				v->epoch = EPOCH;
				v->member = 0x00001001;
				err = (k == 0 ? grpsec_kdf_member_key : grpsec_kdf_e2e_key)
					(suite, v->secret, v->group, v->epoch, v->member,
					 v->key, v->key_len);
			}
			if (err)
				return err;
		}
	}
	/* K_wrap,m: no suite (always 32 bytes, AES-256-GCM). */
	a->kdf[i] = (struct kdf_vec){
		.name = "kdf-wrap", .kind = "wrap", .kind_id = 3, .member = 0x00001001,
		.key_len = GRPSEC_WRAP_KEY_LEN,
	};
	fill(a->kdf[i].secret, sizeof(a->kdf[i].secret), 0xc0);
	return grpsec_kdf_wrap_key(a->kdf[i].secret, a->kdf[i].member, a->kdf[i].key);
}

static int make_uplinks(struct all *a)
{
	static const uint64_t seqs[] = { 1, 0x0102030405060708ULL, 0x100000000ULL };
	uint8_t s_auth[GRPSEC_SECRET_LEN], s_e2e[GRPSEC_SECRET_LEN];
	unsigned int i = 0;
	int err;

	fill(s_auth, sizeof(s_auth), 0x00);
	fill(s_e2e, sizeof(s_e2e), 0x20);
	for (unsigned int suite = 1; suite <= N_SUITES; suite++) {
		for (unsigned int mode = 0; mode <= 1; mode++) {
			for (unsigned int k = 0; k < 3; k++, i++) {
				struct uplink_vec *v = &a->up[i];
				struct grpsec_member_config cfg = { 0 };
				struct grpsec_member *m;
				uint8_t nonce[GRPSEC_NONCE_LEN];

				v->suite = suite;
				v->mode = mode;
				v->group = group_of(suite, mode);
				v->epoch = EPOCH;
				v->member = 0x00001001 + i;
				v->seq = seqs[k];
				v->key_len = grpsec_suite_key_len(suite);
				snprintf(v->name, sizeof(v->name), "uplink-%s-%s-%s",
					 grpsec_suite_name(suite), grpsec_mode_name(mode),
					 kind_names[k]);
				err = grpsec_kdf_member_key(suite, s_auth, v->group, v->epoch,
							    v->member, v->k_m, v->key_len);
				if (err)
					return err;
				if (mode == GRPSEC_MODE_IDENTIFIED)
					err = grpsec_kdf_e2e_key(suite, s_e2e, v->group, v->epoch,
								 v->member, v->k_inner,
								 v->key_len);
				else
					fill(v->k_inner, v->key_len, 0x40);
				if (err)
					return err;
				if (k == 1) {
					v->payload_len = sizeof(short_payload) - 1;
					memcpy(v->payload, short_payload, v->payload_len);
				} else if (k == 2) {
					v->payload_len = GRPSEC_MAX_PAYLOAD;
					for (size_t j = 0; j < v->payload_len; j++)
						v->payload[j] = (uint8_t)j;
				}
				cfg.group = v->group;
				cfg.member = v->member;
				cfg.epoch = v->epoch;
				cfg.mode = mode;
				cfg.suite = suite;
				cfg.member_key = v->k_m;
				cfg.inner_key = v->k_inner;
				cfg.seq_reserved = v->seq - 1;
				err = grpsec_member_new(&cfg, &m);
				if (err)
					return err;
				fill(nonce, sizeof(nonce), 0xa0);
				nonce[11] ^= (uint8_t)i;
				if (mode == GRPSEC_MODE_ANONYMOUS)
					err = grpsec_member_seal_uplink_nonce(m, nonce, v->payload,
						v->payload_len, v->frame, sizeof(v->frame),
						&v->frame_len);
				else
					err = grpsec_member_seal_uplink(m, v->payload,
						v->payload_len, v->frame, sizeof(v->frame),
						&v->frame_len);
				grpsec_member_free(m);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

static struct reject_vec *add_reject(struct all *a, const char *name,
				     const struct uplink_vec *base, const char *stage,
				     int expect, const char *expect_name)
{
	struct reject_vec *r = &a->rej[a->n_rej++];

	r->name = name;
	r->based_on = base->name;
	r->stage = stage;
	r->expect = expect;
	r->expect_name = expect_name;
	r->mode = base->mode;
	r->k_m = base->k_m;
	r->key_len = base->key_len;
	memcpy(r->frame, base->frame, base->frame_len);
	r->frame_len = base->frame_len;
	return r;
}

#define REJECT(name, base, stage, err) add_reject(a, name, base, stage, err, #err)

static void make_rejects(struct all *a)
{
	const struct uplink_vec *empty = &a->up[0], *sh = &a->up[1], *max = &a->up[2];
	const struct uplink_vec *id_sh = &a->up[4];	/* aes-128-gcm identified short */
	struct reject_vec *r;

	r = REJECT("reject-truncated", empty, "parse", -EMSGSIZE);
	r->frame_len--;
	r = REJECT("reject-too-long", max, "parse", -EMSGSIZE);
	r->frame[r->frame_len++] = 0;
	r = REJECT("reject-version-0", sh, "parse", -EPROTONOSUPPORT);
	r->frame[0] = 0;
	r = REJECT("reject-version-3", sh, "parse", -EPROTONOSUPPORT);
	r->frame[0] = 3;
	/*
	 * The same frame laid out as version 1 had it: nonce, ciphertext,
	 * inner tag.  Its tags are this frame's (the generator has no AEAD of
	 * its own to make version 1 ones), which does not matter: a receiver
	 * refuses it for its version before any tag.
	 */
	r = REJECT("reject-version-1", sh, "parse", -EPROTONOSUPPORT);
	r->frame[0] = 1;
	memcpy(r->frame + GRPSEC_HDR_LEN + GRPSEC_NONCE_LEN,
	       sh->frame + GRPSEC_UPLINK_HEAD_LEN, sh->payload_len);
	memcpy(r->frame + GRPSEC_HDR_LEN + GRPSEC_NONCE_LEN + sh->payload_len,
	       sh->frame + GRPSEC_HDR_LEN + GRPSEC_INNER_TAG_OFFSET, GRPSEC_TAG_LEN);
	r = REJECT("reject-type-batch", sh, "parse", -EPROTO);
	r->frame[1] = GRPSEC_TYPE_BATCH;
	r = REJECT("reject-flags", sh, "parse", -EPROTO);
	r->frame[3] = 0x80;
	r = REJECT("reject-suite-0", sh, "parse", -EPROTO);
	r->frame[2] = 0;
	r = REJECT("reject-suite-4", sh, "parse", -EPROTO);
	r->frame[2] = 4;
	r = REJECT("reject-group-0", sh, "parse", -EPROTO);
	memset(r->frame + 4, 0, 4);
	r = REJECT("reject-member-0", sh, "parse", -EPROTO);
	memset(r->frame + 12, 0, 4);
	r = REJECT("reject-seq-0", sh, "parse", -EPROTO);
	memset(r->frame + 16, 0, 8);
	r = REJECT("reject-outer-tag", sh, "verify", -EBADMSG);
	r->frame[r->frame_len - 1] ^= 0x01;
	r = REJECT("reject-header-epoch", sh, "verify", -EBADMSG);
	r->frame[11] ^= 0x01;
	/* Anonymous: the outer tag covers the ciphertext. */
	r = REJECT("reject-inner-ciphertext", sh, "verify", -EBADMSG);
	r->frame[GRPSEC_UPLINK_HEAD_LEN] ^= 0x80;
	r = REJECT("reject-inner-tag", sh, "verify", -EBADMSG);
	r->frame[GRPSEC_HDR_LEN + GRPSEC_INNER_TAG_OFFSET] ^= 0x01;
	/* Identified: it covers the inner nonce and tag, not the ciphertext. */
	r = REJECT("reject-identified-inner-tag", id_sh, "verify", -EBADMSG);
	r->frame[GRPSEC_HDR_LEN + GRPSEC_INNER_TAG_OFFSET + GRPSEC_TAG_LEN - 1] ^= 0x01;
	r = REJECT("reject-identified-inner-nonce", id_sh, "verify", -EBADMSG);
	r->frame[GRPSEC_HDR_LEN + GRPSEC_NONCE_LEN - 1] ^= 0x01;
}

/* Index into a->up of (suite, mode, kind). */
static const struct uplink_vec *up(const struct all *a, unsigned int suite,
				   unsigned int mode, unsigned int kind)
{
	return &a->up[(suite - 1) * 6 + mode * 3 + kind];
}

static int make_batches(struct all *a)
{
	uint8_t secret[GRPSEC_SECRET_LEN];
	int err;

	fill(secret, sizeof(secret), 0x60);
	a->batch[0] = (struct batch_vec){
		.name = "batch-aes-128-gcm-mixed-3", .suite = 1, .count = 3,
		.from = { up(a, 1, 0, 1), up(a, 3, 1, 1), up(a, 2, 1, 0) },
	};
	a->batch[1] = (struct batch_vec){
		.name = "batch-aes-256-gcm-max-2", .suite = 2, .count = 2,
		.from = { up(a, 2, 0, 2), up(a, 1, 1, 2) },
	};
	a->batch[2] = (struct batch_vec){
		.name = "batch-chacha20-poly1305-1", .suite = 3, .count = 1,
		.from = { up(a, 3, 0, 0) },
	};
	a->batch[3] = (struct batch_vec){
		.name = "batch-aes-128-gcm-identified-2", .suite = 1, .count = 2,
		.from = { up(a, 1, 1, 1), up(a, 2, 1, 2) },
	};
	for (unsigned int i = 0; i < N_BATCH; i++) {
		struct batch_vec *b = &a->batch[i];
		struct grpsec_batch_builder bb;

		b->gateway = GATEWAY;
		b->seq = BATCH_SEQ_BASE + i;
		b->key_len = grpsec_suite_key_len(b->suite);
		err = grpsec_kdf_upstream_key(b->suite, secret, b->gateway, b->k_up, b->key_len);
		if (err)
			return err;
		err = grpsec_batch_init(&bb, b->batch, sizeof(b->batch), b->gateway, b->suite);
		for (unsigned int j = 0; !err && j < b->count; j++) {
			struct grpsec_uplink u;

			err = grpsec_uplink_parse(b->from[j]->frame, b->from[j]->frame_len, &u);
			if (!err)
				err = grpsec_batch_add_uplink(&bb, b->from[j]->mode, &u);
		}
		if (!err)
			err = grpsec_batch_seal(&bb, b->seq, b->k_up, &b->batch_len);
		if (err)
			return err;
	}
	return 0;
}

/* The key material of a rekey, as the spec lays it out (for the record). */
static void rekey_material(struct dl_vec *v, struct grpsec_rekey_keys *k,
			   const uint8_t *km, const uint8_t *kg, const uint8_t *ke)
{
	size_t kl = v->km_len, off = GRPSEC_REKEY_KEYS_HDR_LEN;

	k->epoch = v->body_epoch;
	k->suite = v->s.suite;
	k->mode = v->s.mode;
	k->group_flags = v->s.keys & KEYS_G ? GRPSEC_GROUP_COMMANDS : 0;
	k->msg_limit = v->s.msg_limit;
	k->member_key = km;
	k->group_key = v->s.keys & KEYS_G ? kg : NULL;
	k->e2e_key = v->s.keys & KEYS_E ? ke : NULL;
	memset(v->pt, 0, sizeof(v->pt));
	v->pt[0] = (uint8_t)v->s.suite;
	v->pt[1] = (uint8_t)v->s.mode;
	v->pt[2] = (v->s.keys & KEYS_G ? GRPSEC_REKEY_HAS_GROUP_KEY : 0) |
		   (v->s.keys & KEYS_E ? GRPSEC_REKEY_HAS_E2E_KEY : 0);
	for (int i = 0; i < 8; i++)
		v->pt[4 + i] = (uint8_t)(v->s.msg_limit >> (56 - 8 * i));
	memcpy(v->pt + off, km, kl);
	off += kl;
	if (k->group_key) {
		memcpy(v->pt + off, kg, kl);
		off += kl;
	}
	if (k->e2e_key) {
		memcpy(v->pt + off, ke, kl);
		off += kl;
	}
	v->pt_len = off;
}

static int make_body(struct dl_vec *v, const struct grpsec_signer *signer)
{
	static const char cmd[] = "grpsec v2 test command";
	uint8_t km[GRPSEC_KEY_MAX_LEN], kg[GRPSEC_KEY_MAX_LEN], ke[GRPSEC_KEY_MAX_LEN];
	struct grpsec_command_params p = { 0 };
	struct grpsec_rekey_keys k = { 0 };
	int err;

	if (v->s.type == GRPSEC_TYPE_COMMAND) {
		v->key_len = v->km_len;
		fill(v->key, v->key_len, 0x40);
		v->pt_len = sizeof(cmd) - 1;
		memcpy(v->pt, cmd, v->pt_len);
		p.suite = v->s.suite;
		p.mode = v->s.mode;
		p.group = v->group;
		p.recipient = v->recipient;
		p.epoch = v->body_epoch;
		p.seq = v->seq;
		p.group_key = v->key;
		p.nonce = v->nonce;
		return grpsec_command_seal(&p, v->s.up_suite ? signer : NULL, v->pt, v->pt_len,
					   v->body, sizeof(v->body), &v->body_len);
	}
	v->key_len = GRPSEC_WRAP_KEY_LEN;
	err = grpsec_kdf_wrap_key(v->wrap_secret, v->member, v->key);
	if (!err)
		err = grpsec_kdf_member_key(v->s.suite, v->s_auth, v->group, v->body_epoch,
					    v->member, km, v->km_len);
	if (!err)
		err = grpsec_kdf_e2e_key(v->s.suite, v->s_e2e, v->group, v->body_epoch,
					 v->member, ke, v->km_len);
	fill(kg, sizeof(kg), 0x50);
	rekey_material(v, &k, km, kg, ke);
	if (!err)
		err = grpsec_rekey_seal(signer, v->key, v->group, v->member, v->seq, &k,
					v->nonce, v->body, sizeof(v->body), &v->body_len);
	return err;
}

static int make_downlinks(struct all *a)
{
	struct grpsec_signer *signer = NULL;
	int err;

	for (unsigned int i = 0; i < N_DL; i++) {
		struct dl_vec *v = &a->dl[i];
		bool rekey;

		v->s = dl_specs[i];
		rekey = v->s.type == GRPSEC_TYPE_REKEY;
		v->group = group_of(v->s.suite, v->s.mode);
		v->member = 0x00001001;
		v->recipient = rekey || !v->s.to_group ? v->member : 0;
		v->epoch = EPOCH;
		v->seq = rekey ? 1 + i : 0x0000000100000001ULL + i;
		v->body_epoch = rekey ? EPOCH + 1 : EPOCH;
		v->gateway = GATEWAY;
		v->dl_seq = BATCH_SEQ_BASE + 10 + i;
		v->gw_seq = BATCH_SEQ_BASE + 20 + i;
		v->km_len = grpsec_suite_key_len(v->s.suite);
		fill(v->sign_priv, sizeof(v->sign_priv), 0x80);
		fill(v->nonce, sizeof(v->nonce), (uint8_t)(0xb0 + 0x10 * (i % 4) + i / 4));
		fill(v->s_auth, sizeof(v->s_auth), 0x00);
		fill(v->s_e2e, sizeof(v->s_e2e), 0x20);
		fill(v->up_secret, sizeof(v->up_secret), 0x60);
		fill(v->wrap_secret, sizeof(v->wrap_secret), 0xc0);
		err = grpsec_kdf_member_key(v->s.suite, v->s_auth, v->group, v->epoch, v->member,
					    v->k_m, v->km_len);
		if (!err && v->s.up_suite) {
			v->up_key_len = grpsec_suite_key_len(v->s.up_suite);
			err = grpsec_kdf_upstream_key(v->s.up_suite, v->up_secret, v->gateway,
						      v->k_up, v->up_key_len);
		}
		if (!err)
			err = grpsec_signer_new(v->sign_priv, &signer);
		if (!err)
			err = grpsec_signer_public(signer, v->sign_pub);
		if (!err)
			err = make_body(v, signer);
		grpsec_signer_free(signer);
		signer = NULL;
		if (!err && v->s.up_suite)
			err = grpsec_downlink_build(v->s.up_suite, v->k_up, v->gateway, v->dl_seq,
						    v->group, v->recipient,
						    rekey ? GRPSEC_DOWNLINK_KIND_REKEY :
						    GRPSEC_DOWNLINK_KIND_COMMAND, v->body,
						    v->body_len, v->downlink, sizeof(v->downlink),
						    &v->downlink_len);
		if (!err)
			err = grpsec_member_frame_build(v->s.type, v->s.suite, v->s.flags, v->group,
							v->member, v->epoch, v->gw_seq, v->k_m,
							v->body, v->body_len, v->frame,
							sizeof(v->frame), &v->frame_len);
		if (err)
			return err;
	}
	return 0;
}

static int make_multicast(struct all *a)
{
	struct mc_vec *v = &a->mc;

	v->name = "multicast-aes-128-gcm-anonymous";
	v->from = &a->dl[0];
	v->gw_seq = BATCH_SEQ_BASE + 22;
	return grpsec_member_frame_build(GRPSEC_TYPE_COMMAND, v->from->s.suite,
					 GRPSEC_MFRAME_FLAG_MULTICAST | GRPSEC_MFRAME_FLAG_GROUP,
					 v->from->group, 0, 0,
					 v->gw_seq, NULL, v->from->body, v->from->body_len,
					 v->frame, sizeof(v->frame), &v->frame_len);
}

/* The delivery datagram of the short anonymous aes-128-gcm uplink. */
static int make_deliver(struct all *a)
{
	struct deliver_vec *d = &a->deliver;
	const struct uplink_vec *u = &a->up[1];
	struct grpsec_uplink p;
	size_t n;
	int err;

	d->name = "deliver-aes-128-gcm-anonymous";
	d->from = u;
	err = grpsec_uplink_parse(u->frame, u->frame_len, &p);
	if (!err)
		err = grpsec_inner_open(u->mode, u->suite, u->group, u->epoch, 0, u->k_inner,
					p.inner, p.inner_len, d->datagram + 24, &n);
	if (err)
		return err;
	/* The uplink header with the inner part's plaintext after it. */
	memcpy(d->datagram, u->frame, 24);
	d->len = 24 + n;
	return 0;
}

static struct dl_reject_vec *dl_reject(struct all *a, const char *name, const struct dl_vec *v,
				       const char *stage, int expect, const char *expect_name)
{
	struct dl_reject_vec *r = &a->dl_rej[a->n_dl_rej++];

	r->name = name;
	r->from = v;
	r->stage = stage;
	r->expect = expect;
	r->expect_name = expect_name;
	memcpy(r->frame, v->downlink, v->downlink_len);
	r->len = v->downlink_len;
	return r;
}

#define DL_REJECT(name, v, stage, err) dl_reject(a, name, v, stage, err, #err)

static void make_dl_rejects(struct all *a)
{
	const struct dl_vec *cmd = &a->dl[0], *rk = &a->dl[1];
	struct dl_reject_vec *r;

	r = DL_REJECT("downlink-reject-truncated", cmd, "parse", -EMSGSIZE);
	r->len--;
	r = DL_REJECT("downlink-reject-body-length", cmd, "parse", -EMSGSIZE);
	r->frame[27]++;
	r = DL_REJECT("downlink-reject-version-1", cmd, "parse", -EPROTONOSUPPORT);
	r->frame[0] = 1;
	r = DL_REJECT("downlink-reject-type-command", cmd, "parse", -EPROTO);
	r->frame[1] = GRPSEC_TYPE_COMMAND;
	r = DL_REJECT("downlink-reject-flags", cmd, "parse", -EPROTO);
	r->frame[3] = 0x01;
	r = DL_REJECT("downlink-reject-suite-4", cmd, "parse", -EPROTO);
	r->frame[2] = 4;
	r = DL_REJECT("downlink-reject-seq-0", cmd, "parse", -EPROTO);
	memset(r->frame + 8, 0, 8);
	r = DL_REJECT("downlink-reject-group-0", cmd, "parse", -EPROTO);
	memset(r->frame + 16, 0, 4);
	r = DL_REJECT("downlink-reject-kind-3", cmd, "parse", -EPROTO);
	r->frame[24] = 3;
	r = DL_REJECT("downlink-reject-reserved", cmd, "parse", -EPROTO);
	r->frame[25] = 1;
	r = DL_REJECT("downlink-reject-rekey-member-0", rk, "parse", -EPROTO);
	memset(r->frame + 20, 0, 4);
	r = DL_REJECT("downlink-reject-other-gateway", cmd, "verify", -EPROTO);
	r->frame[7] ^= 0x01;
	r = DL_REJECT("downlink-reject-tag", cmd, "verify", -EBADMSG);
	r->frame[r->len - 1] ^= 0x01;
	r = DL_REJECT("downlink-reject-member-changed", cmd, "verify", -EBADMSG);
	r->frame[23] = 0x01;
}

/* A type 4/5 frame for @member made of @v's body, tagged under its K_m[e]. */
static struct mf_reject_vec *mf_reject(struct all *a, const char *name, const struct dl_vec *v,
				       uint32_t member, unsigned int flags, const char *stage,
				       int expect, const char *expect_name)
{
	struct mf_reject_vec *r = &a->mf_rej[a->n_mf_rej++];
	bool mcast = flags & GRPSEC_MFRAME_FLAG_MULTICAST, valid;

	r->name = name;
	r->from = v;
	r->stage = stage;
	r->expect = expect;
	r->expect_name = expect_name;
	r->member = member;
	if (grpsec_kdf_member_key(v->s.suite, v->s_auth, v->group, v->epoch, member, r->k_m,
				  v->km_len))
		return NULL;
	/*
	 * Flags no builder sets go in afterwards, over a frame built without
	 * them: such a frame is refused at parse time, before its tag counts.
	 */
	valid = grpsec_mframe_flags_valid(v->s.type, flags);
	if (grpsec_member_frame_build(v->s.type, v->s.suite, valid ? flags : 0, v->group,
				      mcast ? 0 : member, mcast ? 0 : v->epoch,
				      v->gw_seq + 100 + a->n_mf_rej, r->k_m, v->body, v->body_len,
				      r->frame, sizeof(r->frame), &r->len))
		return NULL;
	r->frame[3] = (uint8_t)flags;
	return r;
}

#define MF_REJECT(name, v, member, flags, stage, err) \
	mf_reject(a, name, v, member, flags, stage, err, #err)
#define MCAST	(GRPSEC_MFRAME_FLAG_MULTICAST | GRPSEC_MFRAME_FLAG_GROUP)

static int make_mf_rejects(struct all *a)
{
	const struct dl_vec *grp = &a->dl[0], *rk = &a->dl[1], *uni = &a->dl[2];
	uint32_t m = uni->member, other = uni->member + 1;
	struct mf_reject_vec *r;

	/* Addressing: bodies go to whom they were signed for, and no further. */
	if (!MF_REJECT("member-frame-reject-unicast-body-multicast", uni, other, MCAST,
		       "body", -EBADMSG) ||
	    !MF_REJECT("member-frame-reject-unicast-body-readdressed", uni, other, 0,
		       "body", -EBADMSG) ||
	    !MF_REJECT("member-frame-reject-unicast-body-as-group-body", uni, other,
		       GRPSEC_MFRAME_FLAG_GROUP, "body", -EBADMSG) ||
	    !MF_REJECT("member-frame-reject-group-body-as-unicast-body", grp, m, 0, "body",
		       -EBADMSG))
		return -EIO;
	/* Flags. */
	r = MF_REJECT("member-frame-reject-multicast-without-group-flag", grp, m, MCAST,
		      "parse", -EPROTO);
	if (!r)
		return -EIO;
	r->frame[3] = GRPSEC_MFRAME_FLAG_MULTICAST;
	r = MF_REJECT("member-frame-reject-multicast-gateway", grp, m, MCAST, "parse", -EPROTO);
	if (!r)
		return -EIO;
	r->frame[3] |= GRPSEC_MFRAME_FLAG_GATEWAY;
	if (!MF_REJECT("member-frame-reject-unknown-flag", grp, m, GRPSEC_MFRAME_FLAG_GROUP | 0x08,
		       "parse", -EPROTO) ||
	    !MF_REJECT("member-frame-reject-rekey-flag", rk, m, GRPSEC_MFRAME_FLAG_GROUP, "parse",
		       -EPROTO))
		return -EIO;
	/* Structure and the frame's own checks. */
	r = MF_REJECT("member-frame-reject-truncated", grp, m, GRPSEC_MFRAME_FLAG_GROUP, "parse",
		      -EMSGSIZE);
	if (!r)
		return -EIO;
	r->len--;
	r = MF_REJECT("member-frame-reject-version-1", grp, m, GRPSEC_MFRAME_FLAG_GROUP, "parse",
		      -EPROTONOSUPPORT);
	if (!r)
		return -EIO;
	r->frame[0] = 1;
	r = MF_REJECT("member-frame-reject-tag", grp, m, GRPSEC_MFRAME_FLAG_GROUP, "frame",
		      -EBADMSG);
	if (!r)
		return -EIO;
	r->frame[r->len - 1] ^= 0x01;
	/* A frame for member m, received by another member. */
	r = MF_REJECT("member-frame-reject-other-member", grp, m, GRPSEC_MFRAME_FLAG_GROUP,
		      "frame", -EPROTO);
	if (!r)
		return -EIO;
	r->member = other;
	return grpsec_kdf_member_key(grp->s.suite, grp->s_auth, grp->group, grp->epoch, other,
				     r->k_m, grp->km_len);
}

/* Text output */

static void hex_line(FILE *f, const char *key, const uint8_t *p, size_t len)
{
	fprintf(f, "%s:%s", key, len ? " " : "");
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x", p[i]);
	fputc('\n', f);
}

static void write_txt(FILE *f, const struct all *a)
{
	uint8_t secret[GRPSEC_SECRET_LEN];

	fputs("# grpsec wire format version 2: test vectors.\n"
	      "# Specification: Documentation/frames.rst and Documentation/keys.rst.\n"
	      "# Generated by userspace/lib/tests/gen-vectors (make -C userspace vectors);\n"
	      "# do not edit.  The same data is in v2_vectors.h for C code.\n"
	      "#\n"
	      "# Records are separated by blank lines; each line is \"field: value\".\n"
	      "# Numbers are decimal, byte strings lowercase hex (empty: nothing after\n"
	      "# the colon).  Record kinds: kdf (labels member, e2e, upstream, wrap),\n"
	      "# uplink, uplink-reject, batch, command and rekey (each: body, downlink\n"
	      "# frame unless the gateway originated it, type 4/5 frame), multicast (a\n"
	      "# command record's body in a multicast type 4 frame: no tag), deliver\n"
	      "# (terminate mode's local datagram), downlink-reject, member-frame-reject.\n"
	      "# Every input is in its record: k_m and k_e2e are derived from s_auth and\n"
	      "# s_e2e (the kdf records' secrets), k_up from up_secret, k_wrap from\n"
	      "# wrap_secret.  What each record kind means, its stages and expect\n"
	      "# values: frames.rst, \"Test vectors\".\n", f);
	for (unsigned int i = 0; i < N_KDF; i++) {
		const struct kdf_vec *v = &a->kdf[i];

		fprintf(f, "\nkind: kdf\nname: %s\nlabel: %s\n", v->name, v->kind);
		if (v->suite)
			fprintf(f, "suite: %u\n", v->suite);
		hex_line(f, "secret", v->secret, sizeof(v->secret));
		if (v->kind_id == 2)
			fprintf(f, "gateway: %u\n", v->gateway);
		else if (v->kind_id == 3)
			fprintf(f, "member: %u\n", v->member);
		else
			fprintf(f, "group: %u\nepoch: %u\nmember: %u\n", v->group, v->epoch,
				v->member);
		hex_line(f, "key", v->key, v->key_len);
	}
	for (unsigned int i = 0; i < N_UPLINK; i++) {
		const struct uplink_vec *v = &a->up[i];

		fprintf(f, "\nkind: uplink\nname: %s\nsuite: %u\nmode: %s\ngroup: %u\n"
			"epoch: %u\nmember: %u\nseq: %llu\n", v->name, v->suite,
			grpsec_mode_name(v->mode), v->group, v->epoch, v->member,
			(unsigned long long)v->seq);
		fill(secret, sizeof(secret), 0x00);
		hex_line(f, "s_auth", secret, sizeof(secret));
		hex_line(f, "k_m", v->k_m, v->key_len);
		if (v->mode) {
			fill(secret, sizeof(secret), 0x20);
			hex_line(f, "s_e2e", secret, sizeof(secret));
		}
		hex_line(f, v->mode ? "k_e2e" : "k_g", v->k_inner, v->key_len);
		hex_line(f, "inner_nonce", v->frame + GRPSEC_HDR_LEN, GRPSEC_NONCE_LEN);
		hex_line(f, "payload", v->payload, v->payload_len);
		hex_line(f, "frame", v->frame, v->frame_len);
	}
	for (unsigned int i = 0; i < a->n_rej; i++) {
		const struct reject_vec *r = &a->rej[i];

		fprintf(f, "\nkind: uplink-reject\nname: %s\nbased_on: %s\nmode: %s\nstage: %s\n"
			"expect: %s\n", r->name, r->based_on, grpsec_mode_name(r->mode), r->stage,
			r->expect_name);
		hex_line(f, "k_m", r->k_m, r->key_len);
		hex_line(f, "frame", r->frame, r->frame_len);
	}
	for (unsigned int i = 0; i < N_BATCH; i++) {
		const struct batch_vec *b = &a->batch[i];

		fprintf(f, "\nkind: batch\nname: %s\nsuite: %u\ngateway: %u\nbatch_seq: %llu\n",
			b->name, b->suite, b->gateway, (unsigned long long)b->seq);
		hex_line(f, "k_up", b->k_up, b->key_len);
		fprintf(f, "count: %u\n", b->count);
		for (unsigned int j = 0; j < b->count; j++) {
			const struct uplink_vec *u = b->from[j];
			char key[32];

			fprintf(f, "entry.%u.from: %s\nentry.%u.mode: %s\nentry.%u.suite: %u\n"
				"entry.%u.group: %u\nentry.%u.epoch: %u\nentry.%u.member: %u\n",
				j, u->name, j, grpsec_mode_name(u->mode), j, u->suite, j,
				u->group, j, u->epoch, j, u->mode ? u->member : 0);
			snprintf(key, sizeof(key), "entry.%u.%s", j, u->mode ? "k_e2e" : "k_g");
			hex_line(f, key, u->k_inner, u->key_len);
			snprintf(key, sizeof(key), "entry.%u.inner", j);
			hex_line(f, key, u->frame + GRPSEC_HDR_LEN,
				 u->frame_len - GRPSEC_HDR_LEN - GRPSEC_TAG_LEN);
			snprintf(key, sizeof(key), "entry.%u.payload", j);
			hex_line(f, key, u->payload, u->payload_len);
		}
		hex_line(f, "batch", b->batch, b->batch_len);
	}
	for (unsigned int i = 0; i < N_DL; i++) {
		const struct dl_vec *v = &a->dl[i];
		bool rekey = v->s.type == GRPSEC_TYPE_REKEY;

		fprintf(f, "\nkind: %s\nname: %s\nsuite: %u\nmode: %s\ngroup: %u\nmember: %u\n",
			rekey ? "rekey" : "command", v->s.name, v->s.suite,
			grpsec_mode_name(v->s.mode), v->group, v->member);
		if (!rekey)
			fprintf(f, "recipient: %u\norigin: %s\n", v->recipient,
				v->s.up_suite ? "backend" : "gateway");
		fprintf(f, "flags: %u\nepoch: %u\nbody_epoch: %u\nseq: %llu\n", v->s.flags,
			v->epoch, v->body_epoch, (unsigned long long)v->seq);
		hex_line(f, "s_auth", v->s_auth, sizeof(v->s_auth));
		if (rekey) {
			hex_line(f, "s_e2e", v->s_e2e, sizeof(v->s_e2e));
			hex_line(f, "wrap_secret", v->wrap_secret, sizeof(v->wrap_secret));
			fprintf(f, "msg_limit: %llu\n", (unsigned long long)v->s.msg_limit);
		}
		if (v->s.up_suite) {
			hex_line(f, "sign_priv", v->sign_priv, sizeof(v->sign_priv));
			hex_line(f, "sign_pub", v->sign_pub, sizeof(v->sign_pub));
		}
		hex_line(f, rekey ? "k_wrap" : "k_g", v->key, v->key_len);
		hex_line(f, "nonce", v->nonce, sizeof(v->nonce));
		hex_line(f, rekey ? "key_material" : "payload", v->pt, v->pt_len);
		hex_line(f, "body", v->body, v->body_len);
		if (v->s.up_suite) {
			fprintf(f, "up_suite: %u\n", v->s.up_suite);
			hex_line(f, "up_secret", v->up_secret, sizeof(v->up_secret));
			fprintf(f, "gateway: %u\ndownlink_seq: %llu\ndownlink_member: %u\n",
				v->gateway, (unsigned long long)v->dl_seq, v->recipient);
			hex_line(f, "k_up", v->k_up, v->up_key_len);
			hex_line(f, "downlink", v->downlink, v->downlink_len);
		}
		fprintf(f, "gateway_seq: %llu\n", (unsigned long long)v->gw_seq);
		hex_line(f, "k_m", v->k_m, v->km_len);
		hex_line(f, "frame", v->frame, v->frame_len);
	}
	fprintf(f, "\nkind: multicast\nname: %s\nbased_on: %s\nsuite: %u\nflags: %u\n"
		"group: %u\nmember: 0\nepoch: 0\ngateway_seq: %llu\n", a->mc.name,
		a->mc.from->s.name, a->mc.from->s.suite,
		GRPSEC_MFRAME_FLAG_MULTICAST | GRPSEC_MFRAME_FLAG_GROUP,
		a->mc.from->group, (unsigned long long)a->mc.gw_seq);
	hex_line(f, "body", a->mc.from->body, a->mc.from->body_len);
	hex_line(f, "frame", a->mc.frame, a->mc.frame_len);
	{
		const struct deliver_vec *d = &a->deliver;
		const struct uplink_vec *u = d->from;

		fprintf(f, "\nkind: deliver\nname: %s\nbased_on: %s\nsuite: %u\ngroup: %u\n"
			"epoch: %u\nmember: %u\nseq: %llu\n", d->name, u->name, u->suite, u->group,
			u->epoch, u->member, (unsigned long long)u->seq);
		hex_line(f, "k_g", u->k_inner, u->key_len);
		hex_line(f, "datagram", d->datagram, d->len);
	}
	for (unsigned int i = 0; i < a->n_dl_rej; i++) {
		const struct dl_reject_vec *r = &a->dl_rej[i];

		fprintf(f, "\nkind: downlink-reject\nname: %s\nbased_on: %s\nstage: %s\n"
			"expect: %s\nup_suite: %u\ngateway: %u\n", r->name, r->from->s.name, r->stage,
			r->expect_name, r->from->s.up_suite, r->from->gateway);
		hex_line(f, "k_up", r->from->k_up, r->from->up_key_len);
		hex_line(f, "frame", r->frame, r->len);
	}
	for (unsigned int i = 0; i < a->n_mf_rej; i++) {
		const struct mf_reject_vec *r = &a->mf_rej[i];

		fprintf(f, "\nkind: member-frame-reject\nname: %s\nbased_on: %s\nstage: %s\n"
			"expect: %s\nmember: %u\n", r->name, r->from->s.name, r->stage,
			r->expect_name, r->member);
		hex_line(f, "k_m", r->k_m, r->from->km_len);
		hex_line(f, "frame", r->frame, r->len);
	}
}

/* C header output */

static void c_array(FILE *f, const char *name, const uint8_t *p, size_t len)
{
	if (!len)
		return;
	fprintf(f, "static const unsigned char %s[%zu] = {", name, len);
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%s0x%02x,", i % 12 ? " " : "\n\t", p[i]);
	fputs("\n};\n\n", f);
}

static const char *c_ref(char *buf, size_t size, const char *name, size_t len)
{
	if (!len)
		return "NULL";
	snprintf(buf, size, "%s", name);
	return buf;
}

static unsigned int dl_index(const struct all *a, const struct dl_vec *v)
{
	return (unsigned int)(v - a->dl);
}

static const char *const mf_stages[] = { "parse", "frame", "body" };

static unsigned int mf_stage(const char *stage)
{
	unsigned int i = 0;

	while (strcmp(mf_stages[i], stage))
		i++;
	return i;
}

/* Delivery datagram, downlink and member-frame rejects. */
static void write_hdr_rejects(FILE *f, const struct all *a)
{
	char n1[64];

	fputs("/* Terminate mode: an uplink's message delivered to the local port. */\n"
	      "struct grpsec_vec_deliver {\n"
	      "\tconst char *name;\n"
	      "\tunsigned int uplink;\t\t/* index in grpsec_vec_uplinks[] */\n"
	      "\tconst unsigned char *datagram;\t/* 24-byte header || plaintext */\n"
	      "\tunsigned int datagram_len;\n"
	      "};\n\n", f);
	c_array(f, "grpsec_vec_deliver0", a->deliver.datagram, a->deliver.len);
	fprintf(f, "static const struct grpsec_vec_deliver grpsec_vec_delivers[] = {\n"
		"\t{ \"%s\", %u, grpsec_vec_deliver0, %zu },\n};\n\n", a->deliver.name,
		(unsigned int)(a->deliver.from - a->up), a->deliver.len);

	fputs("/* A downlink the gateway drops (its K_up: the downlink vector's). */\n"
	      "struct grpsec_vec_downlink_reject {\n"
	      "\tconst char *name;\n"
	      "\tunsigned int downlink;\t\t/* index in grpsec_vec_downlinks[] */\n"
	      "\tint verify;\t\t\t/* 0: parse fails; 1: parse passes, then not ours or bad tag */\n"
	      "\tint expect;\t\t\t/* -errno of libgrpsec */\n"
	      "\tconst unsigned char *frame;\n"
	      "\tunsigned int frame_len;\n"
	      "};\n\n", f);
	for (unsigned int i = 0; i < a->n_dl_rej; i++) {
		snprintf(n1, sizeof(n1), "grpsec_vec_dlrej%u_frame", i);
		c_array(f, n1, a->dl_rej[i].frame, a->dl_rej[i].len);
	}
	fputs("static const struct grpsec_vec_downlink_reject grpsec_vec_downlink_rejects[] = {\n", f);
	for (unsigned int i = 0; i < a->n_dl_rej; i++) {
		const struct dl_reject_vec *r = &a->dl_rej[i];

		fprintf(f, "\t{ \"%s\", %u, %d, %s, grpsec_vec_dlrej%u_frame, %zu },\n", r->name,
			dl_index(a, r->from), !strcmp(r->stage, "verify"), r->expect_name, i, r->len);
	}
	fputs("};\n\n", f);

	fputs("/*\n"
	      " * A command or rekey frame a member drops.  The member: group, suite,\n"
	      " * mode, epoch, K_G and signing key of the downlink vector, its own id\n"
	      " * and K_m[e] here.  Stage 0: grpsec_mframe_parse() fails; 1: the frame's\n"
	      " * checks (ids, epoch, tag); 2: the body's (signature, K_G tag).\n"
	      " */\n"
	      "struct grpsec_vec_member_frame_reject {\n"
	      "\tconst char *name;\n"
	      "\tunsigned int downlink;\t\t/* index in grpsec_vec_downlinks[] */\n"
	      "\tunsigned int stage;\n"
	      "\tint expect;\t\t\t/* -errno of libgrpsec */\n"
	      "\tunsigned int member;\n"
	      "\tconst unsigned char *k_m;\n"
	      "\tunsigned int km_len;\n"
	      "\tconst unsigned char *frame;\n"
	      "\tunsigned int frame_len;\n"
	      "};\n\n", f);
	for (unsigned int i = 0; i < a->n_mf_rej; i++) {
		snprintf(n1, sizeof(n1), "grpsec_vec_mfrej%u_k_m", i);
		c_array(f, n1, a->mf_rej[i].k_m, a->mf_rej[i].from->km_len);
		snprintf(n1, sizeof(n1), "grpsec_vec_mfrej%u_frame", i);
		c_array(f, n1, a->mf_rej[i].frame, a->mf_rej[i].len);
	}
	fputs("static const struct grpsec_vec_member_frame_reject "
	      "grpsec_vec_member_frame_rejects[] = {\n", f);
	for (unsigned int i = 0; i < a->n_mf_rej; i++) {
		const struct mf_reject_vec *r = &a->mf_rej[i];

		fprintf(f, "\t{ \"%s\", %u, %u, %s, %uU, grpsec_vec_mfrej%u_k_m, %zu,\n"
			"\t  grpsec_vec_mfrej%u_frame, %zu },\n", r->name, dl_index(a, r->from),
			mf_stage(r->stage), r->expect_name, r->member, i, r->from->km_len, i,
			r->len);
	}
	fputs("};\n\n", f);
}

static void write_hdr(FILE *f, const struct all *a)
{
	char n1[64], n2[64], n3[64], r1[64], r2[64];

	fputs("/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */\n"
	      "/*\n"
	      " * grpsec wire format version 2: test vectors, the same as v2.txt.\n"
	      " * Generated by userspace/lib/tests/gen-vectors; do not edit.\n"
	      " *\n"
	      " * Plain C types only, so that kernel (KUnit) and userspace code can both\n"
	      " * include it.  Include <linux/errno.h> or <errno.h> first (reject vectors\n"
	      " * use -EMSGSIZE etc.) and have NULL defined.  Empty byte strings are NULL\n"
	      " * with length 0.\n"
	      " */\n"
	      "#ifndef GRPSEC_V2_VECTORS_H\n"
	      "#define GRPSEC_V2_VECTORS_H\n\n"
	      "#define GRPSEC_VEC_KDF_MEMBER\t0\t/* K_m[e], label \"grpsec member key\" */\n"
	      "#define GRPSEC_VEC_KDF_E2E\t1\t/* K_e,m[e], label \"grpsec e2e key\" */\n"
	      "#define GRPSEC_VEC_KDF_UPSTREAM\t2\t/* K_up, label \"grpsec upstream key\" */\n"
	      "#define GRPSEC_VEC_KDF_WRAP\t3\t/* K_wrap,m, label \"grpsec wrap key\", suite 0 */\n\n"
	      "struct grpsec_vec_kdf {\n"
	      "\tconst char *name;\n"
	      "\tunsigned int label;\t\t/* GRPSEC_VEC_KDF_* */\n"
	      "\tunsigned int suite;\n"
	      "\tconst unsigned char *secret;\t/* 32 bytes: S_auth, S_e2e, upstream or wrap secret */\n"
	      "\tunsigned int group, epoch, member;\t/* member, e2e (and wrap: member) keys */\n"
	      "\tunsigned int gateway;\t\t/* upstream key */\n"
	      "\tconst unsigned char *key;\n"
	      "\tunsigned int key_len;\n"
	      "};\n\n"
	      "struct grpsec_vec_uplink {\n"
	      "\tconst char *name;\n"
	      "\tunsigned int suite, mode, group, epoch, member;\n"
	      "\tunsigned long long seq;\n"
	      "\tconst unsigned char *k_m;\t/* K_m[e] */\n"
	      "\tconst unsigned char *k_inner;\t/* K_G[e] (anonymous) or K_e,m[e] (identified) */\n"
	      "\tunsigned int key_len;\n"
	      "\tconst unsigned char *inner_nonce;\t/* 12 bytes */\n"
	      "\tconst unsigned char *payload;\n"
	      "\tunsigned int payload_len;\n"
	      "\tconst unsigned char *frame;\n"
	      "\tunsigned int frame_len;\n"
	      "};\n\n"
	      "/* A frame the gateway must drop: at parse time or at the outer tag check. */\n"
	      "struct grpsec_vec_reject {\n"
	      "\tconst char *name;\n"
	      "\tint verify;\t\t\t/* 0: parse fails; 1: parse passes, outer tag fails */\n"
	      "\tint expect;\t\t\t/* -errno of libgrpsec */\n"
	      "\tunsigned int mode;\t\t/* the group's: what the outer tag covers */\n"
	      "\tconst unsigned char *k_m;\n"
	      "\tunsigned int key_len;\n"
	      "\tconst unsigned char *frame;\n"
	      "\tunsigned int frame_len;\n"
	      "};\n\n"
	      "struct grpsec_vec_batch_entry {\n"
	      "\tunsigned int mode, suite, group, epoch, member;\t/* member 0: anonymous */\n"
	      "\tconst unsigned char *k_inner;\n"
	      "\tunsigned int key_len;\n"
	      "\tconst unsigned char *inner;\t/* nonce || inner tag || ciphertext */\n"
	      "\tunsigned int inner_len;\n"
	      "\tconst unsigned char *payload;\n"
	      "\tunsigned int payload_len;\n"
	      "\tunsigned int uplink;\t\t/* index in grpsec_vec_uplinks[] */\n"
	      "};\n\n"
	      "struct grpsec_vec_batch {\n"
	      "\tconst char *name;\n"
	      "\tunsigned int suite, gateway;\n"
	      "\tunsigned long long seq;\n"
	      "\tconst unsigned char *k_up;\n"
	      "\tunsigned int key_len;\n"
	      "\tconst struct grpsec_vec_batch_entry *entries;\n"
	      "\tunsigned int count;\n"
	      "\tconst unsigned char *batch;\n"
	      "\tunsigned int batch_len;\n"
	      "};\n\n", f);

	for (unsigned int i = 0; i < N_KDF; i++) {
		snprintf(n1, sizeof(n1), "grpsec_vec_kdf%u_secret", i);
		c_array(f, n1, a->kdf[i].secret, sizeof(a->kdf[i].secret));
		snprintf(n1, sizeof(n1), "grpsec_vec_kdf%u_key", i);
		c_array(f, n1, a->kdf[i].key, a->kdf[i].key_len);
	}
	fputs("static const struct grpsec_vec_kdf grpsec_vec_kdfs[] = {\n", f);
	for (unsigned int i = 0; i < N_KDF; i++) {
		const struct kdf_vec *v = &a->kdf[i];

		fprintf(f, "\t{ \"%s\", %u, %u, grpsec_vec_kdf%u_secret, %uU, %uU, %uU, %uU,\n"
			"\t  grpsec_vec_kdf%u_key, %zu },\n", v->name, v->kind_id, v->suite, i,
			v->group, v->epoch, v->member, v->gateway, i, v->key_len);
	}
	fputs("};\n\n", f);

	for (unsigned int i = 0; i < N_UPLINK; i++) {
		const struct uplink_vec *v = &a->up[i];

		snprintf(n1, sizeof(n1), "grpsec_vec_up%u_k_m", i);
		c_array(f, n1, v->k_m, v->key_len);
		snprintf(n1, sizeof(n1), "grpsec_vec_up%u_k_inner", i);
		c_array(f, n1, v->k_inner, v->key_len);
		snprintf(n1, sizeof(n1), "grpsec_vec_up%u_payload", i);
		c_array(f, n1, v->payload, v->payload_len);
		snprintf(n1, sizeof(n1), "grpsec_vec_up%u_frame", i);
		c_array(f, n1, v->frame, v->frame_len);
	}
	fputs("static const struct grpsec_vec_uplink grpsec_vec_uplinks[] = {\n", f);
	for (unsigned int i = 0; i < N_UPLINK; i++) {
		const struct uplink_vec *v = &a->up[i];

		snprintf(n1, sizeof(n1), "grpsec_vec_up%u_payload", i);
		fprintf(f, "\t{ \"%s\", %u, %u, %uU, %uU, %uU, %lluULL,\n"
			"\t  grpsec_vec_up%u_k_m, grpsec_vec_up%u_k_inner, %zu,\n"
			"\t  grpsec_vec_up%u_frame + %d, %s, %zu,\n"
			"\t  grpsec_vec_up%u_frame, %zu },\n",
			v->name, v->suite, v->mode, v->group, v->epoch, v->member,
			(unsigned long long)v->seq, i, i, v->key_len, i, GRPSEC_HDR_LEN,
			c_ref(r1, sizeof(r1), n1, v->payload_len), v->payload_len,
			i, v->frame_len);
	}
	fputs("};\n\n", f);

	for (unsigned int i = 0; i < a->n_rej; i++) {
		snprintf(n1, sizeof(n1), "grpsec_vec_rej%u_frame", i);
		c_array(f, n1, a->rej[i].frame, a->rej[i].frame_len);
	}
	fputs("static const struct grpsec_vec_reject grpsec_vec_rejects[] = {\n", f);
	for (unsigned int i = 0; i < a->n_rej; i++) {
		const struct reject_vec *r = &a->rej[i];
		unsigned int base = 0;

		while (strcmp(a->up[base].name, r->based_on))
			base++;
		fprintf(f, "\t{ \"%s\", %d, %s, %u, grpsec_vec_up%u_k_m, %zu,\n"
			"\t  grpsec_vec_rej%u_frame, %zu },\n", r->name,
			!strcmp(r->stage, "verify"), r->expect_name, r->mode, base,
			r->key_len, i, r->frame_len);
	}
	fputs("};\n\n", f);

	for (unsigned int i = 0; i < N_BATCH; i++) {
		const struct batch_vec *b = &a->batch[i];

		snprintf(n1, sizeof(n1), "grpsec_vec_batch%u_k_up", i);
		c_array(f, n1, b->k_up, b->key_len);
		snprintf(n1, sizeof(n1), "grpsec_vec_batch%u", i);
		c_array(f, n1, b->batch, b->batch_len);
		fprintf(f, "static const struct grpsec_vec_batch_entry grpsec_vec_batch%u_entries[] = {\n", i);
		for (unsigned int j = 0; j < b->count; j++) {
			const struct uplink_vec *u = b->from[j];
			unsigned int k = (unsigned int)(u - a->up);

			snprintf(n2, sizeof(n2), "grpsec_vec_up%u_frame + %d", k, GRPSEC_HDR_LEN);
			snprintf(n3, sizeof(n3), "grpsec_vec_up%u_payload", k);
			fprintf(f, "\t{ %u, %u, %uU, %uU, %uU, grpsec_vec_up%u_k_inner, %zu,\n"
				"\t  %s, %zu, %s, %zu, %u },\n",
				u->mode, u->suite, u->group, u->epoch, u->mode ? u->member : 0,
				k, u->key_len, n2,
				u->frame_len - GRPSEC_HDR_LEN - GRPSEC_TAG_LEN,
				c_ref(r2, sizeof(r2), n3, u->payload_len), u->payload_len, k);
		}
		fputs("};\n\n", f);
	}
	fputs("static const struct grpsec_vec_batch grpsec_vec_batches[] = {\n", f);
	for (unsigned int i = 0; i < N_BATCH; i++) {
		const struct batch_vec *b = &a->batch[i];

		fprintf(f, "\t{ \"%s\", %u, %uU, %lluULL, grpsec_vec_batch%u_k_up, %zu,\n"
			"\t  grpsec_vec_batch%u_entries, %u, grpsec_vec_batch%u, %zu },\n",
			b->name, b->suite, b->gateway, (unsigned long long)b->seq, i,
			b->key_len, i, b->count, i, b->batch_len);
	}
	fputs("};\n\n", f);
	fputs("/*\n"
	      " * A command (type 4) or rekey (type 5): body, downlink, member frame.\n"
	      " * A gateway-originated command (up_suite 0) has no signature and no\n"
	      " * downlink.  k_m is K_m[epoch] of member (km_len bytes); k_up has the\n"
	      " * key length of up_suite.\n"
	      " */\n"
	      "struct grpsec_vec_downlink {\n"
	      "\tconst char *name;\n"
	      "\tunsigned int type, suite, mode, group, member, epoch, body_epoch;\n"
	      "\tunsigned int recipient;\t\t/* the body's; command: 0 = the group */\n"
	      "\tunsigned int flags;\t\t/* of the type 4/5 frame */\n"
	      "\tunsigned int up_suite;\t\t/* of K_up; 0: gateway-originated */\n"
	      "\tunsigned long long seq;\t\t/* command or rekey sequence */\n"
	      "\tconst unsigned char *sign_pub;\t/* Ed25519, 32 bytes; NULL: unsigned */\n"
	      "\tconst unsigned char *key;\t/* command: K_G[e]; rekey: K_wrap,m */\n"
	      "\tunsigned int key_len;\n"
	      "\tconst unsigned char *plaintext;\t/* payload or key material */\n"
	      "\tunsigned int plaintext_len;\n"
	      "\tconst unsigned char *body;\n"
	      "\tunsigned int body_len;\n"
	      "\tunsigned int gateway;\n"
	      "\tunsigned long long downlink_seq;\n"
	      "\tconst unsigned char *k_up;\n"
	      "\tconst unsigned char *downlink;\n"
	      "\tunsigned int downlink_len;\n"
	      "\tunsigned long long gateway_seq;\n"
	      "\tconst unsigned char *k_m;\n"
	      "\tunsigned int km_len;\n"
	      "\tconst unsigned char *frame;\n"
	      "\tunsigned int frame_len;\n"
	      "};\n\n", f);
	for (unsigned int i = 0; i < N_DL; i++) {
		const struct dl_vec *v = &a->dl[i];
		static const char *const parts[] = { "sign_pub", "key", "plaintext", "body",
						     "k_up", "downlink", "k_m", "frame" };
		const uint8_t *ptr[] = { v->sign_pub, v->key, v->pt, v->body, v->k_up,
					 v->downlink, v->k_m, v->frame };
		size_t lens[] = { v->s.up_suite ? 32 : 0, v->key_len, v->pt_len, v->body_len,
				  v->up_key_len, v->downlink_len, v->km_len, v->frame_len };

		for (unsigned int j = 0; j < 8; j++) {
			snprintf(n1, sizeof(n1), "grpsec_vec_dl%u_%s", i, parts[j]);
			c_array(f, n1, ptr[j], lens[j]);
		}
	}
	fputs("static const struct grpsec_vec_downlink grpsec_vec_downlinks[] = {\n", f);
	for (unsigned int i = 0; i < N_DL; i++) {
		const struct dl_vec *v = &a->dl[i];
		char sp[64], ku[64], dl[64];

		snprintf(n1, sizeof(n1), "grpsec_vec_dl%u_sign_pub", i);
		snprintf(n2, sizeof(n2), "grpsec_vec_dl%u_k_up", i);
		snprintf(n3, sizeof(n3), "grpsec_vec_dl%u_downlink", i);
		fprintf(f, "\t{ \"%s\", %u, %u, %u, %uU, %uU, %uU, %uU, %uU, %u, %u, %lluULL,\n"
			"\t  %s, grpsec_vec_dl%u_key, %zu,\n"
			"\t  grpsec_vec_dl%u_plaintext, %zu, grpsec_vec_dl%u_body, %zu,\n"
			"\t  %uU, %lluULL, %s, %s, %zu,\n"
			"\t  %lluULL, grpsec_vec_dl%u_k_m, %zu, grpsec_vec_dl%u_frame, %zu },\n",
			v->s.name, v->s.type, v->s.suite, v->s.mode, v->group, v->member, v->epoch,
			v->body_epoch, v->recipient, v->s.flags, v->s.up_suite,
			(unsigned long long)v->seq,
			c_ref(sp, sizeof(sp), n1, v->s.up_suite ? 32 : 0), i, v->key_len, i,
			v->pt_len, i, v->body_len, v->gateway, (unsigned long long)v->dl_seq,
			c_ref(ku, sizeof(ku), n2, v->up_key_len),
			c_ref(dl, sizeof(dl), n3, v->downlink_len), v->downlink_len,
			(unsigned long long)v->gw_seq, i, v->km_len, i, v->frame_len);
	}
	fputs("};\n\n", f);
	fputs("/* A multicast command (type 4, flag bit 1): a command's body, untagged. */\n"
	      "struct grpsec_vec_multicast {\n"
	      "\tconst char *name;\n"
	      "\tunsigned int command;\t\t/* index in grpsec_vec_downlinks[] */\n"
	      "\tunsigned int suite, flags, group, member, epoch;\t/* member, epoch: 0 */\n"
	      "\tunsigned long long gateway_seq;\n"
	      "\tconst unsigned char *body;\t/* the command's */\n"
	      "\tunsigned int body_len;\n"
	      "\tconst unsigned char *frame;\t/* 28 + body_len bytes */\n"
	      "\tunsigned int frame_len;\n"
	      "};\n\n", f);
	c_array(f, "grpsec_vec_mc0_frame", a->mc.frame, a->mc.frame_len);
	fprintf(f, "static const struct grpsec_vec_multicast grpsec_vec_multicasts[] = {\n"
		"\t{ \"%s\", %u, %u, %u, %uU, 0U, 0U,\n"
		"\t  %lluULL, grpsec_vec_dl%u_body, %zu, grpsec_vec_mc0_frame, %zu },\n"
		"};\n\n", a->mc.name, (unsigned int)(a->mc.from - a->dl), a->mc.from->s.suite,
		GRPSEC_MFRAME_FLAG_MULTICAST | GRPSEC_MFRAME_FLAG_GROUP, a->mc.from->group,
		(unsigned long long)a->mc.gw_seq, (unsigned int)(a->mc.from - a->dl),
		a->mc.from->body_len, a->mc.frame_len);
	write_hdr_rejects(f, a);
	fputs("#endif /* GRPSEC_V2_VECTORS_H */\n", f);
}

int vectors_write(FILE *txt, FILE *hdr)
{
	struct all *a = calloc(1, sizeof(*a));
	int err;

	if (!a)
		return -ENOMEM;
	err = make_kdf(a);
	if (!err)
		err = make_uplinks(a);
	if (!err) {
		make_rejects(a);
		err = make_batches(a);
	}
	if (!err)
		err = make_downlinks(a);
	if (!err)
		err = make_multicast(a);
	if (!err)
		err = make_deliver(a);
	if (!err) {
		make_dl_rejects(a);
		err = make_mf_rejects(a);
	}
	if (!err) {
		if (txt)
			write_txt(txt, a);
		if (hdr)
			write_hdr(hdr, a);
	}
	free(a);
	return err;
}
