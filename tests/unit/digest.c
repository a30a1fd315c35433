/*
 * digest: calsms's SHA-256, SHA-1, HMAC and base64 (src/util/sha.c,
 * hmac.c) on stdin, for tests/units.bats to compare with Python's.
 * Usage: digest sha256 | sha1 | hmac256 KEY | hmac1 KEY | b64 | unb64
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"

int
main(int argc, char *argv[])
{
	size_t len;
	unsigned char *in, d[32], *raw;
	char hex[65], *b64;
	int n = 0, big;

	if (argc < 2)
		return 64;
	if ((in = (unsigned char *)read_all(stdin, 1 << 20, &len, &big)) == NULL)
		return 74;
	if (strcmp(argv[1], "sha256") == 0)
		sha256(in, len, d), n = 32;
	else if (strcmp(argv[1], "sha1") == 0) {
		struct sha s;

		sha_init(&s, 1);
		sha_update(&s, in, len / 2);	/* in two parts, to test the joining */
		sha_update(&s, in + len / 2, len - len / 2);
		sha_final(&s, d);
		n = 20;
	} else if (strcmp(argv[1], "hmac256") == 0 && argc == 3)
		hmac_sha256(argv[2], strlen(argv[2]), in, len, d), n = 32;
	else if (strcmp(argv[1], "hmac1") == 0 && argc == 3)
		hmac_sha1(argv[2], strlen(argv[2]), in, len, d), n = 20;
	else if (strcmp(argv[1], "b64") == 0) {
		b64 = malloc(4 * ((len + 2) / 3) + 1);
		base64_encode(in, len, b64);
		puts(b64);
		return 0;
	} else if (strcmp(argv[1], "unb64") == 0) {
		in[strcspn((char *)in, "\n")] = '\0';
		raw = malloc(len + 1);
		if ((n = base64_decode((char *)in, raw)) < 0)
			return 65;
		fwrite(raw, 1, (size_t)n, stdout);
		return 0;
	} else
		return 64;
	hex_encode(d, (size_t)n, hex);
	puts(hex);
	return 0;
}
