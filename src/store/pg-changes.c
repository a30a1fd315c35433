/*
 * pg-changes.c: the change feed (changes.c) in PostgreSQL.  A write
 * transaction keeps its lines, and numbers and inserts them in one call
 * of calsms.add_changes just before COMMIT (pg-schema.c says why then).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"
#include "pg-impl.h"

#define PAGE 500

/* One more element of a text[] literal, quoted. */
static void
element(struct strbuf *b, const char *s, size_t n)
{
	size_t i;

	sb_puts(b, b->len ? ",\"" : "{\"");
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			sb_put(b, "\\", 1);
		sb_put(b, s + i, 1);
	}
	sb_put(b, "\"", 1);
}

int
pg_change_add(struct store_txn *txn, int64_t now, const char *rest, size_t len)
{
	struct pg_txn *t = PGT(txn);
	char at[24];

	snprintf(at, sizeof at, "%" PRId64, now);
	element(&t->ats, at, strlen(at));
	element(&t->rests, rest, len);
	t->dirty = 1;
	return 0;
}

int
pg_changes_flush(struct pg_txn *t)
{
	const char *vals[2];

	sb_put(&t->ats, "}", 1);
	sb_put(&t->rests, "}", 1);
	vals[0] = t->ats.p;
	vals[1] = t->rests.p;
	return pg_exec(t, "SELECT calsms.add_changes($1, $2)", 2, vals, NULL, NULL, NULL);
}

int
pg_changes(struct store_txn *txn, int64_t after, long max, store_line_fn fn, void *ctx)
{
	struct pg_txn *t = PGT(txn);
	char from[24], limit[24];
	const char *vals[2] = { from, limit };
	PGresult *r;
	long n = 0, page;
	int i, rows, rc;

	for (;;) {
		page = max && max - n < PAGE ? max - n : PAGE;
		snprintf(from, sizeof from, "%" PRId64, after);
		snprintf(limit, sizeof limit, "%ld", page);
		if ((rc = pg_exec(t, "SELECT seq, line FROM calsms.changes WHERE seq > $1 "
		    "ORDER BY seq LIMIT $2", 2, vals, NULL, NULL, &r)) != 0)
			return rc;
		rows = PQntuples(r);
		for (i = 0; i < rows; i++) {
			after = strtoll(PQgetvalue(r, i, 0), NULL, 10);
			n++;
			if (fn(after, PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1), ctx)) {
				PQclear(r);
				return 0;
			}
		}
		PQclear(r);
		if (rows < page || (max && n >= max))
			return 0;
	}
}

int
pg_changes_span(struct store_txn *txn, int64_t *first, int64_t *last)
{
	struct pg_txn *t = PGT(txn);
	PGresult *r;
	int rc;

	*first = *last = 0;
	if ((rc = pg_exec(t, "SELECT coalesce((SELECT min(seq) FROM calsms.changes), 0), "
	    "(SELECT last FROM calsms.change_seq)", 0, NULL, NULL, NULL, &r)) != 0)
		return rc;
	*first = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	*last = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	return 0;
}

int
pg_changes_trim(struct store_txn *txn, int64_t before, long max, long *n)
{
	struct pg_txn *t = PGT(txn);
	char at[24], limit[24];
	const char *vals[2] = { at, limit };
	PGresult *r;
	int rc;

	*n = 0;
	snprintf(at, sizeof at, "%" PRId64, before);
	snprintf(limit, sizeof limit, "%ld", max);
	if ((rc = pg_exec(t, "WITH gone AS (DELETE FROM calsms.changes WHERE seq IN (SELECT seq "
	    "FROM calsms.changes WHERE at < $1 ORDER BY seq LIMIT $2) RETURNING 1) "
	    "SELECT count(*) FROM gone", 2, vals, NULL, NULL, &r)) != 0)
		return rc;
	*n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	t->dirty = 1;
	return 0;
}

int
pg_change_load(struct store_txn *txn, int64_t seq, int64_t at, const char *line, size_t len)
{
	struct pg_txn *t = PGT(txn);
	char s[24], a[24];
	const char *vals[3] = { s, a, line };
	int lens[3] = { 0, 0, (int)len };

	snprintf(s, sizeof s, "%" PRId64, seq);
	snprintf(a, sizeof a, "%" PRId64, at);
	t->dirty = 1;
	return pg_exec(t, "SELECT calsms.load_change($1, $2, $3)", 3, vals, lens, NULL, NULL);
}
