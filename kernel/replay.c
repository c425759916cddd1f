// SPDX-License-Identifier: GPL-2.0
/*
 * Replay window (RFC 6479), the same algorithm as WireGuard's counter:
 * the bitmap is a ring of 64-bit words; moving the top forward clears the
 * words it passes over instead of shifting the whole map.  Pure logic: the
 * caller holds whatever lock protects the window.
 */
#include "replay.h"

void grpsec_replay_init(struct grpsec_replay *r)
{
	memset(r, 0, sizeof(*r));
}

/**
 * grpsec_replay_init_floor - a window that refuses everything up to @floor
 * @r: the window
 * @floor: the highest sequence to refuse (0: none, as grpsec_replay_init())
 *
 * As if every sequence up to @floor had been seen: the words behind the
 * top are full, the top's word holds the bits up to @floor only (the
 * algorithm expects the bits above the top in its word to be clear).
 */
void grpsec_replay_init_floor(struct grpsec_replay *r, u64 floor)
{
	memset(r->bitmap, 0xff, sizeof(r->bitmap));
	r->bitmap[(floor / 64) % GRPSEC_REPLAY_WORDS] =
		GENMASK_ULL(floor % 64, 0);
	r->top = floor;
}

/**
 * grpsec_replay_raise - refuse every sequence up to @floor from now on
 * @r: the window
 * @floor: the highest sequence to refuse
 *
 * A floor at or above the top starts the window there, as
 * grpsec_replay_init_floor() does; one below it marks the sequences of
 * the window up to it as seen (those behind the window are refused
 * already).
 */
void grpsec_replay_raise(struct grpsec_replay *r, u64 floor)
{
	u64 seq;

	if (floor >= r->top) {
		grpsec_replay_init_floor(r, floor);
		return;
	}
	seq = r->top > GRPSEC_REPLAY_WINDOW ? r->top - GRPSEC_REPLAY_WINDOW : 1;
	for (; seq <= floor; seq++)
		r->bitmap[(seq / 64) % GRPSEC_REPLAY_WORDS] |= 1ULL << (seq % 64);
}

static bool too_old(const struct grpsec_replay *r, u64 seq)
{
	return r->top > GRPSEC_REPLAY_WINDOW &&
	       seq < r->top - GRPSEC_REPLAY_WINDOW;
}

/**
 * grpsec_replay_seen - would @seq be refused?
 * @r: the window
 * @seq: sequence number, 1 or more
 *
 * A check without side effects, for dropping replays before spending
 * crypto on them.  Only grpsec_replay_accept() is authoritative.
 */
bool grpsec_replay_seen(const struct grpsec_replay *r, u64 seq)
{
	if (!seq || too_old(r, seq))
		return true;
	if (seq > r->top)
		return false;
	return r->bitmap[(seq / 64) % GRPSEC_REPLAY_WORDS] & (1ULL << (seq % 64));
}

/**
 * grpsec_replay_accept - record @seq if it is new
 * @r: the window
 * @seq: sequence number of an authenticated frame, 1 or more
 *
 * Return: true if @seq had not been seen and is inside the window (it is
 * now recorded), false for a replay or a frame too old to tell.
 */
bool grpsec_replay_accept(struct grpsec_replay *r, u64 seq)
{
	u64 index = seq / 64, bit = 1ULL << (seq % 64);
	u64 *word;

	if (!seq || too_old(r, seq))
		return false;

	if (seq > r->top) {
		u64 cur = r->top / 64, steps, i;

		steps = min_t(u64, index - cur, GRPSEC_REPLAY_WORDS);
		for (i = 1; i <= steps; i++)
			r->bitmap[(cur + i) % GRPSEC_REPLAY_WORDS] = 0;
		r->top = seq;
	}

	word = &r->bitmap[index % GRPSEC_REPLAY_WORDS];
	if (*word & bit)
		return false;
	*word |= bit;
	return true;
}
