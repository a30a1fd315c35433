/*
 * eum.c: AWS End User Messaging SMS (pinpoint-sms-voice-v2)
 * SendTextMessage: a JSON body, X-Amz-Target, SigV4 as "sms-voice".
 * Errors are {"__type": "...#Code", "message"}.
 */
#include <stdio.h>
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

static void
eum_answer(long http, const char *body, struct sms_answer *a)
{
	jv doc = jv_parse(body ? body : "");
	const char *type = json_str(doc, "__type"), *hash;
	const char *msg = json_str(doc, "message") ? json_str(doc, "message") : json_str(doc, "Message");

	a->outcome = outcome_of_http(http);
	snprintf(a->provider_id, sizeof a->provider_id, "%s",
	    json_str(doc, "MessageId") ? json_str(doc, "MessageId") : "");
	if (type) {
		hash = strrchr(type, '#');
		snprintf(a->code, sizeof a->code, "%s", hash ? hash + 1 : type);
	}
	snprintf(a->message, sizeof a->message, "%s", msg ? msg : "");
	jv_free(doc);
	if (strcmp(a->code, "ThrottlingException") == 0 ||
	    strcmp(a->code, "InternalServerException") == 0 ||
	    strcmp(a->code, "ServiceQuotaExceededException") == 0)
		a->outcome = RETRY;
	else if (strcmp(a->code, "ValidationException") == 0 ||
	    strcmp(a->code, "ConflictException") == 0 ||
	    strcmp(a->code, "ResourceNotFoundException") == 0)
		a->outcome = PERMANENT;
	if (a->outcome == SENT && *a->provider_id == '\0') {
		a->outcome = RETRY;
		snprintf(a->message, sizeof a->message, "no MessageId in the answer");
	}
}

const struct provider provider_eum = {
	"eum", 1, eum_setup, eum_build, eum_answer, NULL
};
