// SPDX-License-Identifier: GPL-2.0
/*
 * helper-enroll: what the enrollment tests and the benchmark drive.
 *
 *   check STATE DB MASTERKEY
 *       every key in a device's state file is the one keys.rst derives
 *       from the database's secrets, and K_wrap,m the one the manager
 *       stored; prints "keys match" or what differs (never a key)
 *   exporter DB MASTERKEY MEMBER GROUP EXPORTER-HEX
 *       K_wrap,m derived from a TLS exporter value (as another client
 *       printed it) equals the one the manager stored: "wrap key match"
 *   storm MANAGER CA DIR N_CERT N_PSK CONCURRENCY [ROUNDS]
 *       N_CERT + N_PSK enrollments (DIR/dev-I.pem/.key, DIR/psk-I.psk,
 *       sha256 for even I, sha384 for odd), CONCURRENCY at a time, ROUNDS
 *       times over; prints counts, distinct member ids and the rate
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "grpsec.h"
#include "grpsec_enroll.h"
#include "../keystore.h"
#include "../store.h"

static int open_store(const char *db, const char *master_path, struct store **st)
{
	uint8_t master[STORE_MASTER_KEY_LEN];
	char err[STORE_ERR_LEN];
	int r = keystore_load(master_path, master, err);

	if (!r)
		r = store_open(db, master, st, err);
	OPENSSL_cleanse(master, sizeof(master));
	if (r)
		printf("cannot open %s: %s\n", db, err);
	return r;
}

static bool same(const uint8_t *a, const uint8_t *b, size_t len)
{
	return a && b && !CRYPTO_memcmp(a, b, len);
}

/* One group of the answer against the database; prints what differs. */
static int check_group(struct store *st, uint32_t member, const struct grpsec_enroll_group *g)
{
	size_t kl = grpsec_suite_key_len(g->suite);
	int bad = 0;

	for (unsigned int j = 0; j < g->n_epochs; j++) {
		const struct grpsec_enroll_epoch *e = &g->epochs[j];
		struct store_epoch ep;
		uint8_t k[GRPSEC_KEY_MAX_LEN];

		if (store_epoch_get(st, g->group, e->epoch, &ep)) {
			printf("group %u epoch %u: %s\n", g->group, e->epoch, store_error(st));
			return 1;
		}
		if (grpsec_kdf_member_key(g->suite, ep.s_auth, g->group, e->epoch, member, k, kl) ||
		    !same(k, e->member_key, kl))
			bad += printf("group %u epoch %u: K_m differs\n", g->group, e->epoch) > 0;
		if (g->mode == GRPSEC_MODE_IDENTIFIED &&
		    (grpsec_kdf_e2e_key(g->suite, ep.s_e2e, g->group, e->epoch, member, k, kl) ||
		     !same(k, e->e2e_key, kl)))
			bad += printf("group %u epoch %u: K_e,m differs\n", g->group, e->epoch) > 0;
		if (e->group_key && !same(ep.k_g, e->group_key, kl))
			bad += printf("group %u epoch %u: K_G differs\n", g->group, e->epoch) > 0;
		if (g->mode == GRPSEC_MODE_ANONYMOUS && !e->group_key)
			bad += printf("group %u: anonymous without K_G\n", g->group) > 0;
		OPENSSL_cleanse(&ep, sizeof(ep));
		OPENSSL_cleanse(k, sizeof(k));
	}
	return bad;
}

static int wrap_key_matches(struct store *st, uint32_t member, uint32_t group,
			    const uint8_t *wrap_key)
{
	uint8_t stored[STORE_WRAP_KEY_LEN];
	struct store_member m;
	int ok = !store_member_get(st, member, group, &m, stored) &&
		 same(stored, wrap_key, sizeof(stored));

	OPENSSL_cleanse(stored, sizeof(stored));
	return ok;
}

static int cmd_check(char **argv)
{
	struct grpsec_state *gs;
	struct store *st;
	const struct grpsec_enroll_answer *a;
	char err[256];
	int bad = 0;

	if (grpsec_state_open(argv[0], &gs, err, sizeof(err))) {
		printf("%s\n", err);
		return 1;
	}
	if (open_store(argv[1], argv[2], &st)) {
		grpsec_state_free(gs);
		return 1;
	}
	a = grpsec_state_answer(gs);
	for (unsigned int i = 0; i < a->n_groups; i++) {
		bad += check_group(st, a->member, &a->groups[i]);
		if (!wrap_key_matches(st, a->member, a->groups[i].group, grpsec_state_wrap_key(gs)))
			bad += printf("member %u group %u: K_wrap,m differs from the stored one\n",
				      a->member, a->groups[i].group) > 0;
	}
	if (!bad)
		printf("keys match: member %u, %u groups\n", a->member, a->n_groups);
	store_close(st);
	grpsec_state_free(gs);
	return bad ? 1 : 0;
}

static int cmd_exporter(char **argv)
{
	uint8_t secret[GRPSEC_SECRET_LEN], wrap[GRPSEC_WRAP_KEY_LEN];
	uint32_t member = (uint32_t)strtoul(argv[2], NULL, 10);
	uint32_t group = (uint32_t)strtoul(argv[3], NULL, 10);
	const char *hex = argv[4];
	struct store *st;
	int ok;

	if (strlen(hex) != 2 * sizeof(secret)) {
		printf("the exporter value must be %zu hex digits\n", 2 * sizeof(secret));
		return 1;
	}
	for (size_t i = 0; i < sizeof(secret); i++) {
		char d[3] = { hex[2 * i], hex[2 * i + 1], 0 };

		secret[i] = (uint8_t)strtoul(d, NULL, 16);
	}
	if (open_store(argv[0], argv[1], &st))
		return 1;
	ok = !grpsec_kdf_wrap_key(secret, member, wrap) && wrap_key_matches(st, member, group, wrap);
	printf(ok ? "wrap key match\n" : "wrap key differs\n");
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(wrap, sizeof(wrap));
	store_close(st);
	return ok ? 0 : 1;
}

struct storm {
	const char *manager, *ca, *dir;
	unsigned int n_cert, n_psk, rounds;
	atomic_uint next;
	atomic_uint enrolled, refused, failed;
	uint32_t *members;		/* by job */
	char first_error[512];
	pthread_mutex_t lock;
};

static size_t read_hex_file(const char *path, uint8_t *out, size_t size)
{
	char text[2 * GRPSEC_PSK_MAX_LEN + 4];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (fgets(text, sizeof(text), f))
		for (; isxdigit((unsigned char)text[2 * n]) && n < size; n++) {
			char d[3] = { text[2 * n], text[2 * n + 1], 0 };

			out[n] = (uint8_t)strtoul(d, NULL, 16);
		}
	fclose(f);
	OPENSSL_cleanse(text, sizeof(text));
	return n;
}

static void storm_one(struct storm *s, unsigned int job)
{
	static const uint32_t groups[] = { 7, 8 };
	unsigned int i = job % (s->n_cert + s->n_psk);
	struct grpsec_enroll_config c = {
		.manager = s->manager, .groups = groups, .n_groups = 2, .timeout_ms = 60000,
	};
	char cert[512], key[512], id[64], err[512];
	uint8_t psk[GRPSEC_PSK_MAX_LEN];
	struct grpsec_enrollment *e = malloc(sizeof(*e));
	int r;

	if (!e) {
		s->failed++;
		return;
	}
	if (i < s->n_cert) {
		snprintf(cert, sizeof(cert), "%s/dev-%u.pem", s->dir, i);
		snprintf(key, sizeof(key), "%s/dev-%u.key", s->dir, i);
		c.cert_file = cert;
		c.key_file = key;
		c.ca_file = s->ca;
	} else {
		i -= s->n_cert;
		snprintf(id, sizeof(id), "psk-%u", i);
		snprintf(cert, sizeof(cert), "%s/psk-%u.psk", s->dir, i);
		c.psk_identity = id;
		c.psk = psk;
		c.psk_len = read_hex_file(cert, psk, sizeof(psk));
		c.psk_hash = i % 2 ? GRPSEC_PSK_SHA384 : GRPSEC_PSK_SHA256;
		c.n_groups = 1;
	}
	r = grpsec_enroll(&c, e, err, sizeof(err));
	if (!r) {
		s->enrolled++;
		s->members[job] = e->answer.member;
	} else {
		if (r == -EACCES)
			s->refused++;
		else
			s->failed++;
		pthread_mutex_lock(&s->lock);
		if (!s->first_error[0])
			snprintf(s->first_error, sizeof(s->first_error), "%s", err);
		pthread_mutex_unlock(&s->lock);
	}
	OPENSSL_cleanse(psk, sizeof(psk));
	grpsec_enrollment_wipe(e);
	free(e);
}

static void *storm_worker(void *arg)
{
	struct storm *s = arg;
	unsigned int total = (s->n_cert + s->n_psk) * s->rounds, job;

	while ((job = s->next++) < total)
		storm_one(s, job);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_storm(int argc, char **argv)
{
	struct storm s = { .manager = argv[0], .ca = argv[1], .dir = argv[2] };
	unsigned int conc = (unsigned int)strtoul(argv[5], NULL, 10), total, distinct = 0;
	pthread_attr_t attr;
	pthread_t *t;
	double t0, dt;

	s.n_cert = (unsigned int)strtoul(argv[3], NULL, 10);
	s.n_psk = (unsigned int)strtoul(argv[4], NULL, 10);
	s.rounds = argc > 6 ? (unsigned int)strtoul(argv[6], NULL, 10) : 1;
	total = (s.n_cert + s.n_psk) * s.rounds;
	s.members = calloc(total ? total : 1, sizeof(*s.members));
	t = calloc(conc ? conc : 1, sizeof(*t));
	if (!s.members || !t || !conc || !total)
		return 2;
	pthread_mutex_init(&s.lock, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	t0 = now_s();
	for (unsigned int i = 0; i < conc; i++)
		if (pthread_create(&t[i], &attr, storm_worker, &s)) {
			conc = i;
			break;
		}
	for (unsigned int i = 0; i < conc; i++)
		pthread_join(t[i], NULL);
	dt = now_s() - t0;
	qsort(s.members, total, sizeof(*s.members), cmp_u32);
	for (unsigned int i = 0; i < total; i++)
		distinct += s.members[i] && (!i || s.members[i] != s.members[i - 1]);
	printf("enrolled=%u refused=%u failed=%u distinct_members=%u threads=%u elapsed_s=%.3f rate=%.1f\n",
	       (unsigned int)s.enrolled, (unsigned int)s.refused, (unsigned int)s.failed, distinct,
	       conc, dt, dt > 0 ? s.enrolled / dt : 0);
	if (s.first_error[0])
		printf("first error: %s\n", s.first_error);
	free(s.members);
	free(t);
	return s.enrolled == total && distinct == total ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "check"))
		return cmd_check(argv + 2);
	if (argc == 7 && !strcmp(argv[1], "exporter"))
		return cmd_exporter(argv + 2);
	if ((argc == 8 || argc == 9) && !strcmp(argv[1], "storm"))
		return cmd_storm(argc - 2, argv + 2);
	fprintf(stderr, "usage: helper-enroll check STATE DB MASTERKEY\n"
		"       helper-enroll exporter DB MASTERKEY MEMBER GROUP EXPORTER-HEX\n"
		"       helper-enroll storm MANAGER CA DIR N_CERT N_PSK CONCURRENCY [ROUNDS]\n");
	return 2;
}
