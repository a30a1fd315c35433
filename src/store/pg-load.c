/*
 * pg-load.c: libpq, loaded the first time a store is a PostgreSQL URI.
 * libpq is linked by none of the programs: with it come Kerberos, LDAP,
 * GnuTLS and some twenty more libraries, which every start of a program
 * on LMDB (a webhook's conv-store add, say) would pay for in page faults.
 */
#include <dlfcn.h>

#define PG_LOAD
#include "calsms.h"
#include "pg-impl.h"

#define PQ_DEFINE(f) __typeof__(f) *pq_##f;
PQ_FUNCTIONS(PQ_DEFINE)

/* 0 once every function is there; else -1, said once. */
int
pq_load(void)
{
	static int loaded;
	void *h;

	if (loaded)
		return 0;
	if ((h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL)) == NULL) {
		note("store: cannot load libpq for a PostgreSQL store (Debian: apt-get install "
		    "libpq5): %s", dlerror());
		return -1;
	}
#define PQ_FIND(f) \
	if ((*(void **)&pq_##f = dlsym(h, #f)) == NULL) { \
		note("store: libpq lacks %s", #f); \
		return -1; \
	}
	PQ_FUNCTIONS(PQ_FIND)
	loaded = 1;
	return 0;
}
