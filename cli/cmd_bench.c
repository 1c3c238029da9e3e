/* `openrsp bench`: micro-benchmarks.
 *
 * `bench aka` measures, on one core and in one run, the AES-128 block rate (the bound for
 * Milenage: 5 blocks per vector, TEMP and OUT1..OUT4: f1 and f1* both come from OUT1, and
 * OUT5, f5*, is for a resynchronisation only; until session 57 it counted 6), our Milenage through
 * a keyed context and through the generic orsp_aka_generate(), TUAK, and libosmocore's
 * osmo_auth_gen_vec() when built with it. The measurements are interleaved: several rounds, each
 * running every measurement for a short slice, and the median per measurement is reported, so that
 * clock changes and noisy neighbours hit all measurements alike.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_bpp.h"
#include "bench_crl.h"
#include "bench_smdp.h"
#include "bench_euicc.h"
#include "bench_inventory.h"
#include "bench_sign.h"
#include "bench_util.h"
#include "cli.h"
#include "openrsp/crypto.h"

#ifdef ORSP_HAVE_LIBOSMOGSM
#include <osmocom/crypt/auth.h>
#endif

#define ROUNDS 7
#define BATCH 64 /* operations between two clock reads */

enum { M_AES6, M_AES1, M_MIL_CTX, M_MIL_MANY, M_MIL_GEN, M_TUAK, M_OSMO, M__COUNT };

#define MANY 8 /* vectors per call in the batched Milenage measurement */

static const char *const m_names[M__COUNT] = {
    [M_AES6] = "AES-128, 6-block calls",     [M_AES1] = "AES-128, 1-block calls",
    [M_MIL_CTX] = "Milenage, keyed context", [M_MIL_MANY] = "Milenage, 8 vectors per call",
    [M_MIL_GEN] = "Milenage, orsp_aka_generate",
    [M_TUAK] = "TUAK, orsp_aka_generate",    [M_OSMO] = "libosmocore Milenage",
};

typedef struct bench_ctx {
	orsp_aes_ecb *aes;
	orsp_milenage *mil;
	orsp_aka_subscriber mil_sub, tuak_sub;
	uint8_t blocks[6 * 16];
	uint8_t rand[16], sqn[6], amf[2];
	uint8_t rands[MANY][16], sqns[MANY][6];
	orsp_milenage_out outs[MANY];
	uint64_t counter;
	volatile uint8_t sink;
#ifdef ORSP_HAVE_LIBOSMOGSM
	struct osmo_sub_auth_data osmo;
	bool osmo_ok;
#endif
} bench_ctx;

/* A new RAND per vector, as an AuC would use. */
static void next_rand(bench_ctx *b)
{
	uint64_t c = ++b->counter;
	for (int i = 0; i < 8; i++)
		b->rand[15 - i] = (uint8_t)(c >> (8 * i));
}

/* One operation of measurement m; returns the number of units done (blocks or vectors),
 * or 0 on failure. */
static unsigned one_op(bench_ctx *b, int m)
{
	orsp_milenage_out mo;
	orsp_aka_vector v;

	switch (m) {
	case M_AES6:
		if (orsp_aes_ecb_encrypt(b->aes, b->blocks, b->blocks, 6) != ORSP_OK)
			return 0;
		return 6;
	case M_AES1:
		if (orsp_aes_ecb_encrypt(b->aes, b->blocks, b->blocks, 1) != ORSP_OK)
			return 0;
		return 1;
	case M_MIL_CTX:
		next_rand(b);
		if (orsp_milenage_compute(b->mil, b->rand, b->sqn, b->amf, &mo) != ORSP_OK)
			return 0;
		b->sink ^= mo.res[0];
		return 1;
	case M_MIL_MANY:
		for (int i = 0; i < MANY; i++) {
			next_rand(b);
			memcpy(b->rands[i], b->rand, 16);
			memcpy(b->sqns[i], b->sqn, 6);
		}
		if (orsp_milenage_compute_many(b->mil, MANY, b->rands, b->sqns, b->amf, b->outs) !=
		    ORSP_OK)
			return 0;
		b->sink ^= b->outs[MANY - 1].res[0];
		return MANY;
	case M_MIL_GEN:
		next_rand(b);
		if (orsp_aka_generate(&b->mil_sub, b->rand, b->sqn, b->amf, &v) != ORSP_OK)
			return 0;
		b->sink ^= v.autn[15];
		return 1;
	case M_TUAK:
		next_rand(b);
		if (orsp_aka_generate(&b->tuak_sub, b->rand, b->sqn, b->amf, &v) != ORSP_OK)
			return 0;
		b->sink ^= v.autn[15];
		return 1;
#ifdef ORSP_HAVE_LIBOSMOGSM
	case M_OSMO: {
		struct osmo_auth_vector ov;
		next_rand(b);
		if (osmo_auth_gen_vec(&ov, &b->osmo, b->rand) < 0)
			return 0;
		/* Keep the SQN from running out over a long run; the work is the same. */
		b->osmo.u.umts.sqn &= UINT64_C(0xffffffffff);
		b->sink ^= ov.autn[15];
		return 1;
	}
#endif
	default:
		return 0;
	}
}

/* Run measurement m for `slice` seconds; units per second, or -1 on failure. */
static double run_slice(bench_ctx *b, int m, double slice)
{
	uint64_t units = 0;
	double t0 = orsp_mono_s(), t;
	do {
		for (int i = 0; i < BATCH; i++) {
			unsigned u = one_op(b, m);
			if (!u)
				return -1;
			units += u;
		}
		t = orsp_mono_s();
	} while (t - t0 < slice);
	return (double)units / (t - t0);
}

static int bench_setup(bench_ctx *b)
{
	/* TS 35.208 test set 1 keys; any key costs the same. */
	static const uint8_t k[16] = {0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
	                              0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc};
	static const uint8_t opc[16] = {0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
	                                0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf};
	uint8_t topc[32];
	orsp_err e;

	memset(b, 0, sizeof(*b));
	memset(topc, 0x55, sizeof(topc));
	b->amf[0] = 0x80;
	b->sqn[5] = 0x20;
	b->aes = orsp_aes_ecb_new(k, 16);
	if (!b->aes)
		return cli_failf("bench aka", "cannot create an AES context");
	b->mil = orsp_milenage_new(k, opc, NULL);
	if (!b->mil)
		return cli_failf("bench aka", "cannot create a Milenage context");
	e = orsp_aka_subscriber_init(&b->mil_sub, ORSP_AKA_MILENAGE, k, 16, opc, 16);
	if (!e)
		e = orsp_aka_subscriber_init(&b->tuak_sub, ORSP_AKA_TUAK, k, 16, topc, 32);
	if (e)
		return cli_fail("bench aka", e);
#ifdef ORSP_HAVE_LIBOSMOGSM
	b->osmo.type = OSMO_AUTH_TYPE_UMTS;
	b->osmo.algo = OSMO_AUTH_ALG_MILENAGE;
	memcpy(b->osmo.u.umts.k, k, 16);
	memcpy(b->osmo.u.umts.opc, opc, 16);
	memcpy(b->osmo.u.umts.amf, b->amf, 2);
	b->osmo.u.umts.opc_is_op = 0;
	b->osmo.u.umts.ind_bitlen = 5;
	b->osmo_ok = osmo_auth_supported(OSMO_AUTH_ALG_MILENAGE) != 0;
#endif
	return CLI_OK;
}

static void bench_teardown(bench_ctx *b)
{
	orsp_aes_ecb_free(b->aes);
	orsp_milenage_free(b->mil);
	orsp_aka_subscriber_wipe(&b->mil_sub);
	orsp_aka_subscriber_wipe(&b->tuak_sub);
#ifdef ORSP_HAVE_LIBOSMOGSM
	ORSP_WIPE_OBJ(b->osmo);
#endif
}

static void print_rate(const char *name, double v, const char *unit)
{
	printf("  %-30s %9.3f M %s/s\n", name, v / 1e6, unit);
}

enum { OPT_SECONDS = CLI_OPT_CMD, OPT_JSON };

static int bench_aka(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, OPT_SECONDS},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	double seconds = 2.0, res[M__COUNT][ROUNDS], med[M__COUNT];
	bool have[M__COUNT], json = false;
	bench_ctx *b = NULL;
	int rc, c, cpu, nm = 0;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_SECONDS) {
			if ((rc = cli_seconds("--seconds", optarg, 0.05, 3600, &seconds)))
				return rc;
		} else if (c == OPT_JSON) {
			json = true;
		} else {
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;

	b = malloc(sizeof(*b));
	if (!b)
		return cli_failf("bench aka", "out of memory");
	rc = bench_setup(b);
	if (rc)
		goto out;
	for (int m = 0; m < M__COUNT; m++) {
		have[m] = m != M_OSMO;
#ifdef ORSP_HAVE_LIBOSMOGSM
		if (m == M_OSMO)
			have[m] = b->osmo_ok;
#endif
		nm += have[m];
	}
	cpu = bench_pin_cpu();

	/* Warm up caches and the CPU clock, then interleave. */
	double slice = seconds / (ROUNDS * nm);
	for (int m = 0; m < M__COUNT; m++)
		if (have[m] && run_slice(b, m, slice / 4) < 0) {
			rc = cli_failf("bench aka", "%s failed: %s", m_names[m], orsp_err_detail());
			goto out;
		}
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < M__COUNT; i++) {
			/* Rotate the order each round so no measurement always runs first. */
			int m = (i + r) % M__COUNT;
			if (!have[m])
				continue;
			res[m][r] = run_slice(b, m, slice);
			if (res[m][r] < 0) {
				rc = cli_failf("bench aka", "%s failed: %s", m_names[m],
				               orsp_err_detail());
				goto out;
			}
		}
	}
	for (int m = 0; m < M__COUNT; m++)
		med[m] = have[m] ? bench_median(res[m], ROUNDS) : 0;

	/* a vector's AES blocks: TEMP, OUT1 (f1, f1*), OUT2 (f2, f5), OUT3, OUT4; openrsp's
	 * Milenage also makes OUT5 (f5*), a sixth, which the bound does not count */
	double bound = med[M_AES6] / 5;
	double vs_bound = med[M_MIL_CTX] / bound;
	double many_vs_bound = med[M_MIL_MANY] / bound;
	double vs_osmo = have[M_OSMO] ? med[M_MIL_CTX] / med[M_OSMO] : 0;

	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_double(&j, "seconds", seconds);
		cj_u64(&j, "rounds", ROUNDS);
		cj_i64(&j, "cpu", cpu);
		cj_double(&j, "aes_blocks_per_s_6", med[M_AES6]);
		cj_double(&j, "aes_blocks_per_s_1", med[M_AES1]);
		cj_double(&j, "bound_vectors_per_s", bound);
		cj_double(&j, "milenage_ctx_per_s", med[M_MIL_CTX]);
		cj_double(&j, "milenage_batch8_per_s", med[M_MIL_MANY]);
		cj_double(&j, "milenage_generic_per_s", med[M_MIL_GEN]);
		cj_double(&j, "tuak_per_s", med[M_TUAK]);
		if (have[M_OSMO]) {
			cj_double(&j, "libosmocore_per_s", med[M_OSMO]);
			cj_double(&j, "milenage_vs_libosmocore", vs_osmo);
			cj_bool(&j, "goal_4x_libosmocore", vs_osmo >= 4);
		} else {
			cj_null(&j, "libosmocore_per_s");
			cj_null(&j, "milenage_vs_libosmocore");
			cj_null(&j, "goal_4x_libosmocore");
		}
		cj_double(&j, "milenage_vs_bound", vs_bound);
		cj_double(&j, "milenage_batch8_vs_bound", many_vs_bound);
		cj_bool(&j, "goal_within_3x_bound", vs_bound >= 1.0 / 3);
		cj_bool(&j, "goal_within_3x_bound_batch8", many_vs_bound >= 1.0 / 3);
		cj_obj_end(&j);
		cj_done(&j);
		goto out;
	}
	printf("bench aka: CPU %d, %d interleaved rounds of %.3f s per measurement, median\n", cpu,
	       ROUNDS, slice);
	print_rate(m_names[M_AES6], med[M_AES6], "blocks");
	print_rate(m_names[M_AES1], med[M_AES1], "blocks");
	print_rate("bound (6-block rate / 5)", bound, "vectors");
	print_rate(m_names[M_MIL_CTX], med[M_MIL_CTX], "vectors");
	print_rate(m_names[M_MIL_MANY], med[M_MIL_MANY], "vectors");
	print_rate(m_names[M_MIL_GEN], med[M_MIL_GEN], "vectors");
	print_rate(m_names[M_TUAK], med[M_TUAK], "vectors");
	if (have[M_OSMO])
		print_rate(m_names[M_OSMO], med[M_OSMO], "vectors");
	else
		printf("  %-30s not built in (needs libosmogsm)\n", m_names[M_OSMO]);
	printf("Milenage (keyed context) = %.2f of the AES bound (bound is %.2fx faster): %s\n",
	       vs_bound, 1 / vs_bound,
	       vs_bound >= 1.0 / 3 ? "within 3x, goal met" : "goal NOT met");
	printf("Milenage (8 vectors per call) = %.2f of the AES bound (bound is %.2fx faster): %s\n",
	       many_vs_bound, 1 / many_vs_bound,
	       many_vs_bound >= 1.0 / 3 ? "within 3x, goal met" : "goal NOT met");
	if (have[M_OSMO])
		printf("Milenage (keyed context) = %.2fx libosmocore: %s\n", vs_osmo,
		       vs_osmo >= 4 ? "at least 4x, goal met" : "goal NOT met");
out:
	if (b) {
		bench_teardown(b);
		free(b);
	}
	return rc;
}

static const cli_cmd bench_cmds[] = {
    {
        .verb = "aka",
        .summary = "Milenage/TUAK vectors/s against the AES bound and libosmocore",
        .synopsis = "[--seconds S] [--json]",
        .help = "On one core, in one run, interleaved ("
                "7 rounds, median): AES-128 blocks/s in\n"
                "6-block and 1-block calls (the bound is the 6-block rate / 5, the 5 AES\n"
                "blocks a Milenage vector needs), Milenage vectors/s through a keyed context and\n"
                "through orsp_aka_generate, TUAK vectors/s, and libosmocore's\n"
                "osmo_auth_gen_vec when built with libosmogsm. RAND changes every vector.\n"
                "Goals: Milenage >= 4x libosmocore, and within 3x of the AES bound.\n\n"
                "options:\n"
                "  --seconds S          total measuring time (default 2)\n"
                "  --json               one JSON object instead of text\n",
        .run = bench_aka,
    },
    {
        .verb = "bpp",
        .summary = BENCH_BPP_SUMMARY,
        .synopsis = BENCH_BPP_SYNOPSIS,
        .help = BENCH_BPP_HELP,
        .run = bench_bpp,
    },
    {
        .verb = "smdp",
        .summary = BENCH_SMDP_SUMMARY,
        .synopsis = BENCH_SMDP_SYNOPSIS,
        .help = BENCH_SMDP_HELP,
        .run = bench_smdp,
    },
    {
        .verb = "e2e",
        .summary = BENCH_E2E_SUMMARY,
        .synopsis = BENCH_E2E_SYNOPSIS,
        .help = BENCH_E2E_HELP,
        .run = bench_e2e,
    },
    {
        .verb = "crl",
        .summary = BENCH_CRL_SUMMARY,
        .synopsis = BENCH_CRL_SYNOPSIS,
        .help = BENCH_CRL_HELP,
        .run = bench_crl,
    },
    {
        .verb = "sign",
        .summary = BENCH_SIGN_SUMMARY,
        .synopsis = BENCH_SIGN_SYNOPSIS,
        .help = BENCH_SIGN_HELP,
        .run = bench_sign,
    },
    {
        .verb = "euicc",
        .summary = BENCH_EUICC_SUMMARY,
        .synopsis = BENCH_EUICC_SYNOPSIS,
        .help = BENCH_EUICC_HELP,
        .run = bench_euicc,
    },
    {
        .verb = "inventory",
        .summary = BENCH_INVENTORY_SUMMARY,
        .synopsis = BENCH_INVENTORY_SYNOPSIS,
        .help = BENCH_INVENTORY_HELP,
        .run = bench_inventory,
    },
    {NULL, NULL, NULL, NULL, NULL},
};

const cli_noun cli_noun_bench = {
    .name = "bench",
    .summary = "Micro-benchmarks",
    .cmds = bench_cmds,
};
