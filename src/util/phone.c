/* phone.c: phone numbers to E.164, with a default country for national ones. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calsms.h"

struct country {
	const char *iso;	/* ISO 3166 alpha-2 */
	const char *cc;		/* country calling code */
	const char *trunk;	/* national (trunk) prefix, "" if none */
	int min, max;		/* national significant number length */
};

/* NANP members share +1; the first row of a calling code is its default. */
static const struct country countries[] = {
	{ "US", "1", "1", 10, 10 }, { "CA", "1", "1", 10, 10 },
	{ "PR", "1", "1", 10, 10 }, { "GB", "44", "0", 9, 10 },
	{ "IE", "353", "0", 7, 9 }, { "DE", "49", "0", 6, 13 },
	{ "FR", "33", "0", 9, 9 }, { "NL", "31", "0", 9, 9 },
	{ "BE", "32", "0", 8, 9 }, { "CH", "41", "0", 9, 9 },
	{ "AT", "43", "0", 4, 13 }, { "ES", "34", "", 9, 9 },
	{ "IT", "39", "", 6, 11 }, { "PT", "351", "", 9, 9 },
	{ "SE", "46", "0", 7, 9 }, { "NO", "47", "", 8, 8 },
	{ "DK", "45", "", 8, 8 }, { "FI", "358", "0", 5, 12 },
	{ "PL", "48", "", 9, 9 }, { "CZ", "420", "", 9, 9 },
	{ "GR", "30", "", 10, 10 }, { "AU", "61", "0", 9, 9 },
	{ "NZ", "64", "0", 8, 10 }, { "IN", "91", "0", 10, 10 },
	{ "JP", "81", "0", 9, 10 }, { "KR", "82", "0", 8, 10 },
	{ "CN", "86", "0", 8, 11 }, { "HK", "852", "", 8, 8 },
	{ "SG", "65", "", 8, 8 }, { "BR", "55", "0", 10, 11 },
	{ "MX", "52", "", 10, 10 }, { "AR", "54", "0", 10, 11 },
	{ "ZA", "27", "0", 9, 9 }, { "NG", "234", "0", 8, 10 },
	{ "IL", "972", "0", 8, 9 }, { "AE", "971", "0", 8, 9 },
	{ "PH", "63", "0", 10, 10 }, { "RU", "7", "8", 10, 10 },
	{ "TR", "90", "0", 10, 10 },
};

static const struct country *
country_by_iso(const char *iso)
{
	size_t i;

	for (i = 0; i < sizeof countries / sizeof countries[0]; i++)
		if (strcasecmp(countries[i].iso, iso) == 0)
			return &countries[i];
	return NULL;
}

static const struct country *
country_by_cc(const char *cc, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof countries / sizeof countries[0]; i++)
		if (strlen(countries[i].cc) == n &&
		    strncmp(countries[i].cc, cc, n) == 0)
			return &countries[i];
	return NULL;
}

/* Assigned ITU-T E.164 country codes; three-digit ones as ranges. */
static size_t
calling_code_len(const char *d)
{
	static const char *two[] = { "20", "27", "30", "31", "32", "33", "34",
	    "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49",
	    "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62",
	    "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92",
	    "93", "94", "95", "98" };
	static const int three[][2] = { { 211, 213 }, { 216, 216 },
	    { 218, 218 }, { 220, 258 }, { 260, 269 }, { 290, 291 },
	    { 297, 299 }, { 350, 359 }, { 370, 383 }, { 385, 387 },
	    { 389, 389 }, { 420, 421 }, { 423, 423 }, { 500, 509 },
	    { 590, 599 }, { 670, 670 }, { 672, 692 }, { 800, 800 },
	    { 808, 808 }, { 850, 850 }, { 852, 853 }, { 855, 856 },
	    { 870, 870 }, { 878, 878 }, { 880, 883 }, { 886, 886 },
	    { 888, 888 }, { 960, 968 }, { 970, 977 }, { 979, 979 },
	    { 992, 998 } };
	size_t i;
	int v;

	if (d[0] == '1' || d[0] == '7')
		return 1;
	for (i = 0; i < sizeof two / sizeof two[0]; i++)
		if (strncmp(two[i], d, 2) == 0)
			return 2;
	v = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
	for (i = 0; i < sizeof three / sizeof three[0]; i++)
		if (v >= three[i][0] && v <= three[i][1])
			return 3;
	return 0;
}

const char *
default_country(void)
{
	const char *c = conf_get("CALSMS_COUNTRY");	/* a -C file, then the environment */

	return c && *c ? c : "US";
}

/* NANP: area code and exchange never start with 0 or 1. */
static int
nsn_ok(const struct country *c, const char *nsn, size_t n)
{
	if ((int)n < c->min || (int)n > c->max)
		return 0;
	if (strcmp(c->cc, "1") == 0)
		return nsn[0] >= '2' && nsn[3] >= '2';
	return 1;
}

/* Keeps digits; stops at an extension ("x", "ext"); -1 on anything else. */
static int
collect_digits(const char *in, char *out, size_t max, int *plus)
{
	size_t n = 0;
	const char *p = in;

	*plus = 0;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '+') {
		*plus = 1;
		p++;
	}
	for (; *p; p++) {
		if (isdigit((unsigned char)*p)) {
			if (n == max)
				return -1;
			out[n++] = *p;
		} else if (*p == 'x' || *p == 'X' || *p == '#' ||
		    strncasecmp(p, "ext", 3) == 0)
			break;
		else if ((unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa0)
			p++;	/* a no-break space */
		else if (!strchr(" \t-.()/", *p))
			return -1;
	}
	out[n] = '\0';
	return (int)n;
}

static int
put_e164(const char *cc, size_t ccl, const char *nsn, char out[17])
{
	size_t n = strlen(nsn);

	if (ccl + n > 15)
		return -1;
	out[0] = '+';
	memcpy(out + 1, cc, ccl);
	memcpy(out + 1 + ccl, nsn, n + 1);
	return 0;
}

static int
international(const char *d, size_t n, char out[17])
{
	size_t ccl = n >= 3 ? calling_code_len(d) : 0;
	const struct country *c;
	char nsn[24];

	if (ccl == 0 || n < 7 || n > 16)
		return -1;
	snprintf(nsn, sizeof nsn, "%s", d + ccl);
	c = country_by_cc(d, ccl);
	/* "+44 (0)7700 900123": a trunk prefix written after the code */
	if (c && *c->trunk == '0' && nsn[0] == '0')
		memmove(nsn, nsn + 1, strlen(nsn));
	/* never two: what comes out must read back as itself */
	if (c && *c->trunk == '0' && nsn[0] == '0')
		return -1;
	if (c && !nsn_ok(c, nsn, strlen(nsn)))
		return -1;
	if (strlen(nsn) < 4 || ccl + strlen(nsn) < 7)
		return -1;
	return put_e164(d, ccl, nsn, out);
}

/*
 * Normalises in to E.164 in out ("+14045551234"): formatting is stripped,
 * "+", "00" and (in NANP countries) "011" start international numbers,
 * anything else is national to country, after its trunk prefix.
 */
int
phone_e164(const char *in, const char *country, char out[17])
{
	const struct country *c;
	char d[40];
	const char *nsn;
	int plus, n;
	size_t tl;

	if (in == NULL || (n = collect_digits(in, d, sizeof d - 1, &plus)) < 4)
		return -1;
	if (plus)
		return international(d, (size_t)n, out);
	c = country_by_iso(country ? country : "US");
	if (strncmp(d, "00", 2) == 0 && (c == NULL || strcmp(c->cc, "1") != 0))
		return international(d + 2, (size_t)n - 2, out);
	if (c && strcmp(c->cc, "1") == 0 && strncmp(d, "011", 3) == 0)
		return international(d + 3, (size_t)n - 3, out);
	if (c == NULL)
		return -1;
	nsn = d;
	tl = strlen(c->trunk);
	if (tl && strncmp(d, c->trunk, tl) == 0)
		nsn = d + tl;
	if (!nsn_ok(c, nsn, strlen(nsn)) || strlen(c->cc) + strlen(nsn) > 15)
		return -1;
	return put_e164(c->cc, strlen(c->cc), nsn, out);
	return 0;
}
