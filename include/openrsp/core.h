/* openrsp core: errors, bounded buffers, hex/base64, secrets, constant-time compare, logging.
 *
 * Every other module builds on this header. Nothing here allocates except where a function
 * says so; nothing here calls OpenSSL.
 */
#ifndef OPENRSP_CORE_H
#define OPENRSP_CORE_H

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define ORSP_MUST_CHECK __attribute__((warn_unused_result))
#define ORSP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ORSP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- errors ---------------- */

/* One error type for the whole code base. The category says what kind of failure it is;
 * protocol status codes (SGP.22 subject/reason, ISO 7816 status words) are derived from it
 * in exactly one table at each protocol edge. */
typedef enum orsp_err {
	ORSP_OK = 0,
	ORSP_E_MALFORMED, /* input does not parse: bad DER, bad hex, wrong length */
	ORSP_E_VERIFY,    /* a MAC, signature, certificate or AUTN check failed */
	ORSP_E_POLICY,    /* well-formed but not allowed: wrong CI, EID out of range, expired */
	ORSP_E_STATE,     /* not allowed in the current state (replayed SQN, illegal transition) */
	ORSP_E_STORAGE,   /* the database or a file failed */
	ORSP_E_RESOURCE,  /* out of memory, buffer too small, limit reached */
	ORSP_E_USAGE,     /* the caller passed invalid arguments */
	ORSP_E_NOT_FOUND, /* no such subscriber, profile, file */
	ORSP_E_EXISTS,    /* already present */
	ORSP_E_CRYPTO,    /* the crypto library failed internally */
	ORSP_E_IO,        /* operating system I/O failed */
	ORSP_E__COUNT
} orsp_err;

/* Short fixed name of the category ("malformed", "verify failed", ...). Never NULL. */
const char *orsp_err_str(orsp_err e);

/* The size of the detail buffer, its terminating NUL included. A detail quotes paths and
 * wraps the details of the calls below it, so it is sized for several paths; a longer one is
 * cut and ends in "...". */
#define ORSP_ERR_DETAIL_MAX 2048

/* Record a human-readable detail for the error being returned (per thread, overwritten by
 * the next call) and return e, so call sites read `return orsp_errf(ORSP_E_MALFORMED, ...)`.
 * Details must never contain secret material. */
orsp_err orsp_errf(orsp_err e, const char *fmt, ...) ORSP_PRINTF(2, 3);
/* The detail recorded by the last orsp_errf() on this thread, or "" if none. */
const char *orsp_err_detail(void);
/* Copy that detail into out[cap] (cap > 0), to keep it while other calls record theirs; a
 * copy cut to fit ends in "..." as orsp_errf's own cut does (cap >= 4). */
void orsp_err_detail_copy(char *out, size_t cap);
/* Forget the recorded detail. */
void orsp_err_clear(void);

/* ---------------------------------------------------------------- stop flags ------------ */

/* How many stops the flag a signal handler sets asks for (cli_stop_on_signals counts the
 * signals, up to 2: a server draining after the first stops at once at the second); 0 for
 * NULL, no flag. An atomic load, as the handler's store is: the handler runs on whichever
 * thread the signal was delivered to, and other threads poll the flag (a plain access to a
 * volatile sig_atomic_t is defined only on the handler's own thread; ThreadSanitizer reports
 * it as a data race). Lock-free on every target, so async-signal-safe. */
static inline int orsp_stop_count(const volatile sig_atomic_t *stop)
{
	return stop ? (int)__atomic_load_n(stop, __ATOMIC_RELAXED) : 0;
}

/* Whether a stop was asked for at all. */
static inline bool orsp_stop_set(const volatile sig_atomic_t *stop)
{
	return orsp_stop_count(stop) != 0;
}

/* ---------------------------------------------------------------- directories ----------- */

/* Flush the directory dir (fsync), so that the names made, replaced or removed in it survive
 * a crash. A file system that cannot flush a directory (EINVAL) passes: nothing more can be
 * done there. ORSP_E_IO "cannot flush the directory DIR: <reason>" otherwise. */
ORSP_MUST_CHECK orsp_err orsp_fsync_dir(const char *dir);
/* The same for the directory open on fd (dir names it in the message). */
ORSP_MUST_CHECK orsp_err orsp_fsync_dirfd(int fd, const char *dir);
/* The same for the directory that holds path ("." for a bare name; trailing slashes name the
 * last component: "a/b/" is b, held by a). ORSP_E_IO "cannot flush the directory of PATH:
 * <reason>". */
ORSP_MUST_CHECK orsp_err orsp_fsync_dir_of(const char *path);

/* Whether only this process's user and root can change what path names: walked from / (a
 * relative path from the working directory's own path), each directory on it (the path's
 * symbolic links followed, their targets' directories walked as well) must be owned by the
 * user or root and not writable by group or others, unless it is sticky (chmod +t: /tmp) and
 * the entry the path takes in it is owned by the user or root; every symbolic link on it must
 * be owned by the user or root. Otherwise another user could rename a directory on the path
 * and put another (an older copy) in its place, or repoint a link, as StrictModes of OpenSSH
 * guards against. The last component ("DIR/." and "DIR/" name DIR) may be absent (nothing
 * past a missing entry is checked); a symbolic link there is refused unless flags has
 * ORSP_PATH_LINK_OK. With ORSP_PATH_LINKS_ONLY only the links' owners are judged, not the
 * directories. The file or directory itself (its owner and mode) is the caller's to check, on
 * its descriptor. `what` precedes the path in messages ("" or "KEK file "). ORSP_E_POLICY
 * naming the directory or link and what to do (chmod go-w, chmod +t, another path);
 * ORSP_E_USAGE for a relative path when the working directory's path is longer than
 * PATH_MAX ("give an absolute path"); ORSP_E_IO when a step cannot be read. Only a check:
 * whatever opens the path afterwards resolves it again, which orsp_path_open_trusted does
 * not. */
#define ORSP_PATH_LINK_OK 1u
#define ORSP_PATH_LINKS_ONLY 2u
ORSP_MUST_CHECK orsp_err orsp_path_check_trusted(const char *what, const char *path,
                                                 unsigned flags);

/* The same walk, which opens what it judges: each entry is opened from its directory's
 * descriptor without following links (O_PATH, O_NOFOLLOW) and judged on that descriptor, a
 * link's target is read from the link judged, and the last entry is opened with oflags
 * (O_NOFOLLOW and O_CLOEXEC added) by its name in the directory judged and taken only if it
 * is the entry judged (device and inode), the walk started again otherwise: a link put on
 * the path, or repointed, between the check and the open is never followed. *fd the open
 * descriptor, or -1. As orsp_path_check_trusted, and: ORSP_E_NOT_FOUND "WHATPATH does not
 * exist" when an entry is missing; ORSP_E_IO "cannot open WHATPATH: <reason>" (errno the
 * cause, ENOTDIR for a file in a directory's place); ORSP_E_STATE if the last entry keeps
 * being replaced. */
ORSP_MUST_CHECK orsp_err orsp_path_open_trusted(const char *what, const char *path, unsigned flags,
                                                int oflags, int *fd);

/* The same walk up to the path's last entry, for a caller that makes, replaces or removes it:
 * *dfd the directory the walk judged that holds it, opened O_RDONLY | O_DIRECTORY (close it),
 * and its name in name (cap bytes; "." when the path ends in a directory reached by "..", "."
 * or "/", *dfd then being that directory). The entry need not exist (its directory is then
 * judged as holding an entry of this user's); when it does it is judged as a step of the walk,
 * but not opened, and a symbolic link there is neither followed nor refused: the caller
 * reaches it by name in *dfd (openat with O_NOFOLLOW, mkdirat, linkat, renameat), so that a
 * link put on the path, or a directory on it moved, between the check and the change cannot
 * take the change elsewhere. Errors as orsp_path_open_trusted's, and ORSP_E_NOT_FOUND only
 * for a missing directory; ORSP_E_USAGE when name has no room. */
ORSP_MUST_CHECK orsp_err orsp_path_open_parent_trusted(const char *what, const char *path,
                                                       unsigned flags, int *dfd, char *name,
                                                       size_t cap);

/* ---------------------------------------------------------------- files -------------------- */

/* Open a file the user named (a certificate, a key, a configuration) for reading: a regular
 * file only. A FIFO does not block the open waiting for a writer: it is refused, as a device
 * or a directory is. *fd a blocking descriptor (close it), -1 on failure. ORSP_E_NOT_FOUND
 * "PATH does not exist"; ORSP_E_IO "cannot open PATH: <reason>" or "PATH is not a regular
 * file (a FIFO, a device or a directory)". */
ORSP_MUST_CHECK orsp_err orsp_file_open_regular(const char *path, int *fd);

/* Read fd (opened on path, which errors name) to its end into buf, at most cap bytes: *n the
 * bytes read; *more true when the file holds more (one byte past cap was read, then wiped and
 * dropped: a larger file is refused by the caller, never cut). ORSP_E_IO "cannot read PATH:
 * <reason>" on a read error; *n is set either way, so that the caller can wipe what came. */
ORSP_MUST_CHECK orsp_err orsp_file_read_upto(int fd, const char *path, void *buf, size_t cap,
                                             size_t *n, bool *more);

/* Fill the new file fd (path's, which errors name) with the len bytes of data, give it *mode
 * when mode is not NULL (not narrowed by the umask), flush it to the disk and close it (fd is
 * closed either way). ORSP_E_IO "write to PATH failed", "cannot set the mode of PATH", "fsync
 * of PATH failed" or "close of PATH failed"; the caller removes the file. */
ORSP_MUST_CHECK orsp_err orsp_file_fill(int fd, const char *path, const void *data, size_t len,
                                        const mode_t *mode);

/* A new file beside path, path.tmp-XXXXXX (six random hex digits, never an existing file or
 * link), holding the len bytes of data, flushed to the disk and closed; its name in tmp (cap
 * bytes). Its mode: mode as open(2) narrows it by the umask (a key's 0600 from the start), or
 * with exact 0600 until complete and then mode itself, not narrowed. The caller puts it in
 * place (rename, link) and removes the name. ORSP_E_IO "cannot create PATH: <reason>",
 * "write to PATH failed", "fsync of PATH failed" ... (the file removed, tmp ""); ORSP_E_USAGE
 * for a NULL argument or a name longer than cap. */
ORSP_MUST_CHECK orsp_err orsp_file_write_beside(const char *path, const void *data, size_t len,
                                                mode_t mode, bool exact, char *tmp, size_t cap);

/* Create path holding the len bytes of data, with mode (as open(2) narrows it by the umask:
 * a key's 0600 from the start): never overwriting (ORSP_E_EXISTS "PATH already exists", a
 * symbolic link included, never followed), never leaving a short file under the name
 * (written to a temporary file beside it, flushed, then linked to the name; the directory
 * flushed after, so that the new name survives a crash once this returns ORSP_OK), nothing
 * left behind on failure (ORSP_E_IO). Where link(2) is not supported (vfat, exFAT, some FUSE
 * and CIFS mounts) the file is written in place with O_EXCL. A temporary name that cannot be
 * removed (tried twice) fails it too, path removed again: ORSP_E_IO "PATH not created; its
 * temporary file TMP cannot be removed (REASON): remove it", with ", and it holds the private
 * key" for a mode only the owner may read. Key and certificate files (src/crypto), pki init's
 * README.txt. */
ORSP_MUST_CHECK orsp_err orsp_file_create(const char *path, const void *data, size_t len,
                                          mode_t mode);

/* Put a file holding the len bytes of data at path with mode (not narrowed by the umask),
 * replacing what is there at once: written to a temporary file beside it (path.tmp-XXXXXX,
 * mode 0600 until complete: orsp_file_write_beside) and flushed, then renamed over path, the
 * directory flushed after.
 * A crash leaves the old file or the new one, never a short one; on failure the old one is
 * left and the temporary file removed, except when only the directory's flush after the
 * rename fails: the new file is then in place, not known durable, and the error says so ("the
 * new PATH is in place, but a crash may still bring back the file it replaced: ..."). A
 * symbolic link, or anything else there that is not a regular file (a FIFO, a device, a
 * socket, a directory), is refused before anything is written (orsp_file_check_replaceable;
 * until session 70 a link was replaced, not followed). ORSP_E_IO naming the step that
 * failed. */
ORSP_MUST_CHECK orsp_err orsp_file_replace(const char *path, const void *data, size_t len,
                                           mode_t mode);

/* ORSP_OK when path is not there, or is a regular file; ORSP_E_USAGE "PATH is a symbolic link:
 * name the file itself (not replaced)", or "PATH is a FIFO (a device, a socket, a directory),
 * not a regular file: not replaced" otherwise. */
ORSP_MUST_CHECK orsp_err orsp_file_check_replaceable(const char *path);

/* What a killed writer may have left beside path: its temporary files (path.tmp-XXXXXX, six
 * letters or digits: orsp_file_write_beside's, and the crypto module's key files'), a key's
 * among them, removed. A writer of the same path running at the same time loses its own
 * (its rename then fails). */
void orsp_file_remove_leftovers(const char *path);

/* An unnamed file (O_TMPFILE, mode 0600, for writing) in the directory of path, for
 * orsp_file_link_unnamed to name once it is complete: its descriptor, or -1 with errno,
 * *none true when the kernel or the file system has no O_TMPFILE (EISDIR, EOPNOTSUPP,
 * EINVAL), and ENAMETOOLONG for a path longer than PATH_MAX. */
int orsp_file_open_unnamed(const char *path, bool *none);
/* The same in the directory open on dfd (O_PATH will do): no name looked up. */
int orsp_file_open_unnamed_at(int dfd, bool *none);
/* Give the unnamed file fd (open(2) of a directory with O_TMPFILE, without O_EXCL) the name
 * `name`, which is never replaced (EEXIST when it exists). AT_EMPTY_PATH first; where the
 * kernel allows it only with CAP_DAC_READ_SEARCH (ENOENT), through /proc/self/fd, as open(2)
 * shows. 0, or -1 and errno. */
ORSP_MUST_CHECK int orsp_file_link_unnamed(int fd, const char *name);
/* The same with name in the directory open on dfd (AT_FDCWD: name as a path). */
ORSP_MUST_CHECK int orsp_file_link_unnamed_at(int fd, int dfd, const char *name);

/* Write all n bytes of p to fd: a signal is retried, a short write goes on where it stopped.
 * 0, or -1 with errno set (EIO for a write that made no progress). */
ORSP_MUST_CHECK int orsp_file_write_full(int fd, const void *p, size_t n);
/* The same, *done the bytes written, also when it fails (what a reader of fd may have). */
ORSP_MUST_CHECK int orsp_file_write_done(int fd, const void *p, size_t n, size_t *done);

/* The process that holds a lock on the file dev:ino (stat()'s st_dev and st_ino), read from
 * Linux's /proc/locks: no descriptor of the file is opened, so none of the caller's POSIX
 * locks on it is dropped (closing any descriptor of a file drops all of them). `kind`
 * "FLOCK" or "POSIX"; `type` "READ" or "WRITE", or NULL for either. The locks of process
 * `self` (0: none) are not counted, nor requests still waiting for a lock. On overlayfs (a
 * container's root) /proc/locks names the layer's device, not stat()'s: the device of a lock
 * of `self`'s on a file of that inode number is then taken for the file's, and without one
 * the only process holding such locks on a file of that inode number (none when several do:
 * a guess). Its pid; 0 when none is found, -1 when /proc/locks cannot be read (no /proc). */
long orsp_lock_holder(dev_t dev, ino_t ino, const char *kind, const char *type, long self);
/* This process's pid as /proc names it (readlink of /proc/self), for orsp_lock_holder's
 * `self`: in a PID namespace that has no /proc of its own, getpid() is the namespace's number
 * while /proc/locks names the process by the outer one, and the process's own locks would be
 * taken for another's (a review found a migration refused so, "pid 393" being itself);
 * getpid() when /proc/self cannot be read. In a namespace with its own /proc, the locks of
 * processes outside it are not in /proc/locks at all: nobody is seen there. */
long orsp_proc_self_pid(void);
/* What process pid (0: this one) runs, for naming a lock's holder: the leading words of its
 * command line (/proc/PID/cmdline), the program's base name and the plain words after it
 * (letters, digits, '.', '_', '-', not starting with '-'), up to the first other word, which
 * is not said (an option's value may be a secret: a confirmation code), " ..." standing for
 * the rest; cut to about 80 characters. Into buf (cap bytes, NUL-terminated); its length, 0
 * when it cannot be read (the process ended, no /proc) or is empty. */
size_t orsp_proc_command(long pid, char *buf, size_t cap);
#define ORSP_PROC_COMMAND_MAX 80

/* ---------------------------------------------------------------- bounded buffers ------- */

/* A borrowed, read-only view of bytes. */
typedef struct orsp_slice {
	const uint8_t *p;
	size_t len;
} orsp_slice;

static inline orsp_slice orsp_slice_make(const void *p, size_t len)
{
	orsp_slice s = {(const uint8_t *)p, len};
	return s;
}

/* A bounded reader over untrusted bytes: every read checks the remaining length. */
typedef struct orsp_reader {
	const uint8_t *p;
	size_t len;
	size_t off;
} orsp_reader;

void orsp_reader_init(orsp_reader *r, const void *p, size_t len);
size_t orsp_reader_remaining(const orsp_reader *r);
ORSP_MUST_CHECK orsp_err orsp_read_u8(orsp_reader *r, uint8_t *out);
ORSP_MUST_CHECK orsp_err orsp_read_be16(orsp_reader *r, uint16_t *out);
ORSP_MUST_CHECK orsp_err orsp_read_be32(orsp_reader *r, uint32_t *out);
/* Borrow the next n bytes (no copy). */
ORSP_MUST_CHECK orsp_err orsp_read_slice(orsp_reader *r, size_t n, orsp_slice *out);
/* Copy the next n bytes into out. */
ORSP_MUST_CHECK orsp_err orsp_read_bytes(orsp_reader *r, void *out, size_t n);

/* A bounded writer into caller memory. A write that does not fit sets `overflow` and writes
 * nothing further, so a sequence of writes can be checked once at the end. */
typedef struct orsp_writer {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool overflow;
} orsp_writer;

void orsp_writer_init(orsp_writer *w, void *p, size_t cap);
void orsp_write_u8(orsp_writer *w, uint8_t v);
void orsp_write_be16(orsp_writer *w, uint16_t v);
void orsp_write_be32(orsp_writer *w, uint32_t v);
void orsp_write_bytes(orsp_writer *w, const void *p, size_t n);
/* ORSP_OK, or ORSP_E_RESOURCE if any write did not fit. */
ORSP_MUST_CHECK orsp_err orsp_writer_status(const orsp_writer *w);

/* ---------------------------------------------------------------- UTF-8 ---------------- */

/* The length (1-4) of the well-formed UTF-8 sequence at p, n bytes left, and its code point
 * in *cp; 0 when there is none (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF; a sequence cut by n). For a NUL-terminated string, n = strnlen(p, 4) will do. */
size_t orsp_utf8_seq(const uint8_t *p, size_t n, uint32_t *cp);
/* Whether code point cp is a control character a terminal or a JSON reader would not take
 * as text: C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F), which terminals obey
 * as escapes (tab and newline are controls too); and the format characters that reorder or
 * hide text without being seen, so that text from another party cannot make the terminal
 * show something else than it is: the bidirectional controls (U+061C, U+200E-U+200F,
 * U+202A-U+202E, U+2066-U+2069), zero-width characters (U+180E, U+200B,
 * U+2060-U+2064, U+FEFF), the line and paragraph separators (U+2028-U+2029), the rest of
 * U+2060-U+206F, the interlinear annotation characters (U+FFF9-U+FFFB) and the tags
 * (U+E0000-U+E007F). */
bool orsp_utf8_is_control(uint32_t cp);
/* Text from another party taken as text only: the number of characters of p[0..n) when
 * they are all well-formed UTF-8 (orsp_utf8_seq) and none a control (orsp_utf8_is_control);
 * else, for the first that is not, -1 (a byte of no UTF-8 sequence) or -2 (a control). */
long orsp_utf8_text_chars(const uint8_t *p, size_t n);
/* The number of characters of p[0..n) when it is a UTF8String's content as SGP.22 counts its
 * SIZE: well-formed UTF-8 (orsp_utf8_seq) without a NUL; else -1. Other controls are
 * characters here (what shows them makes them safe: orsp_utf8_printable). */
long orsp_utf8_chars(const uint8_t *p, size_t n);
/* Whether p[0..n) is such a UTF8String of at most max characters (SGP.22's SIZE(0..max)). */
bool orsp_utf8_string_ok(const uint8_t *p, size_t n, size_t max);
/* The length of the longest start of the UTF-8 text s (len bytes) that has at most max bytes
 * and does not end inside a character: where to cut it to fit. */
size_t orsp_utf8_cut(const char *s, size_t len, size_t max);
/* Text from another party made safe to print: p[0..n) copied into out (cap bytes, always
 * NUL-terminated), each control character (orsp_utf8_is_control) and each byte of no UTF-8
 * sequence as one '?'; a character that does not fit whole is left out, never cut. */
void orsp_utf8_printable(const uint8_t *p, size_t n, char *out, size_t cap);
/* The NUL-terminated s made printable ASCII in place: each byte outside 0x20..0x7E becomes
 * '?' (for text that quotes another party's bytes and must stay plain ASCII, such as a
 * parser's "near '...'"; orsp_utf8_printable keeps UTF-8 text). */
void orsp_ascii_printable(char *s);

/* ---------------------------------------------------------------- host names ------------ */

#define ORSP_FQDN_MAX 253 /* characters, RFC 1035 §2.3.4 less the length octets */

/* Whether s[0..n) is a host name (FQDN) as openrsp takes one everywhere: the SM-DP+'s fqdn,
 * activation codes, default and notification SM-DP+ addresses, the DPtls dNSName, the HTTP
 * client's expected_host. 1..ORSP_FQDN_MAX characters; labels of 1..63 letters, digits and
 * '-', separated by single dots, none starting or ending with '-' (RFC 1123 §2.1); at least
 * two labels; the last one not all digits (RFC 3696 §2: 192.0.2.1 is an address, not a name).
 * No trailing dot, port, scheme, wildcard or NUL. Letters of either case are taken as they
 * are: comparing names case-insensitively is the caller's part. ORSP_OK; ORSP_E_MALFORMED
 * with a detail naming the first problem ("label 2 ends with '-'", positions from 1; never
 * the name itself, which the caller words around it); ORSP_E_USAGE for s NULL. */
ORSP_MUST_CHECK orsp_err orsp_fqdn_check(const char *s, size_t n);

/* ---------------------------------------------------------------- hex / base64 ---------- */

/* The value of one hex digit [0-9a-fA-F], -1 for any other character. */
int orsp_hex_digit(char c);
/* Strict hex decode: even number of [0-9a-fA-F] digits, no separators, no prefix.
 * Writes at most cap bytes; *out_len gets the decoded length. */
ORSP_MUST_CHECK orsp_err orsp_hex_decode(const char *hex, uint8_t *out, size_t cap,
                                         size_t *out_len);
/* Decode exactly n bytes (ORSP_E_MALFORMED naming the expected length otherwise). */
ORSP_MUST_CHECK orsp_err orsp_hex_decode_exact(const char *hex, uint8_t *out, size_t n);
/* Lower-case hex of n bytes into out (needs 2n+1 bytes, NUL-terminated). */
ORSP_MUST_CHECK orsp_err orsp_hex_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/* A comma-separated list of names from names[0..n) (case-insensitive), each at most once,
 * as a set: bit i of *out for names[i]. ORSP_E_USAGE with *out 0 for an empty item, an
 * unknown name or a repeated one; the caller words the message. n at most 32. */
ORSP_MUST_CHECK orsp_err orsp_name_set_parse(const char *list, const char *const *names, size_t n,
                                             uint32_t *out);

/* RFC 4648 base64 with padding (the ES9+ JSON binding). Decoding is strict: the standard
 * alphabet only, correct padding, no whitespace, unused bits zero. */
size_t orsp_base64_encoded_len(size_t n); /* including the NUL */
ORSP_MUST_CHECK orsp_err orsp_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap);
ORSP_MUST_CHECK orsp_err orsp_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap,
                                            size_t *out_len);

/* ---------------------------------------------------------------- secrets --------------- */

/* The one wipe function: zeroes n bytes in a way the compiler may not elide. */
void orsp_wipe(void *p, size_t n);
#define ORSP_WIPE_OBJ(obj) orsp_wipe(&(obj), sizeof(obj))

/* The allocator of generated code that decodes secrets (asn1c's `pe` set, docs/asn1.md: its
 * malloc, calloc, realloc and free are renamed to these at build time): every block is wiped
 * before it goes back to the heap, its whole usable size, whoever allocated it (any block of
 * malloc may be passed); realloc never resizes in place (a new block, the old one wiped).
 * orsp_wipe_free also serves any block of malloc that held a secret, its size unknown or not
 * at hand (NULL: nothing). */
void *orsp_wipe_malloc(size_t n);
void *orsp_wipe_calloc(size_t nmemb, size_t size);
void *orsp_wipe_realloc(void *p, size_t n);
void orsp_wipe_free(void *p);
/* orsp_wipe_free without the free: block p of malloc zeroed, its whole usable size (NULL:
 * nothing), for a free function of one's own. */
void orsp_wipe_block(void *p);
/* How many of the calls above failed in this thread so far (a size of 0 answered NULL is no
 * failure): a decoder that cannot tell bad input from a failed allocation (asn1c answers
 * RC_FAIL for both; OpenSSL, which a program gives these in main, drops some of its failures
 * or reads them as bad input: src/crypto) is read before and after, an increase being
 * ORSP_E_RESOURCE. A thread-local increment on a failure; nothing on success. */
unsigned long orsp_wipe_alloc_failures(void);
/* Counted as a failure of the calls above, in this thread: for an allocator that stands in
 * for them and refuses a block itself (a test's failure injection, tests/testutil.c), so that
 * the callers reading orsp_wipe_alloc_failures see its refusals too. */
void orsp_wipe_alloc_refused(void);

#define ORSP_SECRET_MAX 64
/* Key material (K, OPc, TOPc, session keys, shared secrets, KEKs). Wipe with
 * orsp_secret_wipe(); the logging API refuses this type at compile time. */
typedef struct orsp_secret {
	uint8_t v[ORSP_SECRET_MAX];
	size_t len;
} orsp_secret;

ORSP_MUST_CHECK orsp_err orsp_secret_set(orsp_secret *s, const void *p, size_t len);
ORSP_MUST_CHECK orsp_err orsp_secret_from_hex(orsp_secret *s, const char *hex);
static inline void orsp_secret_wipe(orsp_secret *s)
{
	orsp_wipe(s, sizeof(*s));
}

/* Constant-time comparison: returns 1 when the n bytes at a and b are equal, 0 otherwise,
 * in time that depends only on n. Use it for every MAC, RES, token and secret. */
int orsp_ct_eq(const void *a, const void *b, size_t n);

/* Constant-time validation (tests/ct_secrets.c runs under valgrind's memcheck):
 * orsp_ct_secret marks the n bytes at p secret, so that memcheck reports every branch and
 * every memory address computed from them; orsp_ct_public declares the n bytes at p, computed
 * from secrets, public: the one decision a caller may branch on (equal or not, a valid
 * encoding or not). Both do nothing unless the build found valgrind's header
 * (ORSP_HAVE_MEMCHECK) and the program runs under memcheck. */
void orsp_ct_secret(const void *p, size_t n);
void orsp_ct_public(const void *p, size_t n);

/* Whether the program runs under valgrind (false when the build found no valgrind header):
 * the servers do not execute themselves again there (cli/main.c, bind_now), which valgrind
 * follows only with --trace-children=yes. */
bool orsp_on_valgrind(void);

/* The CLOCK_MONOTONIC time ms milliseconds from now, for pthread_cond_timedwait on a
 * condition variable made by orsp_cond_init_monotonic: a step of the wall clock (NTP, date)
 * neither lengthens nor cuts the wait. */
void orsp_deadline_ms(struct timespec *until, unsigned ms);

/* pthread_cond_init with CLOCK_MONOTONIC as the clock of its timed waits, the clock of
 * orsp_deadline_ms; returns what pthread_cond_init returns. */
int orsp_cond_init_monotonic(pthread_cond_t *cv);

/* Seconds on CLOCK_MONOTONIC, for measuring how long something took (a step of the wall clock
 * does not show in the difference of two readings). */
double orsp_mono_s(void);

/* The size of orsp_utc_text's text: "2026-05-01T12:00:00Z" and its NUL, with room for a year
 * of 11 characters or a time_t's number of seconds. */
#define ORSP_UTC_TEXT_CAP 32

/* t (seconds since the epoch) as UTC text into out: "2026-05-01T12:00:00Z" (RFC 3339) with
 * sep 'T', "2026-05-01 12:00:00Z" with sep ' ' (any sep but 'T'), as messages to people
 * write it. A t that gmtime_r cannot convert (its year beyond an int) is written as its
 * number of seconds, as printf's "%lld"; false then. */
bool orsp_utc_text(time_t t, char sep, char out[static ORSP_UTC_TEXT_CAP]);

/* ---------------------------------------------------------------- logging --------------- */

typedef enum orsp_log_level {
	ORSP_LOG_ERROR = 0,
	ORSP_LOG_WARN,
	ORSP_LOG_INFO,
	ORSP_LOG_DEBUG,
} orsp_log_level;

void orsp_log_set_level(orsp_log_level level);
orsp_log_level orsp_log_get_level(void);
/* Implementation behind orsp_log(); call the macro, not this. */
void orsp__log_emit(orsp_log_level level, const char *fmt, ...) ORSP_PRINTF(2, 3);

/* One line on stderr, fmt without its '\n' (this adds it), as fprintf(stderr, ...) wrote it
 * but never lost without a trace: the line goes out in one write(2) under stderr's lock
 * (orsp_log's lines too). A line that cannot be written (a full disk: ENOSPC; a pipe whose
 * reader is gone: EPIPE, SIGPIPE being ignored, as main does; a full non-blocking pipe:
 * EAGAIN) is counted (orsp_log_dropped), and the next line written is preceded by one line,
 * "PROGRAM: warning: N log lines were lost (writing to stderr: REASON)". Nothing is waited
 * for but the rest of a line part of which went out (EAGAIN: up to 100 ms); a line cut short
 * all the same counts as lost, and the warning line starts with a '\n' that ends it, so that
 * no line is glued to its half. A blocking descriptor whose reader stops reading still
 * blocks the writer, as fprintf did. */
void orsp_log_line(const char *fmt, ...) ORSP_PRINTF(1, 2);
void orsp_log_vline(const char *fmt, va_list ap) ORSP_PRINTF(1, 0);
/* Lines orsp_log_line could not write since the process began. */
uint64_t orsp_log_dropped(void);
/* PROGRAM of the warning line above ("openrsp" unless set; a string that outlives its use) */
void orsp_log_set_program(const char *name);

/* orsp_log(level, fmt, args...) — printf-style line on stderr. Every argument is checked at
 * compile time: passing an orsp_secret (or a pointer to one) does not compile. */
#define ORSP__IS_SECRET(x)                                                                         \
	_Generic((x), orsp_secret : 1, orsp_secret * : 1, const orsp_secret * : 1, default : 0)
#define ORSP__NOT_SECRET(x)                                                                        \
	(void)sizeof(struct {                                                                      \
		_Static_assert(!ORSP__IS_SECRET(x), "secret types cannot be logged");              \
		int orsp__unused;                                                                  \
	})
#define ORSP__NARG(...)                                                                            \
	ORSP__NARG_(__VA_ARGS__, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define ORSP__NARG_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, N, ...) N
#define ORSP__CAT(a, b) ORSP__CAT_(a, b)
#define ORSP__CAT_(a, b) a##b
#define ORSP__EACH_1(m, x) m(x)
#define ORSP__EACH_2(m, x, ...) m(x), ORSP__EACH_1(m, __VA_ARGS__)
#define ORSP__EACH_3(m, x, ...) m(x), ORSP__EACH_2(m, __VA_ARGS__)
#define ORSP__EACH_4(m, x, ...) m(x), ORSP__EACH_3(m, __VA_ARGS__)
#define ORSP__EACH_5(m, x, ...) m(x), ORSP__EACH_4(m, __VA_ARGS__)
#define ORSP__EACH_6(m, x, ...) m(x), ORSP__EACH_5(m, __VA_ARGS__)
#define ORSP__EACH_7(m, x, ...) m(x), ORSP__EACH_6(m, __VA_ARGS__)
#define ORSP__EACH_8(m, x, ...) m(x), ORSP__EACH_7(m, __VA_ARGS__)
#define ORSP__EACH_9(m, x, ...) m(x), ORSP__EACH_8(m, __VA_ARGS__)
#define ORSP__EACH_10(m, x, ...) m(x), ORSP__EACH_9(m, __VA_ARGS__)
#define ORSP__EACH_11(m, x, ...) m(x), ORSP__EACH_10(m, __VA_ARGS__)
#define ORSP__EACH_12(m, x, ...) m(x), ORSP__EACH_11(m, __VA_ARGS__)
#define ORSP__EACH_13(m, x, ...) m(x), ORSP__EACH_12(m, __VA_ARGS__)
#define ORSP__EACH_14(m, x, ...) m(x), ORSP__EACH_13(m, __VA_ARGS__)
#define ORSP__EACH_15(m, x, ...) m(x), ORSP__EACH_14(m, __VA_ARGS__)
#define ORSP__EACH_16(m, x, ...) m(x), ORSP__EACH_15(m, __VA_ARGS__)
#define ORSP__EACH(m, ...) ORSP__CAT(ORSP__EACH_, ORSP__NARG(__VA_ARGS__))(m, __VA_ARGS__)
#define orsp_log(level, ...)                                                                       \
	((void)(ORSP__EACH(ORSP__NOT_SECRET, __VA_ARGS__)), orsp__log_emit((level), __VA_ARGS__))

/* ---------------------------------------------------------------- small helpers --------- */

#define ORSP_VERSION_STRING "0.1.0"
const char *orsp_version(void);

static inline void orsp_put_be48(uint8_t out[6], uint64_t v)
{
	for (int i = 5; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t orsp_get_be48(const uint8_t in[6])
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = (v << 8) | in[i];
	return v;
}

#endif
