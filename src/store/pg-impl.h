/*
 * pg-impl.h: the PostgreSQL backend's insides, for store-pg.c, pg-rows.c
 * and pg-schema.c: the connection, a transaction (the results whose
 * values it handed out, freed when it ends), and one way to run a query.
 */
#ifndef PG_IMPL_H
#define PG_IMPL_H

#include <libpq-fe.h>

/*
 * libpq is loaded (pg-load.c) when a store is a URI: a program on LMDB
 * never maps it and the thirty libraries it brings.  Each function this
 * backend calls is a pointer, named here once.
 */
#define PQ_FUNCTIONS(X) \
	X(PQbackendPID) \
	X(PQclear) \
	X(PQconnectdb) \
	X(PQconnectionNeedsPassword) \
	X(PQconsumeInput) \
	X(PQerrorMessage) \
	X(PQexec) \
	X(PQexecParams) \
	X(PQfinish) \
	X(PQfreemem) \
	X(PQgetisnull) \
	X(PQgetlength) \
	X(PQgetvalue) \
	X(PQnotifies) \
	X(PQntuples) \
	X(PQreset) \
	X(PQresultErrorField) \
	X(PQresultErrorMessage) \
	X(PQresultStatus) \
	X(PQsocket) \
	X(PQstatus)
#define PQ_POINTER(f) extern __typeof__(f) *pq_##f;
PQ_FUNCTIONS(PQ_POINTER)
#undef PQ_POINTER
int pq_load(void);
#ifndef PG_LOAD
#define PQbackendPID pq_PQbackendPID
#define PQclear pq_PQclear
#define PQconnectdb pq_PQconnectdb
#define PQconnectionNeedsPassword pq_PQconnectionNeedsPassword
#define PQconsumeInput pq_PQconsumeInput
#define PQerrorMessage pq_PQerrorMessage
#define PQexec pq_PQexec
#define PQexecParams pq_PQexecParams
#define PQfinish pq_PQfinish
#define PQfreemem pq_PQfreemem
#define PQgetisnull pq_PQgetisnull
#define PQgetlength pq_PQgetlength
#define PQgetvalue pq_PQgetvalue
#define PQnotifies pq_PQnotifies
#define PQntuples pq_PQntuples
#define PQreset pq_PQreset
#define PQresultErrorField pq_PQresultErrorField
#define PQresultErrorMessage pq_PQresultErrorMessage
#define PQresultStatus pq_PQresultStatus
#define PQsocket pq_PQsocket
#define PQstatus pq_PQstatus
#endif

#include "store-pg.h"

/* errors of our own beside errno values, as store_strerror() says them */
#define PGE_DOWN (-30100)	/* the connection is lost, or the server is going away */
#define PGE_RETRY (-30101)	/* serialization failure, deadlock, a racing insert */
#define PGE_DB (-30102)		/* any other error the server reported */
#define PGE_SCHEMA (-30103)	/* a calsms schema older or newer than this program */
#define PGE_NONE (-30104)	/* no calsms schema in the database */

struct pg {
	PGconn *conn;
	char where[512];	/* the URI without its password, for messages */
	int listening;
	uint64_t notified;	/* NOTIFYs from other sessions seen */
	int wait;		/* seconds to wait for a lost connection (CALSMS_DB_WAIT) */
};

struct pg_txn {
	struct store *st;
	int write, dirty;
	int failed;	/* the first error: PostgreSQL runs nothing more in it */
	int64_t token;
	struct strbuf ats, rests;	/* the feed's lines to number at COMMIT, as text[] */
	PGresult **res;		/* kept until the transaction ends */
	int nres, cap;
};

#define PGT(t) ((struct pg_txn *)(void *)(t))
#define PG(t) (PGT(t)->st->pg)

/* store-pg.c */
int pg_exec(struct pg_txn *t, const char *sql, int n, const char *const *vals,
    const int *lens, const int *binary, PGresult **out);
int pg_keep(struct pg_txn *t, PGresult *r);
int pg_result_rc(struct pg *pg, PGresult *r);
int pg_simple(struct pg *pg, const char *sql);
void pg_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* pg-changes.c */
int pg_changes_flush(struct pg_txn *t);

/* pg-schema.c */
int pg_migrate(struct pg *pg, int create);

#endif
