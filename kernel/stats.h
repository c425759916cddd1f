/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_STATS_H
#define _GRPSEC_STATS_H

#include <linux/grpsec.h>
#include <linux/percpu.h>

/*
 * Counters indexed by enum grpsec_stats_attr, so the netlink attribute
 * and the counter are one name.  Per CPU, summed when read.
 */
struct grpsec_stats {
	u64 c[__GRPSEC_A_STATS_MAX];
};

static inline void grpsec_stats_add(struct grpsec_stats __percpu *s,
				    unsigned int idx, u64 n)
{
	this_cpu_add(s->c[idx], n);
}

static inline void grpsec_stats_inc(struct grpsec_stats __percpu *s,
				    unsigned int idx)
{
	this_cpu_inc(s->c[idx]);
}

/* Members keep the uplink counters only, up to DROP_RATE_LIMIT. */
#define GRPSEC_MEMBER_STATS	(GRPSEC_A_STATS_DROP_RATE_LIMIT + 1)

void grpsec_stats_sum(struct grpsec_stats __percpu *s,
		      struct grpsec_stats *out);

#endif /* _GRPSEC_STATS_H */
