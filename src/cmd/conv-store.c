/*
 * conv-store: the conversation store's command line.
 *
 * Each command says which event happened (rules.h decides what it does to
 * a conversation) and store.c keeps the result: streaming commands (add,
 * record, reply, load) through store_stream()'s group commit, the
 * operator's commands in one write transaction each, reads in one read
 * transaction.  The commands table is the usage message and the man
 * page's SYNOPSIS.
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

struct command {
	const char *name, *args;
	int (*run)(struct store *st, int argc, char **argv);
	store_apply_fn stream;	/* or a stream of lines, one group commit each */
	int min, max;	/* operands after the command's options */
	int flags;	/* STORE_CREATE: may make a new store */
	int options;	/* run gets its own options too (argv[0] is the command) */
};

static void usage(int status) __attribute__((noreturn));

static int expire_days = 90;
static int quiet;

static int
store_status(int rc, const char *what)
{
	return rc ? store_fatal(rc, what) : 0;
}

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
	jv old = store_get(st, txn, id), c;
	const char *phone;
	int rc;

	if (jv_is_valid(old)) {
		jv_free(old);
		return 0;	/* Calendly repeats deliveries: nothing changes */
	}
	jv_free(old);
	if ((rc = move_old(st, txn, it, id, now)) != 0)
		return rc;
	phone = json_str(it->in, "phone");
	c = rule_booking(jv_copy(it->in), phone && optout_has(st, txn, phone), now, expire_days);
	if (!quiet && strcmp(conv_str(c, "status"), "pending") == 0 &&
	    json_kind(c, "skip") == JV_KIND_NULL) {
		c = rule_claim(c, "confirm", now);
		it->out = jv_object_set(jv_copy(c), jv_string("due"), jv_string("confirm"));
	}
	return store_put(st, txn, jv_invalid(), c);
}

static int
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

static int
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
static int
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
static int
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

static int
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
	intent = reply_intent(json_str(it->in, "body"));
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

static int
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
	if (id == NULL || *id == '\0' || strlen(id) > 200 ||
	    !conv_known(json_str(it->in, "status"))) {
		item_fail(it, EXIT_DATA, "not a conversation, optout or orphan line; skipped");
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


/* ---- the operator's writes: cancel, optout, optin, resolve ---- */

struct oneshot;
static int each_id(struct store *st, struct store_txn *txn, struct oneshot *o, store_change_fn fn);

struct oneshot {
	char **args;
	int nargs, status;
	const char *how;	/* resolve's sent|unsent, note's text, set-phone's number */
	jv out;
	int opted_out;	/* set-phone: the new number is on the opt-out list */
	store_change_fn change;	/* what each id gets */
};

static int
oneshot(struct store *st, store_write_fn fn, struct oneshot *o)
{
	int rc, i, n;

	o->out = jv_array();
	if ((rc = store_write(st, fn, o)) != 0) {
		jv_free(o->out);
		return store_fatal(rc, "write");
	}
	n = jv_array_length(jv_copy(o->out));
	for (i = 0; i < n; i++)
		json_print(jv_array_get(jv_copy(o->out), i));
	jv_free(o->out);
	return o->status;
}

static void
restart(struct oneshot *o)
{
	jv_free(o->out);
	o->out = jv_array();
	o->status = 0;
}

static jv
operator_cancel(jv conv, void *ctx)
{
	jv info = jv_object(), next;

	(void)ctx;
	if (!jv_is_valid(conv)) {
		jv_free(info);
		jv_free(conv);
		return jv_invalid_with_msg(jv_string("no such conversation"));
	}
	info = jv_object_set(info, jv_string("reason"), jv_string("canceled by operator"));
	info = jv_object_set(info, jv_string("rescheduled"), jv_false());
	info = jv_object_set(info, jv_string("new_id"), jv_null());
	if (json_str(conv, "status") && strcmp(json_str(conv, "status"), "canceled") == 0) {
		jv_free(info);
		jv_free(conv);
		return jv_invalid_with_msg(jv_string("canceled already"));
	}
	next = rule_cancel(conv, info, clock_now());
	jv_free(info);
	return rule_history(next, "cancel", jv_object(), clock_now());
}

static jv
operator_resolve(jv conv, void *ctx)
{
	if (!jv_is_valid(conv)) {
		jv_free(conv);
		return jv_invalid_with_msg(jv_string("no such conversation"));
	}
	return rule_resolve(conv, ((struct oneshot *)ctx)->how, clock_now());
}

static int
each_id(struct store *st, struct store_txn *txn, struct oneshot *o, store_change_fn fn)
{
	jv out, msg;
	int i, rc;

	restart(o);
	for (i = 0; i < o->nargs; i++) {
		if ((out = store_get(st, txn, o->args[i]), !jv_is_valid(out))) {
			jv_free(out);
			note("%s: no such conversation", o->args[i]);
			o->status = o->status ? o->status : 1;
			continue;
		}
		jv_free(out);
		if ((rc = store_update(st, txn, o->args[i], fn, o, &out)) != 0)
			return rc;
		if (jv_is_valid(out)) {
			o->out = jv_array_append(o->out, out);
			continue;
		}
		msg = jv_invalid_get_msg(out);
		note("%s: %s", o->args[i], jv_string_value(msg));
		jv_free(msg);
		o->status = EXIT_DATA;
	}
	return 0;
}

/* The operator's command on each id, as o->change says. */
static int
apply_each(struct store *st, struct store_txn *txn, void *ctx)
{
	struct oneshot *o = ctx;

	return each_id(st, txn, o, o->change);
}

/* "id text" commands: the text must say something. */
static int
with_text(struct store *st, int argc, char **argv, store_change_fn fn, const char *what)
{
	struct oneshot o = { argv, 1, 0, argv[1], jv_invalid(), 0, fn };

	(void)argc;
	if (*argv[1] == '\0') {
		note("an empty %s", what);
		return EXIT_USAGE;
	}
	return oneshot(st, apply_each, &o);
}

static int
apply_optout(struct store *st, struct store_txn *txn, void *ctx)
{
	struct oneshot *o = ctx;
	int64_t now = clock_now();
	int i, rc, on = strcmp(o->how, "optout") == 0;
	char phone[17];
	jv rec;

	restart(o);
	for (i = 0; i < o->nargs; i++) {
		if (phone_e164(o->args[i], default_country(), phone) != 0) {
			note("%s: not a phone number (E.164, or national in %s)", o->args[i],
			    default_country());
			o->status = EXIT_DATA;
			continue;
		}
		if ((rc = optout_set(st, txn, phone, on, now)) != 0 ||
		    (on && (rc = opt_out_all(st, txn, phone, NULL, now)) != 0) ||
		    (rc = note_all(st, txn, phone, o->how, now)) != 0)
			return rc;
		rec = jv_object_set(jv_object(), jv_string("phone"), jv_string(phone));
		o->out = jv_array_append(o->out, jv_object_set(rec,
		    jv_string("opted_out"), jv_bool(on)));
	}
	return 0;
}

static jv
operator_stop(jv conv, void *ctx)
{
	(void)ctx;
	if (!jv_is_valid(conv)) {
		jv_free(conv);
		return jv_invalid_with_msg(jv_string("no such conversation"));
	}
	return rule_stop(conv, clock_now());
}

static int
cmd_stop(struct store *st, int argc, char **argv)
{
	struct oneshot o = { argv, argc, 0, NULL, jv_invalid(), 0, operator_stop };

	return oneshot(st, apply_each, &o);
}

static int
cmd_cancel(struct store *st, int argc, char **argv)
{
	struct oneshot o = { argv, argc, 0, NULL, jv_invalid(), 0, operator_cancel };

	return oneshot(st, apply_each, &o);
}

static int
cmd_optout(struct store *st, int argc, char **argv)
{
	struct oneshot o = { argv, argc, 0, "optout", jv_invalid(), 0, NULL };

	return oneshot(st, apply_optout, &o);
}

static int
cmd_optin(struct store *st, int argc, char **argv)
{
	struct oneshot o = { argv, argc, 0, "optin", jv_invalid(), 0, NULL };

	return oneshot(st, apply_optout, &o);
}

static jv
operator_send(jv conv, void *ctx)
{
	return rule_send(conv, ((struct oneshot *)ctx)->how, clock_now());
}

static int
cmd_send(struct store *st, int argc, char **argv)
{
	return with_text(st, argc, argv, operator_send, "message");
}

static jv
operator_retry(jv conv, void *ctx)
{
	(void)ctx;
	return rule_retry(conv, clock_now());
}

struct waiting {
	jv ids;
	int64_t now;
};

static int
backing_off(const char *id, int64_t t, void *ctx)
{
	struct waiting *w = ctx;

	if (t > w->now)
		w->ids = jv_array_append(w->ids, jv_string(id));
	return 0;
}

static int
cmd_retry(struct store *st, int argc, char **argv)
{
	struct oneshot o = { argv, argc, 0, NULL, jv_invalid(), 0, operator_retry };
	struct waiting w = { jv_array(), clock_now() };
	struct store_txn *txn;
	int rc, i;

	if (argc != 1 || strcmp(argv[0], "--waiting") != 0) {
		jv_free(w.ids);
		return oneshot(st, apply_each, &o);
	}
	/* every confirmation waiting out a back-off */
	if ((rc = store_read_begin(st, &txn)) != 0 ||
	    (rc = store_walk(st, txn, IX_CONFIRM, NULL, backing_off, &w)) != 0) {
		jv_free(w.ids);
		return store_fatal(rc, "read");
	}
	store_read_end(txn);
	o.nargs = jv_array_length(jv_copy(w.ids));
	if ((o.args = calloc((size_t)o.nargs + 1, sizeof *o.args)) == NULL)
		die(EXIT_SOFTWARE, "out of memory");
	for (i = 0; i < o.nargs; i++) {
		jv id = jv_array_get(jv_copy(w.ids), i);

		o.args[i] = strdup(jv_string_value(id));
		jv_free(id);
	}
	rc = o.nargs ? oneshot(st, apply_each, &o) : 0;
	for (i = 0; i < o.nargs; i++)
		free(o.args[i]);
	free(o.args);
	jv_free(w.ids);
	return rc;
}

static jv
operator_note(jv conv, void *ctx)
{
	return rule_note(conv, ((struct oneshot *)ctx)->how, clock_now());
}

static int
cmd_note(struct store *st, int argc, char **argv)
{
	return with_text(st, argc, argv, operator_note, "note");
}

static jv
operator_set_phone(jv conv, void *ctx)
{
	struct oneshot *o = ctx;

	return rule_set_phone(conv, o->how, o->opted_out, clock_now());
}

static int
apply_set_phone(struct store *st, struct store_txn *txn, void *ctx)
{
	struct oneshot *o = ctx;

	o->opted_out = optout_has(st, txn, o->how);
	return each_id(st, txn, o, operator_set_phone);
}

static int
cmd_set_phone(struct store *st, int argc, char **argv)
{
	struct oneshot o = { argv, 1, 0, NULL, jv_invalid(), 0, NULL };
	char phone[17];

	(void)argc;
	if (phone_e164(argv[1], default_country(), phone) != 0) {
		note("%s: not a phone number (E.164, or national in %s)", argv[1],
		    default_country());
		return EXIT_DATA;
	}
	o.how = phone;
	return oneshot(st, apply_set_phone, &o);
}

static int
cmd_resolve(struct store *st, int argc, char **argv)
{
	struct oneshot o = { argv, 1, 0, argv[1], jv_invalid(), 0, NULL };

	(void)argc;
	o.change = operator_resolve;
	return oneshot(st, apply_each, &o);
}

/* ---- reads: get, list, dump, stats ---- */

/* Stored records are compact JSON already: printed as they are. */
static int
print_raw(const struct store_val *v, const char *wrap)
{
	if (wrap)
		printf("{\"%s\":", wrap);
	fwrite(v->data, 1, v->size, stdout);
	fputs(wrap ? "}\n" : "\n", stdout);
	return ferror(stdout) ? EIO : 0;
}

static int
print_id(struct store *st, struct store_txn *txn, const char *id)
{
	struct store_val v;

	return store_raw(st, txn, id, &v) == 0 ? print_raw(&v, NULL) == 0 : 0;
}

static int
print_conv(struct store *st, struct store_txn *txn, jv c, void *ctx)
{
	(void)st;
	(void)txn;
	++*(int *)ctx;
	json_print(c);
	return 0;
}

static int
get_one(struct store *st, struct store_txn *txn, const char *arg)
{
	char phone[17];
	int n = 0, rc;

	if (print_id(st, txn, arg))
		return 0;
	if (phone_e164(arg, default_country(), phone) != 0) {
		note("%s: no such conversation", arg);
		return 1;
	}
	if ((rc = store_convs(st, txn, IX_PHONE, phone, print_conv, &n)) != 0)
		return store_fatal(rc, "read");
	if (n == 0)
		note("%s: no conversation for this number", arg);
	return n == 0;
}

static int
cmd_get(struct store *st, int argc, char **argv)
{
	struct store_txn *txn;
	int i, rc, status = 0;

	if ((rc = store_read_begin(st, &txn)) != 0)
		return store_fatal(rc, "read");
	for (i = 0; i < argc; i++)
		if ((rc = get_one(st, txn, argv[i])) > status)
			status = rc;
	store_read_end(txn);
	return status;
}

struct listing {
	struct store *st;
	struct store_txn *txn;
	const char *statuses[16];
	int nstatus, by_index;
	int64_t since, until, start_from, start_to;
	long max, printed;
	int rc;
};

static int
wanted(struct listing *l, const struct store_val *v)
{
	jv c;
	const char *status;
	int64_t start;
	int i, ok = 1;

	if ((l->nstatus == 0 || l->by_index) && !l->start_from && !l->start_to)
		return 1;
	c = jv_parse_sized(v->data, (int)v->size);
	status = conv_str(c, "status");
	if (l->nstatus && !l->by_index)
		for (ok = 0, i = 0; i < l->nstatus && !ok; i++)
			ok = status && strcmp(status, l->statuses[i]) == 0;
	start = conv_start(c);
	if ((l->start_from && start < l->start_from) || (l->start_to && start >= l->start_to))
		ok = 0;
	jv_free(c);
	return ok;
}

/* One index key, newest first: prints its conversation if it is wanted. */
static int
list_key(const char *id, int64_t created, void *ctx)
{
	struct listing *l = ctx;
	struct store_val v;

	if (l->max && l->printed >= l->max)
		return 1;
	if (l->until && created > l->until)
		return 0;
	if (l->since && created < l->since)
		return 1;	/* newest first: the rest are older still */
	if (store_raw(l->st, l->txn, id, &v) != 0 || !wanted(l, &v))
		return 0;
	l->printed++;
	if (print_raw(&v, NULL) != 0) {
		l->rc = EIO;
		return 1;
	}
	return 0;
}

static int
parse_statuses(struct listing *l, char *arg)
{
	char *s, *save = NULL;

	for (s = strtok_r(arg, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (!conv_known(s)) {
			note("-s: no such status: %s (see calsms(7))", s);
			return -1;
		}
		if (l->nstatus == (int)(sizeof l->statuses / sizeof l->statuses[0])) {
			note("-s: too many statuses");
			return -1;
		}
		l->statuses[l->nstatus++] = s;
	}
	return 0;
}

static int
when(const char *opt, const char *arg, int64_t *out)
{
	if (time_arg(arg, clock_now(), out) == 0)
		return 0;
	note("--%s: not a time (RFC 3339, YYYY-MM-DD, or a duration ago like 26h): %s",
	    opt, arg);
	return -1;
}

static int
list_options(struct listing *l, int argc, char **argv, const char **phone_arg,
    int *orphans)
{
	static const struct option longs[] = {
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "starts-after", required_argument, NULL, 'A' },
		{ "starts-before", required_argument, NULL, 'B' },
		{ "orphans", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:p:n:", longs, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_statuses(l, optarg) != 0)
				return -1;
			break;
		case 'p': *phone_arg = optarg; break;
		case 'n':
			if (long_arg(optarg, 1, LONG_MAX, &l->max) != 0) {
				note("-n: not a positive number: %s", optarg);
				return -1;
			}
			break;
		case 'S': if (when("since", optarg, &l->since)) return -1; break;
		case 'U': if (when("until", optarg, &l->until)) return -1; break;
		case 'A': if (when("starts-after", optarg, &l->start_from)) return -1; break;
		case 'B': if (when("starts-before", optarg, &l->start_to)) return -1; break;
		case 'o': *orphans = 1; break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static int
print_record(const struct store_val *k, const struct store_val *v, void *ctx)
{
	(void)k;
	return print_raw(v, ctx);
}

static int
cmd_list(struct store *st, int argc, char **argv)
{
	struct listing l = { .st = st };
	const char *phone_arg = NULL;
	char phone[17];
	int orphans = 0, rc;

	if (list_options(&l, argc, argv, &phone_arg, &orphans) != 0)
		usage(EXIT_USAGE);
	if (phone_arg && phone_e164(phone_arg, default_country(), phone) != 0) {
		note("-p: not a phone number: %s", phone_arg);
		return EXIT_USAGE;
	}
	if ((rc = store_read_begin(st, &l.txn)) != 0)
		return store_fatal(rc, "read");
	if (orphans)
		rc = store_each(st, l.txn, STORE_ORPHANS, print_record, "orphan");
	else {
		l.by_index = !phone_arg && l.nstatus == 1;
		rc = store_walk(st, l.txn, phone_arg ? IX_PHONE : l.by_index ? IX_STATUS :
		    IX_CREATED, phone_arg ? phone : l.by_index ? l.statuses[0] : NULL,
		    list_key, &l);
		if (rc == 0)
			rc = l.rc;
	}
	store_read_end(l.txn);
	return rc == EIO ? EXIT_IOERR : store_status(rc, "list");
}

static int
cmd_dump(struct store *st, int argc, char **argv)
{
	struct store_txn *txn;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = store_read_begin(st, &txn)) != 0)
		return store_fatal(rc, "read");
	if ((rc = store_each(st, txn, STORE_CONVS, print_record, NULL)) == 0 &&
	    (rc = store_each(st, txn, STORE_OPTOUTS, print_record, "optout")) == 0)
		rc = store_each(st, txn, STORE_ORPHANS, print_record, "orphan");
	store_read_end(txn);
	return rc == EIO ? EXIT_IOERR : store_status(rc, "dump");
}

/* ---- export: RFC 4180 CSV for spreadsheets ---- */

static void
csv_field(const char *s, int last)
{
	if (s && strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else if (s)
		fputs(s, stdout);
	fputs(last ? "\r\n" : ",", stdout);
}

static const char *
first_of(jv conv, const char *list, const char *key, int newest)
{
	int n = conv_count(conv, list);
	jv a, x;
	const char *v;

	if (n == 0)
		return NULL;
	a = json_get(conv, list);
	x = jv_array_get(a, newest ? n - 1 : 0);
	v = json_str(x, key);	/* the conversation holds it */
	jv_free(x);
	return v;
}

struct export {
	struct listing l;
	long rows;
};

static int
export_row(const char *id, int64_t created, void *ctx)
{
	struct export *e = ctx;
	struct store_val v;
	jv c, a;
	char sent[32] = "";
	int64_t t;

	if (e->l.until && created > e->l.until)
		return 0;
	if (e->l.since && created < e->l.since)
		return 1;
	if (store_raw(e->l.st, e->l.txn, id, &v) != 0)
		return 0;
	c = jv_parse_sized(v.data, (int)v.size);
	a = json_get(c, "appointment");
	if ((t = conv_confirmed_at(c)) > 0)
		rfc3339_format(t, sent);
	csv_field(id, 0);
	csv_field(json_str(a, "name"), 0);
	csv_field(conv_str(c, "phone"), 0);
	csv_field(json_str(a, "event_name"), 0);
	csv_field(json_str(a, "start_local") ? json_str(a, "start_local") : json_str(a, "start_time"), 0);
	csv_field(conv_str(c, "status"), 0);
	csv_field(sent, 0);
	csv_field(first_of(c, "replies", "at", 0), 0);
	csv_field(first_of(c, "replies", "body", 1), 1);
	jv_free(a);
	jv_free(c);
	e->rows++;
	return ferror(stdout) ? EIO : 0;
}

static int
cmd_export(struct store *st, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 }
	};
	struct export e = { .l = { .st = st } };
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		if (c == 'S' && when("since", optarg, &e.l.since) == 0)
			continue;
		if (c == 'U' && when("until", optarg, &e.l.until) == 0)
			continue;
		usage(EXIT_USAGE);
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	if ((rc = store_read_begin(st, &e.l.txn)) != 0)
		return store_fatal(rc, "read");
	fputs("id,name,phone,event,start,status,confirmed_at,replied_at,reply\r\n", stdout);
	rc = store_walk(st, e.l.txn, IX_CREATED, NULL, export_row, &e);
	store_read_end(e.l.txn);
	return rc == EIO ? EXIT_IOERR : store_status(rc, "export");
}

/* ---- report: the funnel by period ---- */

static const char *const report_counts[] = { "bookings", "with_phone", "confirmations",
    "delivered", "replies", "confirm", "decline", "stop", "start", "help", "other",
    "confirmed_before_followup", "followups", "replied_after_followup", "declined",
    "opted_out", "failed", "uncertain", "dry_run", "segments", NULL };

struct report {
	struct store *st;
	struct store_txn *txn;
	int64_t since, until;
	const char *by;
	double price;
	int priced;
	jv periods;	/* period -> {counts..., "waits": [seconds]} */
};

/* The period a conversation belongs to, by its booking time in TZ. */
static void
period_of(const struct report *r, jv c, int64_t created, char *out, size_t n)
{
	time_t t = (time_t)created;
	struct tm tm;
	jv a;

	if (strcmp(r->by, "event") == 0) {
		a = json_get(c, "appointment");
		snprintf(out, n, "%s", json_str(a, "event_name") ? json_str(a, "event_name") : "");
		jv_free(a);
		return;
	}
	localtime_r(&t, &tm);
	strftime(out, n, strcmp(r->by, "week") == 0 ? "%G-W%V" :
	    strcmp(r->by, "month") == 0 ? "%Y-%m" : "%Y-%m-%d", &tm);
}

static jv
bump(jv row, const char *key, double by)
{
	jv v = json_get(row, key);
	double now = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : 0;

	jv_free(v);
	return jv_object_set(row, jv_string(key), jv_number(now + by));
}

/* What one conversation adds to its period's row. */
static jv
tally(jv row, jv c)
{
	jv msgs = json_get(c, "messages"), replies = json_get(c, "replies"), m;
	int64_t confirm = conv_confirmed_at(c), follow = conv_sent_at(c, "followup");
	int64_t first = 0, t;
	const char *status = conv_str(c, "status"), *intent, *kind;
	int i, n, sent, confirmed_first = 0, after = 0, declined = 0;

	row = bump(row, "bookings", 1);
	row = bump(row, "with_phone", conv_str(c, "phone") ? 1 : 0);
	n = conv_count(c, "messages");
	for (i = 0; i < n; i++) {
		m = jv_array_get(jv_copy(msgs), i);
		kind = json_str(m, "kind");
		sent = json_str(m, "status") && strcmp(json_str(m, "status"), "sent") == 0;
		if (sent && json_kind(m, "dry_run") == JV_KIND_TRUE) {
			row = bump(row, "dry_run", 1);	/* -p log: nobody was texted */
			sent = 0;
		}
		if (sent && kind_confirms(kind))
			row = bump(row, "confirmations", 1);
		if (sent && kind && strcmp(kind, "followup") == 0)
			row = bump(row, "followups", 1);
		if (json_str(m, "delivery") && strcmp(json_str(m, "delivery"), "delivered") == 0)
			row = bump(row, "delivered", 1);
		if (sent)
			row = bump(row, "segments", json_num(m, "segments"));
		jv_free(m);
	}
	n = conv_count(c, "replies");
	for (i = 0; i < n; i++) {
		m = jv_array_get(jv_copy(replies), i);
		intent = json_str(m, "intent");
		t = conv_time(m, "at");
		row = bump(row, "replies", 1);
		row = bump(row, str_listed(intent, (const char *const[]){ "confirm", "decline",
		    "stop", "start", "help", NULL }) ? intent : "other", 1);
		if (first == 0)
			first = t;
		if (first == t && intent && strcmp(intent, "confirm") == 0 && (!follow || t < follow))
			confirmed_first = 1;
		if (follow && t >= follow)
			after = 1;
		if (intent && strcmp(intent, "decline") == 0)
			declined = 1;
		jv_free(m);
	}
	row = bump(row, "confirmed_before_followup", confirmed_first);
	row = bump(row, "replied_after_followup", after);
	row = bump(row, "declined", declined);
	row = bump(row, "opted_out", status && strcmp(status, "opted_out") == 0);
	row = bump(row, "failed", status && strcmp(status, "failed") == 0);
	row = bump(row, "uncertain", status && strcmp(status, "uncertain") == 0);
	if (confirm && first > confirm) {
		m = json_get(row, "waits");
		row = jv_object_set(row, jv_string("waits"), jv_array_append(
		    jv_get_kind(m) == JV_KIND_ARRAY ? m : (jv_free(m), jv_array()),
		    jv_number((double)(first - confirm))));
	}
	jv_free(msgs);
	jv_free(replies);
	return row;
}

static int
report_one(const char *id, int64_t created, void *ctx)
{
	struct report *r = ctx;
	char period[128];
	struct store_val v;
	jv c, row;

	if (r->until && created > r->until)
		return 0;
	if (r->since && created < r->since)
		return 1;	/* newest first: the rest is older */
	if (store_raw(r->st, r->txn, id, &v) != 0)
		return 0;
	c = jv_parse_sized(v.data, (int)v.size);
	if (jv_get_kind(c) == JV_KIND_OBJECT) {
		period_of(r, c, created, period, sizeof period);
		row = jv_object_get(jv_copy(r->periods), jv_string(period));
		if (jv_get_kind(row) != JV_KIND_OBJECT) {
			jv_free(row);
			row = jv_object();
		}
		r->periods = jv_object_set(r->periods, jv_string(period), tally(row, c));
	}
	jv_free(c);
	return 0;
}

static int
by_number(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static jv
median(jv waits)
{
	int i, n = jv_get_kind(waits) == JV_KIND_ARRAY ? jv_array_length(jv_copy(waits)) : 0;
	double *v, m;

	if (n == 0 || (v = malloc(sizeof *v * (size_t)n)) == NULL) {
		jv_free(waits);
		return jv_null();
	}
	for (i = 0; i < n; i++) {
		jv x = jv_array_get(jv_copy(waits), i);

		v[i] = jv_number_value(x);
		jv_free(x);
	}
	qsort(v, (size_t)n, sizeof *v, by_number);
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	jv_free(waits);
	return jv_number(m);
}

static void
report_print(struct report *r, int tsv)
{
	jv keys = jv_keys(jv_copy(r->periods)), row, out, x;
	int i, k, n = jv_array_length(jv_copy(keys));

	if (tsv) {
		printf("period");
		for (k = 0; report_counts[k]; k++)
			printf("\t%s", report_counts[k]);
		printf("%s\tmedian_reply_s\n", r->priced ? "\tcost" : "");
	}
	for (i = 0; i < n; i++) {
		x = jv_array_get(jv_copy(keys), i);
		row = jv_object_get(jv_copy(r->periods), jv_copy(x));
		out = jv_object_set(jv_object(), jv_string("period"), jv_copy(x));
		for (k = 0; report_counts[k]; k++) {
			jv v = json_get(row, report_counts[k]);

			out = jv_object_set(out, jv_string(report_counts[k]),
			    jv_get_kind(v) == JV_KIND_NUMBER ? v : (jv_free(v), jv_number(0)));
		}
		if (r->priced)
			out = bump(out, "cost", r->price * json_num(out, "segments"));
		out = jv_object_set(out, jv_string("median_reply_s"), median(json_get(row, "waits")));
		if (tsv) {
			printf("%s", jv_string_value(x));
			for (k = 0; report_counts[k]; k++)
				printf("\t%.0f", json_num(out, report_counts[k]));
			if (r->priced)
				printf("\t%.2f", json_num(out, "cost"));
			if (json_kind(out, "median_reply_s") == JV_KIND_NUMBER)
				printf("\t%.0f\n", json_num(out, "median_reply_s"));
			else
				printf("\t\n");
			jv_free(out);
		} else
			json_print(out);
		jv_free(row);
		jv_free(x);
	}
	jv_free(keys);
}

static int
report_options(struct report *r, int argc, char **argv, int *tsv, const char **zone)
{
	static const struct option longs[] = {
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "by", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const bys[] = { "day", "week", "month", "event", NULL };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "tP:z:", longs, NULL)) != -1) {
		switch (c) {
		case 'S': if (when("since", optarg, &r->since)) return -1; break;
		case 'U': if (when("until", optarg, &r->until)) return -1; break;
		case 'b':
			if (!str_listed(optarg, bys)) {
				note("--by: day, week, month or event, not %s", optarg);
				return -1;
			}
			r->by = optarg;
			break;
		case 't': *tsv = 1; break;
		case 'P':
			if (real_arg(optarg, 0, 1e6, &r->price) != 0) {
				note("-P: not a price per segment: %s", optarg);
				return -1;
			}
			r->priced = 1;
			break;
		case 'z': *zone = optarg; break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static int
cmd_report(struct store *st, int argc, char **argv)
{
	struct report r = { .st = st, .by = "day", .periods = jv_object() };
	struct store_cursor cur = { .len = 0 };
	const char *zone = NULL;
	int tsv = 0, rc;

	if (report_options(&r, argc, argv, &tsv, &zone) != 0) {
		jv_free(r.periods);
		usage(EXIT_USAGE);
	}
	if (zone) {
		setenv("TZ", zone, 1);
		tzset();
	}
	if ((rc = store_read_begin(st, &r.txn)) != 0) {
		jv_free(r.periods);
		return store_fatal(rc, "report");
	}
	if (r.until)	/* start at the newest booking in the window */
		store_cursor_at(&cur, IX_CREATED, r.until + 1, 1);
	rc = store_walk_from(st, r.txn, IX_CREATED, &cur, report_one, &r);
	store_read_end(r.txn);
	if (rc == 0)
		report_print(&r, tsv);
	jv_free(r.periods);
	return store_status(rc, "report");
}

/* ---- health: the monitoring-plugins convention ---- */

enum { OK, WARNING, CRITICAL, UNKNOWN };
static const char *const state_name[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

static int first_due(const char *id, int64_t t, void *ctx);

struct health {
	int64_t now, after, oldest, newest;
	long failed, uncertain;
	int64_t offset;	/* added to a key's time: when it is due */
};

/*
 * A confirmation still to go, due or claimed: it has waited since the
 * booking, however often an outage's back-off put it off or re-claimed it.
 */
static int
waiting_confirm(struct store *st, struct store_txn *txn, jv c, void *ctx)
{
	struct due_at due[DUE_KINDS];
	jv claim = json_get(c, "claim");
	int i, n = conv_due(c, due, DUE_KINDS), waits = kind_confirms(json_str(claim, "kind"));

	(void)st;
	(void)txn;
	for (i = 0; i < n && !waits; i++)
		waits = strcmp(due[i].kind, "confirm") == 0;
	if (waits)
		first_due(NULL, conv_time(c, "created_at"), ctx);
	jv_free(claim);
	jv_free(c);
	return 0;
}

/* The time indexes are soonest first: the first key is the oldest due. */
static int
first_due(const char *id, int64_t t, void *ctx)
{
	struct health *h = ctx;
	int64_t due = t + h->offset;

	(void)id;
	if (due <= h->now && (h->oldest == 0 || due < h->oldest))
		h->oldest = due;
	return 1;
}

static int
newest_booking(const char *id, int64_t created, void *ctx)
{
	(void)id;
	((struct health *)ctx)->newest = created;
	return 1;
}

struct limits {
	long failed[2], uncertain[2];
	int64_t due[2], quiet;
	int qfrom, qto, business;
};

static int
pair(const char *arg, int durations, long *a, int64_t *d)
{
	char x[64], *comma;
	int i;

	snprintf(x, sizeof x, "%s", arg);
	if ((comma = strchr(x, ',')) == NULL)
		return -1;
	*comma = '\0';
	for (i = 0; i < 2; i++) {
		const char *part = i ? comma + 1 : x;

		if (durations && duration_parse(part, &d[i]) != 0)
			return -1;
		if (!durations && long_arg(part, 0, LONG_MAX, &a[i]) != 0)
			return -1;
	}
	return 0;
}

static int
in_business_hours(const struct limits *lim, int64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;
	int m;

	if (!lim->business)
		return 1;
	localtime_r(&t, &tm);
	m = tm.tm_hour * 60 + tm.tm_min;
	return lim->qfrom <= lim->qto ? m >= lim->qfrom && m < lim->qto :
	    m >= lim->qfrom || m < lim->qto;
}

static int
level(long v, const long *lim)
{
	return v >= lim[1] ? CRITICAL : v >= lim[0] ? WARNING : OK;
}

static int
health_options(int argc, char **argv, struct limits *lim, int64_t *after)
{
	int c, h1, m1, h2, m2;

	optind = 1;
	while ((c = getopt(argc, argv, "a:b:d:f:q:u:")) != -1) {
		switch (c) {
		case 'a': if (duration_parse(optarg, after)) return -1; break;
		case 'f': if (pair(optarg, 0, lim->failed, NULL)) return -1; break;
		case 'u': if (pair(optarg, 0, lim->uncertain, NULL)) return -1; break;
		case 'd': if (pair(optarg, 1, NULL, lim->due)) return -1; break;
		case 'q': if (duration_parse(optarg, &lim->quiet)) return -1; break;
		case 'b':
			if (sscanf(optarg, "%d:%d-%d:%d", &h1, &m1, &h2, &m2) != 4)
				return -1;
			lim->business = 1;
			lim->qfrom = h1 * 60 + m1;
			lim->qto = h2 * 60 + m2;
			break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/*
 * One status line with performance data, exit 0 OK, 1 WARNING, 2
 * CRITICAL: failed and uncertain conversations, how long the oldest due
 * message has waited (the sender is down), and how long since the last
 * booking (the webhook may be disabled).
 */
static int
cmd_health(struct store *st, int argc, char **argv)
{
	struct limits lim = { { 1, 5 }, { 1, 1 }, { 120, 600 }, 0, 0, 0, 0 };
	struct health h = { .now = clock_now(), .after = 1800 };
	int64_t waited, since;
	struct store_txn *txn;
	int state, rc;
	char why[160] = "";

	if (health_options(argc, argv, &lim, &h.after) != 0) {
		printf("CALSMS UNKNOWN - usage: health [-f w,c] [-u w,c] [-d w,c] [-a after] "
		    "[-q quiet] [-b hh:mm-hh:mm]\n");
		return UNKNOWN;
	}
	if ((rc = store_read_begin(st, &txn)) != 0 ||
	    (rc = store_count(st, txn, IX_STATUS, "failed", &h.failed)) != 0 ||
	    (rc = store_count(st, txn, IX_STATUS, "uncertain", &h.uncertain)) != 0 ||
	    (rc = store_convs(st, txn, IX_STATUS, "pending", waiting_confirm, &h)) != 0 ||
	    (h.offset = h.after, rc = store_walk(st, txn, IX_FOLLOWUP, NULL, first_due, &h)) != 0 ||
	    (rc = store_walk(st, txn, IX_CREATED, NULL, newest_booking, &h)) != 0) {
		printf("CALSMS UNKNOWN - the store cannot be read: %s\n", store_strerror(rc));
		return UNKNOWN;
	}
	store_read_end(txn);
	waited = h.oldest ? h.now - h.oldest : 0;
	since = h.newest ? h.now - h.newest : -1;
	state = level(h.failed, lim.failed);
	if (level(h.uncertain, lim.uncertain) > state)
		state = level(h.uncertain, lim.uncertain);
	if ((waited >= lim.due[1] ? CRITICAL : waited >= lim.due[0] ? WARNING : OK) > state) {
		state = waited >= lim.due[1] ? CRITICAL : WARNING;
		snprintf(why, sizeof why, ", a message due for %llds: is the sender running?",
		    (long long)waited);
	}
	if (lim.quiet && in_business_hours(&lim, h.now) && (since < 0 || since > lim.quiet)) {
		state = CRITICAL;
		snprintf(why, sizeof why, ", no booking for %s: is the Calendly webhook "
		    "disabled? (cal-sync status)", since < 0 ? "ever" : "longer than -q");
	}
	printf("CALSMS %s - failed=%ld uncertain=%ld oldest_due=%llds%s | failed=%ld;%ld;%ld "
	    "uncertain=%ld;%ld;%ld oldest_due=%llds;%lld;%lld last_booking=%llds\n",
	    state_name[state], h.failed, h.uncertain, (long long)waited, why,
	    h.failed, lim.failed[0], lim.failed[1], h.uncertain, lim.uncertain[0],
	    lim.uncertain[1], (long long)waited, (long long)lim.due[0], (long long)lim.due[1],
	    (long long)(since < 0 ? 0 : since));
	return state;
}

struct stats {
	jv counts;
	long messages, dry_run, segments, confirms, followups, reminders, replied, convs;
	long undelivered;
};

static void
count_message(struct stats *s, jv m)
{
	const char *kind = json_str(m, "kind"), *status = json_str(m, "status");
	jv seg;

	if (status == NULL || strcmp(status, "sent") != 0)
		return;
	if (json_str(m, "delivery") && (strcmp(json_str(m, "delivery"), "undelivered") == 0 ||
	    strcmp(json_str(m, "delivery"), "failed") == 0))
		s->undelivered++;	/* sent, but the carrier says it never arrived */
	if (json_kind(m, "dry_run") == JV_KIND_TRUE) {
		s->dry_run++;	/* the log provider: nobody was texted */
		return;
	}
	seg = json_get(m, "segments");
	s->messages++;
	s->segments += jv_get_kind(seg) == JV_KIND_NUMBER ? (long)jv_number_value(seg) : 1;
	jv_free(seg);
	s->confirms += kind_confirms(kind);
	s->followups += kind && strcmp(kind, "followup") == 0;
	s->reminders += kind && strcmp(kind, "reminder") == 0;
}

static int
count_conv(const struct store_val *k, const struct store_val *v, void *ctx)
{
	struct stats *s = ctx;
	jv c = jv_parse_sized(v->data, (int)v->size), msgs, n;
	const char *status = conv_str(c, "status");
	int i, len = conv_count(c, "messages");

	(void)k;
	if (!jv_is_valid(c) || status == NULL) {
		jv_free(c);
		return 0;
	}
	s->convs++;
	n = jv_object_get(jv_copy(s->counts), jv_string(status));
	s->counts = jv_object_set(s->counts, jv_string(status), jv_number(
	    (jv_is_valid(n) ? jv_number_value(n) : 0) + 1));
	jv_free(n);
	msgs = json_get(c, "messages");
	for (i = 0; i < len; i++) {
		jv m = jv_array_get(jv_copy(msgs), i);

		count_message(s, m);
		jv_free(m);
	}
	if (conv_confirmed_at(c) && conv_count(c, "replies") > 0)
		s->replied++;
	jv_free(msgs);
	jv_free(c);
	return 0;
}

static double
rate(long part, long whole)
{
	return whole ? (double)(part * 1000 / whole) / 1000 : 0;
}

static jv
number(jv out, const char *name, double v)
{
	return jv_object_set(out, jv_string(name), jv_number(v));
}

static int
cmd_stats(struct store *st, int argc, char **argv)
{
	struct stats s = { .counts = jv_object() };
	struct store_txn *txn;
	size_t optouts, orphans;
	jv out = jv_object();
	int i, rc;

	(void)argc;
	(void)argv;
	for (i = 0; conv_statuses[i]; i++)
		s.counts = jv_object_set(s.counts, jv_string(conv_statuses[i]), jv_number(0));
	if ((rc = store_read_begin(st, &txn)) != 0 ||
	    (rc = store_each(st, txn, STORE_CONVS, count_conv, &s)) != 0) {
		jv_free(s.counts);
		jv_free(out);
		return store_fatal(rc, "stats");
	}
	store_sizes(st, txn, &optouts, &orphans);
	store_read_end(txn);
	out = number(out, "conversations", s.convs);
	out = jv_object_set(out, jv_string("status"), s.counts);
	out = number(out, "messages_sent", s.messages);
	out = number(out, "dry_run", s.dry_run);
	out = number(out, "segments", s.segments);
	out = number(out, "confirmations", s.confirms);
	out = number(out, "followups", s.followups);
	out = number(out, "reminders", s.reminders);
	out = number(out, "undelivered", s.undelivered);
	out = number(out, "reply_rate", rate(s.replied, s.confirms));
	out = number(out, "followup_rate", rate(s.followups, s.confirms));
	out = number(out, "opt_outs", (double)optouts);
	out = number(out, "orphan_replies", (double)orphans);
	json_print(out);
	return 0;
}

/* ---- purge ---- */

struct purge {
	int64_t now;
	jv ids;
};

static int
expired(const char *id, int64_t t, void *ctx)
{
	struct purge *p = ctx;

	if (t > p->now || jv_array_length(jv_copy(p->ids)) == 1000)
		return 1;
	p->ids = jv_array_append(p->ids, jv_string(id));
	return 0;
}

static int
apply_purge(struct store *st, struct store_txn *txn, void *ctx)
{
	struct purge *p = ctx;
	int i, n, rc;

	jv_free(p->ids);
	p->ids = jv_array();
	if ((rc = store_walk(st, txn, IX_EXPIRY, NULL, expired, p)) != 0)
		return rc;
	n = jv_array_length(jv_copy(p->ids));
	for (i = 0; i < n; i++) {
		jv id = jv_array_get(jv_copy(p->ids), i);
		jv c = store_get(st, txn, jv_string_value(id));

		jv_free(id);
		if (!jv_is_valid(c))
			jv_free(c);
		else if ((rc = store_del(st, txn, c)) != 0)
			return rc;
	}
	return 0;
}

/* ---- check ---- */

static void
print_problem(const char *id, size_t len, const char *what, void *ctx)
{
	jv p = jv_object();

	(void)ctx;
	p = jv_object_set(p, jv_string("id"), jv_string_sized(id, (int)len));
	p = jv_object_set(p, jv_string("problem"), jv_string(what));
	json_print(p);
}

static int
check_once(struct store *st, store_problem_fn fn, struct store_checked *n)
{
	struct store_txn *txn;
	int rc;

	if ((rc = store_read_begin(st, &txn)) != 0)
		return store_fatal(rc, "check");
	rc = store_check(st, txn, fn, NULL, n);
	store_read_end(txn);
	if (rc != 0)
		return store_fatal(rc, "check");
	note("%ld conversations, %ld index keys, %ld opt-outs: %ld problem%s",
	    n->convs, n->keys, n->optouts, n->problems, n->problems == 1 ? "" : "s");
	return 0;
}

static void
ignore_problem(const char *id, size_t len, const char *what, void *ctx)
{
	(void)id;
	(void)len;
	(void)what;
	(void)ctx;
}

static int
cmd_check(struct store *st, int argc, char **argv)
{
	struct store_checked n;
	long records;
	int rc, repair = argc == 1;

	if (argc == 1 && strcmp(argv[0], "--repair") != 0 && strcmp(argv[0], "-r") != 0)
		usage(EXIT_USAGE);
	if ((rc = check_once(st, print_problem, &n)) != 0)
		return rc;
	if (n.problems == 0 || !repair)
		return n.problems ? 1 : 0;
	if ((rc = store_reindex(st, &records)) != 0)
		return store_fatal(rc, "check --repair");
	note("rebuilt the indexes from %ld records", records);
	if ((rc = check_once(st, ignore_problem, &n)) != 0)
		return rc;
	return n.problems ? 1 : 0;
}

static int
cmd_purge(struct store *st, int argc, char **argv)
{
	struct purge p = { .now = clock_now(), .ids = jv_invalid() };
	int rc, i, n;

	(void)argc;
	(void)argv;
	do {
		if ((rc = store_write(st, apply_purge, &p)) != 0) {
			jv_free(p.ids);
			return store_fatal(rc, "purge");
		}
		n = jv_array_length(jv_copy(p.ids));
		for (i = 0; i < n; i++)
			json_print(jv_object_set(jv_object(), jv_string("purged"),
			    jv_array_get(jv_copy(p.ids), i)));
	} while (n == 1000);
	jv_free(p.ids);
	return 0;
}

/* ---- main ---- */

/* The store is made by store_open() before this runs: nothing more to do. */
static int
cmd_init(struct store *st, int argc, char **argv)
{
	(void)st;
	(void)argc;
	(void)argv;
	return 0;
}

static const struct command commands[] = {
	{ "init", "", cmd_init, NULL, 0, 0, STORE_CREATE, 0 },
	{ "add", "[-q] [-e days]", NULL, apply_add, 0, 0, STORE_CREATE, 0 },
	{ "record", "", NULL, apply_record, 0, 0, STORE_LAZY, 0 },
	{ "reply", "", NULL, apply_reply, 0, 0, STORE_LAZY, 0 },
	{ "get", "id|phone ...", cmd_get, NULL, 1, -1, STORE_READ, 0 },
	{ "list", "[-s status[,status]] [-p phone] [-n max] [--since time] [--until time] "
	    "[--starts-after time] [--starts-before time] [--orphans]", cmd_list, NULL, 0, -1, STORE_READ, 1 },
	{ "cancel", "id ...", cmd_cancel, NULL, 1, -1, 0, 0 },
	{ "stop", "id ...", cmd_stop, NULL, 1, -1, 0, 0 },
	{ "resolve", "id sent|unsent", cmd_resolve, NULL, 2, 2, 0, 0 },
	{ "retry", "id ... | --waiting", cmd_retry, NULL, 1, -1, 0, 0 },
	{ "set-phone", "id phone", cmd_set_phone, NULL, 2, 2, 0, 0 },
	{ "note", "id text", cmd_note, NULL, 2, 2, 0, 0 },
	{ "send", "id text", cmd_send, NULL, 2, 2, 0, 0 },
	{ "optout", "phone ...", cmd_optout, NULL, 1, -1, 0, 0 },
	{ "optin", "phone ...", cmd_optin, NULL, 1, -1, 0, 0 },
	{ "stats", "", cmd_stats, NULL, 0, 0, STORE_READ, 0 },
	{ "export", "[--since time] [--until time]", cmd_export, NULL, 0, -1, STORE_READ, 1 },
	{ "health", "[-f warn,crit] [-u warn,crit] [-d warn,crit] [-a after] [-q quiet] "
	    "[-b hh:mm-hh:mm]", cmd_health, NULL, 0, -1, STORE_READ, 1 },
	{ "dump", "", cmd_dump, NULL, 0, 0, STORE_READ, 0 },
	{ "load", "", NULL, apply_load, 0, 0, STORE_CREATE, 0 },
	{ "purge", "", cmd_purge, NULL, 0, 0, 0, 0 },
	{ "check", "[--repair]", cmd_check, NULL, 0, 1, 0, 0 },
	{ "report", "[--by day|week|month|event] [--since time] [--until time] [-t] "
	    "[-P price] [-z zone]", cmd_report, NULL, 0, -1, STORE_READ, 1 },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, 0 }
};

static void
usage(int status)
{
	FILE *f = status ? stderr : stdout;
	const struct command *c;

	for (c = commands; c->name; c++)
		fprintf(f, "%s %s [-d dir] %s%s%s\n", c == commands ? "usage:" : "      ",
		    progname, c->name, *c->args ? " " : "", c->args);
	exit(status);
}

static const struct command *
find_command(const char *name)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* add's options: the only ones read before the store is opened */
static void
add_options(int argc, char **argv)
{
	long days;
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "qe:")) != -1) {
		switch (c) {
		case 'q': quiet = 1; break;
		case 'e':
			if (long_arg(optarg, 1, 36500, &days) != 0) {
				note("-e: not a number of days: %s", optarg);
				usage(EXIT_USAGE);
			}
			expire_days = (int)days;
			break;
		default: usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	const char *dir = NULL;
	const struct command *cmd;
	struct store *st;
	int c, status, n, flags;

	log_init(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "+d:h")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'h': usage(0); break;
		default: usage(EXIT_USAGE);
		}
	}
	if (optind == argc)
		usage(EXIT_USAGE);
	if ((cmd = find_command(argv[optind])) == NULL) {
		note("unknown command: %s", argv[optind]);
		usage(EXIT_USAGE);
	}
	argc -= optind;
	argv += optind;
	if (cmd->stream == apply_add)
		add_options(argc, argv);
	n = argc - 1;
	if (!cmd->options && cmd->stream != apply_add &&
	    (n < cmd->min || (cmd->max >= 0 && n > cmd->max)))
		usage(EXIT_USAGE);
	if (cmd->run == cmd_resolve && strcmp(argv[2], "sent") != 0 &&
	    strcmp(argv[2], "unsent") != 0) {
		note("resolve: say sent or unsent, not %s", argv[2]);
		usage(EXIT_USAGE);
	}
	flags = cmd->flags;
	if (cmd->run == cmd_check && argc == 1)
		flags |= STORE_READ;	/* check without --repair only reads */
	if ((status = store_open(store_dir(dir), flags, &st)) != 0) {
		if (cmd->run == cmd_health) {	/* a monitor reads the line, not stderr */
			printf("CALSMS UNKNOWN - no usable store at %s\n", store_dir(dir));
			return UNKNOWN;
		}
		return status;
	}
	if (cmd->stream)
		status = store_stream(st, cmd->stream, NULL);
	else if (cmd->options)
		status = cmd->run(st, argc, argv);
	else
		status = cmd->run(st, n, argv + 1);
	store_close(st);
	return finish_stdout(status);
}
