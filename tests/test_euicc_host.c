/* euicc host glue: an eUICC provisioned with the SGP.26 NIST identity into a sealed
 * directory, reopened and asked for its EID over APDUs (GetEID, SGP.22 §5.7.20); a second
 * create refused; a refused identity leaves no store behind; tampering, a device key others
 * can read and a missing directory refused on open; a change made over APDUs survives a
 * reopen, and putting the older files back is refused as a rollback. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "openrsp/der.h"
#include "openrsp/euicc.h"
#include "openrsp/seal.h"

#define EID "89049032123451234512345678901235"
#define SGP26 "sgp26/"

static char dir[1024];

typedef struct ident {
	uint8_t *sk, *cert, *eum, *ci;
	size_t sk_n, cert_n, eum_n, ci_n;
	orsp_euicc_identity id;
} ident;

static void ident_load(ident *x, const char *sk_file)
{
	memset(x, 0, sizeof(*x));
	x->sk = test_read_vector(sk_file, &x->sk_n);
	x->cert = test_read_vector(SGP26 "eUICC/CERT_EUICC_ECDSA_NIST.der", &x->cert_n);
	x->eum = test_read_vector(SGP26 "EUM/CERT_EUM_ECDSA_NIST.der", &x->eum_n);
	x->ci = test_read_vector(SGP26 "CertificateIssuer/CERT_CI_ECDSA_NIST.der", &x->ci_n);
	x->id.eid = EID;
	x->id.sk_euicc = orsp_slice_make(x->sk, x->sk_n);
	x->id.cert_euicc = orsp_slice_make(x->cert, x->cert_n);
	x->id.cert_eum = orsp_slice_make(x->eum, x->eum_n);
	x->id.ci_certs[0] = orsp_slice_make(x->ci, x->ci_n);
	x->id.n_ci = 1;
}

static void ident_free(ident *x)
{
	orsp_wipe(x->sk, x->sk_n);
	free(x->sk);
	free(x->cert);
	free(x->eum);
	free(x->ci);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%.1000s/card", test_tmpdir("euicc_host"));
	return 0;
}

static const char *in(const char *name)
{
	static char p[1100];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void create_sgp26(void)
{
	ident x;
	ident_load(&x, SGP26 "eUICC/SK_EUICC_ECDSA_NIST.pem");
	if (orsp_euicc_host_create(dir, &x.id) != ORSP_OK)
		fail_msg("create: %s", orsp_err_detail());
	ident_free(&x);
}

/* One APDU through h, following 61xx; returns SW, data into out. */
static uint16_t xfer(orsp_euicc_host *h, const uint8_t *capdu, size_t n, uint8_t *out, size_t *len)
{
	uint8_t c[300], r[ORSP_EUICC_RAPDU_MAX];
	size_t rn = 0, total = 0;
	uint16_t sw;

	memcpy(c, capdu, n);
	for (;;) {
		assert_int_equal(
		    orsp_euicc_apdu_process(orsp_euicc_host_apdu(h), c, n, r, sizeof(r), &rn),
		    ORSP_OK);
		assert_true(rn >= 2);
		memcpy(out + total, r, rn - 2);
		total += rn - 2;
		sw = (uint16_t)(r[rn - 2] << 8 | r[rn - 1]);
		if ((sw >> 8) != 0x61)
			break;
		c[0] = 0x00;
		c[1] = 0xC0;
		c[2] = c[3] = 0;
		c[4] = (uint8_t)sw;
		n = 5;
	}
	*len = total;
	return sw;
}

/* SELECT ISD-R (SGP.22 §2.2.3 AID), then GetEID: STORE DATA BF3E { 5C 01 5A }. */
static void expect_eid(orsp_euicc_host *h)
{
	static const uint8_t sel[] = {0x00, 0xA4, 0x04, 0x00, 0x10, 0xA0, 0x00, 0x00,
	                              0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF,
	                              0x89, 0x00, 0x00, 0x01, 0x00, 0x00};
	static const uint8_t get_eid[] = {0x80, 0xE2, 0x91, 0x00, 0x06, 0xBF,
	                                  0x3E, 0x03, 0x5C, 0x01, 0x5A, 0x00};
	uint8_t out[600], want[21] = {0xBF, 0x3E, 0x12, 0x5A, 0x10};
	size_t n = 0;

	assert_int_equal(orsp_hex_decode_exact(EID, want + 5, 16), ORSP_OK);
	assert_int_equal(xfer(h, sel, sizeof(sel), out, &n), 0x9000);
	assert_int_equal(xfer(h, get_eid, sizeof(get_eid), out, &n), 0x9000);
	assert_int_equal(n, 21);
	assert_bytes_equal(out, want, 21);
}

static void test_create_open(void **state)
{
	orsp_euicc_host *h = NULL;
	struct stat st;
	ident x;
	(void)state;

	create_sgp26();
	assert_int_equal(stat(in("device.key"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_OK);
	assert_string_equal(orsp_euicc_eid(orsp_euicc_host_core(h)), EID);
	assert_int_equal(orsp_euicc_profile_count(orsp_euicc_host_core(h)), 0);
	assert_int_equal(orsp_euicc_notification_count(orsp_euicc_host_core(h)), 0);
	expect_eid(h);
	orsp_euicc_host_close(h);
	/* again: the state persisted */
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_OK);
	expect_eid(h);
	orsp_euicc_host_close(h);
	orsp_euicc_host_close(NULL);
	/* a second create is refused and changes nothing */
	ident_load(&x, SGP26 "eUICC/SK_EUICC_ECDSA_NIST.pem");
	assert_int_equal(orsp_euicc_host_create(dir, &x.id), ORSP_E_EXISTS);
	ident_free(&x);
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_OK);
	orsp_euicc_host_close(h);
}

static void *host_take(void *d)
{
	orsp_euicc_host *h = NULL;
	return orsp_euicc_host_open_wait(d, 0, &h) == ORSP_OK ? h : NULL;
}

static void host_give(void *h)
{
	orsp_euicc_host_close(h);
}

/* A child holding the card for hold_ms (from when it has it: when this returns), then closing
 * it. */
static pid_t hold_in_child(unsigned hold_ms)
{
	return test_hold_in_child(host_take, host_give, dir, hold_ms);
}

/* A short user of the card in another process (an `lpa profile list` during a download):
 * waited for, not refused. Until session 75 the second opener was refused at once. */
static void test_open_waits_for_holder(void **state)
{
	orsp_euicc_host *h = NULL;
	struct timespec t0;
	(void)state;

	create_sgp26();
	pid_t pid = hold_in_child(300);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_OK);
	assert_true(test_ms_since(&t0) >= 150); /* it did wait */
	expect_eid(h);
	orsp_euicc_host_close(h);
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A holder that keeps the card past the wait: refused naming the pid and what it runs (its
 * command line's leading words), with the way out for a command that ends by itself; it said
 * "perhaps `openrsp euicc serve`: stop it" of every holder until session 75 (review find). */
static void test_open_refused_names_holder(void **state)
{
	orsp_euicc_host *h = NULL;
	char cmd[ORSP_PROC_COMMAND_MAX + 1], other[ORSP_PROC_COMMAND_MAX + 1], want[1400];
	struct timespec t0;
	(void)state;

	/* what runs this test, as a holder's is read; nobody's for a process that is gone */
	assert_true(orsp_proc_command(0, cmd, sizeof(cmd)) > 0);
	assert_int_equal(orsp_proc_command((long)getpid(), other, sizeof(other)), strlen(cmd));
	assert_string_equal(other, cmd);
	assert_null(strchr(cmd, '/')); /* the program's base name */
	create_sgp26();
	pid_t pid = hold_in_child(1500);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(orsp_euicc_host_open_wait(dir, 200, &h), ORSP_E_STATE);
	assert_true(test_ms_since(&t0) >= 200);
	assert_null(h);
	snprintf(want, sizeof(want),
	         "%s: the sealed store is in use by another process (pid %ld, `%s`): wait for it "
	         "to finish and try again",
	         dir, (long)pid, cmd);
	assert_string_equal(orsp_err_detail(), want);
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(orsp_proc_command((long)pid, other, sizeof(other)), 0); /* reaped */
}

static void test_refused_identity(void **state)
{
	struct stat st;
	ident x;
	(void)state;

	/* SK of the DPauth, not of CERT.EUICC */
	ident_load(&x, SGP26 "DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem");
	assert_int_not_equal(orsp_euicc_host_create(dir, &x.id), ORSP_OK);
	assert_int_not_equal(stat(in("manifest"), &st), 0);
	assert_int_not_equal(stat(in("device.key"), &st), 0);
	ident_free(&x);
	/* a default SM-DP+ address the LPA would not download from (orsp_fqdn_check): one
	 * label, an IPv4 address; refused before anything is written */
	static const struct {
		const char *dp, *detail;
	} bad_dp[] = {{"smdp", "one label only"},
	              {"1.2.3.4", "the last label is all digits"},
	              {"smdp..example.com", "empty label"}};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_dp); i++) {
		ident_load(&x, SGP26 "eUICC/SK_EUICC_ECDSA_NIST.pem");
		x.id.default_dp = bad_dp[i].dp;
		if (orsp_euicc_host_create(dir, &x.id) != ORSP_E_USAGE ||
		    !strstr(orsp_err_detail(), "default SM-DP+ address") ||
		    !strstr(orsp_err_detail(), bad_dp[i].detail))
			fail_msg("default_dp %s: '%s'", bad_dp[i].dp, orsp_err_detail());
		assert_int_not_equal(stat(in("manifest"), &st), 0);
		ident_free(&x);
	}
	/* the directory is usable afterwards */
	create_sgp26();
	assert_int_equal(orsp_euicc_host_create(NULL, NULL), ORSP_E_USAGE);
}

/* A refused identity changes nothing: create judges it before the store is made, with the
 * provisioning's own checks and errors (orsp_euicc_identity_check), so dir is never made (nor
 * made and removed again: its parent's mtime stays), and what a create killed inside
 * orsp_seal_create left (a device key, the counter at 0), which create starts afresh from,
 * keeps its bytes. */
static void test_identity_judged_first(void **state)
{
	static orsp_euicc work;
	static const char *const keys[] = {
	    SGP26 "DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem", /* not CERT.EUICC's */
	    SGP26 "eUICC/SK_EUICC_ECDSA_BRP.pem",         /* not on CERT.EUICC's curve */
	    SGP26 "eUICC/CERT_EUICC_ECDSA_NIST.der",      /* not a key */
	};
	static const uint8_t zero[8];
	const struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	char parent[1024], detail[ORSP_ERR_DETAIL_MAX];
	uint8_t key[32], got[40];
	struct stat st;
	orsp_err e;
	size_t n;
	FILE *f;
	ident x;
	(void)state;

	snprintf(parent, sizeof(parent), "%s", dir);
	*strrchr(parent, '/') = '\0';
	ident_load(&x, SGP26 "eUICC/SK_EUICC_ECDSA_NIST.pem");
	assert_int_equal(orsp_euicc_identity_check(NULL, &x.id), ORSP_E_USAGE);
	assert_int_equal(orsp_euicc_identity_check(&work, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_euicc_identity_check(&work, &x.id), ORSP_OK);
	x.id.eid = "89049032123451234512345678909965"; /* valid, not the certificate's */
	for (size_t i = 0; i <= ORSP_ARRAY_LEN(keys); i++) {
		if (i > 0) {
			ident_free(&x);
			ident_load(&x, keys[i - 1]);
		}
		e = orsp_euicc_identity_check(&work, &x.id);
		orsp_err_detail_copy(detail, sizeof(detail));
		assert_int_not_equal(e, ORSP_OK);
		assert_int_equal(utimensat(AT_FDCWD, parent, old, 0), 0);
		assert_int_equal(orsp_euicc_host_create(dir, &x.id), e);
		assert_string_equal(orsp_err_detail(), detail);
		assert_int_not_equal(stat(dir, &st), 0);
		assert_int_equal(stat(parent, &st), 0);
		assert_int_equal(st.st_mtime, 1000000000);
	}
	/* a killed create's leftovers */
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(orsp_random(key, sizeof(key)), ORSP_OK);
	assert_non_null(f = fopen(in("device.key"), "wb"));
	assert_int_equal(fwrite(key, 1, sizeof(key), f), sizeof(key));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(in("device.key"), 0600), 0);
	assert_non_null(f = fopen(in("counter"), "wb"));
	assert_int_equal(fwrite(zero, 1, sizeof(zero), f), sizeof(zero));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(utimensat(AT_FDCWD, dir, old, 0), 0);
	assert_int_not_equal(orsp_euicc_host_create(dir, &x.id), ORSP_OK);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mtime, 1000000000);
	assert_non_null(f = fopen(in("device.key"), "rb"));
	n = fread(got, 1, sizeof(got), f);
	fclose(f);
	assert_int_equal(n, sizeof(key));
	assert_bytes_equal(got, key, sizeof(key));
	ident_free(&x);
	/* the right key: create starts afresh there */
	create_sgp26();
}

/* A refused create removes the store's files, and the directory only when it made it: one
 * the administrator made (owner, mode, ACL) stays. A create that stopped before provisioning
 * (killed: an empty sealed store) is named as such at open, and the next create goes on in
 * it; a store with records is never touched (test_create_open). */
static void test_create_own_dir_and_resume(void **state)
{
	orsp_euicc_host *h = (orsp_euicc_host *)1;
	struct stat st;
	ident x;
	(void)state;

	assert_int_equal(mkdir(dir, 0700), 0);
	ident_load(&x, SGP26 "DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem");
	assert_int_not_equal(orsp_euicc_host_create(dir, &x.id), ORSP_OK);
	ident_free(&x);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_not_equal(stat(in("device.key"), &st), 0);
	assert_int_not_equal(stat(in("lock"), &st), 0);
	/* what a create killed between the store and the provisioning leaves */
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_E_NOT_FOUND);
	assert_null(h);
	assert_non_null(strstr(orsp_err_detail(), "an empty sealed store"));
	assert_non_null(strstr(orsp_err_detail(), "run it again"));
	create_sgp26();
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_OK);
	expect_eid(h);
	orsp_euicc_host_close(h);
	/* a refused create was given a store it did not make: it stays, empty */
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	ident_load(&x, SGP26 "DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem");
	assert_int_not_equal(orsp_euicc_host_create(dir, &x.id), ORSP_OK);
	ident_free(&x);
	assert_int_equal(stat(in("manifest"), &st), 0);
	create_sgp26();
}

static void test_open_refusals(void **state)
{
	orsp_euicc_host *h = (orsp_euicc_host *)1;
	uint8_t b;
	int fd;
	(void)state;

	/* no directory: the message says how to make an eUICC there (it said only "create
	 * one first" until session 72), the directory as typed */
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_E_NOT_FOUND);
	assert_null(h);
	{
		char want[2600];
		snprintf(want, sizeof(want),
		         "%s: no sealed store here, so no eUICC: create one with `openrsp euicc "
		         "init --state %s --pki PKI` (PKI: a directory made by `openrsp pki init`; "
		         "`openrsp euicc init --help` for other certificates), or name the "
		         "directory of an existing one",
		         dir, dir);
		assert_string_equal(orsp_err_detail(), want);
	}
	/* an empty directory: the same; one a shell would split: DIR in the command */
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_E_NOT_FOUND);
	assert_non_null(strstr(orsp_err_detail(), "create one with `openrsp euicc init --state "));
	assert_int_equal(orsp_euicc_host_open("no such dir", &h), ORSP_E_NOT_FOUND);
	assert_non_null(strstr(orsp_err_detail(), "`openrsp euicc init --state DIR --pki PKI`"));
	/* a device key without a manifest (a create that did not finish): the seal's own
	 * advice, not to create one */
	assert_int_equal(close(open(in("device.key"), O_WRONLY | O_CREAT, 0600)), 0);
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_E_NOT_FOUND);
	assert_null(strstr(orsp_err_detail(), "openrsp euicc init"));
	assert_int_equal(unlink(in("device.key")), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(orsp_euicc_host_open(NULL, &h), ORSP_E_USAGE);
	create_sgp26();
	/* device key readable by the group */
	assert_int_equal(chmod(in("device.key"), 0640), 0);
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_E_POLICY);
	assert_null(h);
	assert_int_equal(chmod(in("device.key"), 0600), 0);
	/* one flipped byte in the manifest */
	fd = open(in("manifest"), O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, 40), 1);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, 40), 1);
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_E_VERIFY);
	assert_null(h);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, 40), 1);
	close(fd);
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_OK);
	orsp_euicc_host_close(h);
}

static bool contains(const uint8_t *p, size_t n, const uint8_t *q, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(p + i, q, m) == 0)
			return true;
	return false;
}

/* A state change made over APDUs is a sealed commit that survives closing: SetDefaultDpAddress
 * (BF3F, SGP.22 §5.7.4), then GetEuiccConfiguredAddresses (BF3C, §5.7.3) after a reopen; an
 * older manifest and record set put back afterwards is refused (rollback). */
static void test_persist(void **state)
{
	static const uint8_t sel[] = {0x00, 0xA4, 0x04, 0x00, 0x10, 0xA0, 0x00, 0x00,
	                              0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF,
	                              0x89, 0x00, 0x00, 0x01, 0x00, 0x00};
	/* STORE DATA, Lc 17: BF3F { 80 "smdp.example" }, Le 00 */
	static const uint8_t set_dp[] = {0x80, 0xE2, 0x91, 0x00, 0x11, 0xBF, 0x3F, 0x0E,
	                                 0x80, 0x0C, 's',  'm',  'd',  'p',  '.',  'e',
	                                 'x',  'a',  'm',  'p',  'l',  'e',  0x00};
	static const uint8_t get_addr[] = {0x80, 0xE2, 0x91, 0x00, 0x03, 0xBF, 0x3C, 0x00, 0x00};
	static const uint8_t ok[] = {0xBF, 0x3F, 0x03, 0x80, 0x01, 0x00};
	static const uint8_t dp[] = {0x80, 0x0C, 's', 'm', 'd', 'p', '.',
	                             'e',  'x',  'a', 'm', 'p', 'l', 'e'};
	orsp_euicc_host *h = NULL;
	uint8_t out[600];
	size_t n = 0;
	char cmd[2400];
	(void)state;

	create_sgp26();
	snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s.old'", dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_OK);
	assert_int_equal(xfer(h, sel, sizeof(sel), out, &n), 0x9000);
	assert_int_equal(xfer(h, get_addr, sizeof(get_addr), out, &n), 0x9000);
	assert_false(contains(out, n, dp, sizeof(dp)));
	assert_int_equal(xfer(h, set_dp, sizeof(set_dp), out, &n), 0x9000);
	assert_int_equal(n, sizeof(ok));
	assert_bytes_equal(out, ok, sizeof(ok));
	orsp_euicc_host_close(h);
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_OK);
	assert_int_equal(xfer(h, sel, sizeof(sel), out, &n), 0x9000);
	assert_int_equal(xfer(h, get_addr, sizeof(get_addr), out, &n), 0x9000);
	assert_true(contains(out, n, dp, sizeof(dp)));
	orsp_euicc_host_close(h);
	/* the directory as it was before the commit, counter kept: a rollback */
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && cp counter counter.keep && rm -f r*.rec manifest && "
	         "cp ../card.old/manifest ../card.old/r*.rec . && mv counter.keep counter",
	         dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "rollback"));
	assert_null(h);
}

/* The default SM-DP+ address of the card in dir, read after a fresh open. */
static void stored_dp(char *out, size_t cap)
{
	orsp_euicc_host *h = NULL;
	uint8_t buf[600];
	orsp_writer w;
	orsp_reader r;
	orsp_tlv t, f;

	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_OK);
	orsp_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(orsp_euicc_es10(orsp_euicc_host_core(h),
	                                 orsp_slice_make((const uint8_t *)"\xBF\x3C\x00", 3), &w),
	                 ORSP_OK);
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(buf, w.len), &t), ORSP_OK);
	out[0] = '\0';
	orsp_reader_init(&r, t.value.p, t.value.len);
	if (!orsp_der_read(&r, &f) && f.tag == 0x80)
		snprintf(out, cap, "%.*s", (int)f.value.len, (const char *)f.value.p);
	orsp_euicc_host_close(h);
}

/* SetDefaultDpAddress(addr) on e: the error of orsp_euicc_es10. */
static orsp_err set_dp(orsp_euicc *e, const char *addr)
{
	uint8_t req[64], rsp[600];
	orsp_writer w, rw;
	orsp_der_mark m;

	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF3F);
	orsp_der_put_tlv(&w, 0x80, addr, strlen(addr));
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	orsp_writer_init(&rw, rsp, sizeof(rsp));
	return orsp_euicc_es10(e, orsp_slice_make(req, w.len), &rw);
}

/* GetEID on e: the error of orsp_euicc_es10. */
static orsp_err get_eid(orsp_euicc *e)
{
	uint8_t rsp[64];
	orsp_writer rw;

	orsp_writer_init(&rw, rsp, sizeof(rsp));
	return orsp_euicc_es10(e, orsp_slice_make((const uint8_t *)"\xBF\x3E\x00", 3), &rw);
}

/* What docs/euicc-host.md says of a sealed commit that fails in writing: the command fails
 * with ORSP_E_STORAGE (6581), the seal handle refuses everything after it, so the core cannot
 * read its state back and stops (every ES10 command ORSP_E_USAGE, 6F00) until the store is
 * opened again; the reopened store holds the state before the command or, when the failure
 * came after the manifest's rename, the one after it. A real write error first (the file
 * size limit at 1 byte: write() fails with EFBIG), then a failure injected at every write
 * step of a SetDefaultDpAddress in turn. */
/* A default SM-DP+ address of 253 characters, the longest FQDN, which SetDefaultDpAddress
 * takes, is provisioned too and read back by GetEuiccConfiguredAddresses (BF3C). */
static void test_long_default_dp(void **state)
{
	static const uint8_t sel[] = {0x00, 0xA4, 0x04, 0x00, 0x10, 0xA0, 0x00, 0x00,
	                              0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF,
	                              0x89, 0x00, 0x00, 0x01, 0x00, 0x00};
	static const uint8_t get_addr[] = {0x80, 0xE2, 0x91, 0x00, 0x03, 0xBF, 0x3C, 0x00, 0x00};
	char name[ORSP_FQDN_MAX + 1];
	uint8_t want[3 + ORSP_FQDN_MAX], out[600];
	orsp_euicc_host *h = NULL;
	size_t n = 0;
	ident x;
	(void)state;

	memset(name, 'a', ORSP_FQDN_MAX); /* labels of 63, 63, 63 and 61 */
	name[63] = name[127] = name[191] = '.';
	name[ORSP_FQDN_MAX] = '\0';
	ident_load(&x, SGP26 "eUICC/SK_EUICC_ECDSA_NIST.pem");
	x.id.default_dp = name;
	if (orsp_euicc_host_create(dir, &x.id) != ORSP_OK)
		fail_msg("create: %s", orsp_err_detail());
	ident_free(&x);
	want[0] = 0x80; /* defaultDpAddress [0] UTF8String, 253 bytes */
	want[1] = 0x81;
	want[2] = ORSP_FQDN_MAX;
	memcpy(want + 3, name, ORSP_FQDN_MAX);
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_OK);
	assert_int_equal(xfer(h, sel, sizeof(sel), out, &n), 0x9000);
	assert_int_equal(xfer(h, get_addr, sizeof(get_addr), out, &n), 0x9000);
	assert_true(contains(out, n, want, sizeof(want)));
	orsp_euicc_host_close(h);
}

static void test_failed_commit(void **state)
{
	static orsp_euicc e;
	char want[32], prev[32] = "", got[64];
	bool seen_old = false, seen_new = false;
	struct rlimit old_lim, lim;
	void (*old_xfsz)(int);
	orsp_seal *s = NULL;
	orsp_err err;
	(void)state;

	create_sgp26();
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_int_equal(orsp_euicc_open(&e, orsp_euicc_host_storage(), s), ORSP_OK);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_lim), 0);
	lim = old_lim;
	lim.rlim_cur = 1;
	old_xfsz = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	err = set_dp(&e, "efbig.example");
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old_lim), 0);
	signal(SIGXFSZ, old_xfsz);
	assert_int_equal(err, ORSP_E_STORAGE);
	assert_int_equal(orsp_euicc_sw_from_err(err), 0x6581);
	assert_false(orsp_seal_committed(s));
	orsp_err_clear();
	/* nothing was stored, so the card goes on serving from the stored state (until session
	 * 69 it stopped until reopened: an LPA could not even cancel its session) */
	assert_int_equal(get_eid(&e), ORSP_OK);
	assert_int_equal(set_dp(&e, "again.example"), ORSP_OK);
	orsp_euicc_close(&e);
	orsp_seal_close(s);
	stored_dp(got, sizeof(got));
	assert_string_equal(got, "again.example");
	snprintf(prev, sizeof(prev), "%s", "again.example");

	for (unsigned step = 1;; step++) {
		snprintf(want, sizeof(want), "dp%u.example", step);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
		assert_int_equal(orsp_euicc_open(&e, orsp_euicc_host_storage(), s), ORSP_OK);
		orsp_seal_inject_crash(s, step);
		err = set_dp(&e, want);
		if (err == ORSP_OK) { /* every step passed: the commit is done */
			orsp_euicc_close(&e);
			orsp_seal_close(s);
			stored_dp(got, sizeof(got));
			assert_string_equal(got, want);
			break;
		}
		assert_int_equal(err, ORSP_E_STORAGE);
		assert_int_equal(orsp_euicc_sw_from_err(err), 0x6581);
		orsp_err_clear();
		assert_int_equal(get_eid(&e), ORSP_E_USAGE); /* stopped */
		orsp_err_clear();
		orsp_euicc_close(&e);
		orsp_seal_close(s);
		/* reopened: the old state or the new one, never anything else */
		stored_dp(got, sizeof(got));
		if (!strcmp(got, want)) {
			seen_new = true;
			snprintf(prev, sizeof(prev), "%s", want);
		} else {
			assert_string_equal(got, prev);
			seen_old = true;
		}
		assert_true(step < 32);
	}
	assert_true(seen_old);
	assert_true(seen_new); /* a failed command whose change is there after the reopen */
}

/* Two creates of one card at once (two `openrsp euicc init` on one directory): B is run
 * whole at A's at-th test hook point, each point in turn. Exactly one makes the card, the
 * store is that one card, and the other says why it made none: the store is being
 * initialised, or holds one already. Once A holds the store's lock (every point but the two
 * before its flock), A is the one: until session 79 A let the lock go between its create and
 * its open, B took the empty store for one whose provisioning had stopped and provisioned it,
 * and A failed ("holds an eUICC already"); B coming in while A held the lock was refused "in
 * use by another process". A failure must never remove what the other made (until session
 * 56 A's undo removed B's card, SK.EUICC and all). */
typedef struct create_between {
	int at, seen;
	orsp_err b;
	char point[64], b_detail[ORSP_ERR_DETAIL_MAX];
} create_between;

static orsp_err create_in_between(const char *point, void *arg)
{
	create_between *w = arg;
	ident y;

	if (w->seen++ != w->at)
		return ORSP_OK;
	orsp_seal_set_test_hook(NULL, NULL);
	snprintf(w->point, sizeof(w->point), "%s", point);
	ident_load(&y, SGP26 "eUICC/SK_EUICC_ECDSA_NIST.pem");
	w->b = orsp_euicc_host_create(dir, &y.id);
	snprintf(w->b_detail, sizeof(w->b_detail), "%s", w->b ? orsp_err_detail() : "");
	ident_free(&y);
	return ORSP_OK;
}

static bool refused_clearly(const char *detail)
{
	return strstr(detail, " is being initialised by another process (pid ") ||
	       strstr(detail, "holds a sealed store already") ||
	       strstr(detail, "holds an eUICC already");
}

static void test_concurrent_create(void **state)
{
	int points = 0;
	ident x;
	(void)state;

	ident_load(&x, SGP26 "eUICC/SK_EUICC_ECDSA_NIST.pem");
	for (int at = 0; at < 64; at++) {
		create_between w = {.at = at, .b = ORSP_E_USAGE};
		char a_detail[ORSP_ERR_DETAIL_MAX] = "";
		orsp_euicc_host *h = NULL;
		bool before_lock;
		orsp_err a;

		if (orsp_seal_destroy(dir) != ORSP_OK) /* the first time: none there */
			orsp_err_clear();
		orsp_seal_set_test_hook(create_in_between, &w);
		a = orsp_euicc_host_create(dir, &x.id);
		orsp_seal_set_test_hook(NULL, NULL);
		if (a != ORSP_OK)
			snprintf(a_detail, sizeof(a_detail), "%s", orsp_err_detail());
		if (w.seen <= at)
			break; /* A ran through without an at-th point: each one done */
		points++;
		before_lock = !strcmp(w.point, "create: parent directory fsync") ||
		              !strcmp(w.point, "lock: lock file opened");
		if ((a == ORSP_OK) == (w.b == ORSP_OK) || (!before_lock && a != ORSP_OK) ||
		    (a != ORSP_OK && !refused_clearly(a_detail)) ||
		    (w.b != ORSP_OK && !refused_clearly(w.b_detail)))
			fail_msg("B at \"%s\": A %d (%s), B %d (%s)", w.point, a, a_detail, w.b,
			         w.b_detail);
		/* the one card, whole */
		assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_OK);
		expect_eid(h);
		orsp_euicc_host_close(h);
	}
	ident_free(&x);
	assert_true(points >= 8); /* the create's, the open's and the provisioning commit's */
}

/* An open (`openrsp euicc info`, `euicc serve`) while a create holds the store's lock and has
 * written its device key but not its manifest: refused naming the init in progress, at each
 * such point of the create. Until session 79 it said "no sealed store here, a device key but
 * no manifest: a creation that did not finish (create it again: that starts afresh)", of a
 * create that went on to make its card (review find). */
typedef struct open_between {
	int checked;
	orsp_err e;
	char detail[ORSP_ERR_DETAIL_MAX];
} open_between;

static orsp_err open_in_create(const char *point, void *arg)
{
	open_between *w = arg;
	orsp_euicc_host *h = NULL;
	struct stat st;

	if (w->e != ORSP_E_STATE || strncmp(point, "create: ", 8) != 0 ||
	    stat(in("device.key"), &st) != 0 || stat(in("manifest"), &st) == 0)
		return ORSP_OK;
	orsp_seal_set_test_hook(NULL, NULL);
	w->e = orsp_euicc_host_open_wait(dir, 50, &h);
	snprintf(w->detail, sizeof(w->detail), "%s", orsp_err_detail());
	orsp_euicc_host_close(h);
	w->checked++;
	orsp_seal_set_test_hook(open_in_create, w);
	return ORSP_OK;
}

static void test_open_while_created(void **state)
{
	char cmd[ORSP_PROC_COMMAND_MAX + 1], want[3000];
	open_between w = {.e = ORSP_E_STATE};
	orsp_euicc_host *h = NULL;
	ident x;
	(void)state;

	assert_true(orsp_proc_command(0, cmd, sizeof(cmd)) > 0); /* the holder's, as read */
	ident_load(&x, SGP26 "eUICC/SK_EUICC_ECDSA_NIST.pem");
	orsp_seal_set_test_hook(open_in_create, &w);
	assert_int_equal(orsp_euicc_host_create(dir, &x.id), ORSP_OK);
	orsp_seal_set_test_hook(NULL, NULL);
	ident_free(&x);
	snprintf(want, sizeof(want),
	         "%s is being initialised by another process (pid %ld, `%s`): once it has "
	         "finished, `openrsp euicc info --state %s` shows the card it made",
	         dir, (long)getpid(), cmd, dir);
	if (w.e != ORSP_E_STATE || strcmp(w.detail, want))
		fail_msg("open %d: '%s'", w.e, w.detail);
	assert_true(w.checked >= 2); /* before the counter, before the manifest */
	/* the card it made, opened */
	assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_OK);
	expect_eid(h);
	orsp_euicc_host_close(h);
}

/* The provisioning's commit fails (a write refused: EFBIG, files limited to 64 bytes) in a
 * store this create made: the store and the directory are removed all the same (the handle
 * was unusable after the failed write, and the store was kept, until session 56). */
static orsp_err limit_writes(const char *point, void *arg)
{
	(void)arg;
	if (strcmp(point, "open: manifest read") == 0) {
		struct rlimit rl = {64, RLIM_INFINITY};
		signal(SIGXFSZ, SIG_IGN);
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	}
	return ORSP_OK;
}

static void test_failed_commit_leaves_nothing(void **state)
{
	struct rlimit unl, old;
	struct stat st;
	orsp_err e;
	ident x;
	(void)state;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	unl = old;
	ident_load(&x, SGP26 "eUICC/SK_EUICC_ECDSA_NIST.pem");
	orsp_seal_set_test_hook(limit_writes, NULL);
	e = orsp_euicc_host_create(dir, &x.id);
	orsp_seal_set_test_hook(NULL, NULL);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &unl), 0);
	signal(SIGXFSZ, SIG_DFL);
	ident_free(&x);
	assert_int_equal(e, ORSP_E_STORAGE);
	assert_int_equal(stat(dir, &st), -1);
	/* and a create after it works */
	create_sgp26();
}

static orsp_err fail_step(const char *point, void *arg)
{
	return strcmp(point, *(const char *const *)arg) == 0 ? ORSP_E_STORAGE : ORSP_OK;
}

/* An `openrsp euicc init` whose provisioning commit was applied but not completed (the
 * counter's advance, the directory's flush after the manifest) made a whole card: it is
 * reported as made (it was a failure, and re-running was refused, "holds a sealed store
 * already", until session 69), and opens, the counter completed. One that failed before the
 * manifest's rename leaves nothing, and the next init works. */
static void test_create_commit_unfinished(void **state)
{
	static const char *points[] = {"commit: counter advance", "commit: directory fsync",
	                               "commit: rename"};
	orsp_euicc_host *h = NULL;
	struct stat st;
	ident x;
	(void)state;

	ident_load(&x, SGP26 "eUICC/SK_EUICC_ECDSA_NIST.pem");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(points); i++) {
		bool made = i < 2;
		orsp_seal_set_test_hook(fail_step, &points[i]);
		orsp_err e = orsp_euicc_host_create(dir, &x.id);
		orsp_seal_set_test_hook(NULL, NULL);
		assert_int_equal(e, made ? ORSP_OK : ORSP_E_STORAGE);
		if (!made) {
			assert_int_equal(stat(dir, &st), -1);
			continue;
		}
		assert_int_equal(orsp_euicc_host_open(dir, &h), ORSP_OK);
		expect_eid(h);
		orsp_euicc_host_close(h);
		assert_int_equal(orsp_euicc_host_create(dir, &x.id), ORSP_E_EXISTS);
		assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
	}
	ident_free(&x);
	create_sgp26();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_create_open, setup),
	    cmocka_unit_test_setup(test_refused_identity, setup),
	    cmocka_unit_test_setup(test_identity_judged_first, setup),
	    cmocka_unit_test_setup(test_create_own_dir_and_resume, setup),
	    cmocka_unit_test_setup(test_open_refusals, setup),
	    cmocka_unit_test_setup(test_persist, setup),
	    cmocka_unit_test_setup(test_long_default_dp, setup),
	    cmocka_unit_test_setup(test_failed_commit, setup),
	    cmocka_unit_test_setup(test_concurrent_create, setup),
	    cmocka_unit_test_setup(test_open_while_created, setup),
	    cmocka_unit_test_setup(test_failed_commit_leaves_nothing, setup),
	    cmocka_unit_test_setup(test_create_commit_unfinished, setup),
	    cmocka_unit_test_setup(test_open_waits_for_holder, setup),
	    cmocka_unit_test_setup(test_open_refused_names_holder, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
