// SPDX-License-Identifier: GPL-2.0
/*
 * A control channel connection's message stream (chan.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "chan.h"
#include "loop.h"

void chan_init(struct chan *c, SSL *ssl, size_t out_max)
{
	memset(c, 0, sizeof(*c));
	c->ssl = ssl;
	c->out_max = out_max;
	c->last_rx_ms = c->last_tx_ms = loop_now_ms();
	/* Write what fits; the rest stays queued, and may move when it grows. */
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

void chan_reset(struct chan *c)
{
	if (c->out) {
		OPENSSL_cleanse(c->out, c->out_cap);
		free(c->out);
	}
	OPENSSL_cleanse(c->in, sizeof(c->in));
	c->out = NULL;
	c->out_len = c->out_off = c->out_cap = 0;
	c->in_len = c->in_need = 0;
}

size_t chan_pending(const struct chan *c)
{
	return c->out_len - c->out_off;
}

int chan_queue(struct chan *c, const uint8_t *msg, size_t len)
{
	size_t cap = c->out_cap ? c->out_cap : 65536;
	uint8_t *p;

	if (chan_pending(c) + len > c->out_max)
		return -ENOBUFS;
	if (c->out_off && c->out_len + len > c->out_cap) {
		/* Move what is left to the front, and wipe where it was. */
		memmove(c->out, c->out + c->out_off, chan_pending(c));
		c->out_len -= c->out_off;
		OPENSSL_cleanse(c->out + c->out_len, c->out_off);
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		while (cap < c->out_len + len)
			cap *= 2;
		/* Not realloc(): the old copy of the keys must be wiped. */
		p = malloc(cap);
		if (!p)
			return -ENOMEM;
		if (c->out) {
			memcpy(p, c->out, c->out_len);
			OPENSSL_cleanse(c->out, c->out_cap);
			free(c->out);
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, msg, len);
	c->out_len += len;
	return 0;
}

static uint32_t want_of(SSL *ssl, int r, int *err)
{
	*err = SSL_get_error(ssl, r);
	if (*err == SSL_ERROR_WANT_READ)
		return EPOLLIN;
	if (*err == SSL_ERROR_WANT_WRITE)
		return EPOLLOUT;
	return 0;
}

int chan_read(struct chan *c, uint32_t *want)
{
	int n, err;

	for (;;) {
		size_t need = c->in_len < GRPSEC_MSG_HDR_LEN ? GRPSEC_MSG_HDR_LEN : c->in_need;

		if (c->in_len >= GRPSEC_MSG_HDR_LEN && c->in_len == c->in_need)
			return 1;
		n = SSL_read(c->ssl, c->in + c->in_len, (int)(need - c->in_len));
		if (n <= 0) {
			*want = want_of(c->ssl, n, &err);
			if (*want)
				return 0;
			/* A peer gone without close_notify (killed) is gone all the same. */
			if (err == SSL_ERROR_ZERO_RETURN ||
			    (err == SSL_ERROR_SYSCALL && !ERR_peek_error()) ||
			    (err == SSL_ERROR_SSL &&
			     ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING))
				return -EPIPE;
			return -EIO;
		}
		c->last_rx_ms = loop_now_ms();
		c->in_len += (size_t)n;
		if (c->in_len == GRPSEC_MSG_HDR_LEN &&
		    grpsec_msg_frame_len(c->in, GRPSEC_MSG_MAX_LEN, &c->in_need))
			return -EPROTO;
	}
}

void chan_consumed(struct chan *c)
{
	OPENSSL_cleanse(c->in, c->in_len);
	c->in_len = c->in_need = 0;
}

int chan_flush(struct chan *c, uint32_t *want)
{
	int n, err;

	while (chan_pending(c)) {
		size_t left = chan_pending(c);

		n = SSL_write(c->ssl, c->out + c->out_off, (int)(left > 65536 ? 65536 : left));
		if (n <= 0) {
			*want = want_of(c->ssl, n, &err);
			return *want ? 1 : -EIO;
		}
		OPENSSL_cleanse(c->out + c->out_off, (size_t)n);
		c->out_off += (size_t)n;
		c->last_tx_ms = loop_now_ms();
	}
	c->out_off = c->out_len = 0;
	return 0;
}
