/* Versioned schema migrations: one ordered array of SQL steps per module, recorded in
 * `schema_migrations`. The missing steps run in one write transaction, each with the row
 * that records it, so a migration is applied completely or not at all, exactly once, even
 * when several processes start at the same time. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db_internal.h"
#include "store_impl.h"

static const char create_table_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                       " module TEXT NOT NULL,"
                                       " version INTEGER NOT NULL,"
                                       " description TEXT NOT NULL,"
                                       " applied_at INTEGER NOT NULL,"
                                       " PRIMARY KEY (module, version))";

/* One COUNT(*) query with an optional text parameter ?1. */
static orsp_err count_of(orsp_db *db, const char *sql, const char *arg, int64_t *n)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	bool row = false;

	*n = 0;
	err = orsp_db_prepare(db, sql, &st);
	if (!err && arg)
		err = orsp_stmt_bind_text(st, 1, arg);
	if (!err)
		err = orsp_stmt_step(st, &row);
	if (!err && row)
		*n = orsp_stmt_column_int64(st, 0);
	orsp_stmt_finalize(st);
	return err;
}

/* Whether schema_migrations is openrsp's: its four columns, as sqlite.c's may_switch reads
 * it (another program's, a Rails or Flyway one, has a table of that name too). 4 if it is. */
#define OURS_SQL                                                                                   \
	"(SELECT COUNT(*) FROM pragma_table_info('schema_migrations')"                             \
	" WHERE name IN ('module', 'version', 'description', 'applied_at'))"

/* Tables are looked up in SQLite's catalogue: this build has no other backend (one for
 * PostgreSQL would read information_schema.tables). */
orsp_err orsp_db_schema_version(orsp_db *db, const char *module, int *version)
{
	orsp_err err;
	int64_t n = 0;

	*version = 0;
	/* a database no module has migrated yet has no bookkeeping table, and another program's
	 * has none of openrsp's (reading its own as ours failed: "no such column: module") */
	err = count_of(db, "SELECT " OURS_SQL, NULL, &n);
	if (err || n != 4)
		return err;
	err = count_of(db,
	               "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE module = ?1",
	               module, &n);
	if (err)
		return err;
	/* a version no migration list reaches (a damaged or foreign table): taken as an int it
	 * would wrap, 2^32 + 1 to 1 (migrations run again on a newer file), -5 to a start past
	 * every step (nothing applied, the file taken as current) */
	if (n < 0 || n > INT_MAX)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "%s schema version %lld in schema_migrations is out of range",
		                 module, (long long)n);
	*version = (int)n;
	return ORSP_OK;
}

orsp_err orsp_db_has_tables(orsp_db *db, bool *any)
{
	orsp_err err;
	int64_t n = 0;

	*any = false;
	err = count_of(db,
	               "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
	               " AND (name <> 'schema_migrations' OR " OURS_SQL " <> 4)"
	               " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
	               NULL, &n);
	if (!err)
		*any = n > 0;
	return err;
}

/* The tests' hook (db_internal.h). */
static void (*state_hook)(void *arg);
static void *state_hook_arg;

void orsp__db_test_state_hook(void (*between)(void *arg), void *arg)
{
	state_hook = between;
	state_hook_arg = arg;
}

orsp_err orsp_db_module_state(orsp_db *db, const char *module, int *version, bool *other)
{
	orsp_err err;

	*other = false;
	err = orsp_db_schema_version(db, module, version);
	if (err || *version > 0)
		return err;
	if (state_hook)
		state_hook(state_hook_arg);
	err = orsp_db_has_tables(db, other);
	/* the version and the tables are two reads: a first migration committed between them
	 * shows its tables but not its version */
	if (!err && *other)
		err = orsp_db_schema_version(db, module, version);
	if (!err && *version > 0)
		*other = false;
	return err;
}

orsp_db_open_mode orsp_db_look_mode(orsp_db_open_mode mode)
{
	return mode == ORSP_DB_OPEN_READONLY ? ORSP_DB_OPEN_READONLY : ORSP_DB_OPEN_EXISTING;
}

orsp_err orsp_db_probe(const char *what, const char *db_uri, orsp_db_open_mode mode,
                       orsp_db_own_fn own)
{
	orsp_db *db = NULL;
	orsp_err err;

	if (!what || !db_uri || !own)
		return orsp_errf(ORSP_E_USAGE, "%s: missing arguments", what ? what : "probe");
	err = orsp_db_open_ex(db_uri, orsp_db_look_mode(mode), &db);
	if (!err)
		err = own(db, db_uri, mode);
	orsp_db_close(db);
	return err;
}

static orsp_err record(orsp_db *db, const char *module, const orsp_migration *m)
{
	orsp_err err;
	orsp_stmt *st = NULL;

	err = orsp_db_prepare(
	    db,
	    "INSERT INTO schema_migrations (module, version, description, applied_at)"
	    " VALUES (?1, ?2, ?3, ?4)",
	    &st);
	if (err)
		goto out;
	err = orsp_stmt_bind_text(st, 1, module);
	if (!err)
		err = orsp_stmt_bind_int64(st, 2, m->version);
	if (!err)
		err = orsp_stmt_bind_text(st, 3, m->description ? m->description : "");
	if (!err)
		err = orsp_stmt_bind_int64(st, 4, (int64_t)time(NULL));
	if (!err)
		err = orsp_stmt_run(st);
out:
	orsp_stmt_finalize(st);
	return err;
}

/* Read from /proc/locks, never with F_GETLK: this process must not open and close a
 * descriptor of the -shm file while its own connection uses it, as the close would drop that
 * connection's locks (kek.c, orsp_db_guard_open). */
long orsp_db_file_user(const char *file)
{
	char real[PATH_MAX], shm[PATH_MAX + 8];
	struct stat st;

	if (!file)
		return -1;
	/* SQLite names the -shm file after the database's real path (symbolic links resolved) */
	if (!realpath(file, real) && snprintf(real, sizeof(real), "%s", file) >= (int)sizeof(real))
		return -1;
	if (snprintf(shm, sizeof(shm), "%s-shm", real) >= (int)sizeof(shm))
		return -1;
	if (stat(shm, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	return orsp_lock_holder(st.st_dev, st.st_ino, "POSIX", NULL, orsp_proc_self_pid());
}

/* Another process that has db open (orsp_db_file_user), 0 when none is seen: also when
 * /proc/locks cannot be read (not Linux, no /proc mounted: the migration then goes on
 * unchecked, as it did before this test). */
static long other_user(orsp_db *db)
{
	long pid = orsp_db_file_user(orsp__db_file(db));
	return pid > 0 ? pid : 0;
}

/* ORSP_E_STATE when another process has the database open while the module's schema, at
 * version `have` (> 0), is to be brought to n: an older program using it (a running `serve`)
 * would go on writing rows without the newer columns (an order without the due time
 * migration 14 of smdp added never expires) and could not start again. */
static orsp_err refuse_if_shared(orsp_db *db, const char *module, int have, size_t n)
{
	long pid = other_user(db);
	const char *file = orsp__db_file(db);

	if (!pid)
		return ORSP_OK;
	return orsp_errf(ORSP_E_STATE,
	                 "the %s schema of %s is at version %d and this program's at %zu, but "
	                 "another process (pid %ld) has the database open: it is not migrated "
	                 "while in use, as an older program using it would go on writing rows "
	                 "without the newer columns and could not start again. Stop every "
	                 "program using it, the older servers included, then run this again "
	                 "(`serve`, or the first command that writes, migrates it)",
	                 module, file ? file : "the database", have, n, pid);
}

/* Apply migration m inside the migration's write transaction, with the row that records it
 * (the version was read under that transaction's lock: m is the next step). start: the
 * version the transaction began at, where a failure leaves the database. */
static orsp_err apply_one(orsp_db *db, const char *module, const orsp_migration *m, int start)
{
	const char *sql = m->sql;
	orsp_err err;

	if (orsp_db_backend_of(db) != ORSP_DB_SQLITE && m->sql_pgsql)
		sql = m->sql_pgsql;
	err = orsp_db_exec(db, sql);
	if (err) {
		/* which step, and where the database stays (it was SQLite's words alone) */
		char why[512];
		orsp_err_detail_copy(why, sizeof(why));
		return orsp_errf(err,
		                 "migrating %s to version %d (%s) failed; the database is left at "
		                 "version %d: %s",
		                 module, m->version, m->description ? m->description : "", start,
		                 why);
	}
	return record(db, module, m);
}

/* The module's schema version in *have; ORSP_E_STATE when a newer program migrated it
 * (more than the n steps this one knows). */
static orsp_err schema_known(orsp_db *db, const char *module, size_t n, int *have)
{
	orsp_err err = orsp_db_schema_version(db, module, have);
	if (err)
		return err;
	if (*have > (int)n)
		return orsp_errf(ORSP_E_STATE,
		                 "%s schema version %d is newer than this program (knows %zu)",
		                 module, *have, n);
	return ORSP_OK;
}

orsp_err orsp_db_schema_check(orsp_db *db, const char *module, size_t n)
{
	int have = 0;

	if (!db || !module || !module[0])
		return orsp_errf(ORSP_E_USAGE, "schema check: missing arguments");
	return schema_known(db, module, n, &have);
}

/* The module's version in *have (schema_known), and an existing schema that is older than
 * n refused while another process has the database open (refuse_if_shared): a new database
 * (version 0: several processes may start on it at once) and an up-to-date one are not
 * concerned. */
static orsp_err known_unshared(orsp_db *db, const char *module, size_t n, int *have)
{
	orsp_err err = schema_known(db, module, n, have);

	if (!err && *have > 0 && *have < (int)n)
		err = refuse_if_shared(db, module, *have, n);
	return err;
}

orsp_err orsp_db_migrate_check(orsp_db *db, const char *module, size_t n)
{
	int have = 0;

	if (!db || !module || !module[0])
		return orsp_errf(ORSP_E_USAGE, "migrate check: missing arguments");
	/* as orsp_db_migrate judges it under its lock */
	return known_unshared(db, module, n, &have);
}

orsp_err orsp_db_migrate(orsp_db *db, const char *module, const orsp_migration *migrations,
                         size_t n)
{
	return orsp_db_migrate_ex(db, module, migrations, n, NULL);
}

orsp_err orsp_db_migrate_ex(orsp_db *db, const char *module, const orsp_migration *migrations,
                            size_t n, bool *first)
{
	orsp_err err;
	int have = 0;

	if (first)
		*first = false;
	if (!db || !module || !module[0] || (n && !migrations))
		return orsp_errf(ORSP_E_USAGE, "migrate: missing arguments");
	for (size_t i = 0; i < n; i++) {
		if (migrations[i].version != (int)i + 1 || !migrations[i].sql)
			return orsp_errf(ORSP_E_USAGE, "migrate %s: step %zu must have version %zu",
			                 module, i, i + 1);
	}

	/* A database a newer program migrated is refused before anything is written to it,
	 * its journal mode included (the switch to WAL is written into the file's header). */
	err = schema_known(db, module, n, &have);
	if (err)
		return err;
	err = orsp__db_use_wal(db);
	if (err)
		return err;
	/* Up to date (the bookkeeping table exists, since have is at least 1): nothing to write.
	 * No write transaction then, whose empty commit would still be flushed: a flush at
	 * every open, a read-only command's included. */
	if (n > 0 && have == (int)n)
		return ORSP_OK;

	/* The bookkeeping table if needed (idempotent), then every missing step, in one write
	 * transaction: a process of this program that waited for the lock finds the schema up
	 * to date or at its old version, never half-way. Two of this program's starting at once
	 * on an older schema each hold the database open and cannot be told from an older
	 * program: the one with the lock is refused (exit 1 for `serve`; its restart finds the
	 * schema migrated by the other), as a review showed in every round; a new database is
	 * not concerned (below). A process that opens the database after this check, during
	 * the migration, is not seen: stop the older servers first (docs/deploy.md). */
	err = orsp_db_begin(db);
	if (err)
		return err;
	err = orsp_db_exec(db, create_table_sql);
	/* under the lock (another process may have migrated it); an existing schema is not
	 * migrated while another process has the database open (an older server), refused
	 * before anything is written to it */
	if (!err)
		err = known_unshared(db, module, n, &have);
	int start = have;
	for (size_t i = (size_t)have; !err && i < n; i++)
		err = apply_one(db, module, &migrations[i], start);
	if (err) {
		orsp_db_rollback(db);
		return err;
	}
	err = orsp_db_commit(db);
	if (!err && first) /* this call applied the first step: the module was new */
		*first = start == 0 && n > 0;
	/* An upgrade is said, once, by the process that made it (a new database's first
	 * migration is not: its caller says it made the database). On stderr, the log of
	 * `serve`: out of the way of a command's output (--json). */
	if (!err && start > 0 && start < (int)n) {
		const char *file = orsp__db_file(db);
		orsp_log(ORSP_LOG_WARN,
		         "database %s: the %s schema was migrated from version %d to %d",
		         file ? file : "(no file)", module, start, (int)n);
	}
	return err;
}
