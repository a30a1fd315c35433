/*
 * json-parse.c: one line of strict JSON (RFC 8259) made a jv, for the
 * readers of JSON lines.  jq's parser takes a byte at a time through a
 * state machine and a token buffer: a third of a booking's ingest.  This
 * one reads the common case straight and refuses everything else (an
 * unpaired surrogate, a control character, a value cut by the line's end,
 * two values, depth past 128, any leniency of jq's), so that the reader
 * hands that line to jq's parser, whose answer, error or value, then
 * stands.  What it accepts, it makes exactly as jq does: the same strings
 * through jv_string_sized, numbers by a correctly rounded strtod, and a
 * repeated key's last value, set in the first one's place.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"

#define MAX_DEPTH 128

struct in {
	const char *p, *end;
	struct strbuf text;	/* a string with escapes, unescaped */
};

static jv value(struct in *in, int depth);

static void
skip_space(struct in *in)
{
	while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' ||
	    *in->p == '\r'))
		in->p++;
}

static int
hex4(const char *p)
{
	int v = 0, i, d;

	for (i = 0; i < 4; i++) {
		if ((d = hex_digit(p[i])) < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static void
put_utf8(struct strbuf *b, int cp)
{
	char u[3];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	}
	sb_put(b, u, n);
}

/* One escape after its backslash into in->text; -1 where jq must judge. */
static int
unescape(struct in *in)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	int cp;

	if (in->p >= in->end)
		return -1;
	if (*in->p != 'u') {
		if ((e = memchr(from, *in->p, sizeof from - 1)) == NULL)
			return -1;
		sb_put(&in->text, to + (e - from), 1);
		in->p++;
		return 0;
	}
	if (in->end - in->p < 5 || (cp = hex4(in->p + 1)) < 0 || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	put_utf8(&in->text, cp);
	in->p += 5;
	return 0;
}

static jv
string(struct in *in)
{
	const char *start = ++in->p, *run;

	while (in->p < in->end && *in->p != '"' && *in->p != '\\' &&
	    (unsigned char)*in->p >= 0x20)
		in->p++;
	if (in->p < in->end && *in->p == '"')
		return jv_string_sized(start, (int)(in->p++ - start));
	in->text.len = 0;
	sb_put(&in->text, start, (size_t)(in->p - start));
	while (in->p < in->end && *in->p != '"') {
		if ((unsigned char)*in->p < 0x20)
			return jv_invalid();
		if (*in->p == '\\') {
			in->p++;
			if (unescape(in) != 0)
				return jv_invalid();
			continue;
		}
		for (run = in->p; in->p < in->end && *in->p != '"' && *in->p != '\\' &&
		    (unsigned char)*in->p >= 0x20; in->p++)
			;
		sb_put(&in->text, run, (size_t)(in->p - run));
	}
	if (in->p >= in->end)
		return jv_invalid();
	in->p++;
	return jv_string_sized(in->text.p ? in->text.p : "", (int)in->text.len);
}

static int
digits(struct in *in)
{
	const char *start = in->p;

	while (in->p < in->end && *in->p >= '0' && *in->p <= '9')
		in->p++;
	return in->p > start;
}

static jv
number(struct in *in)
{
	const char *start = in->p;
	char buf[64], *end;
	double d;

	if (*in->p == '-')
		in->p++;
	if (in->p < in->end && *in->p == '0')
		in->p++;
	else if (!digits(in))
		return jv_invalid();
	if (in->p < in->end && *in->p == '.' && (in->p++, !digits(in)))
		return jv_invalid();
	if (in->p < in->end && (*in->p == 'e' || *in->p == 'E')) {
		in->p++;
		if (in->p < in->end && (*in->p == '+' || *in->p == '-'))
			in->p++;
		if (!digits(in))
			return jv_invalid();
	}
	if ((size_t)(in->p - start) >= sizeof buf)
		return jv_invalid();
	memcpy(buf, start, (size_t)(in->p - start));
	buf[in->p - start] = '\0';
	errno = 0;
	d = strtod(buf, &end);
	if (errno != 0 || *end != '\0')
		return jv_invalid();
	return jv_number(d);
}

static jv
word(struct in *in, const char *w, jv v)
{
	size_t n = strlen(w);

	if ((size_t)(in->end - in->p) < n || memcmp(in->p, w, n) != 0)
		return jv_invalid();
	in->p += n;
	return v;
}

/* After a value: what may follow it in jq's reading as in JSON's. */
static int
delimited(const struct in *in)
{
	return in->p == in->end || memchr(" \t\r\n,]}", *in->p, 7) != NULL;
}

/* After an array's or object's opener: 1 when close ends it at once. */
static int
opened_empty(struct in *in, char close)
{
	in->p++;
	skip_space(in);
	if (in->p < in->end && *in->p == close) {
		in->p++;
		return 1;
	}
	return 0;
}

/* After a member: 1 when a comma says another follows, 0 at close, -1 else. */
static int
next_member(struct in *in, char close)
{
	skip_space(in);
	if (in->p >= in->end || (*in->p != ',' && *in->p != close))
		return -1;
	return *in->p++ == ',';
}

static jv
array(struct in *in, int depth)
{
	jv a = jv_array(), v;
	int more = !opened_empty(in, ']');

	while (more == 1) {
		v = value(in, depth);
		if (!jv_is_valid(v))
			break;
		a = jv_array_append(a, v);
		more = next_member(in, ']');
	}
	if (more == 0)
		return a;
	jv_free(a);
	return jv_invalid();
}

/*
 * An object's key, made once: the lines of a stream repeat their keys,
 * and a jv string made anew is allocated, checked as UTF-8 and hashed
 * again (jq keeps a string's hash in it).  Short plain keys only; a
 * stream of ever new keys only replaces the slots.
 */
static jv
key(struct in *in)
{
	static struct {
		size_t n;
		char s[32];
		jv v;
	} made[256];
	const char *start = in->p + 1, *end = start;
	unsigned h = 2166136261u;
	size_t n;

	while (end < in->end && *end != '"' && *end != '\\' && (unsigned char)*end >= 0x20 &&
	    (unsigned char)*end < 0x80 && end - start < 32)
		h = (h ^ (unsigned char)*end++) * 16777619u;
	n = (size_t)(end - start);
	if (n == 0 || end >= in->end || *end != '"')
		return string(in);
	h %= sizeof made / sizeof made[0];
	if (made[h].n != n || memcmp(made[h].s, start, n) != 0) {
		if (made[h].n)
			jv_free(made[h].v);
		memcpy(made[h].s, start, n);
		made[h].n = n;
		made[h].v = jv_string_sized(start, (int)n);
	}
	in->p = end + 1;
	return jv_copy(made[h].v);
}

static jv
object(struct in *in, int depth)
{
	jv o = jv_object(), k, v;
	int more = !opened_empty(in, '}');

	while (more == 1) {
		skip_space(in);
		if (in->p >= in->end || *in->p != '"' || !jv_is_valid(k = key(in)))
			break;
		skip_space(in);
		if (in->p >= in->end || *in->p != ':') {
			jv_free(k);
			break;
		}
		in->p++;
		if (!jv_is_valid(v = value(in, depth))) {
			jv_free(k);
			break;
		}
		o = jv_object_set(o, k, v);
		more = next_member(in, '}');
	}
	if (more == 0)
		return o;
	jv_free(o);
	return jv_invalid();
}

static jv
value(struct in *in, int depth)
{
	jv v;

	skip_space(in);
	if (in->p >= in->end || depth >= MAX_DEPTH)
		return jv_invalid();
	switch (*in->p) {
	case '{': return object(in, depth + 1);
	case '[': return array(in, depth + 1);
	case '"': return string(in);
	case 't': v = word(in, "true", jv_true()); break;
	case 'f': v = word(in, "false", jv_false()); break;
	case 'n': v = word(in, "null", jv_null()); break;
	default:
		if (*in->p != '-' && (*in->p < '0' || *in->p > '9'))
			return jv_invalid();
		v = number(in);
	}
	if (jv_is_valid(v) && !delimited(in)) {
		jv_free(v);
		return jv_invalid();
	}
	return v;
}

/*
 * The value of one line (s, n bytes, its newline too or not) into *out:
 * 1, or 0 when the line is blank, or -1 when jq's parser must read it
 * (nothing is consumed then, and *out is untouched).
 */
int
json_parse_line(const char *s, size_t n, jv *out)
{
	static struct strbuf text;
	struct in in = { s, s + n, text };
	jv v;

	if (n > INT_MAX / 2)	/* jv's lengths are ints: jq's parser takes it in parts */
		return -1;
	skip_space(&in);
	if (in.p == in.end)
		return 0;
	v = value(&in, 0);
	text = in.text;
	skip_space(&in);
	if (!jv_is_valid(v) || in.p != in.end) {
		jv_free(v);
		return -1;
	}
	*out = v;
	return 1;
}
