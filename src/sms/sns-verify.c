/*
 * sns-verify.c: an Amazon SNS HTTP(S) message is verified as AWS
 * documents it: the canonical string of its documented keys, in their
 * order, signed with RSA (SHA1 for SignatureVersion 1, SHA256 for 2) by
 * the certificate at SigningCertURL, which must be https, end in .pem,
 * and be served by sns.<region>.amazonaws.com.  The certificate is
 * fetched with libcurl (TLS verified) and kept in a cache directory.
 *
 * Only sms-parse links this file: it sets sns_verifier, which sns.c
 * calls, so sms-send, which shares sns.c, has no libcrypto; sms-parse
 * loads it (crypto-load.c) for the first SNS message it verifies.  The
 * fetching is sns-fetch.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto-load.h"
#include "provider.h"
#include "sns-verify.h"

/* The certificate's PEM, from the cache or fetched (and cached). */
static int
certificate(const char *url, const char *cache, struct strbuf *pem)
{
	unsigned char d[32];
	char hex[65], path[4200], tmp[4300];
	size_t len;
	FILE *f;
	char *text;
	int big;

	sha256(url, strlen(url), d);
	hex_encode(d, 32, hex);
	snprintf(path, sizeof path, "%s/%s.pem", cache ? cache : ".", hex);
	if (cache && (f = fopen(path, "r")) != NULL) {
		text = read_all(f, CERT_MAX, &len, &big);
		fclose(f);
		if (text) {
			sb_put(pem, text, len);
			free(text);
			return 0;
		}
	}
	if (sns_get(url, pem) != 0)
		return -1;
	if (cache == NULL)
		return 0;
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	if ((f = fopen(tmp, "w")) == NULL ||
	    fwrite(pem->p, 1, pem->len, f) != pem->len || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		note("%s: cannot cache the certificate: %s", cache, strerror(errno));
		unlink(tmp);
	}
	return 0;
}

static void
add(struct strbuf *s, jv msg, const char *key, int optional)
{
	const char *v = json_str(msg, key);

	if (v == NULL && optional)
		return;
	sb_puts(s, key);
	sb_put(s, "\n", 1);
	sb_puts(s, v ? v : "");
	sb_put(s, "\n", 1);
}

/* The string AWS signs, from the documented keys in their order. */
static void
canonical(jv msg, struct strbuf *s)
{
	const char *type = json_str(msg, "Type");

	add(s, msg, "Message", 0);
	add(s, msg, "MessageId", 0);
	if (type && strcmp(type, "Notification") == 0) {
		add(s, msg, "Subject", 1);
		add(s, msg, "Timestamp", 0);
	} else {
		add(s, msg, "SubscribeURL", 0);
		add(s, msg, "Timestamp", 0);
		add(s, msg, "Token", 0);
	}
	add(s, msg, "TopicArn", 0);
	add(s, msg, "Type", 0);
}

static int
rsa_verify(const struct strbuf *pem, const EVP_MD *md, const struct strbuf *text,
    const unsigned char *sig, size_t siglen)
{
	BIO *bio = BIO_new_mem_buf(pem->p, (int)pem->len);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	EVP_PKEY *key = x ? X509_get_pubkey(x) : NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = key && ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)text->p, text->len) == 1;

	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	X509_free(x);
	BIO_free(bio);
	return ok;
}

/*
 * Verifies msg (an SNS message object).  Returns 0, or the exit status:
 * 77 for anything about the signature, 75 when the certificate cannot be
 * fetched (SNS retries).
 */
int
sns_verify(jv msg, const char *cache)
{
	const char *ver = json_str(msg, "SignatureVersion"), *sig = json_str(msg, "Signature");
	const char *url = json_str(msg, "SigningCertURL");
	struct strbuf pem = { 0 }, text = { 0 };
	unsigned char raw[1024];
	const EVP_MD *md;
	int n, status = EXIT_NOPERM;

	if (ver == NULL || sig == NULL || url == NULL) {
		note("no Signature, SignatureVersion or SigningCertURL: refused");
		return EXIT_NOPERM;
	}
	if (crypto_load() != 0)
		return EXIT_UNAVAILABLE;
	md = strcmp(ver, "1") == 0 ? EVP_sha1() : strcmp(ver, "2") == 0 ? EVP_sha256() : NULL;
	if (md == NULL) {
		note("SignatureVersion %.8s is not 1 or 2: refused", ver);
		return EXIT_NOPERM;
	}
	if (!sns_url_ok(url, 1)) {
		note("SigningCertURL is not an https .pem on sns.<region>.amazonaws.com: refused");
		return EXIT_NOPERM;
	}
	if (strlen(sig) > 4 * sizeof raw / 3 || (n = base64_decode(sig, raw)) <= 0) {
		note("Signature is not base64: refused");
		return EXIT_NOPERM;
	}
	if (certificate(url, cache, &pem) != 0) {
		sb_free(&pem);
		return EXIT_TEMPFAIL;
	}
	canonical(msg, &text);
	if (rsa_verify(&pem, md, &text, raw, (size_t)n))
		status = 0;
	else
		note("the signature does not match the message: refused");
	sb_free(&pem);
	sb_free(&text);
	return status;
}
