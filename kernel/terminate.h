/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_TERMINATE_H
#define _GRPSEC_TERMINATE_H

#include <linux/skbuff.h>

struct grpsec_group;
struct grpsec_net;
struct grpsec_uplink;

int grpsec_terminate_deliver(struct grpsec_net *gn, struct grpsec_group *g,
			     const struct grpsec_uplink *up,
			     struct sk_buff *skb);
int grpsec_terminate_send(struct grpsec_net *gn, struct grpsec_group *g,
			  u32 member, const u8 *data, u32 len, u64 *seq);
void grpsec_terminate_uninit(struct grpsec_net *gn);

#endif /* _GRPSEC_TERMINATE_H */
