/*
 * tables.c: the tables beside the conversations: the opt-out list
 * (phone -> {phone, at}) and the orphans (replies and receipts for no
 * known conversation or message).
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

/* ---- one record of a table by key, on either backend ---- */

static MDB_dbi
table_dbi(struct store *st, enum store_table table)
{
	return table == STORE_OPTOUTS ? st->optout : table == STORE_ORPHANS ? st->orphan :
	    st->conv;
}

/* The record under key as JSON into *rec; 0, MDB_NOTFOUND, or an error. */
static int
rec_get(struct store *st, struct store_txn *txn, enum store_table table, const void *key,
    size_t len, jv *rec)
{
	MDB_val k = { len, (void *)key }, v;
	int rc;

	*rec = jv_invalid();
	if (st->pg)
		return pg_table_get(txn, table, key, len, rec);
	if ((rc = mdb_get(TXN(txn), table_dbi(st, table), &k, &v)) == 0)
		*rec = store_parse(v.mv_data, v.mv_size);
	return rc;
}

/* Stores rec (consumed) under key. */
static int
rec_put(struct store *st, struct store_txn *txn, enum store_table table, const void *key,
    size_t len, jv rec)
{
	MDB_val k = { len, (void *)key };
	int rc = st->pg ? pg_table_put(txn, table, key, len, rec) :
	    store_put_json(TXN(txn), table_dbi(st, table), &k, rec);

	jv_free(rec);
	return rc;
}

static int
rec_del(struct store *st, struct store_txn *txn, enum store_table table, const void *key,
    size_t len)
{
	MDB_val k = { len, (void *)key };

	if (st->pg)
		return pg_table_del(txn, table, key, len);
	return mdb_del(TXN(txn), table_dbi(st, table), &k, NULL);
}

/* ---- the opt-out list ---- */

int
optout_has(struct store *st, struct store_txn *txn, const char *phone)
{
	jv rec;
	int rc = rec_get(st, txn, STORE_OPTOUTS, phone, strlen(phone), &rec);

	jv_free(rec);
	return rc == 0;
}

/*
 * Puts phone on the opt-out list (keeping the first time) or takes it off.
 * at is when the customer asked: a START sent before the STOP on the list
 * (a late or replayed delivery) leaves the number on it, and returns
 * STORE_KEPT.
 */
int
optout_set(struct store *st, struct store_txn *txn, const char *phone, int on, int64_t at)
{
	jv rec;
	int rc, kept;

	if ((rc = rec_get(st, txn, STORE_OPTOUTS, phone, strlen(phone), &rec)) == MDB_NOTFOUND) {
		if (!on)
			return 0;
		rec = jv_object_set(jv_object(), jv_string("phone"), jv_string(phone));
		return optout_put(st, txn, jv_object_set(rec, jv_string("at"), rfc3339_jv(at)));
	}
	if (rc != 0 || on) {
		jv_free(rec);
		return rc;
	}
	kept = conv_time(rec, "at") > at;
	jv_free(rec);
	if (kept)
		return STORE_KEPT;
	return rec_del(st, txn, STORE_OPTOUTS, phone, strlen(phone));
}

/* Stores an opt-out record {"phone", "at"} as it is. Consumes rec. */
int
optout_put(struct store *st, struct store_txn *txn, jv rec)
{
	const char *phone = json_str(rec, "phone");

	if (phone == NULL || strlen(phone) > 64) {
		jv_free(rec);
		return EINVAL;
	}
	return rec_put(st, txn, STORE_OPTOUTS, phone, strlen(phone), rec);
}

/* ---- the orphans ---- */

static int
is_receipt(jv r)
{
	const char *type = json_str(r, "type");

	return type && strcmp(type, "receipt") == 0;
}

/*
 * The receipt kept as an orphan for provider id pid, taken off the orphan
 * list: its message has just been recorded.  *out is invalid when none.
 */
int
orphan_take_receipt(struct store *st, struct store_txn *txn, const char *pid, jv *out)
{
	size_t n = strlen(pid);
	jv r;
	int rc;

	*out = jv_invalid();
	if (n == 0 || n >= STORE_MAX_KEY)
		return 0;
	if ((rc = rec_get(st, txn, STORE_ORPHANS, pid, n, &r)) != 0)
		return rc == MDB_NOTFOUND ? 0 : rc;
	if (!is_receipt(r)) {
		jv_free(r);
		return 0;
	}
	*out = r;
	return rec_del(st, txn, STORE_ORPHANS, pid, n);
}

/* Whether a reply or receipt with this provider id is kept as an orphan. */
int
orphan_has(struct store *st, struct store_txn *txn, const char *pid)
{
	size_t n = strlen(pid);
	jv r;
	int rc;

	if (n == 0 || n >= STORE_MAX_KEY)
		return 0;
	rc = rec_get(st, txn, STORE_ORPHANS, pid, n, &r);
	jv_free(r);
	return rc == 0;
}

/*
 * Replies from unknown numbers: keyed by provider id, so a redelivery
 * changes nothing, or by arrival time and a digest of sender and text when
 * there is none, so two in one second are both kept.  Consumes reply.
 */
int
orphan_put(struct store *st, struct store_txn *txn, jv reply)
{
	unsigned char key[STORE_MAX_KEY], d[32];
	const char *pid = json_str(reply, "provider_id"), *from = json_str(reply, "from"),
	    *body = json_str(reply, "body");
	int64_t t = conv_time(reply, "received_at");
	size_t n = pid ? strlen(pid) : 0;
	struct strbuf b = { 0 };

	if (n > 0 && n < STORE_MAX_KEY)
		memcpy(key, pid, n);
	else {
		sb_puts(&b, from ? from : "");
		sb_put(&b, "\n", 1);
		sb_puts(&b, body ? body : "");
		sha256(b.p ? b.p : "", b.len, d);
		sb_free(&b);
		store_be64(key, (uint64_t)t);
		memcpy(key + 8, d, 16);
		n = 24;
	}
	return rec_put(st, txn, STORE_ORPHANS, key, n, reply);
}
