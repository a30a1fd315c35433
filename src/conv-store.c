/*
 * conv-store: the conversation store's command line.
 *
 * Streaming commands (add, record, reply, load) read JSON values, apply
 * them in groups, one write transaction a group, and print a group's lines
 * only after it committed: nothing printed is ever lost, and no writer
 * blocks on a pipe while it holds the write lock.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calsms.h"
#include "store.h"

#define GROUP_MAX 1000
#define GROUP_MS 10
#define MAX_IDS 4096

struct item {
	jv in, out;
	long line;
	int status;
	char err[160];
};

struct group;
typedef int (*apply_fn)(struct group *g, MDB_txn *txn, struct item *it);

struct group {
	struct store *st;
	apply_fn apply;
	struct item *items;
	int n, cap, status;
	int quiet, expire_days;
	int64_t now;
};

struct idlist {
	char ids[MAX_IDS][208];
	int n, max;
	int64_t since, until;
};

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s [-d dir] add [-q] [-e days]\n"
	    "       %s [-d dir] record | reply | load | dump | stats | purge\n"
	    "       %s [-d dir] get id|phone ...\n"
	    "       %s [-d dir] list [-s status] [-p phone] [--since time] [--until time] [-n max] [--orphans]\n"
	    "       %s [-d dir] cancel id ...\n"
	    "       %s [-d dir] optout | optin phone ...\n"
	    "       %s [-d dir] resolve id sent|unsent\n",
	    progname, progname, progname, progname, progname, progname, progname);
	exit(status);
}

static void __attribute__((format(printf, 3, 4)))
fail(struct item *it, int status, const char *fmt, ...)
{
	va_list ap;

	it->status = status;
	va_start(ap, fmt);
	vsnprintf(it->err, sizeof it->err, fmt, ap);
	va_end(ap);
}

/* ---- groups ---- */

static int
collect(jv v, long line, void *ctx)
{
	struct group *g = ctx;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		if ((g->items = realloc(g->items, g->cap * sizeof *g->items)) == NULL)
			die(EXIT_SOFTWARE, "out of memory");
	}
	g->items[g->n++] = (struct item){ .in = v, .out = jv_invalid(), .line = line };
	return 0;
}

static int
apply_all(struct store *st, MDB_txn *txn, void *ctx)
{
	struct group *g = ctx;
	int i, rc;

	(void)st;
	g->now = clock_now();
	for (i = 0; i < g->n; i++) {
		jv_free(g->items[i].out);
		g->items[i].out = jv_invalid();
		g->items[i].status = 0;
		g->items[i].err[0] = '\0';
		if ((rc = g->apply(g, txn, &g->items[i])) != 0)
			return rc;
	}
	return 0;
}

static int
flush(void *ctx)
{
	struct group *g = ctx;
	int i, rc, status = 0;

	if (g->n == 0)
		return 0;
	if ((rc = store_write(g->st, apply_all, g)) != 0)
		exit(store_fatal(rc, "write"));
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->items[i];

		if (it->err[0])
			note("stdin:%ld: %s", it->line, it->err);
		if (it->status > status)
			status = it->status;
		if (jv_is_valid(it->out))
			json_print(jv_copy(it->out));
		jv_free(it->out);
		jv_free(it->in);
	}
	fflush(stdout);
	g->n = 0;
	return status;
}

static int
stream(struct group *g)
{
	int status = json_read_groups(0, "stdin", collect, flush, g, GROUP_MAX, GROUP_MS);

	free(g->items);
	return status;
}

/* ---- index walks ---- */

static int
gather(const MDB_val *k, void *ctx)
{
	struct idlist *l = ctx;
	size_t plen = 0;
	const char *p = k->mv_data;
	int64_t created;

	if (l->n == l->max)
		return 1;
	if (*p == IX_PHONE || *p == IX_STATUS)
		plen = strlen(p + 1) + 2;
	else
		plen = 1;
	created = (int64_t)(UINT64_MAX - (uint64_t)key_time(k, plen));
	if (l->until && created > l->until)
		return 0;
	if (l->since && created < l->since)
		return 1;	/* newest first: the rest are older still */
	key_id(k, plen + 8, l->ids[l->n++], sizeof l->ids[0]);
	return 0;
}

static void
ids_by(struct store *st, MDB_txn *txn, int kind, const char *text, struct idlist *l)
{
	char prefix[128];
	size_t n = 1;
	int rc;

	prefix[0] = (char)kind;
	if (text) {
		n = (size_t)snprintf(prefix + 1, sizeof prefix - 1, "%s", text) + 2;
		if (n > sizeof prefix)
			n = sizeof prefix;
	}
	if ((rc = store_scan(st, txn, prefix, n, gather, l)) != 0)
		exit(store_fatal(rc, "scan"));
}

/* The newest live conversation for phone, else its newest, else invalid. */
static jv
for_phone(struct store *st, MDB_txn *txn, const char *phone, struct idlist *l)
{
	jv c, first = jv_invalid();
	int i;

	l->n = 0;
	l->max = MAX_IDS;
	l->since = l->until = 0;
	ids_by(st, txn, IX_PHONE, phone, l);
	for (i = 0; i < l->n; i++) {
		c = store_get(st, txn, l->ids[i]);
		if (!jv_is_valid(c))
			continue;
		if (conv_live(conv_str(c, "status"))) {
			jv_free(first);
			return c;
		}
		if (jv_is_valid(first))
			jv_free(c);
		else
			first = c;
	}
	return first;
}

/* ---- add ---- */

static jv
cancel_conv(jv c, jv appt, int64_t now)
{
	jv info = jv_object();
	const char *status = conv_str(c, "status");

	info = jv_object_set(info, jv_string("reason"), json_get(appt, "reason"));
	info = jv_object_set(info, jv_string("rescheduled"), json_get(appt, "rescheduled"));
	info = jv_object_set(info, jv_string("new_id"), json_get(appt, "new_id"));
	info = jv_object_set(info, jv_string("at"), rfc3339_jv(now));
	c = jv_object_set(c, jv_string("canceled"), info);
	if (status && strcmp(status, "canceled") != 0)
		c = conv_set_status(c, "canceled", now);
	return c;
}

static int
add_cancel(struct group *g, MDB_txn *txn, jv appt, const char *id)
{
	jv old = store_get(g->st, txn, id), c;

	if (jv_is_valid(old) && strcmp(conv_str(old, "status"), "canceled") == 0) {
		jv_free(old);
		return 0;	/* a repeat */
	}
	if (jv_is_valid(old))
		c = jv_copy(old);
	else	/* canceled before its booking arrived: the booking must not revive it */
		c = conv_set_status(conv_new(jv_copy(appt), 0, g->now, g->expire_days),
		    "canceled", g->now);
	return store_put(g->st, txn, old, cancel_conv(c, appt, g->now));
}

static int
add_booking(struct group *g, MDB_txn *txn, struct item *it, const char *id)
{
	jv old = store_get(g->st, txn, id), c, prev;
	const char *phone = json_str(it->in, "phone"), *old_id = json_str(it->in, "old_id");
	int64_t start;
	int rc;

	if (jv_is_valid(old)) {
		jv_free(old);
		return 0;	/* Calendly repeats deliveries: nothing changes */
	}
	if (old_id && strcmp(old_id, id) != 0) {
		prev = store_get(g->st, txn, old_id);
		if (jv_is_valid(prev) && strcmp(conv_str(prev, "status"), "canceled") != 0) {
			c = jv_object_set(jv_copy(prev), jv_string("rescheduled_to"), jv_string(id));
			c = conv_set_status(c, "canceled", g->now);
			if ((rc = store_put(g->st, txn, prev, c)) != 0)
				return rc;
		} else
			jv_free(prev);
	}
	c = conv_new(jv_copy(it->in), phone && optout_has(g->st, txn, phone), g->now,
	    g->expire_days);
	start = conv_start(c);
	if (start > 0 && start <= g->now && strcmp(conv_str(c, "status"), "pending") == 0)
		c = jv_object_set(c, jv_string("skip"), jv_string("started"));
	else if (!g->quiet && strcmp(conv_str(c, "status"), "pending") == 0) {
		c = conv_claim(c, "confirm", g->now);
		it->out = jv_object_set(jv_copy(c), jv_string("due"), jv_string("confirm"));
	}
	return store_put(g->st, txn, jv_invalid(), c);
}

static int
apply_add(struct group *g, MDB_txn *txn, struct item *it)
{
	const char *type = json_str(it->in, "type"), *id = json_str(it->in, "id");

	if (type == NULL || id == NULL || *id == '\0' || strlen(id) > 200 ||
	    (strcmp(type, "booking") != 0 && strcmp(type, "cancel") != 0)) {
		fail(it, EXIT_DATA, "not an appointment (needs type booking|cancel and an id); skipped");
		return 0;
	}
	if (strcmp(type, "cancel") == 0)
		return add_cancel(g, txn, it->in, id);
	return add_booking(g, txn, it, id);
}

/* ---- record ---- */

static jv
message_of(jv line, const char *kind, int64_t now)
{
	jv sms = json_get(line, "sms"), m = jv_object();
	static const char *keep[] = { "body", "status", "provider", "provider_id",
	    "segments", "error", NULL };
	int i;

	m = jv_object_set(m, jv_string("kind"), jv_string(kind));
	for (i = 0; keep[i]; i++)
		m = jv_object_set(m, jv_string(keep[i]), json_get(sms, keep[i]));
	m = jv_object_set(m, jv_string("at"), json_str(sms, "at") ?
	    json_get(sms, "at") : rfc3339_jv(now));
	jv_free(sms);
	return m;
}

static const char *
after_sent(const char *kind, const char *status, const char *before)
{
	int unsure = strcmp(status, "uncertain") == 0;

	if (strcmp(kind, "confirm") == 0 && (unsure || strcmp(status, "pending") == 0))
		return "awaiting_reply";
	if (strcmp(kind, "followup") == 0 && (unsure || strcmp(status, "awaiting_reply") == 0))
		return "followed_up";
	if (unsure)
		return before ? before : "awaiting_reply";
	return status;
}

/* Retries back off: 1, 2, 4 ... 60 minutes after each temporary failure. */
static int64_t
backoff(jv c, const char *kind)
{
	jv msgs = json_get(c, "messages"), m;
	int i, n = jv_array_length(jv_copy(msgs)), fails = 0;
	const char *k, *s;

	for (i = 0; i < n; i++) {
		m = jv_array_get(jv_copy(msgs), i);
		k = json_str(m, "kind");
		s = json_str(m, "status");
		fails += k && s && strcmp(k, kind) == 0 && strcmp(s, "sent") != 0;
		jv_free(m);
	}
	jv_free(msgs);
	return fails > 6 ? 3600 : 60 << (fails > 0 ? fails - 1 : 0);
}

/* Twilio 21610 and SNS OptedOut: the recipient unsubscribed at the provider. */
static int
unsubscribed(jv err)
{
	const char *code = json_str(err, "code");

	return code && (strcmp(code, "21610") == 0 || strcmp(code, "OptedOut") == 0);
}

static int
apply_record(struct group *g, MDB_txn *txn, struct item *it)
{
	const char *id = json_str(it->in, "id"), *kind = json_str(it->in, "due");
	jv sms = json_get(it->in, "sms"), err, claim, c, old;
	const char *result = json_str(sms, "status"), *pid = json_str(sms, "provider_id");
	const char *status, *ckind, *before;
	int claimed, permanent, rc = 0;

	if (id == NULL || kind == NULL || result == NULL) {
		jv_free(sms);
		fail(it, EXIT_DATA, "not an sms-send result (needs id, due and sms.status); skipped");
		return 0;
	}
	old = store_get(g->st, txn, id);
	if (!jv_is_valid(old)) {
		jv_free(sms);
		fail(it, EXIT_DATA, "no conversation %.64s; skipped", id);
		return 0;
	}
	if (pid && *pid && conv_has_message(old, kind, pid)) {
		jv_free(sms);
		it->out = old;	/* recorded already */
		return 0;
	}
	claim = json_get(old, "claim");
	ckind = json_str(claim, "kind");
	before = json_str(claim, "status");
	claimed = ckind && strcmp(ckind, kind) == 0;
	c = conv_append(jv_copy(old), "messages", message_of(it->in, kind, g->now));
	status = conv_str(old, "status");
	err = json_get(sms, "error");
	permanent = json_kind(err, "permanent") == JV_KIND_TRUE;
	if (strcmp(result, "sent") == 0) {
		if (claimed)
			c = conv_release(c, 0, g->now);
		if (strcmp(kind, "reminder") == 0)
			c = jv_object_set(c, jv_string("reminder"), jv_string("sent"));
		c = conv_set_status(c, after_sent(kind, status, before), g->now);
	} else if (strcmp(result, "failed") == 0 && permanent) {
		if (claimed)
			c = conv_release(c, 0, g->now);
		if (unsubscribed(err) && conv_str(c, "phone")) {
			/* the provider says the number sent STOP there: as if here */
			rc = optout_set(g->st, txn, conv_str(c, "phone"), 1, g->now);
			c = conv_set_status(c, "opted_out", g->now);
		} else if (conv_live(status))
			c = conv_set_status(c, "failed", g->now);
	} else if (claimed) {
		c = conv_release(c, g->now + backoff(c, kind), g->now);
		if (strcmp(status, "uncertain") == 0)
			c = conv_set_status(c, before ? before : "pending", g->now);
	}
	jv_free(err);
	jv_free(claim);
	jv_free(sms);
	if (rc) {
		jv_free(old);
		jv_free(c);
		return rc;
	}
	it->out = jv_copy(c);
	return store_put(g->st, txn, old, c);
}

/* ---- reply ---- */

static int
has_reply(jv c, const char *pid)
{
	jv r = json_get(c, "replies"), x;
	int i, n = jv_get_kind(r) == JV_KIND_ARRAY ? jv_array_length(jv_copy(r)) : 0, found = 0;
	const char *p;

	for (i = 0; i < n && !found && pid; i++) {
		x = jv_array_get(jv_copy(r), i);
		p = json_str(x, "provider_id");
		found = p && strcmp(p, pid) == 0;
		jv_free(x);
	}
	jv_free(r);
	return found;
}

static int
opt_out_all(struct group *g, MDB_txn *txn, const char *phone, const char *except)
{
	struct idlist *l = malloc(sizeof *l);
	jv c;
	int i, rc = 0;

	if (l == NULL)
		return ENOMEM;
	*l = (struct idlist){ .max = MAX_IDS };
	ids_by(g->st, txn, IX_PHONE, phone, l);
	for (i = 0; i < l->n && rc == 0; i++) {
		if (except && strcmp(l->ids[i], except) == 0)
			continue;
		c = store_get(g->st, txn, l->ids[i]);
		if (jv_is_valid(c) && conv_live(conv_str(c, "status")))
			rc = store_put(g->st, txn, jv_copy(c),
			    conv_set_status(jv_copy(c), "opted_out", g->now));
		jv_free(c);
	}
	free(l);
	return rc;
}

static jv
reply_of(jv line, int64_t now)
{
	jv r = jv_object();

	r = jv_object_set(r, jv_string("body"), json_get(line, "body"));
	r = jv_object_set(r, jv_string("intent"), json_get(line, "intent"));
	r = jv_object_set(r, jv_string("at"), json_str(line, "received_at") ?
	    json_get(line, "received_at") : rfc3339_jv(now));
	r = jv_object_set(r, jv_string("provider"), json_get(line, "provider"));
	return jv_object_set(r, jv_string("provider_id"), json_get(line, "provider_id"));
}

static int
apply_reply(struct group *g, MDB_txn *txn, struct item *it)
{
	const char *from = json_str(it->in, "from"), *intent = json_str(it->in, "intent");
	const char *pid = json_str(it->in, "provider_id"), *status;
	struct idlist *l;
	char phone[17];
	jv target, c;
	int rc;

	if (from == NULL || intent == NULL || phone_e164(from, default_country(), phone) != 0) {
		fail(it, EXIT_DATA, "not a reply (needs from, a phone number, and intent); skipped");
		return 0;
	}
	if (strcmp(intent, "stop") == 0 && (rc = optout_set(g->st, txn, phone, 1, g->now)))
		return rc;
	if (strcmp(intent, "start") == 0 && (rc = optout_set(g->st, txn, phone, 0, g->now)))
		return rc;
	if ((l = malloc(sizeof *l)) == NULL)
		return ENOMEM;
	target = for_phone(g->st, txn, phone, l);
	free(l);
	if (!jv_is_valid(target)) {
		it->out = jv_object_set(jv_object(), jv_string("orphan"), jv_copy(it->in));
		return orphan_put(g->st, txn, jv_copy(it->in));
	}
	if (has_reply(target, pid)) {
		it->out = target;	/* a redelivery */
		return 0;
	}
	status = conv_str(target, "status");
	c = conv_append(jv_copy(target), "replies", reply_of(it->in, g->now));
	if (strcmp(intent, "stop") == 0 && conv_live(status))
		c = conv_set_status(c, "opted_out", g->now);
	else if (strcmp(intent, "start") != 0 && conv_live(status) &&
	    strcmp(status, "pending") != 0)
		c = conv_set_status(c, "replied", g->now);
	else
		c = jv_object_set(c, jv_string("updated_at"), rfc3339_jv(g->now));
	if (strcmp(intent, "stop") == 0 &&
	    (rc = opt_out_all(g, txn, phone, conv_str(target, "id"))) != 0) {
		jv_free(target);
		jv_free(c);
		return rc;
	}
	it->out = jv_copy(c);
	return store_put(g->st, txn, target, c);
}

/* ---- load ---- */

static int
known_status(const char *s)
{
	return s && (conv_live(s) || !strcmp(s, "canceled") || !strcmp(s, "opted_out") ||
	    !strcmp(s, "no_phone") || !strcmp(s, "failed"));
}

static int
apply_load(struct group *g, MDB_txn *txn, struct item *it)
{
	jv x;

	if (jv_get_kind(x = json_get(it->in, "optout")) == JV_KIND_OBJECT)
		return optout_put(g->st, txn, x);
	jv_free(x);
	if (jv_get_kind(x = json_get(it->in, "orphan")) == JV_KIND_OBJECT)
		return orphan_put(g->st, txn, x);
	jv_free(x);
	if (!json_str(it->in, "id") || strlen(json_str(it->in, "id")) > 200 ||
	    !known_status(json_str(it->in, "status"))) {
		fail(it, EXIT_DATA, "not a conversation, optout or orphan line; skipped");
		return 0;
	}
	return store_put(g->st, txn, store_get(g->st, txn, json_str(it->in, "id")),
	    jv_copy(it->in));
}

/* ---- one-shot writes: cancel, optout, optin, resolve ---- */

struct oneshot {
	char **args;
	int nargs, status;
	const char *what;
	jv out;
};

static int
apply_cancel_ids(struct store *st, MDB_txn *txn, void *ctx)
{
	struct oneshot *o = ctx;
	jv c, appt;
	int i, rc;

	jv_free(o->out);
	o->out = jv_array();
	o->status = 0;
	for (i = 0; i < o->nargs; i++) {
		c = store_get(st, txn, o->args[i]);
		if (!jv_is_valid(c)) {
			o->status = 1;
			continue;
		}
		appt = jv_object_set(jv_object(), jv_string("reason"), jv_string("canceled by operator"));
		appt = jv_object_set(appt, jv_string("rescheduled"), jv_false());
		appt = jv_object_set(appt, jv_string("new_id"), jv_null());
		o->out = jv_array_append(o->out, cancel_conv(jv_copy(c), appt, clock_now()));
		jv_free(appt);
		if ((rc = store_put(st, txn, c, jv_array_get(jv_copy(o->out),
		    jv_array_length(jv_copy(o->out)) - 1))) != 0)
			return rc;
	}
	return 0;
}

static int
apply_optout(struct store *st, MDB_txn *txn, void *ctx)
{
	struct oneshot *o = ctx;
	struct group g = { .st = st, .now = clock_now() };
	char phone[17];
	jv rec;
	int i, rc, on = strcmp(o->what, "optout") == 0;

	jv_free(o->out);
	o->out = jv_array();
	o->status = 0;
	for (i = 0; i < o->nargs; i++) {
		if (phone_e164(o->args[i], default_country(), phone) != 0) {
			o->status = EXIT_DATA;
			continue;
		}
		if ((rc = optout_set(st, txn, phone, on, g.now)) != 0 ||
		    (on && (rc = opt_out_all(&g, txn, phone, NULL)) != 0))
			return rc;
		rec = jv_object_set(jv_object(), jv_string("phone"), jv_string(phone));
		o->out = jv_array_append(o->out, jv_object_set(rec,
		    jv_string("opted_out"), jv_bool(on)));
	}
	return 0;
}

static int
apply_resolve(struct store *st, MDB_txn *txn, void *ctx)
{
	struct oneshot *o = ctx;
	jv c = store_get(st, txn, o->args[0]), claim, m, out;
	const char *kind, *before;
	int64_t now = clock_now();

	jv_free(o->out);
	o->out = jv_array();
	o->status = 0;
	claim = json_get(c, "claim");
	kind = json_str(claim, "kind");
	before = json_str(claim, "status");
	if (!jv_is_valid(c) || strcmp(conv_str(c, "status"), "uncertain") != 0 || !kind) {
		o->status = jv_is_valid(c) ? EXIT_DATA : 1;
		jv_free(claim);
		jv_free(c);
		return 0;
	}
	if (strcmp(o->what, "sent") == 0) {
		m = jv_object_set(jv_object(), jv_string("kind"), jv_string(kind));
		m = jv_object_set(m, jv_string("status"), jv_string("sent"));
		m = jv_object_set(m, jv_string("provider"), jv_string("operator"));
		m = jv_object_set(m, jv_string("at"), json_get(claim, "at"));
		out = conv_release(conv_append(jv_copy(c), "messages", m), 0, now);
		if (strcmp(kind, "reminder") == 0)
			out = jv_object_set(out, jv_string("reminder"), jv_string("sent"));
		out = conv_set_status(out, after_sent(kind, "uncertain", before), now);
	} else
		out = conv_set_status(conv_release(jv_copy(c), 0, now),
		    before ? before : "pending", now);
	jv_free(claim);
	o->out = jv_array_append(o->out, jv_copy(out));
	return store_put(st, txn, c, out);
}

static int
oneshot(struct store *st, store_write_fn fn, struct oneshot *o)
{
	int rc, i, n;

	o->out = jv_invalid();
	if ((rc = store_write(st, fn, o)) != 0)
		return store_fatal(rc, "write");
	n = jv_array_length(jv_copy(o->out));
	for (i = 0; i < n; i++)
		json_print(jv_array_get(jv_copy(o->out), i));
	jv_free(o->out);
	return o->status;
}

/* ---- reads: get, list, dump, stats ---- */

/* Stored records are compact JSON already: printed as they are. */
static int
print_raw(const MDB_val *v, const char *wrap)
{
	if (wrap)
		printf("{\"%s\":", wrap);
	fwrite(v->mv_data, 1, v->mv_size, stdout);
	fputs(wrap ? "}\n" : "\n", stdout);
	return ferror(stdout) ? EIO : 0;
}

static int
print_id(struct store *st, MDB_txn *txn, const char *id)
{
	MDB_val k = { strlen(id), (void *)id }, v;

	return mdb_get(txn, st->conv, &k, &v) == 0 ? print_raw(&v, NULL) == 0 : 0;
}

static void
print_ids(struct store *st, MDB_txn *txn, struct idlist *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		print_id(st, txn, l->ids[i]);
}

static int
cmd_get(struct store *st, int argc, char **argv)
{
	MDB_txn *txn = store_read_begin(st);
	struct idlist *l = malloc(sizeof *l);
	char phone[17];
	int i, status = 0;

	for (i = 0; i < argc && l; i++) {
		*l = (struct idlist){ .max = MAX_IDS };
		if (print_id(st, txn, argv[i]))
			continue;
		if (phone_e164(argv[i], default_country(), phone) == 0)
			ids_by(st, txn, IX_PHONE, phone, l);
		print_ids(st, txn, l);
		if (l->n == 0) {
			note("%s: no such conversation", argv[i]);
			status = 1;
		}
	}
	free(l);
	mdb_txn_abort(txn);
	return status;
}

static int
print_record(const MDB_val *k, const MDB_val *v, void *ctx)
{
	(void)k;
	return print_raw(v, ctx);
}

static int
cmd_list(struct store *st, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "orphans", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct idlist *l = calloc(1, sizeof *l);
	const char *status = NULL, *phone_arg = NULL;
	char phone[17];
	int c, orphans = 0;
	MDB_txn *txn;

	if (l == NULL)
		die(EXIT_SOFTWARE, "out of memory");
	l->max = MAX_IDS;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:p:n:", longs, NULL)) != -1) {
		switch (c) {
		case 's': status = optarg; break;
		case 'p': phone_arg = optarg; break;
		case 'n':
			l->max = atoi(optarg);
			if (l->max <= 0 || l->max > MAX_IDS)
				die(EXIT_USAGE, "-n: between 1 and %d", MAX_IDS);
			break;
		case 'S': case 'U':
			if (rfc3339_parse(optarg, c == 'S' ? &l->since : &l->until) != 0)
				die(EXIT_USAGE, "--%s: not an RFC 3339 time: %s",
				    c == 'S' ? "since" : "until", optarg);
			break;
		case 'o': orphans = 1; break;
		default: usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	if (phone_arg && phone_e164(phone_arg, default_country(), phone) != 0)
		die(EXIT_USAGE, "-p: not a phone number: %s", phone_arg);
	txn = store_read_begin(st);
	if (orphans)
		store_each(st, txn, st->orphan, print_record, "orphan");
	else {
		if (phone_arg)
			ids_by(st, txn, IX_PHONE, phone, l);
		else if (status)
			ids_by(st, txn, IX_STATUS, status, l);
		else
			ids_by(st, txn, IX_CREATED, NULL, l);
		for (c = 0; c < l->n; c++) {
			jv conv;

			if (!phone_arg || !status) {	/* the index said it all */
				print_id(st, txn, l->ids[c]);
				continue;
			}
			conv = store_get(st, txn, l->ids[c]);
			if (strcmp(conv_str(conv, "status") ? conv_str(conv, "status") : "", status) == 0)
				json_print(conv);
			else
				jv_free(conv);
		}
	}
	mdb_txn_abort(txn);
	free(l);
	return 0;
}

static int
cmd_dump(struct store *st)
{
	MDB_txn *txn = store_read_begin(st);
	int rc;

	if ((rc = store_each(st, txn, st->conv, print_record, NULL)) == 0 &&
	    (rc = store_each(st, txn, st->optout, print_record, "optout")) == 0)
		rc = store_each(st, txn, st->orphan, print_record, "orphan");
	mdb_txn_abort(txn);
	return rc ? EXIT_IOERR : 0;
}

struct stats {
	jv counts;
	long messages, segments, confirms, followups, reminders, replied, convs;
};

static int
count_conv(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct stats *s = ctx;
	jv c = jv_parse_sized(v->mv_data, (int)v->mv_size), msgs, m, n;
	const char *status = conv_str(c, "status"), *ms, *kind;
	int i, len;

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
	len = jv_get_kind(msgs) == JV_KIND_ARRAY ? jv_array_length(jv_copy(msgs)) : 0;
	for (i = 0; i < len; i++) {
		m = jv_array_get(jv_copy(msgs), i);
		ms = json_str(m, "status");
		kind = json_str(m, "kind");
		if (ms && strcmp(ms, "sent") == 0) {
			jv seg = json_get(m, "segments");

			s->messages++;
			s->segments += jv_get_kind(seg) == JV_KIND_NUMBER ?
			    (long)jv_number_value(seg) : 1;
			jv_free(seg);
			s->confirms += kind && strcmp(kind, "confirm") == 0;
			s->followups += kind && strcmp(kind, "followup") == 0;
			s->reminders += kind && strcmp(kind, "reminder") == 0;
		}
		jv_free(m);
	}
	if (conv_sent_at(c, "confirm") && conv_has_reply(c))
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

static int
cmd_stats(struct store *st)
{
	MDB_txn *txn = store_read_begin(st);
	struct stats s = { .counts = jv_object() };
	MDB_stat ms;
	jv out = jv_object();
	static const char *all[] = { "pending", "awaiting_reply", "followed_up",
	    "replied", "canceled", "opted_out", "no_phone", "failed", "uncertain", NULL };
	int i, rc;

	for (i = 0; all[i]; i++)
		s.counts = jv_object_set(s.counts, jv_string(all[i]), jv_number(0));
	if ((rc = store_each(st, txn, st->conv, count_conv, &s)) != 0)
		exit(store_fatal(rc, "stats"));
	mdb_stat(txn, st->optout, &ms);
	out = jv_object_set(out, jv_string("conversations"), jv_number(s.convs));
	out = jv_object_set(out, jv_string("status"), s.counts);
	out = jv_object_set(out, jv_string("messages_sent"), jv_number(s.messages));
	out = jv_object_set(out, jv_string("segments"), jv_number(s.segments));
	out = jv_object_set(out, jv_string("confirmations"), jv_number(s.confirms));
	out = jv_object_set(out, jv_string("followups"), jv_number(s.followups));
	out = jv_object_set(out, jv_string("reminders"), jv_number(s.reminders));
	out = jv_object_set(out, jv_string("reply_rate"), jv_number(rate(s.replied, s.confirms)));
	out = jv_object_set(out, jv_string("followup_rate"), jv_number(rate(s.followups, s.confirms)));
	out = jv_object_set(out, jv_string("opt_outs"), jv_number((double)ms.ms_entries));
	mdb_stat(txn, st->orphan, &ms);
	out = jv_object_set(out, jv_string("orphan_replies"), jv_number((double)ms.ms_entries));
	json_print(out);
	mdb_txn_abort(txn);
	return 0;
}

/* ---- purge ---- */

struct purge {
	int64_t now;
	int n;
	jv ids;
};

static int
expired(const MDB_val *k, void *ctx)
{
	struct purge *p = ctx;
	char id[208];

	if (key_time(k, 1) > p->now || p->n == GROUP_MAX)
		return 1;
	key_id(k, 9, id, sizeof id);
	p->ids = jv_array_append(p->ids, jv_string(id));
	p->n++;
	return 0;
}

static int
apply_purge(struct store *st, MDB_txn *txn, void *ctx)
{
	struct purge *p = ctx;
	char prefix = IX_EXPIRY;
	int i, rc;

	jv_free(p->ids);
	p->ids = jv_array();
	p->n = 0;
	if ((rc = store_scan(st, txn, &prefix, 1, expired, p)) != 0)
		return rc;
	for (i = 0; i < p->n; i++) {
		jv id = jv_array_get(jv_copy(p->ids), i);
		jv c = store_get(st, txn, jv_string_value(id));

		jv_free(id);
		if (jv_is_valid(c) && (rc = store_del(st, txn, c)) != 0)
			return rc;
		if (!jv_is_valid(c))
			jv_free(c);
	}
	return 0;
}

static int
cmd_purge(struct store *st)
{
	struct purge p = { .now = clock_now(), .ids = jv_invalid() };
	int rc, i;

	do {
		if ((rc = store_write(st, apply_purge, &p)) != 0)
			return store_fatal(rc, "purge");
		for (i = 0; i < p.n; i++)
			json_print(jv_object_set(jv_object(), jv_string("purged"),
			    jv_array_get(jv_copy(p.ids), i)));
	} while (p.n == GROUP_MAX);
	jv_free(p.ids);
	return 0;
}

/* ---- main ---- */

static int
run_stream(struct store *st, apply_fn fn, int quiet, int days)
{
	struct group g = { .st = st, .apply = fn, .quiet = quiet, .expire_days = days };

	return stream(&g);
}

static int
cmd_add(struct store *st, int argc, char **argv)
{
	int c, quiet = 0, days = 90;
	char *end;

	optind = 1;
	while ((c = getopt(argc, argv, "qe:")) != -1) {
		switch (c) {
		case 'q': quiet = 1; break;
		case 'e':
			days = (int)strtol(optarg, &end, 10);
			if (*end || days < 1 || days > 36500)
				die(EXIT_USAGE, "-e: not a number of days: %s", optarg);
			break;
		default: usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	return run_stream(st, apply_add, quiet, days);
}

int
main(int argc, char *argv[])
{
	const char *dir = NULL, *cmd;
	struct oneshot o = { 0 };
	struct store *st;
	int c, status;

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
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	o.args = argv + 1;
	o.nargs = argc - 1;
	if ((!strcmp(cmd, "get") || !strcmp(cmd, "cancel") || !strcmp(cmd, "optout") ||
	    !strcmp(cmd, "optin")) && argc < 2)
		usage(EXIT_USAGE);
	if (!strcmp(cmd, "resolve") && (argc != 3 ||
	    (strcmp(argv[2], "sent") && strcmp(argv[2], "unsent"))))
		usage(EXIT_USAGE);
	if ((!strcmp(cmd, "record") || !strcmp(cmd, "reply") || !strcmp(cmd, "load") ||
	    !strcmp(cmd, "dump") || !strcmp(cmd, "stats") || !strcmp(cmd, "purge")) && argc != 1)
		usage(EXIT_USAGE);
	if (strcmp(cmd, "add") && strcmp(cmd, "record") && strcmp(cmd, "reply") &&
	    strcmp(cmd, "get") && strcmp(cmd, "list") && strcmp(cmd, "cancel") &&
	    strcmp(cmd, "optout") && strcmp(cmd, "optin") && strcmp(cmd, "purge") &&
	    strcmp(cmd, "dump") && strcmp(cmd, "load") && strcmp(cmd, "stats") &&
	    strcmp(cmd, "resolve")) {
		note("unknown command: %s", cmd);
		usage(EXIT_USAGE);
	}
	st = store_open(store_dir(dir));
	if (!strcmp(cmd, "add"))
		status = cmd_add(st, argc, argv);
	else if (!strcmp(cmd, "record"))
		status = run_stream(st, apply_record, 0, 90);
	else if (!strcmp(cmd, "reply"))
		status = run_stream(st, apply_reply, 0, 90);
	else if (!strcmp(cmd, "load"))
		status = run_stream(st, apply_load, 0, 90);
	else if (!strcmp(cmd, "get"))
		status = cmd_get(st, argc - 1, argv + 1);
	else if (!strcmp(cmd, "list"))
		status = cmd_list(st, argc, argv);
	else if (!strcmp(cmd, "dump"))
		status = cmd_dump(st);
	else if (!strcmp(cmd, "stats"))
		status = cmd_stats(st);
	else if (!strcmp(cmd, "purge"))
		status = cmd_purge(st);
	else if (!strcmp(cmd, "cancel"))
		status = oneshot(st, apply_cancel_ids, &o);
	else if (!strcmp(cmd, "resolve")) {
		o.what = argv[2];
		o.nargs = 1;
		status = oneshot(st, apply_resolve, &o);
	} else {
		o.what = cmd;
		status = oneshot(st, apply_optout, &o);
	}
	store_close(st);
	return finish_stdout(status);
}
