/* sns-verify.h: Amazon SNS message signatures (sns-verify.c). */
#ifndef SNS_VERIFY_H
#define SNS_VERIFY_H

#include <jv.h>

#include "calsms.h"

int sns_url_ok(const char *url, int pem);
int sns_get(const char *url, struct strbuf *b);
int sns_verify(jv msg, const char *cache);

#endif
