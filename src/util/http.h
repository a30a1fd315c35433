/* http.h: an HTTP/1.x request head (http.c) */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#define MAX_HEAD 16384
#define MAX_HEADERS 100

struct request {
	char head[MAX_HEAD + 1];
	size_t have, head_len;
	char *method, *target, *version, *query;
	char *names[MAX_HEADERS], *values[MAX_HEADERS];
	int nheaders;
	char *body;
	size_t body_len;
};

int http_token(const char *s);	/* a field name or method: RFC 9110 tchars */
char *http_next_line(char **p);	/* the line at *p, its CRLF or LF cut off */
const char *http_reason(int code);
size_t head_end(const char *buf, size_t n);	/* the head's length, or 0: not yet */
int parse_head(struct request *rq);	/* 0, or the status to refuse with */
const char *header(const struct request *rq, const char *name, int *count);
int content_length(const struct request *rq, size_t max, size_t *len);

#endif
