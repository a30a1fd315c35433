/*
 * provider.c: what every provider shares: naming missing settings, and
 * what an HTTP answer means for the message.  The rule throughout: only an
 * answer that proves the provider did not take the message may be retried
 * (a retry must never be a second SMS); only an answer about the recipient
 * fails the conversation; an answer about our request stops the run.
 */
#include <stdio.h>
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
		return SENT;
	if (http == 429 || (http == 503 && retry_after))
		return RETRY;
	if (http == 408 || http >= 500 || http == 0)
		return UNKNOWN;
	return HALT;
}

/* A 2xx without the provider's id: it may well have the message. */
void
need_id(struct sms_answer *a, const char *what)
{
	if (a->outcome != SENT || *a->provider_id)
		return;
	a->outcome = UNKNOWN;
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
