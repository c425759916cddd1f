/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_REPLAY_H
#define _GRPSEC_REPLAY_H

#include "compat.h"

/*
 * RFC 6479 style sliding window: GRPSEC_REPLAY_BITS of history kept in
 * words, one word of which is always being recycled, so sequences up to
 * GRPSEC_REPLAY_WINDOW behind the highest one seen are still accepted once.
 */
#define GRPSEC_REPLAY_BITS	1024
#define GRPSEC_REPLAY_WORDS	(GRPSEC_REPLAY_BITS / 64)
#define GRPSEC_REPLAY_WINDOW	(GRPSEC_REPLAY_BITS - 64)

struct grpsec_replay {
	u64 top;
	u64 bitmap[GRPSEC_REPLAY_WORDS];
};

void grpsec_replay_init(struct grpsec_replay *r);
void grpsec_replay_init_floor(struct grpsec_replay *r, u64 floor);
void grpsec_replay_raise(struct grpsec_replay *r, u64 floor);
bool grpsec_replay_seen(const struct grpsec_replay *r, u64 seq);
bool grpsec_replay_accept(struct grpsec_replay *r, u64 seq);

#endif /* _GRPSEC_REPLAY_H */
