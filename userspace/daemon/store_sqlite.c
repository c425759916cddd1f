// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The SQLite half of the store: one file, WAL journal, synchronous=FULL
 * (a commit is on disk when it returns), BEGIN IMMEDIATE for every write
 * transaction, prepared statements kept for the life of the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_db.h"

#define CACHE_SIZE	64
#define BUSY_TIMEOUT_MS	10000

struct sq {
	struct store st;
	sqlite3 *db;
	char path[PATH_MAX];
	struct {
		const char *sql;	/* store.c's literal: the key */
		sqlite3_stmt *stmt;
	} cache[CACHE_SIZE];
	int n_cached;
};

static const char *const migration_extra[] = {
	"CREATE TABLE sequences (name TEXT PRIMARY KEY, last BIGINT NOT NULL,"
	" top BIGINT NOT NULL);"
	"INSERT INTO sequences VALUES ('member', 0, 4294967295),"
	" ('device', 0, 9223372036854775807);",
};

static struct sq *sq_of(struct store *st)
{
	return (struct sq *)st;
}

/* Turn an SQLite result code into -errno and one line in st->err. */
static int sq_fail(struct sq *s, int rc)
{
	int code = rc & 0xff, sys = code == SQLITE_IOERR || code == SQLITE_CANTOPEN ?
				   sqlite3_system_errno(s->db) : 0;
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	if (code == SQLITE_FULL || sys == ENOSPC || sys == EDQUOT)
		return store_fail(&s->st, -ENOSPC, "sqlite %s: the database or its disk is full"
				  " (%s); nothing was written", s->path, msg);
	if (code == SQLITE_READONLY || sys == EROFS)
		return store_fail(&s->st, -EROFS, "sqlite %s: the database is read-only (%s);"
				  " check the file, its directory and the file system",
				  s->path, msg);
	if (code == SQLITE_CONSTRAINT)
		return store_fail(&s->st, -EEXIST, "sqlite %s: %s", s->path, msg);
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return store_fail(&s->st, -EBUSY, "sqlite %s: locked by another process for"
				  " %d ms (%s)", s->path, BUSY_TIMEOUT_MS, msg);
	if (code == SQLITE_CANTOPEN || code == SQLITE_PERM || code == SQLITE_AUTH)
		return store_fail(&s->st, -EACCES, "sqlite %s: %s%s%s", s->path, msg,
				  sys ? ": " : "", sys ? strerror(sys) : "");
	return store_fail(&s->st, -EIO, "sqlite %s: %s%s%s", s->path, msg,
			  sys ? ": " : "", sys ? strerror(sys) : "");
}

static int sq_script(struct store *st, const char *sql)
{
	struct sq *s = sq_of(st);
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sq_fail(s, rc);
}

/* The statement for @sql, prepared once: $N placeholders become ?N. */
static int prepare(struct sq *s, const char *sql, sqlite3_stmt **out)
{
	char buf[1024], *p;
	int i, rc;

	for (i = 0; i < s->n_cached; i++) {
		if (s->cache[i].sql == sql) {
			*out = s->cache[i].stmt;
			return 0;
		}
	}
	if (snprintf(buf, sizeof(buf), "%s", sql) >= (int)sizeof(buf))
		return store_fail(&s->st, -E2BIG, "sqlite: statement too long");
	for (p = strchr(buf, '$'); p; p = strchr(p, '$'))
		*p = '?';
	rc = sqlite3_prepare_v3(s->db, buf, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc);
	if (s->n_cached == CACHE_SIZE) {
		sqlite3_finalize(*out);
		return store_fail(&s->st, -ENOMEM, "sqlite: more than %d statements",
				  CACHE_SIZE);
	}
	s->cache[s->n_cached].sql = sql;
	s->cache[s->n_cached++].stmt = *out;
	return 0;
}

static int bind(struct sq *s, sqlite3_stmt *stmt, const struct store_val *p, int n)
{
	int i, rc = SQLITE_OK;

	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		switch (p[i].type) {
		case STORE_INT:
			rc = sqlite3_bind_int64(stmt, i + 1, p[i].i);
			break;
		case STORE_TEXT:
			rc = sqlite3_bind_text(stmt, i + 1, p[i].p, (int)p[i].len, SQLITE_STATIC);
			break;
		case STORE_BLOB:
			rc = sqlite3_bind_blob64(stmt, i + 1, p[i].p, p[i].len, SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_null(stmt, i + 1);
		}
	}
	return rc == SQLITE_OK ? 0 : sq_fail(s, rc);
}

static void column(sqlite3_stmt *stmt, int i, struct store_val *v)
{
	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(stmt, i)) {
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		v->type = STORE_INT;
		v->i = sqlite3_column_int64(stmt, i);
		break;
	case SQLITE_TEXT:
		v->type = STORE_TEXT;
		v->p = sqlite3_column_text(stmt, i);
		v->len = (size_t)sqlite3_column_bytes(stmt, i);
		break;
	case SQLITE_BLOB:
		v->type = STORE_BLOB;
		v->p = sqlite3_column_blob(stmt, i);
		v->len = (size_t)sqlite3_column_bytes(stmt, i);
		break;
	default:
		v->type = STORE_NULL;
	}
}

static int sq_exec(struct store *st, const char *sql, const struct store_val *p, int n,
		   store_row_fn fn, void *arg)
{
	struct store_val cols[STORE_MAX_COLS];
	struct sq *s = sq_of(st);
	sqlite3_stmt *stmt;
	int rc, i, ncol, rows = 0;

	rc = prepare(s, sql, &stmt);
	if (rc == 0)
		rc = bind(s, stmt, p, n);
	if (rc < 0)
		goto out_reset;
	ncol = sqlite3_column_count(stmt);
	ncol = ncol > STORE_MAX_COLS ? STORE_MAX_COLS : ncol;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		rows++;
		if (!fn)
			continue;
		for (i = 0; i < ncol; i++)
			column(stmt, i, &cols[i]);
		if (fn(arg, cols, ncol)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		rc = sq_fail(s, rc);
	else
		rc = rows || sqlite3_stmt_readonly(stmt) ? rows : sqlite3_changes(s->db);
out_reset:
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc;
}

static int sq_begin(struct store *st)
{
	return sq_script(st, "BEGIN IMMEDIATE");
}

static int sq_commit(struct store *st)
{
	return sq_script(st, "COMMIT");
}

static void sq_rollback(struct store *st)
{
	struct sq *s = sq_of(st);

	/* A full disk or an I/O error may have rolled it back already. */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_next_id(struct store *st, const char *seq, uint64_t *id)
{
	const struct store_val name = { .type = STORE_TEXT, .p = seq, .len = strlen(seq) };
	int64_t v = 0;
	int rc;

	rc = sq_exec(st, "UPDATE sequences SET last = last + 1 WHERE name = $1 AND last < top"
		     " RETURNING last", &name, 1, store_row_ints, &v);
	if (rc == 0)
		return store_fail(st, -ENOSPC, "sqlite %s: %s ids are used up",
				  sq_of(st)->path, seq);
	if (rc < 0)
		return rc;
	*id = (uint64_t)v;
	return 0;
}

static void sq_close(struct store *st)
{
	struct sq *s = sq_of(st);
	int i;

	for (i = 0; i < s->n_cached; i++)
		sqlite3_finalize(s->cache[i].stmt);
	sqlite3_close_v2(s->db);
	free(s);
}

/* The journal_mode pragma answers with the mode it is in. */
static int row_mode(void *arg, int n, char **vals, char **names)
{
	(void)names;
	if (n > 0 && vals[0])
		snprintf(arg, 16, "%s", vals[0]);
	return 0;
}

static int setup(struct sq *s)
{
	char mode[16] = "";
	int rc;

	if (sqlite3_db_readonly(s->db, "main") == 1)
		return store_fail(&s->st, -EROFS, "sqlite %s: the database is read-only;"
				  " check the file, its directory and the file system", s->path);
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", row_mode, mode, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc);
	if (strcmp(mode, "wal"))
		return store_fail(&s->st, -EIO, "sqlite %s: cannot use the WAL journal"
				  " (journal mode is %s)", s->path, mode);
	return sq_script(&s->st, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
}

static int sq_open(const char *where, struct store **out, char *err)
{
	struct sq *s;
	int fd, rc;

	if (!where[0] || strlen(where) >= PATH_MAX) {
		snprintf(err, STORE_ERR_LEN, "sqlite: give the database's path (sqlite:PATH)");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, STORE_ERR_LEN, "sqlite: out of memory");
		return -ENOMEM;
	}
	s->st.ops = &store_sqlite_ops;
	snprintf(s->path, sizeof(s->path), "%s", where);
	/* A new database is the daemon's alone (its -wal and -shm take its mode). */
	fd = where[0] != ':' ? open(where, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
	if (fd >= 0)
		close(fd);
	rc = sqlite3_open_v2(where, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	rc = rc == SQLITE_OK ? setup(s) : sq_fail(s, rc);
	if (rc < 0) {
		snprintf(err, STORE_ERR_LEN, "%s", s->st.err);
		sq_close(&s->st);
		return rc;
	}
	*out = &s->st;
	return 0;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.migration_extra = migration_extra,
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.exec = sq_exec,
	.exec_script = sq_script,
	.next_id = sq_next_id,
};
