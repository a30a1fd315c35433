/*
 * crypto-load.c: libcrypto, loaded by sms-parse when it first verifies an
 * Amazon SNS signature (see crypto-load.h).
 */
#define CRYPTO_LOAD
#include "calsms.h"
#include "crypto-load.h"

#define CRYPTO_DEFINE(f) __typeof__(f) *cr_##f;
CRYPTO_FUNCTIONS(CRYPTO_DEFINE)

int
crypto_load(void)
{
#define CRYPTO_SYM(f) DL_SYM(cr_, f)
	static const struct dl_sym syms[] = { CRYPTO_FUNCTIONS(CRYPTO_SYM) };
	static int loaded;

	if (!loaded && dl_load("libcrypto.so.3", "libssl3", syms, sizeof syms / sizeof syms[0]) == 0)
		loaded = 1;
	return loaded ? 0 : -1;
}
