/*
 * digest: calsms's SHA-256, SHA-1, HMAC and base64 (src/util/sha.c,
 * hmac.c) on stdin, for tests/units.bats to compare with Python's.
 * Usage: digest sha256 | sha1 | hmac256 KEY | hmac1 KEY | b64 | unb64
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"

/* One mode on in (len bytes): prints the result; 0, 64 or 65. */
static int
digest(int argc, char *argv[], unsigned char *in, size_t len)
{
	unsigned char d[32], *raw;
	char hex[65], *b64;
	int n = 0;

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
		if ((b64 = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
			return 70;
		base64_encode(in, len, b64);
		puts(b64);
		free(b64);
		return 0;
	} else if (strcmp(argv[1], "unb64") == 0) {
		in[strcspn((char *)in, "\n")] = '\0';
		if ((raw = malloc(len + 1)) == NULL)
			return 70;
		if ((n = base64_decode((char *)in, raw)) >= 0)
			fwrite(raw, 1, (size_t)n, stdout);
		free(raw);
		return n < 0 ? 65 : 0;
	} else
		return 64;
	hex_encode(d, (size_t)n, hex);
	puts(hex);
	return 0;
}

int
main(int argc, char *argv[])
{
	size_t len;
	unsigned char *in;
	int big, status;

	if (argc < 2)
		return 64;
	if ((in = (unsigned char *)read_all(stdin, 1 << 20, &len, &big)) == NULL)
		return 74;
	status = digest(argc, argv, in, len);
	free(in);
	return status;
}
