/*
 * intent.c: what a reply means, by the keyword table calsms(7) and
 * conv-store(1) give; sms-parse and the store share it.
 */
#include <ctype.h>
#include <string.h>

#include "calsms.h"
#include "rules.h"
#include "rules-impl.h"

/* ---- reply keywords ---- */

/*
 * The line drawn: carriers' opt-out words count alone, as carriers match
 * them; a sentence is STOP only when every word of it belongs to asking
 * to stop (STOP_WORDS) with a stop verb among them and no negation, so
 * "stop please" and "please stop texting me" stop, and "don't stop the
 * appointment" or "cancel my appointment" do not.  YES and NO count as
 * the first word; a few plain phrases as written below.
 */
#define MAX_WORDS 24
#define WORD_MAX 24

static const char *const stop_alone[] = { "stop", "stopall", "unsubscribe", "cancel",
	"end", "quit", "revoke", "optout", "opt-out", "remove", "arret", "arr\xc3\xaat",
	"td", "baja", NULL };
static const char *const stop_verbs[] = { "stop", "stopall", "unsubscribe", "optout",
	"opt-out", "remove", "quit", "revoke", NULL };
static const char *const stop_words[] = { "stop", "stopall", "unsubscribe", "optout",
	"opt-out", "opt", "out", "remove", "quit", "revoke", "please", "pls", "plz", "me",
	"my", "number", "texting", "text", "texts", "txt", "messaging", "message",
	"messages", "sending", "send", "now", "all", "thanks", "thank", "you", "from",
	"this", "list", "these", "it", "them", "the", "immediately", "and", NULL };
static const char *const negations[] = { "don't", "dont", "do", "not", "never",
	"no", "doesn't", NULL };
static const char *const yes_first[] = { "yes", "y", "yep", "yeah", "yup", "ya",
	"confirm", "confirmed", "ok", "okay", "k", "sure", "absolutely", "definitely",
	"correct", "si", "s\xc3\xad", "s\xc3\x8d", NULL };	/* si, sí, SÍ */
static const char *const no_first[] = { "no", "n", "nope", "nah", "decline",
	"declined", NULL };
static const char *const yes_phrases[] = { "i'll be there", "ill be there",
	"i will be there", "will be there", "see you", "sounds good", "no problem",
	"no worries", NULL };
static const char *const no_phrases[] = { "can't make it", "cant make it",
	"cannot make it", "can't come", "cant come", "won't make it", "wont make it",
	"not coming", "can't attend", "cannot attend", "won't be able", "can't be there",
	"cant be there", NULL };

struct words {
	char w[MAX_WORDS][WORD_MAX];
	int n, cut;
	char joined[MAX_WORDS * WORD_MAX];
};

/* Words in lower case: letters, digits, ' and -; a curly apostrophe is '. */
static void
split_words(const char *s, struct words *ws)
{
	size_t len = 0;

	memset(ws, 0, sizeof *ws);
	for (;; s++) {
		int c = (unsigned char)*s, part = isalnum(c) || c == '\'' || c == '-' || c >= 0x80;

		if (strncmp(s, "\xe2\x80\x99", 3) == 0) {	/* ’ */
			c = '\'';
			part = 1;
			s += 2;
		}
		if (part && len < WORD_MAX - 1 && ws->n < MAX_WORDS)
			ws->w[ws->n][len++] = (char)tolower(c);
		else if (part)
			ws->cut = 1;
		if ((!part || *s == '\0') && len > 0) {
			ws->n++;
			len = 0;
		}
		if (*s == '\0')
			break;
	}
	for (int i = 0; i < ws->n; i++) {
		if (i)
			strcat(ws->joined, " ");
		strcat(ws->joined, ws->w[i]);
	}
}

static int
asks_to_stop(const struct words *ws)
{
	int i, verb = 0;

	if (ws->cut || ws->n == 0)
		return 0;
	if (ws->n == 1 && str_listed(ws->w[0], stop_alone))
		return 1;
	for (i = 0; i < ws->n; i++) {
		if (str_listed(ws->w[i], negations) || !str_listed(ws->w[i], stop_words))
			return 0;
		verb |= str_listed(ws->w[i], stop_verbs) ||
		    (i + 1 < ws->n && !strcmp(ws->w[i], "opt") && !strcmp(ws->w[i + 1], "out"));
	}
	return verb;
}

static int
has_phrase(const struct words *ws, const char *const *list, int at_start)
{
	size_t n;

	for (; *list; list++) {
		n = strlen(*list);
		if (at_start ? strncmp(ws->joined, *list, n) == 0 &&
		    (ws->joined[n] == '\0' || ws->joined[n] == ' ') :
		    strstr(ws->joined, *list) != NULL)
			return 1;
	}
	return 0;
}

/* The intent of a reply's text: stop, start, help, confirm, decline or other. */
const char *
reply_intent(const char *body)
{
	struct words ws;

	split_words(body ? body : "", &ws);
	if (asks_to_stop(&ws))
		return "stop";
	if (ws.n == 1 && (!strcmp(ws.w[0], "start") || !strcmp(ws.w[0], "unstop")))
		return "start";
	if (ws.n == 1 && (!strcmp(ws.w[0], "help") || !strcmp(ws.w[0], "info") ||
	    !strcmp(ws.w[0], "ayuda")))
		return "help";
	if (has_phrase(&ws, no_phrases, 0))
		return "decline";
	if (has_phrase(&ws, yes_phrases, 1) || (ws.n > 0 && str_listed(ws.w[0], yes_first)) ||
	    strncmp(body ? body + strspn(body, " \t\r\n") : "", "\xf0\x9f\x91\x8d", 4) == 0)
		return "confirm";
	if (ws.n > 0 && str_listed(ws.w[0], no_first))
		return "decline";
	return "other";
}
