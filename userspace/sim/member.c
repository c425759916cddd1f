// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-member: simulate N members of one group sending M uplink frames
 * each to a gateway over UDP (sendmmsg), with optional faults for tests.
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
"usage: grpsec-member --gateway ADDR:PORT --group G --first ID --count N\n"
"                     --messages M --s-auth SRC (--s-e2e SRC | --k-g SRC)\n"
"                     [--mode anonymous|identified] [--suite SUITE] [--epoch E]\n"
"                     [--payload-size B] [--rate FPS] [--burst] [--batch K]\n"
"                     [--seq-file FILE] [--counter-start C] [--msg-limit L]\n"
"                     [--timeout SEC]\n"
"                     [--tamper-tag] [--replay] [--bad-version] [--truncate]\n"
"                     [--unknown-member] [--stale-epoch]\n"
"\n"
"Members FIRST..FIRST+N-1 of group G each send M frames to the gateway.\n"
"Keys: K_m[e] is derived from S_auth; the inner key is K_e,m[e] derived\n"
"from S_e2e (identified) or K_G (anonymous).  SRC is a file (raw bytes or\n"
"hex) or hex:DIGITS.  Each payload carries (group, member, counter C..C+M-1,\n"
"C = --counter-start, default 1).\n"
"\n"
"  --mode         default identified        --suite   default aes-128-gcm\n"
"  --epoch        default 0                 --payload-size  20..1280, default 32\n"
"  --rate         frames per second in total (default: as fast as possible)\n"
"  --burst        seal every frame first, then send them all at once\n"
"  --batch        datagrams per sendmmsg call (1..1024, default 64)\n"
"  --seq-file     persist sequence reservations (\"MEMBER RESERVED\" lines)\n"
"  --msg-limit    per-member epoch message limit (default: none)\n"
"  --timeout      give up after SEC seconds (default 120)\n"
"Faults (the gateway must drop every frame):\n"
"  --tamper-tag   flip a bit of the outer tag\n"
"  --bad-version  version byte 2\n"
"  --truncate     send only the first 40 bytes\n"
"  --unknown-member  use member ids ID^0x80000000 (keys derived for them)\n"
"  --stale-epoch  seal under epoch E-1\n"
"  --replay       send every frame twice (the gateway drops the copies)\n"
"\n"
"Prints one line of key=value results.  Exit 0 when every frame was sent,\n"
"1 on bad usage, 2 on a runtime failure.\n";

enum {
	OPT_GATEWAY = 256, OPT_GROUP, OPT_FIRST, OPT_COUNT, OPT_MESSAGES, OPT_S_AUTH,
	OPT_S_E2E, OPT_K_G, OPT_MODE, OPT_SUITE, OPT_EPOCH, OPT_PAYLOAD, OPT_RATE,
	OPT_BURST, OPT_BATCH, OPT_SEQ_FILE, OPT_COUNTER, OPT_MSG_LIMIT, OPT_TIMEOUT, OPT_TAMPER,
	OPT_REPLAY, OPT_BAD_VERSION, OPT_TRUNCATE, OPT_UNKNOWN, OPT_STALE, OPT_HELP,
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
	{ "help", no_argument, NULL, OPT_HELP },
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
	bool burst, tamper, replay, bad_version, truncate, unknown, stale;
	unsigned int batch;
	const char *seq_file;
	double timeout;
};

/* Sequence persistence shared by all simulated members: one file. */
struct seq_store {
	const char *path;
	uint32_t first, count;
	uint64_t *reserved;		/* per member index */
};

static struct seq_store store;

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

	store.reserved[idx] = reserved;
	return store_save();
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
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
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
			c->messages = opt_u64("--messages", optarg, 1, UINT32_MAX);
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
	if (!have_gw || !have_group || !have_first || !have_count || !have_messages)
		usage_error("--gateway, --group, --first, --count and --messages are required");
	if (!c->have_s_auth)
		usage_error("--s-auth is required");
	if ((uint64_t)c->first + c->count - 1 > UINT32_MAX)
		usage_error("--first %" PRIu32 " with --count %" PRIu32 " passes member id %" PRIu32,
			    c->first, c->count, UINT32_MAX);
	if (c->mode == GRPSEC_MODE_IDENTIFIED && !c->have_s_e2e)
		usage_error("--s-e2e is required for identified groups");
	if (c->mode == GRPSEC_MODE_ANONYMOUS && !c->k_g_src)
		usage_error("--k-g is required for anonymous groups");
	if (c->stale && c->epoch == 0)
		usage_error("--stale-epoch needs --epoch 1 or higher");
	if (c->k_g_src)
		opt_bytes("--k-g", c->k_g_src, c->k_g, grpsec_suite_key_len(c->suite));
}

struct sim_member {
	struct grpsec_member *m;
	uint32_t id;			/* as sent (after --unknown-member) */
	uint64_t counter;		/* last payload counter used */
};

static void members_create(const struct config *c, struct sim_member *sm)
{
	size_t kl = grpsec_suite_key_len(c->suite);
	uint32_t epoch = c->stale ? c->epoch - 1 : c->epoch;

	if (c->seq_file)
		store_load(c->seq_file, c->first, c->count);
	for (uint32_t i = 0; i < c->count; i++) {
		uint8_t k_m[GRPSEC_KEY_MAX_LEN], k_in[GRPSEC_KEY_MAX_LEN];
		struct grpsec_member_config mc = {
			.group = c->group, .epoch = epoch, .mode = c->mode, .suite = c->suite,
			.member_key = k_m, .inner_key = k_in,
			.msg_limit = c->msg_limit ? c->msg_limit : UINT64_MAX,
		};
		uint32_t id = c->first + i;
		int err;

		if (c->unknown)
			id ^= 0x80000000U;
		mc.member = id;
		if (c->seq_file) {
			mc.reserve = reserve_cb;
			mc.reserve_arg = (void *)(uintptr_t)i;
			mc.seq_reserved = store.reserved[i];
		}
		err = grpsec_kdf_member_key(c->suite, c->s_auth, c->group, epoch, id, k_m, kl);
		if (!err && c->mode == GRPSEC_MODE_IDENTIFIED)
			err = grpsec_kdf_e2e_key(c->suite, c->s_e2e, c->group, epoch, id, k_in, kl);
		else if (!err)
			memcpy(k_in, c->k_g, kl);
		if (!err)
			err = grpsec_member_new(&mc, &sm[i].m);
		memset(k_m, 0, sizeof(k_m));
		memset(k_in, 0, sizeof(k_in));
		if (err)
			runtime_error("member %" PRIu32 ": cannot set up: %s", id, grpsec_strerror(err));
		sm[i].id = id;
		sm[i].counter = c->counter_start - 1;
	}
}

/* Seal the next frame of @s into @buf; returns the length to send. */
static size_t next_frame(const struct config *c, struct sim_member *s, uint8_t *buf)
{
	uint8_t payload[GRPSEC_MAX_PAYLOAD];
	size_t len;
	int err;

	s->counter++;
	sim_payload_fill(payload, c->payload_size, c->group, s->id, s->counter);
	err = grpsec_member_seal_uplink(s->m, payload, c->payload_size, buf,
					GRPSEC_UPLINK_MAX_LEN, &len);
	if (err)
		runtime_error("member %" PRIu32 ": frame %" PRIu64 ": %s", s->id, s->counter,
			      grpsec_strerror(err));
	if (c->tamper)
		buf[len - 1] ^= 0x01;
	if (c->bad_version)
		buf[0] = 2;
	if (c->truncate)
		len = 40;
	return len;
}

struct sender {
	int fd;
	const struct config *c;
	struct mmsghdr msgs[2048];
	struct iovec iov[2048];
	unsigned int n;
	uint64_t datagrams, bytes, retries;
	uint64_t deadline;
};

static void sender_queue(struct sender *sd, uint8_t *buf, size_t len)
{
	struct mmsghdr *mh = &sd->msgs[sd->n];

	sd->iov[sd->n] = (struct iovec){ .iov_base = buf, .iov_len = len };
	memset(mh, 0, sizeof(*mh));
	mh->msg_hdr.msg_name = (void *)&sd->c->gw;
	mh->msg_hdr.msg_namelen = sd->c->gw_len;
	mh->msg_hdr.msg_iov = &sd->iov[sd->n];
	mh->msg_hdr.msg_iovlen = 1;
	sd->n++;
}

static void sender_flush(struct sender *sd)
{
	unsigned int off = 0;

	while (off < sd->n) {
		int r = sendmmsg(sd->fd, sd->msgs + off, sd->n - off, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED)
				runtime_error("sendmmsg to the gateway failed: %s", strerror(errno));
			/* A full queue or a stale ICMP error: wait a little and go on. */
			sd->retries++;
			if (now_ns() > sd->deadline)
				runtime_error("timed out while the send queue stayed full");
			sleep_ns(50000);
			continue;
		}
		for (int i = 0; i < r; i++)
			sd->bytes += sd->msgs[off + i].msg_hdr.msg_iov->iov_len;
		sd->datagrams += (unsigned int)r;
		off += (unsigned int)r;
	}
	sd->n = 0;
}

int main(int argc, char **argv)
{
	static struct sender sd;
	struct config c;
	struct sim_member *sm;
	uint64_t total, frames = 0, start, first_seq;
	unsigned int per_call;
	size_t stride = GRPSEC_UPLINK_MAX_LEN;
	uint8_t *bufs;
	size_t nbufs;

	prog = "grpsec-member";
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
	sd.c = &c;
	start = now_ns();
	sd.deadline = start + (uint64_t)(c.timeout * 1e9);

	if (c.burst) {
		/* Everybody at once: seal all frames first, then blast them. */
		size_t *lens = malloc(nbufs * sizeof(*lens));

		if (!lens)
			runtime_error("out of memory");
		for (uint64_t k = 0, j = 0; k < c.messages; k++)
			for (uint32_t i = 0; i < c.count; i++, j++)
				lens[j] = next_frame(&c, &sm[i], bufs + j * stride);
		frames = total;
		start = now_ns();
		for (uint64_t j = 0; j < total; j++) {
			sender_queue(&sd, bufs + j * stride, lens[j]);
			if (c.replay)
				sender_queue(&sd, bufs + j * stride, lens[j]);
			if (sd.n >= 1024)
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
				sender_queue(&sd, buf, len);
				if (c.replay)
					sender_queue(&sd, buf, len);
				if (++slot < per_call && frames < total)
					continue;
				if (c.rate) {
					uint64_t due = start + (uint64_t)((double)(frames - slot) /
									  c.rate * 1e9);
					uint64_t now = now_ns();

					if (due > now)
						sleep_ns(due - now);
				}
				if (now_ns() > sd.deadline)
					runtime_error("timed out after %" PRIu64 " of %" PRIu64 " frames",
						      frames - slot, total);
				sender_flush(&sd);
				slot = 0;
			}
		}
	}

	{
		double ms = (double)(now_ns() - start) / 1e6;

		printf("members=%" PRIu32 " messages=%" PRIu64 " frames=%" PRIu64
		       " datagrams=%" PRIu64 " bytes=%" PRIu64 " send_retries=%" PRIu64
		       " first_seq=%" PRIu64 " next_seq=%" PRIu64 " elapsed_ms=%.1f fps=%.0f result=ok\n",
		       c.count, c.messages, frames, sd.datagrams, sd.bytes, sd.retries, first_seq,
		       grpsec_member_next_seq(sm[0].m), ms, ms > 0 ? (double)frames / ms * 1e3 : 0);
	}
	for (uint32_t i = 0; i < c.count; i++)
		grpsec_member_free(sm[i].m);
	free(sm);
	free(bufs);
	close(sd.fd);
	return EXIT_OK;
}
