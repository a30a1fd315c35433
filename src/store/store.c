/*
 * store.c: the conversations, in one LMDB environment.
 *
 * Named databases:
 *   conv    id -> the conversation, compact JSON (calsms(7))
 *   idx     index keys -> empty; every key is a pure function of one
 *           conversation, so store_put() deletes the old record's keys and
 *           adds the new one's in the same write transaction
 *   optout  E.164 phone -> {"phone", "at"}
 *   orphan  provider id -> a reply from a number with no conversation, or a
 *           receipt for a message not recorded yet; without a provider id,
 *           be64(received) and 16 bytes of SHA-256(from "\n" body)
 *           (tables.c)
 *   changes be64(seq) -> a line of the change feed (changes.c)
 *
 * Index keys (be64 = 8-byte big-endian, so memcmp orders times; ~t is
 * UINT64_MAX - t, newest first):
 *   'a' be64(~created) id               every conversation, newest first
 *   'p' phone \0 be64(~created) id      by phone, newest first
 *   's' status \0 be64(~created) id     by status, newest first
 *   'c' be64(due) id                    pending confirmation, not claimed
 *   'f' be64(confirm sent) id           awaiting_reply, no follow-up yet
 *   'r' be64(start) id                  confirmed, reminder not sent, not claimed
 *   'h' be64(help asked) id             a HELP to answer, not claimed
 *   'm' be64(asked) id                  the front desk's message to send, not claimed
 *   'n' be64(canceled) id               a cancel notice to send, not claimed
 *   'e' be64(end) id                    confirmed, the moment after the
 *                                       appointment still to come, not claimed
 *   'i' provider_id \0 be64(0) id        each message the provider gave an id:
 *                                       receipts find their conversation
 *   'l' be64(claimed) id                claimed, outcome not recorded, and
 *                                       still sendable (lease expiry)
 *   'x' be64(expires) id                expiry, for purge
 *
 * A conversation with "skip" set (its appointment started before anything
 * could be sent) has no 'c', 'f' or 'r' key either.  'n' and 'e' need
 * "cancel_notice" and "after" to say "due", which only the rules set: a
 * record written before these moments existed has neither key.
 *
 * A conversation has at most STORE_MAX_KEYS keys: the message keys come
 * last and newest first, so a long one loses only its oldest messages'
 * receipt lookups, never a due or lease key.
 *
 * Invariants: a conversation with a claim has no 'c', 'f' or 'r' key, so
 * nothing claimed is handed out twice; a claim is taken in the same write
 * transaction that found the item due, and printed only after it commits.
 * Durability: every write is synced before store_write returns.  The env
 * is opened MDB_NOMETASYNC, so a commit syncs its data pages inside the
 * writer's lock (what keeps the file consistent after a crash) and writes
 * its meta page without waiting; mdb_env_sync then syncs that meta page
 * outside the lock, where the syncs of concurrent writers (a webhook
 * storm's conv-store adds) overlap instead of queueing.
 * The map grows on MDB_MAP_FULL (the transaction is retried), and adopts
 * another process's growth on MDB_MAP_RESIZED.  It starts at 1 GiB, or at
 * CALSMS_MAP_SIZE bytes, so that tests can fill it without a gigabyte.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "calsms.h"
#include "store-pg.h"

#define MAP_START ((size_t)1 << 30)

/* The key prefix of each index the programs name. */
unsigned char
store_prefix(enum store_index ix)
{
	static const unsigned char prefix[IX_COUNT] = {
		[IX_CREATED] = K_CREATED, [IX_PHONE] = K_PHONE, [IX_STATUS] = K_STATUS,
		[IX_CONFIRM] = K_CONFIRM, [IX_FOLLOWUP] = K_FOLLOWUP, [IX_REMINDER] = K_REMINDER,
		[IX_HELP] = K_HELP, [IX_MANUAL] = K_MANUAL, [IX_CANCELED] = K_CANCELED,
		[IX_AFTER] = K_AFTER, [IX_LEASE] = K_LEASE, [IX_EXPIRY] = K_EXPIRY,
		[IX_MESSAGE] = K_MESSAGE
	};

	return (unsigned)ix < IX_COUNT ? prefix[ix] : 0;
}

/*
 * -d DIR or URI, else CALSMS_DB (a -C settings file's, else the
 * environment's), else /var/lib/calsms: one default whoever runs it, so
 * the webhook handler, the sender and the operator share a store, and one
 * line in calsms.env moves them all to PostgreSQL.
 */
const char *
store_dir(const char *opt)
{
	const char *e = conf_get("CALSMS_DB");

	if (opt && *opt)
		return opt;
	if (e && *e)
		return e;
	return "/var/lib/calsms";
}

/* Reports an LMDB failure once and says which exit status it deserves. */
int
store_fatal(int rc, const char *what)
{
	note("store: %s: %s", what, store_strerror(rc));
	if (pg_fatal_status(rc) > 0)
		return pg_fatal_status(rc);
	switch (rc) {
	case MDB_READERS_FULL: case MDB_MAP_RESIZED: case EAGAIN: case EBUSY:
		return EXIT_TEMPFAIL;
	case EACCES: case EPERM: case EROFS:
		return EXIT_CANTCREAT;	/* not 77: that one is for signatures */
	default:
		return EXIT_IOERR;
	}
}

static int
open_dbis(struct store *st, unsigned flags)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(st->env, NULL, flags, &txn)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(txn, "conv", flags ? 0 : MDB_CREATE, &st->conv)) ||
	    (rc = mdb_dbi_open(txn, "idx", flags ? 0 : MDB_CREATE, &st->idx)) ||
	    (rc = mdb_dbi_open(txn, "optout", flags ? 0 : MDB_CREATE, &st->optout)) ||
	    (rc = mdb_dbi_open(txn, "orphan", flags ? 0 : MDB_CREATE, &st->orphan))) {
		mdb_txn_abort(txn);
		return rc;
	}
	/* a store made before the change feed has none until a writer opens it */
	rc = mdb_dbi_open(txn, "changes", flags ? 0 : MDB_CREATE, &st->changes);
	st->has_changes = rc == 0;
	if (rc != 0 && rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return rc;
	}
	if ((rc = mdb_txn_commit(txn)) == 0 && flags == 0)
		rc = mdb_env_sync(st->env, 1);
	return rc;
}

/* The map's first size: 1 GiB, or CALSMS_MAP_SIZE bytes (at least 64 KiB). */
static size_t
map_start(void)
{
	const char *e = getenv("CALSMS_MAP_SIZE");
	char *end;
	unsigned long long n;

	if (e == NULL || *e == '\0')
		return MAP_START;
	errno = 0;
	n = strtoull(e, &end, 10);
	if (errno || *end || n < 65536) {
		note("CALSMS_MAP_SIZE: not a size in bytes (65536 or more): %s; 1 GiB used", e);
		return MAP_START;
	}
	return (size_t)n;
}

/*
 * LMDB keeps no checksums: garbage inside a page can send it through a
 * wild pointer.  That is damage to report, not a crash: the line is made
 * when the store is opened, since a signal handler may only write it.
 */
static char fault_line[600];
static size_t fault_len;

static void
on_fault(int sig)
{
	ssize_t n = write(2, fault_line, fault_len);

	(void)n;
	(void)sig;
	_exit(EXIT_IOERR);
}

static void
catch_faults(const char *dir)
{
	struct sigaction sa;
	int n;

	n = snprintf(fault_line, sizeof fault_line, "%s: store: %s/data.mdb: not a usable "
	    "store (damaged inside its pages): restore it from a dump\n", progname, dir);
	fault_len = n > 0 && (size_t)n < sizeof fault_line ? (size_t)n : 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

static int
env_open(struct store *st, unsigned flags)
{
	int rc;

	if ((rc = mdb_env_create(&st->env)) || (rc = mdb_env_set_maxdbs(st->env, 8)) ||
	    (rc = mdb_env_set_mapsize(st->env, map_start())) ||
	    (rc = mdb_env_open(st->env, st->dir, flags, 0600))) {
		if (st->env)
			mdb_env_close(st->env);
		st->env = NULL;
	}
	return rc;
}

/*
 * Run as root in a directory that belongs to someone else (the service's
 * store, restored with "conv-store load" as root), the files LMDB just
 * made go to the directory's owner: a root-owned data.mdb or lock.mdb
 * would lock the service out of its own store.  Symbolic links are never
 * followed.
 */
static void
keep_owner(const char *dir)
{
	static const char *const files[] = { "data.mdb", "lock.mdb", NULL };
	struct stat d, f;
	int fd, i;

	if (geteuid() != 0 || (fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		return;
	if (fstat(fd, &d) == 0 && d.st_uid != 0)
		for (i = 0; files[i]; i++)
			if (fstatat(fd, files[i], &f, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(f.st_mode) && f.st_uid == 0 &&
			    fchownat(fd, files[i], d.st_uid, d.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
				note("%s/%s: cannot give it to the store's owner (uid %ld): %s", dir,
				    files[i], (long)d.st_uid, strerror(errno));
	close(fd);
}

static int
open_env(struct store *st)
{
	int rc, dead;

	if ((rc = store_check_existing(st->dir, st->flags)) != 0)
		return rc;
	catch_faults(st->dir);
	rc = env_open(st, MDB_NOTLS | (st->flags & STORE_READ ? MDB_RDONLY : MDB_NOMETASYNC));
	/* a read-only mount (a snapshot, a backup): no lock file to take, no writer */
	if (rc == EROFS && (st->flags & STORE_READ))
		rc = env_open(st, MDB_NOTLS | MDB_RDONLY | MDB_NOLOCK);
	if (rc)
		return store_fatal(rc, st->dir);
	keep_owner(st->dir);
	mdb_reader_check(st->env, &dead);
	/* a read transaction finds the databases without taking the write lock */
	if ((rc = open_dbis(st, MDB_RDONLY)) == MDB_NOTFOUND && (st->flags & STORE_READ)) {
		note("%s/data.mdb: not a usable store (its databases are missing): restore it "
		    "from a dump", st->dir);
		return EXIT_IOERR;
	}
	if (rc == MDB_NOTFOUND || (rc == 0 && !st->has_changes && !(st->flags & STORE_READ)))
		rc = open_dbis(st, 0);
	return rc ? store_fatal(rc, st->dir) : 0;
}

/*
 * Opens the store in dir, or with STORE_LAZY only notes where it is: a
 * stream opens it when its first line comes, so that in
 * "conv-store add | sms-send | conv-store record" the store the first
 * command makes is there for the last.  Returns an exit status.
 */
int
store_open(const char *dir, int flags, struct store **out)
{
	struct store *st;
	int rc;

	*out = NULL;
	if ((st = calloc(1, sizeof *st)) == NULL)
		return store_fatal(ENOMEM, dir);
	st->dir = dir;
	st->flags = flags;
	if (!(flags & STORE_LAZY) && (rc = store_ready(st)) != 0) {
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

/* Opens a lazily opened store; an exit status. */
int
store_ready(struct store *st)
{
	if (st->env || st->pg)
		return 0;
	return store_is_uri(st->dir) ? pg_open(st) : open_env(st);
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	pg_close(st);
	if (st->env)
		mdb_env_close(st->env);
	free(st);
}

static int
grow(struct store *st)
{
	MDB_envinfo info;

	mdb_env_info(st->env, &info);
	return mdb_env_set_mapsize(st->env, info.me_mapsize * 2);
}

int
store_txn_begin(struct store *st, unsigned flags, MDB_txn **txn)
{
	int rc;

	while ((rc = mdb_txn_begin(st->env, NULL, flags, txn)) == MDB_MAP_RESIZED)
		if ((rc = mdb_env_set_mapsize(st->env, 0)) != 0)
			break;
	return rc;
}

/* LMDB says EIO for a short write: on a file system that is full, it is ENOSPC. */
static int
short_write(struct store *st, int rc)
{
	struct statvfs vfs;

	if (rc == EIO && statvfs(st->dir, &vfs) == 0 &&
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize < (1ULL << 20))
		return ENOSPC;
	return rc;
}

/*
 * Runs fn in a write transaction and commits it. fn may run more than once
 * (the map is grown and the transaction retried when it is full), so it
 * must start from its ctx afresh each time.
 */
int
store_write(struct store *st, store_write_fn fn, void *ctx)
{
	MDB_txn *txn;
	int rc;

	if (st->pg)
		return pg_write(st, fn, ctx);
	for (;;) {
		if ((rc = store_txn_begin(st, 0, &txn)) != 0)
			return rc;
		if ((rc = fn(st, STXN(txn), ctx)) != 0) {
			mdb_txn_abort(txn);
			if (rc == MDB_MAP_FULL && (rc = grow(st)) == 0)
				continue;
			return rc;
		}
		rc = mdb_txn_commit(txn);
		if (rc == MDB_MAP_FULL && (rc = grow(st)) == 0)
			continue;
		return short_write(st, rc ? rc : mdb_env_sync(st->env, 1));
	}
}

int
store_read_begin(struct store *st, struct store_txn **out)
{
	MDB_txn *txn = NULL;
	int rc;

	if (st->pg)
		return pg_read_begin(st, out);
	rc = store_txn_begin(st, MDB_RDONLY, &txn);
	*out = STXN(txn);
	return rc;
}

void
store_read_end(struct store *st, struct store_txn *txn)
{
	if (st->pg)
		pg_read_end(txn);
	else
		mdb_txn_abort(TXN(txn));
}

const char *
store_strerror(int rc)
{
	const char *s = pg_strerror(rc);

	return s ? s : mdb_strerror(rc);
}

/* A number no other write transaction gets, growing: a claim's fencing token. */
int64_t
store_token(struct store *st, struct store_txn *txn)
{
	return st->pg ? pg_token(txn) : (int64_t)mdb_txn_id(TXN(txn));
}

/*
 * Waits up to ms for another process to commit (since store_version said
 * seen): 1 when one did, 0 when ms passed, -1 when stdout's reader is
 * gone (a follower has no one to print for).  A signal ends it early (0).
 */
int
store_wait(struct store *st, uint64_t seen, int ms)
{
	struct pollfd fds[2] = { { .fd = 1, .events = 0 }, { .fd = -1, .events = POLLIN } };

	if (store_version(st) != seen)
		return 1;
	fds[1].fd = store_fd(st);	/* PostgreSQL: a NOTIFY wakes us at once */
	if (poll(fds, 2, ms) > 0 && (fds[0].revents & (POLLERR | POLLHUP)))
		return -1;
	return store_version(st) != seen;
}

/* A descriptor that becomes readable when another process commits; -1: poll. */
int
store_fd(struct store *st)
{
	return st->pg ? pg_fd(st) : -1;
}

/* Changes whenever any process commits to the store: -w's cheap check. */
uint64_t
store_version(struct store *st)
{
	MDB_envinfo info;

	if (st->pg)
		return pg_version(st);
	mdb_env_info(st->env, &info);
	return (uint64_t)info.me_last_txnid;
}
