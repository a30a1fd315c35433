/*
 * hmac.c: HMAC-SHA256, SHA-256 and hex over OpenSSL's libcrypto.
 *
 * HMAC-SHA256 is built on the low-level SHA256_* functions: OpenSSL 3's
 * EVP layer initialises its providers on first use, about 1.5 ms, more
 * than all the rest of a cal-parse run that verifies one webhook.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "calsms.h"

void
hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[32])
{
	unsigned char k[64] = { 0 }, pad[64], inner[32];
	SHA256_CTX c;
	size_t i;

	if (keylen > sizeof k)
		sha256(key, keylen, k);
	else
		memcpy(k, key, keylen);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	SHA256_Init(&c);
	SHA256_Update(&c, pad, 64);
	SHA256_Update(&c, msg, len);
	SHA256_Final(inner, &c);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256_Init(&c);
	SHA256_Update(&c, pad, 64);
	SHA256_Update(&c, inner, 32);
	SHA256_Final(out, &c);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(pad, sizeof pad);
}

void
sha256(const void *msg, size_t len, unsigned char out[32])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, msg, len);
	SHA256_Final(out, &c);
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
