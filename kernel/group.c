// SPDX-License-Identifier: GPL-2.0
/*
 * Groups: one per group id and namespace, in an xarray so the receive
 * path looks them up under RCU and dumps resume from an id.
 */
#include <linux/grpsec.h>
#include <linux/slab.h>

#include "aead.h"
#include "group.h"
#include "member.h"
#include "netns.h"

struct grpsec_group *grpsec_group_create(const struct grpsec_group_cfg *cfg)
{
	struct grpsec_group *g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);

	if (!g)
		return ERR_PTR(-ENOMEM);
	g->stats = alloc_percpu_gfp(struct grpsec_stats, GFP_KERNEL_ACCOUNT);
	if (!g->stats) {
		kfree(g);
		return ERR_PTR(-ENOMEM);
	}
	g->id = cfg->id;
	g->suite = cfg->suite;
	g->mode = cfg->mode;
	g->flags = cfg->flags;
	g->msg_limit = cfg->msg_limit ?: GRPSEC_MSG_LIMIT_DEFAULT;
	g->rate_limit = cfg->rate_limit;
	xa_init(&g->members);
	spin_lock_init(&g->use_lock);
	spin_lock_init(&g->unauth_lock);
	init_rwsem(&g->key_lock);
	grpsec_seq_init(&g->cmd_seq);
	refcount_set(&g->refs, 1);
	pr_debug("group %u created\n", g->id);
	return g;
}

static void group_free_rcu(struct rcu_head *rcu)
{
	struct grpsec_group *g = container_of(rcu, struct grpsec_group, rcu);

	pr_debug("group %u freed\n", g->id);
	free_percpu(g->stats);
	kfree(g);
}

void grpsec_group_put(struct grpsec_group *g)
{
	if (g && refcount_dec_and_test(&g->refs))
		call_rcu(&g->rcu, group_free_rcu);
}

int grpsec_group_add(struct grpsec_net *gn, struct grpsec_group *g)
{
	int err;

	lockdep_assert_held(&gn->lock);
	err = xa_insert(&gn->groups, g->id, g, GFP_KERNEL_ACCOUNT);
	if (!err)
		gn->nr_groups++;
	return err;
}

/* Deletes the group's members too; the table's reference is dropped. */
void grpsec_group_del(struct grpsec_net *gn, struct grpsec_group *g)
{
	struct grpsec_member *m;
	unsigned long id;

	lockdep_assert_held(&gn->lock);
	xa_erase(&gn->groups, g->id);
	gn->nr_groups--;
	grpsec_group_clear_key(g, 0);
	grpsec_group_clear_key(g, 1);
	xa_for_each(&g->members, id, m)
		grpsec_member_del(gn, m);
	/* Empty now; the xarray lock is never taken from softirq. */
	xa_destroy(&g->members);
	pr_debug("group %u deleted\n", g->id);
	grpsec_group_put(g);
}

void grpsec_group_del_all(struct grpsec_net *gn)
{
	struct grpsec_group *g;
	unsigned long id;

	lockdep_assert_held(&gn->lock);
	xa_for_each(&gn->groups, id, g)
		grpsec_group_del(gn, g);
}

/* Caller holds rcu_read_lock() or gn->lock. */
struct grpsec_group *grpsec_group_lookup(struct grpsec_net *gn, u32 id)
{
	return xa_load(&gn->groups, id);
}

/* Where a newly counted epoch goes: a free entry, or the oldest epoch's. */
static struct grpsec_epoch_use *use_victim(struct grpsec_group *g)
{
	struct grpsec_epoch_use *v = &g->use[0];
	int i;

	for (i = 0; i < ARRAY_SIZE(g->use); i++) {
		if (!atomic64_read(&g->use[i].used))
			return &g->use[i];
		if (g->use[i].epoch < v->epoch)
			v = &g->use[i];
	}
	return v;
}

/**
 * grpsec_group_use - count one message against its epoch's limit
 * @g: the group
 * @epoch: the epoch the message was sealed in
 * @warn: set to true once per epoch, by the message that reaches 90% of
 *	the limit (or the first one past it, if the limit was lowered)
 *
 * GRPSEC_EPOCHS_COUNTED epochs are tracked at once; one more takes the
 * place of the oldest.
 *
 * Return: the number of messages counted in @epoch, this one included;
 * over g->msg_limit means the epoch's key must not be used any more.
 */
u64 grpsec_group_use(struct grpsec_group *g, u32 epoch, bool *warn)
{
	u64 limit = READ_ONCE(g->msg_limit), used;
	struct grpsec_epoch_use *u = NULL;
	int i;

	*warn = false;
	for (i = 0; i < ARRAY_SIZE(g->use); i++)
		if (READ_ONCE(g->use[i].epoch) == epoch &&
		    atomic64_read(&g->use[i].used))
			u = &g->use[i];

	if (!u) {
		spin_lock(&g->use_lock);
		for (i = 0; i < ARRAY_SIZE(g->use); i++)
			if (g->use[i].epoch == epoch &&
			    atomic64_read(&g->use[i].used))
				u = &g->use[i];
		if (!u) {
			u = use_victim(g);
			WRITE_ONCE(u->epoch, epoch);
			WRITE_ONCE(u->warned, false);
			atomic64_set(&u->used, 0);
			atomic64_inc(&u->used);
			spin_unlock(&g->use_lock);
			used = 1;
			goto out_warn;
		}
		spin_unlock(&g->use_lock);
	}
	used = atomic64_inc_return(&u->used);
out_warn:
	if (used >= limit - limit / 10 && !READ_ONCE(u->warned) &&
	    !xchg(&u->warned, true))
		*warn = true;
	return used;
}

/**
 * grpsec_group_set_key - install K_G[@epoch] in a slot
 * @g: a terminate mode group
 * @slot: GRPSEC_KEY_SLOT_CURRENT or _NEXT
 * @epoch: the key's epoch
 * @key: the key, the suite's length
 * @len: its length
 *
 * Return: 0 or -errno; the slot is unchanged on error.
 */
int grpsec_group_set_key(struct grpsec_group *g, int slot, u32 epoch,
			 const u8 *key, unsigned int len)
{
	struct grpsec_aead_key *k, *old;

	k = grpsec_aead_key_create(g->suite, key, len);
	if (IS_ERR(k))
		return PTR_ERR(k);
	down_write(&g->key_lock);
	old = g->key[slot].aead;
	g->key[slot].aead = k;
	g->key[slot].epoch = epoch;
	up_write(&g->key_lock);
	grpsec_aead_key_destroy(old);
	return 0;
}

void grpsec_group_clear_key(struct grpsec_group *g, int slot)
{
	struct grpsec_aead_key *old;

	down_write(&g->key_lock);
	old = g->key[slot].aead;
	g->key[slot].aead = NULL;
	g->key[slot].epoch = 0;
	up_write(&g->key_lock);
	grpsec_aead_key_destroy(old);
}

static void set_endpoint(struct grpsec_group *g, union grpsec_endpoint *dst,
			 const union grpsec_endpoint *ep)
{
	down_write(&g->key_lock);
	if (ep)
		*dst = *ep;
	else
		memset(dst, 0, sizeof(*dst));
	up_write(&g->key_lock);
}

/* Where terminate mode delivers; NULL clears it. */
void grpsec_group_set_deliver(struct grpsec_group *g,
			      const union grpsec_endpoint *ep)
{
	set_endpoint(g, &g->deliver, ep);
}

/* The group's multicast address for signed commands; NULL clears it. */
void grpsec_group_set_mcast(struct grpsec_group *g,
			    const union grpsec_endpoint *ep)
{
	set_endpoint(g, &g->mcast, ep);
}

bool grpsec_group_mcast(struct grpsec_group *g, union grpsec_endpoint *ep)
{
	down_read(&g->key_lock);
	*ep = g->mcast;
	up_read(&g->key_lock);
	return ep->addr.sa_family != AF_UNSPEC;
}

/**
 * grpsec_group_unauth_ok - may one more frame from a stranger be checked?
 * @g: the group
 * @limit: failed tag checks allowed per second
 *
 * For frames whose source is not the endpoint of the member they name:
 * once @limit of those failed their tag in the current second, the
 * group's others are dropped before any crypto until the second ends.
 * A member's frames from its own endpoint never come here, so forgeries
 * cannot use this limit against it.  Unlocked: a frame or two more or
 * less at a window's edge does not matter.
 *
 * Return: true if the frame may go on to the tag check.
 */
bool grpsec_group_unauth_ok(struct grpsec_group *g, u32 limit)
{
	return grpsec_window_over(READ_ONCE(g->unauth_start)) ||
	       READ_ONCE(g->unauth_count) < limit;
}

/* A frame from a stranger failed its tag: charge the group's window. */
void grpsec_group_unauth_fail(struct grpsec_group *g)
{
	spin_lock(&g->unauth_lock);
	if (grpsec_window_over(g->unauth_start)) {
		WRITE_ONCE(g->unauth_start, (u32)jiffies);
		WRITE_ONCE(g->unauth_count, 0);
	}
	if (g->unauth_count < U32_MAX)
		WRITE_ONCE(g->unauth_count, g->unauth_count + 1);
	spin_unlock(&g->unauth_lock);
}
