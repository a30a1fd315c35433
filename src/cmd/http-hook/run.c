/*
 * run.c: http-hook's handler, started without a shell: one program with
 * its arguments, or a pipe of programs in one process group, the body on the first's stdin,
 * the last's stdout the answer, every stage's stderr forwarded.
 *
 * A pipe's status is that of the first stage that exited non-zero, else
 * the last stage's: cal-parse's 77 (a bad signature) is the 401 even
 * though conv-store, given nothing, exits 0; a stage killed by SIGPIPE
 * because a later one stopped reading leaves the answer to that later one.
 */
#define _GNU_SOURCE	/* posix_spawn_file_actions_addclosefrom_np (glibc 2.34) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "calsms.h"
#include "hook.h"

extern char **environ;

/*
 * Adds one word of the command line to rt: a "|" starts the next stage.
 * -1 when a stage would be empty, or there would be more stages or words
 * than fit.
 */
int
route_word(struct route *rt, char *word)
{
	int n = rt->nstages - 1, w;

	for (w = 0; rt->words[n][w]; w++)
		;
	if (strcmp(word, "|") == 0) {
		if (w == 0 || rt->nstages == MAX_STAGES)
			return -1;
		rt->nstages++;
		return 0;
	}
	if (w == MAX_WORDS)
		return -1;
	rt->words[n][w] = word;
	return 0;
}

static void
close_all(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * One stage by posix_spawn (no copy of http-hook's page tables, and one
 * close_range for every descriptor above 2: a webhook's pipe starts two).
 * -1 when it could not start; start_stages then forks, so that a missing
 * program is said and exits 126 as from a shell.
 */
static pid_t
spawn_stage(char *const *words, pid_t group, int in, int out, int err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t dfl;
	pid_t pid = -1;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	if (posix_spawnattr_init(&at) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	if (posix_spawn_file_actions_adddup2(&fa, in, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, out, 1) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, err, 2) != 0 ||
	    posix_spawn_file_actions_addclosefrom_np(&fa, 3) != 0 ||
	    posix_spawnattr_setsigdefault(&at, &dfl) != 0 ||
	    posix_spawnattr_setpgroup(&at, group) != 0 ||
	    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF) != 0 ||
	    posix_spawnp(&pid, words[0], &fa, &at, words, environ) != 0)
		pid = -1;
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/*
 * One stage in group (0: a group of its own), by posix_spawn, else by
 * fork and exec.
 */
static pid_t
start_stage(char *const *words, pid_t group, int in, int out, int err)
{
	pid_t pid = spawn_stage(words, group, in, out, err);

	if (pid < 0 && (pid = fork()) == 0) {
		setpgid(0, group);
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		closefrom(3);
		signal(SIGPIPE, SIG_DFL);
		execvp(words[0], words);
		fprintf(stderr, "%s: %s: %s\n", progname, words[0], strerror(errno));
		_exit(126);
	}
	if (pid > 0)
		setpgid(pid, group ? group : pid);
	return pid;
}

/*
 * Starts every stage: stdin from in, stdout to out, stderr to err, in one
 * process group (the one the -T limit kills).  The last stage starts
 * first: in a webhook's pipe it is the store, the slower to be ready, so
 * it opens its store while the first stage starts.  Each stage holds only
 * its own three descriptors, so it sees EOF when the one before it exits.
 * A stage that did not start leaves its pid 0.
 */
static int
start_stages(struct child *c, const struct route *rt, int in, int out, int err)
{
	int links[MAX_STAGES - 1][2], n = rt->nstages, i;

	memset(links, -1, sizeof links);
	memset(c->pids, 0, sizeof c->pids);
	c->nstages = n;
	c->group = 0;
	for (i = 0; i < n - 1; i++)
		if (pipe(links[i]) != 0)
			break;
	if (i == n - 1)
		for (i = n - 1; i >= 0; i--) {
			if ((c->pids[i] = start_stage(rt->words[i], c->group, i ? links[i - 1][0] : in,
			    i < n - 1 ? links[i][1] : out, err)) < 0)
				break;
			if (c->group == 0)
				c->group = c->pids[i];
			if (i < n - 1)
				close_fd(&links[i][1]);
			if (i > 0)
				close_fd(&links[i - 1][0]);
		}
	close_all(&links[0][0], 2 * (MAX_STAGES - 1));
	if (i < 0)
		return 0;
	c->pids[i] = 0;
	return -1;
}

int
spawn(struct child *c, const struct route *rt)
{
	int fds[6] = { -1, -1, -1, -1, -1, -1 }, *in = fds, *out = fds + 2, *err = fds + 4, i;

	if (pipe(in) || pipe(out) || pipe(err)) {
		close_all(fds, 6);
		return -1;
	}
	if (start_stages(c, rt, in[0], out[1], err[1]) != 0) {
		close_all(fds, 6);
		if (c->group > 0)
			kill(-c->group, SIGKILL);
		for (i = 0; i < c->nstages; i++)
			if (c->pids[i] > 0)
				waitpid(c->pids[i], NULL, 0);
		return -1;
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	c->in = in[1];
	c->out = out[0];
	c->err = err[0];
	fcntl(c->in, F_SETFL, O_NONBLOCK);
	return 0;
}

static void
forward_stderr(struct child *c, int flush)
{
	char *nl;

	c->errbuf[c->errlen] = '\0';
	while ((nl = strchr(c->errbuf, '\n')) != NULL || (flush && c->errlen) ||
	    c->errlen == sizeof c->errbuf - 1) {
		if (nl)
			*nl = '\0';
		if (use_syslog) {
			mask_phones(c->errbuf);
			syslog(LOG_INFO, "%s", c->errbuf);
		} else
			fprintf(stderr, "%s\n", c->errbuf);
		if (nl == NULL) {
			c->errlen = 0;
			break;
		}
		c->errlen -= (size_t)(nl + 1 - c->errbuf);
		memmove(c->errbuf, nl + 1, c->errlen + 1);
	}
}

/* The handler's group is killed; -1, as run_handler says for a timeout. */
static int
kill_handler(struct child *c)
{
	int i;

	kill(-c->group, SIGKILL);
	for (i = 0; i < c->nstages; i++)
		if (!c->exited[i]) {
			kill(c->pids[i], SIGKILL);
			while (waitpid(c->pids[i], NULL, 0) < 0 && errno == EINTR)
				;
		}
	return -1;
}

/* Reaps the stages that have exited; whether all have. */
static int
reap(struct child *c)
{
	int i, left = 0;

	for (i = 0; i < c->nstages; i++) {
		if (!c->exited[i] && waitpid(c->pids[i], &c->status[i], WNOHANG) == c->pids[i])
			c->exited[i] = 1;
		left += !c->exited[i];
	}
	return left == 0;
}

/* The pipe's wait status: the first stage's that exited non-zero, else the last's. */
static int
pipe_status(const struct child *c)
{
	int i;

	for (i = 0; i < c->nstages - 1; i++)
		if (WIFEXITED(c->status[i]) && WEXITSTATUS(c->status[i]) != 0)
			return c->status[i];
	return c->status[c->nstages - 1];
}

/* Handles what poll said of the three pipes. */
static void
pump(struct child *c, const struct request *rq, size_t *off, struct pollfd *p)
{
	char sink[4096];
	ssize_t r;

	if (p[0].revents) {
		r = write(c->in, rq->body + *off, rq->body_len - *off);
		if (r > 0)
			*off += (size_t)r;
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			*off = rq->body_len;	/* the handler stopped reading */
		if (*off == rq->body_len)
			close_fd(&c->in);
	}
	if (p[1].revents) {
		r = c->len < MAX_OUT ? read(c->out, c->buf + c->len, MAX_OUT - c->len) :
		    read(c->out, sink, sizeof sink);
		if (r > 0 && c->len < MAX_OUT)
			c->len += (size_t)r;
		else if (r > 0)
			c->overflow = 1;
		if (r == 0 || (r < 0 && errno != EINTR))
			close_fd(&c->out);
	}
	if (p[2].revents) {
		r = read(c->err, c->errbuf + c->errlen, sizeof c->errbuf - 1 - c->errlen);
		if (r > 0) {
			c->errlen += (size_t)r;
			forward_stderr(c, 0);
		} else if (r == 0 || errno != EINTR) {
			forward_stderr(c, 1);
			close_fd(&c->err);
		}
	}
}

/* a byte for each SIGCHLD, so that poll wakes when a stage exits */
static int exits[2] = { -1, -1 };

static void
on_exit_signal(int sig)
{
	int e = errno;

	(void)sig;
	if (write(exits[1], "", 1) < 0) {
		/* full: poll wakes anyway */
	}
	errno = e;
}

/*
 * SIGCHLD wakes run_handler's poll: a stage's exit is seen at once, not
 * at the next look (its pipes close before it can be waited for, and a
 * look a millisecond later then added up to one to the answer).  0, or
 * -1 when it cannot: exits are then looked for every 20 ms, every 1 once
 * the pipes are closed.
 */
int
watch_exits(void)
{
	struct sigaction sa;
	sigset_t chld;
	int i;

	/* a launcher may have blocked it (the stages inherit the mask too) */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_UNBLOCK, &chld, NULL) != 0 || pipe(exits) != 0)
		return -1;
	for (i = 0; i < 2; i++)
		if (fcntl(exits[i], F_SETFL, O_NONBLOCK) != 0 || fcntl(exits[i], F_SETFD, FD_CLOEXEC) != 0)
			return -1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_exit_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	return sigaction(SIGCHLD, &sa, NULL);
}

#define EXIT_GRACE_MS 100	/* what a handler wrote by then after its exit is its answer */

/* How long poll may wait: to the -T limit or the end of the grace, or less. */
static int
wait_ms(const struct child *c, int64_t now, int64_t end, int64_t exited_at)
{
	int64_t until = exited_at && exited_at + EXIT_GRACE_MS < end ? exited_at + EXIT_GRACE_MS : end;
	int n = (int)(until - now);

	if (exits[0] < 0 && n > 20)
		n = c->in < 0 && c->out < 0 && c->err < 0 ? 1 : 20;
	else if (n > 100 && c->in < 0 && c->out < 0 && c->err < 0)
		n = 100;	/* only an exit is awaited: a lost wake-up costs no more */
	return n;
}

/*
 * Feeds the body and collects stdout and stderr at once, so that a handler
 * that writes before it has read everything cannot deadlock us.  The -T
 * limit holds whatever the handler does with its descriptors, and once it
 * has exited, its background children (which may hold the pipes open) are
 * not waited for: what it wrote within EXIT_GRACE_MS is its answer.
 * Returns the wait status, or -1 on timeout (the handler is killed).
 */
int
run_handler(struct child *c, const struct request *rq, int timeout_s)
{
	size_t off = 0;
	int64_t end = mono_ms() + (int64_t)timeout_s * 1000, exited_at = 0, now;
	struct pollfd p[4];
	char drain[64];

	if (rq->body_len == 0)
		close_fd(&c->in);
	if ((c->buf = malloc(MAX_OUT + 1)) == NULL)
		return kill_handler(c);
	for (;;) {
		now = mono_ms();
		if (!exited_at && reap(c))
			exited_at = now;
		if (exited_at && (c->out < 0 || now - exited_at >= EXIT_GRACE_MS))
			break;
		if (now >= end)
			return kill_handler(c);
		p[0] = (struct pollfd){ .fd = c->in, .events = POLLOUT };
		p[1] = (struct pollfd){ .fd = c->out, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = c->err, .events = POLLIN };
		p[3] = (struct pollfd){ .fd = exits[0], .events = POLLIN };
		if (poll(p, 4, wait_ms(c, now, end, exited_at)) > 0) {
			pump(c, rq, &off, p);
			while (p[3].revents && read(exits[0], drain, sizeof drain) > 0)
				;
		}
	}
	forward_stderr(c, 1);
	close_fd(&c->in);
	close_fd(&c->out);
	close_fd(&c->err);
	return pipe_status(c);
}
