/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small stream server on the event loop: each connection sends one
 * request, gets one reply, and is closed (the control socket, /metrics).
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
	 * NULL when it grew past max_request without completing.
	 */
	void (*handle)(void *arg, char *req, struct buf *out);
};

/* Serve on listen_fd (taken: srv_free() closes it); NULL on failure. */
struct srv *srv_new(struct loop *l, int listen_fd, const struct srv_ops *ops,
		    void *arg);
/* Stop: close the listening socket and every connection. */
void srv_free(struct srv *s);

#endif
