/* fuzz: sms-parse's reader of SNS notifications (EUM replies and events) */
#include <stdint.h>

#include "provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	jv msg;

	log_init("sns-message");
	if (n > 65536 || !utf8_valid((const char *)data, n))
		return 0;
	msg = jv_parse_sized((const char *)data, (int)n);
	if (jv_get_kind(msg) == JV_KIND_OBJECT)
		jv_free(sns_line(msg));
	jv_free(msg);
	return 0;
}
