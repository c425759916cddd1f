// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-gw: a userspace reference gateway for host tests of the
 * simulators and of libgrpsec, where no kernel module can be loaded.  It
 * does what grpsec.ko does on its data path, simply: parse, outer tag
 * under K_m[e] (derived from S_auth), replay window per member, batches
 * under K_up; and downlink frames from the backend (tag under K_up,
 * replay window) fanned out as command or rekey frames to the members'
 * last authenticated addresses.  It is not the product and not tuned for
 * speed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* <linux/grpsec.h> (the counters' enum) comes before libgrpsec's header. */
#include "../common/stats.h"
#include "common.h"
#include "internal.h"

static const char usage_text[] =
"usage: grpsec-gw --listen [ADDR:]PORT --backend ADDR:PORT --gateway ID\n"
"                 (--k-up SRC | --up-secret SRC) [--up-suite SUITE]\n"
"                 --group GROUP:MODE:SUITE:EPOCH:S_AUTH [--group ...]\n"
"                 [--members FIRST:COUNT] [--batch-max N] [--flush-ms MS]\n"
"                 [--mtu BYTES] [--timeout SEC] [--idle SEC] [--ready-file FILE]\n"
"                 [--stats-file FILE]\n"
"\n"
"Userspace reference gateway for host tests: verifies uplink frames of the\n"
"given groups (K_m[e] derived from S_auth for members FIRST..FIRST+COUNT-1,\n"
"default 1..4294967295), drops replays, and forwards the inner parts in\n"
"batches to the backend.  Downlink frames (type 3) from the backend are\n"
"checked under K_up and sent on to the members that sent a valid frame.\n"
"Stops after --timeout (default 30 s) or --idle.\n"
"With --members, every member's key is derived at start; otherwise on its\n"
"first valid frame.  Checks frames in the module's order and counts them\n"
"under the module's names (statistics.rst: rx-frames, verified,\n"
"drop-oversize, drop-stale-epoch, dl-drop-replay, ...; those it never has\n"
"a reason for stay 0).  Prints them as one line of name=value (also\n"
"written to --stats-file on SIGUSR1 and at exit).  Exit 0 ok, 1 usage,\n"
"2 runtime.\n";

enum {
	OPT_LISTEN = 256, OPT_BACKEND, OPT_GATEWAY, OPT_K_UP, OPT_UP_SECRET, OPT_UP_SUITE,
	OPT_GROUP, OPT_MEMBERS, OPT_BATCH_MAX, OPT_FLUSH, OPT_MTU, OPT_TIMEOUT, OPT_IDLE,
	OPT_READY, OPT_STATS_FILE,
};

static const struct option options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "gateway", required_argument, NULL, OPT_GATEWAY },
	{ "k-up", required_argument, NULL, OPT_K_UP },
	{ "up-secret", required_argument, NULL, OPT_UP_SECRET },
	{ "up-suite", required_argument, NULL, OPT_UP_SUITE },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "members", required_argument, NULL, OPT_MEMBERS },
	{ "batch-max", required_argument, NULL, OPT_BATCH_MAX },
	{ "flush-ms", required_argument, NULL, OPT_FLUSH },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "ready-file", required_argument, NULL, OPT_READY },
	{ "stats-file", required_argument, NULL, OPT_STATS_FILE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define MAX_GROUPS 64

/* The gateway's view of a group; sim_group.key holds S_auth here. */
struct config {
	struct sockaddr_storage listen, backend;
	socklen_t listen_len, backend_len;
	uint32_t gateway, first, count;
	bool have_members;
	unsigned int up_suite;
	uint8_t k_up[GRPSEC_KEY_MAX_LEN];
	const char *k_up_src, *up_secret_src;
	struct sim_group groups[MAX_GROUPS];
	unsigned int ngroups;
	unsigned int batch_max;
	double flush_ms, timeout, idle;
	size_t mtu;
	const char *ready, *stats_file;
};

/*
 * Per (group, member): the replay window and an AEAD context keyed with
 * K_m[e] of the epoch it was last used for, in a simple chained table.
 */
struct win {
	struct win *next;
	uint32_t group, member, epoch;
	struct grpsec_aead outer;
	struct grpsec_window w;
	struct sockaddr_storage addr;	/* last authenticated address */
	socklen_t addr_len;
};

#define WIN_BUCKETS 65536
static struct win *windows[WIN_BUCKETS];

static size_t win_hash(uint32_t group, uint32_t member)
{
	return (group * 2654435761U ^ member * 40503U) % WIN_BUCKETS;
}

static struct win *window_find(uint32_t group, uint32_t member)
{
	struct win *w;

	for (w = windows[win_hash(group, member)]; w; w = w->next)
		if (w->group == group && w->member == member)
			return w;
	return NULL;
}

static struct win *window_add(const struct sim_group *g, uint32_t member)
{
	size_t h = win_hash(g->group, member);
	uint8_t k_m[GRPSEC_KEY_MAX_LEN];
	struct win *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		runtime_error("out of memory");
	err = grpsec_kdf_member_key(g->suite, g->key, g->group, g->epoch, member, k_m,
				    grpsec_suite_key_len(g->suite));
	if (!err)
		err = grpsec_aead_init(&w->outer, g->suite, k_m, false);
	grpsec_wipe(k_m, sizeof(k_m));
	if (err)
		runtime_error("member %" PRIu32 ": cannot set up its key: %s", member,
			      grpsec_strerror(err));
	w->group = g->group;
	w->member = member;
	w->epoch = g->epoch;
	w->next = windows[h];
	windows[h] = w;
	return w;
}

static void windows_free(void)
{
	for (size_t h = 0; h < WIN_BUCKETS; h++) {
		while (windows[h]) {
			struct win *w = windows[h];

			windows[h] = w->next;
			grpsec_aead_uninit(&w->outer);
			free(w);
		}
	}
}

/* The module's counters, indexed by GRPSEC_A_STATS_* (statistics.rst). */
static uint64_t cnt[__GRPSEC_A_STATS_MAX];

static volatile sig_atomic_t stats_signal;

static void on_sigusr1(int sig)
{
	(void)sig;
	stats_signal = 1;
}

static void parse(int argc, char **argv, struct config *c)
{
	bool have_listen = false, have_backend = false, have_gateway = false;
	int opt;

	memset(c, 0, sizeof(*c));
	c->up_suite = GRPSEC_SUITE_AES_128_GCM;
	c->first = 1;
	c->count = UINT32_MAX;
	c->batch_max = 64;
	c->flush_ms = 2;
	c->mtu = 1400;
	c->timeout = 30;
	while ((opt = opt_next(argc, argv, "h", options, usage_text)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
			c->listen_len = opt_addr("--listen", optarg, &c->listen, true);
			have_listen = true;
			break;
		case OPT_BACKEND:
			c->backend_len = opt_addr("--backend", optarg, &c->backend, false);
			have_backend = true;
			break;
		case OPT_GATEWAY:
			c->gateway = opt_u32("--gateway", optarg, 0, UINT32_MAX);
			have_gateway = true;
			break;
		case OPT_K_UP:
			c->k_up_src = optarg;
			break;
		case OPT_UP_SECRET:
			c->up_secret_src = optarg;
			break;
		case OPT_UP_SUITE:
			c->up_suite = opt_suite("--up-suite", optarg);
			break;
		case OPT_GROUP:
			if (c->ngroups == MAX_GROUPS)
				usage_error("more than %d --group options", MAX_GROUPS);
			/* KEYSRC is S_auth here, whatever the mode. */
			opt_group("--group", optarg, &c->groups[c->ngroups++], GRPSEC_SECRET_LEN);
			break;
		case OPT_MEMBERS: {
			char *colon = strchr(optarg, ':');

			if (!colon)
				usage_error("invalid --members value \"%s\" (expected FIRST:COUNT)",
					    optarg);
			*colon = '\0';
			c->first = opt_u32("--members", optarg, 1, UINT32_MAX);
			c->count = opt_u32("--members", colon + 1, 1, UINT32_MAX);
			c->have_members = true;
			break;
		}
		case OPT_BATCH_MAX:
			c->batch_max = opt_u32("--batch-max", optarg, 1, 65535);
			break;
		case OPT_FLUSH:
			c->flush_ms = opt_double("--flush-ms", optarg, 0, 10000);
			break;
		case OPT_MTU:
			c->mtu = opt_u32("--mtu", optarg, GRPSEC_BATCH_HDR_LEN +
					 GRPSEC_BATCH_ENTRY_HDR_LEN + GRPSEC_INNER_MAX_LEN +
					 GRPSEC_TAG_LEN, GRPSEC_BATCH_MAX_LEN);
			break;
		case OPT_TIMEOUT:
			c->timeout = opt_double("--timeout", optarg, 0.001, 86400);
			break;
		case OPT_IDLE:
			c->idle = opt_double("--idle", optarg, 0.001, 86400);
			break;
		case OPT_READY:
			c->ready = optarg;
			break;
		case OPT_STATS_FILE:
			c->stats_file = optarg;
			break;
		}
	}
	if (!have_listen || !have_backend || !have_gateway || !c->ngroups)
		usage_error("--listen, --backend, --gateway and --group are required");
	if (!c->k_up_src == !c->up_secret_src)
		usage_error("give exactly one of --k-up and --up-secret");
	if (c->have_members && (uint64_t)c->first + c->count - 1 > UINT32_MAX)
		usage_error("--members %" PRIu32 ":%" PRIu32 " passes member id %" PRIu32,
			    c->first, c->count, UINT32_MAX);
	opt_k_up(c->k_up_src, c->up_secret_src, c->up_suite, c->gateway, c->k_up);
}

/* Sealed batches wait here until the end of a receive round: one sendmmsg. */
#define TX_MAX 16

struct gateway {
	const struct config *c;
	int fd;
	struct grpsec_aead up;		/* K_up, sealing */
	struct grpsec_aead scratch;	/* verifies frames of members not seen yet */
	uint8_t bufs[TX_MAX + 1][GRPSEC_BATCH_MAX_LEN];
	uint8_t *spare[TX_MAX + 1];	/* buffers neither queued nor being built */
	unsigned int nspare;
	uint8_t *tx[TX_MAX];		/* sealed, waiting for tx_send() */
	size_t tx_len[TX_MAX];
	unsigned int tx_entries[TX_MAX];
	unsigned int ntx;
	struct grpsec_batch_builder b;
	uint64_t seq;
	uint64_t first_entry_ns;
	struct grpsec_window dl_window;	/* downlink sequences */
	uint64_t gw_seq;		/* sequence of command and rekey frames */
};

static void tx_send(struct gateway *gw)
{
	struct mmsghdr msgs[TX_MAX];
	struct iovec iov[TX_MAX];
	unsigned int off = 0;

	for (unsigned int i = 0; i < gw->ntx; i++) {
		iov[i] = (struct iovec){ .iov_base = gw->tx[i], .iov_len = gw->tx_len[i] };
		msgs[i] = (struct mmsghdr){ .msg_hdr = {
			.msg_name = (void *)&gw->c->backend, .msg_namelen = gw->c->backend_len,
			.msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	while (off < gw->ntx) {
		int r = sendmmsg(gw->fd, msgs + off, gw->ntx - off, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* The datagram that failed is lost; go on with the next. */
			cnt[GRPSEC_A_STATS_TX_ERRORS]++;
			off++;
			continue;
		}
		/* As the module: a batch counts once it has left. */
		for (int i = 0; i < r; i++, off++) {
			cnt[GRPSEC_A_STATS_BATCHES]++;
			cnt[GRPSEC_A_STATS_BATCH_BYTES] += gw->tx_len[off];
			cnt[GRPSEC_A_STATS_FORWARDED] += gw->tx_entries[off];
		}
	}
	for (unsigned int i = 0; i < gw->ntx; i++)
		gw->spare[gw->nspare++] = gw->tx[i];
	gw->ntx = 0;
}

static void batch_start(struct gateway *gw)
{
	grpsec_batch_init(&gw->b, gw->spare[--gw->nspare], gw->c->mtu, gw->c->gateway,
			  gw->c->up_suite);
}

/* grpsec_batch_seal() with a kept K_up context instead of a fresh one. */
static void batch_flush(struct gateway *gw)
{
	struct grpsec_batch_builder *b = &gw->b;

	if (!b->count)
		return;
	put_be64(b->buf + 8, ++gw->seq);
	put_be16(b->buf + 16, b->count);
	if (grpsec_batch_tag(&gw->up, gw->seq, b->buf, b->len, b->buf + b->len))
		runtime_error("cannot seal a batch");
	gw->tx[gw->ntx] = b->buf;
	gw->tx_entries[gw->ntx] = b->count;
	gw->tx_len[gw->ntx++] = b->len + GRPSEC_TAG_LEN;
	if (gw->ntx == TX_MAX)
		tx_send(gw);
	batch_start(gw);
}

/* A command or rekey frame for one member, tagged under its K_m[e]. */
static void downlink_send(struct gateway *gw, const struct sim_group *g,
			  const struct grpsec_downlink *d, const struct win *w)
{
	uint8_t k_m[GRPSEC_KEY_MAX_LEN], out[GRPSEC_MFRAME_MAX_LEN];
	size_t len;
	int err;

	if (!w->addr_len) {
		cnt[GRPSEC_A_STATS_TX_NO_ENDPOINT]++;
		return;
	}
	err = grpsec_kdf_member_key(g->suite, g->key, g->group, w->epoch, w->member, k_m,
				    grpsec_suite_key_len(g->suite));
	if (!err)
		err = grpsec_member_frame_build(d->kind == GRPSEC_DOWNLINK_KIND_COMMAND ?
						GRPSEC_TYPE_COMMAND : GRPSEC_TYPE_REKEY,
						g->suite,
						d->member || d->kind != GRPSEC_DOWNLINK_KIND_COMMAND ?
						0 : GRPSEC_MFRAME_FLAG_GROUP, g->group, w->member,
						w->epoch,
						++gw->gw_seq, k_m, d->body, d->body_len, out,
						sizeof(out), &len);
	grpsec_wipe(k_m, sizeof(k_m));
	if (err)
		runtime_error("cannot build a member frame: %s", grpsec_strerror(err));
	if (sendto(gw->fd, out, len, 0, (const struct sockaddr *)&w->addr, w->addr_len) < 0)
		cnt[GRPSEC_A_STATS_TX_ERRORS]++;
	else
		cnt[GRPSEC_A_STATS_TX_FRAMES]++;
}

/*
 * A downlink from the backend, checked in the module's order (frames.rst,
 * "Downlink"): layout, suite and gateway id; the replay window, before
 * any crypto; the K_up tag; then group and member.  Return: the counter.
 */
static int check_downlink(struct gateway *gw, const uint8_t *frame, size_t len,
			  struct grpsec_downlink *d, const struct sim_group **g)
{
	const struct config *c = gw->c;

	if (grpsec_downlink_parse(frame, len, d) || d->gateway != c->gateway ||
	    d->suite != c->up_suite)
		return GRPSEC_A_STATS_DL_DROP_MALFORMED;
	if (!grpsec_window_check(&gw->dl_window, d->seq))
		return GRPSEC_A_STATS_DL_DROP_REPLAY;
	if (grpsec_downlink_verify(frame, len, c->gateway, c->up_suite, c->k_up, d))
		return GRPSEC_A_STATS_DL_DROP_BAD_TAG;
	grpsec_window_update(&gw->dl_window, d->seq);
	*g = NULL;
	for (unsigned int i = 0; i < c->ngroups; i++)
		if (c->groups[i].group == d->group)
			*g = &c->groups[i];
	if (!*g || (d->member && !window_find(d->group, d->member)))
		return GRPSEC_A_STATS_DL_DROP_UNKNOWN;
	return GRPSEC_A_STATS_DOWNLINKS;
}

/* A downlink from the backend, then its fan-out. */
static void handle_downlink(struct gateway *gw, const uint8_t *frame, size_t len)
{
	const struct sim_group *g;
	struct grpsec_downlink d;
	int idx = check_downlink(gw, frame, len, &d, &g);

	cnt[idx]++;
	if (idx != GRPSEC_A_STATS_DOWNLINKS)
		return;
	if (d.member) {
		downlink_send(gw, g, &d, window_find(d.group, d.member));
		return;
	}
	for (size_t h = 0; h < WIN_BUCKETS; h++)
		for (struct win *w = windows[h]; w; w = w->next)
			if (w->group == d.group)
				downlink_send(gw, g, &d, w);
}

/*
 * The header checks of an uplink, in the module's order (frames.rst,
 * "Gateway processing"), which decides the counter.  Return: 0 or the
 * counter of the drop.
 */
static int uplink_header(const uint8_t *frame, size_t len, struct grpsec_uplink *u)
{
	if (len < 4)
		return GRPSEC_A_STATS_DROP_TRUNCATED;
	if (frame[0] != GRPSEC_VERSION)
		return GRPSEC_A_STATS_DROP_BAD_VERSION;
	if (frame[1] != GRPSEC_TYPE_UPLINK || frame[3] || !grpsec_suite_key_len(frame[2]))
		return GRPSEC_A_STATS_DROP_BAD_HEADER;
	if (len < GRPSEC_UPLINK_MIN_LEN)
		return GRPSEC_A_STATS_DROP_TRUNCATED;
	if (len > GRPSEC_UPLINK_MAX_LEN)
		return GRPSEC_A_STATS_DROP_OVERSIZE;
	/* What is left to refuse: a group id, member id or sequence 0. */
	return grpsec_uplink_parse(frame, len, u) ? GRPSEC_A_STATS_DROP_BAD_HEADER : 0;
}

/* Group, suite, member and epoch, in the module's order: 0 or a counter. */
static int uplink_lookup(const struct config *c, const struct grpsec_uplink *u,
			 const struct sim_group **g)
{
	bool known = false, suite = false;

	*g = NULL;
	for (unsigned int i = 0; i < c->ngroups; i++) {
		if (c->groups[i].group != u->group)
			continue;
		known = true;
		if (c->groups[i].suite != u->suite)
			continue;
		suite = true;
		if (c->groups[i].epoch == u->epoch)
			*g = &c->groups[i];
	}
	if (!known)
		return GRPSEC_A_STATS_DROP_UNKNOWN_GROUP;
	if (!suite)
		return GRPSEC_A_STATS_DROP_BAD_HEADER;
	if (u->member < c->first || u->member - c->first >= c->count)
		return GRPSEC_A_STATS_DROP_UNKNOWN_MEMBER;
	return *g ? 0 : GRPSEC_A_STATS_DROP_STALE_EPOCH;
}

/*
 * The AEAD context holding K_m[e] of @u's member: its own, or the scratch
 * one (not seen yet, or under another epoch: no state changes until its
 * frame proves the member).
 */
static struct grpsec_aead *member_aead(struct gateway *gw, const struct sim_group *g,
				       const struct grpsec_uplink *u, struct win *w)
{
	struct grpsec_aead *a = &gw->scratch;
	uint8_t k_m[GRPSEC_KEY_MAX_LEN];
	int err;

	if (w && w->epoch == g->epoch)
		return &w->outer;
	err = grpsec_kdf_member_key(g->suite, g->key, u->group, u->epoch, u->member, k_m,
				    grpsec_suite_key_len(g->suite));
	if (!err && (!a->ctx || a->suite != g->suite)) {
		grpsec_aead_uninit(a);
		err = grpsec_aead_init(a, g->suite, k_m, false);
	} else if (!err) {
		err = grpsec_aead_set_key(a, k_m);
	}
	grpsec_wipe(k_m, sizeof(k_m));
	if (err)
		runtime_error("cannot load a member key");
	return a;
}

/* An uplink: header, lookup, replay pre-check, tag, replay, batch. */
static int handle_uplink(struct gateway *gw, const uint8_t *frame, size_t len,
			 const struct sockaddr_storage *from, socklen_t from_len)
{
	const struct config *c = gw->c;
	uint8_t nonce[GRPSEC_NONCE_LEN];
	const struct sim_group *g;
	struct grpsec_uplink u;
	struct grpsec_aead *a;
	struct win *w;
	int reason;

	reason = uplink_header(frame, len, &u);
	if (!reason)
		reason = uplink_lookup(c, &u, &g);
	if (reason)
		return reason;
	w = window_find(u.group, u.member);
	/* Replays are dropped before any crypto is spent on them. */
	if (w && !grpsec_window_check(&w->w, u.seq))
		return GRPSEC_A_STATS_DROP_REPLAY;
	a = member_aead(gw, g, &u, w);
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_UPLINK, u.seq);
	/* The group's mode says what the outer tag covers (grpsec_uplink_verify()). */
	if (grpsec_aead_open(a, nonce, u.frame, grpsec_outer_auth_len(g->mode, u.payload_len),
			     NULL, 0, u.outer_tag, NULL))
		return GRPSEC_A_STATS_DROP_BAD_TAG;
	if (!w) {
		w = window_add(g, u.member);
	} else if (a != &w->outer && g->epoch > w->epoch) {
		/*
		 * Its first verified frame under a newer epoch: commands and
		 * rekeys are tagged under it from now on (frames.rst,
		 * "Rollover"); until then under the older one, which the member
		 * still holds.
		 */
		struct grpsec_aead t = w->outer;

		w->outer = *a;
		*a = t;
		w->epoch = g->epoch;
	}
	if (!grpsec_window_check(&w->w, u.seq))
		return GRPSEC_A_STATS_DROP_REPLAY;
	grpsec_window_update(&w->w, u.seq);
	memcpy(&w->addr, from, from_len);
	w->addr_len = from_len;
	cnt[GRPSEC_A_STATS_VERIFIED]++;
	if (grpsec_batch_add_uplink(&gw->b, g->mode, &u) == -EMSGSIZE) {
		batch_flush(gw);
		grpsec_batch_add_uplink(&gw->b, g->mode, &u);
	}
	if (gw->b.count == 1)
		gw->first_entry_ns = now_ns();
	if (gw->b.count >= c->batch_max)
		batch_flush(gw);
	return 0;
}

/* Every datagram: rx-frames, then a downlink or an uplink (frames.rst). */
static void handle(struct gateway *gw, const uint8_t *frame, size_t len,
		   const struct sockaddr_storage *from, socklen_t from_len)
{
	int reason;

	cnt[GRPSEC_A_STATS_RX_FRAMES]++;
	cnt[GRPSEC_A_STATS_RX_BYTES] += len;
	if (len >= 2 && frame[1] == GRPSEC_TYPE_DOWNLINK) {
		handle_downlink(gw, frame, len);
		return;
	}
	reason = handle_uplink(gw, frame, len, from, from_len);
	if (reason)
		cnt[reason]++;
}

static void stats_line(FILE *f, double ms)
{
	for (int i = 1; i < __GRPSEC_A_STATS_MAX; i++)
		if (stats_name(i))
			fprintf(f, "%s=%" PRIu64 " ", stats_name(i), cnt[i]);
	fprintf(f, "elapsed_ms=%.1f result=ok\n", ms);
}

static void stats_write(const char *path, double ms)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	stats_line(f, ms);
	fclose(f);
	if (write_file_atomic(path, text, len))
		warnx("cannot write --stats-file \"%s\"", path);
	free(text);
}

#define RX_VLEN 64

int main(int argc, char **argv)
{
	static uint8_t rx[RX_VLEN][GRPSEC_UPLINK_MAX_LEN + 1];
	static struct sockaddr_storage from[RX_VLEN];
	struct mmsghdr msgs[RX_VLEN];
	struct iovec iov[RX_VLEN];
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	static struct gateway gw;
	struct config c;
	uint64_t start, deadline, last_rx = 0;

	prog = "grpsec-gw";
	parse(argc, argv, &c);
	gw.c = &c;
	gw.seq = realtime_ns();
	gw.gw_seq = realtime_ns();
	if (grpsec_aead_init(&gw.up, c.up_suite, c.k_up, true))
		runtime_error("cannot load K_up");
	if (c.have_members && c.count <= 1000000) {
		for (unsigned int i = 0; i < c.ngroups; i++)
			for (uint32_t m = 0; m < c.count; m++)
				if (!window_find(c.groups[i].group, c.first + m))
					window_add(&c.groups[i], c.first + m);
	}
	gw.fd = udp_socket(c.listen.ss_family, &c.listen, c.listen_len);
	for (unsigned int i = 0; i <= TX_MAX; i++)
		gw.spare[gw.nspare++] = gw.bufs[i];
	batch_start(&gw);
	if (c.ready && write_ready_file(c.ready, gw.fd))
		runtime_error("cannot write --ready-file \"%s\"", c.ready);
	catch_stop_signals();
	sigaction(SIGUSR1, &sa, NULL);
	start = now_ns();
	deadline = start + (uint64_t)(c.timeout * 1e9);
	while (!stop_signal) {
		struct pollfd pfd = { .fd = gw.fd, .events = POLLIN };
		uint64_t now = now_ns();
		int n;

		if (stats_signal && c.stats_file) {
			stats_signal = 0;
			stats_write(c.stats_file, (double)(now - start) / 1e6);
		}
		if (gw.b.count && now - gw.first_entry_ns >= (uint64_t)(c.flush_ms * 1e6)) {
			batch_flush(&gw);
			tx_send(&gw);
		}
		if (now >= deadline)
			break;
		if (c.idle && last_rx && now - last_rx >= (uint64_t)(c.idle * 1e9))
			break;
		if (poll(&pfd, 1, 1) <= 0)
			continue;
		for (;;) {
			rx_vec_init(msgs, iov, RX_VLEN, rx, sizeof(rx[0]), from);
			n = recvmmsg(gw.fd, msgs, RX_VLEN, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			for (int i = 0; i < n; i++)
				handle(&gw, rx[i], msgs[i].msg_len, &from[i],
				       msgs[i].msg_hdr.msg_namelen);
			last_rx = now_ns();
			/* Batches sealed in this round leave together. */
			tx_send(&gw);
			if (stop_signal || stats_signal)
				break;
		}
	}
	batch_flush(&gw);
	tx_send(&gw);
	stats_line(stdout, (double)(now_ns() - start) / 1e6);
	if (c.stats_file)
		stats_write(c.stats_file, (double)(now_ns() - start) / 1e6);
	close(gw.fd);
	grpsec_aead_uninit(&gw.up);
	grpsec_aead_uninit(&gw.scratch);
	windows_free();
	return EXIT_OK;
}
