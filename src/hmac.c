/* hmac.c: HMAC, SHA-256, hex and base64 over OpenSSL's libcrypto. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "calsms.h"

void
hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, &n);
}

void
hmac_sha1(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[20])
{
	unsigned int n = 20;

	HMAC(EVP_sha1(), key, (int)keylen, msg, len, out, &n);
}

void
sha256(const void *msg, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	EVP_Digest(msg, len, out, &n, EVP_sha256(), NULL);
}

/* out must hold 2n+1 bytes; lower case, NUL-terminated. */
void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hexlen hex digits (even) into out; -1 on a bad digit. */
int
hex_decode(const char *in, size_t hexlen, unsigned char *out)
{
	size_t i;
	int hi, lo;

	if (hexlen % 2)
		return -1;
	for (i = 0; i < hexlen / 2; i++) {
		hi = nibble(in[2 * i]);
		lo = nibble(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

/* out must hold 4 * ((n + 2) / 3) + 1 bytes; returns the length written. */
size_t
base64_encode(const unsigned char *in, size_t n, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}
