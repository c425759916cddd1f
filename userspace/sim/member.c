// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-member: simulate N members of one group sending M uplink frames
 * each to a gateway over UDP (sendmmsg), with optional faults for tests;
 * then, if asked, receive the command and rekey frames the gateway sends
 * them back on the same socket (and, with --mcast, the multicast commands
 * of the group) and open them as each member would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "internal.h"
#include "member_enroll.h"

static const char usage_text[] =
"usage: grpsec-member enroll ... | send ...   (one enrolled device; see enroll -h)\n"
"       grpsec-member enroll-fleet ... | send-fleet ...   (many PSK devices)\n"
"       grpsec-member --gateway ADDR:PORT --group G --first ID --count N\n"
"                     --messages M --s-auth SRC (--s-e2e SRC | --k-g SRC)\n"
"                     [--mode anonymous|identified] [--suite SUITE] [--epoch E]\n"
"                     [--payload-size B] [--rate FPS] [--burst [--reverse]] [--batch K]\n"
"                     [--seq-file FILE] [--counter-start C] [--msg-limit L]\n"
"                     [--timeout SEC] [--payload TEXT]\n"
"                     [--tamper-tag] [--replay] [--bad-version] [--truncate]\n"
"                     [--unknown-member] [--stale-epoch]\n"
"                     [--listen SEC [--expect-commands N] [--expect-rekeys N]\n"
"                      [--sign-pub SRC] [--wrap-secret SRC] [--linger MS] [--quiet]\n"
"                      [--dump-frames FILE] [--messages-after M2]\n"
"                      [--mcast ADDR:PORT]]\n"
"                     [--open-file FILE]\n"
"\n"
"Members FIRST..FIRST+N-1 of group G each send M frames to the gateway.\n"
"Keys: K_m[e] is derived from S_auth; the inner key is K_e,m[e] derived\n"
"from S_e2e (identified) or K_G (anonymous; identified members use --k-g\n"
"to open commands).  SRC is a file (raw bytes or\n"
"hex) or hex:DIGITS.  Each payload carries (group, member, counter C..C+M-1,\n"
"C = --counter-start, default 1): \"gsim\", be32 group, be32 member, be64\n"
"counter, then filler bytes (grpsec-backend --help says what it checks).\n"
"\n"
"  --mode         default identified        --suite   default aes-128-gcm\n"
"  --epoch        default 0                 --payload-size  20..1280, default 32\n"
"  --rate         frames per second in total (default: as fast as possible)\n"
"  --burst        seal every frame first, then send them all at once\n"
"  --reverse      with --burst: send them newest first (a window keeps the\n"
"                 newest and 960 below it: the older ones are replays)\n"
"  --batch        datagrams per sendmmsg call (1..1024, default 64)\n"
"  --seq-file     persist sequence reservations (\"MEMBER RESERVED\" lines)\n"
"  --msg-limit    per-member epoch message limit (default: none)\n"
"  --timeout      give up after SEC seconds (default 120)\n"
"  --payload      send this text instead of the simulator payload\n"
"Faults (the gateway must drop every frame):\n"
"  --tamper-tag   flip a bit of the outer tag\n"
"  --bad-version  version byte 1 (the format before this one)\n"
"  --truncate     send only the first 40 bytes\n"
"  --unknown-member  use member ids ID^0x80000000 (keys derived for them)\n"
"  --stale-epoch  seal under epoch E-1\n"
"  --replay       send every frame twice (the gateway drops the copies)\n"
"\n"
"Commands and rekeys (after sending, on the same socket, which is the\n"
"members' address as far as the gateway knows):\n"
"  --listen SEC   receive command (type 4) and rekey (type 5) frames for up\n"
"                 to SEC seconds, open each as its member would (frame tag\n"
"                 under K_m[e], replay windows, signature, K_G[e]) and print\n"
"                 \"command group G member M seq S origin backend|gateway\n"
"                 epoch E payload P\" or \"rekey group G member M epoch E\"\n"
"  --expect-commands N, --expect-rekeys N  stop once that many were accepted\n"
"                 (plus --linger ms, default 300, for late duplicates); exit 2\n"
"                 unless exactly that many were\n"
"  --sign-pub     the manager's Ed25519 public key (signed commands, rekeys)\n"
"  --wrap-secret  K_wrap,m = HKDF of this secret and the member id (rekeys)\n"
"  --quiet        no line per command or rekey\n"
"  --dump-frames  append each received datagram to FILE, one hex line each\n"
"  --messages-after M2  then M2 more frames per member (after a rekey: under\n"
"                 the new epoch)\n"
"  --mcast ADDR:PORT  also receive on a second socket bound to PORT\n"
"                 (SO_REUSEADDR, so that several processes can) that joins the\n"
"                 IP multicast group ADDR (interface chosen by the route to\n"
"                 it): a multicast command frame (flag bit 1, member 0, no\n"
"                 tag; on either socket) is opened as every member, each with\n"
"                 its own command sequence (only a body signed for the whole\n"
"                 group opens: flag bit 2), and each that accepts it prints\n"
"                 its line with \"via multicast\" before \"payload\" and counts\n"
"                 as one command for --expect-commands (as N unicast frames\n"
"                 would); each that refuses it counts one refusal by reason\n"
"  --open-file    open the frames of FILE (hex lines, as --dump-frames writes\n"
"                 them) instead of receiving; with --messages 0 nothing is sent\n"
"member_commands counts the commands signed for one member alone (the\n"
"others were for the whole group).\n"
"Refused frames are counted by reason (a multicast one once per member):\n"
"refused_bad_tag (frame tag, signature or K_G tag), refused_stale (replays,\n"
"old epochs or sequences), refused_nokey, refused_proto (not for these\n"
"members), refused_other.\n"
"\n"
"Prints one line of key=value results.  Exit 0 when every frame was sent\n"
"(and what --expect-* asked for arrived), 1 on bad usage, 2 on a runtime\n"
"failure.\n";

enum {
	OPT_GATEWAY = 256, OPT_GROUP, OPT_FIRST, OPT_COUNT, OPT_MESSAGES, OPT_S_AUTH,
	OPT_S_E2E, OPT_K_G, OPT_MODE, OPT_SUITE, OPT_EPOCH, OPT_PAYLOAD, OPT_RATE,
	OPT_BURST, OPT_BATCH, OPT_SEQ_FILE, OPT_COUNTER, OPT_MSG_LIMIT, OPT_TIMEOUT, OPT_TAMPER,
	OPT_REPLAY, OPT_BAD_VERSION, OPT_TRUNCATE, OPT_UNKNOWN, OPT_STALE, OPT_PAYLOAD_TEXT,
	OPT_LISTEN, OPT_EXPECT_COMMANDS, OPT_EXPECT_REKEYS, OPT_SIGN_PUB, OPT_WRAP, OPT_LINGER,
	OPT_QUIET, OPT_DUMP_FRAMES, OPT_MESSAGES_AFTER, OPT_MCAST, OPT_OPEN_FILE, OPT_REVERSE,
};

static const struct option options[] = {
	{ "gateway", required_argument, NULL, OPT_GATEWAY },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "first", required_argument, NULL, OPT_FIRST },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "messages", required_argument, NULL, OPT_MESSAGES },
	{ "s-auth", required_argument, NULL, OPT_S_AUTH },
	{ "s-e2e", required_argument, NULL, OPT_S_E2E },
	{ "k-g", required_argument, NULL, OPT_K_G },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "suite", required_argument, NULL, OPT_SUITE },
	{ "epoch", required_argument, NULL, OPT_EPOCH },
	{ "payload-size", required_argument, NULL, OPT_PAYLOAD },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "burst", no_argument, NULL, OPT_BURST },
	{ "reverse", no_argument, NULL, OPT_REVERSE },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "seq-file", required_argument, NULL, OPT_SEQ_FILE },
	{ "counter-start", required_argument, NULL, OPT_COUNTER },
	{ "msg-limit", required_argument, NULL, OPT_MSG_LIMIT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "tamper-tag", no_argument, NULL, OPT_TAMPER },
	{ "replay", no_argument, NULL, OPT_REPLAY },
	{ "bad-version", no_argument, NULL, OPT_BAD_VERSION },
	{ "truncate", no_argument, NULL, OPT_TRUNCATE },
	{ "unknown-member", no_argument, NULL, OPT_UNKNOWN },
	{ "stale-epoch", no_argument, NULL, OPT_STALE },
	{ "payload", required_argument, NULL, OPT_PAYLOAD_TEXT },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "expect-commands", required_argument, NULL, OPT_EXPECT_COMMANDS },
	{ "expect-rekeys", required_argument, NULL, OPT_EXPECT_REKEYS },
	{ "sign-pub", required_argument, NULL, OPT_SIGN_PUB },
	{ "wrap-secret", required_argument, NULL, OPT_WRAP },
	{ "linger", required_argument, NULL, OPT_LINGER },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "dump-frames", required_argument, NULL, OPT_DUMP_FRAMES },
	{ "messages-after", required_argument, NULL, OPT_MESSAGES_AFTER },
	{ "mcast", required_argument, NULL, OPT_MCAST },
	{ "open-file", required_argument, NULL, OPT_OPEN_FILE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct config {
	struct sockaddr_storage gw;
	socklen_t gw_len;
	uint32_t group, first, count, epoch;
	uint64_t messages, msg_limit, counter_start;
	unsigned int mode, suite;
	uint8_t s_auth[GRPSEC_SECRET_LEN], s_e2e[GRPSEC_SECRET_LEN];
	uint8_t k_g[GRPSEC_KEY_MAX_LEN];
	bool have_s_auth, have_s_e2e;
	const char *k_g_src;
	size_t payload_size;
	double rate;
	bool burst, reverse, tamper, replay, bad_version, truncate, unknown, stale;
	unsigned int batch;
	const char *seq_file;
	double timeout;
	const char *payload_text;
	/* Receiving commands and rekeys. */
	double listen, linger_ms;
	uint64_t expect_commands, expect_rekeys, messages_after;
	bool have_expect_commands, have_expect_rekeys, have_sign_pub, have_wrap, quiet;
	uint8_t sign_pub[GRPSEC_SIGN_KEY_LEN], wrap_secret[GRPSEC_SECRET_LEN];
	const char *dump_frames, *open_file;
	struct sockaddr_storage mcast;	/* ss_family 0: no --mcast */
};

/* Sequence persistence shared by all simulated members: one file. */
struct seq_store {
	const char *path;
	uint32_t first, count;
	uint64_t *reserved;		/* per member index */
};

static struct seq_store store;

#define SEQ_BLOCK	1024	/* sequence numbers reserved at a time */

static int store_save(void)
{
	size_t size = (size_t)store.count * 32 + 1, len = 0;
	char *text = malloc(size);
	int err;

	if (!text)
		return -ENOMEM;
	for (uint32_t i = 0; i < store.count; i++) {
		if (store.reserved[i])
			len += (size_t)snprintf(text + len, size - len, "%" PRIu32 " %" PRIu64 "\n",
						store.first + i, store.reserved[i]);
	}
	err = write_file_atomic(store.path, text, len);
	free(text);
	return err;
}

static void store_load(const char *path, uint32_t first, uint32_t count)
{
	FILE *f;
	char line[128];
	unsigned int lineno = 0;

	store.path = path;
	store.first = first;
	store.count = count;
	store.reserved = calloc(count, sizeof(*store.reserved));
	if (!store.reserved)
		runtime_error("out of memory");
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return;
		runtime_error("cannot open --seq-file \"%s\": %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long m, r;
		char extra;

		lineno++;
		if (sscanf(line, "%llu %llu %c", &m, &r, &extra) != 2 || m > UINT32_MAX)
			runtime_error("%s:%u: expected \"MEMBER RESERVED\", got \"%.40s\"", path,
				      lineno, line);
		if (m >= first && m - first < count)
			store.reserved[m - first] = r;
	}
	fclose(f);
}

static int reserve_cb(void *arg, uint64_t reserved)
{
	uint32_t idx = (uint32_t)(uintptr_t)arg;

	/* The first block of every member is stored at start, in one write. */
	if (reserved <= store.reserved[idx])
		return 0;
	store.reserved[idx] = reserved;
	return store_save();
}

/*
 * Reserve every member's first block at once: one file write instead of
 * one per member, which for 10,000 members would rewrite the file 10,000
 * times.  Returns what each member had stored, its seq_reserved.
 */
static uint64_t *store_reserve_all(void)
{
	uint64_t *prev = malloc(store.count * sizeof(*prev));
	int err;

	if (!prev)
		runtime_error("out of memory");
	for (uint32_t i = 0; i < store.count; i++) {
		prev[i] = store.reserved[i];
		store.reserved[i] += SEQ_BLOCK;
	}
	err = store_save();
	if (err)
		runtime_error("cannot write --seq-file \"%s\": %s", store.path, strerror(-err));
	return prev;
}

static bool is_multicast(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return IN_MULTICAST(ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr));
	return IN6_IS_ADDR_MULTICAST(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static void parse(int argc, char **argv, struct config *c)
{
	bool have_gw = false, have_group = false, have_first = false, have_count = false,
	     have_messages = false;
	int opt;

	memset(c, 0, sizeof(*c));
	c->mode = GRPSEC_MODE_IDENTIFIED;
	c->suite = GRPSEC_SUITE_AES_128_GCM;
	c->payload_size = 32;
	c->counter_start = 1;
	c->batch = 64;
	c->timeout = 120;
	c->linger_ms = 300;
	while ((opt = opt_next(argc, argv, "h", options, usage_text)) != -1) {
		switch (opt) {
		case OPT_GATEWAY:
			c->gw_len = opt_addr("--gateway", optarg, &c->gw, false);
			have_gw = true;
			break;
		case OPT_GROUP:
			c->group = opt_u32("--group", optarg, 1, UINT32_MAX);
			have_group = true;
			break;
		case OPT_FIRST:
			c->first = opt_u32("--first", optarg, 1, UINT32_MAX);
			have_first = true;
			break;
		case OPT_COUNT:
			c->count = opt_u32("--count", optarg, 1, 1000000);
			have_count = true;
			break;
		case OPT_MESSAGES:
			c->messages = opt_u64("--messages", optarg, 0, UINT32_MAX);
			have_messages = true;
			break;
		case OPT_S_AUTH:
			opt_bytes("--s-auth", optarg, c->s_auth, GRPSEC_SECRET_LEN);
			c->have_s_auth = true;
			break;
		case OPT_S_E2E:
			opt_bytes("--s-e2e", optarg, c->s_e2e, GRPSEC_SECRET_LEN);
			c->have_s_e2e = true;
			break;
		case OPT_K_G:
			/* Its length depends on --suite: read after all options. */
			c->k_g_src = optarg;
			break;
		case OPT_MODE:
			c->mode = opt_mode("--mode", optarg);
			break;
		case OPT_SUITE:
			c->suite = opt_suite("--suite", optarg);
			break;
		case OPT_EPOCH:
			c->epoch = opt_u32("--epoch", optarg, 0, UINT32_MAX);
			break;
		case OPT_PAYLOAD:
			c->payload_size = opt_u32("--payload-size", optarg, SIM_PAYLOAD_MIN,
						  GRPSEC_MAX_PAYLOAD);
			break;
		case OPT_RATE:
			c->rate = opt_double("--rate", optarg, 1, 1e9);
			break;
		case OPT_BURST:
			c->burst = true;
			break;
		case OPT_REVERSE:
			c->reverse = true;
			break;
		case OPT_BATCH:
			c->batch = opt_u32("--batch", optarg, 1, 1024);
			break;
		case OPT_SEQ_FILE:
			c->seq_file = optarg;
			break;
		case OPT_COUNTER:
			c->counter_start = opt_u64("--counter-start", optarg, 1, UINT64_MAX / 2);
			break;
		case OPT_MSG_LIMIT:
			c->msg_limit = opt_u64("--msg-limit", optarg, 1, UINT64_MAX);
			break;
		case OPT_TIMEOUT:
			c->timeout = opt_double("--timeout", optarg, 0.001, 86400);
			break;
		case OPT_TAMPER:
			c->tamper = true;
			break;
		case OPT_REPLAY:
			c->replay = true;
			break;
		case OPT_BAD_VERSION:
			c->bad_version = true;
			break;
		case OPT_TRUNCATE:
			c->truncate = true;
			break;
		case OPT_UNKNOWN:
			c->unknown = true;
			break;
		case OPT_STALE:
			c->stale = true;
			break;
		case OPT_PAYLOAD_TEXT:
			if (strlen(optarg) > GRPSEC_MAX_PAYLOAD)
				usage_error("--payload is longer than %d bytes", GRPSEC_MAX_PAYLOAD);
			c->payload_text = optarg;
			break;
		case OPT_LISTEN:
			c->listen = opt_double("--listen", optarg, 0.001, 86400);
			break;
		case OPT_EXPECT_COMMANDS:
			c->expect_commands = opt_u64("--expect-commands", optarg, 0, UINT64_MAX);
			c->have_expect_commands = true;
			break;
		case OPT_EXPECT_REKEYS:
			c->expect_rekeys = opt_u64("--expect-rekeys", optarg, 0, UINT64_MAX);
			c->have_expect_rekeys = true;
			break;
		case OPT_SIGN_PUB:
			opt_bytes("--sign-pub", optarg, c->sign_pub, sizeof(c->sign_pub));
			c->have_sign_pub = true;
			break;
		case OPT_WRAP:
			opt_bytes("--wrap-secret", optarg, c->wrap_secret, sizeof(c->wrap_secret));
			c->have_wrap = true;
			break;
		case OPT_LINGER:
			c->linger_ms = opt_double("--linger", optarg, 0, 60000);
			break;
		case OPT_QUIET:
			c->quiet = true;
			break;
		case OPT_DUMP_FRAMES:
			c->dump_frames = optarg;
			break;
		case OPT_MESSAGES_AFTER:
			c->messages_after = opt_u64("--messages-after", optarg, 1, UINT32_MAX);
			break;
		case OPT_MCAST:
			opt_addr("--mcast", optarg, &c->mcast, false);
			if (!is_multicast(&c->mcast))
				usage_error("--mcast \"%s\" is not a multicast address", optarg);
			break;
		case OPT_OPEN_FILE:
			c->open_file = optarg;
			break;
		}
	}
	if (!have_gw || !have_group || !have_first || !have_count || !have_messages)
		usage_error("--gateway, --group, --first, --count and --messages are required");
	if (!c->have_s_auth)
		usage_error("--s-auth is required");
	opt_member_range("--first", c->first, "--count", c->count);
	opt_inner_key(c->mode, c->have_s_e2e, c->k_g_src);
	if (c->stale && c->epoch == 0)
		usage_error("--stale-epoch needs --epoch 1 or higher");
	if (c->reverse && !c->burst)
		usage_error("--reverse needs --burst");
	if ((c->have_expect_commands || c->have_expect_rekeys || c->messages_after ||
	     c->dump_frames) && !c->listen && !c->open_file)
		usage_error("--expect-commands, --expect-rekeys, --messages-after and --dump-frames need --listen or --open-file");
	if (c->mcast.ss_family && !c->listen)
		usage_error("--mcast needs --listen");
	if (c->listen && c->open_file)
		usage_error("give at most one of --listen and --open-file");
	if (!c->messages && !c->open_file)
		usage_error("--messages 0 needs --open-file");
	if (c->k_g_src)
		opt_bytes("--k-g", c->k_g_src, c->k_g, grpsec_suite_key_len(c->suite));
}

struct sim_member {
	struct grpsec_member *m;
	uint32_t id;			/* as sent (after --unknown-member) */
	uint64_t counter;		/* last payload counter used */
	uint32_t commands;		/* commands accepted */
};

static void members_create(const struct config *c, struct sim_member *sm)
{
	uint32_t epoch = c->stale ? c->epoch - 1 : c->epoch;
	uint64_t *prev = NULL;

	if (c->seq_file) {
		store_load(c->seq_file, c->first, c->count);
		prev = store_reserve_all();
	}
	for (uint32_t i = 0; i < c->count; i++) {
		struct grpsec_member_config mc = {
			.group = c->group, .epoch = epoch, .mode = c->mode, .suite = c->suite,
			.msg_limit = c->msg_limit ? c->msg_limit : UINT64_MAX,
			/* Identified members open commands with K_G too. */
			.group_flags = c->k_g_src ? GRPSEC_GROUP_COMMANDS : 0,
			.group_key = c->k_g_src ? c->k_g : NULL,
		};
		uint32_t id = c->first + i;

		if (c->unknown)
			id ^= 0x80000000U;
		mc.member = id;
		if (c->seq_file) {
			mc.reserve = reserve_cb;
			mc.reserve_arg = (void *)(uintptr_t)i;
			mc.seq_reserved = prev[i];
			mc.reserve_block = SEQ_BLOCK;
		}
		sm[i].m = sim_member_new(&mc, c->s_auth, c->s_e2e, c->k_g);
		sm[i].id = id;
		sm[i].counter = c->counter_start - 1;
	}
	free(prev);
}

/* Seal the next frame of @s into @buf; returns the length to send. */
static size_t next_frame(const struct config *c, struct sim_member *s, uint8_t *buf)
{
	uint8_t payload[GRPSEC_MAX_PAYLOAD];
	size_t len;
	int err;

	s->counter++;
	if (c->payload_text) {
		len = strlen(c->payload_text);
		memcpy(payload, c->payload_text, len);
	} else {
		len = c->payload_size;
		sim_payload_fill(payload, len, c->group, s->id, s->counter);
	}
	err = grpsec_member_seal_uplink(s->m, payload, len, buf, GRPSEC_UPLINK_MAX_LEN, &len);
	if (err)
		runtime_error("member %" PRIu32 ": frame %" PRIu64 ": %s", s->id, s->counter,
			      grpsec_strerror(err));
	if (c->tamper)
		buf[len - 1] ^= 0x01;
	if (c->bad_version)
		buf[0] = 1;
	if (c->truncate)
		len = 40;
	return len;
}

struct sender {
	int fd;
	struct udp_tx tx;		/* to the gateway */
};

static void sender_flush(struct sender *sd)
{
	int err = udp_tx_flush(&sd->tx, sd->fd, false);

	if (err)
		runtime_error("sendmmsg to the gateway failed: %s", strerror(-err));
}


/* Receiving: what the members did with the frames the gateway sent them. */
enum refusal { R_BAD_TAG, R_STALE, R_NOKEY, R_PROTO, R_OTHER, R_MAX };
static const char *const refusal_names[R_MAX] = {
	"refused_bad_tag", "refused_stale", "refused_nokey", "refused_proto", "refused_other",
};

struct receiver {
	const struct config *c;
	struct sim_member *sm;
	struct grpsec_verifier *v;
	FILE *dump;
	uint64_t received, commands, gateway_commands, rekeys, refused[R_MAX];
	uint64_t members_commanded;	/* members with at least one command */
	uint64_t member_commands;	/* commands addressed to one member, not the group */
	uint64_t multicast_frames, multicast_commands;
};

static enum refusal refusal_of(int err)
{
	switch (err) {
	case -EBADMSG:
		return R_BAD_TAG;
	case -ESTALE:
		return R_STALE;
	case -ENOKEY:
		return R_NOKEY;
	case -EPROTO:
	case -EMSGSIZE:
	case -EPROTONOSUPPORT:
		return R_PROTO;
	default:
		return R_OTHER;
	}
}

/* A command frame, opened as member @s would. */
static void open_command(struct receiver *r, struct sim_member *s, const uint8_t *buf,
			 size_t len, bool mcast)
{
	static uint8_t out[GRPSEC_COMMAND_MAX_PAYLOAD + 64];
	struct grpsec_command_info info;
	size_t out_len;
	int err;

	err = grpsec_member_open_command(s->m, r->v, buf, len, out, sizeof(out), &out_len,
					 &info);
	if (err) {
		r->refused[refusal_of(err)]++;
		return;
	}
	r->commands++;
	if (info.from_gateway)
		r->gateway_commands++;
	if (mcast)
		r->multicast_commands++;
	if (info.recipient)
		r->member_commands++;
	if (!s->commands++)
		r->members_commanded++;
	if (!r->c->quiet) {
		printf("command group %" PRIu32 " member %" PRIu32 " seq %" PRIu64
		       " origin %s epoch %" PRIu32 "%s payload ", r->c->group, s->id, info.seq,
		       info.from_gateway ? "gateway" : "backend", info.epoch,
		       mcast ? " via multicast" : "");
		print_payload(stdout, out, out_len);
		putchar('\n');
	}
	memset(out, 0, out_len);
}

/*
 * One datagram from the gateway: a command or rekey for one of ours, or a
 * multicast command for all of them.
 */
static void handle_frame(struct receiver *r, const uint8_t *buf, size_t len)
{
	const struct config *c = r->c;
	struct sim_member *s;
	uint32_t id, idx, epoch;
	int err;

	r->received++;
	if (r->dump) {
		hex_print(r->dump, buf, len);
		fputc('\n', r->dump);
	}
	if (len < GRPSEC_MFRAME_HDR_LEN || get_be32(buf + 4) != c->group) {
		r->refused[R_PROTO]++;
		return;
	}
	if (buf[3] & GRPSEC_MFRAME_FLAG_MULTICAST) {
		/* Every member receives it; each checks it on its own. */
		r->multicast_frames++;
		for (uint32_t i = 0; i < c->count; i++)
			open_command(r, &r->sm[i], buf, len, true);
		return;
	}
	id = get_be32(buf + 8);
	idx = (c->unknown ? id ^ 0x80000000U : id) - c->first;
	if (idx >= c->count) {
		r->refused[R_PROTO]++;
		return;
	}
	s = &r->sm[idx];
	if (buf[1] == GRPSEC_TYPE_REKEY) {
		uint8_t wrap[GRPSEC_WRAP_KEY_LEN];

		err = c->have_wrap ? grpsec_kdf_wrap_key(c->wrap_secret, id, wrap) : -ENOKEY;
		if (!err)
			err = grpsec_member_apply_rekey(s->m, r->v, wrap, buf, len, &epoch);
		memset(wrap, 0, sizeof(wrap));
		if (err) {
			r->refused[refusal_of(err)]++;
			return;
		}
		r->rekeys++;
		if (!c->quiet)
			printf("rekey group %" PRIu32 " member %" PRIu32 " epoch %" PRIu32 "\n",
			       c->group, id, epoch);
		return;
	}
	open_command(r, s, buf, len, false);
}

static bool expectations_met(const struct receiver *r)
{
	const struct config *c = r->c;

	if (!c->have_expect_commands && !c->have_expect_rekeys)
		return false;
	return (!c->have_expect_commands || r->commands >= c->expect_commands) &&
	       (!c->have_expect_rekeys || r->rekeys >= c->expect_rekeys);
}

#define RX_VLEN 256

/* Whatever @fd holds now. */
static void receive_batch(struct receiver *r, int fd)
{
	static uint8_t bufs[RX_VLEN][GRPSEC_MFRAME_MAX_LEN + 1];
	struct mmsghdr msgs[RX_VLEN];
	struct iovec iov[RX_VLEN];
	int n;

	rx_vec_init(msgs, iov, RX_VLEN, bufs, sizeof(bufs[0]), NULL);
	n = recvmmsg(fd, msgs, RX_VLEN, MSG_DONTWAIT, NULL);
	if (n < 0) {
		/* ICMP errors of earlier uplink frames are not ours to mind. */
		if (errno == EINTR || errno == EAGAIN || errno == ECONNREFUSED)
			return;
		runtime_error("recvmmsg failed: %s", strerror(errno));
	}
	for (int i = 0; i < n; i++)
		handle_frame(r, bufs[i], msgs[i].msg_len);
	fflush(stdout);
}

/*
 * --mcast: a socket on the group's port that several processes can bind
 * (SO_REUSEADDR: each gets its own copy of a multicast datagram), in the
 * group, on the interface the route to the group goes out of.
 */
static int mcast_socket(const struct sockaddr_storage *group)
{
	struct sockaddr_storage any = { .ss_family = group->ss_family };
	int fd = udp_socket(group->ss_family, NULL, 0), one = 1, zero = 0, err;
	socklen_t len;

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		runtime_error("--mcast: SO_REUSEADDR: %s", strerror(errno));
	if (group->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)group;
		struct ip_mreqn mr = { .imr_multiaddr = sin->sin_addr };

		((struct sockaddr_in *)&any)->sin_port = sin->sin_port;
		len = sizeof(struct sockaddr_in);
		/* Only the groups this socket joined, not every one of the host's. */
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero));
		err = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)group;
		struct ipv6_mreq mr = { .ipv6mr_multiaddr = sin6->sin6_addr };

		((struct sockaddr_in6 *)&any)->sin6_port = sin6->sin6_port;
		len = sizeof(struct sockaddr_in6);
		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero, sizeof(zero));
		err = setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr));
	}
	if (err)
		runtime_error("--mcast: cannot join the group: %s", strerror(errno));
	if (bind(fd, (const struct sockaddr *)&any, len))
		runtime_error("--mcast: cannot bind port %u: %s",
			      ntohs(((struct sockaddr_in *)&any)->sin_port), strerror(errno));
	return fd;
}

/*
 * Receive on @fd (and @mcast_fd, -1 for none) until the expectations are
 * met (and the linger passed) or --listen ends.
 */
static void receive_frames(struct receiver *r, int fd, int mcast_fd)
{
	uint64_t deadline = now_ns() + (uint64_t)(r->c->listen * 1e9), linger_until = 0;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = mcast_fd, .events = POLLIN },
		};
		uint64_t now = now_ns();

		if (now >= deadline || (linger_until && now >= linger_until))
			break;
		/* --expect-commands 0: nothing may come during the linger. */
		if (!linger_until && expectations_met(r))
			linger_until = now + (uint64_t)(r->c->linger_ms * 1e6);
		if (poll(pfd, mcast_fd < 0 ? 1 : 2, 20) <= 0)
			continue;
		for (unsigned int i = 0; i < 2; i++)
			if (pfd[i].revents)
				receive_batch(r, pfd[i].fd);
		if (!linger_until && expectations_met(r))
			linger_until = now_ns() + (uint64_t)(r->c->linger_ms * 1e6);
	}
}

/* --open-file: frames as hex lines, opened as if they had arrived. */
static void open_frames_file(struct receiver *r, const char *path)
{
	static uint8_t buf[GRPSEC_MFRAME_MAX_LEN + 1];
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		runtime_error("cannot open --open-file \"%s\": %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) > 0) {
		size_t len = 0;

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		for (ssize_t i = 0; i + 1 < n && len < sizeof(buf); i += 2) {
			unsigned int b;

			if (sscanf(line + i, "%2x", &b) != 1)
				break;
			buf[len++] = (uint8_t)b;
		}
		if (len)
			handle_frame(r, buf, len);
	}
	free(line);
	fclose(f);
}

/* Send @per_member frames for every member (after commands and rekeys). */
static void send_more(const struct config *c, struct sim_member *sm, struct sender *sd,
		      uint64_t per_member, uint64_t *frames)
{
	size_t stride = GRPSEC_UPLINK_MAX_LEN;
	uint8_t *bufs = malloc(1024 * stride);
	unsigned int slot = 0;

	if (!bufs)
		runtime_error("out of memory");
	for (uint64_t k = 0; k < per_member; k++) {
		for (uint32_t i = 0; i < c->count; i++) {
			uint8_t *buf = bufs + (size_t)slot * stride;

			udp_tx_queue(&sd->tx, buf, next_frame(c, &sm[i], buf));
			(*frames)++;
			if (++slot == 1024) {
				sender_flush(sd);
				slot = 0;
			}
		}
	}
	sender_flush(sd);
	free(bufs);
}

int main(int argc, char **argv)
{
	static struct sender sd;
	struct receiver rx = { 0 };
	const char *result = "ok";
	int status = EXIT_OK;
	double ms;
	struct config c;
	struct sim_member *sm;
	uint64_t total, frames = 0, start, first_seq;
	unsigned int per_call;
	size_t stride = GRPSEC_UPLINK_MAX_LEN;
	uint8_t *bufs;
	size_t nbufs;
	int mcast_fd;

	prog = "grpsec-member";
	/* One device with enrolled credentials (member_enroll.c). */
	if (argc > 1 && !strcmp(argv[1], "enroll"))
		return member_enroll_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "enroll-fleet"))
		return member_enroll_fleet_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "send-fleet"))
		return member_send_fleet_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "send"))
		return member_send_main(argc - 1, argv + 1);
	parse(argc, argv, &c);
	total = (uint64_t)c.count * c.messages;
	sm = calloc(c.count, sizeof(*sm));
	if (!sm)
		runtime_error("out of memory for %" PRIu32 " members", c.count);
	members_create(&c, sm);
	first_seq = grpsec_member_next_seq(sm[0].m);

	per_call = c.batch;
	if (c.rate && c.rate / 1000 < per_call)
		per_call = c.rate >= 1000 ? (unsigned int)(c.rate / 1000) : 1;
	if (c.burst) {
		if (total > (1ULL << 30) / stride)
			usage_error("--burst with %" PRIu64 " frames needs too much memory", total);
		nbufs = (size_t)total;
	} else {
		nbufs = per_call;
	}
	bufs = malloc(nbufs * stride);
	if (!bufs)
		runtime_error("out of memory for %zu frames", nbufs);

	sd.fd = udp_socket(c.gw.ss_family, NULL, 0);
	sd.tx.to = &c.gw;
	sd.tx.to_len = c.gw_len;
	/* In the group before the first frame tells the gateway we are here. */
	mcast_fd = c.mcast.ss_family ? mcast_socket(&c.mcast) : -1;
	start = now_ns();
	sd.tx.deadline = start + (uint64_t)(c.timeout * 1e9);

	if (!c.messages) {
		/* --open-file alone: nothing to send. */
	} else if (c.burst) {
		/* Everybody at once: seal all frames first, then blast them. */
		size_t *lens = malloc(nbufs * sizeof(*lens));

		if (!lens)
			runtime_error("out of memory");
		for (uint64_t k = 0, j = 0; k < c.messages; k++)
			for (uint32_t i = 0; i < c.count; i++, j++)
				lens[j] = next_frame(&c, &sm[i], bufs + j * stride);
		frames = total;
		start = now_ns();
		for (uint64_t n = 0; n < total; n++) {
			uint64_t j = c.reverse ? total - 1 - n : n;

			udp_tx_queue(&sd.tx, bufs + j * stride, lens[j]);
			if (c.replay)
				udp_tx_queue(&sd.tx, bufs + j * stride, lens[j]);
			if (sd.tx.n >= 1024)
				sender_flush(&sd);
		}
		sender_flush(&sd);
		free(lens);
	} else {
		unsigned int slot = 0;

		for (uint64_t k = 0; k < c.messages; k++) {
			for (uint32_t i = 0; i < c.count; i++) {
				uint8_t *buf = bufs + (size_t)slot * stride;
				size_t len = next_frame(&c, &sm[i], buf);

				frames++;
				udp_tx_queue(&sd.tx, buf, len);
				if (c.replay)
					udp_tx_queue(&sd.tx, buf, len);
				if (++slot < per_call && frames < total)
					continue;
				if (c.rate) {
					uint64_t due = start + (uint64_t)((double)(frames - slot) /
									  c.rate * 1e9);
					uint64_t now = now_ns();

					if (due > now)
						sleep_ns(due - now);
				}
				if (now_ns() > sd.tx.deadline)
					runtime_error("timed out after %" PRIu64 " of %" PRIu64 " frames",
						      frames - slot, total);
				sender_flush(&sd);
				slot = 0;
			}
		}
	}

	ms = (double)(now_ns() - start) / 1e6;

	if (c.listen || c.open_file) {
		rx.c = &c;
		rx.sm = sm;
		if (c.have_sign_pub && grpsec_verifier_new(c.sign_pub, &rx.v))
			runtime_error("cannot load --sign-pub");
		if (c.dump_frames) {
			rx.dump = fopen(c.dump_frames, "a");
			if (!rx.dump)
				runtime_error("cannot open --dump-frames \"%s\": %s", c.dump_frames,
					      strerror(errno));
		}
		if (c.open_file)
			open_frames_file(&rx, c.open_file);
		else
			receive_frames(&rx, sd.fd, mcast_fd);
		if (rx.dump)
			fclose(rx.dump);
		grpsec_verifier_free(rx.v);
		if ((c.have_expect_commands && rx.commands != c.expect_commands) ||
		    (c.have_expect_rekeys && rx.rekeys != c.expect_rekeys)) {
			result = expectations_met(&rx) ? "fail" : "timeout";
			status = EXIT_RUNTIME;
		}
		if (c.messages_after)
			send_more(&c, sm, &sd, c.messages_after, &frames);
	}

	printf("members=%" PRIu32 " messages=%" PRIu64 " frames=%" PRIu64
	       " datagrams=%" PRIu64 " bytes=%" PRIu64 " send_retries=%" PRIu64
	       " first_seq=%" PRIu64 " next_seq=%" PRIu64 " elapsed_ms=%.1f fps=%.0f",
	       c.count, c.messages, frames, sd.tx.sent, sd.tx.bytes, sd.tx.retries, first_seq,
	       grpsec_member_next_seq(sm[0].m), ms, ms > 0 ? (double)frames / ms * 1e3 : 0);
	if (c.listen || c.open_file) {
		uint64_t refused = 0;

		for (int i = 0; i < R_MAX; i++)
			refused += rx.refused[i];
		printf(" received=%" PRIu64 " commands=%" PRIu64 " gateway_commands=%" PRIu64
		       " members_commanded=%" PRIu64 " member_commands=%" PRIu64
		       " rekeys=%" PRIu64 " epoch=%" PRIu32 " refused=%" PRIu64, rx.received,
		       rx.commands, rx.gateway_commands, rx.members_commanded,
		       rx.member_commands, rx.rekeys, grpsec_member_epoch(sm[0].m), refused);
		if (c.mcast.ss_family)
			printf(" multicast_frames=%" PRIu64 " multicast_commands=%" PRIu64,
			       rx.multicast_frames, rx.multicast_commands);
		for (int i = 0; i < R_MAX; i++)
			printf(" %s=%" PRIu64, refusal_names[i], rx.refused[i]);
	}
	printf(" result=%s\n", result);
	if (status)
		fprintf(stderr, "grpsec-member: expected %" PRIu64 " commands and %" PRIu64
			" rekeys, got %" PRIu64 " and %" PRIu64 "\n", c.expect_commands,
			c.expect_rekeys, rx.commands, rx.rekeys);
	for (uint32_t i = 0; i < c.count; i++)
		grpsec_member_free(sm[i].m);
	free(sm);
	free(bufs);
	close(sd.fd);
	if (mcast_fd >= 0)
		close(mcast_fd);
	return status;
}
