/*
 * record.c: one conversation and its index keys: get, put (the old
 * record's keys out, the new one's in, in one transaction), delete,
 * read-modify-write, and the sender's last look.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calsms.h"
#include "store-pg.h"

/* How many numbers are opted out, and how many orphan replies are kept. */
void
store_sizes(struct store *st, struct store_txn *stxn, size_t *optouts, size_t *orphans)
{
	MDB_txn *txn = TXN(stxn);
	MDB_stat ms;

	*optouts = *orphans = 0;
	if (st->pg) {
		pg_sizes(stxn, optouts, orphans);
		return;
	}
	if (mdb_stat(txn, st->optout, &ms) == 0)
		*optouts = ms.ms_entries;
	if (mdb_stat(txn, st->orphan, &ms) == 0)
		*orphans = ms.ms_entries;
}

/*
 * A stored value as JSON, or invalid.  Our records are jv_dump's compact
 * JSON and never hold a raw RS byte; in a damaged page one makes libjq
 * 1.6's jv_parse_sized stop short of its buffer and abort on an assert,
 * so such a value is damaged, not parsed.
 */
jv
store_parse(const void *data, size_t size)
{
	if (size > INT_MAX || memchr(data, 0x1e, size) != NULL)
		return jv_invalid_with_msg(jv_string("a damaged record"));
	return jv_parse_sized(data, (int)size);
}

jv
store_val_json(const struct store_val *v)
{
	return store_parse(v->data, v->size);
}

jv
store_get(struct store *st, struct store_txn *stxn, const char *id)
{
	MDB_txn *txn = TXN(stxn);
	MDB_val k = { strlen(id), (void *)id }, v;

	if (st->pg)
		return pg_get(stxn, id);
	if (mdb_get(txn, st->conv, &k, &v) != 0)
		return jv_invalid();
	return store_parse(v.mv_data, v.mv_size);
}

/*
 * The sender's last look for a line the store handed out: 1 when the
 * store, read now, still holds its claim and would still have it due; 0
 * when not (why says so); -status when the store cannot be read.
 */
int
store_still_due(struct store *st, jv line, const char *phone, const char **why)
{
	const char *id = json_str(line, "id");
	int opted_out, rc, due;
	jv conv;

	*why = "no id";
	if (id == NULL)
		return 0;
	if ((rc = store_look(st, id, phone, &conv, &opted_out)) != 0)
		return -rc;
	due = rule_still_due(conv, line, why);
	jv_free(conv);
	if (due && opted_out)
		*why = "the number is on the opt-out list";
	return due && !opted_out;
}

/*
 * One conversation as stored now, and whether phone is on the opt-out
 * list, in one read transaction: the sender's last look.  *conv is
 * invalid when there is none.  Returns 0 or an exit status.
 */
int
store_look(struct store *st, const char *id, const char *phone, jv *conv, int *opted_out)
{
	struct store_txn *txn;
	int rc;

	*conv = jv_invalid();
	*opted_out = 0;
	if ((rc = store_ready(st)) != 0)
		return rc;
	if ((rc = store_read_begin(st, &txn)) != 0)
		return store_fatal(rc, "look");
	*conv = store_get(st, txn, id);
	*opted_out = phone && optout_has(st, txn, phone);
	/* a read that failed is no answer: "not opted out" must never come of it */
	rc = st->pg ? pg_failed(txn) : 0;
	store_read_end(st, txn);
	if (rc != 0) {
		jv_free(*conv);
		*conv = jv_invalid();
		return store_fatal(rc, "look");
	}
	return 0;
}

void
store_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

int64_t
store_key_time(const MDB_val *key, size_t at)
{
	const unsigned char *p = (const unsigned char *)key->mv_data + at;
	uint64_t v = 0;
	int i;

	if (key->mv_size < at + 8)
		return 0;
	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

/* The id at the end of an index key, after skip bytes. */
void
store_key_id(const MDB_val *key, size_t skip, char *id, size_t n)
{
	size_t len = key->mv_size > skip ? key->mv_size - skip : 0;

	if (len >= n)
		len = n - 1;
	memcpy(id, (const char *)key->mv_data + skip, len);
	id[len] = '\0';
}


static void
add_key(struct store_keys *ks, int kind, const char *text, int64_t t, int invert,
    const char *id)
{
	unsigned char *p;
	size_t tl = text ? strlen(text) + 1 : 0, il = strlen(id);

	if (ks->n == STORE_MAX_KEYS || 1 + tl + 8 + il > STORE_MAX_KEY)
		return;
	p = ks->k[ks->n];
	*p++ = (unsigned char)kind;
	if (text) {
		memcpy(p, text, tl);
		p += tl;
	}
	store_be64(p, invert ? UINT64_MAX - (uint64_t)t : (uint64_t)t);
	memcpy(p + 8, id, il);
	ks->len[ks->n++] = 1 + tl + 8 + il;
}

/*
 * A key per message the provider gave an id, for receipts: the newest
 * first, so that a conversation with more messages than keys (STORE_MAX_KEYS)
 * loses only the oldest, whose receipts came long ago.
 */
static void
message_keys(jv c, struct store_keys *ks, const char *id)
{
	jv msgs = json_get(c, "messages"), m;
	int i, n = conv_count(c, "messages");
	const char *pid;

	for (i = n - 1; i >= 0; i--) {
		m = jv_array_get(jv_copy(msgs), i);
		if ((pid = json_str(m, "provider_id")) != NULL && *pid)
			add_key(ks, K_MESSAGE, pid, 0, 0, id);
		jv_free(m);
	}
	jv_free(msgs);
}

/* The due index of each kind conv_due() names. */
static int
due_index(const char *name)
{
	static const unsigned char prefix[KIND_COUNT] = {
		[KIND_CONFIRM] = K_CONFIRM, [KIND_FOLLOWUP] = K_FOLLOWUP,
		[KIND_REMINDER] = K_REMINDER, [KIND_HELP] = K_HELP, [KIND_MANUAL] = K_MANUAL,
		[KIND_CANCELED] = K_CANCELED, [KIND_AFTER] = K_AFTER
	};
	const struct kind_info *k = kind_named(name);

	return k ? prefix[k->kind] : 0;
}

/* Every index key of one conversation: see the layout above. */
void
store_index_keys(jv c, struct store_keys *ks)
{
	const char *id = conv_str(c, "id"), *status = conv_str(c, "status"),
	    *phone = conv_str(c, "phone");
	int64_t created = conv_time(c, "created_at"), t;
	jv claim = json_get(c, "claim");
	int claimed = jv_get_kind(claim) == JV_KIND_OBJECT, i, n;
	struct due_at due[DUE_KINDS];

	ks->n = 0;
	if (id == NULL || status == NULL)
		goto out;
	add_key(ks, K_CREATED, NULL, created, 1, id);
	if (phone)
		add_key(ks, K_PHONE, phone, created, 1, id);
	add_key(ks, K_STATUS, status, created, 1, id);
	if ((t = conv_time(c, "expires_at")) > 0)
		add_key(ks, K_EXPIRY, NULL, t, 0, id);
	if (claimed) {
		/* canceled or opted out meanwhile: nothing to be uncertain about */
		if (conv_claim_lapses(c))
			add_key(ks, K_LEASE, NULL, conv_time(claim, "at"), 0, id);
		goto out;
	}
	n = conv_due(c, due, DUE_KINDS);
	for (i = 0; i < n; i++)
		if (due_index(due[i].kind))
			add_key(ks, due_index(due[i].kind), NULL, due[i].t, 0, id);
out:
	/* last: only these may meet the cap, never a due or lease key */
	if (id && status)
		message_keys(c, ks, id);
	jv_free(claim);
}

/*
 * mdb_put, but a key past the last is appended: LMDB then leaves the full
 * page full and starts the next, where a put would split it in two half
 * pages, so keys that arrive in order (a sync, a load, ids that count up)
 * take half the pages.  A key at or before the last one is put as usual.
 */
static int
put_ordered(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v)
{
	int rc = mdb_put(txn, dbi, k, v, MDB_APPEND);

	return rc == MDB_KEYEXIST ? mdb_put(txn, dbi, k, v, 0) : rc;
}

static int
keys_apply(struct store *st, MDB_txn *txn, jv c, int del)
{
	static struct store_keys ks;
	MDB_val k, v = { 0, "" };
	int i, rc;

	store_index_keys(c, &ks);
	for (i = 0; i < ks.n; i++) {
		k.mv_size = ks.len[i];
		k.mv_data = ks.k[i];
		rc = del ? mdb_del(txn, st->idx, &k, NULL) : put_ordered(txn, st->idx, &k, &v);
		if (rc && !(del && rc == MDB_NOTFOUND))
			return rc;
	}
	return 0;
}

int
store_put_json(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, jv value)
{
	static struct strbuf b;
	MDB_val v;

	b.len = 0;
	json_dump(value, &b);
	v.mv_size = b.len;
	v.mv_data = b.p;
	return mdb_put(txn, dbi, k, &v, 0);
}

static int
lmdb_put(struct store *st, MDB_txn *txn, jv old, jv conv, const struct strbuf *text)
{
	const char *id = conv_str(conv, "id");
	MDB_val k, v;
	int rc = 0;

	if (jv_is_valid(old))
		rc = keys_apply(st, txn, old, 1);
	if (rc == 0)
		rc = keys_apply(st, txn, conv, 0);
	if (rc != 0)
		return rc;
	k.mv_size = strlen(id);
	k.mv_data = (void *)id;
	v.mv_size = text->len;
	v.mv_data = text->p;
	return put_ordered(txn, st->conv, &k, &v);
}

/*
 * Stores conv (consumed) in place of old (consumed, or invalid if new),
 * and the change feed's line for it.
 */
int
store_put(struct store *st, struct store_txn *stxn, jv old, jv conv)
{
	static struct strbuf text;
	const char *id = conv_str(conv, "id");
	int rc = EINVAL;

	if (id != NULL && strlen(id) <= 200) {
		text.len = 0;
		json_dump(conv, &text);
		rc = st->pg ? pg_put(stxn, jv_copy(old), jv_copy(conv), text.p) :
		    lmdb_put(st, TXN(stxn), old, conv, &text);
		if (rc == 0)
			rc = store_change(st, stxn, id, old, conv, text.p, text.len);
	}
	jv_free(old);
	jv_free(conv);
	return rc;
}

static int
lmdb_del(struct store *st, MDB_txn *txn, jv old, const char *id)
{
	MDB_val k = { strlen(id), (void *)id };
	int rc = keys_apply(st, txn, old, 1);

	return rc ? rc : mdb_del(txn, st->conv, &k, NULL);
}

/* Deletes old (consumed), with the change feed's "purged" line for it. */
int
store_del(struct store *st, struct store_txn *stxn, jv old)
{
	const char *id = conv_str(old, "id");
	int rc = EINVAL;

	if (id != NULL && (rc = store_change(st, stxn, id, old, jv_invalid(), NULL, 0)) == 0)
		rc = st->pg ? pg_del(stxn, jv_copy(old)) : lmdb_del(st, TXN(stxn), old, id);
	jv_free(old);
	return rc;
}

/*
 * Reads one conversation by id, hands it to fn (invalid when there is
 * none) and stores what fn returns in its place.  When fn refuses (returns
 * jv_invalid_with_msg) nothing is written.  *out gets fn's result.
 */
int
store_update(struct store *st, struct store_txn *stxn, const char *id, store_change_fn fn,
    void *ctx, jv *out)
{
	jv old = store_get(st, stxn, id), next = fn(jv_copy(old), ctx);

	*out = jv_copy(next);
	if (!jv_is_valid(next)) {
		jv_free(old);
		jv_free(next);
		return 0;
	}
	return store_put(st, stxn, old, next);
}

/* The stored record of id, as it is (compact JSON); MDB_NOTFOUND if none. */
int
store_raw(struct store *st, struct store_txn *stxn, const char *id, struct store_val *v)
{
	MDB_val k = { strlen(id), (void *)id }, got;
	int rc;

	if (st->pg)
		return pg_raw(stxn, id, v);
	rc = mdb_get(TXN(stxn), st->conv, &k, &got);
	v->size = rc ? 0 : got.mv_size;
	v->data = rc ? NULL : got.mv_data;
	return rc;
}
