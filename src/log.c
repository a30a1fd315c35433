/* log.c: diagnostics on stderr, "prog: message", phone numbers masked. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"

const char *progname = "calsms";

void
log_init(const char *argv0)
{
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	slash = strrchr(argv0, '/');
	progname = slash ? slash + 1 : argv0;
}

/*
 * "+14045551234" becomes "+1******1234": the country's first digit and the
 * last four stay, so a log line still tells two customers apart.
 */
void
mask_phones(char *s)
{
	char *p, *d;
	size_t n, i;

	for (p = s; (p = strchr(p, '+')) != NULL; p = d) {
		for (d = p + 1; isdigit((unsigned char)*d); d++)
			;
		n = (size_t)(d - p - 1);
		if (n < 7 || n > 15)
			continue;
		for (i = 2; i < n - 3; i++)
			p[i] = '*';
	}
}

static void
vlog(const char *fmt, va_list ap)
{
	char buf[2048];

	vsnprintf(buf, sizeof buf, fmt, ap);
	mask_phones(buf);
	fprintf(stderr, "%s: %s\n", progname, buf);
}

void
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
	exit(status);
}

/* A full disk or a closed pipe must show in the exit status. */
int
finish_stdout(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		note("write error on standard output");
		return status ? status : EXIT_IOERR;
	}
	return status;
}
