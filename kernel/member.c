// SPDX-License-Identifier: GPL-2.0
/*
 * Members: per group, in the group's xarray.  Each holds two key slots
 * (current and next epoch) so a rollover loses no frame, and a replay
 * window per slot.  Keys are wiped before their memory is freed.
 */
#include <linux/grpsec.h>
#include <linux/slab.h>
#include <net/ipv6.h>

#include "aead.h"
#include "group.h"
#include "member.h"
#include "netns.h"

/*
 * Dedicated caches: a gateway holds tens of thousands of members, and
 * kmalloc would round each member up to 512 bytes and each slot to 256.
 */
static struct kmem_cache *member_cache __ro_after_init;
static struct kmem_cache *slot_cache __ro_after_init;

/*
 * Named after the module: the KUnit module builds this file too.  Members
 * and keys are charged to the memory cgroup of whoever adds them: the
 * family admits CAP_NET_ADMIN in any user namespace.
 */
int grpsec_member_init(void)
{
	member_cache = kmem_cache_create(KBUILD_MODNAME "_member",
					 sizeof(struct grpsec_member), 0,
					 SLAB_ACCOUNT, NULL);
	if (!member_cache)
		return -ENOMEM;
	slot_cache = kmem_cache_create(KBUILD_MODNAME "_keyslot",
				       sizeof(struct grpsec_keyslot), 0,
				       SLAB_ACCOUNT, NULL);
	if (!slot_cache) {
		kmem_cache_destroy(member_cache);
		return -ENOMEM;
	}
	return 0;
}

/* Caller has waited for the RCU callbacks that free members and slots. */
void grpsec_member_uninit(void)
{
	kmem_cache_destroy(slot_cache);
	kmem_cache_destroy(member_cache);
}

struct grpsec_member *grpsec_member_create(struct grpsec_group *g, u32 id)
{
	struct grpsec_member *m = kmem_cache_zalloc(member_cache, GFP_KERNEL);

	if (!m)
		return ERR_PTR(-ENOMEM);
	m->id = id;
	refcount_inc(&g->refs);
	m->group = g;
	spin_lock_init(&m->lock);
	refcount_set(&m->refs, 1);
	return m;
}

static void slot_free(struct grpsec_keyslot *s)
{
	memzero_explicit(s, sizeof(*s));
	kmem_cache_free(slot_cache, s);
}

static void slot_free_rcu(struct rcu_head *rcu)
{
	struct grpsec_keyslot *s = container_of(rcu, struct grpsec_keyslot,
						rcu);

	slot_free(s);
}

static void slot_retire(struct grpsec_keyslot *s)
{
	if (s)
		call_rcu(&s->rcu, slot_free_rcu);
}

static void member_free_rcu(struct rcu_head *rcu)
{
	struct grpsec_member *m = container_of(rcu, struct grpsec_member, rcu);

	grpsec_group_put(m->group);
	kmem_cache_free(member_cache, m);
}

void grpsec_member_put(struct grpsec_member *m)
{
	if (!m || !refcount_dec_and_test(&m->refs))
		return;
	/* Nobody can reach the member now: no lock needed for the slots. */
	slot_retire(rcu_dereference_protected(m->slot[0], true));
	slot_retire(rcu_dereference_protected(m->slot[1], true));
	call_rcu(&m->rcu, member_free_rcu);
}

/**
 * grpsec_member_get - find a member and take a reference
 * @g: its group
 * @id: member id
 *
 * Caller holds rcu_read_lock().  Return: the member or NULL.
 */
struct grpsec_member *grpsec_member_get(struct grpsec_group *g, u32 id)
{
	struct grpsec_member *m = xa_load(&g->members, id);

	if (m && !refcount_inc_not_zero(&m->refs))
		m = NULL;
	return m;
}

int grpsec_member_add(struct grpsec_net *gn, struct grpsec_member *m)
{
	int err;

	lockdep_assert_held(&gn->lock);
	err = xa_insert(&m->group->members, m->id, m, GFP_KERNEL_ACCOUNT);
	if (err)
		return err;
	m->group->nr_members++;
	gn->nr_members++;
	pr_debug("member %u/%u added\n", m->group->id, m->id);
	return 0;
}

void grpsec_member_del(struct grpsec_net *gn, struct grpsec_member *m)
{
	lockdep_assert_held(&gn->lock);
	xa_erase(&m->group->members, m->id);
	m->group->nr_members--;
	gn->nr_members--;
	pr_debug("member %u/%u deleted\n", m->group->id, m->id);
	grpsec_member_put(m);
}

/**
 * grpsec_member_set_key - install a key in one slot
 * @m: the member
 * @slot: GRPSEC_KEY_SLOT_CURRENT or _NEXT
 * @epoch: the key's epoch
 * @key: key bytes, the group suite's length
 * @len: key length
 *
 * The slot's replay window starts empty (up to the member's floor) for an
 * epoch newer than any the member had: a new key never saw a frame.  Otherwise old sequence numbers
 * stay closed, so a configuration sync that finds the slots otherwise
 * than it expects (the kernel promoted the next key by itself) reopens
 * none: the same epoch and key in the same slot keeps its window, moved
 * from the other slot takes that window along, and any other epoch that
 * is not new starts above the member's highest accepted sequence (which
 * carries on across epochs, Documentation/keys.rst).
 *
 * Return: 0 or -ENOMEM.
 */
int grpsec_member_set_key(struct grpsec_member *m, int slot, u32 epoch,
			  const u8 *key, unsigned int len)
{
	int other_slot = slot == GRPSEC_KEY_SLOT_CURRENT ?
			 GRPSEC_KEY_SLOT_NEXT : GRPSEC_KEY_SLOT_CURRENT;
	struct grpsec_keyslot *s, *old, *other;

	s = kmem_cache_zalloc(slot_cache, GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->epoch = epoch;
	s->key_id = grpsec_key_id_next();
	memcpy(s->key, key, len);

	spin_lock(&m->lock);
	old = rcu_dereference_protected(m->slot[slot], lockdep_is_held(&m->lock));
	if (old && old->epoch == epoch && !memcmp(old->key, key, len)) {
		spin_unlock(&m->lock);
		slot_free(s);
		return 0;
	}
	other = rcu_dereference_protected(m->slot[other_slot],
					  lockdep_is_held(&m->lock));
	if (other && other->epoch == epoch && !memcmp(other->key, key, len))
		s->replay = other->replay;
	else if (epoch > m->max_epoch)
		grpsec_replay_init_floor(&s->replay, m->seq_floor);
	else
		grpsec_replay_init_floor(&s->replay, m->last_seq);
	m->max_epoch = max(m->max_epoch, epoch);
	rcu_assign_pointer(m->slot[slot], s);
	if (slot == GRPSEC_KEY_SLOT_NEXT)
		m->rollover_since = 0;
	spin_unlock(&m->lock);
	slot_retire(old);
	return 0;
}

/* Frames under the emptied slot's epoch are dropped as stale from now on. */
void grpsec_member_clear_key(struct grpsec_member *m, int slot)
{
	struct grpsec_keyslot *old;

	spin_lock(&m->lock);
	old = rcu_dereference_protected(m->slot[slot], lockdep_is_held(&m->lock));
	RCU_INIT_POINTER(m->slot[slot], NULL);
	if (slot == GRPSEC_KEY_SLOT_NEXT)
		m->rollover_since = 0;
	spin_unlock(&m->lock);
	slot_retire(old);
}

/**
 * grpsec_member_set_floor - refuse every sequence up to @floor
 * @m: the member
 * @floor: the highest sequence to refuse, as saved before a restart
 *
 * Under every key the member has and any it gets later, whatever the
 * epoch.  A floor never lowers: sequences refused before stay refused.
 */
void grpsec_member_set_floor(struct grpsec_member *m, u64 floor)
{
	struct grpsec_keyslot *s;
	int i;

	spin_lock(&m->lock);
	if (floor > m->seq_floor) {
		m->seq_floor = floor;
		m->last_seq = max(m->last_seq, floor);
		for (i = 0; i < ARRAY_SIZE(m->slot); i++) {
			s = rcu_dereference_protected(m->slot[i],
						      lockdep_is_held(&m->lock));
			if (s)
				grpsec_replay_raise(&s->replay, floor);
		}
	}
	spin_unlock(&m->lock);
}

void grpsec_member_set_endpoint(struct grpsec_member *m,
				const union grpsec_endpoint *ep)
{
	spin_lock(&m->lock);
	m->endpoint = *ep;
	spin_unlock(&m->lock);
}

/**
 * grpsec_member_stats_read - a member's counters, as GRPSEC_A_STATS_* values
 * @m: the member
 * @out: filled; counters a member does not keep are 0
 */
void grpsec_member_stats_read(struct grpsec_member *m,
			      struct grpsec_stats *out)
{
	unsigned int i, c;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < GRPSEC_MEMBER_STATS; i++) {
		c = grpsec_member_stat(i);
		if (c < __GRPSEC_MEMBER_HOT)
			out->c[i] = atomic64_read(&m->hot[c]);
		else if (c < __GRPSEC_MEMBER_COUNTERS)
			out->c[i] = (u32)atomic_read(&m->drops[c - __GRPSEC_MEMBER_HOT]);
	}
}

/**
 * grpsec_member_slot - the key slot for @epoch
 * @m: the member
 * @epoch: epoch from a frame header
 *
 * Caller holds rcu_read_lock().  Return: the slot or NULL.
 */
struct grpsec_keyslot *grpsec_member_slot(struct grpsec_member *m, u32 epoch)
{
	struct grpsec_keyslot *s;
	int i;

	for (i = 0; i < ARRAY_SIZE(m->slot); i++) {
		s = rcu_dereference(m->slot[i]);
		if (s && s->epoch == epoch)
			return s;
	}
	return NULL;
}

/*
 * Frames under the next key have started: once they have flowed for the
 * grace period, the next key becomes the current one and the old current
 * key is retired.
 */
static struct grpsec_keyslot *rollover(struct grpsec_member *m)
{
	struct grpsec_keyslot *old, *next;

	lockdep_assert_held(&m->lock);
	if (!m->rollover_since) {
		m->rollover_since = jiffies | 1;
		return NULL;
	}
	if (time_before(jiffies, m->rollover_since + GRPSEC_ROLLOVER_GRACE))
		return NULL;
	old = rcu_dereference_protected(m->slot[0], lockdep_is_held(&m->lock));
	next = rcu_dereference_protected(m->slot[1], lockdep_is_held(&m->lock));
	rcu_assign_pointer(m->slot[0], next);
	RCU_INIT_POINTER(m->slot[1], NULL);
	m->rollover_since = 0;
	return old;
}

/**
 * grpsec_member_accept - record an authenticated frame
 * @m: the member
 * @key_id: id of the key the frame's tag was checked with
 * @seq: its sequence number
 * @from: its source address
 * @rolled: set to true when the frame ended a rollover, which retired
 *	the old current key (whose copies in cached transforms must go);
 *	may be NULL
 *
 * Return: true if the frame is new; false for a replay, or if the key it
 * was checked with has been replaced meanwhile.
 */
bool grpsec_member_accept(struct grpsec_member *m, u64 key_id, u64 seq,
			  const union grpsec_endpoint *from, bool *rolled)
{
	struct grpsec_keyslot *s, *retired = NULL;
	bool ok = false;
	int i;

	spin_lock(&m->lock);
	for (i = 0; i < ARRAY_SIZE(m->slot); i++) {
		s = rcu_dereference_protected(m->slot[i],
					      lockdep_is_held(&m->lock));
		if (!s || s->key_id != key_id)
			continue;
		ok = grpsec_replay_accept(&s->replay, seq);
		if (ok && i == GRPSEC_KEY_SLOT_NEXT)
			retired = rollover(m);
		break;
	}
	if (ok) {
		m->endpoint = *from;
		if (seq > m->last_seq) {
			m->last_seq = seq;
			m->last_epoch = s->epoch;
		}
	}
	spin_unlock(&m->lock);
	if (rolled)
		*rolled = !!retired;
	slot_retire(retired);
	return ok;
}

/**
 * grpsec_member_burst - count one bad tag or replay from @m
 * @m: the member
 * @replay: a replay rather than a bad tag
 *
 * Return: the count in the current one-second window when it has just
 * reached GRPSEC_BURST_THRESHOLD (time for an event), otherwise 0.
 */
u32 grpsec_member_burst(struct grpsec_member *m, bool replay)
{
	u32 n;

	spin_lock(&m->lock);
	if (grpsec_window_over(m->burst_start)) {
		m->burst_start = (u32)jiffies;
		m->burst[0] = 0;
		m->burst[1] = 0;
	}
	n = m->burst[replay];
	if (n <= GRPSEC_BURST_THRESHOLD)
		m->burst[replay] = ++n;
	spin_unlock(&m->lock);
	return n == GRPSEC_BURST_THRESHOLD ? n : 0;
}

/* The member's one-second window for its rate and its endpoint's bad tags. */
static void rate_window(struct grpsec_member *m)
{
	lockdep_assert_held(&m->lock);
	if (grpsec_window_over(m->rate_start)) {
		m->rate_start = (u32)jiffies;
		m->rate_count = 0;
		m->unauth_count = 0;
	}
}

/**
 * grpsec_member_admit - may a frame naming @m have its tag checked?
 * @m: the member the frame names
 * @rate_limit: frames per second the member may have verified, 0 for no
 *	limit
 * @unauth_limit: failed tag checks allowed per second from @m's endpoint
 * @from: the frame's source address
 * @own: out, whether @from is @m's endpoint (the source of its last
 *	verified frame, or the configured one)
 *
 * Before any crypto, and nothing is charged here: the member's budget
 * counts only frames whose tag verified (grpsec_member_rate_ok()), so
 * forged frames naming @m never spend it.  Bad tags from @m's own
 * endpoint are counted per member (grpsec_member_unauth_fail()), those
 * from elsewhere per group (grpsec_group_unauth_fail()), so a forger
 * elsewhere cannot stop @m's frames either.
 *
 * Return: 0; GRPSEC_A_STATS_DROP_RATE_LIMIT when @m's verified frames
 * this second have reached @rate_limit; GRPSEC_A_STATS_DROP_UNAUTH_LIMIT
 * when its endpoint's bad tags this second have reached @unauth_limit.
 */
int grpsec_member_admit(struct grpsec_member *m, u32 rate_limit,
			u32 unauth_limit, const union grpsec_endpoint *from,
			bool *own)
{
	int reason = 0;

	spin_lock(&m->lock);
	rate_window(m);
	*own = grpsec_endpoint_equal(&m->endpoint, from);
	if (rate_limit && m->rate_count >= rate_limit)
		reason = GRPSEC_A_STATS_DROP_RATE_LIMIT;
	else if (*own && m->unauth_count >= unauth_limit)
		reason = GRPSEC_A_STATS_DROP_UNAUTH_LIMIT;
	spin_unlock(&m->lock);
	return reason;
}

/**
 * grpsec_member_rate_ok - charge one verified frame to the member's rate
 * @m: the member
 * @limit: frames per second allowed, 0 for no limit
 *
 * A fixed one-second window: cheap, and enough to stop one device from
 * taking the gateway's crypto for itself: once it is spent, the member's
 * further frames are dropped before any crypto (grpsec_member_admit()).
 *
 * Return: true if the frame is within the limit.
 */
bool grpsec_member_rate_ok(struct grpsec_member *m, u32 limit)
{
	bool ok;

	if (!limit)
		return true;
	spin_lock(&m->lock);
	rate_window(m);
	ok = ++m->rate_count <= limit;
	spin_unlock(&m->lock);
	return ok;
}

/* A frame from @m's own endpoint failed its tag. */
void grpsec_member_unauth_fail(struct grpsec_member *m)
{
	spin_lock(&m->lock);
	rate_window(m);
	if (m->unauth_count < U32_MAX)
		m->unauth_count++;
	spin_unlock(&m->lock);
}

/**
 * grpsec_member_tx_key - what a frame to @m is tagged with, and where it goes
 * @m: the member
 * @key: out, the key (GRPSEC_KEY_MAX bytes; the caller wipes it)
 * @epoch: out, its epoch
 * @to: out, the last authenticated or the configured address
 *
 * The member's current epoch is the one it sends under: the next key
 * once its frames have started a rollover, else the current key.
 *
 * Return: true, or false if the member has no key or no address.
 */
bool grpsec_member_tx_key(struct grpsec_member *m, u8 *key, u32 *epoch,
			  union grpsec_endpoint *to)
{
	struct grpsec_keyslot *s;
	bool ok = false;

	spin_lock(&m->lock);
	s = rcu_dereference_protected(m->slot[m->rollover_since ? 1 : 0],
				      lockdep_is_held(&m->lock));
	if (s && m->endpoint.addr.sa_family != AF_UNSPEC) {
		memcpy(key, s->key, GRPSEC_KEY_MAX);
		*epoch = s->epoch;
		*to = m->endpoint;
		ok = true;
	}
	spin_unlock(&m->lock);
	return ok;
}
