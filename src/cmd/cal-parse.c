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
#include "calendly.h"

#define MAX_BODY (4 * 1024 * 1024)
#define MAX_V1 8

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s [-C file] [-f calendly|calcom] [-k keyfile] [-s signature] [-t seconds] [-q regex] [file]\n"
	    "       %s [-f calendly|calcom] -n [-q regex] [file]\n", progname, progname);
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

/* Cal.com: X-Cal-Signature-256 is the hex HMAC-SHA256 of the raw body. */
static void
verify_calcom(const char *key, const char *header, const char *body, size_t len)
{
	unsigned char mac[32], want[32];

	if (header == NULL || *header == '\0')
		die(EXIT_NOPERM, "no X-Cal-Signature-256: refused");
	if (strlen(header) != 64 || hex_decode(header, 64, want) != 0)
		die(EXIT_NOPERM, "malformed X-Cal-Signature-256: refused");
	hmac_sha256(key, strlen(key), body, len, mac);
	if (!ct_equal(mac, want, 32))
		die(EXIT_NOPERM, "signature does not match the body: refused");
}

/*
 * Cal.com signs no time, so a verified webhook whose createdAt is further
 * than the tolerance from now is refused as a replay; the store's
 * idempotency takes care of repeats within it.
 */
static void
fresh_calcom(jv doc, long tolerance)
{
	const char *at = json_str(doc, "createdAt");
	int64_t t;
	long long skew;

	if (at == NULL || rfc3339_parse(at, &t) != 0)
		die(EXIT_NOPERM, "no createdAt in the webhook: refused");
	skew = (long long)(clock_now() - t);
	if (skew > tolerance || skew < -tolerance)
		die(EXIT_NOPERM, "stale webhook: createdAt is %llds from now, tolerance %lds: "
		    "refused", skew, tolerance);
}

static void
calcom(jv doc)
{
	const char *trigger = json_str(doc, "triggerEvent");
	jv payload = json_get(doc, "payload");
	int cancel = 0;

	if (trigger == NULL || jv_get_kind(payload) != JV_KIND_OBJECT)
		die(EXIT_DATA, "no \"triggerEvent\" and \"payload\": not a Cal.com webhook");
	if (strcmp(trigger, "BOOKING_REQUESTED") == 0)
		note("BOOKING_REQUESTED: held, nothing is sent until the booking is accepted");
	else if (strcmp(trigger, "BOOKING_CREATED") != 0 &&
	    strcmp(trigger, "BOOKING_RESCHEDULED") != 0 &&
	    !(cancel = strcmp(trigger, "BOOKING_CANCELLED") == 0 ||
	    strcmp(trigger, "BOOKING_REJECTED") == 0))
		note("ignoring %.64s: not a booking, a reschedule or a cancellation", trigger);
	else if (json_str(payload, "uid") == NULL)
		die(EXIT_DATA, "%s without payload.uid: not a Cal.com booking", trigger);
	else if (!cancel && json_str(payload, "startTime") == NULL)
		die(EXIT_DATA, "%s without payload.startTime: nothing to confirm", trigger);
	else
		json_print(calcom_appointment(payload, cancel));
	jv_free(payload);
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
	const char *header = NULL, *format = NULL;
	const char *event;
	const char *key_env, *file_env;
	char *key = NULL, *body;
	long tolerance = 180;
	int c, noverify = 0, rc, is_calcom;
	size_t len;
	struct question question = { .pattern = CALENDLY_QUESTION };
	jv doc, payload;

	log_init(argv[0]);
	while ((c = getopt(argc, argv, "C:f:hk:nq:s:t:")) != -1) {
		switch (c) {
		case 'C':
			if ((rc = conf_load(optarg)) != 0)
				return rc;
			break;
		case 'f':
			if (strcmp(optarg, "calendly") != 0 && strcmp(optarg, "calcom") != 0)
				die(EXIT_USAGE, "-f: calendly or calcom, not %s", optarg);
			format = optarg;
			break;
		case 'h': usage(0); break;
		case 'k':
			free(key);
			if ((rc = read_secret(optarg, &key)) != 0)
				return rc;
			break;
		case 'n': noverify = 1; break;
		case 'q': question.pattern = optarg; break;
		case 's': header = optarg; break;
		case 't':
			if (long_arg(optarg, 0, 10L * 365 * 86400, &tolerance) != 0)
				die(EXIT_USAGE, "-t: not a number of seconds: %s", optarg);
			break;
		default: usage(EXIT_USAGE);
		}
	}
	if (argc - optind > 1)
		usage(EXIT_USAGE);
	/* Cal.com is recognised by its signature header, or named with -f */
	if (format == NULL)
		format = getenv("HTTP_X_CAL_SIGNATURE_256") ? "calcom" : "calendly";
	is_calcom = strcmp(format, "calcom") == 0;
	key_env = is_calcom ? "CALCOM_WEBHOOK_SECRET" : "CALENDLY_SIGNING_KEY";
	file_env = is_calcom ? "CALCOM_SECRET_FILE" : "CALENDLY_KEY_FILE";
	if (header == NULL)
		header = getenv(is_calcom ? "HTTP_X_CAL_SIGNATURE_256" :
		    "HTTP_CALENDLY_WEBHOOK_SIGNATURE");
	if (key == NULL && getenv(key_env) && *getenv(key_env))
		key = strdup(getenv(key_env));
	if (key == NULL && getenv(file_env) && *getenv(file_env))
		if ((rc = read_secret(getenv(file_env), &key)) != 0)
			return rc;
	if (key && noverify)
		die(EXIT_USAGE, "-n with a signing key configured: a webhook that can be "
		    "verified must be (drop -n, or the key)");
	if (key == NULL && !noverify)
		die(EXIT_USAGE, "no signing key: use -k FILE, %s or %s, or -n to skip "
		    "verification", key_env, file_env);
	/* the operator's own -q is checked at once; the default, when needed */
	if (strcmp(question.pattern, CALENDLY_QUESTION) != 0 && question_compile(&question) != 0)
		die(EXIT_USAGE, "-q: bad regular expression: %s", question.pattern);

	body = read_body(optind < argc ? argv[optind] : NULL, &len);
	if (key && !noverify && is_calcom)
		verify_calcom(key, header, body, len);
	else if (key && !noverify)
		verify(key, header, body, len, tolerance);
	if (!utf8_valid(body, len))
		die(EXIT_DATA, "body is not valid UTF-8: not a %s webhook", is_calcom ?
		    "Cal.com" : "Calendly");
	doc = jv_parse_sized(body, (int)len);
	if (!jv_is_valid(doc)) {
		json_error_note("body", 1, doc);
		die(EXIT_DATA, "body is not JSON: not a %s webhook", is_calcom ?
		    "Cal.com" : "Calendly");
	}
	if (is_calcom) {
		if (key && !noverify)
			fresh_calcom(doc, tolerance);
		calcom(doc);
		jv_free(doc);
		question_free(&question);
		free(key);
		free(body);
		return finish_stdout(0);
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
		json_print(calendly_appointment(payload,
		    strcmp(event, "invitee.canceled") == 0, &question));
	jv_free(payload);
	jv_free(doc);
	question_free(&question);
	free(key);
	free(body);
	return finish_stdout(0);
}
