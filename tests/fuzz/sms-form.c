/* fuzz: sms-parse's form decoder, and the reply or receipt line from it */
#include <stdint.h>

#include "provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	jv params;

	log_init("sms-form");
	if (form_decode((const char *)data, n, &params) != 0)
		return 0;
	(void)form_get(params, "Body");
	jv_free(twilio_line(params));
	jv_free(params);
	return 0;
}
