/*
 * check.c: the store's records against its indexes (conv-store check).
 *
 * Every index key is a pure function of one record (store.c), so the
 * indexes are right when each record's keys are there and there is no
 * other key.  The first is checked record by record; the second by
 * counting, and only when the counts disagree key by key.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"
#include "store-pg.h"

struct check {
	struct store *st;
	MDB_txn *txn;
	store_problem_fn fn;
	void *ctx;
	struct store_checked *n;
	long expected, orphaned;
	struct store_keys ks;
};

static void
problem(struct check *c, const void *id, size_t len, const char *what)
{
	c->n->problems++;
	c->fn(id, len, what, c->ctx);
}

static int
claim_ok(jv conv)
{
	jv claim = json_get(conv, "claim");
	int64_t t;
	int ok = jv_get_kind(claim) == JV_KIND_NULL ||
	    (jv_get_kind(claim) == JV_KIND_OBJECT && json_str(claim, "kind") &&
	    json_str(claim, "at") && rfc3339_parse(json_str(claim, "at"), &t) == 0);

	jv_free(claim);
	return ok;
}

/*
 * What every record must be, on either backend: it parses, names itself
 * (its id is its key), has a known status and a well-formed claim.
 * Returns whether it is an object to check further.
 */
int
store_check_head(jv conv, const void *key, size_t len, store_problem_fn fn, void *ctx,
    long *problems)
{
	const char *id = json_str(conv, "id");
	int n = 0;

	if (jv_get_kind(conv) != JV_KIND_OBJECT) {
		fn((const char *)key, len, "the record does not parse", ctx);
		++*problems;
		return 0;
	}
	if (id == NULL || strlen(id) != len || memcmp(id, key, len))
		n++, fn((const char *)key, len, "the record's id is not its key", ctx);
	if (!conv_known(json_str(conv, "status")))
		n++, fn((const char *)key, len, "unknown status", ctx);
	if (!claim_ok(conv))
		n++, fn((const char *)key, len, "a claim without a kind and a time", ctx);
	*problems += n;
	return 1;
}

/* A record: as store_check_head says, and its keys are there. */
static int
check_record(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct check *c = ctx;
	jv conv = store_parse(v->mv_data, v->mv_size);
	MDB_val key, val;
	char what[96];
	int i, rc;

	c->n->convs++;
	if (!store_check_head(conv, k->mv_data, k->mv_size, c->fn, c->ctx, &c->n->problems)) {
		jv_free(conv);
		return 0;
	}
	store_index_keys(conv, &c->ks);
	for (i = 0; i < c->ks.n; i++) {
		key.mv_size = c->ks.len[i];
		key.mv_data = c->ks.k[i];
		if ((rc = mdb_get(c->txn, c->st->idx, &key, &val)) == MDB_NOTFOUND) {
			snprintf(what, sizeof what, "index key '%c' missing", c->ks.k[i][0]);
			problem(c, k->mv_data, k->mv_size, what);
		} else if (rc != 0) {
			jv_free(conv);
			return rc;
		}
	}
	c->expected += c->ks.n;
	jv_free(conv);
	return 0;
}

/* The id at the end of an index key, after its text and time; NULL if malformed. */
static const unsigned char *
id_in_key(const MDB_val *k, size_t *len)
{
	const unsigned char *p = k->mv_data, *end = p + k->mv_size, *z;

	if (k->mv_size < 1 + 8 + 1)
		return NULL;
	p++;
	if (strchr("psi", p[-1]) != NULL) {
		if ((z = memchr(p, '\0', (size_t)(end - p))) == NULL)
			return NULL;
		p = z + 1;
	}
	if (end - p < 9)
		return NULL;
	*len = (size_t)(end - p - 8);
	return p + 8;
}

/* An index key: well formed, and its record is there. */
static int
check_key(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct check *c = ctx;
	const unsigned char *id;
	MDB_val key, val;
	size_t len;
	int rc;

	(void)v;
	c->n->keys++;
	if ((id = id_in_key(k, &len)) == NULL) {
		problem(c, k->mv_data, k->mv_size, "a malformed index key");
		c->orphaned++;
		return 0;
	}
	key.mv_size = len;
	key.mv_data = (void *)id;
	if ((rc = mdb_get(c->txn, c->st->conv, &key, &val)) == MDB_NOTFOUND) {
		problem(c, id, len, "an index key without a record");
		c->orphaned++;
		return 0;
	}
	return rc;
}

/* Only when the counts disagree: each key against its record's keys. */
static int
check_key_stale(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct check *c = ctx;
	const unsigned char *id;
	MDB_val key, val;
	size_t len;
	jv conv;
	int i, found = 0;

	(void)v;
	if ((id = id_in_key(k, &len)) == NULL)
		return 0;
	key.mv_size = len;
	key.mv_data = (void *)id;
	if (mdb_get(c->txn, c->st->conv, &key, &val) != 0)
		return 0;
	conv = store_parse(val.mv_data, val.mv_size);
	if (jv_get_kind(conv) == JV_KIND_OBJECT) {
		store_index_keys(conv, &c->ks);
		for (i = 0; i < c->ks.n && !found; i++)
			found = c->ks.len[i] == k->mv_size &&
			    memcmp(c->ks.k[i], k->mv_data, k->mv_size) == 0;
	}
	jv_free(conv);
	if (!found) {
		char what[64];

		snprintf(what, sizeof what, "a stale index key '%c'", ((char *)k->mv_data)[0]);
		problem(c, id, len, what);
	}
	return 0;
}

/* Whether an opt-out's key is an E.164 number. */
int
store_e164_key(const void *key, size_t len)
{
	const char *p = key;
	size_t i;

	if (len < 8 || len > 16 || p[0] != '+' || p[1] < '1' || p[1] > '9')
		return 0;
	for (i = 2; i < len; i++)
		if (!isdigit((unsigned char)p[i]))
			return 0;
	return 1;
}

static int
check_optout(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct check *c = ctx;

	(void)v;
	c->n->optouts++;
	if (!store_e164_key(k->mv_data, k->mv_size))
		problem(c, k->mv_data, k->mv_size, "an opt-out that is not an E.164 number");
	return 0;
}

int
store_check(struct store *st, struct store_txn *stxn, store_problem_fn fn, void *ctx,
    struct store_checked *out)
{
	MDB_txn *txn = TXN(stxn);
	struct check *c;
	int rc;

	if (st->pg)
		return pg_check(stxn, fn, ctx, out);
	if ((c = calloc(1, sizeof *c)) == NULL)
		return ENOMEM;
	*out = (struct store_checked){ 0 };
	*c = (struct check){ .st = st, .txn = txn, .fn = fn, .ctx = ctx, .n = out };
	if ((rc = store_each_dbi(st, txn, st->conv, check_record, c)) == 0 &&
	    (rc = store_each_dbi(st, txn, st->idx, check_key, c)) == 0 &&
	    out->keys - c->orphaned != c->expected)
		rc = store_each_dbi(st, txn, st->idx, check_key_stale, c);
	if (rc == 0)
		rc = store_each_dbi(st, txn, st->optout, check_optout, c);
	free(c);
	return rc;
}

static int
index_record(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct check *c = ctx;
	jv conv = store_parse(v->mv_data, v->mv_size);
	MDB_val key, empty = { 0, "" };
	int i, rc = 0;

	(void)k;
	if (jv_get_kind(conv) == JV_KIND_OBJECT) {
		store_index_keys(conv, &c->ks);
		for (i = 0; i < c->ks.n && rc == 0; i++) {
			key.mv_size = c->ks.len[i];
			key.mv_data = c->ks.k[i];
			rc = mdb_put(c->txn, c->st->idx, &key, &empty, 0);
		}
		c->expected++;
	}
	jv_free(conv);
	return rc;
}

static int
reindex(struct store *st, struct store_txn *stxn, void *ctx)
{
	MDB_txn *txn = TXN(stxn);
	struct check *c = ctx;
	int rc;

	c->st = st;
	c->txn = txn;
	c->expected = 0;
	if ((rc = mdb_drop(txn, st->idx, 0)) != 0)
		return rc;
	return store_each_dbi(st, txn, st->conv, index_record, c);
}

/* Every index built again from the records, in one write transaction. */
int
store_reindex(struct store *st, long *records)
{
	struct check *c;
	int rc;

	if (st->pg)
		return pg_reindex(st, records);
	if ((c = calloc(1, sizeof *c)) == NULL)
		return ENOMEM;
	rc = store_write(st, reindex, c);
	*records = c->expected;
	free(c);
	return rc;
}
