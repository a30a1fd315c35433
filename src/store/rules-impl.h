/*
 * rules-impl.h: what the rules' files (rules.c, results.c, due.c,
 * operator.c, intent.c) share among themselves and with no one else.
 */
#ifndef RULES_IMPL_H
#define RULES_IMPL_H

#include <jv.h>

/* rules.c */
int conv_is(jv conv, const char *key, const char *value);
const char *conv_moment_field(const char *kind);
jv conv_touch(jv conv, int64_t now);
jv conv_set_status(jv conv, const char *status, int64_t now);
jv conv_set(jv conv, const char *key, jv value);
jv conv_refuse(jv conv, const char *why);

/* results.c */
int conv_answered(jv conv);

#endif
