// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * AEAD through OpenSSL EVP: the only file that touches EVP_CIPHER.  A key is
 * loaded once per object and each message only sets its nonce, which saves
 * the key schedule and the provider lookup on the hot path.
 */
#include <errno.h>
#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"

void grpsec_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

static const char *cipher_name(unsigned int suite)
{
	switch (suite) {
	case GRPSEC_SUITE_AES_128_GCM:
		return "AES-128-GCM";
	case GRPSEC_SUITE_AES_256_GCM:
		return "AES-256-GCM";
	case GRPSEC_SUITE_CHACHA20_POLY1305:
		return "ChaCha20-Poly1305";
	default:
		return NULL;
	}
}

int grpsec_aead_init(struct grpsec_aead *a, unsigned int suite, const uint8_t *key,
		     bool encrypt)
{
	const char *name = cipher_name(suite);
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *ctx;
	int ok;

	a->ctx = NULL;
	if (!name || !key)
		return -EINVAL;
	cipher = EVP_CIPHER_fetch(NULL, name, NULL);
	if (!cipher)
		return -EIO;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx) {
		EVP_CIPHER_free(cipher);
		return -ENOMEM;
	}
	/* The context keeps its own reference to the cipher. */
	ok = EVP_CipherInit_ex2(ctx, cipher, key, NULL, encrypt, NULL) == 1 &&
	     EVP_CIPHER_CTX_get_iv_length(ctx) == GRPSEC_NONCE_LEN;
	EVP_CIPHER_free(cipher);
	if (!ok) {
		EVP_CIPHER_CTX_free(ctx);
		return -EIO;
	}
	a->ctx = ctx;
	a->suite = suite;
	a->encrypt = encrypt;
	return 0;
}

void grpsec_aead_uninit(struct grpsec_aead *a)
{
	/* EVP_CIPHER_CTX_free() cleanses the key schedule. */
	if (a && a->ctx) {
		EVP_CIPHER_CTX_free(a->ctx);
		a->ctx = NULL;
	}
}

int grpsec_aead_set_key(struct grpsec_aead *a, const uint8_t *key)
{
	if (!a->ctx || !key)
		return -EINVAL;
	if (EVP_CipherInit_ex2(a->ctx, NULL, key, NULL, a->encrypt, NULL) != 1)
		return -EIO;
	return 0;
}

int grpsec_aead_seal(struct grpsec_aead *a, const uint8_t nonce[GRPSEC_NONCE_LEN],
		     const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t len,
		     uint8_t *ct, uint8_t tag[GRPSEC_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = a->ctx;
	uint8_t scratch[GRPSEC_TAG_LEN];
	int outl;

	if (!ctx || !a->encrypt || aad_len > INT_MAX || len > INT_MAX)
		return -EINVAL;
	if (EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, 1, NULL) != 1)
		return -EIO;
	if (aad_len && EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
		return -EIO;
	if (len && EVP_EncryptUpdate(ctx, ct, &outl, pt, (int)len) != 1)
		return -EIO;
	if (EVP_EncryptFinal_ex(ctx, ct ? ct + len : scratch, &outl) != 1)
		return -EIO;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, GRPSEC_TAG_LEN, tag) != 1)
		return -EIO;
	return 0;
}

int grpsec_aead_open(struct grpsec_aead *a, const uint8_t nonce[GRPSEC_NONCE_LEN],
		     const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len,
		     const uint8_t tag[GRPSEC_TAG_LEN], uint8_t *pt)
{
	EVP_CIPHER_CTX *ctx = a->ctx;
	uint8_t t[GRPSEC_TAG_LEN];
	int outl;

	if (!ctx || a->encrypt || aad_len > INT_MAX || len > INT_MAX)
		return -EINVAL;
	if (EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, 0, NULL) != 1)
		return -EIO;
	if (aad_len && EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
		return -EIO;
	if (len && EVP_DecryptUpdate(ctx, pt, &outl, ct, (int)len) != 1)
		return -EIO;
	/* The ctrl takes a non-const pointer. */
	for (size_t i = 0; i < GRPSEC_TAG_LEN; i++)
		t[i] = tag[i];
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, GRPSEC_TAG_LEN, t) != 1)
		return -EIO;
	if (EVP_DecryptFinal_ex(ctx, pt ? pt + len : t, &outl) != 1)
		return -EBADMSG;
	return 0;
}

int grpsec_aead_mac_start(struct grpsec_aead *a, const uint8_t nonce[GRPSEC_NONCE_LEN])
{
	if (!a->ctx)
		return -EINVAL;
	if (EVP_CipherInit_ex2(a->ctx, NULL, NULL, nonce, a->encrypt, NULL) != 1)
		return -EIO;
	return 0;
}

int grpsec_aead_mac_add(struct grpsec_aead *a, const uint8_t *aad, size_t len)
{
	int outl;

	if (!a->ctx || len > INT_MAX)
		return -EINVAL;
	if (len && EVP_CipherUpdate(a->ctx, NULL, &outl, aad, (int)len) != 1)
		return -EIO;
	return 0;
}

int grpsec_aead_mac_finish(struct grpsec_aead *a, uint8_t tag[GRPSEC_TAG_LEN])
{
	uint8_t scratch[GRPSEC_TAG_LEN];
	int outl;

	if (!a->ctx)
		return -EINVAL;
	if (a->encrypt) {
		if (EVP_EncryptFinal_ex(a->ctx, scratch, &outl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, GRPSEC_TAG_LEN, tag) != 1)
			return -EIO;
		return 0;
	}
	if (EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, GRPSEC_TAG_LEN, tag) != 1)
		return -EIO;
	if (EVP_DecryptFinal_ex(a->ctx, scratch, &outl) != 1)
		return -EBADMSG;
	return 0;
}

int grpsec_aead_seal_once(unsigned int suite, const uint8_t *key,
			  const uint8_t nonce[GRPSEC_NONCE_LEN], const uint8_t *aad,
			  size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct,
			  uint8_t tag[GRPSEC_TAG_LEN])
{
	struct grpsec_aead a;
	int err;

	err = grpsec_aead_init(&a, suite, key, true);
	if (err)
		return err;
	err = grpsec_aead_seal(&a, nonce, aad, aad_len, pt, len, ct, tag);
	grpsec_aead_uninit(&a);
	return err;
}

int grpsec_aead_open_once(unsigned int suite, const uint8_t *key,
			  const uint8_t nonce[GRPSEC_NONCE_LEN], const uint8_t *aad,
			  size_t aad_len, const uint8_t *ct, size_t len,
			  const uint8_t tag[GRPSEC_TAG_LEN], uint8_t *pt)
{
	struct grpsec_aead a;
	int err;

	err = grpsec_aead_init(&a, suite, key, false);
	if (err)
		return err;
	err = grpsec_aead_open(&a, nonce, aad, aad_len, ct, len, tag, pt);
	grpsec_aead_uninit(&a);
	return err;
}
