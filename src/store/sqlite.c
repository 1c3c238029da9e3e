/* SQLite backend of the store interface.
 *
 * Settings, and why:
 *   - WAL journal: readers never block the writer and vice versa, so `list` runs while
 *     vectors are handed out. The switch is persistent (it is written into the file's
 *     header), so it is made only on a database that is ours or no one's yet: one with
 *     openrsp's migration table, by orsp_db_migrate once the module's schema is found no
 *     newer than the program's (a newer program's database is refused unchanged), or one
 *     with no schema at all (new, or empty) at the open when it may create the database.
 *     Any other file (another program's, opened by mistake and then refused by the module;
 *     an empty one opened to find a module's data) keeps its journal mode and gets no
 *     -wal/-shm files; the connection only reads it;
 *   - durable commits: a committed transaction survives a power cut. The AuC relies on
 *     it (an SQN handed out must never be handed out again after a crash), and so does the
 *     SM-DP+ (a profile delivered must stay delivered). In WAL mode the connection runs with
 *     synchronous=NORMAL, so COMMIT appends to the log without syncing it, and db.c syncs
 *     the log (sq_sync_log) after the write lock is released: the threads of one process then
 *     share one fdatasync among the commits made meanwhile (group commit), and none waits
 *     for a disk flush while holding the lock. Without WAL (a file system that cannot share
 *     memory maps) it stays synchronous=FULL and there is no log to sync;
 *   - a busy timeout, and `BEGIN IMMEDIATE` for write transactions: the write lock is taken
 *     before the first read, so two processes cannot both read the same SQN and a read
 *     lock never has to be upgraded (which in WAL mode fails at once with SQLITE_BUSY);
 *   - a new database file is created with mode 0600 (SQLite gives its -wal and -shm files
 *     the same mode), and another user's file is refused where that user or others could
 *     read or rewrite what is kept in it: prepare_file, for a plain path and for the file
 *     a "file:" URI names alike;
 *   - SQLite URIs ("file:PATH?mode=..."): the path is one when it starts with "file:",
 *     whatever SQLite's compile-time default, so every caller reads it the same way;
 *   - no memory statistics (no_memstatus, below);
 *   - every database through the store's own VFS (sqlite_vfs.c): SQLite's default one, with
 *     the blocks of the WAL-index (-shm) allocated before SQLite uses a region of it as
 *     memory, so that a full disk is SQLITE_FULL rather than a SIGBUS that ended the process
 *     (ext4 with 1 KiB blocks: SQLite left holes in the file, until session 73);
 *   - secure_delete on: the content of a deleted or overwritten row is zeroed in its page
 *     (and a freed page is zeroed), so a dropped secret (the SM-DP+'s wrapped one-time keys)
 *     is gone from the database file once the page is checkpointed. Debian's SQLite has it
 *     on by default (SQLITE_SECURE_DELETE), SQLite's own default is off: set here so that
 *     it does not depend on the build. It adds no page write (the page is written anyway;
 *     `scripts/bench-breakdown.sh` counts the same pwrite calls per download with it on,
 *     off or FAST). What is in the log stays there until SQLite writes over it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_internal.h" /* orsp__db_test_count_steps */
#include "store_impl.h"

/* A connection and its transaction-control statements, prepared once: BEGIN and COMMIT
 * run in every write transaction, and parsing them each time cost more than running them. */
typedef struct sq_conn {
	sqlite3 *db;
	sqlite3_stmt *begin, *commit, *rollback;
	const volatile sig_atomic_t *stop; /* sq_copy_into's, while it runs */
	bool wal_later; /* openrsp's database not in WAL yet: switched by sq_use_wal */
	unsigned busy_ms; /* sq_busy's limit */
	double busy_t0;   /* when sq_busy was first called for the lock waited for now */
	bool ckpt_failed; /* a checkpoint wal_hook ran failed (sq_checkpoint_failed clears it) */
	bool wrote;       /* a commit added frames to the log (wal_hook; sq_wrote clears it) */
	int open_rc;      /* what sqlite3_open_v2 answered when it failed (open_denied) */
} sq_conn;

/* Whether the WAL-index lock state of db's database file is lost in this process
 * (sqlite_vfs.c, f_shm_lock), *err the failed unlock's errno. Asked after a failure. */
static bool lock_lost(sqlite3 *db, int *err)
{
	sqlite3_file *f = NULL;

	return sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) == SQLITE_OK &&
	       orsp__sqlite_vfs_lock_lost(f, err);
}

/* A failed read the store's VFS noted (f_read) belongs to the statement that saw it, which
 * map_rc gives as the reason of its error: forgotten as each statement, open and close
 * begins, so that one SQLite got past or never reported (a read of a close's checkpoint, one
 * tried again) is not given as the reason of a later error, of another statement or file
 * (until session 76 it was, until an error message took it). */
static void read_errno_forget(void)
{
	(void)orsp__sqlite_vfs_read_errno();
}

static orsp_err map_rc(sqlite3 *db, int rc, const char *what)
{
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	int lost_errno = 0, read_errno = orsp__sqlite_vfs_read_errno();
	/* the system's reason under an I/O error: SQLite says "disk I/O error" also for an
	 * ENOSPC where it grows the -shm file or recovers the log, which reads as a failing
	 * disk (until session 70 only that was said). SQLite records it for these two codes
	 * only: for another the number would be an earlier failure's. */
	int sys = db && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN)
	              ? sqlite3_system_errno(db)
	              : 0;

	/* after an unlock the store's VFS could not make: every lock on the file is refused
	 * (SQLITE_IOERR_SHMLOCK), or SQLite waited for the one left held (SQLITE_PROTOCOL) */
	if (db &&
	    ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_PROTOCOL ||
	     (rc & 0xff) == SQLITE_BUSY) &&
	    lock_lost(db, &lost_errno))
		return orsp_errf(
		    ORSP_E_STORAGE,
		    "%s: the lock state is lost: an unlock of a lock on %s-shm (the "
		    "WAL-index) failed (%s), and this process may still hold the lock; "
		    "no statement runs on the database until every handle of the "
		    "process on it is closed: restart (other processes may wait for "
		    "that lock until then)",
		    what, sqlite3_db_filename(db, "main"),
		    lost_errno ? strerror(lost_errno) : "no reason given");
	if (sys)
		return orsp_errf(ORSP_E_STORAGE, "%s: %s (%s)", what, msg, strerror(sys));
	/* SQLite's unix VFS answers a read that failed with EIO SQLITE_IOERR_CORRUPTFS, which
	 * a statement (and the open) returns as SQLITE_CORRUPT: a failing disk, or a passing
	 * error, read as a damaged file (the store's VFS noted the read: f_read) */
	if (read_errno && ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB))
		return orsp_errf(ORSP_E_STORAGE,
		                 "%s: %s (%s: a read of the database failed, which SQLite reports "
		                 "so: the file may well be sound; check the disk (dmesg) and run "
		                 "`sqlite3 %s 'PRAGMA integrity_check'` before taking it for "
		                 "damaged)",
		                 what, msg, strerror(read_errno),
		                 db && sqlite3_db_filename(db, "main")
		                     ? sqlite3_db_filename(db, "main")
		                     : "FILE");
	switch (rc) {
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		return orsp_errf(ORSP_E_EXISTS, "%s: %s", what, msg);
	case SQLITE_READONLY_ROLLBACK:
		/* a hot journal this process cannot roll back (readonly_rollback) */
		return orsp_errf(ORSP_E_STATE,
		                 "%s: %s: its -journal holds a transaction left unfinished (a "
		                 "writer was killed in it), which must be rolled back into the "
		                 "file before it is read: that needs the file writable",
		                 what, msg);
	default:
		break;
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return orsp_errf(ORSP_E_STORAGE, "%s: database is locked by another process (%s)",
		                 what, msg);
	case SQLITE_NOMEM:
		return orsp_errf(ORSP_E_RESOURCE, "%s: %s", what, msg);
	default:
		return orsp_errf(ORSP_E_STORAGE, "%s: %s", what, msg);
	}
}

static orsp_err not_found(const char *path)
{
	return orsp_errf(ORSP_E_NOT_FOUND, "no database at %s", path);
}

static orsp_err not_regular(const char *path, bool dir)
{
	return orsp_errf(ORSP_E_USAGE, "%s is %s, not a database file", path,
	                 dir ? "a directory" : "not a regular file");
}

/* SQLite's files beside the database's `path` (its write-ahead log, the log's index, a
 * rollback journal), each of which SQLite takes as it finds it: a journal is rolled back
 * into the database at the open, a log's frames are read as the database's pages, and what
 * the database holds is written to them. db: the database file's status, NULL when there is
 * none yet (checked before it is made). One that is not a regular file (a symbolic link: SQLite
 * would follow it), one beside a database that did not exist (planted for a database yet to be
 * made), one of another user than the database's owner and this one, or one group or others may
 * write while they may not write the database, is refused: another user could have read, rewritten
 * or, through a journal or a log made beforehand, chosen the database's content (until
 * session 69 only the database file itself was judged). SQLite makes its own with the
 * database's owner and mode. */
static orsp_err side_files_check(const char *path, const struct stat *db)
{
	static const char *const side[] = {"-wal", "-shm", "-journal"};
	char name[ORSP_DB_PATH_MAX + 16];

	for (size_t i = 0; i < ORSP_ARRAY_LEN(side); i++) {
		struct stat sb;
		if (snprintf(name, sizeof(name), "%s%s", path, side[i]) >= (int)sizeof(name))
			return orsp_errf(ORSP_E_USAGE, "%s: path too long", path);
		if (lstat(name, &sb) != 0)
			continue; /* none (or SQLite says why) */
		if (!S_ISREG(sb.st_mode))
			return orsp_errf(
			    ORSP_E_POLICY,
			    "%s is not a regular file (%s): SQLite would use it as the "
			    "database's; remove it",
			    name, S_ISLNK(sb.st_mode) ? "a symbolic link" : "not a file");
		/* another process may have made the database (and its first transaction its
		 * journal) since the caller looked: then it is judged with it, at the open */
		if (!db && lstat(path, &sb) == 0)
			return ORSP_OK;
		if (!db)
			return orsp_errf(
			    ORSP_E_POLICY,
			    "%s is there, but the database file %s is not: SQLite would "
			    "take its content into the new database; remove it",
			    name, path);
		if (sb.st_uid != db->st_uid && sb.st_uid != geteuid())
			return orsp_errf(
			    ORSP_E_POLICY,
			    "%s is owned by uid %u, neither the database's owner (uid %u) "
			    "nor this user (uid %u); remove it",
			    name, (unsigned)sb.st_uid, (unsigned)db->st_uid, (unsigned)geteuid());
		if (sb.st_mode & ~db->st_mode & (S_IWGRP | S_IWOTH))
			return orsp_errf(
			    ORSP_E_POLICY,
			    "group or others may write %s (mode %04o) but not the database "
			    "(mode %04o): run chmod go-w on it",
			    name, (unsigned)(sb.st_mode & 07777), (unsigned)(db->st_mode & 07777));
	}
	return ORSP_OK;
}

/* The database's file `path` (a plain path, or the file a "file:" URI names: open_target).
 * ORSP_DB_OPEN_CREATE: create the file with mode 0600 if it does not exist yet, so that SQLite
 * does not create it with the umask's mode (usually 0644); an empty file that is there is made
 * the owner's only. Then what is there must be a regular file, and one of another user's is
 * refused where that user, or anyone, could read or rewrite what is kept in it. The check is
 * for a clear message only:
 * whether anything is created is decided by the open itself (SQLITE_OPEN_CREATE or not), so
 * ORSP_DB_OPEN_EXISTING creates nothing even if the file goes away in between. The file is
 * created only when it did not exist (no lock of this process can be on it then), and only
 * with create_file (an open that may create it: not a URI's mode=rw); an empty one that is
 * there is judged by mode, the open building the database in it (ORSP_DB_OPEN_CREATE), also
 * through a URI's mode=rw (until session 68 such a URI skipped the refusal of another user's
 * empty file and the owner-only mode of its own). */
static orsp_err prepare_file(const char *path, orsp_db_open_mode mode, bool create_file)
{
	struct stat sb;
	bool reg;

	if (create_file) {
		int fd;
		bool there = lstat(path, &sb) == 0;
		/* before the file is made: once it is there, another process may open it and
		 * make its own -wal and -shm at any time */
		if (!there && errno == ENOENT) {
			orsp_err e = side_files_check(path, NULL);
			if (e)
				return e;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			close(fd);
			return ORSP_OK;
		}
		/* a file that is there failing the exclusive create for another cause (no
		 * descriptor left: EMFILE) is not opened, not created (until session 79 "cannot
		 * create" for a database that existed) */
		if (errno != EEXIST)
			return orsp_errf(ORSP_E_STORAGE, "cannot %s %s: %s",
			                 there ? "open" : "create", path, strerror(errno));
	}
	/* stat, not open + fstat: closing a descriptor of the file would drop every POSIX
	 * lock this process holds on it, those of SQLite's other connections included */
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT && !create_file)
			return not_found(path);
		/* a symbolic link to nothing (O_EXCL did not follow it): SQLite would create its
		 * target with the umask's mode, and a link planted in a shared directory would
		 * have the database made where it points */
		if (errno == ENOENT && lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
			return orsp_errf(ORSP_E_USAGE,
			                 "%s is a symbolic link to a file that does not exist: a "
			                 "new database is not created through it (name the file "
			                 "itself)",
			                 path);
		return ORSP_OK; /* SQLite says why */
	}
	reg = S_ISREG(sb.st_mode);
	if (!reg)
		return not_regular(path, S_ISDIR(sb.st_mode));
	/* Another user's file, as the KEK file of another user is refused (kek.c): an empty one
	 * (made beforehand in a directory others may write to, a sticky /tmp) would have the
	 * database built in it, and its owner read and rewrite the IMSIs, SQNs and profile
	 * states kept there; one that group or others may write, anyone could rewrite. Until
	 * session 68 both were taken as they were. A database of another user that only that
	 * user may write (root running a verb on the service user's) is taken as before. */
	if (sb.st_uid != geteuid() && (sb.st_mode & (S_IWGRP | S_IWOTH)))
		return orsp_errf(ORSP_E_POLICY,
		                 "database file %s is owned by uid %u, not by this user (uid %u), "
		                 "and group or others may write it (mode %04o): run chmod go-w on "
		                 "it as its owner",
		                 path, (unsigned)sb.st_uid, (unsigned)geteuid(),
		                 (unsigned)(sb.st_mode & 07777));
	if (sb.st_uid != geteuid() && mode == ORSP_DB_OPEN_CREATE && sb.st_size == 0)
		return orsp_errf(ORSP_E_POLICY,
		                 "database file %s is empty and owned by uid %u, not by this user "
		                 "(uid %u): its owner could read and rewrite the database built in "
		                 "it; remove it, or run as its owner",
		                 path, (unsigned)sb.st_uid, (unsigned)geteuid());
	/* an empty file made beforehand (touch, with the umask's 0644): the database is built
	 * in it, and its -wal and -shm take its mode; made the owner's only, as a file created
	 * here is (it kept its mode) */
	if (mode == ORSP_DB_OPEN_CREATE && sb.st_size == 0 && (sb.st_mode & 077)) {
		if (chmod(path, sb.st_mode & 0700) != 0)
			return orsp_errf(ORSP_E_STORAGE,
			                 "cannot make the empty file %s the owner's only: %s", path,
			                 strerror(errno));
		sb.st_mode &= ~(mode_t)077;
	}
	return side_files_check(path, &sb);
}

static orsp_err sq_exec(void *conn, const char *sql)
{
	sqlite3 *db = ((sq_conn *)conn)->db;
	int rc;

	read_errno_forget();
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return map_rc(db, rc, "exec");
	return ORSP_OK;
}

/* The busy handler: a lock another process holds (the write lock, mostly; this process's
 * own handles queue in db.c first) is tried again after 1, 1, 2, 2 and then every 5 ms,
 * until busy_ms have passed since the first try. SQLite's own (sqlite3_busy_timeout) backs
 * off to 100 ms between tries: a writer that commits in batches with a few milliseconds
 * between them (`smdp profile generate` and `import`, the order expiry) let a waiting
 * process in only when one of its tries fell into such a gap, so an ES2+ order or another
 * server's request waited seconds, until the writer ended or the busy timeout ran out. A try
 * is a lock system call on the -shm file; 200 of them a second cost next to nothing. */
static int sq_busy(void *arg, int n)
{
	static const unsigned step_us[] = {1000, 1000, 2000, 2000};
	sq_conn *c = arg;
	double now = orsp_mono_s(), left;
	unsigned us;

	if (n == 0)
		c->busy_t0 = now;
	left = (double)c->busy_ms / 1000.0 - (now - c->busy_t0);
	if (left <= 0)
		return 0;
	us = (size_t)n < ORSP_ARRAY_LEN(step_us) ? step_us[n] : ORSP_DB_BUSY_STEP_MAX_US;
	if ((double)us > left * 1e6)
		us = (unsigned)(left * 1e6) + 1;
	(void)usleep(us);
	return 1;
}

/* The log's size (in frames) from which a commit checkpoints it: SQLite's default. */
#define CKPT_FRAMES 1000

/* SQLite's automatic checkpoint, run as its default hook runs it (PASSIVE, once the log has
 * CKPT_FRAMES frames, in the COMMIT that grew it), with its outcome kept: the default hook
 * ignores it, and a checkpoint's flush of the log that failed (with synchronous=NORMAL the
 * checkpoint syncs the log before copying it) went unnoticed, so later commits were called
 * durable though Linux may have dropped the log's pages it could not write (db.c's
 * flush_log). Busy (a reader in the way) is no failure: the next commit tries again. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	sq_conn *c = arg;
	int rc;

	c->wrote = true; /* SQLite calls the hook only after a commit that wrote frames */
	if (frames < CKPT_FRAMES)
		return SQLITE_OK;
	rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
		c->ckpt_failed = true;
	return SQLITE_OK;
}

static bool sq_checkpoint_failed(void *conn)
{
	sq_conn *c = conn;
	bool failed = c->ckpt_failed;

	c->ckpt_failed = false;
	return failed;
}

static bool sq_wrote(void *conn)
{
	sq_conn *c = conn;
	bool wrote = c->wrote;

	c->wrote = false;
	return wrote;
}

/* SQLite says SQLITE_FULL where a write of the database or its log found no room, and
 * SQLITE_IOERR with the system's ENOSPC where it grows the -shm file or recovers the log
 * (map_rc); EDQUOT is the owner's quota, as full for this process. */
static bool sq_out_of_room(void *conn)
{
	sqlite3 *db = ((sq_conn *)conn)->db;
	int rc = sqlite3_extended_errcode(db) & 0xff, sys;

	if (rc == SQLITE_FULL)
		return true;
	sys = rc == SQLITE_IOERR ? sqlite3_system_errno(db) : 0;
	return sys == ENOSPC || sys == EDQUOT;
}

static bool sq_lock_lost(void *conn)
{
	return lock_lost(((sq_conn *)conn)->db, NULL);
}

static orsp_err sq_set_busy_timeout(void *conn, unsigned ms)
{
	sq_conn *c = conn;
	int rc;

	c->busy_ms = ms;
	rc = sqlite3_busy_handler(c->db, ms ? sq_busy : NULL, ms ? c : NULL);
	if (rc != SQLITE_OK)
		return map_rc(c->db, rc, "busy timeout");
	return ORSP_OK;
}

static void sq_close(void *conn)
{
	sq_conn *c = conn;
	if (!c)
		return;
	sqlite3_finalize(c->begin);
	sqlite3_finalize(c->commit);
	sqlite3_finalize(c->rollback);
	/* sqlite3_close_v2 defers the close if the caller leaked a statement. */
	sqlite3_close_v2(c->db);
	free(c);
}

/* Whether the file may be switched to WAL: *now for an open that may create the database
 * (`empty`) when it has no schema at all (a new or empty database, no one's yet), *later when
 * it has openrsp's migration table (store/migrate.c; its four columns, so another program's
 * "schema_migrations" does not count): that one is switched by orsp_db_migrate once the module
 * found its schema no newer than the program (a database a newer openrsp migrated is refused
 * unchanged). Only reads. An open that creates nothing leaves an empty database as it is: the
 * switch writes the file's header, which would make an SQLite database of a 0-byte file that
 * the module then refuses as holding nothing of its own. Another process may add tables to an
 * empty database between this and the switch: it then becomes WAL as it would have had it been
 * opened a moment earlier, and the module that opened it refuses it all the same. */
static orsp_err may_switch(sqlite3 *db, bool empty, bool *now, bool *later)
{
	sqlite3_stmt *st = NULL;
	int rc;

	read_errno_forget();
	rc = sqlite3_prepare_v2(
	    db,
	    "SELECT (?1 AND NOT EXISTS (SELECT 1 FROM sqlite_master)),"
	    " (SELECT COUNT(*) FROM pragma_table_info('schema_migrations')"
	    " WHERE name IN ('module', 'version', 'description', 'applied_at')) = 4",
	    -1, &st, NULL);

	*now = *later = false;
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 1, empty);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*now = sqlite3_column_int(st, 0) != 0;
		*later = sqlite3_column_int(st, 1) != 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? ORSP_OK : map_rc(db, rc, "open");
}

/* Switch to WAL (change) or only read the journal mode; *wal tells whether the connection
 * is now in WAL mode (the pragma answers with the mode in force, and a file system without
 * shared memory maps keeps another). */
static orsp_err journal_mode(sqlite3 *db, bool change, bool *wal)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*wal = false;
	/* The switch reads the file under a shared lock, then needs it exclusive: when another
	 * process switches the same new file at that moment, SQLite answers SQLITE_BUSY at once,
	 * without its busy handler (waiting could deadlock two upgrading connections). Tried
	 * again, after the lock was let go, for as long as the busy timeout: by then the other
	 * process has switched it, and this one finds WAL. */
	for (unsigned waited = 0;; waited += 2) {
		read_errno_forget();
		rc = sqlite3_prepare_v2(db, change ? "PRAGMA journal_mode=WAL" : "PRAGMA journal_mode",
		                        -1, &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const unsigned char *m = sqlite3_column_text(st, 0);
			*wal = m && strcmp((const char *)m, "wal") == 0;
			rc = SQLITE_OK;
		}
		sqlite3_finalize(st);
		st = NULL;
		if (rc != SQLITE_BUSY || waited >= ORSP_DB_BUSY_TIMEOUT_MS)
			break;
		sqlite3_sleep(2);
	}
	return rc == SQLITE_OK ? ORSP_OK : map_rc(db, rc, "exec");
}

/* SQLite's memory statistics (on by default) take a global mutex around every allocation
 * it makes, in every connection of every thread; openrsp reads none of them. The setting
 * must come before SQLite initializes itself: if something else in the process did that
 * first, sqlite3_config refuses it and the statistics stay on, which changes nothing else. */
static void no_memstatus(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* sqlite3_open_v2 of path with flags; the error names `name` (the database as the caller
 * gave it), and a file that is not there is ORSP_E_NOT_FOUND. */
static orsp_err open_v2(const char *path, const char *name, int flags, sq_conn *c)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, no_memstatus);
	read_errno_forget();
	/* a "file:" URI's vfs= comes first (the tests' faulty VFS) */
	int rc = sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
	                         orsp__sqlite_vfs());
	int sys = c->db ? sqlite3_system_errno(c->db) : 0;
	orsp_err err;

	if (rc == SQLITE_OK)
		return ORSP_OK;
	c->open_rc = rc;
	if (rc == SQLITE_CANTOPEN && sys == ENOENT && !(flags & SQLITE_OPEN_CREATE))
		err = not_found(name);
	else if (rc == SQLITE_CANTOPEN && sys == EISDIR)
		err = not_regular(name, true);
	/* with the system's reason (no descriptor left: "unable to open database file (Too many
	 * open files)", until session 79 SQLite's words alone), but for a refused access, which
	 * open_denied explains by the file's owner and mode; SQLite records it for these two
	 * codes only (map_rc) */
	else if (sys && sys != EACCES && sys != EPERM &&
	         ((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_IOERR))
		err = orsp_errf(ORSP_E_STORAGE, "cannot open %s: %s (%s)", name,
		                c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc), strerror(sys));
	else
		err = orsp_errf(ORSP_E_STORAGE, "cannot open %s: %s", name,
		                c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
	sqlite3_close_v2(c->db);
	c->db = NULL;
	return err;
}

static const char *sq_file_of(void *conn)
{
	const char *f = sqlite3_db_filename(((sq_conn *)conn)->db, "main");
	return f && f[0] ? f : NULL;
}

/* A value of a "file:" URI parameter as SQLite reads a boolean (sqlite3_uri_boolean): true
 * for a number that is not zero, "on", "yes" or "true" in any case; anything else is false.
 * `cut`: the value was longer than v holds, taken as true when it starts with a digit (a
 * zero may follow many others). */
static bool uri_true(const char *v, bool cut)
{
	static const char *const yes[] = {"on", "yes", "true"};

	if (v[0] >= '0' && v[0] <= '9') {
		size_t z = strspn(v, "0");
		return cut || (v[z] >= '1' && v[z] <= '9');
	}
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(v, yes[i]) == 0)
			return true;
	return false;
}

/* A parameter of a "file:" URI's query, as uri_query_has reads it: its name and value
 * decoded, cut to the buffers (long_value: the value was longer and cut), and where the
 * value's text lies in the URI, uri[at] up to uri[end] (at == end: no '='). */
typedef struct uri_param {
	char name[16], value[16];
	bool long_value;
	size_t at, end;
} uri_param;

/* A parameter that turns SQLite's file locks off, a nolock that SQLite reads as true or
 * vfs=unix-none (the unix VFS without locks). */
static bool param_unlocks(const uri_param *q, void *arg)
{
	(void)arg;
	return (strcmp(q->name, "nolock") == 0 && uri_true(q->value, q->long_value)) ||
	       (strcmp(q->name, "vfs") == 0 && strcmp(q->value, "unix-none") == 0);
}

/* One that keeps the database in memory only: mode=memory, vfs=memdb. */
static bool param_in_memory(const uri_param *q, void *arg)
{
	(void)arg;
	return !q->long_value &&
	       ((strcmp(q->name, "mode") == 0 && strcmp(q->value, "memory") == 0) ||
	        (strcmp(q->name, "vfs") == 0 && strcmp(q->value, "memdb") == 0));
}

/* One with which SQLite creates no file: mode=ro or mode=rw. */
static bool param_no_create(const uri_param *q, void *arg)
{
	(void)arg;
	return !q->long_value && strcmp(q->name, "mode") == 0 &&
	       (strcmp(q->value, "ro") == 0 || strcmp(q->value, "rw") == 0);
}

/* Whether the query of the "file:" URI `uri` has a parameter `matters` says yes to (called
 * with arg for each). Read as sqlite3ParseUri reads it: the query runs from the first '?' to
 * '#', its parameters are separated by '&', a name from its value by '=', and %HH is decoded
 * in both (a decoded '&' or '=' separates nothing; %00 drops the rest of that name or value).
 * Every parameter counts, not only the first of a name. Names and values longer than any that
 * matters here are cut (a long nolock number counts as true). */
static bool uri_query_has(const char *uri, bool (*matters)(const uri_param *, void *), void *arg)
{
	uri_param q = {.long_value = false};
	size_t n = 0, v = 0;
	int state = 0; /* 0: the path, 1: a parameter's name, 2: its value */
	bool dropped = false, off = false;

	for (const char *p = uri;; p++) {
		char c = *p;
		bool end = c == '\0' || c == '#', lit = true;
		if (!end && c == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			c = (char)(orsp_hex_digit(p[1]) << 4 | orsp_hex_digit(p[2]));
			p += 2;
			lit = false;
			dropped = dropped || c == '\0'; /* up to the next separator */
		}
		if (end || (lit && ((state == 0 && c == '?') || (state != 0 && c == '&')))) {
			if (state != 0 && n > 0) {
				q.name[n] = q.value[v] = '\0';
				q.end = (size_t)(p - uri);
				if (state == 1)
					q.at = q.end;
				if (matters(&q, arg))
					off = true;
			}
			if (end)
				return off;
			state = 1;
			n = v = 0;
			dropped = q.long_value = false;
		} else if (lit && state == 1 && c == '=') {
			state = 2;
			dropped = false;
			q.at = (size_t)(p + 1 - uri);
		} else if (!dropped && state == 1 && n + 1 < sizeof(q.name)) {
			q.name[n++] = c;
		} else if (!dropped && state == 2) {
			if (v + 1 < sizeof(q.value))
				q.value[v++] = c;
			else
				q.long_value = true;
		}
	}
}

/* uri_narrowed's copy under way: uri[0..done) is in out[0..o). */
typedef struct narrowing {
	const char *uri, *to;
	char *out;
	size_t o, done;
} narrowing;

/* A mode= broader than n->to ("rw": rwc; "ro": rwc and rw) is copied as n->to. */
static bool param_narrow(const uri_param *q, void *arg)
{
	narrowing *n = arg;

	if (q->long_value || strcmp(q->name, "mode") != 0 ||
	    !(strcmp(q->value, "rwc") == 0 ||
	      (strcmp(n->to, "ro") == 0 && strcmp(q->value, "rw") == 0)))
		return false;
	memcpy(n->out + n->o, n->uri + n->done, q->at - n->done);
	n->o += q->at - n->done;
	memcpy(n->out + n->o, n->to, 2);
	n->o += 2;
	n->done = q->end;
	return true;
}

/* A copy of the "file:" URI `uri` (malloc'd; NULL: out of memory) whose mode= parameters
 * allow no more than `to`, "rw" or "ro", the open's flags: SQLite refuses a mode broader than
 * them (SQLITE_PERM, "access mode not allowed"), so `file:x.db?mode=rwc`, SQLite's usual
 * read-write-create, failed every open but one that may create (until session 68). The
 * value's text, "rwc" or "rw" however %-encoded, is at least as long as `to`. */
static char *uri_narrowed(const char *uri, const char *to)
{
	size_t len = strlen(uri);
	narrowing n = {.uri = uri, .to = to, .out = malloc(len + 1), .o = 0, .done = 0};

	if (!n.out)
		return NULL;
	(void)uri_query_has(uri, param_narrow, &n);
	memcpy(n.out + n.o, uri + n.done, len - n.done + 1);
	return n.out;
}

/* Whether file's SQLite file `suffix` ("-wal", "-shm") is there (a failed lstat for another
 * reason than ENOENT counts as there: the open then goes SQLite's way, which says why). */
static bool beside(const char *file, const char *suffix)
{
	struct stat sb;
	char *name = sqlite3_mprintf("%s%s", file, suffix);
	bool there = !name || lstat(name, &sb) == 0 || errno != ENOENT;

	sqlite3_free(name);
	return there;
}

/* Whether FILE<suffix> is a regular file of 0 bytes (false when it cannot be told). */
static bool beside_empty(const char *file, const char *suffix)
{
	struct stat sb;
	char *name = sqlite3_mprintf("%s%s", file, suffix);
	bool empty = name && lstat(name, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0;

	sqlite3_free(name);
	return empty;
}

/* SQLite's URI of `file`, opened immutable (no lock, no -wal/-shm): every byte but
 * unreserved ones and '/' percent-encoded (RFC 3986; SQLite decodes them). */
static char *immutable_uri(const char *file)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(file), o = 5;
	char *u = malloc(3 * n + sizeof("file:?immutable=1"));

	if (!u)
		return NULL;
	memcpy(u, "file:", 5);
	for (const unsigned char *p = (const unsigned char *)file; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~", *p)) {
			u[o++] = (char)*p;
		} else {
			u[o++] = '%';
			u[o++] = hex[*p >> 4];
			u[o++] = hex[*p & 15];
		}
	}
	memcpy(u + o, "?immutable=1", sizeof("?immutable=1"));
	return u;
}

/* The largest -wal the read-only open reads to judge it (wal_adds_nothing): a log without
 * its -shm is read twice, whole, before a read-only verb starts; SQLite's checkpoints keep
 * one near 4 MiB (CKPT_FRAMES pages of 4 KiB), one transaction can make it larger. */
#define WAL_CHECK_MAX ((off_t)256 << 20)
#define WAL_HDR 32   /* fileformat2 4.1: the log's header */
#define WAL_FRAME 24 /* and each frame's, before its page */

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* SQLite's log checksum (fileformat2 4.1) of n bytes (a multiple of 8) carried on in s: the
 * words big-endian when the magic's low bit is set, little-endian when not. */
static void wal_cksum(bool big, const unsigned char *p, size_t n, uint32_t s[2])
{
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint32_t x0 = get_be32(p + i), x1 = get_be32(p + i + 4);
		if (!big) {
			x0 = __builtin_bswap32(x0);
			x1 = __builtin_bswap32(x1);
		}
		s[0] += x0 + s[1];
		s[1] += x1 + s[0];
	}
}

/* n bytes at off of fd into p; false on an error or a short file (errno 0 then). */
static bool read_at(int fd, unsigned char *p, size_t n, off_t off)
{
	while (n > 0) {
		ssize_t r = pread(fd, p, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return false;
		}
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return true;
}

typedef struct {
	uint32_t pgno, frame;
} wal_page;

/* by page, its latest frame first */
static int wal_page_cmp(const void *a, const void *b)
{
	const wal_page *x = a, *y = b;

	if (x->pgno != y->pgno)
		return x->pgno < y->pgno ? -1 : 1;
	return x->frame > y->frame ? -1 : x->frame < y->frame;
}

/* Whether FILE-wal adds nothing to the database file fp (its page size psz, from its
 * header): *nothing true when so, else why[cap] says why that cannot be said (for the
 * refusal); an error only when out of memory.
 * Read as SQLite's recovery reads a log (walIndexRecover): its header's magic, version,
 * page size and checksum; then its whole frames in turn, up to the first whose salts are not
 * the header's, whose page number is 0 or whose running checksum is wrong; of those, the
 * frames up to the last commit frame (one with the database's size in pages) are the log's
 * content, and for each page its last frame there. The log adds nothing when each such
 * page is that page of the file and the file has the last commit's size: a full checkpoint
 * left it so (every connection's close checkpoints the whole log, then unlinks FILE-shm
 * and FILE-wal: a writer killed between the two unlinks leaves this). A log with a valid
 * header and no commit frame adds nothing either: SQLite reads the file alone. A header
 * SQLite would ignore (bad magic, checksum, page size) is refused all the same: a log whose
 * header is not a log's was not left by SQLite's close. Every byte is taken as hostile:
 * nothing is read past the file's size as fstat gave it, at most WAL_CHECK_MAX bytes, one
 * frame at a time, then one page of each file at a time. */
static orsp_err wal_adds_nothing(const char *file, sqlite3_file *fp, uint32_t psz, char *why,
                                 size_t cap, bool *nothing)
{
	char *name = sqlite3_mprintf("%s-wal", file);
	unsigned char hdr[WAL_HDR], *buf = NULL, *page = NULL;
	wal_page *pages = NULL;
	uint32_t s[2] = {0, 0}, magic, wpsz, last = 0, dbpages = 0, nframes;
	sqlite3_int64 dbsize = 0;
	struct stat sb;
	bool big;
	int fd = -1, rc;
	orsp_err err = ORSP_OK;

	*nothing = false;
	why[0] = '\0';
	if (!name)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		snprintf(why, cap, "it cannot be read: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(why, cap, "it is not a regular file");
		goto out;
	}
	if (sb.st_size > WAL_CHECK_MAX) {
		snprintf(why, cap,
		         "it has %lld bytes, more than the %lld MiB a read-only open reads "
		         "to judge it",
		         (long long)sb.st_size, (long long)(WAL_CHECK_MAX >> 20));
		goto out;
	}
	if (sb.st_size < WAL_HDR || !read_at(fd, hdr, WAL_HDR, 0)) {
		snprintf(why, cap, "its header cannot be read: %s",
		         sb.st_size < WAL_HDR || errno == 0 ? "the file is shorter than 32 bytes"
		                                            : strerror(errno));
		goto out;
	}
	magic = get_be32(hdr);
	wpsz = get_be32(hdr + 8);
	big = magic & 1;
	if ((magic & ~1u) != 0x377f0682) {
		snprintf(why, cap, "it is not an SQLite log (magic %08x)", (unsigned)magic);
		goto out;
	}
	if (get_be32(hdr + 4) != 3007000) {
		snprintf(why, cap, "its format version is %u, not 3007000",
		         (unsigned)get_be32(hdr + 4));
		goto out;
	}
	if (wpsz < 512 || wpsz > 65536 || (wpsz & (wpsz - 1)) || wpsz != psz) {
		snprintf(why, cap, "its page size, %u, is not the database's, %u", (unsigned)wpsz,
		         (unsigned)psz);
		goto out;
	}
	wal_cksum(big, hdr, 24, s);
	if (s[0] != get_be32(hdr + 24) || s[1] != get_be32(hdr + 28)) {
		snprintf(why, cap, "its header's checksum is wrong");
		goto out;
	}
	/* whole frames only; WAL_CHECK_MAX keeps the count within 32 bits */
	nframes = (uint32_t)((sb.st_size - WAL_HDR) / (WAL_FRAME + psz));
	buf = malloc(WAL_FRAME + psz);
	page = malloc(psz);
	pages = nframes ? malloc(nframes * sizeof(*pages)) : NULL;
	if (!buf || !page || (nframes && !pages)) {
		err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < nframes; i++) {
		off_t off = WAL_HDR + (off_t)i * (WAL_FRAME + psz);
		if (!read_at(fd, buf, WAL_FRAME + psz, off)) {
			snprintf(why, cap, "it cannot be read: %s",
			         errno ? strerror(errno) : "it became shorter");
			goto out;
		}
		if (memcmp(buf + 8, hdr + 16, 8) != 0 || get_be32(buf) == 0)
			break;
		wal_cksum(big, buf, 8, s);
		wal_cksum(big, buf + WAL_FRAME, psz, s);
		if (s[0] != get_be32(buf + 16) || s[1] != get_be32(buf + 20))
			break;
		pages[i] = (wal_page){.pgno = get_be32(buf), .frame = i};
		if (get_be32(buf + 4) != 0) {
			last = i + 1;
			dbpages = get_be32(buf + 4);
		}
	}
	if (last == 0) {
		*nothing = true; /* no commit: SQLite reads the file alone */
		goto out;
	}
	rc = fp->pMethods->xFileSize(fp, &dbsize);
	if (rc != SQLITE_OK) {
		snprintf(why, cap, "the database's size cannot be read");
		goto out;
	}
	if (dbsize != (sqlite3_int64)dbpages * psz) {
		snprintf(why, cap,
		         "its last commit makes the database %u pages of %u bytes, the file "
		         "has %lld bytes",
		         (unsigned)dbpages, (unsigned)psz, (long long)dbsize);
		goto out;
	}
	qsort(pages, last, sizeof(*pages), wal_page_cmp);
	for (uint32_t i = 0; i < last; i++) {
		const wal_page *p = &pages[i];
		off_t off = WAL_HDR + (off_t)p->frame * (WAL_FRAME + psz) + WAL_FRAME;
		if ((i > 0 && pages[i - 1].pgno == p->pgno) || p->pgno > dbpages)
			continue; /* an older version; past the end SQLite does not read */
		if (!read_at(fd, buf, psz, off)) {
			snprintf(why, cap, "it cannot be read: %s",
			         errno ? strerror(errno) : "it became shorter");
			goto out;
		}
		rc = fp->pMethods->xRead(fp, page, (int)psz, (sqlite3_int64)(p->pgno - 1) * psz);
		if (rc != SQLITE_OK || memcmp(buf, page, psz) != 0) {
			snprintf(why, cap, "it holds a commit the database file has not, page %u",
			         (unsigned)p->pgno);
			goto out;
		}
	}
	*nothing = true;
out:
	if (fd >= 0)
		close(fd);
	if (buf)
		orsp_wipe(buf, WAL_FRAME + psz);
	if (page)
		orsp_wipe(page, psz);
	free(buf);
	free(page);
	free(pages);
	sqlite3_free(name);
	return err;
}

/* A read-only open of a database in WAL mode (its header's bytes 18 and 19 are 2) reads the
 * log, and SQLite creates FILE-wal and FILE-shm to do so when they are not there, which they
 * are not once the last connection closed cleanly: a read-only open would leave both behind
 * (a directory the process cannot write to made it fail). Then everything is in the file
 * itself, and c is reopened on it immutable: read without a lock and without the two files.
 * A server that starts on it meanwhile writes to a new log, not to the file, until it
 * checkpoints (1000 pages of log, or its last close): this open reads the database as it
 * was. With both files there (a server has it open, or one that crashed left them) it reads
 * as SQLite's readers do, creating nothing; with one of them only, SQLite would create the
 * other: refused, but for a FILE-wal of 0 bytes without FILE-shm beside a database in WAL
 * mode. That log has no header and no frame, so every commit is in the file, and the
 * immutable open reads exactly what SQLite would: a read-write open that failed for want of
 * descriptors after SQLite made the log (`ulimit -n 5` under `smdp rekey` or `backup`) left
 * one, and every read-only verb was refused until a read-write open (the limits review). A
 * writer that is opening the file at that moment makes FILE-wal first and FILE-shm next:
 * this open may see the log empty and no FILE-shm, which is the case above of a server that
 * starts after the look (its commits go to the log, not the file, until it checkpoints);
 * one that closes checkpoints the whole log, then removes FILE-shm before FILE-wal: killed
 * between the two (a review killed `auc export` in a loop), it leaves a log whose every
 * commit is in the file already, and until session 77 every read-only verb was refused, the
 * hint naming `serve`, which the AuC has not. Such a log is read (wal_adds_nothing): when it
 * adds nothing to the file, the file is opened immutable as for an empty log, and reads what
 * SQLite would; a log that holds a commit the file has not, that cannot be read, or whose
 * header is not a log's is refused, and so is a -shm alone. */
static orsp_err readonly_wal(const char *what, sq_conn *c)
{
	const char *file = sq_file_of(c);
	sqlite3_file *fp = NULL;
	unsigned char hdr[20] = {0};
	sq_conn im = {0};
	char *uri, why[256] = "";
	bool wal, shm, in_wal, nothing = false;
	uint32_t psz;
	orsp_err err;

	if (!file)
		return ORSP_OK; /* in memory: no file beside it */
	wal = beside(file, "-wal");
	shm = beside(file, "-shm");
	if (wal && shm)
		return ORSP_OK;
	if (sqlite3_file_control(c->db, "main", SQLITE_FCNTL_FILE_POINTER, &fp) != SQLITE_OK ||
	    !fp || !fp->pMethods)
		return orsp_errf(ORSP_E_STORAGE, "cannot open %s: no file", what);
	/* a short file reads as zeros (SQLITE_IOERR_SHORT_READ): not WAL */
	int rc = fp->pMethods->xRead(fp, hdr, sizeof(hdr), 0);
	if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)
		return map_rc(c->db, rc, "open");
	in_wal = hdr[18] == 2 && hdr[19] == 2;
	if (!in_wal && !wal)
		return ORSP_OK; /* a rollback journal's reader creates nothing */
	if (in_wal && wal && !shm && beside_empty(file, "-wal"))
		wal = false; /* no frame in it: read as no log */
	psz = (uint32_t)hdr[16] << 8 | hdr[17];
	psz = psz == 1 ? 65536 : psz; /* fileformat2 1.3.2 */
	if (in_wal && wal && !shm && (psz < 512 || (psz & (psz - 1)))) {
		snprintf(why, sizeof(why), " (the database's header gives no page size)");
	} else if (in_wal && wal && !shm) {
		char because[160];
		err = wal_adds_nothing(file, fp, psz, because, sizeof(because), &nothing);
		if (err)
			return err;
		if (nothing)
			wal = false; /* every commit in it is in the file */
		else
			snprintf(why, sizeof(why),
			         ", and not a log whose commits are all in the file (%s)", because);
	}
	if (wal || shm)
		return orsp_errf(
		    ORSP_E_STATE,
		    "%s: %s-%s is there without %s-%s, which a read-only open would "
		    "create%s: open it once with a verb that writes to it (`smdp serve`, "
		    "or an `auc` or `smdp` verb that changes it), which recovers the "
		    "log, and try again",
		    what, file, wal ? "wal" : "shm", file, wal ? "shm" : "wal", why);
	uri = immutable_uri(file);
	if (!uri)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	err = open_v2(uri, uri, SQLITE_OPEN_READONLY, &im);
	free(uri);
	if (err)
		return err;
	/* SQLite's own descriptors: closing the first does not drop another connection's locks
	 * on the file (it keeps the descriptor until they are let go) */
	sqlite3_close_v2(c->db);
	c->db = im.db;
	return ORSP_OK;
}

bool orsp_db_uri_in_memory(const char *uri)
{
	char file[16];
	const char *p;

	if (!uri)
		return false;
	p = strncmp(uri, "sqlite:", 7) == 0 ? uri + 7 : uri;
	if (strcmp(p, ":memory:") == 0)
		return true;
	if (strncmp(p, "file:", 5) != 0)
		return false;
	/* the path as SQLite decodes it (file:%3Amemory%3A too); a longer one is not
	 * ":memory:", and one that does not parse is refused at the open */
	if (orsp_db_uri_file(p, file, sizeof(file)) != ORSP_OK)
		orsp_err_clear();
	else if (strcmp(file, ":memory:") == 0)
		return true;
	return uri_query_has(p, param_in_memory, NULL);
}

/* sqlite3_open_v2 of target with the flags of mode; a "file:" URI's mode= broader than them
 * is narrowed to them (uri_narrowed): `file:x.db?mode=rwc` opens an existing database too, and
 * ORSP_DB_OPEN_EXISTING still creates nothing. */
static orsp_err open_as(const char *target, orsp_db_open_mode mode, sq_conn *c)
{
	int flags = mode == ORSP_DB_OPEN_READONLY   ? SQLITE_OPEN_READONLY
	            : mode == ORSP_DB_OPEN_EXISTING ? SQLITE_OPEN_READWRITE
	                                            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	char *narrow = NULL;
	orsp_err err;

	if (strncmp(target, "file:", 5) == 0 && mode != ORSP_DB_OPEN_CREATE) {
		narrow = uri_narrowed(target, mode == ORSP_DB_OPEN_READONLY ? "ro" : "rw");
		if (!narrow)
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	}
	err = open_v2(narrow ? narrow : target, target, flags, c);
	free(narrow);
	return err;
}

/* Open target, a plain path or a "file:" URI, for *mode. The file it names (a URI's path as
 * SQLite reads it, orsp_db_uri_file; none for a database kept in memory) goes through
 * prepare_file first, whichever the form: until session 68 a URI's did not, so its new file
 * was SQLite's, made with the umask's mode and chmod'ed after, a symbolic link to nothing was
 * followed, an empty file made beforehand kept its mode, and another user's was taken. A URI
 * with mode=ro or rw makes SQLite create nothing, and prepare_file then neither. */
static orsp_err open_target(const char *target, orsp_db_open_mode *mode, sq_conn *c)
{
	char file[ORSP_DB_PATH_MAX];
	bool uri = strncmp(target, "file:", 5) == 0;
	orsp_err err = ORSP_OK;

	if (!uri && strcmp(target, ":memory:") != 0) {
		err = prepare_file(target, *mode, *mode == ORSP_DB_OPEN_CREATE);
	} else if (uri && !orsp_db_uri_in_memory(target)) {
		bool create_file =
		    *mode == ORSP_DB_OPEN_CREATE && !uri_query_has(target, param_no_create, NULL);
		err = orsp_db_uri_file(target, file, sizeof(file));
		if (!err)
			err = prepare_file(file, *mode, create_file);
	}
	if (!err)
		err = open_as(target, *mode, c);
	/* A file this user may only read (or a URI's mode=ro): SQLite opened it read-only
	 * without a word, and the first read then made its -wal and -shm with the file's mode
	 * (0400), which kept every writer out once the file itself was writable again. Opened as
	 * ORSP_DB_OPEN_READONLY opens, which makes no file; a write fails then, naming the
	 * database as read-only. Until session 68 a URI's was not. */
	if (!err && *mode != ORSP_DB_OPEN_READONLY && sqlite3_db_readonly(c->db, "main") == 1) {
		sqlite3_close_v2(c->db);
		c->db = NULL;
		*mode = ORSP_DB_OPEN_READONLY;
		err = open_as(target, ORSP_DB_OPEN_READONLY, c);
	}
	return err;
}

/* Of path (a file: the database, or one SQLite keeps beside it) this user may not use as
 * need asks (R_OK, or R_OK | W_OK), why into why[cap]: its owner and mode against this user.
 * False when it may, or when path is not there or cannot be judged. */
static bool file_denied(const char *path, int need, char *why, size_t cap)
{
	struct stat sb;
	unsigned me = (unsigned)geteuid();
	const char *what;

	if (stat(path, &sb) != 0 || faccessat(AT_FDCWD, path, need, AT_EACCESS) == 0)
		return false;
	if (errno == EROFS) {
		snprintf(why, cap, "%s is on a read-only file system", path);
		return true;
	}
	if (errno != EACCES)
		return false;
	what = need == R_OK                                       ? "read"
	       : faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) == 0 ? "write"
	                                                          : "read and write";
	if (sb.st_uid != me)
		snprintf(
		    why, cap,
		    "%s is owned by uid %u (mode %04o), not by this user (uid %u), who may not "
		    "%s it: run as its owner, or chown it if it is this user's",
		    path, (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 07777), me, what);
	else
		snprintf(why, cap,
		         "%s (mode %04o) is this user's (uid %u), who may not %s it: chmod u+rw it",
		         path, (unsigned)(sb.st_mode & 07777), me, what);
	return true;
}

/* Why SQLite could not open the database `file` for this user (for `mode`), into why[cap]:
 * the file itself, its -wal or -shm file, one this user may not read (and, but for a
 * read-only open, write: another user's, made by root, say), or its directory, where this
 * user may not reach the file or, opening it to write, make the -wal and -shm files SQLite
 * needs. False when none of them is the cause (SQLite's words stand alone then). */
static bool access_why(const char *file, orsp_db_open_mode mode, char *why, size_t cap)
{
	static const char *const side[] = {"", "-wal", "-shm"};
	int need = mode == ORSP_DB_OPEN_READONLY ? R_OK : R_OK | W_OK;
	char name[ORSP_DB_PATH_MAX + 8], dir[ORSP_DB_PATH_MAX];
	struct stat sb;
	bool side_missing = false, reach;

	/* a database that is not there yet: its creation says what stops it */
	if (lstat(file, &sb) != 0 && errno == ENOENT)
		return false;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(side); i++) {
		if (snprintf(name, sizeof(name), "%s%s", file, side[i]) >= (int)sizeof(name))
			return false;
		if (file_denied(name, need, why, cap))
			return true;
		if (i > 0 && lstat(name, &sb) != 0 && errno == ENOENT)
			side_missing = true;
	}
	snprintf(dir, sizeof(dir), "%s", file);
	snprintf(name, sizeof(name), "%s", dirname(dir));
	/* the directory: searched to reach the file, written to make its -wal and -shm */
	reach = stat(file, &sb) == 0 || errno != EACCES;
	if (stat(name, &sb) != 0 ||
	    (reach && (!side_missing || mode == ORSP_DB_OPEN_READONLY ||
	               faccessat(AT_FDCWD, name, W_OK | X_OK, AT_EACCESS) == 0)))
		return false;
	snprintf(why, cap,
	         "this user (uid %u) may not %s the directory %s (owned by uid %u, mode %04o)%s: "
	         "run as its owner, or make it this user's",
	         (unsigned)geteuid(), reach ? "create files in" : "reach files in", name,
	         (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 07777),
	         reach ? ", where SQLite makes the database's -wal and -shm files" : "");
	return true;
}

/* The file of target (a path, or a "file:" URI's) into file[cap]; false for an in-memory
 * database, or a URI or path that does not read or fit. */
static bool target_file(const char *target, char *file, size_t cap)
{
	if (orsp_db_uri_in_memory(target))
		return false;
	if (strncmp(target, "file:", 5) == 0)
		return orsp_db_uri_file(target, file, cap) == ORSP_OK;
	return snprintf(file, cap, "%s", target) < (int)cap;
}

/* err, an open of target (for mode) that SQLite refused with rc, with why this user could not
 * open the file (access_why) added to its detail when an access is what failed: until session
 * 73 a database root had made was "cannot open PATH: unable to open database file" to the
 * service's user, and a directory it may not write "open: attempt to write a readonly
 * database". */
static orsp_err open_denied(const char *target, orsp_db_open_mode mode, int rc, orsp_err err)
{
	char file[ORSP_DB_PATH_MAX], why[2 * ORSP_DB_PATH_MAX + 256], was[1024];
	int primary = rc & 0xff;

	if (err != ORSP_E_STORAGE || (primary != SQLITE_CANTOPEN && primary != SQLITE_READONLY &&
	                              primary != SQLITE_PERM && primary != SQLITE_IOERR))
		return err;
	/* kept first: the URI's reading may clear it */
	orsp_err_detail_copy(was, sizeof(was));
	if (!target_file(target, file, sizeof(file)) || !access_why(file, mode, why, sizeof(why)))
		return orsp_errf(err, "%s", was);
	return orsp_errf(err, "%s: %s", was, why);
}

orsp_err orsp_db_access_check(const char *uri, orsp_db_open_mode mode)
{
	char file[ORSP_DB_PATH_MAX], why[2 * ORSP_DB_PATH_MAX + 256];
	const char *p;

	if (!uri)
		return orsp_errf(ORSP_E_USAGE, "no database given");
	p = strncmp(uri, "sqlite:", 7) == 0 ? uri + 7 : uri;
	if (!target_file(p, file, sizeof(file))) {
		orsp_err_clear(); /* in memory; or the open says what is wrong with it */
		return ORSP_OK;
	}
	if (!access_why(file, mode, why, sizeof(why)))
		return ORSP_OK;
	return orsp_errf(ORSP_E_STORAGE, "cannot open the database %s: %s", file, why);
}

/* A log that grew while a reader held back every checkpoint (a backup copying a large
 * database, a long `list`) is cut back to ORSP_DB_LOG_KEEP_BYTES at the first commit that
 * starts it again from its beginning: SQLite otherwise reuses the file and never shrinks it.
 * SQLite cuts it in that commit, after it wrote the log's new header and flushed it (it
 * flushes a new header at every synchronous setting but OFF), so what is cut was already
 * out of date whichever of the two a power cut keeps. */
static orsp_err log_size_limit(sq_conn *c)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit=%ld", (long)ORSP_DB_LOG_KEEP_BYTES);
	return sq_exec(c, sql);
}

/* A hot journal beside a database opened read-only: the -journal of a writer killed in its
 * transaction (rollback-journal mode), whose changed pages are in the file. The file is not
 * its last commit until the journal is rolled back, which SQLite makes every reader do at its
 * first read, and which a read-only connection cannot do (SQLITE_READONLY_ROLLBACK). It is
 * rolled back by a read-write connection opened for that alone, which reads the schema and
 * closes: the file is back at its last commit, byte for byte, and nothing else is written (no
 * migration, no switch to WAL: the open's own steps are not run on it); then c reads it. So a
 * verb that only reads still reads the set a crashed writer left (the restore's step that
 * reads the old set, docs/smdp.md), as the verbs that write do. Where the file may not be
 * written (its mode, a URI's mode=ro) it stays refused, saying why (map_rc). */
static orsp_err readonly_rollback(const char *target, sq_conn *c)
{
	static const char probe[] = "SELECT count(*) FROM sqlite_master";
	sq_conn rw = {0};
	orsp_err err;
	int rc;

	read_errno_forget();
	rc = sqlite3_exec(c->db, probe, NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return ORSP_OK;
	/* without file locks (a URI's nolock) a writer at work could not be told from a dead
	 * one: its journal is not rolled back then */
	if (sqlite3_extended_errcode(c->db) != SQLITE_READONLY_ROLLBACK ||
	    (strncmp(target, "file:", 5) == 0 && uri_query_has(target, param_unlocks, NULL)))
		return map_rc(c->db, sqlite3_extended_errcode(c->db), "open");
	err = open_as(target, ORSP_DB_OPEN_EXISTING, &rw);
	if (!err)
		err = sq_set_busy_timeout(&rw, ORSP_DB_BUSY_TIMEOUT_MS);
	if (err) {
		sqlite3_close_v2(rw.db);
		return err;
	}
	read_errno_forget();
	rc = sqlite3_exec(rw.db, probe, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		err = map_rc(rw.db, sqlite3_extended_errcode(rw.db), "open");
	sqlite3_close_v2(rw.db);
	read_errno_forget();
	if (!err && sqlite3_exec(c->db, probe, NULL, NULL, NULL) != SQLITE_OK)
		err = map_rc(c->db, sqlite3_extended_errcode(c->db), "open");
	return err;
}

static orsp_err sq_open(const char *path, orsp_db_open_mode mode, void **out)
{
	orsp_err err;
	sq_conn *c = NULL;
	bool wal = false, now = false, later = false;

	c = calloc(1, sizeof(*c));
	if (!c)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	if (strncmp(path, "file:", 5) == 0 && mode != ORSP_DB_OPEN_READONLY &&
	    uri_query_has(path, param_unlocks, NULL)) {
		/* BEGIN IMMEDIATE would then exclude no other process: two AuCs could read and
		 * hand out the same SQN, two SM-DP+ servers change one profile at once */
		err = orsp_errf(ORSP_E_USAGE,
		                "%s: nolock (or vfs=unix-none) turns SQLite's file locks off, so "
		                "two processes could write at once: not opened",
		                path);
	} else {
		err = open_target(path, &mode, c);
	}
	if (!err && mode == ORSP_DB_OPEN_READONLY)
		err = readonly_wal(path, c);
	if (err)
		goto out;
	sqlite3_extended_result_codes(c->db, 1);
	(void)sqlite3_wal_hook(c->db, wal_hook, c); /* in place of the default checkpoint */
	err = sq_set_busy_timeout(c, ORSP_DB_BUSY_TIMEOUT_MS);
	/* after the busy handler: its read waits for a writer's lock as every read does */
	if (!err && mode == ORSP_DB_OPEN_READONLY)
		err = readonly_rollback(path, c);
	if (err)
		goto out;
	/* Switching to WAL takes an exclusive lock once per file; journal_mode tries again when
	 * a concurrent first open of the file holds it. The mode is persistent, later opens only
	 * read it. A file that is not ours keeps its mode, and so does an empty one unless the
	 * open may create the database; one with openrsp's migration table is switched by
	 * orsp_db_migrate (may_switch). */
	err = may_switch(c->db, mode == ORSP_DB_OPEN_CREATE, &now, &later);
	if (!err)
		err = journal_mode(c->db, now && mode != ORSP_DB_OPEN_READONLY, &wal);
	if (err)
		goto out;
	c->wal_later = later && !wal && mode != ORSP_DB_OPEN_READONLY;
	err = sq_exec(c, wal ? "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
	                       "PRAGMA secure_delete=ON;"
	                     : "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
	                       "PRAGMA secure_delete=ON;");
	if (!err)
		err = log_size_limit(c);
	if (err)
		goto out;
	*out = c;
	c = NULL;
out:
	if (err && c)
		err = open_denied(path, mode, c->db ? sqlite3_extended_errcode(c->db) : c->open_rc,
		                  err);
	sq_close(c);
	return err;
}

/* The switch to WAL that sq_open left to orsp_db_migrate (wal_later); a no-op otherwise. */
static orsp_err sq_use_wal(void *conn)
{
	sq_conn *c = conn;
	orsp_err err;
	bool wal = false;

	if (!c->wal_later)
		return ORSP_OK;
	err = journal_mode(c->db, true, &wal);
	if (!err && wal)
		err = sq_exec(c, "PRAGMA synchronous=NORMAL");
	if (!err)
		c->wal_later = false;
	return err;
}

/* Run a transaction-control statement, prepared on first use and kept. */
static orsp_err ctl(sq_conn *c, sqlite3_stmt **st, const char *sql)
{
	int rc = SQLITE_OK;

	read_errno_forget();
	if (!*st)
		rc = sqlite3_prepare_v2(c->db, sql, -1, st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(*st);
		(void)sqlite3_reset(*st);
		if (rc == SQLITE_DONE)
			return ORSP_OK;
	}
	return map_rc(c->db, rc, sql);
}

static orsp_err sq_begin(void *conn)
{
	sq_conn *c = conn;
	return ctl(c, &c->begin, "BEGIN IMMEDIATE");
}

static orsp_err sq_commit(void *conn)
{
	sq_conn *c = conn;
	return ctl(c, &c->commit, "COMMIT");
}

static orsp_err sq_rollback(void *conn)
{
	sq_conn *c = conn;
	if (sqlite3_get_autocommit(c->db))
		return ORSP_OK; /* SQLite already rolled back (e.g. after an I/O error) */
	return ctl(c, &c->rollback, "ROLLBACK");
}

static bool sq_in_tx(void *conn)
{
	return !sqlite3_get_autocommit(((sq_conn *)conn)->db);
}

/* The connection's write-ahead log, for sq_sync_log (NULL: nothing to sync). Without a WAL
 * the journal pointer is a closed file (rollback journal, synchronous=FULL) or an in-memory
 * journal. Uses the connection, so it runs where the connection's other calls run. */
static orsp_err sq_log_of(void *conn, void **log)
{
	sqlite3 *db = ((sq_conn *)conn)->db;
	sqlite3_file *f = NULL;
	int rc;

	*log = NULL;
	rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f);
	if (rc != SQLITE_OK)
		return map_rc(db, rc, "sync");
	if (f && f->pMethods)
		*log = f;
	return ORSP_OK;
}

/* fdatasync the log through SQLite's own VFS (which also syncs the directory after the log
 * was created). Touches only the file, not the connection: it may run while another thread
 * uses the connection (db.c's shared handles sync outside their turn). */
static orsp_err sq_sync_log(void *log)
{
	sqlite3_file *f = log;
	int rc;

	if (!f)
		return ORSP_OK;
	errno = 0;
	rc = f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
	/* the file's own call: errno is its failed fsync's (EIO, ENOSPC) */
	if (rc != SQLITE_OK)
		return orsp_errf(ORSP_E_STORAGE, "cannot sync the write-ahead log: %s%s%s%s",
		                 sqlite3_errstr(rc), errno ? " (" : "",
		                 errno ? strerror(errno) : "", errno ? ")" : "");
	return ORSP_OK;
}

static int64_t sq_changes(void *conn)
{
	return sqlite3_changes64(((sq_conn *)conn)->db);
}

/* SQLite's progress handler: a non-zero return interrupts the statement running. */
static int copy_progress(void *arg)
{
	return orsp_stop_set(((sq_conn *)arg)->stop);
}

/* VACUUM INTO rather than the online backup API (sqlite3_backup_step): both read one
 * snapshot in one read transaction, which in WAL mode blocks no writer (a checkpoint only
 * stops at the snapshot until the copy ends); VACUUM INTO writes the live rows only, so
 * pages freed since (deleted subscribers, values wrapped under a KEK rotated away) are not
 * carried into the copy, and its output is in rollback-journal mode: a read-only open of the
 * copy creates no -wal/-shm beside it, and the module's open (orsp_db_migrate) switches it
 * to WAL once it is restored (it holds openrsp's schema_migrations). The target must not
 * exist or be empty; path is bound as a parameter, and an absolute path is never read as a
 * "file:" URI. */
static orsp_err sq_copy_into(void *conn, const char *path, const volatile sig_atomic_t *stop)
{
	sq_conn *c = conn;
	sqlite3_stmt *st = NULL;
	orsp_err err = ORSP_OK;
	int rc;

	read_errno_forget();
	rc = sqlite3_prepare_v2(c->db, "VACUUM INTO ?1", -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK) {
		c->stop = stop;
		if (stop)
			sqlite3_progress_handler(c->db, 1000, copy_progress, c);
		rc = sqlite3_step(st);
		if (stop)
			sqlite3_progress_handler(c->db, 0, NULL, NULL);
		c->stop = NULL;
	}
	if ((rc & 0xff) == SQLITE_INTERRUPT)
		err = orsp_errf(ORSP_E_STATE, "interrupted during the copy: no backup made");
	else if (rc != SQLITE_DONE) {
		/* named: "database or disk is full" alone read as the live database's */
		char what[ORSP_DB_PATH_MAX + 16];
		snprintf(what, sizeof(what), "copy into %s", path);
		err = map_rc(c->db, rc, what);
	}
	sqlite3_finalize(st);
	return err;
}

static orsp_err sq_prepare(void *conn, const char *sql, void **out)
{
	sqlite3 *db = ((sq_conn *)conn)->db;
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	int rc;

	read_errno_forget();
	rc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);
	if (rc != SQLITE_OK)
		return map_rc(db, rc, "prepare");
	if (!st)
		return orsp_errf(ORSP_E_USAGE, "prepare: empty statement");
	for (; tail && *tail; tail++) {
		if (*tail != ' ' && *tail != '\t' && *tail != '\n' && *tail != '\r') {
			sqlite3_finalize(st);
			return orsp_errf(ORSP_E_USAGE, "prepare: more than one statement");
		}
	}
	*out = st;
	return ORSP_OK;
}

/* orsp__db_test_count_steps: NULL in every program */
static int64_t *test_steps;

void orsp__db_test_count_steps(int64_t *steps)
{
	test_steps = steps;
}

/* The statement's virtual machine instructions since it last ran, into *test_steps when a
 * test asked for them. The counter starts again at 0 in every program (a cached statement's
 * would otherwise carry its earlier runs into the count of a later one): a store of an int. */
static void count_steps(sqlite3_stmt *st)
{
	int n = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 1);

	if (test_steps)
		*test_steps += n;
}

static void sq_finalize(void *st)
{
	count_steps(st);
	sqlite3_finalize(st);
}

static orsp_err sq_reset(void *st)
{
	int rc = sqlite3_reset(st);
	if (rc != SQLITE_OK)
		return map_rc(sqlite3_db_handle(st), rc, "reset");
	return ORSP_OK;
}

static void sq_recycle(void *st)
{
	count_steps(st);
	/* sqlite3_reset repeats the last step's error, which the caller has already seen */
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
}

static orsp_err bind_rc(void *st, int rc)
{
	if (rc != SQLITE_OK)
		return map_rc(sqlite3_db_handle(st), rc, "bind");
	return ORSP_OK;
}

static orsp_err sq_bind_int64(void *st, int idx, int64_t v)
{
	return bind_rc(st, sqlite3_bind_int64(st, idx, v));
}

static orsp_err sq_bind_text(void *st, int idx, const char *v)
{
	return bind_rc(st, sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT));
}

static orsp_err sq_bind_blob(void *st, int idx, const void *p, size_t n)
{
	/* A zero-length blob is still a blob, not NULL. */
	static const uint8_t empty[1];
	return bind_rc(st, sqlite3_bind_blob64(st, idx, n ? p : empty, n, SQLITE_TRANSIENT));
}

static orsp_err sq_bind_null(void *st, int idx)
{
	return bind_rc(st, sqlite3_bind_null(st, idx));
}

static orsp_err sq_step(void *st, bool *row)
{
	int rc;

	read_errno_forget();
	rc = sqlite3_step(st);
	*row = false;
	if (rc == SQLITE_ROW) {
		*row = true;
		return ORSP_OK;
	}
	if (rc == SQLITE_DONE)
		return ORSP_OK;
	return map_rc(sqlite3_db_handle(st), rc, "step");
}

static bool sq_readonly(void *st)
{
	return sqlite3_stmt_readonly(st) != 0;
}

static bool sq_column_is_null(void *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL;
}

static int64_t sq_column_int64(void *st, int col)
{
	return sqlite3_column_int64(st, col);
}

static const char *sq_column_text(void *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

static orsp_slice sq_column_blob(void *st, int col)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);
	if (!p || n <= 0)
		return orsp_slice_make(NULL, 0);
	return orsp_slice_make(p, (size_t)n);
}

const struct orsp_db_ops orsp_db_sqlite_ops = {
    .name = "sqlite",
    .backend = ORSP_DB_SQLITE,
    .open = sq_open,
    .file_of = sq_file_of,
    .close = sq_close,
    .set_busy_timeout = sq_set_busy_timeout,
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .in_tx = sq_in_tx,
    .changes = sq_changes,
    .copy_into = sq_copy_into,
    .use_wal = sq_use_wal,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .reset = sq_reset,
    .recycle = sq_recycle,
    .bind_int64 = sq_bind_int64,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .readonly = sq_readonly,
    .log_of = sq_log_of,
    .sync_log = sq_sync_log,
    .checkpoint_failed = sq_checkpoint_failed,
    .out_of_room = sq_out_of_room,
    .lock_lost = sq_lock_lost,
    .wrote = sq_wrote,
    .column_is_null = sq_column_is_null,
    .column_int64 = sq_column_int64,
    .column_text = sq_column_text,
    .column_blob = sq_column_blob,
};

const char *orsp_db_sqlite_version(void)
{
	return sqlite3_libversion();
}
