/*
 * segments.c: how an SMS body travels: GSM-7 (with its extension table,
 * two septets a character) when every character allows it, else UCS-2
 * (two units for characters outside the BMP); 160/153 septets or 70/67
 * units a part, never splitting an escape or a surrogate pair.
 */
#include <string.h>

#include "calsms.h"

/* GSM 03.38 basic set, as Unicode code points */
static const unsigned gsm_basic[] = {
	'@', 0xa3, '$', 0xa5, 0xe8, 0xe9, 0xf9, 0xec, 0xf2, 0xc7, '\n', 0xd8,
	0xf8, '\r', 0xc5, 0xe5, 0x394, '_', 0x3a6, 0x393, 0x39b, 0x3a9, 0x3a0,
	0x3a8, 0x3a3, 0x398, 0x39e, 0xc6, 0xe6, 0xdf, 0xc9, ' ', '!', '"', '#',
	0xa4, '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', ':', ';',
	'<', '=', '>', '?', 0xa1, 0xc4, 0xd6, 0xd1, 0xdc, 0xa7, 0xbf, 0xe4,
	0xf6, 0xf1, 0xfc, 0xe0,
};
static const unsigned gsm_ext[] = { '^', '{', '}', '\\', '[', '~', ']', '|', 0x20ac, '\f' };

static int
in(unsigned cp, const unsigned *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == cp)
			return 1;
	return 0;
}

/* Septets for cp in GSM-7, or 0 if it has none. */
static int
septets(unsigned cp)
{
	if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
		return 1;
	if (in(cp, gsm_basic, sizeof gsm_basic / sizeof gsm_basic[0]))
		return 1;
	if (in(cp, gsm_ext, sizeof gsm_ext / sizeof gsm_ext[0]))
		return 2;
	return 0;
}

static unsigned
next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned cp;

	if (s[0] < 0x80) {
		*p += 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0 && s[1]) {
		*p += 2;
		return (unsigned)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	}
	if ((s[0] & 0xf0) == 0xe0 && s[1] && s[2]) {
		*p += 3;
		return (unsigned)(s[0] & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	}
	if ((s[0] & 0xf8) == 0xf0 && s[1] && s[2] && s[3]) {
		cp = (unsigned)(s[0] & 0x07) << 18 | (unsigned)(s[1] & 0x3f) << 12 |
		    (unsigned)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
		*p += 4;
		return cp;
	}
	*p += 1;
	return 0xfffd;
}

/* Packs units of cost 1 or 2 into parts of size `part`, pairs unsplit. */
static int
pack(const char *body, int ucs2, int single, int part)
{
	const unsigned char *p = (const unsigned char *)body;
	int total = 0, parts = 1, used = 0, cost;
	unsigned cp;

	while (*p) {
		cp = next_cp(&p);
		cost = ucs2 ? (cp > 0xffff ? 2 : 1) : septets(cp);
		total += cost;
		if (used + cost > part) {
			parts++;
			used = 0;
		}
		used += cost;
	}
	return total <= single ? 1 : parts;
}

/* The encoding of body and the number of parts it takes. */
int
sms_segments(const char *body, int *ucs2)
{
	const unsigned char *p = (const unsigned char *)body;

	*ucs2 = 0;
	while (*p)
		if (septets(next_cp(&p)) == 0) {
			*ucs2 = 1;
			break;
		}
	if (*body == '\0')
		return 1;
	return *ucs2 ? pack(body, 1, 70, 67) : pack(body, 0, 160, 153);
}
