/*
 * jq-load.c: jq programs run in libjq, loaded at the first compile (see
 * jq-load.h).  Every jv here that starts with lj_ is libjq's.
 */
#include <stdlib.h>
#include <string.h>

#include <jq.h>

#include "calsms.h"
#include "jq-load.h"

#define LIBJQ_FUNCTIONS(X) \
	X(jq_compile) \
	X(jq_init) \
	X(jq_next) \
	X(jq_set_debug_cb) \
	X(jq_set_error_cb) \
	X(jq_set_input_cb) \
	X(jq_start) \
	X(jq_teardown) \
	X(jv_dump_string) \
	X(jv_free) \
	X(jv_get_kind) \
	X(jv_invalid_get_msg) \
	X(jv_parse_sized) \
	X(jv_string_value)

#define LIBJQ_DEFINE(f) static __typeof__(f) *lj_##f;
LIBJQ_FUNCTIONS(LIBJQ_DEFINE)

struct jq_program {
	jq_state *jq;
	char error[256];	/* jq's first message since the last start */
};

int
jq_load(void)
{
#define LIBJQ_SYM(f) DL_SYM(lj_, f)
	static const struct dl_sym syms[] = { LIBJQ_FUNCTIONS(LIBJQ_SYM) };
	static int loaded;

	if (!loaded)
		loaded = dl_load("libjq.so.1", "libjq1", syms, sizeof syms / sizeof syms[0]) == 0 ? 1 : -1;
	return loaded == 1 ? 0 : -1;
}

/* libjq's value as text: a string's own, anything else's JSON; takes v */
static char *
lj_text(jv v)
{
	jv s = lj_jv_get_kind(v) == JV_KIND_STRING ? v : lj_jv_dump_string(v, 0);
	char *text = strdup(lj_jv_string_value(s));

	lj_jv_free(s);
	return text;
}

static void
keep_error(void *data, jv msg)
{
	struct jq_program *p = data;
	char *text = lj_text(msg);

	if (p->error[0] == '\0' && text)
		snprintf(p->error, sizeof p->error, "%s", text);
	free(text);
}

struct jq_program *
jq_program_compile(const char *text, char *err, size_t n)
{
	struct jq_program *p;

	if (jq_load() != 0) {
		snprintf(err, n, "libjq.so.1 cannot be loaded");
		return NULL;
	}
	if ((p = calloc(1, sizeof *p)) == NULL || (p->jq = lj_jq_init()) == NULL) {
		snprintf(err, n, "out of memory");
		free(p);
		return NULL;
	}
	lj_jq_set_error_cb(p->jq, keep_error, p);
	lj_jq_set_input_cb(p->jq, NULL, NULL);
	lj_jq_set_debug_cb(p->jq, NULL, NULL);
	if (!lj_jq_compile(p->jq, text)) {
		snprintf(err, n, "%s", p->error[0] ? p->error : "jq refused it");
		jq_program_free(p);
		return NULL;
	}
	return p;
}

jv_kind
jq_program_first(struct jq_program *p, jv input, char **text)
{
	static struct strbuf json;
	jv in, r, msg;
	jv_kind kind;

	json.len = 0;
	json_dump(input, &json);
	in = lj_jv_parse_sized(json.p, (int)json.len);
	*text = NULL;
	p->error[0] = '\0';
	if (lj_jv_get_kind(in) == JV_KIND_INVALID) {	/* jv wrote what jq cannot read */
		*text = lj_text(lj_jv_invalid_get_msg(in));
		return JV_KIND_INVALID;
	}
	lj_jq_start(p->jq, in, 0);
	r = lj_jq_next(p->jq);
	if ((kind = lj_jv_get_kind(r)) != JV_KIND_INVALID) {
		*text = lj_text(r);
		return kind;
	}
	msg = lj_jv_invalid_get_msg(r);
	if (lj_jv_get_kind(msg) == JV_KIND_STRING)
		*text = lj_text(msg);
	else {
		lj_jv_free(msg);
		*text = p->error[0] ? strdup(p->error) : NULL;
	}
	return JV_KIND_INVALID;
}

void
jq_program_free(struct jq_program *p)
{
	if (p == NULL)
		return;
	if (p->jq)
		lj_jq_teardown(&p->jq);
	free(p);
}
