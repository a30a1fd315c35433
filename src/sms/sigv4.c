/*
 * sigv4.c: AWS Signature Version 4 over OpenSSL (hmac.c), for SNS and End
 * User Messaging.  Reproduces AWS's own test-suite vectors
 * (tests/unit/sigv4-vectors.c, run by make check).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"
#include "sigv4.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The canonical query: parameters encoded, then sorted. */
static void
canonical_query(struct strbuf *b, const char *query)
{
	char *parts[64], *copy = strdup(query ? query : ""), *save = NULL, *p;
	struct strbuf one[64];
	int n = 0, i;

	for (p = strtok_r(copy, "&", &save); p && n < 64; p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '=');

		one[n] = (struct strbuf){ 0 };
		sb_pct(&one[n], p, eq ? (size_t)(eq - p) : strlen(p));
		sb_put(&one[n], "=", 1);
		if (eq)
			sb_pct(&one[n], eq + 1, strlen(eq + 1));
		parts[n] = one[n].p;
		n++;
	}
	qsort(parts, (size_t)n, sizeof parts[0], cmp_str);
	for (i = 0; i < n; i++) {
		if (i)
			sb_put(b, "&", 1);
		sb_puts(b, parts[i]);
		free(parts[i]);
	}
	free(copy);
}

static void
hex_sha256(const void *msg, size_t len, char out[65])
{
	unsigned char d[32];

	sha256(msg, len, d);
	hex_encode(d, 32, out);
}

/*
 * Signs one request. headers are "name:value" strings, names in lower
 * case, sorted; amzdate is YYYYMMDDTHHMMSSZ. Writes the Authorization
 * header's value into auth.
 */
void
sigv4_sign(const struct sigv4_key *k, const char *method, const char *path,
    const char *query, const char *const *headers, int nheaders,
    const char *payload, size_t plen, const char *amzdate, char *auth, size_t n)
{
	struct strbuf req = { 0 }, names = { 0 }, sts = { 0 };
	char hash[65], scope[128], date[9], sig[65];
	unsigned char kd[32], kr[32], ks[32], kk[32], mac[32];
	char secret[256];
	int i;

	snprintf(date, sizeof date, "%.8s", amzdate);
	sb_puts(&req, method);
	sb_put(&req, "\n", 1);
	sb_puts(&req, path && *path ? path : "/");
	sb_put(&req, "\n", 1);
	canonical_query(&req, query);
	sb_put(&req, "\n", 1);
	for (i = 0; i < nheaders; i++) {
		const char *colon = strchr(headers[i], ':');

		sb_puts(&req, headers[i]);
		sb_put(&req, "\n", 1);
		if (i)
			sb_put(&names, ";", 1);
		sb_put(&names, headers[i], colon ? (size_t)(colon - headers[i]) : strlen(headers[i]));
	}
	sb_put(&req, "\n", 1);
	sb_puts(&req, names.p ? names.p : "");
	sb_put(&req, "\n", 1);
	hex_sha256(payload ? payload : "", plen, hash);
	sb_puts(&req, hash);

	snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, k->region, k->service);
	hex_sha256(req.p, req.len, hash);
	sb_puts(&sts, "AWS4-HMAC-SHA256\n");
	sb_puts(&sts, amzdate);
	sb_put(&sts, "\n", 1);
	sb_puts(&sts, scope);
	sb_put(&sts, "\n", 1);
	sb_puts(&sts, hash);

	snprintf(secret, sizeof secret, "AWS4%s", k->secret);
	hmac_sha256(secret, strlen(secret), date, 8, kd);
	hmac_sha256(kd, 32, k->region, strlen(k->region), kr);
	hmac_sha256(kr, 32, k->service, strlen(k->service), ks);
	hmac_sha256(ks, 32, "aws4_request", 12, kk);
	hmac_sha256(kk, 32, sts.p, sts.len, mac);
	hex_encode(mac, 32, sig);
	snprintf(auth, n, "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
	    k->access_key, scope, names.p ? names.p : "", sig);
	memset(secret, 0, sizeof secret);
	free(req.p);
	free(names.p);
	free(sts.p);
}
