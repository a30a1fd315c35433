/* store.h: the LMDB store of conversations (store.c) and their rules (conv.c). */
#ifndef STORE_H
#define STORE_H

#include <lmdb.h>
#include <stdint.h>
#include <jv.h>

struct store {
	MDB_env *env;
	MDB_dbi conv, idx, optout, orphan;
	const char *dir;
};

/* index key prefixes; see the layout at the top of store.c */
enum {
	IX_CREATED = 'a', IX_PHONE = 'p', IX_STATUS = 's', IX_CONFIRM = 'c', IX_FOLLOWUP = 'f',
	IX_REMINDER = 'r', IX_LEASE = 'l', IX_EXPIRY = 'x'
};

typedef int (*store_write_fn)(struct store *st, MDB_txn *txn, void *ctx);
typedef int (*store_scan_fn)(const MDB_val *key, void *ctx);

/* store.c */
const char *store_dir(const char *opt);
struct store *store_open(const char *dir);
void store_close(struct store *st);
int store_write(struct store *st, store_write_fn fn, void *ctx);
MDB_txn *store_read_begin(struct store *st);
jv store_get(struct store *st, MDB_txn *txn, const char *id);
int store_put(struct store *st, MDB_txn *txn, jv old, jv conv);
int store_del(struct store *st, MDB_txn *txn, jv old);
int store_scan(struct store *st, MDB_txn *txn, const void *prefix,
    size_t plen, store_scan_fn fn, void *ctx);
int store_scan_from(struct store *st, MDB_txn *txn, const void *start,
    size_t len, size_t plen, store_scan_fn fn, void *ctx);
void key_id(const MDB_val *key, size_t skip, char *id, size_t n);
int64_t key_time(const MDB_val *key, size_t at);
int optout_has(struct store *st, MDB_txn *txn, const char *phone);
int optout_set(struct store *st, MDB_txn *txn, const char *phone, int on, int64_t now);
int optout_put(struct store *st, MDB_txn *txn, jv rec);
int orphan_put(struct store *st, MDB_txn *txn, jv reply);
int store_each(struct store *st, MDB_txn *txn, MDB_dbi dbi,
    int (*fn)(const MDB_val *k, const MDB_val *v, void *ctx), void *ctx);
int store_fatal(int rc, const char *what);

/* conv.c: the conversation state machine, on jv objects only */
int conv_live(const char *status);
int conv_sendable(const char *status);
jv conv_new(jv appt, int opted_out, int64_t now, int expire_days);
jv conv_set_status(jv conv, const char *status, int64_t now);
jv conv_claim(jv conv, const char *kind, int64_t now);
jv conv_release(jv conv, int64_t retry_at, int64_t now);
int64_t conv_time(jv conv, const char *key);
const char *conv_str(jv conv, const char *key);
int conv_has_message(jv conv, const char *kind, const char *provider_id);
int64_t conv_sent_at(jv conv, const char *kind);
int conv_has_reply(jv conv);
int64_t conv_start(jv conv);
jv conv_append(jv conv, const char *list, jv item);

#endif
