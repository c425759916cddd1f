/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_MEMBER_H
#define _GRPSEC_MEMBER_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jiffies.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <net/ipv6.h>

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

static inline bool grpsec_endpoint_equal(const union grpsec_endpoint *a,
					 const union grpsec_endpoint *b)
{
	if (a->addr.sa_family != b->addr.sa_family)
		return false;
	if (a->addr.sa_family == AF_INET)
		return a->v4.sin_port == b->v4.sin_port &&
		       a->v4.sin_addr.s_addr == b->v4.sin_addr.s_addr;
	if (a->addr.sa_family == AF_INET6)
		return a->v6.sin6_port == b->v6.sin6_port &&
		       ipv6_addr_equal(&a->v6.sin6_addr, &b->v6.sin6_addr);
	return false;
}

/*
 * A member's key for one epoch, with the replay window of the frames
 * sealed under it.  Replaced whole (RCU), never edited in place.  From a
 * kmem_cache of its own: 200 bytes, not a kmalloc-256 object.
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

/*
 * Failed tag checks allowed per second, per group from addresses that are
 * not their member's endpoint and per member from its endpoint, when the
 * group has no rate limit (which is the bound otherwise).
 */
#define GRPSEC_UNAUTH_LIMIT_DEFAULT	1024

/*
 * Has the one-second window that started at @start (the low 32 bits of
 * jiffies) ended?  Unsigned, so that a window left for longer than half
 * the 32-bit range still counts as over.
 */
static inline bool grpsec_window_over(u32 start)
{
	return (u32)jiffies - start > HZ;
}

/*
 * A member keeps the counters of its own frames' outcomes: 64 bits for
 * the ones every frame passes through, 32 bits (wrapping) for the drop
 * reasons a known member can meet.  Other counters exist per group and
 * per namespace only.
 */
enum grpsec_member_stat {
	GRPSEC_MEMBER_RX_FRAMES,
	GRPSEC_MEMBER_VERIFIED,
	GRPSEC_MEMBER_FORWARDED,
	__GRPSEC_MEMBER_HOT,
	GRPSEC_MEMBER_DROP_STALE_EPOCH = __GRPSEC_MEMBER_HOT,
	GRPSEC_MEMBER_DROP_BAD_TAG,
	GRPSEC_MEMBER_DROP_REPLAY,
	GRPSEC_MEMBER_DROP_EPOCH_LIMIT,
	GRPSEC_MEMBER_DROP_NO_UPSTREAM,
	GRPSEC_MEMBER_DROP_NOMEM,
	GRPSEC_MEMBER_DROP_RATE_LIMIT,
	__GRPSEC_MEMBER_COUNTERS,
	GRPSEC_MEMBER_NONE = __GRPSEC_MEMBER_COUNTERS,
};

/*
 * From a kmem_cache of its own; the small fields are packed so that a
 * member is 184 bytes on x86-64 (its slab's object size) instead of a
 * kmalloc-256 object.
 */
struct grpsec_member {
	u32 id;
	spinlock_t lock;		/* slots, replay, endpoint */
	struct grpsec_group *group;	/* holds a reference */
	struct grpsec_keyslot __rcu *slot[2];
	unsigned long rollover_since;	/* jiffies; 0 = no rollover */
	u64 last_seq;
	u64 seq_floor;			/* set by userspace: replays up to it */
	union grpsec_endpoint endpoint;
	refcount_t refs;
	u32 burst_start;		/* low bits of jiffies: bad tags, replays */
	u16 burst[2];			/* saturate at GRPSEC_BURST_THRESHOLD */
	u32 rate_start;			/* low bits of jiffies: this second */
	u32 rate_count;			/* frames verified in it */
	u32 unauth_count;		/* bad tags from the endpoint in it */
	atomic_t drops[__GRPSEC_MEMBER_COUNTERS - __GRPSEC_MEMBER_HOT];
	u32 max_epoch;			/* the highest ever installed */
	u32 last_epoch;			/* of its newest verified frame, 0: none yet */
	atomic64_t hot[__GRPSEC_MEMBER_HOT];
	struct rcu_head rcu;
};

/* Where a member keeps GRPSEC_A_STATS_@idx, or GRPSEC_MEMBER_NONE. */
static inline unsigned int grpsec_member_stat(unsigned int idx)
{
	switch (idx) {
	case GRPSEC_A_STATS_RX_FRAMES:
		return GRPSEC_MEMBER_RX_FRAMES;
	case GRPSEC_A_STATS_VERIFIED:
		return GRPSEC_MEMBER_VERIFIED;
	case GRPSEC_A_STATS_FORWARDED:
		return GRPSEC_MEMBER_FORWARDED;
	case GRPSEC_A_STATS_DROP_STALE_EPOCH:
		return GRPSEC_MEMBER_DROP_STALE_EPOCH;
	case GRPSEC_A_STATS_DROP_BAD_TAG:
		return GRPSEC_MEMBER_DROP_BAD_TAG;
	case GRPSEC_A_STATS_DROP_REPLAY:
		return GRPSEC_MEMBER_DROP_REPLAY;
	case GRPSEC_A_STATS_DROP_EPOCH_LIMIT:
		return GRPSEC_MEMBER_DROP_EPOCH_LIMIT;
	case GRPSEC_A_STATS_DROP_NO_UPSTREAM:
		return GRPSEC_MEMBER_DROP_NO_UPSTREAM;
	case GRPSEC_A_STATS_DROP_NOMEM:
		return GRPSEC_MEMBER_DROP_NOMEM;
	case GRPSEC_A_STATS_DROP_RATE_LIMIT:
		return GRPSEC_MEMBER_DROP_RATE_LIMIT;
	default:
		return GRPSEC_MEMBER_NONE;
	}
}

int grpsec_member_init(void);
void grpsec_member_uninit(void);
void grpsec_member_stats_read(struct grpsec_member *m,
			      struct grpsec_stats *out);

struct grpsec_member *grpsec_member_create(struct grpsec_group *g, u32 id);
void grpsec_member_put(struct grpsec_member *m);
struct grpsec_member *grpsec_member_get(struct grpsec_group *g, u32 id);
int grpsec_member_add(struct grpsec_net *gn, struct grpsec_member *m);
void grpsec_member_del(struct grpsec_net *gn, struct grpsec_member *m);
int grpsec_member_set_key(struct grpsec_member *m, int slot, u32 epoch,
			  const u8 *key, unsigned int len);
void grpsec_member_clear_key(struct grpsec_member *m, int slot);
void grpsec_member_set_floor(struct grpsec_member *m, u64 floor);
void grpsec_member_set_endpoint(struct grpsec_member *m,
				const union grpsec_endpoint *ep);
struct grpsec_keyslot *grpsec_member_slot(struct grpsec_member *m, u32 epoch);
int grpsec_member_admit(struct grpsec_member *m, u32 rate_limit,
			u32 unauth_limit, const union grpsec_endpoint *from,
			bool *own);
bool grpsec_member_rate_ok(struct grpsec_member *m, u32 limit);
void grpsec_member_unauth_fail(struct grpsec_member *m);
u32 grpsec_member_burst(struct grpsec_member *m, bool replay);
bool grpsec_member_accept(struct grpsec_member *m, u64 key_id, u64 seq,
			  const union grpsec_endpoint *from, bool *rolled);
bool grpsec_member_tx_key(struct grpsec_member *m, u8 *key, u32 *epoch,
			  union grpsec_endpoint *to);

static inline void grpsec_member_count(struct grpsec_member *m,
				       unsigned int idx)
{
	unsigned int c = grpsec_member_stat(idx);

	if (c < __GRPSEC_MEMBER_HOT)
		atomic64_inc(&m->hot[c]);
	else if (c < __GRPSEC_MEMBER_COUNTERS)
		atomic_inc(&m->drops[c - __GRPSEC_MEMBER_HOT]);
}

#endif /* _GRPSEC_MEMBER_H */
