/*
 * kinds.c: the kinds of message, in one table: the name on the pipes
 * (due, messages[].kind), the field that says whether a once-only moment
 * is still to come, whether it counts as the confirmation, whether we
 * start it (quiet hours hold it, the daily cap counts it), whether the business turns it on by writing its template,
 * and the follow-up-due option that turns it on or sets its offset.
 */
#include <string.h>

#include "calsms.h"
#include "rules.h"

const struct kind_info kinds[KIND_COUNT] = {
	[KIND_CONFIRM] = { KIND_CONFIRM, "confirm", NULL, 1, 1, 0, NULL },
	[KIND_RESCHEDULED] = { KIND_RESCHEDULED, "rescheduled", NULL, 1, 1, 1, NULL },
	[KIND_FOLLOWUP] = { KIND_FOLLOWUP, "followup", NULL, 0, 1, 0, "-a" },
	[KIND_REMINDER] = { KIND_REMINDER, "reminder", "reminder", 0, 1, 0, "-r" },
	[KIND_HELP] = { KIND_HELP, "help", "help", 0, 0, 0, "-H" },
	[KIND_MANUAL] = { KIND_MANUAL, "manual", NULL, 0, 0, 0, NULL },
	[KIND_CANCELED] = { KIND_CANCELED, "canceled", "cancel_notice", 0, 1, 1, "-T" },
	[KIND_AFTER] = { KIND_AFTER, "after", "after", 0, 1, 1, "-A" },
};

/* The kind called name, or NULL. */
const struct kind_info *
kind_named(const char *name)
{
	int i;

	for (i = 0; name && i < KIND_COUNT; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

/* Whether name is the kind k. */
int
kind_is(const char *name, enum kind k)
{
	return name && strcmp(name, kinds[k].name) == 0;
}

/* Whether name is a kind we start, not an answer: quiet hours hold it, the daily cap counts it. */
int
kind_started(const char *name)
{
	const struct kind_info *k = kind_named(name);

	return k && k->quiet;
}
