/* json.c: read a stream of JSON values as jq does; write one per line. */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

struct json_reader {
	jv_parser *p;
	const char *name;
	long line;
	int status;
	json_item_fn fn;
	void *ctx;
	int items;
	struct strbuf pending;
	struct strbuf held;	/* the lines of the value being read, from held_line */
	long held_line;
	int jq;			/* jq's parser reads every line from here on */
	int fast;		/* a line was read by json_parse_line */
};

static void
keep(struct json_reader *r, int status)
{
	if (status > r->status)
		r->status = status;
}

static void feed(struct json_reader *r, const char *line, size_t len, long lineno, int last);

/*
 * A value that does not parse is skipped from the line it began on to the
 * end of that line, and no further: the lines after it are read again, so
 * that one torn line (a lost quote, a cut write) loses only itself.
 */
static void
resync(struct json_reader *r, jv err, const char *what)
{
	struct strbuf rest = r->held;
	long line = r->held_line;
	const char *p, *nl, *end;

	if (what)
		note("%s:%ld: %s; skipped", r->name, line, what);
	else
		json_error_note(r->name, line, err);
	keep(r, EXIT_DATA);
	jv_parser_free(r->p);
	r->p = jv_parser_new(0);
	memset(&r->held, 0, sizeof r->held);
	p = rest.p;
	end = rest.p + rest.len;
	if (p && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL)
		for (p = nl + 1, line++; p < end; p = nl + 1, line++) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				nl = end - 1;
			feed(r, p, (size_t)(nl - p) + 1, line, 0);
		}
	sb_free(&rest);
}

/*
 * Hands out the values of what the parser holds; 1 when it resynced past
 * an error (the rest of the line is handled there), else 0: it wants more.
 */
static int
drain(struct json_reader *r, long lineno, int last)
{
	jv v;

	for (;;) {
		v = jv_parser_next(r->p);
		if (jv_is_valid(v)) {
			r->items++;
			r->held.len = 0;	/* the next value starts here, or later */
			keep(r, r->fn(v, lineno, r->ctx));
			continue;
		}
		if (jv_invalid_has_msg(jv_copy(v))) {
			resync(r, v, NULL);
			return 1;
		}
		jv_free(v);
		/*
		 * libjq 1.6 may stop short of its buffer without a message (an
		 * RS byte does it); the next buffer would then fail its assert.
		 */
		if (jv_parser_remaining(r->p) != 0) {
			resync(r, jv_invalid(), "not JSON");
			return 1;
		}
		if (last)
			r->held.len = 0;
		return 0;
	}
}

/*
 * Feeds one line (or the end, when len is 0 and last) and hands out
 * values; libjq takes an int length, so a longer line goes in parts.
 */
static void
feed(struct json_reader *r, const char *line, size_t len, long lineno, int last)
{
	size_t part;
	jv v;
	int got;

	if (!r->jq && len) {
		if ((got = json_parse_line(line, len, &v)) >= 0) {
			if (got) {
				r->items++;
				keep(r, r->fn(v, lineno, r->ctx));
			}
			r->fast = 1;
			return;
		}
		/*
		 * jq's parser takes over at a line it may read otherwise, and
		 * keeps the stream (a value may go on over lines).  Past the
		 * first line, it must not strip a byte-order mark: a newline
		 * tells it it is no longer at the start.
		 */
		r->jq = 1;
		if (r->fast) {
			jv_parser_set_buf(r->p, "\n", 1, 1);
			jv_free(jv_parser_next(r->p));
		}
	}
	if (len) {
		if (r->held.len == 0)
			r->held_line = lineno;
		sb_put(&r->held, line, len);
	}
	do {
		part = len > INT_MAX ? INT_MAX : len;
		jv_parser_set_buf(r->p, line, (int)part, !last || part < len);
		line += part;
		len -= part;
		if (drain(r, lineno, last && len == 0))
			return;
	} while (len > 0);
}

static int
readable_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* An incremental reader: feed it bytes as they come, whole lines or not. */
struct json_reader *
json_reader_new(const char *name, json_item_fn fn, void *ctx)
{
	struct json_reader *r = calloc(1, sizeof *r);

	if (r == NULL)
		die(EXIT_SOFTWARE, "out of memory");
	r->p = jv_parser_new(0);
	r->name = name;
	r->fn = fn;
	r->ctx = ctx;
	return r;
}

void
json_reader_feed(struct json_reader *r, const char *buf, size_t n)
{
	const char *p = buf, *nl;
	size_t seg;

	for (; p < buf + n; p += seg) {
		nl = memchr(p, '\n', (size_t)(buf + n - p));
		seg = nl ? (size_t)(nl - p) + 1 : (size_t)(buf + n - p);
		sb_put(&r->pending, p, seg);
		if (nl == NULL)
			break;
		r->line++;
		feed(r, r->pending.p, r->pending.len, r->line, 0);
		r->pending.len = 0;
	}
}

/* Ends the input: the last line, then the status; frees the reader. */
int
json_reader_end(struct json_reader *r)
{
	int status;

	if (r->pending.len) {
		r->line++;
		feed(r, r->pending.p, r->pending.len, r->line, 0);
	}
	feed(r, "", 0, r->line, 1);
	status = r->status;
	jv_parser_free(r->p);
	sb_free(&r->pending);
	sb_free(&r->held);
	free(r);
	return status;
}

/*
 * Calls fn for every value read from fd, for writers that commit in
 * groups: flush is called after at most max values, after max_ms, and
 * whenever no more input is waiting, so a slow stream is never held back
 * and a fast one is committed in large groups.  A flush that returns a
 * negative status stops the reading: its negation is the exit status.
 */
int
json_read_groups(int fd, const char *name, json_item_fn fn,
    json_flush_fn flush, void *ctx, int max, int max_ms)
{
	struct json_reader *r = json_reader_new(name, fn, ctx);
	char buf[65536];
	ssize_t n;
	int64_t first = 0;
	int status, flushed;

	for (;;) {
		if (r->items && (r->items >= max || mono_ms() - first >= max_ms ||
		    !readable_now(fd))) {
			if ((flushed = flush(ctx)) < 0) {
				/* stopped: what is still unread is not reported as bad */
				jv_parser_free(r->p);
				sb_free(&r->pending);
				sb_free(&r->held);
				free(r);
				return -flushed;
			}
			keep(r, flushed);
			r->items = 0;
		}
		if ((n = read(fd, buf, sizeof buf)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (r->items == 0)
			first = mono_ms();
		json_reader_feed(r, buf, (size_t)n);
	}
	if (n < 0) {
		note("%s: read error: %s", name, strerror(errno));
		keep(r, EXIT_IOERR);
	}
	status = json_reader_end(r);
	flushed = flush(ctx);	/* the values of the last line */
	if (flushed < 0)
		return -flushed;
	return flushed > status ? flushed : status;
}

/*
 * Whether none of the 8 bytes in w needs escaping: none below 0x20, none
 * '"', '\\' or DEL.  (x - 0x01..01) & ~x & 0x80..80 is 0 exactly when no
 * byte of x is 0 (x: w xor the byte repeated); with 0x20..20, exactly when
 * no byte of w is below 0x20.
 */
static inline int
word_plain(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, tops = 0x8080808080808080u;
	uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\'), del = w ^ (ones * 0x7f);

	return ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs) |
	    ((del - ones) & ~del)) & tops) == 0;
}

static void
dump_string(struct strbuf *b, const char *s, size_t n)
{
	const char *run = s, *end = s + n;
	char esc[8];
	uint64_t w;

	sb_put(b, "\"", 1);
	for (; s < end; s++) {
		unsigned char c;

		while (end - s >= 8 && (memcpy(&w, s, 8), word_plain(w)))
			s += 8;
		if (s == end)
			break;
		if ((c = (unsigned char)*s) >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		sb_put(b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"': sb_put(b, "\\\"", 2); break;
		case '\\': sb_put(b, "\\\\", 2); break;
		case '\n': sb_put(b, "\\n", 2); break;
		case '\t': sb_put(b, "\\t", 2); break;
		case '\r': sb_put(b, "\\r", 2); break;
		case '\b': sb_put(b, "\\b", 2); break;
		case '\f': sb_put(b, "\\f", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04x", c);
			sb_put(b, esc, 6);
		}
	}
	sb_put(b, run, (size_t)(end - run));
	sb_put(b, "\"", 1);
}

/* The shortest decimal that reads back as x, as jq writes numbers. */
static void
dump_number(struct strbuf *b, double x)
{
	char buf[40];
	int p;

	if (x != x) {
		sb_puts(b, "null");
		return;
	}
	/* JSON has no infinity: jq writes the largest double instead */
	if (x > DBL_MAX)
		x = DBL_MAX;
	else if (x < -DBL_MAX)
		x = -DBL_MAX;
	/* the range first: converting a double outside long long's is undefined */
	if (x < 1e17 && x > -1e17 && x == (double)(long long)x) {
		snprintf(buf, sizeof buf, "%lld", (long long)x);
		sb_puts(b, buf);
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(buf, sizeof buf, "%.*g", p, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	sb_puts(b, buf);
}

/*
 * Appends v as compact JSON, in jq's own form (object keys in their order,
 * UTF-8 as it is), several times faster than jv_dump_string. v is not
 * consumed.
 */
void
json_dump(jv v, struct strbuf *b)
{
	int i, n, first = 1;

	switch (jv_get_kind(v)) {
	case JV_KIND_NULL: sb_puts(b, "null"); break;
	case JV_KIND_TRUE: sb_puts(b, "true"); break;
	case JV_KIND_FALSE: sb_puts(b, "false"); break;
	case JV_KIND_NUMBER: dump_number(b, jv_number_value(v)); break;
	case JV_KIND_STRING:
		dump_string(b, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
		break;
	case JV_KIND_ARRAY:
		sb_put(b, "[", 1);
		n = jv_array_length(jv_copy(v));
		for (i = 0; i < n; i++) {
			jv x = jv_array_get(jv_copy(v), i);

			if (i)
				sb_put(b, ",", 1);
			json_dump(x, b);
			jv_free(x);
		}
		sb_put(b, "]", 1);
		break;
	case JV_KIND_OBJECT:
		sb_put(b, "{", 1);
		for (i = jv_object_iter(v); jv_object_iter_valid(v, i);
		    i = jv_object_iter_next(v, i)) {
			jv k = jv_object_iter_key(v, i), x = jv_object_iter_value(v, i);

			if (!first)
				sb_put(b, ",", 1);
			first = 0;
			json_dump(k, b);
			sb_put(b, ":", 1);
			json_dump(x, b);
			jv_free(k);
			jv_free(x);
		}
		sb_put(b, "}", 1);
		break;
	default:
		sb_puts(b, "null");
	}
}

void
json_print(jv value)
{
	static struct strbuf b;

	b.len = 0;
	json_dump(value, &b);
	sb_put(&b, "\n", 1);
	fwrite(b.p, 1, b.len, stdout);
	jv_free(value);
}

/*
 * key as a jv string, made once for each place that names it: jv_string
 * allocates, checks the UTF-8 and later hashes, a fifth of a booking's
 * ingest.  The places are string literals, mostly; the content is
 * compared too, for a key built in a buffer.  Returns a new reference.
 */
jv
json_key(const char *key)
{
	static struct {
		const char *p;
		jv v;
	} made[128];
	size_t h = ((uintptr_t)key >> 3) % (sizeof made / sizeof made[0]);

	if (made[h].p != key || strcmp(jv_string_value(made[h].v), key) != 0) {
		if (made[h].p)
			jv_free(made[h].v);
		made[h].p = key;
		made[h].v = jv_string(key);
	}
	return jv_copy(made[h].v);
}

/* Like jv_object_get, but safe on anything: non-objects give null. */
jv
json_get(jv obj, const char *key)
{
	jv v;

	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_null();
	v = jv_object_get(jv_copy(obj), json_key(key));
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

/* The kind of obj.key (null when missing); obj is not consumed. */
jv_kind
json_kind(jv obj, const char *key)
{
	jv v = json_get(obj, key);
	jv_kind k = jv_get_kind(v);

	jv_free(v);
	return k;
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

/* obj[key] when it is a number, else 0. */
double
json_num(jv obj, const char *key)
{
	return json_kind(obj, key) == JV_KIND_NUMBER ?
	    jv_number_value(jv_object_get(jv_copy(obj), json_key(key))) : 0;
}

/* A JSON string of s, or null when s is NULL. */
jv
json_text(const char *s)
{
	return s ? jv_string(s) : jv_null();
}
