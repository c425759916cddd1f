/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The implementations' half of store.h.  store.c holds every rule (what a
 * call checks, which rows it writes, the wrapping, the migrations) once,
 * on top of a small SQL ops table that each database fills in:
 * store_sqlite.c and store_pg.c.  SQL is written once, in the dialect both
 * accept, with $1, $2, ... placeholders.
 */
#ifndef GRPSECD_STORE_DB_H
#define GRPSECD_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum store_val_type {
	STORE_NULL,
	STORE_INT,			/* i */
	STORE_TEXT,			/* p, len (not NUL-terminated in rows) */
	STORE_BLOB,			/* p, len */
};

/* A parameter or a column.  u64 values travel as their int64 bit pattern. */
struct store_val {
	enum store_val_type type;
	int64_t i;
	const void *p;
	size_t len;
};

#define STORE_MAX_COLS	16

/* A row of a result: @cols are valid during the call only. */
typedef int (*store_row_fn)(void *arg, const struct store_val *cols, int n);

struct store_ops {
	const char *name;
	/* Per schema version, what the database needs besides the common DDL. */
	const char *const *migration_extra;
	/* Locks schema_version against a concurrent migration (or NULL). */
	const char *lock_schema;
	/* @where without its "scheme:"; allocates the store, sets ->ops. */
	int (*open)(const char *where, struct store **out, char *err);
	void (*close)(struct store *st);
	/* A write transaction (SQLite: BEGIN IMMEDIATE). */
	int (*begin)(struct store *st);
	int (*commit)(struct store *st);
	void (*rollback)(struct store *st);
	/*
	 * One statement; @fn (may be NULL) sees each row, a non-zero return
	 * stops.  Returns the rows seen (queries, RETURNING) or changed,
	 * or a negative errno with st->err set.  -EAGAIN: a serialization
	 * failure; the transaction is retried.
	 */
	int (*exec)(struct store *st, const char *sql, const struct store_val *params,
		    int n_params, store_row_fn fn, void *arg);
	/* Several statements, no parameters (migrations). */
	int (*exec_script)(struct store *st, const char *sql);
	/*
	 * The next value of the id sequence @seq ("member", "device"): never
	 * given twice, even if the transaction rolls back.  -ENOSPC when
	 * used up.
	 */
	int (*next_id)(struct store *st, const char *seq, uint64_t *id);
};

/* What every implementation embeds first. */
struct store {
	const struct store_ops *ops;
	uint8_t master[STORE_MASTER_KEY_LEN];
	char err[STORE_ERR_LEN];
};

/* store_fail() - set st->err from the format, return @rc. */
int store_fail(struct store *st, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A store_row_fn that copies a row's integers into an int64_t[n] (NULLs left alone). */
int store_row_ints(void *arg, const struct store_val *cols, int n);

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

#endif /* GRPSECD_STORE_DB_H */
