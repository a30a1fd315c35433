/*
 * sms-send: sends each line's SMS and writes the line back with an "sms"
 * result.  Stateless: what to send and what happened is the store's.
 *
 * Lines are read as they come and sent through libcurl's multi interface:
 * up to -j requests in flight on kept-alive connections, started no faster
 * than the -r token bucket allows, shared by every line.  A line is written
 * the moment its outcome is known, so output order may differ from input
 * order when -j is above 1.  Temporary failures (network, 429, 5xx) are
 * retried with exponential back-off and jitter, honouring Retry-After.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jq.h>

#include "provider.h"

#define MAX_TEMPLATES 16
#define RETRY_AFTER_MAX 300

struct job {
	jv line;
	char to[17], *body;
	int segments, ucs2, attempts;
	int64_t not_before;
	long retry_after;
	CURL *easy;
	struct sms_request rq;
	struct strbuf resp;
	struct job *next;
};

struct template {
	char name[64];
	jq_state *jq;
	char error[256];
};

static struct {
	const struct provider *p;
	const char *template_file, *template_dir;
	struct template templates[MAX_TEMPLATES];
	int ntemplates, max_segments, attempts, inflight_max, timeout;
	double rate, tokens, burst;
	int64_t refilled;
	CURLM *multi;
	CURL *spare[64];	/* easy handles kept for the next messages */
	int nspare;
	struct job *queue, *tail;
	int queued, inflight, status;
} S;

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s [-p provider] [-t file | -T dir] [-m segments] [-R attempts]\n"
	    "       [-r rate] [-j parallel] [-W seconds] [-c callback-url] [-C file]\n",
	    progname);
	exit(status);
}

static void
keep_status(int status)
{
	if (status > S.status)
		S.status = status;
}

/* ---- templates: jq programs, compiled once each ---- */

static void
template_error(void *data, jv msg)
{
	struct template *t = data;
	jv s = jv_get_kind(msg) == JV_KIND_STRING ? msg : jv_dump_string(msg, 0);

	if (t->error[0] == '\0')
		snprintf(t->error, sizeof t->error, "%s", jv_string_value(s));
	jv_free(s);
}

static struct template *
template_for(const char *due, char *err, size_t n)
{
	char path[4096];
	const char *name = S.template_file ? "-t" : due;
	struct template *t;
	FILE *f;
	char *text;
	size_t len;
	int i, big;

	for (i = 0; i < S.ntemplates; i++)
		if (strcmp(S.templates[i].name, name) == 0)
			return S.templates[i].jq ? &S.templates[i] : NULL;
	if (S.ntemplates == MAX_TEMPLATES) {
		snprintf(err, n, "too many templates");
		return NULL;
	}
	t = &S.templates[S.ntemplates++];
	snprintf(t->name, sizeof t->name, "%s", name);
	if (S.template_file)
		snprintf(path, sizeof path, "%s", S.template_file);
	else
		snprintf(path, sizeof path, "%s/%s.jq", S.template_dir, due);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(t->error, sizeof t->error, "%.180s: %.60s", path, strerror(errno));
		snprintf(err, n, "%s", t->error);
		return NULL;
	}
	text = read_all(f, 65536, &len, &big);
	fclose(f);
	t->jq = jq_init();
	jq_set_error_cb(t->jq, template_error, t);
	jq_set_input_cb(t->jq, NULL, NULL);
	jq_set_debug_cb(t->jq, NULL, NULL);
	if (text == NULL || !jq_compile(t->jq, text)) {
		char msg[sizeof t->error];

		snprintf(msg, sizeof msg, "%.80s: does not compile: %.120s", path, t->error);
		snprintf(t->error, sizeof t->error, "%s", msg);
		jq_teardown(&t->jq);
		snprintf(err, n, "%s", t->error);
		free(text);
		return NULL;
	}
	free(text);
	return t;
}

/* The body for a line: its template's one string, or its "body". */
static char *
render(jv line, char *err, size_t n)
{
	const char *due = json_str(line, "due"), *body = json_str(line, "body");
	struct template *t;
	jv r;
	char *out = NULL;

	if (!S.template_file && !S.template_dir) {
		if (body == NULL)
			snprintf(err, n, "no body and no template");
		return body ? strdup(body) : NULL;
	}
	if (S.template_dir && (due == NULL || strspn(due, "abcdefghijklmnopqrstuvwxyz_") != strlen(due) || !*due)) {
		snprintf(err, n, "no usable \"due\" to choose a template in %s", S.template_dir);
		return NULL;
	}
	if ((t = template_for(due, err, n)) == NULL) {
		if (!*err)
			snprintf(err, n, "%s", S.templates[S.ntemplates - 1].error);
		return NULL;
	}
	t->error[0] = '\0';
	jq_start(t->jq, jv_copy(line), 0);
	r = jq_next(t->jq);
	if (jv_get_kind(r) == JV_KIND_STRING)
		out = strdup(jv_string_value(r));
	else if (!jv_is_valid(r)) {
		jv m = jv_invalid_get_msg(jv_copy(r));

		snprintf(err, n, "template: %s", jv_get_kind(m) == JV_KIND_STRING ?
		    jv_string_value(m) : t->error[0] ? t->error : "no result");
		jv_free(m);
	} else
		snprintf(err, n, "template: yields %s, not a string",
		    jv_kind_name(jv_get_kind(r)));
	jv_free(r);
	return out;
}

/* ---- results ---- */

static jv
error_jv(const char *code, const char *message, int permanent)
{
	jv e = jv_object();

	e = jv_object_set(e, jv_string("code"), jv_string(code));
	e = jv_object_set(e, jv_string("message"), jv_string(message));
	return jv_object_set(e, jv_string("permanent"), jv_bool(permanent));
}

/* Writes the line with its sms result; consumes line and err. */
static void
emit(jv line, const char *status, const char *to, const char *body, int segments,
    int ucs2, int attempts, const char *pid, jv err)
{
	jv s = jv_object();

	s = jv_object_set(s, jv_string("status"), jv_string(status));
	s = jv_object_set(s, jv_string("provider"), jv_string(S.p->name));
	s = jv_object_set(s, jv_string("provider_id"), pid && *pid ? jv_string(pid) : jv_null());
	s = jv_object_set(s, jv_string("to"), to && *to ? jv_string(to) : jv_null());
	s = jv_object_set(s, jv_string("body"), body ? jv_string(body) : jv_null());
	s = jv_object_set(s, jv_string("segments"), jv_number(segments));
	s = jv_object_set(s, jv_string("encoding"), jv_string(ucs2 ? "ucs2" : "gsm7"));
	s = jv_object_set(s, jv_string("attempts"), jv_number(attempts));
	s = jv_object_set(s, jv_string("at"), rfc3339_jv(clock_now()));
	s = jv_object_set(s, jv_string("error"), err);
	json_print(jv_object_set(line, jv_string("sms"), s));
	fflush(stdout);
}

static void
job_free(struct job *j)
{
	if (j->easy && S.nspare < (int)(sizeof S.spare / sizeof S.spare[0]))
		S.spare[S.nspare++] = j->easy;
	else if (j->easy)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->rq.headers);
	sb_free(&j->rq.body);
	sb_free(&j->resp);
	free(j->body);
	free(j);
}

static void
finish(struct job *j, const struct sms_answer *a)
{
	const char *status = a->outcome == SENT ? "sent" : "failed";
	int permanent = a->outcome == PERMANENT;
	jv err = jv_null();

	if (a->outcome != SENT) {
		err = error_jv(*a->code ? a->code : "error", *a->message ? a->message :
		    "the provider refused the message", permanent);
		if (!permanent)
			keep_status(EXIT_TEMPFAIL);
	}
	/* the provider's count is what is billed; ours when it gives none */
	emit(j->line, status, j->to, j->body, a->segments > 0 ? a->segments : j->segments,
	    j->ucs2, j->attempts, a->provider_id, err);
	j->line = jv_invalid();
	job_free(j);
}

/* ---- reading lines ---- */

static void
enqueue(struct job *j)
{
	j->next = NULL;
	if (S.tail)
		S.tail->next = j;
	else
		S.queue = j;
	S.tail = j;
	S.queued++;
}

static int
on_line(jv line, long lineno, void *ctx)
{
	const char *phone;
	char err[512] = "";
	struct job *j;

	(void)ctx;
	if (jv_get_kind(line) != JV_KIND_OBJECT) {
		note("stdin:%ld: not an object; skipped", lineno);
		jv_free(line);
		return EXIT_DATA;
	}
	phone = json_str(line, "phone") ? json_str(line, "phone") : json_str(line, "to");
	if ((j = calloc(1, sizeof *j)) == NULL)
		die(EXIT_SOFTWARE, "out of memory");
	j->line = line;
	if (phone == NULL) {
		emit(line, "skipped", NULL, NULL, 0, 0, 0, NULL,
		    error_jv("no_phone", "no phone or to", 0));
		free(j);
		note("stdin:%ld: no phone or to; skipped", lineno);
		return EXIT_DATA;
	}
	if (phone_e164(phone, default_country(), j->to) != 0) {
		emit(line, "failed", phone, NULL, 0, 0, 0, NULL,
		    error_jv("invalid_number", "not a phone number", 1));
		free(j);
		return 0;
	}
	if ((j->body = render(line, err, sizeof err)) == NULL) {
		note("stdin:%ld: %s; skipped", lineno, err);
		emit(line, "skipped", j->to, NULL, 0, 0, 0, NULL, error_jv("template", err, 0));
		free(j);
		return 0;
	}
	j->segments = sms_segments(j->body, &j->ucs2);
	if (S.max_segments && j->segments > S.max_segments) {
		snprintf(err, sizeof err, "%d segments, more than -m %d", j->segments, S.max_segments);
		emit(line, "failed", j->to, j->body, j->segments, j->ucs2, 0, NULL,
		    error_jv("too_long", err, 1));
		free(j->body);
		free(j);
		return 0;
	}
	enqueue(j);
	return 0;
}

/* ---- sending ---- */

static size_t
on_body(char *p, size_t size, size_t n, void *data)
{
	struct job *j = data;

	if (j->resp.len < 65536)
		sb_put(&j->resp, p, size * n);
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *data)
{
	struct job *j = data;
	size_t len = size * n;
	char v[128];
	time_t t;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		snprintf(v, sizeof v, "%.*s", (int)(len - 12), p + 12);
		v[strcspn(v, "\r\n")] = '\0';
		if (strspn(v + strspn(v, " "), "0123456789") == strlen(v + strspn(v, " ")))
			j->retry_after = atol(v);
		else if ((t = curl_getdate(v + strspn(v, " "), NULL)) > 0)
			j->retry_after = (long)(t - time(NULL));
		if (j->retry_after < 0)
			j->retry_after = 0;
	}
	return len;
}

static void
start(struct job *j)
{
	j->attempts++;
	curl_slist_free_all(j->rq.headers);
	sb_free(&j->rq.body);
	sb_free(&j->resp);
	memset(&j->rq, 0, sizeof j->rq);
	j->retry_after = -1;
	S.p->build(j->to, j->body, &j->rq);
	if (j->easy == NULL && S.nspare > 0)
		j->easy = S.spare[--S.nspare];
	if (j->easy == NULL)
		j->easy = curl_easy_init();
	else
		curl_easy_reset(j->easy);
	curl_easy_setopt(j->easy, CURLOPT_URL, j->rq.url);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE, (long)j->rq.body.len);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->rq.body.p ? j->rq.body.p : "");
	curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->rq.headers);
	if (j->rq.user) {
		curl_easy_setopt(j->easy, CURLOPT_USERNAME, j->rq.user);
		curl_easy_setopt(j->easy, CURLOPT_PASSWORD, j->rq.password);
	}
	curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(j->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(j->easy, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
	curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(j->easy, CURLOPT_TIMEOUT, (long)S.timeout);
	curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(j->easy, CURLOPT_USERAGENT, "calsms-sms-send");
	curl_multi_add_handle(S.multi, j->easy);
	S.inflight++;
}

static int64_t
backoff_ms(const struct job *j)
{
	int64_t base = 500LL << (j->attempts > 6 ? 6 : j->attempts - 1);

	if (j->retry_after >= 0)
		return (int64_t)(j->retry_after < RETRY_AFTER_MAX ? j->retry_after :
		    RETRY_AFTER_MAX) * 1000;
	if (base > 30000)
		base = 30000;
	return base + (int64_t)(drand48() * (double)base / 2);
}

static void
done(struct job *j, CURLcode cc)
{
	struct sms_answer a = { 0 };
	long http = 0;

	curl_multi_remove_handle(S.multi, j->easy);
	S.inflight--;
	if (cc != CURLE_OK) {
		a.outcome = RETRY;
		snprintf(a.code, sizeof a.code, "network");
		snprintf(a.message, sizeof a.message, "%s", curl_easy_strerror(cc));
	} else {
		curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &http);
		S.p->answer(http, j->resp.p ? j->resp.p : "", &a);
		if (*a.code == '\0' && a.outcome != SENT)
			snprintf(a.code, sizeof a.code, "http_%ld", http);
	}
	if (a.outcome == HALT)
		note("%s refused the credentials (%s): check the settings", S.p->name, a.code);
	if (a.outcome == RETRY && j->attempts < S.attempts) {
		j->not_before = mono_ms() + backoff_ms(j);
		enqueue(j);
		return;
	}
	finish(j, &a);
}

static void
refill(void)
{
	int64_t now = mono_ms();

	if (S.rate <= 0)
		return;
	/* a small burst absorbs the loop's wake-up jitter; the mean stays the rate */
	S.tokens += (double)(now - S.refilled) * S.rate / 1000;
	if (S.tokens > S.burst)
		S.tokens = S.burst;
	S.refilled = now;
}

/* Starts what may start now; returns ms until something else may. */
static long
dispatch(void)
{
	struct job *j, *prev = NULL, *next;
	int64_t now = mono_ms();
	long wait = 1000;

	for (j = S.queue; j && S.inflight < S.inflight_max; j = next) {
		next = j->next;
		if (j->not_before > now) {
			if (j->not_before - now < wait)
				wait = (long)(j->not_before - now);
			prev = j;
			continue;
		}
		refill();
		if (S.rate > 0 && S.tokens < 1) {
			long w = (long)((1 - S.tokens) * 1000 / S.rate) + 1;

			return w < wait ? w : wait;
		}
		S.tokens -= 1;
		if (prev)
			prev->next = next;
		else
			S.queue = next;
		if (S.tail == j)
			S.tail = prev;
		S.queued--;
		if (S.p->local) {
			struct sms_answer a = { 0 };

			j->attempts = 1;
			S.p->local(json_str(j->line, "id"), j->to, j->body, &a);
			finish(j, &a);
		} else
			start(j);
	}
	return wait;
}

static void
collect_done(void)
{
	CURLMsg *m;
	int left;
	struct job *j;

	while ((m = curl_multi_info_read(S.multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE) {
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
			done(j, m->data.result);
		}
}

static void
run(void)
{
	struct json_reader *r = json_reader_new("stdin", on_line, NULL);
	struct curl_waitfd in = { .fd = 0, .events = CURL_WAIT_POLLIN };
	char buf[65536];
	int eof = 0, running, reading;
	long wait;
	ssize_t n;

	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	while (!eof || S.queue || S.inflight) {
		reading = !eof && S.queued < 2 * S.inflight_max + 16;
		if (reading) {
			while ((n = read(0, buf, sizeof buf)) > 0) {
				json_reader_feed(r, buf, (size_t)n);
				if (S.queued >= 2 * S.inflight_max + 16)
					break;
			}
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				eof = 1;
				keep_status(json_reader_end(r));
				r = NULL;
			}
		}
		curl_multi_perform(S.multi, &running);
		collect_done();
		/* after collecting, so that a freed slot is used at once */
		wait = dispatch();
		curl_multi_perform(S.multi, &running);
		if (eof && !S.queue && !S.inflight)
			break;
		if (S.queue && !S.inflight && wait > 0 && (eof || !reading)) {
			struct timespec ts = { wait / 1000, (wait % 1000) * 1000000 };

			nanosleep(&ts, NULL);
			continue;
		}
		curl_multi_poll(S.multi, reading ? &in : NULL, reading ? 1 : 0,
		    (int)(S.queue ? wait : 1000), NULL);
	}
	if (r)
		keep_status(json_reader_end(r));
}

static const struct provider *
provider_named(const char *name)
{
	static const struct provider *all[] = { &provider_twilio, &provider_sns,
	    &provider_eum, &provider_log };
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	die(EXIT_USAGE, "unknown provider %s: twilio, sns, eum or log", name);
}

static long
number(int c, const char *s, double *d)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || end == s || v < 0 || (d == NULL && v != (long)v))
		die(EXIT_USAGE, "-%c: not a number: %s", c, s);
	if (d)
		*d = v;
	return (long)v;
}

int
main(int argc, char *argv[])
{
	const char *pname = NULL;
	double rate = -1;
	int c, i;

	log_init(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	S.attempts = 4;
	S.inflight_max = 8;
	S.timeout = 30;
	while ((c = getopt(argc, argv, "c:C:hj:m:p:r:R:t:T:W:")) != -1) {
		switch (c) {
		case 'c': setenv("TWILIO_STATUS_CALLBACK", optarg, 1); break;
		case 'C': conf_load(optarg); break;
		case 'h': usage(0); break;
		case 'j': S.inflight_max = (int)number(c, optarg, NULL); break;
		case 'm': S.max_segments = (int)number(c, optarg, NULL); break;
		case 'p': pname = optarg; break;
		case 'r': number(c, optarg, &rate); break;
		case 'R': S.attempts = (int)number(c, optarg, NULL); break;
		case 't': S.template_file = optarg; break;
		case 'T': S.template_dir = optarg; break;
		case 'W': S.timeout = (int)number(c, optarg, NULL); break;
		default: usage(EXIT_USAGE);
		}
	}
	if (optind != argc || (S.template_file && S.template_dir) ||
	    S.inflight_max < 1 || S.attempts < 1 || S.timeout < 1)
		usage(EXIT_USAGE);
	if (pname == NULL)
		pname = conf_get("SMS_PROVIDER");
	if (pname == NULL)
		note("no provider configured (-p or SMS_PROVIDER): using log, nothing is sent");
	S.p = provider_named(pname ? pname : "log");
	if ((c = S.p->setup()) != 0)
		return c;
	S.rate = rate >= 0 ? rate : S.p->rate;
	S.burst = S.rate > 10 ? S.rate / 10 : 1;
	S.tokens = 1;
	S.refilled = mono_ms();
	srand48((long)mono_ms() ^ getpid());
	curl_global_init(CURL_GLOBAL_DEFAULT);
	S.multi = curl_multi_init();
	curl_multi_setopt(S.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)S.inflight_max);
	run();
	while (S.nspare > 0)
		curl_easy_cleanup(S.spare[--S.nspare]);
	curl_multi_cleanup(S.multi);
	curl_global_cleanup();
	for (i = 0; i < S.ntemplates; i++)
		if (S.templates[i].jq)
			jq_teardown(&S.templates[i].jq);
	return finish_stdout(S.status);
}
