/* `openrsp profile`: inspect, build (personalise a template) and check MCIM profile packages
 * (TCA eUICC Profile Package, docs/pkg.md). Nothing here prints K, OPc or any other key or PIN
 * value: the pkg module does not hand them out except as orsp_secret, and this file only ever
 * shows their lengths. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "openrsp/auc.h"
#include "openrsp/pkg.h"

enum {
	OPT_JSON = CLI_OPT_CMD,
	OPT_TEMPLATE,
	OPT_ICCID,
	OPT_IMSI,
	OPT_SPN,
	OPT_NAME,
	OPT_CLASS,
	OPT_OUTPUT,
	OPT_MNC_LEN,
	OPT_MNC_LEN_ALIAS,
	OPT_PIN1,
	OPT_PIN2,
	OPT_PUK1,
	OPT_PUK2,
	OPT_ADM1,
	OPT_SQN_DELTA,
	OPT_SQN_INIT,
	OPT_KEEP_IMS,
	OPT_KEEP_CDMA,
};

/* ----- files ----- */

static int load(const char *path, orsp_pkg **pkg)
{
	uint8_t *der = NULL;
	size_t len = 0;
	orsp_err e;
	int rc = cli_read_package(path, &der, &len);

	if (rc)
		return rc;
	e = orsp_pkg_decode(der, len, pkg);
	orsp_pkg_buf_free(der, len);
	if (e)
		return cli_fail(path, e);
	return CLI_OK;
}

/* ----- inspect ----- */

static void services_text(uint64_t svc, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (int s = 0; s < ORSP_SVC__COUNT; s++) {
		int w;
		if (!(svc & ORSP_SVC_BIT(s)))
			continue;
		w = snprintf(out + o, cap - o, "%s%s", o ? " " : "",
		             orsp_pkg_service_name((orsp_pkg_service)s));
		if (w < 0 || (size_t)w >= cap - o)
			return;
		o += (size_t)w;
	}
}

static void hex_or_empty(const uint8_t *p, size_t n, char *out, size_t cap)
{
	if (orsp_hex_encode(p, n, out, cap) != ORSP_OK)
		out[0] = '\0';
}

static bool consts_default(const orsp_milenage_consts *c)
{
	orsp_milenage_consts d;
	orsp_milenage_default_consts(&d);
	return memcmp(c, &d, sizeof(d)) == 0;
}

/* The security domains' keys, as orsp_pkg_get_sd_keys lists them (no values). */
typedef struct sd_keys {
	orsp_pkg_sd_key k[256];
	size_t n;  /* how many the package has */
	bool read; /* orsp_pkg_get_sd_keys succeeded */
} sd_keys;

static void sd_keys_read(const orsp_pkg *pkg, sd_keys *ks)
{
	ks->read = orsp_pkg_get_sd_keys(pkg, ks->k, ORSP_ARRAY_LEN(ks->k), &ks->n) == ORSP_OK;
	if (!ks->read)
		ks->n = 0;
}

/* The card-secret name `smdp profile generate --auc` would store a key drawn in the place of
 * this symmetric one under (orsp_auc_sd_key_name), or "" for a key it keeps from the
 * template. A name only: no AuC need hold anything for the package at hand. */
static void sd_key_secret_name(const orsp_pkg_sd_key *k, char out[ORSP_AUC_SECRET_NAME_MAX])
{
	out[0] = '\0';
	if (ORSP_PKG_SD_KEY_SYMMETRIC(k->kind) &&
	    orsp_auc_sd_key_name(k->sd, k->kvn, k->kid, out) != ORSP_OK)
		out[0] = '\0';
}

static void sd_key_type_text(const orsp_pkg_sd_key *k, char *out, size_t cap)
{
	if (k->type < 0)
		snprintf(out, cap, "%s", orsp_pkg_sd_key_type_name(k->type));
	else
		snprintf(out, cap, "%s (%02X)", orsp_pkg_sd_key_type_name(k->type), k->type);
}

static void inspect_text(const char *path, size_t size, const orsp_pkg *pkg, orsp_pkg_fs *fs,
                         sd_keys *ks)
{
	orsp_pkg_header h;
	orsp_pkg_pin pins[64];
	size_t n_pins = 0;
	char buf[1024];

	printf("%s: %zu bytes, %zu profile elements\n", path, size, orsp_pkg_count(pkg));
	if (orsp_pkg_get_header(pkg, &h) == ORSP_OK) {
		printf("\nheader (PE #%zu)\n", h.pe_index);
		printf("  version:      %u.%u\n", h.major, h.minor);
		if (h.has_profile_type) /* the package's text: no escape sequence to the terminal */
			printf("  profile type: %s\n", cli_text(h.profile_type, buf, sizeof(buf)));
		printf("  ICCID:        %s\n", h.iccid[0] ? h.iccid : "(not BCD)");
		services_text(h.services, buf, sizeof(buf));
		printf("  services:     %s\n", buf[0] ? buf : "(none)");
		printf("  templates:   ");
		for (size_t g = 0; g < h.n_gfste && g < ORSP_PKG_MAX_GFSTE; g++)
			printf(" %s", h.gfste[g]);
		printf("%s\n", h.n_gfste ? "" : " (none)");
		if (h.n_mandatory_aids)
			printf("  mandatory AIDs: %zu\n", h.n_mandatory_aids);
		if (h.has_iot_options)
			printf("  IoT Minimal Profile options present\n");
	}

	printf("\nprofile elements\n");
	for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
		orsp_pe_info in;
		if (orsp_pkg_pe(pkg, i, &in) != ORSP_OK)
			continue;
		printf("  #%-3zu %-22s", i, orsp_pe_type_name(in.type));
		if (in.has_header)
			printf(" id %-4u%s", in.id, in.mandated ? " mandated" : "");
		printf(" %zu bytes\n", in.raw.len);
		if (!orsp_pe_type_is_fs(in.type) || orsp_pkg_get_files(pkg, i, fs) != ORSP_OK)
			continue;
		printf("        template %s:", fs->template_oid);
		for (size_t f = 0; f < fs->n_files; f++) {
			const orsp_pkg_file *file = &fs->files[f];
			printf(" %s", file->name);
			if (file->do_not_create)
				printf("(not created)");
			else if (file->has_fid)
				printf("(%04X)", file->fid);
		}
		printf("\n");
	}

	for (size_t n = 0;; n++) {
		orsp_pkg_usim u;
		if (orsp_pkg_get_usim(pkg, n, &u) != ORSP_OK)
			break;
		printf("\nUSIM (PE #%zu)\n", u.pe_index);
		printf("  EF.IMSI:      %s\n", u.has_imsi ? u.imsi : "(not defined)");
		if (u.has_ad) {
			hex_or_empty(u.ad, u.ad_len, buf, sizeof(buf));
			printf("  EF.AD:        %s", buf);
			if (u.mnc_len)
				printf(" (MNC length %u)", u.mnc_len);
			printf("\n");
		}
		if (u.has_spn)
			printf("  EF.SPN:       \"%s\" (display condition %02X)\n", u.spn,
			       u.spn_display);
	}

	for (size_t n = 0;; n++) {
		orsp_pkg_isim is;
		if (orsp_pkg_get_isim(pkg, n, &is) != ORSP_OK)
			break;
		printf("\nISIM (PE #%zu)\n", is.pe_index);
		printf("  EF.IMPI:      %s\n", is.has_impi ? is.impi : "(not defined)");
		printf("  EF.DOMAIN:    %s\n", is.has_domain ? is.domain : "(not defined)");
		for (size_t r = 0; r < is.n_impu; r++) {
			char label[24];
			snprintf(label, sizeof(label), "EF.IMPU %u:", is.impu_record[r]);
			printf("  %-13s %s\n", label, is.impu[r]);
		}
	}

	for (size_t n = 0; n < orsp_pkg_aka_count(pkg); n++) {
		orsp_pkg_aka a;
		if (orsp_pkg_get_aka(pkg, n, &a) != ORSP_OK)
			continue;
		printf("\nAKA parameters (PE #%zu, id %u)\n", a.pe_index, a.id);
		if (a.is_mapping) {
			hex_or_empty(a.mapping_source, a.mapping_source_len, buf, sizeof(buf));
			printf("  mapping:      keys of the NAA %s (options %02X)\n", buf,
			       a.mapping_options);
		} else {
			printf("  algorithm:    %s (%ld), options %02X\n",
			       orsp_pkg_alg_name(a.algorithm), a.algorithm, a.algorithm_options);
			printf("  K:            %zu bytes (not shown)\n", a.key_len);
			printf("  %-13s %zu bytes (not shown)\n",
			       a.algorithm == ORSP_PKG_ALG_TUAK ? "TOPc:" : "OPc:", a.opc_len);
			if (a.algorithm == ORSP_PKG_ALG_MILENAGE) {
				printf("  rotations:    %u %u %u %u %u%s\n", a.milenage.r[0],
				       a.milenage.r[1], a.milenage.r[2], a.milenage.r[3],
				       a.milenage.r[4], a.has_rotation ? "" : " (default)");
				printf("  constants:    %s\n", consts_default(&a.milenage)
				                                   ? "TS 35.206 defaults"
				                                   : "custom");
			}
			if (a.algorithm == ORSP_PKG_ALG_TUAK)
				printf("  Keccak:       %u iteration(s)\n", a.keccak);
			if (a.has_auth_counter_max) {
				hex_or_empty(a.auth_counter_max, 3, buf, sizeof(buf));
				printf("  authCounterMax: %s\n", buf);
			}
		}
		bool init_zero = true;
		for (size_t k = 0; k < a.n_sqn_init && k < 32; k++)
			init_zero = init_zero && a.sqn_init[k] == 0;
		printf("  SQN:          options %02X, delta %012llX, age limit %012llX, init %s\n",
		       a.sqn_options, (unsigned long long)a.sqn_delta,
		       (unsigned long long)a.sqn_age_limit, init_zero ? "all zero" : "set");
	}

	if (orsp_pkg_get_pins(pkg, pins, ORSP_ARRAY_LEN(pins), &n_pins) == ORSP_OK && n_pins) {
		printf("\nPINs and PUKs (values not shown)\n");
		for (size_t i = 0; i < n_pins && i < ORSP_ARRAY_LEN(pins); i++) {
			const orsp_pkg_pin *p = &pins[i];
			printf("  PE #%-3zu %-15s %zu bytes, %u of %u attempts left", p->pe_index,
			       orsp_pkg_pin_ref_name(p->key_reference, p->puk), p->value_len,
			       p->retries_left, p->max_attempts);
			if (p->has_unblock)
				printf(", unblocked by %s",
				       orsp_pkg_pin_ref_name(p->unblock_reference, true));
			printf("\n");
		}
	}

	sd_keys_read(pkg, ks);
	for (size_t n = 0;; n++) {
		orsp_pkg_sd sd;
		if (orsp_pkg_get_sd(pkg, n, &sd) != ORSP_OK)
			break;
		printf("\nsecurity domain sd%u (PE #%zu)\n", sd.sd, sd.pe_index);
		hex_or_empty(sd.aid, sd.aid_len, buf, sizeof(buf));
		printf("  AID:          %s\n", buf[0] ? buf : "(not 5 to 16 bytes)");
		hex_or_empty(sd.privileges, sd.privileges_len, buf, sizeof(buf));
		printf("  privileges:   %s\n", buf[0] ? buf : "(not 1 to 3 bytes)");
		printf("  keys:         %zu (values not shown)\n", sd.n_keys);
		for (size_t i = 0; i < ks->n && i < ORSP_ARRAY_LEN(ks->k); i++) {
			const orsp_pkg_sd_key *k = &ks->k[i];
			char type[40], usage[8], name[ORSP_AUC_SECRET_NAME_MAX];
			if (k->sd != sd.sd)
				continue;
			sd_key_type_text(k, type, sizeof(type));
			hex_or_empty(k->usage, k->usage_len, usage, sizeof(usage));
			sd_key_secret_name(k, name);
			printf("    KVN %02X KID %02X", k->kvn, k->kid);
			if (k->component)
				printf(" component %zu", k->component);
			printf("  usage %-4s  %-20s %3zu bytes", usage[0] ? usage : "?", type,
			       k->len);
			if (name[0])
				printf("  card secret %s", name);
			printf("\n");
		}
	}
	if (ks->n > ORSP_ARRAY_LEN(ks->k))
		printf("  (%zu more security-domain keys not listed)\n",
		       ks->n - ORSP_ARRAY_LEN(ks->k));
	else if (!ks->read)
		printf("  (security-domain keys could not be listed)\n");
}

static void inspect_json(const char *path, size_t size, const orsp_pkg *pkg, orsp_pkg_fs *fs,
                         sd_keys *ks)
{
	cli_json j = {0};
	orsp_pkg_header h;
	orsp_pkg_pin pins[64];
	size_t n_pins = 0;

	cj_obj_begin(&j, NULL);
	cj_str(&j, "file", path);
	cj_u64(&j, "size", size);
	if (orsp_pkg_get_header(pkg, &h) == ORSP_OK) {
		cj_obj_begin(&j, "header");
		cj_u64(&j, "pe", h.pe_index);
		cj_u64(&j, "major_version", h.major);
		cj_u64(&j, "minor_version", h.minor);
		if (h.has_profile_type)
			cj_str(&j, "profile_type", h.profile_type);
		cj_str(&j, "iccid", h.iccid);
		cj_arr_begin(&j, "services");
		for (int s = 0; s < ORSP_SVC__COUNT; s++)
			if (h.services & ORSP_SVC_BIT(s))
				cj_str(&j, NULL, orsp_pkg_service_name((orsp_pkg_service)s));
		cj_arr_end(&j);
		cj_arr_begin(&j, "templates");
		for (size_t g = 0; g < h.n_gfste && g < ORSP_PKG_MAX_GFSTE; g++)
			cj_str(&j, NULL, h.gfste[g]);
		cj_arr_end(&j);
		cj_obj_end(&j);
	}
	cj_arr_begin(&j, "pes");
	for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
		orsp_pe_info in;
		if (orsp_pkg_pe(pkg, i, &in) != ORSP_OK)
			continue;
		cj_obj_begin(&j, NULL);
		cj_u64(&j, "index", i);
		cj_str(&j, "type", orsp_pe_type_name(in.type));
		if (in.has_header) {
			cj_u64(&j, "id", in.id);
			cj_bool(&j, "mandated", in.mandated);
		}
		cj_u64(&j, "length", in.raw.len);
		if (orsp_pe_type_is_fs(in.type) && orsp_pkg_get_files(pkg, i, fs) == ORSP_OK) {
			cj_str(&j, "template", fs->template_oid);
			cj_arr_begin(&j, "files");
			for (size_t f = 0; f < fs->n_files; f++) {
				const orsp_pkg_file *file = &fs->files[f];
				cj_obj_begin(&j, NULL);
				cj_str(&j, "name", file->name);
				if (file->has_fid) {
					uint8_t fid[2] = {(uint8_t)(file->fid >> 8),
					                  (uint8_t)file->fid};
					cj_hex(&j, "fid", fid, 2);
				}
				if (file->has_size)
					cj_u64(&j, "size", file->size);
				if (file->do_not_create)
					cj_bool(&j, "do_not_create", true);
				cj_u64(&j, "content_length", file->content_len);
				cj_obj_end(&j);
			}
			cj_arr_end(&j);
		}
		cj_obj_end(&j);
	}
	cj_arr_end(&j);
	cj_arr_begin(&j, "usim");
	for (size_t n = 0;; n++) {
		orsp_pkg_usim u;
		if (orsp_pkg_get_usim(pkg, n, &u) != ORSP_OK)
			break;
		cj_obj_begin(&j, NULL);
		cj_u64(&j, "pe", u.pe_index);
		if (u.has_imsi)
			cj_str(&j, "imsi", u.imsi);
		if (u.has_ad) {
			cj_hex(&j, "ad", u.ad, u.ad_len);
			if (u.mnc_len)
				cj_u64(&j, "mnc_length", u.mnc_len);
		}
		if (u.has_spn) {
			cj_str(&j, "spn", u.spn);
			cj_u64(&j, "spn_display_condition", u.spn_display);
		}
		cj_obj_end(&j);
	}
	cj_arr_end(&j);
	cj_arr_begin(&j, "isim");
	for (size_t n = 0;; n++) {
		orsp_pkg_isim is;
		if (orsp_pkg_get_isim(pkg, n, &is) != ORSP_OK)
			break;
		cj_obj_begin(&j, NULL);
		cj_u64(&j, "pe", is.pe_index);
		if (is.has_impi)
			cj_str(&j, "impi", is.impi);
		if (is.has_domain)
			cj_str(&j, "domain", is.domain);
		cj_arr_begin(&j, "impu");
		for (size_t r = 0; r < is.n_impu; r++) {
			cj_obj_begin(&j, NULL);
			cj_u64(&j, "record", is.impu_record[r]);
			cj_str(&j, "uri", is.impu[r]);
			cj_obj_end(&j);
		}
		cj_arr_end(&j);
		cj_obj_end(&j);
	}
	cj_arr_end(&j);
	cj_arr_begin(&j, "aka");
	for (size_t n = 0; n < orsp_pkg_aka_count(pkg); n++) {
		orsp_pkg_aka a;
		if (orsp_pkg_get_aka(pkg, n, &a) != ORSP_OK)
			continue;
		cj_obj_begin(&j, NULL);
		cj_u64(&j, "pe", a.pe_index);
		cj_u64(&j, "id", a.id);
		if (a.is_mapping) {
			cj_hex(&j, "mapping_source", a.mapping_source, a.mapping_source_len);
			cj_u64(&j, "mapping_options", a.mapping_options);
		} else {
			cj_str(&j, "algorithm", orsp_pkg_alg_name(a.algorithm));
			cj_i64(&j, "algorithm_id", a.algorithm);
			cj_u64(&j, "algorithm_options", a.algorithm_options);
			cj_u64(&j, "key_length", a.key_len);
			cj_u64(&j, "opc_length", a.opc_len);
			if (a.algorithm == ORSP_PKG_ALG_MILENAGE) {
				cj_arr_begin(&j, "rotations");
				for (int r = 0; r < 5; r++)
					cj_u64(&j, NULL, a.milenage.r[r]);
				cj_arr_end(&j);
				cj_bool(&j, "default_constants", consts_default(&a.milenage));
			}
			if (a.algorithm == ORSP_PKG_ALG_TUAK)
				cj_u64(&j, "keccak_iterations", a.keccak);
		}
		cj_u64(&j, "sqn_options", a.sqn_options);
		cj_u64(&j, "sqn_delta", a.sqn_delta);
		cj_u64(&j, "sqn_age_limit", a.sqn_age_limit);
		cj_obj_end(&j);
	}
	cj_arr_end(&j);
	cj_arr_begin(&j, "pins");
	if (orsp_pkg_get_pins(pkg, pins, ORSP_ARRAY_LEN(pins), &n_pins) == ORSP_OK) {
		for (size_t i = 0; i < n_pins && i < ORSP_ARRAY_LEN(pins); i++) {
			cj_obj_begin(&j, NULL);
			cj_u64(&j, "pe", pins[i].pe_index);
			cj_str(&j, "key_reference",
			       orsp_pkg_pin_ref_name(pins[i].key_reference, pins[i].puk));
			cj_u64(&j, "value_length", pins[i].value_len);
			cj_u64(&j, "max_attempts", pins[i].max_attempts);
			cj_u64(&j, "attempts_left", pins[i].retries_left);
			cj_obj_end(&j);
		}
	}
	cj_arr_end(&j);
	sd_keys_read(pkg, ks);
	cj_arr_begin(&j, "security_domains");
	for (size_t n = 0;; n++) {
		orsp_pkg_sd sd;
		if (orsp_pkg_get_sd(pkg, n, &sd) != ORSP_OK)
			break;
		cj_obj_begin(&j, NULL);
		cj_u64(&j, "sd", sd.sd);
		cj_u64(&j, "pe", sd.pe_index);
		if (sd.aid_len)
			cj_hex(&j, "aid", sd.aid, sd.aid_len);
		if (sd.privileges_len)
			cj_hex(&j, "privileges", sd.privileges, sd.privileges_len);
		cj_u64(&j, "key_count", sd.n_keys);
		cj_arr_begin(&j, "keys");
		for (size_t i = 0; i < ks->n && i < ORSP_ARRAY_LEN(ks->k); i++) {
			const orsp_pkg_sd_key *k = &ks->k[i];
			char name[ORSP_AUC_SECRET_NAME_MAX];
			uint8_t type;
			if (k->sd != sd.sd)
				continue;
			type = (uint8_t)k->type;
			sd_key_secret_name(k, name);
			cj_obj_begin(&j, NULL);
			cj_hex(&j, "kvn", &k->kvn, 1);
			cj_hex(&j, "kid", &k->kid, 1);
			cj_u64(&j, "component", k->component);
			if (k->usage_len)
				cj_hex(&j, "usage", k->usage, k->usage_len);
			if (k->type >= 0)
				cj_hex(&j, "type", &type, 1);
			cj_str(&j, "type_name", orsp_pkg_sd_key_type_name(k->type));
			cj_bool(&j, "symmetric", ORSP_PKG_SD_KEY_SYMMETRIC(k->kind));
			cj_u64(&j, "length", k->len);
			if (name[0])
				cj_str(&j, "card_secret", name);
			cj_obj_end(&j);
		}
		cj_arr_end(&j);
		cj_obj_end(&j);
	}
	cj_arr_end(&j);
	/* a list cut short is said so: the array alone would look complete */
	cj_bool(&j, "security_domain_keys_complete", ks->read && ks->n <= ORSP_ARRAY_LEN(ks->k));
	cj_obj_end(&j);
	cj_done(&j);
}

static int profile_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	orsp_pkg *pkg = NULL;
	orsp_pkg_fs *fs = NULL;
	sd_keys *ks = NULL;
	bool json = false;
	int c, rc;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_JSON)
			json = true;
	}
	rc = cli_positional(argc, argv, 1, "FILE");
	if (rc)
		return rc;
	rc = load(argv[optind], &pkg);
	if (rc)
		return rc;
	fs = malloc(sizeof(*fs));
	ks = malloc(sizeof(*ks));
	if (!fs || !ks) {
		rc = cli_failf("inspect", "out of memory");
		goto out;
	}
	{
		size_t size = 0;
		for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
			orsp_pe_info in;
			if (orsp_pkg_pe(pkg, i, &in) == ORSP_OK)
				size += in.raw.len;
		}
		if (json)
			inspect_json(argv[optind], size, pkg, fs, ks);
		else
			inspect_text(argv[optind], size, pkg, fs, ks);
	}
out:
	free(ks);
	free(fs);
	orsp_pkg_free(pkg);
	return rc;
}

/* ----- check ----- */

static int report(const char *path, const orsp_pkg *pkg, bool json, bool quiet)
{
	orsp_pkg_report *rep = malloc(sizeof(*rep));
	char line[320];
	orsp_err e;
	int rc = CLI_OK;

	if (!rep)
		return cli_failf(path, "out of memory");
	e = orsp_pkg_validate(pkg, rep);
	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_str(&j, "file", path);
		cj_bool(&j, "valid", rep->errors == 0);
		cj_u64(&j, "profile_elements", orsp_pkg_count(pkg));
		cj_u64(&j, "errors", rep->errors);
		cj_u64(&j, "warnings", rep->warnings);
		cj_arr_begin(&j, "issues");
		for (size_t i = 0; i < rep->n; i++) {
			const orsp_pkg_issue *is = &rep->issue[i];
			cj_obj_begin(&j, NULL);
			cj_str(&j, "severity", is->error ? "error" : "warning");
			if (is->pe >= 0) {
				cj_u64(&j, "pe", (uint64_t)is->pe);
				cj_str(&j, "type", orsp_pe_type_name(is->type));
			}
			cj_str(&j, "message", is->msg);
			cj_obj_end(&j);
		}
		cj_arr_end(&j);
		cj_obj_end(&j);
		cj_done(&j);
	} else {
		for (size_t i = 0; i < rep->n; i++) {
			orsp_pkg_issue_format(&rep->issue[i], line, sizeof(line));
			printf("%s\n", line);
		}
		if (rep->truncated)
			printf("(more issues not shown)\n");
		if (!e && !quiet)
			printf("%s: valid profile package (%zu profile elements, %zu warning%s)\n",
			       path, orsp_pkg_count(pkg), rep->warnings,
			       rep->warnings == 1 ? "" : "s");
	}
	if (e)
		rc = cli_failf(path, "invalid profile package: %zu error%s, first: %s", rep->errors,
		               rep->errors == 1 ? "" : "s", orsp_err_detail());
	free(rep);
	return rc;
}

static int profile_check(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	orsp_pkg *pkg = NULL;
	bool json = false;
	int c, rc;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_JSON)
			json = true;
	}
	rc = cli_positional(argc, argv, 1, "FILE");
	if (rc)
		return rc;
	rc = load(argv[optind], &pkg);
	if (rc) {
		/* --json promises one object: also for a FILE not read or not decoded, its one
		 * error what stderr says (until session 76 nothing was printed) */
		if (json) {
			cli_json j = {0};
			cj_obj_begin(&j, NULL);
			cj_str(&j, "file", argv[optind]);
			cj_bool(&j, "valid", false);
			cj_u64(&j, "profile_elements", 0);
			cj_u64(&j, "errors", 1);
			cj_u64(&j, "warnings", 0);
			cj_arr_begin(&j, "issues");
			cj_obj_begin(&j, NULL);
			cj_str(&j, "severity", "error");
			cj_str(&j, "message", cli_fail_detail());
			cj_obj_end(&j);
			cj_arr_end(&j);
			cj_obj_end(&j);
			cj_done(&j);
		}
		return rc;
	}
	rc = report(argv[optind], pkg, json, false);
	orsp_pkg_free(pkg);
	return rc;
}

/* ----- build ----- */

typedef struct build_opts {
	cli_aka_opts ao;
	const char *tmpl, *iccid, *imsi, *spn, *name, *cls, *output, *mnc_len;
	const char *mnc_len_opt; /* the name given: --mnc-length, or its alias --mnc-len */
	const char *pin1, *pin2, *puk1, *puk2, *adm1; /* into secrets[], or NULL */
	const char *sqn_delta, *sqn_init;
	bool keep_ims;  /* --keep-ims-identity */
	bool keep_cdma; /* --keep-cdma-keys */
	/* PIN1, PIN2, PUK1, PUK2, ADM1 as copied out of argv (cli_secret_str); wiped */
	char secrets[5][CLI_SECRET_STR_MAX + 1];
} build_opts;

static int build_parse(int argc, char **argv, build_opts *o)
{
	static const cli_short output_short[] = {{'o', OPT_OUTPUT}, {0, 0}};
	static const struct option opts[] = {
	    CLI_AKA_LONGOPTS,
	    {"template", required_argument, NULL, OPT_TEMPLATE},
	    {"iccid", required_argument, NULL, OPT_ICCID},
	    {"imsi", required_argument, NULL, OPT_IMSI},
	    {"spn", required_argument, NULL, OPT_SPN},
	    {"profile-name", required_argument, NULL, OPT_NAME},
	    {"class", required_argument, NULL, OPT_CLASS},
	    {"output", required_argument, NULL, OPT_OUTPUT},
	    {"mnc-length", required_argument, NULL, OPT_MNC_LEN},
	    /* the name build had first; smdp profile generate/import say --mnc-length */
	    {"mnc-len", required_argument, NULL, OPT_MNC_LEN_ALIAS},
	    {"pin1", required_argument, NULL, OPT_PIN1},
	    {"pin2", required_argument, NULL, OPT_PIN2},
	    {"puk1", required_argument, NULL, OPT_PUK1},
	    {"puk2", required_argument, NULL, OPT_PUK2},
	    {"adm1", required_argument, NULL, OPT_ADM1},
	    {"sqn-delta", required_argument, NULL, OPT_SQN_DELTA},
	    {"sqn-init", required_argument, NULL, OPT_SQN_INIT},
	    {"keep-ims-identity", no_argument, NULL, OPT_KEEP_IMS},
	    {"keep-cdma-keys", no_argument, NULL, OPT_KEEP_CDMA},
	    {NULL, 0, NULL, 0},
	};
	static const int secrets[] = {
	    CLI_AKA_SECRET_OPTS, OPT_PIN1, OPT_PIN2, OPT_PUK1, OPT_PUK2, OPT_ADM1, 0};
	int c, rc;

	/* a secret not read yet, the options stopped before it, is overwritten too (the runner
	 * ends the guard) */
	cli_secret_guard(argc, argv, opts, secrets, NULL);
	while ((c = cli_getopt_short(argc, argv, opts, output_short)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (cli_aka_opt(&o->ao, c, optarg))
			continue;
		switch (c) {
		case OPT_TEMPLATE:
			o->tmpl = optarg;
			break;
		case OPT_ICCID:
			o->iccid = optarg;
			break;
		case OPT_IMSI:
			o->imsi = optarg;
			break;
		case OPT_SPN:
			o->spn = optarg;
			break;
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_CLASS:
			o->cls = optarg;
			break;
		case OPT_OUTPUT:
			o->output = optarg;
			break;
		case OPT_MNC_LEN:
		case OPT_MNC_LEN_ALIAS:
			/* the two spellings of one option: given twice as well (the getopt
			 * wrapper sees two options), the last value taken silently */
			if (o->mnc_len)
				return cli_usage(c == OPT_MNC_LEN ? "--mnc-length" : "--mnc-len",
				                 "given twice (--mnc-len is --mnc-length)");
			o->mnc_len = optarg;
			o->mnc_len_opt = c == OPT_MNC_LEN ? "--mnc-length" : "--mnc-len";
			break;
		case OPT_PIN1:
			if ((rc = cli_secret_str("--pin1", optarg, o->secrets[0],
			                         sizeof(o->secrets[0]), &o->pin1)))
				return rc;
			break;
		case OPT_PIN2:
			if ((rc = cli_secret_str("--pin2", optarg, o->secrets[1],
			                         sizeof(o->secrets[1]), &o->pin2)))
				return rc;
			break;
		case OPT_PUK1:
			if ((rc = cli_secret_str("--puk1", optarg, o->secrets[2],
			                         sizeof(o->secrets[2]), &o->puk1)))
				return rc;
			break;
		case OPT_PUK2:
			if ((rc = cli_secret_str("--puk2", optarg, o->secrets[3],
			                         sizeof(o->secrets[3]), &o->puk2)))
				return rc;
			break;
		case OPT_ADM1:
			if ((rc = cli_secret_str("--adm1", optarg, o->secrets[4],
			                         sizeof(o->secrets[4]), &o->adm1)))
				return rc;
			break;
		case OPT_SQN_DELTA:
			o->sqn_delta = optarg;
			break;
		case OPT_SQN_INIT:
			o->sqn_init = optarg;
			break;
		case OPT_KEEP_IMS:
			o->keep_ims = true;
			break;
		case OPT_KEEP_CDMA:
			o->keep_cdma = true;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	return cli_positional(argc, argv, 0, "");
}

static int build_perso(build_opts *o, orsp_pkg_perso *p)
{
	orsp_aka_subscriber sub;
	uint8_t scratch[17];
	bool op_given = false;
	int rc;

	if (!o->tmpl)
		return cli_missing("--template");
	/* a script's unset variable: refused here, not as a file named "" (after the build) */
	if (!o->tmpl[0])
		return cli_usage("--template", "empty path");
	if (!o->iccid)
		return cli_missing("--iccid");
	if (orsp_iccid_check(o->iccid) != ORSP_OK)
		return cli_usage("--iccid", "%s", orsp_err_detail());
	if (!o->imsi)
		return cli_missing("--imsi");
	if (orsp_imsi_encode_ef(o->imsi, scratch) != ORSP_OK)
		return cli_usage("--imsi", "%s", orsp_err_detail());
	/* TUAK output lengths are not stored in a TCA package: refuse rather than drop them. */
	if (o->ao.mac_bits || o->ao.res_bits || o->ao.ck_bits || o->ao.ik_bits)
		return cli_usage(o->ao.mac_bits   ? "--mac-bits"
		                 : o->ao.res_bits ? "--res-bits"
		                 : o->ao.ck_bits  ? "--ck-bits"
		                                  : "--ik-bits",
		                 "not carried by a profile package");
	rc = cli_aka_subscriber(&o->ao, &sub, &op_given);
	if (rc)
		return rc;
	p->iccid = o->iccid;
	p->imsi = o->imsi;
	p->set_aka = true;
	p->alg = sub.alg;
	p->k = sub.k;
	p->opc = sub.opc;
	p->op_given = op_given;
	p->custom_consts = true; /* the defaults unless --r/--c were given; left out if default */
	p->consts = sub.milenage;
	p->keccak = sub.tuak.keccak_iterations;
	orsp_aka_subscriber_wipe(&sub);
	if (o->spn) {
		if (orsp_spn_encode_ef(o->spn, 0, scratch, sizeof(scratch)) != ORSP_OK)
			return cli_usage("--spn", "%s", orsp_err_detail());
		p->spn = o->spn;
	}
	if (o->name) {
		size_t n = strlen(o->name);
		if (n == 0 || n > 400)
			return cli_usage("--profile-name", "expected 1 to 100 characters");
		p->profile_name = o->name;
	}
	if (o->cls && orsp_pkg_class_parse(o->cls, &p->profile_class))
		return cli_usage("--class", "%s", orsp_err_detail());
	if (o->mnc_len) {
		uint64_t v = 0;
		rc = cli_uint(o->mnc_len_opt, o->mnc_len, 2, 3, &v);
		if (rc)
			return rc;
		p->mnc_len = (unsigned)v;
	}
	p->pin1 = o->pin1;
	p->pin2 = o->pin2;
	p->puk1 = o->puk1;
	p->puk2 = o->puk2;
	p->adm1 = o->adm1;
	p->keep_ims_identity = o->keep_ims;
	p->cdma_keys = !o->keep_cdma;
	if (o->sqn_delta) {
		uint64_t v = 0;
		/* PEDefinitions: at most '07FFFFFFFFFF'H. Each akaParameter keeps its own
		 * sqnOptions and sqnAgeLimit. */
		rc = cli_uint("--sqn-delta", o->sqn_delta, 0, UINT64_C(0x07FFFFFFFFFF), &v);
		if (rc)
			return rc;
		p->set_sqn_delta = true;
		p->sqn_delta = v;
	}
	if (o->sqn_init) {
		uint64_t v = 0;
		rc = cli_uint("--sqn-init", o->sqn_init, 0, UINT64_C(0x07FFFFFFFFFF), &v);
		if (rc)
			return rc;
		p->set_sqn_init = true;
		for (size_t i = 0; i < ORSP_ARRAY_LEN(p->sqn_init); i++)
			p->sqn_init[i] = v;
	}
	if (!o->output)
		return cli_missing("-o");
	if (!o->output[0])
		return cli_usage("-o", "empty path");
	if ((rc = cli_not_stdout("-o", o->output, "file")) != CLI_OK)
		return rc;
	return CLI_OK;
}

/* The library names the field first ("pin1: must be ..."); map it to its option. */
static int perso_usage(orsp_err e)
{
	static const struct {
		const char *field, *opt;
	} map[] = {{"profile_name", "--profile-name"},
	           {"iccid", "--iccid"},
	           {"imsi", "--imsi"},
	           {"pin1", "--pin1"},
	           {"pin2", "--pin2"},
	           {"puk1", "--puk1"},
	           {"puk2", "--puk2"},
	           {"adm1", "--adm1"},
	           {"spn", "--spn"},
	           {"keccak", "--keccak"},
	           {"k:", "--k"}};
	const char *d = orsp_err_detail();

	if (e != ORSP_E_USAGE)
		return CLI_FAIL;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(map); i++)
		if (strncmp(d, map[i].field, strlen(map[i].field)) == 0)
			return cli_usage(map[i].opt, "%s", d);
	return cli_usage("build", "%s", d);
}

/* build copies the template's security-domain keys (OTA keys: SCP80 KIc/KID/KIK, SCP03;
 * GSMA TS.48's are published test values): every package built from one template shares
 * them, and no AuC keeps them per card. Say so; drawing keys here would make keys nobody
 * keeps, which is what `smdp profile generate --auc` is for. */
static void warn_template_sd_keys(const char *tmpl, const char *output, const orsp_pkg *pkg)
{
	sd_keys *ks = malloc(sizeof(*ks));
	size_t n = 0;

	if (!ks)
		return;
	sd_keys_read(pkg, ks);
	for (size_t i = 0; i < ks->n && i < ORSP_ARRAY_LEN(ks->k); i++)
		if (ORSP_PKG_SD_KEY_SYMMETRIC(ks->k[i].kind))
			n++;
	if (n)
		fprintf(stderr,
		        "openrsp: warning: %s keeps the %zu symmetric security-domain key%s of %s "
		        "(OTA keys; a GSMA TS.48 template's are published test keys): every "
		        "package built from that template shares them. `openrsp smdp profile "
		        "generate` draws them per card and, with --auc, keeps them in the AuC\n",
		        output, n, n == 1 ? "" : "s", tmpl);
	free(ks);
}

/* The CSIM's CDMA secrets (PE-CDMAParameter) are drawn afresh unless --keep-cdma-keys: no
 * AuC of openrsp's does CAVE, so nobody needs the template's, and a TS.48 template's are
 * published. Say which happened, and that the CSIM's identity (IMSI_M, IMSI_T), which openrsp
 * does not assign, stays the template's. */
static void report_cdma(const char *tmpl, const char *output, size_t n, size_t csims, bool kept)
{
	if (n && kept)
		fprintf(stderr,
		        "openrsp: warning: %s keeps the %zu CDMA secret%s (A-Key, SSD, HRPD/Simple "
		        "IP/Mobile IP shared secrets) of %s (a GSMA TS.48 template's are published "
		        "test values): every package built from that template shares them\n",
		        output, n, n == 1 ? "" : "s", tmpl);
	else if (n)
		printf("CDMA: %zu secret%s (A-Key, SSD, HRPD/Simple IP/Mobile IP shared secrets) "
		       "drawn at random and kept nowhere: openrsp does no CDMA authentication "
		       "(--keep-cdma-keys keeps the template's)\n",
		       n, n == 1 ? "" : "s");
	if (csims)
		fprintf(
		    stderr,
		    "openrsp: warning: %s keeps the CSIM identity (EF.IMSI_M, EF.IMSI_T) of %s: "
		    "openrsp assigns no CDMA identity, so every package built from that "
		    "template shares it\n",
		    output, tmpl);
}

/* -o names where the package goes: not a link (the link would be replaced, /dev/stdout's
 * by a file holding K), not what is no regular file (a FIFO, a device: replaced until
 * session 70), not the template (it was replaced by the package). */
static int build_output_check(const build_opts *o)
{
	struct stat out, tmpl;
	orsp_err e;

	if ((e = orsp_file_check_replaceable(o->output)) != ORSP_OK)
		return cli_fail("-o", e);
	if (stat(o->output, &out) == 0 && stat(o->tmpl, &tmpl) == 0 && tmpl.st_dev == out.st_dev &&
	    tmpl.st_ino == out.st_ino)
		return cli_failf(o->output, "is the template: write the package elsewhere");
	return CLI_OK;
}

static int profile_build(int argc, char **argv)
{
	build_opts o;
	orsp_pkg_perso p;
	orsp_pkg *pkg = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	size_t n_cdma = 0, n_csim = 0;
	orsp_err e;
	int rc;

	memset(&o, 0, sizeof(o));
	orsp_pkg_perso_init(&p);
	rc = build_parse(argc, argv, &o);
	if (rc)
		goto out;
	rc = build_perso(&o, &p);
	if (!rc)
		rc = build_output_check(&o);
	if (rc)
		goto out;
	rc = load(o.tmpl, &pkg);
	if (rc)
		goto out;
	/* as generate does: whether the template's CDMA blocks can get secrets of their own,
	 * the way out named */
	e = cli_cdma_keys_check(pkg, o.keep_cdma, &n_cdma, &n_csim);
	if (e) {
		rc = cli_fail(o.tmpl, e);
		goto out;
	}
	e = orsp_pkg_personalise(pkg, &p);
	/* the library cannot name the option that gives the IMS domain's MNC length */
	if (e == ORSP_E_NOT_FOUND && strstr(orsp_err_detail(), "MNC length, which is unknown")) {
		/* an EF.AD marked doNotCreate takes no --mnc-length (the template has no ef-ad) */
		rc = cli_failf(o.tmpl, "%s: give %s", orsp_err_detail(),
		               strstr(orsp_err_detail(), "doNotCreate")
		                   ? "--keep-ims-identity"
		                   : "--mnc-length, or --keep-ims-identity");
		goto out;
	}
	if (e) {
		rc = e == ORSP_E_USAGE ? perso_usage(e) : cli_fail(o.tmpl, e);
		goto out;
	}
	rc = report(o.output, pkg, false, true);
	if (rc)
		goto out;
	e = orsp_pkg_encode(pkg, 0, &der, &der_len);
	if (e) {
		rc = cli_fail(o.output, e);
		goto out;
	}
	/* key material: mode 0600, a crash leaves the old file or the new one, a stop no copy */
	rc = cli_replace_secret_file(o.output, der, der_len);
	if (rc)
		goto out;
	{
		orsp_pkg_header h;
		orsp_pkg_usim u;
		orsp_pkg_aka a;
		size_t ai = 0;
		if (orsp_pkg_get_header(pkg, &h) == ORSP_OK &&
		    orsp_pkg_get_usim(pkg, 0, &u) == ORSP_OK &&
		    orsp_pkg_naa_aka(pkg, u.pe_index, &ai) == ORSP_OK &&
		    orsp_pkg_get_aka(pkg, ai, &a) == ORSP_OK)
			printf(
			    "wrote %s: %zu bytes, ICCID %s, IMSI %s, %s, K %zu bytes (not shown)\n",
			    o.output, der_len, h.iccid, o.imsi, orsp_pkg_alg_name(a.algorithm),
			    a.key_len);
		if (p.profile_class != ORSP_PKG_CLASS_UNSET)
			printf(
			    "profile class %s: not carried by a TCA package; give it to the SM-DP+ "
			    "at import (openrsp smdp profile import --class %s)\n",
			    orsp_pkg_class_name(p.profile_class),
			    orsp_pkg_class_name(p.profile_class));
	}
	warn_template_sd_keys(o.tmpl, o.output, pkg);
	report_cdma(o.tmpl, o.output, n_cdma, n_csim, o.keep_cdma);
out:
	orsp_pkg_buf_free(der, der_len);
	orsp_pkg_free(pkg);
	orsp_pkg_perso_wipe(&p);
	orsp_wipe(&o, sizeof(o));
	return rc;
}

static const cli_cmd profile_cmds[] = {
    {
        .verb = "inspect",
        .summary = "Show what a profile package holds (never key or PIN values)",
        .synopsis = "FILE [--json]",
        .help = "Decodes FILE (a TCA eUICC Profile Package: DER ProfileElements) and prints the\n"
                "header (version, ICCID, mandatory services and templates), every profile\n"
                "element with its identification and, for file-system PEs, the template and\n"
                "files, the USIM files EF.IMSI, EF.AD and EF.SPN, the ISIM's IMS identity\n"
                "(EF.IMPI, EF.DOMAIN, EF.IMPU), the AKA algorithm and its\n"
                "options, the PIN/PUK configuration, and every security domain (sd1, sd2 ... in\n"
                "package order) with its AID, privileges and keys: KVN, KID, usage qualifier,\n"
                "type, length and, for a symmetric key, its card-secret name: the name `smdp\n"
                "profile generate --auc` stores the key it draws in its place under, for `auc\n"
                "secret` (sd<N>-kvn<XX>-kid<YY>; a name only, no AuC need hold it). K, OPc/TOPc,\n"
                "key and PIN/PUK values are shown by length only.\n\n"
                "options:\n"
                "  --json               one JSON object (file, size, header, pes, usim, isim,\n"
                "                       aka, pins, security_domains,\n"
                "                       security_domain_keys_complete)\n",
        .run = profile_inspect,
    },
    {
        .verb = "build",
        .summary = "Personalise a template profile package for one subscriber",
        .synopsis = "--template FILE --iccid N --imsi N --k HEX\n"
                    "       (--opc HEX | --op HEX | --topc HEX | --top HEX) [--alg milenage|tuak]\n"
                    "       [--r1..--r5 N] [--c1..--c5 HEX] [--keccak N]\n"
                    "       [--spn S] [--profile-name S] [--class operational|provisioning|test]\n"
                    "       [--mnc-length 2|3] [--pin1 N] [--pin2 N] [--puk1 N] [--puk2 N]\n"
                    "       [--adm1 N] [--sqn-delta N] [--sqn-init N] [--keep-ims-identity]\n"
                    "       [--keep-cdma-keys] -o OUT",
        .help = "Writes OUT (mode 0600: it holds K) from the template: the ICCID into the\n"
                "ProfileHeader and EF.ICCID, the IMSI into every EF.IMSI, the IMS identity\n"
                "TS 23.003 derives from it into every ISIM (EF.IMPI, EF.DOMAIN, EF.IMPU), the\n"
                "algorithm, K and OPc/TOPc into every algoParameter (the header's algorithm\n"
                "services follow), random CDMA secrets (A-Key, SSD, HRPD/Simple IP/Mobile IP\n"
                "shared secrets) into every cdmaParameter, and the optional values below.\n"
                "The CSIM's identity (EF.IMSI_M, EF.IMSI_T) and the security domains' keys\n"
                "stay the template's (a warning says so). The result must pass\n"
                "`profile check`.\n\n"
                "options:\n"
                "  --template FILE      the template package (e.g. a GSMA TS.48 profile)\n"
                "  --iccid N            19 or 20 digits ending in the Luhn check digit\n"
                "  --imsi N             6 to 15 digits\n" CLI_AKA_HELP
                "                       (--mac/res/ck/ik-bits refused: no package carries them)\n"
                "  --spn S              service provider name, up to 16 GSM default alphabet\n"
                "                       characters (EF.SPN)\n"
                "  --profile-name S     ProfileHeader.profileType, 1 to 100 characters\n"
                "  --class C            operational, provisioning or test (SGP.22 profileClass:\n"
                "                       not carried by a TCA package: give it to `smdp profile\n"
                "                       import --class`)\n"
                "  --mnc-length 2|3     number of MNC digits in EF.AD (also --mnc-len, the\n"
                "                       older name)\n"
                "  --pin1/--pin2 N      PIN values, 4 to 8 digits\n"
                "  --puk1/--puk2 N      PUK values, 8 digits\n"
                "  --adm1 N             ADM1 value, 4 to 8 digits\n"
                "  --sqn-delta N        sqnDelta of every akaParameter (TS 33.102 C.2.1), SEQ\n"
                "                       units, at most 0x07FFFFFFFFFF; each keeps its own\n"
                "                       sqnOptions and sqnAgeLimit\n"
                "  --sqn-init N         every sqnInit value (SEQ_MS(i) the USIM starts from)\n"
                "  --keep-ims-identity  leave the ISIM's EF.IMPI, EF.DOMAIN and EF.IMPU as the\n"
                "                       template has them\n"
                "  --keep-cdma-keys     leave the CDMA secrets as the template has them (a\n"
                "                       warning: every package built from it shares them)\n"
                "  -o, --output OUT     the package to write (replaced atomically)\n",
        .run = profile_build,
    },
    {
        .verb = "check",
        .summary = "Validate a profile package (exit 1 if invalid)",
        .synopsis = "FILE [--json]",
        .help = "Decodes FILE and checks the structure rules of docs/pkg.md: PE-Header first,\n"
                "PE-End last, unique identification numbers, the PEs the mandatory services\n"
                "need, well-formed AKA parameters, ICCID, EF.IMSI, files and PINs. Prints every\n"
                "error and warning, one per line, naming the profile element; exits 1 if there\n"
                "is an error.\n\n"
                "options:\n"
                "  --json               one JSON object (file, valid, profile_elements, errors,\n"
                "                       warnings, issues)\n",
        .run = profile_check,
    },
    {NULL, NULL, NULL, NULL, NULL},
};

const cli_noun cli_noun_profile = {
    "profile",
    "MCIM profile packages: inspect, build from a template, check",
    profile_cmds,
};
