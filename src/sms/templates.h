/* templates.h: sms-send's templates (templates.c) */
#ifndef TEMPLATES_H
#define TEMPLATES_H

#include <stddef.h>
#include <jv.h>

int templates_load(const char *file, const char *dir);	/* 0, or 78 naming the file */
int templates_off(jv line, const char *due);
char *templates_render(jv line, const char **content, char *err, size_t n);
int templates_whatsapp(void);	/* TWILIO_CHANNEL=whatsapp */
const char *templates_variant(jv line);	/* the conversation's A/B variant, or NULL */
int templates_check(const char *file, const char *dir);	/* --check: 78 if one fails */
void templates_free(void);

/* lint.c: what a rendered text must and must not say */
int template_lint(const char *due, const char *body, char *err, size_t n);

#endif
