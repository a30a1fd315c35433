/*
 * hmac.c: HMAC-SHA256 and HMAC-SHA1 (RFC 2104) over sha.c, SHA-256, hex
 * and base64 (RFC 4648), and a comparison in constant time.  Nothing here
 * needs libcrypto (see sha.c for why it is not used).
 */
#include <limits.h>
#include <string.h>

#include "calsms.h"

/* A hash of two parts, a then b: what HMAC needs, twice. */
static void
hash2(int bits, const void *a, size_t an, const void *b, size_t bn, unsigned char *out)
{
	struct sha s;

	sha_init(&s, bits);
	sha_update(&s, a, an);
	sha_update(&s, b, bn);
	sha_final(&s, out);
}

/* RFC 2104 over a hash with 64-byte blocks and a digest of size bytes. */
static void
hmac(int bits, size_t size, const void *key, size_t keylen, const void *msg,
    size_t len, unsigned char *out)
{
	unsigned char k[64] = { 0 }, pad[64], inner[32];
	size_t i;

	if (keylen > sizeof k)
		hash2(bits, key, keylen, "", 0, k);
	else
		memcpy(k, key, keylen);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	hash2(bits, pad, 64, msg, len, inner);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	hash2(bits, pad, 64, inner, size, out);
	explicit_bzero(k, sizeof k);
	explicit_bzero(pad, sizeof pad);
	explicit_bzero(inner, sizeof inner);
}

void
hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[32])
{
	hmac(256, 32, key, keylen, msg, len, out);
}

/* Twilio signs its webhooks with HMAC-SHA1. */
void
hmac_sha1(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[20])
{
	hmac(1, 20, key, keylen, msg, len, out);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* out must hold 4 * ((n + 2) / 3) + 1 bytes; NUL-terminated. */
void
base64_encode(const unsigned char *in, size_t n, char *out)
{
	unsigned long v;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
		*out++ = b64[v >> 18 & 63], *out++ = b64[v >> 12 & 63];
		*out++ = b64[v >> 6 & 63], *out++ = b64[v & 63];
	}
	if (i < n) {
		v = (unsigned long)in[i] << 16 | (i + 1 < n ? (unsigned long)in[i + 1] << 8 : 0);
		*out++ = b64[v >> 18 & 63], *out++ = b64[v >> 12 & 63];
		*out++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

void
sha256(const void *msg, size_t len, unsigned char out[32])
{
	hash2(256, msg, len, "", 0, out);
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
	size_t n = strlen(in), body = strspn(in, b64), pad = n - body, i;
	unsigned long v = 0;
	int len = 0, bits = 0;

	if (n == 0 || n % 4 || n > INT_MAX || pad > 2 || strspn(in + body, "=") != pad)
		return -1;
	for (i = 0; i < body; i++) {
		v = (v << 6 | (unsigned long)(strchr(b64, in[i]) - b64)) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(v >> bits);
		}
	}
	return len;
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

/* Whether a and b hold the same n bytes, in a time that does not say where they differ. */
int
ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}
