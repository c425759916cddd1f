// SPDX-License-Identifier: GPL-2.0
/*
 * Sequence counters that must never repeat a value, across restarts too.
 *
 * A counter nobody gave a floor starts from CLOCK_REALTIME when it is
 * made, then counts up by one: a gateway restarted without saved state
 * still moves on, as long as its clock does not go back, and consecutive
 * values stay consecutive, so a receiver that sees two frames reordered
 * finds both inside its replay window (reading the clock for every value
 * would put nanoseconds between them, far outside any window).
 *
 * Once userspace sets a floor (a value it saved, or the start of a range
 * a daemon reserved in its database), the clock is no longer read: a
 * clock stepped back cannot take the counter below the floor, and one
 * stepped forward cannot carry it past the reserved range.
 * A counter never wraps: it stops one short of U64_MAX.
 */
#include <linux/minmax.h>
#include <linux/ktime.h>

#include "seq.h"

void grpsec_seq_init(struct grpsec_seq *s)
{
	s->next = 1;
	s->start = ktime_get_real_ns();
	s->floored = false;
}

/* The value grpsec_seq_take() returns next, with a floor or without. */
u64 grpsec_seq_peek(const struct grpsec_seq *s)
{
	if (s->floored)
		return s->next;
	return max(s->next, s->start);
}

/**
 * grpsec_seq_take - use the next value
 * @s: the counter
 * @val: out, the value, never returned before by this counter
 *
 * Return: false when the counter is used up (it never wraps).
 */
bool grpsec_seq_take(struct grpsec_seq *s, u64 *val)
{
	u64 v = grpsec_seq_peek(s);

	if (v == U64_MAX)
		return false;
	*val = v;
	s->next = v + 1;
	return true;
}

/*
 * The next value is at least @floor from now on, and the clock is no
 * longer read.  A floor never lowers the counter: values it handed out
 * before stay used.
 */
void grpsec_seq_set_floor(struct grpsec_seq *s, u64 floor)
{
	s->next = max(s->next, floor);
	s->floored = true;
}
