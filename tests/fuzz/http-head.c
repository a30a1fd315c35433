/* fuzz: http-hook's request head parser and Content-Length rules */
#include <stdint.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static struct request rq;
	size_t len = 0;
	int count;

	memset(&rq, 0, sizeof rq);
	if (n > MAX_HEAD)
		n = MAX_HEAD;
	memcpy(rq.head, data, n);
	rq.have = n;
	if ((rq.head_len = head_end(rq.head, n)) == 0)
		return 0;
	if (parse_head(&rq) == 0) {
		(void)content_length(&rq, 1 << 20, &len);
		(void)header(&rq, "Host", &count);
	}
	return 0;
}
