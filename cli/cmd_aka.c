/* `openrsp aka`: Milenage/TUAK vectors, resynchronisation and key derivations from the
 * command line (the role of osmo-auc-gen), plus the subscriber-key options shared with
 * `openrsp auc`. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ----- subscriber options ----- */

const int cli_aka_secret_opts[] = {CLI_AKA_SECRET_OPTS, 0};

/* An inline key value out of argv at once: a copy in cli_kept(slot), argv overwritten ("-"
 * and "@FILE" are read later). A value too long for the copy is overwritten all the same and
 * left in argv, where cli_secret_hex refuses it by its length (it stayed in the command line
 * until then, through the usage errors said before). */
static char *keep(size_t slot, char *arg)
{
	size_t n = strlen(arg);
	char *copy = cli_kept(slot);

	if (strcmp(arg, "-") == 0 || arg[0] == '@')
		return arg;
	if (n >= CLI_KEPT_LEN) {
		cli_wipe_arg(arg);
		return arg;
	}
	memcpy(copy, arg, n + 1);
	cli_wipe_arg(arg);
	return copy;
}

bool cli_aka_opt(cli_aka_opts *o, int c, char *arg)
{
	switch (c) {
	case CLI_OPT_ALG:
		o->alg = arg;
		return true;
	case CLI_OPT_K: /* given twice: refused by cli_getopt */
		o->k = keep(0, arg);
		return true;
	case CLI_OPT_OP:
	case CLI_OPT_TOP:
	case CLI_OPT_OPC:
	case CLI_OPT_TOPC: {
		const char *name = c == CLI_OPT_OP    ? "--op"
		                   : c == CLI_OPT_TOP ? "--top"
		                   : c == CLI_OPT_OPC ? "--opc"
		                                      : "--topc";
		/* both keys out of the command line at once: the run ends with a usage error,
		 * after reading K, which may wait on standard input (the second stayed until
		 * session 57) */
		if (o->op || o->opc) {
			o->conflict = name;
			cli_wipe_arg(o->op ? o->op : o->opc);
			cli_wipe_arg(arg);
		}
		if (c == CLI_OPT_OP || c == CLI_OPT_TOP) {
			o->op = keep(1, arg);
			o->op_opt = name;
		} else {
			o->opc = keep(2, arg);
			o->opc_opt = name;
		}
		return true;
	}
	case CLI_OPT_KECCAK:
		o->keccak = arg;
		return true;
	case CLI_OPT_MAC_BITS:
		o->mac_bits = arg;
		return true;
	case CLI_OPT_RES_BITS:
		o->res_bits = arg;
		return true;
	case CLI_OPT_CK_BITS:
		o->ck_bits = arg;
		return true;
	case CLI_OPT_IK_BITS:
		o->ik_bits = arg;
		return true;
	default:
		break;
	}
	if (c >= CLI_OPT_R1 && c < CLI_OPT_R1 + 5) {
		o->r[c - CLI_OPT_R1] = arg;
		return true;
	}
	if (c >= CLI_OPT_C1 && c < CLI_OPT_C1 + 5) {
		o->c[c - CLI_OPT_C1] = arg;
		return true;
	}
	return false;
}

/* A TUAK length option: one of the allowed values. */
static int bits_opt(const char *opt, const char *val, const unsigned *allowed, size_t n,
                    unsigned *out)
{
	uint64_t v = 0;
	int rc = cli_uint(opt, val, 0, 1024, &v);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (v == allowed[i]) {
			*out = (unsigned)v;
			return CLI_OK;
		}
	}
	char list[40] = "";
	for (size_t i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%u",
		         i == 0       ? ""
		         : i + 1 == n ? " or "
		                      : ", ",
		         allowed[i]);
	return cli_usage(opt, "expected %s", list);
}

static int tuak_opts(const cli_aka_opts *o, orsp_tuak_params *p)
{
	static const unsigned mac[] = {64, 128, 256}, res[] = {32, 64, 128, 256},
	                      key[] = {128, 256};
	uint64_t it = 0;
	int rc = CLI_OK;

	if (o->keccak) {
		rc = cli_uint("--keccak", o->keccak, 1, ORSP_TUAK_MAX_KECCAK, &it);
		if (rc)
			return rc;
		p->keccak_iterations = (unsigned)it;
	}
	if (o->mac_bits && (rc = bits_opt("--mac-bits", o->mac_bits, mac, 3, &p->mac_bits)))
		return rc;
	if (o->res_bits && (rc = bits_opt("--res-bits", o->res_bits, res, 4, &p->res_bits)))
		return rc;
	if (o->ck_bits && (rc = bits_opt("--ck-bits", o->ck_bits, key, 2, &p->ck_bits)))
		return rc;
	if (o->ik_bits && (rc = bits_opt("--ik-bits", o->ik_bits, key, 2, &p->ik_bits)))
		return rc;
	return CLI_OK;
}

static int aka_subscriber(const cli_aka_opts *o, orsp_aka_subscriber *sub, bool *op_given);

/* Whether option name gives TUAK's TOP/TOPc to another algorithm. */
static bool tuak_key_elsewhere(orsp_aka_alg alg, const char *name)
{
	return alg != ORSP_AKA_TUAK && (strcmp(name, "--top") == 0 || strcmp(name, "--topc") == 0);
}

int cli_aka_subscriber(cli_aka_opts *o, orsp_aka_subscriber *sub, bool *op_given)
{
	int rc = aka_subscriber(o, sub, op_given);
	cli_kept_wipe(); /* the inline values' copies, read or not */
	return rc;
}

static int aka_subscriber(const cli_aka_opts *o, orsp_aka_subscriber *sub, bool *op_given)
{
	orsp_aka_alg alg = ORSP_AKA_MILENAGE;
	uint8_t k[32], opc[32];
	size_t k_len = 0, opc_len;
	bool opc_inline = false;
	char *opc_val;
	const char *opc_name;
	int rc = CLI_OK;

	memset(sub, 0, sizeof(*sub));
	if (o->alg) {
		if (strcmp(o->alg, "milenage") == 0)
			alg = ORSP_AKA_MILENAGE;
		else if (strcmp(o->alg, "tuak") == 0)
			alg = ORSP_AKA_TUAK;
		else
			return cli_usage("--alg", "expected milenage or tuak");
	}
	if (!o->k)
		return cli_missing("--k");
	/* an operator key given inline leaves the command line before K is waited for on
	 * standard input or read from a file: else OP/OPc stayed visible in ps meanwhile */
	opc_len = alg == ORSP_AKA_TUAK ? 32 : 16;
	if (!o->conflict && (o->op || o->opc)) {
		const char *v = o->op ? o->op : o->opc;
		if (strcmp(v, "-") != 0 && v[0] != '@') {
			size_t got = 0;
			const char *name = o->op ? o->op_opt : o->opc_opt;
			if (tuak_key_elsewhere(alg, name)) {
				cli_wipe_arg(o->op ? o->op : o->opc);
				rc = cli_usage(name, "only with --alg tuak");
				goto out;
			}
			rc = cli_secret_hex(name, o->op ? o->op : o->opc, opc, opc_len, 0, &got);
			if (rc)
				goto out;
			opc_inline = true;
		}
	}
	rc = cli_secret_hex("--k", o->k, k, 16, alg == ORSP_AKA_TUAK ? 32 : 0, &k_len);
	if (rc)
		goto out;
	if (o->conflict) {
		rc = cli_usage(o->conflict, "give only one operator key (OP/OPc or TOP/TOPc)");
		goto out;
	}
	if (!o->op && !o->opc) {
		rc = alg == ORSP_AKA_TUAK ? cli_usage("--topc", "required (or --top)")
		                          : cli_usage("--opc", "required (or --op)");
		goto out;
	}
	opc_val = o->op ? o->op : o->opc;
	opc_name = o->op ? o->op_opt : o->opc_opt;
	if (tuak_key_elsewhere(alg, opc_name)) {
		rc = cli_usage(opc_name, "only with --alg tuak");
		goto out;
	}
	if (!opc_inline) {
		size_t got = 0;
		rc = cli_secret_hex(opc_name, opc_val, opc, opc_len, 0, &got);
	}
	if (rc)
		goto out;
	if (orsp_aka_subscriber_init(sub, alg, k, k_len, opc, opc_len) != ORSP_OK) {
		rc = cli_usage("--k", "%s", orsp_err_detail());
		goto out;
	}

	for (int i = 0; i < 5; i++) {
		char name[8];
		uint64_t v = 0;
		if (o->r[i]) {
			snprintf(name, sizeof(name), "--r%d", i + 1);
			if (alg != ORSP_AKA_MILENAGE) {
				rc = cli_usage(name, "only with --alg milenage");
				goto out;
			}
			rc = cli_uint(name, o->r[i], 0, 127, &v);
			if (rc)
				goto out;
			sub->milenage.r[i] = (uint8_t)v;
		}
		if (o->c[i]) {
			snprintf(name, sizeof(name), "--c%d", i + 1);
			if (alg != ORSP_AKA_MILENAGE) {
				rc = cli_usage(name, "only with --alg milenage");
				goto out;
			}
			rc = cli_hex(name, o->c[i], sub->milenage.c[i], 16);
			if (rc)
				goto out;
		}
	}
	if (alg != ORSP_AKA_TUAK) {
		const char *t = o->keccak     ? "--keccak"
		                : o->mac_bits ? "--mac-bits"
		                : o->res_bits ? "--res-bits"
		                : o->ck_bits  ? "--ck-bits"
		                : o->ik_bits  ? "--ik-bits"
		                              : NULL;
		if (t) {
			rc = cli_usage(t, "only with --alg tuak");
			goto out;
		}
	} else {
		rc = tuak_opts(o, &sub->tuak);
		if (rc)
			goto out;
	}
	*op_given = o->op != NULL;
out:
	orsp_wipe(k, sizeof(k));
	orsp_wipe(opc, sizeof(opc));
	if (rc)
		orsp_aka_subscriber_wipe(sub);
	return rc;
}

int cli_aka_derive_opc(orsp_aka_subscriber *sub)
{
	orsp_err e;
	uint8_t out[32];

	if (sub->alg == ORSP_AKA_TUAK)
		e = orsp_tuak_topc(sub->k.v, sub->k.len, sub->opc.v, sub->tuak.keccak_iterations,
		                   out);
	else
		e = orsp_milenage_opc(sub->k.v, sub->opc.v, out);
	if (e == ORSP_OK)
		memcpy(sub->opc.v, out, sub->opc.len);
	orsp_wipe(out, sizeof(out));
	if (e)
		return cli_fail(sub->alg == ORSP_AKA_TUAK ? "TOPc" : "OPc", e);
	return CLI_OK;
}

/* ----- key derivations and vector output ----- */

int cli_kdf_parse(cli_kdf *k, const char *plmn, const char *snn)
{
	memset(k, 0, sizeof(*k));
	if (plmn) {
		if (orsp_plmn_encode(plmn, k->plmn) != ORSP_OK)
			return cli_usage("--plmn", "%s", orsp_err_detail());
		k->eps = true;
		if (!snn && orsp_snn_from_plmn(plmn, k->snn, sizeof(k->snn)) != ORSP_OK)
			return cli_usage("--plmn", "%s", orsp_err_detail());
		k->fiveg = true;
	}
	if (snn) {
		size_t n = strlen(snn);
		if (n == 0 || n >= sizeof(k->snn))
			return cli_usage("--snn", "expected a name of 1 to %zu characters",
			                 sizeof(k->snn) - 1);
		memcpy(k->snn, snn, n + 1);
		k->fiveg = true;
	}
	return CLI_OK;
}

int cli_kdf_check_lengths(const cli_kdf *k, size_t ck_len, size_t ik_len, const char *fix)
{
	if ((k->eps || k->fiveg) && (ck_len != 16 || ik_len != 16))
		return cli_usage(k->eps ? "--plmn" : "--snn",
		                 "key derivation needs 128-bit CK and IK (%s)", fix);
	return CLI_OK;
}

int cli_kdf_derive(const cli_kdf *k, const orsp_aka_vector *v, cli_derived *d)
{
	orsp_err e = ORSP_OK;
	const uint8_t *sqn_xor_ak = v->autn; /* AUTN = (SQN xor AK) || AMF || MAC-A */

	memset(d, 0, sizeof(*d));
	if (k->eps) {
		e = orsp_kdf_kasme(v->ck, v->ik, k->plmn, sqn_xor_ak, d->kasme);
		if (e)
			return cli_fail("KASME", e);
		d->eps = true;
	}
	if (k->fiveg) {
		e = orsp_kdf_res_star(v->ck, v->ik, k->snn, v->rand, v->xres, v->xres_len,
		                      d->xres_star);
		if (!e)
			e = orsp_kdf_hxres_star(v->rand, d->xres_star, d->hxres_star);
		if (!e)
			e = orsp_kdf_kausf(v->ck, v->ik, k->snn, sqn_xor_ak, d->kausf);
		if (!e)
			e = orsp_kdf_kseaf(d->kausf, k->snn, d->kseaf);
		if (e) {
			ORSP_WIPE_OBJ(*d);
			return cli_fail("5G key derivation", e);
		}
		d->fiveg = true;
	}
	return CLI_OK;
}

void cli_vector_text(const orsp_aka_vector *v, const uint8_t *mac, size_t mac_len,
                     const cli_derived *d, bool with_inputs)
{
	if (with_inputs) {
		cli_kv_hex("RAND", v->rand, sizeof(v->rand));
		cli_kv_hex("SQN", v->sqn, sizeof(v->sqn));
	}
	cli_kv_hex("MAC-A", mac, mac_len);
	cli_kv_hex("XRES", v->xres, v->xres_len);
	cli_kv_hex("CK", v->ck, v->ck_len);
	cli_kv_hex("IK", v->ik, v->ik_len);
	cli_kv_hex("AK", v->ak, sizeof(v->ak));
	cli_kv_hex("AUTN", v->autn, sizeof(v->autn));
	if (d && d->eps)
		cli_kv_hex("KASME", d->kasme, sizeof(d->kasme));
	if (d && d->fiveg) {
		cli_kv_hex("XRES*", d->xres_star, sizeof(d->xres_star));
		cli_kv_hex("HXRES*", d->hxres_star, sizeof(d->hxres_star));
		cli_kv_hex("KAUSF", d->kausf, sizeof(d->kausf));
		cli_kv_hex("KSEAF", d->kseaf, sizeof(d->kseaf));
	}
}

void cli_vector_json(cli_json *j, const char *key, const orsp_aka_vector *v, const uint8_t *mac,
                     size_t mac_len, const cli_derived *d, bool with_inputs)
{
	cj_obj_begin(j, key);
	if (with_inputs) {
		cj_hex(j, "rand", v->rand, sizeof(v->rand));
		cj_hex(j, "sqn", v->sqn, sizeof(v->sqn));
		cj_hex(j, "amf", v->amf, sizeof(v->amf));
	}
	cj_hex(j, "mac_a", mac, mac_len);
	cj_hex(j, "xres", v->xres, v->xres_len);
	cj_hex(j, "ck", v->ck, v->ck_len);
	cj_hex(j, "ik", v->ik, v->ik_len);
	cj_hex(j, "ak", v->ak, sizeof(v->ak));
	cj_hex(j, "autn", v->autn, sizeof(v->autn));
	if (d && d->eps)
		cj_hex(j, "kasme", d->kasme, sizeof(d->kasme));
	if (d && d->fiveg) {
		cj_hex(j, "xres_star", d->xres_star, sizeof(d->xres_star));
		cj_hex(j, "hxres_star", d->hxres_star, sizeof(d->hxres_star));
		cj_hex(j, "kausf", d->kausf, sizeof(d->kausf));
		cj_hex(j, "kseaf", d->kseaf, sizeof(d->kseaf));
	}
	cj_obj_end(j);
}

/* ----- aka gen ----- */

enum {
	OPT_RAND = CLI_OPT_CMD,
	OPT_SQN,
	OPT_AMF,
	OPT_AUTS,
	OPT_JSON,
	OPT_AUTN,
	OPT_SQN_MS,
	OPT_IND_BITS
};

static int aka_gen(int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_AKA_LONGOPTS,
	    CLI_KDF_LONGOPTS,
	    {"rand", required_argument, NULL, OPT_RAND},
	    {"sqn", required_argument, NULL, OPT_SQN},
	    {"amf", required_argument, NULL, OPT_AMF},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	cli_aka_opts ao = {0};
	orsp_aka_subscriber sub = {0};
	orsp_aka_vector v = {0};
	orsp_tuak_out tout;
	cli_kdf kdf;
	cli_derived d = {0};
	const char *rand_s = NULL, *sqn_s = NULL, *amf_s = NULL, *plmn = NULL, *snn = NULL;
	uint8_t rand[16], sqn[6], amf[2], mac[32];
	size_t mac_len = 8;
	bool json = false, op_given = false;
	int rc, c;
	orsp_err e;

	memset(&tout, 0, sizeof(tout));
	cli_secret_guard(argc, argv, opts, cli_aka_secret_opts, NULL);
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (cli_aka_opt(&ao, c, optarg))
			continue;
		switch (c) {
		case OPT_RAND:
			rand_s = optarg;
			break;
		case OPT_SQN:
			sqn_s = optarg;
			break;
		case OPT_AMF:
			amf_s = optarg;
			break;
		case CLI_OPT_PLMN:
			plmn = optarg;
			break;
		case CLI_OPT_SNN:
			snn = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	rc = cli_positional(argc, argv, 0, "");
	if (rc)
		return rc;
	rc = cli_aka_subscriber(&ao, &sub, &op_given);
	if (rc)
		goto out;
	if (!rand_s || !sqn_s || !amf_s) {
		rc = cli_missing(!rand_s ? "--rand" : !sqn_s ? "--sqn" : "--amf");
		goto out;
	}
	if ((rc = cli_hex("--rand", rand_s, rand, 16)) || (rc = cli_hex("--sqn", sqn_s, sqn, 6)) ||
	    (rc = cli_hex("--amf", amf_s, amf, 2)))
		goto out;
	rc = cli_kdf_parse(&kdf, plmn, snn);
	if (rc)
		goto out;
	if (sub.alg == ORSP_AKA_TUAK)
		rc = cli_kdf_check_lengths(&kdf, sub.tuak.ck_bits / 8, sub.tuak.ik_bits / 8,
		                           "--ck-bits 128 --ik-bits 128");
	if (rc)
		goto out;
	if (op_given && (rc = cli_aka_derive_opc(&sub)))
		goto out;
	/* A test tool, like osmo-auc-gen: the AMF is used as given, even one a UE would refuse
	 * for EPS/5G (TS 33.401 §6.1.1); said, not corrected, so negative cases can be made. */
	if ((kdf.eps || kdf.fiveg) && !(amf[0] & ORSP_AKA_AMF_SEPARATION))
		fprintf(
		    stderr,
		    "openrsp: warning: AMF %02x%02x has no separation bit: a UE refuses this AUTN "
		    "for EPS/5G (TS 33.401 §6.1.1); its keys are derived all the same\n",
		    amf[0], amf[1]);

	e = orsp_aka_generate(&sub, rand, sqn, amf, &v);
	if (e) {
		rc = cli_fail("aka gen", e);
		goto out;
	}
	memcpy(mac, v.mac_a, 8);
	if (sub.alg == ORSP_AKA_TUAK) {
		/* The full MAC-A; AUTN carries only its first 64 bits. */
		e = orsp_tuak_compute(sub.k.v, sub.k.len, sub.opc.v, &sub.tuak, rand, sqn, amf,
		                      &tout);
		if (e) {
			rc = cli_fail("aka gen", e);
			goto out;
		}
		mac_len = sub.tuak.mac_bits / 8;
		memcpy(mac, tout.mac_a, mac_len);
	}
	rc = cli_kdf_derive(&kdf, &v, &d);
	if (rc)
		goto out;
	if (json) {
		cli_json j = {0};
		cli_vector_json(&j, NULL, &v, mac, mac_len, &d, false);
		cj_done(&j);
	} else {
		cli_vector_text(&v, mac, mac_len, &d, false);
	}
out:
	orsp_aka_subscriber_wipe(&sub);
	orsp_aka_vector_wipe(&v);
	ORSP_WIPE_OBJ(tout);
	ORSP_WIPE_OBJ(d);
	return rc;
}

/* ----- aka auts ----- */

static int aka_auts(int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_AKA_LONGOPTS,
	    {"rand", required_argument, NULL, OPT_RAND},
	    {"auts", required_argument, NULL, OPT_AUTS},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	cli_aka_opts ao = {0};
	orsp_aka_subscriber sub = {0};
	const char *rand_s = NULL, *auts_s = NULL;
	uint8_t rand[16], auts[14], sqn_b[6];
	uint64_t sqn_ms = 0;
	bool json = false, op_given = false;
	int rc, c;
	orsp_err e;

	cli_secret_guard(argc, argv, opts, cli_aka_secret_opts, NULL);
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (cli_aka_opt(&ao, c, optarg))
			continue;
		switch (c) {
		case OPT_RAND:
			rand_s = optarg;
			break;
		case OPT_AUTS:
			auts_s = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	rc = cli_positional(argc, argv, 0, "");
	if (rc)
		return rc;
	rc = cli_aka_subscriber(&ao, &sub, &op_given);
	if (rc)
		goto out;
	if (!rand_s || !auts_s) {
		rc = cli_missing(!rand_s ? "--rand" : "--auts");
		goto out;
	}
	if ((rc = cli_hex("--rand", rand_s, rand, 16)) ||
	    (rc = cli_hex("--auts", auts_s, auts, 14)))
		goto out;
	if (op_given && (rc = cli_aka_derive_opc(&sub)))
		goto out;
	e = orsp_aka_auts_verify(&sub, rand, auts, &sqn_ms);
	if (e == ORSP_E_VERIFY) {
		rc = cli_failf("aka auts", "MAC-S verification failed");
		goto out;
	}
	if (e) {
		rc = cli_fail("aka auts", e);
		goto out;
	}
	orsp_put_be48(sqn_b, sqn_ms);
	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_hex(&j, "sqn_ms", sqn_b, 6);
		cj_obj_end(&j);
		cj_done(&j);
	} else {
		cli_kv_hex("SQN_MS", sqn_b, 6);
	}
out:
	orsp_aka_subscriber_wipe(&sub);
	return rc;
}

/* ----- aka usim ----- */

/* The USIM side of one challenge (TS 33.102 §6.3.3, Annex C.2): a USIM whose highest accepted
 * SQN is --sqn-ms checks AUTN and answers RES/CK/IK, or AUTS on a synchronisation failure. */
static int aka_usim(int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_AKA_LONGOPTS,
	    {"rand", required_argument, NULL, OPT_RAND},
	    {"autn", required_argument, NULL, OPT_AUTN},
	    {"sqn-ms", required_argument, NULL, OPT_SQN_MS},
	    {"ind-bits", required_argument, NULL, OPT_IND_BITS},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	cli_aka_opts ao = {0};
	orsp_aka_subscriber sub = {0};
	orsp_usim_result res = {0};
	orsp_usim_sqn *st = NULL;
	const char *rand_s = NULL, *autn_s = NULL, *sqn_ms_s = NULL, *ind_s = NULL;
	uint8_t rand[16], autn[16], sqn_b[6];
	uint64_t ind_bits = 5;
	bool json = false, op_given = false;
	int rc, c;
	orsp_err e;

	cli_secret_guard(argc, argv, opts, cli_aka_secret_opts, NULL);
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (cli_aka_opt(&ao, c, optarg))
			continue;
		switch (c) {
		case OPT_RAND:
			rand_s = optarg;
			break;
		case OPT_AUTN:
			autn_s = optarg;
			break;
		case OPT_SQN_MS:
			sqn_ms_s = optarg;
			break;
		case OPT_IND_BITS:
			ind_s = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	rc = cli_positional(argc, argv, 0, "");
	if (rc)
		return rc;
	rc = cli_aka_subscriber(&ao, &sub, &op_given);
	if (rc)
		goto out;
	if (!rand_s || !autn_s) {
		rc = cli_missing(!rand_s ? "--rand" : "--autn");
		goto out;
	}
	if ((rc = cli_hex("--rand", rand_s, rand, 16)) ||
	    (rc = cli_hex("--autn", autn_s, autn, 16)))
		goto out;
	memset(sqn_b, 0, sizeof(sqn_b));
	if (sqn_ms_s && (rc = cli_hex("--sqn-ms", sqn_ms_s, sqn_b, 6)))
		goto out;
	if (ind_s && (rc = cli_uint("--ind-bits", ind_s, 0, ORSP_SQN_MAX_IND_BITS, &ind_bits)))
		goto out;
	if (op_given && (rc = cli_aka_derive_opc(&sub)))
		goto out;
	st = calloc(1, sizeof(*st));
	if (!st) {
		rc = cli_failf("aka usim", "out of memory");
		goto out;
	}
	orsp_usim_sqn_init(st, (unsigned)ind_bits);
	if (sqn_ms_s)
		orsp_usim_sqn_accept(st, orsp_get_be48(sqn_b));
	e = orsp_usim_authenticate(&sub, st, rand, autn, &res);
	if (e == ORSP_E_STATE) {
		/* Synchronisation failure: the AUTS is the answer the network needs. */
		if (json) {
			cli_json j = {0};
			cj_obj_begin(&j, NULL);
			cj_str(&j, "result", "sync_failure");
			cj_hex(&j, "auts", res.auts, sizeof(res.auts));
			cj_obj_end(&j);
			cj_done(&j);
		} else {
			cli_kv_hex("AUTS", res.auts, sizeof(res.auts));
		}
		rc = cli_failf("aka usim", "SQN not fresh (synchronisation failure): answer AUTS");
		goto out;
	}
	if (e == ORSP_E_VERIFY) {
		rc = cli_failf("aka usim",
		               "MAC-A verification failed: AUTN is not from this network");
		goto out;
	}
	if (e) {
		rc = cli_fail("aka usim", e);
		goto out;
	}
	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_str(&j, "result", "ok");
		cj_hex(&j, "res", res.res, res.res_len);
		cj_hex(&j, "ck", res.ck, res.ck_len);
		cj_hex(&j, "ik", res.ik, res.ik_len);
		cj_obj_end(&j);
		cj_done(&j);
	} else {
		cli_kv_hex("RES", res.res, res.res_len);
		cli_kv_hex("CK", res.ck, res.ck_len);
		cli_kv_hex("IK", res.ik, res.ik_len);
	}
out:
	free(st);
	ORSP_WIPE_OBJ(res);
	orsp_aka_subscriber_wipe(&sub);
	return rc;
}

/* ----- aka opc ----- */

static int aka_opc(int argc, char **argv)
{
	/* K, OP or TOP and TUAK's Keccak iterations make OPc/TOPc: Milenage's rotations and
	 * constants and TUAK's output lengths play no part, so they are unknown options here
	 * rather than taken and ignored (--opc and --topc are known, to say what to give) */
	static const struct option opts[] = {
	    CLI_AKA_KEY_LONGOPTS,
	    {"keccak", required_argument, NULL, CLI_OPT_KECCAK},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	cli_aka_opts ao = {0};
	orsp_aka_subscriber sub = {0};
	bool json = false, op_given = false;
	int rc, c;

	cli_secret_guard(argc, argv, opts, cli_aka_secret_opts, NULL);
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (cli_aka_opt(&ao, c, optarg))
			continue;
		if (c == OPT_JSON)
			json = true;
		else
			return cli_usage(argv[optind - 1], "unexpected option");
	}
	rc = cli_positional(argc, argv, 0, "");
	if (rc)
		return rc;
	if (ao.opc)
		return cli_usage(ao.opc_opt, "give the operator key with %s",
		                 ao.alg && strcmp(ao.alg, "tuak") == 0 ? "--top" : "--op");
	rc = cli_aka_subscriber(&ao, &sub, &op_given);
	if (rc)
		goto out;
	rc = cli_aka_derive_opc(&sub);
	if (rc)
		goto out;
	const char *name = sub.alg == ORSP_AKA_TUAK ? "topc" : "opc";
	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_hex(&j, name, sub.opc.v, sub.opc.len);
		cj_obj_end(&j);
		cj_done(&j);
	} else {
		cli_kv_hex(sub.alg == ORSP_AKA_TUAK ? "TOPc" : "OPc", sub.opc.v, sub.opc.len);
	}
out:
	orsp_aka_subscriber_wipe(&sub);
	return rc;
}

static const cli_cmd aka_cmds[] = {
    {
        .verb = "gen",
        .summary = "Compute one authentication vector (f1-f5, AUTN) and derived keys",
        .synopsis = "--k HEX (--op HEX | --opc HEX) --rand HEX --sqn HEX\n"
                    "       --amf HEX [--alg milenage|tuak] [--plmn MCCMNC] [--snn NAME] [--json]",
        .help = "Prints MAC-A, XRES, CK, IK, AK and AUTN = (SQN xor AK) || AMF || MAC-A\n"
                "(TS 33.102 §6.3.2), one aligned `name: hex` line each, or with --json one\n"
                "object with the fields mac_a, xres, ck, ik, ak, autn (and kasme, xres_star,\n"
                "hxres_star, kausf, kseaf when derived).\n\n"
                "The AMF is used as given, as osmo-auc-gen does; with --plmn or --snn an AMF\n"
                "without the separation bit (bit 0, 8000) gives a warning on standard error,\n"
                "since a UE refuses such an AUTN for EPS/5G (`auc vector` sets the bit\n"
                "itself).\n\n"
                "options:\n" CLI_AKA_HELP "  --rand HEX           RAND, 32 hex digits\n"
                "  --sqn HEX            SQN, 12 hex digits\n"
                "  --amf HEX            AMF, 4 hex digits\n" CLI_KDF_HELP
                "  --json               one JSON object instead of text\n\n"
                "example:\n"
                "  openrsp aka gen --k 465b5ce8b199b49faa5f0a2ee238a6bc \\\n"
                "      --opc cd63cb71954a9f4e48a5994e37a02baf \\\n"
                "      --rand 23553cbe9637a89d218ae64dae47bf35 --sqn ff9bb4d0b607 --amf b9b9\n",
        .run = aka_gen,
    },
    {
        .verb = "auts",
        .summary = "Verify an AUTS (resynchronisation) and recover SQN_MS",
        .synopsis = "--k HEX (--op HEX | --opc HEX) --rand HEX --auts HEX\n"
                    "       [--alg ...] [--json]",
        .help = "Checks MAC-S of AUTS = (SQN_MS xor AK*) || MAC-S for the RAND that the USIM\n"
                "answered (TS 33.102 §6.3.5) and prints SQN_MS (`sqn_ms` with --json).\n"
                "Exit status 1 with `MAC-S verification failed` if it does not verify.\n\n"
                "options:\n" CLI_AKA_HELP
                "  --rand HEX           the RAND of the failed challenge, 32 hex digits\n"
                "  --auts HEX           AUTS from the USIM, 28 hex digits\n"
                "  --json               one JSON object instead of text\n",
        .run = aka_auts,
    },
    {
        .verb = "usim",
        .summary = "Answer a challenge as a USIM would: RES/CK/IK, or AUTS",
        .synopsis = "--k HEX (--op HEX | --opc HEX) --rand HEX --autn HEX\n"
                    "       [--sqn-ms HEX] [--ind-bits N] [--alg ...] [--json]",
        .help = "Checks AUTN as the USIM does (TS 33.102 §6.3.3): MAC-A, then SQN freshness\n"
                "(Annex C.2) against a USIM whose highest accepted SQN is --sqn-ms (default:\n"
                "none accepted yet) with --ind-bits of IND (default 5). Prints RES, CK, IK.\n"
                "On a synchronisation failure prints AUTS and exits 1; on a MAC failure\n"
                "exits 1.\n\n"
                "options:\n" CLI_AKA_HELP "  --rand HEX           RAND, 32 hex digits\n"
                "  --autn HEX           AUTN, 32 hex digits\n"
                "  --sqn-ms HEX         the USIM's highest accepted SQN, 12 hex digits\n"
                "  --ind-bits N         IND length in bits, 0..8 (default 5)\n"
                "  --json               one JSON object instead of text\n",
        .run = aka_usim,
    },
    {
        .verb = "opc",
        .summary = "Derive OPc from K and OP (TOPc from K and TOP for TUAK)",
        .synopsis = "--k HEX (--op HEX | --alg tuak --top HEX [--keccak N])\n"
                    "       [--json]",
        .help = "options:\n"
                "  --alg milenage|tuak  algorithm (default milenage)\n"
                "  --k HEX              subscriber key K: 32 hex digits (TUAK also 64)\n"
                "  --op HEX             Milenage operator key OP (32 hex digits)\n"
                "  --top HEX            TUAK operator key TOP (64 hex digits)\n"
                "                       each key also as @FILE (its first line; mode 600) or -\n"
                "                       (a line of standard input: K first), so no other user\n"
                "                       sees it\n"
                "  --keccak N           TUAK Keccak iterations (default 1)\n"
                "  --json               one JSON object instead of text\n",
        .run = aka_opc,
    },
    {NULL, NULL, NULL, NULL, NULL},
};

const cli_noun cli_noun_aka = {
    .name = "aka",
    .summary = "Milenage/TUAK vectors, resynchronisation, key derivations",
    .cmds = aka_cmds,
};
