// SPDX-License-Identifier: GPL-2.0
/*
 * Terminate mode: for a group whose K_G[e] the gateway holds, the gateway
 * is the far end.  Uplink messages are opened here and delivered to a
 * local UDP port (Documentation/frames.rst, "Local delivery"); commands
 * from a local application (GRPSEC_CMD_SEND) are sealed here and fanned
 * out like the backend's.
 */
#include <linux/grpsec.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <net/udp_tunnel.h>

#include "aead.h"
#include "downlink.h"
#include "events.h"
#include "frame.h"
#include "group.h"
#include "netns.h"
#include "terminate.h"

/* Whatever is sent to the delivery socket is dropped, never queued. */
static int deliver_rcv(struct sock *sk, struct sk_buff *skb)
{
	kfree_skb(skb);
	return 0;
}

/*
 * The socket deliveries leave from, made on first use: bound to the
 * loopback address, so no other host can reach it, and a UDP tunnel
 * socket whose encap hook drops what arrives, so nothing accumulates
 * in a receive queue nobody reads.
 */
static struct socket *deliver_sock(struct grpsec_net *gn, int family)
{
	struct udp_tunnel_sock_cfg tcfg = {
		.encap_type = 1,
		.encap_rcv = deliver_rcv,
	};
	struct udp_port_cfg cfg = {
		.family = family,
		.ipv6_v6only = 1,
	};
	int i = family == AF_INET6;
	struct socket *sock;

	/* Pairs with the release below: a socket seen is fully made. */
	sock = smp_load_acquire(&gn->deliver_sock[i]);
	if (sock)
		return sock;
	if (family == AF_INET6)
		cfg.local_ip6 = in6addr_loopback;
	else
		cfg.local_ip.s_addr = htonl(INADDR_LOOPBACK);
	mutex_lock(&gn->deliver_lock);
	sock = gn->deliver_sock[i];
	if (!sock && !udp_sock_create(gn->net, &cfg, &sock)) {
		setup_udp_tunnel_sock(gn->net, sock, &tcfg);
		smp_store_release(&gn->deliver_sock[i], sock);	/* see above */
	}
	mutex_unlock(&gn->deliver_lock);
	return gn->deliver_sock[i];
}

void grpsec_terminate_uninit(struct grpsec_net *gn)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(gn->deliver_sock); i++) {
		if (gn->deliver_sock[i])
			udp_tunnel_sock_release(gn->deliver_sock[i]);
		gn->deliver_sock[i] = NULL;
	}
}

static struct grpsec_aead_key *group_key(struct grpsec_group *g, u32 epoch)
{
	int i;

	lockdep_assert_held(&g->key_lock);
	for (i = 0; i < ARRAY_SIZE(g->key); i++)
		if (g->key[i].aead && g->key[i].epoch == epoch)
			return g->key[i].aead;
	return NULL;
}

/**
 * grpsec_terminate_deliver - open a verified uplink message and deliver it
 * @gn: the instance
 * @g: the frame's group, in terminate mode
 * @up: the parsed frame, whose outer tag and sequence were accepted
 * @skb: the frame; its data is overwritten
 *
 * Process context.  The inner AAD is written over the frame's header and
 * the delivery header over the inner nonce and tag, so the datagram is sent from
 * the frame's own buffer.
 *
 * Return: 0 when delivered, or the drop counter.
 */
int grpsec_terminate_deliver(struct grpsec_net *gn, struct grpsec_group *g,
			     const struct grpsec_uplink *up,
			     struct sk_buff *skb)
{
	u32 n = up->inner_len - GRPSEC_INNER_OVERHEAD;
	struct grpsec_inner_aad *aad;
	struct grpsec_deliver_hdr *dh;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	union grpsec_endpoint to;
	u8 nonce[GRPSEC_NONCE_LEN];
	struct grpsec_aead_key *k;
	struct socket *sock;
	struct kvec iov;
	u8 *inner;
	int err;

	BUILD_BUG_ON(sizeof(*aad) > sizeof(struct grpsec_uplink_hdr));
	BUILD_BUG_ON(sizeof(*dh) > GRPSEC_UPLINK_HEAD_LEN);
	/* Written in place: a clone (a packet tap) must not see it. */
	if (skb_unclone(skb, GFP_KERNEL))
		return GRPSEC_A_STATS_DROP_NOMEM;
	inner = skb->data + sizeof(struct grpsec_uplink_hdr);
	if (WARN_ON_ONCE(skb->len != sizeof(struct grpsec_uplink_hdr) +
				     up->inner_len + GRPSEC_TAG_LEN))
		return GRPSEC_A_STATS_DROP_NOMEM;

	down_read(&g->key_lock);
	to = g->deliver;
	k = group_key(g, up->epoch);
	if (!k) {
		up_read(&g->key_lock);
		return GRPSEC_A_STATS_DROP_STALE_EPOCH;
	}
	if (to.addr.sa_family == AF_UNSPEC) {
		up_read(&g->key_lock);
		return GRPSEC_A_STATS_DROP_NO_UPSTREAM;
	}

	memcpy(nonce, inner, sizeof(nonce));
	aad = (struct grpsec_inner_aad *)(inner - sizeof(*aad));
	*aad = (struct grpsec_inner_aad) {
		.version = GRPSEC_WIRE_VERSION,
		.direction = GRPSEC_DIR_UPLINK,
		.suite = up->suite,
		.mode = GRPSEC_MODE_ANONYMOUS,
		.group = htonl(up->group),
		.epoch = htonl(up->epoch),
		.member = 0,
	};
	/* The inner tag goes over the verified outer tag, after the text. */
	memcpy(inner + GRPSEC_INNER_OVERHEAD + n, inner + GRPSEC_NONCE_LEN,
	       GRPSEC_TAG_LEN);
	err = grpsec_aead_key_open(k, nonce, (const u8 *)aad, sizeof(*aad),
				   inner + GRPSEC_INNER_OVERHEAD,
				   n + GRPSEC_TAG_LEN);
	up_read(&g->key_lock);
	if (err == -EBADMSG)
		return GRPSEC_A_STATS_DROP_INNER_TAG;
	if (err)
		return GRPSEC_A_STATS_DROP_NOMEM;

	dh = (struct grpsec_deliver_hdr *)(inner + GRPSEC_INNER_OVERHEAD -
					   sizeof(*dh));
	*dh = (struct grpsec_deliver_hdr) {
		.version = GRPSEC_WIRE_VERSION,
		.type = GRPSEC_TYPE_UPLINK,
		.suite = up->suite,
		.group = htonl(up->group),
		.epoch = htonl(up->epoch),
		.member = htonl(up->member),
		.seq = cpu_to_be64(up->seq),
	};
	sock = deliver_sock(gn, to.addr.sa_family);
	msg.msg_name = &to.addr;
	msg.msg_namelen = to.addr.sa_family == AF_INET6 ? sizeof(to.v6) :
							  sizeof(to.v4);
	iov.iov_base = dh;
	iov.iov_len = sizeof(*dh) + n;
	/* No loopback address (lo down) is a failed delivery too. */
	err = sock ? kernel_sendmsg(sock, &msg, &iov, 1, iov.iov_len) :
		     -EADDRNOTAVAIL;
	memzero_explicit(dh + 1, n);
	if (err < 0) {
		net_dbg_ratelimited("grpsec: group %u: delivery failed: %d\n",
				    g->id, err);
		grpsec_stats_inc(gn->stats, GRPSEC_A_STATS_TX_ERRORS);
		grpsec_stats_inc(g->stats, GRPSEC_A_STATS_TX_ERRORS);
		return GRPSEC_A_STATS_DROP_NO_UPSTREAM;
	}
	return 0;
}

/**
 * grpsec_terminate_send - a command from the gateway itself
 * @gn: the instance (gn->lock held)
 * @g: the group, in terminate mode
 * @member: one member, or 0 for all
 * @data: the command's plaintext
 * @len: its length, at most GRPSEC_SEND_MAX
 * @seq: out, the command sequence used
 *
 * The body (frames.rst, "Command body", without signature) is sealed
 * under the group's current K_G[e] and queued for the fan-out.
 *
 * The seal counts against the epoch's message limit like a member's
 * frame: K_G[e]'s random nonces are bounded.
 *
 * Return: 0, -ENOKEY without a current group key, -EOVERFLOW when the
 * group's command sequence is used up, -EDQUOT when the epoch's limit is
 * reached, or -errno.
 */
int grpsec_terminate_send(struct grpsec_net *gn, struct grpsec_group *g,
			  u32 member, const u8 *data, u32 len, u64 *seq)
{
	u32 body_len = GRPSEC_CMD_BODY_HDR + len + GRPSEC_TAG_LEN;
	u8 nonce[GRPSEC_NONCE_LEN];
	struct grpsec_aead_key *k;
	struct grpsec_mframe f;
	u8 *buf, *body;
	int err;

	lockdep_assert_held(&gn->lock);
	if (len > GRPSEC_SEND_MAX)
		return -EMSGSIZE;
	/* One buffer: the 24-byte AAD, then the body. */
	buf = kzalloc(GRPSEC_CMD_AAD_LEN + body_len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	body = buf + GRPSEC_CMD_AAD_LEN;

	down_read(&g->key_lock);
	k = g->key[GRPSEC_KEY_SLOT_CURRENT].aead;
	if (!k) {
		err = -ENOKEY;
		goto out_unlock;
	}
	f = (struct grpsec_mframe) {
		.suite = g->suite,
		.group = g->id,
		.member = member,	/* the recipient the AAD binds */
		.epoch = g->key[GRPSEC_KEY_SLOT_CURRENT].epoch,
	};
	/* Spent even if the queue refuses it: never used twice. */
	if (!grpsec_seq_take(&g->cmd_seq, &f.seq)) {
		err = -EOVERFLOW;
		goto out_unlock;
	}
	if (!grpsec_epoch_charge(gn, g, f.epoch)) {
		err = -EDQUOT;
		goto out_unlock;
	}
	get_random_bytes(nonce, sizeof(nonce));
	grpsec_command_layout(buf, &f, g->mode, nonce, data, len);
	err = grpsec_aead_key_seal(k, nonce, buf, GRPSEC_CMD_AAD_LEN,
				   body + GRPSEC_CMD_BODY_HDR, len);
out_unlock:
	up_read(&g->key_lock);
	if (!err) {
		*seq = f.seq;
		err = grpsec_fanout_queue(gn, g->id, member,
					  GRPSEC_TYPE_COMMAND,
					  GRPSEC_MFRAME_F_GATEWAY, body,
					  body_len, GFP_KERNEL);
	}
	kfree_sensitive(buf);
	return err;
}
