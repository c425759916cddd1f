// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The storage rules, once for both databases: argument checks, the rows
 * each call writes in its one transaction, the wrapping of secrets, the
 * schema and its migrations.  store_sqlite.c and store_pg.c only run SQL.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "keystore.h"
#include "store_db.h"

#define SCHEMA_VERSION	1
#define TX_TRIES	8	/* serialization failures before giving up */
#define CHECK_SECRET	"master-check"

/* Parameter lists: q(st, SQL, P(I(1), T("x")), fn, arg). */
#define I(x)		{ .type = STORE_INT, .i = (int64_t)(x) }
#define T(s)		{ .type = STORE_TEXT, .p = (s), .len = strlen(s) }
#define B(b, n)		{ .type = STORE_BLOB, .p = (b), .len = (n) }
#define P(...)		(const struct store_val[]){ __VA_ARGS__ }, \
			(int)(sizeof((const struct store_val[]){ __VA_ARGS__ }) / \
			      sizeof(struct store_val))
#define NOPARAMS	NULL, 0

/*
 * Schema version 1.  Integers are BIGINT (u64 values as their int64 bit
 * pattern, compared in C); SQLite stores BYTEA columns as blobs.  Id
 * sequences are the database's own (migration_extra).
 */
static const char *const migrations[SCHEMA_VERSION] = {
	"CREATE TABLE devices ("
	" id BIGINT PRIMARY KEY, identity TEXT NOT NULL, kind BIGINT NOT NULL,"
	" first_enrolled BIGINT NOT NULL, last_enrolled BIGINT NOT NULL,"
	" revoked BIGINT NOT NULL DEFAULT 0, UNIQUE (kind, identity));"
	"CREATE TABLE groups ("
	" id BIGINT PRIMARY KEY, suite BIGINT NOT NULL, mode BIGINT NOT NULL,"
	" flags BIGINT NOT NULL, epoch BIGINT NOT NULL, next_epoch BIGINT NOT NULL);"
	"CREATE TABLE epochs ("
	" group_id BIGINT NOT NULL REFERENCES groups (id), epoch BIGINT NOT NULL,"
	" s_auth BYTEA NOT NULL, s_e2e BYTEA NOT NULL, k_g BYTEA NOT NULL,"
	" created BIGINT NOT NULL, retires BIGINT NOT NULL, msg_limit BIGINT NOT NULL,"
	" PRIMARY KEY (group_id, epoch));"
	"CREATE TABLE members ("
	" id BIGINT NOT NULL, group_id BIGINT NOT NULL REFERENCES groups (id),"
	" device_id BIGINT NOT NULL REFERENCES devices (id),"
	" epoch_joined BIGINT NOT NULL, state BIGINT NOT NULL, wrap_key BYTEA NOT NULL,"
	" PRIMARY KEY (id, group_id));"
	"CREATE INDEX members_device ON members (device_id, state);"
	"CREATE INDEX members_group ON members (group_id, id);"
	"CREATE TABLE gateways ("
	" id BIGINT PRIMARY KEY, identity TEXT NOT NULL, address TEXT NOT NULL,"
	" batch_seq BIGINT NOT NULL, downlink_floor BIGINT NOT NULL);"
	"CREATE TABLE counters (name TEXT PRIMARY KEY, reserved BIGINT NOT NULL);"
	"CREATE TABLE replay ("
	" owner BIGINT NOT NULL, id BIGINT NOT NULL, epoch BIGINT NOT NULL,"
	" state BYTEA NOT NULL, PRIMARY KEY (owner, id, epoch));"
	"CREATE TABLE secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);"
	"CREATE TABLE events ("
	" happened BIGINT NOT NULL, kind TEXT NOT NULL, device_id BIGINT NOT NULL,"
	" member_id BIGINT NOT NULL, detail TEXT NOT NULL);",
};

int store_fail(struct store *st, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return rc;
}

static int q(struct store *st, const char *sql, const struct store_val *p, int n,
	     store_row_fn fn, void *arg)
{
	return st->ops->exec(st, sql, p, n, fn, arg);
}

/* Run @fn in one write transaction, again after a serialization failure. */
static int tx(struct store *st, int (*fn)(struct store *st, void *arg), void *arg)
{
	int rc = -EAGAIN, i;

	for (i = 0; i < TX_TRIES && rc == -EAGAIN; i++) {
		st->err[0] = 0;
		rc = st->ops->begin(st);
		if (rc == 0)
			rc = fn(st, arg);
		if (rc == 0)
			rc = st->ops->commit(st);
		if (rc < 0)
			st->ops->rollback(st);
	}
	if (rc == -EAGAIN)
		rc = store_fail(st, -EBUSY, "%s: still conflicting after %d tries",
				st->ops->name, TX_TRIES);
	return rc < 0 ? rc : 0;
}

static int64_t now(void)
{
	return (int64_t)time(NULL);
}

/* Column helpers. */
static uint64_t u64(const struct store_val *v)
{
	return (uint64_t)v->i;
}

static void text(char *dst, size_t cap, const struct store_val *v)
{
	size_t n = v->type == STORE_TEXT && v->len < cap ? v->len : 0;

	memcpy(dst, v->p, n);
	dst[n] = 0;
}

int store_row_ints(void *arg, const struct store_val *c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (c[i].type == STORE_INT)
			((int64_t *)arg)[i] = c[i].i;
	return 0;
}

struct blob_out {
	uint8_t *buf;
	size_t cap;
	size_t len;		/* the blob's length, also when it did not fit */
};

static int row_blob(void *arg, const struct store_val *c, int n)
{
	struct blob_out *b = arg;

	(void)n;
	b->len = c[0].len;
	if (c[0].type == STORE_BLOB && c[0].len <= b->cap)
		memcpy(b->buf, c[0].p, c[0].len);
	return 0;
}

/* Wrapping, with the row named as grpsecd.rst says. */
static int seal(struct store *st, const char *table, const char *row, const char *col,
		const uint8_t *plain, size_t len, uint8_t *out, size_t *out_len)
{
	int rc = keystore_wrap(st->master, table, row, col, plain, len, out, out_len);

	return rc < 0 ? store_fail(st, rc, "cannot wrap %s %s %s", table, row, col) : 0;
}

/* Open the wrapped value in column 0 of a row. */
static int unseal(struct store *st, const char *table, const char *row, const char *col,
		  const struct store_val *v, uint8_t *out, size_t cap, size_t *out_len)
{
	int rc = v->type == STORE_BLOB ? keystore_unwrap(st->master, table, row, col, v->p,
							 v->len, out, cap, out_len) : -EBADMSG;

	if (rc == -EBADMSG)
		return store_fail(st, rc, "%s %s %s does not open under the master key "
				  "(another key file, or the value was changed or moved)",
				  table, row, col);
	return rc < 0 ? store_fail(st, rc, "%s %s %s: %s", table, row, col, strerror(-rc)) : 0;
}

static int check_name(struct store *st, const char *what, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > STORE_NAME_MAX)
		return store_fail(st, -EINVAL, "%s name must be 1 to %d bytes", what,
				  STORE_NAME_MAX);
	return 0;
}

/*
 * Identities are text on both databases: UTF-8 (PostgreSQL refuses
 * anything else), no control characters, 1..STORE_IDENTITY_MAX bytes.
 */
static int check_identity(struct store *st, const char *id)
{
	const unsigned char *p = (const unsigned char *)id;
	size_t n = id ? strlen(id) : 0;
	int more = 0;

	if (n == 0 || n > STORE_IDENTITY_MAX)
		return store_fail(st, -EINVAL, "identity must be 1 to %d bytes",
				  STORE_IDENTITY_MAX);
	for (; *p; p++) {
		if (more && (*p & 0xc0) == 0x80) {
			more--;
			continue;
		}
		if (more || *p < 0x20 || *p == 0x7f || (*p >= 0x80 && *p < 0xc2) || *p > 0xf4)
			break;
		more = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc0 ? 1 : 0;
	}
	if (*p || more)
		return store_fail(st, -EINVAL, "identity is not printable UTF-8 (byte %zu)",
				  (size_t)(p - (const unsigned char *)id));
	return 0;
}

/* Migrations */

static int migrate_tx(struct store *st, void *arg)
{
	int64_t version = 0;
	int rc, v;

	(void)arg;
	if (st->ops->lock_schema) {
		rc = st->ops->exec_script(st, st->ops->lock_schema);
		if (rc < 0)
			return rc;
	}
	rc = q(st, "SELECT version FROM schema_version", NOPARAMS, store_row_ints, &version);
	if (rc < 0)
		return rc;
	if (version > SCHEMA_VERSION)
		return store_fail(st, -EPROTO, "database schema version %" PRId64
				  " is newer than this grpsecd's (%d)", version, SCHEMA_VERSION);
	for (v = (int)version + 1; v <= SCHEMA_VERSION; v++) {
		rc = st->ops->exec_script(st, migrations[v - 1]);
		if (rc == 0 && st->ops->migration_extra[v - 1])
			rc = st->ops->exec_script(st, st->ops->migration_extra[v - 1]);
		if (rc < 0)
			return rc;
	}
	if (version == SCHEMA_VERSION)
		return 0;
	rc = q(st, version ? "UPDATE schema_version SET version = $1" :
	       "INSERT INTO schema_version (version) VALUES ($1)",
	       P(I(SCHEMA_VERSION)), NULL, NULL);
	return rc < 0 ? rc : 0;
}

/*
 * All migrations run in one transaction: a database is at one version or
 * the next, never in between.
 */
static int migrate(struct store *st)
{
	int rc = st->ops->exec_script(st, "CREATE TABLE IF NOT EXISTS schema_version "
				      "(version BIGINT NOT NULL)");

	return rc < 0 ? rc : tx(st, migrate_tx, NULL);
}

/* A wrapped random value that only the right master key opens. */
static int check_master(struct store *st)
{
	uint8_t v[32];
	size_t len = sizeof(v);
	int rc;

	rc = store_secret_get(st, CHECK_SECRET, v, &len);
	if (rc == -ENOENT) {
		if (RAND_bytes(v, sizeof(v)) != 1)
			return store_fail(st, -EIO, "no random bytes");
		rc = store_secret_put(st, CHECK_SECRET, v, sizeof(v));
		if (rc == -EEXIST)	/* another process was first */
			rc = store_secret_get(st, CHECK_SECRET, v, &len);
	}
	OPENSSL_cleanse(v, sizeof(v));
	if (rc == -EBADMSG)
		return store_fail(st, rc, "the master key does not open this database "
				  "(it was created with another key file)");
	return rc;
}

int store_open(const char *where, const uint8_t master[STORE_MASTER_KEY_LEN],
	       struct store **out, char *err)
{
	static const struct { const char *scheme; const struct store_ops *ops; } schemes[] = {
		{ "sqlite:", &store_sqlite_ops },
		{ "postgresql:", &store_pg_ops },
	};
	struct store *st = NULL;
	size_t i, n;
	int rc;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		n = strlen(schemes[i].scheme);
		if (strncmp(where, schemes[i].scheme, n) == 0)
			break;
	}
	if (i == sizeof(schemes) / sizeof(schemes[0])) {
		snprintf(err, STORE_ERR_LEN, "database \"%.64s\": give sqlite:PATH or "
			 "postgresql:CONNINFO", where);
		return -EINVAL;
	}
	err[0] = 0;
	rc = schemes[i].ops->open(where + n, &st, err);
	if (rc < 0)
		return rc;
	memcpy(st->master, master, STORE_MASTER_KEY_LEN);
	rc = migrate(st);
	if (rc == 0)
		rc = check_master(st);
	if (rc < 0) {
		snprintf(err, STORE_ERR_LEN, "%s", st->err);
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	OPENSSL_cleanse(st->master, sizeof(st->master));
	st->ops->close(st);
}

const char *store_error(const struct store *st)
{
	return st->err;
}

const char *store_backend(const struct store *st)
{
	return st->ops->name;
}

int store_schema_version(struct store *st, unsigned int *version)
{
	int64_t v = 0;
	int rc = q(st, "SELECT version FROM schema_version", NOPARAMS, store_row_ints, &v);

	if (rc == 0)
		return store_fail(st, -ENOENT, "no schema version");
	if (rc > 0)
		*version = (unsigned int)v;
	return rc < 0 ? rc : 0;
}

/* Enrollment */

struct enroll {
	const struct store_enroll_req *req;
	struct store_enroll_res *res;
};

/*
 * The device row: found (and refused if revoked) or created.  The UPDATE
 * comes first: it locks the row, so a revocation committed meanwhile is
 * seen (PostgreSQL re-reads the row it waited for) and one that starts
 * meanwhile waits for this enrollment and then revokes its rows too.
 */
static int enroll_device(struct store *st, const struct store_enroll_req *req,
			 uint64_t *device)
{
	int64_t row[2] = { 0, 0 };
	uint64_t id;
	int rc;

	rc = q(st, "UPDATE devices SET last_enrolled = $3 WHERE kind = $1 AND identity = $2"
	       " RETURNING id, revoked", P(I(req->kind), T(req->identity), I(now())),
	       store_row_ints, row);
	if (rc > 0) {
		*device = (uint64_t)row[0];
		if (row[1])
			return store_fail(st, -EPERM, "device %" PRId64 " (%s) is revoked",
					  row[0], req->identity);
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = st->ops->next_id(st, "device", &id);
	if (rc < 0)
		return rc;
	rc = q(st, "INSERT INTO devices (id, identity, kind, first_enrolled, last_enrolled)"
	       " VALUES ($1, $2, $3, $4, $4)",
	       P(I(id), T(req->identity), I(req->kind), I(now())), NULL, NULL);
	*device = id;
	/* The same identity enrolled meanwhile: start again, it is found then. */
	return rc == -EEXIST ? -EAGAIN : rc < 0 ? rc : 0;
}

static int enroll_member(struct store *st, const struct store_enroll_req *req,
			 struct store_enroll_res *res, const uint8_t *wrap_key)
{
	uint8_t wrapped[KEYSTORE_OVERHEAD + STORE_WRAP_KEY_LEN];
	char row[32];
	size_t i, len;
	int rc;

	rc = q(st, "UPDATE members SET state = $2 WHERE device_id = $1 AND state = $3",
	       P(I(res->device), I(STORE_MEMBER_LEFT), I(STORE_MEMBER_ACTIVE)), NULL, NULL);
	for (i = 0; rc >= 0 && i < req->n_groups; i++) {
		snprintf(row, sizeof(row), "%" PRIu32 "/%" PRIu32, res->member, req->groups[i]);
		rc = seal(st, "members", row, "wrap_key", wrap_key, STORE_WRAP_KEY_LEN,
			  wrapped, &len);
		if (rc == 0)
			rc = q(st, "INSERT INTO members (id, group_id, device_id, epoch_joined,"
			       " state, wrap_key) VALUES ($1, $2, $3, $4, $5, $6)",
			       P(I(res->member), I(req->groups[i]), I(res->device),
				 I(res->epochs[i]), I(STORE_MEMBER_ACTIVE), B(wrapped, len)),
			       NULL, NULL);
	}
	if (rc >= 0)
		rc = q(st, "INSERT INTO events (happened, kind, device_id, member_id, detail)"
		       " VALUES ($1, 'enroll', $2, $3, $4)",
		       P(I(now()), I(res->device), I(res->member), T(req->identity)), NULL, NULL);
	return rc < 0 ? rc : 0;
}

static int enroll_tx(struct store *st, void *arg)
{
	const struct store_enroll_req *req = ((struct enroll *)arg)->req;
	struct store_enroll_res *res = ((struct enroll *)arg)->res;
	uint8_t wrap_key[STORE_WRAP_KEY_LEN];
	int64_t epoch;
	uint64_t member;
	size_t i;
	int rc;

	rc = enroll_device(st, req, &res->device);
	for (i = 0; rc == 0 && i < req->n_groups; i++) {
		rc = q(st, "SELECT epoch FROM groups WHERE id = $1", P(I(req->groups[i])),
		       store_row_ints, &epoch);
		if (rc == 0)
			return store_fail(st, -ENOENT, "group %" PRIu32 " does not exist",
					  req->groups[i]);
		res->epochs[i] = (uint32_t)epoch;
		rc = rc < 0 ? rc : 0;
	}
	if (rc == 0)
		rc = st->ops->next_id(st, "member", &member);
	if (rc < 0)
		return rc;
	res->member = (uint32_t)member;
	rc = req->wrap_key(req->wrap_key_arg, res->member, wrap_key);
	if (rc < 0)
		return store_fail(st, rc, "deriving K_wrap,m failed: %s", strerror(-rc));
	rc = enroll_member(st, req, res, wrap_key);
	OPENSSL_cleanse(wrap_key, sizeof(wrap_key));
	return rc;
}

int store_enroll(struct store *st, const struct store_enroll_req *req,
		 struct store_enroll_res *res)
{
	struct enroll e = { req, res };
	size_t i, j;

	if (check_identity(st, req->identity) < 0)
		return -EINVAL;
	if (req->kind != STORE_DEVICE_CERT && req->kind != STORE_DEVICE_PSK)
		return store_fail(st, -EINVAL, "device kind %u is neither cert nor psk",
				  req->kind);
	if (req->n_groups == 0 || !req->groups || !req->wrap_key || !res->epochs)
		return store_fail(st, -EINVAL, "an enrollment needs groups and a wrap key");
	for (i = 0; i < req->n_groups; i++)
		for (j = 0; j < i; j++)
			if (req->groups[i] == req->groups[j] || req->groups[i] == 0)
				return store_fail(st, -EINVAL, "group %" PRIu32
						  " twice or 0", req->groups[i]);
	return tx(st, enroll_tx, &e);
}

/* Devices */

#define DEVICE_COLS "id, identity, kind, first_enrolled, last_enrolled, revoked"

static void decode_device(const struct store_val *c, struct store_device *d)
{
	d->id = u64(&c[0]);
	text(d->identity, sizeof(d->identity), &c[1]);
	d->kind = (uint8_t)c[2].i;
	d->first_enrolled = c[3].i;
	d->last_enrolled = c[4].i;
	d->revoked = c[5].i != 0;
}

/*
 * One walk context for every each() and every get: the rows are decoded
 * as @kind says, then handed to the callback, or (a get: no callback)
 * copied to @arg.
 */
enum walk_kind { WALK_DEVICES, WALK_MEMBERS, WALK_GROUPS, WALK_GATEWAYS };

struct walk {
	enum walk_kind kind;
	store_device_fn device;
	store_member_fn member;
	store_group_fn group;
	store_gateway_fn gateway;
	void *arg;
	int rc;
};

static int walk_row(void *arg, const struct store_val *c, int n)
{
	struct walk *w = arg;
	union {
		struct store_device d;
		struct store_member m;
		struct store_group g;
		struct store_gateway gw;
	} u;
	size_t size;

	(void)n;
	memset(&u, 0, sizeof(u));
	switch (w->kind) {
	case WALK_DEVICES:
		decode_device(c, &u.d);
		w->rc = w->device ? w->device(w->arg, &u.d) : 0;
		size = sizeof(u.d);
		break;
	case WALK_MEMBERS:
		u.m.id = (uint32_t)c[0].i;
		u.m.group = (uint32_t)c[1].i;
		u.m.device = u64(&c[2]);
		u.m.epoch_joined = (uint32_t)c[3].i;
		u.m.state = (uint8_t)c[4].i;
		w->rc = w->member ? w->member(w->arg, &u.m) : 0;
		size = sizeof(u.m);
		break;
	case WALK_GROUPS:
		u.g.id = (uint32_t)c[0].i;
		u.g.suite = (uint8_t)c[1].i;
		u.g.mode = (uint8_t)c[2].i;
		u.g.flags = (uint32_t)c[3].i;
		u.g.epoch = (uint32_t)c[4].i;
		u.g.next_epoch = (uint32_t)c[5].i;
		w->rc = w->group ? w->group(w->arg, &u.g) : 0;
		size = sizeof(u.g);
		break;
	default:
		u.gw.id = (uint32_t)c[0].i;
		text(u.gw.identity, sizeof(u.gw.identity), &c[1]);
		text(u.gw.address, sizeof(u.gw.address), &c[2]);
		u.gw.batch_seq = u64(&c[3]);
		u.gw.downlink_floor = u64(&c[4]);
		w->rc = w->gateway ? w->gateway(w->arg, &u.gw) : 0;
		size = sizeof(u.gw);
	}
	if (!w->device && !w->member && !w->group && !w->gateway)
		memcpy(w->arg, &u, size);
	return w->rc;
}

/* Run a query through walk_row(): the walk's rc, or the query's error. */
static int walk(struct store *st, struct walk *w, const char *sql,
		const struct store_val *p, int n)
{
	int rc = q(st, sql, p, n, walk_row, w);

	return rc < 0 ? rc : w->rc;
}

/* A get: -ENOENT with @what named when no row matched. */
static int get_one(struct store *st, struct walk *w, const char *what, const char *sql,
		   const struct store_val *p, int n)
{
	int rc = q(st, sql, p, n, walk_row, w);

	if (rc == 0)
		return store_fail(st, -ENOENT, "no %s", what);
	return rc < 0 ? rc : 0;
}

int store_device_get(struct store *st, uint64_t id, struct store_device *out)
{
	struct walk w = { .kind = WALK_DEVICES, .arg = out };
	char what[48];

	snprintf(what, sizeof(what), "device %" PRIu64, id);
	return get_one(st, &w, what, "SELECT " DEVICE_COLS " FROM devices WHERE id = $1",
		       P(I(id)));
}

struct find {
	struct store_device *out;
	int n;
};

static int find_device(void *arg, const struct store_device *d)
{
	struct find *f = arg;

	if (f->n++ == 0)
		memcpy(f->out, d, sizeof(*d));
	return 0;
}

int store_device_find(struct store *st, uint8_t kind, const char *identity,
		      struct store_device *out)
{
	struct find f = { out, 0 };
	struct walk w = { .kind = WALK_DEVICES, .device = find_device, .arg = &f };
	int rc;

	rc = walk(st, &w, "SELECT " DEVICE_COLS " FROM devices WHERE identity = $1"
		  " AND ($2 = 0 OR kind = $2) ORDER BY id", P(T(identity), I(kind)));
	if (rc < 0)
		return rc;
	if (f.n == 0)
		return store_fail(st, -ENOENT, "no device \"%s\"", identity);
	if (f.n > 1)
		return store_fail(st, -EEXIST, "\"%s\" names a certificate and a PSK device:"
				  " give the kind or the device id", identity);
	return 0;
}

struct revoke {
	uint64_t id;
	unsigned int n;
};

static int revoke_tx(struct store *st, void *arg)
{
	struct revoke *r = arg;
	int64_t one;
	int rc;

	/* Only the call that flips the flag revokes rows and logs the event. */
	rc = q(st, "UPDATE devices SET revoked = 1 WHERE id = $1 AND revoked = 0", P(I(r->id)),
	       NULL, NULL);
	if (rc == 0) {
		rc = q(st, "SELECT 1 FROM devices WHERE id = $1", P(I(r->id)), store_row_ints,
		       &one);
		if (rc == 0)
			return store_fail(st, -ENOENT, "no device %" PRIu64, r->id);
		return rc < 0 ? rc : 0;
	}
	if (rc >= 0)
		rc = q(st, "UPDATE members SET state = $2 WHERE device_id = $1 AND state = $3",
		       P(I(r->id), I(STORE_MEMBER_REVOKED), I(STORE_MEMBER_ACTIVE)), NULL, NULL);
	if (rc < 0)
		return rc;
	r->n = (unsigned int)rc;
	rc = q(st, "INSERT INTO events (happened, kind, device_id, member_id, detail)"
	       " VALUES ($1, 'revoke', $2, 0, '')", P(I(now()), I(r->id)), NULL, NULL);
	return rc < 0 ? rc : 0;
}

int store_device_revoke(struct store *st, uint64_t id, unsigned int *n_members)
{
	struct revoke r = { id, 0 };
	int rc = tx(st, revoke_tx, &r);

	if (rc == 0 && n_members)
		*n_members = r.n;
	return rc;
}

int store_devices_each(struct store *st, store_device_fn fn, void *arg)
{
	struct walk w = { .kind = WALK_DEVICES, .device = fn, .arg = arg };

	return walk(st, &w, "SELECT " DEVICE_COLS " FROM devices ORDER BY id", NOPARAMS);
}

int store_devices_page(struct store *st, uint64_t after, unsigned int limit,
		       store_device_fn fn, void *arg)
{
	struct walk w = { .kind = WALK_DEVICES, .device = fn, .arg = arg };

	return walk(st, &w, "SELECT " DEVICE_COLS " FROM devices WHERE id > $1"
		    " ORDER BY id LIMIT $2", P(I(after), I(limit)));
}

/* Members */

#define MEMBER_COLS "id, group_id, device_id, epoch_joined, state"

int store_member_get(struct store *st, uint32_t member, uint32_t group,
		     struct store_member *out, uint8_t wrap_key[STORE_WRAP_KEY_LEN])
{
	struct walk w = { .kind = WALK_MEMBERS, .arg = out };
	uint8_t wrapped[KEYSTORE_OVERHEAD + STORE_WRAP_KEY_LEN];
	struct blob_out b = { wrapped, sizeof(wrapped), 0 };
	struct store_val v;
	char what[48];
	size_t len;
	int rc;

	snprintf(what, sizeof(what), "member %" PRIu32 " in group %" PRIu32, member, group);
	rc = get_one(st, &w, what, "SELECT " MEMBER_COLS " FROM members"
		     " WHERE id = $1 AND group_id = $2", P(I(member), I(group)));
	if (rc < 0 || !wrap_key)
		return rc;
	rc = q(st, "SELECT wrap_key FROM members WHERE id = $1 AND group_id = $2",
	       P(I(member), I(group)), row_blob, &b);
	if (rc < 0)
		return rc;
	v = (struct store_val){ .type = b.len <= b.cap ? STORE_BLOB : STORE_NULL,
				.p = wrapped, .len = b.len };
	snprintf(what, sizeof(what), "%" PRIu32 "/%" PRIu32, member, group);
	rc = unseal(st, "members", what, "wrap_key", &v, wrap_key, STORE_WRAP_KEY_LEN, &len);
	if (rc == 0 && len != STORE_WRAP_KEY_LEN)
		rc = store_fail(st, -EBADMSG, "member %s: wrap key of %zu bytes", what, len);
	if (rc < 0)
		OPENSSL_cleanse(wrap_key, STORE_WRAP_KEY_LEN);
	return rc;
}

int store_members_each(struct store *st, uint32_t group, store_member_fn fn, void *arg)
{
	struct walk w = { .kind = WALK_MEMBERS, .member = fn, .arg = arg };

	return walk(st, &w, "SELECT " MEMBER_COLS " FROM members"
		    " WHERE $1 = 0 OR group_id = $1 ORDER BY id, group_id", P(I(group)));
}

int store_device_members(struct store *st, uint64_t device, store_member_fn fn, void *arg)
{
	struct walk w = { .kind = WALK_MEMBERS, .member = fn, .arg = arg };

	return walk(st, &w, "SELECT " MEMBER_COLS " FROM members"
		    " WHERE device_id = $1 AND state = $2 ORDER BY id, group_id",
		    P(I(device), I(STORE_MEMBER_ACTIVE)));
}

int store_members_page(struct store *st, uint32_t group, uint32_t after,
		       uint32_t after_group, unsigned int limit, store_member_fn fn,
		       void *arg)
{
	struct walk w = { .kind = WALK_MEMBERS, .member = fn, .arg = arg };

	return walk(st, &w, "SELECT " MEMBER_COLS " FROM members"
		    " WHERE ($1 = 0 OR group_id = $1)"
		    " AND (id > $2 OR (id = $2 AND group_id > $3))"
		    " ORDER BY id, group_id LIMIT $4",
		    P(I(group), I(after), I(after_group), I(limit)));
}

/* A count: one row, one integer. */
static int count(struct store *st, const char *sql, const struct store_val *p, int n,
		 uint64_t *out)
{
	int64_t v = 0;
	int rc = q(st, sql, p, n, store_row_ints, &v);

	*out = (uint64_t)v;
	return rc < 0 ? rc : 0;
}

int store_count_members(struct store *st, uint32_t group, uint64_t *n)
{
	return count(st, "SELECT COUNT(DISTINCT id) FROM members WHERE ($1 = 0 OR group_id = $1)"
		     " AND state = $2", P(I(group), I(STORE_MEMBER_ACTIVE)), n);
}

int store_count_devices(struct store *st, uint64_t *n)
{
	return count(st, "SELECT COUNT(*) FROM devices", NOPARAMS, n);
}

/* Groups and epochs */

#define GROUP_COLS "id, suite, mode, flags, epoch, next_epoch"

static int check_epoch(struct store *st, const struct store_epoch *e)
{
	if (e->group == 0 || e->epoch == 0)
		return store_fail(st, -EINVAL, "group and epoch must not be 0");
	if (e->k_g_len == 0 || e->k_g_len > STORE_KEY_MAX_LEN)
		return store_fail(st, -EINVAL, "K_G of group %" PRIu32 " must be 1 to %d bytes",
				  e->group, STORE_KEY_MAX_LEN);
	return 0;
}

/* Insert the epoch row, its three secrets wrapped. */
static int insert_epoch(struct store *st, const struct store_epoch *e)
{
	static const char *const cols[] = { "s_auth", "s_e2e", "k_g" };
	const uint8_t *plain[] = { e->s_auth, e->s_e2e, e->k_g };
	const size_t plain_len[] = { STORE_SECRET_LEN, STORE_SECRET_LEN, e->k_g_len };
	uint8_t wrapped[3][KEYSTORE_OVERHEAD + STORE_SECRET_LEN];
	size_t len[3];
	char row[32];
	int i, rc;

	snprintf(row, sizeof(row), "%" PRIu32 "/%" PRIu32, e->group, e->epoch);
	for (i = 0; i < 3; i++) {
		rc = seal(st, "epochs", row, cols[i], plain[i], plain_len[i], wrapped[i], &len[i]);
		if (rc < 0)
			return rc;
	}
	rc = q(st, "INSERT INTO epochs (group_id, epoch, s_auth, s_e2e, k_g, created, retires,"
	       " msg_limit) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
	       P(I(e->group), I(e->epoch), B(wrapped[0], len[0]), B(wrapped[1], len[1]),
		 B(wrapped[2], len[2]), I(now()), I(e->retires), I(e->msg_limit)), NULL, NULL);
	return rc == -EEXIST ? store_fail(st, rc, "group %" PRIu32 " has an epoch %" PRIu32
					  " already", e->group, e->epoch) : rc < 0 ? rc : 0;
}

struct group_create {
	const struct store_group *g;
	const struct store_epoch *first;
};

static int group_create_tx(struct store *st, void *arg)
{
	const struct group_create *c = arg;
	const struct store_group *g = c->g;
	int rc;

	rc = q(st, "INSERT INTO groups (id, suite, mode, flags, epoch, next_epoch)"
	       " VALUES ($1, $2, $3, $4, $5, 0)",
	       P(I(g->id), I(g->suite), I(g->mode), I(g->flags), I(g->epoch)), NULL, NULL);
	if (rc == -EEXIST)
		return store_fail(st, rc, "group %" PRIu32 " exists already", g->id);
	return rc < 0 ? rc : insert_epoch(st, c->first);
}

int store_group_create(struct store *st, const struct store_group *g,
		       const struct store_epoch *first)
{
	struct group_create c = { g, first };
	int rc = check_epoch(st, first);

	if (rc < 0)
		return rc;
	if (first->group != g->id || first->epoch != g->epoch || g->next_epoch)
		return store_fail(st, -EINVAL, "group %" PRIu32 ": the first epoch must be"
				  " the group's epoch, with no next one", g->id);
	return tx(st, group_create_tx, &c);
}

int store_group_get(struct store *st, uint32_t id, struct store_group *out)
{
	struct walk w = { .kind = WALK_GROUPS, .arg = out };
	char what[32];

	snprintf(what, sizeof(what), "group %" PRIu32, id);
	return get_one(st, &w, what, "SELECT " GROUP_COLS " FROM groups WHERE id = $1",
		       P(I(id)));
}

int store_groups_each(struct store *st, store_group_fn fn, void *arg)
{
	struct walk w = { .kind = WALK_GROUPS, .group = fn, .arg = arg };

	return walk(st, &w, "SELECT " GROUP_COLS " FROM groups ORDER BY id", NOPARAMS);
}

static int epoch_exists(struct store *st, uint32_t group, uint32_t epoch)
{
	int64_t one;
	int rc = q(st, "SELECT 1 FROM epochs WHERE group_id = $1 AND epoch = $2",
		   P(I(group), I(epoch)), store_row_ints, &one);

	if (rc == 0)
		return store_fail(st, -ENOENT, "group %" PRIu32 " has no epoch %" PRIu32,
				  group, epoch);
	return rc < 0 ? rc : 0;
}

struct set_epochs {
	uint32_t id, epoch, next;
};

/*
 * Read-then-write on one row: lock it first with a no-op UPDATE (a row
 * lock on PostgreSQL, where READ COMMITTED would otherwise let two of
 * these interleave; SQLite's write transactions hold the database).
 */
static int lock_group(struct store *st, uint32_t id)
{
	int rc = q(st, "UPDATE groups SET id = id WHERE id = $1", P(I(id)), NULL, NULL);

	if (rc == 0)
		return store_fail(st, -ENOENT, "no group %" PRIu32, id);
	return rc < 0 ? rc : 0;
}

static int set_epochs_tx(struct store *st, void *arg)
{
	const struct set_epochs *s = arg;
	struct store_group g;
	int rc;

	rc = lock_group(st, s->id);
	if (rc == 0)
		rc = store_group_get(st, s->id, &g);
	if (rc < 0)
		return rc;
	if (s->epoch < g.epoch || (s->next && s->next <= s->epoch))
		return store_fail(st, -EINVAL, "group %" PRIu32 ": epoch %" PRIu32 " next %"
				  PRIu32 " would go back from %" PRIu32, s->id, s->epoch,
				  s->next, g.epoch);
	rc = epoch_exists(st, s->id, s->epoch);
	if (rc == 0 && s->next)
		rc = epoch_exists(st, s->id, s->next);
	if (rc == 0)
		rc = q(st, "UPDATE groups SET epoch = $2, next_epoch = $3 WHERE id = $1",
		       P(I(s->id), I(s->epoch), I(s->next)), NULL, NULL);
	return rc < 0 ? rc : 0;
}

int store_group_set_epochs(struct store *st, uint32_t id, uint32_t epoch,
			   uint32_t next_epoch)
{
	struct set_epochs s = { id, epoch, next_epoch };

	return tx(st, set_epochs_tx, &s);
}

static int epoch_create_tx(struct store *st, void *arg)
{
	const struct store_epoch *e = arg;
	int64_t top = -1;
	int rc;

	rc = lock_group(st, e->group);
	if (rc == 0)
		rc = q(st, "SELECT MAX(epoch) FROM epochs WHERE group_id = $1", P(I(e->group)),
		       store_row_ints, &top);
	if (rc < 0)
		return rc;
	if (e->epoch <= top)
		return store_fail(st, -EINVAL, "group %" PRIu32 ": epoch %" PRIu32
				  " is not above its last one (%" PRId64 ")", e->group,
				  e->epoch, top);
	rc = insert_epoch(st, e);
	if (rc == 0)
		rc = q(st, "UPDATE groups SET next_epoch = $2 WHERE id = $1",
		       P(I(e->group), I(e->epoch)), NULL, NULL);
	return rc < 0 ? rc : 0;
}

int store_epoch_create(struct store *st, const struct store_epoch *e)
{
	int rc = check_epoch(st, e);

	return rc < 0 ? rc : tx(st, epoch_create_tx, (void *)e);
}

struct epoch_row {
	struct store *st;
	struct store_epoch *out;
	char row[32];
	int rc;
};

static int row_epoch(void *arg, const struct store_val *c, int n)
{
	static const char *const cols[] = { "s_auth", "s_e2e", "k_g" };
	struct epoch_row *r = arg;
	struct store_epoch *e = r->out;
	uint8_t *dst[] = { e->s_auth, e->s_e2e, e->k_g };
	size_t len[3];
	int i;

	(void)n;
	for (i = 0; i < 3 && r->rc == 0; i++)
		r->rc = unseal(r->st, "epochs", r->row, cols[i], &c[i], dst[i],
			       i < 2 ? STORE_SECRET_LEN : STORE_KEY_MAX_LEN, &len[i]);
	if (r->rc == 0 && (len[0] != STORE_SECRET_LEN || len[1] != STORE_SECRET_LEN))
		r->rc = store_fail(r->st, -EBADMSG, "epoch %s: secrets of the wrong size", r->row);
	e->k_g_len = r->rc == 0 ? (uint8_t)len[2] : 0;
	e->created = c[3].i;
	e->retires = c[4].i;
	e->msg_limit = u64(&c[5]);
	return r->rc;
}

int store_epoch_get(struct store *st, uint32_t group, uint32_t epoch,
		    struct store_epoch *out)
{
	struct epoch_row r = { st, out, "", 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	out->group = group;
	out->epoch = epoch;
	snprintf(r.row, sizeof(r.row), "%" PRIu32 "/%" PRIu32, group, epoch);
	rc = q(st, "SELECT s_auth, s_e2e, k_g, created, retires, msg_limit FROM epochs"
	       " WHERE group_id = $1 AND epoch = $2", P(I(group), I(epoch)), row_epoch, &r);
	if (rc == 0)
		rc = store_fail(st, -ENOENT, "group %" PRIu32 " has no epoch %" PRIu32,
				group, epoch);
	rc = rc < 0 ? rc : r.rc;
	if (rc < 0)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

/* Counters */

struct reserve {
	const char *name;
	uint64_t count;
	uint64_t first;
};

static int reserve_tx(struct store *st, void *arg)
{
	struct reserve *r = arg;
	int64_t cur = 0;
	uint64_t top;
	int rc;

	rc = q(st, "SELECT reserved FROM counters WHERE name = $1", P(T(r->name)),
	       store_row_ints, &cur);
	if (rc < 0)
		return rc;
	if ((uint64_t)cur > UINT64_MAX - r->count)
		return store_fail(st, -EOVERFLOW, "counter %s: %" PRIu64 " more would wrap",
				  r->name, r->count);
	top = (uint64_t)cur + r->count;
	/* Insert or compare-and-set: a concurrent reservation makes us retry. */
	if (rc == 0)
		rc = q(st, "INSERT INTO counters (name, reserved) VALUES ($1, $2)",
		       P(T(r->name), I(top)), NULL, NULL);
	else
		rc = q(st, "UPDATE counters SET reserved = $2 WHERE name = $1 AND reserved = $3",
		       P(T(r->name), I(top), I(cur)), NULL, NULL);
	if (rc == 0 || rc == -EEXIST)
		return -EAGAIN;
	r->first = (uint64_t)cur + 1;
	return rc < 0 ? rc : 0;
}

int store_reserve(struct store *st, const char *name, uint64_t count, uint64_t *first)
{
	struct reserve r = { name, count, 0 };
	int rc = check_name(st, "counter", name);

	if (rc == 0 && count == 0)
		rc = store_fail(st, -EINVAL, "counter %s: reserve at least 1", name);
	if (rc == 0)
		rc = tx(st, reserve_tx, &r);
	if (rc == 0)
		*first = r.first;
	return rc;
}

int store_counter_get(struct store *st, const char *name, uint64_t *reserved)
{
	int64_t v;
	int rc = check_name(st, "counter", name);

	if (rc == 0)
		rc = q(st, "SELECT reserved FROM counters WHERE name = $1", P(T(name)),
		       store_row_ints, &v);
	if (rc == 0)
		return store_fail(st, -ENOENT, "no counter %s", name);
	if (rc > 0)
		*reserved = (uint64_t)v;
	return rc < 0 ? rc : 0;
}

/* Replay state */

static int check_owner(struct store *st, uint8_t owner)
{
	if (owner != STORE_REPLAY_GATEWAY && owner != STORE_REPLAY_GROUP &&
	    owner != STORE_REPLAY_GATEWAY_CHANGES)
		return store_fail(st, -EINVAL, "replay owner %u is neither gateway, gateway"
				  " changes nor group", owner);
	return 0;
}

struct replay_put {
	uint8_t owner;
	uint32_t id, epoch;
	const uint8_t *blob;
	size_t len;
};

static int replay_put_tx(struct store *st, void *arg)
{
	const struct replay_put *r = arg;
	int rc;

	rc = q(st, "INSERT INTO replay (owner, id, epoch, state) VALUES ($1, $2, $3, $4)"
	       " ON CONFLICT (owner, id, epoch) DO UPDATE SET state = excluded.state",
	       P(I(r->owner), I(r->id), I(r->epoch), B(r->blob, r->len)), NULL, NULL);
	return rc < 0 ? rc : 0;
}

int store_replay_put(struct store *st, uint8_t owner, uint32_t id, uint32_t epoch,
		     const uint8_t *blob, size_t len)
{
	struct replay_put r = { owner, id, epoch, blob, len };
	int rc = check_owner(st, owner);

	if (rc == 0 && (!blob || len == 0))
		rc = store_fail(st, -EINVAL, "empty replay state");
	return rc < 0 ? rc : tx(st, replay_put_tx, &r);
}

int store_replay_get(struct store *st, uint8_t owner, uint32_t id, uint32_t epoch,
		     uint8_t *buf, size_t *len)
{
	struct blob_out b = { buf, *len, 0 };
	int rc = check_owner(st, owner);

	if (rc == 0)
		rc = q(st, "SELECT state FROM replay WHERE owner = $1 AND id = $2 AND epoch = $3",
		       P(I(owner), I(id), I(epoch)), row_blob, &b);
	if (rc == 0)
		return store_fail(st, -ENOENT, "no replay state for %s %" PRIu32 " epoch %"
				  PRIu32, owner == STORE_REPLAY_GROUP ? "group" : "gateway",
				  id, epoch);
	if (rc < 0)
		return rc;
	rc = b.len > b.cap ? store_fail(st, -ENOBUFS, "replay state of %zu bytes", b.len) : 0;
	*len = b.len;
	return rc;
}

static int replay_del_tx(struct store *st, void *arg)
{
	const struct replay_put *r = arg;
	int rc = q(st, "DELETE FROM replay WHERE owner = $1 AND id = $2 AND epoch = $3",
		   P(I(r->owner), I(r->id), I(r->epoch)), NULL, NULL);

	return rc < 0 ? rc : 0;
}

int store_replay_del(struct store *st, uint8_t owner, uint32_t id, uint32_t epoch)
{
	struct replay_put r = { owner, id, epoch, NULL, 0 };
	int rc = check_owner(st, owner);

	return rc < 0 ? rc : tx(st, replay_del_tx, &r);
}

/* Gateways */

#define GATEWAY_COLS "id, identity, address, batch_seq, downlink_floor"

static int gateway_put_tx(struct store *st, void *arg)
{
	const struct store_gateway *g = arg;
	int rc;

	rc = q(st, "INSERT INTO gateways (id, identity, address, batch_seq, downlink_floor)"
	       " VALUES ($1, $2, $3, 0, 0) ON CONFLICT (id) DO UPDATE"
	       " SET identity = excluded.identity, address = excluded.address",
	       P(I(g->id), T(g->identity), T(g->address)), NULL, NULL);
	return rc < 0 ? rc : 0;
}

int store_gateway_put(struct store *st, const struct store_gateway *g)
{
	if (g->id == 0 || strnlen(g->identity, sizeof(g->identity)) > STORE_IDENTITY_MAX ||
	    strnlen(g->address, sizeof(g->address)) > STORE_ADDRESS_MAX)
		return store_fail(st, -EINVAL, "gateway needs an id, an identity of 1 to %d"
				  " bytes and an address of at most %d", STORE_IDENTITY_MAX,
				  STORE_ADDRESS_MAX);
	if (check_identity(st, g->identity) < 0)
		return -EINVAL;
	return tx(st, gateway_put_tx, (void *)g);
}

int store_gateway_get(struct store *st, uint32_t id, struct store_gateway *out)
{
	struct walk w = { .kind = WALK_GATEWAYS, .arg = out };
	char what[32];

	snprintf(what, sizeof(what), "gateway %" PRIu32, id);
	return get_one(st, &w, what, "SELECT " GATEWAY_COLS " FROM gateways WHERE id = $1",
		       P(I(id)));
}

static int set_seqs_tx(struct store *st, void *arg)
{
	const struct store_gateway *want = arg;
	struct store_gateway g;
	int rc;

	/* As lock_group(): the row is locked before it is read. */
	rc = q(st, "UPDATE gateways SET id = id WHERE id = $1", P(I(want->id)), NULL, NULL);
	if (rc == 0)
		return store_fail(st, -ENOENT, "no gateway %" PRIu32, want->id);
	if (rc > 0)
		rc = store_gateway_get(st, want->id, &g);
	if (rc < 0)
		return rc;
	if (want->batch_seq > g.batch_seq)
		g.batch_seq = want->batch_seq;
	if (want->downlink_floor > g.downlink_floor)
		g.downlink_floor = want->downlink_floor;
	rc = q(st, "UPDATE gateways SET batch_seq = $2, downlink_floor = $3 WHERE id = $1",
	       P(I(g.id), I(g.batch_seq), I(g.downlink_floor)), NULL, NULL);
	return rc < 0 ? rc : 0;
}

int store_gateway_set_seqs(struct store *st, uint32_t id, uint64_t batch_seq,
			   uint64_t downlink_floor)
{
	struct store_gateway g = { .id = id, .batch_seq = batch_seq,
				   .downlink_floor = downlink_floor };

	return tx(st, set_seqs_tx, &g);
}

int store_gateways_each(struct store *st, store_gateway_fn fn, void *arg)
{
	struct walk w = { .kind = WALK_GATEWAYS, .gateway = fn, .arg = arg };

	return walk(st, &w, "SELECT " GATEWAY_COLS " FROM gateways ORDER BY id", NOPARAMS);
}

/* Named secrets */

struct secret_put {
	const char *name;
	const uint8_t *val;
	size_t len;
};

static int secret_put_tx(struct store *st, void *arg)
{
	const struct secret_put *s = arg;
	uint8_t wrapped[KEYSTORE_WRAPPED_MAX];
	size_t len;
	int rc;

	rc = seal(st, "secrets", s->name, "value", s->val, s->len, wrapped, &len);
	if (rc == 0)
		rc = q(st, "INSERT INTO secrets (name, value) VALUES ($1, $2)",
		       P(T(s->name), B(wrapped, len)), NULL, NULL);
	if (rc == -EEXIST)
		return store_fail(st, rc, "secret %s exists already", s->name);
	return rc < 0 ? rc : 0;
}

int store_secret_put(struct store *st, const char *name, const uint8_t *val, size_t len)
{
	struct secret_put s = { name, val, len };
	int rc = check_name(st, "secret", name);

	if (rc == 0 && (len == 0 || len > STORE_NAMED_SECRET_MAX))
		rc = store_fail(st, -EINVAL, "secret %s must be 1 to %d bytes", name,
				STORE_NAMED_SECRET_MAX);
	return rc < 0 ? rc : tx(st, secret_put_tx, &s);
}

int store_secret_get(struct store *st, const char *name, uint8_t *val, size_t *len)
{
	uint8_t wrapped[KEYSTORE_WRAPPED_MAX];
	struct blob_out b = { wrapped, sizeof(wrapped), 0 };
	struct store_val v;
	int rc = check_name(st, "secret", name);

	if (rc == 0)
		rc = q(st, "SELECT value FROM secrets WHERE name = $1", P(T(name)), row_blob, &b);
	if (rc == 0)
		return store_fail(st, -ENOENT, "no secret %s", name);
	if (rc < 0)
		return rc;
	v = (struct store_val){ .type = b.len <= b.cap ? STORE_BLOB : STORE_NULL,
				.p = wrapped, .len = b.len };
	if (b.len > KEYSTORE_OVERHEAD && b.len - KEYSTORE_OVERHEAD > *len) {
		*len = b.len - KEYSTORE_OVERHEAD;
		return store_fail(st, -ENOBUFS, "secret %s is %zu bytes", name, *len);
	}
	return unseal(st, "secrets", name, "value", &v, val, *len, len);
}
