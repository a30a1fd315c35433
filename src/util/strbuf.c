/* strbuf.c: growing strings, and RFC 3986 percent-encoding for forms. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calsms.h"

/* Room for n more bytes and the NUL: sb_put's slow path (calsms.h). */
void
sb_grow(struct strbuf *b, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			die(EXIT_SOFTWARE, "out of memory");
	}
}

void
sb_puts(struct strbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* Unreserved characters stay, every other byte becomes %XX. */
void
sb_pct(struct strbuf *b, const char *s, size_t n)
{
	char hex[4];
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			sb_put(b, (const char *)&c, 1);
		else {
			snprintf(hex, sizeof hex, "%%%02X", c);
			sb_put(b, hex, 3);
		}
	}
}

/* Appends name=value to an x-www-form-urlencoded body. */
void
sb_form(struct strbuf *b, const char *name, const char *value)
{
	if (b->len)
		sb_put(b, "&", 1);
	sb_pct(b, name, strlen(name));
	sb_put(b, "=", 1);
	sb_pct(b, value, strlen(value));
}

void
sb_free(struct strbuf *b)
{
	free(b->p);
	*b = (struct strbuf){ 0 };
}

/* Whether s is one of list's strings (NULL-terminated); a NULL s is not. */
int
str_listed(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/*
 * Whether the header line p (n bytes, as libcurl gives it) is the header
 * name; if so its value, trimmed, goes to out.
 */
int
header_value(const char *p, size_t n, const char *name, char *out, size_t size)
{
	size_t k = strlen(name), i, end;

	if (n <= k || p[k] != ':' || strncasecmp(p, name, k) != 0 || size == 0)
		return 0;
	for (i = k + 1; i < n && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	for (end = n; end > i && (p[end - 1] == '\r' || p[end - 1] == '\n' ||
	    p[end - 1] == ' ' || p[end - 1] == '\t'); end--)
		;
	snprintf(out, size, "%.*s", (int)(end - i), p + i);
	return 1;
}
