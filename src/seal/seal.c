/* openrsp seal: sealed record store (include/openrsp/seal.h, docs/seal.md).
 *
 * On disk, in the store's directory:
 *   device.key   32 random bytes, mode 0600 (file provider only)
 *   counter      the monotonic counter, 8 bytes big-endian (file provider only)
 *   manifest     "OSEALMF1" || IV(12) || GCM(device key, AAD "openrsp-seal manifest",
 *                manifest body) || tag(16) in a store of the file provider;
 *                "OSEALMP1" || IV(12) || GCM(the provider's key, AAD "openrsp-seal provider
 *                manifest", manifest body) || tag(16) in one created with another provider
 *   r<gen>.rec   "OSEALRC1" || IV(12) || GCM(device key, AAD "openrsp-seal record" || 00 ||
 *                name || 00 || gen(8, BE), record) || tag(16)
 * Manifest body: counter(8) next_gen(8) n(4) then per record: name_len(1) name gen(8)
 * len(4) sha256(32); all big-endian. Generations only grow, so a record file name is never
 * reused for other content by a finished commit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "openrsp/crypto.h"
#include "openrsp/seal.h"

#define MAGIC_LEN 8
#define IV_LEN 12
#define TAG_LEN 16
#define OVERHEAD (MAGIC_LEN + IV_LEN + TAG_LEN)
#define PATH_CAP 4096
#define MF_ENTRY_MAX (1 + ORSP_SEAL_NAME_MAX + 8 + 4 + 32)
#define MF_BODY_MAX (8 + 8 + 4 + ORSP_SEAL_MAX_RECORDS * MF_ENTRY_MAX)

static const char mf_magic[MAGIC_LEN] = {'O', 'S', 'E', 'A', 'L', 'M', 'F', '1'};
static const char rc_magic[MAGIC_LEN] = {'O', 'S', 'E', 'A', 'L', 'R', 'C', '1'};
static const char mf_aad[] = "openrsp-seal manifest";
/* A store created with a provider of the caller's (orsp_seal_create_with): its own magic, so
 * that open tells the two kinds apart before asking any provider for a key, and its own AAD,
 * so that a magic changed from one to the other does not authenticate even under one key. */
static const char mp_magic[MAGIC_LEN] = {'O', 'S', 'E', 'A', 'L', 'M', 'P', '1'};
static const char mp_aad[] = "openrsp-seal provider manifest";
static const char rc_aad[] = "openrsp-seal record";

typedef struct entry {
	char name[ORSP_SEAL_NAME_MAX + 1];
	uint64_t gen;
	uint32_t len;
	uint8_t sha[32];
} entry;

struct orsp_seal {
	char dir[PATH_CAP]; /* for messages: every file is reached through dfd */
	int dfd;            /* the store's directory, opened once (open_dir); -1 none */
	orsp_seal_provider prov;
	void *file_prov; /* the default provider's state, when used */
	bool provided;   /* created with a provider of the caller's (an "OSEALMP1" manifest) */
	uint8_t key[ORSP_SEAL_KEY_LEN];
	uint64_t counter, next_gen;
	entry ents[ORSP_SEAL_MAX_RECORDS];
	size_t n;
	unsigned crash_at; /* test hook: steps until the simulated crash; 0 = off */
	bool dead;         /* after a simulated crash: refuses everything */
	/* a commit was applied (its manifest in place) but its counter's advance failed: reads
	 * go on; the next commit first completes it (complete_unfinished), as an open would, and
	 * is refused while that fails */
	bool unfinished;
	/* a commit was applied but the directory's flush after its rename failed: whether it
	 * survives a power cut is unknown, so the handle refuses reads and commits until the
	 * store is opened again (orsp_seal_unflushed) */
	bool unflushed;
	bool committed; /* the last commit was applied (orsp_seal_committed) */
	int lock_fd;    /* DIR/lock, flock()ed while the store is open; -1 none */
};

/* ---------------------------------------------------------------- small helpers --------- */

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > ORSP_SEAL_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

/* "dir/file", for messages: the files themselves are opened relative to the directory's
 * descriptor (open_dir), never by this path again. */
static orsp_err path_of(char out[PATH_CAP], const char *dir, const char *file)
{
	int n = snprintf(out, PATH_CAP, "%s/%s", dir, file);
	if (n < 0 || n >= PATH_CAP)
		return orsp_errf(ORSP_E_USAGE, "path too long: %s/%s", dir, file);
	return ORSP_OK;
}

static void rec_file(char out[32], uint64_t gen)
{
	snprintf(out, 32, "r%016llx.rec", (unsigned long long)gen);
}

static orsp_err hook(const char *point);

/* One write step of a commit: the crash hook may declare the process dead here, and the test
 * hook fail it as a failed write would ("commit: WHAT"). */
static orsp_err step(orsp_seal *s, const char *what)
{
	char point[64];

	if (s->dead)
		return orsp_errf(ORSP_E_STORAGE,
		                 "sealed store: handle unusable after a simulated crash");
	if (s->crash_at && --s->crash_at == 0) {
		s->dead = true;
		return orsp_errf(ORSP_E_STORAGE, "sealed store: simulated crash before %s", what);
	}
	snprintf(point, sizeof(point), "commit: %s", what);
	return hook(point);
}

/* fsync of the store's directory dfd (dir's, for messages) */
static orsp_err fsync_dir(int dfd, const char *dir)
{
	orsp_err e = orsp_fsync_dirfd(dfd, dir);
	return e == ORSP_E_IO ? orsp_errf(ORSP_E_STORAGE, "%s", orsp_err_detail()) : e;
}

/* The store's directory listed, through its descriptor (dfd stays open); NULL when it cannot
 * be. */
static DIR *list_dir(int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (fd >= 0 && !d)
		close(fd);
	return d;
}

/* A file of the store's removed: 0, or -1 and errno */
static int unlink_in(int dfd, const char *name)
{
	return unlinkat(dfd, name, 0);
}

/* fsync the directory that holds dir, open on pfd, so that an entry made for dir is durable
 * (a file system that cannot flush a directory passes). */
static orsp_err fsync_parent(int pfd, const char *dir)
{
	if (fsync(pfd) != 0 && errno != EINVAL)
		return orsp_errf(ORSP_E_STORAGE, "cannot flush the directory of %s: %s", dir,
		                 strerror(errno));
	return ORSP_OK;
}

/* Write all n bytes of p to fd (path's, for messages). */
static orsp_err write_all(int fd, const char *path, const uint8_t *p, size_t n)
{
	if (orsp_file_write_full(fd, p, n) != 0)
		return orsp_errf(ORSP_E_STORAGE, "%s: write failed: %s", path, strerror(errno));
	return ORSP_OK;
}

static orsp_err fsync_file(int fd, const char *path)
{
	if (fsync(fd) != 0)
		return orsp_errf(ORSP_E_STORAGE, "%s: fsync failed: %s", path, strerror(errno));
	return ORSP_OK;
}

/* Write a whole file durably (write + fsync), through the crash hook when s is given. The file
 * is made anew: every name written here is the store's own (a temporary file, a record file
 * of a generation no manifest lists, the counter of a store being created), so whatever has
 * the name is a leftover, removed first. O_EXCL then creates the file itself: a symbolic link
 * put there is removed, never followed (O_TRUNC would write through it), and a FIFO never
 * blocks the open. */
static orsp_err write_file(orsp_seal *s, int dfd, const char *dir, const char *name,
                           const uint8_t *p, size_t n, mode_t mode)
{
	char path[PATH_CAP];
	orsp_err e = ORSP_OK;
	int fd;

	if ((e = path_of(path, dir, name)) != ORSP_OK)
		return e;
	if (s && (e = step(s, "write")) != ORSP_OK)
		return e;
	if (unlink_in(dfd, name) != 0 && errno != ENOENT)
		return orsp_errf(ORSP_E_STORAGE, "%s: cannot remove what is in the way: %s", path,
		                 strerror(errno));
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	            mode);
	if (fd < 0) {
		int err = errno;
		return orsp_errf(ORSP_E_STORAGE, "%s: cannot create: %s%s", path, strerror(err),
		                 err == EEXIST ? " (made again since it was removed: another "
		                                 "process writes in the store's directory)"
		                               : "");
	}
	if ((e = write_all(fd, path, p, n)) == ORSP_OK && (!s || (e = step(s, "fsync")) == ORSP_OK))
		e = fsync_file(fd, path);
	close(fd);
	return e;
}

/* Read all of an open file, at most cap bytes (ORSP_E_VERIFY when larger). */
static orsp_err read_fd(int fd, const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	size_t got = 0;

	for (;;) {
		ssize_t r;
		if (got == cap) {
			uint8_t extra;
			r = read(fd, &extra, 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) /* an I/O error is no sign of tampering */
				return orsp_errf(ORSP_E_STORAGE, "%s: read failed: %s", path,
				                 strerror(errno));
			if (r != 0)
				return orsp_errf(ORSP_E_VERIFY, "%s: larger than expected", path);
			break;
		}
		r = read(fd, buf + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return orsp_errf(ORSP_E_STORAGE, "%s: read failed: %s", path,
			                 strerror(errno));
		if (r == 0)
			break;
		got += (size_t)r;
	}
	*len = got;
	return ORSP_OK;
}

/* Open one of the store's own files for reading: a regular file, never through a symbolic
 * link. O_NONBLOCK: a FIFO put in its place would block open() until a writer came; it is
 * refused below like a device or a directory (code bad). ORSP_E_NOT_FOUND when absent. *st:
 * the status of the file opened, for further checks on the same descriptor. */
static orsp_err open_regular(int dfd, const char *path, const char *name, orsp_err bad, int *out,
                             struct stat *st)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY),
	    flags;

	*out = -1;
	if (fd < 0) {
		if (errno == ENOENT)
			return orsp_errf(ORSP_E_NOT_FOUND, "%s: missing", path);
		if (errno == ELOOP)
			return orsp_errf(bad, "%s: a symbolic link, not a regular file", path);
		return orsp_errf(ORSP_E_STORAGE, "%s: cannot open: %s", path, strerror(errno));
	}
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return orsp_errf(bad, "%s: not a regular file (a FIFO, device or directory)", path);
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		close(fd);
		return orsp_errf(ORSP_E_STORAGE, "%s: fcntl failed: %s", path, strerror(errno));
	}
	*out = fd;
	return ORSP_OK;
}

/* The store's directory and files belong to the process's user (or root): whoever else owns
 * one may change its mode and write it. As ssh does for its keys. */
static orsp_err check_owner(const char *path, const struct stat *st)
{
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return orsp_errf(
		    ORSP_E_POLICY,
		    "%s: owned by uid %u, not by this process's user (uid %u) or root; "
		    "chown it",
		    path, (unsigned)st->st_uid, (unsigned)geteuid());
	return ORSP_OK;
}

/* Read a whole file of at most cap bytes. ORSP_E_NOT_FOUND when absent; ORSP_E_VERIFY when it
 * is not a regular file: the store only ever writes regular files. ORSP_E_POLICY when another
 * user owns it or group or others may write it (the store writes its files 0600): they could
 * put an older counter back, or another manifest or record in place of its bytes. */
static orsp_err read_file(int dfd, const char *dir, const char *name, uint8_t *buf, size_t cap,
                          size_t *len)
{
	char path[PATH_CAP];
	struct stat st;
	orsp_err e;
	int fd;

	if ((e = path_of(path, dir, name)) != ORSP_OK ||
	    (e = open_regular(dfd, path, name, ORSP_E_VERIFY, &fd, &st)) != ORSP_OK)
		return e;
	if ((e = check_owner(path, &st)) == ORSP_OK && (st.st_mode & (S_IWGRP | S_IWOTH)))
		e = orsp_errf(ORSP_E_POLICY,
		              "%s: group or others may write it (mode %03o); chmod go-w it", path,
		              (unsigned)(st.st_mode & 0777));
	if (e == ORSP_OK)
		e = read_fd(fd, path, buf, cap, len);
	close(fd);
	return e;
}

/* The test hook (orsp_seal_set_test_hook): a failure it returns stands for a failed write. */
static orsp_err (*test_hook)(const char *point, void *arg);
static void *test_hook_arg;

static orsp_err hook(const char *point)
{
	if (test_hook && test_hook(point, test_hook_arg) != ORSP_OK)
		return orsp_errf(ORSP_E_STORAGE, "sealed store: test failure at %s", point);
	return ORSP_OK;
}

/* ---------------------------------------------------------------- the file provider ----- */

typedef struct file_prov {
	char dir[PATH_CAP]; /* for messages */
	int dfd;            /* its own descriptor of the store's directory */
} file_prov;

static orsp_err fp_device_key(void *user, uint8_t key[ORSP_SEAL_KEY_LEN])
{
	file_prov *fp = user;
	char path[PATH_CAP];
	uint8_t buf[ORSP_SEAL_KEY_LEN];
	struct stat st;
	size_t n = 0;
	orsp_err e;
	int fd;

	if ((e = path_of(path, fp->dir, "device.key")) != ORSP_OK ||
	    (e = open_regular(fp->dfd, path, "device.key", ORSP_E_POLICY, &fd, &st)) != ORSP_OK)
		return e;
	if ((e = check_owner(path, &st)) != ORSP_OK) {
		close(fd);
		return e;
	}
	if (st.st_mode & 077) {
		close(fd);
		return orsp_errf(ORSP_E_POLICY,
		                 "%s: group or others may access the device key (mode %03o); "
		                 "chmod 600 it",
		                 path, (unsigned)(st.st_mode & 0777));
	}
	/* The key comes from the file just checked: opening the path again would read
	 * whatever it names by then. */
	e = hook("open: device key checked");
	if (e == ORSP_OK)
		e = read_fd(fd, path, buf, sizeof(buf), &n);
	close(fd);
	if (e == ORSP_OK && n != sizeof(buf))
		e = orsp_errf(ORSP_E_VERIFY, "%s: a device key has %zu bytes, this file %zu", path,
		              sizeof(buf), n);
	if (e == ORSP_OK)
		memcpy(key, buf, sizeof(buf));
	orsp_wipe(buf, sizeof(buf));
	return e;
}

static orsp_err fp_counter_read(void *user, uint64_t *value)
{
	file_prov *fp = user;
	char path[PATH_CAP];
	uint8_t b[8];
	size_t n = 0;
	orsp_err e;

	if ((e = path_of(path, fp->dir, "counter")) != ORSP_OK ||
	    (e = read_file(fp->dfd, fp->dir, "counter", b, sizeof(b), &n)) != ORSP_OK)
		return e;
	if (n != sizeof(b))
		return orsp_errf(ORSP_E_VERIFY, "%s: damaged counter (%zu bytes)", path, n);
	*value = get_u64(b);
	return ORSP_OK;
}

static orsp_err fp_counter_advance(void *user, uint64_t value)
{
	file_prov *fp = user;
	char path[PATH_CAP];
	uint8_t b[8];
	orsp_err e;

	put_u64(b, value);
	if ((e = path_of(path, fp->dir, "counter")) != ORSP_OK ||
	    (e = write_file(NULL, fp->dfd, fp->dir, "counter.tmp", b, sizeof(b), 0600)) != ORSP_OK)
		return e;
	if (renameat(fp->dfd, "counter.tmp", fp->dfd, "counter") != 0)
		return orsp_errf(ORSP_E_STORAGE, "%s: rename failed: %s", path, strerror(errno));
	return fsync_dir(fp->dfd, fp->dir);
}

static void fp_close(void *user)
{
	file_prov *fp = user;

	if (fp && fp->dfd >= 0)
		close(fp->dfd);
	free(fp);
}

/* ---------------------------------------------------------------- manifest -------------- */

static orsp_err seal_blob(const uint8_t key[ORSP_SEAL_KEY_LEN], const char *magic,
                          const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t n,
                          uint8_t *out)
{
	orsp_err e;

	memcpy(out, magic, MAGIC_LEN);
	if ((e = orsp_random(out + MAGIC_LEN, IV_LEN)) != ORSP_OK)
		return e;
	return orsp_aes_gcm_seal(key, ORSP_SEAL_KEY_LEN, out + MAGIC_LEN, aad, aad_len, in, n,
	                         out + MAGIC_LEN + IV_LEN, out + MAGIC_LEN + IV_LEN + n);
}

static orsp_err open_blob(const uint8_t key[ORSP_SEAL_KEY_LEN], const char *magic,
                          const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t n,
                          uint8_t *out, const char *what)
{
	if (n < OVERHEAD || memcmp(in, magic, MAGIC_LEN) != 0)
		return orsp_errf(ORSP_E_VERIFY, "%s: not a sealed file of this kind", what);
	orsp_err e =
	    orsp_aes_gcm_open(key, ORSP_SEAL_KEY_LEN, in + MAGIC_LEN, aad, aad_len,
	                      in + MAGIC_LEN + IV_LEN, n - OVERHEAD, in + n - TAG_LEN, out);
	/* only a tag that does not match is tampering: a failure of the cipher itself (a
	 * context OpenSSL could not allocate) is passed on as what it is */
	if (e == ORSP_E_VERIFY)
		return orsp_errf(ORSP_E_VERIFY,
		                 "%s: does not authenticate under the device key (tampered, or "
		                 "another device's key)",
		                 what);
	if (e != ORSP_OK)
		return orsp_errf(e, "%s: cannot be decrypted: %s", what, orsp_err_detail());
	return ORSP_OK;
}

static size_t manifest_body(const orsp_seal *s, const entry *ents, size_t n, uint64_t counter,
                            uint64_t next_gen, uint8_t *out)
{
	size_t o = 0;

	(void)s;
	put_u64(out + o, counter);
	o += 8;
	put_u64(out + o, next_gen);
	o += 8;
	put_u32(out + o, (uint32_t)n);
	o += 4;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(ents[i].name);
		out[o++] = (uint8_t)l;
		memcpy(out + o, ents[i].name, l);
		o += l;
		put_u64(out + o, ents[i].gen);
		o += 8;
		put_u32(out + o, ents[i].len);
		o += 4;
		memcpy(out + o, ents[i].sha, 32);
		o += 32;
	}
	return o;
}

static orsp_err manifest_parse(orsp_seal *s, const uint8_t *p, size_t n)
{
	size_t o = 20, cnt;

	if (n < 20)
		return orsp_errf(ORSP_E_VERIFY, "sealed manifest: truncated");
	s->counter = get_u64(p);
	s->next_gen = get_u64(p + 8);
	cnt = get_u32(p + 16);
	if (cnt > ORSP_SEAL_MAX_RECORDS)
		return orsp_errf(ORSP_E_VERIFY, "sealed manifest: %zu records", cnt);
	for (size_t i = 0; i < cnt; i++) {
		entry *en = &s->ents[i];
		size_t l;
		if (o >= n || (l = p[o]) == 0 || l > ORSP_SEAL_NAME_MAX || n - o - 1 < l + 44)
			return orsp_errf(ORSP_E_VERIFY, "sealed manifest: bad entry %zu", i);
		memcpy(en->name, p + o + 1, l);
		en->name[l] = '\0';
		o += 1 + l;
		en->gen = get_u64(p + o);
		en->len = get_u32(p + o + 8);
		memcpy(en->sha, p + o + 12, 32);
		o += 44;
		/* a NUL among the name's bytes would make it a shorter name than the entry's */
		if (strlen(en->name) != l || !name_ok(en->name) || en->gen >= s->next_gen ||
		    en->len > ORSP_SEAL_MAX_RECORD)
			return orsp_errf(ORSP_E_VERIFY, "sealed manifest: bad entry %zu", i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->ents[j].name, en->name) == 0 || s->ents[j].gen == en->gen)
				return orsp_errf(ORSP_E_VERIFY, "sealed manifest: duplicate entry");
	}
	if (o != n)
		return orsp_errf(ORSP_E_VERIFY, "sealed manifest: trailing bytes");
	s->n = cnt;
	return ORSP_OK;
}

/* Seal and install a manifest (temp file, fsync, rename, fsync of the directory), of a store of
 * the file provider or (provided) of one created with another. *renamed once the rename took
 * place: a failure after it (the directory's flush) leaves the new manifest in place. */
static orsp_err manifest_write(orsp_seal *s, const uint8_t key[ORSP_SEAL_KEY_LEN], int dfd,
                               const char *dir, const entry *ents, size_t n, uint64_t counter,
                               uint64_t next_gen, bool provided, bool *renamed)
{
	uint8_t body[MF_BODY_MAX], blob[MF_BODY_MAX + OVERHEAD];
	char path[PATH_CAP];
	size_t len = manifest_body(s, ents, n, counter, next_gen, body);
	orsp_err e = provided ? seal_blob(key, mp_magic, (const uint8_t *)mp_aad,
	                                  sizeof(mp_aad) - 1, body, len, blob)
	                      : seal_blob(key, mf_magic, (const uint8_t *)mf_aad,
	                                  sizeof(mf_aad) - 1, body, len, blob);

	/* the body in clear (names, lengths, digests of the plaintexts) goes, as open's does */
	orsp_wipe(body, sizeof(body));
	if (e != ORSP_OK || (e = path_of(path, dir, "manifest")) != ORSP_OK ||
	    (e = write_file(s, dfd, dir, "manifest.tmp", blob, len + OVERHEAD, 0600)) != ORSP_OK)
		return e;
	if (s && (e = step(s, "rename")) != ORSP_OK)
		return e;
	if (renameat(dfd, "manifest.tmp", dfd, "manifest") != 0)
		return orsp_errf(ORSP_E_STORAGE, "%s: rename failed: %s", path, strerror(errno));
	*renamed = true;
	if (s && (e = step(s, "directory fsync")) != ORSP_OK)
		return e;
	return fsync_dir(dfd, dir);
}

/* ---------------------------------------------------------------- create / open --------- */

/* The store's directory opened once, into *dfd, for the handle's (or the call's) whole life:
 * every file of the store is then reached relative to it (openat, renameat, unlinkat), so that
 * the path is resolved once. Its path must be one that only this user and root can change
 * (orsp_path_open_trusted: each directory from / down owned by them and not writable by group
 * or others, or sticky with the next entry theirs; no link of another user's on the way; each
 * step opened from the one before, so that what is opened is what was judged), and not a
 * symbolic link itself ("DIR/." included): whoever could rename a directory on it, or repoint a
 * link, could put an older copy of the whole store in its place. With check_mode (create, open),
 * the directory itself must be the process user's (or root's) and writable by its owner only: group
 * or others who may write in it could remove its files or put others in their place (an older
 * manifest with its records, a link, a FIFO). ORSP_E_NOT_FOUND when it is not there. */
static orsp_err open_dir(const char *dir, bool check_mode, int *dfd)
{
	struct stat st;
	orsp_err e;
	int fd;

	*dfd = -1;
	/* opened by the walk that judged its path: nothing on it is looked up again */
	e = orsp_path_open_trusted("", dir, 0, O_RDONLY | O_DIRECTORY, &fd);
	if (e == ORSP_E_NOT_FOUND || e == ORSP_E_IO) {
		int err = errno;
		if (err == ENOTDIR)
			return orsp_errf(ORSP_E_STORAGE, "%s: not a directory", dir);
		return orsp_errf(err == ENOENT ? ORSP_E_NOT_FOUND : ORSP_E_STORAGE, "%s: %s", dir,
		                 strerror(err ? err : EIO));
	}
	if (e != ORSP_OK)
		return e;
	if (fstat(fd, &st) != 0) {
		e = orsp_errf(ORSP_E_STORAGE, "%s: %s", dir, strerror(errno));
	} else if (check_mode && check_owner(dir, &st) != ORSP_OK) {
		e = ORSP_E_POLICY;
	} else if (check_mode && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		e = orsp_errf(ORSP_E_POLICY,
		              "%s: group or others may write in the sealed store's directory "
		              "(mode %04o); chmod go-w it (chmod 700)",
		              dir, (unsigned)(st.st_mode & 07777));
	}
	if (e != ORSP_OK) {
		close(fd);
		return e;
	}
	*dfd = fd;
	return ORSP_OK;
}

/* The process holding the write flock of the lock file st (fcntl's F_GETLK sees POSIX locks
 * only); on overlayfs the one process holding such a flock on a file of that inode number (the
 * message only says "perhaps"). 0 when it cannot be told. */
static long flock_holder(const struct stat *st)
{
	long pid = orsp_lock_holder(st->st_dev, st->st_ino, "FLOCK", "WRITE", 0);
	return pid > 0 ? pid : 0;
}

long orsp_seal_lock_holder(const char *dir)
{
	char lock[PATH_CAP];
	struct stat st;

	if (!dir || path_of(lock, dir, "lock") != ORSP_OK || stat(lock, &st) != 0)
		return 0;
	return flock_holder(&st);
}

/* The pid in_use found last on this thread, for orsp_seal_busy_pid: a caller that words the
 * refusal its own way need not read /proc/locks again. */
static _Thread_local long busy_pid;

long orsp_seal_busy_pid(void)
{
	return busy_pid;
}

/* The process holding the lock file of the store dfd (flock_holder) */
static long lock_holder_at(int dfd)
{
	struct stat st;

	if (fstatat(dfd, "lock", &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	return flock_holder(&st);
}

/* "DIR: the sealed store is in use by another process", with its pid when it can be found */
static orsp_err in_use(int dfd, const char *dir)
{
	long pid = busy_pid = lock_holder_at(dfd);
	if (pid > 0)
		return orsp_errf(ORSP_E_STATE,
		                 "%s: the sealed store is in use by another process (pid %ld)", dir,
		                 pid);
	/* none found: it ended since the flock failed, most likely (a review found the words
	 * alone, with no way out) */
	return orsp_errf(ORSP_E_STATE,
	                 "%s: the sealed store is in use by another process; try again", dir);
}

/* The store's lock file (DIR/lock) opened, made if need be, and flock()ed at once, into *fd;
 * -1 and ORSP_E_STATE when another process holds it. */
static orsp_err take_lock(int dfd, const char *dir, int *fd)
{
	int err;

	busy_pid = 0;

	*fd = openat(dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd >= 0 && hook("lock: lock file opened") != ORSP_OK) {
		close(*fd);
		*fd = -1;
		return ORSP_E_STORAGE;
	}
	if (*fd >= 0 && flock(*fd, LOCK_EX | LOCK_NB) == 0) {
		/* as open checks: the lock must be on the file the directory has now. A destroy
		 * may have removed the file between the open and the flock, and a new store's
		 * lock file taken its place: this lock then kept nobody out. */
		struct stat held, now;
		if (fstat(*fd, &held) == 0 &&
		    fstatat(dfd, "lock", &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    held.st_ino == now.st_ino && held.st_dev == now.st_dev)
			return ORSP_OK;
		close(*fd);
		*fd = -1;
		return orsp_errf(ORSP_E_STATE,
		                 "%s: the sealed store's lock file was replaced while it was "
		                 "being taken; try again",
		                 dir);
	}
	err = errno;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	if (err == EWOULDBLOCK)
		return in_use(dfd, dir);
	return orsp_errf(ORSP_E_STORAGE,
	                 "%s: the sealed store is in use by another process, or its lock cannot "
	                 "be taken: %s",
	                 dir, strerror(err));
}

/* What a device key without a manifest is, for the messages of create and open. */
#define HALF_CREATED                                                                               \
	"a device key but no manifest: a creation that did not finish (create it again: that "     \
	"starts afresh)"
/* ... and what one that lost its manifest is, with the way out for whoever runs the program (a
 * format: the directory twice) */
#define MANIFEST_LOST                                                                              \
	"a sealed store that lost its manifest (tampered with or damaged): a device key, and "     \
	"records or a counter past 0, but no manifest; it is not opened, and nothing is created "  \
	"over it. Move %s aside and restore it from a backup; remove it (rm -r) only if what it "  \
	"holds (an eUICC's profiles) is to be given up"

static bool record_file(const char *name, unsigned long long *gen);

/* A directory without a manifest, with a device key: whether it is what a create that died
 * left (no record file, no counter.tmp, a counter absent or of zero bytes only: create writes
 * 0 there, cut short perhaps) and so holds nothing of value, or a store that lost its manifest
 * (a commit made records and moved the counter past 0), which is never created over. */
static bool unfinished_create(int dfd, const char *dir)
{
	uint8_t b[8];
	size_t n = 0;
	struct dirent *de;
	struct stat st;
	bool clean = true;
	orsp_err e;
	DIR *d;

	if (fstatat(dfd, "counter.tmp", &st, AT_SYMLINK_NOFOLLOW) == 0)
		return false;
	e = read_file(dfd, dir, "counter", b, sizeof(b), &n);
	if (e != ORSP_OK && e != ORSP_E_NOT_FOUND)
		return false;
	for (size_t i = 0; e == ORSP_OK && i < n; i++)
		clean &= b[i] == 0;
	d = list_dir(dfd);
	if (!d)
		return false;
	while (clean && (de = readdir(d)) != NULL) {
		unsigned long long g;
		clean = !record_file(de->d_name, &g);
	}
	closedir(d);
	return clean;
}

/* The manifest removed (or not there), its removal flushed before anything else of the store
 * goes: a manifest left, or brought back by a power cut, without its key and counter is a
 * store that open takes for one tampered with and create refuses. *unlinked (when given) says
 * whether it is gone from the directory, which it is when only the flush failed. */
static orsp_err manifest_remove(int dfd, const char *dir, bool *unlinked)
{
	char path[PATH_CAP];
	orsp_err e = path_of(path, dir, "manifest");

	if (unlinked)
		*unlinked = false;
	if (e)
		return e;
	if (unlink_in(dfd, "manifest") == 0) {
		if (unlinked)
			*unlinked = true;
		return fsync_dir(dfd, dir);
	}
	if (errno != ENOENT)
		return orsp_errf(ORSP_E_STORAGE, "%s: cannot remove: %s", path, strerror(errno));
	return ORSP_OK;
}

/* What a failed create wrote, removed again as destroy removes a store: the manifest first,
 * its removal durable before the rest goes, and nothing else when that fails (a manifest left,
 * or brought back by a power cut, without its key and counter is a store that open takes for
 * one tampered with and create refuses; with them, it is a whole store). The detail of the
 * create's own error is kept. NULL when all is gone, else what was left, for the message: the
 * manifest that could not be removed, or the key and counter of one whose removal could not be
 * flushed (until session 79 that too was "the store was left whole", and open found a device
 * key but no manifest; review find). */
static const char *remove_created(int dfd, const char *dir, bool provided)
{
	static const char *const written[] = {"manifest.tmp", "counter", "device.key"};
	char why[ORSP_ERR_DETAIL_MAX];
	const char *left = NULL;
	bool unlinked;

	orsp_err_detail_copy(why, sizeof(why));
	if (manifest_remove(dfd, dir, &unlinked) != ORSP_OK)
		left = unlinked ? "its manifest was removed, but the directory's flush after that "
		                  "failed, so the rest was kept: a creation that did not finish "
		                  "(create it again: that starts afresh)"
		                : "the store was left whole: its manifest cannot be removed";
	/* with a provider of the caller's, only the manifest's files are create's */
	if (!left)
		for (size_t i = 0; i < (provided ? 1 : ORSP_ARRAY_LEN(written)); i++)
			(void)unlink_in(dfd, written[i]);
	(void)orsp_errf(ORSP_E_STORAGE, "%s", why); /* the code is the caller's */
	return left;
}

static bool provider_ok(const orsp_seal_provider *p)
{
	return !p || (p->device_key && p->counter_read && p->counter_advance);
}

/* Whether dir holds a file named as the store names its record files. */
static bool has_record_files(int dfd)
{
	DIR *d = list_dir(dfd);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d)) != NULL) {
		unsigned long long g;
		found = record_file(de->d_name, &g);
	}
	closedir(d);
	return found;
}

/* The files of the file provider, which a store created with another provider never has. */
static const char *const file_prov_files[] = {"device.key", "counter", "counter.tmp"};

/* orsp_seal_create_with's part for a provider of the caller's, under the store's lock, dir
 * without a manifest: nothing of the file provider's in dir, then the first manifest sealed
 * under the provider's key at its counter + 1 and the counter advanced to that, in a commit's
 * order (a process that dies between them leaves a manifest one ahead, which open completes).
 * Sealing at the counter's value itself would let a manifest sealed at that value before (a
 * store destroyed at that count, under the same key) be put in place of the new one. *wrote
 * once a manifest may have been written. */
static orsp_err create_provided(int dfd, const char *dir, const orsp_seal_provider *p, bool *wrote)
{
	uint8_t key[ORSP_SEAL_KEY_LEN];
	struct stat st;
	uint64_t c = 0;
	bool renamed = false; /* create removes what it wrote on any failure */
	orsp_err e = ORSP_OK;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(file_prov_files); i++) {
		if (fstatat(dfd, file_prov_files[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			return orsp_errf(ORSP_E_EXISTS,
			                 "%s: holds %s, a file of the file provider's (a store "
			                 "created without a provider, or what is left of one): no "
			                 "store with a provider is created over it "
			                 "(orsp_seal_destroy removes it)",
			                 dir, file_prov_files[i]);
	}
	if ((e = p->device_key(p->user, key)) != ORSP_OK ||
	    (e = p->counter_read(p->user, &c)) != ORSP_OK)
		goto out;
	if (c == UINT64_MAX) {
		e = orsp_errf(
		    ORSP_E_STATE,
		    "%s: the provider's counter is at its end (2^64 - 1): no store can be "
		    "created on it",
		    dir);
		goto out;
	}
	*wrote = true;
	if ((e = hook("create: manifest")) == ORSP_OK)
		e = manifest_write(NULL, key, dfd, dir, NULL, 0, c + 1, 1, true, &renamed);
	if (e == ORSP_OK && (e = hook("create: counter advance")) == ORSP_OK)
		e = p->counter_advance(p->user, c + 1);
out:
	orsp_wipe(key, sizeof(key));
	return e;
}

orsp_err orsp_seal_create(const char *dir)
{
	return orsp_seal_create_with(dir, NULL);
}

static orsp_err open_impl(const char *dir, const orsp_seal_provider *provider, unsigned wait_ms,
                          const volatile sig_atomic_t *stop, int *held_lock, orsp_seal **out);

/* orsp_seal_create_with's work; with held_lock, the store's lock is handed to the caller on
 * success (*held_lock its descriptor, still flock()ed) rather than released. */
static orsp_err create_impl(const char *dir, const orsp_seal_provider *provider, int *held_lock)
{
	char path[PATH_CAP], name[NAME_MAX + 1];
	uint8_t key[ORSP_SEAL_KEY_LEN], zero[8] = {0};
	bool made_dir, wrote = false, renamed = false; /* removed on any failure */
	bool lock_made = false;
	const char *kept;
	struct stat st;
	orsp_err e;
	int fd, err, lock_fd = -1, dfd = -1, pfd = -1;

	if (!dir || !dir[0])
		return orsp_errf(ORSP_E_USAGE, "sealed store: no directory");
	if (!provider_ok(provider))
		return orsp_errf(ORSP_E_USAGE, "sealed store: a provider without a callback");
	/* the bound open and destroy apply: a store made here is one they take */
	if (strlen(dir) >= PATH_CAP - 32)
		return orsp_errf(ORSP_E_USAGE, "%s: path too long", dir);
	/* The path judged before anything is made on it, and the directory made in the parent
	 * judged, by its name there (mkdirat): a directory on the path moved, or a link put on
	 * it, after the walk cannot have it made elsewhere. open_dir judges the whole path
	 * again. */
	e = orsp_path_open_parent_trusted("", dir, 0, &pfd, name, sizeof(name));
	if (e == ORSP_E_NOT_FOUND || e == ORSP_E_IO)
		return orsp_errf(ORSP_E_STORAGE, "%s: cannot create: %s", dir,
		                 strerror(errno ? errno : EIO));
	if (e != ORSP_OK)
		return e;
	made_dir = mkdirat(pfd, name, 0700) == 0;
	if (!made_dir && errno != EEXIST) {
		e = orsp_errf(ORSP_E_STORAGE, "%s: cannot create: %s", dir, strerror(errno));
		close(pfd);
		return e;
	}
	if ((e = open_dir(dir, true, &dfd)) != ORSP_OK)
		goto out;
	/* A directory made here must survive a power cut once create has returned: its entry
	 * lives in the parent, which the fsyncs of the store's own files do not reach. */
	if (made_dir && ((e = hook("create: parent directory fsync")) != ORSP_OK ||
	                 (e = fsync_parent(pfd, dir)) != ORSP_OK))
		goto out;
	/* a link there too, dangling or not: as open takes it */
	if (fstatat(dfd, "manifest", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		e = orsp_errf(ORSP_E_EXISTS, "%s: holds a sealed store already", dir);
		goto out;
	}
	/* The lock open and destroy take: with it held, a device key without a manifest is not
	 * another create's in progress but one that died, which is started afresh. */
	lock_made = fstatat(dfd, "lock", &st, AT_SYMLINK_NOFOLLOW) != 0;
	if ((e = take_lock(dfd, dir, &lock_fd)) != ORSP_OK)
		goto out;
	if (fstatat(dfd, "manifest", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		/* made by a create that held the lock before */
		e = orsp_errf(ORSP_E_EXISTS, "%s: holds a sealed store already", dir);
		goto out;
	}
	/* Record files without a manifest or a device key: a store created with a provider that
	 * lost its manifest (the file provider's are judged with its key, below). */
	if (fstatat(dfd, "device.key", &st, AT_SYMLINK_NOFOLLOW) != 0 && has_record_files(dfd)) {
		e = orsp_errf(ORSP_E_EXISTS,
		              "%s: record files but no manifest: a sealed store that lost its "
		              "manifest (tampered with or damaged); nothing is created over it. "
		              "Move %s aside and restore it from a backup; remove it (rm -r) only "
		              "if what it holds is to be given up",
		              dir, dir);
		goto out;
	}
	if (provider) {
		e = create_provided(dfd, dir, provider, &wrote);
		goto out;
	}
	if ((e = path_of(path, dir, "device.key")) != ORSP_OK ||
	    (e = orsp_random(key, sizeof(key))) != ORSP_OK)
		goto out;
	fd = openat(dfd, "device.key", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	err = errno;
	if (fd < 0 && err == EEXIST && unfinished_create(dfd, dir)) {
		/* what a create that died left: nothing of value, removed, the key last */
		static const char *const left[] = {"manifest.tmp", "counter", "device.key"};
		char p[PATH_CAP];
		for (size_t i = 0; i < ORSP_ARRAY_LEN(left); i++)
			if (unlink_in(dfd, left[i]) != 0 && errno != ENOENT) {
				(void)path_of(p, dir, left[i]);
				e = orsp_errf(ORSP_E_STORAGE, "%s: cannot remove: %s", p,
				              strerror(errno));
				goto out;
			}
		fd = openat(dfd, "device.key", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		            0600);
		err = errno;
	}
	if (fd < 0) {
		e = err == EEXIST
		        ? orsp_errf(ORSP_E_EXISTS, "%s: " MANIFEST_LOST, dir, dir)
		        : orsp_errf(ORSP_E_STORAGE, "%s: cannot create the device key: %s", path,
		                    strerror(err));
		goto out;
	}
	wrote = true;
	if ((e = write_all(fd, path, key, sizeof(key))) == ORSP_OK)
		e = fsync_file(fd, path);
	close(fd);
	if (e != ORSP_OK)
		goto out;
	if ((e = hook("create: counter")) == ORSP_OK)
		e = write_file(NULL, dfd, dir, "counter", zero, sizeof(zero), 0600);
	/* The key's and the counter's entries durable before the manifest that makes the
	 * directory a store: a power cut could otherwise keep the manifest and lose them, a
	 * store that open takes for one tampered with and create refuses. */
	if (e == ORSP_OK)
		e = fsync_dir(dfd, dir);
	if (e == ORSP_OK && (e = hook("create: manifest")) == ORSP_OK)
		e = manifest_write(NULL, key, dfd, dir, NULL, 0, 0, 1, false, &renamed);
out:
	if (e == ORSP_OK && held_lock) {
		*held_lock = lock_fd;
		lock_fd = -1;
	}
	orsp_wipe(key, sizeof(key));
	if (e != ORSP_OK && wrote && (kept = remove_created(dfd, dir, provider != NULL)) != NULL)
		e = orsp_errf(e, "%s (%s)", orsp_err_detail(), kept);
	if (lock_fd >= 0) {
		/* removed while held, as destroy does, unless a store is there */
		if (e != ORSP_OK && fstatat(dfd, "manifest", &st, AT_SYMLINK_NOFOLLOW) != 0)
			(void)unlink_in(dfd, "lock");
		close(lock_fd);
	} else if (e != ORSP_OK && e != ORSP_E_STATE && made_dir && lock_made && dfd >= 0)
		(void)unlink_in(dfd, "lock"); /* made by take_lock, which could not lock it */
	if (dfd >= 0)
		close(dfd);
	/* the directory made above, by its name in the parent judged */
	if (e != ORSP_OK && made_dir)
		(void)unlinkat(pfd, name, AT_REMOVEDIR);
	close(pfd);
	return e;
}

orsp_err orsp_seal_create_with(const char *dir, const orsp_seal_provider *provider)
{
	return create_impl(dir, provider, NULL);
}

orsp_err orsp_seal_create_open(const char *dir, orsp_seal **out)
{
	int lock_fd = -1;
	orsp_err e;

	if (!out)
		return orsp_errf(ORSP_E_USAGE, "sealed store: bad arguments");
	*out = NULL;
	/* The lock create took is kept for the open: no other process can take the new, empty
	 * store in between (an `euicc init` at the same moment took it for one whose
	 * provisioning had stopped, and provisioned it, until session 79). */
	if ((e = create_impl(dir, NULL, &lock_fd)) != ORSP_OK)
		return e;
	e = open_impl(dir, NULL, 0, NULL, &lock_fd, out);
	if (lock_fd >= 0) /* not taken over: the open failed before it got that far */
		close(lock_fd);
	return e;
}

/* Remove record files that the manifest does not list (an unfinished commit's). */
/* Whether name is one the store gives a record file (record_name's "r%016llx.rec": r, 16
 * lower-case hex digits, .rec), and its generation. Nothing else is the store's to remove:
 * sscanf's %16llx also took fewer digits, a sign, spaces or 0x (r1.rec, "r 0x2a.rec"). */
static bool record_file(const char *name, unsigned long long *gen)
{
	if (strlen(name) != 21 || name[0] != 'r' || strspn(name + 1, "0123456789abcdef") != 16 ||
	    strcmp(name + 17, ".rec") != 0)
		return false;
	*gen = strtoull(name + 1, NULL, 16); /* 16 hex digits: no overflow */
	return true;
}

static void clean_orphans(orsp_seal *s)
{
	DIR *d = list_dir(s->dfd);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		unsigned long long g;
		bool listed = false;
		if (!record_file(de->d_name, &g))
			continue;
		for (size_t i = 0; i < s->n; i++)
			listed |= s->ents[i].gen == g;
		if (!listed)
			(void)unlink_in(s->dfd, de->d_name);
	}
	closedir(d);
	(void)unlink_in(s->dfd, "manifest.tmp");
}

/* The provider found no device key or counter although the directory has a manifest: that
 * is not "no store" (ORSP_E_NOT_FOUND, which a caller may take as leave to create one) but a
 * store tampered with or partly removed. Neither create nor destroy ever leaves a manifest
 * without them: create writes it last, destroy removes it first. */
static orsp_err missing_part(orsp_err e, const char *dir, const char *what)
{
	char detail[ORSP_ERR_DETAIL_MAX];

	if (e != ORSP_E_NOT_FOUND)
		return e;
	orsp_err_detail_copy(detail, sizeof(detail));
	return orsp_errf(ORSP_E_VERIFY,
	                 "%s: the sealed store has a manifest but its %s is missing (%s): it was "
	                 "tampered with or partly removed",
	                 dir, what, detail);
}

/* A store and the provider it is opened with are of one kind: the file provider's (an
 * "OSEALMF1" manifest, device.key and counter beside it) or a provider of the caller's (an
 * "OSEALMP1" manifest and none of the file provider's files). ORSP_E_USAGE for the other
 * kind's provider, ORSP_E_VERIFY for a file provider's file beside a provider's manifest. */
static orsp_err check_kind(const orsp_seal *s, const char *dir, bool given, const uint8_t *blob,
                           size_t n)
{
	struct stat st;

	if (s->provided && !given)
		return orsp_errf(
		    ORSP_E_USAGE,
		    "%s: the sealed store was created with a key and counter provider "
		    "(orsp_seal_create_with): open it with that provider, not the file "
		    "provider",
		    dir);
	if (!s->provided && given && n >= MAGIC_LEN && memcmp(blob, mf_magic, MAGIC_LEN) == 0)
		return orsp_errf(ORSP_E_USAGE,
		                 "%s: the sealed store keeps its device key and counter in files "
		                 "(created without a provider): open it without one",
		                 dir);
	for (size_t i = 0; s->provided && i < ORSP_ARRAY_LEN(file_prov_files); i++) {
		if (fstatat(s->dfd, file_prov_files[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			return orsp_errf(ORSP_E_VERIFY,
			                 "%s: holds %s beside the manifest of a store created with "
			                 "a provider, which has no such file: not the store's "
			                 "(tampered with, or another store's); remove it",
			                 dir, file_prov_files[i]);
	}
	return ORSP_OK;
}

/* flock(fd, LOCK_EX | LOCK_NB), tried again every ORSP_SEAL_WAIT_STEP_MS while another process
 * holds it (EWOULDBLOCK), for up to wait_ms: 0 or -1 and errno as flock's last try. Nothing
 * else is held meanwhile (open has taken no other lock); a stop asked (*stop, a signal
 * handler's flag) or a signal caught during a sleep (nanosleep's EINTR) ends the wait at
 * once, as a refusal. */
static int lock_wait(int fd, unsigned wait_ms, const volatile sig_atomic_t *stop)
{
	struct timespec start, now;
	bool timed = clock_gettime(CLOCK_MONOTONIC, &start) == 0;

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK || !wait_ms || !timed || orsp_stop_set(stop) ||
		    clock_gettime(CLOCK_MONOTONIC, &now) != 0)
			break;
		long long spent = (long long)(now.tv_sec - start.tv_sec) * 1000 +
		                  (now.tv_nsec - start.tv_nsec) / 1000000;
		if (spent >= (long long)wait_ms)
			break;
		long long step = (long long)wait_ms - spent;
		if (step > ORSP_SEAL_WAIT_STEP_MS)
			step = ORSP_SEAL_WAIT_STEP_MS;
		struct timespec nap = {0, (long)step * 1000000L};
		if (nanosleep(&nap, NULL) != 0) {
			errno = EWOULDBLOCK; /* interrupted: refused as in use */
			break;
		}
	}
	return -1;
}

orsp_err orsp_seal_open(const char *dir, const orsp_seal_provider *provider, orsp_seal **out)
{
	return orsp_seal_open_wait(dir, provider, 0, NULL, out);
}

orsp_err orsp_seal_open_wait(const char *dir, const orsp_seal_provider *provider, unsigned wait_ms,
                             const volatile sig_atomic_t *stop, orsp_seal **out)
{
	return open_impl(dir, provider, wait_ms, stop, NULL, out);
}

/* The open; held_lock, when given, holds the store's lock file already flock()ed by this
 * process (orsp_seal_create_open), taken over by the handle (*held_lock -1 then; the handle
 * closes it, which releases the lock): a second flock of the file from this process would be
 * refused by the first. */
static orsp_err open_impl(const char *dir, const orsp_seal_provider *provider, unsigned wait_ms,
                          const volatile sig_atomic_t *stop, int *held_lock, orsp_seal **out)
{
	uint8_t blob[MF_BODY_MAX + OVERHEAD], body[MF_BODY_MAX];
	char lock[PATH_CAP];
	orsp_seal *s = NULL;
	uint64_t counter = 0;
	struct stat mst;
	size_t n = 0;
	orsp_err e;

	busy_pid = 0;
	if (!dir || !out)
		return orsp_errf(ORSP_E_USAGE, "sealed store: bad arguments");
	*out = NULL;
	if (strlen(dir) >= PATH_CAP - 32)
		return orsp_errf(ORSP_E_USAGE, "%s: path too long", dir);
	if (!provider_ok(provider))
		return orsp_errf(ORSP_E_USAGE, "sealed store: a provider without a callback");
	s = calloc(1, sizeof(*s));
	if (!s)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->lock_fd = -1;
	s->dfd = -1;
	/* The directory opened once: the lock, the manifest, the key, the counter and the
	 * records are all those of this one directory, whatever its path names meanwhile. */
	if ((e = open_dir(dir, true, &s->dfd)) != ORSP_OK) {
		if (e == ORSP_E_NOT_FOUND)
			e = orsp_errf(ORSP_E_NOT_FOUND,
			              "%s: no sealed store here (create one first)", dir);
		free(s);
		return e;
	}
	if (provider) {
		s->prov = *provider;
	} else {
		file_prov *fp = calloc(1, sizeof(*fp));
		if (fp && (fp->dfd = fcntl(s->dfd, F_DUPFD_CLOEXEC, 0)) < 0) {
			e = orsp_errf(ORSP_E_RESOURCE, "%s: cannot duplicate a descriptor: %s", dir,
			              strerror(errno));
			free(fp);
			close(s->dfd);
			free(s);
			return e;
		}
		if (!fp) {
			close(s->dfd);
			free(s);
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		}
		snprintf(fp->dir, sizeof(fp->dir), "%s", dir);
		s->prov = (orsp_seal_provider){fp, fp_device_key, fp_counter_read,
		                               fp_counter_advance, fp_close};
	}
	if ((e = path_of(lock, dir, "lock")) != ORSP_OK)
		goto fail;
	/* Open makes a lock file only in a directory that holds a store. lstat, not access: a
	 * symbolic link in the manifest's place, dangling or not, is a manifest tampered with
	 * (refused by its read below), not "no store". */
	if (fstatat(s->dfd, "manifest", &mst, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) {
		/* A lock file without a manifest may be a create's in progress: it holds the lock
		 * from before its device key until its caller lets go (`openrsp euicc init`: once
		 * the card is made). Waited for as any holder is, then refused as in use; a
		 * manifest there once it is let go is opened. Until session 79 an open in that
		 * moment said "no sealed store here" or HALF_CREATED (review find). The lock file
		 * opened without O_CREAT: none is made where there is no store. */
		bool half;
		int lfd = held_lock ? -1 : openat(s->dfd, "lock", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (lfd >= 0 && lock_wait(lfd, wait_ms, stop) != 0) {
			int err = errno;
			close(lfd);
			lfd = -1;
			if (err == EWOULDBLOCK) {
				e = in_use(s->dfd, dir);
				goto fail;
			}
		}
		if (lfd >= 0 && fstatat(s->dfd, "manifest", &mst, AT_SYMLINK_NOFOLLOW) == 0) {
			s->lock_fd = lfd; /* made meanwhile: opened under this hold */
			goto locked;
		}
		half = fstatat(s->dfd, "device.key", &mst, AT_SYMLINK_NOFOLLOW) == 0;
		e = !half ? orsp_errf(ORSP_E_NOT_FOUND,
		                      "%s: no sealed store here (create one first)", dir)
		    : unfinished_create(s->dfd, dir)
		        ? orsp_errf(ORSP_E_NOT_FOUND, "%s: no sealed store here, " HALF_CREATED,
		                    dir)
		        : orsp_errf(ORSP_E_NOT_FOUND, "%s: " MANIFEST_LOST, dir, dir);
		if (lfd >= 0)
			close(lfd);
		goto fail;
	}
	/* One process at a time: another opener could take the files of a commit in progress
	 * for an unfinished commit's and remove them. The manifest is read only under the
	 * lock: a copy read before could be older than a commit that finished meanwhile, and
	 * its orphan clean-up would remove that commit's records. */
	if (held_lock) {
		s->lock_fd = *held_lock;
		*held_lock = -1;
		goto locked;
	}
	s->lock_fd = openat(s->dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0) {
		e = orsp_errf(errno == ENOENT ? ORSP_E_NOT_FOUND : ORSP_E_STORAGE,
		              "%s: cannot open: %s", lock, strerror(errno));
		goto fail;
	}
	if ((e = hook("open: lock file opened")) != ORSP_OK)
		goto fail;
	if (lock_wait(s->lock_fd, wait_ms, stop) != 0) {
		if (errno == EWOULDBLOCK)
			e = in_use(s->dfd, dir);
		else /* ENOLCK on a file system without locks: nobody else is to blame */
			e = orsp_errf(ORSP_E_STORAGE, "%s: cannot lock: %s", lock, strerror(errno));
		goto fail;
	}
locked:
	/* The lock held must be on the lock file the directory has now: orsp_seal_destroy
	 * removes it while holding it, and a store created again since has a new one, which
	 * another handle may hold. */
	{
		struct stat held, now;
		if (fstat(s->lock_fd, &held) != 0 ||
		    fstatat(s->dfd, "lock", &now, AT_SYMLINK_NOFOLLOW) != 0 ||
		    held.st_ino != now.st_ino || held.st_dev != now.st_dev) {
			e = orsp_errf(ORSP_E_STATE,
			              "%s: the sealed store was removed or replaced "
			              "while it was being opened; open it again",
			              dir);
			goto fail;
		}
	}
	e = read_file(s->dfd, dir, "manifest", blob, sizeof(blob), &n);
	if (e == ORSP_OK)
		e = hook("open: manifest read");
	if (e == ORSP_E_NOT_FOUND) {
		/* removed since the check above */
		e = orsp_errf(ORSP_E_NOT_FOUND, "%s: no sealed store here (create one first)", dir);
		goto fail;
	}
	if (e)
		goto fail;
	/* The kind of store, from the manifest's magic, before any provider is asked for a key:
	 * one kind's key and counter are never used for the other's store. */
	s->provided = n >= MAGIC_LEN && memcmp(blob, mp_magic, MAGIC_LEN) == 0;
	if ((e = check_kind(s, dir, provider != NULL, blob, n)) != ORSP_OK)
		goto fail;
	if ((e = s->prov.device_key(s->prov.user, s->key)) != ORSP_OK) {
		e = missing_part(e, dir, "device key");
		goto fail;
	}
	e = s->provided ? open_blob(s->key, mp_magic, (const uint8_t *)mp_aad, sizeof(mp_aad) - 1,
	                            blob, n, body, "sealed manifest")
	                : open_blob(s->key, mf_magic, (const uint8_t *)mf_aad, sizeof(mf_aad) - 1,
	                            blob, n, body, "sealed manifest");
	if (e == ORSP_OK)
		e = manifest_parse(s, body, n - OVERHEAD);
	/* On every path: a failed open_blob may have decrypted part of it. */
	orsp_wipe(body, sizeof(body));
	if (e)
		goto fail;
	if ((e = s->prov.counter_read(s->prov.user, &counter)) != ORSP_OK) {
		e = missing_part(e, dir, "monotonic counter");
		goto fail;
	}
	if (counter != UINT64_MAX && s->counter == counter + 1) {
		/* A crash after the manifest was installed and before the counter advanced (one
		 * ahead: counter + 1 must not wrap to 0, which would set the counter back). The
		 * directory is flushed first: that commit's own flush may be what failed
		 * (commit_unfinished), and a counter advanced past a manifest a power cut then
		 * loses would refuse the old one as a rollback. */
		if ((e = fsync_dir(s->dfd, dir)) != ORSP_OK) {
			/* Refused, nothing changed (the counter, the old records as they were):
			 * the next open tries again. Until session 79 the refusal was the flush's
			 * own "cannot flush the directory", which said neither that the store was
			 * not opened nor why the open flushes. */
			char why[ORSP_ERR_DETAIL_MAX];
			orsp_err_detail_copy(why, sizeof(why));
			e = orsp_errf(ORSP_E_STORAGE,
			              "%s: sealed store not opened: its last commit (counter %llu) "
			              "cannot be made durable, the directory's flush failed (%s); "
			              "nothing was changed: open it again once the disk is sound",
			              dir, (unsigned long long)s->counter, why);
			goto fail;
		}
		if ((e = s->prov.counter_advance(s->prov.user, s->counter)) != ORSP_OK)
			goto fail;
	} else if (s->counter != counter) {
		e = orsp_errf(ORSP_E_VERIFY,
		              "%s: sealed state is at counter %llu but the monotonic counter is at "
		              "%llu: %s",
		              dir, (unsigned long long)s->counter, (unsigned long long)counter,
		              s->counter < counter ? "an older state was put back (rollback)"
		                                   : "the counter was rolled back");
		goto fail;
	}
	clean_orphans(s);
	*out = s;
	return ORSP_OK;
fail:
	/* a caller's provider stays the caller's when the open fails, at whatever step (its
	 * close() ran for failures after this point and not for those before: a caller could
	 * not know whether to free its state) */
	if (provider)
		s->prov.close = NULL;
	orsp_seal_close(s);
	return e;
}

void orsp_seal_close(orsp_seal *s)
{
	if (!s)
		return;
	if (s->prov.close)
		s->prov.close(s->prov.user);
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* releases the flock */
	if (s->dfd >= 0)
		close(s->dfd);
	orsp_wipe(s, sizeof(*s));
	free(s);
}

/* ---------------------------------------------------------------- read / commit --------- */

static const entry *find(const orsp_seal *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->ents[i].name, name) == 0)
			return &s->ents[i];
	return NULL;
}

static size_t record_aad(uint8_t *aad, const char *name, uint64_t gen)
{
	size_t o = sizeof(rc_aad) - 1, l = strlen(name);

	memcpy(aad, rc_aad, o);
	aad[o++] = 0;
	memcpy(aad + o, name, l);
	o += l;
	aad[o++] = 0;
	put_u64(aad + o, gen);
	return o + 8;
}

/* ORSP_OK, or the refusal of a handle that takes no read or commit: one after a simulated
 * crash, or one stopped by a commit whose directory flush failed (commit_unfinished). */
static orsp_err usable(const orsp_seal *s)
{
	if (s->dead)
		return orsp_errf(ORSP_E_STORAGE,
		                 "sealed store: handle unusable after a simulated crash");
	if (s->unflushed)
		return orsp_errf(
		    ORSP_E_STORAGE,
		    "sealed store: an earlier commit was applied but may not survive a "
		    "power cut (the directory's flush after its manifest failed); "
		    "nothing is read or committed until %s is opened again",
		    s->dir);
	return ORSP_OK;
}

orsp_err orsp_seal_read(orsp_seal *s, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	uint8_t aad[sizeof(rc_aad) + ORSP_SEAL_NAME_MAX + 10], sha[32];
	char file[32], what[ORSP_SEAL_NAME_MAX + 64];
	const entry *en;
	uint8_t *blob = NULL;
	size_t n = 0;
	orsp_err e;

	if (!s || !name || !len || (!buf && cap))
		return orsp_errf(ORSP_E_USAGE, "sealed store: bad arguments");
	if ((e = usable(s)) != ORSP_OK)
		return e;
	if (!name_ok(name))
		return orsp_errf(ORSP_E_USAGE, "sealed store: bad record name");
	en = find(s, name);
	if (!en)
		return orsp_errf(ORSP_E_NOT_FOUND, "sealed store: no record '%s'", name);
	*len = en->len;
	if (cap < en->len)
		return orsp_errf(ORSP_E_RESOURCE, "sealed store: record '%s' has %u bytes", name,
		                 (unsigned)en->len);
	rec_file(file, en->gen);
	blob = malloc(en->len + OVERHEAD);
	if (!blob)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	e = read_file(s->dfd, s->dir, file, blob, en->len + OVERHEAD, &n);
	if (e == ORSP_E_NOT_FOUND)
		e = orsp_errf(ORSP_E_VERIFY, "sealed store: record '%s' is missing", name);
	if (e)
		goto out;
	if (n != en->len + OVERHEAD) {
		e = orsp_errf(ORSP_E_VERIFY, "sealed store: record '%s' has the wrong size", name);
		goto out;
	}
	/* named as the other refusals here name it, with its file: until session 78 "sealed
	 * record" alone, which left the operator to find which of the files was damaged */
	snprintf(what, sizeof(what), "sealed store: record '%s' (%s)", name, file);
	e = open_blob(s->key, rc_magic, aad, record_aad(aad, name, en->gen), blob, n, buf, what);
	if (e)
		goto out;
	if ((e = orsp_sha256(buf, en->len, sha)) != ORSP_OK)
		goto out;
	if (!orsp_ct_eq(sha, en->sha, sizeof(sha)))
		e = orsp_errf(ORSP_E_VERIFY,
		              "sealed store: record '%s' does not match the manifest", name);
out:
	if (e && buf)
		orsp_wipe(buf, cap < en->len ? cap : en->len);
	orsp_wipe(sha, sizeof(sha)); /* a short record's digest gives its value away */
	free(blob);
	return e;
}

/* A commit that failed before its manifest was put in place: the files it wrote (the record
 * files of generations from..to-1, manifest.tmp) removed, so that the handle goes on as if it
 * had not been called. A file that cannot be removed is an orphan that the next open removes,
 * and the next commit writes over (write_file). After a simulated crash nothing is removed, as
 * a dead process would not. */
static void commit_undo(orsp_seal *s, uint64_t from, uint64_t to)
{
	char file[32], why[ORSP_ERR_DETAIL_MAX];

	if (s->dead)
		return;
	orsp_err_detail_copy(why, sizeof(why));
	for (uint64_t g = from; g < to; g++) {
		rec_file(file, g);
		(void)unlink_in(s->dfd, file);
	}
	(void)unlink_in(s->dfd, "manifest.tmp");
	(void)orsp_errf(ORSP_E_STORAGE, "%s", why); /* the code is the caller's */
}

/* A commit applied (its manifest renamed into place) whose completion failed, e with its
 * detail: the directory's flush after the rename (flushed false) or the counter's advance.
 * The handle's state is the new one. After a failed counter advance the set is durable and
 * the next commit completes this one first (complete_unfinished). After a failed flush it may
 * not be: the handle stops (unflushed), so that nothing is read from it, nor anything done on
 * the strength of it, until an open finds what the directory holds. The flush is not tried
 * again: on Linux an fsync after one that failed with EIO may answer success with the data
 * still not on the media (the failed pages are marked clean), so a retry proves nothing.
 * Until session 78 the handle went on, and the eUICC answered with what the commit made (a
 * download's PIR, an AUTHENTICATE's RES) while a power cut could still lose it. */
static orsp_err commit_unfinished(orsp_seal *s, orsp_err e, bool flushed)
{
	char why[ORSP_ERR_DETAIL_MAX];

	if (s->dead) /* a simulated crash: the process is gone, nobody learns the outcome */
		return e;
	orsp_err_detail_copy(why, sizeof(why));
	if (!flushed) {
		s->unflushed = true;
		return orsp_errf(ORSP_E_STORAGE,
		                 "sealed store: the commit was applied but may not survive a power "
		                 "cut (the directory's flush after the manifest failed: %s); the "
		                 "store takes no read or commit until it is opened again",
		                 why);
	}
	s->unfinished = true;
	return orsp_errf(ORSP_E_STORAGE,
	                 "sealed store: the commit was applied, but the monotonic counter's "
	                 "advance failed (%s); it may be one behind until the next commit or open "
	                 "completes it",
	                 why);
}

/* Complete an applied commit whose counter's advance failed in place, before the next one:
 * what opening the store again does (orsp_seal_open: a counter one behind the manifest
 * advanced, one equal to it taken, since a failed counter_advance may have left either; then
 * the orphans removed). Until session 78 also one whose directory flush failed, flushed again
 * first; such a commit now stops the handle (commit_unfinished). Until session 72 the handle
 * refused every further commit until the store was opened again, so `openrsp euicc serve`
 * answered 6581 to each state change until it was restarted, also once the cause (a full
 * disk) was gone. A failure leaves the handle as it was (ORSP_E_STORAGE: nothing of the new
 * commit applied), and the commit after it tries again. */
static orsp_err complete_unfinished(orsp_seal *s)
{
	char why[ORSP_ERR_DETAIL_MAX];
	uint64_t counter = 0;
	orsp_err e;

	if ((e = step(s, "completion: counter read")) != ORSP_OK ||
	    (e = s->prov.counter_read(s->prov.user, &counter)) != ORSP_OK)
		goto fail;
	/* s->counter is the applied manifest's, at least 1: counter + 1 wraps to 0 only at the
	 * counter's end, which is no match */
	if (counter + 1 == s->counter) {
		if ((e = step(s, "completion: counter advance")) != ORSP_OK ||
		    (e = s->prov.counter_advance(s->prov.user, s->counter)) != ORSP_OK)
			goto fail;
	} else if (counter != s->counter) {
		/* the lock is this handle's: nobody else advances it */
		e = orsp_errf(ORSP_E_VERIFY,
		              "the monotonic counter is at %llu, the applied manifest at %llu",
		              (unsigned long long)counter, (unsigned long long)s->counter);
		goto fail;
	}
	s->unfinished = false;
	clean_orphans(s);
	return ORSP_OK;
fail:
	orsp_err_detail_copy(why, sizeof(why));
	return orsp_errf(ORSP_E_STORAGE,
	                 "sealed store: an earlier commit was applied but not completed, and "
	                 "completing it failed again (%s); nothing of this commit was applied",
	                 why);
}

orsp_err orsp_seal_commit(orsp_seal *s, const orsp_seal_record *recs, size_t n)
{
	entry next[ORSP_SEAL_MAX_RECORDS];
	uint64_t old_gens[ORSP_SEAL_MAX_RECORDS];
	size_t nn = 0, n_old = 0, n_new = 0, max_len = 0;
	uint64_t gen;
	uint8_t *blob = NULL;
	bool renamed = false;
	orsp_err e = ORSP_OK;

	if (!s || (!recs && n))
		return orsp_errf(ORSP_E_USAGE, "sealed store: bad arguments");
	s->committed = false;
	if ((e = usable(s)) != ORSP_OK)
		return e;
	/* Its manifest is one ahead of the counter: a commit now would seal the next one two
	 * ahead, which open takes for a counter set back. The counter is completed first. */
	if (s->unfinished && (e = complete_unfinished(s)) != ORSP_OK)
		return e;
	for (size_t i = 0; i < n; i++) {
		if (!name_ok(recs[i].name))
			return orsp_errf(ORSP_E_USAGE, "sealed store: bad record name");
		if (recs[i].data && recs[i].len > ORSP_SEAL_MAX_RECORD)
			return orsp_errf(ORSP_E_USAGE, "sealed store: record '%s' too large",
			                 recs[i].name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(recs[i].name, recs[j].name) == 0)
				return orsp_errf(ORSP_E_USAGE, "sealed store: record '%s' twice",
				                 recs[i].name);
		if (recs[i].data) {
			n_new++;
			if (recs[i].len > max_len)
				max_len = recs[i].len;
		}
	}
	/* The new list: untouched records, then the written ones. */
	for (size_t i = 0; i < s->n; i++) {
		bool touched = false;
		for (size_t j = 0; j < n; j++)
			touched |= strcmp(s->ents[i].name, recs[j].name) == 0;
		if (touched)
			old_gens[n_old++] = s->ents[i].gen;
		else
			next[nn++] = s->ents[i];
	}
	/* Every refusal that can be known before a file is written is made here: a record file
	 * written for a commit that is then refused would stay on disk, unlisted, until the
	 * next open. */
	if (n_new > ORSP_SEAL_MAX_RECORDS - nn) {
		e = orsp_errf(ORSP_E_USAGE,
		              "sealed store: more than %d records (%zu kept, %zu written)",
		              ORSP_SEAL_MAX_RECORDS, nn, n_new);
		goto out;
	}
	/* the counter and the record generations only grow: at their end no commit is taken
	 * (the next value would wrap to 0, and the counter cannot be set back) */
	if (s->counter == UINT64_MAX || n_new > UINT64_MAX - s->next_gen) {
		e = orsp_errf(ORSP_E_STATE,
		              "sealed store: its counter or record generations are at their end "
		              "(2^64 - 1); it takes no further commit");
		goto out;
	}
	blob = malloc(max_len + OVERHEAD);
	if (!blob) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	gen = s->next_gen;
	for (size_t j = 0; j < n; j++) {
		uint8_t aad[sizeof(rc_aad) + ORSP_SEAL_NAME_MAX + 10];
		char file[32];
		entry *en;

		if (!recs[j].data)
			continue;
		en = &next[nn++];
		memset(en, 0, sizeof(*en));
		snprintf(en->name, sizeof(en->name), "%s", recs[j].name);
		en->gen = gen++;
		en->len = (uint32_t)recs[j].len;
		if ((e = orsp_sha256(recs[j].data, recs[j].len, en->sha)) != ORSP_OK)
			goto undo;
		rec_file(file, en->gen);
		if ((e = seal_blob(s->key, rc_magic, aad, record_aad(aad, en->name, en->gen),
		                   recs[j].data, recs[j].len, blob)) != ORSP_OK ||
		    (e = write_file(s, s->dfd, s->dir, file, blob, recs[j].len + OVERHEAD, 0600)) !=
		        ORSP_OK)
			goto undo;
	}
	/* The new record files' directory entries must be durable before the manifest that
	 * names them: fsync of a file does not make its entry durable (POSIX), and a power
	 * cut could otherwise leave a manifest naming a record whose entry was lost. */
	if (n_new > 0 && ((e = step(s, "directory fsync of the records")) != ORSP_OK ||
	                  (e = fsync_dir(s->dfd, s->dir)) != ORSP_OK))
		goto undo;
	/* The commit point: the manifest rename. */
	e = manifest_write(s, s->key, s->dfd, s->dir, next, nn, s->counter + 1, gen, s->provided,
	                   &renamed);
	if (!renamed)
		goto undo;
	memcpy(s->ents, next, nn * sizeof(next[0]));
	s->n = nn;
	s->counter++;
	s->next_gen = gen;
	s->committed = true;
	/* The directory's flush failed: the rename may not be on the media. The counter is not
	 * advanced then: after a power cut that lost the rename, the old manifest with a counter
	 * one ahead would be taken for a rollback and the store refused; behind by one, the new
	 * manifest is completed by open and the old one taken. The old records stay for the same
	 * reason (the next open removes them). The handle stops (commit_unfinished). */
	if (e != ORSP_OK) {
		e = commit_unfinished(s, e, false);
		goto out;
	}
	if ((e = step(s, "counter advance")) != ORSP_OK ||
	    (e = s->prov.counter_advance(s->prov.user, s->counter)) != ORSP_OK) {
		/* The new state is committed and durable; the counter lags by one, which open
		 * repairs. A later commit from this handle would skip a value: refused. */
		e = commit_unfinished(s, e, true);
		goto out;
	}
	for (size_t i = 0; i < n_old; i++) {
		char file[32];
		rec_file(file, old_gens[i]);
		if ((e = step(s, "unlink")) != ORSP_OK) {
			if (s->dead)
				goto out;
			/* done and durable: a file left is removed by the next open */
			orsp_err_clear();
			e = ORSP_OK;
			continue;
		}
		(void)unlink_in(s->dfd, file); /* a leftover is removed by the next open */
	}
	goto out;
undo:
	commit_undo(s, s->next_gen, gen);
out:
	free(blob);
	orsp_wipe(next, sizeof(next));
	return e;
}

bool orsp_seal_committed(const orsp_seal *s)
{
	return s && s->committed && !s->dead;
}

bool orsp_seal_unflushed(const orsp_seal *s)
{
	return s && s->unflushed && !s->dead;
}

size_t orsp_seal_count(const orsp_seal *s)
{
	return s ? s->n : 0;
}

const char *orsp_seal_name(const orsp_seal *s, size_t i)
{
	return s && i < s->n ? s->ents[i].name : NULL;
}

uint64_t orsp_seal_counter(const orsp_seal *s)
{
	return s ? s->counter : 0;
}

void orsp_seal_inject_crash(orsp_seal *s, unsigned n)
{
	if (s)
		s->crash_at = n;
}

void orsp_seal_set_test_hook(orsp_err (*fn)(const char *point, void *arg), void *arg)
{
	test_hook = fn;
	test_hook_arg = arg;
}

/* The removal itself, with the store's lock held on lock_fd (closed here), dfd the store's
 * directory (not closed) and d its listing (closed here). */
static orsp_err destroy_locked(int dfd, const char *dir, DIR *d, int lock_fd, bool remove_dir)
{
	/* after the manifest (manifest_remove) */
	static const char *const fixed[] = {"manifest.tmp", "counter", "counter.tmp", "device.key"};
	char path[PATH_CAP];
	struct dirent *de;
	orsp_err e;

	/* The manifest goes first: without it the directory is no longer a store; nothing else
	 * goes when that fails (manifest_remove). */
	if ((e = manifest_remove(dfd, dir, NULL)) != ORSP_OK) {
		closedir(d);
		close(lock_fd);
		return e;
	}
	for (size_t i = 0; i < ORSP_ARRAY_LEN(fixed); i++) {
		if (unlink_in(dfd, fixed[i]) != 0 && errno != ENOENT && e == ORSP_OK) {
			int err = errno;
			(void)path_of(path, dir, fixed[i]);
			e = orsp_errf(ORSP_E_STORAGE, "%s: cannot remove: %s", path, strerror(err));
		}
	}
	while ((de = readdir(d)) != NULL) {
		unsigned long long g;
		if (!record_file(de->d_name, &g))
			continue;
		if (unlink_in(dfd, de->d_name) != 0 && e == ORSP_OK) {
			int err = errno;
			(void)path_of(path, dir, de->d_name);
			e = orsp_errf(ORSP_E_STORAGE, "%s: cannot remove: %s", path, strerror(err));
		}
	}
	closedir(d);
	/* The removals durable, the device key's above all: without this flush a power cut
	 * could bring back the key and the records of a store destroyed (without the manifest:
	 * a leftover the next destroy clears, or create, when nothing of value is there). The
	 * lock is held through it, and its file goes last: once it is gone, another process
	 * can take a new one and begin a new store here, whose record files the loop above
	 * would otherwise remove. */
	if (e == ORSP_OK)
		e = fsync_dir(dfd, dir);
	if (unlink_in(dfd, "lock") != 0 && errno != ENOENT && e == ORSP_OK) {
		int err = errno;
		(void)path_of(path, dir, "lock");
		e = orsp_errf(ORSP_E_STORAGE, "%s: cannot remove: %s", path, strerror(err));
	}
	close(lock_fd);
	/* only if nothing else is left in it; an empty directory that a power cut brings
	 * back holds nothing, so its parent's flush is not waited for. By its path (no call
	 * removes a directory by its descriptor): one that only this user and root can change
	 * (open_dir), so the directory emptied above. */
	if (e == ORSP_OK && remove_dir && rmdir(dir) == 0 && orsp_fsync_dir_of(dir) != ORSP_OK)
		orsp_err_clear();
	return e;
}

/* The first bytes of dir's manifest: *kind 'P' for a store created with a provider of the
 * caller's ("OSEALMP1"), 'F' for the file provider's ("OSEALMF1"), 0 for none that reads
 * (absent, damaged: destroy removes it whatever it is). */
static void manifest_kind(int dfd, const char *dir, char *kind)
{
	uint8_t magic[MAGIC_LEN];
	char path[PATH_CAP];
	struct stat st;
	size_t got = 0;
	ssize_t r;
	int fd;

	*kind = 0;
	if (path_of(path, dir, "manifest") != ORSP_OK ||
	    open_regular(dfd, path, "manifest", ORSP_E_VERIFY, &fd, &st) != ORSP_OK) {
		orsp_err_clear();
		return;
	}
	while (got < MAGIC_LEN &&
	       ((r = read(fd, magic + got, MAGIC_LEN - got)) > 0 || (r < 0 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	close(fd);
	if (got == MAGIC_LEN && memcmp(magic, mp_magic, MAGIC_LEN) == 0)
		*kind = 'P';
	else if (got == MAGIC_LEN && memcmp(magic, mf_magic, MAGIC_LEN) == 0)
		*kind = 'F';
}

/* The provider's counter advanced twice, to c + 2 (c: what it reads now), before a store on
 * it is removed: the manifest of any copy of it is then behind the counter, a rollback open
 * refuses. Twice, as a copy may hold a manifest one ahead (a commit cut before its advance,
 * which open completes). Advancing first, removing after: a failed advance has removed
 * nothing (the store is whole, to be destroyed again); once the counter is past it, a removal
 * that fails leaves a store no open takes, where removing first and then failing to advance
 * would leave every copy of the store as good as the original, and nothing to retry on. */
static orsp_err advance_past(const orsp_seal_provider *p, const char *dir)
{
	uint64_t c = 0;
	orsp_err e;

	if ((e = p->counter_read(p->user, &c)) != ORSP_OK)
		return e;
	if (c > UINT64_MAX - 2)
		return orsp_errf(ORSP_E_STATE,
		                 "%s: the provider's counter is at its end: it cannot be advanced "
		                 "past the store, which is not removed",
		                 dir);
	for (uint64_t i = 1; i <= 2; i++)
		if ((e = hook("destroy: counter advance")) != ORSP_OK ||
		    (e = p->counter_advance(p->user, c + i)) != ORSP_OK)
			return e;
	return ORSP_OK;
}

/* Under the store's lock: the store and the provider destroy was given are of one kind, as
 * open requires, and a provider's counter advanced past the store (advance_past). */
static orsp_err destroy_prepare(int dfd, const char *dir, const orsp_seal_provider *provider)
{
	char kind;

	manifest_kind(dfd, dir, &kind);
	if (kind == 'P' && !provider)
		return orsp_errf(
		    ORSP_E_USAGE,
		    "%s: the sealed store was created with a key and counter provider: "
		    "destroy it with that provider (orsp_seal_destroy_with), which "
		    "advances its counter so that no copy of the store opens again",
		    dir);
	if (kind == 'F' && provider)
		return orsp_errf(
		    ORSP_E_USAGE,
		    "%s: the sealed store keeps its counter in a file (created without "
		    "a provider): destroy it without one",
		    dir);
	return provider ? advance_past(provider, dir) : ORSP_OK;
}

static orsp_err destroy(const char *dir, bool remove_dir, const orsp_seal_provider *provider)
{
	orsp_err e;
	int lock_fd, dfd;
	DIR *d;

	if (!provider_ok(provider))
		return orsp_errf(ORSP_E_USAGE, "sealed store: a provider without a callback");

	if (!dir || !dir[0] || strlen(dir) >= PATH_CAP - 32)
		return orsp_errf(ORSP_E_USAGE, "sealed store: bad directory");
	/* the path as open judges it (another user's link or directory on it could point this
	 * removal at another store); the directory's own mode is not judged: a store refused
	 * for it can still be removed */
	if ((e = open_dir(dir, false, &dfd)) != ORSP_OK)
		return e;
	d = list_dir(dfd);
	if (!d) {
		e = orsp_errf(ORSP_E_STORAGE, "%s: %s", dir, strerror(errno));
		close(dfd);
		return e;
	}
	/* Not while a handle has the store open: the lock orsp_seal_open takes, held until
	 * everything is removed. */
	if ((e = take_lock(dfd, dir, &lock_fd)) != ORSP_OK) {
		closedir(d);
		close(dfd);
		return e;
	}
	if ((e = destroy_prepare(dfd, dir, provider)) != ORSP_OK) {
		closedir(d);
		close(lock_fd);
		close(dfd);
		return e;
	}
	e = destroy_locked(dfd, dir, d, lock_fd, remove_dir);
	close(dfd);
	return e;
}

orsp_err orsp_seal_destroy_empty(orsp_seal *s, bool keep_dir)
{
	orsp_err e;
	int lock_fd;
	DIR *d;

	if (!s)
		return orsp_errf(ORSP_E_USAGE, "sealed store: no handle");
	if (s->n != 0 || s->dead || s->lock_fd < 0) {
		e = orsp_errf(ORSP_E_STATE, "%s: the sealed store holds records: not removed",
		              s->dir);
		orsp_seal_close(s);
		return e;
	}
	/* a store on a provider of the caller's: its counter past the store first, as destroy
	 * does (advance_past); nothing removed when that fails */
	if (s->provided && (e = advance_past(&s->prov, s->dir)) != ORSP_OK) {
		orsp_seal_close(s);
		return e;
	}
	d = list_dir(s->dfd);
	if (!d) {
		e = orsp_errf(ORSP_E_STORAGE, "%s: %s", s->dir, strerror(errno));
		orsp_seal_close(s);
		return e;
	}
	/* the lock this handle holds goes with the removal: no other handle can open the
	 * store between the check above and the end (it took the lock files' place) */
	lock_fd = s->lock_fd;
	s->lock_fd = -1;
	e = destroy_locked(s->dfd, s->dir, d, lock_fd, !keep_dir);
	orsp_seal_close(s);
	return e;
}

orsp_err orsp_seal_destroy(const char *dir)
{
	return destroy(dir, true, NULL);
}

orsp_err orsp_seal_destroy_keep_dir(const char *dir)
{
	return destroy(dir, false, NULL);
}

orsp_err orsp_seal_destroy_with(const char *dir, const orsp_seal_provider *provider)
{
	return destroy(dir, true, provider);
}
