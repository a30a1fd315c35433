/*
 * walk.c: walks of the indexes and tables: by prefix, from a cursor,
 * counts, every conversation under one key, every record of a table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calsms.h"
#include "store-pg.h"

/*
 * Calls fn for each index key from start on, in order, while its first
 * plen bytes are start's; fn returns non-zero to stop (negative: -error).
 */
int
store_scan_from(struct store *st, MDB_txn *txn, const void *start, size_t len,
    size_t plen, store_scan_fn fn, void *ctx)
{
	MDB_cursor *cur;
	MDB_val k = { len, (void *)start }, v;
	int rc, r = 0;

	if ((rc = mdb_cursor_open(txn, st->idx, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, start, plen) == 0) {
		if ((r = fn(&k, ctx)) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (r < 0)
		return -r;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

/* Every index key that starts with prefix, in order. */
int
store_scan(struct store *st, MDB_txn *txn, const void *prefix, size_t plen,
    store_scan_fn fn, void *ctx)
{
	return store_scan_from(st, txn, prefix, plen, plen, fn, ctx);
}

/* Every record of one database, in key order. */
int
store_each_dbi(struct store *st, MDB_txn *txn, MDB_dbi dbi, store_raw_fn fn, void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, r = 0;

	(void)st;
	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return rc;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0)
		if ((r = fn(&k, &v, ctx)) != 0)
			break;
	mdb_cursor_close(cur);
	return r ? r : rc == MDB_NOTFOUND ? 0 : rc;
}

struct each {
	store_each_fn fn;
	void *ctx;
};

static int
each_val(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct each *e = ctx;
	struct store_val key = { k->mv_size, k->mv_data }, val = { v->mv_size, v->mv_data };

	return e->fn(&key, &val, e->ctx);
}

/* Every record of one table, in key order; fn returns 0 to go on. */
int
store_each(struct store *st, struct store_txn *txn, enum store_table table,
    store_each_fn fn, void *ctx)
{
	struct each e = { fn, ctx };
	MDB_dbi dbi = table == STORE_OPTOUTS ? st->optout : table == STORE_ORPHANS ?
	    st->orphan : st->conv;

	if (st->pg)
		return pg_each(txn, table, fn, ctx);
	return store_each_dbi(st, TXN(txn), dbi, each_val, &e);
}

struct walk {
	store_key_fn fn;
	void *ctx;
	size_t plen;
	int inverted;
};

static int
walk_key(const MDB_val *k, void *ctx)
{
	struct walk *w = ctx;
	uint64_t t = (uint64_t)store_key_time(k, w->plen);
	char id[256];

	store_key_id(k, w->plen + 8, id, sizeof id);
	return w->fn(id, (int64_t)(w->inverted ? UINT64_MAX - t : t), w->ctx);
}

/*
 * Calls fn with the id and time of each key under one index prefix (kind,
 * and text for 'p' and 's'), in the index's order: newest first for the
 * created, phone and status indexes, soonest first for the others.  fn
 * returns 0 to go on, 1 to stop, or an error.
 */
int
store_walk(struct store *st, struct store_txn *stxn, enum store_index ix, const char *text,
    store_key_fn fn, void *ctx)
{
	MDB_txn *txn = TXN(stxn);
	unsigned char prefix[STORE_MAX_KEY];
	size_t tl = text ? strlen(text) + 1 : 0;
	struct walk w = { fn, ctx, 1 + tl,
	    ix == IX_CREATED || ix == IX_PHONE || ix == IX_STATUS };
	int rc;

	if (st->pg)
		return pg_walk(stxn, ix, text, fn, ctx);
	if (w.plen > sizeof prefix)
		return 0;
	prefix[0] = store_prefix(ix);
	if (text)
		memcpy(prefix + 1, text, tl);
	rc = store_scan(st, txn, prefix, w.plen, walk_key, &w);
	return rc == 1 ? 0 : rc;
}

struct walk_on {
	store_key_fn fn;
	void *ctx;
	struct store_cursor *cur;
};

static int
walk_on_key(const MDB_val *k, void *ctx)
{
	struct walk_on *w = ctx;
	char id[256];
	int64_t t;
	int r;

	if (k->mv_size > sizeof w->cur->key)
		return 0;	/* cannot be a key store_put wrote */
	store_key_id(k, 9, id, sizeof id);
	t = store_key_time(k, 1);
	if (((const unsigned char *)k->mv_data)[0] == K_CREATED)	/* newest first */
		t = (int64_t)(UINT64_MAX - (uint64_t)t);
	if ((r = w->fn(id, t, w->ctx)) == 0) {
		memcpy(w->cur->key, k->mv_data, k->mv_size);
		w->cur->len = k->mv_size;
	}
	return r;
}

/*
 * store_walk for a time index (confirm, followup, reminder, lease,
 * expiry, or the newest-first created index), resuming after the last key fn accepted (returned 0 for), as
 * cur remembers it; a zeroed cursor starts at the beginning.  Lets a
 * caller take a batch, change what it took, and go on.
 */
int
store_walk_from(struct store *st, struct store_txn *stxn, enum store_index ix,
    struct store_cursor *cur, store_key_fn fn, void *ctx)
{
	MDB_txn *txn = TXN(stxn);
	unsigned char start[STORE_MAX_KEY + 1];
	struct walk_on w = { fn, ctx, cur };
	size_t len = 1;
	int rc;

	if (st->pg)
		return pg_walk_from(stxn, ix, cur, fn, ctx);
	start[0] = store_prefix(ix);
	if (cur->len > 0) {
		memcpy(start, cur->key, cur->len);
		start[cur->len] = 0;	/* the first key after the last */
		len = cur->len + 1;
	}
	rc = store_scan_from(st, txn, start, len, 1, walk_on_key, &w);
	return rc == 1 ? 0 : rc;
}

/* A cursor that store_walk_from starts at: the first key of kind at time t. */
void
store_cursor_at(struct store_cursor *cur, enum store_index ix, int64_t t, int invert)
{
	cur->key[0] = store_prefix(ix);
	store_be64(cur->key + 1, invert ? UINT64_MAX - (uint64_t)t : (uint64_t)t);
	cur->len = 9;
}

static int
count_key(const char *id, int64_t t, void *ctx)
{
	(void)id;
	(void)t;
	++*(long *)ctx;
	return 0;
}

/* How many keys one index prefix holds, into *n. */
int
store_count(struct store *st, struct store_txn *stxn, enum store_index ix, const char *text,
    long *n)
{
	*n = 0;
	return store_walk(st, stxn, ix, text, count_key, n);
}

static int
gather_id(const char *id, int64_t t, void *ctx)
{
	(void)t;
	*(jv *)ctx = jv_array_append(*(jv *)ctx, jv_string(id));
	return 0;
}

/*
 * Calls fn for each conversation under one index prefix (kind, and text
 * for 'p' and 's'), in index order; the ids are gathered first, so fn may
 * store what it changes.  fn consumes conv and returns 0 to go on, 1 to
 * stop, or an LMDB error.
 */
int
store_convs(struct store *st, struct store_txn *stxn, enum store_index ix, const char *text,
    store_conv_fn fn, void *ctx)
{
	jv ids = jv_array();
	int i, n, rc = store_walk(st, stxn, ix, text, gather_id, &ids);

	n = jv_array_length(jv_copy(ids));
	for (i = 0; i < n && rc == 0; i++) {
		jv id = jv_array_get(jv_copy(ids), i), c = store_get(st, stxn, jv_string_value(id));

		jv_free(id);
		if (jv_is_valid(c))
			rc = fn(st, stxn, c, ctx);
		else
			jv_free(c);
	}
	jv_free(ids);
	return rc == 1 ? 0 : rc;
}
