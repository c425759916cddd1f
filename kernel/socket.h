/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_SOCKET_H
#define _GRPSEC_SOCKET_H

#include <linux/types.h>

struct grpsec_net;

int grpsec_socket_listen(struct grpsec_net *gn, u16 port);
void grpsec_socket_close(struct grpsec_net *gn);

#endif /* _GRPSEC_SOCKET_H */
