/* `openrsp lpa`: the device agent (SGP.22 LPAd) — chip information, profile download and
 * management, notifications — against the local software eUICC or a card in a PC/SC reader.
 * docs/lpa.md is the user guide. Output: readable text, or with --json one lpac-like object
 * per line: {"type":"lpa","payload":{"code":0,"message":"success","data":...}} and, during a
 * download, {"type":"progress","payload":{"code":0,"message":STEP,"data":WHAT}}. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "openrsp/lpa.h"
#include "openrsp/pkg.h"

enum {
	OPT_EUICC = CLI_OPT_CMD,
	OPT_JSON,
	OPT_AC,
	OPT_CC,
	OPT_SERVER_URL,
	OPT_CA,
	OPT_INSECURE,
	OPT_ASK,
	OPT_ACCEPT_PPR,
	OPT_TIMEOUT,
	OPT_OPERATIONAL,
	OPT_TEST,
	OPT_DEFAULT_SMDP,
	OPT_YES,
	OPT_ADDRESS,
};

#define EUICC_HELP                                                                                 \
	"  --euicc SPEC         the eUICC: local:DIR (the software eUICC of\n"                     \
	"                       `openrsp euicc`) or pcsc[:READER] (a card in a PC/SC\n"            \
	"                       reader: READER is an index or part of the reader's name;\n"        \
	"                       default the first reader).\n"                                      \
	"                       Default: $ORSP_LPA_EUICC\n"                                        \
	"  --json               lpac-like JSON objects on stdout instead of text\n"
#define SERVER_HELP                                                                                \
	"  --server-url URL     reach the SM-DP+ at URL (e.g. https://127.0.0.1:8443)\n"           \
	"                       instead of https://<address>; its TLS certificate must\n"          \
	"                       still name the address. http:// (no TLS) only with\n"              \
	"                       --insecure\n"                                                      \
	"  --ca FILE            trusted CA certificates (PEM) for the SM-DP+ TLS\n"                \
	"                       certificate (the GSMA CI, or a test CI).\n"                        \
	"                       Default: $ORSP_LPA_CA\n"                                           \
	"  --insecure           do not verify the SM-DP+ TLS certificate, allow an\n"              \
	"                       http:// URL (labs only; warned)\n"                                 \
	"  --timeout SEC        per-request timeout, 1..600 (default 60)\n"

typedef struct lpa_opts {
	const char *euicc;
	bool euicc_given, ca_given; /* on the command line, not from the environment */
	bool json;
	const char *ac, *server_url, *ca;
	const char *cc; /* cc_buf when given; wiped after use */
	char cc_buf[CLI_SECRET_STR_MAX + 1];
	bool insecure, ask;
	uint32_t accept_ppr; /* --accept-ppr: PPRs consented to beforehand */
	unsigned timeout_ms;
	unsigned reset; /* chip reset: ORSP_LPA_RESET_* */
	bool yes;
	const char *address; /* notification remove --address */
} lpa_opts;

typedef struct lpa_session {
	orsp_lpa_transport t;
	orsp_lpa_card c;
	bool t_open, c_open;
} lpa_session;

static const struct option common_opts[] = {
    {"euicc", required_argument, NULL, OPT_EUICC},
    {"json", no_argument, NULL, OPT_JSON},
    {"ac", required_argument, NULL, OPT_AC},
    {"activation-code", required_argument, NULL, OPT_AC},
    {"cc", required_argument, NULL, OPT_CC},
    {"confirmation-code", required_argument, NULL, OPT_CC},
    {"server-url", required_argument, NULL, OPT_SERVER_URL},
    {"ca", required_argument, NULL, OPT_CA},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"ask", no_argument, NULL, OPT_ASK},
    {"accept-ppr", required_argument, NULL, OPT_ACCEPT_PPR},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"operational", no_argument, NULL, OPT_OPERATIONAL},
    {"test", no_argument, NULL, OPT_TEST},
    {"default-smdp", no_argument, NULL, OPT_DEFAULT_SMDP},
    {"yes", no_argument, NULL, OPT_YES},
    {"address", required_argument, NULL, OPT_ADDRESS},
    {NULL, 0, NULL, 0},
};

/* --accept-ppr LIST: ppr1, ppr2, ppr3 separated by commas, each once at most (PprIds bits
 * 1-3: name i is bit i + 1). */
static int parse_accept_ppr(const char *arg, uint32_t *out)
{
	static const char *const names[] = {"ppr1", "ppr2", "ppr3"};
	uint32_t set = 0;

	*out = 0;
	if (orsp_name_set_parse(arg, names, ORSP_ARRAY_LEN(names), &set)) {
		orsp_err_clear();
		return cli_usage("--accept-ppr",
		                 "expected ppr1, ppr2 or ppr3, separated by commas (got \"%s\")",
		                 arg);
	}
	*out = set << 1;
	return CLI_OK;
}

/* Whether an http:// or https:// URL names a host: "https://" alone made
 * https:///gsma/rsp2/..., a request to the host "gsma". */
static bool url_has_host(const char *url)
{
	const char *h = url + strcspn(url, ":") + 3;
	/* nor "https://:8443", "https://?x" or "https://#x": the authority's host is empty */
	return *h && !strchr("/:?#", *h);
}

/* Options of the sub-verb: -a/-c are the short forms lpac users know. `allowed` lists the
 * option values this sub-verb takes. */
static int parse_opts_read(int argc, char **argv, lpa_opts *o, const int *allowed)
{
	/* -a and -c: --ac and --cc where an option stands (getopt's own short options; they were
	 * rewritten wherever they were, another option's value included) */
	static const cli_short shorts[] = {{'a', OPT_AC}, {'c', OPT_CC}, {0, 0}};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = cli_getopt_short(argc, argv, common_opts, shorts)) != -1) {
		bool ok = false;
		uint64_t v;
		if (c == '?')
			return CLI_USAGE;
		for (const int *a = allowed; *a; a++)
			ok = ok || *a == c;
		if (!ok && c != OPT_EUICC && c != OPT_JSON) {
			const char *name = "?";
			for (const struct option *x = common_opts; x->name; x++)
				if (x->val == c) {
					name = x->name;
					break;
				}
			return cli_usage(argv[0], "--%s is not an option of this command", name);
		}
		switch (c) {
		case OPT_EUICC:
			o->euicc = optarg;
			o->euicc_given = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_AC:
			o->ac = optarg;
			break;
		case OPT_CC: /* off the command line once read, as K and OPc are */
			if (cli_secret_str("--cc", optarg, o->cc_buf, sizeof(o->cc_buf), &o->cc) !=
			    CLI_OK)
				return CLI_USAGE;
			/* a script's unset variable, or Enter at the prompt: its hash would be sent
			 * as a wrong code, each one using up a try of the order's */
			if (!o->cc[0])
				return cli_usage("--cc",
				                 "empty: give the confirmation code you were "
				                 "given");
			break;
		case OPT_SERVER_URL:
			if (strncmp(optarg, "https://", 8) && strncmp(optarg, "http://", 7))
				return cli_usage("--server-url", "give an http:// or https:// URL");
			if (!url_has_host(optarg))
				return cli_usage("--server-url", "no host after the scheme");
			/* never cut: refused before the eUICC is opened */
			if (strlen(optarg) > ORSP_LPA_URL_MAX)
				return cli_usage("--server-url", "%zu characters, at most %d",
				                 strlen(optarg), ORSP_LPA_URL_MAX);
			o->server_url = optarg;
			break;
		case OPT_CA: /* "" (an unset variable) would fail only at the first TLS handshake */
			if (!optarg[0])
				return cli_usage("--ca", "empty path");
			o->ca = optarg;
			o->ca_given = true;
			break;
		case OPT_INSECURE:
			o->insecure = true;
			break;
		case OPT_ASK:
			o->ask = true;
			break;
		case OPT_ACCEPT_PPR:
			if (parse_accept_ppr(optarg, &o->accept_ppr))
				return CLI_USAGE;
			break;
		case OPT_TIMEOUT:
			if (cli_uint("--timeout", optarg, 1, 600, &v))
				return CLI_USAGE;
			o->timeout_ms = (unsigned)v * 1000u;
			break;
		case OPT_OPERATIONAL:
			o->reset |= ORSP_LPA_RESET_OPERATIONAL;
			break;
		case OPT_TEST:
			o->reset |= ORSP_LPA_RESET_TEST;
			break;
		case OPT_DEFAULT_SMDP:
			o->reset |= ORSP_LPA_RESET_DEFAULT_DP;
			break;
		case OPT_YES:
			o->yes = true;
			break;
		case OPT_ADDRESS: /* "" (an unset variable) would match no notification */
			if (!optarg[0])
				return cli_usage("--address", "empty: give the SM-DP+ address");
			if (strlen(optarg) >= sizeof(((orsp_lpa_notification *)0)->address))
				return cli_usage("--address", "%zu characters, at most %zu",
				                 strlen(optarg),
				                 sizeof(((orsp_lpa_notification *)0)->address) - 1);
			o->address = optarg;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	/* plain HTTP authenticates no server and hides nothing: as insecure as --insecure */
	if (o->server_url && !strncmp(o->server_url, "http://", 7) && !o->insecure)
		return cli_usage("--server-url",
		                 "http:// has no TLS (the SM-DP+ is not authenticated, "
		                 "the exchange is in clear): use https://, or add "
		                 "--insecure (labs only)");
	if (!o->euicc)
		o->euicc = getenv("ORSP_LPA_EUICC");
	if (!o->ca)
		o->ca = getenv("ORSP_LPA_CA");
	if (o->ca && !o->ca[0]) /* an empty ORSP_LPA_CA counts as unset */
		o->ca = NULL;
	if (!o->euicc || !o->euicc[0])
		return cli_usage("--euicc", "say which eUICC: local:DIR or pcsc[:READER] (or set "
		                            "ORSP_LPA_EUICC)");
	if (strncmp(o->euicc, "local:", 6) && strcmp(o->euicc, "pcsc") &&
	    strncmp(o->euicc, "pcsc:", 5))
		return cli_usage("--euicc", "expected local:DIR or pcsc[:READER]");
	if (!strcmp(o->euicc, "local:"))
		return cli_usage("--euicc", "local: needs a directory");
	return CLI_OK;
}

/* parse_opts_read, the confirmation code overwritten in argv on every path: one read is
 * overwritten then, and the others, not read because the options stop at an error or -h,
 * before the error is said (cli_usage) or the help printed. */
static const int cc_opt[] = {OPT_CC, 0}; /* the secret options (cli_secret_guard) */

static int parse_opts(int argc, char **argv, lpa_opts *o, const int *allowed)
{
	cli_secret_guard(argc, argv, common_opts, cc_opt, "c");
	return cli_secret_guard_end(parse_opts_read(argc, argv, o, allowed));
}

/* The UICCCapability name of bit b, or "bitN" for one SGP.22 has not named (in buf). */
static const char *cap_name(unsigned b, char *buf)
{
	const char *n = orsp_uicc_capability_name(b);
	if (n)
		return n;
	snprintf(buf, 16, "bit%u", b);
	return buf;
}

/* ----- output ----- */

static void json_fail(const lpa_opts *o, const char *what)
{
	cli_json j = {0};
	if (!o->json)
		return;
	cj_obj_begin(&j, NULL);
	cj_str(&j, "type", "lpa");
	cj_obj_begin(&j, "payload");
	cj_i64(&j, "code", -1);
	cj_str(&j, "message", what);
	cj_str(&j, "data", orsp_err_detail());
	cj_obj_end(&j);
	cj_obj_end(&j);
	cj_done(&j);
}

static void with_again(const lpa_opts *o, const char *detail, char *out, size_t cap);

static int fail(const lpa_opts *o, const char *what, orsp_err e)
{
	/* the commands the library's messages name carry this command's options too */
	char d[ORSP_ERR_DETAIL_MAX];
	with_again(o, orsp_err_detail(), d, sizeof(d));
	if (strcmp(d, orsp_err_detail()) != 0)
		(void)orsp_errf(e, "%s", d);
	json_fail(o, what);
	return cli_fail(what, e);
}

/* Opens the payload of a success object; the caller writes "data" and calls json_end. */
static void json_begin(cli_json *j)
{
	cj_obj_begin(j, NULL);
	cj_str(j, "type", "lpa");
	cj_obj_begin(j, "payload");
	cj_i64(j, "code", 0);
	cj_str(j, "message", "success");
}

static void json_end(cli_json *j)
{
	cj_obj_end(j);
	cj_obj_end(j);
	cj_done(j);
}

static void json_ok_null(const lpa_opts *o)
{
	cli_json j = {0};
	if (!o->json)
		return;
	json_begin(&j);
	cj_null(&j, "data");
	json_end(&j);
}

/* " --NAME VALUE" (VALUE a shell word; NULL: " --NAME" alone) added at buf[*n] (cap in all);
 * false when it does not fit. */
static bool add_opt(char *buf, size_t cap, size_t *n, const char *name, const char *value)
{
	char w[4 * PATH_MAX + 3]; /* a value as a shell word: each ' is four */
	int k;

	if (value && !cli_shell_word(value, w, sizeof(w)))
		return false;
	k = snprintf(buf + *n, cap - *n, " --%s%s%s", name, value ? " " : "", value ? w : "");
	if (k < 0 || (size_t)k >= cap - *n)
		return false;
	*n += (size_t)k;
	return true;
}

/* The options of this command that a command printed as a next step needs, for pasting
 * it as printed (it failed with exit 2 without --euicc; review find), each after a space:
 * the --euicc given, and with server also the --server-url, --ca and --insecure given. What
 * came from ORSP_LPA_EUICC or ORSP_LPA_CA is left out: the pasted command reads it too.
 * With server but no CA at all (a profile change or chip reset, which take no --ca, without
 * ORSP_LPA_CA) `--ca FILE`, to be filled in: notification process sends nothing without one
 * (until session 76 the command was printed without it, and failed as printed).
 * Nothing secret is among them (-c is not); a URL with a userinfo, a password perhaps, is
 * shown as URL. Values as shell words; "" when one does not fit. */
static const char *again(const lpa_opts *o, bool server, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	if (o->euicc_given && !add_opt(buf, cap, &n, "euicc", o->euicc))
		return "";
	if (server && o->server_url) {
		const char *auth = strstr(o->server_url, "//") + 2;
		bool user = memchr(auth, '@', strcspn(auth, "/?#")) != NULL;
		if (!add_opt(buf, cap, &n, "server-url", user ? "URL" : o->server_url))
			return "";
	}
	if (server && o->ca_given && !add_opt(buf, cap, &n, "ca", o->ca))
		return "";
	if (server && !o->ca && !o->insecure && !add_opt(buf, cap, &n, "ca", "FILE"))
		return "";
	if (server && o->insecure && !add_opt(buf, cap, &n, "insecure", NULL))
		return "";
	return buf;
}

/* again()'s buffer: --euicc, --server-url and --ca as shell words, with their names */
#define AGAIN_MAX (3 * (4 * PATH_MAX + 16))

/* detail into out[cap] with again()'s options inside each command it names in backticks
 * (`openrsp lpa notification process`, `openrsp lpa chip default-smdp ADDRESS`, ...: the
 * library's messages, which know none of this command's options), before the closing
 * backtick; `notification process` with the server's options too. detail as it is when the
 * result does not fit. (Review find: such a command, pasted, failed with exit 2.) */
static void with_again(const lpa_opts *o, const char *detail, char *out, size_t cap)
{
	static const char cmd[] = "`openrsp lpa ", process[] = "`openrsp lpa notification process";
	const char *p = detail, *c, *end;
	size_t n = 0;

	out[0] = '\0';
	if (!detail)
		return;
	while ((c = strstr(p, cmd)) && (end = strchr(c + 1, '`'))) {
		char opt[AGAIN_MAX];
		bool server = strncmp(c, process, sizeof(process) - 1) == 0;
		const char *a = again(o, server, opt, sizeof(opt));
		int k = snprintf(out + n, cap - n, "%.*s%s`", (int)(end - p), p, a);
		if (k < 0 || (size_t)k >= cap - n)
			goto as_is;
		n += (size_t)k;
		p = end + 1;
	}
	if ((size_t)snprintf(out + n, cap - n, "%s", p) < cap - n)
		return;
as_is:
	snprintf(out, cap, "%s", detail);
}

/* ----- the eUICC ----- */

static int open_euicc(const lpa_opts *o, lpa_session *s)
{
	orsp_err e;

	memset(s, 0, sizeof(*s));
	if (!strncmp(o->euicc, "local:", 6))
		e = orsp_lpa_transport_local(o->euicc + 6, &s->t);
	else
		e = orsp_lpa_transport_pcsc(o->euicc[4] == ':' ? o->euicc + 5 : NULL, &s->t);
	if (e)
		return fail(o, "eUICC", e);
	s->t_open = true;
	if ((e = orsp_lpa_card_open(&s->c, &s->t))) {
		orsp_lpa_transport_close(&s->t);
		s->t_open = false;
		return fail(o, "eUICC", e);
	}
	s->c_open = true;
	return CLI_OK;
}

static void close_euicc(lpa_session *s)
{
	if (s->c_open)
		orsp_lpa_card_close(&s->c);
	if (s->t_open)
		orsp_lpa_transport_close(&s->t);
	s->c_open = s->t_open = false;
}

static void server_of(const lpa_opts *o, orsp_lpa_server *sv)
{
	memset(sv, 0, sizeof(*sv));
	sv->base_url = o->server_url;
	sv->ca_file = o->ca;
	sv->insecure = o->insecure;
	/* one warning, the one below in the user's terms, not the http module's as well */
	sv->insecure_warned = o->insecure;
	sv->timeout_ms = o->timeout_ms;
	if (o->insecure && o->server_url && !strncmp(o->server_url, "http://", 7))
		fprintf(stderr,
		        "openrsp: WARNING: --insecure: http:// has no TLS; anyone on the path "
		        "can read the exchange and impersonate the server\n");
	else if (o->insecure)
		fprintf(stderr, "openrsp: WARNING: --insecure: the SM-DP+ TLS certificate is NOT "
		                "verified; anyone on the path can impersonate the server\n");
}

static const char *class_str(int c)
{
	return c == 0 ? "test" : c == 1 ? "provisioning" : c == 2 ? "operational" : "unknown";
}

static const char *state_str(const orsp_lpa_profile *p)
{
	return p->state_unknown ? "unknown" : p->enabled ? "enabled" : "disabled";
}

/* ----- chip ----- */

static void kv(const char *name, const char *value)
{
	printf("%-24s %s\n", name, value);
}

static int chip_info(int argc, char **argv)
{
	static const int allowed[] = {0};
	lpa_opts o;
	lpa_session s;
	char eid[33], dp[256], ds[256], hex[41];
	orsp_lpa_info2 i;
	orsp_err e;
	int rc;

	if ((rc = parse_opts(argc, argv, &o, allowed)) || (rc = cli_positional(argc, argv, 0, "")))
		return rc;
	if ((rc = open_euicc(&o, &s)))
		return rc;
	if ((e = orsp_lpa_get_eid(&s.c, eid)) || (e = orsp_lpa_addresses(&s.c, dp, ds)) ||
	    (e = orsp_lpa_euicc_info2(&s.c, &i))) {
		rc = fail(&o, "chip info", e);
		goto out;
	}
	if (o.json) {
		cli_json j = {0};
		json_begin(&j);
		cj_obj_begin(&j, "data");
		cj_str(&j, "eidValue", eid);
		cj_obj_begin(&j, "EuiccConfiguredAddresses");
		if (dp[0])
			cj_str(&j, "defaultDpAddress", dp);
		else
			cj_null(&j, "defaultDpAddress");
		cj_str(&j, "rootDsAddress", ds);
		cj_obj_end(&j);
		cj_obj_begin(&j, "EUICCInfo2");
		cj_str(&j, "profileVersion", i.profile_version);
		cj_str(&j, "svn", i.svn);
		cj_str(&j, "euiccFirmwareVer", i.firmware);
		if (i.has_resources) {
			cj_obj_begin(&j, "extCardResource");
			cj_u64(&j, "installedApplication", i.installed_apps);
			cj_u64(&j, "freeNonVolatileMemory", i.free_nvm);
			cj_u64(&j, "freeVolatileMemory", i.free_ram);
			cj_obj_end(&j);
		}
		cj_arr_begin(&j, "euiccCiPKIdListForVerification");
		for (size_t k = 0; k < i.n_ci_verify; k++)
			cj_hex(&j, NULL, i.ci_verify[k], 20);
		cj_arr_end(&j);
		cj_arr_begin(&j, "euiccCiPKIdListForSigning");
		for (size_t k = 0; k < i.n_ci_sign; k++)
			cj_hex(&j, NULL, i.ci_sign[k], 20);
		cj_arr_end(&j);
		/* identifiers past the first ORSP_LPA_MAX_CI of either list: how many */
		if (i.more_ci_verify || i.more_ci_sign) {
			cj_u64(&j, "euiccCiPKIdsNotShownForVerification", i.more_ci_verify);
			cj_u64(&j, "euiccCiPKIdsNotShownForSigning", i.more_ci_sign);
		}
		cj_str(&j, "sasAcreditationNumber", i.sas);
		cj_arr_begin(&j, "uiccCapability");
		for (unsigned b = 0; b < i.uicc_cap_bits; b++)
			if (i.uicc_caps >> b & 1)
				cj_str(&j, NULL, cap_name(b, hex));
		cj_arr_end(&j);
		cj_obj_end(&j);
		cj_obj_end(&j);
		json_end(&j);
	} else {
		kv("EID:", eid);
		kv("default SM-DP+:", dp[0] ? dp : "(none)");
		kv("root SM-DS:", ds);
		kv("SGP.22 version:", i.svn);
		kv("profile package:", i.profile_version);
		kv("firmware:", i.firmware);
		if (i.has_resources) {
			char b[32];
			snprintf(b, sizeof(b), "%" PRIu64 " bytes", i.free_nvm);
			kv("free memory:", b);
		}
		/* both lists: the one for verification (the SM-DP+s the eUICC trusts), and the
		 * one for signing (its own EUM chain's CI, which picks the SM-DP+'s key set); the
		 * second was left out until the session 71 device walkthrough */
		for (int l = 0; l < 2; l++) {
			const char *label = l ? "signing CI (key id):" : "trusted CI (key id):";
			size_t n = l ? i.n_ci_sign : i.n_ci_verify;
			size_t more = l ? i.more_ci_sign : i.more_ci_verify;
			for (size_t k = 0; k < n; k++)
				if (!orsp_hex_encode(l ? i.ci_sign[k] : i.ci_verify[k], 20, hex,
				                     sizeof(hex)))
					kv(label, hex);
			if (more) {
				char b[48];
				snprintf(b, sizeof(b), "%zu more, not shown", more);
				kv(label, b);
			}
		}
		if (i.sas[0])
			kv("SAS accreditation:", i.sas);
		{
			char caps[768] = "";
			size_t used = 0;
			for (unsigned b = 0; b < i.uicc_cap_bits; b++)
				if (i.uicc_caps >> b & 1 && used < sizeof(caps))
					used += (size_t)snprintf(caps + used, sizeof(caps) - used,
					                         "%s%s", used ? " " : "",
					                         cap_name(b, hex));
			kv("capabilities:", caps[0] ? caps : "(none)");
		}
	}
out:
	close_euicc(&s);
	return rc;
}

/* chip default-smdp ADDRESS: SetDefaultDpAddress ("" removes it). */
static int chip_default_smdp(int argc, char **argv)
{
	static const int allowed[] = {0};
	lpa_opts o;
	lpa_session s;
	orsp_err e;
	int rc;

	if ((rc = parse_opts(argc, argv, &o, allowed)) ||
	    (rc = cli_positional(argc, argv, 1, "ADDRESS")))
		return rc;
	/* a bad address is the command line's fault: said before the eUICC is opened */
	if (argv[optind][0] && !orsp_lpa_address_ok(argv[optind]))
		return cli_usage("ADDRESS",
		                 "%s; expected " ORSP_LPA_ADDRESS_RULE ", or \"\" to remove it",
		                 orsp_err_detail());
	if ((rc = open_euicc(&o, &s)))
		return rc;
	e = orsp_lpa_set_default_dp(&s.c, argv[optind]);
	if (e)
		rc = fail(&o, "chip default-smdp", e);
	else if (o.json)
		json_ok_null(&o);
	else if (argv[optind][0])
		printf("default SM-DP+ address is now %s\n", argv[optind]);
	else
		printf("default SM-DP+ address removed\n");
	close_euicc(&s);
	return rc;
}

/* How many notifications the eUICC keeps (false when it cannot say). */
static bool pending_notifications(orsp_lpa_card *c, size_t *n)
{
	bool ok = orsp_lpa_notification_count(c, n) == ORSP_OK;

	orsp_err_clear();
	return ok;
}

/* The notifications an operation left on the eUICC: *added, the pending ones after it less
 * `before` (read before it when counted). false when that is unknown: not counted, not
 * readable now, or the list full with none added (an eUICC may drop old ones for new ones). */
static bool notifications_added(orsp_lpa_card *c, bool counted, size_t before, size_t *added)
{
	size_t after = 0;

	if (!counted || !pending_notifications(c, &after) ||
	    (after <= before && after >= ORSP_LPA_MAX_NOTIFICATIONS))
		return false;
	*added = after > before ? after - before : 0;
	return true;
}

/* chip reset: eUICCMemoryReset of what the options name, only with --yes (profiles are
 * deleted whatever their state and policy rules; nothing brings them back). */
static int chip_reset(int argc, char **argv)
{
	static const int allowed[] = {OPT_OPERATIONAL, OPT_TEST, OPT_DEFAULT_SMDP, OPT_YES, 0};
	lpa_opts o;
	lpa_session s;
	char opt[AGAIN_MAX];
	size_t before = 0, n = 0;
	bool counted, known;
	orsp_err e;
	int rc;

	if ((rc = parse_opts(argc, argv, &o, allowed)) || (rc = cli_positional(argc, argv, 0, "")))
		return rc;
	if (!o.reset)
		return cli_usage("chip reset", "say what to reset: --operational (delete the "
		                               "operational profiles), --test (the test profiles "
		                               "loaded in the field), --default-smdp (the default "
		                               "SM-DP+ address back to its initial value)");
	if (!o.yes)
		return cli_usage("--yes", "chip reset deletes profiles whatever their state and "
		                          "policy rules, for good: give --yes to go ahead");
	if ((rc = open_euicc(&o, &s)))
		return rc;
	/* the delete notifications the reset leaves: the pending ones counted before and after
	 * (a profile deleted may ask for none; nothing may be deleted at all) */
	counted = !o.json && o.reset & (ORSP_LPA_RESET_OPERATIONAL | ORSP_LPA_RESET_TEST) &&
	          pending_notifications(&s.c, &before);
	e = orsp_lpa_memory_reset(&s.c, o.reset);
	if (e == ORSP_E_NOT_FOUND) { /* nothingToDelete: the requested state holds already */
		orsp_err_clear();
		if (o.json)
			json_ok_null(&o);
		else if (o.reset & ORSP_LPA_RESET_DEFAULT_DP)
			/* no profile deleted, the address reset: for resetDefaultSmdpAddress both
			 * ok and nothingToDelete are success (SGP.22 §5.7.19) */
			printf("reset done\n");
		else
			printf("nothing to reset\n");
	} else if (e) {
		rc = fail(&o, "chip reset", e);
	} else if (o.json) {
		json_ok_null(&o);
	} else if ((known = notifications_added(&s.c, counted, before, &n)) && n) {
		printf("reset done; %zu delete notification%s for the operators %s pending "
		       "(`openrsp lpa notification process%s` sends %s)\n",
		       n, n == 1 ? "" : "s", n == 1 ? "is" : "are",
		       again(&o, true, opt, sizeof(opt)), n == 1 ? "it" : "them");
	} else if (known) {
		printf("reset done\n");
	} else {
		if (o.reset & (ORSP_LPA_RESET_OPERATIONAL | ORSP_LPA_RESET_TEST))
			printf("reset done; the operators' delete notifications may be pending "
			       "(`openrsp lpa notification list%s` shows them)\n",
			       again(&o, false, opt, sizeof(opt)));
		else
			printf("reset done\n");
	}
	close_euicc(&s);
	return rc;
}

/* ----- profile ----- */

static int profile_list(int argc, char **argv)
{
	static const int allowed[] = {0};
	orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];
	lpa_opts o;
	lpa_session s;
	size_t n = 0, all = 0;
	orsp_err e;
	int rc;

	if ((rc = parse_opts(argc, argv, &o, allowed)) || (rc = cli_positional(argc, argv, 0, "")))
		return rc;
	if ((rc = open_euicc(&o, &s)))
		return rc;
	if ((e = orsp_lpa_profiles(&s.c, p, ORSP_ARRAY_LEN(p), &n))) {
		rc = fail(&o, "profile list", e);
		goto out;
	}
	/* a full list may have left some out: counted, to say so */
	if (!o.json && n == ORSP_ARRAY_LEN(p) && orsp_lpa_profile_count(&s.c, &all))
		orsp_err_clear();
	if (o.json) {
		cli_json j = {0};
		json_begin(&j);
		cj_arr_begin(&j, "data");
		for (size_t i = 0; i < n; i++) {
			cj_obj_begin(&j, NULL);
			cj_str(&j, "iccid", p[i].iccid);
			cj_hex(&j, "isdpAid", p[i].aid, p[i].aid_len);
			cj_str(&j, "profileState", state_str(&p[i]));
			if (p[i].nickname[0])
				cj_str(&j, "profileNickname", p[i].nickname);
			else
				cj_null(&j, "profileNickname");
			cj_str(&j, "serviceProviderName", p[i].spn);
			cj_str(&j, "profileName", p[i].name);
			cj_str(&j, "profileClass", class_str(p[i].profile_class));
			if (p[i].ppr_unreadable) {
				/* a string where rules are an array: never read as none */
				cj_str(&j, "profilePolicyRules", "unreadable");
			} else if (p[i].ppr &
			           ORSP_LPA_PPR_RULES) { /* only when set: lpac has no such key */
				/* each rule by its PprIds bit, "ppr1" for bit 1: those v2.2 does
				 * not define too, as the text's "PPR5 (unknown)", never dropped */
				cj_arr_begin(&j, "profilePolicyRules");
				for (unsigned b = 1; b < 32; b++) {
					char name[8];
					if (!(p[i].ppr & (1u << b)))
						continue;
					snprintf(name, sizeof(name), "ppr%u", b);
					cj_str(&j, NULL, name);
				}
				cj_arr_end(&j);
			}
			cj_obj_end(&j);
		}
		cj_arr_end(&j);
		json_end(&j);
	} else if (n == 0) {
		printf("no profile\n");
	} else {
		printf("%-20s  %-8s  %-12s  %-20s  %s\n", "ICCID", "STATE", "CLASS", "PROVIDER",
		       "NAME (NICKNAME)");
		for (size_t i = 0; i < n; i++) {
			char rules[160] = "";
			if (p[i].ppr_unreadable)
				snprintf(rules, sizeof(rules), "unreadable");
			else if (p[i].ppr & ORSP_LPA_PPR_RULES)
				orsp_lpa_ppr_str(p[i].ppr & ORSP_LPA_PPR_RULES, rules,
				                 sizeof(rules));
			printf("%-20s  %-8s  %-12s  %-20s  %s%s%s%s%s%s%s\n", p[i].iccid,
			       state_str(&p[i]), class_str(p[i].profile_class), p[i].spn, p[i].name,
			       p[i].nickname[0] ? " (" : "", p[i].nickname,
			       p[i].nickname[0] ? ")" : "", rules[0] ? "  [rules: " : "", rules,
			       rules[0] ? "]" : "");
		}
		if (all > n)
			printf("... and %zu more profile%s on the eUICC: the LPA lists the first "
			       "%zu\n",
			       all - n, all - n == 1 ? "" : "s", n);
	}
out:
	close_euicc(&s);
	return rc;
}

typedef struct dl_ctx {
	const lpa_opts *o;
	/* --ask: the terminal, opened before anything else happens; a stream for each way, as a
	 * stream opened for both may not be read and then written without a seek between
	 * (C11 7.21.5.3), which a terminal cannot do */
	FILE *tty_in, *tty_out;
	uint32_t preconsented; /* the rules that needed consent and --accept-ppr gave it */
	bool unanswered;       /* a question got no answer: the input ended */
} dl_ctx;

static const char *step_name(orsp_lpa_step s, bool json)
{
	switch (s) {
	case ORSP_LPA_STEP_AUTHENTICATE:
		return json ? "es9p_initiate_authentication" : "authenticating with the SM-DP+";
	case ORSP_LPA_STEP_METADATA:
		return json ? "es8p_meatadata_parse" : "profile offered";
	case ORSP_LPA_STEP_DOWNLOAD:
		return json ? "es9p_get_bound_profile_package" : "downloading the profile";
	case ORSP_LPA_STEP_INSTALL:
		return json ? "es10b_load_bound_profile_package" : "installing on the eUICC";
	case ORSP_LPA_STEP_NOTIFY:
		return json ? "es9p_handle_notification" : "reporting the result to the SM-DP+";
	}
	return "?";
}

static void dl_progress(void *arg, orsp_lpa_step step, const char *what)
{
	dl_ctx *d = arg;
	if (d->o->json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_str(&j, "type", "progress");
		cj_obj_begin(&j, "payload");
		cj_i64(&j, "code", 0);
		cj_str(&j, "message", step_name(step, true));
		cj_str(&j, "data", what ? what : "");
		cj_obj_end(&j);
		cj_obj_end(&j);
		cj_done(&j);
	} else {
		fprintf(stderr, "[%d/5] %s: %s\n", (int)step, step_name(step, false),
		        what ? what : "");
	}
}

static void show_profile(FILE *f, const orsp_lpa_profile *m)
{
	fprintf(f, "      ICCID %s, provider \"%s\", name \"%s\", class %s\n", m->iccid, m->spn,
	        m->name, class_str(m->profile_class));
	if (m->ppr) {
		char rules[160];
		orsp_lpa_ppr_str(m->ppr, rules, sizeof(rules));
		fprintf(f, "      profile policy rules: %s\n", rules);
	}
}

/* One answer typed on the terminal: the line's start in line (at most size - 1 bytes, no line
 * end), false at end of file or an error. The line is always read to its end, so nothing of a
 * long answer is left to answer the next question; *whole says whether it fitted. */
static bool tty_answer(FILE *in, char *line, size_t size, bool *whole)
{
	size_t n;
	int ch;

	*whole = false;
	if (!fgets(line, (int)size, in))
		return false;
	n = strcspn(line, "\n");
	if (line[n] == '\n' || feof(in)) {
		*whole = true;
	} else {
		while ((ch = getc(in)) != EOF && ch != '\n')
			; /* the rest of a line longer than line: dropped */
	}
	line[strcspn(line, "\r\n")] = '\0';
	return true;
}

static bool dl_confirm(void *arg, const orsp_lpa_profile *m)
{
	dl_ctx *d = arg;
	char line[16];
	FILE *tty;
	bool whole;

	if (!d->o->json) {
		show_profile(stderr, m);
		/* only the rules whose RAT rule asked for consent: --accept-ppr naming one that
		 * needs none gave nothing */
		if (d->preconsented) {
			char rules[160];
			orsp_lpa_ppr_str(d->preconsented, rules, sizeof(rules));
			fprintf(stderr, "      consent to %s given beforehand (--accept-ppr)\n",
			        rules);
		}
	}
	if (!d->o->ask)
		return true;
	tty = d->tty_out;
	if (!tty || !d->tty_in)
		return false; /* not reached: profile_download opened them */
	/* the question comes with what it is about: with --json stderr has not shown it */
	if (d->o->json)
		show_profile(tty, m);
	fprintf(tty, "Install this profile? [y/N] ");
	fflush(tty);
	/* a weak confirmation: the answer's first letter, however long the answer; none at all
	 * (end of input: the terminal went away) is no refusal */
	if (!tty_answer(d->tty_in, line, sizeof(line), &whole)) {
		d->unanswered = true;
		return false;
	}
	return line[0] == 'y' || line[0] == 'Y';
}

/* Consent to the PPRs whose RAT rule asks for it (SGP.22 §2.9.2) and --accept-ppr does not
 * name (the library asks for those only, and only with --ask): a strong confirmation on the
 * terminal, the word "yes" typed out, not a key. Anything else refuses them
 * (endUserRejection). */
static bool dl_consent(void *arg, const orsp_lpa_profile *m, uint32_t ppr)
{
	static const char *const what[] = {
	    NULL,
	    "PPR1: once enabled, this profile cannot be disabled (nor another one enabled)",
	    "PPR2: this profile cannot be deleted",
	    "PPR3: this profile is deleted when it is disabled",
	};
	dl_ctx *d = arg;
	char line[16];
	bool whole;

	(void)m;
	if (!d->tty_in || !d->tty_out)
		return false; /* not reached: profile_download opened them for --ask */
	fprintf(d->tty_out, "The operator's profile policy rules need your consent:\n");
	for (unsigned b = 1; b < 32; b++)
		if (ppr & (1u << b))
			fprintf(d->tty_out, "  %s\n",
			        b < ORSP_ARRAY_LEN(what) ? what[b]
			                                 : "a rule this LPA does not know");
	fprintf(d->tty_out, "Type \"yes\" to accept them (anything else refuses the profile): ");
	fflush(d->tty_out);
	/* the word itself and nothing more: a longer line refuses, even one starting "yes";
	 * no answer at all (end of input) is no refusal */
	if (!tty_answer(d->tty_in, line, sizeof(line), &whole)) {
		d->unanswered = true;
		return false;
	}
	return whole && !strcasecmp(line, "yes");
}

/* A download without an activation code goes to the eUICC's default SM-DP+ address
 * (GetEuiccConfiguredAddresses) with an empty matching ID, as `-a 'LPA:1$<address>$'`
 * would: the SM-DP+ then looks for a profile released for this eUICC's EID (SGP.22 §3.1.3,
 * the default SM-DP+ case). */
static orsp_err default_smdp_ac(orsp_lpa_card *c, orsp_lpa_ac *ac)
{
	char dp[256], ds[256], code[300];
	orsp_err e;

	if ((e = orsp_lpa_addresses(c, dp, ds)))
		return e;
	if (!dp[0])
		return orsp_errf(ORSP_E_USAGE,
		                 "no activation code, and the eUICC has no default SM-DP+ address: "
		                 "give one with -a CODE, or set the default with `openrsp lpa chip "
		                 "default-smdp ADDRESS`");
	if (!orsp_lpa_address_ok(dp))
		return orsp_errf(
		    ORSP_E_MALFORMED,
		    "the eUICC's default SM-DP+ address is not a host name (%s): give an "
		    "activation code with -a CODE, or set the default with `openrsp "
		    "lpa chip default-smdp ADDRESS`",
		    orsp_err_detail());
	snprintf(code, sizeof(code), "1$%s$", dp);
	return orsp_lpa_ac_parse(code, ac);
}

/* an installation result neither delivered nor kept by the eUICC (its list full); %s:
 * again()'s options */
#define RESULT_LOST                                                                                \
	"the eUICC did not keep it either (its notification list is full), so the SM-DP+ will "    \
	"not learn from this device that the profile is installed; deliver the pending "           \
	"notifications (`openrsp lpa notification process%s`) before the next download"

static int download_run(lpa_opts *op, int argc, char **argv)
{
	static const int allowed[] = {OPT_AC,  OPT_CC,         OPT_SERVER_URL, OPT_CA, OPT_INSECURE,
	                              OPT_ASK, OPT_ACCEPT_PPR, OPT_TIMEOUT,    0};
	lpa_session s;
	orsp_lpa_ac ac;
	orsp_lpa_server sv;
	orsp_lpa_download_opts d = {0};
	dl_ctx dc = {0};
	char iccid[21] = "", opt[AGAIN_MAX];
	bool pending = false, lost = false, left = false, already = false;
	uint64_t left_seq = 0;
	size_t delivered = 0;
	orsp_err e;
	int rc;

	if ((rc = parse_opts(argc, argv, op, allowed)) || (rc = cli_positional(argc, argv, 0, "")))
		return rc;
	/* the activation code first: a bad one must not touch the eUICC. Without one, the
	 * eUICC's default SM-DP+ address (read below) */
	if (op->ac && (e = orsp_lpa_ac_parse(op->ac, &ac))) {
		char detail[256];
		orsp_err_detail_copy(detail, sizeof(detail));
		e = orsp_errf(e,
		              "%s; check the code you were given (LPA:1$<SM-DP+ address>$<matching "
		              "ID>)",
		              detail);
		return fail(op, "profile download", e);
	}
	if (op->ac && ac.cc_required && !op->cc) {
		orsp_err u = orsp_errf(ORSP_E_USAGE, "this activation code needs a confirmation "
		                                     "code: add -c CODE");
		return fail(op, "profile download", u);
	}
	if (!op->ca && !op->insecure) {
		orsp_err u = orsp_errf(
		    ORSP_E_USAGE, "no trust anchor for the SM-DP+ TLS certificate: give the CI "
		                  "certificate with --ca FILE (or set ORSP_LPA_CA)");
		return fail(op, "profile download", u);
	}
	/* --ask without a terminal would refuse the profile for the user (endUserRejection,
	 * which ends the order at the SM-DP+): a usage error before anything is touched */
	if (op->ask &&
	    (!(dc.tty_in = fopen("/dev/tty", "r")) || !(dc.tty_out = fopen("/dev/tty", "w")))) {
		int err = errno;
		if (dc.tty_in)
			fclose(dc.tty_in);
		return cli_usage("--ask",
		                 "no terminal to ask on (/dev/tty: %s): run it from a "
		                 "terminal, or leave --ask out",
		                 strerror(err));
	}
	/* once the command line is known good: the download goes on without them */
	if (op->ac && ac.ignored_fields)
		fprintf(
		    stderr,
		    "openrsp: warning: profile download: the activation code's %u field%s after "
		    "the confirmation code flag (a later SGP.22 version's, such as the CI key "
		    "indicator) %s ignored\n",
		    ac.ignored_fields, ac.ignored_fields == 1 ? "" : "s",
		    ac.ignored_fields == 1 ? "is" : "are");
	server_of(op, &sv);
	if ((rc = open_euicc(op, &s))) {
		if (dc.tty_in) {
			fclose(dc.tty_in);
			fclose(dc.tty_out);
		}
		return rc;
	}
	if (!op->ac && (e = default_smdp_ac(&s.c, &ac))) {
		rc = fail(op, "profile download", e);
		goto out;
	}
	dc.o = op;
	d.ac = &ac;
	if (!op->ac) /* read from the eUICC above */
		d.address_from = "the eUICC's default SM-DP+ address";
	d.cc = op->cc;
	d.server = &sv;
	d.confirm = dl_confirm;
	/* the rules --accept-ppr names need nobody; without --ask a profile with a rule that
	 * needs consent and is not among them is postponed, not refused: nobody refused it */
	d.preconsent = op->accept_ppr;
	d.preconsented = &dc.preconsented;
	d.consent = op->ask ? dl_consent : NULL;
	d.unanswered = &dc.unanswered;
	/* SIGINT, SIGTERM, SIGHUP (Ctrl-C at the question too: its read is interrupted) stop the
	 * download at its next step, the sessions cancelled with postponed; the process was
	 * killed, leaving the eUICC's and the SM-DP+'s sessions open (until session 56) */
	d.stop = cli_stop_on_signals();
	d.progress = dl_progress;
	d.arg = &dc;
	d.result_pending = &pending;
	d.result_lost = &lost;
	d.result_left = &left;
	d.result_left_seq = &left_seq;
	d.already_installed = &already;
	d.results_delivered = &delivered;
	e = orsp_lpa_download(&s.c, &d, iccid);
	orsp_wipe(op->cc_buf, sizeof(op->cc_buf));
	if (e) {
		rc = fail(op, "profile download", e);
	} else if (already) {
		/* the eUICC held it: nothing downloaded, its undelivered results sent now (a
		 * success only when some were: the library fails the download otherwise) */
		char note[200];
		snprintf(note, sizeof(note),
		         "already installed on this eUICC, nothing downloaded; its installation "
		         "result had not reached the SM-DP+ and was delivered now%s",
		         delivered > 1 ? " (with its other pending notifications)" : "");
		if (op->json) {
			cli_json j = {0};
			json_begin(&j);
			cj_obj_begin(&j, "data");
			cj_str(&j, "iccid", iccid);
			cj_str(&j, "installationResult", note);
			cj_obj_end(&j);
			json_end(&j);
		} else {
			printf("%s: %s\n", iccid, note);
		}
	} else if (op->json) {
		cli_json j = {0};
		json_begin(&j);
		cj_obj_begin(&j, "data");
		cj_str(&j, "iccid", iccid);
		/* only when the result did not reach the SM-DP+: lpac's data has the ICCID alone */
		if (pending || lost || left) {
			char note[AGAIN_MAX + 512];
			if (pending)
				snprintf(
				    note, sizeof(note),
				    "pending on the eUICC: `openrsp lpa notification process%s` "
				    "sends it to the SM-DP+",
				    again(op, true, opt, sizeof(opt)));
			else if (lost)
				snprintf(note, sizeof(note),
				         "did not reach the SM-DP+: " RESULT_LOST,
				         again(op, true, opt, sizeof(opt)));
			else
				snprintf(
				    note, sizeof(note),
				    "reached the SM-DP+, still listed on the eUICC: `openrsp lpa "
				    "notification remove %" PRIu64 "%s` removes it",
				    left_seq, again(op, false, opt, sizeof(opt)));
			cj_str(&j, "installationResult", note);
		}
		cj_obj_end(&j);
		json_end(&j);
	} else {
		printf(
		    "installed %s (disabled; enable it with `openrsp lpa profile enable %s%s`)\n",
		    iccid, iccid, again(op, false, opt, sizeof(opt)));
		if (pending)
			printf(
			    "the installation result did not reach the SM-DP+: it is still pending "
			    "on the eUICC, `openrsp lpa notification process%s` sends it\n",
			    again(op, true, opt, sizeof(opt)));
		else if (lost)
			printf("the installation result did not reach the SM-DP+: " RESULT_LOST
			       "\n",
			       again(op, true, opt, sizeof(opt)));
		else if (left)
			printf("the installation result reached the SM-DP+, but the eUICC did not "
			       "take it off its list: `openrsp lpa notification remove %" PRIu64
			       "%s` removes it (it holds one of the eUICC's notification slots)\n",
			       left_seq, again(op, false, opt, sizeof(opt)));
	}
out:
	if (dc.tty_in) {
		fclose(dc.tty_in);
		fclose(dc.tty_out);
	}
	close_euicc(&s);
	return rc;
}

/* profile download, its options (the confirmation code among them) wiped on every path */
static int profile_download(int argc, char **argv)
{
	lpa_opts o;
	int rc = download_run(&o, argc, argv);

	orsp_wipe(&o, sizeof(o));
	return rc;
}

static int profile_change(int argc, char **argv, const char *what,
                          orsp_err (*fn)(orsp_lpa_card *, const char *))
{
	static const int allowed[] = {0};
	lpa_opts o;
	lpa_session s;
	char label[32], opt[AGAIN_MAX];
	size_t before = 0, n = 0;
	bool counted, known;
	orsp_err e;
	int rc;

	if ((rc = parse_opts(argc, argv, &o, allowed)) ||
	    (rc = cli_positional(argc, argv, 1, "ICCID|AID")))
		return rc;
	/* a malformed identifier is a usage error, before the eUICC is opened */
	if (orsp_lpa_profile_id_check(argv[optind]))
		return cli_usage("ICCID|AID", "%s", orsp_err_detail());
	if ((rc = open_euicc(&o, &s)))
		return rc;
	snprintf(label, sizeof(label), "profile %s", what);
	/* the notification the change leaves, if the profile asks for one: counted before and
	 * after, as chip reset does */
	counted = !o.json && pending_notifications(&s.c, &before);
	e = fn(&s.c, argv[optind]);
	if (e) {
		rc = fail(&o, label, e);
	} else if (o.json) {
		json_ok_null(&o);
	} else if ((known = notifications_added(&s.c, counted, before, &n)) && n == 1) {
		printf("%sd %s; a notification for the operator is pending (`openrsp lpa "
		       "notification process%s` sends it)\n",
		       what, argv[optind], again(&o, true, opt, sizeof(opt)));
	} else if (known && n) {
		/* an enable that disabled another profile: its disable notification too */
		printf("%sd %s; %zu notifications for the operators are pending (`openrsp lpa "
		       "notification process%s` sends them)\n",
		       what, argv[optind], n, again(&o, true, opt, sizeof(opt)));
	} else if (known) {
		printf("%sd %s\n", what, argv[optind]);
	} else {
		printf("%sd %s; a notification for the operator may be pending (`openrsp lpa "
		       "notification list%s` shows them)\n",
		       what, argv[optind], again(&o, false, opt, sizeof(opt)));
	}
	close_euicc(&s);
	return rc;
}

static int profile_nickname(int argc, char **argv)
{
	static const int allowed[] = {0};
	lpa_opts o;
	lpa_session s;
	orsp_err e;
	int rc;

	if ((rc = parse_opts(argc, argv, &o, allowed)) ||
	    (rc = cli_positional(argc, argv, 2, "ICCID NAME")))
		return rc;
	if (orsp_lpa_iccid_check(argv[optind]))
		return cli_usage("ICCID", "%s", orsp_err_detail());
	if (orsp_lpa_nickname_check(argv[optind + 1]))
		return cli_usage("NAME", "%s", orsp_err_detail());
	if ((rc = open_euicc(&o, &s)))
		return rc;
	e = orsp_lpa_set_nickname(&s.c, argv[optind], argv[optind + 1]);
	if (e)
		rc = fail(&o, "profile nickname", e);
	else if (o.json)
		json_ok_null(&o);
	else
		printf("%s is now called \"%s\"\n", argv[optind], argv[optind + 1]);
	close_euicc(&s);
	return rc;
}

/* ----- notification ----- */

/* One notification as `notification list --json` gives it (and `remove --address`). */
static void json_notification(cli_json *j, const orsp_lpa_notification *no)
{
	cj_obj_begin(j, NULL);
	cj_u64(j, "seqNumber", no->seq);
	cj_str(j, "profileManagementOperation", no->event);
	cj_str(j, "notificationAddress", no->address);
	if (no->iccid[0])
		cj_str(j, "iccid", no->iccid);
	else
		cj_null(j, "iccid");
	cj_obj_end(j);
}

static int notification_list(int argc, char **argv)
{
	static const int allowed[] = {0};
	orsp_lpa_notification *no = NULL;
	lpa_opts o;
	lpa_session s;
	size_t n = 0;
	orsp_err e;
	int rc;

	if ((rc = parse_opts(argc, argv, &o, allowed)) || (rc = cli_positional(argc, argv, 0, "")))
		return rc;
	if ((rc = open_euicc(&o, &s)))
		return rc;
	/* the whole list (it showed the first 32 until session 74, --json without a word) */
	if ((e = orsp_lpa_notifications_all(&s.c, &no, &n))) {
		rc = fail(&o, "notification list", e);
		goto out;
	}
	if (o.json) {
		cli_json j = {0};
		json_begin(&j);
		cj_arr_begin(&j, "data");
		for (size_t i = 0; i < n; i++) {
			json_notification(&j, &no[i]);
		}
		cj_arr_end(&j);
		json_end(&j);
	} else if (n == 0) {
		printf("no pending notification\n");
	} else {
		printf("%-6s  %-8s  %-20s  %s\n", "SEQ", "EVENT", "ICCID", "ADDRESS");
		for (size_t i = 0; i < n; i++)
			printf("%-6" PRIu64 "  %-8s  %-20s  %s\n", no[i].seq, no[i].event,
			       no[i].iccid[0] ? no[i].iccid : "-", no[i].address);
	}
out:
	free(no);
	close_euicc(&s);
	return rc;
}

static int notification_process(int argc, char **argv)
{
	static const int allowed[] = {OPT_SERVER_URL, OPT_CA, OPT_INSECURE, OPT_TIMEOUT, 0};
	lpa_opts o;
	lpa_session s;
	orsp_lpa_server sv;
	size_t sent = 0;
	orsp_err e;
	int rc;

	if ((rc = parse_opts(argc, argv, &o, allowed)) || (rc = cli_positional(argc, argv, 0, "")))
		return rc;
	server_of(&o, &sv);
	if ((rc = open_euicc(&o, &s)))
		return rc;
	e = orsp_lpa_process_notifications(&s.c, &sv, &sent);
	if (e) {
		rc = fail(&o, "notification process", e);
	} else if (o.json) {
		cli_json j = {0};
		json_begin(&j);
		cj_obj_begin(&j, "data");
		cj_u64(&j, "sent", sent);
		cj_obj_end(&j);
		json_end(&j);
	} else {
		printf("%zu notification%s delivered and removed\n", sent, sent == 1 ? "" : "s");
	}
	close_euicc(&s);
	return rc;
}

/* The notifications of one SM-DP+ address removed (--address): each on a line, or as
 * notification list --json lists them; n of them, the first cap in no. */
static void removed_print(const lpa_opts *o, const orsp_lpa_notification *no, size_t cap, size_t n)
{
	size_t shown = n < cap ? n : cap;

	if (o->json) {
		cli_json j = {0};
		json_begin(&j);
		cj_arr_begin(&j, "data");
		for (size_t i = 0; i < shown; i++) {
			json_notification(&j, &no[i]);
		}
		cj_arr_end(&j);
		json_end(&j);
		return;
	}
	for (size_t i = 0; i < shown; i++)
		printf("removed notification %" PRIu64 " (%s, ICCID %s, for %s; not sent)\n",
		       no[i].seq, no[i].event, no[i].iccid[0] ? no[i].iccid : "-", no[i].address);
	if (n > shown)
		printf("... and %zu more removed\n", n - shown);
}

static int notification_remove(int argc, char **argv)
{
	static const int allowed[] = {OPT_ADDRESS, 0};
	orsp_lpa_notification removed[64];
	lpa_opts o;
	lpa_session s;
	uint64_t seq = 0;
	size_t n = 0;
	orsp_err e;
	int rc;

	if ((rc = parse_opts(argc, argv, &o, allowed)))
		return rc;
	/* SEQ, or --address alone: every notification of that SM-DP+ */
	if (o.address ? (rc = cli_positional(argc, argv, 0, ""))
	              : (rc = cli_positional(argc, argv, 1, "SEQ")) ||
	                    (rc = cli_uint("SEQ", argv[optind], 0, UINT64_MAX, &seq)))
		return rc;
	if ((rc = open_euicc(&o, &s)))
		return rc;
	if (o.address) {
		e = orsp_lpa_notification_remove_address(&s.c, o.address, removed,
		                                         ORSP_ARRAY_LEN(removed), &n);
		/* those removed before a failure are gone all the same: said first */
		if (e && n && !o.json) {
			char d[ORSP_ERR_DETAIL_MAX];
			snprintf(d, sizeof(d), "%s", orsp_err_detail());
			removed_print(&o, removed, ORSP_ARRAY_LEN(removed), n);
			(void)orsp_errf(e, "%s", d);
		}
		if (e)
			rc = fail(&o, "notification remove", e);
		else
			removed_print(&o, removed, ORSP_ARRAY_LEN(removed), n);
		goto out;
	}
	e = orsp_lpa_notification_remove(&s.c, seq);
	if (e)
		rc = fail(&o, "notification remove", e);
	else if (o.json)
		json_ok_null(&o);
	else
		printf("removed notification %" PRIu64 " (not sent)\n", seq);
out:
	close_euicc(&s);
	return rc;
}

/* ----- dispatch: `openrsp lpa <verb> <sub-verb> ...` ----- */

typedef struct sub {
	const char *name;
	int (*run)(int argc, char **argv);
} sub;

static int dispatch(int argc, char **argv, const sub *subs)
{
	char cmd[32]; /* "lpa profile": where the help lists the sub-verbs */

	/* no sub-verb to read the options: a -c among them leaves the command line too */
	cli_secret_guard(argc, argv, common_opts, cc_opt, "c");
	snprintf(cmd, sizeof(cmd), "lpa %s", argv[0]);
	if (argc < 2 || argv[1][0] == '-')
		return cli_missing_verb(argv[0], cmd);
	for (const sub *s = subs; s->name; s++)
		if (!strcmp(s->name, argv[1]))
			return s->run(argc - 1, argv + 1);
	return cli_unknown_verb(argv[1], cmd);
}

static int chip_run(int argc, char **argv)
{
	static const sub subs[] = {{"info", chip_info},
	                           {"default-smdp", chip_default_smdp},
	                           {"reset", chip_reset},
	                           {NULL, NULL}};
	return dispatch(argc, argv, subs);
}

static int p_enable(int argc, char **argv)
{
	return profile_change(argc, argv, "enable", orsp_lpa_enable);
}
static int p_disable(int argc, char **argv)
{
	return profile_change(argc, argv, "disable", orsp_lpa_disable);
}
static int p_delete(int argc, char **argv)
{
	return profile_change(argc, argv, "delete", orsp_lpa_delete);
}

static int profile_run(int argc, char **argv)
{
	static const sub subs[] = {{"list", profile_list},
	                           {"download", profile_download},
	                           {"enable", p_enable},
	                           {"disable", p_disable},
	                           {"delete", p_delete},
	                           {"nickname", profile_nickname},
	                           {NULL, NULL}};
	return dispatch(argc, argv, subs);
}

static int notification_run(int argc, char **argv)
{
	static const sub subs[] = {{"list", notification_list},
	                           {"process", notification_process},
	                           {"remove", notification_remove},
	                           {NULL, NULL}};
	return dispatch(argc, argv, subs);
}

static const cli_cmd lpa_cmds[] = {
    {
        .verb = "chip",
        .summary = "The eUICC: information, default SM-DP+ address, memory reset",
        .synopsis = "info | default-smdp ADDRESS\n"
                    "       | reset [--operational] [--test] [--default-smdp] --yes\n"
                    "       [--euicc SPEC] [--json]",
        .help = "chip info        EID, default SM-DP+ and root SM-DS addresses, SGP.22 version,\n"
                "                 firmware, free memory and trusted CIs of the eUICC\n"
                "chip default-smdp ADDRESS\n"
                "                 set the default SM-DP+ address (\"\" removes it)\n"
                "chip reset       eUICCMemoryReset: delete profiles whatever their state and\n"
                "                 policy rules, and/or restore the default SM-DP+ address;\n"
                "                 a deleted profile leaves the delete notification its\n"
                "                 operator asked for\n\n"
                "options:\n"
                "  --operational        (reset) delete the operational profiles\n"
                "  --test               (reset) delete the test profiles loaded in the field\n"
                "  --default-smdp       (reset) the default SM-DP+ address back to its initial\n"
                "                       value\n"
                "  --yes                (reset) go ahead: nothing brings the profiles "
                "back\n" EUICC_HELP,
        .run = chip_run,
    },
    {
        .verb = "profile",
        .summary = "Profiles: list, download, enable, disable, delete, nickname",
        .synopsis = "list | download [-a AC] [-c CC] [--server-url URL]\n"
                    "         [--ca FILE] [--ask] [--accept-ppr ppr1,ppr2] [--timeout SEC]\n"
                    "         [--insecure]\n"
                    "       | enable ICCID|AID | disable ICCID|AID | delete ICCID|AID\n"
                    "       | nickname ICCID NAME   [--euicc SPEC] [--json]",
        .help = "profile list                  the profiles on the eUICC\n"
                "profile download -a AC        download and install the profile of an\n"
                "                              activation code\n"
                "                              LPA:1$<SM-DP+ address>$<matching ID>[$<OID>[$1]]\n"
                "                              (SGP.22 §3.1.3); it arrives disabled. Without -a:\n"
                "                              the profile released for this eUICC at its default\n"
                "                              SM-DP+ address (chip default-smdp)\n"
                "profile enable|disable|delete by ICCID (19-20 digits) or ISD-P AID (hex)\n"
                "profile nickname ICCID NAME   a local name, at most 64 characters of UTF-8\n"
                "                              without control characters\n\n"
                "Changes leave a notification on the eUICC for the operator: send it with\n"
                "`openrsp lpa notification process`. On a failure (exit status 1) the eUICC is\n"
                "left as it was (a download is cancelled on both sides). A change the eUICC\n"
                "stored but could not complete (its storage's flush or counter after the\n"
                "commit) is made: it succeeds, with a warning.\n\n"
                "options:\n"
                "  -a, --ac CODE        activation code (download; default: the eUICC's default\n"
                "                       SM-DP+ address, no matching ID); also --activation-code\n"
                "  -c, --cc CODE        confirmation code, when the operator gave one (download);\n"
                "                       also --confirmation-code\n"
                "  --ask                show the profile and ask before installing; ask "
                "consent\n"
                "                       to its policy rules when the eUICC requires it "
                "(download)\n"
                "  --accept-ppr LIST    consent given beforehand to these profile policy rules\n"
                "                       (ppr1, ppr2, ppr3, comma-separated) for devices nobody\n"
                "                       can ask; without it or --ask, a profile whose rules need\n"
                "                       consent is not installed and stays ordered "
                "(download)\n" SERVER_HELP EUICC_HELP,
        .run = profile_run,
    },
    {
        .verb = "notification",
        .summary = "Pending notifications: list, process (send), remove",
        .synopsis = "list | process [--server-url URL] [--ca FILE]\n"
                    "         [--timeout SEC] [--insecure] | remove SEQ | remove --address FQDN\n"
                    "       [--euicc SPEC] [--json]",
        .help = "notification list      what the eUICC keeps for the operators\n"
                "notification process   send each to its SM-DP+ (handleNotification, retried\n"
                "                       with backoff) and remove it once the server accepted it\n"
                "notification remove N  drop notification N without sending it\n"
                "notification remove --address FQDN\n"
                "                       drop every notification for that SM-DP+ address\n"
                "                       without sending it (one that keeps refusing them),\n"
                "                       printing each\n\n"
                "options:\n"
                "  --address FQDN       (remove) the SM-DP+ address, in any case\n" SERVER_HELP
                    EUICC_HELP,
        .run = notification_run,
    },
    {NULL, NULL, NULL, NULL, NULL},
};

const cli_noun cli_noun_lpa = {
    .name = "lpa",
    .summary = "Device agent (LPA): download and manage profiles on an eUICC",
    .cmds = lpa_cmds,
};
