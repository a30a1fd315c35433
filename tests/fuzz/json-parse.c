/*
 * fuzz: json_parse_line against jq's parser.  Whatever line the fast
 * reader accepts, jq's must read as the same value, written the same;
 * what it refuses goes to jq's parser in the reader, so refusing is
 * always safe.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct strbuf a = { 0 }, b = { 0 };
	jv fast, slow;

	if (n > 65536 || json_parse_line((const char *)data, n, &fast) != 1)
		return 0;
	slow = jv_parse_sized((const char *)data, (int)n);
	if (!jv_is_valid(slow))
		abort();
	json_dump(fast, &a);
	json_dump(slow, &b);
	if (!jv_equal(jv_copy(fast), jv_copy(slow)) || a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
		abort();
	jv_free(fast);
	jv_free(slow);
	sb_free(&a);
	sb_free(&b);
	return 0;
}
