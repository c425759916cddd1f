// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The device's enrollment client (grpsec_enroll.h): TLS 1.3 only, with a
 * certificate or an external PSK, one ENROLL and one answer within one
 * deadline.  The socket is non-blocking and every wait is a poll() up to
 * the deadline, so a manager that stalls costs at most the timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "grpsec_enroll.h"
#include "internal.h"

#define DEFAULT_TIMEOUT_MS	10000

struct client {
	const struct grpsec_enroll_config *cfg;
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	int64_t deadline;		/* CLOCK_MONOTONIC ms */
	char *err;
	size_t err_len;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int __attribute__((format(printf, 3, 4))) fail(struct client *c, int err,
						      const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->err_len) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->err_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* One line from OpenSSL's error queue (drained). */
static const char *ssl_reason(char *buf, size_t size)
{
	unsigned long e, last = 0;
	size_t len = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) && len < size - 2) {
		const char *r = ERR_reason_error_string(e);

		if (e == last)
			continue;
		last = e;
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "; " : "",
					r ? r : "unknown OpenSSL error");
	}
	return len ? buf : "the connection was closed";
}

static int split_host_port(const char *s, char *host, size_t size, const char **port)
{
	const char *colon;
	size_t n;

	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return -EINVAL;
		n = (size_t)(colon - s - 1);
		s++;
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		n = (size_t)(colon - s);
	}
	if (!n || n >= size || !colon[1])
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}

static int wait_fd(struct client *c, short events)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int64_t left = c->deadline - now_ms();
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	do
		r = poll(&p, 1, (int)left);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r ? 0 : -ETIMEDOUT;
}

static int connect_to(struct client *c)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char host[256];
	const char *port;
	int err = -EHOSTUNREACH, so_err;
	socklen_t len = sizeof(so_err);

	if (split_host_port(c->cfg->manager, host, sizeof(host), &port))
		return fail(c, -EINVAL, "manager \"%s\": expected HOST:PORT or [ADDR]:PORT",
			    c->cfg->manager);
	if (getaddrinfo(host, port, &hints, &res))
		return fail(c, -EHOSTUNREACH, "manager \"%s\": cannot resolve", c->cfg->manager);
	for (ai = res; ai; ai = ai->ai_next) {
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			continue;
		if (!connect(c->fd, ai->ai_addr, ai->ai_addrlen))
			break;
		err = errno == EINPROGRESS ? wait_fd(c, POLLOUT) : -errno;
		if (!err && !getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so_err, &len))
			err = -so_err;
		if (!err)
			break;
		close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	if (c->fd < 0)
		return fail(c, err, "manager %s: cannot connect: %s", c->cfg->manager,
			    strerror(-err));
	return 0;
}

/* An external PSK as a session: its hash picks the one TLS 1.3 suite offered. */
static int psk_use_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *id_len,
		      SSL_SESSION **sess)
{
	static const unsigned char aes128[] = { 0x13, 0x01 }, aes256[] = { 0x13, 0x02 };
	const struct grpsec_enroll_config *cfg = SSL_get_app_data(ssl);
	const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, cfg->psk_hash == GRPSEC_PSK_SHA384 ?
						   aes256 : aes128);
	SSL_SESSION *s;

	*sess = NULL;
	if (!cipher || (md && md != SSL_CIPHER_get_handshake_digest(cipher)))
		return 1;	/* no PSK for this handshake's hash */
	s = SSL_SESSION_new();
	if (!s || !SSL_SESSION_set1_master_key(s, cfg->psk, cfg->psk_len) ||
	    !SSL_SESSION_set_cipher(s, cipher) ||
	    !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		return 0;
	}
	*id = (const unsigned char *)cfg->psk_identity;
	*id_len = strlen(cfg->psk_identity);
	*sess = s;
	return 1;
}

static int make_ctx(struct client *c)
{
	const struct grpsec_enroll_config *cfg = c->cfg;
	char why[256];

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		return fail(c, -ENOMEM, "cannot create a TLS context");
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(c->ctx, TLS1_3_VERSION);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (cfg->psk_identity) {
		if (!SSL_CTX_set_ciphersuites(c->ctx, cfg->psk_hash == GRPSEC_PSK_SHA384 ?
					      "TLS_AES_256_GCM_SHA384" :
					      "TLS_AES_128_GCM_SHA256"))
			return fail(c, -EIO, "cannot set the TLS suites");
		SSL_CTX_set_psk_use_session_callback(c->ctx, psk_use_cb);
	} else if (SSL_CTX_use_certificate_chain_file(c->ctx, cfg->cert_file) != 1 ||
		   SSL_CTX_use_PrivateKey_file(c->ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
		return fail(c, -EINVAL, "certificate %s or key %s: %s", cfg->cert_file,
			    cfg->key_file, ssl_reason(why, sizeof(why)));
	}
	if (cfg->ca_file && !SSL_CTX_load_verify_locations(c->ctx, cfg->ca_file, NULL))
		return fail(c, -EINVAL, "CA %s: %s", cfg->ca_file, ssl_reason(why, sizeof(why)));
	return 0;
}

/* Run one OpenSSL call until it completes, waiting on the socket as it asks. */
static int ssl_io(struct client *c, int (*op)(SSL *, void *, int), void *buf, int len,
		  const char *what)
{
	char why[256];

	for (;;) {
		int r = op(c->ssl, buf, len), e, err;

		if (r > 0)
			return r;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			err = wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT);
			if (err)
				return fail(c, err, "%s: no answer from %s in time", what,
					    c->cfg->manager);
			continue;
		}
		if (e == SSL_ERROR_ZERO_RETURN)
			return fail(c, -EPROTO, "%s: the manager closed the connection", what);
		if (e == SSL_ERROR_SYSCALL && !ERR_peek_error())
			return fail(c, -EPROTO, "%s: the manager closed the connection%s%s", what,
				    errno ? ": " : "", errno ? strerror(errno) : "");
		return fail(c, -EPROTO, "%s: %s", what, ssl_reason(why, sizeof(why)));
	}
}

static int op_handshake(SSL *ssl, void *buf, int len)
{
	(void)buf, (void)len;
	return SSL_connect(ssl);
}

static int op_write(SSL *ssl, void *buf, int len)
{
	return SSL_write(ssl, buf, len);
}

static int op_read(SSL *ssl, void *buf, int len)
{
	return SSL_read(ssl, buf, len);
}

static int read_exact(struct client *c, uint8_t *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		int r = ssl_io(c, op_read, buf + got, (int)(len - got), "reading the answer");

		if (r < 0)
			return r;
		got += (size_t)r;
	}
	return 0;
}

static int handshake(struct client *c)
{
	const struct grpsec_enroll_config *cfg = c->cfg;
	int r;

	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
		return fail(c, -ENOMEM, "cannot create a TLS connection");
	SSL_set_app_data(c->ssl, (void *)cfg);
	if (cfg->server_name && (!SSL_set_tlsext_host_name(c->ssl, cfg->server_name) ||
				 !SSL_set1_host(c->ssl, cfg->server_name)))
		return fail(c, -EINVAL, "server name \"%s\" refused", cfg->server_name);
	r = ssl_io(c, op_handshake, NULL, 0, "TLS handshake");
	if (r < 0) {
		long v = SSL_get_verify_result(c->ssl);

		if (v != X509_V_OK)
			return fail(c, -EPROTO, "TLS handshake: the manager's certificate: %s",
				    X509_verify_cert_error_string(v));
		return r;
	}
	if (cfg->psk_identity && !SSL_session_reused(c->ssl))
		return fail(c, -EPROTO, "TLS handshake: the manager did not take the PSK");
	return 0;
}

/* Read the answer or refusal into @out and check it against the request. */
static int receive(struct client *c, const struct grpsec_enroll_request *rq,
		   struct grpsec_enrollment *out)
{
	struct grpsec_msg m;
	size_t total;
	int err = read_exact(c, out->msg, GRPSEC_MSG_HDR_LEN);

	if (err)
		return err;
	err = grpsec_msg_frame_len(out->msg, GRPSEC_ENROLL_ANSWER_MAX_LEN, &total);
	if (err)
		return fail(c, -EPROTO, "the manager's answer: %s", grpsec_strerror(err));
	err = read_exact(c, out->msg + GRPSEC_MSG_HDR_LEN, total - GRPSEC_MSG_HDR_LEN);
	if (err)
		return err;
	out->msg_len = total;
	err = grpsec_msg_parse(out->msg, total, &m);
	if (err)
		return fail(c, -EPROTO, "the manager's answer: %s", grpsec_strerror(err));
	if (m.type == GRPSEC_MSG_REFUSAL) {
		out->refusal = m.refusal.reason;
		memcpy(out->refusal_text, m.refusal.text, m.refusal.text_len);
		out->refusal_text[m.refusal.text_len] = '\0';
		return fail(c, -EACCES, "refused (%s): %s", grpsec_refusal_name(m.refusal.reason),
			    out->refusal_text);
	}
	if (m.type != GRPSEC_MSG_ENROLL_ANSWER)
		return fail(c, -EPROTO, "the manager's answer: message type %u", m.type);
	out->answer = m.answer;
	if (out->answer.n_groups != rq->n_groups)
		return fail(c, -EPROTO, "the answer names %u groups, %u were asked for",
			    out->answer.n_groups, rq->n_groups);
	for (unsigned int i = 0; i < rq->n_groups; i++)
		if (out->answer.groups[i].group != rq->groups[i])
			return fail(c, -EPROTO, "the answer names group %u, not %u",
				    out->answer.groups[i].group, rq->groups[i]);
	return 0;
}

static int check_config(struct client *c, struct grpsec_enroll_request *rq)
{
	const struct grpsec_enroll_config *cfg = c->cfg;

	if (!cfg->manager || !cfg->groups || !cfg->n_groups ||
	    cfg->n_groups > GRPSEC_ENROLL_MAX_GROUPS)
		return fail(c, -EINVAL, "a manager address and 1..16 groups are needed");
	if (cfg->psk_identity) {
		if (!cfg->psk || cfg->psk_len < 16 || cfg->psk_len > GRPSEC_PSK_MAX_LEN ||
		    (cfg->psk_hash != GRPSEC_PSK_SHA256 && cfg->psk_hash != GRPSEC_PSK_SHA384) ||
		    !cfg->psk_identity[0])
			return fail(c, -EINVAL, "a PSK needs an identity, 16..64 bytes and sha256 or sha384");
	} else if (!cfg->cert_file || !cfg->key_file || !cfg->ca_file) {
		return fail(c, -EINVAL, "a certificate, its key and the manager's CA are needed (or a PSK)");
	}
	rq->n_groups = cfg->n_groups;
	for (unsigned int i = 0; i < cfg->n_groups; i++) {
		rq->groups[i] = cfg->groups[i];
		if (!rq->groups[i] || (i && rq->groups[i] <= rq->groups[i - 1]))
			return fail(c, -EINVAL, "groups must be non-zero and in increasing order");
	}
	return 0;
}

/*
 * A write to a connection the manager closed raises SIGPIPE, which would
 * end the device's program.  A library must not change the process's
 * signal handling: block SIGPIPE in this thread for the call, and take
 * away a SIGPIPE the call raised (and only that one) before unblocking.
 */
static bool sigpipe_block(sigset_t *old)
{
	sigset_t pipe, pending;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigpending(&pending);
	pthread_sigmask(SIG_BLOCK, &pipe, old);
	return sigismember(&pending, SIGPIPE);
}

static void sigpipe_restore(const sigset_t *old, bool was_pending)
{
	static const struct timespec zero;
	sigset_t pipe;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	if (!was_pending)
		while (sigtimedwait(&pipe, NULL, &zero) == SIGPIPE)
			;
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static int enroll_run(const struct grpsec_enroll_config *cfg, struct grpsec_enrollment *out,
		      char *err, size_t err_len);

int grpsec_enroll(const struct grpsec_enroll_config *cfg, struct grpsec_enrollment *out,
		  char *err, size_t err_len)
{
	sigset_t old;
	bool pending = sigpipe_block(&old);
	int r = enroll_run(cfg, out, err, err_len);

	sigpipe_restore(&old, pending);
	return r;
}

static int enroll_run(const struct grpsec_enroll_config *cfg, struct grpsec_enrollment *out,
		      char *err, size_t err_len)
{
	struct client c = { .cfg = cfg, .fd = -1, .err = err, .err_len = err_len };
	struct grpsec_enroll_request rq;
	uint8_t req[GRPSEC_ENROLL_REQ_MAX_LEN], secret[GRPSEC_SECRET_LEN];
	size_t req_len;
	int r;

	if (err && err_len)
		err[0] = '\0';
	if (!cfg || !out)
		return fail(&c, -EINVAL, "no configuration");
	memset(out, 0, sizeof(*out));
	c.deadline = now_ms() + (cfg->timeout_ms ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS);
	r = check_config(&c, &rq);
	if (!r && grpsec_msg_build_request(&rq, req, sizeof(req), &req_len))
		r = fail(&c, -EINVAL, "cannot build the request");
	if (!r)
		r = make_ctx(&c);
	if (!r)
		r = connect_to(&c);
	if (!r)
		r = handshake(&c);
	if (!r) {
		r = ssl_io(&c, op_write, req, (int)req_len, "sending the request");
		r = r < 0 ? r : receive(&c, &rq, out);
	}
	if (!r && (SSL_export_keying_material(c.ssl, secret, sizeof(secret),
					      GRPSEC_WRAP_EXPORTER_LABEL,
					      strlen(GRPSEC_WRAP_EXPORTER_LABEL), NULL, 0, 0) != 1 ||
		   grpsec_kdf_wrap_key(secret, out->answer.member, out->wrap_key)))
		r = fail(&c, -EIO, "cannot derive the wrap key");
	grpsec_wipe(secret, sizeof(secret));
	if (c.ssl && r != -ETIMEDOUT)
		SSL_shutdown(c.ssl);	/* our close_notify; the manager's is not awaited */
	SSL_free(c.ssl);
	SSL_CTX_free(c.ctx);
	if (c.fd >= 0)
		close(c.fd);
	ERR_clear_error();
	if (r && r != -EACCES) {
		unsigned int reason = out->refusal;

		grpsec_enrollment_wipe(out);
		out->refusal = reason;
	}
	return r;
}

void grpsec_enrollment_wipe(struct grpsec_enrollment *e)
{
	if (e)
		grpsec_wipe(e, sizeof(*e));
}
