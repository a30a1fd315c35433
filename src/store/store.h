/*
 * store.h: the store of conversations, as the programs see it: opening
 * it, transactions, read-modify-write by id, walks of its indexes, the
 * opt-out and orphan tables, and the stream loop with group commit.  No
 * type here is the backend's: struct store and struct store_txn are
 * opaque, values come as struct store_val, indexes by name.  store.c is
 * the LMDB backend (its insides in store-lmdb.h); the rules that say what
 * a conversation becomes are rules.h's.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>
#include <jv.h>

#include "rules.h"

struct store;		/* an open store */
struct store_txn;	/* a read or write transaction on it */

/* a stored value (or key), valid until its transaction ends */
struct store_val {
	size_t size;
	const void *data;
};
/* a stored value as JSON, or invalid (a damaged record never aborts libjq) */
jv store_val_json(const struct store_val *v);

/* the indexes a program may walk, each in the order of its time */
enum store_index {
	IX_CREATED,	/* every conversation, newest first */
	IX_PHONE,	/* by phone, newest first */
	IX_STATUS,	/* by status, newest first */
	IX_CONFIRM, IX_FOLLOWUP, IX_REMINDER, IX_HELP, IX_MANUAL, IX_CANCELED,
	IX_AFTER,	/* due, unclaimed, soonest first */
	IX_LEASE,	/* claimed, outcome not recorded, oldest claim first */
	IX_EXPIRY,	/* by expiry */
	IX_MESSAGE,	/* by a message's provider id */
	IX_COUNT
};

/* the tables beside the conversations' */
enum store_table { STORE_CONVS, STORE_OPTOUTS, STORE_ORPHANS };

typedef int (*store_write_fn)(struct store *st, struct store_txn *txn, void *ctx);

/* one line of a stream, applied in its group's write transaction */
struct item {
	jv in, out;	/* the line read; what to print once committed */
	long line;
	int status;	/* exit status this line deserves, or 0 */
	int committed;	/* its write transaction committed */
	char err[200];
};
typedef int (*store_apply_fn)(struct store *st, struct store_txn *txn, struct item *it,
    void *ctx);
typedef jv (*store_change_fn)(jv conv, void *ctx);
typedef int (*store_key_fn)(const char *id, int64_t t, void *ctx);
typedef int (*store_conv_fn)(struct store *st, struct store_txn *txn, jv conv, void *ctx);
typedef int (*store_each_fn)(const struct store_val *k, const struct store_val *v,
    void *ctx);

/* where a walk stopped, to go on from there (store_walk_from) */
struct store_cursor {
	unsigned char key[480];
	size_t len;
};

#define STORE_CREATE 1	/* store_open: may make a new store */
#define STORE_LAZY 2	/* store_open: open when a stream's first line comes */
#define STORE_READ 4	/* store_open: only read (a read-only mount too) */
#define STORE_KEPT (-30000)	/* optout_set: a later STOP stands */

/* store.c: opening, transactions, errors */
const char *store_dir(const char *opt);
int store_is_uri(const char *where);
void store_shown(const char *where, char *out, size_t n);
int store_open(const char *dir, int flags, struct store **out);
int store_ready(struct store *st);
void store_close(struct store *st);
uint64_t store_version(struct store *st);
int store_write(struct store *st, store_write_fn fn, void *ctx);
int store_read_begin(struct store *st, struct store_txn **txn);
void store_read_end(struct store *st, struct store_txn *txn);
int64_t store_token(struct store *st, struct store_txn *txn);
int store_fd(struct store *st);
int store_wait(struct store *st, uint64_t seen, int ms);
int store_fatal(int rc, const char *what);
const char *store_strerror(int rc);

/* store.c: the stream loop */
int store_stream(struct store *st, store_apply_fn fn, void *ctx);
void item_fail(struct item *it, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* store.c: conversations */
jv store_get(struct store *st, struct store_txn *txn, const char *id);
int store_raw(struct store *st, struct store_txn *txn, const char *id, struct store_val *v);
int store_put(struct store *st, struct store_txn *txn, jv old, jv conv);
int store_del(struct store *st, struct store_txn *txn, jv old);
int store_update(struct store *st, struct store_txn *txn, const char *id,
    store_change_fn fn, void *ctx, jv *out);
int store_look(struct store *st, const char *id, const char *phone, jv *conv,
    int *opted_out);
int store_still_due(struct store *st, jv line, const char *phone, const char **why);

/* store.c: walks */
int store_walk(struct store *st, struct store_txn *txn, enum store_index ix,
    const char *text, store_key_fn fn, void *ctx);
int store_walk_from(struct store *st, struct store_txn *txn, enum store_index ix,
    struct store_cursor *cur, store_key_fn fn, void *ctx);
void store_cursor_at(struct store_cursor *cur, enum store_index ix, int64_t t, int invert);
int store_count(struct store *st, struct store_txn *txn, enum store_index ix,
    const char *text, long *n);
int store_convs(struct store *st, struct store_txn *txn, enum store_index ix,
    const char *text, store_conv_fn fn, void *ctx);
int store_each(struct store *st, struct store_txn *txn, enum store_table table,
    store_each_fn fn, void *ctx);
void store_sizes(struct store *st, struct store_txn *txn, size_t *optouts, size_t *orphans);

/* store.c: the opt-out list and the orphans */
int optout_has(struct store *st, struct store_txn *txn, const char *phone);
int optout_set(struct store *st, struct store_txn *txn, const char *phone, int on,
    int64_t at);
int optout_put(struct store *st, struct store_txn *txn, jv rec);
int orphan_put(struct store *st, struct store_txn *txn, jv reply);
int orphan_has(struct store *st, struct store_txn *txn, const char *pid);
int orphan_take_receipt(struct store *st, struct store_txn *txn, const char *pid, jv *out);

/* changes.c: the change feed, one line a write that changed something */
typedef int (*store_line_fn)(int64_t seq, const char *line, size_t len, void *ctx);
jv conv_changes(jv old, jv conv);
void store_feed(struct store *st, int on);
int store_changes(struct store *st, struct store_txn *txn, int64_t after, long max,
    store_line_fn fn, void *ctx);
int store_changes_span(struct store *st, struct store_txn *txn, int64_t *first,
    int64_t *last);
int store_changes_trim(struct store *st, struct store_txn *txn, int64_t before, long max,
    long *n);
int store_change_load(struct store *st, struct store_txn *txn, jv line);

/* check.c: the records against their indexes */
typedef void (*store_problem_fn)(const char *id, size_t idlen, const char *what,
    void *ctx);
struct store_checked {
	long convs, keys, optouts, problems;
};
int store_check(struct store *st, struct store_txn *txn, store_problem_fn fn, void *ctx,
    struct store_checked *out);
int store_reindex(struct store *st, long *records);

#endif
