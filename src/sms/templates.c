/*
 * templates.c: sms-send's words.  jq programs compiled once each at start
 * (-t's one file, or -T's directory with its event types' directories),
 * chosen for a line by its due and its event type, rendered, and checked
 * on a sample booking (--check).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "calsms.h"
#include "jq-load.h"
#include "rules.h"
#include "templates.h"

#define MAX_TEMPLATES 64

#define VARIANT_MAX 8

struct template {
	char name[256], path[4096];	/* name: DUE, or EVENT_SLUG/DUE */
	char variant[VARIANT_MAX];	/* "a" for DUE.a.jq; "" for DUE.jq */
	char content_sid[40];	/* WhatsApp: DUE.content's approved template, or "" */
	struct jq_program *jq;
};

static struct {
	const char *file, *dir;	/* -t, -T */
	int whatsapp;	/* the texts go on WhatsApp: DUE.content is read */
	struct template templates[MAX_TEMPLATES];
	char off[MAX_TEMPLATES][128];	/* event types whose directory has "off" */
	int ntemplates, noff;
	const char *letter;	/* the variant of the line being rendered, or NULL */
} T;


static struct template *
template_variant(const char *name, const char *variant)
{
	int i;

	for (i = 0; i < T.ntemplates; i++)
		if (strcmp(T.templates[i].name, name) == 0 &&
		    strcmp(T.templates[i].variant, variant) == 0)
			return &T.templates[i];
	return NULL;
}

/* NAME's template: the line's variant of it (NAME.L.jq) where there is one, else NAME.jq. */
static struct template *
template_named(const char *name)
{
	struct template *t = T.letter ? template_variant(name, T.letter) : NULL;

	return t ? t : template_variant(name, "");
}

/* Whether NAME has a template, plain or a variant. */
static int
template_exists(const char *name)
{
	int i;

	for (i = 0; i < T.ntemplates; i++)
		if (strcmp(T.templates[i].name, name) == 0)
			return 1;
	return 0;
}

static int
missing_template(const char *due)
{
	note("%s/%s.jq: missing (every directory needs confirm.jq and followup.jq)",
	    T.dir, due);
	return EXIT_CONFIG;
}

/*
 * "confirm.a" is the variant "a" of confirm: one to seven lower-case
 * letters or digits after the last dot.  Anything else is a plain name.
 */
static void
name_variant(const char *full, char *name, size_t n, char variant[VARIANT_MAX])
{
	const char *dot = strrchr(full, '.'), *slash = strrchr(full, '/');
	size_t len = dot ? strlen(dot + 1) : 0;

	variant[0] = '\0';
	if (dot && (!slash || dot > slash + 1) && len > 0 && len < VARIANT_MAX &&
	    strspn(dot + 1, "abcdefghijklmnopqrstuvwxyz0123456789") == len) {
		memcpy(variant, dot + 1, len + 1);
		snprintf(name, n, "%.*s", (int)(dot - full), full);
	} else
		snprintf(name, n, "%s", full);
}

/*
 * On WhatsApp, DUE.content beside DUE.jq names the approved Content
 * template (its ContentSid, HX and 32 hex digits) and DUE.jq yields its
 * variables.  Elsewhere .content files are not read.
 */
static int
content_load(struct template *t)
{
	char path[4200], line[128];
	size_t n = strlen(t->path);
	FILE *f;

	if (!T.whatsapp || n < 3)
		return 0;
	snprintf(path, sizeof path, "%.*s.content", (int)(n - 3), t->path);
	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : (note("%s: %s", path, strerror(errno)), EXIT_CONFIG);
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, " \t\r\n")] = '\0';
	if (strncmp(line, "HX", 2) != 0 || strlen(line) != 34 ||
	    strspn(line + 2, "0123456789abcdefABCDEF") != 32) {
		note("%s: not a ContentSid (HX and 32 hex digits): %.40s", path, line);
		return EXIT_CONFIG;
	}
	memcpy(t->content_sid, line, 35);
	return 0;
}

/* Compiles one template file; an error names the file. */
static int
template_load(const char *name, const char *path)
{
	struct template *t;
	char err[300];
	size_t len;
	char *text;
	FILE *f;
	int big;

	if (T.ntemplates == MAX_TEMPLATES) {
		note("%s: more than %d templates", path, MAX_TEMPLATES);
		return EXIT_CONFIG;
	}
	t = &T.templates[T.ntemplates++];
	name_variant(name, t->name, sizeof t->name, t->variant);
	snprintf(t->path, sizeof t->path, "%s", path);
	if ((f = fopen(path, "r")) == NULL) {
		note("%s: %s", path, strerror(errno));
		return EXIT_CONFIG;
	}
	text = read_all(f, 65536, &len, &big);
	fclose(f);
	if (text == NULL || big || (t->jq = jq_program_compile(text, err, sizeof err)) == NULL) {
		note("%s: does not compile: %s", path, big ? "too big" : text ? err : "unreadable");
		free(text);
		return EXIT_CONFIG;
	}
	free(text);
	return content_load(t);
}

/* Every NAME.jq in dir, as PREFIX NAME; for an event's directory, prefix is "slug/". */
static int
templates_in(const char *dir, const char *prefix, int depth)
{
	char path[4096], name[256];
	struct dirent *e;
	struct stat sb;
	DIR *d;
	int status = 0;
	size_t n;

	if ((d = opendir(dir)) == NULL) {
		note("%s: %s", dir, strerror(errno));
		return EXIT_CONFIG;
	}
	while (status == 0 && (e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (e->d_name[0] == '.' || n >= 100)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (depth == 0 && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			snprintf(name, sizeof name, "%.100s/", e->d_name);
			status = templates_in(path, name, 1);
			continue;
		}
		if (depth == 1 && strcmp(e->d_name, "off") == 0 && T.noff < MAX_TEMPLATES) {
			snprintf(T.off[T.noff++], sizeof T.off[0], "%.*s",
			    (int)strcspn(prefix, "/"), prefix);
			continue;
		}
		if (n < 4 || strcmp(e->d_name + n - 3, ".jq") != 0)
			continue;
		snprintf(name, sizeof name, "%.101s%.*s", prefix, (int)(n - 3), e->d_name);
		status = template_load(name, path);
	}
	closedir(d);
	return status;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The variants in one directory (PREFIX "" or "slug/"), sorted, into v: how many. */
static int
scope_variants(const char *prefix, char v[][VARIANT_MAX])
{
	size_t plen = strlen(prefix);
	int i, j, n = 0;

	for (i = 0; i < T.ntemplates; i++) {
		const struct template *t = &T.templates[i];

		if (!t->variant[0] || strncmp(t->name, prefix, plen) != 0 ||
		    strchr(t->name + plen, '/'))
			continue;
		for (j = 0; j < n && strcmp(v[j], t->variant) != 0; j++)
			;
		if (j == n)
			memcpy(v[n++], t->variant, VARIANT_MAX);
	}
	qsort(v, (size_t)n, VARIANT_MAX, by_name);
	return n;
}

/*
 * A moment written only as variants needs every variant of its directory:
 * with followup.c.jq beside confirm.a.jq and confirm.b.jq, a conversation
 * given "c" would have no confirmation.
 */
static int
variants_whole(void)
{
	static char v[MAX_TEMPLATES][VARIANT_MAX];
	char prefix[256];
	const struct template *t;
	const char *slash;
	int i, j, n;

	for (i = 0; i < T.ntemplates; i++) {
		t = &T.templates[i];
		if (!t->variant[0] || template_variant(t->name, ""))
			continue;
		slash = strchr(t->name, '/');
		snprintf(prefix, sizeof prefix, "%.*s", slash ? (int)(slash - t->name + 1) : 0, t->name);
		n = scope_variants(prefix, v);
		for (j = 0; j < n; j++)
			if (!template_variant(t->name, v[j])) {
				note("%s/%s.%s.jq: missing: its directory has variant %s "
				    "(write it, or a plain %s.jq for every variant)",
				    T.dir, t->name, v[j], v[j], t->name);
				return EXIT_CONFIG;
			}
	}
	return 0;
}

/*
 * Every template is compiled at start, so a typo stops the sender before
 * any customer is texted: -t's file, or in -T's directory confirm.jq and
 * followup.jq (required) and every other NAME.jq, for lines due NAME, and
 * in each EVENT_SLUG/ directory the NAME.jq for that event type's lines.
 */
int
templates_load(const char *file, const char *dir, int whatsapp)
{
	int status;

	T.whatsapp = whatsapp;
	T.file = file;
	T.dir = dir;
	if ((T.file || T.dir) && jq_load() != 0)
		return EXIT_SOFTWARE;
	if (T.file)
		return template_load("-t", T.file);
	if (T.dir == NULL)
		return 0;
	status = templates_in(T.dir, "", 0);
	if (status == 0 && !template_exists("confirm"))
		status = missing_template("confirm");
	if (status == 0 && !template_exists("followup"))
		status = missing_template("followup");
	if (status == 0)
		status = variants_whole();
	return status;
}

/* The line's event type, into out ("" when none or unusable). */
static void
event_slug(jv line, char *out, size_t n)
{
	jv a = json_get(line, "appointment");
	const char *slug = json_str(a, "event_slug") ? json_str(a, "event_slug") :
	    json_str(line, "event_slug");

	snprintf(out, n, "%s", slug && !strchr(slug, '/') ? slug : "");
	jv_free(a);
}

/* The event type's own template for due, if its directory has one. */
static struct template *
event_template(jv line, const char *due)
{
	char slug[128], name[256];

	event_slug(line, slug, sizeof slug);
	if (*slug == '\0')
		return NULL;
	snprintf(name, sizeof name, "%.120s/%.120s", slug, due);
	return template_named(name);
}

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/*
 * The variant a conversation gets, the same for all its messages and on
 * every sender: FNV-1a of its id, modulo the number of variants in its
 * event type's directory (or, when that has none, the directory's), in
 * alphabetical order.  NULL when there are none.
 */
const char *
templates_variant(jv line)
{
	static char v[MAX_TEMPLATES][VARIANT_MAX];
	char slug[128], prefix[130];
	const char *id = json_str(line, "id");
	int n = 0;

	if (T.dir == NULL || id == NULL)
		return NULL;
	event_slug(line, slug, sizeof slug);
	if (*slug) {
		snprintf(prefix, sizeof prefix, "%s/", slug);
		n = scope_variants(prefix, v);
	}
	if (n == 0)
		n = scope_variants("", v);
	return n ? v[fnv1a(id) % (uint32_t)n] : NULL;
}

/* Whether the business turned texts off for the line's event type. */
static int
texts_off(jv line)
{
	char slug[128];
	int i;

	event_slug(line, slug, sizeof slug);
	for (i = 0; *slug && i < T.noff; i++)
		if (strcmp(T.off[i], slug) == 0)
			return 1;
	return 0;
}

/* Whether the line's booking was moved here from another. */
static int
moved(jv line)
{
	jv old = json_path(line, "appointment", "old_id", NULL);
	int yes = jv_get_kind(old) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(old)) > 0;

	jv_free(old);
	return yes || (json_str(line, "old_id") && *json_str(line, "old_id"));
}

/* Moments the business turns on by writing their template. */
static int
optional_moment(const char *due)
{
	const struct kind_info *k = kind_named(due);

	return k && k->optional && k->kind != KIND_RESCHEDULED;
}

/*
 * The template for a line due "due": the event type's, else the
 * directory's.  A reschedule's confirmation (due "rescheduled", or a
 * "confirm" whose appointment has an old_id) is rescheduled.jq where
 * there is one, else confirm.jq, the event type's words first.  -t's one
 * file is no cancel notice and no thank-you: those need their own.
 */
static struct template *
template_for(jv line, const char *due)
{
	struct template *t;

	if (T.file)
		return optional_moment(due) ? NULL : template_named("-t");
	if (strcmp(due, "rescheduled") == 0 || (strcmp(due, "confirm") == 0 && moved(line))) {
		due = "rescheduled";
		if ((t = event_template(line, due)) || (t = event_template(line, "confirm")) ||
		    (t = template_named(due)))
			return t;
		return template_named("confirm");
	}
	if ((t = event_template(line, due)) != NULL)
		return t;
	return template_named(due);
}

static char *render(struct template *t, jv line, char *err, size_t n);

/*
 * The body for a line: its template's one non-empty string, or its
 * "body"; on WhatsApp, for a template with a ContentSid (into *content),
 * the JSON of its variables.
 */
char *
templates_render(jv line, const char **content, char *err, size_t n)
{
	const char *due = json_str(line, "due"), *body = json_str(line, "body");
	struct template *t;

	*content = NULL;
	if (!T.file && !T.dir) {
		if (body == NULL || *body == '\0')
			snprintf(err, n, "no body and no template");
		return body && *body ? strdup(body) : NULL;
	}
	if (T.dir && (due == NULL || !*due)) {
		snprintf(err, n, "no \"due\" to choose a template in %s", T.dir);
		return NULL;
	}
	T.letter = templates_variant(line);
	t = template_for(line, due);
	if (t == NULL && body && *body)
		return strdup(body);	/* a written message: the front desk's */
	if (t == NULL) {
		snprintf(err, n, "%s/%s.jq: no such template", T.dir, due);
		return NULL;
	}
	*content = t->content_sid[0] ? t->content_sid : NULL;
	return render(t, line, err, n);
}

/* t's text for the line: its one non-empty string (or its variables' JSON) */
static char *
render(struct template *t, jv line, char *err, size_t n)
{
	char *text, *out = NULL;
	jv_kind kind = jq_program_first(t->jq, line, &text);

	if (t->content_sid[0] && kind == JV_KIND_OBJECT)
		out = text, text = NULL;	/* the ContentVariables */
	else if (t->content_sid[0] && kind != JV_KIND_INVALID)
		snprintf(err, n, "%.200s: yields %s, not the object of %.40s's variables", t->path,
		    jv_kind_name(kind), t->content_sid);
	else if (kind == JV_KIND_STRING && text && *text)
		out = text, text = NULL;
	else if (kind == JV_KIND_STRING)
		snprintf(err, n, "%.200s: yields an empty text", t->path);
	else if (kind == JV_KIND_INVALID)
		snprintf(err, n, "%.200s: %.250s", t->path, text ? text : "no result");
	else
		snprintf(err, n, "%.200s: yields %s, not a string", t->path, jv_kind_name(kind));
	free(text);
	return out;
}

/*
 * Whether a line is answered "off" without a request: the business turned
 * texts off for its event type, or it is a moment (a cancel notice, the
 * moment after) for which there is no template.
 */
int
templates_off(jv line, const char *due)
{
	T.letter = templates_variant(line);
	return (T.dir && texts_off(line)) || (optional_moment(due) && template_for(line, due) == NULL);
}


#define SAMPLE "{\"type\":\"booking\",\"id\":\"SAMPLE\",\"name\":\"Ada Lovelace\"," \
	"\"first_name\":\"Ada\",\"email\":\"ada@example.org\",\"phone\":\"+14045550134\"," \
	"\"timezone\":\"America/New_York\",\"event_name\":\"30 Minute Consultation\"," \
	"\"start_time\":\"2025-11-25T15:00:00Z\",\"end_time\":\"2025-11-25T15:30:00Z\"," \
	"\"start_local\":\"Tue Nov 25, 10:00 AM EST\"," \
	"\"start_parts\":{\"year\":2025,\"month\":11,\"day\":25,\"weekday\":2,\"hour\":10," \
	"\"minute\":0,\"zone_abbr\":\"EST\",\"utc_offset\":-18000}," \
	"\"cancel_url\":\"https://calendly.com/cancellations/SAMPLE\"," \
	"\"reschedule_url\":\"https://calendly.com/reschedulings/SAMPLE\",\"source\":\"calendly\"," \
	"\"event_slug\":\"30-minute-consultation\",\"location\":{\"type\":\"physical\"," \
	"\"text\":\"12 Harbour St\"},\"host\":{\"name\":\"Dana Host\",\"email\":\"host@example.org\"}," \
	"\"answers\":[],\"guests\":[]}"

static int
by_path(const void *a, const void *b)
{
	return strcmp((*(struct template *const *)a)->path, (*(struct template *const *)b)->path);
}

/*
 * The carriers' rules for one rendered text (template_lint), and a HELP
 * answer that names no business: 78 for a rule broken, a warning for
 * the name.
 */
static int
check_words(const struct template *t, const char *due, const char *body)
{
	const char *business = getenv("BUSINESS");
	char err[300];

	if (template_lint(due, body, err, sizeof err) != 0) {
		note("%s: %s", t->path, err);
		return EXIT_CONFIG;
	}
	if (kind_is(due, KIND_HELP) && (business == NULL || *business == '\0'))
		note("%s: warning: BUSINESS is not set: the HELP answer must name the business", t->path);
	else if (kind_is(due, KIND_HELP) && strstr(body, business) == NULL)
		note("%s: warning: the HELP answer does not name the business (%s)", t->path, business);
	return 0;
}

/*
 * Renders every template on a sample booking and prints what a customer
 * would get, with its parts: the owner sees the words and the cost
 * before anyone is texted.  78 if any template fails or breaks the
 * carriers' rules (check_words).
 */
static int check_each(void);

int
templates_check(const char *file, const char *dir, int whatsapp)
{
	int status = templates_load(file, dir, whatsapp);

	if (status == 0)
		status = check_each();
	templates_free();
	return status;
}

static int
check_each(void)
{
	struct template *t, *order[MAX_TEMPLATES];
	jv line, appt, out;
	const char *slash;
	char err[600], due[256];
	char *body;
	int i, ucs2, status = 0;

	for (i = 0; i < T.ntemplates; i++)
		order[i] = &T.templates[i];
	qsort(order, (size_t)T.ntemplates, sizeof *order, by_path);
	for (i = 0; i < T.ntemplates; i++) {
		t = order[i];
		slash = strchr(t->name, '/');
		snprintf(due, sizeof due, "%s", slash ? slash + 1 : t->name);
		appt = jv_parse(SAMPLE);
		if (slash)
			appt = jv_object_set(appt, jv_string("event_slug"),
			    jv_string_sized(t->name, (int)(slash - t->name)));
		line = jv_object_set(jv_object(), jv_string("id"), jv_string("SAMPLE"));
		line = jv_object_set(line, jv_string("phone"), jv_string("+14045550134"));
		line = jv_object_set(line, jv_string("due"), jv_string(T.file ? "confirm" : due));
		line = jv_object_set(line, jv_string("appointment"), appt);
		err[0] = '\0';
		if ((body = render(t, line, err, sizeof err)) == NULL) {
			note("%s", err);
			status = EXIT_CONFIG;
		} else if (t->content_sid[0]) {	/* WhatsApp's approved template: no SMS rules */
			out = jv_object_set(jv_object(), jv_string("template"), jv_string(t->path));
			out = jv_object_set(out, jv_string("content_sid"), jv_string(t->content_sid));
			json_print(jv_object_set(out, jv_string("variables"), jv_parse(body)));
			free(body);
		} else {
			out = jv_object_set(jv_object(), jv_string("template"), jv_string(t->path));
			if (t->variant[0])
				out = jv_object_set(out, jv_string("variant"), jv_string(t->variant));
			out = jv_object_set(out, jv_string("segments"), jv_number(sms_segments(body, &ucs2)));
			out = jv_object_set(out, jv_string("encoding"), jv_string(ucs2 ? "ucs2" : "gsm7"));
			out = jv_object_set(out, jv_string("body"), jv_string(body));
			json_print(out);
			if (check_words(t, T.file ? "confirm" : due, body) != 0)
				status = EXIT_CONFIG;
			free(body);
		}
		jv_free(line);
	}
	return status;
}

void
templates_free(void)
{
	int i;

	for (i = 0; i < T.ntemplates; i++) {
		jq_program_free(T.templates[i].jq);
		T.templates[i].jq = NULL;
	}
	T.ntemplates = 0;
}

