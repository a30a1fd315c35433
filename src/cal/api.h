/* api.h: cal-sync's client of Calendly's API (api.c) */
#ifndef API_H
#define API_H

#include "curl-load.h"
#include <jv.h>

#include "calsms.h"

#define EXIT_PROTOCOL 76	/* an answer that is not what the API documents */

struct api {
	CURL *curl;
	char *base, *token;
	long timeout;
	int tries;	/* attempts for a GET */
	char user[512], org[512];
	const char *scope;
};

struct answer {
	long http;
	long wait;	/* seconds the server asked us to wait, or -1 */
	struct strbuf body;
	jv doc;
};

void answer_reset(struct answer *a);
int api_call(struct api *api, const char *method, const char *url, const char *body,
    const char *what, struct answer *a);
char *api_url(const struct api *api, const char *path, const char *const *query);
int whoami(struct api *api);
const char *scope_user(const struct api *api);
int collection(struct api *api, const char *path, const char **query, int token_at,
    int (*fn)(struct api *, jv, void *), void *ctx);

#endif
