/* `openrsp pki`: a private GSMA-RSP-style test PKI (SGP.22 v2 certificate profile).
 *
 * `pki init DIR` creates a CI, an EUM with an EID-prefix range, one eUICC of that range, and
 * the SM-DP+ certificates DPauth, DPpb and DPtls, on NIST P-256, brainpoolP256r1 or both.
 * Private keys are written 0600 and never overwritten (orsp_ec_save_private_pem); with
 * --force the files of the layout are renamed aside first (NAME.old-PID), put back if the run
 * fails or is stopped by a signal, and removed once it succeeded; nothing else in DIR is
 * touched.
 * The layout is in docs/pki.md and in the README.txt written into DIR.
 *
 * `pki smdp DIR --ci CIDIR` issues DPauth, DPpb and DPtls for a further SM-DP+ (its own FQDN
 * and OID) from the CI of an existing `pki init` hierarchy, into DIR/smdp: several SM-DP+
 * servers under one CI, as in the GSMA ecosystem.
 *
 * `pki crl --issuer-cert CERT --issuer-key KEY --out FILE` issues a CRL (RFC 5280 §5) of a CI
 * (listing EUM and SM-DP+ certificates) or of an EUM (listing eUICC certificates), signed
 * with the issuer's key file; an empty one says that nothing is revoked.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "openrsp/crypto.h"
#include "openrsp/der.h"
#include "openrsp/smdp.h"

#define DEFAULT_EID_PREFIX "89049032"            /* the SGP.26 test EUM's prefix */
#define DEFAULT_FQDN "testsmdpplus1.example.com" /* SGP.23 TEST_DP_ADDRESS1 */
#define DEFAULT_OID "2.999.10"                   /* the SGP.26 test SM-DP+ OID */
#define DEFAULT_DAYS 3650
#define MAX_DAYS 36500
/* DPtls: a TLS server certificate, at most 397 days by default (SGP.26's DPtls are issued
 * for about 13 months), never over 825 (Apple's platforms refuse a TLS server certificate
 * valid longer, private CA or not); never past --days */
#define DEFAULT_TLS_DAYS 397
#define MAX_TLS_DAYS 825
#define BACKDATE_S 3600 /* notBefore one hour back: tolerate clock skew */
#define PATH_CAP 4096

/* Subject names; the SGP.26 set has the same shape (docs/pki.md). */
#define CI_ORG "openrsp"
#define CI_OU "TESTCERT"
#define CI_CN "openrsp Test CI"
#define EUM_ORG "openrsp Test EUM"
#define EUM_CN "openrsp EUM"
#define EUICC_CN "openrsp Test eUICC"
#define DP_ORG "openrsp"
#define DP_CN "openrsp SM-DP+"
#define COUNTRY "XX" /* ISO 3166 user-assigned: no real country */

enum {
	OPT_CURVE = CLI_OPT_CMD,
	OPT_EID_PREFIX,
	OPT_EID,
	OPT_FQDN,
	OPT_OID,
	OPT_DAYS,
	OPT_TLS_DAYS,
	OPT_EINS,
	OPT_FORCE,
	OPT_JSON,
	OPT_CI,
	OPT_DPAUTH_KEY,
	OPT_DPPB_KEY,
	OPT_ISSUER_CERT,
	OPT_ISSUER_KEY,
	OPT_OUT,
	OPT_REASON,
	OPT_NUMBER,
	OPT_THIS_UPDATE,
	/* repeated, they add up: pki crl's certificates to list, the distribution points */
	OPT_REVOKE = CLI_OPT_ADDS,
	OPT_SERIAL,
	OPT_CRL_URL,
	OPT_EUM_CRL_URL,
};

/* The certificates of one hierarchy, in issuing order. */
enum { C_CI, C_EUM, C_EUICC, C_DPAUTH, C_DPPB, C_DPTLS, C__COUNT };

static const struct layout {
	orsp_rsp_role role;
	const char *label; /* for output */
	const char *subdir;
	const char *base; /* <subdir>/<base>.der, .pem, _key.pem */
	int issuer;       /* index of the issuer, or -1 for self-signed */
} layout[C__COUNT] = {
    [C_CI] = {ORSP_ROLE_CI, "CI", "ci", "ci", -1},
    [C_EUM] = {ORSP_ROLE_EUM, "EUM", "eum", "eum", C_CI},
    [C_EUICC] = {ORSP_ROLE_EUICC, "eUICC", "euicc", "euicc", C_EUM},
    [C_DPAUTH] = {ORSP_ROLE_DP_AUTH, "DPauth", "smdp", "dpauth", C_CI},
    [C_DPPB] = {ORSP_ROLE_DP_PB, "DPpb", "smdp", "dppb", C_CI},
    [C_DPTLS] = {ORSP_ROLE_DP_TLS, "DPtls", "smdp", "dptls", C_CI},
};

static const char *const subdirs[] = {"ci", "eum", "euicc", "smdp"};
static const char *const suffixes[] = {".der", ".pem", "_key.pem"};

typedef struct pki_opts {
	const char *dir;
	bool nist, brainpool;
	const char *prefix;
	char eid[33];
	const char *fqdn;
	const char *oid;
	unsigned days;
	bool days_given;   /* --days given, not the default */
	unsigned tls_days; /* the DPtls certificate's, within days; 0: DEFAULT_TLS_DAYS */
	bool eins, force, json;
	bool quiet; /* no summary (in-process use by the demo) */
	/* set by SIGINT, SIGTERM, SIGHUP: the run stops before its next certificate and
	 * undoes itself; NULL: not looked at (in-process use by the demo) */
	const volatile sig_atomic_t *stop;
	/* pki smdp: the DPauth and DPpb keys in a PKCS#11 token (URIs), or NULL: made here */
	const char *token_key[2];
	/* cRLDistributionPoints: the CI's CRL (in the certificates the CI issues) and the EUM's
	 * (in the eUICC's); NULL-terminated, empty: none */
	const char *crl_urls[ORSP_CERT_MAX_CRL_URLS + 1];
	const char *eum_crl_urls[ORSP_CERT_MAX_CRL_URLS + 1];
} pki_opts;

/* One issued hierarchy, for the summary. */
typedef struct hierarchy {
	orsp_curve curve;
	char base[PATH_CAP];
	uint8_t ski[C__COUNT][32];
	size_t ski_len[C__COUNT];
} hierarchy;

/* ----- argument checks ----- */

static bool digits_only(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int path_join(char *out, const char *a, const char *b, const char *c)
{
	int n = snprintf(out, PATH_CAP, "%s%s%s%s%s", a, b ? "/" : "", b ? b : "", c ? "/" : "",
	                 c ? c : "");
	if (n < 0 || n >= PATH_CAP)
		return cli_usage("DIR", "path too long");
	return CLI_OK;
}

/* <base>/<subdir>/<name><suffix> of certificate i; false if it does not fit. */
static bool layout_path(char out[PATH_CAP], const char *base, int i, const char *suffix)
{
	int n =
	    snprintf(out, PATH_CAP, "%s/%s/%s%s", base, layout[i].subdir, layout[i].base, suffix);
	return n >= 0 && n < PATH_CAP;
}

/* ----- the directory ----- */

/* What this run created, in order: a failed run removes it again, newest first, and leaves
 * alone whatever existed before (pki init with --curve both creates at most 48 entries).
 * With --force, the old files of the layout it replaces, renamed aside (set_aside): a failed
 * run puts them back, a run that succeeded removes them (created_done). */
#define CREATED_MAX 64
typedef struct created {
	size_t n, n_aside;
	bool dir[CREATED_MAX];
	char path[CREATED_MAX][PATH_CAP];
	char was[CREATED_MAX][PATH_CAP], aside[CREATED_MAX][PATH_CAP];
} created;

static int created_add(created *c, const char *path, bool dir)
{
	if (c->n == CREATED_MAX)
		return cli_failf(path, "internal error: too many files created");
	memcpy(c->path[c->n], path, strlen(path) + 1); /* path_join bounds it by PATH_CAP */
	c->dir[c->n++] = dir;
	return CLI_OK;
}

static void created_undo(created *c)
{
	while (c->n > 0) {
		c->n--;
		if (c->dir[c->n])
			rmdir(c->path[c->n]);
		else
			unlink(c->path[c->n]);
	}
	/* the old files back where they were (their directories existed: none was created) */
	while (c->n_aside > 0) {
		c->n_aside--;
		if (rename(c->aside[c->n_aside], c->was[c->n_aside]) != 0)
			fprintf(stderr, "openrsp: %s: cannot put back as %s: %s\n",
			        c->aside[c->n_aside], c->was[c->n_aside], strerror(errno));
	}
}

/* The run succeeded: the old files it replaced go, and each directory that held them is
 * flushed, so that a crash does not bring them back (an old CI key among them). The new files
 * stay whatever happens here (nothing is left to undo): a flush that fails is said, with
 * the files it may bring back, and fails the run. */
static int created_done(created *c)
{
	char last[PATH_CAP] = "";
	int rc = CLI_OK;

	for (size_t i = 0; i < c->n_aside; i++)
		(void)unlink(c->aside[i]);
	for (size_t i = 0; i < c->n_aside; i++) {
		char dir[PATH_CAP];
		const char *slash = strrchr(c->aside[i], '/');
		size_t n = slash ? (size_t)(slash - c->aside[i]) : 0;
		/* the asides of one directory come one after another: flushed once */
		memcpy(dir, c->aside[i], n);
		dir[n] = '\0';
		if (i > 0 && strcmp(dir, last) == 0)
			continue;
		memcpy(last, dir, n + 1);
		if (orsp_fsync_dir_of(c->aside[i]) != ORSP_OK && rc == CLI_OK)
			rc = cli_failf(c->aside[i],
			               "the new files are in place, but a crash may bring back the "
			               "old ones removed (NAME.old-%ld): %s",
			               (long)getpid(), orsp_err_detail());
	}
	c->n_aside = 0;
	c->n = 0; /* the run's files stay */
	return rc;
}

/* CLI_OK, or once a signal came (o->stop) the failure that undoes the run. */
static int stop_check(const pki_opts *o, const char *verb)
{
	if (!o->stop || !orsp_stop_set(o->stop))
		return CLI_OK;
	return cli_failf(verb, "stopped by a signal: nothing written%s",
	                 o->force ? ", the old files put back" : "");
}

/* 1 if dir has an entry other than . and .., 0 if empty, -1 on error (errno). */
static int dir_has_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			found = 1;
			break;
		}
	closedir(d);
	return found;
}

/* follow: a symbolic link to a directory will do (the DIR the user named; the run's own
 * subdirectories must be directories themselves) */
static int make_dir(const char *path, created *c, bool follow)
{
	struct stat st;
	int rc;

	if (mkdir(path, 0755) == 0) {
		if ((rc = created_add(c, path, true)) != CLI_OK)
			return rc;
		/* its name in its parent survives a crash (the files made in it flush it) */
		orsp_err e = orsp_fsync_dir_of(path);
		return e ? cli_fail(path, e) : CLI_OK;
	}
	if (errno == EEXIST && (follow ? stat(path, &st) : lstat(path, &st)) == 0 &&
	    S_ISDIR(st.st_mode))
		return CLI_OK;
	return cli_failf(path, "cannot create directory: %s",
	                 errno == EEXIST ? "exists and is not a directory" : strerror(errno));
}

/* --force: a file of the layout (a regular file or a link, never a directory) renamed aside
 * to path.old-PID, for created_undo to put back or created_done to remove. */
static int set_aside(const char *path, created *c)
{
	struct stat st;
	int n;

	if (lstat(path, &st) != 0) {
		if (errno != ENOENT)
			return cli_failf(path, "cannot inspect: %s", strerror(errno));
		orsp_file_remove_leftovers(path);
		return CLI_OK;
	}
	if (S_ISDIR(st.st_mode))
		return cli_failf(path, "is a directory, expected a file of the PKI layout");
	orsp_file_remove_leftovers(path);
	if (c->n_aside == CREATED_MAX)
		return cli_failf(path, "internal error: too many files replaced");
	/* never over a name that exists: one an earlier run killed left (the same PID, in a
	 * container) may be the only copy of an old key; .old-PID, else .old-PID.1, .2 ... */
	for (int k = 0;; k++) {
		char *aside = c->aside[c->n_aside];
		n = k ? snprintf(aside, PATH_CAP, "%s.old-%ld.%d", path, (long)getpid(), k)
		      : snprintf(aside, PATH_CAP, "%s.old-%ld", path, (long)getpid());
		if (n < 0 || n >= PATH_CAP)
			return cli_usage("DIR", "path too long");
		struct stat ast;
		/* link(2) refuses an existing name (rename(2) would replace it); a file system
		 * without hard links: renamed after looking */
		if (link(path, aside) == 0) {
			if (unlink(path) == 0)
				break;
			int err = errno;
			(void)unlink(aside);
			return cli_failf(path, "cannot set aside: %s", strerror(err));
		}
		if (errno == EEXIST && k < 100)
			continue;
		if ((errno == EPERM || errno == ENOTSUP || errno == EMLINK) &&
		    lstat(aside, &ast) != 0 && errno == ENOENT && rename(path, aside) == 0)
			break;
		return cli_failf(path, "cannot set aside: %s", strerror(errno));
	}
	memcpy(c->was[c->n_aside], path, strlen(path) + 1);
	c->n_aside++;
	return CLI_OK;
}

/* DIR exists and is empty (created if missing); with --force it may hold anything. */
static int prepare_dir(const pki_opts *o, created *c)
{
	int has;
	int rc = make_dir(o->dir, c, true);

	if (rc)
		return rc;
	has = dir_has_entries(o->dir);
	if (has < 0)
		return cli_failf(o->dir, "cannot read directory: %s", strerror(errno));
	if (has && !o->force)
		return cli_failf(o->dir, "directory is not empty (use --force to write into it)");
	return CLI_OK;
}

/* The hierarchy's subdirectories; with --force, the old files of the layout set aside. */
static int prepare_hierarchy(const pki_opts *o, const char *base, created *c)
{
	char path[PATH_CAP];
	int rc;

	if (strcmp(base, o->dir) != 0 && (rc = make_dir(base, c, false)) != CLI_OK)
		return rc;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(subdirs); i++) {
		if ((rc = path_join(path, base, subdirs[i], NULL)) ||
		    (rc = make_dir(path, c, false)))
			return rc;
	}
	if (!o->force)
		return CLI_OK;
	for (size_t i = 0; i < C__COUNT; i++)
		for (size_t s = 0; s < ORSP_ARRAY_LEN(suffixes); s++) {
			if (!layout_path(path, base, (int)i, suffixes[s]))
				return cli_usage("DIR", "path too long");
			if ((rc = set_aside(path, c)) != CLI_OK)
				return rc;
		}
	return CLI_OK;
}

/* ----- issuing ----- */

static void fill_template(const pki_opts *o, int which, time_t nb, time_t na,
                          const char *const *eins, orsp_cert_template *t)
{
	t->not_before = nb;
	t->not_after = na;
	switch (which) {
	case C_CI:
		t->country = COUNTRY;
		t->org = CI_ORG;
		t->org_unit = CI_OU;
		t->common_name = CI_CN;
		break;
	case C_EUM:
		/* SGP.22 §4.5.2.1.0.2: the EID range as a nameConstraints directoryName. */
		t->country = COUNTRY;
		t->org = EUM_ORG;
		t->common_name = EUM_CN;
		t->nc_org = EUM_ORG;
		t->eid_prefix = o->prefix;
		if (o->eins)
			t->permitted_eins = eins;
		break;
	case C_EUICC:
		/* SGP.22 §4.5.2.1.0.3: subject serialNumber = EID, O = the EUM's. */
		t->country = COUNTRY;
		t->org = EUM_ORG;
		t->serial_number = o->eid;
		t->common_name = EUICC_CN;
		break;
	case C_DPAUTH:
	case C_DPPB:
		t->org = DP_ORG;
		t->common_name = DP_CN;
		t->san_rid = o->oid;
		break;
	case C_DPTLS: {
		/* from notBefore (backdated): a validity period of at most tls_days, which is
		 * what Apple's rule counts (now + tls_days was an hour over; review find) */
		time_t lim = nb + (time_t)(o->tls_days ? o->tls_days : DEFAULT_TLS_DAYS) * 86400;
		if (lim < t->not_after)
			t->not_after = lim;
		t->org = DP_ORG;
		t->common_name = strlen(o->fqdn) <= 64 ? o->fqdn : DP_CN;
		t->san_dns = o->fqdn;
		t->san_rid = o->oid;
		break;
	}
	default:
		break;
	}
	/* where the issuer's CRL is, in the certificates it issues (none in the CI's own) */
	if (which == C_EUICC && o->eum_crl_urls[0])
		t->crl_urls = o->eum_crl_urls;
	else if (which != C_CI && which != C_EUICC && o->crl_urls[0])
		t->crl_urls = o->crl_urls;
}

static bool crl_url_for(const char *url, orsp_curve curve, char *out, size_t cap);

/* t's CRL URLs with {curve} as curve's name, in urls (pointed to by ptrs, which t then
 * names); CLI_FAIL when one does not fit. */
typedef struct crl_urls_buf {
	char urls[ORSP_CERT_MAX_CRL_URLS][ORSP_CERT_URL_MAX + 1];
	const char *ptrs[ORSP_CERT_MAX_CRL_URLS + 1];
} crl_urls_buf;

static int expand_crl_urls(orsp_cert_template *t, orsp_curve curve, crl_urls_buf *b,
                           const char *label)
{
	size_t n = 0;

	if (!t->crl_urls)
		return CLI_OK;
	for (; t->crl_urls[n] && n < ORSP_CERT_MAX_CRL_URLS; n++) {
		if (!crl_url_for(t->crl_urls[n], curve, b->urls[n], sizeof(b->urls[n])))
			return cli_failf(label, "CRL URL too long");
		b->ptrs[n] = b->urls[n];
	}
	b->ptrs[n] = NULL;
	t->crl_urls = b->ptrs;
	return CLI_OK;
}

static int issue_hierarchy(const pki_opts *o, hierarchy *h, created *c)
{
	crl_urls_buf ub;
	orsp_ec_key *keys[C__COUNT] = {0};
	orsp_cert *certs[C__COUNT] = {0};
	const char *const eins[] = {o->prefix, NULL};
	time_t now = time(NULL);
	time_t nb = now - BACKDATE_S, na = now + (time_t)o->days * 86400;
	char path[PATH_CAP];
	int rc = CLI_OK;
	orsp_err e;

	for (int i = 0; i < C__COUNT; i++) {
		const struct layout *l = &layout[i];
		orsp_cert_template t;

		if ((rc = stop_check(o, "pki init")) != CLI_OK)
			goto out;
		e = orsp_ec_generate(h->curve, &keys[i]);
		if (e) {
			rc = cli_fail("key generation", e);
			goto out;
		}
		e = orsp_cert_template_init(&t, l->role);
		if (e) {
			rc = cli_fail(l->label, e);
			goto out;
		}
		fill_template(o, i, nb, na, eins, &t);
		/* {curve} in a CRL URL: this hierarchy's */
		if ((rc = expand_crl_urls(&t, h->curve, &ub, l->label)) != CLI_OK)
			goto out;
		e = orsp_cert_issue(&t, keys[i], l->issuer < 0 ? keys[i] : keys[l->issuer],
		                    l->issuer < 0 ? NULL : certs[l->issuer], &certs[i]);
		if (e) {
			rc = cli_fail(l->label, e);
			goto out;
		}
		e = orsp_cert_ski(certs[i], h->ski[i], sizeof(h->ski[i]), &h->ski_len[i]);
		if (e) {
			rc = cli_fail(l->label, e);
			goto out;
		}
		for (size_t s = 0; s < ORSP_ARRAY_LEN(suffixes); s++) {
			if (!layout_path(path, h->base, i, suffixes[s])) {
				rc = cli_usage("DIR", "path too long");
				goto out;
			}
			e = s == 2 ? orsp_ec_save_private_pem(keys[i], path)
			           : orsp_cert_save(certs[i], path);
			if (e) {
				rc = cli_fail(path, e);
				goto out;
			}
			if ((rc = created_add(c, path, false)) != CLI_OK)
				goto out;
		}
	}
out:
	for (int i = 0; i < C__COUNT; i++) {
		orsp_cert_free(certs[i]);
		orsp_ec_free(keys[i]);
	}
	return rc;
}

/* ----- README.txt and the summary ----- */

/* DIR/README.txt, written as the key and certificate files are (orsp_file_create: whole or
 * not at all, its name flushed in DIR). */
static int write_readme(const pki_opts *o, const hierarchy *hs, size_t nh, created *c)
{
	char path[PATH_CAP];
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	orsp_err e;
	int rc;

	if ((rc = path_join(path, o->dir, "README.txt", NULL)) != CLI_OK)
		return rc;
	if (o->force && (rc = set_aside(path, c)) != CLI_OK)
		return rc;
	f = open_memstream(&text, &len);
	if (!f)
		return cli_failf(path, "cannot create: %s", strerror(errno));
	fprintf(f,
	        "openrsp test PKI (GSMA SGP.22 v2 certificate profile) - NOT for production.\n"
	        "Created by `openrsp pki init`; see docs/pki.md in the openrsp sources.\n\n"
	        "EID of the eUICC:  %s (EUM range: EIDs starting with %s)\n"
	        "SM-DP+ FQDN:       %s\n"
	        "SM-DP+ OID (RID):  %s\n"
	        "Validity:          %u days from creation (notBefore backdated one hour),\n"
	        "                   DPtls %u days\n\n",
	        o->eid, o->prefix, o->fqdn, o->oid, o->days, o->tls_days);
	for (size_t k = 0; k < nh; k++) {
		const char *rel = hs[k].base + strlen(o->dir);
		fprintf(f, "Hierarchy on %s in .%s:\n", orsp_curve_name(hs[k].curve), rel);
		for (int i = 0; i < C__COUNT; i++) {
			char hex[65] = "";
			if (orsp_hex_encode(hs[k].ski[i], hs[k].ski_len[i], hex, sizeof(hex)))
				hex[0] = '\0';
			fprintf(f, "  %-6s  %s/%s.{der,pem} key %s/%s_key.pem  SKI %s\n",
			        layout[i].label, layout[i].subdir, layout[i].base, layout[i].subdir,
			        layout[i].base, hex);
		}
		fputc('\n', f);
	}
	fprintf(
	    f, "Files: <name>.der and <name>.pem hold the same certificate; <name>_key.pem is\n"
	       "the private key (PKCS#8, mode 0600). Issuers: the CI signs itself, the EUM,\n"
	       "DPauth, DPpb and DPtls; the EUM signs the eUICC.\n\n"
	       "Checks:\n"
	       "  openssl verify -CAfile ci/ci.pem smdp/dptls.pem   (also dpauth, dppb, eum)\n"
	       "  The eUICC certificate fails `openssl verify` with \"permitted subtree\n"
	       "  violation\": its EID is checked by the GSMA EID-prefix rule, not RFC 5280\n"
	       "  name matching (as with the SGP.26 test eUICC); openrsp's verifier applies it.\n");
	if (fclose(f) != 0) {
		free(text);
		return cli_failf(path, "cannot create: out of memory");
	}
	e = orsp_file_create(path, text, len, 0644);
	free(text);
	if (e)
		return cli_fail(path, e);
	if ((rc = created_add(c, path, false)) != CLI_OK)
		(void)unlink(path);
	return rc;
}

static void print_summary(const pki_opts *o, const hierarchy *hs, size_t nh)
{
	char path[PATH_CAP];

	if (o->json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_str(&j, "dir", o->dir);
		cj_str(&j, "eid", o->eid);
		cj_str(&j, "eid_prefix", o->prefix);
		cj_str(&j, "smdp_fqdn", o->fqdn);
		cj_str(&j, "smdp_oid", o->oid);
		cj_u64(&j, "days", o->days);
		cj_u64(&j, "tls_days", o->tls_days);
		cj_arr_begin(&j, "hierarchies");
		for (size_t k = 0; k < nh; k++) {
			cj_obj_begin(&j, NULL);
			cj_str(&j, "curve", orsp_curve_name(hs[k].curve));
			cj_str(&j, "dir", hs[k].base);
			cj_arr_begin(&j, "certs");
			for (int i = 0; i < C__COUNT; i++) {
				const struct layout *l = &layout[i];
				cj_obj_begin(&j, NULL);
				cj_str(&j, "role", l->label);
				cj_str(&j, "der",
				       layout_path(path, hs[k].base, i, ".der") ? path : "");
				cj_str(&j, "pem",
				       layout_path(path, hs[k].base, i, ".pem") ? path : "");
				cj_str(&j, "key",
				       layout_path(path, hs[k].base, i, "_key.pem") ? path : "");
				cj_hex(&j, "ski", hs[k].ski[i], hs[k].ski_len[i]);
				cj_obj_end(&j);
			}
			cj_arr_end(&j);
			cj_obj_end(&j);
		}
		cj_arr_end(&j);
		cj_obj_end(&j);
		cj_done(&j);
		return;
	}
	cli_kv_str("EID", o->eid);
	cli_kv_str("range", o->prefix);
	cli_kv_str("SM-DP+", o->fqdn);
	cli_kv_str("OID", o->oid);
	for (size_t k = 0; k < nh; k++) {
		printf("\n%s hierarchy in %s\n", orsp_curve_name(hs[k].curve), hs[k].base);
		for (int i = 0; i < C__COUNT; i++) {
			const struct layout *l = &layout[i];
			char hex[65] = "";
			if (orsp_hex_encode(hs[k].ski[i], hs[k].ski_len[i], hex, sizeof(hex)))
				hex[0] = '\0';
			printf("  %-6s  %s  SKI %s\n", l->label,
			       layout_path(path, hs[k].base, i, ".pem") ? path : "", hex);
		}
	}
	fflush(stdout);
}

/* ----- init ----- */

/* --smdp-fqdn, --smdp-oid, --days and --tls-days of init and smdp, checked before anything
 * is written. The default --tls-days is cut to --days silently; an explicit one past it is a
 * usage error (why: the rule, said in the message), not changed behind the user's back. */
static int check_smdp_opts(pki_opts *o, const char *days, const char *tls_days, const char *why)
{
	uint64_t v;
	int rc;

	if (!orsp_cert_dns_name_ok(o->fqdn))
		return cli_usage("--smdp-fqdn",
		                 "%s; expected a host name (at least two labels of letters, digits "
		                 "and '-' separated by dots, the last not all digits: not an IP "
		                 "address)",
		                 orsp_err_detail());
	/* the server's rule (`oid` of smdp serve): a hierarchy made here can be served */
	if (orsp_smdp_oid_check(o->oid))
		return cli_usage("--smdp-oid", "%s", orsp_err_detail());
	if (days) {
		if ((rc = cli_uint("--days", days, 1, MAX_DAYS, &v)) != CLI_OK)
			return rc;
		o->days = (unsigned)v;
		o->days_given = true;
	}
	o->tls_days = DEFAULT_TLS_DAYS;
	if (tls_days) {
		if ((rc = cli_uint("--tls-days", tls_days, 1, MAX_TLS_DAYS, &v)) != CLI_OK)
			return rc;
		o->tls_days = (unsigned)v;
	}
	if (o->tls_days > o->days) {
		if (tls_days)
			return cli_usage("--tls-days", "%u is past --days %u: %s", o->tls_days,
			                 o->days, why);
		o->tls_days = o->days;
	}
	return CLI_OK;
}

/* --crl-url / --eum-crl-url: one more URL into list (NULL-terminated, up to
 * ORSP_CERT_MAX_CRL_URLS). */
#define CURVE_MARK "{curve}"

/* url with each {curve} replaced by the curve's name (nist, brainpool) into out; false when
 * it does not fit */
static bool crl_url_for(const char *url, orsp_curve curve, char *out, size_t cap)
{
	const char *name = curve == ORSP_CURVE_P256 ? "nist" : "brainpool", *m;
	size_t n = 0;

	while ((m = strstr(url, CURVE_MARK))) {
		int w = snprintf(out + n, cap - n, "%.*s%s", (int)(m - url), url, name);
		if (w < 0 || (size_t)w >= cap - n)
			return false;
		n += (size_t)w;
		url = m + strlen(CURVE_MARK);
	}
	return (size_t)snprintf(out + n, cap - n, "%s", url) < cap - n;
}

static int add_crl_url(const char *opt, const char **list, const char *url)
{
	char b[ORSP_CERT_URL_MAX + 16];
	bool fits;
	size_t n = 0;

	while (list[n])
		n++;
	if (n == ORSP_CERT_MAX_CRL_URLS)
		return cli_usage(opt, "at most %d", ORSP_CERT_MAX_CRL_URLS);
	/* checked as it will be written, {curve} replaced (brainpool: the longer name) */
	fits = crl_url_for(url, ORSP_CURVE_BRAINPOOLP256R1, b, sizeof(b));
	if (!fits || !orsp_cert_crl_url_ok(b))
		return cli_usage(opt, "%s", fits ? orsp_err_detail() : "too long");
	list[n] = url;
	list[n + 1] = NULL;
	return CLI_OK;
}

static int parse_init(int argc, char **argv, pki_opts *o)
{
	static const struct option opts[] = {
	    {"curve", required_argument, NULL, OPT_CURVE},
	    {"eid-prefix", required_argument, NULL, OPT_EID_PREFIX},
	    {"eid", required_argument, NULL, OPT_EID},
	    {"smdp-fqdn", required_argument, NULL, OPT_FQDN},
	    {"smdp-oid", required_argument, NULL, OPT_OID},
	    {"days", required_argument, NULL, OPT_DAYS},
	    {"tls-days", required_argument, NULL, OPT_TLS_DAYS},
	    {"permitted-eins", no_argument, NULL, OPT_EINS},
	    {"crl-url", required_argument, NULL, OPT_CRL_URL},
	    {"eum-crl-url", required_argument, NULL, OPT_EUM_CRL_URL},
	    {"force", no_argument, NULL, OPT_FORCE},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	const char *curve = "nist", *eid = NULL, *days = NULL, *tls_days = NULL;
	int c, rc;

	o->prefix = DEFAULT_EID_PREFIX;
	o->fqdn = DEFAULT_FQDN;
	o->oid = DEFAULT_OID;
	o->days = DEFAULT_DAYS;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case '?':
			return CLI_USAGE;
		case OPT_CURVE:
			curve = optarg;
			break;
		case OPT_EID_PREFIX:
			o->prefix = optarg;
			break;
		case OPT_EID:
			eid = optarg;
			break;
		case OPT_FQDN:
			o->fqdn = optarg;
			break;
		case OPT_OID:
			o->oid = optarg;
			break;
		case OPT_DAYS:
			days = optarg;
			break;
		case OPT_TLS_DAYS:
			tls_days = optarg;
			break;
		case OPT_EINS:
			o->eins = true;
			break;
		case OPT_CRL_URL:
			if ((rc = add_crl_url("--crl-url", o->crl_urls, optarg)) != CLI_OK)
				return rc;
			break;
		case OPT_EUM_CRL_URL:
			if ((rc = add_crl_url("--eum-crl-url", o->eum_crl_urls, optarg)) != CLI_OK)
				return rc;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 1, "DIR")) != CLI_OK)
		return rc;
	o->dir = argv[optind];
	if (!o->dir[0])
		return cli_usage("DIR", "empty path");
	if ((rc = cli_not_stdout("DIR", o->dir, "directory")) != CLI_OK)
		return rc;
	if (strlen(o->dir) > PATH_CAP - 64)
		return cli_usage("DIR", "path too long");
	if (strcmp(curve, "nist") == 0)
		o->nist = true;
	else if (strcmp(curve, "brainpool") == 0)
		o->brainpool = true;
	else if (strcmp(curve, "both") == 0)
		o->nist = o->brainpool = true;
	else
		return cli_usage("--curve", "expected nist, brainpool or both");
	/* two CIs are two issuers: one distribution point cannot hold the CRL of both (the
	 * same URL in both hierarchies left one of them with no CRL it could fetch) */
	for (int l = 0; l < 2 && o->nist && o->brainpool; l++) {
		const char *const *urls = l ? o->eum_crl_urls : o->crl_urls;
		for (size_t i = 0; urls[i]; i++)
			if (!strstr(urls[i], CURVE_MARK))
				return cli_usage(
				    l ? "--eum-crl-url" : "--crl-url",
				    "with --curve both, each hierarchy's issuers need a CRL "
				    "of their own: put " CURVE_MARK " in the URL (nist or "
				    "brainpool in each hierarchy's certificates)");
	}
	if (!digits_only(o->prefix) || strlen(o->prefix) > 30)
		return cli_usage("--eid-prefix", "expected 1 to 30 decimal digits");
	if ((rc = check_smdp_opts(o, days, tls_days,
	                          "a DPtls certificate cannot outlive its CI")) != CLI_OK)
		return rc;
	if (eid) {
		if (strlen(eid) != 32 || !digits_only(eid))
			return cli_usage("--eid", "expected 32 decimal digits");
		if (orsp_eid_check(eid) != ORSP_OK)
			return cli_usage("--eid",
			                 "wrong check digits (ISO 7064 MOD 97-10, SGP.29)");
		if (strncmp(eid, o->prefix, strlen(o->prefix)) != 0)
			return cli_usage("--eid", "does not start with the EID prefix %s",
			                 o->prefix);
		memcpy(o->eid, eid, 33);
	}
	return CLI_OK;
}

static int pki_make(pki_opts o)
{
	hierarchy *hs = NULL;
	created *made = NULL;
	size_t nh = 0;
	orsp_err e;
	int rc;

	if (!o.eid[0]) {
		e = orsp_eid_generate(o.prefix, o.eid);
		if (e)
			return cli_fail("EID", e);
	}
	hs = calloc(2, sizeof(*hs));
	made = calloc(1, sizeof(*made));
	if (!hs || !made) {
		free(hs);
		free(made);
		return cli_failf("pki init", "out of memory");
	}
	rc = prepare_dir(&o, made);
	if (rc)
		goto out;
	if (o.nist)
		hs[nh++].curve = ORSP_CURVE_P256;
	if (o.brainpool)
		hs[nh++].curve = ORSP_CURVE_BRAINPOOLP256R1;
	for (size_t k = 0; k < nh; k++) {
		const char *sub = nh == 1                          ? NULL
		                  : hs[k].curve == ORSP_CURVE_P256 ? "nist"
		                                                   : "brainpool";
		if ((rc = path_join(hs[k].base, o.dir, sub, NULL)) != CLI_OK ||
		    (rc = prepare_hierarchy(&o, hs[k].base, made)) != CLI_OK ||
		    (rc = issue_hierarchy(&o, &hs[k], made)) != CLI_OK)
			goto out;
	}
	if ((rc = stop_check(&o, "pki init")) != CLI_OK)
		goto out;
	rc = write_readme(&o, hs, nh, made);
	if (rc)
		goto out;
	/* every name flushed once this returns: the new directories in their parents as they
	 * were made (make_dir), each file in its directory (orsp_cert_save,
	 * orsp_ec_save_private_pem, orsp_file_create), the old files' removal here */
	if ((rc = created_done(made)) != CLI_OK)
		goto out;
	/* said once everything is written: pySim's osmo-smdpp reads the EUM's EID range from
	 * an 8-digit serialNumber only (SGP.22 v2's IIN and EUM digits; SGP.29 lets it vary) and
	 * refuses every eUICC of another (8.1.3/6.1) */
	if (strlen(o.prefix) != 8 && !o.quiet)
		fprintf(stderr,
		        "openrsp: warning: an EID prefix of %zu digits: SM-DP+ servers that read "
		        "only 8 (pySim's osmo-smdpp) refuse the eUICCs of this EUM\n",
		        strlen(o.prefix));
	if (!o.quiet)
		print_summary(&o, hs, nh);
out:
	if (rc)
		created_undo(made);
	free(made);
	free(hs);
	return rc;
}

static int pki_init(int argc, char **argv)
{
	pki_opts o = {0};
	int rc = parse_init(argc, argv, &o);

	if (rc)
		return rc;
	o.stop = cli_stop_on_signals();
	return pki_make(o);
}

int cli_pki_create(const char *dir, const char *fqdn, const char *oid)
{
	pki_opts o = {0};

	o.dir = dir;
	o.nist = true;
	o.prefix = DEFAULT_EID_PREFIX;
	o.fqdn = fqdn;
	o.oid = oid;
	/* past ORSP_SMDP_EXPIRY_WARN_DAYS: a server started on it (the demo's) says nothing of
	 * its certificates' expiry (with 30 days it warned once a second had passed) */
	o.days = ORSP_SMDP_EXPIRY_WARN_DAYS + 60;
	o.quiet = true;
	if (!orsp_cert_dns_name_ok(fqdn) || orsp_smdp_oid_check(oid) || strlen(dir) > PATH_CAP - 64)
		return cli_usage("pki", "bad FQDN, OID or directory");
	return pki_make(o);
}

/* ----- smdp: another SM-DP+ under an existing CI ----- */

static int load_key_file(const char *path, orsp_ec_key **out)
{
	orsp_err e = orsp_ec_load_private_file(path, out);
	return e ? cli_fail(path, e) : CLI_OK;
}

/* CLI_OK when key, read from key_path, is the private key of cert (`what`, for the message). */
static int key_of_cert(const orsp_cert *cert, const orsp_ec_key *key, const char *key_path,
                       const char *what)
{
	uint8_t a[ORSP_EC_POINT_LEN], b[ORSP_EC_POINT_LEN];
	orsp_ec_key *pub = NULL;
	orsp_err e = orsp_cert_public_key(cert, &pub);

	if (!e)
		e = orsp_ec_public_point(pub, a);
	if (!e)
		e = orsp_ec_public_point(key, b);
	orsp_ec_free(pub);
	if (e)
		return cli_fail(key_path, e);
	if (memcmp(a, b, sizeof(a)) != 0)
		return cli_failf(key_path, "this key does not belong to %s", what);
	return CLI_OK;
}

static int parse_smdp(int argc, char **argv, pki_opts *o, const char **ci_dir)
{
	static const struct option opts[] = {
	    {"ci", required_argument, NULL, OPT_CI},
	    {"smdp-fqdn", required_argument, NULL, OPT_FQDN},
	    {"smdp-oid", required_argument, NULL, OPT_OID},
	    {"days", required_argument, NULL, OPT_DAYS},
	    {"tls-days", required_argument, NULL, OPT_TLS_DAYS},
	    {"force", no_argument, NULL, OPT_FORCE},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"dpauth-key", required_argument, NULL, OPT_DPAUTH_KEY},
	    {"dppb-key", required_argument, NULL, OPT_DPPB_KEY},
	    {"crl-url", required_argument, NULL, OPT_CRL_URL},
	    {NULL, 0, NULL, 0},
	};
	/* a key URI with a pin-value is refused, and with any usage error overwritten in argv
	 * before the message is said: it would show in ps meanwhile, or for as long as a full
	 * stderr blocks the write */
	static const int secret[] = {OPT_DPAUTH_KEY, OPT_DPPB_KEY, 0};
	const char *days = NULL, *tls_days = NULL;
	int c, rc, k;

	cli_secret_guard(argc, argv, opts, secret, NULL);
	o->fqdn = NULL;
	o->oid = NULL;
	o->days = DEFAULT_DAYS;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case '?':
			return CLI_USAGE;
		case OPT_CI:
			*ci_dir = optarg;
			break;
		case OPT_FQDN:
			o->fqdn = optarg;
			break;
		case OPT_OID:
			o->oid = optarg;
			break;
		case OPT_DAYS:
			days = optarg;
			break;
		case OPT_TLS_DAYS:
			tls_days = optarg;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_DPAUTH_KEY:
		case OPT_DPPB_KEY:
			k = c == OPT_DPPB_KEY;
			if (!orsp_ec_pkcs11_uri(optarg))
				return cli_usage(k ? "--dppb-key" : "--dpauth-key",
				                 "expected a PKCS#11 URI (pkcs11:...)");
			if (orsp_ec_pkcs11_uri_has_pin(optarg)) {
				cli_wipe_arg(optarg); /* the guard's too: not left to it */
				return cli_usage(k ? "--dppb-key" : "--dpauth-key",
				                 "a PIN on the command line shows in ps: give "
				                 "pin-source=FILE in the URI");
			}
			o->token_key[k] = optarg;
			break;
		case OPT_CRL_URL:
			if ((rc = add_crl_url("--crl-url", o->crl_urls, optarg)) != CLI_OK)
				return rc;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 1, "DIR")) != CLI_OK)
		return rc;
	o->dir = argv[optind];
	if (!o->dir[0] || strlen(o->dir) > PATH_CAP - 64)
		return cli_usage("DIR", "empty or too long path");
	if ((rc = cli_not_stdout("DIR", o->dir, "directory")) != CLI_OK)
		return rc;
	if (!*ci_dir)
		return cli_missing("--ci");
	/* "" (a script's unset variable) would read the CI at /ci/ci.der */
	if (!(*ci_dir)[0] || strlen(*ci_dir) > PATH_CAP - 64)
		return cli_usage("--ci", "empty or too long path");
	if (!o->fqdn)
		return cli_missing("--smdp-fqdn");
	if (!o->oid)
		return cli_missing("--smdp-oid");
	if ((rc = check_smdp_opts(o, days, tls_days,
	                          "DPtls is never valid longer than DPauth and DPpb")) != CLI_OK)
		return rc;
	return CLI_OK;
}

static int pki_smdp_make(pki_opts o, const char *ci_dir);

static int pki_smdp(int argc, char **argv)
{
	pki_opts o = {0};
	const char *ci_dir = NULL;
	int rc = parse_smdp(argc, argv, &o, &ci_dir);

	if (rc)
		return rc;
	o.stop = cli_stop_on_signals();
	return pki_smdp_make(o, ci_dir);
}

int cli_pki_create_smdp(const char *dir, const char *ci_dir, const char *fqdn, const char *oid)
{
	pki_opts o = {0};

	o.dir = dir;
	o.fqdn = fqdn;
	o.oid = oid;
	/* past ORSP_SMDP_EXPIRY_WARN_DAYS: a server started on it (the demo's) says nothing of
	 * its certificates' expiry (with 30 days it warned once a second had passed) */
	o.days = ORSP_SMDP_EXPIRY_WARN_DAYS + 60;
	o.quiet = true;
	if (!orsp_cert_dns_name_ok(fqdn) || orsp_smdp_oid_check(oid) ||
	    strlen(dir) > PATH_CAP - 64 || strlen(ci_dir) > PATH_CAP - 64)
		return cli_usage("pki", "bad FQDN, OID or directory");
	return pki_smdp_make(o, ci_dir);
}

/* The validity of what the CI at path issues now for o->days. The CI must be valid now: a
 * verifier accepts nothing under a CI outside its validity (RFC 5280 §6.1.3 (a)(2)). What
 * it issues lies within the CI's validity, as pki init's certificates do: notAfter capped at
 * the CI's (*capped when --days asked for more; a certificate that outlives its CI only
 * looks valid longer), notBefore, backdated for clock skew, not before the CI's. */
static int ci_window(const pki_opts *o, const orsp_cert *ci, const char *path, time_t now,
                     time_t *nb, time_t *na, bool *capped)
{
	time_t ci_nb, ci_na;
	char when[64];
	orsp_err e = orsp_cert_validity(ci, &ci_nb, &ci_na);

	if (e)
		return cli_fail(path, e);
	if (now < ci_nb) {
		orsp_utc_text(ci_nb, ' ', when);
		return cli_failf(path,
		                 "the CI is not valid before %s: nothing it issues now would "
		                 "verify",
		                 when);
	}
	if (now >= ci_na) {
		orsp_utc_text(ci_na, ' ', when);
		return cli_failf(path,
		                 "the CI expired on %s: nothing it issues would verify; "
		                 "make a new one (pki init)",
		                 when);
	}
	*nb = now - BACKDATE_S < ci_nb ? ci_nb : now - BACKDATE_S;
	*na = now + (time_t)o->days * 86400;
	*capped = *na > ci_na && o->days_given;
	if (*na > ci_na)
		*na = ci_na;
	return CLI_OK;
}

/* CIDIR holds no ci/ci.der: named once, with the per-curve hierarchies of --curve both. */
static int no_ci(const char *ci_dir)
{
	char p[PATH_CAP];
	bool nist =
	    snprintf(p, sizeof(p), "%s/nist/ci/ci.der", ci_dir) < PATH_CAP && !access(p, F_OK);
	bool bp =
	    snprintf(p, sizeof(p), "%s/brainpool/ci/ci.der", ci_dir) < PATH_CAP && !access(p, F_OK);

	if (nist && bp)
		return cli_failf(
		    "pki smdp",
		    "%s holds no ci/ci.der but a hierarchy per curve (pki init --curve "
		    "both): give --ci %s/nist or --ci %s/brainpool",
		    ci_dir, ci_dir, ci_dir);
	if (nist || bp)
		return cli_failf("pki smdp", "%s holds no ci/ci.der: give --ci %s/%s", ci_dir,
		                 ci_dir, nist ? "nist" : "brainpool");
	return cli_failf("pki smdp", "%s holds no ci/ci.der (give a directory made by pki init)",
	                 ci_dir);
}

static int pki_smdp_make(pki_opts o, const char *ci_dir)
{
	char path[PATH_CAP], smdp_dir[PATH_CAP];
	crl_urls_buf ub;
	orsp_cert *ci = NULL, *cert = NULL;
	orsp_ec_key *ci_key = NULL, *key = NULL;
	uint8_t dpauth_point[ORSP_EC_POINT_LEN];
	bool dpauth_point_ok = false;
	created *made = calloc(1, sizeof(*made));
	orsp_rsp_role role;
	time_t now = time(NULL), nb = 0, na = 0;
	bool capped = false;
	char when[64];
	int rc;
	orsp_err e;

	if (!made)
		return cli_failf("pki smdp", "out of memory");
	/* The CI: certificate and key from a `pki init` hierarchy, checked to belong together. */
	if ((rc = path_join(path, ci_dir, "ci", "ci.der")) != CLI_OK)
		goto out;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		rc = no_ci(ci_dir);
		goto out;
	}
	e = orsp_cert_load_file(path, &ci);
	if (e) {
		rc = cli_fail(path, e);
		goto out;
	}
	e = orsp_cert_rsp_role(ci, &role);
	if (e || role != ORSP_ROLE_CI) {
		rc = cli_failf(path, "not a CI certificate (certificate policy %s)",
		               e ? "unreadable" : "of another role");
		goto out;
	}
	if ((rc = ci_window(&o, ci, path, now, &nb, &na, &capped)) != CLI_OK)
		goto out;
	if ((rc = path_join(path, ci_dir, "ci", "ci_key.pem")) != CLI_OK ||
	    (rc = load_key_file(path, &ci_key)) != CLI_OK ||
	    (rc = key_of_cert(ci, ci_key, path, "the CI certificate")) != CLI_OK)
		goto out;
	if ((rc = prepare_dir(&o, made)) != CLI_OK)
		goto out;
	if ((rc = path_join(smdp_dir, o.dir, "smdp", NULL)) != CLI_OK ||
	    (rc = make_dir(smdp_dir, made, false)) != CLI_OK)
		goto out;
	for (int i = C_DPAUTH; i <= C_DPTLS; i++) {
		const struct layout *l = &layout[i];
		const char *uri = i == C_DPTLS ? NULL : o.token_key[i - C_DPAUTH];
		orsp_cert_template t;

		if ((rc = stop_check(&o, "pki smdp")) != CLI_OK)
			goto out;
		if (uri) {
			/* a key made in a PKCS#11 token: its certificate only, no key file */
			e = orsp_ec_load_pkcs11(uri, &key);
			if (e) {
				rc = cli_failf(l->label, "%s", orsp_err_detail());
				goto out;
			}
			if (orsp_ec_curve(key) != orsp_ec_curve(ci_key)) {
				rc = cli_failf(l->label, "the token's key is on %s, the CI on %s",
				               orsp_curve_name(orsp_ec_curve(key)),
				               orsp_curve_name(orsp_ec_curve(ci_key)));
				goto out;
			}
		} else {
			e = orsp_ec_generate(orsp_ec_curve(ci_key), &key);
		}
		if (!e)
			e = orsp_cert_template_init(&t, l->role);
		if (e) {
			rc = cli_fail(l->label, e);
			goto out;
		}
		fill_template(&o, i, nb, na, NULL, &t);
		/* {curve} in a CRL URL: the CI's */
		if ((rc = expand_crl_urls(&t, orsp_ec_curve(ci_key), &ub, l->label)) != CLI_OK)
			goto out;
		e = orsp_cert_issue(&t, key, ci_key, ci, &cert);
		if (e) {
			rc = cli_fail(l->label, e);
			goto out;
		}
		for (size_t s = 0; s < ORSP_ARRAY_LEN(suffixes); s++) {
			if (!layout_path(path, o.dir, i, suffixes[s])) {
				rc = cli_usage("DIR", "path too long");
				goto out;
			}
			if (o.force && (rc = set_aside(path, made)) != CLI_OK)
				goto out;
			if (s == 2 && uri)
				continue; /* the key stays in the token (an old key file is gone) */
			e = s == 2 ? orsp_ec_save_private_pem(key, path)
			           : orsp_cert_save(cert, path);
			if (e) {
				rc = cli_fail(path, e);
				goto out;
			}
			if ((rc = created_add(made, path, false)) != CLI_OK)
				goto out;
		}
		if (i == C_DPPB && uri && o.token_key[0]) {
			/* the same token key for both roles: refused (pki init makes two) */
			uint8_t b[ORSP_EC_POINT_LEN];
			if (orsp_ec_public_point(key, b) == ORSP_OK && dpauth_point_ok &&
			    memcmp(dpauth_point, b, sizeof(b)) == 0) {
				rc = cli_failf(l->label,
				               "the token key of --dppb-key is DPauth's: the "
				               "two roles need two keys");
				goto out;
			}
		}
		if (i == C_DPAUTH)
			dpauth_point_ok = orsp_ec_public_point(key, dpauth_point) == ORSP_OK;
		orsp_cert_free(cert);
		cert = NULL;
		orsp_ec_free(key);
		key = NULL;
	}
	if ((rc = stop_check(&o, "pki smdp")) != CLI_OK)
		goto out;
	if ((rc = created_done(made)) != CLI_OK)
		goto out;
	/* said once everything is written (a failure removes it all) */
	if (capped && !o.quiet) {
		orsp_utc_text(na, ' ', when);
		fprintf(stderr,
		        "openrsp: warning: the CI expires on %s, before the %u days of --days: "
		        "DPauth, DPpb and DPtls expire with it\n",
		        when, o.days);
	}
	if (!o.json && !o.quiet)
		for (int i = C_DPAUTH; i <= C_DPTLS; i++)
			printf("  %-6s  %s%s\n", layout[i].label,
			       layout_path(path, o.dir, i, ".pem") ? path : "",
			       i != C_DPTLS && o.token_key[i - C_DPAUTH]
			           ? " (its key in the PKCS#11 token)"
			           : "");
	if (o.json && !o.quiet) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_str(&j, "dir", o.dir);
		cj_str(&j, "ci", ci_dir);
		cj_str(&j, "smdp_fqdn", o.fqdn);
		cj_str(&j, "smdp_oid", o.oid);
		cj_str(&j, "curve", orsp_curve_name(orsp_ec_curve(ci_key)));
		cj_bool(&j, "dpauth_key_in_token", o.token_key[0] != NULL);
		cj_bool(&j, "dppb_key_in_token", o.token_key[1] != NULL);
		cj_obj_end(&j);
		cj_done(&j);
	}
	fflush(stdout);
out:
	if (rc)
		created_undo(made);
	free(made);
	orsp_cert_free(cert);
	orsp_ec_free(key);
	orsp_ec_free(ci_key);
	orsp_cert_free(ci);
	return rc;
}

/* ----- crl: a certificate revocation list of a CI or an EUM ----- */

#define CRL_DEFAULT_DAYS 7
#define CRL_SERIAL_MAX 20 /* RFC 5280 §4.1.2.2: a serial number of at most 20 octets */
/* 9999-12-31 23:59:59Z: the last time a GeneralizedTime can hold (RFC 5280 §4.1.2.5.2) */
#define CRL_TIME_MAX INT64_C(253402300799)

/* CRLReason (RFC 5280 §5.3.1); 7 is unused and 8 (removeFromCRL) is for delta CRLs only. */
static const struct crl_reason {
	const char *name;
	int code;
} crl_reasons[] = {
    {"unspecified", 0},        {"keyCompromise", 1},      {"cACompromise", 2},
    {"affiliationChanged", 3}, {"superseded", 4},         {"cessationOfOperation", 5},
    {"certificateHold", 6},    {"privilegeWithdrawn", 9}, {"aACompromise", 10},
};

/* One certificate to list: a --revoke file or a --serial number, in command-line order. */
typedef struct crl_item {
	const char *arg;
	bool is_serial;
	uint8_t serial[CRL_SERIAL_MAX]; /* the DER INTEGER's contents octets */
	size_t len;
} crl_item;

typedef struct crl_opts {
	const char *cert, *key, *out;
	crl_item *items; /* argc of them: enough for every option */
	size_t n;
	int reason;
	unsigned days;
	uint64_t number;
	bool number_given;
	time_t this_update;
} crl_opts;

/* --serial HEX: the serial number as `openssl x509 -serial` prints it (unsigned, big-endian,
 * 1 to 20 bytes), into the contents octets of its DER INTEGER: leading zero octets dropped,
 * a zero octet put before a first octet from 0x80 on, so that the number stays positive. */
static int serial_of_hex(const char *hex, crl_item *it)
{
	uint8_t b[CRL_SERIAL_MAX];
	size_t digits = strlen(hex), n = 0, skip = 0;

	if (digits == 0 || digits % 2 != 0 || digits > 2 * CRL_SERIAL_MAX)
		return cli_usage("--serial",
		                 "expected an even number of hex digits, 2 to %d (the serial "
		                 "number as openssl x509 -serial prints it), got %zu",
		                 2 * CRL_SERIAL_MAX, digits);
	if (orsp_hex_decode(hex, b, sizeof(b), &n) != ORSP_OK)
		return cli_usage("--serial", "expected hex digits (0-9, a-f, A-F) only");
	while (skip + 1 < n && b[skip] == 0)
		skip++;
	it->len = 0;
	if (b[skip] & 0x80) {
		if (n - skip == CRL_SERIAL_MAX)
			return cli_usage("--serial",
			                 "a 20-byte serial number from 80... on takes 21 octets in "
			                 "DER, more than RFC 5280 §4.1.2.2 allows");
		it->serial[it->len++] = 0;
	}
	memcpy(it->serial + it->len, b + skip, n - skip);
	it->len += n - skip;
	return CLI_OK;
}

/* An item's serial number as `openssl x509 -serial` prints it (hex of the number, no sign
 * octet), into hex. */
static void serial_text(const crl_item *it, char hex[2 * CRL_SERIAL_MAX + 1])
{
	size_t skip = it->len > 1 && it->serial[0] == 0 ? 1 : 0;

	hex[0] = '\0';
	for (size_t i = skip; i < it->len; i++)
		snprintf(hex + 2 * (i - skip), 3, "%02X", it->serial[i]);
}

static int parse_crl(int argc, char **argv, crl_opts *o)
{
	static const struct option opts[] = {
	    {"issuer-cert", required_argument, NULL, OPT_ISSUER_CERT},
	    {"issuer-key", required_argument, NULL, OPT_ISSUER_KEY},
	    {"out", required_argument, NULL, OPT_OUT},
	    {"revoke", required_argument, NULL, OPT_REVOKE},
	    {"serial", required_argument, NULL, OPT_SERIAL},
	    {"reason", required_argument, NULL, OPT_REASON},
	    {"days", required_argument, NULL, OPT_DAYS},
	    {"number", required_argument, NULL, OPT_NUMBER},
	    {"this-update", required_argument, NULL, OPT_THIS_UPDATE},
	    {NULL, 0, NULL, 0},
	};
	const char *reason = NULL, *days = NULL, *number = NULL, *this_update = NULL;
	const char *const *paths[] = {&o->cert, &o->key, &o->out};
	const char *const names[] = {"--issuer-cert", "--issuer-key", "--out"};
	uint64_t v;
	int c, rc;

	o->days = CRL_DEFAULT_DAYS;
	o->items = calloc((size_t)argc, sizeof(*o->items));
	if (!o->items)
		return cli_failf("pki crl", "out of memory");
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case '?':
			return CLI_USAGE;
		case OPT_ISSUER_CERT:
			o->cert = optarg;
			break;
		case OPT_ISSUER_KEY:
			o->key = optarg;
			break;
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_REVOKE:
		case OPT_SERIAL:
			/* each takes two argv entries (or one, --opt=VALUE): within argc */
			o->items[o->n].arg = optarg;
			o->items[o->n].is_serial = c == OPT_SERIAL;
			if (c == OPT_SERIAL &&
			    (rc = serial_of_hex(optarg, &o->items[o->n])) != CLI_OK)
				return rc;
			o->n++;
			break;
		case OPT_REASON:
			reason = optarg;
			break;
		case OPT_DAYS:
			days = optarg;
			break;
		case OPT_NUMBER:
			number = optarg;
			break;
		case OPT_THIS_UPDATE:
			this_update = optarg;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")) != CLI_OK)
		return rc;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(paths); i++) {
		if (!*paths[i])
			return cli_missing(names[i]);
		/* "" (a script's unset variable) names no file */
		if (!(*paths[i])[0] || strlen(*paths[i]) > PATH_CAP - 64)
			return cli_usage(names[i], "empty or too long path");
	}
	if ((rc = cli_not_stdout("--out", o->out, "file")) != CLI_OK)
		return rc;
	for (size_t i = 0; i < o->n; i++)
		if (!o->items[i].is_serial && !o->items[i].arg[0])
			return cli_usage("--revoke", "empty path");
	if (reason) {
		size_t k = 0;
		while (k < ORSP_ARRAY_LEN(crl_reasons) && strcasecmp(reason, crl_reasons[k].name))
			k++;
		if (k == ORSP_ARRAY_LEN(crl_reasons))
			return cli_usage("--reason",
			                 "expected unspecified, keyCompromise, cACompromise, "
			                 "affiliationChanged, superseded, cessationOfOperation, "
			                 "certificateHold, privilegeWithdrawn or aACompromise");
		o->reason = crl_reasons[k].code;
	}
	if (days) {
		if ((rc = cli_uint("--days", days, 1, MAX_DAYS, &v)) != CLI_OK)
			return rc;
		o->days = (unsigned)v;
	}
	if (number) {
		if ((rc = cli_uint("--number", number, 0, UINT64_MAX, &o->number)) != CLI_OK)
			return rc;
		o->number_given = true;
	}
	/* one reading of the clock for the default thisUpdate and the default number (time()
	 * lags clock_gettime's second for a few ms after each second turns) */
	struct timespec now = {0};
	(void)clock_gettime(CLOCK_REALTIME, &now);
	o->this_update = now.tv_sec;
	if (this_update) {
		if ((rc = cli_uint("--this-update", this_update, 0,
		                   (uint64_t)CRL_TIME_MAX - (uint64_t)MAX_DAYS * 86400, &v)) !=
		    CLI_OK)
			return rc;
		o->this_update = (time_t)v;
	}
	/* a CRL issued later has a larger number (RFC 5280 §5.2.3): the time of issue in
	 * nanoseconds since the epoch (until session 57 thisUpdate's seconds, the same for two
	 * CRLs of one second; for a while thisUpdate's seconds and the nanoseconds of now, which
	 * went down when --this-update stayed and the second changed). Larger than every
	 * number of seconds before it; it fits 64 bits until 2554, refused after. */
	if (!o->number_given) {
		if ((uint64_t)now.tv_sec >= UINT64_MAX / 1000000000u)
			return cli_usage("--number", "the clock is past 2554: give the number");
		o->number = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	}
	return CLI_OK;
}

/* What a DER certificate is made of, as borrowed slices. */
typedef struct cert_parts {
	orsp_slice tbs;             /* the whole TBSCertificate: what the issuer signed */
	orsp_slice issuer, subject; /* the whole Names */
	orsp_slice sig_alg;         /* the signatureAlgorithm's contents */
	orsp_slice sig;             /* the signatureValue BIT STRING's contents */
} cert_parts;

static bool cert_split(orsp_slice der, cert_parts *p)
{
	orsp_tlv cert, tbs, f;
	orsp_reader r, t;

	if (orsp_der_parse_one(der, &cert) || cert.tag != 0x30)
		return false;
	orsp_reader_init(&r, cert.value.p, cert.value.len);
	if (orsp_der_expect(&r, 0x30, &tbs))
		return false;
	p->tbs = tbs.raw;
	orsp_reader_init(&t, tbs.value.p, tbs.value.len);
	/* [0] version (absent in v1), serialNumber, signature, issuer, validity, subject */
	if (orsp_der_read(&t, &f) || (f.tag == 0xA0 && orsp_der_read(&t, &f)) || f.tag != 0x02 ||
	    orsp_der_expect(&t, 0x30, &f) || orsp_der_expect(&t, 0x30, &f))
		return false;
	p->issuer = f.raw;
	if (orsp_der_expect(&t, 0x30, &f) || orsp_der_expect(&t, 0x30, &f))
		return false;
	p->subject = f.raw;
	if (orsp_der_expect(&r, 0x30, &f))
		return false;
	p->sig_alg = f.value;
	if (orsp_der_expect(&r, 0x03, &f))
		return false;
	p->sig = f.value;
	return true;
}

static bool slice_eq(orsp_slice a, orsp_slice b)
{
	return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

int cli_pki_issued_by(const orsp_cert *c, const char *path, const orsp_cert *issuer,
                      const char *issuer_path, const orsp_ec_key *pub)
{
	/* AlgorithmIdentifier ecdsa-with-SHA256, 1.2.840.10045.4.3.2, no parameters (RFC 5758) */
	static const uint8_t ecdsa_sha256[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
	                                       0xce, 0x3d, 0x04, 0x03, 0x02};
	orsp_slice alg = orsp_slice_make(ecdsa_sha256, sizeof(ecdsa_sha256));
	uint8_t aki[64], ski[64], sig[ORSP_EC_SIG_LEN];
	size_t aki_len = 0, ski_len = 0;
	cert_parts cp, ip;
	orsp_err e;

	if (!cert_split(orsp_cert_der(c), &cp) || !cert_split(orsp_cert_der(issuer), &ip))
		return cli_failf(path, "the certificate's fields do not read");
	if (slice_eq(orsp_cert_der(c), orsp_cert_der(issuer)))
		return cli_failf(path, "is the issuer's own certificate: a CRL lists what its "
		                       "issuer issued to others");
	if (!slice_eq(cp.issuer, ip.subject))
		return cli_failf(path,
		                 "not issued by %s: its issuer name is not that certificate's "
		                 "subject",
		                 issuer_path);
	e = orsp_cert_aki(c, aki, sizeof(aki), &aki_len);
	if (e == ORSP_E_NOT_FOUND) {
		orsp_err_clear(); /* none: the name and the signature decide */
	} else if (e) {
		return cli_fail(path, e);
	} else {
		if ((e = orsp_cert_ski(issuer, ski, sizeof(ski), &ski_len)) != ORSP_OK)
			return cli_fail(issuer_path, e);
		if (aki_len != ski_len || memcmp(aki, ski, aki_len) != 0)
			return cli_failf(path,
			                 "not issued by %s: its authorityKeyIdentifier is not that "
			                 "certificate's subjectKeyIdentifier (another key of the "
			                 "same name?)",
			                 issuer_path);
	}
	if (!slice_eq(cp.sig_alg, alg) || cp.sig.len < 2 || cp.sig.p[0] != 0 ||
	    orsp_ecdsa_sig_from_der(cp.sig.p + 1, cp.sig.len - 1, sig) != ORSP_OK ||
	    orsp_ecdsa_verify(pub, cp.tbs.p, cp.tbs.len, sig) != ORSP_OK)
		return cli_failf(path,
		                 "not issued by %s: its signature does not verify with that "
		                 "certificate's key",
		                 issuer_path);
	return CLI_OK;
}

static int pki_crl_make(crl_opts *o)
{
	orsp_cert *issuer = NULL, *c = NULL;
	orsp_ec_key *key = NULL, *pub = NULL;
	orsp_crl_revoked *rev = NULL;
	uint8_t *der = NULL, ski[64];
	char what[PATH_CAP + 32], when[64], hex[2 * CRL_SERIAL_MAX + 1];
	size_t der_len = 0, ski_len = 0;
	time_t next_update = o->this_update + (time_t)o->days * 86400;
	orsp_rsp_role role;
	struct stat st;
	int rc = CLI_OK;
	orsp_err e;

	/* refused before anything is read, and again by the write (link(2) does not replace) */
	if (lstat(o->out, &st) == 0) {
		rc = cli_failf(o->out, "already exists: not overwritten");
		goto out;
	}
	/* the issuer: a CI or an EUM, with the key identifier a CRL names it by, and its key */
	if ((e = orsp_cert_load_file(o->cert, &issuer)) != ORSP_OK) {
		rc = cli_fail(o->cert, e);
		goto out;
	}
	e = orsp_cert_rsp_role(issuer, &role);
	if (e || (role != ORSP_ROLE_CI && role != ORSP_ROLE_EUM)) {
		rc = cli_failf(o->cert,
		               "not a CI or EUM certificate (certificate policy %s): the issuer "
		               "of a CRL is the CI or the EUM that issued what it lists",
		               e ? "unreadable" : "of another role");
		goto out;
	}
	if (orsp_cert_ski(issuer, ski, sizeof(ski), &ski_len) != ORSP_OK) {
		rc = cli_failf(o->cert,
		               "no subjectKeyIdentifier: a CRL names its issuer's key by it "
		               "(authorityKeyIdentifier, RFC 5280 §5.2.1)");
		goto out;
	}
	snprintf(what, sizeof(what), "the issuer certificate %s", o->cert);
	if ((rc = load_key_file(o->key, &key)) != CLI_OK ||
	    (rc = key_of_cert(issuer, key, o->key, what)) != CLI_OK)
		goto out;
	if ((e = orsp_cert_public_key(issuer, &pub)) != ORSP_OK) {
		rc = cli_fail(o->cert, e);
		goto out;
	}
	/* the certificates to list: each --revoke issued by the issuer, no serial twice */
	for (size_t i = 0; i < o->n; i++) {
		crl_item *it = &o->items[i];
		orsp_slice serial;
		if (it->is_serial)
			continue;
		if ((e = orsp_cert_load_file(it->arg, &c)) != ORSP_OK) {
			rc = cli_fail(it->arg, e);
			goto out;
		}
		if ((rc = cli_pki_issued_by(c, it->arg, issuer, o->cert, pub)) != CLI_OK)
			goto out;
		e = orsp_cert_der_serial(orsp_cert_der(c).p, orsp_cert_der(c).len, &serial);
		if (e) {
			rc = cli_fail(it->arg, e);
			goto out;
		}
		if (serial.len > CRL_SERIAL_MAX) {
			rc = cli_failf(it->arg,
			               "its serial number takes %zu octets, more than the %d of "
			               "RFC 5280 §4.1.2.2",
			               serial.len, CRL_SERIAL_MAX);
			goto out;
		}
		memcpy(it->serial, serial.p, serial.len);
		it->len = serial.len;
		orsp_cert_free(c);
		c = NULL;
	}
	rev = calloc(o->n ? o->n : 1, sizeof(*rev));
	if (!rev) {
		rc = cli_failf("pki crl", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < o->n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (o->items[j].len != o->items[i].len ||
			    memcmp(o->items[j].serial, o->items[i].serial, o->items[i].len) != 0)
				continue;
			serial_text(&o->items[i], hex);
			rc = cli_usage(o->items[i].is_serial ? "--serial" : "--revoke",
			               "serial number %s is listed already (by %s %s)", hex,
			               o->items[j].is_serial ? "--serial" : "--revoke",
			               o->items[j].arg);
			goto out;
		}
		rev[i].serial = o->items[i].serial;
		rev[i].serial_len = o->items[i].len;
		rev[i].when = o->this_update; /* revoked as of this CRL */
		rev[i].reason = o->reason;
	}
	e = orsp_crl_issue(issuer, key, rev, o->n, o->this_update, next_update, o->number, &der,
	                   &der_len);
	if (e) {
		rc = cli_fail("pki crl", e);
		goto out;
	}
	if ((e = orsp_crl_save(der, der_len, o->out)) != ORSP_OK) {
		rc = e == ORSP_E_EXISTS ? cli_failf(o->out, "already exists: not overwritten")
		                        : cli_fail("pki crl", e);
		goto out;
	}
	orsp_utc_text(next_update, ' ', when);
	printf("%s: %zu revoked, next update %s\n", o->out, o->n, when);
	fflush(stdout);
out:
	free(der);
	free(rev);
	orsp_ec_free(pub);
	orsp_ec_free(key);
	orsp_cert_free(c);
	orsp_cert_free(issuer);
	return rc;
}

static int pki_crl(int argc, char **argv)
{
	crl_opts o = {0};
	int rc = parse_crl(argc, argv, &o);

	if (!rc)
		rc = pki_crl_make(&o);
	free(o.items);
	return rc;
}

static const cli_cmd pki_cmds[] = {
    {"init", "Create a private RSP test PKI: CI, EUM, eUICC, DPauth/DPpb/DPtls",
     "DIR [--curve nist|brainpool|both] [--eid-prefix DIGITS]\n"
     "                        [--eid EID] [--smdp-fqdn NAME] [--smdp-oid OID]\n"
     "                        [--days N] [--tls-days N] [--permitted-eins]\n"
     "                        [--crl-url URL]... [--eum-crl-url URL]... [--force]\n"
     "                        [--json]",
     "Writes DIR/ci, DIR/eum, DIR/euicc and DIR/smdp (with --curve both: the same\n"
     "under DIR/nist and DIR/brainpool), each certificate as <name>.der and <name>.pem\n"
     "with its private key in <name>_key.pem (mode 0600), and DIR/README.txt.\n"
     "Certificates follow the SGP.22 v2 profile (policies 2.23.146.1.2.1.x, SKI/AKI,\n"
     "ecdsa-with-SHA256). DIR is created if missing and must be empty.\n\n"
     "  --curve C            nist (P-256, default), brainpool (brainpoolP256r1)\n"
     "                       or both\n"
     "  --eid-prefix DIGITS  the EUM's EID range, 1 to 30 digits (default " DEFAULT_EID_PREFIX ")\n"
     "  --eid EID            the eUICC's EID: 32 digits in the range with valid check\n"
     "                       digits (default: the prefix, random digits, check digits)\n"
     "  --smdp-fqdn NAME     DNS name in the DPtls certificate\n"
     "                       (default " DEFAULT_FQDN ")\n"
     "  --smdp-oid OID       SM-DP+ OID, registeredID in DPauth/DPpb/DPtls\n"
     "                       (default " DEFAULT_OID ")\n"
     "  --days N             validity of every certificate, the CI's too, 1 to 36500\n"
     "                       (default 3650)\n"
     "  --tls-days N         the DPtls certificate's, 1 to 825 (default 397, cut to\n"
     "                       --days when longer), never more than --days\n"
     "  --permitted-eins     also put the SGP.22 v3 permittedEins extension in the EUM\n"
     "  --crl-url URL        where the CI publishes its CRL (http:// or https://):\n"
     "                       a cRLDistributionPoints in the EUM, DPauth, DPpb and\n"
     "                       DPtls certificates, as SGP.26's have; up to 4; {curve}\n"
     "                       in it becomes nist or brainpool (with --curve both a\n"
     "                       must: two CIs, a CRL each)\n"
     "  --eum-crl-url URL    where the EUM publishes its CRL, in the eUICC's; up to 4;\n"
     "                       {curve} as for --crl-url\n"
     "  --force              write into a non-empty DIR, replacing the files of the\n"
     "                       layout\n"
     "  --json               one JSON document: paths, EID and key identifiers\n",
     pki_init},
    {"smdp", "Issue DPauth, DPpb, DPtls for another SM-DP+ under an existing CI",
     "DIR --ci CIDIR --smdp-fqdn NAME --smdp-oid OID\n"
     "                        [--dpauth-key URI] [--dppb-key URI] [--days N]\n"
     "                        [--tls-days N] [--crl-url URL]... [--force] [--json]",
     "Reads the CI certificate and key of a hierarchy made by `pki init`\n"
     "(CIDIR/ci/ci.der, CIDIR/ci/ci_key.pem; for --curve both give CIDIR/nist or\n"
     "CIDIR/brainpool) and writes DIR/smdp/{dpauth,dppb,dptls}.{der,pem} with their\n"
     "keys (<name>_key.pem, mode 0600), on the CI's curve. Every SM-DP+ under one CI\n"
     "can serve every eUICC that trusts it. With --dpauth-key/--dppb-key, that key\n"
     "stays in a PKCS#11 token (made there with the token's tools): its certificate is\n"
     "issued for it and no key file is written.\n\n"
     "  --ci CIDIR           the hierarchy holding ci/ci.der and ci/ci_key.pem\n"
     "  --dpauth-key URI     DPauth's key in a PKCS#11 token (docs/crypto.md)\n"
     "  --dppb-key URI       DPpb's key in a PKCS#11 token\n"
     "  --smdp-fqdn NAME     DNS name in the DPtls certificate\n"
     "  --smdp-oid OID       SM-DP+ OID, registeredID in DPauth/DPpb/DPtls\n"
     "  --crl-url URL        where the CI publishes its CRL: a cRLDistributionPoints\n"
     "                       in the three certificates; up to 4\n"
     "  --days N             validity, 1 to 36500 (default 3650), never past the CI's\n"
     "                       end (a CI that has expired, or is not yet valid, issues\n"
     "                       nothing)\n"
     "  --tls-days N         the DPtls certificate's, 1 to 825 (default 397, cut to\n"
     "                       --days when longer), never more than --days nor past\n"
     "                       the CI's end\n"
     "  --force              write into a non-empty DIR, replacing the SM-DP+ files\n"
     "  --json               one JSON document\n",
     pki_smdp},
    {"crl", "Issue a CRL of a CI or an EUM, listing certificates it revoked",
     "--issuer-cert CERT --issuer-key KEY --out FILE\n"
     "                        [--revoke CERT]... [--serial HEX]... [--reason NAME]\n"
     "                        [--days N] [--number N] [--this-update SECONDS]",
     "Writes a v2 CRL (RFC 5280 §5) signed ecdsa-with-SHA256 by the issuer: a CI\n"
     "(listing EUM and SM-DP+ certificates) or an EUM (listing eUICC certificates).\n"
     "With nothing to revoke it is an empty CRL: nothing of that issuer is revoked.\n"
     "FILE is PEM (\"X509 CRL\") if its name ends in .pem, else DER; it must not\n"
     "exist.\n\n"
     "  --issuer-cert CERT   the issuer's certificate, DER or PEM (e.g. DIR/ci/ci.der\n"
     "                       or DIR/eum/eum.der of pki init)\n"
     "  --issuer-key KEY     the issuer's private key file (e.g. DIR/ci/ci_key.pem)\n"
     "  --out FILE           the CRL to write\n"
     "  --revoke CERT        list this certificate (DER or PEM), which the issuer must\n"
     "                       have issued; repeatable\n"
     "  --serial HEX         list this serial number, as `openssl x509 -serial`\n"
     "                       prints it (1 to 20 bytes); repeatable\n"
     "  --reason NAME        the reasonCode of every entry: keyCompromise,\n"
     "                       cACompromise, affiliationChanged, superseded,\n"
     "                       cessationOfOperation, certificateHold,\n"
     "                       privilegeWithdrawn, aACompromise, or unspecified (the\n"
     "                       default: no reasonCode, as RFC 5280 asks)\n"
     "  --days N             nextUpdate N days after thisUpdate, 1 to 36500\n"
     "                       (default 7)\n"
     "  --number N           the cRLNumber (default: the time of issue in nanoseconds\n"
     "                       since the epoch, so that a newer CRL has a larger number)\n"
     "  --this-update SECONDS  thisUpdate, also the entries' revocation date, in\n"
     "                       seconds since the epoch (default: now)\n",
     pki_crl},
    {"crl-fetch", "Fetch a CRL into a file, if it is the issuer's and newer",
     "(URL | --for CERT) --issuer-cert CERT --out FILE\n"
     "                        [--ca-file PEM] [--timeout SECONDS]",
     "Gets URL (http:// or https://; a CRL, DER or PEM) and replaces FILE with it, at\n"
     "once (a new file renamed over it), when the CRL is the issuer's (its name and\n"
     "key identifier), its signature verifies with the issuer's key, and it is not\n"
     "older than the CRL in FILE (thisUpdate, cRLNumber). The same bytes leave FILE\n"
     "as it is. Anything else leaves FILE as it is and fails: an SM-DP+ that reads\n"
     "FILE (crl = FILE, crl_reload) never gets a forged, damaged or older CRL. For a\n"
     "timer or cron job: exit 0 when FILE holds the newest CRL, 1 otherwise.\n\n"
     "  --issuer-cert CERT   the CI or EUM certificate that issues the CRL (DER or\n"
     "                       PEM)\n"
     "  --for CERT           instead of URL: the http(s) URLs of CERT's\n"
     "                       cRLDistributionPoints (a certificate the issuer issued,\n"
     "                       whose CRL would list it), tried in their order until one\n"
     "                       gives the issuer's CRL\n"
     "  --out FILE           the CRL file to keep current (created if missing)\n"
     "  --ca-file PEM        trust anchors of an https:// server (required for\n"
     "                       https; no system store is used)\n"
     "  --timeout SECONDS    for the whole exchange, 1 to 3600 (default 60)\n",
     cli_pki_crl_fetch},
    {NULL, NULL, NULL, NULL, NULL},
};

const cli_noun cli_noun_pki = {
    "pki",
    "A private GSMA-RSP-style test PKI (SGP.22 certificate profile)",
    pki_cmds,
};
