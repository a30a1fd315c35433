/* fuzz: sms-parse's form decoder, and the reply or receipt line from it */
#define main sms_parse_main
#include "../../src/cmd/sms-parse.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	jv params;

	log_init("sms-form");
	if (form_decode((const char *)data, n, &params) != 0)
		return 0;
	(void)form_get(params, "Body");
	jv_free(line_of(params));
	jv_free(params);
	return 0;
}
