// SPDX-License-Identifier: GPL-2.0
/*
 * Numbers for performance.rst, not a test:
 *
 *   helper-bench store DB KEYFILE N
 *       N enrollments (two groups each) through store_enroll(), one
 *       committed transaction each: enrollments per second
 *   helper-bench backend KEYFILE MEMBERS BATCHES
 *       BATCHES batches of 32 messages from MEMBERS identified members,
 *       sent over UDP by a child, opened by backend.c (saves included,
 *       SQLite) and read as records by a second child: messages per
 *       second of the backend's CPU time
 *   helper-bench rekey DIR MEMBERS RATE
 *       a rekey of an anonymous group of MEMBERS members (enrolled in a
 *       SQLite database in DIR first, not timed) through rekey.c at
 *       RekeyRate RATE, the rekey bodies counted by a sender that keeps
 *       them: the pass's wall and CPU time, the bodies' bytes; then the
 *       gateway's HEARD for all of them (rekey_heard(), 4,096 a call)
 *   helper-bench send PORT DB KEYFILE KUPFILE MEMBERS
 *       one message from each of MEMBERS identified members of group 1
 *       (keys from the database), in batches of 32 of gateway 7 under the
 *       AES-256-GCM K_up in KUPFILE, sent to 127.0.0.1:PORT (the memory
 *       benchmark's gateway)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "grpsec.h"
#include "grpsec_enroll.h"

#include "../backend.h"
#include "../keystore.h"
#include "../conf.h"
#include "../groups.h"
#include "../grpsecd.h"
#include "../log.h"
#include "../loop.h"
#include "../rekey.h"
#include "../store.h"

#define PER_BATCH	32

/* sender(): a pause every this many batches, to stay within the receiver's socket buffer. */
static long pace_every = 64, pause_us = 5000;
#define PAYLOAD		"meter reading 0123456789abcdef0123456789abcdef"

static int die(const char *what, const char *detail)
{
	fprintf(stderr, "helper-bench: %s: %s\n", what, detail);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Resident memory in bytes (/proc/self/statm). */
static long rss(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f && fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = 0;
	if (f)
		fclose(f);
	return res * sysconf(_SC_PAGESIZE);
}

static int wrap_key(void *arg, uint32_t member, uint8_t key[STORE_WRAP_KEY_LEN])
{
	(void)arg;
	memset(key, (int)member, STORE_WRAP_KEY_LEN);
	return 0;
}

static void make_group(struct store *st, uint32_t id, unsigned int mode)
{
	struct store_group g = { .id = id, .suite = GRPSEC_SUITE_AES_128_GCM, .mode = mode,
				 .epoch = 1 };
	struct store_epoch e = { .group = id, .epoch = 1, .k_g_len = 16 };

	grpsec_random(e.s_auth, sizeof(e.s_auth));
	grpsec_random(e.s_e2e, sizeof(e.s_e2e));
	grpsec_random(e.k_g, 16);
	if (store_group_create(st, &g, &e) < 0 && store_group_get(st, id, &g) < 0)
		die("group", store_error(st));
	OPENSSL_cleanse(&e, sizeof(e));
}

static int bench_store(const char *db, const uint8_t *master, long n)
{
	uint32_t groups[2] = { 1, 2 }, epochs[2];
	struct store_enroll_req req = { .kind = STORE_DEVICE_PSK, .groups = groups,
					.n_groups = 2, .wrap_key = wrap_key };
	struct store_enroll_res res = { .epochs = epochs };
	char err[STORE_ERR_LEN], id[64];
	struct store *st;
	double t0, t;
	long i;

	if (store_open(db, master, &st, err) < 0)
		die(db, err);
	make_group(st, 1, GRPSEC_MODE_IDENTIFIED);
	make_group(st, 2, GRPSEC_MODE_ANONYMOUS);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "bench-%d-%ld", getpid(), i);
		req.identity = id;
		if (store_enroll(st, &req, &res) < 0)
			die("enroll", store_error(st));
	}
	t = now_s() - t0;
	printf("%s: %ld enrollments in %.2f s: %.0f per second\n", store_backend(st), n, t,
	       n / t);
	store_close(st);
	return 0;
}

/* rekey: what the sender saw. */
static struct {
	long bodies;
	uint64_t bytes;
} rk_seen;

static int rekey_sink(void *arg, uint32_t gateway, uint32_t group, uint32_t member,
		      const uint8_t *body, size_t len)
{
	(void)arg, (void)gateway, (void)group, (void)member, (void)body;
	rk_seen.bodies++;
	rk_seen.bytes += len;
	return 0;
}

static void rekey_poll(struct loop_timer *t, void *arg)
{
	struct grpsecd *d = arg;
	struct rekey_status st;

	(void)t;
	if (rekey_status(d->rekey, 1, &st) < 0 || st.sent == st.members)
		loop_stop(d->loop, 0);
}

static int bench_rekey(const char *dir, long n, unsigned int rate)
{
	extern const struct grpsecd_part groups_part;
	static struct grpsecd d;
	uint32_t groups[1] = { 1 }, epochs[1], epoch, *ids;
	struct store_enroll_req req = { .kind = STORE_DEVICE_PSK, .groups = groups,
					.n_groups = 1, .wrap_key = wrap_key };
	struct store_enroll_res res = { .epochs = epochs };
	struct rekey_status st;
	struct loop_timer *t;
	char path[4096], id[64];
	double t0, c0, wall, cpu;
	FILE *f;
	long i;

	snprintf(path, sizeof(path), "%s/m.conf", dir);
	f = fopen(path, "w");
	if (!f)
		die(path, strerror(errno));
	fprintf(f, "[Manager]\nDatabase = sqlite:%s/m.db\nMasterKey = %s/master.key\n"
		"ControlSocket = %s/ctl.sock\nRekeyRate = %u\nRekeyGrace = 60s\n\n"
		"[Group]\nId = 1\nMode = anonymous\nGateway = 1\n\n[Gateway]\nId = 1\n"
		"Identity = CN=gw-1\nAddress = 127.0.0.1:4790\n", dir, dir, dir, rate);
	fclose(f);
	d.conf = conf_load(path);
	d.conf_path = path;
	d.loop = loop_new();
	ids = calloc((size_t)n, sizeof(*ids));
	if (!d.conf || !d.loop || !ids || groups_part.init(&d) < 0)
		die("rekey", "the manager's groups part did not start");
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "bench-%ld", i);
		req.identity = id;
		if (store_enroll(d.store, &req, &res) < 0)
			die("enroll", store_error(d.store));
		ids[i] = res.member;
	}
	if (rekey_part.init(&d) < 0)
		die("rekey", "the rekey part did not start");
	rekey_set_sender(d.rekey, rekey_sink, NULL);

	t0 = now_s();
	c0 = cpu_s();
	if (rekey_start(d.rekey, 1, "ctl", &epoch) < 0)
		die("rekey", "rekey_start() failed");
	t = loop_timer_add(d.loop, 20, 20, rekey_poll, &d);
	loop_run(d.loop);
	loop_timer_del(t);
	wall = now_s() - t0;
	cpu = cpu_s() - c0;
	if (rekey_status(d.rekey, 1, &st) < 0 || st.sent != (size_t)n || rk_seen.bodies != n)
		die("rekey", "not every member was sent its rekey");
	printf("rekey: %ld members, RekeyRate %u: all sent in %.2f s (paced: %.2f s), %.2f s"
	       " of CPU, %.1f us per member; %.0f bytes per body\n", n, rate, wall,
	       100.0 / rate, cpu, cpu * 1e6 / (double)n, (double)rk_seen.bytes / (double)n);

	c0 = cpu_s();
	for (i = 0; i < n; i += GRPSEC_CTL_HEARD_MAX) {
		long k = n - i < GRPSEC_CTL_HEARD_MAX ? n - i : GRPSEC_CTL_HEARD_MAX;

		rekey_heard(d.rekey, 1, epoch, ids + i, (size_t)k);
	}
	cpu = cpu_s() - c0;
	if (rekey_status(d.rekey, 1, &st) < 0 || st.heard != (size_t)n)
		die("rekey", "not every member was heard");
	printf("rekey: HEARD for %ld members: %.2f ms of CPU\n", n, cpu * 1e3);
	rekey_part.uninit(&d);
	groups_part.uninit(&d);
	conf_free(d.conf);
	loop_free(d.loop);
	free(ids);
	return 0;
}

/* The child that plays the members and the gateway. */
static void sender(const struct sockaddr_in *to, struct store *st, const uint8_t *kup,
		   long members, long batches)
{
	static uint8_t frame[GRPSEC_UPLINK_MAX_LEN], buf[GRPSEC_BATCH_MAX_LEN];
	struct grpsec_member **m = calloc(members, sizeof(*m));
	struct grpsec_member_config cfg = { .group = 1, .epoch = 1,
					    .mode = GRPSEC_MODE_IDENTIFIED,
					    .suite = GRPSEC_SUITE_AES_128_GCM };
	uint8_t km[16], ke[16], **all = calloc(batches, sizeof(*all));
	struct grpsec_batch_builder bb;
	struct grpsec_uplink u;
	struct store_epoch e;
	size_t *lens = calloc(batches, sizeof(*lens)), len;
	long i, j, k = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (store_epoch_get(st, 1, 1, &e) < 0)
		_exit(1);
	for (i = 0; i < members; i++) {
		cfg.member = (uint32_t)i + 1;
		grpsec_kdf_member_key(cfg.suite, e.s_auth, 1, 1, cfg.member, km, 16);
		grpsec_kdf_e2e_key(cfg.suite, e.s_e2e, 1, 1, cfg.member, ke, 16);
		cfg.member_key = km;
		cfg.inner_key = ke;
		if (grpsec_member_new(&cfg, &m[i]) < 0)
			_exit(1);
	}
	/* Sealed ahead: the clock measures the backend, not the members. */
	for (i = 0; i < batches; i++) {
		grpsec_batch_init(&bb, buf, sizeof(buf), 7, GRPSEC_SUITE_AES_256_GCM);
		for (j = 0; j < PER_BATCH; j++, k++) {
			grpsec_member_seal_uplink(m[k % members], (const uint8_t *)PAYLOAD,
						  sizeof(PAYLOAD) - 1, frame, sizeof(frame), &len);
			grpsec_uplink_parse(frame, len, &u);
			grpsec_batch_add_uplink(&bb, GRPSEC_MODE_IDENTIFIED, &u);
		}
		grpsec_batch_seal(&bb, (uint64_t)i + 1, kup, &lens[i]);
		all[i] = malloc(lens[i]);
		memcpy(all[i], buf, lens[i]);
	}
	for (i = 0; i < batches; i++) {
		sendto(fd, all[i], lens[i], 0, (const struct sockaddr *)to, sizeof(*to));
		if (i % pace_every == pace_every - 1)
			usleep((useconds_t)pause_us);	/* stay within the socket buffer */
	}
	_exit(0);
}

/* The child that plays the application: count records until @want arrived. */
static void reader(long want)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "bench.sock" };
	static uint8_t buf[1 << 16];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	long bytes = 0, per = 2 + 26 + sizeof(PAYLOAD) - 1;
	ssize_t n;

	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    write(fd, "records\n", 8) != 8)
		_exit(1);
	while (bytes < want * per && (n = read(fd, buf, sizeof(buf))) > 0)
		bytes += n;
	_exit(bytes == want * per ? 0 : 1);
}

static void stop(struct loop_timer *t, void *arg)
{
	(void)t;
	loop_stop(arg, 0);
}

static int bench_backend(const uint8_t *master, long members, long batches)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "bench.sock" };
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(sin);
	int udp, app, rcvbuf = 8 << 20, status;
	struct backend_stats s = { 0 };
	char err[STORE_ERR_LEN];
	uint8_t kup[32];
	struct backend *b;
	struct store *st;
	struct loop *l = loop_new();
	pid_t tx, rx;
	double t0, c0, t, c;
	long rss0;

	unlink("bench.db");
	if (store_open("sqlite:bench.db", master, &st, err) < 0)
		die("store", err);
	make_group(st, 1, GRPSEC_MODE_IDENTIFIED);
	grpsec_random(kup, sizeof(kup));
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	/* Root may go above net.core.rmem_max: fewer datagrams lost to bursts. */
	if (setsockopt(udp, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(udp, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(udp, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(udp, (struct sockaddr *)&sin, &alen) < 0)
		die("udp", strerror(errno));
	unlink("bench.sock");
	app = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (bind(app, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(app, 4) < 0)
		die("app socket", strerror(errno));
	if (backend_new(l, st, NULL, udp, app, &b) < 0 ||
	    backend_set_upstream(b, 7, GRPSEC_SUITE_AES_256_GCM, kup) < 0)
		die("backend", "cannot start");
	rx = fork();
	if (rx == 0)
		reader(batches * PER_BATCH);
	tx = fork();
	if (tx == 0)
		sender(&sin, st, kup, members, batches);
	t0 = now_s();
	c0 = cpu_s();
	rss0 = rss();
	while (s.messages < (uint64_t)batches * PER_BATCH && now_s() - t0 < 120) {
		loop_timer_add(l, 200, 0, stop, l);
		loop_run(l);
		backend_get_stats(b, &s);
	}
	t = now_s() - t0;
	c = cpu_s() - c0;
	waitpid(tx, &status, 0);
	kill(rx, SIGTERM);
	printf("backend: %" PRIu64 " of %ld messages from %ld members in %" PRIu64
	       " batches, %" PRIu64 " saves (%" PRIu64 " whole, %" PRIu64 " KiB in all), %.2f s,"
	       " %.2f s of CPU: %.0f messages per CPU second\n", s.messages, batches * PER_BATCH,
	       members, s.batches_ok, s.saves, s.whole_saves, s.bytes_saved / 1024, t, c,
	       s.messages / c);
	printf("backend: resident memory grew by %ld KiB: %ld bytes per member\n",
	       (rss() - rss0) / 1024, (rss() - rss0) / members);
	backend_free(b);
	store_close(st);
	loop_free(l);
	return s.messages == (uint64_t)batches * PER_BATCH ? 0 : 1;
}

static int bench_send(char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint8_t master[STORE_MASTER_KEY_LEN], kup[32];
	char err[STORE_ERR_LEN];
	long members = atol(argv[6]);
	struct store *st;

	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	if (keystore_load(argv[4], master, err) < 0 || keystore_read_key(argv[5], kup, 32, err) < 0 ||
	    store_open(argv[3], master, &st, err) < 0)
		die("keys or database", err);
	OPENSSL_cleanse(master, sizeof(master));
	if (members < 1)
		die("members", argv[6]);
	/*
	 * grpsecd's batch socket has the default buffer, and every round of
	 * datagrams ends in a save of the whole replay state (milliseconds
	 * with 10,000 members and more): one batch every 20 ms loses none.
	 */
	pace_every = 1;
	pause_us = 20000;
	sender(&sin, st, kup, members, (members + PER_BATCH - 1) / PER_BATCH);
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t master[STORE_MASTER_KEY_LEN];
	char err[STORE_ERR_LEN];

	log_init(false);
	if (argc == 5 && !strcmp(argv[1], "store")) {
		if (keystore_load(argv[3], master, err) < 0)
			die("key", err);
		return bench_store(argv[2], master, atol(argv[4]));
	}
	if (argc == 5 && !strcmp(argv[1], "backend")) {
		if (keystore_load(argv[2], master, err) < 0)
			die("key", err);
		return bench_backend(master, atol(argv[3]), atol(argv[4]));
	}
	if (argc == 7 && !strcmp(argv[1], "send"))
		return bench_send(argv);
	if (argc == 5 && !strcmp(argv[1], "rekey"))
		return bench_rekey(argv[2], atol(argv[3]), (unsigned int)atoi(argv[4]));
	die("usage", "store DB KEYFILE N | backend KEYFILE MEMBERS BATCHES |"
	    " send PORT DB KEYFILE KUPFILE MEMBERS | rekey DIR MEMBERS RATE");
	return 2;
}
