/* Directory flushes: the names a program makes, replaces or removes in a directory survive a
 * crash only once the directory itself is flushed. One rule for every caller (key files, the
 * KEK, the sealed store, the CLI): a file system that cannot flush a directory says EINVAL,
 * and nothing more can be done there, so that passes; any other failure is an error. */
#define _GNU_SOURCE /* AT_EMPTY_PATH (Linux) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "openrsp/core.h"
#include "file_internal.h"

/* between a file's name and the six characters of its temporary files (create_beside; the
 * crypto module's mkstemp names, src/crypto/file.c, have the same form) */
#define TMP_INFIX ".tmp-"

/* fsync of the directory dir; -1 with errno set on failure, EINVAL passing. */
static int flush(const char *dir)
{
	int fd, rc, e;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	if (rc != 0 && e == EINVAL)
		return 0;
	errno = e;
	return rc;
}

orsp_err orsp_fsync_dir(const char *dir)
{
	if (!dir || !dir[0])
		return orsp_errf(ORSP_E_USAGE, "no directory to flush");
	if (flush(dir) != 0)
		return orsp_errf(ORSP_E_IO, "cannot flush the directory %s: %s", dir,
		                 strerror(errno));
	return ORSP_OK;
}

orsp_err orsp_fsync_dirfd(int fd, const char *dir)
{
	if (fsync(fd) != 0 && errno != EINVAL)
		return orsp_errf(ORSP_E_IO, "cannot flush the directory %s: %s", dir ? dir : "",
		                 strerror(errno));
	return ORSP_OK;
}

orsp_err orsp_fsync_dir_of(const char *path)
{
	char parent[4096];
	size_t n;

	if (!path || !path[0])
		return orsp_errf(ORSP_E_USAGE, "no path whose directory to flush");
	n = strlen(path);
	if (n >= sizeof(parent))
		return orsp_errf(ORSP_E_USAGE, "path too long: %.64s...", path);
	memcpy(parent, path, n + 1);
	while (n > 1 && parent[n - 1] == '/') /* "a/b/" names b */
		parent[--n] = '\0';
	while (n > 0 && parent[n - 1] != '/')
		n--;
	if (n == 0) {
		snprintf(parent, sizeof(parent), ".");
	} else {
		while (n > 1 && parent[n - 1] == '/')
			n--;
		parent[n] = '\0';
	}
	if (flush(parent) != 0)
		return orsp_errf(ORSP_E_IO, "cannot flush the directory of %s: %s", path,
		                 strerror(errno));
	return ORSP_OK;
}

orsp_err orsp_file_open_regular(const char *path, int *fd)
{
	struct stat st;
	int f, flags;

	*fd = -1;
	if (!path || !path[0])
		return orsp_errf(ORSP_E_USAGE, "no file to open");
	/* O_NONBLOCK: a FIFO without a writer would block the open (it is refused below); a
	 * regular file's reads are not changed by it, and it is cleared all the same */
	f = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (f < 0)
		return errno == ENOENT
		           ? orsp_errf(ORSP_E_NOT_FOUND, "%s does not exist", path)
		           : orsp_errf(ORSP_E_IO, "cannot open %s: %s", path, strerror(errno));
	if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(f);
		return orsp_errf(
		    ORSP_E_IO, "%s is not a regular file (a FIFO, a device or a directory)", path);
	}
	flags = fcntl(f, F_GETFL);
	if (flags < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		close(f);
		return orsp_errf(ORSP_E_IO, "cannot open %s: %s", path, strerror(errno));
	}
	*fd = f;
	return ORSP_OK;
}

orsp_err orsp_file_read_upto(int fd, const char *path, void *buf, size_t cap, size_t *n, bool *more)
{
	uint8_t *b = buf, extra = 0;
	size_t got = 0;
	ssize_t r;
	int err = 0;

	for (;;) {
		/* once full, one byte more: whether the file is larger */
		r = got < cap ? read(fd, b + got, cap - got) : read(fd, &extra, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || got == cap)
			break;
		got += (size_t)r;
	}
	if (r < 0)
		err = errno;
	orsp_wipe(&extra, sizeof(extra));
	*n = got;
	*more = r > 0;
	if (r < 0)
		return orsp_errf(ORSP_E_IO, "cannot read %s: %s", path, strerror(err));
	return ORSP_OK;
}

int orsp_file_write_done(int fd, const void *p, size_t n, size_t *done)
{
	const uint8_t *b = p;

	*done = 0;
	while (*done < n) {
		ssize_t w = write(fd, b + *done, n - *done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		*done += (size_t)w;
	}
	return 0;
}

int orsp_file_write_full(int fd, const void *p, size_t n)
{
	size_t done;

	return orsp_file_write_done(fd, p, n, &done);
}

orsp_err orsp_file_fill(int fd, const char *path, const void *data, size_t len, const mode_t *mode)
{
	orsp_err e = ORSP_OK;

	if (orsp_file_write_full(fd, data, len) != 0)
		e = orsp_errf(ORSP_E_IO, "write to %s failed: %s", path, strerror(errno));
	else if (mode && fchmod(fd, *mode) != 0)
		e = orsp_errf(ORSP_E_IO, "cannot set the mode of %s: %s", path, strerror(errno));
	else if (fsync(fd) != 0)
		e = orsp_errf(ORSP_E_IO, "fsync of %s failed: %s", path, strerror(errno));
	if (close(fd) != 0 && !e)
		e = orsp_errf(ORSP_E_IO, "close of %s failed: %s", path, strerror(errno));
	return e;
}

/* A new file path.tmp-XXXXXX (six random hex digits) created with mode, as open(2) narrows
 * it; its name in tmp. -1 with errno set on failure. */
static int create_beside(const char *path, char *tmp, size_t cap, mode_t mode)
{
	for (int tries = 0; tries < 16; tries++) {
		uint8_t r[3];
		int fd;
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (snprintf(tmp, cap, "%s" TMP_INFIX "%02x%02x%02x", path, r[0], r[1], r[2]) >=
		    (int)cap) {
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

orsp_err orsp_file_write_beside(const char *path, const void *data, size_t len, mode_t mode,
                                bool exact, char *tmp, size_t cap)
{
	int fd;
	orsp_err e = ORSP_OK;

	if (!path || (!data && len) || !tmp || !cap)
		return orsp_errf(ORSP_E_USAGE, "orsp_file_write_beside: NULL argument");
	fd = create_beside(path, tmp, cap, exact ? 0600 : mode);
	if (fd < 0) {
		e = orsp_errf(errno == ENAMETOOLONG ? ORSP_E_USAGE : ORSP_E_IO,
		              "cannot create %s: %s", path, strerror(errno));
		tmp[0] = '\0';
		return e;
	}
	e = orsp_file_fill(fd, path, data, len, exact ? &mode : NULL);
	if (e) {
		unlink(tmp);
		tmp[0] = '\0';
	}
	return e;
}

/* Where link(2) is not supported (vfat, exFAT, some FUSE and CIFS mounts): the file written
 * in place, never over an existing one or a planted link, removed again on failure (a crash
 * mid-write can leave it short there). */
static orsp_err create_in_place(const char *path, const void *data, size_t len, mode_t mode)
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

/* The tests' hook (file_internal.h): stands for unlink(2) of the temporary name. */
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

orsp_err orsp_file_create(const char *path, const void *data, size_t len, mode_t mode)
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

orsp_err orsp_file_check_replaceable(const char *path)
{
	struct stat st;

	if (!path)
		return orsp_errf(ORSP_E_USAGE, "orsp_file_check_replaceable: NULL argument");
	if (lstat(path, &st) != 0 || S_ISREG(st.st_mode))
		return ORSP_OK; /* none (or the write says why), or a file */
	if (S_ISLNK(st.st_mode))
		return orsp_errf(ORSP_E_USAGE,
		                 "%s is a symbolic link: name the file itself (not replaced)",
		                 path);
	return orsp_errf(ORSP_E_USAGE, "%s is %s, not a regular file: not replaced", path,
	                 S_ISDIR(st.st_mode)    ? "a directory"
	                 : S_ISFIFO(st.st_mode) ? "a FIFO"
	                 : S_ISSOCK(st.st_mode) ? "a socket"
	                                        : "a device");
}

void orsp_file_remove_leftovers(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t bl = strlen(base);
	char dir[PATH_MAX], p[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (!(d = opendir(dir)))
		return;
	while ((de = readdir(d)) != NULL) {
		const char *sfx;
		bool ours = strncmp(de->d_name, base, bl) == 0 &&
		            strncmp(de->d_name + bl, TMP_INFIX, strlen(TMP_INFIX)) == 0 &&
		            strlen(sfx = de->d_name + bl + strlen(TMP_INFIX)) == 6;
		for (size_t k = 0; ours && k < 6; k++) /* six letters or digits, as made */
			ours = (sfx[k] >= '0' && sfx[k] <= '9') ||
			       (sfx[k] >= 'a' && sfx[k] <= 'z') || (sfx[k] >= 'A' && sfx[k] <= 'Z');
		if (ours && snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) < (int)sizeof(p))
			(void)unlink(p);
	}
	closedir(d);
}

orsp_err orsp_file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	orsp_err e;

	if (!path || (!data && len))
		return orsp_errf(ORSP_E_USAGE, "orsp_file_replace: NULL argument");
	/* a FIFO, a device, a socket: what the caller meant to write to, not a file to put in
	 * its place (until session 70 `profile build -o` replaced a FIFO or a device node with
	 * a file holding K); a link, whose target the caller meant (the rename would replace the
	 * link); a directory would fail the rename after the whole write */
	if ((e = orsp_file_check_replaceable(path)) != ORSP_OK)
		return e;
	if ((e = orsp_file_write_beside(path, data, len, mode, true, tmp, sizeof(tmp))) != ORSP_OK)
		return e;
	if (rename(tmp, path) != 0) {
		e = orsp_errf(ORSP_E_IO, "cannot put the new %s in place: %s", path,
		              strerror(errno));
		unlink(tmp);
		return e;
	}
	if ((e = orsp_fsync_dir_of(path)) == ORSP_E_IO) {
		/* the rename is done: say so, the caller must not take the old file as kept */
		char detail[ORSP_ERR_DETAIL_MAX];
		snprintf(detail, sizeof(detail), "%s", orsp_err_detail());
		e = orsp_errf(
		    ORSP_E_IO,
		    "the new %s is in place, but a crash may still bring back the file it "
		    "replaced: %s",
		    path, detail);
	}
	return e;
}

int orsp_file_open_unnamed(const char *path, bool *none)
{
	char dir[PATH_MAX];
	int dfd, fd, e;

	*none = false;
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((dfd = open(dirname(dir), O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	fd = orsp_file_open_unnamed_at(dfd, none);
	e = errno;
	close(dfd);
	errno = e;
	return fd;
}

int orsp_file_open_unnamed_at(int dfd, bool *none)
{
	int fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);

	/* EISDIR: a kernel without O_TMPFILE; EOPNOTSUPP: a file system without it */
	*none = fd < 0 && (errno == EISDIR || errno == EOPNOTSUPP || errno == EINVAL);
	return fd;
}

int orsp_file_link_unnamed(int fd, const char *name)
{
	return orsp_file_link_unnamed_at(fd, AT_FDCWD, name);
}

int orsp_file_link_unnamed_at(int fd, int dfd, const char *name)
{
	char self[32];

	if (linkat(fd, "", dfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, self, dfd, name, AT_SYMLINK_FOLLOW);
}

/* ---------------------------------------------------------------- trusted paths --------- */

#define WALK_LINKS_MAX 40 /* as the kernel's limit on links followed in one lookup */
#define WALK_TRIES 8      /* walks started again when the last entry changed meanwhile */

/* The tests' hook (file_internal.h): called with the path once its last entry is judged and
 * before it is opened. */
static void (*walk_hook)(const char *path);

void orsp__path_test_hook(void (*hook)(const char *path))
{
	walk_hook = hook;
}

static bool trusted_uid(uid_t uid)
{
	return uid == geteuid() || uid == 0;
}

/* The rule for one step of the walk: parent (its status pst) holds the entry name, whose own
 * status (lstat) is cst. */
static orsp_err walk_step(const char *what, const char *path, const char *parent,
                          const struct stat *pst, const char *name, const struct stat *cst)
{
	const char *sep = strcmp(parent, "/") == 0 ? "" : "/";

	/* never root's (root is trusted): chown would be advice to take another user's
	 * directory (their home) from them */
	if (!trusted_uid(pst->st_uid))
		return orsp_errf(ORSP_E_POLICY,
		                 "%s%s: the directory %s on its path is owned by uid %u, not by "
		                 "this user (uid %u) or root: that user may put anything in it; "
		                 "choose a path of your own (or run as that user)",
		                 what, path, parent, (unsigned)pst->st_uid, (unsigned)geteuid());
	if (!(pst->st_mode & (S_IWGRP | S_IWOTH)))
		return ORSP_OK;
	if (!(pst->st_mode & S_ISVTX))
		return orsp_errf(ORSP_E_POLICY,
		                 "%s%s: group or others may write in the directory %s on its path "
		                 "(mode %04o): they may rename what it holds and put something "
		                 "else (an older copy) in its place; chmod go-w %s (or chmod +t "
		                 "it), or choose a path whose directories only you or root may "
		                 "change",
		                 what, path, parent, (unsigned)(pst->st_mode & 07777), parent);
	if (!trusted_uid(cst->st_uid))
		return orsp_errf(ORSP_E_POLICY,
		                 "%s%s: %s%s%s is owned by uid %u, not by this user (uid %u) or "
		                 "root, in %s, which everyone may write in (mode %04o): that user "
		                 "may put something else in its place; remove it and make it "
		                 "yourself, or choose another path",
		                 what, path, parent, sep, name, (unsigned)cst->st_uid,
		                 (unsigned)geteuid(), parent, (unsigned)(pst->st_mode & 07777));
	return ORSP_OK;
}

/* Whether nothing but "." components (and slashes) is left in p: the entry before them is the
 * path's last ("DIR/." names DIR, a link there included). */
static bool only_dots(const char *p)
{
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			return true;
		if (p[0] != '.' || (p[1] && p[1] != '/'))
			return false;
		p++;
	}
}

/* The path to walk, from /, into todo: a relative one after the working directory's. */
static orsp_err walk_start(const char *what, const char *path, char *todo, size_t cap)
{
	if (path[0] == '/') {
		if (strlen(path) >= cap)
			return orsp_errf(ORSP_E_USAGE, "%s%.64s...: path too long", what, path);
		memcpy(todo, path, strlen(path) + 1);
		return ORSP_OK;
	}
	/* a relative path: the working directory's own directories count as well */
	char cwd[PATH_MAX + 1];
	if (!getcwd(cwd, sizeof(cwd))) {
		if (errno == ERANGE || errno == ENAMETOOLONG)
			return orsp_errf(ORSP_E_USAGE,
			                 "%s%s: the working directory's path is too long to check "
			                 "(more than %d bytes); give an absolute path",
			                 what, path, PATH_MAX);
		return orsp_errf(ORSP_E_IO, "%s%s: cannot read the working directory: %s", what,
		                 path, strerror(errno));
	}
	size_t cl = strlen(cwd), pl = strlen(path);

	if (cl + 1 + pl >= cap)
		return orsp_errf(ORSP_E_USAGE, "%s%.64s...: path too long", what, path);
	memcpy(todo, cwd, cl);
	todo[cl] = '/';
	memcpy(todo + cl + 1, path, pl + 1);
	return ORSP_OK;
}

static int open_root(struct stat *st)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 && fstat(fd, st) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* One walk of path from /, each entry opened (O_PATH, O_NOFOLLOW) from its directory's
 * descriptor and judged on that descriptor, a link's target read from the link judged (so
 * that nothing is looked up by name twice). out NULL: only judged (a missing entry ends the
 * walk, ORSP_OK). Otherwise the last entry opened with oflags into *out, and checked to be
 * the entry judged: *changed when it is not (replaced meanwhile), for the caller to walk
 * again. With pname (and out): not the last entry but the directory that holds it into *out
 * (O_RDONLY), its name into pname (pcap bytes; "." when the path ends in a directory reached
 * by "..", "." or "/", *out then that directory); the entry judged when it is there, a link
 * there neither followed nor refused. errno is the cause of ORSP_E_NOT_FOUND and ORSP_E_IO. */
static orsp_err walk(const char *what, const char *path, unsigned flags, int oflags, int *out,
                     bool *changed, char *pname, size_t pcap)
{
	bool final_link_ok = flags & ORSP_PATH_LINK_OK, links_only = flags & ORSP_PATH_LINKS_ONLY;
	/* done: the directories walked so far, links resolved ("/" at the start), whose
	 * descriptor is dfd; todo: what is left of the path, components separated by '/' */
	char done[PATH_MAX + 1] = "/", todo[2 * PATH_MAX + 2], link[PATH_MAX + 1],
	                     name[NAME_MAX + 1], full[PATH_MAX + 1];
	struct stat pst, cst, ost;
	unsigned links = 0;
	orsp_err e = ORSP_OK;
	int dfd = -1, cfd = -1, fd = -1, err = 0;

	if ((e = walk_start(what, path, todo, sizeof(todo))) != ORSP_OK)
		return e;
	if ((dfd = open_root(&pst)) < 0) {
		err = errno;
		e = orsp_errf(ORSP_E_IO, "%s%s: cannot open /: %s", what, path, strerror(err));
		goto out;
	}
	for (;;) {
		char *p = todo;
		size_t nl, tl;
		bool last, trailing;
		ssize_t ll;
		int n;

		while (*p == '/')
			p++;
		if (!*p) {
			/* the path ends in a directory reached by "..", "." or "/" (a named last
			 * entry ends the walk below): that directory, with no name to look up */
			if (pname) {
				snprintf(pname, pcap, ".");
				oflags = O_RDONLY | O_DIRECTORY;
			}
			if (out && (fd = openat(dfd, ".", oflags | O_CLOEXEC)) < 0) {
				err = errno;
				e = orsp_errf(ORSP_E_IO, "cannot open %s%s: %s", what, path,
				              strerror(err));
			}
			goto out;
		}
		nl = strcspn(p, "/");
		if (nl > NAME_MAX) {
			e = orsp_errf(ORSP_E_USAGE, "%s%s: a name on the path is too long", what,
			              path);
			goto out;
		}
		memcpy(name, p, nl);
		name[nl] = '\0';
		p += nl;
		trailing = *p != '\0';
		last = only_dots(p);
		memmove(todo, p, strlen(p) + 1);
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			char *slash = strrchr(done, '/');
			int up = openat(dfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);

			if (slash == done)
				done[1] = '\0';
			else
				*slash = '\0';
			if (up < 0 || fstat(up, &pst) != 0) {
				err = errno;
				e = orsp_errf(ORSP_E_IO, "%s%s: cannot open %s: %s", what, path,
				              done, strerror(err));
				if (up >= 0)
					close(up);
				goto out;
			}
			close(dfd);
			dfd = up;
			continue;
		}
		n = snprintf(full, sizeof(full), "%s%s%s", done, strcmp(done, "/") == 0 ? "" : "/",
		             name);
		if (n < 0 || (size_t)n >= sizeof(full)) {
			e = orsp_errf(ORSP_E_USAGE, "%s%.64s...: path too long", what, path);
			goto out;
		}
		cfd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0 || fstat(cfd, &cst) != 0) {
			err = errno;
			/* the last entry not there: its directory, which the caller makes it in,
			 * judged as holding an entry of this user's */
			if (pname && last && err == ENOENT) {
				struct stat mine = {.st_uid = geteuid()};

				err = 0;
				if (!links_only &&
				    (e = walk_step(what, path, done, &pst, name, &mine)) != ORSP_OK)
					goto out;
				goto parent;
			}
			/* nothing there: nothing to check further (a store's directory not made
			 * yet; what follows fails as it would have) */
			if (!out && (err == ENOENT || err == ENOTDIR))
				goto out;
			e = err == ENOENT
			        ? orsp_errf(ORSP_E_NOT_FOUND, "%s%s does not exist", what, path)
			        : orsp_errf(ORSP_E_IO, "%s%s: cannot open %s: %s", what, path, full,
			                    strerror(err));
			goto out;
		}
		if (!links_only && (e = walk_step(what, path, done, &pst, name, &cst)) != ORSP_OK)
			goto out;
		if (pname && last)
			goto parent;
		if (S_ISLNK(cst.st_mode)) {
			if (last && !final_link_ok) {
				e = orsp_errf(ORSP_E_POLICY,
				              "%s%s: a symbolic link; name the directory itself",
				              what, path);
				goto out;
			}
			if (!trusted_uid(cst.st_uid)) {
				e = orsp_errf(
				    ORSP_E_POLICY,
				    "%s%s: the symbolic link %s on its path is owned by uid "
				    "%u, not by this user (uid %u) or root; name the file "
				    "itself, or remove the link and make it yourself",
				    what, path, full, (unsigned)cst.st_uid, (unsigned)geteuid());
				goto out;
			}
			if (++links > WALK_LINKS_MAX) {
				err = ELOOP;
				e = orsp_errf(ORSP_E_IO, "%s%s: too many symbolic links", what,
				              path);
				goto out;
			}
			/* the link judged, not whatever is at its name now */
			ll = readlinkat(cfd, "", link, sizeof(link) - 1);
			if (ll < 0) {
				err = errno;
				e = orsp_errf(ORSP_E_IO, "%s%s: cannot read the link %s: %s", what,
				              path, full, strerror(err));
				goto out;
			}
			close(cfd);
			cfd = -1;
			link[ll] = '\0';
			tl = strlen(todo);
			if ((size_t)ll + 1 + tl >= sizeof(todo)) {
				e = orsp_errf(ORSP_E_USAGE, "%s%.64s...: path too long", what,
				              path);
				goto out;
			}
			/* the link's target in front of what is left (nothing added after a last
			 * one: "DIR/" or "DIR/." after a file is a file in a directory's place) */
			if (tl) {
				memmove(todo + ll + 1, todo, tl + 1);
				todo[ll] = '/';
			} else {
				todo[ll] = '\0';
			}
			memcpy(todo, link, (size_t)ll);
			if (link[0] == '/') {
				close(dfd);
				snprintf(done, sizeof(done), "/");
				if ((dfd = open_root(&pst)) < 0) {
					err = errno;
					e = orsp_errf(ORSP_E_IO, "%s%s: cannot open /: %s", what,
					              path, strerror(err));
					goto out;
				}
			}
			continue;
		}
		if (!last && S_ISDIR(cst.st_mode)) {
			memcpy(done, full, (size_t)n + 1);
			close(dfd);
			dfd = cfd;
			cfd = -1;
			pst = cst;
			continue;
		}
		if (!S_ISDIR(cst.st_mode) && (trailing || !last)) {
			/* a file in a directory's place */
			if (out) {
				err = ENOTDIR;
				e = orsp_errf(ORSP_E_IO, "cannot open %s%s: %s", what, path,
				              strerror(err));
			}
			goto out;
		}
		if (!out)
			goto out;
		if (walk_hook)
			walk_hook(path);
		/* opened by its name in the directory judged, without following a link, and
		 * taken only as the entry judged */
		fd = openat(dfd, name, oflags | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && (errno == ENOENT || errno == ELOOP)) {
			*changed = true;
			goto out;
		}
		if (fd < 0 || fstat(fd, &ost) != 0) {
			err = errno;
			e = orsp_errf(ORSP_E_IO, "cannot open %s%s: %s", what, path, strerror(err));
			goto out;
		}
		if (ost.st_dev != cst.st_dev || ost.st_ino != cst.st_ino)
			*changed = true;
		goto out;
	}
parent:
	if (walk_hook)
		walk_hook(path);
	/* "." of the directory judged: no name looked up again */
	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err = errno;
		e = orsp_errf(ORSP_E_IO, "%s%s: cannot open %s: %s", what, path, done,
		              strerror(err));
	} else if (snprintf(pname, pcap, "%s", name) >= (int)pcap) {
		e = orsp_errf(ORSP_E_USAGE, "%s%s: a name on the path is too long", what, path);
	}
out:
	if (cfd >= 0)
		close(cfd);
	if (dfd >= 0)
		close(dfd);
	if (out && (e != ORSP_OK || *changed) && fd >= 0) {
		close(fd);
		fd = -1;
	}
	if (out)
		*out = fd;
	errno = err;
	return e;
}

orsp_err orsp_path_check_trusted(const char *what, const char *path, unsigned flags)
{
	if (!what)
		what = "";
	if (!path || !path[0])
		return orsp_errf(ORSP_E_USAGE, "%sno path", what);
	return walk(what, path, flags, 0, NULL, NULL, NULL, 0);
}

orsp_err orsp_path_open_trusted(const char *what, const char *path, unsigned flags, int oflags,
                                int *fd)
{
	if (!fd)
		return orsp_errf(ORSP_E_USAGE, "orsp_path_open_trusted: no descriptor output");
	*fd = -1;
	if (!what)
		what = "";
	if (!path || !path[0])
		return orsp_errf(ORSP_E_USAGE, "%sno path", what);
	for (int tries = 0; tries < WALK_TRIES; tries++) {
		bool changed = false;
		orsp_err e = walk(what, path, flags, oflags, fd, &changed, NULL, 0);

		if (e != ORSP_OK || !changed)
			return e;
	}
	return orsp_errf(ORSP_E_STATE, "%s%s keeps being replaced while it is opened", what, path);
}

orsp_err orsp_path_open_parent_trusted(const char *what, const char *path, unsigned flags, int *dfd,
                                       char *name, size_t cap)
{
	bool changed = false;

	if (!dfd || !name || cap == 0)
		return orsp_errf(ORSP_E_USAGE, "orsp_path_open_parent_trusted: no output");
	*dfd = -1;
	name[0] = '\0';
	if (!what)
		what = "";
	if (!path || !path[0])
		return orsp_errf(ORSP_E_USAGE, "%sno path", what);
	return walk(what, path, flags, 0, dfd, &changed, name, cap);
}
