/*
 * arg.c: numbers on the command line.  Only plain decimals are numbers
 * here: no sign, no exponent, no "inf" or "nan", no hex, no spaces, so
 * that "-s 1e400" or "-n ' 5'" is a usage error rather than a surprise.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"

static int
plain_decimal(const char *s, int fraction)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0)
		return 0;
	if (s[n] == '.' && fraction)
		return s[n + 1] && strspn(s + n + 1, "0123456789") == strlen(s + n + 1);
	return s[n] == '\0';
}

/* A decimal in [lo, hi] into *out; -1 if s is anything else. */
int
real_arg(const char *s, double lo, double hi, double *out)
{
	double v;

	if (s == NULL || !plain_decimal(s, 1))
		return -1;
	errno = 0;
	v = strtod(s, NULL);
	if (errno || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* A whole number in [lo, hi] into *out; -1 if s is anything else. */
int
long_arg(const char *s, long lo, long hi, long *out)
{
	long v;

	if (s == NULL || !plain_decimal(s, 0))
		return -1;
	errno = 0;
	v = strtol(s, NULL, 10);
	if (errno || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}
