// SPDX-License-Identifier: GPL-2.0
/*
 * One request, one reply per connection (srv.h).
 */
#define _GNU_SOURCE	/* accept4(), struct ucred */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "srv.h"

#define SRV_PAUSE_MS	100

struct srv_conn {
	struct srv *srv;
	struct srv_conn *prev, *next;
	int fd;
	char *in;
	size_t inlen;
	struct buf out;
	size_t sent;
	void *cont;		/* a reply in parts: what comes next */
	bool draining;
	struct loop_timer *timer;
};

struct srv {
	struct loop *loop;
	int fd;
	struct loop_timer *resume;	/* accept again after EMFILE */
	bool exhausted;			/* said so already */
	const struct srv_ops *ops;
	void *arg;
	struct srv_conn *conns;
	unsigned int nconns;
};

static void conn_close(struct srv_conn *c)
{
	struct srv *s = c->srv;

	loop_fd_del(s->loop, c->fd);
	loop_timer_del(c->timer);
	close(c->fd);
	if (c->cont)
		s->ops->done(c->cont);
	buf_free(&c->out);
	free(c->in);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c);
}

static void conn_timeout(struct loop_timer *t, void *arg)
{
	struct srv_conn *c = arg;

	(void)t;
	log_debug("%s: a client timed out", c->srv->ops->name);
	conn_close(c);
}

static void conn_drain(struct srv_conn *c)
{
	c->draining = true;
	shutdown(c->fd, SHUT_WR);
	loop_fd_mod(c->srv->loop, c->fd, EPOLLIN);
}

/* The next part of a reply in parts; false when there is none. */
static bool conn_next_part(struct srv_conn *c)
{
	const struct srv_ops *ops = c->srv->ops;

	if (!c->cont)
		return false;
	buf_reset(&c->out);
	c->sent = 0;
	if (!ops->more(c->cont, &c->out)) {
		ops->done(c->cont);
		c->cont = NULL;
	}
	/* A client that keeps reading keeps its connection. */
	loop_timer_set(c->timer, ops->timeout_ms, 0);
	return true;
}

static void conn_write(struct srv_conn *c)
{
	do {
		while (c->sent < c->out.len) {
			ssize_t n = send(c->fd, c->out.p + c->sent,
					 c->out.len - c->sent, MSG_NOSIGNAL);

			if (n < 0 && errno == EAGAIN)
				return;
			if (n <= 0) {
				conn_close(c);
				return;
			}
			c->sent += n;
		}
	} while (conn_next_part(c));
	conn_drain(c);
}

static void conn_reply(struct srv_conn *c, char *req)
{
	c->cont = c->srv->ops->handle(c->srv->arg, req, &c->out);
	loop_fd_mod(c->srv->loop, c->fd, EPOLLOUT);
	conn_write(c);
}

/* Read what the client sends after its request, until it closes. */
static void conn_sink(struct srv_conn *c)
{
	char sink[4096];
	ssize_t n;

	while ((n = recv(c->fd, sink, sizeof(sink), 0)) > 0)
		;
	if (n == 0 || errno != EAGAIN)
		conn_close(c);
}

static void conn_read(struct srv_conn *c)
{
	size_t max = c->srv->ops->max_request, len;
	ssize_t n = recv(c->fd, c->in + c->inlen, max - c->inlen, 0);

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->inlen += n;
	c->in[c->inlen] = '\0';
	len = c->srv->ops->complete(c->in, c->inlen);
	if (len) {
		c->in[len] = '\0';
		conn_reply(c, c->in);
	} else if (c->inlen == max) {
		conn_reply(c, NULL);
	}
}

static void conn_event(int fd, uint32_t events, void *arg)
{
	struct srv_conn *c = arg;

	(void)fd;
	if (events & EPOLLOUT)
		conn_write(c);
	else if (c->draining)
		conn_sink(c);
	else
		conn_read(c);
}

static void conn_new(struct srv *s, int fd)
{
	struct srv_conn *c = NULL;

	if (s->nconns >= s->ops->max_conns || (s->ops->allow && !s->ops->allow(fd))) {
		log_warn("%s: client refused (%s)", s->ops->name,
			 s->nconns >= s->ops->max_conns ? "too many at once" :
			 "not allowed");
		goto out_close;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->in = malloc(s->ops->max_request + 1)))
		goto out_close;
	c->srv = s;
	c->fd = fd;
	c->timer = loop_timer_add(s->loop, s->ops->timeout_ms, 0, conn_timeout, c);
	if (!c->timer || loop_fd_add(s->loop, fd, EPOLLIN, conn_event, c))
		goto out_close;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	return;

out_close:
	if (c) {
		loop_timer_del(c->timer);
		free(c->in);
		free(c);
	}
	close(fd);
}

static void srv_resume(struct loop_timer *t, void *arg)
{
	struct srv *s = arg;

	(void)t;
	loop_fd_mod(s->loop, s->fd, EPOLLIN);
}

/*
 * Out of descriptors, the pending connection stays in the backlog and the
 * socket stays readable: stop watching it for a while instead of spinning.
 */
static void srv_pause(struct srv *s)
{
	if (!s->exhausted)
		log_warn("%s: out of file descriptors, accepting again every %d ms",
			 s->ops->name, SRV_PAUSE_MS);
	s->exhausted = true;
	loop_fd_mod(s->loop, s->fd, 0);
	loop_timer_set(s->resume, SRV_PAUSE_MS, 0);
}

static void srv_accept(int fd, uint32_t events, void *arg)
{
	struct srv *s = arg;
	int cfd;

	(void)events;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		s->exhausted = false;
		conn_new(s, cfd);
	}
	if (errno == EMFILE || errno == ENFILE)
		srv_pause(s);
}

struct srv *srv_new(struct loop *l, int listen_fd, const struct srv_ops *ops,
		    void *arg)
{
	struct srv *s = calloc(1, sizeof(*s));

	if (s)
		s->resume = loop_timer_add(l, 0, 0, srv_resume, s);
	if (!s || !s->resume || loop_fd_add(l, listen_fd, EPOLLIN, srv_accept, s)) {
		if (s)
			loop_timer_del(s->resume);
		free(s);
		close(listen_fd);
		return NULL;
	}
	loop_timer_stop(s->resume);
	s->loop = l;
	s->fd = listen_fd;
	s->ops = ops;
	s->arg = arg;
	return s;
}

void srv_free(struct srv *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s->conns);
	loop_fd_del(s->loop, s->fd);
	loop_timer_del(s->resume);
	close(s->fd);
	free(s);
}
