// SPDX-License-Identifier: GPL-2.0
/*
 * One grpsec instance per network namespace, created with the namespace
 * and torn down with it: sockets first, so nothing new arrives, then the
 * queued frames, the upstream, the downlink queues and finally groups and
 * members.
 */
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "downlink.h"
#include "group.h"
#include "netns.h"
#include "receive.h"
#include "socket.h"
#include "terminate.h"
#include "upstream.h"

static unsigned int grpsec_net_id __read_mostly;

struct grpsec_net *grpsec_net(struct net *net)
{
	return net_generic(net, grpsec_net_id);
}

static int __net_init grpsec_net_init(struct net *net)
{
	struct grpsec_net *gn = grpsec_net(net);
	int cpu, err;

	gn->net = net;
	mutex_init(&gn->lock);
	mutex_init(&gn->deliver_lock);
	xa_init(&gn->groups);
	grpsec_events_init(gn);
	gn->unknown_until = jiffies;
	gn->stats = alloc_percpu(struct grpsec_stats);
	if (!gn->stats)
		return -ENOMEM;
	gn->rxq = alloc_percpu(struct grpsec_rx_queue);
	if (!gn->rxq) {
		err = -ENOMEM;
		goto err_stats;
	}
	INIT_DELAYED_WORK(&gn->forget_work, grpsec_receive_forget_work);
	for_each_possible_cpu(cpu) {
		struct grpsec_rx_queue *q = per_cpu_ptr(gn->rxq, cpu);

		skb_queue_head_init(&q->queue);
		INIT_WORK(&q->work, grpsec_receive_work);
		q->gn = gn;
	}
	err = grpsec_upstream_init(gn);
	if (err)
		goto err_rxq;
	err = grpsec_downlink_init(gn);
	if (err)
		goto err_upstream;
	return 0;

err_upstream:
	grpsec_upstream_uninit(gn);
err_rxq:
	free_percpu(gn->rxq);
err_stats:
	free_percpu(gn->stats);
	return err;
}

static void __net_exit grpsec_net_exit(struct net *net)
{
	struct grpsec_net *gn = grpsec_net(net);

	mutex_lock(&gn->lock);
	grpsec_socket_close(gn);
	mutex_unlock(&gn->lock);
	/* The upstream socket receives downlinks: closed with the others. */
	grpsec_upstream_stop(gn);

	grpsec_receive_purge(gn);
	grpsec_terminate_uninit(gn);
	grpsec_downlink_uninit(gn);
	grpsec_upstream_uninit(gn);

	mutex_lock(&gn->lock);
	grpsec_group_del_all(gn);
	mutex_unlock(&gn->lock);

	xa_destroy(&gn->groups);
	free_percpu(gn->rxq);
	free_percpu(gn->stats);
}

static struct pernet_operations grpsec_net_ops = {
	.init = grpsec_net_init,
	.exit = grpsec_net_exit,
	.id = &grpsec_net_id,
	.size = sizeof(struct grpsec_net),
};

int grpsec_netns_init(void)
{
	return register_pernet_device(&grpsec_net_ops);
}

void grpsec_netns_uninit(void)
{
	unregister_pernet_device(&grpsec_net_ops);
}
