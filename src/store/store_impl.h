/* Private to src/store: the backend vtable behind orsp_db and orsp_stmt.
 *
 * A backend implements these operations on its own connection and statement objects;
 * db.c adds what is common to all backends (transaction state, failure injection, argument
 * checks). A PostgreSQL backend is one more `orsp_db_ops` and one more URI scheme.
 */
#ifndef ORSP_STORE_IMPL_H
#define ORSP_STORE_IMPL_H

#include <signal.h>

#include "openrsp/store.h"

struct orsp_db_ops {
	const char *name;
	orsp_db_backend backend;
	/* ORSP_DB_OPEN_EXISTING: open without creating anything, ORSP_E_NOT_FOUND if the
	 * database does not exist */
	orsp_err (*open)(const char *target, orsp_db_open_mode mode, void **conn);
	/* the file the connection opened (absolute), NULL if none: names the write queue */
	const char *(*file_of)(void *conn);
	void (*close)(void *conn);
	orsp_err (*set_busy_timeout)(void *conn, unsigned ms);
	orsp_err (*exec)(void *conn, const char *sql);
	orsp_err (*begin)(void *conn); /* a write transaction, lock taken now */
	orsp_err (*commit)(void *conn);
	orsp_err (*rollback)(void *conn);
	/* whether the connection is inside a transaction: the backend may end one by itself
	 * after an error (SQLite does after an I/O error, a full disk, an interrupt or a
	 * trigger's RAISE(ROLLBACK)) */
	bool (*in_tx)(void *conn);
	int64_t (*changes)(void *conn);
	/* Write a consistent copy of the whole database (one read snapshot, not blocking
	 * writers for long) into the file `path`, which does not exist or is empty; stops with
	 * ORSP_E_STATE when *stop (may be NULL) becomes non-zero. Outside a transaction. */
	orsp_err (*copy_into)(void *conn, const char *path, const volatile sig_atomic_t *stop);
	/* Switch an existing database of openrsp's to the journal mode the backend prefers,
	 * which the open left for orsp_db_migrate to do once the schema is found no newer than
	 * the program (NULL: nothing to do). Outside a transaction. */
	orsp_err (*use_wal)(void *conn);
	/* Making commits durable, in two steps: log_of finds what to flush (a connection call;
	 * *log NULL: commits are durable by themselves), sync_log flushes it and makes every
	 * commit of the connection so far durable. sync_log must not use the connection, so
	 * that handles sharing one can flush while another has its turn. */
	orsp_err (*log_of)(void *conn, void **log);
	orsp_err (*sync_log)(void *log);
	/* Whether a checkpoint the connection ran since the last call (inside a commit, as the
	 * backend does by itself) failed, which may have lost committed writes as a failed
	 * sync_log may; clears it. NULL: the backend runs none. A connection call. */
	bool (*checkpoint_failed)(void *conn);
	/* Whether the connection's call that just failed failed for want of room: the disk or
	 * the owner's quota full. Asked right after that call, in the same turn; NULL: the
	 * backend cannot tell. */
	bool (*out_of_room)(void *conn);
	/* Whether the WAL-index lock state of the connection's file is lost in this process (an
	 * unlock that failed for good: every statement of the process on the file fails until
	 * each of its connections to it is closed). Asked right after a call failed, in the same
	 * turn; NULL: the backend cannot tell. */
	bool (*lock_lost)(void *conn);
	/* Whether a commit of the connection wrote to the database file or its log since the
	 * last call; clears it. A commit that changed nothing writes nothing, and tells nothing
	 * of the room there is. NULL: the backend cannot tell (every commit counts). A
	 * connection call. */
	bool (*wrote)(void *conn);

	orsp_err (*prepare)(void *conn, const char *sql, void **st);
	void (*finalize)(void *st);
	orsp_err (*reset)(void *st);
	/* reset, forget the bindings; leaves the caller's error detail alone */
	void (*recycle)(void *st);
	orsp_err (*bind_int64)(void *st, int idx, int64_t v);
	orsp_err (*bind_text)(void *st, int idx, const char *v);
	orsp_err (*bind_blob)(void *st, int idx, const void *p, size_t n);
	orsp_err (*bind_null)(void *st, int idx);
	orsp_err (*step)(void *st, bool *row);
	bool (*readonly)(void *st); /* the statement never writes */
	bool (*column_is_null)(void *st, int col);
	int64_t (*column_int64)(void *st, int col);
	const char *(*column_text)(void *st, int col);
	orsp_slice (*column_blob)(void *st, int col);
};

extern const struct orsp_db_ops orsp_db_sqlite_ops;

/* ops->use_wal of db's connection, in a turn (migrate.c). */
orsp_err orsp__db_use_wal(orsp_db *db);
/* ops->file_of of db's connection: the database file, absolute, symbolic links resolved
 * (SQLite), NULL for a database without a file (migrate.c). */
const char *orsp__db_file(const orsp_db *db);
/* The name of the SQLite VFS every database is opened through (sqlite_vfs.c: the default VFS,
 * with the blocks of the WAL-index allocated before SQLite uses them), registered at the first
 * call; NULL (SQLite's default VFS) if SQLite could not register it. Thread-safe. */
const char *orsp__sqlite_vfs(void);
/* Whether an unlock of a WAL-index lock of the database file `file` (a main database file, as
 * SQLITE_FCNTL_FILE_POINTER gives it) failed for good in this process (sqlite_vfs.c,
 * f_shm_lock), so that every lock on it is refused until each connection of the process to it
 * is closed; *err (may be NULL): that unlock's errno. False for a file of another VFS. */
struct sqlite3_file;
bool orsp__sqlite_vfs_lock_lost(struct sqlite3_file *file, int *err);
/* The errno of the last read of a database file or its log (through that VFS) that failed in
 * this thread, 0 when none did since the last call, which clears it (sqlite.c's map_rc: SQLite
 * reports an EIO of a read as a malformed database and keeps no errno for it; sqlite.c calls
 * it also as each statement begins, so that the errno is the statement's). */
int orsp__sqlite_vfs_read_errno(void);

#endif
