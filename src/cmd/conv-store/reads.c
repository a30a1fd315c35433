/*
 * reads.c: the reads, one read transaction each: get, list, dump, and
 * export as RFC 4180 CSV.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calsms.h"
#include "store.h"
#include "conv-store.h"

/* ---- reads: get, list, dump, stats ---- */

static int table;	/* -t: rows for people (human.c), not JSON lines */

/* Stored records are compact JSON already: printed as they are. */
static int
print_raw(const struct store_val *v, const char *wrap)
{
	if (table && !wrap) {
		human_row(store_val_json(v));
		return ferror(stdout) ? EIO : 0;
	}
	if (wrap)
		printf("{\"%s\":", wrap);
	fwrite(v->data, 1, v->size, stdout);
	fputs(wrap ? "}\n" : "\n", stdout);
	return ferror(stdout) ? EIO : 0;
}

static int
print_id(struct store *st, struct store_txn *txn, const char *id)
{
	struct store_val v;

	return store_raw(st, txn, id, &v) == 0 ? print_raw(&v, NULL) == 0 : 0;
}

static int
print_conv(struct store *st, struct store_txn *txn, jv c, void *ctx)
{
	(void)st;
	(void)txn;
	++*(int *)ctx;
	if (table)
		human_row(c);
	else
		json_print(c);
	return 0;
}

static int
get_one(struct store *st, struct store_txn *txn, const char *arg)
{
	char phone[17];
	int n = 0, rc;

	if (print_id(st, txn, arg))
		return 0;
	if (phone_e164(arg, default_country(), phone) != 0) {
		note("%s: no such conversation", arg);
		return 1;
	}
	if ((rc = store_convs(st, txn, IX_PHONE, phone, print_conv, &n)) != 0)
		return store_fatal(rc, "read");
	if (n == 0)
		note("%s: no conversation for this number", arg);
	return n == 0;
}

int
cmd_get(struct store *st, int argc, char **argv)
{
	struct store_txn *txn;
	int c, i, rc, status = 0;

	optind = 1;
	while ((c = getopt(argc, argv, "t")) != -1) {
		if (c != 't')
			usage(EXIT_USAGE);
		table = 1;
	}
	if (optind == argc)
		usage(EXIT_USAGE);
	if ((rc = store_read_begin(st, &txn)) != 0)
		return store_fatal(rc, "read");
	if (table)
		human_header();
	for (i = optind; i < argc; i++)
		if ((rc = get_one(st, txn, argv[i])) > status)
			status = rc;
	store_read_end(st, txn);
	return status;
}

struct listing {
	struct store *st;
	struct store_txn *txn;
	const char *statuses[16];
	int nstatus, by_index;
	int64_t since, until, start_from, start_to;
	long max, printed;
	int rc;
};

static int
wanted(struct listing *l, const struct store_val *v)
{
	jv c;
	const char *status;
	int64_t start;
	int i, ok = 1;

	if ((l->nstatus == 0 || l->by_index) && !l->start_from && !l->start_to)
		return 1;
	c = store_val_json(v);
	status = conv_str(c, "status");
	if (l->nstatus && !l->by_index)
		for (ok = 0, i = 0; i < l->nstatus && !ok; i++)
			ok = status && strcmp(status, l->statuses[i]) == 0;
	start = conv_start(c);
	if ((l->start_from && start < l->start_from) || (l->start_to && start >= l->start_to))
		ok = 0;
	jv_free(c);
	return ok;
}

/* One index key, newest first: prints its conversation if it is wanted. */
static int
list_key(const char *id, int64_t created, void *ctx)
{
	struct listing *l = ctx;
	struct store_val v;

	if (l->max && l->printed >= l->max)
		return 1;
	if (l->until && created > l->until)
		return 0;
	if (l->since && created < l->since)
		return 1;	/* newest first: the rest are older still */
	if (store_raw(l->st, l->txn, id, &v) != 0 || !wanted(l, &v))
		return 0;
	l->printed++;
	if (print_raw(&v, NULL) != 0) {
		l->rc = EIO;
		return 1;
	}
	return 0;
}

static int
parse_statuses(struct listing *l, char *arg)
{
	char *s, *save = NULL;

	for (s = strtok_r(arg, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (!conv_known(s)) {
			note("-s: no such status: %s (see calsms(7))", s);
			return -1;
		}
		if (l->nstatus == (int)(sizeof l->statuses / sizeof l->statuses[0])) {
			note("-s: too many statuses");
			return -1;
		}
		l->statuses[l->nstatus++] = s;
	}
	return 0;
}

int
option_time(const char *opt, const char *arg, int64_t *out)
{
	if (time_arg(arg, clock_now(), out) == 0)
		return 0;
	note("--%s: not a time (RFC 3339, YYYY-MM-DD, today, yesterday, or a duration ago like "
	    "26h): %s", opt, arg);
	return -1;
}

static int
list_options(struct listing *l, int argc, char **argv, const char **phone_arg,
    int *orphans)
{
	static const struct option longs[] = {
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "starts-after", required_argument, NULL, 'A' },
		{ "starts-before", required_argument, NULL, 'B' },
		{ "orphans", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:p:n:t", longs, NULL)) != -1) {
		switch (c) {
		case 't': table = 1; break;
		case 's':
			if (parse_statuses(l, optarg) != 0)
				return -1;
			break;
		case 'p': *phone_arg = optarg; break;
		case 'n':
			if (long_arg(optarg, 1, LONG_MAX, &l->max) != 0) {
				note("-n: not a positive number: %s", optarg);
				return -1;
			}
			break;
		case 'S': if (option_time("since", optarg, &l->since)) return -1; break;
		case 'U': if (option_time("until", optarg, &l->until)) return -1; break;
		case 'A': if (option_time("starts-after", optarg, &l->start_from)) return -1; break;
		case 'B': if (option_time("starts-before", optarg, &l->start_to)) return -1; break;
		case 'o': *orphans = 1; break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static int
print_record(const struct store_val *k, const struct store_val *v, void *ctx)
{
	(void)k;
	return print_raw(v, ctx);
}

int
cmd_list(struct store *st, int argc, char **argv)
{
	struct listing l = { .st = st };
	const char *phone_arg = NULL;
	char phone[17];
	int orphans = 0, rc;

	if (list_options(&l, argc, argv, &phone_arg, &orphans) != 0)
		usage(EXIT_USAGE);
	if (phone_arg && phone_e164(phone_arg, default_country(), phone) != 0) {
		note("-p: not a phone number: %s", phone_arg);
		return EXIT_USAGE;
	}
	if ((rc = store_read_begin(st, &l.txn)) != 0)
		return store_fatal(rc, "read");
	if (table && !orphans)
		human_header();
	if (orphans)
		rc = store_each(st, l.txn, STORE_ORPHANS, print_record, "orphan");
	else {
		l.by_index = !phone_arg && l.nstatus == 1;
		rc = store_walk(st, l.txn, phone_arg ? IX_PHONE : l.by_index ? IX_STATUS :
		    IX_CREATED, phone_arg ? phone : l.by_index ? l.statuses[0] : NULL,
		    list_key, &l);
		if (rc == 0)
			rc = l.rc;
	}
	store_read_end(st, l.txn);
	return rc == EIO ? EXIT_IOERR : store_status(rc, "list");
}

int
cmd_dump(struct store *st, int argc, char **argv)
{
	struct store_txn *txn;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = store_read_begin(st, &txn)) != 0)
		return store_fatal(rc, "read");
	if ((rc = store_each(st, txn, STORE_CONVS, print_record, NULL)) == 0 &&
	    (rc = store_each(st, txn, STORE_OPTOUTS, print_record, "optout")) == 0 &&
	    (rc = store_each(st, txn, STORE_ORPHANS, print_record, "orphan")) == 0)
		rc = dump_changes(st, txn);
	store_read_end(st, txn);
	return rc == EIO ? EXIT_IOERR : store_status(rc, "dump");
}

/* ---- export: RFC 4180 CSV for spreadsheets ---- */

static void
csv_field(const char *s, int last)
{
	if (s && strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else if (s)
		fputs(s, stdout);
	fputs(last ? "\r\n" : ",", stdout);
}

static const char *
first_of(jv conv, const char *list, const char *key, int newest)
{
	int n = conv_count(conv, list);
	jv a, x;
	const char *v;

	if (n == 0)
		return NULL;
	a = json_get(conv, list);
	x = jv_array_get(a, newest ? n - 1 : 0);
	v = json_str(x, key);	/* the conversation holds it */
	jv_free(x);
	return v;
}

struct export {
	struct listing l;
	long rows;
};

static int
export_row(const char *id, int64_t created, void *ctx)
{
	struct export *e = ctx;
	struct store_val v;
	jv c, a;
	char sent[32] = "";
	int64_t t;

	if (e->l.until && created > e->l.until)
		return 0;
	if (e->l.since && created < e->l.since)
		return 1;
	if (store_raw(e->l.st, e->l.txn, id, &v) != 0)
		return 0;
	c = store_val_json(&v);
	a = json_get(c, "appointment");
	if ((t = conv_confirmed_at(c)) > 0)
		rfc3339_format(t, sent);
	csv_field(id, 0);
	csv_field(json_str(a, "name"), 0);
	csv_field(conv_str(c, "phone"), 0);
	csv_field(json_str(a, "event_name"), 0);
	csv_field(json_str(a, "start_local") ? json_str(a, "start_local") : json_str(a, "start_time"), 0);
	csv_field(conv_str(c, "status"), 0);
	csv_field(sent, 0);
	csv_field(first_of(c, "replies", "at", 0), 0);
	csv_field(first_of(c, "replies", "body", 1), 1);
	jv_free(a);
	jv_free(c);
	e->rows++;
	return ferror(stdout) ? EIO : 0;
}

int
cmd_export(struct store *st, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 }
	};
	struct export e = { .l = { .st = st } };
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		if (c == 'S' && option_time("since", optarg, &e.l.since) == 0)
			continue;
		if (c == 'U' && option_time("until", optarg, &e.l.until) == 0)
			continue;
		usage(EXIT_USAGE);
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	if ((rc = store_read_begin(st, &e.l.txn)) != 0)
		return store_fatal(rc, "read");
	fputs("id,name,phone,event,start,status,confirmed_at,replied_at,reply\r\n", stdout);
	rc = store_walk(st, e.l.txn, IX_CREATED, NULL, export_row, &e);
	store_read_end(st, e.l.txn);
	return rc == EIO ? EXIT_IOERR : store_status(rc, "export");
}

