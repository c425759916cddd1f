// SPDX-License-Identifier: GPL-2.0
/*
 * The one file that talks to the kernel crypto API.  Algorithms are asked
 * for by name, so the platform's fastest implementation is used: AES-NI
 * or ARM CE for gcm(aes), SIMD for ChaCha20-Poly1305, or a hardware
 * engine whose driver registers a higher priority.
 *
 * The receive path verifies frames in batches: each CPU's worker owns one
 * struct grpsec_crypto, a set of lanes per suite, each lane a transform
 * with its request allocated once.  A batch puts one frame on each lane,
 * submits them all, and waits once for the ones an asynchronous engine
 * queued.  Lanes remember which key they hold, and a frame goes to the
 * lane that already holds its key if there is one, else to the lane used
 * least recently: a member that sends again while its key is still on a
 * lane costs no setkey, whatever position its frame has in the batch.
 */
#include <crypto/aead.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/grpsec.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

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

struct lane {
	struct crypto_aead *tfm;
	struct aead_request *req;
	struct scatterlist sg;
	u64 key_id;
	u64 last_used;		/* batch number; 0 = never */
	struct grpsec_verify *v;
	struct batch_wait *wait;
};

struct batch_wait {
	atomic_t pending;
	struct completion done;
};

struct grpsec_crypto {
	u64 batches;
	struct lane lanes[GRPSEC_SUITE_MAX + 1][GRPSEC_CRYPTO_LANES];
};

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

static void lane_free(struct lane *l)
{
	aead_request_free(l->req);
	crypto_free_aead(l->tfm);
	l->req = NULL;
	l->tfm = NULL;
}

static int lane_init(struct lane *l, u8 suite)
{
	l->tfm = tfm_alloc(suite);
	if (IS_ERR(l->tfm)) {
		int err = PTR_ERR(l->tfm);

		l->tfm = NULL;
		return err;
	}
	l->req = aead_request_alloc(l->tfm, GFP_KERNEL);
	if (!l->req) {
		crypto_free_aead(l->tfm);
		l->tfm = NULL;
		return -ENOMEM;
	}
	l->key_id = 0;
	return 0;
}

struct grpsec_crypto *grpsec_crypto_create(void)
{
	struct grpsec_crypto *c = kzalloc(sizeof(*c), GFP_KERNEL);

	return c ?: ERR_PTR(-ENOMEM);
}

void grpsec_crypto_destroy(struct grpsec_crypto *c)
{
	int s, i;

	if (!c)
		return;
	for (s = 0; s <= GRPSEC_SUITE_MAX; s++)
		for (i = 0; i < GRPSEC_CRYPTO_LANES; i++)
			if (c->lanes[s][i].tfm)
				lane_free(&c->lanes[s][i]);
	kfree(c);
}

/**
 * grpsec_crypto_forget - key every lane with zeros
 * @c: the lanes
 *
 * A lane keeps its transform keyed between frames, so without this the
 * key schedule of a deleted member or of a replaced key would stay in
 * memory until the lane is reused.  The next frame of each lane pays a
 * setkey.
 */
void grpsec_crypto_forget(struct grpsec_crypto *c)
{
	static const u8 zero[GRPSEC_KEY_MAX];
	struct lane *l;
	int s, i;

	for (s = 0; s <= GRPSEC_SUITE_MAX; s++)
		for (i = 0; i < GRPSEC_CRYPTO_LANES; i++) {
			l = &c->lanes[s][i];
			if (!l->tfm || !l->key_id)
				continue;
			crypto_aead_setkey(l->tfm, zero, suite_keylen[s]);
			l->key_id = 0;
		}
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

/*
 * The lane for a frame under @key_id: one not yet taken in this batch,
 * holding that key if one does, else the least recently used.  Setkey
 * costs two AES key expansions and an AES block for the GHASH subkey,
 * about as much as checking a short frame's tag, so it is worth a scan.
 */
static struct lane *lane_pick(struct grpsec_crypto *c, u8 suite, u64 key_id)
{
	struct lane *lanes = c->lanes[suite], *lru = NULL;
	unsigned int i;

	for (i = 0; i < GRPSEC_CRYPTO_LANES; i++) {
		struct lane *l = &lanes[i];

		if (l->last_used == c->batches)
			continue;
		if (l->key_id == key_id)
			return l;
		if (!lru || l->last_used < lru->last_used)
			lru = l;
	}
	return lru;
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
		struct lane *l = lane_pick(c, v[i].suite, v[i].key_id);
		int ret;

		/* At most one frame per lane: n never exceeds the lanes. */
		l->last_used = c->batches;

		if (!l->tfm) {
			ret = lane_init(l, v[i].suite);
			if (ret) {
				v[i].result = ret;
				continue;
			}
		}
		if (l->key_id != v[i].key_id) {
			ret = crypto_aead_setkey(l->tfm, v[i].key,
						 suite_keylen[v[i].suite]);
			if (ret) {
				l->key_id = 0;
				v[i].result = ret;
				continue;
			}
			l->key_id = v[i].key_id;
		}

		l->v = &v[i];
		l->wait = &wait;
		sg_init_one(&l->sg, v[i].data, v[i].auth_len + GRPSEC_TAG_LEN);
		aead_request_set_callback(l->req, CRYPTO_TFM_REQ_MAY_BACKLOG,
					  verify_done, l);
		aead_request_set_ad(l->req, v[i].auth_len);
		aead_request_set_crypt(l->req, &l->sg, &l->sg, GRPSEC_TAG_LEN,
				       v[i].nonce);
		atomic_inc(&wait.pending);
		ret = crypto_aead_decrypt(l->req);
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
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], aad, aad_len);
	sg_set_buf(&sg[1], data, len + (seal ? GRPSEC_TAG_LEN : 0));
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
