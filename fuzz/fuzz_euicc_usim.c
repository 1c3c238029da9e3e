/* libFuzzer target for the USIM and ISIM applications (src/euicc/usim_*.c) behind the APDU
 * layer; the ISIM, when the package has one, is registered as the eUICC core registers it
 * (es10_isdr.c: its AID, orsp_usim_isim_state with the persist callback, orsp_isim_app_ops).
 *
 * The first input byte picks what is fuzzed, the rest is the input proper:
 *  - 'P' (package): the rest is a profile package given to orsp_usim_load(); if it loads,
 *    a fixed script of SELECT / READ / STATUS commands runs against it;
 *  - 'S' (SQN state): the rest goes to orsp_usim_sqn_parse(); what parses must save back to
 *    the same bytes;
 *  - anything else (session): a card with the GSMA TS.48 v7 profile, personalised once with
 *    fixed Milenage keys (read from tests/vectors next to this file), gets the rest as a
 *    sequence of command APDUs, each one length byte and that many bytes. Bit 0 of the
 *    first byte makes the persist callback fail.
 * Properties (abort() when violated): every response is 2..258 bytes and ends in a status
 * word an application may use; in a session no response carries 8 consecutive bytes of K
 * or OPc; the per-channel state stays inside the file table (ADF.ISIM current only with the
 * ISIM selected, never both NAAs) and the file tables are consistent (the ISIM's files
 * after the USIM's, every file inside the contents); a loaded package's ISIM dropped
 * (orsp_usim_isim_drop) leaves the USIM's tables and contents as they were; persist is
 * called exactly when an AUTHENTICATE answers DB (or 6581 with persist failing), before the
 * answer; the PIN state's persist (orsp_usim_pin_state, failing with the SQN's) only for the
 * PIN commands (VERIFY, CHANGE, DISABLE, ENABLE, UNBLOCK PIN), and what it receives loads
 * back into a fresh card (orsp_usim_pin_state on a copy of the package's); no response
 * carries the PIN values (the TS.48 PIN or PUK values, 8 bytes). Deterministic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/euicc.h"
#include "openrsp/pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_k[16] = {0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
                                   0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc};
static const uint8_t fuzz_opc[16] = {0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
                                     0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf};

static orsp_usim loaded; /* the personalised TS.48 card, loaded once */
static bool have_loaded;
static orsp_usim work; /* copied from `loaded` for each session */
static uint8_t usim_data[ORSP_USIM_DATA_MAX]; /* the USIM's contents before an ISIM drop */
static orsp_euicc_apdu_ctx ctx;
static uint8_t cmd_buf[ORSP_EUICC_MAX_COMMAND], rsp_buf[ORSP_EUICC_MAX_RESPONSE];
static bool persist_fail;
static bool check_keys; /* session mode: the keys are known; a fuzzed package may hold them */
static int persist_calls;
static int pin_calls;
static orsp_usim pin_check_card; /* where each PIN state persisted is loaded back */

static void check(bool ok)
{
	if (!ok)
		abort();
}

static orsp_err persist(void *user, const uint8_t *st, size_t len)
{
	orsp_usim_sqn sqn;
	(void)user;
	persist_calls++;
	check(orsp_usim_sqn_parse(st, len, &sqn) == ORSP_OK);
	return persist_fail ? ORSP_E_STORAGE : ORSP_OK;
}

static orsp_err pin_persist(void *user, const uint8_t *st, size_t len)
{
	(void)user;
	pin_calls++;
	if (check_keys) { /* session mode: the state is the TS.48 card's */
		memcpy(&pin_check_card, &loaded, sizeof(pin_check_card));
		check(orsp_usim_pin_state(&pin_check_card, st, len, NULL, NULL) == ORSP_OK);
		orsp_usim_unload(&pin_check_card);
	}
	return persist_fail ? ORSP_E_STORAGE : ORSP_OK;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* The TS.48 v7 profile with Milenage keys, loaded into `loaded`. */
static void load_once(void)
{
	static bool tried;
	char path[4096];
	const char *file = __FILE__, *slash = strrchr(file, '/');
	uint8_t *upp = NULL, *enc = NULL;
	size_t len = 0, enc_len = 0;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;

	if (tried)
		return;
	tried = true;
	if (!slash)
		return;
	snprintf(path, sizeof(path),
	         "%.*s/../tests/vectors/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der",
	         (int)(slash - file), file);
	upp = read_all(path, &len);
	if (!upp || orsp_pkg_decode(upp, len, &pkg) != ORSP_OK)
		goto out;
	orsp_pkg_perso_init(&p);
	p.set_aka = true;
	p.alg = ORSP_AKA_MILENAGE;
	if (orsp_secret_set(&p.k, fuzz_k, 16) == ORSP_OK &&
	    orsp_secret_set(&p.opc, fuzz_opc, 16) == ORSP_OK &&
	    orsp_pkg_personalise(pkg, &p) == ORSP_OK &&
	    orsp_pkg_encode(pkg, 0, &enc, &enc_len) == ORSP_OK &&
	    orsp_usim_load(&loaded, enc, enc_len, NULL, 0, persist, NULL) == ORSP_OK)
		have_loaded = true;
	orsp_pkg_perso_wipe(&p);
out:
	orsp_pkg_buf_free(enc, enc_len);
	orsp_pkg_free(pkg);
	free(upp);
}

static bool contains_key(const uint8_t *p, size_t n)
{
	/* TS.48 v7's PIN1, PUK1, PIN2, PUK2, ADM1 and ADM2 values */
	static const char pins[] = "0000\xff\xff\xff\xff"
	                           "11111111"
	                           "9999\xff\xff\xff\xff"
	                           "22222222"
	                           "55555555"
	                           "66666666";
	for (size_t i = 0; i + 8 <= n; i++) {
		for (size_t j = 0; j + 8 <= 16; j++)
			if (memcmp(p + i, fuzz_k + j, 8) == 0 ||
			    memcmp(p + i, fuzz_opc + j, 8) == 0)
				return true;
		for (size_t j = 0; j + 8 < sizeof(pins); j += 8)
			if (memcmp(p + i, pins + j, 8) == 0)
				return true;
	}
	return false;
}

static bool sw_ok(uint16_t sw)
{
	uint8_t sw1 = (uint8_t)(sw >> 8);
	return sw == ORSP_SW_OK || sw1 == 0x61 || sw1 == 0x6C || sw1 == 0x98 ||
	       (sw1 >= 0x62 && sw1 <= 0x6F);
}

static void check_state(const orsp_usim *u)
{
	/* the tables: the MF's and USIM's files first, then the ISIM's (orsp_usim_isim_drop
	 * puts the counts back to isim.first_file and data_off); every file inside data_len */
	check(u->n_files <= ORSP_USIM_MAX_FILES && u->data_len <= ORSP_USIM_DATA_MAX);
	check(u->isim.first_file <= u->n_files && u->isim.data_off <= u->data_len);
	check(u->isim.loaded || u->isim.first_file == u->n_files);
	for (size_t i = 0; i < u->n_files; i++) {
		const orsp_usim_file *f = &u->files[i];
		check(!f->is_df || (f->df == ORSP_USIM_DF_MF && f->size == 0));
		check(f->off + f->size <= u->data_len);
		if (i < u->isim.first_file)
			check(f->df != ORSP_USIM_DF_ISIM && f->off + f->size <= u->isim.data_off);
		else
			check(f->df == ORSP_USIM_DF_ISIM && f->off >= u->isim.data_off);
	}
	for (size_t ch = 0; ch < ORSP_EUICC_MAX_CHANNELS; ch++) {
		const orsp_usim_channel *c = &u->ch[ch];
		check(c->ef >= -1 && c->ef < (int)u->n_files);
		check(c->df == ORSP_USIM_DF_MF || c->df == ORSP_USIM_DF_ADF ||
		      c->df == ORSP_USIM_DF_ISIM);
		check(!(c->adf_active && c->isim_active));
		check(c->df != ORSP_USIM_DF_ISIM || (c->isim_active && u->isim.loaded));
		check(c->df != ORSP_USIM_DF_ADF || c->adf_active);
		if (c->ef >= 0) {
			const orsp_usim_file *f = &u->files[c->ef];
			check(!f->is_df && f->off + f->size <= u->data_len);
			check(f->rec_len == 0 || c->rec <= f->size / f->rec_len);
		}
	}
}

/* One APDU; returns the status word. */
static uint16_t send(orsp_usim *u, const uint8_t *apdu, size_t n)
{
	uint8_t r[ORSP_EUICC_RAPDU_MAX];
	size_t rn = 0;
	int before = persist_calls, pin_before = pin_calls;

	check(orsp_euicc_apdu_process(&ctx, apdu, n, r, sizeof(r), &rn) == ORSP_OK);
	check(rn >= 2 && rn <= ORSP_EUICC_RAPDU_MAX);
	uint16_t sw = (uint16_t)(r[rn - 2] << 8 | r[rn - 1]);
	check(sw_ok(sw));
	check(!check_keys || !contains_key(r, rn - 2));
	/* also what waits in the response buffer */
	check(ctx.rsp_len <= ctx.rsp_cap);
	check(!check_keys || !contains_key(ctx.rsp, ctx.rsp_len));
	if (persist_calls != before)
		check(persist_calls == before + 1 && n >= 5 && apdu[1] == 0x88);
	/* a PIN command stores at most twice: the try spent, then the outcome */
	if (pin_calls != pin_before)
		check(pin_calls <= pin_before + 2 && n >= 5 &&
		      (apdu[1] == 0x20 || apdu[1] == 0x24 || apdu[1] == 0x26 || apdu[1] == 0x28 ||
		       apdu[1] == 0x2C));
	check_state(u);
	return sw;
}

static void setup_card(orsp_usim *u)
{
	check(orsp_euicc_apdu_init(&ctx, cmd_buf, sizeof(cmd_buf), rsp_buf, sizeof(rsp_buf)) ==
	      ORSP_OK);
	check(orsp_euicc_apdu_register(&ctx, u->aid, u->aid_len, &orsp_usim_app_ops, u) == ORSP_OK);
	if (u->isim.loaded) {
		uint8_t aid[16];
		size_t al = 0;
		check(orsp_usim_isim_aid(u, aid, &al) == ORSP_OK);
		check(orsp_usim_isim_state(u, NULL, 0, persist, NULL) == ORSP_OK);
		check(orsp_euicc_apdu_register(&ctx, aid, al, &orsp_isim_app_ops, u) == ORSP_OK);
	}
	check(orsp_usim_pin_state(u, NULL, 0, pin_persist, NULL) == ORSP_OK);
	orsp_euicc_apdu_set_mf(&ctx, &orsp_usim_mf_ops, u);
}

static void fuzz_package(const uint8_t *data, size_t size)
{
	static const char *script[] = {
	    "00A40004023F00",
	    "00A40004022FE2",
	    "00B0000000",
	    "00A4000C022F00",
	    "00B2010400",
	    "00B2000200",
	    "80F2000000",
	    "00A4040400",
	    "00A4080C047FFF6F07",
	    "00B0870000",
	    "00B2011C00",
	    /* the ISIM (when loaded): SELECT by its AID, EF.IMPI by SFI, EF.IMPU, EF.IST */
	    "00A4040400",
	    "00B0820000",
	    "00B2012400",
	    "00A4000C026F07",
	    "00B0000000",
	    "80F2000100",
	};
	orsp_usim *u = &work;
	uint8_t apdu[64];
	size_t n = 0;

	if (orsp_usim_load(u, data, size, NULL, 0, persist, NULL) != ORSP_OK) {
		check(!u->loaded);
		return;
	}
	check_state(u);
	setup_card(u);
	for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		check(orsp_hex_decode(script[i], apdu, sizeof(apdu), &n) == ORSP_OK);
		if (apdu[1] == 0xA4 && apdu[2] == 0x04) { /* SELECT the loaded AID */
			bool isim = i > 10;
			if (isim && !u->isim.loaded)
				break;
			size_t al = isim ? u->isim.aid_len : u->aid_len;
			apdu[4] = (uint8_t)al;
			memcpy(apdu + 5, isim ? u->isim.aid : u->aid, al);
			n = 5 + al;
		}
		(void)send(u, apdu, n);
	}
	if (u->isim.loaded) {
		/* as the eUICC drops an ISIM whose state record it cannot read: the USIM's
		 * tables and contents as they were before the ISIM's files */
		size_t nf = u->isim.first_file;
		uint32_t dl = u->isim.data_off;
		memcpy(usim_data, u->data, dl);
		orsp_usim_isim_drop(u);
		check(!u->isim.loaded && u->n_files == nf && u->data_len == dl);
		check(memcmp(usim_data, u->data, dl) == 0);
		check_state(u);
		orsp_usim_isim_drop(u); /* a second drop changes nothing */
		check(u->n_files == nf && u->data_len == dl);
	}
	orsp_usim_unload(u);
}

static void fuzz_sqn(const uint8_t *data, size_t size)
{
	orsp_usim_sqn st;
	uint8_t out[ORSP_USIM_SQN_STATE_MAX];
	size_t len = 0;

	if (orsp_usim_sqn_parse(data, size, &st) != ORSP_OK)
		return;
	check(orsp_usim_sqn_save(&st, out, sizeof(out), &len) == ORSP_OK);
	check(len == size && memcmp(out, data, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	check_keys = false;
	if (data[0] == 'P') {
		fuzz_package(data + 1, size - 1);
		return 0;
	}
	if (data[0] == 'S') {
		fuzz_sqn(data + 1, size - 1);
		return 0;
	}
	load_once();
	if (!have_loaded)
		return 0;
	check_keys = true;
	persist_fail = data[0] & 1;
	persist_calls = 0;
	memcpy(&work, &loaded, sizeof(work));
	setup_card(&work);
	for (size_t i = 1; i < size;) {
		size_t n = data[i++];
		if (n > size - i)
			n = size - i;
		(void)send(&work, data + i, n);
		i += n;
	}
	orsp_usim_unload(&work);
	return 0;
}
