// SPDX-License-Identifier: GPL-2.0
/*
 * Members and a gateway for the backend's daemon tests, from libgrpsec
 * and the keys in the manager's database:
 *
 *   helper-uplink build DB KEYFILE KUPFILE SUITE GATEWAY SEQ MSG... > FILE
 *       one batch of gateway GATEWAY with sequence SEQ under the K_up in
 *       KUPFILE (SUITE: its suite's name); MSG is GROUP:MEMBER:MSEQ:TEXT,
 *       a frame of member MEMBER (0 in an anonymous group) with member
 *       sequence MSEQ, sealed under the group's current epoch
 *   helper-uplink send ADDR PORT FILE
 *       send FILE as one UDP datagram
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "grpsec.h"

#include "../keystore.h"
#include "../store.h"

static int die(const char *what, const char *detail)
{
	fprintf(stderr, "helper-uplink: %s: %s\n", what, detail);
	exit(1);
}

/* One member frame, sealed with the member's keys derived from the store's secrets. */
static void seal(struct store *st, const char *spec, struct grpsec_uplink *u, uint8_t *buf,
		 unsigned int *mode)
{
	struct grpsec_member_config cfg = { 0 };
	uint8_t km[GRPSEC_KEY_MAX_LEN], inner[GRPSEC_KEY_MAX_LEN];
	unsigned int group, member;
	struct grpsec_member *m;
	unsigned long long mseq;
	struct store_group g;
	struct store_epoch e;
	size_t kl, len;
	int off = 0;

	if (sscanf(spec, "%u:%u:%llu:%n", &group, &member, &mseq, &off) != 3 || !off || !mseq)
		die("bad message, want GROUP:MEMBER:MSEQ:TEXT", spec);
	if (store_group_get(st, group, &g) < 0 || store_epoch_get(st, group, g.epoch, &e) < 0)
		die(spec, store_error(st));
	kl = grpsec_suite_key_len(g.suite);
	/* The outer key needs a member id; an anonymous member's stays with the gateway. */
	if (grpsec_kdf_member_key(g.suite, e.s_auth, group, g.epoch, member ? member : 1, km,
				  kl) < 0)
		die(spec, "no member key");
	if (g.mode == GRPSEC_MODE_IDENTIFIED)
		grpsec_kdf_e2e_key(g.suite, e.s_e2e, group, g.epoch, member, inner, kl);
	else
		memcpy(inner, e.k_g, kl);
	cfg = (struct grpsec_member_config){
		.group = group, .member = member ? member : 1, .epoch = g.epoch, .mode = g.mode,
		.suite = g.suite, .member_key = km, .inner_key = inner,
		.seq_reserved = mseq - 1,
	};
	if (grpsec_member_new(&cfg, &m) < 0 ||
	    grpsec_member_seal_uplink(m, (const uint8_t *)spec + off, strlen(spec + off), buf,
				      GRPSEC_UPLINK_MAX_LEN, &len) < 0 ||
	    grpsec_uplink_parse(buf, len, u) < 0)
		die(spec, "cannot seal");
	*mode = g.mode;
	grpsec_member_free(m);
	OPENSSL_cleanse(&e, sizeof(e));
	OPENSSL_cleanse(km, sizeof(km));
	OPENSSL_cleanse(inner, sizeof(inner));
}

static int build(int argc, char **argv)
{
	static uint8_t frames[64][GRPSEC_UPLINK_MAX_LEN], out[GRPSEC_BATCH_MAX_LEN];
	uint8_t master[STORE_MASTER_KEY_LEN], kup[GRPSEC_KEY_MAX_LEN];
	struct grpsec_batch_builder bb;
	struct grpsec_uplink u;
	char err[STORE_ERR_LEN];
	unsigned int mode;
	struct store *st;
	unsigned int suite;
	size_t len;
	int i;

	if (argc < 9 || argc - 8 > 64)
		die("usage", "build DB KEYFILE KUPFILE SUITE GATEWAY SEQ MSG...");
	for (suite = 1; grpsec_suite_name(suite) && strcmp(grpsec_suite_name(suite), argv[5]);
	     suite++)
		;
	if (!grpsec_suite_name(suite))
		die("bad suite", argv[5]);
	if (keystore_load(argv[3], master, err) < 0 ||
	    keystore_read_key(argv[4], kup, grpsec_suite_key_len(suite), err) < 0 ||
	    store_open(argv[2], master, &st, err) < 0)
		die("keys or database", err);
	if (grpsec_batch_init(&bb, out, sizeof(out), (uint32_t)atol(argv[6]), suite) < 0)
		die("bad gateway", argv[6]);
	for (i = 8; i < argc; i++) {
		seal(st, argv[i], &u, frames[i - 8], &mode);
		if (grpsec_batch_add_uplink(&bb, mode, &u) < 0)
			die("batch full", argv[i]);
	}
	if (grpsec_batch_seal(&bb, strtoull(argv[7], NULL, 10), kup, &len) < 0)
		die("cannot seal the batch", argv[7]);
	store_close(st);
	OPENSSL_cleanse(kup, sizeof(kup));
	return fwrite(out, 1, len, stdout) == len ? 0 : 1;
}

static int send_file(int argc, char **argv)
{
	static uint8_t buf[GRPSEC_BATCH_MAX_LEN];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	FILE *f;
	size_t len;
	int fd;

	if (argc != 5 || inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1)
		die("usage", "send ADDR PORT FILE");
	sin.sin_port = htons((uint16_t)atoi(argv[3]));
	f = fopen(argv[4], "rb");
	if (!f)
		die(argv[4], strerror(errno));
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&sin, sizeof(sin)) != (ssize_t)len)
		die("sendto", strerror(errno));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "build"))
		return build(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "send"))
		return send_file(argc, argv);
	die("usage", "build ... | send ...");
	return 2;
}
