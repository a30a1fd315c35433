/*
 * ptime: runs a command N times, stdin from a file, stdout to /dev/null,
 * and prints the median, 99th percentile and max wall time in ms, the
 * peak RSS in KiB and the median of the runs' minor page faults.  Usage:
 * ptime [-l] N INPUT cmd [args...] [--vs INPUT cmd [args...]]
 *
 * With -l, run i reads line i of INPUT alone (through a pipe, the lines
 * taken in turn), so that each run of "conv-store add" adds a booking.
 *
 * With --vs, the two commands run in turn, one run of each per round, and
 * a line is printed for each: the machine's drift (a noisy neighbour, a
 * frequency change) then falls on both alike.  Peak RSS is measured over
 * all children, so with --vs both lines show the larger.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct job {
	char **argv;
	char *input;
	char **lines;	/* with -l: the input's lines, each ending in '\n' */
	size_t nlines;
	double *ms, *faults;
};

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The lines of path, each kept with its newline; -1 when none. */
static int
read_lines(struct job *j, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (f == NULL)
		return -1;
	while ((len = getline(&line, &cap, f)) > 0) {
		if ((j->lines = realloc(j->lines, (j->nlines + 1) * sizeof *j->lines)) == NULL ||
		    (j->lines[j->nlines] = malloc((size_t)len + 2)) == NULL)
			return -1;
		memcpy(j->lines[j->nlines], line, (size_t)len + 1);
		if (line[len - 1] != '\n')
			strcpy(j->lines[j->nlines] + len, "\n");
		j->nlines++;
	}
	free(line);
	fclose(f);
	return j->nlines ? 0 : -1;
}

static int
job_init(struct job *j, int n, int by_line, char *input, char **argv)
{
	memset(j, 0, sizeof *j);
	j->argv = argv;
	j->input = input;
	if ((j->ms = calloc((size_t)n, sizeof *j->ms)) == NULL ||
	    (j->faults = calloc((size_t)n, sizeof *j->faults)) == NULL)
		return -1;
	if (by_line && read_lines(j, input) != 0) {
		fprintf(stderr, "ptime: %s: no lines to read\n", input);
		return -1;
	}
	return 0;
}

static int
job_run(struct job *j, int i)
{
	posix_spawn_file_actions_t fa;
	struct timespec t0, t1;
	struct rusage ru;
	const char *line;
	int status, p[2] = { -1, -1 }, rc;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	if (j->lines) {
		line = j->lines[(size_t)i % j->nlines];
		if (pipe(p) != 0 || write(p[1], line, strlen(line)) != (ssize_t)strlen(line)) {
			perror("ptime: pipe");
			return -1;
		}
		close(p[1]);
		posix_spawn_file_actions_adddup2(&fa, p[0], 0);
		if (p[0] != 0)
			posix_spawn_file_actions_addclose(&fa, p[0]);
	} else {
		posix_spawn_file_actions_addopen(&fa, 0, j->input, O_RDONLY, 0);
	}
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = posix_spawnp(&pid, j->argv[0], &fa, NULL, j->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (p[0] >= 0)
		close(p[0]);
	if (rc != 0) {
		perror(j->argv[0]);
		return -1;
	}
	wait4(pid, &status, 0, &ru);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	j->ms[i] = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	j->faults[i] = (double)ru.ru_minflt;
	return 0;
}

static void
job_print(struct job *j, int n, long rss)
{
	qsort(j->ms, (size_t)n, sizeof *j->ms, cmp);
	qsort(j->faults, (size_t)n, sizeof *j->faults, cmp);
	printf("%.3f %.3f %.3f %ld %.0f\n", j->ms[n / 2],
	    j->ms[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], j->ms[n - 1], rss,
	    j->faults[n / 2]);
}

int
main(int argc, char *argv[])
{
	struct job job[2];
	struct rusage ru;
	int n, i, k, njobs = 1, by_line = 0;

	if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		by_line = 1;
		argv++;
		argc--;
	}
	if (argc < 4 || (n = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: ptime [-l] N INPUT cmd [args...] [--vs INPUT cmd [args...]]\n");
		return 64;
	}
	for (i = 3; i < argc; i++)
		if (strcmp(argv[i], "--vs") == 0) {
			if (i + 2 >= argc) {
				fprintf(stderr, "ptime: --vs needs INPUT and a command\n");
				return 64;
			}
			argv[i] = NULL;
			if (job_init(&job[1], n, by_line, argv[i + 1], argv + i + 2) != 0)
				return 70;
			njobs = 2;
			break;
		}
	if (job_init(&job[0], n, by_line, argv[2], argv + 3) != 0)
		return 70;
	for (i = 0; i < n; i++)
		for (k = 0; k < njobs; k++)
			if (job_run(&job[k], i) != 0)
				return 69;
	getrusage(RUSAGE_CHILDREN, &ru);
	for (k = 0; k < njobs; k++)
		job_print(&job[k], n, ru.ru_maxrss);
	return 0;
}
