/* calsms: shared declarations, grouped by the file that defines them. */
#ifndef CALSMS_H
#define CALSMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <jv.h>

/* sysexits.h values, as DESIGN.md uses them */
#define EXIT_USAGE 64
#define EXIT_DATA 65
#define EXIT_NOINPUT 66
#define EXIT_UNAVAILABLE 69
#define EXIT_SOFTWARE 70
#define EXIT_CANTCREAT 73
#define EXIT_IOERR 74
#define EXIT_TEMPFAIL 75
#define EXIT_NOPERM 77
#define EXIT_CONFIG 78

/* monitoring states, as Nagios plugins exit: conv-store health, cal-sync status */
enum monitor { MON_OK, MON_WARNING, MON_CRITICAL, MON_UNKNOWN };

/* log.c: messages on stderr as "prog: message", phone numbers masked */
extern const char *progname;
void log_init(const char *argv0);
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void mask_phones(char *s);
void log_escape(const char *in, char *out, size_t size);
int finish_stdout(int status);

/* json.c: streams of JSON values in, one compact object per line out */
typedef int (*json_item_fn)(jv value, long line, void *ctx);
typedef int (*json_flush_fn)(void *ctx);
int json_read_groups(int fd, const char *name, json_item_fn fn,
    json_flush_fn flush, void *ctx, int max, int max_ms);
struct json_reader *json_reader_new(const char *name, json_item_fn fn, void *ctx);
void json_reader_feed(struct json_reader *r, const char *buf, size_t n);
int json_reader_end(struct json_reader *r);
void json_print(jv value);
int json_parse_line(const char *s, size_t n, jv *out);
jv json_key(const char *key);
jv json_get(jv obj, const char *key);
jv json_path(jv obj, ...);
const char *json_str(jv obj, const char *key);
jv_kind json_kind(jv obj, const char *key);
double json_num(jv obj, const char *key);
jv json_str_or_null(jv v);
jv json_text(const char *s);
void json_error_note(const char *name, long line, jv err);
int utf8_valid(const char *s, size_t n);

/* clock.c: the clock (CALSMS_NOW overrides it) and RFC 3339 times */
int64_t clock_now(void);
int64_t clock_now_ms(void);
int64_t mono_ms(void);

/* bucket.c: a token bucket of rate tokens a second (0: no limit) */
struct bucket {
	double rate, tokens, burst;
	int64_t refilled;
};
void bucket_init(struct bucket *b, double rate);
long bucket_take(struct bucket *b);
int clock_is_fixed(void);
int rfc3339_parse(const char *s, int64_t *out);
void rfc3339_format(int64_t t, char out[32]);
jv rfc3339_jv(int64_t t);
int duration_parse(const char *s, int64_t *seconds);
int time_arg(const char *s, int64_t now, int64_t *out);
int local_time_format(int64_t t, const char *zone, char *out, size_t n);
jv local_parts(int64_t t, const char *zone);
struct tm;
int zone_tm(int64_t t, const char *zone, struct tm *tm, char abbr[16]);
int64_t quiet_end(int64_t t, const char *zone, int from, int to);
const char *business_zone(void);
int local_minutes(int64_t t, const char *zone);
void business_time(int64_t t, char *out, size_t n);

/* phone.c: E.164 numbers */
int phone_e164(const char *in, const char *country, char out[17]);
const char *default_country(void);

/* hmac.c: HMAC-SHA256, SHA-256 and hex over OpenSSL */
void hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t len, unsigned char out[32]);
void hmac_sha1(const void *key, size_t keylen, const void *msg,
    size_t len, unsigned char out[20]);
void base64_encode(const unsigned char *in, size_t n, char *out);
int base64_decode(const char *in, unsigned char *out);
void sha256(const void *msg, size_t len, unsigned char out[32]);
/* SHA-256 (bits 256) or SHA-1 (bits 1), in parts: sha.c */
struct sha {
	uint32_t h[8];
	uint64_t total;
	unsigned char buf[64];
	size_t have;
	int words;
};
void sha_init(struct sha *s, int bits);
void sha_update(struct sha *s, const void *data, size_t n);
void sha_final(struct sha *s, unsigned char *out);
void hex_encode(const unsigned char *in, size_t n, char *out);
int hex_decode(const char *in, size_t hexlen, unsigned char *out);
int hex_digit(char c);
int ct_equal(const void *a, const void *b, size_t n);

/* segments.c: SMS encoding and parts */
int sms_segments(const char *body, int *ucs2);

/* strbuf.c: growing strings */
struct strbuf {
	char *p;
	size_t len, cap;
};
void sb_grow(struct strbuf *b, size_t n);
/* Appends n bytes, NUL-terminated; inline, as JSON is written a few bytes at a time. */
static inline void
sb_put(struct strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
		sb_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}
void sb_puts(struct strbuf *b, const char *s);
void sb_pct(struct strbuf *b, const char *s, size_t n);
void sb_form(struct strbuf *b, const char *name, const char *value);
void sb_free(struct strbuf *b);
int str_listed(const char *s, const char *const *list);
int header_value(const char *p, size_t n, const char *name, char *out,
    size_t size);

/* dl-load.c: a library loaded when first needed */
struct dl_sym {
	const char *name;
	void **ptr;
};
#define DL_SYM(prefix, f) { #f, (void **)&prefix##f },
int dl_load(const char *soname, const char *package, const struct dl_sym *syms, size_t n);

/* conf.c: settings from -C FILE or the environment */
int conf_load(const char *path);
const char *conf_get(const char *name);

/* json.c, needing strbuf */
void json_dump(jv v, struct strbuf *b);

/* form.c: application/x-www-form-urlencoded */
int form_decode(const char *body, size_t len, jv *pairs);
const char *form_get(jv pairs, const char *name);

/* arg.c: numbers on the command line, plain decimals only */
int real_arg(const char *s, double lo, double hi, double *out);
int long_arg(const char *s, long lo, long hi, long *out);

/* file.c: whole files and secrets */
char *read_all(FILE *f, size_t max, size_t *len, int *too_big);
int read_secret(const char *path, char **out);

#endif
