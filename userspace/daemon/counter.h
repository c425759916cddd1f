/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Nonce counters reserved ahead in the store (counter.c): a counter hands
 * out values from a range it reserved with store_reserve() (write
 * "reserved up to s + K", commit, then use s .. s + K), and reserves the
 * next range before it uses a value beyond the last one.  A restart, even
 * after kill -9, starts above every range reserved before: it skips at
 * most one range and never hands out a value twice.  Never the clock.
 *
 * Names (store "counters" table): "downlink/GATEWAY" (downlink sequence
 * under that gateway's K_up), "command/GROUP" (signed command sequence),
 * "rekey/GROUP" (rekey sequence of the group's members).
 */
#ifndef GRPSECD_COUNTER_H
#define GRPSECD_COUNTER_H

#include <stdint.h>

#include "store.h"

#define COUNTER_BLOCK	1024	/* values reserved at a time */

struct counter {
	char name[STORE_NAME_MAX + 1];
	uint64_t next, last;	/* next value to hand out; last one reserved (0: none) */
};

/* counter_init() - a counter named "@kind/@id", nothing reserved yet. */
void counter_init(struct counter *c, const char *kind, uint32_t id);

/*
 * counter_take() - the next value, reserving a new range first when the
 * current one is used up.  Returns 0, or the store's error (nothing is
 * handed out then).
 */
int counter_take(struct store *st, struct counter *c, uint64_t *v);

#endif
