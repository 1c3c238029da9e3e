/* libFuzzer target for the profile package decoder (and what runs on a decoded package).
 *
 * For any input:
 *  - orsp_pkg_decode() fails only with ORSP_E_MALFORMED or ORSP_E_RESOURCE, and then returns
 *    no package;
 *  - a decoded package re-encodes (as kept) to exactly the input bytes, and every lossless PE
 *    re-encodes from the model to its raw bytes;
 *  - the summaries, the validation and a personalisation run without crashing; validation
 *    answers ORSP_OK or ORSP_E_POLICY; a personalised package decodes again.
 * A violated property calls abort(). Deterministic: fixed personalisation values, no clock.
 */
#include <stdlib.h>
#include <string.h>

#include "openrsp/pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void summaries(const orsp_pkg *pkg)
{
	orsp_pkg_header h;
	orsp_pkg_pin pins[32];
	orsp_pkg_fs *fs = malloc(sizeof(*fs));
	uint8_t buf[512];
	size_t n = 0, len = 0;

	check(fs != NULL);
	(void)orsp_pkg_get_header(pkg, &h);
	for (size_t i = 0;; i++) {
		orsp_pkg_usim u;
		if (orsp_pkg_get_usim(pkg, i, &u) != ORSP_OK)
			break;
	}
	for (size_t i = 0; i < orsp_pkg_aka_count(pkg); i++) {
		orsp_pkg_aka a;
		orsp_secret k, opc;
		check(orsp_pkg_get_aka(pkg, i, &a) == ORSP_OK);
		if (orsp_pkg_get_aka_keys(pkg, i, &k, &opc) == ORSP_OK) {
			check(k.len == a.key_len && opc.len == a.opc_len);
			orsp_secret_wipe(&k);
			orsp_secret_wipe(&opc);
		}
	}
	check(orsp_pkg_get_pins(pkg, pins, ORSP_ARRAY_LEN(pins), &n) == ORSP_OK);
	for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
		orsp_pe_info in;
		check(orsp_pkg_pe(pkg, i, &in) == ORSP_OK);
		if (orsp_pkg_naa_aka(pkg, i, &n) == ORSP_OK)
			check(n < orsp_pkg_aka_count(pkg));
		if (!orsp_pe_type_is_fs(in.type) || orsp_pkg_get_files(pkg, i, fs) != ORSP_OK)
			continue;
		for (size_t f = 0; f < fs->n_files; f++)
			(void)orsp_pkg_file_read(pkg, i, fs->files[f].name, buf, sizeof(buf), &len);
	}
	free(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	orsp_pkg *pkg = NULL, *again = NULL;
	orsp_pkg_report *rep = malloc(sizeof(*rep));
	orsp_pkg_perso p;
	uint8_t *out = NULL;
	size_t out_len = 0;
	orsp_err e;

	check(rep != NULL);
	e = orsp_pkg_decode(data, size, &pkg);
	if (e) {
		check(e == ORSP_E_MALFORMED || e == ORSP_E_RESOURCE);
		check(pkg == NULL);
		goto out;
	}
	check(orsp_pkg_encode(pkg, 0, &out, &out_len) == ORSP_OK);
	check(out_len == size && memcmp(out, data, size) == 0);
	orsp_pkg_buf_free(out, out_len);
	out = NULL;
	for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
		orsp_pe_info in;
		check(orsp_pkg_pe(pkg, i, &in) == ORSP_OK);
		if (!in.lossless)
			goto no_reencode;
	}
	check(orsp_pkg_encode(pkg, ORSP_PKG_ENCODE_REENCODE, &out, &out_len) == ORSP_OK);
	check(out_len == size && memcmp(out, data, size) == 0);
	orsp_pkg_buf_free(out, out_len);
	out = NULL;
no_reencode:
	summaries(pkg);
	e = orsp_pkg_validate(pkg, rep);
	check(e == ORSP_OK || e == ORSP_E_POLICY);
	check((e == ORSP_OK) == (rep->errors == 0));

	orsp_pkg_perso_init(&p);
	p.iccid = "89000123456789012341";
	p.imsi = "001010123456789";
	p.mnc_len = 2;
	p.set_aka = true;
	p.alg = ORSP_AKA_MILENAGE;
	p.k.len = 16;
	p.opc.len = 16;
	p.op_given = true;
	p.spn = "fuzz";
	p.pin1 = "0000";
	if (orsp_pkg_personalise(pkg, &p) == ORSP_OK) {
		check(orsp_pkg_encode(pkg, 0, &out, &out_len) == ORSP_OK);
		check(orsp_pkg_decode(out, out_len, &again) == ORSP_OK);
		summaries(again);
	}
	orsp_pkg_perso_wipe(&p);
out:
	orsp_pkg_buf_free(out, out_len);
	orsp_pkg_free(again);
	orsp_pkg_free(pkg);
	free(rep);
	return 0;
}
