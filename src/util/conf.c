/*
 * conf.c: settings and secrets by name, from a KEY=VALUE file (-C) or the
 * environment, the file first.  Never from argv.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "calsms.h"

#define MAX_CONF 64

static char *keys[MAX_CONF], *values[MAX_CONF];
static int nconf;

/* A settings file may hold secrets: its group may read it, nobody else, and none may write. */
static int
private_enough(FILE *f, const char *path)
{
	struct stat st;

	if (fstat(fileno(f), &st) != 0) {
		note("%s: %s", path, strerror(errno));
		return EXIT_NOINPUT;
	}
	if (st.st_mode & 0027) {
		note("%s: mode %04o: a settings file must be 0600 or 0640 (it may hold secrets): "
		    "chmod 0640 %s", path, (unsigned)(st.st_mode & 07777), path);
		return EXIT_CONFIG;
	}
	return 0;
}

int
conf_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], *eq, *v, *end;
	size_t n;
	int status;

	if (f == NULL) {
		note("%s: %s", path, strerror(errno));
		return EXIT_NOINPUT;
	}
	if ((status = private_enough(f, path)) != 0) {
		fclose(f);
		return status;
	}
	while (fgets(line, sizeof line, f)) {
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
		if (nconf == MAX_CONF) {
			note("%s: more than %d settings in all: the rest would be ignored", path, MAX_CONF);
			status = EXIT_CONFIG;
			break;
		}
		if ((keys[nconf] = strdup(v)) == NULL || (values[nconf] = strdup(eq)) == NULL) {
			free(keys[nconf]);
			note("%s: out of memory", path);
			status = EXIT_SOFTWARE;
			break;
		}
		nconf++;
	}
	fclose(f);
	return status;
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
