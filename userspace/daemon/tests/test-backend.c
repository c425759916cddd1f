// SPDX-License-Identifier: GPL-2.0
/*
 * backend.c on the event loop, with a real store (SQLite), members and a
 * gateway built from libgrpsec: every message reaches every application
 * exactly once, as records and as JSON lines; a batch or an entry seen
 * before is refused, also after the backend and its store were closed
 * and opened again (the replay state was saved); a gateway cannot
 * re-attribute an identified message; records wait for the first
 * application; a bad hello gets an error line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "grpsec.h"

#include "../backend.h"
#include "../keystore.h"
#include "../log.h"
#include "../loop.h"
#include "../store.h"
#include "check.h"

#define GATEWAY		7
#define UP_SUITE	GRPSEC_SUITE_AES_256_GCM
#define ANON_GROUP	1
#define ID_GROUP	2
#define ANON_MEMBER	11
#define ID_MEMBER	22
#define N		20


#define MUST(call) do {								\
	int rc_ = (call);							\
	if (rc_ < 0) {								\
		printf("FAIL line %d: %s: %d\n", __LINE__, #call, rc_);	\
		exit(1);							\
	}									\
} while (0)

static uint8_t master[STORE_MASTER_KEY_LEN], kup[32];
static struct loop *loop;
static struct store *st;
static struct backend *be;
static struct sockaddr_in be_addr;
static int tx;

/* One frame as the gateway forwards it: its inner part and header fields. */
struct frame {
	uint8_t buf[GRPSEC_UPLINK_MAX_LEN];
	size_t len;
	unsigned int mode;		/* the group's: the gateway knows it */
	struct grpsec_uplink u;
};

static struct grpsec_member *members[2];

static void stop(struct loop_timer *t, void *arg)
{
	(void)t;
	loop_stop(arg, 0);
}

/* Run the loop for @ms: the backend reads, saves, delivers. */
static void spin(unsigned int ms)
{
	struct loop_timer *t = loop_timer_add(loop, ms, 0, stop, loop);

	loop_run(loop);
	loop_timer_del(t);
}

static void open_all(void)
{
	char err[STORE_ERR_LEN];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t alen = sizeof(be_addr);
	int udp, app;

	MUST(store_open("sqlite:backend.db", master, &st, err));
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	be_addr = (struct sockaddr_in){ .sin_family = AF_INET,
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
					.sin_port = be_addr.sin_port };
	MUST(bind(udp, (struct sockaddr *)&be_addr, sizeof(be_addr)));
	MUST(getsockname(udp, (struct sockaddr *)&be_addr, &alen));
	unlink("app.sock");
	snprintf(sun.sun_path, sizeof(sun.sun_path), "app.sock");
	app = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	MUST(bind(app, (struct sockaddr *)&sun, sizeof(sun)));
	MUST(listen(app, 16));
	MUST(backend_new(loop, st, NULL, udp, app, &be));
	MUST(backend_set_upstream(be, GATEWAY, UP_SUITE, kup));
}

static void close_all(void)
{
	backend_free(be);
	store_close(st);
}

/* An application: connect and say which format. */
static int app_connect(const char *hello)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "app.sock" };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	struct backend_stats s;
	uint64_t hellos;
	int i;

	backend_get_stats(be, &s);
	hellos = s.app_hellos;
	MUST(connect(fd, (struct sockaddr *)&sun, sizeof(sun)));
	MUST((int)write(fd, hello, strlen(hello)));
	/* Until the backend has read the hello: what comes next is for this one too. */
	for (i = 0; i < 500 && s.app_hellos == hellos; i++) {
		spin(10);
		backend_get_stats(be, &s);
	}
	CHECK(s.app_hellos == hellos + 1, "the hello \"%.*s\" was not read",
	      (int)strlen(hello) - 1, hello);
	return fd;
}

/* Everything the application has been sent so far. */
static size_t app_read(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	spin(100);
	while (len < size - 1 && (n = recv(fd, buf + len, size - 1 - len, MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	return len;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void make_group(uint32_t id, unsigned int mode, unsigned int suite)
{
	struct store_group g = { .id = id, .suite = suite, .mode = mode, .epoch = 1 };
	struct store_epoch e = { .group = id, .epoch = 1, .msg_limit = 1000 };

	e.k_g_len = (uint8_t)grpsec_suite_key_len(suite);
	MUST(grpsec_random(e.s_auth, sizeof(e.s_auth)));
	MUST(grpsec_random(e.s_e2e, sizeof(e.s_e2e)));
	MUST(grpsec_random(e.k_g, e.k_g_len));
	MUST(store_group_create(st, &g, &e));
}

static void make_member(int i, uint32_t group, uint32_t member)
{
	struct grpsec_member_config cfg = { .group = group, .member = member, .epoch = 1 };
	uint8_t km[32], inner[32];
	struct store_group g;
	struct store_epoch e;
	size_t kl;

	MUST(store_group_get(st, group, &g));
	MUST(store_epoch_get(st, group, 1, &e));
	kl = grpsec_suite_key_len(g.suite);
	MUST(grpsec_kdf_member_key(g.suite, e.s_auth, group, 1, member, km, kl));
	if (g.mode == GRPSEC_MODE_IDENTIFIED)
		MUST(grpsec_kdf_e2e_key(g.suite, e.s_e2e, group, 1, member, inner, kl));
	else
		memcpy(inner, e.k_g, kl);
	cfg.mode = g.mode;
	cfg.suite = g.suite;
	cfg.member_key = km;
	cfg.inner_key = inner;
	MUST(grpsec_member_new(&cfg, &members[i]));
	OPENSSL_cleanse(&e, sizeof(e));
	OPENSSL_cleanse(km, sizeof(km));
	OPENSSL_cleanse(inner, sizeof(inner));
}

static void seal(int i, const char *text, struct frame *f)
{
	MUST(grpsec_member_seal_uplink(members[i], (const uint8_t *)text, strlen(text),
				       f->buf, sizeof(f->buf), &f->len));
	MUST(grpsec_uplink_parse(f->buf, f->len, &f->u));
	f->mode = i ? GRPSEC_MODE_IDENTIFIED : GRPSEC_MODE_ANONYMOUS;
}

/* The gateway: a batch of @n frames under K_up with sequence @seq, sent. */
static void send_batch(uint64_t seq, struct frame *f, size_t n, uint32_t claim)
{
	struct grpsec_batch_builder bb;
	uint8_t buf[GRPSEC_BATCH_MAX_LEN];
	size_t i, len;

	MUST(grpsec_batch_init(&bb, buf, sizeof(buf), GATEWAY, UP_SUITE));
	for (i = 0; i < n; i++) {
		if (claim && f[i].mode == GRPSEC_MODE_IDENTIFIED)
			MUST(grpsec_batch_add(&bb, f[i].mode, f[i].u.suite, f[i].u.group,
					      f[i].u.epoch, claim, f[i].u.inner,
					      f[i].u.inner_len));
		else
			MUST(grpsec_batch_add_uplink(&bb, f[i].mode, &f[i].u));
	}
	MUST(grpsec_batch_seal(&bb, seq, kup, &len));
	MUST((int)sendto(tx, buf, len, 0, (struct sockaddr *)&be_addr, sizeof(be_addr)));
}

static struct backend_stats stats(void)
{
	struct backend_stats s;

	backend_get_stats(be, &s);
	return s;
}

/* Everything the store allows: delivery, replays refused, across a restart. */
static void test_delivery(void)
{
	static char out[1 << 20];
	struct frame f[2 * N], fresh[2];
	struct backend_stats s;
	int json, rec, bad, late;
	size_t len, off, n, i;
	char text[64];

	json = app_connect("json\n");
	rec = app_connect("records\n");
	bad = app_connect("xml\n");
	len = app_read(bad, out, sizeof(out));
	CHECK(strstr(out, "error:") && strstr(out, "json"), "bad hello answered: %s", out);
	close(bad);

	/* N messages from each member in one batch: each once, in both formats. */
	for (i = 0; i < 2 * N; i++) {
		snprintf(text, sizeof(text), "reading %zu", i);
		seal(i % 2, text, &f[i]);
	}
	send_batch(100, f, 2 * N, 0);
	len = app_read(json, out, sizeof(out));
	CHECK(count_lines(out) == 2 * N, "%zu JSON lines, want %d", count_lines(out), 2 * N);
	CHECK(strstr(out, "{\"gateway\":7,\"group\":2,\"epoch\":1,\"mode\":\"identified\","
		      "\"member\":22,\"seq\":1,\"payload\":\"cmVhZGluZyAx\"}\n") != NULL,
	      "identified record: %.200s", out);
	CHECK(strstr(out, "{\"gateway\":7,\"group\":1,\"epoch\":1,\"mode\":\"anonymous\","
		      "\"member\":null,\"seq\":null,\"payload\":\"cmVhZGluZyAw\"}\n") != NULL,
	      "anonymous record: %.200s", out);
	len = app_read(rec, out, sizeof(out));
	for (off = 0, n = 0; off + 2 <= len; n++)
		off += 2 + ((uint8_t)out[off] << 8 | (uint8_t)out[off + 1]);
	CHECK(off == len && n == 2 * N, "%zu records in %zu bytes", n, len);
	CHECK(len > 30 && out[2] == 1 && !memcmp(out + 28, "reading ", 8),
	      "first record's version or payload");

	/* The same batch again, then a new batch carrying old entries. */
	send_batch(100, f, 2 * N, 0);
	send_batch(101, f, 2, 0);
	/* A gateway that moves member 22's message to member 23. */
	seal(1, "mine", &fresh[1]);
	send_batch(102, &fresh[1], 1, ID_MEMBER + 1);
	len = app_read(json, out, sizeof(out));
	CHECK(len == 0, "replays or a re-attributed message delivered: %s", out);
	s = stats();
	CHECK(s.batch_replay == 1 && s.entries_refused == 3 && s.messages == 2 * N,
	      "replay %" PRIu64 " refused %" PRIu64 " messages %" PRIu64, s.batch_replay,
	      s.entries_refused, s.messages);
	close(json);
	close(rec);

	/* Closed and opened again: the replay state came back from the store. */
	close_all();
	open_all();
	send_batch(102, f, 2 * N, 0);
	send_batch(103, f, 2 * N, 0);
	/* Records wait for the first application. */
	seal(0, "after", &fresh[0]);
	seal(1, "after", &fresh[1]);
	send_batch(104, fresh, 2, 0);
	spin(100);
	late = app_connect("json\n");
	len = app_read(late, out, sizeof(out));
	CHECK(count_lines(out) == 2 && strstr(out, "\"member\":22,\"seq\":") &&
	      strstr(out, "\"payload\":\"YWZ0ZXI=\""), "after the restart: %s", out);
	s = stats();
	CHECK(s.batch_replay == 1 && s.entries_refused == 2 * N && s.messages == 2,
	      "after restart: replay %" PRIu64 " refused %" PRIu64 " messages %" PRIu64,
	      s.batch_replay, s.entries_refused, s.messages);
	close(late);

	/* A batch from a gateway without K_up, and one that is not a batch. */
	MUST((int)sendto(tx, "junk", 4, 0, (struct sockaddr *)&be_addr, sizeof(be_addr)));
	spin(50);
	s = stats();
	CHECK(s.batch_malformed == 1, "malformed %" PRIu64, s.batch_malformed);

}

/*
 * Saves after the first are only what moved: rounds of fresh messages are
 * saved as changes beside the whole state, and after a restart (whole
 * state and changes merged) every batch and entry of every round is a
 * replay.
 */
#define ROUNDS 5
static void test_changes(void)
{
	static struct frame f[ROUNDS][2], all[2 * ROUNDS];
	struct backend_stats s0 = stats(), s;
	uint8_t blob[4096];
	size_t blen = sizeof(blob);
	char text[32];
	int r;

	for (r = 0; r < ROUNDS; r++) {
		snprintf(text, sizeof(text), "round %d", r);
		seal(0, text, &f[r][0]);
		seal(1, text, &f[r][1]);
		all[2 * r] = f[r][0];
		all[2 * r + 1] = f[r][1];
		send_batch(200 + r, f[r], 2, 0);
		spin(30);
	}
	s = stats();
	CHECK(s.messages - s0.messages == 2 * ROUNDS, "rounds delivered %" PRIu64,
	      s.messages - s0.messages);
	CHECK(s.saves - s0.saves >= ROUNDS && s.whole_saves == s0.whole_saves,
	      "saves %" PRIu64 ", of them whole %" PRIu64 ": want only changes",
	      s.saves - s0.saves, s.whole_saves - s0.whole_saves);
	CHECK(store_replay_get(st, STORE_REPLAY_GATEWAY_CHANGES, GATEWAY, 1, blob, &blen) == 0 &&
	      blen < 1024, "the first change: %zu bytes", blen);
	close_all();
	open_all();
	for (r = 0; r < ROUNDS; r++)
		send_batch(200 + r, f[r], 2, 0);
	send_batch(300, all, 2 * ROUNDS, 0);
	spin(100);
	s = stats();
	CHECK(s.batch_replay == ROUNDS && s.entries_refused == 2 * ROUNDS && s.messages == 0,
	      "after a restart from changes: replay %" PRIu64 " refused %" PRIu64
	      " messages %" PRIu64, s.batch_replay, s.entries_refused, s.messages);
}

static void fill_disk(void)
{
	static char block[1 << 16];
	FILE *f = fopen("filler", "w");

	setvbuf(f, NULL, _IONBF, 0);
	while (fwrite(block, 1, sizeof(block), f) == sizeof(block))
		;
	fclose(f);
}

/*
 * The database is full: the messages of a batch are opened but not
 * delivered, and no batch is read, until a save succeeds; then each
 * message comes once.
 */
static void test_full(void)
{
	static char out[1 << 16];
	struct backend_stats s;
	struct frame f[4];
	int json = app_connect("json\n");

	seal(0, "one", &f[0]);
	seal(1, "two", &f[1]);
	seal(0, "three", &f[2]);
	seal(1, "four", &f[3]);
	fill_disk();
	send_batch(100, f, 2, 0);
	app_read(json, out, sizeof(out));
	s = stats();
	CHECK(!out[0] && s.save_failures >= 1 && s.messages == 2,
	      "delivered before saving: %s (%" PRIu64 " failed saves)", out, s.save_failures);
	send_batch(101, f + 2, 2, 0);
	app_read(json, out, sizeof(out));
	s = stats();
	CHECK(!out[0] && s.datagrams == 1, "read batches while it could not save: %" PRIu64
	      " datagrams, %s", s.datagrams, out);
	unlink("filler");
	spin(1500);
	app_read(json, out, sizeof(out));
	CHECK(count_lines(out) == 4 && strstr(out, "\"payload\":\"b25l\"") &&
	      strstr(out, "\"payload\":\"Zm91cg==\""), "after space came back: %s", out);
	s = stats();
	CHECK(s.messages == 4 && s.saves == 2, "%" PRIu64 " messages, %" PRIu64 " saves",
	      s.messages, s.saves);
	close(json);
}

/* test-backend [full DIR]: DIR on a small file system (test-backend_full.sh). */
int main(int argc, char **argv)
{
	char err[STORE_ERR_LEN];

	if (argc == 3 && !strcmp(argv[1], "full") && chdir(argv[2]) < 0)
		return 1;
	log_init(false);
	MUST(keystore_load("master.key", master, err));
	MUST(grpsec_random(kup, sizeof(kup)));
	loop = loop_new();
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	MUST(store_open("sqlite:backend.db", master, &st, err));
	make_group(ANON_GROUP, GRPSEC_MODE_ANONYMOUS, GRPSEC_SUITE_AES_128_GCM);
	make_group(ID_GROUP, GRPSEC_MODE_IDENTIFIED, GRPSEC_SUITE_CHACHA20_POLY1305);
	make_member(0, ANON_GROUP, ANON_MEMBER);
	make_member(1, ID_GROUP, ID_MEMBER);
	store_close(st);
	open_all();
	if (argc == 3)
		test_full();
	else
		test_delivery(), test_changes();
	close_all();
	grpsec_member_free(members[0]);
	grpsec_member_free(members[1]);
	loop_free(loop);
	return check_report();
}
