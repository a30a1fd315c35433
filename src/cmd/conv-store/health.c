/*
 * health.c: one monitoring-plugins line (health), and the totals (stats).
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

/* ---- health: the monitoring-plugins convention ---- */

static const char *const state_name[] = {
	[MON_OK] = "OK", [MON_WARNING] = "WARNING", [MON_CRITICAL] = "CRITICAL",
	[MON_UNKNOWN] = "UNKNOWN",
};

static int first_due(const char *id, int64_t t, void *ctx);

struct health {
	int64_t now, after, oldest, newest;
	long failed, uncertain;
	int64_t offset;	/* added to a key's time: when it is due */
};

/*
 * A confirmation still to go, due or claimed: it has waited since the
 * booking, however often an outage's back-off put it off or re-claimed it.
 */
static int
waiting_confirm(struct store *st, struct store_txn *txn, jv c, void *ctx)
{
	struct due_at due[DUE_KINDS];
	jv claim = json_get(c, "claim");
	int i, n = conv_due(c, due, DUE_KINDS), waits = kind_confirms(json_str(claim, "kind"));

	(void)st;
	(void)txn;
	for (i = 0; i < n && !waits; i++)
		waits = kind_is(due[i].kind, KIND_CONFIRM);
	if (waits)
		first_due(NULL, conv_time(c, "created_at"), ctx);
	jv_free(claim);
	jv_free(c);
	return 0;
}

/* The time indexes are soonest first: the first key is the oldest due. */
static int
first_due(const char *id, int64_t t, void *ctx)
{
	struct health *h = ctx;
	int64_t due = t + h->offset;

	(void)id;
	if (due <= h->now && (h->oldest == 0 || due < h->oldest))
		h->oldest = due;
	return 1;
}

static int
newest_booking(const char *id, int64_t created, void *ctx)
{
	(void)id;
	((struct health *)ctx)->newest = created;
	return 1;
}

struct limits {
	long failed[2], uncertain[2];
	int64_t due[2], quiet;
	int qfrom, qto, business;
};

static int
pair(const char *arg, int durations, long *a, int64_t *d)
{
	char x[64], *comma;
	int i;

	snprintf(x, sizeof x, "%s", arg);
	if ((comma = strchr(x, ',')) == NULL)
		return -1;
	*comma = '\0';
	for (i = 0; i < 2; i++) {
		const char *part = i ? comma + 1 : x;

		if (durations && duration_parse(part, &d[i]) != 0)
			return -1;
		if (!durations && long_arg(part, 0, LONG_MAX, &a[i]) != 0)
			return -1;
	}
	return 0;
}

static int
in_business_hours(const struct limits *lim, int64_t now)
{
	int m;

	if (!lim->business)
		return 1;
	m = local_minutes(now, business_zone());	/* CALSMS_TZ, else the machine's */
	return lim->qfrom <= lim->qto ? m >= lim->qfrom && m < lim->qto :
	    m >= lim->qfrom || m < lim->qto;
}

static int
level(long v, const long *lim)
{
	return v >= lim[1] ? MON_CRITICAL : v >= lim[0] ? MON_WARNING : MON_OK;
}

static int
health_options(int argc, char **argv, struct limits *lim, int64_t *after)
{
	int c, h1, m1, h2, m2;

	optind = 1;
	while ((c = getopt(argc, argv, "a:b:d:f:q:u:")) != -1) {
		switch (c) {
		case 'a': if (duration_parse(optarg, after)) return -1; break;
		case 'f': if (pair(optarg, 0, lim->failed, NULL)) return -1; break;
		case 'u': if (pair(optarg, 0, lim->uncertain, NULL)) return -1; break;
		case 'd': if (pair(optarg, 1, NULL, lim->due)) return -1; break;
		case 'q': if (duration_parse(optarg, &lim->quiet)) return -1; break;
		case 'b':
			if (sscanf(optarg, "%d:%d-%d:%d", &h1, &m1, &h2, &m2) != 4)
				return -1;
			lim->business = 1;
			lim->qfrom = h1 * 60 + m1;
			lim->qto = h2 * 60 + m2;
			break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/*
 * One status line with performance data, exit 0 OK, 1 WARNING, 2
 * CRITICAL: failed and uncertain conversations, how long the oldest due
 * message has waited (the sender is down), and how long since the last
 * booking (the webhook may be disabled).
 */
int
cmd_health(struct store *st, int argc, char **argv)
{
	struct limits lim = { { 1, 5 }, { 1, 1 }, { 120, 600 }, 0, 0, 0, 0 };
	struct health h = { .now = clock_now(), .after = 1800 };
	int64_t waited, since;
	struct store_txn *txn;
	int state, rc;
	char why[160] = "";

	if (health_options(argc, argv, &lim, &h.after) != 0) {
		printf("CALSMS UNKNOWN - usage: health [-f w,c] [-u w,c] [-d w,c] [-a after] "
		    "[-q quiet] [-b hh:mm-hh:mm]\n");
		return MON_UNKNOWN;
	}
	if ((rc = store_read_begin(st, &txn)) != 0 ||
	    (rc = store_count(st, txn, IX_STATUS, "failed", &h.failed)) != 0 ||
	    (rc = store_count(st, txn, IX_STATUS, "uncertain", &h.uncertain)) != 0 ||
	    (rc = store_convs(st, txn, IX_STATUS, "pending", waiting_confirm, &h)) != 0 ||
	    (h.offset = h.after, rc = store_walk(st, txn, IX_FOLLOWUP, NULL, first_due, &h)) != 0 ||
	    (rc = store_walk(st, txn, IX_CREATED, NULL, newest_booking, &h)) != 0) {
		printf("CALSMS UNKNOWN - the store cannot be read: %s\n", store_strerror(rc));
		return MON_UNKNOWN;
	}
	store_read_end(st, txn);
	waited = h.oldest ? h.now - h.oldest : 0;
	since = h.newest ? h.now - h.newest : -1;
	state = level(h.failed, lim.failed);
	if (level(h.uncertain, lim.uncertain) > state)
		state = level(h.uncertain, lim.uncertain);
	if ((waited >= lim.due[1] ? MON_CRITICAL : waited >= lim.due[0] ? MON_WARNING : MON_OK) > state) {
		state = waited >= lim.due[1] ? MON_CRITICAL : MON_WARNING;
		snprintf(why, sizeof why, ", a message due for %llds: is the sender running?",
		    (long long)waited);
	}
	if (lim.quiet && in_business_hours(&lim, h.now) && (since < 0 || since > lim.quiet)) {
		state = MON_CRITICAL;
		snprintf(why, sizeof why, ", no booking for %s: is the Calendly webhook "
		    "disabled? (cal-sync status)", since < 0 ? "ever" : "longer than -q");
	}
	printf("CALSMS %s - failed=%ld uncertain=%ld oldest_due=%llds%s | failed=%ld;%ld;%ld "
	    "uncertain=%ld;%ld;%ld oldest_due=%llds;%lld;%lld last_booking=%llds\n",
	    state_name[state], h.failed, h.uncertain, (long long)waited, why,
	    h.failed, lim.failed[0], lim.failed[1], h.uncertain, lim.uncertain[0],
	    lim.uncertain[1], (long long)waited, (long long)lim.due[0], (long long)lim.due[1],
	    (long long)(since < 0 ? 0 : since));
	return state;
}

struct stats {
	jv counts;
	long messages, dry_run, segments, confirms, followups, reminders, replied, convs;
	long undelivered;
};

static void
count_message(struct stats *s, jv m)
{
	const char *kind = json_str(m, "kind"), *status = json_str(m, "status");
	jv seg;

	if (status == NULL || strcmp(status, "sent") != 0)
		return;
	if (json_str(m, "delivery") && (strcmp(json_str(m, "delivery"), "undelivered") == 0 ||
	    strcmp(json_str(m, "delivery"), "failed") == 0))
		s->undelivered++;	/* sent, but the carrier says it never arrived */
	if (json_kind(m, "dry_run") == JV_KIND_TRUE) {
		s->dry_run++;	/* the log provider: nobody was texted */
		return;
	}
	seg = json_get(m, "segments");
	s->messages++;
	s->segments += jv_get_kind(seg) == JV_KIND_NUMBER ? (long)jv_number_value(seg) : 1;
	jv_free(seg);
	s->confirms += kind_confirms(kind);
	s->followups += kind_is(kind, KIND_FOLLOWUP);
	s->reminders += kind_is(kind, KIND_REMINDER);
}

static int
count_conv(const struct store_val *k, const struct store_val *v, void *ctx)
{
	struct stats *s = ctx;
	jv c = store_val_json(v), msgs, n;
	const char *status = conv_str(c, "status");
	int i, len = conv_count(c, "messages");

	(void)k;
	if (!jv_is_valid(c) || status == NULL) {
		jv_free(c);
		return 0;
	}
	s->convs++;
	n = jv_object_get(jv_copy(s->counts), jv_string(status));
	s->counts = jv_object_set(s->counts, jv_string(status), jv_number(
	    (jv_is_valid(n) ? jv_number_value(n) : 0) + 1));
	jv_free(n);
	msgs = json_get(c, "messages");
	for (i = 0; i < len; i++) {
		jv m = jv_array_get(jv_copy(msgs), i);

		count_message(s, m);
		jv_free(m);
	}
	if (conv_confirmed_at(c) && conv_count(c, "replies") > 0)
		s->replied++;
	jv_free(msgs);
	jv_free(c);
	return 0;
}

static double
rate(long part, long whole)
{
	return whole ? (double)(part * 1000 / whole) / 1000 : 0;
}

static jv
number(jv out, const char *name, double v)
{
	return jv_object_set(out, jv_string(name), jv_number(v));
}

int
cmd_stats(struct store *st, int argc, char **argv)
{
	struct stats s = { .counts = jv_object() };
	struct store_txn *txn;
	size_t optouts, orphans;
	jv out = jv_object();
	int i, rc;

	(void)argc;
	(void)argv;
	for (i = 0; conv_statuses[i]; i++)
		s.counts = jv_object_set(s.counts, jv_string(conv_statuses[i]), jv_number(0));
	if ((rc = store_read_begin(st, &txn)) != 0 ||
	    (rc = store_each(st, txn, STORE_CONVS, count_conv, &s)) != 0) {
		jv_free(s.counts);
		jv_free(out);
		return store_fatal(rc, "stats");
	}
	store_sizes(st, txn, &optouts, &orphans);
	store_read_end(st, txn);
	out = number(out, "conversations", s.convs);
	out = jv_object_set(out, jv_string("status"), s.counts);
	out = number(out, "messages_sent", s.messages);
	out = number(out, "dry_run", s.dry_run);
	out = number(out, "segments", s.segments);
	out = number(out, "confirmations", s.confirms);
	out = number(out, "followups", s.followups);
	out = number(out, "reminders", s.reminders);
	out = number(out, "undelivered", s.undelivered);
	out = number(out, "reply_rate", rate(s.replied, s.confirms));
	out = number(out, "followup_rate", rate(s.followups, s.confirms));
	out = number(out, "opt_outs", (double)optouts);
	out = number(out, "orphan_replies", (double)orphans);
	json_print(out);
	return 0;
}

