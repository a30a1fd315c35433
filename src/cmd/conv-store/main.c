/*
 * conv-store: the conversation store's command line (main.c: the command
 * table, usage, purge, check; streams.c, operator.c, reads.c, report.c,
 * health.c, feed.c the rest).
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
#include "conv-store.h"

struct command {
	const char *name, *args;
	int (*run)(struct store *st, int argc, char **argv);
	store_apply_fn stream;	/* or a stream of lines, one group commit each */
	int min, max;	/* operands after the command's options */
	int flags;	/* STORE_CREATE: may make a new store */
	int options;	/* run gets its own options too (argv[0] is the command) */
};

int expire_days = 90;
int quiet;

int
store_status(int rc, const char *what)
{
	return rc ? store_fatal(rc, what) : 0;
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
	store_read_end(st, txn);
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
	const char *keep = NULL;
	long days;
	int rc, i, n, c;

	optind = 1;
	while ((c = getopt(argc, argv, "c:")) != -1) {
		if (c != 'c')
			usage(EXIT_USAGE);
		keep = optarg;
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	if (changes_days(keep, &days) != 0)
		return EXIT_USAGE;
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
	return purge_changes(st, days, p.now);
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
	{ "get", "[-t] id|phone ...", cmd_get, NULL, 1, -1, STORE_READ, 1 },
	{ "list", "[-t] [-s status[,status]] [-p phone] [-n max] [--since time] [--until time] "
	    "[--starts-after time] [--starts-before time] [--orphans]", cmd_list, NULL, 0, -1, STORE_READ, 1 },
	{ "inbox", "[-t] [--since time]", cmd_inbox, NULL, 0, -1, STORE_READ, 1 },
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
	{ "changes", "[--after seq] [-f]", cmd_changes, NULL, 0, -1, STORE_READ, 1 },
	{ "dump", "", cmd_dump, NULL, 0, 0, STORE_READ, 0 },
	{ "load", "", NULL, apply_load, 0, 0, STORE_CREATE, 0 },
	{ "purge", "[-c days]", cmd_purge, NULL, 0, -1, 0, 1 },
	{ "check", "[--repair]", cmd_check, NULL, 0, 1, 0, 0 },
	{ "report", "[--by day|week|month|event|variant|event,variant] [--since time] [--until time] [-t] "
	    "[-P price] [-z zone]", cmd_report, NULL, 0, -1, STORE_READ, 1 },
	{ NULL, NULL, NULL, NULL, 0, 0, 0, 0 }
};

void
usage(int status)
{
	FILE *f = status ? stderr : stdout;
	const struct command *c;

	for (c = commands; c->name; c++)
		fprintf(f, "%s %s [-C file] [-d dir] %s%s%s\n", c == commands ? "usage:" : "      ",
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
void
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
	char **all = argv;
	int c, status, n, flags;

	log_init(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "+C:d:h")) != -1) {
		switch (c) {
		case 'C':
			if ((status = conf_load(optarg)) != 0)
				return status;
			break;
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
	if (cmd->stream != apply_add && (n < cmd->min ||
	    (!cmd->options && cmd->max >= 0 && n > cmd->max)))
		usage(EXIT_USAGE);
	if (cmd->run == cmd_resolve && strcmp(argv[2], "sent") != 0 &&
	    strcmp(argv[2], "unsent") != 0) {
		note("resolve: say sent or unsent, not %s", argv[2]);
		usage(EXIT_USAGE);
	}
	flags = cmd->flags;
	if (cmd->run == cmd_check && argc == 1)
		flags |= STORE_READ;	/* check without --repair only reads */
	if (store_twin && store_is_uri(store_dir(dir)))
		return store_twin(all);	/* static: conv-store-pg loads libpq */
	if ((status = store_open(store_dir(dir), flags, &st)) != 0) {
		if (cmd->run == cmd_health) {	/* a monitor reads the line, not stderr */
			char where[512];

			store_shown(store_dir(dir), where, sizeof where);
			printf("CALSMS UNKNOWN - no usable store at %s\n", where);
			return MON_UNKNOWN;
		}
		return status;
	}
	if (cmd->stream == apply_load)
		store_feed(st, 0);	/* a restore, not a change */
	if (cmd->stream)
		status = store_stream(st, cmd->stream, NULL);
	else if (cmd->options)
		status = cmd->run(st, argc, argv);
	else
		status = cmd->run(st, n, argv + 1);
	store_close(st);
	return finish_stdout(status);
}
