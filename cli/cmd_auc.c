/* `openrsp auc`: the SHO subscriber store from the command line. K and OPc go in with
 * `add` and come out only through `export`, into a new 0600 file (or a standard output that
 * is not a terminal), audited: no other command prints them. */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "openrsp/auc.h"

#define DEFAULT_DB "openrsp-auc.db"

/* The rows of the AuC's tables another process may have written (cli_unmake leaves a
 * database that has any) */
#define AUC_ROWS_SQL                                                                               \
	"SELECT (SELECT count(*) FROM auc_subscriber) + (SELECT count(*) FROM auc_audit) + "       \
	"(SELECT count(*) FROM auc_card_secret)"

enum {
	OPT_DB = CLI_OPT_CMD,
	OPT_KEK_FILE,
	OPT_IMSI,
	OPT_AMF,
	OPT_SQN,
	OPT_IND_BITS,
	OPT_SQN_DELTA,
	OPT_COUNT,
	OPT_IND,
	OPT_RAND,
	OPT_AUTS,
	OPT_JSON,
	OPT_FORMAT,
	OPT_ALL,
	OPT_OUT,
	OPT_TO_TERMINAL,
	OPT_LIST,
	OPT_LIMIT,
	OPT_NEW_KEK_FILE,
};

// clang-format off
#define DB_LONGOPTS \
	{"db", required_argument, NULL, OPT_DB}, \
	{"kek-file", required_argument, NULL, OPT_KEK_FILE}
// clang-format on

#define DB_HELP                                                                                    \
	"  --db PATH            subscriber database (default $ORSP_AUC_DB, else\n"                 \
	"                       " DEFAULT_DB "; an empty PATH is refused): init and add\n"         \
	"                       create it, every other verb refuses one that does not\n"           \
	"                       exist or holds no AuC; none takes one that holds other\n"          \
	"                       tables (the SM-DP+'s): the AuC needs a file of its own\n"          \
	"  --kek-file PATH      key-encryption key file (default <db>.kek; init and add\n"         \
	"                       create it 0600 with a new database, every other verb and\n"        \
	"                       add to an existing database refuse a missing one); the\n"          \
	"                       environment variable ORSP_KEK (64 hex digits) takes\n"             \
	"                       precedence\n"

typedef struct db_opts {
	const char *db;
	const char *kek_file;
} db_opts;

static bool db_opt(db_opts *o, int c, const char *arg)
{
	if (c == OPT_DB)
		o->db = arg;
	else if (c == OPT_KEK_FILE)
		o->kek_file = arg;
	else
		return false;
	return true;
}

static int no_db(const char *verb, const char *db)
{
	return cli_failf(verb,
	                 "no AuC database at %s (`openrsp auc init` or `auc add` creates one)",
	                 strncmp(db, "sqlite:", 7) == 0 ? db + 7 : db);
}

/* The database --db names, else $ORSP_AUC_DB, else DEFAULT_DB, into *db. An empty --db is a
 * mistake (a script's unset variable), never the default database: delete or export would
 * work on another one than meant; likewise an empty --kek-file (it would be read as no file
 * given). An empty $ORSP_AUC_DB is taken as unset. CLI_OK or the usage error. */
static int db_name(const db_opts *o, const char **db)
{
	if (o->db && !o->db[0])
		return cli_usage("--db", "empty path");
	if (o->kek_file && !o->kek_file[0])
		return cli_usage("--kek-file", "empty path");
	*db = o->db ? o->db : getenv("ORSP_AUC_DB");
	if (!*db || !(*db)[0])
		*db = DEFAULT_DB;
	return cli_db_persistent(o->db ? "--db" : "ORSP_AUC_DB", *db);
}

/* The KEK of a database `auc add` is about to create: ORSP_KEK's, or the file's, created when
 * missing. *made tells that this run created the file (*st its identity): never when the
 * file was there, or another process created it meanwhile (orsp_kek_create_new does not
 * replace it; its KEK is then taken). */
static orsp_err new_db_kek(const char *path, orsp_secret *kek, bool *made, struct stat *st)
{
	orsp_err e = orsp_kek_load_existing(path, kek);

	*made = false;
	if (e != ORSP_E_NOT_FOUND)
		return e;
	orsp_err_clear();
	e = orsp_kek_create_new(path, kek);
	if (e == ORSP_E_EXISTS) {
		orsp_err_clear();
		return orsp_kek_load_existing(path, kek);
	}
	/* what cannot be told apart from another file later is not removed then */
	if (!e)
		*made = lstat(path, st) == 0;
	return e;
}

/* Remove the KEK file new_db_kek created for a database that could not be created (its
 * directory missing, not writable...): it wraps nothing, and a later add would take it for
 * the KEK of a database restored without its own. Kept when a database with tables is at db
 * now (another add may have made it under this KEK) or the file at path is no longer the one
 * created. Best effort: the error reported is the open's. */
static void drop_new_kek(const char *db, const char *path, const struct stat *made)
{
	orsp_db *probe = NULL;
	struct stat now;
	bool tables = true;
	orsp_err e = orsp_db_open_ex(db, ORSP_DB_OPEN_EXISTING, &probe);

	/* an empty file the add was to build the database in: still none */
	if (!e && orsp_db_has_tables(probe, &tables) == ORSP_OK && !tables)
		e = ORSP_E_NOT_FOUND;
	orsp_db_close(probe);
	if (e != ORSP_E_NOT_FOUND || lstat(path, &now) != 0 || now.st_dev != made->st_dev ||
	    now.st_ino != made->st_ino || unlink(path) != 0)
		return;
	/* the removal made durable, as the creation was (best effort: the error reported, the
	 * database's, keeps its detail) */
	char keep[ORSP_ERR_DETAIL_MAX];
	orsp_err_detail_copy(keep, sizeof(keep));
	if (orsp_fsync_dir_of(path) != ORSP_OK)
		(void)orsp_errf(ORSP_E_IO, "%s", keep);
}

/* Open the AuC of --db (else $ORSP_AUC_DB, else DEFAULT_DB) for `verb` (messages). create:
 * `add` and `init`, which create the database and its KEK file when they are missing. Any
 * other verb only works on
 * subscribers that exist, and creates nothing: a database or a KEK file that does not exist
 * (a typo, a database restored without its KEK) is refused, instead of leaving an empty
 * database or a new KEK behind, or a random KEK where the real one belongs. The database
 * is looked at first (opened without creating it, and closed), so that a missing or unusable
 * one is reported before any KEK is read or created; then the AuC is opened, again without
 * creating anything but for add. made: NULL for a verb that does not create, else *made says
 * which files this call created, for the caller to take away again with cli_unmake when it
 * fails before it stored anything (the open's own failure included: a first commit, the
 * schema's, that failed left a database file without tables, which a later add took for a
 * new database, until session 76). A KEK file add created for a database it could not create
 * (its directory missing...) is removed here. open_mode: the open's for a verb that does not
 * create, ORSP_DB_OPEN_EXISTING, ORSP_DB_OPEN_UNMIGRATED (`auc backup`) or
 * ORSP_DB_OPEN_READONLY (open_auc_read: the database is looked at read-only too). */
static int open_auc_mode(const db_opts *o, const char *verb, cli_made *made,
                         orsp_db_open_mode open_mode, orsp_auc **out)
{
	const char *db = NULL, *what = verb;
	bool create = made != NULL;
	orsp_db_open_mode mode = create ? ORSP_DB_OPEN_CREATE : orsp_db_look_mode(open_mode);
	char kek_path[PATH_MAX];
	orsp_secret kek = {0};
	orsp_db *probe = NULL;
	struct stat made_st;
	bool kek_made = false;
	orsp_err e;
	int rc;

	if ((rc = db_name(o, &db)) ||
	    (rc = cli_kek_path(o->kek_file, "--db", db, kek_path, sizeof(kek_path))) ||
	    (create && (rc = cli_made_before(made, "--db", db, kek_path, AUC_ROWS_SQL))))
		return rc;
	e = orsp_db_open_ex(db, orsp_db_look_mode(mode), &probe);
	/* a file that holds no table (an empty one made beforehand) is a new database too: add
	 * makes its KEK file, as every other verb that creates a database does
	 * (orsp_kek_load_for_db); until session 68 it asked for a KEK file that could not exist */
	bool tables = true;
	if (!e && orsp_db_has_tables(probe, &tables) != ORSP_OK) {
		orsp_err_clear();
		tables = true;
	}
	orsp_db_close(probe);
	if (e == ORSP_E_NOT_FOUND && !create)
		return no_db(verb, db);
	if (e && e != ORSP_E_NOT_FOUND)
		return cli_fail(what, e);
	/* one that holds no AuC (another program's, an empty file) is said so before any KEK
	 * file is read: a missing KEK file beside it is not what is wrong */
	if (!e && (e = orsp_auc_probe(db, mode))) {
		/* `auc add` would refuse one that holds other tables: not named as the way out
		 * then (until session 68 it was) */
		if (e == ORSP_E_NOT_FOUND && !create)
			return cli_failf(verb, "%s%s", orsp_err_detail(),
			                 tables
			                     ? " but other tables (an SM-DP+ database?): the AuC "
			                       "needs a database of its own"
			                     : " (`openrsp auc init` or `auc add` creates one)");
		return e == ORSP_E_POLICY ? cli_fail(what, e) : cli_fail(db, e);
	}
	orsp_err_clear();
	/* A KEK file is created only with the database: for a database that exists (add to
	 * one restored without its KEK) a new random KEK would take the real one's place. */
	e = e == ORSP_E_NOT_FOUND || !tables ? new_db_kek(kek_path, &kek, &kek_made, &made_st)
	                                     : orsp_kek_load_existing(kek_path, &kek);
	if (e == ORSP_E_USAGE && getenv("ORSP_KEK")) {
		/* A malformed ORSP_KEK is a usage error; the detail names the variable. */
		fprintf(stderr, "openrsp: %s\n", orsp_err_detail());
		return CLI_USAGE;
	}
	if (e == ORSP_E_NOT_FOUND)
		return cli_failf(what,
		                 "no KEK file at %s for %s (--kek-file names it, or ORSP_KEK "
		                 "holds the key)",
		                 kek_path, db);
	if (e)
		return cli_fail("KEK", e);
	e = orsp_auc_open_ex(db, create ? mode : open_mode, &kek, out);
	orsp_secret_wipe(&kek);
	if (create) {
		cli_made_after(made);
		/* a KEK file another process made meanwhile is not this one's to remove */
		made->kek = made->kek && kek_made;
	}
	rc = CLI_OK;
	/* a database that holds no AuC (another program's, the SM-DP+'s) or that went away */
	if (e == ORSP_E_NOT_FOUND && !create)
		rc = cli_failf(verb, "%s (`openrsp auc init` or `auc add` creates one)",
		               orsp_err_detail());
	else if (e == ORSP_E_POLICY)
		rc = cli_fail(what, e);
	else if (e)
		rc = cli_fail(db, e);
	/* a database it created: the caller's cli_unmake takes it with its KEK file */
	if (e && kek_made && !made->db) {
		drop_new_kek(db, kek_path, &made_st);
		made->kek = false;
	}
	return rc;
}

static int open_auc(const db_opts *o, const char *verb, orsp_auc **out)
{
	return open_auc_mode(o, verb, NULL, ORSP_DB_OPEN_EXISTING, out);
}

/* For a verb that only reads (list, show, audit, secret --list): the AuC opened read-only
 * (ORSP_DB_OPEN_READONLY), which leaves the database byte for byte as it was (no migration,
 * no switch to WAL, no -wal/-shm made), so that reading a backup leaves it the backup it was;
 * an older schema is refused rather than read, as by the SM-DP+'s (cmd_smdp.c,
 * open_smdp_read, says why). Until session 73 they migrated it. */
static int open_auc_read(const db_opts *o, const char *verb, orsp_auc **out)
{
	int rc = open_auc_mode(o, verb, NULL, ORSP_DB_OPEN_READONLY, out), have = 0, latest = 0;
	const char *db = NULL;
	orsp_err e;

	if (rc)
		return rc;
	e = orsp_auc_schema(*out, &have, &latest);
	/* db: open_auc_mode took the same name */
	if (!(rc = db_name(o, &db)))
		rc =
		    cli_read_schema(verb, db, "auc", e, have, latest,
		                    "A verb that writes (init, add, vector, resync, delete, secret "
		                    "NAME, export, rekey)");
	if (rc == CLI_OK)
		return CLI_OK;
	orsp_auc_close(*out);
	*out = NULL;
	return rc;
}

static int imsi_arg(const char *name, const char *imsi)
{
	if (!orsp_imsi_valid(imsi))
		return cli_usage(name, "expected %d to %d decimal digits", ORSP_IMSI_MIN_DIGITS,
		                 ORSP_IMSI_MAX_DIGITS);
	return CLI_OK;
}

/* ----- init ----- */

/* `auc init`: a new AuC without subscribers, and its KEK file, for `smdp profile generate
 * --auc` and `import --auc` to fill: they take only an AuC that exists (a mistyped --auc
 * made a second one, until session 73). One there already is refused, and left as it is. */
static int auc_init(int argc, char **argv)
{
	static const struct option opts[] = {DB_LONGOPTS, {NULL, 0, NULL, 0}};
	db_opts dbo = {0};
	cli_made made = {0};
	orsp_auc *a = NULL;
	const char *db;
	char kek_path[PATH_MAX];
	int rc, c;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (!db_opt(&dbo, c, optarg))
			return cli_usage(argv[optind - 1], "unexpected option");
	}
	if ((rc = cli_positional(argc, argv, 0, "")) || (rc = db_name(&dbo, &db)) ||
	    (rc = cli_kek_path(dbo.kek_file, "--db", db, kek_path, sizeof(kek_path))))
		return rc;
	/* only a database that is not there, or holds no AuC, goes on to be made one: a probe
	 * that failed otherwise (busy, an I/O error, a newer schema) says so, where the creating
	 * open below could open an AuC with its subscribers and call it created */
	e = orsp_auc_probe(db, ORSP_DB_OPEN_EXISTING);
	if (e == ORSP_OK)
		return cli_failf("auc init", "%s holds an AuC already", db);
	if (e != ORSP_E_NOT_FOUND)
		return cli_fail("auc init", e);
	orsp_err_clear();
	if ((rc = open_auc_mode(&dbo, "auc init", &made, ORSP_DB_OPEN_CREATE, &a))) {
		cli_unmake(&made);
		return rc;
	}
	orsp_auc_close(a);
	/* ORSP_KEK, when set, is its KEK (no file made), as for add */
	if (getenv("ORSP_KEK"))
		printf("created the AuC %s (no subscriber; its KEK is the ORSP_KEK key)\n", db);
	else
		printf("created the AuC %s (no subscriber; KEK file %s)\n", db, kek_path);
	return CLI_OK;
}

/* ----- add ----- */

static int auc_add(int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_AKA_LONGOPTS,
	    DB_LONGOPTS,
	    {"imsi", required_argument, NULL, OPT_IMSI},
	    {"amf", required_argument, NULL, OPT_AMF},
	    {"sqn", required_argument, NULL, OPT_SQN},
	    {"ind-bits", required_argument, NULL, OPT_IND_BITS},
	    {"sqn-delta", required_argument, NULL, OPT_SQN_DELTA},
	    {NULL, 0, NULL, 0},
	};
	cli_aka_opts ao = {0};
	db_opts dbo = {0};
	cli_made made = {0};
	orsp_auc_new n;
	orsp_auc *a = NULL;
	const char *amf = NULL, *sqn = NULL, *ind_bits = NULL, *sqn_delta = NULL;
	uint64_t v = 0;
	int rc, c;
	orsp_err e;

	orsp_auc_new_init(&n);
	cli_secret_guard(argc, argv, opts, cli_aka_secret_opts, NULL);
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (cli_aka_opt(&ao, c, optarg) || db_opt(&dbo, c, optarg))
			continue;
		switch (c) {
		case OPT_IMSI:
			n.imsi = optarg;
			break;
		case OPT_AMF:
			amf = optarg;
			break;
		case OPT_SQN:
			sqn = optarg;
			break;
		case OPT_IND_BITS:
			ind_bits = optarg;
			break;
		case OPT_SQN_DELTA:
			sqn_delta = optarg;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	rc = cli_positional(argc, argv, 0, "");
	if (rc)
		return rc;
	if (!n.imsi)
		return cli_missing("--imsi");
	rc = imsi_arg("--imsi", n.imsi);
	if (rc)
		return rc;
	rc = cli_aka_subscriber(&ao, &n.sub, &n.op_given);
	if (rc)
		goto out;
	if (amf && (rc = cli_hex("--amf", amf, n.amf, 2)))
		goto out;
	if (sqn) {
		rc = cli_uint("--sqn", sqn, 0, ORSP_AKA_SQN_MAX, &v);
		if (rc)
			goto out;
		n.sqn = v;
	}
	if (ind_bits) {
		rc = cli_uint("--ind-bits", ind_bits, 0, ORSP_SQN_MAX_IND_BITS, &v);
		if (rc)
			goto out;
		n.ind_bits = (unsigned)v;
	}
	if (sqn_delta) {
		rc = cli_uint("--sqn-delta", sqn_delta, 0, ORSP_AKA_SQN_MAX, &v);
		if (rc)
			goto out;
		n.sqn_delta = v;
	}
	rc = open_auc_mode(&dbo, "auc add", &made, ORSP_DB_OPEN_CREATE, &a);
	if (rc)
		goto out;
	e = orsp_auc_add(a, &n);
	if (e) {
		rc = cli_fail("auc add", e);
		goto out;
	}
	printf("added %s (%s)\n", n.imsi, n.sub.alg == ORSP_AKA_TUAK ? "tuak" : "milenage");
out:
	orsp_auc_new_wipe(&n);
	orsp_auc_close(a);
	/* nothing added: no new database is left (made says none before the open) */
	if (rc != CLI_OK)
		cli_unmake(&made);
	return rc;
}

/* ----- vector ----- */

static int auc_vector(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    CLI_KDF_LONGOPTS,
	    {"count", required_argument, NULL, OPT_COUNT},
	    {"ind", required_argument, NULL, OPT_IND},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	orsp_auc *a = NULL;
	orsp_auc_info info;
	orsp_aka_vector v[ORSP_AUC_MAX_VECTORS];
	cli_kdf kdf;
	cli_derived d;
	const char *plmn = NULL, *snn = NULL, *imsi;
	orsp_auc_vector_use use;
	uint64_t count = 1, ind = 0;
	bool json = false;
	int rc, c;
	orsp_err e;

	memset(v, 0, sizeof(v));
	memset(&d, 0, sizeof(d));
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		switch (c) {
		case CLI_OPT_PLMN:
			plmn = optarg;
			break;
		case CLI_OPT_SNN:
			snn = optarg;
			break;
		case OPT_COUNT:
			if ((rc = cli_uint("--count", optarg, 1, ORSP_AUC_MAX_VECTORS, &count)))
				return rc;
			break;
		case OPT_IND:
			if ((rc = cli_uint("--ind", optarg, 0, (1u << ORSP_SQN_MAX_IND_BITS) - 1,
			                   &ind)))
				return rc;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 1, "IMSI")))
		return rc;
	imsi = argv[optind];
	if ((rc = imsi_arg("IMSI", imsi)) || (rc = cli_kdf_parse(&kdf, plmn, snn)))
		return rc;
	rc = open_auc(&dbo, "auc vector", &a);
	if (rc)
		return rc;
	/* Check what can be checked before any SQN is spent. */
	e = orsp_auc_get(a, imsi, &info);
	if (e) {
		rc = cli_fail("auc vector", e);
		goto out;
	}
	if ((ind >> info.ind_bits) != 0) {
		rc = cli_usage("--ind", "must be below %u (the subscriber has %u IND bits)",
		               1u << info.ind_bits, info.ind_bits);
		goto out;
	}
	if (info.alg == ORSP_AKA_TUAK &&
	    (rc = cli_kdf_check_lengths(&kdf, info.tuak.ck_bits / 8, info.tuak.ik_bits / 8,
	                                "this subscriber's TUAK CK or IK has 256 bits, fixed at "
	                                "`auc add`: no EPS or 5G keys can be derived for it")))
		goto out;

	/* Vectors for KASME or the 5G keys carry the AMF separation bit (TS 33.401 §6.1.2). */
	use = kdf.eps || kdf.fiveg ? ORSP_AUC_FOR_EPS_5G : ORSP_AUC_FOR_UMTS;
	e = orsp_auc_vectors_for(a, imsi, use, (unsigned)ind, (size_t)count, v);
	if (e) {
		rc = cli_fail("auc vector", e);
		goto out;
	}
	if (memcmp(v[0].amf, info.amf, sizeof(info.amf)) != 0)
		fprintf(stderr,
		        "openrsp: note: %s has AMF %02x%02x, without the separation bit; these "
		        "vectors for EPS/5G use AMF %02x%02x, as the UE requires\n",
		        imsi, info.amf[0], info.amf[1], v[0].amf[0], v[0].amf[1]);
	cli_json j = {0};
	if (json)
		cj_arr_begin(&j, NULL);
	for (size_t i = 0; i < count; i++) {
		rc = cli_kdf_derive(&kdf, &v[i], &d);
		if (rc)
			goto out;
		if (json) {
			cli_vector_json(&j, NULL, &v[i], v[i].mac_a, sizeof(v[i].mac_a), &d, true);
		} else {
			if (i)
				putchar('\n');
			cli_vector_text(&v[i], v[i].mac_a, sizeof(v[i].mac_a), &d, true);
		}
		ORSP_WIPE_OBJ(d);
	}
	if (json) {
		cj_arr_end(&j);
		cj_done(&j);
	}
out:
	for (size_t i = 0; i < ORSP_AUC_MAX_VECTORS; i++)
		orsp_aka_vector_wipe(&v[i]);
	ORSP_WIPE_OBJ(d);
	orsp_auc_close(a);
	return rc;
}

/* ----- resync ----- */

static int auc_resync(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"rand", required_argument, NULL, OPT_RAND},
	    {"auts", required_argument, NULL, OPT_AUTS},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	orsp_auc *a = NULL;
	const char *rand_s = NULL, *auts_s = NULL, *imsi;
	uint8_t rand[16], auts[14], sqn_b[6];
	uint64_t sqn_ms = 0;
	bool json = false, reset = false;
	int rc, c;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		switch (c) {
		case OPT_RAND:
			rand_s = optarg;
			break;
		case OPT_AUTS:
			auts_s = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 1, "IMSI")))
		return rc;
	imsi = argv[optind];
	if ((rc = imsi_arg("IMSI", imsi)))
		return rc;
	if (!rand_s || !auts_s)
		return cli_missing(!rand_s ? "--rand" : "--auts");
	if ((rc = cli_hex("--rand", rand_s, rand, 16)) ||
	    (rc = cli_hex("--auts", auts_s, auts, 14)))
		return rc;
	rc = open_auc(&dbo, "auc resync", &a);
	if (rc)
		return rc;
	e = orsp_auc_resync(a, imsi, rand, auts, &sqn_ms, &reset);
	if (e) {
		rc = cli_fail("auc resync", e);
		goto out;
	}
	orsp_put_be48(sqn_b, sqn_ms);
	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_str(&j, "imsi", imsi);
		cj_hex(&j, "sqn_ms", sqn_b, 6);
		cj_bool(&j, "reset", reset);
		cj_obj_end(&j);
		cj_done(&j);
	} else {
		cli_kv_hex("SQN_MS", sqn_b, 6);
		cli_kv_str("SQN", reset ? "reset to SQN_MS" : "in range, kept");
	}
out:
	orsp_auc_close(a);
	return rc;
}

/* ----- list / show ----- */

static const char *alg_str(orsp_aka_alg alg)
{
	return alg == ORSP_AKA_TUAK ? "tuak" : "milenage";
}

static void info_json(cli_json *j, const orsp_auc_info *info, bool details)
{
	uint8_t sqn[6];
	orsp_put_be48(sqn, info->sqn);
	cj_obj_begin(j, NULL);
	cj_str(j, "imsi", info->imsi);
	cj_str(j, "alg", alg_str(info->alg));
	cj_u64(j, "k_bits", info->k_len * 8);
	cj_hex(j, "amf", info->amf, 2);
	cj_hex(j, "sqn", sqn, 6);
	cj_u64(j, "ind_bits", info->ind_bits);
	cj_u64(j, "sqn_delta", info->sqn_delta);
	cj_i64(j, "created", info->created);
	cj_i64(j, "updated", info->updated);
	if (details && info->alg == ORSP_AKA_MILENAGE) {
		cj_arr_begin(j, "milenage_r");
		for (int i = 0; i < 5; i++)
			cj_u64(j, NULL, info->milenage.r[i]);
		cj_arr_end(j);
		cj_arr_begin(j, "milenage_c");
		for (int i = 0; i < 5; i++)
			cj_hex(j, NULL, info->milenage.c[i], 16);
		cj_arr_end(j);
	} else if (details) {
		cj_u64(j, "tuak_keccak", info->tuak.keccak_iterations);
		cj_u64(j, "tuak_mac_bits", info->tuak.mac_bits);
		cj_u64(j, "tuak_res_bits", info->tuak.res_bits);
		cj_u64(j, "tuak_ck_bits", info->tuak.ck_bits);
		cj_u64(j, "tuak_ik_bits", info->tuak.ik_bits);
	}
	cj_obj_end(j);
}

typedef struct list_ctx {
	bool json;
	cli_json j;
	size_t n;
} list_ctx;

static int list_one(const orsp_auc_info *info, void *arg)
{
	list_ctx *ctx = arg;
	char when[32];
	ctx->n++;
	if (ctx->json) {
		info_json(&ctx->j, info, false);
		return 0;
	}
	if (ctx->n == 1)
		printf("%-15s  %-8s  %-4s  %-12s  %-3s  %s\n", "IMSI", "ALG", "AMF", "SQN", "IND",
		       "UPDATED");
	orsp_utc_text(info->updated, 'T', when);
	printf("%-15s  %-8s  %02x%02x  %012" PRIx64 "  %-3u  %s\n", info->imsi, alg_str(info->alg),
	       info->amf[0], info->amf[1], info->sqn, info->ind_bits, when);
	return 0;
}

static int auc_list(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	orsp_auc *a = NULL;
	list_ctx ctx;
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
		else
			return cli_usage(argv[optind - 1], "unexpected option");
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;
	rc = open_auc_read(&dbo, "auc list", &a);
	if (rc)
		return rc;
	if (ctx.json)
		cj_arr_begin(&ctx.j, NULL);
	e = orsp_auc_list(a, list_one, &ctx);
	if (ctx.json) {
		cj_arr_end(&ctx.j);
		cj_done(&ctx.j);
	}
	if (e)
		rc = cli_fail("auc list", e);
	else if (!ctx.json && ctx.n == 0)
		printf("no subscribers\n");
	orsp_auc_close(a);
	return rc;
}

/* One line of auc show: "name:" padded so every value starts in one column, a space after
 * the longest name ("SQN delta:"); cli_kv_str's column would leave that one no space. */
static void show_kv(const char *name, const char *v)
{
	char label[16];

	snprintf(label, sizeof(label), "%s:", name);
	printf("%-11s%s\n", label, v);
}

/* show_kv with the value in hex (AMF, SQN, the Milenage c constants: no secret). */
static void show_hex(const char *name, const uint8_t *p, size_t n)
{
	char hex[2 * 16 + 1];

	if (orsp_hex_encode(p, n, hex, sizeof(hex)) == ORSP_OK)
		show_kv(name, hex);
}

static int auc_show(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	orsp_auc *a = NULL;
	orsp_auc_info info;
	bool json = false;
	char when[32], buf[64];
	uint8_t sqn[6];
	int rc, c;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		if (c == OPT_JSON)
			json = true;
		else
			return cli_usage(argv[optind - 1], "unexpected option");
	}
	if ((rc = cli_positional(argc, argv, 1, "IMSI")) || (rc = imsi_arg("IMSI", argv[optind])))
		return rc;
	rc = open_auc_read(&dbo, "auc show", &a);
	if (rc)
		return rc;
	e = orsp_auc_get(a, argv[optind], &info);
	if (e) {
		rc = cli_fail("auc show", e);
		goto out;
	}
	if (json) {
		cli_json j = {0};
		info_json(&j, &info, true);
		cj_done(&j);
		goto out;
	}
	show_kv("IMSI", info.imsi);
	show_kv("ALG", alg_str(info.alg));
	snprintf(buf, sizeof(buf), "%zu bits", info.k_len * 8);
	show_kv("K", buf);
	show_hex("AMF", info.amf, 2);
	orsp_put_be48(sqn, info.sqn);
	show_hex("SQN", sqn, 6);
	snprintf(buf, sizeof(buf), "%u", info.ind_bits);
	show_kv("IND bits", buf);
	snprintf(buf, sizeof(buf), "%" PRIu64 "%s", info.sqn_delta,
	         info.sqn_delta ? "" : " (no limit)");
	show_kv("SQN delta", buf);
	if (info.alg == ORSP_AKA_MILENAGE) {
		snprintf(buf, sizeof(buf), "%u %u %u %u %u", info.milenage.r[0], info.milenage.r[1],
		         info.milenage.r[2], info.milenage.r[3], info.milenage.r[4]);
		show_kv("r1..r5", buf);
		for (int i = 0; i < 5; i++) {
			char name[4] = {'c', (char)('1' + i), 0, 0};
			show_hex(name, info.milenage.c[i], 16);
		}
	} else {
		snprintf(buf, sizeof(buf), "keccak %u, MAC %u, RES %u, CK %u, IK %u",
		         info.tuak.keccak_iterations, info.tuak.mac_bits, info.tuak.res_bits,
		         info.tuak.ck_bits, info.tuak.ik_bits);
		show_kv("TUAK", buf);
	}
	orsp_utc_text(info.created, 'T', when);
	show_kv("created", when);
	orsp_utc_text(info.updated, 'T', when);
	show_kv("updated", when);
out:
	orsp_auc_close(a);
	return rc;
}

/* ----- delete ----- */

/* The arguments of a verb that takes the database options only and n positional
 * arguments (`what` names them), the first an IMSI. */
static int db_imsi_args(int argc, char **argv, int n, const char *what, db_opts *dbo)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	int rc, c;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (!db_opt(dbo, c, optarg))
			return cli_usage(argv[optind - 1], "unexpected option");
	}
	if ((rc = cli_positional(argc, argv, n, what)) || (rc = imsi_arg("IMSI", argv[optind])))
		return rc;
	return CLI_OK;
}

static int auc_delete(int argc, char **argv)
{
	db_opts dbo = {0};
	orsp_auc *a = NULL;
	int rc;
	orsp_err e;

	if ((rc = db_imsi_args(argc, argv, 1, "IMSI", &dbo)))
		return rc;
	rc = open_auc(&dbo, "auc delete", &a);
	if (rc)
		return rc;
	e = orsp_auc_delete(a, argv[optind]);
	if (e)
		rc = cli_fail("auc delete", e);
	else
		printf("deleted %s\n", argv[optind]);
	orsp_auc_close(a);
	return rc;
}

/* ----- card secrets ----- */

static int print_name(const char *name, void *arg)
{
	(void)arg;
	printf("%s\n", name);
	return 0;
}

/* A secret printed to standard output must not land in a regular file others may read: a
 * shell's `> FILE` makes it with the umask, usually 0644; nor in one of another user's, who
 * reads it (or makes it readable) whatever its mode (root writing into a file another user
 * made beforehand; until session 68 its mode alone was looked at). CLI_USAGE naming OPT, or
 * 0. */
static int stdout_private(const char *opt, const char *what, const char *hint)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if (st.st_mode & 077)
		return cli_usage(opt,
		                 "standard output is a file that others may read (mode %04o): %s "
		                 "would be readable by them (%s)",
		                 (unsigned)(st.st_mode & 07777), what, hint);
	if (st.st_uid != geteuid())
		return cli_usage(opt,
		                 "standard output is a file of another user (uid %u): %s "
		                 "would be theirs to read (%s)",
		                 (unsigned)st.st_uid, what, hint);
	return 0;
}

static int auc_secret(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"list", no_argument, NULL, OPT_LIST},
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	orsp_auc *a = NULL;
	orsp_secret v = {0};
	char name[ORSP_AUC_SECRET_NAME_MAX];
	bool list = false;
	int c, rc;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_LIST)
			list = true;
		else if (!db_opt(&dbo, c, optarg))
			return cli_usage(argv[optind - 1], "unexpected option");
	}
	/* one word: an IMSI alone gets how to learn the names; anything else (a NAME without
	 * the IMSI) is not an IMSI, and that is what is said */
	if (!list && argc - optind == 1) {
		rc = imsi_arg("IMSI", argv[optind]);
		if (rc)
			return rc;
		return cli_usage("NAME", "required (--list prints the names stored for the IMSI)");
	}
	if ((rc = cli_positional(argc, argv, list ? 1 : 2, list ? "IMSI" : "IMSI NAME")) ||
	    (rc = imsi_arg("IMSI", argv[optind])))
		return rc;
	if (!list && orsp_auc_secret_name_parse(argv[optind + 1], name) != ORSP_OK)
		return cli_usage(
		    "NAME", "expected puk1, puk2, adm1, adm2 or sd<N>-kvn<XX>-kid<YY> (N from 1, "
		            "XX and YY: two hex digits each, e.g. sd1-kvn01-kid01; --list "
		            "prints the names stored)");
	/* a value (not --list's names) goes nowhere others may read, checked before the open */
	if (!list && (rc = stdout_private("auc secret", "the secret",
	                                  "make the file 0600 first, or use a pipe")))
		return rc;
	/* --list reads names only; a value read out is audited (a write) */
	rc = list ? open_auc_read(&dbo, "auc secret", &a) : open_auc(&dbo, "auc secret", &a);
	if (rc)
		return rc;
	if (list) {
		/* names only: no value leaves the AuC */
		e = orsp_auc_list_secrets(a, argv[optind], print_name, NULL);
		if (e)
			rc = cli_fail("auc secret", e);
		orsp_auc_close(a);
		return rc;
	}
	e = orsp_auc_get_secret(a, argv[optind], name, &v);
	if (e)
		rc = cli_fail("auc secret", e);
	else if (strncmp(name, "sd", 2) == 0) {
		/* a security domain's key: lower-case hex like every other command's (audited) */
		for (size_t i = 0; i < v.len; i++)
			printf("%02x", v.v[i]);
		printf("\n");
	} else
		/* asked for by name: the one place this value leaves the AuC (audited) */
		printf("%.*s\n", (int)v.len, (const char *)v.v);
	orsp_secret_wipe(&v);
	orsp_auc_close(a);
	return rc;
}

/* ----- export ----- */

static int auc_export(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"all", no_argument, NULL, OPT_ALL},
	    {"out", required_argument, NULL, OPT_OUT},
	    {"to-terminal", no_argument, NULL, OPT_TO_TERMINAL},
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	orsp_auc *a = NULL;
	orsp_auc_export_format fmt;
	const char *format = NULL, *out = NULL;
	bool all = false, to_terminal = false, to_stdout;
	volatile sig_atomic_t *stop;
	size_t count = 0;
	int rc, c;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		switch (c) {
		case OPT_FORMAT:
			format = optarg;
			break;
		case OPT_ALL:
			all = true;
			break;
		case OPT_OUT:
			out = optarg;
			break;
		case OPT_TO_TERMINAL:
			to_terminal = true;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if (!format)
		return cli_missing("--format");
	if (orsp_auc_export_format_parse(format, &fmt) != ORSP_OK)
		return cli_usage("--format", "expected osmo-hlr-vty");
	if (!out)
		return cli_missing("--out");
	if (!out[0])
		return cli_usage("--out", "empty path");
	/* the argument is not echoed: it may be a key whose option name was left out */
	if (all && optind < argc)
		return cli_usage("IMSI", "IMSIs and --all exclude each other");
	if (!all && optind == argc)
		return cli_usage("IMSI", "required (or --all)");
	for (int i = optind; i < argc; i++) {
		if ((rc = imsi_arg("IMSI", argv[i])))
			return rc;
		/* twice is a usage error (docs/auc.md), found before the database is opened */
		for (int j = optind; j < i; j++)
			if (strcmp(argv[j], argv[i]) == 0)
				return cli_usage("IMSI", "%s given twice", argv[i]);
	}
	/* the keys in the clear go where they were asked to go, never to a screen by default */
	to_stdout = strcmp(out, "-") == 0;
	if (to_stdout && isatty(STDOUT_FILENO) && !to_terminal)
		return cli_usage("--out", "standard output is a terminal: the keys would be shown "
		                          "(give --to-terminal if that is meant)");
	if (to_terminal && !to_stdout)
		return cli_usage("--to-terminal", "only with --out -");
	/* nor to a file others may read: `> FILE` makes it with the shell's umask, usually
	 * 0644, where --out FILE makes it 0600 */
	if (to_stdout && (rc = stdout_private("--out", "the keys",
	                                      "give --out FILE, made 0600, or make the "
	                                      "file 0600 first")))
		return rc;
	/* FILE before the database is opened (the open migrates an older one): not there yet,
	 * its directory there, and not one of the database's own files (SQLite could take a
	 * file named as its journal for one, or delete it, with the keys in the clear in it) */
	if (!to_stdout) {
		const char *db = NULL;
		if ((rc = db_name(&dbo, &db)))
			return rc;
		if ((e = orsp_db_out_check(db, out, "export")))
			return cli_fail("auc export", e);
	}
	/* SIGINT, SIGTERM, SIGHUP from here on end the export with nothing written and FILE
	 * removed (killed, the process left FILE behind, empty or cut); installed before the open,
	 * which may wait for the database's lock */
	stop = cli_stop_on_signals();
	rc = open_auc(&dbo, "auc export", &a);
	if (rc)
		return rc;
	fflush(stdout);
	e = orsp_auc_export(a, fmt, all ? NULL : (const char *const *)(argv + optind),
	                    all ? 0 : (size_t)(argc - optind), to_stdout ? NULL : out,
	                    STDOUT_FILENO, stop, &count);
	if (e)
		rc = cli_fail("auc export", e);
	else
		fprintf(to_stdout ? stderr : stdout,
		        "exported %zu subscriber%s to %s (K and OPc in "
		        "the clear)\n",
		        count, count == 1 ? "" : "s", to_stdout ? "standard output" : out);
	orsp_auc_close(a);
	return rc;
}

/* ----- audit ----- */

static int audit_one(const orsp_auc_audit_row *r, void *arg)
{
	list_ctx *ctx = arg;
	char when[32];

	orsp_utc_text(r->at, 'T', when);
	ctx->n++;
	if (ctx->json) {
		cj_obj_begin(&ctx->j, NULL);
		cj_i64(&ctx->j, "id", r->id);
		cj_str(&ctx->j, "time", when);
		cj_str(&ctx->j, "action", r->action);
		cj_str(&ctx->j, "imsi", r->imsi);
		cj_str(&ctx->j, "result", r->result);
		cj_str(&ctx->j, "detail", r->detail);
		cj_obj_end(&ctx->j);
		return 0;
	}
	/* ACTION as wide as the longest action the AuC writes ("card secret read") */
	if (ctx->n == 1)
		printf("%-20s  %-16s  %-15s  %-13s  %s\n", "TIME", "ACTION", "IMSI", "RESULT",
		       "DETAIL");
	printf("%-20s  %-16s  %-15s  %-13s  %s\n", when, r->action, r->imsi, r->result, r->detail);
	return 0;
}

static int auc_audit(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"imsi", required_argument, NULL, OPT_IMSI},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	orsp_auc *a = NULL;
	const char *imsi = NULL;
	uint64_t limit = 0;
	list_ctx ctx;
	int rc, c;
	orsp_err e;

	memset(&ctx, 0, sizeof(ctx));
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (db_opt(&dbo, c, optarg))
			continue;
		switch (c) {
		case OPT_IMSI:
			if ((rc = imsi_arg("--imsi", optarg)))
				return rc;
			imsi = optarg;
			break;
		case OPT_LIMIT:
			if ((rc = cli_uint("--limit", optarg, 1, 1000000000, &limit)))
				return rc;
			break;
		case OPT_JSON:
			ctx.json = true;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;
	rc = open_auc_read(&dbo, "auc audit", &a);
	if (rc)
		return rc;
	if (ctx.json)
		cj_arr_begin(&ctx.j, NULL);
	e = orsp_auc_audit_walk(a, imsi, (size_t)limit, audit_one, &ctx);
	if (ctx.json) {
		cj_arr_end(&ctx.j);
		cj_done(&ctx.j);
	}
	if (e)
		rc = cli_fail("auc audit", e);
	else if (!ctx.json && ctx.n == 0)
		printf("no audit rows\n");
	orsp_auc_close(a);
	return rc;
}

/* `auc rekey`: the KEK of the database, found as every verb finds it (open_auc), is
 * replaced by a new one in a new file. */
static int auc_rekey(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"new-kek-file", required_argument, NULL, OPT_NEW_KEK_FILE},
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	const char *next = NULL, *db;
	char file[PATH_MAX], kek_path[PATH_MAX];
	orsp_db_guard *g = NULL;
	orsp_auc *a = NULL;
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
	/* NEW the KEK file in use: said as such, not as any file that exists already */
	if ((rc = db_name(&dbo, &db)) || (rc = cli_db_file("--db", db, file, sizeof(file))) ||
	    (rc = cli_kek_path(dbo.kek_file, "--db", db, kek_path, sizeof(kek_path))) ||
	    (rc = cli_rekey_new_is_old(next, kek_path, db)))
		return rc;
	/* before this process opens the database: the guard must see other processes only */
	e = orsp_db_guard_open(file, &g);
	if (e == ORSP_E_NOT_FOUND)
		return no_db("auc rekey", db);
	/* NEW before the open, which migrates an older database; one that exists may be what
	 * an interrupted rotation left, and the database's KEK: which one it is, is said */
	if (!e && (e = orsp_kek_rekey_check(db, next)))
		orsp_db_guard_close(g);
	if (e == ORSP_E_EXISTS)
		return cli_rekey_left("auc rekey", db, kek_path, next, orsp_auc_kek_opens);
	if (e)
		return cli_fail("auc rekey", e);
	rc = open_auc(&dbo, "auc rekey", &a);
	if (!rc) {
		char seal[4097];
		e = orsp_auc_rekey(a, g, next, cli_kek_seal_uri(kek_path, seal, sizeof(seal)), &n);
		if (e)
			rc = cli_fail("auc rekey", e);
	}
	orsp_auc_close(a);
	orsp_db_guard_close(g); /* after the last connection: see orsp_db_guard_open */
	if (rc)
		return rc;
	cli_rekey_done(n, file, next, kek_path, "--kek-file");
	return CLI_OK;
}

/* `auc backup`: a consistent copy of the database (found as every verb finds it, with its
 * KEK) while servers use it. */
static int auc_backup(int argc, char **argv)
{
	static const struct option opts[] = {
	    DB_LONGOPTS,
	    {"out", required_argument, NULL, OPT_OUT},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	db_opts dbo = {0};
	const char *out = NULL, *db;
	char kek_path[PATH_MAX];
	const volatile sig_atomic_t *stop;
	orsp_auc_backup_info info;
	orsp_auc *a = NULL;
	cli_json j = {0};
	bool json = false;
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
	/* FILE before anything is read: a refusal leaves the database as it was */
	if ((rc = db_name(&dbo, &db)))
		return rc;
	if ((e = orsp_db_out_check(db, out, "backup")))
		return cli_fail("auc backup", e);
	/* open_auc's checks first; then the KEK file it read, for the summary (no error left
	 * once it opened the database) */
	stop = cli_stop_on_signals(); /* before the open, as `smdp backup` */
	/* the database as it is: an older one is not migrated, so the backup taken before an
	 * upgrade opens with the program that made it */
	if ((rc = open_auc_mode(&dbo, "auc backup", NULL, ORSP_DB_OPEN_UNMIGRATED, &a)))
		return rc;
	if ((rc = db_name(&dbo, &db)) ||
	    (rc = cli_kek_path(dbo.kek_file, "--db", db, kek_path, sizeof(kek_path)))) {
		orsp_auc_close(a);
		return rc;
	}
	e = orsp_auc_backup(a, out, stop, &info);
	orsp_auc_close(a);
	if (e)
		return cli_fail("auc backup", e);
	cli_backup_head(&j, json, &info.file, "auc", info.schema_version, info.schema_latest, 0, 0);
	if (json)
		cj_u64(&j, "subscribers", info.subscribers);
	else {
		char num[32];
		snprintf(num, sizeof(num), "%" PRIu64, info.subscribers);
		cli_backup_kv("subscribers", num);
	}
	cli_backup_tail(&j, json, kek_path);
	return CLI_OK;
}

static const cli_cmd auc_cmds[] = {
    {
        .verb = "init",
        .summary = "Create an AuC without subscribers, and its KEK file",
        .synopsis = "[--db PATH] [--kek-file PATH]",
        .help = "Creates the subscriber database and its KEK file (32 random bytes, mode 0600;\n"
                "none with ORSP_KEK set, whose key it then is), for `openrsp smdp profile\n"
                "generate --auc PATH` and `import --auc PATH`, which take only an AuC that\n"
                "exists. Refused, nothing changed, when PATH holds an AuC already or other\n"
                "tables (the SM-DP+'s).\n\n"
                "options:\n" DB_HELP,
        .run = auc_init,
    },
    {
        .verb = "add",
        .summary = "Add a subscriber (K and OPc are stored wrapped under the KEK)",
        .synopsis = "--imsi N --k HEX (--opc HEX | --op HEX)\n"
                    "       [--alg milenage|tuak ...] [--amf HEX] [--sqn N] [--ind-bits N]\n"
                    "       [--sqn-delta N] [--db PATH] [--kek-file PATH]",
        .help = "Given OP (or TOP), the AuC derives OPc (TOPc) and stores only that. K and\n"
                "OPc are never printed afterwards.\n\n"
                "options:\n"
                "  --imsi N             IMSI, 5 to 15 digits\n" CLI_AKA_HELP
                "  --amf HEX            AMF, 4 hex digits (default 8000: E-UTRAN separation bit)\n"
                "  --sqn N              last SQN used, decimal or 0x-hex (default 0)\n"
                "  --ind-bits N         IND length in bits, 0..8 (default 5)\n"
                "  --sqn-delta N        the USIM's delta in SEQ units (TS 33.102 C.2.1, the\n"
                "                       profile's sqnDelta; default 268435456 = 2^28; 0 = no\n"
                "                       limit): resync keeps SQN_HE only within it\n" DB_HELP,
        .run = auc_add,
    },
    {
        .verb = "vector",
        .summary = "Hand out authentication vectors with fresh RANDs and SQNs",
        .synopsis = "IMSI [--count N] [--ind N] [--plmn MCCMNC]\n"
                    "       [--snn NAME] [--json] [--db PATH] [--kek-file PATH]",
        .help = "SQN = SEQ || IND (TS 33.102 Annex C.3): SEQ increases by one per vector, IND is\n"
                "--ind. The new SQN is stored before the vectors are printed; a failure hands\n"
                "out nothing. --json prints an array of objects with rand, sqn, amf, mac_a,\n"
                "xres, ck, ik, ak, autn (and kasme, xres_star, hxres_star, kausf, kseaf).\n"
                "With --plmn or --snn the vectors are for EPS/5G: their AMF has the separation\n"
                "bit set (TS 33.401 §6.1.2, TS 33.501 §6.1.3.2), whatever the subscriber's\n"
                "AMF (a note on standard error says when that changes it); otherwise the\n"
                "subscriber's AMF as stored.\n\n"
                "options:\n"
                "  --count N            number of vectors, 1..32 (default 1)\n"
                "  --ind N              IND value, below 2^ind-bits (default 0)\n" CLI_KDF_HELP
                "  --json               a JSON array instead of text\n" DB_HELP,
        .run = auc_vector,
    },
    {
        .verb = "resync",
        .summary = "Resynchronise the SQN from an AUTS",
        .synopsis = "IMSI --rand HEX --auts HEX [--json] [--db PATH]\n"
                    "       [--kek-file PATH]",
        .help = "Verifies MAC-S (TS 33.102 §6.3.5). If the USIM would accept the next SQN\n"
                "(its SEQ above SEQ_MS by 1..Δ, Δ the subscriber's --sqn-delta: default 2^28;\n"
                "0: no limit), the SQN is kept (\"in range, kept\"); otherwise it continues\n"
                "from SQN_MS: the next vector has SEQ_MS + 1. If MAC-S does not verify, the\n"
                "SQN is unchanged (exit 1).\n\n"
                "options:\n"
                "  --rand HEX           the RAND the USIM answered with AUTS, 32 hex digits\n"
                "  --auts HEX           AUTS, 28 hex digits\n"
                "  --json               one JSON object (imsi, sqn_ms, reset)\n" DB_HELP,
        .run = auc_resync,
    },
    {
        .verb = "list",
        .summary = "List subscribers (never their keys)",
        .synopsis = "[--json] [--db PATH] [--kek-file PATH]",
        .help = "options:\n"
                "  --json               a JSON array of objects (imsi, alg, k_bits, amf, sqn,\n"
                "                       ind_bits, sqn_delta, created, updated)\n" DB_HELP,
        .run = auc_list,
    },
    {
        .verb = "show",
        .summary = "Show one subscriber's parameters (never its keys)",
        .synopsis = "IMSI [--json] [--db PATH] [--kek-file PATH]",
        .help = "options:\n"
                "  --json               one JSON object\n" DB_HELP,
        .run = auc_show,
    },
    {
        .verb = "delete",
        .summary = "Delete a subscriber",
        .synopsis = "IMSI [--db PATH] [--kek-file PATH]",
        .help = "options:\n" DB_HELP,
        .run = auc_delete,
    },
    {
        .verb = "secret",
        .summary = "Print a subscriber's card secret (PUK, ADM, SD key) or list names",
        .synopsis = "IMSI NAME [--db PATH] [--kek-file PATH]\n"
                    "       secret IMSI --list [--db PATH] [--kek-file PATH]",
        .help = "Prints the value that `smdp profile generate --auc` drew for the subscriber's\n"
                "profile (stored wrapped under the KEK), for customer care (PUK) or the OTA\n"
                "platform (ADM, the security domains' keys). NAME is puk1, puk2, adm1, adm2,\n"
                "or sd<N>-kvn<XX>-kid<YY> for key KVN XX, KID YY (hex) of the profile's N-th\n"
                "security domain (sd1: the MNO-SD of a TS.48 template); a PUK or ADM prints as\n"
                "its digits, a key as lower-case hex. Every read is audited (`openrsp auc\n"
                "audit`). Exit 1 if none is stored. --list prints the names stored for the\n"
                "subscriber, one a line, never a value (not audited).\n\n"
                "options:\n"
                "  --list               the names of the subscriber's card secrets\n" DB_HELP,
        .run = auc_secret,
    },
    {
        .verb = "export",
        .summary = "Write subscribers' K and OPc IN THE CLEAR for osmo-hlr (audited)",
        .synopsis = "--format osmo-hlr-vty (IMSI... | --all) --out FILE|-\n"
                    "       [--to-terminal] [--db PATH] [--kek-file PATH]",
        .help = "Writes the osmo-hlr VTY commands (enable mode) that create the subscribers\n"
                "with their Milenage K and OPc and IND length: per subscriber\n"
                "  subscriber imsi IMSI create\n"
                "  subscriber imsi IMSI update aud3g milenage k K opc OPC ind-bitlen N\n"
                "Feed them to osmo-hlr's VTY (telnet port 4258), then delete the file.\n"
                "osmo-hlr keeps its own SQN (from 0): a USIM may refuse its first vector as too\n"
                "old, when osmo-hlr uses an IND under which the USIM took one of the AuC's SQNs\n"
                "(freshness is per IND, TS 33.102 C.2.2), and answer with AUTS, from which\n"
                "osmo-hlr resynchronises. Refused, with nothing written, when a subscriber is\n"
                "unknown or osmo-hlr cannot take it (a 5-digit IMSI, TUAK, Milenage with other\n"
                "r/c constants than TS 35.206's, an AMF other than 0000/8000). Every subscriber\n"
                "exported is audited. SIGINT, SIGTERM or SIGHUP before the text is written ends\n"
                "it with nothing written (exit 1, FILE removed).\n\n"
                "options:\n"
                "  --format osmo-hlr-vty  the only format so far (required)\n"
                "  --all                the whole subscriber table instead of the IMSIs given\n"
                "  --out FILE           a new file, created 0600 (an existing one is refused\n"
                "                       and left alone); written completely or removed\n"
                "  --out -              standard output instead; refused when it is a terminal\n"
                "                       unless --to-terminal is given too\n"
                "  --to-terminal        with --out -: write to standard output even when it is\n"
                "                       a terminal (the keys then show on the screen)\n" DB_HELP,
        .run = auc_export,
    },
    {
        .verb = "audit",
        .summary = "Audit log: every change, vector, resync, card secret and export",
        .synopsis = "[--imsi IMSI] [--limit N] [--json] [--db PATH]\n"
                    "       [--kek-file PATH]",
        .help = "Prints the AuC's append-only audit log, oldest first: time (UTC), action (add,\n"
                "delete, vectors, resync, card secret set, card secret read, export, kek\n"
                "rotated, backup), IMSI, result (ok, verify failed, not written, partly\n"
                "written) and detail. Never a key: the log holds none. Reads only (not\n"
                "audited itself).\n\n"
                "options:\n"
                "  --imsi IMSI          one subscriber's rows only\n"
                "  --limit N            the newest N rows only (still oldest first)\n"
                "  --json               a JSON array of objects (id, time, action, imsi,\n"
                "                       result, detail)\n" DB_HELP,
        .run = auc_audit,
    },
    {
        .verb = "rekey",
        .summary = "Rotate the KEK: re-wrap every key of the database under a new KEK",
        .synopsis = "--new-kek-file NEW [--db PATH] [--kek-file PATH]",
        .help = "Creates NEW (refused if it exists) with a new random KEK, mode 0600, and in one\n"
                "transaction re-wraps under it every key of the database (K, OPc/TOPc, the\n"
                "card secrets, the KEK check), with a \"kek rotated\" audit row. Any failure\n"
                "before the commit changes nothing and removes NEW; a failed commit keeps NEW\n"
                "(the database may need it: check which KEK opens it). Refused while another\n"
                "process has the database open: stop it first. Afterwards the database opens\n"
                "only with NEW: copy the old KEK file aside (backups made before need it), then\n"
                "move NEW in place of it (or point --kek-file at NEW); keep the copy only as\n"
                "long as older backups must stay readable.\n\n"
                "options:\n"
                "  --new-kek-file NEW   the new KEK file (must not exist)\n" DB_HELP,
        .run = auc_rekey,
    },
    {
        .verb = "backup",
        .summary = "Copy the database consistently while servers use it (audited)",
        .synopsis = "--out FILE [--json] [--db PATH] [--kek-file PATH]",
        .help = "Writes a consistent copy of the subscriber database (one snapshot: other\n"
                "processes go on reading and writing) to FILE, a new file, mode 0600. The copy\n"
                "is made beside FILE under a temporary name, flushed, checked (SQLite's\n"
                "integrity_check, the AuC schema at the database's version, the KEK check value\n"
                "against the KEK used) and audited (a \"backup\" row naming FILE) before it\n"
                "appears as FILE; any failure leaves no FILE and no temporary file (a process\n"
                "killed outright may leave FILE.tmp*: delete them), and an existing FILE is\n"
                "refused and left alone. The database is copied as it is: one of an older\n"
                "schema is not migrated (the backup taken before an upgrade opens with the\n"
                "program that made it). Prints the backup's name, size, schema version,\n"
                "subscriber count and the KEK file (or ORSP_KEK) that opens it: the KEK is NOT\n"
                "in the backup, back it up separately. The copy holds K and OPc wrapped under\n"
                "that KEK, and the IMSIs: keep it as safe as the database.\n\n"
                "options:\n"
                "  --out FILE           the backup (must not exist; its directory must)\n"
                "  --json               one JSON object (path, size, module, schema_version,\n"
                "                       schema_latest, subscribers, kek_file, kek_env,\n"
                "                       kek_in_backup)\n" DB_HELP,
        .run = auc_backup,
    },
    {NULL, NULL, NULL, NULL, NULL},
};

const cli_noun cli_noun_auc = {
    .name = "auc",
    .summary = "SHO authentication centre: subscribers, vectors, resynchronisation",
    .cmds = auc_cmds,
};
