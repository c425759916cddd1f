/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_GROUP_H
#define _GRPSEC_GROUP_H

#include <linux/bits.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include "member.h"
#include "seq.h"
#include "stats.h"

struct grpsec_net;
struct grpsec_aead_key;

/* A terminate mode group's key K_G[e], expanded once. */
struct grpsec_group_key {
	u32 epoch;
	struct grpsec_aead_key *aead;
};

/*
 * Members hold two epochs each, but not all the same two: one that slept
 * through a rollover holds {e-1, e} while the others hold {e, e+1}.
 * Four epochs are counted at once, so live ones never push each other
 * out (which would start their counts again).
 */
#define GRPSEC_EPOCHS_COUNTED	4

/* Messages counted against one epoch's limit. */
struct grpsec_epoch_use {
	u32 epoch;
	bool warned;
	atomic64_t used;
};

struct grpsec_group {
	u32 id;
	u8 suite;
	u8 mode;
	u32 flags;
	u64 msg_limit;
	u32 rate_limit;			/* frames/s per member, 0 = none */
	u32 nr_members;
	spinlock_t unauth_lock;		/* bad tags from non-endpoints: */
	u32 unauth_start;		/* low bits of jiffies: this second */
	u32 unauth_count;		/* bad tags in it */
	struct xarray members;		/* member id -> member, RCU readers */
	spinlock_t use_lock;
	struct grpsec_epoch_use use[GRPSEC_EPOCHS_COUNTED];
	struct grpsec_stats __percpu *stats;
	/* Terminate mode (K_G[e] slots, delivery, SEND sequence), multicast. */
	struct rw_semaphore key_lock;	/* key, deliver, mcast */
	struct grpsec_group_key key[2];	/* current, next; aead NULL = empty */
	union grpsec_endpoint deliver;	/* AF_UNSPEC = none */
	union grpsec_endpoint mcast;	/* AF_UNSPEC = none */
	struct grpsec_seq cmd_seq;	/* SEND; gn->lock */
	refcount_t refs;
	struct rcu_head rcu;
};

struct grpsec_group_cfg {
	u32 id;
	u8 suite;
	u8 mode;
	u32 flags;
	u64 msg_limit;
	u32 rate_limit;
};

#define GRPSEC_MSG_LIMIT_DEFAULT	BIT_ULL(32)

struct grpsec_group *grpsec_group_create(const struct grpsec_group_cfg *cfg);
void grpsec_group_put(struct grpsec_group *g);
int grpsec_group_add(struct grpsec_net *gn, struct grpsec_group *g);
void grpsec_group_del(struct grpsec_net *gn, struct grpsec_group *g);
void grpsec_group_del_all(struct grpsec_net *gn);
struct grpsec_group *grpsec_group_lookup(struct grpsec_net *gn, u32 id);
u64 grpsec_group_use(struct grpsec_group *g, u32 epoch, bool *warn);
int grpsec_group_set_key(struct grpsec_group *g, int slot, u32 epoch,
			 const u8 *key, unsigned int len);
void grpsec_group_clear_key(struct grpsec_group *g, int slot);
void grpsec_group_set_deliver(struct grpsec_group *g,
			      const union grpsec_endpoint *ep);
void grpsec_group_set_mcast(struct grpsec_group *g,
			    const union grpsec_endpoint *ep);
bool grpsec_group_mcast(struct grpsec_group *g, union grpsec_endpoint *ep);
bool grpsec_group_unauth_ok(struct grpsec_group *g, u32 limit);
void grpsec_group_unauth_fail(struct grpsec_group *g);

/* Failed tag checks allowed per second, from where and from whom. */
static inline u32 grpsec_group_unauth_limit(struct grpsec_group *g)
{
	return READ_ONCE(g->rate_limit) ?: GRPSEC_UNAUTH_LIMIT_DEFAULT;
}

#endif /* _GRPSEC_GROUP_H */
