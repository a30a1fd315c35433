/*
 * pg-load.c: libpq, loaded the first time a store is a PostgreSQL URI.
 * libpq is linked by none of the programs: with it come Kerberos, LDAP,
 * GnuTLS and some twenty more libraries, which every start of a program
 * on LMDB (a webhook's conv-store add, say) would pay for in page faults.
 */
#define PG_LOAD
#include "calsms.h"
#include "pg-impl.h"

#define PQ_DEFINE(f) __typeof__(f) *pq_##f;
PQ_FUNCTIONS(PQ_DEFINE)

/* 0 once every function is there; else -1, said. */
int
pq_load(void)
{
#define PQ_SYM(f) DL_SYM(pq_, f)
	static const struct dl_sym syms[] = { PQ_FUNCTIONS(PQ_SYM) };
	static int loaded;

	if (!loaded && dl_load("libpq.so.5", "libpq5", syms, sizeof syms / sizeof syms[0]) == 0)
		loaded = 1;
	return loaded ? 0 : -1;
}
