// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-member enroll | send: one device with real credentials.
 *
 *   enroll  TLS 1.3 to the manager (certificate or PSK), save the answer,
 *           K_wrap,m and the sequence reservations in a state file (0600)
 *   send    seal uplink frames with the state file's keys and send them to
 *           the gateway the manager named; the sequence is reserved in the
 *           state file before it is used, so a restart never repeats one
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "grpsec_enroll.h"
#include "member_enroll.h"

static const char enroll_usage[] =
"usage: grpsec-member enroll --manager ADDR:PORT --group G[,G...] --state FILE\n"
"                            (--cert FILE --key FILE --ca FILE [--server-name NAME]\n"
"                             | --psk-identity ID --psk FILE [--psk-hash sha256|sha384])\n"
"                            [--timeout SEC]\n"
"\n"
"Enroll with the manager over TLS 1.3 and save what it gave (member id, keys,\n"
"the manager's signing key, the gateway's address) in FILE, mode 0600.  A\n"
"certificate device gives its certificate and key and the CA of the manager's\n"
"certificate; a PSK device its identity and a file holding the PSK in hex\n"
"(16..64 bytes; --psk-hash: the TLS 1.3 suite's hash, default sha256).\n"
"Prints \"member=M groups=G,... gateway=ADDR:PORT\"; exit 0 when enrolled,\n"
"3 when refused (the reason on stderr), 1 on bad usage, 2 on other failures.\n";

static const char send_usage[] =
"usage: grpsec-member send --state FILE --group G [--messages M] [--payload TEXT]\n"
"                          [--gateway ADDR:PORT] [--block K]\n"
"                          [--for SEC [--every MS]]\n"
"\n"
"Send M frames (default 1) of group G with the keys of FILE (grpsec-member\n"
"enroll) to the gateway the manager named (or --gateway).  Sequences are\n"
"reserved in FILE K at a time (default 1024) before they are used.  Prints\n"
"\"member=M group=G first_seq=S next_seq=N frames=F\".\n"
"\n"
"  --for SEC   then stay SEC seconds on the same socket (the member's address\n"
"              for the gateway): apply the rekey frames (type 5) the gateway\n"
"              sends back (frame tag under K_m[e], the manager's signature,\n"
"              K_wrap,m), printing \"rekey group=G epoch=E t=MS\" for each; the\n"
"              frames after it go under the new epoch.  The new epoch lives in\n"
"              this process only: the state file keeps the enrolled one\n"
"  --every MS  with --for: also send one frame every MS milliseconds, its\n"
"              payload TEXT-N with N = M+1, M+2, ... (the first M are TEXT-1..M\n"
"              when --for is given); the last line adds \"epoch=E rekeys=R\"\n";

#define EXIT_REFUSED	MEMBER_EXIT_REFUSED

enum {
	OPT_MANAGER = 256, OPT_GROUP, OPT_STATE, OPT_CERT, OPT_KEY, OPT_CA, OPT_SERVER_NAME,
	OPT_PSK_ID, OPT_PSK, OPT_PSK_HASH, OPT_TIMEOUT, OPT_MESSAGES, OPT_PAYLOAD, OPT_GATEWAY,
	OPT_BLOCK, OPT_FOR, OPT_EVERY,
};

static const struct option enroll_options[] = {
	{ "manager", required_argument, NULL, OPT_MANAGER },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "server-name", required_argument, NULL, OPT_SERVER_NAME },
	{ "psk-identity", required_argument, NULL, OPT_PSK_ID },
	{ "psk", required_argument, NULL, OPT_PSK },
	{ "psk-hash", required_argument, NULL, OPT_PSK_HASH },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option send_options[] = {
	{ "state", required_argument, NULL, OPT_STATE },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "messages", required_argument, NULL, OPT_MESSAGES },
	{ "payload", required_argument, NULL, OPT_PAYLOAD },
	{ "gateway", required_argument, NULL, OPT_GATEWAY },
	{ "block", required_argument, NULL, OPT_BLOCK },
	{ "for", required_argument, NULL, OPT_FOR },
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static unsigned int parse_groups(const char *val, uint32_t *groups)
{
	char *copy = strdup(val), *save = NULL, *tok;
	unsigned int n = 0;

	if (!copy)
		runtime_error("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == GRPSEC_ENROLL_MAX_GROUPS)
			usage_error("--group: at most %u groups", GRPSEC_ENROLL_MAX_GROUPS);
		groups[n] = opt_u32("--group", tok, 1, UINT32_MAX);
		if (n && groups[n] <= groups[n - 1])
			usage_error("--group \"%s\": give the groups in increasing order", val);
		n++;
	}
	free(copy);
	if (!n)
		usage_error("--group: no group");
	return n;
}

/* A PSK file: hex digits (16..64 bytes), blanks at the end allowed. */
static size_t read_psk(const char *path, uint8_t *psk)
{
	char text[2 * GRPSEC_PSK_MAX_LEN + 8];
	ssize_t n;
	size_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		usage_error("cannot open --psk file \"%s\": %s", path, strerror(errno));
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		usage_error("cannot read --psk file \"%s\": %s", path, strerror(errno));
	len = (size_t)n;
	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	if (len % 2 || len < 32 || len > 2 * GRPSEC_PSK_MAX_LEN)
		usage_error("--psk file \"%s\": expected 32..128 hex digits", path);
	for (size_t i = 0; i < len; i += 2) {
		char d[3] = { text[i], text[i + 1], 0 };

		if (!isxdigit((unsigned char)d[0]) || !isxdigit((unsigned char)d[1]))
			usage_error("--psk file \"%s\": expected hex digits", path);
		psk[i / 2] = (uint8_t)strtoul(d, NULL, 16);
	}
	explicit_bzero(text, sizeof(text));
	return len / 2;
}

static void gateway_text(const struct grpsec_enroll_answer *a, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop(a->gw_family == GRPSEC_ENROLL_ADDR_IPV4 ? AF_INET : AF_INET6, a->gw_addr,
		  host, sizeof(host));
	snprintf(buf, size, a->gw_family == GRPSEC_ENROLL_ADDR_IPV4 ? "%s:%u" : "[%s]:%u", host,
		 a->gw_port);
}

int member_enroll_main(int argc, char **argv)
{
	static struct grpsec_enrollment e;
	struct grpsec_enroll_config c = { .psk_hash = GRPSEC_PSK_SHA256 };
	uint32_t groups[GRPSEC_ENROLL_MAX_GROUPS];
	uint8_t psk[GRPSEC_PSK_MAX_LEN];
	const char *state = NULL, *psk_file = NULL;
	char err[512], gw[64];
	int opt, r;

	while ((opt = opt_next(argc, argv, "h", enroll_options, enroll_usage)) != -1) {
		switch (opt) {
		case OPT_MANAGER: c.manager = optarg; break;
		case OPT_GROUP: c.n_groups = parse_groups(optarg, groups); break;
		case OPT_STATE: state = optarg; break;
		case OPT_CERT: c.cert_file = optarg; break;
		case OPT_KEY: c.key_file = optarg; break;
		case OPT_CA: c.ca_file = optarg; break;
		case OPT_SERVER_NAME: c.server_name = optarg; break;
		case OPT_PSK_ID: c.psk_identity = optarg; break;
		case OPT_PSK: psk_file = optarg; break;
		case OPT_PSK_HASH:
			if (strcmp(optarg, "sha256") && strcmp(optarg, "sha384"))
				usage_error("--psk-hash \"%s\": sha256 or sha384", optarg);
			c.psk_hash = strcmp(optarg, "sha384") ? GRPSEC_PSK_SHA256 :
				     GRPSEC_PSK_SHA384;
			break;
		case OPT_TIMEOUT:
			c.timeout_ms = (unsigned int)(opt_double("--timeout", optarg, 0.001, 3600) *
						      1000);
			break;
		}
	}
	if (!c.manager || !c.n_groups || !state)
		usage_error("--manager, --group and --state are required");
	if (!c.psk_identity != !psk_file)
		usage_error("--psk-identity and --psk go together");
	if (psk_file) {
		c.psk_len = read_psk(psk_file, psk);
		c.psk = psk;
	} else if (!c.cert_file || !c.key_file || !c.ca_file) {
		usage_error("give --cert, --key and --ca, or --psk-identity and --psk");
	}
	c.groups = groups;
	r = grpsec_enroll(&c, &e, err, sizeof(err));
	explicit_bzero(psk, sizeof(psk));
	if (r == -EACCES) {
		fprintf(stderr, "grpsec-member: %s\n", err);
		return EXIT_REFUSED;
	}
	if (r)
		runtime_error("enroll: %s", err);
	r = grpsec_state_create(state, &e);
	if (r) {
		grpsec_enrollment_wipe(&e);
		runtime_error("cannot write --state \"%s\": %s", state, strerror(-r));
	}
	gateway_text(&e.answer, gw, sizeof(gw));
	printf("member=%" PRIu32 " groups=", e.answer.member);
	for (unsigned int i = 0; i < e.answer.n_groups; i++)
		printf("%s%" PRIu32, i ? "," : "", e.answer.groups[i].group);
	printf(" gateway=%s\n", gw);
	grpsec_enrollment_wipe(&e);
	return EXIT_OK;
}

static socklen_t answer_gateway(const struct grpsec_enroll_answer *a,
				struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->gw_family == GRPSEC_ENROLL_ADDR_IPV4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->gw_port);
		memcpy(&sin->sin_addr, a->gw_addr, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(a->gw_port);
	memcpy(&sin6->sin6_addr, a->gw_addr, 16);
	return sizeof(*sin6);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Frame @n of the member: TEXT, or TEXT-N when numbered. */
static void send_one(struct grpsec_member *m, int fd, const struct sockaddr_storage *gw,
		     socklen_t gw_len, const char *payload, bool numbered, uint64_t n)
{
	uint8_t frame[GRPSEC_UPLINK_MAX_LEN];
	char text[GRPSEC_MAX_PAYLOAD + 1];
	size_t len;
	int r;

	if (numbered)
		snprintf(text, sizeof(text), "%s-%" PRIu64, payload, n);
	else
		snprintf(text, sizeof(text), "%s", payload);
	r = grpsec_member_seal_uplink(m, (const uint8_t *)text, strlen(text), frame,
				      sizeof(frame), &len);
	if (r)
		runtime_error("frame %" PRIu64 ": %s", n, grpsec_strerror(r));
	if (sendto(fd, frame, len, 0, (const struct sockaddr *)gw, gw_len) < 0)
		runtime_error("send: %s", strerror(errno));
}

/*
 * --for: rekeys from the gateway applied as they come, a frame every
 * @every_ms (0: none) after the first @sent; returns the rekeys applied.
 */
static uint64_t stay(struct grpsec_member *m, struct grpsec_state *st, int fd,
		     const struct sockaddr_storage *gw, socklen_t gw_len, const char *payload,
		     uint64_t *sent, double secs, uint32_t every_ms, uint32_t group)
{
	struct grpsec_verifier *v = NULL;
	uint64_t t0 = mono_ms(), end = t0 + (uint64_t)(secs * 1000), next = t0 + every_ms;
	uint64_t rekeys = 0, now;
	uint8_t buf[2048];
	uint32_t epoch;

	if (grpsec_verifier_new(grpsec_state_answer(st)->sign_pub, &v))
		runtime_error("the manager's signing key in the state file is not usable");
	while ((now = mono_ms()) < end) {
		uint64_t until = every_ms && next < end ? next : end;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (every_ms && now >= next) {
			send_one(m, fd, gw, gw_len, payload, true, ++*sent);
			next += every_ms;
			continue;
		}
		if (poll(&p, 1, (int)(until - now)) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			continue;
		if (grpsec_member_apply_rekey(m, v, grpsec_state_wrap_key(st), buf, (size_t)n,
					      &epoch) == 0) {
			rekeys++;
			printf("rekey group=%" PRIu32 " epoch=%" PRIu32 " t=%" PRIu64 "\n", group,
			       epoch, mono_ms() - t0);
			fflush(stdout);
		}
	}
	grpsec_verifier_free(v);
	return rekeys;
}

int member_send_main(int argc, char **argv)
{
	struct sockaddr_storage gw = { 0 };
	socklen_t gw_len = 0;
	const char *state = NULL, *payload = "grpsec";
	uint64_t messages = 1, first;
	uint32_t group = 0, block = 0, every = 0;
	uint64_t rekeys = 0;
	double secs = 0;
	struct grpsec_state *st;
	struct grpsec_member *m;
	char err[512];
	int opt, r, fd;

	while ((opt = opt_next(argc, argv, "h", send_options, send_usage)) != -1) {
		switch (opt) {
		case OPT_STATE: state = optarg; break;
		case OPT_GROUP: group = opt_u32("--group", optarg, 1, UINT32_MAX); break;
		case OPT_MESSAGES: messages = opt_u64("--messages", optarg, 1, 1ULL << 32); break;
		case OPT_PAYLOAD: payload = optarg; break;
		case OPT_GATEWAY: gw_len = opt_addr("--gateway", optarg, &gw, false); break;
		case OPT_BLOCK: block = opt_u32("--block", optarg, 1, 1U << 20); break;
		case OPT_FOR: secs = opt_double("--for", optarg, 0.001, 86400); break;
		case OPT_EVERY: every = opt_u32("--every", optarg, 1, 3600000); break;
		}
	}
	if (every && !secs)
		usage_error("--every needs --for");
	if (!state || !group)
		usage_error("--state and --group are required");
	if (strlen(payload) + (secs ? 21 : 0) > GRPSEC_MAX_PAYLOAD)
		usage_error("--payload: at most %u bytes", GRPSEC_MAX_PAYLOAD);
	r = grpsec_state_open(state, &st, err, sizeof(err));
	if (r)
		runtime_error("%s", err);
	r = grpsec_state_member(st, group, block, &m);
	if (r)
		runtime_error("group %" PRIu32 ": %s", group,
			      r == -ENOENT ? "not enrolled in it" : grpsec_strerror(r));
	if (!gw_len)
		gw_len = answer_gateway(grpsec_state_answer(st), &gw);
	fd = udp_socket(gw.ss_family, NULL, 0);
	first = grpsec_member_next_seq(m);
	for (uint64_t i = 0; i < messages; i++)
		send_one(m, fd, &gw, gw_len, payload, secs > 0, i + 1);
	if (secs)
		rekeys = stay(m, st, fd, &gw, gw_len, payload, &messages, secs, every, group);
	printf("member=%" PRIu32 " group=%" PRIu32 " first_seq=%" PRIu64 " next_seq=%" PRIu64
	       " frames=%" PRIu64, grpsec_state_answer(st)->member, group, first,
	       grpsec_member_next_seq(m), messages);
	if (secs)
		printf(" epoch=%" PRIu32 " rekeys=%" PRIu64, grpsec_member_epoch(m), rekeys);
	printf("\n");
	close(fd);
	grpsec_member_free(m);
	grpsec_state_free(st);
	return EXIT_OK;
}

unsigned int member_parse_groups(const char *val, uint32_t *groups)
{
	return parse_groups(val, groups);
}

socklen_t member_answer_gateway(const struct grpsec_enroll_answer *a,
				struct sockaddr_storage *ss)
{
	return answer_gateway(a, ss);
}
