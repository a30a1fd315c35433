/*
 * follow-up-due: claims what must be sent now and prints it, once.
 *
 * Everything due is found through the store's time-ordered indexes, never
 * a scan: pending confirmations (of a rescheduled booking too), follow-ups
 * by confirmation time, reminders by start time, cancel notices by cancel
 * time, the moment after the appointment by its end, claims by claim
 * time.  An item is claimed in the write transaction that found it due and
 * printed after the commit; two processes on one store never print the
 * same item.  A claim whose outcome is not recorded within the lease
 * becomes "uncertain" and is never sent again automatically.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calsms.h"
#include "store.h"

#define BATCH 1000
#define POLL_MS 100

struct opts {
	int64_t after, lease;
	struct due_opts due;
	double rate;	/* what the sender drains a second */
	int watch, help, notices;	/* notices: cancel notices are due */
	long max, cap;	/* cap: -F, texts we start to one number in 24 hours */
};

struct pass {
	const struct opts *o;
	int64_t now, next;
	long budget;	/* what this pass may claim */
	long left;	/* what -n leaves to print */
	jv out, notes;
	char ids[BATCH][208];
	int nids;
	int64_t limit, offset;
	struct store_cursor cursor;
};

static volatile sig_atomic_t stop;

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s [-wH] [-d dir] [-T templates] [-a after] [-r before] [-A after-end]\n"
	    "       [-l lease] [-s rate] [-Q hh:mm-hh:mm] [-F max-a-day] [-n max]\n", progname);
	exit(status);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
soonest(struct pass *p, int64_t t)
{
	if (t > 0 && (p->next == 0 || t < p->next))
		p->next = t;
}

/* Collects ids whose key time is within the limit; notes the first beyond. */
static int
collect(const char *id, int64_t t, void *ctx)
{
	struct pass *p = ctx;

	if (t > p->limit) {
		soonest(p, t + p->offset);
		return 1;
	}
	if (p->nids == BATCH || p->nids >= p->budget)
		return 1;
	snprintf(p->ids[p->nids++], sizeof p->ids[0], "%s", id);
	return 0;
}

/* Collects the next batch of keys of kind, after the last one collected. */
static int
scan(struct store *st, struct store_txn *txn, struct pass *p, enum store_index ix,
    int64_t limit, int64_t offset, int more)
{
	if (!more)
		p->cursor.len = 0;
	p->nids = 0;
	p->limit = limit;
	p->offset = offset;
	return store_walk_from(st, txn, ix, &p->cursor, collect, p);
}

static int
expire_leases(struct store *st, struct store_txn *txn, struct pass *p)
{
	jv c, next;
	int i, rc, more = 0;

	do {	/* every lapsed lease, a batch at a time */
		if ((rc = scan(st, txn, p, IX_LEASE, p->now - p->o->lease, p->o->lease,
		    more)) != 0)
			return rc;
		for (i = 0; i < p->nids; i++) {
			c = store_get(st, txn, p->ids[i]);
			if (!jv_is_valid(c)) {
				jv_free(c);
				continue;
			}
			next = rule_lease_lapse(jv_copy(c), p->now);
			p->notes = jv_array_append(p->notes, jv_string_fmt("%s: claim not recorded "
			    "within the lease: %s", p->ids[i], json_kind(next, "claim") == JV_KIND_OBJECT ?
			    "uncertain" : "dropped, the appointment is canceled"));
			rc = store_put(st, txn, jv_copy(c), next);
			jv_free(c);
			if (rc != 0)
				return rc;
		}
		more = 1;
	} while (p->nids == BATCH);
	return 0;
}

/*
 * The line for the sender: the conversation and its due; for the front
 * desk's message, its body as well.
 */
static jv
due_line(jv conv, const char *kind)
{
	jv line = jv_object_set(jv_copy(conv), jv_string("due"), jv_string(kind));

	if (kind_is(kind, KIND_MANUAL))
		line = jv_object_set(line, jv_string("body"), json_path(conv, "outbox", "body", NULL));
	return line;
}

static int
gather(struct store *st, struct store_txn *txn, jv c, void *ctx)
{
	(void)st;
	(void)txn;
	*(jv *)ctx = jv_array_append(*(jv *)ctx, c);
	return 0;
}

/* -F: when one more text to phone fits the daily cap (0: now). */
static int
cap_until(struct store *st, struct store_txn *txn, const struct pass *p, const char *phone,
    int64_t *until)
{
	jv convs = jv_array();
	int rc = store_convs(st, txn, IX_PHONE, phone, gather, &convs);

	*until = rc == 0 ? rule_cap_until(jv_copy(convs), (int)p->o->cap, p->now) : 0;
	jv_free(convs);
	return rc;
}

/* Hands one candidate to the rules: claimed, held, or settled for good. */
static int
decide(struct store *st, struct store_txn *txn, struct pass *p, const char *kind, jv c)
{
	const char *phone = conv_str(c, "phone");
	int opted = phone && optout_has(st, txn, phone), rc;
	struct due_opts due = p->o->due;
	int64_t until;
	jv next, claim;

	if (p->o->cap > 0 && phone && kind_started(kind) &&
	    (rc = cap_until(st, txn, p, phone, &due.cap_until)) != 0) {
		jv_free(c);
		return rc;
	}
	switch (rule_due(jv_copy(c), kind, opted, &due, p->now, &next, &until)) {
	case DUE_HOLD:
		soonest(p, until);
		jv_free(c);
		return 0;
	case DUE_CLAIM:
		/* the rules name the kind: a reschedule's confirmation is "rescheduled" */
		claim = jv_object_set(json_get(next, "claim"), jv_string("token"),
		    jv_number((double)store_token(st, txn)));
		next = jv_object_set(next, jv_string("claim"), jv_copy(claim));
		p->out = jv_array_append(p->out, due_line(next, json_str(claim, "kind")));
		jv_free(claim);
		p->budget--;
		break;
	case DUE_SETTLE:
		break;
	}
	return store_put(st, txn, c, next);
}

static int
claim_kind(struct store *st, struct store_txn *txn, struct pass *p, enum store_index ix,
    enum kind k, int64_t limit, int64_t offset)
{
	const char *name = kinds[k].name;
	int i, rc, more = 0;

	do {
		if (p->budget <= 0)
			return 0;
		if ((rc = scan(st, txn, p, ix, limit, offset, more)) != 0)
			return rc;
		for (i = 0; i < p->nids; i++) {
			jv c = store_get(st, txn, p->ids[i]);

			if (!jv_is_valid(c)) {
				jv_free(c);
				continue;
			}
			if ((rc = decide(st, txn, p, name, c)) != 0)
				return rc;
		}
		more = 1;
	} while (p->nids == BATCH);
	return 0;
}

/*
 * How many more may be claimed now: no more than the sender drains within
 * half a lease, counting what is claimed already, so a line never waits
 * in the pipe until its lease lapses.
 */
static int
room(struct store *st, struct store_txn *txn, const struct opts *o, long *left)
{
	double cap = o->rate * (double)o->lease / 2;
	long claimed = 0;
	int rc;

	*left = LONG_MAX;
	if (o->rate <= 0)
		return 0;
	if ((rc = store_count(st, txn, IX_LEASE, NULL, &claimed)) != 0)
		return rc;
	*left = (cap < 1 ? 1 : (long)cap) - claimed;
	return 0;
}

static int
pass_txn(struct store *st, struct store_txn *txn, void *ctx)
{
	struct pass *p = ctx;
	long left;
	int rc;

	jv_free(p->out);
	jv_free(p->notes);
	p->out = jv_array();
	p->notes = jv_array();
	p->next = 0;
	p->budget = LONG_MAX;	/* every lapsed lease, whatever -n says */
	if ((rc = expire_leases(st, txn, p)) != 0 ||
	    (rc = room(st, txn, p->o, &left)) != 0)
		return rc;
	p->budget = left < p->left ? left : p->left;
	if ((rc = claim_kind(st, txn, p, IX_CONFIRM, KIND_CONFIRM, p->now, 0)) != 0 ||
	    (rc = claim_kind(st, txn, p, IX_FOLLOWUP, KIND_FOLLOWUP,
	    p->now - p->o->after, p->o->after)) != 0)
		return rc;
	if (p->o->help && (rc = claim_kind(st, txn, p, IX_HELP, KIND_HELP, p->now, 0)) != 0)
		return rc;
	if ((rc = claim_kind(st, txn, p, IX_MANUAL, KIND_MANUAL, p->now, 0)) != 0 ||
	    (p->o->notices && (rc = claim_kind(st, txn, p, IX_CANCELED, KIND_CANCELED,
	    p->now, 0)) != 0))
		return rc;
	if (p->o->due.after > 0 && (rc = claim_kind(st, txn, p, IX_AFTER, KIND_AFTER,
	    p->now - p->o->due.after, p->o->due.after)) != 0)
		return rc;
	if (p->o->due.remind > 0 && (rc = claim_kind(st, txn, p, IX_REMINDER, KIND_REMINDER,
	    p->now + p->o->due.remind, -p->o->due.remind)) != 0)
		return rc;
	return 0;
}

/* Releases the claims of items that could not be printed. */
static int
release_txn(struct store *st, struct store_txn *txn, void *ctx)
{
	jv left = *(jv *)ctx, c, id;
	int i, n = jv_array_length(jv_copy(left)), rc;

	for (i = 0; i < n; i++) {
		jv item = jv_array_get(jv_copy(left), i);

		id = json_get(item, "id");
		jv_free(item);
		c = store_get(st, txn, jv_string_value(id));
		jv_free(id);
		if (jv_is_valid(c) && json_kind(c, "claim") == JV_KIND_OBJECT &&
		    (rc = store_put(st, txn, jv_copy(c), rule_release(jv_copy(c), 0,
		    clock_now()))) != 0) {
			jv_free(c);
			return rc;
		}
		jv_free(c);
	}
	return 0;
}

/* Prints a pass's items; 0, or the exit status when stdout is gone (its claims released). */
static int
print_items(struct store *st, struct pass *p)
{
	int i, n = jv_array_length(jv_copy(p->out)), rc;
	jv left;

	for (i = 0; i < jv_array_length(jv_copy(p->notes)); i++) {
		jv id = jv_array_get(jv_copy(p->notes), i);

		note("%s", jv_string_value(id));
		jv_free(id);
	}
	for (i = 0; i < n; i++) {
		json_print(jv_array_get(jv_copy(p->out), i));
		if (fflush(stdout) != 0 || ferror(stdout))
			break;
		p->left--;
	}
	if (i == n)
		return 0;
	left = jv_array_slice(jv_copy(p->out), i, n);
	rc = store_write(st, release_txn, &left);
	jv_free(left);
	if (rc != 0)
		return store_fatal(rc, "release");
	note("output closed: %d claims released", n - i);
	return EXIT_IOERR;
}


/* Sleeps until due, until the store changes, a signal, or stdout closes. */
static int
wait_for_work(struct store *st, uint64_t seen, int64_t next)
{
	int64_t left;
	int rc;

	while (!stop) {
		left = next ? next * 1000 - clock_now_ms() : POLL_MS;
		if (left <= 0 && !clock_is_fixed())
			return 0;
		if ((rc = store_wait(st, seen, left > 0 && left < POLL_MS ? (int)left : POLL_MS)) != 0)
			return rc > 0 ? 0 : -1;
	}
	return -1;
}

static int
run(struct store *st, const struct opts *o)
{
	struct pass *p = calloc(1, sizeof *p);
	int rc, status = 0;
	uint64_t seen;

	if (p == NULL) {
		note("out of memory");
		return EXIT_SOFTWARE;
	}
	p->o = o;
	p->left = o->max > 0 ? o->max : LONG_MAX;
	p->out = jv_array();
	p->notes = jv_array();
	while (!stop && p->left > 0) {
		p->now = clock_now();
		if ((rc = store_write(st, pass_txn, p)) != 0) {
			status = store_fatal(rc, "claim");
			break;
		}
		seen = store_version(st);
		if ((status = print_items(st, p)) != 0)
			break;
		if (!o->watch || p->left <= 0)
			break;
		if (wait_for_work(st, seen, p->next) != 0)
			break;
	}
	jv_free(p->out);
	jv_free(p->notes);
	free(p);
	return status;
}

/* Whether dir, or one of its event types' directories, holds NAME.jq. */
static int
has_template(const char *dir, const char *name)
{
	char path[4096];
	struct dirent *e;
	struct stat sb;
	DIR *d;
	int found;

	snprintf(path, sizeof path, "%s/%s.jq", dir, name);
	if ((found = stat(path, &sb) == 0) || (d = opendir(dir)) == NULL)
		return found;
	while (!found && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%.200s/%s.jq", dir, e->d_name, name);
		found = stat(path, &sb) == 0;
	}
	closedir(d);
	return found;
}

static int
no_template(const char *dir, int opt, const char *name, const char *what)
{
	note("-%c: %s has no %s.jq: no %s could be sent", opt, dir, name, what);
	return EXIT_CONFIG;
}

/*
 * -T: the sender's templates say which moments the business wants: an
 * answer to HELP (help.jq), a cancel notice (canceled.jq), the new time of
 * a reschedule (rescheduled.jq); -H, -r and -A must find theirs.
 */
static int
moments_from(const char *dir, struct opts *o)
{
	DIR *d = opendir(dir);

	if (d == NULL) {
		note("-T %s: %s", dir, strerror(errno));
		return EXIT_CONFIG;
	}
	closedir(d);
	o->notices = has_template(dir, kinds[KIND_CANCELED].name);
	o->due.rescheduled = has_template(dir, kinds[KIND_RESCHEDULED].name);
	if (o->help && !has_template(dir, kinds[KIND_HELP].name))
		return no_template(dir, 'H', kinds[KIND_HELP].name, "answers to HELP");
	if (o->due.remind > 0 && !has_template(dir, kinds[KIND_REMINDER].name))
		return no_template(dir, 'r', kinds[KIND_REMINDER].name, "reminders");
	if (o->due.after > 0 && !has_template(dir, kinds[KIND_AFTER].name))
		return no_template(dir, 'A', kinds[KIND_AFTER].name, "messages after appointments");
	o->help = has_template(dir, kinds[KIND_HELP].name);
	return 0;
}

static int
parse_quiet(const char *s, struct opts *o)
{
	int h1, m1, h2, m2;
	char end;

	if (sscanf(s, "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &end) != 4 ||
	    h1 < 0 || h2 < 0 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 ||
	    h1 * 60 + m1 > 24 * 60 || h2 * 60 + m2 > 24 * 60)
		return -1;	/* 24:00 is the end of the day; 24:59 is no time */
	o->due.quiet = 1;
	o->due.quiet_end = quiet_end;	/* clock.c reads the zone files */
	o->due.qfrom = h1 * 60 + m1;
	o->due.qto = h2 * 60 + m2;
	return 0;
}

static int
duration(int c, const char *s, int64_t *d)
{
	if (duration_parse(s, d) == 0 && *d > 0)
		return 0;
	note("-%c: not a duration (90s, 30m, 2h, 1d): %s", c, s);
	return -1;
}

int
main(int argc, char *argv[])
{
	struct opts o = { .after = 1800, .lease = 600, .rate = 1 };
	struct sigaction sa;
	const char *dir = NULL, *templates = NULL;
	struct store *st;
	int c, status;

	log_init(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "a:A:d:F:hHl:n:Q:r:s:T:w")) != -1) {
		switch (c) {
		case 'a':
			if (duration(c, optarg, &o.after) != 0)
				usage(EXIT_USAGE);
			break;
		case 'A':
			if (duration(c, optarg, &o.due.after) != 0)
				usage(EXIT_USAGE);
			break;
		case 'd': dir = optarg; break;
		case 'F':
			if (long_arg(optarg, 1, 100, &o.cap) != 0)
				die(EXIT_USAGE, "-F: not a number of texts from 1 to 100: %s", optarg);
			break;
		case 'h': usage(0); break;
		case 'H': o.help = 1; break;
		case 'l':
			if (duration(c, optarg, &o.lease) != 0)
				usage(EXIT_USAGE);
			break;
		case 'n':
			if (long_arg(optarg, 1, LONG_MAX, &o.max) != 0)
				die(EXIT_USAGE, "-n: not a positive number: %s", optarg);
			break;
		case 'Q':
			if (parse_quiet(optarg, &o) != 0)
				die(EXIT_USAGE, "-Q: not hh:mm-hh:mm: %s", optarg);
			break;
		case 'r':
			if (duration(c, optarg, &o.due.remind) != 0)
				usage(EXIT_USAGE);
			break;
		case 's':
			if (real_arg(optarg, 0, 1e6, &o.rate) != 0)
				die(EXIT_USAGE, "-s: not a rate (messages a second; 0: no limit): %s",
				    optarg);
			break;
		case 'T': templates = optarg; break;
		case 'w': o.watch = 1; break;
		default: usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	if (templates && (status = moments_from(templates, &o)) != 0)
		return status;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((status = store_open(store_dir(dir), 0, &st)) != 0)
		return status;
	status = run(st, &o);
	store_close(st);
	return finish_stdout(status);
}
