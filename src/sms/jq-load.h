/*
 * jq-load.h: the jq programs sms-send runs (its templates), in the
 * system's libjq, loaded when the first is compiled.  The programs' JSON
 * values are jq's jv built in (src/jv); libjq has its own, so values
 * cross between the two as JSON text and never as jv: sms-send -h maps
 * libc alone, and a security update of Debian's libjq1 reaches the
 * interpreter at once.
 */
#ifndef JQ_LOAD_H
#define JQ_LOAD_H

#include <stddef.h>

#include <jv.h>

struct jq_program;

/* 0 once libjq is loaded; else -1, said with the package to install */
int jq_load(void);

/* text compiled, or NULL with the reason (jq's first message) in err */
struct jq_program *jq_program_compile(const char *text, char *err, size_t n);

/*
 * The kind of p's first output for input.  *text (malloc'd, or NULL) is
 * a string's value, any other value's compact JSON, or for
 * JV_KIND_INVALID the error (NULL: no output).
 */
jv_kind jq_program_first(struct jq_program *p, jv input, char **text);

void jq_program_free(struct jq_program *p);

#endif
