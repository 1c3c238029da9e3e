/* libFuzzer target for the ES9+ handlers behind their signature checks
 * (src/smdp/es9p_handler.c): what fuzz_smdp_es9p cannot reach, as it cannot make a
 * transactionId the server accepts nor sign as an eUICC.
 *
 * The harness plays two real eUICCs with fixed keys: eUICC A is SGP.26's (EID 8904...1235, its
 * published key and certificate), eUICC B one minted at start-up under the SGP.26 EUM (its key
 * fixed, EID 8904...0163). The SM-DP+ has SGP.26's CI, DPauth and DPpb and the TS.48 test
 * profile imported, Available. Each input runs on the same database: an in-memory one
 * (SQLite's memdb), restored from a copy taken at start-up before every input, with the
 * SM-DP+'s clock set to the same instant (OP_EXPIRE and OP_LATE move it on within the
 * input), so an input's answers depend on it alone (but for the random
 * challenges, transactionIds and signatures, which no check compares across inputs).
 *
 * Input: byte 0 picks the message to mutate (target below: byte 0 % 5) and, with byte 0 / 5,
 * what happens to the order just before it (op below: / 5 % 8) and the platform policy the
 * service has (/ 40: none, one the correct steps pass, one whose EUM list leaves the eUICCs'
 * out), byte 1 the flags of the flow before it, the rest is an edit script for that message's
 * signed content. The flow: the
 * profile is ordered (flags: for no EID, for A or for B; with a confirmation code; download
 * limit 1 or the default) and released; with F_EARLIER the session's eUICC first runs a whole
 * download without a result, so the session is its retry; then initiateAuthentication and
 * each step up to the target are made correctly, and the target's signed content (euiccSigned1;
 * euiccSigned2; the ProfileInstallationResultData; euiccCancelSessionSigned; an
 * otherSignedNotification's NotificationMetadata) is built as a tree of TLVs, edited, encoded
 * and signed with the eUICC's key, so the server's parser and logic see the edited fields.
 * A correct step the server refuses (the flags ask for it: an order for the other eUICC)
 * ends the input. Just before the target, the op may change the order as the operator does
 * through ES2+ (with the library functions its handler calls): cancelOrder to Available or
 * Unavailable, or cancelled and placed again for the same EID or for the other eUICC; or the
 * other eUICC downloads it first; or the clock passes the order's validity, with or without
 * the background expiry run. The platform policy (orsp_smdp_service.platform) is set per
 * input, so a fuzzed euiccInfo2 reaches its checks with a valid signature.
 *
 * Properties (abort on violation): every answer is 200 with a JSON body whose header is
 * Executed-Success, or Failed with a status code of es9p_status.c's table, or 204 without
 * a body for handleNotification, or an internal failure (smdp_internal_error) as 500 without
 * a body; no answer carries the KEK, DPauth's or DPpb's private key or the confirmation code;
 * within an input every package goes to one EID, the profile is bound to that EID (or the
 * order's) and its download counter stays within its limit; no package leaves for an order
 * cancelled before (the sessions end with it), nor a new binding for an order past its
 * validity before any delivery; a cancelOrder to Available leaves the profile bound to no
 * EID, or to the EID of the order placed again; under the policy whose EUM list leaves the
 * eUICCs' EUM out, no authenticateClient succeeds.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "memdb.h"

#include "openrsp/der.h"
#include "openrsp/http.h"
#include "openrsp/smdp.h"

#include "../src/smdp/es9p_internal.h" /* es9p_status, smdp_internal_error */
#include "../tests/euicc_info1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FQDN "testsmdpplus1.example.com"
#define OID "2.999.10"
#define OID_DER "\x88\x37\x0A"
#define MID "FUZZ-1"
#define CC "FUZZ-CC-1"
#define EID_A "89049032123451234512345678901235"
#define EID_B "89049032000000000000000000000163"
#define CLOCK 1780272000 /* 2026-06-01: the SM-DP+'s clock, fixed */
#define LIVE "file:/orsp-fuzz-es9p-session?vfs=memdb"
#define TEMPLATE "file:/orsp-fuzz-es9p-session-template?vfs=memdb"

enum { T_AUTH, T_GBPP, T_PIR, T_CANCEL, T_OTHER, T__COUNT };

/* byte 1 */
#define F_ORDER_EID 0x03 /* 0: no EID, 1 and 3: A, 2: B */
#define F_CC 0x04        /* the order has a confirmation code */
#define F_AS_B 0x08      /* the session is eUICC B's */
#define F_EARLIER 0x10   /* a whole download of the same eUICC first (no result) */
#define F_TWICE 0x20     /* gbpp: a correct one first; cancel, pir, other: after a gbpp */
#define F_NO_MID 0x40    /* the correct authenticateClient without a matching ID */
#define F_LIMIT1 0x80    /* download limit 1 */

/* byte 0 / T__COUNT % 8: what happens to the order just before the target step */
enum {
	OP_NONE,
	OP_CANCEL,      /* ES2+ cancelOrder, to Available */
	OP_CANCEL_UNAV, /* cancelOrder, to Unavailable */
	OP_AGAIN,       /* cancelled, and ordered again on the same terms (EID, matching ID) */
	OP_OTHER_EUICC, /* cancelled, and ordered again for the other eUICC */
	OP_RIVAL,       /* the other eUICC downloads the order */
	OP_EXPIRE,      /* the clock passes the order's validity, the background expiry runs */
	OP_LATE,        /* the clock passes the order's validity, nothing else */
	OP__COUNT
};
#define VALIDITY 60 /* the order's validity for OP_EXPIRE and OP_LATE */

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* ---------------------------------------------------------------- the world ------------- */

typedef struct euicc {
	const char *eid;
	orsp_ec_key *sk;
	uint8_t cert[2048];
	size_t cert_len;
} euicc;

static orsp_smdp *smdp;
static orsp_smdp_service svc;
static orsp_secret kek = {.len = 32};
static euicc eu[2];
static uint8_t eum_cert[2048], ci_ski[32];
static size_t eum_len, ci_ski_len;
static orsp_ec_key *otk[2]; /* the eUICC's one-time keys: a first and a new one */
static sqlite3 *live, *tmpl;
static uint8_t dp_scalar[2][32]; /* DPauth's and DPpb's private keys, never in an answer */
static char iccid[21];
static orsp_smdp_platform_policy policy[3]; /* none, passed by the correct steps, no EUM */
static bool eum_refused; /* this input's policy is policy[2]: no eUICC is authenticated */

/* tests/vectors/<rel> (ORSP_FUZZ_VECTORS, from fuzz/CMakeLists.txt) into buf */
static size_t vector(const char *rel, uint8_t *buf, size_t cap)
{
	char path[1024];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", ORSP_FUZZ_VECTORS, rel);
	fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "fuzz: cannot open %s\n", path);
		abort();
	}
	n = fread(buf, 1, cap, fp);
	check(n > 0 && n < cap && fclose(fp) == 0);
	return n;
}

static orsp_cert *vector_cert(const char *rel)
{
	static uint8_t b[4096];
	orsp_cert *c = NULL;
	check(orsp_cert_parse(b, vector(rel, b, sizeof(b)), &c) == ORSP_OK);
	return c;
}

static orsp_ec_key *vector_key(const char *rel)
{
	static uint8_t b[4096];
	orsp_ec_key *k = NULL;
	check(orsp_ec_load_private(b, vector(rel, b, sizeof(b)), &k) == ORSP_OK);
	return k;
}

/* A P-256 key with the private scalar d, d, ..., d. */
static orsp_ec_key *fixed_key(uint8_t d)
{
	uint8_t s[32];
	orsp_ec_key *k = NULL;
	memset(s, d, sizeof(s));
	check(orsp_ec_from_private_scalar(ORSP_CURVE_P256, s, &k) == ORSP_OK);
	return k;
}

static void scalar_of(const orsp_ec_key *k, uint8_t out[32])
{
	orsp_secret d = {0};
	check(orsp_ec_private_scalar(k, &d) == ORSP_OK && d.len == 32);
	memcpy(out, d.v, 32);
	orsp_secret_wipe(&d);
}

/* eUICC B: CERT.EUICC for EID_B and a fixed key, issued by the SGP.26 EUM */
static void mint_b(void)
{
	orsp_cert_template t;
	orsp_cert *eum = vector_cert("sgp26/EUM/CERT_EUM_ECDSA_NIST.der"), *c = NULL;
	orsp_ec_key *eum_key = vector_key("sgp26/EUM/SK_EUM_ECDSA_NIST.pem");
	orsp_slice der;

	eu[1].eid = EID_B;
	eu[1].sk = fixed_key(0x5B);
	check(orsp_cert_template_init(&t, ORSP_ROLE_EUICC) == ORSP_OK);
	t.country = "ES";
	t.org = "RSP Test EUM";
	t.serial_number = EID_B;
	t.common_name = "Test eUICC";
	t.not_before = 1577836800; /* 2020-01-01 */
	t.not_after = 2524608000;  /* 2050-01-01 */
	check(orsp_cert_issue(&t, eu[1].sk, eum_key, eum, &c) == ORSP_OK);
	der = orsp_cert_der(c);
	check(der.len <= sizeof(eu[1].cert));
	memcpy(eu[1].cert, der.p, der.len);
	eu[1].cert_len = der.len;
	orsp_cert_free(c);
	orsp_cert_free(eum);
	orsp_ec_free(eum_key);
}

static void init(void)
{
	static uint8_t upp[256 * 1024];
	orsp_smdp_profile p;
	size_t n;

	memset(kek.v, 0x6B, 32);
	snprintf(svc.fqdn, sizeof(svc.fqdn), "%s", FQDN);
	snprintf(svc.oid, sizeof(svc.oid), "%s", OID);
	svc.sets[0].ci = vector_cert("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	svc.sets[0].dpauth_cert = vector_cert("sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der");
	svc.sets[0].dpauth_key = vector_key("sgp26/DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem");
	svc.sets[0].dppb_cert = vector_cert("sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der");
	svc.sets[0].dppb_key = vector_key("sgp26/DPpb/SK_S_SM_DPpb_ECDSA_NIST.pem");
	svc.n_sets = 1;
	check(orsp_ci_store_new(&svc.cis) == ORSP_OK);
	check(orsp_ci_store_add(svc.cis, svc.sets[0].ci) == ORSP_OK);
	check(orsp_cert_ski(svc.sets[0].ci, ci_ski, sizeof(ci_ski), &ci_ski_len) == ORSP_OK);
	scalar_of(svc.sets[0].dpauth_key, dp_scalar[0]);
	scalar_of(svc.sets[0].dppb_key, dp_scalar[1]);

	eu[0].eid = EID_A;
	eu[0].sk = vector_key("sgp26/eUICC/SK_EUICC_ECDSA_NIST.pem");
	eu[0].cert_len =
	    vector("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der", eu[0].cert, sizeof(eu[0].cert));
	eum_len = vector("sgp26/EUM/CERT_EUM_ECDSA_NIST.der", eum_cert, sizeof(eum_cert));
	mint_b();
	otk[0] = fixed_key(0x11);
	otk[1] = fixed_key(0x22);

	/* a platform policy with every item, which the correct euiccInfo2 below passes (each
	 * version at its least, its firmware not denied, its SAS and EUM listed); the same with
	 * an EUM list that has only another key's */
	{
		orsp_smdp_platform_policy *pol = &policy[1];
		orsp_cert *eum = vector_cert("sgp26/EUM/CERT_EUM_ECDSA_NIST.der");
		pol->min_firmware = (orsp_smdp_version){true, {1, 0, 0}};
		pol->min_pp = (orsp_smdp_version){true, {0, 1, 0}};
		pol->min_svn = (orsp_smdp_version){true, {2, 2, 0}};
		pol->min_gp = (orsp_smdp_version){true, {2, 3, 0}};
		memcpy(pol->firmware_denied, "\x01\x00\x01\x00\x09\x09", 6);
		pol->n_firmware_denied = 2;
		snprintf(pol->sas[0], sizeof(pol->sas[0]), "%s", "openrsp-fuzz");
		snprintf(pol->sas[1], sizeof(pol->sas[1]), "%s", "openrsp-fuzz-2");
		pol->n_sas = 2;
		check(orsp_cert_ski(eum, pol->eum_ski[0], sizeof(pol->eum_ski[0]),
		                    &pol->eum_ski_len[0]) == ORSP_OK);
		pol->n_eum = 1;
		orsp_cert_free(eum);
		policy[2] = *pol;
		memcpy(policy[2].eum_ski[0], ci_ski, ci_ski_len);
		policy[2].eum_ski_len[0] = ci_ski_len;
	}

	/* the in-memory databases: ours hold them open (a memdb lives while a connection does) */
	live = memdb_open(LIVE);
	tmpl = memdb_open(TEMPLATE);
	check(orsp_smdp_open(LIVE, &kek, &smdp) == ORSP_OK);
	orsp_smdp_set_clock(smdp, CLOCK);
	check(orsp_es9p_prepare(smdp) == ORSP_OK);
	n = vector("saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der", upp, sizeof(upp));
	check(orsp_smdp_import(smdp, upp, n, &p) == ORSP_OK);
	snprintf(iccid, sizeof(iccid), "%s", p.iccid);
	/* its metadata built once, here, as ES2+ release does */
	check(orsp_es9p_warm(&svc, smdp, iccid) == ORSP_OK);
	memdb_copy(tmpl, live);
}

/* Every input starts from the database as init() left it. */
static void reset(void)
{
	memdb_copy(live, tmpl);
}

/* ---------------------------------------------------------------- the answers ----------- */

/* memmem: one call for a package of tens of KiB, where a memcmp at each offset is one for
 * every byte, each traced by libFuzzer */
static bool has(const uint8_t *p, size_t n, const uint8_t *s, size_t sl)
{
	return memmem(p, n, s, sl) != NULL;
}

/* How many times s (sl bytes) occurs in p (n bytes) */
static size_t count_of(const uint8_t *p, size_t n, const uint8_t *s, size_t sl)
{
	size_t c = 0;
	const uint8_t *at;

	while (n >= sl && (at = memmem(p, n, s, sl)) != NULL) {
		c++;
		n -= (size_t)(at - p) + 1;
		p = at + 1;
	}
	return c;
}

/* How many times the request's members hold the confirmation code's text, as they are and
 * inside their base64 (an error message may quote a field the eUICC sent, such as a refused
 * sasAcreditationNumber, into which the fuzzer can copy that text) */
static size_t sent_cc(json_t *req)
{
	const uint8_t *cc = (const uint8_t *)CC;
	const char *k;
	json_t *v;
	size_t found = 0;

	json_object_foreach(req, k, v)
	{
		uint8_t *p = NULL;
		size_t n = 0;
		if (!json_is_string(v))
			continue;
		found += count_of((const uint8_t *)json_string_value(v), json_string_length(v), cc,
		                  strlen(CC));
		if (orsp_json_get_base64_alloc(req, k, 1 << 20, &p, &n) == ORSP_OK)
			found += count_of(p, n, cc, strlen(CC));
		orsp_err_clear();
		free(p);
	}
	return found;
}

/* No base64 member of the answer holds a secret of the SM-DP+, nor its text the code more
 * often than the request held it (quoted times) */
static void no_secret(json_t *o, const char *body, size_t quoted)
{
	const char *k;
	json_t *v;

	check(count_of((const uint8_t *)body, strlen(body), (const uint8_t *)CC, strlen(CC)) <=
	      quoted);
	json_object_foreach(o, k, v)
	{
		uint8_t *p = NULL;
		size_t n = 0;
		if (!json_is_string(v) || orsp_json_get_base64_alloc(o, k, 1 << 20, &p, &n)) {
			orsp_err_clear();
			continue;
		}
		check(!has(p, n, kek.v, 32) && !has(p, n, dp_scalar[0], 32) &&
		      !has(p, n, dp_scalar[1], 32));
		free(p);
	}
}

/* A Failed answer's status code is one of the table's. */
static bool in_table(const orsp_json_status *st)
{
	for (int c = 0; c < ES9P__COUNT; c++) {
		const char *s, *r, *m;
		es9p_status((es9p_code)c, &s, &r, &m);
		if (s && r && !strcmp(s, st->subject_code) && !strcmp(r, st->reason_code))
			return true;
	}
	return false;
}

/* One request; the properties of its answer. Returns the JSON answer of a 200 (the caller
 * frees it), NULL otherwise; *ok: Executed-Success (or 204). */
static json_t *call(const char *fn, json_t *req, bool *ok)
{
	char *body = json_dumps(req, JSON_COMPACT);
	size_t quoted = sent_cc(req);
	orsp_smdp_reply rep;
	json_t *out = NULL;
	orsp_err e;

	check(body != NULL);
	json_decref(req);
	*ok = false;
	e = orsp_es9p_handle(&svc, smdp, fn, (const uint8_t *)body, strlen(body), &rep);
	free(body);
	if (e != ORSP_OK) {
		check(rep.http_status == 500 && rep.body == NULL && smdp_internal_error(e));
		orsp_err_clear();
	} else if (rep.http_status == 204) {
		check(rep.body == NULL && strcmp(fn, "handleNotification") == 0);
		*ok = true;
	} else {
		orsp_json_status st;
		json_error_t je;
		check(rep.http_status == 200 && rep.body != NULL);
		out = json_loads(rep.body, 0, &je);
		check(out != NULL && orsp_json_header_get(out, &st) == ORSP_OK);
		check(st.status == ORSP_FES_SUCCESS ||
		      (st.status == ORSP_FES_FAILED && in_table(&st)));
		no_secret(out, rep.body, quoted);
		*ok = st.status == ORSP_FES_SUCCESS;
	}
	orsp_smdp_reply_free(&rep);
	return out;
}

/* ---------------------------------------------------------------- signed content -------- */

/* A message as a tree of TLVs that the edit script changes before it is encoded. Children
 * of a node are emitted in array order, each followed by the nodes inserted after it. */
#define NODES 64

typedef struct node {
	uint32_t tag;
	int parent, after; /* after: inserted behind that node (-1: in array order) */
	bool cons, gone;
	uint8_t len;
	uint8_t v[255];
} node;

typedef struct tree {
	node n[NODES];
	int count;
} tree;

static int add(tree *t, int parent, uint32_t tag, const void *v, size_t len, bool cons)
{
	node *x = &t->n[t->count];
	check(t->count < NODES && len <= sizeof(x->v));
	memset(x, 0, sizeof(*x));
	x->tag = tag;
	x->parent = parent;
	x->after = -1;
	x->cons = cons;
	x->len = (uint8_t)len;
	if (len)
		memcpy(x->v, v, len);
	return t->count++;
}

static int leaf(tree *t, int parent, uint32_t tag, const void *v, size_t len)
{
	return add(t, parent, tag, v, len, false);
}

static int cons(tree *t, int parent, uint32_t tag)
{
	return add(t, parent, tag, NULL, 0, true);
}

static void emit(const tree *t, int i, orsp_writer *w);

static void emit_after(const tree *t, int i, orsp_writer *w)
{
	for (int m = 0; m < t->count; m++)
		if (t->n[m].after == i) {
			emit(t, m, w);
			emit_after(t, m, w);
		}
}

static void emit(const tree *t, int i, orsp_writer *w)
{
	const node *x = &t->n[i];
	orsp_der_mark m;

	if (x->gone)
		return;
	if (!x->cons) {
		orsp_der_put_tlv(w, x->tag, x->v, x->len);
		return;
	}
	m = orsp_der_begin(w, x->tag);
	for (int j = 0; j < t->count; j++)
		if (t->n[j].parent == i && t->n[j].after < 0) {
			emit(t, j, w);
			emit_after(t, j, w);
		}
	orsp_der_end(w, m);
}

/* A tag from the script: one byte, two when its low five bits say so (BF22, 5F49). */
static uint32_t take_tag(const uint8_t **p, const uint8_t *end)
{
	uint32_t tag = *p < end ? *(*p)++ : 0x04;
	if ((tag & 0x1F) == 0x1F)
		tag = tag << 8 | (*p < end ? *(*p)++ & 0x7F : 0x22);
	return tag;
}

static size_t take_value(const uint8_t **p, const uint8_t *end, uint8_t *out)
{
	size_t n = *p < end ? *(*p)++ : 0;
	if (n > (size_t)(end - *p))
		n = (size_t)(end - *p);
	memcpy(out, *p, n);
	*p += n;
	return n;
}

/* The edit script: up to 16 operations, each a byte (kind = byte % 6, node = byte / 6 modulo
 * the node count) and its operands. */
static void edit(tree *t, const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	uint8_t v[255];

	for (int ops = 0; ops < 16 && p < end; ops++) {
		unsigned op = *p++;
		int k = (int)(op / 6) % t->count, x;
		node *n = &t->n[k];
		switch (op % 6) {
		case 0: /* its value, raw (a constructed node becomes a leaf) */
			n->len = (uint8_t)take_value(&p, end, n->v);
			n->cons = false;
			break;
		case 1: /* left out */
			n->gone = k != 0;
			break;
		case 2: /* another tag */
			n->tag = take_tag(&p, end);
			break;
		case 3: /* a new field after it (the root: a last child) */
		case 4: /* a new field as its last child (a leaf: after it) */
			if (t->count == NODES)
				return;
			{
				uint32_t tag = take_tag(&p, end);
				size_t vl = take_value(&p, end, v);
				bool child = k == 0 || (op % 6 == 4 && n->cons);
				x = leaf(t, child ? k : n->parent, tag, v, vl);
				if (!child)
					t->n[x].after = k;
			}
			break;
		default: /* one byte of its value flipped */
			if (p + 1 < end && n->len && !n->cons) {
				n->v[p[0] % n->len] ^= p[1];
				p += 2;
			} else
				p = end;
			break;
		}
	}
}

/* Room for any tree: every node at its largest, with a header of the largest tag. */
#define SIGNED_MAX (NODES * (255 + 8))
#define WRAP_MAX (SIGNED_MAX + 8192)

/* The tree, edited by the script (NULL: as built), encoded into out (SIGNED_MAX bytes), and
 * signed with k over the encoding followed by `suffix` (suffix_len bytes); returns the
 * encoding's length. */
static size_t seal(tree *t, const uint8_t *script, size_t script_len, const uint8_t *suffix,
                   size_t suffix_len, const orsp_ec_key *k, uint8_t *out,
                   uint8_t sig[3 + ORSP_EC_SIG_LEN])
{
	static uint8_t msg[SIGNED_MAX + 128];
	orsp_writer w;

	if (script)
		edit(t, script, script_len);
	orsp_writer_init(&w, out, SIGNED_MAX);
	emit(t, 0, &w);
	check(orsp_writer_status(&w) == ORSP_OK && w.len + suffix_len <= sizeof(msg));
	memcpy(msg, out, w.len);
	if (suffix_len)
		memcpy(msg + w.len, suffix, suffix_len);
	sig[0] = 0x5F;
	sig[1] = 0x37;
	sig[2] = 0x40;
	check(orsp_ecdsa_sign(k, msg, w.len + suffix_len, sig + 3) == ORSP_OK);
	return w.len;
}

/* ---------------------------------------------------------------- the eUICC's steps ----- */

typedef struct session {
	const euicc *e;
	char tid_hex[33];
	uint8_t tid[16], schal[16], sig2[67];
	size_t tid_len;
} session;

typedef struct script {
	const uint8_t *p; /* NULL: the step is made correctly */
	size_t len;
} script;

/* What the packages of one input went to: one EID, and each binding a session's one-time
 * key (a package sent again for the same key is the same binding, not a new download) */
#define BINDINGS 8

typedef struct outcome {
	const char *bpp_eid;
	char tid[BINDINGS][33];
	int key[BINDINGS];
	unsigned n;
	bool closed;        /* no package may leave any more (the order cancelled or expired) */
	bool cancelled;     /* the op cancelled the order */
	const char *expect; /* then: the EID the profile ends bound to ("": none) */
} outcome;

static json_t *request(const char *tid_hex)
{
	json_t *o = json_object();
	check(o != NULL);
	if (tid_hex)
		check(orsp_json_put_string(o, "transactionId", tid_hex) == ORSP_OK);
	return o;
}

static void put_b64(json_t *o, const char *k, const uint8_t *p, size_t n)
{
	check(orsp_json_put_base64(o, k, p, n) == ORSP_OK);
}

static bool initiate(session *s)
{
	static const uint8_t echal[16] = {0xEC, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	uint8_t info1[128], s1[256];
	const char *tid;
	size_t tl, n1 = 0, info1_len;
	orsp_tlv t, f;
	orsp_reader r;
	json_t *req = request(NULL), *rsp;
	bool ok;

	info1_len = test_euicc_info1(info1, sizeof(info1), ci_ski, ci_ski_len, ci_ski, ci_ski_len);
	check(info1_len > 0);
	put_b64(req, "euiccChallenge", echal, 16);
	put_b64(req, "euiccInfo1", info1, info1_len);
	check(orsp_json_put_string(req, "smdpAddress", FQDN) == ORSP_OK);
	rsp = call("initiateAuthentication", req, &ok);
	/* the correct request is always taken */
	check(ok && rsp != NULL);
	check(orsp_json_get_string(rsp, "transactionId", 32, &tid, &tl) == ORSP_OK);
	snprintf(s->tid_hex, sizeof(s->tid_hex), "%s", tid);
	check(orsp_hex_decode(tid, s->tid, sizeof(s->tid), &s->tid_len) == ORSP_OK);
	check(orsp_json_get_base64(rsp, "serverSigned1", s1, sizeof(s1), &n1) == ORSP_OK);
	check(orsp_der_parse_one(orsp_slice_make(s1, n1), &t) == ORSP_OK);
	orsp_reader_init(&r, t.value.p, t.value.len);
	while (orsp_reader_remaining(&r)) {
		check(orsp_der_read(&r, &f) == ORSP_OK);
		if (f.tag == 0x84 && f.value.len == 16)
			memcpy(s->schal, f.value.p, 16);
	}
	json_decref(rsp);
	return true;
}

/* authenticateClient: euiccSigned1 with euiccInfo2 and ctxParams1 as an SGP.22 v2.2 eUICC
 * sends them (matching ID mid, NULL: none) */
static bool authenticate(session *s, const char *mid, const script *sc)
{
	static tree t;
	static uint8_t s1[SIGNED_MAX], asr[WRAP_MAX];
	uint8_t sig[67];
	size_t n;
	int i2, l, ctx, di;
	orsp_writer w;
	orsp_der_mark m, ok;
	json_t *rsp;
	bool good;

	t.count = 0;
	cons(&t, -1, 0x30);
	leaf(&t, 0, 0x80, s->tid, s->tid_len);
	leaf(&t, 0, 0x83, FQDN, strlen(FQDN));
	leaf(&t, 0, 0x84, s->schal, 16);
	i2 = cons(&t, 0, 0xBF22);
	leaf(&t, i2, 0x81, "\x02\x03\x01", 3); /* profileVersion */
	leaf(&t, i2, 0x82, "\x02\x02\x02", 3); /* svn */
	leaf(&t, i2, 0x83, "\x01\x00\x00", 3); /* euiccFirmwareVer */
	l = cons(&t, i2, 0x84);                /* extCardResource */
	leaf(&t, l, 0x81, "\x00", 1);
	leaf(&t, l, 0x82, "\x10\x00\x00", 3);
	leaf(&t, i2, 0x85, "\x00\x4B", 2);     /* uiccCapability */
	leaf(&t, i2, 0x86, "\x03\x00\x00", 3); /* javacardVersion */
	leaf(&t, i2, 0x87, "\x02\x03\x00", 3); /* globalplatformVersion */
	leaf(&t, i2, 0x88, "\x06\xC0", 2);     /* rspCapability */
	l = cons(&t, i2, 0xA9);
	leaf(&t, l, 0x04, ci_ski, ci_ski_len);
	l = cons(&t, i2, 0xAA);
	leaf(&t, l, 0x04, ci_ski, ci_ski_len);
	leaf(&t, i2, 0x8B, "\x02", 1);          /* euiccCategory */
	leaf(&t, i2, 0x99, "\x06\x00", 2);      /* forbiddenProfilePolicyRules */
	leaf(&t, i2, 0x04, "\x00\x01\x00", 3);  /* ppVersion */
	leaf(&t, i2, 0x0C, "openrsp-fuzz", 12); /* sasAcreditationNumber */
	ctx = cons(&t, 0, 0xA0);
	if (mid)
		leaf(&t, ctx, 0x80, mid, strlen(mid));
	di = cons(&t, ctx, 0xA1);
	leaf(&t, di, 0x80, "\x35\x29\x06\x11", 4); /* TAC */
	l = cons(&t, di, 0xA1);                    /* deviceCapabilities */
	leaf(&t, l, 0x80, "\x02\x00\x00", 3);      /* gsmSupportedRelease */
	leaf(&t, l, 0x85, "\x0F\x00\x00", 3);      /* eutranSupportedRelease */
	n = seal(&t, sc->p, sc->len, NULL, 0, s->e->sk, s1, sig);
	orsp_writer_init(&w, asr, sizeof(asr));
	m = orsp_der_begin(&w, 0xBF38);
	ok = orsp_der_begin(&w, 0xA0);
	orsp_write_bytes(&w, s1, n);
	orsp_write_bytes(&w, sig, sizeof(sig));
	orsp_write_bytes(&w, s->e->cert, s->e->cert_len);
	orsp_write_bytes(&w, eum_cert, eum_len);
	orsp_der_end(&w, ok);
	orsp_der_end(&w, m);
	check(orsp_writer_status(&w) == ORSP_OK);
	{
		json_t *req = request(s->tid_hex);
		put_b64(req, "authenticateServerResponse", asr, w.len);
		rsp = call("authenticateClient", req, &good);
	}
	/* an EUM the policy does not list is refused, whatever the rest */
	check(!good || !eum_refused);
	if (good)
		check(orsp_json_get_base64(rsp, "smdpSignature2", s->sig2, sizeof(s->sig2), &n) ==
		          ORSP_OK &&
		      n == sizeof(s->sig2));
	json_decref(rsp);
	return good;
}

/* getBoundProfilePackage with one-time key otk[key] and the confirmation code when cc */
static bool get_bpp(session *s, int key, bool cc, const script *sc, outcome *o)
{
	static tree t;
	static uint8_t s2[SIGNED_MAX], pdr[WRAP_MAX];
	uint8_t otpk[ORSP_EC_POINT_LEN], sig[67];
	size_t n;
	orsp_writer w;
	orsp_der_mark m, ok;
	json_t *req, *rsp;
	bool good;

	check(orsp_ec_public_point(otk[key], otpk) == ORSP_OK);
	t.count = 0;
	cons(&t, -1, 0x30);
	leaf(&t, 0, 0x80, s->tid, s->tid_len);
	leaf(&t, 0, 0x5F49, otpk, sizeof(otpk));
	if (cc) {
		uint8_t in[32 + 16], h[32];
		check(orsp_sha256(CC, strlen(CC), in) == ORSP_OK);
		memcpy(in + 32, s->tid, s->tid_len);
		check(orsp_sha256(in, 32 + s->tid_len, h) == ORSP_OK);
		leaf(&t, 0, 0x04, h, sizeof(h));
	}
	n = seal(&t, sc->p, sc->len, s->sig2, sizeof(s->sig2), s->e->sk, s2, sig);
	orsp_writer_init(&w, pdr, sizeof(pdr));
	m = orsp_der_begin(&w, 0xBF21);
	ok = orsp_der_begin(&w, 0xA0);
	orsp_write_bytes(&w, s2, n);
	orsp_write_bytes(&w, sig, sizeof(sig));
	orsp_der_end(&w, ok);
	orsp_der_end(&w, m);
	check(orsp_writer_status(&w) == ORSP_OK);
	req = request(s->tid_hex);
	put_b64(req, "prepareDownloadResponse", pdr, w.len);
	rsp = call("getBoundProfilePackage", req, &good);
	if (good) {
		/* a package: every one of this input goes to the same eUICC, none once the
		 * order was cancelled or expired undelivered */
		check(json_object_get(rsp, "boundProfilePackage") != NULL && !o->closed);
		unsigned i;
		check(!o->bpp_eid || strcmp(o->bpp_eid, s->e->eid) == 0);
		o->bpp_eid = s->e->eid;
		for (i = 0; i < o->n && (o->key[i] != key || strcmp(o->tid[i], s->tid_hex)); i++)
			;
		if (i == o->n) {
			check(o->n < BINDINGS);
			snprintf(o->tid[o->n], sizeof(o->tid[0]), "%s", s->tid_hex);
			o->key[o->n++] = key;
		}
	}
	json_decref(rsp);
	return good;
}

/* handleNotification with the ProfileInstallationResult of a successful installation */
static void pir(session *s, const script *sc)
{
	static tree t;
	static uint8_t d[SIGNED_MAX], p[WRAP_MAX];
	uint8_t sig[67];
	size_t n;
	int meta, res, ok;
	orsp_writer w;
	orsp_der_mark m;
	json_t *req;
	bool good;

	t.count = 0;
	cons(&t, -1, 0xBF27);
	leaf(&t, 0, 0x80, s->tid, s->tid_len);
	meta = cons(&t, 0, 0xBF2F);
	leaf(&t, meta, 0x80, "\x01", 1);     /* seqNumber */
	leaf(&t, meta, 0x81, "\x07\x80", 2); /* install */
	leaf(&t, meta, 0x0C, FQDN, strlen(FQDN));
	leaf(&t, 0, 0x06, OID_DER, 3);
	res = cons(&t, 0, 0xA2);
	ok = cons(&t, res, 0xA0);
	leaf(&t, ok, 0x4F, "\xA0\x00\x00\x05\x59\x10\x10\xFF\xFF\xFF\xFF\x89\x00\x00\x10\x00", 16);
	leaf(&t, ok, 0x04, "\x30\x07\xA0\x05\x30\x03\x80\x01\x00", 9);
	n = seal(&t, sc->p, sc->len, NULL, 0, s->e->sk, d, sig);
	orsp_writer_init(&w, p, sizeof(p));
	m = orsp_der_begin(&w, 0xBF37);
	orsp_write_bytes(&w, d, n);
	orsp_write_bytes(&w, sig, sizeof(sig));
	orsp_der_end(&w, m);
	check(orsp_writer_status(&w) == ORSP_OK);
	req = request(NULL);
	put_b64(req, "pendingNotification", p, w.len);
	json_decref(call("handleNotification", req, &good));
}

/* cancelSession with reason postponed */
static void cancel(session *s, const script *sc)
{
	static tree t;
	static uint8_t d[SIGNED_MAX], c[WRAP_MAX];
	uint8_t sig[67];
	size_t n;
	orsp_writer w;
	orsp_der_mark m, ok;
	json_t *req;
	bool good;

	t.count = 0;
	cons(&t, -1, 0x30);
	leaf(&t, 0, 0x80, s->tid, s->tid_len);
	leaf(&t, 0, 0x81, OID_DER, 3);
	leaf(&t, 0, 0x82, "\x01", 1);
	n = seal(&t, sc->p, sc->len, NULL, 0, s->e->sk, d, sig);
	orsp_writer_init(&w, c, sizeof(c));
	m = orsp_der_begin(&w, 0xBF41);
	ok = orsp_der_begin(&w, 0xA0);
	orsp_write_bytes(&w, d, n);
	orsp_write_bytes(&w, sig, sizeof(sig));
	orsp_der_end(&w, ok);
	orsp_der_end(&w, m);
	check(orsp_writer_status(&w) == ORSP_OK);
	req = request(s->tid_hex);
	put_b64(req, "cancelSessionResponse", c, w.len);
	json_decref(call("cancelSession", req, &good));
}

/* handleNotification with an otherSignedNotification (enable) of the profile */
static void other(const euicc *e, const script *sc)
{
	static tree t;
	static uint8_t d[SIGNED_MAX], p[WRAP_MAX];
	uint8_t sig[67], ef[10];
	size_t n;
	orsp_writer w;
	orsp_der_mark m;
	json_t *req;
	bool good;

	check(orsp_iccid_encode_ef(iccid, ef) == ORSP_OK);
	t.count = 0;
	cons(&t, -1, 0xBF2F);
	leaf(&t, 0, 0x80, "\x02", 1);
	leaf(&t, 0, 0x81, "\x06\x40", 2);
	leaf(&t, 0, 0x0C, FQDN, strlen(FQDN));
	leaf(&t, 0, 0x5A, ef, sizeof(ef));
	n = seal(&t, sc->p, sc->len, NULL, 0, e->sk, d, sig);
	orsp_writer_init(&w, p, sizeof(p));
	m = orsp_der_begin(&w, 0x30);
	orsp_write_bytes(&w, d, n);
	orsp_write_bytes(&w, sig, sizeof(sig));
	orsp_write_bytes(&w, e->cert, e->cert_len);
	orsp_write_bytes(&w, eum_cert, eum_len);
	orsp_der_end(&w, m);
	check(orsp_writer_status(&w) == ORSP_OK);
	req = request(NULL);
	put_b64(req, "pendingNotification", p, w.len);
	json_decref(call("handleNotification", req, &good));
}

/* ---------------------------------------------------------------- one input ------------- */

static const char *order_eid(unsigned fl)
{
	switch (fl & F_ORDER_EID) {
	case 0:
		return NULL;
	case 2:
		return EID_B;
	default:
		return EID_A;
	}
}

static const script none = {NULL, 0};

/* The order placed and released as the operator does it (ES2+ downloadOrder, confirmOrder
 * with releaseFlag): for eid, with the confirmation code when fl has F_CC. */
static void place(const char *eid, unsigned fl, unsigned op)
{
	orsp_smdp_order ord = {0};
	orsp_smdp_profile p;

	ord.iccid = iccid;
	ord.eid = eid;
	ord.matching_id = MID;
	ord.download_limit = fl & F_LIMIT1 ? 1 : 0;
	ord.validity_s = op == OP_EXPIRE || op == OP_LATE ? VALIDITY : 0;
	check(orsp_smdp_download_order(smdp, &ord, &p) == ORSP_OK);
	check(orsp_smdp_confirm_order(smdp, MID, fl & F_CC ? CC : NULL, true) == ORSP_OK);
}

/* What op does to the order just before the target step of eUICC e's session. */
static void act(unsigned op, unsigned fl, const euicc *e, outcome *o)
{
	const euicc *rival = e == &eu[0] ? &eu[1] : &eu[0];
	session r = {.e = rival};
	orsp_err err;
	size_t n;

	switch (op) {
	case OP_NONE:
		return;
	case OP_RIVAL: /* refused unless the order is for no EID or the rival's */
		if (initiate(&r) && authenticate(&r, fl & F_NO_MID ? NULL : MID, &none))
			get_bpp(&r, 0, fl & F_CC, &none, o);
		return;
	case OP_EXPIRE:
	case OP_LATE:
		orsp_smdp_set_clock(smdp, CLOCK + 2 * VALIDITY);
		if (op == OP_EXPIRE)
			check(orsp_smdp_expire(smdp, &n) == ORSP_OK);
		/* a delivered order may still be bound again (a retry); an undelivered one not */
		o->closed = o->n == 0;
		return;
	default:
		break;
	}
	/* ES2+ cancelOrder: from an open or a delivered order, not an installed one */
	err = orsp_smdp_cancel_order(smdp, iccid, NULL, NULL, op != OP_CANCEL_UNAV);
	if (err) {
		check(err == ORSP_E_STATE);
		orsp_err_clear();
		return;
	}
	o->closed = true;
	if (op == OP_CANCEL_UNAV)
		return; /* Unavailable: the profile keeps the order's EID */
	o->cancelled = true;
	o->bpp_eid = NULL; /* to Available: the profile forgets the eUICC it went to */
	o->expect = "";
	if (op == OP_AGAIN || op == OP_OTHER_EUICC) {
		o->expect = op == OP_AGAIN ? order_eid(fl) : rival->eid;
		place(o->expect, fl, OP_NONE);
		if (!o->expect)
			o->expect = "";
		if (orsp_es9p_warm(&svc, smdp, iccid)) /* as ES2+ confirmOrder does */
			orsp_err_clear();
	}
}

/* The flow up to the target step, then the target with the edit script mut, op just before
 * it; a correct step the server refuses ends it. */
static void run(int target, unsigned fl, unsigned op, const script *mut, outcome *o)
{
	const euicc *e = &eu[fl & F_AS_B ? 1 : 0];
	const char *mid = fl & F_NO_MID ? NULL : MID;
	bool cc = fl & F_CC;
	session s = {.e = e};

	if (fl & F_EARLIER) {
		session s0 = {.e = e};
		if (!initiate(&s0) || !authenticate(&s0, mid, &none) ||
		    !get_bpp(&s0, 0, cc, &none, o))
			return;
	}
	if (target == T_OTHER) {
		/* about the profile as this input left it: delivered (F_TWICE: and installed) */
		if (fl & F_TWICE && initiate(&s) && authenticate(&s, mid, &none) &&
		    get_bpp(&s, 0, cc, &none, o))
			pir(&s, &none);
		act(op, fl, e, o);
		other(e, mut);
		return;
	}
	initiate(&s);
	if (target == T_AUTH) {
		act(op, fl, e, o);
		authenticate(&s, mid, mut);
		return;
	}
	if (!authenticate(&s, mid, &none))
		return;
	switch (target) {
	case T_GBPP:
		/* F_TWICE: the edited request is the session's second, after a delivery */
		if (fl & F_TWICE && !get_bpp(&s, 0, cc, &none, o))
			return;
		act(op, fl, e, o);
		get_bpp(&s, fl & F_EARLIER ? 1 : 0, cc, mut, o);
		return;
	case T_PIR:
		if (get_bpp(&s, fl & F_TWICE ? 1 : 0, cc, &none, o)) {
			act(op, fl, e, o);
			pir(&s, mut);
		}
		return;
	default: /* T_CANCEL: before the delivery, or after it with F_TWICE */
		if (fl & F_TWICE && !get_bpp(&s, 0, cc, &none, o))
			return;
		act(op, fl, e, o);
		cancel(&s, mut);
		return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	orsp_smdp_profile p;
	outcome o = {0};
	const char *eid;
	script mut;
	unsigned fl, op;

	if (!smdp)
		init();
	if (size < 2)
		return 0;
	fl = data[1];
	op = data[0] / T__COUNT % OP__COUNT;
	mut.p = data + 2;
	mut.len = size - 2;
	reset();
	orsp_smdp_set_clock(smdp, CLOCK);
	svc.platform = policy[data[0] / (T__COUNT * OP__COUNT) % 3];
	eum_refused = data[0] / (T__COUNT * OP__COUNT) % 3 == 2;
	eid = order_eid(fl);
	place(eid, fl, op);
	run(data[0] % T__COUNT, fl, op, &mut, &o);

	/* the profile is bound to the order's EID or the one that got its packages (after a
	 * cancellation: to the order placed again, or none), and bound no more often than its
	 * download limit allows */
	check(orsp_smdp_get(smdp, iccid, &p) == ORSP_OK);
	check(o.n <= (fl & F_LIMIT1 ? 1u : ORSP_SMDP_DEFAULT_DOWNLOAD_LIMIT));
	if (o.cancelled)
		check(strcmp(p.eid, o.expect) == 0);
	else if (eid)
		check(strcmp(p.eid, eid) == 0);
	if (o.bpp_eid)
		check(strcmp(p.eid, o.bpp_eid) == 0);
	check(!p.eid[0] || !strcmp(p.eid, EID_A) || !strcmp(p.eid, EID_B));
	return 0;
}
