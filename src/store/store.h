/*
 * store.h: the LMDB store of conversations (store.c): opening it, group
 * commit, read-modify-write by id, the indexes.  The rules that say what
 * a conversation becomes are rules.h's.
 */
#ifndef STORE_H
#define STORE_H

#include <lmdb.h>
#include <stdint.h>
#include <jv.h>

#include "rules.h"

struct store {
	MDB_env *env;
	MDB_dbi conv, idx, optout, orphan;
	const char *dir;
	int flags;
};

/* index key prefixes; see the layout at the top of store.c */
enum {
	IX_CREATED = 'a', IX_PHONE = 'p', IX_STATUS = 's', IX_CONFIRM = 'c', IX_FOLLOWUP = 'f',
	IX_REMINDER = 'r', IX_LEASE = 'l', IX_EXPIRY = 'x', IX_HELP = 'h',
	IX_MANUAL = 'm', IX_MESSAGE = 'i', IX_CANCELED = 'n', IX_AFTER = 'e'
};

/* the index keys of one conversation (store_index_keys) */
#define STORE_MAX_KEY 480
#define STORE_MAX_KEYS 256	/* ten kinds, then the newest messages' provider ids */
struct store_keys {
	unsigned char k[STORE_MAX_KEYS][STORE_MAX_KEY];
	size_t len[STORE_MAX_KEYS];
	int n;
};

typedef int (*store_write_fn)(struct store *st, MDB_txn *txn, void *ctx);

/* store.c */
/* one line of a stream, applied in its group's write transaction */
struct item {
	jv in, out;	/* the line read; what to print once committed */
	long line;
	int status;	/* exit status this line deserves, or 0 */
	int committed;	/* its write transaction committed */
	char err[200];
};
typedef int (*store_apply_fn)(struct store *st, MDB_txn *txn, struct item *it,
    void *ctx);
typedef jv (*store_change_fn)(jv conv, void *ctx);

#define STORE_CREATE 1	/* store_open: may make a new store */
#define STORE_LAZY 2	/* store_open: open when a stream's first line comes */
#define STORE_READ 4	/* store_open: only read (a read-only mount too) */

const char *store_dir(const char *opt);
int store_open(const char *dir, int flags, struct store **out);
int store_ready(struct store *st);
int store_stream(struct store *st, store_apply_fn fn, void *ctx);
void item_fail(struct item *it, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int store_update(struct store *st, MDB_txn *txn, const char *id,
    store_change_fn fn, void *ctx, jv *out);
typedef int (*store_key_fn)(const char *id, int64_t t, void *ctx);
int store_walk(struct store *st, MDB_txn *txn, int kind, const char *text,
    store_key_fn fn, void *ctx);
int store_raw(struct store *st, MDB_txn *txn, const char *id, MDB_val *v);
int store_count(struct store *st, MDB_txn *txn, int kind, const char *text, long *n);
struct store_cursor {
	unsigned char key[480];
	size_t len;
};
int store_walk_from(struct store *st, MDB_txn *txn, int kind, struct store_cursor *cur,
    store_key_fn fn, void *ctx);
void store_cursor_at(struct store_cursor *cur, int kind, int64_t t, int invert);
uint64_t store_version(struct store *st);
typedef int (*store_conv_fn)(struct store *st, MDB_txn *txn, jv conv, void *ctx);
int store_convs(struct store *st, MDB_txn *txn, int kind, const char *text,
    store_conv_fn fn, void *ctx);
void store_close(struct store *st);
int store_write(struct store *st, store_write_fn fn, void *ctx);
int store_read_begin(struct store *st, MDB_txn **txn);
void store_read_end(MDB_txn *txn);
void store_sizes(struct store *st, MDB_txn *txn, size_t *optouts, size_t *orphans);
jv store_get(struct store *st, MDB_txn *txn, const char *id);
int store_look(struct store *st, const char *id, const char *phone, jv *conv,
    int *opted_out);
int store_put(struct store *st, MDB_txn *txn, jv old, jv conv);
int store_del(struct store *st, MDB_txn *txn, jv old);
int optout_has(struct store *st, MDB_txn *txn, const char *phone);
#define STORE_KEPT (-30000)	/* optout_set: a later STOP stands */
int optout_set(struct store *st, MDB_txn *txn, const char *phone, int on, int64_t at);
int orphan_has(struct store *st, MDB_txn *txn, const char *pid);
int orphan_take_receipt(struct store *st, MDB_txn *txn, const char *pid, jv *out);
int optout_put(struct store *st, MDB_txn *txn, jv rec);
int orphan_put(struct store *st, MDB_txn *txn, jv reply);
int store_each(struct store *st, MDB_txn *txn, MDB_dbi dbi,
    int (*fn)(const MDB_val *k, const MDB_val *v, void *ctx), void *ctx);
int store_fatal(int rc, const char *what);
void store_index_keys(jv conv, struct store_keys *ks);

/* check.c: the records against their indexes */
typedef void (*store_problem_fn)(const char *id, size_t idlen, const char *what,
    void *ctx);
struct store_checked {
	long convs, keys, optouts, problems;
};
int store_check(struct store *st, MDB_txn *txn, store_problem_fn fn, void *ctx,
    struct store_checked *out);
int store_reindex(struct store *st, long *records);

#endif
