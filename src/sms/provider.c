/*
 * provider.c: what every provider shares: naming missing settings, and
 * what an HTTP answer means for the message.  The rule throughout: only an
 * answer that proves the provider did not take the message may be retried
 * (a retry must never be a second SMS); only an answer about the recipient
 * fails the conversation; an answer about our request stops the run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider.h"

/* Missing settings are named once, with where they may come from. */
int
need(const char *provider, const char *name)
{
	if (conf_get(name))
		return 0;
	note("%s: %s is not set (environment or -C file)", provider, name);
	return EXIT_CONFIG;
}

/*
 * The outcome an HTTP status alone says; providers refine it with their
 * error codes.  429, and 503 with Retry-After, are refusals: retried.
 * Other 5xx and 408 may come after the provider took the message: unknown.
 * Any other 4xx says our request is wrong unless the provider names the
 * recipient as the reason.
 */
enum outcome
outcome_of_http(long http, int retry_after)
{
	if (http >= 200 && http < 300)
		return OUT_SENT;
	if (http == 429 || (http == 503 && retry_after))
		return OUT_RETRY;
	if (http == 408 || http >= 500 || http == 0)
		return OUT_UNKNOWN;
	return OUT_HALT;
}

/* A 2xx without the provider's id: it may well have the message. */
void
need_id(struct sms_answer *a, const char *what)
{
	if (a->outcome != OUT_SENT || *a->provider_id)
		return;
	a->outcome = OUT_UNKNOWN;
	snprintf(a->code, sizeof a->code, "no_id");
	snprintf(a->message, sizeof a->message, "no %s in the provider's answer", what);
}

/* The text between open and close in s, or "". */
void
copy_between(const char *s, const char *open, const char *close, char *out, size_t n)
{
	const char *a = s ? strstr(s, open) : NULL, *b;

	*out = '\0';
	if (a == NULL)
		return;
	a += strlen(open);
	if ((b = strstr(a, close)) == NULL)
		return;
	snprintf(out, n, "%.*s", (int)(b - a), a);
}

const struct provider *
provider_named(const char *name)
{
	static const struct provider *all[] = { &provider_twilio, &provider_sns,
	    &provider_eum, &provider_log };
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

jv
sms_error(const char *code, const char *message, int permanent)
{
	jv e = jv_object();

	e = jv_object_set(e, jv_string("code"), jv_string(code));
	e = jv_object_set(e, jv_string("message"), jv_string(message));
	return jv_object_set(e, jv_string("permanent"), jv_bool(permanent));
}

jv
sms_result(jv line, const struct sms_outcome *o, jv err)
{
	jv s = jv_object();

	s = jv_object_set(s, jv_string("status"), jv_string(o->status));
	s = jv_object_set(s, jv_string("provider"), jv_string(o->provider));
	s = jv_object_set(s, jv_string("provider_id"), o->provider_id && *o->provider_id ?
	    jv_string(o->provider_id) : jv_null());
	s = jv_object_set(s, jv_string("to"), o->to && *o->to ? jv_string(o->to) : jv_null());
	s = jv_object_set(s, jv_string("body"), o->body ? jv_string(o->body) : jv_null());
	s = jv_object_set(s, jv_string("segments"), jv_number(o->segments));
	s = jv_object_set(s, jv_string("encoding"), jv_string(o->ucs2 ? "ucs2" : "gsm7"));
	s = jv_object_set(s, jv_string("attempts"), jv_number(o->attempts));
	s = jv_object_set(s, jv_string("at"), rfc3339_jv(clock_now()));
	s = jv_object_set(s, jv_string("error"), err);
	if (o->variant)	/* for conv-store report --by variant */
		s = jv_object_set(s, jv_string("variant"), jv_string(o->variant));
	if (o->channel)
		s = jv_object_set(s, jv_string("channel"), jv_string(o->channel));
	return jv_object_set(line, jv_string("sms"), s);
}

/*
 * An outage is said once when it begins and once when it ends, with how
 * many messages it held back: a hundred messages that cannot go are one
 * line, not a hundred.
 */
void
outage_note(struct outage *o, const char *provider, const struct sms_answer *a)
{
	if (a->outcome == OUT_SENT && o->troubled > 0) {
		note("%s: sending again; %ld message%s not sent meanwhile", provider,
		    o->troubled, o->troubled == 1 ? "" : "s");
		o->troubled = 0;
	} else if (a->outcome == OUT_RETRY || a->outcome == OUT_UNKNOWN) {
		if (o->troubled++ == 0)
			note("%s: %s%s%.200s: %s", provider, a->code, *a->message ? ": " : "",
			    a->message, a->outcome == OUT_RETRY ?
			    "not sent; what cannot go stays due and is tried again later" :
			    "kept claimed; it becomes uncertain when its lease lapses");
	}
}

/* At the end: an outage that had not ended yet. */
void
outage_end(struct outage *o, const char *provider)
{
	if (o->troubled > 0)
		note("%s: %ld message%s not sent (still failing at the end)", provider,
		    o->troubled, o->troubled == 1 ? "" : "s");
}

/*
 * What a transfer that failed means: OUT_HALT for settings no retry can mend
 * (the URL, the TLS certificate); OUT_RETRY when it provably never reached
 * the provider (no connection made, not one byte of the request written,
 * sent bytes); OUT_UNKNOWN otherwise.
 */
enum outcome
outcome_of_curl(CURLcode cc, long sent)
{
	switch (cc) {
	case CURLE_UNSUPPORTED_PROTOCOL: case CURLE_URL_MALFORMAT:
	case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM: case CURLE_LOGIN_DENIED:
		return OUT_HALT;
	case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT: case CURLE_SSL_CONNECT_ERROR:
		return OUT_RETRY;
	default:
		return sent == 0 ? OUT_RETRY : OUT_UNKNOWN;
	}
}

/* Adds one "Name: value" line to the request (copied). */
void
rq_header(struct sms_request *rq, const char *line)
{
	if (rq->nheaders < SMS_MAX_HEADERS && (rq->headers[rq->nheaders] = strdup(line)))
		rq->nheaders++;
}

void
rq_free(struct sms_request *rq)
{
	while (rq->nheaders > 0)
		free(rq->headers[--rq->nheaders]);
	sb_free(&rq->body);
	memset(rq, 0, sizeof *rq);
}

#define MAX_BODY (1024 * 1024)

/* Reads the webhook's body whole; an exit status. */
int
inbound_read(struct inbound *in)
{
	FILE *f = stdin;
	int big;

	if (in->path && strcmp(in->path, "-") != 0 && (f = fopen(in->path, "rb")) == NULL) {
		note("%s: %s", in->path, strerror(errno));
		return EXIT_NOINPUT;
	}
	in->body = read_all(f, MAX_BODY, &in->len, &big);
	if (f != stdin)
		fclose(f);
	if (in->body == NULL) {
		note("%s", big ? "body larger than 1 MiB: not a provider webhook" : "read error");
		return big ? EXIT_DATA : EXIT_IOERR;
	}
	return 0;
}

/*
 * A free-form text the business starts, on WhatsApp: refused for good
 * (the line settles failed and is not retried).
 */
jv
whatsapp_refusal(void)
{
	return sms_error("whatsapp_freeform", "WhatsApp takes a message the business starts "
	    "only as an approved template: give DIR/<due>.content its ContentSid", 1);
}
