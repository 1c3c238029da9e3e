/* `openrsp euicc`: the software eUICC in a sealed directory (docs/seal.md, docs/cli.md).
 * init provisions the identity, serve exposes the card to PC/SC through vsmartcard's vpcd,
 * info lists what is on it. No command prints a key. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "openrsp/crypto.h"
#include "openrsp/store.h" /* orsp_kek_env_wipe */
#include "openrsp/euicc.h"

enum {
	OPT_STATE = CLI_OPT_CMD,
	OPT_PKI,
	OPT_CURVE,
	OPT_EID,
	OPT_KEY,
	OPT_CERT,
	OPT_EUM_CERT,
	OPT_DEFAULT_DP,
	OPT_VPCD,
	OPT_TRACE,
	OPT_JSON,
	OPT_CI_CERTS = CLI_OPT_ADDS, /* --ci-cert: repeated, the CIs add up */
};

#define STATE_HELP                                                                                 \
	"  --state DIR          the eUICC's sealed directory (device.key, records,\n"              \
	"                       manifest, counter; docs/seal.md)\n"

/* The --key file whole (PEM or DER, stored as it is), into a fresh buffer the caller wipes
 * and frees. */
static int read_key(const char *path, uint8_t **out, size_t *len)
{
	uint8_t *buf = malloc(ORSP_EC_KEY_FILE_MAX);
	orsp_err e;

	*out = NULL;
	*len = 0;
	if (!buf)
		return cli_failf("--key", "out of memory");
	if ((e = orsp_ec_read_private_file(path, buf, len)) != ORSP_OK) {
		free(buf);
		return cli_fail("--key", e);
	}
	*out = buf;
	return CLI_OK;
}

/* A certificate file, DER or PEM, as DER in a fresh buffer. */
static int load_cert(const char *opt, const char *path, uint8_t **der, size_t *len, char *eid,
                     size_t eid_cap)
{
	orsp_cert *c = NULL;
	orsp_slice d;
	orsp_err e = orsp_cert_load_file(path, &c);

	*der = NULL;
	*len = 0;
	if (e)
		return cli_fail(path, e);
	d = orsp_cert_der(c);
	if (eid && orsp_cert_subject_serial(c, eid, eid_cap) != ORSP_OK)
		eid[0] = '\0';
	*der = malloc(d.len ? d.len : 1);
	if (!*der) {
		orsp_cert_free(c);
		return cli_failf(opt, "out of memory");
	}
	memcpy(*der, d.p, d.len);
	*len = d.len;
	orsp_cert_free(c);
	return CLI_OK;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ----- init ----- */

/* What follows from a certificate outside its period: for CERT.EUICC and CERT.EUM; for a CI. */
static const char refused_by_dp[] =
    "an SM-DP+ whose clock agrees refuses every download to this eUICC (authenticateClient)";
static const char refused_under_ci[] =
    "this eUICC refuses every SM-DP+ certificate under it (invalidCertificate) while this "
    "host's clock is outside that period";

/* A warning on stderr when the certificate der (len bytes; what: "CERT.EUICC", path: its file)
 * is outside its validity period by this host's clock, saying what follows (so).
 * The eUICC does not judge its own identity's dates (docs/euicc.md, "The clock": a host
 * clock may be wrong, so init takes such an identity), but an SM-DP+ does, by its own clock,
 * and refuses every download to an eUICC whose CERT.EUICC or CERT.EUM is outside its period;
 * the eUICC refuses every SM-DP+ certificate under one of its CIs that is. Until session 75
 * init said nothing. */
static void warn_validity(const char *what, const char *path, const uint8_t *der, size_t len,
                          const char *so)
{
	orsp_cert *c = NULL;
	time_t nb = 0, na = 0, now = time(NULL);
	char b[ORSP_UTC_TEXT_CAP], a[ORSP_UTC_TEXT_CAP], n[ORSP_UTC_TEXT_CAP];

	if (orsp_cert_parse(der, len, &c) || orsp_cert_validity(c, &nb, &na)) {
		orsp_cert_free(c); /* orsp_euicc_host_create took it: not seen */
		orsp_err_clear();
		return;
	}
	orsp_cert_free(c);
	if (now >= nb && now <= na)
		return;
	orsp_utc_text(nb, ' ', b);
	orsp_utc_text(na, ' ', a);
	orsp_utc_text(now, ' ', n);
	fprintf(stderr,
	        "openrsp: warning: euicc init: %s (%s) %s by this host's clock (now %s; notBefore "
	        "%s, notAfter %s): %s; check this host's date and time, or provision an identity "
	        "valid now\n",
	        what, path, now < nb ? "is not valid yet" : "has expired", n, b, a, so);
}

typedef struct init_files {
	uint8_t *key, *cert, *eum, *ci[ORSP_EUICC_MAX_CI];
	size_t key_len, cert_len, eum_len, ci_len[ORSP_EUICC_MAX_CI], n_ci;
} init_files;

static void init_files_free(init_files *f)
{
	if (f->key)
		orsp_wipe(f->key, f->key_len);
	free(f->key);
	free(f->cert);
	free(f->eum);
	for (size_t i = 0; i < f->n_ci; i++)
		free(f->ci[i]);
	memset(f, 0, sizeof(*f));
}

/* Whether the hierarchy at base (its CI, ci/ci.der) is of the curve asked for (nist or
 * brainpool); a failure naming what it is when not. */
static int curve_of_pki(const char *base, const char *curve)
{
	char path[4200];
	orsp_cert *ci = NULL;
	orsp_ec_key *k = NULL;
	orsp_curve c = ORSP_CURVE_NONE, want = strcmp(curve, "brainpool") == 0
	                                           ? ORSP_CURVE_BRAINPOOLP256R1
	                                           : ORSP_CURVE_P256;

	snprintf(path, sizeof(path), "%s/ci/ci.der", base);
	if (orsp_cert_load_file(path, &ci) == ORSP_OK && orsp_cert_public_key(ci, &k) == ORSP_OK)
		c = orsp_ec_curve(k);
	orsp_err_clear();
	orsp_ec_free(k);
	orsp_cert_free(ci);
	if (c == ORSP_CURVE_NONE || c == want)
		return CLI_OK; /* none readable: the load after says what is missing */
	return cli_failf(base, "no %s hierarchy: this one is %s (pki init --curve %s|both)", curve,
	                 orsp_curve_name(c), curve);
}

static int pki_paths(const char *pki, const char *curve, char base[4096])
{
	char sub[4096];

	if (curve && strcmp(curve, "nist") != 0 && strcmp(curve, "brainpool") != 0)
		return cli_usage("--curve", "expected nist or brainpool");
	if (!is_dir(pki))
		return cli_failf(pki,
		                 "not a directory (--pki: a directory made by `openrsp pki init`)");
	/* `pki init --curve both` puts the hierarchies in DIR/nist and DIR/brainpool. */
	snprintf(sub, sizeof(sub), "%s/%s", pki, curve ? curve : "nist");
	if (strlen(pki) > 4000)
		return cli_usage("--pki", "path too long");
	if (is_dir(sub)) {
		snprintf(base, 4096, "%s", sub);
		return CLI_OK;
	}
	/* a hierarchy of one curve (pki init --curve nist|brainpool): without --curve the one
	 * there; with it, only the curve asked for, which its CI's key says (a NIST identity
	 * was made from a brainpool one, and a brainpool directory refused as having none) */
	snprintf(base, 4096, "%s", pki);
	return curve ? curve_of_pki(pki, curve) : CLI_OK;
}

/* --state was given, and not empty (a script's unset variable: no directory, not "."). */
static int state_given(const char *state)
{
	if (!state)
		return cli_missing("--state");
	if (!state[0])
		return cli_usage("--state", "empty path");
	return CLI_OK;
}

static int euicc_init(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"state", required_argument, NULL, OPT_STATE},
	    {"pki", required_argument, NULL, OPT_PKI},
	    {"curve", required_argument, NULL, OPT_CURVE},
	    {"eid", required_argument, NULL, OPT_EID},
	    {"key", required_argument, NULL, OPT_KEY},
	    {"cert", required_argument, NULL, OPT_CERT},
	    {"eum-cert", required_argument, NULL, OPT_EUM_CERT},
	    {"ci-cert", required_argument, NULL, OPT_CI_CERTS},
	    {"default-dp", required_argument, NULL, OPT_DEFAULT_DP},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	const char *state = NULL, *pki = NULL, *curve = NULL, *eid = NULL, *key = NULL;
	const char *cert = NULL, *eum = NULL, *ci[ORSP_EUICC_MAX_CI] = {0}, *dp = NULL;
	char paths[4][4096 + 32], base[4096], cert_eid[40] = "";
	size_t n_ci = 0;
	bool json = false;
	init_files f = {0};
	orsp_euicc_identity id = {0};
	int c, rc;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case '?':
			return CLI_USAGE;
		case OPT_STATE:
			state = optarg;
			break;
		case OPT_PKI:
			pki = optarg;
			break;
		case OPT_CURVE:
			curve = optarg;
			break;
		case OPT_EID:
			eid = optarg;
			break;
		case OPT_KEY:
			key = optarg;
			break;
		case OPT_CERT:
			cert = optarg;
			break;
		case OPT_EUM_CERT:
			eum = optarg;
			break;
		case OPT_DEFAULT_DP:
			dp = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_CI_CERTS:
			if (n_ci == ORSP_EUICC_MAX_CI)
				return cli_usage("--ci-cert", "at most %d", ORSP_EUICC_MAX_CI);
			ci[n_ci++] = optarg;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")) != CLI_OK)
		return rc;
	if ((rc = state_given(state)) != CLI_OK)
		return rc;
	if (pki && (key || cert || eum || n_ci))
		return cli_usage("--pki", "either --pki or --key/--cert/--eum-cert/--ci-cert");
	if (!pki && curve)
		return cli_usage("--curve", "only with --pki");
	if (eid && (strlen(eid) != 32 || strspn(eid, "0123456789") != 32))
		return cli_usage("--eid", "expected 32 decimal digits");
	/* the check digits too, as a usage error naming --eid (orsp_euicc_host_create refuses
	 * them as well, as a failure) */
	if (eid && orsp_eid_check(eid) != ORSP_OK)
		return cli_usage("--eid", "wrong check digits (ISO 7064 MOD 97-10, SGP.29)");
	if (dp && dp[0] && orsp_fqdn_check(dp, strlen(dp)))
		return cli_usage("--default-dp",
		                 "%s; expected a host name (at least two labels of letters, digits "
		                 "and '-' separated by dots, the last not all digits)",
		                 orsp_err_detail());
	if (pki) {
		if ((rc = pki_paths(pki, curve, base)) != CLI_OK)
			return rc;
		snprintf(paths[0], sizeof(paths[0]), "%s/euicc/euicc_key.pem", base);
		snprintf(paths[1], sizeof(paths[1]), "%s/euicc/euicc.der", base);
		snprintf(paths[2], sizeof(paths[2]), "%s/eum/eum.der", base);
		snprintf(paths[3], sizeof(paths[3]), "%s/ci/ci.der", base);
		key = paths[0];
		cert = paths[1];
		eum = paths[2];
		ci[0] = paths[3];
		n_ci = 1;
	} else {
		/* neither form begun: the usual one named first */
		if (!key && !cert && !eum && !n_ci)
			return cli_usage("--pki",
			                 "give --pki DIR (a `openrsp pki init` directory), or "
			                 "--key, --cert, --eum-cert and --ci-cert");
		if (!key)
			return cli_missing("--key");
		if (!cert)
			return cli_missing("--cert");
		if (!eum)
			return cli_missing("--eum-cert");
		if (!n_ci)
			return cli_missing("--ci-cert");
	}
	if ((rc = read_key(key, &f.key, &f.key_len)) != CLI_OK ||
	    (rc = load_cert("--cert", cert, &f.cert, &f.cert_len, cert_eid, sizeof(cert_eid))) !=
	        CLI_OK ||
	    (rc = load_cert("--eum-cert", eum, &f.eum, &f.eum_len, NULL, 0)) != CLI_OK)
		goto out;
	for (size_t i = 0; i < n_ci; i++) {
		if ((rc = load_cert("--ci-cert", ci[i], &f.ci[i], &f.ci_len[i], NULL, 0)) != CLI_OK)
			goto out;
		f.n_ci = i + 1;
	}
	if (!eid) {
		if (strlen(cert_eid) != 32) {
			rc = cli_failf(
			    cert, "no EID (subject serialNumber) in the certificate; give --eid");
			goto out;
		}
		eid = cert_eid;
	}
	id.eid = eid;
	id.sk_euicc = orsp_slice_make(f.key, f.key_len);
	id.cert_euicc = orsp_slice_make(f.cert, f.cert_len);
	id.cert_eum = orsp_slice_make(f.eum, f.eum_len);
	for (size_t i = 0; i < f.n_ci; i++)
		id.ci_certs[i] = orsp_slice_make(f.ci[i], f.ci_len[i]);
	id.n_ci = f.n_ci;
	id.default_dp = dp;
	e = orsp_euicc_host_create(state, &id);
	if (e) {
		rc = cli_fail("euicc init", e);
		goto out;
	}
	/* said once the store is made: the identity is taken */
	warn_validity("CERT.EUICC", cert, f.cert, f.cert_len, refused_by_dp);
	warn_validity("CERT.EUM", eum, f.eum, f.eum_len, refused_by_dp);
	for (size_t i = 0; i < f.n_ci; i++)
		warn_validity("the CI certificate", ci[i], f.ci[i], f.ci_len[i], refused_under_ci);
	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_str(&j, "state", state);
		cj_str(&j, "eid", eid);
		cj_obj_end(&j);
		cj_done(&j);
	} else {
		cli_kv_str("state", state);
		cli_kv_str("eid", eid);
	}
	rc = CLI_OK;
out:
	orsp_wipe(&id, sizeof(id));
	init_files_free(&f);
	return rc;
}

/* ----- serve ----- */

/* HOST:PORT, HOST alone (the default port) or :PORT (the default host); an IPv6 address in
 * brackets, [ADDR]:PORT or [ADDR]. An IPv6 address without brackets is refused: "::1" would
 * read as host ":" port 1, and "fe80::1:2" could be either. */
static int parse_vpcd(const char *arg, char *host, size_t cap, uint16_t *port)
{
	const char *colon, *h = arg;
	size_t hl;
	uint64_t p = ORSP_VPCD_DEFAULT_PORT;

	if (arg[0] == '[') {
		const char *end = strchr(arg, ']');
		if (!end)
			return cli_usage("--vpcd", "unterminated [");
		h = arg + 1;
		hl = (size_t)(end - h);
		if (hl == 0)
			return cli_usage("--vpcd", "no address between [ and ]");
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return cli_usage("--vpcd", "expected [HOST]:PORT");
	} else {
		colon = strchr(arg, ':');
		if (colon && strchr(colon + 1, ':'))
			return cli_usage("--vpcd",
			                 "more than one ':'; an IPv6 address goes in brackets: "
			                 "[ADDR]:PORT or [ADDR]");
		hl = colon ? (size_t)(colon - arg) : strlen(arg);
	}
	if (colon && cli_uint("--vpcd", colon + 1, 1, 65535, &p) != CLI_OK)
		return CLI_USAGE;
	if (hl >= cap)
		return cli_usage("--vpcd", "host name too long");
	/* "" (a script's unset variable) is no address: refused as --state "" is */
	if (!arg[0])
		return cli_usage("--vpcd", "empty: give HOST[:PORT], or leave --vpcd out for %s",
		                 ORSP_VPCD_DEFAULT_HOST);
	if (hl == 0) {
		snprintf(host, cap, "%s", ORSP_VPCD_DEFAULT_HOST);
	} else {
		memcpy(host, h, hl);
		host[hl] = '\0';
	}
	*port = (uint16_t)p;
	return CLI_OK;
}

/* What euicc serve says once vpcd took its connection (orsp_vpcd_opts.connected). */
typedef struct serve_said {
	char eid[33];    /* 32 digits */
	char where[300]; /* vpcd's address and port, an IPv6 address in brackets */
} serve_said;

static void say_served(void *arg)
{
	const serve_said *sv = arg;
	fprintf(stderr, "openrsp euicc: EID %s served to vpcd at %s\n", sv->eid, sv->where);
}

static int euicc_serve(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"state", required_argument, NULL, OPT_STATE},
	    {"vpcd", required_argument, NULL, OPT_VPCD},
	    {"trace", no_argument, NULL, OPT_TRACE},
	    {NULL, 0, NULL, 0},
	};
	const char *state = NULL, *vpcd = NULL;
	char host[256];
	orsp_vpcd_opts vo = {0};
	serve_said sv;
	orsp_euicc_host *h = NULL;
	volatile sig_atomic_t *serve_stop;
	int c, rc;
	orsp_err e;

	/* it reads no KEK and starts no process: ORSP_KEK, should it be set, is not kept for
	 * the life of the server (docs/crypto.md) */
	orsp_kek_env_wipe();
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_STATE)
			state = optarg;
		else if (c == OPT_VPCD)
			vpcd = optarg;
		else if (c == OPT_TRACE)
			vo.trace = true;
		else
			return cli_usage(argv[optind - 1], "unexpected option");
	}
	if ((rc = cli_positional(argc, argv, 0, "")) != CLI_OK)
		return rc;
	if ((rc = state_given(state)) != CLI_OK)
		return rc;
	snprintf(host, sizeof(host), "%s", ORSP_VPCD_DEFAULT_HOST);
	vo.port = ORSP_VPCD_DEFAULT_PORT;
	if (vpcd && (rc = parse_vpcd(vpcd, host, sizeof(host), &vo.port)) != CLI_OK)
		return rc;
	vo.host = host;
	if ((e = orsp_euicc_host_open(state, &h)) != ORSP_OK)
		return cli_fail("euicc", e);
	serve_stop = cli_stop_on_signals();
	bool v6 = strchr(host, ':') != NULL;
	snprintf(sv.eid, sizeof(sv.eid), "%s", orsp_euicc_eid(orsp_euicc_host_core(h)));
	snprintf(sv.where, sizeof(sv.where), "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
	         (unsigned)vo.port);
	/* "served" only once vpcd took the connection: said before it, the line stood above
	 * vpcd's "Connection refused; retrying" (review find) */
	fprintf(stderr,
	        "openrsp euicc: EID %s: connecting to vpcd at %s (SIGINT/SIGTERM/SIGHUP stop)\n",
	        sv.eid, sv.where);
	vo.connected = say_served;
	vo.connected_arg = &sv;
	e = orsp_vpcd_serve_opts(&vo, orsp_euicc_host_apdu(h), serve_stop);
	fprintf(stderr, "openrsp euicc: stopped\n");
	orsp_euicc_host_close(h);
	if (e)
		return cli_fail("vpcd", e);
	return CLI_OK;
}

/* ----- info ----- */

static const char *class_name(int c)
{
	/* SGP.22 §2.4.2 ProfileClass: test(0), provisioning(1), operational(2). */
	switch (c) {
	case 0:
		return "test";
	case 1:
		return "provisioning";
	case 2:
		return "operational";
	default:
		return "unknown";
	}
}

static int euicc_info(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"state", required_argument, NULL, OPT_STATE},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	const char *state = NULL;
	bool json = false;
	orsp_euicc_host *h = NULL;
	orsp_euicc *core;
	size_t n;
	int c, rc = CLI_OK;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_STATE)
			state = optarg;
		else if (c == OPT_JSON)
			json = true;
		else
			return cli_usage(argv[optind - 1], "unexpected option");
	}
	if ((rc = cli_positional(argc, argv, 0, "")) != CLI_OK)
		return rc;
	if ((rc = state_given(state)) != CLI_OK)
		return rc;
	if ((e = orsp_euicc_host_open(state, &h)) != ORSP_OK)
		return cli_fail("euicc", e);
	core = orsp_euicc_host_core(h);
	n = orsp_euicc_profile_count(core);
	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_str(&j, "eid", orsp_euicc_eid(core));
		cj_arr_begin(&j, "profiles");
		for (size_t i = 0; i < n; i++) {
			orsp_euicc_profile_info p;
			if ((e = orsp_euicc_profile_get(core, i, &p)) != ORSP_OK) {
				rc = cli_fail("profile", e);
				break;
			}
			cj_obj_begin(&j, NULL);
			cj_str(&j, "iccid", p.iccid);
			cj_hex(&j, "aid", p.aid, p.aid_len);
			cj_str(&j, "state", p.enabled ? "enabled" : "disabled");
			cj_str(&j, "name", p.name);
			cj_str(&j, "spn", p.spn);
			cj_str(&j, "nickname", p.nickname);
			cj_str(&j, "class", class_name(p.profile_class));
			cj_str(&j, "smdp_address", p.smdp_address);
			cj_obj_end(&j);
		}
		cj_arr_end(&j);
		cj_u64(&j, "notifications", orsp_euicc_notification_count(core));
		cj_obj_end(&j);
		cj_done(&j);
	} else {
		/* the values in one column, after the longest name ("notifications:") */
		printf("%-15s%s\n", "eid:", orsp_euicc_eid(core));
		printf("%-15s%zu\n", "profiles:", n);
		for (size_t i = 0; i < n; i++) {
			orsp_euicc_profile_info p;
			char aid[2 * sizeof(p.aid) + 1], name[4 * sizeof(p.name)];
			if ((e = orsp_euicc_profile_get(core, i, &p)) != ORSP_OK) {
				rc = cli_fail("profile", e);
				break;
			}
			for (size_t k = 0; k < p.aid_len && k < sizeof(p.aid); k++)
				snprintf(aid + 2 * k, 3, "%02x", p.aid[k]);
			aid[2 * (p.aid_len < sizeof(p.aid) ? p.aid_len : sizeof(p.aid))] = '\0';
			/* the name is the SM-DP+'s (its StoreMetadata): UTF-8 that may hold
			 * control characters, each shown as '?' (they went to the terminal) */
			orsp_utf8_printable((const uint8_t *)p.name,
			                    strnlen(p.name, sizeof(p.name)), name, sizeof(name));
			printf("  %s  %s  %-8s  %-12s  %s\n", p.iccid, aid,
			       p.enabled ? "enabled" : "disabled", class_name(p.profile_class),
			       name);
		}
		printf("%-15s%zu\n", "notifications:", orsp_euicc_notification_count(core));
	}
	orsp_euicc_host_close(h);
	return rc;
}

static const cli_cmd euicc_cmds[] = {
    {
        .verb = "init",
        .summary = "Create a sealed eUICC directory and provision its identity",
        .synopsis = "--state DIR (--pki DIR [--curve nist|brainpool] |\n"
                    "       --key PEM --cert CERT --eum-cert CERT --ci-cert CERT...)\n"
                    "       [--eid EID] [--default-dp ADDR] [--json]",
        .help = "Creates DIR (0700) with a new random device key (device.key, 0600) and seals\n"
                "the eUICC identity into it: EID, SK.EUICC.ECDSA, CERT.EUICC, CERT.EUM and the\n"
                "trusted CI certificates. Refuses a directory that holds an eUICC already.\n"
                "Every file is judged first (the key belongs to the certificate, the chain\n"
                "verifies to a CI, the EID is the certificate's): a bad one leaves DIR as it\n"
                "was, not created, not written in. A certificate outside its validity period\n"
                "by this host's clock is taken, with a warning on stderr naming it, its\n"
                "notBefore, notAfter and the time now (UTC): an SM-DP+ refuses every download\n"
                "to an eUICC whose CERT.EUICC or CERT.EUM is outside its period.\n\n"
                "The device key and the anti-rollback counter are files in DIR (the file\n"
                "provider): whoever can read DIR's files gets every profile's K and OPc and\n"
                "can clone the eUICC (same EID and SK.EUICC); whoever can write them can put\n"
                "a whole older copy of DIR back undetected (a partial rollback is detected).\n"
                "For lab and test use: `openrsp euicc` has no provider that keeps them in\n"
                "hardware (docs/seal.md).\n\n"
                "options:\n" STATE_HELP
                "  --pki DIR            a directory made by `openrsp pki init`: takes\n"
                "                       euicc/euicc_key.pem, euicc/euicc.der, eum/eum.der,\n"
                "                       ci/ci.der\n"
                "                       (under DIR/<curve>/ when made with --curve both)\n"
                "  --curve nist|brainpool  which hierarchy of --pki (default nist)\n"
                "  --key PEM            SK.EUICC.ECDSA (PKCS#8 or SEC1 PEM, or DER)\n"
                "  --cert CERT          CERT.EUICC.ECDSA (DER or PEM)\n"
                "  --eum-cert CERT      CERT.EUM.ECDSA\n"
                "  --ci-cert CERT       a trusted CI certificate (repeat, up to 4)\n"
                "  --eid EID            32 digits with valid check digits (default: the\n"
                "                       certificate's serialNumber)\n"
                "  --default-dp ADDR    the default SM-DP+ address\n"
                "  --json               one JSON object (state, eid)\n",
        .run = euicc_init,
    },
    {
        .verb = "serve",
        .summary = "Serve the eUICC as a PC/SC card through vsmartcard's vpcd",
        .synopsis = "--state DIR [--vpcd HOST:PORT] [--trace]",
        .help = "Connects to vpcd (pcscd's virtual reader driver) and answers APDUs until\n"
                "SIGINT, SIGTERM or SIGHUP; reconnects with backoff when vpcd goes away.\n"
                "State changes (profile download, enable, delete, SQN) are committed to DIR\n"
                "as they happen. DIR holds its own device key and counter: whoever can read\n"
                "its files can clone the eUICC, profiles' K and OPc included; whoever can\n"
                "write them can roll it back whole undetected (a partial rollback is\n"
                "detected). For lab and test use (docs/seal.md).\n\n"
                "options:\n" STATE_HELP
                "  --vpcd HOST:PORT     vpcd's address (default 127.0.0.1:35963); HOST alone\n"
                "                       takes port 35963, :PORT host 127.0.0.1; an IPv6 address\n"
                "                       in brackets: [::1]:35963 or [::1]\n"
                "  --trace              print every APDU in hex on stderr (it shows whole ES10\n"
                "                       requests, profile packages included: lab use only;\n"
                "                       AUTHENTICATE's keys and PIN values are left out)\n",
        .run = euicc_serve,
    },
    {
        .verb = "info",
        .summary = "Show the EID, profiles and pending notifications (never a key)",
        .synopsis = "--state DIR [--json]",
        .help = "options:\n" STATE_HELP
                "  --json               one JSON object: eid, profiles[{iccid, aid, state, name,\n"
                "                       spn, nickname, class, smdp_address}], notifications\n",
        .run = euicc_info,
    },
    {NULL, NULL, NULL, NULL, NULL},
};

const cli_noun cli_noun_euicc = {
    .name = "euicc",
    .summary = "Software eUICC: provision a sealed directory, serve via vpcd, inspect",
    .cmds = euicc_cmds,
};
