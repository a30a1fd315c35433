/* fuzz: cal-parse's Calendly-Webhook-Signature header reader */
#define main cal_parse_main
#include "../../src/cmd/cal-parse.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	char *header = malloc(n + 1);
	struct sig sig;

	if (header == NULL)
		return 0;
	memcpy(header, data, n);
	header[n] = '\0';
	(void)sig_parse(header, &sig);
	free(header);
	return 0;
}
