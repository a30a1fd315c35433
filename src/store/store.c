/*
 * store.c: the conversations, in one LMDB environment.
 *
 * Named databases:
 *   conv    id -> the conversation, compact JSON (calsms(7))
 *   idx     index keys -> empty; every key is a pure function of one
 *           conversation, so store_put() deletes the old record's keys and
 *           adds the new one's in the same write transaction
 *   optout  E.164 phone -> {"phone", "at"}
 *   orphan  be64(received) id -> a reply from a number with no conversation
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
 * Durability is LMDB's default: every commit is synced before it returns.
 * The map grows on MDB_MAP_FULL (the transaction is retried), and adopts
 * another process's growth on MDB_MAP_RESIZED.  It starts at 1 GiB, or at
 * CALSMS_MAP_SIZE bytes, so that tests can fill it without a gigabyte.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calsms.h"
#include "store-lmdb.h"

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
typedef int (*store_scan_fn)(const MDB_val *key, void *ctx);

#define GROUP_MAX 1000
#define GROUP_MS 10

/*
 * -d DIR, else CALSMS_DB, else /var/lib/calsms: one default whoever runs
 * it, so the webhook handler, the sender and the operator share a store.
 */
const char *
store_dir(const char *opt)
{
	const char *e = getenv("CALSMS_DB");

	if (opt && *opt)
		return opt;
	if (e && *e)
		return e;
	return "/var/lib/calsms";
}

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

/* Reports an LMDB failure once and says which exit status it deserves. */
int
store_fatal(int rc, const char *what)
{
	note("store: %s: %s", what, mdb_strerror(rc));
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
	return mdb_txn_commit(txn);
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
static int
check_existing(const char *dir, int flags)
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

static int
open_env(struct store *st)
{
	int rc, dead;

	if ((rc = check_existing(st->dir, st->flags)) != 0)
		return rc;
	catch_faults(st->dir);
	rc = env_open(st, MDB_NOTLS | (st->flags & STORE_READ ? MDB_RDONLY : 0));
	/* a read-only mount (a snapshot, a backup): no lock file to take, no writer */
	if (rc == EROFS && (st->flags & STORE_READ))
		rc = env_open(st, MDB_NOTLS | MDB_RDONLY | MDB_NOLOCK);
	if (rc)
		return store_fatal(rc, st->dir);
	mdb_reader_check(st->env, &dead);
	/* a read transaction finds the databases without taking the write lock */
	if ((rc = open_dbis(st, MDB_RDONLY)) == MDB_NOTFOUND && (st->flags & STORE_READ)) {
		note("%s/data.mdb: not a usable store (its databases are missing): restore it "
		    "from a dump", st->dir);
		return EXIT_IOERR;
	}
	if (rc == MDB_NOTFOUND)
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
	if (!(flags & STORE_LAZY) && (rc = open_env(st)) != 0) {
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
	if (st->env)
		return 0;
	return open_env(st);
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
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

static int
txn_begin(struct store *st, unsigned flags, MDB_txn **txn)
{
	int rc;

	while ((rc = mdb_txn_begin(st->env, NULL, flags, txn)) == MDB_MAP_RESIZED)
		if ((rc = mdb_env_set_mapsize(st->env, 0)) != 0)
			break;
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

	for (;;) {
		if ((rc = txn_begin(st, 0, &txn)) != 0)
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
		return rc;
	}
}

int
store_read_begin(struct store *st, struct store_txn **out)
{
	MDB_txn *txn = NULL;
	int rc = txn_begin(st, MDB_RDONLY, &txn);

	*out = STXN(txn);
	return rc;
}

void
store_read_end(struct store_txn *txn)
{
	mdb_txn_abort(TXN(txn));
}

const char *
store_strerror(int rc)
{
	return mdb_strerror(rc);
}

/* How many numbers are opted out, and how many orphan replies are kept. */
void
store_sizes(struct store *st, struct store_txn *stxn, size_t *optouts, size_t *orphans)
{
	MDB_txn *txn = TXN(stxn);
	MDB_stat ms;

	*optouts = *orphans = 0;
	if (mdb_stat(txn, st->optout, &ms) == 0)
		*optouts = ms.ms_entries;
	if (mdb_stat(txn, st->orphan, &ms) == 0)
		*orphans = ms.ms_entries;
}

jv
store_get(struct store *st, struct store_txn *stxn, const char *id)
{
	MDB_txn *txn = TXN(stxn);
	MDB_val k = { strlen(id), (void *)id }, v;

	if (mdb_get(txn, st->conv, &k, &v) != 0)
		return jv_invalid();
	return jv_parse_sized(v.mv_data, (int)v.mv_size);
}

/*
 * One conversation as stored now, and whether phone is on the opt-out
 * list, in one read transaction: the sender's last look.  *conv is
 * invalid when there is none.  Returns 0 or an exit status.
 */
int
store_look(struct store *st, const char *id, const char *phone, jv *conv, int *opted_out)
{
	struct store_txn *txn;
	int rc;

	*conv = jv_invalid();
	*opted_out = 0;
	if ((rc = store_ready(st)) != 0)
		return rc;
	if ((rc = store_read_begin(st, &txn)) != 0)
		return store_fatal(rc, "look");
	*conv = store_get(st, txn, id);
	*opted_out = phone && optout_has(st, txn, phone);
	store_read_end(txn);
	return 0;
}

static void
be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static int64_t
key_time(const MDB_val *key, size_t at)
{
	const unsigned char *p = (const unsigned char *)key->mv_data + at;
	uint64_t v = 0;
	int i;

	if (key->mv_size < at + 8)
		return 0;
	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

/* The id at the end of an index key, after skip bytes. */
static void
key_id(const MDB_val *key, size_t skip, char *id, size_t n)
{
	size_t len = key->mv_size > skip ? key->mv_size - skip : 0;

	if (len >= n)
		len = n - 1;
	memcpy(id, (const char *)key->mv_data + skip, len);
	id[len] = '\0';
}


static void
add_key(struct store_keys *ks, int kind, const char *text, int64_t t, int invert,
    const char *id)
{
	unsigned char *p = ks->k[ks->n];
	size_t tl = text ? strlen(text) + 1 : 0, il = strlen(id);

	if (1 + tl + 8 + il > STORE_MAX_KEY || ks->n == STORE_MAX_KEYS)
		return;
	*p++ = (unsigned char)kind;
	if (text) {
		memcpy(p, text, tl);
		p += tl;
	}
	be64(p, invert ? UINT64_MAX - (uint64_t)t : (uint64_t)t);
	memcpy(p + 8, id, il);
	ks->len[ks->n++] = 1 + tl + 8 + il;
}

/*
 * A key per message the provider gave an id, for receipts: the newest
 * first, so that a conversation with more messages than keys (STORE_MAX_KEYS)
 * loses only the oldest, whose receipts came long ago.
 */
static void
message_keys(jv c, struct store_keys *ks, const char *id)
{
	jv msgs = json_get(c, "messages"), m;
	int i, n = conv_count(c, "messages");
	const char *pid;

	for (i = n - 1; i >= 0; i--) {
		m = jv_array_get(jv_copy(msgs), i);
		if ((pid = json_str(m, "provider_id")) != NULL && *pid)
			add_key(ks, K_MESSAGE, pid, 0, 0, id);
		jv_free(m);
	}
	jv_free(msgs);
}

/* The due index of each kind conv_due() names. */
static int
due_index(const char *kind)
{
	static const struct { const char *kind; int ix; } map[] = {
		{ "confirm", K_CONFIRM }, { "followup", K_FOLLOWUP },
		{ "reminder", K_REMINDER }, { "help", K_HELP }, { "manual", K_MANUAL },
		{ "canceled", K_CANCELED }, { "after", K_AFTER }, { NULL, 0 } };
	int i;

	for (i = 0; map[i].kind; i++)
		if (strcmp(map[i].kind, kind) == 0)
			return map[i].ix;
	return 0;
}

/* Every index key of one conversation: see the layout above. */
void
store_index_keys(jv c, struct store_keys *ks)
{
	const char *id = conv_str(c, "id"), *status = conv_str(c, "status"),
	    *phone = conv_str(c, "phone");
	int64_t created = conv_time(c, "created_at"), t;
	jv claim = json_get(c, "claim");
	int claimed = jv_get_kind(claim) == JV_KIND_OBJECT, i, n;
	struct due_at due[DUE_KINDS];

	ks->n = 0;
	if (id == NULL || status == NULL)
		goto out;
	add_key(ks, K_CREATED, NULL, created, 1, id);
	if (phone)
		add_key(ks, K_PHONE, phone, created, 1, id);
	add_key(ks, K_STATUS, status, created, 1, id);
	if ((t = conv_time(c, "expires_at")) > 0)
		add_key(ks, K_EXPIRY, NULL, t, 0, id);
	if (claimed) {
		/* canceled or opted out meanwhile: nothing to be uncertain about */
		if (conv_claim_lapses(c))
			add_key(ks, K_LEASE, NULL, conv_time(claim, "at"), 0, id);
		goto out;
	}
	n = conv_due(c, due, DUE_KINDS);
	for (i = 0; i < n; i++)
		if (due_index(due[i].kind))
			add_key(ks, due_index(due[i].kind), NULL, due[i].t, 0, id);
out:
	/* last: only these may meet the cap, never a due or lease key */
	if (id && status)
		message_keys(c, ks, id);
	jv_free(claim);
}

static int
keys_apply(struct store *st, MDB_txn *txn, jv c, int del)
{
	static struct store_keys ks;
	MDB_val k, v = { 0, "" };
	int i, rc;

	store_index_keys(c, &ks);
	for (i = 0; i < ks.n; i++) {
		k.mv_size = ks.len[i];
		k.mv_data = ks.k[i];
		rc = del ? mdb_del(txn, st->idx, &k, NULL) : mdb_put(txn, st->idx, &k, &v, 0);
		if (rc && !(del && rc == MDB_NOTFOUND))
			return rc;
	}
	return 0;
}

static int
put_json(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, jv value)
{
	static struct strbuf b;
	MDB_val v;

	b.len = 0;
	json_dump(value, &b);
	v.mv_size = b.len;
	v.mv_data = b.p;
	return mdb_put(txn, dbi, k, &v, 0);
}

/* Stores conv (consumed) in place of old (consumed, or invalid if new). */
int
store_put(struct store *st, struct store_txn *stxn, jv old, jv conv)
{
	MDB_txn *txn = TXN(stxn);
	const char *id = conv_str(conv, "id");
	MDB_val k;
	int rc = 0;

	if (id == NULL || strlen(id) > 200)
		rc = EINVAL;
	if (rc == 0 && jv_is_valid(old))
		rc = keys_apply(st, txn, old, 1);
	if (rc == 0)
		rc = keys_apply(st, txn, conv, 0);
	if (rc == 0) {
		k.mv_size = strlen(id);
		k.mv_data = (void *)id;
		rc = put_json(txn, st->conv, &k, conv);
	}
	jv_free(old);
	jv_free(conv);
	return rc;
}

int
store_del(struct store *st, struct store_txn *stxn, jv old)
{
	MDB_txn *txn = TXN(stxn);
	const char *id = conv_str(old, "id");
	MDB_val k;
	int rc = id ? keys_apply(st, txn, old, 1) : EINVAL;

	if (rc == 0) {
		k.mv_size = strlen(id);
		k.mv_data = (void *)id;
		rc = mdb_del(txn, st->conv, &k, NULL);
	}
	jv_free(old);
	return rc;
}

/*
 * Calls fn for each index key from start on, in order, while its first
 * plen bytes are start's; fn returns non-zero to stop (negative: -error).
 */
static int
store_scan_from(struct store *st, MDB_txn *txn, const void *start, size_t len,
    size_t plen, store_scan_fn fn, void *ctx)
{
	MDB_cursor *cur;
	MDB_val k = { len, (void *)start }, v;
	int rc, r = 0;

	if ((rc = mdb_cursor_open(txn, st->idx, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, start, plen) == 0) {
		if ((r = fn(&k, ctx)) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (r < 0)
		return -r;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

/* Every index key that starts with prefix, in order. */
static int
store_scan(struct store *st, MDB_txn *txn, const void *prefix, size_t plen,
    store_scan_fn fn, void *ctx)
{
	return store_scan_from(st, txn, prefix, plen, plen, fn, ctx);
}

int
optout_has(struct store *st, struct store_txn *stxn, const char *phone)
{
	MDB_txn *txn = TXN(stxn);
	MDB_val k = { strlen(phone), (void *)phone }, v;

	return mdb_get(txn, st->optout, &k, &v) == 0;
}

/*
 * Puts phone on the opt-out list (keeping the first time) or takes it off.
 * at is when the customer asked: a START sent before the STOP on the list
 * (a late or replayed delivery) leaves the number on it, and returns
 * STORE_KEPT.
 */
int
optout_set(struct store *st, struct store_txn *stxn, const char *phone, int on, int64_t at)
{
	MDB_txn *txn = TXN(stxn);
	MDB_val k = { strlen(phone), (void *)phone }, v;
	jv rec;
	int rc, kept;

	if ((rc = mdb_get(txn, st->optout, &k, &v)) == MDB_NOTFOUND) {
		if (!on)
			return 0;
		rec = jv_object_set(jv_object(), jv_string("phone"), jv_string(phone));
		return optout_put(st, stxn, jv_object_set(rec, jv_string("at"), rfc3339_jv(at)));
	}
	if (rc != 0 || on)
		return rc;
	rec = jv_parse_sized(v.mv_data, (int)v.mv_size);
	kept = conv_time(rec, "at") > at;
	jv_free(rec);
	if (kept)
		return STORE_KEPT;
	return mdb_del(txn, st->optout, &k, NULL);
}

static int
is_receipt(jv r)
{
	const char *type = json_str(r, "type");

	return type && strcmp(type, "receipt") == 0;
}

/*
 * The receipt kept as an orphan for provider id pid, taken off the orphan
 * list: its message has just been recorded.  *out is invalid when none.
 */
int
orphan_take_receipt(struct store *st, struct store_txn *stxn, const char *pid, jv *out)
{
	MDB_txn *txn = TXN(stxn);
	MDB_val k = { strlen(pid), (void *)pid }, v;
	jv r;
	int rc;

	*out = jv_invalid();
	if (k.mv_size == 0 || k.mv_size >= STORE_MAX_KEY)
		return 0;
	if ((rc = mdb_get(txn, st->orphan, &k, &v)) != 0)
		return rc == MDB_NOTFOUND ? 0 : rc;
	r = jv_parse_sized(v.mv_data, (int)v.mv_size);
	if (!is_receipt(r)) {
		jv_free(r);
		return 0;
	}
	*out = r;
	return mdb_del(txn, st->orphan, &k, NULL);
}

/* Whether a reply or receipt with this provider id is kept as an orphan. */
int
orphan_has(struct store *st, struct store_txn *stxn, const char *pid)
{
	MDB_txn *txn = TXN(stxn);
	MDB_val k = { strlen(pid), (void *)pid }, v;

	return k.mv_size > 0 && k.mv_size < STORE_MAX_KEY && mdb_get(txn, st->orphan, &k, &v) == 0;
}

/* Stores an opt-out record {"phone", "at"} as it is. Consumes rec. */
int
optout_put(struct store *st, struct store_txn *stxn, jv rec)
{
	MDB_txn *txn = TXN(stxn);
	const char *phone = json_str(rec, "phone");
	MDB_val k;
	int rc;

	if (phone == NULL || strlen(phone) > 64) {
		jv_free(rec);
		return EINVAL;
	}
	k.mv_size = strlen(phone);
	k.mv_data = (void *)phone;
	rc = put_json(txn, st->optout, &k, rec);
	jv_free(rec);
	return rc;
}

/*
 * Replies from unknown numbers: keyed by provider id, so a redelivery
 * changes nothing, or by arrival time and a digest of sender and text when
 * there is none, so two in one second are both kept.  Consumes reply.
 */
int
orphan_put(struct store *st, struct store_txn *stxn, jv reply)
{
	MDB_txn *txn = TXN(stxn);
	unsigned char key[STORE_MAX_KEY], d[32];
	const char *pid = json_str(reply, "provider_id"), *from = json_str(reply, "from"),
	    *body = json_str(reply, "body");
	int64_t t = conv_time(reply, "received_at");
	size_t n = pid ? strlen(pid) : 0;
	struct strbuf b = { 0 };
	MDB_val k;
	int rc;

	if (n > 0 && n < STORE_MAX_KEY) {
		memcpy(key, pid, n);
		k.mv_size = n;
	} else {
		sb_puts(&b, from ? from : "");
		sb_put(&b, "\n", 1);
		sb_puts(&b, body ? body : "");
		sha256(b.p ? b.p : "", b.len, d);
		sb_free(&b);
		be64(key, (uint64_t)t);
		memcpy(key + 8, d, 16);
		k.mv_size = 24;
	}
	k.mv_data = key;
	rc = put_json(txn, st->orphan, &k, reply);
	jv_free(reply);
	return rc;
}

/* Every record of one database, in key order. */
int
store_each_dbi(struct store *st, MDB_txn *txn, MDB_dbi dbi, store_raw_fn fn, void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, r = 0;

	(void)st;
	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return rc;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0)
		if ((r = fn(&k, &v, ctx)) != 0)
			break;
	mdb_cursor_close(cur);
	return r ? r : rc == MDB_NOTFOUND ? 0 : rc;
}

struct each {
	store_each_fn fn;
	void *ctx;
};

static int
each_val(const MDB_val *k, const MDB_val *v, void *ctx)
{
	struct each *e = ctx;
	struct store_val key = { k->mv_size, k->mv_data }, val = { v->mv_size, v->mv_data };

	return e->fn(&key, &val, e->ctx);
}

/* Every record of one table, in key order; fn returns 0 to go on. */
int
store_each(struct store *st, struct store_txn *txn, enum store_table table,
    store_each_fn fn, void *ctx)
{
	struct each e = { fn, ctx };
	MDB_dbi dbi = table == STORE_OPTOUTS ? st->optout : table == STORE_ORPHANS ?
	    st->orphan : st->conv;

	return store_each_dbi(st, TXN(txn), dbi, each_val, &e);
}

/*
 * Reads one conversation by id, hands it to fn (invalid when there is
 * none) and stores what fn returns in its place.  When fn refuses (returns
 * jv_invalid_with_msg) nothing is written.  *out gets fn's result.
 */
int
store_update(struct store *st, struct store_txn *stxn, const char *id, store_change_fn fn,
    void *ctx, jv *out)
{
	jv old = store_get(st, stxn, id), next = fn(jv_copy(old), ctx);

	*out = jv_copy(next);
	if (!jv_is_valid(next)) {
		jv_free(old);
		jv_free(next);
		return 0;
	}
	return store_put(st, stxn, old, next);
}

struct walk {
	store_key_fn fn;
	void *ctx;
	size_t plen;
	int inverted;
};

static int
walk_key(const MDB_val *k, void *ctx)
{
	struct walk *w = ctx;
	uint64_t t = (uint64_t)key_time(k, w->plen);
	char id[256];

	key_id(k, w->plen + 8, id, sizeof id);
	return w->fn(id, (int64_t)(w->inverted ? UINT64_MAX - t : t), w->ctx);
}

/*
 * Calls fn with the id and time of each key under one index prefix (kind,
 * and text for 'p' and 's'), in the index's order: newest first for the
 * created, phone and status indexes, soonest first for the others.  fn
 * returns 0 to go on, 1 to stop, or an error.
 */
int
store_walk(struct store *st, struct store_txn *stxn, enum store_index ix, const char *text,
    store_key_fn fn, void *ctx)
{
	MDB_txn *txn = TXN(stxn);
	unsigned char prefix[STORE_MAX_KEY];
	size_t tl = text ? strlen(text) + 1 : 0;
	struct walk w = { fn, ctx, 1 + tl,
	    ix == IX_CREATED || ix == IX_PHONE || ix == IX_STATUS };
	int rc;

	if (w.plen > sizeof prefix)
		return 0;
	prefix[0] = store_prefix(ix);
	if (text)
		memcpy(prefix + 1, text, tl);
	rc = store_scan(st, txn, prefix, w.plen, walk_key, &w);
	return rc == 1 ? 0 : rc;
}

struct walk_on {
	store_key_fn fn;
	void *ctx;
	struct store_cursor *cur;
};

static int
walk_on_key(const MDB_val *k, void *ctx)
{
	struct walk_on *w = ctx;
	char id[256];
	int64_t t;
	int r;

	if (k->mv_size > sizeof w->cur->key)
		return 0;	/* cannot be a key store_put wrote */
	key_id(k, 9, id, sizeof id);
	t = key_time(k, 1);
	if (((const unsigned char *)k->mv_data)[0] == K_CREATED)	/* newest first */
		t = (int64_t)(UINT64_MAX - (uint64_t)t);
	if ((r = w->fn(id, t, w->ctx)) == 0) {
		memcpy(w->cur->key, k->mv_data, k->mv_size);
		w->cur->len = k->mv_size;
	}
	return r;
}

/*
 * store_walk for a time index (confirm, followup, reminder, lease,
 * expiry, or the newest-first created index), resuming after the last key fn accepted (returned 0 for), as
 * cur remembers it; a zeroed cursor starts at the beginning.  Lets a
 * caller take a batch, change what it took, and go on.
 */
int
store_walk_from(struct store *st, struct store_txn *stxn, enum store_index ix,
    struct store_cursor *cur, store_key_fn fn, void *ctx)
{
	MDB_txn *txn = TXN(stxn);
	unsigned char start[STORE_MAX_KEY + 1];
	struct walk_on w = { fn, ctx, cur };
	size_t len = 1;
	int rc;

	start[0] = store_prefix(ix);
	if (cur->len > 0) {
		memcpy(start, cur->key, cur->len);
		start[cur->len] = 0;	/* the first key after the last */
		len = cur->len + 1;
	}
	rc = store_scan_from(st, txn, start, len, 1, walk_on_key, &w);
	return rc == 1 ? 0 : rc;
}

/* A cursor that store_walk_from starts at: the first key of kind at time t. */
void
store_cursor_at(struct store_cursor *cur, enum store_index ix, int64_t t, int invert)
{
	cur->key[0] = store_prefix(ix);
	be64(cur->key + 1, invert ? UINT64_MAX - (uint64_t)t : (uint64_t)t);
	cur->len = 9;
}

/* Changes whenever any process commits to the store: -w's cheap check. */
uint64_t
store_version(struct store *st)
{
	MDB_envinfo info;

	mdb_env_info(st->env, &info);
	return (uint64_t)info.me_last_txnid;
}

static int
count_key(const char *id, int64_t t, void *ctx)
{
	(void)id;
	(void)t;
	++*(long *)ctx;
	return 0;
}

/* How many keys one index prefix holds, into *n. */
int
store_count(struct store *st, struct store_txn *stxn, enum store_index ix, const char *text,
    long *n)
{
	*n = 0;
	return store_walk(st, stxn, ix, text, count_key, n);
}

/* The stored record of id, as it is (compact JSON); MDB_NOTFOUND if none. */
int
store_raw(struct store *st, struct store_txn *stxn, const char *id, struct store_val *v)
{
	MDB_val k = { strlen(id), (void *)id }, got;
	int rc = mdb_get(TXN(stxn), st->conv, &k, &got);

	v->size = rc ? 0 : got.mv_size;
	v->data = rc ? NULL : got.mv_data;
	return rc;
}

static int
gather_id(const char *id, int64_t t, void *ctx)
{
	(void)t;
	*(jv *)ctx = jv_array_append(*(jv *)ctx, jv_string(id));
	return 0;
}

/*
 * Calls fn for each conversation under one index prefix (kind, and text
 * for 'p' and 's'), in index order; the ids are gathered first, so fn may
 * store what it changes.  fn consumes conv and returns 0 to go on, 1 to
 * stop, or an LMDB error.
 */
int
store_convs(struct store *st, struct store_txn *stxn, enum store_index ix, const char *text,
    store_conv_fn fn, void *ctx)
{
	jv ids = jv_array();
	int i, n, rc = store_walk(st, stxn, ix, text, gather_id, &ids);

	n = jv_array_length(jv_copy(ids));
	for (i = 0; i < n && rc == 0; i++) {
		jv id = jv_array_get(jv_copy(ids), i), c = store_get(st, stxn, jv_string_value(id));

		jv_free(id);
		if (jv_is_valid(c))
			rc = fn(st, stxn, c, ctx);
		else
			jv_free(c);
	}
	jv_free(ids);
	return rc == 1 ? 0 : rc;
}

/* ---- group commit ---- */

struct stream {
	struct store *st;
	store_apply_fn apply;
	void *ctx;
	struct item *items;
	int n, cap, status;
};

void
item_fail(struct item *it, int status, const char *fmt, ...)
{
	va_list ap;

	it->status = status;
	va_start(ap, fmt);
	vsnprintf(it->err, sizeof it->err, fmt, ap);
	va_end(ap);
}

static int
collect_item(jv v, long line, void *ctx)
{
	struct stream *g = ctx;
	struct item *more;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		if ((more = realloc(g->items, g->cap * sizeof *g->items)) == NULL) {
			jv_free(v);
			note("out of memory");
			return EXIT_SOFTWARE;
		}
		g->items = more;
	}
	g->items[g->n++] = (struct item){ .in = v, .out = jv_invalid(), .line = line };
	return 0;
}

/*
 * One group's transaction: every line applied afresh (it may run again
 * when the map grows).  A line's own error fails that line only; an LMDB
 * error fails the group, which is then retried one line a transaction so
 * that one bad record never costs the others.
 */
static int
apply_items(struct store *st, struct store_txn *txn, void *ctx)
{
	struct stream *g = ctx;
	int i, rc;

	for (i = 0; i < g->n; i++) {
		struct item *it = &g->items[i];

		jv_free(it->out);
		it->out = jv_invalid();
		it->status = 0;
		it->err[0] = '\0';
		if ((rc = g->apply(st, txn, it, g->ctx)) != 0)
			return rc;
	}
	return 0;
}

static int
commit_one_by_one(struct stream *g)
{
	struct stream one = *g;
	int i, rc;

	for (i = 0; i < g->n; i++) {
		one.items = &g->items[i];
		one.n = 1;
		if ((rc = store_write(g->st, apply_items, &one)) == 0) {
			g->items[i].committed = 1;
			continue;
		}
		if (rc != EINVAL && rc != MDB_BAD_VALSIZE && rc != MDB_KEYEXIST)
			return rc;
		jv_free(g->items[i].out);
		g->items[i].out = jv_invalid();
		item_fail(&g->items[i], EXIT_DATA, "cannot be stored (%s); skipped",
		    mdb_strerror(rc));
	}
	return 0;
}

/* Commits the group, then prints its lines: nothing printed is ever lost. */
static int
flush_items(void *ctx)
{
	struct stream *g = ctx;
	int i, rc, status = 0;

	if (g->n == 0)
		return 0;
	if ((rc = store_ready(g->st)) != 0) {
		for (i = 0; i < g->n; i++) {
			jv_free(g->items[i].in);
			jv_free(g->items[i].out);
		}
		g->n = 0;
		return -rc;
	}
	rc = store_write(g->st, apply_items, g);
	if (rc != 0 && g->n > 1)
		rc = commit_one_by_one(g);
	for (i = 0; i < g->n; i++) {
		struct item *it = &g->items[i];
		int done = rc == 0 || it->committed;	/* one by one, before a failure */

		if (done && it->err[0])
			note("stdin:%ld: %s", it->line, it->err);
		if (it->status > status)
			status = it->status;
		if (done && jv_is_valid(it->out))
			json_print(jv_copy(it->out));
		jv_free(it->out);
		jv_free(it->in);
	}
	g->n = 0;
	fflush(stdout);
	if (rc != 0)
		return -store_fatal(rc, "write");
	return status;
}

/*
 * Reads JSON values from stdin and applies them in groups, one write
 * transaction a group (up to GROUP_MAX lines, or what arrived within
 * GROUP_MS), printing a group's lines only after it committed, so no
 * writer blocks on a pipe while it holds the write lock.  Returns an
 * exit status.
 */
int
store_stream(struct store *st, store_apply_fn fn, void *ctx)
{
	struct stream g = { .st = st, .apply = fn, .ctx = ctx };
	int status = json_read_groups(0, "stdin", collect_item, flush_items, &g,
	    GROUP_MAX, GROUP_MS);

	while (g.n > 0) {	/* left by a failed write */
		g.n--;
		jv_free(g.items[g.n].in);
		jv_free(g.items[g.n].out);
	}
	free(g.items);
	return status;
}
