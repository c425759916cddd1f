// SPDX-License-Identifier: GPL-2.0
/*
 * The manager's end of the uplink: batches in, replay state saved,
 * messages out to the application (backend.h; grpsecd.rst, "Backend and
 * application socket").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "grpsec.h"

#include "backend.h"
#include "conf.h"
#include "control.h"
#include "counter.h"
#include "keystore.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "sock.h"
#include "store.h"

#define RECV_MAX	32		/* datagrams opened per save */
/*
 * BatchListen's receive buffer: room for the batches that arrive while
 * the loop is busy elsewhere (a full push to a gateway that just
 * reconnected, a save that waits for its fsync).  8 MiB holds about
 * 6,000 full batches of 1,400 bytes.
 */
#define BATCH_RCVBUF	(8 << 20)
#define DGRAM_MAX	65536
#define REC_VERSION	1
#define REC_HDR_LEN	28		/* be16 length + 26 bytes of fields */
#define CLIENT_OUT_MAX	(64u << 20)	/* bytes queued for one application */
#define BACKLOG_MAX	(16u << 20)	/* records kept while none is connected */
#define HELLO_MAX	16
#define RETRY_MS	1000
#define OLDER_EPOCHS	16		/* looked up for a saved state that names them */
#define CHANGES_MAX	64		/* changes saved before the next whole state */
#define REQ_MAX		4096		/* one application request line */
#define REPLY_KIND	0x80		/* records format: a reply, not a message */

enum app_format { FMT_NONE, FMT_RECORDS, FMT_JSON };

struct bytes {
	uint8_t *p;
	size_t len, cap;
};

/* A (group, epoch) registered with every gateway's context. */
struct reg {
	uint32_t group, epoch;
};

/*
 * A gateway's context.  A new K_up (a new control connection) does not
 * end the old one at once: batches the gateway sealed under it may still
 * be in flight.  The context keeps it as its previous key (one replay
 * state for both: the gateway's batch sequence continues across its
 * keys) until a batch verifies under the new key, or for the grace
 * (UpstreamGrace), whichever comes first.
 */
struct gw {
	uint32_t id;
	struct grpsec_backend *be;
	/*
	 * Saves: a whole state, then only what moved (grpsec_backend_export_changed())
	 * as changes 1, 2, ... beside it, until CHANGES_MAX or a new context.
	 */
	unsigned int changes;		/* changes saved since the whole state */
	bool whole_next;		/* the context was made anew: save it whole */
	uint64_t grace_end_ms;		/* loop_now_ms() when the previous K_up goes */
	bool dirty;			/* a batch was accepted since the last save */
	/*
	 * Downlinks: the newest K_up, where its batches come from, the
	 * sequence.  While the previous K_up still opens batches, the module
	 * may not have the new one yet: downlinks go under the previous one
	 * (@prev_key), which the module keeps for downlinks until one
	 * verifies under its new key (netlink.rst, "Downlinks").
	 */
	uint8_t up_key[GRPSEC_KEY_MAX_LEN];
	uint8_t prev_key[GRPSEC_KEY_MAX_LEN];
	unsigned int up_suite;
	struct sockaddr_storage peer;
	socklen_t peer_len;		/* 0: no batch accepted since the start */
	struct counter dl_seq;
};

struct client {
	struct backend *b;
	int fd;
	enum app_format format;
	char hello[HELLO_MAX];
	size_t hello_len;
	char req[REQ_MAX];		/* the request line being read */
	size_t req_len;
	struct bytes out;
	size_t out_off;
	bool closing;			/* the error line is out: close when sent */
};

struct backend {
	uint32_t rxq_drops;		/* SO_MEMINFO's drop count, last read */
	struct loop *loop;
	struct store *st;
	struct metrics *metrics;
	int udp_fd, app_fd;
	struct gw *gws;
	size_t ngws;
	struct reg *regs;
	size_t nregs;
	struct client **clients;
	size_t nclients;
	struct bytes staged;		/* records opened, their state not yet saved */
	struct bytes backlog;		/* saved, waiting for an application */
	struct gw *cur;			/* the gateway of the batch being opened */
	backend_send_fn send_fn;	/* application requests */
	void *send_arg;
	struct loop_timer *retry;
	struct loop_timer *grace;	/* ends the previous K_up's grace */
	uint32_t grace_ms;		/* backend_set_upstream_grace() */
	bool paused;			/* not reading batches until a save succeeds */
	uint8_t rx[DGRAM_MAX];
	struct backend_stats stats;
};

static int bytes_reserve(struct bytes *s, size_t more)
{
	size_t cap = s->cap ? s->cap : 4096;
	uint8_t *p;

	if (s->len + more <= s->cap)
		return 0;
	while (cap < s->len + more)
		cap *= 2;
	p = realloc(s->p, cap);
	if (!p)
		return -ENOMEM;
	s->p = p;
	s->cap = cap;
	return 0;
}

static int bytes_add(struct bytes *s, const void *p, size_t len)
{
	int rc = bytes_reserve(s, len);

	if (rc == 0) {
		memcpy(s->p + s->len, p, len);
		s->len += len;
	}
	return rc;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v & 0xffff);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, v & 0xffffffff);
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

static int save_gw(struct backend *b, struct gw *g);
static int save_all(struct backend *b);

/* Groups and gateways' contexts */

static struct gw *gw_find(struct backend *b, uint32_t id)
{
	size_t i;

	for (i = 0; i < b->ngws; i++)
		if (b->gws[i].id == id)
			return &b->gws[i];
	return NULL;
}

/* Register (group, epoch) with @be, its key read from the store. */
static int add_epoch(struct backend *b, struct grpsec_backend *be, uint32_t group,
		     uint32_t epoch)
{
	struct grpsec_backend_group bg = { .group = group, .epoch = epoch };
	struct store_group g;
	struct store_epoch e;
	int rc;

	rc = store_group_get(b->st, group, &g);
	if (rc == 0)
		rc = store_epoch_get(b->st, group, epoch, &e);
	if (rc < 0) {
		log_err("backend: group %" PRIu32 " epoch %" PRIu32 ": %s", group, epoch,
			store_error(b->st));
		return rc;
	}
	bg.mode = g.mode;
	bg.suite = g.suite;
	bg.key = g.mode == GRPSEC_MODE_ANONYMOUS ? e.k_g : e.s_e2e;
	rc = grpsec_backend_add_group(be, &bg);
	OPENSSL_cleanse(&e, sizeof(e));
	if (rc == -EEXIST)
		rc = 0;
	if (rc < 0)
		log_err("backend: group %" PRIu32 " epoch %" PRIu32 ": %s", group, epoch,
			strerror(-rc));
	return rc;
}

static int add_regs(struct backend *b, struct grpsec_backend *be)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < b->nregs && rc == 0; i++)
		rc = add_epoch(b, be, b->regs[i].group, b->regs[i].epoch);
	return rc;
}

static bool reg_has(const struct reg *r, size_t n, uint32_t group, uint32_t epoch)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].group == group && r[i].epoch == epoch)
			return true;
	return false;
}

/*
 * A saved state may hold the nonce cache of an epoch retired since (a
 * crash between the retirement and the next save): register the groups'
 * older epochs for the import, then forget them again.
 */
typedef int (*import_fn)(struct grpsec_backend *be, const uint8_t *buf, size_t len);

static int import_with_older(struct backend *b, struct grpsec_backend *be,
			     const uint8_t *state, size_t len, import_fn import)
{
	struct reg older[64];
	size_t n = 0, i;
	uint32_t e;
	int rc;

	for (i = 0; i < b->nregs; i++) {
		for (e = b->regs[i].epoch - 1; e > 0 && e + OLDER_EPOCHS >= b->regs[i].epoch &&
		     n < sizeof(older) / sizeof(older[0]); e--) {
			if (reg_has(b->regs, b->nregs, b->regs[i].group, e) ||
			    reg_has(older, n, b->regs[i].group, e))
				continue;
			if (add_epoch(b, be, b->regs[i].group, e) == 0)
				older[n++] = (struct reg){ b->regs[i].group, e };
		}
	}
	rc = import(be, state, len);
	for (i = 0; i < n; i++)
		grpsec_backend_del_group(be, older[i].group, older[i].epoch);
	return rc;
}

static int import_state(struct backend *b, struct grpsec_backend *be, uint32_t gateway,
			const uint8_t *state, size_t len, import_fn import)
{
	int rc = import(be, state, len);

	if (rc == -ENOENT)
		rc = import_with_older(b, be, state, len, import);
	if (rc < 0) {
		log_err("backend: gateway %" PRIu32 ": its saved replay state does not fit"
			" this configuration (%s); its batches are refused, so that no"
			" replay gets through", gateway, strerror(-rc));
		return -EPROTO;
	}
	return 0;
}

/* A replay state saved for @gateway: *@state NULL when there is none. */
static int load_state(struct backend *b, uint8_t owner, uint32_t gateway, uint32_t n,
		      uint8_t **state, size_t *len)
{
	size_t cap = 4096;
	uint8_t *p = NULL;
	int rc;

	*state = NULL;
	do {
		free(p);
		p = malloc(cap);
		if (!p)
			return -ENOMEM;
		*len = cap;
		rc = store_replay_get(b->st, owner, gateway, n, p, len);
		cap = *len;
	} while (rc == -ENOBUFS);
	if (rc == 0)
		*state = p;
	else
		free(p);
	if (rc < 0 && rc != -ENOENT)
		log_err("backend: gateway %" PRIu32 ": %s", gateway, store_error(b->st));
	return rc == -ENOENT ? 0 : rc;
}

/* Downlinks go under the newest K_up of the gateway. */
static void gw_set_key(struct gw *g, unsigned int suite, const uint8_t *key)
{
	OPENSSL_cleanse(g->up_key, sizeof(g->up_key));
	memcpy(g->up_key, key, grpsec_suite_key_len(suite));
	g->up_suite = suite;
}

/* A context under @key that takes over @from's replay state (or the saved one). */
static int context_new(struct backend *b, uint32_t gateway, unsigned int suite,
		       const uint8_t *key, const struct grpsec_backend *from,
		       struct grpsec_backend **out)
{
	struct grpsec_backend_config cfg = { .gateway = gateway, .suite = suite,
					     .upstream_key = key };
	struct grpsec_backend *be;
	struct store_gateway sg;
	uint8_t *state = NULL;
	size_t len = 0;
	int rc;

	if (store_gateway_get(b->st, gateway, &sg) == 0)
		cfg.batch_seq_floor = sg.batch_seq;
	rc = grpsec_backend_new(&cfg, &be);
	if (rc < 0) {
		log_err("backend: gateway %" PRIu32 ": K_up refused: %s", gateway, strerror(-rc));
		return rc;
	}
	rc = add_regs(b, be);
	if (rc == 0)
		rc = from ? grpsec_backend_export(from, &state, &len) :
		     load_state(b, STORE_REPLAY_GATEWAY, gateway, 0, &state, &len);
	if (rc == 0 && state)
		rc = import_state(b, be, gateway, state, len, grpsec_backend_import);
	/* Then the changes saved since the whole state, merged (any order is safe). */
	for (uint32_t n = 1; rc == 0 && state && !from; n++) {
		free(state);
		rc = load_state(b, STORE_REPLAY_GATEWAY_CHANGES, gateway, n, &state, &len);
		if (rc == 0 && state)
			rc = import_state(b, be, gateway, state, len, grpsec_backend_import_changed);
	}
	free(state);
	if (rc < 0) {
		grpsec_backend_free(be);
		return rc;
	}
	*out = be;
	return 0;
}

/*
 * The previous K_up of every gateway whose grace is over: forgotten,
 * wiped; the timer set for the next one.
 */
static void on_grace(struct loop_timer *t, void *arg)
{
	struct backend *b = arg;
	uint64_t now = loop_now_ms(), next = 0;

	(void)t;
	for (size_t i = 0; i < b->ngws; i++) {
		struct gw *g = &b->gws[i];

		if (!grpsec_backend_has_previous_key(g->be))
			continue;
		if (g->grace_end_ms <= now) {
			grpsec_backend_forget_previous_key(g->be);
			log_info("backend: gateway %" PRIu32 ": the previous K_up's grace is over",
				 g->id);
		} else if (!next || g->grace_end_ms - now < next) {
			next = g->grace_end_ms - now;
		}
	}
	if (next)
		loop_timer_set(b->grace, next, 0);
}

void backend_set_upstream_grace(struct backend *b, uint32_t ms)
{
	b->grace_ms = ms ? ms : BACKEND_UPSTREAM_GRACE_MS;
}

int backend_set_upstream(struct backend *b, uint32_t gateway, unsigned int suite,
			 const uint8_t *key)
{
	struct gw *g = gw_find(b, gateway), *gws;
	struct grpsec_backend *be;
	int rc;

	if (!grpsec_suite_key_len(suite))
		return -EINVAL;
	/* The same suite: the context takes the key and keeps the old one a while. */
	if (g && g->up_suite == suite) {
		rc = grpsec_backend_set_upstream_key(g->be, suite, key);
		if (rc < 0)
			return rc;
		memcpy(g->prev_key, g->up_key, sizeof(g->prev_key));
		gw_set_key(g, suite, key);
		g->grace_end_ms = loop_now_ms() + b->grace_ms;
		on_grace(b->grace, b);
		log_info("backend: gateway %" PRIu32 ": K_up installed, batches above %" PRIu64 "; the previous K_up opens batches until the first under the new one, for %" PRIu32 " ms at most",
			 gateway, grpsec_backend_last_seq(g->be), b->grace_ms);
		return 0;
	}
	/* A first key, or another suite: the saved state, or the one in memory. */
	rc = context_new(b, gateway, suite, key, g ? g->be : NULL, &be);
	if (rc < 0)
		return rc;
	if (!g) {
		gws = realloc(b->gws, (b->ngws + 1) * sizeof(*gws));
		if (!gws) {
			grpsec_backend_free(be);
			return -ENOMEM;
		}
		b->gws = gws;
		g = &b->gws[b->ngws++];
		*g = (struct gw){ .id = gateway };
		counter_init(&g->dl_seq, "downlink", gateway);
	}
	grpsec_backend_free(g->be);
	g->be = be;
	g->whole_next = true;
	gw_set_key(g, suite, key);
	log_info("backend: gateway %" PRIu32 ": K_up installed, batches above %" PRIu64,
		 gateway, grpsec_backend_last_seq(be));
	return 0;
}

void backend_forget_upstream(struct backend *b, uint32_t gateway)
{
	struct gw *g = gw_find(b, gateway);

	if (!g)
		return;
	if (g->dirty && save_gw(b, g) < 0)
		b->stats.save_failures++;
	grpsec_backend_free(g->be);
	OPENSSL_cleanse(g->up_key, sizeof(g->up_key));
	OPENSSL_cleanse(g->prev_key, sizeof(g->prev_key));
	*g = b->gws[--b->ngws];
	log_info("backend: gateway %" PRIu32 ": K_up removed, its batches are refused", gateway);
}

struct sync {
	struct reg *regs;
	size_t n, cap;
};

static int collect_group(void *arg, const struct store_group *g)
{
	struct sync *s = arg;
	struct reg *r;

	if (s->n + 2 > s->cap) {
		r = realloc(s->regs, (s->cap * 2 + 8) * sizeof(*r));
		if (!r)
			return -ENOMEM;
		s->regs = r;
		s->cap = s->cap * 2 + 8;
	}
	s->regs[s->n++] = (struct reg){ g->id, g->epoch };
	if (g->next_epoch)
		s->regs[s->n++] = (struct reg){ g->id, g->next_epoch };
	return 0;
}

int backend_sync_groups(struct backend *b)
{
	struct sync s = { NULL, 0, 0 };
	size_t i, j;
	int rc;

	rc = store_groups_each(b->st, collect_group, &s);
	if (rc < 0) {
		log_err("backend: groups: %s", rc == -ENOMEM ? "out of memory" :
			store_error(b->st));
		free(s.regs);
		return rc;
	}
	for (i = 0; i < b->ngws && rc == 0; i++) {
		for (j = 0; j < s.n && rc == 0; j++)
			if (!reg_has(b->regs, b->nregs, s.regs[j].group, s.regs[j].epoch))
				rc = add_epoch(b, b->gws[i].be, s.regs[j].group, s.regs[j].epoch);
		for (j = 0; j < b->nregs; j++) {
			if (reg_has(s.regs, s.n, b->regs[j].group, b->regs[j].epoch))
				continue;
			grpsec_backend_del_group(b->gws[i].be, b->regs[j].group, b->regs[j].epoch);
			b->gws[i].dirty = true;	/* save it without the retired cache */
			b->gws[i].whole_next = true;
		}
	}
	free(b->regs);
	b->regs = s.regs;
	b->nregs = s.n;
	return rc < 0 ? rc : save_all(b);
}

/* Downlinks */

int backend_downlink(struct backend *b, uint32_t gateway, uint32_t group, uint32_t member,
		     unsigned int kind, const uint8_t *body, size_t len, uint64_t *seq)
{
	uint8_t frame[GRPSEC_DOWNLINK_MAX_LEN];
	struct gw *g = gw_find(b, gateway);
	size_t flen;
	uint64_t s;
	ssize_t n;
	int rc;

	if (!g)
		return -ENOKEY;
	if (!g->peer_len)
		return -ENOTCONN;
	/* Reserved in the store and committed before the frame exists. */
	rc = counter_take(b->st, &g->dl_seq, &s);
	if (rc < 0) {
		log_err("backend: gateway %" PRIu32 ": downlink sequence: %s", gateway,
			store_error(b->st));
		return rc;
	}
	rc = grpsec_downlink_build(g->up_suite,
				   grpsec_backend_has_previous_key(g->be) ? g->prev_key : g->up_key,
				   gateway, s, group, member, kind,
				   body, len, frame, sizeof(frame), &flen);
	if (rc < 0)
		return rc;
	n = sendto(b->udp_fd, frame, flen, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&g->peer, g->peer_len);
	if (n != (ssize_t)flen) {
		rc = n < 0 ? -errno : -EIO;
		log_err("backend: gateway %" PRIu32 ": downlink %" PRIu64 " not sent: %s",
			gateway, s, strerror(-rc));
		return rc;
	}
	b->stats.downlinks++;
	metrics_count(b->metrics, "grpsecd_downlinks_total",
		      kind == GRPSEC_DOWNLINK_KIND_REKEY ? "rekey" : "command", 1);
	if (seq)
		*seq = s;
	return 0;
}

void backend_on_send(struct backend *b, backend_send_fn fn, void *arg)
{
	b->send_fn = fn;
	b->send_arg = arg;
}

/* Records and the application */

static int rec_put(struct bytes *s, uint32_t gateway, const struct grpsec_entry *e)
{
	uint8_t *p;
	int rc = bytes_reserve(s, REC_HDR_LEN + e->payload_len);

	if (rc < 0)
		return rc;
	p = s->p + s->len;
	put_be16(p, (uint16_t)(REC_HDR_LEN - 2 + e->payload_len));
	p[2] = REC_VERSION;
	p[3] = e->mode;
	put_be32(p + 4, gateway);
	put_be32(p + 8, e->group);
	put_be32(p + 12, e->epoch);
	put_be32(p + 16, e->member);
	put_be64(p + 20, e->seq);
	memcpy(p + REC_HDR_LEN, e->payload, e->payload_len);
	s->len += REC_HDR_LEN + e->payload_len;
	return 0;
}

/* One record as a JSON line. */
static int rec_json(struct bytes *out, const uint8_t *r, size_t len)
{
	char line[2 * GRPSEC_MAX_PAYLOAD + 256], member[16] = "null", seq[24] = "null";
	uint8_t b64[4 * ((GRPSEC_MAX_PAYLOAD + 2) / 3) + 1];
	int n;

	if (r[3] == GRPSEC_MODE_IDENTIFIED) {
		snprintf(member, sizeof(member), "%" PRIu64, get_be(r + 16, 4));
		snprintf(seq, sizeof(seq), "%" PRIu64, get_be(r + 20, 8));
	}
	EVP_EncodeBlock(b64, r + REC_HDR_LEN, (int)(len - REC_HDR_LEN));
	n = snprintf(line, sizeof(line), "{\"gateway\":%" PRIu64 ",\"group\":%" PRIu64
		     ",\"epoch\":%" PRIu64 ",\"mode\":\"%s\",\"member\":%s,\"seq\":%s,"
		     "\"payload\":\"%s\"}\n", get_be(r + 4, 4), get_be(r + 8, 4),
		     get_be(r + 12, 4), r[3] == GRPSEC_MODE_IDENTIFIED ? "identified" :
		     "anonymous", member, seq, b64);
	return bytes_add(out, line, (size_t)n);
}

static void client_close(struct backend *b, struct client *c)
{
	size_t i;

	for (i = 0; i < b->nclients; i++) {
		if (b->clients[i] == c) {
			b->clients[i] = b->clients[--b->nclients];
			break;
		}
	}
	loop_fd_del(b->loop, c->fd);
	close(c->fd);
	free(c->out.p);
	free(c);
}

/* Write what is queued; false if the client was closed. */
static bool client_flush(struct backend *b, struct client *c)
{
	ssize_t n;

	while (c->out_off < c->out.len) {
		n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			loop_fd_mod(b->loop, c->fd, EPOLLIN | EPOLLOUT);
			return true;
		}
		if (n < 0) {
			log_info("backend: application left: %s", strerror(errno));
			client_close(b, c);
			return false;
		}
		c->out_off += (size_t)n;
	}
	c->out.len = c->out_off = 0;
	loop_fd_mod(b->loop, c->fd, EPOLLIN);
	if (c->closing) {
		client_close(b, c);
		return false;
	}
	return true;
}

static size_t count_records(const uint8_t *p, size_t len)
{
	size_t off = 0, n = 0;

	while (off + 2 <= len) {
		off += 2 + get_be(p + off, 2);
		n++;
	}
	return n;
}

/* Queue @len bytes of records for @c in its format; false if it was closed. */
static bool client_queue(struct backend *b, struct client *c, const uint8_t *p, size_t len)
{
	size_t off, rlen;
	int rc = 0;

	if (c->format == FMT_RECORDS) {
		rc = bytes_add(&c->out, p, len);
	} else {
		for (off = 0; off + 2 <= len && rc == 0; off += rlen) {
			rlen = 2 + get_be(p + off, 2);
			rc = rec_json(&c->out, p + off, rlen);
		}
	}
	if (rc < 0 || c->out.len - c->out_off > CLIENT_OUT_MAX) {
		b->stats.app_dropped += count_records(p, len);
		log_err("backend: an application reads too slowly (%zu bytes queued):"
			" disconnected", c->out.len - c->out_off);
		client_close(b, c);
		return false;
	}
	return client_flush(b, c);
}

/* Hand saved records to every application, or keep them for the first one. */
static void deliver(struct backend *b, const uint8_t *p, size_t len)
{
	size_t i, ready = 0;

	for (i = b->nclients; i-- > 0;) {
		if (b->clients[i]->format == FMT_NONE)
			continue;
		ready++;
		client_queue(b, b->clients[i], p, len);
	}
	if (ready)
		return;
	if (b->backlog.len + len > BACKLOG_MAX || bytes_add(&b->backlog, p, len) < 0) {
		b->stats.app_dropped += count_records(p, len);
		log_err("backend: no application connected and %u bytes kept: %zu messages"
			" dropped", BACKLOG_MAX, count_records(p, len));
	}
}

/* The hello line: the format; false if the connection is closing or closed. */
static bool client_hello(struct backend *b, struct client *c)
{
	static const char refusal[] = "error: send \"records\" or \"json\" and a newline\n";

	b->stats.app_hellos++;
	if (!strcmp(c->hello, "records")) {
		c->format = FMT_RECORDS;
	} else if (!strcmp(c->hello, "json")) {
		c->format = FMT_JSON;
	} else {
		c->closing = true;
		if (bytes_add(&c->out, refusal, sizeof(refusal) - 1) < 0)
			client_close(b, c);
		else
			client_flush(b, c);
		return false;
	}
	if (!b->backlog.len)
		return true;
	if (!client_queue(b, c, b->backlog.p, b->backlog.len))
		return false;
	b->backlog.len = 0;
	return true;
}

/* Application requests (grpsecd.rst, "Application requests") */

/* {"error":"TEXT"} and a newline, TEXT escaped as JSON wants; its length. */
static int json_error(char *out, size_t size, const char *text)
{
	size_t n = (size_t)snprintf(out, size, "{\"error\":\"");

	for (; *text && n + 8 < size; text++) {
		if (*text == '"' || *text == '\\')
			out[n++] = '\\';
		if ((unsigned char)*text >= 0x20)
			out[n++] = *text;
	}
	n += (size_t)snprintf(out + n, size - n, "\"}\n");
	return (int)n;
}

/* One reply: a record of kind REPLY_KIND, or a JSON line; false if @c was closed. */
static bool client_reply(struct backend *b, struct client *c, bool ok, const char *text,
			 const struct backend_send_res *res)
{
	char line[512];
	uint8_t hdr[4];
	int n;

	if (c->format == FMT_JSON && ok)
		n = snprintf(line, sizeof(line), "{\"ok\":{\"group\":%" PRIu32 ",\"member\":%"
			     PRIu32 ",\"seq\":%" PRIu64 ",\"sent\":%u,\"unreached\":%u}}\n",
			     res->group, res->member, res->seq, res->sent, res->unreached);
	else if (c->format == FMT_JSON)
		n = json_error(line, sizeof(line), text);
	else if (ok)
		n = snprintf(line, sizeof(line), "ok group=%" PRIu32 " member=%" PRIu32 " seq=%"
			     PRIu64 " sent=%u unreached=%u", res->group, res->member, res->seq,
			     res->sent, res->unreached);
	else
		n = snprintf(line, sizeof(line), "error %s", text);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	if (c->format == FMT_RECORDS) {
		put_be16(hdr, (uint16_t)(n + 2));
		hdr[2] = REC_VERSION;
		hdr[3] = REPLY_KIND;
		if (bytes_add(&c->out, hdr, sizeof(hdr)) < 0) {
			client_close(b, c);
			return false;
		}
	}
	if (bytes_add(&c->out, line, (size_t)n) < 0) {
		client_close(b, c);
		return false;
	}
	return client_flush(b, c);
}

static int hex_decode(const char *s, size_t slen, uint8_t *out, size_t max, size_t *len)
{
	size_t i;
	int hi, lo;

	if (slen % 2 || slen / 2 > max)
		return -1;
	for (i = 0; i < slen; i += 2) {
		hi = OPENSSL_hexchar2int((unsigned char)s[i]);
		lo = OPENSSL_hexchar2int((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len = slen / 2;
	return 0;
}

static bool parse_id(const char *s, size_t len, bool star, uint32_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (star && len == 1 && s[0] == '*') {
		*v = 0;
		return true;
	}
	if (!len || len > 10)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* The fields of a request, as text; NULL where absent. */
struct req_fields {
	const char *group, *member, *payload;
	size_t group_len, member_len, payload_len;
};

static const char *req_check(const struct req_fields *f, struct backend_send_req *r)
{
	if (!f->group || !parse_id(f->group, f->group_len, false, &r->group) || !r->group)
		return "the group must be a number from 1 to 4294967295";
	if (!f->member || !parse_id(f->member, f->member_len, true, &r->member))
		return "the member must be a member id, or * (or 0) for every member of the group";
	if (!f->payload || hex_decode(f->payload, f->payload_len, r->payload,
				      sizeof(r->payload), &r->len) < 0)
		return "the payload must be hex, an even number of digits, at most 1096 bytes";
	return NULL;
}

/* "send GROUP MEMBER|* HEX" */
static const char *req_text(char *line, struct req_fields *f)
{
	char *tok[5], *save = NULL;
	int n = 0;

	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		if (n < 5)
			tok[n++] = t;
	if (n == 0 || strcmp(tok[0], "send"))
		return "unknown request: the only one is \"send GROUP MEMBER|* HEXPAYLOAD\"";
	if (n != 4)
		return "usage: send GROUP MEMBER|* HEXPAYLOAD";
	*f = (struct req_fields){ tok[1], tok[2], tok[3], strlen(tok[1]), strlen(tok[2]),
				  strlen(tok[3]) };
	return NULL;
}

/* A JSON scalar: a string (no escapes needed in a request) or a number. */
static const char *json_scalar(const char **p, const char **v, size_t *len)
{
	const char *s = *p;

	if (*s == '"') {
		*v = ++s;
		while (*s && *s != '"' && *s != '\\')
			s++;
		if (*s != '"')
			return "a string in the request is not closed, or has an escape"
			       " (none is needed)";
		*len = (size_t)(s - *v);
		*p = s + 1;
		return NULL;
	}
	*v = s;
	while (*s >= '0' && *s <= '9')
		s++;
	if (s == *v)
		return "a value in the request is neither a string nor a number";
	*len = (size_t)(s - *v);
	*p = s;
	return NULL;
}

static void json_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\r')
		(*p)++;
}

/* {"send":{"group":1,"member":0,"payload":"hex"}} */
static const char *req_json(const char *p, struct req_fields *f)
{
	static const char usage[] = "a request is {\"send\":{\"group\":G,\"member\":M or \"*\","
				    "\"payload\":\"HEX\"}}";
	const char *key, *v, *err;
	size_t klen, vlen;

	memset(f, 0, sizeof(*f));
	json_ws(&p);
	if (strncmp(p, "{", 1))
		return usage;
	p++;
	json_ws(&p);
	if (strncmp(p, "\"send\"", 6))
		return usage;
	p += 6;
	json_ws(&p);
	if (*p++ != ':')
		return usage;
	json_ws(&p);
	if (*p++ != '{')
		return usage;
	for (;;) {
		json_ws(&p);
		if (*p != '"')
			return usage;
		err = json_scalar(&p, &key, &klen);
		if (err)
			return err;
		json_ws(&p);
		if (*p++ != ':')
			return usage;
		json_ws(&p);
		err = json_scalar(&p, &v, &vlen);
		if (err)
			return err;
		if (klen == 5 && !memcmp(key, "group", 5))
			f->group = v, f->group_len = vlen;
		else if (klen == 6 && !memcmp(key, "member", 6))
			f->member = v, f->member_len = vlen;
		else if (klen == 7 && !memcmp(key, "payload", 7))
			f->payload = v, f->payload_len = vlen;
		else
			return "unknown field in \"send\": the fields are group, member, payload";
		json_ws(&p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p++ != '}')
			return usage;
		break;
	}
	json_ws(&p);
	if (*p++ != '}')
		return usage;
	json_ws(&p);
	return *p ? usage : NULL;
}

/* One request line answered; false if @c was closed. */
static bool client_request(struct backend *b, struct client *c)
{
	struct backend_send_res res = { 0 };
	struct backend_send_req r = { 0 };
	struct req_fields f;
	const char *err;

	c->req[c->req_len] = 0;
	c->req_len = 0;
	if (c->req[0] == 0)
		return true;
	b->stats.app_requests++;
	err = c->format == FMT_JSON ? req_json(c->req, &f) : req_text(c->req, &f);
	if (!err)
		err = req_check(&f, &r);
	if (!err && !b->send_fn)
		err = "this manager sends no downlinks: it has no signing key loaded";
	if (!err && b->send_fn(b->send_arg, &r, &res) < 0)
		err = res.error;
	if (err)
		b->stats.app_refused++;
	metrics_count(b->metrics, "grpsecd_app_requests_total", err ? "refused" : "ok", 1);
	res.group = r.group;
	res.member = r.member;
	OPENSSL_cleanse(r.payload, sizeof(r.payload));
	return client_reply(b, c, !err, err, &res);
}

/* Bytes after the hello line: request lines; one too long ends the connection. */
static bool client_input(struct backend *b, struct client *c, const char *in, size_t n)
{
	static const char too_long[] = "a request line is longer than 4096 bytes: closed";
	size_t i;

	for (i = 0; i < n; i++) {
		if (in[i] == '\n') {
			if (!client_request(b, c))
				return false;
			continue;
		}
		if (c->req_len == REQ_MAX - 1) {
			b->stats.app_refused++;
			metrics_count(b->metrics, "grpsecd_app_requests_total", "refused", 1);
			c->closing = true;
			client_reply(b, c, false, too_long, NULL);
			return false;	/* closed, or closing once the reply is out */
		}
		c->req[c->req_len++] = in[i];
	}
	return true;
}

static void on_client(int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	struct backend *b = c->b;
	char in[4096];
	ssize_t n, i;

	if ((events & EPOLLOUT) && !client_flush(b, c))
		return;
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->closing)
		return;
	n = recv(fd, in, sizeof(in), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(b, c);
		return;
	}
	for (i = 0; i < n && c->format == FMT_NONE; i++) {
		if (in[i] == '\n' || c->hello_len == HELLO_MAX - 1) {
			c->hello[c->hello_len] = 0;
			if (!client_hello(b, c))
				return;
			continue;
		}
		c->hello[c->hello_len++] = in[i];
	}
	if (i < n)
		client_input(b, c, in + i, (size_t)(n - i));
}

static void on_accept(int fd, uint32_t events, void *arg)
{
	struct backend *b = arg;
	struct client *c, **cs;
	int cfd;

	(void)events;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		c = calloc(1, sizeof(*c));
		cs = realloc(b->clients, (b->nclients + 1) * sizeof(*cs));
		if (cs)
			b->clients = cs;
		if (!c || !cs || loop_fd_add(b->loop, cfd, EPOLLIN, on_client, c) < 0) {
			log_err("backend: application connection refused: out of memory");
			free(c);
			close(cfd);
			continue;
		}
		c->b = b;
		c->fd = cfd;
		b->clients[b->nclients++] = c;
		b->stats.app_clients++;
	}
}

/* Batches */

static int on_entry(void *arg, const struct grpsec_entry *e)
{
	struct backend *b = arg;

	char group[16];

	if (e->status != GRPSEC_ENTRY_OK) {
		b->stats.entries_refused++;
		metrics_count(b->metrics, "grpsecd_entries_refused_total",
			      grpsec_entry_status_name(e->status), 1);
		return 0;
	}
	b->stats.messages++;
	snprintf(group, sizeof(group), "%" PRIu32, e->group);
	metrics_count(b->metrics, "grpsecd_messages_received_total", group, 1);
	/* Room was reserved for the whole batch: this cannot fail. */
	return rec_put(&b->staged, b->cur->id, e);
}

/* A refused batch: counted by reason. */
static void refused(struct backend *b, uint64_t *counter, const char *reason)
{
	++*counter;
	metrics_count(b->metrics, "grpsecd_batches_refused_total", reason, 1);
}

/* An accepted batch tells where the gateway's upstream socket is: downlinks go there. */
static void learn_peer(struct gw *g, const struct sockaddr_storage *from, socklen_t len)
{
	char name[64];
	struct conf_addr a = { .len = len };

	if (g->peer_len == len && !memcmp(&g->peer, from, len))
		return;
	memcpy(&g->peer, from, len);
	g->peer_len = len;
	a.ss = *from;
	log_info("backend: gateway %" PRIu32 ": downlinks go to %s, where its batches come from",
		 g->id, sock_addr_str(&a, name, sizeof(name)));
}

static void open_one(struct backend *b, const uint8_t *buf, size_t len,
		     const struct sockaddr_storage *from, socklen_t from_len)
{
	struct grpsec_batch hdr;
	int rc;

	b->stats.datagrams++;
	if (grpsec_batch_parse(buf, len, &hdr) < 0) {
		refused(b, &b->stats.batch_malformed, "malformed");
		return;
	}
	b->cur = gw_find(b, hdr.gateway);
	if (!b->cur) {
		refused(b, &b->stats.batch_unknown_gateway, "unknown_gateway");
		return;
	}
	/* Every payload fits in the batch's own length. */
	if (bytes_reserve(&b->staged, len + (size_t)hdr.count * REC_HDR_LEN) < 0) {
		log_err("backend: out of memory: a batch of gateway %" PRIu32 " left unopened",
			hdr.gateway);
		return;
	}
	/* Under the gateway's K_up, or its previous one during the grace. */
	rc = grpsec_backend_open_batch(b->cur->be, buf, len, NULL, on_entry, b);
	if (rc == 0) {
		b->stats.batches_ok++;
		b->cur->dirty = true;
		learn_peer(b->cur, from, from_len);
	} else if (rc == -ESTALE) {
		refused(b, &b->stats.batch_replay, "replay");
	} else if (rc == -EBADMSG) {
		refused(b, &b->stats.batch_bad_tag, "bad_tag");
	} else {
		refused(b, &b->stats.batch_malformed, "malformed");
	}
}

/* Changes 1..@n beside a whole state saved after them: not needed, dropped. */
static void drop_changes(struct backend *b, struct gw *g, unsigned int n)
{
	int rc;

	for (unsigned int i = 1; i <= n; i++) {
		rc = store_replay_del(b->st, STORE_REPLAY_GATEWAY_CHANGES, g->id, i);
		if (rc < 0 && rc != -ENOENT)
			break;	/* left over, they only make the next start refuse more */
	}
}

/*
 * The replay state of @g, committed: whole, or only what moved since the
 * last save (grpsec_backend_export_changed()) as the next change beside
 * the whole state.  A start merges the whole state and every change; a
 * change merged twice or a stale one merged over a newer whole state
 * only unites windows, so it never lets a replay through.
 */
static int save_gw(struct backend *b, struct gw *g)
{
	bool whole = g->whole_next || g->changes >= CHANGES_MAX;
	uint8_t *state;
	size_t len;
	int rc;

	rc = whole ? grpsec_backend_export(g->be, &state, &len) :
	     grpsec_backend_export_changed(g->be, &state, &len);
	if (rc < 0) {
		log_err("backend: gateway %" PRIu32 ": export: %s", g->id, strerror(-rc));
		return rc;
	}
	rc = store_replay_put(b->st, whole ? STORE_REPLAY_GATEWAY : STORE_REPLAY_GATEWAY_CHANGES,
			      g->id, whole ? 0 : g->changes + 1, state, len);
	free(state);
	if (rc == 0) {
		rc = store_gateway_set_seqs(b->st, g->id, grpsec_backend_last_seq(g->be), 0);
		if (rc == -ENOENT)	/* no gateway row: the replay state has the floor too */
			rc = 0;
	}
	if (rc < 0) {
		log_err("backend: gateway %" PRIu32 ": replay state not saved: %s", g->id,
			store_error(b->st));
		return rc;
	}
	grpsec_backend_mark_saved(g->be);
	b->stats.bytes_saved += len;
	if (!whole) {
		g->changes++;
		return 0;
	}
	b->stats.whole_saves++;
	drop_changes(b, g, g->changes);
	g->changes = 0;
	g->whole_next = false;
	return 0;
}

static int save_all(struct backend *b)
{
	size_t i;
	int rc;

	for (i = 0; i < b->ngws; i++) {
		if (!b->gws[i].dirty)
			continue;
		rc = save_gw(b, &b->gws[i]);
		if (rc < 0) {
			b->stats.save_failures++;
			return rc;
		}
		b->gws[i].dirty = false;
		b->stats.saves++;
	}
	return 0;
}

/* Save, then deliver; if the save fails, read no batch until it works. */
static void flush(struct backend *b)
{
	if (save_all(b) < 0) {
		if (!b->paused) {
			b->paused = true;
			loop_fd_mod(b->loop, b->udp_fd, 0);
			log_err("backend: batches are not read until the replay state is saved");
		}
		loop_timer_set(b->retry, RETRY_MS, 0);
		return;
	}
	if (b->paused) {
		b->paused = false;
		loop_fd_mod(b->loop, b->udp_fd, EPOLLIN);
		log_info("backend: replay state saved, reading batches again");
	}
	if (b->staged.len)
		deliver(b, b->staged.p, b->staged.len);
	b->staged.len = 0;
}

static void on_retry(struct loop_timer *t, void *arg)
{
	(void)t;
	flush(arg);
}

/*
 * The kernel's count of datagrams it dropped on the batch socket (a
 * full receive buffer), read with SO_MEMINFO once the socket is drained:
 * what it grew by since the last look is counted and logged.
 */
static void socket_drops(struct backend *b, int fd)
{
	uint32_t mem[SK_MEMINFO_VARS] = { 0 }, grew;
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
		return;
	grew = mem[SK_MEMINFO_DROPS] - b->rxq_drops;
	b->rxq_drops = mem[SK_MEMINFO_DROPS];
	if (!grew)
		return;
	b->stats.socket_drops += grew;
	if (b->metrics)
		metrics_count(b->metrics, "grpsecd_batch_socket_drops_total", NULL, grew);
	log_err("backend: %" PRIu32 " batches dropped by the kernel before they were read "
		"(BatchListen's receive buffer was full)", grew);
}

static void on_batch(int fd, uint32_t events, void *arg)
{
	struct backend *b = arg;
	struct sockaddr_storage from;
	socklen_t from_len;
	ssize_t n;
	int i;

	(void)events;
	for (i = 0; i < RECV_MAX; i++) {
		from_len = sizeof(from);
		n = recvfrom(fd, b->rx, sizeof(b->rx), MSG_DONTWAIT, (struct sockaddr *)&from,
			     &from_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_err("backend: batch socket: %s", strerror(errno));
			socket_drops(b, fd);
			break;
		}
		open_one(b, b->rx, (size_t)n, &from, from_len);
	}
	flush(b);
}

/*
 * batch_socket_setup() - a receive buffer of BATCH_RCVBUF (above
 * net.core.rmem_max too when the manager may: SO_RCVBUFFORCE).  A
 * smaller buffer than asked is logged with what to do; it is not fatal.
 */
static void batch_socket_setup(int fd)
{
	int want = BATCH_RCVBUF, got = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	/* The kernel reports twice what it books for its own overhead. */
	if (!getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) && got / 2 < want)
		log_warn("backend: BatchListen's receive buffer is %d KiB, not the %d KiB asked:"
			   " raise net.core.rmem_max so that bursts of batches are not dropped",
			   got / 2 / 1024, want / 1024);
}

int backend_new(struct loop *l, struct store *st, struct metrics *m, int udp_fd,
		int app_fd, struct backend **out)
{
	struct backend *b = calloc(1, sizeof(*b));
	int rc;

	if (!b) {
		close(udp_fd);
		if (app_fd >= 0)
			close(app_fd);
		return -ENOMEM;
	}
	b->loop = l;
	b->st = st;
	b->metrics = m;
	b->udp_fd = udp_fd;
	b->app_fd = app_fd;
	b->retry = loop_timer_add(l, RETRY_MS, 0, on_retry, b);
	b->grace_ms = BACKEND_UPSTREAM_GRACE_MS;
	b->grace = loop_timer_add(l, b->grace_ms, 0, on_grace, b);
	rc = b->retry && b->grace ? 0 : -ENOMEM;
	if (rc == 0) {
		loop_timer_stop(b->retry);
		loop_timer_stop(b->grace);
	}
	if (rc == 0)
		rc = loop_fd_add(l, udp_fd, EPOLLIN, on_batch, b);
	if (rc == 0 && app_fd >= 0)
		rc = loop_fd_add(l, app_fd, EPOLLIN, on_accept, b);
	if (rc == 0)
		rc = backend_sync_groups(b);
	if (rc < 0) {
		backend_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

void backend_free(struct backend *b)
{
	size_t i;

	if (!b)
		return;
	flush(b);
	while (b->nclients)
		client_close(b, b->clients[0]);
	for (i = 0; i < b->ngws; i++) {
		grpsec_backend_free(b->gws[i].be);
		OPENSSL_cleanse(b->gws[i].up_key, sizeof(b->gws[i].up_key));
		OPENSSL_cleanse(b->gws[i].prev_key, sizeof(b->gws[i].prev_key));
	}
	loop_fd_del(b->loop, b->udp_fd);
	close(b->udp_fd);
	if (b->app_fd >= 0) {
		loop_fd_del(b->loop, b->app_fd);
		close(b->app_fd);
	}
	if (b->retry)
		loop_timer_del(b->retry);
	if (b->grace)
		loop_timer_del(b->grace);
	free(b->gws);
	free(b->regs);
	free(b->clients);
	free(b->staged.p);
	free(b->backlog.p);
	free(b);
}

void backend_get_stats(const struct backend *b, struct backend_stats *out)
{
	*out = b->stats;
}

/* The part */

/* Every [Gateway] with an UpstreamKey: its K_up read (checked, or also installed). */
static int upstreams(struct grpsecd *d, const struct grpsecd_conf *c, bool install)
{
	uint8_t key[GRPSEC_KEY_MAX_LEN];
	char err[STORE_ERR_LEN];
	int rc, failed = 0;
	size_t i;

	for (i = 0; i < c->ngateways; i++) {
		const struct conf_gateway *gw = &c->gateways[i];

		/* A gateway that came over the control channel has its K_up from there. */
		if (!gw->upstream_key || (install && control_gateway_seen(d, gw->id)))
			continue;
		rc = keystore_read_key(gw->upstream_key, key,
				       grpsec_suite_key_len(gw->upstream_suite), err);
		if (rc < 0)
			log_err("gateway %" PRIu32 ": %s", gw->id, err);
		else if (install)
			rc = backend_set_upstream(d->backend, gw->id, gw->upstream_suite, key);
		OPENSSL_cleanse(key, sizeof(key));
		failed += rc < 0;
	}
	return failed ? -1 : 0;
}

/* The gateways' rows (identity, address), for the gateway role and the floors. */
static void gateway_rows(struct grpsecd *d)
{
	struct store_gateway row;
	size_t i;

	for (i = 0; i < d->conf->ngateways; i++) {
		const struct conf_gateway *gw = &d->conf->gateways[i];

		memset(&row, 0, sizeof(row));
		row.id = gw->id;
		snprintf(row.identity, sizeof(row.identity), "%s", gw->identity);
		sock_addr_str(&gw->address, row.address, sizeof(row.address));
		if (store_gateway_put(d->store, &row) < 0)
			log_err("gateway %" PRIu32 ": %s", gw->id, store_error(d->store));
	}
}

static int backend_init(struct grpsecd *d)
{
	const struct conf_manager *m = &d->conf->manager;
	int udp, app = -1, rc;

	if (!m->batch_listen.len) {
		log_info("backend: no BatchListen: the gateways' batches are not received");
		return 0;
	}
	udp = sock_inet_listen(&m->batch_listen, SOCK_DGRAM);
	if (udp < 0)
		return -1;
	batch_socket_setup(udp);
	if (m->app_socket) {
		app = sock_unix_listen(m->app_socket, 0600);
		if (app < 0) {
			close(udp);
			return -1;
		}
	}
	rc = backend_new(d->loop, d->store, d->metrics, udp, app, &d->backend);
	if (rc < 0) {
		log_err("backend: %s", strerror(-rc));
		return -1;
	}
	backend_set_upstream_grace(d->backend, m->upstream_grace_ms);
	gateway_rows(d);
	if (upstreams(d, d->conf, true) < 0) {
		backend_free(d->backend);
		d->backend = NULL;
		return -1;
	}
	return 0;
}

static void backend_uninit(struct grpsecd *d)
{
	if (!d->backend)
		return;
	backend_free(d->backend);
	d->backend = NULL;
	if (d->conf->manager.app_socket)
		unlink(d->conf->manager.app_socket);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int backend_reload_check(struct grpsecd *d, const struct grpsecd_conf *next)
{
	const struct conf_manager *a = &d->conf->manager, *b = &next->manager;

	if (a->batch_listen.len != b->batch_listen.len ||
	    memcmp(&a->batch_listen.ss, &b->batch_listen.ss, a->batch_listen.len) ||
	    !same_str(a->app_socket, b->app_socket)) {
		log_err("BatchListen and ApplicationSocket cannot change on reload: restart grpsecd");
		return -1;
	}
	return d->backend ? upstreams(d, next, false) : 0;
}

static void backend_reload_apply(struct grpsecd *d, const struct grpsecd_conf *prev)
{
	const struct conf_gateway *gw;
	size_t i;

	if (!d->backend)
		return;
	for (i = 0; i < prev->ngateways; i++) {
		gw = conf_gateway_find(d->conf, prev->gateways[i].id);
		/* Gone, or its UpstreamKey gone (a key of the channel's stays). */
		if ((!gw && (prev->gateways[i].upstream_key ||
			     control_gateway_seen(d, prev->gateways[i].id))) ||
		    (gw && prev->gateways[i].upstream_key && !gw->upstream_key &&
		     !control_gateway_seen(d, gw->id)))
			backend_forget_upstream(d->backend, prev->gateways[i].id);
	}
	backend_set_upstream_grace(d->backend, d->conf->manager.upstream_grace_ms);
	gateway_rows(d);
	upstreams(d, d->conf, true);
	backend_sync_groups(d->backend);
}

const struct grpsecd_part backend_part = {
	.name = "backend",
	.init = backend_init,
	.uninit = backend_uninit,
	.reload_check = backend_reload_check,
	.reload_apply = backend_reload_apply,
};
