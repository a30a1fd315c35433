/*
 * rules-test: every row of rule_table (src/store/rules.c) played against
 * the rules' functions, then the cases the table does not show.  Prints
 * "ok N - what" or "not ok N - what" (TAP); exits 1 on any failure.
 * conv_changes (the change feed's "what changed") has its cases last.
 * With --table it prints the table as calsms(7) shows it; with --keywords
 * the opt-out words and phrases conv-store(1) lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"
#include "rules.h"
#include "store.h"

#define T0 1764000000	/* 2025-11-24T16:00:00Z */
#define START "2025-11-25T15:00:00Z"

static int failures, count;

static void
check(int ok, const char *what, const char *detail)
{
	count++;
	printf("%sok %d - %s%s%s\n", ok ? "" : "not ", count, what,
	    detail ? ": " : "", detail ? detail : "");
	failures += !ok;
}

static jv
appt(const char *id, const char *phone, const char *start)
{
	jv a = jv_object();

	a = jv_object_set(a, jv_string("type"), jv_string("booking"));
	a = jv_object_set(a, jv_string("id"), jv_string(id));
	a = jv_object_set(a, jv_string("phone"), phone ? jv_string(phone) : jv_null());
	a = jv_object_set(a, jv_string("timezone"), jv_string("America/New_York"));
	a = jv_object_set(a, jv_string("start_time"), jv_string(start));
	return jv_object_set(a, jv_string("end_time"), jv_string(start));
}

static jv
with(jv c, const char *key, jv v)
{
	return jv_object_set(c, jv_string(key), v);
}

/* A conversation in status, its confirmation sent unless it is pending. */
static jv
conv_in(const char *status)
{
	jv c = rule_booking(appt("A1", "+14045550101", START), 0, T0, 90);
	jv m = jv_object();

	if (strcmp(status, "pending") != 0) {
		m = with(m, "kind", jv_string("confirm"));
		m = with(m, "status", jv_string("sent"));
		m = with(m, "provider_id", jv_string("SM1"));
		m = with(m, "at", jv_string("2025-11-24T16:00:00Z"));
		c = conv_append(c, "messages", m);
	} else
		jv_free(m);
	return with(c, "status", jv_string(status));
}

static jv
claimed(jv c, const char *kind, const char *before)
{
	jv claim = jv_object();

	claim = with(claim, "kind", jv_string(kind));
	claim = with(claim, "at", jv_string("2025-11-24T16:00:00Z"));
	claim = with(claim, "status", jv_string(before));
	return with(c, "claim", claim);
}

static jv
result(const char *due, const char *status, const char *code, int permanent)
{
	jv sms = jv_object(), err = jv_null();

	if (code) {
		err = with(jv_object(), "code", jv_string(code));
		err = with(err, "permanent", jv_bool(permanent));
	}
	sms = with(sms, "status", jv_string(status));
	sms = with(sms, "provider", jv_string("twilio"));
	sms = with(sms, "provider_id", jv_string(strcmp(status, "sent") == 0 ? "SM9" : ""));
	sms = with(sms, "error", err);
	return with(with(with(jv_object(), "id", jv_string("A1")), "due", jv_string(due)),
	    "sms", sms);
}

static jv
reply_line(const char *body, const char *pid)
{
	jv r = with(jv_object(), "type", jv_string("reply"));

	r = with(r, "from", jv_string("+14045550101"));
	r = with(r, "body", jv_string(body));
	r = with(r, "intent", jv_string(reply_intent(body, 0)));
	return with(r, "provider_id", jv_string(pid));
}

static jv
send_result(jv c, const char *due, const char *status, const char *code, int permanent)
{
	jv line = result(due, status, code, permanent);
	int unsub;

	c = rule_result(c, line, T0 + 60, &unsub);
	jv_free(line);
	return c;
}

static jv
due(jv c, const char *kind, int opted, int64_t now)
{
	struct due_opts o = { .rescheduled = 1 };
	int64_t until;
	jv next;

	if (rule_due(c, kind, opted, &o, now, &next, &until) == DUE_HOLD)
		return jv_invalid_with_msg(jv_string("held"));
	return next;
}

/* A conversation canceled with its cancel notice to come. */
static jv
noticed(jv c)
{
	return with(c, "cancel_notice", jv_string("due"));
}

static jv
cancel_appt(void)
{
	jv a = appt("A1", "+14045550101", START);

	a = with(a, "type", jv_string("cancel"));
	return with(a, "reason", jv_string("sick"));
}

/* Plays one row of the table: the conversation after event, from from. */
static jv
play(const char *event, const char *from)
{
	jv c = strcmp(from, "-") == 0 ? jv_invalid() : conv_in(from), a, r;

#define IS(s) (strcmp(event, s) == 0)
	if (IS("booking"))
		return rule_booking(appt("A1", "+14045550101", START), 0, T0, 90);
	if (IS("booking without a phone"))
		return rule_booking(appt("A1", NULL, START), 0, T0, 90);
	if (IS("booking from an opted-out number"))
		return rule_booking(appt("A1", "+14045550101", START), 1, T0, 90);
	if (IS("booking again"))
		return c;	/* the store keeps what it has: nothing is called */
	if (IS("cancel") || IS("cancel before its booking")) {
		a = cancel_appt();
		c = jv_is_valid(c) ? rule_cancel(c, a, T0) : rule_cancel_first(jv_copy(a), T0, 90);
		jv_free(a);
		return c;
	}
	if (IS("rescheduled away"))
		return rule_rescheduled_away(c, "A2", T0);
	if (IS("rescheduled away before its booking"))
		return rule_reschedule_marker("A1", appt("A2", "+14045550101", START), T0, 90);
	if (IS("sent confirm") || IS("sent confirm, after the lease lapsed"))
		return send_result(claimed(c, "confirm", "pending"), "confirm", "sent", NULL, 0);
	if (IS("sent followup"))
		return send_result(claimed(c, "followup", from), "followup", "sent", NULL, 0);
	if (IS("sent help"))
		return send_result(claimed(c, "help", from), "help", "sent", NULL, 0);
	if (IS("sent reminder"))
		return send_result(claimed(c, "reminder", from), "reminder", "sent", NULL, 0);
	if (IS("sent rescheduled"))
		return send_result(claimed(c, "rescheduled", from), "rescheduled", "sent", NULL, 0);
	if (IS("sent canceled"))
		return send_result(claimed(noticed(c), "canceled", from), "canceled", "sent", NULL, 0);
	if (IS("sent after"))
		return send_result(claimed(with(c, "after", jv_string("due")), "after", from),
		    "after", "sent", NULL, 0);
	if (IS("after failed for good"))
		return send_result(claimed(with(c, "after", jv_string("due")), "after", from),
		    "after", "failed", "30003", 1);
	if (IS("after off for its event type"))
		return send_result(claimed(with(c, "after", jv_string("due")), "after", from),
		    "after", "off", NULL, 0);
	if (IS("lease lapses, canceled while unknown")) {
		c = rule_lease_lapse(claimed(noticed(c), "confirm", "pending"), T0 + 700);
		/* the claim is dropped: the notice is due */
		return jv_get_kind(jv_object_get(jv_copy(c), jv_string("claim"))) == JV_KIND_NULL ?
		    c : (jv_free(c), jv_invalid_with_msg(jv_string("claim kept")));
	}
	if (IS("sent confirm, a reply while unknown")) {
		r = reply_line("Yes, see you", "R2");
		c = rule_reply(claimed(c, "confirm", "pending"), r, T0);
		jv_free(r);
		return send_result(c, "confirm", "sent", NULL, 0);
	}
	if (IS("not due at the last look"))
		return send_result(claimed(c, "confirm", "pending"), "confirm", "skipped", "not_due", 0);
	if (IS("retry, a reply before the failure")) {
		jv_free(c);
		return rule_retry(send_result(claimed(conv_in("replied"), "reminder", "replied"),
		    "reminder", "failed", "21211", 1), T0);
	}
	if (IS("retry, waiting out a back-off"))
		return rule_retry(with(c, "retry_at", jv_string("2025-11-24T17:00:00Z")), T0);
	if (IS("restore of a copy that looks newer"))
		return rule_merge(c, with(conv_in("pending"), "updated_at",
		    jv_string("2030-01-01T00:00:00Z")));
	if (IS("stop"))
		return rule_stop(c, T0);
	if (IS("lease lapses on a cancel notice"))
		return rule_lease_lapse(claimed(noticed(c), "canceled", from), T0 + 700);
	if (IS("resolve sent, a cancel notice"))
		return rule_resolve(claimed(noticed(c), "canceled", "canceled"), "sent", T0);
	if (IS("due canceled, appointment started"))
		return due(noticed(c), "canceled", 0, T0 + 86400 * 2);
	if (IS("due after, the customer declined")) {
		r = reply_line("Sorry, I can't make it", "R7");
		c = rule_reply(with(c, "after", jv_string("due")), r, T0);
		jv_free(r);
		return due(c, "after", 0, T0 + 86400);
	}
	if (IS("failed for good"))
		return send_result(claimed(c, "followup", from), "followup", "failed", "21211", 1);
	if (IS("unsubscribed at the provider"))
		return send_result(claimed(c, "confirm", from), "confirm", "failed", "21610", 1);
	if (IS("texts off for its event type"))
		return send_result(claimed(c, "confirm", from), "confirm", "off", NULL, 0);
	if (IS("failed for now, or skipped"))
		return send_result(claimed(c, "confirm", from), "confirm", "skipped", "halted", 0);
	if (IS("outcome unknown"))
		return send_result(claimed(c, "confirm", from), "confirm", "unknown", "network", 0);
	if (IS("result for a kind never claimed"))
		return send_result(c, "followup", "sent", NULL, 0);
	if (IS("lease lapses"))
		return rule_lease_lapse(claimed(c, "confirm", from), T0 + 700);
	if (IS("resolve sent"))
		return rule_resolve(claimed(c, "confirm", "pending"), "sent", T0);
	if (IS("resolve unsent"))
		return rule_resolve(claimed(c, "confirm", "pending"), "unsent", T0);
	if (IS("resolve"))
		return rule_resolve(c, "sent", T0);
	if (IS("reply") || IS("reply STOP") || IS("reply START") || IS("reply HELP")) {
		r = reply_line(IS("reply") ? "Yes, see you" : IS("reply STOP") ? "stop" :
		    IS("reply HELP") ? "HELP" : "START", "R1");
		c = rule_reply(c, r, T0);
		jv_free(r);
		return c;
	}
	if (IS("opt-out"))
		return rule_opt_out(c, T0);
	if (IS("due, number opted out"))
		return due(c, "confirm", 1, T0);
	if (IS("due, appointment started"))
		return due(c, "confirm", 0, T0 + 86400 * 2);
	if (IS("due"))
		return due(c, "confirm", 0, T0);
	if (IS("receipt") || IS("receipt for no message of it")) {
		r = with(jv_object(), "type", jv_string("receipt"));
		r = with(r, "provider_id", jv_string(IS("receipt") ? "SM1" : "SM404"));
		r = with(r, "status", jv_string("delivered"));
		c = rule_receipt(c, r, T0);
		jv_free(r);
		return c;
	}
	if (IS("retry") && strcmp(from, "failed") == 0) {
		jv_free(c);
		return rule_retry(send_result(claimed(conv_in("pending"), "confirm", "pending"),
		    "confirm", "failed", "21211", 1), T0);
	}
	if (IS("retry") && strcmp(from, "uncertain") == 0)
		return rule_retry(claimed(c, "confirm", "pending"), T0);
	if (IS("retry"))
		return rule_retry(c, T0);
	if (IS("set-phone") || IS("set-phone to an opted-out number"))
		return rule_set_phone(with(c, "phone", jv_null()), "+14045550199",
		    IS("set-phone to an opted-out number"), T0);
	if (IS("send"))
		return rule_send(c, "We are running 10 minutes late", T0);
	if (IS("sent manual"))
		return send_result(claimed(rule_send(c, "hi", T0), "manual", from), "manual",
		    "sent", NULL, 0);
	if (IS("note"))
		return rule_note(c, "called, will come", T0);
	if (IS("restore of an older copy"))
		return rule_merge(c, conv_in("pending"));
#undef IS
	jv_free(c);
	return jv_invalid_with_msg(jv_string("no such event in the test"));
}

static void
table(void)
{
	const struct transition *t;
	int i;

	for (i = 0; rule_table[i].event; i++) {
		jv c;
		const char *got;
		char what[200];

		t = &rule_table[i];
		c = play(t->event, t->from);
		got = jv_is_valid(c) ? conv_str(c, "status") : "refused";
		snprintf(what, sizeof what, "%s: %s -> %s", t->event, t->from, t->to);
		check(got && strcmp(got, t->to) == 0, what, got);
		jv_free(c);
	}
}

static int
has(jv c, const char *key, const char *value)
{
	const char *s = conv_str(c, key);

	return value ? s && strcmp(s, value) == 0 : json_kind(c, key) == JV_KIND_NULL;
}

static int
claimed_as(jv c, const char *kind)
{
	jv claim = json_get(c, "claim");
	int yes = has(claim, "kind", kind);

	jv_free(claim);
	return yes;
}

/* The cancel notice, the confirmation of a reschedule, and the moment after. */
/* A zone where it is always quiet: the rules ask, the caller knows zones. */
static int64_t
quiet_all_day(int64_t now, const char *zone, int from, int to)
{
	(void)zone;
	(void)from;
	(void)to;
	return now + 3600;
}

static void
moments(void)
{
	struct due_opts o = { .after = 7200 };
	jv c, a, next;
	int64_t until;

	a = cancel_appt();
	c = rule_cancel(conv_in("awaiting_reply"), a, T0);
	check(has(c, "cancel_notice", "due"), "a cancel makes a cancel notice due", NULL);
	c = due(c, "canceled", 0, T0 + 60);
	check(jv_is_valid(c) && claimed_as(c, "canceled"),
	    "a cancel notice is claimed as canceled", NULL);
	c = send_result(c, "canceled", "sent", NULL, 0);
	check(has(c, "cancel_notice", "sent") && has(c, "status", "canceled"),
	    "a sent cancel notice is recorded once", NULL);
	c = rule_cancel(c, a, T0 + 120);
	check(has(c, "cancel_notice", "sent"), "a repeated cancel makes no second notice", NULL);
	jv_free(c);
	c = rule_cancel_first(jv_copy(a), T0, 90);
	check(has(c, "cancel_notice", "due"), "a cancel before its booking has its notice", NULL);
	jv_free(c);
	c = rule_cancel(conv_in("failed"), a, T0);
	check(has(c, "cancel_notice", NULL), "no cancel notice to a number that failed", NULL);
	jv_free(c);
	jv_free(a);
	a = with(cancel_appt(), "rescheduled", jv_true());
	c = rule_cancel(conv_in("awaiting_reply"), a, T0);
	check(has(c, "cancel_notice", NULL), "no cancel notice when the booking moved", NULL);
	jv_free(c);
	c = rule_cancel_first(jv_copy(a), T0, 90);
	check(has(c, "cancel_notice", NULL), "nor when its cancel comes first", NULL);
	jv_free(c);
	jv_free(a);
	c = due(noticed(conv_in("canceled")), "canceled", 1, T0);
	check(has(c, "cancel_notice", "skipped") && has(c, "status", "canceled"),
	    "an opted-out number gets no cancel notice", NULL);
	jv_free(c);
	c = send_result(claimed(noticed(conv_in("canceled")), "canceled", "canceled"),
	    "canceled", "off", NULL, 0);
	check(has(c, "cancel_notice", "off") && has(c, "skip", NULL),
	    "no canceled.jq: the notice is off, nothing else", NULL);
	jv_free(c);
	/* a rescheduled booking is confirmed as such, and then followed up */
	c = rule_booking(with(appt("A2", "+14045550101", START), "old_id", jv_string("A1")),
	    0, T0, 90);
	check(rule_due(jv_copy(c), "confirm", 0, &o, T0, &next, &until) == DUE_CLAIM &&
	    claimed_as(next, "confirm"), "without rescheduled.jq, it is a confirmation", NULL);
	jv_free(next);
	c = due(c, "confirm", 0, T0);
	check(jv_is_valid(c) && claimed_as(c, "rescheduled"),
	    "the confirmation of a reschedule is claimed as rescheduled", NULL);
	c = send_result(c, "rescheduled", "sent", NULL, 0);
	check(has(c, "status", "awaiting_reply") && conv_confirmed_at(c) > 0 &&
	    has(c, "after", "due"), "a sent rescheduled confirms, and makes after due", NULL);
	c = due(c, "followup", 0, T0 + 1900);
	check(jv_is_valid(c) && json_kind(c, "claim") == JV_KIND_OBJECT,
	    "a rescheduled confirmation is followed up", NULL);
	jv_free(c);
	/* after the appointment: once, not a day late, not in quiet hours */
	c = with(conv_in("replied"), "after", jv_string("due"));
	check(rule_due(jv_copy(c), "after", 0, &o, T0 + 86400 + 7200, &next, &until) == DUE_CLAIM,
	    "after is claimed once the appointment is over", NULL);
	jv_free(next);
	check(rule_due(jv_copy(c), "after", 0, &o, T0 + 86400 * 3, &next, &until) == DUE_SETTLE &&
	    has(next, "after", "skipped"), "after a day late is skipped", NULL);
	jv_free(next);
	o.quiet = 1, o.qfrom = 0, o.qto = 23 * 60 + 59, o.quiet_end = quiet_all_day;
	check(rule_due(jv_copy(c), "after", 0, &o, T0 + 86400 + 7200, &next, &until) == DUE_HOLD &&
	    until > 0, "after waits for quiet hours to end", NULL);
	jv_free(next);
	c = send_result(claimed(c, "after", "replied"), "after", "failed", "30003", 1);
	check(has(c, "after", "failed") && has(c, "status", "replied"),
	    "a failed after fails nothing else", NULL);
	jv_free(c);
	c = due(with(conv_in("canceled"), "after", jv_string("due")), "after", 0, T0 + 86400 * 2);
	check(!jv_is_valid(c), "no after for a canceled appointment", NULL);
	jv_free(c);
}

static void
details(void)
{
	jv c, d, r, line;
	int unsub;

	/* claims and what they keep */
	c = claimed(conv_in("pending"), "confirm", "pending");
	c = send_result(c, "confirm", "unknown", "network", 0);
	check(json_kind(c, "claim") == JV_KIND_OBJECT, "unknown keeps the claim", NULL);
	jv_free(c);
	c = send_result(claimed(conv_in("pending"), "confirm", "pending"), "confirm",
	    "failed", "http_500", 0);
	check(json_kind(c, "claim") == JV_KIND_NULL && conv_time(c, "retry_at") == T0 + 60 + 60,
	    "a temporary failure releases the claim with a back-off", NULL);
	jv_free(c);
	/* texts off for the event type: never due, nothing recorded as sent */
	c = send_result(claimed(conv_in("pending"), "confirm", "pending"), "confirm", "off", NULL, 0);
	check(json_kind(c, "claim") == JV_KIND_NULL && conv_str(c, "skip") &&
	    strcmp(conv_str(c, "skip"), "off") == 0 && conv_count(c, "messages") == 0,
	    "off: released, skipped (no due key), no message", NULL);
	jv_free(c);
	/* the same result twice is recorded once */
	c = send_result(claimed(conv_in("pending"), "confirm", "pending"), "confirm", "sent", NULL, 0);
	line = result("confirm", "sent", NULL, 0);
	d = rule_result(jv_copy(c), line, T0 + 120, &unsub);
	check(conv_count(d, "messages") == conv_count(c, "messages"),
	    "a result recorded already changes nothing", NULL);
	jv_free(line);
	jv_free(c);
	jv_free(d);
	/* unsubscribed asks the store to opt the number out */
	line = result("confirm", "failed", "21610", 1);
	c = rule_result(claimed(conv_in("pending"), "confirm", "pending"), line, T0, &unsub);
	check(unsub == 1, "21610 opts the number out", NULL);
	jv_free(line);
	jv_free(c);
	/* a dry run is marked */
	line = result("confirm", "sent", NULL, 0);
	line = jv_setpath(line, JV_ARRAY(jv_string("sms"), jv_string("provider")), jv_string("log"));
	c = rule_result(claimed(conv_in("pending"), "confirm", "pending"), line, T0, &unsub);
	d = jv_array_get(json_get(c, "messages"), 0);
	check(json_kind(d, "dry_run") == JV_KIND_TRUE, "the log provider's sends are dry runs", NULL);
	jv_free(d);
	jv_free(line);
	jv_free(c);
	/* a redelivered reply is kept once */
	r = reply_line("yes", "R1");
	c = rule_reply(conv_in("awaiting_reply"), r, T0);
	c = rule_reply(c, r, T0 + 5);
	check(conv_count(c, "replies") == 1, "a redelivered reply is kept once", NULL);
	jv_free(r);
	jv_free(c);
	/* HELP is answered: a help due, then sent, and the follow-up still goes */
	r = reply_line("HELP", "R3");
	c = rule_reply(conv_in("awaiting_reply"), r, T0);
	check(strcmp(conv_str(c, "help"), "due") == 0 && strcmp(conv_str(c, "status"),
	    "awaiting_reply") == 0, "HELP makes a help due and is no answer", NULL);
	c = due(c, "help", 0, T0 + 1);
	check(jv_is_valid(c) && json_kind(c, "claim") == JV_KIND_OBJECT, "a help due is claimed", NULL);
	c = send_result(c, "help", "sent", NULL, 0);
	check(strcmp(conv_str(c, "help"), "sent") == 0 && json_kind(c, "claim") == JV_KIND_NULL,
	    "a sent help answer is recorded", NULL);
	jv_free(r);
	jv_free(c);
	/* a reply to a canceled conversation is kept, its status is not changed */
	r = reply_line("yes", "R2");
	c = rule_reply(conv_in("canceled"), r, T0);
	check(conv_count(c, "replies") == 1, "a reply to a canceled conversation is kept", NULL);
	jv_free(r);
	jv_free(c);
	/* restore: the newer wins and nothing is forgotten */
	c = with(conv_in("awaiting_reply"), "updated_at", jv_string("2025-11-24T17:00:00Z"));
	d = with(conv_in("pending"), "updated_at", jv_string("2025-11-24T16:00:00Z"));
	r = reply_line("old", "R0");
	d = rule_reply(d, r, T0);
	d = with(d, "updated_at", jv_string("2025-11-24T16:00:00Z"));
	c = rule_merge(d, c);
	check(strcmp(conv_str(c, "status"), "awaiting_reply") == 0 && conv_count(c, "replies") == 1,
	    "restore keeps the newer state and every reply", NULL);
	jv_free(r);
	jv_free(c);
	/* due: a retry time holds, quiet hours hold follow-ups */
	c = with(conv_in("pending"), "retry_at", jv_string("2025-11-24T16:10:00Z"));
	c = due(c, "confirm", 0, T0);
	check(!jv_is_valid(c), "a retry time holds the confirmation", NULL);
	jv_free(c);
	c = due(claimed(conv_in("pending"), "confirm", "pending"), "confirm", 0, T0);
	check(!jv_is_valid(c), "a claimed conversation is never claimed again", NULL);
	jv_free(c);
	moments();
	/* the daily cap: texts we start in the last 24 hours, claims as now */
	{
		jv convs = jv_parse("[{\"messages\": ["
		    "{\"kind\": \"confirm\", \"status\": \"sent\", \"at\": \"2025-11-23T15:00:00Z\"},"
		    "{\"kind\": \"followup\", \"status\": \"sent\", \"at\": \"2025-11-24T15:00:00Z\"},"
		    "{\"kind\": \"help\", \"status\": \"sent\", \"at\": \"2025-11-24T15:30:00Z\"},"
		    "{\"kind\": \"confirm\", \"status\": \"failed\", \"at\": \"2025-11-24T15:40:00Z\"}]},"
		    "{\"messages\": [], \"claim\": {\"kind\": \"reminder\"}}]");

		check(rule_cap_until(jv_copy(convs), 2, T0) == T0 + 23 * 3600,
		    "cap: two texts in 24 h (a follow-up, a claim) hold a third until the first is a day old", NULL);
		check(rule_cap_until(jv_copy(convs), 3, T0) == 0,
		    "cap: a HELP answer, a failed send and a text a day old do not count", NULL);
		check(rule_cap_until(convs, 1, T0) == T0 + 86400, "cap: a claim counts as sent now", NULL);
	}
	/* the keyword table, and the line drawn for STOP */
	{
		static const char *cases[][2] = {
			{ "  Stop ", "stop" }, { "STOP.", "stop" }, { "stopall", "stop" },
			{ "Unsubscribe", "stop" }, { "cancel", "stop" }, { "END", "stop" },
			{ "quit", "stop" }, { "revoke", "stop" }, { "optout", "stop" },
			{ "opt-out", "stop" }, { "opt out", "stop" }, { "remove", "stop" },
			{ "ARRET", "stop" }, { "arr\xc3\xaat", "stop" }, { "td", "stop" },
			{ "stop please", "stop" }, { "Please stop texting me!", "stop" },
			{ "STOP sending me messages", "stop" }, { "remove me from this list", "stop" },
			{ "don't stop the appointment", "other" }, { "cancel my appointment", "other" },
			{ "do not stop", "other" }, { "I want to stop by earlier", "other" },
			{ "START", "start" }, { "unstop", "start" },
			{ "HELP", "help" }, { "info", "help" }, { "help me find the office", "other" },
			{ "Yes, see you then!", "confirm" }, { "y", "confirm" }, { "OK", "confirm" },
			{ "Confirm", "confirm" }, { "Yes, I'll be there", "confirm" },
			{ "I\xe2\x80\x99ll be there", "confirm" }, { "\xf0\x9f\x91\x8d", "confirm" },
			{ "no problem, see you", "confirm" },
			{ "no", "decline" }, { "N", "decline" }, { "Nope.", "decline" },
			{ "Sorry, I can't make it", "decline" }, { "cannot make it today", "decline" },
			{ "what time?", "other" }, { "", "other" }, { "yesterday was fine", "other" },
			{ "SI", "confirm" }, { "S\xc3\x8d", "confirm" }, { "s\xc3\xad, gracias", "confirm" },
			{ "BAJA", "stop" }, { "AYUDA", "help" }, { "No puedo ir", "decline" },
			{ NULL, NULL }
		};
		char what[160];
		int i;

		for (i = 0; cases[i][0]; i++) {
			const char *got = reply_intent(cases[i][0], 0);

			snprintf(what, sizeof what, "intent of \"%s\" is %s", cases[i][0], cases[i][1]);
			check(strcmp(got, cases[i][1]) == 0, what, got);
		}
	}
}

/* The kinds conv_due() names for c, in its order, as "k1 k2 ...". */
static const char *
due_kinds(jv c)
{
	static char out[200];
	struct due_at due[DUE_KINDS];
	int i, n = conv_due(c, due, DUE_KINDS);
	size_t len = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", i ? " " : "", due[i].kind);
	jv_free(c);
	return out;
}

/* The due table: what each conversation becomes due for, and the last look. */
static void
due_table(void)
{
	static const struct { const char *status, *extra, *want; } rows[] = {
		{ "pending", NULL, "confirm" },
		{ "awaiting_reply", NULL, "followup reminder" },
		{ "followed_up", NULL, "reminder" },
		{ "replied", NULL, "reminder" },
		{ "opted_out", NULL, "" },
		{ "failed", NULL, "" },
		{ "uncertain", NULL, "" },
		{ "no_phone", NULL, "" },
		{ "pending", "claim", "" },
		{ "pending", "skip", "" },
		{ "awaiting_reply", "stopped", "" },
		{ "awaiting_reply", "help", "help followup reminder" },
		{ "awaiting_reply", "outbox", "manual followup reminder" },
		{ "canceled", "notice", "canceled" },
		{ NULL, NULL, NULL }
	};
	char what[160];
	const char *got;
	jv c, line, conv;
	int i;

	for (i = 0; rows[i].status; i++) {
		c = conv_in(rows[i].status);
		if (rows[i].extra && strcmp(rows[i].extra, "claim") == 0)
			c = claimed(c, "confirm", "pending");
		else if (rows[i].extra && strcmp(rows[i].extra, "skip") == 0)
			c = with(c, "skip", jv_string("started"));
		else if (rows[i].extra && strcmp(rows[i].extra, "stopped") == 0)
			c = rule_stop(c, T0);
		else if (rows[i].extra && strcmp(rows[i].extra, "help") == 0)
			c = with(with(c, "help", jv_string("due")), "help_at", jv_string("2025-11-24T16:05:00Z"));
		else if (rows[i].extra && strcmp(rows[i].extra, "outbox") == 0)
			c = rule_send(c, "hi", T0);
		else if (rows[i].extra && strcmp(rows[i].extra, "notice") == 0)
			c = noticed(c);
		got = due_kinds(c);
		snprintf(what, sizeof what, "due: %s%s%s is due for \"%s\"", rows[i].status,
		    rows[i].extra ? " with " : "", rows[i].extra ? rows[i].extra : "", rows[i].want);
		check(strcmp(got, rows[i].want) == 0, what, got);
	}
	/* the kind table */
	check(kind_named("canceled") && strcmp(kind_named("canceled")->field, "cancel_notice") == 0,
	    "kinds: a cancel notice's field is cancel_notice", NULL);
	check(kind_confirms("rescheduled") && kind_confirms("confirm") && !kind_confirms("followup"),
	    "kinds: confirm and rescheduled count as the confirmation", NULL);
	check(kind_named("followup")->quiet && kind_named("confirm")->quiet && !kind_named("help")->quiet &&
	    !kind_named("manual")->quiet, "kinds: quiet hours hold a follow-up and a confirmation, not an answer",
	    NULL);
	check(kind_named("after")->optional && !kind_named("reminder")->optional &&
	    kind_named("nope") == NULL, "kinds: the moment after is turned on by its template", NULL);
	/* the last look: the same claim, still due; a STOP or another claim says no */
	conv = claimed(conv_in("pending"), "confirm", "pending");
	line = with(with(with(jv_object(), "id", jv_string("A1")), "due", jv_string("confirm")),
	    "claim", jv_object_get(jv_copy(conv), jv_string("claim")));
	check(rule_still_due(conv, line, &got), "last look: the claim it was handed out with", NULL);
	c = with(jv_copy(conv), "status", jv_string("opted_out"));
	check(!rule_still_due(c, line, &got), "last look: opted out since the claim", got);
	jv_free(c);
	c = claimed(jv_copy(conv), "confirm", "pending");
	c = with(c, "claim", with(jv_object_get(jv_copy(c), jv_string("claim")), "at",
	    jv_string("2025-11-24T17:00:00Z")));
	check(!rule_still_due(c, line, &got), "last look: another claim now", got);
	jv_free(c);
	c = with(claimed(conv_in("awaiting_reply"), "followup", "awaiting_reply"), "status",
	    jv_string("replied"));
	jv_free(line);
	line = with(with(jv_object(), "due", jv_string("followup")), "claim",
	    jv_object_get(jv_copy(c), jv_string("claim")));
	check(!rule_still_due(c, line, &got), "last look: a reply makes the follow-up moot", got);
	jv_free(c);
	jv_free(line);
	jv_free(conv);
}

/* conv_changes(old, new) says what as the whats, in order, joined by spaces */
static void
what_changed(jv old, jv conv, const char *want, const char *what)
{
	static char got[200];
	jv ch = conv_changes(old, conv), w;
	int i, n = jv_array_length(jv_copy(ch));

	got[0] = '\0';
	for (i = 0; i < n; i++) {
		w = jv_array_get(jv_copy(ch), i);
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "",
		    json_str(w, "what") ? json_str(w, "what") : "?");
		jv_free(w);
	}
	check(strcmp(got, want) == 0, what, got);
	jv_free(ch);
	jv_free(old);
	jv_free(conv);
}

static void
changes_cases(void)
{
	jv c = conv_in("awaiting_reply"), r, receipt;

	what_changed(jv_invalid(), conv_in("pending"), "booked status", "changes: a new conversation");
	what_changed(jv_copy(c), jv_invalid(), "purged", "changes: a purge");
	what_changed(jv_copy(c), jv_copy(c), "", "changes: the same record is no change");
	what_changed(jv_copy(c), claimed(jv_copy(c), "followup", "awaiting_reply"), "",
	    "changes: a claim taken is not a change");
	what_changed(jv_copy(c), with(jv_copy(c), "updated_at", jv_string("2025-11-24T17:00:00Z")),
	    "", "changes: updated_at alone is not a change");
	r = with(with(jv_object(), "from", jv_string("+14045550101")), "body", jv_string("yes"));
	r = with(with(r, "intent", jv_string("confirm")), "received_at",
	    jv_string("2025-11-24T16:05:00Z"));
	what_changed(jv_copy(c), rule_reply(jv_copy(c), r, T0 + 300), "status reply",
	    "changes: a reply and the status it brings");
	receipt = with(with(jv_object(), "provider_id", jv_string("SM1")), "status",
	    jv_string("delivered"));
	what_changed(jv_copy(c), rule_receipt(jv_copy(c), receipt, T0 + 10), "receipt",
	    "changes: a receipt changes its message");
	what_changed(jv_copy(c), rule_note(jv_copy(c), "called", T0), "operator",
	    "changes: an operator's note");
	jv_free(r);
	jv_free(receipt);
	what_changed(jv_copy(c), with(jv_copy(c), "phone", jv_string("+14045550102")), "phone",
	    "changes: a new phone");
	what_changed(jv_copy(c), with(jv_copy(c), "appointment", appt("A1", "+14045550101",
	    "2025-11-26T15:00:00Z")), "appointment", "changes: the appointment moved");
	what_changed(conv_in("pending"), jv_copy(c), "status message",
	    "changes: the confirmation sent");
	jv_free(c);
}

/* rfc3339_format writes digits by hand for years 0-9999: each against strftime's */
static void
time_cases(void)
{
	static const struct { int64_t t; const char *want; } cases[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ T0, "2025-11-24T16:00:00Z" },
		{ 951782400, "2000-02-29T00:00:00Z" },
		{ 4102444799, "2099-12-31T23:59:59Z" },
		{ -62167219200, "0000-01-01T00:00:00Z" },
		{ 253402300799, "9999-12-31T23:59:59Z" },
		{ 253402300800, "10000-01-01T00:00:00Z" },
		{ -62167219201, "-1-12-31T23:59:59Z" },
	};
	char got[32], what[64];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rfc3339_format(cases[i].t, got);
		snprintf(what, sizeof what, "rfc3339_format(%lld)", (long long)cases[i].t);
		check(strcmp(got, cases[i].want) == 0, what, got);
	}
}

/*
 * json_dump writes a string as jq does: every byte value (the ASCII ones
 * at each place in strings of 1 to 24 bytes, so both in and out of the
 * 8-byte words it scans), and UTF-8, against jv_dump_string.
 */
static void
dump_cases(void)
{
	static const char *const utf8[] = { "Zo\xc3\xab \xe5\xb1\xb1\xe7\x94\xb0 \xf0\x9f\xa6\xb7",
	    "\xc3\xa9\"\\\x7f\x01" "abcdefgh\xe2\x82\xac\n" };
	struct strbuf b = { 0 };
	char s[24], what[64];
	int c, n, at, bad = 0;
	size_t i;

	for (n = 1; n <= 24; n++)
		for (at = 0; at < n; at++)
			for (c = 0; c < 128; c++) {
				jv v, want;

				memset(s, 'a', sizeof s);
				s[at] = (char)c;
				v = jv_string_sized(s, n);
				want = jv_dump_string(jv_copy(v), 0);
				b.len = 0;
				json_dump(v, &b);
				if (b.len != (size_t)jv_string_length_bytes(jv_copy(want)) ||
				    memcmp(b.p, jv_string_value(want), b.len) != 0) {
					if (!bad++)
						snprintf(what, sizeof what, "json_dump: byte %d at %d of %d", c, at, n);
				}
				jv_free(v);
				jv_free(want);
			}
	check(bad == 0, bad ? what : "json_dump: every ASCII byte, every place", NULL);
	for (i = 0; i < sizeof utf8 / sizeof utf8[0]; i++) {
		jv v = jv_string(utf8[i]), want = jv_dump_string(jv_copy(v), 0);

		b.len = 0;
		json_dump(v, &b);
		check(b.len == (size_t)jv_string_length_bytes(jv_copy(want)) &&
		    memcmp(b.p, jv_string_value(want), b.len) == 0, "json_dump: UTF-8", jv_string_value(want));
		jv_free(v);
		jv_free(want);
	}
	sb_free(&b);
}

int
main(int argc, char *argv[])
{
	int i;

	if (argc == 2 && strcmp(argv[1], "--table") == 0) {
		for (i = 0; rule_table[i].event; i++)
			printf("%s\t%s\t%s\n", rule_table[i].event, rule_table[i].from,
			    rule_table[i].to);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--keywords") == 0) {
		static const char *const *const lists[] = { stop_alone, aws_stop, stop_phrases };
		static const char *const names[] = { "alone", "aws", "phrase" };

		for (i = 0; i < 3; i++)
			for (const char *const *w = lists[i]; *w; w++)
				printf("%s\t%s\n", names[i], *w);
		return 0;
	}
	table();
	due_table();
	details();
	changes_cases();
	time_cases();
	dump_cases();
	printf("1..%d\n", count);
	return failures ? 1 : 0;
}
