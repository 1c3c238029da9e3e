/* libFuzzer target for the profile package decoder (and what runs on a decoded package).
 *
 * For any input:
 *  - orsp_pkg_decode() fails only with ORSP_E_MALFORMED or ORSP_E_RESOURCE, and then returns
 *    no package;
 *  - a decoded package re-encodes (as kept) to exactly the input bytes, and every lossless PE
 *    re-encodes from the model to its raw bytes;
 *  - the summaries, the validation and a personalisation run without crashing; validation
 *    answers ORSP_OK or ORSP_E_POLICY; a personalised package decodes again;
 *  - the personalisation's options come from a hash of the input (so any mutation may change
 *    them): sd_keys (new keys for the security domains, pe_securitydomain.c), the ISIM's IMS
 *    identity derived from the IMSI or kept (keep_ims_identity, pe_isim.c), and mnc_len 2, 3
 *    or from EF.AD. A personalised package lists the same security-domain keys (KVN, KID,
 *    type, usage, length), with the template's values unless sd_keys drew them; its ISIMs
 *    hold the derived identity, or the template's when it is kept.
 * A violated property calls abort(). Deterministic but for the security-domain key values
 * sd_keys draws (orsp_random), on which no branch depends: fixed personalisation values, no
 * clock.
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
	for (size_t i = 0;; i++) {
		orsp_pkg_isim is;
		if (orsp_pkg_get_isim(pkg, i, &is) != ORSP_OK)
			break;
		check(is.n_impu <= ORSP_PKG_MAX_IMPU);
	}
	for (size_t i = 0;; i++) {
		orsp_pkg_sd sd;
		if (orsp_pkg_get_sd(pkg, i, &sd) != ORSP_OK)
			break;
		check(sd.sd == i + 1 && sd.aid_len <= sizeof(sd.aid));
	}
	free(fs);
}

/* The security-domain keys of a package and their values (at most MAX_SD_KEYS). */
#define MAX_SD_KEYS 64
typedef struct sd_snapshot {
	orsp_pkg_sd_key k[MAX_SD_KEYS];
	orsp_secret v[MAX_SD_KEYS];
	bool has_v[MAX_SD_KEYS];
	size_t n;
} sd_snapshot;

static void sd_snap(const orsp_pkg *pkg, sd_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	check(orsp_pkg_get_sd_keys(pkg, s->k, MAX_SD_KEYS, &s->n) == ORSP_OK);
	for (size_t i = 0; i < s->n && i < MAX_SD_KEYS; i++) {
		(void)orsp_pkg_sd_key_type_name(s->k[i].type);
		s->has_v[i] = orsp_pkg_get_sd_key_data(pkg, &s->k[i], &s->v[i]) == ORSP_OK;
		check(!s->has_v[i] || s->v[i].len == s->k[i].len);
	}
}

static void sd_snap_wipe(sd_snapshot *s)
{
	orsp_wipe(s, sizeof(*s));
}

/* After a personalisation: the same keys; the same values unless sd_keys drew them. */
static void sd_compare(const sd_snapshot *b, const sd_snapshot *a, bool drawn)
{
	check(a->n == b->n);
	for (size_t i = 0; i < a->n && i < MAX_SD_KEYS; i++) {
		const orsp_pkg_sd_key *x = &b->k[i], *y = &a->k[i];
		bool same_value;
		check(x->sd == y->sd && x->key == y->key && x->component == y->component);
		check(x->kvn == y->kvn && x->kid == y->kid && x->type == y->type);
		check(x->kind == y->kind && x->len == y->len && x->usage_len == y->usage_len);
		check(memcmp(x->usage, y->usage, x->usage_len) == 0);
		check(a->has_v[i] == b->has_v[i]);
		if (!a->has_v[i] || (drawn && ORSP_PKG_SD_KEY_SYMMETRIC(y->kind)))
			continue;
		same_value =
		    a->v[i].len == b->v[i].len && memcmp(a->v[i].v, b->v[i].v, a->v[i].len) == 0;
		check(same_value);
	}
}

/* The ISIMs of a personalised package: the identity derived for imsi (mnc_len 0: not
 * checked, it came from EF.AD), or, when kept, the template's (before). */
static void isim_compare(const orsp_pkg *before, const orsp_pkg *after, const char *imsi,
                         unsigned mnc_len, bool keep)
{
	orsp_ims_identity id;

	if (!keep && !mnc_len)
		return;
	if (!keep)
		check(orsp_ims_identity_derive(imsi, mnc_len, &id) == ORSP_OK);
	for (size_t i = 0;; i++) {
		orsp_pkg_isim x, y;
		orsp_err eb = orsp_pkg_get_isim(before, i, &x),
		         ea = orsp_pkg_get_isim(after, i, &y);
		check((eb == ORSP_OK) == (ea == ORSP_OK));
		if (ea != ORSP_OK)
			break;
		if (keep) {
			check(x.has_impi == y.has_impi && x.has_domain == y.has_domain);
			check(strcmp(x.impi, y.impi) == 0 && strcmp(x.domain, y.domain) == 0);
			check(x.n_impu == y.n_impu);
			for (size_t r = 0; r < y.n_impu && r < ORSP_PKG_MAX_IMPU; r++)
				check(x.impu_record[r] == y.impu_record[r] &&
				      strcmp(x.impu[r], y.impu[r]) == 0);
			continue;
		}
		check(y.has_impi && strcmp(y.impi, id.impi) == 0);
		check(y.has_domain && strcmp(y.domain, id.domain) == 0);
		check(y.n_impu >= 1 && y.impu_record[0] == 1 && strcmp(y.impu[0], id.impu) == 0);
	}
}

/* FNV-1a: option bits any byte of the input changes. */
static uint32_t input_hash(const uint8_t *data, size_t size)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	orsp_pkg *pkg = NULL, *again = NULL;
	orsp_pkg_report *rep = malloc(sizeof(*rep));
	sd_snapshot *sd_b = malloc(sizeof(*sd_b)), *sd_a = malloc(sizeof(*sd_a));
	orsp_pkg_perso p;
	uint8_t *out = NULL;
	size_t out_len = 0;
	uint32_t opt = input_hash(data, size);
	static const unsigned mnc_lens[4] = {0, 2, 3, 2};
	orsp_pkg *tpl = NULL;
	orsp_err e;

	check(rep != NULL && sd_b != NULL && sd_a != NULL);
	memset(sd_b, 0, sizeof(*sd_b));
	memset(sd_a, 0, sizeof(*sd_a));
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
	p.mnc_len = mnc_lens[(opt >> 2) & 3];
	p.set_aka = true;
	p.alg = ORSP_AKA_MILENAGE;
	p.k.len = 16;
	p.opc.len = 16;
	p.op_given = true;
	p.spn = "fuzz";
	p.pin1 = "0000";
	p.sd_keys = (opt & 1) != 0;
	p.keep_ims_identity = (opt & 2) != 0;
	/* the template as it was, for what personalisation must keep */
	check(orsp_pkg_encode(pkg, 0, &out, &out_len) == ORSP_OK);
	check(orsp_pkg_decode(out, out_len, &tpl) == ORSP_OK);
	orsp_pkg_buf_free(out, out_len);
	out = NULL;
	sd_snap(pkg, sd_b);
	if (orsp_pkg_personalise(pkg, &p) == ORSP_OK) {
		check(orsp_pkg_encode(pkg, 0, &out, &out_len) == ORSP_OK);
		check(orsp_pkg_decode(out, out_len, &again) == ORSP_OK);
		summaries(again);
		sd_snap(again, sd_a);
		sd_compare(sd_b, sd_a, p.sd_keys);
		isim_compare(tpl, again, p.imsi, p.mnc_len, p.keep_ims_identity);
	}
	orsp_pkg_perso_wipe(&p);
out:
	orsp_pkg_buf_free(out, out_len);
	orsp_pkg_free(again);
	orsp_pkg_free(tpl);
	orsp_pkg_free(pkg);
	if (sd_b)
		sd_snap_wipe(sd_b);
	if (sd_a)
		sd_snap_wipe(sd_a);
	free(sd_b);
	free(sd_a);
	free(rep);
	return 0;
}
