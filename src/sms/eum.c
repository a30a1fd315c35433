/*
 * eum.c: AWS End User Messaging SMS (pinpoint-sms-voice-v2)
 * SendTextMessage: a JSON body, X-Amz-Target, SigV4 as "sms-voice".
 * Errors are {"__type": "...#Code", "message"}.
 */
#include <stdio.h>
#include <ctype.h>
#include <string.h>

#include "provider.h"

static int
eum_setup(void)
{
	return aws_setup("eum") | need("eum", "EUM_ORIGINATION_IDENTITY");
}

static void
eum_build(const char *to, const char *body, struct sms_request *rq)
{
	jv req = jv_object();
	jv s;

	aws_endpoint(rq, "AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", "sms-voice");
	req = jv_object_set(req, jv_string("DestinationPhoneNumber"), jv_string(to));
	req = jv_object_set(req, jv_string("OriginationIdentity"),
	    jv_string(conf_get("EUM_ORIGINATION_IDENTITY")));
	req = jv_object_set(req, jv_string("MessageBody"), jv_string(body));
	req = jv_object_set(req, jv_string("MessageType"), jv_string("TRANSACTIONAL"));
	s = jv_dump_string(req, 0);
	sb_puts(&rq->body, jv_string_value(s));
	jv_free(s);
	aws_sign(rq, "sms-voice", "application/x-amz-json-1.0",
	    "PinpointSMSVoiceV2.SendTextMessage");
}

/* A validation error about the destination number, not our request. */
static int
about_number(const char *message)
{
	char low[256];
	size_t i;

	for (i = 0; message[i] && i < sizeof low - 1; i++)
		low[i] = (char)tolower((unsigned char)message[i]);
	low[i] = '\0';
	return strstr(low, "destinationphonenumber") != NULL;
}

static const char *const retry_codes[] = { "ThrottlingException",
	"ServiceQuotaExceededException", NULL };

static void
eum_answer(long http, int retry_after, const char *body, struct sms_answer *a)
{
	jv doc = jv_parse(body ? body : "");
	const char *type = json_str(doc, "__type"), *hash;
	const char *msg = json_str(doc, "message") ? json_str(doc, "message") : json_str(doc, "Message");
	const char *reason = json_str(doc, "Reason");
	int opted_out = reason && strstr(reason, "OPTED_OUT") != NULL;

	a->outcome = outcome_of_http(http, retry_after);
	snprintf(a->provider_id, sizeof a->provider_id, "%s",
	    json_str(doc, "MessageId") ? json_str(doc, "MessageId") : "");
	if (type) {
		hash = strrchr(type, '#');
		snprintf(a->code, sizeof a->code, "%s", hash ? hash + 1 : type);
	}
	snprintf(a->message, sizeof a->message, "%s", msg ? msg : "");
	jv_free(doc);
	if (str_listed(a->code, retry_codes))
		a->outcome = OUT_RETRY;
	else if (strcmp(a->code, "ConflictException") == 0 && opted_out) {
		a->outcome = OUT_PERMANENT;	/* the destination opted out */
		snprintf(a->code, sizeof a->code, "OptedOut");
	}
	else if (strcmp(a->code, "ValidationException") == 0 && about_number(a->message))
		a->outcome = OUT_PERMANENT;
	need_id(a, "MessageId");
}

const struct provider provider_eum = {
	"eum", 1, eum_setup, eum_build, eum_answer, NULL, NULL
};
