/*
 * operator.c: the operator's hand (retry, set-phone, send, stop, note),
 * each kept in the history, and a restore from a dump (rule_merge).
 */
#include <ctype.h>
#include <string.h>

#include "calsms.h"
#include "rules.h"
#include "rules-impl.h"

/* ---- the operator's hand ---- */

/* An operator's action, kept in the conversation's history. Consumes detail. */
jv
rule_history(jv conv, const char *action, jv detail, int64_t now)
{
	jv h = conv_set(conv_set(jv_object(), "action", jv_string(action)), "at", rfc3339_jv(now));

	return conv_touch(conv_append(conv, "history", jv_object_merge(h, detail)), now);
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
		if (conv_is(m, "status", "failed"))
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
		kind = kind_confirms(conv_confirm_kind(conv)) && conv_is(conv, "status", "pending") ?
		    "confirm" : NULL;
		next = rule_history(conv_set(jv_copy(conv), "retry_at", jv_null()), "retry",
		    conv_set(jv_object(), "kind", kind ? jv_string(kind) : jv_null()), now);
		jv_free(claim);
		jv_free(conv);
		return next;
	}
	if (!conv_is(conv, "status", "failed") && !conv_is(conv, "status", "uncertain")) {
		snprintf(why, sizeof why, "%s: only a failed or uncertain conversation, or one "
		    "waiting out a back-off, is retried", status ? status : "no status");
		jv_free(claim);
		return conv_refuse(conv, why);
	}
	if (conv_start(conv) > 0 && conv_start(conv) <= now) {
		jv_free(claim);
		return conv_refuse(conv, "the appointment has started: nothing to retry");
	}
	if (conv_is(conv, "status", "uncertain")) {
		kind = json_str(claim, "kind");
		next = conv_set_status(rule_release(jv_copy(conv), 0, now),
		    json_str(claim, "status") ? json_str(claim, "status") : "pending", now);
	} else {
		kind = failed_kind(conv);
		from = conv_str(conv, "failed_from");
		if (from == NULL || !conv_sendable(from))	/* failed before this was kept */
			from = kind && !kind_confirms(kind) && conv_confirmed_at(conv) ?
			    (conv_answered(conv) ? "replied" : "awaiting_reply") : "pending";
		next = conv_set_status(rule_release(jv_copy(conv), 0, now), from, now);
		next = conv_set(next, "failed_from", jv_null());
		if (kind && strcmp(kind, "help") == 0)
			next = conv_set(next, "help", jv_string("due"));
	}
	next = rule_history(next, "retry", conv_set(jv_object(), "kind", kind ? jv_string(kind) : jv_null()), now);
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
	jv detail = conv_set(jv_object(), "old", json_str_or_null(json_get(conv, "phone")));
	int64_t start = conv_start(conv);

	if (json_kind(conv, "claim") == JV_KIND_OBJECT) {
		jv_free(detail);
		return conv_refuse(conv, "a send is in flight: wait for it, or resolve it");
	}
	conv = conv_set(conv, "phone", jv_string(phone));
	if (conv_is(conv, "status", "no_phone")) {
		conv = conv_set_status(conv, opted_out ? "opted_out" : "pending", now);
		if (!opted_out && start > 0 && start <= now)
			conv = conv_set(conv, "skip", jv_string("started"));
	} else if (opted_out && conv_live(conv_str(conv, "status")))
		conv = conv_set_status(conv, "opted_out", now);
	return rule_history(conv, "set-phone", conv_set(detail, "new", jv_string(phone)), now);
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
		return conv_refuse(conv, "this conversation may not be texted (opted out, "
		    "canceled, failed, uncertain, or no phone)");
	if (json_kind(conv, "outbox") == JV_KIND_OBJECT)
		return conv_refuse(conv, "a message is already waiting to be sent");
	box = conv_set(conv_set(jv_object(), "body", jv_string(body)), "at", rfc3339_jv(now));
	conv = conv_set(conv, "outbox", box);
	return rule_history(conv, "send", conv_set(jv_object(), "body", jv_string(body)), now);
}

/*
 * The operator stops texting this conversation: nothing more is due for
 * it, whatever its status; replies still attach to it.
 */
jv
rule_stop(jv conv, int64_t now)
{
	if (conv_is(conv, "skip", "stopped"))
		return conv_refuse(conv, "texts are stopped already");
	if (json_kind(conv, "claim") == JV_KIND_OBJECT)
		return conv_refuse(conv, "a send is in flight: wait for it, or resolve it");
	conv = conv_set(conv_set(conv, "skip", jv_string("stopped")), "outbox", jv_null());
	return rule_history(conv, "stop", jv_object(), now);
}

/* The front desk's note, kept in the history. */
jv
rule_note(jv conv, const char *text, int64_t now)
{
	return rule_history(conv, "note", conv_set(jv_object(), "text", jv_string(text)), now);
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
	return conv_set(base, list, a);
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
		base = conv_set(base, "status", json_get(other, "status"));
		base = conv_set(base, "canceled", json_get(other, "canceled"));
		if (json_kind(other, "cancel_notice") != JV_KIND_NULL)
			base = conv_set(base, "cancel_notice", json_get(other, "cancel_notice"));
	}
	for (i = 0; moments[i]; i++)
		if (json_kind(other, moments[i]) == JV_KIND_STRING &&
		    !conv_is(other, moments[i], "due") && (json_kind(base, moments[i]) == JV_KIND_NULL ||
		    conv_is(base, moments[i], "due")))
			base = conv_set(base, moments[i], json_get(other, moments[i]));
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

