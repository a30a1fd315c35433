/*
 * stream.c: a stream of JSON lines applied in write transactions of up
 * to GROUP_MAX lines or GROUP_MS milliseconds (group commit); a group that
 * fails is retried line by line, so one bad line costs only itself.
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

#define GROUP_MAX 1000
#define GROUP_MS 10

/* ---- group commit ---- */

struct stream {
	struct store *st;
	store_apply_fn apply;
	void *ctx;
	struct item *items;
	int n, cap, status;
};

void
item_fail(struct item *it, int status, const char *fmt, ...)
{
	va_list ap;

	it->status = status;
	va_start(ap, fmt);
	vsnprintf(it->err, sizeof it->err, fmt, ap);
	va_end(ap);
}

static int
collect_item(jv v, long line, void *ctx)
{
	struct stream *g = ctx;
	struct item *more;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		if ((more = realloc(g->items, g->cap * sizeof *g->items)) == NULL) {
			jv_free(v);
			note("out of memory");
			return EXIT_SOFTWARE;
		}
		g->items = more;
	}
	g->items[g->n++] = (struct item){ .in = v, .out = jv_invalid(), .line = line };
	return 0;
}

/*
 * One group's transaction: every line applied afresh (it may run again
 * when the map grows).  A line's own error fails that line only; an LMDB
 * error fails the group, which is then retried one line a transaction so
 * that one bad record never costs the others.
 */
static int
apply_items(struct store *st, struct store_txn *txn, void *ctx)
{
	struct stream *g = ctx;
	int i, rc;

	for (i = 0; i < g->n; i++) {
		struct item *it = &g->items[i];

		jv_free(it->out);
		it->out = jv_invalid();
		it->status = 0;
		it->err[0] = '\0';
		if ((rc = g->apply(st, txn, it, g->ctx)) != 0)
			return rc;
	}
	return 0;
}

static int
commit_one_by_one(struct stream *g)
{
	struct stream one = *g;
	int i, rc;

	for (i = 0; i < g->n; i++) {
		one.items = &g->items[i];
		one.n = 1;
		if ((rc = store_write(g->st, apply_items, &one)) == 0) {
			g->items[i].committed = 1;
			continue;
		}
		if (rc != EINVAL && rc != MDB_BAD_VALSIZE && rc != MDB_KEYEXIST)
			return rc;
		jv_free(g->items[i].out);
		g->items[i].out = jv_invalid();
		item_fail(&g->items[i], EXIT_DATA, "cannot be stored (%s); skipped",
		    store_strerror(rc));
	}
	return 0;
}

/* Commits the group, then prints its lines: nothing printed is ever lost. */
static int
flush_items(void *ctx)
{
	struct stream *g = ctx;
	int i, rc, status = 0;

	if (g->n == 0)
		return 0;
	if ((rc = store_ready(g->st)) != 0) {
		for (i = 0; i < g->n; i++) {
			jv_free(g->items[i].in);
			jv_free(g->items[i].out);
		}
		g->n = 0;
		return -rc;
	}
	rc = store_write(g->st, apply_items, g);
	if (rc != 0 && g->n > 1)
		rc = commit_one_by_one(g);
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->items[i];
		int done = rc == 0 || it->committed;	/* one by one, before a failure */

		if (done && it->err[0])
			note("stdin:%ld: %s", it->line, it->err);
		if (it->status > status)
			status = it->status;
		if (done && jv_is_valid(it->out))
			json_print(jv_copy(it->out));
		jv_free(it->out);
		jv_free(it->in);
	}
	g->n = 0;
	fflush(stdout);
	if (rc != 0)
		return -store_fatal(rc, "write");
	return status;
}

/*
 * Reads JSON values from stdin and applies them in groups, one write
 * transaction a group (up to GROUP_MAX lines, or what arrived within
 * GROUP_MS), printing a group's lines only after it committed, so no
 * writer blocks on a pipe while it holds the write lock.  Returns an
 * exit status.
 */
int
store_stream(struct store *st, store_apply_fn fn, void *ctx)
{
	struct stream g = { .st = st, .apply = fn, .ctx = ctx };
	int status = json_read_groups(0, "stdin", collect_item, flush_items, &g,
	    GROUP_MAX, GROUP_MS);

	while (g.n > 0) {	/* left by a failed write */
		g.n--;
		jv_free(g.items[g.n].in);
		jv_free(g.items[g.n].out);
	}
	free(g.items);
	return status;
}
