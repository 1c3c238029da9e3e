/* libFuzzer target for the eUICC-side Bound Profile Package unwrap (orsp_bsp_unwrap_*).
 *
 * The input is a BPP. The unwrap runs with fixed keys (eUICC one-time key, DPpb key, EID,
 * transactionId below), twice: once fed in one piece, once fed in chunks whose sizes
 * cycle through a pattern picked from the input length. Properties, abort() if violated:
 *  - both runs reach the same verdict: error category, reason, step, and the same bytes
 *    delivered to each callback (the streaming state machine does not depend on how the
 *    bytes are cut);
 *  - a failure is final: the next feed and finish return ORSP_E_STATE;
 *  - a failure is one of the categories the API documents for outside input (malformed,
 *    verify, policy, resource), never usage, state or an internal crypto error;
 *  - a success delivered ConfigureISDP and StoreMetadata exactly once each.
 * Deterministic: fixed keys, no clock, no randomness, nothing kept between inputs.
 *
 * Seeds (fuzz/corpus/bsp_bpp_unwrap/): pySim's bpp.der (tests/vectors/sgp22/bpp/), and
 * packages built for the fixed keys here, so mutations reach past smdpSign and the first
 * C-MAC; one of them (p256_replace_session_keys_1036.der) has 1036-byte '86' segments, as
 * osmo-smdpp cuts the profile, the largest the unwrap accepts. Regenerate those with:
 *   cc -std=c17 -DORSP_FUZZ_MAKE_SEED -Iinclude fuzz/fuzz_bsp_bpp_unwrap.c \
 *      <build>/liborsp_bsp.a <build>/liborsp_crypto.a <build>/liborsp_der.a \
 *      <build>/liborsp_core.a -lcrypto -lp11-kit -o mkseed && ./mkseed fuzz/corpus/bsp_bpp_unwrap
 * (with the build's -fsanitize flags; a fuzz build's libraries also need libFuzzer's
 * clang_rt.fuzzer_no_main and -lstdc++). smdpSign is a new ECDSA signature each time, so
 * the files differ from run to run; mkseed unwraps each package it writes and aborts unless
 * it is accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/bsp.h"
#include "openrsp/der.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fixed P-256 scalars (any values in [1, n-1]). */
static const uint8_t euicc_scalar[32] = {
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
static const uint8_t dppb_scalar[32] = {
    0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
    0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22};
static const uint8_t eid[16] = {0x89, 0x04, 0x90, 0x32, 0x12, 0x34, 0x51, 0x23,
                                0x45, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x35};
static const uint8_t tid[16] = {0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7,
                                0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf};

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* FNV-1a over everything a callback got, per callback, plus call counts. */
typedef struct seen {
	uint64_t h[4];
	unsigned calls[4];
} seen;

static void mix(seen *s, int i, orsp_slice d)
{
	uint64_t h = s->h[i] ? s->h[i] : 0xcbf29ce484222325u;
	for (size_t k = 0; k < d.len; k++)
		h = (h ^ d.p[k]) * 0x100000001b3u;
	s->h[i] = h ^ d.len;
	s->calls[i]++;
}

static orsp_err on_cfg(void *arg, orsp_slice d)
{
	mix(arg, 0, d);
	return ORSP_OK;
}

static orsp_err on_smd(void *arg, orsp_slice d)
{
	mix(arg, 1, d);
	return ORSP_OK;
}

static orsp_err on_rsk(void *arg)
{
	mix(arg, 2, orsp_slice_make(NULL, 0));
	return ORSP_OK;
}

static orsp_err on_prof(void *arg, orsp_slice d)
{
	mix(arg, 3, d);
	return ORSP_OK;
}

typedef struct keys {
	orsp_ec_key *euicc, *dppb;
} keys;

static keys *fixed_keys(void)
{
	static keys k;
	static bool done;
	if (!done) {
		check(orsp_ec_from_private_scalar(ORSP_CURVE_P256, euicc_scalar, &k.euicc) ==
		      ORSP_OK);
		check(orsp_ec_from_private_scalar(ORSP_CURVE_P256, dppb_scalar, &k.dppb) ==
		      ORSP_OK);
		done = true;
	}
	return &k;
}

typedef struct verdict {
	orsp_err e;
	orsp_bsp_reason r;
	orsp_bsp_step step;
	seen s;
} verdict;

static void run(const uint8_t *data, size_t size, size_t chunk_seed, verdict *v)
{
	static const size_t pattern[] = {1, 2, 3, 5, 8, 13, 64, 255, 1020, 4096};
	keys *k = fixed_keys();
	orsp_bsp_unwrap *u = NULL;
	size_t at = 0, i = chunk_seed;

	memset(v, 0, sizeof(*v));
	orsp_bsp_unwrap_params p = {
	    .euicc_otsk = k->euicc,
	    .dppb = k->dppb, /* the public half is what the eUICC would hold */
	    .eid = eid,
	    .transaction_id = orsp_slice_make(tid, sizeof(tid)),
	    .cb = {&v->s, on_cfg, on_smd, on_rsk, on_prof},
	};
	check(orsp_bsp_unwrap_new(&p, &u) == ORSP_OK);
	if (chunk_seed == SIZE_MAX) {
		v->e = orsp_bsp_unwrap_feed(u, data, size);
	} else {
		while (at < size && v->e == ORSP_OK) {
			size_t n = pattern[i++ % ORSP_ARRAY_LEN(pattern)];
			if (n > size - at)
				n = size - at;
			v->e = orsp_bsp_unwrap_feed(u, data + at, n);
			at += n;
		}
	}
	if (v->e == ORSP_OK)
		v->e = orsp_bsp_unwrap_finish(u);
	v->r = orsp_bsp_unwrap_reason(u, &v->step);
	if (v->e != ORSP_OK) {
		check(v->e == ORSP_E_MALFORMED || v->e == ORSP_E_VERIFY || v->e == ORSP_E_POLICY ||
		      v->e == ORSP_E_RESOURCE);
		check(v->r != ORSP_BSP_OK && v->r != ORSP_BSP_R_INTERNAL);
		check(orsp_bsp_unwrap_feed(u, data, size ? 1 : 0) == ORSP_E_STATE);
		check(orsp_bsp_unwrap_finish(u) == ORSP_E_STATE);
	} else {
		check(v->r == ORSP_BSP_OK);
		check(v->s.calls[0] == 1 && v->s.calls[1] == 1 && v->s.calls[2] <= 1);
	}
	orsp_bsp_unwrap_free(u);
}

#ifndef ORSP_FUZZ_MAKE_SEED

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	verdict whole, chunked;

	run(data, size, SIZE_MAX, &whole);
	run(data, size, size, &chunked);
	check(whole.e == chunked.e && whole.r == chunked.r);
	if (whole.e != ORSP_OK)
		check(whole.step == chunked.step);
	check(memcmp(&whole.s, &chunked.s, sizeof(whole.s)) == 0);
	orsp_err_clear();
	return 0;
}

#else /* ORSP_FUZZ_MAKE_SEED: write packages for the fixed keys into argv[1] */

/* The package in out[0..*len) with its A3 made again from upp under ppk, in '86' segments
 * of `plain` plaintext bytes each (the last one shorter), as a sender that counts the
 * plaintext cuts it (osmo-smdpp: 1008 bytes, 1036-byte segments). The builder sends at most
 * 1020-byte segments, so this is done here. A3 is the last part of BF36; smdpSign does not
 * cover it. */
static void recut_ppp(const orsp_bsp_keys *ppk, orsp_slice upp, size_t plain, uint8_t *out,
                      size_t cap, size_t *len)
{
	uint8_t *copy = malloc(*len), a3[8192];
	orsp_bsp_ctx *c = NULL;
	orsp_reader r;
	orsp_tlv bpp, t;
	orsp_writer w;

	check(copy != NULL);
	memcpy(copy, out, *len);
	check(orsp_der_parse_one(orsp_slice_make(copy, *len), &bpp) == ORSP_OK);
	check(orsp_bsp_ctx_new(ppk, 2048, &c) == ORSP_OK);
	orsp_writer_init(&w, a3, sizeof(a3));
	for (size_t at = 0; at < upp.len; at += plain)
		check(orsp_bsp_protect(c, ORSP_BSP_TAG_PPP, upp.p + at,
		                       upp.len - at < plain ? upp.len - at : plain, &w) == ORSP_OK);
	orsp_bsp_ctx_free(c);
	size_t a3_len = w.len;

	orsp_writer_init(&w, out, cap);
	orsp_der_mark m = orsp_der_begin(&w, 0xBF36);
	orsp_reader_init(&r, bpp.value.p, bpp.value.len);
	while (orsp_reader_remaining(&r)) {
		check(orsp_der_read(&r, &t) == ORSP_OK);
		if (t.tag == 0xA3)
			orsp_der_put_tlv(&w, 0xA3, a3, a3_len);
		else
			orsp_write_bytes(&w, t.raw.p, t.raw.len);
	}
	orsp_der_end(&w, m);
	check(orsp_writer_status(&w) == ORSP_OK);
	*len = w.len;
	free(copy);
}

/* plain: 0 for the builder's segments, else '86' segments of that many plaintext bytes
 * (rsk only). */
static int write_seed(const char *dir, const char *name, bool rsk, size_t plain)
{
	static const uint8_t cfg[] = {0xBF, 0x24, 0x00};
	static const uint8_t smd[] = {0xBF, 0x25, 0x10, 0x5A, 0x0A, 0x98, 0x00, 0x10, 0x32, 0x54,
	                              0x76, 0x98, 0x10, 0x32, 0x14, 0x91, 0x00, 0x92, 0x00};
	static const uint8_t host_id[8] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
	static const uint8_t smdp_scalar[32] = {0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
	                                        0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
	                                        0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
	                                        0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33};
	static const uint8_t k16[3][16] = {{1}, {2}, {3}};
	uint8_t upp[2100], euicc_pk[65], ppp[2400], out[8192];
	orsp_ec_key *smdp = NULL;
	orsp_bsp_keys ppk;
	orsp_writer w;
	keys *k = fixed_keys();
	char path[512];
	FILE *f;

	for (size_t i = 0; i < sizeof(upp); i++)
		upp[i] = (uint8_t)(i * 7);
	check(orsp_ec_from_private_scalar(ORSP_CURVE_P256, smdp_scalar, &smdp) == ORSP_OK);
	check(orsp_ec_public_point(k->euicc, euicc_pk) == ORSP_OK);
	check(orsp_bsp_keys_set(&ppk, k16[0], k16[1], k16[2]) == ORSP_OK);
	orsp_writer_init(&w, ppp, sizeof(ppp));
	check(orsp_bsp_ppp_build(&ppk, orsp_slice_make(upp, sizeof(upp)), &w) == ORSP_OK);
	orsp_bsp_bpp_params p = {
	    .dppb = k->dppb,
	    .smdp_otsk = smdp,
	    .euicc_otpk = orsp_slice_make(euicc_pk, 65),
	    .transaction_id = orsp_slice_make(tid, 16),
	    .host_id = orsp_slice_make(host_id, 8),
	    .eid = eid,
	    .configure_isdp = orsp_slice_make(cfg, sizeof(cfg)),
	    .store_metadata = orsp_slice_make(smd, sizeof(smd)),
	    .profile = rsk ? orsp_slice_make(ppp, w.len) : orsp_slice_make(upp, sizeof(upp)),
	    .ppk = rsk ? &ppk : NULL,
	};
	orsp_writer_init(&w, out, sizeof(out));
	check(orsp_bsp_bpp_build(&p, &w) == ORSP_OK);
	size_t len = w.len;
	if (plain)
		recut_ppp(&ppk, orsp_slice_make(upp, sizeof(upp)), plain, out, sizeof(out), &len);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	check(f && fwrite(out, 1, len, f) == len && fclose(f) == 0);
	orsp_ec_free(smdp);
	orsp_bsp_keys_wipe(&ppk);

	verdict v;
	run(out, len, SIZE_MAX, &v);
	check(v.e == ORSP_OK);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	write_seed(argv[1], "p256_session_keys.der", false, 0);
	write_seed(argv[1], "p256_replace_session_keys.der", true, 0);
	/* osmo-smdpp's cut: 1008 plaintext bytes, 1036-byte '86' segments */
	write_seed(argv[1], "p256_replace_session_keys_1036.der", true, ORSP_BSP_MAX_MAC_PAYLOAD);
	return 0;
}

#endif
