// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The storage suite, one program for both databases; the test-store_*.sh
 * scripts give it a database.
 *
 *   helper-store init DB KEYFILE            create the schema, nothing else
 *   helper-store suite DB KEYFILE [RAWDIR]  every rule of store.h; RAWDIR:
 *                                           where the database keeps its
 *                                           files (searched for secrets)
 *   helper-store writer DB KEYFILE LOG      enroll until killed; one line
 *                                           per committed enrollment in LOG
 *   helper-store verify DB KEYFILE LOG      after a crash: no id twice,
 *                                           every logged enrollment there
 *                                           with its key, secrets unchanged
 *   helper-store fill DB KEYFILE            enroll until the disk is full:
 *                                           -ENOSPC, nothing half-written
 *   helper-store reconnect DB KEYFILE CMD   CMD restarts the server under an
 *                                           open store: reads and writes go on
 *   helper-store readonly DB KEYFILE [CMD]  -EROFS, a clear line, nothing
 *                                           written; CMD makes the database
 *                                           read-only after a first write
 *
 * DB is "sqlite:PATH" or "postgresql:CONNINFO".  Prints one line per
 * failed check and exits 1 if any failed.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../keystore.h"
#include "../store.h"
#include "../store_db.h"
#include "check.h"

#define MAX_IDS		200000


/* CHECK_RC(call, want): the call's errno and, on failure, store_error(). */
#define CHECK_RC(st, call, want) do {						\
	int rc_ = (call);							\
	CHECK(rc_ == (want), "%s -> %d (%s), want %d", #call, rc_,		\
	      rc_ ? store_error(st) : "", want);				\
} while (0)

static const char *db;
static uint8_t master[STORE_MASTER_KEY_LEN];

static struct store *open_store(void)
{
	char err[STORE_ERR_LEN];
	struct store *st;
	int rc = store_open(db, master, &st, err);

	if (rc < 0) {
		printf("FAIL store_open(%s): %d: %s\n", db, rc, err);
		exit(1);
	}
	return st;
}

/* A deterministic K_wrap,m per member, so a later check can recompute it. */
static int wrap_key(void *arg, uint32_t member, uint8_t key[STORE_WRAP_KEY_LEN])
{
	const char *label = arg ? arg : "wrap";
	unsigned int len = STORE_WRAP_KEY_LEN;
	char in[64];

	snprintf(in, sizeof(in), "%s %" PRIu32, label, member);
	return EVP_Digest(in, strlen(in), key, &len, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

static int wrap_key_fails(void *arg, uint32_t member, uint8_t key[STORE_WRAP_KEY_LEN])
{
	(void)arg;
	(void)member;
	(void)key;
	return -EIO;
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

static void make_epoch(struct store_epoch *e, uint32_t group, uint32_t epoch)
{
	memset(e, 0, sizeof(*e));
	e->group = group;
	e->epoch = epoch;
	fill(e->s_auth, sizeof(e->s_auth), (uint8_t)(group * 16 + epoch));
	fill(e->s_e2e, sizeof(e->s_e2e), (uint8_t)(group * 16 + epoch + 100));
	fill(e->k_g, sizeof(e->k_g), (uint8_t)(group * 16 + epoch + 200));
	e->k_g_len = 16;
	e->msg_limit = 1u << 24;
}

static int make_group(struct store *st, uint32_t id)
{
	struct store_group g = { .id = id, .suite = 1, .mode = 1, .flags = 0, .epoch = 1 };
	struct store_epoch e;
	int rc;

	make_epoch(&e, id, 1);
	rc = store_group_create(st, &g, &e);
	OPENSSL_cleanse(&e, sizeof(e));
	return rc;
}

static int enroll(struct store *st, const char *identity, uint8_t kind,
		  const uint32_t *groups, size_t n, struct store_enroll_res *res,
		  uint32_t *epochs)
{
	struct store_enroll_req req = {
		.identity = identity, .kind = kind, .groups = groups, .n_groups = n,
		.wrap_key = wrap_key,
	};

	res->epochs = epochs;
	return store_enroll(st, &req, res);
}

static int count_cb(void *arg, const void *row)
{
	(void)row;
	++*(unsigned int *)arg;
	return 0;
}

static unsigned int count_members(struct store *st, uint32_t group)
{
	unsigned int n = 0;

	store_members_each(st, group, (store_member_fn)count_cb, &n);
	return n;
}

static unsigned int count_devices(struct store *st)
{
	unsigned int n = 0;

	store_devices_each(st, (store_device_fn)count_cb, &n);
	return n;
}

/* Raw SQL through the implementation's ops: for tampering and for reading back. */
static int raw(struct store *st, const char *sql, const struct store_val *p, int n,
	       store_row_fn fn, void *arg)
{
	return st->ops->exec(st, sql, p, n, fn, arg);
}

/* Cases */

static void test_migrations(void)
{
	struct store *st = open_store();
	const struct store_val v = { .type = STORE_INT, .i = 99 };
	char err[STORE_ERR_LEN];
	unsigned int version = 0;
	struct store *st2;
	int rc;

	CHECK_RC(st, store_schema_version(st, &version), 0);
	CHECK(version == 1, "schema version %u", version);
	store_close(st);

	/* Opening again migrates nothing and keeps the version. */
	st = open_store();
	CHECK_RC(st, store_schema_version(st, &version), 0);
	CHECK(version == 1, "schema version %u after reopen", version);

	/* A database from a newer grpsecd is refused, not downgraded. */
	CHECK(raw(st, "UPDATE schema_version SET version = $1", &v, 1, NULL, NULL) == 1,
	      "cannot set the version: %s", store_error(st));
	rc = store_open(db, master, &st2, err);
	CHECK(rc == -EPROTO && strstr(err, "newer"), "newer schema: %d %s", rc, err);
	if (rc == 0)
		store_close(st2);
	raw(st, "UPDATE schema_version SET version = 1", NULL, 0, NULL, NULL);
	store_close(st);
}

static void test_master_key(void)
{
	uint8_t other[STORE_MASTER_KEY_LEN];
	char err[STORE_ERR_LEN];
	struct store *st;
	int rc;

	memcpy(other, master, sizeof(other));
	other[0] ^= 1;
	rc = store_open(db, other, &st, err);
	CHECK(rc == -EBADMSG && strstr(err, "master key"), "another master key: %d %s", rc, err);
	if (rc == 0)
		store_close(st);
}

static void test_groups(void)
{
	struct store *st = open_store();
	struct store_epoch e, got;
	struct store_group g;

	CHECK_RC(st, make_group(st, 1), 0);
	CHECK_RC(st, make_group(st, 2), 0);
	CHECK_RC(st, make_group(st, 1), -EEXIST);
	CHECK_RC(st, store_group_get(st, 1, &g), 0);
	CHECK(g.id == 1 && g.suite == 1 && g.mode == 1 && g.epoch == 1 && g.next_epoch == 0,
	      "group 1: %u %u %u %u %u", g.id, g.suite, g.mode, g.epoch, g.next_epoch);
	CHECK_RC(st, store_group_get(st, 7, &g), -ENOENT);

	/* Secrets round trip. */
	make_epoch(&e, 1, 1);
	CHECK_RC(st, store_epoch_get(st, 1, 1, &got), 0);
	CHECK(!memcmp(got.s_auth, e.s_auth, 32) && !memcmp(got.s_e2e, e.s_e2e, 32) &&
	      got.k_g_len == 16 && !memcmp(got.k_g, e.k_g, 16) && got.msg_limit == e.msg_limit,
	      "epoch 1/1 secrets differ");
	CHECK_RC(st, store_epoch_get(st, 1, 9, &got), -ENOENT);

	/* A rollover: epoch 2 becomes next, then current; no way back. */
	make_epoch(&e, 1, 2);
	CHECK_RC(st, store_epoch_create(st, &e), 0);
	CHECK_RC(st, store_epoch_create(st, &e), -EINVAL);
	e.epoch = 1;
	CHECK_RC(st, store_epoch_create(st, &e), -EINVAL);
	e.group = 9;
	e.epoch = 5;
	CHECK_RC(st, store_epoch_create(st, &e), -ENOENT);
	CHECK_RC(st, store_group_get(st, 1, &g), 0);
	CHECK(g.epoch == 1 && g.next_epoch == 2, "after epoch_create: %u %u", g.epoch,
	      g.next_epoch);
	CHECK_RC(st, store_group_set_epochs(st, 1, 2, 0), 0);
	CHECK_RC(st, store_group_set_epochs(st, 1, 1, 2), -EINVAL);
	CHECK_RC(st, store_group_set_epochs(st, 1, 3, 0), -ENOENT);
	CHECK_RC(st, store_group_get(st, 1, &g), 0);
	CHECK(g.epoch == 2 && g.next_epoch == 0, "after switch: %u %u", g.epoch, g.next_epoch);
	make_epoch(&e, 1, 2);
	CHECK_RC(st, store_epoch_get(st, 1, 2, &got), 0);
	CHECK(!memcmp(got.s_auth, e.s_auth, 32) && !memcmp(got.k_g, e.k_g, 16),
	      "epoch 1/2 secrets differ");
	OPENSSL_cleanse(&e, sizeof(e));
	OPENSSL_cleanse(&got, sizeof(got));
	store_close(st);
}

static int max_member(void *arg, const struct store_member *m)
{
	if (m->id > *(uint32_t *)arg)
		*(uint32_t *)arg = m->id;
	return 0;
}

static void test_enroll(void)
{
	struct store *st = open_store();
	const uint32_t both[] = { 1, 2 }, bad[] = { 1, 77 }, twice[] = { 2, 2 };
	uint8_t key[STORE_WRAP_KEY_LEN], want[STORE_WRAP_KEY_LEN];
	struct store_enroll_res a, b, c;
	struct store_enroll_req req;
	struct store_device d;
	struct store_member m;
	uint32_t epochs[2], top = 0;
	unsigned int n = 0, members, devices;
	uint64_t n64;

	CHECK_RC(st, enroll(st, "CN=meter-1", STORE_DEVICE_CERT, both, 2, &a, epochs), 0);
	CHECK(a.member > 0 && epochs[0] == 2 && epochs[1] == 1, "member %u epochs %u %u",
	      a.member, epochs[0], epochs[1]);
	CHECK_RC(st, store_member_get(st, a.member, 1, &m, key), 0);
	wrap_key(NULL, a.member, want);
	CHECK(!memcmp(key, want, sizeof(key)) && m.device == a.device &&
	      m.state == STORE_MEMBER_ACTIVE && m.epoch_joined == 2, "member row differs");
	CHECK_RC(st, store_member_get(st, a.member, 2, &m, NULL), 0);

	/* The same identity as a PSK device is another device. */
	CHECK_RC(st, enroll(st, "CN=meter-1", STORE_DEVICE_PSK, both, 1, &b, epochs), 0);
	CHECK(b.device != a.device && b.member > a.member, "psk twin: device %" PRIu64
	      " member %u", b.device, b.member);
	CHECK_RC(st, store_device_find(st, 0, "CN=meter-1", &d), -EEXIST);
	CHECK_RC(st, store_device_find(st, STORE_DEVICE_PSK, "CN=meter-1", &d), 0);
	CHECK(d.id == b.device && d.kind == STORE_DEVICE_PSK, "find psk: %" PRIu64, d.id);

	/* Enrolling again: same device, fresh member id, old rows "left". */
	CHECK_RC(st, enroll(st, "CN=meter-1", STORE_DEVICE_CERT, both, 2, &c, epochs), 0);
	CHECK(c.device == a.device && c.member > b.member, "re-enroll: device %" PRIu64
	      " member %u", c.device, c.member);
	CHECK_RC(st, store_member_get(st, a.member, 2, &m, NULL), 0);
	CHECK(m.state == STORE_MEMBER_LEFT, "old row state %u", m.state);

	/* Refusals change nothing. */
	members = count_members(st, 0);
	devices = count_devices(st);
	CHECK_RC(st, enroll(st, "CN=meter-2", STORE_DEVICE_CERT, bad, 2, &b, epochs), -ENOENT);
	CHECK_RC(st, enroll(st, "CN=meter-2", STORE_DEVICE_CERT, twice, 2, &b, epochs), -EINVAL);
	CHECK_RC(st, enroll(st, "", STORE_DEVICE_CERT, both, 2, &b, epochs), -EINVAL);
	CHECK_RC(st, enroll(st, "x", 9, both, 2, &b, epochs), -EINVAL);
	CHECK_RC(st, enroll(st, "CN=a\nb", STORE_DEVICE_CERT, both, 2, &b, epochs), -EINVAL);
	CHECK_RC(st, enroll(st, "CN=\xff", STORE_DEVICE_CERT, both, 2, &b, epochs), -EINVAL);
	CHECK_RC(st, enroll(st, "CN=\xc3", STORE_DEVICE_CERT, both, 2, &b, epochs), -EINVAL);
	CHECK_RC(st, enroll(st, "CN=\xc0\xaf", STORE_DEVICE_CERT, both, 2, &b, epochs), -EINVAL);
	req = (struct store_enroll_req){ .identity = "CN=meter-2", .kind = STORE_DEVICE_CERT,
					 .groups = both, .n_groups = 2,
					 .wrap_key = wrap_key_fails };
	b.epochs = epochs;
	CHECK_RC(st, store_enroll(st, &req, &b), -EIO);
	CHECK(count_members(st, 0) == members && count_devices(st) == devices,
	      "a refusal wrote rows: %u/%u members, %u/%u devices", count_members(st, 0),
	      members, count_devices(st), devices);
	CHECK_RC(st, store_device_find(st, 0, "CN=meter-2", &d), -ENOENT);
	CHECK_RC(st, enroll(st, "CN=Z\xc3\xa4hler-\xe2\x82\xac", STORE_DEVICE_PSK, both, 1, &b,
			    epochs), 0);
	CHECK_RC(st, store_device_find(st, 0, "CN=Z\xc3\xa4hler-\xe2\x82\xac", &d), 0);

	/* Revocation: rows revoked, no enrollment after it, ids still fresh. */
	CHECK_RC(st, store_device_revoke(st, a.device, &n), 0);
	CHECK(n == 2, "revoked %u rows", n);
	CHECK_RC(st, store_device_revoke(st, a.device, &n), 0);
	CHECK(n == 0, "revoked %u rows the second time", n);
	CHECK_RC(st, store_device_revoke(st, 999999, &n), -ENOENT);
	CHECK_RC(st, store_member_get(st, c.member, 1, &m, NULL), 0);
	CHECK(m.state == STORE_MEMBER_REVOKED, "revoked row state %u", m.state);
	CHECK_RC(st, store_device_get(st, a.device, &d), 0);
	CHECK(d.revoked, "device not revoked");
	members = count_members(st, 0);
	CHECK_RC(st, enroll(st, "CN=meter-1", STORE_DEVICE_CERT, both, 2, &b, epochs), -EPERM);
	CHECK(count_members(st, 0) == members, "a revoked device got rows");
	CHECK_RC(st, enroll(st, "CN=meter-3", STORE_DEVICE_CERT, both, 1, &b, epochs), 0);
	CHECK(b.member > c.member, "after revocation: member %u, last %u", b.member, c.member);
	store_members_each(st, 0, max_member, &top);
	CHECK(top == b.member, "highest member %u, last enrolled %u", top, b.member);
	CHECK(count_members(st, 1) == 5 && count_members(st, 2) == 2,
	      "members of 1: %u, of 2: %u", count_members(st, 1), count_members(st, 2));
	/* Active: meter-3, the PSK twin, the Zähler, all in group 1 only; meter-1 is revoked. */
	CHECK(store_count_members(st, 1, &n64) == 0 && n64 == 3, "active in 1: %" PRIu64, n64);
	CHECK(store_count_members(st, 2, &n64) == 0 && n64 == 0, "active in 2: %" PRIu64, n64);
	CHECK(store_count_members(st, 0, &n64) == 0 && n64 == 3, "active: %" PRIu64, n64);
	CHECK(store_count_devices(st, &n64) == 0 && n64 == 4, "devices: %" PRIu64, n64);
	store_close(st);

	/* After a reopen the ids carry on above every id handed out. */
	st = open_store();
	CHECK_RC(st, enroll(st, "CN=meter-4", STORE_DEVICE_CERT, both, 2, &c, epochs), 0);
	CHECK(c.member > b.member && c.device > b.device, "after reopen: member %u device %"
	      PRIu64 ", before %u %" PRIu64, c.member, c.device, b.member, b.device);
	OPENSSL_cleanse(key, sizeof(key));
	store_close(st);
}

static int stop_at_two(void *arg, const struct store_device *d)
{
	(void)d;
	return ++*(int *)arg == 2 ? 42 : 0;
}

/* Pages: the last row seen, and how many rows in all. */
struct page_walk {
	uint64_t last;
	uint32_t last_group;
	unsigned int rows;
};

static int page_device(void *arg, const struct store_device *d)
{
	struct page_walk *p = arg;

	CHECK(d->id > p->last, "device %" PRIu64 " after %" PRIu64, d->id, p->last);
	p->last = d->id;
	p->rows++;
	return 0;
}

static int page_member(void *arg, const struct store_member *m)
{
	struct page_walk *p = arg;

	CHECK(m->id > p->last || (m->id == p->last && m->group > p->last_group),
	      "member %u/%u after %" PRIu64 "/%u", m->id, m->group, p->last, p->last_group);
	p->last = m->id;
	p->last_group = m->group;
	p->rows++;
	return 0;
}

static void test_iteration(void)
{
	struct store *st = open_store();
	struct page_walk p = { 0, 0, 0 };
	unsigned int rows;
	int n = 0;

	CHECK(store_devices_each(st, stop_at_two, &n) == 42 && n == 2, "early stop: n %d", n);
	n = 0;
	CHECK(store_groups_each(st, (store_group_fn)count_cb, &n) == 0 && n == 2,
	      "groups: %d", n);
	/* Pages of 2 walk every row once, in order, on both databases. */
	do {
		rows = p.rows;
		CHECK_RC(st, store_devices_page(st, p.last, 2, page_device, &p), 0);
	} while (p.rows > rows && p.rows < 1000);
	CHECK(p.rows == count_devices(st), "%u devices in pages, %u in all", p.rows,
	      count_devices(st));
	p = (struct page_walk){ 0, 0, 0 };
	do {
		rows = p.rows;
		CHECK_RC(st, store_members_page(st, 0, (uint32_t)p.last, p.last_group, 2,
						page_member, &p), 0);
	} while (p.rows > rows && p.rows < 1000);
	CHECK(p.rows == count_members(st, 0), "%u member rows in pages, %u in all", p.rows,
	      count_members(st, 0));
	store_close(st);
}

static void test_reserve(void)
{
	struct store *st = open_store();
	uint64_t first = 0, next = 0, top = 0;

	CHECK_RC(st, store_counter_get(st, "downlink", &top), -ENOENT);
	CHECK_RC(st, store_reserve(st, "downlink", 1000, &first), 0);
	CHECK(first == 1, "first range starts at %" PRIu64, first);
	CHECK_RC(st, store_reserve(st, "downlink", 10, &next), 0);
	CHECK(next == 1001, "second range starts at %" PRIu64, next);
	CHECK_RC(st, store_reserve(st, "downlink", 0, &next), -EINVAL);
	CHECK_RC(st, store_reserve(st, "", 1, &next), -EINVAL);
	CHECK_RC(st, store_reserve(st, "big", UINT64_MAX - 5, &next), 0);
	CHECK_RC(st, store_reserve(st, "big", 10, &next), -EOVERFLOW);
	CHECK_RC(st, store_counter_get(st, "big", &top), 0);
	CHECK(top == UINT64_MAX - 5, "u64 counter read back as %" PRIu64, top);
	store_close(st);

	st = open_store();
	CHECK_RC(st, store_counter_get(st, "downlink", &top), 0);
	CHECK(top == 1010, "after reopen reserved up to %" PRIu64, top);
	CHECK_RC(st, store_reserve(st, "downlink", 5, &next), 0);
	CHECK(next == 1011, "after reopen the range starts at %" PRIu64, next);
	store_close(st);
}

static void test_replay(void)
{
	struct store *st = open_store();
	uint8_t blob[3000], buf[3000];
	size_t len;

	fill(blob, sizeof(blob), 5);
	len = sizeof(buf);
	CHECK_RC(st, store_replay_get(st, STORE_REPLAY_GROUP, 1, 2, buf, &len), -ENOENT);
	CHECK_RC(st, store_replay_put(st, STORE_REPLAY_GROUP, 1, 2, blob, sizeof(blob)), 0);
	CHECK_RC(st, store_replay_put(st, STORE_REPLAY_GATEWAY, 1, 0, blob, 10), 0);
	blob[0] ^= 0xff;
	CHECK_RC(st, store_replay_put(st, STORE_REPLAY_GROUP, 1, 2, blob, sizeof(blob)), 0);
	len = 100;
	CHECK_RC(st, store_replay_get(st, STORE_REPLAY_GROUP, 1, 2, buf, &len), -ENOBUFS);
	CHECK(len == sizeof(blob), "needed %zu", len);
	len = sizeof(buf);
	CHECK_RC(st, store_replay_get(st, STORE_REPLAY_GROUP, 1, 2, buf, &len), 0);
	CHECK(len == sizeof(blob) && !memcmp(buf, blob, len), "replaced blob differs");
	len = sizeof(buf);
	CHECK_RC(st, store_replay_get(st, STORE_REPLAY_GATEWAY, 1, 0, buf, &len), 0);
	CHECK(len == 10, "gateway blob of %zu", len);
	CHECK_RC(st, store_replay_put(st, STORE_REPLAY_GATEWAY_CHANGES, 1, 1, blob, 10), 0);
	len = sizeof(buf);
	CHECK_RC(st, store_replay_get(st, STORE_REPLAY_GATEWAY_CHANGES, 1, 1, buf, &len), 0);
	CHECK(len == 10, "changes blob of %zu", len);
	CHECK_RC(st, store_replay_del(st, STORE_REPLAY_GATEWAY_CHANGES, 1, 1), 0);
	CHECK_RC(st, store_replay_put(st, 4, 1, 2, blob, 10), -EINVAL);
	CHECK_RC(st, store_replay_del(st, STORE_REPLAY_GROUP, 1, 2), 0);
	len = sizeof(buf);
	CHECK_RC(st, store_replay_get(st, STORE_REPLAY_GROUP, 1, 2, buf, &len), -ENOENT);
	store_close(st);
}

static void test_gateways(void)
{
	struct store *st = open_store();
	struct store_gateway g = { .id = 3 }, got;
	int n = 0;

	snprintf(g.identity, sizeof(g.identity), "CN=gw-3");
	snprintf(g.address, sizeof(g.address), "192.0.2.3:5000");
	CHECK_RC(st, store_gateway_put(st, &g), 0);
	CHECK_RC(st, store_gateway_set_seqs(st, 3, 1000, 50), 0);
	CHECK_RC(st, store_gateway_set_seqs(st, 3, 900, 60), 0);
	CHECK_RC(st, store_gateway_set_seqs(st, 4, 1, 1), -ENOENT);
	snprintf(g.address, sizeof(g.address), "192.0.2.33:5000");
	CHECK_RC(st, store_gateway_put(st, &g), 0);
	CHECK_RC(st, store_gateway_get(st, 3, &got), 0);
	CHECK(got.batch_seq == 1000 && got.downlink_floor == 60 &&
	      !strcmp(got.address, "192.0.2.33:5000") && !strcmp(got.identity, "CN=gw-3"),
	      "gateway 3: %" PRIu64 " %" PRIu64 " %s", got.batch_seq, got.downlink_floor,
	      got.address);
	CHECK(store_gateways_each(st, (store_gateway_fn)count_cb, &n) == 0 && n == 1,
	      "gateways: %d", n);
	g.id = 0;
	CHECK_RC(st, store_gateway_put(st, &g), -EINVAL);
	store_close(st);
}

static void test_secrets(void)
{
	struct store *st = open_store();
	uint8_t seed[32], got[64];
	size_t len = sizeof(got);

	fill(seed, sizeof(seed), 77);
	CHECK_RC(st, store_secret_put(st, "signing-seed", seed, sizeof(seed)), 0);
	CHECK_RC(st, store_secret_put(st, "signing-seed", seed, sizeof(seed)), -EEXIST);
	CHECK_RC(st, store_secret_get(st, "signing-seed", got, &len), 0);
	CHECK(len == 32 && !memcmp(got, seed, 32), "seed differs");
	len = 8;
	CHECK_RC(st, store_secret_get(st, "signing-seed", got, &len), -ENOBUFS);
	CHECK(len == 32, "needed %zu", len);
	CHECK_RC(st, store_secret_get(st, "nothing", got, &len), -ENOENT);
	store_close(st);
}

/* Move wrapped values to other rows: they must not open there. */
struct blob_copy {
	uint8_t buf[256];
	size_t len;
};

static int copy_blob(void *arg, const struct store_val *c, int n)
{
	struct blob_copy *b = arg;

	(void)n;
	b->len = c[0].len < sizeof(b->buf) ? c[0].len : 0;
	memcpy(b->buf, c[0].p, b->len);
	return 0;
}

static void test_moved_secrets(void)
{
	struct store *st = open_store();
	const struct store_val m = { .type = STORE_INT, .i = 1 };
	struct store_val p[2];
	struct blob_copy b = { .len = 0 };
	uint8_t key[STORE_WRAP_KEY_LEN];
	struct store_epoch e;
	struct store_member mem;
	uint32_t a;

	/* S_auth of 1/1 into 1/2's row. */
	raw(st, "SELECT s_auth FROM epochs WHERE group_id = 1 AND epoch = 1", NULL, 0,
	    copy_blob, &b);
	CHECK(b.len > 32, "wrapped S_auth of %zu bytes", b.len);
	p[0] = (struct store_val){ .type = STORE_BLOB, .p = b.buf, .len = b.len };
	CHECK(raw(st, "UPDATE epochs SET s_auth = $1 WHERE group_id = 1 AND epoch = 2", p, 1,
		  NULL, NULL) == 1, "cannot move: %s", store_error(st));
	CHECK_RC(st, store_epoch_get(st, 1, 2, &e), -EBADMSG);
	CHECK(strstr(store_error(st), "epochs 1/2 s_auth"), "error: %s", store_error(st));
	/* ... and S_e2e of the same row into its S_auth column. */
	raw(st, "SELECT s_e2e FROM epochs WHERE group_id = 1 AND epoch = 1", NULL, 0,
	    copy_blob, &b);
	CHECK(raw(st, "UPDATE epochs SET s_auth = $1 WHERE group_id = 1 AND epoch = 1", p, 1,
		  NULL, NULL) == 1, "cannot move: %s", store_error(st));
	CHECK_RC(st, store_epoch_get(st, 1, 1, &e), -EBADMSG);

	/* K_wrap,m of the first member into another member's row. */
	raw(st, "SELECT wrap_key FROM members WHERE id = $1 AND group_id = 1", &m, 1,
	    copy_blob, &b);
	a = 0;
	store_members_each(st, 1, max_member, &a);
	p[1] = (struct store_val){ .type = STORE_INT, .i = a };
	CHECK(raw(st, "UPDATE members SET wrap_key = $1 WHERE id = $2 AND group_id = 1", p, 2,
		  NULL, NULL) == 1, "cannot move: %s", store_error(st));
	CHECK_RC(st, store_member_get(st, a, 1, &mem, key), -EBADMSG);
	store_close(st);
}

/* Search every file under @dir (or the file @dir and its -wal) for @needle. */
static int file_has(const char *path, const uint8_t *needle, size_t n)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t len, keep = 0, i;
	int found = 0;

	if (!f)
		return 0;
	while (!found && (len = fread(buf + keep, 1, sizeof(buf) - keep, f)) > 0) {
		len += keep;
		for (i = 0; i + n <= len && !found; i++)
			found = !memcmp(buf + i, needle, n);
		keep = len >= n ? n - 1 : len;
		memmove(buf, buf + len - keep, keep);
	}
	fclose(f);
	return found;
}

static int tree_has(const char *dir, const uint8_t *needle, size_t n, int *files)
{
	char path[4096];
	struct dirent *de;
	struct stat sb;
	DIR *d = opendir(dir);
	int found = 0;

	if (!d) {
		++*files;
		return file_has(dir, needle, n);
	}
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &sb) == 0 && (S_ISDIR(sb.st_mode) || S_ISREG(sb.st_mode)))
			found = tree_has(path, needle, n, files);
	}
	closedir(d);
	return found;
}

static void test_raw_files(const char *rawdir)
{
	struct store *st = open_store();
	uint8_t key[STORE_WRAP_KEY_LEN], seed[32], clear[16];
	struct store_enroll_res r;
	struct store_epoch e;
	uint32_t epochs[1], g = 2;
	char wal[4096];
	int files = 0;

	/* A marker in the clear, to show that the search does find things. */
	memcpy(clear, "identity-in-the-", 16);
	CHECK_RC(st, enroll(st, "identity-in-the-clear", STORE_DEVICE_PSK, &g, 1, &r, epochs), 0);
	if (!strncmp(db, "postgresql:", 11))
		raw(st, "CHECKPOINT", NULL, 0, NULL, NULL);
	store_close(st);
	snprintf(wal, sizeof(wal), "%s-wal", rawdir);
	make_epoch(&e, 2, 1);
	wrap_key(NULL, r.member, key);
	fill(seed, sizeof(seed), 77);
	CHECK(tree_has(rawdir, clear, sizeof(clear), &files) ||
	      tree_has(wal, clear, sizeof(clear), &files), "no plain identity in %s", rawdir);
	CHECK(files > 0, "no files under %s", rawdir);
	CHECK(!tree_has(rawdir, e.s_auth, 16, &files) && !tree_has(wal, e.s_auth, 16, &files),
	      "S_auth in the clear under %s", rawdir);
	CHECK(!tree_has(rawdir, e.s_e2e, 16, &files) && !tree_has(wal, e.s_e2e, 16, &files),
	      "S_e2e in the clear under %s", rawdir);
	CHECK(!tree_has(rawdir, e.k_g, 16, &files) && !tree_has(wal, e.k_g, 16, &files),
	      "K_G in the clear under %s", rawdir);
	CHECK(!tree_has(rawdir, key, 16, &files) && !tree_has(wal, key, 16, &files),
	      "K_wrap,m in the clear under %s", rawdir);
	CHECK(!tree_has(rawdir, seed, 16, &files) && !tree_has(wal, seed, 16, &files),
	      "signing seed in the clear under %s", rawdir);
	OPENSSL_cleanse(&e, sizeof(e));
	OPENSSL_cleanse(key, sizeof(key));
}

/* Several processes enroll at once: every member id once. */
static void test_concurrent(void)
{
	enum { PROCS = 4, EACH = 40 };
	uint32_t g = 2, epochs[1], *ids;
	unsigned int before, after, i, j;
	struct store *st = open_store();
	int status, bad = 0;
	pid_t pids[PROCS];
	FILE *f = tmpfile();

	before = count_members(st, 2);
	store_close(st);
	for (i = 0; i < PROCS; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct store_enroll_res r;
			char id[64];

			st = open_store();
			for (j = 0; j < EACH; j++) {
				snprintf(id, sizeof(id), "PSK-%u-%u", i, j);
				if (enroll(st, id, STORE_DEVICE_PSK, &g, 1, &r, epochs) < 0) {
					printf("FAIL concurrent enroll: %s\n", store_error(st));
					_exit(1);
				}
				fprintf(f, "%u\n", r.member);
				fflush(f);
			}
			store_close(st);
			_exit(0);
		}
	}
	for (i = 0; i < PROCS; i++) {
		waitpid(pids[i], &status, 0);
		bad += !WIFEXITED(status) || WEXITSTATUS(status);
	}
	CHECK(bad == 0, "%d writers failed", bad);
	ids = calloc(PROCS * EACH, sizeof(*ids));
	rewind(f);
	for (i = 0; i < PROCS * EACH && fscanf(f, "%u", &ids[i]) == 1; i++)
		;
	CHECK(i == PROCS * EACH, "%u ids reported", i);
	for (j = 0; j < i; j++)
		for (status = 0; status < (int)j; status++)
			if (ids[status] == ids[j])
				bad++;
	CHECK(bad == 0, "%d member ids handed out twice", bad);
	st = open_store();
	after = count_members(st, 2);
	CHECK(after == before + PROCS * EACH, "%u member rows, want %u", after,
	      before + PROCS * EACH);
	store_close(st);
	free(ids);
	fclose(f);
}

/*
 * Another connection changes a row and holds its transaction open while a
 * child process runs @fn, which must wait for it; the change commits
 * after 300 ms.  Returns the child's exit status.
 */
static int with_held_change(const char *sql, const struct store_val *p, int n,
			    int (*fn)(struct store *st))
{
	struct store *holder = open_store();
	int ready[2], go[2], status = -1;
	char c = 0;
	pid_t pid;

	if (pipe(ready) < 0 || pipe(go) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct store *st = open_store();

		/* Opened (and migrated) before the other holds anything. */
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		_exit(fn(st));
	}
	if (read(ready[0], &c, 1) == 1 && holder->ops->begin(holder) == 0 &&
	    raw(holder, sql, p, n, NULL, NULL) == 1 && write(go[1], &c, 1) == 1) {
		usleep(300000);
		CHECK(holder->ops->commit(holder) == 0, "commit: %s", store_error(holder));
	}
	waitpid(pid, &status, 0);
	store_close(holder);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int enroll_race(struct store *st)
{
	struct store_enroll_res r;
	uint32_t g = 1, epochs[1];
	int rc = enroll(st, "CN=race", STORE_DEVICE_CERT, &g, 1, &r, epochs);

	if (rc != -EPERM)
		printf("enroll during a revocation: %d %s\n", rc, rc ? store_error(st) : "");
	return rc == -EPERM ? 0 : 1;
}

static int raise_race(struct store *st)
{
	int rc = store_gateway_set_seqs(st, 3, 2000, 0);

	if (rc < 0)
		printf("set_seqs: %s\n", store_error(st));
	return rc < 0;
}

/* Check-then-write calls, each against a change committed under it. */
static void test_races(void)
{
	struct store *st = open_store();
	struct store_enroll_res r;
	struct store_gateway gw;
	struct store_val p[2];
	uint32_t g = 1, epochs[1];

	CHECK_RC(st, enroll(st, "CN=race", STORE_DEVICE_CERT, &g, 1, &r, epochs), 0);
	p[0] = (struct store_val){ .type = STORE_INT, .i = (int64_t)r.device };
	CHECK(with_held_change("UPDATE devices SET revoked = 1 WHERE id = $1", p, 1,
			       enroll_race) == 0,
	      "an enrollment went through a revocation committed while it waited");
	p[0] = (struct store_val){ .type = STORE_INT, .i = 5000 };
	CHECK(with_held_change("UPDATE gateways SET batch_seq = $1 WHERE id = 3", p, 1,
			       raise_race) == 0, "set_seqs failed");
	CHECK_RC(st, store_gateway_get(st, 3, &gw), 0);
	CHECK(gw.batch_seq == 5000, "the batch sequence went back to %" PRIu64, gw.batch_seq);
	store_close(st);
}

/* The last member id is handed out once; then enrollments fail, nothing wraps. */
static void test_ids_used_up(void)
{
	struct store *st = open_store();
	struct store_enroll_res r;
	uint32_t g = 1, epochs[1];
	unsigned int members;

	if (!strcmp(store_backend(st), "sqlite"))
		raw(st, "UPDATE sequences SET last = top - 1 WHERE name = 'member'", NULL, 0,
		    NULL, NULL);
	else
		raw(st, "SELECT setval('member_ids', 4294967294)", NULL, 0, NULL, NULL);
	CHECK_RC(st, enroll(st, "CN=last", STORE_DEVICE_CERT, &g, 1, &r, epochs), 0);
	CHECK(r.member == UINT32_MAX, "the last id is %u", r.member);
	members = count_members(st, 0);
	CHECK_RC(st, enroll(st, "CN=one-too-many", STORE_DEVICE_CERT, &g, 1, &r, epochs),
		 -ENOSPC);
	CHECK(count_members(st, 0) == members, "a member row without an id");
	CHECK_RC(st, store_device_find(st, 0, "CN=one-too-many", &(struct store_device){ 0 }),
		 -ENOENT);
	store_close(st);
}

static int run_suite(const char *rawdir)
{
	test_migrations();
	test_master_key();
	test_groups();
	test_enroll();
	test_iteration();
	test_reserve();
	test_replay();
	test_gateways();
	test_secrets();
	if (rawdir)
		test_raw_files(rawdir);
	test_concurrent();
	test_races();
	test_moved_secrets();
	test_ids_used_up();	/* last: no enrollment works after it */
	return check_report();
}

/* Crash test: the writer enrolls until it is killed. */
static int run_writer(const char *log)
{
	struct store *st = open_store();
	struct store_enroll_res r;
	uint32_t groups[2] = { 1, 2 }, epochs[2];
	uint8_t key[STORE_WRAP_KEY_LEN];
	struct store_group g;
	char id[64], line[128];
	FILE *f = fopen(log, "a");
	unsigned long n;
	int rc;

	if (!f)
		return 1;
	setvbuf(f, NULL, _IONBF, 0);
	/* The groups, once; a crash between the two is fine (re-created next time). */
	if (store_group_get(st, 1, &g) == -ENOENT)
		make_group(st, 1);
	if (store_group_get(st, 2, &g) == -ENOENT)
		make_group(st, 2);
	fprintf(f, "start\n");
	for (n = 0;; n++) {
		snprintf(id, sizeof(id), "dev-%d-%lu", getpid(), n % 50);
		rc = enroll(st, id, n % 3 ? STORE_DEVICE_PSK : STORE_DEVICE_CERT, groups,
			    1 + n % 2, &r, epochs);
		if (rc < 0) {
			printf("enroll: %s\n", store_error(st));
			return 1;
		}
		wrap_key(NULL, r.member, key);
		/* Only now has the writer "seen" the enrollment: log it. */
		snprintf(line, sizeof(line), "%u %" PRIu64 " %s %zu\n", r.member, r.device, id,
			 1 + n % 2);
		if (fputs(line, f) < 0)
			return 1;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct seen {
	uint32_t *ids;
	size_t n;
	uint64_t last_device;
	int dup;
};

/* Rows come by member id: one id in two groups must be one device. */
static int collect(void *arg, const struct store_member *m)
{
	struct seen *s = arg;

	if (s->n && s->ids[s->n - 1] == m->id) {
		s->dup += m->device != s->last_device;
		return 0;
	}
	if (s->n == MAX_IDS)
		return 1;
	s->ids[s->n++] = m->id;
	s->last_device = m->device;
	return 0;
}

/* Sort @ids and count the values that appear more than once. */
static int count_repeats(uint32_t *ids, size_t n)
{
	size_t i;
	int dup = 0;

	qsort(ids, n, sizeof(*ids), cmp_u32);
	for (i = 1; i < n; i++)
		dup += ids[i] == ids[i - 1];
	return dup;
}


static int run_verify(const char *log)
{
	struct store *st = open_store();
	struct seen s = { calloc(MAX_IDS, sizeof(uint32_t)), 0, 0, 0 };
	uint32_t *log_ids = calloc(MAX_IDS, sizeof(uint32_t));
	uint8_t key[STORE_WRAP_KEY_LEN], want[STORE_WRAP_KEY_LEN];
	struct store_epoch e, got;
	struct store_member m;
	struct store_device d;
	char line[256], id[128];
	unsigned int member, groups, g;
	uint64_t device;
	size_t i, logged = 0;
	bool started = false;
	FILE *f = fopen(log, "r");

	CHECK(f != NULL, "no log %s", log);
	/*
	 * The epoch secrets are the ones the writer created.  A writer
	 * killed before it logged "start" may not have created them yet
	 * (the first round, killed while it connected): absent is fine
	 * then, different never.
	 */
	while (f && fgets(line, sizeof(line), f))
		started |= !strcmp(line, "start\n");
	if (f)
		rewind(f);
	for (g = 1; g <= 2; g++) {
		make_epoch(&e, g, 1);
		if (!started && store_epoch_get(st, g, 1, &got) == -ENOENT)
			continue;
		CHECK_RC(st, store_epoch_get(st, g, 1, &got), 0);
		CHECK(!memcmp(e.s_auth, got.s_auth, 32) && !memcmp(e.s_e2e, got.s_e2e, 32) &&
		      !memcmp(e.k_g, got.k_g, 16), "group %u secrets changed", g);
	}
	/* Member rows are ordered by id: ids are unique by the primary key per group. */
	CHECK(store_members_each(st, 0, collect, &s) == 0, "more than %d members", MAX_IDS);
	s.dup += count_repeats(s.ids, s.n);
	CHECK(s.dup == 0, "%d member ids on two devices in the database", s.dup);
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %" SCNu64 " %127s %u", &member, &device, id, &groups) != 4)
			continue;	/* "start", or a line cut by the kill */
		if (logged < MAX_IDS)
			log_ids[logged] = member;
		logged++;
		for (g = 1; g <= groups; g++) {
			CHECK_RC(st, store_member_get(st, member, g, &m, key), 0);
			wrap_key(NULL, member, want);
			CHECK(m.device == device && !memcmp(key, want, sizeof(key)),
			      "member %u in group %u changed", member, g);
		}
		CHECK_RC(st, store_device_get(st, device, &d), 0);
		CHECK(!strcmp(d.identity, id), "device %" PRIu64 " is %s, logged %s", device,
		      d.identity, id);
		if (check_failures > 20)
			break;
	}
	i = logged < MAX_IDS ? logged : MAX_IDS;
	CHECK(count_repeats(log_ids, i) == 0, "the writers were given a member id twice");
	printf("%zu enrollments logged, %zu member ids, %d failed checks\n", logged, s.n,
	       check_failures);
	if (f)
		fclose(f);
	free(s.ids);
	free(log_ids);
	store_close(st);
	return check_failures ? 1 : 0;
}

/* Enroll until the disk is full: -ENOSPC, and nothing half-written. */
static int run_fill(void)
{
	struct store *st = open_store();
	struct store_enroll_res r;
	uint32_t groups[2] = { 1, 2 }, epochs[2], last = 0;
	char id[STORE_IDENTITY_MAX + 1];
	unsigned long n, ok = 0;
	int rc = 0;

	if (make_group(st, 1) < 0 || make_group(st, 2) < 0) {
		printf("FAIL groups: %s\n", store_error(st));
		return 1;
	}
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = 0;
	for (n = 0; n < 10000000; n++) {
		snprintf(id, 20, "%019lu", n);
		id[19] = 'x';
		rc = enroll(st, id, STORE_DEVICE_CERT, groups, 2, &r, epochs);
		if (rc < 0)
			break;
		ok++;
		last = r.member;
	}
	CHECK(rc == -ENOSPC, "enrolling until full: %d %s", rc, store_error(st));
	CHECK(strstr(store_error(st), "full") && strstr(store_error(st), "nothing was written"),
	      "error: %s", store_error(st));
	printf("full after %lu enrollments: %s\n", ok, store_error(st));
	CHECK(count_members(st, 0) == 2 * ok && count_devices(st) == ok,
	      "%u member rows, %u devices for %lu enrollments", count_members(st, 0),
	      count_devices(st), ok);
	/* Small writes may still fit or not; either way no partial enrollment. */
	store_close(st);
	st = open_store();
	CHECK(count_members(st, 0) == 2 * ok, "after reopen %u member rows, want %lu",
	      count_members(st, 0), 2 * ok);
	rc = enroll(st, "after", STORE_DEVICE_CERT, groups, 2, &r, epochs);
	CHECK(rc == -ENOSPC || (rc == 0 && r.member > last), "after reopen: %d member %u",
	      rc, r.member);
	CHECK(count_members(st, 0) == 2 * ok + (rc == 0 ? 2 : 0), "rows after the last try");
	store_close(st);
	return check_report();
}

/*
 * The database is read-only: a clear -EROFS at open or at the first write,
 * nothing written.  With @cmd: the store opens and enrolls, then @cmd
 * makes the database read-only under it.
 */
static int run_readonly(const char *cmd)
{
	char err[STORE_ERR_LEN];
	struct store_enroll_res r;
	uint32_t g = 1, epochs[1];
	struct store *st;
	unsigned int before;
	int rc;

	rc = store_open(db, master, &st, err);
	if (rc < 0) {
		CHECK(!cmd && rc == -EROFS && strstr(err, "read-only"), "open: %d %s", rc, err);
		printf("refused at open: %s\n", err);
		goto out;
	}
	if (cmd) {
		if (store_group_get(st, 1, &(struct store_group){ 0 }) == -ENOENT)
			CHECK_RC(st, make_group(st, 1), 0);
		CHECK_RC(st, enroll(st, "rw-device", STORE_DEVICE_CERT, &g, 1, &r, epochs), 0);
		CHECK(system(cmd) == 0, "%s failed", cmd);
	}
	before = count_members(st, 0);
	rc = enroll(st, "ro-device", STORE_DEVICE_CERT, &g, 1, &r, epochs);
	CHECK(rc == -EROFS && strstr(store_error(st), "read-only"), "enroll: %d %s", rc,
	      store_error(st));
	printf("refused at enroll: %s\n", store_error(st));
	CHECK(count_members(st, 0) == before, "rows written");
	CHECK_RC(st, store_device_find(st, 0, "ro-device", &(struct store_device){ 0 }),
		 -ENOENT);
	store_close(st);
out:
	return check_report();
}

/* The server restarts under an open store (@cmd, twice): a read and a write go on. */
static int run_reconnect(const char *cmd)
{
	struct store *st = open_store();
	struct store_enroll_res r;
	uint32_t g = 1, epochs[1];
	struct store_group grp;

	if (store_group_get(st, 1, &grp) == -ENOENT)
		CHECK_RC(st, make_group(st, 1), 0);
	CHECK(system(cmd) == 0, "%s failed", cmd);
	CHECK_RC(st, store_group_get(st, 1, &grp), 0);
	CHECK(system(cmd) == 0, "%s failed", cmd);
	CHECK_RC(st, enroll(st, "CN=after-restart", STORE_DEVICE_CERT, &g, 1, &r, epochs), 0);
	store_close(st);
	return check_report();
}

int main(int argc, char **argv)
{
	char err[STORE_ERR_LEN];

	if (argc < 4) {
		fprintf(stderr, "usage: %s init|suite|writer|verify|fill|reconnect|readonly DB KEYFILE [ARG]\n",
			argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	db = argv[2];
	if (keystore_load(argv[3], master, err) < 0) {
		printf("FAIL %s\n", err);
		return 1;
	}
	if (!strcmp(argv[1], "init")) {
		store_close(open_store());
		return 0;
	}
	if (!strcmp(argv[1], "suite"))
		return run_suite(argc > 4 ? argv[4] : NULL);
	if (!strcmp(argv[1], "writer") && argc > 4)
		return run_writer(argv[4]);
	if (!strcmp(argv[1], "verify") && argc > 4)
		return run_verify(argv[4]);
	if (!strcmp(argv[1], "reconnect") && argc > 4)
		return run_reconnect(argv[4]);
	if (!strcmp(argv[1], "fill"))
		return run_fill();
	if (!strcmp(argv[1], "readonly"))
		return run_readonly(argc > 4 ? argv[4] : NULL);
	fprintf(stderr, "%s: unknown mode %s\n", argv[0], argv[1]);
	return 2;
}
