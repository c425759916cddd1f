/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * grpsecd's durable state: a small interface, an ops table behind struct
 * store, with two implementations (store_sqlite.c, store_pg.c).  The
 * tables are described in Documentation/grpsecd.rst, "Storage".
 *
 * Rules every implementation keeps:
 *  - Every call that changes something is one transaction, committed (and
 *    on SQLite synced: WAL, synchronous=FULL) before it returns 0.  A call
 *    that fails has changed nothing.
 *  - Member ids and device ids come from sequences that never go back and
 *    never hand out a value twice, not even after a revocation, a failed
 *    transaction or a crash.
 *  - Secrets (S_auth, S_e2e, K_G, K_wrap,m, named secrets) are wrapped at
 *    rest with AES-256-GCM under the master key (keystore.h), the AAD naming
 *    table, row and column.  The get calls unwrap them into the caller's
 *    buffers; the caller wipes those (OPENSSL_cleanse) when done.
 *  - Calls return 0 or a negative errno; store_error() then gives one line
 *    saying what went wrong (never a key):
 *      -EINVAL  bad argument (the line names it)
 *      -ENOENT  no such group, epoch, device, member, counter or blob
 *      -EEXIST  the row exists already
 *      -EPERM   the device is revoked (store_enroll)
 *      -ENOSPC  the disk or database is full, or an id space is used up
 *      -EROFS   the database is read-only
 *      -EBADMSG a wrapped secret does not open under the master key (wrong
 *               master key, or a value moved or changed in the database)
 *      -ENOBUFS the caller's buffer is too small (*len says how much)
 *      -EOVERFLOW a counter reservation would wrap around 2^64
 *      -EBUSY   the database stayed locked (SQLite: by another process for
 *               10 s) or a transaction kept conflicting
 *      -EPROTO  the database's schema is newer than this grpsecd (store_open)
 *      -EIO     anything else the database reported (the line quotes it)
 *  - A struct store is used by one thread at a time (the daemon's event
 *    loop); several processes may share one database.
 */
#ifndef GRPSECD_STORE_H
#define GRPSECD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_MASTER_KEY_LEN	32
#define STORE_SECRET_LEN	32	/* S_auth, S_e2e */
#define STORE_KEY_MAX_LEN	32	/* K_G[e]: the suite's key length */
#define STORE_WRAP_KEY_LEN	32	/* K_wrap,m */
#define STORE_IDENTITY_MAX	255	/* device or gateway identity, bytes */
#define STORE_ADDRESS_MAX	127	/* "host:port" given to devices */
#define STORE_NAME_MAX		63	/* counter and secret names */
#define STORE_NAMED_SECRET_MAX	64	/* store_secret_put() value */
#define STORE_ERR_LEN		256

enum store_device_kind {
	STORE_DEVICE_CERT = 1,		/* identity: certificate subject */
	STORE_DEVICE_PSK = 2,		/* identity: PSK identity */
};

enum store_member_state {
	STORE_MEMBER_ACTIVE = 0,
	STORE_MEMBER_REVOKED = 1,	/* its device was revoked */
	STORE_MEMBER_LEFT = 2,		/* its device enrolled again */
};

/* What a replay blob belongs to (store_replay_put()). */
enum store_replay_owner {
	STORE_REPLAY_GATEWAY = 1,	/* batch window of a gateway; epoch 0 */
	STORE_REPLAY_GROUP = 2,		/* member windows, nonce cache of (group, epoch) */
	STORE_REPLAY_GATEWAY_CHANGES = 3, /* what moved since a gateway's whole state; epoch: 1, 2, ... */
};

struct store_device {
	uint64_t id;
	char identity[STORE_IDENTITY_MAX + 1];
	uint8_t kind;			/* enum store_device_kind */
	int64_t first_enrolled;		/* unix seconds */
	int64_t last_enrolled;
	bool revoked;
};

struct store_member {
	uint32_t id;			/* never 0 */
	uint32_t group;
	uint64_t device;
	uint32_t epoch_joined;
	uint8_t state;			/* enum store_member_state */
};

struct store_group {
	uint32_t id;			/* never 0 */
	uint8_t suite;			/* GRPSEC_SUITE_* */
	uint8_t mode;			/* GRPSEC_MODE_* */
	uint32_t flags;			/* the daemon's group flags (grpsecd.conf) */
	uint32_t epoch;			/* current epoch */
	uint32_t next_epoch;		/* 0: no rollover under way */
};

/* One epoch of a group: its secrets in the clear (wipe after use). */
struct store_epoch {
	uint32_t group;
	uint32_t epoch;
	uint8_t s_auth[STORE_SECRET_LEN];
	uint8_t s_e2e[STORE_SECRET_LEN];
	uint8_t k_g[STORE_KEY_MAX_LEN];
	uint8_t k_g_len;		/* the group suite's key length */
	int64_t created;		/* unix seconds; set by the store */
	int64_t retires;		/* unix seconds; 0: not scheduled */
	uint64_t msg_limit;
};

struct store_gateway {
	uint32_t id;			/* never 0 */
	char identity[STORE_IDENTITY_MAX + 1];	/* certificate subject */
	char address[STORE_ADDRESS_MAX + 1];	/* given to devices */
	uint64_t batch_seq;		/* highest batch sequence accepted */
	uint64_t downlink_floor;	/* downlink sequence floor */
};

/*
 * store_wrap_key_fn - derive K_wrap,m once the member id is known.
 * Called by store_enroll() inside its transaction (possibly more than once,
 * with different ids, if the transaction is retried); the id is final only
 * when store_enroll() returns 0.  Return 0 or a negative errno (the
 * enrollment then fails and nothing is written).
 */
typedef int (*store_wrap_key_fn)(void *arg, uint32_t member,
				 uint8_t key[STORE_WRAP_KEY_LEN]);

struct store_enroll_req {
	const char *identity;		/* 1..STORE_IDENTITY_MAX bytes */
	uint8_t kind;			/* enum store_device_kind */
	const uint32_t *groups;		/* the granted groups, 1..n, no repeats */
	size_t n_groups;
	store_wrap_key_fn wrap_key;
	void *wrap_key_arg;
};

struct store_enroll_res {
	uint64_t device;
	uint32_t member;		/* fresh, never handed out before */
	uint32_t *epochs;		/* caller's array of n_groups: epoch joined */
};

/*
 * Iteration callbacks: return 0 to go on, anything else stops the walk and
 * is returned by the each() call.  A callback must not call the store.
 */
typedef int (*store_device_fn)(void *arg, const struct store_device *d);
typedef int (*store_member_fn)(void *arg, const struct store_member *m);
typedef int (*store_group_fn)(void *arg, const struct store_group *g);
typedef int (*store_gateway_fn)(void *arg, const struct store_gateway *g);

/* Opaque; the implementations' half (an ops table) is in store_db.h. */
struct store;

/*
 * store_open() - open (creating and migrating as needed) the database
 * @where names: "sqlite:PATH" or "postgresql:CONNINFO" (a libpq connection
 * string).  @master: the 32-byte master key (keystore_load()), copied.
 * A new database records a check value under the master key; an existing
 * one is opened only with the master key it was created with.
 * On failure *@err (STORE_ERR_LEN bytes) says why, naming the database.
 * Returns 0, -EINVAL (unknown scheme), -EBADMSG (another master key),
 * -ENOSPC, -EROFS, -EACCES, -EIO.
 */
int store_open(const char *where, const uint8_t master[STORE_MASTER_KEY_LEN],
	       struct store **out, char *err);

/* store_close() - close @st, wiping the master key (NULL is fine). */
void store_close(struct store *st);

/* store_error() - the line that explains the last failed call on @st. */
const char *store_error(const struct store *st);

/* store_backend() - "sqlite" or "postgresql". */
const char *store_backend(const struct store *st);

/* store_schema_version() - the database's schema version (after store_open(): current). */
int store_schema_version(struct store *st, unsigned int *version);

/*
 * store_enroll() - one enrollment, one transaction: the device row (found
 * by identity and kind, or created; last_enrolled updated), a fresh member
 * id, one member row per granted group at the group's current epoch with
 * K_wrap,m (from @req->wrap_key) wrapped, the device's earlier active
 * member rows set to "left", an audit event.  Committed before it returns.
 * Returns 0, -EINVAL, -ENOENT (a group does not exist), -EPERM (device
 * revoked), -ENOSPC (disk full or member ids used up), -EROFS, -EIO, or
 * the wrap_key callback's error.
 */
int store_enroll(struct store *st, const struct store_enroll_req *req,
		 struct store_enroll_res *res);

/* store_device_get() - by id. */
int store_device_get(struct store *st, uint64_t id, struct store_device *out);

/*
 * store_device_find() - by identity and @kind (0: either kind; -EEXIST if
 * both a certificate and a PSK device carry @identity).
 */
int store_device_find(struct store *st, uint8_t kind, const char *identity,
		      struct store_device *out);

/*
 * store_device_revoke() - mark the device revoked and its active member
 * rows revoked; it cannot enroll again.  *@n_members (may be NULL): how
 * many member rows changed.  Revoking a revoked device changes nothing and
 * returns 0.
 */
int store_device_revoke(struct store *st, uint64_t id, unsigned int *n_members);

/* store_devices_each() - every device, by id. */
int store_devices_each(struct store *st, store_device_fn fn, void *arg);

/*
 * store_devices_page() - at most @limit devices with an id above @after,
 * by id: a walk in pages, each its own query, so that a caller can do
 * other work between them (the control socket's listings).
 */
int store_devices_page(struct store *st, uint64_t after, unsigned int limit,
		       store_device_fn fn, void *arg);

/*
 * store_member_get() - one member row and, if @wrap_key is not NULL, its
 * K_wrap,m unwrapped.
 */
int store_member_get(struct store *st, uint32_t member, uint32_t group,
		     struct store_member *out, uint8_t wrap_key[STORE_WRAP_KEY_LEN]);

/* store_members_each() - member rows of @group (0: all), by member id. */
int store_members_each(struct store *st, uint32_t group, store_member_fn fn, void *arg);

/*
 * store_device_members() - the active member rows of @device (index
 * members_device), by member id then group: what a revocation takes away.
 */
int store_device_members(struct store *st, uint64_t device, store_member_fn fn, void *arg);
/*
 * store_members_page() - at most @limit member rows of @group (0: all)
 * after the row (@after, @after_group), by member id then group id.
 */
int store_members_page(struct store *st, uint32_t group, uint32_t after,
		       uint32_t after_group, unsigned int limit, store_member_fn fn,
		       void *arg);

/*
 * store_count_members() - active member ids in @group (0: in any group, a
 * member of two groups counted once); store_count_devices() - devices,
 * revoked ones too.  One query each, for the CLI and /metrics.
 */
int store_count_members(struct store *st, uint32_t group, uint64_t *n);
int store_count_devices(struct store *st, uint64_t *n);

/*
 * store_group_create() - a new group and its first epoch (@first->group
 * and @first->epoch must match @g->id and @g->epoch), one transaction.
 * Returns -EEXIST if the group exists.
 */
int store_group_create(struct store *st, const struct store_group *g,
		       const struct store_epoch *first);

int store_group_get(struct store *st, uint32_t id, struct store_group *out);

/*
 * store_group_set_epochs() - move the group's current and next epoch
 * (a rollover's end: epoch = old next, next_epoch = 0).  @epoch must have
 * an epoch row and must not go below the current epoch.
 */
int store_group_set_epochs(struct store *st, uint32_t id, uint32_t epoch,
			   uint32_t next_epoch);

/* store_groups_each() - every group, by id. */
int store_groups_each(struct store *st, store_group_fn fn, void *arg);

/*
 * store_epoch_create() - a new epoch of an existing group, above every
 * epoch the group had, its secrets wrapped; the group's next_epoch is set
 * to it in the same transaction.
 */
int store_epoch_create(struct store *st, const struct store_epoch *e);

/* store_epoch_get() - an epoch, its secrets unwrapped into @out. */
int store_epoch_get(struct store *st, uint32_t group, uint32_t epoch,
		    struct store_epoch *out);

/*
 * store_reserve() - reserve @count (>= 1) values of the counter @name
 * (created at 0): *@first is the first value of the range
 * [*first, *first + count - 1], all above every range reserved before.
 * Committed before it returns, so use the range only after it returned 0.
 */
int store_reserve(struct store *st, const char *name, uint64_t count, uint64_t *first);

/* store_counter_get() - the highest value reserved so far (-ENOENT: none). */
int store_counter_get(struct store *st, const char *name, uint64_t *reserved);

/*
 * store_replay_put() - save libgrpsec's exported replay state for @owner
 * @id (a gateway id or a group id) and @epoch, replacing the last one.
 * store_replay_get(): *@len is the buffer's size on entry and the blob's
 * length on return (-ENOBUFS: the size needed).  store_replay_del(): when
 * the epoch retires.
 */
int store_replay_put(struct store *st, uint8_t owner, uint32_t id, uint32_t epoch,
		     const uint8_t *blob, size_t len);
int store_replay_get(struct store *st, uint8_t owner, uint32_t id, uint32_t epoch,
		     uint8_t *buf, size_t *len);
int store_replay_del(struct store *st, uint8_t owner, uint32_t id, uint32_t epoch);

/*
 * Gateways (part 2).  store_gateway_put() creates or updates identity and
 * address; store_gateway_set_seqs() raises the batch sequence and downlink
 * floor (a value below the stored one is kept at the stored one: they never
 * go back).
 */
int store_gateway_put(struct store *st, const struct store_gateway *g);
int store_gateway_get(struct store *st, uint32_t id, struct store_gateway *out);
int store_gateway_set_seqs(struct store *st, uint32_t id, uint64_t batch_seq,
			   uint64_t downlink_floor);
int store_gateways_each(struct store *st, store_gateway_fn fn, void *arg);

/*
 * store_secret_put() - a named secret (the manager's signing key seed:
 * "signing-seed"), 1..STORE_NAMED_SECRET_MAX bytes, wrapped; -EEXIST if it
 * exists (secrets are never replaced).  store_secret_get(): *@len in/out
 * as store_replay_get().
 */
int store_secret_put(struct store *st, const char *name, const uint8_t *val, size_t len);
int store_secret_get(struct store *st, const char *name, uint8_t *val, size_t *len);

#endif /* GRPSECD_STORE_H */
