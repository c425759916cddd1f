/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_SEQ_H
#define _GRPSEC_SEQ_H

#include <linux/types.h>

/*
 * A counter whose values go into nonces, or must otherwise never repeat:
 * the batch sequence under K_up, the gateway sequence of type 4 and 5
 * frames, a group's SEND command sequence.  The caller holds whatever
 * lock protects it.  Documentation/keys.rst, "Sequence counters".
 */
struct grpsec_seq {
	u64 next;	/* the next value, before the clock is considered */
	u64 start;	/* CLOCK_REALTIME when the counter was made */
	bool floored;	/* a floor was set: the clock is no longer read */
};

void grpsec_seq_init(struct grpsec_seq *s);
u64 grpsec_seq_peek(const struct grpsec_seq *s);
bool grpsec_seq_take(struct grpsec_seq *s, u64 *val);
void grpsec_seq_set_floor(struct grpsec_seq *s, u64 floor);

#endif /* _GRPSEC_SEQ_H */
