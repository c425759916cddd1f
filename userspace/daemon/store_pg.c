// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The PostgreSQL half of the store (libpq).  Transactions run at READ
 * COMMITTED: every check-then-write in store.c is a compare-and-set
 * (counters), an insert that a unique key guards (devices, members,
 * epochs), a SEQUENCE (member and device ids, never given twice even when
 * the transaction that drew one rolls back), or a read of a row locked
 * first by an UPDATE (devices, groups, gateways).  Serialization failures and
 * deadlocks come back as -EAGAIN and store.c retries the transaction.
 * Parameters and results travel in binary.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store_db.h"

/* Type OIDs (catalog/pg_type.h is a server header). */
#define BOOLOID		16
#define BYTEAOID	17
#define INT8OID		20
#define INT2OID		21
#define INT4OID		23
#define TEXTOID		25
#define VARCHAROID	1043

#define MAX_PARAMS	16

struct pg {
	struct store st;
	PGconn *conn;
	char name[128];		/* "database D on H": never the connection string */
};

static const char *const migration_extra[] = {
	"CREATE SEQUENCE member_ids AS BIGINT MINVALUE 1 MAXVALUE 4294967295 NO CYCLE;"
	"CREATE SEQUENCE device_ids AS BIGINT MINVALUE 1 NO CYCLE;",
};

static struct pg *pg_of(struct store *st)
{
	return (struct pg *)st;
}

/* The first line of a libpq message. */
static const char *line(const char *msg, char *buf, size_t size)
{
	size_t n = msg ? strcspn(msg, "\n") : 0;

	snprintf(buf, size, "%.*s", (int)n, msg ? msg : "");
	return buf;
}

/* SQLSTATE -> -errno, and one line in st->err. */
static int pg_fail(struct pg *p, PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char buf[160];

	if (!msg)
		msg = line(PQerrorMessage(p->conn), buf, sizeof(buf));
	if (!state)
		state = "";
	if (!strcmp(state, "40001") || !strcmp(state, "40P01"))
		return store_fail(&p->st, -EAGAIN, "postgresql %s: %s", p->name, msg);
	if (!strcmp(state, "23505"))
		return store_fail(&p->st, -EEXIST, "postgresql %s: %s", p->name, msg);
	if (!strcmp(state, "25006"))
		return store_fail(&p->st, -EROFS, "postgresql %s: the database is read-only"
				  " (%s); nothing was written", p->name, msg);
	if (!strncmp(state, "53", 2) || !strcmp(state, "2200H"))
		return store_fail(&p->st, -ENOSPC, "postgresql %s: %s; nothing was written",
				  p->name, msg);
	if (!strcmp(state, "42501"))
		return store_fail(&p->st, -EACCES, "postgresql %s: %s", p->name, msg);
	return store_fail(&p->st, -EIO, "postgresql %s: %s%s%s%s", p->name, msg,
			  *state ? " (SQLSTATE " : "", state, *state ? ")" : "");
}

static int pg_script(struct store *st, const char *sql)
{
	struct pg *p = pg_of(st);
	PGresult *res = PQexec(p->conn, sql);
	ExecStatusType s = PQresultStatus(res);
	int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : pg_fail(p, res);

	PQclear(res);
	return rc;
}

static int64_t be_int(const char *v, int len)
{
	uint64_t x = 0;
	int i;

	for (i = 0; i < len; i++)
		x = x << 8 | (uint8_t)v[i];
	if (len == 2)
		return (int16_t)x;
	if (len == 4)
		return (int32_t)x;
	return (int64_t)x;
}

static void column(PGresult *res, int row, int col, struct store_val *v)
{
	const char *val = PQgetvalue(res, row, col);
	int len = PQgetlength(res, row, col);

	memset(v, 0, sizeof(*v));
	if (PQgetisnull(res, row, col)) {
		v->type = STORE_NULL;
		return;
	}
	switch (PQftype(res, col)) {
	case BOOLOID:
	case INT2OID:
	case INT4OID:
	case INT8OID:
		v->type = STORE_INT;
		v->i = be_int(val, len);
		break;
	case TEXTOID:
	case VARCHAROID:
		v->type = STORE_TEXT;
		v->p = val;
		v->len = (size_t)len;
		break;
	default:
		v->type = STORE_BLOB;
		v->p = val;
		v->len = (size_t)len;
	}
}

static int rows(struct pg *p, PGresult *res, store_row_fn fn, void *arg)
{
	struct store_val cols[STORE_MAX_COLS];
	int r, c, n = PQntuples(res), ncol = PQnfields(res);

	(void)p;
	ncol = ncol > STORE_MAX_COLS ? STORE_MAX_COLS : ncol;
	for (r = 0; fn && r < n; r++) {
		for (c = 0; c < ncol; c++)
			column(res, r, c, &cols[c]);
		if (fn(arg, cols, ncol))
			break;
	}
	return n;
}

/*
 * The connection died (a server restart): connect again.  Only where
 * nothing of a transaction was sent yet (BEGIN, or a statement outside a
 * transaction, which store.c uses for reads only), so nothing can be
 * applied twice.
 */
static bool reconnect(struct pg *p)
{
	if (PQstatus(p->conn) == CONNECTION_OK)
		return false;
	PQreset(p->conn);
	return PQstatus(p->conn) == CONNECTION_OK;
}

static int pg_exec(struct store *st, const char *sql, const struct store_val *params,
		   int n, store_row_fn fn, void *arg)
{
	struct pg *p = pg_of(st);
	bool idle = PQtransactionStatus(p->conn) != PQTRANS_INTRANS &&
		    PQtransactionStatus(p->conn) != PQTRANS_INERROR;
	const char *vals[MAX_PARAMS];
	uint64_t ints[MAX_PARAMS];
	int lens[MAX_PARAMS], fmts[MAX_PARAMS], i, rc;
	Oid types[MAX_PARAMS];
	PGresult *res;

	if (n > MAX_PARAMS)
		return store_fail(st, -E2BIG, "postgresql: more than %d parameters", MAX_PARAMS);
	for (i = 0; i < n; i++) {
		fmts[i] = 1;
		vals[i] = params[i].p;
		lens[i] = (int)params[i].len;
		switch (params[i].type) {
		case STORE_INT:
			ints[i] = htobe64((uint64_t)params[i].i);
			vals[i] = (const char *)&ints[i];
			lens[i] = 8;
			types[i] = INT8OID;
			break;
		case STORE_TEXT:
			types[i] = TEXTOID;
			break;
		case STORE_BLOB:
			types[i] = BYTEAOID;
			break;
		default:
			vals[i] = NULL;
			types[i] = 0;
		}
	}
	res = PQexecParams(p->conn, sql, n, types, vals, lens, fmts, 1);
	if (idle && PQresultStatus(res) == PGRES_FATAL_ERROR && reconnect(p)) {
		PQclear(res);
		res = PQexecParams(p->conn, sql, n, types, vals, lens, fmts, 1);
	}
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
		rc = rows(p, res, fn, arg);
		break;
	case PGRES_COMMAND_OK:
		rc = atoi(PQcmdTuples(res));
		break;
	default:
		rc = pg_fail(p, res);
	}
	PQclear(res);
	return rc;
}

static int pg_begin(struct store *st)
{
	struct pg *p = pg_of(st);
	int rc;

	reconnect(p);
	rc = pg_script(st, "BEGIN");
	if (rc < 0 && reconnect(p))
		rc = pg_script(st, "BEGIN");
	return rc;
}

static int pg_commit(struct store *st)
{
	struct pg *p = pg_of(st);
	PGresult *res = PQexec(p->conn, "COMMIT");
	int rc;

	/* A COMMIT of a failed transaction answers ROLLBACK, not an error. */
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_fail(p, res);
	else if (strcmp(PQcmdStatus(res), "COMMIT"))
		rc = store_fail(st, -EIO, "postgresql %s: the transaction was rolled back",
				p->name);
	else
		rc = 0;
	PQclear(res);
	return rc;
}

static void pg_rollback(struct store *st)
{
	struct pg *p = pg_of(st);

	if (PQtransactionStatus(p->conn) != PQTRANS_IDLE)
		PQclear(PQexec(p->conn, "ROLLBACK"));
}

static int pg_next_id(struct store *st, const char *seq, uint64_t *id)
{
	int64_t v = 0;
	int rc;

	if (strcmp(seq, "member") && strcmp(seq, "device"))
		return store_fail(st, -EINVAL, "no id sequence %s", seq);
	rc = pg_exec(st, strcmp(seq, "member") ? "SELECT nextval('device_ids')" :
		     "SELECT nextval('member_ids')", NULL, 0, store_row_ints, &v);
	if (rc == 0)
		rc = store_fail(st, -EIO, "postgresql: nextval gave no row");
	if (rc < 0)
		return rc;
	*id = (uint64_t)v;
	return 0;
}

static void pg_close(struct store *st)
{
	struct pg *p = pg_of(st);

	PQfinish(p->conn);
	free(p);
}

static int pg_open(const char *where, struct store **out, char *err)
{
	struct pg *p = calloc(1, sizeof(*p));
	char buf[160];
	int rc = 0;

	if (!p) {
		snprintf(err, STORE_ERR_LEN, "postgresql: out of memory");
		return -ENOMEM;
	}
	p->st.ops = &store_pg_ops;
	p->conn = PQconnectdb(where);
	if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
		snprintf(err, STORE_ERR_LEN, "postgresql: cannot connect: %s",
			 p->conn ? line(PQerrorMessage(p->conn), buf, sizeof(buf)) :
			 "out of memory");
		rc = -EIO;
		goto out_close;
	}
	snprintf(p->name, sizeof(p->name), "database %s on %s", PQdb(p->conn),
		 PQhost(p->conn));
	if (PQserverVersion(p->conn) < 100000) {
		snprintf(err, STORE_ERR_LEN, "postgresql %s: server %d is older than 10",
			 p->name, PQserverVersion(p->conn));
		rc = -EPROTO;
		goto out_close;
	}
	rc = pg_script(&p->st, "SET client_min_messages = warning");
	if (rc < 0) {
		snprintf(err, STORE_ERR_LEN, "%s", p->st.err);
		goto out_close;
	}
	*out = &p->st;
	return 0;

out_close:
	pg_close(&p->st);
	return rc;
}

const struct store_ops store_pg_ops = {
	.name = "postgresql",
	.migration_extra = migration_extra,
	.lock_schema = "LOCK TABLE schema_version IN EXCLUSIVE MODE",
	.open = pg_open,
	.close = pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.exec = pg_exec,
	.exec_script = pg_script,
	.next_id = pg_next_id,
};
