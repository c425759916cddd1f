// SPDX-License-Identifier: GPL-2.0
/*
 * helper-gwclient: the gateway's end of the control channel
 * (control_client.c) on its own event loop, without the kernel part, for
 * the host tests (grpsecd.control_*):
 *
 *   run CONF DIR
 *       connect to [Control] Manager of CONF and keep d->want as the
 *       manager says.  After every change, DIR/state.txt (rewritten
 *       atomically) lists the client's counters, the upstream, the groups
 *       and the members (ids and epochs, never a key); the keys go to
 *       DIR/kup.key (K_up, raw) and DIR/members.keys (each member's
 *       current K_m), mode 0600, for the checks below.  A file DIR/query
 *       holding "GROUP MEMBER" is taken as the module's unknown-member
 *       event (the hook kernel.c calls).  SIGTERM stops it.
 *   keys-match KEYS STATE
 *       the K_m of every group in a device's state file (what its
 *       enrollment answer carried) equals the one in KEYS for that member
 *       and epoch: prints "keys match: N groups", or what differs
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <linux/grpsec.h>
#include "grpsec.h"
#include "grpsec_enroll.h"

#include "../../common/value.h"
#include "../conf.h"
#include "../control.h"
#include "../grpsecd.h"
#include "../gwstate.h"
#include "../log.h"
#include "../loop.h"

#define KEYS_REC_LEN	(13 + GRPSEC_KEY_MAX_LEN)

struct run {
	struct grpsecd *d;
	const char *dir;
	uint64_t generation;
	struct control_client_stats stats;
	bool written;
};

static int die(const char *what, const char *detail)
{
	fprintf(stderr, "helper-gwclient: %s: %s\n", what, detail);
	exit(1);
}

/* Write @len bytes to DIR/NAME through a temporary file and a rename. */
static void put_file(const char *dir, const char *name, const void *p, size_t len)
{
	char tmp[4096], path[4096];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, p, len) != (ssize_t)len || close(fd) || rename(tmp, path))
		die(path, strerror(errno));
}

struct dump {
	char *text;
	size_t text_len;
	FILE *f;
	uint8_t *keys;
	size_t nkeys, cap;
};

static int dump_member(const struct gw_member *m, void *arg)
{
	struct dump *dm = arg;
	uint8_t *r;

	fprintf(dm->f, "member group=%" PRIu32 " id=%" PRIu32 " cur=%" PRIu32 " next=%" PRIu32 "\n",
		m->group, m->id, m->cur.set ? m->cur.epoch : 0, m->next.set ? m->next.epoch : 0);
	if (dm->nkeys == dm->cap) {
		uint8_t *k = calloc((dm->cap = dm->cap ? 2 * dm->cap : 64), KEYS_REC_LEN);

		if (!k)
			die("dump", "out of memory");
		if (dm->keys) {
			memcpy(k, dm->keys, dm->nkeys * KEYS_REC_LEN);
			OPENSSL_cleanse(dm->keys, dm->nkeys * KEYS_REC_LEN);
			free(dm->keys);
		}
		dm->keys = k;
	}
	r = dm->keys + dm->nkeys++ * KEYS_REC_LEN;
	memcpy(r, &m->group, 4);
	memcpy(r + 4, &m->id, 4);
	memcpy(r + 8, &m->cur.epoch, 4);
	memcpy(r + 13, m->cur.key, GRPSEC_KEY_MAX_LEN);
	return 0;
}

static void dump(struct run *r)
{
	const struct gwstate *w = r->d->want;
	const struct control_client_stats *s = &r->stats;
	struct dump dm = { 0 };
	char ep[ENDPOINT_STRLEN] = "-";

	dm.f = open_memstream(&dm.text, &dm.text_len);
	if (!dm.f)
		die("dump", "out of memory");
	fprintf(dm.f, "connects=%" PRIu64 " pushes=%" PRIu64 " failures=%" PRIu64
		" backoff_ms=%" PRIu64 " queries=%" PRIu64 " queries_dropped=%" PRIu64
		" bad=%" PRIu64 "\n", s->connects, s->pushes, s->failures, s->last_backoff_ms,
		s->queries, s->queries_dropped, s->bad_messages);
	if (w->upstream.set) {
		format_endpoint(&w->upstream.endpoint, ep, sizeof(ep));
		fprintf(dm.f, "upstream gateway=%" PRIu32 " suite=%u endpoint=%s floor=%" PRIu64
			" listen=%u\n", w->upstream.gateway, w->upstream.suite, ep,
			w->upstream.seq_floor, w->listen_port);
		put_file(r->dir, "kup.key", w->upstream.key,
			 grpsec_suite_key_len(w->upstream.suite));
	}
	for (size_t i = 0; i < w->ngroups; i++)
		fprintf(dm.f, "group id=%" PRIu32 " suite=%u mode=%u flags=%" PRIu32
			" msg_limit=%" PRIu64 " rate_limit=%" PRIu32 " k_g=%s\n", w->groups[i].id,
			w->groups[i].suite, w->groups[i].mode, w->groups[i].flags,
			w->groups[i].msg_limit, w->groups[i].rate_limit,
			w->groups[i].cur.set ? "yes" : "no");
	gwstate_member_each(w, 0, dump_member, &dm);
	fprintf(dm.f, "groups=%zu members=%zu\n", w->ngroups, w->nmembers);
	fclose(dm.f);
	put_file(r->dir, "members.keys", dm.keys ? (void *)dm.keys : (void *)"", dm.nkeys * KEYS_REC_LEN);
	put_file(r->dir, "state.txt", dm.text, dm.text_len);
	if (dm.keys) {
		OPENSSL_cleanse(dm.keys, dm.cap * KEYS_REC_LEN);
		free(dm.keys);
	}
	free(dm.text);
}

static void on_poll(struct loop_timer *t, void *arg)
{
	struct run *r = arg;
	struct control_client_stats s;
	char path[4096];
	unsigned int g, m;
	FILE *f;

	(void)t;
	snprintf(path, sizeof(path), "%s/query", r->dir);
	f = fopen(path, "r");
	if (f) {
		while (fscanf(f, "%u %u", &g, &m) == 2)
			control_client_query(r->d, g, m);
		fclose(f);
		unlink(path);
	}
	control_client_get_stats(r->d, &s);
	if (r->written && r->generation == r->d->want->generation &&
	    !memcmp(&s, &r->stats, sizeof(s)))
		return;
	r->stats = s;
	r->generation = r->d->want->generation;
	r->written = true;
	dump(r);
}

static void on_term(int signo, void *arg)
{
	(void)signo;
	loop_stop(arg, 0);
}

static int run(const char *conf, const char *dir)
{
	struct grpsecd d = { .role = GRPSECD_GATEWAY, .conf_path = conf };
	struct loop_timer *poll;
	struct run r = { .d = &d, .dir = dir };
	int rc;

	log_init(true);
	signal(SIGPIPE, SIG_IGN);
	d.conf = conf_load(conf);
	if (!d.conf || conf_check_gateway(d.conf))
		return 1;
	d.loop = loop_new();
	if (!d.loop || loop_signal_add(d.loop, SIGTERM, on_term, d.loop) ||
	    control_client_part.init(&d))
		return 1;
	poll = loop_timer_add(d.loop, 50, 50, on_poll, &r);
	rc = loop_run(d.loop);
	loop_timer_del(poll);
	control_client_part.uninit(&d);
	loop_free(d.loop);
	conf_free(d.conf);
	return rc < 0 ? 1 : rc;
}

/* The record of (@group, @member) in the keys file, or NULL. */
static const uint8_t *keys_find(const uint8_t *keys, size_t len, uint32_t group,
				uint32_t member)
{
	for (size_t off = 0; off + KEYS_REC_LEN <= len; off += KEYS_REC_LEN)
		if (!memcmp(keys + off, &group, 4) && !memcmp(keys + off + 4, &member, 4))
			return keys + off;
	return NULL;
}

static int keys_match(const char *keys_path, const char *state_path)
{
	static uint8_t keys[KEYS_REC_LEN * 65536];
	const struct grpsec_enroll_answer *a;
	struct grpsec_state *st;
	char err[256];
	size_t len;
	FILE *f = fopen(keys_path, "rb");
	int bad = 0;

	if (!f)
		die(keys_path, strerror(errno));
	len = fread(keys, 1, sizeof(keys), f);
	fclose(f);
	if (grpsec_state_open(state_path, &st, err, sizeof(err)))
		die(state_path, err);
	a = grpsec_state_answer(st);
	for (unsigned int i = 0; i < a->n_groups; i++) {
		const struct grpsec_enroll_group *g = &a->groups[i];
		const uint8_t *r = keys_find(keys, len, g->group, a->member);
		uint32_t epoch;

		if (!r) {
			printf("group %u: the gateway does not hold member %u\n", g->group, a->member);
			bad++;
			continue;
		}
		memcpy(&epoch, r + 8, 4);
		if (epoch != g->epochs[0].epoch ||
		    CRYPTO_memcmp(r + 13, g->epochs[0].member_key, grpsec_suite_key_len(g->suite))) {
			printf("group %u: member %u's K_m at the gateway differs from the device's\n",
			       g->group, a->member);
			bad++;
		}
	}
	if (!bad)
		printf("keys match: %u groups\n", a->n_groups);
	grpsec_state_free(st);
	OPENSSL_cleanse(keys, len);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "run"))
		return run(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "keys-match"))
		return keys_match(argv[2], argv[3]);
	die("usage", "run CONF DIR | keys-match KEYS STATE");
	return 2;
}
