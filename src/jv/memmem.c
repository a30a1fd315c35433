/*
 * memmem.c: the one function jq's jv.c takes from jq's util.c, which the
 * static jv leaves out (util.c also holds jq's input reader, and needs the
 * rest of jq).  jq's own is memmem where the C library has it, as here.
 */
#include <string.h>

const void *_jq_memmem(const void *haystack, size_t hlen, const void *needle, size_t nlen);

const void *
_jq_memmem(const void *haystack, size_t hlen, const void *needle, size_t nlen)
{
	return memmem(haystack, hlen, needle, nlen);
}
