/*
 * curl-load.c: libcurl, loaded by the programs that send or fetch, when
 * they first do (see curl-load.h).
 */
#define CURL_LOAD
#include "calsms.h"
#include "curl-load.h"

#define CURL_DEFINE(f) __typeof__(f) *cl_##f;
CURL_FUNCTIONS(CURL_DEFINE)

int
curl_load(void)
{
#define CURL_SYM(f) DL_SYM(cl_, f)
	static const struct dl_sym syms[] = { CURL_FUNCTIONS(CURL_SYM) };
	static int loaded;

	if (loaded)
		return 0;
	if (dl_load("libcurl.so.4", "libcurl4", syms, sizeof syms / sizeof syms[0]) != 0)
		return -1;
	if (cl_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		note("libcurl did not start");
		return -1;
	}
	loaded = 1;
	return 0;
}
