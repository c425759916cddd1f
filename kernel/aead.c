// SPDX-License-Identifier: GPL-2.0
/*
 * The one file that talks to the kernel crypto API.  Algorithms are asked
 * for by name, so the platform's fastest implementation is used: AES-NI
 * or ARM CE for gcm(aes), SIMD for ChaCha20-Poly1305, or a hardware
 * engine whose driver registers a higher priority.
 *
 * The receive path verifies frames in batches: each CPU's worker owns one
 * struct grpsec_crypto.  An AES-GCM outer tag is checked with GMAC from
 * its parts (struct gmac: one ecb(aes) and one ghash transform, keyed
 * for each frame; on arm64 with PMULL, GHASH of the module's own), so no
 * member needs a transform of its own.  Any other tag (ChaCha20-Poly1305,
 * or AES-GCM with the module parameter gmac=N) goes on one of the lanes,
 * each a request allocated once, with the transform that holds its key
 * from a cache of keyed transforms per suite; the batch submits them
 * all and waits once for the ones an asynchronous engine queued.  The
 * cache keeps up to tfm_cache transforms (a module parameter; by default
 * what 1/64 of RAM holds, shared among the CPUs) by key id, and re-keys
 * the least recently used one when full: a member whose key is still
 * cached costs no setkey.
 */
#include <crypto/aead.h>
#include <crypto/aes.h>
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/skcipher.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/grpsec.h>
#include <linux/hash.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#if IS_ENABLED(CONFIG_ARM64) && IS_ENABLED(CONFIG_KERNEL_MODE_NEON) && \
	!IS_ENABLED(CONFIG_CPU_BIG_ENDIAN)
#define GRPSEC_GHASH_PMULL
#include <asm/cpufeature.h>
#include <asm/neon.h>
#include <asm/simd.h>
#include "ghash_pmull.h"
#endif

#include "aead.h"

static const char *const suite_alg[] = {
	[GRPSEC_SUITE_AES128_GCM] = "gcm(aes)",
	[GRPSEC_SUITE_AES256_GCM] = "gcm(aes)",
	[GRPSEC_SUITE_CHACHA20_POLY1305] = "rfc7539(chacha20,poly1305)",
};

static const unsigned int suite_keylen[] = {
	[GRPSEC_SUITE_AES128_GCM] = 16,
	[GRPSEC_SUITE_AES256_GCM] = 32,
	[GRPSEC_SUITE_CHACHA20_POLY1305] = 32,
};

static atomic64_t key_ids = ATOMIC64_INIT(0);

unsigned int grpsec_suite_keylen(u8 suite)
{
	if (suite < GRPSEC_SUITE_AES128_GCM || suite > GRPSEC_SUITE_MAX)
		return 0;
	return suite_keylen[suite];
}

/* Every installed key gets an id that is never reused. */
u64 grpsec_key_id_next(void)
{
	return atomic64_inc_return(&key_ids);
}

/*
 * A transform keyed with one member key, in its CPU's cache: found by the
 * key's id, most recently used first on the list.
 */
struct keyed {
	struct hlist_node node;
	struct list_head lru;
	struct crypto_aead *tfm;
	u64 key_id;		/* 0: keyed with nothing usable */
	u64 last_used;		/* batch number */
};

struct tfm_cache {
	struct hlist_head *table;
	unsigned int bits;
	unsigned int n;
	struct list_head lru;
};

/* One request of a batch, set to the transform of its frame's key. */
struct lane {
	struct aead_request *req;
	unsigned int reqsize;
	struct scatterlist sg[2];	/* the AAD, then the tag */
	struct grpsec_verify *v;
	struct batch_wait *wait;
};

struct batch_wait {
	atomic_t pending;
	struct completion done;
};

/*
 * GMAC from its parts, for AES-GCM tags over AAD alone (gmac=Y):
 * T = E_K(J0) ^ GHASH_H(A, lengths), H = E_K(0^128).  One ecb(aes) and
 * one ghash transform per CPU, keyed for each frame: the AES-NI key
 * expansion, two AES blocks and GHASH's setkey, where a gcm(aes) setkey
 * runs lib/crypto's C AES twice.  arm64 6.1 registers its NEON ghash
 * only on CPUs without PMULL: with PMULL, GHASH is the module's own
 * (ghash_pmull.c) instead of a transform (gmac_get()).
 */
struct gmac {
	struct crypto_skcipher *ecb;
	struct crypto_ahash *ghash;
	struct skcipher_request *sreq;
	struct ahash_request *hreq;
	u8 *buf;		/* GMAC_* below, linear for the scatterlists */
	int err;		/* 0, GMAC_UNTRIED, or why there is none */
	bool keyed;		/* holds a member's key until forgotten */
	bool pmull;		/* GHASH on PMULL here: no ghash transform */
};

#define GMAC_UNTRIED	1	/* err: allocated at the next frame */

#define GMAC_H		0	/* E_K(0^128), GHASH's key */
#define GMAC_J0		16	/* the counter block, then E_K(J0) */
#define GMAC_DIGEST	32
#define GMAC_SECRET	48	/* the bytes above: wiped after each frame */
#define GMAC_TAIL	48	/* zeros that pad the AAD to a block, then */
				/* len(A) || len(C) in bits, big-endian */
#define GMAC_COPY	48	/* or the AAD itself, up to GMAC_COPY_MAX */
#define GMAC_COPY_MAX	128	/* bytes, padded, and the lengths: one entry */
#define GMAC_BUF	(GMAC_COPY + GMAC_COPY_MAX + 2 * AES_BLOCK_SIZE)

struct grpsec_crypto {
	u64 batches;
	unsigned int max_keyed;
	struct tfm_cache cache[GRPSEC_SUITE_MAX + 1];
	struct gmac gmac;
	struct lane lanes[GRPSEC_CRYPTO_LANES];
};

/* 1 Mi transforms are over a gigabyte: no bigger cache makes sense. */
#define GRPSEC_TFM_CACHE_MAX	BIT(20)

/*
 * What a cached transform is counted as when the cache is sized from
 * memory: 1,220 bytes of slab objects were measured for gcm(aes) on
 * x86-64 with AES-NI (three transforms: the SIMD wrapper, cryptd and the
 * inner one) and 1,150 on arm64, so 2 KiB leaves room for other engines.
 */
#define GRPSEC_TFM_ENTRY_BYTES	2048

/* The share of RAM all CPUs' caches may take together: 1/64. */
#define GRPSEC_TFM_RAM_SHIFT	6

static unsigned int tfm_cache;
module_param(tfm_cache, uint, 0444);
MODULE_PARM_DESC(tfm_cache,
		 "Keyed transforms each CPU keeps per cipher suite (16 to 1048576; 0, the default: as many as 1/64 of RAM holds at 2 KB each, shared among the CPUs; reads back the size in use): a frame whose member key is among them pays no key schedule");

static bool gmac = true;
module_param(gmac, bool, 0644);
MODULE_PARM_DESC(gmac,
		 "Check AES-GCM outer tags with GMAC from ecb(aes) and ghash, keyed for each frame (Y, the default: no transform per member), or with cached gcm(aes) transforms (N: for a hardware engine that only does the AEAD)");

/**
 * grpsec_tfm_cache_auto - the cache size a memory budget gives
 * @ram: bytes of RAM
 * @cpus: CPUs whose workers keep a cache
 *
 * Return: the transforms per CPU and suite that 1/64 of @ram holds at
 * GRPSEC_TFM_ENTRY_BYTES each, between the lanes of one batch and
 * GRPSEC_TFM_CACHE_MAX.  A cache only grows to the keys its CPU sees, so
 * this is a bound, not an allocation.
 */
unsigned int grpsec_tfm_cache_auto(u64 ram, unsigned int cpus)
{
	u64 n = div64_u64(ram >> GRPSEC_TFM_RAM_SHIFT,
			  (u64)max(cpus, 1U) * GRPSEC_TFM_ENTRY_BYTES);

	return clamp_t(u64, n, GRPSEC_CRYPTO_LANES, GRPSEC_TFM_CACHE_MAX);
}

static unsigned int tfm_cache_size(void)
{
	unsigned int n = READ_ONCE(tfm_cache);

	if (!n)
		return grpsec_tfm_cache_auto((u64)totalram_pages() << PAGE_SHIFT,
					     num_possible_cpus());
	return clamp_t(unsigned int, n, GRPSEC_CRYPTO_LANES, GRPSEC_TFM_CACHE_MAX);
}

/*
 * At module load: settle the cache's size once, so that the parameter
 * reads back the size every CPU's cache has.
 */
void grpsec_crypto_init(void)
{
	tfm_cache = tfm_cache_size();
}

static struct crypto_aead *tfm_alloc(u8 suite)
{
	struct crypto_aead *tfm;

	tfm = crypto_alloc_aead(suite_alg[suite], 0, 0);
	if (IS_ERR(tfm))
		return tfm;
	if (crypto_aead_ivsize(tfm) != GRPSEC_NONCE_LEN ||
	    crypto_aead_setauthsize(tfm, GRPSEC_TAG_LEN)) {
		crypto_free_aead(tfm);
		return ERR_PTR(-EINVAL);
	}
	return tfm;
}

struct grpsec_crypto *grpsec_crypto_create(void)
{
	struct grpsec_crypto *c = kzalloc(sizeof(*c), GFP_KERNEL);
	unsigned int bits, s;

	if (!c)
		return ERR_PTR(-ENOMEM);
	c->max_keyed = tfm_cache_size();
	c->gmac.err = GMAC_UNTRIED;
	/* About one entry a bucket when full, at most 64 Ki buckets. */
	bits = min(ilog2(roundup_pow_of_two(c->max_keyed)), 16);
	for (s = 0; s <= GRPSEC_SUITE_MAX; s++) {
		struct tfm_cache *tc = &c->cache[s];

		INIT_LIST_HEAD(&tc->lru);
		tc->bits = bits;
	}
	return c;
}

/* Freeing a transform wipes its key schedule (kfree_sensitive). */
static void cache_clear(struct tfm_cache *tc)
{
	struct keyed *k, *tmp;

	list_for_each_entry_safe(k, tmp, &tc->lru, lru) {
		crypto_free_aead(k->tfm);
		kfree(k);
	}
	INIT_LIST_HEAD(&tc->lru);
	tc->n = 0;
	kvfree(tc->table);
	tc->table = NULL;
}

/* Freeing the transforms wipes the last key's schedule and subkey. */
static void gmac_free(struct gmac *g)
{
	skcipher_request_free(g->sreq);
	ahash_request_free(g->hreq);
	crypto_free_skcipher(g->ecb);
	crypto_free_ahash(g->ghash);
	kfree_sensitive(g->buf);
	*g = (struct gmac){ .err = GMAC_UNTRIED };
}

void grpsec_crypto_destroy(struct grpsec_crypto *c)
{
	int s, i;

	if (!c)
		return;
	for (s = 0; s <= GRPSEC_SUITE_MAX; s++)
		cache_clear(&c->cache[s]);
	gmac_free(&c->gmac);
	for (i = 0; i < GRPSEC_CRYPTO_LANES; i++)
		aead_request_free(c->lanes[i].req);
	kfree(c);
}

/**
 * grpsec_crypto_forget - drop every keyed transform
 * @c: this CPU's crypto state
 *
 * A cached transform keeps its key schedule between frames, so without
 * this the key of a deleted member or of a replaced key would stay in
 * memory until its entry is reused.  The transforms are freed, which
 * wipes them; the next frame of each key pays an allocation and a setkey.
 */
void grpsec_crypto_forget(struct grpsec_crypto *c)
{
	int s;

	for (s = 0; s <= GRPSEC_SUITE_MAX; s++)
		cache_clear(&c->cache[s]);
	if (c->gmac.keyed)
		gmac_free(&c->gmac);
}

static void verify_done(grpsec_crypto_cb_arg arg, int err)
{
	struct lane *l = grpsec_crypto_cb_data(arg);

	/* A backlogged request reports once more when it really starts. */
	if (err == -EINPROGRESS)
		return;
	l->v->result = err;
	if (atomic_dec_and_test(&l->wait->pending))
		complete(&l->wait->done);
}

/* Whether this CPU has PMULL, for ghash_pmull.c. */
static bool ghash_pmull_usable(void)
{
#ifdef GRPSEC_GHASH_PMULL
	return cpu_have_named_feature(PMULL);
#else
	return false;
#endif
}

/*
 * The GMAC transforms, allocated on first use.  Without an accelerated
 * GHASH (ghash-generic builds a 4 KiB table at every setkey, which costs
 * more than gcm(aes)'s) there is none, and AES-GCM tags go through the
 * cache of gcm(aes) transforms, as with gmac=N; except on arm64 with
 * PMULL, where GHASH is the module's own.
 */
static int gmac_get(struct gmac *g)
{
	if (g->err != GMAC_UNTRIED)
		return g->err;
	g->ecb = crypto_alloc_skcipher("ecb(aes)", 0, 0);
	g->ghash = crypto_alloc_ahash("ghash", 0, 0);
	if (IS_ERR(g->ecb) || IS_ERR(g->ghash)) {
		int err = IS_ERR(g->ecb) ? PTR_ERR(g->ecb) : PTR_ERR(g->ghash);

		g->ecb = IS_ERR(g->ecb) ? NULL : g->ecb;
		g->ghash = IS_ERR(g->ghash) ? NULL : g->ghash;
		gmac_free(g);
		if (err != -ENOMEM)
			g->err = err;	/* no such algorithm: not asked again */
		return err;
	}
	if (!strcmp(crypto_tfm_alg_driver_name(crypto_ahash_tfm(g->ghash)),
		    "ghash-generic") && ghash_pmull_usable()) {
		crypto_free_ahash(g->ghash);
		g->ghash = NULL;
		g->pmull = true;
	} else if (!strcmp(crypto_tfm_alg_driver_name(crypto_ahash_tfm(g->ghash)),
			   "ghash-generic") || crypto_ahash_digestsize(g->ghash) != 16) {
		gmac_free(g);
		g->err = -EOPNOTSUPP;
		return g->err;
	}
	g->sreq = skcipher_request_alloc(g->ecb, GFP_KERNEL);
	if (!g->pmull)
		g->hreq = ahash_request_alloc(g->ghash, GFP_KERNEL);
	g->buf = kzalloc(GMAC_BUF, GFP_KERNEL);
	if (!g->sreq || (!g->pmull && !g->hreq) || !g->buf) {
		gmac_free(g);
		return -ENOMEM;		/* tried again at the next frame */
	}
	g->err = 0;
	return 0;
}

/*
 * GHASH over @v's AAD, zeros to a block, then the lengths, into
 * @b + GMAC_DIGEST with the ghash transform, keyed with H from
 * @b + GMAC_H.  A short AAD is copied beside them: one scatterlist entry
 * hashes without a walk.
 */
static int gmac_ghash(struct gmac *g, const struct grpsec_verify *v, u8 *b)
{
	unsigned int pad = (AES_BLOCK_SIZE - v->auth_len % AES_BLOCK_SIZE) % AES_BLOCK_SIZE;
	unsigned int len = v->auth_len + pad + AES_BLOCK_SIZE;
	struct scatterlist sg[2];
	DECLARE_CRYPTO_WAIT(wait);
	u8 *tail;
	int err;

	err = crypto_ahash_setkey(g->ghash, b + GMAC_H, AES_BLOCK_SIZE);
	if (err)
		return err;
	if (v->auth_len <= GMAC_COPY_MAX) {
		memcpy(b + GMAC_COPY, v->data, v->auth_len);
		tail = b + GMAC_COPY + v->auth_len;
		sg_init_one(&sg[0], b + GMAC_COPY, len);
	} else {
		tail = b + GMAC_TAIL;
		sg_init_table(sg, 2);
		sg_set_buf(&sg[0], v->data, v->auth_len);
		sg_set_buf(&sg[1], tail, pad + AES_BLOCK_SIZE);
	}
	memset(tail, 0, pad);
	put_unaligned_be64((u64)v->auth_len * 8, tail + pad);
	put_unaligned_be64(0, tail + pad + 8);
	ahash_request_set_callback(g->hreq, CRYPTO_TFM_REQ_MAY_BACKLOG,
				   crypto_req_done, &wait);
	ahash_request_set_crypt(g->hreq, sg, b + GMAC_DIGEST, len);
	return crypto_wait_req(crypto_ahash_digest(g->hreq), &wait);
}

/*
 * GHASH over @v's AAD, zeros to a block and the lengths into
 * @b + GMAC_DIGEST, on PMULL: the AAD's whole blocks in place, the rest
 * and the lengths from @b + GMAC_COPY.
 */
static int gmac_ghash_pmull(const struct grpsec_verify *v, u8 *b)
{
#ifdef GRPSEC_GHASH_PMULL
	unsigned int full = v->auth_len / AES_BLOCK_SIZE;
	unsigned int rest = v->auth_len % AES_BLOCK_SIZE;
	unsigned int n = rest ? 2 : 1;
	u8 *last = b + GMAC_COPY;

	if (WARN_ON_ONCE(!may_use_simd()))
		return -EBUSY;
	memset(b + GMAC_DIGEST, 0, AES_BLOCK_SIZE);
	memset(last, 0, 2 * AES_BLOCK_SIZE);
	memcpy(last, v->data + full * AES_BLOCK_SIZE, rest);
	put_unaligned_be64((u64)v->auth_len * 8, last + (n - 1) * AES_BLOCK_SIZE);
	kernel_neon_begin();
	grpsec_ghash_pmull(b + GMAC_DIGEST, b + GMAC_H, v->data, full);
	grpsec_ghash_pmull(b + GMAC_DIGEST, b + GMAC_H, last, n);
	kernel_neon_end();
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

/*
 * @v's tag checked with GMAC from its parts: the same result as the
 * gcm(aes) transform's decrypt of an empty ciphertext.  Process context;
 * an asynchronous engine is waited for (AES-NI's and GHASH-CLMUL's
 * wrappers are asynchronous only where SIMD cannot be used).
 */
static int gmac_verify(struct gmac *g, const struct grpsec_verify *v)
{
	struct scatterlist sg;
	DECLARE_CRYPTO_WAIT(wait);
	u8 *b = g->buf;
	int err;

	g->keyed = true;
	memset(b + GMAC_H, 0, AES_BLOCK_SIZE);
	memcpy(b + GMAC_J0, v->nonce, GRPSEC_NONCE_LEN);
	put_unaligned_be32(1, b + GMAC_J0 + GRPSEC_NONCE_LEN);
	err = crypto_skcipher_setkey(g->ecb, v->key, suite_keylen[v->suite]);
	if (err)
		goto out;
	sg_init_one(&sg, b, 2 * AES_BLOCK_SIZE);
	skcipher_request_set_callback(g->sreq, CRYPTO_TFM_REQ_MAY_BACKLOG,
				      crypto_req_done, &wait);
	skcipher_request_set_crypt(g->sreq, &sg, &sg, 2 * AES_BLOCK_SIZE, NULL);
	err = crypto_wait_req(crypto_skcipher_encrypt(g->sreq), &wait);
	if (err)
		goto out;
	err = g->pmull ? gmac_ghash_pmull(v, b) : gmac_ghash(g, v, b);
	if (err)
		goto out;
	crypto_xor(b + GMAC_DIGEST, b + GMAC_J0, GRPSEC_TAG_LEN);
	err = crypto_memneq(b + GMAC_DIGEST, v->tag, GRPSEC_TAG_LEN) ? -EBADMSG : 0;
out:
	memzero_explicit(b, GMAC_SECRET);
	return err;
}

/* keyed_get's answer for an AES-GCM tag: gmac_verify() checks it. */
#define KEYED_GMAC	1

/*
 * The transform holding @v's key, or KEYED_GMAC: an AES-GCM tag is
 * checked by gmac_verify() (the gmac parameter, by default), which keys
 * per frame in about the instructions a cached gcm(aes) transform's
 * decrypt takes, with no transform per member; decided before the cache
 * is looked at, so no CPU allocates a table for a suite GMAC serves
 * (transforms cached under gmac=N wait, unused, to be forgotten or for
 * gmac=N again).  Otherwise (ChaCha20-Poly1305, gmac=N, no accelerated
 * GHASH) the cached transform if there is one, else a new one while the
 * cache has room, else the least recently used one, keyed again: a
 * gcm(aes) setkey costs two AES key expansions and an AES block for the
 * GHASH subkey in lib/crypto's C AES.
 * A transform may serve several requests of one batch (one key's
 * frames); the one re-keyed is never one this batch uses, since the
 * cache holds more entries than a batch has frames.
 */
static struct crypto_aead *keyed_get(struct grpsec_crypto *c,
				     const struct grpsec_verify *v, int *err)
{
	struct tfm_cache *tc = &c->cache[v->suite];
	struct keyed *k;
	u32 h;

	if (v->suite != GRPSEC_SUITE_CHACHA20_POLY1305 && READ_ONCE(gmac) &&
	    !gmac_get(&c->gmac)) {
		*err = KEYED_GMAC;
		return NULL;
	}
	if (!tc->table) {
		tc->table = kvcalloc(1U << tc->bits, sizeof(*tc->table),
				     GFP_KERNEL);
		if (!tc->table) {
			*err = -ENOMEM;
			return NULL;
		}
	}
	h = hash_64(v->key_id, tc->bits);
	hlist_for_each_entry(k, &tc->table[h], node)
		if (k->key_id == v->key_id)
			goto found;

	if (tc->n < c->max_keyed) {
		k = kzalloc(sizeof(*k), GFP_KERNEL);
		if (!k) {
			*err = -ENOMEM;
			return NULL;
		}
		k->tfm = tfm_alloc(v->suite);
		if (IS_ERR(k->tfm)) {
			*err = PTR_ERR(k->tfm);
			kfree(k);
			return NULL;
		}
		INIT_HLIST_NODE(&k->node);
		list_add(&k->lru, &tc->lru);
		tc->n++;
	} else {
		k = list_last_entry(&tc->lru, struct keyed, lru);
		if (WARN_ON_ONCE(k->last_used == c->batches)) {
			*err = -EBUSY;
			return NULL;
		}
		hlist_del_init(&k->node);
	}
	k->key_id = 0;
	*err = crypto_aead_setkey(k->tfm, v->key, suite_keylen[v->suite]);
	if (*err)
		return NULL;
	k->key_id = v->key_id;
	hlist_add_head(&k->node, &tc->table[h]);
found:
	k->last_used = c->batches;
	list_move(&k->lru, &tc->lru);
	return k->tfm;
}

/* Lane @l's request, big enough for @tfm's. */
static struct aead_request *lane_req(struct lane *l, struct crypto_aead *tfm)
{
	if (!l->req || l->reqsize < crypto_aead_reqsize(tfm)) {
		aead_request_free(l->req);
		l->req = aead_request_alloc(tfm, GFP_KERNEL);
		l->reqsize = l->req ? crypto_aead_reqsize(tfm) : 0;
		if (!l->req)
			return NULL;
	}
	aead_request_set_tfm(l->req, tfm);
	return l->req;
}

/**
 * grpsec_crypto_verify - check up to GRPSEC_CRYPTO_LANES outer tags
 * @c: this CPU's crypto state
 * @v: the checks; each ->result is set
 * @n: how many
 *
 * Process context: an asynchronous engine is waited for once per batch.
 */
void grpsec_crypto_verify(struct grpsec_crypto *c, struct grpsec_verify *v,
			  unsigned int n)
{
	struct batch_wait wait;
	unsigned int i;

	atomic_set(&wait.pending, 1);
	init_completion(&wait.done);
	c->batches++;

	for (i = 0; i < n && i < GRPSEC_CRYPTO_LANES; i++) {
		struct lane *l = &c->lanes[i];
		struct crypto_aead *tfm;
		struct aead_request *req;
		int ret;

		tfm = keyed_get(c, &v[i], &ret);
		if (!tfm) {
			v[i].result = ret == KEYED_GMAC ? gmac_verify(&c->gmac, &v[i]) : ret;
			continue;
		}
		req = lane_req(l, tfm);
		if (!req) {
			v[i].result = -ENOMEM;
			continue;
		}
		l->v = &v[i];
		l->wait = &wait;
		sg_init_table(l->sg, 2);
		sg_set_buf(&l->sg[0], v[i].data, v[i].auth_len);
		sg_set_buf(&l->sg[1], v[i].tag, GRPSEC_TAG_LEN);
		aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG,
					  verify_done, l);
		aead_request_set_ad(req, v[i].auth_len);
		aead_request_set_crypt(req, l->sg, l->sg, GRPSEC_TAG_LEN,
				       v[i].nonce);
		atomic_inc(&wait.pending);
		ret = crypto_aead_decrypt(req);
		if (ret == -EINPROGRESS || ret == -EBUSY)
			continue;
		v[i].result = ret;
		atomic_dec(&wait.pending);
	}

	if (!atomic_dec_and_test(&wait.pending))
		wait_for_completion(&wait.done);
}

/*
 * A single key with its own transform, for keys used one request at a
 * time from process context: the upstream key, and the tests.
 */
struct grpsec_aead_key {
	struct crypto_aead *tfm;
};

struct grpsec_aead_key *grpsec_aead_key_create(u8 suite, const u8 *key,
					       unsigned int len)
{
	struct grpsec_aead_key *k;
	int err;

	if (!grpsec_suite_keylen(suite) || len != suite_keylen[suite])
		return ERR_PTR(-EINVAL);

	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return ERR_PTR(-ENOMEM);
	k->tfm = tfm_alloc(suite);
	if (IS_ERR(k->tfm)) {
		err = PTR_ERR(k->tfm);
		goto out_free_key;
	}
	err = crypto_aead_setkey(k->tfm, key, len);
	if (err)
		goto out_free_tfm;
	return k;

out_free_tfm:
	crypto_free_aead(k->tfm);
out_free_key:
	kfree(k);
	return ERR_PTR(err);
}

void grpsec_aead_key_destroy(struct grpsec_aead_key *k)
{
	if (!k)
		return;
	/* Freeing the transform wipes its key schedule. */
	crypto_free_aead(k->tfm);
	kfree(k);
}

static int key_crypt(struct grpsec_aead_key *k, const u8 *nonce,
		     const u8 *aad, u32 aad_len, u8 *data, u32 len, bool seal)
{
	u8 iv[GRPSEC_NONCE_LEN];
	struct aead_request *req;
	struct scatterlist sg[2];
	DECLARE_CRYPTO_WAIT(wait);
	int err;

	req = aead_request_alloc(k->tfm, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	memcpy(iv, nonce, sizeof(iv));
	/*
	 * No entry for an empty AAD: the walk that writes the tag steps
	 * over it with flush_dcache_page() on the page before a
	 * page-aligned buffer, a bad pointer where that is not a no-op.
	 */
	if (aad_len) {
		sg_init_table(sg, 2);
		sg_set_buf(&sg[0], aad, aad_len);
		sg_set_buf(&sg[1], data, len + (seal ? GRPSEC_TAG_LEN : 0));
	} else {
		sg_init_one(sg, data, len + (seal ? GRPSEC_TAG_LEN : 0));
	}
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG,
				  crypto_req_done, &wait);
	aead_request_set_ad(req, aad_len);
	aead_request_set_crypt(req, sg, sg, len, iv);
	err = crypto_wait_req(seal ? crypto_aead_encrypt(req) :
				     crypto_aead_decrypt(req), &wait);
	aead_request_free(req);
	return err;
}

/* A tag over @auth_len bytes of @data, no ciphertext: the tag follows. */
static int key_tag(struct grpsec_aead_key *k, const u8 *nonce, u8 *data,
		   u32 auth_len, bool seal)
{
	return key_crypt(k, nonce, data, auth_len, data + auth_len,
			 seal ? 0 : GRPSEC_TAG_LEN, seal);
}

/**
 * grpsec_aead_key_seal_tag - tag @auth_len bytes of @data in place
 * @k: the key
 * @nonce: 12-byte nonce, never used twice with this key
 * @data: the bytes to authenticate, followed by room for the tag
 * @auth_len: how many bytes the tag covers
 *
 * Return: 0 or -errno.
 */
int grpsec_aead_key_seal_tag(struct grpsec_aead_key *k,
			     const u8 nonce[GRPSEC_NONCE_LEN], u8 *data,
			     u32 auth_len)
{
	return key_tag(k, nonce, data, auth_len, true);
}

/**
 * grpsec_aead_key_open_tag - check the tag that follows @auth_len bytes
 * @k: the key
 * @nonce: 12-byte nonce
 * @data: authenticated bytes, then the tag
 * @auth_len: how many bytes the tag covers
 *
 * Return: 0, -EBADMSG if the tag is wrong, or another -errno.
 */
int grpsec_aead_key_open_tag(struct grpsec_aead_key *k,
			     const u8 nonce[GRPSEC_NONCE_LEN], u8 *data,
			     u32 auth_len)
{
	return key_tag(k, nonce, data, auth_len, false);
}

/**
 * grpsec_aead_key_setkey - replace the key of a single-key transform
 * @k: the key, not in use by anyone else
 * @key: new key, the suite's length
 * @len: its length
 *
 * For the downlink sender, which tags one frame per member with one
 * transform.  Return: 0 or -errno.
 */
int grpsec_aead_key_setkey(struct grpsec_aead_key *k, const u8 *key,
			   unsigned int len)
{
	return crypto_aead_setkey(k->tfm, key, len);
}

/**
 * grpsec_aead_key_seal - encrypt @len bytes of @data in place
 * @k: the key
 * @nonce: 12-byte nonce, never used twice with this key
 * @aad: associated data, not encrypted
 * @aad_len: its length
 * @data: plaintext, followed by room for the tag
 * @len: plaintext length
 *
 * Return: 0 or -errno.
 */
int grpsec_aead_key_seal(struct grpsec_aead_key *k,
			 const u8 nonce[GRPSEC_NONCE_LEN], const u8 *aad,
			 u32 aad_len, u8 *data, u32 len)
{
	return key_crypt(k, nonce, aad, aad_len, data, len, true);
}

/**
 * grpsec_aead_key_open - decrypt in place and check the tag
 * @k: the key
 * @nonce: 12-byte nonce
 * @aad: associated data
 * @aad_len: its length
 * @data: ciphertext followed by the tag; plaintext on success, zeros
 *	on failure (GCM decrypts before it compares the tag, so a wrong tag
 *	would otherwise leave the candidate plaintext behind)
 * @len: ciphertext and tag length (at least GRPSEC_TAG_LEN)
 *
 * Return: 0, -EBADMSG if the tag is wrong, or another -errno.
 */
int grpsec_aead_key_open(struct grpsec_aead_key *k,
			 const u8 nonce[GRPSEC_NONCE_LEN], const u8 *aad,
			 u32 aad_len, u8 *data, u32 len)
{
	int err;

	if (len < GRPSEC_TAG_LEN)
		return -EBADMSG;
	err = key_crypt(k, nonce, aad, aad_len, data, len, false);
	if (err)
		memzero_explicit(data, len - GRPSEC_TAG_LEN);
	return err;
}
