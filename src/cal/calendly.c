/*
 * calendly.c: an invitee, as Calendly's webhook or API gives it, becomes
 * the appointment line (calsms(7)).  cal-parse and cal-sync both write
 * their lines here, so a backfilled booking is the same line as the
 * webhook's.
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "calsms.h"
#include "calendly.h"

/* The last path segment of a URI: the id Calendly gives an invitee. */
static jv
uri_id(jv uri)
{
	const char *s, *slash;
	jv id;

	if (jv_get_kind(uri) != JV_KIND_STRING) {
		jv_free(uri);
		return jv_null();
	}
	s = jv_string_value(uri);
	slash = strrchr(s, '/');
	id = slash && slash[1] ? jv_string(slash + 1) : (*s && !slash ?
	    jv_string(s) : jv_null());
	jv_free(uri);
	return id;
}

struct phone_found {
	char e164[17];
	const char *source;
	char raw[128];	/* the first text that was not a usable number */
};

static int
try_phone(jv v, const char *source, struct phone_found *pf)
{
	int ok = 0;

	if (jv_get_kind(v) == JV_KIND_STRING) {
		ok = phone_e164(jv_string_value(v), default_country(), pf->e164) == 0;
		if (ok)
			pf->source = source;
		else if (*jv_string_value(v)) {
			note("%s is not a usable phone number; ignored", source);
			if (pf->raw[0] == '\0')
				snprintf(pf->raw, sizeof pf->raw, "%s", jv_string_value(v));
		}
	}
	jv_free(v);
	return ok;
}

int
question_compile(struct question *q)
{
	if (!q->compiled && regcomp(&q->re, q->pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB) == 0)
		q->compiled = 1;
	return q->compiled ? 0 : -1;
}

void
question_free(struct question *q)
{
	if (q->compiled)
		regfree(&q->re);
	q->compiled = 0;
}

static int
find_phone(jv p, struct question *question, struct phone_found *pf)
{
	jv loc = json_path(p, "scheduled_event", "location", NULL), qa, item;
	const char *type = json_str(loc, "type"), *q;
	int i, n, found = 0;

	if (try_phone(json_get(p, "text_reminder_number"),
	    "text_reminder_number", pf))
		found = 1;
	else if (type && strcmp(type, "outbound_call") == 0 &&
	    try_phone(json_get(loc, "location"), "outbound_call", pf))
		found = 1;
	jv_free(loc);
	if (found)
		return 1;
	qa = json_get(p, "questions_and_answers");
	n = jv_get_kind(qa) == JV_KIND_ARRAY ? jv_array_length(jv_copy(qa)) : 0;
	for (i = 0; i < n && !found; i++) {
		item = jv_array_get(jv_copy(qa), i);
		q = json_str(item, "question");
		if (q && question_compile(question) == 0 &&
		    regexec(&question->re, q, 0, NULL, 0) == 0)
			found = try_phone(json_get(item, "answer"), "question", pf);
		jv_free(item);
	}
	jv_free(qa);
	return found;
}

/* Calendly sends null first names when the form asks for a full name. */
static jv
first_name(jv p)
{
	jv first = json_str_or_null(json_get(p, "first_name"));
	const char *name = json_str(p, "name");
	size_t n;

	if (jv_get_kind(first) == JV_KIND_STRING || name == NULL)
		return first;
	jv_free(first);
	while (isspace((unsigned char)*name))
		name++;
	n = strcspn(name, " \t");
	return n ? jv_string_sized(name, (int)n) : jv_null();
}

static jv
time_field(jv se, const char *key, int64_t *t)
{
	const char *s = json_str(se, key);

	if (s == NULL)
		return jv_null();
	if (rfc3339_parse(s, t) != 0) {
		note("scheduled_event.%s is not an RFC 3339 time; ignored", key);
		return jv_null();
	}
	return rfc3339_jv(*t);
}

/* A name a file can carry: lower case letters, digits and single dashes. */
jv
slug_of(const char *name)
{
	char out[64];
	size_t n = 0;
	int dash = 0;

	for (; name && *name && n < sizeof out - 1; name++) {
		unsigned char c = (unsigned char)*name;

		if (isalnum(c) && c < 128) {
			if (dash && n > 0)
				out[n++] = '-';
			if (n < sizeof out - 1)
				out[n++] = (char)tolower(c);
			dash = 0;
		} else
			dash = 1;
	}
	out[n] = '\0';
	return n ? jv_string(out) : jv_null();
}

/* {type, text}: the address, the join URL or the phone text, as Calendly gives it. */
static jv
location_of(jv se)
{
	jv loc = json_get(se, "location"), out;
	const char *type = json_str(loc, "type"), *text = json_str(loc, "location");

	if (jv_get_kind(loc) != JV_KIND_OBJECT || type == NULL) {
		jv_free(loc);
		return jv_null();
	}
	if (text == NULL)
		text = json_str(loc, "join_url");
	out = jv_object_set(jv_object(), jv_string("type"), jv_string(type));
	out = jv_object_set(out, jv_string("text"), text ? jv_string(text) : jv_null());
	jv_free(loc);
	return out;
}

/* The first event membership: {name, email}. */
static jv
host_of(jv se)
{
	jv m = json_get(se, "event_memberships"), first, out = jv_null();

	if (jv_get_kind(m) == JV_KIND_ARRAY && jv_array_length(jv_copy(m)) > 0) {
		first = jv_array_get(jv_copy(m), 0);
		out = jv_object_set(jv_object(), jv_string("name"),
		    json_str_or_null(json_get(first, "user_name")));
		out = jv_object_set(out, jv_string("email"),
		    json_str_or_null(json_get(first, "user_email")));
		jv_free(first);
	}
	jv_free(m);
	return out;
}

/* [{question, answer}] in the order asked, and the guests' emails. */
static jv
list_of(jv arr, const char *k1, const char *k2)
{
	jv out = jv_array(), item, one;
	int i, n = jv_get_kind(arr) == JV_KIND_ARRAY ? jv_array_length(jv_copy(arr)) : 0;

	for (i = 0; i < n; i++) {
		item = jv_array_get(jv_copy(arr), i);
		if (k2 == NULL)
			one = json_str_or_null(json_get(item, k1));
		else
			one = jv_object_set(jv_object_set(jv_object(), jv_string(k1),
			    json_str_or_null(json_get(item, k1))), jv_string(k2),
			    json_str_or_null(json_get(item, k2)));
		out = jv_array_append(out, one);
		jv_free(item);
	}
	jv_free(arr);
	return out;
}

jv
calendly_appointment(jv p, int cancel, struct question *question)
{
	jv a = jv_object(), se = json_get(p, "scheduled_event");
	jv start, cancellation = json_get(p, "cancellation");
	struct phone_found pf = { 0 };
	const char *tz = json_str(p, "timezone");
	char local[96];
	int64_t t = 0, t2;
	jv resched = json_get(p, "rescheduled");

	a = jv_object_set(a, jv_string("type"), jv_string(cancel ? "cancel" : "booking"));
	a = jv_object_set(a, jv_string("id"), uri_id(json_get(p, "uri")));
	a = jv_object_set(a, jv_string("invitee_uri"), json_str_or_null(json_get(p, "uri")));
	a = jv_object_set(a, jv_string("event_uri"), json_str_or_null(
	    json_str(se, "uri") ? json_get(se, "uri") : json_get(p, "event")));
	a = jv_object_set(a, jv_string("name"), json_str_or_null(json_get(p, "name")));
	a = jv_object_set(a, jv_string("first_name"), first_name(p));
	a = jv_object_set(a, jv_string("email"), json_str_or_null(json_get(p, "email")));
	if (find_phone(p, question, &pf)) {
		a = jv_object_set(a, jv_string("phone"), jv_string(pf.e164));
		a = jv_object_set(a, jv_string("phone_source"), jv_string(pf.source));
	} else {
		a = jv_object_set(a, jv_string("phone"), jv_null());
		a = jv_object_set(a, jv_string("phone_source"), jv_null());
	}
	/* what the customer typed, when it could not be used: for set-phone */
	a = jv_object_set(a, jv_string("phone_raw"),
	    pf.raw[0] && json_kind(a, "phone") == JV_KIND_NULL ?
	    jv_string(pf.raw) : jv_null());
	a = jv_object_set(a, jv_string("timezone"), tz ? jv_string(tz) : jv_null());
	a = jv_object_set(a, jv_string("event_name"), json_str_or_null(json_get(se, "name")));
	start = time_field(se, "start_time", &t);
	a = jv_object_set(a, jv_string("start_time"), jv_copy(start));
	a = jv_object_set(a, jv_string("end_time"), time_field(se, "end_time", &t2));
	if (jv_get_kind(start) == JV_KIND_STRING) {
		if (local_time_format(t, tz, local, sizeof local))
			note("unknown time zone \"%.64s\"; start_local is in UTC",
			    tz ? tz : "");
		a = jv_object_set(a, jv_string("start_local"), jv_string(local));
		a = jv_object_set(a, jv_string("start_parts"), local_parts(t, tz));
	} else {
		a = jv_object_set(a, jv_string("start_local"), jv_null());
		a = jv_object_set(a, jv_string("start_parts"), jv_null());
	}
	jv_free(start);
	a = jv_object_set(a, jv_string("cancel_url"), json_str_or_null(json_get(p, "cancel_url")));
	a = jv_object_set(a, jv_string("reschedule_url"), json_str_or_null(json_get(p, "reschedule_url")));
	a = jv_object_set(a, jv_string("old_id"), uri_id(json_get(p, "old_invitee")));
	a = jv_object_set(a, jv_string("new_id"), uri_id(json_get(p, "new_invitee")));
	a = jv_object_set(a, jv_string("rescheduled"),
	    jv_bool(jv_get_kind(resched) == JV_KIND_TRUE));
	a = jv_object_set(a, jv_string("reason"),
	    json_str_or_null(json_get(cancellation, "reason")));
	a = jv_object_set(a, jv_string("source"), jv_string("calendly"));
	a = jv_object_set(a, jv_string("event_type"), json_str_or_null(json_get(se, "event_type")));
	a = jv_object_set(a, jv_string("event_slug"), slug_of(json_str(se, "name")));
	a = jv_object_set(a, jv_string("location"), location_of(se));
	a = jv_object_set(a, jv_string("host"), host_of(se));
	a = jv_object_set(a, jv_string("answers"),
	    list_of(json_get(p, "questions_and_answers"), "question", "answer"));
	a = jv_object_set(a, jv_string("guests"), list_of(json_get(se, "event_guests"), "email", NULL));
	a = jv_object_set(a, jv_string("received_at"), rfc3339_jv(clock_now()));
	jv_free(resched);
	jv_free(cancellation);
	jv_free(se);
	return a;
}

