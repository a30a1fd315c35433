/*
 * conf.c: settings and secrets by name, from a KEY=VALUE file (-C) or the
 * environment, the file first.  Never from argv.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"

#define MAX_CONF 64

static char *keys[MAX_CONF], *values[MAX_CONF];
static int nconf;

int
conf_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], *eq, *v, *end;
	size_t n;

	if (f == NULL) {
		note("%s: %s", path, strerror(errno));
		return EXIT_NOINPUT;
	}
	while (fgets(line, sizeof line, f) && nconf < MAX_CONF) {
		line[strcspn(line, "\r\n")] = '\0';
		v = line + strspn(line, " \t");
		if (*v == '#' || *v == '\0' || (eq = strchr(v, '=')) == NULL)
			continue;
		if (strncmp(v, "export ", 7) == 0)
			v += 7;
		*eq = '\0';
		for (end = eq; end > v && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = '\0';
		eq++;
		n = strlen(eq);
		if (n >= 2 && (eq[0] == '"' || eq[0] == '\'') && eq[n - 1] == eq[0]) {
			eq[n - 1] = '\0';
			eq++;
		}
		keys[nconf] = strdup(v);
		values[nconf++] = strdup(eq);
	}
	fclose(f);
	return 0;
}

/* The setting, or NULL when it is unset or empty. */
const char *
conf_get(const char *name)
{
	const char *v;
	int i;

	for (i = 0; i < nconf; i++)
		if (strcmp(keys[i], name) == 0)
			return *values[i] ? values[i] : NULL;
	v = getenv(name);
	return v && *v ? v : NULL;
}
