/*
 * pg-rows.c: conversations, walks and tables in PostgreSQL (pg-schema.c).
 *
 * A conversation's columns, due rows and message ids are what its LMDB
 * index keys say (store_index_keys(), the one place that knows what is
 * due), read off those keys: so both backends index a record alike, and
 * check compares the rows with the keys the record should have.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"
#include "pg-impl.h"

#define PAGE 500

/* the due table's kinds, by key prefix */
static const struct {
	unsigned char prefix;
	const char *kind;
	enum store_index ix;
} due_kinds[] = {
	{ K_CONFIRM, "confirm", IX_CONFIRM }, { K_FOLLOWUP, "followup", IX_FOLLOWUP },
	{ K_REMINDER, "reminder", IX_REMINDER }, { K_HELP, "help", IX_HELP },
	{ K_MANUAL, "manual", IX_MANUAL }, { K_CANCELED, "canceled", IX_CANCELED },
	{ K_AFTER, "after", IX_AFTER }, { K_LEASE, "lease", IX_LEASE }
};
#define NDUE (sizeof due_kinds / sizeof due_kinds[0])

static const char *
due_kind(unsigned char prefix)
{
	size_t i;

	for (i = 0; i < NDUE; i++)
		if (due_kinds[i].prefix == prefix)
			return due_kinds[i].kind;
	return NULL;
}

/* ---- a record's rows, from its index keys ---- */

struct rows {
	const char *status, *phone;	/* into ks */
	char created[24], expires[24];
	struct strbuf kinds, ats, pids;
	struct store_keys ks;
};

static void
array_add(struct strbuf *b, const char *s, int quote)
{
	sb_puts(b, b->len ? "," : "{");
	if (quote)
		sb_put(b, "\"", 1);
	for (; *s; s++) {
		if (quote && (*s == '"' || *s == '\\'))
			sb_put(b, "\\", 1);
		sb_put(b, s, 1);
	}
	if (quote)
		sb_put(b, "\"", 1);
}

static void
array_end(struct strbuf *b)
{
	sb_puts(b, b->len ? "}" : "{}");
}

/* The text of a 'p', 's' or 'i' key, and where its time starts. */
static const char *
key_text(unsigned char *k, size_t len, size_t *at)
{
	unsigned char *z = memchr(k + 1, '\0', len - 1);

	*at = z ? (size_t)(z - k) + 1 : len;
	return (const char *)k + 1;
}

static int64_t
key_time(const unsigned char *k, size_t len, size_t at)
{
	MDB_val v = { len, (void *)k };

	return store_key_time(&v, at);
}

static void
rows_free(struct rows *r)
{
	sb_free(&r->kinds);
	sb_free(&r->ats);
	sb_free(&r->pids);
}

/* Fills r from conv's keys; 0, or EINVAL for a record with no id or status. */
static int
rows_of(jv conv, struct rows *r)
{
	char t[24];
	size_t at;
	int i;

	memset(r, 0, offsetof(struct rows, ks));
	store_index_keys(conv, &r->ks);
	for (i = 0; i < r->ks.n; i++) {
		unsigned char *k = r->ks.k[i];
		size_t len = r->ks.len[i];
		const char *kind = due_kind(k[0]), *text;

		switch (k[0]) {
		case K_CREATED:
			snprintf(r->created, sizeof r->created, "%" PRId64,
			    (int64_t)(UINT64_MAX - (uint64_t)key_time(k, len, 1)));
			break;
		case K_EXPIRY:
			snprintf(r->expires, sizeof r->expires, "%" PRId64, key_time(k, len, 1));
			break;
		case K_PHONE: case K_STATUS: case K_MESSAGE:
			text = key_text(k, len, &at);
			if (k[0] == K_PHONE)
				r->phone = text;
			else if (k[0] == K_STATUS)
				r->status = text;
			else
				array_add(&r->pids, text, 1);
			break;
		default:
			if (kind == NULL)
				break;
			snprintf(t, sizeof t, "%" PRId64, key_time(k, len, 1));
			array_add(&r->kinds, kind, 0);
			array_add(&r->ats, t, 0);
		}
	}
	array_end(&r->kinds);
	array_end(&r->ats);
	array_end(&r->pids);
	if (r->status == NULL || !*r->created) {
		rows_free(r);
		return EINVAL;
	}
	return 0;
}

/* ---- conversations ---- */

static jv
first_value(PGresult *r)
{
	if (PQntuples(r) == 0)
		return jv_invalid();
	return store_parse(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
}

jv
pg_get(struct store_txn *txn, const char *id)
{
	struct pg_txn *t = PGT(txn);
	const char *vals[1] = { id };
	PGresult *r;
	jv v;

	if (pg_exec(t, t->write ? "SELECT record FROM calsms.conversations WHERE id = $1 "
	    "FOR UPDATE" : "SELECT record FROM calsms.conversations WHERE id = $1", 1, vals,
	    NULL, NULL, &r) != 0)
		return jv_invalid();
	v = first_value(r);
	PQclear(r);
	return v;
}

int
pg_raw(struct store_txn *txn, const char *id, struct store_val *v)
{
	struct pg_txn *t = PGT(txn);
	const char *vals[1] = { id };
	PGresult *r;
	int rc;

	v->size = 0;
	v->data = NULL;
	if ((rc = pg_exec(t, "SELECT record FROM calsms.conversations WHERE id = $1", 1, vals,
	    NULL, NULL, &r)) != 0)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return MDB_NOTFOUND;
	}
	v->size = (size_t)PQgetlength(r, 0, 0);
	v->data = PQgetvalue(r, 0, 0);
	return pg_keep(t, r);
}

/* Stores conv (consumed) in place of old (consumed, or invalid if new). */
int
pg_put(struct store_txn *txn, jv old, jv conv, const char *record)
{
	struct pg_txn *t = PGT(txn);
	const char *id = conv_str(conv, "id");
	struct rows *r = malloc(sizeof *r);
	jv claim = json_get(conv, "claim");
	char token[24] = "";
	const char *vals[11];
	int rc = EINVAL;

	if (r == NULL)
		rc = ENOMEM;
	else if (id != NULL && strlen(id) <= 200 && (rc = rows_of(conv, r)) == 0) {
		if (json_kind(claim, "token") == JV_KIND_NUMBER)
			snprintf(token, sizeof token, "%.0f", json_num(claim, "token"));
		vals[0] = jv_is_valid(old) ? "false" : "true";
		vals[1] = id;
		vals[2] = record;
		vals[3] = r->status;
		vals[4] = r->phone;
		vals[5] = r->created;
		vals[6] = *r->expires ? r->expires : NULL;
		vals[7] = r->kinds.p;
		vals[8] = r->ats.p;
		vals[9] = *token ? token : NULL;
		vals[10] = r->pids.p;
		rc = pg_exec(t, "SELECT calsms.put($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
		    11, vals, NULL, NULL, NULL);
		t->dirty = 1;
		rows_free(r);
	}
	free(r);
	jv_free(claim);
	jv_free(old);
	jv_free(conv);
	return rc;
}

int
pg_del(struct store_txn *txn, jv old)
{
	struct pg_txn *t = PGT(txn);
	const char *vals[1] = { conv_str(old, "id") };
	int rc = EINVAL;

	if (vals[0] != NULL)
		rc = pg_exec(t, "DELETE FROM calsms.conversations WHERE id = $1", 1, vals, NULL,
		    NULL, NULL);
	t->dirty = 1;
	jv_free(old);
	return rc;
}

/* ---- walks ---- */

struct ixq {
	const char *select, *where, *tcol, *idcol;
	int desc, text, claims;	/* newest first; takes a text; a claimer's batch */
};

static int
index_query(enum store_index ix, struct ixq *q)
{
	static const char conv[] = "SELECT id, created FROM calsms.conversations";
	size_t i;

	*q = (struct ixq){ conv, "true", "created", "id", 1, 0, 0 };
	switch (ix) {
	case IX_CREATED: return 0;
	case IX_PHONE: q->where = "phone = $1"; q->text = 1; return 0;
	case IX_STATUS: q->where = "status = $1"; q->text = 1; return 0;
	case IX_EXPIRY:
		*q = (struct ixq){ "SELECT id, expires FROM calsms.conversations",
		    "expires IS NOT NULL", "expires", "id", 0, 0, 0 };
		return 0;
	case IX_MESSAGE:
		*q = (struct ixq){ "SELECT conv_id, 0 FROM calsms.messages", "provider_id = $1",
		    "0::bigint", "conv_id", 0, 1, 0 };
		return 0;
	default:
		for (i = 0; i < NDUE; i++)
			if (due_kinds[i].ix == ix) {
				*q = (struct ixq){ "SELECT d.conv_id, d.due_at FROM calsms.due d "
				    "JOIN calsms.conversations c ON c.id = d.conv_id", NULL,
				    "d.due_at", "d.conv_id", 0, 0, 1 };
				return (int)i + 1;
			}
		return -1;
	}
}

struct walk {
	struct pg_txn *t;
	enum store_index ix;
	const char *text;
	int have_t, have_id;	/* where to start: from time t, or after (t, id) */
	int64_t t0;
	char id0[256];
	int lock;
	store_key_fn fn;
	void *ctx;
	struct store_cursor *cur;
};

static void
cursor_set(struct store_cursor *cur, enum store_index ix, int64_t t, const char *id)
{
	size_t n = strlen(id);

	if (9 + n > sizeof cur->key)
		return;
	store_cursor_at(cur, ix, t, ix == IX_CREATED);
	memcpy(cur->key + 9, id, n);
	cur->len = 9 + n;
}

static int
walk_page(struct walk *w, int *rows)
{
	struct ixq q;
	int k = index_query(w->ix, &q), n = 0, i, rc, r = 0;
	char sql[900], kind[64] = "", t0[24], where[200];
	const char *vals[3];
	PGresult *res;

	if (k < 0)
		return EINVAL;
	if (k > 0)
		snprintf(kind, sizeof kind, "d.kind = '%s'", due_kinds[k - 1].kind);
	if (q.text)
		vals[n++] = w->text;
	snprintf(t0, sizeof t0, "%" PRId64, w->t0);
	where[0] = '\0';
	if (w->have_id)
		snprintf(where, sizeof where, q.desc ? " AND (%1$s < $%3$d OR (%1$s = $%3$d AND "
		    "%2$s > $%4$d))" : " AND (%1$s, %2$s) > ($%3$d, $%4$d)", q.tcol, q.idcol, n + 1,
		    n + 2);
	else if (w->have_t)
		snprintf(where, sizeof where, " AND %s %s $%d", q.tcol, q.desc ? "<=" : ">=", n + 1);
	if (w->have_t || w->have_id)
		vals[n++] = t0;
	if (w->have_id)
		vals[n++] = w->id0;
	snprintf(sql, sizeof sql, "%s WHERE %s%s ORDER BY %s%s, %s LIMIT %d%s", q.select,
	    k > 0 ? kind : q.where, where, q.tcol, q.desc ? " DESC" : "", q.idcol, PAGE,
	    w->lock && q.claims ? " FOR UPDATE OF d, c SKIP LOCKED" : "");
	if ((rc = pg_exec(w->t, sql, n, vals, NULL, NULL, &res)) != 0)
		return rc;
	*rows = PQntuples(res);
	for (i = 0; i < *rows && r == 0; i++) {
		const char *id = PQgetvalue(res, i, 0);
		int64_t t = strtoll(PQgetvalue(res, i, 1), NULL, 10);

		if ((r = w->fn(id, t, w->ctx)) == 0 && w->cur)
			cursor_set(w->cur, w->ix, t, id);
		w->t0 = t;
		snprintf(w->id0, sizeof w->id0, "%s", id);
		w->have_id = 1;
	}
	PQclear(res);
	if (r != 0)
		*rows = 0;
	return r < 0 ? -r : r == 1 ? 0 : r;
}

static int
walk_all(struct walk *w)
{
	int rows, rc;

	do
		rc = walk_page(w, &rows);
	while (rc == 0 && rows == PAGE);
	return rc;
}

int
pg_walk(struct store_txn *txn, enum store_index ix, const char *text, store_key_fn fn,
    void *ctx)
{
	struct walk w = { .t = PGT(txn), .ix = ix, .text = text, .fn = fn, .ctx = ctx };

	return walk_all(&w);
}

/* A claimer's walk: in a write transaction, what it hands out is locked, skipping
 * what another transaction holds. */
int
pg_walk_from(struct store_txn *txn, enum store_index ix, struct store_cursor *cur,
    store_key_fn fn, void *ctx)
{
	struct walk w = { .t = PGT(txn), .ix = ix, .fn = fn, .ctx = ctx, .cur = cur,
	    .lock = PGT(txn)->write };
	MDB_val k = { cur->len, cur->key };
	size_t n;

	if (cur->len >= 9) {
		w.have_t = 1;
		w.t0 = store_key_time(&k, 1);
		if (ix == IX_CREATED)
			w.t0 = (int64_t)(UINT64_MAX - (uint64_t)w.t0);
	}
	if (cur->len > 9) {
		n = cur->len - 9 < sizeof w.id0 - 1 ? cur->len - 9 : sizeof w.id0 - 1;
		memcpy(w.id0, cur->key + 9, n);
		w.id0[n] = '\0';
		w.have_id = 1;
	}
	return walk_all(&w);
}

/* ---- the tables: conversations, opt-outs, orphans ---- */

static const char *const table_sql[][4] = {
	[STORE_CONVS] = { "SELECT id, record FROM calsms.conversations",
	    "id", "calsms.conversations", "" },
	[STORE_OPTOUTS] = { "SELECT phone, record FROM calsms.optouts",
	    "phone", "calsms.optouts", "(phone, record)" },
	[STORE_ORPHANS] = { "SELECT key, record FROM calsms.orphans",
	    "key", "calsms.orphans", "(key, record)" },
};

/* Every record of one table in key order, a page at a time. */
int
pg_each(struct store_txn *txn, enum store_table table, store_each_fn fn, void *ctx)
{
	struct pg_txn *t = PGT(txn);
	const char *const *q = table_sql[table];
	char sql[300], last[1024] = "";
	const char *vals[1] = { last };
	int i, rows, rc, r = 0, first = 1;
	PGresult *res;

	do {
		snprintf(sql, sizeof sql, "%s%s ORDER BY %s LIMIT %d", q[0], first ? "" :
		    table == STORE_ORPHANS ? " WHERE key > $1::bytea" : table == STORE_OPTOUTS ?
		    " WHERE phone > $1" : " WHERE id > $1", q[1], PAGE);
		if ((rc = pg_exec(t, sql, first ? 0 : 1, vals, NULL, NULL, &res)) != 0)
			return rc;
		rows = PQntuples(res);
		for (i = 0; i < rows && r == 0; i++) {
			struct store_val k = { (size_t)PQgetlength(res, i, 0), PQgetvalue(res, i, 0) },
			    v = { (size_t)PQgetlength(res, i, 1), PQgetvalue(res, i, 1) };

			r = fn(&k, &v, ctx);
			snprintf(last, sizeof last, "%s", PQgetvalue(res, i, 0));
		}
		PQclear(res);
		first = 0;
	} while (r == 0 && rows == PAGE);
	return r;
}

void
pg_sizes(struct store_txn *txn, size_t *optouts, size_t *orphans)
{
	PGresult *r;

	*optouts = *orphans = 0;
	if (pg_exec(PGT(txn), "SELECT (SELECT count(*) FROM calsms.optouts), "
	    "(SELECT count(*) FROM calsms.orphans)", 0, NULL, NULL, NULL, &r) != 0)
		return;
	*optouts = (size_t)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	*orphans = (size_t)strtoull(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
}

static const char *
key_column(enum store_table table)
{
	return table == STORE_ORPHANS ? "key" : table == STORE_OPTOUTS ? "phone" : "id";
}

/* One record of a table by key, locked in a write transaction; MDB_NOTFOUND if none. */
int
pg_table_get(struct store_txn *txn, enum store_table table, const void *key, size_t len,
    jv *rec)
{
	struct pg_txn *t = PGT(txn);
	const char *vals[1] = { key };
	int lens[1] = { (int)len }, bin[1] = { table == STORE_ORPHANS };
	char sql[200];
	PGresult *r;
	int rc;

	*rec = jv_invalid();
	snprintf(sql, sizeof sql, "SELECT record FROM %s WHERE %s = $1%s", table_sql[table][2],
	    key_column(table), t->write ? " FOR UPDATE" : "");
	if ((rc = pg_exec(t, sql, 1, vals, lens, bin, &r)) != 0)
		return rc;
	rc = PQntuples(r) ? 0 : MDB_NOTFOUND;
	if (rc == 0)
		*rec = first_value(r);
	PQclear(r);
	return rc;
}

/* Stores rec (not consumed) under key, in place of what was there. */
int
pg_table_put(struct store_txn *txn, enum store_table table, const void *key, size_t len,
    jv rec)
{
	struct pg_txn *t = PGT(txn);
	struct strbuf b = { 0 };
	const char *vals[2] = { key, NULL };
	int lens[2] = { (int)len, 0 }, bin[2] = { table == STORE_ORPHANS, 0 };
	char sql[300];
	int rc;

	json_dump(rec, &b);
	vals[1] = b.p;
	lens[1] = (int)b.len;
	snprintf(sql, sizeof sql, "INSERT INTO %s %s VALUES ($1, $2) ON CONFLICT (%s) DO UPDATE "
	    "SET record = excluded.record", table_sql[table][2], table_sql[table][3],
	    key_column(table));
	rc = pg_exec(t, sql, 2, vals, lens, bin, NULL);
	t->dirty = 1;
	sb_free(&b);
	return rc;
}

int
pg_table_del(struct store_txn *txn, enum store_table table, const void *key, size_t len)
{
	struct pg_txn *t = PGT(txn);
	const char *vals[1] = { key };
	int lens[1] = { (int)len }, bin[1] = { table == STORE_ORPHANS };
	char sql[200];

	snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s = $1", table_sql[table][2],
	    key_column(table));
	t->dirty = 1;
	return pg_exec(t, sql, 1, vals, lens, bin, NULL);
}
