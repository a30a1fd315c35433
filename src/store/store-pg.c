/*
 * store-pg.c: the store in a PostgreSQL database (schema: pg-schema.c),
 * opened from a postgresql:// or postgres:// URI, as libpq takes it
 * (a password from ~/.pgpass or PGPASSFILE, never on the command line).
 *
 * A read transaction is REPEATABLE READ READ ONLY: one snapshot, as an
 * LMDB read transaction is.  A write transaction is READ COMMITTED with
 * row locks: a conversation read to be changed is read FOR UPDATE, and
 * the walks a claimer takes its batches from lock what they hand out FOR
 * UPDATE SKIP LOCKED, so schedulers on many hosts never hand out one item
 * twice and never wait for each other.  A transaction that meets a
 * serialization failure, a deadlock or a racing insert of the same id is
 * run again (its function is re-runnable, as store_write() says); one
 * that loses its connection is run again once the server is back, for up
 * to CALSMS_DB_WAIT seconds (60 by default), else it fails with 75.
 * Every write transaction that changed something sends NOTIFY calsms, so
 * follow-up-due -w on any host wakes when it commits.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calsms.h"
#include "pg-impl.h"

#define RETRIES 50
#define CHANNEL "calsms"

static char last_error[600];

int
store_is_uri(const char *where)
{
	return where && (strncmp(where, "postgresql://", 13) == 0 ||
	    strncmp(where, "postgres://", 11) == 0);
}

/*
 * The URI for messages: a password in it (user:password@, or a
 * password= parameter) is not shown.
 */
void
store_shown(const char *uri, char *out, size_t n)
{
	const char *scheme = strstr(uri, "://"), *at, *colon, *pw, *end;
	char tmp[1024];

	snprintf(out, n, "%s", uri);
	if (!store_is_uri(uri) || scheme == NULL)
		return;
	at = strchr(scheme + 3, '@');
	colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
	if (colon != NULL)
		snprintf(out, n, "%.*s:***%s", (int)(colon - uri), uri, at);
	if ((pw = strstr(out, "password=")) != NULL) {
		end = pw + 9 + strcspn(pw + 9, "&");
		snprintf(tmp, sizeof tmp, "%.*s***%s", (int)(pw + 9 - out), out, end);
		snprintf(out, n, "%s", tmp);
	}
}

/* The first line of a libpq message, kept for store_strerror(). */
static void
set_error(const char *msg)
{
	size_t n;

	snprintf(last_error, sizeof last_error, "%s", msg && *msg ? msg : "unknown error");
	n = strcspn(last_error, "\n");
	last_error[n] = '\0';
}

void
pg_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
}

const char *
pg_strerror(int rc)
{
	switch (rc) {
	case PGE_DOWN: case PGE_RETRY: case PGE_DB: case PGE_SCHEMA: case PGE_NONE:
		return last_error;
	default:
		return NULL;
	}
}

int
pg_fatal_status(int rc)
{
	switch (rc) {
	case PGE_DOWN: case PGE_RETRY: return EXIT_TEMPFAIL;
	case PGE_SCHEMA: return EXIT_CONFIG;
	case PGE_NONE: return EXIT_NOINPUT;
	case PGE_DB: return EXIT_IOERR;
	default: return -1;
	}
}

/* What a failed result means to us: retry, reconnect, bad data, or an error. */
int
pg_result_rc(struct pg *pg, PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	set_error(r ? PQresultErrorMessage(r) : PQerrorMessage(pg->conn));
	if (PQstatus(pg->conn) != CONNECTION_OK || state == NULL)
		return PGE_DOWN;
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "23505"))
		return PGE_RETRY;
	if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3) || !strncmp(state, "53", 2))
		return PGE_DOWN;
	if (!strncmp(state, "22", 2) || !strncmp(state, "23", 2))
		return EINVAL;	/* this line's data: the line fails, not the stream */
	if (!strcmp(state, "42501"))
		return EACCES;
	if (!strcmp(state, "42P01") || !strcmp(state, "3F000") || !strcmp(state, "42883"))
		return PGE_SCHEMA;
	return PGE_DB;
}

int
pg_keep(struct pg_txn *t, PGresult *r)
{
	PGresult **more;

	if (t->nres == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		if ((more = realloc(t->res, t->cap * sizeof *more)) == NULL) {
			PQclear(r);
			return ENOMEM;
		}
		t->res = more;
	}
	t->res[t->nres++] = r;
	return 0;
}

/*
 * Runs one statement with text parameters (binary[i] set: bytes).  With
 * out, the result is the caller's to keep (pg_keep) or clear; else it is
 * cleared.  Returns 0 or an error.
 */
int
pg_exec(struct pg_txn *t, const char *sql, int n, const char *const *vals,
    const int *lens, const int *binary, PGresult **out)
{
	struct pg *pg = t->st->pg;
	PGresult *r;
	ExecStatusType s;
	int rc = 0;

	if (out)
		*out = NULL;
	if (t->failed)	/* the server aborted the transaction: say why, once */
		return t->failed;
	r = PQexecParams(pg->conn, sql, n, NULL, vals, lens, binary, 0);
	s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		rc = t->failed = pg_result_rc(pg, r);
		PQclear(r);
		r = NULL;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return rc;
}

/* A statement without parameters on the connection, outside our transactions. */
int
pg_simple(struct pg *pg, const char *sql)
{
	PGresult *r = PQexec(pg->conn, sql);
	ExecStatusType s = PQresultStatus(r);
	int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : pg_result_rc(pg, r);

	PQclear(r);
	return rc;
}

static int
db_wait(void)
{
	const char *e = conf_get("CALSMS_DB_WAIT");
	long n;

	if (e == NULL || *e == '\0')
		return 60;
	if (long_arg(e, 0, 86400, &n) != 0) {
		note("CALSMS_DB_WAIT: not a number of seconds: %s; 60 used", e);
		return 60;
	}
	return (int)n;
}

/* The first connection: a server that is down is 75 at once, with one line. */
int
pg_open(struct store *st)
{
	struct pg *pg = calloc(1, sizeof *pg);
	int rc = 0;

	if (pg == NULL)
		return EXIT_SOFTWARE;
	if (pq_load() != 0) {
		free(pg);
		return EXIT_UNAVAILABLE;
	}
	store_shown(st->dir, pg->where, sizeof pg->where);
	pg->wait = db_wait();
	/* a settings file may name the password file libpq reads (never argv) */
	if (getenv("PGPASSFILE") == NULL && conf_get("PGPASSFILE") != NULL)
		setenv("PGPASSFILE", conf_get("PGPASSFILE"), 1);
	pg->conn = PQconnectdb(st->dir);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		set_error(PQerrorMessage(pg->conn));
		note("store: %s: cannot connect: %s", pg->where, last_error);
		rc = PQconnectionNeedsPassword(pg->conn) || strstr(last_error, "authentication") ||
		    strstr(last_error, "does not exist") || strstr(last_error, "invalid") ||
		    strstr(last_error, "missing") ? EXIT_CONFIG : EXIT_TEMPFAIL;
	} else if ((rc = pg_migrate(pg, st->flags & STORE_CREATE &&
	    !(st->flags & STORE_READ))) != 0) {
		note("store: %s: %s", pg->where, last_error);
		rc = pg_fatal_status(rc) > 0 ? pg_fatal_status(rc) : EXIT_IOERR;
	}
	if (rc != 0) {
		PQfinish(pg->conn);
		free(pg);
		return rc;
	}
	st->pg = pg;
	return 0;
}

void
pg_close(struct store *st)
{
	if (st->pg == NULL)
		return;
	PQfinish(st->pg->conn);
	free(st->pg);
	st->pg = NULL;
}

/* A lost connection made again, for up to CALSMS_DB_WAIT seconds; 0 when back. */
static int
reconnect(struct pg *pg)
{
	struct timespec pause = { 0, 250 * 1000 * 1000 };
	int64_t until = mono_ms() + (int64_t)pg->wait * 1000;

	note("store: %s: connection lost (%s); waiting up to %d s for the server", pg->where,
	    *last_error ? last_error : "closed", pg->wait);
	for (;;) {
		PQreset(pg->conn);
		if (PQstatus(pg->conn) == CONNECTION_OK) {
			note("store: %s: connected again", pg->where);
			pg->listening = 0;
			return 0;
		}
		if (mono_ms() >= until) {
			set_error(PQerrorMessage(pg->conn));
			return PGE_DOWN;
		}
		nanosleep(&pause, NULL);
	}
}

static void
txn_free(struct pg_txn *t)
{
	int i;

	for (i = 0; i < t->nres; i++)
		PQclear(t->res[i]);
	free(t->res);
	sb_free(&t->ats);
	sb_free(&t->rests);
	free(t);
}

static int
txn_begin(struct store *st, int write, struct pg_txn **out)
{
	struct pg_txn *t = calloc(1, sizeof *t);
	int rc;

	*out = NULL;
	if (t == NULL)
		return ENOMEM;
	t->st = st;
	t->write = write;
	rc = pg_simple(st->pg, write ? "BEGIN" :
	    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (rc != 0) {
		txn_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

static int
txn_commit(struct pg_txn *t)
{
	int rc = 0;

	/* an error a read swallowed (a row not found for a lost connection) fails it */
	if (t->failed)
		return t->failed;
	if (t->rests.len)
		rc = pg_changes_flush(t);
	/* one round trip: the commands of a string stop at the first that fails */
	return rc ? rc : pg_simple(t->st->pg, t->dirty ? "NOTIFY " CHANNEL "; COMMIT" : "COMMIT");
}

/*
 * Runs fn in a write transaction and commits it; fn runs again after a
 * serialization failure, a deadlock or a racing insert, and after a lost
 * connection once the server is back.  A commit whose answer was lost may
 * have happened: running fn again is safe, since every change is a
 * read-modify-write by id that the rules make idempotent.
 */
int
pg_write(struct store *st, store_write_fn fn, void *ctx)
{
	struct timespec pause = { 0, 0 };
	struct pg_txn *t;
	int rc, tries;

	for (tries = 0;; tries++) {
		if (PQstatus(st->pg->conn) != CONNECTION_OK && (rc = reconnect(st->pg)) != 0)
			return rc;
		if ((rc = txn_begin(st, 1, &t)) == 0) {
			if ((rc = fn(st, (struct store_txn *)(void *)t, ctx)) == 0)
				rc = txn_commit(t);
			if (rc != 0 && PQstatus(st->pg->conn) == CONNECTION_OK)
				pg_simple(st->pg, "ROLLBACK");
			txn_free(t);
		}
		if (rc == PGE_RETRY && tries < RETRIES) {
			pause.tv_nsec = (long)(1 + rand() % 20) * 1000 * 1000;
			nanosleep(&pause, NULL);
			continue;
		}
		if (rc == PGE_DOWN && tries < RETRIES && reconnect(st->pg) == 0)
			continue;
		return rc;
	}
}

int
pg_read_begin(struct store *st, struct store_txn **out)
{
	struct pg_txn *t = NULL;
	int rc;

	*out = NULL;
	if (PQstatus(st->pg->conn) != CONNECTION_OK && (rc = reconnect(st->pg)) != 0)
		return rc;
	if ((rc = txn_begin(st, 0, &t)) == PGE_DOWN && reconnect(st->pg) == 0)
		rc = txn_begin(st, 0, &t);
	*out = (struct store_txn *)(void *)t;
	return rc;
}

void
pg_read_end(struct store_txn *txn)
{
	struct pg_txn *t = PGT(txn);

	if (t == NULL)
		return;
	if (PQstatus(t->st->pg->conn) == CONNECTION_OK)
		pg_simple(t->st->pg, "COMMIT");
	txn_free(t);
}

/* The error that ended a transaction's statements, or 0. */
int
pg_failed(struct store_txn *txn)
{
	return PGT(txn)->failed;
}

/* A number no other transaction gets, growing: a claim's fencing token. */
int64_t
pg_token(struct store_txn *txn)
{
	struct pg_txn *t = PGT(txn);
	PGresult *r;

	if (t->token == 0 && pg_exec(t, "SELECT nextval('calsms.claim_token')", 0, NULL,
	    NULL, NULL, &r) == 0) {
		t->token = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
	}
	return t->token;
}

/*
 * Grows whenever another session commits a change (NOTIFY calsms), so
 * follow-up-due -w sees other hosts' bookings, replies and cancels; its
 * own commits do not count.  Listens from the first call on.
 */
uint64_t
pg_version(struct store *st)
{
	struct pg *pg = st->pg;
	PGnotify *n;

	if (PQstatus(pg->conn) != CONNECTION_OK && reconnect(pg) != 0)
		return pg->notified;
	if (!pg->listening && pg_simple(pg, "LISTEN " CHANNEL) == 0) {
		pg->listening = 1;
		pg->notified++;	/* what was missed while not listening */
	}
	PQconsumeInput(pg->conn);
	while ((n = PQnotifies(pg->conn)) != NULL) {
		if (n->be_pid != PQbackendPID(pg->conn))
			pg->notified++;
		PQfreemem(n);
	}
	return pg->notified;
}

/* The connection's socket, to poll for notifications; -1 when none. */
int
pg_fd(struct store *st)
{
	return st->pg && PQstatus(st->pg->conn) == CONNECTION_OK ? PQsocket(st->pg->conn) : -1;
}
