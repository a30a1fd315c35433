/*
 * provider.h: one small interface per SMS provider (twilio.c, sns.c,
 * eum.c, logsms.c): check the settings, build a request, read the answer.
 * provider.c holds what they share.
 */
#ifndef PROVIDER_H
#define PROVIDER_H

#include "curl-load.h"

#include "calsms.h"

#define SMS_MAX_HEADERS 8

/* A request a provider builds; sms-send hands it to libcurl. */
struct sms_request {
	char url[1024];
	char *headers[SMS_MAX_HEADERS];	/* "Name: value" lines */
	int nheaders;
	struct strbuf body;
	const char *user, *password;	/* HTTP basic auth, or NULL */
	const char *content_sid;	/* given: a WhatsApp template's, body its variables */
};
void rq_header(struct sms_request *rq, const char *line);
void rq_free(struct sms_request *rq);

/*
 * OUT_SENT: the provider took it.  OUT_RETRY: provably not taken, try again.
 * OUT_PERMANENT: refused for the recipient.  OUT_HALT: our request or settings
 * are wrong, stop.  OUT_UNKNOWN: it may or may not have been taken.
 */
enum outcome { OUT_SENT, OUT_RETRY, OUT_PERMANENT, OUT_HALT, OUT_UNKNOWN };

struct sms_answer {
	enum outcome outcome;
	char provider_id[128], code[64], message[256];
	int segments;
};

/* An inbound webhook, as sms-parse read its options and CGI variables. */
#define MAX_TOPICS 16
struct inbound {
	const char *path;	/* the body's file, or NULL for stdin */
	char *body;
	size_t len;
	const char *url, *signature, *token, *content_type;
	jv params;	/* [name, value] pairs; an empty array for a JSON body */
	const char *topics[MAX_TOPICS], *cache;	/* sns */
	int ntopics, noverify;
	int help_ours;	/* -H: the provider does not answer HELP; calsms does */
};
#define INBOUND_USAGE (-1)	/* inbound: a usage error; print the synopsis */

struct provider {
	const char *name;
	double rate;	/* default messages per second; 0: no limit */
	int (*setup)(void);	/* 0, or the exit status for missing settings */
	void (*build)(const char *to, const char *body, struct sms_request *rq);
	void (*answer)(long http, int retry_after, const char *body,
	    struct sms_answer *a);
	void (*local)(const char *id, const char *to, const char *body,
	    struct sms_answer *a);	/* providers that need no network */
	int (*inbound)(struct inbound *in);	/* verify a webhook, print its line; or NULL */
};

/* provider.c: the webhook's body, from in->path or stdin */
int inbound_read(struct inbound *in);

/* twilio.c, sns.c: a verified webhook's line, or invalid */
jv twilio_line(jv params);
jv sns_line(jv msg);

extern const struct provider provider_twilio, provider_sns, provider_eum,
    provider_log;

/* provider.c: the providers, by name (NULL: no such provider) */
const struct provider *provider_named(const char *name);

/* provider.c: the "sms" result object a line gets */
struct sms_outcome {
	const char *status, *provider, *to, *body;
	int segments, ucs2, attempts;
	const char *provider_id;
	const char *variant, *channel;	/* the A/B variant, "whatsapp"; or NULL */
};
jv sms_result(jv line, const struct sms_outcome *o, jv err);	/* consumes line, err */
jv sms_error(const char *code, const char *message, int permanent);
jv whatsapp_refusal(void);	/* a free-form text the business starts, on WhatsApp */
int twilio_whatsapp(void);	/* twilio.c: TWILIO_CHANNEL=whatsapp */

/* provider.c: an outage said once when it begins and once when it ends */
struct outage {
	long troubled;	/* messages not sent since the trouble began, or 0 */
};
void outage_note(struct outage *o, const char *provider, const struct sms_answer *a);
void outage_end(struct outage *o, const char *provider);

/* provider.c: shared by the providers */
enum outcome outcome_of_http(long http, int retry_after);
enum outcome outcome_of_curl(CURLcode cc, long sent);
int need(const char *provider, const char *name);
void need_id(struct sms_answer *a, const char *what);
void copy_between(const char *s, const char *open, const char *close,
    char *out, size_t n);

/* aws.c: what SNS and End User Messaging share */
int aws_setup(const char *provider);
void aws_endpoint(struct sms_request *rq, const char *specific, const char *host);
void aws_sign(struct sms_request *rq, const char *service, const char *content_type,
    const char *target);

#endif
