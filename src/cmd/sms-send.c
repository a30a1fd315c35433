/*
 * sms-send: sends each line's SMS and writes the line back with an "sms"
 * result.  Stateless: what to send and what happened is the store's.
 *
 * Lines are read as they come and sent through libcurl's multi interface:
 * up to -j requests in flight on kept-alive connections, started no faster
 * than the -r token bucket allows, shared by every line.  A line is written
 * the moment its outcome is known, so output order may differ from input
 * order when -j is above 1.
 *
 * A retry must never be a second SMS: providers have no idempotency key,
 * so only what provably never reached the provider (no connection, or an
 * explicit 429 / 503 with Retry-After) is retried, with back-off and
 * jitter.  Anything else without a clear answer is "unknown": the claim
 * stays, and the store's lease makes it uncertain for an operator.  An
 * answer that says our request or settings are wrong stops the run: the
 * lines not sent are written back "skipped", to be due again.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include "provider.h"
#include "templates.h"
#include "store.h"

#define RETRY_AFTER_MAX 300
#define IDLE_REUSE_MAX 4	/* seconds a kept-alive connection may idle and be reused */

struct job {
	jv line;
	char to[17], *body;
	const char *content;	/* WhatsApp: the template's ContentSid; body is its variables */
	int segments, ucs2, attempts;
	int requests;	/* requests this attempt made: libcurl's own resend is a second */
	int64_t not_before;
	long retry_after;
	CURL *easy;
	struct sms_request rq;
	struct curl_slist *slist;	/* rq's headers, for libcurl */
	struct strbuf resp;
	struct job *next;
};

static struct {
	const struct provider *p;
	const char *template_file, *template_dir;
	int max_segments, attempts, inflight_max, timeout;
	int64_t lease;	/* a line claimed longer ago than this is not sent */
	char halted[300];	/* why sending stopped, or "" */
	int stdout_lost;	/* stdout closed: 74, whatever else happened */
	int whatsapp;	/* TWILIO_CHANNEL=whatsapp */
	int stdin_flags;
	struct bucket rate;	/* -r, messages a second */
	CURLM *multi;
	CURL *spare[64];	/* easy handles kept for the next messages */
	int nspare;
	struct job *queue, *tail;
	int queued, inflight, status;
	struct outage outage;	/* the provider failing, said once */
	const char *db;	/* -d: the store handed-out lines are looked up in */
	struct store *store;
	int store_status;	/* why the store could not be read, or 0 */
} S = { .attempts = 4, .inflight_max = 8, .timeout = 30, .lease = 600 };

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s -p provider [-t file | -T dir] [-m segments] [-R attempts]\n"
	    "       [-r rate] [-j parallel] [-W seconds] [-L lease] [-c callback-url] [-C file]\n"
	    "       [-d db]\n"
	    "       %s --check -t file | -T dir\n",
	    progname, progname);
	exit(status);
}

static void
keep_status(int status)
{
	if (status > S.status)
		S.status = status;
}

/* ---- results ---- */

/* Writes the line with its sms result; consumes line and err. */
static void
emit(jv line, const char *status, const char *to, const char *body, int segments,
    int ucs2, int attempts, const char *pid, jv err)
{
	struct sms_outcome o = { status, S.p->name, to, body, segments, ucs2, attempts, pid,
		templates_variant(line), S.whatsapp ? "whatsapp" : NULL };

	json_print(sms_result(line, &o, err));
	/*
	 * The pipe to conv-store record is gone: a result that cannot be
	 * written cannot be recorded, so nothing more is sent (74).
	 */
	if ((fflush(stdout) != 0 || ferror(stdout)) && !S.halted[0]) {
		snprintf(S.halted, sizeof S.halted, "standard output is closed (%s): results "
		    "could not be recorded, nothing more is sent", strerror(errno));
		note("%s", S.halted);
		S.stdout_lost = 1;
	}
}

static void
job_free(struct job *j)
{
	if (j->easy && S.nspare < (int)(sizeof S.spare / sizeof S.spare[0]))
		S.spare[S.nspare++] = j->easy;
	else if (j->easy)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->slist);
	rq_free(&j->rq);
	sb_free(&j->resp);
	free(j->body);
	free(j);
}

static const char *const status_of[] = {
	[OUT_SENT] = "sent", [OUT_RETRY] = "failed", [OUT_PERMANENT] = "failed",
	[OUT_HALT] = "skipped", [OUT_UNKNOWN] = "unknown",
};

static void
finish(struct job *j, const struct sms_answer *a)
{
	int permanent = a->outcome == OUT_PERMANENT;
	jv err = jv_null();

	if (a->outcome != OUT_SENT) {
		err = sms_error(*a->code ? a->code : "error", *a->message ? a->message :
		    "the provider refused the message", permanent);
		if (!permanent)
			keep_status(EXIT_TEMPFAIL);
	}
	outage_note(&S.outage, S.p->name, a);
	/* the provider's count is what is billed; ours when it gives none */
	emit(j->line, status_of[a->outcome], j->to, j->body,
	    a->segments > 0 ? a->segments : j->segments, j->ucs2, j->attempts,
	    a->provider_id, err);
	j->line = jv_invalid();
	job_free(j);
}

/* A line not sent because sending stopped: written back, due again. */
static void
not_sent(struct job *j, const char *code, const char *why)
{
	struct sms_answer a = { .outcome = OUT_HALT };

	snprintf(a.code, sizeof a.code, "%s", code);
	snprintf(a.message, sizeof a.message, "%.250s", why);
	finish(j, &a);
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
	const char *phone, *due;
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
		    sms_error("no_phone", "no phone or to", 0));
		free(j);
		note("stdin:%ld: no phone or to; skipped", lineno);
		return EXIT_DATA;
	}
	if (phone_e164(phone, default_country(), j->to) != 0) {
		emit(line, "failed", phone, NULL, 0, 0, 0, NULL,
		    sms_error("invalid_number", "not a phone number", 1));
		free(j);
		return 0;
	}
	due = json_str(line, "due");
	if (templates_off(line, due)) {
		emit(line, "off", j->to, NULL, 0, 0, 0, NULL, jv_null());
		free(j);
		return 0;
	}
	if ((j->body = templates_render(line, &j->content, err, sizeof err)) == NULL) {
		note("stdin:%ld: %s; skipped", lineno, err);
		emit(line, "skipped", j->to, NULL, 0, 0, 0, NULL, sms_error("template", err, 0));
		free(j);
		return EXIT_DATA;
	}
	if (S.halted[0]) {
		not_sent(j, "halted", S.halted);
		return 0;
	}
	if (S.whatsapp && !j->content && !whatsapp_freeform_ok(line, clock_now())) {
		emit(line, "failed", j->to, j->body, 0, 0, 0, NULL, whatsapp_refusal());
		free(j->body);
		free(j);
		return 0;
	}
	j->segments = S.whatsapp ? 1 : sms_segments(j->body, &j->ucs2);
	if (S.max_segments && j->segments > S.max_segments) {
		snprintf(err, sizeof err, "%d segments, more than -m %d", j->segments, S.max_segments);
		emit(line, "failed", j->to, j->body, j->segments, j->ucs2, 0, NULL,
		    sms_error("too_long", err, 1));
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

	if (header_value(p, len, "Retry-After", v, sizeof v)) {
		if (*v && strspn(v, "0123456789") == strlen(v))
			j->retry_after = atol(v);
		else if ((t = curl_getdate(v, NULL)) > 0)
			j->retry_after = (long)(t - time(NULL));
		if (j->retry_after < 0)
			j->retry_after = 0;
	}
	return len;
}

/*
 * Called before each request libcurl makes.  When a kept-alive connection
 * closes after the provider read our request, libcurl would post the same
 * request again on a new connection, in silence: a second SMS.  The
 * second request of one attempt is stopped here, and the attempt's outcome
 * is unknown.
 */
static int
on_request(void *data, char *ip, char *local_ip, int port, int local_port)
{
	struct job *j = data;

	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	return ++j->requests > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

static void
start(struct job *j)
{
	int i;

	j->attempts++;
	j->requests = 0;
	curl_slist_free_all(j->slist);
	j->slist = NULL;
	rq_free(&j->rq);
	sb_free(&j->resp);
	j->retry_after = -1;
	j->rq.content_sid = j->content;
	S.p->build(j->to, j->body, &j->rq);
	for (i = 0; i < j->rq.nheaders; i++)
		j->slist = curl_slist_append(j->slist, j->rq.headers[i]);
	if (j->easy == NULL && S.nspare > 0)
		j->easy = S.spare[--S.nspare];
	if (j->easy == NULL && (j->easy = curl_easy_init()) == NULL) {
		not_sent(j, "libcurl", "libcurl could not make a handle (out of memory?): not sent");
		return;
	}
	curl_easy_reset(j->easy);
	curl_easy_setopt(j->easy, CURLOPT_URL, j->rq.url);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE, (long)j->rq.body.len);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->rq.body.p ? j->rq.body.p : "");
	curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->slist);
	if (j->rq.user) {
		curl_easy_setopt(j->easy, CURLOPT_USERNAME, j->rq.user);
		curl_easy_setopt(j->easy, CURLOPT_PASSWORD, j->rq.password);
	}
	curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(j->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(j->easy, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
	curl_easy_setopt(j->easy, CURLOPT_PREREQFUNCTION, on_request);
	curl_easy_setopt(j->easy, CURLOPT_PREREQDATA, j);
	/* a connection idle this long may be closed by the provider as we reuse it */
	curl_easy_setopt(j->easy, CURLOPT_MAXAGE_CONN, (long)IDLE_REUSE_MAX);
	curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(j->easy, CURLOPT_TIMEOUT, (long)S.timeout);
	curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(j->easy, CURLOPT_USERAGENT, "calsms-sms-send");
	if (curl_multi_add_handle(S.multi, j->easy) != CURLM_OK) {
		not_sent(j, "libcurl", "libcurl would not take the request: not sent");
		return;
	}
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

/* Stops sending: what waits is written back not sent; the status says why. */
static void
halt(const struct sms_answer *a)
{
	struct job *j;

	snprintf(S.halted, sizeof S.halted, "%s refused our request (%s%s%.150s): check "
	    "the provider's settings; nothing more is sent", S.p->name, a->code,
	    *a->message ? ": " : "", a->message);
	note("%s", S.halted);
	keep_status(EXIT_CONFIG);
	while ((j = S.queue) != NULL) {
		S.queue = j->next;
		S.queued--;
		not_sent(j, "halted", S.halted);
	}
	S.tail = NULL;
}

static void
done(struct job *j, CURLcode cc)
{
	struct sms_answer a = { 0 };
	long http = 0, sent = 0;

	curl_multi_remove_handle(S.multi, j->easy);
	S.inflight--;
	if (cc != CURLE_OK && j->requests > 1) {
		a.outcome = OUT_UNKNOWN;
		snprintf(a.code, sizeof a.code, "network");
		snprintf(a.message, sizeof a.message, "the connection closed after the request "
		    "was sent: it may have gone");
	} else if (cc != CURLE_OK) {
		curl_easy_getinfo(j->easy, CURLINFO_REQUEST_SIZE, &sent);
		a.outcome = outcome_of_curl(cc, sent);
		snprintf(a.code, sizeof a.code, "network");
		snprintf(a.message, sizeof a.message, "%s%s", curl_easy_strerror(cc),
		    a.outcome == OUT_UNKNOWN ? " after the request was sent: it may have gone" : "");
	} else {
		curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &http);
		S.p->answer(http, j->retry_after >= 0, j->resp.p ? j->resp.p : "", &a);
		if (*a.code == '\0' && a.outcome != OUT_SENT)
			snprintf(a.code, sizeof a.code, "http_%ld", http);
	}
	if (a.outcome == OUT_RETRY && j->attempts < S.attempts) {
		j->not_before = mono_ms() + backoff_ms(j);
		enqueue(j);
		return;
	}
	finish(j, &a);
	if (a.outcome == OUT_HALT && !S.halted[0])
		halt(&a);
}

/*
 * A line claimed so long ago that its lease may lapse before the provider
 * answers: follow-up-due may have called it uncertain, and an operator
 * may have resolved it, so it is not sent.
 */
static int
lease_lapsed(const struct job *j)
{
	jv at = json_path(j->line, "claim", "at", NULL);
	int64_t t;
	int lapsed = jv_get_kind(at) == JV_KIND_STRING &&
	    rfc3339_parse(jv_string_value(at), &t) == 0 &&
	    t + S.lease - S.timeout <= clock_now();

	jv_free(at);
	return lapsed;
}

/*
 * The last look, right before the request: a line the store handed out
 * (it carries its claim) is sent only if the store still holds that
 * claim and would still have it due.  A STOP, a cancel, a reschedule or
 * a reply recorded meanwhile settles it without a text.  Returns 1 to
 * send; otherwise the line has been written back.
 */
static int
last_look(struct job *j)
{
	const char *why;
	int rc = 1;

	if (json_str(j->line, "id") == NULL || json_kind(j->line, "claim") != JV_KIND_OBJECT)
		return 1;	/* not from the store: nothing to look at */
	if (S.store == NULL && S.store_status == 0 &&
	    (rc = store_open(store_dir(S.db), STORE_LAZY | STORE_READ, &S.store)) != 0)
		S.store_status = rc;
	if (S.store_status == 0 && (rc = store_still_due(S.store, j->line, j->to, &why)) < 0)
		S.store_status = -rc;
	if (S.store_status != 0) {
		not_sent(j, "store", "the store could not be read for the last look: not sent");
		return 0;
	}
	if (rc == 1)
		return 1;
	emit(j->line, "skipped", j->to, j->body, j->segments, j->ucs2, 0, NULL,
	    sms_error("not_due", why, 0));
	j->line = jv_invalid();
	job_free(j);
	return 0;
}

/*
 * A provider without a network (log): the id it makes is unique to this
 * line's message, its conversation, kind, claim and how many came before.
 */
static void
local_send(struct job *j, struct sms_answer *a)
{
	jv claim_at = json_path(j->line, "claim", "at", NULL);
	jv key = jv_string_fmt("%s\n%s\n%s\n%d", json_str(j->line, "id") ? json_str(j->line, "id") : "",
	    json_str(j->line, "due") ? json_str(j->line, "due") : "",
	    jv_get_kind(claim_at) == JV_KIND_STRING ? jv_string_value(claim_at) : "",
	    json_kind(j->line, "messages") == JV_KIND_ARRAY ?
	    jv_array_length(json_get(j->line, "messages")) : 0);

	j->attempts = 1;
	S.p->local(jv_string_value(key), j->to, j->body, a);
	jv_free(key);
	jv_free(claim_at);
}

/* Starts what may start now; returns ms until something else may. */
static long
dispatch(void)
{
	struct job *j, *prev = NULL, *next;
	int64_t now = mono_ms();
	long wait = 1000, w;

	for (j = S.queue; j && S.inflight < S.inflight_max; j = next) {
		next = j->next;
		if (j->not_before > now) {
			if (j->not_before - now < wait)
				wait = (long)(j->not_before - now);
			prev = j;
			continue;
		}
		if ((w = bucket_take(&S.rate)) > 0)
			return w < wait ? w : wait;
		if (prev)
			prev->next = next;
		else
			S.queue = next;
		if (S.tail == j)
			S.tail = prev;
		S.queued--;
		if (S.halted[0])
			not_sent(j, "halted", S.halted);
		else if (lease_lapsed(j))
			not_sent(j, "lease_expired", "claimed longer ago than the lease (-L): "
			    "not sent, so it cannot be sent twice");
		else if (!last_look(j))
			;	/* settled by what the store says now */
		else if (S.p->local) {
			struct sms_answer a = { 0 };

			local_send(j, &a);
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
	int eof = 0, running, reading, drained;
	long wait;
	ssize_t n;

	S.stdin_flags = fcntl(0, F_GETFL);
	fcntl(0, F_SETFL, S.stdin_flags | O_NONBLOCK);
	while (!eof || S.queue || S.inflight) {
		reading = !eof && S.queued < 2 * S.inflight_max + 16;
		if (reading) {
			while ((n = read(0, buf, sizeof buf)) > 0) {
				json_reader_feed(r, buf, (size_t)n);
				if (S.queued >= 2 * S.inflight_max + 16)
					break;
			}
			drained = n < 0 && errno == EAGAIN;
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				eof = 1;
				keep_status(json_reader_end(r));
				r = NULL;
			}
		} else
			drained = 0;
		/* stopped: what was waiting is written back, and the run ends */
		if (S.halted[0] && !S.inflight && (eof || drained))
			break;
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


static long
number(int c, const char *s, double *d)
{
	double v;
	long n;

	if (d == NULL && long_arg(s, 0, 1000000, &n) == 0)
		return n;
	if (d != NULL && real_arg(s, 0, 1e6, &v) == 0) {
		*d = v;
		return (long)v;
	}
	die(EXIT_USAGE, "-%c: not a number: %s", c, s);
}

int
main(int argc, char *argv[])
{
	const char *pname = NULL;
	double rate = -1;
	int c, i, check = 0;

	log_init(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++)	/* --check, anywhere among the options */
		if (strcmp(argv[i], "--check") == 0) {
			check = 1;
			memmove(argv + i, argv + i + 1, (size_t)(argc - i) * sizeof *argv);
			argc--;
			break;
		}
	while ((c = getopt(argc, argv, "c:C:d:hj:L:m:p:r:R:t:T:W:")) != -1) {
		switch (c) {
		case 'c': setenv("TWILIO_STATUS_CALLBACK", optarg, 1); break;
		case 'd': S.db = optarg; break;
		case 'C':
			if ((i = conf_load(optarg)) != 0)
				return i;
			break;
		case 'h': usage(0); break;
		case 'j': S.inflight_max = (int)number(c, optarg, NULL); break;
		case 'L':
			if (duration_parse(optarg, &S.lease) != 0 || S.lease <= 0)
				die(EXIT_USAGE, "-L: not a duration (10m, 1h): %s", optarg);
			break;
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
	if (S.lease <= S.timeout) {
		note("-L %llds must be longer than -W %ds: no line could be sent",
		    (long long)S.lease, S.timeout);
		usage(EXIT_USAGE);
	}
	/* templates read env.BUSINESS: a -C file's name is theirs too */
	if (conf_get("BUSINESS"))
		setenv("BUSINESS", conf_get("BUSINESS"), 1);
	S.whatsapp = twilio_whatsapp();
	if (check) {	/* no provider needed: nothing is sent */
		if (!S.template_file && !S.template_dir)
			die(EXIT_USAGE, "--check: give the templates, -T dir or -t file");
		return finish_stdout(templates_check(S.template_file, S.template_dir, S.whatsapp));
	}
	if (pname == NULL)
		pname = conf_get("SMS_PROVIDER");
	if (pname == NULL || *pname == '\0') {
		note("no provider: set SMS_PROVIDER or -p (twilio, sns, eum; log for a dry run)");
		return EXIT_CONFIG;
	}
	if ((S.p = provider_named(pname)) == NULL)
		die(EXIT_USAGE, "unknown provider %s: twilio, sns, eum or log", pname);
	if (S.whatsapp && S.p != &provider_twilio && S.p != &provider_log)
		die(EXIT_CONFIG, "TWILIO_CHANNEL=whatsapp: WhatsApp goes through -p twilio (or log)");
	if ((c = S.p->setup()) != 0 ||
	    (c = templates_load(S.template_file, S.template_dir, S.whatsapp)) != 0) {
		templates_free();
		return c;
	}
	bucket_init(&S.rate, rate >= 0 ? rate : S.p->rate);
	srand48((long)mono_ms() ^ getpid());
	/* libcurl under CURLOPT_NOSIGNAL needs SIGPIPE ignored; stdout's EPIPE is seen in emit */
	signal(SIGPIPE, SIG_IGN);
	if (curl_load() != 0 || (S.multi = curl_multi_init()) == NULL)
		die(EXIT_SOFTWARE, "libcurl did not start");
	curl_multi_setopt(S.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)S.inflight_max);
	run();
	outage_end(&S.outage, S.p->name);
	while (S.nspare > 0)
		curl_easy_cleanup(S.spare[--S.nspare]);
	curl_multi_cleanup(S.multi);
	curl_global_cleanup();
	templates_free();
	if (S.store)
		store_close(S.store);
	fcntl(0, F_SETFL, S.stdin_flags);
	if (S.stdout_lost)
		return EXIT_IOERR;
	return finish_stdout(S.status);
}
