/*
 * form.c: application/x-www-form-urlencoded, decoded exactly: '+' is a
 * space, %XX a byte, and the result must be UTF-8.  Names may repeat and
 * values may be empty; a bad escape makes the whole body bad input.
 */
#include <string.h>

#include "calsms.h"

/* One name or value, s[0..n), decoded into a jv string; invalid on error. */
static jv
unescape(const char *s, size_t n)
{
	struct strbuf b = { 0 };
	size_t i;
	int hi, lo;
	char c;
	jv out;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= n)
				goto bad;
			if ((hi = hex_digit(s[i + 1])) < 0 || (lo = hex_digit(s[i + 2])) < 0)
				goto bad;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		sb_put(&b, &c, 1);
	}
	if (b.len > 0 && !utf8_valid(b.p, b.len))
		goto bad;
	out = jv_string_sized(b.p ? b.p : "", (int)b.len);
	sb_free(&b);
	return out;
bad:
	sb_free(&b);
	return jv_invalid();
}

/*
 * Decodes body into an array of [name, value] pairs, in order.  Returns
 * 0, or -1 for a bad escape, invalid UTF-8, a NUL, or a part with no name.
 */
int
form_decode(const char *body, size_t len, jv *pairs)
{
	const char *p = body, *end = body + len, *amp, *eq;
	jv name, value;

	*pairs = jv_array();
	if (memchr(body, '\0', len) != NULL)
		goto bad;
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp > p) {
			eq = memchr(p, '=', (size_t)(amp - p));
			if (eq == p)
				goto bad;
			name = unescape(p, (size_t)((eq ? eq : amp) - p));
			value = eq ? unescape(eq + 1, (size_t)(amp - eq - 1)) : jv_string("");
			if (!jv_is_valid(name) || !jv_is_valid(value)) {
				jv_free(name);
				jv_free(value);
				goto bad;
			}
			*pairs = jv_array_append(*pairs, JV_ARRAY(name, value));
		}
		p = amp + 1;
	}
	return 0;
bad:
	jv_free(*pairs);
	*pairs = jv_invalid();
	return -1;
}

/* The first value of name in pairs, or NULL; pairs is not consumed. */
const char *
form_get(jv pairs, const char *name)
{
	int i, n = jv_array_length(jv_copy(pairs));
	const char *v = NULL;

	for (i = 0; i < n && v == NULL; i++) {
		jv pair = jv_array_get(jv_copy(pairs), i);
		jv k = jv_array_get(jv_copy(pair), 0);

		if (strcmp(jv_string_value(k), name) == 0) {
			jv val = jv_array_get(jv_copy(pair), 1);

			v = jv_string_value(val);	/* the pair keeps it alive */
			jv_free(val);
		}
		jv_free(k);
		jv_free(pair);
	}
	return v;
}
