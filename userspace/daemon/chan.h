/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One end of a control channel connection (chan.c): a TLS stream of
 * whole messages (enrollment.rst, "Control channel") in both directions,
 * non-blocking.  Shared by the manager's end (control.c) and the
 * gateway's (control_client.c).
 *
 * Messages carry keys: what is queued is wiped once it is sent, and the
 * whole of both buffers when the channel is reset.  The output is
 * bounded (@out_max): a peer that does not read is not allowed to make
 * the daemon buffer without end.
 */
#ifndef GRPSECD_CHAN_H
#define GRPSECD_CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

#include "grpsec_enroll.h"

/* Each end sends a KEEPALIVE after this long without sending... */
#define CHAN_KEEPALIVE_MS	15000
/* ...and closes a connection that brought nothing for this long. */
#define CHAN_IDLE_MS		45000

struct chan {
	SSL *ssl;
	uint8_t in[GRPSEC_MSG_MAX_LEN];
	size_t in_len, in_need;
	uint8_t *out;
	size_t out_len, out_off, out_cap, out_max;
	uint64_t last_rx_ms, last_tx_ms;	/* loop_now_ms() */
};

/* chan_init() - an empty channel on @ssl (not owned), output bounded by @out_max. */
void chan_init(struct chan *c, SSL *ssl, size_t out_max);
/* chan_reset() - wipe and free both buffers. */
void chan_reset(struct chan *c);

/* chan_pending() - bytes queued and not yet written. */
size_t chan_pending(const struct chan *c);

/* chan_queue() - queue one whole message; -ENOBUFS past the bound, -ENOMEM. */
int chan_queue(struct chan *c, const uint8_t *msg, size_t len);

/*
 * chan_read() - read towards the next message.  Returns 1 when c->in
 * holds one whole message of c->in_len bytes (call chan_consumed() after
 * handling it), 0 when the socket has no more for now (*@want: EPOLLIN or
 * EPOLLOUT), -EPIPE (the peer closed), -EPROTO (a header no message of
 * ours has) or -EIO (TLS error, still on the error queue).
 */
int chan_read(struct chan *c, uint32_t *want);
void chan_consumed(struct chan *c);

/*
 * chan_flush() - write what is queued.  Returns 0 when all is written, 1
 * when the socket is full (*@want says for what to wait), -EIO.
 */
int chan_flush(struct chan *c, uint32_t *want);

#endif
