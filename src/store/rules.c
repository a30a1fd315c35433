/*
 * rules.c: the rules of a conversation, in one place.
 *
 * Every event that can happen to a conversation is one function here,
 * from (conversation, event, now) to the next conversation: a booking, a
 * cancel, either half of a reschedule, a claim and its release, a send
 * result, a delivery receipt, a reply, an opt-out, a due decision, a lease
 * that lapses, an operator's resolve, and a restore.  The moments after
 * the confirmation (reminder, cancel notice, after the appointment) each
 * keep one field that says whether they are still to come.  Nothing here
 * touches LMDB or does I/O; store.c keeps what these return, conv-store and
 * follow-up-due say which event happened.  rule_table is the table of
 * transitions calsms(7) prints; tests/unit/rules-test.c checks every row
 * against these functions.
 */
#include <ctype.h>
#include <string.h>

#include "calsms.h"
#include "rules.h"

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

static int
is(jv conv, const char *key, const char *value)
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
		if ((kind == NULL || is(x, "kind", kind)) &&
		    (key == NULL || (value ? is(x, key, value) : json_str(x, key) != NULL)))
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
	return kind && (strcmp(kind, "confirm") == 0 || strcmp(kind, "rescheduled") == 0);
}

/* When the booking's confirmation, of either kind, was first sent, or 0. */
int64_t
conv_confirmed_at(jv conv)
{
	int64_t a = conv_sent_at(conv, "confirm"), b = conv_sent_at(conv, "rescheduled");

	return a && b ? (a < b ? a : b) : a ? a : b;
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
static const char *
moment_field(const char *kind)
{
	static const char *const fields[][2] = { { "reminder", "reminder" },
	    { "help", "help" }, { "canceled", "cancel_notice" }, { "after", "after" },
	    { NULL, NULL } };
	int i;

	for (i = 0; kind && fields[i][0]; i++)
		if (strcmp(kind, fields[i][0]) == 0)
			return fields[i][1];
	return NULL;
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
	const char *status = conv_str(conv, "status"), *field = moment_field(kind);

	if (status == NULL || field == NULL || !is(conv, field, "due"))
		return 0;
	if (strcmp(kind, "canceled") == 0)
		return strcmp(status, "canceled") == 0 && conv_str(conv, "phone") != NULL;
	return strcmp(kind, "after") == 0 && str_listed(status, confirmed);
}

/*
 * What an unclaimed conversation becomes due for, and from when: the one
 * answer the store's due indexes encode and the sender's last look asks.
 * A claimed one is due for nothing more.  Returns how many.
 */
int
conv_due(jv conv, struct due_at *out, int max)
{
	const char *status = conv_str(conv, "status"), *help = conv_str(conv, "help");
	int64_t t;
	int n = 0;
	jv x;

#define DUE(k, when) do { if (n < max) { out[n].kind = (k); out[n].t = (when); n++; } } while (0)
	if (status == NULL || json_kind(conv, "claim") == JV_KIND_OBJECT ||
	    is(conv, "skip", "stopped"))
		return 0;
	if (conv_moment_due(conv, "canceled")) {
		x = json_get(conv, "canceled");
		t = conv_time(x, "at");
		jv_free(x);
		DUE("canceled", t > 0 ? t : conv_time(conv, "updated_at"));
	}
	if (conv_moment_due(conv, "after") && (t = conv_end(conv)) > 0)
		DUE("after", t);
	if (!conv_sendable(status))
		return n;
	if ((t = conv_time(conv, "help_at")) > 0 && help && strcmp(help, "due") == 0)
		DUE("help", t);
	if (json_kind(conv, "outbox") == JV_KIND_OBJECT) {
		x = json_get(conv, "outbox");
		if ((t = conv_time(x, "at")) > 0)
			DUE("manual", t);
		jv_free(x);
	}
	if (conv_str(conv, "skip") != NULL)
		return n;
	if (strcmp(status, "pending") == 0 && conv_str(conv, "phone")) {
		t = conv_time(conv, "retry_at");
		DUE("confirm", t > 0 ? t : conv_time(conv, "created_at"));
	}
	if (strcmp(status, "awaiting_reply") == 0 && (t = conv_confirmed_at(conv)) > 0 &&
	    !conv_sent_at(conv, "followup"))
		DUE("followup", t);
	if (strcmp(status, "pending") != 0 && json_kind(conv, "reminder") == JV_KIND_NULL &&
	    (t = conv_start(conv)) > 0)
		DUE("reminder", t);
#undef DUE
	return n;
}

/* A claim that lapses into uncertain: a sendable one's, or a cancel notice's. */
int
conv_claim_lapses(jv conv)
{
	jv claim = json_get(conv, "claim");
	const char *status = conv_str(conv, "status"), *kind = json_str(claim, "kind");
	int lapses = jv_get_kind(claim) == JV_KIND_OBJECT && status &&
	    (conv_sendable(status) || (strcmp(status, "canceled") == 0 &&
	    kind && (strcmp(kind, "canceled") == 0 || is(conv, "cancel_notice", "due"))));

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

static jv
touch(jv conv, int64_t now)
{
	return jv_object_set(conv, jv_string("updated_at"), rfc3339_jv(now));
}

static jv
set_status(jv conv, const char *status, int64_t now)
{
	return touch(jv_object_set(conv, jv_string("status"), jv_string(status)), now);
}

static jv
set(jv conv, const char *key, jv value)
{
	return jv_object_set(conv, jv_string(key), value);
}

static jv
refuse(jv conv, const char *why)
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
	c = set(c, "id", json_get(appt, "id"));
	c = set(c, "phone", json_str_or_null(json_get(appt, "phone")));
	c = set(c, "status", jv_string(status));
	c = set(c, "appointment", appt);
	c = set(c, "messages", jv_array());
	c = set(c, "replies", jv_array());
	c = set(c, "claim", jv_null());
	c = set(c, "retry_at", jv_null());
	c = set(c, "reminder", jv_null());
	c = set(c, "created_at", rfc3339_jv(now));
	c = set(c, "updated_at", rfc3339_jv(now));
	return set(c, "expires_at", rfc3339_jv(base + (int64_t)expire_days * 86400));
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
		c = set(c, "skip", jv_string("started"));	/* too late to text */
	return c;
}

static jv
cancel_info(jv appt, int64_t now)
{
	jv info = jv_object();

	info = set(info, "reason", json_get(appt, "reason"));
	info = set(info, "rescheduled", json_get(appt, "rescheduled"));
	info = set(info, "new_id", json_get(appt, "new_id"));
	return set(info, "at", rfc3339_jv(now));
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
	return set(conv, "cancel_notice", jv_string("due"));
}

/* A cancel for a stored booking; a repeat changes nothing. Consumes conv. */
jv
rule_cancel(jv conv, jv appt, int64_t now)
{
	if (is(conv, "status", "canceled"))
		return conv;
	conv = notice_due(conv, appt);
	return set_status(set(conv, "canceled", cancel_info(appt, now)), "canceled", now);
}

/* A cancel before its booking: a canceled marker the booking cannot revive. */
jv
rule_cancel_first(jv appt, int64_t now, int expire_days)
{
	jv info = cancel_info(appt, now), c;

	c = notice_due(conv_new(jv_copy(appt), "pending", now, expire_days), appt);
	jv_free(appt);
	return set(set(c, "status", jv_string("canceled")), "canceled", info);
}

/* The old half of a reschedule, when the new booking arrives. */
jv
rule_rescheduled_away(jv conv, const char *new_id, int64_t now)
{
	if (is(conv, "status", "canceled"))
		return conv;
	conv = set(conv, "rescheduled_to", jv_string(new_id));
	return set_status(conv, "canceled", now);
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

	a = set(a, "type", jv_string("booking"));
	a = set(a, "id", jv_string(old_id));
	a = set(a, "phone", jv_null());
	a = set(a, "new_id", json_get(appt, "id"));
	a = set(a, "rescheduled", jv_true());
	c = conv_new(a, "canceled", now, expire_days);
	a = set(set(jv_object(), "rescheduled", jv_true()), "new_id", json_get(appt, "id"));
	c = set(c, "canceled", cancel_info(a, now));
	c = set(c, "rescheduled_to", json_get(appt, "id"));
	jv_free(a);
	jv_free(appt);
	return c;
}

/* ---- claims and send results ---- */

/* Marks kind as handed to the sender; its index keys go with it. */
jv
rule_claim(jv conv, const char *kind, int64_t now)
{
	jv claim = jv_object();
	const char *status = conv_str(conv, "status");

	claim = set(claim, "kind", jv_string(kind));
	claim = set(claim, "at", rfc3339_jv(now));
	claim = set(claim, "status", jv_string(status ? status : "pending"));
	return touch(set(conv, "claim", claim), now);
}

/* Drops the claim; the item is due again at retry_at (0: at once). */
jv
rule_release(jv conv, int64_t retry_at, int64_t now)
{
	conv = set(conv, "claim", jv_null());
	conv = set(conv, "retry_at", retry_at > 0 ? rfc3339_jv(retry_at) : jv_null());
	return touch(conv, now);
}

/* Whether the customer answered (anything but HELP, STOP or START) in this conversation. */
static int
answered(jv conv)
{
	static const char *const no_answer[] = { "help", "stop", "start", NULL };
	jv replies = json_get(conv, "replies"), r;
	int i, n = conv_count(conv, "replies"), yes = 0;

	for (i = 0; i < n && !yes; i++) {
		r = jv_array_get(jv_copy(replies), i);
		yes = json_str(r, "intent") && !str_listed(json_str(r, "intent"), no_answer);
		jv_free(r);
	}
	jv_free(replies);
	return yes;
}

/* The status after a message of kind was sent from status. */
static const char *
after_sent(const char *kind, const char *status, const char *before)
{
	int unsure = strcmp(status, "uncertain") == 0;

	if (kind_confirms(kind) && (unsure || strcmp(status, "pending") == 0))
		return "awaiting_reply";
	if (strcmp(kind, "followup") == 0 && (unsure || strcmp(status, "awaiting_reply") == 0))
		return "followed_up";
	if (unsure)
		return before ? before : "awaiting_reply";
	return status;
}

/*
 * The status after a message of kind was sent from status.  A reply that
 * came while its outcome was unknown (or before it was recorded) is not
 * forgotten: the conversation is replied.
 */
static const char *
status_after_sent(jv conv, const char *kind, const char *status, const char *before)
{
	const char *next = after_sent(kind, status, before);

	if ((strcmp(next, "awaiting_reply") == 0 || strcmp(next, "followed_up") == 0) &&
	    strcmp(status, next) != 0 && answered(conv))
		return "replied";
	return next;
}

/* Retries back off: 1, 2, 4 ... 60 minutes after each failure of kind. */
static int64_t
backoff(jv conv, const char *kind)
{
	jv msgs = json_get(conv, "messages"), m;
	int i, n = conv_count(conv, "messages"), fails = 0;

	for (i = 0; i < n; i++) {
		m = jv_array_get(jv_copy(msgs), i);
		fails += is(m, "kind", kind) && !is(m, "status", "sent");
		jv_free(m);
	}
	jv_free(msgs);
	return fails > 6 ? 3600 : 60 << (fails > 0 ? fails - 1 : 0);
}

/* Twilio 21610 and SNS OptedOut: the recipient unsubscribed at the provider. */
static int
unsubscribed_error(jv err)
{
	const char *code = json_str(err, "code");

	return code && (strcmp(code, "21610") == 0 || strcmp(code, "OptedOut") == 0);
}

static jv
message_of(jv sms, const char *kind, int64_t now)
{
	static const char *keep[] = { "body", "status", "provider", "provider_id",
	    "segments", "error", NULL };
	jv m = set(jv_object(), "kind", jv_string(kind));
	int i;

	for (i = 0; keep[i]; i++)
		m = set(m, keep[i], json_get(sms, keep[i]));
	if (is(sms, "provider", "log"))
		m = set(m, "dry_run", jv_true());
	return set(m, "at", json_str(sms, "at") ? json_get(sms, "at") : rfc3339_jv(now));
}

/*
 * A message of kind went: its moment is over, and a confirmation makes
 * the moment after the appointment one to come.
 */
static jv
settled(jv conv, const char *kind, const char *how)
{
	if (moment_field(kind))
		conv = set(conv, moment_field(kind), jv_string(how));
	if (kind_confirms(kind) && json_kind(conv, "after") == JV_KIND_NULL)
		conv = set(conv, "after", jv_string("due"));
	return conv;
}

/* sms-send's last look found the line no longer due */
static int
moot(jv sms)
{
	jv err = json_get(sms, "error");
	int yes = is(err, "code", "not_due");

	jv_free(err);
	return yes;
}

/* The line was handed out with this claim, not an older or newer one. */
static int
claim_is(jv claim, jv line)
{
	jv want = json_get(line, "claim");
	int same = jv_get_kind(want) != JV_KIND_OBJECT ||
	    jv_equal(json_get(claim, "at"), json_get(want, "at"));

	jv_free(want);
	return same;
}

/*
 * sms-send's result for a line follow-up-due (or add) handed out.  Only
 * "sent" moves the conversation on; "unknown" (the provider may or may
 * not have it) keeps the claim, for the lease to make it uncertain; a
 * failure for good ends it; anything else releases the claim to be tried
 * again later.  *unsubscribed is set when the number must be opted out.
 */
jv
rule_result(jv conv, jv line, int64_t now, int *unsubscribed)
{
	const char *kind = json_str(line, "due");
	jv sms = json_get(line, "sms"), claim = json_get(conv, "claim"), err;
	const char *result = json_str(sms, "status"), *pid = json_str(sms, "provider_id");
	const char *status = conv_str(conv, "status"), *before = json_str(claim, "status");
	int claimed = is(claim, "kind", kind);
	char why[96];

	/* a late result for a claim dropped when its conversation was canceled */
	if (!claimed && json_kind(conv, "lapsed") == JV_KIND_OBJECT) {
		jv lapsed = json_get(conv, "lapsed");

		if (is(lapsed, "kind", kind) && claim_is(lapsed, line)) {
			jv_free(claim);
			claim = lapsed;
			claimed = 1;
			conv = set(conv, "lapsed", jv_null());
			before = json_str(claim, "status");
		} else
			jv_free(lapsed);
	}

	*unsubscribed = 0;
	if (pid && *pid && conv_find(conv, "messages", "provider_id", pid, kind) >= 0)
		goto same;	/* recorded already */
	if (strcmp(result, "skipped") == 0 && moot(sms)) {
		/* the sender's last look found it no longer due: no text, no message */
		if (claimed && claim_is(claim, line))
			conv = rule_release(conv, 0, now);
		goto same;
	}
	if (!claimed && conv_find(conv, "messages", NULL, NULL, kind) < 0) {
		snprintf(why, sizeof why, "no %s was handed out for it", kind);
		jv_free(sms);
		jv_free(claim);
		return refuse(conv, why);
	}
	if (strcmp(result, "off") == 0) {
		/*
		 * the business turned texts off for this event type, or has no
		 * template for this moment: never due
		 */
		if (claimed)
			conv = rule_release(conv, 0, now);
		/* settled once: a HELP or the front desk's message is not claimed again */
		if (moment_field(kind))
			conv = set(conv, moment_field(kind), jv_string("off"));
		if (strcmp(kind, "manual") == 0)
			conv = set(conv, "outbox", jv_null());
		if (strcmp(kind, "canceled") != 0 && strcmp(kind, "after") != 0)
			conv = set(conv, "skip", jv_string("off"));
		conv = touch(conv, now);
		goto same;
	}
	conv = conv_append(conv, "messages", message_of(sms, kind, now));
	err = json_get(sms, "error");
	if (strcmp(result, "sent") == 0) {
		if (claimed)
			conv = rule_release(conv, 0, now);
		conv = settled(conv, kind, "sent");
		if (strcmp(kind, "manual") == 0)
			conv = set(conv, "outbox", jv_null());
		conv = set_status(conv, status_after_sent(conv, kind, status, before), now);
	} else if (strcmp(result, "unknown") == 0) {
		conv = touch(conv, now);	/* the claim stays: the lease decides */
	} else if (strcmp(result, "failed") == 0 && json_kind(err, "permanent") == JV_KIND_TRUE) {
		if (claimed)
			conv = rule_release(conv, 0, now);
		if (moment_field(kind))
			conv = set(conv, moment_field(kind), jv_string("failed"));
		/* a notice about an appointment that is over or off fails nothing else */
		if (unsubscribed_error(err) && conv_str(conv, "phone")) {
			*unsubscribed = 1;
			if (conv_live(status))
				conv = set_status(conv, "opted_out", now);
		} else if (conv_live(status) && strcmp(kind, "after") != 0)
			conv = set_status(set(conv, "failed_from", jv_string(
			    strcmp(status, "uncertain") == 0 && before ? before : status)), "failed", now);
	} else if (claimed) {
		conv = rule_release(conv, now + backoff(conv, kind), now);
		if (strcmp(status, "uncertain") == 0)
			conv = set_status(conv, before ? before : "pending", now);
	}
	jv_free(err);
same:
	jv_free(claim);
	jv_free(sms);
	return conv;
}

/* A delivery receipt for one of the conversation's messages. */
jv
rule_receipt(jv conv, jv receipt, int64_t now)
{
	const char *pid = json_str(receipt, "provider_id");
	int i = pid ? conv_find(conv, "messages", "provider_id", pid, NULL) : -1;
	jv msgs, m;

	if (i < 0)
		return refuse(conv, "a receipt for no message of this conversation");
	msgs = json_get(conv, "messages");
	m = jv_array_get(jv_copy(msgs), i);
	/* a receipt older than the one kept (a late or repeated callback) changes nothing */
	if (conv_time(m, "delivery_at") > 0 && conv_time(receipt, "at") > 0 &&
	    conv_time(receipt, "at") < conv_time(m, "delivery_at")) {
		jv_free(m);
		jv_free(msgs);
		return conv;
	}
	m = set(m, "delivery", json_get(receipt, "status"));
	m = set(m, "delivery_error", json_get(receipt, "error"));
	m = set(m, "delivery_at", json_str(receipt, "at") ? json_get(receipt, "at") :
	    rfc3339_jv(now));
	return touch(set(conv, "messages", jv_array_set(msgs, i, m)), now);
}

/* ---- replies and opt-outs ---- */

static jv
reply_of(jv line, int64_t now)
{
	jv r = jv_object();

	r = set(r, "body", json_get(line, "body"));
	r = set(r, "intent", json_get(line, "intent"));
	r = set(r, "at", json_str(line, "received_at") ?
	    json_get(line, "received_at") : rfc3339_jv(now));
	r = set(r, "provider", json_get(line, "provider"));
	return set(r, "provider_id", json_get(line, "provider_id"));
}

/*
 * A reply from the conversation's number, its intent set.  It is always
 * kept; only a live conversation changes status: STOP opts it out, START
 * changes nothing here, anything else after the confirmation is a reply.
 */
jv
rule_reply(jv conv, jv line, int64_t now)
{
	const char *intent = json_str(line, "intent"), *status = conv_str(conv, "status");
	const char *pid = json_str(line, "provider_id");

	if (pid && conv_find(conv, "replies", "provider_id", pid, NULL) >= 0)
		return conv;	/* a redelivery */
	conv = conv_append(conv, "replies", reply_of(line, now));
	/* HELP asks a question, it is no answer: it is answered (a help due) */
	if (conv_live(status) && strcmp(intent, "help") == 0) {
		conv = set(conv, "help", jv_string("due"));
		return touch(set(conv, "help_at", rfc3339_jv(now)), now);
	}
	/* START changes nothing here */
	if (!conv_live(status) || strcmp(intent, "start") == 0)
		return touch(conv, now);
	if (strcmp(intent, "stop") == 0)
		return set_status(conv, "opted_out", now);
	if (strcmp(status, "pending") == 0)
		return touch(conv, now);
	return set_status(conv, "replied", now);
}

/* The number is on the opt-out list: nothing more for a live conversation. */
jv
rule_opt_out(jv conv, int64_t now)
{
	if (!conv_live(conv_str(conv, "status")))
		return conv;
	return set_status(conv, "opted_out", now);
}

/*
 * The sender's last look, right before its request: whether the stored
 * conversation still holds the claim a line was handed out with, and
 * would still be due for that kind without it.  A STOP, a cancel, a
 * reschedule or a reply that makes a follow-up moot, recorded since the
 * claim, says no.  Sets why when it does.
 */
int
rule_still_due(jv conv, jv line, const char **why)
{
	jv claim = json_get(conv, "claim"), want = json_get(line, "claim"), unclaimed = jv_null();
	const char *kind = json_str(line, "due");
	struct due_at due[DUE_KINDS];
	int i, n, ok = 0;

	*why = "no such conversation";
	if (!jv_is_valid(conv) || kind == NULL)
		goto out;
	*why = "its claim is gone (recorded, resolved or lapsed)";
	if (jv_get_kind(claim) != JV_KIND_OBJECT || !is(claim, "kind", kind) ||
	    !jv_equal(json_get(claim, "at"), json_get(want, "at")))
		goto out;
	*why = "no longer due (opted out, canceled, moved or answered since it was claimed)";
	unclaimed = set(jv_copy(conv), "claim", jv_null());
	n = conv_due(unclaimed, due, DUE_KINDS);
	if (kind_confirms(kind))
		kind = "confirm";
	for (i = 0; i < n && !ok; i++)
		ok = strcmp(due[i].kind, kind) == 0;
out:
	jv_free(unclaimed);
	jv_free(claim);
	jv_free(want);
	return ok;
}

/* ---- what is due ---- */

static int
in_quiet(jv conv, const struct due_opts *o, int64_t now, int64_t *until)
{
	jv a = json_get(conv, "appointment");

	*until = o->quiet ? quiet_end(now, json_str(a, "timezone"), o->qfrom, o->qto) : 0;
	jv_free(a);
	return *until > 0;
}

/* Whether conv may be handed out for kind: nothing claimed, and a status kind is for. */
static int
may_claim(jv conv, const char *kind)
{
	const char *status = conv_str(conv, "status");

	if (status == NULL || json_kind(conv, "claim") == JV_KIND_OBJECT)
		return 0;
	if (strcmp(kind, "canceled") == 0 || strcmp(kind, "after") == 0)
		return conv_moment_due(conv, kind);
	return conv_sendable(status);
}

/* The intent of the conversation's newest reply, or NULL. */
static const char *
last_intent(jv conv)
{
	jv replies = json_get(conv, "replies"), r;
	int n = conv_count(conv, "replies");
	const char *intent;

	if (n == 0) {
		jv_free(replies);
		return NULL;
	}
	r = jv_array_get(replies, n - 1);
	intent = json_str(r, "intent");
	jv_free(r);
	return intent;	/* the conversation holds the string */
}

/*
 * The moment after the appointment is for those who came: not after a
 * "can't make it", nor a day late (a sender down, or -A given to a store
 * with a month of appointments behind it).
 */
static int
after_unwanted(jv conv, const struct due_opts *o, int64_t now)
{
	const char *intent = last_intent(conv);

	return (intent && strcmp(intent, "decline") == 0) ||
	    now > conv_end(conv) + o->after + 86400;
}

/*
 * Decides a candidate the indexes found due for kind: DUE_CLAIM (*next is
 * the claimed conversation), DUE_HOLD (not yet: *until says when, 0 if
 * never by itself), or DUE_SETTLE (*next settles it for good: started,
 * opted out, reminder not needed).  A confirmation of a rescheduled
 * booking is claimed as "rescheduled" when o->rescheduled says the sender
 * has words for it.  Consumes conv.
 */
enum due_verdict
rule_due(jv conv, const char *kind, int opted_out, const struct due_opts *o,
    int64_t now, jv *next, int64_t *until)
{
	int64_t start = conv_start(conv), retry = conv_time(conv, "retry_at");
	int reminder = strcmp(kind, "reminder") == 0, after = strcmp(kind, "after") == 0;
	int notice = strcmp(kind, "canceled") == 0;

	*until = 0;
	*next = jv_invalid();
	if (!may_claim(conv, kind)) {
		jv_free(conv);
		return DUE_HOLD;
	}
	if (opted_out && notice)
		*next = set(conv, "cancel_notice", jv_string("skipped"));
	else if (opted_out)
		*next = set_status(conv, "opted_out", now);
	else if (retry > now) {
		*until = retry;
		jv_free(conv);
		return DUE_HOLD;
	} else if (strcmp(kind, "help") == 0 || strcmp(kind, "manual") == 0) {
		/* a question is answered at once, and the front desk is heard */
		*next = rule_claim(conv, kind, now);
		return DUE_CLAIM;
	} else if (after && after_unwanted(conv, o, now))
		*next = set(conv, "after", jv_string("skipped"));
	else if (!after && start > 0 && start <= now)
		*next = reminder || notice ? set(conv, moment_field(kind), jv_string("skipped")) :
		    set(conv, "skip", jv_string("started"));
	else if (reminder && conv_confirmed_at(conv) >= start - o->remind)
		/* the confirmation went out inside the window: it was the reminder */
		*next = set(conv, "reminder", jv_string("skipped"));
	else if (strcmp(kind, "confirm") != 0 && in_quiet(conv, o, now, until)) {
		if (!reminder || *until < start) {
			jv_free(conv);
			return DUE_HOLD;
		}
		*until = 0;
		*next = set(conv, "reminder", jv_string("skipped"));
	} else {
		*next = rule_claim(conv, strcmp(kind, "confirm") == 0 && o->rescheduled ?
		    conv_confirm_kind(conv) : kind, now);
		return DUE_CLAIM;
	}
	return DUE_SETTLE;
}

/* A claim not recorded within its lease: nobody knows whether it went. */
jv
rule_lease_lapse(jv conv, int64_t now)
{
	jv claim;
	int notice;

	if (!conv_claim_lapses(conv))
		return refuse(conv, "no claim to lapse");
	claim = json_get(conv, "claim");
	notice = is(claim, "kind", "canceled");
	jv_free(claim);
	/*
	 * canceled while a send's outcome was unknown: nothing more of that
	 * kind will go, so the claim is dropped and the cancel notice is due
	 */
	if (is(conv, "status", "canceled") && !notice)
		return rule_release(set(conv, "lapsed", json_get(conv, "claim")), 0, now);
	return set_status(conv, "uncertain", now);
}

/* The operator's word on an uncertain send: "sent" or "unsent". */
jv
rule_resolve(jv conv, const char *how, int64_t now)
{
	jv claim = json_get(conv, "claim"), m;
	const char *kind = json_str(claim, "kind"), *before = json_str(claim, "status");
	const char *next;

	if (!is(conv, "status", "uncertain") || kind == NULL) {
		jv_free(claim);
		return refuse(conv, "not uncertain: nothing to resolve");
	}
	if (strcmp(how, "sent") == 0) {
		m = set(jv_object(), "kind", jv_string(kind));
		m = set(m, "status", jv_string("sent"));
		m = set(m, "provider", jv_string("operator"));
		m = set(m, "at", json_get(claim, "at"));
		conv = settled(rule_release(conv_append(conv, "messages", m), 0, now), kind, "sent");
		next = status_after_sent(conv, kind, "uncertain", before);
	} else {
		conv = rule_release(conv, 0, now);
		next = before ? before : "pending";
	}
	conv = set_status(conv, next, now);
	conv = rule_history(conv, "resolve", set(set(jv_object(), "how", jv_string(how)),
	    "kind", jv_string(kind)), now);
	jv_free(claim);
	return conv;
}

/* ---- the operator's hand ---- */

/* An operator's action, kept in the conversation's history. Consumes detail. */
jv
rule_history(jv conv, const char *action, jv detail, int64_t now)
{
	jv h = set(set(jv_object(), "action", jv_string(action)), "at", rfc3339_jv(now));

	return touch(conv_append(conv, "history", jv_object_merge(h, detail)), now);
}

/* The kind of the newest message that failed, or NULL. */
static const char *
failed_kind(jv conv)
{
	jv msgs = json_get(conv, "messages"), m;
	int i = conv_count(conv, "messages");
	const char *kind = NULL;

	while (kind == NULL && --i >= 0) {
		m = jv_array_get(jv_copy(msgs), i);
		if (is(m, "status", "failed"))
			kind = json_str(m, "kind");
		jv_free(m);
	}
	jv_free(msgs);
	return kind;	/* the conversation holds the string */
}

/*
 * Makes a failed or uncertain conversation sendable again for the kind
 * that did not go; refused for one that is over (canceled, opted out,
 * replied) or whose appointment has started.
 */
jv
rule_retry(jv conv, int64_t now)
{
	const char *status = conv_str(conv, "status"), *kind = NULL, *from;
	jv claim = json_get(conv, "claim"), next;
	char why[96];

	if (conv_sendable(status) && json_kind(conv, "claim") != JV_KIND_OBJECT &&
	    conv_time(conv, "retry_at") > now) {
		/* backing off after an outage: due now */
		kind = kind_confirms(conv_confirm_kind(conv)) && is(conv, "status", "pending") ?
		    "confirm" : NULL;
		next = rule_history(set(jv_copy(conv), "retry_at", jv_null()), "retry",
		    set(jv_object(), "kind", kind ? jv_string(kind) : jv_null()), now);
		jv_free(claim);
		jv_free(conv);
		return next;
	}
	if (!is(conv, "status", "failed") && !is(conv, "status", "uncertain")) {
		snprintf(why, sizeof why, "%s: only a failed or uncertain conversation, or one "
		    "waiting out a back-off, is retried", status ? status : "no status");
		jv_free(claim);
		return refuse(conv, why);
	}
	if (conv_start(conv) > 0 && conv_start(conv) <= now) {
		jv_free(claim);
		return refuse(conv, "the appointment has started: nothing to retry");
	}
	if (is(conv, "status", "uncertain")) {
		kind = json_str(claim, "kind");
		next = set_status(rule_release(jv_copy(conv), 0, now),
		    json_str(claim, "status") ? json_str(claim, "status") : "pending", now);
	} else {
		kind = failed_kind(conv);
		from = conv_str(conv, "failed_from");
		if (from == NULL || !conv_sendable(from))	/* failed before this was kept */
			from = kind && !kind_confirms(kind) && conv_confirmed_at(conv) ?
			    (answered(conv) ? "replied" : "awaiting_reply") : "pending";
		next = set_status(rule_release(jv_copy(conv), 0, now), from, now);
		next = set(next, "failed_from", jv_null());
		if (kind && strcmp(kind, "help") == 0)
			next = set(next, "help", jv_string("due"));
	}
	next = rule_history(next, "retry", set(jv_object(), "kind", kind ? jv_string(kind) : jv_null()), now);
	jv_free(claim);
	jv_free(conv);
	return next;
}

/*
 * A corrected number (E.164 already): the old one stays in the history; a
 * no_phone conversation becomes sendable, or opted out if the new number
 * is on the list.  Refused while a send is in flight.
 */
jv
rule_set_phone(jv conv, const char *phone, int opted_out, int64_t now)
{
	jv detail = set(jv_object(), "old", json_str_or_null(json_get(conv, "phone")));
	int64_t start = conv_start(conv);

	if (json_kind(conv, "claim") == JV_KIND_OBJECT) {
		jv_free(detail);
		return refuse(conv, "a send is in flight: wait for it, or resolve it");
	}
	conv = set(conv, "phone", jv_string(phone));
	if (is(conv, "status", "no_phone")) {
		conv = set_status(conv, opted_out ? "opted_out" : "pending", now);
		if (!opted_out && start > 0 && start <= now)
			conv = set(conv, "skip", jv_string("started"));
	} else if (opted_out && conv_live(conv_str(conv, "status")))
		conv = set_status(conv, "opted_out", now);
	return rule_history(conv, "set-phone", set(detail, "new", jv_string(phone)), now);
}

/*
 * The front desk's own message, to go through the sender as due
 * "manual" with this body: never from here.  One at a time; refused for a
 * conversation that may not be texted.
 */
jv
rule_send(jv conv, const char *body, int64_t now)
{
	jv box;

	if (!conv_sendable(conv_str(conv, "status")) || conv_str(conv, "phone") == NULL)
		return refuse(conv, "this conversation may not be texted (opted out, "
		    "canceled, failed, uncertain, or no phone)");
	if (json_kind(conv, "outbox") == JV_KIND_OBJECT)
		return refuse(conv, "a message is already waiting to be sent");
	box = set(set(jv_object(), "body", jv_string(body)), "at", rfc3339_jv(now));
	conv = set(conv, "outbox", box);
	return rule_history(conv, "send", set(jv_object(), "body", jv_string(body)), now);
}

/*
 * The operator stops texting this conversation: nothing more is due for
 * it, whatever its status; replies still attach to it.
 */
jv
rule_stop(jv conv, int64_t now)
{
	if (is(conv, "skip", "stopped"))
		return refuse(conv, "texts are stopped already");
	if (json_kind(conv, "claim") == JV_KIND_OBJECT)
		return refuse(conv, "a send is in flight: wait for it, or resolve it");
	conv = set(set(conv, "skip", jv_string("stopped")), "outbox", jv_null());
	return rule_history(conv, "stop", jv_object(), now);
}

/* The front desk's note, kept in the history. */
jv
rule_note(jv conv, const char *text, int64_t now)
{
	return rule_history(conv, "note", set(jv_object(), "text", jv_string(text)), now);
}

/* ---- restore ---- */

/* Whether two entries of a list are one message or reply: the same provider id. */
static int
same_entry(jv a, jv b)
{
	const char *pa = json_str(a, "provider_id"), *pb = json_str(b, "provider_id");

	if (pa && pb && *pa)
		return strcmp(pa, pb) == 0 && jv_equal(json_get(a, "kind"), json_get(b, "kind"));
	return jv_equal(jv_copy(a), jv_copy(b));
}

static jv
union_of(jv base, jv other, const char *list)
{
	jv a = json_get(base, list), b = json_get(other, list), x, y;
	int i, j, n, m, seen;

	if (jv_get_kind(a) != JV_KIND_ARRAY) {
		jv_free(a);
		a = jv_array();
	}
	n = jv_get_kind(b) == JV_KIND_ARRAY ? jv_array_length(jv_copy(b)) : 0;
	for (i = 0; i < n; i++) {
		x = jv_array_get(jv_copy(b), i);
		m = jv_array_length(jv_copy(a));
		for (seen = 0, j = 0; j < m && !seen; j++) {
			y = jv_array_get(jv_copy(a), j);
			if ((seen = same_entry(y, x)) && json_kind(y, "delivery") != JV_KIND_STRING &&
			    json_kind(x, "delivery") == JV_KIND_STRING)
				a = jv_array_set(a, j, jv_copy(x));	/* the copy that heard back */
			jv_free(y);
		}
		a = seen ? (jv_free(x), a) : jv_array_append(a, x);
	}
	jv_free(b);
	return set(base, list, a);
}

/* Statuses no restore may undo, and moments once settled */
static const char *const final[] = { "canceled", "opted_out", NULL };

static jv
keep_final(jv base, jv other)
{
	static const char *const moments[] = { "cancel_notice", "after", "reminder", "help",
	    "skip", NULL };
	int i;

	if (str_listed(conv_str(other, "status"), final) &&
	    !str_listed(conv_str(base, "status"), final)) {
		base = set(base, "status", json_get(other, "status"));
		base = set(base, "canceled", json_get(other, "canceled"));
		if (json_kind(other, "cancel_notice") != JV_KIND_NULL)
			base = set(base, "cancel_notice", json_get(other, "cancel_notice"));
	}
	for (i = 0; moments[i]; i++)
		if (json_kind(other, moments[i]) == JV_KIND_STRING &&
		    !is(other, moments[i], "due") && (json_kind(base, moments[i]) == JV_KIND_NULL ||
		    is(base, moments[i], "due")))
			base = set(base, moments[i], json_get(other, moments[i]));
	return base;
}

/*
 * A conversation loaded from a dump over the one stored: the newer (by
 * updated_at) is the base, no message or reply of either is forgotten or
 * kept twice (one provider id is one message), and whatever the clocks
 * say a canceled or opted-out conversation, or a moment settled, stays
 * so: a restore never makes a conversation textable again.
 */
jv
rule_merge(jv stored, jv incoming)
{
	jv base, other;

	if (!jv_is_valid(stored)) {
		jv_free(stored);
		return incoming;
	}
	if (conv_time(incoming, "updated_at") > conv_time(stored, "updated_at")) {
		base = incoming;
		other = stored;
	} else {
		base = stored;
		other = incoming;
	}
	base = keep_final(base, other);
	base = union_of(base, other, "messages");
	base = union_of(base, other, "replies");
	jv_free(other);
	return base;
}

/* ---- reply keywords ---- */

/*
 * The line drawn: carriers' opt-out words count alone, as carriers match
 * them; a sentence is STOP only when every word of it belongs to asking
 * to stop (STOP_WORDS) with a stop verb among them and no negation, so
 * "stop please" and "please stop texting me" stop, and "don't stop the
 * appointment" or "cancel my appointment" do not.  YES and NO count as
 * the first word; a few plain phrases as written below.
 */
#define MAX_WORDS 24
#define WORD_MAX 24

static const char *const stop_alone[] = { "stop", "stopall", "unsubscribe", "cancel",
	"end", "quit", "revoke", "optout", "opt-out", "remove", "arret", "arr\xc3\xaat",
	"td", "baja", NULL };
static const char *const stop_verbs[] = { "stop", "stopall", "unsubscribe", "optout",
	"opt-out", "remove", "quit", "revoke", NULL };
static const char *const stop_words[] = { "stop", "stopall", "unsubscribe", "optout",
	"opt-out", "opt", "out", "remove", "quit", "revoke", "please", "pls", "plz", "me",
	"my", "number", "texting", "text", "texts", "txt", "messaging", "message",
	"messages", "sending", "send", "now", "all", "thanks", "thank", "you", "from",
	"this", "list", "these", "it", "them", "the", "immediately", "and", NULL };
static const char *const negations[] = { "don't", "dont", "do", "not", "never",
	"no", "doesn't", NULL };
static const char *const yes_first[] = { "yes", "y", "yep", "yeah", "yup", "ya",
	"confirm", "confirmed", "ok", "okay", "k", "sure", "absolutely", "definitely",
	"correct", "si", "s\xc3\xad", "s\xc3\x8d", NULL };	/* si, sí, SÍ */
static const char *const no_first[] = { "no", "n", "nope", "nah", "decline",
	"declined", NULL };
static const char *const yes_phrases[] = { "i'll be there", "ill be there",
	"i will be there", "will be there", "see you", "sounds good", "no problem",
	"no worries", NULL };
static const char *const no_phrases[] = { "can't make it", "cant make it",
	"cannot make it", "can't come", "cant come", "won't make it", "wont make it",
	"not coming", "can't attend", "cannot attend", "won't be able", "can't be there",
	"cant be there", NULL };

struct words {
	char w[MAX_WORDS][WORD_MAX];
	int n, cut;
	char joined[MAX_WORDS * WORD_MAX];
};

/* Words in lower case: letters, digits, ' and -; a curly apostrophe is '. */
static void
split_words(const char *s, struct words *ws)
{
	size_t len = 0;

	memset(ws, 0, sizeof *ws);
	for (;; s++) {
		int c = (unsigned char)*s, part = isalnum(c) || c == '\'' || c == '-' || c >= 0x80;

		if (strncmp(s, "\xe2\x80\x99", 3) == 0) {	/* ’ */
			c = '\'';
			part = 1;
			s += 2;
		}
		if (part && len < WORD_MAX - 1 && ws->n < MAX_WORDS)
			ws->w[ws->n][len++] = (char)tolower(c);
		else if (part)
			ws->cut = 1;
		if ((!part || *s == '\0') && len > 0) {
			ws->n++;
			len = 0;
		}
		if (*s == '\0')
			break;
	}
	for (int i = 0; i < ws->n; i++) {
		if (i)
			strcat(ws->joined, " ");
		strcat(ws->joined, ws->w[i]);
	}
}

static int
asks_to_stop(const struct words *ws)
{
	int i, verb = 0;

	if (ws->cut || ws->n == 0)
		return 0;
	if (ws->n == 1 && str_listed(ws->w[0], stop_alone))
		return 1;
	for (i = 0; i < ws->n; i++) {
		if (str_listed(ws->w[i], negations) || !str_listed(ws->w[i], stop_words))
			return 0;
		verb |= str_listed(ws->w[i], stop_verbs) ||
		    (i + 1 < ws->n && !strcmp(ws->w[i], "opt") && !strcmp(ws->w[i + 1], "out"));
	}
	return verb;
}

static int
has_phrase(const struct words *ws, const char *const *list, int at_start)
{
	size_t n;

	for (; *list; list++) {
		n = strlen(*list);
		if (at_start ? strncmp(ws->joined, *list, n) == 0 &&
		    (ws->joined[n] == '\0' || ws->joined[n] == ' ') :
		    strstr(ws->joined, *list) != NULL)
			return 1;
	}
	return 0;
}

/* The intent of a reply's text: stop, start, help, confirm, decline or other. */
const char *
reply_intent(const char *body)
{
	struct words ws;

	split_words(body ? body : "", &ws);
	if (asks_to_stop(&ws))
		return "stop";
	if (ws.n == 1 && (!strcmp(ws.w[0], "start") || !strcmp(ws.w[0], "unstop")))
		return "start";
	if (ws.n == 1 && (!strcmp(ws.w[0], "help") || !strcmp(ws.w[0], "info") ||
	    !strcmp(ws.w[0], "ayuda")))
		return "help";
	if (has_phrase(&ws, no_phrases, 0))
		return "decline";
	if (has_phrase(&ws, yes_phrases, 1) || (ws.n > 0 && str_listed(ws.w[0], yes_first)) ||
	    strncmp(body ? body + strspn(body, " \t\r\n") : "", "\xf0\x9f\x91\x8d", 4) == 0)
		return "confirm";
	if (ws.n > 0 && str_listed(ws.w[0], no_first))
		return "decline";
	return "other";
}
