/* sigv4.h: AWS Signature Version 4 (sigv4.c). */
#ifndef SIGV4_H
#define SIGV4_H

#include <stddef.h>

struct sigv4_key {
	const char *access_key, *secret, *region, *service;
};

void sigv4_sign(const struct sigv4_key *k, const char *method, const char *path,
    const char *query, const char *const *headers, int nheaders,
    const char *payload, size_t plen, const char *amzdate, char *auth, size_t n);

#endif
