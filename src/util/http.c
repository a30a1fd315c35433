/*
 * http.c: an HTTP/1.x request head as http-hook reads it (RFC 9112): where
 * the head ends, its request line and fields parsed in place, a field by
 * name, and the Content-Length rules.  Each refusal is the HTTP status to
 * answer with.  Pure: the fuzz target tests/fuzz/http-head.c drives it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/*
 * The length of the head in buf: up to the first empty line, ended by
 * CRLF or a bare LF (RFC 9112 allows both), whatever the body holds after
 * it; 0 while there is none yet.
 */
size_t
head_end(const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < n && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

int
http_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
			return 0;
	return 1;
}

char *
http_next_line(char **p)
{
	char *line = *p, *nl = strchr(line, '\n');

	if (nl == NULL)
		return NULL;
	*nl = '\0';
	if (nl > line && nl[-1] == '\r')
		nl[-1] = '\0';
	*p = nl + 1;
	return line;
}

/* Only visible ASCII, as RFC 9112 allows in a request target. */
static int
visible(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static int
parse_fields(struct request *rq)
{
	char *p = rq->head, *line, *sp, *colon, *v, *e;

	line = http_next_line(&p);
	if (line == NULL || (sp = strchr(line, ' ')) == NULL)
		return 400;
	*sp = '\0';
	rq->method = line;
	rq->target = sp + 1;
	if ((sp = strchr(rq->target, ' ')) == NULL)
		return 400;
	*sp = '\0';
	rq->version = sp + 1;
	if (!http_token(rq->method) || rq->target[0] != '/' ||
	    strchr(rq->version, ' ') || !visible(rq->target))
		return 400;	/* a control byte (CR, ESC) in the target reaches no log or handler */
	if (strncmp(rq->version, "HTTP/", 5) != 0 ||
	    !isdigit((unsigned char)rq->version[5]) || rq->version[6] != '.' ||
	    !isdigit((unsigned char)rq->version[7]) || rq->version[8])
		return 400;
	if (strcmp(rq->version, "HTTP/1.1") != 0 && strcmp(rq->version, "HTTP/1.0") != 0)
		return 505;
	if ((rq->query = strchr(rq->target, '?')) != NULL)
		*rq->query++ = '\0';
	while ((line = http_next_line(&p)) != NULL && *line) {
		if (isspace((unsigned char)*line) || (colon = strchr(line, ':')) == NULL)
			return 400;	/* obsolete folding, or not a field */
		if (strchr(line, '\r'))
			return 400;	/* a bare CR must not reach a handler's environment */
		*colon = '\0';
		if (!http_token(line) || rq->nheaders == MAX_HEADERS)
			return rq->nheaders == MAX_HEADERS ? 431 : 400;
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		rq->names[rq->nheaders] = line;
		rq->values[rq->nheaders++] = v;
	}
	return 0;
}

/* The head is parsed in place; the body's first bytes follow it. */
int
parse_head(struct request *rq)
{
	char first_body_byte = rq->head[rq->head_len];
	int code;

	rq->head[rq->head_len] = '\0';
	code = parse_fields(rq);
	rq->head[rq->head_len] = first_body_byte;
	return code;
}

const char *
header(const struct request *rq, const char *name, int *count)
{
	const char *v = NULL;
	int i, n = 0;

	for (i = 0; i < rq->nheaders; i++)
		if (strcasecmp(rq->names[i], name) == 0) {
			if (v == NULL)
				v = rq->values[i];
			n++;
		}
	if (count)
		*count = n;
	return v;
}

int
content_length(const struct request *rq, size_t max, size_t *len)
{
	const char *v, *te = header(rq, "Transfer-Encoding", NULL);
	char *end;
	unsigned long long n;
	int count, i;

	v = header(rq, "Content-Length", &count);
	if (te != NULL)
		return v ? 400 : 411;	/* no chunked bodies; both is smuggling */
	if (v == NULL)
		return strcmp(rq->method, "POST") == 0 || strcmp(rq->method, "PUT") == 0 ? 411 : 0;
	for (i = 0; i < rq->nheaders; i++)
		if (strcasecmp(rq->names[i], "Content-Length") == 0 &&
		    strcmp(rq->values[i], v) != 0)
			return 400;
	if (!isdigit((unsigned char)*v))
		return 400;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end || errno)
		return errno ? 413 : 400;
	if (n > max)
		return 413;
	*len = (size_t)n;
	return 0;
}

/* The reason phrase of a status, for the status line. */
const char *
http_reason(int code)
{
	switch (code) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return code < 300 ? "OK" : code < 500 ? "Client Error" : "Server Error";
	}
}
