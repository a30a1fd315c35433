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
#include "store-lmdb.h"

int
optout_has(struct store *st, struct store_txn *stxn, const char *phone)
{
	MDB_txn *txn = TXN(stxn);
	MDB_val k = { strlen(phone), (void *)phone }, v;

	return mdb_get(txn, st->optout, &k, &v) == 0;
}

/*
 * Puts phone on the opt-out list (keeping the first time) or takes it off.
 * at is when the customer asked: a START sent before the STOP on the list
 * (a late or replayed delivery) leaves the number on it, and returns
 * STORE_KEPT.
 */
int
optout_set(struct store *st, struct store_txn *stxn, const char *phone, int on, int64_t at)
{
	MDB_txn *txn = TXN(stxn);
	MDB_val k = { strlen(phone), (void *)phone }, v;
	jv rec;
	int rc, kept;

	if ((rc = mdb_get(txn, st->optout, &k, &v)) == MDB_NOTFOUND) {
		if (!on)
			return 0;
		rec = jv_object_set(jv_object(), jv_string("phone"), jv_string(phone));
		return optout_put(st, stxn, jv_object_set(rec, jv_string("at"), rfc3339_jv(at)));
	}
	if (rc != 0 || on)
		return rc;
	rec = store_parse(v.mv_data, v.mv_size);
	kept = conv_time(rec, "at") > at;
	jv_free(rec);
	if (kept)
		return STORE_KEPT;
	return mdb_del(txn, st->optout, &k, NULL);
}

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
orphan_take_receipt(struct store *st, struct store_txn *stxn, const char *pid, jv *out)
{
	MDB_txn *txn = TXN(stxn);
	MDB_val k = { strlen(pid), (void *)pid }, v;
	jv r;
	int rc;

	*out = jv_invalid();
	if (k.mv_size == 0 || k.mv_size >= STORE_MAX_KEY)
		return 0;
	if ((rc = mdb_get(txn, st->orphan, &k, &v)) != 0)
		return rc == MDB_NOTFOUND ? 0 : rc;
	r = store_parse(v.mv_data, v.mv_size);
	if (!is_receipt(r)) {
		jv_free(r);
		return 0;
	}
	*out = r;
	return mdb_del(txn, st->orphan, &k, NULL);
}

/* Whether a reply or receipt with this provider id is kept as an orphan. */
int
orphan_has(struct store *st, struct store_txn *stxn, const char *pid)
{
	MDB_txn *txn = TXN(stxn);
	MDB_val k = { strlen(pid), (void *)pid }, v;

	return k.mv_size > 0 && k.mv_size < STORE_MAX_KEY && mdb_get(txn, st->orphan, &k, &v) == 0;
}

/* Stores an opt-out record {"phone", "at"} as it is. Consumes rec. */
int
optout_put(struct store *st, struct store_txn *stxn, jv rec)
{
	MDB_txn *txn = TXN(stxn);
	const char *phone = json_str(rec, "phone");
	MDB_val k;
	int rc;

	if (phone == NULL || strlen(phone) > 64) {
		jv_free(rec);
		return EINVAL;
	}
	k.mv_size = strlen(phone);
	k.mv_data = (void *)phone;
	rc = store_put_json(txn, st->optout, &k, rec);
	jv_free(rec);
	return rc;
}

/*
 * Replies from unknown numbers: keyed by provider id, so a redelivery
 * changes nothing, or by arrival time and a digest of sender and text when
 * there is none, so two in one second are both kept.  Consumes reply.
 */
int
orphan_put(struct store *st, struct store_txn *stxn, jv reply)
{
	MDB_txn *txn = TXN(stxn);
	unsigned char key[STORE_MAX_KEY], d[32];
	const char *pid = json_str(reply, "provider_id"), *from = json_str(reply, "from"),
	    *body = json_str(reply, "body");
	int64_t t = conv_time(reply, "received_at");
	size_t n = pid ? strlen(pid) : 0;
	struct strbuf b = { 0 };
	MDB_val k;
	int rc;

	if (n > 0 && n < STORE_MAX_KEY) {
		memcpy(key, pid, n);
		k.mv_size = n;
	} else {
		sb_puts(&b, from ? from : "");
		sb_put(&b, "\n", 1);
		sb_puts(&b, body ? body : "");
		sha256(b.p ? b.p : "", b.len, d);
		sb_free(&b);
		store_be64(key, (uint64_t)t);
		memcpy(key + 8, d, 16);
		k.mv_size = 24;
	}
	k.mv_data = key;
	rc = store_put_json(txn, st->orphan, &k, reply);
	jv_free(reply);
	return rc;
}
