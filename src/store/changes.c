/*
 * changes.c: the change feed.  Every write of a conversation that changes
 * what a customer or the front desk would see (booked, a status, a
 * message, a receipt, a reply, a new phone or appointment, an operator's
 * action, a purge) adds one line to it, in the same transaction:
 *
 *   {"seq":N,"at":"...","id":"...","changes":[...],"conversation":{...}}
 *
 * seq only grows, and a reader never sees seq N+1 committed before N: on
 * LMDB writers take turns; on PostgreSQL (pg-rows.c) the numbers are
 * given out as the transaction's last act before COMMIT, under the row
 * lock of one counter.  A claim taken or released changes nothing here.
 *
 * LMDB: the "changes" database, be64(seq) -> the line; be64(0) holds the
 * last seq given out, so a purge that trims every line never lets seq
 * start again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"
#include "store-pg.h"

/* ---- what changed: a pure function of the two records ---- */

static jv
change(const char *what)
{
	return jv_object_set(jv_object(), jv_string("what"), jv_string(what));
}

/* Each element of list in conv past those old has, as {"what": what, key: it}. */
static jv
appended(jv ch, jv old, jv conv, const char *list, const char *what, const char *key)
{
	int i = jv_is_valid(old) ? conv_count(old, list) : 0, n = conv_count(conv, list);
	jv items = json_get(conv, list);

	for (; i < n; i++)
		ch = jv_array_append(ch, jv_object_set(change(what), jv_string(key),
		    jv_array_get(jv_copy(items), i)));
	jv_free(items);
	return ch;
}

/* The messages both records have whose receipt (or anything else) changed. */
static jv
receipts(jv ch, jv old, jv conv)
{
	int i, n = conv_count(old, "messages");
	jv was = json_get(old, "messages"), now = json_get(conv, "messages"), a, b;

	if (n > conv_count(conv, "messages"))
		n = conv_count(conv, "messages");
	for (i = 0; i < n; i++) {
		a = jv_array_get(jv_copy(was), i);
		b = jv_array_get(jv_copy(now), i);
		if (jv_equal(a, jv_copy(b)))
			jv_free(b);
		else
			ch = jv_array_append(ch, jv_object_set(change("receipt"),
			    jv_string("message"), b));
	}
	jv_free(was);
	jv_free(now);
	return ch;
}

/* {"what": what, "from": old's key, "to": conv's} when they differ */
static jv
changed(jv ch, jv old, jv conv, const char *key, const char *what)
{
	jv a = json_get(old, key), b = json_get(conv, key);

	if (jv_equal(jv_copy(a), jv_copy(b))) {
		jv_free(a);
		jv_free(b);
		return ch;
	}
	return jv_array_append(ch, jv_object_set(jv_object_set(change(what), jv_string("from"),
	    a), jv_string("to"), b));
}

/*
 * What a write changed, from old (invalid: none) to conv (invalid: the
 * record is gone): an array of {"what": ...}, empty when only the store's
 * own fields (a claim, updated_at, retry_at) changed.  Borrows both.
 */
jv
conv_changes(jv old, jv conv)
{
	jv ch = jv_array(), a, b;

	if (!jv_is_valid(conv))
		return jv_array_append(ch, change("purged"));
	if (!jv_is_valid(old)) {
		ch = jv_array_append(ch, change("booked"));
		ch = jv_array_append(ch, jv_object_set(jv_object_set(change("status"),
		    jv_string("from"), jv_null()), jv_string("to"), json_get(conv, "status")));
	} else {
		ch = changed(ch, old, conv, "status", "status");
		ch = changed(ch, old, conv, "phone", "phone");
		a = json_get(old, "appointment");
		b = json_get(conv, "appointment");
		if (!jv_equal(a, b))
			ch = jv_array_append(ch, change("appointment"));
		ch = receipts(ch, old, conv);
	}
	ch = appended(ch, old, conv, "messages", "message", "message");
	ch = appended(ch, old, conv, "replies", "reply", "reply");
	return appended(ch, old, conv, "history", "operator", "action");
}

/* ---- the line ---- */

/*
 * The line without its head '{"seq":N,': at, id, changes and the
 * conversation (its stored text, or null), into b.
 */
static void
line_rest(struct strbuf *b, int64_t now, const char *id, jv what, const char *conv,
    size_t len)
{
	char at[32];
	jv s = jv_string(id);

	rfc3339_format(now, at);
	sb_puts(b, "\"at\":\"");
	sb_puts(b, at);
	sb_puts(b, "\",\"id\":");
	json_dump(s, b);
	sb_puts(b, ",\"changes\":");
	json_dump(what, b);
	sb_puts(b, ",\"conversation\":");
	if (conv)
		sb_put(b, conv, len);
	else
		sb_puts(b, "null");
	sb_puts(b, "}");
	jv_free(s);
}

static void
seq_key(unsigned char k[8], int64_t seq)
{
	store_be64(k, (uint64_t)seq);
}

/* *last: the last seq given out on LMDB (0: none yet); returns 0 or an LMDB error. */
static int
lmdb_last(struct store *st, MDB_txn *txn, int64_t *last)
{
	unsigned char k0[8];
	MDB_val k = { 8, k0 }, v;
	int rc;

	*last = 0;
	seq_key(k0, 0);
	if ((rc = mdb_get(txn, st->changes, &k, &v)) == MDB_NOTFOUND)
		return 0;
	if (rc == 0 && v.mv_size == 8)
		*last = store_key_time(&v, 0);
	return rc;
}

static int
lmdb_set_last(struct store *st, MDB_txn *txn, int64_t last)
{
	unsigned char k0[8], v0[8];
	MDB_val k = { 8, k0 }, v = { 8, v0 };

	seq_key(k0, 0);
	seq_key(v0, last);
	return mdb_put(txn, st->changes, &k, &v, 0);
}

static int
lmdb_add(struct store *st, MDB_txn *txn, const char *rest, size_t len)
{
	static struct strbuf line;
	unsigned char kb[8];
	char head[40];
	MDB_val k = { 8, kb }, v;
	int64_t seq;
	int rc;

	if (!st->has_changes)
		return EINVAL;
	if ((rc = lmdb_last(st, txn, &seq)) != 0)
		return rc;
	seq++;
	line.len = 0;
	snprintf(head, sizeof head, "{\"seq\":%lld,", (long long)seq);
	sb_puts(&line, head);
	sb_put(&line, rest, len);
	seq_key(kb, seq);
	v.mv_size = line.len;
	v.mv_data = line.p;
	/* past every key there is: LMDB appends without searching or splitting */
	if ((rc = mdb_put(txn, st->changes, &k, &v, MDB_APPEND)) != 0)
		return rc;
	return lmdb_set_last(st, txn, seq);
}

/*
 * Adds the feed's line for a write of id, from old to conv (either
 * invalid), conv's stored text being text (NULL: none).  Borrows all.
 */
int
store_change(struct store *st, struct store_txn *txn, const char *id, jv old, jv conv,
    const char *text, size_t len)
{
	static struct strbuf rest;
	int64_t now = clock_now();
	jv what;
	int rc = 0;

	if (st->feed_off)
		return 0;
	what = conv_changes(old, conv);
	if (jv_array_length(jv_copy(what)) > 0) {
		rest.len = 0;
		line_rest(&rest, now, id, what, text, len);
		rc = st->pg ? pg_change_add(txn, now, rest.p, rest.len) :
		    lmdb_add(st, TXN(txn), rest.p, rest.len);
	}
	jv_free(what);
	return rc;
}

/* load's writes are a restore, not changes: none is added to the feed. */
void
store_feed(struct store *st, int on)
{
	st->feed_off = !on;
}

/* ---- reading, trimming and restoring the feed ---- */

static int
lmdb_walk(struct store *st, MDB_txn *txn, int64_t after, long max, store_line_fn fn,
    void *ctx)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, v;
	MDB_cursor *c;
	long n = 0;
	int rc, op = MDB_SET_RANGE;

	seq_key(kb, after < 0 ? 1 : after + 1);
	if ((rc = mdb_cursor_open(txn, st->changes, &c)) != 0)
		return rc;
	while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0 && (max == 0 || n < max)) {
		op = MDB_NEXT;
		if (k.mv_size != 8 || store_key_time(&k, 0) <= 0)
			continue;
		n++;
		if (fn(store_key_time(&k, 0), v.mv_data, v.mv_size, ctx) != 0)
			break;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/*
 * A reader that opened a store made before the feed looks again whether
 * a writer has made it since, in a read transaction of its own (MDB_NOTLS
 * allows two): the caller's began before the feed's handle was opened.
 * Its commit keeps the handle for the reader's transactions after.
 */
static int
lmdb_walk_late(struct store *st, int64_t after, long max, store_line_fn fn, void *ctx)
{
	MDB_txn *txn;
	int rc;

	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	if (mdb_dbi_open(txn, "changes", 0, &st->changes) != 0) {
		mdb_txn_abort(txn);
		return 0;
	}
	rc = lmdb_walk(st, txn, after, max, fn, ctx);
	if (mdb_txn_commit(txn) == 0)
		st->has_changes = 1;
	return rc;
}

/*
 * Hands fn each line with a seq past after, in order, up to max lines
 * (0: all); fn returns non-zero to stop.
 */
int
store_changes(struct store *st, struct store_txn *txn, int64_t after, long max,
    store_line_fn fn, void *ctx)
{
	if (st->pg)
		return pg_changes(txn, after, max, fn, ctx);
	if (!st->has_changes)
		return lmdb_walk_late(st, after, max, fn, ctx);
	return lmdb_walk(st, TXN(txn), after, max, fn, ctx);
}

/* The oldest seq kept (0: none) and the last given out. */
int
store_changes_span(struct store *st, struct store_txn *txn, int64_t *first, int64_t *last)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, v;
	MDB_cursor *c;
	int rc;

	*first = *last = 0;
	if (st->pg)
		return pg_changes_span(txn, first, last);
	if (!st->has_changes)
		return 0;
	if ((rc = lmdb_last(st, TXN(txn), last)) != 0 ||
	    (rc = mdb_cursor_open(TXN(txn), st->changes, &c)) != 0)
		return rc;
	seq_key(kb, 1);
	if ((rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)) == 0)
		*first = store_key_time(&k, 0);
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Deletes up to max lines older than before, oldest first; *n says how many. */
int
store_changes_trim(struct store *st, struct store_txn *txn, int64_t before, long max,
    long *n)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, v;
	MDB_cursor *c;
	int64_t at;
	jv line;
	int rc;

	*n = 0;
	if (st->pg)
		return pg_changes_trim(txn, before, max, n);
	if (!st->has_changes)
		return 0;
	if ((rc = mdb_cursor_open(TXN(txn), st->changes, &c)) != 0)
		return rc;
	seq_key(kb, 1);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && *n < max;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		line = store_parse(v.mv_data, v.mv_size);
		at = conv_time(line, "at");
		jv_free(line);
		/* lines are in the order of their times; a damaged one goes too */
		if (at >= before)
			break;
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
		++*n;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/*
 * Restores one line of a dump's feed as it was (consumed): a seq the
 * store already has keeps its own line, and the next seq given out is
 * past every restored one.
 */
int
store_change_load(struct store *st, struct store_txn *txn, jv line)
{
	static struct strbuf b;
	unsigned char kb[8];
	MDB_val k = { 8, kb }, v;
	int64_t seq = json_kind(line, "seq") == JV_KIND_NUMBER ? (int64_t)json_num(line, "seq") :
	    0, at = conv_time(line, "at"), last;
	int rc;

	b.len = 0;
	json_dump(line, &b);
	jv_free(line);
	if (seq <= 0 || at <= 0)
		return EINVAL;
	if (st->pg)
		return pg_change_load(txn, seq, at, b.p, b.len);
	if (!st->has_changes)
		return EINVAL;
	seq_key(kb, seq);
	v.mv_size = b.len;
	v.mv_data = b.p;
	rc = mdb_put(TXN(txn), st->changes, &k, &v, MDB_NOOVERWRITE);
	if (rc != 0 && rc != MDB_KEYEXIST)
		return rc;
	if ((rc = lmdb_last(st, TXN(txn), &last)) != 0)
		return rc;
	return seq > last ? lmdb_set_last(st, TXN(txn), seq) : 0;
}
