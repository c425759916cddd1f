// SPDX-License-Identifier: GPL-2.0
/*
 * The manager's enrollment server (enroll.h, grpsecd.rst "Enrollment").
 *
 * A connection goes HANDSHAKE -> REQUEST -> ANSWER -> SHUTDOWN, each step
 * driven by the socket's readiness; nothing blocks the loop but the one
 * store_enroll() transaction.  A connection lives at most
 * HandshakeTimeout from accept() to close, and at most MaxHandshakes live
 * at once: one more is closed as soon as it is accepted, and counted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "grpsec.h"
#include "grpsec_enroll.h"
#include "conf.h"
#include "control.h"
#include "enroll.h"
#include "groups.h"
#include "log.h"
#include "loop.h"
#include "policy.h"
#include "store.h"
#include "tls.h"

#define SUBJECT_MAX	STORE_IDENTITY_MAX

enum conn_state { C_HANDSHAKE, C_REQUEST, C_ANSWER, C_SHUTDOWN };

struct conn {
	struct enroll *e;
	struct conn *prev, *next;
	int fd;
	SSL *ssl;
	struct tls_peer peer;
	struct loop_timer *timer;
	enum conn_state state;
	enum enroll_outcome outcome;	/* of the reply queued, counted at close */
	uint32_t events;		/* what the loop watches now */
	bool is_psk;
	char subject[SUBJECT_MAX + 1];
	char **sans;
	size_t nsans;
	uint8_t wrap_secret[TLS_EXPORTER_LEN];
	uint8_t in[GRPSEC_ENROLL_REQ_MAX_LEN];
	size_t in_len, in_need;
	uint8_t out[GRPSEC_ENROLL_ANSWER_MAX_LEN];
	size_t out_len, out_off;
};

struct enroll {
	struct grpsecd *d;
	SSL_CTX *ctx, *next_ctx;	/* next_ctx: prepared by reload_check */
	int fd;
	struct loop_timer *resume;	/* accept() again after running out of descriptors */
	struct conn *conns;
	unsigned int n_conns;
	uint8_t sign_pub[GRPSEC_SIGN_KEY_LEN];
	uint64_t count[__ENROLL_OUTCOME_MAX];
};

static const char *const outcome_names[__ENROLL_OUTCOME_MAX] = {
	[ENROLL_OK] = "ok",
	[ENROLL_MALFORMED] = "malformed",
	[ENROLL_VERSION] = "version",
	[ENROLL_DENIED] = "denied",
	[ENROLL_UNKNOWN_GROUP] = "unknown_group",
	[ENROLL_REVOKED] = "revoked",
	[ENROLL_INTERNAL] = "internal",
	[ENROLL_TIMEOUT] = "timeout",
	[ENROLL_CERT_UNTRUSTED] = "cert_untrusted",
	[ENROLL_CERT_EXPIRED] = "cert_expired",
	[ENROLL_CERT_REVOKED] = "cert_revoked",
	[ENROLL_CERT_INVALID] = "cert_invalid",
	[ENROLL_NO_CREDENTIAL] = "no_credential",
	[ENROLL_PSK_UNKNOWN] = "psk_unknown",
	[ENROLL_PSK_MISMATCH] = "psk_mismatch",
	[ENROLL_TLS_PROTOCOL] = "tls_protocol",
	[ENROLL_HANDSHAKE_TIMEOUT] = "handshake_timeout",
	[ENROLL_OVER_LIMIT] = "over_limit",
	[ENROLL_CLOSED] = "closed",
};

const char *enroll_outcome_name(enum enroll_outcome o)
{
	return o < __ENROLL_OUTCOME_MAX ? outcome_names[o] : "unknown";
}

uint64_t enroll_count(const struct grpsecd *d, enum enroll_outcome o)
{
	return d->enroll && o < __ENROLL_OUTCOME_MAX ? d->enroll->count[o] : 0;
}

static enum enroll_outcome outcome_of_tls(enum tls_fail f)
{
	return f >= TLS_FAIL_CERT_UNTRUSTED && f <= TLS_FAIL_PROTOCOL ?
	       ENROLL_CERT_UNTRUSTED + (f - TLS_FAIL_CERT_UNTRUSTED) : ENROLL_TLS_PROTOCOL;
}

static void conn_close(struct conn *c, enum enroll_outcome o)
{
	struct enroll *e = c->e;
	char junk[4096];

	e->count[o]++;
	/*
	 * What the device sent and nobody read (its request, after a failed
	 * handshake) would turn close() into a reset that can beat the TLS
	 * alert to the device: read it away first (what has arrived, up to
	 * 64 KiB: a device that keeps sending cannot hold the loop here).
	 */
	for (int i = 0; i < 16 && recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT) > 0; i++)
		;
	loop_fd_del(e->d->loop, c->fd);
	loop_timer_del(c->timer);
	SSL_free(c->ssl);
	close(c->fd);
	tls_sans_free(c->sans, c->nsans);
	if (c->prev)
		c->prev->next = c->next;
	else
		e->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	e->n_conns--;
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

/* Watch for what OpenSSL wants; false (connection closed) if the loop refuses. */
static bool conn_want(struct conn *c, uint32_t events)
{
	if (c->events == events)
		return true;
	if (loop_fd_mod(c->e->d->loop, c->fd, events)) {
		log_err("enroll %s: cannot watch the connection", c->peer.addr);
		conn_close(c, ENROLL_INTERNAL);
		return false;
	}
	c->events = events;
	return true;
}

/* Queue a refusal; its reason is the outcome counted when the connection ends. */
static enum enroll_outcome refuse(struct conn *c, unsigned int reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum enroll_outcome refuse(struct conn *c, unsigned int reason, const char *fmt, ...)
{
	char text[GRPSEC_REFUSAL_TEXT_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_info("enroll %s (%s): refused, %s: %s", c->peer.addr, c->subject[0] ? c->subject : "?",
		 grpsec_refusal_name(reason), text);
	if (grpsec_msg_build_refusal(reason, text, c->out, sizeof(c->out), &c->out_len))
		c->out_len = 0;
	return ENROLL_MALFORMED + (reason - GRPSEC_REFUSE_MALFORMED);
}

/* Everything an answer needs from the store, read before anything is written. */
struct grant {
	struct store_group g;
	const struct conf_group *cg;
	struct store_epoch ep[GRPSEC_ENROLL_MAX_EPOCHS];
	unsigned int n_epochs;
	uint8_t keys[GRPSEC_ENROLL_MAX_EPOCHS][3][GRPSEC_KEY_MAX_LEN];
};

static int grant_read(struct store *st, uint32_t group, struct grant *gr)
{
	int err = store_group_get(st, group, &gr->g);

	gr->n_epochs = 0;
	if (!err)
		err = store_epoch_get(st, group, gr->g.epoch, &gr->ep[gr->n_epochs++]);
	if (!err && gr->g.next_epoch > gr->g.epoch)
		err = store_epoch_get(st, group, gr->g.next_epoch, &gr->ep[gr->n_epochs++]);
	return err;
}

static int wrap_key_cb(void *arg, uint32_t member, uint8_t key[STORE_WRAP_KEY_LEN])
{
	const struct conn *c = arg;

	return grpsec_kdf_wrap_key(c->wrap_secret, member, key) ? -EIO : 0;
}

/* The answer's record of @gr for @member: K_m, and K_G / K_e,m as the group has them. */
static int grant_keys(struct grant *gr, uint32_t member, struct grpsec_enroll_group *out)
{
	unsigned int suite = gr->g.suite;
	size_t kl = grpsec_suite_key_len(suite);
	bool identified = gr->g.mode == GRPSEC_MODE_IDENTIFIED;
	int err = 0;

	*out = (struct grpsec_enroll_group){
		.group = gr->g.id, .suite = gr->g.suite, .mode = gr->g.mode,
		.flags = gr->cg->commands ? GRPSEC_ENROLL_GROUP_COMMANDS : 0,
		.n_epochs = gr->n_epochs,
	};
	for (unsigned int j = 0; j < gr->n_epochs && !err; j++) {
		const struct store_epoch *ep = &gr->ep[j];
		struct grpsec_enroll_epoch *e = &out->epochs[j];

		e->epoch = ep->epoch;
		e->msg_limit = ep->msg_limit;
		e->member_key = gr->keys[j][0];
		err = grpsec_kdf_member_key(suite, ep->s_auth, gr->g.id, ep->epoch, member,
					    gr->keys[j][0], kl);
		if (!identified || gr->cg->commands) {
			if (ep->k_g_len != kl)
				return -EINVAL;
			e->group_key = ep->k_g;
		}
		if (identified && !err) {
			e->e2e_key = gr->keys[j][1];
			err = grpsec_kdf_e2e_key(suite, ep->s_e2e, gr->g.id, ep->epoch, member,
						 gr->keys[j][1], kl);
		}
	}
	return err;
}

/* Where the device reports: the first gateway of its first group, or the first gateway. */
static const struct conf_gateway *gateway_for(const struct grpsecd_conf *conf,
					      const struct conf_group *cg)
{
	const struct conf_gateway *gw = NULL;

	if (cg && cg->gateways.n)
		gw = conf_gateway_find(conf, cg->gateways.v[0]);
	if (!gw && conf->ngateways)
		gw = &conf->gateways[0];
	return gw && gw->address.len ? gw : NULL;
}

static void answer_gateway(struct grpsec_enroll_answer *a, const struct conf_gateway *gw)
{
	const struct sockaddr_storage *ss = &gw->address.ss;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		a->gw_family = GRPSEC_ENROLL_ADDR_IPV4;
		a->gw_port = ntohs(sin->sin_port);
		memcpy(a->gw_addr, &sin->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		a->gw_family = GRPSEC_ENROLL_ADDR_IPV6;
		a->gw_port = ntohs(sin6->sin6_port);
		memcpy(a->gw_addr, &sin6->sin6_addr, 16);
	}
}

static enum enroll_outcome store_refusal(struct conn *c, int err)
{
	struct store *st = c->e->d->store;

	switch (err) {
	case -EPERM:
		return refuse(c, GRPSEC_REFUSE_REVOKED, "this device is revoked");
	case -ENOENT:
		return refuse(c, GRPSEC_REFUSE_UNKNOWN_GROUP, "a group asked for has no keys yet");
	default:
		log_err("enroll %s: store: %s", c->peer.addr, store_error(st));
		return refuse(c, GRPSEC_REFUSE_INTERNAL, "the manager could not record the enrollment (%s)",
			      err == -ENOSPC ? "storage full" : err == -EROFS ? "storage read-only" :
			      "storage error");
	}
}

/* Commit the member, then build the answer; every refusal before the commit changes nothing. */
static enum enroll_outcome grant(struct conn *c, const struct grpsec_enroll_request *rq)
{
	static struct grant gr[GRPSEC_ENROLL_MAX_GROUPS];
	struct grpsecd *d = c->e->d;
	struct grpsec_enroll_answer a = { .sign_pub = c->e->sign_pub, .n_groups = rq->n_groups };
	uint32_t epochs[GRPSEC_ENROLL_MAX_GROUPS];
	struct store_enroll_req req = {
		.identity = c->subject, .kind = c->is_psk ? STORE_DEVICE_PSK : STORE_DEVICE_CERT,
		.groups = rq->groups, .n_groups = rq->n_groups,
		.wrap_key = wrap_key_cb, .wrap_key_arg = c,
	};
	struct store_enroll_res res = { .epochs = epochs };
	const struct conf_gateway *gw;
	enum enroll_outcome o = ENROLL_OK;
	int err = 0;

	for (unsigned int i = 0; i < rq->n_groups && !err; i++) {
		gr[i].cg = conf_group_find(d->conf, rq->groups[i]);
		err = grant_read(d->store, rq->groups[i], &gr[i]);
	}
	gw = gateway_for(d->conf, gr[0].cg);
	if (err) {
		o = store_refusal(c, err);
		goto out_wipe;
	}
	if (!gw) {
		o = refuse(c, GRPSEC_REFUSE_INTERNAL, "the manager has no gateway for group %u",
			   rq->groups[0]);
		goto out_wipe;
	}
	err = store_enroll(d->store, &req, &res);
	if (err) {
		o = store_refusal(c, err);
		goto out_wipe;
	}
	/* A rollover committed by another process meanwhile: the keys of the epoch joined. */
	for (unsigned int i = 0; i < rq->n_groups && !err; i++)
		if (epochs[i] != gr[i].g.epoch)
			err = grant_read(d->store, rq->groups[i], &gr[i]);
	a.member = res.member;
	answer_gateway(&a, gw);
	for (unsigned int i = 0; i < rq->n_groups && !err; i++)
		err = grant_keys(&gr[i], res.member, &a.groups[i]);
	if (!err)
		err = grpsec_msg_build_answer(&a, c->out, sizeof(c->out), &c->out_len);
	if (err) {
		log_err("enroll %s: member %u committed but no answer could be built: %s",
			c->peer.addr, res.member, grpsec_strerror(err));
		o = refuse(c, GRPSEC_REFUSE_INTERNAL, "the manager could not build the answer");
	} else {
		log_info("enroll %s (%s): member %u, %u group%s, %s %s", c->peer.addr, c->subject,
			 res.member, rq->n_groups, rq->n_groups == 1 ? "" : "s",
			 c->is_psk ? "PSK" : "certificate", SSL_get_cipher_name(c->ssl));
	}
	/* Committed: the gateways connected now hold its K_m at once. */
	control_member_enrolled(d, res.member, rq->groups, rq->n_groups);
out_wipe:
	OPENSSL_cleanse(gr, sizeof(gr));
	return o;
}

static enum enroll_outcome handle_request(struct conn *c)
{
	const struct grpsecd_conf *conf = c->e->d->conf;
	struct identity id = {
		.kind = c->is_psk ? IDENTITY_PSK : IDENTITY_CERT, .subject = c->subject,
		.sans = (const char *const *)c->sans, .nsans = c->nsans,
	};
	struct grpsec_msg m;
	int err = grpsec_msg_parse(c->in, c->in_len, &m);

	if (err == -EPROTONOSUPPORT)
		return refuse(c, GRPSEC_REFUSE_VERSION, "message version %u not supported (1)",
			      c->in[0]);
	if (err)
		return refuse(c, GRPSEC_REFUSE_MALFORMED, "malformed request: %s",
			      grpsec_strerror(err));
	if (m.type != GRPSEC_MSG_ENROLL)
		return refuse(c, GRPSEC_REFUSE_MALFORMED, "expected an ENROLL message, got type %u",
			      m.type);
	for (unsigned int i = 0; i < m.req.n_groups; i++) {
		const char *why = NULL;

		switch (policy_check(conf, &id, m.req.groups[i], &why)) {
		case POLICY_ALLOW:
			break;
		case POLICY_NO_GROUP:
			return refuse(c, GRPSEC_REFUSE_UNKNOWN_GROUP, "group %u: %s",
				      m.req.groups[i], why ? why : "no such group");
		default:
			return refuse(c, GRPSEC_REFUSE_DENIED, "group %u: %s", m.req.groups[i],
				      why ? why : "not allowed");
		}
	}
	return grant(c, &m.req);
}

static bool handshake_done(struct conn *c)
{
	if (tls_identity(c->ssl, &c->peer, &c->is_psk, c->subject, sizeof(c->subject),
			 &c->sans, &c->nsans) || !c->subject[0]) {
		log_warn("enroll %s: handshake without a certificate or a known PSK",
			 c->peer.addr);
		conn_close(c, ENROLL_NO_CREDENTIAL);
		return false;
	}
	if (tls_wrap_secret(c->ssl, c->wrap_secret)) {
		tls_log_error(&c->peer, "enroll: exporter", 0);
		conn_close(c, ENROLL_INTERNAL);
		return false;
	}
	c->state = C_REQUEST;
	return true;
}

/* A header that no request of ours can have: refused before its body is read. */
static enum enroll_outcome header_refusal(struct conn *c, int err)
{
	if (err == -EPROTONOSUPPORT)
		return refuse(c, GRPSEC_REFUSE_VERSION, "message version %u not supported (1)",
			      c->in[0]);
	if (err == -EMSGSIZE)
		return refuse(c, GRPSEC_REFUSE_MALFORMED, "request of %u bytes: at most %u",
			      GRPSEC_MSG_HDR_LEN + (c->in[4] << 24 | c->in[5] << 16 |
						    c->in[6] << 8 | c->in[7]),
			      GRPSEC_ENROLL_REQ_MAX_LEN);
	return refuse(c, GRPSEC_REFUSE_MALFORMED, "malformed message header");
}

/*
 * Read what the socket has of the request.  Returns SSL_ERROR_NONE to go
 * on reading, an SSL_ERROR_* to wait or give up, or -1 when c->out holds
 * the reply (its outcome in *@o).
 */
static int read_request(struct conn *c, enum enroll_outcome *o)
{
	size_t want = c->in_len < GRPSEC_MSG_HDR_LEN ? GRPSEC_MSG_HDR_LEN : c->in_need;
	int n = SSL_read(c->ssl, c->in + c->in_len, (int)(want - c->in_len));
	int err;

	if (n <= 0)
		return SSL_get_error(c->ssl, n);
	c->in_len += (size_t)n;
	if (c->in_len == GRPSEC_MSG_HDR_LEN) {
		err = grpsec_msg_frame_len(c->in, GRPSEC_ENROLL_REQ_MAX_LEN, &c->in_need);
		if (err) {
			*o = header_refusal(c, err);
			return -1;
		}
	}
	if (c->in_len >= GRPSEC_MSG_HDR_LEN && c->in_len == c->in_need) {
		*o = handle_request(c);
		return -1;
	}
	return SSL_ERROR_NONE;
}

/* Drive the connection until it waits for the socket or ends. */
static void conn_step(struct conn *c)
{
	enum enroll_outcome o = ENROLL_OK;
	char what[64];
	int r, err;

	for (;;) {
		switch (c->state) {
		case C_HANDSHAKE:
			r = SSL_do_handshake(c->ssl);
			if (r == 1) {
				if (!handshake_done(c))
					return;
				continue;
			}
			err = SSL_get_error(c->ssl, r);
			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				conn_want(c, err == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
				return;
			}
			o = outcome_of_tls(tls_classify(c->ssl, &c->peer));
			snprintf(what, sizeof(what), "enroll: handshake failed (%s) with",
				 enroll_outcome_name(o));
			tls_log_error(&c->peer, what, err);
			conn_close(c, o);
			return;
		case C_REQUEST:
			err = read_request(c, &o);
			if (err == SSL_ERROR_NONE)
				continue;
			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				conn_want(c, err == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
				return;
			}
			if (err != -1) {
				/* Gone before a whole request: a truncated message. */
				log_info("enroll %s: closed after %zu bytes of a request",
					 c->peer.addr, c->in_len);
				ERR_clear_error();
				conn_close(c, c->in_len ? ENROLL_MALFORMED : ENROLL_CLOSED);
				return;
			}
			c->outcome = o;
			c->state = C_ANSWER;
			continue;
		case C_ANSWER:
			if (c->out_off < c->out_len) {
				r = SSL_write(c->ssl, c->out + c->out_off,
					      (int)(c->out_len - c->out_off));
				if (r > 0) {
					c->out_off += (size_t)r;
					continue;
				}
				err = SSL_get_error(c->ssl, r);
				if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
					conn_want(c, err == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
					return;
				}
				tls_log_error(&c->peer, "enroll: sending the answer to", err);
			}
			OPENSSL_cleanse(c->out, sizeof(c->out));
			c->state = C_SHUTDOWN;
			continue;
		case C_SHUTDOWN:
			/* Our close_notify, then the peer's (or its EOF), then close. */
			r = SSL_shutdown(c->ssl);
			if (r == 0)
				r = SSL_read(c->ssl, c->in, sizeof(c->in));
			err = r > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r);
			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				conn_want(c, err == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
				return;
			}
			if (err == SSL_ERROR_NONE && r == 0)
				continue;
			ERR_clear_error();
			conn_close(c, c->outcome);
			return;
		}
	}
}

static void conn_event(int fd, uint32_t events, void *arg)
{
	(void)fd, (void)events;
	conn_step(arg);
}

static void conn_timeout(struct loop_timer *t, void *arg)
{
	struct conn *c = arg;
	size_t len;

	(void)t;
	if (c->state == C_HANDSHAKE) {
		log_info("enroll %s: handshake not finished in time, cut", c->peer.addr);
		conn_close(c, ENROLL_HANDSHAKE_TIMEOUT);
		return;
	}
	if (c->state == C_REQUEST) {
		/* One try to tell the device why; it may not be reading. */
		refuse(c, GRPSEC_REFUSE_TIMEOUT, "no whole request in time");
		len = c->out_len;
		if (len)
			SSL_write(c->ssl, c->out, (int)len);
		ERR_clear_error();
		conn_close(c, ENROLL_TIMEOUT);
		return;
	}
	log_info("enroll %s: answer not taken in time, closed", c->peer.addr);
	conn_close(c, c->outcome);
}

static void peer_name(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		snprintf(buf, size, "%s:%u", host, port);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		snprintf(buf, size, "[%s]:%u", host, port);
	}
}

static void conn_new(struct enroll *e, int fd, const struct sockaddr_storage *ss)
{
	uint32_t timeout = e->d->conf->manager.handshake_timeout_ms;
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		e->count[ENROLL_INTERNAL]++;
		return;
	}
	c->e = e;
	c->fd = fd;
	peer_name(ss, c->peer.addr, sizeof(c->peer.addr));
	c->ssl = tls_ssl_new(e->ctx, fd, &c->peer);
	c->timer = loop_timer_add(e->d->loop, timeout ? timeout : CONF_DEFAULT_HANDSHAKE_MS, 0,
				  conn_timeout, c);
	c->events = EPOLLIN;
	if (!c->ssl || !c->timer || loop_fd_add(e->d->loop, fd, EPOLLIN, conn_event, c)) {
		log_err("enroll %s: no memory for the connection", c->peer.addr);
		loop_timer_del(c->timer);
		SSL_free(c->ssl);
		close(fd);
		free(c);
		e->count[ENROLL_INTERNAL]++;
		return;
	}
	c->next = e->conns;
	if (e->conns)
		e->conns->prev = c;
	e->conns = c;
	e->n_conns++;
	conn_step(c);
}

static void listen_event(int fd, uint32_t events, void *arg)
{
	struct enroll *e = arg;
	uint32_t max = e->d->conf->manager.max_handshakes;

	(void)events;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int c = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* Level-triggered: pause rather than spin until a descriptor is free. */
			log_warn("enroll: accept: %s; pausing new connections for 100 ms",
				 strerror(errno));
			loop_fd_mod(e->d->loop, fd, 0);
			loop_timer_set(e->resume, 100, 0);
			return;
		}
		if (c < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("enroll: accept: %s", strerror(errno));
			return;
		}
		if (e->n_conns >= (max ? max : CONF_DEFAULT_MAX_HANDSHAKES)) {
			/* Over the limit: closed at once, the others go on. */
			close(c);
			if (!e->count[ENROLL_OVER_LIMIT]++)
				log_warn("enroll: MaxHandshakes (%u) reached, closing new connections (counted as over_limit)",
					 max);
			continue;
		}
		conn_new(e, c, &ss);
	}
}

static void listen_resume(struct loop_timer *t, void *arg)
{
	struct enroll *e = arg;

	(void)t;
	loop_fd_mod(e->d->loop, e->fd, EPOLLIN);
}

/* Room for MaxHandshakes connections and the daemon's own descriptors. */
static void fd_limit(uint32_t max)
{
	rlim_t want = (rlim_t)max + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < want)
		log_warn("enroll: only %llu file descriptors for MaxHandshakes = %u",
			 (unsigned long long)rl.rlim_cur, max);
}

static int signing_public(struct store *st, uint8_t pub[GRPSEC_SIGN_KEY_LEN])
{
	struct grpsec_signer *s = NULL;
	int err = groups_signer(st, &s);

	if (!err)
		err = grpsec_signer_public(s, pub);
	grpsec_signer_free(s);
	return err;
}

static int listen_socket(const struct conf_addr *a)
{
	char name[64];
	int one = 1, fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_storage bound;
	socklen_t len = sizeof(bound);

	peer_name(&a->ss, name, sizeof(name));
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) || listen(fd, 1024) ||
	    getsockname(fd, (struct sockaddr *)&bound, &len)) {
		log_err("enroll: cannot listen on %s: %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	peer_name(&bound, name, sizeof(name));
	log_info("enroll: listening on %s", name);
	return fd;
}

static int enroll_init(struct grpsecd *d)
{
	const struct conf_manager *m = &d->conf->manager;
	struct enroll *e;
	int err;

	if (!m->enroll_listen.len)
		return 0;
	if (!d->store) {
		log_err("enroll: no database");
		return -1;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->d = d;
	e->fd = -1;
	err = signing_public(d->store, e->sign_pub);
	if (err) {
		log_err("enroll: the signing key: %s",
			err == -EINVAL ? "stored with a wrong length" : store_error(d->store));
		goto out_free;
	}
	fd_limit(m->max_handshakes ? m->max_handshakes : CONF_DEFAULT_MAX_HANDSHAKES);
	e->ctx = tls_server_ctx_new(m);
	if (!e->ctx)
		goto out_free;
	e->resume = loop_timer_add(d->loop, 100, 0, listen_resume, e);
	if (!e->resume)
		goto out_ctx;
	loop_timer_stop(e->resume);
	e->fd = listen_socket(&m->enroll_listen);
	if (e->fd < 0 || loop_fd_add(d->loop, e->fd, EPOLLIN, listen_event, e))
		goto out_timer;
	d->enroll = e;
	return 0;

out_timer:
	if (e->fd >= 0)
		close(e->fd);
	loop_timer_del(e->resume);
out_ctx:
	tls_ctx_free(e->ctx);
out_free:
	free(e);
	return -1;
}

static void enroll_uninit(struct grpsecd *d)
{
	struct enroll *e = d->enroll;

	if (!e)
		return;
	while (e->conns)
		conn_close(e->conns, ENROLL_CLOSED);
	loop_fd_del(d->loop, e->fd);
	close(e->fd);
	loop_timer_del(e->resume);
	tls_ctx_free(e->ctx);
	tls_ctx_free(e->next_ctx);
	free(e);
	d->enroll = NULL;
}

/* A reload takes new certificates, CA, CRL and PSKs; connections under way keep theirs. */
static int enroll_reload_check(struct grpsecd *d, const struct grpsecd_conf *next)
{
	struct enroll *e = d->enroll;

	if (!e || !next->manager.enroll_listen.len)
		return 0;
	e->next_ctx = tls_server_ctx_new(&next->manager);
	return e->next_ctx ? 0 : -1;
}

static void enroll_reload_apply(struct grpsecd *d, const struct grpsecd_conf *prev)
{
	struct enroll *e = d->enroll;

	(void)prev;
	if (!e || !e->next_ctx)
		return;
	tls_ctx_free(e->ctx);
	e->ctx = e->next_ctx;
	e->next_ctx = NULL;
}

static void enroll_reload_abort(struct grpsecd *d)
{
	if (d->enroll) {
		tls_ctx_free(d->enroll->next_ctx);
		d->enroll->next_ctx = NULL;
	}
}

const struct grpsecd_part enroll_part = {
	.name = "enroll",
	.init = enroll_init,
	.uninit = enroll_uninit,
	.reload_check = enroll_reload_check,
	.reload_apply = enroll_reload_apply,
	.reload_abort = enroll_reload_abort,
};
