// SPDX-License-Identifier: GPL-2.0
/*
 * grpsec: group authentication for M2M gateways.  The init ladder and its
 * unwind, in reverse order.
 */
#include <linux/module.h>
#include <linux/grpsec.h>
#include <net/genetlink.h>

#include "aead.h"
#include "member.h"
#include "netlink.h"
#include "netns.h"
#include "wire.h"

struct workqueue_struct *grpsec_wq;

static int __init grpsec_init(void)
{
	int err;

	grpsec_wire_checks();
	grpsec_crypto_init();
	grpsec_wq = alloc_workqueue("grpsec", WQ_CPU_INTENSIVE | WQ_MEM_RECLAIM,
				    0);
	if (!grpsec_wq)
		return -ENOMEM;
	err = grpsec_member_init();
	if (err)
		goto err_wq;
	err = grpsec_netns_init();
	if (err)
		goto err_member;
	err = grpsec_netlink_init();
	if (err)
		goto err_netns;
	pr_info("loaded, protocol version %u\n", GRPSEC_WIRE_VERSION);
	return 0;

err_netns:
	grpsec_netns_uninit();
err_member:
	rcu_barrier();
	grpsec_member_uninit();
err_wq:
	destroy_workqueue(grpsec_wq);
	return err;
}

static void __exit grpsec_exit(void)
{
	grpsec_netlink_uninit();
	grpsec_netns_uninit();
	destroy_workqueue(grpsec_wq);
	/*
	 * A member freed after a grace period drops its group, whose own
	 * free waits for another one: two barriers cover both.
	 */
	rcu_barrier();
	rcu_barrier();
	grpsec_member_uninit();
	pr_debug("unloaded\n");
}

module_init(grpsec_init);
module_exit(grpsec_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Group authentication and group encryption for M2M gateways");
MODULE_AUTHOR("The grpsec developers");
MODULE_VERSION(GRPSEC_PKG_VERSION);
MODULE_ALIAS_GENL_FAMILY(GRPSEC_GENL_NAME);
