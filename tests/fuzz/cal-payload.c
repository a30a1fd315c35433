/* fuzz: a Calendly or Cal.com payload, parsed and made an appointment line */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"
#include "calendly.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static struct question question = { .pattern = CALENDLY_QUESTION };
	static int ready;
	jv doc, payload;

	if (!ready) {
		log_init("cal-payload");
		ready = 1;
	}
	if (n > 65536 || !utf8_valid((const char *)data, n))
		return 0;
	doc = jv_parse_sized((const char *)data, (int)n);
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		jv_free(doc);
		return 0;
	}
	payload = json_get(doc, "payload");
	if (jv_get_kind(payload) == JV_KIND_OBJECT && json_str(doc, "triggerEvent"))
		jv_free(calcom_appointment(payload, json_str(payload, "rescheduleUid") != NULL));
	else if (jv_get_kind(payload) == JV_KIND_OBJECT)
		jv_free(calendly_appointment(payload, json_kind(payload, "cancellation") ==
		    JV_KIND_OBJECT, &question));
	jv_free(payload);
	jv_free(doc);
	return 0;
}
