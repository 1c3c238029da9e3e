/* `openrsp demo`: the whole TR 33.812 story on one machine (docs/demo.md).
 *
 * On loopback, with SQLite and a throw-away private PKI: two operators, each with an AuC and
 * an SM-DP+ (HTTPS, ES2+ and ES9+); one device with a software eUICC in a sealed state
 * directory and an LPA. Operator A orders a profile for the device (ES2+), the device
 * downloads it (ES9+/ES10), enables it and authenticates with AKA against A's AuC; operator
 * B orders for the same EID, the device downloads B, enables it, authenticates with B (AKA
 * through the USIM, then its IMS client through the ISIM: identity and IMS AKA), deletes A,
 * and A's SM-DP+ receives the notifications. Every step is checked; the exit
 * status is 0 only if all were. Nothing is left behind (unless --keep) or listening.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "openrsp/auc.h"
#include "openrsp/crypto.h"
#include "openrsp/euicc.h"
#include "openrsp/http.h"
#include "openrsp/lpa.h"
#include "openrsp/pkg.h"
#include "openrsp/smdp.h"
#include "openrsp/store.h"

#define TEMPLATE "profiles/ts48-v7-saip2.3-nobertlv.der"
#define TOKEN "demo-operator-token-0123456789"
#define P 4096

enum { OPT_KEEP = CLI_OPT_CMD, OPT_TEMPLATE };

typedef struct op {
	const char *name, *fqdn, *oid, *iccid, *imsi, *spn;
	unsigned mnc_len; /* the IMSI's MNC: EF.AD, and the IMS domain (TS 23.003 §13.2) */
	char dir[P], conf[P], db[P];
	orsp_smdp_config cfg;
	orsp_smdp_server *srv;
	orsp_auc *auc;
	uint16_t port;
	char base[64];
} op;

static double t0;
static int step_no;

static void say(const char *fmt, ...) ORSP_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
	va_list ap;
	printf("[%7.3f s] %2d. ", orsp_mono_s() - t0, ++step_no);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void detail(const char *fmt, ...) ORSP_PRINTF(1, 2);
static void detail(const char *fmt, ...)
{
	va_list ap;
	printf("              ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int failed(const char *what, orsp_err e)
{
	fflush(stdout);
	fprintf(stderr, "openrsp demo: FAILED at step %d: %s: %s (%s)\n", step_no, what,
	        orsp_err_detail(), orsp_err_str(e));
	return CLI_FAIL;
}

static int failedf(const char *what)
{
	fflush(stdout);
	fprintf(stderr, "openrsp demo: FAILED at step %d: %s\n", step_no, what);
	return CLI_FAIL;
}

static orsp_err read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (!f)
		return orsp_errf(ORSP_E_NOT_FOUND, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = n > 0 ? malloc((size_t)n) : NULL;
	if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(p);
		return orsp_errf(ORSP_E_IO, "%s: cannot read", path);
	}
	fclose(f);
	*out = p;
	*len = (size_t)n;
	return ORSP_OK;
}

static void rm_rf(const char *dir)
{
	/* the demo's own temporary directory only */
	if (strstr(dir, "openrsp-demo.") && cli_rm_rf(dir) != 0)
		fprintf(stderr, "openrsp demo: could not remove %s\n", dir);
}

/* The operator's subscription: the template personalised with a fresh K/OPc, imported into
 * its SM-DP+ inventory, and the same K/OPc in its AuC. */
static orsp_err make_subscription(op *o, const uint8_t *tpl, size_t tpl_len)
{
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso pp;
	orsp_auc_new an;
	orsp_secret kek = {0};
	orsp_smdp *s = NULL;
	uint8_t k[16], opc[16], *upp = NULL;
	size_t upp_len = 0;
	char kekpath[P + 8], aucdb[P + 16];
	orsp_err e;

	if ((e = orsp_random(k, 16)) || (e = orsp_random(opc, 16)))
		return e;
	orsp_pkg_perso_init(&pp);
	pp.iccid = o->iccid;
	pp.imsi = o->imsi;
	pp.mnc_len = o->mnc_len; /* EF.AD; the ISIM's IMS identity is derived with it */
	pp.set_aka = true;
	pp.alg = ORSP_AKA_MILENAGE;
	pp.spn = o->spn;
	pp.profile_name = o->name;
	pp.cdma_keys = true; /* as profile build: no published CDMA secret of the template */
	if ((e = orsp_secret_set(&pp.k, k, 16)) || (e = orsp_secret_set(&pp.opc, opc, 16)))
		goto out;
	if ((e = orsp_pkg_decode(tpl, tpl_len, &pkg)) || (e = orsp_pkg_personalise(pkg, &pp)) ||
	    (e = orsp_pkg_encode(pkg, 0, &upp, &upp_len)))
		goto out;
	snprintf(kekpath, sizeof(kekpath), "%s.kek", o->db);
	if ((e = orsp_kek_load(kekpath, &kek)) || (e = orsp_smdp_open(o->db, &kek, &s)) ||
	    (e = orsp_smdp_import(s, upp, upp_len, NULL)))
		goto out;
	snprintf(aucdb, sizeof(aucdb), "%s/auc.db", o->dir);
	if ((e = orsp_auc_open(aucdb, &kek, &o->auc)))
		goto out;
	orsp_auc_new_init(&an);
	an.imsi = o->imsi;
	e = orsp_aka_subscriber_init(&an.sub, ORSP_AKA_MILENAGE, k, 16, opc, 16);
	if (!e)
		e = orsp_auc_add(o->auc, &an);
	orsp_auc_new_wipe(&an);
out:
	orsp_wipe(k, sizeof(k));
	orsp_wipe(opc, sizeof(opc));
	orsp_secret_wipe(&kek);
	orsp_pkg_perso_wipe(&pp);
	if (upp)
		orsp_pkg_buf_free(upp, upp_len);
	orsp_pkg_free(pkg);
	orsp_smdp_close(s);
	return e;
}

static orsp_err write_config(op *o, const char *pki, const char *ci_dir)
{
	/* it holds the ES2+ token: for its owner only */
	int fd = open(o->conf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FILE *f = fd >= 0 && fchmod(fd, 0600) == 0 ? fdopen(fd, "w") : NULL;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return orsp_errf(ORSP_E_IO, "%s: %s", o->conf, strerror(errno));
	}
	fprintf(f,
	        "fqdn = %s\noid = %s\nlisten = 127.0.0.1\nport = 0\ndatabase = %s\n"
	        "tls_cert = %s/smdp/dptls.pem\ntls_key = %s/smdp/dptls_key.pem\n"
	        "es2_token = %s\nthreads = 2\nlog = no\n[keyset]\nci = %s/ci/ci.der\n"
	        "dpauth_cert = %s/smdp/dpauth.der\ndpauth_key = %s/smdp/dpauth_key.pem\n"
	        "dppb_cert = %s/smdp/dppb.der\ndppb_key = %s/smdp/dppb_key.pem\n",
	        o->fqdn, o->oid, o->db, pki, pki, TOKEN, ci_dir, pki, pki, pki, pki);
	return fclose(f) == 0 ? ORSP_OK : orsp_errf(ORSP_E_IO, "%s: write failed", o->conf);
}

/* ES2+ over HTTPS as the operator's back end would call it. */
static orsp_err es2(op *o, const char *ca, const char *fn, const char *fields, json_t **out)
{
	orsp_http_client_opts co = {0};
	orsp_http_client *c = NULL;
	orsp_http_result r;
	char url[256], body[1024];
	static const char *const auth[] = {"Authorization: Bearer " TOKEN, NULL};
	orsp_json_status st;
	orsp_err e;

	co.ca_file = ca;
	co.expected_host = o->fqdn;
	snprintf(url, sizeof(url), "%s/gsma/rsp2/es2plus/%s", o->base, fn);
	snprintf(body, sizeof(body),
	         "{\"header\":{\"functionRequesterIdentifier\":\"%s\",\"functionCallIdentifier\":"
	         "\"demo-%d\"},%s}",
	         o->name, step_no, fields);
	if ((e = orsp_http_client_new(&co, &c)))
		return e;
	e = orsp_http_client_post_json(c, url, body, strlen(body), auth, &r);
	orsp_http_client_free(c);
	if (e) {
		orsp_http_result_free(&r);
		return e;
	}
	if (r.status != 200) {
		orsp_http_result_free(&r);
		return orsp_errf(ORSP_E_IO, "%s: HTTP %ld", url, r.status);
	}
	e = orsp_json_parse(r.body, r.body_len, 65536, out);
	orsp_http_result_free(&r);
	if (!e && (e = orsp_json_header_get(*out, &st)) == ORSP_OK && st.status != ORSP_FES_SUCCESS)
		e = orsp_errf(ORSP_E_STATE, "%s: %s/%s %s", fn, st.subject_code, st.reason_code,
		              st.message);
	return e;
}

/* Order a profile for the EID and release it; the activation code in ac. */
static orsp_err order(op *o, const char *ca, const char *eid, char ac[300])
{
	char f[256];
	json_t *r = NULL;
	const char *mid;
	size_t n;
	orsp_err e;

	snprintf(f, sizeof(f), "\"iccid\":\"%s\",\"eid\":\"%s\"", o->iccid, eid);
	if ((e = es2(o, ca, "downloadOrder", f, &r)))
		return e;
	json_decref(r);
	snprintf(f, sizeof(f), "\"iccid\":\"%s\",\"releaseFlag\":true", o->iccid);
	if ((e = es2(o, ca, "confirmOrder", f, &r)))
		return e;
	e = orsp_json_get_string(r, "matchingId", 64, &mid, &n);
	if (!e)
		snprintf(ac, 300, "LPA:1$%s$%s", o->fqdn, mid);
	json_decref(r);
	return e;
}

/* ----- the device's modem: USIM selection and AUTHENTICATE through APDUs ----- */

static orsp_err apdu(orsp_euicc_apdu_ctx *ctx, const uint8_t *c, size_t n, uint8_t *out, size_t cap,
                     size_t *olen, uint16_t *sw)
{
	uint8_t r[ORSP_EUICC_RAPDU_MAX], cmd[300];
	size_t rl = 0, got = 0;
	orsp_err e;

	memcpy(cmd, c, n);
	for (;;) {
		if ((e = orsp_euicc_apdu_process(ctx, cmd, n, r, sizeof(r), &rl)))
			break;
		if (rl < 2 || rl - 2 > cap - got) {
			e = orsp_errf(ORSP_E_MALFORMED, "card answer of %zu bytes", rl);
			break;
		}
		*sw = (uint16_t)(r[rl - 2] << 8 | r[rl - 1]);
		memcpy(out + got, r, rl - 2);
		got += rl - 2;
		if ((*sw >> 8) != 0x61)
			break;
		/* GET RESPONSE on the command's channel (TS 102 221 §10.1.1: CLA 0X or 4X) */
		cmd[0] = (uint8_t)(c[0] & 0x40 ? c[0] & 0x4F : c[0] & 0x03);
		cmd[1] = 0xC0;
		cmd[2] = cmd[3] = 0;
		cmd[4] = (uint8_t)*sw;
		n = 5;
	}
	orsp_wipe(r, sizeof(r)); /* an AUTHENTICATE answer holds CK and IK */
	*olen = got;
	return e;
}

/* The AID of the first EF.DIR record (TS 102 221 §13.1: 61 L { 4F L AID, ... }) whose AID
 * starts with prefix, read on the channel of CLA cla; ORSP_E_NOT_FOUND if none does. */
static orsp_err dir_find(orsp_euicc_apdu_ctx *ctx, uint8_t cla, const uint8_t *prefix,
                         size_t prefix_len, uint8_t aid[16], size_t *aid_len)
{
	const uint8_t sel_dir[] = {cla, 0xA4, 0x00, 0x04, 0x02, 0x2F, 0x00, 0x00};
	uint8_t out[512], rd[] = {cla, 0xB2, 0x00, 0x04, 0x00};
	size_t ol = 0;
	uint16_t sw = 0;
	orsp_err e;

	if ((e = apdu(ctx, sel_dir, sizeof(sel_dir), out, sizeof(out), &ol, &sw)))
		return e;
	if (sw != 0x9000)
		return orsp_errf(ORSP_E_STATE, "SELECT EF.DIR: %04X", sw);
	/* records 1..254; 6A83 after the last */
	for (unsigned rec = 1; rec < 255; rec++) {
		rd[2] = (uint8_t)rec;
		if ((e = apdu(ctx, rd, sizeof(rd), out, sizeof(out), &ol, &sw)))
			return e;
		if (sw == 0x6A83)
			break;
		if (sw != 0x9000)
			return orsp_errf(ORSP_E_STATE, "READ RECORD %u of EF.DIR: %04X", rec, sw);
		if (ol < 4 || out[0] != 0x61 || out[2] != 0x4F || out[3] > 16 ||
		    (size_t)out[3] + 4 > ol || out[3] < prefix_len ||
		    memcmp(out + 4, prefix, prefix_len) != 0)
			continue;
		*aid_len = out[3];
		memcpy(aid, out + 4, *aid_len);
		return ORSP_OK;
	}
	return orsp_errf(ORSP_E_NOT_FOUND, "no such application in EF.DIR");
}

static orsp_err select_aid(orsp_euicc_apdu_ctx *ctx, uint8_t cla, const uint8_t *aid,
                           size_t aid_len, uint16_t *sw)
{
	uint8_t cmd[32], out[512];
	size_t ol = 0;

	cmd[0] = cla;
	cmd[1] = 0xA4;
	cmd[2] = 0x04;
	cmd[3] = 0x04;
	cmd[4] = (uint8_t)aid_len;
	memcpy(cmd + 5, aid, aid_len);
	cmd[5 + aid_len] = 0x00;
	return apdu(ctx, cmd, 6 + aid_len, out, sizeof(out), &ol, sw);
}

/* AUTHENTICATE with the vector's RAND and AUTN, P2 81: the USIM's 3G context (TS 31.102
 * §7.1.2.1), the ISIM's IMS AKA (TS 31.103 §7.1.2.1). On SW 9000, *tag is DB (res, ck, ik
 * filled) or DC (synchronisation failure, AUTS not kept); any other SW is left in *sw. */
static orsp_err authenticate(orsp_euicc_apdu_ctx *ctx, uint8_t cla, const orsp_aka_vector *v,
                             uint16_t *sw, uint8_t *tag, uint8_t res[16], size_t *res_len,
                             uint8_t ck[16], uint8_t ik[16])
{
	uint8_t cmd[40], out[512];
	size_t ol = 0;
	orsp_err e;

	*tag = 0;
	cmd[0] = cla;
	cmd[1] = 0x88;
	cmd[2] = 0x00;
	cmd[3] = 0x81;
	cmd[4] = 0x22;
	cmd[5] = 0x10;
	memcpy(cmd + 6, v->rand, 16);
	cmd[22] = 0x10;
	memcpy(cmd + 23, v->autn, 16);
	cmd[39] = 0x00;
	if ((e = apdu(ctx, cmd, 40, out, sizeof(out), &ol, sw)) || *sw != 0x9000)
		goto out;
	if (ol == 16 && out[0] == 0xDC && out[1] == 14) {
		*tag = 0xDC;
		goto out;
	}
	/* DB L RES L CK L IK (and the USIM's L Kc) */
	if (ol < 2 || out[0] != 0xDB || out[1] > 16 || ol < 2u + out[1] + 34 ||
	    out[2 + out[1]] != 16 || out[3 + out[1] + 16] != 16) {
		e = orsp_errf(ORSP_E_MALFORMED, "AUTHENTICATE answer");
		goto out;
	}
	*tag = 0xDB;
	*res_len = out[1];
	memcpy(res, out + 2, *res_len);
	memcpy(ck, out + 3 + *res_len, 16);
	memcpy(ik, out + 4 + *res_len + 16, 16);
out:
	orsp_wipe(out, sizeof(out));
	return e;
}

/* What a modem does: read EF.DIR for the USIM's AID, select it, AUTHENTICATE (3G context).
 * Returns the SW; on 9000 + DB, res/ck/ik. */
static orsp_err usim_auth(orsp_euicc_apdu_ctx *ctx, const orsp_aka_vector *v, uint16_t *sw,
                          uint8_t *tag, uint8_t res[16], size_t *res_len, uint8_t ck[16],
                          uint8_t ik[16])
{
	static const uint8_t usim[] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02};
	static const uint8_t sel_mf[] = {0x00, 0xA4, 0x00, 0x04, 0x02, 0x3F, 0x00, 0x00};
	uint8_t out[512], aid[16];
	size_t ol = 0, aid_len = 0;
	orsp_err e;

	if ((e = apdu(ctx, sel_mf, sizeof(sel_mf), out, sizeof(out), &ol, sw)))
		return e;
	if (*sw != 0x9000)
		return orsp_errf(ORSP_E_STATE, "SELECT MF: %04X", *sw);
	if ((e = dir_find(ctx, 0x00, usim, sizeof(usim), aid, &aid_len)))
		return e;
	if ((e = select_aid(ctx, 0x00, aid, aid_len, sw)))
		return e;
	if (*sw != 0x9000)
		return orsp_errf(ORSP_E_STATE, "SELECT USIM: %04X", *sw);
	return authenticate(ctx, 0x00, v, sw, tag, res, res_len, ck, ik);
}

/* The operator's AuC makes a vector, the USIM answers it; expect_ok false: it must refuse it
 * (MAC failure). With used, the vector is handed back (the caller wipes it). */
static int aka(op *o, orsp_euicc_apdu_ctx *ctx, bool expect_ok, orsp_aka_vector *used)
{
	orsp_aka_vector v;
	uint8_t res[16], ck[16], ik[16], tag = 0;
	size_t rl = 0;
	uint16_t sw = 0;
	int rc = CLI_FAIL;
	orsp_err e;

	if ((e = orsp_auc_vectors(o->auc, o->imsi, 0, 1, &v)))
		return failed("AuC vector", e);
	if ((e = usim_auth(ctx, &v, &sw, &tag, res, &rl, ck, ik))) {
		failed("USIM AUTHENTICATE", e);
		goto out;
	}
	if (!expect_ok) {
		if (sw == 0x9862) {
			detail("the enabled USIM refuses %s's challenge: MAC failure (SW 9862)", o->name);
			rc = CLI_OK;
		} else {
			failedf("a challenge of the old operator was not refused");
		}
		goto out;
	}
	if (sw != 0x9000 || tag != 0xDB || rl != v.xres_len || !orsp_ct_eq(res, v.xres, rl) ||
	    !orsp_ct_eq(ck, v.ck, 16) || !orsp_ct_eq(ik, v.ik, 16)) {
		failedf("RES does not equal XRES, or CK/IK differ");
		goto out;
	}
	detail("RES = XRES (%zu bytes), CK and IK agree with %s's AuC", rl, o->name);
	rc = CLI_OK;
	if (used) {
		*used = v;
		memset(&v, 0, sizeof(v));
	}
out:
	orsp_wipe(ck, sizeof(ck));
	orsp_wipe(ik, sizeof(ik));
	orsp_aka_vector_wipe(&v);
	return rc;
}

/* The device's IMS client (TS 24.229 §5.1.1.1A: with an ISIM, the IMS identity comes from
 * it) on a logical channel of its own, the USIM staying on the basic channel: ADF.ISIM by
 * the AID EF.DIR lists (TS 31.103: A0000000871004...), EF.IMPI and EF.IMPU record 1, which
 * must be the identity TS 23.003 §13 derives from the operator's IMSI, then IMS AKA
 * (AUTHENTICATE P2 81). usim_v is the vector the USIM has just answered: the ISIM holds the
 * USIM's K and so its SQN state (docs/isim.md), and must refuse it as a replay
 * (synchronisation failure); a fresh vector from the AuC must give RES = XRES, CK, IK. */
static int ims(op *o, orsp_euicc_apdu_ctx *ctx, const orsp_aka_vector *usim_v)
{
	static const uint8_t isim[] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x04};
	static const uint8_t open_ch[] = {0x00, 0x70, 0x00, 0x00, 0x01};
	uint8_t out[512], aid[16], res[16], ck[16], ik[16], cla = 0, ch = 0, tag = 0;
	uint8_t close_ch[] = {0x00, 0x70, 0x80, 0x00};
	char impi[256], impu[256], hex[33];
	orsp_ims_identity want;
	orsp_aka_vector v;
	size_t ol = 0, aid_len = 0, rl = 0;
	uint16_t sw = 0;
	int rc = CLI_FAIL;
	orsp_err e;

	memset(&v, 0, sizeof(v));
	if ((e = orsp_ims_identity_derive(o->imsi, o->mnc_len, &want)))
		return failed("IMS identity", e);
	if ((e = apdu(ctx, open_ch, sizeof(open_ch), out, sizeof(out), &ol, &sw)))
		return failed("MANAGE CHANNEL", e);
	if (sw != 0x9000 || ol != 1 || out[0] == 0 || out[0] > 19)
		return failedf("MANAGE CHANNEL did not open a logical channel");
	ch = out[0];
	close_ch[3] = ch;
	cla = (uint8_t)(ch < 4 ? ch : 0x40 | (ch - 4));
	if ((e = dir_find(ctx, cla, isim, sizeof(isim), aid, &aid_len))) {
		if (e == ORSP_E_NOT_FOUND)
			failedf("the profile has no ISIM (EF.DIR lists none)");
		else
			failed("EF.DIR", e);
		goto out;
	}
	if ((e = select_aid(ctx, cla, aid, aid_len, &sw))) {
		failed("SELECT ISIM", e);
		goto out;
	}
	if (sw != 0x9000) {
		fprintf(stderr,
		        "openrsp demo: FAILED at step %d: EF.DIR lists an ISIM the card does not "
		        "serve (SELECT: SW %04X)\n",
		        step_no, sw);
		goto out;
	}
	if ((e = orsp_hex_encode(aid, aid_len, hex, sizeof(hex)))) {
		failed("ISIM AID", e);
		goto out;
	}
	detail("ISIM %s (from EF.DIR) selected on logical channel %u", hex, ch);
	{
		/* READ BINARY of EF.IMPI by SFI 02, READ RECORD 1 of EF.IMPU by SFI 04 */
		const uint8_t rd_impi[] = {cla, 0xB0, 0x82, 0x00, 0x00};
		const uint8_t rd_impu[] = {cla, 0xB2, 0x01, 0x24, 0x00};
		if ((e = apdu(ctx, rd_impi, sizeof(rd_impi), out, sizeof(out), &ol, &sw)) ||
		    (e = sw == 0x9000 ? orsp_ims_decode_ef(out, ol, impi, sizeof(impi))
		                      : orsp_errf(ORSP_E_STATE, "SW %04X", sw))) {
			failed("EF.IMPI", e);
			goto out;
		}
		if ((e = apdu(ctx, rd_impu, sizeof(rd_impu), out, sizeof(out), &ol, &sw)) ||
		    (e = sw == 0x9000 ? orsp_ims_decode_ef(out, ol, impu, sizeof(impu))
		                      : orsp_errf(ORSP_E_STATE, "SW %04X", sw))) {
			failed("EF.IMPU record 1", e);
			goto out;
		}
	}
	if (strcmp(impi, want.impi) != 0 || strcmp(impu, want.impu) != 0) {
		fprintf(stderr,
		        "openrsp demo: FAILED at step %d: the ISIM's identity (%s, %s) is not "
		        "the one TS 23.003 derives from IMSI %s (%s, %s)\n",
		        step_no, impi, impu, o->imsi, want.impi, want.impu);
		goto out;
	}
	detail("EF.IMPI %s", impi);
	detail("EF.IMPU %s", impu);
	detail("both as TS 23.003 derives them from IMSI %s", o->imsi);
	if ((e = authenticate(ctx, cla, usim_v, &sw, &tag, res, &rl, ck, ik))) {
		failed("ISIM AUTHENTICATE", e);
		goto out;
	}
	if (sw != 0x9000 || tag != 0xDC) {
		failedf("the ISIM did not refuse the vector the USIM had used (no sync failure)");
		goto out;
	}
	detail("the USIM's vector of step %d replayed to the ISIM: synchronisation failure (DC, "
	       "AUTS): one SQN state for both",
	       step_no - 1);
	if ((e = orsp_auc_vectors(o->auc, o->imsi, 0, 1, &v))) {
		failed("AuC vector", e);
		goto out;
	}
	if ((e = authenticate(ctx, cla, &v, &sw, &tag, res, &rl, ck, ik))) {
		failed("ISIM AUTHENTICATE", e);
		goto out;
	}
	if (sw != 0x9000 || tag != 0xDB || rl != v.xres_len || !orsp_ct_eq(res, v.xres, rl) ||
	    !orsp_ct_eq(ck, v.ck, 16) || !orsp_ct_eq(ik, v.ik, 16)) {
		failedf("IMS AKA: RES does not equal XRES, or CK/IK differ");
		goto out;
	}
	detail("IMS AKA with a fresh vector: RES = XRES (%zu bytes), CK and IK agree with %s's "
	       "AuC",
	       rl, o->name);
	rc = CLI_OK;
out:
	if (apdu(ctx, close_ch, sizeof(close_ch), out, sizeof(out), &ol, &sw) == ORSP_OK &&
	    sw != 0x9000 && rc == CLI_OK)
		rc = failedf("MANAGE CHANNEL close refused");
	orsp_wipe(ck, sizeof(ck));
	orsp_wipe(ik, sizeof(ik));
	orsp_aka_vector_wipe(&v);
	return rc;
}

static void progress(void *arg, orsp_lpa_step s, const char *what)
{
	static const char *const names[] = {"", "mutual authentication with", "metadata of",
	                                    "bound profile package for", "installing", "result to"};
	(void)arg;
	detail("LPA: %s %s", names[s], what);
}

static int demo_run(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"keep", no_argument, NULL, OPT_KEEP},
	    {"template", required_argument, NULL, OPT_TEMPLATE},
	    {NULL, 0, NULL, 0},
	};
	static op ops[2] = {
	    {.name = "operator-A",
	     .fqdn = "smdp-a.openrsp.test",
	     .oid = "2.999.10",
	     .iccid = "8988247000000000019",
	     .imsi = "001010000000001",
	     .spn = "Operator A",
	     .mnc_len = 2},
	    {.name = "operator-B",
	     .fqdn = "smdp-b.openrsp.test",
	     .oid = "2.999.11",
	     .iccid = "8988247000000000027",
	     .imsi = "001020000000002",
	     .spn = "Operator B",
	     .mnc_len = 2},
	};
	static orsp_lpa_route routes[2];
	char tmpl[P], base[1024], pki[1100], pkib[1100], ca[1200], edir[1100], ac[300], eid[33] = "", iccid[21];
	const char *template_path = NULL;
	bool keep = false;
	uint8_t *tpl = NULL;
	size_t tpl_len = 0;
	orsp_euicc_host *host = NULL;
	orsp_lpa_transport t;
	orsp_lpa_card card = {0};
	orsp_lpa_server sv = {0};
	orsp_lpa_ac pac;
	orsp_lpa_download_opts dopt = {0};
	orsp_aka_vector used;
	volatile sig_atomic_t *stop;
	int c, rc = CLI_FAIL;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_KEEP)
			keep = true;
		else if (c == OPT_TEMPLATE)
			template_path = optarg;
		else
			return cli_usage(argv[optind - 1], "unexpected option");
	}
	if ((rc = cli_positional(argc, argv, 0, "")) != CLI_OK)
		return rc;
	rc = CLI_FAIL;
	t0 = orsp_mono_s();
	if (!template_path) {
		snprintf(tmpl, sizeof(tmpl), "%s/%s", cli_data_dir(), TEMPLATE);
		template_path = tmpl;
	}
	/* as profile build reads it: a regular file of at most ORSP_PKG_MAX_SIZE bytes (a FIFO
	 * blocked the demo for ever, a directory or a huge file was malloc'd at its size) */
	if (cli_read_package(template_path, &tpl, &tpl_len) != CLI_OK) {
		if (template_path == tmpl && access(tmpl, F_OK) != 0)
			cli_missing_data("demo");
		return CLI_FAIL;
	}
	if (!tpl_len) {
		free(tpl);
		return cli_failf(template_path, "empty file");
	}
	snprintf(base, sizeof(base), "%s/openrsp-demo.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(base)) {
		free(tpl);
		return cli_failf(base, "cannot create: %s", strerror(errno));
	}
	/* SIGINT, SIGTERM, SIGHUP: the demo stops before its next step and removes the work
	 * directory (the default action left the PKI's keys, the databases and the eUICC there) */
	stop = cli_stop_on_signals();
#define STEP(...)                                                                                  \
	do {                                                                                       \
		if (orsp_stop_set(stop)) {                                                         \
			failedf("stopped by a signal");                                            \
			goto out;                                                                  \
		}                                                                                  \
		say(__VA_ARGS__);                                                                  \
	} while (0)
	printf("openrsp demo: TR 33.812 remote provisioning and change of subscription, on loopback"
	       "\n              (work directory %s)\n\n",
	       base);

	/* 1. PKI */
	snprintf(pki, sizeof(pki), "%s/pki", base);
	snprintf(pkib, sizeof(pkib), "%s/pki-b", base);
	snprintf(ca, sizeof(ca), "%s/ci/ci.pem", pki);
	STEP("private PKI: CI, EUM, eUICC, and DPauth/DPpb/DPtls for %s and %s", ops[0].fqdn,
	     ops[1].fqdn);
	if (cli_pki_create(pki, ops[0].fqdn, ops[0].oid) != CLI_OK ||
	    cli_pki_create_smdp(pkib, pki, ops[1].fqdn, ops[1].oid) != CLI_OK) {
		failedf("PKI");
		goto out;
	}
	/* 2. operators: subscription, AuC, SM-DP+ */
	for (int i = 0; i < 2; i++) {
		op *o = &ops[i];
		snprintf(o->dir, sizeof(o->dir), "%.1000s/%.64s", base, o->name);
		snprintf(o->conf, sizeof(o->conf), "%.1000s/%.64s/smdp.conf", base, o->name);
		snprintf(o->db, sizeof(o->db), "%.1000s/%.64s/smdp.db", base, o->name);
		if (mkdir(o->dir, 0700) != 0) {
			failed("mkdir", orsp_errf(ORSP_E_IO, "%s: %s", o->dir, strerror(errno)));
			goto out;
		}
		STEP("%s: a new subscription (ICCID %s, IMSI %s, Milenage, fresh K/OPc) in its "
		     "SM-DP+ inventory and its AuC",
		     o->name, o->iccid, o->imsi);
		if ((e = make_subscription(o, tpl, tpl_len))) {
			failed("subscription", e);
			goto out;
		}
		if ((e = write_config(o, i == 0 ? pki : pkib, pki)) ||
		    (e = orsp_smdp_config_load(o->conf, &o->cfg))) {
			failed("SM-DP+ configuration", e);
			goto out;
		}
		if ((e = orsp_smdp_server_start(&o->cfg, &o->srv))) {
			failed("SM-DP+", e);
			goto out;
		}
		o->port = orsp_smdp_server_port(o->srv);
		snprintf(o->base, sizeof(o->base), "https://127.0.0.1:%u", (unsigned)o->port);
		routes[i] = (orsp_lpa_route){o->fqdn, o->base};
		detail("%s's SM-DP+ %s serves ES2+/ES9+ on %s", o->name, o->fqdn, o->base);
	}
	/* 3. the device */
	snprintf(edir, sizeof(edir), "%s/device-euicc", base);
	STEP("device: a software eUICC (sealed state, identity from the EUM), LPA on top");
	{
		orsp_euicc_identity id = {0};
		uint8_t *k = NULL, *ce = NULL, *cm = NULL, *cc = NULL;
		size_t kl = 0, cel = 0, cml = 0, ccl = 0;
		char p1[P + 32], p2[P + 32], p3[P + 32], p4[P + 32];
		orsp_cert *cert = NULL;
		snprintf(p1, sizeof(p1), "%s/euicc/euicc_key.pem", pki);
		snprintf(p2, sizeof(p2), "%s/euicc/euicc.der", pki);
		snprintf(p3, sizeof(p3), "%s/eum/eum.der", pki);
		snprintf(p4, sizeof(p4), "%s/ci/ci.der", pki);
		e = read_file(p1, &k, &kl);
		if (!e)
			e = read_file(p2, &ce, &cel);
		if (!e)
			e = read_file(p3, &cm, &cml);
		if (!e)
			e = read_file(p4, &cc, &ccl);
		if (!e)
			e = orsp_cert_parse(ce, cel, &cert);
		if (!e)
			e = orsp_cert_subject_serial(cert, eid, sizeof(eid));
		orsp_cert_free(cert);
		if (!e) {
			id.eid = eid;
			id.sk_euicc = orsp_slice_make(k, kl);
			id.cert_euicc = orsp_slice_make(ce, cel);
			id.cert_eum = orsp_slice_make(cm, cml);
			id.ci_certs[0] = orsp_slice_make(cc, ccl);
			id.n_ci = 1;
			e = orsp_euicc_host_create(edir, &id);
		}
		if (k)
			orsp_wipe(k, kl);
		free(k);
		free(ce);
		free(cm);
		free(cc);
		if (e || (e = orsp_euicc_host_open(edir, &host)) ||
		    (e = orsp_lpa_transport_apdu(orsp_euicc_host_apdu(host), &t)) ||
		    (e = orsp_lpa_card_open(&card, &t)) || (e = orsp_lpa_get_eid(&card, eid))) {
			failed("eUICC", e);
			goto out;
		}
		detail("EID %s", eid);
	}
	sv.ca_file = ca;
	sv.routes = routes;
	sv.n_routes = 2;
	dopt.server = &sv;
	dopt.progress = progress;
	dopt.ac = &pac;
	/* 5-8. operator A; 9-14. operator B, its IMS, A's challenge refused */
	for (int i = 0; i < 2; i++) {
		op *o = &ops[i];
		STEP("%s orders a profile for EID %s (ES2+ downloadOrder + confirmOrder)", o->name,
		     eid);
		if ((e = order(o, ca, eid, ac))) {
			failed("ES2+", e);
			goto out;
		}
		detail("activation code %s", ac);
		STEP("device downloads and installs %s's profile (ES9+ / ES10)", o->name);
		if ((e = orsp_lpa_ac_parse(ac, &pac)) || (e = orsp_lpa_download(&card, &dopt, iccid))) {
			failed("download", e);
			goto out;
		}
		if (strcmp(iccid, o->iccid) != 0) {
			failedf("installed ICCID differs");
			goto out;
		}
		STEP("device enables %s (ICCID %s)%s", o->name, iccid, i ? "; A is disabled" : "");
		if ((e = orsp_lpa_enable(&card, iccid))) {
			failed("enable", e);
			goto out;
		}
		{
			size_t sent = 0;
			if ((e = orsp_lpa_process_notifications(&card, &sv, &sent))) {
				failed("notifications", e);
				goto out;
			}
			detail("%zu notification(s) delivered to the SM-DP+", sent);
		}
		STEP("%s authenticates the device (AKA: AuC vector, USIM AUTHENTICATE)", o->name);
		if (aka(o, orsp_euicc_host_apdu(host), true, i == 1 ? &used : NULL) != CLI_OK)
			goto out;
		if (i == 1) {
			int r;
			STEP(
			    "%s authenticates the device's IMS client (ISIM identity; IMS AKA: AuC "
			    "vector, ISIM AUTHENTICATE)",
			    o->name);
			r = ims(o, orsp_euicc_host_apdu(host), &used);
			orsp_aka_vector_wipe(&used);
			if (r != CLI_OK)
				goto out;
			STEP("the old subscription no longer answers: %s's challenge", ops[0].name);
			if (aka(&ops[0], orsp_euicc_host_apdu(host), false, NULL) != CLI_OK)
				goto out;
		}
	}
	/* 15. delete A, notifications to A */
	STEP("device deletes %s's profile; its SM-DP+ is notified", ops[0].name);
	if ((e = orsp_lpa_delete(&card, ops[0].iccid))) {
		failed("delete", e);
		goto out;
	}
	{
		size_t sent = 0;
		if ((e = orsp_lpa_process_notifications(&card, &sv, &sent))) {
			failed("notifications", e);
			goto out;
		}
		detail("%zu notification(s) delivered", sent);
	}
	STEP("checking what %s's SM-DP+ received", ops[0].name);
	{
		static const char *const ev[] = {"install", "enable", "disable", "delete"};
		orsp_smdp *s = NULL;
		orsp_secret kek = {0};
		char kp[P + 8];
		snprintf(kp, sizeof(kp), "%s.kek", ops[0].db);
		if ((e = orsp_kek_load(kp, &kek)) || (e = orsp_smdp_open(ops[0].db, &kek, &s))) {
			orsp_secret_wipe(&kek);
			failed("SM-DP+ database", e);
			goto out;
		}
		orsp_secret_wipe(&kek);
		for (size_t i = 0; i < ORSP_ARRAY_LEN(ev); i++) {
			size_t n = 0;
			if ((e = orsp_es9p_notification_count(s, ops[0].iccid, ev[i], &n)) || n != 1) {
				orsp_smdp_close(s);
				if (!e)
					e = orsp_errf(ORSP_E_STATE, "%zu %s notifications", n, ev[i]);
				failed("notifications at operator A", e);
				goto out;
			}
		}
		{
			orsp_smdp_profile p;
			if ((e = orsp_smdp_get(s, ops[0].iccid, &p)) || p.state != ORSP_SMDP_INSTALLED) {
				orsp_smdp_close(s);
				if (e)
					failed("A's profile at its SM-DP+", e);
				else
					failedf("A's profile is not Installed at its SM-DP+");
				goto out;
			}
		}
		orsp_smdp_close(s);
		detail("install, enable, disable and delete notifications: one each, verified");
	}
	{
		orsp_lpa_profile list[ORSP_LPA_MAX_PROFILES];
		size_t n = 0;
		if ((e = orsp_lpa_profiles(&card, list, ORSP_ARRAY_LEN(list), &n)) || n != 1 ||
		    strcmp(list[0].iccid, ops[1].iccid) != 0 || !list[0].enabled) {
			if (e)
				failed("the eUICC's profiles", e);
			else
				failedf("the eUICC does not hold exactly B's profile, enabled");
			goto out;
		}
	}
	STEP("done: the device changed operator remotely; every step verified (%.2f s)",
	     orsp_mono_s() - t0);
	rc = CLI_OK;
out:
	orsp_lpa_card_close(&card);
	orsp_euicc_host_close(host);
	for (int i = 0; i < 2; i++) {
		orsp_smdp_server_stop(ops[i].srv);
		ops[i].srv = NULL;
		orsp_smdp_config_free(&ops[i].cfg);
		orsp_auc_close(ops[i].auc);
		ops[i].auc = NULL;
	}
	free(tpl);
	if (keep)
		printf("\nkept %s\n", base);
	else
		rm_rf(base);
	return rc;
#undef STEP
}

static const cli_cmd demo_cmds[] = {
    {"run", "the whole story: two operators, one device, a change of subscription",
     "[--keep] [--template FILE]",
     "Runs, on loopback with SQLite and a throw-away PKI, operator A's and operator\n"
     "B's AuC and SM-DP+ (HTTPS), and a device with a software eUICC and an LPA: A\n"
     "orders, the device downloads, enables and authenticates (AKA); B orders for the\n"
     "same EID, the device downloads B, enables it, authenticates with B (AKA through\n"
     "the USIM, then the ISIM's IMS identity and IMS AKA) and deletes A; A's SM-DP+\n"
     "gets the notifications. Prints a timeline; exit 0 only if every step verified.\n\n"
     "  --keep           keep the work directory (PKI, databases, eUICC state)\n"
     "  --template FILE  the profile package to personalise (default: the TS.48 v7\n"
     "                   profile shipped with openrsp:\n"
     "                   " TEMPLATE " in data/ of the source\n"
     "                   tree, PREFIX/share/openrsp once installed, or $ORSP_DATA_DIR)\n",
     demo_run},
    {NULL, NULL, NULL, NULL, NULL},
};

const cli_noun cli_noun_demo = {
    "demo",
    "The end-to-end demonstration (openrsp demo)",
    demo_cmds,
};
