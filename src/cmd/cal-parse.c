/*
 * cal-parse: one Calendly webhook body in, one appointment line out.
 *
 * The signature is checked before the body is parsed: with a key, a
 * missing, malformed, wrong or stale signature exits 77 and prints nothing.
 * Without a key, -n must say that nothing is to be verified.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calsms.h"

#define MAX_BODY (4 * 1024 * 1024)
#define MAX_V1 8
#define DEFAULT_QUESTION \
	"phone|mobile|cell|sms|text|whats ?app|telefon|handy|portable|movil|móvil|celular"

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s [-k keyfile] [-s signature] [-t seconds] [-q regex] [file]\n"
	    "       %s -n [-q regex] [file]\n", progname, progname);
	exit(status);
}

struct sig {
	long long t;
	int have_t, nv1;
	unsigned char v1[MAX_V1][32];
};

/* "t=1764000000,v1=<hex>", parts in any order, unknown parts ignored. */
static int
sig_parse(const char *header, struct sig *sig)
{
	char *copy = strdup(header), *part, *save = NULL, *eq, *k, *v, *end;
	int ok = 1;

	memset(sig, 0, sizeof *sig);
	if (copy == NULL)
		return 0;
	for (part = strtok_r(copy, ",", &save); part && ok;
	    part = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*part))
			part++;
		if ((eq = strchr(part, '=')) == NULL) {
			ok = 0;
			break;
		}
		*eq = '\0';
		k = part;
		v = eq + 1;
		for (end = v + strlen(v); end > v && isspace((unsigned char)end[-1]);)
			*--end = '\0';
		for (end = eq; end > k && isspace((unsigned char)end[-1]);)
			*--end = '\0';
		if (strcmp(k, "t") == 0) {
			errno = 0;
			sig->t = strtoll(v, &end, 10);
			ok = !sig->have_t && *v && isdigit((unsigned char)*v) &&
			    *end == '\0' && errno == 0;
			sig->have_t = 1;
		} else if (strcmp(k, "v1") == 0 && sig->nv1 < MAX_V1) {
			ok = strlen(v) == 64 && hex_decode(v, 64, sig->v1[sig->nv1]) == 0;
			sig->nv1++;
		}
	}
	free(copy);
	return ok && sig->have_t && sig->nv1 > 0;
}

static void
verify(const char *key, const char *header, const char *body, size_t len,
    long tolerance)
{
	struct sig sig;
	unsigned char mac[32];
	char *msg;
	int n;
	long long skew;
	int i, match = 0;

	if (header == NULL || *header == '\0')
		die(EXIT_NOPERM, "no Calendly-Webhook-Signature: refused");
	if (!sig_parse(header, &sig))
		die(EXIT_NOPERM, "malformed Calendly-Webhook-Signature: refused");
	skew = (long long)clock_now() - sig.t;
	if (skew > tolerance || skew < -tolerance)
		die(EXIT_NOPERM, "stale signature: t is %llds from now, "
		    "tolerance %lds: refused", skew, tolerance);
	if ((msg = malloc(len + 32)) == NULL)
		die(EXIT_SOFTWARE, "out of memory");
	n = snprintf(msg, 32, "%lld.", sig.t);
	memcpy(msg + n, body, len);
	hmac_sha256(key, strlen(key), msg, (size_t)n + len, mac);
	free(msg);
	for (i = 0; i < sig.nv1 && i < MAX_V1; i++)
		match |= ct_equal(mac, sig.v1[i], 32);
	if (!match)
		die(EXIT_NOPERM, "signature does not match the body: refused");
}

/* The last path segment of a URI: the id Calendly gives an invitee. */
static jv
uri_id(jv uri)
{
	const char *s, *slash;
	jv id;

	if (jv_get_kind(uri) != JV_KIND_STRING) {
		jv_free(uri);
		return jv_null();
	}
	s = jv_string_value(uri);
	slash = strrchr(s, '/');
	id = slash && slash[1] ? jv_string(slash + 1) : (*s && !slash ?
	    jv_string(s) : jv_null());
	jv_free(uri);
	return id;
}

struct phone_found {
	char e164[17];
	const char *source;
	char raw[128];	/* the first text that was not a usable number */
};

static int
try_phone(jv v, const char *source, struct phone_found *pf)
{
	int ok = 0;

	if (jv_get_kind(v) == JV_KIND_STRING) {
		ok = phone_e164(jv_string_value(v), default_country(), pf->e164) == 0;
		if (ok)
			pf->source = source;
		else if (*jv_string_value(v)) {
			note("%s is not a usable phone number; ignored", source);
			if (pf->raw[0] == '\0')
				snprintf(pf->raw, sizeof pf->raw, "%s", jv_string_value(v));
		}
	}
	jv_free(v);
	return ok;
}

static int
find_phone(jv p, regex_t *question, struct phone_found *pf)
{
	jv loc = json_path(p, "scheduled_event", "location", NULL), qa, item;
	const char *type = json_str(loc, "type"), *q;
	int i, n, found = 0;

	if (try_phone(json_get(p, "text_reminder_number"),
	    "text_reminder_number", pf))
		found = 1;
	else if (type && strcmp(type, "outbound_call") == 0 &&
	    try_phone(json_get(loc, "location"), "outbound_call", pf))
		found = 1;
	jv_free(loc);
	if (found)
		return 1;
	qa = json_get(p, "questions_and_answers");
	n = jv_get_kind(qa) == JV_KIND_ARRAY ? jv_array_length(jv_copy(qa)) : 0;
	for (i = 0; i < n && !found; i++) {
		item = jv_array_get(jv_copy(qa), i);
		q = json_str(item, "question");
		if (q && regexec(question, q, 0, NULL, 0) == 0)
			found = try_phone(json_get(item, "answer"), "question", pf);
		jv_free(item);
	}
	jv_free(qa);
	return found;
}

/* Calendly sends null first names when the form asks for a full name. */
static jv
first_name(jv p)
{
	jv first = json_str_or_null(json_get(p, "first_name"));
	const char *name = json_str(p, "name");
	size_t n;

	if (jv_get_kind(first) == JV_KIND_STRING || name == NULL)
		return first;
	jv_free(first);
	while (isspace((unsigned char)*name))
		name++;
	n = strcspn(name, " \t");
	return n ? jv_string_sized(name, (int)n) : jv_null();
}

static jv
time_field(jv se, const char *key, int64_t *t)
{
	const char *s = json_str(se, key);

	if (s == NULL)
		return jv_null();
	if (rfc3339_parse(s, t) != 0) {
		note("scheduled_event.%s is not an RFC 3339 time; ignored", key);
		return jv_null();
	}
	return rfc3339_jv(*t);
}

static jv
appointment(jv p, int cancel, regex_t *question)
{
	jv a = jv_object(), se = json_get(p, "scheduled_event");
	jv start, cancellation = json_get(p, "cancellation");
	struct phone_found pf = { 0 };
	const char *tz = json_str(p, "timezone");
	char local[96];
	int64_t t = 0, t2;
	jv resched = json_get(p, "rescheduled");

	a = jv_object_set(a, jv_string("type"), jv_string(cancel ? "cancel" : "booking"));
	a = jv_object_set(a, jv_string("id"), uri_id(json_get(p, "uri")));
	a = jv_object_set(a, jv_string("invitee_uri"), json_str_or_null(json_get(p, "uri")));
	a = jv_object_set(a, jv_string("event_uri"), json_str_or_null(
	    json_str(se, "uri") ? json_get(se, "uri") : json_get(p, "event")));
	a = jv_object_set(a, jv_string("name"), json_str_or_null(json_get(p, "name")));
	a = jv_object_set(a, jv_string("first_name"), first_name(p));
	a = jv_object_set(a, jv_string("email"), json_str_or_null(json_get(p, "email")));
	if (find_phone(p, question, &pf)) {
		a = jv_object_set(a, jv_string("phone"), jv_string(pf.e164));
		a = jv_object_set(a, jv_string("phone_source"), jv_string(pf.source));
	} else {
		a = jv_object_set(a, jv_string("phone"), jv_null());
		a = jv_object_set(a, jv_string("phone_source"), jv_null());
	}
	/* what the customer typed, when it could not be used: for set-phone */
	a = jv_object_set(a, jv_string("phone_raw"),
	    pf.raw[0] && json_kind(a, "phone") == JV_KIND_NULL ?
	    jv_string(pf.raw) : jv_null());
	a = jv_object_set(a, jv_string("timezone"), tz ? jv_string(tz) : jv_null());
	a = jv_object_set(a, jv_string("event_name"), json_str_or_null(json_get(se, "name")));
	start = time_field(se, "start_time", &t);
	a = jv_object_set(a, jv_string("start_time"), jv_copy(start));
	a = jv_object_set(a, jv_string("end_time"), time_field(se, "end_time", &t2));
	if (jv_get_kind(start) == JV_KIND_STRING) {
		if (local_time_format(t, tz, local, sizeof local))
			note("unknown time zone \"%.64s\"; start_local is in UTC",
			    tz ? tz : "");
		a = jv_object_set(a, jv_string("start_local"), jv_string(local));
	} else
		a = jv_object_set(a, jv_string("start_local"), jv_null());
	jv_free(start);
	a = jv_object_set(a, jv_string("cancel_url"), json_str_or_null(json_get(p, "cancel_url")));
	a = jv_object_set(a, jv_string("reschedule_url"), json_str_or_null(json_get(p, "reschedule_url")));
	a = jv_object_set(a, jv_string("old_id"), uri_id(json_get(p, "old_invitee")));
	a = jv_object_set(a, jv_string("new_id"), uri_id(json_get(p, "new_invitee")));
	a = jv_object_set(a, jv_string("rescheduled"),
	    jv_bool(jv_get_kind(resched) == JV_KIND_TRUE));
	a = jv_object_set(a, jv_string("reason"),
	    json_str_or_null(json_get(cancellation, "reason")));
	a = jv_object_set(a, jv_string("received_at"), rfc3339_jv(clock_now()));
	jv_free(resched);
	jv_free(cancellation);
	jv_free(se);
	return a;
}

static int
has_start(jv payload)
{
	jv se = json_get(payload, "scheduled_event");
	int ok = json_kind(se, "start_time") == JV_KIND_STRING;

	jv_free(se);
	return ok;
}

static char *
read_body(const char *path, size_t *len)
{
	FILE *f = stdin;
	char *body;
	int big;

	if (path && strcmp(path, "-") != 0 && (f = fopen(path, "rb")) == NULL)
		die(EXIT_NOINPUT, "%s: %s", path, strerror(errno));
	body = read_all(f, MAX_BODY, len, &big);
	if (body == NULL && big)
		die(EXIT_DATA, "body larger than %d bytes: not a Calendly webhook",
		    MAX_BODY);
	if (body == NULL)
		die(EXIT_IOERR, "%s: read error", path ? path : "stdin");
	if (f != stdin)
		fclose(f);
	return body;
}

int
main(int argc, char *argv[])
{
	const char *header = getenv("HTTP_CALENDLY_WEBHOOK_SIGNATURE");
	const char *pattern = DEFAULT_QUESTION, *event;
	char *key = NULL, *body, *end;
	long tolerance = 180;
	int c, noverify = 0, rc;
	size_t len;
	regex_t question;
	jv doc, payload;

	log_init(argv[0]);
	while ((c = getopt(argc, argv, "hk:nq:s:t:")) != -1) {
		switch (c) {
		case 'h': usage(0); break;
		case 'k':
			free(key);
			if ((rc = read_secret(optarg, &key)) != 0)
				return rc;
			break;
		case 'n': noverify = 1; break;
		case 'q': pattern = optarg; break;
		case 's': header = optarg; break;
		case 't':
			errno = 0;
			tolerance = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || tolerance < 0)
				die(EXIT_USAGE, "-t: not a number of seconds: %s", optarg);
			break;
		default: usage(EXIT_USAGE);
		}
	}
	if (argc - optind > 1)
		usage(EXIT_USAGE);
	if (key == NULL && getenv("CALENDLY_SIGNING_KEY") && *getenv("CALENDLY_SIGNING_KEY"))
		key = strdup(getenv("CALENDLY_SIGNING_KEY"));
	if (key == NULL && getenv("CALENDLY_KEY_FILE") && *getenv("CALENDLY_KEY_FILE"))
		if ((rc = read_secret(getenv("CALENDLY_KEY_FILE"), &key)) != 0)
			return rc;
	if (key && noverify)
		die(EXIT_USAGE, "-n with a signing key configured: a webhook that can be "
		    "verified must be (drop -n, or the key)");
	if (key == NULL && !noverify)
		die(EXIT_USAGE, "no signing key: use -k FILE, CALENDLY_SIGNING_KEY or "
		    "CALENDLY_KEY_FILE, or -n to skip verification");
	if ((rc = regcomp(&question, pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB)) != 0)
		die(EXIT_USAGE, "-q: bad regular expression: %s", pattern);

	body = read_body(optind < argc ? argv[optind] : NULL, &len);
	if (key && !noverify)
		verify(key, header, body, len, tolerance);
	if (!utf8_valid(body, len))
		die(EXIT_DATA, "body is not valid UTF-8: not a Calendly webhook");
	doc = jv_parse_sized(body, (int)len);
	if (!jv_is_valid(doc)) {
		json_error_note("body", 1, doc);
		die(EXIT_DATA, "body is not JSON: not a Calendly webhook");
	}
	event = json_str(doc, "event");
	payload = json_get(doc, "payload");
	if (event == NULL || jv_get_kind(payload) != JV_KIND_OBJECT)
		die(EXIT_DATA, "no \"event\" and \"payload\": not a Calendly webhook");
	if (strcmp(event, "invitee.created") != 0 && strcmp(event, "invitee.canceled") != 0)
		note("ignoring event %.64s: not an invitee event", event);
	else if (json_str(payload, "uri") == NULL && json_kind(payload, "invitee") == JV_KIND_OBJECT)
		die(EXIT_DATA, "%s in Calendly's API v1 format (payload.invitee): "
		    "calsms reads v2 webhooks; subscribe again through the v2 API", event);
	else if (json_str(payload, "uri") == NULL)
		die(EXIT_DATA, "%s without payload.uri: not a Calendly invitee event", event);
	else if (strcmp(event, "invitee.created") == 0 && !has_start(payload))
		die(EXIT_DATA, "%s without scheduled_event.start_time: nothing to confirm", event);
	else
		json_print(appointment(payload,
		    strcmp(event, "invitee.canceled") == 0, &question));
	jv_free(payload);
	jv_free(doc);
	regfree(&question);
	free(key);
	free(body);
	return finish_stdout(0);
}
