/* `openrsp bench bpp`: SM-DP+ side Bound Profile Packages per second (SGP.22 §2.5.4).
 *
 * Measured in one run, interleaved like `bench aka` (several rounds, each running every
 * measurement for a short slice; the median per measurement is reported), so the parts
 * and the whole see the same clock and the same neighbours:
 *   - a whole BPP: generate otSK.DP.ECKA, then orsp_bsp_bpp_build (ECKA, KDF, smdpSign,
 *     ConfigureISDP, StoreMetadata, the profile in '86' segments);
 *   - the same build with a fixed one-time key;
 *   - the parts alone: EC key generation, ECKA, the X9.63 KDF, ECDSA over the signed part of
 *     InitialiseSecureChannelRequest, and AES-CBC + AES-CMAC over the whole profile.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_bpp.h"
#include "bench_util.h"
#include "cli.h"
#include "openrsp/bsp.h"
#include "openrsp/crypto.h"

#define ROUNDS 7
#define DEFAULT_PROFILE_LEN 12251

enum { M_BPP, M_BUILD, M_KEYGEN, M_ECKA, M_KDF, M_SIGN, M_SEGMENTS, M__COUNT };

static const char *const m_names[M__COUNT] = {
    [M_BPP] = "BPP (keygen + build)",
    [M_BUILD] = "BPP build, fixed otSK.DP",
    [M_KEYGEN] = "otSK.DP.ECKA generation",
    [M_ECKA] = "ECKA (ECDH)",
    [M_KDF] = "KDF (X9.63 SHA-256)",
    [M_SIGN] = "smdpSign (ECDSA)",
    [M_SEGMENTS] = "segments (AES-CBC + CMAC)",
};

typedef struct bb {
	orsp_curve curve;
	orsp_ec_key *dppb, *euicc, *smdp;
	uint8_t euicc_pk[ORSP_EC_POINT_LEN], eid[16], tid[16], host_id[8];
	uint8_t *upp, *out, *seg_out;
	size_t upp_len, out_cap, seg_cap;
	orsp_bsp_keys keys;
	volatile uint8_t sink;
} bb;

static const uint8_t cfg_isdp[] = {0xBF, 0x24, 0x00};
/* StoreMetadataRequest: ICCID, service provider name, profile name */
static const uint8_t store_md[] = {0xBF, 0x25, 0x1A, 0x5A, 0x0A, 0x98, 0x00, 0x10, 0x32, 0x54,
                                   0x76, 0x98, 0x10, 0x32, 0x14, 0x91, 0x04, 'o',  'r',  's',
                                   'p',  0x92, 0x06, 'b',  'e',  'n',  'c',  'h',  '0'};

static orsp_bsp_bpp_params params(const bb *b, const orsp_ec_key *smdp)
{
	orsp_bsp_bpp_params p = {
	    .dppb = b->dppb,
	    .smdp_otsk = smdp,
	    .euicc_otpk = orsp_slice_make(b->euicc_pk, sizeof(b->euicc_pk)),
	    .transaction_id = orsp_slice_make(b->tid, sizeof(b->tid)),
	    .host_id = orsp_slice_make(b->host_id, sizeof(b->host_id)),
	    .eid = b->eid,
	    .configure_isdp = orsp_slice_make(cfg_isdp, sizeof(cfg_isdp)),
	    .store_metadata = orsp_slice_make(store_md, sizeof(store_md)),
	    .profile = orsp_slice_make(b->upp, b->upp_len),
	};
	return p;
}

/* One operation of measurement m: ORSP_OK or the error. */
static orsp_err one_op(bb *b, int m)
{
	uint8_t ss[ORSP_ECKA_LEN], sig[ORSP_EC_SIG_LEN], tbs[200];
	orsp_bsp_keys k;
	orsp_ec_key *key = NULL;
	orsp_bsp_bpp_params p;
	orsp_writer w;
	orsp_err e;

	switch (m) {
	case M_BPP:
		e = orsp_ec_generate(b->curve, &key);
		if (e != ORSP_OK)
			return e;
		p = params(b, key);
		orsp_writer_init(&w, b->out, b->out_cap);
		e = orsp_bsp_bpp_build(&p, &w);
		orsp_ec_free(key);
		b->sink ^= b->out[w.len - 1];
		return e;
	case M_BUILD:
		p = params(b, b->smdp);
		orsp_writer_init(&w, b->out, b->out_cap);
		e = orsp_bsp_bpp_build(&p, &w);
		b->sink ^= b->out[w.len - 1];
		return e;
	case M_KEYGEN:
		e = orsp_ec_generate(b->curve, &key);
		orsp_ec_free(key);
		return e;
	case M_ECKA:
		e = orsp_ecka(b->smdp, b->euicc_pk, sizeof(b->euicc_pk), ss);
		b->sink ^= ss[0];
		orsp_wipe(ss, sizeof(ss));
		return e;
	case M_KDF:
		e = orsp_bsp_derive_keys(b->euicc_pk + 1, 32, ORSP_BSP_KEY_TYPE_AES,
		                         ORSP_BSP_KEY_LEN, b->host_id, sizeof(b->host_id), b->eid,
		                         &k);
		b->sink ^= k.enc.v[0];
		orsp_bsp_keys_wipe(&k);
		return e;
	case M_SIGN:
		/* the signed data of InitialiseSecureChannelRequest is ~180 bytes */
		memset(tbs, (int)b->sink, sizeof(tbs));
		e = orsp_ecdsa_sign(b->dppb, tbs, 180, sig);
		b->sink ^= sig[0];
		return e;
	case M_SEGMENTS:
		orsp_writer_init(&w, b->seg_out, b->seg_cap);
		e = orsp_bsp_ppp_build(&b->keys, orsp_slice_make(b->upp, b->upp_len), &w);
		b->sink ^= b->seg_out[w.len - 1];
		return e;
	default:
		return ORSP_E_USAGE;
	}
}

/* Run m for `slice` seconds (at least one operation); operations per second, or -1. */
static double run_slice(bb *b, int m, double slice)
{
	uint64_t ops = 0;
	double t0 = orsp_mono_s(), t;
	do {
		if (one_op(b, m) != ORSP_OK)
			return -1;
		ops++;
		t = orsp_mono_s();
	} while (t - t0 < slice);
	return (double)ops / (t - t0);
}

static int setup(bb *b, orsp_curve curve, const char *profile)
{
	orsp_bsp_bpp_params p;
	uint8_t k[16];
	orsp_err e;

	b->curve = curve;
	if (profile) {
		FILE *f = fopen(profile, "rb");
		long n;
		if (!f)
			return cli_failf("bench bpp", "cannot open %s", profile);
		if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || n > 16L * 1024 * 1024 ||
		    fseek(f, 0, SEEK_SET) != 0) {
			fclose(f);
			return cli_failf("bench bpp", "%s: empty, unreadable or over 16 MiB",
			                 profile);
		}
		b->upp_len = (size_t)n;
		b->upp = malloc(b->upp_len);
		if (!b->upp || fread(b->upp, 1, b->upp_len, f) != b->upp_len) {
			fclose(f);
			return cli_failf("bench bpp", "cannot read %s", profile);
		}
		fclose(f);
	} else {
		b->upp_len = DEFAULT_PROFILE_LEN;
		b->upp = malloc(b->upp_len);
		if (!b->upp)
			return cli_failf("bench bpp", "out of memory");
		for (size_t i = 0; i < b->upp_len; i++)
			b->upp[i] = (uint8_t)(i * 131 + (i >> 8));
	}
	memset(b->host_id, 0x80, sizeof(b->host_id));
	memset(k, 0x42, sizeof(k));
	e = orsp_random(b->eid, sizeof(b->eid));
	if (e == ORSP_OK)
		e = orsp_random(b->tid, sizeof(b->tid));
	if (e == ORSP_OK)
		e = orsp_bsp_keys_set(&b->keys, k, k, k);
	if (e == ORSP_OK)
		e = orsp_ec_generate(curve, &b->dppb);
	if (e == ORSP_OK)
		e = orsp_ec_generate(curve, &b->euicc);
	if (e == ORSP_OK)
		e = orsp_ec_generate(curve, &b->smdp);
	if (e == ORSP_OK)
		e = orsp_ec_public_point(b->euicc, b->euicc_pk);
	if (e != ORSP_OK)
		return cli_fail("bench bpp", e);
	p = params(b, b->smdp);
	e = orsp_bsp_bpp_size(&p, &b->out_cap);
	if (e != ORSP_OK)
		return cli_fail("bench bpp", e);
	b->seg_cap = orsp_bsp_ppp_len(b->upp_len);
	b->out = malloc(b->out_cap);
	b->seg_out = malloc(b->seg_cap);
	if (!b->out || !b->seg_out)
		return cli_failf("bench bpp", "out of memory");
	return CLI_OK;
}

static void teardown(bb *b)
{
	orsp_ec_free(b->dppb);
	orsp_ec_free(b->euicc);
	orsp_ec_free(b->smdp);
	orsp_bsp_keys_wipe(&b->keys);
	free(b->upp);
	free(b->out);
	free(b->seg_out);
}

enum { OPT_SECONDS = CLI_OPT_CMD, OPT_JSON, OPT_CURVE, OPT_PROFILE };

int bench_bpp(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, OPT_SECONDS},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"curve", required_argument, NULL, OPT_CURVE},
	    {"profile", required_argument, NULL, OPT_PROFILE},
	    {NULL, 0, NULL, 0},
	};
	double seconds = 3.0, res[M__COUNT][ROUNDS], med[M__COUNT];
	orsp_curve curve = ORSP_CURVE_P256;
	const char *profile = NULL;
	bool json = false;
	bb *b = NULL;
	int rc, c, cpu;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_SECONDS) {
			if ((rc = cli_seconds("--seconds", optarg, 0.1, 3600, &seconds)))
				return rc;
		} else if (c == OPT_JSON) {
			json = true;
		} else if (c == OPT_CURVE) {
			/* nist, as pki and euicc name it, or p256 */
			if (!strcmp(optarg, "nist") || !strcmp(optarg, "p256"))
				curve = ORSP_CURVE_P256;
			else if (!strcmp(optarg, "brainpool"))
				curve = ORSP_CURVE_BRAINPOOLP256R1;
			else
				return cli_usage("--curve", "expected nist (or p256) or brainpool");
		} else if (c == OPT_PROFILE) {
			profile = optarg;
		} else {
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;

	b = calloc(1, sizeof(*b));
	if (!b)
		return cli_failf("bench bpp", "out of memory");
	rc = setup(b, curve, profile);
	if (rc)
		goto out;
	cpu = bench_pin_cpu();

	double slice = seconds / (ROUNDS * M__COUNT);
	for (int m = 0; m < M__COUNT; m++)
		if (run_slice(b, m, slice / 4) < 0) {
			rc = cli_failf("bench bpp", "%s failed: %s", m_names[m], orsp_err_detail());
			goto out;
		}
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < M__COUNT; i++) {
			int m = (i + r) % M__COUNT; /* rotate so no measurement always runs first */
			res[m][r] = run_slice(b, m, slice);
			if (res[m][r] < 0) {
				rc = cli_failf("bench bpp", "%s failed: %s", m_names[m],
				               orsp_err_detail());
				goto out;
			}
		}
	}
	for (int m = 0; m < M__COUNT; m++)
		med[m] = bench_median(res[m], ROUNDS);

	/* microseconds per operation */
	double us[M__COUNT];
	for (int m = 0; m < M__COUNT; m++)
		us[m] = 1e6 / med[m];
	double parts = us[M_KEYGEN] + us[M_ECKA] + us[M_KDF] + us[M_SIGN] + us[M_SEGMENTS];
	double seg_mbps = (double)b->upp_len * med[M_SEGMENTS] / 1e6;

	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_str(&j, "curve", orsp_curve_name(curve));
		cj_u64(&j, "profile_bytes", b->upp_len);
		cj_u64(&j, "bpp_bytes", b->out_cap);
		cj_double(&j, "seconds", seconds);
		cj_u64(&j, "rounds", ROUNDS);
		cj_i64(&j, "cpu", cpu);
		cj_double(&j, "bpp_per_s", med[M_BPP]);
		cj_double(&j, "build_fixed_key_per_s", med[M_BUILD]);
		cj_double(&j, "keygen_us", us[M_KEYGEN]);
		cj_double(&j, "ecka_us", us[M_ECKA]);
		cj_double(&j, "kdf_us", us[M_KDF]);
		cj_double(&j, "ecdsa_sign_us", us[M_SIGN]);
		cj_double(&j, "segments_us", us[M_SEGMENTS]);
		cj_double(&j, "segments_mb_per_s", seg_mbps);
		cj_double(&j, "parts_us", parts);
		cj_double(&j, "bpp_us", us[M_BPP]);
		cj_obj_end(&j);
		cj_done(&j);
		goto out;
	}
	printf("bench bpp: %s, %zu-byte profile -> %zu-byte BPP, CPU %d, %d interleaved rounds "
	       "of %.3f s per measurement, median\n",
	       orsp_curve_name(curve), b->upp_len, b->out_cap, cpu, ROUNDS, slice);
	for (int m = 0; m < M__COUNT; m++)
		printf("  %-30s %10.1f /s %10.1f us\n", m_names[m], med[m], us[m]);
	printf("  segments throughput            %10.1f MB/s\n", seg_mbps);
	printf("parts (keygen + ECKA + KDF + ECDSA + segments) = %.1f us = %.0f%% of a whole BPP "
	       "(%.1f us)\n",
	       parts, 100 * parts / us[M_BPP], us[M_BPP]);
out:
	if (b) {
		teardown(b);
		free(b);
	}
	return rc;
}
