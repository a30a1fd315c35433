/*
 * crypto-load.h: the dozen libcrypto functions that verify an Amazon SNS
 * signature (sns-verify.c), loaded the first time one is verified.
 * Include it instead of OpenSSL's headers' functions: the names below
 * then call through pointers crypto_load() fills, so sms-parse starts
 * without mapping libcrypto (and its CPU detection) for a Twilio reply,
 * and a security update of Debian's libcrypto3 reaches it at once.
 */
#ifndef CRYPTO_LOAD_H
#define CRYPTO_LOAD_H

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define CRYPTO_FUNCTIONS(X) \
	X(BIO_free) \
	X(BIO_new_mem_buf) \
	X(EVP_DigestVerify) \
	X(EVP_DigestVerifyInit) \
	X(EVP_MD_CTX_free) \
	X(EVP_MD_CTX_new) \
	X(EVP_PKEY_free) \
	X(EVP_sha1) \
	X(EVP_sha256) \
	X(PEM_read_bio_X509) \
	X(X509_free) \
	X(X509_get_pubkey)

#define CRYPTO_POINTER(f) extern __typeof__(f) *cr_##f;
CRYPTO_FUNCTIONS(CRYPTO_POINTER)
#undef CRYPTO_POINTER

/* 0 once libcrypto is loaded; else -1, said */
int crypto_load(void);

#ifndef CRYPTO_LOAD
#define BIO_free cr_BIO_free
#define BIO_new_mem_buf cr_BIO_new_mem_buf
#define EVP_DigestVerify cr_EVP_DigestVerify
#define EVP_DigestVerifyInit cr_EVP_DigestVerifyInit
#define EVP_MD_CTX_free cr_EVP_MD_CTX_free
#define EVP_MD_CTX_new cr_EVP_MD_CTX_new
#define EVP_PKEY_free cr_EVP_PKEY_free
#define EVP_sha1 cr_EVP_sha1
#define EVP_sha256 cr_EVP_sha256
#define PEM_read_bio_X509 cr_PEM_read_bio_X509
#define X509_free cr_X509_free
#define X509_get_pubkey cr_X509_get_pubkey
#endif

#endif
