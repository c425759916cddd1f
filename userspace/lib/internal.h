/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* Internal helpers of libgrpsec; not installed, not part of the API. */
#ifndef GRPSEC_INTERNAL_H
#define GRPSEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grpsec.h"

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, (uint32_t)v);
}

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* Wipe memory in a way the compiler cannot drop (OPENSSL_cleanse wrapper). */
void grpsec_wipe(void *p, size_t len);

/*
 * aead.c: an AEAD with its key loaded once; each call only sets the nonce.
 * One direction per object, chosen at init.
 */
struct grpsec_aead {
	void *ctx;			/* EVP_CIPHER_CTX */
	unsigned int suite;
	bool encrypt;
};

int grpsec_aead_init(struct grpsec_aead *a, unsigned int suite, const uint8_t *key,
		     bool encrypt);
void grpsec_aead_uninit(struct grpsec_aead *a);
/* Load another key of the same suite into an initialised object. */
int grpsec_aead_set_key(struct grpsec_aead *a, const uint8_t *key);
/* Seal @pt (@len bytes) into @ct and @tag. @pt may be NULL when @len is 0. */
int grpsec_aead_seal(struct grpsec_aead *a, const uint8_t nonce[GRPSEC_NONCE_LEN],
		     const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t len,
		     uint8_t *ct, uint8_t tag[GRPSEC_TAG_LEN]);
/* Open; -EBADMSG when the tag does not verify (then @pt holds garbage). */
int grpsec_aead_open(struct grpsec_aead *a, const uint8_t nonce[GRPSEC_NONCE_LEN],
		     const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len,
		     const uint8_t tag[GRPSEC_TAG_LEN], uint8_t *pt);
/*
 * A tag over an empty plaintext whose AAD comes in pieces: start, add each
 * piece, finish.  Sealing, finish writes @tag; opening, it checks @tag and
 * returns -EBADMSG when it does not verify.
 */
int grpsec_aead_mac_start(struct grpsec_aead *a, const uint8_t nonce[GRPSEC_NONCE_LEN]);
int grpsec_aead_mac_add(struct grpsec_aead *a, const uint8_t *aad, size_t len);
int grpsec_aead_mac_finish(struct grpsec_aead *a, uint8_t tag[GRPSEC_TAG_LEN]);
/*
 * gateway.c: the batch tag (frames.rst, "Batch") of @buf, the @len bytes
 * of a batch before its tag, whose structure is known to be sound: the
 * AAD is the batch header, then each entry's first 44 bytes (entry
 * header, inner nonce, inner tag) and, for an anonymous entry (mode 0)
 * only, its ciphertext.  With @a sealing, writes @tag; opening, checks it.
 * Returns 0, -EPROTO (entries that do not fill @len), -EBADMSG, -EIO.
 */
int grpsec_batch_tag(struct grpsec_aead *a, uint64_t seq, const uint8_t *buf, size_t len,
		     uint8_t tag[GRPSEC_TAG_LEN]);
/*
 * The bytes of an uplink that its outer tag covers, from the version byte
 * (frames.rst, "Outer tag"): header, inner nonce and inner tag in an
 * identified group, the ciphertext as well in an anonymous one.
 */
static inline size_t grpsec_outer_auth_len(unsigned int mode, size_t payload_len)
{
	return GRPSEC_UPLINK_HEAD_LEN + (mode == GRPSEC_MODE_IDENTIFIED ? 0 : payload_len);
}
/* One-shot variants that load the key for one call. */
int grpsec_aead_seal_once(unsigned int suite, const uint8_t *key,
			  const uint8_t nonce[GRPSEC_NONCE_LEN], const uint8_t *aad,
			  size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct,
			  uint8_t tag[GRPSEC_TAG_LEN]);
int grpsec_aead_open_once(unsigned int suite, const uint8_t *key,
			  const uint8_t nonce[GRPSEC_NONCE_LEN], const uint8_t *aad,
			  size_t aad_len, const uint8_t *ct, size_t len,
			  const uint8_t tag[GRPSEC_TAG_LEN], uint8_t *pt);

/* replay.c: RFC 6479 sliding window over 64-bit sequences. */
#define GRPSEC_WINDOW_WORDS	32	/* 2048 bits of bitmap for a 960 window */
struct grpsec_window {
	uint64_t top;			/* highest accepted sequence, 0 = none */
	uint64_t bitmap[GRPSEC_WINDOW_WORDS];
};

/* True if @seq is neither too old nor already seen; changes nothing. */
bool grpsec_window_check(const struct grpsec_window *w, uint64_t seq);
/* Record @seq (which must have passed grpsec_window_check()). */
void grpsec_window_update(struct grpsec_window *w, uint64_t seq);
/* The saved form of a window: be64 top || 1024-bit map (frames.rst). */
#define GRPSEC_WINDOW_SAVED_BITS	1024
#define GRPSEC_WINDOW_SAVED_LEN		(8 + GRPSEC_WINDOW_SAVED_BITS / 8)
void grpsec_window_save(const struct grpsec_window *w, uint8_t out[GRPSEC_WINDOW_SAVED_LEN]);
/* 0, or -EPROTO for a map that no window can have; @w is replaced. */
int grpsec_window_load(struct grpsec_window *w, const uint8_t in[GRPSEC_WINDOW_SAVED_LEN]);

/* replay.c: bounded set of 96-bit nonces with a keyed hash. */
struct grpsec_nonce_cache {
	uint8_t (*slots)[GRPSEC_NONCE_LEN];
	size_t nslots;			/* power of two, 0 before first insert */
	size_t used;
	size_t max;			/* bound on the number of nonces */
	bool has_zero;			/* the all-zero nonce (marks empty slots) */
	uint64_t k0, k1;		/* SipHash key */
};

int grpsec_nonce_cache_init(struct grpsec_nonce_cache *c, size_t max);
void grpsec_nonce_cache_uninit(struct grpsec_nonce_cache *c);
bool grpsec_nonce_cache_contains(const struct grpsec_nonce_cache *c,
				 const uint8_t nonce[GRPSEC_NONCE_LEN]);
/* 0, -ENOSPC at the bound, -ENOMEM. The nonce must not be present. */
int grpsec_nonce_cache_insert(struct grpsec_nonce_cache *c,
			      const uint8_t nonce[GRPSEC_NONCE_LEN]);

/* How many nonces @c holds, and all of them, unordered, into @out. */
size_t grpsec_nonce_cache_count(const struct grpsec_nonce_cache *c);
size_t grpsec_nonce_cache_dump(const struct grpsec_nonce_cache *c, uint8_t *out);

uint64_t grpsec_siphash(uint64_t k0, uint64_t k1, const uint8_t *in, size_t len);

/* downlink.c: signatures and the AADs of commands and rekeys. */
#define GRPSEC_COMMAND_LABEL	"grpsec command v1"
#define GRPSEC_REKEY_LABEL	"grpsec rekey v1"
#define GRPSEC_COMMAND_AAD_LEN	(GRPSEC_INNER_AAD_LEN + 8)
#define GRPSEC_REKEY_AAD_LEN	(sizeof(GRPSEC_REKEY_LABEL) - 1 + 20)

struct grpsec_verifier;
/* 0, -EBADMSG (bad signature), -EMSGSIZE, -ENOMEM, -EIO. */
int grpsec_sig_verify(const struct grpsec_verifier *v, const uint8_t *prefix,
		      size_t prefix_len, const uint8_t *body, size_t len,
		      const uint8_t sig[GRPSEC_SIG_LEN]);
/* Write the signature prefixes; return their length (at most 32). */
size_t grpsec_command_sig_prefix(uint8_t *p, uint32_t group, uint32_t recipient);
size_t grpsec_rekey_prefix(uint8_t *p, uint32_t group, uint32_t member);
void grpsec_command_aad(uint8_t aad[GRPSEC_COMMAND_AAD_LEN], unsigned int suite,
			unsigned int mode, uint32_t group, uint32_t recipient, uint32_t epoch,
			uint64_t seq);
void grpsec_rekey_aad(uint8_t aad[GRPSEC_REKEY_AAD_LEN], uint32_t group, uint32_t member,
		      uint32_t epoch, uint64_t seq);

/*
 * state.c: write @len bytes to @path durably and atomically: @path.tmp
 * (mode 0600), fsync, rename over @path, fsync of the directory.
 * Returns 0 or -errno (then @path is as it was).
 */
int grpsec_file_write_atomic(const char *path, const void *text, size_t len);

#endif /* GRPSEC_INTERNAL_H */
