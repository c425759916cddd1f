// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-backend: receive batches from a gateway, verify them with
 * libgrpsec, open every entry, check exactly-once delivery of the
 * simulator payloads and print one line of counters.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend_send.h"
#include "common.h"

static const char usage_text[] =
"usage: grpsec-backend --listen [ADDR:]PORT --gateway ID\n"
"                      (--k-up SRC | --up-secret SRC) [--up-suite SUITE]\n"
"                      --group GROUP:MODE:SUITE:EPOCH:KEYSRC [--group ...]\n"
"                      [--expect N] [--batches N] [--timeout SEC] [--idle SEC]\n"
"                      [--linger MS] [--batch-seq-floor N] [--nonce-cache N]\n"
"                      [--dump FILE] [--ready-file FILE] [--peer-file FILE]\n"
"\n"
"Receives batch frames of gateway ID, checks each batch tag under K_up\n"
"(given, or derived from the upstream secret), opens every entry with the\n"
"registered group keys (KEYSRC: S_e2e for identified groups, K_G for\n"
"anonymous ones; a file or hex:DIGITS) and counts simulator payloads.\n"
"\n"
"A simulator payload (grpsec-member writes them) is at least 20 bytes:\n"
"\"gsim\" (67 73 69 6d), be32 group, be32 member, be64 counter, then filler\n"
"byte i = (member + counter + i) mod 256 up to the payload size.  An entry\n"
"that opens is a bad_payload when it is not one (or names another group\n"
"than its entry), misattributed when an identified entry's member id\n"
"differs from the payload's; otherwise its (group, member, counter) is\n"
"unique the first time it arrives and a duplicate after.\n"
"\n"
"  --expect N     stop once N distinct messages arrived (plus --linger ms,\n"
"                 default 300, to catch late duplicates); exit 0 only if\n"
"                 exactly N distinct messages and no duplicate arrived\n"
"  --batches N    stop after N datagrams\n"
"  --timeout SEC  stop after SEC seconds (default 30); with --expect that\n"
"                 is a failure\n"
"  --idle SEC     stop when no datagram came for SEC seconds after the first\n"
"  --batch-seq-floor N  the first batch sequence still new: batches below N\n"
"                 are refused (batch_replay), N itself is accepted; give the\n"
"                 gateway's floor (grpsec upstream set ... seq N)\n"
"  --nonce-cache N  anonymous nonces kept per (group, epoch); entries beyond\n"
"                 that bound are refused (cache_full; default 1048576)\n"
"  --dump FILE    append every received datagram to FILE, one hex line each\n"
"  --ready-file FILE  written (\"port=N\") once the socket is bound\n"
"  --peer-file FILE   written (\"ADDR:PORT\") with the source of the first\n"
"                 datagram: the gateway's upstream socket, where downlink\n"
"                 frames may be sent as well\n"
"\n"
"Prints one line of key=value counters.  Exit 0 on success, 1 on bad\n"
"usage, 2 on a runtime failure or an unmet --expect.\n"
"\n"
"grpsec-backend command|rekey --help: send downlink frames to a gateway.\n";

enum {
	OPT_LISTEN = 256, OPT_GATEWAY, OPT_K_UP, OPT_UP_SECRET, OPT_UP_SUITE, OPT_GROUP,
	OPT_EXPECT, OPT_BATCHES, OPT_TIMEOUT, OPT_IDLE, OPT_LINGER, OPT_FLOOR,
	OPT_NONCE_CACHE, OPT_DUMP, OPT_READY, OPT_PEER,
};

static const struct option options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "gateway", required_argument, NULL, OPT_GATEWAY },
	{ "k-up", required_argument, NULL, OPT_K_UP },
	{ "up-secret", required_argument, NULL, OPT_UP_SECRET },
	{ "up-suite", required_argument, NULL, OPT_UP_SUITE },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "batches", required_argument, NULL, OPT_BATCHES },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "linger", required_argument, NULL, OPT_LINGER },
	{ "batch-seq-floor", required_argument, NULL, OPT_FLOOR },
	{ "nonce-cache", required_argument, NULL, OPT_NONCE_CACHE },
	{ "dump", required_argument, NULL, OPT_DUMP },
	{ "ready-file", required_argument, NULL, OPT_READY },
	{ "peer-file", required_argument, NULL, OPT_PEER },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define MAX_GROUPS 64

struct config {
	struct sockaddr_storage listen;
	socklen_t listen_len;
	uint32_t gateway;
	unsigned int up_suite;
	const char *k_up_src, *up_secret_src;
	struct sim_group groups[MAX_GROUPS];
	unsigned int ngroups;
	uint64_t expect, batches, floor;
	bool have_expect;
	double timeout, idle, linger_ms;
	uint32_t nonce_cache;
	const char *dump, *ready, *peer;
};

struct counts {
	uint64_t datagrams, bytes, unique, duplicates, bad_payload, misattributed;
	uint64_t max_entries;
	struct triple_set seen;
};

static void parse(int argc, char **argv, struct config *c)
{
	bool have_listen = false, have_gateway = false;
	int opt;

	memset(c, 0, sizeof(*c));
	c->up_suite = GRPSEC_SUITE_AES_128_GCM;
	c->timeout = 30;
	c->linger_ms = 300;
	while ((opt = opt_next(argc, argv, "h", options, usage_text)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
			c->listen_len = opt_addr("--listen", optarg, &c->listen, true);
			have_listen = true;
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
			opt_group("--group", optarg, &c->groups[c->ngroups++], 0);
			break;
		case OPT_EXPECT:
			c->expect = opt_u64("--expect", optarg, 0, UINT64_MAX);
			c->have_expect = true;
			break;
		case OPT_BATCHES:
			c->batches = opt_u64("--batches", optarg, 1, UINT64_MAX);
			break;
		case OPT_TIMEOUT:
			c->timeout = opt_double("--timeout", optarg, 0.001, 86400);
			break;
		case OPT_IDLE:
			c->idle = opt_double("--idle", optarg, 0.001, 86400);
			break;
		case OPT_LINGER:
			c->linger_ms = opt_double("--linger", optarg, 0, 60000);
			break;
		case OPT_FLOOR:
			c->floor = opt_u64("--batch-seq-floor", optarg, 0, UINT64_MAX);
			break;
		case OPT_NONCE_CACHE:
			c->nonce_cache = opt_u32("--nonce-cache", optarg, 1, UINT32_MAX);
			break;
		case OPT_DUMP:
			c->dump = optarg;
			break;
		case OPT_READY:
			c->ready = optarg;
			break;
		case OPT_PEER:
			c->peer = optarg;
			break;
		}
	}
	if (!have_listen || !have_gateway)
		usage_error("--listen and --gateway are required");
	if (!c->k_up_src == !c->up_secret_src)
		usage_error("give exactly one of --k-up and --up-secret");
	if (!c->ngroups)
		usage_error("at least one --group is required");
}

static struct grpsec_backend *backend_create(const struct config *c)
{
	uint8_t k_up[GRPSEC_KEY_MAX_LEN];
	struct grpsec_backend_config bc = {
		.gateway = c->gateway, .suite = c->up_suite, .upstream_key = k_up,
		.batch_seq_floor = c->floor,
	};
	struct grpsec_backend *be;
	int err;

	opt_k_up(c->k_up_src, c->up_secret_src, c->up_suite, c->gateway, k_up);
	err = grpsec_backend_new(&bc, &be);
	memset(k_up, 0, sizeof(k_up));
	if (err)
		runtime_error("cannot create the backend context: %s", grpsec_strerror(err));
	for (unsigned int i = 0; i < c->ngroups; i++) {
		const struct sim_group *g = &c->groups[i];
		struct grpsec_backend_group bg = {
			.group = g->group, .epoch = g->epoch, .mode = g->mode, .suite = g->suite,
			.key = g->key, .nonce_cache_max = c->nonce_cache,
		};

		err = grpsec_backend_add_group(be, &bg);
		if (err)
			usage_error("--group %" PRIu32 " epoch %" PRIu32 ": %s", g->group, g->epoch,
				    grpsec_strerror(err));
	}
	return be;
}

static int entry_cb(void *arg, const struct grpsec_entry *e)
{
	struct counts *n = arg;
	uint32_t group, member;
	uint64_t counter;
	int r;

	if (e->status != GRPSEC_ENTRY_OK)
		return 0;
	if (!sim_payload_parse(e->payload, e->payload_len, &group, &member, &counter) ||
	    group != e->group) {
		n->bad_payload++;
		return 0;
	}
	/* Identified: the member proven by K_e,m[e] must be the one in the payload. */
	if (e->mode == GRPSEC_MODE_IDENTIFIED && member != e->member)
		n->misattributed++;
	r = triple_set_add(&n->seen, group, member, counter);
	if (r < 0)
		runtime_error("out of memory for the delivery set");
	if (r)
		n->unique++;
	else
		n->duplicates++;
	return 0;
}

static void print_summary(const struct grpsec_backend *be, const struct counts *n,
			  double ms, const char *result)
{
	struct grpsec_backend_stats st;

	grpsec_backend_get_stats(be, &st);
	printf("batches=%" PRIu64 " batches_ok=%" PRIu64 " batch_malformed=%" PRIu64
	       " batch_bad_gateway=%" PRIu64 " batch_replay=%" PRIu64 " batch_bad_tag=%" PRIu64
	       " tag_checks=%" PRIu64 " entries=%" PRIu64 " max_batch_entries=%" PRIu64
	       " messages=%" PRIu64 " unique=%" PRIu64 " duplicates=%" PRIu64
	       " bad_payload=%" PRIu64 " misattributed=%" PRIu64,
	       st.batches, st.batches_ok, st.batch_malformed, st.batch_bad_gateway,
	       st.batch_replay, st.batch_bad_tag, st.tag_checks, st.entries, n->max_entries,
	       st.entry[GRPSEC_ENTRY_OK], n->unique, n->duplicates, n->bad_payload,
	       n->misattributed);
	for (unsigned int s = 1; s < __GRPSEC_ENTRY_MAX; s++)
		printf(" %s=%" PRIu64, grpsec_entry_status_name(s), st.entry[s]);
	printf(" inner_opens=%" PRIu64 " key_derivations=%" PRIu64 " bytes=%" PRIu64
	       " elapsed_ms=%.1f result=%s\n", st.inner_opens, st.key_derivations, n->bytes,
	       ms, result);
	fflush(stdout);
}

#define VLEN 64

/* --peer-file: where the first datagram came from, as ADDR:PORT. */
static void peer_write(const char *path, const struct sockaddr_storage *ss)
{
	char addr[INET6_ADDRSTRLEN] = "?", text[INET6_ADDRSTRLEN + 16];
	int len;

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		len = snprintf(text, sizeof(text), "[%s]:%u\n", addr, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		len = snprintf(text, sizeof(text), "%s:%u\n", addr, ntohs(s4->sin_port));
	}
	if (write_file_atomic(path, text, (size_t)len))
		warnx("cannot write --peer-file \"%s\"", path);
}

int main(int argc, char **argv)
{
	static uint8_t bufs[VLEN][GRPSEC_BATCH_MAX_LEN];
	static struct sockaddr_storage from[VLEN];
	struct mmsghdr msgs[VLEN];
	struct iovec iov[VLEN];
	struct counts n = { 0 };
	struct grpsec_backend *be;
	struct config c;
	FILE *dump = NULL;
	uint64_t start, deadline, last_rx = 0, linger_until = 0;
	const char *result = "ok";
	int fd, err, status = EXIT_OK;

	prog = "grpsec-backend";
	if (argc > 1 && (!strcmp(argv[1], "command") || !strcmp(argv[1], "rekey")))
		return backend_send_main(argc - 1, argv + 1);
	parse(argc, argv, &c);
	be = backend_create(&c);
	if (c.dump) {
		dump = fopen(c.dump, "a");
		if (!dump)
			runtime_error("cannot open --dump file \"%s\": %s", c.dump, strerror(errno));
	}
	fd = udp_socket(c.listen.ss_family, &c.listen, c.listen_len);
	err = c.ready ? write_ready_file(c.ready, fd) : 0;
	if (err)
		runtime_error("cannot write --ready-file \"%s\": %s", c.ready, strerror(-err));
	catch_stop_signals();

	start = now_ns();
	deadline = start + (uint64_t)(c.timeout * 1e9);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ns();
		int r;

		if (stop_signal) {
			result = "interrupted";
			break;
		}
		if (linger_until && now >= linger_until)
			break;
		if (now >= deadline) {
			result = "timeout";
			break;
		}
		if (c.idle && last_rx && now - last_rx >= (uint64_t)(c.idle * 1e9))
			break;
		r = poll(&pfd, 1, 20);
		if (r < 0 && errno != EINTR)
			runtime_error("poll failed: %s", strerror(errno));
		if (r <= 0)
			continue;
		rx_vec_init(msgs, iov, VLEN, bufs, sizeof(bufs[0]), from);
		r = recvmmsg(fd, msgs, VLEN, MSG_DONTWAIT, NULL);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			runtime_error("recvmmsg failed: %s", strerror(errno));
		}
		last_rx = now_ns();
		if (c.peer && !n.datagrams && r > 0)
			peer_write(c.peer, &from[0]);
		for (int i = 0; i < r; i++) {
			struct grpsec_batch_info info = { 0 };
			size_t len = msgs[i].msg_len;

			n.datagrams++;
			n.bytes += len;
			if (dump) {
				hex_print(dump, bufs[i], len);
				fputc('\n', dump);
			}
			if (!grpsec_backend_open_batch(be, bufs[i], len, &info, entry_cb, &n) &&
			    info.count > n.max_entries)
				n.max_entries = info.count;
		}
		if (dump)
			fflush(dump);
		if (c.have_expect && !linger_until && n.unique >= c.expect)
			linger_until = now_ns() + (uint64_t)(c.linger_ms * 1e6);
		if (c.batches && n.datagrams >= c.batches)
			break;
	}

	if (c.have_expect) {
		if (n.unique != c.expect || n.duplicates || n.misattributed) {
			if (!strcmp(result, "ok"))
				result = "fail";
			status = EXIT_RUNTIME;
		} else {
			result = "ok";
		}
	} else if (!strcmp(result, "timeout") || !strcmp(result, "interrupted")) {
		/* Without --expect, running until the timeout is the normal end. */
		result = "ok";
	}
	print_summary(be, &n, (double)(now_ns() - start) / 1e6, result);
	if (c.have_expect && status)
		fprintf(stderr, "grpsec-backend: expected %" PRIu64 " distinct messages, got %" PRIu64
			" (%" PRIu64 " duplicates, %" PRIu64 " misattributed)\n", c.expect, n.unique,
			n.duplicates, n.misattributed);
	if (dump)
		fclose(dump);
	close(fd);
	triple_set_free(&n.seen);
	grpsec_backend_free(be);
	return status;
}
