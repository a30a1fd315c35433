/*
 * twin.c: linked into conv-store only when it is a static PIE.  Static,
 * it starts without ld.so or libc.so (a webhook's add costs 0.3 ms less),
 * but it cannot load libpq.  So on a PostgreSQL store it runs its twin,
 * conv-store-pg: the same program, linked with the shared C library,
 * installed beside it.  That happens before the store is opened and
 * before anything is read or written, so the twin sees the same
 * arguments, environment and input.  Its dl_load stands in for
 * dl-load.c's, so nothing in it can call dlopen: libm, which the
 * dynamic conv-store loads for report's z-test, is linked in.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "calsms.h"
#include "conv-store.h"

#define TWIN "conv-store-pg"

/* Runs conv-store-pg with argv; returns only if it could not (an exit status). */
int
store_twin(char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + sizeof TWIN];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char *slash = NULL;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');	/* the link is absolute */
	}
	if (slash != NULL && strcmp(slash + 1, TWIN) == 0) {
		/* a copy of this program under the twin's name would run itself */
		note("%s is a static conv-store, which cannot load libpq: install the twin", self);
		return EXIT_UNAVAILABLE;
	}
	if (slash != NULL) {
		slash[1] = '\0';
		snprintf(path, sizeof path, "%s%s", self, TWIN);
		execv(path, argv);
	} else {	/* no /proc: the twin on PATH */
		snprintf(path, sizeof path, "%s", TWIN);
		execvp(path, argv);
	}
	note("a PostgreSQL store needs %s beside conv-store (make install puts it there): %s: %s",
	    TWIN, path, strerror(errno));
	return EXIT_UNAVAILABLE;
}

/* libm's functions that report.c loads elsewhere: here libm is linked in */
static const struct {
	const char *name;
	double (*fn)(double);
} libm[] = { { "erfc", erfc }, { "sqrt", sqrt }, { "round", round } };

/*
 * Nothing is loaded here: libm's functions are found among those linked
 * in; any other library (libpq) is the twin's to load.
 */
int
dl_load(const char *soname, const char *package, const struct dl_sym *syms, size_t n)
{
	size_t i, j;

	(void)package;
	for (i = 0; i < n && strcmp(soname, "libm.so.6") == 0; i++) {
		for (j = 0; j < sizeof libm / sizeof libm[0]; j++)
			if (strcmp(syms[i].name, libm[j].name) == 0)
				break;
		if (j == sizeof libm / sizeof libm[0])
			break;
		*syms[i].ptr = (void *)libm[j].fn;
	}
	if (i == n)
		return 0;
	note("%s cannot be loaded by the static conv-store; %s can", soname, TWIN);
	return -1;
}
