/* The openrsp command line: nouns with verbs, shared option, hex and output helpers.
 *
 * Adding a noun: write cli/cmd_<noun>.c defining `const cli_noun cli_noun_<noun>` (its verbs
 * with their help), declare it below, and add one row to the table in cli/main.c.
 *
 * Exit codes: CLI_OK (0), CLI_FAIL (1: the operation failed, one line on stderr
 * "openrsp: <what failed>: <detail>"), CLI_USAGE (2: bad command line, one line naming the
 * argument); `smdp serve` alone: CLI_CONFIG (78, sysexits' EX_CONFIG) when a token refused the
 * PIN (or has one try left or none): its systemd unit has RestartPreventExitStatus=78, so the
 * PIN is not sent again every 2 s, towards the token's lock-out.
 */
#ifndef ORSP_CLI_H
#define ORSP_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "openrsp/aka.h"
#include "openrsp/core.h"
#include "openrsp/crypto.h"
#include "openrsp/pkg.h"
#include "openrsp/store.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_CONFIG = 78 };

typedef struct cli_cmd {
	const char *verb;
	const char *summary;  /* one line, for `openrsp help <noun>` */
	const char *synopsis; /* what follows "openrsp <noun> <verb> " */
	const char *help;     /* description and options, for `openrsp <noun> <verb> --help` */
	/* argv[0] is the verb; options start at argv[1]. Returns a CLI_* exit code. */
	int (*run)(int argc, char **argv);
} cli_cmd;

typedef struct cli_noun {
	const char *name;
	const char *summary;
	const cli_cmd *cmds; /* ends with an entry whose verb is NULL */
} cli_noun;

extern const cli_noun cli_noun_aka;
extern const cli_noun cli_noun_auc;
extern const cli_noun cli_noun_bench;
extern const cli_noun cli_noun_euicc;
extern const cli_noun cli_noun_kek;
extern const cli_noun cli_noun_demo;
extern const cli_noun cli_noun_lpa;
extern const cli_noun cli_noun_pki;
extern const cli_noun cli_noun_profile;
extern const cli_noun cli_noun_smdp;

/* In-process PKI for the demo (cmd_pki.c): a NIST hierarchy in dir (30 days), and a further
 * SM-DP+ under the CI of ci_dir. CLI_* codes; errors printed as by the verbs. */
int cli_pki_create(const char *dir, const char *fqdn, const char *oid);
int cli_pki_create_smdp(const char *dir, const char *ci_dir, const char *fqdn, const char *oid);
/* `pki crl-fetch` (cmd_pki_fetch.c). */
int cli_pki_crl_fetch(int argc, char **argv);
/* CLI_OK when the certificate of path was issued by issuer (of issuer_path, its key pub):
 * not issuer's own certificate, its issuer name issuer's subject (byte for byte, as an issuer
 * copies it), its authorityKeyIdentifier (when it has one) issuer's subjectKeyIdentifier, and
 * its signature verifying with issuer's key; else one line naming path and why (cmd_pki.c:
 * pki crl's --revoke, crl-fetch's --for). */
int cli_pki_issued_by(const orsp_cert *c, const char *path, const orsp_cert *issuer,
                      const char *issuer_path, const orsp_ec_key *pub);

/* ----- errors ----- */

/* "openrsp: <arg>: <message>" on stderr; returns CLI_USAGE. */
int cli_usage(const char *arg, const char *fmt, ...) ORSP_PRINTF(2, 3);
/* "openrsp: <what>: <detail of e>" on stderr; returns CLI_FAIL. */
int cli_fail(const char *what, orsp_err e);
/* "openrsp: <what>: <message>" on stderr; returns CLI_FAIL. */
int cli_failf(const char *what, const char *fmt, ...) ORSP_PRINTF(2, 3);
/* The detail (what follows "<what>: ") of the last cli_fail or cli_failf, cut to 1023 bytes;
 * "" before any: for a verb's --json output that must say why too (profile check). */
const char *cli_fail_detail(void);
/* Read a profile package file: a regular file of at most ORSP_PKG_MAX_SIZE bytes, read whole
 * (no seeking). *out holds key material: release it with orsp_pkg_buf_free(*out, *len), which
 * wipes it. On failure prints the reason naming path and returns CLI_FAIL. */
int cli_read_package(const char *path, uint8_t **out, size_t *len);
/* The CSIM of a template, for profile build and smdp profile generate: *n_secrets gets the
 * number of CDMA secrets in its PE-CDMAParameters (orsp_pkg_cdma.n_secrets), *csims its
 * PE-CSIMs (whose identity personalisation keeps). Unless keep or there are none, tpkg is
 * personalised with orsp_pkg_perso.cdma_keys alone, to learn whether its blocks can get
 * secrets of their own: its error (tpkg unchanged), with the way out (--keep-cdma-keys)
 * added to the detail. On success tpkg holds drawn secrets. */
ORSP_MUST_CHECK orsp_err cli_cdma_keys_check(orsp_pkg *tpkg, bool keep, size_t *n_secrets,
                                             size_t *csims);

/* ----- options ----- */

/* getopt_long over long options only, with our messages: returns the option's value, -1 at
 * the end of the options, or '?' after printing a usage error naming the option (unknown
 * option, missing or unexpected argument, an option with a value given twice: refused, both
 * values wiped from argv, but for options with a value from CLI_OPT_ADDS on, which add
 * up: euicc's --ci-cert, smdp profile list's --state). Restarts parsing
 * when argv changes. -h or --help
 * in an option's place (not an option's value) returns '?' silently and sets
 * cli_help_requested: main then prints the verb's help and exits 0. */
int cli_getopt(int argc, char **argv, const struct option *longopts);
/* A short option with a value, `-X VALUE`, read as the long option whose val is val. */
typedef struct cli_short {
	char ch;
	int val;
} cli_short;
#define CLI_SHORTS_MAX 4
/* cli_getopt with the short options of shorts (ended by ch 0, at most CLI_SHORTS_MAX), each
 * returned as its long option (`profile build -o OUT` for --output, `lpa profile download -a
 * AC -c CC`): only where an option stands, not as another option's value or after "--", and
 * with the value a separate argument (-XVALUE is a usage error). */
int cli_getopt_short(int argc, char **argv, const struct option *longopts, const cli_short *shorts);
extern bool cli_help_requested;
/* Exactly n bytes of hex (2n digits). CLI_OK or CLI_USAGE naming opt. */
int cli_hex(const char *opt, const char *val, uint8_t *out, size_t n);
/* n1 or n2 bytes of hex (n2 = 0: only n1); *len gets the length. */
int cli_hex2(const char *opt, const char *val, uint8_t *out, size_t n1, size_t n2, size_t *len);
/* A key given as an option's value, as cli_hex2, from one of: "-", a line of standard input
 * (a second "-" reads the next line); "@PATH", the file's first line (a file that group or
 * others can read or write is refused, as key files are); else the hex itself, which is then
 * overwritten in place (val points into argv) so that ps and /proc show it no longer. The
 * text read is wiped. */
int cli_secret_hex(const char *opt, char *val, uint8_t *out, size_t n1, size_t n2, size_t *len);
/* A secret given as text (PIN, PUK, ADM key, confirmation code), from the same three forms,
 * at most once: copied into out (cap bytes with the NUL; longer is a usage error) and, when
 * given inline, overwritten in argv; *dst then points to out. With *dst set already (the
 * option given twice) a usage error, val overwritten too. The caller wipes out after use. */
int cli_secret_str(const char *opt, char *val, char *out, size_t cap, const char **dst);
#define CLI_SECRET_STR_MAX 64 /* the longest PIN, PUK, ADM key or confirmation code taken */
/* Overwrite an option's value in argv (a secret given twice: the first copy). */
void cli_wipe_arg(char *val);
/* A verb whose options hold secrets names them before it reads its options: their values in
 * longopts (vals, ended by 0) and their short options (shorts, "c" for -c; NULL: none). A
 * secret read is overwritten in argv then (cli_secret_str, cli_secret_hex); one not read yet,
 * because the options stop at a usage error in an option before it or at -h, would stay in
 * the command line, shown by ps, until the exit (or while the message waits on a full
 * stderr). So while the guard is set, cli_usage first overwrites every value of those options
 * in argv (cli_secret_guard_wipe), whether read or not; cli_secret_guard_end(rc) does the same
 * when rc is not CLI_OK or -h was given, then clears the guard and returns rc. The verb's
 * runner (main.c) ends a guard still set when the verb returns, before it prints the help. */
void cli_secret_guard(int argc, char **argv, const struct option *longopts, const int *vals,
                      const char *shorts);
void cli_secret_guard_wipe(void);
int cli_secret_guard_end(int rc);
/* Slot i (0 to CLI_KEPT_SLOTS - 1) of the copies of secret values taken out of argv, each
 * CLI_KEPT_LEN bytes: process storage, not the verb's stack, so that cli_secret_guard_end
 * wipes them after every verb, whichever way it returned (a usage error's early return left
 * a verb's copies of K and OPc in its stack frame until session 66). cli_kept_wipe wipes
 * them all at once. */
#define CLI_KEPT_SLOTS 3
#define CLI_KEPT_LEN 160
char *cli_kept(size_t i);
void cli_kept_wipe(void);
/* A decimal number (or 0x-prefixed hex) in [min, max]. */
int cli_uint(const char *opt, const char *val, uint64_t min, uint64_t max, uint64_t *out);
/* A number of seconds in [min, max] (a decimal fraction allowed). */
int cli_seconds(const char *opt, const char *val, double min, double max, double *out);
/* For a server: SIGINT, SIGTERM and SIGHUP set the flag returned (the server loop polls it),
 * to the number of these signals received, at most 2 (orsp_stop_count); SIGPIPE is ignored (a
 * client that goes away is an I/O error, not the end of the process). */
volatile sig_atomic_t *cli_stop_on_signals(void);

/* orsp_file_replace of a file holding secrets (mode 0600) with SIGINT, SIGTERM and SIGHUP
 * held back until the temporary file is renamed or removed, so that a stopped run leaves no
 * copy of them beside path; the leftovers of a killed run (SIGKILL) are removed first
 * (orsp_file_remove_leftovers). CLI_OK, or the failure reported (cli_fail). */
int cli_replace_secret_file(const char *path, const void *data, size_t len);
/* A required option that was not given. */
int cli_missing(const char *opt);
/* The usage errors of a command line's words, in one wording at every level (three until
 * session 76): cli_unknown_verb, word not a verb of cmd (the words before it, "aka",
 * "smdp profile"; NULL: word is no command): `openrsp: WORD: unknown verb of CMD (see openrsp
 * help CMD)` (`unknown command (see openrsp help)`), an empty word named as ""; and
 * cli_missing_verb, no verb after name, the last word of cmd: `openrsp: NAME: expected a verb
 * (see openrsp help CMD)`. */
int cli_unknown_verb(const char *word, const char *cmd);
int cli_missing_verb(const char *name, const char *cmd);
/* An output path (of a file or directory, kind "file" or "directory") given as "-", which
 * only `auc export --out -` takes as standard output: a usage error naming opt (a file named
 * "-" was made until session 76), before the verb does anything. CLI_OK otherwise. */
int cli_not_stdout(const char *opt, const char *path, const char *kind);
/* Positional arguments: exactly `want` remaining after the options (argv[optind...]). The
 * first extra one is named in the usage error unless it may be a secret (16 hex digits in a
 * row, or over 64 characters without a '/'): then by its place among the positional ones. */
int cli_positional(int argc, char **argv, int want, const char *names);

/* ----- databases ----- */

/* The file a database URI names, as the store opens it (orsp_db_open): the URI without
 * `sqlite:`, or the path of an SQLite `file:` URI (RFC 8089 as SQLite reads it: no host but
 * localhost, no query or fragment, %-escapes decoded), into out[cap]. For the default KEK
 * file <file>.kek and for telling whether two URIs name one file. CLI_OK, or CLI_USAGE
 * naming opt (a malformed `file:` URI, a path that does not fit). */
int cli_db_file(const char *opt, const char *db, char *out, size_t cap);
/* A database the command line names (opt: the option or variable) that SQLite would keep in
 * memory only (orsp_db_uri_in_memory): a usage error, as the AuC's SQNs and the SM-DP+'s
 * profiles written to it would be lost at exit. CLI_OK otherwise. */
int cli_db_persistent(const char *opt, const char *db);
/* The KEK file of a database: kek_file (--kek-file) when given, else the database's file
 * (cli_db_file, naming db_opt) + ".kek", into out[cap]. CLI_OK, or CLI_USAGE (a malformed
 * database URI; a --kek-file that is the database or one of SQLite's files beside it,
 * orsp_db_uri_not_own_file). */
int cli_kek_path(const char *kek_file, const char *db_opt, const char *db, char *out, size_t cap);
/* Whether a verb that only reads, which opened db read-only, may read it: CLI_OK when its
 * `module` schema (version `have`, read with error e) is this program's `latest`; else the
 * failure of e, or the refusal (exit 1) of a schema older than this program's: such a verb
 * neither migrates the database nor reads it with this version's queries (a column or table
 * a later migration added, rows a migration rewrites); `migrates` names what does. */
int cli_read_schema(const char *verb, const char *db, const char *module, orsp_err e, int have,
                    int latest, const char *migrates);
/* The token key's URI of the sealed KEK file kek_path (in buf), or NULL: not sealed, or the
 * KEK comes from ORSP_KEK (cli/cmd_kek.c). For rekey: the new KEK is sealed the same way. */
const char *cli_kek_seal_uri(const char *kek_path, char *buf, size_t cap);
/* The files a verb that may create a database (the SM-DP+'s profile import and generate,
 * `auc init` and `auc add`; not the AuC of --auc, which must exist) created, so that one that
 * fails before it stored anything can take them away again (cli_unmake). */
typedef struct cli_made {
	bool db_was, kek_was; /* there before (cli_made_before) */
	bool db, kek;         /* created since (cli_made_after) */
	/* the number of rows of the module's tables another process may have written: one
	 * SELECT of one integer (cli_unmake leaves a database that has any) */
	const char *rows_sql;
	char db_file[4096], kek_path[4096];
} cli_made;
/* Before the database db (option opt) and its KEK file kek_path may be created: which of
 * them exist; rows_sql (a string that outlives m) as cli_made's. CLI_OK, or the usage error
 * of a path too long. */
int cli_made_before(cli_made *m, const char *opt, const char *db, const char *kek_path,
                    const char *rows_sql);
/* After the open, whether it succeeded or not: what it created. Only for a database that was
 * not there: a KEK file created for an empty database that existed is now the one that opens
 * it. ":memory:" or a `file:` URI's in-memory database leaves no file; a KEK file made for a
 * database that could not be created (its directory missing) counts. */
void cli_made_after(cli_made *m);
/* For a verb that failed before it stored anything, once its handles are closed: removes
 * the database cli_made_after found created (its -wal, -shm and -journal files too) and the
 * KEK file created with it, so that a failed first write leaves no empty database behind,
 * and says so ("the new database F (and its KEK file K) was removed again: nothing was
 * kept"). A database another process has open, or one that holds rows (m->rows_sql), is
 * left with its KEK file, and said so. */
void cli_unmake(const cli_made *m);

/* ----- output ----- */

/* Aligned "name: value" lines for people. */
void cli_kv_hex(const char *name, const uint8_t *p, size_t n);
void cli_kv_str(const char *name, const char *v);
/* s, text from outside (a package's profileType, names from a database), made safe to show
 * on a terminal, into out (cap bytes, cut to fit, never inside a character): every control
 * character (orsp_utf8_is_control: C0, DEL, C1, tab and newline too, and the characters
 * that reorder or hide text, the LPA's rule) and every byte that is not part of well-formed
 * UTF-8 becomes '?', so that no escape sequence reaches the terminal and nothing shows
 * reordered or hidden. Returns out ("" when cap is 0). */
const char *cli_text(const char *s, char *out, size_t cap);

/* A minimal JSON writer to stdout: compact, strings escaped per RFC 8259 and always valid
 * UTF-8 (a byte of no well-formed sequence becomes U+FFFD). Keys are NULL inside arrays and
 * for the top-level value. */
typedef struct cli_json {
	int depth;
	bool need_comma[16];
} cli_json;
void cj_obj_begin(cli_json *j, const char *key);
void cj_obj_end(cli_json *j);
void cj_arr_begin(cli_json *j, const char *key);
void cj_arr_end(cli_json *j);
void cj_str(cli_json *j, const char *key, const char *v);
void cj_hex(cli_json *j, const char *key, const uint8_t *p, size_t n);
void cj_u64(cli_json *j, const char *key, uint64_t v);
void cj_i64(cli_json *j, const char *key, int64_t v);
void cj_double(cli_json *j, const char *key, double v);
void cj_null(cli_json *j, const char *key);
void cj_bool(cli_json *j, const char *key, bool v);
/* Ends the document with a newline and flushes. A failed flush leaves stdout's error flag
 * set, which main turns into exit 1; its errno is kept in cli_stdout_errno for the message. */
void cj_done(cli_json *j);
/* The errno of the first write to stdout that failed (main's stdout stream keeps it for every
 * write, cj_done for its flush), or 0. */
extern int cli_stdout_errno;

/* ----- backups (`auc backup`, `smdp backup`) ----- */

/* The summary of a backup made (f) of `module`'s database at schema `version` (this
 * program's `latest`: an older one was copied as it is, not migrated, and the summary says
 * so), and for the SM-DP+ (es9p_latest not 0) its ES9+ schema "smdp_es9p" at es9p (0: the
 * server never prepared it, not named in the text), the same way: its name, size and
 * schema, then (cli_backup_tail) which KEK opens it: kek_path's
 * absolute name, or the ORSP_KEK key when that is set (the KEK was taken from it), and that
 * the KEK is not in the backup. The module prints its counts in between. json: one object,
 * begun here and ended by cli_backup_tail. */
void cli_backup_head(cli_json *j, bool json, const orsp_db_backup_result *f, const char *module,
                     int version, int latest, int es9p, int es9p_latest);
void cli_backup_tail(cli_json *j, bool json, const char *kek_path);
/* One "name: value" line of the summary. */
void cli_backup_kv(const char *name, const char *v);

/* ----- subscriber options shared by aka and auc ----- */

enum {
	CLI_OPT_ALG = 0x100,
	CLI_OPT_K,
	CLI_OPT_OP,
	CLI_OPT_OPC,
	CLI_OPT_TOP,
	CLI_OPT_TOPC,
	CLI_OPT_R1,                  /* ..R5 */
	CLI_OPT_C1 = CLI_OPT_R1 + 5, /* ..C5 */
	CLI_OPT_KECCAK = CLI_OPT_C1 + 5,
	CLI_OPT_MAC_BITS,
	CLI_OPT_RES_BITS,
	CLI_OPT_CK_BITS,
	CLI_OPT_IK_BITS,
	CLI_OPT_PLMN,
	CLI_OPT_SNN,
	CLI_OPT__AKA_END,
	CLI_OPT_CMD = 0x200, /* command-specific options start here */
	/* options whose values add up when repeated have their values from here on (euicc's
	 * --ci-cert, smdp profile list's --state); any other option that takes a value is
	 * refused the second time (cli_getopt) */
	CLI_OPT_ADDS = 0x1000
};

// clang-format off
/* the algorithm and the keys (aka opc takes only these and --keccak) */
#define CLI_AKA_KEY_LONGOPTS \
	{"alg", required_argument, NULL, CLI_OPT_ALG}, \
	{"k", required_argument, NULL, CLI_OPT_K}, \
	{"op", required_argument, NULL, CLI_OPT_OP}, \
	{"opc", required_argument, NULL, CLI_OPT_OPC}, \
	{"top", required_argument, NULL, CLI_OPT_TOP}, \
	{"topc", required_argument, NULL, CLI_OPT_TOPC}
#define CLI_AKA_LONGOPTS \
	CLI_AKA_KEY_LONGOPTS, \
	{"r1", required_argument, NULL, CLI_OPT_R1}, \
	{"r2", required_argument, NULL, CLI_OPT_R1 + 1}, \
	{"r3", required_argument, NULL, CLI_OPT_R1 + 2}, \
	{"r4", required_argument, NULL, CLI_OPT_R1 + 3}, \
	{"r5", required_argument, NULL, CLI_OPT_R1 + 4}, \
	{"c1", required_argument, NULL, CLI_OPT_C1}, \
	{"c2", required_argument, NULL, CLI_OPT_C1 + 1}, \
	{"c3", required_argument, NULL, CLI_OPT_C1 + 2}, \
	{"c4", required_argument, NULL, CLI_OPT_C1 + 3}, \
	{"c5", required_argument, NULL, CLI_OPT_C1 + 4}, \
	{"keccak", required_argument, NULL, CLI_OPT_KECCAK}, \
	{"mac-bits", required_argument, NULL, CLI_OPT_MAC_BITS}, \
	{"res-bits", required_argument, NULL, CLI_OPT_RES_BITS}, \
	{"ck-bits", required_argument, NULL, CLI_OPT_CK_BITS}, \
	{"ik-bits", required_argument, NULL, CLI_OPT_IK_BITS}

/* Help text for the options above. */
#define CLI_AKA_HELP                                                                               \
	"  --alg milenage|tuak  algorithm (default milenage)\n"                                    \
	"  --k HEX              subscriber key K: 32 hex digits (TUAK also 64)\n"                  \
	"  --op HEX | --opc HEX operator key OP, or the derived OPc\n"                              \
	"                       (Milenage: 32 hex digits)\n"                                       \
	"  --top HEX | --topc HEX  TUAK operator key TOP or TOPc (64 hex digits)\n"                \
	"                       each key also as @FILE (its first line; mode 600) or -\n"         \
	"                       (a line of standard input: K first if both), so no other\n"       \
	"                       user sees it\n"                                                    \
	"  --r1..--r5 N         Milenage rotations in bits, 0..127\n"                              \
	"                       (default 64 0 32 64 96)\n"                                         \
	"  --c1..--c5 HEX       Milenage constants, 32 hex digits (default TS 35.206)\n"           \
	"  --keccak N           TUAK Keccak iterations (default 1)\n"                              \
	"  --mac-bits N         TUAK MAC length: 64, 128 or 256 (default 64)\n"                    \
	"  --res-bits N         TUAK RES length: 32, 64, 128 or 256 (default 64)\n"                \
	"  --ck-bits N          TUAK CK length: 128 or 256 (default 128)\n"                        \
	"  --ik-bits N          TUAK IK length: 128 or 256 (default 128)\n"
// clang-format on

/* The raw values of the options above, as given. */
typedef struct cli_aka_opts {
	const char *alg;
	/* a value given inline: copied into a slot of cli_kept and overwritten in argv at once
	 * (cli_aka_opt), so that it is out of the command line before anything waits on standard
	 * input (a PIN, K); "-" and "@FILE" point into argv. cli_secret_hex overwrites them once
	 * read; cli_aka_subscriber wipes the copies, and cli_secret_guard_end does whatever
	 * path the verb took. */
	char *k, *op, *opc;
	const char *op_opt, *opc_opt; /* "--op"/"--top", "--opc"/"--topc": for messages */
	const char *r[5], *c[5];
	const char *keccak, *mac_bits, *res_bits, *ck_bits, *ik_bits;
	const char *conflict; /* the second of two operator-key options, if any */
} cli_aka_opts;

/* The keys among CLI_AKA_KEY_LONGOPTS (K, OP, OPc, TOP, TOPc): the vals of cli_secret_guard
 * for a verb that takes them (cli_aka_secret_opts: these, ended by 0). */
#define CLI_AKA_SECRET_OPTS CLI_OPT_K, CLI_OPT_OP, CLI_OPT_OPC, CLI_OPT_TOP, CLI_OPT_TOPC
extern const int cli_aka_secret_opts[];
/* Take option c if it is one of CLI_AKA_LONGOPTS. Returns true if it was. */
bool cli_aka_opt(cli_aka_opts *o, int c, char *arg);
/* Check the options and build the subscriber: *op_given is true when sub->opc holds OP/TOP
 * (the caller derives OPc/TOPc). CLI_OK, or CLI_USAGE naming the offending option. */
int cli_aka_subscriber(cli_aka_opts *o, orsp_aka_subscriber *sub, bool *op_given);
/* OP -> OPc / TOP -> TOPc in place. CLI_OK or CLI_FAIL. */
int cli_aka_derive_opc(orsp_aka_subscriber *sub);

/* ----- vectors and key derivations shared by `aka gen` and `auc vector` ----- */

// clang-format off
#define CLI_KDF_LONGOPTS \
	{"plmn", required_argument, NULL, CLI_OPT_PLMN}, \
	{"snn", required_argument, NULL, CLI_OPT_SNN}
#define CLI_KDF_HELP \
	"  --plmn MCCMNC        serving PLMN (e.g. 00101): adds KASME (TS 33.401 A.2)\n" \
	"                       and the 5G keys for the SNN derived from it\n" \
	"  --snn NAME           serving network name\n" \
	"                       (e.g. 5G:mnc001.mcc001.3gppnetwork.org): adds XRES*,\n" \
	"                       HXRES*, KAUSF, KSEAF (TS 33.501 A.2, A.4-A.6)\n"
// clang-format on

typedef struct cli_kdf {
	bool eps, fiveg;
	uint8_t plmn[3];
	char snn[256];
} cli_kdf;

typedef struct cli_derived {
	bool eps, fiveg;
	uint8_t kasme[32];
	uint8_t xres_star[16], hxres_star[16];
	uint8_t kausf[32], kseaf[32];
} cli_derived;

/* Check --plmn / --snn (either may be NULL). CLI_OK or CLI_USAGE. */
int cli_kdf_parse(cli_kdf *k, const char *plmn, const char *snn);
/* The derivations need 128-bit CK and IK. CLI_OK or CLI_USAGE naming --plmn/--snn. */
/* fix: what to do, in the usage error's parentheses */
int cli_kdf_check_lengths(const cli_kdf *k, size_t ck_len, size_t ik_len, const char *fix);
/* Compute what k asks for from vector v. CLI_OK or CLI_FAIL. Wipe d afterwards. */
int cli_kdf_derive(const cli_kdf *k, const orsp_aka_vector *v, cli_derived *d);

/* Print a vector: with_inputs adds RAND and SQN; mac/mac_len is the full MAC-A (TUAK may
 * be longer than the 64 bits in AUTN). JSON: an object under key (NULL in an array). */
void cli_vector_text(const orsp_aka_vector *v, const uint8_t *mac, size_t mac_len,
                     const cli_derived *d, bool with_inputs);
void cli_vector_json(cli_json *j, const char *key, const orsp_aka_vector *v, const uint8_t *mac,
                     size_t mac_len, const cli_derived *d, bool with_inputs);

/* Where the data shipped with openrsp is (profiles/: the demo's and the benchmarks' profile
 * template): $ORSP_DATA_DIR when set; the source tree's data/ for the binary of the build
 * directory it was built in; any other binary is taken as installed, BINDIR/openrsp, and gets
 * DATADIR/openrsp as reached from its directory (PREFIX/share/openrsp by default, whatever the
 * prefix), whether it exists or not, so that an error names the installed place. */
const char *cli_data_dir(void);
/* The default template (in cli_data_dir()) missing, for `demo` and `bench inventory` (verb):
 * one line on stderr naming which data directory that was and the ways out (ORSP_DATA_DIR,
 * --template FILE; a binary copied out of the build directory failed naming
 * PREFIX/share/openrsp, no more). The caller returns CLI_FAIL. */
void cli_missing_data(const char *verb);

/* rm -rf DIR, in this process (no child, no shell: a quote or a space in $TMPDIR is part of
 * the name, and ORSP_KEK goes to no other program); symbolic links below DIR are removed, not
 * followed. 0 when everything went, else -1. */
int cli_rm_rf(const char *dir);

/* s as one word of a POSIX shell command line: unchanged when it holds only characters no
 * shell treats specially, else in single quotes (a ' inside as '\''). The text goes to out
 * (cap bytes); one that does not fit gives NULL. */
const char *cli_shell_word(const char *s, char *out, size_t cap);

/* What a KEK rotation (`auc rekey`, `smdp rekey`) prints once it committed: n values of the
 * database file re-wrapped under NEW (next), and the next steps; kek_option names where the
 * KEK file is given ("--kek-file", or the configuration's kek_file), kek_path the old one. */
void cli_rekey_done(size_t n, const char *file, const char *next, const char *kek_path,
                    const char *kek_option);

/* A KEK rotation's --new-kek-file NEW (next) that is the KEK file in use (kek_path, read when
 * ORSP_KEK is unset), by identity (device and inode: another name of it, a link, too), or the
 * database db (a URI) or one of SQLite's files beside it (orsp_db_uri_not_own_file): a usage
 * error saying so and what to name instead; CLI_OK otherwise (NEW exists or not: the
 * rotation's own check judges it). */
int cli_rekey_new_is_old(const char *next, const char *kek_path, const char *db);

/* orsp_kek_rekey_check refused NEW (next) because it exists (ORSP_E_EXISTS): a rotation
 * interrupted after it made NEW leaves it, and the database may need it. Says which KEK the
 * database db opens with, the one given (kek_path, or ORSP_KEK) or NEW's, and so whether NEW
 * is its KEK now or to be deleted (orsp_kek_rekey_left with the module's `opens`): always a
 * failure for `verb` (CLI_USAGE for a malformed ORSP_KEK), nothing rotated. */
int cli_rekey_left(const char *verb, const char *db, const char *kek_path, const char *next,
                   orsp_kek_opens_fn opens);

#endif
