/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_NETLINK_H
#define _GRPSEC_NETLINK_H

#include <net/genetlink.h>

extern struct genl_family grpsec_family;

int grpsec_netlink_init(void);
void grpsec_netlink_uninit(void);

#endif /* _GRPSEC_NETLINK_H */
