/*
 * sns.c: AWS SNS, both ways.  Out: Publish to a phone number, over the
 * Query API, signed with SigV4; the answer is XML: MessageId, or
 * Error/Code and Message.  In: a notification of a topic we accept,
 * verified by its RSA signature (sns-verify.c): End User Messaging's
 * two-way SMS as a reply, its delivery events as receipts, and a
 * subscription confirmed by visiting its SubscribeURL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules.h"
#include "sns-verify.h"

#include "provider.h"

int (*sns_verifier)(jv msg, const char *cache);

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
		a->outcome = OUT_RETRY;
	else if (strcmp(a->code, "OptedOut") == 0)
		a->outcome = OUT_PERMANENT;
	else if (strcmp(a->code, "InvalidParameter") == 0 && strstr(a->message, "PhoneNumber"))
		a->outcome = OUT_PERMANENT;	/* the number, not our request */
	need_id(a, "MessageId");
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
		    json_text(json_str(ev, "messageStatusDescription")));
	}
	r = jv_object_set(r, jv_string("type"), jv_string("receipt"));
	r = jv_object_set(r, jv_string("provider"), jv_string("eum"));
	r = jv_object_set(r, jv_string("provider_id"), json_text(json_str(ev, "messageId")));
	r = jv_object_set(r, jv_string("status"), jv_string(status));
	r = jv_object_set(r, jv_string("error"), err);
	return jv_object_set(r, jv_string("at"), time_of_ms(ts));
}

static jv
sns_reply(jv in)
{
	const char *body = json_str(in, "messageBody"), *intent;
	jv r = jv_object();

	r = jv_object_set(r, jv_string("type"), jv_string("reply"));
	r = jv_object_set(r, jv_string("from"), json_text(json_str(in, "originationNumber")));
	r = jv_object_set(r, jv_string("to"), json_text(json_str(in, "destinationNumber")));
	r = jv_object_set(r, jv_string("body"), json_text(body));
	intent = reply_intent(body ? body : "", 1);
	r = jv_object_set(r, jv_string("intent"), jv_string(intent));
	r = jv_object_set(r, jv_string("provider"), jv_string("sns"));
	r = jv_object_set(r, jv_string("provider_id"),
	    json_text(json_str(in, "inboundMessageId")));
	r = jv_object_set(r, jv_string("in_reply_to"),
	    json_text(json_str(in, "previousPublishedMessageId")));
	/* AWS answers a message that begins with HELP with its keyword response */
	if (strcmp(intent, "help") == 0 && body && strncasecmp(body + strspn(body, " \t\r\n"), "help", 4) == 0)
		r = jv_object_set(r, jv_string("answered_by"), jv_string("aws"));
	return jv_object_set(r, jv_string("received_at"), rfc3339_jv(clock_now()));
}

/* A verified notification's Message: an inbound SMS, an event, or nothing. */
jv
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
topic_ok(const struct inbound *rq, const char *topic)
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

/*
 * A signed message older than an hour is a replay: SNS delivers within
 * seconds and retries for about an hour at most, and the signature holds
 * the Timestamp, so nobody can freshen it.
 */
#define SNS_MAX_AGE 3600

static int
stale(jv msg)
{
	int64_t t;
	const char *ts = json_str(msg, "Timestamp");

	if (ts == NULL || rfc3339_parse(ts, &t) != 0) {
		note("Timestamp %.40s: not a time: refused", ts ? ts : "(none)");
		return 1;
	}
	if (clock_now() - t > SNS_MAX_AGE) {
		note("Timestamp %.40s is more than an hour old: a replay, refused", ts);
		return 1;
	}
	return 0;
}

static int
sns_notification(struct inbound *rq)
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
	} else if (sns_verifier == NULL) {
		note("no SNS signature check in this program: refused");
		status = EXIT_SOFTWARE;
	} else if ((status = sns_verifier(msg, rq->cache)) != 0)
		;
	else if (stale(msg))
		status = EXIT_NOPERM;
	else if (strcmp(type, "SubscriptionConfirmation") == 0)
		status = sns_subscribe(msg);
	else if (strcmp(type, "Notification") == 0) {
		line = sns_line(msg);
		if (rq->help_ours && jv_is_valid(line))
			line = jv_object_delete(line, jv_string("answered_by"));
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

/* sms-parse -p sns: the topics it accepts, then one verified notification. */
static int
sns_inbound(struct inbound *in)
{
	int status;

	if (in->ntopics == 0) {
		note("-p sns needs the topics it accepts: -a topic-arn");
		return INBOUND_USAGE;
	}
	if ((status = inbound_read(in)) != 0)
		return status;
	return sns_notification(in);
}

const struct provider provider_sns = {
	"sns", 20, sns_setup, sns_build, sns_answer, NULL, sns_inbound
};
