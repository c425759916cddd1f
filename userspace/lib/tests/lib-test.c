// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-lib-test: unit tests of libgrpsec.  Prints "ok N - name" or
 * "not ok N - name" per check and "# N passed, N failed" at the end; exits
 * non-zero on any failure.
 *
 * Usage: grpsec-lib-test [--vectors DIR]
 * With --vectors, also checks that DIR/v2.txt and DIR/v2_vectors.h equal a
 * fresh generation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpsec.h"
#include "internal.h"
#include "tap.h"
#include "vectors.h"
#include "v2_vectors.h"

/* Saved backend state: header bytes before the first record. */
#define STATE_HDR_TEST_LEN	168

static unsigned int n_pass, n_fail;

bool result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %u - ", ok ? "ok" : "not ok", n_pass + n_fail + 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (ok)
		n_pass++;
	else
		n_fail++;
	return ok;
}

/* Print a diagnostic line (a TAP comment); returns false. */
bool diag(const char *fmt, ...)
{
	va_list ap;

	fputs("#   ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return false;
}

/* A small world: fixed secrets, one group per (suite, mode). */

static uint8_t s_auth[GRPSEC_SECRET_LEN], s_e2e[GRPSEC_SECRET_LEN];
static uint8_t k_g[GRPSEC_KEY_MAX_LEN], up_secret[GRPSEC_SECRET_LEN];
#define GATEWAY 77
#define EPOCH 5

static uint32_t group_of(unsigned int suite, unsigned int mode)
{
	return 0x100 * suite + mode + 1;
}

static void world_init(void)
{
	for (unsigned int i = 0; i < 32; i++) {
		s_auth[i] = (uint8_t)i;
		s_e2e[i] = (uint8_t)(0x20 + i);
		k_g[i] = (uint8_t)(0x40 + i);
		up_secret[i] = (uint8_t)(0x60 + i);
	}
}

struct test_member {
	struct grpsec_member *m;
	uint8_t k_m[GRPSEC_KEY_MAX_LEN];
	uint8_t k_inner[GRPSEC_KEY_MAX_LEN];
	unsigned int suite, mode;
	uint32_t group, id, epoch;
};

static int member_keys(struct test_member *t, uint32_t epoch)
{
	size_t kl = grpsec_suite_key_len(t->suite);
	int err;

	err = grpsec_kdf_member_key(t->suite, s_auth, t->group, epoch, t->id, t->k_m, kl);
	if (err)
		return err;
	if (t->mode == GRPSEC_MODE_IDENTIFIED)
		return grpsec_kdf_e2e_key(t->suite, s_e2e, t->group, epoch, t->id,
					  t->k_inner, kl);
	memcpy(t->k_inner, k_g, kl);
	t->k_inner[0] ^= (uint8_t)epoch;	/* K_G differs per epoch */
	return 0;
}

static int member_open(struct test_member *t, unsigned int suite, unsigned int mode,
		       uint32_t id, struct grpsec_member_config *extra)
{
	struct grpsec_member_config cfg = { 0 };
	int err;

	if (extra)
		cfg = *extra;
	t->suite = suite;
	t->mode = mode;
	t->group = group_of(suite, mode);
	t->id = id;
	t->epoch = EPOCH;
	err = member_keys(t, EPOCH);
	if (err)
		return err;
	cfg.group = t->group;
	cfg.member = id;
	cfg.epoch = EPOCH;
	cfg.mode = mode;
	cfg.suite = suite;
	cfg.member_key = t->k_m;
	cfg.inner_key = t->k_inner;
	return grpsec_member_new(&cfg, &t->m);
}

static uint64_t backend_floor;	/* batch_seq_floor of the next backend_open() */

static int backend_open(struct grpsec_backend **be, unsigned int up_suite, uint32_t nonce_max)
{
	uint8_t k_up[GRPSEC_KEY_MAX_LEN];
	struct grpsec_backend_config cfg = {
		.gateway = GATEWAY, .suite = up_suite, .upstream_key = k_up,
		.batch_seq_floor = backend_floor,
	};
	int err;

	err = grpsec_kdf_upstream_key(up_suite, up_secret, GATEWAY, k_up,
				      grpsec_suite_key_len(up_suite));
	if (!err)
		err = grpsec_backend_new(&cfg, be);
	for (unsigned int suite = 1; !err && suite <= 3; suite++) {
		for (unsigned int mode = 0; !err && mode <= 1; mode++) {
			for (uint32_t epoch = EPOCH; !err && epoch <= EPOCH + 1; epoch++) {
				uint8_t key[GRPSEC_KEY_MAX_LEN];
				struct grpsec_backend_group g = {
					.group = group_of(suite, mode), .epoch = epoch,
					.mode = mode, .suite = suite, .key = key,
					.nonce_cache_max = nonce_max,
				};

				if (mode == GRPSEC_MODE_IDENTIFIED) {
					memcpy(key, s_e2e, sizeof(s_e2e));
				} else {
					memcpy(key, k_g, sizeof(key));
					key[0] ^= (uint8_t)epoch;
				}
				err = grpsec_backend_add_group(*be, &g);
			}
		}
	}
	return err;
}

/* Batch builder: the gateway side. */
struct gw {
	uint8_t buf[GRPSEC_BATCH_MAX_LEN];
	struct grpsec_batch_builder b;
	uint8_t k_up[GRPSEC_KEY_MAX_LEN];
	unsigned int suite;
	uint64_t seq;
};

static void gw_start(struct gw *g, unsigned int suite)
{
	g->suite = suite;
	grpsec_kdf_upstream_key(suite, up_secret, GATEWAY, g->k_up, grpsec_suite_key_len(suite));
	grpsec_batch_init(&g->b, g->buf, sizeof(g->buf), GATEWAY, suite);
}

static int gw_add(struct gw *g, const struct test_member *t, const uint8_t *frame, size_t len)
{
	struct grpsec_uplink u;
	int err;

	err = grpsec_uplink_parse(frame, len, &u);
	if (!err)
		err = grpsec_uplink_verify(&u, t->mode, t->k_m);
	if (!err)
		err = grpsec_batch_add_uplink(&g->b, t->mode, &u);
	return err;
}

static size_t gw_seal(struct gw *g)
{
	size_t len = 0;

	if (grpsec_batch_seal(&g->b, ++g->seq, g->k_up, &len))
		return 0;
	return len;
}

/* Records what the backend callback saw. */
#define MAX_SEEN 64
struct seen {
	unsigned int n;
	enum grpsec_entry_status status[MAX_SEEN];
	uint32_t member[MAX_SEEN];
	uint64_t seq[MAX_SEEN];
	uint8_t payload[MAX_SEEN][GRPSEC_MAX_PAYLOAD];
	size_t payload_len[MAX_SEEN];
};

static int seen_cb(void *arg, const struct grpsec_entry *e)
{
	struct seen *s = arg;

	if (s->n >= MAX_SEEN)
		return -ENOSPC;
	s->status[s->n] = e->status;
	s->member[s->n] = e->member;
	s->seq[s->n] = e->seq;
	s->payload_len[s->n] = e->payload_len;
	if (e->payload)
		memcpy(s->payload[s->n], e->payload, e->payload_len);
	s->n++;
	return 0;
}

static void fill_payload(uint8_t *p, size_t len, unsigned int salt)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + salt);
}

/* Tests */

static void test_constants(void)
{
	result(GRPSEC_HDR_LEN == 24 && GRPSEC_NONCE_LEN == 12 && GRPSEC_TAG_LEN == 16 &&
	       GRPSEC_MAX_PAYLOAD == 1280 && GRPSEC_BATCH_HDR_LEN == 20 &&
	       GRPSEC_BATCH_ENTRY_HDR_LEN == 16 && GRPSEC_UPLINK_OVERHEAD == 68 &&
	       GRPSEC_UPLINK_MAX_LEN == 1348 && GRPSEC_INNER_MAX_LEN == 1308,
	       "constants match frames.rst");
	result(grpsec_suite_key_len(1) == 16 && grpsec_suite_key_len(2) == 32 &&
	       grpsec_suite_key_len(3) == 32 && grpsec_suite_key_len(0) == 0 &&
	       grpsec_suite_key_len(4) == 0, "suite key lengths");
	result(grpsec_suite_from_name("aes-128-gcm") == 1 &&
	       grpsec_suite_from_name("chacha20-poly1305") == 3 &&
	       grpsec_suite_from_name("2") == 2 && grpsec_suite_from_name("4") == 0 &&
	       grpsec_suite_from_name("aes") == 0, "suite names");
}

static void test_roundtrip(void)
{
	static const size_t sizes[] = { 0, 1, 100, GRPSEC_MAX_PAYLOAD };

	for (unsigned int suite = 1; suite <= 3; suite++) {
		for (unsigned int mode = 0; mode <= 1; mode++) {
			for (unsigned int up = 1; up <= 3; up += 2) {
				struct test_member t = { 0 };
				struct grpsec_backend *be = NULL;
				static struct gw g;
				static struct seen s;
				uint8_t payload[GRPSEC_MAX_PAYLOAD], frame[GRPSEC_UPLINK_MAX_LEN];
				size_t flen, blen;
				bool ok = true;

				memset(&s, 0, sizeof(s));
				ok = !member_open(&t, suite, mode, 4242, NULL) &&
				     !backend_open(&be, up, 0);
				gw_start(&g, up);
				for (unsigned int i = 0; ok && i < 4; i++) {
					fill_payload(payload, sizes[i], i);
					ok = !grpsec_member_seal_uplink(t.m, payload, sizes[i], frame,
									sizeof(frame), &flen) &&
					     expect_eq(flen, 68 + sizes[i]) &&
					     !gw_add(&g, &t, frame, flen);
				}
				blen = gw_seal(&g);
				ok = ok && blen &&
				     expect_eq(grpsec_backend_open_batch(be, g.buf, blen, NULL,
									 seen_cb, &s), 0) &&
				     expect_eq(s.n, 4);
				for (unsigned int i = 0; ok && i < 4; i++) {
					fill_payload(payload, sizes[i], i);
					ok = expect_eq(s.status[i], GRPSEC_ENTRY_OK) &&
					     expect_eq(s.payload_len[i], sizes[i]) &&
					     !memcmp(s.payload[i], payload, sizes[i]) &&
					     expect_eq(s.member[i], mode ? 4242 : 0) &&
					     expect_eq(s.seq[i], mode ? i + 1 : 0);
				}
				result(ok, "roundtrip %s %s, K_up %s, payloads 0/1/100/1280",
				       grpsec_suite_name(suite), grpsec_mode_name(mode),
				       grpsec_suite_name(up));
				grpsec_member_free(t.m);
				grpsec_backend_free(be);
			}
		}
	}
}

/* One valid frame to mutate. */
static size_t valid_frame(uint8_t *frame, struct test_member *t, unsigned int mode)
{
	uint8_t payload[40];
	size_t flen = 0;

	fill_payload(payload, sizeof(payload), 3);
	if (member_open(t, GRPSEC_SUITE_AES_128_GCM, mode, 9, NULL) ||
	    grpsec_member_seal_uplink(t->m, payload, sizeof(payload), frame,
				      GRPSEC_UPLINK_MAX_LEN + 1, &flen))
		return 0;
	return flen;
}

static void test_parse_rejects(void)
{
	static const struct {
		const char *name;
		int off;		/* -1: change length instead */
		int value;		/* byte value, or length delta */
		int expect;
	} rows[] = {
		{ "truncated below 68 bytes", -1, 67 - 108, -EMSGSIZE },
		{ "truncated to 0", -1, -108, -EMSGSIZE },
		{ "too long (1349)", -1, 1349 - 108, -EMSGSIZE },
		{ "version 0", 0, 0, -EPROTONOSUPPORT },
		{ "version 1", 0, 1, -EPROTONOSUPPORT },
		{ "version 3", 0, 3, -EPROTONOSUPPORT },
		{ "type batch", 1, 2, -EPROTO },
		{ "type 0", 1, 0, -EPROTO },
		{ "suite 0", 2, 0, -EPROTO },
		{ "suite 4", 2, 4, -EPROTO },
		{ "flags 0x01", 3, 1, -EPROTO },
		{ "flags 0x80", 3, 0x80, -EPROTO },
		{ "group 0", 4, -2, -EPROTO },
		{ "member 0", 12, -2, -EPROTO },
		{ "sequence 0", 16, -3, -EPROTO },
	};
	uint8_t frame[GRPSEC_UPLINK_MAX_LEN + 1], f[GRPSEC_UPLINK_MAX_LEN + 1];
	struct test_member t = { 0 };
	struct grpsec_uplink u;
	size_t flen = valid_frame(frame, &t, GRPSEC_MODE_IDENTIFIED);

	result(flen == 108 && !grpsec_uplink_parse(frame, flen, &u) && u.seq == 1 &&
	       u.member == 9 && u.payload_len == 40 && u.outer_tag == frame + 92 &&
	       u.nonce == frame + 24 && u.inner_tag == frame + 36 && u.ciphertext == frame + 52 &&
	       !grpsec_uplink_verify(&u, t.mode, t.k_m),
	       "parse valid frame");
	for (unsigned int i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = flen;

		memset(f, 0, sizeof(f));
		memcpy(f, frame, flen);
		if (rows[i].off < 0)
			len = (size_t)((long)flen + rows[i].value);
		else if (rows[i].value == -2)
			memset(f + rows[i].off, 0, 4);
		else if (rows[i].value == -3)
			memset(f + rows[i].off, 0, 8);
		else
			f[rows[i].off] = (uint8_t)rows[i].value;
		result(expect_eq(grpsec_uplink_parse(f, len, &u), rows[i].expect),
		       "parse rejects %s", rows[i].name);
	}
	result(grpsec_uplink_parse(NULL, 68, &u) == -EINVAL, "parse rejects NULL");
	grpsec_member_free(t.m);
}

static void test_outer_tag(void)
{
	static const struct { const char *name; size_t off; } rows[] = {
		{ "header group", 7 }, { "header epoch", 11 }, { "header member", 15 },
		{ "header sequence", 23 }, { "inner nonce", 24 }, { "inner tag", 40 },
		{ "inner ciphertext", 60 }, { "outer tag", 107 },
	};
	uint8_t frame[GRPSEC_UPLINK_MAX_LEN + 1];
	struct test_member t = { 0 };
	struct grpsec_uplink u;
	uint8_t wrong[16];
	size_t flen = valid_frame(frame, &t, GRPSEC_MODE_ANONYMOUS);

	for (unsigned int i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		frame[rows[i].off] ^= 0x10;
		result(!grpsec_uplink_parse(frame, flen, &u) &&
		       expect_eq(grpsec_uplink_verify(&u, t.mode, t.k_m), -EBADMSG),
		       "outer tag catches tampered %s (anonymous)", rows[i].name);
		frame[rows[i].off] ^= 0x10;
	}
	result(!grpsec_uplink_parse(frame, flen - 1, &u) &&
	       expect_eq(grpsec_uplink_verify(&u, t.mode, t.k_m), -EBADMSG),
	       "outer tag catches a frame truncated by one byte");
	memcpy(wrong, t.k_m, 16);
	wrong[0] ^= 1;
	result(!grpsec_uplink_parse(frame, flen, &u) &&
	       expect_eq(grpsec_uplink_verify(&u, t.mode, wrong), -EBADMSG) &&
	       expect_eq(grpsec_uplink_verify(&u, t.mode, t.k_m), 0) &&
	       expect_eq(grpsec_uplink_verify(&u, 2, t.k_m), -EINVAL),
	       "outer tag fails under another member's key");
	grpsec_member_free(t.m);
}

/* Build a one-batch scenario: n frames of one member, returns batch length. */
struct scen {
	struct test_member t;
	struct grpsec_backend *be;
	struct gw g;
	struct seen s;
	uint8_t frames[4][GRPSEC_UPLINK_MAX_LEN];
	size_t flen[4];
};

static bool scen_start(struct scen *sc, unsigned int mode, unsigned int n, uint32_t nonce_max)
{
	uint8_t payload[64];

	memset(sc, 0, sizeof(*sc));
	if (member_open(&sc->t, GRPSEC_SUITE_AES_256_GCM, mode, 31, NULL) ||
	    backend_open(&sc->be, GRPSEC_SUITE_AES_128_GCM, nonce_max))
		return false;
	gw_start(&sc->g, GRPSEC_SUITE_AES_128_GCM);
	for (unsigned int i = 0; i < n; i++) {
		fill_payload(payload, sizeof(payload), i);
		if (grpsec_member_seal_uplink(sc->t.m, payload, sizeof(payload), sc->frames[i],
					      sizeof(sc->frames[i]), &sc->flen[i]))
			return false;
	}
	return true;
}

static void scen_end(struct scen *sc)
{
	grpsec_member_free(sc->t.m);
	grpsec_backend_free(sc->be);
}

/* Open one batch with the frames @idx as entries; returns open_batch's value. */
static int scen_batch(struct scen *sc, const unsigned int *idx, unsigned int n)
{
	size_t blen;

	grpsec_batch_init(&sc->g.b, sc->g.buf, sizeof(sc->g.buf), GATEWAY, sc->g.suite);
	for (unsigned int i = 0; i < n; i++) {
		if (gw_add(&sc->g, &sc->t, sc->frames[idx[i]], sc->flen[idx[i]]))
			return -1000;
	}
	blen = gw_seal(&sc->g);
	memset(&sc->s, 0, sizeof(sc->s));
	return grpsec_backend_open_batch(sc->be, sc->g.buf, blen, NULL, seen_cb, &sc->s);
}

static struct scen sc;

static void test_batch_rejects(void)
{
	static const unsigned int one[] = { 0 }, two[] = { 0, 1 };
	struct grpsec_backend_stats st;
	size_t blen;
	bool ok;

	ok = scen_start(&sc, GRPSEC_MODE_IDENTIFIED, 2, 0) && !scen_batch(&sc, two, 2);
	blen = sc.g.b.len + GRPSEC_TAG_LEN;
	/* The same batch again: replay. */
	result(ok && expect_eq(grpsec_backend_open_batch(sc.be, sc.g.buf, blen, NULL, NULL, NULL),
			       -ESTALE), "batch replay refused");
	/* A lower sequence, correctly tagged: stale. */
	sc.g.seq = 0;
	result(ok && expect_eq(scen_batch(&sc, one, 1), -ESTALE), "stale batch sequence refused");
	/* Wrong tag: flip one bit of each region of a freshly sealed batch. */
	{
		static const struct { const char *name; size_t off; } rows[] = {
			{ "header", 9 }, { "entry header", 25 }, { "entry inner tag", 60 },
			{ "tag", 0 },
		};

		sc.g.seq = 100;
		for (unsigned int i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			size_t off;

			grpsec_batch_init(&sc.g.b, sc.g.buf, sizeof(sc.g.buf), GATEWAY, 1);
			gw_add(&sc.g, &sc.t, sc.frames[0], sc.flen[0]);
			blen = gw_seal(&sc.g);
			off = rows[i].off ? rows[i].off : blen - 1;
			sc.g.buf[off] ^= 0x04;
			result(expect_eq(grpsec_backend_open_batch(sc.be, sc.g.buf, blen, NULL,
								   NULL, NULL), -EBADMSG),
			       "batch tag catches tampered %s", rows[i].name);
		}
	}
	/* Tagged under another K_up. */
	grpsec_batch_init(&sc.g.b, sc.g.buf, sizeof(sc.g.buf), GATEWAY, 1);
	gw_add(&sc.g, &sc.t, sc.frames[0], sc.flen[0]);
	sc.g.k_up[3] ^= 1;
	blen = gw_seal(&sc.g);
	sc.g.k_up[3] ^= 1;
	result(expect_eq(grpsec_backend_open_batch(sc.be, sc.g.buf, blen, NULL, NULL, NULL),
			 -EBADMSG), "batch under a wrong K_up refused");

	/* Structure: rebuild valid batches and break one field each. */
	{
		static const struct { const char *name; int kind; int expect; } rows[] = {
			{ "count 0", 0, -EPROTO },
			{ "count too high", 1, -EPROTO },
			{ "count too low (trailing bytes)", 2, -EPROTO },
			{ "entry length too short", 3, -EPROTO },
			{ "entry length past the end", 4, -EPROTO },
			{ "reserved set", 5, -EPROTO },
			{ "flags set", 6, -EPROTO },
			{ "version 1", 7, -EPROTONOSUPPORT },
			{ "type uplink", 8, -EPROTO },
			{ "truncated", 9, -EMSGSIZE },
			{ "another gateway id", 10, -EPROTO },
			{ "another K_up suite", 11, -EPROTO },
		};

		for (unsigned int i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			grpsec_batch_init(&sc.g.b, sc.g.buf, sizeof(sc.g.buf), GATEWAY, 1);
			gw_add(&sc.g, &sc.t, sc.frames[0], sc.flen[0]);
			blen = gw_seal(&sc.g);
			switch (rows[i].kind) {
			case 0: put_be16(sc.g.buf + 16, 0); break;
			case 1: put_be16(sc.g.buf + 16, 2); break;
			case 2: blen += 5; break;
			case 3: put_be16(sc.g.buf + 22, 27); break;
			case 4: put_be16(sc.g.buf + 22, 200); break;
			case 5: sc.g.buf[19] = 1; break;
			case 6: sc.g.buf[3] = 1; break;
			case 7: sc.g.buf[0] = 1; break;
			case 8: sc.g.buf[1] = 1; break;
			case 9: blen = 30; break;
			case 10: put_be32(sc.g.buf + 4, GATEWAY + 1); break;
			case 11: sc.g.buf[2] = 3; break;
			}
			result(expect_eq(grpsec_backend_open_batch(sc.be, sc.g.buf, blen, NULL,
								   NULL, NULL), rows[i].expect),
			       "batch rejects %s", rows[i].name);
		}
	}
	grpsec_backend_get_stats(sc.be, &st);
	result(expect_eq(st.batch_replay, 2) && expect_eq(st.batch_bad_tag, 5) &&
	       expect_eq(st.batch_malformed, 10) && expect_eq(st.batch_bad_gateway, 2) &&
	       expect_eq(st.tag_checks, st.batches_ok + st.batch_bad_tag),
	       "batch reject counters");
	scen_end(&sc);
}

static void test_inner_replay(void)
{
	static const unsigned int f0[] = { 0 }, f1[] = { 1 }, f01[] = { 0, 1 }, f00[] = { 0, 0 };
	struct grpsec_backend_stats st;

	for (unsigned int mode = 0; mode <= 1; mode++) {
		const char *mn = grpsec_mode_name(mode);
		bool ok = scen_start(&sc, mode, 2, 0);

		result(ok && !scen_batch(&sc, f0, 1) && expect_eq(sc.s.status[0], GRPSEC_ENTRY_OK) &&
		       !scen_batch(&sc, f0, 1) && expect_eq(sc.s.status[0], GRPSEC_ENTRY_REPLAY),
		       "inner replay %s: same entry in a later batch", mn);
		result(ok && !scen_batch(&sc, f1, 1) && expect_eq(sc.s.status[0], GRPSEC_ENTRY_OK),
		       "inner replay %s: next entry still accepted", mn);
		result(ok && !scen_batch(&sc, f01, 2) &&
		       expect_eq(sc.s.status[0], GRPSEC_ENTRY_REPLAY) &&
		       expect_eq(sc.s.status[1], GRPSEC_ENTRY_REPLAY),
		       "inner replay %s: both again", mn);
		scen_end(&sc);
		ok = scen_start(&sc, mode, 1, 0);
		result(ok && !scen_batch(&sc, f00, 2) && expect_eq(sc.s.status[0], GRPSEC_ENTRY_OK) &&
		       expect_eq(sc.s.status[1], GRPSEC_ENTRY_REPLAY),
		       "inner replay %s: duplicate inside one batch", mn);
		grpsec_backend_get_stats(sc.be, &st);
		result(expect_eq(st.entry[GRPSEC_ENTRY_OK], 1) &&
		       expect_eq(st.entry[GRPSEC_ENTRY_REPLAY], 1) && expect_eq(st.entries, 2) &&
		       expect_eq(st.tag_checks, 1), "inner replay %s: counters", mn);
		scen_end(&sc);
	}
}

/* Frames sealed in any order within the window pass; older ones do not. */
static void test_window(void)
{
	struct grpsec_window w;
	bool ok = true;

	memset(&w, 0, sizeof(w));
	ok = ok && !grpsec_window_check(&w, 0) && grpsec_window_check(&w, 1);
	grpsec_window_update(&w, 1);
	ok = ok && !grpsec_window_check(&w, 1);
	grpsec_window_update(&w, 2000);
	ok = ok && !grpsec_window_check(&w, 1039) && grpsec_window_check(&w, 1040) &&
	     grpsec_window_check(&w, 1999) && !grpsec_window_check(&w, 2000);
	for (uint64_t s = 1040; s < 2000; s++) {
		ok = ok && grpsec_window_check(&w, s);
		grpsec_window_update(&w, s);
		ok = ok && !grpsec_window_check(&w, s);
	}
	grpsec_window_update(&w, 1ULL << 40);
	ok = ok && !grpsec_window_check(&w, 1999) &&
	     grpsec_window_check(&w, (1ULL << 40) - 960) &&
	     !grpsec_window_check(&w, (1ULL << 40) - 961);
	result(ok, "replay window: 960 behind the newest, jumps, every slot once");

	/* Through the backend: out of order within the window, then too old. */
	{
		uint8_t payload[8] = { 0 };
		unsigned int i, n = 1100;
		static uint8_t frames[1100][GRPSEC_UPLINK_OVERHEAD + 8];
		bool ok2 = scen_start(&sc, GRPSEC_MODE_IDENTIFIED, 0, 0);
		size_t flen;

		for (i = 0; ok2 && i < n; i++)
			ok2 = !grpsec_member_seal_uplink(sc.t.m, payload, 8, frames[i],
							 sizeof(frames[i]), &flen);
		/* Deliver the newest first, then one at offset 960 and 961 behind. */
		memcpy(sc.frames[0], frames[n - 1], flen);
		memcpy(sc.frames[1], frames[n - 1 - 960], flen);
		memcpy(sc.frames[2], frames[n - 1 - 961], flen);
		memcpy(sc.frames[3], frames[n - 2], flen);
		for (i = 0; i < 4; i++)
			sc.flen[i] = flen;
		{
			static const unsigned int order[] = { 0, 3, 1, 2 };

			ok2 = ok2 && !scen_batch(&sc, order, 4) &&
			      expect_eq(sc.s.status[0], GRPSEC_ENTRY_OK) &&
			      expect_eq(sc.s.status[1], GRPSEC_ENTRY_OK) &&
			      expect_eq(sc.s.status[2], GRPSEC_ENTRY_OK) &&
			      expect_eq(sc.s.status[3], GRPSEC_ENTRY_REPLAY) &&
			      expect_eq(sc.s.seq[0], n) && expect_eq(sc.s.seq[2], n - 960);
		}
		result(ok2, "backend window: reordering within 960 accepted, older refused");
		scen_end(&sc);
	}
}

/*
 * A floor is the first sequence still new (frames.rst, "Sequence floors"):
 * a gateway given floor F sends batch F first, and a backend given the
 * same F accepts it.
 */
static void test_batch_floor(void)
{
	static const unsigned int one[] = { 0 };
	const uint64_t f = 1764000000000000000ULL;
	bool ok;

	backend_floor = f;
	ok = scen_start(&sc, GRPSEC_MODE_IDENTIFIED, 2, 0);
	backend_floor = 0;
	ok = ok && expect_eq(grpsec_backend_last_seq(sc.be), f - 1);
	sc.g.seq = f - 2;
	ok = ok && expect_eq(scen_batch(&sc, one, 1), -ESTALE);
	ok = ok && expect_eq(scen_batch(&sc, one, 1), 0) &&
	     expect_eq(sc.s.status[0], GRPSEC_ENTRY_OK) &&
	     expect_eq(grpsec_backend_last_seq(sc.be), f);
	sc.g.seq = f - 1;
	ok = ok && expect_eq(scen_batch(&sc, one, 1), -ESTALE);
	result(ok, "batch floor F: F - 1 refused, F accepted (the gateway's first), then a replay");
	scen_end(&sc);
}

/*
 * A new K_up for the same gateway: the previous key opens what was in
 * flight until the first batch under the new key verifies, and one replay
 * state spans both keys (batch sequences and member windows).
 */
static void test_upstream_key_change(void)
{
	static const unsigned int f0[] = { 0 }, f1[] = { 1 }, f2[] = { 2 }, f3[] = { 3 };
	uint8_t k_old[GRPSEC_KEY_MAX_LEN], k_new[GRPSEC_KEY_MAX_LEN];
	struct grpsec_backend_stats st;
	bool ok = scen_start(&sc, GRPSEC_MODE_IDENTIFIED, 4, 0);

	memcpy(k_old, sc.g.k_up, sizeof(k_old));
	memset(k_new, 0x5a, sizeof(k_new));
	ok = ok && expect_eq(scen_batch(&sc, f0, 1), 0) &&
	     expect_eq(grpsec_backend_has_previous_key(sc.be), 0);
	ok = ok && expect_eq(grpsec_backend_set_upstream_key(sc.be, GRPSEC_SUITE_AES_256_GCM,
							     k_new), -EINVAL) &&
	     expect_eq(grpsec_backend_set_upstream_key(sc.be, GRPSEC_SUITE_AES_128_GCM, k_new), 0) &&
	     expect_eq(grpsec_backend_has_previous_key(sc.be), 1);
	/* In flight under the old key (sequence 2): accepted. */
	ok = ok && expect_eq(scen_batch(&sc, f1, 1), 0) && expect_eq(sc.s.status[0], GRPSEC_ENTRY_OK);
	grpsec_backend_get_stats(sc.be, &st);
	ok = ok && expect_eq(st.batches_previous_key, 1) &&
	     expect_eq(grpsec_backend_has_previous_key(sc.be), 1);
	/* Under the new key: sequence 2 again is a replay, frame 1 again too. */
	memcpy(sc.g.k_up, k_new, sizeof(k_new));
	sc.g.seq = 1;
	ok = ok && expect_eq(scen_batch(&sc, f2, 1), -ESTALE);
	ok = ok && expect_eq(scen_batch(&sc, f1, 1), 0) &&
	     expect_eq(sc.s.status[0], GRPSEC_ENTRY_REPLAY);
	/* That batch verified under the new key: the old one is wiped. */
	ok = ok && expect_eq(grpsec_backend_has_previous_key(sc.be), 0) &&
	     expect_eq(scen_batch(&sc, f2, 1), 0) && expect_eq(sc.s.status[0], GRPSEC_ENTRY_OK);
	memcpy(sc.g.k_up, k_old, sizeof(k_old));
	ok = ok && expect_eq(scen_batch(&sc, f3, 1), -EBADMSG);
	result(ok, "new K_up: the previous one opens batches in flight until the new one verifies, one replay state for both");
	grpsec_backend_forget_previous_key(sc.be);
	scen_end(&sc);
}

/* The gateway rewrites the member id of an identified entry. */
static void test_reattribution(void)
{
	struct test_member other = { 0 };
	uint8_t payload[16] = "meter reading 1";
	uint8_t frame[GRPSEC_UPLINK_MAX_LEN];
	struct grpsec_uplink u;
	size_t flen, blen;
	bool ok = scen_start(&sc, GRPSEC_MODE_IDENTIFIED, 1, 0);

	ok = ok && !member_open(&other, GRPSEC_SUITE_AES_256_GCM, GRPSEC_MODE_IDENTIFIED, 32, NULL);
	ok = ok && !grpsec_member_seal_uplink(other.m, payload, 16, frame, sizeof(frame), &flen);
	/* Entry of member 31 claimed to be from member 32, and the reverse. */
	grpsec_batch_init(&sc.g.b, sc.g.buf, sizeof(sc.g.buf), GATEWAY, 1);
	ok = ok && !grpsec_uplink_parse(sc.frames[0], sc.flen[0], &u) &&
	     !grpsec_batch_add(&sc.g.b, 1, u.suite, u.group, u.epoch, 32, u.inner, u.inner_len) &&
	     !grpsec_uplink_parse(frame, flen, &u) &&
	     !grpsec_batch_add(&sc.g.b, 1, u.suite, u.group, u.epoch, 31, u.inner, u.inner_len) &&
	     !grpsec_batch_add(&sc.g.b, 1, u.suite, u.group, u.epoch, 32, u.inner, u.inner_len);
	blen = gw_seal(&sc.g);
	memset(&sc.s, 0, sizeof(sc.s));
	ok = ok && !grpsec_backend_open_batch(sc.be, sc.g.buf, blen, NULL, seen_cb, &sc.s) &&
	     expect_eq(sc.s.status[0], GRPSEC_ENTRY_BAD_TAG) &&
	     expect_eq(sc.s.status[1], GRPSEC_ENTRY_BAD_TAG) &&
	     expect_eq(sc.s.status[2], GRPSEC_ENTRY_OK) && expect_eq(sc.s.member[2], 32);
	result(ok, "re-attribution to another member id caught");

	/* Anonymous entry moved to another epoch or group: bound by the AAD. */
	grpsec_member_free(other.m);
	scen_end(&sc);
	ok = scen_start(&sc, GRPSEC_MODE_ANONYMOUS, 1, 0);
	grpsec_batch_init(&sc.g.b, sc.g.buf, sizeof(sc.g.buf), GATEWAY, 1);
	ok = ok && !grpsec_uplink_parse(sc.frames[0], sc.flen[0], &u) &&
	     !grpsec_batch_add(&sc.g.b, 0, u.suite, u.group, u.epoch + 1, 0, u.inner, u.inner_len) &&
	     !grpsec_batch_add(&sc.g.b, 0, u.suite, u.group, u.epoch, 31, u.inner, u.inner_len) &&
	     !grpsec_batch_add(&sc.g.b, 1, u.suite, u.group, u.epoch, 31, u.inner, u.inner_len) &&
	     !grpsec_batch_add(&sc.g.b, 0, u.suite, 0x999, u.epoch, 0, u.inner, u.inner_len) &&
	     !grpsec_batch_add(&sc.g.b, 0, 1, u.group, u.epoch, 0, u.inner, u.inner_len) &&
	     !grpsec_batch_add(&sc.g.b, 7, u.suite, u.group, u.epoch, 0, u.inner, u.inner_len) &&
	     !grpsec_batch_add(&sc.g.b, 0, u.suite, u.group, u.epoch, 0, u.inner, u.inner_len);
	blen = gw_seal(&sc.g);
	memset(&sc.s, 0, sizeof(sc.s));
	ok = ok && !grpsec_backend_open_batch(sc.be, sc.g.buf, blen, NULL, seen_cb, &sc.s) &&
	     expect_eq(sc.s.n, 7) &&
	     expect_eq(sc.s.status[0], GRPSEC_ENTRY_BAD_TAG) &&
	     expect_eq(sc.s.status[1], GRPSEC_ENTRY_ANON_MEMBER_ID) &&
	     expect_eq(sc.s.status[2], GRPSEC_ENTRY_MODE_MISMATCH) &&
	     expect_eq(sc.s.status[3], GRPSEC_ENTRY_UNKNOWN_GROUP) &&
	     expect_eq(sc.s.status[4], GRPSEC_ENTRY_MODE_MISMATCH) &&
	     expect_eq(sc.s.status[5], GRPSEC_ENTRY_MALFORMED) &&
	     expect_eq(sc.s.status[6], GRPSEC_ENTRY_OK) && expect_eq(sc.s.member[6], 0);
	result(ok, "anonymous entry: other epoch, member id, mode, group, suite, bad mode");
	scen_end(&sc);
}

static void test_inner_tamper(void)
{
	static const struct { const char *name; size_t off; } rows[] = {
		{ "nonce", 0 }, { "tag", 12 }, { "ciphertext", 28 + 63 },
	};

	for (unsigned int mode = 0; mode <= 1; mode++) {
		for (unsigned int i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			struct grpsec_uplink u;
			uint8_t inner[GRPSEC_INNER_MAX_LEN];
			size_t blen;
			bool ok = scen_start(&sc, mode, 1, 0);

			/* A gateway that re-tags the outer layer can still not change the inner. */
			ok = ok && !grpsec_uplink_parse(sc.frames[0], sc.flen[0], &u);
			memcpy(inner, u.inner, u.inner_len);
			inner[rows[i].off + (mode && !rows[i].off ? 10 : 0)] ^= 0x01;
			grpsec_batch_init(&sc.g.b, sc.g.buf, sizeof(sc.g.buf), GATEWAY, 1);
			ok = ok && !grpsec_batch_add(&sc.g.b, mode, u.suite, u.group, u.epoch,
						     mode ? u.member : 0, inner, u.inner_len);
			blen = gw_seal(&sc.g);
			memset(&sc.s, 0, sizeof(sc.s));
			ok = ok && !grpsec_backend_open_batch(sc.be, sc.g.buf, blen, NULL,
							      seen_cb, &sc.s) &&
			     expect_eq(sc.s.status[0], GRPSEC_ENTRY_BAD_TAG) &&
			     !sc.s.payload_len[0];
			result(ok, "tampered inner %s caught (%s)", rows[i].name,
			       grpsec_mode_name(mode));
			scen_end(&sc);
		}
	}
	/* Identified nonce must be 00000001 || seq. */
	{
		struct grpsec_uplink u;
		uint8_t inner[GRPSEC_INNER_MAX_LEN];
		size_t blen;
		bool ok = scen_start(&sc, GRPSEC_MODE_IDENTIFIED, 1, 0);

		ok = ok && !grpsec_uplink_parse(sc.frames[0], sc.flen[0], &u);
		memcpy(inner, u.inner, u.inner_len);
		inner[3] = 2;
		grpsec_batch_init(&sc.g.b, sc.g.buf, sizeof(sc.g.buf), GATEWAY, 1);
		grpsec_batch_add(&sc.g.b, 1, u.suite, u.group, u.epoch, u.member, inner, u.inner_len);
		memset(inner + 4, 0, 8);
		inner[3] = 1;
		grpsec_batch_add(&sc.g.b, 1, u.suite, u.group, u.epoch, u.member, inner, u.inner_len);
		grpsec_batch_add(&sc.g.b, 1, u.suite, u.group, u.epoch, 0, u.inner, u.inner_len);
		blen = gw_seal(&sc.g);
		memset(&sc.s, 0, sizeof(sc.s));
		ok = ok && !grpsec_backend_open_batch(sc.be, sc.g.buf, blen, NULL, seen_cb, &sc.s) &&
		     expect_eq(sc.s.status[0], GRPSEC_ENTRY_MALFORMED) &&
		     expect_eq(sc.s.status[1], GRPSEC_ENTRY_MALFORMED) &&
		     expect_eq(sc.s.status[2], GRPSEC_ENTRY_MALFORMED);
		result(ok, "identified entry: nonce prefix, sequence 0, member 0 refused");
		scen_end(&sc);
	}
}

/*
 * What the outer tag and the batch tag cover (frames.rst): an identified
 * group's ciphertext is left to the inner tag under K_e,m[e], which no
 * gateway holds; an anonymous group's is covered, since every member holds
 * K_G[e] and could make another ciphertext with the same inner tag.
 */
static void test_ciphertext_cover(void)
{
	static const unsigned int f0[] = { 0 }, f01[] = { 0, 1 };
	struct grpsec_uplink u;
	bool ok;

	/* Identified: the gateway cannot see it, the backend's entry fails. */
	ok = scen_start(&sc, GRPSEC_MODE_IDENTIFIED, 2, 0);
	sc.frames[0][GRPSEC_UPLINK_HEAD_LEN] ^= 0x01;
	ok = ok && !grpsec_uplink_parse(sc.frames[0], sc.flen[0], &u) &&
	     expect_eq(grpsec_uplink_verify(&u, GRPSEC_MODE_IDENTIFIED, sc.t.k_m), 0) &&
	     expect_eq(scen_batch(&sc, f01, 2), 0) && expect_eq(sc.s.n, 2) &&
	     expect_eq(sc.s.status[0], GRPSEC_ENTRY_BAD_TAG) && !sc.s.payload_len[0] &&
	     expect_eq(sc.s.status[1], GRPSEC_ENTRY_OK);
	result(ok, "identified: a changed ciphertext passes the outer tag, fails its entry at the backend");
	/* The two modes' tags cover different bytes: neither verifies as the other. */
	ok = !grpsec_uplink_parse(sc.frames[1], sc.flen[1], &u) &&
	     expect_eq(grpsec_uplink_verify(&u, GRPSEC_MODE_ANONYMOUS, sc.t.k_m), -EBADMSG);
	result(ok, "identified: the frame's outer tag does not verify as an anonymous one");
	scen_end(&sc);

	/* Anonymous: the outer tag catches it, first and last ciphertext byte. */
	ok = scen_start(&sc, GRPSEC_MODE_ANONYMOUS, 2, 0);
	sc.frames[0][GRPSEC_UPLINK_HEAD_LEN] ^= 0x01;
	sc.frames[1][sc.flen[1] - GRPSEC_TAG_LEN - 1] ^= 0x80;
	ok = ok && !grpsec_uplink_parse(sc.frames[0], sc.flen[0], &u) &&
	     expect_eq(grpsec_uplink_verify(&u, GRPSEC_MODE_ANONYMOUS, sc.t.k_m), -EBADMSG) &&
	     !grpsec_uplink_parse(sc.frames[1], sc.flen[1], &u) &&
	     expect_eq(grpsec_uplink_verify(&u, GRPSEC_MODE_ANONYMOUS, sc.t.k_m), -EBADMSG) &&
	     expect_eq(scen_batch(&sc, f0, 1), -1000);
	result(ok, "anonymous: a changed ciphertext fails the outer tag");
	scen_end(&sc);

	/*
	 * Large batches, whose AAD libgrpsec adds in one run (40 anonymous
	 * entries of 108 bytes) or gathers into its 2,048-byte buffer more
	 * than once (60 identified entries: 44 bytes each).  The first entry
	 * is new, the rest its replays.  The tag verifies; a byte it covers
	 * in the last entry (the ciphertext, the inner tag) fails it.
	 */
	for (unsigned int mode = 0; mode < 2; mode++) {
		unsigned int n = mode == GRPSEC_MODE_ANONYMOUS ? 40 : 60;
		size_t blen = 0, flip = 0;

		ok = scen_start(&sc, mode, 1, 0);
		grpsec_batch_init(&sc.g.b, sc.g.buf, sizeof(sc.g.buf), GATEWAY, sc.g.suite);
		for (unsigned int i = 0; ok && i < n; i++)
			ok = !gw_add(&sc.g, &sc.t, sc.frames[0], sc.flen[0]);
		blen = ok ? gw_seal(&sc.g) : 0;
		ok = ok && expect_eq(blen == 20 + n * 108 + GRPSEC_TAG_LEN, 1);
		/* The last entry: its last ciphertext byte, or its inner tag's. */
		if (ok)
			flip = mode == GRPSEC_MODE_ANONYMOUS ? blen - GRPSEC_TAG_LEN - 1 :
							       blen - GRPSEC_TAG_LEN - 108 + 43;
		if (ok)
			sc.g.buf[flip] ^= 0x01;
		ok = ok && expect_eq(grpsec_backend_open_batch(sc.be, sc.g.buf, blen, NULL, seen_cb,
							       &sc.s), -EBADMSG);
		if (ok)
			sc.g.buf[flip] ^= 0x01;
		memset(&sc.s, 0, sizeof(sc.s));
		ok = ok && expect_eq(grpsec_backend_open_batch(sc.be, sc.g.buf, blen, NULL, seen_cb,
							       &sc.s), 0) &&
		     expect_eq(sc.s.n, n) && expect_eq(sc.s.status[0], GRPSEC_ENTRY_OK) &&
		     expect_eq(sc.s.status[n - 1], GRPSEC_ENTRY_REPLAY);
		result(ok, "%s: a batch tag over %u entries, its AAD in one run or gathered",
		       grpsec_mode_name(mode), n);
		scen_end(&sc);
	}

	/* In a sealed batch: one anonymous and one identified entry. */
	{
		struct test_member ta = { 0 }, ti = { 0 };
		struct grpsec_backend *be = NULL;
		static uint8_t copy[GRPSEC_BATCH_MAX_LEN];
		uint8_t payload[32], frame[GRPSEC_UPLINK_MAX_LEN];
		size_t flen, blen = 0, ct[2] = { 0, 0 }, tag_i = 0, off = 0;
		struct grpsec_batch b;
		struct grpsec_batch_entry e;
		static struct gw g;
		static struct seen s;

		fill_payload(payload, sizeof(payload), 9);
		ok = !member_open(&ta, 1, GRPSEC_MODE_ANONYMOUS, 21, NULL) &&
		     !member_open(&ti, 1, GRPSEC_MODE_IDENTIFIED, 22, NULL) &&
		     !backend_open(&be, 1, 0);
		gw_start(&g, 1);
		ok = ok && !grpsec_member_seal_uplink(ta.m, payload, sizeof(payload), frame,
						      sizeof(frame), &flen) &&
		     !gw_add(&g, &ta, frame, flen) &&
		     !grpsec_member_seal_uplink(ti.m, payload, sizeof(payload), frame,
						sizeof(frame), &flen) &&
		     !gw_add(&g, &ti, frame, flen) && (blen = gw_seal(&g)) &&
		     !grpsec_batch_parse(g.buf, blen, &b);
		for (unsigned int i = 0; ok && i < 2; i++) {
			ok = grpsec_batch_entry_next(&b, &off, &e) == 1;
			ct[i] = (size_t)(e.inner - g.buf) + GRPSEC_INNER_CT_OFFSET;
			tag_i = (size_t)(e.inner - g.buf) + GRPSEC_INNER_TAG_OFFSET;
		}
		memcpy(copy, g.buf, blen);
		copy[ct[0]] ^= 0x01;
		result(ok && expect_eq(grpsec_backend_open_batch(be, copy, blen, NULL, NULL, NULL),
				       -EBADMSG),
		       "batch: a changed anonymous entry's ciphertext fails the batch tag");
		memcpy(copy, g.buf, blen);
		copy[tag_i] ^= 0x01;
		result(ok && expect_eq(grpsec_backend_open_batch(be, copy, blen, NULL, NULL, NULL),
				       -EBADMSG),
		       "batch: a changed identified entry's inner tag fails the batch tag");
		memcpy(copy, g.buf, blen);
		copy[ct[1] + 5] ^= 0x01;
		memset(&s, 0, sizeof(s));
		result(ok && expect_eq(grpsec_backend_open_batch(be, copy, blen, NULL, seen_cb, &s),
				       0) && expect_eq(s.n, 2) &&
		       expect_eq(s.status[0], GRPSEC_ENTRY_OK) &&
		       expect_eq(s.status[1], GRPSEC_ENTRY_BAD_TAG),
		       "batch: a changed identified entry's ciphertext passes the batch tag, fails that entry only");
		grpsec_member_free(ta.m);
		grpsec_member_free(ti.m);
		grpsec_backend_free(be);
	}
}

/* A well-formed version 1 uplink of @t: v1 layout, v1 inner AAD and tags. */
static size_t v1_uplink(const struct test_member *t, uint64_t seq, const uint8_t *pt,
			size_t n, uint8_t *out)
{
	uint8_t aad[GRPSEC_INNER_AAD_LEN], nonce[GRPSEC_NONCE_LEN], *inner = out + GRPSEC_HDR_LEN;

	out[0] = 1;
	out[1] = GRPSEC_TYPE_UPLINK;
	out[2] = (uint8_t)t->suite;
	out[3] = 0;
	put_be32(out + 4, t->group);
	put_be32(out + 8, t->epoch);
	put_be32(out + 12, t->id);
	put_be64(out + 16, seq);
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_UPLINK, seq);
	if (t->mode == GRPSEC_MODE_IDENTIFIED)
		memcpy(inner, nonce, sizeof(nonce));
	else
		memset(inner, 0xa5, GRPSEC_NONCE_LEN);
	grpsec_inner_aad(aad, GRPSEC_DIR_UPLINK, t->suite, t->mode, t->group, t->epoch,
			 t->mode == GRPSEC_MODE_IDENTIFIED ? t->id : 0);
	aad[0] = 1;
	/* Version 1: nonce || ciphertext || inner tag; outer tag over all before it. */
	if (grpsec_aead_seal_once(t->suite, t->k_inner, inner, aad, sizeof(aad), pt, n,
				  inner + GRPSEC_NONCE_LEN, inner + GRPSEC_NONCE_LEN + n) ||
	    grpsec_aead_seal_once(t->suite, t->k_m, nonce, out, GRPSEC_UPLINK_HEAD_LEN + n,
				  NULL, 0, NULL, out + GRPSEC_UPLINK_HEAD_LEN + n))
		return 0;
	return GRPSEC_UPLINK_OVERHEAD + n;
}

/* Version 1 frames are refused as any other version is. */
static void test_version_1(void)
{
	uint8_t payload[20], frame[GRPSEC_UPLINK_MAX_LEN], k_up[16];
	uint8_t dl[GRPSEC_DOWNLINK_MAX_LEN], mf[GRPSEC_MFRAME_MAX_LEN], nonce[GRPSEC_NONCE_LEN];
	static uint8_t batch[GRPSEC_BATCH_MAX_LEN];
	struct grpsec_backend_stats st;
	struct grpsec_downlink d;
	struct grpsec_mframe m;
	struct grpsec_batch b;
	struct grpsec_uplink u;
	size_t flen = 0, len;
	bool ok;

	fill_payload(payload, sizeof(payload), 1);
	for (unsigned int mode = 0; mode <= 1; mode++) {
		struct test_member t = { 0 };

		ok = !member_open(&t, 1, mode, 23, NULL) &&
		     (flen = v1_uplink(&t, 1, payload, sizeof(payload), frame)) != 0 &&
		     expect_eq(grpsec_uplink_parse(frame, flen, &u), -EPROTONOSUPPORT);
		/* It is a version 1 frame: as version 2 its tags do not verify. */
		frame[0] = GRPSEC_VERSION;
		ok = ok && !grpsec_uplink_parse(frame, flen, &u) &&
		     expect_eq(grpsec_uplink_verify(&u, mode, t.k_m), -EBADMSG);
		result(ok, "version 1 uplink refused with -EPROTONOSUPPORT (%s)",
		       grpsec_mode_name(mode));
		grpsec_member_free(t.m);
	}

	/* A version 1 batch of one entry, tagged over all before the tag. */
	{
		struct test_member t = { 0 };
		struct grpsec_backend *be = NULL;

		ok = !member_open(&t, 1, GRPSEC_MODE_IDENTIFIED, 24, NULL) &&
		     (flen = v1_uplink(&t, 1, payload, sizeof(payload), frame)) != 0 &&
		     !backend_open(&be, 1, 0) &&
		     !grpsec_kdf_upstream_key(1, up_secret, GATEWAY, k_up, sizeof(k_up));
		if (!ok)
			flen = GRPSEC_UPLINK_OVERHEAD;	/* the checks below fail anyway */
		len = GRPSEC_BATCH_HDR_LEN + GRPSEC_BATCH_ENTRY_HDR_LEN + flen - GRPSEC_HDR_LEN -
		      GRPSEC_TAG_LEN;
		memset(batch, 0, GRPSEC_BATCH_HDR_LEN + GRPSEC_BATCH_ENTRY_HDR_LEN);
		batch[0] = 1;
		batch[1] = GRPSEC_TYPE_BATCH;
		batch[2] = 1;
		put_be32(batch + 4, GATEWAY);
		put_be64(batch + 8, 1);
		put_be16(batch + 16, 1);
		batch[20] = GRPSEC_MODE_IDENTIFIED;
		batch[21] = 1;
		put_be16(batch + 22, (uint16_t)(flen - GRPSEC_HDR_LEN - GRPSEC_TAG_LEN));
		memcpy(batch + 24, frame + 4, 12);	/* group, epoch, member */
		memcpy(batch + GRPSEC_BATCH_HDR_LEN + GRPSEC_BATCH_ENTRY_HDR_LEN,
		       frame + GRPSEC_HDR_LEN, flen - GRPSEC_HDR_LEN - GRPSEC_TAG_LEN);
		grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_BATCH, 1);
		ok = ok && !grpsec_aead_seal_once(1, k_up, nonce, batch, len, NULL, 0, NULL,
						  batch + len);
		len += GRPSEC_TAG_LEN;
		ok = ok && expect_eq(grpsec_batch_parse(batch, len, &b), -EPROTONOSUPPORT) &&
		     expect_eq(grpsec_backend_open_batch(be, batch, len, NULL, NULL, NULL),
			       -EPROTONOSUPPORT);
		grpsec_backend_get_stats(be, &st);
		ok = ok && expect_eq(st.batch_malformed, 1) && expect_eq(st.tag_checks, 0);
		/* As version 2 it is structurally sound, but its tag is not v2's. */
		batch[0] = GRPSEC_VERSION;
		ok = ok && !grpsec_batch_parse(batch, len, &b) &&
		     expect_eq(grpsec_backend_open_batch(be, batch, len, NULL, NULL, NULL),
			       -EBADMSG);
		result(ok, "version 1 batch refused with -EPROTONOSUPPORT before its tag");
		grpsec_member_free(t.m);
		grpsec_backend_free(be);
	}

	/* A version 1 downlink and type 4 frame, tagged as version 1 did. */
	ok = !grpsec_downlink_build(1, k_up, GATEWAY, 9, 0x101, 0, GRPSEC_DOWNLINK_KIND_COMMAND,
				    payload, sizeof(payload), dl, sizeof(dl), &len);
	dl[0] = 1;
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_DOWNLINK, 9);
	ok = ok && !grpsec_aead_seal_once(1, k_up, nonce, dl, len - GRPSEC_TAG_LEN, NULL, 0,
					  NULL, dl + len - GRPSEC_TAG_LEN) &&
	     expect_eq(grpsec_downlink_parse(dl, len, &d), -EPROTONOSUPPORT) &&
	     expect_eq(grpsec_downlink_verify(dl, len, GATEWAY, 1, k_up, &d), -EPROTONOSUPPORT);
	result(ok, "version 1 downlink refused with -EPROTONOSUPPORT");
	ok = !grpsec_member_frame_build(GRPSEC_TYPE_COMMAND, 1, 0, 7, 7, 1, 1, k_up, payload,
					sizeof(payload), mf, sizeof(mf), &len);
	mf[0] = 1;
	ok = ok && !grpsec_aead_seal_once(1, k_up, nonce, mf, len - GRPSEC_TAG_LEN, NULL, 0,
					  NULL, mf + len - GRPSEC_TAG_LEN) &&
	     expect_eq(grpsec_mframe_parse(mf, len, &m), -EPROTONOSUPPORT);
	result(ok, "version 1 command frame refused with -EPROTONOSUPPORT");
}

static void test_epoch(void)
{
	struct grpsec_member_config cfg = { .msg_limit = 3 };
	struct test_member t = { 0 };
	struct grpsec_backend *be = NULL;
	uint8_t frame[GRPSEC_UPLINK_MAX_LEN], frames[2][GRPSEC_UPLINK_MAX_LEN];
	uint8_t old_m[GRPSEC_KEY_MAX_LEN];
	size_t flen, flens[2];
	bool ok;

	for (unsigned int mode = 0; mode <= 1; mode++) {
		static struct gw g;
		struct seen *s = calloc(1, sizeof(*s));

		ok = s && !member_open(&t, 1, mode, 5, &cfg) && !backend_open(&be, 1, 0);
		for (int i = 0; ok && i < 3; i++)
			ok = !grpsec_member_seal_uplink(t.m, NULL, 0, frame, sizeof(frame), &flen);
		result(ok && expect_eq(grpsec_member_epoch_remaining(t.m), 0) &&
		       expect_eq(grpsec_member_seal_uplink(t.m, NULL, 0, frame, sizeof(frame),
							   &flen), -ENOSPC) &&
		       expect_eq(grpsec_member_next_seq(t.m), 4),
		       "epoch message limit refuses the 4th frame (%s)", grpsec_mode_name(mode));
		memcpy(old_m, t.k_m, sizeof(old_m));
		ok = ok && expect_eq(grpsec_member_set_epoch(t.m, EPOCH, t.k_m, t.k_inner, 0), -EINVAL);
		ok = ok && !member_keys(&t, EPOCH + 1) &&
		     !grpsec_member_set_epoch(t.m, EPOCH + 1, t.k_m, t.k_inner, 2) &&
		     !grpsec_member_seal_uplink(t.m, NULL, 0, frames[0], sizeof(frames[0]), &flens[0]) &&
		     !grpsec_member_seal_uplink(t.m, NULL, 0, frames[1], sizeof(frames[1]), &flens[1]) &&
		     expect_eq(grpsec_member_seal_uplink(t.m, NULL, 0, frame, sizeof(frame), &flen),
			       -ENOSPC);
		/* The sequence carries on across the epoch change. */
		{
			struct grpsec_uplink u;

			ok = ok && !grpsec_uplink_parse(frames[0], flens[0], &u) &&
			     expect_eq(u.seq, 4) && expect_eq(u.epoch, EPOCH + 1) &&
			     !grpsec_uplink_verify(&u, mode, t.k_m) &&
			     expect_eq(grpsec_uplink_verify(&u, mode, old_m), -EBADMSG);
			gw_start(&g, 1);
			ok = ok && !gw_add(&g, &t, frames[0], flens[0]) &&
			     !gw_add(&g, &t, frames[1], flens[1]);
			ok = ok && !grpsec_backend_open_batch(be, g.buf, gw_seal(&g), NULL,
							      seen_cb, s) &&
			     expect_eq(s->status[0], GRPSEC_ENTRY_OK) &&
			     expect_eq(s->status[1], GRPSEC_ENTRY_OK) &&
			     expect_eq(s->seq[1], mode ? 5 : 0);
		}
		result(ok, "new epoch: keys change, sequence carries on, new limit (%s)",
		       grpsec_mode_name(mode));
		grpsec_member_free(t.m);
		grpsec_backend_free(be);
		free(s);
	}
}

struct persist {
	uint64_t stored;
	unsigned int calls;
	int fail;
};

static int persist_cb(void *arg, uint64_t reserved)
{
	struct persist *p = arg;

	p->calls++;
	if (p->fail)
		return p->fail;
	p->stored = reserved;
	return 0;
}

static void test_persistence(void)
{
	struct persist p = { 0 };
	struct grpsec_member_config cfg = {
		.reserve = persist_cb, .reserve_arg = &p, .msg_limit = 100000,
	};
	struct test_member t = { 0 };
	uint8_t frame[GRPSEC_UPLINK_MAX_LEN];
	struct grpsec_uplink u;
	size_t flen;
	bool ok;

	ok = !member_open(&t, 1, GRPSEC_MODE_IDENTIFIED, 8, &cfg) && expect_eq(p.calls, 0) &&
	     !grpsec_member_seal_uplink(t.m, NULL, 0, frame, sizeof(frame), &flen) &&
	     expect_eq(p.calls, 1) && expect_eq(p.stored, 1024);
	result(ok, "persistence: first frame reserves 1..1024 before use");
	for (unsigned int i = 1; ok && i < 1024; i++)
		ok = !grpsec_member_seal_uplink(t.m, NULL, 0, frame, sizeof(frame), &flen);
	ok = ok && expect_eq(p.calls, 1) &&
	     !grpsec_member_seal_uplink(t.m, NULL, 0, frame, sizeof(frame), &flen) &&
	     expect_eq(p.calls, 2) && expect_eq(p.stored, 2048) &&
	     !grpsec_uplink_parse(frame, flen, &u) && expect_eq(u.seq, 1025);
	result(ok, "persistence: one call per block, the 1025th frame reserves up to 2048");
	p.fail = -EROFS;
	for (unsigned int i = 0; ok && i < 1023; i++)
		ok = !grpsec_member_seal_uplink(t.m, NULL, 0, frame, sizeof(frame), &flen);
	ok = ok && expect_eq(grpsec_member_seal_uplink(t.m, NULL, 0, frame, sizeof(frame), &flen),
			     -EROFS) && expect_eq(grpsec_member_next_seq(t.m), 2049);
	p.fail = 0;
	ok = ok && !grpsec_member_seal_uplink(t.m, NULL, 0, frame, sizeof(frame), &flen) &&
	     !grpsec_uplink_parse(frame, flen, &u) && expect_eq(u.seq, 2049) &&
	     expect_eq(p.stored, 3072);
	result(ok, "persistence: a failed reservation sends nothing and consumes nothing");
	grpsec_member_free(t.m);

	/* Restart: a crash after a few frames of the block resumes above it. */
	cfg.seq_reserved = p.stored;
	ok = !member_open(&t, 1, GRPSEC_MODE_IDENTIFIED, 8, &cfg) &&
	     expect_eq(grpsec_member_next_seq(t.m), 3073) &&
	     !grpsec_member_seal_uplink(t.m, NULL, 0, frame, sizeof(frame), &flen) &&
	     !grpsec_uplink_parse(frame, flen, &u) && expect_eq(u.seq, 3073) &&
	     expect_eq(p.stored, 4096);
	result(ok, "persistence: a restart resumes above the reserved block");
	grpsec_member_free(t.m);

	cfg.reserve_block = 10;
	cfg.seq_reserved = UINT64_MAX - 3;
	ok = !member_open(&t, 1, GRPSEC_MODE_IDENTIFIED, 8, &cfg);
	for (int i = 0; ok && i < 3; i++)
		ok = !grpsec_member_seal_uplink(t.m, NULL, 0, frame, sizeof(frame), &flen);
	ok = ok && expect_eq(p.stored, UINT64_MAX) &&
	     expect_eq(grpsec_member_seal_uplink(t.m, NULL, 0, frame, sizeof(frame), &flen),
		       -EOVERFLOW);
	result(ok, "persistence: end of the sequence space is -EOVERFLOW, never a wrap");
	grpsec_member_free(t.m);
	cfg.seq_reserved = UINT64_MAX;
	result(member_open(&t, 1, 1, 8, &cfg) == -EINVAL, "persistence: exhausted state refused");
}

static void test_seal_args(void)
{
	struct test_member t = { 0 };
	uint8_t big[GRPSEC_MAX_PAYLOAD + 1] = { 0 }, frame[GRPSEC_UPLINK_MAX_LEN + 1];
	uint8_t nonce[12] = { 0 };
	size_t flen;
	bool ok = !member_open(&t, 3, GRPSEC_MODE_IDENTIFIED, 8, NULL);

	ok = ok && expect_eq(grpsec_member_seal_uplink(t.m, big, sizeof(big), frame,
						       sizeof(frame), &flen), -EMSGSIZE) &&
	     expect_eq(grpsec_member_seal_uplink(t.m, big, 10, frame, 77, &flen), -EMSGSIZE) &&
	     expect_eq(grpsec_member_seal_uplink(t.m, big, 10, frame, 78, &flen), 0) &&
	     expect_eq(grpsec_member_seal_uplink(t.m, NULL, 10, frame, 78, &flen), -EINVAL) &&
	     expect_eq(grpsec_member_seal_uplink_nonce(t.m, nonce, big, 1, frame, 78, &flen),
		       -EINVAL) &&
	     expect_eq(grpsec_member_seal_uplink(t.m, big, 10, NULL, 78, &flen), -EINVAL);
	result(ok, "seal argument checks");
	{
		/* No output buffer: refused before any offset is taken from it. */
		struct grpsec_command_params p = {
			.suite = 1, .group = 1, .epoch = 1, .seq = 1, .group_key = big,
		};
		struct grpsec_rekey_keys k = { .suite = 1, .member_key = big, .group_key = big };
		struct grpsec_signer *s = NULL;

		result(!grpsec_signer_generate(&s) &&
		       expect_eq(grpsec_command_seal(&p, NULL, big, 1, NULL, 200, &flen), -EINVAL) &&
		       expect_eq(grpsec_rekey_seal(s, big, 1, 1, 1, &k, NULL, NULL, 200, &flen),
				 -EINVAL),
		       "command and rekey seal refuse a NULL output buffer");
		grpsec_signer_free(s);
	}
	grpsec_member_free(t.m);
	{
		struct grpsec_member_config cfg = { .group = 1, .member = 1, .suite = 9,
						    .member_key = big, .inner_key = big };
		struct grpsec_member *m;

		ok = expect_eq(grpsec_member_new(&cfg, &m), -EINVAL);
		cfg.suite = 1;
		cfg.mode = 2;
		ok = ok && expect_eq(grpsec_member_new(&cfg, &m), -EINVAL);
		cfg.mode = 0;
		cfg.member = 0;
		ok = ok && expect_eq(grpsec_member_new(&cfg, &m), -EINVAL);
		result(ok, "member config checks");
	}
}

static void test_anonymous_nonces(void)
{
	struct test_member t = { 0 };
	uint8_t f1[GRPSEC_UPLINK_MAX_LEN], f2[GRPSEC_UPLINK_MAX_LEN];
	size_t l1, l2;
	bool ok = !member_open(&t, 1, GRPSEC_MODE_ANONYMOUS, 8, NULL) &&
		  !grpsec_member_seal_uplink(t.m, NULL, 0, f1, sizeof(f1), &l1) &&
		  !grpsec_member_seal_uplink(t.m, NULL, 0, f2, sizeof(f2), &l2) &&
		  memcmp(f1 + 24, f2 + 24, 12) && memcmp(f1 + 24, f1 + 16, 8);

	result(ok, "anonymous inner nonces are random, not the sequence");
	grpsec_member_free(t.m);
}

static void test_nonce_cache(void)
{
	static const unsigned int f0123[] = { 0, 1, 2, 3 }, f3[] = { 3 };
	bool ok = scen_start(&sc, GRPSEC_MODE_ANONYMOUS, 4, 3);

	ok = ok && !scen_batch(&sc, f0123, 4) &&
	     expect_eq(sc.s.status[2], GRPSEC_ENTRY_OK) &&
	     expect_eq(sc.s.status[3], GRPSEC_ENTRY_CACHE_FULL) &&
	     !scen_batch(&sc, f3, 1) && expect_eq(sc.s.status[0], GRPSEC_ENTRY_CACHE_FULL);
	result(ok, "anonymous nonce cache: at its bound entries are refused (fail closed)");
	ok = !grpsec_backend_del_group(sc.be, group_of(2, 0), EPOCH) &&
	     !scen_batch(&sc, f3, 1) && expect_eq(sc.s.status[0], GRPSEC_ENTRY_UNKNOWN_GROUP) &&
	     expect_eq(grpsec_backend_del_group(sc.be, group_of(2, 0), EPOCH), -ENOENT);
	result(ok, "deleted (group, epoch) is unknown");
	scen_end(&sc);

	/* Many nonces: the cache grows and still finds every one. */
	{
		struct grpsec_nonce_cache c;
		uint8_t n[12];

		ok = !grpsec_nonce_cache_init(&c, 100000);
		for (uint32_t i = 0; ok && i < 100000; i++) {
			memset(n, 0, sizeof(n));
			put_be32(n + 8, i);
			ok = !grpsec_nonce_cache_contains(&c, n) && !grpsec_nonce_cache_insert(&c, n);
		}
		for (uint32_t i = 0; ok && i < 100000; i++) {
			memset(n, 0, sizeof(n));
			put_be32(n + 8, i);
			ok = grpsec_nonce_cache_contains(&c, n);
		}
		n[0] = 1;
		ok = ok && !grpsec_nonce_cache_contains(&c, n) &&
		     grpsec_nonce_cache_insert(&c, n) == -ENOSPC;
		grpsec_nonce_cache_uninit(&c);
		result(ok, "nonce cache: 100000 nonces (zero nonce included), then full");
	}
}

static void test_kdf(void)
{
	uint8_t k1[32], k2[32];
	bool ok;

	ok = expect_eq(grpsec_kdf_member_key(1, s_auth, 1, 0, 1, k1, 32), -EINVAL) &&
	     expect_eq(grpsec_kdf_member_key(4, s_auth, 1, 0, 1, k1, 32), -EINVAL) &&
	     expect_eq(grpsec_kdf_member_key(1, s_auth, 0, 0, 1, k1, 16), -EINVAL) &&
	     expect_eq(grpsec_kdf_upstream_key(2, up_secret, 1, k1, 16), -EINVAL);
	result(ok, "kdf argument checks");
	ok = !grpsec_kdf_member_key(2, s_auth, 1, 2, 3, k1, 32) &&
	     !grpsec_kdf_e2e_key(2, s_auth, 1, 2, 3, k2, 32) && memcmp(k1, k2, 32) &&
	     !grpsec_kdf_member_key(3, s_auth, 1, 2, 3, k2, 32) && memcmp(k1, k2, 32) &&
	     !grpsec_kdf_member_key(2, s_auth, 1, 2, 4, k2, 32) && memcmp(k1, k2, 32) &&
	     !grpsec_kdf_member_key(2, s_auth, 1, 3, 3, k2, 32) && memcmp(k1, k2, 32);
	result(ok, "kdf separates labels, suites, members and epochs");
}

/* The committed vectors, checked through the opening direction. */
static void test_vectors_open(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(grpsec_vec_kdfs) / sizeof(grpsec_vec_kdfs[0]); i++) {
		const struct grpsec_vec_kdf *v = &grpsec_vec_kdfs[i];
		uint8_t k[32];
		int err;

		if (v->label == GRPSEC_VEC_KDF_UPSTREAM)
			err = grpsec_kdf_upstream_key(v->suite, v->secret, v->gateway, k, v->key_len);
		else if (v->label == GRPSEC_VEC_KDF_WRAP)
			err = grpsec_kdf_wrap_key(v->secret, v->member, k);
		else
			err = (v->label ? grpsec_kdf_e2e_key : grpsec_kdf_member_key)
				(v->suite, v->secret, v->group, v->epoch, v->member, k, v->key_len);
		result(!err && !memcmp(k, v->key, v->key_len), "vector %s", v->name);
	}
	for (i = 0; i < sizeof(grpsec_vec_uplinks) / sizeof(grpsec_vec_uplinks[0]); i++) {
		const struct grpsec_vec_uplink *v = &grpsec_vec_uplinks[i];
		uint8_t pt[GRPSEC_MAX_PAYLOAD];
		struct grpsec_uplink u;
		size_t n = 99;

		result(!grpsec_uplink_parse(v->frame, v->frame_len, &u) &&
		       !grpsec_uplink_verify(&u, v->mode, v->k_m) && u.seq == v->seq &&
		       u.member == v->member && u.group == v->group && u.epoch == v->epoch &&
		       !memcmp(u.nonce, v->inner_nonce, 12) &&
		       !grpsec_inner_open(v->mode, v->suite, v->group, v->epoch, v->member,
					  v->k_inner, u.inner, u.inner_len, pt, &n) &&
		       n == v->payload_len && (!n || !memcmp(pt, v->payload, n)),
		       "vector %s opens", v->name);
	}
	for (i = 0; i < sizeof(grpsec_vec_rejects) / sizeof(grpsec_vec_rejects[0]); i++) {
		const struct grpsec_vec_reject *v = &grpsec_vec_rejects[i];
		struct grpsec_uplink u;
		int err = grpsec_uplink_parse(v->frame, v->frame_len, &u);

		if (v->verify)
			err = err ? -1000 : grpsec_uplink_verify(&u, v->mode, v->k_m);
		result(expect_eq(err, v->expect), "vector %s", v->name);
	}
	for (i = 0; i < sizeof(grpsec_vec_batches) / sizeof(grpsec_vec_batches[0]); i++) {
		const struct grpsec_vec_batch *v = &grpsec_vec_batches[i];
		struct grpsec_backend_config cfg = {
			.gateway = v->gateway, .suite = v->suite, .upstream_key = v->k_up,
		};
		struct grpsec_backend *be;
		struct seen *s = calloc(1, sizeof(*s));
		bool ok = s && !grpsec_backend_new(&cfg, &be);

		for (unsigned int j = 0; ok && j < v->count; j++) {
			const struct grpsec_vec_batch_entry *e = &v->entries[j];
			struct grpsec_backend_group g = {
				.group = e->group, .epoch = e->epoch, .mode = e->mode,
				.suite = e->suite, .key = e->k_inner,
			};

			/* Identified groups register S_e2e; the vectors use 0x20.. */
			if (e->mode == GRPSEC_MODE_IDENTIFIED)
				g.key = s_e2e;
			ok = !grpsec_backend_add_group(be, &g);
		}
		ok = ok && !grpsec_backend_open_batch(be, v->batch, v->batch_len, NULL, seen_cb, s) &&
		     expect_eq(s->n, v->count);
		for (unsigned int j = 0; ok && j < v->count; j++) {
			const struct grpsec_vec_batch_entry *e = &v->entries[j];

			ok = expect_eq(s->status[j], GRPSEC_ENTRY_OK) &&
			     expect_eq(s->payload_len[j], e->payload_len) &&
			     (!e->payload_len || !memcmp(s->payload[j], e->payload, e->payload_len)) &&
			     expect_eq(s->member[j], e->member);
		}
		result(ok, "vector %s opens at the backend", v->name);
		grpsec_backend_free(be);
		free(s);
	}
}

/* Group commands, downlink frames and rekeying. */

static struct grpsec_signer *mgr_signer, *rogue_signer;
static struct grpsec_verifier *mgr_verifier;
static uint8_t wrap_secret[GRPSEC_SECRET_LEN];

/* K_G[e] of (group, epoch); for anonymous members t->k_inner. */
static void cmd_group_key(uint8_t *k, uint32_t group, uint32_t epoch)
{
	memcpy(k, k_g, GRPSEC_KEY_MAX_LEN);
	k[0] ^= (uint8_t)epoch;
	k[1] ^= (uint8_t)group;
	k[2] ^= (uint8_t)(group >> 8);
}

/* A member that can open commands: K_G[e] as its inner key or group_key. */
static int cmd_member(struct test_member *t, unsigned int suite, unsigned int mode,
		      uint32_t id, uint8_t *kg)
{
	struct grpsec_member_config cfg = { .group_flags = GRPSEC_GROUP_COMMANDS, .group_key = kg };

	cmd_group_key(kg, group_of(suite, mode), EPOCH);
	if (mode == GRPSEC_MODE_ANONYMOUS) {
		int err = member_open(t, suite, mode, id, &cfg);

		/* member_open() derives K_G its own way: use ours instead. */
		grpsec_member_free(t->m);
		t->m = NULL;
		if (err)
			return err;
		memcpy(t->k_inner, kg, GRPSEC_KEY_MAX_LEN);
		cfg.group = t->group;
		cfg.member = id;
		cfg.epoch = EPOCH;
		cfg.mode = mode;
		cfg.suite = suite;
		cfg.member_key = t->k_m;
		cfg.inner_key = t->k_inner;
		return grpsec_member_new(&cfg, &t->m);
	}
	return member_open(t, suite, mode, id, &cfg);
}

static uint64_t gw_frame_seq = 1000;

/*
 * Backend -> gateway -> member: body in a downlink, then a type 4/5 frame.
 * A command goes to the whole group (downlink member 0, flag GROUP), as
 * cmd_seal() seals it.
 */
static int cmd_deliver(const struct test_member *t, unsigned int type, unsigned int flags,
		       const uint8_t *body, size_t body_len, uint8_t *frame, size_t *flen)
{
	static uint64_t dl_seq;
	uint8_t k_up[GRPSEC_KEY_MAX_LEN], dl[GRPSEC_DOWNLINK_MAX_LEN];
	struct grpsec_downlink d;
	size_t dlen;
	int err;

	grpsec_kdf_upstream_key(1, up_secret, GATEWAY, k_up, 16);
	err = grpsec_downlink_build(1, k_up, GATEWAY, ++dl_seq, t->group,
				    type == GRPSEC_TYPE_REKEY ? t->id : 0,
				    type == GRPSEC_TYPE_REKEY ? GRPSEC_DOWNLINK_KIND_REKEY :
				    GRPSEC_DOWNLINK_KIND_COMMAND, body, body_len, dl, sizeof(dl), &dlen);
	if (!err)
		err = grpsec_downlink_verify(dl, dlen, GATEWAY, 1, k_up, &d);
	if (err)
		return err;
	if (type == GRPSEC_TYPE_COMMAND)
		flags |= GRPSEC_MFRAME_FLAG_GROUP;
	return grpsec_member_frame_build(type, t->suite, flags, t->group, t->id, t->epoch,
					 ++gw_frame_seq, t->k_m, d.body, d.body_len, frame,
					 GRPSEC_MFRAME_MAX_LEN, flen);
}

static int cmd_seal(const struct test_member *t, const uint8_t *kg, uint32_t group,
		    uint32_t epoch, uint64_t seq, const struct grpsec_signer *s,
		    const uint8_t *payload, size_t len, uint8_t *body, size_t *blen)
{
	struct grpsec_command_params p = {
		.suite = t->suite, .mode = t->mode, .group = group, .epoch = epoch,
		.seq = seq, .group_key = kg,
	};

	return grpsec_command_seal(&p, s, payload, len, body, GRPSEC_BODY_MAX_LEN, blen);
}

static int cmd_open(const struct test_member *t, const uint8_t *frame, size_t flen,
		    struct grpsec_command_info *info, uint8_t *out, size_t *out_len)
{
	return grpsec_member_open_command(t->m, mgr_verifier, frame, flen, out,
					  GRPSEC_COMMAND_MAX_PAYLOAD + GRPSEC_SIG_LEN, out_len, info);
}

static void cmd_init(void)
{
	uint8_t priv[GRPSEC_SIGN_KEY_LEN], pub[GRPSEC_SIGN_KEY_LEN];

	for (unsigned int i = 0; i < 32; i++) {
		priv[i] = (uint8_t)(0x80 + i);
		wrap_secret[i] = (uint8_t)(0xc0 + i);
	}
	result(!grpsec_signer_new(priv, &mgr_signer) && !grpsec_signer_public(mgr_signer, pub) &&
	       !grpsec_verifier_new(pub, &mgr_verifier) &&
	       !grpsec_signer_generate(&rogue_signer) &&
	       expect_eq(grpsec_signer_new(NULL, &rogue_signer), -EINVAL),
	       "Ed25519 signer and verifier");
}

static void test_command_roundtrip(void)
{
	static const size_t sizes[] = { 0, 1, 100, GRPSEC_COMMAND_MAX_PAYLOAD };
	uint8_t kg[GRPSEC_KEY_MAX_LEN], body[GRPSEC_BODY_MAX_LEN], frame[GRPSEC_MFRAME_MAX_LEN];
	uint8_t payload[GRPSEC_BODY_MAX_LEN], out[GRPSEC_BODY_MAX_LEN];

	for (unsigned int suite = 1; suite <= 3; suite++) {
		for (unsigned int mode = 0; mode <= 1; mode++) {
			struct test_member t = { 0 };
			bool ok = !cmd_member(&t, suite, mode, 21, kg);

			for (unsigned int i = 0; ok && i < 4; i++) {
				struct grpsec_command_info info = { .from_gateway = -1 };
				size_t blen, flen, olen;

				fill_payload(payload, sizes[i], i);
				ok = !cmd_seal(&t, kg, t.group, EPOCH, 10 + i, mgr_signer, payload,
					       sizes[i], body, &blen) &&
				     expect_eq(blen, sizes[i] + GRPSEC_COMMAND_OVERHEAD) &&
				     !cmd_deliver(&t, GRPSEC_TYPE_COMMAND, 0, body, blen, frame,
						  &flen) &&
				     expect_eq(cmd_open(&t, frame, flen, &info, out, &olen), 0) &&
				     expect_eq(olen, sizes[i]) && !memcmp(out, payload, olen) &&
				     expect_eq(info.from_gateway, 0) && expect_eq(info.seq, 10 + i) &&
				     expect_eq(info.epoch, EPOCH) &&
				     expect_eq(grpsec_member_command_seq(t.m), 10 + i);
			}
			result(ok, "command round trip, %s %s, payload 0..%d", grpsec_suite_name(suite),
			       grpsec_mode_name(mode), GRPSEC_COMMAND_MAX_PAYLOAD);
			grpsec_member_free(t.m);
		}
	}
}

/* The member's floors mean the same: the floor itself is accepted. */
static void test_command_floor(void)
{
	uint8_t kg[GRPSEC_KEY_MAX_LEN], body[GRPSEC_BODY_MAX_LEN], frame[GRPSEC_MFRAME_MAX_LEN];
	uint8_t out[GRPSEC_BODY_MAX_LEN];
	struct grpsec_member_config cfg = {
		.group_flags = GRPSEC_GROUP_COMMANDS, .group_key = kg, .command_seq_floor = 50,
	};
	struct grpsec_command_info info;
	struct test_member t = { 0 };
	size_t blen, flen, olen;
	bool ok;

	cmd_group_key(kg, group_of(1, GRPSEC_MODE_IDENTIFIED), EPOCH);
	ok = !member_open(&t, 1, GRPSEC_MODE_IDENTIFIED, 23, &cfg) &&
	     expect_eq(grpsec_member_command_seq(t.m), 49);
	for (uint64_t seq = 49; ok && seq <= 50; seq++) {
		ok = !cmd_seal(&t, kg, t.group, EPOCH, seq, mgr_signer, (const uint8_t *)"x", 1,
			       body, &blen) &&
		     !cmd_deliver(&t, GRPSEC_TYPE_COMMAND, 0, body, blen, frame, &flen) &&
		     expect_eq(cmd_open(&t, frame, flen, &info, out, &olen), seq == 50 ? 0 : -ESTALE);
	}
	ok = ok && expect_eq(grpsec_member_command_seq(t.m), 50);
	result(ok, "command floor 50: command 49 refused, 50 accepted");
	grpsec_member_free(t.m);
}

enum cmd_case {
	CC_OK, CC_OTHER_GROUP_KEY, CC_OTHER_GROUP_SIG, CC_ROGUE_SIG, CC_FELLOW_SIG,
	CC_FELLOW_TAG, CC_REPLAY_FRAME, CC_REPLAY_RETAG, CC_OLDER_SEQ, CC_SEQ_0,
	CC_GW_OK, CC_GW_BAD_TAG, CC_GW_FLAG_ON_SIGNED, CC_UNSIGNED_NO_FLAG, CC_GW_REPLAY,
	CC_TAMPER_BODY, CC_OTHER_MEMBER, CC_REKEY_TYPE, CC_EPOCH_NEWER, CC_FRAME_EPOCH_OLD,
	CC_NO_VERIFIER, CC_SHORT_OUT,
};

static const struct {
	const char *name;
	enum cmd_case c;
	int expect;
} cmd_cases[] = {
	{ "valid command", CC_OK, 0 },
	{ "member of another group (other K_G) cannot open", CC_OTHER_GROUP_KEY, -EBADMSG },
	{ "command signed for another group refused", CC_OTHER_GROUP_SIG, -EBADMSG },
	{ "right K_G, wrong signing key refused", CC_ROGUE_SIG, -EBADMSG },
	{ "fellow member (K_G, no signing key) cannot forge", CC_FELLOW_SIG, -EBADMSG },
	{ "fellow member cannot pose as the gateway (K_m tag)", CC_FELLOW_TAG, -EBADMSG },
	{ "replayed frame refused (gateway sequence)", CC_REPLAY_FRAME, -ESTALE },
	{ "replayed command re-tagged by the gateway refused", CC_REPLAY_RETAG, -ESTALE },
	{ "older command sequence refused", CC_OLDER_SEQ, -ESTALE },
	{ "command sequence 0 refused", CC_SEQ_0, -EPROTO },
	{ "gateway-originated unsigned command accepted", CC_GW_OK, 0 },
	{ "gateway-originated command with a bad K_m tag refused", CC_GW_BAD_TAG, -EBADMSG },
	{ "gateway flag on a signed body refused", CC_GW_FLAG_ON_SIGNED, -EBADMSG },
	{ "unsigned body without the gateway flag refused", CC_UNSIGNED_NO_FLAG, -EMSGSIZE },
	{ "gateway-originated command replay refused", CC_GW_REPLAY, -ESTALE },
	{ "tampered command body refused", CC_TAMPER_BODY, -EBADMSG },
	{ "frame for another member refused", CC_OTHER_MEMBER, -EPROTO },
	{ "rekey frame is not a command", CC_REKEY_TYPE, -EPROTO },
	{ "command of a newer epoch: no key", CC_EPOCH_NEWER, -ENOKEY },
	{ "frame tagged under an older epoch refused", CC_FRAME_EPOCH_OLD, -ESTALE },
	{ "signed command without a verifier refused", CC_NO_VERIFIER, -EINVAL },
	{ "output buffer too small", CC_SHORT_OUT, -EMSGSIZE },
};

static void test_command_rejects(void)
{
	static const uint8_t payload[] = "open valve 3; report in 60 s; payload long enough";
	uint8_t kg[GRPSEC_KEY_MAX_LEN], kg_other[GRPSEC_KEY_MAX_LEN];
	uint8_t body[GRPSEC_BODY_MAX_LEN], frame[GRPSEC_MFRAME_MAX_LEN], out[GRPSEC_BODY_MAX_LEN];

	for (size_t ci = 0; ci < sizeof(cmd_cases) / sizeof(cmd_cases[0]); ci++) {
		for (unsigned int mode = 0; mode <= 1; mode++) {
			struct test_member t = { 0 }, other = { 0 }, fellow = { 0 };
			struct grpsec_command_info info = { .from_gateway = -1 };
			const struct grpsec_signer *s = mgr_signer;
			unsigned int flags = 0, type = GRPSEC_TYPE_COMMAND;
			uint32_t group, epoch = EPOCH;
			uint64_t seq = 50;
			size_t blen, flen, olen, osize = sizeof(out);
			const uint8_t *key;
			enum cmd_case c = cmd_cases[ci].c;
			bool ok;
			int err = -1;

			ok = !cmd_member(&t, 1, mode, 31, kg) && !cmd_member(&fellow, 1, mode, 32, kg) &&
			     !cmd_member(&other, 2, mode, 31, kg_other);
			group = t.group;
			key = kg;
			switch (c) {
			case CC_OTHER_GROUP_KEY:	/* the other group's signed command */
				group = other.group;
				key = kg_other;
				break;
			case CC_OTHER_GROUP_SIG:
				group = other.group;
				break;
			case CC_ROGUE_SIG:
			case CC_FELLOW_SIG:
				s = rogue_signer;
				break;
			case CC_SEQ_0:
				seq = 0;
				break;
			case CC_GW_OK:
			case CC_GW_BAD_TAG:
			case CC_GW_REPLAY:
				s = NULL;
				flags = GRPSEC_MFRAME_FLAG_GATEWAY;
				break;
			case CC_GW_FLAG_ON_SIGNED:
				flags = GRPSEC_MFRAME_FLAG_GATEWAY;
				break;
			case CC_UNSIGNED_NO_FLAG:
				s = NULL;
				break;
			case CC_EPOCH_NEWER:
				epoch = EPOCH + 1;
				break;
			case CC_SHORT_OUT:
				osize = sizeof(payload) - 2;
				break;
			case CC_REKEY_TYPE:
				type = GRPSEC_TYPE_REKEY;
				break;
			default:
				break;
			}
			if (c == CC_OTHER_GROUP_KEY) {
				/* Sealed and signed for @other's group, given to @t's group. */
				struct grpsec_command_params p = {
					.suite = 1, .mode = mode, .group = t.group, .epoch = EPOCH,
					.seq = seq, .group_key = kg_other,
				};

				ok = ok && !grpsec_command_seal(&p, s, payload, sizeof(payload), body,
							       sizeof(body), &blen);
			} else if (c == CC_SEQ_0) {
				ok = ok && expect_eq(cmd_seal(&t, key, group, epoch, 0, s, payload,
							      sizeof(payload), body, &blen), -EINVAL);
				cmd_seal(&t, key, group, epoch, 1, s, payload, sizeof(payload), body, &blen);
				memset(body + 4, 0, 8);
			} else {
				ok = ok && !cmd_seal(&t, key, group, epoch, seq, s, payload,
						     sizeof(payload), body, &blen);
			}
			if (c == CC_FELLOW_SIG)	/* a member signs with a key of its own */
				ok = ok && !cmd_seal(&fellow, kg, t.group, EPOCH, seq, rogue_signer,
						     payload, sizeof(payload), body, &blen);
			if (c == CC_TAMPER_BODY)
				body[GRPSEC_COMMAND_HDR_LEN + GRPSEC_NONCE_LEN] ^= 1;
			if (c == CC_OLDER_SEQ || c == CC_REPLAY_RETAG || c == CC_GW_REPLAY) {
				uint8_t b2[GRPSEC_BODY_MAX_LEN];
				size_t b2len;

				/* First a valid command with sequence 60 (or this one). */
				if (c == CC_OLDER_SEQ)
					ok = ok && !cmd_seal(&t, key, group, epoch, 60, s, payload,
							     sizeof(payload), b2, &b2len);
				else
					memcpy(b2, body, b2len = blen);
				ok = ok && !cmd_deliver(&t, type, flags, b2, b2len, frame, &flen) &&
				     expect_eq(cmd_open(&t, frame, flen, NULL, out, &olen), 0);
			}
			if (c == CC_REKEY_TYPE) {
				ok = ok && !cmd_deliver(&t, type, 0, body, blen, frame, &flen);
			} else if (c == CC_FELLOW_TAG) {
				/* The fellow tags with its own K_m, claiming the victim's id. */
				ok = ok && !grpsec_member_frame_build(GRPSEC_TYPE_COMMAND, 1,
						GRPSEC_MFRAME_FLAG_GATEWAY, t.group, t.id, EPOCH,
						++gw_frame_seq, fellow.k_m, body, blen, frame,
						sizeof(frame), &flen);
			} else if (c == CC_OTHER_MEMBER) {
				ok = ok && !cmd_deliver(&fellow, type, flags, body, blen, frame, &flen);
			} else if (c == CC_FRAME_EPOCH_OLD) {
				ok = ok && !grpsec_member_frame_build(GRPSEC_TYPE_COMMAND, 1, 0, t.group,
						t.id, EPOCH - 1, ++gw_frame_seq, t.k_m, body, blen,
						frame, sizeof(frame), &flen);
			} else {
				ok = ok && !cmd_deliver(&t, type, flags, body, blen, frame, &flen);
			}
			if (c == CC_GW_BAD_TAG)
				frame[flen - 1] ^= 0x40;
			if (c == CC_REPLAY_FRAME)
				ok = ok && expect_eq(cmd_open(&t, frame, flen, NULL, out, &olen), 0);
			if (ok) {
				if (c == CC_NO_VERIFIER)
					err = grpsec_member_open_command(t.m, NULL, frame, flen, out,
									 osize, &olen, &info);
				else
					err = grpsec_member_open_command(t.m, mgr_verifier, frame, flen,
									 out, osize, &olen, &info);
			}
			ok = ok && expect_eq(err, cmd_cases[ci].expect);
			if (ok && !err)
				ok = expect_eq(olen, sizeof(payload)) && !memcmp(out, payload, olen) &&
				     expect_eq(info.from_gateway, c == CC_GW_OK) &&
				     expect_eq(info.seq, seq);
			if (ok && err)	/* nothing accepted: the last sequences are unchanged */
				ok = expect_eq(grpsec_member_command_seq(t.m),
					       c == CC_OLDER_SEQ ? 60 :
					       c == CC_REPLAY_RETAG || c == CC_REPLAY_FRAME ? seq : 0) &&
				     expect_eq(grpsec_member_gateway_command_seq(t.m),
					       c == CC_GW_REPLAY ? seq : 0);
			result(ok, "%s (%s)", cmd_cases[ci].name, grpsec_mode_name(mode));
			grpsec_member_free(t.m);
			grpsec_member_free(fellow.m);
			grpsec_member_free(other.m);
		}
	}
}

/*
 * Command addressing: a body the backend signed for member 1001 is
 * accepted by 1001 only, not by 1002 when re-sent as multicast or
 * re-addressed by the gateway; a body for the group is accepted by both,
 * by multicast too.  The member reports how and for whom.
 */
static int addr_deliver(const struct test_member *to, unsigned int flags, const uint8_t *body,
			size_t blen, uint8_t *frame, size_t *flen)
{
	bool mcast = flags & GRPSEC_MFRAME_FLAG_MULTICAST;

	return grpsec_member_frame_build(GRPSEC_TYPE_COMMAND, to->suite, flags, to->group,
					 mcast ? 0 : to->id, mcast ? 0 : to->epoch,
					 ++gw_frame_seq, to->k_m, body, blen, frame,
					 GRPSEC_MFRAME_MAX_LEN, flen);
}

static void test_command_addressing(void)
{
	static const uint8_t payload[] = "open the valve of member 1001 only";
	static const struct {
		const char *name;
		uint32_t recipient;	/* of the body */
		bool to_other;		/* delivered to 1002 instead of 1001 */
		unsigned int flags;
		int expect;
		enum grpsec_command_delivery delivery;
	} rows[] = {
		{ "unicast body accepted by its member", 1001, false, 0, 0,
		  GRPSEC_COMMAND_UNICAST },
		{ "unicast body for 1001 re-sent as multicast: 1002 refuses", 1001, true,
		  GRPSEC_MFRAME_FLAG_MULTICAST | GRPSEC_MFRAME_FLAG_GROUP, -EBADMSG, 0 },
		{ "unicast body for 1001 re-sent as multicast: 1001 refuses too", 1001, false,
		  GRPSEC_MFRAME_FLAG_MULTICAST | GRPSEC_MFRAME_FLAG_GROUP, -EBADMSG, 0 },
		{ "unicast body for 1001 re-addressed to 1002 refused", 1001, true, 0, -EBADMSG, 0 },
		{ "unicast body for 1001 re-addressed to 1002 as a group body refused", 1001, true,
		  GRPSEC_MFRAME_FLAG_GROUP, -EBADMSG, 0 },
		{ "group body sent as a body for 1001 alone refused", 0, false, 0, -EBADMSG, 0 },
		{ "group body accepted by multicast", 0, true,
		  GRPSEC_MFRAME_FLAG_MULTICAST | GRPSEC_MFRAME_FLAG_GROUP, 0,
		  GRPSEC_COMMAND_MULTICAST },
		{ "group body accepted by unicast", 0, true, GRPSEC_MFRAME_FLAG_GROUP, 0,
		  GRPSEC_COMMAND_UNICAST },
	};
	uint8_t kg[GRPSEC_KEY_MAX_LEN], body[GRPSEC_BODY_MAX_LEN], frame[GRPSEC_MFRAME_MAX_LEN];
	uint8_t out[GRPSEC_BODY_MAX_LEN];

	for (unsigned int mode = 0; mode <= 1; mode++) {
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			struct test_member a = { 0 }, b = { 0 };
			const struct test_member *to;
			struct grpsec_command_info info = { 0 };
			struct grpsec_command_params p = {
				.suite = 1, .mode = mode, .recipient = rows[i].recipient,
				.epoch = EPOCH, .seq = 70, .group_key = kg,
			};
			size_t blen, flen, olen;
			bool ok;

			ok = !cmd_member(&a, 1, mode, 1001, kg) && !cmd_member(&b, 1, mode, 1002, kg);
			p.group = a.group;
			to = rows[i].to_other ? &b : &a;
			ok = ok && !grpsec_command_seal(&p, mgr_signer, payload, sizeof(payload), body,
						       sizeof(body), &blen) &&
			     !addr_deliver(to, rows[i].flags, body, blen, frame, &flen) &&
			     expect_eq(cmd_open(to, frame, flen, &info, out, &olen), rows[i].expect);
			if (ok && !rows[i].expect)
				ok = expect_eq(olen, sizeof(payload)) && !memcmp(out, payload, olen) &&
				     expect_eq(info.delivery, rows[i].delivery) &&
				     expect_eq(info.recipient, rows[i].recipient) &&
				     expect_eq(info.from_gateway, 0) &&
				     expect_eq(grpsec_member_command_seq(to->m), 70);
			else if (ok)
				ok = expect_eq(grpsec_member_command_seq(to->m), 0);
			result(ok, "%s (%s)", rows[i].name, grpsec_mode_name(mode));
			grpsec_member_free(a.m);
			grpsec_member_free(b.m);
		}
	}
}

static void test_command_nokey(void)
{
	struct grpsec_member_config cfg = { .group_flags = GRPSEC_GROUP_COMMANDS };
	uint8_t kg[GRPSEC_KEY_MAX_LEN], body[GRPSEC_BODY_MAX_LEN], frame[GRPSEC_MFRAME_MAX_LEN];
	uint8_t out[GRPSEC_BODY_MAX_LEN];
	struct test_member t = { 0 };
	size_t blen, flen, olen;
	bool ok;

	cmd_group_key(kg, group_of(1, GRPSEC_MODE_IDENTIFIED), EPOCH);
	ok = !member_open(&t, 1, GRPSEC_MODE_IDENTIFIED, 41, &cfg) &&
	     !cmd_seal(&t, kg, t.group, EPOCH, 1, mgr_signer, body, 8, body, &blen) &&
	     !cmd_deliver(&t, GRPSEC_TYPE_COMMAND, 0, body, blen, frame, &flen) &&
	     expect_eq(cmd_open(&t, frame, flen, NULL, out, &olen), -ENOKEY) &&
	     !grpsec_member_set_group_key(t.m, kg) &&
	     !cmd_deliver(&t, GRPSEC_TYPE_COMMAND, 0, body, blen, frame, &flen) &&
	     expect_eq(cmd_open(&t, frame, flen, NULL, out, &olen), 0) && expect_eq(olen, 8);
	result(ok, "identified member without K_G: -ENOKEY until grpsec_member_set_group_key()");
	grpsec_member_free(t.m);
}

static void test_downlink(void)
{
	static const struct {
		const char *name;
		int off;	/* byte to change; -1 = last byte; -2 = truncate; -3 append */
		uint8_t xor;
		int expect;
	} cases[] = {
		{ "valid", 0, 0, 0 },
		{ "tampered tag", -1, 0x01, -EBADMSG },
		{ "tampered body", 28, 0x80, -EBADMSG },
		{ "tampered group", 16, 0x01, -EBADMSG },
		{ "tampered member", 23, 0x01, -EBADMSG },
		{ "tampered sequence", 15, 0x01, -EBADMSG },
		{ "another gateway id", 7, 0x01, -EPROTO },
		{ "version 1", 0, 0x03, -EPROTONOSUPPORT },
		{ "type batch", 1, 0x01, -EPROTO },
		{ "flags", 3, 0x01, -EPROTO },
		{ "suite of another K_up", 2, 0x03, -EPROTO },
		{ "unknown kind", 24, 0x07, -EPROTO },
		{ "reserved", 25, 0x01, -EPROTO },
		{ "body length too big", 27, 0x01, -EMSGSIZE },
		{ "truncated", -2, 0, -EMSGSIZE },
		{ "trailing byte", -3, 0, -EMSGSIZE },
	};
	uint8_t k_up[16], k_bad[16], body[64], dl[GRPSEC_DOWNLINK_MAX_LEN + 1];
	struct grpsec_downlink d;
	size_t dlen;
	bool ok;

	grpsec_kdf_upstream_key(1, up_secret, GATEWAY, k_up, 16);
	fill_payload(body, sizeof(body), 3);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok = !grpsec_downlink_build(1, k_up, GATEWAY, 7, 0x101, 0,
					    GRPSEC_DOWNLINK_KIND_COMMAND, body, sizeof(body), dl,
					    sizeof(dl), &dlen) &&
		     expect_eq(dlen, GRPSEC_DOWNLINK_HDR_LEN + sizeof(body) + GRPSEC_TAG_LEN);
		if (cases[i].off == -1)
			dl[dlen - 1] ^= cases[i].xor;
		else if (cases[i].off == -2)
			dlen--;
		else if (cases[i].off == -3)
			dl[dlen++] = 0;
		else
			dl[cases[i].off] ^= cases[i].xor;
		ok = ok && expect_eq(grpsec_downlink_verify(dl, dlen, GATEWAY, 1, k_up, &d),
				     cases[i].expect);
		if (ok && !cases[i].expect)
			ok = expect_eq(d.seq, 7) && expect_eq(d.group, 0x101) &&
			     expect_eq(d.member, 0) && expect_eq(d.body_len, sizeof(body)) &&
			     !memcmp(d.body, body, sizeof(body));
		result(ok, "downlink (gateway reference): %s", cases[i].name);
	}
	memcpy(k_bad, k_up, 16);
	k_bad[0] ^= 1;
	ok = !grpsec_downlink_build(1, k_up, GATEWAY, 8, 0x101, 0, GRPSEC_DOWNLINK_KIND_COMMAND,
				    body, sizeof(body), dl, sizeof(dl), &dlen) &&
	     expect_eq(grpsec_downlink_verify(dl, dlen, GATEWAY, 1, k_bad, &d), -EBADMSG) &&
	     expect_eq(grpsec_downlink_build(1, k_up, GATEWAY, 8, 0x101, 0,
					     GRPSEC_DOWNLINK_KIND_REKEY, body, sizeof(body), dl,
					     sizeof(dl), &dlen), -EINVAL) &&
	     expect_eq(grpsec_downlink_build(1, k_up, GATEWAY, 0, 0x101, 0,
					     GRPSEC_DOWNLINK_KIND_COMMAND, body, sizeof(body), dl,
					     sizeof(dl), &dlen), -EINVAL) &&
	     expect_eq(grpsec_downlink_build(1, k_up, GATEWAY, 8, 0x101, 0,
					     GRPSEC_DOWNLINK_KIND_COMMAND, body, 0, dl,
					     sizeof(dl), &dlen), -EMSGSIZE) &&
	     expect_eq(grpsec_downlink_build(1, k_up, GATEWAY, 8, 0x101, 0,
					     GRPSEC_DOWNLINK_KIND_COMMAND, dl,
					     GRPSEC_BODY_MAX_LEN + 1, dl, sizeof(dl), &dlen), -EMSGSIZE);
	result(ok, "downlink: wrong K_up, rekey to member 0, sequence 0, body 0 or > 1200");
}

/* Seal a rekey for @t to epoch @epoch and deliver it. */
static int rekey_for(const struct test_member *t, const struct grpsec_signer *s,
		     const uint8_t *wrap, uint32_t epoch, uint64_t seq, uint8_t *frame,
		     size_t *flen, uint8_t *new_km, uint8_t *new_kg, uint8_t *new_ke)
{
	struct grpsec_rekey_keys k = {
		.epoch = epoch, .suite = t->suite, .mode = t->mode,
		.group_flags = GRPSEC_GROUP_COMMANDS,
	};
	size_t kl = grpsec_suite_key_len(t->suite), blen;
	uint8_t body[GRPSEC_REKEY_BODY_MAX_LEN];
	int err;

	err = grpsec_kdf_member_key(t->suite, s_auth, t->group, epoch, t->id, new_km, kl);
	if (err)
		return err;
	cmd_group_key(new_kg, t->group, epoch);
	k.member_key = new_km;
	k.group_key = new_kg;
	if (t->mode == GRPSEC_MODE_IDENTIFIED) {
		err = grpsec_kdf_e2e_key(t->suite, s_e2e, t->group, epoch, t->id, new_ke, kl);
		if (err)
			return err;
		k.e2e_key = new_ke;
	}
	err = grpsec_rekey_seal(s, wrap, t->group, t->id, seq, &k, NULL, body, sizeof(body),
				&blen);
	if (err)
		return err;
	return cmd_deliver(t, GRPSEC_TYPE_REKEY, 0, body, blen, frame, flen);
}

static void test_rekey(void)
{
	uint8_t kg[GRPSEC_KEY_MAX_LEN], kg2[GRPSEC_KEY_MAX_LEN], km[GRPSEC_KEY_MAX_LEN];
	uint8_t ke[GRPSEC_KEY_MAX_LEN], body[GRPSEC_BODY_MAX_LEN], out[GRPSEC_BODY_MAX_LEN];
	uint8_t frame[GRPSEC_MFRAME_MAX_LEN], old_frame[GRPSEC_MFRAME_MAX_LEN];
	uint8_t up[GRPSEC_UPLINK_MAX_LEN], wrap_a[32], wrap_b[32];
	size_t flen, old_flen, blen, olen, ulen;

	grpsec_kdf_wrap_key(wrap_secret, 51, wrap_a);
	grpsec_kdf_wrap_key(wrap_secret, 52, wrap_b);
	for (unsigned int suite = 1; suite <= 3; suite++) {
		for (unsigned int mode = 0; mode <= 1; mode++) {
			struct test_member a = { 0 }, b = { 0 };
			struct grpsec_uplink u;
			uint32_t e = 0;
			uint64_t next;
			bool ok;

			ok = !cmd_member(&a, suite, mode, 51, kg) && !cmd_member(&b, suite, mode, 52, kg);
			/* Only its member: another member's K_wrap, or the frame re-addressed. */
			ok = ok && !rekey_for(&a, mgr_signer, wrap_b, EPOCH + 1, 1, frame, &flen, km,
					     kg2, ke) &&
			     expect_eq(grpsec_member_apply_rekey(a.m, mgr_verifier, wrap_a, frame,
								 flen, &e), -EBADMSG);
			result(ok, "rekey wrapped under another member's K_wrap refused (%s %s)",
			       grpsec_suite_name(suite), grpsec_mode_name(mode));
			ok = ok && !rekey_for(&a, mgr_signer, wrap_a, EPOCH + 1, 1, frame, &flen, km,
					     kg2, ke);
			{	/* The gateway hands a's rekey body to b. */
				struct grpsec_mframe f;

				ok = ok && !grpsec_mframe_parse(frame, flen, &f) &&
				     !grpsec_member_frame_build(GRPSEC_TYPE_REKEY, suite, 0, b.group,
						b.id, EPOCH, ++gw_frame_seq, b.k_m, f.body, f.body_len,
						old_frame, sizeof(old_frame), &old_flen) &&
				     expect_eq(grpsec_member_apply_rekey(b.m, mgr_verifier, wrap_b,
									 old_frame, old_flen, &e),
					       -EBADMSG) &&
				     expect_eq(grpsec_member_epoch(b.m), EPOCH);
			}
			result(ok, "rekey reaches only its member (%s %s)", grpsec_suite_name(suite),
			       grpsec_mode_name(mode));
			/* Forged signature, then the real one. */
			ok = ok && !rekey_for(&a, rogue_signer, wrap_a, EPOCH + 1, 1, old_frame,
					     &old_flen, km, kg2, ke) &&
			     expect_eq(grpsec_member_apply_rekey(a.m, mgr_verifier, wrap_a,
								 old_frame, old_flen, &e), -EBADMSG) &&
			     expect_eq(grpsec_member_epoch(a.m), EPOCH);
			result(ok, "rekey with a wrong signature refused (%s %s)",
			       grpsec_suite_name(suite), grpsec_mode_name(mode));
			/* Uplink before and after: the sequence carries on. */
			ok = ok && !grpsec_member_seal_uplink(a.m, NULL, 0, up, sizeof(up), &ulen);
			next = grpsec_member_next_seq(a.m);
			ok = ok && !grpsec_member_apply_rekey(a.m, mgr_verifier, wrap_a, frame, flen,
							      &e) &&
			     expect_eq(e, EPOCH + 1) && expect_eq(grpsec_member_epoch(a.m), EPOCH + 1) &&
			     expect_eq(grpsec_member_rekey_seq(a.m), 1) &&
			     expect_eq(grpsec_member_next_seq(a.m), next) &&
			     !grpsec_member_seal_uplink(a.m, NULL, 0, up, sizeof(up), &ulen) &&
			     !grpsec_uplink_parse(up, ulen, &u) && expect_eq(u.seq, next) &&
			     expect_eq(u.epoch, EPOCH + 1) && !grpsec_uplink_verify(&u, mode, km);
			result(ok, "applied rekey: new epoch, uplink sequence continues (%s %s)",
			       grpsec_suite_name(suite), grpsec_mode_name(mode));
			/* The same rekey again (re-tagged by the gateway): replay. */
			memcpy(a.k_m, km, sizeof(km));
			a.epoch = EPOCH + 1;
			{
				struct grpsec_mframe f;

				ok = ok && !grpsec_mframe_parse(frame, flen, &f) &&
				     !grpsec_member_frame_build(GRPSEC_TYPE_REKEY, suite, 0, a.group,
						a.id, a.epoch, ++gw_frame_seq, a.k_m, f.body,
						f.body_len, old_frame, sizeof(old_frame), &old_flen) &&
				     expect_eq(grpsec_member_apply_rekey(a.m, mgr_verifier, wrap_a,
									 old_frame, old_flen, &e),
					       -ESTALE);
			}
			/* A newer epoch with an old rekey sequence: replay too. */
			ok = ok && !rekey_for(&a, mgr_signer, wrap_a, EPOCH + 2, 1, old_frame,
					     &old_flen, out, out + 32, out + 64) &&
			     expect_eq(grpsec_member_apply_rekey(a.m, mgr_verifier, wrap_a,
								 old_frame, old_flen, &e), -ESTALE);
			result(ok, "rekey replay and old rekey sequence refused (%s %s)",
			       grpsec_suite_name(suite), grpsec_mode_name(mode));
			/*
			 * Commands: the new epoch opens, so does the old one until it is
			 * retired; then it is stale.
			 */
			ok = ok && !cmd_seal(&a, kg2, a.group, EPOCH + 1, 5, mgr_signer, body, 3,
					     body, &blen) &&
			     !cmd_deliver(&a, GRPSEC_TYPE_COMMAND, 0, body, blen, frame, &flen) &&
			     expect_eq(cmd_open(&a, frame, flen, NULL, out, &olen), 0) &&
			     !cmd_seal(&a, kg, a.group, EPOCH, 6, mgr_signer, body, 3, body, &blen) &&
			     !cmd_deliver(&a, GRPSEC_TYPE_COMMAND, 0, body, blen, frame, &flen) &&
			     expect_eq(cmd_open(&a, frame, flen, NULL, out, &olen), 0);
			grpsec_member_retire_epoch(a.m);
			ok = ok && !cmd_seal(&a, kg, a.group, EPOCH, 7, mgr_signer, body, 3, body,
					     &blen) &&
			     !cmd_deliver(&a, GRPSEC_TYPE_COMMAND, 0, body, blen, frame, &flen) &&
			     expect_eq(cmd_open(&a, frame, flen, NULL, out, &olen), -ESTALE);
			result(ok, "after the rekey: commands of both epochs open until the old one "
			       "is retired, then it is stale (%s %s)", grpsec_suite_name(suite),
			       grpsec_mode_name(mode));
			grpsec_member_free(a.m);
			grpsec_member_free(b.m);
		}
	}
}

/*
 * The rollover (frames.rst, "Rollover"): right after a member applied a
 * rekey to e+1, and before any uplink of it under e+1, the gateway still
 * tags its frames under K_m[e].  A command sent then arrives, whether the
 * backend sealed it under K_G[e+1] or still under K_G[e]; so does the next
 * rekey.  Once the old epoch is retired, frames under it are stale.
 */
static void test_rollover_command(void)
{
	uint8_t kg[GRPSEC_KEY_MAX_LEN], km2[GRPSEC_KEY_MAX_LEN], kg2[GRPSEC_KEY_MAX_LEN];
	uint8_t ke2[GRPSEC_KEY_MAX_LEN], km3[GRPSEC_KEY_MAX_LEN], kg3[GRPSEC_KEY_MAX_LEN];
	uint8_t body[GRPSEC_BODY_MAX_LEN], out[GRPSEC_BODY_MAX_LEN], wrap[32];
	uint8_t frame[GRPSEC_MFRAME_MAX_LEN];
	size_t flen, blen, olen;

	grpsec_kdf_wrap_key(wrap_secret, 61, wrap);
	for (unsigned int mode = 0; mode <= 1; mode++) {
		struct test_member a = { 0 }, old;
		const char *mn = grpsec_mode_name(mode);
		uint32_t e = 0;
		bool ok;

		/* The rekey to e+1 arrives under K_m[e] and is applied. */
		ok = !cmd_member(&a, 1, mode, 61, kg) &&
		     !rekey_for(&a, mgr_signer, wrap, EPOCH + 1, 1, frame, &flen, km2, kg2, ke2) &&
		     !grpsec_member_apply_rekey(a.m, mgr_verifier, wrap, frame, flen, &e) &&
		     expect_eq(e, EPOCH + 1);
		old = a;	/* the gateway's view: K_m[e] */
		ok = ok && !cmd_seal(&a, kg2, a.group, EPOCH + 1, 10, mgr_signer, body, 5, body,
				     &blen) &&
		     !cmd_deliver(&old, GRPSEC_TYPE_COMMAND, 0, body, blen, frame, &flen) &&
		     expect_eq(cmd_open(&a, frame, flen, NULL, out, &olen), 0);
		result(ok, "rollover %s: command under K_G[e+1] tagged under K_m[e] arrives", mn);
		ok = ok && !cmd_seal(&a, kg, a.group, EPOCH, 11, mgr_signer, body, 5, body, &blen) &&
		     !cmd_deliver(&old, GRPSEC_TYPE_COMMAND, 0, body, blen, frame, &flen) &&
		     expect_eq(cmd_open(&a, frame, flen, NULL, out, &olen), 0);
		result(ok, "rollover %s: command under K_G[e] tagged under K_m[e] arrives", mn);
		/* The gateway switched (the member sent under e+1): K_m[e+1]. */
		memcpy(a.k_m, km2, sizeof(km2));
		a.epoch = EPOCH + 1;
		ok = ok && !cmd_seal(&a, kg2, a.group, EPOCH + 1, 12, mgr_signer, body, 5, body,
				     &blen) &&
		     !cmd_deliver(&a, GRPSEC_TYPE_COMMAND, 0, body, blen, frame, &flen) &&
		     expect_eq(cmd_open(&a, frame, flen, NULL, out, &olen), 0);
		result(ok, "rollover %s: command tagged under K_m[e+1] arrives", mn);
		/* The next rekey, tagged under K_m[e] still: applied; e goes. */
		ok = ok && !rekey_for(&old, mgr_signer, wrap, EPOCH + 2, 2, frame, &flen, km3, kg3,
				     ke2) &&
		     !grpsec_member_apply_rekey(a.m, mgr_verifier, wrap, frame, flen, &e) &&
		     expect_eq(e, EPOCH + 2) &&
		     !cmd_seal(&a, kg, a.group, EPOCH, 13, mgr_signer, body, 5, body, &blen) &&
		     !cmd_deliver(&a, GRPSEC_TYPE_COMMAND, 0, body, blen, frame, &flen) &&
		     expect_eq(cmd_open(&a, frame, flen, NULL, out, &olen), -ESTALE) &&
		     !cmd_seal(&a, kg2, a.group, EPOCH + 1, 14, mgr_signer, body, 5, body, &blen) &&
		     !cmd_deliver(&old, GRPSEC_TYPE_COMMAND, 0, body, blen, frame, &flen) &&
		     expect_eq(cmd_open(&a, frame, flen, NULL, out, &olen), -ESTALE);
		result(ok, "rollover %s: a rekey under K_m[e] applies; then e is gone", mn);
		/* Retired: e+1 no longer opens, e+2 does. */
		grpsec_member_retire_epoch(a.m);
		ok = ok && !cmd_seal(&a, kg2, a.group, EPOCH + 1, 15, mgr_signer, body, 5, body,
				     &blen) &&
		     !cmd_deliver(&a, GRPSEC_TYPE_COMMAND, 0, body, blen, frame, &flen) &&
		     expect_eq(cmd_open(&a, frame, flen, NULL, out, &olen), -ESTALE) &&
		     expect_eq(grpsec_member_command_seq(a.m), 12);
		memcpy(a.k_m, km3, sizeof(km3));
		a.epoch = EPOCH + 2;
		ok = ok && !cmd_seal(&a, kg3, a.group, EPOCH + 2, 16, mgr_signer, body, 5, body,
				     &blen) &&
		     !cmd_deliver(&a, GRPSEC_TYPE_COMMAND, 0, body, blen, frame, &flen) &&
		     expect_eq(cmd_open(&a, frame, flen, NULL, out, &olen), 0);
		result(ok, "rollover %s: once retired, the old epoch is stale", mn);
		grpsec_member_free(a.m);
	}
}

/*
 * The group flag "receives commands" (keys.rst): an identified member of
 * a group without it holds no K_G and refuses a rekey that carries one; a
 * member of a group with it refuses a rekey without one; the manager
 * cannot seal either mismatch.
 */
static void test_group_commands_flag(void)
{
	uint8_t kg[GRPSEC_KEY_MAX_LEN], km[GRPSEC_KEY_MAX_LEN], ke[GRPSEC_KEY_MAX_LEN];
	uint8_t wrap[32], body[GRPSEC_REKEY_BODY_MAX_LEN], frame[GRPSEC_MFRAME_MAX_LEN];
	struct grpsec_member_config cfg = { 0 };
	struct test_member with = { 0 }, without = { 0 }, bad = { 0 };
	struct grpsec_rekey_keys k = {
		.epoch = EPOCH + 1, .suite = 1, .mode = GRPSEC_MODE_IDENTIFIED,
		.member_key = km, .e2e_key = ke,
	};
	size_t blen = 0, flen = 0;
	uint32_t e;
	bool ok;

	memset(km, 3, sizeof(km));
	memset(ke, 4, sizeof(ke));
	grpsec_kdf_wrap_key(wrap_secret, 71, wrap);
	ok = !member_open(&without, 1, GRPSEC_MODE_IDENTIFIED, 71, &cfg) &&
	     !cmd_member(&with, 1, GRPSEC_MODE_IDENTIFIED, 71, kg);
	cfg.group_key = kg;
	result(ok && expect_eq(member_open(&bad, 1, GRPSEC_MODE_IDENTIFIED, 72, &cfg), -EINVAL) &&
	       expect_eq(grpsec_member_set_group_key(without.m, kg), -EINVAL),
	       "no K_G for an identified member of a group without commands");
	/* The manager seals only the key set the flag calls for. */
	k.group_key = kg;
	result(expect_eq(grpsec_rekey_seal(mgr_signer, wrap, without.group, 71, 1, &k, NULL, body,
					   sizeof(body), &blen), -EINVAL),
	       "rekey seal: K_G for a group without commands refused");
	k.group_key = NULL;
	k.group_flags = GRPSEC_GROUP_COMMANDS;
	result(expect_eq(grpsec_rekey_seal(mgr_signer, wrap, without.group, 71, 1, &k, NULL, body,
					   sizeof(body), &blen), -EINVAL),
	       "rekey seal: no K_G for a group with commands refused");
	/* A rekey with K_G: the member with the flag applies it, the other not. */
	k.group_key = kg;
	ok = !grpsec_rekey_seal(mgr_signer, wrap, without.group, 71, 1, &k, NULL, body,
				sizeof(body), &blen) &&
	     !cmd_deliver(&without, GRPSEC_TYPE_REKEY, 0, body, blen, frame, &flen);
	result(ok && expect_eq(grpsec_member_apply_rekey(without.m, mgr_verifier, wrap, frame,
							 flen, &e), -EPROTO) &&
	       expect_eq(grpsec_member_epoch(without.m), EPOCH) &&
	       !cmd_deliver(&with, GRPSEC_TYPE_REKEY, 0, body, blen, frame, &flen) &&
	       expect_eq(grpsec_member_apply_rekey(with.m, mgr_verifier, wrap, frame, flen, &e), 0),
	       "rekey carrying K_G: applied only where the group receives commands");
	/* And one without K_G: the other way round. */
	k.group_key = NULL;
	k.group_flags = 0;
	k.epoch = EPOCH + 2;
	ok = !grpsec_rekey_seal(mgr_signer, wrap, without.group, 71, 2, &k, NULL, body,
				sizeof(body), &blen) &&
	     !cmd_deliver(&without, GRPSEC_TYPE_REKEY, 0, body, blen, frame, &flen);
	result(ok && expect_eq(grpsec_member_apply_rekey(without.m, mgr_verifier, wrap, frame,
							 flen, &e), 0) &&
	       !cmd_deliver(&with, GRPSEC_TYPE_REKEY, 0, body, blen, frame, &flen) &&
	       expect_eq(grpsec_member_apply_rekey(with.m, mgr_verifier, wrap, frame, flen, &e),
			 -EPROTO),
	       "rekey without K_G: applied only where the group receives none");
	grpsec_member_free(with.m);
	grpsec_member_free(without.m);
	grpsec_member_free(bad.m);
}

static void test_rekey_material(void)
{
	struct grpsec_rekey_keys k = { .epoch = EPOCH + 1, .suite = 1, .mode = 0 };
	uint8_t key[32] = { 1 }, wrap[32] = { 2 }, body[GRPSEC_REKEY_BODY_MAX_LEN];
	size_t blen;

	k.member_key = key;
	result(expect_eq(grpsec_rekey_seal(mgr_signer, wrap, 1, 2, 1, &k, NULL, body,
					   sizeof(body), &blen), -EINVAL) &&
	       (k.group_key = key, k.e2e_key = key,
		expect_eq(grpsec_rekey_seal(mgr_signer, wrap, 1, 2, 1, &k, NULL, body,
					    sizeof(body), &blen), -EINVAL)) &&
	       (k.e2e_key = NULL,
		expect_eq(grpsec_rekey_seal(mgr_signer, wrap, 1, 2, 0, &k, NULL, body,
					    sizeof(body), &blen), -EINVAL) &&
		expect_eq(grpsec_rekey_seal(NULL, wrap, 1, 2, 1, &k, NULL, body,
					    sizeof(body), &blen), -EINVAL) &&
		expect_eq(grpsec_rekey_seal(mgr_signer, wrap, 1, 2, 1, &k, NULL, body,
					    40, &blen), -EMSGSIZE) &&
		!grpsec_rekey_seal(mgr_signer, wrap, 1, 2, 1, &k, NULL, body, sizeof(body), &blen) &&
		expect_eq(blen, GRPSEC_COMMAND_OVERHEAD + GRPSEC_REKEY_KEYS_HDR_LEN + 32)) &&
	       (k.mode = 1, k.group_key = NULL,
		expect_eq(grpsec_rekey_seal(mgr_signer, wrap, 1, 2, 1, &k, NULL, body,
					    sizeof(body), &blen), -EINVAL)),
	       "rekey key material: anonymous needs K_G and no K_e,m; identified needs K_e,m");
}

static void test_mframe_parse(void)
{
	static const struct {
		const char *name;
		int off;
		uint8_t xor;
		int expect;
	} cases[] = {
		{ "valid", 0, 0, 0 },
		{ "version 3", 0, 0x01, -EPROTONOSUPPORT },
		{ "version 1", 0, 0x03, -EPROTONOSUPPORT },
		{ "type 3", 1, 0x07, -EPROTO },
		{ "unknown flag", 3, 0x08, -EPROTO },
		{ "multicast flag, member set", 3, 0x02, -EMSGSIZE },
		{ "suite 0", 2, 0x01, -EPROTO },
		{ "reserved", 27, 0x01, -EPROTO },
		{ "body length", 25, 0x01, -EMSGSIZE },
		{ "group 0", 7, 0x07, -EPROTO },
		{ "member 0", 11, 0x07, -EPROTO },
		{ "sequence 0", 23, 0x01, -EPROTO },
	};
	uint8_t km[16] = { 9 }, body[40] = { 0 }, f[GRPSEC_MFRAME_MAX_LEN];
	struct grpsec_mframe m;
	size_t flen;
	bool ok;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok = !grpsec_member_frame_build(GRPSEC_TYPE_COMMAND, 1, 0, 7, 7, 1, 1, km, body,
						sizeof(body), f, sizeof(f), &flen);
		f[cases[i].off] ^= cases[i].xor;
		result(ok && expect_eq(grpsec_mframe_parse(f, flen, &m), cases[i].expect),
		       "type 4/5 frame parse: %s", cases[i].name);
	}
	ok = !grpsec_member_frame_build(GRPSEC_TYPE_REKEY, 1, 0, 7, 7, 1, 1, km, body,
					sizeof(body), f, sizeof(f), &flen);
	f[3] = GRPSEC_MFRAME_FLAG_GATEWAY;
	result(ok && expect_eq(grpsec_mframe_parse(f, flen, &m), -EPROTO) &&
	       expect_eq(grpsec_member_frame_build(GRPSEC_TYPE_REKEY, 1,
						   GRPSEC_MFRAME_FLAG_GATEWAY, 7, 7, 1, 1, km,
						   body, sizeof(body), f, sizeof(f), &flen),
			 -EINVAL),
	       "a gateway cannot originate a rekey");
}

/* A vector's group receives commands: a command, or a rekey carrying K_G. */
static unsigned int vec_group_flags(const struct grpsec_vec_downlink *v)
{
	return v->type == GRPSEC_TYPE_COMMAND ||
	       (v->plaintext[2] & GRPSEC_REKEY_HAS_GROUP_KEY) ? GRPSEC_GROUP_COMMANDS : 0;
}

/*
 * The committed command and rekey vectors: the downlink verifies under
 * K_up of its suite and carries the body for its recipient, and the member
 * opens the type 4/5 frame (a rekey: installs the keys it carries).
 */
static void test_vectors_downlink(void)
{
	for (size_t i = 0; i < sizeof(grpsec_vec_downlinks) / sizeof(grpsec_vec_downlinks[0]); i++) {
		const struct grpsec_vec_downlink *v = &grpsec_vec_downlinks[i];
		uint8_t kg[GRPSEC_KEY_MAX_LEN] = { 0 }, out[GRPSEC_BODY_MAX_LEN];
		struct grpsec_member_config cfg = {
			.group = v->group, .member = v->member, .epoch = v->epoch, .mode = v->mode,
			.suite = v->suite, .member_key = v->k_m, .inner_key = v->key,
			.group_flags = vec_group_flags(v),
			.group_key = v->type == GRPSEC_TYPE_COMMAND ? v->key : NULL,
		};
		struct grpsec_command_info info = { 0 };
		struct grpsec_verifier *ver = NULL;
		struct grpsec_member *m = NULL;
		struct grpsec_downlink d;
		uint32_t e = 0;
		size_t olen = 0;
		bool ok;

		if (v->type == GRPSEC_TYPE_REKEY)
			cfg.inner_key = kg;
		ok = (!v->sign_pub || !grpsec_verifier_new(v->sign_pub, &ver)) &&
		     !grpsec_member_new(&cfg, &m);
		if (ok && v->up_suite)
			ok = !grpsec_downlink_verify(v->downlink, v->downlink_len, v->gateway,
						     v->up_suite, v->k_up, &d) &&
			     expect_eq(d.member, v->recipient) &&
			     expect_eq(d.body_len, v->body_len) &&
			     !memcmp(d.body, v->body, v->body_len);
		if (ok && v->type == GRPSEC_TYPE_COMMAND)
			ok = !grpsec_member_open_command(m, ver, v->frame, v->frame_len, out,
							 sizeof(out), &olen, &info) &&
			     expect_eq(olen, v->plaintext_len) && !memcmp(out, v->plaintext, olen) &&
			     expect_eq(info.recipient, v->recipient) &&
			     expect_eq(info.delivery, v->up_suite ? GRPSEC_COMMAND_UNICAST :
							       GRPSEC_COMMAND_GATEWAY);
		else if (ok)
			ok = !grpsec_member_apply_rekey(m, ver, v->key, v->frame, v->frame_len, &e) &&
			     expect_eq(e, v->body_epoch);
		result(ok, "vector %s: downlink verifies, member opens it", v->name);
		grpsec_member_free(m);
		grpsec_verifier_free(ver);
	}
}

/*
 * A multicast command: the command vector's signed body in one untagged
 * frame for member 0 (the multicast vector).  Any member of the group opens
 * it; the signature carries it.
 */
static void test_multicast_command(void)
{
	const struct grpsec_vec_multicast *mv = &grpsec_vec_multicasts[0];
	const struct grpsec_vec_downlink *v = &grpsec_vec_downlinks[mv->command];
	struct grpsec_member_config cfg = {
		.group = v->group, .member = v->member, .epoch = v->epoch, .mode = v->mode,
		.suite = v->suite, .member_key = v->k_m, .inner_key = v->key,
	};
	uint8_t f[GRPSEC_MFRAME_MAX_LEN], g[GRPSEC_MFRAME_MAX_LEN], out[GRPSEC_BODY_MAX_LEN];
	struct grpsec_verifier *ver = NULL;
	struct grpsec_member *m = NULL;
	struct grpsec_mframe mf;
	size_t flen = 0, glen = 0, olen = 0;
	bool ok;

	ok = !grpsec_verifier_new(v->sign_pub, &ver) && !grpsec_member_new(&cfg, &m) &&
	     !grpsec_member_frame_build(GRPSEC_TYPE_COMMAND, mv->suite, mv->flags, mv->group,
					mv->member, mv->epoch, mv->gateway_seq, NULL, mv->body,
					mv->body_len, f, sizeof(f), &flen);
	result(ok && expect_eq(flen, mv->frame_len) && !memcmp(f, mv->frame, flen),
	       "vector %s: built byte for byte", mv->name);
	result(!grpsec_mframe_parse(mv->frame, mv->frame_len, &mf) &&
	       expect_eq(mf.type, GRPSEC_TYPE_COMMAND) && expect_eq(mf.suite, v->suite) &&
	       expect_eq(mf.flags, GRPSEC_MFRAME_FLAG_MULTICAST | GRPSEC_MFRAME_FLAG_GROUP) &&
	       expect_eq(mf.group, v->group) &&
	       expect_eq(mf.member, 0) && expect_eq(mf.epoch, 0) &&
	       expect_eq(mf.seq, mv->gateway_seq) && expect_eq(mf.body_len, v->body_len) &&
	       !memcmp(mf.body, v->body, v->body_len),
	       "vector %s: member 0, epoch 0, no tag, the command's body", mv->name);

	/* Changed signature: refused; then the real one; then its replay. */
	memcpy(g, f, flen);
	g[flen - 1] ^= 0x01;
	result(ok && expect_eq(grpsec_member_open_command(m, ver, g, flen, out, sizeof(out),
							  &olen, NULL), -EBADMSG),
	       "multicast command with a bad signature is refused");
	result(ok && !grpsec_member_open_command(m, ver, mv->frame, mv->frame_len, out,
						 sizeof(out), &olen, NULL) &&
	       expect_eq(olen, v->plaintext_len) && !memcmp(out, v->plaintext, olen),
	       "vector %s: opens with the signature", mv->name);
	result(ok && expect_eq(grpsec_member_open_command(m, ver, f, flen, out, sizeof(out),
							  &olen, NULL), -ESTALE),
	       "multicast command replayed is refused");

	/* Never for a gateway command, a member, an epoch, or with a tag. */
	memcpy(g, f, flen);
	g[3] |= GRPSEC_MFRAME_FLAG_GATEWAY;
	result(expect_eq(grpsec_mframe_parse(g, flen, &mf), -EPROTO), "multicast + gateway flag");
	memcpy(g, f, flen);
	g[3] &= (uint8_t)~GRPSEC_MFRAME_FLAG_GROUP;
	result(expect_eq(grpsec_mframe_parse(g, flen, &mf), -EPROTO),
	       "multicast of a body not addressed to the group (no group flag)");
	memcpy(g, f, flen);
	g[11] = 1;
	result(expect_eq(grpsec_mframe_parse(g, flen, &mf), -EPROTO), "multicast to a member");
	memcpy(g, f, flen);
	g[15] = 1;
	result(expect_eq(grpsec_mframe_parse(g, flen, &mf), -EPROTO), "multicast with an epoch");
	memcpy(g, f, flen);
	memset(g + flen, 0, GRPSEC_TAG_LEN);
	glen = flen + GRPSEC_TAG_LEN;
	result(expect_eq(grpsec_mframe_parse(g, glen, &mf), -EMSGSIZE), "multicast with a tag");
	result(expect_eq(grpsec_member_frame_build(GRPSEC_TYPE_REKEY, v->suite,
						   GRPSEC_MFRAME_FLAG_MULTICAST, v->group, 0,
						   0, 1, NULL, v->body, v->body_len, g,
						   sizeof(g), &glen), -EINVAL),
	       "no multicast rekey");
	grpsec_member_free(m);
	grpsec_verifier_free(ver);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

static void test_vectors_fresh(const char *dir)
{
	static const char *const names[] = { "v2.txt", "v2_vectors.h" };

	for (unsigned int i = 0; i < 2; i++) {
		char path[4096], *fresh = NULL, *committed;
		size_t fresh_len = 0, len = 0;
		FILE *f = open_memstream(&fresh, &fresh_len);
		bool ok;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		ok = f && !(i ? vectors_write(NULL, f) : vectors_write(f, NULL));
		if (f)
			fclose(f);
		committed = read_all(path, &len);
		if (!committed)
			diag("cannot read '%s'", path);
		ok = ok && committed && len == fresh_len && !memcmp(committed, fresh, len);
		if (committed && !ok)
			diag("'%s' differs from a fresh generation: run make -C userspace vectors",
			     path);
		result(ok, "committed %s equals a fresh generation", names[i]);
		free(fresh);
		free(committed);
	}
}

/*
 * Saved replay state: after export, free, new and import, every entry and
 * batch the backend accepted before is refused, new ones are not.
 */
static int state_import_into(struct grpsec_backend **be, bool groups, const uint8_t *blob,
			     size_t len)
{
	uint8_t k_up[GRPSEC_KEY_MAX_LEN];
	struct grpsec_backend_config cfg = {
		.gateway = GATEWAY, .suite = GRPSEC_SUITE_AES_128_GCM, .upstream_key = k_up,
	};
	int err;

	grpsec_backend_free(*be);
	*be = NULL;
	if (groups) {
		err = backend_open(be, GRPSEC_SUITE_AES_128_GCM, 0);
	} else {
		grpsec_kdf_upstream_key(cfg.suite, up_secret, GATEWAY, k_up, 16);
		err = grpsec_backend_new(&cfg, be);
	}
	return err ? -1000 : grpsec_backend_import(*be, blob, len);
}

static void test_backend_state(void)
{
	static const unsigned int f01[] = { 0, 1 }, f2[] = { 2 }, f012[] = { 0, 1, 2 },
				  f3[] = { 3 };
	static uint8_t old_batch[GRPSEC_BATCH_MAX_LEN];

	for (unsigned int mode = 0; mode <= 1; mode++) {
		const char *mn = grpsec_mode_name(mode);
		uint8_t *blob = NULL, *again = NULL, *bad;
		size_t len = 0, len2 = 0, old_len;
		size_t nonces = 0;
		bool ok = scen_start(&sc, mode, 4, 0) && !scen_batch(&sc, f01, 2);

		old_len = sc.g.b.len + GRPSEC_TAG_LEN;
		memcpy(old_batch, sc.g.buf, old_len);
		ok = ok && !scen_batch(&sc, f2, 1) &&
		     !grpsec_backend_export(sc.be, &blob, &len);
		/* Where the first cache with two nonces or more keeps them. */
		for (size_t off = STATE_HDR_TEST_LEN; ok && !mode && !nonces && off + 16 <= len;
		     off += 16 + 12 * get_be32(blob + off + 8))
			nonces = get_be32(blob + off + 8) >= 2 ? off + 16 : 0;
		ok = ok && (mode || nonces);
		result(ok && expect_eq(state_import_into(&sc.be, true, blob, len), 0),
		       "saved state %s: imported into a new context", mn);
		result(expect_eq(grpsec_backend_export(sc.be, &again, &len2), 0) &&
		       len2 == len && !memcmp(blob, again, len),
		       "saved state %s: export after import gives the same bytes", mn);
		free(again);
		result(expect_eq(grpsec_backend_open_batch(sc.be, old_batch, old_len, NULL,
							   NULL, NULL), -ESTALE),
		       "saved state %s: a batch accepted before is a replay", mn);
		result(!scen_batch(&sc, f012, 3) && expect_eq(sc.s.n, 3) &&
		       expect_eq(sc.s.status[0], GRPSEC_ENTRY_REPLAY) &&
		       expect_eq(sc.s.status[1], GRPSEC_ENTRY_REPLAY) &&
		       expect_eq(sc.s.status[2], GRPSEC_ENTRY_REPLAY),
		       "saved state %s: every entry accepted before is a replay", mn);
		result(!scen_batch(&sc, f3, 1) && expect_eq(sc.s.status[0], GRPSEC_ENTRY_OK),
		       "saved state %s: a new entry is accepted", mn);
		result(expect_eq(grpsec_backend_import(sc.be, blob, len), -EBUSY),
		       "saved state %s: no import once batches were opened", mn);

		/* Each broken blob is refused and changes nothing. */
		bad = malloc(len + 1);
		{
			static const struct {
				const char *name; int kind; int expect;
			} rows[] = {
				{ "truncated", 0, -EMSGSIZE },
				{ "a byte left over", 1, -EMSGSIZE },
				{ "another magic", 2, -EPROTONOSUPPORT },
				{ "format version 2", 3, -EPROTONOSUPPORT },
				{ "another gateway", 4, -EINVAL },
				{ "another K_up suite", 5, -EINVAL },
				{ "reserved byte set", 6, -EPROTO },
				{ "newest batch not marked seen", 7, -EPROTO },
				{ "a bad record", 8, -EPROTO },
				{ "a cache of an unregistered group", 9, -ENOENT },
			};

			for (unsigned int i = 0; bad && i < sizeof(rows) / sizeof(rows[0]); i++) {
				size_t blen = len;
				bool groups = true;

				memcpy(bad, blob, len);
				bad[len] = 0;
				switch (rows[i].kind) {
				case 0: blen = len - 1; break;
				case 1: blen = len + 1; break;
				case 2: bad[0] = 'X'; break;
				case 3: bad[5] = 2; break;
				case 4: bad[11] ^= 1; break;
				case 5: bad[12] = 3; break;
				case 6: bad[14] = 1; break;
				case 7: bad[32] &= 0x7f; break;
				case 8:
					/* Swap two nonces (anonymous) or make the member id 0. */
					if (mode) {
						put_be32(bad + STATE_HDR_TEST_LEN + 4, 0);
					} else {
						memcpy(bad + nonces, blob + nonces + 12, 12);
						memcpy(bad + nonces + 12, blob + nonces, 12);
					}
					break;
				case 9: groups = false; break;
				}
				if (rows[i].kind == 9 && mode)
					continue;
				result(expect_eq(state_import_into(&sc.be, groups, bad, blen),
						 rows[i].expect) &&
				       expect_eq(grpsec_backend_last_seq(sc.be), 0),
				       "saved state %s: refuses %s", mn, rows[i].name);
			}
		}
		free(bad);
		free(blob);
		scen_end(&sc);
	}
}

/*
 * Incremental saves: a state of changes holds only what moved since the
 * last mark, and a whole state merged with its changes refuses every
 * batch and entry accepted before either was made.
 */
static void test_backend_state_changed(void)
{
	static const unsigned int f01[] = { 0, 1 }, f2[] = { 2 }, f012[] = { 0, 1, 2 },
				  f3[] = { 3 };
	static uint8_t old_batch[GRPSEC_BATCH_MAX_LEN];

	for (unsigned int mode = 0; mode <= 1; mode++) {
		const char *mn = grpsec_mode_name(mode);
		uint8_t *base = NULL, *delta = NULL, *none = NULL;
		size_t blen = 0, dlen = 0, nlen = 0, old_len;
		bool ok = scen_start(&sc, mode, 4, 0) && !scen_batch(&sc, f01, 2) &&
			  !grpsec_backend_export(sc.be, &base, &blen);

		grpsec_backend_mark_saved(sc.be);
		old_len = sc.g.b.len + GRPSEC_TAG_LEN;
		memcpy(old_batch, sc.g.buf, old_len);
		ok = ok && !scen_batch(&sc, f2, 1) &&
		     !grpsec_backend_export_changed(sc.be, &delta, &dlen);
		grpsec_backend_mark_saved(sc.be);
		ok = ok && !grpsec_backend_export_changed(sc.be, &none, &nlen);
		result(ok && expect_eq(get_be32(none + 160), 0) &&
		       expect_eq(get_be32(none + 164), 0) && expect_eq(nlen, STATE_HDR_TEST_LEN),
		       "changed state %s: nothing once marked saved", mn);
		result(ok && (mode ? expect_eq(get_be32(delta + 160), 1) :
			      expect_eq(get_be32(delta + 164), 1)),
		       "changed state %s: only what the last batch moved", mn);
		result(expect_eq(state_import_into(&sc.be, true, base, blen), 0) &&
		       expect_eq(grpsec_backend_import_changed(sc.be, delta, dlen), 0) &&
		       expect_eq(grpsec_backend_import_changed(sc.be, delta, dlen), 0) &&
		       expect_eq(grpsec_backend_import_changed(sc.be, none, nlen), 0),
		       "changed state %s: merged over the whole one, twice too", mn);
		result(expect_eq(grpsec_backend_open_batch(sc.be, old_batch, old_len, NULL,
							   NULL, NULL), -ESTALE),
		       "changed state %s: a batch accepted before is a replay", mn);
		result(!scen_batch(&sc, f012, 3) && expect_eq(sc.s.n, 3) &&
		       expect_eq(sc.s.status[0], GRPSEC_ENTRY_REPLAY) &&
		       expect_eq(sc.s.status[1], GRPSEC_ENTRY_REPLAY) &&
		       expect_eq(sc.s.status[2], GRPSEC_ENTRY_REPLAY),
		       "changed state %s: every entry accepted before either is a replay", mn);
		result(!scen_batch(&sc, f3, 1) && expect_eq(sc.s.status[0], GRPSEC_ENTRY_OK),
		       "changed state %s: a new entry is accepted", mn);
		result(expect_eq(grpsec_backend_import_changed(sc.be, delta, dlen), -EBUSY),
		       "changed state %s: no merge once batches were opened", mn);
		grpsec_backend_free(sc.be);
		sc.be = NULL;
		result(expect_eq(backend_open(&sc.be, GRPSEC_SUITE_AES_128_GCM, 0), 0) &&
		       expect_eq(grpsec_backend_import_changed(sc.be, delta, dlen), -EBUSY),
		       "changed state %s: no merge without a whole state first", mn);
		free(base);
		free(delta);
		free(none);
		scen_end(&sc);
	}
}

/* A member as a downlink vector describes it: its group, keys and signer. */
static int vec_member(const struct grpsec_vec_downlink *v, uint32_t id, const uint8_t *k_m,
		      struct grpsec_member **m, struct grpsec_verifier **ver)
{
	static const uint8_t zero[GRPSEC_KEY_MAX_LEN];
	struct grpsec_member_config cfg = {
		.group = v->group, .member = id, .epoch = v->epoch, .mode = v->mode,
		.suite = v->suite, .member_key = k_m,
		.inner_key = v->type == GRPSEC_TYPE_COMMAND ? v->key : zero,
		.group_flags = vec_group_flags(v),
		.group_key = v->type == GRPSEC_TYPE_COMMAND ? v->key : NULL,
	};
	int err = v->sign_pub ? grpsec_verifier_new(v->sign_pub, ver) : 0;

	return err ? err : grpsec_member_new(&cfg, m);
}

/* The delivery datagram, the downlink and the member-frame rejects. */
static void test_vectors_rejects2(void)
{
	const struct grpsec_vec_deliver *d = &grpsec_vec_delivers[0];
	const struct grpsec_vec_uplink *u = &grpsec_vec_uplinks[d->uplink];
	uint8_t pt[GRPSEC_MAX_PAYLOAD], out[GRPSEC_BODY_MAX_LEN];
	struct grpsec_uplink up;
	size_t n = 0;

	result(!grpsec_uplink_parse(u->frame, u->frame_len, &up) &&
	       !grpsec_inner_open(u->mode, u->suite, u->group, u->epoch, 0, u->k_inner, up.inner,
				  up.inner_len, pt, &n) &&
	       expect_eq(d->datagram_len, 24 + n) && !memcmp(d->datagram, u->frame, 24) &&
	       !memcmp(d->datagram + 24, pt, n), "vector %s: header and plaintext", d->name);
	for (size_t i = 0; i < sizeof(grpsec_vec_downlink_rejects) /
			       sizeof(grpsec_vec_downlink_rejects[0]); i++) {
		const struct grpsec_vec_downlink_reject *r = &grpsec_vec_downlink_rejects[i];
		const struct grpsec_vec_downlink *v = &grpsec_vec_downlinks[r->downlink];
		struct grpsec_downlink dl;
		int perr = grpsec_downlink_parse(r->frame, r->frame_len, &dl);

		result(r->verify ? !perr && expect_eq(grpsec_downlink_verify(r->frame, r->frame_len,
									   v->gateway, v->up_suite,
									   v->k_up, &dl), r->expect)
				 : expect_eq(perr, r->expect), "vector %s", r->name);
	}
	for (size_t i = 0; i < sizeof(grpsec_vec_member_frame_rejects) /
			       sizeof(grpsec_vec_member_frame_rejects[0]); i++) {
		const struct grpsec_vec_member_frame_reject *r = &grpsec_vec_member_frame_rejects[i];
		const struct grpsec_vec_downlink *v = &grpsec_vec_downlinks[r->downlink];
		struct grpsec_verifier *ver = NULL;
		struct grpsec_member *m = NULL;
		struct grpsec_mframe f;
		size_t olen;
		int perr = grpsec_mframe_parse(r->frame, r->frame_len, &f), err;
		bool ok;

		ok = !vec_member(v, r->member, r->k_m, &m, &ver);
		if (r->stage == 0)
			err = perr;
		else if (r->stage == 1)
			err = grpsec_member_open_frame(m, r->frame, r->frame_len, &f);
		else if (v->type == GRPSEC_TYPE_COMMAND)
			err = grpsec_member_open_command(m, ver, r->frame, r->frame_len, out,
							 sizeof(out), &olen, NULL);
		else
			err = grpsec_member_apply_rekey(m, ver, v->key, r->frame, r->frame_len, NULL);
		/* Each fails at its stage, not before: the earlier ones pass. */
		if (ok && r->stage >= 1)
			ok = expect_eq(perr, 0);
		if (ok && r->stage == 2) {
			grpsec_member_free(m);
			m = NULL;
			ok = !vec_member(v, r->member, r->k_m, &m, &ver) &&
			     expect_eq(grpsec_member_open_frame(m, r->frame, r->frame_len, &f), 0);
		}
		result(ok && expect_eq(err, r->expect), "vector %s", r->name);
		grpsec_member_free(m);
		grpsec_verifier_free(ver);
	}
}

/* A saved window keeps its oldest sequence, GRPSEC_REPLAY_WINDOW behind. */
static void test_window_saved(void)
{
	uint8_t saved[GRPSEC_WINDOW_SAVED_LEN];
	struct grpsec_window w, back;
	const uint64_t t = 5000;

	memset(&w, 0, sizeof(w));
	grpsec_window_update(&w, t);
	grpsec_window_update(&w, t - GRPSEC_REPLAY_WINDOW);
	grpsec_window_update(&w, t - 1);
	grpsec_window_save(&w, saved);
	result(expect_eq(grpsec_window_load(&back, saved), 0) &&
	       !grpsec_window_check(&back, t) && !grpsec_window_check(&back, t - 1) &&
	       !grpsec_window_check(&back, t - GRPSEC_REPLAY_WINDOW) &&
	       !grpsec_window_check(&back, t - GRPSEC_REPLAY_WINDOW - 1) &&
	       grpsec_window_check(&back, t - 2) &&
	       grpsec_window_check(&back, t - GRPSEC_REPLAY_WINDOW + 1),
	       "saved window: the sequence %d behind the newest is still a replay",
	       GRPSEC_REPLAY_WINDOW);
}

/* A saved floor is a floor again: the batch carrying it is accepted. */
static void test_floor_saved(void)
{
	static const unsigned int one[] = { 0 };
	const uint64_t f = 1000000;
	uint8_t *blob = NULL;
	size_t len = 0;
	bool ok;

	backend_floor = f;
	ok = scen_start(&sc, GRPSEC_MODE_IDENTIFIED, 1, 0) &&
	     !grpsec_backend_export(sc.be, &blob, &len);
	backend_floor = 0;
	ok = ok && expect_eq(state_import_into(&sc.be, true, blob, len), 0) &&
	     expect_eq(grpsec_backend_last_seq(sc.be), f - 1);
	sc.g.seq = f - 1;
	ok = ok && expect_eq(scen_batch(&sc, one, 1), 0) &&
	     expect_eq(grpsec_backend_last_seq(sc.be), f);
	result(ok, "saved state: the floor comes back, the batch carrying it is accepted");
	free(blob);
	scen_end(&sc);
}

int main(int argc, char **argv)
{
	const char *vectors_dir = NULL;

	if (argc == 3 && !strcmp(argv[1], "--vectors")) {
		vectors_dir = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "usage: grpsec-lib-test [--vectors DIR]\n");
		return 1;
	}
	world_init();
	test_constants();
	test_roundtrip();
	test_parse_rejects();
	test_outer_tag();
	test_batch_rejects();
	test_inner_replay();
	test_window();
	test_batch_floor();
	test_reattribution();
	test_inner_tamper();
	test_ciphertext_cover();
	test_version_1();
	test_epoch();
	test_persistence();
	test_seal_args();
	test_anonymous_nonces();
	test_nonce_cache();
	test_backend_state();
	test_backend_state_changed();
	test_window_saved();
	test_floor_saved();
	test_upstream_key_change();
	test_kdf();
	test_vectors_open();
	cmd_init();
	test_command_roundtrip();
	test_command_floor();
	test_command_rejects();
	test_command_addressing();
	test_command_nokey();
	test_downlink();
	test_mframe_parse();
	test_rekey();
	test_rollover_command();
	test_group_commands_flag();
	test_rekey_material();
	test_vectors_downlink();
	test_multicast_command();
	test_vectors_rejects2();
	grpsec_signer_free(mgr_signer);
	grpsec_signer_free(rogue_signer);
	grpsec_verifier_free(mgr_verifier);
	if (vectors_dir)
		test_vectors_fresh(vectors_dir);
	enroll_tests(vectors_dir);
	printf("# %u passed, %u failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
