/*
 * streams.c: conv-store's streaming commands, each a line at a time in
 * store_stream()'s group commit: add, record, reply (and receipts), load.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calsms.h"
#include "store.h"
#include "conv-store.h"

/* ---- add ---- */

/*
 * The appointment's phone as E.164.  A number that cannot be used never
 * loses the booking: it is kept as phone_raw, and the conversation is
 * no_phone, for an operator's set-phone.
 */
static void
normalise_phone(struct item *it)
{
	const char *phone = json_str(it->in, "phone");
	char e164[17];

	if (json_kind(it->in, "phone") == JV_KIND_NULL)
		return;
	if (phone && phone_e164(phone, default_country(), e164) == 0) {
		it->in = jv_object_set(it->in, jv_string("phone"), jv_string(e164));
		return;
	}
	note("%.64s: phone is not a usable number: kept as phone_raw, no text",
	    json_str(it->in, "id"));
	if (phone && json_kind(it->in, "phone_raw") != JV_KIND_STRING)
		it->in = jv_object_set(it->in, jv_string("phone_raw"), jv_string(phone));
	it->in = jv_object_set(it->in, jv_string("phone"), jv_null());
}

static int
add_cancel(struct store *st, struct store_txn *txn, struct item *it, const char *id, int64_t now)
{
	jv old = store_get(st, txn, id), c;

	if (jv_is_valid(old))
		c = rule_cancel(jv_copy(old), it->in, now);
	else	/* canceled before its booking arrived: the booking must not revive it */
		c = rule_cancel_first(jv_copy(it->in), now, expire_days);
	return store_put(st, txn, old, c);
}

/* The new half of a reschedule: the old booking is canceled, or marked so. */
static int
move_old(struct store *st, struct store_txn *txn, struct item *it, const char *id, int64_t now)
{
	const char *old_id = json_str(it->in, "old_id");
	jv prev, c;

	if (old_id == NULL || *old_id == '\0' || strcmp(old_id, id) == 0 ||
	    strlen(old_id) > 200)
		return 0;
	prev = store_get(st, txn, old_id);
	if (jv_is_valid(prev))
		c = rule_rescheduled_away(jv_copy(prev), id, now);
	else
		c = rule_reschedule_marker(old_id, jv_copy(it->in), now, expire_days);
	return store_put(st, txn, prev, c);
}

static int
add_booking(struct store *st, struct store_txn *txn, struct item *it, const char *id, int64_t now)
{
	jv old = store_get(st, txn, id), c, next = jv_invalid();
	struct due_opts o = { 0 };
	const char *phone;
	int64_t until;
	int rc, opted_out;

	if (jv_is_valid(old)) {
		jv_free(old);
		return 0;	/* Calendly repeats deliveries: nothing changes */
	}
	jv_free(old);
	if ((rc = move_old(st, txn, it, id, now)) != 0)
		return rc;
	phone = json_str(it->in, "phone");
	opted_out = phone && optout_has(st, txn, phone);
	c = rule_booking(jv_copy(it->in), opted_out, now, expire_days);
	/* the inline form: claimed as follow-up-due would claim it, by the same rule */
	if (!quiet && rule_due(jv_copy(c), kinds[KIND_CONFIRM].name, opted_out, &o, now, &next,
	    &until) == DUE_CLAIM) {
		jv_free(c);
		c = next;
		it->out = jv_object_set(jv_copy(c), jv_string("due"),
		    json_path(c, "claim", "kind", NULL));
	} else
		jv_free(next);
	return store_put(st, txn, jv_invalid(), c);
}

int
apply_add(struct store *st, struct store_txn *txn, struct item *it, void *ctx)
{
	const char *type = json_str(it->in, "type"), *id = json_str(it->in, "id");
	int64_t now = clock_now(), start;

	(void)ctx;
	if (type == NULL || id == NULL || *id == '\0' || strlen(id) > 200 ||
	    (strcmp(type, "booking") != 0 && strcmp(type, "cancel") != 0)) {
		item_fail(it, EXIT_DATA, "not an appointment (needs type booking|cancel and an id); skipped");
		return 0;
	}
	if (strcmp(type, "cancel") == 0) {
		/* a cancel is never refused: a phone it cannot use is dropped */
		normalise_phone(it);
		return add_cancel(st, txn, it, id, now);
	}
	if (rfc3339_parse(json_str(it->in, "start_time"), &start) != 0) {
		item_fail(it, EXIT_DATA, "%s: a booking without a start_time; skipped", id);
		return 0;
	}
	normalise_phone(it);
	return add_booking(st, txn, it, id, now);
}


/* ---- record ---- */

struct change {
	jv line;
	int64_t now;
	int unsubscribed;
	const char *how;
};

static jv
change_result(jv conv, void *ctx)
{
	struct change *ch = ctx;

	if (!jv_is_valid(conv)) {
		jv_free(conv);
		return jv_invalid_with_msg(jv_string("no such conversation"));
	}
	return rule_result(conv, ch->line, ch->now, &ch->unsubscribed);
}

static void
fail_with(struct item *it, const char *id, jv refused)
{
	jv msg = jv_invalid_get_msg(refused);

	item_fail(it, EXIT_DATA, "%.64s: %s; skipped", id,
	    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "refused");
	jv_free(msg);
}

/* A receipt that came before its message was recorded is applied now. */
static int
early_receipt(struct store *st, struct store_txn *txn, struct item *it)
{
	jv sms = json_get(it->in, "sms"), receipt = jv_invalid(), next;
	const char *pid = json_str(sms, "provider_id");
	int rc = 0;

	if (pid && (rc = orphan_take_receipt(st, txn, pid, &receipt)) == 0 &&
	    jv_is_valid(receipt)) {
		next = rule_receipt(jv_copy(it->out), receipt, clock_now());
		if (jv_is_valid(next)) {
			rc = store_put(st, txn, jv_copy(it->out), jv_copy(next));
			jv_free(it->out);
			it->out = next;
		} else
			jv_free(next);
	}
	jv_free(receipt);
	jv_free(sms);
	return rc;
}

int
apply_record(struct store *st, struct store_txn *txn, struct item *it, void *ctx)
{
	const char *id = json_str(it->in, "id"), *kind = json_str(it->in, "due");
	jv sms = json_get(it->in, "sms");
	const char *result = json_str(sms, "status");
	struct change ch = { it->in, clock_now(), 0, NULL };
	int rc;

	(void)ctx;
	if (id == NULL || kind == NULL || result == NULL) {
		jv_free(sms);
		item_fail(it, EXIT_DATA, "not an sms-send result (needs id, due and sms.status); skipped");
		return 0;
	}
	jv_free(sms);
	if ((rc = store_update(st, txn, id, change_result, &ch, &it->out)) != 0)
		return rc;
	if (!jv_is_valid(it->out)) {
		fail_with(it, id, it->out);
		it->out = jv_invalid();
		return 0;
	}
	if ((rc = early_receipt(st, txn, it)) != 0)
		return rc;
	/* the provider says the number sent STOP there: as if here */
	if (ch.unsubscribed)
		return optout_set(st, txn, conv_str(it->out, "phone"), 1, ch.now);
	return 0;
}


/* ---- reply ---- */

static int
pick_live(struct store *st, struct store_txn *txn, jv c, void *ctx)
{
	jv *best = ctx;

	(void)st;
	(void)txn;
	if (conv_live(conv_str(c, "status"))) {
		jv_free(*best);
		*best = c;
		return 1;
	}
	if (jv_is_valid(*best))
		jv_free(c);
	else
		*best = c;
	return 0;
}

/* The newest live conversation for phone, else its newest, else invalid. */
static int
for_phone(struct store *st, struct store_txn *txn, const char *phone, jv *out)
{
	*out = jv_invalid();
	return store_convs(st, txn, IX_PHONE, phone, pick_live, out);
}

struct opting {
	const char *except;
	int64_t now;
};

static int
opt_out_one(struct store *st, struct store_txn *txn, jv c, void *ctx)
{
	struct opting *o = ctx;
	const char *id = conv_str(c, "id");
	jv old;

	if ((o->except && strcmp(id, o->except) == 0) || !conv_live(conv_str(c, "status"))) {
		jv_free(c);
		return 0;
	}
	/* the old record first: the order arguments are evaluated in is not C's promise */
	old = jv_copy(c);
	return store_put(st, txn, old, rule_opt_out(c, o->now));
}

/* Every live conversation of phone but one is opted out too. */
int
opt_out_all(struct store *st, struct store_txn *txn, const char *phone, const char *except,
    int64_t now)
{
	struct opting o = { except, now };

	return store_convs(st, txn, IX_PHONE, phone, opt_out_one, &o);
}

struct noting {
	const char *action;
	int64_t now;
};

static int
note_one(struct store *st, struct store_txn *txn, jv c, void *ctx)
{
	struct noting *n = ctx;

	return store_put(st, txn, jv_copy(c), rule_history(c, n->action, jv_object(), n->now));
}

/* The operator's action on a number, in the history of each of its conversations. */
int
note_all(struct store *st, struct store_txn *txn, const char *phone, const char *action, int64_t now)
{
	struct noting n = { action, now };

	return store_convs(st, txn, IX_PHONE, phone, note_one, &n);
}

static int
receipt_one(struct store *st, struct store_txn *txn, jv c, void *ctx)
{
	struct item *it = ctx;
	jv next;

	if (conv_find(c, "messages", "provider_id", json_str(it->in, "provider_id"), NULL) < 0) {
		jv_free(c);
		return 0;
	}
	next = rule_receipt(jv_copy(c), it->in, clock_now());
	int rc;

	it->out = jv_copy(next);
	rc = store_put(st, txn, c, next);
	return rc ? rc : 1;
}

static int
apply_receipt(struct store *st, struct store_txn *txn, struct item *it)
{
	const char *pid = json_str(it->in, "provider_id");
	int rc;

	if (pid == NULL || json_str(it->in, "status") == NULL) {
		item_fail(it, EXIT_DATA, "not a receipt (needs provider_id and status); skipped");
		return 0;
	}
	if ((rc = store_convs(st, txn, IX_MESSAGE, pid, receipt_one, it)) != 0)
		return rc;
	if (jv_is_valid(it->out))
		return 0;
	/* a receipt for a message not (yet) known is kept, as replies are */
	it->out = jv_object_set(jv_object(), jv_string("orphan"), jv_copy(it->in));
	return orphan_put(st, txn, jv_copy(it->in));
}

struct seen {
	const char *pid;
	int found;
};

static int
has_reply(struct store *st, struct store_txn *txn, jv c, void *ctx)
{
	struct seen *s = ctx;

	(void)st;
	(void)txn;
	s->found = conv_find(c, "replies", "provider_id", s->pid, NULL) >= 0;
	jv_free(c);
	return s->found;
}

/* *seen: a reply with provider id pid was kept already, here or as an orphan */
static int
reply_seen(struct store *st, struct store_txn *txn, const char *phone, const char *pid, int *seen)
{
	struct seen s = { pid, 0 };
	int rc;

	*seen = 0;
	if (pid == NULL || *pid == '\0')
		return 0;
	if (orphan_has(st, txn, pid)) {
		*seen = 1;
		return 0;
	}
	rc = store_convs(st, txn, IX_PHONE, phone, has_reply, &s);
	*seen = s.found;
	return rc;
}

int
apply_reply(struct store *st, struct store_txn *txn, struct item *it, void *ctx)
{
	const char *from = json_str(it->in, "from"), *intent, *type = json_str(it->in, "type");
	int64_t now = clock_now(), sent_at;
	int seen;
	char phone[17];
	jv target, c;
	int rc;

	(void)ctx;
	if (type && strcmp(type, "receipt") == 0)
		return apply_receipt(st, txn, it);
	/* a STOP in the text is a STOP, whatever intent the caller gave */
	intent = reply_intent(json_str(it->in, "body"), 0);
	if (json_str(it->in, "intent") == NULL || strcmp(intent, "stop") == 0)
		it->in = jv_object_set(it->in, jv_string("intent"), jv_string(intent));
	intent = json_str(it->in, "intent");
	if (from == NULL || phone_e164(from, default_country(), phone) != 0) {
		item_fail(it, EXIT_DATA, "not a reply (needs from, a phone number); skipped");
		return 0;
	}
	if ((rc = for_phone(st, txn, phone, &target)) != 0)
		return rc;
	/* seen before (a provider's retry, a replay): nothing it did is done again */
	if ((rc = reply_seen(st, txn, phone, json_str(it->in, "provider_id"), &seen)) != 0) {
		jv_free(target);
		return rc;
	}
	if (seen) {
		it->out = jv_is_valid(target) ? target :
		    jv_object_set(jv_object(), jv_string("orphan"), jv_copy(it->in));
		return 0;
	}
	sent_at = conv_time(it->in, "received_at") > 0 ? conv_time(it->in, "received_at") : now;
	if (strcmp(intent, "stop") == 0 || strcmp(intent, "start") == 0) {
		rc = optout_set(st, txn, phone, strcmp(intent, "stop") == 0, sent_at);
		if (rc != 0 && rc != STORE_KEPT) {
			jv_free(target);
			return rc;
		}
	}
	if (!jv_is_valid(target)) {
		jv_free(target);
		it->out = jv_object_set(jv_object(), jv_string("orphan"), jv_copy(it->in));
		return orphan_put(st, txn, jv_copy(it->in));
	}
	c = rule_reply(jv_copy(target), it->in, now);
	if (strcmp(intent, "stop") == 0 &&
	    (rc = opt_out_all(st, txn, phone, conv_str(target, "id"), now)) != 0) {
		jv_free(target);
		jv_free(c);
		return rc;
	}
	it->out = jv_copy(c);
	return store_put(st, txn, target, c);
}


/* ---- load ---- */

static jv
merge(jv stored, void *ctx)
{
	return rule_merge(stored, jv_copy(*(jv *)ctx));
}

/* null, or {kind, at (RFC 3339), status (a known one)} as rule_claim makes it */
static int
claim_well_formed(jv conv)
{
	jv claim = json_get(conv, "claim");
	int64_t t;
	int ok = jv_get_kind(claim) == JV_KIND_NULL || jv_get_kind(claim) == JV_KIND_INVALID ||
	    (jv_get_kind(claim) == JV_KIND_OBJECT && json_str(claim, "kind") &&
	    json_str(claim, "at") && rfc3339_parse(json_str(claim, "at"), &t) == 0 &&
	    conv_known(json_str(claim, "status")));

	jv_free(claim);
	return ok;
}

int
apply_load(struct store *st, struct store_txn *txn, struct item *it, void *ctx)
{
	const char *id = json_str(it->in, "id"), *phone;
	char e164[17];
	jv x, done;
	int rc;

	(void)ctx;
	if (jv_get_kind(x = json_get(it->in, "optout")) == JV_KIND_OBJECT) {
		phone = json_str(x, "phone");
		if (phone == NULL || phone_e164(phone, "US", e164) != 0 || strcmp(phone, e164)) {
			jv_free(x);
			item_fail(it, EXIT_DATA, "an opt-out without an E.164 phone; skipped");
			return 0;
		}
		return optout_put(st, txn, x);
	}
	jv_free(x);
	if (jv_get_kind(x = json_get(it->in, "orphan")) == JV_KIND_OBJECT) {
		if (json_str(x, "from") == NULL && !(json_str(x, "type") &&
		    strcmp(json_str(x, "type"), "receipt") == 0 && json_str(x, "provider_id"))) {
			jv_free(x);
			item_fail(it, EXIT_DATA, "an orphan that is neither a reply with from nor a "
			    "receipt with provider_id; skipped");
			return 0;
		}
		return orphan_put(st, txn, x);
	}
	jv_free(x);
	if (jv_get_kind(x = json_get(it->in, "change")) == JV_KIND_OBJECT) {
		if ((rc = store_change_load(st, txn, x)) == EINVAL)
			item_fail(it, EXIT_DATA, "a change without a seq and an at; skipped");
		return rc == EINVAL ? 0 : rc;
	}
	jv_free(x);
	if (id == NULL || *id == '\0' || strlen(id) > 200 ||
	    !conv_known(json_str(it->in, "status"))) {
		item_fail(it, EXIT_DATA, "not a conversation, optout, orphan or change line; skipped");
		return 0;
	}
	if (!claim_well_formed(it->in)) {
		item_fail(it, EXIT_DATA, "%.64s: a claim that is not {kind, at, status}; skipped", id);
		return 0;
	}
	rc = store_update(st, txn, id, merge, &it->in, &done);
	jv_free(done);
	return rc;
}


