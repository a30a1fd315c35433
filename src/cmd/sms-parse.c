/*
 * sms-parse: one inbound SMS provider webhook in, one reply or receipt
 * line out.  Twilio's form posts (inbound messages and status callbacks)
 * are verified with X-Twilio-Signature, Amazon SNS notifications (End
 * User Messaging two-way SMS and its delivery events) with their RSA
 * signature (sns-verify.c), before anything is read from them.
 *
 * Run as an http-hook handler, it reads the body on stdin and the request
 * from the CGI variables (CONTENT_TYPE, QUERY_STRING,
 * HTTP_X_TWILIO_SIGNATURE); the public URL Twilio called cannot be known
 * behind a TLS proxy, so it is given with -u or SMS_PARSE_URL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "calsms.h"
#include "rules.h"
#include "sns-verify.h"

#define MAX_BODY (1024 * 1024)
#define MAX_TOPICS 16

struct request {
	char *body;
	size_t len;
	const char *url, *signature, *token, *content_type;
	jv params;	/* [name, value] pairs; an empty array for a JSON body */
	const char *topics[MAX_TOPICS], *cache;	/* sns */
	int ntopics;
};

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s -p twilio [-u url] [-s signature] [-C file] [file]\n"
	    "       %s -p twilio -n [file]\n"
	    "       %s -p sns -a topic-arn ... [-c cache-dir] [file]\n",
	    progname, progname, progname);
	exit(status);
}

/* ---- X-Twilio-Signature ---- */

static int
by_name_then_value(const void *a, const void *b)
{
	jv x = *(const jv *)a, y = *(const jv *)b;
	jv xn = jv_array_get(jv_copy(x), 0), yn = jv_array_get(jv_copy(y), 0);
	int c = strcmp(jv_string_value(xn), jv_string_value(yn));

	jv_free(xn);
	jv_free(yn);
	if (c == 0) {
		xn = jv_array_get(jv_copy(x), 1);
		yn = jv_array_get(jv_copy(y), 1);
		c = strcmp(jv_string_value(xn), jv_string_value(yn));
		jv_free(xn);
		jv_free(yn);
	}
	return c;
}

/* base64(HMAC-SHA1(token, url + each name and value, sorted)) */
static void
twilio_sign(const char *token, const char *url, jv params, char out[29])
{
	int i, n = jv_array_length(jv_copy(params));
	jv *sorted = calloc((size_t)n + 1, sizeof *sorted);
	struct strbuf s = { 0 };
	unsigned char mac[20];

	sb_puts(&s, url);
	for (i = 0; i < n && sorted; i++)
		sorted[i] = jv_array_get(jv_copy(params), i);
	if (sorted)
		qsort(sorted, (size_t)n, sizeof *sorted, by_name_then_value);
	for (i = 0; i < n && sorted; i++) {
		jv k = jv_array_get(jv_copy(sorted[i]), 0), v = jv_array_get(jv_copy(sorted[i]), 1);

		sb_puts(&s, jv_string_value(k));
		sb_puts(&s, jv_string_value(v));
		jv_free(k);
		jv_free(v);
		jv_free(sorted[i]);
	}
	free(sorted);
	hmac_sha1(token, strlen(token), s.p ? s.p : "", s.len, mac);
	base64_encode(mac, 20, out);
	sb_free(&s);
}

/*
 * The URL as Twilio may have signed it: as given, with its port taken out,
 * or with the scheme's default port put in.  Returns how many were made.
 */
static int
url_variants(const char *url, char out[3][2048])
{
	const char *host = strstr(url, "://"), *end, *colon;
	int https = strncmp(url, "https:", 6) == 0, n = 1;
	size_t hl;

	snprintf(out[0], sizeof out[0], "%s", url);
	if (host == NULL)
		return n;
	host += 3;
	end = host + strcspn(host, "/?#");
	hl = (size_t)(end - host);
	colon = memchr(host, ':', hl);
	if (colon)	/* port stripped */
		snprintf(out[n++], sizeof out[0], "%.*s%s", (int)(colon - url), url, end);
	else	/* default port added */
		snprintf(out[n++], sizeof out[0], "%.*s:%s%s", (int)(end - url), url,
		    https ? "443" : "80", end);
	return n;
}

/* A JSON body: the URL carries bodySHA256, the hash of the body. */
static int
body_hash_ok(const struct request *rq)
{
	const char *q = strstr(rq->url, "bodySHA256=");
	unsigned char d[32];
	char hex[65];

	if (q == NULL || (q[-1] != '?' && q[-1] != '&'))
		return 0;
	q += 11;
	sha256(rq->body, rq->len, d);
	hex_encode(d, 32, hex);
	return strncmp(q, hex, 64) == 0 && (q[64] == '\0' || q[64] == '&');
}

static int
verify(const struct request *rq)
{
	char urls[3][2048], want[29];
	int i, n, json = jv_array_length(jv_copy(rq->params)) == 0 &&
	    rq->content_type && strncmp(rq->content_type, "application/json", 16) == 0;

	if (rq->signature == NULL || *rq->signature == '\0') {
		note("no X-Twilio-Signature: refused");
		return EXIT_NOPERM;
	}
	if (json && !body_hash_ok(rq)) {
		note("a JSON body whose bodySHA256 is missing or wrong: refused");
		return EXIT_NOPERM;
	}
	n = url_variants(rq->url, urls);
	for (i = 0; i < n; i++) {
		twilio_sign(rq->token, urls[i], rq->params, want);
		if (strlen(rq->signature) == strlen(want) &&
		    ct_equal(rq->signature, want, strlen(want)))
			return 0;
	}
	note("X-Twilio-Signature does not match (is -u the URL Twilio calls?): refused");
	return EXIT_NOPERM;
}

/* ---- what the webhook says ---- */

static jv
str_or_null(const char *s)
{
	return s ? jv_string(s) : jv_null();
}

/* Twilio's Advanced Opt-Out says what the carrier words meant; it wins. */
static const char *
intent_of(jv params)
{
	const char *opt = form_get(params, "OptOutType"), *body = form_get(params, "Body");

	if (opt && strcasecmp(opt, "STOP") == 0)
		return "stop";
	if (opt && strcasecmp(opt, "START") == 0)
		return "start";
	if (opt && strcasecmp(opt, "HELP") == 0)
		return "help";
	return reply_intent(body ? body : "");
}

static jv
reply_line(jv params)
{
	jv r = jv_object();
	const char *media = form_get(params, "NumMedia");

	r = jv_object_set(r, jv_string("type"), jv_string("reply"));
	r = jv_object_set(r, jv_string("from"), str_or_null(form_get(params, "From")));
	r = jv_object_set(r, jv_string("to"), str_or_null(form_get(params, "To")));
	r = jv_object_set(r, jv_string("body"), jv_string(form_get(params, "Body") ?
	    form_get(params, "Body") : ""));
	r = jv_object_set(r, jv_string("intent"), jv_string(intent_of(params)));
	r = jv_object_set(r, jv_string("provider"), jv_string("twilio"));
	r = jv_object_set(r, jv_string("provider_id"),
	    str_or_null(form_get(params, "MessageSid")));
	r = jv_object_set(r, jv_string("num_media"), jv_number(media ? atoi(media) : 0));
	return jv_object_set(r, jv_string("received_at"), rfc3339_jv(clock_now()));
}

static const char *
receipt_status(const char *s)
{
	static const char *const same[] = { "delivered", "undelivered", "failed", "sent", NULL };
	int i;

	for (i = 0; same[i]; i++)
		if (strcmp(s, same[i]) == 0)
			return same[i];
	return "queued";	/* accepted, queued, sending, scheduled */
}

static jv
receipt_line(jv params)
{
	jv r = jv_object(), err = jv_null();
	const char *code = form_get(params, "ErrorCode");

	if (code && *code && strcmp(code, "0") != 0) {
		err = jv_object_set(jv_object(), jv_string("code"), jv_string(code));
		err = jv_object_set(err, jv_string("message"),
		    str_or_null(form_get(params, "ErrorMessage")));
	}
	r = jv_object_set(r, jv_string("type"), jv_string("receipt"));
	r = jv_object_set(r, jv_string("provider"), jv_string("twilio"));
	r = jv_object_set(r, jv_string("provider_id"),
	    str_or_null(form_get(params, "MessageSid")));
	r = jv_object_set(r, jv_string("status"),
	    jv_string(receipt_status(form_get(params, "MessageStatus"))));
	r = jv_object_set(r, jv_string("error"), err);
	return jv_object_set(r, jv_string("at"), rfc3339_jv(clock_now()));
}

/* The line for a verified webhook, or invalid when there is nothing to say. */
static jv
line_of(jv params)
{
	const char *sid = form_get(params, "MessageSid");

	const char *media = form_get(params, "NumMedia");

	if (sid == NULL) {
		note("no MessageSid: neither a message nor a status callback; ignored");
		return jv_invalid();
	}
	/* an MMS with a picture and no text is a reply all the same */
	if (form_get(params, "Body") != NULL || (media && atoi(media) > 0))
		return reply_line(params);
	if (form_get(params, "MessageStatus") != NULL)
		return receipt_line(params);
	note("%.64s: neither a message (Body, NumMedia) nor a status callback "
	    "(MessageStatus); ignored", sid);
	return jv_invalid();
}

/* ---- Amazon SNS: End User Messaging two-way SMS and its events ---- */

/* Epoch milliseconds, when they are a time between 1970 and 9999. */
static jv
time_of_ms(jv ms)
{
	double s = jv_get_kind(ms) == JV_KIND_NUMBER ? jv_number_value(ms) / 1000 : -1;

	return s >= 0 && s < 253402300800.0 ? rfc3339_jv((int64_t)s) :
	    rfc3339_jv(clock_now());
}

/* An End User Messaging event's delivery status, as receipts say it. */
static const char *
event_status(const char *type)
{
	static const char *const failed[] = { "TEXT_BLOCKED", "TEXT_SPAM", "TEXT_INVALID",
		"TEXT_INVALID_MESSAGE", "TEXT_OPTED_OUT", NULL };
	int i;

	if (strcmp(type, "TEXT_DELIVERED") == 0)
		return "delivered";
	if (strcmp(type, "TEXT_SUCCESSFUL") == 0)
		return "sent";
	if (strcmp(type, "TEXT_QUEUED") == 0 || strcmp(type, "TEXT_PENDING") == 0)
		return "queued";
	for (i = 0; failed[i]; i++)
		if (strcmp(type, failed[i]) == 0)
			return "failed";
	return "undelivered";	/* unreachable, TTL expired, carrier blocked, unknown */
}

static jv
sns_receipt(jv ev)
{
	const char *type = json_str(ev, "eventType"), *status = event_status(type);
	jv r = jv_object(), err = jv_null(), ts = json_get(ev, "eventTimestamp");

	if (strcmp(status, "failed") == 0 || strcmp(status, "undelivered") == 0) {
		err = jv_object_set(jv_object(), jv_string("code"), jv_string(type));
		err = jv_object_set(err, jv_string("message"),
		    str_or_null(json_str(ev, "messageStatusDescription")));
	}
	r = jv_object_set(r, jv_string("type"), jv_string("receipt"));
	r = jv_object_set(r, jv_string("provider"), jv_string("eum"));
	r = jv_object_set(r, jv_string("provider_id"), str_or_null(json_str(ev, "messageId")));
	r = jv_object_set(r, jv_string("status"), jv_string(status));
	r = jv_object_set(r, jv_string("error"), err);
	return jv_object_set(r, jv_string("at"), time_of_ms(ts));
}

static jv
sns_reply(jv in)
{
	const char *body = json_str(in, "messageBody");
	jv r = jv_object();

	r = jv_object_set(r, jv_string("type"), jv_string("reply"));
	r = jv_object_set(r, jv_string("from"), str_or_null(json_str(in, "originationNumber")));
	r = jv_object_set(r, jv_string("to"), str_or_null(json_str(in, "destinationNumber")));
	r = jv_object_set(r, jv_string("body"), str_or_null(body));
	r = jv_object_set(r, jv_string("intent"), jv_string(reply_intent(body ? body : "")));
	r = jv_object_set(r, jv_string("provider"), jv_string("sns"));
	r = jv_object_set(r, jv_string("provider_id"),
	    str_or_null(json_str(in, "inboundMessageId")));
	r = jv_object_set(r, jv_string("in_reply_to"),
	    str_or_null(json_str(in, "previousPublishedMessageId")));
	return jv_object_set(r, jv_string("received_at"), rfc3339_jv(clock_now()));
}

/* A verified notification's Message: an inbound SMS, an event, or nothing. */
static jv
sns_line(jv msg)
{
	const char *text = json_str(msg, "Message"), *type;
	jv in = text ? jv_parse(text) : jv_invalid(), out = jv_invalid();

	if (jv_get_kind(in) != JV_KIND_OBJECT) {
		jv_free(in);
		return out;
	}
	type = json_str(in, "eventType");
	if (json_str(in, "originationNumber") && json_kind(in, "messageBody") == JV_KIND_STRING)
		out = sns_reply(in);
	else if (type && strncmp(type, "TEXT_", 5) == 0 && json_str(in, "messageId"))
		out = sns_receipt(in);
	jv_free(in);
	return out;
}

static int
topic_ok(const struct request *rq, const char *topic)
{
	int i;

	for (i = 0; topic && i < rq->ntopics; i++)
		if (strcmp(rq->topics[i], topic) == 0)
			return 1;
	return 0;
}

/* A SubscriptionConfirmation for an accepted topic: visit its SubscribeURL. */
static int
sns_subscribe(jv msg)
{
	const char *url = json_str(msg, "SubscribeURL");
	struct strbuf b = { 0 };
	int rc;

	if (url == NULL || !sns_url_ok(url, 0)) {
		note("SubscribeURL is not on sns.<region>.amazonaws.com: refused");
		return EXIT_NOPERM;
	}
	rc = sns_get(url, &b);
	sb_free(&b);
	if (rc != 0)
		return EXIT_TEMPFAIL;	/* SNS sends it again */
	note("subscribed to %s", json_str(msg, "TopicArn"));
	return 0;
}

static int
sns_main(struct request *rq)
{
	const char *header = getenv("HTTP_X_AMZ_SNS_MESSAGE_TYPE"), *type;
	jv msg = jv_parse_sized(rq->body, (int)rq->len), line;
	int status;

	if (jv_get_kind(msg) != JV_KIND_OBJECT) {
		jv_free(msg);
		note("body is not a JSON object: not an SNS message");
		return EXIT_DATA;
	}
	type = json_str(msg, "Type");
	if (type == NULL || json_str(msg, "Signature") == NULL) {
		note("no Type or Signature (raw message delivery carries no signature): refused");
		status = EXIT_NOPERM;
	} else if (header && *header && strcmp(header, type) != 0) {
		note("x-amz-sns-message-type %.40s is not the message's Type: refused", header);
		status = EXIT_NOPERM;
	} else if (!topic_ok(rq, json_str(msg, "TopicArn"))) {
		note("topic %.200s is not one of -a: refused",
		    json_str(msg, "TopicArn") ? json_str(msg, "TopicArn") : "(none)");
		status = EXIT_NOPERM;
	} else if ((status = sns_verify(msg, rq->cache)) != 0)
		;
	else if (strcmp(type, "SubscriptionConfirmation") == 0)
		status = sns_subscribe(msg);
	else if (strcmp(type, "Notification") == 0) {
		line = sns_line(msg);
		if (jv_is_valid(line))
			json_print(line);
		else {
			jv_free(line);
			note("notification %.64s: neither an inbound message nor a delivery "
			    "event; ignored", json_str(msg, "MessageId") ? json_str(msg, "MessageId") : "");
		}
	} else if (strcmp(type, "UnsubscribeConfirmation") != 0) {
		note("Type %.40s: not an SNS message", type);
		status = EXIT_DATA;
	}
	jv_free(msg);
	return status;
}

/* ---- main ---- */

static int
read_body(const char *path, struct request *rq)
{
	FILE *f = stdin;
	int big;

	if (path && strcmp(path, "-") != 0 && (f = fopen(path, "rb")) == NULL) {
		note("%s: %s", path, strerror(errno));
		return EXIT_NOINPUT;
	}
	rq->body = read_all(f, MAX_BODY, &rq->len, &big);
	if (f != stdin)
		fclose(f);
	if (rq->body == NULL) {
		note("%s", big ? "body larger than 1 MiB: not a provider webhook" : "read error");
		return big ? EXIT_DATA : EXIT_IOERR;
	}
	return 0;
}

/*
 * The URL Twilio called: -u (or SMS_PARSE_URL), else CALSMS_URL and the
 * route http-hook ran (SCRIPT_NAME); with CGI's query string.
 */
static char *
public_url(const char *u)
{
	const char *q = getenv("QUERY_STRING");
	struct strbuf b = { 0 };

	if (u == NULL) {
		u = conf_get("CALSMS_URL");
		sb_puts(&b, u);
		while (b.len && b.p[b.len - 1] == '/')
			b.p[--b.len] = '\0';
		sb_puts(&b, getenv("SCRIPT_NAME"));
	} else
		sb_puts(&b, u);
	if (q && *q && strchr(u, '?') == NULL) {
		sb_put(&b, "?", 1);
		sb_puts(&b, q);
	}
	return b.p;
}

static int
parse_params(struct request *rq)
{
	int json = rq->content_type && strncmp(rq->content_type, "application/json", 16) == 0;

	if (json) {
		rq->params = jv_array();
		return 0;
	}
	if (form_decode(rq->body, rq->len, &rq->params) != 0) {
		note("body is not application/x-www-form-urlencoded (a bad escape or "
		    "invalid UTF-8): not a Twilio webhook");
		return EXIT_DATA;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct request rq = { .params = jv_invalid() };
	const char *provider = NULL, *url = getenv("SMS_PARSE_URL");
	char *full = NULL;
	int c, noverify = 0, status;
	jv line;

	log_init(argv[0]);
	rq.signature = getenv("HTTP_X_TWILIO_SIGNATURE");
	rq.content_type = getenv("CONTENT_TYPE");
	while ((c = getopt(argc, argv, "a:c:C:hnp:s:u:")) != -1) {
		switch (c) {
		case 'a':
			if (rq.ntopics == MAX_TOPICS)
				die(EXIT_USAGE, "-a: at most %d topics", MAX_TOPICS);
			rq.topics[rq.ntopics++] = optarg;
			break;
		case 'c': rq.cache = optarg; break;
		case 'C':
			if ((status = conf_load(optarg)) != 0)
				return status;
			break;
		case 'h': usage(0); break;
		case 'n': noverify = 1; break;
		case 'p': provider = optarg; break;
		case 's': rq.signature = optarg; break;
		case 'u': url = optarg; break;
		default: usage(EXIT_USAGE);
		}
	}
	if (argc - optind > 1 || provider == NULL)
		usage(EXIT_USAGE);
	if (strcmp(provider, "sns") == 0) {
		if (rq.ntopics == 0) {
			note("-p sns needs the topics it accepts: -a topic-arn");
			usage(EXIT_USAGE);
		}
		if ((status = read_body(optind < argc ? argv[optind] : NULL, &rq)) != 0)
			return status;
		status = sns_main(&rq);
		free(rq.body);
		return finish_stdout(status);
	}
	if (strcmp(provider, "twilio") != 0) {
		note("unknown provider %s: twilio or sns", provider);
		usage(EXIT_USAGE);
	}
	rq.token = conf_get("TWILIO_AUTH_TOKEN");
	if (noverify && rq.token) {
		note("-n with TWILIO_AUTH_TOKEN set: a webhook that can be verified must be");
		return EXIT_USAGE;
	}
	if (!noverify && (rq.token == NULL || *rq.token == '\0')) {
		note("TWILIO_AUTH_TOKEN is not set (environment or -C file): nothing can be verified");
		return EXIT_CONFIG;
	}
	if (url && *url == '\0')
		url = NULL;
	if (!noverify && url == NULL && (conf_get("CALSMS_URL") == NULL ||
	    getenv("SCRIPT_NAME") == NULL || *getenv("SCRIPT_NAME") != '/')) {
		note("no public URL: give the URL Twilio calls with -u or SMS_PARSE_URL, "
		    "or set CALSMS_URL and run under http-hook");
		return EXIT_USAGE;
	}
	if ((status = read_body(optind < argc ? argv[optind] : NULL, &rq)) != 0)
		return status;
	if ((status = parse_params(&rq)) == 0 && !noverify) {
		rq.url = full = public_url(url);
		status = verify(&rq);
	}
	if (status == 0) {
		line = line_of(rq.params);
		if (jv_is_valid(line))
			json_print(line);
		else
			jv_free(line);
	}
	jv_free(rq.params);
	free(rq.body);
	free(full);
	return finish_stdout(status);
}
