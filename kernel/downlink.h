/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_DOWNLINK_H
#define _GRPSEC_DOWNLINK_H

#include <linux/skbuff.h>

struct grpsec_net;

int grpsec_downlink_init(struct grpsec_net *gn);
void grpsec_downlink_uninit(struct grpsec_net *gn);
/* Where a downlink frame came in; the first is served first. */
enum {
	GRPSEC_DL_FROM_UPSTREAM,
	GRPSEC_DL_FROM_LISTEN,
};

void grpsec_downlink_receive(struct grpsec_net *gn, struct sk_buff *skb,
			     int from);
int grpsec_fanout_queue(struct grpsec_net *gn, u32 group, u32 member, u8 type,
			u8 flags, const u8 *body, u16 len, gfp_t gfp);
u64 grpsec_downlink_seq(struct grpsec_net *gn);
void grpsec_downlink_seq_floor(struct grpsec_net *gn, u64 floor);

#endif /* _GRPSEC_DOWNLINK_H */
