/*
 * store-pg.h: the PostgreSQL backend, for the store's entry points only.
 * A store named by a postgresql:// or postgres:// URI is a struct pg; each
 * entry point of store.h hands such a store to the pg_ function of the
 * same name (store-pg.c, pg-rows.c, pg-schema.c).
 */
#ifndef STORE_PG_H
#define STORE_PG_H

#include "store-lmdb.h"

int store_is_uri(const char *where);

int pg_open(struct store *st);
void pg_close(struct store *st);
uint64_t pg_version(struct store *st);
int pg_fd(struct store *st);
int pg_write(struct store *st, store_write_fn fn, void *ctx);
int pg_read_begin(struct store *st, struct store_txn **txn);
void pg_read_end(struct store_txn *txn);
int64_t pg_token(struct store_txn *txn);
int pg_failed(struct store_txn *txn);
const char *pg_strerror(int rc);
int pg_fatal_status(int rc);

jv pg_get(struct store_txn *txn, const char *id);
int pg_raw(struct store_txn *txn, const char *id, struct store_val *v);
int pg_put(struct store_txn *txn, jv old, jv conv, const char *record);
int pg_del(struct store_txn *txn, jv old);

int pg_walk(struct store_txn *txn, enum store_index ix, const char *text,
    store_key_fn fn, void *ctx);
int pg_walk_from(struct store_txn *txn, enum store_index ix, struct store_cursor *cur,
    store_key_fn fn, void *ctx);
int pg_each(struct store_txn *txn, enum store_table table, store_each_fn fn, void *ctx);
void pg_sizes(struct store_txn *txn, size_t *optouts, size_t *orphans);

int pg_table_get(struct store_txn *txn, enum store_table table, const void *key,
    size_t len, jv *rec);
int pg_table_put(struct store_txn *txn, enum store_table table, const void *key,
    size_t len, jv rec);
int pg_table_del(struct store_txn *txn, enum store_table table, const void *key,
    size_t len);

int pg_change_add(struct store_txn *txn, int64_t now, const char *rest, size_t len);
int pg_changes(struct store_txn *txn, int64_t after, long max, store_line_fn fn, void *ctx);
int pg_changes_span(struct store_txn *txn, int64_t *first, int64_t *last);
int pg_changes_trim(struct store_txn *txn, int64_t before, long max, long *n);
int pg_change_load(struct store_txn *txn, int64_t seq, int64_t at, const char *line,
    size_t len);

int pg_check(struct store_txn *txn, store_problem_fn fn, void *ctx,
    struct store_checked *out);
int pg_reindex(struct store *st, long *records);

#endif
