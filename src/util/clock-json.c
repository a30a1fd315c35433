/*
 * clock-json.c: times as JSON values, apart from clock.c so that a
 * program that needs no JSON (http-hook) links no libjq.
 */
#include <stdio.h>
#include <time.h>

#include "calsms.h"

jv
rfc3339_jv(int64_t t)
{
	char buf[32];

	rfc3339_format(t, buf);
	return jv_string(buf);
}

/*
 * t's parts in the IANA zone, for templates that write a date in the
 * customer's language: year, month (1-12), day, weekday (0 = Sunday),
 * hour (0-23), minute, zone_abbr and utc_offset (seconds east of UTC).
 * An unknown zone gives UTC's parts, as local_time_format does.
 */
jv
local_parts(int64_t t, const char *zone)
{
	char abbr[16];
	struct tm tm;
	jv o = jv_object();

	zone_tm(t, zone, &tm, abbr);
	o = jv_object_set(o, jv_string("year"), jv_number(tm.tm_year + 1900));
	o = jv_object_set(o, jv_string("month"), jv_number(tm.tm_mon + 1));
	o = jv_object_set(o, jv_string("day"), jv_number(tm.tm_mday));
	o = jv_object_set(o, jv_string("weekday"), jv_number(tm.tm_wday));
	o = jv_object_set(o, jv_string("hour"), jv_number(tm.tm_hour));
	o = jv_object_set(o, jv_string("minute"), jv_number(tm.tm_min));
	o = jv_object_set(o, jv_string("zone_abbr"), jv_string(abbr));
	return jv_object_set(o, jv_string("utc_offset"), jv_number((double)tm.tm_gmtoff));
}
