/*
 * feed.c: the change feed's commands: changes (read it, or follow it),
 * and what purge, dump and load do with it.  The feed itself is the
 * store's (src/store/changes.c).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"
#include "store.h"
#include "conv-store.h"

#define POLL_MS 100
#define TRIM_BATCH 1000

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
print_change(int64_t seq, const char *line, size_t len, void *ctx)
{
	int64_t *after = ctx;

	fwrite(line, 1, len, stdout);
	putchar('\n');
	*after = seq;
	return ferror(stdout) != 0;
}

/* A consumer whose position the store cannot have gone on from hears so. */
static void
check_position(struct store *st, struct store_txn *txn, int64_t after)
{
	int64_t first, last;

	if (after <= 0 || store_changes_span(st, txn, &first, &last) != 0)
		return;
	if (after > last)
		note("changes: --after %lld is past the last change (%lld): another store, or "
		    "one restored from an older dump?", (long long)after, (long long)last);
	else if (first > after + 1 || (first == 0 && last > after))
		note("changes: changes %lld to %lld were purged before they were read",
		    (long long)after + 1, (long long)(first ? first - 1 : last));
}

/* Sleeps until another process commits (0), or a signal or stdout closes (-1). */
static int
wait_for_commit(struct store *st, uint64_t seen)
{
	int rc;

	while (!stop)
		if ((rc = store_wait(st, seen, POLL_MS)) != 0)
			return rc > 0 ? 0 : -1;
	return -1;
}

static int
changes_options(int argc, char **argv, int64_t *after, int *follow)
{
	static const struct option longs[] = {
		{ "after", required_argument, NULL, 'a' },
		{ "follow", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	long n;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f", longs, NULL)) != -1) {
		switch (c) {
		case 'f': *follow = 1; break;
		case 'a':
			if (long_arg(optarg, 0, LONG_MAX, &n) != 0) {
				note("--after: not a sequence number (0 or more): %s", optarg);
				return -1;
			}
			*after = n;
			break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int
cmd_changes(struct store *st, int argc, char **argv)
{
	struct sigaction sa;
	struct store_txn *txn;
	int64_t after = 0;
	uint64_t seen;
	int follow = 0, rc, first = 1;

	if (changes_options(argc, argv, &after, &follow) != 0)
		usage(EXIT_USAGE);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		seen = store_version(st);
		if ((rc = store_read_begin(st, &txn)) != 0)
			return store_fatal(rc, "changes");
		if (first)
			check_position(st, txn, after);
		first = 0;
		rc = store_changes(st, txn, after, 0, print_change, &after);
		store_read_end(st, txn);
		if (rc != 0)
			return store_fatal(rc, "changes");
		if (ferror(stdout) || !follow || wait_for_commit(st, seen) != 0)
			break;
	}
	return 0;
}

/* ---- purge: changes older than the days they are kept ---- */

struct trim {
	int64_t before;
	long n;
};

static int
apply_trim(struct store *st, struct store_txn *txn, void *ctx)
{
	struct trim *t = ctx;

	return store_changes_trim(st, txn, t->before, TRIM_BATCH, &t->n);
}

/* How many days changes are kept: -c, else CALSMS_CHANGES_DAYS, else 30. */
int
changes_days(const char *opt, long *days)
{
	const char *e = opt ? opt : conf_get("CALSMS_CHANGES_DAYS");

	*days = 30;
	if (e == NULL || *e == '\0')
		return 0;
	if (long_arg(e, 0, 36500, days) != 0) {
		note("%s: not a number of days (0 to 36500): %s", opt ? "-c" : "CALSMS_CHANGES_DAYS",
		    e);
		return -1;
	}
	return 0;
}

/* Trims the feed to its last days; prints how many lines went, if any. */
int
purge_changes(struct store *st, long days, int64_t now)
{
	struct trim t = { .before = now - (int64_t)days * 86400 };
	long total = 0;
	int rc;

	do {
		if ((rc = store_write(st, apply_trim, &t)) != 0)
			return store_fatal(rc, "purge");
		total += t.n;
	} while (t.n == TRIM_BATCH);
	if (total > 0)
		json_print(jv_object_set(jv_object_set(jv_object(), jv_string("purged_changes"),
		    jv_number((double)total)), jv_string("before"), rfc3339_jv(t.before)));
	return 0;
}

/* ---- dump ---- */

static int
dump_change(int64_t seq, const char *line, size_t len, void *ctx)
{
	(void)seq;
	(void)ctx;
	fputs("{\"change\":", stdout);
	fwrite(line, 1, len, stdout);
	fputs("}\n", stdout);
	return ferror(stdout) ? EIO : 0;
}

int
dump_changes(struct store *st, struct store_txn *txn)
{
	int rc = store_changes(st, txn, 0, 0, dump_change, NULL);

	return rc ? rc : ferror(stdout) ? EIO : 0;
}
