// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-lib-test: unit tests of libgrpsec.  Prints "ok N - name" or
 * "not ok N - name" per check and "# N passed, N failed" at the end; exits
 * non-zero on any failure.
 *
 * Usage: grpsec-lib-test [--vectors DIR]
 * With --vectors, also checks that DIR/v1.txt and DIR/v1_vectors.h equal a
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
#include "vectors.h"
#include "v1_vectors.h"

static unsigned int n_pass, n_fail;

static bool result(bool ok, const char *fmt, ...)
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
static bool __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	fputs("#   ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return false;
}

#define expect_eq(got, want) \
	((long long)(got) == (long long)(want) ? true : \
	 diag("%s:%d: %s = %lld, expected %lld", __FILE__, __LINE__, #got, \
	      (long long)(got), (long long)(want)))

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

static int backend_open(struct grpsec_backend **be, unsigned int up_suite, uint32_t nonce_max)
{
	uint8_t k_up[GRPSEC_KEY_MAX_LEN];
	struct grpsec_backend_config cfg = {
		.gateway = GATEWAY, .suite = up_suite, .upstream_key = k_up,
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
		err = grpsec_uplink_verify(&u, t->k_m);
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
		{ "version 2", 0, 2, -EPROTONOSUPPORT },
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
	       u.inner_tag == frame + 76 && !grpsec_uplink_verify(&u, t.k_m),
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
		{ "header sequence", 23 }, { "inner nonce", 24 }, { "inner ciphertext", 40 },
		{ "inner tag", 80 }, { "outer tag", 107 },
	};
	uint8_t frame[GRPSEC_UPLINK_MAX_LEN + 1];
	struct test_member t = { 0 };
	struct grpsec_uplink u;
	uint8_t wrong[16];
	size_t flen = valid_frame(frame, &t, GRPSEC_MODE_ANONYMOUS);

	for (unsigned int i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		frame[rows[i].off] ^= 0x10;
		result(!grpsec_uplink_parse(frame, flen, &u) &&
		       expect_eq(grpsec_uplink_verify(&u, t.k_m), -EBADMSG),
		       "outer tag catches tampered %s", rows[i].name);
		frame[rows[i].off] ^= 0x10;
	}
	result(!grpsec_uplink_parse(frame, flen - 1, &u) &&
	       expect_eq(grpsec_uplink_verify(&u, t.k_m), -EBADMSG),
	       "outer tag catches a frame truncated by one byte");
	memcpy(wrong, t.k_m, 16);
	wrong[0] ^= 1;
	result(!grpsec_uplink_parse(frame, flen, &u) &&
	       expect_eq(grpsec_uplink_verify(&u, wrong), -EBADMSG) &&
	       expect_eq(grpsec_uplink_verify(&u, t.k_m), 0),
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
			{ "header", 9 }, { "entry header", 25 }, { "entry inner", 60 },
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
			{ "version 2", 7, -EPROTONOSUPPORT },
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
			case 7: sc.g.buf[0] = 2; break;
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
	ok = ok && !grpsec_window_check(&w, 976) && grpsec_window_check(&w, 977) &&
	     grpsec_window_check(&w, 1999) && !grpsec_window_check(&w, 2000);
	for (uint64_t s = 977; s < 2000; s++) {
		ok = ok && grpsec_window_check(&w, s);
		grpsec_window_update(&w, s);
		ok = ok && !grpsec_window_check(&w, s);
	}
	grpsec_window_update(&w, 1ULL << 40);
	ok = ok && !grpsec_window_check(&w, 1999) &&
	     grpsec_window_check(&w, (1ULL << 40) - 1023) &&
	     !grpsec_window_check(&w, (1ULL << 40) - 1024);
	result(ok, "replay window: 1024 wide, jumps, every slot once");

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
		/* Deliver the newest first, then one at offset 1023 and 1024 behind. */
		memcpy(sc.frames[0], frames[n - 1], flen);
		memcpy(sc.frames[1], frames[n - 1 - 1023], flen);
		memcpy(sc.frames[2], frames[n - 1 - 1024], flen);
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
			      expect_eq(sc.s.seq[0], n) && expect_eq(sc.s.seq[2], n - 1023);
		}
		result(ok2, "backend window: reordering within 1024 accepted, older refused");
		scen_end(&sc);
	}
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
		{ "nonce", 0 }, { "ciphertext", 12 }, { "inner tag", 12 + 64 },
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
			     !grpsec_uplink_verify(&u, t.k_m) &&
			     expect_eq(grpsec_uplink_verify(&u, old_m), -EBADMSG);
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
		       -EINVAL);
	result(ok, "seal argument checks");
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
		       !grpsec_uplink_verify(&u, v->k_m) && u.seq == v->seq &&
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
			err = err ? -1000 : grpsec_uplink_verify(&u, v->k_m);
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
	static const char *const names[] = { "v1.txt", "v1_vectors.h" };

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
	test_reattribution();
	test_inner_tamper();
	test_epoch();
	test_persistence();
	test_seal_args();
	test_anonymous_nonces();
	test_nonce_cache();
	test_kdf();
	test_vectors_open();
	if (vectors_dir)
		test_vectors_fresh(vectors_dir);
	printf("# %u passed, %u failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
