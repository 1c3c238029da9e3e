/* libFuzzer target for the ISD-R's ES10 functions (src/euicc/es10_isdr.c).
 *
 * The input is a session: a sequence of ES10 requests, each a 2-byte big-endian length and
 * that many bytes (cut short at the end of the input), given to one eUICC with
 * orsp_euicc_es10(). The eUICC is the SGP.26 NIST test identity (tests/vectors/sgp26, found
 * next to this source file), provisioned once into an in-memory record store; every input
 * starts from that provisioned state. Properties:
 *  - orsp_euicc_es10() never crashes, and fails only with a defined error category;
 *  - a response is empty (an intermediate LoadBoundProfilePackage piece) or exactly one
 *    well-formed DER TLV whose tag is the request's (BF37 answers a BF36 piece);
 *  - the profile and notification counts stay within the compile-time limits;
 *  - the records in the store always reopen (orsp_euicc_open on them succeeds) and give the
 *    same counts.
 * A violated property calls abort(). The eUICC draws random challenges and keys, so runs are
 * not bit-for-bit reproducible, but no property depends on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/der.h"
#include "openrsp/euicc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* ---------------------------------------------------------------- record store ---------- */

#define RECS 24
#define REC_CAP (ORSP_EUICC_RECORD_MAX + 1024)

typedef struct store {
	char name[RECS][ORSP_EUICC_RECORD_NAME_MAX + 1];
	size_t len[RECS];
	bool used[RECS];
	uint8_t *data[RECS]; /* REC_CAP each */
} store;

static store live, base;

static int st_find(store *s, const char *name)
{
	for (int i = 0; i < RECS; i++)
		if (s->used[i] && !strcmp(s->name[i], name))
			return i;
	return -1;
}

static orsp_err st_commit(void *user, const orsp_euicc_record *recs, size_t n)
{
	store *s = user;
	for (size_t i = 0; i < n; i++) {
		int k = st_find(s, recs[i].name);
		if (strlen(recs[i].name) > ORSP_EUICC_RECORD_NAME_MAX || recs[i].len > REC_CAP)
			return ORSP_E_STORAGE;
		if (k >= 0)
			s->used[k] = false;
		if (!recs[i].data)
			continue;
		for (k = 0; k < RECS && s->used[k]; k++)
			;
		if (k == RECS)
			return ORSP_E_STORAGE; /* not atomic here; the store is only ever this big
			                        */
		snprintf(s->name[k], sizeof(s->name[k]), "%s", recs[i].name);
		memcpy(s->data[k], recs[i].data, recs[i].len);
		s->len[k] = recs[i].len;
		s->used[k] = true;
	}
	return ORSP_OK;
}

static orsp_err st_read(void *user, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	store *s = user;
	int k = st_find(s, name);
	if (k < 0)
		return ORSP_E_NOT_FOUND;
	*len = s->len[k];
	if (cap < s->len[k])
		return ORSP_E_RESOURCE;
	memcpy(buf, s->data[k], s->len[k]);
	return ORSP_OK;
}

static const orsp_euicc_storage_ops st_ops = {st_commit, st_read};

static void st_copy(store *dst, const store *src)
{
	for (int i = 0; i < RECS; i++) {
		dst->used[i] = src->used[i];
		if (!src->used[i])
			continue;
		memcpy(dst->name[i], src->name[i], sizeof(dst->name[i]));
		memcpy(dst->data[i], src->data[i], src->len[i]);
		dst->len[i] = src->len[i];
	}
}

/* ---------------------------------------------------------------- set-up ---------------- */

static uint8_t *slurp(const char *rel, size_t *len)
{
	char path[1024];
	const char *slash = strrchr(__FILE__, '/');
	int dl = slash ? (int)(slash - __FILE__) : 1;
	FILE *fp;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%.*s/../tests/vectors/sgp26/%s", dl, slash ? __FILE__ : ".",
	         rel);
	fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "fuzz_euicc_es10: cannot open %s\n", path);
		abort();
	}
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	check(buf && fread(buf, 1, (size_t)n, fp) == (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static orsp_euicc *card;
static uint8_t rsp_buf[ORSP_EUICC_MAX_RESPONSE];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	orsp_euicc_identity id = {0};
	uint8_t *sk, *cert, *eum, *ci;
	size_t skl, cl, el, cil;

	(void)argc;
	(void)argv;
	for (int i = 0; i < RECS; i++) {
		live.data[i] = malloc(REC_CAP);
		base.data[i] = malloc(REC_CAP);
		check(live.data[i] && base.data[i]);
	}
	card = calloc(1, sizeof(*card));
	check(card != NULL);
	sk = slurp("eUICC/SK_EUICC_ECDSA_NIST.pem", &skl);
	cert = slurp("eUICC/CERT_EUICC_ECDSA_NIST.der", &cl);
	eum = slurp("EUM/CERT_EUM_ECDSA_NIST.der", &el);
	ci = slurp("CertificateIssuer/CERT_CI_ECDSA_NIST.der", &cil);
	id.eid = "89049032123451234512345678901235";
	id.sk_euicc = orsp_slice_make(sk, skl);
	id.cert_euicc = orsp_slice_make(cert, cl);
	id.cert_eum = orsp_slice_make(eum, el);
	id.ci_certs[0] = orsp_slice_make(ci, cil);
	id.n_ci = 1;
	id.default_dp = "testsmdpplus1.example.com";
	check(orsp_euicc_provision(card, &st_ops, &base, &id) == ORSP_OK);
	free(sk);
	free(cert);
	free(eum);
	free(ci);
	return 0;
}

/* ---------------------------------------------------------------- one input ------------- */

static bool known_error(orsp_err e)
{
	return e > ORSP_OK && e < ORSP_E__COUNT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	orsp_reader in;
	size_t profiles, notifs;

	st_copy(&live, &base);
	memset(card, 0, sizeof(*card));
	check(orsp_euicc_open(card, &st_ops, &live) == ORSP_OK);
	orsp_reader_init(&in, data, size);
	while (orsp_reader_remaining(&in)) {
		uint16_t n = 0;
		orsp_slice req;
		orsp_writer w;
		orsp_tlv t;
		orsp_err e;

		if (orsp_read_be16(&in, &n))
			break;
		if (n > orsp_reader_remaining(&in))
			n = (uint16_t)orsp_reader_remaining(&in);
		if (orsp_read_slice(&in, n, &req))
			break;
		orsp_writer_init(&w, rsp_buf, sizeof(rsp_buf));
		e = orsp_euicc_es10(card, req, &w);
		orsp_err_clear();
		if (e) {
			check(known_error(e));
			continue;
		}
		check(orsp_writer_status(&w) == ORSP_OK);
		if (w.len == 0)
			continue;
		check(orsp_der_parse_one(orsp_slice_make(rsp_buf, w.len), &t) == ORSP_OK);
		check(orsp_der_validate(t.raw, ORSP_DER_MAX_DEPTH) == ORSP_OK);
		if (t.tag != 0xBF37) {
			orsp_tlv q;
			check(orsp_der_parse_one(req, &q) == ORSP_OK && q.tag == t.tag);
		}
	}
	profiles = orsp_euicc_profile_count(card);
	notifs = orsp_euicc_notification_count(card);
	check(profiles <= ORSP_EUICC_MAX_PROFILES);
	check(notifs <= ORSP_EUICC_MAX_NOTIFICATIONS);
	orsp_euicc_close(card);
	/* what was committed reopens to the same state */
	memset(card, 0, sizeof(*card));
	check(orsp_euicc_open(card, &st_ops, &live) == ORSP_OK);
	check(orsp_euicc_profile_count(card) == profiles);
	check(orsp_euicc_notification_count(card) == notifs);
	orsp_euicc_close(card);
	return 0;
}
