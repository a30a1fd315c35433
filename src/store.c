/*
 * store.c: the conversations, in one LMDB environment.
 *
 * Named databases:
 *   conv    id -> the conversation, compact JSON (calsms(7))
 *   idx     index keys -> empty; every key is a pure function of one
 *           conversation, so store_put() deletes the old record's keys and
 *           adds the new one's in the same write transaction
 *   optout  E.164 phone -> {"phone", "at"}
 *   orphan  be64(received) id -> a reply from a number with no conversation
 *
 * Index keys (be64 = 8-byte big-endian, so memcmp orders times; ~t is
 * UINT64_MAX - t, newest first):
 *   'a' be64(~created) id               every conversation, newest first
 *   'p' phone \0 be64(~created) id      by phone, newest first
 *   's' status \0 be64(~created) id     by status, newest first
 *   'c' be64(due) id                    pending confirmation, not claimed
 *   'f' be64(confirm sent) id           awaiting_reply, no follow-up yet
 *   'r' be64(start) id                  confirmed, reminder not sent, not claimed
 *   'l' be64(claimed) id                claimed, outcome not recorded, and
 *                                       still sendable (lease expiry)
 *   'x' be64(expires) id                expiry, for purge
 *
 * A conversation with "skip" set (its appointment started before anything
 * could be sent) has no 'c', 'f' or 'r' key either.
 *
 * Invariants: a conversation with a claim has no 'c', 'f' or 'r' key, so
 * nothing claimed is handed out twice; a claim is taken in the same write
 * transaction that found the item due, and printed only after it commits.
 * Durability is LMDB's default: every commit is synced before it returns.
 * The map grows on MDB_MAP_FULL (the transaction is retried), and adopts
 * another process's growth on MDB_MAP_RESIZED.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calsms.h"
#include "store.h"

#define MAP_START ((size_t)1 << 30)
#define MAX_KEY 480

/* -d DIR, else CALSMS_DB, else /var/lib/calsms for root, else ~/.local/state/calsms */
const char *
store_dir(const char *opt)
{
	static char buf[4096];
	const char *e = getenv("CALSMS_DB"), *home = getenv("HOME"),
	    *state = getenv("XDG_STATE_HOME");

	if (opt && *opt)
		return opt;
	if (e && *e)
		return e;
	if (geteuid() == 0)
		return "/var/lib/calsms";
	if (state && *state)
		snprintf(buf, sizeof buf, "%s/calsms", state);
	else
		snprintf(buf, sizeof buf, "%s/.local/state/calsms", home ? home : ".");
	return buf;
}

static void
mkdirs(const char *dir)
{
	char path[4096], *p;

	snprintf(path, sizeof path, "%s", dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			die(EXIT_CANTCREAT, "%s: %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		die(EXIT_CANTCREAT, "%s: %s", path, strerror(errno));
}

/* Reports an LMDB failure once and says which exit status it deserves. */
int
store_fatal(int rc, const char *what)
{
	note("store: %s: %s", what, mdb_strerror(rc));
	switch (rc) {
	case MDB_READERS_FULL: case MDB_MAP_RESIZED: case EAGAIN: case EBUSY:
		return EXIT_TEMPFAIL;
	case EACCES: case EPERM:
		return EXIT_NOPERM;
	default:
		return EXIT_IOERR;
	}
}

static int
open_dbis(struct store *st, unsigned flags)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(st->env, NULL, flags, &txn)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(txn, "conv", flags ? 0 : MDB_CREATE, &st->conv)) ||
	    (rc = mdb_dbi_open(txn, "idx", flags ? 0 : MDB_CREATE, &st->idx)) ||
	    (rc = mdb_dbi_open(txn, "optout", flags ? 0 : MDB_CREATE, &st->optout)) ||
	    (rc = mdb_dbi_open(txn, "orphan", flags ? 0 : MDB_CREATE, &st->orphan))) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

struct store *
store_open(const char *dir)
{
	struct store *st = calloc(1, sizeof *st);
	int rc, dead;

	if (st == NULL)
		die(EXIT_SOFTWARE, "out of memory");
	mkdirs(dir);
	st->dir = dir;
	if ((rc = mdb_env_create(&st->env)) || (rc = mdb_env_set_maxdbs(st->env, 8)) ||
	    (rc = mdb_env_set_mapsize(st->env, MAP_START)) ||
	    (rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600)))
		exit(store_fatal(rc, dir));
	mdb_reader_check(st->env, &dead);
	/* a read transaction finds the databases without taking the write lock */
	if ((rc = open_dbis(st, MDB_RDONLY)) == MDB_NOTFOUND)
		rc = open_dbis(st, 0);
	if (rc)
		exit(store_fatal(rc, dir));
	return st;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	mdb_env_close(st->env);
	free(st);
}

static int
grow(struct store *st)
{
	MDB_envinfo info;

	mdb_env_info(st->env, &info);
	return mdb_env_set_mapsize(st->env, info.me_mapsize * 2);
}

static int
txn_begin(struct store *st, unsigned flags, MDB_txn **txn)
{
	int rc;

	while ((rc = mdb_txn_begin(st->env, NULL, flags, txn)) == MDB_MAP_RESIZED)
		if ((rc = mdb_env_set_mapsize(st->env, 0)) != 0)
			break;
	return rc;
}

/*
 * Runs fn in a write transaction and commits it. fn may run more than once
 * (the map is grown and the transaction retried when it is full), so it
 * must start from its ctx afresh each time.
 */
int
store_write(struct store *st, store_write_fn fn, void *ctx)
{
	MDB_txn *txn;
	int rc;

	for (;;) {
		if ((rc = txn_begin(st, 0, &txn)) != 0)
			return rc;
		if ((rc = fn(st, txn, ctx)) != 0) {
			mdb_txn_abort(txn);
			if (rc == MDB_MAP_FULL && (rc = grow(st)) == 0)
				continue;
			return rc;
		}
		rc = mdb_txn_commit(txn);
		if (rc == MDB_MAP_FULL && (rc = grow(st)) == 0)
			continue;
		return rc;
	}
}

MDB_txn *
store_read_begin(struct store *st)
{
	MDB_txn *txn;
	int rc;

	if ((rc = txn_begin(st, MDB_RDONLY, &txn)) != 0)
		exit(store_fatal(rc, "read"));
	return txn;
}

jv
store_get(struct store *st, MDB_txn *txn, const char *id)
{
	MDB_val k = { strlen(id), (void *)id }, v;

	if (mdb_get(txn, st->conv, &k, &v) != 0)
		return jv_invalid();
	return jv_parse_sized(v.mv_data, (int)v.mv_size);
}

static void
be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

int64_t
key_time(const MDB_val *key, size_t at)
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
key_id(const MDB_val *key, size_t skip, char *id, size_t n)
{
	size_t len = key->mv_size > skip ? key->mv_size - skip : 0;

	if (len >= n)
		len = n - 1;
	memcpy(id, (const char *)key->mv_data + skip, len);
	id[len] = '\0';
}

struct keys {
	unsigned char k[10][MAX_KEY];
	size_t len[10];
	int n;
};

static void
add_key(struct keys *ks, int kind, const char *text, int64_t t, int invert,
    const char *id)
{
	unsigned char *p = ks->k[ks->n];
	size_t tl = text ? strlen(text) + 1 : 0, il = strlen(id);

	if (1 + tl + 8 + il > MAX_KEY)
		return;
	*p++ = (unsigned char)kind;
	if (text) {
		memcpy(p, text, tl);
		p += tl;
	}
	be64(p, invert ? UINT64_MAX - (uint64_t)t : (uint64_t)t);
	memcpy(p + 8, id, il);
	ks->len[ks->n++] = 1 + tl + 8 + il;
}

/* Every index key of one conversation: see the layout above. */
static void
index_keys(jv c, struct keys *ks)
{
	const char *id = conv_str(c, "id"), *status = conv_str(c, "status"),
	    *phone = conv_str(c, "phone");
	int64_t created = conv_time(c, "created_at"), t;
	jv claim = json_get(c, "claim");
	int claimed = jv_get_kind(claim) == JV_KIND_OBJECT;

	ks->n = 0;
	if (id == NULL || status == NULL)
		goto out;
	add_key(ks, IX_CREATED, NULL, created, 1, id);
	if (phone)
		add_key(ks, IX_PHONE, phone, created, 1, id);
	add_key(ks, IX_STATUS, status, created, 1, id);
	if ((t = conv_time(c, "expires_at")) > 0)
		add_key(ks, IX_EXPIRY, NULL, t, 0, id);
	if (claimed) {
		/* canceled or opted out meanwhile: nothing to be uncertain about */
		if (conv_sendable(status))
			add_key(ks, IX_LEASE, NULL, conv_time(claim, "at"), 0, id);
		goto out;
	}
	if (conv_str(c, "skip") != NULL)
		goto out;
	if (strcmp(status, "pending") == 0 && phone) {
		t = conv_time(c, "retry_at");
		add_key(ks, IX_CONFIRM, NULL, t > 0 ? t : created, 0, id);
	}
	if (strcmp(status, "awaiting_reply") == 0 &&
	    (t = conv_sent_at(c, "confirm")) > 0 && !conv_sent_at(c, "followup"))
		add_key(ks, IX_FOLLOWUP, NULL, t, 0, id);
	if (conv_sendable(status) && strcmp(status, "pending") != 0 &&
	    json_kind(c, "reminder") == JV_KIND_NULL &&
	    (t = conv_start(c)) > 0)
		add_key(ks, IX_REMINDER, NULL, t, 0, id);
out:
	jv_free(claim);
}

static int
keys_apply(struct store *st, MDB_txn *txn, jv c, int del)
{
	static struct keys ks;
	MDB_val k, v = { 0, "" };
	int i, rc;

	index_keys(c, &ks);
	for (i = 0; i < ks.n; i++) {
		k.mv_size = ks.len[i];
		k.mv_data = ks.k[i];
		rc = del ? mdb_del(txn, st->idx, &k, NULL) : mdb_put(txn, st->idx, &k, &v, 0);
		if (rc && !(del && rc == MDB_NOTFOUND))
			return rc;
	}
	return 0;
}

static int
put_json(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, jv value)
{
	static struct strbuf b;
	MDB_val v;

	b.len = 0;
	json_dump(value, &b);
	v.mv_size = b.len;
	v.mv_data = b.p;
	return mdb_put(txn, dbi, k, &v, 0);
}

/* Stores conv (consumed) in place of old (consumed, or invalid if new). */
int
store_put(struct store *st, MDB_txn *txn, jv old, jv conv)
{
	const char *id = conv_str(conv, "id");
	MDB_val k;
	int rc = 0;

	if (id == NULL || strlen(id) > 200)
		rc = EINVAL;
	if (rc == 0 && jv_is_valid(old))
		rc = keys_apply(st, txn, old, 1);
	if (rc == 0)
		rc = keys_apply(st, txn, conv, 0);
	if (rc == 0) {
		k.mv_size = strlen(id);
		k.mv_data = (void *)id;
		rc = put_json(txn, st->conv, &k, conv);
	}
	jv_free(old);
	jv_free(conv);
	return rc;
}

int
store_del(struct store *st, MDB_txn *txn, jv old)
{
	const char *id = conv_str(old, "id");
	MDB_val k;
	int rc = id ? keys_apply(st, txn, old, 1) : EINVAL;

	if (rc == 0) {
		k.mv_size = strlen(id);
		k.mv_data = (void *)id;
		rc = mdb_del(txn, st->conv, &k, NULL);
	}
	jv_free(old);
	return rc;
}

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

int
optout_has(struct store *st, MDB_txn *txn, const char *phone)
{
	MDB_val k = { strlen(phone), (void *)phone }, v;

	return mdb_get(txn, st->optout, &k, &v) == 0;
}

/* Puts phone on the opt-out list (keeping the first time) or takes it off. */
int
optout_set(struct store *st, MDB_txn *txn, const char *phone, int on, int64_t now)
{
	MDB_val k = { strlen(phone), (void *)phone }, v;
	jv rec;
	int rc;

	if (!on) {
		rc = mdb_del(txn, st->optout, &k, NULL);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	if (mdb_get(txn, st->optout, &k, &v) == 0)
		return 0;
	rec = jv_object_set(jv_object(), jv_string("phone"), jv_string(phone));
	return optout_put(st, txn, jv_object_set(rec, jv_string("at"), rfc3339_jv(now)));
}

/* Stores an opt-out record {"phone", "at"} as it is. Consumes rec. */
int
optout_put(struct store *st, MDB_txn *txn, jv rec)
{
	const char *phone = json_str(rec, "phone");
	MDB_val k;
	int rc;

	if (phone == NULL || strlen(phone) > 64) {
		jv_free(rec);
		return EINVAL;
	}
	k.mv_size = strlen(phone);
	k.mv_data = (void *)phone;
	rc = put_json(txn, st->optout, &k, rec);
	jv_free(rec);
	return rc;
}

/*
 * Replies from unknown numbers: keyed by provider id, so a redelivery
 * changes nothing, or by arrival time when there is none. Consumes reply.
 */
int
orphan_put(struct store *st, MDB_txn *txn, jv reply)
{
	unsigned char key[MAX_KEY];
	const char *pid = json_str(reply, "provider_id");
	int64_t t = conv_time(reply, "received_at");
	size_t n = pid ? strlen(pid) : 0;
	MDB_val k;
	int rc;

	if (n > 0 && n < MAX_KEY) {
		memcpy(key, pid, n);
		k.mv_size = n;
	} else {
		be64(key, (uint64_t)t);
		k.mv_size = 8;
	}
	k.mv_data = key;
	rc = put_json(txn, st->orphan, &k, reply);
	jv_free(reply);
	return rc;
}

/* Every record of one database, in key order. */
int
store_each(struct store *st, MDB_txn *txn, MDB_dbi dbi,
    int (*fn)(const MDB_val *k, const MDB_val *v, void *ctx), void *ctx)
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
