/*
 * hmac.c: HMAC-SHA256 and HMAC-SHA1, SHA-256, hex and base64 over
 * OpenSSL's libcrypto.
 *
 * HMAC is built on the low-level SHA256_* and SHA1_* functions: OpenSSL 3's
 * EVP digests load its providers on first use (measured here: 0.6 ms for
 * the first SHA-256 through EVP_MD_fetch, 0.005 ms through SHA256_Init),
 * more than all the rest of a cal-parse run that verifies one webhook, and
 * a process verifies one; fetching the digest once does not avoid it.
 * Base64 is OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock, which load nothing.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "calsms.h"

/* a hash of two parts, a then b: what HMAC needs, twice */
typedef void (*hash2_fn)(const void *a, size_t an, const void *b, size_t bn,
    unsigned char *out);

static void
sha256_2(const void *a, size_t an, const void *b, size_t bn, unsigned char *out)
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, a, an);
	SHA256_Update(&c, b, bn);
	SHA256_Final(out, &c);
}

static void
sha1_2(const void *a, size_t an, const void *b, size_t bn, unsigned char *out)
{
	SHA_CTX c;

	SHA1_Init(&c);
	SHA1_Update(&c, a, an);
	SHA1_Update(&c, b, bn);
	SHA1_Final(out, &c);
}

/* RFC 2104 over a hash with 64-byte blocks and a digest of size bytes. */
static void
hmac(hash2_fn hash, size_t size, const void *key, size_t keylen, const void *msg,
    size_t len, unsigned char *out)
{
	unsigned char k[64] = { 0 }, pad[64], inner[64];
	size_t i;

	if (keylen > sizeof k)
		hash(key, keylen, "", 0, k);
	else
		memcpy(k, key, keylen);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	hash(pad, 64, msg, len, inner);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	hash(pad, 64, inner, size, out);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(pad, sizeof pad);
}

void
hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[32])
{
	hmac(sha256_2, 32, key, keylen, msg, len, out);
}

/* Twilio signs its webhooks with HMAC-SHA1. */
void
hmac_sha1(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[20])
{
	hmac(sha1_2, 20, key, keylen, msg, len, out);
}

/* out must hold 4 * ((n + 2) / 3) + 1 bytes; NUL-terminated. */
void
base64_encode(const unsigned char *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
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

/*
 * Decodes base64 (with its padding) into out, which must hold 3/4 of its
 * length; returns the bytes decoded, or -1 for anything else in it.
 */
int
base64_decode(const char *in, unsigned char *out)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), body = strspn(in, b64), pad = n - body;
	int len;

	/* EVP_DecodeBlock skips white space and counts the padding: we do not */
	if (n == 0 || n % 4 || n > INT_MAX || pad > 2 || strspn(in + body, "=") != pad)
		return -1;
	if ((len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n)) < 0)
		return -1;
	return len - (int)pad;
}

/* The value of one hex digit, or -1. */
int
hex_digit(char c)
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
		hi = hex_digit(in[2 * i]);
		lo = hex_digit(in[2 * i + 1]);
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
