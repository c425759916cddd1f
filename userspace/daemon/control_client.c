// SPDX-License-Identifier: GPL-2.0
/*
 * The gateway's end of the control channel (control.h; grpsecd.rst,
 * "Control channel").
 *
 * IDLE -> CONNECTING (a non-blocking connect) -> HANDSHAKE -> OPEN, and
 * back to IDLE on any failure, with the next attempt after a backoff of
 * 1 s doubling to 60 s, each wait drawn within +-25% so that a fleet of
 * gateways does not come back in the same second after the manager
 * restarted.  The manager's certificate is checked against [Control] CA
 * and CRL, and must carry ManagerName.
 *
 * What the manager says goes into d->want (gwstate.h).  A full push
 * (after each connect) adds and replaces only; at its SYNC_DONE whatever
 * d->want holds that the push did not name is dropped, and only then is
 * the kernel told (kernel_changed()).  So while the manager is away, or
 * in the middle of a push, nothing is taken from the module: the data
 * path keeps verifying and forwarding with what it has.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <linux/grpsec.h>
#include "grpsec.h"
#include "grpsec_enroll.h"

#include "../common/value.h"
#include "chan.h"
#include "conf.h"
#include "control.h"
#include "gwstate.h"
#include "kernel.h"
#include "log.h"
#include "loop.h"
#include "tls.h"

#define BACKOFF_FIRST_MS	1000
#define BACKOFF_MAX_MS		60000
#define OUT_MAX			(1u << 20)
#define TICK_MS			5000
#define QUERY_PER_SEC		10
#define HEARD_MS		2000	/* members on a rekey's new epoch: looked for */

enum cc_state { CC_IDLE, CC_CONNECTING, CC_HANDSHAKE, CC_OPEN };

/* A member the module verified a frame of under a rekey's new epoch. */
struct heard {
	uint32_t group, member, epoch;
};

struct heard_list {
	struct heard *v;
	size_t n, cap;
};

struct control_client {
	struct grpsecd *d;
	SSL_CTX *ctx, *next_ctx;
	enum cc_state state;
	int fd;
	SSL *ssl;
	struct tls_peer peer;
	struct loop_timer *timer;	/* backoff, handshake timeout, then keepalives */
	uint64_t backoff_ms;		/* the next wait before jitter */
	uint64_t state_since_ms;
	uint32_t events;
	struct chan ch;
	uint8_t secret[TLS_EXPORTER_LEN]; /* this connection's upstream secret */
	bool have_secret, upstream_seen, pushing;
	bool own_want;			/* d->want made here (no kernel part) */
	/* What the push under way named: groups, and members as group << 32 | id. */
	uint32_t *push_groups;
	size_t npush_groups, cap_groups;
	uint64_t *push_members;
	size_t npush_members, cap_members;
	uint32_t push_records;
	uint32_t syncs;			/* SYNC_DONEs applied on this connection */
	uint32_t sync_members;		/* the last one's member count */
	bool installed_due;		/* INSTALLED of syncs after the next reconcile */
	uint64_t query_window_ms;
	unsigned int queries_in_window;
	struct control_client_stats stats;
	uint8_t msg[64];
	/* HEARD: what this connection reported, what the last look found. */
	struct loop_timer *heard_timer;
	struct heard_list heard, heard_now;
	bool heard_nomem;
	uint32_t heard_ids[GRPSEC_CTL_HEARD_MAX];
	uint8_t heard_msg[GRPSEC_MSG_HDR_LEN + GRPSEC_CTL_HEARD_HDR_LEN +
			  4 * GRPSEC_CTL_HEARD_MAX];
};

void control_client_get_stats(const struct grpsecd *d, struct control_client_stats *out)
{
	if (d->client)
		*out = d->client->stats;
	else
		memset(out, 0, sizeof(*out));
}

bool control_client_connected(const struct grpsecd *d)
{
	return d->client && d->client->state == CC_OPEN;
}

static void push_forget(struct control_client *cc)
{
	free(cc->push_groups);
	free(cc->push_members);
	cc->push_groups = NULL;
	cc->push_members = NULL;
	cc->npush_groups = cc->cap_groups = cc->npush_members = cc->cap_members = 0;
	cc->push_records = 0;
	cc->pushing = false;
}

static int push_note(void **v, size_t *n, size_t *cap, size_t size, const void *x)
{
	char *p;

	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 256;

		p = realloc(*v, c * size);
		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = c;
	}
	memcpy((char *)*v + *n * size, x, size);
	(*n)++;
	return 0;
}

/* The wait before the next attempt: backoff_ms within +-25%, then doubled. */
static uint64_t backoff_next(struct control_client *cc)
{
	uint64_t base = cc->backoff_ms ? cc->backoff_ms : BACKOFF_FIRST_MS, r = 0, wait;

	RAND_bytes((unsigned char *)&r, sizeof(r));
	wait = base - base / 4 + r % (base / 2 + 1);
	cc->backoff_ms = base * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : base * 2;
	cc->stats.last_backoff_ms = wait;
	return wait;
}

/* Back to IDLE: nothing in d->want is dropped; the next attempt is scheduled. */
static void cc_close(struct control_client *cc, const char *why)
{
	uint64_t wait;

	if (cc->state == CC_IDLE)
		return;
	if (cc->state == CC_OPEN)
		log_warn("control: connection to the manager %s lost: %s; the module keeps what it holds",
			 cc->peer.addr, why);
	else
		log_warn("control: cannot reach the manager %s: %s", cc->peer.addr, why);
	cc->stats.failures++;
	loop_fd_del(cc->d->loop, cc->fd);
	if (cc->ssl && cc->state == CC_OPEN)
		SSL_shutdown(cc->ssl);
	SSL_free(cc->ssl);
	cc->ssl = NULL;
	close(cc->fd);
	cc->fd = -1;
	chan_reset(&cc->ch);
	OPENSSL_cleanse(cc->secret, sizeof(cc->secret));
	cc->have_secret = cc->upstream_seen = cc->installed_due = false;
	cc->syncs = 0;
	cc->heard.n = 0;	/* the next connection hears them all again */
	push_forget(cc);
	ERR_clear_error();
	cc->state = CC_IDLE;
	wait = backoff_next(cc);
	log_info("control: next attempt in %" PRIu64 " ms", wait);
	loop_timer_set(cc->timer, wait, 0);
}

/* Messages from the manager, into d->want */

static void on_upstream(struct control_client *cc, const struct grpsec_ctl_upstream *u)
{
	struct gwstate *want = cc->d->want;
	struct gw_upstream up = { .set = true, .gateway = u->gateway, .suite = u->suite,
				  .seq_floor = u->batch_seq_floor };
	size_t kl = grpsec_suite_key_len(u->suite);

	if (u->family == GRPSEC_ENROLL_ADDR_IPV4) {
		struct sockaddr_in *sin = (void *)&up.endpoint;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(u->port);
		memcpy(&sin->sin_addr, u->addr, 4);
		up.endpoint_len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (void *)&up.endpoint;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(u->port);
		memcpy(&sin6->sin6_addr, u->addr, 16);
		up.endpoint_len = sizeof(*sin6);
	}
	if (!cc->have_secret ||
	    grpsec_kdf_upstream_key(u->suite, cc->secret, u->gateway, up.key, kl)) {
		log_err("control: no K_up for gateway %" PRIu32, u->gateway);
		OPENSSL_cleanse(&up, sizeof(up));
		return;
	}
	gwstate_set_upstream(want, &up);
	gwstate_set_listen(want, u->listen_port, want->gateway_seq_floor);
	OPENSSL_cleanse(&up, sizeof(up));
	/*
	 * The new K_up goes in now, not after the push: the manager opens
	 * batches under the old one only until the first under the new
	 * one arrives, and a push of many members takes a while.
	 */
	if (cc->d->kernel)
		kernel_upstream_now(cc->d->kernel, want);
	if (!cc->upstream_seen)
		log_info("control: gateway %" PRIu32 ", K_up of this connection, batches to %s port %u, devices on port %u",
			 u->gateway, u->family == GRPSEC_ENROLL_ADDR_IPV4 ? "IPv4" : "IPv6", u->port,
			 u->listen_port);
	cc->upstream_seen = true;
	/* UPSTREAM starts a full push (each connection, each reload of the manager's). */
	push_forget(cc);
	cc->pushing = true;
}

static void copy_slot(struct gw_key *k, const struct grpsec_ctl_slot *s, size_t kl)
{
	k->set = true;
	k->epoch = s->epoch;
	memcpy(k->key, s->key, kl);
}

static int on_group(struct control_client *cc, const struct grpsec_ctl_group *g)
{
	const struct gw_group *old = gwstate_group_find(cc->d->want, g->group);
	size_t kl = grpsec_suite_key_len(g->suite);
	struct gw_group gg = {
		.id = g->group, .suite = g->suite, .mode = g->mode,
		.flags = g->flags & GRPSEC_CTL_GROUP_TERMINATE ? GRPSEC_GROUP_F_TERMINATE : 0,
		.msg_limit = g->msg_limit, .rate_limit = g->rate_limit,
		.cmd_seq_floor = old ? old->cmd_seq_floor : 0,
	};
	int err;

	if (g->n_slots)
		copy_slot(&gg.cur, &g->slots[0], kl);
	if (g->n_slots > 1)
		copy_slot(&gg.next, &g->slots[1], kl);
	err = gwstate_group_put(cc->d->want, &gg);
	OPENSSL_cleanse(&gg, sizeof(gg));
	if (!err && cc->pushing)
		err = push_note((void **)&cc->push_groups, &cc->npush_groups, &cc->cap_groups,
				sizeof(uint32_t), &g->group);
	return err;
}

static int on_members(struct control_client *cc, const struct grpsec_ctl_members *ms)
{
	size_t kl = grpsec_suite_key_len(ms->suite), off = 0;
	struct grpsec_ctl_member r;
	int err = 0;

	while (!err && grpsec_ctl_members_next(ms, &off, &r)) {
		const struct gw_member *old = gwstate_member_find(cc->d->want, ms->group, r.member);
		struct gw_member m = { .group = ms->group, .id = r.member,
				       .last_seq = old ? old->last_seq : 0 };
		uint64_t key = (uint64_t)ms->group << 32 | r.member;

		copy_slot(&m.cur, &r.slots[0], kl);
		if (r.n_slots > 1)
			copy_slot(&m.next, &r.slots[1], kl);
		err = gwstate_member_put(cc->d->want, &m);
		OPENSSL_cleanse(&m, sizeof(m));
		if (err == -ENOENT) {
			log_warn("control: members of group %" PRIu32 ", which the manager did not announce",
				 ms->group);
			cc->stats.bad_messages++;
			return 0;
		}
		if (!err && cc->pushing) {
			cc->push_records++;
			err = push_note((void **)&cc->push_members, &cc->npush_members,
					&cc->cap_members, sizeof(key), &key);
		}
	}
	return err;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct sweep {
	struct control_client *cc;
	uint64_t *gone;
	size_t n, cap;
};

static int sweep_member(const struct gw_member *m, void *arg)
{
	struct sweep *sw = arg;
	uint64_t key = (uint64_t)m->group << 32 | m->id;

	if (bsearch(&key, sw->cc->push_members, sw->cc->npush_members, sizeof(key), cmp_u64))
		return 0;
	return push_note((void **)&sw->gone, &sw->n, &sw->cap, sizeof(key), &key);
}

/* The push is complete: drop what it did not name, then tell the kernel. */
static int on_sync_done(struct control_client *cc, const struct grpsec_ctl_sync_done *s)
{
	struct gwstate *want = cc->d->want;
	struct sweep sw = { cc, NULL, 0, 0 };
	size_t groups_gone = 0;
	int err;

	if (!cc->pushing || s->groups != cc->npush_groups || s->members != cc->push_records) {
		log_warn("control: the push carried %zu groups and %" PRIu32 " members, SYNC_DONE says %" PRIu32 " and %" PRIu32 ": reconnecting for another",
			 cc->npush_groups, cc->push_records, s->groups, s->members);
		return -EPROTO;
	}
	qsort(cc->push_groups, cc->npush_groups, sizeof(uint32_t), cmp_u32);
	qsort(cc->push_members, cc->npush_members, sizeof(uint64_t), cmp_u64);
	for (size_t i = want->ngroups; i-- > 0;) {
		uint32_t id = want->groups[i].id;

		if (!bsearch(&id, cc->push_groups, cc->npush_groups, sizeof(id), cmp_u32)) {
			gwstate_group_del(want, id);
			groups_gone++;
		}
	}
	err = gwstate_member_each(want, 0, sweep_member, &sw);
	for (size_t i = 0; !err && i < sw.n; i++)
		gwstate_member_del(want, (uint32_t)(sw.gone[i] >> 32), (uint32_t)sw.gone[i]);
	free(sw.gone);
	if (err)
		return err;
	log_info("control: full push: %" PRIu32 " groups, %" PRIu32 " members; %zu groups and %zu members the manager no longer names dropped",
		 s->groups, s->members, groups_gone, sw.n);
	push_forget(cc);
	cc->stats.pushes++;
	cc->syncs++;
	cc->sync_members = s->members;
	cc->installed_due = true;
	kernel_changed(cc->d->kernel);
	return 0;
}

static void on_member_del(struct control_client *cc, const struct grpsec_ctl_member_del *d)
{
	unsigned int gone = 0;

	for (unsigned int i = 0; i < d->n; i++)
		gone += !gwstate_member_del(cc->d->want, d->group, grpsec_ctl_del_id(d, i));
	log_info("control: group %" PRIu32 ": %u of %u members removed", d->group, gone, d->n);
}

/* One message; 0, or -errno to close the connection. */
static int cc_message(struct control_client *cc)
{
	struct grpsec_msg m;
	int err = grpsec_msg_parse(cc->ch.in, cc->ch.in_len, &m);

	if (err) {
		cc->stats.bad_messages++;
		log_warn("control: a malformed message from the manager (type %u): %s", cc->ch.in[1],
			 grpsec_strerror(err));
		return err;
	}
	if (!cc->upstream_seen && m.type != GRPSEC_MSG_UPSTREAM && m.type != GRPSEC_MSG_KEEPALIVE) {
		cc->stats.bad_messages++;
		log_warn("control: message type %u before UPSTREAM", m.type);
		return -EPROTO;
	}
	switch (m.type) {
	case GRPSEC_MSG_UPSTREAM:
		on_upstream(cc, &m.upstream);
		return 0;
	case GRPSEC_MSG_GROUP:
		err = on_group(cc, &m.group);
		break;
	case GRPSEC_MSG_MEMBERS:
		err = on_members(cc, &m.members);
		break;
	case GRPSEC_MSG_MEMBER_DEL:
		on_member_del(cc, &m.del);
		break;
	case GRPSEC_MSG_SYNC_DONE:
		return on_sync_done(cc, &m.sync_done);
	case GRPSEC_MSG_KEEPALIVE:
		return 0;
	default:
		cc->stats.bad_messages++;
		log_warn("control: the manager sent type %u, which it may not send", m.type);
		return -EPROTO;
	}
	if (!err && !cc->pushing)
		kernel_changed(cc->d->kernel);
	return err;
}

/* The connection */

static void cc_want(struct control_client *cc, uint32_t events)
{
	if (cc->events != events && !loop_fd_mod(cc->d->loop, cc->fd, events))
		cc->events = events;
}

static bool cc_handshake(struct control_client *cc)
{
	int r = SSL_do_handshake(cc->ssl), err;

	if (r != 1) {
		err = SSL_get_error(cc->ssl, r);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			cc_want(cc, err == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
			return false;
		}
		tls_log_error(&cc->peer, "control: TLS handshake failed with the manager", err);
		cc_close(cc, "TLS handshake failed");
		return false;
	}
	if (tls_upstream_secret(cc->ssl, cc->secret)) {
		cc_close(cc, "no exporter value");
		return false;
	}
	cc->have_secret = true;
	cc->state = CC_OPEN;
	cc->backoff_ms = 0;
	cc->stats.connects++;
	chan_init(&cc->ch, cc->ssl, OUT_MAX);
	loop_timer_set(cc->timer, TICK_MS, TICK_MS);
	log_info("control: connected to the manager %s, %s", cc->peer.addr,
		 SSL_get_cipher_name(cc->ssl));
	return true;
}

static void cc_step(struct control_client *cc)
{
	uint32_t want = EPOLLIN, wr = 0;
	int r, soerr = 0;
	socklen_t len = sizeof(soerr);

	if (cc->state == CC_CONNECTING) {
		if (getsockopt(cc->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr) {
			cc_close(cc, strerror(soerr ? soerr : errno));
			return;
		}
		cc->state = CC_HANDSHAKE;
	}
	if (cc->state == CC_HANDSHAKE && !cc_handshake(cc))
		return;
	for (;;) {
		r = chan_read(&cc->ch, &want);
		if (r == 1) {
			r = cc_message(cc);
			chan_consumed(&cc->ch);
			if (r) {
				cc_close(cc, "a message out of place");
				return;
			}
			continue;
		}
		if (r < 0) {
			cc_close(cc, r == -EPIPE ? "the manager closed the connection" :
				 r == -EPROTO ? "a malformed message header" : "TLS error");
			return;
		}
		break;
	}
	r = chan_flush(&cc->ch, &wr);
	if (r < 0) {
		cc_close(cc, "TLS error while sending");
		return;
	}
	cc_want(cc, want | (r ? wr : 0));
}

static void cc_event(int fd, uint32_t events, void *arg)
{
	(void)fd, (void)events;
	cc_step(arg);
}

static void cc_connect(struct control_client *cc)
{
	const struct conf_control *ct = &cc->d->conf->control;
	int fd = socket(ct->manager.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	format_endpoint(&ct->manager.ss, cc->peer.addr, sizeof(cc->peer.addr));
	cc->fd = fd;
	cc->state = CC_CONNECTING;
	cc->state_since_ms = loop_now_ms();
	if (fd < 0) {
		cc->state = CC_HANDSHAKE;	/* so that cc_close() logs and retries */
		cc_close(cc, strerror(errno));
		return;
	}
	if (connect(fd, (const struct sockaddr *)&ct->manager.ss, ct->manager.len) &&
	    errno != EINPROGRESS) {
		cc_close(cc, strerror(errno));
		return;
	}
	cc->ssl = tls_client_ssl_new(cc->ctx, fd, &cc->peer, ct->manager_name);
	cc->events = EPOLLOUT;
	if (!cc->ssl || loop_fd_add(cc->d->loop, fd, EPOLLOUT, cc_event, cc)) {
		cc_close(cc, "out of memory");
		return;
	}
	loop_timer_set(cc->timer, ct->handshake_timeout_ms ? ct->handshake_timeout_ms :
			CONF_DEFAULT_HANDSHAKE_MS, 0);
}

static void cc_tick(struct loop_timer *t, void *arg)
{
	struct control_client *cc = arg;
	uint64_t now = loop_now_ms();
	size_t len;

	(void)t;
	switch (cc->state) {
	case CC_IDLE:
		cc_connect(cc);
		return;
	case CC_CONNECTING:
	case CC_HANDSHAKE:
		cc_close(cc, "no TLS connection in time");
		return;
	case CC_OPEN:
		break;
	}
	if (now - cc->ch.last_rx_ms >= CHAN_IDLE_MS) {
		cc_close(cc, "nothing heard for 45 s");
		return;
	}
	if (now - cc->ch.last_tx_ms >= CHAN_KEEPALIVE_MS && !chan_pending(&cc->ch) &&
	    !grpsec_msg_build_keepalive(cc->msg, sizeof(cc->msg), &len) &&
	    chan_queue(&cc->ch, cc->msg, len)) {
		cc_close(cc, "the manager does not read");
		return;
	}
	cc_step(cc);
}

void control_client_query(void *arg, uint32_t group, uint32_t member)
{
	struct grpsecd *d = arg;
	struct control_client *cc = d->client;
	struct grpsec_ctl_query q = { group, member };
	uint64_t now = loop_now_ms();
	size_t len;

	if (!cc || cc->state != CC_OPEN || !group || !member)
		return;
	if (now - cc->query_window_ms >= 1000) {
		cc->query_window_ms = now;
		cc->queries_in_window = 0;
	}
	if (cc->queries_in_window >= QUERY_PER_SEC) {
		cc->stats.queries_dropped++;
		return;
	}
	if (grpsec_msg_build_query(&q, cc->msg, sizeof(cc->msg), &len) ||
	    chan_queue(&cc->ch, cc->msg, len))
		return;
	cc->queries_in_window++;
	cc->stats.queries++;
	cc_step(cc);
}

/*
 * HEARD: every HEARD_MS while a rekey is under way (a member in d->want
 * has a next key), the members whose newest frame the module verified
 * under that next epoch, those not reported on this connection yet.  The
 * manager sends them no retry (grpsecd.rst, "Rekey").
 */
static void heard_note(void *arg, uint32_t group, uint32_t epoch, uint32_t member)
{
	struct control_client *cc = arg;
	struct heard h = { group, member, epoch };

	if (push_note((void **)&cc->heard_now.v, &cc->heard_now.n, &cc->heard_now.cap,
		      sizeof(h), &h))
		cc->heard_nomem = true;
}

static int heard_send(struct control_client *cc, uint32_t group, uint32_t epoch,
		      unsigned int n)
{
	size_t len;
	int err = grpsec_msg_build_heard(group, epoch, cc->heard_ids, n, cc->heard_msg,
					 sizeof(cc->heard_msg), &len);

	if (!err)
		err = chan_queue(&cc->ch, cc->heard_msg, len);
	if (!err)
		cc->stats.heard += n;
	return err;
}

static bool heard_before(const struct heard *a, const struct heard *b)
{
	return a->group != b->group ? a->group < b->group : a->member < b->member;
}

static void cc_heard(struct loop_timer *t, void *arg)
{
	struct control_client *cc = arg;
	const struct heard *old = cc->heard.v;
	uint32_t group = 0, epoch = 0;
	struct heard_list swap;
	unsigned int n = 0;
	size_t j = 0;
	int err = 0;

	(void)t;
	if (cc->state != CC_OPEN || !cc->d->kernel ||
	    !gwstate_rekeying(cc->d->want, 0)) {
		cc->heard.n = 0;	/* no rekey under way: nothing to remember */
		return;
	}
	cc->heard_now.n = 0;
	cc->heard_nomem = false;
	if (kernel_heard(cc->d->kernel, cc->d->want, heard_note, cc) || cc->heard_nomem)
		return;
	/* Both lists in (group, member) order: the new ones in one walk. */
	for (size_t i = 0; i < cc->heard_now.n && !err; i++) {
		const struct heard *h = &cc->heard_now.v[i];

		while (j < cc->heard.n && heard_before(&old[j], h))
			j++;
		if (j < cc->heard.n && !heard_before(h, &old[j]) && old[j].epoch == h->epoch)
			continue;
		if (n && (h->group != group || h->epoch != epoch || n == GRPSEC_CTL_HEARD_MAX)) {
			err = heard_send(cc, group, epoch, n);
			n = 0;
		}
		group = h->group;
		epoch = h->epoch;
		cc->heard_ids[n++] = h->member;
	}
	if (n && !err)
		err = heard_send(cc, group, epoch, n);
	if (err) {
		/* The next look sends them again (a repeat is harmless). */
		log_warn("control: HEARD not sent: %s", strerror(-err));
		return;
	}
	swap = cc->heard;
	cc->heard = cc->heard_now;
	cc->heard_now = swap;
	cc_step(cc);
}

/*
 * The reconciliation after a SYNC_DONE: once it succeeded, INSTALLED tells
 * the manager that the module holds that push (its rekeys wait for it).
 */
static void client_reconciled(void *arg, int err)
{
	struct grpsecd *d = arg;
	struct control_client *cc = d->client;
	struct grpsec_ctl_installed in;
	size_t len;

	if (!cc || cc->state != CC_OPEN || !cc->installed_due || err)
		return;
	in = (struct grpsec_ctl_installed){ cc->syncs, cc->sync_members };
	if (grpsec_msg_build_installed(&in, cc->msg, sizeof(cc->msg), &len) ||
	    chan_queue(&cc->ch, cc->msg, len))
		return;
	cc->installed_due = false;
	log_info("control: push %" PRIu32 " of this connection is in the module: INSTALLED sent",
		 cc->syncs);
	cc_step(cc);
}

/* The part */

static int client_init(struct grpsecd *d)
{
	struct control_client *cc = calloc(1, sizeof(*cc));
	struct kernel_hooks hooks = {
		.unknown_member = control_client_query, .reconciled = client_reconciled, .arg = d,
	};

	if (!cc)
		return -1;
	cc->d = d;
	cc->fd = -1;
	if (!d->want) {
		d->want = gwstate_new();
		cc->own_want = true;
	}
	cc->ctx = tls_control_client_ctx_new(&d->conf->control);
	cc->timer = loop_timer_add(d->loop, 0, 0, cc_tick, cc);
	cc->heard_timer = loop_timer_add(d->loop, HEARD_MS, HEARD_MS, cc_heard, cc);
	if (!d->want || !cc->ctx || !cc->timer || !cc->heard_timer) {
		if (cc->own_want) {
			gwstate_free(d->want);
			d->want = NULL;
		}
		tls_ctx_free(cc->ctx);
		loop_timer_del(cc->timer);
		loop_timer_del(cc->heard_timer);
		free(cc);
		return -1;
	}
	d->client = cc;
	if (d->kernel)
		kernel_set_hooks(d->kernel, &hooks);
	return 0;
}

static void client_uninit(struct grpsecd *d)
{
	struct control_client *cc = d->client;

	if (!cc)
		return;
	if (cc->state != CC_IDLE) {
		loop_fd_del(d->loop, cc->fd);
		if (cc->state == CC_OPEN)
			SSL_shutdown(cc->ssl);	/* the manager sees a clean close */
		SSL_free(cc->ssl);
		close(cc->fd);
	}
	chan_reset(&cc->ch);
	push_forget(cc);
	OPENSSL_cleanse(cc->secret, sizeof(cc->secret));
	loop_timer_del(cc->timer);
	loop_timer_del(cc->heard_timer);
	free(cc->heard.v);
	free(cc->heard_now.v);
	tls_ctx_free(cc->ctx);
	tls_ctx_free(cc->next_ctx);
	if (cc->own_want) {
		gwstate_free(d->want);
		d->want = NULL;
	}
	free(cc);
	d->client = NULL;
}

static int client_reload_check(struct grpsecd *d, const struct grpsecd_conf *next)
{
	struct control_client *cc = d->client;

	cc->next_ctx = tls_control_client_ctx_new(&next->control);
	return cc->next_ctx ? 0 : -1;
}

/* New certificates and CA for the next connection; a new Manager: reconnect now. */
static void client_reload_apply(struct grpsecd *d, const struct grpsecd_conf *prev)
{
	struct control_client *cc = d->client;
	const struct conf_addr *a = &prev->control.manager, *b = &d->conf->control.manager;

	tls_ctx_free(cc->ctx);
	cc->ctx = cc->next_ctx;
	cc->next_ctx = NULL;
	if (a->len != b->len || memcmp(&a->ss, &b->ss, a->len)) {
		cc_close(cc, "the configuration names another manager");
		cc->backoff_ms = 0;
		loop_timer_set(cc->timer, 0, 0);
	}
}

static void client_reload_abort(struct grpsecd *d)
{
	tls_ctx_free(d->client->next_ctx);
	d->client->next_ctx = NULL;
}

const struct grpsecd_part control_client_part = {
	.name = "control",
	.init = client_init,
	.uninit = client_uninit,
	.reload_check = client_reload_check,
	.reload_apply = client_reload_apply,
	.reload_abort = client_reload_abort,
};
