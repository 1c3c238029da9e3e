/* New files of key and certificate material, written so that a crash never leaves a short
 * one under its name: a temporary file beside it, written and flushed, then linked to the
 * name (which link(2) never overwrites, nor follows a link planted there), the directory
 * flushed after. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ec_internal.h"

static orsp_err write_all(int fd, const char *path, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return orsp_errf(ORSP_E_IO, "write to %s failed: %s", path,
			                 w < 0 ? strerror(errno) : "no progress");
		p += w;
		n -= (size_t)w;
	}
	return ORSP_OK;
}

/* Flush the directory holding path, so that the new name survives a power cut. */
static orsp_err sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd;
	orsp_err e = ORSP_OK;

	if (!copy)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		e = orsp_errf(ORSP_E_IO, "flushing the directory of %s failed: %s", path,
		              strerror(errno));
	if (fd >= 0)
		close(fd);
	free(copy);
	return e;
}

orsp_err orsp__file_create(const char *path, const uint8_t *data, size_t len, mode_t mode)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + sizeof(".tmp-XXXXXX"));
	int fd;
	orsp_err e;

	if (!tmp)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".tmp-XXXXXX", sizeof(".tmp-XXXXXX"));
	/* mode 0600 from the start: a key is never readable by others, not even briefly */
	fd = mkstemp(tmp);
	if (fd >= 0)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (fd < 0) {
		e = orsp_errf(ORSP_E_IO, "cannot create %s: %s", path, strerror(errno));
		free(tmp);
		return e;
	}
	if (mode != 0600 && fchmod(fd, mode) != 0)
		e = orsp_errf(ORSP_E_IO, "cannot set the mode of %s: %s", path, strerror(errno));
	else if ((e = write_all(fd, path, data, len)) == ORSP_OK && fsync(fd) != 0)
		e = orsp_errf(ORSP_E_IO, "fsync of %s failed: %s", path, strerror(errno));
	if (close(fd) != 0 && e == ORSP_OK)
		e = orsp_errf(ORSP_E_IO, "close of %s failed: %s", path, strerror(errno));
	if (e == ORSP_OK && link(tmp, path) != 0)
		e = errno == EEXIST
		        ? orsp_errf(ORSP_E_EXISTS, "%s already exists", path)
		        : orsp_errf(ORSP_E_IO, "cannot create %s: %s", path, strerror(errno));
	unlink(tmp);
	free(tmp);
	if (e == ORSP_OK && (e = sync_dir_of(path)) != ORSP_OK)
		unlink(path);
	return e;
}
