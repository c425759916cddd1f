// SPDX-License-Identifier: GPL-2.0
/*
 * Upstream: verified inner parts are gathered into batch frames, each
 * sealed with one tag under K_up and sent to the backend on a connected
 * UDP socket of its own.  A batch leaves when it holds batch_max entries,
 * when the next entry would not fit in the MTU, or flush_usec after its
 * first entry, whichever comes first.
 */
#include <crypto/sha2.h>
#include <linux/grpsec.h>
#include <linux/hrtimer.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <net/udp_tunnel.h>

#include "aead.h"
#include "events.h"
#include "frame.h"
#include "netns.h"
#include "receive.h"
#include "replay.h"
#include "seq.h"
#include "upstream.h"

/* Room for a few hundred batches of the largest MTU in flight. */
#define GRPSEC_UPSTREAM_SNDBUF	(4 << 20)

struct grpsec_upstream {
	struct mutex lock;	/* the batch side, below up to dl_lock */
	struct grpsec_net *gn;
	bool configured;
	struct grpsec_upstream_info info;	/* info.seq unused */
	struct grpsec_seq seq;	/* the batch sequence under key */
	struct grpsec_aead_key *key;
	/*
	 * Downlink checks have a lock and a K_up transform of their own, so
	 * that a flood of forged downlinks does not hold up the batches
	 * (lock order: lock, then dl_lock).  The window belongs to a K_up,
	 * not to one association: it survives DEL_UPSTREAM and a SET with
	 * the same key, told by the key's SHA-256 (with suite and gateway).
	 * A new K_up of the same gateway and suite keeps it too (the
	 * backend's downlink sequence is the gateway's, across its keys),
	 * and the key it replaces still opens downlinks, as @dl_prev, until
	 * one verifies under the new key: the backend goes on under the old
	 * key until it has a batch under the new one.
	 */
	struct mutex dl_lock;	/* what follows, up to sock */
	struct grpsec_aead_key *dl_key;	/* NULL without an association */
	struct grpsec_aead_key *dl_prev;	/* the previous K_up, or NULL */
	u8 key_hash[SHA256_DIGEST_SIZE];
	u8 dl_suite;
	u32 dl_gateway;
	struct grpsec_replay dl_replay;	/* downlink sequences under K_up */
	u64 dl_floor;		/* and none below this one */
	struct socket *sock;
	u8 *buf;
	u8 *aad;		/* what the batch tag covers, as large as buf */
	struct grpsec_batch batch;
	struct hrtimer timer;
	struct work_struct flush_work;
};

static int flush_locked(struct grpsec_upstream *up)
{
	struct grpsec_net *gn = up->gn;
	u8 nonce[GRPSEC_NONCE_LEN];
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov[2];
	u64 seq;
	u32 len;
	int err;

	lockdep_assert_held(&up->lock);
	if (!up->batch.count)
		return 0;

	/* A sequence number is spent even if sending fails. */
	if (!grpsec_seq_take(&up->seq, &seq)) {
		err = -EOVERFLOW;
		goto out_reset;
	}
	len = grpsec_batch_finish(&up->batch, up->info.suite, up->info.gateway,
				  seq);
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_BATCH, seq);
	err = grpsec_aead_key_seal_tag(up->key, nonce,
				       grpsec_batch_aad(&up->batch),
				       up->batch.aad_len);
	if (!err) {
		/* The entries as they are, then the tag after what it covers. */
		iov[0].iov_base = up->buf;
		iov[0].iov_len = len;
		iov[1].iov_base = grpsec_batch_aad(&up->batch) +
				  up->batch.aad_len;
		iov[1].iov_len = GRPSEC_TAG_LEN;
		err = kernel_sendmsg(up->sock, &msg, iov, 2,
				     len + GRPSEC_TAG_LEN);
	}
	if (err < 0) {
		struct grpsec_event ev = {
			.type = GRPSEC_EVENT_UPSTREAM_DOWN,
			.endpoint = &up->info.endpoint,
			.count = 1,
			.error = -err,
		};

		net_dbg_ratelimited("grpsec: upstream send failed: %d\n", err);
		grpsec_stats_inc(gn->stats, GRPSEC_A_STATS_TX_ERRORS);
		grpsec_event_raise(gn, &ev);
	} else {
		grpsec_stats_inc(gn->stats, GRPSEC_A_STATS_BATCHES);
		grpsec_stats_add(gn->stats, GRPSEC_A_STATS_BATCH_BYTES,
				 len + GRPSEC_TAG_LEN);
		grpsec_stats_add(gn->stats, GRPSEC_A_STATS_FORWARDED,
				 up->batch.count);
	}
out_reset:
	grpsec_batch_init(&up->batch, up->buf, up->aad, up->info.mtu,
			  up->info.batch_max);
	return err < 0 ? err : 0;
}

static void upstream_flush_work(struct work_struct *work)
{
	struct grpsec_upstream *up = container_of(work, struct grpsec_upstream,
						  flush_work);

	mutex_lock(&up->lock);
	if (up->configured)
		flush_locked(up);
	mutex_unlock(&up->lock);
}

static enum hrtimer_restart flush_timer(struct hrtimer *t)
{
	struct grpsec_upstream *up = container_of(t, struct grpsec_upstream,
						  timer);

	queue_work(grpsec_wq, &up->flush_work);
	return HRTIMER_NORESTART;
}

int grpsec_upstream_init(struct grpsec_net *gn)
{
	struct grpsec_upstream *up = kzalloc(sizeof(*up), GFP_KERNEL);

	if (!up)
		return -ENOMEM;
	mutex_init(&up->lock);
	mutex_init(&up->dl_lock);
	up->gn = gn;
	hrtimer_init(&up->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	up->timer.function = flush_timer;
	INIT_WORK(&up->flush_work, upstream_flush_work);
	gn->up = up;
	return 0;
}

/* The batch side goes; downlink checks go on as they were. */
static void release_batch_locked(struct grpsec_upstream *up)
{
	lockdep_assert_held(&up->lock);
	up->configured = false;
	grpsec_aead_key_destroy(up->key);
	up->key = NULL;
	if (up->sock)
		udp_tunnel_sock_release(up->sock);
	up->sock = NULL;
	kfree(up->buf);
	up->buf = NULL;
	kfree(up->aad);
	up->aad = NULL;
}

static void teardown_locked(struct grpsec_upstream *up)
{
	release_batch_locked(up);
	mutex_lock(&up->dl_lock);
	grpsec_aead_key_destroy(up->dl_key);
	up->dl_key = NULL;
	grpsec_aead_key_destroy(up->dl_prev);
	up->dl_prev = NULL;
	mutex_unlock(&up->dl_lock);
}

/* Nothing is sent or received any more; the state stays until uninit. */
void grpsec_upstream_stop(struct grpsec_net *gn)
{
	struct grpsec_upstream *up = gn->up;

	hrtimer_cancel(&up->timer);
	cancel_work_sync(&up->flush_work);
	mutex_lock(&up->lock);
	teardown_locked(up);
	mutex_unlock(&up->lock);
}

void grpsec_upstream_uninit(struct grpsec_net *gn)
{
	struct grpsec_upstream *up = gn->up;

	grpsec_upstream_stop(gn);
	/* The hash of K_up (key_hash) is wiped with the rest. */
	kfree_sensitive(up);
	gn->up = NULL;
}

/*
 * The upstream socket is an encap socket (it receives downlinks), and the
 * stack does not report ICMP errors to those: do what it does for other
 * connected UDP sockets, so the next send fails and raises the
 * upstream-down event.
 */
#ifdef GRPSEC_ENCAP_ERR_RCV_SKB
static void upstream_icmp(struct sock *sk, struct sk_buff *skb,
			  unsigned int udp_offset)
{
	int err;

	/* Destination unreachable only: time exceeded and the like pass. */
	if (skb->protocol == htons(ETH_P_IP)) {
		const struct icmphdr *ih = icmp_hdr(skb);

		if (ih->type != ICMP_DEST_UNREACH ||
		    ih->code == ICMP_FRAG_NEEDED)
			return;
		err = ih->code == ICMP_PORT_UNREACH ? ECONNREFUSED :
						      EHOSTUNREACH;
	} else {
		const struct icmp6hdr *ih = icmp6_hdr(skb);

		if (ih->icmp6_type != ICMPV6_DEST_UNREACH)
			return;
		err = ih->icmp6_code == ICMPV6_PORT_UNREACH ? ECONNREFUSED :
							      EHOSTUNREACH;
	}
	WRITE_ONCE(sk->sk_err, err);
	sk_error_report(sk);
}
#else
static void upstream_icmp(struct sock *sk, struct sk_buff *skb, int err,
			  __be16 port, u32 info, u8 *payload)
{
	if (err != ECONNREFUSED && err != EHOSTUNREACH && err != ENETUNREACH)
		return;
	WRITE_ONCE(sk->sk_err, err);
	sk_error_report(sk);
}
#endif

static int connect_sock(struct grpsec_net *gn,
			const union grpsec_endpoint *endpoint,
			struct socket **out)
{
	/* kernel_connect() takes no const address. */
	union grpsec_endpoint ep = *endpoint;
	int len = ep.addr.sa_family == AF_INET6 ? sizeof(ep.v6) :
						    sizeof(ep.v4);
	/* The backend may answer with downlink frames to where batches come from. */
	struct udp_tunnel_sock_cfg tcfg = {
		.sk_user_data = gn,
		.encap_type = 1,
		.encap_rcv = grpsec_receive_upstream,
		.encap_err_rcv = upstream_icmp,
	};
	struct socket *sock;
	int err;

	err = sock_create_kern(gn->net, ep.addr.sa_family, SOCK_DGRAM,
			       IPPROTO_UDP, &sock);
	if (err)
		return err;
	err = kernel_connect(sock, &ep.addr, len, 0);
	if (err) {
		sock_release(sock);
		return err;
	}
	/*
	 * Batches leave with MSG_DONTWAIT from the receive workers: a send
	 * buffer sized for the system default loses whole batches when a
	 * burst of large ones waits for the backend.
	 */
	lock_sock(sock->sk);
	sock->sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	WRITE_ONCE(sock->sk->sk_sndbuf, GRPSEC_UPSTREAM_SNDBUF);
	release_sock(sock->sk);
	setup_udp_tunnel_sock(gn->net, sock, &tcfg);
	*out = sock;
	return 0;
}

/**
 * grpsec_upstream_set - replace the upstream association
 * @gn: the instance
 * @cfg: the new one, complete
 *
 * A pending batch is sent under the old key first.  The batch sequence of
 * a new key starts at @cfg->seq_floor if there is one, else from the
 * realtime clock (seq.c); the same key again keeps its sequence, raised
 * to the floor if there is one.  A new key for the gateway id the
 * association had continues above the old key's sequence too: the
 * backend keeps one replay window per gateway across its keys (grpsecd
 * replaces K_up on every control connection), and a batch sent under
 * the old key a moment before must not share a sequence with one under
 * the new key, whatever floor the daemon read before the last batches
 * went out.
 *
 * Return: 0 or -errno.
 */
int grpsec_upstream_set(struct grpsec_net *gn,
			const struct grpsec_upstream_cfg *cfg)
{
	struct grpsec_upstream *up = gn->up;
	struct grpsec_aead_key *key, *dl_key, *dl_old, *dl_old_prev = NULL;
	u8 hash[SHA256_DIGEST_SIZE];
	struct socket *sock;
	bool same_key, same_gw, had;
	u8 *buf, *aad;
	int err;

	sha256(cfg->key, cfg->key_len, hash);
	key = grpsec_aead_key_create(cfg->suite, cfg->key, cfg->key_len);
	if (IS_ERR(key))
		return PTR_ERR(key);
	dl_key = grpsec_aead_key_create(cfg->suite, cfg->key, cfg->key_len);
	if (IS_ERR(dl_key)) {
		err = PTR_ERR(dl_key);
		goto out_free_key;
	}
	buf = kmalloc(cfg->mtu, GFP_KERNEL);
	aad = kmalloc(cfg->mtu, GFP_KERNEL);
	if (!buf || !aad) {
		err = -ENOMEM;
		goto out_free_buf;
	}
	err = connect_sock(gn, &cfg->endpoint, &sock);
	if (err)
		goto out_free_buf;

	mutex_lock(&up->lock);
	had = up->configured;
	if (up->configured)
		flush_locked(up);
	/*
	 * The same endpoint keeps its socket, and so its port: the backend
	 * sends downlinks to where the batches come from, and learns a new
	 * port only from the next batch.  The socket just made goes instead.
	 */
	if (had && up->sock && grpsec_endpoint_equal(&up->info.endpoint, &cfg->endpoint)) {
		swap(sock, up->sock);
		/*
		 * An ICMP error an earlier batch caused waits on it, for the
		 * next send to report; a new association starts clean, as
		 * a new socket would, so the first batch is not lost to it.
		 */
		sock_error(sock->sk);
	}
	release_batch_locked(up);
	/*
	 * The downlink keys change in one step, so that a downlink checked
	 * meanwhile meets either the old keys or the new ones, never none.
	 * A new key of the same gateway and suite keeps the one it replaces
	 * for downlinks in flight; the same key again keeps its predecessor.
	 */
	mutex_lock(&up->dl_lock);
	same_gw = had && up->dl_gateway == cfg->gateway && up->dl_suite == cfg->suite;
	if (same_gw && memcmp(up->key_hash, hash, sizeof(hash))) {
		dl_old = up->dl_prev;
		up->dl_prev = up->dl_key;
	} else if (same_gw) {
		dl_old = up->dl_key;
	} else {
		dl_old = up->dl_key;
		dl_old_prev = up->dl_prev;
		up->dl_prev = NULL;
	}
	up->dl_key = dl_key;
	/*
	 * The same K_up again keeps the downlink window (no replays) and
	 * the batch sequences it used (no nonce twice, even if the clock
	 * went back meanwhile).  A downlink floor (the first sequence still
	 * new, as saved before a restart) only rises.
	 */
	same_key = up->dl_suite == cfg->suite &&
		   up->dl_gateway == cfg->gateway &&
		   !memcmp(up->key_hash, hash, sizeof(hash));
	if (!same_key) {
		bool carry = had && up->dl_gateway == cfg->gateway;
		u64 prev = carry ? grpsec_seq_peek(&up->seq) : 0;

		/* Another gateway or suite: a window of its own. */
		if (!same_gw) {
			grpsec_replay_init(&up->dl_replay);
			up->dl_floor = 0;
		}
		memcpy(up->key_hash, hash, sizeof(hash));
		up->dl_suite = cfg->suite;
		up->dl_gateway = cfg->gateway;
		grpsec_seq_init(&up->seq);
		if (carry)
			grpsec_seq_set_floor(&up->seq, prev);
	}
	if (cfg->has_seq_floor)
		grpsec_seq_set_floor(&up->seq, cfg->seq_floor);
	up->dl_floor = max(up->dl_floor, cfg->dl_floor);
	mutex_unlock(&up->dl_lock);
	grpsec_aead_key_destroy(dl_old);
	grpsec_aead_key_destroy(dl_old_prev);
	memzero_explicit(hash, sizeof(hash));
	up->key = key;
	up->sock = sock;
	up->buf = buf;
	up->aad = aad;
	up->info.endpoint = cfg->endpoint;
	up->info.gateway = cfg->gateway;
	up->info.suite = cfg->suite;
	up->info.batch_max = cfg->batch_max;
	up->info.flush_usec = cfg->flush_usec;
	up->info.mtu = cfg->mtu;
	grpsec_batch_init(&up->batch, buf, aad, cfg->mtu, cfg->batch_max);
	up->configured = true;
	mutex_unlock(&up->lock);
	pr_debug("upstream set, gateway %u\n", cfg->gateway);
	return 0;

out_free_buf:
	kfree(aad);
	kfree(buf);
	grpsec_aead_key_destroy(dl_key);
out_free_key:
	grpsec_aead_key_destroy(key);
	memzero_explicit(hash, sizeof(hash));
	return err;
}

/**
 * grpsec_upstream_del - end the upstream association
 * @gn: the instance
 *
 * A pending batch is sent first.  Frames verified afterwards are dropped
 * as drop_no_upstream until an upstream is set again.
 *
 * Return: 0, or -ENOENT when there was none.
 */
int grpsec_upstream_del(struct grpsec_net *gn)
{
	struct grpsec_upstream *up = gn->up;
	int err = 0;

	mutex_lock(&up->lock);
	if (up->configured) {
		flush_locked(up);
		teardown_locked(up);
	} else {
		err = -ENOENT;
	}
	mutex_unlock(&up->lock);
	return err;
}

bool grpsec_upstream_get(struct grpsec_net *gn,
			 struct grpsec_upstream_info *info)
{
	struct grpsec_upstream *up = gn->up;
	bool ok;

	mutex_lock(&up->lock);
	ok = up->configured;
	if (ok) {
		*info = up->info;
		info->seq = grpsec_seq_peek(&up->seq);
		mutex_lock(&up->dl_lock);
		/* The floor to give back after a restart: the next one new. */
		info->dl_seq = up->dl_replay.top ?
			       max(up->dl_floor, up->dl_replay.top + 1) :
			       up->dl_floor;
		mutex_unlock(&up->dl_lock);
	}
	mutex_unlock(&up->lock);
	return ok;
}

/**
 * grpsec_upstream_add - queue verified inner parts for the backend
 * @gn: the instance
 * @items: the entries, in order
 * @n: how many, at most BITS_PER_LONG
 * @skipped: out, bit i set when @items[i] was not queued
 *
 * An entry larger than an empty batch (an MTU set too small for it) is
 * skipped; the caller counts it (as a send error) and does not count it
 * as forwarded.
 *
 * Return: 0, or -ENOTCONN when no upstream is configured (none queued).
 */
int grpsec_upstream_add(struct grpsec_net *gn,
			const struct grpsec_batch_item *const *items,
			unsigned int n, unsigned long *skipped)
{
	struct grpsec_upstream *up = gn->up;
	unsigned int i;

	*skipped = 0;
	mutex_lock(&up->lock);
	if (!up->configured) {
		mutex_unlock(&up->lock);
		return -ENOTCONN;
	}
	for (i = 0; i < n; i++) {
		if (!grpsec_batch_fits(&up->batch, items[i]->inner_len))
			flush_locked(up);
		if (grpsec_batch_add(&up->batch, items[i])) {
			__set_bit(i, skipped);
			continue;
		}
		if (up->batch.count >= up->info.batch_max)
			flush_locked(up);
	}
	mutex_unlock(&up->lock);
	return 0;
}

/*
 * Called when a worker has emptied its queue: a partial batch leaves
 * after flush_usec at the latest.
 */
void grpsec_upstream_kick(struct grpsec_net *gn)
{
	struct grpsec_upstream *up = gn->up;
	bool pending;

	mutex_lock(&up->lock);
	pending = up->configured && up->batch.count;
	if (pending && !hrtimer_active(&up->timer))
		hrtimer_start(&up->timer, ns_to_ktime((u64)up->info.flush_usec * NSEC_PER_USEC),
			      HRTIMER_MODE_REL);
	mutex_unlock(&up->lock);
}

/**
 * grpsec_upstream_check_downlink - authenticate a downlink frame
 * @gn: the instance
 * @suite: the frame's suite
 * @gateway: the frame's gateway id
 * @seq: its downlink sequence
 * @data: the frame, tag after @auth_len bytes
 * @auth_len: bytes the tag covers
 *
 * Process context.  The sequence is recorded only once the tag verified.
 *
 * Return: 0; -ENOTCONN without an upstream, -EINVAL if suite or gateway
 * id are not those of K_up, -EBADMSG for a bad tag, -EALREADY for a
 * sequence seen before, too old for the window or below the floor set
 * with the association; or another -errno.
 */
int grpsec_upstream_check_downlink(struct grpsec_net *gn, u8 suite,
				   u32 gateway, u64 seq, u8 *data,
				   u32 auth_len)
{
	struct grpsec_upstream *up = gn->up;
	u8 nonce[GRPSEC_NONCE_LEN];
	int err;

	mutex_lock(&up->dl_lock);
	if (!up->dl_key) {
		err = -ENOTCONN;
	} else if (suite != up->dl_suite || gateway != up->dl_gateway) {
		err = -EINVAL;
	} else if (seq < up->dl_floor ||
		   grpsec_replay_seen(&up->dl_replay, seq)) {
		err = -EALREADY;
	} else {
		grpsec_seq_nonce(nonce, GRPSEC_NONCE_DOWNLINK, seq);
		err = grpsec_aead_key_open_tag(up->dl_key, nonce, data,
					       auth_len);
		if (!err && up->dl_prev) {
			/* The backend seals under the new key: the old one is done. */
			grpsec_aead_key_destroy(up->dl_prev);
			up->dl_prev = NULL;
		} else if (err == -EBADMSG && up->dl_prev) {
			err = grpsec_aead_key_open_tag(up->dl_prev, nonce, data,
						       auth_len);
		}
		if (!err && !grpsec_replay_accept(&up->dl_replay, seq))
			err = -EALREADY;
	}
	mutex_unlock(&up->dl_lock);
	return err;
}
