/*
 * conv.c: the conversation object and its state machine, on jv values
 * only (store.c keeps them).  Statuses are those of calsms(7); a claim
 * ({kind, at, status}) marks a message handed to the sender whose outcome
 * is not recorded yet.
 */
#include <string.h>

#include "calsms.h"
#include "store.h"

static const char *live[] = { "pending", "awaiting_reply", "followed_up",
    "replied", "uncertain", NULL };

static int
in(const char *s, const char **set)
{
	for (; s && *set; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* Still about an appointment that may happen: replies attach to these. */
int
conv_live(const char *status)
{
	return in(status, live);
}

/* May be texted: live, and not waiting for an operator's word. */
int
conv_sendable(const char *status)
{
	return in(status, live) && strcmp(status, "uncertain") != 0;
}

const char *
conv_str(jv conv, const char *key)
{
	return json_str(conv, key);
}

int64_t
conv_time(jv conv, const char *key)
{
	int64_t t;

	return rfc3339_parse(json_str(conv, key), &t) == 0 ? t : 0;
}

int64_t
conv_start(jv conv)
{
	jv a = json_get(conv, "appointment");
	int64_t t = conv_time(a, "start_time");

	jv_free(a);
	return t;
}

/* When the first message of kind was sent, or 0. */
int64_t
conv_sent_at(jv conv, const char *kind)
{
	jv msgs = json_get(conv, "messages"), m;
	int i, n = jv_get_kind(msgs) == JV_KIND_ARRAY ? jv_array_length(jv_copy(msgs)) : 0;
	int64_t t = 0;
	const char *k, *s;

	for (i = 0; i < n && t == 0; i++) {
		m = jv_array_get(jv_copy(msgs), i);
		k = json_str(m, "kind");
		s = json_str(m, "status");
		if (k && s && strcmp(k, kind) == 0 && strcmp(s, "sent") == 0)
			t = conv_time(m, "at");
		jv_free(m);
	}
	jv_free(msgs);
	return t;
}

int
conv_has_message(jv conv, const char *kind, const char *pid)
{
	jv msgs = json_get(conv, "messages"), m;
	int i, n = jv_get_kind(msgs) == JV_KIND_ARRAY ? jv_array_length(jv_copy(msgs)) : 0;
	int found = 0;
	const char *k, *p;

	for (i = 0; i < n && !found; i++) {
		m = jv_array_get(jv_copy(msgs), i);
		k = json_str(m, "kind");
		p = json_str(m, "provider_id");
		found = k && p && pid && strcmp(k, kind) == 0 && strcmp(p, pid) == 0;
		jv_free(m);
	}
	jv_free(msgs);
	return found;
}

int
conv_has_reply(jv conv)
{
	jv r = json_get(conv, "replies");
	int n = jv_get_kind(r) == JV_KIND_ARRAY ? jv_array_length(jv_copy(r)) : 0;

	jv_free(r);
	return n > 0;
}

jv
conv_append(jv conv, const char *list, jv item)
{
	jv arr = json_get(conv, list);

	if (jv_get_kind(arr) != JV_KIND_ARRAY) {
		jv_free(arr);
		arr = jv_array();
	}
	return jv_object_set(conv, jv_string(list), jv_array_append(arr, item));
}

static jv
touch(jv conv, int64_t now)
{
	return jv_object_set(conv, jv_string("updated_at"), rfc3339_jv(now));
}

/* A new conversation for a booking. Consumes appt. */
jv
conv_new(jv appt, int opted_out, int64_t now, int expire_days)
{
	jv c = jv_object(), phone = json_get(appt, "phone");
	int64_t base = conv_time(appt, "end_time");
	const char *status;

	if (base == 0)
		base = conv_time(appt, "start_time");
	if (base == 0)
		base = now;
	status = jv_get_kind(phone) != JV_KIND_STRING ? "no_phone" :
	    opted_out ? "opted_out" : "pending";
	c = jv_object_set(c, jv_string("id"), json_get(appt, "id"));
	c = jv_object_set(c, jv_string("phone"), phone);
	c = jv_object_set(c, jv_string("status"), jv_string(status));
	c = jv_object_set(c, jv_string("appointment"), appt);
	c = jv_object_set(c, jv_string("messages"), jv_array());
	c = jv_object_set(c, jv_string("replies"), jv_array());
	c = jv_object_set(c, jv_string("claim"), jv_null());
	c = jv_object_set(c, jv_string("retry_at"), jv_null());
	c = jv_object_set(c, jv_string("reminder"), jv_null());
	c = jv_object_set(c, jv_string("created_at"), rfc3339_jv(now));
	c = jv_object_set(c, jv_string("updated_at"), rfc3339_jv(now));
	return jv_object_set(c, jv_string("expires_at"),
	    rfc3339_jv(base + (int64_t)expire_days * 86400));
}

jv
conv_set_status(jv conv, const char *status, int64_t now)
{
	return touch(jv_object_set(conv, jv_string("status"), jv_string(status)), now);
}

/* Marks kind as handed to the sender; its index keys go with it. */
jv
conv_claim(jv conv, const char *kind, int64_t now)
{
	jv claim = jv_object();
	const char *status = conv_str(conv, "status");

	claim = jv_object_set(claim, jv_string("kind"), jv_string(kind));
	claim = jv_object_set(claim, jv_string("at"), rfc3339_jv(now));
	claim = jv_object_set(claim, jv_string("status"), jv_string(status ? status : "pending"));
	return touch(jv_object_set(conv, jv_string("claim"), claim), now);
}

/* Drops the claim; the item is due again at retry_at (0: at once). */
jv
conv_release(jv conv, int64_t retry_at, int64_t now)
{
	conv = jv_object_set(conv, jv_string("claim"), jv_null());
	conv = jv_object_set(conv, jv_string("retry_at"),
	    retry_at > 0 ? rfc3339_jv(retry_at) : jv_null());
	return touch(conv, now);
}
