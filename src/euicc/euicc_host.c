/* orsp_euicc_host: a software eUICC whose records live in a sealed directory
 * (include/openrsp/euicc.h SECTION-HOST, docs/seal.md).
 *
 * The glue is thin on purpose: the core reaches storage only through
 * orsp_euicc_storage_ops, and here those operations are the seal module's commit and read.
 * Everything a running card needs (core state, APDU buffers, APDU context) sits in one heap
 * block, wiped before it is freed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "openrsp/euicc.h"
#include "openrsp/seal.h"

struct orsp_euicc_host {
	orsp_seal *seal;
	bool core_open;
	orsp_euicc core;
	orsp_euicc_apdu_ctx apdu;
	uint8_t cmd[ORSP_EUICC_MAX_COMMAND];
	uint8_t rsp[ORSP_EUICC_MAX_RESPONSE];
};

/* ---------------------------------------------------------------- storage adapter ------- */

/* Every record of a card fits the sealed store, in number and in size: a card with every
 * ISD-P in use could otherwise not commit (ORSP_E_USAGE or ORSP_E_RESOURCE at run time). */
_Static_assert(ORSP_EUICC_MAX_RECORDS <= ORSP_SEAL_MAX_RECORDS,
               "ORSP_EUICC_MAX_PROFILES: more records than the sealed store holds");
_Static_assert(ORSP_EUICC_RECORD_MAX <= ORSP_SEAL_MAX_RECORD &&
                   ORSP_EUICC_MAX_UPP <= ORSP_SEAL_MAX_RECORD,
               "a record of the card is larger than the sealed store takes");

/* The storage operations' commit says whether the records changed (orsp_euicc_storage_ops):
 * a seal commit whose counter's advance failed after its manifest was put in place did
 * change them, durably, and is ORSP_OK here, with a warning logged: the eUICC then answers
 * with the result of what it stored, and the store's next commit completes it first
 * (orsp_seal_commit; refused, 6581, while that fails).
 * One whose directory flush after the manifest failed is not known to be durable: a power
 * cut may still lose it, so nothing it produced may leave the card (a download's PIR, which
 * the SM-DP+ takes for the profile installed; an AUTHENTICATE's RES, whose SQN a lost commit
 * would accept again). It is a failure here (ORSP_E_STORAGE): the command answers 6581, and
 * the seal handle, stopped (orsp_seal_unflushed), refuses the core's reading back, which
 * stops the card until it is opened again (restore in es10_isdr.c). Until session 78 it was
 * ORSP_OK with the warning, and the card answered with what it may then lose. */
static orsp_err host_commit(void *user, const orsp_euicc_record *recs, size_t n)
{
	orsp_seal_record sr[ORSP_SEAL_MAX_RECORDS];
	orsp_err e;

	if (!user || (n && !recs))
		return orsp_errf(ORSP_E_USAGE, "sealed storage: bad arguments");
	if (n > ORSP_SEAL_MAX_RECORDS)
		return orsp_errf(ORSP_E_USAGE, "sealed storage: %zu records in one commit", n);
	for (size_t i = 0; i < n; i++)
		sr[i] = (orsp_seal_record){recs[i].name, recs[i].data, recs[i].len};
	e = orsp_seal_commit(user, sr, n);
	if (e != ORSP_OK && orsp_seal_unflushed(user)) {
		/* said where it happens: the card's answers (6581, then 6F00) do not say why, and
		 * only a restart brings it back (until the diff review of session 78 nothing was
		 * logged) */
		char detail[ORSP_ERR_DETAIL_MAX];
		snprintf(detail, sizeof(detail), "%s", orsp_err_detail());
		orsp_log(ORSP_LOG_ERROR,
		         "eUICC storage: %s; the card is stopped until its store is opened again "
		         "(`euicc serve` started again)",
		         detail);
		e = orsp_errf(e, "%s", detail);
	} else if (e != ORSP_OK && orsp_seal_committed(user)) {
		orsp_log(ORSP_LOG_WARN, "eUICC storage: %s", orsp_err_detail());
		orsp_err_clear();
		e = ORSP_OK;
	}
	return e;
}

static orsp_err host_read(void *user, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	if (!user)
		return orsp_errf(ORSP_E_USAGE, "sealed storage: bad arguments");
	return orsp_seal_read(user, name, buf, cap, len);
}

static const orsp_euicc_storage_ops host_storage = {
    .commit = host_commit,
    .read = host_read,
};

const orsp_euicc_storage_ops *orsp_euicc_host_storage(void)
{
	return &host_storage;
}

/* ---------------------------------------------------------------- life cycle ------------ */

/* Whether a command line's words (orsp_proc_command's) are verb's ("openrsp euicc init"),
 * alone or followed by more */
static bool runs(const char *cmd, const char *verb)
{
	size_t n = strlen(verb);

	return !strncmp(cmd, verb, n) && (cmd[n] == '\0' || cmd[n] == ' ');
}

/* The refusal of a create whose store another process has locked before it held a card: an
 * init at the same moment (orsp_seal_busy_pid the process that has it, 0 when it could not be
 * told). Until session 79 it was the seal's "the sealed store is in use by another process;
 * try again", which said neither that a card was being made nor where to look for it. Also
 * the refusal of an open that found the store being created (create false: nothing to say of
 * what this call wrote). */
static orsp_err being_initialised(const char *dir, bool create)
{
	char cmd[ORSP_PROC_COMMAND_MAX + 1], who[ORSP_PROC_COMMAND_MAX + 32];
	const char *nothing = create ? "; nothing was written" : "";
	long pid = orsp_seal_busy_pid();

	if (pid > 0) {
		/* "pid N, `COMMAND`", or "pid N" when its command cannot be read */
		if (orsp_proc_command(pid, cmd, sizeof(cmd)))
			snprintf(who, sizeof(who), "pid %ld, `%s`", pid, cmd);
		else
			snprintf(who, sizeof(who), "pid %ld", pid);
		return orsp_errf(ORSP_E_STATE,
		                 "%s is being initialised by another process (%s)%s: once it has "
		                 "finished, `openrsp euicc info --state %s` shows the card it made",
		                 dir, who, nothing, dir);
	}
	return orsp_errf(ORSP_E_STATE,
	                 "%s was being initialised by another process, which has ended since%s: "
	                 "`openrsp euicc info --state %s` shows whether it made a card (if not, "
	                 "run init again)",
	                 dir, nothing, dir);
}

orsp_err orsp_euicc_host_create(const char *dir, const orsp_euicc_identity *id)
{
	orsp_seal *s = NULL;
	orsp_euicc *work = NULL; /* the provisioning's workspace, wiped by it */
	struct stat st;
	bool dir_existed, resumed = false;
	orsp_err e;

	if (!dir || !dir[0] || !id)
		return orsp_errf(ORSP_E_USAGE, "euicc host: bad arguments");
	work = calloc(1, sizeof(*work));
	if (!work)
		return orsp_errf(ORSP_E_RESOURCE, "euicc host: out of memory");
	/* Bad input changes nothing in dir: the identity is judged whole before the store is
	 * made (judged by the provisioning alone, a refused key cost a store made and taken
	 * away again, with whatever a killed create had left there). */
	if ((e = orsp_euicc_identity_check(work, id)) != ORSP_OK)
		goto out;
	dir_existed = stat(dir, &st) == 0;
	/* The store made and opened under one hold of its lock, kept until the provisioning
	 * has committed: an init at the same moment finds the lock taken (being_initialised),
	 * or, once it is released, a card (ORSP_E_EXISTS). Until session 79 the lock was let
	 * go between the create and the open, and the other init could take the new empty
	 * store for one to resume and provision it, the first then refused with "holds an
	 * eUICC already" or "in use by another process". */
	e = orsp_seal_create_open(dir, &s);
	if (e == ORSP_E_EXISTS) {
		/* A store without a single record is one whose create stopped before the
		 * provisioning committed (killed, a power cut): the provisioning goes on in it.
		 * A store with records, or one that does not open, is never touched. */
		char detail[ORSP_ERR_DETAIL_MAX], cmd[ORSP_PROC_COMMAND_MAX + 1];
		orsp_err_detail_copy(detail, sizeof(detail));
		orsp_err o = orsp_seal_open(dir, NULL, &s);
		long pid = orsp_seal_busy_pid();
		if (o == ORSP_OK && orsp_seal_count(s) == 0) {
			resumed = true;
			orsp_err_clear();
		} else if (o == ORSP_E_STATE && pid > 0 &&
		           orsp_proc_command(pid, cmd, sizeof(cmd)) &&
		           runs(cmd, "openrsp euicc init")) {
			/* another init has it: the card it makes is not known yet */
			e = being_initialised(dir, true);
			goto out;
		} else {
			e = orsp_errf(ORSP_E_EXISTS, "%s", detail);
			goto out;
		}
	} else if (e == ORSP_E_STATE) {
		/* the lock taken before this create could write anything, and no store there yet
		 * when it looked: another create's (or its lock file replaced meanwhile, by a
		 * create after a destroy) */
		e = being_initialised(dir, true);
		goto out;
	} else if (e != ORSP_OK) {
		goto out;
	}
	e = orsp_euicc_provision(work, &host_storage, s, id);
	if (e != ORSP_OK && s && orsp_seal_unflushed(s)) {
		/* The provisioning's commit was applied but its directory flush failed (a
		 * failure of host_commit's, the handle stopped). Opened again, the store flushes
		 * its directory before it completes the counter (orsp_seal_open): a card it then
		 * holds is made, reported with the warning (as until session 78, when the flush
		 * was only tried again at the next commit); one whose open fails is an error,
		 * and nothing is undone. */
		char detail[ORSP_ERR_DETAIL_MAX];
		orsp_err_detail_copy(detail, sizeof(detail));
		orsp_seal_close(s);
		s = NULL;
		if (orsp_seal_open(dir, NULL, &s) == ORSP_OK && orsp_seal_count(s) > 0) {
			orsp_log(ORSP_LOG_WARN, "eUICC storage: %s; opened again, it was flushed",
			         detail);
			orsp_err_clear();
			e = ORSP_OK;
		} else {
			orsp_seal_close(s);
			s = NULL;
			e = orsp_errf(e, "%s", detail);
		}
	}
	if (e != ORSP_OK && !resumed && s) {
		/* Undo the store this call created, and the directory if it made that too, under
		 * the lock this handle holds and only while it holds no record: another init
		 * may take the empty store for one to resume once it is closed below, and
		 * provision it: that one is kept (until session 56 it was removed, its SK.EUICC
		 * with it). The first error's detail is kept. */
		char detail[ORSP_ERR_DETAIL_MAX];
		orsp_err_detail_copy(detail, sizeof(detail));
		/* opened again first, so that the count is the one on disk (a failed commit
		 * left the handle unusable, and the store kept, until session 56; since session
		 * 69 only a commit that did not change the store fails here); another process
		 * may take it in between, and then it holds its records or is in use: kept */
		orsp_seal_close(s);
		s = NULL;
		if (orsp_seal_open(dir, NULL, &s) == ORSP_OK &&
		    orsp_seal_destroy_empty(s, dir_existed) != ORSP_OK) {
			/* nothing more to do: the caller sees the provisioning error */
		}
		s = NULL;
		e = orsp_errf(e, "%s", detail);
	}
	orsp_seal_close(s);
	s = NULL;
out:
	orsp_seal_close(s);
	free(work);
	return e;
}

/* No trace of a store in dir, or no dir at all: no manifest and no device key of the file
 * provider (docs/seal.md). What a create left half done or a damaged store keeps the seal's
 * own message, which says what to do about it. */
static bool no_store(const char *dir)
{
	static const char *const files[] = {"manifest", "device.key"};
	char p[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (snprintf(p, sizeof(p), "%s/%s", dir, files[i]) >= (int)sizeof(p) ||
		    lstat(p, &st) == 0 || errno != ENOENT)
			return false;
	return true;
}

/* A store in use whose manifest is not there yet: being created by its holder (the seal's open
 * refuses it so only while the lock is held, and waits for it first) */
static bool creating(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	return snprintf(p, sizeof(p), "%s/manifest", dir) < (int)sizeof(p) && lstat(p, &st) != 0 &&
	       errno == ENOENT;
}

/* dir is a word the shell takes as it is (no quoting needed in a command to paste) */
static bool plain_word(const char *dir)
{
	return dir[0] && dir[0] != '-' &&
	       strspn(dir, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	                   "_./+-:,@%=") == strlen(dir);
}

/* The refusal of a store process pid holds, naming what it runs (orsp_proc_command) */
static orsp_err in_use(const char *dir, long pid)
{
	char cmd[ORSP_PROC_COMMAND_MAX + 1], self[ORSP_PROC_COMMAND_MAX + 1];

	if (!orsp_proc_command(pid, cmd, sizeof(cmd)))
		/* ended since /proc/locks was read, or /proc hides it */
		return orsp_errf(
		    ORSP_E_STATE,
		    "%s: the sealed store is in use by another process (pid %ld, "
		    "perhaps `openrsp euicc serve`): stop it, or reach the card "
		    "through it with the LPA's --euicc pcsc; if it has ended, try again",
		    dir, pid);
	if (!runs(cmd, "openrsp euicc serve"))
		return orsp_errf(
		    ORSP_E_STATE,
		    "%s: the sealed store is in use by another process (pid %ld, `%s`): "
		    "wait for it to finish and try again",
		    dir, pid, cmd);
	if (orsp_proc_command(0, self, sizeof(self)) && runs(self, "openrsp euicc serve"))
		return orsp_errf(
		    ORSP_E_STATE,
		    "%s: the sealed store is in use by another process (pid %ld, `%s`): "
		    "this eUICC is served already; stop that one first",
		    dir, pid, cmd);
	return orsp_errf(ORSP_E_STATE,
	                 "%s: the sealed store is in use by another process (pid %ld, `%s`): stop "
	                 "it, or reach the card through it with the LPA's --euicc pcsc",
	                 dir, pid, cmd);
}

orsp_err orsp_euicc_host_open(const char *dir, orsp_euicc_host **out)
{
	return orsp_euicc_host_open_wait(dir, ORSP_EUICC_HOST_WAIT_MS, out);
}

orsp_err orsp_euicc_host_open_wait(const char *dir, unsigned wait_ms, orsp_euicc_host **out)
{
	orsp_euicc_host *h = NULL;
	orsp_err e;

	if (!dir || !out)
		return orsp_errf(ORSP_E_USAGE, "euicc host: bad arguments");
	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return orsp_errf(ORSP_E_RESOURCE, "euicc host: out of memory");
	if ((e = orsp_seal_open_wait(dir, NULL, wait_ms, NULL, &h->seal)) != ORSP_OK) {
		/* an eUICC in use: who has it said, and the way out for what it is. `euicc serve`
		 * is stopped, or the LPA reaches the card through it with PC/SC; another command
		 * (an LPA download) is waited for: stopping it would leave its SM-DP+ order in
		 * error (until session 75 every holder was "perhaps `openrsp euicc serve`: stop
		 * it"; review find) */
		long pid = e == ORSP_E_STATE ? orsp_seal_busy_pid() : 0; /* open read it */
		if (pid > 0 && creating(dir))
			e = being_initialised(dir, false);
		else if (pid > 0)
			e = in_use(dir, pid);
		/* where no eUICC was ever made (a mistyped --euicc local:DIR or --state): how to
		 * make one said; it said only "create one first" */
		if (e == ORSP_E_NOT_FOUND && no_store(dir))
			e = orsp_errf(
			    ORSP_E_NOT_FOUND,
			    "%s: no sealed store here, so no eUICC: create one with "
			    "`openrsp euicc init --state %s --pki PKI` (PKI: a directory made "
			    "by `openrsp pki init`; `openrsp euicc init --help` for other "
			    "certificates), or name the directory of an existing one",
			    dir, plain_word(dir) ? dir : "DIR");
		goto out;
	}
	if ((e = orsp_euicc_open(&h->core, &host_storage, h->seal)) != ORSP_OK) {
		if (e == ORSP_E_NOT_FOUND && orsp_seal_count(h->seal) == 0)
			e = orsp_errf(
			    ORSP_E_NOT_FOUND,
			    "%s: an empty sealed store, no eUICC in it (an `openrsp euicc "
			    "init` that did not finish: run it again)",
			    dir);
		goto out;
	}
	h->core_open = true;
	if ((e = orsp_euicc_apdu_init(&h->apdu, h->cmd, sizeof(h->cmd), h->rsp, sizeof(h->rsp))) !=
	    ORSP_OK)
		goto out;
	if ((e = orsp_euicc_attach(&h->core, &h->apdu)) != ORSP_OK)
		goto out;
	*out = h;
	h = NULL;
out:
	orsp_euicc_host_close(h);
	return e;
}

orsp_euicc_apdu_ctx *orsp_euicc_host_apdu(orsp_euicc_host *h)
{
	return h ? &h->apdu : NULL;
}

orsp_euicc *orsp_euicc_host_core(orsp_euicc_host *h)
{
	return h ? &h->core : NULL;
}

void orsp_euicc_host_close(orsp_euicc_host *h)
{
	if (!h)
		return;
	if (h->core_open)
		orsp_euicc_close(&h->core);
	orsp_seal_close(h->seal);
	orsp_wipe(h, sizeof(*h));
	free(h);
}
