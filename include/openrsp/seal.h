/* openrsp seal: the trusted environment's secure storage (TR 33.812 TRE "secure storage").
 *
 * A directory of named records, each encrypted and authenticated with AES-256-GCM under a
 * device key, listed by a sealed manifest that carries a monotonic counter:
 *  - confidentiality and integrity: a record is readable only with the device key; a changed,
 *    truncated, swapped or renamed record file fails authentication (the AAD binds the
 *    record's name and generation, the manifest holds its SHA-256);
 *  - atomicity: orsp_seal_commit() replaces a set of records all together: new record files
 *    first, then one rename of the manifest. A crash at any point leaves either the old or the
 *    new set; files of an unfinished commit are removed on the next open;
 *  - anti-rollback: every commit advances a monotonic counter after the manifest; on open the
 *    manifest's counter must equal it (or be one ahead: a crash between the two steps, then the
 *    advance is completed). An older manifest is refused.
 * The device key and the counter come from a provider. The default, the file provider, keeps
 * both in files in the directory (device.key, mode 0600; counter): that protects against
 * tampering by anyone without the key, but NOT against reading by whoever can read the
 * directory (the key is beside the records), nor against someone who copies back an entire
 * older directory with its counter file. A store created with a provider of the caller's
 * (orsp_seal_create_with) has neither file; with a counter outside the directory's reach (a
 * TPM NV index, RPMB, a TEE) it closes both. openrsp ships no such provider: `openrsp euicc`
 * uses the file provider. docs/seal.md says the same.
 *
 * Record names: 1..ORSP_SEAL_NAME_MAX characters of [a-z0-9._-]. A handle is not
 * thread-safe; orsp_seal_open() takes an exclusive lock (flock on dir/lock) so that only one
 * handle at a time, in any process, uses a store.
 */
#ifndef OPENRSP_SEAL_H
#define OPENRSP_SEAL_H

#include "openrsp/core.h"

#define ORSP_SEAL_NAME_MAX 32
#define ORSP_SEAL_MAX_RECORDS 128
#define ORSP_SEAL_MAX_RECORD (1u << 20) /* one record's plaintext, bytes */
#define ORSP_SEAL_KEY_LEN 32

/* Same layout as orsp_euicc_record: data NULL deletes the record. */
typedef struct orsp_seal_record {
	const char *name;
	const uint8_t *data;
	size_t len;
} orsp_seal_record;

/* Where the device key and the monotonic counter live, for a store created with it
 * (orsp_seal_create_with) and opened with it (orsp_seal_open); NULL in both stands for the file
 * provider. One provider, one store: a second store on the same counter would take the first's
 * advances for a rollback, and one on the same key and counter could have the first's manifest
 * put in its place. Every callback but close is required (ORSP_E_USAGE otherwise). An error a
 * callback returns is passed on as it is, but ORSP_E_NOT_FOUND from device_key or
 * counter_read on open, which is ORSP_E_VERIFY (the manifest is there, its key or counter
 * gone).
 *
 * The order, the same as the file provider's: create and every commit first install the manifest
 * sealed at the next value c + 1 (c: counter_read's answer at create, the manifest's counter at a
 * commit), then call counter_advance(c + 1). A crash between the two leaves the manifest one
 * ahead of the counter, which orsp_seal_open completes with counter_advance; a manifest behind
 * the counter is a rollback and one further ahead a counter set back, both refused. */
typedef struct orsp_seal_provider {
	void *user;
	/* The 32-byte device key, the same at every call. It is copied into the handle and
	 * wiped at orsp_seal_close: a TPM-sealed or TEE-held key is unsealed into the process's
	 * memory (as TPM2_Unseal gives it); the interface has no call to seal inside the
	 * provider, so a key that may never leave it cannot be used. */
	orsp_err (*device_key)(void *user, uint8_t key[ORSP_SEAL_KEY_LEN]);
	/* The counter's current value: any value (a TPM NV counter starts where its index's
	 * highest count was), read once by create and once by each open. */
	orsp_err (*counter_read)(void *user, uint64_t *value);
	/* Set the counter to value (the current value + 1: the store asks for nothing else),
	 * durably, before returning ORSP_OK. On an error the counter may be at either value:
	 * the next open tells (a manifest one ahead is completed, an equal one taken). */
	orsp_err (*counter_advance)(void *user, uint64_t value);
	void (*close)(void *user); /* may be NULL; run by orsp_seal_close only */
} orsp_seal_provider;

typedef struct orsp_seal orsp_seal;

/* Create an empty store in dir (created with mode 0700 if missing; it must not hold a store
 * already: ORSP_E_EXISTS, nor be writable by group or others: ORSP_E_POLICY, as in
 * orsp_seal_open): a new random device key in dir/device.key (0600), the counter at 0
 * and an empty manifest, under the lock orsp_seal_open takes (ORSP_E_STATE while another
 * process holds it). ORSP_E_USAGE for a path longer than open and destroy take. On a failure
 * it removes what it wrote (and dir, if it made it), the manifest first as destroy does: when
 * that removal fails, the rest stays with it (a whole store, the error says so). A
 * process that dies in it leaves device.key (and the counter at 0) without a manifest: open
 * then says ORSP_E_NOT_FOUND naming the leftover, and the next create removes it and starts
 * afresh. A device key without a manifest beside record files or a counter past 0 is a store
 * that lost its manifest: create refuses it (ORSP_E_EXISTS) and never removes a key there. */
ORSP_MUST_CHECK orsp_err orsp_seal_create(const char *dir);

/* orsp_seal_create, then orsp_seal_open of the new store into *out without letting go of the
 * lock between the two: no other process can open (and so fill) the empty store before the
 * caller has (`openrsp euicc init` provisions it). The create's errors as orsp_seal_create's;
 * an open that fails (as orsp_seal_open's) leaves the empty store, which the lock no longer
 * holds, as a create that died would. */
ORSP_MUST_CHECK orsp_err orsp_seal_create_open(const char *dir, orsp_seal **out);

/* Create an empty store in dir on provider (NULL: the file provider, orsp_seal_create). As
 * orsp_seal_create for the directory, its checks and the lock, but no device.key and no counter
 * file: dir must hold none of the file provider's files (device.key, counter, counter.tmp) nor
 * record files without a manifest (ORSP_E_EXISTS: a store that lost its manifest). The first
 * manifest is sealed under the provider's key at its counter + 1 (counter_read, then
 * counter_advance after the manifest, as a commit does; ORSP_E_STATE for a counter at 2^64 -
 * 1): a manifest sealed under that key before (a destroyed store's) is behind the new one's,
 * unless a crash left it one ahead of the counter (docs/seal.md, "Providers"). The
 * provider's errors are passed on; on any failure the manifest is removed (not the counter's
 * advance, which a provider cannot undo). The provider is not kept and its close() is not
 * called. The store opens only with a provider (orsp_seal_open). */
ORSP_MUST_CHECK orsp_err orsp_seal_create_with(const char *dir, const orsp_seal_provider *provider);

/* Open the store in dir. ORSP_E_POLICY when group or others may write in dir, when another
 * user than the process's (or root) owns dir or a file of the store it reads, or when group
 * or others may write such a file (docs/seal.md, "Who may write the store"); also when dir is
 * a symbolic link ("DIR/." too), or a directory on its path may be changed by another user
 * (create and destroy judge the path the same way: orsp_path_open_trusted, docs/seal.md "The
 * directory and its path"); ORSP_E_USAGE for a relative dir when the working directory's path
 * is longer than PATH_MAX. The directory is opened once, by the walk that judged its path,
 * and every file of the store reached through it for the handle's life. provider NULL:
 * the file provider over dir (device.key must be a regular file that neither group nor
 * others can access: ORSP_E_POLICY otherwise; of 32 bytes: ORSP_E_VERIFY otherwise).
 * ORSP_E_USAGE when a store created with a provider is opened without one, a store of the file
 * provider with one, or the provider lacks a callback; ORSP_E_VERIFY when a store created with a
 * provider has one of the file provider's files (device.key, counter, counter.tmp) beside it.
 * ORSP_E_NOT_FOUND when there is no store (no manifest); ORSP_E_VERIFY when the manifest or the
 * counter is not a regular file (a FIFO, a symbolic link: never waited on or followed), the
 * manifest does not authenticate (wrong key, tampering), is older than the counter (rollback), or
 * has no device key or counter beside it (the provider says ORSP_E_NOT_FOUND: tampering);
 * ORSP_E_STATE while another handle has the store open; ORSP_E_STORAGE ("sealed store not
 * opened") when the manifest is one ahead of the counter and the directory's flush before the
 * counter is completed fails, nothing changed. The lock is taken before the manifest is
 * read. Files of an unfinished commit are removed. provider is copied; its close() runs in
 * orsp_seal_close, never when the open fails (the caller's state is then still the caller's). */
ORSP_MUST_CHECK orsp_err orsp_seal_open(const char *dir, const orsp_seal_provider *provider,
                                        orsp_seal **out);
/* orsp_seal_open, but a store whose lock another process holds is tried again every
 * ORSP_SEAL_WAIT_STEP_MS (a non-blocking flock; nothing else is held meanwhile) for up to
 * wait_ms milliseconds before ORSP_E_STATE, so that a short user (an LPA command) is waited
 * for rather than refused. A stop asked (stop, a signal handler's flag, read with
 * orsp_stop_set; NULL: none) ends the wait at once with that ORSP_E_STATE, and so does a
 * signal caught during one of the sleeps (EINTR; one caught between two is seen through stop
 * only). wait_ms 0: orsp_seal_open. */
ORSP_MUST_CHECK orsp_err orsp_seal_open_wait(const char *dir, const orsp_seal_provider *provider,
                                             unsigned wait_ms, const volatile sig_atomic_t *stop,
                                             orsp_seal **out);
#define ORSP_SEAL_WAIT_STEP_MS 50
void orsp_seal_close(orsp_seal *s); /* NULL is a no-op; wipes the key */

/* The process that holds the lock of the store in dir (orsp_seal_open's, create's, destroy's),
 * for saying who has it open: its pid from /proc/locks (Linux; the process that took the
 * flock), 0 when nobody holds it or it cannot be told. Reads only; takes no lock. The
 * ORSP_E_STATE of a store in use names it ("in use by another process (pid N)"). */
long orsp_seal_lock_holder(const char *dir);
/* After orsp_seal_open, orsp_seal_create or orsp_seal_destroy failed on this thread because
 * another process holds the store's lock (ORSP_E_STATE, "in use by another process"): the pid
 * orsp_seal_lock_holder found then (0 when it could not be told); 0 after any other outcome of
 * the last of those calls. Reads nothing: for a caller that words the refusal itself. */
long orsp_seal_busy_pid(void);

/* Remove the store in dir (not open anywhere: it takes the lock orsp_seal_open takes,
 * ORSP_E_STATE while a handle holds it): the manifest first (its removal flushed), then the
 * counter, the device key, the record files and temporary files; dir itself if nothing else
 * is left in it. For undoing a half-finished set-up; it does not overwrite the media.
 * ORSP_E_NOT_FOUND when dir does not exist, ORSP_E_STORAGE when a file cannot be removed (a
 * manifest that cannot be removed, or whose removal cannot be flushed: nothing else is). */
ORSP_MUST_CHECK orsp_err orsp_seal_destroy(const char *dir);
/* The same, leaving dir itself (one the caller did not make, with the owner, mode or ACL its
 * administrator gave it). */
ORSP_MUST_CHECK orsp_err orsp_seal_destroy_keep_dir(const char *dir);
/* orsp_seal_destroy for a store created with provider (orsp_seal_create_with), which the two
 * above refuse (ORSP_E_USAGE, nothing removed), as this one refuses a store of the file
 * provider's. Under the lock, before anything is removed, the provider's counter is advanced
 * twice (counter_read's c to c + 2): a copy of the store taken before (a backup, whose
 * manifest is at most one ahead of the counter) is then a rollback open refuses. An error of
 * the provider, or a counter too near 2^64 - 1 to advance (ORSP_E_STATE), is returned with
 * nothing removed; the counter may have moved on by one, so the store may no longer open, and
 * a later call removes it. With no manifest that reads (a half-made store) the counter is
 * advanced all the same. The provider is not kept and its close() is not called. */
ORSP_MUST_CHECK orsp_err orsp_seal_destroy_with(const char *dir,
                                                const orsp_seal_provider *provider);
/* The same for the store s has open, under the lock s holds (no other opener can come in
 * between), and only while it holds no record: else ORSP_E_STATE and nothing is removed (a
 * store another process provisioned meanwhile is never taken away). A store on a provider of
 * the caller's has its counter advanced first, as orsp_seal_destroy_with does. s is closed in
 * every case; dir is removed too unless keep_dir, and only if nothing else is left in it. */
ORSP_MUST_CHECK orsp_err orsp_seal_destroy_empty(orsp_seal *s, bool keep_dir);

/* Replace the n records (distinct names; data NULL: delete, absent already is fine) all
 * together or not at all. ORSP_E_USAGE for a bad name, duplicates, or more than
 * ORSP_SEAL_MAX_RECORDS records in the store, ORSP_E_RESOURCE when out of memory, ORSP_E_STATE
 * when the counter or the record generations are at 2^64 - 1 (a commit would wrap them): all
 * found before anything is written. A failure has one of two outcomes, which
 * orsp_seal_committed tells apart (as orsp_db_committed does for a database's commit):
 *  - not applied (orsp_seal_committed false): the old set stands, on disk and in the handle;
 *    the files the commit wrote are removed again and the handle stays usable. ORSP_E_STORAGE
 *    when a write, a flush or the manifest's rename fails, ORSP_E_CRYPTO when the random
 *    source, the cipher or the hash fails;
 *  - applied but not completed (ORSP_E_STORAGE, orsp_seal_committed true): the manifest was
 *    renamed into place, so the new set is what the handle holds and what open loads, but the
 *    directory's flush after the rename failed (orsp_seal_unflushed true: a power cut may
 *    still lose the new set; the counter is then left one behind, never ahead) or the
 *    counter's advance did (the set is durable, the counter one behind). Open completes the
 *    counter, as after a crash between the two steps (flushing the directory first).
 *    After a failed counter advance the handle goes on reading. The next commit on it first
 *    completes this one as open would (the counter read, and advanced if it is one behind),
 *    then goes on; while that completion fails, it is refused (ORSP_E_STORAGE, not applied,
 *    "completing it failed again") and the one after tries again. Until session 72 every
 *    further commit was refused until the store was opened again.
 *    After a failed flush the handle stops: every later read and commit is refused
 *    (ORSP_E_STORAGE) until the store is opened again, so that nothing is done on the
 *    strength of a set that may not survive a power cut. The flush is not retried (on Linux
 *    an fsync after a failed one may report success with nothing on the media). Until session
 *    78 the handle went on as after a failed counter advance, flushing again at the next
 *    commit.
 * A commit refused after a simulated crash (orsp_seal_inject_crash) is ORSP_E_STORAGE, not
 * applied. */
ORSP_MUST_CHECK orsp_err orsp_seal_commit(orsp_seal *s, const orsp_seal_record *recs, size_t n);
/* Whether the last orsp_seal_commit on s was applied (its manifest renamed into place): true
 * after ORSP_OK and after a failure that came later (orsp_seal_commit); false before any
 * commit, after one that failed or was refused before that point, for NULL, and after a
 * simulated crash (the handle of a dead process tells nothing). */
bool orsp_seal_committed(const orsp_seal *s);
/* Whether s was stopped by a commit applied but not flushed (orsp_seal_commit): its manifest
 * renamed into place, the directory's flush after it failed. s then refuses every read and
 * commit until closed; the store opened again loads what the directory holds. False for NULL
 * and after a simulated crash. */
bool orsp_seal_unflushed(const orsp_seal *s);

/* Read one record into buf. ORSP_E_NOT_FOUND when absent; ORSP_E_RESOURCE when cap is too
 * small (*len = the size needed); ORSP_E_POLICY when its file is another user's or writable by
 * group or others; ORSP_E_VERIFY when the record file is not a regular file, does
 * not authenticate or does not match the manifest (the message names the record and its
 * file); ORSP_E_STORAGE when it cannot be read or s is stopped (orsp_seal_unflushed);
 * ORSP_E_CRYPTO when the cipher or the hash fails (not tampering: OpenSSL out of memory). */
ORSP_MUST_CHECK orsp_err orsp_seal_read(orsp_seal *s, const char *name, uint8_t *buf, size_t cap,
                                        size_t *len);

/* The records present, in manifest order: count, and the name of the i-th (NULL past the end). */
size_t orsp_seal_count(const orsp_seal *s);
const char *orsp_seal_name(const orsp_seal *s, size_t i);
/* The counter value of the current manifest. */
uint64_t orsp_seal_counter(const orsp_seal *s);

/* Test hook: the n-th write step from now (n >= 1; each file write, fsync, rename, unlink and
 * counter advance is one step) fails as if the process had died just before it, and the
 * handle refuses everything afterwards, like a dead process. 0 disables. */
void orsp_seal_inject_crash(orsp_seal *s, unsigned n);

/* Test hook, process-wide (not thread-safe; NULL disables): fn(point, arg) runs at these
 * points, and a result other than ORSP_OK fails the call there as a failed write would
 * (ORSP_E_STORAGE):
 *   "open: device key checked"  file provider: after the key file's checks, before its
 *                               bytes are read
 *   "open: lock file opened"    orsp_seal_open, before it locks the lock file
 *   "open: manifest read"       orsp_seal_open, right after it read the manifest
 *   "create: parent directory fsync"  orsp_seal_create, when it made dir, before it
 *                               fsyncs the directory holding dir
 *   "create: counter", "create: manifest"  orsp_seal_create, before writing each
 *   "create: counter advance"   orsp_seal_create_with a provider, after the manifest
 *   "commit: WHAT"              orsp_seal_commit, before each write step (the steps of
 *                               orsp_seal_inject_crash): WHAT is "write", "fsync",
 *                               "directory fsync of the records", "rename", "directory
 *                               fsync" (after the rename), "counter advance" or "unlink" (a
 *                               failure there is ignored: the commit is done, and the
 *                               next open removes the old record file) */
void orsp_seal_set_test_hook(orsp_err (*fn)(const char *point, void *arg), void *arg);

#endif
