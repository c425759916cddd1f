/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_EVENTS_H
#define _GRPSEC_EVENTS_H

#include <linux/spinlock.h>
#include <linux/grpsec.h>

#include "member.h"

struct grpsec_net;
struct grpsec_group;

/* Per namespace and event type: GRPSEC_EVENTS_PER_SEC, then suppress. */
struct grpsec_event_limit {
	spinlock_t lock;		/* the fields below */
	unsigned long start;
	u32 sent;
	u32 suppressed;
};

struct grpsec_event {
	u8 type;
	u32 group;
	u32 member;
	u32 epoch;
	const union grpsec_endpoint *endpoint;
	u64 count;
	u64 limit;
	u32 error;
};

void grpsec_events_init(struct grpsec_net *gn);
void grpsec_event_raise(struct grpsec_net *gn, const struct grpsec_event *ev);
bool grpsec_event_suppress(struct grpsec_net *gn, u8 type);
bool grpsec_epoch_charge(struct grpsec_net *gn, struct grpsec_group *g,
			 u32 epoch);

#endif /* _GRPSEC_EVENTS_H */
