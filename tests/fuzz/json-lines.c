/* fuzz: the JSON line reader every stream goes through, fed in pieces */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static int
take(jv v, long line, void *ctx)
{
	(void)line;
	(*(long *)ctx)++;
	jv_free(v);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct json_reader *r;
	long values = 0;
	size_t at = 0, piece;

	log_init("json-lines");
	if ((r = json_reader_new("fuzz", take, &values)) == NULL)
		return 0;
	while (at < n) {
		piece = (data[at] % 61) + 1;
		if (piece > n - at)
			piece = n - at;
		json_reader_feed(r, (const char *)data + at, piece);
		at += piece;
	}
	(void)json_reader_end(r);
	return 0;
}
