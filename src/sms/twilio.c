/*
 * twilio.c: Twilio's Messages API.  POST the form to
 * {TWILIO_API_URL}/2010-04-01/Accounts/{sid}/Messages.json with basic
 * auth; 201 carries sid and num_segments, errors a JSON code and message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider.h"

static int
twilio_setup(void)
{
	int r = need("twilio", "TWILIO_ACCOUNT_SID") | need("twilio", "TWILIO_AUTH_TOKEN");

	if (!conf_get("TWILIO_FROM") && !conf_get("TWILIO_MESSAGING_SERVICE_SID")) {
		note("twilio: TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is not set "
		    "(environment or -C file)");
		r = EXIT_CONFIG;
	}
	return r;
}

static void
twilio_build(const char *to, const char *body, struct sms_request *rq)
{
	const char *base = conf_get("TWILIO_API_URL"), *sid = conf_get("TWILIO_ACCOUNT_SID");
	const char *cb = conf_get("TWILIO_STATUS_CALLBACK");

	snprintf(rq->url, sizeof rq->url, "%s/2010-04-01/Accounts/%s/Messages.json",
	    base ? base : "https://api.twilio.com", sid);
	sb_form(&rq->body, "To", to);
	if (conf_get("TWILIO_MESSAGING_SERVICE_SID"))
		sb_form(&rq->body, "MessagingServiceSid", conf_get("TWILIO_MESSAGING_SERVICE_SID"));
	else
		sb_form(&rq->body, "From", conf_get("TWILIO_FROM"));
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
		a->outcome = RETRY;	/* too many requests, whatever the status */
	else if (a->outcome == HALT && str_listed(a->code, recipient_codes))
		a->outcome = PERMANENT;
	need_id(a, "sid");
}

const struct provider provider_twilio = {
	"twilio", 1, twilio_setup, twilio_build, twilio_answer, NULL
};
