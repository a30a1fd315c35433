/*
 * ptime: runs a command N times, stdin from a file, stdout to /dev/null,
 * and prints the median, 99th percentile and max wall time in ms, and the
 * peak RSS in KiB.  Usage: ptime N INPUT cmd [args...] [--vs INPUT cmd
 * [args...]]
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
	posix_spawn_file_actions_t fa;
	double *ms;
};

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
job_init(struct job *j, int n, char *input, char **argv)
{
	j->argv = argv;
	if ((j->ms = calloc((size_t)n, sizeof *j->ms)) == NULL)
		return -1;
	posix_spawn_file_actions_init(&j->fa);
	posix_spawn_file_actions_addopen(&j->fa, 0, input, O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&j->fa, 1, "/dev/null", O_WRONLY, 0);
	return 0;
}

static int
job_run(struct job *j, int i)
{
	struct timespec t0, t1;
	pid_t pid;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (posix_spawnp(&pid, j->argv[0], &j->fa, NULL, j->argv, environ) != 0) {
		perror(j->argv[0]);
		return -1;
	}
	waitpid(pid, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	j->ms[i] = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	return 0;
}

static void
job_print(struct job *j, int n, long rss)
{
	qsort(j->ms, (size_t)n, sizeof *j->ms, cmp);
	printf("%.3f %.3f %.3f %ld\n", j->ms[n / 2],
	    j->ms[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], j->ms[n - 1], rss);
}

int
main(int argc, char *argv[])
{
	struct job job[2];
	struct rusage ru;
	int n, i, k, njobs = 1;

	if (argc < 4 || (n = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: ptime N INPUT cmd [args...] [--vs INPUT cmd [args...]]\n");
		return 64;
	}
	for (i = 3; i < argc; i++)
		if (strcmp(argv[i], "--vs") == 0) {
			if (i + 2 >= argc) {
				fprintf(stderr, "ptime: --vs needs INPUT and a command\n");
				return 64;
			}
			argv[i] = NULL;
			if (job_init(&job[1], n, argv[i + 1], argv + i + 2) != 0)
				return 70;
			njobs = 2;
			break;
		}
	if (job_init(&job[0], n, argv[2], argv + 3) != 0)
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
