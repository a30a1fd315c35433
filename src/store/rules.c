/*
 * rules.c: the rules of a conversation, in one place (src/store/: this
 * file, results.c, due.c, operator.c, intent.c).
 *
 * Every event that can happen to a conversation is one function, from
 * (conversation, event, now) to the next conversation: a booking, a
 * cancel, either half of a reschedule (here); a claim and its release, a
 * send result, a lapsed lease, an operator's resolve, a receipt, a reply,
 * an opt-out (results.c); what is due and the sender's last look (due.c);
 * the operator's hand and a restore (operator.c); what a reply means
 * (intent.c).  The moments after the confirmation (reminder, cancel
 * notice, after the appointment) each keep one field that says whether
 * they are still to come.  Nothing here touches the store or does I/O:
 * the clock is passed in, and so is the zone lookup for quiet hours.
 * store.c keeps what these return, conv-store and follow-up-due say which
 * event happened.  rule_table is the table of transitions calsms(7)
 * prints; tests/unit/rules-test.c checks every row against these
 * functions, and the due table beside it.
 */
#include <ctype.h>
#include <string.h>

#include "calsms.h"
#include "rules.h"
#include "rules-impl.h"

const char *const conv_statuses[] = { "pending", "awaiting_reply", "followed_up",
    "replied", "canceled", "opted_out", "no_phone", "failed", "uncertain", NULL };

static const char *const live[] = { "pending", "awaiting_reply", "followed_up",
    "replied", "uncertain", NULL };

const struct transition rule_table[] = {
	{ "booking", "-", "pending" },
	{ "booking without a phone", "-", "no_phone" },
	{ "booking from an opted-out number", "-", "opted_out" },
	{ "booking again", "pending", "pending" },
	{ "cancel", "pending", "canceled" },
	{ "cancel", "awaiting_reply", "canceled" },
	{ "cancel", "followed_up", "canceled" },
	{ "cancel", "replied", "canceled" },
	{ "cancel", "uncertain", "canceled" },
	{ "cancel", "failed", "canceled" },
	{ "cancel before its booking", "-", "canceled" },
	{ "rescheduled away", "awaiting_reply", "canceled" },
	{ "rescheduled away before its booking", "-", "canceled" },
	{ "sent confirm", "pending", "awaiting_reply" },
	{ "sent followup", "awaiting_reply", "followed_up" },
	{ "sent reminder", "awaiting_reply", "awaiting_reply" },
	{ "sent reminder", "replied", "replied" },
	{ "sent rescheduled", "pending", "awaiting_reply" },
	{ "sent canceled", "canceled", "canceled" },
	{ "sent after", "replied", "replied" },
	{ "after failed for good", "replied", "replied" },
	{ "after off for its event type", "awaiting_reply", "awaiting_reply" },
	{ "failed for good", "pending", "failed" },
	{ "failed for good", "awaiting_reply", "failed" },
	{ "unsubscribed at the provider", "pending", "opted_out" },
	{ "failed for now, or skipped", "pending", "pending" },
	{ "texts off for its event type", "pending", "pending" },
	{ "outcome unknown", "pending", "pending" },
	{ "result for a kind never claimed", "awaiting_reply", "refused" },
	{ "sent confirm, after the lease lapsed", "uncertain", "awaiting_reply" },
	{ "lease lapses", "pending", "uncertain" },
	{ "lease lapses", "awaiting_reply", "uncertain" },
	{ "lease lapses", "canceled", "refused" },
	{ "lease lapses on a cancel notice", "canceled", "uncertain" },
	{ "lease lapses, canceled while unknown", "canceled", "canceled" },
	{ "sent confirm, a reply while unknown", "pending", "replied" },
	{ "not due at the last look", "opted_out", "opted_out" },
	{ "resolve sent, a cancel notice", "uncertain", "canceled" },
	{ "resolve sent", "uncertain", "awaiting_reply" },
	{ "resolve unsent", "uncertain", "pending" },
	{ "resolve", "pending", "refused" },
	{ "reply", "awaiting_reply", "replied" },
	{ "reply", "followed_up", "replied" },
	{ "reply", "pending", "pending" },
	{ "reply", "canceled", "canceled" },
	{ "reply STOP", "awaiting_reply", "opted_out" },
	{ "reply START", "opted_out", "opted_out" },
	{ "reply HELP", "awaiting_reply", "awaiting_reply" },
	{ "sent help", "awaiting_reply", "awaiting_reply" },
	{ "opt-out", "pending", "opted_out" },
	{ "opt-out", "replied", "opted_out" },
	{ "opt-out", "canceled", "canceled" },
	{ "due, number opted out", "pending", "opted_out" },
	{ "due, appointment started", "pending", "pending" },
	{ "due canceled, appointment started", "canceled", "canceled" },
	{ "due after, the customer declined", "replied", "replied" },
	{ "due", "pending", "pending" },
	{ "receipt", "awaiting_reply", "awaiting_reply" },
	{ "receipt for no message of it", "awaiting_reply", "refused" },
	{ "restore of an older copy", "awaiting_reply", "awaiting_reply" },
	{ "restore of a copy that looks newer", "canceled", "canceled" },
	{ "retry", "failed", "pending" },
	{ "retry", "uncertain", "pending" },
	{ "retry, a reply before the failure", "failed", "replied" },
	{ "retry, waiting out a back-off", "pending", "pending" },
	{ "retry", "canceled", "refused" },
	{ "retry", "replied", "refused" },
	{ "set-phone", "no_phone", "pending" },
	{ "set-phone to an opted-out number", "no_phone", "opted_out" },
	{ "note", "awaiting_reply", "awaiting_reply" },
	{ "stop", "awaiting_reply", "awaiting_reply" },
	{ "send", "replied", "replied" },
	{ "send", "opted_out", "refused" },
	{ "sent manual", "replied", "replied" },
	{ NULL, NULL, NULL }
};

int
conv_known(const char *status)
{
	return str_listed(status, conv_statuses);
}

/* Still about an appointment that may happen: replies attach to these. */
int
conv_live(const char *status)
{
	return str_listed(status, live);
}

/* May be texted: live, and not waiting for an operator's word. */
int
conv_sendable(const char *status)
{
	return str_listed(status, live) && strcmp(status, "uncertain") != 0;
}

int
conv_is(jv conv, const char *key, const char *value)
{
	const char *s = json_str(conv, key);

	return s && strcmp(s, value) == 0;
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

int
conv_count(jv conv, const char *list)
{
	jv a = json_get(conv, list);
	int n = jv_get_kind(a) == JV_KIND_ARRAY ? jv_array_length(jv_copy(a)) : 0;

	jv_free(a);
	return n;
}

/*
 * The index of the first item of list whose key is value (any value when
 * NULL) and, when kind is not NULL, whose kind is kind; -1 if none.
 */
int
conv_find(jv conv, const char *list, const char *key, const char *value,
    const char *kind)
{
	jv a = json_get(conv, list), x;
	int i, n = conv_count(conv, list), found = -1;

	for (i = 0; i < n && found < 0; i++) {
		x = jv_array_get(jv_copy(a), i);
		if ((kind == NULL || conv_is(x, "kind", kind)) &&
		    (key == NULL || (value ? conv_is(x, key, value) : json_str(x, key) != NULL)))
			found = i;
		jv_free(x);
	}
	jv_free(a);
	return found;
}

/* When the first message of kind was sent, or 0. */
int64_t
conv_sent_at(jv conv, const char *kind)
{
	int i = conv_find(conv, "messages", "status", "sent", kind);
	jv m;
	int64_t t;

	if (i < 0)
		return 0;
	m = jv_array_get(json_get(conv, "messages"), i);
	t = conv_time(m, "at");
	jv_free(m);
	return t;
}

/* Whether a message of kind confirms the booking: plain, or its reschedule. */
int
kind_confirms(const char *kind)
{
	const struct kind_info *k = kind_named(kind);

	return k && k->confirms;
}

/* When the booking's confirmation, of either kind, was first sent, or 0. */
int64_t
conv_confirmed_at(jv conv)
{
	int64_t a = conv_sent_at(conv, "confirm"), b = conv_sent_at(conv, "rescheduled");

	return a && b ? (a < b ? a : b) : a ? a : b;
}

/*
 * WhatsApp lets a business write free text only inside the customer's
 * 24-hour window: as the answer to a HELP, or a front desk's message
 * (manual) within 24 hours of the customer's last message.  Everything
 * the business starts goes as an approved template.
 */
int
whatsapp_freeform_ok(jv line, int64_t now)
{
	const char *due = json_str(line, "due");
	jv replies = json_get(line, "replies"), last;
	int n = conv_count(line, "replies"), ok = 0;

	if (kind_is(due, KIND_HELP))
		ok = 1;
	else if (kind_is(due, KIND_MANUAL) && n > 0) {
		last = jv_array_get(jv_copy(replies), n - 1);
		ok = conv_time(last, "at") > now - 24 * 3600;
		jv_free(last);
	}
	jv_free(replies);
	return ok;
}

/* The confirmation's kind: "rescheduled" for a booking moved from another. */
const char *
conv_confirm_kind(jv conv)
{
	jv a = json_get(conv, "appointment");
	const char *old = json_str(a, "old_id");
	int moved = old && *old;

	jv_free(a);
	return moved ? "rescheduled" : "confirm";
}

/* When the appointment ends (its start when no end is given), or 0. */
int64_t
conv_end(jv conv)
{
	jv a = json_get(conv, "appointment");
	int64_t t = conv_time(a, "end_time");

	jv_free(a);
	return t ? t : conv_start(conv);
}

/*
 * The field that says what became of a moment that is sent at most once:
 * "due" while it is to come, then "sent", "failed", "skipped" or "off".
 */
const char *
conv_moment_field(const char *kind)
{
	const struct kind_info *k = kind_named(kind);

	return k ? k->field : NULL;
}

/*
 * Whether a moment sent at most once after the confirmation, "canceled"
 * or "after", is still to come: the store indexes it, follow-up-due
 * claims it.  A cancel notice is for a canceled conversation with a
 * phone, the moment after the appointment for one whose confirmation went.
 */
int
conv_moment_due(jv conv, const char *kind)
{
	static const char *const confirmed[] = { "awaiting_reply", "followed_up", "replied", NULL };
	const char *status = conv_str(conv, "status"), *field = conv_moment_field(kind);

	if (status == NULL || field == NULL || !conv_is(conv, field, "due"))
		return 0;
	if (strcmp(kind, "canceled") == 0)
		return strcmp(status, "canceled") == 0 && conv_str(conv, "phone") != NULL;
	return strcmp(kind, "after") == 0 && str_listed(status, confirmed);
}

/* A claim that lapses into uncertain: a sendable one's, or a cancel notice's. */
int
conv_claim_lapses(jv conv)
{
	jv claim = json_get(conv, "claim");
	const char *status = conv_str(conv, "status"), *kind = json_str(claim, "kind");
	int lapses = jv_get_kind(claim) == JV_KIND_OBJECT && status &&
	    (conv_sendable(status) || (strcmp(status, "canceled") == 0 &&
	    kind && (strcmp(kind, "canceled") == 0 || conv_is(conv, "cancel_notice", "due"))));

	jv_free(claim);
	return lapses;
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

jv
conv_touch(jv conv, int64_t now)
{
	return jv_object_set(conv, jv_string("updated_at"), rfc3339_jv(now));
}

jv
conv_set_status(jv conv, const char *status, int64_t now)
{
	return conv_touch(jv_object_set(conv, jv_string("status"), jv_string(status)), now);
}

jv
conv_set(jv conv, const char *key, jv value)
{
	return jv_object_set(conv, jv_string(key), value);
}

jv
conv_refuse(jv conv, const char *why)
{
	jv_free(conv);
	return jv_invalid_with_msg(jv_string(why));
}

/* ---- bookings, cancels, reschedules ---- */

static jv
conv_new(jv appt, const char *status, int64_t now, int expire_days)
{
	jv c = jv_object();
	int64_t base = conv_time(appt, "end_time");

	if (base == 0)
		base = conv_time(appt, "start_time");
	if (base == 0)
		base = now;
	c = conv_set(c, "id", json_get(appt, "id"));
	c = conv_set(c, "phone", json_str_or_null(json_get(appt, "phone")));
	c = conv_set(c, "status", jv_string(status));
	c = conv_set(c, "appointment", appt);
	c = conv_set(c, "messages", jv_array());
	c = conv_set(c, "replies", jv_array());
	c = conv_set(c, "claim", jv_null());
	c = conv_set(c, "retry_at", jv_null());
	c = conv_set(c, "reminder", jv_null());
	c = conv_set(c, "created_at", rfc3339_jv(now));
	c = conv_set(c, "updated_at", rfc3339_jv(now));
	return conv_set(c, "expires_at", rfc3339_jv(base + (int64_t)expire_days * 86400));
}

/* A new conversation for a booking. Consumes appt. */
jv
rule_booking(jv appt, int opted_out, int64_t now, int expire_days)
{
	const char *status = json_kind(appt, "phone") != JV_KIND_STRING ? "no_phone" :
	    opted_out ? "opted_out" : "pending";
	jv c = conv_new(appt, status, now, expire_days);
	int64_t start = conv_start(c);

	if (strcmp(status, "pending") == 0 && start > 0 && start <= now)
		c = conv_set(c, "skip", jv_string("started"));	/* too late to text */
	return c;
}

static jv
cancel_info(jv appt, int64_t now)
{
	jv info = jv_object();

	info = conv_set(info, "reason", json_get(appt, "reason"));
	info = conv_set(info, "rescheduled", json_get(appt, "rescheduled"));
	info = conv_set(info, "new_id", json_get(appt, "new_id"));
	return conv_set(info, "at", rfc3339_jv(now));
}

/*
 * A cancel notice is due for a number that may still be texted, unless
 * the booking was only moved (the new one is confirmed instead), and only
 * once whatever Calendly repeats.
 */
static jv
notice_due(jv conv, jv appt)
{
	const char *status = conv_str(conv, "status");

	if (json_kind(conv, "phone") != JV_KIND_STRING ||
	    json_kind(appt, "rescheduled") == JV_KIND_TRUE ||
	    json_kind(conv, "cancel_notice") != JV_KIND_NULL ||
	    (status && !conv_live(status)))
		return conv;
	return conv_set(conv, "cancel_notice", jv_string("due"));
}

/* A cancel for a stored booking; a repeat changes nothing. Consumes conv. */
jv
rule_cancel(jv conv, jv appt, int64_t now)
{
	if (conv_is(conv, "status", "canceled"))
		return conv;
	conv = notice_due(conv, appt);
	/* the cancel half of a reschedule names the new booking: say where it went */
	if (json_kind(appt, "rescheduled") == JV_KIND_TRUE && json_str(appt, "new_id"))
		conv = conv_set(conv, "rescheduled_to", json_get(appt, "new_id"));
	return conv_set_status(conv_set(conv, "canceled", cancel_info(appt, now)), "canceled", now);
}

/* A cancel before its booking: a canceled marker the booking cannot revive. */
jv
rule_cancel_first(jv appt, int64_t now, int expire_days)
{
	jv info = cancel_info(appt, now), c;

	c = notice_due(conv_new(jv_copy(appt), "pending", now, expire_days), appt);
	jv_free(appt);
	return conv_set(conv_set(c, "status", jv_string("canceled")), "canceled", info);
}

/* The old half of a reschedule, when the new booking arrives. */
jv
rule_rescheduled_away(jv conv, const char *new_id, int64_t now)
{
	if (conv_is(conv, "status", "canceled")) {
		/* canceled first (its cancel half came before this one): still moved here */
		if (json_kind(conv, "rescheduled_to") != JV_KIND_STRING)
			conv = conv_touch(conv_set(conv, "rescheduled_to", jv_string(new_id)), now);
		return conv;
	}
	conv = conv_set(conv, "rescheduled_to", jv_string(new_id));
	return conv_set_status(conv, "canceled", now);
}

/*
 * The new half of a reschedule arrived before the old booking itself
 * (Calendly retries out of order): the old one is stored canceled, so its
 * late booking finds it and is never confirmed.
 */
jv
rule_reschedule_marker(const char *old_id, jv appt, int64_t now, int expire_days)
{
	jv a = jv_object(), c;

	a = conv_set(a, "type", jv_string("booking"));
	a = conv_set(a, "id", jv_string(old_id));
	a = conv_set(a, "phone", jv_null());
	a = conv_set(a, "new_id", json_get(appt, "id"));
	a = conv_set(a, "rescheduled", jv_true());
	c = conv_new(a, "canceled", now, expire_days);
	a = conv_set(conv_set(jv_object(), "rescheduled", jv_true()), "new_id", json_get(appt, "id"));
	c = conv_set(c, "canceled", cancel_info(a, now));
	c = conv_set(c, "rescheduled_to", json_get(appt, "id"));
	jv_free(a);
	jv_free(appt);
	return c;
}

