/*
 * rules.h: the rules of a conversation (rules.c), as pure functions on jv
 * values: no LMDB, no I/O, the clock passed in.  Each event takes the
 * conversation (consumed) and returns the next one; an event the rules
 * refuse returns jv_invalid_with_msg() saying why, and the caller keeps
 * what it had.  The store (store.c) keeps what these return.
 */
#ifndef RULES_H
#define RULES_H

#include <stdint.h>
#include <jv.h>

/* the kinds of message (kinds.c) */
enum kind {
	KIND_CONFIRM, KIND_RESCHEDULED, KIND_FOLLOWUP, KIND_REMINDER, KIND_HELP,
	KIND_MANUAL, KIND_CANCELED, KIND_AFTER, KIND_COUNT
};
struct kind_info {
	enum kind kind;
	const char *name;	/* on the pipes: due, messages[].kind */
	const char *field;	/* a once-only moment's field ("due" until settled), or NULL */
	int confirms;	/* counts as the booking's confirmation */
	int quiet;	/* one we start: held by quiet hours, counted by the daily cap */
	int optional;	/* on only where its template is written */
	const char *option;	/* follow-up-due's option that turns it on or sets its offset */
};
extern const struct kind_info kinds[KIND_COUNT];
const struct kind_info *kind_named(const char *name);
int kind_is(const char *name, enum kind k);
int kind_started(const char *name);

/* what follow-up-due asks of rule_due() */
struct due_opts {
	int64_t remind;	/* reminder this long before the start; 0: none */
	int64_t after;	/* the moment after the appointment, this long after its end */
	int rescheduled;	/* a reschedule's confirmation is claimed as "rescheduled" */
	int quiet, qfrom, qto;	/* quiet hours, minutes of the local day */
	/* when quiet hours end in zone, or 0 outside them: the zone lookup is the caller's */
	int64_t (*quiet_end)(int64_t now, const char *zone, int from, int to);
	int64_t cap_until;	/* the daily cap holds what we start until then; 0: it fits */
};

enum due_verdict { DUE_CLAIM, DUE_HOLD, DUE_SETTLE };

/* one row of calsms(7)'s transition table */
struct transition {
	const char *event, *from, *to;
};
extern const struct transition rule_table[];

/* statuses */
int conv_known(const char *status);
int conv_live(const char *status);
int conv_sendable(const char *status);
extern const char *const conv_statuses[];

/* reading a conversation */
const char *conv_str(jv conv, const char *key);
int64_t conv_time(jv conv, const char *key);
int64_t conv_start(jv conv);
int64_t conv_sent_at(jv conv, const char *kind);
int64_t conv_confirmed_at(jv conv);
int whatsapp_freeform_ok(jv line, int64_t now);
int64_t conv_end(jv conv);
int conv_moment_due(jv conv, const char *kind);
const char *conv_confirm_kind(jv conv);
int conv_claim_lapses(jv conv);
/* what an unclaimed conversation becomes due for, and from when */
#define DUE_KINDS 8
struct due_at {
	const char *kind;	/* a string the rules hold */
	int64_t t;
};
int conv_due(jv conv, struct due_at *out, int max);
int rule_still_due(jv conv, jv line, const char **why);
int kind_confirms(const char *kind);
int conv_find(jv conv, const char *list, const char *key, const char *value,
    const char *kind);
int conv_count(jv conv, const char *list);
jv conv_append(jv conv, const char *list, jv item);

/* events */
jv rule_booking(jv appt, int opted_out, int64_t now, int expire_days);
jv rule_cancel(jv conv, jv appt, int64_t now);
jv rule_cancel_first(jv appt, int64_t now, int expire_days);
jv rule_rescheduled_away(jv conv, const char *new_id, int64_t now);
jv rule_reschedule_marker(const char *old_id, jv appt, int64_t now, int expire_days);
jv rule_claim(jv conv, const char *kind, int64_t now);
jv rule_release(jv conv, int64_t retry_at, int64_t now);
jv rule_result(jv conv, jv line, int64_t now, int *unsubscribed);
jv rule_receipt(jv conv, jv receipt, int64_t now);
jv rule_reply(jv conv, jv reply, int64_t now);
jv rule_opt_out(jv conv, int64_t now);
enum due_verdict rule_due(jv conv, const char *kind, int opted_out,
    const struct due_opts *o, int64_t now, jv *next, int64_t *until);
int64_t rule_cap_until(jv convs, int cap, int64_t now);
jv rule_lease_lapse(jv conv, int64_t now);
jv rule_resolve(jv conv, const char *how, int64_t now);
jv rule_merge(jv stored, jv incoming);
jv rule_retry(jv conv, int64_t now);
jv rule_set_phone(jv conv, const char *phone, int opted_out, int64_t now);
jv rule_note(jv conv, const char *text, int64_t now);
jv rule_send(jv conv, const char *body, int64_t now);
jv rule_stop(jv conv, int64_t now);
jv rule_history(jv conv, const char *action, jv detail, int64_t now);

/* reply lines without an intent: the keyword table (intent.c) */
const char *reply_intent(const char *body, int keyword_first);
extern const char *const stop_alone[], *const aws_stop[], *const stop_phrases[];

#endif
