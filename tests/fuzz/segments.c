/* fuzz: the SMS segment counter */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);
	int ucs2, parts;

	if (s == NULL)
		return 0;
	memcpy(s, data, n);
	s[n] = '\0';
	parts = sms_segments(s, &ucs2);
	if (*s && parts < 1)
		abort();
	free(s);
	return 0;
}
