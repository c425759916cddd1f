/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_NETNS_H
#define _GRPSEC_NETNS_H

#include <linux/mutex.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "events.h"
#include "stats.h"

struct grpsec_upstream;
struct grpsec_downlink;
struct socket;
struct grpsec_crypto;
struct grpsec_rx_scratch;

/* Frames waiting for one CPU's verification worker. */
struct grpsec_rx_queue {
	struct sk_buff_head queue;
	struct work_struct work;
	struct grpsec_net *gn;
	struct grpsec_crypto *crypto;
	struct grpsec_rx_scratch *scratch;
	int keys_forgotten;		/* grpsec_net.keys_retired, when idle */
};

/* One grpsec instance per network namespace. */
struct grpsec_net {
	struct net *net;
	struct mutex lock;		/* serialises configuration */
	struct xarray groups;		/* group id -> group, RCU readers */
	u32 nr_groups;
	u32 nr_members;
	unsigned int generation;	/* bumped by every change, for dumps */
	u16 port;
	struct socket *sock[2];		/* IPv4, IPv6 listen sockets */
	struct grpsec_rx_queue __percpu *rxq;
	atomic_t keys_retired;		/* bumped when member keys go */
	atomic_t rollovers;		/* keys retired by a rollover here */
	struct delayed_work forget_work;	/* wakes CPUs after rollovers */
	bool dying;			/* torn down: no work re-armed */
	struct grpsec_upstream *up;
	struct grpsec_downlink *dl;
	struct mutex deliver_lock;	/* creating deliver_sock */
	struct socket *deliver_sock[2];	/* terminate mode: IPv4, IPv6 */
	struct grpsec_stats __percpu *stats;
	struct grpsec_event_limit event_limits[__GRPSEC_EVENT_MAX];
	/* Softirq looks groups and members up until then (receive.c). */
	unsigned long unknown_until;
};

extern struct workqueue_struct *grpsec_wq;

struct grpsec_net *grpsec_net(struct net *net);
int grpsec_netns_init(void);
void grpsec_netns_uninit(void);

#endif /* _GRPSEC_NETNS_H */
