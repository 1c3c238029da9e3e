/* `openrsp kek`: KEK files sealed by an AES key in a PKCS#11 token (docs/crypto.md, "A KEK
 * sealed by a token"). `seal` turns a KEK file into one that only the token opens, `reseal`
 * moves it to another token key, `unseal` turns it back, `info` says which kind a file is. The
 * AuC's and the SM-DP+'s verbs open a sealed file through the token on their own; `auc rekey` and
 * `smdp rekey` seal the new KEK under the same token key. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "openrsp/crypto.h"
#include "openrsp/store.h"

#define URI_CAP 4097

const char *cli_kek_seal_uri(const char *kek_path, char *buf, size_t cap)
{
	bool sealed = false;

	if (getenv("ORSP_KEK") || !kek_path)
		return NULL;
	if (orsp_kek_sealed_uri(kek_path, buf, cap, &sealed) != ORSP_OK || !sealed) {
		orsp_err_clear();
		return NULL;
	}
	return buf;
}

enum { OPT_KEK_FILE = CLI_OPT_CMD, OPT_PKCS11, OPT_JSON };

/* --kek-file F (required, non-empty) and, for seal and reseal, --pkcs11 URI (pin-source
 * only). */
static int kek_args(int argc, char **argv, bool want_uri, const char **file, const char **uri,
                    bool *json)
{
	static const struct option opts[] = {
	    {"kek-file", required_argument, NULL, OPT_KEK_FILE},
	    {"pkcs11", required_argument, NULL, OPT_PKCS11},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	/* a URI with a pin-value is refused, and with any usage error (an option before it,
	 * --pkcs11 where it does not belong) overwritten in argv before the message is said:
	 * it would show in ps meanwhile, or for as long as a full stderr blocks the write */
	static const int secret[] = {OPT_PKCS11, 0};
	char *uri_arg = NULL;
	int c, rc;

	cli_secret_guard(argc, argv, opts, secret, NULL);
	*file = *uri = NULL;
	if (json)
		*json = false;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		/* an option is named, never its value (a URI may hold a PIN) */
		if (c == OPT_KEK_FILE) {
			*file = optarg;
		} else if (c == OPT_PKCS11 && want_uri) {
			*uri = uri_arg = optarg;
		} else if (c == OPT_JSON && json) {
			*json = true;
		} else {
			return cli_usage(c == OPT_PKCS11 ? "--pkcs11"
			                 : c == OPT_JSON ? "--json"
			                                 : argv[optind - 1],
			                 "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;
	if (!*file)
		return cli_missing("--kek-file");
	if (!(*file)[0])
		return cli_usage("--kek-file", "empty path");
	if (want_uri) {
		if (!*uri)
			return cli_missing("--pkcs11");
		if (!orsp_ec_pkcs11_uri(*uri))
			return cli_usage("--pkcs11", "expected a PKCS#11 URI (pkcs11:...)");
		if (orsp_ec_pkcs11_uri_has_pin(*uri)) {
			cli_wipe_arg(uri_arg); /* the guard's too: not left to it */
			return cli_usage("--pkcs11",
			                 "a PIN on the command line shows in ps, and the "
			                 "sealed file would hold it: give pin-source=FILE");
		}
		/* what can be told without the token (module-path, the key named, ...) is a usage
		 * error, as a private key's URI in a configuration is */
		if (orsp_p11_secret_uri_check(*uri))
			return cli_usage("--pkcs11", "%s", orsp_err_detail());
	}
	return CLI_OK;
}

/* kek_args for a verb that works on the file only: ORSP_KEK set is a usage error (the KEK in
 * the environment is not the file's). */
static int kek_file_args(int argc, char **argv, bool want_uri, const char *verb, const char **file,
                         const char **uri)
{
	int rc = kek_args(argc, argv, want_uri, file, uri, NULL);

	if (!rc && getenv("ORSP_KEK"))
		return cli_usage("ORSP_KEK", "is set: kek %s works on a KEK file only", verb);
	return rc;
}

static int kek_seal(int argc, char **argv)
{
	const char *file, *uri;
	int rc = kek_file_args(argc, argv, true, "seal", &file, &uri);
	orsp_err e;

	if (rc)
		return rc;
	e = orsp_kek_seal(file, uri);
	if (e)
		return cli_fail("kek seal", e);
	printf("sealed %s: it opens only through the token now (keep the token's key; a copy of "
	       "the file alone no longer gives the KEK)\n",
	       file);
	return CLI_OK;
}

static int kek_reseal(int argc, char **argv)
{
	const char *file, *uri;
	char was[URI_CAP], shown[URI_CAP];
	int rc = kek_file_args(argc, argv, true, "reseal", &file, &uri);
	orsp_err e;

	if (rc)
		return rc;
	e = orsp_kek_reseal(file, uri, was, sizeof(was));
	if (e)
		return cli_fail("kek reseal", e);
	printf("resealed %s: it opens through the token key %s now", file,
	       cli_text(uri, shown, sizeof(shown)));
	/* the same key named again (a new pin-source, say) is allowed: a new IV, no new key */
	if (strcmp(was, uri) == 0)
		printf(" (the key it named already: only the IV is new)\n");
	else
		printf(
		    ", no longer through %s (keep that key while backups of the file sealed by it "
		    "are kept)\n",
		    cli_text(was, shown, sizeof(shown)));
	return CLI_OK;
}

static int kek_unseal(int argc, char **argv)
{
	const char *file, *uri;
	int rc = kek_file_args(argc, argv, false, "unseal", &file, &uri);
	orsp_err e;

	if (rc)
		return rc;
	e = orsp_kek_unseal(file);
	if (e)
		return cli_fail("kek unseal", e);
	printf("unsealed %s: the KEK is in the file in clear again (mode 0600)\n", file);
	return CLI_OK;
}

static int kek_info(int argc, char **argv)
{
	const char *file, *uri;
	char buf[URI_CAP];
	bool sealed = false, json = false;
	int rc = kek_args(argc, argv, false, &file, &uri, &json);
	orsp_err e;

	if (rc)
		return rc;
	e = orsp_kek_sealed_uri(file, buf, sizeof(buf), &sealed);
	if (e)
		return cli_fail("kek info", e);
	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_str(&j, "file", file);
		cj_bool(&j, "sealed", sealed);
		if (sealed)
			cj_str(&j, "pkcs11", buf);
		cj_obj_end(&j);
		cj_done(&j);
		return CLI_OK;
	}
	if (sealed) {
		char shown[URI_CAP];
		printf("%s: sealed by the PKCS#11 key %s\n", file,
		       cli_text(buf, shown, sizeof(shown)));
	} else
		printf("%s: not sealed (the KEK itself; openrsp kek seal seals it)\n", file);
	return CLI_OK;
}

static const cli_cmd kek_cmds[] = {
    {"seal", "Seal a KEK file under an AES key in a PKCS#11 token", "--kek-file F --pkcs11 URI",
     "Replaces the KEK file F (32 raw bytes or 64 hex digits, as auc and smdp make it)\n"
     "by one holding the token key's URI, a random IV and the KEK under AES-256-GCM in\n"
     "the token: from then on every verb opens it through the token, and the file\n"
     "alone (a copied disk or backup) does not give the KEK. The token must open what\n"
     "it sealed before the file is replaced. The old file is then overwritten with\n"
     "zeros: on SSDs, copy-on-write file systems, snapshots and backups the KEK may\n"
     "remain (docs/crypto.md).\n\n"
     "options:\n"
     "  --kek-file F         the KEK file (the database's DB.kek, or a configuration's\n"
     "                       kek_file)\n"
     "  --pkcs11 URI         the token's AES key:\n"
     "                       pkcs11:token=T;object=L?module-path=M&pin-source=FILE\n"
     "                       (a pin-value is refused; docs/crypto.md)\n",
     kek_seal},
    {"reseal", "Move a sealed KEK file to another AES key in a PKCS#11 token",
     "--kek-file F --pkcs11 NEWURI",
     "Opens the sealed KEK file F through the token key it names, seals the same KEK\n"
     "under NEWURI (a new AES key, another token, a replaced HSM) with a new random\n"
     "IV, checks that NEWURI's token opens it back, then replaces F as kek seal does:\n"
     "the KEK is never written in clear. Both keys must be there while it runs;\n"
     "afterwards F opens through NEWURI alone. Copies of F made before (backups) still\n"
     "need the old key. NEWURI may name the same key (a new pin-source or\n"
     "module-path): F then holds it and a new IV. On any failure F is left as it was.\n\n"
     "options:\n"
     "  --kek-file F         the sealed KEK file (a clear one: use kek seal)\n"
     "  --pkcs11 NEWURI      the new AES key, as for kek seal (a pin-value is refused)\n",
     kek_reseal},
    {"unseal", "Turn a sealed KEK file back into the KEK itself", "--kek-file F",
     "Opens the sealed KEK file F through its token and writes the 32-byte KEK in its\n"
     "place (mode 0600), for leaving the token.\n\n"
     "options:\n"
     "  --kek-file F         the sealed KEK file\n",
     kek_unseal},
    {"info", "Say whether a KEK file is sealed, and by which token key", "--kek-file F [--json]",
     "Says whether F is sealed and, if so, the token key's URI (which never holds a\n"
     "PIN). Reads the file only; the token is not used.\n\n"
     "options:\n"
     "  --kek-file F         the KEK file\n"
     "  --json               one JSON object instead of text\n",
     kek_info},
    {NULL, NULL, NULL, NULL, NULL},
};

const cli_noun cli_noun_kek = {
    "kek",
    "KEK files sealed by a PKCS#11 token",
    kek_cmds,
};
