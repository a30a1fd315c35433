/* calendly.h: Calendly's invitee, as the appointment line calsms(7) defines */
#ifndef CALENDLY_H
#define CALENDLY_H

#include <regex.h>
#include <jv.h>

/* the questions whose answers may hold the phone number (cal-parse -q) */
#define CALENDLY_QUESTION \
	"phone|mobile|cell|sms|text|whats ?app|telefon|handy|portable|movil|móvil|celular"

/* p is the invitee with its scheduled_event inside (the webhook payload) */
jv calendly_appointment(jv p, int cancel, const regex_t *question);
/* lower case letters, digits and single dashes, or null: a name a file can carry */
jv slug_of(const char *name);

/* calcom.c: p is a Cal.com webhook's payload */
jv calcom_appointment(jv p, int cancel);

#endif
