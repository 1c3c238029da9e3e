/* openrsp store: the storage interface of the server roles, and KEK handling.
 *
 * One small interface over an SQL database: open, exec, prepared statements (bind / step /
 * column), write transactions, and versioned migrations. The only backend today is SQLite
 * (WAL mode, busy timeout, `BEGIN IMMEDIATE` write transactions); the interface is a
 * vtable (src/store/store_impl.h) so a PostgreSQL backend can be added behind it without
 * touching callers. To keep SQL portable between backends:
 *   - parameters are written `?1`, `?2`, ... (numbered, 1-based); a PostgreSQL backend
 *     rewrites them to `$1`, `$2`;
 *   - integers are 64-bit (`INTEGER` / `BIGINT`), byte strings are `BLOB` (`BYTEA`), text is
 *     `TEXT`; a migration may carry a backend-specific variant where the dialects differ.
 *
 * Subscriber keys are stored wrapped under a key-encryption key (KEK): AES-256-GCM with a
 * random 96-bit IV and additional data that names the record, so a wrapped value cannot be
 * moved to another row or column.
 *
 * Handles are not thread-safe: one orsp_db per thread (or per process). Many processes may
 * open the same SQLite file at once; write transactions serialise on the database lock.
 */
#ifndef OPENRSP_STORE_H
#define OPENRSP_STORE_H

#include <signal.h>

#include "openrsp/core.h"

/* ----- database handle ----- */

/* The SQLite library in use ("3.40.1"): `openrsp --version`. */
const char *orsp_db_sqlite_version(void);

typedef struct orsp_db orsp_db;
typedef struct orsp_stmt orsp_stmt;

typedef enum orsp_db_backend {
	ORSP_DB_SQLITE = 1,
} orsp_db_backend;

#define ORSP_DB_BUSY_TIMEOUT_MS 10000 /* default wait for the write lock */
/* A writer waiting for the lock tries it again at least this often (µs; the busy handler). */
#define ORSP_DB_BUSY_STEP_MAX_US 5000
/* The size (bytes) an SQLite log is cut back to when it starts again from its beginning: one
 * grown while a reader held back every checkpoint (a backup, a long `list`) is not kept. */
#define ORSP_DB_LOG_KEEP_BYTES (16L * 1024 * 1024)

/* Open (creating if needed) the database named by `uri`: "sqlite:PATH" or a plain PATH
 * (SQLite; a PATH starting with "file:" is an SQLite URI, resolved by SQLite, its file checked
 * and made as a PATH is; a mode= broader than the open allows is narrowed to it, mode=rwc read
 * as rw by an open that creates nothing). A new file is created with mode 0600, and an empty
 * one made beforehand made the owner's only; a file of another user is refused when group or
 * others may write it, or when it is empty and the open would build the database in it
 * (ORSP_E_POLICY, naming its owner). Sets foreign keys on and the busy timeout, and
 * switches the database to WAL mode (persistent) when it is new or empty; one that holds openrsp's
 * `schema_migrations` is switched by orsp_db_migrate, once the module's schema is found no
 * newer than the program; any other database (another program's) is only read and keeps its
 * journal mode, so a caller that then refuses it leaves it as it was. A path that exists but
 * is not a regular file (a directory, a device) is refused.
 * Errors: ORSP_E_USAGE (unknown scheme, not a regular file, a symbolic link to nothing),
 * ORSP_E_POLICY (another user's file, above), ORSP_E_STORAGE (cannot open). */
ORSP_MUST_CHECK orsp_err orsp_db_open(const char *uri, orsp_db **out);

typedef enum orsp_db_open_mode {
	ORSP_DB_OPEN_CREATE = 0,     /* create the database if it does not exist */
	ORSP_DB_OPEN_EXISTING = 1,   /* never create anything: the backend itself opens without
	                                creating, so there is no window between a check and it */
	ORSP_DB_OPEN_READONLY = 2,   /* as EXISTING, and only read: the journal mode is kept,
	                                every write fails (ORSP_E_STORAGE), and no file is made:
	                                a WAL database without its -wal and -shm files (its last
	                                connection closed) is read from the file alone, without a
	                                lock; one with only one of the two is ORSP_E_STATE (SQLite
	                                would make the other). A hot -journal (a writer killed in
	                                its transaction, rollback-journal mode) is rolled back
	                                first by a read-write connection of its own, the file back
	                                at its last commit; where the file may not be written,
	                                ORSP_E_STATE */
	ORSP_DB_OPEN_UNMIGRATED = 3, /* as EXISTING for the database; a module's open
	                                (orsp_smdp_open_ex, orsp_auc_open_ex) then leaves an
	                                older schema at its version and its journal mode as it
	                                is (no migration) but may write: for a backup, which
	                                copies the database as it is and writes its audit row
	                                (the columns every version has) */
} orsp_db_open_mode;

/* orsp_db_open with a mode. ORSP_DB_OPEN_EXISTING: a database that does not exist is
 * ORSP_E_NOT_FOUND ("no database at PATH") and no file is left behind. The open only reads
 * an existing database: an openrsp database (one with `schema_migrations`) is switched to WAL
 * mode, if it was not, by orsp_db_migrate; an empty one (a 0-byte file, or a database without
 * tables) and another program's are left as they were, so a module that refuses them leaves
 * them as they were. */
ORSP_MUST_CHECK orsp_err orsp_db_open_ex(const char *uri, orsp_db_open_mode mode, orsp_db **out);
/* Another handle on db's connection, for another thread. Handles of one connection take
 * turns: a handle has the connection from orsp_db_begin to the end of the transaction and
 * from orsp_db_prepare to orsp_stmt_finalize, and another handle waits meanwhile. One
 * connection keeps its page cache across its own commits, where every commit made through
 * another connection empties it. A thread must not use two handles of one connection at
 * once (the second refuses with ORSP_E_STATE rather than wait for the first). Open views
 * before the handles are handed to other threads, with no transaction open. The connection
 * closes with its last handle.
 * Errors: ORSP_E_USAGE, ORSP_E_STATE (a transaction is open), ORSP_E_RESOURCE. */
ORSP_MUST_CHECK orsp_err orsp_db_open_view(orsp_db *db, orsp_db **out);
/* Close; finalizes nothing for the caller (finalize statements first). NULL-safe.
 * An open transaction is rolled back. */
void orsp_db_close(orsp_db *db);
orsp_db_backend orsp_db_backend_of(const orsp_db *db);
/* Milliseconds to wait for a lock held by another connection before ORSP_E_STORAGE. */
ORSP_MUST_CHECK orsp_err orsp_db_set_busy_timeout(orsp_db *db, unsigned ms);

/* Run one or more SQL statements without parameters or results (DDL, PRAGMA). */
ORSP_MUST_CHECK orsp_err orsp_db_exec(orsp_db *db, const char *sql);

/* Write transaction: takes the write lock at once (SQLite `BEGIN IMMEDIATE`, so a
 * read-then-write sequence cannot deadlock or fail half-way on a lock upgrade).
 * Transactions nest: a begin inside an open transaction starts a savepoint, whose commit
 * keeps its changes for the enclosing transaction and whose rollback undoes only them, so
 * a caller can group functions that each use a transaction into one (one commit, one
 * fsync). Commit without an open transaction: ORSP_E_STATE. When a failed statement ended
 * the whole transaction (SQLite rolls back by itself after an I/O error, a full disk, an
 * interrupt or a trigger's RAISE(ROLLBACK)), every later statement and begin fails with
 * ORSP_E_STORAGE until the outermost level ends, and its commit fails: nothing of the
 * transaction is kept, even by a caller that ignored the first error. */
ORSP_MUST_CHECK orsp_err orsp_db_begin(orsp_db *db);
/* An outermost write transaction whose nested levels are not savepoints: for a caller that
 * gives up the whole transaction whenever a part fails. A nested begin and commit then cost
 * nothing; a nested rollback rolls back everything, every statement until the outermost
 * level ends fails, and the outermost commit reports it (ORSP_E_STORAGE). Inside an open
 * transaction: ORSP_E_STATE. */
ORSP_MUST_CHECK orsp_err orsp_db_begin_flat(orsp_db *db);
/* Commit; the outermost commit returns once the transaction is durable (it survives a
 * power cut). Concurrent commits on one file share their flush (group commit).
 * An error of the outermost commit means either that nothing of the transaction is kept
 * (it was rolled back) or, when only the flush after the commit failed, that it was
 * committed (visible, survives a crash of the process) but may not survive a power cut:
 * orsp_db_committed tells the two apart. One exception SQLite leaves: a COMMIT that failed
 * after its commit frame reached the log (the WAL-index could not grow, an I/O error) is
 * rolled back here, but if the process dies before its next commit on the file, the next
 * open finds it committed (docs/auc.md, "Faults under SQLite"). The transaction is closed
 * in both cases. Once a
 * flush of a file has failed, every later durable commit on it in this process fails that
 * way (the kernel may have dropped what it could not write, and a later flush would not
 * see it), until every handle on the file is closed. */
ORSP_MUST_CHECK orsp_err orsp_db_commit(orsp_db *db);
/* Make durable every commit on the database's file this handle can see, whoever made it:
 * another handle of this process whose flush is still under way, or another process. For a
 * caller about to act on rows it only read (a package sent again from a binding that another
 * request committed: sent before that commit's flush ends, a power cut could lose the
 * binding of a package the eUICC holds). The log is flushed now, whatever the group commit's
 * counts say (they know this process's commits only). Outside a transaction (ORSP_E_STATE
 * inside one). ORSP_E_STORAGE when the flush fails, or failed before on the file (as
 * orsp_db_commit). Nothing to do for a database without a file or a log. */
ORSP_MUST_CHECK orsp_err orsp_db_sync(orsp_db *db);
/* Commit the outermost transaction without waiting for the flush: it is visible at once,
 * survives a crash of the process, and becomes durable with the next durable commit on the
 * same file (or the next checkpoint); only a power cut before that can lose it. For state
 * that is cheap to lose (the caller starts over), never for state that was acted on. Inside
 * a transaction the same as orsp_db_commit. */
ORSP_MUST_CHECK orsp_err orsp_db_commit_lazy(orsp_db *db);
/* Roll back the open transaction, if any. Never fails from the caller's point of view
 * (there is nothing left to do if the rollback itself fails: the backend discards the
 * transaction when the connection closes). */
void orsp_db_rollback(orsp_db *db);
bool orsp_db_in_transaction(const orsp_db *db);
/* Whether the open transaction is lost as a whole: a failure inside it that the rollback of
 * its savepoint could not contain, or that the backend answered by rolling everything back
 * (SQLite after an I/O error, a full disk, a trigger's RAISE(ROLLBACK)). Its commit will fail
 * and nothing of it is kept, the savepoints committed before the failure included. False
 * when no transaction is open, and after a failure a savepoint's rollback contained. For a
 * caller that groups many units into one transaction and must know, after one failed, whether
 * the others are still in it. */
bool orsp_db_transaction_lost(const orsp_db *db);
/* Whether the last outermost transaction of this handle was committed: true after its
 * commit succeeded, or failed only in the flush after it (see orsp_db_commit); false after
 * a rollback or a failed commit, while a transaction is open, and before the first one. For
 * a caller that must never undo, or report as lost, a transaction that was committed. */
bool orsp_db_committed(const orsp_db *db);
/* Whether e, the result of the handle's last outermost commit, is one that took place and
 * failed only in the flush after it (ORSP_E_STORAGE, orsp_db_committed): what the
 * transaction did stands, though a power cut may lose it. */
bool orsp_db_unflushed(const orsp_db *db, orsp_err e);
/* Whether a flush of the database file failed in this process (through any handle on it):
 * from then on no write begins on it (ORSP_E_STORAGE, "an earlier flush ... failed") until
 * every handle on the file is closed (orsp_db_commit; PostgreSQL's "fsyncgate"). Only looks:
 * takes no turn, lock or queue, so a health check can ask at any time. False for a database
 * without a file, and for NULL. */
bool orsp_db_flush_failed(const orsp_db *db);
/* Whether a write of the database file failed in this process for want of room (the disk or
 * the owner's quota full: SQLite's "database or disk is full") and has not found room since:
 * true until a commit that writes, through any handle on the file, succeeds (one that
 * changes nothing writes nothing and tells nothing), or the file system's free
 * space has grown to twice what it was at the failure plus 1 MiB (files removed, the volume
 * grown), which this call looks at (statvfs). Only looks, as orsp_db_flush_failed: for a
 * health check. False for a database without a file, and for NULL. */
bool orsp_db_out_of_room(const orsp_db *db);
/* Whether the WAL-index lock state of the database file is lost in this process: an unlock of
 * a lock on its -shm file failed for good (src/store/sqlite_vfs.c), and from then on every
 * statement of the process on the file fails at once ("the lock state is lost ...: restart")
 * until every handle on it is closed. Known from the first call that failed so, through any
 * handle on the file. Only looks, as orsp_db_flush_failed: for a health check. False for a
 * database without a file, and for NULL. */
bool orsp_db_lock_lost(const orsp_db *db);

/* Rows changed by the last INSERT/UPDATE/DELETE statement. */
int64_t orsp_db_changes(orsp_db *db);

/* ----- prepared statements ----- */

/* Prepare one SQL statement (trailing text other than whitespace is ORSP_E_USAGE). */
ORSP_MUST_CHECK orsp_err orsp_db_prepare(orsp_db *db, const char *sql, orsp_stmt **out);
/* NULL-safe. */
void orsp_stmt_finalize(orsp_stmt *st);
/* Reset to run again; bindings are kept. */
ORSP_MUST_CHECK orsp_err orsp_stmt_reset(orsp_stmt *st);

/* Bind parameter `idx` (1-based, `?idx` in the SQL). Text and blobs are copied. */
ORSP_MUST_CHECK orsp_err orsp_stmt_bind_int64(orsp_stmt *st, int idx, int64_t v);
ORSP_MUST_CHECK orsp_err orsp_stmt_bind_text(orsp_stmt *st, int idx, const char *v);
ORSP_MUST_CHECK orsp_err orsp_stmt_bind_blob(orsp_stmt *st, int idx, const void *p, size_t n);
ORSP_MUST_CHECK orsp_err orsp_stmt_bind_null(orsp_stmt *st, int idx);

/* Run the statement to its next row: *row is true when a row is available (read it with
 * the column functions), false when the statement is done.
 * Errors: ORSP_E_EXISTS (a UNIQUE or PRIMARY KEY constraint), ORSP_E_STORAGE (anything
 * else, including a lock not obtained within the busy timeout). */
ORSP_MUST_CHECK orsp_err orsp_stmt_step(orsp_stmt *st, bool *row);
/* Step a statement that returns no rows (INSERT/UPDATE/DELETE). */
ORSP_MUST_CHECK orsp_err orsp_stmt_run(orsp_stmt *st);

/* Columns of the current row, 0-based. Values are borrowed until the next step, reset or
 * finalize. A NULL column reads as 0, "" or an empty slice. */
bool orsp_stmt_column_is_null(orsp_stmt *st, int col);
int64_t orsp_stmt_column_int64(orsp_stmt *st, int col);
const char *orsp_stmt_column_text(orsp_stmt *st, int col);
orsp_slice orsp_stmt_column_blob(orsp_stmt *st, int col);

/* ----- migrations ----- */

/* One schema step of one module. Versions start at 1 and increase by 1 in the array. */
typedef struct orsp_migration {
	int version;
	const char *description;
	const char *sql;       /* portable SQL, or the SQLite dialect */
	const char *sql_pgsql; /* PostgreSQL variant; NULL = same as sql (unused until that backend
	                          exists) */
} orsp_migration;

/* Bring `module` to the latest version: creates `schema_migrations(module, version,
 * description, applied_at)` if needed, then applies, in the same write transaction (each
 * step together with its schema_migrations row), every migration newer than the
 * version recorded when the write lock is taken. Idempotent; several processes of this
 * program creating a new database at once are safe. Several starting at once on an older
 * schema are not told apart from an older program's: each may be refused while the other has
 * the database open (a review found one of two refused in every round), and migrates once
 * restarted after it.
 * ORSP_E_STATE if the database records a version newer than this program knows, and when the
 * module's schema exists (version > 0) and is older than this program's while another process
 * has the database open (seen in /proc/locks by the lock its SQLite connection holds on
 * <file>-shm in WAL mode; without /proc/locks this is not checked): nothing is written then
 * (docs/auc.md, "Migrations"). */
ORSP_MUST_CHECK orsp_err orsp_db_migrate(orsp_db *db, const char *module,
                                         const orsp_migration *migrations, size_t n);
/* orsp_db_migrate; *first (not NULL): whether this call applied the module's first migration,
 * not another process migrating at the same moment (a caller that says it made a new
 * database). */
ORSP_MUST_CHECK orsp_err orsp_db_migrate_ex(orsp_db *db, const char *module,
                                            const orsp_migration *migrations, size_t n,
                                            bool *first);
/* ORSP_E_STATE (the same as orsp_db_migrate's) if the database records a version of
 * `module` newer than the n steps this program knows; only reads. For a caller that
 * migrates several modules of one database in turn: each module's migration writes to the
 * database (its steps, the switch to WAL) before the next one can refuse it, so the caller
 * checks every module first. */
ORSP_MUST_CHECK orsp_err orsp_db_schema_check(orsp_db *db, const char *module, size_t n);
/* What orsp_db_migrate to n steps would refuse, said without writing: orsp_db_schema_check's
 * ORSP_E_STATE, and the same refusal (the same words, the pid) as the migration's when the
 * module's schema exists, is older than n and another process has the database open. Only
 * reads: for a check that says beforehand what a start would do (`smdp serve --check`). As
 * the migration's own, the test reads /proc/locks (without it nothing is seen). */
ORSP_MUST_CHECK orsp_err orsp_db_migrate_check(orsp_db *db, const char *module, size_t n);
/* Another process that has the SQLite database `file` (a path) open: one whose connection
 * holds the lock every connection in WAL mode holds on the DMS byte of <file>-shm for its
 * life, read from /proc/locks (orsp_lock_holder; this process's own are not counted). Its
 * pid; 0 when none is seen, also when there is no -shm file (nobody has the database open in
 * WAL mode); -1 when it cannot be told (no /proc/locks, the -shm file not looked at). A
 * connection in another journal mode holds no lock between its transactions and is not
 * seen (openrsp's databases are in WAL mode from their creation), nor is a process of
 * another PID namespace whose /proc this one does not see. The migrations' test of another
 * user (orsp_db_migrate), and `smdp serve`'s of a second server on its port. */
long orsp_db_file_user(const char *file);
/* The recorded version of `module` (0 if none, also in a database without
 * `schema_migrations`). */
ORSP_MUST_CHECK orsp_err orsp_db_schema_version(orsp_db *db, const char *module, int *version);
/* Whether the database holds any table but `schema_migrations` (and the backend's own):
 * for a module that must not move into a database another module or program uses. */
ORSP_MUST_CHECK orsp_err orsp_db_has_tables(orsp_db *db, bool *any);
/* The recorded version of `module` in *version and, when it is 0, whether the database holds
 * other tables (orsp_db_has_tables) in *other: a module's test of whether the database is its
 * own or no one's yet. Safe against another process migrating the same new database at that
 * moment: tables seen without a version are looked at again (the first step's tables and
 * its version row are committed together), so they are not taken for another program's. */
ORSP_MUST_CHECK orsp_err orsp_db_module_state(orsp_db *db, const char *module, int *version,
                                              bool *other);
/* A module's test of whether `db` (opened from `db_uri`) is its own, or may become its own
 * under `mode`: ORSP_OK, or the refusal to report. Only reads. */
typedef orsp_err (*orsp_db_own_fn)(orsp_db *db, const char *db_uri, orsp_db_open_mode mode);
/* The mode in which a database is looked at before an open in `mode` (a probe, a check of
 * what is wrong with it): ORSP_DB_OPEN_READONLY for a read-only open, which makes no -wal or
 * -shm file either, else ORSP_DB_OPEN_EXISTING (nothing created, nothing migrated). */
orsp_db_open_mode orsp_db_look_mode(orsp_db_open_mode mode);
/* Open the existing database `db_uri` (in orsp_db_look_mode(mode)), run
 * `own` on it with `mode` and close it: a module's check, before it takes its KEK or creates
 * files beside the database, that its open would not refuse the database. `what` names the
 * caller in the usage error. */
ORSP_MUST_CHECK orsp_err orsp_db_probe(const char *what, const char *db_uri, orsp_db_open_mode mode,
                                       orsp_db_own_fn own);

/* ----- the database's own files ----- */

/* Whether this user may use the files of the database `uri` names as an open with `mode`
 * needs them: the database file and its -wal and -shm files, where they exist, readable
 * (ORSP_DB_OPEN_READONLY) or readable and writable (any other mode), and their directory
 * searchable and, for an open that writes while -wal or -shm is not there yet, writable
 * (SQLite makes them). ORSP_E_STORAGE otherwise, naming the file or the directory with its
 * owner and mode against this user ("cannot open the database PATH: PATH is owned by uid 0
 * (mode 0600), not by this user (uid 16001), who may not read and write it: run as its
 * owner, or chown it if it is this user's"): a database root made for a service that runs as
 * another user. Only looks (stat, faccessat with the effective ids); ORSP_OK when none of
 * them is the cause, also for a file that does not exist yet and a database kept in memory.
 * An open that SQLite refuses for such a cause says the same after its own words. */
ORSP_MUST_CHECK orsp_err orsp_db_access_check(const char *uri, orsp_db_open_mode mode);

/* The file of the SQLite database `uri` names, as the store opens it, into out[cap]:
 * "sqlite:" taken off, a plain path as it is, a "file:" URI's path as SQLite reads it (an
 * authority other than localhost refused, %-escapes decoded, query and fragment dropped).
 * Errors: ORSP_E_USAGE (a malformed file: URI, a path longer than cap). */
ORSP_MUST_CHECK orsp_err orsp_db_uri_file(const char *uri, char *out, size_t cap);
/* Whether `uri` names a database SQLite keeps in memory only, gone when the last connection
 * closes: ":memory:" (after an optional "sqlite:"), a "file:" URI whose path is ":memory:"
 * or whose query has mode=memory or vfs=memdb. The AuC and the SM-DP+ refuse such a
 * database from the command line and the configuration (their SQNs, profiles and sessions
 * would be lost at exit); tests and the fuzz harnesses open them through the library. */
bool orsp_db_uri_in_memory(const char *uri);
/* Refuse `path`, a file to be made or read beside a database (a KEK file, a rotation's new
 * KEK file, a backup; `what` names it in the message), where it is the database file itself
 * or one of the files SQLite keeps beside it, <database>-journal, -wal or -shm: SQLite
 * deletes or takes those over at a later open or commit, and with them the KEK or the
 * backup. Compared by name (the database's real path, symbolic links resolved as SQLite
 * resolves them to name those files; path's own real path, or its directory's where it does
 * not exist yet), and by device and inode where both exist (a hard link).
 * orsp_db_uri_not_own_file: the database db_uri names (orsp_db_uri_file; ":memory:" has no
 * file); orsp_db_not_own_file: the one db has open.
 * Errors: ORSP_E_USAGE (such a path: "... is the write-ahead log of the database ...", or
 * a malformed db_uri). */
ORSP_MUST_CHECK orsp_err orsp_db_uri_not_own_file(const char *db_uri, const char *path,
                                                  const char *what);
ORSP_MUST_CHECK orsp_err orsp_db_not_own_file(orsp_db *db, const char *path, const char *what);

/* ----- backups ----- */

#define ORSP_DB_PATH_MAX 4096 /* PATH_MAX on Linux, its NUL included */

/* What orsp_db_backup needs of the module whose database it copies. */
typedef struct orsp_db_backup_hooks {
	/* Check the copy, opened read-only on a connection of its own: the module's schema at
	 * the source's version, its KEK check value against the KEK the module holds
	 * (orsp_kek_check_existing), and whatever the module reports (counts). Unwraps nothing
	 * but the check value. */
	orsp_err (*verify)(void *arg, orsp_db *copy);
	/* Append the module's "backup" audit row naming `path` (the backup's absolute name) to
	 * the source database, in one outermost transaction of its own committed durably on the
	 * db handle given to orsp_db_backup. written false: after such a row, the backup did not
	 * appear after all (a "not written" row, best effort). orsp_db_backup asks for that one
	 * itself when the first row's commit failed only in its flush (orsp_db_committed). */
	orsp_err (*audit)(void *arg, const char *path, bool written);
	void *arg;
} orsp_db_backup_hooks;

typedef struct orsp_db_backup_result {
	char path[ORSP_DB_PATH_MAX]; /* the backup's absolute name */
	uint64_t size;               /* bytes */
} orsp_db_backup_result;

/* Copy the database db, while other connections and processes go on reading and writing
 * it, into the new file `out` (mode 0600): one consistent snapshot (SQLite: VACUUM INTO, one
 * read transaction, which in WAL mode blocks no writer; the copy holds the live rows only and
 * is in rollback-journal mode until a store opens it for writing). Steps:
 *   1. out's directory must exist (ORSP_E_NOT_FOUND) and out must not (ORSP_E_EXISTS, the
 *      file there untouched), nor be the database or one of SQLite's files beside it
 *      (ORSP_E_USAGE, orsp_db_not_own_file), before anything is read;
 *   2. the copy goes to a temporary file created O_EXCL beside out (out + ".tmpXXXXXX",
 *      out's last component cut so that it and SQLite's "-journal" of it fit NAME_MAX),
 *      is fsynced, opened read-only and checked: PRAGMA integrity_check (every page, and
 *      every index against its table: the copy is read back whole, so a copy an index of
 *      which disagrees is not taken for a backup), then hooks->verify;
 *   3. hooks->audit(arg, path, true) on the source, durably: an audit row for every backup
 *      that appears, committed before it does (as the AuC's export audits keys before they
 *      leave);
 *   4. the temporary file is linked to out without replacing anything (link(); a file
 *      system without hard links: renameat2 RENAME_NOREPLACE), removed, and the directory
 *      fsynced.
 * Any failure removes the temporary file and leaves no `out`; a failure after the row of
 * step 3 was committed (its flush failing included) also calls hooks->audit(arg, path,
 * false). *stop (may be NULL), set by a signal handler, stops
 * the work before step 3 (ORSP_E_STATE "interrupted"), also in the middle of the copy.
 * Failure injection (orsp_db_inject_failure on db) counts the copy as one operation, then the
 * operations on the copy's handle during the checks, then the audit's.
 * Errors: ORSP_E_USAGE (bad arguments, a name that is a directory or too long),
 * ORSP_E_NOT_FOUND (no directory), ORSP_E_EXISTS (out exists, or appeared by step 4),
 * ORSP_E_STORAGE (the copy, or a copy that fails its checks), ORSP_E_IO, ORSP_E_STATE (a
 * transaction is open on db; interrupted), and what the hooks return. res gets the backup's
 * absolute name and size (on failure the size is 0). */
/* The checks of `out` that orsp_db_backup makes before it reads anything (its name, not the
 * database db_uri names nor one of SQLite's files beside it, its directory there, out not),
 * for a caller to make before it opens the database: that open may migrate an older one, or
 * switch it to WAL, and a refusal must leave it as it was. Also for other files a verb
 * writes beside a database (an export); `what` names the file in the messages ("backup").
 * Only looks. Errors as orsp_db_backup's for these. */
ORSP_MUST_CHECK orsp_err orsp_db_out_check(const char *db_uri, const char *out, const char *what);

ORSP_MUST_CHECK orsp_err orsp_db_backup(orsp_db *db, const char *out,
                                        const orsp_db_backup_hooks *hooks,
                                        const volatile sig_atomic_t *stop,
                                        orsp_db_backup_result *res);

/* ----- failure injection (tests) ----- */

/* Make the n-th following database operation (prepare, step, exec, begin, commit; 0 = the
 * next one) fail with ORSP_E_STORAGE, once. Rollback is never failed. Pass -1 to disarm.
 * Used by the tests to prove that a failure between any two writes leaves no trace. */
void orsp_db_inject_failure(orsp_db *db, int n);
/* Make the next flush after a durable commit of this handle fail with ORSP_E_STORAGE, once
 * (orsp_db_inject_failure does not count flushes). The commit itself has happened then; as
 * after a real failure, no later commit on the file is called durable (orsp_db_commit). */
void orsp_db_inject_sync_failure(orsp_db *db);

/* ----- key-encryption key ----- */

#define ORSP_KEK_LEN 32
#define ORSP_WRAP_VERSION 1
#define ORSP_WRAP_IV_LEN 12
#define ORSP_WRAP_TAG_LEN 16
/* blob = version (1) || IV (12) || ciphertext (n) || tag (16) */
#define ORSP_WRAP_OVERHEAD (1 + ORSP_WRAP_IV_LEN + ORSP_WRAP_TAG_LEN)
#define ORSP_WRAP_MAX (ORSP_SECRET_MAX + ORSP_WRAP_OVERHEAD)

/* Load the 256-bit KEK: from the environment variable ORSP_KEK (64 hex digits, not all zeros:
 * ORSP_E_USAGE) when set,
 * otherwise from `path` (32 raw bytes, or 64 hex digits with an optional final newline; 32
 * zero bytes in either form are refused, ORSP_E_MALFORMED: what kek seal leaves in a file; so
 * are 32 bytes that begin as a sealed KEK file does: one cut short).
 * If `path` does not exist it is created with 32 random bytes and mode 0600 (atomically:
 * never overwriting a file that appears meanwhile); orsp_kek_load_existing never creates
 * it and answers ORSP_E_NOT_FOUND instead. A KEK file that group or others may
 * access is refused (ORSP_E_POLICY), as is one that is not a regular file or that another
 * user (uid other than the effective one) owns, and one whose path another user could change:
 * a directory on it of another user's, or one that group or others may write in without the
 * sticky bit, or another user's link (orsp_path_open_trusted's rules); a new file is made in
 * the directory that walk judged (orsp_path_open_parent_trusted), and so are kek seal's and
 * unseal's.
 * Errors: ORSP_E_USAGE (bad ORSP_KEK), ORSP_E_MALFORMED (bad file content), ORSP_E_POLICY,
 * ORSP_E_IO (also a file to create whose directory does not exist: "cannot create KEK file
 * PATH: No such file or directory"), ORSP_E_NOT_FOUND (orsp_kek_load_existing). On failure
 * *kek is wiped. */
ORSP_MUST_CHECK orsp_err orsp_kek_load(const char *path, orsp_secret *kek);
ORSP_MUST_CHECK orsp_err orsp_kek_load_existing(const char *path, orsp_secret *kek);
/* ORSP_KEK's value (the KEK in hex) wiped in place in the environment and the variable
 * removed (unsetenv): for a process that has read it for the last time, or never reads it,
 * and starts no process that needs it. Not while other threads may read the environment. */
void orsp_kek_env_wipe(void);
/* From now on the first load that takes the KEK from ORSP_KEK (any orsp_kek_load*) wipes it
 * once decoded (orsp_kek_env_wipe), and every load after that one is refused (ORSP_E_STATE,
 * "ORSP_KEK was read once ..."), never answered from a KEK file instead: for a process that
 * loads its KEK once (`smdp serve`: orsp_smdp_server_start) and starts nothing that needs it.
 * Call it before other threads start. */
void orsp_kek_env_once(void);
/* The KEK of the database db_uri, from path or ORSP_KEK: orsp_kek_load (the file created if
 * missing) for a database that does not exist yet or holds no table, orsp_kek_load_existing
 * for one that holds anything (ORSP_E_NOT_FOUND without its KEK file): a new random KEK
 * could not open that database, and would sit where the real one is to be restored. A path
 * that is the database or one of SQLite's files beside it is ORSP_E_USAGE, nothing read or
 * made (orsp_db_uri_not_own_file). */
ORSP_MUST_CHECK orsp_err orsp_kek_load_for_db(const char *db_uri, const char *path,
                                              orsp_secret *kek);
/* orsp_kek_load_for_db; *made (not NULL): whether this call created the KEK file (not another
 * process creating it at the same moment, whose file is taken). */
ORSP_MUST_CHECK orsp_err orsp_kek_load_for_db_ex(const char *db_uri, const char *path,
                                                 orsp_secret *kek, bool *made);

/* Wrap `plain` under `kek` for the record named by `aad` (e.g. "auc:k:001010123456789"):
 * out (cap >= plain->len + ORSP_WRAP_OVERHEAD) gets version || IV || ciphertext || tag.
 * The version byte is authenticated together with aad. */
ORSP_MUST_CHECK orsp_err orsp_kek_wrap(const orsp_secret *kek, const char *aad,
                                       const orsp_secret *plain, uint8_t *out, size_t cap,
                                       size_t *out_len);
/* Unwrap a blob made by orsp_kek_wrap with the same aad. ORSP_E_VERIFY if the tag does not
 * match (wrong KEK, tampered blob, or a blob of another record), ORSP_E_MALFORMED for an
 * unknown version or a bad length. On failure *plain is wiped. */
ORSP_MUST_CHECK orsp_err orsp_kek_unwrap(const orsp_secret *kek, const char *aad,
                                         const uint8_t *blob, size_t n, orsp_secret *plain);

/* Bind a database to its KEK. `table` (a module's own table with columns id INTEGER PRIMARY
 * KEY and wrapped BLOB) holds `check` wrapped under the KEK with `aad`. On the first open this
 * stores it; on later opens the stored value must unwrap with this KEK to exactly `check`
 * (compared in constant time), else ORSP_E_VERIFY "wrong KEK". A missing check value is
 * stored only while `data_probe` (a query that returns a row when the module holds data,
 * or NULL) returns none: a database that holds data but lost its check value (damage, a
 * partial restore) is ORSP_E_VERIFY, not bound to whatever KEK opens it next. Runs in its
 * own transaction. `table` and `data_probe` come from the caller's code, never outside
 * input. */
ORSP_MUST_CHECK orsp_err orsp_kek_check(orsp_db *db, const orsp_secret *kek, const char *table,
                                        const char *aad, const uint8_t *check, size_t check_len,
                                        const char *data_probe);
/* orsp_kek_check, storing a missing check value only with `store`: without it (a read-only
 * connection) a database that holds data but no check value is refused all the same, and one
 * that holds neither is taken as it is. */
ORSP_MUST_CHECK orsp_err orsp_kek_check_ex(orsp_db *db, const orsp_secret *kek, const char *table,
                                           const char *aad, const uint8_t *check, size_t check_len,
                                           const char *data_probe, bool store);

/* orsp_kek_check for a database that must already hold its check value and may be read-only
 * (a backup being verified): only reads. ORSP_E_VERIFY "wrong KEK" as orsp_kek_check, or
 * when the table holds no check value. */
ORSP_MUST_CHECK orsp_err orsp_kek_check_existing(orsp_db *db, const orsp_secret *kek,
                                                 const char *table, const char *aad,
                                                 const uint8_t *check, size_t check_len);
/* orsp_kek_check_existing on a connection of its own to the existing database db_uri
 * (ORSP_DB_OPEN_EXISTING: a -wal an interrupted writer left is recovered, as by every open;
 * nothing migrated, nothing stored), after the module's `own` test of it: whether the
 * database opens with kek. ORSP_E_VERIFY "wrong KEK", or the open's or own's refusal. */
ORSP_MUST_CHECK orsp_err orsp_kek_opens(const char *db_uri, orsp_db_own_fn own,
                                        const orsp_secret *kek, const char *table, const char *aad,
                                        const uint8_t *check, size_t check_len);
/* For a module's open, before its migration writes to the database: a database with the
 * schema of `module` at a version of the n this program knows must open with `kek`
 * (orsp_kek_check_existing), so a wrong KEK is refused before an older database is upgraded,
 * and switched to WAL, by an open that then refuses it. ORSP_OK when there is no such schema
 * yet, a newer one (the migration refuses it), or no check value (orsp_kek_check sees to a
 * missing one after the migration). Only reads. */
ORSP_MUST_CHECK orsp_err orsp_kek_precheck(orsp_db *db, const char *module, size_t n,
                                           const orsp_secret *kek, const char *table,
                                           const char *aad, const uint8_t *check, size_t check_len);

/* ----- KEK rotation ----- */

/* Create the KEK file `path`, which must not exist (ORSP_E_EXISTS otherwise, and the file
 * there is left alone), as orsp_kek_load creates one: 32 random bytes, mode 0600, written
 * whole and fsynced with its directory before it appears under its name. *kek gets the
 * value read back from the file (ORSP_KEK is not looked at). */
ORSP_MUST_CHECK orsp_err orsp_kek_create_new(const char *path, orsp_secret *kek);

/* KEK files sealed by an AES key in a PKCS#11 token (docs/crypto.md, "A KEK sealed by a
 * token"): the file holds the token key's URI (its PIN from pin-source, never pin-value), a
 * random IV and the KEK under AES-256-GCM there; every load above opens it through the token,
 * so the file alone (a stolen disk or backup) does not give the KEK. The token's key must
 * exist and may encrypt and decrypt; each function checks that the token opens what it sealed
 * before writing anything. */
/* Whether the file at path is a sealed KEK file, and then its URI (cap bytes). */
ORSP_MUST_CHECK orsp_err orsp_kek_sealed_uri(const char *path, char *uri, size_t cap, bool *sealed);
/* Seal the (raw or hex) KEK file at path in place under the token key uri: the file is
 * replaced whole (renamed over), then the old clear file, kept open, is overwritten with zeros
 * and flushed, so that where a file system writes in place its blocks no longer hold the KEK
 * (not on copy-on-write file systems, flash, snapshots or backups: docs/crypto.md).
 * The clear file is locked (flock LOCK_EX) from its open to its overwrite; every read of a
 * KEK file takes LOCK_SH. The file and every name made are reached by name in its directory
 * as judged (a directory on the path moved meanwhile takes the seal along). ORSP_E_EXISTS if it
 * is sealed already; ORSP_E_STATE if the file was replaced or moved out of its directory
 * meanwhile (nothing done); ORSP_E_IO if the file cannot be
 * opened for writing (nothing done), or if the zeros could not be written; ORSP_E_POLICY if
 * the old file was given another name meanwhile (not overwritten). In those last two the file
 * is sealed: the message says so. */
ORSP_MUST_CHECK orsp_err orsp_kek_seal(const char *path, const char *uri);
/* Back to a raw KEK file (32 bytes), through the token: ORSP_E_STATE if it is not sealed. */
ORSP_MUST_CHECK orsp_err orsp_kek_unseal(const char *path);
/* Move the sealed KEK file at path to another token key, uri (a new AES key, another token,
 * a replaced HSM): the KEK opened through the key the file names is sealed under uri with a
 * new random IV, opened again by uri's token, and the file replaced whole as orsp_kek_seal
 * replaces it (the same lock; a symbolic link or another hard link refused, ORSP_E_POLICY).
 * The KEK is never written in clear; the old file, sealed, is not overwritten. uri may name
 * the key the file names (a new pin-source or module-path, say): the file then holds it and
 * a new IV. *was (cap bytes; NULL: not wanted): the URI the file held. ORSP_E_STATE if the
 * file is not sealed (its KEK not read), if the new key or its token is not there, or if
 * the file was replaced or moved meanwhile; the error of the file's own token if it does
 * not open the file; ORSP_E_USAGE for a uri that is no PKCS#11 URI or holds a pin-value. On
 * every error but a failed flush of the directory (the message says the file was replaced)
 * the file is as it was. */
ORSP_MUST_CHECK orsp_err orsp_kek_reseal(const char *path, const char *uri, char *was, size_t cap);
/* orsp_kek_create_new, the new KEK sealed under uri from the start (never in clear on disk). */
ORSP_MUST_CHECK orsp_err orsp_kek_create_new_sealed(const char *path, const char *uri,
                                                    orsp_secret *kek);

/* For work that needs an SQLite database to itself (KEK rotation): whether another process
 * has it open, from the shared lock every SQLite connection in WAL mode holds on a byte of
 * the database's WAL-index (<file>-shm) for its lifetime. Open the guard BEFORE this
 * process opens the database, and close it only AFTER this process's last connection to
 * the database is closed: the guard keeps a descriptor of the -shm file, and closing any
 * descriptor of a file drops all of the process's POSIX locks on it, SQLite's included.
 * Only a database in WAL mode has the WAL-index: in another journal mode the guard sees
 * nothing (orsp_kek_rekey refuses such a database).
 * `path` is the database file ("sqlite:" prefix allowed; a "file:" URI or ":memory:" is
 * ORSP_E_USAGE). Errors: ORSP_E_STATE (another process has it open: the message says to stop
 * the servers), ORSP_E_NOT_FOUND (no database there), ORSP_E_IO, ORSP_E_USAGE. */
typedef struct orsp_db_guard orsp_db_guard;
ORSP_MUST_CHECK orsp_err orsp_db_guard_open(const char *path, orsp_db_guard **out);
/* The same test again (this process's own connections do not count). */
ORSP_MUST_CHECK orsp_err orsp_db_guard_check(orsp_db_guard *g);
/* NULL-safe. */
void orsp_db_guard_close(orsp_db_guard *g);

/* One column of a module's values wrapped under its KEK, for orsp_kek_rekey. */
typedef struct orsp_kek_column {
	const char *table, *column; /* names, for messages, the docs and tests */
	const char *module;         /* the column exists once `module`'s schema is at */
	int since;                  /* version `since` (orsp_db_schema_version) */
	/* Every row with a value: its key columns (as many as `keys` has letters), the wrapped
	 * value, then whatever `aad` reads. */
	const char *select;
	/* Replace one row's value: ?1 the new wrapped value, ?2... the key columns. */
	const char *update;
	const char *keys; /* one letter per key column: 'i' INTEGER, 't' TEXT */
	/* The record name (AAD) the row's value is wrapped with, from the select's columns.
	 * NULL: the column holds no value wrapped under the KEK (data sealed under a key that
	 * another column wraps): listed so that every secret column of the schema is. */
	void (*aad)(orsp_stmt *row, char *out, size_t cap);
} orsp_kek_column;

/* The checks of new_path that orsp_kek_rekey makes, for a caller to make before it opens the
 * database db_uri names (that open may migrate an older one, or switch it to WAL, and a
 * refusal must leave it as it was): ORSP_E_USAGE (the database or one of SQLite's files
 * beside it), ORSP_E_EXISTS (new_path exists: never overwritten; the KEK not being checked
 * yet, orsp_kek_rekey_left tells the caller which KEK opens the database), ORSP_E_IO (its
 * directory missing, or new_path not to be looked at). Only looks. */
ORSP_MUST_CHECK orsp_err orsp_kek_rekey_check(const char *db_uri, const char *new_path);

/* A module's test of whether the existing database db_uri opens with kek: its stored check
 * value unwraps with it (orsp_kek_check_existing), on a connection of its own, opened
 * ORSP_DB_OPEN_EXISTING (which recovers a -wal an interrupted writer left, as every open
 * does) and closed again; nothing migrated, nothing stored. ORSP_E_VERIFY "wrong KEK". */
typedef orsp_err (*orsp_kek_opens_fn)(const char *db_uri, const orsp_secret *kek);

/* After orsp_kek_rekey_check's ORSP_E_EXISTS, what a rotation interrupted after it created
 * new_path left: which of the KEK given (ORSP_KEK, else the file kek_path:
 * orsp_kek_load_existing) and new_path's contents (ORSP_KEK not looked at) the database opens
 * with (`opens`, the module's). Always an error, nothing being rotated: ORSP_E_EXISTS with the
 * message "NEW exists already: the rotation that left it committed (the database opens with
 * NEW, not with the KEK given): NEW is the database's KEK now; ..." when new_path opens it, or
 * "...: a rotation that left it did not commit (the database opens with the KEK given, not
 * with NEW ...): if an interrupted rotation of this database left it, delete NEW and run the
 * rotation again; ..." when the KEK given does, or "it holds the KEK given" when both do;
 * when neither does, the error of the KEK given (or NEW's, when that one's is ORSP_E_VERIFY)
 * with both reasons. ORSP_E_USAGE for a malformed ORSP_KEK (its detail names it). */
ORSP_MUST_CHECK orsp_err orsp_kek_rekey_left(const char *db_uri, const char *kek_path,
                                             const char *new_path, orsp_kek_opens_fn opens);

/* Rotate the KEK of the database `db`, opened (after `g`) with and checked against
 * old_kek: create the KEK file new_path (orsp_kek_create_new: refused if it exists, and with
 * ORSP_E_USAGE if it is the database or one of SQLite's files beside it,
 * orsp_db_not_own_file; sealed
 * under the token key seal_uri with orsp_kek_create_new_sealed when seal_uri is not NULL), then
 * in one write transaction unwrap every value of `cols` with old_kek and wrap it under the
 * new KEK with the same record name (each plaintext wiped at once), append the audit row
 * (`audit(arg, new_path)`, inside the transaction), test `g` again, and commit durably.
 * Any failure before the commit rolls everything back and removes new_path: ORSP_E_VERIFY /
 * ORSP_E_MALFORMED naming the column and the record of a value that does not unwrap,
 * ORSP_E_STATE (another process has the database open), ORSP_E_POLICY (the database is not
 * in WAL mode, so `g` could not see another process: refused before new_path is created),
 * ORSP_E_EXISTS (new_path exists), ORSP_E_STORAGE. A failed commit keeps new_path: one whose flush
 * alone failed (orsp_db_committed) because the database needs it, and a failed COMMIT because the
 * database may need it (SQLite may have logged the commit before failing, and recovers it
 * at the next open should this process die first); the message says that the same rekey run
 * again tells which KEK opens the database (orsp_kek_rekey_left). On success *new_kek holds the new
 * KEK (the caller wipes it) and *count (may be NULL) the number of values re-wrapped; after a
 * commit whose flush alone failed *new_kek holds it too (the error returned), as the database is
 * under it: a handle goes on with it. After a failed COMMIT the KEK the database needs is not
 * known: close the handle. The audit row names new_path by its absolute name. */
ORSP_MUST_CHECK orsp_err orsp_kek_rekey(orsp_db *db, orsp_db_guard *g, const orsp_secret *old_kek,
                                        const char *new_path, const char *seal_uri,
                                        const orsp_kek_column *cols, size_t n,
                                        orsp_err (*audit)(void *arg, const char *new_path),
                                        void *arg, orsp_secret *new_kek, size_t *count);

#endif
