/* The SQLite VFS every database of openrsp is opened through, "openrsp": SQLite's default VFS
 * ("unix") with one change, the blocks of the WAL-index file (<database>-shm) are allocated
 * before a connection is given a region of it.
 *
 * Why: SQLite grows the -shm file by writing one byte at the end of each 4 KiB page of a new
 * region, then maps it and uses it as memory. On a file system whose blocks are smaller than
 * a page (ext4 with 1 KiB blocks, which mke2fs makes for any volume under 512 MB) that byte
 * gets a block and the page's other blocks stay holes; the first store into a hole needs a
 * block, and with none free the kernel ends the process with SIGBUS (exit 135, no message),
 * at the open (the log's recovery) or in a COMMIT (the index of its frames): a disk-full
 * review saw every database command and a running `smdp serve` die so. fallocate(2) of the
 * region beforehand turns that into SQLITE_FULL, "database or disk is full", which the
 * statement returns and the caller reports.
 *
 * Only the database files (SQLITE_OPEN_MAIN_DB) and their logs (SQLITE_OPEN_WAL) are wrapped:
 * the WAL-index is reached through the database file's methods (xShmMap), and a read of either
 * that fails is noted for the error it leads to (f_read); every method of theirs passes on to
 * the default VFS's file, one indirect call more. A journal and temporary files are the default
 * VFS's own files.
 *
 * The descriptor: fallocate needs one of the -shm file, and closing ANY descriptor of a file
 * drops all of the process's POSIX locks on it, SQLite's WAL locks and the read lock on its
 * "DMS" byte included (kek.c). So one descriptor is opened per database file (device and
 * inode, as SQLite's unix VFS shares one WAL-index between the connections of a process: a
 * database opened by another name, a hard link, finds the same), kept while any connection
 * through this VFS may be attached to the WAL-index (from its first xShmMap to its xShmUnmap
 * or xClose), and closed after the last one let go: SQLite's own descriptor is closed by then
 * too, and its locks with it. A connection of this process through another VFS (a test's
 * "file:...?vfs=faulty", a raw sqlite3_open) still attached then would lose its locks:
 * openrsp opens none. Processes that do not use this VFS (older binaries, the sqlite3 shell)
 * share the file unharmed: fallocate fills holes with zeros, which is what they read there,
 * and changes no byte.
 *
 * Not posix_fallocate: where the file system has no fallocate, glibc's fallback writes a zero
 * into each block it finds empty, by read and write, racing with the other processes that
 * write the shared memory meanwhile. Where fallocate is not supported the region is used as
 * SQLite leaves it, as before. */
#define _GNU_SOURCE /* fallocate */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_impl.h"

#define VFS_NAME "openrsp"

/* The WAL-index of one database file, shared by this process's connections to it. */
typedef struct shm_file {
	struct shm_file *next;
	dev_t dev; /* the database file's */
	ino_t ino;
	unsigned users; /* wrapped connections that may be attached to it */
	int fd;         /* the -shm file, opened once SQLite made it; -1 before */
	bool left;      /* no fallocate there, or the file does not open: left as it is */
	bool lock_lost; /* an unlock of its failed for good (f_shm_lock) */
	int lost_errno; /* that unlock's errno */
	char path[];    /* <database>-shm, as SQLite names it */
} shm_file;

/* A database file: this header, then the default VFS's file (szOsFile). */
typedef struct vfs_file {
	sqlite3_file base;
	sqlite3_file *real;
	const char *name; /* xOpen's, valid until xClose */
	dev_t dev;
	ino_t ino;
	bool known;    /* dev and ino were read at the open */
	shm_file *shm; /* held from the first xShmMap to xShmUnmap or xClose */
	/* an unlock of the WAL-index failed for good while no shm_file was held (under shm_mu) */
	bool lock_lost;
	int lost_errno;
} vfs_file;

/* An unlock of a WAL-index lock is tried this often, SHM_UNLOCK_PAUSE_NS apart (none after an
 * EINTR), before the lock state counts as lost (f_shm_lock). */
#define SHM_UNLOCK_TRIES 5
#define SHM_UNLOCK_PAUSE_NS 1000000L

static sqlite3_vfs vfs;
static pthread_mutex_t shm_mu = PTHREAD_MUTEX_INITIALIZER;
static shm_file *shm_files; /* under shm_mu, as every shm_file's fields */
/* shm_files and vfs_files with lock_lost: vfs_lock_lost looks no further while none is */
static atomic_uint files_lost;

#define REAL(f) (((vfs_file *)(f))->real)

static sqlite3_vfs *real_vfs(void)
{
	return vfs.pAppData;
}

/* f's shm_file, made on first use (users counted); NULL: out of memory. */
static shm_file *shm_hold(vfs_file *f)
{
	shm_file *s;
	size_t n = strlen(f->name);

	pthread_mutex_lock(&shm_mu);
	for (s = shm_files; s; s = s->next)
		if (s->dev == f->dev && s->ino == f->ino)
			break;
	if (!s && (s = calloc(1, sizeof(*s) + n + sizeof("-shm")))) {
		s->dev = f->dev;
		s->ino = f->ino;
		s->fd = -1;
		memcpy(s->path, f->name, n);
		memcpy(s->path + n, "-shm", sizeof("-shm"));
		s->next = shm_files;
		shm_files = s;
	}
	if (s)
		s->users++;
	pthread_mutex_unlock(&shm_mu);
	return s;
}

/* After f's connection let go of the WAL-index (SQLite's xShmUnmap, or its xClose): the last
 * one closes the descriptor, once SQLite has closed its own. */
static void shm_release(vfs_file *f)
{
	shm_file *s = f->shm, **p;

	if (!s)
		return;
	f->shm = NULL;
	pthread_mutex_lock(&shm_mu);
	if (--s->users == 0) {
		for (p = &shm_files; *p != s; p = &(*p)->next)
			;
		*p = s->next;
		if (s->fd >= 0)
			close(s->fd);
		if (s->lock_lost)
			atomic_fetch_sub(&files_lost, 1);
		free(s);
	}
	pthread_mutex_unlock(&shm_mu);
}

/* The blocks of s's first `end` bytes allocated: SQLITE_OK, or SQLITE_FULL when the file
 * system has no room (errno ENOSPC or EDQUOT for xGetLastError), SQLITE_IOERR_SHMSIZE for
 * another failure. A -shm file that this process may not write, or that is not under this
 * name (SQLite's unix VFS names it after the connection that opened it first in the process,
 * one through another VFS by a hard link's name), is left as SQLite made it. */
static int shm_allocate(shm_file *s, int64_t end)
{
	int rc = SQLITE_OK, err = 0;
	bool open_failed = false;

	pthread_mutex_lock(&shm_mu);
	/* what another process may have done to the file since the last call: truncated it and
	 * grown it again, sparse (the first to attach after all had let go), or deleted it (the
	 * last to let go, leaving WAL mode), the descriptor then on an inode nobody opens any
	 * more and a new file under the name. So the descriptor is opened again for a deleted
	 * file, and every call allocates from 0 (fallocate of blocks already there changes
	 * nothing; xShmMap comes once per region per connection). Until the session 73 review
	 * of this VFS a call skipped what an earlier one had allocated, and the holes of a file
	 * truncated meanwhile stayed. */
	if (s->fd >= 0) {
		struct stat sb;
		if (fstat(s->fd, &sb) != 0 || sb.st_nlink == 0) {
			close(s->fd);
			s->fd = -1;
		}
	}
	if (!s->left) {
		if (s->fd < 0)
			s->fd = open(s->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
		if (s->fd < 0) {
			/* a file this process may not write, or not under this name: left as SQLite
			 * made it, for good; out of descriptors or memory: this map fails, and the
			 * next tries again (it was left for good, the protection silently gone) */
			if (errno == EACCES || errno == EPERM || errno == EROFS ||
			    errno == ENOENT || errno == ELOOP)
				s->left = true;
			else {
				err = errno;
				open_failed = true;
			}
		} else {
			int r;
			do
				r = fallocate(s->fd, 0, 0, end);
			while (r != 0 && errno == EINTR);
			if (r != 0 && (errno == EOPNOTSUPP || errno == ENOSYS))
				s->left = true;
			else if (r != 0)
				err = errno;
		}
	}
	pthread_mutex_unlock(&shm_mu);
	if (err) {
		rc = open_failed                      ? SQLITE_IOERR_SHMOPEN
		     : err == ENOSPC || err == EDQUOT ? SQLITE_FULL
		                                      : SQLITE_IOERR_SHMSIZE;
		errno = err;
	}
	return rc;
}

/* Whether f's WAL-index lock state is lost (f_shm_lock), with the failed unlock's errno in
 * *err (may be NULL): its own, or that of its database file in this process, also when f is
 * not attached to the WAL-index (yet). */
static bool vfs_lock_lost(vfs_file *f, int *err)
{
	bool lost = false;
	shm_file *s;

	if (!atomic_load(&files_lost))
		return false;
	pthread_mutex_lock(&shm_mu);
	if (f->lock_lost) {
		lost = true;
		if (err)
			*err = f->lost_errno;
	}
	for (s = shm_files; s && !lost && f->known; s = s->next)
		if (s->dev == f->dev && s->ino == f->ino && s->lock_lost) {
			lost = true;
			if (err)
				*err = s->lost_errno;
		}
	pthread_mutex_unlock(&shm_mu);
	return lost;
}

/* ----- the database file's methods: all pass on; xShmMap allocates first ----- */

static int f_close(sqlite3_file *file)
{
	vfs_file *f = (vfs_file *)file;
	int rc = REAL(f)->pMethods->xClose(REAL(f));

	shm_release(f); /* SQLite unmaps before it closes: held only after a failure */
	pthread_mutex_lock(&shm_mu);
	if (f->lock_lost)
		atomic_fetch_sub(&files_lost, 1);
	f->lock_lost = false;
	pthread_mutex_unlock(&shm_mu);
	return rc;
}

/* The errno of the last read of a database file or its log that failed in this thread, 0 when
 * none did since orsp__sqlite_vfs_read_errno took it (sqlite.c: after a failure, and as each
 * statement begins). */
static _Thread_local int read_errno;

/* xRead, a failure noted: SQLite's unix VFS answers a read that fails with EIO (ENXIO, ERANGE)
 * SQLITE_IOERR_CORRUPTFS, which a statement returns as SQLITE_CORRUPT, "database disk image is
 * malformed", with no system errno kept (sqlite3_system_errno), though the file may be sound
 * (session 75's fault injection: an EIO of one pread at the open or in a request). A short
 * read (zeros past the end) is no failure. */
static int f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	int rc = REAL(f)->pMethods->xRead(REAL(f), p, n, off);

	if ((rc & 0xff) == SQLITE_IOERR && rc != SQLITE_IOERR_SHORT_READ &&
	    rc != SQLITE_IOERR_NOMEM)
		read_errno = errno ? errno : EIO;
	return rc;
}

static int f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int f_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int f_lock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int f_unlock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int f_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int f_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int f_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int f_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

/* SQLite's xShmMap, then, before the connection touches region `region` of the mapping, the
 * blocks of the file up to the end of what is mapped. After the call, not before: the first
 * connection of a process makes the file, and truncates one no other process uses. Any region
 * mapped writable, whether this call extended the file or not: a reader's mapping is written
 * to once the connection writes, without another xShmMap. On a failure *pp is NULL, so that
 * SQLite keeps no pointer to the region and asks again (SQLite 3.40's walIndexPageRealloc
 * keeps whatever *pp holds). */
static int f_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **pp)
{
	vfs_file *f = (vfs_file *)file;
	int rc;

	if (!f->shm && f->known && !(f->shm = shm_hold(f))) {
		*pp = NULL;
		return SQLITE_IOERR_NOMEM;
	}
	rc = REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, pp);
	if (!f->shm)
		return rc;
	if (rc == SQLITE_OK && *pp) {
		/* the unix VFS maps a page's worth of regions at once where a page holds
		 * several (unixShmRegionPerMap) */
		long page = sysconf(_SC_PAGESIZE);
		int64_t per = page > size ? page / size : 1;
		rc = shm_allocate(f->shm, (region / per + 1) * per * size);
		if (rc != SQLITE_OK)
			*pp = NULL;
	}
	return rc;
}

/* f's WAL-index lock state lost (f_shm_lock): on its file when the connection is attached
 * to one, on the connection's own otherwise. */
static void shm_lock_lost(vfs_file *f, int err)
{
	pthread_mutex_lock(&shm_mu);
	if (f->shm && !f->shm->lock_lost) {
		f->shm->lock_lost = true;
		f->shm->lost_errno = err;
		atomic_fetch_add(&files_lost, 1);
	} else if (!f->shm && !f->lock_lost) {
		f->lock_lost = true;
		f->lost_errno = err;
		atomic_fetch_add(&files_lost, 1);
	}
	pthread_mutex_unlock(&shm_mu);
}

/* SQLite's xShmLock, with a failed unlock tried again. SQLite marks a WAL-index lock released
 * only once its fcntl(F_UNLCK) succeeded, and does not look at the failure (walUnlockShared,
 * walUnlockExclusive): the lock stays held, by the connection as SQLite sees it and by the
 * process as the kernel does. One held so for good (an exclusive one on a read mark, which a
 * connection takes to set the mark and drops at once) made every later read of the process,
 * and of other processes on the file, wait SQLite's retries, about 10 s, and fail "locking
 * protocol" (SQLITE_PROTOCOL), /health "database read failed", until a restart: an EINTR or EIO
 * of one fcntl, injected by the fault-injection review of session 75. Calling again is the same
 * unlock (nothing changed). One that still fails marks the file's lock state lost: from then
 * on every lock of the process on it is refused at once, SQLITE_IOERR_SHMLOCK, which the store
 * reports as a lost lock state that needs a restart (orsp__sqlite_vfs_lock_lost; /health
 * "database lock lost", orsp_db_lock_lost): the
 * process's locks go only with its last descriptor of the -shm file, when every connection of
 * the process to the database is closed. Unlocks are still tried. */
static int f_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	vfs_file *f = (vfs_file *)file;
	int rc, err = 0;

	if (!(flags & SQLITE_SHM_UNLOCK) && vfs_lock_lost(f, NULL))
		return SQLITE_IOERR_SHMLOCK;
	rc = REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
	if (rc == SQLITE_OK || !(flags & SQLITE_SHM_UNLOCK))
		return rc;
	for (int i = 1; i < SHM_UNLOCK_TRIES && rc != SQLITE_OK; i++) {
		err = errno; /* the fcntl's (SQLite keeps none for this call) */
		if (err != EINTR) {
			struct timespec ts = {0, SHM_UNLOCK_PAUSE_NS};
			(void)nanosleep(&ts, NULL);
		}
		rc = REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
	}
	if (rc == SQLITE_OK)
		return rc;
	err = errno;
	shm_lock_lost(f, err);
	errno = err;
	return SQLITE_IOERR_SHMLOCK;
}

static void f_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *file, int delete_flag)
{
	vfs_file *f = (vfs_file *)file;
	int rc = REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);

	shm_release(f);
	return rc;
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, p);
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

/* One table per version of the default VFS's file methods (SQLite calls no method its
 * version lacks): the wrapper's is the real file's. */
#define IO_METHODS(v)                                                                              \
	{                                                                                          \
		.iVersion = (v), .xClose = f_close, .xRead = f_read, .xWrite = f_write,            \
		.xTruncate = f_truncate, .xSync = f_sync, .xFileSize = f_file_size,                \
		.xLock = f_lock, .xUnlock = f_unlock, .xCheckReservedLock = f_check_reserved,      \
		.xFileControl = f_file_control, .xSectorSize = f_sector_size,                      \
		.xDeviceCharacteristics = f_device_characteristics,                                \
		.xShmMap = (v) >= 2 ? f_shm_map : NULL, .xShmLock = (v) >= 2 ? f_shm_lock : NULL,  \
		.xShmBarrier = (v) >= 2 ? f_shm_barrier : NULL,                                    \
		.xShmUnmap = (v) >= 2 ? f_shm_unmap : NULL, .xFetch = (v) >= 3 ? f_fetch : NULL,   \
		.xUnfetch = (v) >= 3 ? f_unfetch : NULL,                                           \
	}

static const sqlite3_io_methods io_methods[] = {IO_METHODS(1), IO_METHODS(2), IO_METHODS(3)};

/* ----- the VFS: xOpen wraps a database file, the rest is the default VFS's ----- */

static int v_open(sqlite3_vfs *v, const char *name, sqlite3_file *file, int flags, int *out)
{
	vfs_file *f = (vfs_file *)file;
	struct stat sb;
	int rc, version;

	(void)v;
	if (!(flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)) || !name)
		return real_vfs()->xOpen(real_vfs(), name, file, flags, out);
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	f->name = name;
	rc = real_vfs()->xOpen(real_vfs(), name, f->real, flags, out);
	if (!f->real->pMethods)
		return rc;
	/* the file just opened, as SQLite's unix VFS keys its WAL-index (by inode); a log's is
	 * not known: it has no WAL-index of its own */
	if (rc == SQLITE_OK && (flags & SQLITE_OPEN_MAIN_DB) && stat(name, &sb) == 0) {
		f->dev = sb.st_dev;
		f->ino = sb.st_ino;
		f->known = true;
	}
	version = f->real->pMethods->iVersion;
	/* the wrapper is closed (and passes the close on) whenever the real file must be */
	f->base.pMethods = &io_methods[version < 1 ? 0 : version > 3 ? 2 : version - 1];
	return rc;
}

static int v_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	(void)v;
	return real_vfs()->xDelete(real_vfs(), name, sync_dir);
}

static int v_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return real_vfs()->xAccess(real_vfs(), name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return real_vfs()->xFullPathname(real_vfs(), name, n, out);
}

static void *v_dl_open(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return real_vfs()->xDlOpen(real_vfs(), name);
}

static void v_dl_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	real_vfs()->xDlError(real_vfs(), n, out);
}

static void (*v_dl_sym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	(void)v;
	return real_vfs()->xDlSym(real_vfs(), h, sym);
}

static void v_dl_close(sqlite3_vfs *v, void *h)
{
	(void)v;
	real_vfs()->xDlClose(real_vfs(), h);
}

static int v_randomness(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return real_vfs()->xRandomness(real_vfs(), n, out);
}

static int v_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return real_vfs()->xSleep(real_vfs(), us);
}

static int v_current_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return real_vfs()->xCurrentTime(real_vfs(), out);
}

static int v_get_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return real_vfs()->xGetLastError(real_vfs(), n, out);
}

static int v_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return real_vfs()->xCurrentTimeInt64(real_vfs(), out);
}

static int v_set_system_call(sqlite3_vfs *v, const char *name, sqlite3_syscall_ptr p)
{
	(void)v;
	return real_vfs()->xSetSystemCall(real_vfs(), name, p);
}

static sqlite3_syscall_ptr v_get_system_call(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return real_vfs()->xGetSystemCall(real_vfs(), name);
}

static const char *v_next_system_call(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return real_vfs()->xNextSystemCall(real_vfs(), name);
}

int orsp__sqlite_vfs_read_errno(void)
{
	int e = read_errno;

	read_errno = 0;
	return e;
}

bool orsp__sqlite_vfs_lock_lost(sqlite3_file *file, int *err)
{
	for (size_t i = 0; file && i < ORSP_ARRAY_LEN(io_methods); i++)
		if (file->pMethods == &io_methods[i])
			return vfs_lock_lost((vfs_file *)file, err);
	return false; /* not a database file of this VFS */
}

static bool registered;

static void register_vfs(void)
{
	sqlite3_vfs *real;

	if (sqlite3_initialize() != SQLITE_OK || !(real = sqlite3_vfs_find(NULL)))
		return;
	vfs = (sqlite3_vfs){
	    .iVersion = real->iVersion < 3 ? real->iVersion : 3,
	    .szOsFile = (int)sizeof(vfs_file) + real->szOsFile,
	    .mxPathname = real->mxPathname,
	    .zName = VFS_NAME,
	    .pAppData = real,
	    .xOpen = v_open,
	    .xDelete = v_delete,
	    .xAccess = v_access,
	    .xFullPathname = v_full_pathname,
	    .xDlOpen = v_dl_open,
	    .xDlError = v_dl_error,
	    .xDlSym = v_dl_sym,
	    .xDlClose = v_dl_close,
	    .xRandomness = v_randomness,
	    .xSleep = v_sleep,
	    .xCurrentTime = v_current_time,
	    .xGetLastError = v_get_last_error,
	    .xCurrentTimeInt64 = real->iVersion >= 2 ? v_current_time_int64 : NULL,
	    .xSetSystemCall = real->iVersion >= 3 ? v_set_system_call : NULL,
	    .xGetSystemCall = real->iVersion >= 3 ? v_get_system_call : NULL,
	    .xNextSystemCall = real->iVersion >= 3 ? v_next_system_call : NULL,
	};
	registered = sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
}

const char *orsp__sqlite_vfs(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, register_vfs);
	return registered ? VFS_NAME : NULL;
}
