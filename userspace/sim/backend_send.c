// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-backend command|rekey: the backend (or manager) side of the
 * downlink.  It seals a command under K_G[e] and signs it, or wraps a new
 * epoch's keys for one member under K_wrap,m and signs them, puts the body
 * in a downlink frame under K_up and sends it to the gateway.  Faults for
 * the tests: a bad K_up tag, a replayed frame, a malformed header.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "backend_send.h"

static const char usage_text[] =
"usage: grpsec-backend command --to ADDR:PORT --gateway ID (--k-up SRC | --up-secret SRC)\n"
"                      [--up-suite SUITE] --group G [--member ID] [--count N]\n"
"                      [--mode MODE] [--suite SUITE] [--epoch E] --k-g SRC\n"
"                      --sign-key SRC [--cmd-seq N] [--payload TEXT | --payload-file F]\n"
"                      [--dl-seq N | --dl-seq-file FILE] [--fault F] [--from [ADDR:]PORT]\n"
"       grpsec-backend rekey --to ADDR:PORT --gateway ID (--k-up SRC | --up-secret SRC)\n"
"                      [--up-suite SUITE] --group G --member ID [--count N]\n"
"                      [--mode MODE] [--suite SUITE] --new-epoch E --s-auth SRC\n"
"                      (--k-g SRC | --s-e2e SRC) --wrap-secret SRC --sign-key SRC\n"
"                      [--rekey-seq N] [--dl-seq N | --dl-seq-file FILE] [--fault F]\n"
"\n"
"command: one command for group G (--member 0, the default: every member;\n"
"ID: member ID only, and with --count N members ID..ID+N-1, one frame each),\n"
"sealed under K_G[E] (--k-g) with command sequence --cmd-seq (default\n"
"CLOCK_REALTIME in ns) and signed with the manager's Ed25519 key (--sign-key,\n"
"its 32-byte seed, grpsec-keys sign).  The payload is --payload TEXT,\n"
"--payload-file, or by default the text \"command\".\n"
"rekey: for members ID..ID+N-1, the keys of epoch E' (K_m derived from\n"
"S_auth, K_G[E'] for anonymous groups, K_e,m[E'] from S_e2e for identified\n"
"ones) wrapped under K_wrap,m (derived from --wrap-secret), rekey sequence\n"
"--rekey-seq (default CLOCK_REALTIME in ns).\n"
"Each downlink frame carries its own downlink sequence, drawn as the frame\n"
"is sent (after its body is sealed), so that sequences rise in the order\n"
"frames leave: --dl-seq N (then N+1, ...), or by default max(the last + 1,\n"
"CLOCK_REALTIME in ns).  With --dl-seq-file, the count of sequences is\n"
"reserved in FILE before the first frame, from max(the last recorded + 1,\n"
"CLOCK_REALTIME in ns), and FILE.lock is held until the last frame left:\n"
"senders that share FILE share one counter and never interleave.\n"
"--from binds the sending socket (a gateway's upstream socket hears only\n"
"the backend's own address and port).\n"
"Faults, each counted by the gateway as a drop:\n"
"  bad-tag     one bit of the K_up tag flipped          dl-drop-bad-tag\n"
"  replay      every frame sent twice                   dl-drop-replay\n"
"  malformed   the reserved byte set                    dl-drop-malformed\n"
"and one the gateway forwards, which the member must refuse:\n"
"  readdress   command for member ID: the body signed for ID+1 (a body moved\n"
"              to another member)                       refused_bad_tag\n"
"Prints one line of key=value results.  Exit 0 ok, 1 usage, 2 runtime.\n";

enum {
	OPT_TO = 256, OPT_GATEWAY, OPT_K_UP, OPT_UP_SECRET, OPT_UP_SUITE, OPT_GROUP, OPT_MEMBER,
	OPT_COUNT, OPT_MODE, OPT_SUITE, OPT_EPOCH, OPT_NEW_EPOCH, OPT_K_G, OPT_S_AUTH, OPT_S_E2E,
	OPT_WRAP, OPT_SIGN, OPT_CMD_SEQ, OPT_REKEY_SEQ, OPT_PAYLOAD, OPT_PAYLOAD_FILE, OPT_DL_SEQ,
	OPT_DL_SEQ_FILE, OPT_FAULT, OPT_FROM,
};

static const struct option options[] = {
	{ "to", required_argument, NULL, OPT_TO },
	{ "gateway", required_argument, NULL, OPT_GATEWAY },
	{ "k-up", required_argument, NULL, OPT_K_UP },
	{ "up-secret", required_argument, NULL, OPT_UP_SECRET },
	{ "up-suite", required_argument, NULL, OPT_UP_SUITE },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "member", required_argument, NULL, OPT_MEMBER },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "suite", required_argument, NULL, OPT_SUITE },
	{ "epoch", required_argument, NULL, OPT_EPOCH },
	{ "new-epoch", required_argument, NULL, OPT_NEW_EPOCH },
	{ "k-g", required_argument, NULL, OPT_K_G },
	{ "s-auth", required_argument, NULL, OPT_S_AUTH },
	{ "s-e2e", required_argument, NULL, OPT_S_E2E },
	{ "wrap-secret", required_argument, NULL, OPT_WRAP },
	{ "sign-key", required_argument, NULL, OPT_SIGN },
	{ "cmd-seq", required_argument, NULL, OPT_CMD_SEQ },
	{ "rekey-seq", required_argument, NULL, OPT_REKEY_SEQ },
	{ "payload", required_argument, NULL, OPT_PAYLOAD },
	{ "payload-file", required_argument, NULL, OPT_PAYLOAD_FILE },
	{ "dl-seq", required_argument, NULL, OPT_DL_SEQ },
	{ "dl-seq-file", required_argument, NULL, OPT_DL_SEQ_FILE },
	{ "fault", required_argument, NULL, OPT_FAULT },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

enum fault { FAULT_NONE, FAULT_BAD_TAG, FAULT_REPLAY, FAULT_MALFORMED, FAULT_READDRESS };

struct config {
	bool rekey;
	struct sockaddr_storage to, from;
	socklen_t to_len, from_len;
	uint32_t gateway, group, member, count, epoch, new_epoch;
	unsigned int up_suite, mode, suite;
	uint8_t k_up[GRPSEC_KEY_MAX_LEN];
	const char *k_up_src, *up_secret_src, *k_g_src, *s_auth_src, *s_e2e_src, *wrap_src;
	const char *sign_src, *payload_file, *dl_seq_file;
	const char *payload;
	uint64_t cmd_seq, rekey_seq, dl_seq;
	bool have_epoch, have_new_epoch, have_member;
	enum fault fault;
};

static void parse(int argc, char **argv, struct config *c)
{
	bool have_to = false, have_gateway = false, have_group = false;
	int opt;

	memset(c, 0, sizeof(*c));
	c->rekey = !strcmp(argv[0], "rekey");
	c->up_suite = GRPSEC_SUITE_AES_128_GCM;
	c->suite = GRPSEC_SUITE_AES_128_GCM;
	c->mode = GRPSEC_MODE_ANONYMOUS;
	c->count = 1;
	optind = 1;
	while ((opt = opt_next(argc, argv, "h", options, usage_text)) != -1) {
		switch (opt) {
		case OPT_TO:
			c->to_len = opt_addr("--to", optarg, &c->to, false);
			have_to = true;
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
			/* 0 and unknown groups are the gateway's to refuse. */
			c->group = opt_u32("--group", optarg, 0, UINT32_MAX);
			have_group = true;
			break;
		case OPT_MEMBER:
			c->member = opt_u32("--member", optarg, 0, UINT32_MAX);
			c->have_member = true;
			break;
		case OPT_COUNT:
			c->count = opt_u32("--count", optarg, 1, 1000000);
			break;
		case OPT_MODE:
			c->mode = opt_mode("--mode", optarg);
			break;
		case OPT_SUITE:
			c->suite = opt_suite("--suite", optarg);
			break;
		case OPT_EPOCH:
			c->epoch = opt_u32("--epoch", optarg, 0, UINT32_MAX);
			c->have_epoch = true;
			break;
		case OPT_NEW_EPOCH:
			c->new_epoch = opt_u32("--new-epoch", optarg, 0, UINT32_MAX);
			c->have_new_epoch = true;
			break;
		case OPT_K_G:
			c->k_g_src = optarg;
			break;
		case OPT_S_AUTH:
			c->s_auth_src = optarg;
			break;
		case OPT_S_E2E:
			c->s_e2e_src = optarg;
			break;
		case OPT_WRAP:
			c->wrap_src = optarg;
			break;
		case OPT_SIGN:
			c->sign_src = optarg;
			break;
		case OPT_CMD_SEQ:
			c->cmd_seq = opt_u64("--cmd-seq", optarg, 1, UINT64_MAX);
			break;
		case OPT_REKEY_SEQ:
			c->rekey_seq = opt_u64("--rekey-seq", optarg, 1, UINT64_MAX);
			break;
		case OPT_PAYLOAD:
			c->payload = optarg;
			break;
		case OPT_PAYLOAD_FILE:
			c->payload_file = optarg;
			break;
		case OPT_DL_SEQ:
			c->dl_seq = opt_u64("--dl-seq", optarg, 1, UINT64_MAX - 1000000);
			break;
		case OPT_DL_SEQ_FILE:
			c->dl_seq_file = optarg;
			break;
		case OPT_FROM:
			c->from_len = opt_addr("--from", optarg, &c->from, true);
			break;
		case OPT_FAULT:
			if (!strcmp(optarg, "bad-tag"))
				c->fault = FAULT_BAD_TAG;
			else if (!strcmp(optarg, "replay"))
				c->fault = FAULT_REPLAY;
			else if (!strcmp(optarg, "malformed"))
				c->fault = FAULT_MALFORMED;
			else if (!strcmp(optarg, "readdress"))
				c->fault = FAULT_READDRESS;
			else
				usage_error("invalid --fault \"%s\" (bad-tag, replay, malformed or "
					    "readdress)", optarg);
			break;
		}
	}
	if (!have_to || !have_gateway || !have_group)
		usage_error("--to, --gateway and --group are required");
	if (!c->k_up_src == !c->up_secret_src)
		usage_error("give exactly one of --k-up and --up-secret");
	if (!c->sign_src)
		usage_error("--sign-key is required");
	if (c->payload && c->payload_file)
		usage_error("give at most one of --payload and --payload-file");
	if (c->dl_seq && c->dl_seq_file)
		usage_error("give at most one of --dl-seq and --dl-seq-file");
	if (c->count > 1 && !c->member)
		usage_error("--count needs --member (the first of the members)");
	opt_member_range("--member", c->member, "--count", c->count);
	if (c->fault == FAULT_READDRESS && (c->rekey || !c->member))
		usage_error("--fault readdress needs a command for one --member");
	if (c->rekey) {
		if (!c->have_member || !c->member)
			usage_error("rekey: --member is required (a rekey is for one member)");
		if (!c->have_new_epoch || !c->s_auth_src || !c->wrap_src)
			usage_error("rekey: --new-epoch, --s-auth and --wrap-secret are required");
		if (c->mode == GRPSEC_MODE_ANONYMOUS && !c->k_g_src)
			usage_error("rekey: --k-g (K_G of the new epoch) is required for anonymous groups");
		if (c->mode == GRPSEC_MODE_IDENTIFIED && !c->s_e2e_src)
			usage_error("rekey: --s-e2e is required for identified groups");
	} else if (!c->k_g_src) {
		usage_error("command: --k-g is required");
	}
	opt_k_up(c->k_up_src, c->up_secret_src, c->up_suite, c->gateway, c->k_up);
}

/*
 * Downlink sequences (frames.rst, "Downlink"): one counter per K_up whose
 * numbers rise in the order frames leave.  The gateway keeps 960 behind
 * the newest; a sequence drawn before a slow body (a signature, a key
 * derivation) and sent after another sender's would be a replay there.
 */
struct dl_counter {
	uint64_t last;		/* the last sequence drawn */
	bool clock;		/* each is max(last + 1, CLOCK_REALTIME in ns) */
	int lock_fd;		/* FILE.lock of --dl-seq-file, or -1 */
};

/* --dl-seq-file: lock, reserve @n sequences, record the last of them. */
static void dl_counter_reserve(const struct config *c, struct dl_counter *k, uint64_t n)
{
	unsigned long long last = 0;
	char path[4096], text[32];
	uint64_t first, now = realtime_ns();
	FILE *f;
	int len, err;

	if ((size_t)snprintf(path, sizeof(path), "%s.lock", c->dl_seq_file) >= sizeof(path))
		runtime_error("--dl-seq-file \"%s\": name too long", c->dl_seq_file);
	k->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (k->lock_fd < 0 || flock(k->lock_fd, LOCK_EX))
		runtime_error("cannot lock \"%s\": %s", path, strerror(errno));
	f = fopen(c->dl_seq_file, "r");
	if (f) {
		if (fscanf(f, "%llu", &last) != 1)
			runtime_error("--dl-seq-file \"%s\" holds no number", c->dl_seq_file);
		fclose(f);
	} else if (errno != ENOENT) {
		runtime_error("cannot open --dl-seq-file \"%s\": %s", c->dl_seq_file,
			      strerror(errno));
	}
	first = last + 1 > now ? last + 1 : now;
	len = snprintf(text, sizeof(text), "%" PRIu64 "\n", first + n - 1);
	err = write_file_atomic(c->dl_seq_file, text, (size_t)len);
	if (err)
		runtime_error("cannot write --dl-seq-file \"%s\": %s", c->dl_seq_file,
			      strerror(-err));
	k->last = first - 1;
}

static void dl_counter_init(const struct config *c, struct dl_counter *k, uint64_t n)
{
	k->lock_fd = -1;
	k->clock = !c->dl_seq && !c->dl_seq_file;
	k->last = c->dl_seq ? c->dl_seq - 1 : 0;
	if (c->dl_seq_file)
		dl_counter_reserve(c, k, n);
}

/* The sequence of the frame about to be sent. */
static uint64_t dl_counter_next(struct dl_counter *k)
{
	uint64_t now = k->clock ? realtime_ns() : 0;

	k->last = k->last + 1 > now ? k->last + 1 : now;
	return k->last;
}

static size_t read_payload(const struct config *c, uint8_t *buf, size_t size)
{
	size_t n;

	if (c->payload_file) {
		FILE *f = fopen(c->payload_file, "rb");

		if (!f)
			usage_error("cannot open --payload-file \"%s\": %s", c->payload_file,
				    strerror(errno));
		n = fread(buf, 1, size, f);
		if (!feof(f))
			usage_error("--payload-file \"%s\" is longer than %zu bytes", c->payload_file,
				    size - 1);
		fclose(f);
		return n;
	}
	n = strlen(c->payload ? c->payload : "command");
	if (n >= size)
		usage_error("--payload is longer than %zu bytes", size - 1);
	memcpy(buf, c->payload ? c->payload : "command", n);
	return n;
}

/* The body for member @member, or for the group (a command for member 0). */
static size_t build_body(const struct config *c, const struct grpsec_signer *signer,
			 uint32_t member, uint64_t seq, const uint8_t *payload, size_t plen,
			 uint8_t *body)
{
	size_t kl = grpsec_suite_key_len(c->suite), len;
	uint8_t k_g[GRPSEC_KEY_MAX_LEN];
	int err;

	if (c->k_g_src)
		opt_bytes("--k-g", c->k_g_src, k_g, kl);
	if (!c->rekey) {
		struct grpsec_command_params p = {
			.suite = c->suite, .mode = c->mode, .group = c->group,
			.recipient = member && c->fault == FAULT_READDRESS ? member + 1 : member,
			.epoch = c->epoch, .seq = seq, .group_key = k_g,
		};

		err = grpsec_command_seal(&p, signer, payload, plen, body, GRPSEC_BODY_MAX_LEN,
					  &len);
	} else {
		uint8_t secret[GRPSEC_SECRET_LEN], wrap[GRPSEC_WRAP_KEY_LEN];
		uint8_t k_m[GRPSEC_KEY_MAX_LEN], k_e[GRPSEC_KEY_MAX_LEN];
		struct grpsec_rekey_keys keys = {
			.epoch = c->new_epoch, .suite = c->suite, .mode = c->mode,
			.member_key = k_m, .group_key = c->k_g_src ? k_g : NULL,
			.group_flags = c->k_g_src ? GRPSEC_GROUP_COMMANDS : 0,
		};

		opt_bytes("--s-auth", c->s_auth_src, secret, sizeof(secret));
		err = grpsec_kdf_member_key(c->suite, secret, c->group, c->new_epoch, member, k_m,
					    kl);
		if (!err && c->mode == GRPSEC_MODE_IDENTIFIED) {
			opt_bytes("--s-e2e", c->s_e2e_src, secret, sizeof(secret));
			err = grpsec_kdf_e2e_key(c->suite, secret, c->group, c->new_epoch, member,
						 k_e, kl);
			keys.e2e_key = k_e;
		}
		if (!err) {
			opt_bytes("--wrap-secret", c->wrap_src, secret, sizeof(secret));
			err = grpsec_kdf_wrap_key(secret, member, wrap);
		}
		if (!err)
			err = grpsec_rekey_seal(signer, wrap, c->group, member, seq, &keys, NULL,
						body, GRPSEC_BODY_MAX_LEN, &len);
		memset(secret, 0, sizeof(secret));
		memset(wrap, 0, sizeof(wrap));
		memset(k_m, 0, sizeof(k_m));
		memset(k_e, 0, sizeof(k_e));
	}
	memset(k_g, 0, sizeof(k_g));
	if (err)
		runtime_error("cannot seal the %s body: %s", c->rekey ? "rekey" : "command",
			      grpsec_strerror(err));
	return len;
}

int backend_send_main(int argc, char **argv)
{
	static uint8_t payload[GRPSEC_COMMAND_MAX_PAYLOAD + 1];
	uint8_t body[GRPSEC_BODY_MAX_LEN], frame[GRPSEC_DOWNLINK_MAX_LEN];
	struct grpsec_signer *signer;
	uint8_t priv[GRPSEC_SIGN_KEY_LEN];
	uint64_t seq, dl_seq, first_dl_seq = 0, sent = 0, bytes = 0;
	struct dl_counter dl;
	struct config c;
	size_t plen = 0, blen = 0;
	int fd, err;

	parse(argc, argv, &c);
	opt_bytes("--sign-key", c.sign_src, priv, sizeof(priv));
	err = grpsec_signer_new(priv, &signer);
	memset(priv, 0, sizeof(priv));
	if (err)
		runtime_error("cannot load the signing key: %s", grpsec_strerror(err));
	if (!c.rekey)
		plen = read_payload(&c, payload, sizeof(payload));
	seq = c.rekey ? c.rekey_seq : c.cmd_seq;
	if (!seq)
		seq = realtime_ns();
	dl_counter_init(&c, &dl, c.count);
	fd = udp_socket(c.to.ss_family, c.from_len ? &c.from : NULL, c.from_len);

	for (uint32_t i = 0; i < c.count; i++) {
		uint32_t member = c.member ? c.member + i : 0;
		size_t flen;

		/*
		 * A command for the group is one body; a command for one member
		 * is sealed and signed for that member alone (same sequence).
		 */
		if (c.rekey || member || i == 0)
			blen = build_body(&c, signer, member, seq, payload, plen, body);
		dl_seq = dl_counter_next(&dl);
		if (!i)
			first_dl_seq = dl_seq;
		err = grpsec_downlink_build(c.up_suite, c.k_up, c.gateway, dl_seq,
					    c.group ? c.group : 1, member,
					    c.rekey ? GRPSEC_DOWNLINK_KIND_REKEY :
						      GRPSEC_DOWNLINK_KIND_COMMAND,
					    body, blen, frame, sizeof(frame), &flen);
		if (err)
			runtime_error("cannot build the downlink frame: %s", grpsec_strerror(err));
		if (!c.group)
			memset(frame + 16, 0, 4);	/* group 0: malformed */
		if (c.fault == FAULT_BAD_TAG)
			frame[flen - 1] ^= 0x01;
		if (c.fault == FAULT_MALFORMED)
			frame[25] = 1;
		for (int copy = 0; copy < (c.fault == FAULT_REPLAY ? 2 : 1); copy++) {
			if (sendto(fd, frame, flen, 0, (struct sockaddr *)&c.to, c.to_len) < 0)
				runtime_error("cannot send to the gateway: %s", strerror(errno));
			sent++;
			bytes += flen;
		}
	}
	printf("kind=%s group=%" PRIu32 " member=%" PRIu32 " count=%" PRIu32 " seq=%" PRIu64
	       " dl_seq=%" PRIu64 " frames=%" PRIu64 " bytes=%" PRIu64 " result=ok\n",
	       c.rekey ? "rekey" : "command", c.group, c.member, c.count, seq, first_dl_seq, sent,
	       bytes);
	grpsec_signer_free(signer);
	memset(c.k_up, 0, sizeof(c.k_up));
	close(fd);
	if (dl.lock_fd >= 0)
		close(dl.lock_fd);
	return EXIT_OK;
}
