/* KEK rotation (orsp_auc_rekey, orsp_smdp_rekey): every wrapped value re-wrapped, the
 * schema's secret columns all covered, and every refusal leaving the database as it was. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "../src/store/kek_internal.h" /* orsp__kek_test_dir_sync_failure */

#include "openrsp/auc.h"
#include "openrsp/crypto.h"
#include "openrsp/smdp.h"
#include "openrsp/store.h"

#define TS48_V1A "saip/pysim-unique/TS48V1-A-UNIQUE.der"
#define EID1 "89049032123451234512345678901235"
#define IMSI_M "001010000000001"
#define IMSI_T "001010000000002"

static char dir[4096];
static orsp_secret other; /* a KEK of no database */
static char smdp_iccid[32];

static int setup(void **state)
{
	(void)state;
	unsetenv("ORSP_KEK");
	other.len = 32;
	memset(other.v, 0x77, 32);
	return 0;
}

static const char *path_of(const char *name)
{
	static char p[2][4200];
	static int i;
	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static bool exists(const char *p)
{
	struct stat sb;
	return lstat(p, &sb) == 0;
}

static void load_kek(const char *file, orsp_secret *k)
{
	orsp_err e = orsp_kek_load(path_of(file), k);
	if (e)
		fail_msg("kek %s: %s", file, orsp_err_detail());
}

/* ----- generic checks over a module's column list ----- */

static bool column_exists(orsp_db *db, const orsp_kek_column *c)
{
	int v = 0;
	assert_int_equal(orsp_db_schema_version(db, c->module, &v), ORSP_OK);
	return v >= c->since;
}

/* Every value of every column unwraps with `good` and not with `bad`; every column holds
 * at least one value (the fixture has every kind). */
static void check_values(const char *db_file, const orsp_kek_column *cols, size_t n,
                         const orsp_secret *good, const orsp_secret *bad)
{
	orsp_db *db = NULL;
	assert_int_equal(orsp_db_open_ex(db_file, ORSP_DB_OPEN_EXISTING, &db), ORSP_OK);
	for (size_t i = 0; i < n; i++) {
		const orsp_kek_column *c = &cols[i];
		orsp_stmt *st = NULL;
		bool row = false;
		size_t rows = 0;
		if (!c->aad)
			continue;
		assert_true(column_exists(db, c));
		assert_int_equal(orsp_db_prepare(db, c->select, &st), ORSP_OK);
		while (orsp_stmt_step(st, &row) == ORSP_OK && row) {
			orsp_slice w = orsp_stmt_column_blob(st, (int)strlen(c->keys));
			orsp_secret p = {0};
			char aad[256];
			c->aad(st, aad, sizeof(aad));
			if (orsp_kek_unwrap(good, aad, w.p, w.len, &p) != ORSP_OK)
				fail_msg("%s.%s %s does not unwrap", c->table, c->column, aad);
			assert_int_not_equal(orsp_kek_unwrap(bad, aad, w.p, w.len, &p), ORSP_OK);
			orsp_secret_wipe(&p);
			rows++;
		}
		orsp_stmt_finalize(st);
		if (rows == 0)
			fail_msg("the fixture has no value in %s.%s", c->table, c->column);
	}
	orsp_db_close(db);
}

/* SHA-256 over every stored value of the columns: "nothing changed" is the same digest. */
static void digest(const char *db_file, const orsp_kek_column *cols, size_t n, uint8_t out[32])
{
	orsp_db *db = NULL;
	uint8_t *all = NULL;
	size_t len = 0;
	assert_int_equal(orsp_db_open_ex(db_file, ORSP_DB_OPEN_EXISTING, &db), ORSP_OK);
	for (size_t i = 0; i < n; i++) {
		orsp_stmt *st = NULL;
		bool row = false;
		char sql[128];
		if (!column_exists(db, &cols[i]))
			continue;
		snprintf(sql, sizeof(sql), "SELECT %s FROM %s ORDER BY rowid", cols[i].column,
		         cols[i].table);
		assert_int_equal(orsp_db_prepare(db, sql, &st), ORSP_OK);
		while (orsp_stmt_step(st, &row) == ORSP_OK && row) {
			orsp_slice w = orsp_stmt_column_blob(st, 0);
			all = realloc(all, len + w.len + 1);
			assert_non_null(all);
			memcpy(all + len, w.p, w.len);
			len += w.len;
		}
		orsp_stmt_finalize(st);
	}
	orsp_db_close(db);
	assert_int_equal(orsp_sha256(all, len, out), ORSP_OK);
	free(all);
}

/* The schema's BLOB columns named *wrapped* or *sealed* are exactly the list: a secret
 * column added later without its place in the rotation fails here. */
static void check_schema(const char *db_file, const orsp_kek_column *cols, size_t n)
{
	orsp_db *db = NULL;
	orsp_stmt *st = NULL;
	bool row = false;
	size_t found = 0;
	assert_int_equal(orsp_db_open_ex(db_file, ORSP_DB_OPEN_EXISTING, &db), ORSP_OK);
	assert_int_equal(orsp_db_prepare(db,
	                                 "SELECT m.name, c.name FROM sqlite_master m,"
	                                 " pragma_table_info(m.name) c WHERE m.type = 'table'"
	                                 " AND upper(c.type) = 'BLOB'"
	                                 " AND (c.name LIKE '%wrapped%' OR c.name LIKE '%sealed%')",
	                                 &st),
	                 ORSP_OK);
	while (orsp_stmt_step(st, &row) == ORSP_OK && row) {
		const char *t = orsp_stmt_column_text(st, 0), *c = orsp_stmt_column_text(st, 1);
		bool listed = false;
		for (size_t i = 0; i < n; i++)
			listed = listed ||
			         (strcmp(cols[i].table, t) == 0 && strcmp(cols[i].column, c) == 0);
		if (!listed)
			fail_msg("%s.%s holds secrets but the KEK rotation does not cover it", t,
			         c);
		for (size_t i = 0; i < n; i++)
			if (!cols[i].aad && !strstr(cols[i].column, "sealed"))
				fail_msg("%s.%s is not re-wrapped", cols[i].table, cols[i].column);
		found++;
	}
	orsp_stmt_finalize(st);
	orsp_db_close(db);
	assert_int_equal(found, n);
}

/* ----- another process holding the database ----- */

typedef struct holder {
	pid_t pid;
	int in, out;
} holder;

static holder hold(const char *db_file)
{
	int to[2], from[2];
	holder h;
	char c;
	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	h.pid = fork();
	assert_true(h.pid >= 0);
	if (h.pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execl("/proc/self/exe", "test_rekey", "--hold", db_file, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	h.in = to[1];
	h.out = from[0];
	assert_int_equal(read(h.out, &c, 1), 1); /* it has the database open */
	return h;
}

static void release(holder h)
{
	int status = 0;
	close(h.in);
	close(h.out);
	assert_int_equal(waitpid(h.pid, &status, 0), h.pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The child: a connection to the database, open until its standard input ends. */
static int hold_main(const char *db_file)
{
	orsp_db *db = NULL;
	orsp_stmt *st = NULL;
	bool row = false;
	char c;
	if (orsp_db_open_ex(db_file, ORSP_DB_OPEN_EXISTING, &db) ||
	    orsp_db_prepare(db, "SELECT count(*) FROM sqlite_master", &st) ||
	    orsp_stmt_step(st, &row))
		return 1;
	orsp_stmt_finalize(st);
	if (write(1, "x", 1) != 1)
		return 1;
	while (read(0, &c, 1) > 0)
		;
	orsp_db_close(db);
	return 0;
}

/* ----- the AuC ----- */

static const uint8_t K16[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t K32[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

/* An AuC with a Milenage and a TUAK subscriber and card secrets (a PUK, an SD key). */
static void make_auc(const char *name, const orsp_secret *kek)
{
	orsp_auc *a = NULL;
	orsp_auc_new n;
	orsp_secret v = {0};

	assert_int_equal(orsp_auc_open(path_of(name), kek, &a), ORSP_OK);
	orsp_auc_new_init(&n);
	n.imsi = IMSI_M;
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_MILENAGE, K16, 16, K32, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	orsp_auc_new_init(&n);
	n.imsi = IMSI_T;
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_TUAK, K32, 32, K32, 32),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	assert_int_equal(orsp_secret_set(&v, (const uint8_t *)"12345678", 8), ORSP_OK);
	assert_int_equal(orsp_auc_set_secret(a, IMSI_M, "puk1", &v), ORSP_OK);
	assert_int_equal(orsp_secret_set(&v, K16, 16), ORSP_OK);
	assert_int_equal(orsp_auc_set_secret(a, IMSI_T, "sd1-kvn30-kid01", &v), ORSP_OK);
	orsp_auc_close(a);
}

static orsp_err auc_rekey_file(const char *name, const orsp_secret *kek, const char *next,
                               int inject)
{
	orsp_db_guard *g = NULL;
	orsp_auc *a = NULL;
	orsp_err e = orsp_db_guard_open(path_of(name), &g);
	if (e)
		return e;
	e = orsp_auc_open_ex(path_of(name), ORSP_DB_OPEN_EXISTING, kek, &a);
	if (!e) {
		if (inject >= 0)
			orsp_db_inject_failure(orsp_auc_db(a), inject);
		e = orsp_auc_rekey(a, g, path_of(next), NULL, NULL);
	}
	orsp_auc_close(a);
	orsp_db_guard_close(g);
	return e;
}

/* orsp_kek_rekey_left on a.db, the KEK given in the file `given` (path_of keeps two names) */
static orsp_err auc_rekey_left(const char *given, const char *next)
{
	char g[4200], n[4200];

	snprintf(g, sizeof(g), "%s", path_of(given));
	snprintf(n, sizeof(n), "%s", path_of(next));
	return orsp_kek_rekey_left(path_of("a.db"), g, n, orsp_auc_kek_opens);
}

static void test_auc_rekey(void **state)
{
	orsp_secret old = {0}, nk = {0}, v = {0}, k = {0}, opc = {0};
	const orsp_kek_column *cols;
	size_t n, count = 0;
	orsp_db_guard *g = NULL;
	orsp_auc *a = NULL;
	struct stat sb;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("rekey_auc"));
	cols = orsp_auc_kek_columns(&n);
	load_kek("old.kek", &old);
	make_auc("a.db", &old);
	check_schema(path_of("a.db"), cols, n);
	check_values(path_of("a.db"), cols, n, &old, &other);

	assert_int_equal(orsp_db_guard_open(path_of("a.db"), &g), ORSP_OK);
	assert_int_equal(orsp_auc_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, &old, &a),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_rekey(a, g, path_of("new.kek"), NULL, &count), ORSP_OK);
	assert_int_equal(count, 7); /* 2 x (K, OPc), 2 card secrets, the check */
	/* the handle goes on with the new KEK */
	assert_int_equal(orsp_auc_get_secret(a, IMSI_M, "puk1", &v), ORSP_OK);
	assert_memory_equal(v.v, "12345678", 8);
	orsp_auc_close(a);
	orsp_db_guard_close(g);

	assert_int_equal(stat(path_of("new.kek"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(orsp_kek_load_existing(path_of("new.kek"), &nk), ORSP_OK);
	assert_int_not_equal(memcmp(nk.v, old.v, 32), 0);
	check_values(path_of("a.db"), cols, n, &nk, &old);
	assert_int_equal(orsp_auc_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, &old, &a),
	                 ORSP_E_VERIFY);
	assert_int_equal(orsp_auc_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, &nk, &a),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_export_keys(a, IMSI_T, "test", NULL, &k, &opc), ORSP_OK);
	assert_memory_equal(k.v, K32, 32);
	assert_int_equal(orsp_auc_get_secret(a, IMSI_T, "sd1-kvn30-kid01", &v), ORSP_OK);
	assert_memory_equal(v.v, K16, 16);
	orsp_auc_close(a);
	orsp_secret_wipe(&k);
	orsp_secret_wipe(&opc);
	orsp_secret_wipe(&v);
	orsp_secret_wipe(&old);
	orsp_secret_wipe(&nk);
}

static void test_auc_refusals(void **state)
{
	orsp_secret old = {0};
	const orsp_kek_column *cols;
	uint8_t before[32], after[32];
	size_t n;
	orsp_db *db = NULL;
	orsp_stmt *st = NULL;
	orsp_db_guard *g = NULL;
	orsp_auc *a = NULL;
	holder h;
	int fd;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("rekey_auc_refusals"));
	cols = orsp_auc_kek_columns(&n);
	load_kek("old.kek", &old);
	make_auc("a.db", &old);
	digest(path_of("a.db"), cols, n, before);

	/* NEW exists: left alone */
	fd = open(path_of("taken.kek"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_int_equal(auc_rekey_file("a.db", &old, "taken.kek", -1), ORSP_E_EXISTS);
	{
		size_t len = 0;
		uint8_t *b = test_read_file(path_of("taken.kek"), &len);
		assert_int_equal(len, 4);
		assert_memory_equal(b, "keep", 4);
		free(b);
	}

	/* another process has the database open: before this one opens it... */
	h = hold(path_of("a.db"));
	assert_int_equal(orsp_db_guard_open(path_of("a.db"), &g), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "stop the servers"));
	release(h);
	/* ...and one that opened it after the guard, before the commit */
	assert_int_equal(orsp_db_guard_open(path_of("a.db"), &g), ORSP_OK);
	assert_int_equal(orsp_auc_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, &old, &a),
	                 ORSP_OK);
	h = hold(path_of("a.db"));
	assert_int_equal(orsp_auc_rekey(a, g, path_of("new.kek"), NULL, NULL), ORSP_E_STATE);
	release(h);
	orsp_auc_close(a);
	orsp_db_guard_close(g);
	assert_false(exists(path_of("new.kek")));

	/* NEW named like the database or one of SQLite's files beside it, which SQLite deletes
	 * or takes over (the KEK with it): refused before anything is made */
	{
		static const char *const own[] = {"a.db", "a.db-journal", "a.db-wal", "a.db-shm"};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(own); i++) {
			assert_int_equal(auc_rekey_file("a.db", &old, own[i], -1), ORSP_E_USAGE);
			assert_non_null(strstr(orsp_err_detail(), "new KEK file"));
			assert_non_null(strstr(orsp_err_detail(), "name another file"));
		}
		assert_false(exists(path_of("a.db-journal")));
		digest(path_of("a.db"), cols, n, after);
		assert_memory_equal(before, after, 32);
		check_values(path_of("a.db"), cols, n, &old, &other);
	}

	/* NEW's directory cannot be flushed (a failing disk): a crash could lose NEW's name, so
	 * nothing is wrapped under it; stopped before the transaction, NEW removed */
	orsp__kek_test_dir_sync_failure(0);
	assert_int_equal(auc_rekey_file("a.db", &old, "new.kek", -1), ORSP_E_IO);
	orsp__kek_test_dir_sync_failure(-1);
	assert_non_null(strstr(orsp_err_detail(), "cannot flush the directory of"));
	assert_false(exists(path_of("new.kek")));
	digest(path_of("a.db"), cols, n, after);
	assert_memory_equal(before, after, 32);
	check_values(path_of("a.db"), cols, n, &old, &other);

	/* a tampered value: named, nothing changed (its 21st byte changed whatever it was: set
	 * to 00, one run in 256 left it as it was) */
	assert_int_equal(orsp_db_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, &db), ORSP_OK);
	assert_int_equal(orsp_db_prepare(db,
	                                 "UPDATE auc_subscriber SET opc_wrapped ="
	                                 " substr(opc_wrapped, 1, 20) ||"
	                                 " CASE WHEN substr(opc_wrapped, 21, 1) = x'00'"
	                                 " THEN x'01' ELSE x'00' END ||"
	                                 " substr(opc_wrapped, 22) WHERE imsi = '" IMSI_T "'",
	                                 &st),
	                 ORSP_OK);
	assert_int_equal(orsp_stmt_run(st), ORSP_OK);
	orsp_stmt_finalize(st);
	orsp_db_close(db);
	digest(path_of("a.db"), cols, n, before);
	assert_int_equal(auc_rekey_file("a.db", &old, "new.kek", -1), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "auc_subscriber.opc_wrapped of auc:opc:" IMSI_T));
	assert_false(exists(path_of("new.kek")));
	digest(path_of("a.db"), cols, n, after);
	assert_memory_equal(before, after, 32);
	orsp_secret_wipe(&old);
}

/* orsp_kek_rekey's own guard checks, each where only it can see the other process: an
 * audit callback of the test's own records what the rotation got to, and may start the
 * other process from inside the transaction. */
typedef struct tx_probe {
	const char *db_file;
	orsp_db_guard *g;
	bool hold_in_tx; /* start a holder from inside the transaction */
	holder h;
	int calls;
	orsp_err seen; /* the guard, tested at once after the holder opened the database */
} tx_probe;

static orsp_err probe_audit(void *arg, const char *new_path)
{
	tx_probe *p = arg;
	(void)new_path;
	p->calls++;
	if (p->hold_in_tx) {
		/* this process holds the write lock: the holder can still open the database
		 * (WAL readers are not blocked), and then holds the DMS byte as every
		 * connection does; the guard's own descriptor confirms it without closing one */
		p->h = hold(p->db_file);
		p->seen = orsp_db_guard_check(p->g);
	}
	return ORSP_OK;
}

static void test_guard_checks(void **state)
{
	orsp_secret old = {0}, nk = {0};
	const orsp_kek_column *cols;
	uint8_t before[32], after[32];
	size_t n;
	orsp_db_guard *g = NULL;
	orsp_auc *a = NULL;
	tx_probe p;
	holder h;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("rekey_guard"));
	cols = orsp_auc_kek_columns(&n);
	load_kek("old.kek", &old);
	make_auc("a.db", &old);
	digest(path_of("a.db"), cols, n, before);

	/* an SQLite URI or the in-memory database, with or without sqlite: before it: the guard
	 * watches a file's WAL-index, so it needs the file's path (a URI's file would not be
	 * found under its name); refused with no guard made */
	{
		char uri[4200];
		const char *const refused[] = {uri, "sqlite:file:a.db?mode=rw",
		                               ":memory:", "sqlite::memory:"};
		snprintf(uri, sizeof(uri), "file:%s", path_of("a.db"));
		for (size_t i = 0; i < ORSP_ARRAY_LEN(refused); i++) {
			const char *shown =
			    strncmp(refused[i], "sqlite:", 7) == 0 ? refused[i] + 7 : refused[i];
			char want[4300];
			g = (orsp_db_guard *)&p; /* set to NULL on failure too */
			assert_int_equal(orsp_db_guard_open(refused[i], &g), ORSP_E_USAGE);
			assert_null(g);
			snprintf(want, sizeof(want), "%s: a database file's path is needed here",
			         shown);
			assert_string_equal(orsp_err_detail(), want);
		}
	}

	/* opened after the guard, before the rotation: the check before the transaction
	 * refuses, before NEW is created or the write lock taken (the callback never runs) */
	memset(&p, 0, sizeof(p));
	assert_int_equal(orsp_db_guard_open(path_of("a.db"), &g), ORSP_OK);
	assert_int_equal(orsp_auc_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, &old, &a),
	                 ORSP_OK);
	h = hold(path_of("a.db"));
	assert_int_equal(orsp_kek_rekey(orsp_auc_db(a), g, &old, path_of("new.kek"), NULL, cols, n,
	                                probe_audit, &p, &nk, NULL),
	                 ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "stop the servers"));
	assert_int_equal(p.calls, 0);
	release(h);
	orsp_auc_close(a);
	orsp_db_guard_close(g);
	assert_false(exists(path_of("new.kek")));

	/* opened inside the transaction, after every check before it: the check made while
	 * holding the write lock refuses, and everything is rolled back */
	memset(&p, 0, sizeof(p));
	p.db_file = path_of("a.db");
	p.hold_in_tx = true;
	assert_int_equal(orsp_db_guard_open(path_of("a.db"), &g), ORSP_OK);
	p.g = g;
	assert_int_equal(orsp_auc_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, &old, &a),
	                 ORSP_OK);
	assert_int_equal(orsp_kek_rekey(orsp_auc_db(a), g, &old, path_of("new.kek"), NULL, cols, n,
	                                probe_audit, &p, &nk, NULL),
	                 ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "stop the servers"));
	assert_int_equal(p.calls, 1);
	assert_int_equal(p.seen, ORSP_E_STATE); /* the holder did hold the DMS byte */
	assert_int_equal(nk.len, 0);
	release(p.h);
	orsp_auc_close(a);
	orsp_db_guard_close(g);
	assert_false(exists(path_of("new.kek")));
	digest(path_of("a.db"), cols, n, after);
	assert_memory_equal(before, after, 32);
	check_values(path_of("a.db"), cols, n, &old, &other);
	assert_int_equal(orsp_auc_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, &old, &a),
	                 ORSP_OK);
	orsp_auc_close(a);
	orsp_secret_wipe(&old);
}

/* A database not in WAL mode (a file system without shared memory maps keeps SQLite in its
 * rollback journal; here the connection is switched by hand, as openrsp's own open switches
 * the file back): no WAL-index, so the guard could not see another process. Refused before
 * NEW is created. */
static void test_not_wal(void **state)
{
	orsp_secret old = {0};
	const orsp_kek_column *cols;
	uint8_t before[32], after[32];
	size_t n;
	orsp_db_guard *g = NULL;
	orsp_auc *a = NULL;
	orsp_stmt *st = NULL;
	bool row = false;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("rekey_not_wal"));
	cols = orsp_auc_kek_columns(&n);
	load_kek("old.kek", &old);
	make_auc("a.db", &old);
	digest(path_of("a.db"), cols, n, before);

	assert_int_equal(orsp_db_guard_open(path_of("a.db"), &g), ORSP_OK);
	assert_int_equal(orsp_auc_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, &old, &a),
	                 ORSP_OK);
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "PRAGMA journal_mode=DELETE"), ORSP_OK);
	assert_int_equal(orsp_db_prepare(orsp_auc_db(a), "PRAGMA journal_mode", &st), ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	assert_string_equal(orsp_stmt_column_text(st, 0), "delete");
	orsp_stmt_finalize(st);
	assert_false(exists(path_of("a.db-shm"))); /* nothing for the guard to look at */
	assert_int_equal(orsp_db_guard_check(g), ORSP_OK);

	assert_int_equal(orsp_auc_rekey(a, g, path_of("new.kek"), NULL, NULL), ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "not in WAL mode"));
	assert_non_null(strstr(orsp_err_detail(), "could not be detected"));
	orsp_auc_close(a);
	orsp_db_guard_close(g);
	assert_false(exists(path_of("new.kek")));
	digest(path_of("a.db"), cols, n, after);
	assert_memory_equal(before, after, 32);
	check_values(path_of("a.db"), cols, n, &old, &other);
	orsp_secret_wipe(&old);
}

/* A failed COMMIT (injected at the commit): NEW is kept, as the database may need it, and
 * the message says how to tell; here the old KEK still opens it, so NEW goes as the
 * operator would delete it. Whether this failure was the commit's. */
static bool commit_failed_kept(const char *next)
{
	if (!strstr(orsp_err_detail(), "injected failure at commit"))
		return false;
	if (!strstr(orsp_err_detail(), "may now need either KEK") ||
	    !strstr(orsp_err_detail(), "the same rekey run again (the same new KEK file) tells "
	                               "which one opens it") ||
	    !strstr(orsp_err_detail(), next))
		fail_msg("a failed commit: %s", orsp_err_detail());
	assert_true(exists(next));
	assert_int_equal(unlink(next), 0);
	return true;
}

/* A store failure at each operation in turn: the database still opens with the old KEK,
 * its values unchanged, and NEW is gone (kept at the commit: commit_failed_kept); until
 * the rotation goes through. */
static void test_auc_injected(void **state)
{
	orsp_secret old = {0};
	const orsp_kek_column *cols;
	uint8_t before[32], after[32];
	size_t n;
	orsp_err e = ORSP_E_STORAGE;
	int i, commits = 0;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("rekey_auc_inject"));
	cols = orsp_auc_kek_columns(&n);
	load_kek("old.kek", &old);
	make_auc("a.db", &old);
	digest(path_of("a.db"), cols, n, before);
	for (i = 0; i < 200 && e; i++) {
		e = auc_rekey_file("a.db", &old, "new.kek", i);
		if (!e)
			break;
		assert_int_equal(e, ORSP_E_STORAGE);
		commits += commit_failed_kept(path_of("new.kek"));
		assert_false(exists(path_of("new.kek")));
		digest(path_of("a.db"), cols, n, after);
		assert_memory_equal(before, after, 32);
		check_values(path_of("a.db"), cols, n, &old, &other);
	}
	assert_int_equal(e, ORSP_OK);
	assert_true(i > 10);
	assert_int_equal(commits, 1);
	assert_true(exists(path_of("new.kek")));
	orsp_secret_wipe(&old);
}

/* ----- an interrupted rotation ----- */

static orsp_err die_in_tx(void *arg, const char *new_path)
{
	(void)arg;
	(void)new_path;
	_exit(3); /* killed while re-wrapping: no rollback, no close */
}

static int find_rotated(const orsp_auc_audit_row *r, void *arg)
{
	if (strcmp(r->action, "kek rotated") == 0)
		(*(int *)arg)++;
	return 0;
}

static int rotated_rows(const orsp_secret *kek)
{
	orsp_auc *a = NULL;
	int n = 0;
	assert_int_equal(orsp_auc_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, kek, &a),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_audit_walk(a, NULL, 0, find_rotated, &n), ORSP_OK);
	orsp_auc_close(a);
	return n;
}

/* A process killed in the middle of the re-wrapping leaves NEW and the database under the
 * old KEK; the refusals then say how to tell, and the recovery the docs give works: NEW
 * does not open the database, the old KEK does, the audit has no "kek rotated" row; delete
 * NEW and run again. */
static void test_interrupted(void **state)
{
	orsp_secret old = {0}, nk = {0};
	const orsp_kek_column *cols;
	uint8_t before[32], after[32];
	size_t n;
	orsp_auc *a = NULL;
	int status = 0;
	pid_t pid;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("rekey_interrupted"));
	cols = orsp_auc_kek_columns(&n);
	load_kek("old.kek", &old);
	make_auc("a.db", &old);
	digest(path_of("a.db"), cols, n, before);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		orsp_db_guard *g = NULL;
		orsp_auc *c = NULL;
		if (orsp_db_guard_open(path_of("a.db"), &g) ||
		    orsp_auc_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, &old, &c))
			_exit(1);
		if (orsp_kek_rekey(orsp_auc_db(c), g, &old, path_of("new.kek"), NULL, cols, n,
		                   die_in_tx, NULL, &nk, NULL) == ORSP_OK)
			_exit(0);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	assert_true(exists(path_of("new.kek")));

	/* running again: refused, saying what a leftover NEW may be and how to check */
	assert_int_equal(auc_rekey_file("a.db", &old, "new.kek", -1), ORSP_E_EXISTS);
	assert_non_null(strstr(orsp_err_detail(), "delete it only if an interrupted rotation"));
	assert_non_null(strstr(orsp_err_detail(), "so that file is not its KEK"));
	/* what `auc rekey` says then (orsp_kek_rekey_left): the KEK given opens it, NEW not */
	assert_int_equal(auc_rekey_left("old.kek", "new.kek"), ORSP_E_EXISTS);
	assert_non_null(strstr(orsp_err_detail(), "a rotation that left it did not commit (the "
	                                          "database opens with the KEK given, not with"));
	assert_non_null(strstr(orsp_err_detail(), "delete "));
	/* NEW does not open the database, and the refusal mentions a rotation */
	assert_int_equal(orsp_kek_load_existing(path_of("new.kek"), &nk), ORSP_OK);
	assert_int_equal(orsp_auc_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, &nk, &a),
	                 ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "or rotated since"));
	/* the old KEK does, nothing changed, no audit row */
	assert_int_equal(rotated_rows(&old), 0);
	digest(path_of("a.db"), cols, n, after);
	assert_memory_equal(before, after, 32);
	check_values(path_of("a.db"), cols, n, &old, &other);

	/* delete NEW and run again */
	assert_int_equal(unlink(path_of("new.kek")), 0);
	assert_int_equal(auc_rekey_file("a.db", &old, "new.kek", -1), ORSP_OK);
	assert_int_equal(orsp_kek_load_existing(path_of("new.kek"), &nk), ORSP_OK);
	assert_int_equal(rotated_rows(&nk), 1);
	check_values(path_of("a.db"), cols, n, &nk, &old);
	orsp_secret_wipe(&old);
	orsp_secret_wipe(&nk);
}

/* A commit whose flush alone failed: the database is under NEW, so NEW is kept, and the
 * handle goes on with the new KEK (a subscriber added through it afterwards is wrapped
 * under NEW too); the audit row names NEW by its absolute name. */
static void test_flush_failed(void **state)
{
	orsp_secret old = {0}, nk = {0};
	const orsp_kek_column *cols;
	orsp_db_guard *g = NULL;
	orsp_auc *a = NULL;
	orsp_auc_new nw;
	size_t n;
	orsp_err e;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("rekey_flush"));
	cols = orsp_auc_kek_columns(&n);
	load_kek("old.kek", &old);
	make_auc("a.db", &old);
	assert_int_equal(orsp_db_guard_open(path_of("a.db"), &g), ORSP_OK);
	assert_int_equal(orsp_auc_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, &old, &a),
	                 ORSP_OK);
	orsp_db_inject_sync_failure(orsp_auc_db(a));
	e = orsp_auc_rekey(a, g, path_of("new.kek"), NULL, NULL);
	assert_int_equal(e, ORSP_E_STORAGE);
	assert_non_null(strstr(orsp_err_detail(), "but its flush to disk failed"));
	/* the same handle, after the error: no write begins on the file any more, nothing is
	 * written (test_store test_db_sync_failure_sticky) */
	orsp_auc_new_init(&nw);
	nw.imsi = "001010000000009";
	assert_int_equal(orsp_aka_subscriber_init(&nw.sub, ORSP_AKA_MILENAGE, K16, 16, K32, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_add(a, &nw), ORSP_E_STORAGE);
	assert_non_null(strstr(orsp_err_detail(), "an earlier flush of"));
	orsp_auc_new_wipe(&nw);
	orsp_auc_close(a);
	orsp_db_guard_close(g);
	assert_true(exists(path_of("new.kek")));
	load_kek("new.kek", &nk);
	check_values(path_of("a.db"), cols, n, &nk, &old);
	assert_int_equal(rotated_rows(&nk), 1);
	/* the same rekey again (orsp_kek_rekey_left): NEW opens it, not the KEK given */
	assert_int_equal(auc_rekey_left("old.kek", "new.kek"), ORSP_E_EXISTS);
	assert_non_null(strstr(orsp_err_detail(), "the rotation that left it committed"));
	assert_non_null(strstr(orsp_err_detail(), "is the database's KEK now"));
	assert_null(strstr(orsp_err_detail(), "delete"));
	/* neither: both reasons said, the KEK given first */
	load_kek("other.kek", &old);
	assert_int_equal(auc_rekey_left("other.kek", "old.kek"), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "the database opens with neither KEK: not "
	                                          "with the KEK given (wrong KEK"));
	assert_non_null(strstr(orsp_err_detail(), "delete neither file"));
	{
		orsp_auc_info info;
		assert_int_equal(orsp_auc_open_ex(path_of("a.db"), ORSP_DB_OPEN_EXISTING, &nk, &a),
		                 ORSP_OK);
		assert_int_equal(orsp_auc_get(a, "001010000000009", &info), ORSP_E_NOT_FOUND);
		orsp_auc_close(a);
	}
	orsp_secret_wipe(&old);
	orsp_secret_wipe(&nk);
}

/* ----- the SM-DP+ ----- */

static void make_smdp(const char *name, const orsp_secret *kek)
{
	orsp_smdp *s = NULL;
	orsp_smdp_profile p;
	orsp_smdp_order o = {0};
	orsp_secret otsk = {0};
	orsp_stmt *st = NULL;
	uint8_t w[ORSP_WRAP_MAX];
	size_t len = 0, wl = 0;
	uint8_t *der = test_read_vector(TS48_V1A, &len);

	assert_int_equal(orsp_smdp_open(path_of(name), kek, &s), ORSP_OK);
	assert_int_equal(orsp_es9p_prepare(s), ORSP_OK);
	assert_int_equal(orsp_smdp_import(s, der, len, &p), ORSP_OK);
	free(der);
	snprintf(smdp_iccid, sizeof(smdp_iccid), "%s", p.iccid);
	o.iccid = p.iccid;
	o.eid = EID1;
	assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, p.matching_id, "1234", true), ORSP_OK);
	/* an ES9+ session past getBoundProfilePackage: its one-time key, wrapped */
	otsk.len = 32;
	assert_int_equal(orsp_random(otsk.v, 32), ORSP_OK);
	assert_int_equal(orsp_smdp_wrap(s, "es9p:otsk:00112233445566778899aabbccddeeff", &otsk, w,
	                                sizeof(w), &wl),
	                 ORSP_OK);
	assert_int_equal(orsp_db_prepare(orsp_smdp_db(s),
	                                 "INSERT INTO es9p_session (tid, step, keyset,"
	                                 " euicc_challenge, server_challenge, created_at,"
	                                 " updated_at, otsk_wrapped) VALUES"
	                                 " ('00112233445566778899aabbccddeeff', 3, 0, x'00', x'00',"
	                                 " 1, 1, ?1)",
	                                 &st),
	                 ORSP_OK);
	assert_int_equal(orsp_stmt_bind_blob(st, 1, w, wl), ORSP_OK);
	assert_int_equal(orsp_stmt_run(st), ORSP_OK);
	orsp_stmt_finalize(st);
	orsp_secret_wipe(&otsk);
	orsp_smdp_close(s);
}

static orsp_err smdp_rekey_file(const char *name, const orsp_secret *kek, const char *next,
                                int inject)
{
	orsp_db_guard *g = NULL;
	orsp_smdp *s = NULL;
	orsp_err e = orsp_db_guard_open(path_of(name), &g);
	if (e)
		return e;
	e = orsp_smdp_open(path_of(name), kek, &s);
	if (!e) {
		if (inject >= 0)
			orsp_db_inject_failure(orsp_smdp_db(s), inject);
		e = orsp_smdp_rekey(s, g, path_of(next), NULL, NULL);
	}
	orsp_smdp_close(s);
	orsp_db_guard_close(g);
	return e;
}

static void test_smdp_rekey(void **state)
{
	orsp_secret old = {0}, nk = {0};
	const orsp_kek_column *cols;
	uint8_t before[32], after[32], *upp = NULL;
	size_t n, len = 0;
	orsp_smdp *s = NULL;
	orsp_err e = ORSP_E_STORAGE;
	int i, commits = 0;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("rekey_smdp"));
	cols = orsp_smdp_kek_columns(&n);
	load_kek("old.kek", &old);
	make_smdp("s.db", &old);
	check_schema(path_of("s.db"), cols, n);
	digest(path_of("s.db"), cols, n, before);
	/* a store failure at each operation in turn changes nothing */
	for (i = 0; i < 200 && e; i++) {
		e = smdp_rekey_file("s.db", &old, "new.kek", i);
		if (!e)
			break;
		assert_int_equal(e, ORSP_E_STORAGE);
		commits += commit_failed_kept(path_of("new.kek"));
		assert_false(exists(path_of("new.kek")));
		digest(path_of("s.db"), cols, n, after);
		assert_memory_equal(before, after, 32);
	}
	assert_int_equal(e, ORSP_OK);
	assert_int_equal(commits, 1);
	assert_int_equal(orsp_kek_load_existing(path_of("new.kek"), &nk), ORSP_OK);
	check_values(path_of("s.db"), cols, n, &nk, &old);
	assert_int_equal(orsp_smdp_open(path_of("s.db"), &old, &s), ORSP_E_VERIFY);
	assert_int_equal(orsp_smdp_open(path_of("s.db"), &nk, &s), ORSP_OK);
	assert_int_equal(orsp_smdp_get_upp(s, smdp_iccid, &upp, &len), ORSP_OK);
	assert_true(len > 1000);
	free(upp);
	orsp_smdp_close(s);
	orsp_secret_wipe(&old);
	orsp_secret_wipe(&nk);
}

/* An audit row's detail is whole or not written: a rotation to a KEK file of a 3,500-byte
 * name, made for an actor of ORSP_SMDP_ACTOR_MAX - 1 bytes, has no room for "; by ACTOR" in
 * ORSP_SMDP_AUDIT_DETAIL_MAX; it fails ORSP_E_RESOURCE and changes nothing (no NEW). The
 * row was cut before (the actor's end with it, and a snprintf gcc 12's Release build refused
 * at -Werror=format-truncation). Without the actor the same rotation is made. */
static void test_smdp_rekey_detail_whole(void **state)
{
	orsp_secret old = {0}, nk = {0};
	orsp_db_guard *g = NULL;
	orsp_smdp *s = NULL;
	char sub[4000] = "", actor[ORSP_SMDP_ACTOR_MAX];
	size_t n = 0;
	orsp_err e;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("rekey_detail"));
	load_kek("old.kek", &old);
	make_smdp("s.db", &old);
	while (strlen(path_of(sub)) < 3500) { /* at most 3,750 bytes after it */
		n += (size_t)snprintf(sub + n, sizeof(sub) - n, "%s%0250d", n ? "/" : "", 0);
		if (mkdir(path_of(sub), 0700) != 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path_of(sub), strerror(errno));
	}
	snprintf(sub + n, sizeof(sub) - n, "/new.kek");
	memset(actor, 'a', sizeof(actor) - 1);
	actor[sizeof(actor) - 1] = '\0';

	assert_int_equal(orsp_db_guard_open(path_of("s.db"), &g), ORSP_OK);
	assert_int_equal(orsp_smdp_open(path_of("s.db"), &old, &s), ORSP_OK);
	orsp_smdp_set_actor(s, actor);
	e = orsp_smdp_rekey(s, g, path_of(sub), NULL, NULL);
	if (e != ORSP_E_RESOURCE ||
	    !strstr(orsp_err_detail(), "audit detail of kekRotated too long"))
		fail_msg("a rotation to a long name for a long actor: %d %s", e, orsp_err_detail());
	assert_false(exists(path_of(sub)));
	orsp_smdp_set_actor(s, NULL);
	assert_int_equal(orsp_smdp_rekey(s, g, path_of(sub), NULL, NULL), ORSP_OK);
	orsp_smdp_close(s);
	orsp_db_guard_close(g);
	assert_int_equal(orsp_kek_load_existing(path_of(sub), &nk), ORSP_OK);
	assert_int_equal(orsp_smdp_open(path_of("s.db"), &nk, &s), ORSP_OK);
	orsp_smdp_close(s);
	orsp_secret_wipe(&old);
	orsp_secret_wipe(&nk);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_auc_rekey),    cmocka_unit_test(test_auc_refusals),
	    cmocka_unit_test(test_guard_checks), cmocka_unit_test(test_auc_injected),
	    cmocka_unit_test(test_smdp_rekey),   cmocka_unit_test(test_smdp_rekey_detail_whole),
	    cmocka_unit_test(test_not_wal),      cmocka_unit_test(test_interrupted),
	    cmocka_unit_test(test_flush_failed),
	};
	if (argc == 3 && strcmp(argv[1], "--hold") == 0)
		return hold_main(argv[2]);
	return cmocka_run_group_tests(tests, setup, NULL);
}
