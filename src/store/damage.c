/*
 * damage.c: a store file looked at before LMDB maps it: its meta pages
 * against its size, so that a truncated, empty or foreign file is an
 * error (74) and never a SIGBUS or a fresh store made over it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calsms.h"
#include "store-lmdb.h"

static int
mkdirs(const char *dir)
{
	char path[4096], *p;

	snprintf(path, sizeof path, "%s", dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
fail:
	note("%s: %s", path, strerror(errno));
	return EXIT_CANTCREAT;
}

/*
 * LMDB trusts data.mdb: a truncated or foreign file crashes it (SIGBUS,
 * SIGSEGV) or looks like an empty store.  Its two meta pages say what the
 * file must hold: the magic, and the last page in use, which must be
 * inside the file.  Returns 0, or a message for what is wrong.
 */
#define LMDB_MAGIC 0xBEEFC0DEu
#define META_OFFSET 16	/* the page header before MDB_meta, 64-bit */
#define META_PSIZE (META_OFFSET + 4 + 4 + 8 + 8)	/* mm_dbs[0].md_pad */
#define META_LAST_PG (META_PSIZE + 2 * 48)

struct meta {
	uint32_t magic, version, psize;
	uint64_t last_pg, txnid;
};

static int
read_meta(int fd, off_t at, struct meta *m)
{
	unsigned char b[META_LAST_PG + 16];

	if (pread(fd, b, sizeof b, at) != (ssize_t)sizeof b)
		return -1;
	memcpy(&m->magic, b + META_OFFSET, 4);
	memcpy(&m->version, b + META_OFFSET + 4, 4);
	memcpy(&m->psize, b + META_PSIZE, 4);
	memcpy(&m->last_pg, b + META_LAST_PG, 8);
	memcpy(&m->txnid, b + META_LAST_PG + 8, 8);
	return 0;
}

/*
 * The meta pages are read before the file's size: a writer in another
 * process extends the file before it writes the meta page that counts the
 * new pages, so a size read after the meta page always covers it.  (Read
 * the other way round, a commit in between made a live store look
 * truncated.)
 */
static const char EMPTY[] = "empty";
static const char SHORT_ONE[] = "shorter than its meta pages (truncated)";
static const char SHORT_TWO[] = "shorter than its two meta pages (truncated)";

static const char *
damaged(const char *path)
{
	struct meta m[2];
	struct stat sb;
	uint32_t page;
	int fd = open(path, O_RDONLY), i, best = -1;
	off_t size;

	if (fd < 0)
		return NULL;	/* LMDB says why */
	if (read_meta(fd, 0, &m[0]) != 0) {
		close(fd);
		return SHORT_ONE;
	}
	page = m[0].psize;
	if (m[0].magic != LMDB_MAGIC || page < 512 || page > 65536 || (page & (page - 1))) {
		close(fd);
		return "not an LMDB store (no LMDB meta page)";
	}
	if (read_meta(fd, page, &m[1]) != 0 || fstat(fd, &sb) != 0) {
		close(fd);
		return SHORT_TWO;
	}
	close(fd);
	size = sb.st_size;
	for (i = 0; i < 2; i++)
		if (m[i].magic == LMDB_MAGIC && m[i].version == 1 &&
		    (best < 0 || m[i].txnid > m[best].txnid))
			best = i;
	if (best < 0)
		return "not an LMDB store (no LMDB meta page)";
	if (m[best].last_pg >= (uint64_t)size / (uint64_t)page)
		return "its last page is past the end of the file (truncated)";
	return NULL;
}

/*
 * What is wrong with data.mdb, if anything.  A file still without its two
 * meta pages may be a store another process is making this instant (LMDB
 * writes them just after creating the file): it is looked at again for a
 * moment before it is called empty or truncated.
 */
static const char *
settled_damage(const char *path, off_t size)
{
	struct timespec pause = { 0, 5 * 1000000 };
	struct stat sb;
	const char *why = size == 0 ? EMPTY : damaged(path);
	int tries;

	for (tries = 0; tries < 20 && (why == EMPTY || why == SHORT_ONE || why == SHORT_TWO);
	    tries++) {
		nanosleep(&pause, NULL);
		if (stat(path, &sb) != 0)
			return NULL;	/* LMDB says why */
		why = sb.st_size == 0 ? EMPTY : damaged(path);
	}
	return why;
}

/*
 * Only a command that writes new bookings may make a store; any other
 * refuses a directory without one (66), so a mistyped path or a missing
 * CALSMS_DB is an error, never an empty store.  Returns an exit status.
 */
int
store_check_existing(const char *dir, int flags)
{
	char path[4200];
	const char *why;
	struct stat sb;

	snprintf(path, sizeof path, "%s/data.mdb", dir);
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT && (flags & STORE_CREATE))
			return mkdirs(dir);
		if (errno == ENOENT) {
			note("%s: no store there (set CALSMS_DB or -d; conv-store add or load makes one)", dir);
			return EXIT_NOINPUT;
		}
		note("%s: %s", path, strerror(errno));
		return errno == EACCES ? EXIT_CANTCREAT : EXIT_IOERR;
	}
	if (!S_ISREG(sb.st_mode)) {
		note("%s: not a usable store (not a file): restore it from a dump", path);
		return EXIT_IOERR;
	}
	if ((why = settled_damage(path, sb.st_size)) == EMPTY) {
		note("%s: not a usable store (empty): restore it from a dump", path);
		return EXIT_IOERR;
	}
	if (why != NULL) {
		note("%s: damaged store, %s: nothing was read or written; restore it "
		    "from a dump (conv-store load)", path, why);
		return EXIT_IOERR;
	}
	return 0;
}
