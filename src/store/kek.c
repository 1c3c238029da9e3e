/* The key-encryption key (KEK) and the wrapping of secrets stored in a database.
 *
 * Wrapped blob: version (0x01) || IV (12 random bytes) || AES-256-GCM ciphertext || tag (16).
 * The GCM additional data is the version byte followed by a caller-chosen record name
 * ("auc:k:<IMSI>"), so a blob copied to another row or column does not unwrap. NIST
 * SP 800-38D §8.3 allows at most 2^32 wraps with random 96-bit IVs under one key; a
 * subscriber store stays orders of magnitude below that.
 */
#define _GNU_SOURCE /* O_TMPFILE, AT_EMPTY_PATH (Linux) */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kek_internal.h"
#include "openrsp/crypto.h"
#include "openrsp/store.h"

#define KEK_ENV "ORSP_KEK"
#define AAD_MAX 256
/* A KEK file sealed by an AES key in a PKCS#11 token (docs/store.md... docs/crypto.md):
 *   openrsp-kek-sealed 1
 *   uri pkcs11:...
 *   iv <24 hex digits>
 *   data <96 hex digits: the KEK under AES-GCM, then the tag>
 * the first line (without its newline) the GCM additional data. */
#define SEALED_MAGIC "openrsp-kek-sealed 1"
#define SEALED_FILE_MAX 8192
#define SEALED_URI_MAX 4096

static orsp_err kek_from_env(const char *hex, orsp_secret *kek)
{
	uint8_t any = 0;

	if (strlen(hex) != 2 * ORSP_KEK_LEN)
		return orsp_errf(ORSP_E_USAGE, KEK_ENV ": expected %d hex digits, got %zu",
		                 2 * ORSP_KEK_LEN, strlen(hex));
	if (orsp_hex_decode_exact(hex, kek->v, ORSP_KEK_LEN) != ORSP_OK)
		return orsp_errf(ORSP_E_USAGE, KEK_ENV ": not a hex string");
	/* as a KEK file of 32 zero bytes (zero_refused): none is ever made so */
	for (size_t i = 0; i < ORSP_KEK_LEN; i++)
		any |= kek->v[i];
	orsp_ct_public(&any, sizeof(any)); /* zero or not, and nothing else, decides */
	if (!any)
		return orsp_errf(ORSP_E_USAGE, KEK_ENV
		                 ": holds 32 zero bytes, which is no KEK (none is ever made "
		                 "so): set it to the database's KEK, or unset it");
	kek->len = ORSP_KEK_LEN;
	return ORSP_OK;
}

/* The tests' hook (kek_internal.h): directory flushes left before one fails; -1: none. */
static int dir_sync_fail_in = -1;

void orsp__kek_test_dir_sync_failure(int n)
{
	dir_sync_fail_in = n < 0 ? -1 : n;
}

/* fsync the directory holding path, so that a name linked or renamed there survives a crash:
 * dfd, the directory the file was written in, or (dfd -1) the one path names now
 * (orsp_fsync_dir_of). A file system that cannot flush a directory passes. ORSP_E_IO if it
 * fails: the name may then be lost by a crash, and nothing may rely on it. */
static orsp_err sync_dir_of(int dfd, const char *path)
{
	if (dir_sync_fail_in == 0) {
		dir_sync_fail_in = -1;
		return orsp_errf(ORSP_E_IO, "cannot flush the directory of %s: %s", path,
		                 strerror(EIO));
	}
	if (dir_sync_fail_in > 0)
		dir_sync_fail_in--;
	if (dfd < 0)
		return orsp_fsync_dir_of(path);
	if (fsync(dfd) != 0 && errno != EINVAL)
		return orsp_errf(ORSP_E_IO, "cannot flush the directory of %s: %s", path,
		                 strerror(errno));
	return ORSP_OK;
}

/* sync_dir_of where nothing more can be done on failure (a removal's flush): the detail of
 * the error being reported stays */
static void sync_dir_of_best_effort(int dfd, const char *path)
{
	char keep[ORSP_ERR_DETAIL_MAX];

	orsp_err_detail_copy(keep, sizeof(keep));
	if (sync_dir_of(dfd, path) != ORSP_OK)
		(void)orsp_errf(ORSP_E_IO, "%s", keep);
}

static orsp_err write_all(int fd, const char *path, const uint8_t *p, size_t n)
{
	if (orsp_file_write_full(fd, p, n) != 0)
		return orsp_errf(ORSP_E_IO, "write of the new KEK file %s: %s", path,
		                 strerror(errno));
	return ORSP_OK;
}

/* How a KEK file is written (file_write): under a new name (ORSP_E_EXISTS if it exists), under
 * a new name that another process may have taken meanwhile (theirs is kept: ORSP_OK), or in
 * place of the file at the name (renamed over it). */
enum put_how { PUT_NEW, PUT_NEW_OR_THEIRS, PUT_REPLACE };

/* The tests' hooks (kek_internal.h). */
static void (*written_hook)(void);
static bool refuse_tmpfile;
static void (*opened_hook)(bool sealing);

void orsp__kek_test_hooks(void (*written)(void), bool refuse)
{
	written_hook = written;
	refuse_tmpfile = refuse;
}

void orsp__kek_test_open_hook(void (*opened)(bool sealing))
{
	opened_hook = opened;
}

/* flock `op` on fd: 0, or -1 and errno. */
static int lock_fd(int fd, int op)
{
	int r;

	while ((r = flock(fd, op)) != 0 && errno == EINTR)
		;
	return r;
}

/* Where a KEK file is written: the directory that the trusted walk judged
 * (orsp_path_open_parent_trusted), open, and the file's name in it; every name made, replaced
 * or removed is reached from that descriptor, so that a directory on the path moved, or a
 * link put on it, after the walk cannot take the write elsewhere. path for messages. */
struct kek_at {
	int dfd;
	char name[NAME_MAX + 1];
	const char *path;
};

/* The directory of the KEK file path, judged as a KEK's path is (open_shared): each directory
 * from / down owned by this user or root and not writable by group or others unless sticky
 * (with the file this user's or root's), every link on the way this user's or root's. The
 * last name is not followed: a link there is no KEK file to write. Close at->dfd. */
static orsp_err kek_at_open(const char *path, struct kek_at *at)
{
	at->path = path;
	return orsp_path_open_parent_trusted("KEK file ", path, ORSP_PATH_LINK_OK, &at->dfd,
	                                     at->name, sizeof(at->name));
}

static void kek_at_close(struct kek_at *at)
{
	if (at->dfd >= 0)
		close(at->dfd);
	at->dfd = -1;
}

/* Whether name (still) names the file that sb describes in the directory at. */
static bool still_named(const struct kek_at *at, const char *name, const struct stat *sb)
{
	struct stat now;

	return fstatat(at->dfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == sb->st_dev &&
	       now.st_ino == sb->st_ino;
}

static orsp_err replaced_meanwhile(const char *path)
{
	return orsp_errf(ORSP_E_STATE,
	                 "KEK file %s was replaced or moved while it was being sealed (another "
	                 "kek seal or reseal?): not sealed by this one; look at what the file "
	                 "is now",
	                 path);
}

/* Fill the new file fd with data, mode 0600, flushed to the disk. */
static orsp_err fill(int fd, const char *path, const uint8_t *data, size_t len)
{
	orsp_err err = ORSP_OK;

	if (fchmod(fd, 0600) != 0)
		err =
		    orsp_errf(ORSP_E_IO, "chmod of the new KEK file %s: %s", path, strerror(errno));
	if (!err)
		err = write_all(fd, path, data, len);
	if (!err && fsync(fd) != 0)
		err =
		    orsp_errf(ORSP_E_IO, "fsync of the new KEK file %s: %s", path, strerror(errno));
	if (!err && written_hook)
		written_hook();
	return err;
}

/* The new file for path could not be made (errno e). */
static orsp_err create_failed(const char *path, enum put_how how, int e)
{
	return orsp_errf(ORSP_E_IO, "%s %s: %s",
	                 how == PUT_REPLACE ? "cannot write beside" : "cannot create KEK file",
	                 path, strerror(e));
}

/* A new name that could not be linked (errno e). */
static orsp_err link_failed(const char *path, enum put_how how, int e)
{
	/* EEXIST: another process created it meanwhile; the caller loads theirs. */
	if (e == EEXIST && how == PUT_NEW_OR_THEIRS)
		return ORSP_OK;
	if (e == EEXIST)
		return orsp_errf(ORSP_E_EXISTS,
		                 "%s exists already: the new KEK file must be a new name", path);
	return orsp_errf(ORSP_E_IO, "cannot create KEK file %s: %s", path, strerror(e));
}

/* Put data at path through an unnamed file in path's directory (O_TMPFILE), written and
 * flushed before it has any name: a crash until then leaves nothing named. A new name is
 * linked to it. linkat cannot replace a file, so a replacement is linked to a new temporary
 * name beside path (path.tmp and six random hex digits) and renamed over path: a crash
 * between these two calls (no write or flush between them) still leaves that name.
 * *refused: the kernel or the file system refuses O_TMPFILE or linking it; nothing was
 * named, put_named is the way. *named: this call gave path its name (not another process's
 * file taken, PUT_NEW_OR_THEIRS). */
static orsp_err put_unnamed(const struct kek_at *at, const uint8_t *data, size_t len,
                            enum put_how how, const struct stat *was, bool *refused, bool *named)
{
	const char *path = at->path;
	orsp_err err;
	char tmp[NAME_MAX + 1];
	int fd, r = -1, e;

	*refused = refuse_tmpfile;
	*named = false;
	fd = refuse_tmpfile ? -1 : orsp_file_open_unnamed_at(at->dfd, refused);
	if (fd < 0)
		return *refused ? ORSP_OK : create_failed(path, how, errno);
	err = fill(fd, path, data, len);
	if (!err && how != PUT_REPLACE)
		r = orsp_file_link_unnamed_at(fd, at->dfd, at->name);
	for (int tries = 0; !err && how == PUT_REPLACE && tries < 16; tries++) {
		uint8_t x[3];
		if ((err = orsp_random(x, sizeof(x))))
			break;
		if (snprintf(tmp, sizeof(tmp), "%s.tmp%02x%02x%02x", at->name, x[0], x[1], x[2]) >=
		    (int)sizeof(tmp))
			err = orsp_errf(ORSP_E_USAGE, "KEK file %s: its name is too long", path);
		else if ((r = orsp_file_link_unnamed_at(fd, at->dfd, tmp)) == 0 || errno != EEXIST)
			break;
	}
	e = errno;
	close(fd);
	if (err)
		return err;
	if (r != 0) {
		/* no /proc, or a file system without hard links */
		*refused = e == ENOENT || e == EPERM || e == EOPNOTSUPP || e == ENOSYS;
		if (*refused)
			return ORSP_OK;
		return how == PUT_REPLACE ? create_failed(path, how, e) : link_failed(path, how, e);
	}
	if (how == PUT_REPLACE && was && !still_named(at, at->name, was))
		err = replaced_meanwhile(path);
	else if (how == PUT_REPLACE && renameat(at->dfd, tmp, at->dfd, at->name) != 0)
		err = orsp_errf(ORSP_E_IO, "cannot replace %s: %s", path, strerror(errno));
	if (err && how == PUT_REPLACE)
		unlinkat(at->dfd, tmp, 0);
	*named = !err;
	return err;
}

/* The same through a named temporary file beside path (NAME.tmp and six random hex digits,
 * O_EXCL, mode 0600), where O_TMPFILE is refused: linked to the new name (which fails if it
 * exists, like O_EXCL) or renamed over the file there. A crash before that leaves it,
 * holding data. *named as for put_unnamed. */
static orsp_err put_named(const struct kek_at *at, const uint8_t *data, size_t len,
                          enum put_how how, const struct stat *was, bool *named)
{
	const char *path = at->path;
	orsp_err err = ORSP_OK;
	char tmp[NAME_MAX + 1];
	int fd = -1;

	for (int tries = 0; fd < 0 && tries < 16; tries++) {
		uint8_t x[3];
		if ((err = orsp_random(x, sizeof(x))))
			return err;
		if (snprintf(tmp, sizeof(tmp), "%s.tmp%02x%02x%02x", at->name, x[0], x[1], x[2]) >=
		    (int)sizeof(tmp))
			return orsp_errf(ORSP_E_USAGE, "KEK file %s: its name is too long", path);
		fd = openat(at->dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		return create_failed(path, how, errno);
	err = fill(fd, path, data, len);
	close(fd);
	if (!err && how == PUT_REPLACE && was && !still_named(at, at->name, was))
		err = replaced_meanwhile(path);
	else if (!err && how == PUT_REPLACE && renameat(at->dfd, tmp, at->dfd, at->name) != 0)
		err = orsp_errf(ORSP_E_IO, "cannot replace %s: %s", path, strerror(errno));
	else if (!err && how != PUT_REPLACE && linkat(at->dfd, tmp, at->dfd, at->name, 0) != 0)
		err = link_failed(path, how, errno); /* ORSP_OK: another process's file */
	else if (!err)
		*named = true;
	if (err || how != PUT_REPLACE)
		unlinkat(at->dfd, tmp, 0);
	return err;
}

/* Write the KEK file at path holding data, mode 0600, whole and flushed before it appears under
 * its name (a concurrent reader never sees a half-written file), the directory flushed after.
 * `was` (PUT_REPLACE; NULL: any): the file that path must still name right before it is
 * replaced, else nothing is replaced (replaced_meanwhile). A directory that cannot be flushed
 * is an error: a new name this call gave is removed again (nothing may rely on a name that a
 * crash can take away), a replacement stays (the file it replaced is gone from the directory
 * in memory), and the caller must not treat the file it replaced as gone (kek seal does not
 * overwrite it). *made (not NULL): this call gave path its name (not another process's file
 * taken, PUT_NEW_OR_THEIRS). */
static orsp_err file_write(const struct kek_at *at, const uint8_t *data, size_t len,
                           enum put_how how, const struct stat *was, bool *made)
{
	const char *path = at->path;
	bool refused = false, named = false;
	orsp_err err = put_unnamed(at, data, len, how, was, &refused, &named);
	char why[ORSP_ERR_DETAIL_MAX];

	if (!err && refused)
		err = put_named(at, data, len, how, was, &named);
	if (err || (err = sync_dir_of(at->dfd, path)) == ORSP_OK) {
		if (made)
			*made = !err && named;
		return err;
	}
	orsp_err_detail_copy(why, sizeof(why));
	if (how == PUT_REPLACE)
		return orsp_errf(err,
		                 "%s: %s was replaced, but a crash may bring back the file it "
		                 "replaced, which is left as it was",
		                 why, path);
	if (!named)
		return err;
	unlinkat(at->dfd, at->name, 0);
	sync_dir_of_best_effort(at->dfd, path);
	return orsp_errf(err, "%s: the new KEK file %s is removed again", why, path);
}

/* file_write to path, in its directory judged by kek_at_open. A directory on the path that
 * does not exist is the write's failure (ENOENT), as when the file was created by its path:
 * not ORSP_E_NOT_FOUND, which a caller takes for "no KEK file there". */
static orsp_err path_write(const char *path, const uint8_t *data, size_t len, enum put_how how,
                           bool *made)
{
	struct kek_at at = {.dfd = -1};
	orsp_err err = kek_at_open(path, &at);

	if (err == ORSP_E_NOT_FOUND)
		err = create_failed(path, how, ENOENT);
	if (!err)
		err = file_write(&at, data, len, how, NULL, made);
	kek_at_close(&at);
	return err;
}

/* Create the KEK file with 32 random bytes, mode 0600 (file_write). `exclusive`: a file
 * already at path is ORSP_E_EXISTS (it is left alone); otherwise it is taken as another
 * process's KEK, created meanwhile (*made false). */
static orsp_err kek_create(const char *path, bool exclusive, bool *made)
{
	uint8_t key[ORSP_KEK_LEN];
	orsp_err err = orsp_random(key, sizeof(key));

	if (!err)
		err = path_write(path, key, sizeof(key), exclusive ? PUT_NEW : PUT_NEW_OR_THEIRS,
		                 made);
	orsp_wipe(key, sizeof(key));
	return err;
}

/* The next line of text at *p (up to end): [*line, *len) without its newline; false at the
 * end or for a line without one. */
static bool next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl)
		return false;
	*line = *p;
	*len = (size_t)(nl - *p);
	*p = nl + 1;
	return true;
}

/* Whether [l, l + n) is `key` SP value; the value's start in *v. */
static bool keyed(const char *l, size_t n, const char *key, const char **v, size_t *vlen)
{
	size_t k = strlen(key);
	if (n <= k + 1 || memcmp(l, key, k) != 0 || l[k] != ' ')
		return false;
	*v = l + k + 1;
	*vlen = n - k - 1;
	return true;
}

/* The parts of a sealed KEK file's text: its URI (NUL-terminated into uri), IV and data. */
static orsp_err sealed_parse(const char *path, const char *text, size_t n, char *uri, size_t cap,
                             uint8_t iv[12], uint8_t data[ORSP_KEK_LEN + 16])
{
	const char *p = text, *end = text + n, *l, *v;
	size_t ln, vn;
	char hex[2 * (ORSP_KEK_LEN + 16) + 1];

	if (!next_line(&p, end, &l, &ln) || ln != strlen(SEALED_MAGIC) ||
	    memcmp(l, SEALED_MAGIC, ln) != 0)
		goto bad;
	if (!next_line(&p, end, &l, &ln) || !keyed(l, ln, "uri", &v, &vn) || vn >= cap ||
	    memchr(v, 0, vn))
		goto bad;
	memcpy(uri, v, vn);
	uri[vn] = 0;
	if (!next_line(&p, end, &l, &ln) || !keyed(l, ln, "iv", &v, &vn) || vn != 24)
		goto bad;
	memcpy(hex, v, vn);
	hex[vn] = 0;
	if (orsp_hex_decode_exact(hex, iv, 12))
		goto bad;
	if (!next_line(&p, end, &l, &ln) || !keyed(l, ln, "data", &v, &vn) ||
	    vn != 2 * (ORSP_KEK_LEN + 16))
		goto bad;
	memcpy(hex, v, vn);
	hex[vn] = 0;
	if (orsp_hex_decode_exact(hex, data, ORSP_KEK_LEN + 16) || p != end)
		goto bad;
	/* written "pkcs11:" by kek seal, never otherwise (a URI's scheme has no case, but this
	 * file's form is ours) */
	if (strncmp(uri, "pkcs11:", 7) != 0)
		goto bad;
	/* the file would hold the token's PIN beside what it protects: not handed on either */
	if (orsp_ec_pkcs11_uri_has_pin(uri)) {
		orsp_wipe(uri, cap);
		return orsp_errf(
		    ORSP_E_POLICY,
		    "KEK file %s: its token URI holds a PIN (pin-value): use pin-source", path);
	}
	orsp_err_clear();
	return ORSP_OK;
bad:
	orsp_wipe(uri, cap); /* a URI read before the line that failed may hold a PIN */
	orsp_err_clear();
	return orsp_errf(ORSP_E_MALFORMED,
	                 "KEK file %s: begins as a sealed KEK (" SEALED_MAGIC
	                 ") but is not one: expected the lines uri, iv (24 hex digits) and data "
	                 "(96 hex digits), nothing more",
	                 path);
}

/* The KEK of a sealed file's text, opened by the token its URI names; that URI into was (cap
 * bytes; was NULL: not wanted), once opened. */
static orsp_err sealed_open(const char *path, const char *text, size_t n, orsp_secret *kek,
                            char *was, size_t cap)
{
	char uri[SEALED_URI_MAX + 1];
	uint8_t iv[12], data[ORSP_KEK_LEN + 16];
	orsp_err err = sealed_parse(path, text, n, uri, sizeof(uri), iv, data);

	if (err)
		return err;
	err = orsp_p11_aes_gcm_open(uri, iv, (const uint8_t *)SEALED_MAGIC, strlen(SEALED_MAGIC),
	                            data, sizeof(data), kek->v, ORSP_KEK_LEN);
	if (!err && was && snprintf(was, cap, "%s", uri) >= (int)cap)
		err = orsp_errf(ORSP_E_RESOURCE, "KEK file %s: its URI is longer than %zu", path,
		                cap);
	orsp_wipe(uri, sizeof(uri));
	/* no token or no key matching the URI is the token's fault, not a missing file: every
	 * caller reads ORSP_E_NOT_FOUND as "no KEK file" (a KEK to restore or to create) */
	if (err == ORSP_E_NOT_FOUND)
		err = ORSP_E_STATE;
	if (err)
		return orsp_errf(err, "KEK file %s (sealed): %s", path, orsp_err_detail());
	kek->len = ORSP_KEK_LEN;
	return ORSP_OK;
}

/* The forms of a KEK file's content: the 32 bytes, 64 hex digits (a newline after them
 * allowed), or a sealed KEK (its magic first line; parsed by sealed_parse). KEK_ZERO: 32 zero
 * bytes, raw or in hex, which no KEK is (none is ever made so), but what kek seal leaves in
 * the clear file it replaced. KEK_CUT: 32 bytes that are all hex digits, a hex KEK cut to half
 * its length (a short copy, a paste) rather than a random key (one in 10^34 is). */
enum kek_form { KEK_NONE, KEK_RAW, KEK_HEX, KEK_SEALED, KEK_ZERO, KEK_CUT };

/* The form of buf[0..*n); for KEK_HEX *n loses the newline. */
static enum kek_form kek_form_of(const uint8_t *buf, size_t *n)
{
	/* the bytes are the KEK's, raw or in hex: no branch on one of them (orsp_ct_secret);
	 * bad's sign bit is set by any orsp_hex_digit of -1, any is 0 for zeros only, and the
	 * two decide the form once */
	int bad = 0;
	uint8_t any = 0;

	/* before the 32 bytes: every sealed file's first 32 ("openrsp-kek-sealed 1\nuri
	 * pkcs11:") are the same, so a sealed file cut there would load as a raw KEK known to
	 * all (one random key in 2^160 begins with the line) */
	if (*n > strlen(SEALED_MAGIC) && orsp_ct_eq(buf, SEALED_MAGIC, strlen(SEALED_MAGIC)))
		return KEK_SEALED;
	if (*n == ORSP_KEK_LEN) {
		for (size_t i = 0; i < *n; i++) {
			any |= buf[i];
			bad |= orsp_hex_digit((char)buf[i]);
		}
		orsp_ct_public(&any, sizeof(any));
		orsp_ct_public(&bad, sizeof(bad));
		return !any ? KEK_ZERO : bad >= 0 ? KEK_CUT : KEK_RAW;
	}
	if (*n == 2 * ORSP_KEK_LEN + 1) {
		int nl = buf[*n - 1] == '\n';
		orsp_ct_public(&nl, sizeof(nl));
		if (nl)
			(*n)--;
	}
	if (*n != 2 * ORSP_KEK_LEN)
		return KEK_NONE;
	for (size_t i = 0; i < *n; i++) {
		bad |= orsp_hex_digit((char)buf[i]);
		any |= buf[i] ^ '0';
	}
	orsp_ct_public(&any, sizeof(any));
	orsp_ct_public(&bad, sizeof(bad));
	return bad < 0 ? KEK_NONE : any ? KEK_HEX : KEK_ZERO;
}

static orsp_err cut_refused(const char *path)
{
	return orsp_errf(ORSP_E_MALFORMED,
	                 "KEK file %s holds 32 hex digits, which is no KEK: a hex KEK (64 "
	                 "digits) cut short, or a damaged file; restore the KEK file from its "
	                 "backup",
	                 path);
}

static orsp_err zero_refused(const char *path)
{
	return orsp_errf(ORSP_E_MALFORMED,
	                 "KEK file %s holds 32 zero bytes, which is no KEK (none is ever made "
	                 "so): a clear KEK file overwritten by kek seal, or a damaged one; "
	                 "restore the KEK file from its backup",
	                 path);
}

static orsp_err not_sealed(const char *path)
{
	return orsp_errf(ORSP_E_STATE,
	                 "KEK file %s is not sealed (it holds the KEK itself): kek seal seals it",
	                 path);
}

/* What kek_read_fd takes: any KEK file; a clear one only (kek seal: a sealed file is
 * ORSP_E_EXISTS, before the token is asked); a sealed one only (kek reseal: a clear file is
 * ORSP_E_STATE, its KEK not taken). */
enum kek_want { WANT_ANY, WANT_CLEAR, WANT_SEALED };

/* Read and check the KEK file fd (path's, for messages), from its start; fd stays open. A
 * sealed file's URI into was (cap bytes; NULL: not wanted). */
static orsp_err kek_read_fd(int fd, const char *path, enum kek_want want, orsp_secret *kek,
                            char *was, size_t cap)
{
	orsp_err err = ORSP_OK;
	uint8_t buf[SEALED_FILE_MAX + 1];
	size_t n = 0;
	bool more = false;
	struct stat sb;
	int fl;

	/* Check the opened file itself, not the name (no race with a rename). */
	if (fstat(fd, &sb) != 0) {
		err = orsp_errf(ORSP_E_IO, "cannot stat KEK file %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		err = orsp_errf(ORSP_E_POLICY, "KEK file %s is not a regular file", path);
		goto out;
	}
	/* opened with O_NONBLOCK, so that a FIFO was refused above instead of waited on */
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		err = orsp_errf(ORSP_E_IO, "cannot read KEK file %s: %s", path, strerror(errno));
		goto out;
	}
	/* A file of another user could have been put there by that user (a directory others
	 * may write to), who would then know the key: only our own is trusted, as OpenSSH
	 * trusts only a user's own key files. */
	if (sb.st_uid != geteuid()) {
		err = orsp_errf(ORSP_E_POLICY,
		                "KEK file %s is owned by uid %u, not by this user (uid %u); "
		                "run as its owner, or chown it if it is yours",
		                path, (unsigned)sb.st_uid, (unsigned)geteuid());
		goto out;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		err = orsp_errf(ORSP_E_POLICY,
		                "KEK file %s is accessible by group or others (mode %04o); "
		                "run chmod 600 on it",
		                path, (unsigned)(sb.st_mode & 07777));
		goto out;
	}
	/* a file of sizeof(buf) bytes or more reads as sizeof(buf): refused as too long below */
	if ((err = orsp_file_read_upto(fd, path, buf, sizeof(buf), &n, &more)))
		goto out;
	switch (kek_form_of(buf, &n)) {
	case KEK_RAW:
		if (want == WANT_SEALED) {
			err = not_sealed(path);
			goto out;
		}
		memcpy(kek->v, buf, ORSP_KEK_LEN);
		kek->len = ORSP_KEK_LEN;
		goto out;
	case KEK_SEALED:
		if (want == WANT_CLEAR) {
			err = orsp_errf(ORSP_E_EXISTS, "KEK file %s is sealed already", path);
			goto out;
		}
		err = n == sizeof(buf) ? orsp_errf(ORSP_E_MALFORMED,
		                                   "KEK file %s: a sealed KEK file of more than "
		                                   "%d bytes",
		                                   path, SEALED_FILE_MAX)
		                       : sealed_open(path, (const char *)buf, n, kek, was, cap);
		goto out;
	case KEK_HEX:
		if (want == WANT_SEALED) {
			err = not_sealed(path);
			goto out;
		}
		buf[n] = 0;
		if (orsp_hex_decode_exact((const char *)buf, kek->v, ORSP_KEK_LEN) == ORSP_OK) {
			kek->len = ORSP_KEK_LEN;
			goto out;
		}
		break;
	case KEK_ZERO:
		err = zero_refused(path);
		goto out;
	case KEK_CUT:
		err = cut_refused(path);
		goto out;
	case KEK_NONE:
		break;
	}
	err = orsp_errf(ORSP_E_MALFORMED,
	                "KEK file %s: expected 32 raw bytes, 64 hex digits or a sealed KEK", path);
out:
	orsp_wipe(buf, sizeof(buf));
	return err;
}

#define OPEN_TRIES 8

/* Open the KEK file at path (open flags) to read it, with a shared lock (flock LOCK_SH, held
 * until *fd is closed), as the file that path names once the lock is held. kek seal holds
 * LOCK_EX on the clear file from before it reads it until the sealed file has replaced it and
 * the old one is overwritten with zeros: a file opened just before is no longer named once
 * the lock is had, and the name is opened again. ORSP_E_NOT_FOUND if there is no file. */
static orsp_err open_shared(const char *path, int flags, int *fd)
{
	struct stat sb, now;
	orsp_err err;
	int again;

	/* The file's owner and mode are judged on the descriptor (kek_read_fd), which are the
	 * target's when path is a link: another user's link in a shared directory (b.db.kek ->
	 * root's auc.db.kek) made root take its own other KEK for this database's (a storage
	 * review). Every link on the path must be this user's or root's, and the file is opened
	 * by the walk that judged them: a link put there between a check and an open by path
	 * was followed (a review: 5 reads of root's KEK in 400 through a link that came and
	 * went). Every directory on it must be theirs too and not writable by group or others
	 * unless sticky (as the sealed store's): whoever may rename what a directory holds may
	 * put another KEK file, one they made, in its place. */
	*fd = -1;
	for (int tries = 0; tries < OPEN_TRIES; tries++) {
		if ((err = orsp_path_open_trusted("KEK file ", path, ORSP_PATH_LINK_OK, flags,
		                                  fd)) != ORSP_OK)
			return err;
		if (opened_hook)
			opened_hook(false);
		if (lock_fd(*fd, LOCK_SH) != 0 || fstat(*fd, &sb) != 0) {
			err = orsp_errf(ORSP_E_IO, "cannot lock KEK file %s: %s", path,
			                strerror(errno));
			close(*fd);
			*fd = -1;
			return err;
		}
		/* still the file at path once locked (kek seal replaces it under LOCK_EX),
		 * looked up as the first open was */
		err = orsp_path_open_trusted("KEK file ", path, ORSP_PATH_LINK_OK, O_PATH, &again);
		if (err == ORSP_OK && fstat(again, &now) == 0 && now.st_dev == sb.st_dev &&
		    now.st_ino == sb.st_ino) {
			close(again);
			return ORSP_OK;
		}
		if (again >= 0)
			close(again);
		close(*fd);
		*fd = -1;
		if (err != ORSP_OK && err != ORSP_E_NOT_FOUND)
			return err;
		orsp_err_clear();
	}
	*fd = -1;
	return orsp_errf(ORSP_E_STATE, "KEK file %s keeps being replaced while it is read", path);
}

/* Read and check an existing KEK file. ORSP_E_NOT_FOUND if it does not exist. O_NONBLOCK: a
 * FIFO (or a device) at path is refused by kek_read_fd, not waited on for a writer. */
static orsp_err kek_read(const char *path, orsp_secret *kek)
{
	int fd = -1;
	orsp_err err = open_shared(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, &fd);

	if (err)
		return err;
	err = kek_read_fd(fd, path, WANT_ANY, kek, NULL, 0);
	close(fd);
	return err;
}

void orsp_kek_env_wipe(void)
{
	char *v = getenv(KEK_ENV);

	if (!v)
		return;
	/* in place first: unsetenv drops the pointer, and glibc keeps the string it made */
	explicit_bzero(v, strlen(v));
	unsetenv(KEK_ENV);
}

/* orsp_kek_env_once: the next load from ORSP_KEK wipes it (env_once), and any load after
 * that one is refused (env_taken) rather than read from a file instead */
static bool env_once, env_taken;

void orsp_kek_env_once(void)
{
	env_once = true;
}

/* *made (not NULL): this call created the KEK file. */
static orsp_err kek_load(const char *path, bool create, orsp_secret *kek, bool *made)
{
	orsp_err err;
	char *env = getenv(KEK_ENV);

	if (made)
		*made = false;
	if (!kek)
		return orsp_errf(ORSP_E_USAGE, "no KEK output");
	orsp_secret_wipe(kek);
	if (env_taken)
		return orsp_errf(ORSP_E_STATE, KEK_ENV " was read once and removed from this "
		                                       "process's environment: not read again");
	if (env) {
		err = kek_from_env(env, kek);
		if (env_once) {
			orsp_kek_env_wipe();
			env_taken = true;
		}
		goto out;
	}
	if (!path || !path[0])
		return orsp_errf(ORSP_E_USAGE, "no KEK file given and " KEK_ENV " is not set");
	err = kek_read(path, kek);
	if (err == ORSP_E_NOT_FOUND && create) {
		err = kek_create(path, false, made);
		if (!err)
			err = kek_read(path, kek);
	}
out:
	if (err)
		orsp_secret_wipe(kek);
	return err;
}

orsp_err orsp_kek_load(const char *path, orsp_secret *kek)
{
	return kek_load(path, true, kek, NULL);
}

orsp_err orsp_kek_load_existing(const char *path, orsp_secret *kek)
{
	return kek_load(path, false, kek, NULL);
}

static orsp_err build_aad(const char *aad, uint8_t out[AAD_MAX], size_t *len)
{
	size_t n = aad ? strlen(aad) : 0;
	if (n + 1 > AAD_MAX)
		return orsp_errf(ORSP_E_USAGE, "wrap: record name longer than %d", AAD_MAX - 1);
	out[0] = ORSP_WRAP_VERSION;
	if (n)
		memcpy(out + 1, aad, n);
	*len = n + 1;
	return ORSP_OK;
}

orsp_err orsp_kek_load_for_db(const char *db_uri, const char *path, orsp_secret *kek)
{
	return orsp_kek_load_for_db_ex(db_uri, path, kek, NULL);
}

orsp_err orsp_kek_load_for_db_ex(const char *db_uri, const char *path, orsp_secret *kek, bool *made)
{
	orsp_db *probe = NULL;
	bool tables = false;
	orsp_err err;

	if (made)
		*made = false;
	if (!db_uri || !kek)
		return orsp_errf(ORSP_E_USAGE, "KEK: missing arguments");
	orsp_secret_wipe(kek);
	/* SQLite would delete or take over such a file, and the KEK with it */
	if (path && (err = orsp_db_uri_not_own_file(db_uri, path, "KEK file")))
		return err;
	err = orsp_db_open_ex(db_uri, ORSP_DB_OPEN_EXISTING, &probe);
	if (!err)
		err = orsp_db_has_tables(probe, &tables);
	orsp_db_close(probe);
	if (err == ORSP_E_NOT_FOUND) {
		orsp_err_clear();
		err = ORSP_OK;
	}
	if (err)
		return err;
	return kek_load(path, !tables, kek, made);
}

orsp_err orsp_kek_wrap(const orsp_secret *kek, const char *aad, const orsp_secret *plain,
                       uint8_t *out, size_t cap, size_t *out_len)
{
	orsp_err err;
	uint8_t ad[AAD_MAX];
	size_t ad_len = 0;

	if (!kek || kek->len != ORSP_KEK_LEN || !plain || !out || !out_len)
		return orsp_errf(ORSP_E_USAGE, "wrap: bad arguments");
	if (plain->len > ORSP_SECRET_MAX || cap < plain->len + ORSP_WRAP_OVERHEAD)
		return orsp_errf(ORSP_E_RESOURCE, "wrap: output needs %zu bytes",
		                 plain->len + ORSP_WRAP_OVERHEAD);
	err = build_aad(aad, ad, &ad_len);
	if (err)
		return err;
	out[0] = ORSP_WRAP_VERSION;
	err = orsp_random(out + 1, ORSP_WRAP_IV_LEN);
	if (err)
		return err;
	err =
	    orsp_aes_gcm_seal(kek->v, kek->len, out + 1, ad, ad_len, plain->v, plain->len,
	                      out + 1 + ORSP_WRAP_IV_LEN, out + 1 + ORSP_WRAP_IV_LEN + plain->len);
	if (err)
		return err;
	*out_len = plain->len + ORSP_WRAP_OVERHEAD;
	return ORSP_OK;
}

orsp_err orsp_kek_unwrap(const orsp_secret *kek, const char *aad, const uint8_t *blob, size_t n,
                         orsp_secret *plain)
{
	orsp_err err;
	uint8_t ad[AAD_MAX];
	size_t ad_len = 0, ct_len;

	if (!kek || kek->len != ORSP_KEK_LEN || !plain || (!blob && n))
		return orsp_errf(ORSP_E_USAGE, "unwrap: bad arguments");
	orsp_secret_wipe(plain);
	if (n < ORSP_WRAP_OVERHEAD || n > ORSP_WRAP_MAX)
		return orsp_errf(ORSP_E_MALFORMED, "wrapped %s: bad length %zu",
		                 aad ? aad : "value", n);
	if (blob[0] != ORSP_WRAP_VERSION)
		return orsp_errf(ORSP_E_MALFORMED, "wrapped %s: unknown version %u",
		                 aad ? aad : "value", blob[0]);
	err = build_aad(aad, ad, &ad_len);
	if (err)
		return err;
	ct_len = n - ORSP_WRAP_OVERHEAD;
	err = orsp_aes_gcm_open(kek->v, kek->len, blob + 1, ad, ad_len, blob + 1 + ORSP_WRAP_IV_LEN,
	                        ct_len, blob + 1 + ORSP_WRAP_IV_LEN + ct_len, plain->v);
	if (err) {
		orsp_secret_wipe(plain);
		if (err == ORSP_E_VERIFY)
			return orsp_errf(
			    ORSP_E_VERIFY,
			    "cannot unwrap %s: wrong KEK, or the record was altered or moved",
			    aad ? aad : "value");
		return err;
	}
	plain->len = ct_len;
	return ORSP_OK;
}

/* The stored check value w must unwrap with kek to exactly check (constant time). */
static orsp_err check_value(orsp_slice w, const orsp_secret *kek, const char *aad,
                            const uint8_t *check, size_t check_len)
{
	orsp_secret plain = {0};
	orsp_err err = orsp_kek_unwrap(kek, aad, w.p, w.len, &plain);

	if (err == ORSP_E_VERIFY)
		err = orsp_errf(ORSP_E_VERIFY,
		                "wrong KEK: this database was created with another KEK "
		                "(or rotated since: see rekey)");
	else if (!err && (plain.len != check_len || !orsp_ct_eq(plain.v, check, check_len)))
		err = orsp_errf(ORSP_E_VERIFY, "wrong KEK: check value does not match");
	orsp_secret_wipe(&plain);
	return err;
}

/* The stored check value must unwrap with kek; none stored: ORSP_E_VERIFY if required. */
static orsp_err check_stored(orsp_db *db, const orsp_secret *kek, const char *table,
                             const char *aad, const uint8_t *check, size_t check_len, bool required)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	bool row = false;
	char sql[128];

	if (!db || !kek || !table || !aad || !check)
		return orsp_errf(ORSP_E_USAGE, "KEK check: missing arguments");
	snprintf(sql, sizeof(sql), "SELECT wrapped FROM %s WHERE id = 1", table);
	err = orsp_db_prepare(db, sql, &st);
	if (!err)
		err = orsp_stmt_step(st, &row);
	if (!err && !row && required)
		err = orsp_errf(ORSP_E_VERIFY, "no KEK check value in %s", table);
	if (!err && row)
		err = check_value(orsp_stmt_column_blob(st, 0), kek, aad, check, check_len);
	orsp_stmt_finalize(st);
	return err;
}

orsp_err orsp_kek_check_existing(orsp_db *db, const orsp_secret *kek, const char *table,
                                 const char *aad, const uint8_t *check, size_t check_len)
{
	return check_stored(db, kek, table, aad, check, check_len, true);
}

orsp_err orsp_kek_opens(const char *db_uri, orsp_db_own_fn own, const orsp_secret *kek,
                        const char *table, const char *aad, const uint8_t *check, size_t check_len)
{
	orsp_db *db = NULL;
	orsp_err err;

	if (!db_uri || !own)
		return orsp_errf(ORSP_E_USAGE, "KEK check: missing arguments");
	err = orsp_db_open_ex(db_uri, ORSP_DB_OPEN_EXISTING, &db);
	if (!err)
		err = own(db, db_uri, ORSP_DB_OPEN_EXISTING);
	if (!err)
		err = check_stored(db, kek, table, aad, check, check_len, true);
	orsp_db_close(db);
	return err;
}

orsp_err orsp_kek_precheck(orsp_db *db, const char *module, size_t n, const orsp_secret *kek,
                           const char *table, const char *aad, const uint8_t *check,
                           size_t check_len)
{
	int v = 0;
	orsp_err err;

	if (!db || !module)
		return orsp_errf(ORSP_E_USAGE, "KEK check: missing arguments");
	err = orsp_db_schema_version(db, module, &v);
	if (err || v == 0 || (size_t)v > n)
		return err;
	return check_stored(db, kek, table, aad, check, check_len, false);
}

orsp_err orsp_kek_check(orsp_db *db, const orsp_secret *kek, const char *table, const char *aad,
                        const uint8_t *check, size_t check_len, const char *data_probe)
{
	return orsp_kek_check_ex(db, kek, table, aad, check, check_len, data_probe, true);
}

orsp_err orsp_kek_check_ex(orsp_db *db, const orsp_secret *kek, const char *table, const char *aad,
                           const uint8_t *check, size_t check_len, const char *data_probe,
                           bool store)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	orsp_secret plain = {0};
	uint8_t blob[ORSP_WRAP_MAX];
	size_t blob_len = 0;
	bool row = false, stored = false;
	char sql[128];

	if (!db || !kek || !table || !aad || !check)
		return orsp_errf(ORSP_E_USAGE, "KEK check: missing arguments");
	err = orsp_db_begin(db);
	if (err)
		return err;
	snprintf(sql, sizeof(sql), "SELECT wrapped FROM %s WHERE id = 1", table);
	err = orsp_db_prepare(db, sql, &st);
	if (!err)
		err = orsp_stmt_step(st, &row);
	if (err)
		goto out;
	if (row) {
		err = check_value(orsp_stmt_column_blob(st, 0), kek, aad, check, check_len);
		goto out;
	}
	orsp_stmt_finalize(st);
	st = NULL;
	/* no check value: a new database, or one that lost it; the second holds data wrapped
	 * under some KEK, maybe not this one, which must not become its KEK */
	if (data_probe) {
		err = orsp_db_prepare(db, data_probe, &st);
		if (!err)
			err = orsp_stmt_step(st, &row);
		if (!err && row)
			err = orsp_errf(ORSP_E_VERIFY,
			                "no KEK check value in %s, but the database holds data: it"
			                " cannot be told whether this is its KEK (restore the"
			                " database from a backup)",
			                table);
		orsp_stmt_finalize(st);
		st = NULL;
		if (err)
			goto out;
	}
	if (!store) /* read-only: nothing held under any KEK, nothing stored */
		goto out;
	err = orsp_secret_set(&plain, check, check_len);
	if (!err)
		err = orsp_kek_wrap(kek, aad, &plain, blob, sizeof(blob), &blob_len);
	snprintf(sql, sizeof(sql), "INSERT INTO %s (id, wrapped) VALUES (1, ?1)", table);
	if (!err)
		err = orsp_db_prepare(db, sql, &st);
	if (!err)
		err = orsp_stmt_bind_blob(st, 1, blob, blob_len);
	if (!err)
		err = orsp_stmt_run(st);
	stored = !err;
out:
	orsp_stmt_finalize(st);
	orsp_secret_wipe(&plain);
	/* only a check value stored is committed: a transaction that wrote nothing ends without
	 * a commit, whose flush every open of the database would pay for */
	if (err || !stored) {
		orsp_db_rollback(db);
		return err;
	}
	return orsp_db_commit(db);
}

/* ----- KEK rotation ----- */

orsp_err orsp_kek_create_new(const char *path, orsp_secret *kek)
{
	orsp_err err;

	if (!path || !path[0] || !kek)
		return orsp_errf(ORSP_E_USAGE, "new KEK: missing arguments");
	orsp_secret_wipe(kek);
	err = kek_create(path, true, NULL);
	if (err)
		return err;
	/* the value read back from the file is what a later orsp_kek_load returns (never ORSP_KEK)
	 */
	err = kek_read(path, kek);
	if (err) {
		unlink(path); /* created above, by this call */
		sync_dir_of_best_effort(-1, path);
	}
	return err;
}

/* ----- KEK files sealed by a PKCS#11 token ----- */

/* The text of a sealed KEK file for kek under the token key uri (checked to open again). */
static orsp_err sealed_text(const char *uri, const orsp_secret *kek, char *out, size_t cap,
                            size_t *len)
{
	uint8_t iv[12], data[ORSP_KEK_LEN + 16];
	char ivh[25], datah[2 * sizeof(data) + 1];
	orsp_secret back = {0};
	orsp_err err;
	int n;

	if (!orsp_ec_pkcs11_uri(uri) || strlen(uri) > SEALED_URI_MAX || strchr(uri, '\n') ||
	    strchr(uri, '\r'))
		return orsp_errf(ORSP_E_USAGE,
		                 "not a PKCS#11 URI of at most %d characters on one line",
		                 SEALED_URI_MAX);
	if (orsp_ec_pkcs11_uri_has_pin(uri))
		return orsp_errf(ORSP_E_USAGE, "the URI holds a PIN (pin-value), which the sealed "
		                               "file would then hold too: use pin-source=FILE");
	if ((err = orsp_random(iv, sizeof(iv))) ||
	    (err =
	         orsp_p11_aes_gcm_seal(uri, iv, (const uint8_t *)SEALED_MAGIC, strlen(SEALED_MAGIC),
	                               kek->v, ORSP_KEK_LEN, data, sizeof(data))))
		return err;
	/* opened again by the token before anything is written */
	err = orsp_p11_aes_gcm_open(uri, iv, (const uint8_t *)SEALED_MAGIC, strlen(SEALED_MAGIC),
	                            data, sizeof(data), back.v, ORSP_KEK_LEN);
	if (!err && !orsp_ct_eq(back.v, kek->v, ORSP_KEK_LEN))
		err = orsp_errf(ORSP_E_CRYPTO, "the token did not give the KEK back");
	orsp_secret_wipe(&back);
	if (err)
		return err;
	if (orsp_hex_encode(iv, sizeof(iv), ivh, sizeof(ivh)) ||
	    orsp_hex_encode(data, sizeof(data), datah, sizeof(datah)))
		return orsp_errf(ORSP_E_RESOURCE, "sealed KEK: hex");
	/* the scheme written "pkcs11:", as the file's reader takes it (a URI's scheme has no
	 * case: "PKCS11:..." was sealed into a file nothing could read) */
	n = snprintf(out, cap, SEALED_MAGIC "\nuri pkcs11:%s\niv %s\ndata %s\n", uri + 7, ivh,
	             datah);
	if (n < 0 || (size_t)n >= cap)
		return orsp_errf(ORSP_E_RESOURCE, "sealed KEK: too long");
	*len = (size_t)n;
	return ORSP_OK;
}

orsp_err orsp_kek_sealed_uri(const char *path, char *uri, size_t cap, bool *sealed)
{
	uint8_t buf[SEALED_FILE_MAX + 1], iv[12], data[ORSP_KEK_LEN + 16];
	size_t n = 0;
	bool more = false;
	struct stat sb;
	orsp_err err = ORSP_OK;
	enum kek_form form;
	int fd = -1;

	if (!path || !uri || !sealed)
		return orsp_errf(ORSP_E_USAGE, "orsp_kek_sealed_uri: NULL argument");
	*sealed = false;
	uri[0] = 0;
	if ((err = open_shared(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, &fd)))
		return err;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return orsp_errf(ORSP_E_MALFORMED, "%s is not a KEK file (not a regular file)",
		                 path);
	}
	err = orsp_file_read_upto(fd, path, buf, sizeof(buf), &n, &more);
	close(fd);
	if (err) {
		orsp_wipe(buf, sizeof(buf));
		return err;
	}
	form = kek_form_of(buf, &n);
	if (form == KEK_SEALED && n < sizeof(buf)) {
		err = sealed_parse(path, (const char *)buf, n, uri, cap, iv, data);
		*sealed = err == ORSP_OK;
	} else if (form == KEK_ZERO) {
		err = zero_refused(path);
	} else if (form == KEK_CUT) {
		err = cut_refused(path);
	} else if (form == KEK_NONE || form == KEK_SEALED) {
		err = orsp_errf(
		    ORSP_E_MALFORMED,
		    "%s is not a KEK file (32 raw bytes, 64 hex digits or a sealed KEK)", path);
	}
	orsp_wipe(buf, sizeof(buf));
	return err;
}

/* A KEK file replaced in place must be the only name of its data: behind a symbolic link or
 * another hard link the old file would stay where it is, holding the KEK as `left` says ("in
 * clear"). */
static orsp_err sole_name(const char *path, const char *left)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		return orsp_errf(errno == ENOENT ? ORSP_E_NOT_FOUND : ORSP_E_IO, "%s: %s", path,
		                 strerror(errno));
	if (S_ISLNK(sb.st_mode))
		return orsp_errf(ORSP_E_POLICY,
		                 "%s is a symbolic link: give the file it points to, which is what "
		                 "is replaced (the link would leave it %s)",
		                 path, left);
	if (sb.st_nlink > 1)
		return orsp_errf(ORSP_E_POLICY,
		                 "%s has %lu hard links: the others would keep the KEK %s; remove "
		                 "them first",
		                 path, (unsigned long)sb.st_nlink, left);
	return ORSP_OK;
}

/* Overwrite the clear KEK file fd, replaced by the sealed one (no longer named, still open), with
 * zeros and flush them, before its last descriptor closes and the file system frees its
 * blocks: where files are overwritten in place, those blocks no longer hold the KEK. Not so
 * on copy-on-write file systems, in a journal that holds file data, in an SSD's remapped
 * cells, snapshots or backups (docs/crypto.md). Done after the rename, not before: a crash
 * between the zeros and the rename would leave F all zeros, the KEK only in a temporary file
 * (32 zero bytes, which a load refuses). Only a file that no name is left to: one linked to
 * another name meanwhile is that name's KEK. */
static orsp_err overwrite_replaced(int fd, const char *path)
{
	static const uint8_t zero[256];
	struct stat sb;
	off_t off = 0;

	if (fstat(fd, &sb) != 0)
		goto fail;
	if (sb.st_nlink != 0)
		return orsp_errf(ORSP_E_POLICY,
		                 "%s is sealed now, but its old clear file was given another name "
		                 "meanwhile: it still holds the KEK there and is left alone; "
		                 "find it and delete it",
		                 path);
	while (off < sb.st_size) {
		size_t n = sb.st_size - off < (off_t)sizeof(zero) ? (size_t)(sb.st_size - off)
		                                                  : sizeof(zero);
		ssize_t w = pwrite(fd, zero, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			goto fail;
		}
		off += w;
	}
	if (fdatasync(fd) == 0)
		return ORSP_OK;
fail:
	return orsp_errf(ORSP_E_IO,
	                 "%s is sealed now, but its old clear content could not be overwritten "
	                 "(%s): its blocks may still hold the KEK",
	                 path, strerror(errno));
}

/* kek seal (reseal false: a clear KEK file) and kek reseal (a sealed one): the KEK read from
 * path and sealed under uri, path replaced. The file itself is opened (for seal, for
 * overwriting once the sealed file has replaced it), and every name after it reached from
 * its directory as judged: a directory on the path moved or a link put on it meanwhile could
 * otherwise send the sealed file, or the replacement, elsewhere. A sealed file's URI into was
 * (cap bytes; NULL: not wanted). */
static orsp_err seal_in_place(const char *path, const char *uri, bool reseal, char *was, size_t cap)
{
	orsp_secret kek = {0};
	char text[SEALED_FILE_MAX];
	char old[SEALED_URI_MAX + 1];
	size_t len = 0;
	bool sealed = false;
	struct kek_at at = {.dfd = -1};
	struct stat sb;
	orsp_err err;
	int fd;

	/* a file of the other kind is refused before its lock or the token (reseal: the KEK
	 * of a clear file is never read) */
	if ((err = sole_name(path, reseal ? "sealed under its old token key" : "in clear")) ||
	    (err = orsp_kek_sealed_uri(path, old, sizeof(old), &sealed)))
		return err;
	if (sealed && !reseal)
		return orsp_errf(ORSP_E_EXISTS, "KEK file %s is sealed already", path);
	if (!sealed && reseal)
		return not_sealed(path);
	if ((err = kek_at_open(path, &at)))
		return err;
	/* reseal: read-only, the file it replaces holds no KEK in clear to overwrite */
	fd = openat(at.dfd, at.name,
	            (reseal ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err = orsp_errf(ORSP_E_IO, "cannot open KEK file %s%s: %s", path,
		                reseal ? ""
		                       : " for writing (its clear KEK is overwritten once it "
		                         "is sealed)",
		                strerror(errno));
		kek_at_close(&at);
		return err;
	}
	if (opened_hook)
		opened_hook(true);
	/* Held until the old file is overwritten (seal) or replaced (reseal): another seal or
	 * reseal waits, then finds the file it opened replaced, and a reader (open_shared) opens
	 * the new one. */
	if (lock_fd(fd, LOCK_EX) != 0 || fstat(fd, &sb) != 0)
		err = orsp_errf(ORSP_E_IO, "cannot lock KEK file %s: %s", path, strerror(errno));
	else if (!still_named(&at, at.name, &sb))
		err = replaced_meanwhile(path);
	if (!err)
		err = kek_read_fd(fd, path, reseal ? WANT_SEALED : WANT_CLEAR, &kek, old,
		                  sizeof(old));
	if (!err) {
		err = sealed_text(uri, &kek, text, sizeof(text), &len);
		/* the new key's token or key not there is its fault, not a missing KEK file */
		if (err && reseal)
			err = orsp_errf(err == ORSP_E_NOT_FOUND ? ORSP_E_STATE : err,
			                "KEK file %s not resealed: the new token key: %s", path,
			                orsp_err_detail());
	}
	if (!err)
		err = file_write(&at, (const uint8_t *)text, len, PUT_REPLACE, &sb, NULL);
	if (!err && !reseal)
		err = overwrite_replaced(fd, path);
	if (!err && was && snprintf(was, cap, "%s", old) >= (int)cap)
		was[0] = 0; /* done; only the old URI is not given */
	orsp_secret_wipe(&kek);
	close(fd);
	kek_at_close(&at);
	return err;
}

orsp_err orsp_kek_seal(const char *path, const char *uri)
{
	if (!path || !uri)
		return orsp_errf(ORSP_E_USAGE, "orsp_kek_seal: NULL argument");
	return seal_in_place(path, uri, false, NULL, 0);
}

orsp_err orsp_kek_reseal(const char *path, const char *uri, char *was, size_t cap)
{
	if (!path || !uri || (was && !cap))
		return orsp_errf(ORSP_E_USAGE, "orsp_kek_reseal: NULL argument");
	if (was)
		was[0] = 0;
	return seal_in_place(path, uri, true, was, cap);
}

orsp_err orsp_kek_unseal(const char *path)
{
	orsp_secret kek = {0};
	char uri[SEALED_URI_MAX + 1];
	bool sealed = false;
	orsp_err err;

	if (!path)
		return orsp_errf(ORSP_E_USAGE, "orsp_kek_unseal: NULL argument");
	if ((err = sole_name(path, "in clear")) ||
	    (err = orsp_kek_sealed_uri(path, uri, sizeof(uri), &sealed)))
		return err;
	if (!sealed)
		return orsp_errf(ORSP_E_STATE, "KEK file %s is not sealed", path);
	if ((err = kek_read(path, &kek)))
		return err;
	err = path_write(path, kek.v, ORSP_KEK_LEN, PUT_REPLACE, NULL);
	orsp_secret_wipe(&kek);
	return err;
}

orsp_err orsp_kek_create_new_sealed(const char *path, const char *uri, orsp_secret *kek)
{
	char text[SEALED_FILE_MAX];
	size_t len = 0;
	orsp_secret back = {0};
	orsp_err err;

	if (!path || !path[0] || !uri || !kek)
		return orsp_errf(ORSP_E_USAGE, "new sealed KEK: missing arguments");
	orsp_secret_wipe(kek);
	if ((err = orsp_random(kek->v, ORSP_KEK_LEN)))
		return err;
	kek->len = ORSP_KEK_LEN;
	err = sealed_text(uri, kek, text, sizeof(text), &len);
	if (!err)
		err = path_write(path, (const uint8_t *)text, len, PUT_NEW, NULL);
	/* what a later load returns */
	if (!err) {
		err = kek_read(path, &back);
		if (!err && !orsp_ct_eq(back.v, kek->v, ORSP_KEK_LEN))
			err = orsp_errf(ORSP_E_CRYPTO, "the sealed KEK file %s does not read back",
			                path);
		if (err) {
			unlink(path);
			sync_dir_of_best_effort(-1, path);
		}
	}
	orsp_secret_wipe(&back);
	if (err)
		orsp_secret_wipe(kek);
	return err;
}

/* SQLite's unix VFS locks byte ranges of the WAL-index file (<database>-shm): the
 * SQLITE_SHM_NLOCK (8) locks from byte 120 (os_unix.c UNIX_SHM_BASE = (22 + 8) * 4), and
 * right after them, byte 128, the "dead man switch" (UNIX_SHM_DMS) on which every
 * connection in WAL mode holds a shared lock for as long as it is open (SQLite's
 * walformat.html, "the DMS"; checked against SQLite 3.40). POSIX locks belong to a
 * process: F_GETLK reports another process's lock, never this one's own. */
#define SHM_DMS_BYTE 128

#define GUARD_FDS 4

struct orsp_db_guard {
	/* Descriptors of the -shm files probed, kept open until orsp_db_guard_close: SQLite
	 * deletes the file when the last connection closes and the next one makes a new one,
	 * so the name may point to another file at the next probe (one more descriptor). */
	int fd[GUARD_FDS];
	size_t n;
	char shm[PATH_MAX]; /* its path, from the database file's real path */
	char db[PATH_MAX];  /* the database as the caller named it, for messages */
};

static orsp_err guard_probe(orsp_db_guard *g)
{
	struct flock fl;
	struct stat now, sb;
	int fd = -1;

	if (stat(g->shm, &now) != 0) {
		if (errno == ENOENT)
			return ORSP_OK; /* no WAL-index: nobody has the database open */
		return orsp_errf(ORSP_E_IO, "cannot stat %s: %s", g->shm, strerror(errno));
	}
	for (size_t i = 0; i < g->n && fd < 0; i++)
		if (fstat(g->fd[i], &sb) == 0 && sb.st_dev == now.st_dev && sb.st_ino == now.st_ino)
			fd = g->fd[i];
	if (fd < 0) {
		if (g->n == GUARD_FDS)
			return orsp_errf(ORSP_E_STATE,
			                 "%s: its WAL-index keeps being replaced: "
			                 "stop every program using the database first",
			                 g->db);
		fd = open(g->shm, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
		if (fd < 0 && errno == ENOENT)
			return ORSP_OK;
		if (fd < 0)
			return orsp_errf(ORSP_E_IO, "cannot open %s: %s", g->shm, strerror(errno));
		g->fd[g->n++] = fd;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK; /* would an exclusive lock conflict: any other process's lock */
	fl.l_whence = SEEK_SET;
	fl.l_start = SHM_DMS_BYTE;
	fl.l_len = 1;
	if (fcntl(fd, F_GETLK, &fl) != 0)
		return orsp_errf(ORSP_E_IO, "cannot test the locks of %s: %s", g->shm,
		                 strerror(errno));
	if (fl.l_type != F_UNLCK)
		return orsp_errf(ORSP_E_STATE,
		                 "%s is open in another process (pid %ld): stop the servers (`smdp "
		                 "serve`) and every other program using it first",
		                 g->db, (long)fl.l_pid);
	return ORSP_OK;
}

orsp_err orsp_db_guard_open(const char *path, orsp_db_guard **out)
{
	orsp_err err;
	orsp_db_guard *g;
	char real[PATH_MAX];

	if (!path || !path[0] || !out)
		return orsp_errf(ORSP_E_USAGE, "database guard: missing arguments");
	*out = NULL;
	if (strncmp(path, "sqlite:", 7) == 0)
		path += 7;
	if (strncmp(path, "file:", 5) == 0 || strcmp(path, ":memory:") == 0)
		return orsp_errf(ORSP_E_USAGE, "%s: a database file's path is needed here", path);
	/* SQLite names the WAL-index after the database's real path (symbolic links
	 * resolved) */
	if (!realpath(path, real)) {
		if (errno == ENOENT)
			return orsp_errf(ORSP_E_NOT_FOUND, "no database at %s", path);
		return orsp_errf(ORSP_E_IO, "%s: %s", path, strerror(errno));
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	if (snprintf(g->shm, sizeof(g->shm), "%s-shm", real) >= (int)sizeof(g->shm) ||
	    snprintf(g->db, sizeof(g->db), "%s", path) >= (int)sizeof(g->db)) {
		free(g);
		return orsp_errf(ORSP_E_USAGE, "%s: path too long", path);
	}
	err = guard_probe(g);
	if (err) {
		orsp_db_guard_close(g);
		return err;
	}
	*out = g;
	return ORSP_OK;
}

orsp_err orsp_db_guard_check(orsp_db_guard *g)
{
	if (!g)
		return orsp_errf(ORSP_E_USAGE, "database guard: missing arguments");
	return guard_probe(g);
}

void orsp_db_guard_close(orsp_db_guard *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		close(g->fd[i]);
	free(g);
}

static orsp_err rewrap_column(orsp_db *db, const orsp_secret *old_kek, const orsp_secret *new_kek,
                              const orsp_kek_column *c, size_t *count)
{
	orsp_err err;
	orsp_stmt *sel = NULL, *upd = NULL;
	orsp_secret plain = {0};
	uint8_t blob[ORSP_WRAP_MAX];
	size_t blob_len = 0, nkeys = strlen(c->keys);
	char aad[AAD_MAX];
	bool row = false;
	int v = 0;

	if (!c->aad)
		return ORSP_OK; /* sealed under a key another column wraps */
	err = orsp_db_schema_version(db, c->module, &v);
	if (err || v < c->since)
		return err; /* the column does not exist in this database (yet) */
	err = orsp_db_prepare(db, c->select, &sel);
	if (!err)
		err = orsp_db_prepare(db, c->update, &upd);
	while (!err) {
		orsp_slice w;

		err = orsp_stmt_step(sel, &row);
		if (err || !row)
			break;
		w = orsp_stmt_column_blob(sel, (int)nkeys);
		c->aad(sel, aad, sizeof(aad));
		err = orsp_kek_unwrap(old_kek, aad, w.p, w.len, &plain);
		if (err) {
			err = orsp_errf(err == ORSP_E_VERIFY ? ORSP_E_VERIFY : ORSP_E_MALFORMED,
			                "%s.%s of %s does not unwrap with the old KEK (altered, "
			                "moved, damaged, or wrapped under another KEK)",
			                c->table, c->column, aad);
			break;
		}
		err = orsp_kek_wrap(new_kek, aad, &plain, blob, sizeof(blob), &blob_len);
		orsp_secret_wipe(&plain);
		if (!err)
			err = orsp_stmt_reset(upd);
		if (!err)
			err = orsp_stmt_bind_blob(upd, 1, blob, blob_len);
		for (size_t k = 0; !err && k < nkeys; k++)
			err = c->keys[k] == 'i'
			          ? orsp_stmt_bind_int64(upd, (int)k + 2,
			                                 orsp_stmt_column_int64(sel, (int)k))
			          : orsp_stmt_bind_text(upd, (int)k + 2,
			                                orsp_stmt_column_text(sel, (int)k));
		if (!err)
			err = orsp_stmt_run(upd);
		if (!err && orsp_db_changes(db) != 1)
			err = orsp_errf(ORSP_E_STORAGE, "%s.%s of %s: the row was not updated",
			                c->table, c->column, aad);
		if (!err)
			(*count)++;
	}
	orsp_secret_wipe(&plain);
	orsp_stmt_finalize(sel);
	orsp_stmt_finalize(upd);
	return err;
}

/* The guard sees other processes only through the WAL-index, which a database in another
 * journal mode does not have (a file system without shared memory maps keeps SQLite in its
 * rollback journal): there, a process with the database open holds no lock while idle. */
static orsp_err require_wal(orsp_db *db, const orsp_db_guard *g)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	bool row = false;
	char mode[16] = "?";

	err = orsp_db_prepare(db, "PRAGMA journal_mode", &st);
	if (!err)
		err = orsp_stmt_step(st, &row);
	if (!err && row && orsp_stmt_column_text(st, 0))
		snprintf(mode, sizeof(mode), "%s", orsp_stmt_column_text(st, 0));
	orsp_stmt_finalize(st);
	if (err)
		return err;
	if (strcmp(mode, "wal") != 0)
		return orsp_errf(
		    ORSP_E_POLICY,
		    "%s is not in WAL mode (journal mode %s): another process using it "
		    "could not be detected, so its KEK is not rotated",
		    g->db, mode);
	return ORSP_OK;
}

orsp_err orsp_kek_rekey_check(const char *db_uri, const char *new_path)
{
	char dir[PATH_MAX];
	struct stat sb;
	orsp_err err;

	if (!db_uri || !new_path || !new_path[0])
		return orsp_errf(ORSP_E_USAGE, "rekey: missing arguments");
	err = orsp_db_uri_not_own_file(db_uri, new_path, "new KEK file");
	if (err)
		return err;
	/* the KEK given is not checked yet: a rotation that committed made new_path the
	 * database's KEK (orsp_kek_rekey_left tells which) */
	if (lstat(new_path, &sb) == 0)
		return orsp_errf(ORSP_E_EXISTS,
		                 "%s exists already, and is never overwritten: name a new file",
		                 new_path);
	if (errno != ENOENT)
		return create_failed(new_path, PUT_NEW, errno);
	if (snprintf(dir, sizeof(dir), "%s", new_path) >= (int)sizeof(dir))
		return orsp_errf(ORSP_E_USAGE, "KEK file path too long");
	if (stat(dirname(dir), &sb) != 0)
		return create_failed(new_path, PUT_NEW, errno);
	if (!S_ISDIR(sb.st_mode))
		return create_failed(new_path, PUT_NEW, ENOTDIR);
	return ORSP_OK;
}

orsp_err orsp_kek_rekey_left(const char *db_uri, const char *kek_path, const char *new_path,
                             orsp_kek_opens_fn opens)
{
	char why_old[ORSP_ERR_DETAIL_MAX] = "", why_new[ORSP_ERR_DETAIL_MAX] = "";
	orsp_secret kek = {0};
	orsp_err e_old, e_new;

	if (!db_uri || !new_path || !new_path[0] || !opens)
		return orsp_errf(ORSP_E_USAGE, "rekey: missing arguments");
	/* the KEK given as every verb finds it (ORSP_KEK, else kek_path) */
	e_old = orsp_kek_load_existing(kek_path, &kek);
	if (e_old == ORSP_E_USAGE && getenv(KEK_ENV))
		return e_old; /* a malformed ORSP_KEK: said as every verb says it */
	if (!e_old)
		e_old = opens(db_uri, &kek);
	orsp_secret_wipe(&kek);
	if (e_old)
		orsp_err_detail_copy(why_old, sizeof(why_old));
	/* NEW's own contents, whatever ORSP_KEK holds */
	e_new = kek_read(new_path, &kek);
	if (!e_new)
		e_new = opens(db_uri, &kek);
	orsp_secret_wipe(&kek);
	if (e_new)
		orsp_err_detail_copy(why_new, sizeof(why_new));
	orsp_err_clear();
	/* the database holds one check value, wrapped under one KEK: what opens it is its KEK,
	 * and any other KEK is not */
	if (!e_old && !e_new)
		return orsp_errf(ORSP_E_EXISTS,
		                 "%s exists already, and is never overwritten: it holds the KEK "
		                 "given, which the database opens with: name a new file",
		                 new_path);
	if (!e_new)
		return orsp_errf(
		    ORSP_E_EXISTS,
		    "%s exists already: the rotation that left it committed (the database opens "
		    "with %s, not with the KEK given): %s is the database's KEK now; point "
		    "--kek-file or kek_file at it (or move it over the old KEK file; with "
		    "ORSP_KEK, set that to its 64 hex digits), keep the old KEK only for backups "
		    "made before the rotation. Nothing was rotated now",
		    new_path, new_path, new_path);
	/* NEW no KEK at all (not a KEK file, its token out of reach): said why */
	if (!e_old)
		return orsp_errf(
		    ORSP_E_EXISTS,
		    "%s exists already: a rotation that left it did not commit (the database opens "
		    "with the KEK given, not with %s%s%.300s): if an interrupted rotation of this "
		    "database left it, delete %s and run the rotation again; otherwise name a new "
		    "file (it is never overwritten)",
		    new_path, new_path, e_new == ORSP_E_VERIFY ? "" : ": ",
		    e_new == ORSP_E_VERIFY ? "" : why_new, new_path);
	return orsp_errf(e_old != ORSP_E_VERIFY   ? e_old
	                 : e_new != ORSP_E_VERIFY ? e_new
	                                          : e_old,
	                 "%s exists already, and the database opens with neither KEK: not with "
	                 "the KEK given (%.400s), nor with %s (%.400s). Nothing was rotated: "
	                 "delete neither file until the database opens with one",
	                 new_path, why_old, new_path, why_new);
}

orsp_err orsp_kek_rekey(orsp_db *db, orsp_db_guard *g, const orsp_secret *old_kek,
                        const char *new_path, const char *seal_uri, const orsp_kek_column *cols,
                        size_t n, orsp_err (*audit)(void *arg, const char *new_path), void *arg,
                        orsp_secret *new_kek, size_t *count)
{
	orsp_err err;
	struct stat sb;
	size_t done = 0;

	if (!db || !g || !old_kek || old_kek->len != ORSP_KEK_LEN || !new_path || !new_path[0] ||
	    !cols || !audit || !new_kek)
		return orsp_errf(ORSP_E_USAGE, "rekey: missing arguments");
	orsp_secret_wipe(new_kek);
	/* SQLite would delete or take over such a file once the database is under it */
	err = orsp_db_not_own_file(db, new_path, "new KEK file");
	if (err)
		return err;
	if (lstat(new_path, &sb) == 0)
		return orsp_errf(
		    ORSP_E_EXISTS,
		    "%s exists already, and is never overwritten. The database still opens with "
		    "the KEK given, so that file is not its KEK: delete it only if an "
		    "interrupted rotation of this database left it",
		    new_path);
	err = require_wal(db, g);
	if (err)
		return err;
	/* before NEW is created and the write lock taken: a process that opens the database
	 * from now on is seen by the check inside the transaction */
	err = orsp_db_guard_check(g);
	if (err)
		return err;
	err = seal_uri ? orsp_kek_create_new_sealed(new_path, seal_uri, new_kek)
	               : orsp_kek_create_new(new_path, new_kek);
	if (err)
		return err;
	err = orsp_db_begin_flat(db);
	if (err)
		goto out;
	for (size_t i = 0; !err && i < n; i++)
		err = rewrap_column(db, old_kek, new_kek, &cols[i], &done);
	if (!err) {
		/* the audit names the file by its absolute name, as the export's does */
		char abs[PATH_MAX];
		err = audit(arg, realpath(new_path, abs) ? abs : new_path);
	}
	/* again, now that this process holds the write lock: one that opened the database
	 * after the first check still holds the old KEK */
	if (!err)
		err = orsp_db_guard_check(g);
	if (err) {
		orsp_db_rollback(db);
		goto out;
	}
	err = orsp_db_commit(db);
	if (err) {
		char why[ORSP_ERR_DETAIL_MAX];
		orsp_err_detail_copy(why, sizeof(why));
		/* only its flush failed: the database is under the new KEK now, which *new_kek
		 * keeps for the caller's handle (writes under the old one would not open) */
		if (orsp_db_committed(db))
			return orsp_errf(
			    err,
			    "the database was re-wrapped under %s, but its flush to disk "
			    "failed (%s): keep %s, and keep the old KEK file too until "
			    "the database opens with the new one",
			    new_path, why, new_path);
		orsp_secret_wipe(new_kek);
		/* COMMIT itself failed. In WAL mode SQLite may have appended the commit record
		 * to the log before a later step failed: should this process then die before a
		 * clean close, the next open recovers the transaction, and the database needs
		 * NEW. Only the operator can look (after this process is gone): NEW stays. */
		return orsp_errf(err,
		                 "the commit failed (%.60s): the database may now need either KEK, "
		                 "so %s is kept; the same rekey run again (the same new KEK file) "
		                 "tells which one opens it, and whether to delete it",
		                 why, new_path);
	}
out:
	if (err) {
		orsp_secret_wipe(new_kek);
		unlink(new_path);
		sync_dir_of_best_effort(-1, new_path);
		return err;
	}
	if (count)
		*count = done;
	return ORSP_OK;
}
