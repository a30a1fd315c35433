/*
 * human.c: conversations for a person at a terminal, not for jq: the
 * table of list -t and get -t, and the inbox, the replies a person must
 * read (a decline, a question, a HELP, anything the rules could not
 * read), newest first.  Phones are masked but for their last four digits,
 * times are in the business's zone (CALSMS_TZ), and what a customer wrote
 * is shown with its control characters escaped.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"
#include "store.h"
#include "conv-store.h"

/* Copies at most width bytes of s, never cutting a UTF-8 character. */
static void
clip(const char *s, size_t width, char *out, size_t n)
{
	char esc[512];
	size_t len;

	log_escape(s ? s : "", esc, sizeof esc);
	len = strlen(esc);
	if (len > width) {
		len = width;
		while (len > 0 && ((unsigned char)esc[len] & 0xC0) == 0x80)
			len--;
	}
	if (len >= n)
		len = n - 1;
	memcpy(out, esc, len);
	out[len] = '\0';
}

static void
masked(const char *phone, char *out, size_t n)
{
	snprintf(out, n, "%s", phone ? phone : "-");
	mask_phones(out);
}

static void
when(int64_t t, char *out, size_t n)
{
	if (t > 0)
		business_time(t, out, n);
	else
		snprintf(out, n, "-");
}

void
human_header(void)
{
	printf("%-16s  %-14s  %-18s  %-15s  %-24s  %s\n", "START", "STATUS", "NAME", "PHONE",
	    "ID", "LAST REPLY");
}

/* One conversation as a table row. Consumes conv. */
void
human_row(jv conv)
{
	jv appt = json_get(conv, "appointment"), replies = json_get(conv, "replies"), last;
	int n = jv_get_kind(replies) == JV_KIND_ARRAY ? jv_array_length(jv_copy(replies)) : 0;
	char start[24], name[80], phone[24], id[80], reply[200];

	last = n > 0 ? jv_array_get(jv_copy(replies), n - 1) : jv_null();
	when(conv_start(conv), start, sizeof start);
	clip(json_str(appt, "name"), 18, name, sizeof name);
	masked(json_str(conv, "phone"), phone, sizeof phone);
	clip(json_str(conv, "id"), 24, id, sizeof id);
	clip(json_str(last, "body"), 60, reply, sizeof reply);
	printf("%-16s  %-14s  %-18s  %-15s  %-24s  %s%s%s\n", start,
	    conv_str(conv, "status") ? conv_str(conv, "status") : "-", name, phone, id,
	    *reply ? "\"" : "", reply, *reply ? "\"" : "");
	jv_free(last);
	jv_free(replies);
	jv_free(appt);
	jv_free(conv);
}

/* ---- inbox ---- */

/* The replies a person must read: what notify-owner tells the owner about. */
static int
needs_a_person(const char *intent)
{
	static const char *const ask[] = { "decline", "help", "other", NULL };

	return intent && str_listed(intent, ask);
}

struct inbox {
	struct store *st;
	struct store_txn *txn;
	int64_t since;
	jv found;	/* [{at, line}] */
};

/* The inbox's line for reply r (consumed) of conv. */
static jv
inbox_line(jv conv, jv r)
{
	jv appt = json_get(conv, "appointment"), l = jv_object();

	l = jv_object_set(l, jv_string("at"), json_get(r, "at"));
	l = jv_object_set(l, jv_string("id"), json_get(conv, "id"));
	l = jv_object_set(l, jv_string("name"), json_get(appt, "name"));
	l = jv_object_set(l, jv_string("phone"), json_get(conv, "phone"));
	l = jv_object_set(l, jv_string("event_name"), json_get(appt, "event_name"));
	l = jv_object_set(l, jv_string("start_time"), json_get(appt, "start_time"));
	l = jv_object_set(l, jv_string("status"), json_get(conv, "status"));
	l = jv_object_set(l, jv_string("intent"), json_get(r, "intent"));
	l = jv_object_set(l, jv_string("body"), json_get(r, "body"));
	jv_free(appt);
	jv_free(r);
	return l;
}

static int
inbox_conv(const struct store_val *k, const struct store_val *v, void *ctx)
{
	struct inbox *b = ctx;
	jv conv = store_val_json(v), replies = json_get(conv, "replies");
	int i, n = jv_get_kind(replies) == JV_KIND_ARRAY ? jv_array_length(jv_copy(replies)) : 0;

	(void)k;
	for (i = 0; i < n; i++) {
		jv r = jv_array_get(jv_copy(replies), i);
		int64_t at = conv_time(r, "at");

		if (at >= b->since && needs_a_person(json_str(r, "intent")))
			b->found = jv_array_append(b->found, inbox_line(conv, jv_copy(r)));
		jv_free(r);
	}
	jv_free(replies);
	jv_free(conv);
	return 0;
}

static void
inbox_print(jv l, int table)
{
	char at[24], name[80], phone[24], body[400];
	int64_t t = conv_time(l, "at");

	if (!table) {
		json_print(l);
		return;
	}
	when(t, at, sizeof at);
	clip(json_str(l, "name"), 18, name, sizeof name);
	masked(json_str(l, "phone"), phone, sizeof phone);
	clip(json_str(l, "body"), 300, body, sizeof body);
	printf("%-16s  %-7s  %-18s  %-15s  %s  \"%s\"\n", at, json_str(l, "intent"), name, phone,
	    json_str(l, "id") ? json_str(l, "id") : "-", body);
	jv_free(l);
}

/* inbox [--since time] [-t]: newest first; since a day ago by default. */
int
cmd_inbox(struct store *st, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "since", required_argument, NULL, 'S' }, { NULL, 0, NULL, 0 }
	};
	struct inbox b = { .st = st, .since = clock_now() - 86400 };
	int c, i, n, rc, table = 0;
	jv sorted;

	optind = 1;
	while ((c = getopt_long(argc, argv, "t", longs, NULL)) != -1) {
		if (c == 't')
			table = 1;
		else if (c != 'S' || option_time("since", optarg, &b.since) != 0)
			usage(EXIT_USAGE);
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	if ((rc = store_read_begin(st, &b.txn)) != 0)
		return store_fatal(rc, "read");
	b.found = jv_array();
	rc = store_each(st, b.txn, STORE_CONVS, inbox_conv, &b);
	store_read_end(st, b.txn);
	if (rc != 0) {
		jv_free(b.found);
		return store_fatal(rc, "inbox");
	}
	/* newest first: sorted by time, then walked from the end */
	sorted = jv_sort(b.found, jv_copy(b.found));
	n = jv_array_length(jv_copy(sorted));
	if (table && n > 0)
		printf("%-16s  %-7s  %-18s  %-15s  %s  %s\n", "AT", "INTENT", "NAME", "PHONE", "ID",
		    "REPLY");
	for (i = n - 1; i >= 0; i--)
		inbox_print(jv_array_get(jv_copy(sorted), i), table);
	jv_free(sorted);
	return 0;
}
