/*
 * api.c: a client of Calendly's API for cal-sync: one libcurl handle with
 * the token, calls that retry only GETs (4 tries by default; a 429 waits
 * what X-RateLimit-Reset or Retry-After says, up to MAX_WAIT), answers
 * parsed as JSON, and collections walked page by page.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "curl-load.h"

#include "calsms.h"
#include "api.h"

#define MAX_ANSWER (16 * 1024 * 1024)
#define MAX_PAGES 100000
#define MAX_WAIT 120	/* longest rate-limit wait honoured, seconds */

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct answer *a = ctx;

	if (a->body.len + size * n > MAX_ANSWER)
		return 0;
	sb_put(&a->body, p, size * n);
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct answer *a = ctx;
	char v[64], *end;
	long secs;

	if (header_value(p, size * n, "Retry-After", v, sizeof v) ||
	    header_value(p, size * n, "X-RateLimit-Reset", v, sizeof v)) {
		secs = strtol(v, &end, 10);
		if (end != v && *end == '\0' && secs >= 0 && secs > a->wait)
			a->wait = secs;
	}
	return size * n;
}

/* Calendly's own words for a refusal: {"title": ..., "message": ...} */
static void
api_message(const struct answer *a, char *out, size_t n)
{
	const char *title = json_str(a->doc, "title"), *msg = json_str(a->doc, "message");

	snprintf(out, n, "%s%s%s", title ? title : "", title && msg ? ": " : "",
	    msg ? msg : "");
	if (*out == '\0')
		snprintf(out, n, "no explanation");
}

static int
refused(const char *method, const char *what, const struct answer *a)
{
	char msg[512];

	api_message(a, msg, sizeof msg);
	switch (a->http) {
	case 401:
		note("%s %s: the token was refused (401, %s): make a new Personal "
		    "Access Token", method, what, msg);
		return EXIT_CONFIG;
	case 403:
		note("%s %s: forbidden (403, %s): webhooks need a paid Calendly plan, "
		    "and organization scope an owner or admin", method, what, msg);
		return EXIT_CONFIG;
	case 404:
		note("%s %s: not found (404, %s)", method, what, msg);
		return EXIT_UNAVAILABLE;
	case 429:
		note("%s %s: still rate limited (429) after waiting", method, what);
		return EXIT_TEMPFAIL;
	}
	if (a->http >= 500) {
		note("%s %s: Calendly answered %ld (%s)%s", method, what, a->http, msg,
		    strcmp(method, "GET") == 0 ? "" : "; it may or may not have been "
		    "done: check with cal-sync status");
		return EXIT_TEMPFAIL;
	}
	note("%s %s: Calendly refused the request (%ld, %s)", method, what, a->http, msg);
	return EXIT_DATA;
}

void
answer_reset(struct answer *a)
{
	sb_free(&a->body);
	jv_free(a->doc);
	*a = (struct answer){ .wait = -1, .doc = jv_null() };
}

static void
perform(struct api *api, const char *method, const char *url, const char *body,
    struct answer *a, CURLcode *cc)
{
	struct curl_slist *h = NULL;
	struct strbuf auth = { 0 };

	answer_reset(a);
	sb_puts(&auth, "Authorization: Bearer ");
	sb_puts(&auth, api->token);
	h = curl_slist_append(h, auth.p);
	h = curl_slist_append(h, "Accept: application/json");
	if (body)
		h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_reset(api->curl);
	curl_easy_setopt(api->curl, CURLOPT_URL, url);
	curl_easy_setopt(api->curl, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(api->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(api->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(api->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(api->curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(api->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(api->curl, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(api->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(api->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(api->curl, CURLOPT_TIMEOUT, api->timeout);
	curl_easy_setopt(api->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(api->curl, CURLOPT_USERAGENT, "calsms-cal-sync");
	*cc = curl_easy_perform(api->curl);
	curl_easy_getinfo(api->curl, CURLINFO_RESPONSE_CODE, &a->http);
	curl_slist_free_all(h);
	sb_free(&auth);
	if (*cc == CURLE_OK && a->body.len)
		a->doc = jv_parse_sized(a->body.p, (int)a->body.len);
}

static int
retryable(CURLcode cc, long http)
{
	if (cc != CURLE_OK)
		return 1;
	return http == 429 || http >= 500;
}

/*
 * One API call.  GETs are tried api->tries times on a connection failure,
 * 429 or 5xx; other methods only on 429, which says nothing was done.
 * The answer's document is a valid object on success (0).
 */
int
api_call(struct api *api, const char *method, const char *url, const char *body,
    const char *what, struct answer *a)
{
	int get = strcmp(method, "GET") == 0, try;
	long pause = 1;
	CURLcode cc = CURLE_OK;

	for (try = 1;; try++) {
		perform(api, method, url, body, a, &cc);
		if (!retryable(cc, a->http) || try >= api->tries ||
		    (!get && (cc != CURLE_OK || a->http != 429)))
			break;
		if (a->http == 429 && a->wait > MAX_WAIT)
			break;
		sleep((unsigned)(a->http == 429 && a->wait >= 0 ? a->wait : pause));
		pause *= 2;
	}
	if (cc != CURLE_OK) {
		note("%s %s: %s%s", method, what, curl_easy_strerror(cc),
		    get ? "" : " (it may or may not have been done: check with "
		    "cal-sync status)");
		return EXIT_TEMPFAIL;
	}
	if (a->http < 200 || a->http > 299)
		return refused(method, what, a);
	if (a->http != 204 && jv_get_kind(a->doc) != JV_KIND_OBJECT) {
		note("%s %s: the answer (%ld) is not a JSON object", method, what, a->http);
		return EXIT_PROTOCOL;
	}
	return 0;
}

char *
api_url(const struct api *api, const char *path, const char *const *query)
{
	struct strbuf b = { 0 };
	int i;

	sb_puts(&b, api->base);
	sb_puts(&b, path);
	for (i = 0; query && query[i]; i += 2) {
		if (query[i + 1] == NULL)
			continue;
		sb_puts(&b, b.len && strchr(b.p, '?') ? "&" : "?");
		sb_pct(&b, query[i], strlen(query[i]));
		sb_put(&b, "=", 1);
		sb_pct(&b, query[i + 1], strlen(query[i + 1]));
	}
	return b.p;
}

int
whoami(struct api *api)
{
	struct answer a = { .doc = jv_null() };
	char *url = api_url(api, "/users/me", NULL);
	jv me;
	const char *user, *org;
	int rc = api_call(api, "GET", url, NULL, "/users/me", &a);

	free(url);
	if (rc == 0) {
		me = json_get(a.doc, "resource");
		user = json_str(me, "uri");
		org = json_str(me, "current_organization");
		if (user && org) {
			snprintf(api->user, sizeof api->user, "%s", user);
			snprintf(api->org, sizeof api->org, "%s", org);
		} else {
			note("GET /users/me: no resource.uri and current_organization");
			rc = EXIT_PROTOCOL;
		}
		jv_free(me);
	}
	answer_reset(&a);
	return rc;
}

const char *
scope_user(const struct api *api)
{
	return strcmp(api->scope, "user") == 0 ? api->user : NULL;
}

/*
 * Every page of a collection, each item given to fn with ctx; fn returns
 * 0 or an exit status that stops the walk.
 */
int
collection(struct api *api, const char *path, const char **query, int token_at,
    int (*fn)(struct api *, jv, void *), void *ctx)
{
	struct answer a = { .doc = jv_null() };
	char *url, *token = NULL;
	int rc = 0, pages, i, n;
	jv items, next;

	for (pages = 0; rc == 0 && pages < MAX_PAGES; pages++) {
		query[token_at] = token;
		url = api_url(api, path, query);
		rc = api_call(api, "GET", url, NULL, path, &a);
		free(url);
		free(token);
		token = NULL;
		if (rc != 0)
			break;
		items = json_get(a.doc, "collection");
		if (jv_get_kind(items) != JV_KIND_ARRAY) {
			note("GET %s: the answer has no collection", path);
			rc = EXIT_PROTOCOL;
		}
		n = rc ? 0 : jv_array_length(jv_copy(items));
		for (i = 0; i < n && rc == 0; i++)
			rc = fn(api, jv_array_get(jv_copy(items), i), ctx);
		jv_free(items);
		next = json_path(a.doc, "pagination", "next_page_token", NULL);
		if (jv_get_kind(next) == JV_KIND_STRING && *jv_string_value(next))
			token = strdup(jv_string_value(next));
		jv_free(next);
		if (token == NULL)
			break;
	}
	query[token_at] = NULL;
	free(token);
	answer_reset(&a);
	return rc;
}
