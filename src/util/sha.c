/*
 * sha.c: SHA-256 and SHA-1 (FIPS 180-4), for HMAC and digests.
 *
 * Written here rather than taken from libcrypto: a program linked with
 * libcrypto runs OpenSSL's CPU detection at every start (CPUID, trapped
 * by the hypervisor on a VM), measured here at 0.35 ms, more than a
 * webhook's whole verification.  Only sms-parse, which checks SNS's RSA
 * signatures, still links libcrypto.  tests/units.bats compares both
 * digests and HMAC with Python's hashlib over many lengths.
 */
#include <stdint.h>
#include <string.h>

#include "calsms.h"

#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))
#define ROL(x, n) ((x) << (n) | (x) >> (32 - (n)))

static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
block256(uint32_t *h, const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = be32(p + 4 * i);
	for (; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ w[i - 15] >> 3) +
		    w[i - 7] + (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ w[i - 2] >> 10);
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void
block1(uint32_t *h, const unsigned char *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = be32(p + 4 * i);
	for (; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		t = ROL(a, 5) + f + e + k + w[i];
		e = d, d = c, c = ROL(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

void
sha_init(struct sha *s, int bits)
{
	static const uint32_t h256[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	static const uint32_t h1[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
	    0xc3d2e1f0 };

	memset(s, 0, sizeof *s);
	s->words = bits == 1 ? 5 : 8;
	memcpy(s->h, bits == 1 ? h1 : h256, (size_t)s->words * 4);
}

static void
sha_block(struct sha *s, const unsigned char *p)
{
	if (s->words == 5)
		block1(s->h, p);
	else
		block256(s->h, p);
}

void
sha_update(struct sha *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t take;

	s->total += n;
	while (n > 0) {
		take = 64 - s->have < n ? 64 - s->have : n;
		memcpy(s->buf + s->have, p, take);
		s->have += take, p += take, n -= take;
		if (s->have == 64) {
			sha_block(s, s->buf);
			s->have = 0;
		}
	}
}

/* Writes the digest (20 or 32 bytes) to out; s is wiped. */
void
sha_final(struct sha *s, unsigned char *out)
{
	uint64_t bits = s->total * 8;
	int i;

	s->buf[s->have++] = 0x80;
	if (s->have > 56) {
		memset(s->buf + s->have, 0, 64 - s->have);
		sha_block(s, s->buf);
		s->have = 0;
	}
	memset(s->buf + s->have, 0, 56 - s->have);
	put_be32(s->buf + 56, (uint32_t)(bits >> 32));
	put_be32(s->buf + 60, (uint32_t)bits);
	sha_block(s, s->buf);
	for (i = 0; i < s->words; i++)
		put_be32(out + 4 * i, s->h[i]);
	explicit_bzero(s, sizeof *s);
}
