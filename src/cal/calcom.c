/*
 * calcom.c: a Cal.com booking webhook becomes the same appointment line
 * as Calendly's (calsms(7)), with source "calcom".  Written from Cal.com's
 * documented payload: triggerEvent, createdAt, and payload with uid,
 * rescheduleUid, startTime, endTime, attendees, organizer, responses,
 * location, eventTitle, type (the event type's slug), eventTypeId,
 * smsReminderNumber, cancellationReason.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "calsms.h"
#include "calendly.h"

struct found {
	char e164[17], raw[128];
	const char *source;
};

static int
try_number(const char *text, const char *source, struct found *f)
{
	if (text == NULL || *text == '\0')
		return 0;
	if (phone_e164(text, default_country(), f->e164) == 0) {
		f->source = source;
		return 1;
	}
	note("%s is not a usable phone number; ignored", source);
	if (f->raw[0] == '\0')
		snprintf(f->raw, sizeof f->raw, "%s", text);
	return 0;
}

/* responses.NAME.value, when it is a string */
static const char *
response(jv responses, const char *name, jv *keep)
{
	jv r = json_get(responses, name);

	*keep = json_get(r, "value");
	jv_free(r);
	return jv_get_kind(*keep) == JV_KIND_STRING ? jv_string_value(*keep) : NULL;
}

/* The attendee's phone, in the order the issue names its sources. */
static void
find_phone(jv p, jv attendee, struct found *f)
{
	jv responses = json_get(p, "responses"), v1 = jv_null(), loc, lv;
	const char *where;
	int found;

	found = try_number(json_str(attendee, "phoneNumber"), "attendee", f) ||
	    try_number(response(responses, "attendeePhoneNumber", &v1), "responses", f);
	loc = json_get(responses, "location");
	lv = json_path(loc, "value", NULL);
	where = json_str(lv, "value");
	if (!found && where && (strcmp(where, "phone") == 0 || strstr(where, "Phone")))
		found = try_number(json_str(lv, "optionValue"), "location", f);
	if (!found)
		try_number(json_str(p, "smsReminderNumber"), "sms_reminder_number", f);
	jv_free(v1);
	jv_free(lv);
	jv_free(loc);
	jv_free(responses);
}

static jv
time_of(jv p, const char *key, int64_t *t)
{
	const char *s = json_str(p, key);

	if (s == NULL || rfc3339_parse(s, t) != 0)
		return jv_null();
	return rfc3339_jv(*t);
}

/* [{question, answer}] from responses whose value is text, in the order sent; guests' emails */
static jv
answers_of(jv responses, jv *guests)
{
	jv out = jv_array(), r, v, label, k;
	const char *name;
	int it, j, m;

	*guests = jv_array();
	if (jv_get_kind(responses) != JV_KIND_OBJECT)
		return out;
	for (it = jv_object_iter(responses); jv_object_iter_valid(responses, it);
	    it = jv_object_iter_next(responses, it)) {
		k = jv_object_iter_key(responses, it);
		r = jv_object_iter_value(responses, it);
		name = jv_string_value(k);
		v = json_get(r, "value");
		label = json_get(r, "label");
		if (strcmp(name, "guests") == 0 && jv_get_kind(v) == JV_KIND_ARRAY) {
			m = jv_array_length(jv_copy(v));
			for (j = 0; j < m; j++)
				*guests = jv_array_append(*guests, json_str_or_null(jv_array_get(jv_copy(v), j)));
		} else if (jv_get_kind(v) == JV_KIND_STRING && strcmp(name, "name") != 0 &&
		    strcmp(name, "email") != 0)
			out = jv_array_append(out, jv_object_set(jv_object_set(jv_object(),
			    jv_string("question"), jv_get_kind(label) == JV_KIND_STRING ?
			    jv_copy(label) : jv_copy(k)), jv_string("answer"), jv_copy(v)));
		jv_free(label);
		jv_free(v);
		jv_free(r);
		jv_free(k);
	}
	return out;
}

static jv
first_word(const char *name)
{
	size_t n;

	if (name == NULL)
		return jv_null();
	while (isspace((unsigned char)*name))
		name++;
	n = strcspn(name, " \t");
	return n ? jv_string_sized(name, (int)n) : jv_null();
}

static jv
set(jv o, const char *k, jv v)
{
	return jv_object_set(o, jv_string(k), v);
}

jv
calcom_appointment(jv p, int cancel)
{
	jv a = jv_object(), atts = json_get(p, "attendees"), att, org = json_get(p, "organizer");
	jv responses = json_get(p, "responses"), guests, loc, lv;
	struct found f = { .source = NULL };
	const char *tz, *uid = json_str(p, "uid"), *old = json_str(p, "rescheduleUid");
	int64_t start = 0, end;
	char local[96], type[32];

	att = jv_get_kind(atts) == JV_KIND_ARRAY && jv_array_length(jv_copy(atts)) > 0 ?
	    jv_array_get(jv_copy(atts), 0) : jv_object();
	tz = json_str(att, "timeZone");
	find_phone(p, att, &f);
	a = set(a, "type", jv_string(cancel ? "cancel" : "booking"));
	a = set(a, "id", uid ? jv_string(uid) : jv_null());
	a = set(a, "invitee_uri", jv_null());
	a = set(a, "event_uri", jv_null());
	a = set(a, "name", json_str_or_null(json_get(att, "name")));
	a = set(a, "first_name", first_word(json_str(att, "name")));
	a = set(a, "email", json_str_or_null(json_get(att, "email")));
	a = set(a, "phone", f.source ? jv_string(f.e164) : jv_null());
	a = set(a, "phone_source", f.source ? jv_string(f.source) : jv_null());
	a = set(a, "phone_raw", !f.source && f.raw[0] ? jv_string(f.raw) : jv_null());
	a = set(a, "timezone", tz ? jv_string(tz) : jv_null());
	a = set(a, "event_name", json_str(p, "eventTitle") ? json_get(p, "eventTitle") :
	    json_str_or_null(json_get(p, "title")));
	a = set(a, "start_time", time_of(p, "startTime", &start));
	a = set(a, "end_time", time_of(p, "endTime", &end));
	if (start && local_time_format(start, tz, local, sizeof local) != 0)
		note("unknown time zone \"%.64s\"; start_local is in UTC", tz ? tz : "");
	a = set(a, "start_local", start ? jv_string(local) : jv_null());
	a = set(a, "start_parts", start ? local_parts(start, tz) : jv_null());
	a = set(a, "cancel_url", jv_null());
	a = set(a, "reschedule_url", jv_null());
	a = set(a, "old_id", !cancel && old ? jv_string(old) : jv_null());
	a = set(a, "new_id", jv_null());
	a = set(a, "rescheduled", jv_false());
	a = set(a, "reason", json_str_or_null(json_get(p, json_str(p, "rejectionReason") ?
	    "rejectionReason" : "cancellationReason")));
	a = set(a, "source", jv_string("calcom"));
	snprintf(type, sizeof type, "%.0f", json_num(p, "eventTypeId"));
	a = set(a, "event_type", json_kind(p, "eventTypeId") == JV_KIND_NUMBER ?
	    jv_string(type) : jv_null());
	a = set(a, "event_slug", slug_of(json_str(p, "type")));
	loc = json_get(responses, "location");
	lv = json_path(loc, "value", NULL);
	a = set(a, "location", json_str(p, "location") ? set(set(jv_object(), "type",
	    json_str(lv, "value") ? json_get(lv, "value") : jv_string("text")), "text",
	    json_get(p, "location")) : jv_null());
	a = set(a, "host", jv_get_kind(org) == JV_KIND_OBJECT ? set(set(jv_object(), "name",
	    json_str_or_null(json_get(org, "name"))), "email",
	    json_str_or_null(json_get(org, "email"))) : jv_null());
	a = set(a, "answers", answers_of(responses, &guests));
	a = set(a, "guests", guests);
	a = set(a, "received_at", rfc3339_jv(clock_now()));
	jv_free(lv);
	jv_free(loc);
	jv_free(responses);
	jv_free(org);
	jv_free(att);
	jv_free(atts);
	return a;
}
