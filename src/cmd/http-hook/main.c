/*
 * http-hook: one HTTP/1.x request on stdin, one response on stdout, as
 * inetd, socat, systemd (Accept=yes) or tcpserver start it.
 *
 * The request path picks a handler; the handler runs CGI/1.1 style
 * (RFC 3875): headers become HTTP_* variables, the body is its stdin, and
 * its exit status becomes the HTTP status (calsms(7)).  What http-hook can
 * judge alone it answers itself, without starting a handler: 400, 404,
 * 405, 408, 411, 413, 431, 505.  One request per connection.
 *
 * Under inetd, stderr is the socket too: diagnostics then go to syslog,
 * never into the response.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "calsms.h"
#include "hook.h"

#define MAX_ROUTES 32

extern char **environ;

int use_syslog;
static int quiet;
static int64_t deadline_ms;

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s [-q] [-m maxbody] [-t seconds] [-T seconds] "
	    "/path=handler [arg ...] [| program [arg ...]] ...\n", progname);
	exit(status);
}

/* Diagnostics: stderr, or syslog when stderr is the client's socket. */
static void
logmsg(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (use_syslog) {
		char safe[1024];

		log_escape(buf, safe, sizeof safe);
		mask_phones(safe);
		syslog(LOG_INFO, "%s", safe);
	} else
		note("%s", buf);
}

static int
same_socket(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	    S_ISSOCK(sa.st_mode) && sa.st_dev == sb.st_dev &&
	    sa.st_ino == sb.st_ino;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes the whole response; extra is more header lines, CRLF-ended. */
static int
respond(int code, const char *extra, const char *body, size_t len)
{
	char head[4096];
	int n;

	if (body == NULL) {
		body = http_reason(code);
		len = strlen(body);
		n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n%s"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		    code, http_reason(code), extra ? extra : "", len + 1);
		return write_all(1, head, (size_t)n) || write_all(1, body, len) ||
		    write_all(1, "\n", 1);
	}
	n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\n%s"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	    code, http_reason(code), extra ? extra : "", len);
	if (n < 0 || (size_t)n >= sizeof head)
		return -1;
	return write_all(1, head, (size_t)n) || write_all(1, body, len);
}

/* Reads more of stdin into buf before the deadline: 0 ok, -1 EOF, -2 timeout. */
static int
read_more(char *buf, size_t cap, size_t *have)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	int64_t left = deadline_ms - mono_ms();
	ssize_t r;

	if (left <= 0)
		return -2;
	if (poll(&p, 1, (int)left) == 0)
		return -2;
	r = read(0, buf + *have, cap - *have);
	if (r < 0 && errno == EINTR)
		return 0;
	if (r <= 0)
		return -1;
	*have += (size_t)r;
	return 0;
}

/* Returns the HTTP status to refuse with, or 0 when the head is complete. */
static int
read_head(struct request *rq)
{
	int r;

	for (;;) {
		rq->head[rq->have] = '\0';
		if ((rq->head_len = head_end(rq->head, rq->have)) != 0)
			return memchr(rq->head, '\0', rq->head_len) ? 400 : 0;
		if (memchr(rq->head, '\0', rq->have))
			return 400;
		if (rq->have == MAX_HEAD)
			return 431;
		if ((r = read_more(rq->head, MAX_HEAD, &rq->have)) == -2)
			return 408;
		if (r == -1)
			return rq->have ? 400 : -1;
	}
}

static int
read_body(struct request *rq, size_t len)
{
	size_t have = rq->have - rq->head_len;
	int r;

	if ((rq->body = malloc(len + 1)) == NULL)
		return 500;
	if (have > len)
		have = len;
	memcpy(rq->body, rq->head + rq->head_len, have);
	while (have < len) {
		if ((r = read_more(rq->body, len, &have)) == -2)
			return 408;
		if (r == -1)
			return 400;
	}
	rq->body_len = len;
	return 0;
}

static void
setenv_http(const char *name, const char *value)
{
	char var[160], *d;
	const char *old;
	size_t n;

	if (strlen(name) > 100 || strchr(name, '_') || strcasecmp(name, "Proxy") == 0)
		return;	/* ambiguous names, and httpoxy */
	strcpy(var, "HTTP_");
	for (d = var + 5; *name; name++)
		*d++ = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
	*d = '\0';
	if ((old = getenv(var)) != NULL) {
		n = strlen(old) + strlen(value) + 3;
		if ((d = malloc(n)) == NULL)
			return;
		snprintf(d, n, "%s, %s", old, value);
		setenv(var, d, 1);
		free(d);
	} else
		setenv(var, value, 1);
}

static void
peer_env(void)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char addr[INET6_ADDRSTRLEN] = "";
	const char *e;

	if (getpeername(0, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof addr);
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof addr);
	}
	if (*addr == '\0' && ((e = getenv("SOCAT_PEERADDR")) || (e = getenv("TCPREMOTEIP")) ||
	    (e = getenv("REMOTE_HOST"))))
		snprintf(addr, sizeof addr, "%s", e);
	setenv("REMOTE_ADDR", *addr ? addr : "127.0.0.1", 1);
}

/* The CGI/1.1 meta-variables, set before the handler starts (one request a process). */
static void
cgi_env(const struct request *rq, const char *path)
{
	char **e, n[32];
	int i;

	for (e = environ; *e;)
		if (strncmp(*e, "HTTP_", 5) == 0) {
			char name[256];

			snprintf(name, sizeof name, "%.*s", (int)strcspn(*e, "="), *e);
			unsetenv(name);
			e = environ;
		} else
			e++;
	setenv("GATEWAY_INTERFACE", "CGI/1.1", 1);
	setenv("SERVER_PROTOCOL", rq->version, 1);
	setenv("SERVER_SOFTWARE", "calsms-http-hook", 1);
	setenv("REQUEST_METHOD", rq->method, 1);
	setenv("SCRIPT_NAME", path, 1);
	setenv("PATH_INFO", "", 1);
	setenv("QUERY_STRING", rq->query ? rq->query : "", 1);
	snprintf(n, sizeof n, "%zu", rq->body_len);
	setenv("CONTENT_LENGTH", n, 1);
	unsetenv("CONTENT_TYPE");
	for (i = 0; i < rq->nheaders; i++) {
		if (strcasecmp(rq->names[i], "Content-Type") == 0)
			setenv("CONTENT_TYPE", rq->values[i], 1);
		else if (strcasecmp(rq->names[i], "Content-Length") != 0)
			setenv_http(rq->names[i], rq->values[i]);
	}
	if (header(rq, "Host", NULL))
		setenv("SERVER_NAME", header(rq, "Host", NULL), 1);
	peer_env();
}

/* sysexits to HTTP, as calsms(7) has it. */
static int
http_status(int code)
{
	switch (code) {
	case 0: return 200;
	case EXIT_DATA: return 400;
	case EXIT_UNAVAILABLE: case EXIT_TEMPFAIL: return 503;
	case EXIT_NOPERM: return 401;
	default: return 500;
	}
}

/*
 * Whether out starts with a CGI header block: "Name: value" lines up to an
 * empty line, one of them Status or Content-Type.  Plain output that only
 * looks like a header ("Note: booked") is a body.
 */
static int
has_cgi_headers(const char *out)
{
	const char *line = out, *nl, *colon;
	size_t n;
	int cgi = 0;

	for (; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		n = (size_t)(nl - line) - (nl > line && nl[-1] == '\r');
		if (n == 0)
			return cgi;
		if ((colon = memchr(line, ':', n)) == NULL || colon == line)
			return 0;
		for (const char *v = line; v < colon; v++)
			if (!isalnum((unsigned char)*v) && *v != '-')
				return 0;
		cgi |= (colon - line == 6 && strncasecmp(line, "Status", 6) == 0) ||
		    (colon - line == 12 && strncasecmp(line, "Content-Type", 12) == 0);
	}
	return 0;
}

/*
 * A handler's output may start with CGI header lines ("Status: 202",
 * "Content-Type: text/xml") ended by a blank line.  Returns where the body
 * starts: past the headers, or the start of the output when there are none.
 */
static char *
cgi_headers(char *out, char *extra, size_t cap, int *code, int *typed)
{
	char *p = out, *line, *colon, *v;
	size_t elen = 0;

	if (!has_cgi_headers(out))
		return out;
	while ((line = http_next_line(&p)) != NULL && *line) {
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (strcasecmp(line, "Status") == 0) {
			*code = atoi(v);
			if (*code < 200 || *code > 599)
				*code = 500;
		} else if (http_token(line) && strcasecmp(line, "Content-Length") &&
		    strcasecmp(line, "Connection") &&
		    elen + strlen(line) + strlen(v) + 5 < cap) {
			*typed |= strcasecmp(line, "Content-Type") == 0;
			elen += (size_t)snprintf(extra + elen, cap - elen,
			    "%s: %s\r\n", line, v);
		}
	}
	return p;
}

static int
cgi_reply(struct child *c)
{
	char extra[2048] = "", *body;
	int code = 200, typed = 0;

	c->buf[c->len] = '\0';
	body = cgi_headers(c->buf, extra, sizeof extra - 64, &code, &typed);
	if (!typed)
		snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
		    "Content-Type: %s\r\n", *body == '{' ? "application/json" :
		    "text/plain; charset=utf-8");
	if (respond(code, extra, body, c->len - (size_t)(body - c->buf)))
		return -1;
	return code;
}

/*
 * After an error answer with request bytes unread: stop writing, and read
 * what the client still sends (a while, a bounded amount), so that closing
 * the socket does not reset the connection before the client has read its
 * 413 or 400.
 */
static void
linger(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	int64_t end = mono_ms() + 1000;
	size_t total = 0;
	char sink[16384];
	ssize_t r;

	fflush(stdout);
	shutdown(1, SHUT_WR);
	while (total < 8 * MAX_OUT && mono_ms() < end &&
	    poll(&p, 1, (int)(end - mono_ms())) > 0) {
		if ((r = read(0, sink, sizeof sink)) <= 0)
			break;
		total += (size_t)r;
	}
}

/* Where the '=' of a route's /path=handler is, or NULL: arg is a word. */
static char *
route_start(char *arg)
{
	char *eq = strchr(arg, '=');

	if (arg[0] != '/' || eq == NULL)
		return NULL;
	if (eq[1] == '\0')
		die(EXIT_USAGE, "not a /path=handler mapping: %s", arg);
	return eq;
}

/* The routes: /path=program [args...] [| program [args...]]..., each after the other. */
static int
parse_routes(int argc, char **argv, struct route *rt)
{
	int i, n = 0;
	char *eq;

	for (i = 0; i < argc; i++) {
		if ((eq = route_start(argv[i])) != NULL) {
			if (n == MAX_ROUTES)
				die(EXIT_USAGE, "more than %d routes", MAX_ROUTES);
			*eq = '\0';
			rt[n] = (struct route){ .path = argv[i], .nstages = 1 };
			rt[n++].words[0][0] = eq + 1;
		} else if (n == 0)
			die(EXIT_USAGE, "not a /path=handler mapping: %s", argv[i]);
		else if (route_word(&rt[n - 1], argv[i]) != 0)
			die(EXIT_USAGE, "%s: not a handler: a program, or a pipe of at most %d, "
			    "each with at most %d arguments", rt[n - 1].path, MAX_STAGES,
			    MAX_WORDS - 1);
	}
	for (i = 0; i < n; i++)
		if (rt[i].words[rt[i].nstages - 1][0] == NULL)
			die(EXIT_USAGE, "%s: a pipe that ends in |", rt[i].path);
	return n;
}

static int
serve(struct request *rq, struct route *routes, int nroutes, size_t max_body,
    const struct route **hit)
{
	size_t len = 0;
	int code, i, count;
	const char *expect;

	if ((code = read_head(rq)) != 0)
		return code;
	if ((code = parse_head(rq)) != 0)
		return code;
	header(rq, "Host", &count);
	if (strcmp(rq->version, "HTTP/1.1") == 0 && count != 1)
		return 400;
	for (i = 0; i < nroutes && strcmp(routes[i].path, rq->target) != 0; i++)
		;
	if (i == nroutes)
		return 404;
	*hit = &routes[i];
	if (strcmp(rq->method, "POST") != 0)
		return 405;
	if ((code = content_length(rq, max_body, &len)) != 0)
		return code;
	expect = header(rq, "Expect", NULL);
	if (expect && strcasecmp(expect, "100-continue") == 0 &&
	    rq->have == rq->head_len && len > 0 &&
	    write_all(1, "HTTP/1.1 100 Continue\r\n\r\n", 25))
		return -1;
	return read_body(rq, len);
}

int
main(int argc, char *argv[])
{
	static struct request rq;
	struct route routes[MAX_ROUTES];
	const struct route *hit = NULL;
	struct child c = { 0 };
	long max_body = 1024 * 1024, t_read = 10, t_run = 30, *lp;
	int64_t started = mono_ms();
	int ch, nroutes, code, status;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "+hm:qt:T:")) != -1) {
		switch (ch) {
		case 'h': usage(0); break;
		case 'q': quiet = 1; break;
		case 'm': case 't': case 'T':
			lp = ch == 'm' ? &max_body : ch == 't' ? &t_read : &t_run;
			if (long_arg(optarg, 1, 1L << 40, lp) != 0)
				die(EXIT_USAGE, "-%c: not a positive number: %s", ch, optarg);
			break;
		default: usage(EXIT_USAGE);
		}
	}
	if (optind == argc)
		usage(EXIT_USAGE);
	nroutes = parse_routes(argc - optind, argv + optind, routes);
	if (same_socket(1, 2)) {
		use_syslog = 1;
		openlog(progname, LOG_PID, LOG_DAEMON);
		if (freopen("/dev/null", "w", stderr) == NULL)
			close(2);
	}
	signal(SIGPIPE, SIG_IGN);
	/* inherited SIG_IGN would make waitpid fail: every status must be seen */
	if (watch_exits() != 0)
		signal(SIGCHLD, SIG_DFL);
	deadline_ms = started + t_read * 1000;

	code = serve(&rq, routes, nroutes, (size_t)max_body, &hit);
	if (code == -1)
		return 0;	/* the client went away before sending anything */
	if (code != 0) {
		if (!quiet || code >= 500)
			logmsg("%s %s: %d %s", rq.method ? rq.method : "-",
			    rq.target ? rq.target : "-", code, http_reason(code));
		if (respond(code, code == 405 ? "Allow: POST\r\n" : NULL, NULL, 0))
			return EXIT_IOERR;
		linger();
		return 0;
	}
	cgi_env(&rq, hit->path);
	if (spawn(&c, hit) != 0) {
		logmsg("cannot start %s: %s", hit->words[0][0], strerror(errno));
		return respond(500, NULL, NULL, 0) ? EXIT_IOERR : 0;
	}
	status = run_handler(&c, &rq, (int)t_run);
	if (status == -1) {
		logmsg("%s: %s ran over %lds: killed", rq.target, hit->words[0][0], t_run);
		code = respond(503, "Retry-After: 60\r\n", NULL, 0) ? -1 : 503;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && c.overflow) {
		logmsg("%s: %s wrote more than %d bytes: not sent", rq.target, hit->words[0][0],
		    MAX_OUT);
		code = respond(500, NULL, NULL, 0) ? -1 : 500;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		code = cgi_reply(&c);
	else {
		code = WIFEXITED(status) ? http_status(WEXITSTATUS(status)) : 500;
		code = respond(code, code == 503 ? "Retry-After: 60\r\n" : NULL,
		    NULL, 0) ? -1 : code;
	}
	if (!quiet)
		logmsg("%s %s: %d, handler %s %d, %lld ms", rq.method, rq.target,
		    code, status != -1 && WIFSIGNALED(status) ? "signal" : "exit",
		    status == -1 ? -1 : WIFSIGNALED(status) ? WTERMSIG(status) :
		    WEXITSTATUS(status), (long long)(mono_ms() - started));
	free(c.buf);
	free(rq.body);
	return code < 0 ? EXIT_IOERR : 0;
}
