/*
 * ptime: runs a command N times, stdin from a file, stdout to /dev/null,
 * and prints the median, 99th percentile and max wall time in ms, and the
 * peak RSS in KiB.  Usage: ptime N INPUT cmd [args...]
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	int n, i, status;
	double *ms;
	struct timespec t0, t1;
	struct rusage ru;
	posix_spawn_file_actions_t fa;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: ptime N INPUT cmd [args...]\n");
		return 64;
	}
	n = atoi(argv[1]);
	if (n < 1 || (ms = calloc((size_t)n, sizeof *ms)) == NULL)
		return 64;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, argv[2], O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	for (i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (posix_spawnp(&pid, argv[3], &fa, NULL, argv + 3, environ) != 0) {
			perror(argv[3]);
			return 69;
		}
		waitpid(pid, &status, 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms[i] = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	}
	qsort(ms, (size_t)n, sizeof *ms, cmp);
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("%.3f %.3f %.3f %ld\n", ms[n / 2], ms[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1],
	    ms[n - 1], ru.ru_maxrss);
	return 0;
}
