/* Handing subscribers to another core network element: their K and OPc in the clear, in a
 * format the other side reads (osmo-hlr's VTY commands so far).
 *
 * This is the one place where keys leave the AuC unwrapped, so it is careful: nothing is
 * written unless every subscriber asked for can be represented; a named output file is new
 * (never an existing name), mode 0600, and has its name only once it is complete and flushed
 * (an unnamed O_TMPFILE linked in place: a process killed outright leaves nothing); the text
 * is kept in one buffer that is wiped; every
 * subscriber read is audited (orsp_auc_export_keys) and committed before the text leaves.
 */
#define _GNU_SOURCE /* O_TMPFILE (Linux) */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auc_internal.h"
#include "openrsp/auc.h"

/* osmo-hlr's aud3g takes K and OPc of 16 bytes and an IND length of 0..28 bits (its VTY
 * `[ind-bitlen] [<0-28>]`, default 5); ours is at most ORSP_SQN_MAX_IND_BITS. */
#define OSMO_HLR_MAX_IND_BITS 28
_Static_assert(ORSP_SQN_MAX_IND_BITS <= OSMO_HLR_MAX_IND_BITS, "IND length osmo-hlr cannot take");
/* libosmocore's osmo_imsi_str_valid, which osmo-hlr's `subscriber imsi` checks: 6..15
 * digits; the AuC takes 5 (ORSP_IMSI_MIN_DIGITS). */
#define OSMO_HLR_MIN_IMSI_DIGITS 6
_Static_assert(ORSP_IMSI_MAX_DIGITS <= 15, "IMSI osmo-hlr cannot take");

/* The longest text of one subscriber: the two commands with a 15-digit IMSI. */
#define OSMO_HLR_SUB_MAX                                                                           \
	(sizeof("subscriber imsi  create\n") +                                                     \
	 sizeof("subscriber imsi  update aud3g milenage k ") + sizeof(" opc  ind-bitlen 255\n") +  \
	 2 * ORSP_IMSI_MAX_DIGITS + 2 * 32)

static const char osmo_hlr_header[] =
    "! openrsp auc export --format osmo-hlr-vty: K and OPc IN THE CLEAR.\n"
    "! osmo-hlr VTY commands (enable mode); delete this file once osmo-hlr has them.\n";

const char *orsp_auc_export_format_name(orsp_auc_export_format fmt)
{
	return fmt == ORSP_AUC_EXPORT_OSMO_HLR_VTY ? "osmo-hlr-vty" : "?";
}

orsp_err orsp_auc_export_format_parse(const char *name, orsp_auc_export_format *out)
{
	if (name && strcmp(name, "osmo-hlr-vty") == 0) {
		*out = ORSP_AUC_EXPORT_OSMO_HLR_VTY;
		return ORSP_OK;
	}
	return orsp_errf(ORSP_E_USAGE, "unknown export format '%s' (expected osmo-hlr-vty)",
	                 name ? name : "");
}

orsp_err orsp_auc_export_check(orsp_auc_export_format fmt, const orsp_auc_info *info)
{
	orsp_milenage_consts def;

	if (fmt != ORSP_AUC_EXPORT_OSMO_HLR_VTY)
		return orsp_errf(ORSP_E_USAGE, "unknown export format %d", (int)fmt);
	if (strlen(info->imsi) < OSMO_HLR_MIN_IMSI_DIGITS)
		return orsp_errf(ORSP_E_POLICY,
		                 "subscriber %s: an IMSI of %zu digits cannot be exported to "
		                 "osmo-hlr (it takes %d to 15)",
		                 info->imsi, strlen(info->imsi), OSMO_HLR_MIN_IMSI_DIGITS);
	/* osmo-hlr 1.5 (Debian 12) has Milenage only in aud3g; later versions add TUAK but
	 * without a way to set its MAC/RES/CK/IK lengths or Keccak iterations. */
	if (info->alg != ORSP_AKA_MILENAGE || info->k_len != 16)
		return orsp_errf(
		    ORSP_E_POLICY,
		    "subscriber %s: TUAK cannot be exported to osmo-hlr (its aud3g takes "
		    "Milenage only)",
		    info->imsi);
	/* libosmocore's Milenage has the TS 35.206 rotations and constants built in */
	orsp_milenage_default_consts(&def);
	if (memcmp(&def, &info->milenage, sizeof(def)) != 0)
		return orsp_errf(
		    ORSP_E_POLICY,
		    "subscriber %s: Milenage with other r1..r5/c1..c5 than TS 35.206's "
		    "cannot be exported to osmo-hlr (it has no setting for them)",
		    info->imsi);
	/* osmo-hlr has no AMF per subscriber: 0000, with the separation bit (TS 33.102 Annex H)
	 * set for E-UTRAN requests; 8000 is the AuC's default and means the same. */
	if ((info->amf[0] & 0x7f) != 0 || info->amf[1] != 0)
		return orsp_errf(ORSP_E_POLICY,
		                 "subscriber %s: AMF %02x%02x cannot be exported to osmo-hlr (it "
		                 "always uses 0000, or 8000 with the separation bit)",
		                 info->imsi, info->amf[0], info->amf[1]);
	if (info->ind_bits > OSMO_HLR_MAX_IND_BITS)
		return orsp_errf(ORSP_E_POLICY,
		                 "subscriber %s: IND length %u is above osmo-hlr's %d bits",
		                 info->imsi, info->ind_bits, OSMO_HLR_MAX_IND_BITS);
	return ORSP_OK;
}

/* ----- the text ----- */

typedef struct text {
	char *p;
	size_t len, cap;
	size_t *start; /* where subscriber i's text begins */
	bool short_; /* cap is computed from the subscriber count: checked, not trusted */
} text;

static void put(text *t, const char *s)
{
	size_t n = strlen(s);
	if (n > t->cap - t->len) {
		t->short_ = true;
		return;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

/* Lower-case hex without a branch or a table lookup on the key's bits (a table indexed by a
 * secret nibble leaks it through the cache). */
static void put_hex_ct(text *t, const orsp_secret *s)
{
	if (s->len > (t->cap - t->len) / 2) {
		t->short_ = true;
		return;
	}
	for (size_t i = 0; i < s->len; i++) {
		for (int h = 0; h < 2; h++) {
			unsigned v = h ? s->v[i] & 15u : (unsigned)s->v[i] >> 4;
			/* v <= 9: 9 - v >= 0 and the mask is 0; v > 9 wraps and adds 'a' - '0' - 10
			 */
			t->p[t->len++] = (char)(v + '0' + (((9u - v) >> 8) & ('a' - '0' - 10)));
		}
	}
}

static void put_osmo_hlr(text *t, const orsp_auc_info *info, const orsp_secret *k,
                         const orsp_secret *opc)
{
	char num[8];

	put(t, "subscriber imsi ");
	put(t, info->imsi);
	put(t, " create\nsubscriber imsi ");
	put(t, info->imsi);
	put(t, " update aud3g milenage k ");
	put_hex_ct(t, k);
	put(t, " opc ");
	put_hex_ct(t, opc);
	snprintf(num, sizeof(num), "%u", info->ind_bits);
	put(t, " ind-bitlen ");
	put(t, num);
	put(t, "\n");
}

/* ----- which subscribers ----- */

typedef struct imsi_list {
	char (*v)[ORSP_IMSI_MAX_DIGITS + 1];
	size_t n, cap;
	orsp_err err;
} imsi_list;

static orsp_err list_add(imsi_list *l, const char *imsi)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		void *p = reallocarray(l->v, cap, sizeof(*l->v));
		if (!p)
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		l->v = p;
		l->cap = cap;
	}
	snprintf(l->v[l->n++], sizeof(*l->v), "%s", imsi);
	return ORSP_OK;
}

static int list_one(const orsp_auc_info *info, void *arg)
{
	imsi_list *l = arg;
	l->err = list_add(l, info->imsi);
	return l->err != ORSP_OK;
}

/* The IMSIs asked for, checked (digits, none twice), or every subscriber's. */
static orsp_err collect(orsp_auc *a, const char *const *imsis, size_t n, imsi_list *l)
{
	orsp_err err;

	if (!imsis) {
		err = orsp_auc_list(a, list_one, l);
		if (!err)
			err = l->err;
		if (!err && l->n == 0)
			err = orsp_errf(ORSP_E_NOT_FOUND, "no subscribers to export");
		return err;
	}
	if (n == 0)
		return orsp_errf(ORSP_E_USAGE, "auc export: no IMSI given");
	for (size_t i = 0; i < n; i++) {
		if (!orsp_imsi_valid(imsis[i]))
			return orsp_errf(
			    ORSP_E_USAGE, "IMSI '%s': expected %d to %d decimal digits",
			    imsis[i] ? imsis[i] : "", ORSP_IMSI_MIN_DIGITS, ORSP_IMSI_MAX_DIGITS);
		for (size_t j = 0; j < i; j++)
			if (strcmp(imsis[i], imsis[j]) == 0)
				return orsp_errf(ORSP_E_USAGE, "IMSI %s given twice", imsis[i]);
		err = list_add(l, imsis[i]);
		if (err)
			return err;
	}
	return ORSP_OK;
}

/* ----- output ----- */

/* A reader that has gone away (a closed pipe) must be EPIPE, not SIGPIPE: killed, the
 * caller could not add the "not written" audit rows the keys' export rows need. So SIGPIPE
 * is blocked in this thread for the write (not ignored process-wide: the caller's
 * disposition stays), and one the write raised is taken off before the mask is restored,
 * unless one was pending already (that one is the caller's). A write to a pipe sends
 * SIGPIPE to the writing thread, so sigtimedwait here is the one that sees it. */
static orsp_err write_all(int fd, const char *what, const char *p, size_t n, size_t *done)
{
	sigset_t pipe_set, old, pending;
	bool was_pending, epipe = false;
	orsp_err err = ORSP_OK;
	int rc;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pending);
	was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
	rc = pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	if (rc != 0)
		return orsp_errf(ORSP_E_IO, "write to %s: cannot block SIGPIPE: %s", what,
		                 strerror(rc));
	if (orsp_file_write_done(fd, p, n, done) != 0) {
		epipe = errno == EPIPE;
		err = orsp_errf(ORSP_E_IO, "write to %s failed: %s", what, strerror(errno));
	}
	if (epipe && !was_pending) {
		const struct timespec now = {0, 0};
		while (sigtimedwait(&pipe_set, NULL, &now) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

/* A stop asked for (SIGINT, SIGTERM, SIGHUP in the CLI) before the text is written: a signal's
 * default action would have killed the process with the file created, empty or (in the middle
 * of a long write) cut, and the keys' audit rows without their "not written" ones. */
static orsp_err interrupted(const volatile sig_atomic_t *stop)
{
	if (orsp_stop_set(stop))
		return orsp_errf(ORSP_E_STATE, "interrupted: nothing exported");
	return ORSP_OK;
}

/* Read every subscriber of l (audited, one transaction) into t. */
static orsp_err make_text(orsp_auc *a, orsp_auc_export_format fmt, const imsi_list *l,
                          const char *detail, const volatile sig_atomic_t *stop, text *t)
{
	orsp_err err;
	orsp_auc_info info;
	orsp_secret k = {0}, opc = {0};
	orsp_db *db = orsp_auc_db(a);

	/* BEGIN IMMEDIATE: the rows checked are the rows read */
	err = orsp_db_begin(db);
	if (err)
		return err;
	/* every subscriber checked before any key is unwrapped */
	for (size_t i = 0; i < l->n && !err; i++) {
		err = orsp_auc_get(a, l->v[i], &info);
		if (!err)
			err = orsp_auc_export_check(fmt, &info);
	}
	if (!err)
		put(t, osmo_hlr_header);
	for (size_t i = 0; i < l->n && !err; i++) {
		err = interrupted(stop);
		if (!err)
			err = orsp__auc_export_keys_in(a, l->v[i], detail, &info, &k, &opc);
		if (!err) {
			t->start[i] = t->len;
			put_osmo_hlr(t, &info, &k, &opc);
		}
		orsp_secret_wipe(&k);
		orsp_secret_wipe(&opc);
	}
	if (!err && t->short_)
		err = orsp_errf(ORSP_E_RESOURCE, "auc export: text buffer too small");
	if (err) {
		orsp_db_rollback(db);
		return err;
	}
	return orsp_db_commit(db);
}

/* The audit detail of an export to the file `path`, just created as `fd`: the format and the
 * file's absolute name, resolved through the descriptor (/proc/self/fd), so the row says
 * where the keys went whatever the directory the export ran in, even if a directory on the
 * way is renamed meanwhile. Without /proc: the real path of the file by its name. The
 * reason comes first in an error, so that a long path cut from the message keeps it. */
static orsp_err file_detail(orsp_auc_export_format fmt, int fd, const char *path, char *out,
                            size_t cap)
{
	char link[64], real[PATH_MAX], copy[PATH_MAX];
	ssize_t n;

	if (fd >= 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, real, sizeof(real));
		if (n < 0 && errno != ENAMETOOLONG && realpath(path, real))
			n = (ssize_t)strlen(real);
	} else {
		/* not named yet (the unnamed file gets its name at the end): its directory's real
		 * path, then its own name (dirname and basename each take a copy) */
		char base[PATH_MAX];
		if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
			return orsp_errf(ORSP_E_USAGE, "path too long: %s", path);
		snprintf(base, sizeof(base), "%s", path);
		n = -1;
		if (realpath(dirname(copy), real)) {
			size_t dl = strlen(real);
			int k = snprintf(real + dl, sizeof(real) - dl, "%s%s",
			                 real[dl - 1] == '/' ? "" : "/", basename(base));
			n = k < 0 ? -1 : (ssize_t)(dl + (size_t)k);
		}
	}
	if ((n < 0 && errno == ENAMETOOLONG) || n >= (ssize_t)sizeof(real))
		return orsp_errf(ORSP_E_USAGE, "path too long: %s", path);
	if (n < 0)
		return orsp_errf(ORSP_E_IO, "cannot resolve the file created: %s: %s",
		                 strerror(errno), path);
	real[n] = '\0';
	if (snprintf(out, cap, "%s to %s", orsp_auc_export_format_name(fmt), real) >= (int)cap)
		return orsp_errf(ORSP_E_USAGE, "path too long: %s", path);
	return ORSP_OK;
}

/* The output file for path: an unnamed file in its directory (O_TMPFILE), *unnamed true, which
 * orsp_file_link_unnamed names once it is complete; where the kernel or the file system has
 * none, the file itself, new (O_EXCL), *unnamed false. An existing name is refused first
 * (ORSP_E_EXISTS), before any key is read. */
static orsp_err out_open(const char *path, int *fd, bool *unnamed)
{
	struct stat st;
	bool none = false;

	*unnamed = false;
	if (lstat(path, &st) == 0)
		return orsp_errf(ORSP_E_EXISTS, "%s already exists (not overwritten)", path);
	if (strlen(path) >= PATH_MAX)
		return orsp_errf(ORSP_E_USAGE, "path too long: %s", path);
	*fd = orsp_file_open_unnamed(path, &none);
	if (*fd >= 0) {
		*unnamed = true;
		return ORSP_OK;
	}
	if (none)
		*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd >= 0)
		return ORSP_OK;
	return errno == EEXIST
	           ? orsp_errf(ORSP_E_EXISTS, "%s already exists (not overwritten)", path)
	           : orsp_errf(ORSP_E_IO, "cannot create the file: %s: %s", strerror(errno), path);
}

/* The unnamed file fd, complete and flushed, named path (never over a file made there
 * meanwhile: ORSP_E_EXISTS). */
static orsp_err out_name(int fd, const char *path)
{
	if (orsp_file_link_unnamed(fd, path) == 0)
		return ORSP_OK;
	return errno == EEXIST
	           ? orsp_errf(ORSP_E_EXISTS, "%s was made meanwhile (not overwritten)", path)
	           : orsp_errf(ORSP_E_IO, "cannot name the file: %s: %s", strerror(errno), path);
}

/* What a failed export leaves of the file it named (or made): removed, or, when that fails,
 * said in the error, as the file holds keys in the clear. */
static orsp_err out_remove(orsp_err err, const char *path)
{
	char why[ORSP_ERR_DETAIL_MAX];

	if (unlink(path) == 0 || errno == ENOENT)
		return err;
	orsp_err_detail_copy(why, sizeof(why));
	return orsp_errf(err, "%s; and %s, which holds keys in the clear, cannot be removed: %s",
	                 why, path, strerror(errno));
}

/* A regular file behind the descriptor (standard output redirected to one) is flushed as a
 * named file is: its "ok" rows say the keys are there. A pipe or a terminal has no flush. */
static orsp_err out_flush(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || fsync(fd) == 0)
		return ORSP_OK;
	return orsp_errf(ORSP_E_IO, "fsync of %s failed: %s", path ? path : "the output",
	                 strerror(errno));
}

/* room for the longest format name, " to " and a PATH_MAX path */
_Static_assert(ORSP_AUC_AUDIT_DETAIL_MAX >= 32 + 4 + PATH_MAX, "audit detail too short");

orsp_err orsp_auc_export(orsp_auc *a, orsp_auc_export_format fmt, const char *const *imsis,
                         size_t n, const char *path, int fd, const volatile sig_atomic_t *stop,
                         size_t *count)
{
	orsp_err err;
	imsi_list l = {0};
	text t = {0};
	char detail[ORSP_AUC_AUDIT_DETAIL_MAX];
	bool opened = false, unnamed = false, created = false, committed = false;
	size_t done = 0;

	if (count)
		*count = 0;
	if (!a || (!path && fd < 0))
		return orsp_errf(ORSP_E_USAGE, "auc export: missing arguments");
	if (fmt != ORSP_AUC_EXPORT_OSMO_HLR_VTY)
		return orsp_errf(ORSP_E_USAGE, "unknown export format %d", (int)fmt);
	/* before the file is created: its keys would be out while a rollback of the caller's
	 * transaction could still undo their audit rows */
	err = orsp__auc_refuse_nested(a, "export");
	if (!err)
		err = interrupted(stop);
	if (err)
		return err;
	err = collect(a, imsis, n, &l);
	if (err)
		goto out;
	if (!path)
		snprintf(detail, sizeof(detail), "%s to %s", orsp_auc_export_format_name(fmt),
		         fd == STDOUT_FILENO ? "standard output" : "a descriptor");
	t.cap = sizeof(osmo_hlr_header) + l.n * OSMO_HLR_SUB_MAX;
	t.p = malloc(t.cap);
	t.start = calloc(l.n, sizeof(*t.start));
	if (!t.p || !t.start) {
		err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	if (path) {
		/* opened first: an existing file is refused before any key is read */
		err = out_open(path, &fd, &unnamed);
		if (err)
			goto out;
		opened = true;
		created = !unnamed;
		/* after the open: the directory exists, and its real path is the one used */
		err = file_detail(fmt, unnamed ? -1 : fd, path, detail, sizeof(detail));
		if (err)
			goto out;
	}
	err = make_text(a, fmt, &l, detail, stop, &t);
	if (err)
		goto out;
	committed = true;
	/* the last moment a stop leaves nothing written; once begun, the write is completed (a
	 * handled signal does not cut a write to a file short, and write_all goes on after one) */
	err = interrupted(stop);
	if (!err)
		err = write_all(fd, path ? path : "the output", t.p, t.len, &done);
	if (!err)
		err = out_flush(fd, path);
	/* named once complete and flushed */
	if (!err && unnamed && !(err = out_name(fd, path)))
		created = true;
	if (path) {
		if (close(fd) != 0 && !err)
			err = orsp_errf(ORSP_E_IO, "close of %s failed: %s", path, strerror(errno));
		fd = -1;
	}
	/* the file's name durable too: its "ok" rows name a file a power cut must not take
	 * away (as a backup's directory is flushed) */
	if (!err && path)
		err = orsp_fsync_dir_of(path);
out:
	if (opened && fd >= 0)
		close(fd);
	if (err && created)
		err = out_remove(err, path);
	if (err && committed) {
		/* the export rows are in: say the keys did not get out after all (best effort:
		 * the error reported is the write's) */
		char why[ORSP_ERR_DETAIL_MAX];
		orsp_err_detail_copy(why, sizeof(why));
		for (size_t i = 0; i < l.n; i++) {
			/* a descriptor's reader (a pipe) has what was written: a subscriber whose
			 * text had begun to go out is not "not written" (a file is removed) */
			bool out = !path && done > t.start[i];
			if (orsp__auc_audit(a, "export", l.v[i],
			                    out ? "partly written" : "not written",
			                    detail) != ORSP_OK)
				break;
		}
		err = orsp_errf(err, "%s", why);
	}
	if (!err && count)
		*count = l.n;
	if (t.p) {
		orsp_wipe(t.p, t.cap);
		free(t.p);
	}
	free(t.start);
	free(l.v);
	return err;
}
