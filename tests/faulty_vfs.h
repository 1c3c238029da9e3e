/* A fault-injecting SQLite VFS, for the tests only: failures of the file system underneath
 * SQLite (a full disk, an I/O error) at the call the test names, so that a test sees what
 * SQLite, and the store above it, do with them.
 *
 * faulty_vfs_register() adds the VFS "faulty" (not the default): it wraps the default VFS
 * ("unix" on Linux) and passes every call through, except the one armed to fail. A database
 * is opened through it with an SQLite URI, which the store passes to SQLite as it is:
 * "file:PATH?vfs=faulty" (test_vfs_uri). Its -wal and -journal files are opened through the
 * same VFS; the -shm file is mapped through the database file's xShmMap. Process-wide, and
 * safe to arm while other threads use it.
 */
#ifndef ORSP_TEST_FAULTY_VFS_H
#define ORSP_TEST_FAULTY_VFS_H

#include <stdbool.h>
#include <stddef.h>

#define FAULTY_VFS "faulty"

typedef enum faulty_op {
	FAULTY_WRITE,    /* xWrite */
	FAULTY_SYNC,     /* xSync */
	FAULTY_TRUNCATE, /* xTruncate */
	FAULTY_SHMMAP,   /* xShmMap (a call of the database file's, for its -shm file) */
	FAULTY_N_OPS,
} faulty_op;

/* Register the VFS (once; later calls do nothing). */
void faulty_vfs_register(void);

/* From now on, count the calls of `op` on files whose name ends with `suffix` (NULL or "":
 * every file; the database's name itself for FAULTY_SHMMAP), and fail the nth of them (1 =
 * the next one) with the SQLite result code rc (SQLITE_FULL, SQLITE_IOERR_WRITE...), and
 * every later one too when `sticky` (a disk that stays full). n = 0: fail none, only count.
 * Replaces any earlier arming; the counts start at 0. */
void faulty_vfs_arm(faulty_op op, const char *suffix, unsigned n, bool sticky, int rc);
/* Fail nothing any more (the counts are kept). */
void faulty_vfs_disarm(void);
/* Calls of the armed op counted since faulty_vfs_arm, and how many of them were failed. */
unsigned faulty_vfs_calls(void);
unsigned faulty_vfs_failed(void);
/* Tries for an exclusive lock of the -shm file (the WAL's write lock, a checkpoint's) that
 * found it taken, of every file opened through the VFS, since the process started (not
 * reset by faulty_vfs_arm). */
unsigned faulty_vfs_shm_busy(void);

/* "file:PATH?vfs=faulty" into out[cap] (PATH absolute, without '?', '#' or '%'). */
const char *faulty_vfs_uri(const char *path, char *out, size_t cap);

/* Unlocks of the WAL-index that fail, for every connection of the process through a VFS
 * built on SQLite's "unix" (the store's, this one): its fcntl, through which it takes and
 * drops its POSIX locks, replaced on first use. An F_UNLCK of a WAL read lock (bytes 123..127
 * of a -shm file; the database file's locks are at 1 GiB) taken exclusively, as a connection
 * does to set a read mark, fails with EIO, as the fault-injection review's `strace -e
 * inject=fcntl` made it fail: the next n of them, every one with n = -1, none with 0 (the
 * count of failed ones starts at 0). False: the fcntl could not be replaced. */
bool faulty_unlocks_fail(int n);
/* Unlocks failed since faulty_unlocks_fail. */
unsigned faulty_unlocks_failed(void);
/* SQLite's own fcntl back (also when never replaced), nothing failed any more. */
void faulty_unlocks_restore(void);

#endif
