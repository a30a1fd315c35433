/*
 * twilio.c: Twilio, both ways.  Out: POST the form to
 * {TWILIO_API_URL}/2010-04-01/Accounts/{sid}/Messages.json with basic
 * auth; 201 carries sid and num_segments, errors a JSON code and message.
 * In: a form post (an inbound message or a status callback), verified
 * with X-Twilio-Signature against the URL Twilio called, as a reply or
 * receipt line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules.h"

#include "provider.h"

/* TWILIO_CHANNEL=whatsapp: the messages go on WhatsApp */
int
twilio_whatsapp(void)
{
	const char *c = conf_get("TWILIO_CHANNEL");

	return c && strcmp(c, "whatsapp") == 0;
}

/* The number messages come from: on WhatsApp, TWILIO_WHATSAPP_FROM first. */
static const char *
twilio_from(void)
{
	const char *wa = conf_get("TWILIO_WHATSAPP_FROM");

	return twilio_whatsapp() && wa ? wa : conf_get("TWILIO_FROM");
}

static int
twilio_setup(void)
{
	int r = need("twilio", "TWILIO_ACCOUNT_SID") | need("twilio", "TWILIO_AUTH_TOKEN");

	if (!twilio_from() && !conf_get("TWILIO_MESSAGING_SERVICE_SID")) {
		note("twilio: %s or TWILIO_MESSAGING_SERVICE_SID is not set "
		    "(environment or -C file)", twilio_whatsapp() ?
		    "TWILIO_WHATSAPP_FROM, TWILIO_FROM" : "TWILIO_FROM");
		r = EXIT_CONFIG;
	}
	return r;
}

static void
twilio_build(const char *to, const char *body, struct sms_request *rq)
{
	const char *base = conf_get("TWILIO_API_URL"), *sid = conf_get("TWILIO_ACCOUNT_SID");
	const char *cb = conf_get("TWILIO_STATUS_CALLBACK"), *on = twilio_whatsapp() ? "whatsapp:" : "";
	char addr[64];

	snprintf(rq->url, sizeof rq->url, "%s/2010-04-01/Accounts/%s/Messages.json",
	    base ? base : "https://api.twilio.com", sid);
	snprintf(addr, sizeof addr, "%s%s", on, to);
	sb_form(&rq->body, "To", addr);
	if (conf_get("TWILIO_MESSAGING_SERVICE_SID"))
		sb_form(&rq->body, "MessagingServiceSid", conf_get("TWILIO_MESSAGING_SERVICE_SID"));
	else {
		snprintf(addr, sizeof addr, "%s%s", on, twilio_from());
		sb_form(&rq->body, "From", addr);
	}
	if (rq->content_sid) {	/* WhatsApp's approved template and its variables */
		sb_form(&rq->body, "ContentSid", rq->content_sid);
		sb_form(&rq->body, "ContentVariables", body);
	} else
		sb_form(&rq->body, "Body", body);
	if (cb)
		sb_form(&rq->body, "StatusCallback", cb);
	rq->user = sid;
	rq->password = conf_get("TWILIO_AUTH_TOKEN");
	rq_header(rq, "Content-Type: application/x-www-form-urlencoded");
}

/* Errors about the recipient, not our request: the conversation fails. */
static const char *const recipient_codes[] = { "21211", "21214", "21217", "21401",
	"21407", "21610", "21612", "21614", "21635", NULL };

static void
twilio_answer(long http, int retry_after, const char *body, struct sms_answer *a)
{
	jv doc = jv_parse(body ? body : ""), v;

	a->outcome = outcome_of_http(http, retry_after);
	if (jv_get_kind(doc) == JV_KIND_OBJECT) {
		snprintf(a->provider_id, sizeof a->provider_id, "%s",
		    json_str(doc, "sid") ? json_str(doc, "sid") : "");
		if ((v = json_get(doc, "num_segments"), jv_get_kind(v) == JV_KIND_STRING))
			a->segments = atoi(jv_string_value(v));
		jv_free(v);
		if ((v = json_get(doc, "code"), jv_get_kind(v) == JV_KIND_NUMBER))
			snprintf(a->code, sizeof a->code, "%.0f", jv_number_value(v));
		jv_free(v);
		snprintf(a->message, sizeof a->message, "%s",
		    json_str(doc, "message") ? json_str(doc, "message") : "");
	}
	jv_free(doc);
	if (strcmp(a->code, "20429") == 0)
		a->outcome = OUT_RETRY;	/* too many requests, whatever the status */
	else if (a->outcome == OUT_HALT && str_listed(a->code, recipient_codes))
		a->outcome = OUT_PERMANENT;
	need_id(a, "sid");
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
body_hash_ok(const struct inbound *rq)
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
verify(const struct inbound *rq)
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

/*
 * Twilio answers HELP and INFO (whole messages) with its default opt-out
 * handling, and whatever Advanced Opt-Out reports as OptOutType=HELP.
 */
static int
twilio_answered(jv params)
{
	const char *opt = form_get(params, "OptOutType"), *body = form_get(params, "Body");
	char word[8];
	size_t n;

	if (opt)
		return strcasecmp(opt, "HELP") == 0;
	body = body ? body + strspn(body, " \t\r\n") : "";
	n = strcspn(body, " \t\r\n");
	if (n >= sizeof word || body[n + strspn(body + n, " \t\r\n")] != '\0')
		return 0;
	memcpy(word, body, n);
	word[n] = '\0';
	return strcasecmp(word, "HELP") == 0 || strcasecmp(word, "INFO") == 0;
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
	return reply_intent(body ? body : "", 0);
}

/* A WhatsApp address, "whatsapp:+14045550134", is that number on WhatsApp. */
static const char *
number_of(const char *addr, int *whatsapp)
{
	if (addr && strncmp(addr, "whatsapp:", 9) == 0) {
		*whatsapp = 1;
		return addr + 9;
	}
	return addr;
}

static jv
reply_line(jv params)
{
	jv r = jv_object();
	const char *media = form_get(params, "NumMedia");
	int wa = 0;

	r = jv_object_set(r, jv_string("type"), jv_string("reply"));
	r = jv_object_set(r, jv_string("from"), json_text(number_of(form_get(params, "From"), &wa)));
	r = jv_object_set(r, jv_string("to"), json_text(number_of(form_get(params, "To"), &wa)));
	if (wa)
		r = jv_object_set(r, jv_string("channel"), jv_string("whatsapp"));
	r = jv_object_set(r, jv_string("body"), jv_string(form_get(params, "Body") ?
	    form_get(params, "Body") : ""));
	r = jv_object_set(r, jv_string("intent"), jv_string(intent_of(params)));
	r = jv_object_set(r, jv_string("provider"), jv_string("twilio"));
	r = jv_object_set(r, jv_string("provider_id"),
	    json_text(form_get(params, "MessageSid")));
	r = jv_object_set(r, jv_string("num_media"), jv_number(media ? atoi(media) : 0));
	if (!wa && twilio_answered(params))	/* Twilio answers HELP on SMS, not on WhatsApp */
		r = jv_object_set(r, jv_string("answered_by"), jv_string("twilio"));
	return jv_object_set(r, jv_string("received_at"), rfc3339_jv(clock_now()));
}

static const char *
receipt_status(const char *s)
{
	static const char *const same[] = { "delivered", "undelivered", "failed", "sent",
		"read", NULL };	/* read: WhatsApp's, after delivered */
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
		    json_text(form_get(params, "ErrorMessage")));
	}
	r = jv_object_set(r, jv_string("type"), jv_string("receipt"));
	r = jv_object_set(r, jv_string("provider"), jv_string("twilio"));
	r = jv_object_set(r, jv_string("provider_id"),
	    json_text(form_get(params, "MessageSid")));
	r = jv_object_set(r, jv_string("status"),
	    jv_string(receipt_status(form_get(params, "MessageStatus"))));
	r = jv_object_set(r, jv_string("error"), err);
	return jv_object_set(r, jv_string("at"), rfc3339_jv(clock_now()));
}

/* The line for a verified webhook, or invalid when there is nothing to say. */
jv
twilio_line(jv params)
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
parse_params(struct inbound *rq)
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

/* sms-parse -p twilio: its settings, then one verified form post. */
static int
twilio_inbound(struct inbound *in)
{
	const char *url = in->url;
	char *full = NULL;
	int status;
	jv line;

	in->token = conf_get("TWILIO_AUTH_TOKEN");
	if (in->noverify && in->token) {
		note("-n with TWILIO_AUTH_TOKEN set: a webhook that can be verified must be");
		return EXIT_USAGE;
	}
	if (!in->noverify && (in->token == NULL || *in->token == '\0')) {
		note("TWILIO_AUTH_TOKEN is not set (environment or -C file): nothing can be verified");
		return EXIT_CONFIG;
	}
	if (url && *url == '\0')
		url = NULL;
	if (!in->noverify && url == NULL && (conf_get("CALSMS_URL") == NULL ||
	    getenv("SCRIPT_NAME") == NULL || *getenv("SCRIPT_NAME") != '/')) {
		note("no public URL: give the URL Twilio calls with -u or SMS_PARSE_URL, "
		    "or set CALSMS_URL and run under http-hook");
		return EXIT_USAGE;
	}
	if ((status = inbound_read(in)) != 0)
		return status;
	if ((status = parse_params(in)) == 0 && !in->noverify) {
		in->url = full = public_url(url);
		status = verify(in);
	}
	if (status == 0) {
		line = twilio_line(in->params);
		if (in->help_ours && jv_is_valid(line))
			line = jv_object_delete(line, jv_string("answered_by"));
		if (jv_is_valid(line))
			json_print(line);
		else
			jv_free(line);
	}
	free(full);
	return status;
}

const struct provider provider_twilio = {
	"twilio", 1, twilio_setup, twilio_build, twilio_answer, NULL, twilio_inbound
};
