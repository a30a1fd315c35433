/*
 * cal-sync: the Calendly API side.  Creates, checks and repairs the
 * webhook subscription (Calendly disables a failing one after 24 hours
 * without telling anyone), and backfills what the webhook missed as the
 * same appointment lines cal-parse writes.
 *
 * The token comes from -C FILE, CALENDLY_TOKEN or CALENDLY_TOKEN_FILE,
 * never from argv.  Only GETs are retried: a POST or DELETE that may have
 * reached Calendly is reported, not repeated.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "curl-load.h"

#include "calsms.h"
#include "calendly.h"
#include "api.h"

#define DEFAULT_API "https://api.calendly.com"
#define DEFAULT_KEY_FILE "/etc/calsms/calendly.key"

static const char *const events[] = { "invitee.created", "invitee.canceled", NULL };

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s [-C file] [-k keyfile] [-s scope] subscribe [URL]\n"
	    "       %s [-C file] [-k keyfile] [-s scope] status [-r] [URL]\n"
	    "       %s [-C file] [-s scope] unsubscribe [URL]\n"
	    "       %s [-C file] [-s scope] [-a ahead] [-q regex] since TIME\n",
	    progname, progname, progname, progname);
	exit(status);
}

/* --- the subscription ------------------------------------------------- */

struct found {
	const char *url;
	jv subs;	/* ours: the subscriptions for url */
};

static int
keep_ours(struct api *api, jv sub, void *ctx)
{
	struct found *f = ctx;
	const char *cb = json_str(sub, "callback_url");

	(void)api;
	if (cb && strcmp(cb, f->url) == 0)
		f->subs = jv_array_append(f->subs, sub);
	else
		jv_free(sub);
	return 0;
}

static int
list_ours(struct api *api, const char *url, jv *subs)
{
	const char *query[] = { "organization", api->org, "user", scope_user(api),
	    "scope", api->scope, "count", "100", "page_token", NULL, NULL };
	struct found f = { url, jv_array() };
	int rc = collection(api, "/webhook_subscriptions", query, 9, keep_ours, &f);

	*subs = f.subs;
	return rc;
}

/* A signing key: 32 bytes from OpenSSL's RNG, base64url without padding. */
static int
new_key(char out[64])
{
	unsigned char raw[32];
	char b64[64], *p;

	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
		note("the kernel's random number generator failed: %s", strerror(errno));
		return EXIT_SOFTWARE;
	}
	base64_encode(raw, sizeof raw, b64);
	for (p = b64; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	if ((p = strchr(b64, '=')) != NULL)
		*p = '\0';
	snprintf(out, 64, "%s", b64);
	return 0;
}

/* Writes a new key file, 0600, never over an existing one. */
static int
write_key(const char *path, const char *key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	size_t n = strlen(key);
	int ok;

	if (fd < 0) {
		note("%s: %s", path, strerror(errno));
		return EXIT_CANTCREAT;
	}
	ok = write(fd, key, n) == (ssize_t)n && write(fd, "\n", 1) == 1 &&
	    fsync(fd) == 0;
	if (close(fd) != 0 || !ok) {
		note("%s: could not write the key: %s", path, strerror(errno));
		unlink(path);
		return EXIT_CANTCREAT;
	}
	return 0;
}

/* The key in path, made when there is none; an existing one is kept. */
static int
signing_key(const char *path, char **key)
{
	char fresh[64];
	int rc;

	if (access(path, F_OK) == 0)
		return read_secret(path, key);
	if ((rc = new_key(fresh)) != 0 || (rc = write_key(path, fresh)) != 0)
		return rc;
	note("wrote a new signing key to %s", path);
	*key = strdup(fresh);
	return 0;
}

static int
create(struct api *api, const char *url, const char *key)
{
	struct answer a = { .doc = jv_null() };
	jv body = jv_object(), ev = jv_array();
	char *u = api_url(api, "/webhook_subscriptions", NULL), *text;
	int i, rc;

	for (i = 0; events[i]; i++)
		ev = jv_array_append(ev, jv_string(events[i]));
	body = jv_object_set(body, jv_string("url"), jv_string(url));
	body = jv_object_set(body, jv_string("events"), ev);
	body = jv_object_set(body, jv_string("organization"), jv_string(api->org));
	if (scope_user(api))
		body = jv_object_set(body, jv_string("user"), jv_string(api->user));
	body = jv_object_set(body, jv_string("scope"), jv_string(api->scope));
	body = jv_object_set(body, jv_string("signing_key"), jv_string(key));
	body = jv_dump_string(body, 0);
	text = strdup(jv_string_value(body));
	jv_free(body);
	rc = api_call(api, "POST", u, text, "/webhook_subscriptions", &a);
	if (rc == 0)
		json_print(json_get(a.doc, "resource"));
	free(text);
	free(u);
	answer_reset(&a);
	return rc;
}

static const char *
sub_state(jv sub, int *retrying)
{
	const char *state = json_str(sub, "state");

	*retrying = json_kind(sub, "retry_started_at") == JV_KIND_STRING;
	return state ? state : "unknown";
}

/* The path of a resource's URI under the API base: .../webhook_subscriptions/ID */
static char *
resource_url(const struct api *api, jv res, const char *collection_path)
{
	const char *uri = json_str(res, "uri"), *slash;
	struct strbuf b = { 0 };

	if (uri == NULL || (slash = strrchr(uri, '/')) == NULL || slash[1] == '\0')
		return NULL;
	sb_puts(&b, api->base);
	sb_puts(&b, collection_path);
	sb_puts(&b, slash);
	return b.p;
}

static int
delete_sub(struct api *api, jv sub)
{
	struct answer a = { .doc = jv_null() };
	char *url = resource_url(api, sub, "/webhook_subscriptions");
	int rc;

	if (url == NULL) {
		note("a subscription without a uri: cannot delete it");
		return EXIT_PROTOCOL;
	}
	rc = api_call(api, "DELETE", url, NULL, "/webhook_subscriptions", &a);
	free(url);
	answer_reset(&a);
	return rc;
}

static int
subscribe(struct api *api, const char *url, const char *keypath, const char *key)
{
	char *made = NULL;
	jv subs, first;
	int rc, retrying;
	const char *state;

	if ((rc = whoami(api)) != 0 || (rc = list_ours(api, url, &subs)) != 0)
		return rc;
	if (jv_array_length(jv_copy(subs)) > 0) {
		first = jv_array_get(jv_copy(subs), 0);
		state = sub_state(first, &retrying);
		state = strcmp(state, "active") == 0 ? "active" :
		    strcmp(state, "disabled") == 0 ? "disabled" : "not active";
		if (strcmp(state, "active") == 0 && (key || access(keypath, R_OK) == 0)) {
			note("%s is already subscribed; nothing to do", url);
			json_print(jv_copy(first));
		} else {
			note("%s already has a subscription (%s)%s: cal-sync status -r "
			    "recreates a disabled one, cal-sync unsubscribe removes it", url,
			    state, key || access(keypath, R_OK) == 0 ? "" :
			    " and there is no key file to verify it with");
			rc = EXIT_CANTCREAT;
		}
		jv_free(first);
		jv_free(subs);
		return rc;
	}
	jv_free(subs);
	if (key == NULL && (rc = signing_key(keypath, &made)) != 0)
		return rc;
	rc = create(api, url, key ? key : made);
	free(made);
	return rc;
}

/* Recreates a missing or disabled subscription with the key already in use. */
static int
repair(struct api *api, const char *url, jv sub, const char *keypath,
    const char *key)
{
	char *k = NULL;
	const char *since = json_str(sub, "retry_started_at");
	int rc;

	if (key == NULL && (rc = read_secret(keypath, &k)) != 0) {
		note("cannot recreate the subscription with the same key");
		return rc;
	}
	if (jv_get_kind(sub) == JV_KIND_OBJECT && (rc = delete_sub(api, sub)) != 0) {
		free(k);
		return rc;
	}
	rc = create(api, url, key ? key : k);
	free(k);
	if (rc == 0)
		note("recreated the subscription for %s; backfill what was missed: "
		    "cal-sync since %s | conv-store add -q", url, since ? since : "26h");
	return rc;
}

static int
status(struct api *api, const char *url, int fix, const char *keypath,
    const char *key)
{
	jv subs, sub;
	int rc, i, n, worst = MON_OK, retrying;
	const char *state;

	if ((rc = whoami(api)) != 0 || (rc = list_ours(api, url, &subs)) != 0)
		return rc;
	n = jv_array_length(jv_copy(subs));
	if (n == 0) {
		note("no Calendly subscription for %s: bookings are not reaching "
		    "calsms (cal-sync subscribe)", url);
		worst = MON_CRITICAL;
		if (fix)
			worst = (rc = repair(api, url, jv_null(), keypath, key)) ? rc : MON_OK;
	}
	for (i = 0; i < n; i++) {
		sub = jv_array_get(jv_copy(subs), i);
		state = sub_state(sub, &retrying);
		if (strcmp(state, "active") != 0) {
			note("the subscription for %s is %s: Calendly sends nothing; "
			    "cal-sync status -r recreates it", url, state);
			if (fix)
				rc = repair(api, url, sub, keypath, key);
			else
				json_print(jv_copy(sub));
			worst = fix && rc == 0 ? worst : rc ? rc : MON_CRITICAL;
		} else {
			json_print(jv_copy(sub));
			if (retrying) {
				note("Calendly has been retrying failed deliveries to %s since "
				    "%s: the listener is failing, and Calendly disables the "
				    "subscription after 24 hours", url,
				    json_str(sub, "retry_started_at"));
				if (worst == MON_OK)
					worst = MON_WARNING;
			}
		}
		jv_free(sub);
	}
	jv_free(subs);
	return worst;
}

static int
unsubscribe(struct api *api, const char *url)
{
	jv subs, sub;
	int rc, i, n;

	if ((rc = whoami(api)) != 0 || (rc = list_ours(api, url, &subs)) != 0)
		return rc;
	if ((n = jv_array_length(jv_copy(subs))) == 0) {
		note("no Calendly subscription for %s", url);
		rc = EXIT_UNAVAILABLE;
	}
	for (i = 0; i < n && rc == 0; i++) {
		sub = jv_array_get(jv_copy(subs), i);
		if ((rc = delete_sub(api, sub)) == 0)
			json_print(jv_copy(sub));
		jv_free(sub);
	}
	jv_free(subs);
	return rc;
}

/* --- backfill ------------------------------------------------------------ */

struct backfill {
	int64_t since;
	struct question *question;
	jv event;
	long events, invitees, lines;
};

static int64_t
changed_at(jv invitee)
{
	const char *keys[] = { "created_at", "updated_at", NULL };
	jv cancel = json_get(invitee, "cancellation");
	int64_t t, latest = -1;
	int i;

	for (i = 0; keys[i]; i++)
		if (json_str(invitee, keys[i]) &&
		    rfc3339_parse(json_str(invitee, keys[i]), &t) == 0 && t > latest)
			latest = t;
	if (json_str(cancel, "created_at") &&
	    rfc3339_parse(json_str(cancel, "created_at"), &t) == 0 && t > latest)
		latest = t;
	jv_free(cancel);
	return latest;
}

static int
one_invitee(struct api *api, jv invitee, void *ctx)
{
	struct backfill *b = ctx;
	const char *status = json_str(invitee, "status");
	const char *ev_status = json_str(b->event, "status");
	int64_t t = changed_at(invitee);
	int cancel;

	(void)api;
	b->invitees++;
	if (t >= 0 && t < b->since) {
		jv_free(invitee);
		return 0;
	}
	cancel = (status && strcmp(status, "canceled") == 0) ||
	    (ev_status && strcmp(ev_status, "canceled") == 0);
	invitee = jv_object_set(invitee, jv_string("scheduled_event"), jv_copy(b->event));
	json_print(calendly_appointment(invitee, cancel, b->question));
	jv_free(invitee);
	b->lines++;
	return fflush(stdout) == 0 ? 0 : EXIT_IOERR;
}

static int
one_event(struct api *api, jv event, void *ctx)
{
	struct backfill *b = ctx;
	const char *query[] = { "count", "100", "page_token", NULL, NULL };
	const char *uri = json_str(event, "uri"), *slash;
	char path[512];
	int rc;

	b->events++;
	if (uri == NULL || (slash = strrchr(uri, '/')) == NULL || slash[1] == '\0' ||
	    strlen(slash) > 256) {
		note("a scheduled event without a usable uri: skipped");
		jv_free(event);
		return 0;
	}
	snprintf(path, sizeof path, "/scheduled_events%s/invitees", slash);
	b->event = event;
	rc = collection(api, path, query, 3, one_invitee, b);
	b->event = jv_null();
	jv_free(event);
	return rc;
}

static int
since(struct api *api, int64_t t0, int64_t ahead, struct question *question)
{
	struct backfill b = { .since = t0, .question = question, .event = jv_null() };
	char from[32], to[32];
	const char *query[] = { "organization", NULL, "user", NULL,
	    "min_start_time", from, "max_start_time", to, "sort", "start_time:asc",
	    "count", "100", "page_token", NULL, NULL };
	int rc;

	if ((rc = whoami(api)) != 0)
		return rc;
	if (scope_user(api))
		query[3] = api->user;
	else
		query[1] = api->org;
	rfc3339_format(t0, from);
	rfc3339_format(clock_now() + ahead, to);
	rc = collection(api, "/scheduled_events", query, 13, one_event, &b);
	note("%ld events, %ld invitees, %ld changed since %s", b.events, b.invitees,
	    b.lines, from);
	return rc;
}

/* --- main ---------------------------------------------------------------- */

static int
load_token(char **token)
{
	const char *t = conf_get("CALENDLY_TOKEN"), *file = conf_get("CALENDLY_TOKEN_FILE");

	if (t) {
		*token = strdup(t);
		return 0;
	}
	if (file)
		return read_secret(file, token);
	note("no Calendly token: set CALENDLY_TOKEN or CALENDLY_TOKEN_FILE (a "
	    "Personal Access Token) in -C FILE or the environment");
	return EXIT_CONFIG;
}

static char *
hook_url(const char *arg)
{
	const char *base = conf_get("CALSMS_URL");
	struct strbuf b = { 0 };

	if (arg)
		return strdup(arg);
	if (base == NULL)
		return NULL;
	sb_puts(&b, base);
	while (b.len && b.p[b.len - 1] == '/')
		b.p[--b.len] = '\0';
	sb_puts(&b, "/calendly");
	return b.p;
}

static long
number_arg(int opt, const char *s)
{
	long v;

	if (long_arg(s, 1, 1000000, &v) != 0)
		die(EXIT_USAGE, "-%c: not a positive number: %s", opt, s);
	return v;
}

#define MAX_CONF_FILES 8

struct opts {
	const char *pattern, *keypath, *conf[MAX_CONF_FILES];
	int nconf;
	int64_t ahead;
	int fix;
};

/* Options go before the command or after it: cal-sync status -r */
static void
options(int argc, char *argv[], struct opts *o, struct api *api)
{
	int c;

	while ((c = getopt(argc, argv, "a:C:hk:q:rR:s:t:")) != -1) {
		switch (c) {
		case 'a':
			if (duration_parse(optarg, &o->ahead) != 0)
				die(EXIT_USAGE, "-a: not a duration (like 90d): %s", optarg);
			break;
		case 'C':
			if (o->nconf == MAX_CONF_FILES)
				die(EXIT_USAGE, "-C: at most %d files", MAX_CONF_FILES);
			o->conf[o->nconf++] = optarg;
			break;
		case 'h': usage(0); break;
		case 'k': o->keypath = optarg; break;
		case 'q': o->pattern = optarg; break;
		case 'r': o->fix = 1; break;
		case 'R': api->tries = (int)number_arg('R', optarg); break;
		case 's':
			if (strcmp(optarg, "user") != 0 && strcmp(optarg, "organization") != 0)
				die(EXIT_USAGE, "-s: user or organization, not %s", optarg);
			api->scope = optarg;
			break;
		case 't': api->timeout = number_arg('t', optarg); break;
		default: usage(EXIT_USAGE);
		}
	}
}

int
main(int argc, char *argv[])
{
	struct api api = { .timeout = 30, .tries = 4, .scope = "user" };
	struct opts o = { .pattern = CALENDLY_QUESTION, .ahead = 365 * 86400 };
	const char *pattern, *keypath, *cmd;
	char *url = NULL;
	int64_t ahead, t0;
	int i, rc, fix;
	struct question question = { .pattern = NULL };

	log_init(argv[0]);
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--repair") == 0)
			argv[i] = "-r";
	options(argc, argv, &o, &api);
	if (optind >= argc)
		usage(EXIT_USAGE);
	argc -= optind;
	argv += optind;
	cmd = argv[0];
	optind = 1;
	options(argc, argv, &o, &api);
	pattern = o.pattern;
	keypath = o.keypath;
	fix = o.fix;
	ahead = o.ahead;
	for (i = 0; i < o.nconf; i++)
		if ((rc = conf_load(o.conf[i])) != 0)
			return rc;
	if (keypath == NULL)
		keypath = conf_get("CALENDLY_KEY_FILE") ? conf_get("CALENDLY_KEY_FILE") :
		    DEFAULT_KEY_FILE;
	if (strcmp(cmd, "since") == 0) {
		if (argc - optind != 1 || fix)
			usage(EXIT_USAGE);
		if (time_arg(argv[optind], clock_now(), &t0) != 0)
			die(EXIT_USAGE, "since: not a time (RFC 3339, a date, or a "
			    "duration ago like 26h): %s", argv[optind]);
	} else if (strcmp(cmd, "subscribe") == 0 || strcmp(cmd, "status") == 0 ||
	    strcmp(cmd, "unsubscribe") == 0) {
		if (argc - optind > 1 || (fix && strcmp(cmd, "status") != 0))
			usage(EXIT_USAGE);
		if ((url = hook_url(optind < argc ? argv[optind] : NULL)) == NULL)
			die(EXIT_USAGE, "%s: no URL: give the public URL of /calendly, or "
			    "set CALSMS_URL", cmd);
	} else {
		note("unknown command: %s", cmd);
		usage(EXIT_USAGE);
	}
	if ((rc = load_token(&api.token)) != 0) {
		free(url);
		return rc;
	}
	api.base = strdup(conf_get("CALENDLY_API_URL") ? conf_get("CALENDLY_API_URL") :
	    DEFAULT_API);
	for (i = (int)strlen(api.base); i > 0 && api.base[i - 1] == '/'; i--)
		api.base[i - 1] = '\0';
	/* libcurl under CURLOPT_NOSIGNAL needs SIGPIPE ignored; a closed stdout is 74 */
	signal(SIGPIPE, SIG_IGN);
	if (curl_load() != 0 || (api.curl = curl_easy_init()) == NULL)
		die(EXIT_SOFTWARE, "libcurl did not start");
	if (strcmp(cmd, "since") == 0) {
		question.pattern = pattern;
		if (question_compile(&question) != 0)
			rc = (note("-q: bad regular expression: %s", pattern), EXIT_USAGE);
		else {
			rc = since(&api, t0, ahead, &question);
			question_free(&question);
		}
	} else if (strcmp(cmd, "subscribe") == 0)
		rc = subscribe(&api, url, keypath, conf_get("CALENDLY_SIGNING_KEY"));
	else if (strcmp(cmd, "status") == 0)
		rc = status(&api, url, fix, keypath, conf_get("CALENDLY_SIGNING_KEY"));
	else
		rc = unsubscribe(&api, url);
	curl_easy_cleanup(api.curl);
	curl_global_cleanup();
	free(api.token);
	free(api.base);
	free(url);
	return finish_stdout(rc);
}
