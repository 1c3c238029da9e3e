/* `openrsp smdp`: the SM-DP+ profile inventory from the command line. Profile packages go
 * in with `profile import` and are stored encrypted; no command prints K, OPc or the CC. */
#include <dirent.h>
#include <libgen.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "openrsp/auc.h"
#include "openrsp/crypto.h"
#include "openrsp/http.h"
#include "openrsp/pkg.h"
#include "openrsp/smdp.h"

enum {
	OPT_CONFIG = CLI_OPT_CMD + 64,
	OPT_TEMPLATE,
	OPT_COUNT,
	OPT_ICCID_START,
	OPT_IMSI_START,
	OPT_AUC,
	OPT_NO_AUC,
	OPT_REPLACE_ORPHANS,
	OPT_SPN,
	OPT_NAME,
	OPT_PPR,
	OPT_MNC_LENGTH,
	OPT_CLASS,
	OPT_KEEP_IMS,
	OPT_KEEP_SD_KEYS,
	OPT_KEEP_CDMA,
	OPT_OLDER_THAN,
	OPT_LIMIT,
	OPT_COUNT_ONLY,
	OPT_CHECK,
	OPT_BATCH,
	OPT_DRY_RUN,
	OPT_RESEND,
	OPT_STATES = CLI_OPT_ADDS, /* list's --state: repeated, the states add up */
};

enum {
	OPT_DB = CLI_OPT_CMD,
	OPT_KEK_FILE,
	OPT_JSON,
	OPT_ICCID,
	OPT_PROFILE_TYPE,
	OPT_EID,
	OPT_MATCHING_ID,
	OPT_CC,
	OPT_RELEASE,
	OPT_FQDN,
	OPT_NEW_KEK_FILE,
	OPT_OUT,
	OPT_FINAL,
};

// clang-format off
#define DB_LONGOPTS \
	{"db", required_argument, NULL, OPT_DB}, \
	{"kek-file", required_argument, NULL, OPT_KEK_FILE}, \
	{"config", required_argument, NULL, OPT_CONFIG}
// clang-format on

#define DB_SYNOPSIS "(--db PATH [--kek-file PATH] | --config FILE)"
#define DB_HELP                                                                                    \
	"  --db PATH            SM-DP+ database (required, or --config)\n"                         \
	"  --kek-file PATH      key-encryption key file (default <db>.kek; created 0600\n"         \
	"                       with a new database, which only profile import and\n"              \
	"                       generate make); the environment variable\n"                        \
	"                       ORSP_KEK (64 hex digits) takes precedence\n"                       \
	"  --config FILE        the server's configuration file: its database and KEK\n"           \
	"                       file (instead of --db and --kek-file); its keys in a\n"            \
	"                       PKCS#11 token are not opened (no login)\n"

typedef struct db_opts {
	const char *db;
	const char *kek_file;
	const char *config;
	/* what db_config read from the configuration */
	char db_buf[ORSP_SMDP_PATH_MAX], kek_buf[ORSP_SMDP_PATH_MAX];
	char fqdn[ORSP_SMDP_FQDN_MAX + 1];
	bool no_callback; /* a configuration without callback_url: no progress reports queued */
} db_opts;

static bool db_opt(db_opts *o, int c, const char *arg)
{
	if (c == OPT_DB)
		o->db = arg;
	else if (c == OPT_KEK_FILE)
		o->kek_file = arg;
	else if (c == OPT_CONFIG)
		o->config = arg;
	else
		return false;
	return true;
}

/* With --config: the database, KEK file and address of the server's configuration (loaded
 * and checked as `smdp serve` loads it, but for its keys in a PKCS#11 token: none of these
 * verbs signs, so the token is not opened nor its PIN sent, and a verb works where the HSM
 * cannot be reached; a KEK sealed under a token is still opened through it; and but for its
 * crl files, which concern serving only: a missing or damaged one stopped every verb, the
 * backup and the purge timer's included, until session 73) into o. Without it,
 * --db is required: every command that opens the database calls this first, so the one check is
 * here. An empty --kek-file (a script's unset variable) is a usage error, as for `openrsp auc`: it
 * would be taken for no file given, the default or ORSP_KEK. */
static int db_config(db_opts *o)
{
	orsp_smdp_config *cfg;
	orsp_err e;

	if (o->kek_file && !o->kek_file[0])
		return cli_usage("--kek-file", "empty path");
	if (o->config && !o->config[0])
		return cli_usage("--config", "empty path");
	if (!o->config)
		return o->db && o->db[0] ? cli_db_persistent("--db", o->db)
		                         : cli_missing("--db or --config");
	if (o->db || o->kek_file)
		return cli_usage("--config", "give either --config or --db/--kek-file");
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return cli_failf("--config", "out of memory");
	e = orsp_smdp_config_load_ex(o->config, ORSP_SMDP_CONFIG_MAINTENANCE, cfg);
	if (e) {
		free(cfg);
		return cli_fail("configuration", e);
	}
	snprintf(o->db_buf, sizeof(o->db_buf), "%s", cfg->database);
	snprintf(o->kek_buf, sizeof(o->kek_buf), "%s", cfg->kek_file);
	snprintf(o->fqdn, sizeof(o->fqdn), "%s", cfg->svc.fqdn);
	o->no_callback = !cfg->callback_url[0];
	orsp_smdp_config_free(cfg); /* wipes it (the tokens) */
	free(cfg);
	o->db = o->db_buf;
	o->kek_file = o->kek_buf;
	return CLI_OK;
}

/* The directory part of a path and its last component, in dir[n] and *base. */
static bool split_path(const char *path, char *dir, size_t n, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		*base = path;
		return snprintf(dir, n, ".") < (int)n;
	}
	*base = slash + 1;
	return snprintf(dir, n, "%.*s", slash == path ? 1 : (int)(slash - path), path) < (int)n;
}

/* Whether two database files (cli_db_file) are the same SQLite file, which may not exist
 * yet: the same inode if both exist, else (neither exists) the same name in the same
 * directory. */
static bool same_db_file(const char *a, const char *b)
{
	const char *ba, *bb;
	char da[4096], db[4096];
	struct stat sa, sb;
	bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;

	if (ea || eb)
		return ea && eb && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	if (!split_path(a, da, sizeof(da), &ba) || !split_path(b, db, sizeof(db), &bb))
		return strcmp(a, b) == 0;
	if (strcmp(ba, bb) != 0)
		return false;
	if (stat(da, &sa) != 0 || stat(db, &sb) != 0)
		return strcmp(da, db) == 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* What is wrong with the database itself (a directory, not SQLite) is said as such, before
 * anything about its KEK; one that does not exist is not an error here (*exists, when given,
 * says whether it does). Looked at with an open of ORSP_DB_OPEN_EXISTING, or of
 * ORSP_DB_OPEN_READONLY when `mode` is (a verb that only reads: nothing made beside it). */
static int check_db(const char *db, orsp_db_open_mode mode, bool *exists)
{
	orsp_db *probe = NULL;
	orsp_err e = orsp_db_open_ex(db, orsp_db_look_mode(mode), &probe);

	orsp_db_close(probe);
	if (e && e != ORSP_E_NOT_FOUND)
		return cli_fail(db, e);
	orsp_err_clear();
	if (exists)
		*exists = e != ORSP_E_NOT_FOUND;
	return CLI_OK;
}

/* A refusal of orsp_smdp_probe or orsp_smdp_open_ex(ORSP_DB_OPEN_EXISTING) for `verb`: a
 * database that holds no inventory (or went away) is said with what creates one. */
static int no_inventory(const char *verb, const char *db, orsp_err e)
{
	if (e == ORSP_E_NOT_FOUND)
		return cli_failf(verb,
		                 "%s (`openrsp smdp profile import` or `generate` creates one)",
		                 orsp_err_detail());
	return cli_fail(db, e);
}

/* For a verb that works on the inventory there (order, list, audit, reports, rekey,
 * backup): db must exist and hold an SM-DP+ inventory, looked at before any KEK file is
 * read, and opened without creating or writing anything, so that a database path that does
 * not exist (a typo), an empty file, one that is not SQLite or another module's is refused
 * as it was, with no KEK file made beside it. mode: the verb's open (check_db). */
static int check_inventory(const char *db, const char *verb, orsp_db_open_mode mode)
{
	bool exists = false;
	orsp_err e;
	int rc;

	if ((rc = check_db(db, mode, &exists)))
		return rc;
	if (!exists)
		return cli_failf(verb,
		                 "no SM-DP+ database at %s (`openrsp smdp profile import` or "
		                 "`generate` creates one)",
		                 strncmp(db, "sqlite:", 7) == 0 ? db + 7 : db);
	e = orsp_smdp_probe_ex(db, mode);
	return e ? no_inventory(verb, db, e) : CLI_OK;
}

static int no_kek(const char *kek_path, const char *db)
{
	return cli_failf("KEK",
	                 "no KEK file at %s for %s (--kek-file names it, or ORSP_KEK holds "
	                 "the key)",
	                 kek_path, db);
}

/* The rows of the inventory's tables another process may have written (cli_unmake leaves a
 * database that has any). */
#define SMDP_ROWS_SQL                                                                              \
	"SELECT (SELECT count(*) FROM smdp_profile) + (SELECT count(*) FROM smdp_audit)"

/* The SM-DP+ inventory of o into *out, for `verb` (messages). made NULL: a verb that works
 * on what is already there (order, list, audit, reports, backup) creates nothing and writes
 * nothing into a database that holds no inventory (check_inventory, then an open that
 * creates nothing), as `openrsp auc` for all verbs but add, instead of leaving an empty
 * database, or an inventory made of a 0-byte file, and a new KEK file behind. Otherwise a
 * database that does not exist is created with its KEK file, and *made says which files
 * this call created (cli_unmake takes them away). open_mode: the open's mode when made is NULL,
 * ORSP_DB_OPEN_EXISTING, ORSP_DB_OPEN_UNMIGRATED for `smdp backup` (an older schema copied
 * as it is), or ORSP_DB_OPEN_READONLY for a verb that only reads (open_smdp_read). */
static int open_smdp_mode(const db_opts *o, const char *verb, orsp_db_open_mode open_mode,
                          orsp_smdp **out, cli_made *made)
{
	char kek_path[4096];
	orsp_secret kek = {0};
	orsp_err e;
	int rc;

	/* the file the store opens (a `file:` URI's path) + ".kek", as `openrsp auc` */
	rc = cli_kek_path(o->kek_file, "--db", o->db, kek_path, sizeof(kek_path));
	if (rc)
		return rc;
	if (made && (rc = cli_made_before(made, "--db", o->db, kek_path, SMDP_ROWS_SQL)))
		return rc;
	if ((rc = made ? check_db(o->db, ORSP_DB_OPEN_CREATE, NULL)
	               : check_inventory(o->db, verb, open_mode)))
		return rc;
	/* a KEK file only with a new database (orsp_kek_load_for_db), as `openrsp auc`; never
	 * for a verb that needs the inventory there */
	e = made ? orsp_kek_load_for_db(o->db, kek_path, &kek)
	         : orsp_kek_load_existing(kek_path, &kek);
	if (e == ORSP_E_USAGE && getenv("ORSP_KEK")) {
		fprintf(stderr, "openrsp: %s\n", orsp_err_detail());
		return CLI_USAGE;
	}
	if (e == ORSP_E_NOT_FOUND)
		return no_kek(kek_path, o->db);
	if (e)
		return cli_fail("KEK", e);
	e = orsp_smdp_open_ex(o->db, made ? ORSP_DB_OPEN_CREATE : open_mode, &kek, out);
	orsp_secret_wipe(&kek);
	if (made) {
		cli_made_after(made);
		/* a database another process created meanwhile (and the KEK file it made or
		 * took) is not this one's to remove */
		if (!e && !orsp_smdp_created(*out))
			made->db = made->kek = false;
	}
	if (e)
		return made ? cli_fail(o->db, e) : no_inventory(verb, o->db, e);
	/* as the server with that configuration: nobody would send the reports
	 * (docs/smdp-server.md); with --db they are queued for the servers that send them */
	if (o->no_callback)
		orsp_smdp_set_progress(*out, false);
	return CLI_OK;
}

static int open_smdp(const db_opts *o, const char *verb, orsp_smdp **out, cli_made *made)
{
	return open_smdp_mode(o, verb, ORSP_DB_OPEN_EXISTING, out, made);
}

/* For a verb that only reads (profile list, audit, reports without --resend, profile purge
 * --dry-run): the inventory opened read-only (ORSP_DB_OPEN_READONLY), which leaves the
 * database byte for byte as it was: no migration, no switch to WAL, no -wal/-shm made, no
 * KEK check value stored. Until session 73 these verbs opened it as the verbs that write do,
 * and so reading a backup taken before an upgrade (copied as it is, `smdp backup`) migrated
 * it, after which the binary to go back to refused it; reading any backup switched it to
 * WAL. An older schema is refused (cli_read_schema) rather than read: this version's queries
 * are written for its own schema, and on an older one a column or table a later migration
 * added is missing (the read would fail part-way, the output cut) or rows a migration
 * rewrites (11: the codes of Failed reports, 14: the orders' due times) would show what the
 * migrated database does not; one rule for every verb and version, said before any output. */
static int open_smdp_read(const db_opts *o, const char *verb, orsp_smdp **out)
{
	orsp_smdp_schema_info si;
	orsp_err e;
	int rc = open_smdp_mode(o, verb, ORSP_DB_OPEN_READONLY, out, NULL);

	if (rc)
		return rc;
	e = orsp_smdp_schema(*out, &si);
	rc = cli_read_schema(verb, o->db, "smdp", e, si.smdp, si.smdp_latest,
	                     "`smdp serve`, or a verb that writes (order, profile import, "
	                     "reports --resend...),");
	if (rc == CLI_OK)
		return CLI_OK;
	orsp_smdp_close(*out);
	*out = NULL;
	return rc;
}

/* --auc's checks before anything is opened (generate, import). One file for both stores
 * would deadlock: the AuC's write transaction is open while the SM-DP+ begins its own on
 * another connection to the file (import_with_auc). */
static int auc_arg_check(const char *auc_db, const db_opts *dbo)
{
	char af[4096], df[4096];
	int rc;

	if (!auc_db[0])
		return cli_usage("--auc", "empty path");
	/* kept in memory, the AuC would lose the keys of profiles the SM-DP+ keeps */
	if ((rc = cli_db_persistent("--auc", auc_db)) ||
	    (rc = cli_db_file("--auc", auc_db, af, sizeof(af))) ||
	    (rc = cli_db_file("--db", dbo->db, df, sizeof(df))))
		return rc;
	if (same_db_file(af, df))
		return cli_usage("--auc", "names the SM-DP+ database (--db): the AuC needs "
		                          "a database of its own");
	return CLI_OK;
}

/* The AuC of --auc looked at, and its KEK (<auc db>.kek, the path `openrsp auc` uses) into
 * *kek, before the SM-DP+'s database is opened: bad input changes nothing. Only an AuC that
 * exists is taken, as by the `openrsp auc` verbs but init and add: a mistyped --auc made a
 * second AuC with its KEK file, which got the subscribers the real one never saw, until
 * session 73. */
static int auc_kek_prepare(const char *auc_db, orsp_secret *kek)
{
	char kp[4096], af[4096], word[4096 + 64];
	orsp_err e;
	int rc;

	if ((rc = cli_kek_path(NULL, "--auc", auc_db, kp, sizeof(kp))) ||
	    (rc = cli_db_file("--auc", auc_db, af, sizeof(af))))
		return rc;
	/* one that cannot hold the AuC (other tables, a directory) is said so as such; then one
	 * that holds none: not there, or an empty file */
	e = orsp_auc_probe(auc_db, ORSP_DB_OPEN_CREATE);
	if (!e)
		e = orsp_auc_probe(auc_db, ORSP_DB_OPEN_EXISTING);
	if (e == ORSP_E_NOT_FOUND) {
		bool there = access(af, F_OK) == 0;
		orsp_err_clear();
		if (!cli_shell_word(auc_db, word, sizeof(word)))
			snprintf(word, sizeof(word), "PATH");
		return cli_failf("--auc", "%s%s%s (`openrsp auc init --db %s` creates one)",
		                 there ? "" : "no AuC database at ", af,
		                 there ? " holds no AuC" : "", word);
	}
	if (!e)
		e = orsp_kek_load_existing(kp, kek);
	if (e == ORSP_E_NOT_FOUND)
		e = orsp_errf(e, "no KEK file at %s for the AuC %s", kp, auc_db);
	return e ? cli_fail(auc_db, e) : CLI_OK;
}

/* The AuC of --auc opened with *kek (wiped), once the SM-DP+'s database is; nothing created
 * (one removed since auc_kek_prepare is not made anew). */
static int auc_open_with(const char *auc_db, orsp_secret *kek, orsp_auc **auc)
{
	orsp_err e = orsp_auc_open_ex(auc_db, ORSP_DB_OPEN_EXISTING, kek, auc);

	orsp_secret_wipe(kek);
	/* an AuC with a KEK of its own, opened with ORSP_KEK (the SM-DP+'s) */
	if (e == ORSP_E_VERIFY && getenv("ORSP_KEK"))
		e = orsp_errf(e,
		              "%s; ORSP_KEK is set, and is the AuC's KEK as well as the "
		              "SM-DP+'s (unset it and give the SM-DP+'s with --kek-file)",
		              orsp_err_detail());
	return e ? cli_fail(auc_db, e) : CLI_OK;
}

/* ----- profile policy rules ----- */

// clang-format off
#define PPR_LONGOPTS \
	{"ppr", required_argument, NULL, OPT_PPR}, \
	{"mnc-length", required_argument, NULL, OPT_MNC_LENGTH}, \
	{"class", required_argument, NULL, OPT_CLASS}
// clang-format on

#define PPR_HELP                                                                                   \
	"  --ppr LIST           Profile Policy Rules of the profiles: ppr1 (disabling not\n"       \
	"                       allowed), ppr2 (deletion not allowed), comma-separated;\n"         \
	"                       the metadata then names the owner (MCC/MNC, GIDs)\n"               \
	"  --mnc-length 2|3     the MNC length (the PPR owner's, and for generate the\n"           \
	"                       IMSI's MSIN and the IMS domain) for packages whose EF.AD\n"        \
	"                       does not give it (it must agree where EF.AD does;\n"               \
	"                       generate writes it there); import: only with --ppr\n"              \
	"  --class C            the profiles' class in their metadata: test, provisioning\n"       \
	"                       or operational (without it the metadata leaves it out,\n"          \
	"                       which means operational)\n"

/* --ppr, --mnc-length and --class into o; false for another option, *rc set on a bad
 * value */
static bool ppr_opt(orsp_smdp_import_opts *o, int c, const char *arg, int *rc)
{
	uint64_t v = 0;

	*rc = CLI_OK;
	if (c == OPT_PPR) {
		if (orsp_smdp_ppr_parse(arg, &o->ppr))
			*rc = cli_usage("--ppr", "%s", orsp_err_detail());
	} else if (c == OPT_MNC_LENGTH) {
		*rc = cli_uint("--mnc-length", arg, 2, 3, &v);
		o->mnc_len = (unsigned)v;
	} else if (c == OPT_CLASS) {
		if (orsp_pkg_class_parse(arg, &o->profile_class))
			*rc = cli_usage("--class", "%s", orsp_err_detail());
	} else
		return false;
	return true;
}

static int ppr_check(const orsp_smdp_import_opts *o)
{
	if (o->mnc_len && !o->ppr)
		return cli_usage("--mnc-length",
		                 "only with --ppr (for the profile owner's MCC/MNC)");
	return CLI_OK;
}

/* ", class test, PPRs ppr1 for MCC 001 MNC 01": what an import set ("" for nothing) */
static void ppr_note(const orsp_smdp_profile *p, char *out, size_t cap)
{
	char rules[32];

	out[0] = '\0';
	if (p->profile_class)
		snprintf(out, cap, ", class %s", orsp_pkg_class_name(p->profile_class));
	if (!p->ppr)
		return;
	orsp_smdp_ppr_str(p->ppr, rules, sizeof(rules));
	snprintf(out + strlen(out), cap - strlen(out), ", PPRs %s for MCC %.3s MNC %s%s%s", rules,
	         p->owner.mcc_mnc, p->owner.mcc_mnc + 3, p->owner.gid1_len ? " GID1" : "",
	         p->owner.gid2_len ? " GID2" : "");
}

/* ----- batches: import and generate commit many profiles at once ----- */

/* Profiles (or files) per batch: --batch's default and limit. A batch is also committed once
 * it has taken BATCH_SECONDS, whatever its size, so that the committed count, a stop by a
 * signal and a server waiting for the database's write lock are never far behind (1 s
 * before: a server's request could wait that long; 0.25 s costs generate nothing measurable,
 * docs/smdp-server.md). */
#define BATCH_DEFAULT 256
#define BATCH_MAX 10000
#define BATCH_SECONDS 0.25

/* After a batch that held the write lock BATCH_GAP_AFTER_S or longer, the lock is left free a
 * little longer than a waiting writer (a server's request) takes to try it again
 * (ORSP_DB_BUSY_STEP_MAX_US), so that it gets in at that batch's end. Until session 78 the
 * next batch began at once: a waiter got in only when its try fell into the log's flush, and
 * an ES2+ call beside a generate waited p50 248 ms, p99 775 ms in the scale review
 * (docs/bench.md, Session 78). 6 ms after 50 ms or more: at most 12 % of the time, about 2 %
 * with the batches of 0.25 s a generate makes; shorter batches (a small --batch) end often
 * enough for a waiter to get in at one of their flushes. */
#define BATCH_GAP_US (ORSP_DB_BUSY_STEP_MAX_US + 1000)
#define BATCH_GAP_AFTER_S 0.05

static void batch_gap(double t0)
{
	if (orsp_mono_s() - t0 >= BATCH_GAP_AFTER_S)
		(void)usleep(BATCH_GAP_US);
}

#define BATCH_HELP                                                                                 \
	"  --batch N            import, generate: profiles committed together, 1 to 10000\n"       \
	"                       (default 256; 1: each on its own); a batch is committed\n"         \
	"                       after 0.25 s of work too, whatever its size\n"

static int batch_opt(const char *arg, size_t *batch)
{
	uint64_t v = 0;
	int rc = cli_uint("--batch", arg, 1, BATCH_MAX, &v);

	*batch = (size_t)v;
	return rc;
}

/* ----- profile import ----- */

/* A package file into *buf (freed with orsp_pkg_buf_free: K/OPc) and *len: a regular file
 * within the package size limit, not empty; with check, also one the import would take but
 * for a duplicate (orsp_smdp_import_check). CLI_OK, or the failure said. */
/* import --auc (below, beside generate's two-store batch) */
static orsp_err auc_ready(const uint8_t *buf, size_t len);
static orsp_err import_one_with_auc(orsp_smdp *s, orsp_auc *auc, const orsp_smdp_import_opts *o,
                                    const uint8_t *buf, size_t len, bool replace_orphans,
                                    bool orphans_asked, bool *replaced, orsp_smdp_profile *p);

/* The package at path into *buf; with check, judged as the import will judge it (and, with
 * auc, as the AuC takes it). */
static int read_package(const char *path, const orsp_smdp_import_opts *o, bool check, bool auc,
                        uint8_t **buf, size_t *len)
{
	orsp_err e;
	int rc;

	if ((rc = cli_read_package(path, buf, len)) != CLI_OK)
		return rc;
	if (*len == 0)
		rc = cli_failf(path, "empty file");
	else if (check && (e = orsp_smdp_import_check(*buf, *len, o)))
		rc = cli_fail(path, e);
	else if (check && auc && (e = auc_ready(*buf, *len)))
		rc = cli_fail(path, e);
	if (rc) {
		orsp_pkg_buf_free(*buf, *len);
		*buf = NULL;
	}
	return rc;
}

/* import's open batch: one SM-DP+ transaction, each file a savepoint in it (orsp_db_begin
 * nested in orsp_smdp_import_with), and the `imported` lines of its files, printed once it
 * is committed: a line printed names a profile the inventory keeps. */
typedef struct import_batch {
	orsp_smdp *s;
	orsp_auc *auc;        /* --auc: each file committed on its own, in both stores */
	const char *auc_db;   /* --auc as given, named in each line */
	bool replace_orphans; /* --replace-orphans, and no file of this run added anew yet */
	bool orphans_asked;   /* --replace-orphans */
	size_t max;           /* --batch */
	size_t n;             /* files in it */
	double t0;            /* when it began (orsp_mono_s) */
	bool open;
	char **path, **line; /* max of each */
} import_batch;

static void import_batch_clear(import_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->path[i]);
		free(b->line[i]);
	}
	b->n = 0;
}

/* Commit import's batch: its lines printed and *ok counted, or, when the commit fails (or a
 * failure in the batch took the transaction with it), each of its files reported as not
 * imported and counted in *failed. A commit that failed only in its flush has committed
 * (orsp_db_committed): its files are imported, with a warning. */
static void import_batch_commit(import_batch *b, size_t *ok, size_t *failed)
{
	orsp_db *db = orsp_smdp_db(b->s);
	orsp_err e;

	if (!b->open)
		return;
	b->open = false;
	e = orsp_db_commit(db);
	if (e && !orsp_db_committed(db)) {
		char detail[512];
		orsp_err_detail_copy(detail, sizeof(detail));
		/* a batch of one: the file's own failure, as one commit per file said it */
		for (size_t i = 0; i < b->n; i++)
			cli_failf(b->path[i], "%s%s", b->n == 1 ? "" : "not imported: ", detail);
		*failed += b->n;
	} else {
		for (size_t i = 0; i < b->n; i++)
			fputs(b->line[i], stdout);
		/* out now: a process killed later has printed what it committed */
		fflush(stdout);
		if (e && b->n == 1)
			fprintf(stderr, "openrsp: warning: %s: %s\n", b->path[0],
			        orsp_err_detail());
		else if (e)
			fprintf(stderr, "openrsp: warning: the %zu files from %s to %s: %s\n", b->n,
			        b->path[0], b->path[b->n - 1], orsp_err_detail());
		*ok += b->n;
	}
	import_batch_clear(b);
}

/* The package buf into b's open batch (begun here if none is): a savepoint of its transaction
 * (orsp_smdp_import_with), the profile into *p. */
static orsp_err import_in_batch(import_batch *b, const orsp_smdp_import_opts *o, const uint8_t *buf,
                                size_t len, orsp_smdp_profile *p)
{
	orsp_err e;

	if (!b->open) {
		if ((e = orsp_db_begin(orsp_smdp_db(b->s))))
			return e;
		b->open = true;
		b->t0 = orsp_mono_s();
	}
	return orsp_smdp_import_with(b->s, buf, len, o, p);
}

/* The package buf of path (read_package) into b's batch, or with --auc into both stores on
 * its own; buf is freed. A file that fails is
 * rolled back alone, and the batch is committed before its failure is reported, so the lines
 * keep the files' order. */
static int import_buf(import_batch *b, const orsp_smdp_import_opts *o, const char *path,
                      uint8_t *buf, size_t len, size_t *ok, size_t *failed)
{
	orsp_smdp_profile p;
	char note[128], type[sizeof(p.profile_type)];
	/* room for the line whatever the package holds */
	size_t cap = strlen(path) + (b->auc_db ? strlen(b->auc_db) : 0) + sizeof(p.iccid) +
	             sizeof(p.imsi) + sizeof(type) + sizeof(note) + 96;
	char *line = malloc(cap), *name = strdup(path);
	bool replaced = false;
	orsp_err e = ORSP_OK;

	if (!line || !name)
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
	if (!e && b->auc) {
		e = import_one_with_auc(b->s, b->auc, o, buf, len, b->replace_orphans,
		                        b->orphans_asked, &replaced, &p);
		/* a subscriber added anew ends the run's start, where a killed run's orphans
		 * are: no later one is replaced (it may be another SIM's, `auc add`) */
		if (!e && !replaced)
			b->replace_orphans = false;
	} else if (!e) {
		e = import_in_batch(b, o, buf, len, &p);
	}
	orsp_pkg_buf_free(buf, len);
	if (e) {
		char detail[ORSP_ERR_DETAIL_MAX];
		orsp_err_detail_copy(detail, sizeof(detail));
		free(line);
		free(name);
		(*failed)++;
		import_batch_commit(b, ok, failed);
		return cli_failf(path, "%s", detail);
	}
	ppr_note(&p, note, sizeof(note));
	/* the package's profileType: no escape sequence to the terminal (cli_text) */
	/* the AuC named: which file got the subscriber (a mistyped --auc made a new one) */
	snprintf(line, cap, "imported %s (IMSI %s, type \"%s\"%s%s%s%s) from %s\n", p.iccid, p.imsi,
	         cli_text(p.profile_type, type, sizeof(type)), note,
	         b->auc ? ", its subscriber into the AuC " : "", b->auc ? b->auc_db : "",
	         b->auc && replaced ? ", replacing one without a profile" : "", path);
	if (b->auc) {
		/* committed already, in both stores; out now, so that the lines of a process
		 * killed later (stdout a file or a pipe, fully buffered) name what it kept */
		fputs(line, stdout);
		fflush(stdout);
		free(line);
		free(name);
		(*ok)++;
		return CLI_OK;
	}
	b->path[b->n] = name;
	b->line[b->n++] = line;
	if (b->n >= b->max || orsp_mono_s() - b->t0 >= BATCH_SECONDS) {
		double t0 = b->t0;
		import_batch_commit(b, ok, failed);
		batch_gap(t0);
	}
	return CLI_OK;
}

static int import_file(import_batch *b, const orsp_smdp_import_opts *o, const char *path,
                       size_t *ok, size_t *failed)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = read_package(path, o, false, false, &buf, &len)) != CLI_OK) {
		(*failed)++;
		return rc;
	}
	return import_buf(b, o, path, buf, len, ok, failed);
}

static int der_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return d->d_name[0] != '.' && n > 4 && strcmp(d->d_name + n - 4, ".der") == 0;
}

/* The entry name of the directory dir into out; false, said on stderr, when it does not fit.
 * "profiles/" and "profiles" give the same file names. */
static bool dir_entry(const char *dir, const char *name, char *out, size_t cap)
{
	size_t dl = strlen(dir);

	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	if (snprintf(out, cap, "%.*s%s%s", (int)dl, dir, dir[dl - 1] == '/' ? "" : "/", name) <
	    (int)cap)
		return true;
	/* a failure of that file, named as the others are (until session 65 only counted) */
	(void)cli_failf(name, "its path in %.*s is longer than %zu bytes", (int)dl, dir, cap - 1);
	return false;
}

static int smdp_profile_import(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    PPR_LONGOPTS,
	    {"batch", required_argument, NULL, OPT_BATCH},
	    {"auc", required_argument, NULL, OPT_AUC},
	    {"replace-orphans", no_argument, NULL, OPT_REPLACE_ORPHANS},
	    {NULL, 0, NULL, 0}};
	db_opts dbo = {0};
	orsp_smdp_import_opts io = {0};
	orsp_smdp *s = NULL;
	orsp_auc *auc = NULL;
	orsp_secret auc_kek = {0};
	const char *auc_db = NULL;
	import_batch ib = {.max = BATCH_DEFAULT};
	cli_made made = {0};
	struct stat st;
	volatile sig_atomic_t *stop;
	size_t ok = 0, failed = 0, first_len = 0, left = 0;
	uint8_t *first = NULL;
	char entry[4096];
	const char *first_path = entry;
	bool any_good;
	int rc, c, next = 0;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		if (c == OPT_BATCH) {
			if ((rc = batch_opt(optarg, &ib.max)))
				return rc;
			continue;
		}
		if (c == OPT_AUC) {
			auc_db = optarg;
			continue;
		}
		if (c == OPT_REPLACE_ORPHANS) {
			ib.replace_orphans = ib.orphans_asked = true;
			continue;
		}
		if (!ppr_opt(&io, c, optarg, &rc))
			return cli_usage(argv[optind - 1], "unexpected option");
		if (rc)
			return rc;
	}
	if ((rc = cli_positional(argc, argv, 1, "DIR|FILE")) || (rc = ppr_check(&io)))
		return rc;
	const char *path = argv[optind];
	struct dirent **list = NULL;
	int n = 0;
	if (ib.replace_orphans && !auc_db)
		return cli_usage("--replace-orphans", "only with --auc");
	if ((rc = db_config(&dbo)) || (auc_db && (rc = auc_arg_check(auc_db, &dbo))))
		return rc;
	/* after the usage errors: a FILE that is not there fails the run (exit 1), as a
	 * missing package does for profile inspect and generate's --template */
	if (stat(path, &st) != 0)
		return cli_failf(path, "cannot open: %s", strerror(errno));
	/* listed before the database is opened (or created): a directory without packages is
	 * a mistake (the wrong directory, or files not named *.der), not an empty success */
	if (S_ISDIR(st.st_mode)) {
		n = scandir(path, &list, der_filter, alphasort);
		if (n < 0)
			return cli_failf(path, "cannot list the directory");
		if (n == 0) {
			free(list);
			return cli_failf(path, "no *.der file in this directory");
		}
	}
	/* Bad input changes nothing: the open creates a database, or migrates an older one, so
	 * the FILE, or a DIR's files up to the first the import would take, are read and judged
	 * before it (orsp_smdp_import_check); a FILE or a DIR of nothing but such files leaves
	 * the database as it was. The DIR's files after that one are read once it is open. */
	if (!S_ISDIR(st.st_mode)) {
		first_path = path;
		if (read_package(path, &io, true, auc_db != NULL, &first, &first_len))
			failed++;
	}
	for (next = 0; next < n && !first; next++) {
		if (!dir_entry(path, list[next]->d_name, entry, sizeof(entry)) ||
		    read_package(entry, &io, true, auc_db != NULL, &first, &first_len))
			failed++;
	}
	any_good = first != NULL;
	/* SIGINT, SIGTERM, SIGHUP stop between two files: the open batch is committed (killed,
	 * the process lost it), and the files not looked at are named */
	stop = cli_stop_on_signals();
	ib.path = calloc(ib.max, sizeof(*ib.path));
	ib.line = calloc(ib.max, sizeof(*ib.line));
	if (any_good && (!ib.path || !ib.line))
		rc = cli_failf("smdp profile import", "out of memory");
	else if (!any_good)
		rc = CLI_FAIL;
	/* the AuC of --auc looked at, and its KEK, before either store is opened */
	else if (!auc_db || !(rc = auc_kek_prepare(auc_db, &auc_kek)))
		rc = open_smdp(&dbo, "smdp profile import", &s, &made);
	if (rc == CLI_OK && auc_db)
		rc = auc_open_with(auc_db, &auc_kek, &auc);
	if (rc == CLI_OK) {
		ib.s = s;
		ib.auc = auc;
		ib.auc_db = auc_db;
		(void)import_buf(&ib, &io, first_path, first, first_len, &ok, &failed);
		first = NULL;
		for (int i = next; i < n; i++) {
			char file[4096];
			if (orsp_stop_set(stop)) {
				left = (size_t)(n - i);
				next = i;
				break;
			}
			if (dir_entry(path, list[i]->d_name, file, sizeof(file)))
				(void)import_file(&ib, &io, file, &ok, &failed);
			else
				failed++;
		}
		import_batch_commit(&ib, &ok, &failed);
	}
	/* the summary of a directory whose files were all looked at, or of those looked at
	 * before a signal */
	if (S_ISDIR(st.st_mode) && (s || !any_good))
		printf("%zu imported, %zu failed\n", ok, failed);
	if (left) {
		char file[4096];
		if (!dir_entry(path, list[next]->d_name, file, sizeof(file)))
			snprintf(file, sizeof(file), "%s", list[next]->d_name);
		rc = cli_failf("smdp profile import",
		               "stopped by a signal; %zu file(s) not looked at, from %s on", left,
		               file);
	}
	if (first)
		orsp_pkg_buf_free(first, first_len);
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	free(ib.path);
	free(ib.line);
	if (rc == CLI_OK)
		rc = failed ? CLI_FAIL : CLI_OK;
	/* nothing imported: no new, empty database is left for a failed import (one that
	 * imported some packages keeps them) */
	orsp_auc_close(auc);
	orsp_smdp_close(s);
	orsp_secret_wipe(&auc_kek);
	if (rc != CLI_OK && ok == 0)
		cli_unmake(&made);
	return rc;
}

/* ----- profile list ----- */

/* --iccid of `profile list`, `profile purge`, `audit` and `reports`: up to 20 digits, or 19
 * digits and the F that pads them (ES2+'s form, as `order` and `cancel` take it: the pad is
 * cut off here, in argv's string, so that they all name the profile as the inventory keeps
 * it) */
static int iccid_opt(char *val)
{
	size_t n = strlen(val);

	if (n == 20 && (val[19] == 'F' || val[19] == 'f') && strspn(val, "0123456789") == 19)
		val[19] = '\0';
	else if (!n || n > 20 || strspn(val, "0123456789") != n)
		return cli_usage("--iccid", "expected up to 20 digits, or 19 digits and F");
	return CLI_OK;
}

/* What `profile list`, `audit` and `reports` print with: JSON or text, rows so far. */
typedef struct log_ctx {
	bool json;
	cli_json j;
	size_t n;
	int aw; /* audit: the ACTION column's width, from the first text row on */
} log_ctx;

static int list_one(const orsp_smdp_profile *p, void *arg)
{
	log_ctx *ctx = arg;
	char type[sizeof(p->profile_type)];

	ctx->n++;
	if (ctx->json) {
		cli_json *j = &ctx->j;
		cj_obj_begin(j, NULL);
		cj_str(j, "iccid", p->iccid);
		cj_str(j, "imsi", p->imsi);
		cj_str(j, "profileType", p->profile_type);
		cj_str(j, "state", orsp_smdp_state_name(p->state));
		if (p->eid[0])
			cj_str(j, "eid", p->eid);
		if (p->matching_id[0])
			cj_str(j, "matchingId", p->matching_id);
		cj_bool(j, "ccRequired", p->cc_required);
		cj_u64(j, "ccAttempts", p->cc_attempts);
		cj_u64(j, "ccLimit", p->cc_limit);
		cj_u64(j, "downloadAttempts", p->download_attempts);
		cj_u64(j, "downloadLimit", p->download_limit);
		if (p->expires_at)
			cj_i64(j, "expiresAt", p->expires_at);
		cj_u64(j, "uppLength", p->upp_len); /* 0: purged (`profile purge`) */
		cj_bool(j, "packageHeld", p->upp_len != 0);
		if (p->profile_class)
			cj_str(j, "profileClass", orsp_pkg_class_name(p->profile_class));
		if (p->ppr) {
			char one[8];
			cj_arr_begin(j, "profilePolicyRules");
			for (unsigned b = 1; b < 8; b++)
				if (p->ppr & (1u << b)) {
					orsp_smdp_ppr_str(1u << b, one, sizeof(one));
					cj_str(j, NULL, one);
				}
			cj_arr_end(j);
			cj_obj_begin(j, "profileOwner");
			snprintf(one, sizeof(one), "%.3s", p->owner.mcc_mnc);
			cj_str(j, "mcc", one);
			cj_str(j, "mnc", p->owner.mcc_mnc + 3);
			if (p->owner.gid1_len)
				cj_hex(j, "gid1", p->owner.gid1, p->owner.gid1_len);
			if (p->owner.gid2_len)
				cj_hex(j, "gid2", p->owner.gid2, p->owner.gid2_len);
			cj_obj_end(j);
		}
		cj_obj_end(j);
		return 0;
	}
	if (ctx->n == 1)
		printf("%-20s  %-15s  %-11s  %-23s  %s\n", "ICCID", "IMSI", "STATE", "MATCHING ID",
		       "PROFILE TYPE");
	/* the package's profileType, as imported: no escape sequence to the terminal */
	printf("%-20s  %-15s  %-11s  %-23s  %s\n", p->iccid, p->imsi,
	       orsp_smdp_state_name(p->state), p->matching_id[0] ? p->matching_id : "-",
	       cli_text(p->profile_type, type, sizeof(type)));
	return 0;
}

/* ----- audit and reports ----- */

/* The ACTION column's width: the longest action the SM-DP+ writes (the events'
 * "cancelOrder(unavailable)"; import, bindEid, checkCc, downloadAttempt ... are shorter). */
static int action_width(void)
{
	size_t w = strlen("downloadAttempt");

	for (int e = 0; e < ORSP_SMDP_EVENT__COUNT; e++)
		if (strlen(orsp_smdp_event_name((orsp_smdp_event)e)) > w)
			w = strlen(orsp_smdp_event_name((orsp_smdp_event)e));
	return (int)w;
}

static int audit_one(const orsp_smdp_audit_row *r, void *arg)
{
	log_ctx *ctx = arg;
	char when[32], detail[sizeof(r->detail)];

	orsp_utc_text(r->at, 'T', when);
	ctx->n++;
	if (ctx->json) {
		cj_obj_begin(&ctx->j, NULL);
		cj_i64(&ctx->j, "id", r->id);
		cj_str(&ctx->j, "time", when);
		cj_str(&ctx->j, "action", r->action);
		cj_str(&ctx->j, "iccid", r->iccid);
		cj_str(&ctx->j, "from", r->from);
		cj_str(&ctx->j, "to", r->to);
		cj_str(&ctx->j, "detail", r->detail);
		cj_obj_end(&ctx->j);
		return 0;
	}
	if (ctx->n == 1) {
		ctx->aw = action_width();
		printf("%-20s  %-*s  %-20s  %-11s  %-11s  %s\n", "TIME", ctx->aw, "ACTION", "ICCID",
		       "FROM", "TO", "DETAIL");
	}
	/* a detail may quote a path or a server's reason: no escape sequence to the terminal */
	printf("%-20s  %-*s  %-20s  %-11s  %-11s  %s\n", when, ctx->aw, r->action, r->iccid,
	       r->from, r->to, cli_text(r->detail, detail, sizeof(detail)));
	return 0;
}

static const char *report_state(int done)
{
	return done == 1 ? "delivered" : done == 2 ? "given-up" : "pending";
}

static int report_one(const orsp_smdp_report_row *r, void *arg)
{
	log_ctx *ctx = arg;
	char when[32], status[48], detail[sizeof(r->detail)];

	orsp_utc_text(r->at, 'T', when);
	ctx->n++;
	if (ctx->json) {
		cj_obj_begin(&ctx->j, NULL);
		cj_i64(&ctx->j, "id", r->id);
		cj_str(&ctx->j, "time", when);
		cj_str(&ctx->j, "iccid", r->iccid);
		if (r->eid[0])
			cj_str(&ctx->j, "eid", r->eid);
		cj_i64(&ctx->j, "notificationPointId", r->point);
		cj_str(&ctx->j, "status", r->success ? "Executed-Success" : "Failed");
		if (r->subject[0]) {
			cj_str(&ctx->j, "subjectCode", r->subject);
			cj_str(&ctx->j, "reasonCode", r->reason);
		}
		if (r->detail[0])
			cj_str(&ctx->j, "detail", r->detail);
		cj_str(&ctx->j, "delivery", report_state(r->done));
		cj_u64(&ctx->j, "attempts", r->attempts);
		cj_obj_end(&ctx->j);
		return 0;
	}
	if (ctx->n == 1)
		printf("%-20s  %-20s  %-5s  %-17s  %-9s  %-8s  %s\n", "TIME", "ICCID", "POINT",
		       "STATUS", "DELIVERY", "ATTEMPTS", "DETAIL");
	if (r->success)
		snprintf(status, sizeof(status), "Executed-Success");
	else if (r->subject[0])
		snprintf(status, sizeof(status), "Failed %s/%s", r->subject, r->reason);
	else
		snprintf(status, sizeof(status), "Failed");
	printf("%-20s  %-20s  %-5d  %-17s  %-9s  %-8u  %s\n", when, r->iccid, r->point, status,
	       report_state(r->done), r->attempts, cli_text(r->detail, detail, sizeof(detail)));
	return 0;
}

typedef enum walk_kind { WALK_AUDIT, WALK_REPORTS } walk_kind;

/* `smdp reports --resend`: the given-up reports queued again in the database whatever the
 * configuration: a server of another one (with a callback_url) on the same database sends
 * them, one of this one never does, which the operator is told (stderr; "no_callback_url"
 * in JSON, with --config). */
static int reports_resend(orsp_smdp *s, const char *iccid, bool json, const db_opts *o)
{
	size_t n = 0;
	orsp_err e = orsp_smdp_report_resend(s, iccid, &n);

	if (e)
		return cli_fail("smdp reports --resend", e);
	if (o->no_callback)
		fprintf(
		    stderr,
		    "openrsp: warning: smdp reports --resend: %s has no callback_url: no server "
		    "of that configuration sends progress reports (queued again all the same, "
		    "for a server with one on the same database)\n",
		    o->config);
	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_u64(&j, "resent", n);
		if (o->config)
			cj_bool(&j, "no_callback_url", o->no_callback);
		cj_obj_end(&j);
		cj_done(&j);
	} else {
		printf("queued again: %zu progress report%s given up\n", n, n == 1 ? "" : "s");
	}
	return CLI_OK;
}

/* `smdp audit` and `smdp reports`: the same options, one walk each; audit also takes --limit
 * (as `auc audit`), reports --resend. */
static int smdp_log(int argc, char **argv, walk_kind kind)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"iccid", required_argument, NULL, OPT_ICCID},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"resend", no_argument, NULL, OPT_RESEND},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {NULL, 0, NULL, 0},
	};
	static const char *const what[] = {"smdp audit", "smdp reports"};
	static const char *const none[] = {"no audit rows", "no progress reports"};
	db_opts dbo = {0};
	orsp_smdp *s = NULL;
	const char *iccid = NULL;
	bool resend = false;
	uint64_t limit = 0;
	log_ctx ctx;
	int rc, c;
	orsp_err e;

	memset(&ctx, 0, sizeof(ctx));
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		if (c == OPT_JSON)
			ctx.json = true;
		else if (c == OPT_RESEND && kind == WALK_REPORTS)
			resend = true;
		else if (c == OPT_LIMIT && kind == WALK_AUDIT) {
			if ((rc = cli_uint("--limit", optarg, 1, 1000000000, &limit)))
				return rc;
		} else if (c == OPT_ICCID) {
			if ((rc = iccid_opt(optarg)))
				return rc;
			iccid = optarg;
		} else if (c == OPT_LIMIT) /* reports: argv[optind - 1] is its value */
			return cli_usage("--limit",
			                 "unexpected option (audit takes it, not reports)");
		else
			return cli_usage(argv[optind - 1], "unexpected option");
	}
	if ((rc = cli_positional(argc, argv, 0, "")) || (rc = db_config(&dbo)))
		return rc;
	rc = resend ? open_smdp(&dbo, what[kind], &s, NULL) : open_smdp_read(&dbo, what[kind], &s);
	if (rc)
		return rc;
	if (resend) {
		rc = reports_resend(s, iccid, ctx.json, &dbo);
		orsp_smdp_close(s);
		return rc;
	}
	if (ctx.json)
		cj_arr_begin(&ctx.j, NULL);
	e = kind == WALK_AUDIT
	        ? orsp_smdp_audit_walk_ex(s, iccid, (size_t)limit, audit_one, &ctx, NULL)
	        : orsp_smdp_report_walk(s, iccid, report_one, &ctx, NULL);
	if (ctx.json) {
		cj_arr_end(&ctx.j);
		cj_done(&ctx.j);
	}
	if (e)
		rc = cli_fail(what[kind], e);
	else if (!ctx.json && ctx.n == 0)
		printf("%s\n", none[kind]);
	orsp_smdp_close(s);
	return rc;
}

/* --state: state names as the list prints them, comma-separated, into bits 1u << state
 * (added to *bits: the option may be repeated). */
static int states_opt(const char *val, unsigned *bits)
{
	char names[160];
	size_t at = 0;

	for (int i = 0; i < ORSP_SMDP_STATE__COUNT; i++)
		at += (size_t)snprintf(names + at, sizeof(names) - at, "%s%s", i ? ", " : "",
		                       orsp_smdp_state_name((orsp_smdp_state)i));
	for (const char *p = val;; p++) {
		size_t n = strcspn(p, ",");
		char one[16];
		orsp_smdp_state st;

		if (n == 0 || n >= sizeof(one))
			return cli_usage("--state", "expected state names separated by commas (%s)",
			                 names);
		memcpy(one, p, n);
		one[n] = '\0';
		if (orsp_smdp_state_parse(one, &st) != ORSP_OK)
			return cli_usage("--state", "unknown state '%s' (expected %s)", one, names);
		*bits |= 1u << st;
		p += n;
		if (!*p)
			return CLI_OK;
	}
}

/* --older-than: a count and its unit, s, m, h or d ("90s", "30m", "6h", "2d"), into
 * seconds: 1 second up to 36500 days. */
static int duration_opt(const char *val, int64_t *out)
{
	static const struct {
		char unit;
		int64_t s;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	const int64_t max = 36500 * (int64_t)86400;
	int64_t v = 0;
	size_t i = 0;

	for (; val[i] >= '0' && val[i] <= '9' && v <= max; i++)
		v = v * 10 + (val[i] - '0');
	if (i > 0 && val[i] && !val[i + 1])
		for (size_t u = 0; u < ORSP_ARRAY_LEN(units); u++)
			if (val[i] == units[u].unit && v <= max / units[u].s &&
			    v * units[u].s >= 1) {
				*out = v * units[u].s;
				return CLI_OK;
			}
	return cli_usage("--older-than",
	                 "expected a duration such as 90s, 30m, 6h or 2d (1s to 36500d), not '%s'",
	                 val);
}

/* `smdp profile list --count`: per state (those of --state, else every one) and the total. */
static void print_counts(const size_t n[ORSP_SMDP_STATE__COUNT], unsigned states, bool json)
{
	cli_json j = {0};
	size_t total = 0;

	if (json)
		cj_obj_begin(&j, NULL);
	else
		printf("%-11s  %s\n", "STATE", "PROFILES");
	for (int i = 0; i < ORSP_SMDP_STATE__COUNT; i++) {
		if (states && !(states & (1u << i)))
			continue;
		total += n[i];
		if (json)
			cj_u64(&j, orsp_smdp_state_name((orsp_smdp_state)i), n[i]);
		else
			printf("%-11s  %zu\n", orsp_smdp_state_name((orsp_smdp_state)i), n[i]);
	}
	if (json) {
		cj_u64(&j, "total", total);
		cj_obj_end(&j);
		cj_done(&j);
	} else
		printf("%-11s  %zu\n", "total", total);
}

/* The filter options of `profile list` and `profile purge` (--state, --iccid, --eid,
 * --older-than into *older, --limit): *taken says whether c was one; a bad value is the usage
 * error's status. */
static int filter_opt(int c, char *arg, orsp_smdp_filter *f, int64_t *older, bool *taken)
{
	uint64_t v;
	int rc;

	*taken = true;
	switch (c) {
	case OPT_STATES:
		return states_opt(arg, &f->states);
	case OPT_ICCID:
		if ((rc = iccid_opt(arg)))
			return rc;
		f->iccid = arg;
		return CLI_OK;
	case OPT_EID:
		if (orsp_eid_check(arg) != ORSP_OK)
			return cli_usage("--eid", "expected 32 digits with valid check digits");
		f->eid = arg;
		return CLI_OK;
	case OPT_OLDER_THAN:
		return duration_opt(arg, older);
	case OPT_LIMIT:
		if ((rc = cli_uint("--limit", arg, 1, UINT32_MAX, &v)))
			return rc;
		f->limit = (size_t)v;
		return CLI_OK;
	default:
		*taken = false;
		return CLI_OK;
	}
}

/* --older-than DURATION (older, 0: not given) into f: last state change before now minus
 * DURATION by s's clock; past the epoch nothing is that old. */
static void filter_older(const orsp_smdp *s, orsp_smdp_filter *f, int64_t older)
{
	if (older) {
		int64_t now = orsp_smdp_now(s);
		f->changed_before = now - older > 0 ? now - older : 1;
	}
}

/* `smdp profile list`: the profiles the filters take (all without), in import order, or
 * with --count how many per state. Usage errors before the database is opened. */
static int smdp_profile_list(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"state", required_argument, NULL, OPT_STATES},
	    {"iccid", required_argument, NULL, OPT_ICCID},
	    {"eid", required_argument, NULL, OPT_EID},
	    {"older-than", required_argument, NULL, OPT_OLDER_THAN},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {"count", no_argument, NULL, OPT_COUNT_ONLY},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	orsp_smdp_filter f = {0};
	db_opts dbo = {0};
	orsp_smdp *s = NULL;
	int64_t older = 0;
	bool count = false, more = false, taken;
	log_ctx ctx;
	int rc, c;
	orsp_err e;

	memset(&ctx, 0, sizeof(ctx));
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		if ((rc = filter_opt(c, optarg, &f, &older, &taken)) || taken) {
			if (rc)
				return rc;
			continue;
		}
		switch (c) {
		case OPT_JSON:
			ctx.json = true;
			break;
		case OPT_COUNT_ONLY:
			count = true;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if (count && f.limit)
		return cli_usage("--limit", "not with --count (which counts every match)");
	if ((rc = cli_positional(argc, argv, 0, "")) || (rc = db_config(&dbo)))
		return rc;
	rc = open_smdp_read(&dbo, "smdp profile list", &s);
	if (rc)
		return rc;
	filter_older(s, &f, older);
	if (count) {
		size_t n[ORSP_SMDP_STATE__COUNT];
		e = orsp_smdp_count_where(s, &f, n);
		if (!e)
			print_counts(n, f.states, ctx.json);
	} else {
		if (ctx.json)
			cj_arr_begin(&ctx.j, NULL);
		e = orsp_smdp_list_where(s, &f, list_one, &ctx, NULL, &more);
		if (ctx.json) {
			cj_arr_end(&ctx.j);
			cj_done(&ctx.j);
		}
	}
	if (e)
		rc = cli_fail("smdp profile list", e);
	else if (!count && more) /* JSON: the array stays the whole of stdout */
		fprintf(ctx.json ? stderr : stdout, "%sthe first %zu shown (--limit): more match\n",
		        ctx.json ? "openrsp: smdp profile list: " : "", ctx.n);
	else if (!count && !ctx.json && ctx.n == 0)
		printf("%s\n", f.states || f.iccid || f.eid || f.changed_before
		                   ? "no profile matches"
		                   : "no profiles");
	orsp_smdp_close(s);
	return rc;
}

/* ----- profile purge ----- */

typedef struct purge_stop {
	const volatile sig_atomic_t *stop;
	bool stopped; /* the purge stopped before the filters' end (a signal came) */
} purge_stop;

static bool purge_go_on(void *arg)
{
	purge_stop *p = arg;

	p->stopped = orsp_stop_set(p->stop);
	return !p->stopped;
}

/* `smdp profile purge`: drop the packages (K, OPc) of profiles whose download has ended, in
 * the states of --state (default installed), those the other filters take. Usage errors,
 * a state that is not final among them, before the database is opened. */
static int smdp_profile_purge(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"state", required_argument, NULL, OPT_STATES},
	    {"iccid", required_argument, NULL, OPT_ICCID},
	    {"eid", required_argument, NULL, OPT_EID},
	    {"older-than", required_argument, NULL, OPT_OLDER_THAN},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	size_t n[ORSP_SMDP_STATE__COUNT], total = 0;
	purge_stop ps = {0};
	orsp_smdp_filter f = {0};
	db_opts dbo = {0};
	orsp_smdp *s = NULL;
	int64_t older = 0;
	bool json = false, dry = false, taken;
	int rc, c;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		if ((rc = filter_opt(c, optarg, &f, &older, &taken)) || taken) {
			if (rc)
				return rc;
			continue;
		}
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_DRY_RUN:
			dry = true;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if (!f.states)
		f.states = 1u << ORSP_SMDP_INSTALLED;
	for (int i = 0; i < ORSP_SMDP_STATE__COUNT; i++)
		if ((f.states & (1u << i)) && !(ORSP_SMDP_FINAL_STATES & (1u << i)))
			return cli_usage(
			    "--state",
			    "%s is not a final state: its package may still be delivered "
			    "(expected installed, error or unavailable)",
			    orsp_smdp_state_name((orsp_smdp_state)i));
	if ((rc = cli_positional(argc, argv, 0, "")) || (rc = db_config(&dbo)))
		return rc;
	/* SIGINT, SIGTERM, SIGHUP stop between two batches: each batch is committed whole. In
	 * place before the open, which may wait for the write lock (a migration) */
	ps.stop = cli_stop_on_signals();
	/* --dry-run only reads */
	rc = dry ? open_smdp_read(&dbo, "smdp profile purge", &s)
	         : open_smdp(&dbo, "smdp profile purge", &s, NULL);
	if (rc)
		return rc;
	filter_older(s, &f, older);
	e = orsp_smdp_purge(s, &f, dry, purge_go_on, &ps, n);
	for (int i = 0; i < ORSP_SMDP_STATE__COUNT; i++)
		total += n[i];
	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_u64(&j, dry ? "wouldPurge" : "purged", total);
		for (int i = 0; i < ORSP_SMDP_STATE__COUNT; i++)
			if (f.states & (1u << i))
				cj_u64(&j, orsp_smdp_state_name((orsp_smdp_state)i), n[i]);
		cj_bool(&j, "complete", !e && !ps.stopped);
		cj_obj_end(&j);
		cj_done(&j);
	} else {
		char by[96] = "";
		size_t at = 0;
		for (int i = 0; i < ORSP_SMDP_STATE__COUNT; i++)
			if (f.states & (1u << i))
				at += (size_t)snprintf(
				    by + at, sizeof(by) - at, "%s%s %zu", at ? ", " : "",
				    orsp_smdp_state_name((orsp_smdp_state)i), n[i]);
		printf("%s the packages of %zu profile%s (%s)\n", dry ? "would purge" : "purged",
		       total, total == 1 ? "" : "s", by);
	}
	if (e)
		rc = cli_fail("smdp profile purge", e);
	else if (ps.stopped)
		rc = cli_failf("smdp profile purge",
		               dry ? "stopped by a signal; nothing was purged (--dry-run), and the "
		                     "profiles counted above are not all the filters take"
		                   : "stopped by a signal; the profiles counted above were purged, "
		                     "others the filters take may still hold their packages");
	orsp_smdp_close(s);
	return rc;
}

static int smdp_audit(int argc, char **argv)
{
	return smdp_log(argc, argv, WALK_AUDIT);
}

static int smdp_reports(int argc, char **argv)
{
	return smdp_log(argc, argv, WALK_REPORTS);
}

/* ----- rekey ----- */

/* `smdp rekey`: the KEK of --db (or the configuration's database), found as every verb
 * finds it, is replaced by a new one in a new file. Nothing is created but that file: a
 * missing database or old KEK file is refused. */
static int smdp_rekey(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"new-kek-file", required_argument, NULL, OPT_NEW_KEK_FILE},
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	const char *next = NULL;
	char file[4096], kek_path[4096];
	orsp_db_guard *g = NULL;
	orsp_smdp *s = NULL;
	orsp_secret kek = {0};
	size_t n = 0;
	orsp_err e;
	int rc, c;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		if (c == OPT_NEW_KEK_FILE)
			next = optarg;
		else
			return cli_usage(argv[optind - 1], "unexpected option");
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;
	if (!next)
		return cli_missing("--new-kek-file");
	if (!next[0])
		return cli_usage("--new-kek-file", "empty path");
	if ((rc = cli_not_stdout("--new-kek-file", next, "file")))
		return rc;
	if (dbo.kek_file && !dbo.kek_file[0])
		return cli_usage("--kek-file", "empty path");
	if ((rc = db_config(&dbo)) || (rc = cli_db_file("--db", dbo.db, file, sizeof(file))) ||
	    (rc = cli_kek_path(dbo.kek_file, "--db", dbo.db, kek_path, sizeof(kek_path))))
		return rc;
	/* the database first, as every verb (the probe's connection is closed before the guard
	 * is opened); NEW the KEK file in use said as such, not as any file that exists */
	if ((rc = check_inventory(dbo.db, "smdp rekey", ORSP_DB_OPEN_EXISTING)) ||
	    (rc = cli_rekey_new_is_old(next, kek_path, dbo.db)))
		return rc;
	/* NEW before the open, which migrates an older database; one that exists may be what
	 * an interrupted rotation left, and the database's KEK: which one it is, is said */
	if ((e = orsp_kek_rekey_check(dbo.db, next)) == ORSP_E_EXISTS)
		return cli_rekey_left("smdp rekey", dbo.db, kek_path, next, orsp_smdp_kek_opens);
	if (e)
		return cli_fail("smdp rekey", e);
	/* before this process opens the database: the guard must see other processes only */
	e = orsp_db_guard_open(file, &g);
	if (e)
		return cli_fail("smdp rekey", e);
	e = orsp_kek_load_existing(kek_path, &kek);
	if (e == ORSP_E_USAGE && getenv("ORSP_KEK")) {
		orsp_db_guard_close(g);
		fprintf(stderr, "openrsp: %s\n", orsp_err_detail());
		return CLI_USAGE;
	}
	if (e == ORSP_E_NOT_FOUND) {
		orsp_db_guard_close(g);
		return no_kek(kek_path, dbo.db);
	}
	if (!e)
		e = orsp_smdp_open_ex(dbo.db, ORSP_DB_OPEN_EXISTING, &kek, &s);
	orsp_secret_wipe(&kek);
	if (e == ORSP_E_NOT_FOUND) {
		orsp_db_guard_close(g);
		return no_inventory("smdp rekey", dbo.db, e);
	}
	char seal[4097];
	if (!e)
		e = orsp_smdp_rekey(s, g, next, cli_kek_seal_uri(kek_path, seal, sizeof(seal)), &n);
	orsp_smdp_close(s);
	orsp_db_guard_close(g); /* after the last connection: see orsp_db_guard_open */
	if (e)
		return cli_fail("smdp rekey", e);
	cli_rekey_done(n, file, next, kek_path,
	               dbo.config ? "the configuration's kek_file" : "--kek-file");
	return CLI_OK;
}

/* ----- backup ----- */

/* `smdp backup`: a consistent copy of --db (or the configuration's database), found with its
 * KEK as every verb finds them, while servers use it. A database that does not exist is
 * refused (by open_smdp, as for every verb but profile import and generate). */
static int smdp_backup(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"out", required_argument, NULL, OPT_OUT},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	const char *out = NULL;
	char kek_path[4096], line[512];
	const volatile sig_atomic_t *stop;
	orsp_smdp_backup_info info;
	orsp_smdp_schema_info sch = {0};
	orsp_smdp *s = NULL;
	cli_json j = {0};
	bool json = false;
	size_t total = 0, len = 0;
	orsp_err e;
	int rc, c;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		if (c == OPT_OUT)
			out = optarg;
		else if (c == OPT_JSON)
			json = true;
		else
			return cli_usage(argv[optind - 1], "unexpected option");
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;
	if (!out)
		return cli_missing("--out");
	if (!out[0])
		return cli_usage("--out", "empty path");
	if ((rc = cli_not_stdout("--out", out, "file")))
		return rc;
	if (dbo.kek_file && !dbo.kek_file[0])
		return cli_usage("--kek-file", "empty path");
	if ((rc = db_config(&dbo)) ||
	    (rc = cli_kek_path(dbo.kek_file, "--db", dbo.db, kek_path, sizeof(kek_path))))
		return rc;
	/* FILE before anything is read: a refusal leaves the database as it was */
	if ((e = orsp_db_out_check(dbo.db, out, "backup")))
		return cli_fail("smdp backup", e);
	/* SIGINT, SIGTERM, SIGHUP stop it, the partial copy removed; in place before the open,
	 * which may wait for the write lock (a migration) */
	stop = cli_stop_on_signals();
	/* the database as it is: an older one is not migrated, so the backup taken before an
	 * upgrade opens with the program that made it */
	if ((rc = open_smdp_mode(&dbo, "smdp backup", ORSP_DB_OPEN_UNMIGRATED, &s, NULL)))
		return rc;
	e = orsp_smdp_backup(s, out, stop, &info);
	/* the ES9+ schema, copied with the rest, for the summary: the backup is made, so a
	 * failure to read it leaves it unsaid rather than failing the run */
	if (!e && orsp_smdp_schema(s, &sch) != ORSP_OK) {
		orsp_err_clear();
		memset(&sch, 0, sizeof(sch));
	}
	orsp_smdp_close(s);
	if (e)
		return cli_fail("smdp backup", e);
	cli_backup_head(&j, json, &info.file, "smdp", info.schema_version, info.schema_latest,
	                sch.es9p, sch.es9p_latest);
	if (json)
		cj_obj_begin(&j, "profiles");
	line[0] = 0;
	for (int i = 0; i < ORSP_SMDP_STATE__COUNT; i++) {
		const char *name = orsp_smdp_state_name((orsp_smdp_state)i);
		total += info.profiles[i];
		if (json)
			cj_u64(&j, name, info.profiles[i]);
		else if (info.profiles[i] && len < sizeof(line))
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s %zu",
			                        len ? ", " : "", name, info.profiles[i]);
	}
	if (json) {
		cj_u64(&j, "total", total);
		cj_obj_end(&j);
	} else {
		char num[sizeof(line) + 32];
		snprintf(num, sizeof(num), "%zu%s%s%s", total, len ? " (" : "", line,
		         len ? ")" : "");
		cli_backup_kv("profiles", num);
	}
	cli_backup_tail(&j, json, kek_path);
	return CLI_OK;
}

/* ----- generate ----- */

/* ICCID (ITU-T E.118): '89', country code and issuer identifier form the issuer
 * identification number, at most 7 digits; generate counts only in the digits after it, so
 * a range never runs into another issuer. */
#define ICCID_IIN_MAX_DIGITS 7

/* Does counting `count` values up from the decimal string d stay within its digits after the
 * first `fixed` ones (no carry into them)? d has at most 19 digits, so the counted part fits
 * in 64 bits when fixed >= 1. */
static bool count_fits(const char *d, size_t fixed, size_t count)
{
	size_t n = strlen(d);
	uint64_t v = 0, max = 0;

	if (n <= fixed || n - fixed > 18)
		return false;
	for (size_t i = fixed; i < n; i++) {
		v = v * 10 + (uint64_t)(d[i] - '0');
		max = max * 10 + 9;
	}
	return count - 1 <= max - v;
}

/* digits + 1 in place (decimal string); false on overflow */
static bool incr_digits(char *d, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (d[i] != '9') {
			d[i]++;
			return true;
		}
		d[i] = '0';
	}
	return false;
}

/* The AuC subscriber's SQN range from the USIM's own algoParameter (orsp_pkg_naa_aka: the
 * one the USIM loads, src/euicc/usim_fs.c, not merely the package's first, which may be an
 * ISIM's): Δ = sqnDelta, and SEQ_MS(i) = sqnInit[i] for IND i (5 IND bits, the AuC's
 * default). The AuC starts at the highest of them (IND 0), so its first vector, SEQ + 1, is
 * above every SEQ_MS(i) and within Δ of them (TS 33.102 C.2.1). */
static orsp_err auc_sqn_from_pkg(const orsp_pkg *pkg, orsp_auc_new *an)
{
	orsp_pkg_usim u;
	orsp_pkg_aka aka;
	uint64_t seq = 0;
	size_t n = 0;
	orsp_err e = orsp_pkg_get_usim(pkg, 0, &u);

	if (!e)
		e = orsp_pkg_naa_aka(pkg, u.pe_index, &n);
	if (e == ORSP_E_NOT_FOUND)
		return orsp_errf(e, "the USIM has no algoParameter");
	if (!e)
		e = orsp_pkg_get_aka(pkg, n, &aka);
	if (e)
		return e;
	for (size_t j = 0; j < aka.n_sqn_init && j < 32; j++)
		if (aka.sqn_init[j] > seq)
			seq = aka.sqn_init[j];
	/* at SEQ's top no later SQN is fresh: the AuC could make no vector (orsp_aka_sqn_next
	 * refuses the wrap), so it is refused here as a larger one is (it was taken) */
	if (seq >= (ORSP_AKA_SQN_MAX >> an->ind_bits))
		return orsp_errf(
		    ORSP_E_USAGE,
		    "sqnInit %" PRIu64 " too large for the AuC: no SQN would follow it", seq);
	an->sqn_delta = aka.sqn_delta;
	an->sqn = seq << an->ind_bits;
	return ORSP_OK;
}

/* Can the template's security domains get keys of their own (orsp_pkg_perso.sd_keys), and
 * can the AuC name each? Tried once on the template, so that a template that cannot is
 * refused before anything is written, with the way out. *n_sym gets the number of keys each
 * profile draws (the symmetric ones). */
static orsp_err sd_keys_check(orsp_pkg *tpkg, size_t *n_sym)
{
	orsp_pkg_perso tp;
	orsp_pkg_sd_key keys[64];
	size_t n = 0;
	orsp_err e;

	orsp_pkg_perso_init(&tp);
	tp.sd_keys = true;
	e = orsp_pkg_personalise(tpkg, &tp);
	if (!e)
		e = orsp_pkg_get_sd_keys(tpkg, keys, ORSP_ARRAY_LEN(keys), &n);
	if (!e && n > ORSP_ARRAY_LEN(keys))
		e = orsp_errf(ORSP_E_POLICY, "%zu security-domain keys, more than the %zu handled",
		              n, ORSP_ARRAY_LEN(keys));
	*n_sym = 0;
	for (size_t i = 0; !e && i < n; i++) {
		if (!ORSP_PKG_SD_KEY_SYMMETRIC(keys[i].kind))
			continue;
		(*n_sym)++;
		if (keys[i].sd > ORSP_AUC_SD_MAX)
			e = orsp_errf(ORSP_E_POLICY, "more than %d security domains with keys",
			              ORSP_AUC_SD_MAX);
	}
	if (e) {
		char detail[256];
		orsp_err_detail_copy(detail, sizeof(detail));
		e = orsp_errf(e, "%s (--keep-sd-keys keeps the template's security-domain keys)",
		              detail);
	}
	orsp_pkg_perso_wipe(&tp);
	return e;
}

/* The PUKs and ADM keys generate draws per profile (TS 102 221 §9: PUKs 8 digits, ADM keys
 * coded like PINs, 8 digits here), for the references the template defines: the TS.48
 * templates carry public test values that every generated profile would otherwise share. */
typedef struct card_secrets {
	bool has[4];      /* indexed by orsp_auc_card_secret */
	char value[4][9]; /* 8 digits each */
} card_secrets;

static const struct {
	long ref;
	bool puk;
} card_secret_refs[4] = {{0x01, true}, {0x81, true}, {0x0A, false}, {0x0B, false}};

/* Which of PUK1, PUK2, ADM1, ADM2 the template defines. */
static orsp_err card_secrets_of(const orsp_pkg *pkg, card_secrets *cs)
{
	orsp_pkg_pin pins[64];
	size_t n = 0;
	orsp_err e = orsp_pkg_get_pins(pkg, pins, ORSP_ARRAY_LEN(pins), &n);

	memset(cs, 0, sizeof(*cs));
	if (e)
		return e;
	for (size_t i = 0; i < n && i < ORSP_ARRAY_LEN(pins); i++)
		for (size_t j = 0; j < 4; j++)
			if (pins[i].puk == card_secret_refs[j].puk &&
			    pins[i].key_reference == card_secret_refs[j].ref)
				cs->has[j] = true;
	return ORSP_OK;
}

/* 8 random decimal digits (bytes of 250 and above are drawn again: no modulo bias). */
static orsp_err random_digits(char out[9])
{
	uint8_t b[32];
	size_t got = 0;
	orsp_err e = ORSP_OK;

	while (!e && got < 8) {
		e = orsp_random(b, sizeof(b));
		for (size_t i = 0; !e && i < sizeof(b) && got < 8; i++)
			if (b[i] < 250)
				out[got++] = (char)('0' + b[i] % 10);
	}
	out[8] = '\0';
	orsp_wipe(b, sizeof(b));
	return e;
}

static orsp_err card_secrets_draw(card_secrets *cs, orsp_pkg_perso *pp)
{
	const char **slot[4] = {&pp->puk1, &pp->puk2, &pp->adm1, &pp->adm2};
	orsp_err e = ORSP_OK;

	for (size_t j = 0; !e && j < 4; j++)
		if (cs->has[j] && !(e = random_digits(cs->value[j])))
			*slot[j] = cs->value[j];
	return e;
}

/* The keys personalisation drew for the security domains of pkg (orsp_pkg_perso.sd_keys: the
 * symmetric ones) into the AuC as card secrets sd<N>-kvn<XX>-kid<YY>, for the operator's OTA
 * platform; inside import_with_auc's AuC transaction. */
static orsp_err sd_keys_to_auc(orsp_auc *auc, const char *imsi, const orsp_pkg *pkg)
{
	orsp_pkg_sd_key keys[64];
	size_t n = 0;
	orsp_err e = orsp_pkg_get_sd_keys(pkg, keys, ORSP_ARRAY_LEN(keys), &n);

	if (!e && n > ORSP_ARRAY_LEN(keys))
		e = orsp_errf(ORSP_E_RESOURCE,
		              "%zu security-domain keys, more than the %zu handled", n,
		              ORSP_ARRAY_LEN(keys));
	for (size_t i = 0; !e && i < n; i++) {
		char name[ORSP_AUC_SECRET_NAME_MAX];
		orsp_secret v = {0};
		if (!ORSP_PKG_SD_KEY_SYMMETRIC(keys[i].kind))
			continue; /* kept from the template: nothing new to keep */
		e = orsp_auc_sd_key_name(keys[i].sd, keys[i].kvn, keys[i].kid, name);
		if (!e)
			e = orsp_pkg_get_sd_key_data(pkg, &keys[i], &v);
		if (!e)
			e = orsp_auc_set_secret(auc, imsi, name, &v);
		orsp_secret_wipe(&v);
	}
	return e;
}

/* generate's last line: how many profiles, and what of each went to the AuC auc_db, e.g.
 * "generated 5 profile(s), subscribers with K/OPc, PUK1, PUK2, ADM1, ADM2 and 6
 * security-domain keys each added to the AuC auc.db"; auc_db NULL (--no-auc): that those
 * keys went to no AuC. */
static void generate_summary(size_t made, const char *auc_db, const card_secrets *cs,
                             size_t n_sd_keys, bool keep_sd_keys, size_t n_cdma, bool keep_cdma,
                             size_t replaced)
{
	bool auc = auc_db != NULL;
	static const char *const names[4] = {"PUK1", "PUK2", "ADM1", "ADM2"};
	const char *parts[6];
	char sd[48];
	size_t n = 0;

	parts[n++] = "K/OPc";
	for (size_t j = 0; j < 4; j++)
		if (cs->has[j])
			parts[n++] = names[j];
	if (n_sd_keys) {
		snprintf(sd, sizeof(sd), "%zu security-domain key%s", n_sd_keys,
		         n_sd_keys == 1 ? "" : "s");
		parts[n++] = sd;
	}
	printf("generated %zu profile(s)%s", made, auc ? ", subscribers with " : "; ");
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", parts[i]);
	if (auc) {
		printf(" each added to the AuC %s", auc_db);
		if (replaced)
			printf(" (%zu replacing a subscriber without a profile)", replaced);
	} else {
		printf(" each drawn at random, in no AuC (--no-auc)");
	}
	if (keep_sd_keys)
		printf("; the template's security-domain keys kept%s",
		       auc ? " (none in the AuC)" : "");
	if (n_cdma && keep_cdma)
		printf("; the template's CDMA secrets kept");
	else if (n_cdma)
		printf("; %zu CDMA secret%s each drawn at random, kept nowhere", n_cdma,
		       n_cdma == 1 ? "" : "s");
	printf("\n");
}

/* Whether the SM-DP+ holds a profile of this IMSI (the IMSI is unique there); its ICCID into
 * iccid (cap bytes) when iccid is not NULL, "" when it holds none. */
static orsp_err smdp_imsi_profile(orsp_db *db, const char *imsi, bool *has, char *iccid, size_t cap)
{
	orsp_stmt *st = NULL;
	orsp_err e = orsp_db_prepare(db, "SELECT iccid FROM smdp_profile WHERE imsi = ?1", &st);

	*has = false;
	if (iccid)
		iccid[0] = '\0';
	if (!e)
		e = orsp_stmt_bind_text(st, 1, imsi);
	if (!e)
		e = orsp_stmt_step(st, has);
	if (!e && *has && iccid) {
		const char *t = orsp_stmt_column_text(st, 0);
		snprintf(iccid, cap, "%s", t ? t : "");
	}
	orsp_stmt_finalize(st);
	return e;
}

static orsp_err smdp_has_imsi(orsp_db *db, const char *imsi, bool *has)
{
	return smdp_imsi_profile(db, imsi, has, NULL, 0);
}

/* ----- generate's batches ----- */

/* generate's open batch: one transaction in the SM-DP+ and, with --auc, one in the AuC,
 * holding the same profiles, which follow one another in the range (a failed profile ends
 * the batch). Each profile is a savepoint in both (orsp_db_begin nested), so a profile that
 * fails is rolled back alone. */
typedef struct gen_batch {
	orsp_smdp *s;
	orsp_auc *auc; /* NULL without --auc */
	bool open;
	bool broken;                /* the two stores' batches no longer hold the same profiles */
	bool replace_orphans;       /* --replace-orphans, and no profile added anew yet */
	bool orphans_asked;         /* --replace-orphans */
	size_t left;                /* profiles of the run from the one being added on */
	size_t n;                   /* profiles in it */
	size_t replaced;            /* of them, replacing a subscriber without a profile */
	double t0;                  /* when it began (orsp_mono_s) */
	char iccid0[21], imsi0[16]; /* the counters at its first profile (ICCID without Luhn) */
	char first[32], last[32];   /* its first and last ICCID */
	char imsi_last[16];
} gen_batch;

/* The batch's transactions, begun before its first profile: the AuC's first, as a profile
 * goes into the AuC first. */
static orsp_err gen_batch_begin(gen_batch *b)
{
	orsp_db *adb = b->auc ? orsp_auc_db(b->auc) : NULL;
	orsp_err e = ORSP_OK;

	if (b->open)
		return ORSP_OK;
	if (adb)
		e = orsp_db_begin(adb);
	if (!e && (e = orsp_db_begin(orsp_smdp_db(b->s))))
		orsp_db_rollback(adb);
	if (e)
		return e;
	b->open = true;
	b->broken = false;
	b->n = 0;
	b->replaced = 0;
	b->t0 = orsp_mono_s();
	return ORSP_OK;
}

/* Delete the n AuC subscribers from imsi0 counting up (a batch whose SM-DP+ commit failed),
 * in one AuC transaction: all of them, or none. */
static orsp_err auc_delete_range(orsp_auc *auc, const char *imsi0, size_t n)
{
	orsp_db *adb = orsp_auc_db(auc);
	char imsi[16];
	orsp_err e = orsp_db_begin(adb);

	snprintf(imsi, sizeof(imsi), "%s", imsi0);
	for (size_t i = 0; !e && i < n; i++) {
		e = orsp_auc_delete(auc, imsi);
		if (!e && i + 1 < n && !incr_digits(imsi, strlen(imsi)))
			e = orsp_errf(ORSP_E_STATE, "IMSI range exhausted after %s", imsi);
	}
	if (e) {
		orsp_db_rollback(adb);
		return e;
	}
	e = orsp_db_commit(adb);
	return e && orsp_db_committed(adb) ? ORSP_OK : e;
}

/* Commit generate's batch, the AuC first, as import_with_auc's comment says; nothing to do
 * without one. ORSP_OK: both stores keep every profile of the batch. An error: neither keeps
 * any (the AuC's side deleted again when only the SM-DP+'s commit failed; if even that fails
 * the message names the subscribers left), the detail saying why. */
static orsp_err gen_batch_commit(gen_batch *b)
{
	orsp_db *sdb = orsp_smdp_db(b->s), *adb = b->auc ? orsp_auc_db(b->auc) : NULL;
	char detail[256];
	bool undone;
	orsp_err e;

	if (!b->open)
		return ORSP_OK;
	b->open = false;
	if (b->n == 0 || b->broken || orsp_db_transaction_lost(sdb) ||
	    orsp_db_transaction_lost(adb)) {
		const char *which = orsp_db_transaction_lost(sdb)   ? "the SM-DP+'s"
		                    : orsp_db_transaction_lost(adb) ? "the AuC's"
		                                                    : "each store's";
		orsp_db_rollback(sdb);
		orsp_db_rollback(adb);
		return b->n == 0
		           ? ORSP_OK
		           : orsp_errf(ORSP_E_STORAGE, "%s transaction was rolled back", which);
	}
	if (adb) {
		e = orsp_db_commit(adb);
		if (e && !orsp_db_committed(adb)) {
			orsp_db_rollback(sdb);
			return e;
		}
		if (e && b->n == 1)
			fprintf(stderr, "openrsp: warning: AuC subscriber %s: %s\n", b->imsi0,
			        orsp_err_detail());
		else if (e)
			fprintf(stderr, "openrsp: warning: AuC subscribers %s to %s: %s\n",
			        b->imsi0, b->imsi_last, orsp_err_detail());
	}
	e = orsp_db_commit(sdb);
	if (e && orsp_db_committed(sdb)) {
		if (b->n == 1)
			fprintf(stderr, "openrsp: warning: SM-DP+ profile of %s: %s\n", b->imsi0,
			        orsp_err_detail());
		else
			fprintf(stderr, "openrsp: warning: SM-DP+ profiles of %s to %s: %s\n",
			        b->imsi0, b->imsi_last, orsp_err_detail());
		e = ORSP_OK;
	}
	if (!e || !adb)
		return e;
	/* the AuC committed, the SM-DP+ did not: a subscriber whose random K nobody holds is
	 * harmless, an Available profile the AuC cannot authenticate is not */
	orsp_err_detail_copy(detail, sizeof(detail));
	undone = auc_delete_range(b->auc, b->imsi0, b->n) == ORSP_OK;
	if (b->n == 1 && undone)
		return orsp_errf(e, "%s (the AuC subscriber %s was deleted again)", detail,
		                 b->imsi0);
	if (b->n == 1)
		return orsp_errf(e,
		                 "%s; the AuC keeps subscriber %s without a profile:"
		                 " remove it with `openrsp auc delete %s`",
		                 detail, b->imsi0, b->imsi0);
	if (undone)
		return orsp_errf(e, "%s (the AuC subscribers %s to %s were deleted again)", detail,
		                 b->imsi0, b->imsi_last);
	return orsp_errf(e,
	                 "%s; the AuC keeps the %zu subscribers %s to %s without a profile:"
	                 " remove each with `openrsp auc delete IMSI`",
	                 detail, b->n, b->imsi0, b->imsi_last);
}

/* The audit row's detail of a subscriber --replace-orphans deletes. */
#define ORPHAN_WHY                                                                                 \
	"replaced (--replace-orphans): no SM-DP+ profile of this IMSI, a subscriber left by a run" \
	" killed between its two commits"

/* Whether imsi is an orphan: the AuC holds a subscriber of it and the SM-DP+ no profile of
 * it (what a run killed between the two commits leaves). An error reading either store is
 * returned (*orphan false). */
static orsp_err orphan_of(gen_batch *b, const char *imsi, bool *orphan)
{
	orsp_auc_info info;
	bool in_smdp = true;
	orsp_err e = orsp_auc_get(b->auc, imsi, &info);

	*orphan = false;
	if (e == ORSP_E_NOT_FOUND) {
		orsp_err_clear();
		return ORSP_OK;
	}
	if (!e)
		e = smdp_has_imsi(orsp_smdp_db(b->s), imsi, &in_smdp);
	*orphan = !e && !in_smdp;
	return e;
}

/* --replace-orphans: the AuC's subscriber of imsi deleted (audited as replaced), inside the
 * profile's AuC savepoint, when the SM-DP+ holds no profile of that IMSI (an orphan: what a
 * run killed after the AuC's commit and before the SM-DP+'s leaves), so that orsp_auc_add
 * adds this run's with the new K/OPc. A subscriber whose IMSI the SM-DP+ holds stays, and
 * orsp_auc_add refuses it: that is a range run twice, never replaced. Called only at the
 * run's start, before its first profile added anew (b->replace_orphans): a killed run's
 * orphans follow the profiles both stores hold, so a rerun meets them first; a subscriber
 * without a profile further on may be another SIM's (`auc add`), which the AuC cannot tell
 * apart, and is refused as without the option (a review found a live SIM's K replaced). */
static orsp_err orphan_replace(gen_batch *b, const char *imsi, bool *replaced)
{
	bool orphan = false;
	orsp_err e = orphan_of(b, imsi, &orphan);

	*replaced = false;
	if (e || !orphan)
		return e;
	e = orsp_auc_delete_why(b->auc, imsi, ORPHAN_WHY);
	*replaced = e == ORSP_OK;
	return e;
}

/* How many consecutive IMSIs from imsi on, at most max, are orphans (orphan_of); the last
 * into last. An error reading either store ends the count there. */
static size_t orphans_from(gen_batch *b, const char *imsi, size_t max, char last[16])
{
	char cur[16];
	size_t n = 0;
	bool orphan = false;

	snprintf(cur, sizeof(cur), "%s", imsi);
	while (n < max && orphan_of(b, cur, &orphan) == ORSP_OK && orphan) {
		memcpy(last, cur, sizeof(cur));
		if (++n < max && !incr_digits(cur, strlen(cur)))
			break;
	}
	orsp_err_clear();
	return n;
}

/* One generated profile into both stores' open batch (gen_batch_begin), all or nothing: the
 * AuC subscriber is added inside a savepoint of the AuC's transaction (it refuses a known
 * IMSI), then the SM-DP+ imports the profile inside a savepoint of its own transaction (it
 * refuses a known ICCID or IMSI); only when both succeeded are the savepoints released into
 * the batch. A failure before that rolls both savepoints back, so neither store keeps
 * anything of the profile, and the profiles before it in the batch stay in both. The batch is
 * committed later (gen_batch_commit): the AuC first; should the SM-DP+'s commit then fail,
 * the batch's AuC subscribers are deleted again: a subscriber whose random K nobody holds is
 * harmless, an Available profile the AuC cannot authenticate is not. A commit that fails
 * only in its flush has committed (orsp_db_committed): it is never undone, only warned
 * about, since the other store must then keep its side too. */
static orsp_err import_with_auc(gen_batch *b, const orsp_auc_new *an, const uint8_t *upp,
                                size_t upp_len, const orsp_smdp_import_opts *io,
                                const card_secrets *cs, const orsp_pkg *sd_keys,
                                orsp_smdp_profile *p)
{
	orsp_auc *auc = b->auc;
	orsp_db *adb = orsp_auc_db(auc), *sdb = orsp_smdp_db(b->s);
	bool auc_tx = false, smdp_tx = false, auc_known = false, replaced = false;
	const char *imsi = an->imsi;
	orsp_err e;

	if (!(e = orsp_db_begin(adb)))
		auc_tx = true;
	if (!e && b->replace_orphans)
		e = orphan_replace(b, imsi, &replaced);
	if (!e)
		auc_known = (e = orsp_auc_add(auc, an)) == ORSP_E_EXISTS;
	for (size_t j = 0; cs && !e && j < 4; j++) {
		orsp_secret v = {0};
		if (!cs->has[j])
			continue;
		e = orsp_secret_set(&v, cs->value[j], 8);
		if (!e)
			e = orsp_auc_set_card_secret(auc, imsi, (orsp_auc_card_secret)j, &v);
		orsp_secret_wipe(&v);
	}
	if (!e && sd_keys)
		e = sd_keys_to_auc(auc, imsi, sd_keys);
	if (!e && !(e = orsp_db_begin(sdb)))
		smdp_tx = true;
	if (!e)
		e = orsp_smdp_import_with(b->s, upp, upp_len, io, p);
	if (!e) {
		smdp_tx = false;
		e = orsp_db_commit(sdb); /* the savepoint into the batch */
	}
	if (!e) {
		auc_tx = false;
		/* a release that fails rolls the AuC's savepoint back, but the SM-DP+'s batch has
		 * the profile now: the batch goes as a whole (gen_batch_commit) */
		if ((e = orsp_db_commit(adb)))
			b->broken = true;
		else if (replaced)
			b->replaced++;
		else /* added anew: the run's start, where a killed run's orphans are, is past */
			b->replace_orphans = false;
	}
	if (smdp_tx)
		orsp_db_rollback(sdb);
	if (auc_tx)
		orsp_db_rollback(adb);
	if (e) {
		char detail[256];
		orsp_err_detail_copy(detail, sizeof(detail));
		/* a known IMSI or ICCID: the stores hold an earlier profile or subscriber of it (a
		 * range generated before, a subscriber added for another SIM, or one a run killed
		 * between the two commits left), which is not "neither keeps it" */
		bool in_smdp = true;
		char held[32] = "";
		if (auc_known &&
		    smdp_imsi_profile(sdb, imsi, &in_smdp, held, sizeof(held)) != ORSP_OK) {
			orsp_err_clear();
			in_smdp = true; /* not known: no advice to delete */
			held[0] = '\0';
		}
		/* both stores hold it (the same files imported again, a range run twice): said
		 * of both, not only of the AuC, whose refusal comes first */
		if (e == ORSP_E_EXISTS && auc_known && held[0])
			e = orsp_errf(e,
			              "%s in the AuC, and the SM-DP+ holds profile %s of that IMSI"
			              " already; nothing of this profile was written by this run",
			              detail, held);
		else if (e == ORSP_E_EXISTS && (!auc_known || in_smdp))
			e = orsp_errf(e, "%s; nothing of this profile was written by this run",
			              detail);
		else if (e == ORSP_E_EXISTS && b->orphans_asked)
			/* past the run's start (orphan_replace): not one a killed run left before
			 * this run's first profile added anew; maybe another SIM's */
			e = orsp_errf(
			    e,
			    "%s; nothing of this profile was written by this run: the SM-DP+ has no"
			    " profile of IMSI %s, but --replace-orphans replaces only the"
			    " subscribers at the start of the run, before its first profile added"
			    " anew (where a rerun meets a killed run's), so this one may be"
			    " another SIM's; if no SIM uses it, `openrsp auc delete %s`",
			    detail, imsi, imsi);
		else if (e == ORSP_E_EXISTS) {
			/* how many of the run's next IMSIs are such: one rerun with the option,
			 * not a delete and a rerun for each */
			char last[16];
			size_t n = orphans_from(b, imsi, b->left ? b->left : 1, last);
			if (n > 1)
				e = orsp_errf(
				    e,
				    "%s; nothing of this profile was written by this run, and the"
				    " SM-DP+ has no profile of IMSI %s nor of the %zu after it (to"
				    " %s): %zu subscribers left by a run killed between the two"
				    " commits? If no SIM uses them, --replace-orphans replaces them"
				    " with this run's",
				    detail, imsi, n - 1, last, n);
			else
				e = orsp_errf(
				    e,
				    "%s; nothing of this profile was written by this run, and the"
				    " SM-DP+ has no profile of IMSI %s: a subscriber left by a run"
				    " killed between the two commits? If no SIM uses it,"
				    " --replace-orphans replaces it with this run's"
				    " (or `openrsp auc delete %s`)",
				    detail, imsi, imsi);
		} else
			e = orsp_errf(e, "%s; neither the SM-DP+ nor the AuC keeps this profile",
			              detail);
	}
	return e;
}

/* generate's profile into both stores: its AuC subscriber made of the template's SQN range
 * (sqn) and the profile's own IMSI, K and OPc. */
static orsp_err generated_with_auc(gen_batch *b, const orsp_auc_new *sqn, const uint8_t *upp,
                                   size_t upp_len, const orsp_smdp_import_opts *io,
                                   const char *imsi, const uint8_t k[16], const uint8_t opc[16],
                                   const card_secrets *cs, const orsp_pkg *sd_keys)
{
	orsp_auc_new an;
	orsp_err e;

	orsp_auc_new_init(&an);
	an.imsi = imsi;
	an.sqn = sqn->sqn;
	an.sqn_delta = sqn->sqn_delta;
	e = orsp_aka_subscriber_init(&an.sub, ORSP_AKA_MILENAGE, k, 16, opc, 16);
	if (!e)
		e = import_with_auc(b, &an, upp, upp_len, io, cs, sd_keys, NULL);
	orsp_auc_new_wipe(&an);
	return e;
}

/* The AuC subscriber of a prepared package's profile (import --auc): its USIM's IMSI, and
 * the K, OPc, algorithm (Milenage with its constants, or TUAK) and SQN range of the USIM's
 * own algoParameter, as the eUICC's USIM runs them (orsp_pkg_aka_subscriber). an is
 * initialised here, an->imsi pointing at imsi; wiped on an error. */
static orsp_err auc_new_from_pkg(const orsp_pkg *pkg, orsp_auc_new *an, char imsi[16])
{
	orsp_pkg_usim u;
	orsp_pkg_aka aka;
	size_t n = 0;
	orsp_err e = orsp_pkg_get_usim(pkg, 0, &u);

	orsp_auc_new_init(an);
	if (e == ORSP_E_NOT_FOUND)
		return orsp_errf(e, "the package has no USIM (PE-USIM or PE-IoT): nothing for the "
		                    "AuC");
	if (!e && !u.has_imsi)
		e = orsp_errf(ORSP_E_POLICY, "the package defines no EF.IMSI");
	if (!e && (e = orsp_pkg_naa_aka(pkg, u.pe_index, &n)) == ORSP_E_NOT_FOUND)
		e = orsp_errf(e, "the USIM has no algoParameter: no keys for the AuC");
	if (!e)
		e = orsp_pkg_get_aka(pkg, n, &aka);
	if (!e && (e = orsp_pkg_aka_subscriber(pkg, n, &aka, &an->sub)) == ORSP_E_POLICY)
		e = orsp_errf(e, "the USIM's %s, which the AuC does not run", orsp_err_detail());
	if (!e)
		e = auc_sqn_from_pkg(pkg, an);
	if (e) {
		orsp_auc_new_wipe(an);
		return e;
	}
	snprintf(imsi, 16, "%s", u.imsi);
	an->imsi = imsi;
	return ORSP_OK;
}

/* Whether the package buf has what import --auc takes into the AuC (auc_new_from_pkg), for
 * the files judged before the databases are opened. */
static orsp_err auc_ready(const uint8_t *buf, size_t len)
{
	orsp_pkg *pkg = NULL;
	orsp_auc_new an;
	char imsi[16];
	orsp_err e = orsp_pkg_decode(buf, len, &pkg);

	if (!e && !(e = auc_new_from_pkg(pkg, &an, imsi)))
		orsp_auc_new_wipe(&an);
	orsp_pkg_free(pkg);
	return e;
}

/* One prepared package (buf) into both stores, committed on its own: the AuC's
 * subscriber and the SM-DP+'s profile, or neither (import_with_auc, gen_batch_commit, as
 * generate's batch of one); with replace_orphans, *replaced says whether its subscriber
 * replaced one without a profile (orphan_replace). The profile into *p. */
static orsp_err import_one_with_auc(orsp_smdp *s, orsp_auc *auc, const orsp_smdp_import_opts *o,
                                    const uint8_t *buf, size_t len, bool replace_orphans,
                                    bool orphans_asked, bool *replaced, orsp_smdp_profile *p)
{
	gen_batch gb = {.s = s,
	                .auc = auc,
	                .replace_orphans = replace_orphans,
	                .orphans_asked = orphans_asked,
	                .left = 1};
	orsp_pkg *pkg = NULL;
	orsp_auc_new an;
	char imsi[16];
	orsp_err e, ce;

	orsp_auc_new_init(&an);
	e = orsp_pkg_decode(buf, len, &pkg);
	if (!e)
		e = auc_new_from_pkg(pkg, &an, imsi);
	orsp_pkg_free(pkg);
	if (!e && !(e = gen_batch_begin(&gb))) {
		memcpy(gb.imsi0, imsi, sizeof(gb.imsi0));
		memcpy(gb.imsi_last, imsi, sizeof(gb.imsi_last));
		if (!(e = import_with_auc(&gb, &an, buf, len, o, NULL, NULL, p)))
			gb.n = 1;
		*replaced = !e && gb.replaced;
		ce = gen_batch_commit(&gb); /* none in it: both rolled back */
		if (!e)
			e = ce;
	}
	orsp_auc_new_wipe(&an);
	return e;
}

/* What a generation has committed in both stores, for its messages. */
typedef struct gen_run {
	size_t count;             /* --count */
	size_t made;              /* profiles committed */
	size_t replaced;          /* of them, replacing a subscriber without a profile */
	char first[32], last[32]; /* their first and last ICCID */
	bool auc;
} gen_run;

/* Commit generate's batch (gen_batch_commit) and count what it kept in r; *n gets the
 * number of profiles it held. */
static orsp_err gen_commit(gen_batch *b, gen_run *r, size_t *n)
{
	orsp_err e;

	*n = b->open ? b->n : 0;
	e = gen_batch_commit(b);
	if (!e && *n) {
		if (!r->made)
			memcpy(r->first, b->first, sizeof(r->first));
		memcpy(r->last, b->last, sizeof(r->last));
		r->made += *n;
		r->replaced += b->replaced;
	}
	b->n = 0;
	return e;
}

/* The options of a rerun for the rest of a range: "--iccid-start ... --imsi-start ...
 * --count ...", as every stop of generate names it. */
static void rest_args(char *out, size_t cap, const char *iccid, const char *imsi, size_t left)
{
	snprintf(out, cap, "--iccid-start %s --imsi-start %s --count %zu", iccid, imsi, left);
}

/* How many profiles of the range from the counters iccid (without its Luhn digit) and imsi
 * on, at most max, the stores hold already one after the other: the SM-DP+ a profile of
 * that ICCID with that IMSI, and with an AuC a subscriber of that IMSI there (the same range
 * run again, as after a run killed without a word); the counters after them into
 * next_iccid and next_imsi. */
static size_t held_from(orsp_smdp *s, orsp_auc *auc, const char *iccid, const char *imsi,
                        size_t max, char next_iccid[21], char next_imsi[16])
{
	size_t n = 0;

	snprintf(next_iccid, 21, "%s", iccid);
	snprintf(next_imsi, 16, "%s", imsi);
	while (n < max) {
		char full[32];
		orsp_smdp_profile p;
		orsp_auc_info info;
		snprintf(full, sizeof(full), "%s%d", next_iccid,
		         orsp_luhn_digit(next_iccid, strlen(next_iccid)));
		if (orsp_smdp_get(s, full, &p) != ORSP_OK || strcmp(p.imsi, next_imsi) != 0 ||
		    (auc && orsp_auc_get(auc, next_imsi, &info) != ORSP_OK))
			break;
		if (++n < max && (!incr_digits(next_iccid, strlen(next_iccid)) ||
		                  !incr_digits(next_imsi, strlen(next_imsi))))
			break;
	}
	orsp_err_clear();
	return n;
}

/* What a generation that stops keeps, and the rest for a rerun, from the ICCID and IMSI
 * counters iccid and imsi: "; the N before it (ICCID ... to ...) stay imported[, each in both
 * stores]; the rest: --iccid-start ... --imsi-start ... --count ..." ("them" for `it` when a
 * batch of several comes between); "" when it keeps nothing. */
static void gen_rest(const gen_run *r, const char *it, const char *iccid, const char *imsi,
                     char *out, size_t cap)
{
	char args[128];

	out[0] = '\0';
	rest_args(args, sizeof(args), iccid, imsi, r->count - r->made);
	if (r->made)
		snprintf(
		    out, cap, "; the %zu before %s (ICCID %s to %s) stay imported%s; the rest: %s",
		    r->made, it, r->first, r->last, r->auc ? ", each in both stores" : "", args);
}

/* A range refused at its first profile because the stores hold it (the same range run
 * again, as after a run killed without a word, which could name no rest): how many of it
 * they hold one after the other, and the rest for a rerun, into out ("" when they do not
 * hold the first: another profile or subscriber in the way). */
static void held_rest(orsp_smdp *s, orsp_auc *auc, const char *iccid, const char *imsi,
                      size_t count, char *out, size_t cap)
{
	char next_iccid[21], next_imsi[16], args[128];
	const char *where = auc ? "both stores" : "the SM-DP+";
	size_t k = held_from(s, auc, iccid, imsi, count, next_iccid, next_imsi);

	out[0] = '\0';
	if (k == count)
		snprintf(out, cap, "; all %zu of this range are in %s already: nothing to do", k,
		         where);
	else if (k) {
		rest_args(args, sizeof(args), next_iccid, next_imsi, count - k);
		snprintf(out, cap, "; the first %zu of this range are in %s already; the rest: %s",
		         k, where, args);
	}
}

/* Commit generate's batch at a boundary (full, its time up, a stop, the last profile):
 * CLI_OK, or the failure said, naming the batch's profiles (none kept), what stays and the
 * rest from the batch's first profile. */
static int gen_commit_or_say(gen_batch *b, gen_run *r, bool bar_open)
{
	size_t n;
	char rest[320];
	orsp_err e = gen_commit(b, r, &n);

	if (!e)
		return CLI_OK;
	if (bar_open && isatty(STDERR_FILENO))
		fputc('\n', stderr);
	gen_rest(r, n == 1 ? "it" : "them", b->iccid0, b->imsi0, rest, sizeof(rest));
	if (n == 1)
		return cli_failf(b->first, "profile %zu of %zu: %s%s", r->made + 1, r->count,
		                 orsp_err_detail(), rest);
	return cli_failf("generate", "profiles %zu to %zu of %zu (ICCID %s to %s): %s%s",
	                 r->made + 1, r->made + n, r->count, b->first, b->last, orsp_err_detail(),
	                 rest);
}

/* Seconds between two progress lines of generate when standard error is not a terminal (a
 * log under nohup, cron or systemd: no bar there); a shorter run prints none. Until session
 * 79 such a run said nothing until its end (100,000 profiles: 7.5 minutes). The environment
 * variable ORSP_TEST_PROGRESS_MS, for the tests only, sets it in milliseconds. */
#define PROGRESS_LINE_S 30.0

/* generate's progress: a bar on a terminal, else a line every every_s */
typedef struct progress {
	bool tty;
	double t0, every_s, next_s; /* orsp_mono_s */
} progress;

static void progress_start(progress *p)
{
	const char *v = getenv("ORSP_TEST_PROGRESS_MS");
	char *end = NULL;
	double ms = v ? strtod(v, &end) : 0;

	p->tty = isatty(STDERR_FILENO);
	p->every_s = v && end != v && !*end && ms > 0 ? ms / 1000 : PROGRESS_LINE_S;
	p->t0 = orsp_mono_s();
	p->next_s = p->t0 + p->every_s;
}

/* done of total made: the bar drawn again on a terminal, else a line when one is due,
 * "openrsp: generated 6690 of 100000 profile(s) in 30 s (223/s, about 418 s left)" */
static void progress_bar(progress *p, size_t done, size_t total)
{
	char bar[41];
	size_t fill = total ? done * 40 / total : 40;

	if (!p->tty) {
		double now = orsp_mono_s(), took = now - p->t0, rate;

		if (now < p->next_s || done == total)
			return;
		p->next_s = now + p->every_s;
		rate = took > 0 ? (double)done / took : 0;
		fprintf(stderr,
		        "openrsp: generated %zu of %zu profile(s) in %.0f s (%.0f/s, about %.0f s "
		        "left)\n",
		        done, total, took, rate, rate > 0 ? (double)(total - done) / rate : 0);
		fflush(stderr);
		return;
	}
	memset(bar, '#', fill);
	memset(bar + fill, '.', 40 - fill);
	bar[40] = '\0';
	fprintf(stderr, "\r[%s] %zu/%zu", bar, done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

/* What generate_one made of a profile, once used: K, OPc and the card secrets wiped, the
 * package (upp may be NULL) and its encoding freed. */
static void generate_clear(uint8_t k[16], uint8_t opc[16], card_secrets *cs, uint8_t *upp,
                           size_t upp_len, orsp_pkg *pkg)
{
	orsp_wipe(k, 16);
	orsp_wipe(opc, 16);
	orsp_wipe(cs->value, sizeof(cs->value));
	if (upp)
		orsp_pkg_buf_free(upp, upp_len);
	orsp_pkg_free(pkg);
}

/* What every profile of a generation is made of: the template and the options. */
typedef struct gen_tpl {
	const uint8_t *tpl;
	size_t len;
	const char *spn, *name;
	unsigned mnc_len;
	bool ad_mnc; /* EF.AD gives no MNC length and has a byte 4: mnc_len goes there */
	bool keep_ims, keep_sd_keys, keep_cdma;
} gen_tpl;

/* The profile of ICCID full and IMSI imsi made from g, with K, OPc and cs's card secrets
 * drawn at random into k, opc and cs (the caller wipes them): the personalised package in
 * *pkg (orsp_pkg_free) and its encoding in *upp (orsp_pkg_buf_free: K/OPc). */
static orsp_err generate_one(const gen_tpl *g, const char *full, const char *imsi, uint8_t k[16],
                             uint8_t opc[16], card_secrets *cs, orsp_pkg **pkg, uint8_t **upp,
                             size_t *upp_len)
{
	orsp_pkg_perso pp;
	orsp_err e;

	orsp_pkg_perso_init(&pp);
	pp.iccid = full;
	pp.imsi = imsi;
	pp.set_aka = true;
	pp.alg = ORSP_AKA_MILENAGE;
	pp.spn = g->spn;
	pp.profile_name = g->name;
	pp.keep_ims_identity = g->keep_ims;
	/* EF.AD: the template's when it gives the MNC length (generate checked that it agrees),
	 * else --mnc-length, so that the device splits the IMSI as the IMS domain does */
	pp.ims_mnc_len = g->mnc_len;
	if (g->ad_mnc)
		pp.mnc_len = g->mnc_len;
	pp.sd_keys = !g->keep_sd_keys;
	pp.cdma_keys = !g->keep_cdma;
	e = orsp_random(k, 16);
	if (!e)
		e = orsp_random(opc, 16);
	if (!e)
		e = orsp_secret_set(&pp.k, k, 16);
	if (!e)
		e = orsp_secret_set(&pp.opc, opc, 16);
	if (!e)
		e = card_secrets_draw(cs, &pp);
	if (!e)
		e = orsp_pkg_decode(g->tpl, g->len, pkg);
	if (!e)
		e = orsp_pkg_personalise(*pkg, &pp);
	if (!e)
		e = orsp_pkg_encode(*pkg, 0, upp, upp_len);
	orsp_pkg_perso_wipe(&pp);
	return e;
}

static int smdp_profile_generate(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"template", required_argument, NULL, OPT_TEMPLATE},
	    {"count", required_argument, NULL, OPT_COUNT},
	    {"iccid-start", required_argument, NULL, OPT_ICCID_START},
	    {"imsi-start", required_argument, NULL, OPT_IMSI_START},
	    {"auc", required_argument, NULL, OPT_AUC},
	    {"no-auc", no_argument, NULL, OPT_NO_AUC},
	    {"replace-orphans", no_argument, NULL, OPT_REPLACE_ORPHANS},
	    {"spn", required_argument, NULL, OPT_SPN},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"keep-ims-identity", no_argument, NULL, OPT_KEEP_IMS},
	    {"keep-sd-keys", no_argument, NULL, OPT_KEEP_SD_KEYS},
	    {"keep-cdma-keys", no_argument, NULL, OPT_KEEP_CDMA},
	    {"batch", required_argument, NULL, OPT_BATCH},
	    PPR_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	orsp_smdp_import_opts io = {0};
	const char *tpl_path = NULL, *count_s = NULL, *iccid_s = NULL, *imsi_s = NULL,
	           *auc_db = NULL, *spn = NULL, *name = NULL;
	char iccid[21], imsi[16];
	size_t ibody, count, batch = BATCH_DEFAULT, n_sd_keys = 0, n_cdma = 0, n_csim = 0;
	uint64_t v;
	uint8_t *tpl = NULL;
	size_t tpl_len = 0;
	orsp_smdp *s = NULL;
	cli_made mf = {0};
	orsp_auc *auc = NULL;
	orsp_secret auc_kek = {0};
	orsp_pkg *tpkg = NULL;
	orsp_pkg_usim tu;
	orsp_auc_new sqn_tpl;
	card_secrets cs;
	gen_tpl gt;
	gen_batch gb = {0};
	gen_run run = {0};
	progress prog = {0};
	volatile sig_atomic_t *stop;
	unsigned mnc_opt = 0, mnc_len = 0;
	bool json = false, keep_ims = false, keep_sd_keys = false, keep_cdma = false,
	     started = false, replace_orphans = false, no_auc = false;
	int c, rc;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		switch (c) {
		case OPT_TEMPLATE:
			tpl_path = optarg;
			break;
		case OPT_COUNT:
			count_s = optarg;
			break;
		case OPT_ICCID_START:
			iccid_s = optarg;
			break;
		case OPT_IMSI_START:
			imsi_s = optarg;
			break;
		case OPT_AUC:
			auc_db = optarg;
			break;
		case OPT_NO_AUC:
			no_auc = true;
			break;
		case OPT_REPLACE_ORPHANS:
			replace_orphans = true;
			break;
		case OPT_SPN:
			spn = optarg;
			break;
		case OPT_NAME:
			name = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_KEEP_IMS:
			keep_ims = true;
			break;
		case OPT_KEEP_SD_KEYS:
			keep_sd_keys = true;
			break;
		case OPT_KEEP_CDMA:
			keep_cdma = true;
			break;
		case OPT_BATCH:
			if ((rc = batch_opt(optarg, &batch)))
				return rc;
			break;
		default:
			if (!ppr_opt(&io, c, optarg, &rc))
				return cli_usage(argv[optind - 1], "unexpected option");
			if (rc)
				return rc;
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;
	/* --mnc-length: also without --ppr here, for the IMSI range (below) */
	mnc_opt = io.mnc_len;
	if (!io.ppr)
		io.mnc_len = 0;
	if (!tpl_path)
		return cli_missing("--template");
	if (!tpl_path[0]) /* a script's unset variable: not a file named "" */
		return cli_usage("--template", "empty path");
	if (!iccid_s)
		return cli_missing("--iccid-start");
	if (!imsi_s)
		return cli_missing("--imsi-start");
	if ((rc = db_config(&dbo)))
		return rc;
	if (auc_db && (rc = auc_arg_check(auc_db, &dbo)))
		return rc;
	if (replace_orphans && !auc_db)
		return cli_usage("--replace-orphans", "only with --auc");
	if ((rc = cli_uint("--count", count_s ? count_s : "1", 1, 1000000, &v)))
		return rc;
	count = (size_t)v;
	/* ICCID: 18 or 19 digits to count up from; the Luhn digit is added to each */
	ibody = strlen(iccid_s);
	if ((ibody != 18 && ibody != 19) || strspn(iccid_s, "0123456789") != ibody)
		return cli_usage("--iccid-start",
		                 "expected 18 or 19 digits (without the check digit)");
	if (strlen(imsi_s) < 6 || strlen(imsi_s) > 15 ||
	    strspn(imsi_s, "0123456789") != strlen(imsi_s))
		return cli_usage("--imsi-start", "expected 6 to 15 digits");
	/* Where the keys go is chosen, not defaulted: without an AuC the random K/OPc (and
	 * PUKs, ADM and OTA keys) are only in the SM-DP+'s sealed packages, which nothing
	 * prints and a purge deletes, so no network can ever authenticate those subscriptions
	 * (a generate without --auc said only "generated N profile(s)", until session 73). */
	if (auc_db && no_auc)
		return cli_usage("--no-auc", "not with --auc");
	if (!auc_db && !no_auc)
		return cli_usage(
		    "--auc",
		    "needed, or --no-auc: each profile's random K/OPc (and its PUKs, ADM and OTA "
		    "keys) would be kept nowhere but in the SM-DP+'s sealed package, which no "
		    "command prints and a purge deletes, so no network could authenticate it; give "
		    "--auc AUC_DB (`openrsp auc init --db AUC_DB` creates one; `openrsp auc "
		    "export` hands the keys to another HSS), or --no-auc for profiles nobody will "
		    "authenticate (tests)");
	memcpy(iccid, iccid_s, ibody + 1);
	memcpy(imsi, imsi_s, strlen(imsi_s) + 1);
	/* the template holds its K/OPc: read as a regular file of bounded size, wiped on free */
	if ((rc = cli_read_package(tpl_path, &tpl, &tpl_len)))
		return rc;
	gt = (gen_tpl){.tpl = tpl,
	               .len = tpl_len,
	               .spn = spn,
	               .name = name,
	               .keep_ims = keep_ims,
	               .keep_sd_keys = keep_sd_keys,
	               .keep_cdma = keep_cdma};
	/* The IMSI counts only in its MSIN (TS 23.003 §2.2: MCC 3 digits, MNC 2 or 3, from the
	 * template's EF.AD, which generate keeps, else --mnc-length), the ICCID only after its
	 * issuer identification number: a range that would carry into either is refused here,
	 * before anything is written. */
	e = orsp_pkg_decode(tpl, tpl_len, &tpkg);
	if (e) {
		rc = cli_fail(tpl_path, e);
		goto out;
	}
	memset(&tu, 0, sizeof(tu));
	if (orsp_pkg_get_usim(tpkg, 0, &tu) == ORSP_OK && tu.mnc_len)
		mnc_len = tu.mnc_len;
	e = card_secrets_of(tpkg, &cs);
	/* the AuC's SQN range is the template's (personalisation leaves it as it is) */
	orsp_auc_new_init(&sqn_tpl);
	if (!e && auc_db)
		e = auc_sqn_from_pkg(tpkg, &sqn_tpl);
	if (!e && !keep_sd_keys)
		e = sd_keys_check(tpkg, &n_sd_keys);
	if (!e)
		e = cli_cdma_keys_check(tpkg, keep_cdma, &n_cdma, &n_csim);
	orsp_pkg_free(tpkg);
	tpkg = NULL;
	if (e) {
		rc = cli_fail(tpl_path, e);
		goto out;
	}
	if (mnc_len && mnc_opt && mnc_opt != mnc_len) {
		rc = cli_usage("--mnc-length", "the template's EF.AD gives a %u-digit MNC, not %u",
		               mnc_len, mnc_opt);
		goto out;
	}
	if (!mnc_len) {
		/* into EF.AD too, where it has a byte 4 (a 3-byte EF.AD, TS 51.011's, is kept as
		 * it is: its MNC length is the IMS domain's alone, as before) */
		mnc_len = mnc_opt;
		gt.ad_mnc = mnc_opt != 0 && tu.has_ad && tu.ad_len >= 4;
	}
	if (!mnc_len) {
		rc = cli_usage("--mnc-length", "needed: the template's EF.AD does not give the MNC "
		                               "length, so the MSIN to count in is unknown");
		goto out;
	}
	if (strlen(imsi) <= 3 + mnc_len || !count_fits(imsi, 3 + mnc_len, count)) {
		rc = cli_usage("--count",
		               "%zu IMSIs from %s would run out of the MSIN (MCC %.3s, MNC %.*s)",
		               count, imsi, imsi, (int)mnc_len, imsi + 3);
		goto out;
	}
	if (!count_fits(iccid, ICCID_IIN_MAX_DIGITS, count)) {
		rc = cli_usage("--count",
		               "%zu ICCIDs from %s would change the issuer identification number"
		               " (the first %d digits)",
		               count, iccid, ICCID_IIN_MAX_DIGITS);
		goto out;
	}
	/* Bad input changes nothing: the open creates a database, or migrates an older one, so
	 * the first profile is made and judged as the import will judge it (an --spn or --name
	 * personalisation refuses, --ppr without the owner in the template), and the AuC of
	 * --auc looked at with its KEK file, before it. Only a duplicate ICCID or IMSI, and a
	 * wrong KEK of the AuC, are found after it. */
	gt.mnc_len = mnc_len;
	{
		uint8_t k[16], opc[16], *upp = NULL;
		size_t upp_len = 0;
		orsp_pkg *pkg = NULL;
		char full[32];

		snprintf(full, sizeof(full), "%s%d", iccid, orsp_luhn_digit(iccid, ibody));
		e = generate_one(&gt, full, imsi, k, opc, &cs, &pkg, &upp, &upp_len);
		if (!e)
			e = orsp_smdp_import_check(upp, upp_len, &io);
		generate_clear(k, opc, &cs, upp, upp_len, pkg);
		if (e) {
			rc = cli_failf(full, "profile 1 of %zu: %s", count, orsp_err_detail());
			goto out;
		}
	}
	/* SIGINT, SIGTERM, SIGHUP from here on stop between two profiles, never between a
	 * profile's AuC commit and its SM-DP+ commit (the default action, death there, left a
	 * subscriber without a profile); one while the stores are opened or created (a wait for
	 * a server's write lock, the migrations) stops before the first profile, and what the
	 * opens made is removed (the default action left it) */
	stop = cli_stop_on_signals();
	/* the operator's AuC gets the same K/OPc */
	if (auc_db && (rc = auc_kek_prepare(auc_db, &auc_kek)))
		goto out;
	if ((rc = open_smdp(&dbo, "smdp profile generate", &s, &mf)))
		goto out;
	if (auc_db && (rc = auc_open_with(auc_db, &auc_kek, &auc)))
		goto out;
	/* a stop: the open batch is committed, and the rest of the range named for a rerun */
	gb = (gen_batch){.s = s,
	                 .auc = auc,
	                 .replace_orphans = replace_orphans,
	                 .orphans_asked = replace_orphans};
	run = (gen_run){.count = count, .auc = auc != NULL};
	started = true;
	progress_start(&prog);
	for (size_t i = 0; i < count; i++) {
		orsp_pkg *pkg = NULL;
		uint8_t k[16], opc[16], *upp = NULL;
		size_t upp_len = 0, n;
		char full[32];
		int luhn = orsp_luhn_digit(iccid, ibody);

		if (orsp_stop_set(stop)) {
			char args[128];
			if ((rc = gen_commit_or_say(&gb, &run, i > 0)))
				goto out;
			if (i && isatty(STDERR_FILENO))
				fputc('\n', stderr);
			rest_args(args, sizeof(args), iccid, imsi, count - run.made);
			rc = cli_failf(
			    "generate",
			    "stopped by a signal after %zu of %zu profile(s)%s; the rest: %s",
			    run.made, count, auc ? ", each in both stores" : "", args);
			goto out;
		}
		snprintf(full, sizeof(full), "%s%d", iccid, luhn);
		if (!gb.open) {
			memcpy(gb.iccid0, iccid, sizeof(gb.iccid0));
			memcpy(gb.imsi0, imsi, sizeof(gb.imsi0));
		}
		e = generate_one(&gt, full, imsi, k, opc, &cs, &pkg, &upp, &upp_len);
		if (!e)
			e = gen_batch_begin(&gb);
		gb.left = count - i;
		if (!e && auc)
			e = generated_with_auc(&gb, &sqn_tpl, upp, upp_len, &io, imsi, k, opc, &cs,
			                       keep_sd_keys ? NULL : pkg);
		else if (!e)
			e = orsp_smdp_import_with(s, upp, upp_len, &io, NULL);
		generate_clear(k, opc, &cs, upp, upp_len, pkg);
		if (e) {
			char detail[ORSP_ERR_DETAIL_MAX], rest[320];
			/* rolled back alone: the profiles before it in the batch are committed, and
			 * the message says which stay and the rest for a rerun */
			orsp_err_detail_copy(detail, sizeof(detail));
			if (isatty(STDERR_FILENO))
				fputc('\n', stderr);
			if (gen_commit(&gb, &run, &n) == ORSP_OK) {
				gen_rest(&run, "it", iccid, imsi, rest, sizeof(rest));
				if (i == 0 && e == ORSP_E_EXISTS)
					held_rest(s, auc, iccid, imsi, count, rest, sizeof(rest));
				rc = cli_failf(full, "profile %zu of %zu: %s%s", i + 1, count,
				               detail, rest);
			} else {
				/* the failure took the batch with it (SQLite rolls the whole
				 * transaction back after an I/O error or a full disk), or its
				 * commit failed */
				char why[512];
				orsp_err_detail_copy(why, sizeof(why));
				gen_rest(&run, "them", gb.iccid0, gb.imsi0, rest, sizeof(rest));
				rc = cli_failf(
				    full,
				    "profile %zu of %zu: %s; the %zu before it in its batch"
				    " (ICCID %s to %s) were not kept either: %s%s",
				    i + 1, count, detail, n, gb.first, gb.last, why, rest);
			}
			goto out;
		}
		if (gb.n++ == 0)
			memcpy(gb.first, full, sizeof(gb.first));
		memcpy(gb.last, full, sizeof(gb.last));
		memcpy(gb.imsi_last, imsi, sizeof(gb.imsi_last));
		progress_bar(&prog, i + 1, count);
		if (gb.n >= batch || orsp_mono_s() - gb.t0 >= BATCH_SECONDS || i + 1 == count) {
			double t0 = gb.t0;
			if ((rc = gen_commit_or_say(&gb, &run, i + 1 < count)))
				goto out;
			if (i + 1 < count)
				batch_gap(t0);
		}
		if (i + 1 < count &&
		    (!incr_digits(iccid, ibody) || !incr_digits(imsi, strlen(imsi)))) {
			if ((rc = gen_commit_or_say(&gb, &run, true)) == CLI_OK)
				rc = cli_failf("generate",
				               "ICCID or IMSI range exhausted after %zu", run.made);
			goto out;
		}
	}
	/* "complete" always, as purge's --json: a reader need not tell a missing member from a
	 * failure (it was only in the failure's object until session 71) */
	if (json)
		printf("{\"generated\":%zu,\"complete\":true}\n", run.made);
	else
		generate_summary(run.made, auc ? auc_db : NULL, &cs, keep_sd_keys ? 0 : n_sd_keys,
		                 keep_sd_keys, n_cdma, keep_cdma, run.replaced);
	if (n_cdma && keep_cdma)
		fprintf(
		    stderr,
		    "openrsp: warning: every profile generated keeps the %zu CDMA secret%s (A-Key, "
		    "SSD, "
		    "HRPD/Simple IP/Mobile IP shared secrets) of %s (a GSMA TS.48 template's are "
		    "published test values)\n",
		    n_cdma, n_cdma == 1 ? "" : "s", tpl_path);
	if (n_csim)
		fprintf(
		    stderr,
		    "openrsp: warning: every profile generated keeps the CSIM identity (EF.IMSI_M, "
		    "EF.IMSI_T) of %s: openrsp assigns no CDMA identity\n",
		    tpl_path);
	rc = CLI_OK;
out:
	/* stopped or failed part-way: --json still says how many were committed (stdout was
	 * empty, the count only in the error's words, until session 56) */
	if (json && started && rc != CLI_OK)
		printf("{\"generated\":%zu,\"complete\":false}\n", run.made);
	orsp_auc_close(auc);
	orsp_smdp_close(s);
	/* nothing generated: no new, empty SM-DP+ database is left (profiles made before a
	 * failure stay) */
	if (rc != CLI_OK && run.made == 0)
		cli_unmake(&mf);
	orsp_secret_wipe(&auc_kek);
	orsp_pkg_buf_free(tpl, tpl_len);
	return rc;
}

static int smdp_profile(int argc, char **argv)
{
	if (argc < 2)
		return cli_missing_verb("profile", "smdp profile");
	if (strcmp(argv[1], "import") == 0)
		return smdp_profile_import(argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return smdp_profile_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "generate") == 0)
		return smdp_profile_generate(argc - 1, argv + 1);
	if (strcmp(argv[1], "purge") == 0)
		return smdp_profile_purge(argc - 1, argv + 1);
	return cli_unknown_verb(argv[1], "smdp profile");
}

/* ----- order ----- */

/* --iccid of order and cancel in the forms ES2+ takes them (es2p_handler.c's iccid_of:
 * SGP.22 v2.2 §6.5.2 ^[0-9]{19}[0-9F]?$, and 18 digits), into out as the inventory keeps
 * it: 19 digits and an 'F' (or 'f') pad are the 19-digit ICCID, so that the CLI and ES2+
 * name the same profile. */
static int iccid_order_opt(const char *val, char out[21])
{
	size_t n = strlen(val);

	if (n == 20 && (val[19] == 'F' || val[19] == 'f') && strspn(val, "0123456789") == 19)
		n = 19;
	else if (n < 18 || n > 20 || strspn(val, "0123456789") != n)
		return cli_usage("--iccid", "expected 18 to 20 digits, or 19 digits and F");
	memcpy(out, val, n);
	out[n] = '\0';
	return CLI_OK;
}

/* The options order and confirm share, as given; cc points into the caller's cc_buf. */
typedef struct order_args {
	db_opts dbo;
	const char *iccid, *profile_type, *eid, *matching_id, *cc, *fqdn;
	bool release;
	char iccid_buf[21];
} order_args;

/* The options of order (with_type: --iccid or --profile-type) or of confirm (--iccid only),
 * every value judged before the database is opened (which creates or migrates it): the
 * address (the configuration's unless given), the matching ID, EID and code as ES2+ judges
 * them (an empty one refused, not taken as none as ES2+ takes ""), a code before an order
 * it would leave open is placed, the ICCID in the inventory's form, a type no profile can
 * have. cc_buf receives --cc (copied out of argv); the caller wipes it whatever happens. */
static int order_args_parse(int argc, char **argv, bool with_type,
                            char cc_buf[CLI_SECRET_STR_MAX + 1], order_args *a)
{
	static const struct option order_opts[] = {
	    DB_LONGOPTS,
	    {"iccid", required_argument, NULL, OPT_ICCID},
	    {"profile-type", required_argument, NULL, OPT_PROFILE_TYPE},
	    {"eid", required_argument, NULL, OPT_EID},
	    {"matching-id", required_argument, NULL, OPT_MATCHING_ID},
	    {"cc", required_argument, NULL, OPT_CC},
	    {"release", no_argument, NULL, OPT_RELEASE},
	    {"fqdn", required_argument, NULL, OPT_FQDN},
	    {NULL, 0, NULL, 0},
	};
	/* order's without --profile-type */
	static const struct option confirm_opts[] = {
	    DB_LONGOPTS,
	    {"iccid", required_argument, NULL, OPT_ICCID},
	    {"eid", required_argument, NULL, OPT_EID},
	    {"matching-id", required_argument, NULL, OPT_MATCHING_ID},
	    {"cc", required_argument, NULL, OPT_CC},
	    {"release", no_argument, NULL, OPT_RELEASE},
	    {"fqdn", required_argument, NULL, OPT_FQDN},
	    {NULL, 0, NULL, 0},
	};
	static const int cc_opt[] = {OPT_CC, 0};
	const struct option *opts = with_type ? order_opts : confirm_opts;
	int rc, c;

	/* a --cc not read yet, the options stopped before it, is overwritten too (the
	 * runner ends the guard) */
	cli_secret_guard(argc, argv, opts, cc_opt, NULL);
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&a->dbo, c, optarg))
			continue;
		switch (c) {
		case OPT_ICCID:
			a->iccid = optarg;
			break;
		case OPT_PROFILE_TYPE:
			a->profile_type = optarg;
			break;
		case OPT_EID:
			a->eid = optarg;
			break;
		case OPT_MATCHING_ID:
			a->matching_id = optarg;
			break;
		case OPT_CC:
			if ((rc = cli_secret_str("--cc", optarg, cc_buf, CLI_SECRET_STR_MAX + 1,
			                         &a->cc)))
				return rc;
			break;
		case OPT_RELEASE:
			a->release = true;
			break;
		case OPT_FQDN:
			a->fqdn = optarg;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;
	/* the server's configuration: its database, KEK and address */
	if ((rc = db_config(&a->dbo)))
		return rc;
	if (a->dbo.config && !a->fqdn)
		a->fqdn = a->dbo.fqdn;
	if (!with_type && !a->iccid)
		return cli_missing("--iccid");
	if (with_type && !a->iccid == !a->profile_type)
		return cli_usage("--iccid", "give exactly one of --iccid and --profile-type");
	if (!a->fqdn)
		return cli_missing("--fqdn");
	if (orsp_smdp_fqdn_check(a->fqdn))
		return cli_usage("--fqdn", "%s", orsp_err_detail());
	if (a->matching_id && orsp_smdp_matching_id_check(a->matching_id))
		return cli_usage("--matching-id", "%s", orsp_err_detail());
	if (a->eid && orsp_eid_check(a->eid) != ORSP_OK)
		return cli_usage("--eid", "expected 32 digits with valid check digits");
	if (a->cc && orsp_smdp_cc_check(a->cc))
		return cli_usage("--cc", "%s", orsp_err_detail());
	if (a->iccid) {
		if ((rc = iccid_order_opt(a->iccid, a->iccid_buf)))
			return rc;
		a->iccid = a->iccid_buf;
	}
	/* the inventory keeps at most 400 bytes of a type, and ES2+ takes no more
	 * (es2p_handler.c) */
	if (a->profile_type &&
	    strlen(a->profile_type) >= sizeof(((orsp_smdp_profile *)NULL)->profile_type))
		return cli_usage("--profile-type", "longer than %zu bytes",
		                 sizeof(((orsp_smdp_profile *)NULL)->profile_type) - 1);
	return CLI_OK;
}

/* cc_buf receives --cc (copied out of argv); smdp_order wipes it whatever happens. */
static int smdp_order_with(int argc, char **argv, char cc_buf[CLI_SECRET_STR_MAX + 1])
{
	order_args a = {0};
	orsp_smdp_order o = {0};
	orsp_smdp_profile p;
	orsp_smdp *s = NULL;
	orsp_db *db = NULL;
	bool tx = false;
	char ac[ORSP_SMDP_AC_MAX];
	int rc;
	orsp_err e;

	if ((rc = order_args_parse(argc, argv, true, cc_buf, &a)))
		return rc;
	o.iccid = a.iccid;
	o.profile_type = a.profile_type;
	o.eid = a.eid;
	o.matching_id = a.matching_id;
	rc = open_smdp(&a.dbo, "smdp order", &s, NULL);
	if (rc)
		return rc;
	/* One transaction for downloadOrder, confirmOrder and the activation code (the store's
	 * own transactions nest in it): a failure leaves the profile Available with no order,
	 * where an order committed on its own would hold the profile under a matching ID that
	 * nobody was told, until it expired to Unavailable. */
	db = orsp_smdp_db(s);
	e = orsp_db_begin(db);
	if (e) {
		rc = cli_fail("smdp order", e);
		goto out;
	}
	tx = true;
	e = orsp_smdp_download_order(s, &o, &p);
	if (e) {
		rc = cli_fail("downloadOrder", e);
		goto out;
	}
	if (a.cc || a.release) {
		e = orsp_smdp_confirm_order(s, p.matching_id, a.cc, a.release);
		if (e) {
			rc = cli_failf("confirmOrder",
			               "%s (no order placed: profile %s stays Available)",
			               orsp_err_detail(), p.iccid);
			goto out;
		}
	}
	e = orsp_smdp_activation_code(a.fqdn, p.matching_id, a.cc != NULL, ac, sizeof(ac));
	if (e) {
		rc = cli_fail("activation code", e);
		goto out;
	}
	tx = false;
	e = orsp_db_commit(db);
	if (e && !orsp_db_committed(db)) {
		rc = cli_failf("smdp order", "%s (no order placed: profile %s stays Available)",
		               orsp_err_detail(), p.iccid);
		goto out;
	}
	if (e) /* committed, only its flush failed: the order stands */
		fprintf(stderr, "openrsp: warning: smdp order: %s\n", orsp_err_detail());
	printf("%s\n", ac);
	/* an order not released is refused to the device (8.2/1.2) until it is: said, where a
	 * new operator handed the code out and found the download refused (the walkthrough
	 * review of session 73) */
	if (!a.release)
		fprintf(
		    stderr,
		    "openrsp: note: smdp order: profile %s is %s, not released: a download with "
		    "this activation code is refused until `openrsp smdp release --iccid %s` "
		    "(or ES2+ releaseProfile)\n",
		    p.iccid, orsp_smdp_state_name(p.state), p.iccid);
	rc = CLI_OK;
out:
	if (tx)
		orsp_db_rollback(db);
	orsp_smdp_close(s);
	return rc;
}

static int smdp_order(int argc, char **argv)
{
	char cc_buf[CLI_SECRET_STR_MAX + 1];
	int rc = smdp_order_with(argc, argv, cc_buf);

	orsp_wipe(cc_buf, sizeof(cc_buf));
	return rc;
}

/* After confirmOrder or releaseProfile returned *e: a transaction that was committed and
 * failed only in its flush stands, so it is said with a warning and the profile read again
 * into *p: *e becomes the refusal of an order that expired instead (ORSP_E_POLICY, *p
 * Unavailable), else ORSP_OK. A refusal the store committed (the expiry) and one it rolled
 * back are left as they are. CLI_OK, or the failure of reading the profile again. */
static int flushed(const char *verb, orsp_smdp *s, const char *iccid, orsp_err *e,
                   orsp_smdp_profile *p)
{
	if (!*e || *e == ORSP_E_POLICY || !orsp_db_committed(orsp_smdp_db(s)))
		return CLI_OK;
	fprintf(stderr, "openrsp: warning: %s: %s\n", verb, orsp_err_detail());
	*e = orsp_smdp_get(s, iccid, p);
	if (*e)
		return cli_fail(verb, *e);
	if (p->state == ORSP_SMDP_UNAVAILABLE)
		*e = orsp_errf(ORSP_E_POLICY, "the order of profile %s has expired", iccid);
	return CLI_OK;
}

/* *e, a refusal of profile iccid's order for its state (ORSP_E_STATE), when the order ended
 * by its expiry (the server's round made it Unavailable, with the expiry's audit row,
 * orsp_smdp_ended_by_expiry): true, the caller saying the order has expired, as ES2+ answers
 * 8.8.5/4.10 then; until session 73 the console said "not allowed in state unavailable"
 * after the round and "has expired" before it. false otherwise, *e and its detail as they
 * were. */
static bool refused_expired(orsp_smdp *s, const char *iccid, orsp_err e)
{
	char why[ORSP_ERR_DETAIL_MAX];
	orsp_smdp_profile p;
	bool expired = false;

	if (e != ORSP_E_STATE)
		return false;
	orsp_err_detail_copy(why, sizeof(why));
	if (orsp_smdp_get(s, iccid, &p) || orsp_smdp_ended_by_expiry(s, &p, &expired))
		expired = false;
	(void)orsp_errf(e, "%s", why);
	return expired;
}

/* ES2+ confirmOrder for an operator at the console, for an order placed without --cc or
 * --release: the same store call as the server's handler (orsp_smdp_confirm: an EID binds an
 * order placed without one and must be the order's otherwise, a matching ID replaces the
 * order's, the code stored as SHA-256 wrapped under the KEK, in one transaction that is
 * audited; an order past its expiry ends Unavailable instead and is reported). cc_buf
 * receives --cc (copied out of argv); smdp_confirm wipes it whatever happens. */
static int smdp_confirm_with(int argc, char **argv, char cc_buf[CLI_SECRET_STR_MAX + 1])
{
	order_args a = {0};
	orsp_smdp_confirmation conf = {0};
	orsp_smdp_profile p = {0};
	orsp_smdp *s = NULL;
	char ac[ORSP_SMDP_AC_MAX];
	int rc;
	orsp_err e;

	if ((rc = order_args_parse(argc, argv, false, cc_buf, &a)))
		return rc;
	conf.eid = a.eid;
	conf.matching_id = a.matching_id;
	conf.cc = a.cc;
	conf.release = a.release;
	if ((rc = open_smdp(&a.dbo, "smdp confirm", &s, NULL)))
		return rc;
	e = orsp_smdp_confirm(s, a.iccid, &conf, &p);
	if ((rc = flushed("smdp confirm", s, a.iccid, &e, &p)))
		goto out;
	if (e == ORSP_E_POLICY && p.state == ORSP_SMDP_UNAVAILABLE) /* p: as it expired */
		rc = cli_failf("confirmOrder", "%s: the profile is Unavailable now",
		               orsp_err_detail());
	else if (refused_expired(s, a.iccid, e))
		rc = cli_failf("confirmOrder",
		               "the order of profile %s has expired: the profile is Unavailable",
		               a.iccid);
	else if (e == ORSP_E_POLICY)
		rc = cli_failf("confirmOrder", "profile %s: --eid is not the order's EID", a.iccid);
	else if (e == ORSP_E_EXISTS)
		rc = cli_failf("confirmOrder",
		               "profile %s: --matching-id %s is another order's matching ID",
		               a.iccid, conf.matching_id);
	else if (e)
		rc = cli_fail("confirmOrder", e);
	else if ((e = orsp_smdp_activation_code(a.fqdn, p.matching_id, conf.cc || p.cc_required, ac,
	                                        sizeof(ac))))
		rc = cli_failf("activation code", "%s (profile %s is %s, matching ID %s)",
		               orsp_err_detail(), a.iccid, orsp_smdp_state_name(p.state),
		               p.matching_id);
	else {
		printf("%s\n", ac);
		rc = CLI_OK;
	}
out:
	orsp_err_clear();
	orsp_smdp_close(s);
	return rc;
}

static int smdp_confirm(int argc, char **argv)
{
	char cc_buf[CLI_SECRET_STR_MAX + 1];
	int rc = smdp_confirm_with(argc, argv, cc_buf);

	orsp_wipe(cc_buf, sizeof(cc_buf));
	return rc;
}

/* ES2+ releaseProfile for an operator at the console: the server's store call
 * (orsp_smdp_release: Confirmed -> Released, audited; an order past its expiry ends
 * Unavailable instead and is reported). */
static int smdp_release(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"iccid", required_argument, NULL, OPT_ICCID},
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	const char *iccid_s = NULL;
	char iccid[21];
	orsp_smdp *s = NULL;
	orsp_smdp_profile p = {0};
	int rc, c;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		if (c != OPT_ICCID)
			return cli_usage(argv[optind - 1], "unexpected option");
		iccid_s = optarg;
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;
	if ((rc = db_config(&dbo)))
		return rc;
	if (!iccid_s)
		return cli_missing("--iccid");
	if ((rc = iccid_order_opt(iccid_s, iccid)))
		return rc;
	if ((rc = open_smdp(&dbo, "smdp release", &s, NULL)))
		return rc;
	e = orsp_smdp_release(s, iccid);
	if ((rc = flushed("smdp release", s, iccid, &e, &p)))
		goto out;
	if (e == ORSP_E_POLICY) /* expired, and that committed */
		rc = cli_failf("releaseProfile", "%s: the profile is Unavailable now",
		               orsp_err_detail());
	else if (refused_expired(s, iccid, e))
		rc = cli_failf("releaseProfile",
		               "the order of profile %s has expired: the profile is Unavailable",
		               iccid);
	else if (e)
		rc = cli_fail("releaseProfile", e);
	else {
		printf("released the order of %s: Released\n", iccid);
		rc = CLI_OK;
	}
out:
	orsp_err_clear();
	orsp_smdp_close(s);
	return rc;
}

/* ES2+ cancelOrder for an operator at the console: the same store call as the server's
 * handler (orsp_smdp_cancel_order: the order's EID and matching ID compared in its
 * transaction, its ES9+ sessions ended with it, audited and reported). */
static int smdp_cancel(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"iccid", required_argument, NULL, OPT_ICCID},
	    {"eid", required_argument, NULL, OPT_EID},
	    {"matching-id", required_argument, NULL, OPT_MATCHING_ID},
	    {"final", required_argument, NULL, OPT_FINAL},
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	const char *iccid_s = NULL, *eid = NULL, *mid = NULL, *final = NULL;
	char iccid[21];
	orsp_smdp *s = NULL;
	orsp_smdp_mismatch why = ORSP_SMDP_MISMATCH_NONE;
	bool available;
	int rc, c;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		switch (c) {
		case OPT_ICCID:
			iccid_s = optarg;
			break;
		case OPT_EID:
			eid = optarg;
			break;
		case OPT_MATCHING_ID:
			mid = optarg;
			break;
		case OPT_FINAL:
			final = optarg;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;
	if ((rc = db_config(&dbo)))
		return rc;
	if (!iccid_s)
		return cli_missing("--iccid");
	if ((rc = iccid_order_opt(iccid_s, iccid)))
		return rc;
	if (!final)
		return cli_missing("--final");
	if (strcmp(final, "available") != 0 && strcmp(final, "unavailable") != 0)
		return cli_usage("--final", "expected available or unavailable, not '%s'", final);
	available = strcmp(final, "available") == 0;
	if (eid && orsp_eid_check(eid) != ORSP_OK)
		return cli_usage("--eid", "expected 32 digits with valid check digits");
	if (mid && orsp_smdp_matching_id_check(mid))
		return cli_usage("--matching-id", "%s", orsp_err_detail());
	if ((rc = open_smdp(&dbo, "smdp cancel", &s, NULL)))
		return rc;
	/* which check refused it, as the store saw it in its transaction (until session 70 the
	 * order was read again after it, and "names no EID" was called another EID) */
	e = orsp_smdp_cancel_order_why(s, iccid, eid, mid, available, &why);
	if (e && why == ORSP_SMDP_MISMATCH_NO_EID)
		rc = cli_failf("cancelOrder", "profile %s: --eid given, but the order names no EID",
		               iccid);
	else if (e && why == ORSP_SMDP_MISMATCH_EID)
		rc = cli_failf("cancelOrder", "profile %s: --eid is not the order's EID", iccid);
	else if (e && why == ORSP_SMDP_MISMATCH_MATCHING_ID)
		rc =
		    cli_failf("cancelOrder", "profile %s: --matching-id is not the order's", iccid);
	else if (e && !orsp_db_committed(orsp_smdp_db(s)))
		rc = cli_fail("cancelOrder", e);
	else {
		if (e) /* committed, only its flush failed: the cancel stands */
			fprintf(stderr, "openrsp: warning: smdp cancel: %s\n", orsp_err_detail());
		printf("cancelled the order of %s: %s\n", iccid,
		       available ? "Available" : "Unavailable");
		rc = CLI_OK;
	}
	orsp_err_clear();
	orsp_smdp_close(s);
	return rc;
}

/* ----- serve ----- */

/* One certificate of `serve --check`'s summary: its subject and notAfter on stdout (the
 * warning when it expires soon is orsp_smdp_config_warn's, said by the start too, and one
 * already expired the configuration refused, as serve does). */
static void check_cert(const char *what, const orsp_cert *c, const char *indent)
{
	char subj[512], when[32];
	time_t na = 0;

	if (orsp_cert_subject_text(c, subj, sizeof(subj)))
		snprintf(subj, sizeof(subj), "(%s)", orsp_err_detail());
	if (orsp_cert_validity(c, NULL, &na)) {
		printf("%s%-10s %s, notAfter unknown (%s)\n", indent, what, subj,
		       orsp_err_detail());
		orsp_err_clear();
		return;
	}
	orsp_utc_text(na, 'T', when);
	printf("%s%-10s %s, notAfter %s\n", indent, what, subj, when);
}

/* `serve --check`'s line of a CA bundle the configuration read (pem, from path) and counted
 * (v): how many certificates, how many within their validity (the loader refused a bundle
 * with none) and when the first of those ends. Its warnings, for those out of it and for an
 * end within ORSP_SMDP_EXPIRY_WARN_DAYS, are orsp_smdp_config_warn's, which the start says
 * too; both from the loader's count (until session 72 each parsed the bundle again). */
static void check_ca(const char *what, const char *path, const char *pem,
                     const orsp_smdp_ca_validity *v)
{
	char when[32];

	if (!pem)
		return;
	orsp_utc_text(v->soonest, 'T', when);
	printf("%-10s %s: %zu certificate%s, %zu within validity, the first of them ends %s\n",
	       what, path, v->n, v->n == 1 ? "" : "s", v->current, when);
}

/* Whether serve could create path (a file that does not exist): its directory exists and
 * this user may add a file to it. Else the start's error, said now. */
static orsp_err check_creatable(const char *what, const char *path)
{
	char tmp[ORSP_SMDP_PATH_MAX];
	const char *dir;

	snprintf(tmp, sizeof(tmp), "%s", path);
	dir = dirname(tmp);
	if (access(dir, W_OK | X_OK) != 0)
		return orsp_errf(ORSP_E_IO, "cannot create %s %s: %s: %s", what, path, dir,
		                 strerror(errno));
	return ORSP_OK;
}

/* The database part of `serve --check`: judged as the server's start judges it (the KEK
 * file, then the inventory), with the same messages, but read-only: a database or KEK file
 * serve would create is said so, one it would migrate too, and nothing is written. Its line
 * of the summary into line[cap]. */
static int check_database(const orsp_smdp_config *cfg, char *line, size_t cap)
{
	orsp_smdp_schema_info sc = {0};
	size_t n[ORSP_SMDP_STATE__COUNT] = {0}, total = 0, used;
	orsp_secret kek = {0};
	orsp_smdp *s = NULL;
	orsp_db *probe = NULL;
	bool tables = false, exists, kek_new = false;
	/* as the start: a database serve could not read and write (until session 73 --check,
	 * which only reads, passed one serve could not open) */
	orsp_err e = orsp_db_access_check(cfg->database, ORSP_DB_OPEN_EXISTING);

	if (!e)
		e = orsp_db_open_ex(cfg->database, ORSP_DB_OPEN_READONLY, &probe);
	/* which KEK the server takes: an existing file, or one it makes for a database that
	 * does not exist or holds no table (orsp_kek_load_for_db) */
	if (!e)
		e = orsp_db_has_tables(probe, &tables);
	orsp_db_close(probe);
	exists = e != ORSP_E_NOT_FOUND;
	if (e == ORSP_E_NOT_FOUND) {
		orsp_err_clear();
		e = ORSP_OK;
	}
	if (!e)
		e = orsp_kek_load_existing(cfg->kek_file, &kek);
	if (e == ORSP_E_NOT_FOUND && !tables) {
		orsp_err_clear();
		kek_new = true;
		e = ORSP_OK;
	}
	e = orsp_smdp_config_kek_missing(cfg, e);
	if (!e && kek_new)
		e = check_creatable("KEK file", cfg->kek_file);
	if (!e && !exists)
		e = check_creatable("database", cfg->database);
	if (!e && tables)
		e = orsp_smdp_open_ex(cfg->database, ORSP_DB_OPEN_READONLY, &kek, &s);
	orsp_secret_wipe(&kek);
	if (!e && s)
		e = orsp_smdp_schema(s, &sc);
	/* an older schema while another process (an older server) has the database open: serve
	 * would refuse to migrate it, and so does this (until session 73 it said only that serve
	 * would migrate it, exit 0) */
	if (!e && s)
		e = orsp_smdp_migrate_check(s);
	if (e) {
		orsp_smdp_close(s);
		return cli_fail("server", e);
	}
	if (kek_new)
		fprintf(stderr,
		        "openrsp smdp: KEK file %s: does not exist, `serve` would create it\n",
		        cfg->kek_file);
	if (!s) {
		snprintf(line, cap, "%-10s %s: %s", "database", cfg->database,
		         exists ? "holds no table yet" : "does not exist yet");
		fprintf(stderr,
		        "openrsp smdp: database %s: %s, `serve` would create the inventory%s\n",
		        cfg->database, exists ? "holds no table" : "does not exist",
		        exists ? " in it" : " and the file");
		return CLI_OK;
	}
	/* (line holds the path, up to ORSP_SMDP_PATH_MAX, and 512 more: what follows fits) */
	used = (size_t)snprintf(line, cap, "%-10s %s: schema version %d, ES9+ schema version %d",
	                        "database", cfg->database, sc.smdp, sc.es9p);
	/* with the read-only handle, on a schema of this program's (an older one's columns may
	 * differ from what the count reads) */
	if (sc.smdp == sc.smdp_latest && orsp_smdp_count_states(s, n) == ORSP_OK) {
		for (int i = 0; i < ORSP_SMDP_STATE__COUNT; i++) {
			total += n[i];
			if (n[i] && used < cap)
				used += (size_t)snprintf(line + used, cap - used, "%s %s %zu",
				                         total == n[i] ? "; profiles:" : ",",
				                         orsp_smdp_state_name((orsp_smdp_state)i),
				                         n[i]);
		}
		if (used < cap)
			snprintf(line + used, cap - used, "%s%zu in all",
			         total ? ", " : "; profiles: ", total);
	}
	orsp_err_clear();
	if (sc.smdp < sc.smdp_latest)
		fprintf(stderr,
		        "openrsp smdp: database %s: schema version %d, `serve` would migrate it to "
		        "%d\n",
		        cfg->database, sc.smdp, sc.smdp_latest);
	if (sc.es9p < sc.es9p_latest)
		fprintf(
		    stderr,
		    "openrsp smdp: database %s: ES9+ schema version %d, `serve` would migrate it "
		    "to %d\n",
		    cfg->database, sc.es9p, sc.es9p_latest);
	orsp_smdp_close(s);
	return CLI_OK;
}

#define CI_SKI_MAX 64

/* A CI's subjectKeyIdentifier in lower-case hex into hex, "?" when it has none. */
static const char *ci_ski_hex(const orsp_cert *ci, char hex[2 * CI_SKI_MAX + 1])
{
	uint8_t ski[CI_SKI_MAX];
	size_t len = 0;

	if (!ci || orsp_cert_ski(ci, ski, sizeof(ski), &len) ||
	    orsp_hex_encode(ski, len, hex, 2 * CI_SKI_MAX + 1)) {
		orsp_err_clear();
		memcpy(hex, "?", 2);
	}
	return hex;
}

/* `serve --check`'s look at the listen address and port, first as in the start: bound as
 * the server binds them and released at once. A port in use is a warning (it is, by the
 * running server, when a changed configuration is judged before a restart); any other
 * failure (an address not this host's, a port below 1024 without the privilege) the start's
 * error, and so is a server there of another inventory (orsp_smdp_shared_port_check). */
static int check_listen(const orsp_smdp_config *cfg)
{
	bool v6 = strchr(cfg->listen, ':') != NULL;
	int sys_errno = 0;
	orsp_err e = orsp_http_server_probe(cfg->listen, cfg->port, cfg->reuse_port, &sys_errno);

	if (e == ORSP_E_IO && sys_errno == EADDRINUSE) {
		orsp_err_clear();
		fprintf(stderr,
		        "openrsp smdp: warning: %s%s%s:%u is in use now (by the running server?); "
		        "`serve` would fail to listen until it is free\n",
		        v6 ? "[" : "", cfg->listen, v6 ? "]" : "", (unsigned)cfg->port);
		return CLI_OK;
	}
	/* with reuse_port, a server already there of another inventory: the start's refusal
	 * (until session 73 --check said only that serve would create the database) */
	if (!e)
		e = orsp_smdp_shared_port_check(cfg);
	return e ? cli_fail("server", e) : CLI_OK;
}

/* `serve --check`: what the server's start judges of cfg (loaded already), without a
 * thread or a write (the port bound and released at once); then the summary. */
static int serve_check(const char *config, const orsp_smdp_config *cfg)
{
	bool v6 = strchr(cfg->listen, ':') != NULL;
	char db_line[ORSP_SMDP_PATH_MAX + 512];
	int rc = check_listen(cfg);

	if (!rc)
		rc = check_database(cfg, db_line, sizeof(db_line));
	if (rc)
		return rc;
	printf("%-10s %s\n", "fqdn", cfg->svc.fqdn);
	printf("%-10s %s://%s%s%s:%u (%s)\n", "listen", cfg->plain_http ? "http" : "https",
	       v6 ? "[" : "", cfg->listen, v6 ? "]" : "", (unsigned)cfg->port,
	       cfg->plain_http ? "plain HTTP, for a TLS-terminating proxy in front" : "HTTPS");
	orsp_smdp_config_warn(cfg);
	if (cfg->n_trusted_proxies) {
		printf("%-10s", "proxies");
		for (size_t i = 0; i < cfg->n_trusted_proxies; i++) {
			char text[ORSP_HTTP_PREFIX_TEXT_MAX];
			orsp_http_prefix_text(&cfg->trusted_proxies[i], text, sizeof(text));
			printf(" %s", text);
		}
		printf(" (X-Forwarded-For from these names the client)\n");
	}
	/* the certificate the configuration checked */
	if (!cfg->plain_http && cfg->tls_cert_parsed)
		check_cert("DPtls", cfg->tls_cert_parsed, "");
	for (size_t i = 0; i < cfg->svc.n_sets; i++) {
		const orsp_smdp_keyset *ks = &cfg->svc.sets[i];
		char hex[2 * CI_SKI_MAX + 1];
		printf("keyset %zu: CI %s\n", i + 1, ci_ski_hex(ks->ci, hex));
		check_cert("DPauth", ks->dpauth_cert, "  ");
		check_cert("DPpb", ks->dppb_cert, "  ");
	}
	/* the client certificate of the reports to the operator (callback_cert), from the
	 * bytes the configuration read */
	if (cfg->callback_cert_parsed)
		check_cert("callback", cfg->callback_cert_parsed, "");
	check_ca("callback_ca", cfg->callback_ca, cfg->callback_ca_pem, &cfg->callback_ca_validity);
	check_ca("es2_client_ca", cfg->es2_client_ca, cfg->es2_client_ca_pem,
	         &cfg->es2_client_ca_validity);
	/* the further CIs of trusted_ci (for eUICC and EUM certificates only): those of the CI
	 * store, in its order, that are no key set's */
	for (size_t i = 0; i < orsp_ci_store_count(cfg->svc.cis); i++) {
		char hex[2 * CI_SKI_MAX + 1], set_hex[2 * CI_SKI_MAX + 1];
		bool a_set = false;
		ci_ski_hex(orsp_ci_store_at(cfg->svc.cis, i), hex);
		for (size_t j = 0; j < cfg->svc.n_sets && !a_set; j++)
			a_set = strcmp(hex, ci_ski_hex(cfg->svc.sets[j].ci, set_hex)) == 0;
		if (!a_set)
			printf("trusted_ci %s\n", hex);
	}
	orsp_smdp_crl_print(cfg, stdout, "crl        ");
	printf("%s\n", db_line);
	printf("configuration %s: ok\n", config);
	return CLI_OK;
}

/* serve's exit when the configuration's load or the server's start (the KEK) fails: 78 for
 * ORSP_E_VERIFY, a token that refused the PIN (or has one try left, or none; a key's or a
 * sealed KEK's, the KEK's exit 1 until session 66) or a KEK that does not open the database:
 * not restarted by its systemd unit, as each start would send the PIN again, towards the
 * token's lock-out, and no restart mends the others either; every other refusal 1, restarted
 * (a token or module not there yet at boot comes) */
static int serve_refused(const char *what, orsp_err e)
{
	cli_fail(what, e);
	return e == ORSP_E_VERIFY ? CLI_CONFIG : CLI_FAIL;
}

static int smdp_serve(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, OPT_CONFIG},
	    {"check", no_argument, NULL, OPT_CHECK},
	    {NULL, 0, NULL, 0},
	};
	static orsp_smdp_config cfg;
	const char *config = NULL;
	bool check = false;
	orsp_smdp_server *srv = NULL;
	volatile sig_atomic_t *serve_stop;
	bool v6;
	int c, rc;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_CONFIG)
			config = optarg;
		else if (c == OPT_CHECK)
			check = true;
		else
			return cli_usage(argv[optind - 1], "unexpected option");
	}
	if ((rc = cli_positional(argc, argv, 0, "")) != CLI_OK)
		return rc;
	if (!config)
		return cli_missing("--config");
	if (!config[0])
		return cli_usage("--config", "empty path");
	if (check) {
		e = orsp_smdp_config_load(config, &cfg);
		if (e)
			return cli_fail("configuration", e);
		rc = serve_check(config, &cfg);
		orsp_smdp_config_free(&cfg);
		return rc;
	}
	/* the server loads its KEK once (orsp_smdp_server_start) and starts no process: the
	 * hex text of ORSP_KEK is wiped from the environment as soon as that load has decoded
	 * it, not kept for the life of the server (docs/crypto.md) */
	orsp_kek_env_once();
	/* before the configuration is read (its keys loaded, a token's login): a stop asked
	 * meanwhile was the signal's default action, the process killed (143, 129) */
	serve_stop = cli_stop_on_signals();
	e = orsp_smdp_config_load(config, &cfg);
	if (e)
		return serve_refused("configuration", e);
	if (orsp_stop_set(serve_stop)) {
		fprintf(stderr, "openrsp smdp: stopped by a signal before serving\n");
		orsp_smdp_config_free(&cfg);
		return CLI_OK;
	}
	e = orsp_smdp_server_start(&cfg, &srv);
	if (e) {
		orsp_smdp_config_free(&cfg);
		return serve_refused("server", e);
	}
	/* an IPv6 address in brackets, as in a URL (RFC 3986 §3.2.2) */
	v6 = strchr(cfg.listen, ':') != NULL;
	fprintf(stderr, "openrsp smdp: serving %s on %s://%s%s%s:%u (ES9+, %s/metrics, /health)\n",
	        cfg.svc.fqdn, cfg.plain_http ? "http" : "https", v6 ? "[" : "", cfg.listen,
	        v6 ? "]" : "", (unsigned)orsp_smdp_server_port(srv),
	        cfg.es2_token[0] || cfg.es2_client_ca[0] ? "ES2+, " : "");
	/* The port on stdout for scripts (port 0 = ephemeral). */
	printf("%u\n", (unsigned)orsp_smdp_server_port(srv));
	fflush(stdout);
	while (!orsp_stop_set(serve_stop)) {
		struct timespec ts = {0, 200 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	/* With drain: the balancer sees /health fail and takes the instance out while it still
	 * serves; a second signal stops at once, as without. */
	if (cfg.drain_s && orsp_stop_count(serve_stop) < 2) {
		double t0 = orsp_mono_s();
		orsp_smdp_server_drain(srv, cfg.drain_s);
		fprintf(
		    stderr,
		    "openrsp smdp: draining for %u s (/health answers 503 \"draining\", requests "
		    "are still served); a second signal stops at once\n",
		    cfg.drain_s);
		while (!orsp_smdp_server_drained(srv) && orsp_stop_count(serve_stop) < 2) {
			struct timespec ts = {0, 50 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		fprintf(stderr, "openrsp smdp: drain %s after %.1f s\n",
		        orsp_smdp_server_drained(srv) ? "over" : "cut short by a second signal",
		        orsp_mono_s() - t0);
	}
	fprintf(stderr, "openrsp smdp: stopping (finishing requests in flight)\n");
	orsp_smdp_server_stop(srv);
	orsp_smdp_config_free(&cfg);
	return CLI_OK;
}

/* the options of `audit` and `reports` */
#define LOG_SYNOPSIS DB_SYNOPSIS "\n       [--iccid N] [--json]"
#define LOG_HELP                                                                                   \
	"options:\n" DB_HELP "  --iccid N            one profile only\n"                           \
	"  --json               as a JSON array\n"

static const cli_cmd smdp_cmds[] = {
    {
        .verb = "profile",
        .summary = "Import, generate, list or purge the profile inventory",
        .synopsis =
            "import DIR|FILE\n"
            "         " DB_SYNOPSIS "\n"
            "         [--ppr LIST] [--mnc-length 2|3] [--class C] [--batch N] [--auc DB]\n"
            "         [--replace-orphans]\n"
            "       profile list " DB_SYNOPSIS "\n"
            "         [--state S[,S...]] [--iccid N] [--eid EID] [--older-than DURATION]\n"
            "         [--limit N] [--count] [--json]\n"
            "       profile generate " DB_SYNOPSIS "\n"
            "         --template FILE --iccid-start DIGITS --imsi-start DIGITS [--count N]\n"
            "         (--auc DB | --no-auc) [--spn S] [--name N] [--ppr LIST]\n"
            "         [--mnc-length 2|3] [--class C] [--keep-ims-identity] [--keep-sd-keys]\n"
            "         [--keep-cdma-keys] [--batch N] [--replace-orphans] [--json]\n"
            "       profile purge " DB_SYNOPSIS "\n"
            "         [--state S[,S...]] [--iccid N] [--eid EID] [--older-than DURATION]\n"
            "         [--limit N] [--dry-run] [--json]",
        .help = "import: decode and validate each package (a FILE, or every *.der in DIR),\n"
                "take its ICCID, IMSI and profile type, and store it Available, encrypted\n"
                "under a key wrapped by the KEK. A duplicate ICCID or IMSI is refused.\n"
                "A FILE the import would refuse, or a DIR of nothing but such files, is\n"
                "refused before the database is opened: it is left as it was. The files are\n"
                "committed in batches (--batch), a file's line printed once its batch is;\n"
                "SIGINT, SIGTERM and SIGHUP commit the batch and stop at the next file.\n"
                "With --auc DB each profile's subscriber goes into that AuC too (KEK\n"
                "<DB>.kek; a file other than --db's): the USIM's IMSI, and K, OPc, algorithm\n"
                "(Milenage with its constants, or TUAK) and SQN range of its algoParameter;\n"
                "each file committed on its own, into both stores or neither, but for a\n"
                "process killed (SIGKILL, a power cut) between the AuC's commit and the\n"
                "SM-DP+'s: that file's subscriber stays without a profile (--replace-orphans\n"
                "below). A package without them is refused. The package's PUKs, ADM and OTA\n"
                "keys stay its maker's.\n"
                "list: every profile with its state, in import order, or those the filters\n"
                "take (all must match); never key material. Stuck downloads (delivered, no\n"
                "installation result for 6 hours): --state downloaded --older-than 6h.\n"
                "generate: N profiles from a template, each with its own ICCID (counting up\n"
                "from --iccid-start after its first 7 digits, the issuer number; Luhn digit\n"
                "added), IMSI (counting up in the MSIN; the MNC length from EF.AD, else\n"
                "--mnc-length), the ISIM's IMS identity derived from that IMSI (TS 23.003 §13:\n"
                "EF.IMPI, EF.DOMAIN, EF.IMPU; --keep-ims-identity leaves the template's) and\n"
                "random Milenage K/OPc, imported Available; with --auc DB\n"
                "the same K/OPc go into that AuC (KEK <DB>.kek; a file other than --db's),\n"
                "each profile into both or neither, but for a process killed (SIGKILL, a\n"
                "power cut) between a batch's two commits: its subscribers stay in the AuC\n"
                "without profiles (--replace-orphans below). A range that would run past\n"
                "either counter is refused first.\n"
                "The profiles are committed in batches (--batch; in both stores, the AuC\n"
                "first); a profile that fails is rolled back alone, those before it are\n"
                "committed, and the run stops naming the rest; SIGINT, SIGTERM and SIGHUP\n"
                "commit the batch and stop at the next profile. A run refused at its first\n"
                "profile because the stores hold it says how many of the range they hold\n"
                "and the rest. The keys are never printed. A progress bar on a terminal,\n"
                "else a line every 30 s.\n"
                "import, generate --replace-orphans (with --auc): an AuC subscriber of a\n"
                "profile's IMSI for which the SM-DP+ holds no profile (an orphan, as a run\n"
                "killed between the two commits leaves) is deleted and added anew with this\n"
                "run's keys, audited in the AuC; without it the run stops there, saying how\n"
                "many of its next IMSIs are such. A subscriber whose IMSI the SM-DP+ holds is\n"
                "never replaced.\n"
                "The first profile is made and judged (--spn, --name, --ppr), and the AuC of\n"
                "--auc looked at, before the database is opened: a refusal leaves it as it was.\n"
                "Every symmetric key of the template's security domains (OTA keys: SCP80\n"
                "KIc/KID/KIK, SCP03) is drawn at random per profile too, and kept in the AuC\n"
                "with --auc (`openrsp auc secret IMSI sd1-kvn01-kid01`); --keep-sd-keys\n"
                "copies the template's keys instead, for keys the operator already manages.\n"
                "The CSIM's CDMA secrets (A-Key, SSD, HRPD/Simple IP/Mobile IP shared\n"
                "secrets) are drawn per profile and kept nowhere (openrsp does no CDMA\n"
                "authentication); --keep-cdma-keys copies the template's (a warning). The\n"
                "CSIM's identity (EF.IMSI_M, EF.IMSI_T) stays the template's (a warning).\n"
                "--ppr: the profiles' metadata carries these Profile Policy Rules and the\n"
                "profile owner: MCC and MNC of the IMSI (MNC length from EF.AD, else\n"
                "--mnc-length), GID1/GID2 from EF.GID1/EF.GID2 when the package sets them.\n"
                "The LPA checks them against the eUICC's rules authorisation table and may\n"
                "ask the end user's consent (docs/lpa.md). They are fixed at import.\n"
                "--class: the profileClass of the profiles' metadata (a TCA package carries\n"
                "none); a test profile is what an eUICC memory reset of test profiles\n"
                "deletes. Fixed at import.\n"
                "purge: drop the package (with its K and OPc) of each profile in a final\n"
                "state (--state, default installed; also error, unavailable) that the filters\n"
                "take, so that ended subscriptions are no longer kept here; the profile's\n"
                "row, state and audit log stay, its ICCID and IMSI still refuse a duplicate\n"
                "import, and each purge is audited. Batches of 100, each committed whole,\n"
                "beside running servers; SIGINT, SIGTERM and SIGHUP stop after the batch.\n"
                "--dry-run only counts. Backups taken before still hold the packages.\n"
                "import and generate create a database that does not exist, with its KEK\n"
                "file, and remove both again when they fail before storing any profile; list\n"
                "and the other smdp verbs refuse a database that does not exist. The AuC of\n"
                "--auc must exist (`openrsp auc init --db DB` creates one): a mistyped --auc\n"
                "is refused, and the lines name the AuC written into.\n\n"
                "options:\n" DB_HELP PPR_HELP
                "  --json               list: a JSON array (--count: an object); generate:\n"
                "                       {\"generated\":N,\"complete\":true} (false: stopped\n"
                "                       or failed after N)\n"
                "  --state S[,S...]     list: in these states (available, allocated, linked,\n"
                "                       confirmed, released, downloaded, installed, error,\n"
                "                       unavailable); repeated, they add up; purge: final\n"
                "                       states only\n"
                "  --iccid N            list, purge: this profile (up to 20 digits, or 19 and F)\n"
                "  --eid EID            list, purge: ordered for or delivered to this eUICC\n"
                "  --older-than DURATION  list, purge: last state change (or the import)\n"
                "                       before now minus DURATION: 90s, 30m, 6h, 2d (1s to\n"
                "                       36500d)\n"
                "  --limit N            list: the first N only, with a line saying when more\n"
                "                       match (on stderr with --json); purge: at most N\n"
                "  --dry-run            purge: count the packages it would drop, drop none\n"
                "  --count              list (no value): how many per state (those of\n"
                "                       --state, else all) and the total, instead of the rows\n"
                "  --template FILE      generate: the profile package to personalise (DER)\n"
                "  --iccid-start DIGITS generate: the first ICCID, 18 or 19 digits without\n"
                "                       the Luhn digit (added)\n"
                "  --imsi-start DIGITS  generate: the first IMSI (6 to 15 digits)\n"
                "  --count N            generate: how many profiles (1 to 1000000, default 1)\n"
                "  --auc DB             generate: the AuC database the K/OPc (and OTA keys) go\n"
                "                       to, a file other than --db's, which must exist\n"
                "                       (`openrsp auc init`); its KEK is DB.kek, or ORSP_KEK\n"
                "                       when set (for both stores); generate needs it or\n"
                "                       --no-auc\n"
                "  --no-auc             generate: no AuC: the keys are nowhere but in the\n"
                "                       sealed packages (a purge deletes them), so no network\n"
                "                       can authenticate the profiles: for tests only\n"
                "  --spn S              generate: EF.SPN's name (up to 16 characters of the\n"
                "                       GSM default alphabet)\n"
                "  --name N             generate: the ProfileHeader's profileType (1 to 100\n"
                "                       characters)\n"
                "  --keep-ims-identity  generate: leave the ISIM's EF.IMPI, EF.DOMAIN and\n"
                "                       EF.IMPU as the template has them\n"
                "  --keep-sd-keys       generate: the template's security-domain keys in every\n"
                "                       profile (none in the AuC)\n"
                "  --keep-cdma-keys     generate: the template's CDMA secrets in every "
                "profile\n" BATCH_HELP,
        .run = smdp_profile,
    },
    {
        .verb = "order",
        .summary = "downloadOrder (+ confirmOrder) and print the activation code",
        .synopsis = "(--config FILE | --db PATH --fqdn NAME\n"
                    "       [--kek-file PATH]) (--iccid N | --profile-type T) [--eid EID]\n"
                    "       [--matching-id ID] [--cc CODE] [--release]",
        .help = "Takes the profile (or the first Available profile of the type) out of\n"
                "Available: Allocated, or Linked with --eid. With --cc and/or --release it\n"
                "is then confirmed (Confirmed, or Released with --release); without them\n"
                "`smdp confirm` confirms it later. Prints\n"
                "LPA:1$FQDN$MatchingID, with --cc LPA:1$FQDN$MatchingID$$1 (the flag\n"
                "that tells the LPA to ask for the confirmation code).\n\n"
                "options:\n"
                "  --iccid N            order this profile\n"
                "  --profile-type T     order the first Available profile of this type\n"
                "                       (at most 400 bytes, as ES2+)\n"
                "  --eid EID            bind the order to this eUICC (32 digits)\n"
                "  --matching-id ID     1..64 of [0-9A-Z-] (default: random, 23 characters)\n"
                "  --cc CODE            confirmation code (stored as SHA-256, KEK-wrapped)\n"
                "  --release            release the profile for download at once\n"
                "  --fqdn NAME          SM-DP+ address for the activation code (with --config:\n"
                "                       the configuration's fqdn unless given)\n" DB_HELP,
        .run = smdp_order,
    },
    {
        .verb = "confirm",
        .summary = "confirmOrder: confirm an order placed without --cc or --release",
        .synopsis =
            "(--config FILE | --db PATH --fqdn NAME\n"
            "       [--kek-file PATH]) --iccid N [--eid EID] [--matching-id ID] [--cc CODE]\n"
            "       [--release]",
        .help = "Confirms the order of an Allocated or Linked profile as ES2+ confirmOrder\n"
                "does: Confirmed (`smdp release` releases it later), or Released with\n"
                "--release. An --eid binds an order placed without one (a bindEid audit\n"
                "row) and must be the order's EID otherwise; a --matching-id replaces the\n"
                "order's (refused if another order has it), else the order keeps its own.\n"
                "Audited as the server's own confirmations are; an order past its validity\n"
                "is not confirmed but ends Unavailable, reported to the operator's callback\n"
                "as expired. Prints the activation code as `smdp order` does,\n"
                "LPA:1$FQDN$MatchingID, with --cc LPA:1$FQDN$MatchingID$$1. Every value is\n"
                "judged before the database is opened; a profile in another state is\n"
                "refused and left as it is.\n\n"
                "options:\n"
                "  --iccid N            the profile\n"
                "  --eid EID            bind the order to this eUICC, or refuse unless the\n"
                "                       order is for it (32 digits)\n"
                "  --matching-id ID     the order's new matching ID, 1..64 of [0-9A-Z-]\n"
                "                       (default: the one the order has)\n"
                "  --cc CODE            confirmation code (stored as SHA-256, KEK-wrapped)\n"
                "  --release            release the profile for download at once\n"
                "  --fqdn NAME          SM-DP+ address for the activation code (with --config:\n"
                "                       the configuration's fqdn unless given)\n" DB_HELP,
        .run = smdp_confirm,
    },
    {
        .verb = "release",
        .summary = "releaseProfile: release a Confirmed profile for download",
        .synopsis = "(--config FILE | --db PATH [--kek-file PATH])\n"
                    "       --iccid N",
        .help = "Releases the profile as ES2+ releaseProfile does: Confirmed to Released,\n"
                "downloadable with the activation code `smdp confirm` printed. Audited as\n"
                "the server's own releases are; an order past its validity is not released\n"
                "but ends Unavailable, reported to the operator's callback as expired. A\n"
                "profile in another state is refused and left as it is.\n\n"
                "options:\n"
                "  --iccid N            the profile\n" DB_HELP,
        .run = smdp_release,
    },
    {
        .verb = "cancel",
        .summary = "cancelOrder: end an order, the profile to Available/Unavailable",
        .synopsis = "(--config FILE | --db PATH [--kek-file PATH])\n"
                    "       --iccid N --final available|unavailable [--eid EID] [--matching-id ID]",
        .help = "Ends the order of the profile as ES2+ cancelOrder does: from Allocated,\n"
                "Linked, Confirmed, Released or Downloaded (delivered, no installation\n"
                "result yet), to Available (the order cleared: it can be ordered again) or\n"
                "Unavailable (for good). The profile's ES9+ sessions end with it. Audited,\n"
                "and reported to the operator's callback like the server's own cancels.\n"
                "Choose unavailable for a delivered profile unless that eUICC is known not\n"
                "to hold it.\n\n"
                "options:\n"
                "  --iccid N            the profile\n"
                "  --final S            available or unavailable\n"
                "  --eid EID            refuse unless the order is for this eUICC\n"
                "  --matching-id ID     refuse unless this is the order's matching ID\n" DB_HELP,
        .run = smdp_cancel,
    },
    {
        .verb = "audit",
        .summary = "The audit log: every order, state change, CC check and refusal",
        .synopsis = DB_SYNOPSIS "\n       [--iccid N] [--limit N] [--json]",
        .help = "Prints the SM-DP+'s append-only audit log, oldest first: time (UTC), action,\n"
                "ICCID, state before and after, detail. Never key material.\n\n" LOG_HELP
                "  --limit N            the newest N rows only (still oldest first)\n",
        .run = smdp_audit,
    },
    {
        .verb = "reports",
        .summary = "Progress reports to operators (ES2+ HandleDownloadProgressInfo)",
        .synopsis =
            LOG_SYNOPSIS "\n       reports " DB_SYNOPSIS "\n       --resend [--iccid N] [--json]",
        .help = "Prints the outbox of download progress reports, oldest first: time (UTC),\n"
                "ICCID, notificationPointId, status (with the status codes of a failure),\n"
                "delivery (pending, delivered, or given-up after the last retry or when the\n"
                "operator answered Failed), attempts and detail. docs/smdp-server.md explains\n"
                "the points.\n"
                "--resend: queue the given-up reports (of --iccid, else all) again, once the\n"
                "operator's endpoint is back: due at once, attempts from 0, audited as\n"
                "reportsResent; the servers send them in their next round, each with the\n"
                "functionCallIdentifier it had, after newer reports already delivered.\n\n" LOG_HELP
                "  --resend             queue the given-up reports again (above)\n",
        .run = smdp_reports,
    },
    {
        .verb = "rekey",
        .summary = "Rotate the KEK: re-wrap the database's secrets under a new KEK",
        .synopsis = DB_SYNOPSIS "\n       --new-kek-file NEW",
        .help = "Creates NEW (refused if it exists) with a new random KEK, mode 0600, and in one\n"
                "transaction re-wraps under it every secret of the database (confirmation\n"
                "codes, the packages' data keys, the ES9+ sessions' one-time keys, the KEK\n"
                "check), with a kekRotated audit row. Any failure before the commit changes\n"
                "nothing and removes NEW; a failed commit keeps NEW (the database may need it:\n"
                "check which KEK opens it). Refused while another process (`smdp serve`) has\n"
                "the database open: stop the servers first. A download not yet past\n"
                "authenticateClient starts over (its transactionId no longer verifies); one\n"
                "past it goes on. Afterwards the database opens only with NEW: copy the old KEK\n"
                "file aside (backups made before need it), then move NEW in place of it (or\n"
                "point --kek-file / kek_file at NEW); keep the copy only as long as older\n"
                "backups must stay readable.\n\n"
                "options:\n"
                "  --new-kek-file NEW   the new KEK file (must not exist)\n" DB_HELP,
        .run = smdp_rekey,
    },
    {
        .verb = "backup",
        .summary = "Copy the database consistently while the servers use it (audited)",
        .synopsis = DB_SYNOPSIS "\n       --out FILE [--json]",
        .help = "Writes a consistent copy of the inventory's database (one snapshot: the servers\n"
                "go on reading and writing) to FILE, a new file, mode 0600. The copy is made\n"
                "beside FILE under a temporary name, flushed, checked (SQLite's integrity_check,\n"
                "the smdp schema at the database's version, the KEK check value against the KEK\n"
                "used) and audited (a backup row naming FILE) before it appears as FILE; any\n"
                "failure leaves no FILE and no temporary file (a process killed outright may\n"
                "leave FILE.tmp*: delete them), and an existing FILE is refused and left alone.\n"
                "The database is copied as it is: one of an older schema is not migrated (the\n"
                "backup taken before an upgrade opens with the program that made it).\n"
                "Prints the backup's name, size, schema version, profiles by state and the KEK\n"
                "file (or ORSP_KEK) that opens it: the KEK is NOT in the backup, back it up\n"
                "separately. The copy holds the packages and confirmation codes wrapped under\n"
                "that KEK, and the EIDs: keep it as safe as the database.\n"
                "A database restored from it is the inventory at the time of the backup (see\n"
                "docs/smdp.md, Backup and restore).\n\n"
                "options:\n"
                "  --out FILE           the backup (must not exist; its directory must)\n"
                "  --json               one JSON object (path, size, module, schema_version,\n"
                "                       schema_latest, profiles by state and total, kek_file,\n"
                "                       kek_env, kek_in_backup)\n" DB_HELP,
        .run = smdp_backup,
    },
    {
        .verb = "serve",
        .summary = "Run the SM-DP+: devices' ES9+, operators' ES2+, /metrics, /health",
        .synopsis = "--config FILE [--check]",
        .help = "Serves /gsma/rsp2/es9plus/<function> and /gsma/rsp2/es2plus/<function> over\n"
                "HTTPS with the DPtls certificate (or plain HTTP when the configuration says\n"
                "plain_http = yes), GET /metrics in the Prometheus text format, and GET /health\n"
                "for load balancers (200 \"ok\"; 503 with a reason when the database cannot be\n"
                "read, a flush of it failed, or the server is draining or stopping). Prints the\n"
                "port on stdout, one log line per request on stderr; SIGINT/SIGTERM/SIGHUP stop\n"
                "it after the requests in flight. With `drain = N` in the configuration the\n"
                "first of them starts a drain instead: for N seconds /health answers 503\n"
                "\"draining\" while every other request is still served (with Connection:\n"
                "close), then the stop; a second signal stops at once. The configuration file is\n"
                "described in docs/smdp-server.md (example: docs/smdp.conf.example). Exit\n"
                "status 78 (EX_CONFIG) when a token refused the PIN or has one try left\n"
                "(its systemd unit does not restart it), 1 for any other failure.\n"
                "--check judges the configuration as the start does (every key and file, the\n"
                "key pairs, the CIs, a token's keys, the KEK, the database), with the same\n"
                "messages and exit status 1, but writes nothing: the database is opened\n"
                "read-only, neither created nor migrated (a notice says when serve would\n"
                "create or migrate it, or create the KEK file; an older schema that another\n"
                "process has open is serve's refusal). The listen address and port\n"
                "are bound as serve binds them and released at once: a port in use (as by the\n"
                "running server) is a warning on stderr, an address not this host's or a port\n"
                "below 1024 without the privilege serve's error, and so is, with reuse_port,\n"
                "a server there of another inventory (a database that does not exist, or that\n"
                "no other process has open). Then prints a summary: fqdn,\n"
                "listen address, each certificate's subject and notAfter (a warning on stderr\n"
                "for one that expires within 30 days), the CIs by SKI, the database's schema\n"
                "and profiles by state.\n\n"
                "options:\n"
                "  --config FILE        the configuration file\n"
                "  --check              judge the configuration and exit (0: serve would start)\n",
        .run = smdp_serve,
    },
    {NULL, NULL, NULL, NULL, NULL},
};

const cli_noun cli_noun_smdp = {
    .name = "smdp",
    .summary = "SM-DP+: profile inventory, orders, and the ES9+/ES2+ server",
    .cmds = smdp_cmds,
};
