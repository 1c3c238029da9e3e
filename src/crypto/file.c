/* New files of key and certificate material, written so that a crash never leaves a short
 * one under its name: a temporary file beside it, written and flushed, then linked to the
 * name (which link(2) never overwrites, nor follows a link planted there), the directory
 * flushed after. */
#include <errno.h>
#include <strings.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "ec_internal.h"

static orsp_err write_all(int fd, const char *path, const uint8_t *p, size_t n)
{
	if (orsp_file_write_full(fd, p, n) != 0)
		return orsp_errf(ORSP_E_IO, "write to %s failed: %s", path, strerror(errno));
	return ORSP_OK;
}

/* Write data to the new file fd (path's, for messages), flush it to the disk, close it. */
static orsp_err fill(int fd, const char *path, const uint8_t *data, size_t len)
{
	orsp_err e = write_all(fd, path, data, len);

	if (e == ORSP_OK && fsync(fd) != 0)
		e = orsp_errf(ORSP_E_IO, "fsync of %s failed: %s", path, strerror(errno));
	if (close(fd) != 0 && e == ORSP_OK)
		e = orsp_errf(ORSP_E_IO, "close of %s failed: %s", path, strerror(errno));
	return e;
}

/* Where link(2) is not supported (vfat, exFAT, some FUSE and CIFS mounts): the file written
 * in place, never over an existing one or a planted link, removed again on failure (a crash
 * mid-write can leave it short there). */
static orsp_err create_in_place(const char *path, const uint8_t *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	orsp_err e;

	if (fd < 0)
		return errno == EEXIST
		           ? orsp_errf(ORSP_E_EXISTS, "%s already exists", path)
		           : orsp_errf(ORSP_E_IO, "cannot create %s: %s", path, strerror(errno));
	e = fill(fd, path, data, len);
	if (e != ORSP_OK)
		unlink(path);
	return e;
}

/* A new temporary file beside path (path.tmp-XXXXXX, six random hex digits) created with
 * mode, narrowed by the umask as open(2) narrows it; its name in tmp. */
static int create_tmp(const char *path, char *tmp, size_t cap, mode_t mode)
{
	for (int tries = 0; tries < 16; tries++) {
		uint8_t r[3];
		int fd;
		if (orsp_random(r, sizeof(r)) != ORSP_OK)
			return -1;
		if (snprintf(tmp, cap, "%s.tmp-%02x%02x%02x", path, r[0], r[1], r[2]) >= (int)cap) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

orsp_err orsp__file_create(const char *path, const uint8_t *data, size_t len, mode_t mode)
{
	size_t cap = strlen(path) + sizeof(".tmp-XXXXXX");
	char *tmp = malloc(cap);
	bool fallback = false;
	int fd;
	orsp_err e;

	if (!tmp)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	/* with its final mode from the start (a key's 0600: never readable by others, not even
	 * briefly) */
	fd = create_tmp(path, tmp, cap, mode);
	if (fd < 0) {
		e = orsp_errf(ORSP_E_IO, "cannot create %s: %s", path, strerror(errno));
		free(tmp);
		return e;
	}
	e = fill(fd, path, data, len);
	if (e == ORSP_OK && link(tmp, path) != 0) {
		if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == ENOSYS)
			fallback = true;
		else
			e = errno == EEXIST ? orsp_errf(ORSP_E_EXISTS, "%s already exists", path)
			                    : orsp_errf(ORSP_E_IO, "cannot create %s: %s", path,
			                                strerror(errno));
	}
	unlink(tmp);
	free(tmp);
	if (e == ORSP_OK && fallback)
		e = create_in_place(path, data, len, mode);
	if (e == ORSP_OK && (e = orsp_fsync_dir_of(path)) != ORSP_OK)
		unlink(path);
	return e;
}

orsp_err orsp__der_save(const uint8_t *der, size_t len, const char *path, const char *pem_name)
{
	size_t n = strlen(path);
	BIO *bio = NULL;
	char *pem = NULL;
	long pem_len = 0;
	orsp_err e;

	if (n >= 4 && strcasecmp(path + n - 4, ".pem") == 0) {
		bio = BIO_new(BIO_s_mem());
		if (!bio || PEM_write_bio(bio, pem_name, "", der, (long)len) <= 0 ||
		    (pem_len = BIO_get_mem_data(bio, &pem)) <= 0) {
			BIO_free(bio);
			return orsp__ossl_fail(ORSP_E_CRYPTO, "PEM encoding failed");
		}
		der = (const uint8_t *)pem;
		len = (size_t)pem_len;
	}
	/* never overwrite, never follow a link planted at the path */
	e = orsp__file_create(path, der, len, 0644);
	BIO_free(bio);
	return e;
}
