/*
 * operator.c: the operator's writes, one write transaction each: cancel,
 * stop, resolve, retry, set-phone, note, send, optout, optin.
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

int
cmd_stop(struct store *st, int argc, char **argv)
{
	struct oneshot o = { argv, argc, 0, NULL, jv_invalid(), 0, operator_stop };

	return oneshot(st, apply_each, &o);
}

int
cmd_cancel(struct store *st, int argc, char **argv)
{
	struct oneshot o = { argv, argc, 0, NULL, jv_invalid(), 0, operator_cancel };

	return oneshot(st, apply_each, &o);
}

int
cmd_optout(struct store *st, int argc, char **argv)
{
	struct oneshot o = { argv, argc, 0, "optout", jv_invalid(), 0, NULL };

	return oneshot(st, apply_optout, &o);
}

int
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

int
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

int
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
	store_read_end(st, txn);
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

int
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

int
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

int
cmd_resolve(struct store *st, int argc, char **argv)
{
	struct oneshot o = { argv, 1, 0, argv[1], jv_invalid(), 0, NULL };

	(void)argc;
	o.change = operator_resolve;
	return oneshot(st, apply_each, &o);
}

