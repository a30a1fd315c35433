/* calendly.h: Calendly's invitee, as the appointment line calsms(7) defines */
#ifndef CALENDLY_H
#define CALENDLY_H

#include <regex.h>
#include <jv.h>

/* the questions whose answers may hold the phone number (cal-parse -q) */
#define CALENDLY_QUESTION \
	"phone|mobile|cell|sms|text|whats ?app|telefon|handy|portable|movil|móvil|celular"

/*
 * Those questions, compiled when first needed: an invitee who gave a text
 * reminder number needs none (regcomp is a tenth of a webhook's work).
 */
struct question {
	const char *pattern;
	int compiled;
	regex_t re;
};
/* 0, or -1: the pattern is not an extended regular expression */
int question_compile(struct question *q);
void question_free(struct question *q);

/* p is the invitee with its scheduled_event inside (the webhook payload) */
jv calendly_appointment(jv p, int cancel, struct question *question);
/* lower case letters, digits and single dashes, or null: a name a file can carry */
jv slug_of(const char *name);

/* calcom.c: p is a Cal.com webhook's payload */
jv calcom_appointment(jv p, int cancel);

#endif
