/*
 * store-lmdb.h: the LMDB backend's insides, for store.c and check.c only:
 * the environment and its databases, the index keys' layout (see the top
 * of store.c), and the casts between our handles and LMDB's.
 */
#ifndef STORE_LMDB_H
#define STORE_LMDB_H

#include <lmdb.h>

#include "store.h"

struct store {
	MDB_env *env;
	MDB_dbi conv, idx, optout, orphan, changes;
	int has_changes;	/* the changes database is there (an older store's is not) */
	int feed_off;		/* store_feed(st, 0): writes add nothing to the feed */
	const char *dir;	/* the directory, or the PostgreSQL URI */
	int flags;
	struct pg *pg;		/* set: the store is PostgreSQL's (store-pg.c) */
};

/* a struct store_txn is an MDB_txn */
#define TXN(t) ((MDB_txn *)(void *)(t))
#define STXN(t) ((struct store_txn *)(void *)(t))

/* index key prefixes, by enum store_index */
enum {
	K_CREATED = 'a', K_PHONE = 'p', K_STATUS = 's', K_CONFIRM = 'c', K_FOLLOWUP = 'f',
	K_REMINDER = 'r', K_LEASE = 'l', K_EXPIRY = 'x', K_HELP = 'h',
	K_MANUAL = 'm', K_MESSAGE = 'i', K_CANCELED = 'n', K_AFTER = 'e'
};
unsigned char store_prefix(enum store_index ix);

/* the index keys of one conversation (store_index_keys) */
#define STORE_MAX_KEY 480
#define STORE_MAX_KEYS 256	/* the time indexes, then the newest messages' provider ids */
struct store_keys {
	unsigned char k[STORE_MAX_KEYS][STORE_MAX_KEY];
	size_t len[STORE_MAX_KEYS];
	int n;
};
void store_index_keys(jv conv, struct store_keys *ks);

typedef int (*store_raw_fn)(const MDB_val *k, const MDB_val *v, void *ctx);
typedef int (*store_scan_fn)(const MDB_val *key, void *ctx);

/* store.c, damage.c */
int store_check_existing(const char *dir, int flags);
int store_txn_begin(struct store *st, unsigned flags, MDB_txn **txn);

/* changes.c: the feed's line for one write, in its transaction */
int store_change(struct store *st, struct store_txn *txn, const char *id, jv old, jv conv,
    const char *text, size_t len);

/* record.c: keys' parts */
void store_be64(unsigned char *p, uint64_t v);
int64_t store_key_time(const MDB_val *key, size_t at);
void store_key_id(const MDB_val *key, size_t skip, char *id, size_t n);
int store_put_json(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, jv value);
jv store_parse(const void *data, size_t size);

/* check.c: what a record and an opt-out must be, on either backend */
int store_check_head(jv conv, const void *key, size_t len, store_problem_fn fn, void *ctx,
    long *problems);
int store_e164_key(const void *key, size_t len);

/* walk.c */
int store_scan_from(struct store *st, MDB_txn *txn, const void *start, size_t len,
    size_t plen, store_scan_fn fn, void *ctx);
int store_scan(struct store *st, MDB_txn *txn, const void *prefix, size_t plen,
    store_scan_fn fn, void *ctx);
int store_each_dbi(struct store *st, MDB_txn *txn, MDB_dbi dbi, store_raw_fn fn,
    void *ctx);

#endif
