// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-forge: a malicious (or honest) gateway for tests.  It builds
 * batches from inner parts it seals itself, as a gateway would receive
 * them from members, then attacks the backend: tampering, re-attribution,
 * replays, leaked member ids, forged inner parts, bad batch tags.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

static const char usage_text[] =
"usage: grpsec-forge --backend ADDR:PORT --gateway ID\n"
"                   (--k-up SRC | --up-secret SRC) [--up-suite SUITE]\n"
"                   --group GROUP:MODE:SUITE:EPOCH:KEYSRC --member ID\n"
"                   --attack ATTACK [--count N] [--to ID] [--payload-size B]\n"
"                   [--counter-start C] [--batch-seq S]\n"
"\n"
"Seals N messages of member ID (counters C.., default 1) with the group's\n"
"inner key (KEYSRC: S_e2e for identified groups, K_G for anonymous ones),\n"
"puts them in batches under K_up and sends them to the backend.\n"
"ATTACK, with what the backend must report:\n"
"  honest          one batch of N entries            messages=N\n"
"  tamper-inner    one ciphertext bit flipped        bad_tag=N\n"
"  reattribute     identified: entries moved to member --to (default ID+1)\n"
"                                                    bad_tag=N\n"
"  forge-inner     inner parts sealed under a key of the gateway's own\n"
"                                                    bad_tag=N\n"
"  leak-member-id  anonymous: member id left in the entries\n"
"                                                    anonymous_with_member_id=N\n"
"  replay-inner    the honest batch, then its entries in a new batch\n"
"                                                    messages=N replay=N\n"
"  replay-batch    the honest batch sent twice       messages=N batch_replay=1\n"
"  bad-batch-tag   the batch tag flipped             batch_bad_tag=1\n"
"The batch sequence starts at S (default CLOCK_REALTIME in ns).\n"
"Prints one line of key=value results.  Exit 0 ok, 1 usage, 2 runtime.\n";

enum {
	OPT_BACKEND = 256, OPT_GATEWAY, OPT_K_UP, OPT_UP_SECRET, OPT_UP_SUITE, OPT_GROUP,
	OPT_MEMBER, OPT_ATTACK, OPT_COUNT, OPT_TO, OPT_PAYLOAD, OPT_COUNTER, OPT_SEQ,
};

static const struct option options[] = {
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "gateway", required_argument, NULL, OPT_GATEWAY },
	{ "k-up", required_argument, NULL, OPT_K_UP },
	{ "up-secret", required_argument, NULL, OPT_UP_SECRET },
	{ "up-suite", required_argument, NULL, OPT_UP_SUITE },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "member", required_argument, NULL, OPT_MEMBER },
	{ "attack", required_argument, NULL, OPT_ATTACK },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "to", required_argument, NULL, OPT_TO },
	{ "payload-size", required_argument, NULL, OPT_PAYLOAD },
	{ "counter-start", required_argument, NULL, OPT_COUNTER },
	{ "batch-seq", required_argument, NULL, OPT_SEQ },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

enum attack {
	HONEST, TAMPER_INNER, REATTRIBUTE, FORGE_INNER, LEAK_MEMBER_ID, REPLAY_INNER,
	REPLAY_BATCH, BAD_BATCH_TAG,
};

static const char *const attack_names[] = {
	[HONEST] = "honest", [TAMPER_INNER] = "tamper-inner", [REATTRIBUTE] = "reattribute",
	[FORGE_INNER] = "forge-inner", [LEAK_MEMBER_ID] = "leak-member-id",
	[REPLAY_INNER] = "replay-inner", [REPLAY_BATCH] = "replay-batch",
	[BAD_BATCH_TAG] = "bad-batch-tag",
};

struct config {
	struct sockaddr_storage backend;
	socklen_t backend_len;
	uint32_t gateway, member, to, count;
	unsigned int up_suite;
	uint8_t k_up[GRPSEC_KEY_MAX_LEN];
	const char *k_up_src, *up_secret_src;
	struct sim_group g;
	enum attack attack;
	size_t payload_size;
	uint64_t counter_start, seq;
};

static void parse(int argc, char **argv, struct config *c)
{
	bool have_backend = false, have_gateway = false, have_group = false,
	     have_member = false, have_attack = false, have_to = false;
	int opt;

	memset(c, 0, sizeof(*c));
	c->up_suite = GRPSEC_SUITE_AES_128_GCM;
	c->count = 1;
	c->payload_size = 32;
	c->counter_start = 1;
	c->seq = realtime_ns();
	while ((opt = opt_next(argc, argv, "h", options, usage_text)) != -1) {
		switch (opt) {
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
			opt_group("--group", optarg, &c->g, 0);
			have_group = true;
			break;
		case OPT_MEMBER:
			c->member = opt_u32("--member", optarg, 1, UINT32_MAX);
			have_member = true;
			break;
		case OPT_ATTACK: {
			unsigned int a;

			for (a = 0; a < sizeof(attack_names) / sizeof(attack_names[0]); a++)
				if (!strcmp(optarg, attack_names[a]))
					break;
			if (a == sizeof(attack_names) / sizeof(attack_names[0]))
				usage_error("invalid --attack value \"%s\"", optarg);
			c->attack = a;
			have_attack = true;
			break;
		}
		case OPT_COUNT:
			c->count = opt_u32("--count", optarg, 1, 1000);
			break;
		case OPT_TO:
			c->to = opt_u32("--to", optarg, 1, UINT32_MAX);
			have_to = true;
			break;
		case OPT_PAYLOAD:
			c->payload_size = opt_u32("--payload-size", optarg, SIM_PAYLOAD_MIN,
						  GRPSEC_MAX_PAYLOAD);
			break;
		case OPT_COUNTER:
			c->counter_start = opt_u64("--counter-start", optarg, 1, UINT64_MAX / 2);
			break;
		case OPT_SEQ:
			c->seq = opt_u64("--batch-seq", optarg, 1, UINT64_MAX / 2);
			break;
		}
	}
	if (!have_backend || !have_gateway || !have_group || !have_member || !have_attack)
		usage_error("--backend, --gateway, --group, --member and --attack are required");
	if (!c->k_up_src == !c->up_secret_src)
		usage_error("give exactly one of --k-up and --up-secret");
	if (c->attack == REATTRIBUTE && c->g.mode != GRPSEC_MODE_IDENTIFIED)
		usage_error("--attack reattribute needs an identified group");
	if (c->attack == LEAK_MEMBER_ID && c->g.mode != GRPSEC_MODE_ANONYMOUS)
		usage_error("--attack leak-member-id needs an anonymous group");
	if (!have_to)
		c->to = c->member == UINT32_MAX ? 1 : c->member + 1;
	opt_k_up(c->k_up_src, c->up_secret_src, c->up_suite, c->gateway, c->k_up);
}

/* Seal the member's frames; @inner_key NULL means the real inner key. */
static uint8_t (*seal_frames(const struct config *c, bool forged, size_t *flen))[GRPSEC_UPLINK_MAX_LEN]
{
	size_t kl = grpsec_suite_key_len(c->g.suite);
	uint8_t k_m[GRPSEC_KEY_MAX_LEN], k_in[GRPSEC_KEY_MAX_LEN];
	uint8_t payload[GRPSEC_MAX_PAYLOAD];
	uint8_t (*frames)[GRPSEC_UPLINK_MAX_LEN] = calloc(c->count, sizeof(*frames));
	struct grpsec_member_config mc = {
		.group = c->g.group, .member = c->member, .epoch = c->g.epoch,
		.mode = c->g.mode, .suite = c->g.suite, .member_key = k_m, .inner_key = k_in,
		.msg_limit = UINT64_MAX, .seq_reserved = c->counter_start - 1,
	};
	struct grpsec_member *m;
	int err;

	if (!frames)
		runtime_error("out of memory");
	/* The outer tag is not forwarded: any K_m will do. */
	err = grpsec_random(k_m, kl);
	if (!err && forged)
		err = grpsec_random(k_in, kl);
	else if (!err && c->g.mode == GRPSEC_MODE_IDENTIFIED)
		err = grpsec_kdf_e2e_key(c->g.suite, c->g.key, c->g.group, c->g.epoch, c->member,
					 k_in, kl);
	else if (!err)
		memcpy(k_in, c->g.key, kl);
	if (!err)
		err = grpsec_member_new(&mc, &m);
	if (err)
		runtime_error("cannot set up member %" PRIu32 ": %s", c->member,
			      grpsec_strerror(err));
	for (uint32_t i = 0; i < c->count; i++) {
		sim_payload_fill(payload, c->payload_size, c->g.group, c->member,
				 c->counter_start + i);
		err = grpsec_member_seal_uplink(m, payload, c->payload_size, frames[i],
						sizeof(frames[i]), flen);
		if (err)
			runtime_error("cannot seal: %s", grpsec_strerror(err));
	}
	grpsec_member_free(m);
	return frames;
}

struct out {
	int fd;
	const struct config *c;
	uint64_t batches, entries;
};

static void send_batch(struct out *o, const uint8_t *buf, size_t len, unsigned int entries)
{
	if (sendto(o->fd, buf, len, 0, (const struct sockaddr *)&o->c->backend,
		   o->c->backend_len) < 0)
		runtime_error("cannot send a batch to the backend: %s", strerror(errno));
	o->batches++;
	o->entries += entries;
}

/* Build, seal and send one batch of the frames' inner parts. */
static size_t build(const struct config *c, uint8_t (*frames)[GRPSEC_UPLINK_MAX_LEN],
		    size_t flen, uint64_t seq, uint8_t *buf, size_t size)
{
	struct grpsec_batch_builder b;
	size_t len;
	int err = grpsec_batch_init(&b, buf, size, c->gateway, c->up_suite);

	for (uint32_t i = 0; !err && i < c->count; i++) {
		struct grpsec_uplink u;
		uint32_t member = c->g.mode == GRPSEC_MODE_IDENTIFIED ? c->member : 0;
		uint8_t inner[GRPSEC_INNER_MAX_LEN];

		err = grpsec_uplink_parse(frames[i], flen, &u);
		if (err)
			break;
		memcpy(inner, u.inner, u.inner_len);
		if (c->attack == TAMPER_INNER)
			inner[GRPSEC_INNER_CT_OFFSET] ^= 0x01;
		if (c->attack == REATTRIBUTE)
			member = c->to;
		if (c->attack == LEAK_MEMBER_ID)
			member = c->member;
		err = grpsec_batch_add(&b, c->g.mode, u.suite, u.group, u.epoch, member, inner,
				       u.inner_len);
	}
	if (!err)
		err = grpsec_batch_seal(&b, seq, c->k_up, &len);
	if (err)
		runtime_error("cannot build the batch (%" PRIu32 " entries of %zu bytes): %s",
			      c->count, flen, grpsec_strerror(err));
	if (c->attack == BAD_BATCH_TAG)
		buf[len - 1] ^= 0x01;
	return len;
}

int main(int argc, char **argv)
{
	static uint8_t buf[GRPSEC_BATCH_MAX_LEN];
	uint8_t (*frames)[GRPSEC_UPLINK_MAX_LEN];
	struct config c;
	struct out o = { 0 };
	size_t flen = 0, len;

	prog = "grpsec-forge";
	parse(argc, argv, &c);
	o.c = &c;
	o.fd = udp_socket(c.backend.ss_family, NULL, 0);
	frames = seal_frames(&c, c.attack == FORGE_INNER, &flen);
	len = build(&c, frames, flen, c.seq, buf, sizeof(buf));
	send_batch(&o, buf, len, c.count);
	if (c.attack == REPLAY_BATCH) {
		send_batch(&o, buf, len, c.count);
	} else if (c.attack == REPLAY_INNER) {
		len = build(&c, frames, flen, c.seq + 1, buf, sizeof(buf));
		send_batch(&o, buf, len, c.count);
	}
	printf("attack=%s batches_sent=%" PRIu64 " entries_sent=%" PRIu64
	       " first_batch_seq=%" PRIu64 " result=ok\n", attack_names[c.attack], o.batches,
	       o.entries, c.seq);
	free(frames);
	close(o.fd);
	return EXIT_OK;
}
