/* The fault-injecting SQLite VFS of the tests (faulty_vfs.h).
 *
 * A file opened through it is a faulty_file: the wrapper's sqlite3_file, followed in the same
 * allocation (szOsFile) by the default VFS's own file, to which every method passes on. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "faulty_vfs.h"

typedef struct faulty_file {
	sqlite3_file base;  /* pMethods = &faulty_io */
	sqlite3_file *real; /* the default VFS's file, right after this struct */
	const char *name;   /* xOpen's name (valid until xClose; NULL for a temporary file) */
} faulty_file;

static sqlite3_vfs faulty_vfs;
static sqlite3_io_methods faulty_io;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* the arming (under mu) */
static struct {
	bool armed;
	faulty_op op;
	char suffix[64];
	unsigned n, calls, failed;
	bool sticky;
	int rc;
} arm;

static sqlite3_vfs *real_vfs(void)
{
	return faulty_vfs.pAppData;
}

static bool name_matches(const char *name, const char *suffix)
{
	size_t n, m = strlen(suffix);

	if (m == 0)
		return true;
	if (!name)
		return false;
	n = strlen(name);
	return n >= m && strcmp(name + n - m, suffix) == 0;
}

/* SQLITE_OK, or the injected failure for this call of op on file f. */
static int fault(faulty_file *f, faulty_op op)
{
	int rc = SQLITE_OK;

	pthread_mutex_lock(&mu);
	if (arm.armed && arm.op == op && name_matches(f->name, arm.suffix)) {
		arm.calls++;
		if (arm.n && (arm.calls == arm.n || (arm.sticky && arm.calls > arm.n))) {
			arm.failed++;
			rc = arm.rc;
			/* the system's reason, as a failed call leaves it for xGetLastError (the
			 * unix VFS's reads errno: sqlite3_system_errno) */
			errno = (rc & 0xff) == SQLITE_FULL ? ENOSPC : EIO;
		}
	}
	pthread_mutex_unlock(&mu);
	return rc;
}

void faulty_vfs_arm(faulty_op op, const char *suffix, unsigned n, bool sticky, int rc)
{
	pthread_mutex_lock(&mu);
	arm.armed = true;
	arm.op = op;
	snprintf(arm.suffix, sizeof(arm.suffix), "%s", suffix ? suffix : "");
	arm.n = n;
	arm.calls = arm.failed = 0;
	arm.sticky = sticky;
	arm.rc = rc;
	pthread_mutex_unlock(&mu);
}

void faulty_vfs_disarm(void)
{
	pthread_mutex_lock(&mu);
	arm.armed = false;
	pthread_mutex_unlock(&mu);
}

unsigned faulty_vfs_calls(void)
{
	unsigned n;
	pthread_mutex_lock(&mu);
	n = arm.calls;
	pthread_mutex_unlock(&mu);
	return n;
}

unsigned faulty_vfs_failed(void)
{
	unsigned n;
	pthread_mutex_lock(&mu);
	n = arm.failed;
	pthread_mutex_unlock(&mu);
	return n;
}

const char *faulty_vfs_uri(const char *path, char *out, size_t cap)
{
	snprintf(out, cap, "file:%s?vfs=" FAULTY_VFS, path);
	return out;
}

/* ----- the file methods: the armed ones may fail, every other passes on ----- */

#define REAL(f) (((faulty_file *)(f))->real)

static int f_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}

static int f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	int rc = fault((faulty_file *)f, FAULTY_WRITE);
	return rc ? rc : REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc = fault((faulty_file *)f, FAULTY_TRUNCATE);
	return rc ? rc : REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
	int rc = fault((faulty_file *)f, FAULTY_SYNC);
	return rc ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
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

static int f_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **p)
{
	int rc = fault((faulty_file *)f, FAULTY_SHMMAP);
	if (rc) {
		*p = NULL;
		return rc;
	}
	return REAL(f)->pMethods->xShmMap(REAL(f), page, size, extend, p);
}

static _Atomic unsigned shm_busy;

unsigned faulty_vfs_shm_busy(void)
{
	return shm_busy;
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	int rc = REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
	if (rc == SQLITE_BUSY && (flags & SQLITE_SHM_LOCK) && (flags & SQLITE_SHM_EXCLUSIVE))
		shm_busy++;
	return rc;
}

static void f_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, p);
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static sqlite3_io_methods faulty_io = {
    .iVersion = 3,
    .xClose = f_close,
    .xRead = f_read,
    .xWrite = f_write,
    .xTruncate = f_truncate,
    .xSync = f_sync,
    .xFileSize = f_file_size,
    .xLock = f_lock,
    .xUnlock = f_unlock,
    .xCheckReservedLock = f_check_reserved,
    .xFileControl = f_file_control,
    .xSectorSize = f_sector_size,
    .xDeviceCharacteristics = f_device_characteristics,
    .xShmMap = f_shm_map,
    .xShmLock = f_shm_lock,
    .xShmBarrier = f_shm_barrier,
    .xShmUnmap = f_shm_unmap,
    .xFetch = f_fetch,
    .xUnfetch = f_unfetch,
};

/* ----- the VFS: xOpen wraps the file, the rest is the default VFS's ----- */

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out)
{
	faulty_file *f = (faulty_file *)file;
	int rc;

	(void)vfs;
	f->real = (sqlite3_file *)(f + 1);
	f->name = name;
	rc = real_vfs()->xOpen(real_vfs(), name, f->real, flags, out);
	/* the wrapper is closed (and passes the close on) whenever the real file must be */
	f->base.pMethods = f->real->pMethods ? &faulty_io : NULL;
	return rc;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return real_vfs()->xDelete(real_vfs(), name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs()->xAccess(real_vfs(), name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs()->xFullPathname(real_vfs(), name, n, out);
}

static void *v_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return real_vfs()->xDlOpen(real_vfs(), name);
}

static void v_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	real_vfs()->xDlError(real_vfs(), n, out);
}

static void (*v_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return real_vfs()->xDlSym(real_vfs(), h, sym);
}

static void v_dl_close(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	real_vfs()->xDlClose(real_vfs(), h);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs()->xRandomness(real_vfs(), n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return real_vfs()->xSleep(real_vfs(), us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return real_vfs()->xCurrentTime(real_vfs(), out);
}

static int v_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return real_vfs()->xGetLastError(real_vfs(), n, out);
}

static int v_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return real_vfs()->xCurrentTimeInt64(real_vfs(), out);
}

static void once(void)
{
	sqlite3_vfs *real;

	if (sqlite3_initialize() != SQLITE_OK || !(real = sqlite3_vfs_find(NULL)))
		return;
	faulty_vfs = (sqlite3_vfs){
	    .iVersion = 2,
	    .szOsFile = (int)sizeof(faulty_file) + real->szOsFile,
	    .mxPathname = real->mxPathname,
	    .zName = FAULTY_VFS,
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
	    .xCurrentTimeInt64 = v_current_time_int64,
	};
	(void)sqlite3_vfs_register(&faulty_vfs, 0);
}

void faulty_vfs_register(void)
{
	static pthread_once_t done = PTHREAD_ONCE_INIT;
	pthread_once(&done, once);
}

/* ----- unlocks that fail (the unix VFS's fcntl, replaced) ----- */

static pthread_mutex_t unlock_mu = PTHREAD_MUTEX_INITIALIZER;
static sqlite3_syscall_ptr real_fcntl; /* SQLite's own (under unlock_mu) */
static bool replaced;                  /* fake_fcntl is SQLite's fcntl */
static int unlock_fail;                /* unlocks to fail: that many more, -1 every one */
static unsigned unlock_failed;         /* unlocks failed since faulty_unlocks_fail */
static unsigned char wrlocked; /* bytes 120..127 of a -shm file locked F_WRLCK, one bit each */

static int fake_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	struct flock *fl;
	int r;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	fl = arg;
	pthread_mutex_lock(&unlock_mu);
	if (cmd == F_SETLK && fl && fl->l_whence == SEEK_SET && fl->l_start >= 120 &&
	    fl->l_start + fl->l_len <= 128 && fl->l_len > 0) {
		unsigned char mask =
		    (unsigned char)(((1u << fl->l_len) - 1) << (fl->l_start - 120));
		if (fl->l_type == F_UNLCK && (mask & wrlocked & 0xf8) && unlock_fail != 0) {
			if (unlock_fail > 0)
				unlock_fail--;
			unlock_failed++;
			pthread_mutex_unlock(&unlock_mu);
			errno = EIO;
			return -1;
		}
		r = ((int (*)(int, int, ...))real_fcntl)(fd, cmd, arg);
		if (r == 0 && fl->l_type == F_WRLCK)
			wrlocked |= mask;
		else if (r == 0)
			wrlocked &= (unsigned char)~mask;
		pthread_mutex_unlock(&unlock_mu);
		return r;
	}
	pthread_mutex_unlock(&unlock_mu);
	return ((int (*)(int, int, ...))real_fcntl)(fd, cmd, arg);
}

bool faulty_unlocks_fail(int n)
{
	sqlite3_vfs *unix_vfs = sqlite3_vfs_find("unix");
	bool ok = unix_vfs != NULL;

	pthread_mutex_lock(&unlock_mu);
	if (ok && !replaced) {
		real_fcntl = unix_vfs->xGetSystemCall(unix_vfs, "fcntl");
		ok = replaced =
		    real_fcntl &&
		    unix_vfs->xSetSystemCall(unix_vfs, "fcntl", (sqlite3_syscall_ptr)fake_fcntl) ==
		        SQLITE_OK;
	}
	unlock_fail = ok ? n : 0;
	unlock_failed = 0;
	pthread_mutex_unlock(&unlock_mu);
	return ok;
}

unsigned faulty_unlocks_failed(void)
{
	pthread_mutex_lock(&unlock_mu);
	unsigned n = unlock_failed;
	pthread_mutex_unlock(&unlock_mu);
	return n;
}

void faulty_unlocks_restore(void)
{
	sqlite3_vfs *unix_vfs = sqlite3_vfs_find("unix");

	pthread_mutex_lock(&unlock_mu);
	/* NULL: the default system call; real_fcntl is kept for a call of fake_fcntl under way */
	if (unix_vfs)
		(void)unix_vfs->xSetSystemCall(unix_vfs, "fcntl", NULL);
	replaced = false;
	unlock_fail = 0;
	wrlocked = 0;
	pthread_mutex_unlock(&unlock_mu);
}
