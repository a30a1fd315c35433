/* fuzz: the phone number normaliser */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1), out[17];

	if (s == NULL)
		return 0;
	memcpy(s, data, n);
	s[n] = '\0';
	if (phone_e164(s, "US", out) == 0 && (out[0] != '+' || strlen(out) > 16))
		abort();
	(void)phone_e164(s, "GB", out);
	free(s);
	return 0;
}
