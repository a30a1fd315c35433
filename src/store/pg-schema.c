/*
 * pg-schema.c: the calsms schema in PostgreSQL, made by "conv-store init"
 * (and by add and load, as they make an LMDB store), one numbered step at
 * a time: calsms.schema_version says which steps ran; a program meets a
 * newer schema than it knows with a clear refusal, an older one is taken
 * forward by the next init.  Steps run under an advisory lock, so two
 * hosts starting at once make the schema once.
 *
 * The tables, for a DBA's eyes (calsms(7) says the same):
 *   conversations  one row a conversation: its record (the JSON as the
 *                  programs wrote it, byte for byte, so dump | load | dump
 *                  is exact), the same as jsonb (doc) for queries, and the
 *                  columns the walks use: status, phone, created, expires
 *   due            the items to send, a row each (conversation, kind, due
 *                  time): confirm, followup, reminder, help, manual,
 *                  canceled, after; and "lease", a claimed item whose
 *                  outcome is not recorded yet, with the claim's token.
 *                  A partial index each on due time.
 *   messages       each message's provider id, for receipts
 *   optouts        the opt-out list, one row a number
 *   orphans        replies and receipts that matched nothing (yet)
 *   changes        the change feed (changes.c), one row a line, by seq;
 *                  change_seq its one row, the last seq given out
 * The primary keys make a repeated webhook a no-op: one conversation per
 * id, one due row per kind, one opt-out per number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calsms.h"
#include "pg-impl.h"

static const char *const step1[] = {
	"CREATE SCHEMA IF NOT EXISTS calsms",
	"CREATE TABLE calsms.schema_version (version integer PRIMARY KEY, "
	"applied_at timestamptz NOT NULL DEFAULT now())",
	"CREATE TABLE calsms.conversations ("
	" id text COLLATE \"C\" PRIMARY KEY,"
	" record text NOT NULL,"
	" doc jsonb GENERATED ALWAYS AS (record::jsonb) STORED,"
	" status text COLLATE \"C\" NOT NULL,"
	" phone text COLLATE \"C\","
	" created bigint NOT NULL,"
	" expires bigint)",
	"CREATE INDEX conversations_created ON calsms.conversations (created DESC, id)",
	"CREATE INDEX conversations_phone ON calsms.conversations (phone, created DESC, id) "
	"WHERE phone IS NOT NULL",
	"CREATE INDEX conversations_status ON calsms.conversations (status, created DESC, id)",
	"CREATE INDEX conversations_expires ON calsms.conversations (expires, id) "
	"WHERE expires IS NOT NULL",
	"CREATE TABLE calsms.due ("
	" conv_id text COLLATE \"C\" NOT NULL REFERENCES calsms.conversations ON DELETE CASCADE,"
	" kind text COLLATE \"C\" NOT NULL CHECK (kind IN ('confirm', 'followup', 'reminder',"
	" 'help', 'manual', 'canceled', 'after', 'lease')),"
	" due_at bigint NOT NULL,"
	" token bigint,"
	" PRIMARY KEY (conv_id, kind))",
	"CREATE INDEX due_confirm ON calsms.due (due_at, conv_id) WHERE kind = 'confirm'",
	"CREATE INDEX due_followup ON calsms.due (due_at, conv_id) WHERE kind = 'followup'",
	"CREATE INDEX due_reminder ON calsms.due (due_at, conv_id) WHERE kind = 'reminder'",
	"CREATE INDEX due_help ON calsms.due (due_at, conv_id) WHERE kind = 'help'",
	"CREATE INDEX due_manual ON calsms.due (due_at, conv_id) WHERE kind = 'manual'",
	"CREATE INDEX due_canceled ON calsms.due (due_at, conv_id) WHERE kind = 'canceled'",
	"CREATE INDEX due_after ON calsms.due (due_at, conv_id) WHERE kind = 'after'",
	"CREATE INDEX due_lease ON calsms.due (due_at, conv_id) WHERE kind = 'lease'",
	"CREATE TABLE calsms.messages ("
	" provider_id text COLLATE \"C\" NOT NULL,"
	" conv_id text COLLATE \"C\" NOT NULL REFERENCES calsms.conversations ON DELETE CASCADE,"
	" PRIMARY KEY (provider_id, conv_id))",
	"CREATE INDEX messages_conv ON calsms.messages (conv_id)",
	"CREATE TABLE calsms.optouts (phone text COLLATE \"C\" PRIMARY KEY, record text NOT NULL)",
	"CREATE TABLE calsms.orphans (key bytea PRIMARY KEY, record text NOT NULL)",
	"CREATE SEQUENCE calsms.claim_token",
	/* one round trip a conversation: its row, due rows and message ids */
	"CREATE FUNCTION calsms.put(p_new boolean, p_id text, p_record text, p_status text,"
	" p_phone text, p_created bigint, p_expires bigint, p_kinds text[], p_ats bigint[],"
	" p_token bigint, p_pids text[]) RETURNS void LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	" IF p_new THEN\n"
	"  INSERT INTO calsms.conversations (id, record, status, phone, created, expires)\n"
	"  VALUES (p_id, p_record, p_status, p_phone, p_created, p_expires);\n"
	" ELSE\n"
	"  UPDATE calsms.conversations SET record = p_record, status = p_status,\n"
	"   phone = p_phone, created = p_created, expires = p_expires WHERE id = p_id;\n"
	"  DELETE FROM calsms.due WHERE conv_id = p_id;\n"
	"  DELETE FROM calsms.messages WHERE conv_id = p_id;\n"
	" END IF;\n"
	" INSERT INTO calsms.due (conv_id, kind, due_at, token)\n"
	"  SELECT p_id, k, t, CASE WHEN k = 'lease' THEN p_token END\n"
	"  FROM unnest(p_kinds, p_ats) AS u(k, t);\n"
	" INSERT INTO calsms.messages (provider_id, conv_id)\n"
	"  SELECT DISTINCT pid, p_id FROM unnest(p_pids) AS pid;\n"
	"END\n$$",
	NULL
};

/*
 * The change feed.  add_changes numbers a transaction's lines as its last
 * act: the counter's row lock, held to COMMIT, makes the order of seq the
 * order of commits, and being taken last, it waits for no other lock.
 */
static const char *const step2[] = {
	"CREATE TABLE calsms.changes (seq bigint PRIMARY KEY, at bigint NOT NULL,"
	" line text NOT NULL)",
	"CREATE INDEX changes_at ON calsms.changes (at)",
	"CREATE TABLE calsms.change_seq (one boolean PRIMARY KEY DEFAULT true CHECK (one),"
	" last bigint NOT NULL)",
	"INSERT INTO calsms.change_seq (last) VALUES (0)",
	"CREATE FUNCTION calsms.add_changes(p_ats bigint[], p_rests text[]) RETURNS void"
	" LANGUAGE plpgsql AS $$\n"
	"DECLARE s bigint;\n"
	"BEGIN\n"
	" UPDATE calsms.change_seq SET last = last + cardinality(p_rests)\n"
	"  RETURNING last - cardinality(p_rests) INTO s;\n"
	" INSERT INTO calsms.changes (seq, at, line)\n"
	"  SELECT s + i, p_ats[i], '{\"seq\":' || (s + i) || ',' || p_rests[i]\n"
	"  FROM generate_subscripts(p_rests, 1) AS i;\n"
	"END\n$$",
	"CREATE FUNCTION calsms.load_change(p_seq bigint, p_at bigint, p_line text)"
	" RETURNS void LANGUAGE sql AS $$\n"
	" INSERT INTO calsms.changes (seq, at, line) VALUES (p_seq, p_at, p_line)\n"
	"  ON CONFLICT (seq) DO NOTHING;\n"
	" UPDATE calsms.change_seq SET last = greatest(last, p_seq);\n"
	"$$",
	NULL
};

/* Each step takes the schema from the version before it to its own. */
static const char *const *const steps[] = { step1, step2 };
#define VERSION ((int)(sizeof steps / sizeof steps[0]))

static int
version_now(struct pg *pg, int *v)
{
	PGresult *r = PQexec(pg->conn, "SELECT to_regclass('calsms.schema_version') IS NOT NULL");
	int rc = 0;

	*v = 0;
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = pg_result_rc(pg, r);
	else if (strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
		PQclear(r);
		r = PQexec(pg->conn, "SELECT coalesce(max(version), 0) FROM calsms.schema_version");
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			rc = pg_result_rc(pg, r);
		else
			*v = atoi(PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return rc;
}

static int
run_step(struct pg *pg, int to)
{
	const char *const *sql;
	char done[96];
	int rc;

	for (sql = steps[to - 1]; *sql; sql++)
		if ((rc = pg_simple(pg, *sql)) != 0)
			return rc;
	snprintf(done, sizeof done, "INSERT INTO calsms.schema_version (version) VALUES (%d)", to);
	return pg_simple(pg, done);
}

/* Brings the schema to VERSION when create, else only checks it. */
static int
migrate(struct pg *pg, int create)
{
	int v, rc;

	if ((rc = version_now(pg, &v)) != 0)
		return rc;
	if (v > VERSION) {
		pg_errorf("the calsms schema is version %d; this calsms knows up to %d: "
		    "upgrade calsms", v, VERSION);
		return PGE_SCHEMA;
	}
	if (v == VERSION)
		return 0;
	if (!create) {
		if (v)
			pg_errorf("the calsms schema is version %d, older than %d: run conv-store "
			    "init", v, VERSION);
		else {
			pg_errorf("no calsms schema in this database (conv-store init, add or "
			    "load makes it)");
			return PGE_NONE;	/* as a directory without a store: 66 */
		}
		return PGE_SCHEMA;
	}
	for (; v < VERSION && rc == 0; v++)
		rc = run_step(pg, v + 1);
	return rc;
}

/*
 * 1 when the schema is at VERSION, read in one round trip, without a
 * transaction or the lock: every program's start on a current schema.
 * Anything else (no schema yet, an older or newer one, an error) is for
 * migrate to say, under the lock.  Without the schema the server logs
 * this SELECT's error once (conv-store(1) says so).
 */
static int
current(struct pg *pg)
{
	PGresult *r = PQexec(pg->conn, "SELECT max(version) FROM calsms.schema_version");
	int yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    !PQgetisnull(r, 0, 0) && atoi(PQgetvalue(r, 0, 0)) == VERSION;

	PQclear(r);
	return yes;
}

int
pg_migrate(struct pg *pg, int create)
{
	int rc;

	if (current(pg))
		return 0;
	if ((rc = pg_simple(pg, "BEGIN")) != 0)
		return rc;
	if (create && (rc = pg_simple(pg, "SELECT pg_advisory_xact_lock(4242001)")) != 0)
		return rc;
	if ((rc = migrate(pg, create)) != 0) {
		pg_simple(pg, "ROLLBACK");
		return rc;
	}
	return pg_simple(pg, "COMMIT");
}
