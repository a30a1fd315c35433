/*
 * aws.c: what AWS's SMS services share: credentials and region from AWS's
 * own variables, endpoints (service-specific variable, then
 * AWS_ENDPOINT_URL, then the public one), and the SigV4 headers.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "provider.h"
#include "sigv4.h"

#define TOKEN_MAX 8192	/* STS session tokens run to a few KB */

static const char *
region(void)
{
	return conf_get("AWS_REGION") ? conf_get("AWS_REGION") : conf_get("AWS_DEFAULT_REGION");
}

int
aws_setup(const char *provider)
{
	int r = need(provider, "AWS_ACCESS_KEY_ID") | need(provider, "AWS_SECRET_ACCESS_KEY");

	if (conf_get("AWS_SESSION_TOKEN") && strlen(conf_get("AWS_SESSION_TOKEN")) > TOKEN_MAX) {
		note("%s: AWS_SESSION_TOKEN is longer than %d bytes", provider, TOKEN_MAX);
		r = EXIT_CONFIG;
	}
	if (region() == NULL) {
		note("%s: AWS_REGION is not set (environment or -C file)", provider);
		r = EXIT_CONFIG;
	}
	return r;
}

void
aws_endpoint(struct sms_request *rq, const char *specific, const char *host)
{
	const char *e = conf_get(specific);

	if (e == NULL)
		e = conf_get("AWS_ENDPOINT_URL");
	if (e)
		snprintf(rq->url, sizeof rq->url, "%s", e);
	else
		snprintf(rq->url, sizeof rq->url, "https://%s.%s.amazonaws.com/", host, region());
}

/* Host header and path, as curl will send them for rq->url. */
static void
split_url(const char *url, char *host, size_t hn, char *path, size_t pn)
{
	const char *h = strstr(url, "://"), *slash;
	int https = strncmp(url, "https:", 6) == 0;
	size_t len;

	h = h ? h + 3 : url;
	slash = strchr(h, '/');
	len = slash ? (size_t)(slash - h) : strlen(h);
	snprintf(host, hn, "%.*s", (int)len, h);
	/* curl leaves a default port out of Host */
	len = strlen(host);
	if (https && len > 4 && strcmp(host + len - 4, ":443") == 0)
		host[len - 4] = '\0';
	else if (!https && len > 3 && strcmp(host + len - 3, ":80") == 0)
		host[len - 3] = '\0';
	snprintf(path, pn, "%s", slash ? slash : "/");
}

void
aws_sign(struct sms_request *rq, const char *service, const char *content_type,
    const char *target)
{
	struct sigv4_key k = { conf_get("AWS_ACCESS_KEY_ID"),
	    conf_get("AWS_SECRET_ACCESS_KEY"), region(), service };
	const char *token = conf_get("AWS_SESSION_TOKEN"), *hs[5];
	char host[512], path[512], date[20], auth[512], h[5][TOKEN_MAX + 32], line[TOKEN_MAX + 32];
	time_t now = (time_t)clock_now();
	struct tm tm;
	int n = 0, i;

	split_url(rq->url, host, sizeof host, path, sizeof path);
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(h[n++], sizeof h[0], "content-type:%s", content_type);
	snprintf(h[n++], sizeof h[0], "host:%s", host);
	snprintf(h[n++], sizeof h[0], "x-amz-date:%s", date);
	if (token)
		snprintf(h[n++], sizeof h[0], "x-amz-security-token:%s", token);
	if (target)
		snprintf(h[n++], sizeof h[0], "x-amz-target:%s", target);
	for (i = 0; i < n; i++)
		hs[i] = h[i];
	sigv4_sign(&k, "POST", path, NULL, hs, n, rq->body.p ? rq->body.p : "",
	    rq->body.len, date, auth, sizeof auth);
	snprintf(line, sizeof line, "Content-Type: %s", content_type);
	rq_header(rq, line);
	snprintf(line, sizeof line, "X-Amz-Date: %s", date);
	rq_header(rq, line);
	if (token) {
		snprintf(line, sizeof line, "X-Amz-Security-Token: %s", token);
		rq_header(rq, line);
	}
	if (target) {
		snprintf(line, sizeof line, "X-Amz-Target: %s", target);
		rq_header(rq, line);
	}
	snprintf(line, sizeof line, "Authorization: %s", auth);
	rq_header(rq, line);
	rq_header(rq, "Expect:");
}
