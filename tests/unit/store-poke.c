/*
 * store-poke: damages a store the way only a bug could, for the tests of
 * conv-store check.  Raw LMDB writes, no rules, no indexes kept.
 *
 *   store-poke DIR del KIND ID     deletes ID's index keys of KIND ('c', 's', ...)
 *   store-poke DIR add KIND TEXT ID  adds an index key (TEXT "-" for none)
 *   store-poke DIR put ID JSON     replaces ID's record, indexes untouched
 *   store-poke DIR optout TEXT     adds an opt-out as given
 *   store-poke DIR drop NAME       deletes a named database (a store made
 *                                  before it existed)
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "store-poke: %s: %s\n", what, mdb_strerror(rc));
		exit(1);
	}
}

int
main(int argc, char *argv[])
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v = { 0, "" };
	unsigned char key[512];
	size_t n, il;
	int rc, deleted = 0;

	if (argc < 4)
		return 64;
	check(mdb_env_create(&env), "create");
	check(mdb_env_set_maxdbs(env, 8), "maxdbs");
	check(mdb_env_set_mapsize(env, (size_t)1 << 30), "mapsize");
	check(mdb_env_open(env, argv[1], 0, 0600), argv[1]);
	check(mdb_txn_begin(env, NULL, 0, &txn), "txn");
	if (strcmp(argv[2], "del") == 0 && argc == 5) {
		check(mdb_dbi_open(txn, "idx", 0, &dbi), "idx");
		check(mdb_cursor_open(txn, dbi, &cur), "cursor");
		il = strlen(argv[4]);
		while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0)
			if (((char *)k.mv_data)[0] == argv[3][0] && k.mv_size > il &&
			    memcmp((char *)k.mv_data + k.mv_size - il, argv[4], il) == 0) {
				check(mdb_cursor_del(cur, 0), "del");
				deleted++;
			}
		if (!deleted)
			return 1;
	} else if (strcmp(argv[2], "add") == 0 && argc == 6) {
		check(mdb_dbi_open(txn, "idx", 0, &dbi), "idx");
		n = 0;
		key[n++] = (unsigned char)argv[3][0];
		if (strcmp(argv[4], "-") != 0) {
			memcpy(key + n, argv[4], strlen(argv[4]) + 1);
			n += strlen(argv[4]) + 1;
		}
		memset(key + n, 0, 8);
		n += 8;
		memcpy(key + n, argv[5], strlen(argv[5]));
		k.mv_size = n + strlen(argv[5]);
		k.mv_data = key;
		v.mv_size = 0;
		check(mdb_put(txn, dbi, &k, &v, 0), "put");
	} else if (strcmp(argv[2], "put") == 0 && argc == 5) {
		check(mdb_dbi_open(txn, "conv", 0, &dbi), "conv");
		k.mv_size = strlen(argv[3]);
		k.mv_data = argv[3];
		v.mv_size = strlen(argv[4]);
		v.mv_data = argv[4];
		check(mdb_put(txn, dbi, &k, &v, 0), "put");
	} else if (strcmp(argv[2], "optout") == 0 && argc == 4) {
		check(mdb_dbi_open(txn, "optout", 0, &dbi), "optout");
		k.mv_size = strlen(argv[3]);
		k.mv_data = argv[3];
		v.mv_size = 2;
		v.mv_data = "{}";
		check(mdb_put(txn, dbi, &k, &v, 0), "put");
	} else if (strcmp(argv[2], "drop") == 0 && argc == 4) {
		check(mdb_dbi_open(txn, argv[3], 0, &dbi), argv[3]);
		check(mdb_drop(txn, dbi, 1), "drop");
	} else
		return 64;
	check(mdb_txn_commit(txn), "commit");
	mdb_env_close(env);
	return 0;
}
