/* json.c: read a stream of JSON values as jq does; write one per line. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"

/* Parse errors may quote the input (a phone, a secret): keep them short. */
void
json_error_note(const char *name, long line, jv err)
{
	char msg[96];
	jv m = jv_invalid_get_msg(err);
	char *at;

	if (jv_get_kind(m) == JV_KIND_STRING) {
		snprintf(msg, sizeof msg, "%s", jv_string_value(m));
		/* jq counts lines from where its parser was last reset: drop it */
		if ((at = strstr(msg, " at line ")) != NULL)
			*at = '\0';
	} else
		snprintf(msg, sizeof msg, "invalid JSON");
	jv_free(m);
	note("%s:%ld: %s; skipped", name, line, msg);
}

/*
 * Calls fn for every value read from in. A value that does not parse is
 * reported with its line and skipped; reading resumes at the next line.
 * Returns 0, or EXIT_DATA when something was skipped, or the first non-zero
 * status fn returned (fn's statuses are kept, the highest wins).
 */
int
json_read_stream(FILE *in, const char *name, json_item_fn fn, void *ctx)
{
	jv_parser *p = jv_parser_new(0);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int status = 0, r, eof = 0;
	jv v;

	while (!eof) {
		len = getline(&line, &cap, in);
		if (len < 0) {
			eof = 1;
			jv_parser_set_buf(p, "", 0, 0);
		} else {
			lineno++;
			jv_parser_set_buf(p, line, (int)len, 1);
		}
		for (;;) {
			v = jv_parser_next(p);
			if (jv_is_valid(v)) {
				r = fn(v, lineno, ctx);
				if (r > status)
					status = r;
				continue;
			}
			if (jv_invalid_has_msg(jv_copy(v))) {
				json_error_note(name, lineno, v);
				if (status < EXIT_DATA)
					status = EXIT_DATA;
				jv_parser_free(p);
				p = jv_parser_new(0);
				break;
			}
			jv_free(v);
			break;
		}
	}
	if (ferror(in)) {
		note("%s: read error", name);
		status = EXIT_IOERR;
	}
	jv_parser_free(p);
	free(line);
	return status;
}

void
json_print(jv value)
{
	jv s = jv_dump_string(value, 0);

	fputs(jv_string_value(s), stdout);
	putchar('\n');
	jv_free(s);
}

/* Like jv_object_get, but safe on anything: non-objects give null. */
jv
json_get(jv obj, const char *key)
{
	jv v;

	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_null();
	v = jv_object_get(jv_copy(obj), jv_string(key));
	return jv_is_valid(v) ? v : jv_null();
}

/* json_path(obj, "a", "b", NULL): obj.a.b, or null; obj is not consumed. */
jv
json_path(jv obj, ...)
{
	va_list ap;
	const char *key;
	jv cur = jv_copy(obj), next;

	va_start(ap, obj);
	while ((key = va_arg(ap, const char *)) != NULL) {
		next = json_get(cur, key);
		jv_free(cur);
		cur = next;
	}
	va_end(ap);
	return cur;
}

/*
 * The string at obj.key, or NULL. The pointer lives as long as obj does:
 * the object holds its own reference to the string.
 */
const char *
json_str(jv obj, const char *key)
{
	jv v = json_get(obj, key);
	const char *s = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING)
		s = jv_string_value(v);
	jv_free(v);
	return s;
}

/* Strings stay, anything else becomes null. Consumes v. */
jv
json_str_or_null(jv v)
{
	if (jv_get_kind(v) == JV_KIND_STRING)
		return v;
	jv_free(v);
	return jv_null();
}

/* RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF. */
int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	unsigned cp, need, len;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			need = 1, cp = *p & 0x1f;
		else if (*p >= 0xe0 && *p <= 0xef)
			need = 2, cp = *p & 0x0f;
		else if (*p >= 0xf0 && *p <= 0xf4)
			need = 3, cp = *p & 0x07;
		else
			return 0;
		if ((size_t)(end - p) <= need)
			return 0;
		len = need;
		for (p++; need > 0; need--, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (*p & 0x3f);
		}
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (len == 2 && cp < 0x800) || (len == 3 && cp < 0x10000))
			return 0;
	}
	return 1;
}
