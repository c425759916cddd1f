// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Key derivation: HKDF-SHA256 (RFC 5869) through OpenSSL's EVP_KDF "HKDF",
 * with the salt and info layouts of Documentation/keys.rst.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "internal.h"

#define SALT		"grpsec-v1"
#define LABEL_MEMBER	"grpsec member key"
#define LABEL_E2E	"grpsec e2e key"
#define LABEL_UPSTREAM	"grpsec upstream key"
#define LABEL_WRAP	"grpsec wrap key"
#define INFO_MAX	64

static int hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *info,
		       size_t info_len, uint8_t *out, size_t out_len)
{
	OSSL_PARAM params[5];
	EVP_KDF_CTX *kctx;
	EVP_KDF *kdf;
	int ok;

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (!kdf)
		return -EIO;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)SALT,
						      sizeof(SALT) - 1);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
						      info_len);
	params[4] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, out, out_len, params) == 1;
	EVP_KDF_CTX_free(kctx);
	return ok ? 0 : -EIO;
}

/* info = label || be32 group || be32 epoch || be32 member || u8 suite */
static int derive_member(const char *label, unsigned int suite, const uint8_t *secret,
			 uint32_t group, uint32_t epoch, uint32_t member,
			 uint8_t *out, size_t out_len)
{
	size_t llen = strlen(label);
	uint8_t info[INFO_MAX];

	if (!secret || !out || !group || !member || !grpsec_suite_key_len(suite) ||
	    out_len != grpsec_suite_key_len(suite))
		return -EINVAL;
	memcpy(info, label, llen);
	put_be32(info + llen, group);
	put_be32(info + llen + 4, epoch);
	put_be32(info + llen + 8, member);
	info[llen + 12] = (uint8_t)suite;
	return hkdf_sha256(secret, GRPSEC_SECRET_LEN, info, llen + 13, out, out_len);
}

int grpsec_kdf_member_key(unsigned int suite, const uint8_t *s_auth,
			  uint32_t group, uint32_t epoch, uint32_t member,
			  uint8_t *out, size_t out_len)
{
	return derive_member(LABEL_MEMBER, suite, s_auth, group, epoch, member,
			     out, out_len);
}

int grpsec_kdf_e2e_key(unsigned int suite, const uint8_t *s_e2e,
		       uint32_t group, uint32_t epoch, uint32_t member,
		       uint8_t *out, size_t out_len)
{
	return derive_member(LABEL_E2E, suite, s_e2e, group, epoch, member,
			     out, out_len);
}

int grpsec_kdf_upstream_key(unsigned int suite, const uint8_t *secret,
			    uint32_t gateway, uint8_t *out, size_t out_len)
{
	const size_t llen = sizeof(LABEL_UPSTREAM) - 1;
	uint8_t info[INFO_MAX];

	if (!secret || !out || !grpsec_suite_key_len(suite) ||
	    out_len != grpsec_suite_key_len(suite))
		return -EINVAL;
	memcpy(info, LABEL_UPSTREAM, llen);
	put_be32(info + llen, gateway);
	info[llen + 4] = (uint8_t)suite;
	return hkdf_sha256(secret, GRPSEC_SECRET_LEN, info, llen + 5, out, out_len);
}

int grpsec_random(uint8_t *out, size_t len)
{
	if (!out || len > INT32_MAX)
		return -EINVAL;
	return RAND_bytes(out, (int)len) == 1 ? 0 : -EIO;
}

int grpsec_kdf_wrap_key(const uint8_t *secret, uint32_t member,
			uint8_t out[GRPSEC_WRAP_KEY_LEN])
{
	size_t llen = sizeof(LABEL_WRAP) - 1;
	uint8_t info[INFO_MAX];

	if (!secret || !out || !member)
		return -EINVAL;
	memcpy(info, LABEL_WRAP, llen);
	put_be32(info + llen, member);
	return hkdf_sha256(secret, GRPSEC_SECRET_LEN, info, llen + 4, out,
			   GRPSEC_WRAP_KEY_LEN);
}
