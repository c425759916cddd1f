// SPDX-License-Identifier: GPL-2.0
/*
 * Nonce counters reserved ahead in the store (counter.h).
 */
#include <inttypes.h>
#include <stdio.h>

#include "counter.h"

void counter_init(struct counter *c, const char *kind, uint32_t id)
{
	snprintf(c->name, sizeof(c->name), "%s/%" PRIu32, kind, id);
	c->next = 1;
	c->last = 0;
}

int counter_take(struct store *st, struct counter *c, uint64_t *v)
{
	uint64_t first;
	int rc;

	if (c->next > c->last || c->last == 0) {
		rc = store_reserve(st, c->name, COUNTER_BLOCK, &first);
		if (rc < 0)
			return rc;
		c->next = first;
		c->last = first + COUNTER_BLOCK - 1;
	}
	*v = c->next++;
	return 0;
}
