/*
 * crypto-load.c: libcrypto, loaded by sms-parse when it first verifies an
 * Amazon SNS signature (see crypto-load.h).
 */
#include <dlfcn.h>

#define CRYPTO_LOAD
#include "calsms.h"
#include "crypto-load.h"

#define CRYPTO_DEFINE(f) __typeof__(f) *cr_##f;
CRYPTO_FUNCTIONS(CRYPTO_DEFINE)

int
crypto_load(void)
{
	static int loaded;
	void *h;

	if (loaded)
		return 0;
	if ((h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL)) == NULL) {
		note("cannot load libcrypto (Debian: apt-get install libssl3): %s", dlerror());
		return -1;
	}
#define CRYPTO_FIND(f) \
	if ((*(void **)&cr_##f = dlsym(h, #f)) == NULL) { \
		note("libcrypto lacks %s", #f); \
		return -1; \
	}
	CRYPTO_FUNCTIONS(CRYPTO_FIND)
	loaded = 1;
	return 0;
}
