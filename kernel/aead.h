/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_AEAD_H
#define _GRPSEC_AEAD_H

#include "wire.h"

/* Frames verified with one submission to the crypto API. */
#define GRPSEC_CRYPTO_LANES	16

struct grpsec_crypto;
struct grpsec_aead_key;

/* One outer-tag check: the tag follows the authenticated bytes. */
struct grpsec_verify {
	const u8 *key;
	u64 key_id;		/* same id, same key: setkey is skipped */
	u8 suite;
	u8 *data;
	u32 auth_len;		/* @data's bytes that the tag covers */
	u8 *tag;		/* the outer tag, after or apart from them */
	u8 nonce[GRPSEC_NONCE_LEN];
	int result;		/* 0, -EBADMSG for a bad tag, -errno */
};

unsigned int grpsec_suite_keylen(u8 suite);
u64 grpsec_key_id_next(void);

void grpsec_crypto_init(void);
unsigned int grpsec_tfm_cache_auto(u64 ram, unsigned int cpus);
struct grpsec_crypto *grpsec_crypto_create(void);
void grpsec_crypto_destroy(struct grpsec_crypto *c);
void grpsec_crypto_verify(struct grpsec_crypto *c, struct grpsec_verify *v,
			  unsigned int n);
void grpsec_crypto_forget(struct grpsec_crypto *c);

struct grpsec_aead_key *grpsec_aead_key_create(u8 suite, const u8 *key,
					       unsigned int len);
void grpsec_aead_key_destroy(struct grpsec_aead_key *k);
int grpsec_aead_key_seal_tag(struct grpsec_aead_key *k,
			     const u8 nonce[GRPSEC_NONCE_LEN], u8 *data,
			     u32 auth_len);
int grpsec_aead_key_open_tag(struct grpsec_aead_key *k,
			     const u8 nonce[GRPSEC_NONCE_LEN], u8 *data,
			     u32 auth_len);
int grpsec_aead_key_setkey(struct grpsec_aead_key *k, const u8 *key,
			   unsigned int len);
int grpsec_aead_key_seal(struct grpsec_aead_key *k,
			 const u8 nonce[GRPSEC_NONCE_LEN], const u8 *aad,
			 u32 aad_len, u8 *data, u32 len);
int grpsec_aead_key_open(struct grpsec_aead_key *k,
			 const u8 nonce[GRPSEC_NONCE_LEN], const u8 *aad,
			 u32 aad_len, u8 *data, u32 len);

#endif /* _GRPSEC_AEAD_H */
