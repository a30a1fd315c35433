/* file.c: reading whole inputs and secret files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"

/*
 * Reads f to its end, at most max bytes; the result is NUL-terminated.
 * More than max sets *too_big and returns NULL; a read error returns NULL.
 */
char *
read_all(FILE *f, size_t max, size_t *len, int *too_big)
{
	size_t cap = 8192, n = 0, r;
	char *buf = malloc(cap + 1), *nb;

	*too_big = 0;
	if (buf == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				*too_big = 1;
				free(buf);
				return NULL;
			}
			cap *= 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	if (n > max) {
		*too_big = 1;
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * The first line of a key file, without trailing blanks, into *out.
 * Returns 0, or the exit status: 66 unreadable, 78 empty.
 */
int
read_secret(const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	char *buf, *nl;
	size_t len;
	int big;

	*out = NULL;
	if (f == NULL) {
		note("%s: %s", path, strerror(errno));
		return EXIT_NOINPUT;
	}
	buf = read_all(f, 65536, &len, &big);
	fclose(f);
	if (buf == NULL) {
		note("%s: %s", path, big ? "too large for a key" : "read error");
		return EXIT_NOINPUT;
	}
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t' ||
	    buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0) {
		free(buf);
		note("%s: empty key file", path);
		return EXIT_CONFIG;
	}
	*out = buf;
	return 0;
}
