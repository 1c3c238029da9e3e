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
	e = orsp_file_fill(fd, path, data, len, NULL);
	if (e != ORSP_OK)
		unlink(path);
	return e;
}

/* The tests' hook (ec_internal.h): stands for unlink(2) of the temporary name. */
static int (*unlink_tmp)(const char *path) = unlink;

void orsp__file_unlink_test_hook(int (*fn)(const char *path))
{
	unlink_tmp = fn ? fn : unlink;
}

/* Remove the temporary name tmp, once more if that fails (a transient error): while it is
 * there, the file has a second name nobody looks at (a private key's too). false, errno
 * set, when it stays. */
static bool tmp_removed(const char *tmp)
{
	for (int i = 0; i < 2; i++)
		if (unlink_tmp(tmp) == 0 || errno == ENOENT)
			return true;
	return false;
}

orsp_err orsp__file_create(const char *path, const uint8_t *data, size_t len, mode_t mode)
{
	size_t cap = strlen(path) + sizeof(".tmp-XXXXXX");
	char *tmp = malloc(cap);
	bool fallback = false;
	orsp_err e;

	if (!tmp)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	/* with its final mode from the start (a key's 0600: never readable by others, not even
	 * briefly) */
	e = orsp_file_write_beside(path, data, len, mode, false, tmp, cap);
	if (e != ORSP_OK) {
		free(tmp);
		return e;
	}
	if (link(tmp, path) != 0) {
		if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == ENOSYS)
			fallback = true;
		else
			e = errno == EEXIST ? orsp_errf(ORSP_E_EXISTS, "%s already exists", path)
			                    : orsp_errf(ORSP_E_IO, "cannot create %s: %s", path,
			                                strerror(errno));
	}
	if (!tmp_removed(tmp)) {
		/* fails, so that the file is not kept under a name nobody knows of: the one it
		 * was linked to removed again, the one left said (only its owner may read a
		 * private key's) */
		char why[ORSP_ERR_DETAIL_MAX];
		int err = errno;
		if (e != ORSP_OK)
			orsp_err_detail_copy(why, sizeof(why));
		else if (!fallback && unlink(path) != 0 && errno != ENOENT)
			snprintf(why, sizeof(why), "%s created (%s removing it again)", path,
			         strerror(errno));
		else
			snprintf(why, sizeof(why), "%s not created", path);
		e = orsp_errf(
		    ORSP_E_IO, "%s; its temporary file %s cannot be removed (%s)%s: remove it", why,
		    tmp, strerror(err), (mode & 077) == 0 ? ", and it holds the private key" : "");
		free(tmp);
		return e;
	}
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
