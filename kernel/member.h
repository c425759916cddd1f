/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_MEMBER_H
#define _GRPSEC_MEMBER_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jiffies.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>

#include "replay.h"
#include "stats.h"
#include "wire.h"

struct grpsec_group;
struct grpsec_net;

union grpsec_endpoint {
	struct sockaddr addr;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

/*
 * A member's key for one epoch, with the replay window of the frames
 * sealed under it.  Replaced whole (RCU), never edited in place.
 */
struct grpsec_keyslot {
	u32 epoch;
	u64 key_id;
	u8 key[GRPSEC_KEY_MAX];
	struct grpsec_replay replay;	/* member->lock */
	struct rcu_head rcu;
};

/* How long the old key stays valid once frames under the next arrive. */
#define GRPSEC_ROLLOVER_GRACE	(10 * HZ)

struct grpsec_member {
	u32 id;
	struct grpsec_group *group;	/* holds a reference */
	spinlock_t lock;		/* slots, replay, endpoint */
	struct grpsec_keyslot __rcu *slot[2];
	unsigned long rollover_since;	/* jiffies; 0 = no rollover */
	union grpsec_endpoint endpoint;
	u64 last_seq;
	unsigned long burst_start;	/* jiffies; bad tags, replays */
	u32 burst[2];
	unsigned long rate_start;	/* jiffies; frames in this second */
	u32 rate_count;
	atomic64_t stats[GRPSEC_MEMBER_STATS];
	refcount_t refs;
	struct rcu_head rcu;
};

struct grpsec_member *grpsec_member_create(struct grpsec_group *g, u32 id);
void grpsec_member_put(struct grpsec_member *m);
struct grpsec_member *grpsec_member_get(struct grpsec_group *g, u32 id);
int grpsec_member_add(struct grpsec_net *gn, struct grpsec_member *m);
void grpsec_member_del(struct grpsec_net *gn, struct grpsec_member *m);
int grpsec_member_set_key(struct grpsec_member *m, int slot, u32 epoch,
			  const u8 *key, unsigned int len);
void grpsec_member_clear_key(struct grpsec_member *m, int slot);
void grpsec_member_set_endpoint(struct grpsec_member *m,
				const union grpsec_endpoint *ep);
struct grpsec_keyslot *grpsec_member_slot(struct grpsec_member *m, u32 epoch);
bool grpsec_member_rate_ok(struct grpsec_member *m, u32 limit);
u32 grpsec_member_burst(struct grpsec_member *m, bool replay);
bool grpsec_member_accept(struct grpsec_member *m, u64 key_id, u64 seq,
			  const union grpsec_endpoint *from);
bool grpsec_member_tx_key(struct grpsec_member *m, u8 *key, u32 *epoch,
			  union grpsec_endpoint *to);

static inline void grpsec_member_count(struct grpsec_member *m,
				       unsigned int idx)
{
	if (idx < GRPSEC_MEMBER_STATS)
		atomic64_inc(&m->stats[idx]);
}

#endif /* _GRPSEC_MEMBER_H */
