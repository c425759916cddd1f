// SPDX-License-Identifier: GPL-2.0
#include <linux/string.h>

#include "stats.h"

/*
 * Readers sum every CPU's copy without a lock: on 64-bit machines each
 * counter is read whole, and a sum taken while traffic flows is a
 * snapshot anyway.
 */
void grpsec_stats_sum(struct grpsec_stats __percpu *s,
		      struct grpsec_stats *out)
{
	int cpu, i;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct grpsec_stats *p = per_cpu_ptr(s, cpu);

		for (i = 0; i < __GRPSEC_A_STATS_MAX; i++)
			out->c[i] += READ_ONCE(p->c[i]);
	}
}
