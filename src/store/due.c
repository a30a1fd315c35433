/*
 * due.c: what a conversation is due for (conv_due, which the store's
 * indexes encode), whether follow-up-due may claim it now (rule_due), and
 * the sender's last look (rule_still_due).  Pure: when quiet hours end in
 * a zone is asked of the caller (due_opts.quiet_end), which owns the zone
 * files.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"
#include "rules.h"
#include "rules-impl.h"

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
	    conv_is(conv, "skip", "stopped"))
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
	if (jv_get_kind(claim) != JV_KIND_OBJECT || !conv_is(claim, "kind", kind) ||
	    !jv_equal(json_get(claim, "at"), json_get(want, "at")) ||
	    !jv_equal(json_get(claim, "token"), json_get(want, "token")))
		goto out;
	*why = "no longer due (opted out, canceled, moved or answered since it was claimed)";
	unclaimed = conv_set(jv_copy(conv), "claim", jv_null());
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

	*until = o->quiet && o->quiet_end ?
	    o->quiet_end(now, json_str(a, "timezone"), o->qfrom, o->qto) : 0;
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

#define DAY 86400
#define NOTICE_WINDOW DAY	/* a cancel notice later than this after the cancel is stale */
#define CAP_TIMES 512

static int
by_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The daily cap (follow-up-due -F): when one more text we start fits
 * among those to one number in the last 24 hours, or 0 if it fits now.
 * convs are the number's conversations; their messages count by the time
 * they were sent (a failed one reached nobody), their claims as now.
 */
int64_t
rule_cap_until(jv convs, int cap, int64_t now)
{
	int64_t t[CAP_TIMES];
	int i, j, n = 0;

	for (i = 0; i < jv_array_length(jv_copy(convs)) && n < CAP_TIMES; i++) {
		jv c = jv_array_get(jv_copy(convs), i), m = json_get(c, "messages");
		jv claim = json_get(c, "claim");

		for (j = 0; j < jv_array_length(jv_copy(m)) && n < CAP_TIMES; j++) {
			jv msg = jv_array_get(jv_copy(m), j);
			int64_t at = conv_time(msg, "at");

			if (kind_started(json_str(msg, "kind")) && !conv_is(msg, "status", "failed") &&
			    !conv_is(msg, "status", "dry_run") && at > now - DAY)
				t[n++] = at;
			jv_free(msg);
		}
		if (jv_get_kind(claim) == JV_KIND_OBJECT && kind_started(json_str(claim, "kind")) &&
		    n < CAP_TIMES)
			t[n++] = now;
		jv_free(claim);
		jv_free(m);
		jv_free(c);
	}
	jv_free(convs);
	if (n < cap)
		return 0;
	qsort(t, (size_t)n, sizeof *t, by_time);
	return t[n - cap] + DAY;
}

/* Whether a moment sent at t would be late: after its start, its cancel's day, its day after. */
static int
late_at(jv conv, const char *kind, const struct due_opts *o, int64_t t)
{
	jv canceled = json_get(conv, "canceled");
	int64_t start = conv_start(conv), cancel_at = conv_time(canceled, "at");

	jv_free(canceled);
	if (kind_is(kind, KIND_AFTER))
		return t > conv_end(conv) + o->after + DAY;
	if (kind_is(kind, KIND_CANCELED) && cancel_at > 0 && t > cancel_at + NOTICE_WINDOW)
		return 1;
	return (kind_is(kind, KIND_REMINDER) || kind_is(kind, KIND_CANCELED)) &&
	    start > 0 && t >= start;
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
		*next = conv_set(conv, "cancel_notice", jv_string("skipped"));
	else if (opted_out)
		*next = conv_set_status(conv, "opted_out", now);
	else if (retry > now) {
		*until = retry;
		jv_free(conv);
		return DUE_HOLD;
	} else if (strcmp(kind, "help") == 0 || strcmp(kind, "manual") == 0) {
		/* a question is answered at once, and the front desk is heard */
		*next = rule_claim(conv, kind, now);
		return DUE_CLAIM;
	} else if (after && after_unwanted(conv, o, now))
		*next = conv_set(conv, "after", jv_string("skipped"));
	else if (notice && late_at(conv, kind, o, now))
		/* a cancel long ago (canceled.jq written later, a sender down): stale */
		*next = conv_set(conv, "cancel_notice", jv_string("skipped"));
	else if (!after && start > 0 && start <= now)
		*next = reminder || notice ? conv_set(conv, conv_moment_field(kind), jv_string("skipped")) :
		    conv_set(conv, "skip", jv_string("started"));
	else if (reminder && conv_confirmed_at(conv) >= start - o->remind)
		/* the confirmation went out inside the window: it was the reminder */
		*next = conv_set(conv, "reminder", jv_string("skipped"));
	else if (kind_started(kind) && in_quiet(conv, o, now, until)) {
		if (!reminder || *until < start) {
			jv_free(conv);
			return DUE_HOLD;
		}
		*until = 0;
		*next = conv_set(conv, "reminder", jv_string("skipped"));
	} else if (kind_started(kind) && o->cap_until > now) {
		/* the daily cap: what we start waits until it fits, a moment never late */
		if (!conv_moment_field(kind) || !late_at(conv, kind, o, o->cap_until)) {
			*until = o->cap_until;
			jv_free(conv);
			return DUE_HOLD;
		}
		*next = conv_set(conv, conv_moment_field(kind), jv_string("skipped"));
	} else {
		*next = rule_claim(conv, strcmp(kind, "confirm") == 0 && o->rescheduled ?
		    conv_confirm_kind(conv) : kind, now);
		return DUE_CLAIM;
	}
	return DUE_SETTLE;
}

