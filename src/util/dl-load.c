/*
 * dl-load.c: a shared library loaded when a program first needs it
 * (libcurl, libcrypto, libpq: curl-load.c, crypto-load.c, pg-load.c),
 * its functions found by name into the pointers the program calls.
 */
#include <dlfcn.h>

#include "calsms.h"

/* 0 once soname is loaded and every symbol found; else -1, said. */
int
dl_load(const char *soname, const char *package, const struct dl_sym *syms, size_t n)
{
	void *h;
	size_t i;

	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		note("cannot load %s (Debian: apt-get install %s): %s", soname, package, dlerror());
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((*syms[i].ptr = dlsym(h, syms[i].name)) == NULL) {
			note("%s lacks %s (Debian: apt-get install --reinstall %s)", soname,
			    syms[i].name, package);
			return -1;
		}
	return 0;
}
