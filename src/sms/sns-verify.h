/* sns-verify.h: Amazon SNS message signatures (sns-verify.c). */
#ifndef SNS_VERIFY_H
#define SNS_VERIFY_H

#include <jv.h>

#include "calsms.h"

#define CERT_MAX 65536

int sns_url_ok(const char *url, int pem);
int sns_get(const char *url, struct strbuf *b);
int sns_verify(jv msg, const char *cache);
/* what sns.c verifies an inbound message with: sms-parse sets it to sns_verify */
extern int (*sns_verifier)(jv msg, const char *cache);

#endif
