/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_UPSTREAM_H
#define _GRPSEC_UPSTREAM_H

#include "batch.h"
#include "member.h"

struct grpsec_net;

struct grpsec_upstream_cfg {
	union grpsec_endpoint endpoint;
	u32 gateway;
	u8 suite;
	const u8 *key;
	unsigned int key_len;
	u16 batch_max;
	u32 flush_usec;
	u16 mtu;
	bool has_seq_floor;	/* seq_floor given: the clock is not read */
	u64 seq_floor;
	u64 dl_floor;
};

struct grpsec_upstream_info {
	union grpsec_endpoint endpoint;
	u32 gateway;
	u8 suite;
	u16 batch_max;
	u32 flush_usec;
	u16 mtu;
	u64 seq;	/* the next batch sequence */
	u64 dl_seq;	/* floor to restore: highest accepted + 1, or the floor */
};

#define GRPSEC_BATCH_MAX_DEFAULT	64
#define GRPSEC_FLUSH_USEC_DEFAULT	2000
#define GRPSEC_MTU_DEFAULT		1400

int grpsec_upstream_init(struct grpsec_net *gn);
void grpsec_upstream_stop(struct grpsec_net *gn);
void grpsec_upstream_uninit(struct grpsec_net *gn);
int grpsec_upstream_set(struct grpsec_net *gn,
			const struct grpsec_upstream_cfg *cfg);
int grpsec_upstream_del(struct grpsec_net *gn);
bool grpsec_upstream_get(struct grpsec_net *gn,
			 struct grpsec_upstream_info *info);
int grpsec_upstream_add(struct grpsec_net *gn,
			const struct grpsec_batch_item *const *items,
			unsigned int n, unsigned long *skipped);
void grpsec_upstream_kick(struct grpsec_net *gn);
int grpsec_upstream_check_downlink(struct grpsec_net *gn, u8 suite,
				   u32 gateway, u64 seq, u8 *data,
				   u32 auth_len);

#endif /* _GRPSEC_UPSTREAM_H */
