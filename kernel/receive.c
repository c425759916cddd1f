// SPDX-License-Identifier: GPL-2.0
/*
 * Uplink receive path.
 *
 * Softirq (grpsec_receive): checks the header, which costs no lookup and
 * no crypto, and queues the frame on this CPU's queue; while frames of
 * unknown groups or members arrive, it drops those first (unknown_early).
 * Process context
 * (grpsec_receive_work): takes the whole queue at once, looks up group,
 * member and key slot, drops replays before spending crypto on them,
 * verifies up to GRPSEC_CRYPTO_LANES outer tags in one submission, then
 * records each sequence number and hands the inner part upstream, or, for
 * a terminate mode group, opens it and delivers it locally (terminate.c).
 * Downlink frames from the backend go to downlink.c as they arrive.
 */
#include <linux/grpsec.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/sock.h>

#include "aead.h"
#include "downlink.h"
#include "events.h"
#include "frame.h"
#include "group.h"
#include "member.h"
#include "netns.h"
#include "receive.h"
#include "terminate.h"
#include "upstream.h"

/* Beyond this, a CPU's queue drops rather than grows. */
#define GRPSEC_RX_QUEUE_MAX	8192

struct grpsec_rx_cb {
	struct grpsec_uplink up;
};

static struct grpsec_rx_cb *rx_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct grpsec_rx_cb) > sizeof(skb->cb));
	return (struct grpsec_rx_cb *)skb->cb;
}

static void drop(struct grpsec_net *gn, struct sk_buff *skb,
		 unsigned int reason)
{
	grpsec_stats_inc(gn->stats, reason);
	kfree_skb(skb);
}

/* The first bytes of a datagram: enough to refuse junk from a copy. */
union rx_head {
	struct grpsec_uplink_hdr up;
	struct grpsec_downlink_hdr dl;
};

/*
 * Count a datagram and copy its first bytes into @head (zeros past its
 * end), without linearising it.  Return: its length from the grpsec
 * header on.
 */
static unsigned int peek(struct grpsec_net *gn, struct sk_buff *skb,
			 union rx_head *head)
{
	unsigned int off = skb_transport_offset(skb) + sizeof(struct udphdr);
	unsigned int len = skb->len - off;
	unsigned int n = min_t(unsigned int, len, sizeof(*head));
	const void *p;

	grpsec_stats_inc(gn->stats, GRPSEC_A_STATS_RX_FRAMES);
	grpsec_stats_add(gn->stats, GRPSEC_A_STATS_RX_BYTES, len);
	memset(head, 0, sizeof(*head));
	p = skb_header_pointer(skb, off, n, head);
	if (p && p != head)
		memcpy(head, p, n);
	return len;
}

/*
 * Linear data from the grpsec header on, once the header was found good.
 * Return: false if dropped.
 */
static bool pull(struct grpsec_net *gn, struct sk_buff *skb)
{
	unsigned int off = skb_transport_offset(skb) + sizeof(struct udphdr);

	if (unlikely(skb_linearize(skb))) {
		drop(gn, skb, GRPSEC_A_STATS_DROP_NOMEM);
		return false;
	}
	__skb_pull(skb, off);
	return true;
}

/* A downlink frame whose header is good goes to downlink.c. */
static void downlink(struct grpsec_net *gn, struct sk_buff *skb,
		     const union rx_head *head, unsigned int len, int from)
{
	struct grpsec_downlink_frame dl;

	if (grpsec_downlink_parse((const u8 *)&head->dl, len, &dl)) {
		drop(gn, skb, GRPSEC_A_STATS_DL_DROP_MALFORMED);
		return;
	}
	if (pull(gn, skb))
		grpsec_downlink_receive(gn, skb, from);
}

/**
 * grpsec_receive_upstream - UDP encap hook of the upstream socket
 * @sk: the upstream socket, connected to the backend
 * @skb: a datagram from the backend, data at the UDP header
 *
 * Only downlink frames are expected there; anything else is dropped.
 *
 * Return: 0, the datagram is consumed either way.
 */
int grpsec_receive_upstream(struct sock *sk, struct sk_buff *skb)
{
	struct grpsec_net *gn = rcu_dereference_sk_user_data(sk);
	union rx_head head;
	unsigned int len;

	if (unlikely(!gn)) {
		kfree_skb(skb);
		return 0;
	}
	len = peek(gn, skb, &head);
	downlink(gn, skb, &head, len, GRPSEC_DL_FROM_UPSTREAM);
	return 0;
}

/*
 * Frames of unknown groups or members seen: softirq looks every frame up
 * for the next second (written at most twice a second, so a flood does
 * not bounce the cache line between CPUs).
 */
static void unknown_seen(struct grpsec_net *gn)
{
	unsigned long until = READ_ONCE(gn->unknown_until);

	if (time_before(until, jiffies + HZ / 2))
		WRITE_ONCE(gn->unknown_until, jiffies + HZ);
}

/*
 * A frame of a group or member the gateway does not know, dropped here
 * rather than after the handoff to the worker: the lookups are RCU's,
 * with the counts prepare() would make.  Only while such frames arrive
 * (unknown_seen()): otherwise every frame is looked up once, by the
 * worker.  An unknown member whose event may still be sent this second
 * goes on to the worker, which raises it (events are built and sent in
 * process context).
 *
 * Return: the drop reason, or 0 to queue the frame.
 */
static int unknown_early(struct grpsec_net *gn, struct sk_buff *skb)
{
	const struct grpsec_uplink *up = &rx_cb(skb)->up;
	struct grpsec_group *g;
	int reason = 0;

	if (time_after_eq(jiffies, READ_ONCE(gn->unknown_until)))
		return 0;
	rcu_read_lock();
	g = grpsec_group_lookup(gn, up->group);
	if (!g) {
		reason = GRPSEC_A_STATS_DROP_UNKNOWN_GROUP;
	} else if (up->suite == g->suite && !xa_load(&g->members, up->member) &&
		   grpsec_event_suppress(gn, GRPSEC_EVENT_UNKNOWN_MEMBER)) {
		grpsec_stats_inc(g->stats, GRPSEC_A_STATS_RX_FRAMES);
		grpsec_stats_inc(g->stats, GRPSEC_A_STATS_DROP_UNKNOWN_MEMBER);
		reason = GRPSEC_A_STATS_DROP_UNKNOWN_MEMBER;
	}
	rcu_read_unlock();
	if (reason)
		unknown_seen(gn);
	return reason;
}

/**
 * grpsec_receive - UDP encap hook of the listen sockets
 * @sk: the listen socket
 * @skb: a datagram, data at the UDP header
 *
 * Return: 0, the datagram is consumed either way.
 */
int grpsec_receive(struct sock *sk, struct sk_buff *skb)
{
	struct grpsec_net *gn = rcu_dereference_sk_user_data(sk);
	struct grpsec_rx_queue *q;
	union rx_head head;
	unsigned int len;
	int reason;

	if (unlikely(!gn)) {
		kfree_skb(skb);
		return 0;
	}

	len = peek(gn, skb, &head);
	if (len >= 2 && head.up.type == GRPSEC_TYPE_DOWNLINK) {
		downlink(gn, skb, &head, len, GRPSEC_DL_FROM_LISTEN);
		return 0;
	}
	/* The header decides from the copy; the frame is parsed in place. */
	reason = grpsec_uplink_parse((const u8 *)&head.up, len,
				     &rx_cb(skb)->up);
	if (!reason) {
		if (!pull(gn, skb))
			return 0;
		reason = grpsec_uplink_parse(skb->data, skb->len,
					     &rx_cb(skb)->up);
	}
	if (unlikely(reason)) {
		net_dbg_ratelimited("grpsec: dropped frame: reason %d\n",
				    reason);
		drop(gn, skb, reason);
		return 0;
	}

	reason = unknown_early(gn, skb);
	if (reason) {
		drop(gn, skb, reason);
		return 0;
	}
	skb_dst_drop(skb);
	q = this_cpu_ptr(gn->rxq);
	if (unlikely(skb_queue_len_lockless(&q->queue) >= GRPSEC_RX_QUEUE_MAX)) {
		drop(gn, skb, GRPSEC_A_STATS_DROP_QUEUE_FULL);
		return 0;
	}
	skb_queue_tail(&q->queue, skb);
	queue_work_on(smp_processor_id(), grpsec_wq, &q->work);
	return 0;
}

/* A frame between lookup and the end of verification. */
struct rx_item {
	struct sk_buff *skb;
	struct grpsec_member *member;
	u64 key_id;
	int reason;
	bool local;		/* terminate mode: delivered, not forwarded */
	bool own;		/* from the member's endpoint */
	u32 burst;		/* replays caught before crypto, for an event */
	union grpsec_endpoint from;
	struct grpsec_batch_item item;
	u8 key[GRPSEC_KEY_MAX];
};

static void source_of(struct sk_buff *skb, union grpsec_endpoint *ep)
{
	const struct udphdr *uh = udp_hdr(skb);

	memset(ep, 0, sizeof(*ep));
	if (ip_hdr(skb)->version == 4) {
		ep->v4.sin_family = AF_INET;
		ep->v4.sin_port = uh->source;
		ep->v4.sin_addr.s_addr = ip_hdr(skb)->saddr;
	} else {
		ep->v6.sin6_family = AF_INET6;
		ep->v6.sin6_port = uh->source;
		ep->v6.sin6_addr = ipv6_hdr(skb)->saddr;
	}
}

/*
 * The rate limits, before any crypto: the member's budget of verified
 * frames, and the bad tags allowed from the frame's source, its member's
 * endpoint or any other (grpsec_member_admit()).
 */
static int admit(struct grpsec_group *g, struct grpsec_member *m,
		 struct rx_item *it)
{
	u32 unauth = grpsec_group_unauth_limit(g);
	int reason;

	source_of(it->skb, &it->from);
	reason = grpsec_member_admit(m, READ_ONCE(g->rate_limit), unauth,
				     &it->from, &it->own);
	if (!reason && !it->own && !grpsec_group_unauth_ok(g, unauth))
		reason = GRPSEC_A_STATS_DROP_UNAUTH_LIMIT;
	return reason;
}

/*
 * Everything that is decided without crypto.  Return: 0 with a member
 * reference and the key copied into @it, or a drop reason.
 */
static int prepare(struct grpsec_net *gn, struct rx_item *it,
		   struct grpsec_verify *v)
{
	const struct grpsec_uplink *up = &rx_cb(it->skb)->up;
	struct grpsec_keyslot *slot;
	struct grpsec_member *m;
	struct grpsec_group *g;
	int reason = 0;

	rcu_read_lock();
	g = grpsec_group_lookup(gn, up->group);
	if (!g) {
		reason = GRPSEC_A_STATS_DROP_UNKNOWN_GROUP;
		goto out_unlock;
	}
	if (up->suite != g->suite) {
		grpsec_stats_inc(g->stats, GRPSEC_A_STATS_DROP_BAD_HEADER);
		reason = GRPSEC_A_STATS_DROP_BAD_HEADER;
		goto out_unlock;
	}
	grpsec_stats_inc(g->stats, GRPSEC_A_STATS_RX_FRAMES);
	m = grpsec_member_get(g, up->member);
	if (!m) {
		grpsec_stats_inc(g->stats, GRPSEC_A_STATS_DROP_UNKNOWN_MEMBER);
		reason = GRPSEC_A_STATS_DROP_UNKNOWN_MEMBER;
		goto out_unlock;
	}
	grpsec_member_count(m, GRPSEC_A_STATS_RX_FRAMES);

	slot = grpsec_member_slot(m, up->epoch);
	if (!slot)
		reason = GRPSEC_A_STATS_DROP_STALE_EPOCH;
	/* Unlocked pre-check; grpsec_member_accept() decides under m->lock. */
	else if (data_race(grpsec_replay_seen(&slot->replay, up->seq)))
		reason = GRPSEC_A_STATS_DROP_REPLAY;
	else
		reason = admit(g, m, it);
	if (reason) {
		grpsec_stats_inc(g->stats, reason);
		grpsec_member_count(m, reason);
		/* Most replays end here: they count towards a burst too. */
		if (reason == GRPSEC_A_STATS_DROP_REPLAY)
			it->burst = grpsec_member_burst(m, true);
		grpsec_member_put(m);
		goto out_unlock;
	}

	memcpy(it->key, slot->key, sizeof(it->key));
	it->member = m;
	it->key_id = slot->key_id;
	v->key = it->key;
	v->key_id = slot->key_id;
	v->suite = up->suite;
	v->data = it->skb->data;
	v->auth_len = grpsec_uplink_outer_len(up, g->mode);
	v->tag = it->skb->data + up->auth_len;
	grpsec_seq_nonce(v->nonce, GRPSEC_NONCE_UPLINK, up->seq);
out_unlock:
	rcu_read_unlock();
	return reason;
}

/*
 * After the tag check: record the sequence number and count the message
 * against its epoch.  Return: 0 when the inner part may go upstream
 * (described in it->item), or a drop reason.
 */
static int finish(struct grpsec_net *gn, struct rx_item *it, int result)
{
	const struct grpsec_uplink *up = &rx_cb(it->skb)->up;
	struct grpsec_member *m = it->member;
	struct grpsec_group *g = m->group;
	bool rolled;

	if (result == -EBADMSG) {
		if (it->own)
			grpsec_member_unauth_fail(m);
		else
			grpsec_group_unauth_fail(g);
		return GRPSEC_A_STATS_DROP_BAD_TAG;
	}
	if (result)
		return GRPSEC_A_STATS_DROP_NOMEM;

	if (!grpsec_member_accept(m, it->key_id, up->seq, &it->from, &rolled))
		return GRPSEC_A_STATS_DROP_REPLAY;
	if (rolled)
		atomic_inc(&gn->rollovers);
	/* Only frames that verified spend the member's budget. */
	if (!grpsec_member_rate_ok(m, READ_ONCE(g->rate_limit)))
		return GRPSEC_A_STATS_DROP_RATE_LIMIT;
	if (!grpsec_epoch_charge(gn, g, up->epoch))
		return GRPSEC_A_STATS_DROP_EPOCH_LIMIT;

	grpsec_stats_inc(gn->stats, GRPSEC_A_STATS_VERIFIED);
	grpsec_stats_inc(g->stats, GRPSEC_A_STATS_VERIFIED);
	grpsec_member_count(m, GRPSEC_A_STATS_VERIFIED);
	if (READ_ONCE(g->flags) & GRPSEC_GROUP_F_TERMINATE) {
		it->local = true;
		return 0;
	}
	it->item = (struct grpsec_batch_item) {
		.mode = g->mode,
		.suite = up->suite,
		.group = up->group,
		.epoch = up->epoch,
		/* Anonymous groups never tell the backend who sent what. */
		.member = g->mode == GRPSEC_MODE_IDENTIFIED ? up->member : 0,
		.inner = up->inner,
		.inner_len = up->inner_len,
	};
	return 0;
}

/* A member whose frames keep failing is worth an event, once a second. */
static void burst_event(struct grpsec_net *gn, struct rx_item *it, int reason)
{
	struct grpsec_member *m = it->member;
	struct grpsec_event ev = {
		.type = reason == GRPSEC_A_STATS_DROP_REPLAY ?
			GRPSEC_EVENT_REPLAY_BURST : GRPSEC_EVENT_BAD_TAG_BURST,
		.group = m->group->id,
		.member = m->id,
		.endpoint = &it->from,
	};

	ev.count = grpsec_member_burst(m, reason == GRPSEC_A_STATS_DROP_REPLAY);
	if (!ev.count)
		return;
	grpsec_event_raise(gn, &ev);
}

static void replay_burst_event(struct grpsec_net *gn, struct sk_buff *skb,
			       u32 count)
{
	const struct grpsec_uplink *up = &rx_cb(skb)->up;
	union grpsec_endpoint from;
	struct grpsec_event ev = {
		.type = GRPSEC_EVENT_REPLAY_BURST,
		.group = up->group,
		.member = up->member,
		.endpoint = &from,
		.count = count,
	};

	source_of(skb, &from);
	grpsec_event_raise(gn, &ev);
}

static void unknown_member_event(struct grpsec_net *gn, struct sk_buff *skb)
{
	const struct grpsec_uplink *up = &rx_cb(skb)->up;
	union grpsec_endpoint from;
	struct grpsec_event ev = {
		.type = GRPSEC_EVENT_UNKNOWN_MEMBER,
		.group = up->group,
		.member = up->member,
		.endpoint = &from,
		.count = 1,
	};

	source_of(skb, &from);
	grpsec_event_raise(gn, &ev);
}

/* Terminate mode: open the message here and hand it to the local port. */
static int deliver(struct grpsec_net *gn, struct rx_item *it)
{
	return grpsec_terminate_deliver(gn, it->member->group,
					&rx_cb(it->skb)->up, it->skb);
}

/* Count the outcome, release the frame and the member. */
static void release(struct grpsec_net *gn, struct rx_item *it)
{
	struct grpsec_member *m = it->member;
	int reason = it->reason;

	if (!reason && it->local) {
		grpsec_stats_inc(gn->stats, GRPSEC_A_STATS_DELIVERED);
		grpsec_stats_inc(m->group->stats, GRPSEC_A_STATS_DELIVERED);
	} else if (!reason) {
		grpsec_stats_inc(m->group->stats, GRPSEC_A_STATS_FORWARDED);
		grpsec_member_count(m, GRPSEC_A_STATS_FORWARDED);
	}
	if (reason == GRPSEC_A_STATS_DROP_BAD_TAG ||
	    reason == GRPSEC_A_STATS_DROP_REPLAY)
		burst_event(gn, it, reason);
	if (reason) {
		net_dbg_ratelimited("grpsec: member %u/%u: dropped frame: reason %d\n",
				    m->group->id, m->id, reason);
		grpsec_stats_inc(m->group->stats, reason);
		grpsec_member_count(m, reason);
		grpsec_stats_inc(gn->stats, reason);
		kfree_skb(it->skb);
	} else {
		consume_skb(it->skb);
	}
	memzero_explicit(it->key, sizeof(it->key));
	grpsec_member_put(m);
}

/*
 * Hand the verified inner parts to the upstream, one lock for the whole
 * batch rather than one a frame.  @fwd lists, in order, the items of @it
 * that go upstream; those it refuses end in a drop, not in forwarded.
 */
static void forward(struct grpsec_net *gn, struct rx_item *it,
		    unsigned int n, const struct grpsec_batch_item **fwd,
		    unsigned int nfwd)
{
	DECLARE_BITMAP(skipped, GRPSEC_CRYPTO_LANES);
	unsigned int i, j = 0;
	int reason = 0;

	BUILD_BUG_ON(GRPSEC_CRYPTO_LANES > BITS_PER_LONG);
	if (grpsec_upstream_add(gn, fwd, nfwd, skipped))
		reason = GRPSEC_A_STATS_DROP_NO_UPSTREAM;
	for (i = 0; i < n; i++) {
		if (it[i].reason || it[i].local)
			continue;
		/* An entry larger than an empty batch: a send error. */
		if (reason || test_bit(j, skipped))
			it[i].reason = reason ?: GRPSEC_A_STATS_TX_ERRORS;
		j++;
	}
}

/* A worker's per-batch state: too large for the stack, kept per queue. */
struct grpsec_rx_scratch {
	struct grpsec_verify v[GRPSEC_CRYPTO_LANES];
	struct rx_item it[GRPSEC_CRYPTO_LANES];
	const struct grpsec_batch_item *fwd[GRPSEC_CRYPTO_LANES];
};

/* Allocated on first use, by the queue's own worker. */
static bool rx_state(struct grpsec_rx_queue *q)
{
	struct grpsec_crypto *c;

	if (likely(q->crypto))
		return true;
	q->scratch = kzalloc(sizeof(*q->scratch), GFP_KERNEL);
	if (!q->scratch)
		return false;
	c = grpsec_crypto_create();
	if (IS_ERR(c)) {
		kfree(q->scratch);
		q->scratch = NULL;
		return false;
	}
	/* Read by wake_keyed() on other CPUs. */
	WRITE_ONCE(q->crypto, c);
	return true;
}

/**
 * grpsec_receive_work - verify everything queued on one CPU
 * @work: that CPU's grpsec_rx_queue work
 */
void grpsec_receive_work(struct work_struct *work)
{
	struct grpsec_rx_queue *q = container_of(work, struct grpsec_rx_queue,
						 work);
	const struct grpsec_batch_item **fwd;
	struct grpsec_net *gn = q->gn;
	struct sk_buff_head frames;
	int rollovers = atomic_read(&gn->rollovers);
	struct grpsec_verify *v;
	struct sk_buff *skb;
	struct rx_item *it;
	unsigned int n, i, nfwd;
	int reason, gen;

	__skb_queue_head_init(&frames);
	spin_lock_bh(&q->queue.lock);
	skb_queue_splice_init(&q->queue, &frames);
	spin_unlock_bh(&q->queue.lock);

	if (unlikely(!rx_state(q))) {
		while ((skb = __skb_dequeue(&frames)))
			drop(gn, skb, GRPSEC_A_STATS_DROP_NOMEM);
		return;
	}
	v = q->scratch->v;
	it = q->scratch->it;
	fwd = q->scratch->fwd;

	while (!skb_queue_empty(&frames)) {
		n = 0;
		while (n < GRPSEC_CRYPTO_LANES &&
		       (skb = __skb_dequeue(&frames))) {
			it[n].skb = skb;
			it[n].burst = 0;
			it[n].local = false;
			reason = prepare(gn, &it[n], &v[n]);
			if (reason == GRPSEC_A_STATS_DROP_UNKNOWN_MEMBER)
				unknown_member_event(gn, skb);
			if (reason == GRPSEC_A_STATS_DROP_UNKNOWN_MEMBER ||
			    reason == GRPSEC_A_STATS_DROP_UNKNOWN_GROUP)
				unknown_seen(gn);
			if (it[n].burst)
				replay_burst_event(gn, skb, it[n].burst);
			if (reason)
				drop(gn, skb, reason);
			else
				n++;
		}
		if (!n)
			break;
		grpsec_crypto_verify(q->crypto, v, n);
		nfwd = 0;
		for (i = 0; i < n; i++) {
			it[i].reason = finish(gn, &it[i], v[i].result);
			if (!it[i].reason && !it[i].local)
				fwd[nfwd++] = &it[i].item;
		}
		if (nfwd)
			forward(gn, it, n, fwd, nfwd);
		for (i = 0; i < n; i++) {
			if (!it[i].reason && it[i].local)
				it[i].reason = deliver(gn, &it[i]);
			release(gn, &it[i]);
		}
		cond_resched();
	}
	grpsec_upstream_kick(gn);

	/*
	 * Keys this run retired (a member's frames under its next key) may
	 * sit in other CPUs' transform caches too: within a second, every
	 * keyed CPU runs its worker, which forgets them if it is idle.  Queued once
	 * however many rollovers there were meanwhile, and never once the
	 * instance is dying (grpsec_receive_purge()).
	 */
	if (atomic_read(&gn->rollovers) != rollovers && !READ_ONCE(gn->dying))
		queue_delayed_work(grpsec_wq, &gn->forget_work, HZ);

	/*
	 * Idle, after member keys went (deleted or replaced over netlink,
	 * or retired by a rollover): none stays in a cached transform.
	 * Both counters only grow, so their sum changes whenever either does.
	 */
	gen = atomic_read(&gn->keys_retired) + atomic_read(&gn->rollovers);
	if (q->keys_forgotten != gen && skb_queue_empty_lockless(&q->queue)) {
		q->keys_forgotten = gen;
		grpsec_crypto_forget(q->crypto);
	}
}

/* Every CPU whose transforms were ever keyed runs its worker once more. */
static void wake_keyed(struct grpsec_net *gn)
{
	int cpu;

	if (READ_ONCE(gn->dying))
		return;
	for_each_possible_cpu(cpu) {
		struct grpsec_rx_queue *q = per_cpu_ptr(gn->rxq, cpu);

		if (READ_ONCE(q->crypto))
			queue_work_on(cpu, grpsec_wq, &q->work);
	}
}

/**
 * grpsec_receive_forget_keys - member keys were replaced or deleted
 * @gn: the instance
 *
 * Process context.  Every CPU whose transforms were ever keyed runs its
 * worker once more, which frees its cached transforms when it finds
 * nothing to do.
 */
void grpsec_receive_forget_keys(struct grpsec_net *gn)
{
	atomic_inc(&gn->keys_retired);
	wake_keyed(gn);
}

/**
 * grpsec_receive_forget_work - a second after rollovers, wake keyed CPUs
 * @work: the instance's forget_work
 */
void grpsec_receive_forget_work(struct work_struct *work)
{
	struct grpsec_net *gn = container_of(to_delayed_work(work),
					     struct grpsec_net, forget_work);

	wake_keyed(gn);
}

/* Return: true if any CPU's worker was pending. */
static bool cancel_workers(struct grpsec_net *gn)
{
	bool pending = false;
	int cpu;

	for_each_possible_cpu(cpu)
		pending |= cancel_work_sync(&per_cpu_ptr(gn->rxq, cpu)->work);
	return pending;
}

/**
 * grpsec_receive_purge - stop the workers for good and free their state
 * @gn: the instance, whose listen and upstream sockets are closed
 *
 * The workers queue forget_work and forget_work queues workers, so each
 * is cancelled while the other may still run.  Once @gn->dying is set,
 * no work that starts re-arms the other; the frames still queued go
 * first, so no worker verifies (and no frame retires a key) any more.
 * What was already running when the flag was set finishes within the
 * first round; a round that found nothing pending proves it.
 */
void grpsec_receive_purge(struct grpsec_net *gn)
{
	bool pending;
	int cpu;

	/* Full barrier: a worker that starts from now on sees the flag. */
	smp_store_mb(gn->dying, true);
	for_each_possible_cpu(cpu)
		skb_queue_purge(&per_cpu_ptr(gn->rxq, cpu)->queue);
	do {
		pending = cancel_workers(gn);
		pending |= cancel_delayed_work_sync(&gn->forget_work);
		pending |= cancel_workers(gn);
	} while (pending);

	for_each_possible_cpu(cpu) {
		struct grpsec_rx_queue *q = per_cpu_ptr(gn->rxq, cpu);

		grpsec_crypto_destroy(q->crypto);
		WRITE_ONCE(q->crypto, NULL);
		kfree_sensitive(q->scratch);
		q->scratch = NULL;
	}
}
