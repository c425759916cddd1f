// SPDX-License-Identifier: GPL-2.0
/*
 * The manager's end of the control channel (control.h; grpsecd.rst,
 * "Control channel").
 *
 * A connection goes HANDSHAKE -> OPEN.  At the end of the handshake the
 * gateway's subject picks its [Gateway]; K_up is derived from the
 * exporter and installed in the backend (which keeps the previous one
 * for a grace period), and a full push starts: UPSTREAM, then per group
 * GROUP and its MEMBERS, then SYNC_DONE.  The push is produced as the
 * socket drains (at most PUMP_AHEAD bytes queued), so a fleet of a
 * million members costs no more memory than a small one.  Changes that
 * happen during a push (an enrollment, a revocation, an answer to a
 * query) wait in @later and follow SYNC_DONE, so that the gateway never
 * gets a member before its group nor loses one the push did not name.
 *
 * A rekey (rekey.c) tells us of its new epoch before any member hears
 * of it: every connected gateway serving the group gets a full push
 * (its members with K_m of both epochs), and the rekeys are held until
 * each of them answered INSTALLED for that push (its module holds the
 * keys), or INSTALL_WAIT_MS passed.  When the old epoch retires, another
 * full push lets the gateways drop its slots.
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

#include "grpsec.h"
#include "grpsec_enroll.h"

#include "backend.h"
#include "chan.h"
#include "conf.h"
#include "control.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "rekey.h"
#include "sock.h"
#include "store.h"
#include "tls.h"

#define OUT_MAX		(4u << 20)	/* queued for one gateway: past it, it is cut */
#define PUMP_AHEAD	(256u << 10)	/* the push is made as the socket drains */
#define TICK_MS		5000
#define SUBJECT_MAX	STORE_IDENTITY_MAX
#define INSTALL_WAIT_MS	10000	/* past it, a new epoch's rekeys go anyway */

/* A full push under way. */
struct push {
	uint32_t *groups;		/* the groups this gateway serves */
	size_t ngroups, gi;
	bool in_group;			/* GROUP of groups[gi] sent, members follow */
	uint32_t *members;		/* active members of groups[gi] */
	size_t nmembers, mi, cap;
	struct store_group sg;
	struct store_epoch ep[GRPSEC_ENROLL_MAX_EPOCHS];
	unsigned int n_ep;
	uint32_t sent_groups, sent_members;
};

struct gwc {
	struct control *ctl;
	struct gwc *prev, *next;
	int fd;
	SSL *ssl;
	struct tls_peer peer;
	struct loop_timer *timer;
	bool open;
	uint32_t gateway;
	uint32_t events;
	struct chan ch;
	struct push *push;
	struct chan later;		/* changes held back until the push is done */
	uint32_t syncs;			/* SYNC_DONEs sent on this connection */
	uint32_t installed;		/* the last push it said INSTALLED for */
	uint8_t msg[GRPSEC_MSG_MAX_LEN];
};

/* A new epoch whose rekeys wait for its gateways' INSTALLED. */
struct install_wait {
	struct control *ctl;
	uint32_t group, epoch;
	uint64_t since_ms;
	struct loop_timer *timer;
	struct gwc **conns;		/* the gateways yet to answer */
	uint32_t *need;			/* the push each must answer for */
	size_t n;
	bool building;			/* still being filled: not done yet */
};

struct control {
	struct grpsecd *d;
	struct install_wait **waits;
	size_t nwaits;
	SSL_CTX *ctx, *next_ctx;
	int fd;
	struct gwc *conns;
	unsigned int n_open;
	uint32_t *seen;			/* gateways connected since the start */
	size_t nseen;
	uint64_t count[__CONTROL_OUTCOME_MAX];
};

static const char *const outcome_names[__CONTROL_OUTCOME_MAX] = {
	[CONTROL_OK] = "ok",
	[CONTROL_CERT_UNTRUSTED] = "cert_untrusted",
	[CONTROL_CERT_EXPIRED] = "cert_expired",
	[CONTROL_CERT_REVOKED] = "cert_revoked",
	[CONTROL_CERT_INVALID] = "cert_invalid",
	[CONTROL_NO_CERTIFICATE] = "no_certificate",
	[CONTROL_UNKNOWN_IDENTITY] = "unknown_identity",
	[CONTROL_TLS_PROTOCOL] = "tls_protocol",
	[CONTROL_HANDSHAKE_TIMEOUT] = "handshake_timeout",
	[CONTROL_INTERNAL] = "internal",
};

const char *control_outcome_name(enum control_outcome o)
{
	return o < __CONTROL_OUTCOME_MAX ? outcome_names[o] : "unknown";
}

uint64_t control_count(const struct grpsecd *d, enum control_outcome o)
{
	return d->control && o < __CONTROL_OUTCOME_MAX ? d->control->count[o] : 0;
}

unsigned int control_connected(const struct grpsecd *d)
{
	return d->control ? d->control->n_open : 0;
}

bool control_gateway_seen(const struct grpsecd *d, uint32_t gateway)
{
	for (size_t i = 0; d->control && i < d->control->nseen; i++)
		if (d->control->seen[i] == gateway)
			return true;
	return false;
}

static int seen_add(struct control *ctl, uint32_t gateway)
{
	uint32_t *v;

	if (control_gateway_seen(ctl->d, gateway))
		return 0;
	v = realloc(ctl->seen, (ctl->nseen + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[ctl->nseen++] = gateway;
	ctl->seen = v;
	return 0;
}

static void counted(struct control *ctl, enum control_outcome o)
{
	ctl->count[o]++;
	metrics_count(ctl->d->metrics, "grpsecd_control_connections_total",
		      control_outcome_name(o), 1);
}

static void push_free(struct push *p)
{
	if (!p)
		return;
	free(p->groups);
	free(p->members);
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
}

static void waits_forget(struct control *ctl, const struct gwc *c);
static void conn_step(struct gwc *c);

/* Close; @why (NULL for a refusal counted already) is the disconnect's label. */
static void conn_close(struct gwc *c, const char *why)
{
	struct control *ctl = c->ctl;

	if (c->open) {
		waits_forget(ctl, c);
		ctl->n_open--;
		metrics_set(ctl->d->metrics, "grpsecd_gateways_connected", NULL, ctl->n_open);
		metrics_count(ctl->d->metrics, "grpsecd_control_disconnects_total", why, 1);
		log_info("control: gateway %" PRIu32 " (%s) disconnected: %s", c->gateway,
			 c->peer.addr, why);
	}
	loop_fd_del(ctl->d->loop, c->fd);
	loop_timer_del(c->timer);
	if (c->ssl && c->open)
		SSL_shutdown(c->ssl);
	SSL_free(c->ssl);
	close(c->fd);
	push_free(c->push);
	chan_reset(&c->ch);
	chan_reset(&c->later);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static const struct conf_gateway *conn_gateway(const struct gwc *c)
{
	return conf_gateway_find(c->ctl->d->conf, c->gateway);
}

/* Does @gw serve @cg?  Its [Group] names it, or names none and @gw is the first. */
static bool serves(const struct grpsecd_conf *conf, const struct conf_gateway *gw,
		   const struct conf_group *cg)
{
	if (!cg->gateways.n)
		return conf->ngateways && conf->gateways[0].id == gw->id;
	for (size_t i = 0; i < cg->gateways.n; i++)
		if (cg->gateways.v[i] == gw->id)
			return true;
	return false;
}

/* The label of a message type in grpsecd_control_bytes_total. */
static const char *msg_label(uint8_t type)
{
	switch (type) {
	case GRPSEC_MSG_UPSTREAM: return "upstream";
	case GRPSEC_MSG_GROUP: return "group";
	case GRPSEC_MSG_MEMBERS: return "members";
	case GRPSEC_MSG_MEMBER_DEL: return "member_del";
	case GRPSEC_MSG_SYNC_DONE: return "sync_done";
	case GRPSEC_MSG_KEEPALIVE: return "keepalive";
	default: return "other";
	}
}

/* Queue a built message: to the socket, or after the push when one is under way. */
static int conn_send(struct gwc *c, const uint8_t *msg, size_t len, bool change)
{
	int err = chan_queue(change && c->push ? &c->later : &c->ch, msg, len);

	if (!err)
		metrics_count(c->ctl->d->metrics, "grpsecd_control_bytes_total", msg_label(msg[1]),
			      len);
	if (err == -ENOBUFS)
		log_warn("control: gateway %" PRIu32 " reads too slowly (%zu bytes queued): cut; it gets a full push when it comes back",
			 c->gateway, chan_pending(&c->ch) + chan_pending(&c->later));
	return err;
}

/* Keys */

static int epochs_read(struct store *st, uint32_t group, struct store_group *g,
		       struct store_epoch *ep, unsigned int *n)
{
	int err = store_group_get(st, group, g);

	*n = 0;
	if (!err)
		err = store_epoch_get(st, group, g->epoch, &ep[(*n)++]);
	if (!err && g->next_epoch > g->epoch)
		err = store_epoch_get(st, group, g->next_epoch, &ep[(*n)++]);
	return err;
}

/* Member @id's slots of the epochs read, its keys in @keys. */
static int member_slots(const struct store_group *g, const struct store_epoch *ep,
			unsigned int n_ep, uint32_t id, uint8_t keys[][GRPSEC_KEY_MAX_LEN],
			struct grpsec_ctl_member *out)
{
	size_t kl = grpsec_suite_key_len(g->suite);
	int err = 0;

	out->member = id;
	out->n_slots = n_ep;
	for (unsigned int j = 0; j < n_ep && !err; j++) {
		err = grpsec_kdf_member_key(g->suite, ep[j].s_auth, g->id, ep[j].epoch, id,
					    keys[j], kl);
		out->slots[j] = (struct grpsec_ctl_slot){ ep[j].epoch, keys[j] };
	}
	return err;
}

/*
 * MEMBERS of @g for @ids[0..@n), as many per message as fit; the number
 * sent in *@sent.  @change: an update (held back during a push).
 */
static int send_members(struct gwc *c, const struct store_group *g,
			const struct store_epoch *ep, unsigned int n_ep, const uint32_t *ids,
			size_t n, bool change, size_t *sent)
{
	static uint8_t keys[1024][GRPSEC_ENROLL_MAX_EPOCHS][GRPSEC_KEY_MAX_LEN];
	static struct grpsec_ctl_member mb[1024];
	size_t per = GRPSEC_CTL_MEMBER_LEN(n_ep, grpsec_suite_key_len(g->suite));
	size_t fit = (GRPSEC_MSG_MAX_LEN - GRPSEC_MSG_HDR_LEN - GRPSEC_CTL_MEMBERS_HDR_LEN) / per;
	size_t k = n < fit ? n : fit, len;
	int err = 0;

	if (k > 1024)
		k = 1024;
	for (size_t i = 0; i < k && !err; i++)
		err = member_slots(g, ep, n_ep, ids[i], keys[i], &mb[i]);
	if (!err)
		err = grpsec_msg_build_members(g->id, g->suite, mb, (unsigned int)k, c->msg,
					       sizeof(c->msg), &len);
	if (!err)
		err = conn_send(c, c->msg, len, change);
	OPENSSL_cleanse(keys, sizeof(keys));
	OPENSSL_cleanse(c->msg, sizeof(c->msg));
	*sent = k;
	return err;
}

/* The push */

static int send_upstream(struct gwc *c, const struct conf_gateway *gw)
{
	const struct conf_addr *bl = &c->ctl->d->conf->manager.batch_listen;
	struct grpsec_ctl_upstream u = { .gateway = gw->id, .suite = gw->upstream_suite };
	struct sockaddr_storage here;
	socklen_t here_len = sizeof(here);
	struct store_gateway sg;
	size_t len;
	int err;

	/* A wildcard BatchListen: the address this gateway reached us on. */
	memcpy(&here, &bl->ss, sizeof(here));
	if (bl->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&bl->ss;

		if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
			getsockname(c->fd, (struct sockaddr *)&here, &here_len);
		u.port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)&bl->ss;

		if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			getsockname(c->fd, (struct sockaddr *)&here, &here_len);
		u.port = ntohs(sin6->sin6_port);
	}
	if (here.ss_family == AF_INET) {
		u.family = GRPSEC_ENROLL_ADDR_IPV4;
		memcpy(u.addr, &((const struct sockaddr_in *)(const void *)&here)->sin_addr, 4);
	} else {
		u.family = GRPSEC_ENROLL_ADDR_IPV6;
		memcpy(u.addr, &((const struct sockaddr_in6 *)(const void *)&here)->sin6_addr, 16);
	}
	u.listen_port = ntohs(gw->address.ss.ss_family == AF_INET ?
			      ((const struct sockaddr_in *)(const void *)&gw->address.ss)->sin_port :
			      ((const struct sockaddr_in6 *)(const void *)&gw->address.ss)->sin6_port);
	if (store_gateway_get(c->ctl->d->store, gw->id, &sg) == 0 && sg.batch_seq)
		u.batch_seq_floor = sg.batch_seq + 1;
	err = grpsec_msg_build_upstream(&u, c->msg, sizeof(c->msg), &len);
	return err ? err : conn_send(c, c->msg, len, false);
}

struct collect {
	struct push *p;
	int err;
};

static int collect_member(void *arg, const struct store_member *m)
{
	struct collect *cl = arg;
	struct push *p = cl->p;
	uint32_t *v;

	if (m->state != STORE_MEMBER_ACTIVE)
		return 0;
	if (p->nmembers == p->cap) {
		v = realloc(p->members, (p->cap = p->cap ? 2 * p->cap : 1024) * sizeof(*v));
		if (!v)
			return cl->err = -ENOMEM;
		p->members = v;
	}
	p->members[p->nmembers++] = m->id;
	return 0;
}

/* GROUP of the next group, its keys read and its active members listed. */
static int push_group(struct gwc *c, struct push *p)
{
	struct store *st = c->ctl->d->store;
	const struct conf_group *cg = conf_group_find(c->ctl->d->conf, p->groups[p->gi]);
	struct grpsec_ctl_group g = { 0 };
	struct collect cl = { p, 0 };
	size_t len;
	int err;

	OPENSSL_cleanse(p->ep, sizeof(p->ep));
	err = epochs_read(st, p->groups[p->gi], &p->sg, p->ep, &p->n_ep);
	if (err)
		return err;
	g = (struct grpsec_ctl_group){
		.group = p->sg.id, .suite = p->sg.suite, .mode = p->sg.mode,
		.flags = cg && cg->commands ? GRPSEC_CTL_GROUP_COMMANDS : 0,
		.msg_limit = cg ? cg->message_limit : 0, .rate_limit = cg ? cg->rate_limit : 0,
	};
	/* K_G only for a group this gateway terminates (an anonymous one). */
	if (cg && cg->terminate && p->sg.mode == GRPSEC_MODE_ANONYMOUS) {
		g.flags |= GRPSEC_CTL_GROUP_TERMINATE;
		g.n_slots = p->n_ep;
		for (unsigned int j = 0; j < p->n_ep; j++)
			g.slots[j] = (struct grpsec_ctl_slot){ p->ep[j].epoch, p->ep[j].k_g };
	}
	err = grpsec_msg_build_group(&g, c->msg, sizeof(c->msg), &len);
	if (!err)
		err = conn_send(c, c->msg, len, false);
	OPENSSL_cleanse(c->msg, sizeof(c->msg));
	if (err)
		return err;
	p->sent_groups++;
	p->nmembers = p->mi = 0;
	err = store_members_each(st, p->groups[p->gi], collect_member, &cl);
	if (cl.err)
		return cl.err;
	p->in_group = true;
	return err;
}

/* The push's next message; 1 when it is done. */
static int push_step(struct gwc *c, struct push *p)
{
	struct grpsec_ctl_sync_done sd;
	size_t len, sent;
	int err;

	if (!p->in_group && p->gi == p->ngroups) {
		sd = (struct grpsec_ctl_sync_done){ p->sent_groups, p->sent_members };
		err = grpsec_msg_build_sync_done(&sd, c->msg, sizeof(c->msg), &len);
		if (!err)
			err = conn_send(c, c->msg, len, false);
		if (!err)
			c->syncs++;
		return err ? err : 1;
	}
	if (!p->in_group)
		return push_group(c, p);
	if (p->mi < p->nmembers) {
		err = send_members(c, &p->sg, p->ep, p->n_ep, p->members + p->mi,
				   p->nmembers - p->mi, false, &sent);
		p->mi += sent;
		p->sent_members += (uint32_t)sent;
		return err;
	}
	p->in_group = false;
	p->gi++;
	OPENSSL_cleanse(p->ep, sizeof(p->ep));
	return 0;
}

/* Make the push while the socket takes it; then what waited behind it. */
static int push_pump(struct gwc *c)
{
	int r = 0;

	while (c->push && chan_pending(&c->ch) < PUMP_AHEAD) {
		r = push_step(c, c->push);
		if (r < 0)
			return r;
		if (r == 1) {
			log_info("control: gateway %" PRIu32 ": full push of %" PRIu32 " groups, %" PRIu32 " members",
				 c->gateway, c->push->sent_groups, c->push->sent_members);
			push_free(c->push);
			c->push = NULL;
			if (chan_pending(&c->later)) {
				r = chan_queue(&c->ch, c->later.out + c->later.out_off,
					       chan_pending(&c->later));
				chan_reset(&c->later);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

static int push_start(struct gwc *c, const struct conf_gateway *gw)
{
	const struct grpsecd_conf *conf = c->ctl->d->conf;
	struct push *p = calloc(1, sizeof(*p));

	if (!p || !(p->groups = calloc(conf->ngroups + 1, sizeof(*p->groups)))) {
		free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < conf->ngroups; i++)
		if (serves(conf, gw, &conf->groups[i]))
			p->groups[p->ngroups++] = conf->groups[i].id;
	push_free(c->push);
	chan_reset(&c->later);
	c->push = p;
	return 0;
}

/* New epochs: the rekeys wait for the gateways */

static void wait_free(struct control *ctl, struct install_wait *w)
{
	for (size_t i = 0; i < ctl->nwaits; i++)
		if (ctl->waits[i] == w) {
			ctl->waits[i] = ctl->waits[--ctl->nwaits];
			break;
		}
	loop_timer_del(w->timer);
	free(w->conns);
	free(w->need);
	free(w);
}

/* Every gateway answered (or left): the rekeys go. */
static void wait_check(struct install_wait *w)
{
	struct control *ctl = w->ctl;

	if (w->building || w->n)
		return;
	log_info("control: group %" PRIu32 ": epoch %" PRIu32 " is in every connected gateway's module after %" PRIu64 " ms: its rekeys go",
		 w->group, w->epoch, loop_now_ms() - w->since_ms);
	if (ctl->d->rekey)
		rekey_go(ctl->d->rekey, w->group, w->epoch);
	wait_free(ctl, w);
}

/* Take @c out of @w where @done says so. */
static void wait_drop(struct install_wait *w, const struct gwc *c, bool any, uint32_t push)
{
	for (size_t i = w->n; i-- > 0;)
		if (w->conns[i] == c && (any || w->need[i] <= push)) {
			w->conns[i] = w->conns[w->n - 1];
			w->need[i] = w->need[w->n - 1];
			w->n--;
		}
}

/* @c closes: it gets both epochs in its full push when it comes back. */
static void waits_forget(struct control *ctl, const struct gwc *c)
{
	for (size_t i = ctl->nwaits; i-- > 0;) {
		struct install_wait *w = ctl->waits[i];
		size_t before = w->n;

		wait_drop(w, c, true, 0);
		if (w->n != before)
			log_info("control: group %" PRIu32 ": gateway %" PRIu32 " left before it installed epoch %" PRIu32 ": not waited for",
				 w->group, c->gateway, w->epoch);
		wait_check(w);
	}
}

static void on_installed(struct gwc *c, const struct grpsec_ctl_installed *in)
{
	struct control *ctl = c->ctl;

	if (in->push > c->installed)
		c->installed = in->push;
	for (size_t i = ctl->nwaits; i-- > 0;) {
		wait_drop(ctl->waits[i], c, false, in->push);
		wait_check(ctl->waits[i]);
	}
}

static void wait_timeout(struct loop_timer *t, void *arg)
{
	struct install_wait *w = arg;

	(void)t;
	for (size_t i = 0; i < w->n; i++)
		log_warn("control: group %" PRIu32 ": gateway %" PRIu32 " did not confirm epoch %" PRIu32 " in %u ms: the rekeys go anyway (its members' first frames under it may be dropped)",
			 w->group, w->conns[i]->gateway, w->epoch, INSTALL_WAIT_MS);
	metrics_count(w->ctl->d->metrics, "grpsecd_install_timeouts_total", NULL, 1);
	if (w->ctl->d->rekey)
		rekey_go(w->ctl->d->rekey, w->group, w->epoch);
	wait_free(w->ctl, w);
}

/* A full push to every connected gateway serving @group; each one into @w if given. */
static size_t push_group_gateways(struct control *ctl, uint32_t group, struct install_wait *w)
{
	const struct conf_group *cg = conf_group_find(ctl->d->conf, group);
	size_t pushed = 0;

	for (struct gwc *c = ctl->conns, *next; cg && c; c = next) {
		const struct conf_gateway *gw = conn_gateway(c);

		next = c->next;
		if (!c->open || !gw || !serves(ctl->d->conf, gw, cg))
			continue;
		if (push_start(c, gw) || send_upstream(c, gw)) {
			conn_close(c, "slow");
			continue;
		}
		pushed++;
		if (w) {
			/* This push replaces any under way: the next SYNC_DONE ends it. */
			w->conns[w->n] = c;
			w->need[w->n++] = c->syncs + 1;
		}
	}
	/* Only now: a step may close a connection, which edits @w. */
	for (struct gwc *c = ctl->conns, *next; c; c = next) {
		next = c->next;
		if (c->open && c->push)
			conn_step(c);
	}
	return pushed;
}

static void control_next_epoch_ready(void *arg, uint32_t group, uint32_t epoch)
{
	struct grpsecd *d = arg;
	struct control *ctl = d->control;
	struct install_wait *w = calloc(1, sizeof(*w)), **ws;
	size_t pushed;

	if (w) {
		w->conns = calloc(ctl->n_open + 1, sizeof(*w->conns));
		w->need = calloc(ctl->n_open + 1, sizeof(*w->need));
		w->timer = loop_timer_add(d->loop, INSTALL_WAIT_MS, 0, wait_timeout, w);
	}
	ws = realloc(ctl->waits, (ctl->nwaits + 1) * sizeof(*ws));
	if (ws)
		ctl->waits = ws;
	if (!w || !w->conns || !w->need || !w->timer || !ws) {
		log_err("control: group %" PRIu32 ": out of memory: epoch %" PRIu32 "'s rekeys go without waiting for the gateways",
			group, epoch);
		if (w) {
			loop_timer_del(w->timer);
			free(w->conns);
			free(w->need);
			free(w);
		}
		rekey_go(d->rekey, group, epoch);
		return;
	}
	*w = (struct install_wait){ .ctl = ctl, .group = group, .epoch = epoch,
				    .since_ms = loop_now_ms(), .timer = w->timer,
				    .conns = w->conns, .need = w->need, .building = true };
	ctl->waits[ctl->nwaits++] = w;
	pushed = push_group_gateways(ctl, group, w);
	log_info("control: group %" PRIu32 ": epoch %" PRIu32 " pushed to %zu connected gateways; its rekeys wait for their INSTALLED",
		 group, epoch, pushed);
	w->building = false;
	wait_check(w);
}

static void control_epoch_retired(void *arg, uint32_t group, uint32_t epoch)
{
	struct grpsecd *d = arg;
	size_t pushed = push_group_gateways(d->control, group, NULL);

	log_info("control: group %" PRIu32 ": epoch %" PRIu32 " is current: pushed to %zu connected gateways, which drop the retired epoch",
		 group, epoch, pushed);
}

/* Messages from the gateway */

static void answer_query(struct gwc *c, const struct grpsec_ctl_query *q)
{
	const struct conf_group *cg = conf_group_find(c->ctl->d->conf, q->group);
	const struct conf_gateway *gw = conn_gateway(c);
	struct store *st = c->ctl->d->store;
	struct store_epoch ep[GRPSEC_ENROLL_MAX_EPOCHS];
	struct store_member m;
	struct store_group g;
	unsigned int n_ep = 0;
	size_t sent;

	if (!cg || !gw || !serves(c->ctl->d->conf, gw, cg) ||
	    store_member_get(st, q->member, q->group, &m, NULL) ||
	    m.state != STORE_MEMBER_ACTIVE) {
		log_info("control: gateway %" PRIu32 " asked for member %" PRIu32 " of group %" PRIu32 ": no such active member for it",
			 c->gateway, q->member, q->group);
		return;
	}
	if (!epochs_read(st, q->group, &g, ep, &n_ep) &&
	    !send_members(c, &g, ep, n_ep, &q->member, 1, true, &sent))
		log_info("control: gateway %" PRIu32 " asked for member %" PRIu32 " of group %" PRIu32 ": sent",
			 c->gateway, q->member, q->group);
	else
		log_err("control: gateway %" PRIu32 ": member %" PRIu32 " of group %" PRIu32 " not sent: %s",
			c->gateway, q->member, q->group, store_error(st));
	OPENSSL_cleanse(ep, sizeof(ep));
}

/* Members the gateway heard under a rekey's new epoch: they need no retry. */
static void on_heard(struct gwc *c, const struct grpsec_ctl_heard *h)
{
	const struct conf_group *cg = conf_group_find(c->ctl->d->conf, h->group);
	const struct conf_gateway *gw = conn_gateway(c);
	uint32_t ids[GRPSEC_CTL_HEARD_MAX];

	if (!cg || !gw || !serves(c->ctl->d->conf, gw, cg) || !c->ctl->d->rekey)
		return;		/* not its group (or no rekeys here): nothing to learn */
	for (unsigned int i = 0; i < h->n; i++)
		ids[i] = grpsec_ctl_heard_id(h, i);
	rekey_heard(c->ctl->d->rekey, h->group, h->epoch, ids, h->n);
}

/* One message from the gateway; false if the connection was closed. */
static bool conn_message(struct gwc *c)
{
	struct grpsec_msg m;
	int err = grpsec_msg_parse(c->ch.in, c->ch.in_len, &m);

	if (err || (m.type != GRPSEC_MSG_MEMBER_QUERY && m.type != GRPSEC_MSG_KEEPALIVE &&
		    m.type != GRPSEC_MSG_INSTALLED && m.type != GRPSEC_MSG_HEARD) ||
	    (m.type == GRPSEC_MSG_INSTALLED &&
							m.installed.push > c->syncs)) {
		log_warn("control: gateway %" PRIu32 " sent %s (type %u): closed", c->gateway,
			 err ? grpsec_strerror(err) : "a message it may not send", c->ch.in[1]);
		conn_close(c, "protocol");
		return false;
	}
	if (m.type == GRPSEC_MSG_MEMBER_QUERY)
		answer_query(c, &m.query);
	if (m.type == GRPSEC_MSG_HEARD)
		on_heard(c, &m.heard);
	chan_consumed(&c->ch);
	if (m.type == GRPSEC_MSG_INSTALLED)
		on_installed(c, &m.installed);
	return true;
}

/* Handshake */

static enum control_outcome outcome_of_tls(enum tls_fail f)
{
	switch (f) {
	case TLS_FAIL_CERT_UNTRUSTED:
		return CONTROL_CERT_UNTRUSTED;
	case TLS_FAIL_CERT_EXPIRED:
		return CONTROL_CERT_EXPIRED;
	case TLS_FAIL_CERT_REVOKED:
		return CONTROL_CERT_REVOKED;
	case TLS_FAIL_CERT_INVALID:
		return CONTROL_CERT_INVALID;
	case TLS_FAIL_NO_CREDENTIAL:
		return CONTROL_NO_CERTIFICATE;
	default:
		return CONTROL_TLS_PROTOCOL;
	}
}

static const struct conf_gateway *gateway_by_identity(const struct grpsecd_conf *conf,
						      const char *subject)
{
	for (size_t i = 0; i < conf->ngateways; i++)
		if (conf->gateways[i].identity && !strcmp(conf->gateways[i].identity, subject))
			return &conf->gateways[i];
	return NULL;
}

/* K_up of this connection, derived and installed in the backend. */
static int install_kup(struct gwc *c, const struct conf_gateway *gw)
{
	uint8_t secret[TLS_EXPORTER_LEN], key[GRPSEC_KEY_MAX_LEN];
	size_t kl = grpsec_suite_key_len(gw->upstream_suite);
	int err = tls_upstream_secret(c->ssl, secret);

	if (!err)
		err = grpsec_kdf_upstream_key(gw->upstream_suite, secret, gw->id, key, kl);
	if (!err)
		err = backend_set_upstream(c->ctl->d->backend, gw->id, gw->upstream_suite, key);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

static bool handshake_done(struct gwc *c)
{
	struct control *ctl = c->ctl;
	char subject[SUBJECT_MAX + 1] = "", **sans = NULL;
	const struct conf_gateway *gw;
	size_t nsans = 0;
	bool is_psk;

	if (tls_identity(c->ssl, &c->peer, &is_psk, subject, sizeof(subject), &sans, &nsans) ||
	    is_psk || !subject[0]) {
		log_warn("control %s: handshake without a certificate", c->peer.addr);
		counted(ctl, CONTROL_NO_CERTIFICATE);
		conn_close(c, NULL);
		return false;
	}
	tls_sans_free(sans, nsans);
	gw = gateway_by_identity(ctl->d->conf, subject);
	if (!gw) {
		log_warn("control %s: refused: no [Gateway] has the Identity \"%s\"", c->peer.addr,
			 subject);
		counted(ctl, CONTROL_UNKNOWN_IDENTITY);
		conn_close(c, NULL);
		return false;
	}
	/* A gateway connects once: the new connection, with its new K_up, wins. */
	for (struct gwc *o = ctl->conns; o; o = o->next)
		if (o != c && o->open && o->gateway == gw->id) {
			conn_close(o, "replaced");
			break;
		}
	c->gateway = gw->id;
	if (seen_add(ctl, gw->id) || install_kup(c, gw) || push_start(c, gw) ||
	    send_upstream(c, gw)) {
		log_err("control: gateway %" PRIu32 " (%s): K_up or the push could not be set up",
			gw->id, c->peer.addr);
		counted(ctl, CONTROL_INTERNAL);
		conn_close(c, NULL);
		return false;
	}
	c->open = true;
	ctl->n_open++;
	counted(ctl, CONTROL_OK);
	metrics_set(ctl->d->metrics, "grpsecd_gateways_connected", NULL, ctl->n_open);
	loop_timer_set(c->timer, TICK_MS, TICK_MS);
	log_info("control: gateway %" PRIu32 " (%s) connected from %s, %s, new K_up installed",
		 gw->id, subject, c->peer.addr, SSL_get_cipher_name(c->ssl));
	return true;
}

static void conn_want(struct gwc *c, uint32_t events)
{
	if (c->events != events && !loop_fd_mod(c->ctl->d->loop, c->fd, events))
		c->events = events;
}

/* Drive the connection until it waits for the socket or ends. */
static void conn_step(struct gwc *c)
{
	uint32_t want = EPOLLIN, wr = 0;
	char what[96];
	int r, err;

	if (!c->open) {
		r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			err = SSL_get_error(c->ssl, r);
			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				conn_want(c, err == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
				return;
			}
			r = outcome_of_tls(tls_classify(c->ssl, &c->peer));
			snprintf(what, sizeof(what), "control: handshake failed (%s) with",
				 control_outcome_name(r));
			tls_log_error(&c->peer, what, err);
			counted(c->ctl, r);
			conn_close(c, NULL);
			return;
		}
		if (!handshake_done(c))
			return;
	}
	for (;;) {
		r = chan_read(&c->ch, &want);
		if (r == 1) {
			if (!conn_message(c))
				return;
			continue;
		}
		if (r < 0) {
			ERR_clear_error();
			conn_close(c, r == -EPIPE ? "closed" : "protocol");
			return;
		}
		break;
	}
	if (push_pump(c) < 0 || chan_pending(&c->later) > OUT_MAX) {
		conn_close(c, "slow");
		return;
	}
	r = chan_flush(&c->ch, &wr);
	if (r < 0) {
		ERR_clear_error();
		conn_close(c, "closed");
		return;
	}
	conn_want(c, want | (r ? wr : 0) | (c->push ? EPOLLOUT : 0));
}

static void conn_event(int fd, uint32_t events, void *arg)
{
	(void)fd, (void)events;
	conn_step(arg);
}

static void conn_tick(struct loop_timer *t, void *arg)
{
	struct gwc *c = arg;
	uint64_t now = loop_now_ms();
	size_t len;

	(void)t;
	if (!c->open) {
		log_info("control %s: handshake not finished in time, cut", c->peer.addr);
		counted(c->ctl, CONTROL_HANDSHAKE_TIMEOUT);
		conn_close(c, NULL);
		return;
	}
	if (now - c->ch.last_rx_ms >= CHAN_IDLE_MS) {
		conn_close(c, "timeout");
		return;
	}
	if (now - c->ch.last_tx_ms >= CHAN_KEEPALIVE_MS && !chan_pending(&c->ch) &&
	    !grpsec_msg_build_keepalive(c->msg, sizeof(c->msg), &len) &&
	    conn_send(c, c->msg, len, false) < 0) {
		conn_close(c, "slow");
		return;
	}
	conn_step(c);
}

static void peer_name(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	}
}

static void conn_new(struct control *ctl, int fd, const struct sockaddr_storage *ss)
{
	uint32_t timeout = ctl->d->conf->manager.handshake_timeout_ms;
	struct gwc *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		counted(ctl, CONTROL_INTERNAL);
		return;
	}
	c->ctl = ctl;
	c->fd = fd;
	peer_name(ss, c->peer.addr, sizeof(c->peer.addr));
	c->ssl = tls_ssl_new(ctl->ctx, fd, &c->peer);
	c->timer = loop_timer_add(ctl->d->loop, timeout ? timeout : CONF_DEFAULT_HANDSHAKE_MS, 0,
				  conn_tick, c);
	c->events = EPOLLIN;
	if (!c->ssl || !c->timer || loop_fd_add(ctl->d->loop, fd, EPOLLIN, conn_event, c)) {
		log_err("control %s: no memory for the connection", c->peer.addr);
		loop_timer_del(c->timer);
		SSL_free(c->ssl);
		close(fd);
		free(c);
		counted(ctl, CONTROL_INTERNAL);
		return;
	}
	chan_init(&c->ch, c->ssl, OUT_MAX);
	c->later.out_max = OUT_MAX;
	c->next = ctl->conns;
	if (ctl->conns)
		ctl->conns->prev = c;
	ctl->conns = c;
	conn_step(c);
}

static void listen_event(int fd, uint32_t events, void *arg)
{
	struct control *ctl = arg;

	(void)events;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int c = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("control: accept: %s", strerror(errno));
			return;
		}
		conn_new(ctl, c, &ss);
	}
}

/* Changes */

void control_member_enrolled(struct grpsecd *d, uint32_t member, const uint32_t *groups,
			     size_t n_groups)
{
	struct control *ctl = d->control;
	struct store_epoch ep[GRPSEC_ENROLL_MAX_EPOCHS];
	struct store_group g;
	unsigned int n_ep;
	size_t sent;

	if (!ctl || !ctl->n_open)
		return;
	for (size_t i = 0; i < n_groups; i++) {
		const struct conf_group *cg = conf_group_find(d->conf, groups[i]);
		bool read = false;

		for (struct gwc *c = ctl->conns, *next; cg && c; c = next) {
			const struct conf_gateway *gw = conn_gateway(c);

			next = c->next;
			if (!c->open || !gw || !serves(d->conf, gw, cg))
				continue;
			if (!read && epochs_read(d->store, groups[i], &g, ep, &n_ep)) {
				log_err("control: member %" PRIu32 " of group %" PRIu32 " not pushed: %s",
					member, groups[i], store_error(d->store));
				break;
			}
			read = true;
			if (send_members(c, &g, ep, n_ep, &member, 1, true, &sent) < 0)
				conn_close(c, "slow");
			else
				conn_step(c);
		}
		OPENSSL_cleanse(ep, sizeof(ep));
	}
}

void control_members_revoked(struct grpsecd *d, const struct store_member *m, size_t n)
{
	struct control *ctl = d->control;
	uint8_t msg[GRPSEC_CTL_DEL_HDR_LEN + GRPSEC_MSG_HDR_LEN + 4];
	size_t len;

	if (!ctl || !ctl->n_open)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct conf_group *cg = conf_group_find(d->conf, m[i].group);

		if (!cg || grpsec_msg_build_member_del(m[i].group, &m[i].id, 1, msg, sizeof(msg),
						       &len))
			continue;
		for (struct gwc *c = ctl->conns, *next; c; c = next) {
			const struct conf_gateway *gw = conn_gateway(c);

			next = c->next;
			if (!c->open || !gw || !serves(d->conf, gw, cg))
				continue;
			if (conn_send(c, msg, len, true) < 0)
				conn_close(c, "slow");
			else
				conn_step(c);
		}
	}
}

/* The part */

static int control_init(struct grpsecd *d)
{
	const struct conf_manager *m = &d->conf->manager;
	struct control *ctl;

	if (!m->control_listen.len)
		return 0;
	if (!d->store || !d->backend) {
		log_err("control: ControlListen needs the database and BatchListen");
		return -1;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -1;
	ctl->d = d;
	ctl->ctx = tls_control_server_ctx_new(m);
	if (!ctl->ctx)
		goto out_free;
	ctl->fd = sock_inet_listen(&m->control_listen, SOCK_STREAM);
	if (ctl->fd < 0)
		goto out_ctx;
	if (loop_fd_add(d->loop, ctl->fd, EPOLLIN, listen_event, ctl)) {
		close(ctl->fd);
		goto out_ctx;
	}
	metrics_set(d->metrics, "grpsecd_gateways_connected", NULL, 0);
	d->control = ctl;
	if (d->rekey) {
		struct rekey_hooks hooks = {
			.next_epoch_ready = control_next_epoch_ready,
			.epoch_retired = control_epoch_retired,
			.arg = d,
		};

		rekey_set_hooks(d->rekey, &hooks);
	}
	return 0;

out_ctx:
	tls_ctx_free(ctl->ctx);
out_free:
	free(ctl);
	return -1;
}

static void control_uninit(struct grpsecd *d)
{
	struct control *ctl = d->control;

	if (!ctl)
		return;
	if (d->rekey)
		rekey_set_hooks(d->rekey, NULL);
	while (ctl->nwaits)
		wait_free(ctl, ctl->waits[0]);
	free(ctl->waits);
	while (ctl->conns)
		conn_close(ctl->conns, "stopping");
	loop_fd_del(d->loop, ctl->fd);
	close(ctl->fd);
	tls_ctx_free(ctl->ctx);
	tls_ctx_free(ctl->next_ctx);
	free(ctl->seen);
	free(ctl);
	d->control = NULL;
}

static int control_reload_check(struct grpsecd *d, const struct grpsecd_conf *next)
{
	const struct conf_addr *a = &d->conf->manager.control_listen,
			       *b = &next->manager.control_listen;
	struct control *ctl = d->control;

	if (a->len != b->len || memcmp(&a->ss, &b->ss, a->len)) {
		log_err("ControlListen cannot change on reload: restart grpsecd");
		return -1;
	}
	if (!ctl)
		return 0;
	ctl->next_ctx = tls_control_server_ctx_new(&next->manager);
	return ctl->next_ctx ? 0 : -1;
}

/*
 * New certificates, CA and CRL for new connections; every connected
 * gateway gets a full push of the new configuration's groups, and one
 * whose [Gateway] is gone (or has another identity) is disconnected.
 */
static void control_reload_apply(struct grpsecd *d, const struct grpsecd_conf *prev)
{
	struct control *ctl = d->control;

	(void)prev;
	if (!ctl)
		return;
	tls_ctx_free(ctl->ctx);
	ctl->ctx = ctl->next_ctx;
	ctl->next_ctx = NULL;
	for (struct gwc *c = ctl->conns, *next; c; c = next) {
		const struct conf_gateway *gw = conn_gateway(c);
		const struct conf_gateway *old = conf_gateway_find(prev, c->gateway);

		next = c->next;
		if (!c->open)
			continue;
		if (!gw || !old || strcmp(gw->identity, old->identity) ||
		    gw->upstream_suite != old->upstream_suite) {
			conn_close(c, "reconfigured");
			continue;
		}
		if (push_start(c, gw) || send_upstream(c, gw))
			conn_close(c, "slow");
		else
			conn_step(c);
	}
}

static void control_reload_abort(struct grpsecd *d)
{
	if (d->control) {
		tls_ctx_free(d->control->next_ctx);
		d->control->next_ctx = NULL;
	}
}

const struct grpsecd_part control_part = {
	.name = "control",
	.init = control_init,
	.uninit = control_uninit,
	.reload_check = control_reload_check,
	.reload_apply = control_reload_apply,
	.reload_abort = control_reload_abort,
};
