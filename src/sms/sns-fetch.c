/*
 * sns-fetch.c: the URLs SNS may send us to, and fetching one: a
 * certificate (sns-verify.c) or a subscription's confirmation (sns.c).
 * libcurl is loaded only when something must be fetched (curl-load.c):
 * most webhooks (every Twilio one, every SNS one after the first) fetch
 * nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "provider.h"
#include "sns-verify.h"

/*
 * https://sns.<region>.amazonaws.com[.cn]/<path>, and for the certificate
 * a path ending in .pem.  SMS_PARSE_TEST_HOST (tests only) also allows
 * http://<that host:port>/.
 */
int
sns_url_ok(const char *url, int pem)
{
	const char *test = getenv("SMS_PARSE_TEST_HOST"), *host, *end, *dot;
	size_t n, hl;

	if (url == NULL || (n = strlen(url)) > 1024 || strpbrk(url, " \t\r\n\\@") != NULL)
		return 0;
	if (pem && (n < 5 || strcmp(url + n - 4, ".pem") != 0))
		return 0;
	if (test && *test && strncmp(url, "http://", 7) == 0 &&
	    strncmp(url + 7, test, strlen(test)) == 0 && url[7 + strlen(test)] == '/')
		return 1;
	if (strncmp(url, "https://", 8) != 0)
		return 0;
	host = url + 8;
	end = host + strcspn(host, "/?#");
	hl = (size_t)(end - host);
	if (*end != '/' || hl < 4 || strncmp(host, "sns.", 4) != 0)
		return 0;
	dot = memchr(host + 4, '.', hl - 4);
	if (dot == NULL || dot == host + 4)
		return 0;
	for (const char *p = host + 4; p < dot; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	hl = (size_t)(end - dot);
	return (hl == 14 && strncmp(dot, ".amazonaws.com", hl) == 0) ||
	    (hl == 17 && strncmp(dot, ".amazonaws.com.cn", hl) == 0);
}

static size_t
collect(char *p, size_t size, size_t n, void *data)
{
	struct strbuf *b = data;

	if (b->len + size * n > CERT_MAX)
		return 0;
	sb_put(b, p, size * n);
	return size * n;
}

/* GETs url into b (at most CERT_MAX bytes); 0 on a 2xx. */
int
sns_get(const char *url, struct strbuf *b)
{
	CURL *c;
	long http = 0;
	CURLcode cc;

	if (curl_load() != 0 || (c = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "calsms-sms-parse");
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK)
		note("%s: %s", url, curl_easy_strerror(cc));
	else if (http < 200 || http > 299)
		note("%s: HTTP %ld", url, http);
	return cc == CURLE_OK && http >= 200 && http <= 299 ? 0 : -1;
}

