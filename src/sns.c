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

static const char *retry_codes[] = { "Throttling", "ThrottlingException", "Throttled",
	"RequestThrottled", "ServiceUnavailable", "InternalError", "InternalFailure",
	"KMSThrottling", NULL };
static const char *halt_codes[] = { "SignatureDoesNotMatch", "InvalidClientTokenId",
	"ExpiredToken", "IncompleteSignature", "MissingAuthenticationToken", NULL };

static int
listed(const char *code, const char **list)
{
	for (; *list; list++)
		if (strcmp(code, *list) == 0)
			return 1;
	return 0;
}

static void
sns_answer(long http, const char *body, struct sms_answer *a)
{
	a->outcome = outcome_of_http(http);
	copy_between(body, "<MessageId>", "</MessageId>", a->provider_id, sizeof a->provider_id);
	copy_between(body, "<Code>", "</Code>", a->code, sizeof a->code);
	copy_between(body, "<Message>", "</Message>", a->message, sizeof a->message);
	if (listed(a->code, retry_codes))
		a->outcome = RETRY;
	else if (listed(a->code, halt_codes))
		a->outcome = HALT;
	else if (a->outcome == HALT && *a->code)
		a->outcome = PERMANENT;	/* AuthorizationError: not this number */
	if (a->outcome == SENT && *a->provider_id == '\0') {
		a->outcome = RETRY;
		snprintf(a->message, sizeof a->message, "no MessageId in the answer");
	}
}

const struct provider provider_sns = {
	"sns", 20, sns_setup, sns_build, sns_answer, NULL
};
