// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Replay state of the backend: the RFC 6479 sliding window for identified
 * members and the bounded nonce set for anonymous groups.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * Sliding window, as in RFC 6479: the bitmap holds twice the window so
 * that advancing clears whole words and never a bit still inside the
 * window.  A sequence is acceptable if it is above the highest seen, or at
 * most GRPSEC_REPLAY_WINDOW below it and not yet seen: the kernel's rule
 * (kernel/replay.c, frames.rst "Replay windows"), so that the backend
 * refuses exactly what a gateway would.
 */
#define WORD_BITS 64

_Static_assert(GRPSEC_WINDOW_WORDS * WORD_BITS >= 2 * GRPSEC_REPLAY_WINDOW,
	       "window bitmap too small");

bool grpsec_window_check(const struct grpsec_window *w, uint64_t seq)
{
	uint64_t word;

	if (!seq)
		return false;
	if (seq > w->top)
		return true;
	if (w->top - seq > GRPSEC_REPLAY_WINDOW)
		return false;
	word = w->bitmap[(seq / WORD_BITS) % GRPSEC_WINDOW_WORDS];
	return !(word & (1ULL << (seq % WORD_BITS)));
}

void grpsec_window_update(struct grpsec_window *w, uint64_t seq)
{
	if (seq > w->top) {
		uint64_t cur = w->top / WORD_BITS, diff = seq / WORD_BITS - cur;

		if (diff > GRPSEC_WINDOW_WORDS)
			diff = GRPSEC_WINDOW_WORDS;
		for (uint64_t i = 1; i <= diff; i++)
			w->bitmap[(cur + i) % GRPSEC_WINDOW_WORDS] = 0;
		w->top = seq;
	}
	w->bitmap[(seq / WORD_BITS) % GRPSEC_WINDOW_WORDS] |= 1ULL << (seq % WORD_BITS);
}

/* SipHash-2-4: a keyed hash, so senders cannot aim nonces at one bucket. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND					\
	do {						\
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0;	\
		v0 = ROTL(v0, 32);			\
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;	\
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;	\
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2;	\
		v2 = ROTL(v2, 32);			\
	} while (0)

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t grpsec_siphash(uint64_t k0, uint64_t k1, const uint8_t *in, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)len << 56, m;
	size_t left = len & 7;
	const uint8_t *end = in + len - left;

	for (; in != end; in += 8) {
		m = get_le64(in);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < left; i++)
		b |= (uint64_t)in[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * Nonce cache: open addressing with linear probing, at most half full, grown
 * by doubling up to what max nonces need.  The all-zero nonce marks an
 * empty slot and is remembered in a flag of its own.
 */
#define CACHE_MIN_SLOTS 1024

static const uint8_t zero_nonce[GRPSEC_NONCE_LEN];

int grpsec_nonce_cache_init(struct grpsec_nonce_cache *c, size_t max)
{
	uint8_t key[16];
	int err;

	memset(c, 0, sizeof(*c));
	c->max = max;
	err = grpsec_random(key, sizeof(key));
	if (err)
		return err;
	c->k0 = get_le64(key);
	c->k1 = get_le64(key + 8);
	grpsec_wipe(key, sizeof(key));
	return 0;
}

void grpsec_nonce_cache_uninit(struct grpsec_nonce_cache *c)
{
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

static size_t slot_of(const struct grpsec_nonce_cache *c, const uint8_t *nonce)
{
	return (size_t)grpsec_siphash(c->k0, c->k1, nonce, GRPSEC_NONCE_LEN) & (c->nslots - 1);
}

bool grpsec_nonce_cache_contains(const struct grpsec_nonce_cache *c,
				 const uint8_t nonce[GRPSEC_NONCE_LEN])
{
	size_t i;

	if (!memcmp(nonce, zero_nonce, GRPSEC_NONCE_LEN))
		return c->has_zero;
	if (!c->nslots)
		return false;
	for (i = slot_of(c, nonce); memcmp(c->slots[i], zero_nonce, GRPSEC_NONCE_LEN);
	     i = (i + 1) & (c->nslots - 1)) {
		if (!memcmp(c->slots[i], nonce, GRPSEC_NONCE_LEN))
			return true;
	}
	return false;
}

static void place(struct grpsec_nonce_cache *c, const uint8_t *nonce)
{
	size_t i = slot_of(c, nonce);

	while (memcmp(c->slots[i], zero_nonce, GRPSEC_NONCE_LEN))
		i = (i + 1) & (c->nslots - 1);
	memcpy(c->slots[i], nonce, GRPSEC_NONCE_LEN);
}

static int grow(struct grpsec_nonce_cache *c)
{
	size_t n = c->nslots ? c->nslots * 2 : CACHE_MIN_SLOTS;
	uint8_t (*old)[GRPSEC_NONCE_LEN] = c->slots;
	size_t old_n = c->nslots;

	if (n > SIZE_MAX / GRPSEC_NONCE_LEN)
		return -ENOMEM;
	c->slots = calloc(n, GRPSEC_NONCE_LEN);
	if (!c->slots) {
		c->slots = old;
		return -ENOMEM;
	}
	c->nslots = n;
	for (size_t i = 0; i < old_n; i++) {
		if (memcmp(old[i], zero_nonce, GRPSEC_NONCE_LEN))
			place(c, old[i]);
	}
	free(old);
	return 0;
}

int grpsec_nonce_cache_insert(struct grpsec_nonce_cache *c,
			      const uint8_t nonce[GRPSEC_NONCE_LEN])
{
	int err;

	if (c->used + c->has_zero >= c->max)
		return -ENOSPC;
	if (!memcmp(nonce, zero_nonce, GRPSEC_NONCE_LEN)) {
		c->has_zero = true;
		return 0;
	}
	if ((c->used + 1) * 2 > c->nslots) {
		err = grow(c);
		if (err)
			return err;
	}
	place(c, nonce);
	c->used++;
	return 0;
}

/*
 * Saved form of a window (frames.rst, "Saved backend state"): be64 top,
 * then bit i of the 1024-bit map (byte i / 8, mask 0x80 >> i % 8) for
 * sequence top - i.  Only what the window still decides is kept: bits
 * beyond GRPSEC_REPLAY_WINDOW are written as 0 and ignored on reading.
 */
void grpsec_window_save(const struct grpsec_window *w, uint8_t out[GRPSEC_WINDOW_SAVED_LEN])
{
	uint8_t *map = out + 8;

	memset(out, 0, GRPSEC_WINDOW_SAVED_LEN);
	put_be64(out, w->top);
	for (uint64_t i = 0; i < GRPSEC_WINDOW_SAVED_BITS && i <= GRPSEC_REPLAY_WINDOW &&
	     i < w->top; i++) {
		if (!grpsec_window_check(w, w->top - i))
			map[i / 8] |= (uint8_t)(0x80 >> i % 8);
	}
}

int grpsec_window_load(struct grpsec_window *w, const uint8_t in[GRPSEC_WINDOW_SAVED_LEN])
{
	const uint8_t *map = in + 8;
	uint64_t top = get_be64(in);

	/* The newest sequence is seen by definition; nothing lies below 1. */
	if (!top != !(map[0] & 0x80))
		return -EPROTO;
	for (uint64_t i = top; i < GRPSEC_WINDOW_SAVED_BITS; i++) {
		if (map[i / 8] & (0x80 >> i % 8))
			return -EPROTO;
	}
	memset(w, 0, sizeof(*w));
	if (!top)
		return 0;
	grpsec_window_update(w, top);
	for (uint64_t i = 1; i < GRPSEC_WINDOW_SAVED_BITS && i <= GRPSEC_REPLAY_WINDOW; i++) {
		if (map[i / 8] & (0x80 >> i % 8))
			grpsec_window_update(w, top - i);
	}
	return 0;
}

size_t grpsec_nonce_cache_count(const struct grpsec_nonce_cache *c)
{
	return c->used + c->has_zero;
}

size_t grpsec_nonce_cache_dump(const struct grpsec_nonce_cache *c, uint8_t *out)
{
	size_t n = 0;

	if (c->has_zero)
		memset(out + n++ * GRPSEC_NONCE_LEN, 0, GRPSEC_NONCE_LEN);
	for (size_t i = 0; i < c->nslots; i++) {
		if (memcmp(c->slots[i], zero_nonce, GRPSEC_NONCE_LEN))
			memcpy(out + n++ * GRPSEC_NONCE_LEN, c->slots[i], GRPSEC_NONCE_LEN);
	}
	return n;
}
