/* fuzz: the phone number normaliser */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static const char *const cc[] = { "US", "GB", "KR", "DE" };
	char *s = malloc(n + 1), out[17], again[17];
	size_t i;

	if (s == NULL)
		return 0;
	memcpy(s, data, n);
	s[n] = '\0';
	/* a number written out reads back as itself, whatever the country */
	for (i = 0; i < sizeof cc / sizeof cc[0]; i++)
		if (phone_e164(s, cc[i], out) == 0 && (out[0] != '+' || strlen(out) > 16 ||
		    phone_e164(out, "US", again) != 0 || strcmp(out, again) != 0))
			abort();
	free(s);
	return 0;
}
