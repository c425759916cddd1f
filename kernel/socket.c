// SPDX-License-Identifier: GPL-2.0
/*
 * The listen sockets: kernel UDP sockets in the instance's namespace, one
 * for IPv4 and one for IPv6 as WireGuard has, whose datagrams never reach
 * a socket queue: the UDP tunnel encap hook hands each one to the receive
 * path in softirq.
 */
#include <linux/net.h>
#include <net/sock.h>
#include <net/udp_tunnel.h>

#include "netns.h"
#include "receive.h"
#include "socket.h"

#define GRPSEC_LISTEN_SNDBUF	(4 << 20)

static int open_one(struct grpsec_net *gn, int family, u16 port,
		    struct socket **out)
{
	struct udp_port_cfg cfg = {
		.family = family,
		.local_udp_port = htons(port),
		.ipv6_v6only = 1,
	};
	struct udp_tunnel_sock_cfg tcfg = {
		.sk_user_data = gn,
		.encap_type = 1,
		.encap_rcv = grpsec_receive,
	};
	struct socket *sock;
	int err;

	if (family == AF_INET6)
		cfg.local_ip6 = in6addr_any;
	else
		cfg.local_ip.s_addr = htonl(INADDR_ANY);
	err = udp_sock_create(gn->net, &cfg, &sock);
	if (err)
		return err;
	/* Room for a fan-out's frames while the device drains them. */
	lock_sock(sock->sk);
	sock->sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	WRITE_ONCE(sock->sk->sk_sndbuf, GRPSEC_LISTEN_SNDBUF);
	release_sock(sock->sk);
	setup_udp_tunnel_sock(gn->net, sock, &tcfg);
	*out = sock;
	return 0;
}

/**
 * grpsec_socket_listen - (re)open the listen sockets on @port
 * @gn: the instance
 * @port: UDP port; 0 only closes
 *
 * A kernel without IPv6 listens on IPv4 alone.
 *
 * The new sockets open before the old ones close, so a refused port
 * leaves the gateway listening where it was; the same port again changes
 * nothing.
 *
 * Return: 0 or -errno (-EADDRINUSE when the port is taken).
 */
int grpsec_socket_listen(struct grpsec_net *gn, u16 port)
{
	struct socket *s4 = NULL, *s6 = NULL;
	int err;

	lockdep_assert_held(&gn->lock);
	if (port == gn->port)
		return 0;
	if (!port) {
		grpsec_socket_close(gn);
		return 0;
	}

	err = open_one(gn, AF_INET, port, &s4);
	if (err)
		return err;
	if (IS_ENABLED(CONFIG_IPV6)) {
		err = open_one(gn, AF_INET6, port, &s6);
		if (err && err != -EAFNOSUPPORT) {
			udp_tunnel_sock_release(s4);
			return err;
		}
	}
	grpsec_socket_close(gn);
	gn->sock[0] = s4;
	gn->sock[1] = s6;
	gn->port = port;
	pr_debug("listening on port %u\n", port);
	return 0;
}

void grpsec_socket_close(struct grpsec_net *gn)
{
	int i;

	lockdep_assert_held(&gn->lock);
	for (i = 0; i < ARRAY_SIZE(gn->sock); i++) {
		if (!gn->sock[i])
			continue;
		/* Waits for softirq readers of sk_user_data to finish. */
		udp_tunnel_sock_release(gn->sock[i]);
		gn->sock[i] = NULL;
	}
	gn->port = 0;
}
