// SPDX-License-Identifier: GPL-2.0
/*
 * Downlink: frames from the backend (type 3), authenticated under K_up,
 * and the fan-out that turns each into command or rekey frames (types 4
 * and 5), one per recipient, tagged under the recipient's K_m[e].
 *
 * Softirq only queues a downlink frame.  Process context checks it and
 * queues a fan-out job; one work item sends the jobs' frames in order, a
 * chunk of members at a time, so a command to 10,000 members neither
 * holds up the receive path nor runs for long without yielding, and the
 * gateway sequences reach each member in increasing order.
 */
#include <linux/delay.h>
#include <linux/grpsec.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "aead.h"
#include "downlink.h"
#include "frame.h"
#include "group.h"
#include "member.h"
#include "netns.h"
#include "seq.h"
#include "upstream.h"

/* Downlink frames waiting for their check; beyond this they are dropped. */
#define GRPSEC_DL_QUEUE_MAX	1024
/* Fan-out jobs waiting; a full queue refuses new ones. */
#define GRPSEC_TX_JOBS_MAX	256
/* Members served per run of the send work. */
#define GRPSEC_TX_CHUNK		256

struct grpsec_tx_job {
	struct list_head list;
	u32 group;
	u32 member;		/* 0: every member */
	u8 type;		/* GRPSEC_TYPE_COMMAND or _REKEY */
	u8 flags;
	unsigned long next;	/* member id to continue from */
	u16 body_len;
	u8 body[];
};

struct grpsec_downlink {
	struct grpsec_net *gn;
	/*
	 * Downlinks from the upstream socket (the backend's address) and
	 * from the listen sockets (anyone's) wait apart, and the former go
	 * first: a flood of forgeries at the public port takes neither their
	 * room nor their turn.
	 */
	struct sk_buff_head rxq[2];	/* GRPSEC_DL_FROM_* */
	struct work_struct rx_work;

	spinlock_t lock;	/* jobs, nr_jobs, seq */
	struct list_head jobs;
	unsigned int nr_jobs;
	struct work_struct tx_work;
	struct grpsec_seq seq;	/* the gateway sequence */

	/* The send work's own state. */
	struct grpsec_aead_key *key[GRPSEC_SUITE_MAX + 1];
	u8 *frame;
	struct grpsec_member *batch[GRPSEC_TX_CHUNK];
};

static void count(struct grpsec_net *gn, struct grpsec_group *g,
		  unsigned int idx)
{
	grpsec_stats_inc(gn->stats, idx);
	if (g)
		grpsec_stats_inc(g->stats, idx);
}

/**
 * grpsec_fanout_queue - send a body to a group's members, or to one
 * @gn: the instance
 * @group: group id
 * @member: member id, 0 for every member of the group
 * @type: GRPSEC_TYPE_COMMAND or GRPSEC_TYPE_REKEY
 * @flags: the frame's flags byte
 * @body: the body, copied
 * @len: its length, 1..GRPSEC_BODY_MAX
 * @gfp: GFP_KERNEL, or GFP_ATOMIC under rcu_read_lock()
 *
 * Return: 0, or -ENOBUFS when too many jobs wait already, or -ENOMEM.
 */
int grpsec_fanout_queue(struct grpsec_net *gn, u32 group, u32 member, u8 type,
			u8 flags, const u8 *body, u16 len, gfp_t gfp)
{
	struct grpsec_downlink *dl = gn->dl;
	struct grpsec_tx_job *job;
	int err = 0;

	if (WARN_ON_ONCE(!len || len > GRPSEC_BODY_MAX))
		return -EINVAL;
	job = kmalloc(struct_size(job, body, len), gfp);
	if (!job)
		return -ENOMEM;
	job->group = group;
	job->member = member;
	job->type = type;
	job->flags = flags;
	job->next = 0;
	job->body_len = len;
	memcpy(job->body, body, len);

	spin_lock_bh(&dl->lock);
	if (dl->nr_jobs < GRPSEC_TX_JOBS_MAX) {
		list_add_tail(&job->list, &dl->jobs);
		dl->nr_jobs++;
	} else {
		err = -ENOBUFS;
	}
	spin_unlock_bh(&dl->lock);
	if (err) {
		kfree(job);
		return err;
	}
	queue_work(grpsec_wq, &dl->tx_work);
	return 0;
}

/* The next gateway sequence; false once the counter is used up. */
static bool tx_seq(struct grpsec_downlink *dl, u64 *seq)
{
	bool ok;

	spin_lock_bh(&dl->lock);
	ok = grpsec_seq_take(&dl->seq, seq);
	spin_unlock_bh(&dl->lock);
	return ok;
}

/* GRPSEC_A_GATEWAY_SEQ: the next gateway sequence. */
u64 grpsec_downlink_seq(struct grpsec_net *gn)
{
	u64 seq;

	spin_lock_bh(&gn->dl->lock);
	seq = grpsec_seq_peek(&gn->dl->seq);
	spin_unlock_bh(&gn->dl->lock);
	return seq;
}

void grpsec_downlink_seq_floor(struct grpsec_net *gn, u64 floor)
{
	spin_lock_bh(&gn->dl->lock);
	grpsec_seq_set_floor(&gn->dl->seq, floor);
	spin_unlock_bh(&gn->dl->lock);
}

static const u8 zero_key[GRPSEC_KEY_MAX];

/* The send work's transform for @suite, keyed per frame. */
static struct grpsec_aead_key *tx_key(struct grpsec_downlink *dl, u8 suite)
{
	struct grpsec_aead_key *k = dl->key[suite];

	if (k)
		return k;
	k = grpsec_aead_key_create(suite, zero_key,
				   grpsec_suite_keylen(suite));
	if (IS_ERR(k))
		return NULL;
	dl->key[suite] = k;
	return k;
}

/* A full send buffer is waited out this often, a millisecond at a time. */
#define GRPSEC_TX_RETRIES	500

/*
 * Send @len bytes of dl->frame to @to from the listen socket, so replies
 * pass the NAT mappings the members' own frames opened.  A fan-out can
 * outrun the device: a full socket buffer is waited for, briefly, rather
 * than the frame lost.  gn->lock keeps the socket open during one send.
 */
static int tx_send(struct grpsec_downlink *dl, const union grpsec_endpoint *to,
		   u32 len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct grpsec_net *gn = dl->gn;
	int tries = GRPSEC_TX_RETRIES;
	struct socket *sock;
	struct kvec iov;
	int err;

	msg.msg_namelen = to->addr.sa_family == AF_INET6 ? sizeof(to->v6) :
							   sizeof(to->v4);
	do {
		msg.msg_name = (struct sockaddr *)&to->addr;
		iov.iov_base = dl->frame;
		iov.iov_len = len;
		mutex_lock(&gn->lock);
		sock = gn->sock[to->addr.sa_family == AF_INET6];
		err = sock ? kernel_sendmsg(sock, &msg, &iov, 1, len) :
			     -ENOTCONN;
		mutex_unlock(&gn->lock);
		if (err != -EAGAIN && err != -ENOBUFS)
			break;
		usleep_range(1000, 2000);
	} while (--tries);
	return err;
}

/*
 * A signed command for every member of a group with a multicast address
 * leaves once, untagged (frames.rst, "Multicast command frames").
 * Return: true if @job was sent (or failed) that way.
 */
static bool tx_multicast(struct grpsec_downlink *dl, struct grpsec_tx_job *job)
{
	struct grpsec_net *gn = dl->gn;
	union grpsec_endpoint to;
	struct grpsec_mframe f;
	struct grpsec_group *g;
	bool sent = false;
	u64 seq = 0;
	u32 len;
	int err;

	/* Decided once per job: a unicast fan-out under way goes on. */
	if (job->member || job->next || job->type != GRPSEC_TYPE_COMMAND ||
	    (job->flags & GRPSEC_MFRAME_F_GATEWAY))
		return false;
	rcu_read_lock();
	g = grpsec_group_lookup(gn, job->group);
	if (g && !refcount_inc_not_zero(&g->refs))
		g = NULL;
	rcu_read_unlock();
	if (!g)
		return false;
	if (grpsec_group_mcast(g, &to)) {
		err = tx_seq(dl, &seq) ? 0 : -EOVERFLOW;
		f = (struct grpsec_mframe) {
			.type = GRPSEC_TYPE_COMMAND,
			.suite = g->suite,
			.flags = GRPSEC_MFRAME_F_MULTICAST |
				 GRPSEC_MFRAME_F_GROUP,
			.group = g->id,
			.seq = seq,
			.body_len = job->body_len,
		};
		if (!err) {
			len = grpsec_mframe_build(dl->frame, &f, job->body);
			err = tx_send(dl, &to, len);
		}
		count(gn, g, err < 0 ? GRPSEC_A_STATS_TX_ERRORS :
				       GRPSEC_A_STATS_TX_FRAMES);
		sent = true;
	}
	grpsec_group_put(g);
	return sent;
}

/* One command or rekey frame to @m. */
static void tx_one(struct grpsec_downlink *dl, struct grpsec_tx_job *job,
		   struct grpsec_member *m)
{
	struct grpsec_net *gn = dl->gn;
	struct grpsec_group *g = m->group;
	u8 key[GRPSEC_KEY_MAX], nonce[GRPSEC_NONCE_LEN];
	struct grpsec_mframe f;
	union grpsec_endpoint to;
	struct grpsec_aead_key *k;
	u32 auth_len, epoch;
	u64 seq;
	int err;

	/*
	 * The rollover rule (frames.rst, "Rollover"): the key of the newest
	 * epoch the member's own frames have verified under, so a member
	 * that applied a rekey but has not sent under it yet still gets
	 * frames under the key it holds from before.
	 */
	if (!grpsec_member_tx_key(m, key, &epoch, &to)) {
		count(gn, g, GRPSEC_A_STATS_TX_NO_ENDPOINT);
		return;
	}
	k = tx_key(dl, g->suite);
	err = -ENOMEM;
	if (!k)
		goto out_error;
	err = grpsec_aead_key_setkey(k, key, grpsec_suite_keylen(g->suite));
	if (err)
		goto out_error;

	/* Never used twice, whatever the clock says: see seq.c. */
	err = -EOVERFLOW;
	if (!tx_seq(dl, &seq))
		goto out_error;
	f = (struct grpsec_mframe) {
		.type = job->type,
		.suite = g->suite,
		.flags = job->flags,
		.group = g->id,
		.member = m->id,
		.epoch = epoch,
		.seq = seq,
		.body_len = job->body_len,
	};
	/*
	 * A body for the whole group was signed and sealed for recipient 0:
	 * the flag tells the member so (a rekey always names its member).
	 */
	if (!job->member)
		f.flags |= GRPSEC_MFRAME_F_GROUP;
	auth_len = grpsec_mframe_build(dl->frame, &f, job->body);
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_DOWNLINK, seq);
	err = grpsec_aead_key_seal_tag(k, nonce, dl->frame, auth_len);
	if (err)
		goto out_error;

	err = tx_send(dl, &to, auth_len + GRPSEC_TAG_LEN);
	if (err >= 0) {
		count(gn, g, GRPSEC_A_STATS_TX_FRAMES);
		memzero_explicit(key, sizeof(key));
		return;
	}
out_error:
	net_dbg_ratelimited("grpsec: member %u/%u: frame not sent: %d\n",
			    g->id, m->id, err);
	count(gn, g, GRPSEC_A_STATS_TX_ERRORS);
	memzero_explicit(key, sizeof(key));
}

/*
 * Take references on the job's next members.  Return: how many, and
 * whether the job has none left after them.
 */
static unsigned int tx_collect(struct grpsec_downlink *dl,
			       struct grpsec_tx_job *job, bool *last)
{
	struct grpsec_member *m;
	struct grpsec_group *g;
	unsigned long id;
	unsigned int n = 0;

	*last = true;
	rcu_read_lock();
	g = grpsec_group_lookup(dl->gn, job->group);
	if (!g)
		goto out_unlock;
	if (job->member) {
		m = grpsec_member_get(g, job->member);
		if (m)
			dl->batch[n++] = m;
		goto out_unlock;
	}
	xa_for_each_start(&g->members, id, m, job->next) {
		if (n == GRPSEC_TX_CHUNK) {
			job->next = id;
			*last = false;
			break;
		}
		if (refcount_inc_not_zero(&m->refs))
			dl->batch[n++] = m;
	}
out_unlock:
	rcu_read_unlock();
	return n;
}

/* Idle: the transforms keep no member's key schedule. */
static void tx_forget_keys(struct grpsec_downlink *dl)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(dl->key); i++)
		if (dl->key[i])
			grpsec_aead_key_setkey(dl->key[i], zero_key,
					       grpsec_suite_keylen(i));
}

static void tx_work(struct work_struct *work)
{
	struct grpsec_downlink *dl = container_of(work, struct grpsec_downlink,
						  tx_work);
	struct grpsec_net *gn = dl->gn;
	struct grpsec_tx_job *job;
	unsigned int n, i;
	bool last, more;

	spin_lock_bh(&dl->lock);
	job = list_first_entry_or_null(&dl->jobs, struct grpsec_tx_job, list);
	spin_unlock_bh(&dl->lock);
	if (!job)
		return;

	if (!dl->frame)
		dl->frame = kmalloc(GRPSEC_MFRAME_MAX, GFP_KERNEL);
	if (dl->frame && tx_multicast(dl, job)) {
		n = 0;
		last = true;
	} else {
		n = tx_collect(dl, job, &last);
	}
	for (i = 0; i < n; i++) {
		if (dl->frame)
			tx_one(dl, job, dl->batch[i]);
		else
			count(gn, dl->batch[i]->group,
			      GRPSEC_A_STATS_DROP_NOMEM);
	}
	for (i = 0; i < n; i++)
		grpsec_member_put(dl->batch[i]);

	spin_lock_bh(&dl->lock);
	if (last) {
		list_del(&job->list);
		dl->nr_jobs--;
	}
	more = !list_empty(&dl->jobs);
	spin_unlock_bh(&dl->lock);
	if (last)
		kfree(job);
	if (more)
		queue_work(grpsec_wq, &dl->tx_work);
	else
		tx_forget_keys(dl);
}

/* Check one downlink frame and queue its fan-out.  Return: 0 or a counter. */
static int downlink_one(struct grpsec_net *gn, struct sk_buff *skb)
{
	struct grpsec_downlink_frame dl;
	struct grpsec_group *g;
	int err, idx;

	if (grpsec_downlink_parse(skb->data, skb->len, &dl))
		return GRPSEC_A_STATS_DL_DROP_MALFORMED;
	err = grpsec_upstream_check_downlink(gn, dl.suite, dl.gateway, dl.seq,
					     skb->data, dl.auth_len);
	if (err == -EBADMSG)
		return GRPSEC_A_STATS_DL_DROP_BAD_TAG;
	if (err == -EALREADY)
		return GRPSEC_A_STATS_DL_DROP_REPLAY;
	if (err)
		return GRPSEC_A_STATS_DL_DROP_MALFORMED;

	rcu_read_lock();
	g = grpsec_group_lookup(gn, dl.group);
	if (!g) {
		idx = GRPSEC_A_STATS_DL_DROP_UNKNOWN;
	} else if (dl.member && !xa_load(&g->members, dl.member)) {
		idx = GRPSEC_A_STATS_DL_DROP_UNKNOWN;
	} else {
		err = grpsec_fanout_queue(gn, dl.group, dl.member,
					  dl.kind == GRPSEC_KIND_COMMAND ?
					  GRPSEC_TYPE_COMMAND :
					  GRPSEC_TYPE_REKEY,
					  0, dl.body, dl.body_len, GFP_ATOMIC);
		if (err == -ENOBUFS)
			idx = GRPSEC_A_STATS_DROP_QUEUE_FULL;
		else if (err)
			idx = GRPSEC_A_STATS_DROP_NOMEM;
		else
			idx = GRPSEC_A_STATS_DOWNLINKS;
	}
	if (g)
		grpsec_stats_inc(g->stats, idx);
	rcu_read_unlock();
	return idx;
}

static void rx_work(struct work_struct *work)
{
	struct grpsec_downlink *dl = container_of(work, struct grpsec_downlink,
						  rx_work);
	struct sk_buff_head frames;
	struct sk_buff *skb;
	int i, idx;

	__skb_queue_head_init(&frames);
	for (i = 0; i < ARRAY_SIZE(dl->rxq); i++) {
		spin_lock_bh(&dl->rxq[i].lock);
		skb_queue_splice_tail_init(&dl->rxq[i], &frames);
		spin_unlock_bh(&dl->rxq[i].lock);
	}

	while ((skb = __skb_dequeue(&frames))) {
		idx = downlink_one(dl->gn, skb);
		grpsec_stats_inc(dl->gn->stats, idx);
		if (idx == GRPSEC_A_STATS_DOWNLINKS) {
			consume_skb(skb);
		} else {
			net_dbg_ratelimited("grpsec: dropped downlink: reason %d\n",
					    idx);
			kfree_skb(skb);
		}
		cond_resched();
	}
}

/**
 * grpsec_downlink_receive - queue a downlink frame for its check
 * @gn: the instance
 * @skb: the frame, linear, data at the grpsec header
 * @from: GRPSEC_DL_FROM_UPSTREAM or GRPSEC_DL_FROM_LISTEN
 *
 * Softirq.  The frame is consumed.
 */
void grpsec_downlink_receive(struct grpsec_net *gn, struct sk_buff *skb,
			     int from)
{
	struct grpsec_downlink *dl = gn->dl;
	struct sk_buff_head *q = &dl->rxq[from];

	if (skb_queue_len_lockless(q) >= GRPSEC_DL_QUEUE_MAX) {
		grpsec_stats_inc(gn->stats, GRPSEC_A_STATS_DROP_QUEUE_FULL);
		kfree_skb(skb);
		return;
	}
	skb_dst_drop(skb);
	skb_queue_tail(q, skb);
	queue_work(grpsec_wq, &dl->rx_work);
}

int grpsec_downlink_init(struct grpsec_net *gn)
{
	struct grpsec_downlink *dl = kzalloc(sizeof(*dl), GFP_KERNEL);

	if (!dl)
		return -ENOMEM;
	dl->gn = gn;
	skb_queue_head_init(&dl->rxq[GRPSEC_DL_FROM_UPSTREAM]);
	skb_queue_head_init(&dl->rxq[GRPSEC_DL_FROM_LISTEN]);
	INIT_WORK(&dl->rx_work, rx_work);
	spin_lock_init(&dl->lock);
	INIT_LIST_HEAD(&dl->jobs);
	grpsec_seq_init(&dl->seq);
	INIT_WORK(&dl->tx_work, tx_work);
	gn->dl = dl;
	return 0;
}

/* The sockets are closed: nothing arrives or leaves any more. */
void grpsec_downlink_uninit(struct grpsec_net *gn)
{
	struct grpsec_downlink *dl = gn->dl;
	struct grpsec_tx_job *job, *tmp;
	int i;

	cancel_work_sync(&dl->rx_work);
	skb_queue_purge(&dl->rxq[GRPSEC_DL_FROM_UPSTREAM]);
	skb_queue_purge(&dl->rxq[GRPSEC_DL_FROM_LISTEN]);
	/* Jobs queued by a downlink checked meanwhile are freed below. */
	cancel_work_sync(&dl->tx_work);
	list_for_each_entry_safe(job, tmp, &dl->jobs, list)
		kfree(job);
	for (i = 0; i < ARRAY_SIZE(dl->key); i++)
		grpsec_aead_key_destroy(dl->key[i]);
	kfree(dl->frame);
	kfree(dl);
	gn->dl = NULL;
}
