// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-gw: a userspace reference gateway for host tests of the
 * simulators and of libgrpsec, where no kernel module can be loaded.  It
 * does what grpsec.ko does on its data path, simply: parse, outer tag
 * under K_m[e] (derived from S_auth), replay window per member, batches
 * under K_up.  It is not the product and not tuned for speed.
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

#include "common.h"
#include "internal.h"

static const char usage_text[] =
"usage: grpsec-gw --listen [ADDR:]PORT --backend ADDR:PORT --gateway ID\n"
"                 (--k-up SRC | --up-secret SRC) [--up-suite SUITE]\n"
"                 --group GROUP:MODE:SUITE:EPOCH:S_AUTH [--group ...]\n"
"                 [--members FIRST:COUNT] [--batch-max N] [--flush-ms MS]\n"
"                 [--mtu BYTES] [--timeout SEC] [--idle SEC] [--ready-file FILE]\n"
"\n"
"Userspace reference gateway for host tests: verifies uplink frames of the\n"
"given groups (K_m[e] derived from S_auth for members FIRST..FIRST+COUNT-1,\n"
"default 1..4294967295), drops replays, and forwards the inner parts in\n"
"batches to the backend.  Stops after --timeout (default 30 s) or --idle.\n"
"Prints one line of key=value counters.  Exit 0 ok, 1 usage, 2 runtime.\n";

enum {
	OPT_LISTEN = 256, OPT_BACKEND, OPT_GATEWAY, OPT_K_UP, OPT_UP_SECRET, OPT_UP_SUITE,
	OPT_GROUP, OPT_MEMBERS, OPT_BATCH_MAX, OPT_FLUSH, OPT_MTU, OPT_TIMEOUT, OPT_IDLE,
	OPT_READY, OPT_HELP,
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
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

#define MAX_GROUPS 64

/* The gateway's view of a group; sim_group.key holds S_auth here. */
struct config {
	struct sockaddr_storage listen, backend;
	socklen_t listen_len, backend_len;
	uint32_t gateway, first, count;
	unsigned int up_suite;
	uint8_t k_up[GRPSEC_KEY_MAX_LEN];
	const char *k_up_src, *up_secret_src;
	struct sim_group groups[MAX_GROUPS];
	unsigned int ngroups;
	unsigned int batch_max;
	double flush_ms, timeout, idle;
	size_t mtu;
	const char *ready;
};

/* Replay windows, one per (group, member), in a simple chained table. */
struct win {
	struct win *next;
	uint32_t group, member;
	struct grpsec_window w;
};

#define WIN_BUCKETS 65536
static struct win *windows[WIN_BUCKETS];

static struct win *window_get(uint32_t group, uint32_t member)
{
	size_t h = (group * 2654435761U ^ member * 40503U) % WIN_BUCKETS;
	struct win *w;

	for (w = windows[h]; w; w = w->next)
		if (w->group == group && w->member == member)
			return w;
	w = calloc(1, sizeof(*w));
	if (!w)
		runtime_error("out of memory");
	w->group = group;
	w->member = member;
	w->next = windows[h];
	windows[h] = w;
	return w;
}

static struct {
	uint64_t rx, ok, truncated, bad_version, bad_header, unknown_group, unknown_member,
		 bad_tag, replay, batches, entries, send_errors;
} cnt;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
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
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
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
		case 'h':
		case OPT_HELP:
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		default:
			fputs(usage_text, stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument \"%s\"", argv[optind]);
	if (!have_listen || !have_backend || !have_gateway || !c->ngroups)
		usage_error("--listen, --backend, --gateway and --group are required");
	if (!c->k_up_src == !c->up_secret_src)
		usage_error("give exactly one of --k-up and --up-secret");
	if (c->k_up_src) {
		opt_bytes("--k-up", c->k_up_src, c->k_up, grpsec_suite_key_len(c->up_suite));
	} else {
		uint8_t secret[GRPSEC_SECRET_LEN];

		opt_bytes("--up-secret", c->up_secret_src, secret, sizeof(secret));
		if (grpsec_kdf_upstream_key(c->up_suite, secret, c->gateway, c->k_up,
					    grpsec_suite_key_len(c->up_suite)))
			runtime_error("cannot derive K_up");
	}
}

struct gateway {
	const struct config *c;
	int fd;
	uint8_t buf[GRPSEC_BATCH_MAX_LEN];
	struct grpsec_batch_builder b;
	uint64_t seq;
	uint64_t first_entry_ns;
};

static void batch_flush(struct gateway *gw)
{
	size_t len;

	if (!gw->b.count)
		return;
	if (grpsec_batch_seal(&gw->b, ++gw->seq, gw->c->k_up, &len))
		runtime_error("cannot seal a batch");
	if (sendto(gw->fd, gw->buf, len, 0, (const struct sockaddr *)&gw->c->backend,
		   gw->c->backend_len) < 0)
		cnt.send_errors++;
	cnt.batches++;
	grpsec_batch_init(&gw->b, gw->buf, gw->c->mtu, gw->c->gateway, gw->c->up_suite);
}

static void handle(struct gateway *gw, const uint8_t *frame, size_t len)
{
	const struct config *c = gw->c;
	const struct sim_group *g = NULL;
	uint8_t k_m[GRPSEC_KEY_MAX_LEN];
	struct grpsec_uplink u;
	struct win *w;
	int err;

	cnt.rx++;
	err = grpsec_uplink_parse(frame, len, &u);
	if (err == -EMSGSIZE) {
		cnt.truncated++;
		return;
	} else if (err == -EPROTONOSUPPORT) {
		cnt.bad_version++;
		return;
	} else if (err) {
		cnt.bad_header++;
		return;
	}
	for (unsigned int i = 0; i < c->ngroups; i++) {
		if (c->groups[i].group == u.group && c->groups[i].epoch == u.epoch &&
		    c->groups[i].suite == u.suite)
			g = &c->groups[i];
	}
	if (!g) {
		cnt.unknown_group++;
		return;
	}
	if (u.member < c->first || u.member - c->first >= c->count) {
		cnt.unknown_member++;
		return;
	}
	if (grpsec_kdf_member_key(g->suite, g->key, u.group, u.epoch, u.member, k_m,
				  grpsec_suite_key_len(g->suite)) ||
	    grpsec_uplink_verify(&u, k_m)) {
		cnt.bad_tag++;
		return;
	}
	w = window_get(u.group, u.member);
	if (!grpsec_window_check(&w->w, u.seq)) {
		cnt.replay++;
		return;
	}
	grpsec_window_update(&w->w, u.seq);
	cnt.ok++;
	if (grpsec_batch_add_uplink(&gw->b, g->mode, &u) == -EMSGSIZE) {
		batch_flush(gw);
		grpsec_batch_add_uplink(&gw->b, g->mode, &u);
	}
	cnt.entries++;
	if (gw->b.count == 1)
		gw->first_entry_ns = now_ns();
	if (gw->b.count >= c->batch_max)
		batch_flush(gw);
}

int main(int argc, char **argv)
{
	static uint8_t rx[GRPSEC_UPLINK_MAX_LEN + 1];
	struct sigaction sa = { .sa_handler = on_signal };
	struct gateway gw = { 0 };
	struct config c;
	uint64_t start, deadline, last_rx = 0;

	prog = "grpsec-gw";
	parse(argc, argv, &c);
	gw.c = &c;
	gw.seq = realtime_ns();
	gw.fd = udp_socket(c.listen.ss_family, &c.listen, c.listen_len);
	grpsec_batch_init(&gw.b, gw.buf, c.mtu, c.gateway, c.up_suite);
	if (c.ready) {
		char text[32];
		int len = snprintf(text, sizeof(text), "port=%u\n", socket_port(gw.fd));

		if (write_file_atomic(c.ready, text, (size_t)len))
			runtime_error("cannot write --ready-file \"%s\"", c.ready);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	start = now_ns();
	deadline = start + (uint64_t)(c.timeout * 1e9);
	while (!stop_signal) {
		struct pollfd pfd = { .fd = gw.fd, .events = POLLIN };
		uint64_t now = now_ns();
		ssize_t n;

		if (gw.b.count && now - gw.first_entry_ns >= (uint64_t)(c.flush_ms * 1e6))
			batch_flush(&gw);
		if (now >= deadline)
			break;
		if (c.idle && last_rx && now - last_rx >= (uint64_t)(c.idle * 1e9))
			break;
		if (poll(&pfd, 1, 1) <= 0)
			continue;
		while ((n = recv(gw.fd, rx, sizeof(rx), MSG_DONTWAIT)) >= 0) {
			handle(&gw, rx, (size_t)n);
			last_rx = now_ns();
		}
	}
	batch_flush(&gw);
	printf("rx=%" PRIu64 " ok=%" PRIu64 " truncated=%" PRIu64 " bad_version=%" PRIu64
	       " bad_header=%" PRIu64 " unknown_group=%" PRIu64 " unknown_member=%" PRIu64
	       " bad_tag=%" PRIu64 " replay=%" PRIu64 " batches=%" PRIu64 " entries=%" PRIu64
	       " send_errors=%" PRIu64 " elapsed_ms=%.1f result=ok\n", cnt.rx, cnt.ok,
	       cnt.truncated, cnt.bad_version, cnt.bad_header, cnt.unknown_group,
	       cnt.unknown_member, cnt.bad_tag, cnt.replay, cnt.batches, cnt.entries,
	       cnt.send_errors, (double)(now_ns() - start) / 1e6);
	close(gw.fd);
	return EXIT_OK;
}
