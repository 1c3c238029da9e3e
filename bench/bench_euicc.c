/* `openrsp bench euicc`: the software eUICC's profile install time, USIM AUTHENTICATE rate
 * and RAM footprint.
 *
 * AUTHENTICATE (TS 31.102 §7.1.2, 3G context) goes through the whole card path: the APDU
 * layer (parse, channel, dispatch), the USIM application, Milenage f1..f5, the SQN check of
 * TS 33.102 Annex C and the persist callback. Two measurements, interleaved like the other
 * benchmarks (7 rounds, median):
 *   - memory: the SQN state is only kept in RAM (the persist callback does nothing);
 *   - sealed: the persist callback commits the new SQN state to a sealed store (seal.h), as
 *     the host eUICC does: one AES-GCM record file, one sealed manifest, fsyncs, the counter.
 * The vectors (RAND, AUTN with increasing SQN) are made by the AuC side beforehand, in
 * batches outside the timed part.
 * Then --installs downloads of the same (personalised) package, each into a fresh sealed
 * card, through the full ES10 sequence (bench/bench_euicc_install.c); median times.
 * RAM: sizeof(orsp_euicc) (which holds the enabled profile's USIM tables), the APDU context
 * and the two APDU buffers the host allocates.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_euicc.h"
#include "bench_util.h"
#include "cli.h"
#include "openrsp/aka.h"
#include "openrsp/crypto.h"
#include "openrsp/euicc.h"
#include "openrsp/pkg.h"
#include "openrsp/seal.h"

#define ROUNDS 7
#define BATCH 256
#define APDU_LEN (5 + 1 + 16 + 1 + 16 + 1)

enum { M_AUTH_MEM, M_AUTH_SEALED, M__COUNT };

static const char *const m_names[M__COUNT] = {
    [M_AUTH_MEM] = "AUTHENTICATE, SQN in RAM",
    [M_AUTH_SEALED] = "AUTHENTICATE, SQN sealed",
};

typedef struct be {
	orsp_usim usim;
	orsp_euicc_apdu_ctx apdu;
	uint8_t cmd[ORSP_EUICC_MAX_COMMAND], rsp[ORSP_EUICC_MAX_RESPONSE];
	orsp_aka_subscriber sub;
	uint64_t seq;
	unsigned ind_bits;
	uint8_t batch[BATCH][APDU_LEN];
	uint8_t xres[BATCH][8]; /* what RES must be */
	size_t next;            /* next unused APDU of batch; BATCH: refill */
	orsp_seal *seal;
	bool sealed; /* persist into seal */
	char dir[256];
	char rec[40];
	uint8_t *upp; /* the personalised package */
	size_t upp_len;
	uint8_t iccid_ef[10];
	volatile uint8_t sink;
} be;

static orsp_err persist(void *user, const uint8_t *st, size_t len)
{
	be *b = user;
	orsp_seal_record r = {b->rec, st, len};

	if (!b->sealed)
		return ORSP_OK;
	return orsp_seal_commit(b->seal, &r, 1);
}

/* The next BATCH AUTHENTICATE commands, SQN = SEQ || IND 0 with SEQ increasing. */
static orsp_err refill(be *b)
{
	static const uint8_t amf[2] = {0x80, 0x00};
	orsp_aka_vector v;
	orsp_err e = ORSP_OK;

	for (size_t i = 0; i < BATCH && e == ORSP_OK; i++) {
		uint64_t sqn = ++b->seq << b->ind_bits;
		uint8_t rand[16], sqnb[6], *a = b->batch[i];
		for (int k = 5; k >= 0; k--, sqn >>= 8)
			sqnb[k] = (uint8_t)sqn;
		if ((e = orsp_random(rand, sizeof(rand))) != ORSP_OK ||
		    (e = orsp_aka_generate(&b->sub, rand, sqnb, amf, &v)) != ORSP_OK)
			break;
		/* 00 88 00 81 Lc=22: 10 RAND 10 AUTN, Le 00 (TS 31.102 §7.1.2.1) */
		memcpy(a, "\x00\x88\x00\x81\x22\x10", 6);
		memcpy(a + 6, rand, 16);
		a[22] = 0x10;
		memcpy(a + 23, v.autn, 16);
		a[39] = 0x00;
		memcpy(b->xres[i], v.xres, 8);
		orsp_aka_vector_wipe(&v);
	}
	b->next = 0;
	return e;
}

/* One AUTHENTICATE; a refused one is an error. */
static orsp_err one_auth(be *b)
{
	uint8_t r[ORSP_EUICC_RAPDU_MAX];
	size_t n = 0;
	orsp_err e;

	size_t i = b->next++;
	e = orsp_euicc_apdu_process(&b->apdu, b->batch[i], APDU_LEN, r, sizeof(r), &n);
	if (e == ORSP_OK && n == 2 && r[0] == 0x61) {
		uint8_t gr[5] = {0x00, 0xC0, 0x00, 0x00, r[1]};
		e = orsp_euicc_apdu_process(&b->apdu, gr, sizeof(gr), r, sizeof(r), &n);
	}
	if (e != ORSP_OK)
		return e;
	/* 9000 with "successful 3G authentication" (DB), RES (8 bytes, TS.48 Milenage) = XRES */
	if (n < 12 || r[n - 2] != 0x90 || r[n - 1] != 0x00 || r[0] != 0xDB || r[1] != 8 ||
	    !orsp_ct_eq(r + 2, b->xres[i], 8))
		return orsp_errf(ORSP_E_VERIFY, "AUTHENTICATE answered %02X%02X without the RES",
		                 n >= 2 ? r[n - 2] : 0, n >= 2 ? r[n - 1] : 0);
	b->sink ^= r[0];
	return ORSP_OK;
}

/* Run m for `slice` seconds (refills untimed); operations per second, or -1. */
static double run_slice(be *b, int m, double slice)
{
	double spent = 0;
	unsigned ops = 0;

	b->sealed = m == M_AUTH_SEALED;
	do {
		double t0;
		if (b->next == BATCH && refill(b) != ORSP_OK)
			return -1;
		t0 = orsp_mono_s();
		while (b->next < BATCH && orsp_mono_s() - t0 + spent < slice) {
			if (one_auth(b) != ORSP_OK)
				return -1;
			ops++;
		}
		spent += orsp_mono_s() - t0;
	} while (spent < slice);
	return ops / spent;
}

static int load_profile(be *b, const char *path)
{
	static const uint8_t k[16] = {0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
	                              0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc};
	static const uint8_t opc[16] = {0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
	                                0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf};
	uint8_t *raw = NULL, *upp = NULL, st[ORSP_USIM_SQN_STATE_MAX], aid[16];
	size_t raw_len = 0, st_len = 0, aid_len = 0;
	orsp_usim_sqn sqn;
	orsp_pkg_perso p;
	orsp_pkg_header hdr;
	orsp_pkg *pkg = NULL;
	FILE *f = fopen(path, "rb");
	long n;
	orsp_err e;
	int rc = CLI_FAIL;

	orsp_pkg_perso_init(&p);
	if (!f)
		return cli_failf("bench euicc", "cannot open %s (give --profile FILE)", path);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || n > 1024L * 1024 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return cli_failf("bench euicc", "%s: empty, unreadable or over 1 MiB", path);
	}
	raw_len = (size_t)n;
	raw = malloc(raw_len);
	if (!raw || fread(raw, 1, raw_len, f) != raw_len) {
		fclose(f);
		free(raw);
		return cli_failf("bench euicc", "cannot read %s", path);
	}
	fclose(f);
	/* The SM-DP+ personalises; the USIM then holds the benchmark K/OPc. */
	p.set_aka = true;
	p.alg = ORSP_AKA_MILENAGE;
	if ((e = orsp_secret_set(&p.k, k, 16)) != ORSP_OK ||
	    (e = orsp_secret_set(&p.opc, opc, 16)) != ORSP_OK ||
	    (e = orsp_pkg_decode(raw, raw_len, &pkg)) != ORSP_OK ||
	    (e = orsp_pkg_personalise(pkg, &p)) != ORSP_OK ||
	    (e = orsp_pkg_get_header(pkg, &hdr)) != ORSP_OK ||
	    (e = orsp_pkg_encode(pkg, 0, &upp, &b->upp_len)) != ORSP_OK ||
	    (e = orsp_aka_subscriber_init(&b->sub, ORSP_AKA_MILENAGE, k, 16, opc, 16)) != ORSP_OK)
		goto fail;
	/* SQN state with IND 5 bits and no delta limit: every increasing SEQ is fresh. */
	orsp_usim_sqn_init(&sqn, 5);
	sqn.delta = 0;
	b->ind_bits = sqn.ind_bits;
	if ((e = orsp_usim_sqn_save(&sqn, st, sizeof(st), &st_len)) != ORSP_OK ||
	    (e = orsp_usim_load(&b->usim, upp, b->upp_len, st, st_len, persist, b)) != ORSP_OK ||
	    (e = orsp_usim_aid(&b->usim, aid, &aid_len)) != ORSP_OK ||
	    (e = orsp_euicc_apdu_init(&b->apdu, b->cmd, sizeof(b->cmd), b->rsp, sizeof(b->rsp))) !=
	        ORSP_OK ||
	    (e = orsp_euicc_apdu_register(&b->apdu, aid, aid_len, &orsp_usim_app_ops, &b->usim)) !=
	        ORSP_OK)
		goto fail;
	orsp_euicc_apdu_set_mf(&b->apdu, &orsp_usim_mf_ops, &b->usim);
	/* SELECT ADF.USIM by AID on the basic channel */
	{
		uint8_t sel[5 + 16 + 1], r[ORSP_EUICC_RAPDU_MAX];
		size_t rn = 0;
		memcpy(sel, "\x00\xA4\x04\x0C", 4);
		sel[4] = (uint8_t)aid_len;
		memcpy(sel + 5, aid, aid_len);
		if ((e = orsp_euicc_apdu_process(&b->apdu, sel, 5 + aid_len, r, sizeof(r), &rn)) !=
		    ORSP_OK)
			goto fail;
		if (rn != 2 || r[0] != 0x90 || r[1] != 0x00) {
			e = orsp_errf(ORSP_E_STATE, "SELECT ADF.USIM answered %02X%02X",
			              rn ? r[rn - 2] : 0, rn ? r[rn - 1] : 0);
			goto fail;
		}
	}
	snprintf(b->rec, sizeof(b->rec), "sqn.bench");
	{
		/* StoreMetadata carries the ICCID in EF.ICCID coding (SGP.22 Iccid) */
		char digits[21];
		if ((e = orsp_iccid_decode_header(hdr.iccid_raw, digits)) != ORSP_OK ||
		    (e = orsp_iccid_encode_ef(digits, b->iccid_ef)) != ORSP_OK)
			goto fail;
	}
	b->upp = upp;
	upp = NULL;
	b->next = BATCH;
	rc = CLI_OK;
fail:
	if (rc != CLI_OK)
		rc = cli_fail("bench euicc", e);
	orsp_pkg_perso_wipe(&p);
	orsp_pkg_free(pkg);
	orsp_pkg_buf_free(upp, b->upp_len);
	orsp_wipe(raw, raw_len);
	free(raw);
	return rc;
}

static int open_store(be *b)
{
	const char *tmp = getenv("TMPDIR");
	orsp_err e;

	snprintf(b->dir, sizeof(b->dir), "%s/openrsp-bench-euicc.XXXXXX",
	         tmp && tmp[0] && strlen(tmp) < 200 ? tmp : "/tmp");
	if (!mkdtemp(b->dir)) {
		b->dir[0] = '\0';
		return cli_failf("bench euicc", "cannot create a temporary directory");
	}
	if ((e = orsp_seal_create(b->dir)) != ORSP_OK ||
	    (e = orsp_seal_open(b->dir, NULL, &b->seal)) != ORSP_OK)
		return cli_fail("bench euicc", e);
	return CLI_OK;
}

static void teardown(be *b)
{
	orsp_seal_close(b->seal);
	if (b->dir[0] && orsp_seal_destroy(b->dir) != ORSP_OK)
		fprintf(stderr, "openrsp bench euicc: could not remove %s\n", b->dir);
	orsp_usim_unload(&b->usim);
	orsp_pkg_buf_free(b->upp, b->upp_len);
	orsp_aka_subscriber_wipe(&b->sub);
	orsp_wipe(b, sizeof(*b));
}

enum { OPT_SECONDS = CLI_OPT_CMD, OPT_JSON, OPT_PROFILE, OPT_INSTALLS };

int bench_euicc(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, OPT_SECONDS},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"profile", required_argument, NULL, OPT_PROFILE},
	    {"installs", required_argument, NULL, OPT_INSTALLS},
	    {NULL, 0, NULL, 0},
	};
	double seconds = 3.0, res[M__COUNT][ROUNDS], med[M__COUNT];
	char def_profile[PATH_MAX];
	const char *profile = def_profile;
	uint64_t installs = 5;
	double inst_total[64], inst_card[64], med_total = 0, med_card = 0;
	size_t ram_core = 0;
	bench_euicc_install *bi = NULL;
	bool json = false;
	be *b = NULL;
	int rc, c, cpu;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_SECONDS) {
			if ((rc = cli_seconds("--seconds", optarg, 0.1, 3600, &seconds)))
				return rc;
		} else if (c == OPT_JSON) {
			json = true;
		} else if (c == OPT_PROFILE) {
			profile = optarg;
		} else if (c == OPT_INSTALLS) {
			if (cli_uint("--installs", optarg, 1, 64, &installs) != CLI_OK)
				return CLI_USAGE;
		} else {
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;

	b = calloc(1, sizeof(*b));
	if (!b)
		return cli_failf("bench euicc", "out of memory");
	snprintf(def_profile, sizeof(def_profile), "%s/profiles/ts48-v7-saip2.3-nobertlv.der",
	         cli_data_dir());
	if ((rc = load_profile(b, profile)) != CLI_OK || (rc = open_store(b)) != CLI_OK)
		goto out;
	cpu = bench_pin_cpu();

	double slice = seconds / (ROUNDS * M__COUNT);
	for (int m = 0; m < M__COUNT; m++)
		if (run_slice(b, m, slice / 4) < 0) {
			rc = cli_failf("bench euicc", "%s failed: %s", m_names[m],
			               orsp_err_detail());
			goto out;
		}
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < M__COUNT; i++) {
			int m = (i + r) % M__COUNT;
			res[m][r] = run_slice(b, m, slice);
			if (res[m][r] < 0) {
				rc = cli_failf("bench euicc", "%s failed: %s", m_names[m],
				               orsp_err_detail());
				goto out;
			}
		}
	}
	for (int m = 0; m < M__COUNT; m++)
		med[m] = bench_median(res[m], ROUNDS);
	/* installs: each into a fresh sealed card */
	if ((rc = bench_euicc_install_setup(&bi)) != CLI_OK)
		goto out;
	for (uint64_t i = 0; i < installs; i++)
		if ((rc = bench_euicc_install_once(bi, b->upp, b->upp_len, b->iccid_ef,
		                                   &inst_total[i], &inst_card[i], &ram_core)) !=
		    CLI_OK)
			goto out;
	med_total = bench_median(inst_total, (int)installs);
	med_card = bench_median(inst_card, (int)installs);

	size_t ram_usim = ram_core, ram_apdu = sizeof(orsp_euicc_apdu_ctx),
	       ram_bufs = ORSP_EUICC_MAX_COMMAND + ORSP_EUICC_MAX_RESPONSE;
	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_u64(&j, "profile_bytes", b->upp_len);
		cj_double(&j, "seconds", seconds);
		cj_u64(&j, "rounds", ROUNDS);
		cj_i64(&j, "cpu", cpu);
		cj_double(&j, "authenticate_per_s", med[M_AUTH_MEM]);
		cj_double(&j, "authenticate_sealed_per_s", med[M_AUTH_SEALED]);
		cj_u64(&j, "installs", installs);
		cj_double(&j, "install_ms", med_total * 1e3);
		cj_double(&j, "install_card_ms", med_card * 1e3);
		cj_obj_begin(&j, "ram_bytes");
		cj_u64(&j, "euicc_core", ram_usim);
		cj_u64(&j, "apdu_ctx", ram_apdu);
		cj_u64(&j, "apdu_buffers", ram_bufs);
		cj_u64(&j, "total", ram_usim + ram_apdu + ram_bufs);
		cj_obj_end(&j);
		cj_obj_end(&j);
		cj_done(&j);
		goto out;
	}
	printf("bench euicc: %zu-byte profile, CPU %d, %d interleaved rounds of %.3f s per "
	       "measurement, median\n",
	       b->upp_len, cpu, ROUNDS, slice);
	for (int m = 0; m < M__COUNT; m++)
		printf("  %-30s %10.1f /s %10.1f us\n", m_names[m], med[m], 1e6 / med[m]);
	printf(
	    "  install (%zu-byte profile, median of %u) %8.1f ms, %.1f ms of it inside the card\n",
	    b->upp_len, (unsigned)installs, med_total * 1e3, med_card * 1e3);
	printf("RAM: eUICC core %zu + APDU context %zu + APDU buffers %zu = %zu bytes\n", ram_usim,
	       ram_apdu, ram_bufs, ram_usim + ram_apdu + ram_bufs);
out:
	bench_euicc_install_free(bi);
	if (b) {
		teardown(b);
		free(b);
	}
	return rc;
}
