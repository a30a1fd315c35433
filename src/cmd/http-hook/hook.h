/* hook.h: what http-hook's request side (main.c) and its handler side (run.c) share. */
#ifndef HOOK_H
#define HOOK_H

#include <sys/types.h>

#include "http.h"

#define MAX_OUT (1024 * 1024)
#define MAX_STAGES 4
#define MAX_WORDS 32

/*
 * A route's handler: one program and its arguments, or a pipe of up to
 * MAX_STAGES that http-hook runs itself, without a shell: on its command
 * line, /calendly=cal-parse | conv-store add -q (the words as separate
 * arguments, as inetd, socat and systemd split a line at spaces).
 */
struct route {
	const char *path;
	char *words[MAX_STAGES][MAX_WORDS + 1];	/* each stage's argv */
	int nstages;
};

struct child {
	pid_t pids[MAX_STAGES], group;	/* group: the process group the stages are in */
	int status[MAX_STAGES], exited[MAX_STAGES];
	int nstages;
	int in, out, err;
	char *buf;
	size_t len;
	char errbuf[1024];
	size_t errlen;
	int overflow;	/* it wrote more than MAX_OUT */
};

extern int use_syslog;

int route_word(struct route *rt, char *word);
int watch_exits(void);
int spawn(struct child *c, const struct route *rt);
int run_handler(struct child *c, const struct request *rq, int timeout_s);

#endif
