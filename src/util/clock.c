/* clock.c: the one clock every program reads, and RFC 3339 times. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calsms.h"

/* CALSMS_NOW is RFC 3339 or epoch seconds; unset means the real clock. */
static int
fixed_now(int64_t *t)
{
	const char *s = getenv("CALSMS_NOW");
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == 0 && *end == '\0') {
		*t = v;
		return 1;
	}
	if (rfc3339_parse(s, t) == 0)
		return 1;
	die(EXIT_USAGE, "CALSMS_NOW: not RFC 3339 or epoch seconds: %.40s", s);
}

int
clock_is_fixed(void)
{
	int64_t t;

	return fixed_now(&t);
}

int64_t
clock_now(void)
{
	int64_t t;

	if (fixed_now(&t))
		return t;
	return (int64_t)time(NULL);
}

int64_t
clock_now_ms(void)
{
	struct timespec ts;
	int64_t t;

	if (fixed_now(&t))
		return t * 1000;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds on the monotonic clock: deadlines, which CALSMS_NOW must not freeze. */
int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
digits(const char **s, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**s))
			return -1;
		v = v * 10 + (*(*s)++ - '0');
	}
	*out = v;
	return 0;
}

/* v's last n decimal digits at p, zero-padded */
static void
put_digits(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * 2025-11-25T15:00:00Z, with optional fraction and a Z or +hh:mm offset;
 * 't' and a space are accepted for 'T'. Fractions are dropped.
 */
int
rfc3339_parse(const char *s, int64_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t t;

	if (s == NULL)
		return -1;
	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d))
		return -1;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) ||
	    *s++ != ':' || digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om))
			return -1;
	} else
		return -1;
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm);
	if (tm.tm_mday != d)
		return -1;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

void
rfc3339_format(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
	else if (tm.tm_year >= -1900 && tm.tm_year <= 9999 - 1900) {
		/* by hand: strftime is a twentieth of a booking's ingest */
		memcpy(out, "0000-00-00T00:00:00Z", 21);
		put_digits(out, tm.tm_year + 1900, 4);
		put_digits(out + 5, tm.tm_mon + 1, 2);
		put_digits(out + 8, tm.tm_mday, 2);
		put_digits(out + 11, tm.tm_hour, 2);
		put_digits(out + 14, tm.tm_min, 2);
		put_digits(out + 17, tm.tm_sec, 2);
	} else if (strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

/*
 * "90s", "30m", "2h", "1d", "1w", or combinations ("1h30m").  A bare
 * number is refused: "-a 30" must not quietly mean 30 seconds.
 */
int
duration_parse(const char *s, int64_t *seconds)
{
	int64_t total = 0, v, unit;
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno)
			return -1;
		switch (*end) {
		case 's': unit = 1; end++; break;
		case 'm': unit = 60; end++; break;
		case 'h': unit = 3600; end++; break;
		case 'd': unit = 86400; end++; break;
		case 'w': unit = 604800; end++; break;
		default: return -1;
		}
		if (v > INT32_MAX)
			return -1;
		total += v * unit;
		s = end;
	}
	*seconds = total;
	return 0;
}

/*
 * A real IANA zone name: letters, digits and "_+-/", a TZif file under the
 * zoneinfo directory; not its tables (zone.tab) nor the leap-second
 * "right/" copies, whose clocks differ from UTC's by the leap seconds.
 */
static int
zone_known(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[512], magic[4];
	FILE *f;
	int ok;

	if (zone == NULL || *zone == '\0' || zone[0] == '/' || strlen(zone) > 100 ||
	    strstr(zone, "..") != NULL || strncmp(zone, "right/", 6) == 0 ||
	    strspn(zone, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_+-/") != strlen(zone))
		return 0;
	snprintf(path, sizeof path, "%s/%s",
	    dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	if ((f = fopen(path, "rb")) == NULL)
		return 0;
	ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

static char *
zone_enter(const char *zone, int *fallback)
{
	char *old = getenv("TZ"), *saved = old ? strdup(old) : NULL;

	*fallback = !zone_known(zone);
	setenv("TZ", *fallback ? "UTC" : zone, 1);
	tzset();
	return saved;
}

static void
zone_leave(char *saved)
{
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else
		unsetenv("TZ");
	tzset();
}

/* t broken down in the IANA zone, and the zone's abbreviation then; 1: unknown, UTC used. */
int
zone_tm(int64_t t, const char *zone, struct tm *tm, char abbr[16])
{
	int fallback;
	char *saved = zone_enter(zone, &fallback);
	time_t tt = (time_t)t;

	localtime_r(&tt, tm);
	strftime(abbr, 16, "%Z", tm);
	zone_leave(saved);
	return fallback;
}

/*
 * "Tue Nov 25, 10:00 AM EST": t in the IANA zone. An unknown zone falls
 * back to UTC; the return value says so (1), so the caller can note it.
 */
int
local_time_format(int64_t t, const char *zone, char *out, size_t n)
{
	static const char *days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char abbr[16];
	struct tm tm;
	int fallback = zone_tm(t, zone, &tm, abbr), hour;

	hour = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
	snprintf(out, n, "%s %s %d, %d:%02d %s %s", days[tm.tm_wday],
	    months[tm.tm_mon], tm.tm_mday, hour, tm.tm_min,
	    tm.tm_hour < 12 ? "AM" : "PM", abbr);
	return fallback;
}

/*
 * Quiet hours from..to (minutes after local midnight; the window may wrap
 * midnight) in zone: 0 when t is outside, else the time the window ends.
 */
int64_t
quiet_end(int64_t t, const char *zone, int from, int to)
{
	int fallback, m, wraps = from > to;
	char *saved = zone_enter(zone, &fallback);
	struct tm tm;
	time_t tt = (time_t)t, end;

	localtime_r(&tt, &tm);
	m = tm.tm_hour * 60 + tm.tm_min;
	if (from == to || (!wraps && (m < from || m >= to)) ||
	    (wraps && m < from && m >= to)) {
		zone_leave(saved);
		return 0;
	}
	if (wraps && m >= from)
		tm.tm_mday++;
	tm.tm_hour = to / 60;
	tm.tm_min = to % 60;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	end = mktime(&tm);
	zone_leave(saved);
	return end > tt ? (int64_t)end : t + 60;
}

/*
 * The business's zone, CALSMS_TZ (an IANA name, from a -C file or the
 * environment), for "today" and business hours; NULL: the machine's.  An
 * unknown name is said once and UTC used.
 */
const char *
business_zone(void)
{
	static int said;
	const char *z = conf_get("CALSMS_TZ");

	if (z && !zone_known(z) && !said++)
		note("CALSMS_TZ: not a time zone: %s; UTC used", z);
	return z;
}

/* t broken down in zone (NULL: the machine's own zone). */
static void
local_tm(int64_t t, const char *zone, struct tm *tm)
{
	time_t tt = (time_t)t;
	char abbr[16];

	if (zone == NULL)
		localtime_r(&tt, tm);
	else
		zone_tm(t, zone, tm, abbr);
}

/* Minutes after midnight of t in zone (NULL: the machine's). */
int
local_minutes(int64_t t, const char *zone)
{
	struct tm tm;

	local_tm(t, zone, &tm);
	return tm.tm_hour * 60 + tm.tm_min;
}

/* "2025-11-24 11:05": t in the business's zone (CALSMS_TZ, else the machine's). */
void
business_time(int64_t t, char *out, size_t n)
{
	struct tm tm;

	local_tm(t, business_zone(), &tm);
	strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

/* Midnight starting the day of t in zone, days before that day. */
static int64_t
local_midnight(int64_t t, const char *zone, int days)
{
	char *saved = NULL;
	int fallback;
	time_t tt = (time_t)t, m;
	struct tm tm;

	if (zone)
		saved = zone_enter(zone, &fallback);
	localtime_r(&tt, &tm);
	tm.tm_mday -= days;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	m = mktime(&tm);
	if (zone)
		zone_leave(saved);
	return (int64_t)m;
}

/*
 * A point in time as an operator types it: RFC 3339, a date (midnight
 * UTC), "today" or "yesterday" (midnight in the business's zone,
 * CALSMS_TZ), or a duration meaning that long before now ("26h").
 */
int
time_arg(const char *s, int64_t now, int64_t *out)
{
	char buf[40];
	int64_t d;

	if (s && (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0)) {
		*out = local_midnight(now, business_zone(), s[0] == 'y');
		return 0;
	}
	if (rfc3339_parse(s, out) == 0)
		return 0;
	if (s && strlen(s) == 10) {
		snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
		if (rfc3339_parse(buf, out) == 0)
			return 0;
	}
	if (duration_parse(s, &d) == 0) {
		*out = now - d;
		return 0;
	}
	return -1;
}
