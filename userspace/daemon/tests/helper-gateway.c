// SPDX-License-Identifier: GPL-2.0
/*
 * helper-gateway: a gateway for the manager's downlink and rekey tests,
 * built from libgrpsec's gateway reference and member contexts of
 * enrolled devices (their state files, as grpsec-member enroll saved
 * them):
 *
 *   helper-gateway PORT KUPFILE SUITE GATEWAY GROUP SECONDS REKEYS STATE...
 *
 * From a UDP socket on 127.0.0.1 it sends the manager (127.0.0.1:PORT) a
 * batch with one uplink of every member, under the K_up in KUPFILE (of
 * SUITE), then every 300 ms a batch with one uplink of the first member
 * (so a restarted manager learns the address again), and checks every
 * downlink that comes back as a gateway does (grpsec_downlink_verify()
 * under K_up; its sequence above every one before), then hands it to the
 * members it is for as a type 4 or 5 frame tagged under their K_m[e]:
 * each member context opens the command (signature under the public key
 * of its enrollment answer) or applies the rekey (under its K_wrap,m).
 * One line each:
 *
 *   ready
 *   downlink seq=S kind=command|rekey group=G member=M bytes=LEN
 *   downlink refused: WHY          (bad tag, sequence not above the last)
 *   command member=M seq=CS recipient=R payload=HEX t=MS
 *   rekey member=M epoch=E seq=RS t=MS
 *   refused member=M kind=K: WHY  (what the member context said)
 *   uplinks epoch=E members=K of N (after REKEYS members applied a rekey:
 *                                  an uplink of each member, K of them
 *                                  sealed under E, the newest epoch)
 *   summary downlinks=D refused=X commands=C rekeys=R reused=U
 *
 * t is milliseconds since the first rekey frame arrived (since the start
 * for commands).  It exits after SECONDS, or 1 s after the "uplinks" line.
 * "reused" counts command or rekey bodies whose sequence was not above
 * the last one the member saw.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "grpsec.h"
#include "grpsec_enroll.h"
#include "../keystore.h"

struct dev {
	struct grpsec_state *st;
	struct grpsec_member *m;
	uint32_t id, epoch;		/* enrollment epoch: the K_m the gateway tags under */
	unsigned int suite, mode;	/* the group's */
	const uint8_t *k_m;
	uint64_t last_cmd, last_rekey;
	int rekeyed;
};

static struct dev *devs;
static int ndevs, fd;
static struct sockaddr_in mgr = { .sin_family = AF_INET };
static uint8_t kup[GRPSEC_KEY_MAX_LEN];
static unsigned int suite, group_id;
static uint32_t gateway;
static uint64_t batch_seq, gw_seq = 1;
static struct grpsec_verifier *verifier;

static void die(const char *what, const char *why)
{
	fprintf(stderr, "helper-gateway: %s: %s\n", what, why);
	exit(1);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A batch with one uplink of each of devs[first .. first + n - 1]. */
static void send_batch(int first, int n)
{
	static uint8_t out[GRPSEC_BATCH_MAX_LEN], frames[64][GRPSEC_UPLINK_MAX_LEN];
	struct grpsec_batch_builder bb;
	struct grpsec_uplink u;
	char text[32];
	size_t len;
	int i;

	if (grpsec_batch_init(&bb, out, sizeof(out), gateway, suite) < 0)
		die("batch", "init");
	for (i = 0; i < n && i < 64; i++) {
		struct dev *d = &devs[first + i];

		snprintf(text, sizeof(text), "from %u", d->id);
		if (grpsec_member_seal_uplink(d->m, (uint8_t *)text, strlen(text), frames[i],
					      sizeof(frames[i]), &len) < 0 ||
		    grpsec_uplink_parse(frames[i], len, &u) < 0 ||
		    grpsec_batch_add_uplink(&bb, d->mode, &u) < 0)
			die("uplink", "cannot seal or batch");
	}
	if (grpsec_batch_seal(&bb, batch_seq++, kup, &len) < 0)
		die("batch", "seal");
	if (sendto(fd, out, len, 0, (struct sockaddr *)&mgr, sizeof(mgr)) != (ssize_t)len)
		die("sendto", strerror(errno));
}

static void send_all(void)
{
	for (int i = 0; i < ndevs; i += 64)
		send_batch(i, ndevs - i < 64 ? ndevs - i : 64);
}

static void hex(const uint8_t *p, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * len] = 0;
}

static int reused, commands, rekeys, refused_dl, downlinks;
static uint64_t t0, rekey_t0;

/* One downlink body to one member, as the gateway's type 4 or 5 frame. */
static void to_member(struct dev *d, const struct grpsec_downlink *dl)
{
	uint8_t frame[GRPSEC_MFRAME_MAX_LEN], payload[GRPSEC_COMMAND_MAX_PAYLOAD + 64];
	char phex[2 * sizeof(payload) + 1];
	bool rekey = dl->kind == GRPSEC_DOWNLINK_KIND_REKEY;
	struct grpsec_command_info info;
	uint64_t bseq = 0;
	uint32_t epoch;
	size_t len, plen;
	int rc;

	for (int i = 4; i < 12; i++)
		bseq = bseq << 8 | dl->body[i];
	if (bseq <= (rekey ? d->last_rekey : d->last_cmd))
		reused++;
	if (rekey)
		d->last_rekey = bseq > d->last_rekey ? bseq : d->last_rekey;
	else
		d->last_cmd = bseq > d->last_cmd ? bseq : d->last_cmd;
	if (grpsec_member_frame_build(rekey ? GRPSEC_TYPE_REKEY : GRPSEC_TYPE_COMMAND, d->suite,
				      !rekey && !dl->member ? GRPSEC_MFRAME_FLAG_GROUP : 0,
				      dl->group, d->id, d->epoch, gw_seq++, d->k_m, dl->body,
				      dl->body_len, frame, sizeof(frame), &len) < 0)
		die("member frame", "build");
	if (rekey) {
		rc = grpsec_member_apply_rekey(d->m, verifier, grpsec_state_wrap_key(d->st), frame,
					       len, &epoch);
		if (rc == 0) {
			if (!rekey_t0)
				rekey_t0 = now_ms();
			d->rekeyed = 1;
			rekeys++;
			printf("rekey member=%u epoch=%u seq=%" PRIu64 " t=%" PRIu64 "\n", d->id,
			       epoch, bseq, now_ms() - rekey_t0);
		}
	} else {
		rc = grpsec_member_open_command(d->m, verifier, frame, len, payload,
						sizeof(payload), &plen, &info);
		if (rc == 0) {
			commands++;
			hex(payload, plen, phex);
			printf("command member=%u seq=%" PRIu64 " recipient=%u payload=%s"
			       " t=%" PRIu64 "\n", d->id, info.seq, info.recipient, phex,
			       now_ms() - t0);
		}
	}
	if (rc < 0)
		printf("refused member=%u kind=%s: %s\n", d->id, rekey ? "rekey" : "command",
		       grpsec_strerror(rc));
}

static uint64_t dl_top;
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_downlink(const uint8_t *buf, size_t len)
{
	struct grpsec_downlink dl;
	int rc = grpsec_downlink_verify(buf, len, gateway, suite, kup, &dl);

	if (rc < 0) {
		refused_dl++;
		printf("downlink refused: %s\n", grpsec_strerror(rc));
		return;
	}
	/* One sender, frames in the order of their sequences: each above the last. */
	if (dl.seq <= dl_top) {
		refused_dl++;
		printf("downlink refused: sequence %" PRIu64 " not above %" PRIu64 "\n", dl.seq,
		       dl_top);
		return;
	}
	dl_top = dl.seq;
	downlinks++;
	printf("downlink seq=%" PRIu64 " kind=%s group=%u member=%u bytes=%zu\n", dl.seq,
	       dl.kind == GRPSEC_DOWNLINK_KIND_REKEY ? "rekey" : "command", dl.group, dl.member,
	       len);
	for (int i = 0; i < ndevs; i++)
		if (dl.group == group_id && (!dl.member || dl.member == devs[i].id))
			to_member(&devs[i], &dl);
}

static void load(struct dev *d, const char *path)
{
	const struct grpsec_enroll_answer *a;
	char err[256];

	if (grpsec_state_open(path, &d->st, err, sizeof(err)) < 0)
		die(path, err);
	if (grpsec_state_member(d->st, group_id, 0, &d->m) < 0)
		die(path, "not enrolled in the group");
	a = grpsec_state_answer(d->st);
	d->id = a->member;
	for (unsigned int i = 0; i < a->n_groups; i++) {
		if (a->groups[i].group != group_id)
			continue;
		d->epoch = a->groups[i].epochs[0].epoch;
		d->k_m = a->groups[i].epochs[0].member_key;
		d->suite = a->groups[i].suite;
		d->mode = a->groups[i].mode;
	}
	if (!verifier && grpsec_verifier_new(a->sign_pub, &verifier) < 0)
		die(path, "bad signing public key");
}

/* "uplinks epoch=E members=K of N": K members sealed under E, the newest epoch. */
static void uplinks_line(void)
{
	uint32_t top = 0;
	int k = 0;

	for (int i = 0; i < ndevs; i++)
		if (grpsec_member_epoch(devs[i].m) > top)
			top = grpsec_member_epoch(devs[i].m);
	for (int i = 0; i < ndevs; i++)
		k += grpsec_member_epoch(devs[i].m) == top;
	printf("uplinks epoch=%u members=%d of %d\n", top, k, ndevs);
}

int main(int argc, char **argv)
{
	static uint8_t buf[65536];
	struct sockaddr_in me = { .sin_family = AF_INET };
	uint64_t end, next_keepalive, linger = 0;
	unsigned int want_rekeys;
	char err[256];
	struct timespec ts;
	struct pollfd pfd;
	ssize_t n;
	int i, uplinks_sent = 0;

	if (argc < 9)
		die("usage", "PORT KUPFILE SUITE GATEWAY GROUP SECONDS REKEYS STATE...");
	struct sigaction sa = { .sa_handler = on_term };

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGTERM, &sa, NULL);
	mgr.sin_port = htons((uint16_t)atoi(argv[1]));
	mgr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (suite = 1; grpsec_suite_name(suite) && strcmp(grpsec_suite_name(suite), argv[3]);
	     suite++)
		;
	if (!grpsec_suite_name(suite))
		die("bad suite", argv[3]);
	if (keystore_read_key(argv[2], kup, grpsec_suite_key_len(suite), err) < 0)
		die("K_up", err);
	gateway = (uint32_t)strtoul(argv[4], NULL, 10);
	group_id = (unsigned int)strtoul(argv[5], NULL, 10);
	end = now_ms() + 1000 * strtoull(argv[6], NULL, 10);
	want_rekeys = (unsigned int)strtoul(argv[7], NULL, 10);
	ndevs = argc - 8;
	devs = calloc((size_t)ndevs, sizeof(*devs));
	for (i = 0; i < ndevs; i++)
		load(&devs[i], argv[8 + i]);
	/* Batch sequences from the clock: a test helper, restarted within a test. */
	clock_gettime(CLOCK_REALTIME, &ts);
	batch_seq = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		die("socket", strerror(errno));
	send_all();
	t0 = now_ms();
	next_keepalive = t0 + 300;
	printf("ready\n");
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	while (!stop && now_ms() < end && (!linger || now_ms() < linger)) {
		if (poll(&pfd, 1, 50) > 0) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n > 0)
				on_downlink(buf, (size_t)n);
		}
		if (now_ms() >= next_keepalive) {
			send_batch(0, 1);
			next_keepalive = now_ms() + 300;
		}
		if (want_rekeys && !uplinks_sent && (unsigned int)rekeys >= want_rekeys) {
			send_all();
			uplinks_sent = 1;
			uplinks_line();
			linger = now_ms() + 1000;
		}
	}
	printf("summary downlinks=%d refused=%d commands=%d rekeys=%d reused=%d\n", downlinks,
	       refused_dl, commands, rekeys, reused);
	for (i = 0; i < ndevs; i++) {
		grpsec_member_free(devs[i].m);
		grpsec_state_free(devs[i].st);
	}
	grpsec_verifier_free(verifier);
	OPENSSL_cleanse(kup, sizeof(kup));
	return 0;
}
