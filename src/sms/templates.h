/* templates.h: sms-send's templates (templates.c) */
#ifndef TEMPLATES_H
#define TEMPLATES_H

#include <stddef.h>
#include <jv.h>

/* 0, or 78 naming the file; whatsapp: DUE.content names an approved template */
int templates_load(const char *file, const char *dir, int whatsapp);
int templates_off(jv line, const char *due);
char *templates_render(jv line, const char **content, char *err, size_t n);
const char *templates_variant(jv line);	/* the conversation's A/B variant, or NULL */
int templates_check(const char *file, const char *dir, int whatsapp);	/* --check: 78 if one fails */
void templates_free(void);

/* lint.c: what a rendered text must and must not say */
int template_lint(const char *due, const char *body, char *err, size_t n);

#endif
