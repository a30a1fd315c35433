/*
 * results.c: a claim and what became of it: the send result, a lapsed
 * lease, the operator's resolve, a delivery receipt; replies and opt-outs.
 */
#include <ctype.h>
#include <string.h>

#include "calsms.h"
#include "rules.h"
#include "rules-impl.h"

/* ---- claims and send results ---- */

/* Marks kind as handed to the sender; its index keys go with it. */
jv
rule_claim(jv conv, const char *kind, int64_t now)
{
	jv claim = jv_object();
	const char *status = conv_str(conv, "status");

	claim = conv_set(claim, "kind", jv_string(kind));
	claim = conv_set(claim, "at", rfc3339_jv(now));
	claim = conv_set(claim, "status", jv_string(status ? status : "pending"));
	return conv_touch(conv_set(conv, "claim", claim), now);
}

/* Drops the claim; the item is due again at retry_at (0: at once). */
jv
rule_release(jv conv, int64_t retry_at, int64_t now)
{
	conv = conv_set(conv, "claim", jv_null());
	conv = conv_set(conv, "retry_at", retry_at > 0 ? rfc3339_jv(retry_at) : jv_null());
	return conv_touch(conv, now);
}

/* Whether the customer answered (anything but HELP, STOP or START) in this conversation. */
int
conv_answered(jv conv)
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
	    strcmp(status, next) != 0 && conv_answered(conv))
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
		fails += conv_is(m, "kind", kind) && !conv_is(m, "status", "sent");
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
	jv m = conv_set(jv_object(), "kind", jv_string(kind));
	int i;

	for (i = 0; keep[i]; i++)
		m = conv_set(m, keep[i], json_get(sms, keep[i]));
	if (conv_is(sms, "provider", "log"))
		m = conv_set(m, "dry_run", jv_true());
	if (json_str(sms, "variant"))
		m = conv_set(m, "variant", json_get(sms, "variant"));
	if (json_str(sms, "channel"))
		m = conv_set(m, "channel", json_get(sms, "channel"));
	return conv_set(m, "at", json_str(sms, "at") ? json_get(sms, "at") : rfc3339_jv(now));
}

/*
 * A message of kind went: its moment is over, and a confirmation makes
 * the moment after the appointment one to come.
 */
static jv
settled(jv conv, const char *kind, const char *how)
{
	if (conv_moment_field(kind))
		conv = conv_set(conv, conv_moment_field(kind), jv_string(how));
	if (kind_confirms(kind) && json_kind(conv, "after") == JV_KIND_NULL)
		conv = conv_set(conv, "after", jv_string("due"));
	return conv;
}

/* sms-send's last look found the line no longer due */
static int
moot(jv sms)
{
	jv err = json_get(sms, "error");
	int yes = conv_is(err, "code", "not_due");

	jv_free(err);
	return yes;
}

/*
 * The line was handed out with this claim, not an older or newer one: the
 * same time and, when the claim has one, the same fencing token (a number
 * no other claiming transaction got), so a claimer whose lease lapsed can
 * never settle a newer claim made in the same second.
 */
static int
claim_is(jv claim, jv line)
{
	jv want = json_get(line, "claim");
	int same = jv_get_kind(want) != JV_KIND_OBJECT ||
	    (jv_equal(json_get(claim, "at"), json_get(want, "at")) &&
	    jv_equal(json_get(claim, "token"), json_get(want, "token")));

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
	int claimed = conv_is(claim, "kind", kind), stale = 0;
	char why[96];

	/* a late result for a claim dropped when its conversation was canceled */
	if (!claimed && json_kind(conv, "lapsed") == JV_KIND_OBJECT) {
		jv lapsed = json_get(conv, "lapsed");

		if (conv_is(lapsed, "kind", kind) && claim_is(lapsed, line)) {
			jv_free(claim);
			claim = lapsed;
			claimed = 1;
			conv = conv_set(conv, "lapsed", jv_null());
			before = json_str(claim, "status");
		} else
			jv_free(lapsed);
	}

	/*
	 * claimed anew since this line was handed out (its lease lapsed): what
	 * it says is recorded as a message, but never settles the newer claim
	 */
	if (claimed && !claim_is(claim, line))
		stale = 1;
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
		return conv_refuse(conv, why);
	}
	if (stale && strcmp(result, "sent") != 0) {
		if (strcmp(result, "off") != 0)
			conv = conv_touch(conv_append(conv, "messages", message_of(sms, kind, now)),
			    now);
		goto same;
	}
	if (strcmp(result, "off") == 0) {
		/*
		 * the business turned texts off for this event type, or has no
		 * template for this moment: never due
		 */
		if (claimed)
			conv = rule_release(conv, 0, now);
		/* settled once: a HELP or the front desk's message is not claimed again */
		if (conv_moment_field(kind))
			conv = conv_set(conv, conv_moment_field(kind), jv_string("off"));
		if (strcmp(kind, "manual") == 0)
			conv = conv_set(conv, "outbox", jv_null());
		if (strcmp(kind, "canceled") != 0 && strcmp(kind, "after") != 0)
			conv = conv_set(conv, "skip", jv_string("off"));
		conv = conv_touch(conv, now);
		goto same;
	}
	conv = conv_append(conv, "messages", message_of(sms, kind, now));
	err = json_get(sms, "error");
	if (strcmp(result, "sent") == 0) {
		if (claimed && !stale)
			conv = rule_release(conv, 0, now);
		conv = settled(conv, kind, "sent");
		if (strcmp(kind, "manual") == 0)
			conv = conv_set(conv, "outbox", jv_null());
		conv = conv_set_status(conv, status_after_sent(conv, kind, status, before), now);
	} else if (strcmp(result, "unknown") == 0) {
		conv = conv_touch(conv, now);	/* the claim stays: the lease decides */
	} else if (strcmp(result, "failed") == 0 && json_kind(err, "permanent") == JV_KIND_TRUE) {
		if (claimed)
			conv = rule_release(conv, 0, now);
		if (conv_moment_field(kind))
			conv = conv_set(conv, conv_moment_field(kind), jv_string("failed"));
		/* a notice about an appointment that is over or off fails nothing else */
		if (unsubscribed_error(err) && conv_str(conv, "phone")) {
			*unsubscribed = 1;
			if (conv_live(status))
				conv = conv_set_status(conv, "opted_out", now);
		} else if (conv_live(status) && strcmp(kind, "after") != 0)
			conv = conv_set_status(conv_set(conv, "failed_from", jv_string(
			    strcmp(status, "uncertain") == 0 && before ? before : status)), "failed", now);
	} else if (claimed) {
		conv = rule_release(conv, now + backoff(conv, kind), now);
		if (strcmp(status, "uncertain") == 0)
			conv = conv_set_status(conv, before ? before : "pending", now);
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
		return conv_refuse(conv, "a receipt for no message of this conversation");
	msgs = json_get(conv, "messages");
	m = jv_array_get(jv_copy(msgs), i);
	/* a receipt older than the one kept (a late or repeated callback) changes nothing */
	if (conv_time(m, "delivery_at") > 0 && conv_time(receipt, "at") > 0 &&
	    conv_time(receipt, "at") < conv_time(m, "delivery_at")) {
		jv_free(m);
		jv_free(msgs);
		return conv;
	}
	/* WhatsApp's "read" is after delivery: a late "delivered" does not undo it */
	if (conv_is(m, "delivery", "read") && !conv_is(receipt, "status", "read") &&
	    !conv_is(receipt, "status", "failed") && !conv_is(receipt, "status", "undelivered")) {
		jv_free(m);
		jv_free(msgs);
		return conv;
	}
	m = conv_set(m, "delivery", json_get(receipt, "status"));
	m = conv_set(m, "delivery_error", json_get(receipt, "error"));
	m = conv_set(m, "delivery_at", json_str(receipt, "at") ? json_get(receipt, "at") :
	    rfc3339_jv(now));
	return conv_touch(conv_set(conv, "messages", jv_array_set(msgs, i, m)), now);
}

/* ---- replies and opt-outs ---- */

static jv
reply_of(jv line, int64_t now)
{
	jv r = jv_object();

	r = conv_set(r, "body", json_get(line, "body"));
	r = conv_set(r, "intent", json_get(line, "intent"));
	r = conv_set(r, "at", json_str(line, "received_at") ?
	    json_get(line, "received_at") : rfc3339_jv(now));
	r = conv_set(r, "provider", json_get(line, "provider"));
	if (json_str(line, "answered_by"))
		r = conv_set(r, "answered_by", json_get(line, "answered_by"));
	if (json_str(line, "channel"))
		r = conv_set(r, "channel", json_get(line, "channel"));
	return conv_set(r, "provider_id", json_get(line, "provider_id"));
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
	/*
	 * HELP asks a question, it is no answer: it is answered (a help due),
	 * unless the provider has answered it already (answered_by)
	 */
	if (strcmp(intent, "help") == 0 && json_str(line, "answered_by"))
		return conv_touch(conv, now);
	if (conv_live(status) && strcmp(intent, "help") == 0) {
		conv = conv_set(conv, "help", jv_string("due"));
		return conv_touch(conv_set(conv, "help_at", rfc3339_jv(now)), now);
	}
	/* START changes nothing here */
	if (!conv_live(status) || strcmp(intent, "start") == 0)
		return conv_touch(conv, now);
	if (strcmp(intent, "stop") == 0)
		return conv_set_status(conv, "opted_out", now);
	if (strcmp(status, "pending") == 0)
		return conv_touch(conv, now);
	return conv_set_status(conv, "replied", now);
}

/* The number is on the opt-out list: nothing more for a live conversation. */
jv
rule_opt_out(jv conv, int64_t now)
{
	if (!conv_live(conv_str(conv, "status")))
		return conv;
	return conv_set_status(conv, "opted_out", now);
}

/* A claim not recorded within its lease: nobody knows whether it went. */
jv
rule_lease_lapse(jv conv, int64_t now)
{
	jv claim;
	int notice;

	if (!conv_claim_lapses(conv))
		return conv_refuse(conv, "no claim to lapse");
	claim = json_get(conv, "claim");
	notice = conv_is(claim, "kind", "canceled");
	jv_free(claim);
	/*
	 * canceled while a send's outcome was unknown: nothing more of that
	 * kind will go, so the claim is dropped and the cancel notice is due
	 */
	if (conv_is(conv, "status", "canceled") && !notice)
		return rule_release(conv_set(conv, "lapsed", json_get(conv, "claim")), 0, now);
	return conv_set_status(conv, "uncertain", now);
}

/* The operator's word on an uncertain send: "sent" or "unsent". */
jv
rule_resolve(jv conv, const char *how, int64_t now)
{
	jv claim = json_get(conv, "claim"), m;
	const char *kind = json_str(claim, "kind"), *before = json_str(claim, "status");
	const char *next;

	if (!conv_is(conv, "status", "uncertain") || kind == NULL) {
		jv_free(claim);
		return conv_refuse(conv, "not uncertain: nothing to resolve");
	}
	if (strcmp(how, "sent") == 0) {
		m = conv_set(jv_object(), "kind", jv_string(kind));
		m = conv_set(m, "status", jv_string("sent"));
		m = conv_set(m, "provider", jv_string("operator"));
		m = conv_set(m, "at", json_get(claim, "at"));
		conv = settled(rule_release(conv_append(conv, "messages", m), 0, now), kind, "sent");
		next = status_after_sent(conv, kind, "uncertain", before);
	} else {
		conv = rule_release(conv, 0, now);
		next = before ? before : "pending";
	}
	conv = conv_set_status(conv, next, now);
	conv = rule_history(conv, "resolve", conv_set(conv_set(jv_object(), "how", jv_string(how)),
	    "kind", jv_string(kind)), now);
	jv_free(claim);
	return conv;
}

