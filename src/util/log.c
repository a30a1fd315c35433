/* log.c: diagnostics on stderr, "prog: message", phone numbers masked. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calsms.h"

const char *progname = "calsms";

/*
 * A program started with 0, 1 or 2 closed would hand that descriptor to
 * the next file it opens (the store's lock file) and write JSON into it.
 * Each gets /dev/null; stdout read-only, so that writing to it still
 * fails, and the program says so (exit 74) instead of losing lines.
 */
static void
guard_stdio(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY) != fd)
			_exit(EXIT_IOERR);
}

void
log_init(const char *argv0)
{
	const char *slash;

	guard_stdio();
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

/*
 * What comes from outside (a time zone, a request target) may hold a
 * newline that would forge a log line, or an ESC for the operator's
 * terminal: every control character, C1 ones too, is written as \xHH.
 */
void
log_escape(const char *in, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0;

	for (; *p && n + 5 < size; p++) {
		if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", *p);
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", *++p);
		else
			out[n++] = (char)*p;
	}
	out[n] = '\0';
}

static void
vlog(const char *fmt, va_list ap)
{
	char buf[2048], safe[2048];

	vsnprintf(buf, sizeof buf, fmt, ap);
	log_escape(buf, safe, sizeof safe);
	mask_phones(safe);
	fprintf(stderr, "%s: %s\n", progname, safe);
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
