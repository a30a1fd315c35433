/*
 * sns.c: AWS SNS Publish to a phone number, over the Query API, signed
 * with SigV4.  The answer is XML: MessageId, or Error/Code and Message.
 */
#include <stdio.h>
#include <string.h>

#include "provider.h"

static int
sns_setup(void)
{
	return aws_setup("sns");
}

static void
attribute(struct strbuf *b, int n, const char *name, const char *value)
{
	char key[96];

	snprintf(key, sizeof key, "MessageAttributes.entry.%d.Name", n);
	sb_form(b, key, name);
	snprintf(key, sizeof key, "MessageAttributes.entry.%d.Value.DataType", n);
	sb_form(b, key, "String");
	snprintf(key, sizeof key, "MessageAttributes.entry.%d.Value.StringValue", n);
	sb_form(b, key, value);
}

static void
sns_build(const char *to, const char *body, struct sms_request *rq)
{
	const char *sender = conf_get("SNS_SENDER_ID"), *from = conf_get("SNS_ORIGINATION_NUMBER");
	int n = 1;

	aws_endpoint(rq, "AWS_ENDPOINT_URL_SNS", "sns");
	sb_form(&rq->body, "Action", "Publish");
	sb_form(&rq->body, "PhoneNumber", to);
	sb_form(&rq->body, "Message", body);
	attribute(&rq->body, n++, "AWS.SNS.SMS.SMSType", "Transactional");
	if (sender)
		attribute(&rq->body, n++, "AWS.SNS.SMS.SenderID", sender);
	if (from)
		attribute(&rq->body, n++, "AWS.MM.SMS.OriginationNumber", from);
	sb_form(&rq->body, "Version", "2010-03-31");
	aws_sign(rq, "sns", "application/x-www-form-urlencoded; charset=utf-8", NULL);
}

/* refusals: the message was not taken */
static const char *const retry_codes[] = { "Throttling", "ThrottlingException",
	"Throttled", "RequestThrottled", "KMSThrottling", NULL };

static void
sns_answer(long http, int retry_after, const char *body, struct sms_answer *a)
{
	a->outcome = outcome_of_http(http, retry_after);
	copy_between(body, "<MessageId>", "</MessageId>", a->provider_id, sizeof a->provider_id);
	copy_between(body, "<Code>", "</Code>", a->code, sizeof a->code);
	copy_between(body, "<Message>", "</Message>", a->message, sizeof a->message);
	if (str_listed(a->code, retry_codes))
		a->outcome = RETRY;
	else if (strcmp(a->code, "OptedOut") == 0)
		a->outcome = PERMANENT;
	else if (strcmp(a->code, "InvalidParameter") == 0 && strstr(a->message, "PhoneNumber"))
		a->outcome = PERMANENT;	/* the number, not our request */
	need_id(a, "MessageId");
}

const struct provider provider_sns = {
	"sns", 20, sns_setup, sns_build, sns_answer, NULL
};
