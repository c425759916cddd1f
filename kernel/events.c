// SPDX-License-Identifier: GPL-2.0
/*
 * Events on the "events" multicast group: what an operator or grpsecd
 * must hear about (unknown members, bursts of forgeries or replays, an
 * epoch nearing its message limit, an upstream that cannot be reached).
 * Rate limited per namespace and type, so a flood of bad frames costs a
 * few messages a second, never one per frame.
 */
#include <linux/jiffies.h>
#include <net/genetlink.h>

#include "events.h"
#include "group.h"
#include "netlink.h"
#include "netns.h"

void grpsec_events_init(struct grpsec_net *gn)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(gn->event_limits); i++)
		spin_lock_init(&gn->event_limits[i].lock);
}

/* Return: the number suppressed before this one, or -1 to suppress it. */
static int limit_take(struct grpsec_event_limit *l)
{
	int ret;

	spin_lock_bh(&l->lock);
	if (time_after(jiffies, l->start + HZ)) {
		l->start = jiffies;
		l->sent = 0;
	}
	if (l->sent >= GRPSEC_EVENTS_PER_SEC) {
		l->suppressed++;
		ret = -1;
	} else {
		l->sent++;
		ret = l->suppressed;
		l->suppressed = 0;
	}
	spin_unlock_bh(&l->lock);
	return ret;
}

static int put_event(struct sk_buff *msg, const struct grpsec_event *ev,
		     u32 suppressed)
{
	const union grpsec_endpoint *ep = ev->endpoint;
	struct nlattr *nest = nla_nest_start(msg, GRPSEC_A_EVENT);

	if (!nest ||
	    nla_put_u8(msg, GRPSEC_A_EVENT_TYPE, ev->type) ||
	    (ev->group && nla_put_u32(msg, GRPSEC_A_EVENT_GROUP, ev->group)) ||
	    (ev->member && nla_put_u32(msg, GRPSEC_A_EVENT_MEMBER, ev->member)) ||
	    (ev->type == GRPSEC_EVENT_EPOCH_LIMIT_NEAR &&
	     nla_put_u32(msg, GRPSEC_A_EVENT_EPOCH, ev->epoch)) ||
	    (ep && ep->addr.sa_family == AF_INET &&
	     nla_put(msg, GRPSEC_A_EVENT_ENDPOINT, sizeof(ep->v4), &ep->v4)) ||
	    (ep && ep->addr.sa_family == AF_INET6 &&
	     nla_put(msg, GRPSEC_A_EVENT_ENDPOINT, sizeof(ep->v6), &ep->v6)) ||
	    nla_put_u64_64bit(msg, GRPSEC_A_EVENT_COUNT, ev->count,
			      GRPSEC_A_EVENT_PAD) ||
	    (ev->limit && nla_put_u64_64bit(msg, GRPSEC_A_EVENT_LIMIT, ev->limit,
					    GRPSEC_A_EVENT_PAD)) ||
	    (ev->error && nla_put_u32(msg, GRPSEC_A_EVENT_ERROR, ev->error)) ||
	    nla_put_u32(msg, GRPSEC_A_EVENT_SUPPRESSED, suppressed))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/**
 * grpsec_event_raise - tell the listeners, if any, within the rate limit
 * @gn: the instance whose namespace hears it
 * @ev: the event
 *
 * Process context.
 */
void grpsec_event_raise(struct grpsec_net *gn, const struct grpsec_event *ev)
{
	struct sk_buff *msg;
	int suppressed;
	void *hdr;

	if (!genl_has_listeners(&grpsec_family, gn->net, 0))
		return;
	suppressed = limit_take(&gn->event_limits[ev->type]);
	if (suppressed < 0)
		return;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &grpsec_family, 0, GRPSEC_CMD_EVENT);
	if (!hdr || put_event(msg, ev, suppressed)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&grpsec_family, gn->net, msg, 0, 0, GFP_KERNEL);
}

/**
 * grpsec_event_suppress - decide before process context that an event
 * would not be sent
 * @gn: the instance
 * @type: the event's type
 *
 * For a frame dropped where grpsec_event_raise() cannot be called: with
 * no listener, or with this second's events of @type all sent, the
 * event is counted as suppressed (the next one sent says so) exactly as
 * grpsec_event_raise() would count it.  Any context.
 *
 * Return: true if the event is not to be sent; false if it may be, and
 * the frame must reach grpsec_event_raise() in process context.
 */
bool grpsec_event_suppress(struct grpsec_net *gn, u8 type)
{
	struct grpsec_event_limit *l = &gn->event_limits[type];
	bool full;

	if (!genl_has_listeners(&grpsec_family, gn->net, 0))
		return true;
	spin_lock_bh(&l->lock);
	full = !time_after(jiffies, l->start + HZ) &&
	       l->sent >= GRPSEC_EVENTS_PER_SEC;
	if (full)
		l->suppressed++;
	spin_unlock_bh(&l->lock);
	return full;
}

/**
 * grpsec_epoch_charge - count one message sealed under a group's epoch
 * @gn: the instance
 * @g: the group
 * @epoch: the epoch the message was sealed in
 *
 * Members' frames and the gateway's own commands alike: raises the
 * near-limit event once per epoch.  Process context.
 *
 * Return: true while the epoch is within its limit, false past it.
 */
bool grpsec_epoch_charge(struct grpsec_net *gn, struct grpsec_group *g,
			 u32 epoch)
{
	bool warn;
	u64 used = grpsec_group_use(g, epoch, &warn);

	if (warn) {
		struct grpsec_event ev = {
			.type = GRPSEC_EVENT_EPOCH_LIMIT_NEAR,
			.group = g->id,
			.epoch = epoch,
			.count = used,
			.limit = g->msg_limit,
		};

		grpsec_event_raise(gn, &ev);
	}
	return used <= READ_ONCE(g->msg_limit);
}
