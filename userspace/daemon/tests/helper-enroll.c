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
 *   rollover DB MASTERKEY GROUP
 *       start a rollover of GROUP: its next epoch, with fresh secrets, as
 *       a rekey would (part 2); prints "next epoch E"
 *   revoke DB MASTERKEY IDENTITY
 *       revoke the device with that identity, as grpsecctl revoke would
 *   storm MANAGER CA DIR N_CERT N_PSK CONCURRENCY [ROUNDS]
 *       N_CERT + N_PSK enrollments (DIR/dev-I.pem/.key, DIR/psk-I.psk,
 *       sha256 for even I, sha384 for odd), CONCURRENCY at a time, ROUNDS
 *       times over; prints counts, distinct member ids and the rate
 *   mtls CERT KEY CA DIR N_CERT REPORTS CONCURRENCY
 *       the baseline: a mutual-TLS-per-report backend (one thread, as the
 *       manager) and REPORTS clients, each a full TLS 1.3 handshake with
 *       a device certificate (DIR/dev-I), one 64-byte report, one byte of
 *       acknowledgement; prints the reports per second
 *   reports MEMBERS REPORTS
 *       the same reports the grpsec way: REPORTS uplink frames from
 *       MEMBERS members of an identified group (64-byte payloads), verified
 *       and batched as the gateway does, then opened by the backend
 *       (libgrpsec); prints the backend's messages opened per second
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
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

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
	if (!bad) {
		printf("keys match: member %u, groups", a->member);
		for (unsigned int i = 0; i < a->n_groups; i++)
			printf(" %u (epochs %u%s%.0u)", a->groups[i].group, a->groups[i].epochs[0].epoch,
			       a->groups[i].n_epochs > 1 ? "," : "",
			       a->groups[i].n_epochs > 1 ? a->groups[i].epochs[1].epoch : 0);
		printf("\n");
	}
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

static int cmd_rollover(char **argv)
{
	uint32_t id = (uint32_t)strtoul(argv[2], NULL, 10);
	struct store_group g;
	struct store_epoch e = { .group = id };
	struct store *st;
	int r;

	if (open_store(argv[0], argv[1], &st))
		return 1;
	r = store_group_get(st, id, &g);
	if (!r) {
		e.epoch = g.epoch + 1;
		e.k_g_len = (uint8_t)grpsec_suite_key_len(g.suite);
		r = grpsec_random(e.s_auth, sizeof(e.s_auth)) ||
		    grpsec_random(e.s_e2e, sizeof(e.s_e2e)) || grpsec_random(e.k_g, e.k_g_len) ?
		    -EIO : store_epoch_create(st, &e);
	}
	OPENSSL_cleanse(&e, sizeof(e));
	if (r)
		printf("cannot roll group %u over: %s\n", id, store_error(st));
	else
		printf("next epoch %u\n", g.epoch + 1);
	store_close(st);
	return r ? 1 : 0;
}

static int cmd_revoke(char **argv)
{
	struct store_device dev;
	struct store *st;
	int r;

	if (open_store(argv[0], argv[1], &st))
		return 1;
	r = store_device_find(st, 0, argv[2], &dev);
	if (!r)
		r = store_device_revoke(st, dev.id, NULL);
	printf(r ? "cannot revoke \"%s\": %s\n" : "revoked %s\n", argv[2],
	       r ? store_error(st) : "");
	store_close(st);
	return r ? 1 : 0;
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

struct mtls {
	SSL_CTX *srv, *cli[2];
	int lfd;
	unsigned int reports, n_cert;
	atomic_uint next, done, failed;
	const char *dir;
	struct sockaddr_in addr;
	double server_cpu_s;		/* the backend thread's CPU time */
};

static SSL_CTX *mtls_ctx(bool server, const char *cert, const char *key, const char *ca)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    !SSL_CTX_load_verify_locations(ctx, ca, NULL)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* The backend of the baseline: one connection at a time, one report each. */
static void *mtls_server(void *arg)
{
	struct mtls *m = arg;
	uint8_t report[64], ack = 1;
	struct timespec cpu;

	for (unsigned int i = 0; i < m->reports; i++) {
		int fd = accept(m->lfd, NULL, NULL);
		SSL *ssl = fd < 0 ? NULL : SSL_new(m->srv);

		if (ssl && SSL_set_fd(ssl, fd) && SSL_accept(ssl) == 1 &&
		    SSL_read(ssl, report, sizeof(report)) == sizeof(report))
			SSL_write(ssl, &ack, 1);
		if (ssl)
			SSL_shutdown(ssl);
		SSL_free(ssl);
		if (fd >= 0)
			close(fd);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	m->server_cpu_s = (double)cpu.tv_sec + cpu.tv_nsec / 1e9;
	return NULL;
}

static void *mtls_client(void *arg)
{
	struct mtls *m = arg;
	uint8_t report[64] = { 0 }, ack = 0;
	unsigned int job;

	while ((job = m->next++) < m->reports) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		SSL *ssl = SSL_new(m->cli[job % 2]);
		bool ok = fd >= 0 && ssl &&
			  !connect(fd, (struct sockaddr *)&m->addr, sizeof(m->addr)) &&
			  SSL_set_fd(ssl, fd) && SSL_connect(ssl) == 1 &&
			  SSL_write(ssl, report, sizeof(report)) == sizeof(report) &&
			  SSL_read(ssl, &ack, 1) == 1;

		if (ok)
			m->done++;
		else
			m->failed++;
		if (ssl)
			SSL_shutdown(ssl);
		SSL_free(ssl);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static int cmd_mtls(char **argv)
{
	struct mtls m = { .dir = argv[3] };
	unsigned int conc = (unsigned int)strtoul(argv[6], NULL, 10);
	char cert[512], key[512];
	socklen_t len = sizeof(m.addr);
	pthread_t srv, *t;
	double t0, dt;

	m.n_cert = (unsigned int)strtoul(argv[4], NULL, 10);
	m.reports = (unsigned int)strtoul(argv[5], NULL, 10);
	m.srv = mtls_ctx(true, argv[0], argv[1], argv[2]);
	for (unsigned int i = 0; i < 2; i++) {
		snprintf(cert, sizeof(cert), "%s/dev-%u.pem", m.dir, i % (m.n_cert ? m.n_cert : 1));
		snprintf(key, sizeof(key), "%s/dev-%u.key", m.dir, i % (m.n_cert ? m.n_cert : 1));
		m.cli[i] = mtls_ctx(false, cert, key, argv[2]);
	}
	m.addr.sin_family = AF_INET;
	m.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	m.lfd = socket(AF_INET, SOCK_STREAM, 0);
	t = calloc(conc ? conc : 1, sizeof(*t));
	if (!m.srv || !m.cli[0] || !m.cli[1] || m.lfd < 0 || !t || !conc ||
	    bind(m.lfd, (struct sockaddr *)&m.addr, sizeof(m.addr)) || listen(m.lfd, 4096) ||
	    getsockname(m.lfd, (struct sockaddr *)&m.addr, &len)) {
		printf("mtls: setup failed\n");
		return 2;
	}
	t0 = now_s();
	pthread_create(&srv, NULL, mtls_server, &m);
	for (unsigned int i = 0; i < conc; i++)
		pthread_create(&t[i], NULL, mtls_client, &m);
	for (unsigned int i = 0; i < conc; i++)
		pthread_join(t[i], NULL);
	pthread_join(srv, NULL);
	dt = now_s() - t0;
	printf("reports=%u failed=%u threads=%u elapsed_s=%.3f rate=%.1f backend_cpu_s=%.2f per_backend_cpu_s=%.1f\n",
	       (unsigned int)m.done, (unsigned int)m.failed, conc, dt, dt > 0 ? m.done / dt : 0,
	       m.server_cpu_s, m.server_cpu_s > 0 ? m.done / m.server_cpu_s : 0);
	close(m.lfd);
	SSL_CTX_free(m.srv);
	SSL_CTX_free(m.cli[0]);
	SSL_CTX_free(m.cli[1]);
	free(t);
	return m.done == m.reports ? 0 : 1;
}

static int seen_cb(void *arg, const struct grpsec_entry *e)
{
	unsigned int *ok = arg;

	*ok += e->status == GRPSEC_ENTRY_OK;
	return 0;
}

/* Gateway side: @n frames of members 1..@members into batches in @out. */
static size_t build_batches(unsigned int members, unsigned int n, const uint8_t *s_auth,
			    const uint8_t *s_e2e, const uint8_t *k_up, uint8_t *out,
			    size_t *lens, unsigned int *n_batches)
{
	struct grpsec_member **m = calloc(members, sizeof(*m));
	struct grpsec_batch_builder b;
	uint8_t frame[GRPSEC_UPLINK_MAX_LEN], payload[64] = { 0 }, km[16], ke[16];
	size_t flen, total = 0;
	unsigned int nb = 0;

	for (unsigned int i = 0; m && i < members; i++) {
		struct grpsec_member_config mc = {
			.group = 1, .member = i + 1, .mode = GRPSEC_MODE_IDENTIFIED,
			.suite = GRPSEC_SUITE_AES_128_GCM, .member_key = km, .inner_key = ke,
		};

		grpsec_kdf_member_key(1, s_auth, 1, 0, i + 1, km, sizeof(km));
		grpsec_kdf_e2e_key(1, s_e2e, 1, 0, i + 1, ke, sizeof(ke));
		if (grpsec_member_new(&mc, &m[i]))
			return 0;
	}
	grpsec_batch_init(&b, out, GRPSEC_BATCH_MAX_LEN, 1, GRPSEC_SUITE_AES_128_GCM);
	for (unsigned int i = 0; m && i < n; i++) {
		struct grpsec_uplink u;
		unsigned int k = i % members;

		grpsec_kdf_member_key(1, s_auth, 1, 0, k + 1, km, sizeof(km));
		if (grpsec_member_seal_uplink(m[k], payload, sizeof(payload), frame, sizeof(frame),
					      &flen) || grpsec_uplink_parse(frame, flen, &u) ||
		    grpsec_uplink_verify(&u, GRPSEC_MODE_IDENTIFIED, km))
			return 0;
		if (b.count == 32 || grpsec_batch_add_uplink(&b, GRPSEC_MODE_IDENTIFIED, &u)) {
			grpsec_batch_seal(&b, nb + 1, k_up, &lens[nb]);
			total += lens[nb++];
			grpsec_batch_init(&b, out + total, GRPSEC_BATCH_MAX_LEN, 1,
					  GRPSEC_SUITE_AES_128_GCM);
			grpsec_batch_add_uplink(&b, GRPSEC_MODE_IDENTIFIED, &u);
		}
	}
	if (b.count) {
		grpsec_batch_seal(&b, nb + 1, k_up, &lens[nb]);
		total += lens[nb++];
	}
	for (unsigned int i = 0; m && i < members; i++)
		grpsec_member_free(m[i]);
	free(m);
	*n_batches = nb;
	return total;
}

static int cmd_reports(char **argv)
{
	unsigned int members = (unsigned int)strtoul(argv[0], NULL, 10);
	unsigned int n = (unsigned int)strtoul(argv[1], NULL, 10), nb = 0, ok = 0;
	uint8_t s_auth[32], s_e2e[32], k_up[16];
	size_t *lens = calloc(n / 32 + 2, sizeof(*lens)), total, off = 0;
	uint8_t *batches = malloc((size_t)(n / 32 + 2) * GRPSEC_BATCH_MAX_LEN);
	struct grpsec_backend_config cfg = { .gateway = 1, .suite = 1, .upstream_key = k_up };
	struct grpsec_backend_group g = { .group = 1, .mode = GRPSEC_MODE_IDENTIFIED,
					  .suite = 1, .key = s_e2e };
	struct grpsec_backend *be;
	double t0, dt;

	grpsec_random(s_auth, sizeof(s_auth));
	grpsec_random(s_e2e, sizeof(s_e2e));
	grpsec_random(k_up, sizeof(k_up));
	if (!lens || !batches || !members || !n)
		return 2;
	total = build_batches(members, n, s_auth, s_e2e, k_up, batches, lens, &nb);
	if (!total || grpsec_backend_new(&cfg, &be) || grpsec_backend_add_group(be, &g))
		return 2;
	t0 = now_s();
	for (unsigned int i = 0; i < nb; off += lens[i++])
		grpsec_backend_open_batch(be, batches + off, lens[i], NULL, seen_cb, &ok);
	dt = now_s() - t0;
	printf("reports=%u batches=%u elapsed_s=%.3f rate=%.1f\n", ok, nb, dt, dt > 0 ? ok / dt : 0);
	grpsec_backend_free(be);
	OPENSSL_cleanse(s_auth, sizeof(s_auth));
	OPENSSL_cleanse(s_e2e, sizeof(s_e2e));
	OPENSSL_cleanse(k_up, sizeof(k_up));
	free(lens);
	free(batches);
	return ok == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "check"))
		return cmd_check(argv + 2);
	if (argc == 7 && !strcmp(argv[1], "exporter"))
		return cmd_exporter(argv + 2);
	if ((argc == 8 || argc == 9) && !strcmp(argv[1], "storm"))
		return cmd_storm(argc - 2, argv + 2);
	if (argc == 9 && !strcmp(argv[1], "mtls"))
		return cmd_mtls(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "rollover"))
		return cmd_rollover(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "revoke"))
		return cmd_revoke(argv + 2);
	if (argc == 4 && !strcmp(argv[1], "reports"))
		return cmd_reports(argv + 2);
	fprintf(stderr, "usage: helper-enroll check STATE DB MASTERKEY\n"
		"       helper-enroll exporter DB MASTERKEY MEMBER GROUP EXPORTER-HEX\n"
		"       helper-enroll storm MANAGER CA DIR N_CERT N_PSK CONCURRENCY [ROUNDS]\n"
		"       helper-enroll mtls CERT KEY CA DIR N_CERT REPORTS CONCURRENCY\n"
		"       helper-enroll reports MEMBERS REPORTS\n"
		"       helper-enroll rollover DB MASTERKEY GROUP\n"
		"       helper-enroll revoke DB MASTERKEY IDENTITY\n");
	return 2;
}
