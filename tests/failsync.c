/* A flush that fails, for the CLI tests (tests/cli/flush.sh): loaded with LD_PRELOAD into
 * openrsp, it makes the Nth fdatasync or fsync of a SQLite log (a file whose name ends in
 * "-wal") fail once with EIO, N from $ORSP_FAILSYNC_AT (unset or 0: every call goes through),
 * and says so on standard error ("failsync: ..."), so that a test can tell the failure was
 * injected. Syncs of other files (the database, its directory, KEK files) are neither counted
 * nor failed. With $ORSP_FAILSYNC_DIRS=1 instead, every fsync of a directory fails with EIO
 * ("failsync: fsync of directory ..."): the flush after a rename. Not part of openrsp: a test
 * library only. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_long wal_syncs;

/* 1 when fd is a SQLite log and this is the sync to fail, or a directory and all their
 * syncs fail */
static int fail_this(int fd, const char *fn)
{
	char link[64], path[4096];
	const char *at = getenv("ORSP_FAILSYNC_AT"), *dirs = getenv("ORSP_FAILSYNC_DIRS");
	long n = at ? strtol(at, NULL, 10) : 0;
	ssize_t len;
	struct stat st;

	if (n <= 0 && !(dirs && strcmp(dirs, "1") == 0))
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	if (len < 1)
		return 0;
	path[len] = '\0';
	if (n <= 0) {
		if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode))
			return 0;
		fprintf(stderr, "failsync: %s of directory %s failed (EIO)\n", fn, path);
		return 1;
	}
	if (len < 4)
		return 0;
	if (strcmp(path + len - 4, "-wal") != 0)
		return 0;
	if (atomic_fetch_add(&wal_syncs, 1) + 1 != n)
		return 0;
	fprintf(stderr, "failsync: %s of %s failed (EIO), sync %ld of the log\n", fn, path, n);
	return 1;
}

/* the real call of libc's name fn, unless this is the sync to fail */
static int sync_call(int fd, const char *fn)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, fn);

	if (fail_this(fd, fn)) {
		errno = EIO;
		return -1;
	}
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(fd);
}

int fdatasync(int fd)
{
	return sync_call(fd, "fdatasync");
}

int fsync(int fd)
{
	return sync_call(fd, "fsync");
}
