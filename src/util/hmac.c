/*
 * hmac.c: HMAC-SHA256 and HMAC-SHA1, SHA-256, hex and base64 over
 * OpenSSL's libcrypto.
 *
 * HMAC is built on the low-level SHA256_* and SHA1_* functions: OpenSSL 3's
 * EVP layer initialises its providers on first use, about 1.5 ms, more
 * than all the rest of a cal-parse run that verifies one webhook.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <string.h>

#include <openssl/crypto.h>
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
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
		    (i + 2 < n ? in[i + 2] : 0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
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
	size_t n = strlen(in), i, o = 0;
	unsigned v = 0;
	const char *p;
	int k;

	if (n == 0 || n % 4)
		return -1;
	for (i = 0; i < n; i++) {
		if (in[i] == '=' && i >= n - 2) {
			if (i == n - 2 && in[n - 1] != '=')
				return -1;
			break;
		}
		if (in[i] == '\0' || (p = strchr(b64, in[i])) == NULL)
			return -1;
		v = v << 6 | (unsigned)(p - b64);
		if (i % 4 == 3) {
			out[o++] = (unsigned char)(v >> 16);
			out[o++] = (unsigned char)(v >> 8);
			out[o++] = (unsigned char)v;
			v = 0;
		}
	}
	k = (int)(n - i);	/* padding */
	if (k == 1) {
		v <<= 6;
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
	} else if (k == 2) {
		v <<= 12;
		out[o++] = (unsigned char)(v >> 16);
	}
	return (int)o;
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
