/*
 * curl-load.c: libcurl, loaded by the programs that send or fetch, when
 * they first do (see curl-load.h).
 */
#include <dlfcn.h>

#define CURL_LOAD
#include "calsms.h"
#include "curl-load.h"

#define CURL_DEFINE(f) __typeof__(f) *cl_##f;
CURL_FUNCTIONS(CURL_DEFINE)

int
curl_load(void)
{
	static int loaded;
	void *h;

	if (loaded)
		return 0;
	if ((h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL)) == NULL) {
		note("cannot load libcurl (Debian: apt-get install libcurl4): %s", dlerror());
		return -1;
	}
#define CURL_FIND(f) \
	if ((*(void **)&cl_##f = dlsym(h, #f)) == NULL) { \
		note("libcurl lacks %s", #f); \
		return -1; \
	}
	CURL_FUNCTIONS(CURL_FIND)
	if (cl_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		note("libcurl did not start");
		return -1;
	}
	loaded = 1;
	return 0;
}
