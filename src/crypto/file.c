/* New files of certificate material (DER or PEM), written by orsp_file_create
 * (src/core/file.c): never a short one under its name, never over an existing one. */
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
	e = orsp_file_create(path, der, len, 0644);
	BIO_free(bio);
	return e;
}
