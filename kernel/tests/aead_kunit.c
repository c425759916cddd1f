// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite grpsec_vectors: the kernel accepts exactly the frames that
 * libgrpsec produced (Documentation/vectors/), refuses the rejects, and
 * produces byte for byte the same outer tags and batch frames, with the
 * platform's accelerated drivers.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/random.h>

#include "../aead.c"
#include "../batch.h"
#include "../frame.h"
#include "../../Documentation/vectors/v2_vectors.h"

/* Scatterlists need linear memory: vectors live in module memory. */
static u8 *dup(struct kunit *test, const u8 *p, unsigned int len)
{
	u8 *d = kunit_kmalloc(test, len + GRPSEC_TAG_LEN, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, d);
	memcpy(d, p, len);
	return d;
}

static int verify_one(struct kunit *test, const u8 *key, u8 suite, u8 mode,
		      u8 *frame, const struct grpsec_uplink *up)
{
	struct grpsec_crypto *c = grpsec_crypto_create();
	struct grpsec_verify v = {
		.key = key,
		.key_id = grpsec_key_id_next(),
		.suite = suite,
		.data = frame,
		.auth_len = grpsec_uplink_outer_len(up, mode),
		.tag = frame + up->auth_len,
	};

	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	grpsec_seq_nonce(v.nonce, GRPSEC_NONCE_UPLINK, up->seq);
	grpsec_crypto_verify(c, &v, 1);
	grpsec_crypto_destroy(c);
	return v.result;
}

static void uplink_desc(const struct grpsec_vec_uplink *v, char *desc)
{
	strscpy(desc, v->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(uplink, grpsec_vec_uplinks, uplink_desc);

static void vectors_uplink_accept(struct kunit *test)
{
	const struct grpsec_vec_uplink *vec = test->param_value;
	u8 *frame = dup(test, vec->frame, vec->frame_len);
	struct grpsec_uplink up;

	KUNIT_ASSERT_EQ(test, grpsec_uplink_parse(frame, vec->frame_len, &up), 0);
	KUNIT_EXPECT_EQ(test, up.suite, vec->suite);
	KUNIT_EXPECT_EQ(test, up.group, vec->group);
	KUNIT_EXPECT_EQ(test, up.epoch, vec->epoch);
	KUNIT_EXPECT_EQ(test, up.member, vec->member);
	KUNIT_EXPECT_EQ(test, up.seq, vec->seq);
	KUNIT_EXPECT_EQ(test, up.inner_len, vec->payload_len + 28);
	KUNIT_EXPECT_EQ(test, verify_one(test, vec->k_m, vec->suite, vec->mode,
					 frame, &up), 0);

	/*
	 * The inner ciphertext is under the outer tag in an anonymous group
	 * only: in an identified one the inner tag binds it, for the backend.
	 */
	if (vec->payload_len) {
		frame[GRPSEC_UPLINK_HEAD_LEN] ^= 0x01;
		KUNIT_EXPECT_EQ(test, verify_one(test, vec->k_m, vec->suite,
						 vec->mode, frame, &up),
				vec->mode == GRPSEC_MODE_IDENTIFIED ? 0 : -EBADMSG);
		frame[GRPSEC_UPLINK_HEAD_LEN] ^= 0x01;
	}
	/* A flipped bit of the header, nonce or inner tag is caught. */
	frame[GRPSEC_UPLINK_HEAD_LEN - 1] ^= 0x01;
	KUNIT_EXPECT_EQ(test, verify_one(test, vec->k_m, vec->suite, vec->mode,
					 frame, &up), -EBADMSG);
	frame[GRPSEC_UPLINK_HEAD_LEN - 1] ^= 0x01;
	frame[8] ^= 0x01;
	KUNIT_EXPECT_EQ(test, verify_one(test, vec->k_m, vec->suite, vec->mode,
					 frame, &up), -EBADMSG);
}

static void vectors_uplink_produce(struct kunit *test)
{
	const struct grpsec_vec_uplink *vec = test->param_value;
	u8 *frame = dup(test, vec->frame, vec->frame_len);
	u32 tag_off = vec->frame_len - GRPSEC_TAG_LEN;
	u8 nonce[GRPSEC_NONCE_LEN];
	struct grpsec_aead_key *k;
	struct grpsec_uplink up;
	u32 auth_len;

	KUNIT_ASSERT_EQ(test, grpsec_uplink_parse(frame, vec->frame_len, &up), 0);
	auth_len = grpsec_uplink_outer_len(&up, vec->mode);
	k = grpsec_aead_key_create(vec->suite, vec->k_m, vec->key_len);
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	/* Sealed over what the mode covers; the tag is written after it. */
	memset(frame + auth_len, 0, GRPSEC_TAG_LEN);
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_UPLINK, vec->seq);
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_seal_tag(k, nonce, frame, auth_len),
			0);
	KUNIT_EXPECT_MEMEQ(test, frame, vec->frame, auth_len);
	KUNIT_EXPECT_MEMEQ(test, frame + auth_len, vec->frame + tag_off,
			   GRPSEC_TAG_LEN);
	grpsec_aead_key_destroy(k);
}

static void reject_desc(const struct grpsec_vec_reject *v, char *desc)
{
	strscpy(desc, v->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(reject, grpsec_vec_rejects, reject_desc);

static void vectors_reject(struct kunit *test)
{
	const struct grpsec_vec_reject *vec = test->param_value;
	u8 *frame = dup(test, vec->frame ?: (const u8 *)"", vec->frame_len);
	struct grpsec_uplink up;
	int reason;

	reason = grpsec_uplink_parse(frame, vec->frame_len, &up);
	if (!vec->verify) {
		KUNIT_EXPECT_NE(test, reason, 0);
		return;
	}
	KUNIT_ASSERT_EQ(test, reason, 0);
	KUNIT_EXPECT_EQ(test, verify_one(test, vec->k_m, up.suite, vec->mode,
					 frame, &up), -EBADMSG);
}

static void batch_desc(const struct grpsec_vec_batch *v, char *desc)
{
	strscpy(desc, v->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(batch, grpsec_vec_batches, batch_desc);

static void vectors_batch_produce(struct kunit *test)
{
	const struct grpsec_vec_batch *vec = test->param_value;
	u8 *buf = kunit_kzalloc(test, vec->batch_len + 64, GFP_KERNEL);
	u8 *aad = kunit_kzalloc(test, vec->batch_len + 64, GFP_KERNEL);
	u8 nonce[GRPSEC_NONCE_LEN];
	struct grpsec_aead_key *k;
	struct grpsec_batch b;
	unsigned int i;
	u32 len;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, aad);
	grpsec_batch_init(&b, buf, aad, vec->batch_len, GRPSEC_BATCH_MAX);
	for (i = 0; i < vec->count; i++) {
		const struct grpsec_vec_batch_entry *e = &vec->entries[i];
		struct grpsec_batch_item it = {
			.mode = e->mode, .suite = e->suite, .group = e->group,
			.epoch = e->epoch, .member = e->member,
			.inner = e->inner, .inner_len = e->inner_len,
		};

		KUNIT_ASSERT_EQ(test, grpsec_batch_add(&b, &it), 0);
	}
	len = grpsec_batch_finish(&b, vec->suite, vec->gateway, vec->seq);
	KUNIT_ASSERT_EQ(test, len + GRPSEC_TAG_LEN, vec->batch_len);

	k = grpsec_aead_key_create(vec->suite, vec->k_up, vec->key_len);
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_BATCH, vec->seq);
	aad = grpsec_batch_aad(&b);
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_seal_tag(k, nonce, aad, b.aad_len),
			0);
	KUNIT_EXPECT_MEMEQ(test, buf, vec->batch, len);
	KUNIT_EXPECT_MEMEQ(test, aad + b.aad_len, vec->batch + len,
			   GRPSEC_TAG_LEN);

	/* And the kernel accepts the vector's tag, but not a changed one. */
	memcpy(aad + b.aad_len, vec->batch + len, GRPSEC_TAG_LEN);
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open_tag(k, nonce, aad, b.aad_len),
			0);
	aad[b.aad_len - 1] ^= 0x80;
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open_tag(k, nonce, aad, b.aad_len),
			-EBADMSG);
	grpsec_aead_key_destroy(k);
}

/* @v: the check of uplink vector @vec's outer tag, under key id @key_id. */
static void verify_vector(struct kunit *test, struct grpsec_verify *v,
			  const struct grpsec_vec_uplink *vec, u64 key_id)
{
	struct grpsec_uplink up;

	v->data = dup(test, vec->frame, vec->frame_len);
	KUNIT_ASSERT_EQ(test, grpsec_uplink_parse(v->data, vec->frame_len, &up), 0);
	v->key = vec->k_m;
	v->key_id = key_id;
	v->suite = vec->suite;
	v->auth_len = grpsec_uplink_outer_len(&up, vec->mode);
	v->tag = v->data + up.auth_len;
	grpsec_seq_nonce(v->nonce, GRPSEC_NONCE_UPLINK, up.seq);
}

/*
 * Cached transforms keep their key: a second member's frames in one
 * batch, every suite on the lanes, as with gmac=N.
 */
static const u8 zero_key[GRPSEC_KEY_MAX];

static void vectors_lanes_mixed_keys(struct kunit *test)
{
	struct grpsec_verify v[GRPSEC_CRYPTO_LANES];
	struct grpsec_crypto *c = grpsec_crypto_create();
	u64 ids[ARRAY_SIZE(grpsec_vec_uplinks)];
	unsigned int lanes = min_t(unsigned int, ARRAY_SIZE(grpsec_vec_uplinks),
				   GRPSEC_CRYPTO_LANES);
	unsigned int i, n = 0, round;

	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	c->gmac.err = -EOPNOTSUPP;	/* every suite on the lanes (gmac=N) */
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		ids[i] = grpsec_key_id_next();
	for (round = 0; round < 2; round++) {
		n = 0;
		for (i = 0; i < lanes; i++, n++) {
			verify_vector(test, &v[n],
				      &grpsec_vec_uplinks[(i + round) %
							  ARRAY_SIZE(grpsec_vec_uplinks)],
				      ids[(i + round) % ARRAY_SIZE(ids)]);
		}
		grpsec_crypto_verify(c, v, n);
		for (i = 0; i < n; i++)
			KUNIT_EXPECT_EQ_MSG(test, v[i].result, 0, "round %u lane %u",
					    round, i);
	}

	/*
	 * Forgotten: no transform keeps a key or an id.  One that still held
	 * its key would skip the setkey for a known id and verify a frame
	 * given the wrong key bytes; now that frame must fail.
	 */
	grpsec_crypto_forget(c);
	for (round = 0; round <= GRPSEC_SUITE_MAX; round++) {
		KUNIT_EXPECT_EQ(test, c->cache[round].n, 0U);
		KUNIT_EXPECT_TRUE(test, list_empty(&c->cache[round].lru));
	}
	v[0].key = zero_key;
	v[0].result = 0;
	grpsec_crypto_verify(c, v, 1);
	KUNIT_EXPECT_EQ(test, v[0].result, -EBADMSG);
	grpsec_crypto_destroy(c);
}

/*
 * A cache smaller than the keys in use, without GMAC (no accelerated
 * GHASH; ChaCha20-Poly1305 always): every frame still verifies under
 * its own key, the least recently used transform is the one re-keyed,
 * and the cache never grows beyond its size.  Two frames of one key in a
 * batch share its transform.
 */
static void cache_evicts_lru(struct kunit *test)
{
	const unsigned int nvec = ARRAY_SIZE(grpsec_vec_uplinks);
	const unsigned int nkeys = 2 * GRPSEC_CRYPTO_LANES + 3;
	struct grpsec_verify v[GRPSEC_CRYPTO_LANES];
	struct grpsec_crypto *c = grpsec_crypto_create();
	struct tfm_cache *tc;
	struct keyed *mru;
	u64 ids[2 * GRPSEC_CRYPTO_LANES + 3];
	unsigned int i, k = 0, round, suite;

	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	c->max_keyed = GRPSEC_CRYPTO_LANES;
	c->gmac.err = -EOPNOTSUPP;	/* as without an accelerated GHASH */
	for (i = 0; i < nkeys; i++)
		ids[i] = grpsec_key_id_next();
	for (round = 0; round < 6; round++) {
		for (i = 0; i < GRPSEC_CRYPTO_LANES; i++) {
			/* The last frame of odd rounds repeats the first's key. */
			unsigned int key = (round & 1) && i == GRPSEC_CRYPTO_LANES - 1 ?
					   (k - i) % nkeys : k++ % nkeys;

			verify_vector(test, &v[i], &grpsec_vec_uplinks[key % nvec],
				      ids[key]);
			v[i].result = 1;
		}
		grpsec_crypto_verify(c, v, GRPSEC_CRYPTO_LANES);
		for (i = 0; i < GRPSEC_CRYPTO_LANES; i++)
			KUNIT_EXPECT_EQ_MSG(test, v[i].result, 0, "round %u frame %u",
					    round, i);
		for (suite = 0; suite <= GRPSEC_SUITE_MAX; suite++)
			KUNIT_EXPECT_LE(test, c->cache[suite].n, c->max_keyed);
	}
	/* The most recently used entry holds the last frame's key. */
	tc = &c->cache[v[GRPSEC_CRYPTO_LANES - 1].suite];
	mru = list_first_entry(&tc->lru, struct keyed, lru);
	KUNIT_EXPECT_EQ(test, mru->key_id, v[GRPSEC_CRYPTO_LANES - 1].key_id);
	grpsec_crypto_destroy(c);
}

/*
 * GMAC from its parts gives the gcm(aes) transform's answer: tags sealed
 * by the AEAD over AAD of every length from 0 to 140 bytes (empty,
 * partial and whole blocks; copied up to 128, hashed in place above),
 * both AES suites, check; a changed byte of the AAD or the tag, or
 * another key, fails.  Then the vectors, a batch of mixed suites, with no
 * AES-GCM transform cached.  Forgotten, the GMAC transforms go with their
 * last key.
 */
static void gmac_matches_gcm(struct kunit *test)
{
	static const u8 aes_suites[] = { GRPSEC_SUITE_AES128_GCM, GRPSEC_SUITE_AES256_GCM };
	u8 *key = kunit_kzalloc(test, 32, GFP_KERNEL);
	u8 *buf = kunit_kzalloc(test, 140 + GRPSEC_TAG_LEN, GFP_KERNEL);
	struct grpsec_verify v[GRPSEC_CRYPTO_LANES];
	struct gmac probe = { .err = GMAC_UNTRIED };
	unsigned int s, len, i, n;
	struct grpsec_crypto *c;
	int err = gmac_get(&probe);

	gmac_free(&probe);
	if (err == -EOPNOTSUPP)
		kunit_skip(test, "no accelerated GHASH: AES-GCM tags go through the cache here");
	KUNIT_ASSERT_EQ(test, err, 0);
	c = grpsec_crypto_create();
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_ASSERT_NOT_NULL(test, key);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_TRUE(test, gmac);
	for (s = 0; s < ARRAY_SIZE(aes_suites); s++) {
		u8 suite = aes_suites[s];
		struct grpsec_aead_key *k;

		get_random_bytes(key, 32);
		k = grpsec_aead_key_create(suite, key, suite_keylen[suite]);
		KUNIT_ASSERT_FALSE(test, IS_ERR(k));
		for (len = 0; len <= 140; len++) {
			struct grpsec_verify g = {
				.key = key, .suite = suite, .data = buf,
				.auth_len = len, .tag = buf + len,
			};

			get_random_bytes(buf, len);
			get_random_bytes(g.nonce, sizeof(g.nonce));
			KUNIT_ASSERT_EQ(test, grpsec_aead_key_seal_tag(k, g.nonce, buf, len), 0);
			g.key_id = grpsec_key_id_next();
			grpsec_crypto_verify(c, &g, 1);
			KUNIT_EXPECT_EQ_MSG(test, g.result, 0, "suite %u, %u bytes", suite, len);
			if (len) {
				buf[len / 2] ^= 0x80;
				grpsec_crypto_verify(c, &g, 1);
				KUNIT_EXPECT_EQ_MSG(test, g.result, -EBADMSG,
						    "AAD changed, %u bytes", len);
				buf[len / 2] ^= 0x80;
			}
			buf[len + GRPSEC_TAG_LEN - 1] ^= 1;
			grpsec_crypto_verify(c, &g, 1);
			KUNIT_EXPECT_EQ_MSG(test, g.result, -EBADMSG, "tag changed, %u bytes", len);
			buf[len + GRPSEC_TAG_LEN - 1] ^= 1;
			key[0] ^= 1;
			grpsec_crypto_verify(c, &g, 1);
			KUNIT_EXPECT_EQ_MSG(test, g.result, -EBADMSG, "another key, %u bytes", len);
			key[0] ^= 1;
		}
		grpsec_aead_key_destroy(k);
	}
	KUNIT_EXPECT_EQ(test, c->gmac.err, 0);
	KUNIT_EXPECT_TRUE(test, c->gmac.keyed);

	/* The vectors: the AES ones by GMAC, ChaCha20-Poly1305's cached. */
	for (i = 0; i < ARRAY_SIZE(grpsec_vec_uplinks); i++) {
		verify_vector(test, &v[i % GRPSEC_CRYPTO_LANES], &grpsec_vec_uplinks[i],
			      grpsec_key_id_next());
		if (i % GRPSEC_CRYPTO_LANES == GRPSEC_CRYPTO_LANES - 1 ||
		    i == ARRAY_SIZE(grpsec_vec_uplinks) - 1) {
			unsigned int first = i - i % GRPSEC_CRYPTO_LANES;

			n = i % GRPSEC_CRYPTO_LANES + 1;
			grpsec_crypto_verify(c, v, n);
			while (n--)
				KUNIT_EXPECT_EQ_MSG(test, v[n].result, 0, "%s",
						    grpsec_vec_uplinks[first + n].name);
		}
	}
	KUNIT_EXPECT_EQ(test, c->cache[GRPSEC_SUITE_AES128_GCM].n, 0U);
	KUNIT_EXPECT_EQ(test, c->cache[GRPSEC_SUITE_AES256_GCM].n, 0U);
	/* Nor is a table allocated for them: GMAC is decided first. */
	KUNIT_EXPECT_NULL(test, c->cache[GRPSEC_SUITE_AES128_GCM].table);
	KUNIT_EXPECT_NULL(test, c->cache[GRPSEC_SUITE_AES256_GCM].table);
	KUNIT_EXPECT_GT(test, c->cache[GRPSEC_SUITE_CHACHA20_POLY1305].n, 0U);

	grpsec_crypto_forget(c);
	KUNIT_EXPECT_FALSE(test, c->gmac.keyed);
	KUNIT_EXPECT_NULL(test, c->gmac.ecb);
	grpsec_crypto_destroy(c);
}

/*
 * The cache's default size: 1/64 of RAM at 2 KiB a transform, shared
 * among the CPUs, never below one batch's lanes nor above the maximum.
 */
static void cache_sized_from_memory(struct kunit *test)
{
	struct grpsec_crypto *c;

	KUNIT_EXPECT_EQ(test, grpsec_tfm_cache_auto(2ULL << 30, 2), 8192U);
	KUNIT_EXPECT_EQ(test, grpsec_tfm_cache_auto(256ULL << 20, 4), 512U);
	KUNIT_EXPECT_EQ(test, grpsec_tfm_cache_auto(512ULL << 20, 3), 1365U);
	KUNIT_EXPECT_EQ(test, grpsec_tfm_cache_auto(64ULL << 20, 64),
			(unsigned int)GRPSEC_CRYPTO_LANES);
	KUNIT_EXPECT_EQ(test, grpsec_tfm_cache_auto(1ULL << 40, 1),
			(unsigned int)GRPSEC_TFM_CACHE_MAX);
	KUNIT_EXPECT_EQ(test, grpsec_tfm_cache_auto(2ULL << 30, 0), 16384U);

	c = grpsec_crypto_create();
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_EXPECT_EQ(test, c->max_keyed,
			grpsec_tfm_cache_auto((u64)totalram_pages() << PAGE_SHIFT,
					      num_possible_cpus()));
	grpsec_crypto_destroy(c);
}

static const u8 open_suites[] = {
	GRPSEC_SUITE_AES128_GCM, GRPSEC_SUITE_AES256_GCM,
	GRPSEC_SUITE_CHACHA20_POLY1305,
};

static void open_suite_desc(const u8 *suite, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "suite %u", *suite);
}

KUNIT_ARRAY_PARAM(open_suite, open_suites, open_suite_desc);

/*
 * A message whose tag fails leaves zeros, not the plaintext that GCM
 * decrypts before it compares the tag (terminate mode opens in place).
 */
static void open_bad_tag_wipes(struct kunit *test)
{
	static const u8 key[32] = { 7 }, nonce[GRPSEC_NONCE_LEN] = { 1 };
	static const u8 aad_init[8] = { 2 }, zeros[64];
	const u8 *suite = test->param_value;
	u8 plain[64], *buf = kunit_kzalloc(test, 64 + GRPSEC_TAG_LEN,
					   GFP_KERNEL);
	/* In a scatterlist: linear memory, not the module's rodata. */
	u8 *aad = dup(test, aad_init, sizeof(aad_init));
	struct grpsec_aead_key *k;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(plain, 0x5a, sizeof(plain));
	k = grpsec_aead_key_create(*suite, key,
				   *suite == GRPSEC_SUITE_AES128_GCM ? 16 : 32);
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	memcpy(buf, plain, sizeof(plain));
	KUNIT_ASSERT_EQ(test, grpsec_aead_key_seal(k, nonce, aad, sizeof(aad_init),
						   buf, sizeof(plain)), 0);
	buf[sizeof(plain)] ^= 1;
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open(k, nonce, aad, sizeof(aad_init),
						   buf, sizeof(plain) +
						   GRPSEC_TAG_LEN), -EBADMSG);
	KUNIT_EXPECT_MEMEQ(test, buf, zeros, sizeof(zeros));
	/* And the good tag still opens it. */
	memcpy(buf, plain, sizeof(plain));
	KUNIT_ASSERT_EQ(test, grpsec_aead_key_seal(k, nonce, aad, sizeof(aad_init),
						   buf, sizeof(plain)), 0);
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open(k, nonce, aad, sizeof(aad_init),
						   buf, sizeof(plain) +
						   GRPSEC_TAG_LEN), 0);
	KUNIT_EXPECT_MEMEQ(test, buf, plain, sizeof(plain));
	grpsec_aead_key_destroy(k);
}

/*
 * An empty AAD at the start of a page, sealed and opened: the scatterlist
 * then holds no empty entry, whose walk would compute the page before the
 * buffer and, on arm64, flush a struct page that does not exist.
 */
static void empty_aad_page_aligned(struct kunit *test)
{
	static const u8 key[32] = { 9 }, nonce[GRPSEC_NONCE_LEN] = { 3 };
	const u8 *suite = test->param_value;
	unsigned long page = __get_free_page(GFP_KERNEL | __GFP_ZERO);
	u8 *buf = (u8 *)page;
	struct grpsec_aead_key *k;

	KUNIT_ASSERT_NE(test, page, 0UL);
	k = grpsec_aead_key_create(*suite, key,
				   *suite == GRPSEC_SUITE_AES128_GCM ? 16 : 32);
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	/* A tag over nothing, then 32 bytes sealed with no AAD. */
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_seal_tag(k, nonce, buf, 0), 0);
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open_tag(k, nonce, buf, 0), 0);
	buf[0] ^= 1;
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open_tag(k, nonce, buf, 0), -EBADMSG);
	memset(buf, 0x33, 32);
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_seal(k, nonce, NULL, 0, buf, 32), 0);
	KUNIT_EXPECT_EQ(test, grpsec_aead_key_open(k, nonce, NULL, 0, buf,
						   32 + GRPSEC_TAG_LEN), 0);
	KUNIT_EXPECT_NULL(test, memchr_inv(buf, 0x33, 32));
	grpsec_aead_key_destroy(k);
	free_page(page);
}

/*
 * The transforms the module allocates come from the platform's
 * accelerated driver: AES-NI and CLMUL, or the ARMv8 Crypto Extensions,
 * and the SIMD ChaCha20 and Poly1305.  Were the kernel's config or the
 * CPU to lose them, every vector would still pass on the generic C code,
 * several times slower; this case makes that a failure.
 */
static const char *const accel_driver[] = {
#if IS_ENABLED(CONFIG_ARM64)
	[GRPSEC_SUITE_AES128_GCM] = "gcm-aes-ce",
	[GRPSEC_SUITE_AES256_GCM] = "gcm-aes-ce",
	[GRPSEC_SUITE_CHACHA20_POLY1305] = "rfc7539(chacha20-neon,poly1305-neon)",
#elif IS_ENABLED(CONFIG_X86_64)
	[GRPSEC_SUITE_AES128_GCM] = "generic-gcm-aesni",
	[GRPSEC_SUITE_AES256_GCM] = "generic-gcm-aesni",
	[GRPSEC_SUITE_CHACHA20_POLY1305] = "rfc7539(chacha20-simd,poly1305-simd)",
#endif
};

/*
 * GMAC's parts: on x86-64, AES-NI and CLMUL.  arm64's 6.1 kernel
 * registers its NEON ghash only on CPUs without PMULL, which get
 * gcm-aes-ce instead: with PMULL (the test VM's CPU has it), the CE's
 * ecb(aes) and the module's own GHASH on PMULL (ghash_pmull.c).
 */
#if IS_ENABLED(CONFIG_X86_64)
static const char *const gmac_driver[] = { "ecb-aes-aesni", "ghash-clmulni" };
#elif IS_ENABLED(CONFIG_ARM64)
static const char *const gmac_driver[] = { "ecb-aes-ce" };
#endif

static void driver_accelerated(struct kunit *test)
{
	const u8 *suite = test->param_value;
	struct crypto_aead *tfm;
	const char *driver;

	if (ARRAY_SIZE(accel_driver) == 0)
		kunit_skip(test, "no accelerated driver known for this architecture");
	tfm = tfm_alloc(*suite);
	KUNIT_ASSERT_FALSE(test, IS_ERR(tfm));
	driver = crypto_tfm_alg_driver_name(crypto_aead_tfm(tfm));
	kunit_info(test, "%s: %s\n", suite_alg[*suite], driver);
	KUNIT_EXPECT_STREQ(test, driver, accel_driver[*suite]);
	crypto_free_aead(tfm);
	if (*suite != GRPSEC_SUITE_CHACHA20_POLY1305) {
		struct gmac g = { .err = GMAC_UNTRIED };
		int err = gmac_get(&g);

#if IS_ENABLED(CONFIG_X86_64)
		KUNIT_ASSERT_EQ(test, err, 0);
		KUNIT_EXPECT_STREQ(test, crypto_tfm_alg_driver_name(crypto_skcipher_tfm(g.ecb)),
				   gmac_driver[0]);
		KUNIT_EXPECT_STREQ(test, crypto_tfm_alg_driver_name(crypto_ahash_tfm(g.ghash)),
				   gmac_driver[1]);
#elif IS_ENABLED(CONFIG_ARM64)
		KUNIT_ASSERT_EQ(test, err, 0);
		KUNIT_EXPECT_STREQ(test, crypto_tfm_alg_driver_name(crypto_skcipher_tfm(g.ecb)),
				   gmac_driver[0]);
		KUNIT_EXPECT_TRUE(test, g.pmull);
		KUNIT_EXPECT_NULL(test, g.ghash);
#else
		kunit_info(test, "GMAC: %d\n", err);
#endif
		gmac_free(&g);
	}
}

static struct kunit_case vectors_test_cases[] = {
	KUNIT_CASE_PARAM(vectors_uplink_accept, uplink_gen_params),
	KUNIT_CASE_PARAM(vectors_uplink_produce, uplink_gen_params),
	KUNIT_CASE_PARAM(vectors_reject, reject_gen_params),
	KUNIT_CASE_PARAM(vectors_batch_produce, batch_gen_params),
	KUNIT_CASE(vectors_lanes_mixed_keys),
	KUNIT_CASE(cache_evicts_lru),
	KUNIT_CASE(gmac_matches_gcm),
	KUNIT_CASE(cache_sized_from_memory),
	KUNIT_CASE_PARAM(open_bad_tag_wipes, open_suite_gen_params),
	KUNIT_CASE_PARAM(empty_aad_page_aligned, open_suite_gen_params),
	KUNIT_CASE_PARAM(driver_accelerated, open_suite_gen_params),
	{}
};

static struct kunit_suite vectors_suite = {
	.name = "grpsec_vectors",
	.test_cases = vectors_test_cases,
};

kunit_test_suites(&vectors_suite);
