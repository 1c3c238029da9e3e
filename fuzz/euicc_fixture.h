/* What the fuzz targets of the software eUICC (fuzz_euicc_es10, fuzz_euicc_download,
 * fuzz_euicc_vpcd; fuzz_euicc_apdu uses check and sw_allowed only) share: abort on a violated
 * property, the status words a card may answer, an in-memory record store, reading the test
 * vectors next to this source, and the eUICC provisioned with the SGP.26 NIST test identity
 * (tests/vectors/sgp26; Origin: GSMA SGP.26, see its README.md). Included by one target
 * each, so everything is static. */
#ifndef ORSP_FUZZ_EUICC_FIXTURE_H
#define ORSP_FUZZ_EUICC_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/euicc.h"

#define FX_EID "89049032123451234512345678901235"
#define FX_SMDP_ADDR "testsmdpplus1.example.com"

static inline void check(bool ok)
{
	if (!ok)
		abort();
}

/* A status word a card may answer an APDU with: 9000, 61xx, a warning or error (62xx-6Fxx),
 * or one of the application-specific 91xx, 92xx, 93xx, 98xx. */
static inline bool sw_allowed(uint16_t sw)
{
	uint8_t sw1 = (uint8_t)(sw >> 8);
	if (sw1 == 0x90)
		return sw == 0x9000;
	return sw1 == 0x61 || (sw1 >= 0x62 && sw1 <= 0x6F) || sw1 == 0x91 || sw1 == 0x92 ||
	       sw1 == 0x93 || sw1 == 0x98;
}

/* An error of a defined category: the only kind orsp_euicc_es10() may fail with. */
static inline bool known_error(orsp_err e)
{
	return e > ORSP_OK && e < ORSP_E__COUNT;
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

static inline int st_find(store *s, const char *name)
{
	for (int i = 0; i < RECS; i++)
		if (s->used[i] && !strcmp(s->name[i], name))
			return i;
	return -1;
}

/* All or nothing: a commit that does not fit changes nothing. */
static inline orsp_err st_commit(void *user, const orsp_euicc_record *recs, size_t n)
{
	store *s = user;
	int freed = 0, added = 0;

	for (size_t i = 0; i < n; i++) {
		if (strlen(recs[i].name) > ORSP_EUICC_RECORD_NAME_MAX || recs[i].len > REC_CAP)
			return ORSP_E_STORAGE;
		freed += st_find(s, recs[i].name) >= 0;
		added += recs[i].data != NULL;
	}
	for (int k = 0; k < RECS; k++)
		freed += !s->used[k];
	if (added > freed)
		return ORSP_E_STORAGE;
	for (size_t i = 0; i < n; i++) {
		int k = st_find(s, recs[i].name);
		if (k >= 0)
			s->used[k] = false;
		if (!recs[i].data)
			continue;
		for (k = 0; k < RECS && s->used[k]; k++)
			;
		snprintf(s->name[k], sizeof(s->name[k]), "%s", recs[i].name);
		memcpy(s->data[k], recs[i].data, recs[i].len);
		s->len[k] = recs[i].len;
		s->used[k] = true;
	}
	return ORSP_OK;
}

static inline orsp_err st_read(void *user, const char *name, uint8_t *buf, size_t cap, size_t *len)
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

static inline void st_alloc(store *s)
{
	for (int i = 0; i < RECS; i++) {
		s->data[i] = malloc(REC_CAP);
		check(s->data[i] != NULL);
	}
}

static inline void st_copy(store *dst, const store *src)
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

/* The end of an input: the counts within the compile-time limits, and what was committed
 * reopens (from `live`) to the same counts; the card is closed. An input that ends during a
 * load past ConfigureISDP left its load record stored (load_stored, private to the core, read
 * here for this check): the open makes its interruption PIR, one notification more, as after
 * a power loss (docs/euicc.md). */
static inline void fx_check_reopen(orsp_euicc *card, store *live)
{
	size_t profiles = orsp_euicc_profile_count(card);
	size_t notifs = orsp_euicc_notification_count(card) + card->load_stored;

	check(profiles <= ORSP_EUICC_MAX_PROFILES);
	check(notifs <= ORSP_EUICC_MAX_NOTIFICATIONS);
	orsp_euicc_close(card);
	memset(card, 0, sizeof(*card));
	check(orsp_euicc_open(card, &st_ops, live) == ORSP_OK);
	check(orsp_euicc_profile_count(card) == profiles);
	check(orsp_euicc_notification_count(card) == notifs);
	orsp_euicc_close(card);
}

/* ---------------------------------------------------------------- set-up ---------------- */

/* tests/vectors/<rel>, found next to this source file; aborts when it cannot be read. */
static inline uint8_t *slurp(const char *rel, size_t *len)
{
	char path[1024];
	const char *slash = strrchr(__FILE__, '/');
	int dl = slash ? (int)(slash - __FILE__) : 1;
	FILE *fp;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%.*s/../tests/vectors/%s", dl, slash ? __FILE__ : ".", rel);
	fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "fuzz: cannot open %s\n", path);
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

/* A new card (*card), provisioned with the SGP.26 NIST eUICC identity (EID FX_EID, the test
 * CI trusted, default SM-DP+ FX_SMDP_ADDR) into `base`; `live` gets its buffers too, for the
 * inputs to run on a copy of `base`. */
static inline void fx_provision(orsp_euicc **card, store *live, store *base)
{
	orsp_euicc_identity id = {0};
	uint8_t *sk, *cert, *eum, *ci;
	size_t skl, cl, el, cil;

	st_alloc(live);
	st_alloc(base);
	*card = calloc(1, sizeof(**card));
	check(*card != NULL);
	sk = slurp("sgp26/eUICC/SK_EUICC_ECDSA_NIST.pem", &skl);
	cert = slurp("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der", &cl);
	eum = slurp("sgp26/EUM/CERT_EUM_ECDSA_NIST.der", &el);
	ci = slurp("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der", &cil);
	id.eid = FX_EID;
	id.sk_euicc = orsp_slice_make(sk, skl);
	id.cert_euicc = orsp_slice_make(cert, cl);
	id.cert_eum = orsp_slice_make(eum, el);
	id.ci_certs[0] = orsp_slice_make(ci, cil);
	id.n_ci = 1;
	id.default_dp = FX_SMDP_ADDR;
	check(orsp_euicc_provision(*card, &st_ops, base, &id) == ORSP_OK);
	free(sk);
	free(cert);
	free(eum);
	free(ci);
}

#endif
