/*
 * lint.c: what a template's text must and must not say, by the carriers'
 * rules (CTIA): a confirmation says how to opt out ("Reply STOP to opt
 * out"), and no text invites an opt-out word as a command for anything
 * else ("reply CANCEL to cancel" opts the customer out at the carrier).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "calsms.h"
#include "rules.h"
#include "templates.h"

#define LINT_WORDS 400
#define LINT_WORD 24

static const char *const invite_verbs[] = { "reply", "text", "txt", "send", "respond",
	"responda", "responde", "escriba", "envie", "env\xc3\xad" "e", "r\xc3\xa9pondez", "repondez",
	"envoyez", "\xc3\xa9" "crivez", "ecrivez", NULL };
static const char *const fillers[] = { "with", "back", "con", NULL };
static const char *const optout_words[] = { "stop", "stopall", "cancel", "end", "quit",
	"unsubscribe", "revoke", "optout", "opt-out", "remove", "arret", "td", "baja", NULL };
/* what the words after "to" or "para" say when it is for stopping ("end" alone does not) */
static const char *const stop_purposes[] = { "opt", "optout", "opt-out", "unsubscribe",
	"stop", "stopping", "removed", "baja", "recibir", "messages", "texts", "msgs",
	"alerts", "mensajes", "d\xc3\xa9sabonner", "desabonner", "d\xc3\xa9sinscrire", NULL };

struct lint_words {
	char w[LINT_WORDS][LINT_WORD];
	int end[LINT_WORDS];	/* a sentence ends after this word */
	int caps[LINT_WORDS];	/* written in capitals, as a keyword is */
	int n;
};

static void
lint_split(const char *s, struct lint_words *ws)
{
	size_t len = 0;

	memset(ws, 0, sizeof *ws);
	for (;; s++) {
		int c = (unsigned char)*s, part = isalnum(c) || c == '-' || c >= 0x80;

		if (part && len < LINT_WORD - 1 && ws->n < LINT_WORDS) {
			if (len == 0)
				ws->caps[ws->n] = 1;
			ws->caps[ws->n] &= !islower(c);
			ws->w[ws->n][len++] = (char)tolower(c);
		}
		if ((!part || *s == '\0') && len > 0) {
			ws->n++;
			len = 0;
		}
		if ((c == '.' || c == '!' || c == '?' || c == '\0') && ws->n > 0)
			ws->end[ws->n - 1] = 1;
		if (*s == '\0')
			break;
	}
}

/*
 * Each invitation to text an opt-out word ("Reply STOP to opt out", or
 * the word in capitals: "Reply YES or CANCEL to cancel"):
 * *ok counts those that are for stopping, the return value those that
 * are for something else, whose word is put in bad.
 */
static int
invitations(const struct lint_words *ws, int *ok, char *bad, size_t n)
{
	int i, j, k, wrong = 0, for_stop;

	*ok = 0;
	for (i = 0; i < ws->n; i++) {
		k = i;
		if (str_listed(ws->w[i], invite_verbs) && !ws->end[i] && i + 1 < ws->n) {
			k = i + 1;
			if (str_listed(ws->w[k], fillers) && k + 1 < ws->n && !ws->end[k])
				k++;
			i = k;
		} else if (!ws->caps[i] || strlen(ws->w[i]) < 2)
			continue;
		if (!str_listed(ws->w[k], optout_words))
			continue;
		/* bare "Reply STOP." is for stopping; another word needs its purpose */
		for_stop = ws->end[k] || k + 1 == ws->n ? strcmp(ws->w[k], "stop") == 0 : 0;
		for (j = k + 1; j < ws->n && j <= k + 6 && !for_stop; j++) {
			for_stop = str_listed(ws->w[j], stop_purposes);
			if (ws->end[j])
				break;
		}
		if (for_stop)
			(*ok)++;
		else if (wrong++ == 0)
			snprintf(bad, n, "%s", ws->w[k]);
	}
	return wrong;
}

/* 0, or -1 with why in err: what the rendered text of a due kind breaks. */
int
template_lint(const char *due, const char *body, char *err, size_t n)
{
	static struct lint_words ws;
	char bad[LINT_WORD] = "";
	int ok;

	lint_split(body, &ws);
	if (invitations(&ws, &ok, bad, sizeof bad) > 0) {
		for (char *p = bad; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		snprintf(err, n, "invites the reply %s for something other than stopping: "
		    "carriers treat %s as an opt-out", bad, bad);
		return -1;
	}
	if (ok == 0 && kind_confirms(due)) {
		snprintf(err, n, "a confirmation must say how to opt out (\"Reply STOP to opt out\")");
		return -1;
	}
	return 0;
}
