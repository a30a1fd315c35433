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
 * them; a sentence is STOP when it holds one of the phrases people use to
 * ask for no more messages (stop_phrases: "take me off your list", "don't
 * text me", "wrong number"), or when every word of it belongs to asking
 * to stop (stop_words) with a stop verb among them and no negation, so
 * "stop please" and "please stop texting me" stop, and "don't stop the
 * appointment", "cancel my appointment" or "stop by at 3?" do not.  When
 * in doubt between stop and other, a phrase goes on the stop side: a
 * missed opt-out is the costly error.  AWS End User Messaging opts a
 * number out on a message that begins with one of its keywords
 * (aws_stop), so on AWS such a message is STOP too.  YES and NO count as
 * the first word; a few plain phrases as written below.
 */
#define MAX_WORDS 24
#define WORD_MAX 24

const char *const stop_alone[] = { "stop", "stopall", "unsubscribe", "cancel",
	"end", "quit", "revoke", "optout", "opt-out", "remove", "arret", "arr\xc3\xaat",
	"td", "baja", NULL };
const char *const aws_stop[] = { "arret", "cancel", "end", "opt-out", "optout", "quit",
	"remove", "stop", "td", "unsubscribe", NULL };
const char *const stop_phrases[] = { "take me off", "remove me", "remove my number",
	"opt me out", "opt out", "unsubscribe", "don't text", "dont text", "do not text",
	"don't message", "dont message", "do not message", "don't contact",
	"do not contact", "no more text", "no more texts", "no more messages",
	"no more msgs", "stop texting", "stop messaging", "stop sending", "stop contacting",
	"stop the texts", "stop these texts", "stop all texts", "wrong number",
	"leave me alone", "lose my number", "delete my number", NULL };
static const char *const stop_verbs[] = { "stop", "stopall", "unsubscribe", "optout",
	"opt-out", "remove", "quit", "revoke", NULL };
static const char *const stop_words[] = { "stop", "stopall", "unsubscribe", "optout",
	"opt-out", "opt", "out", "remove", "quit", "revoke", "please", "pls", "plz", "me",
	"my", "number", "texting", "text", "texts", "txt", "messaging", "message",
	"messages", "sending", "send", "now", "all", "thanks", "thank", "you", "from",
	"this", "list", "these", "it", "them", "the", "immediately", "and", "your", NULL };
static const char *const negations[] = { "don't", "dont", "do", "not", "never",
	"no", "doesn't", NULL };
static const char *const yes_first[] = { "yes", "y", "yep", "yeah", "yup", "ya",
	"confirm", "confirmed", "ok", "okay", "k", "sure", "absolutely", "definitely",
	"correct", "si", "s\xc3\xad", "s\xc3\x8d", "oui", NULL };	/* si, sí, SÍ */
static const char *const no_first[] = { "no", "n", "nope", "nah", "decline",
	"declined", "non", NULL };
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

/* The code point at *s (advancing *s past it); a bad byte is itself. */
static unsigned
next_char(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	unsigned c = p[0], n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0, i;

	for (i = 1; i <= n; i++)
		if ((p[i] & 0xc0) != 0x80)
			break;
	if (i <= n) {
		*s += 1;
		return c;
	}
	if (n > 0)
		c &= 0x3f >> n;
	for (i = 1; i <= n; i++)
		c = c << 6 | (p[i] & 0x3f);
	*s += n + 1;
	return c;
}

/* Letters and digits of any script, ' and -; punctuation, symbols and emoji are not. */
static int
word_char(unsigned c)
{
	if (c < 0x80)
		return isalnum((int)c) || c == '\'' || c == '-';
	if (c < 0xc0 || c == 0xd7 || c == 0xf7)	/* Latin-1's ¡ ¿ « » × ÷ */
		return 0;
	if (c >= 0x2000 && c < 0x2c00)	/* punctuation, arrows, dingbats, symbols */
		return 0;
	if ((c >= 0x3000 && c < 0x3040) || (c >= 0xfe00 && c < 0xfe10) || c >= 0x1f000)
		return 0;	/* CJK punctuation, variation selectors, emoji */
	return 1;
}

/* Words in lower case, as split by word_char; a curly apostrophe is '. */
static void
split_words(const char *s, struct words *ws)
{
	size_t len = 0;
	const char *from;
	unsigned c;

	memset(ws, 0, sizeof *ws);
	while (*s) {
		from = s;
		c = next_char(&s);
		if (c == 0x2019)	/* ’ */
			c = '\'';
		if (!word_char(c)) {
			if (len > 0)
				ws->n++;
			len = 0;
			continue;
		}
		if (ws->n == MAX_WORDS || len + (size_t)(s - from) >= WORD_MAX) {
			ws->cut = 1;
			continue;
		}
		if (c < 0x80)
			ws->w[ws->n][len++] = (char)tolower((int)c);
		else
			while (from < s)
				ws->w[ws->n][len++] = *from++;
	}
	if (len > 0)
		ws->n++;
	for (int i = 0; i < ws->n; i++) {
		if (i)
			strcat(ws->joined, " ");
		strcat(ws->joined, ws->w[i]);
	}
}

/* The words of phrase, in order, among ws's words. */
static int
has_words(const struct words *ws, const char *phrase)
{
	size_t n = strlen(phrase);
	const char *p = ws->joined;

	while ((p = strstr(p, phrase)) != NULL) {
		if ((p == ws->joined || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return 1;
		p++;
	}
	return 0;
}

static int
asks_to_stop(const struct words *ws, int keyword_first)
{
	int i, verb = 0;

	if (ws->n == 0)
		return 0;
	if (keyword_first && str_listed(ws->w[0], aws_stop))
		return 1;
	for (i = 0; stop_phrases[i]; i++)
		if (has_words(ws, stop_phrases[i]))
			return 1;
	if (ws->cut)
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
		    (ws->joined[n] == '\0' || ws->joined[n] == ' ') : has_words(ws, *list))
			return 1;
	}
	return 0;
}

/*
 * The intent of a reply's text: stop, start, help, confirm, decline or
 * other.  keyword_first: a message that begins with an opt-out or help
 * keyword is that keyword, as AWS End User Messaging reads it.
 */
const char *
reply_intent(const char *body, int keyword_first)
{
	struct words ws;

	split_words(body ? body : "", &ws);
	if (asks_to_stop(&ws, keyword_first))
		return "stop";
	if (keyword_first && ws.n > 0 && !strcmp(ws.w[0], "help"))
		return "help";
	if (ws.n == 1 && (!strcmp(ws.w[0], "start") || !strcmp(ws.w[0], "unstop")))
		return "start";
	if (ws.n == 1 && (!strcmp(ws.w[0], "help") || !strcmp(ws.w[0], "info") ||
	    !strcmp(ws.w[0], "ayuda") || !strcmp(ws.w[0], "aide")))
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
