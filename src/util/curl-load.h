/*
 * curl-load.h: libcurl, loaded the first time a program sends or fetches.
 * Include it instead of <curl/curl.h>: the curl_ names below then call
 * through pointers curl_load() fills, so a program that only starts (-h,
 * an empty input, the log provider) never maps libcurl and the dozen
 * libraries that come with it (about 4 ms a start here).
 */
#ifndef CURL_LOAD_H
#define CURL_LOAD_H

/* the type-checking macros would wrap the names this file redefines; the
   pass-through macros curl.h defines without them are undefined below */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#define CURL_FUNCTIONS(X) \
	X(curl_easy_cleanup) \
	X(curl_easy_getinfo) \
	X(curl_easy_init) \
	X(curl_easy_perform) \
	X(curl_easy_reset) \
	X(curl_easy_setopt) \
	X(curl_easy_strerror) \
	X(curl_getdate) \
	X(curl_global_cleanup) \
	X(curl_global_init) \
	X(curl_multi_add_handle) \
	X(curl_multi_cleanup) \
	X(curl_multi_info_read) \
	X(curl_multi_init) \
	X(curl_multi_perform) \
	X(curl_multi_poll) \
	X(curl_multi_remove_handle) \
	X(curl_multi_setopt) \
	X(curl_slist_append) \
	X(curl_slist_free_all)

#define CURL_POINTER(f) extern __typeof__(f) *cl_##f;
CURL_FUNCTIONS(CURL_POINTER)
#undef CURL_POINTER

/* 0 once libcurl is loaded and curl_global_init has run; else -1, said */
int curl_load(void);

#ifndef CURL_LOAD
#undef curl_easy_cleanup
#define curl_easy_cleanup cl_curl_easy_cleanup
#undef curl_easy_getinfo
#define curl_easy_getinfo cl_curl_easy_getinfo
#undef curl_easy_init
#define curl_easy_init cl_curl_easy_init
#undef curl_easy_perform
#define curl_easy_perform cl_curl_easy_perform
#undef curl_easy_reset
#define curl_easy_reset cl_curl_easy_reset
#undef curl_easy_setopt
#define curl_easy_setopt cl_curl_easy_setopt
#undef curl_easy_strerror
#define curl_easy_strerror cl_curl_easy_strerror
#undef curl_getdate
#define curl_getdate cl_curl_getdate
#undef curl_global_cleanup
#define curl_global_cleanup cl_curl_global_cleanup
#undef curl_global_init
#define curl_global_init cl_curl_global_init
#undef curl_multi_add_handle
#define curl_multi_add_handle cl_curl_multi_add_handle
#undef curl_multi_cleanup
#define curl_multi_cleanup cl_curl_multi_cleanup
#undef curl_multi_info_read
#define curl_multi_info_read cl_curl_multi_info_read
#undef curl_multi_init
#define curl_multi_init cl_curl_multi_init
#undef curl_multi_perform
#define curl_multi_perform cl_curl_multi_perform
#undef curl_multi_poll
#define curl_multi_poll cl_curl_multi_poll
#undef curl_multi_remove_handle
#define curl_multi_remove_handle cl_curl_multi_remove_handle
#undef curl_multi_setopt
#define curl_multi_setopt cl_curl_multi_setopt
#undef curl_slist_append
#define curl_slist_append cl_curl_slist_append
#undef curl_slist_free_all
#define curl_slist_free_all cl_curl_slist_free_all
#endif

#endif
