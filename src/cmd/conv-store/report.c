/*
 * report.c: the funnel by day, week, month or event, as JSON lines or TSV.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calsms.h"
#include "store.h"
#include "conv-store.h"

/* ---- report: the funnel by period ---- */

static const char *const report_counts[] = { "bookings", "with_phone", "confirmations",
    "delivered", "replies", "confirm", "decline", "stop", "start", "help", "other",
    "confirmed_before_followup", "followups", "replied_after_followup", "declined",
    "opted_out", "failed", "uncertain", "dry_run", "segments", NULL };

struct report {
	struct store *st;
	struct store_txn *txn;
	int64_t since, until;
	const char *by;
	double price;
	int priced;
	jv periods;	/* period -> {counts..., "waits": [seconds]} */
};

/* The A/B variant a conversation's messages went out as, or "none". */
static const char *
variant_of(jv c)
{
	jv msgs = json_get(c, "messages"), m;
	static char v[16];
	int i, n = conv_count(c, "messages");

	snprintf(v, sizeof v, "none");
	for (i = 0; i < n; i++) {
		m = jv_array_get(jv_copy(msgs), i);
		if (json_str(m, "variant")) {
			snprintf(v, sizeof v, "%s", json_str(m, "variant"));
			i = n;
		}
		jv_free(m);
	}
	jv_free(msgs);
	return v;
}

static int
by_variant(const struct report *r)
{
	return strstr(r->by, "variant") != NULL;
}

/* The period a conversation belongs to, by its booking time in TZ. */
static void
period_of(const struct report *r, jv c, int64_t created, char *out, size_t n)
{
	time_t t = (time_t)created;
	struct tm tm;
	jv a;

	if (strncmp(r->by, "event", 5) == 0) {
		a = json_get(c, "appointment");
		snprintf(out, n, "%s%s%s", json_str(a, "event_name") ? json_str(a, "event_name") : "",
		    by_variant(r) ? "/" : "", by_variant(r) ? variant_of(c) : "");
		jv_free(a);
		return;
	}
	if (by_variant(r)) {
		snprintf(out, n, "%s", variant_of(c));
		return;
	}
	localtime_r(&t, &tm);
	strftime(out, n, strcmp(r->by, "week") == 0 ? "%G-W%V" :
	    strcmp(r->by, "month") == 0 ? "%Y-%m" : "%Y-%m-%d", &tm);
}

static jv
bump(jv row, const char *key, double by)
{
	jv v = json_get(row, key);
	double now = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;

	jv_free(v);
	return jv_object_set(row, jv_string(key), jv_number(now + by));
}

/* What one conversation adds to its period's row. */
static jv
tally(jv row, jv c)
{
	jv msgs = json_get(c, "messages"), replies = json_get(c, "replies"), m;
	int64_t confirm = conv_confirmed_at(c), follow = conv_sent_at(c, kinds[KIND_FOLLOWUP].name);
	int64_t first = 0, t;
	const char *status = conv_str(c, "status"), *intent, *kind;
	int i, n, sent, confirmed_first = 0, after = 0, declined = 0, texted = 0;

	row = bump(row, "bookings", 1);
	row = bump(row, "with_phone", conv_str(c, "phone") ? 1 : 0);
	n = conv_count(c, "messages");
	for (i = 0; i < n; i++) {
		m = jv_array_get(jv_copy(msgs), i);
		kind = json_str(m, "kind");
		sent = json_str(m, "status") && strcmp(json_str(m, "status"), "sent") == 0;
		if (sent && json_kind(m, "dry_run") == JV_KIND_TRUE) {
			row = bump(row, "dry_run", 1);	/* -p log: nobody was texted */
			sent = 0;
		}
		if (sent && kind_confirms(kind)) {
			row = bump(row, "confirmations", 1);
			texted = 1;
		}
		if (sent && kind_is(kind, KIND_FOLLOWUP))
			row = bump(row, "followups", 1);
		if (json_str(m, "delivery") && (strcmp(json_str(m, "delivery"), "delivered") == 0 ||
		    strcmp(json_str(m, "delivery"), "read") == 0))
			row = bump(row, "delivered", 1);
		if (sent)
			row = bump(row, "segments", json_num(m, "segments"));
		jv_free(m);
	}
	n = conv_count(c, "replies");
	for (i = 0; i < n; i++) {
		m = jv_array_get(jv_copy(replies), i);
		intent = json_str(m, "intent");
		t = conv_time(m, "at");
		row = bump(row, "replies", 1);
		row = bump(row, str_listed(intent, (const char *const[]){ "confirm", "decline",
		    "stop", "start", "help", NULL }) ? intent : "other", 1);
		if (first == 0)
			first = t;
		if (first == t && intent && strcmp(intent, "confirm") == 0 && (!follow || t < follow))
			confirmed_first = 1;
		if (follow && t >= follow)
			after = 1;
		if (intent && strcmp(intent, "decline") == 0)
			declined = 1;
		jv_free(m);
	}
	/* for the reply rate: conversations texted, and those of them that answered */
	row = bump(row, "texted", texted);
	row = bump(row, "texted_replied", texted && conv_count(c, "replies") > 0);
	row = bump(row, "confirmed_before_followup", confirmed_first);
	row = bump(row, "replied_after_followup", after);
	row = bump(row, "declined", declined);
	row = bump(row, "opted_out", status && strcmp(status, "opted_out") == 0);
	row = bump(row, "failed", status && strcmp(status, "failed") == 0);
	row = bump(row, "uncertain", status && strcmp(status, "uncertain") == 0);
	if (confirm && first > confirm) {
		m = json_get(row, "waits");
		row = jv_object_set(row, jv_string("waits"), jv_array_append(
		    jv_get_kind(m) == JV_KIND_ARRAY ? m : (jv_free(m), jv_array()),
		    jv_number((double)(first - confirm))));
	}
	jv_free(msgs);
	jv_free(replies);
	return row;
}

static int
report_one(const char *id, int64_t created, void *ctx)
{
	struct report *r = ctx;
	char period[128];
	struct store_val v;
	jv c, row;

	if (r->until && created > r->until)
		return 0;
	if (r->since && created < r->since)
		return 1;	/* newest first: the rest is older */
	if (store_raw(r->st, r->txn, id, &v) != 0)
		return 0;
	c = store_val_json(&v);
	if (jv_get_kind(c) == JV_KIND_OBJECT) {
		period_of(r, c, created, period, sizeof period);
		row = jv_object_get(jv_copy(r->periods), jv_string(period));
		if (jv_get_kind(row) != JV_KIND_OBJECT) {
			jv_free(row);
			row = jv_object();
		}
		r->periods = jv_object_set(r->periods, jv_string(period), tally(row, c));
	}
	jv_free(c);
	return 0;
}

static int
by_number(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static jv
median(jv waits)
{
	int i, n = jv_get_kind(waits) == JV_KIND_ARRAY ? jv_array_length(jv_copy(waits)) : 0;
	double *v, m;

	if (n == 0 || (v = malloc(sizeof *v * (size_t)n)) == NULL) {
		jv_free(waits);
		return jv_null();
	}
	for (i = 0; i < n; i++) {
		jv x = jv_array_get(jv_copy(waits), i);

		v[i] = jv_number_value(x);
		jv_free(x);
	}
	qsort(v, (size_t)n, sizeof *v, by_number);
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	jv_free(waits);
	return jv_number(m);
}

/*
 * libm, for the z-test alone, loaded when a report first compares two
 * variants: conv-store then starts without mapping it (0.08 ms a start).
 */
static double (*m_erfc)(double), (*m_sqrt)(double), (*m_round)(double);

static int
load_libm(void)
{
	static int loaded;
	const struct dl_sym syms[] = { DL_SYM(m_, erfc) DL_SYM(m_, sqrt) DL_SYM(m_, round) };

	if (loaded == 0)
		loaded = dl_load("libm.so.6", "libc6", syms, sizeof syms / sizeof syms[0]) == 0 ? 1 : -1;
	return loaded > 0 ? 0 : -1;
}

/*
 * The two-proportion z-test (pooled): is x2/n2 apart from x1/n1 by more
 * than chance?  z and p two-sided, each rounded (to 0.01 and 0.001); -1
 * when either side has nobody or both rates are 0 or 1.
 */
static int
two_proportion(double x1, double n1, double x2, double n2, double *z, double *p)
{
	double pool, se;

	if (n1 < 1 || n2 < 1 || load_libm() != 0)
		return -1;
	pool = (x1 + x2) / (n1 + n2);
	se = m_sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2));
	if (se <= 0)
		return -1;
	*z = (x2 / n2 - x1 / n1) / se;
	*p = m_round(m_erfc(fabs(*z) / m_sqrt(2)) * 1000) / 1000;
	*z = m_round(*z * 100) / 100;
	return 0;
}

/* The row's variant (after the event's name and a slash, --by event,variant). */
static const char *
key_variant(const char *key, int *event_len)
{
	const char *slash = strrchr(key, '/');

	*event_len = slash ? (int)(slash - key) : 0;
	return slash ? slash + 1 : key;
}

/* The key of the row the key's row is compared with: its event's first variant. */
static const char *
baseline_key(jv keys, const char *key)
{
	int i, n = jv_array_length(jv_copy(keys)), elen, blen;
	const char *b = NULL, *k;
	jv x;

	key_variant(key, &elen);
	for (i = 0; i < n && b == NULL; i++) {
		x = jv_array_get(jv_copy(keys), i);
		k = jv_string_value(x);
		if (strcmp(key_variant(k, &blen), "none") != 0 && blen == elen &&
		    strncmp(k, key, (size_t)elen) == 0)
			b = k;	/* keys are sorted: the first is the baseline */
		jv_free(x);	/* the string lives on in keys */
	}
	return b;
}

/* A variant row's texted, replied, reply rate, and how it compares with its baseline's. */
static jv
variant_fields(const struct report *r, jv keys, const char *key, jv out)
{
	const char *base = baseline_key(keys, key), *v;
	jv row = jv_object_get(jv_copy(r->periods), jv_string(key)), b;
	double n = json_num(row, "texted"), x = json_num(row, "texted_replied"), z, p;
	int elen, ok = 0;

	v = key_variant(key, &elen);
	out = jv_object_set(out, jv_string("texted"), jv_number(n));
	out = jv_object_set(out, jv_string("texted_replied"), jv_number(x));
	if (strncmp(r->by, "event", 5) == 0)
		out = jv_object_set(out, jv_string("event"), jv_string_sized(key, elen));
	out = jv_object_set(out, jv_string("variant"), jv_string(v));
	out = jv_object_set(out, jv_string("reply_rate"), n > 0 ? jv_number(x / n) : jv_null());
	if (base && strcmp(base, key) != 0 && strcmp(v, "none") != 0) {
		b = jv_object_get(jv_copy(r->periods), jv_string(base));
		ok = two_proportion(json_num(b, "texted_replied"), json_num(b, "texted"), x, n, &z, &p) == 0;
		jv_free(b);
	}
	out = jv_object_set(out, jv_string("vs"), ok ? jv_string(key_variant(base, &elen)) : jv_null());
	out = jv_object_set(out, jv_string("z"), ok ? jv_number(z) : jv_null());
	out = jv_object_set(out, jv_string("p"), ok ? jv_number(p) : jv_null());
	jv_free(row);
	return out;
}

/* -t's variant columns: texted, replied, reply rate, baseline, z, p */
static void
variant_columns(jv out)
{
	printf("\t%.0f\t%.0f", json_num(out, "texted"), json_num(out, "texted_replied"));
	if (json_kind(out, "reply_rate") == JV_KIND_NUMBER)
		printf("\t%.3f", json_num(out, "reply_rate"));
	else
		printf("\t");
	if (json_str(out, "vs"))
		printf("\t%s\t%.2f\t%.3f", json_str(out, "vs"), json_num(out, "z"), json_num(out, "p"));
	else
		printf("\t\t\t");
}

/* -t's note under a variant table: a variant against its baseline. */
static void
variant_note(const struct report *r, jv keys, const char *key)
{
	jv out = variant_fields(r, keys, key, jv_object()), base;
	const char *vs = json_str(out, "vs"), *event = json_str(out, "event");

	if (vs) {
		base = variant_fields(r, keys, baseline_key(keys, key), jv_object());
		printf("# %s%s%s: %.0f of %.0f texted replied (%.0f%%), %s: %.0f of %.0f (%.0f%%); "
		    "z=%.2f, p=%.3f: %s (two-proportion z-test, 5%% level)\n",
		    event ? event : "", event ? " " : "", json_str(out, "variant"),
		    json_num(out, "texted_replied"), json_num(out, "texted"),
		    100 * json_num(out, "reply_rate"), vs, json_num(base, "texted_replied"),
		    json_num(base, "texted"), 100 * json_num(base, "reply_rate"),
		    json_num(out, "z"), json_num(out, "p"),
		    json_num(out, "p") < 0.05 ? "more than chance" : "within chance");
		jv_free(base);
	}
	jv_free(out);
}

static void
report_print(struct report *r, int tsv)
{
	jv keys = jv_keys(jv_copy(r->periods)), row, out, x;
	int i, k, n = jv_array_length(jv_copy(keys));

	if (tsv) {
		printf("period");
		for (k = 0; report_counts[k]; k++)
			printf("\t%s", report_counts[k]);
		printf("%s\tmedian_reply_s%s\n", r->priced ? "\tcost" : "",
		    by_variant(r) ? "\ttexted\ttexted_replied\treply_rate\tvs\tz\tp" : "");
	}
	for (i = 0; i < n; i++) {
		x = jv_array_get(jv_copy(keys), i);
		row = jv_object_get(jv_copy(r->periods), jv_copy(x));
		out = jv_object_set(jv_object(), jv_string("period"), jv_copy(x));
		for (k = 0; report_counts[k]; k++) {
			jv v = json_get(row, report_counts[k]);

			out = jv_object_set(out, jv_string(report_counts[k]),
			    jv_get_kind(v) == JV_KIND_NUMBER ? v : (jv_free(v), jv_number(0)));
		}
		if (r->priced)
			out = bump(out, "cost", r->price * json_num(out, "segments"));
		out = jv_object_set(out, jv_string("median_reply_s"), median(json_get(row, "waits")));
		if (by_variant(r))
			out = variant_fields(r, keys, jv_string_value(x), out);
		if (tsv) {
			printf("%s", jv_string_value(x));
			for (k = 0; report_counts[k]; k++)
				printf("\t%.0f", json_num(out, report_counts[k]));
			if (r->priced)
				printf("\t%.2f", json_num(out, "cost"));
			if (json_kind(out, "median_reply_s") == JV_KIND_NUMBER)
				printf("\t%.0f", json_num(out, "median_reply_s"));
			else
				printf("\t");
			if (by_variant(r))
				variant_columns(out);
			printf("\n");
			jv_free(out);
		} else
			json_print(out);
		jv_free(row);
		jv_free(x);
	}
	for (i = 0; tsv && by_variant(r) && i < n; i++) {
		x = jv_array_get(jv_copy(keys), i);
		variant_note(r, keys, jv_string_value(x));
		jv_free(x);
	}
	jv_free(keys);
}

static int
report_options(struct report *r, int argc, char **argv, int *tsv, const char **zone)
{
	static const struct option longs[] = {
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "by", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const bys[] = { "day", "week", "month", "event", "variant",
	    "event,variant", NULL };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "tP:z:", longs, NULL)) != -1) {
		switch (c) {
		case 'S': if (option_time("since", optarg, &r->since)) return -1; break;
		case 'U': if (option_time("until", optarg, &r->until)) return -1; break;
		case 'b':
			if (!str_listed(optarg, bys)) {
				note("--by: day, week, month, event, variant or event,variant, not %s", optarg);
				return -1;
			}
			r->by = optarg;
			break;
		case 't': *tsv = 1; break;
		case 'P':
			if (real_arg(optarg, 0, 1e6, &r->price) != 0) {
				note("-P: not a price per segment: %s", optarg);
				return -1;
			}
			r->priced = 1;
			break;
		case 'z': *zone = optarg; break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int
cmd_report(struct store *st, int argc, char **argv)
{
	struct report r = { .st = st, .by = "day", .periods = jv_object() };
	struct store_cursor cur = { .len = 0 };
	const char *zone = NULL;
	int tsv = 0, rc;

	if (report_options(&r, argc, argv, &tsv, &zone) != 0) {
		jv_free(r.periods);
		usage(EXIT_USAGE);
	}
	if (zone) {
		setenv("TZ", zone, 1);
		tzset();
	}
	if ((rc = store_read_begin(st, &r.txn)) != 0) {
		jv_free(r.periods);
		return store_fatal(rc, "report");
	}
	if (r.until)	/* start at the newest booking in the window */
		store_cursor_at(&cur, IX_CREATED, r.until + 1, 1);
	rc = store_walk_from(st, r.txn, IX_CREATED, &cur, report_one, &r);
	store_read_end(st, r.txn);
	if (rc == 0)
		report_print(&r, tsv);
	jv_free(r.periods);
	return store_status(rc, "report");
}

