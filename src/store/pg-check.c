/*
 * pg-check.c: conv-store check and --repair on PostgreSQL.  A record's
 * rows (its columns, due rows and message ids) must be what its index
 * keys say, as on LMDB; each is written as the letter of its LMDB key and
 * its value ("c:1764000000", "p:+12025550143:1764000000"), the rows found
 * and the rows expected are compared, and what differs is named the way
 * check names it on LMDB: "index key 'c' missing", "a stale index key 'c'".
 * Rows without a record cannot be: the foreign keys forbid them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"
#include "pg-impl.h"

#define PAGE 500

struct marks {
	char **s;
	int n, cap;
};

static void
mark(struct marks *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
mark(struct marks *m, const char *fmt, ...)
{
	char buf[600], **more;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 32;
		if ((more = realloc(m->s, m->cap * sizeof *more)) == NULL)
			die(EXIT_SOFTWARE, "out of memory");
		m->s = more;
	}
	if ((m->s[m->n] = strdup(buf)) == NULL)
		die(EXIT_SOFTWARE, "out of memory");
	m->n++;
}

static void
marks_clear(struct marks *m)
{
	while (m->n > 0)
		free(m->s[--m->n]);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The marks of the keys a record should have. */
static void
expected(jv conv, struct store_keys *ks, struct marks *m)
{
	MDB_val v;
	int i;

	store_index_keys(conv, ks);
	for (i = 0; i < ks->n; i++) {
		unsigned char *k = ks->k[i], *z;
		size_t at = 1;

		v.mv_size = ks->len[i];
		v.mv_data = k;
		if (k[0] == K_PHONE || k[0] == K_STATUS || k[0] == K_MESSAGE) {
			z = memchr(k + 1, '\0', ks->len[i] - 1);
			at = z ? (size_t)(z - k) + 1 : ks->len[i];
		}
		if (k[0] == K_MESSAGE)
			mark(m, "i:%s", (char *)k + 1);
		else if (k[0] == K_PHONE || k[0] == K_STATUS)
			mark(m, "%c:%s:%" PRId64, k[0], (char *)k + 1,
			    (int64_t)(UINT64_MAX - (uint64_t)store_key_time(&v, at)));
		else if (k[0] == K_CREATED)
			mark(m, "a:%" PRId64, (int64_t)(UINT64_MAX - (uint64_t)store_key_time(&v, 1)));
		else
			mark(m, "%c:%" PRId64, k[0], store_key_time(&v, 1));
	}
}

/* The marks of the rows found: row i of a page (see QUERY). */
static void
found(PGresult *r, int i, struct marks *m)
{
	const char *status = PQgetvalue(r, i, 2), *created = PQgetvalue(r, i, 4);
	char *list, *p, *tok;

	mark(m, "a:%s", created);
	mark(m, "s:%s:%s", status, created);
	if (!PQgetisnull(r, i, 3))
		mark(m, "p:%s:%s", PQgetvalue(r, i, 3), created);
	if (!PQgetisnull(r, i, 5))
		mark(m, "x:%s", PQgetvalue(r, i, 5));
	if ((list = strdup(PQgetvalue(r, i, 6))) != NULL) {
		for (tok = strtok_r(list, ",", &p); tok; tok = strtok_r(NULL, ",", &p))
			mark(m, "%s", tok);
		free(list);
	}
	if ((list = strdup(PQgetvalue(r, i, 7))) != NULL) {
		for (tok = strtok_r(list, "\n", &p); tok; tok = strtok_r(NULL, "\n", &p))
			mark(m, "i:%s", tok);
		free(list);
	}
}

#define QUERY "SELECT c.id, c.record, c.status, c.phone, c.created, c.expires, " \
	"coalesce((SELECT string_agg(CASE kind WHEN 'confirm' THEN 'c' WHEN 'followup' " \
	"THEN 'f' WHEN 'reminder' THEN 'r' WHEN 'help' THEN 'h' WHEN 'manual' THEN 'm' " \
	"WHEN 'canceled' THEN 'n' WHEN 'after' THEN 'e' ELSE 'l' END || ':' || due_at, ',') " \
	"FROM calsms.due WHERE conv_id = c.id), ''), " \
	"coalesce((SELECT string_agg(provider_id, E'\\n') FROM calsms.messages " \
	"WHERE conv_id = c.id), '') FROM calsms.conversations c "

struct pgcheck {
	store_problem_fn fn;
	void *ctx;
	struct store_checked *out;
	struct marks want, got;
	struct store_keys ks;
};

/* Names what one side has and the other lacks; both sorted. */
static void
compare(struct pgcheck *c, const char *id)
{
	char what[96];
	int i = 0, j = 0, d;

	qsort(c->want.s, c->want.n, sizeof *c->want.s, cmp);
	qsort(c->got.s, c->got.n, sizeof *c->got.s, cmp);
	while (i < c->want.n || j < c->got.n) {
		d = i == c->want.n ? 1 : j == c->got.n ? -1 : strcmp(c->want.s[i], c->got.s[j]);
		if (d == 0) {
			i++, j++;
			continue;
		}
		snprintf(what, sizeof what, d < 0 ? "index key '%c' missing" :
		    "a stale index key '%c'", d < 0 ? c->want.s[i][0] : c->got.s[j][0]);
		c->out->problems++;
		c->fn(id, strlen(id), what, c->ctx);
		d < 0 ? i++ : j++;
	}
}

static void
check_row(struct pgcheck *c, PGresult *r, int i)
{
	const char *id = PQgetvalue(r, i, 0);
	jv conv = store_parse(PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1));

	c->out->convs++;
	marks_clear(&c->want);
	marks_clear(&c->got);
	found(r, i, &c->got);
	c->out->keys += c->got.n;
	if (store_check_head(conv, id, strlen(id), c->fn, c->ctx, &c->out->problems)) {
		expected(conv, &c->ks, &c->want);
		compare(c, id);
	}
	jv_free(conv);
}

static int
check_optouts(struct pg_txn *t, struct pgcheck *c)
{
	PGresult *r;
	int i, rc;

	if ((rc = pg_exec(t, "SELECT phone FROM calsms.optouts ORDER BY phone", 0, NULL, NULL,
	    NULL, &r)) != 0)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		const char *p = PQgetvalue(r, i, 0);

		c->out->optouts++;
		if (!store_e164_key(p, strlen(p))) {
			c->out->problems++;
			c->fn(p, strlen(p), "an opt-out that is not an E.164 number", c->ctx);
		}
	}
	PQclear(r);
	return 0;
}

int
pg_check(struct store_txn *txn, store_problem_fn fn, void *ctx, struct store_checked *out)
{
	struct pg_txn *t = PGT(txn);
	struct pgcheck *c = calloc(1, sizeof *c);
	char last[256] = "";
	const char *vals[1] = { last };
	int i, rows, rc = 0, first = 1;
	PGresult *r;

	if (c == NULL)
		return ENOMEM;
	*out = (struct store_checked){ 0 };
	*c = (struct pgcheck){ .fn = fn, .ctx = ctx, .out = out };
	do {
		rc = pg_exec(t, first ? QUERY "ORDER BY c.id LIMIT 500" :
		    QUERY "WHERE c.id > $1 ORDER BY c.id LIMIT 500", first ? 0 : 1, vals, NULL,
		    NULL, &r);
		if (rc != 0)
			break;
		rows = PQntuples(r);
		for (i = 0; i < rows; i++)
			check_row(c, r, i);
		if (rows > 0)
			snprintf(last, sizeof last, "%s", PQgetvalue(r, rows - 1, 0));
		PQclear(r);
		first = 0;
	} while (rows == PAGE);
	if (rc == 0)
		rc = check_optouts(t, c);
	marks_clear(&c->want);
	marks_clear(&c->got);
	free(c->want.s);
	free(c->got.s);
	free(c);
	return rc;
}

static int
gather_id(const char *id, int64_t t, void *ctx)
{
	(void)t;
	*(jv *)ctx = jv_array_append(*(jv *)ctx, jv_string(id));
	return 0;
}

static int
reindex(struct store *st, struct store_txn *txn, void *ctx)
{
	long *n = ctx;
	jv ids = jv_array(), c;
	struct strbuf text = { 0 };
	int i, len, rc;

	(void)st;
	*n = 0;
	if ((rc = pg_walk(txn, IX_CREATED, NULL, gather_id, &ids)) != 0) {
		jv_free(ids);
		return rc;
	}
	len = jv_array_length(jv_copy(ids));
	for (i = 0; i < len && rc == 0; i++) {
		jv id = jv_array_get(jv_copy(ids), i);

		c = pg_get(txn, jv_string_value(id));
		jv_free(id);
		if (jv_get_kind(c) == JV_KIND_OBJECT) {
			text.len = 0;
			json_dump(c, &text);
			rc = pg_put(txn, jv_copy(c), jv_copy(c), text.p);
			++*n;
		}
		jv_free(c);
	}
	jv_free(ids);
	sb_free(&text);
	return rc;
}

/* Every record's rows made again from the record, in one transaction. */
int
pg_reindex(struct store *st, long *records)
{
	return pg_write(st, reindex, records);
}
