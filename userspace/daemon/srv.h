/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small stream server on the event loop: each connection sends one
 * request, gets one reply (at once, or in parts as the client reads
 * them), and is closed (the control socket, /metrics).
 * The server bounds the request's size, the connections served at once
 * and the time each may take; it ends its side after the reply and reads
 * what the client still sends until the client closes, so unread input
 * never resets the connection before the reply is read.
 */
#ifndef GRPSECD_SRV_H
#define GRPSECD_SRV_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct loop;
struct srv;

struct srv_ops {
	const char *name;		/* for log lines */
	size_t max_request;
	unsigned int max_conns;
	unsigned int timeout_ms;
	/* May this peer connect? NULL: anyone who reaches the socket. */
	bool (*allow)(int fd);
	/* The length of the whole request (its terminator too), 0: not yet. */
	size_t (*complete)(const char *in, size_t len);
	/*
	 * Build the reply in out.  req is the request, NUL-terminated, or
	 * NULL when it grew past max_request without completing.  A reply
	 * sent in parts returns a continuation: each time out has been sent,
	 * more() fills it again and says whether it must be called once more;
	 * done() frees the continuation, also when the client goes first.
	 * Others return NULL (more and done may then be NULL).
	 */
	void *(*handle)(void *arg, char *req, struct buf *out);
	bool (*more)(void *cont, struct buf *out);
	void (*done)(void *cont);
};

/* Serve on listen_fd (taken: srv_free() closes it); NULL on failure. */
struct srv *srv_new(struct loop *l, int listen_fd, const struct srv_ops *ops,
		    void *arg);
/* Stop: close the listening socket and every connection. */
void srv_free(struct srv *s);

#endif
