/* Bound Profile Package, SM-DP+ side (SGP.22 §2.5.3, §2.5.4; ES8+ §5.5.1 - §5.5.4).
 *
 * The whole BPP is sized first, so it is written front to back into the caller's buffer
 * with final lengths and no moves, and a too-small buffer is refused before any key is
 * derived.
 */
#include <string.h>

#include "bsp_internal.h"

/* Plaintext bytes per segment when a sequence is cut (§2.5.3, see bsp.h). */
static size_t seg_payload(uint8_t tag)
{
	return tag == ORSP_BSP_TAG_MAC_ONLY ? ORSP_BSP_MAX_MAC_PAYLOAD : ORSP_BSP_MAX_ENC_PAYLOAD;
}

size_t bsp_seq_content_len(uint8_t tag, size_t n)
{
	size_t max = seg_payload(tag), full = n / max, rem = n % max;
	return full * orsp_bsp_segment_len(tag, max) + (rem ? orsp_bsp_segment_len(tag, rem) : 0);
}

static size_t tlv_len(uint32_t tag, size_t n)
{
	return orsp_der_tag_size(tag) + orsp_der_len_size(n) + n;
}

void bsp_put_signed_data(orsp_writer *w, orsp_slice fields, const uint8_t *euicc_otpk,
                         size_t otpk_len)
{
	orsp_write_bytes(w, fields.p, fields.len);
	orsp_der_put_tlv(w, BSP_TAG_OTPK, euicc_otpk, otpk_len);
}

/* ReplaceSessionKeysRequest (§5.5.4): BF26 { [0] initialMacChainingValue, [1] ppkEnc,
 * [2] ppkCmac } (RSPDefinitions has AUTOMATIC TAGS). */
#define RSK_LEN (3 + 3 * (2 + ORSP_BSP_KEY_LEN))

static void put_rsk(orsp_writer *w, const orsp_bsp_keys *ppk)
{
	orsp_der_put_header(w, BSP_TAG_REPLACE_SESSION_KEYS, RSK_LEN - 3);
	orsp_der_put_tlv(w, 0x80, ppk->mcv.v, ORSP_BSP_KEY_LEN);
	orsp_der_put_tlv(w, 0x81, ppk->enc.v, ORSP_BSP_KEY_LEN);
	orsp_der_put_tlv(w, 0x82, ppk->mac.v, ORSP_BSP_KEY_LEN);
}

static bool keys_ok(const orsp_bsp_keys *k)
{
	return k->enc.len == ORSP_BSP_KEY_LEN && k->mac.len == ORSP_BSP_KEY_LEN &&
	       k->mcv.len == ORSP_BSP_KEY_LEN;
}

/* One DER TLV with the given tag and a well-formed inside. */
static orsp_err check_msg(orsp_slice m, uint32_t tag, const char *name)
{
	orsp_tlv t;
	orsp_err e;

	if (!m.p || !m.len)
		return orsp_errf(ORSP_E_USAGE, "BPP build: %s missing", name);
	e = orsp_der_parse_one(m, &t);
	if (e == ORSP_OK && t.tag != tag)
		e = orsp_errf(ORSP_E_MALFORMED, "BPP build: %s has tag %X, not %X", name,
		              (unsigned)t.tag, (unsigned)tag);
	if (e == ORSP_OK)
		e = orsp_der_validate(m, BSP_MSG_MAX_DEPTH);
	return e;
}

/* A Protected Profile Package: '86' TLVs only, each within the segment limit and of a shape
 * the eUICC can unprotect (whole AES blocks, at least one, then the 8-byte MAC: §2.6.4.4), so
 * that a package that could never load is refused here rather than at the eUICC. */
static orsp_err check_ppp(orsp_slice ppp)
{
	orsp_reader r;
	orsp_tlv t;
	orsp_err e;

	if (!ppp.p || !ppp.len)
		return orsp_errf(ORSP_E_USAGE, "BPP build: empty Protected Profile Package");
	orsp_reader_init(&r, ppp.p, ppp.len);
	while (orsp_reader_remaining(&r)) {
		e = orsp_der_expect(&r, ORSP_BSP_TAG_PPP, &t);
		if (e != ORSP_OK)
			return e;
		if (t.raw.len > ORSP_BSP_MAX_SEGMENT)
			return orsp_errf(ORSP_E_MALFORMED,
			                 "BPP build: PPP segment of %zu bytes exceeds %d",
			                 t.raw.len, ORSP_BSP_MAX_SEGMENT);
		if (t.value.len < ORSP_BSP_MAC_LEN + 16 || (t.value.len - ORSP_BSP_MAC_LEN) % 16)
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "BPP build: PPP segment of %zu value bytes is not AES blocks "
			    "and a MAC",
			    t.value.len);
	}
	return ORSP_OK;
}

static orsp_err check_params(const orsp_bsp_bpp_params *p)
{
	orsp_err e;

	if (!p || !p->dppb || !p->smdp_otsk || !p->eid)
		return orsp_errf(ORSP_E_USAGE, "BPP build: DPpb key, otSK.DP.ECKA and EID needed");
	if (!p->euicc_otpk.p || p->euicc_otpk.len != ORSP_EC_POINT_LEN)
		return orsp_errf(ORSP_E_USAGE, "BPP build: euiccOtpk must be %d bytes, not %zu",
		                 ORSP_EC_POINT_LEN, p->euicc_otpk.len);
	if (!p->transaction_id.p || p->transaction_id.len < 1 ||
	    p->transaction_id.len > ORSP_BSP_TID_MAX)
		return orsp_errf(ORSP_E_USAGE, "BPP build: transactionId of %zu bytes (need 1..16)",
		                 p->transaction_id.len);
	if (!p->host_id.p || p->host_id.len < 1 || p->host_id.len > ORSP_BSP_HOST_ID_MAX)
		return orsp_errf(ORSP_E_USAGE, "BPP build: hostId of %zu bytes (need 1..16)",
		                 p->host_id.len);
	if (p->ppk && !keys_ok(p->ppk))
		return orsp_errf(ORSP_E_USAGE, "BPP build: PPKs and MCV must be 16 bytes each");
	/* Bounded before any size is computed from them (see ORSP_BSP_MAX_BUILD_PART). */
	if (p->configure_isdp.len > ORSP_BSP_MAX_BUILD_PART ||
	    p->store_metadata.len > ORSP_BSP_MAX_BUILD_PART ||
	    p->profile.len > ORSP_BSP_MAX_BUILD_PART)
		return orsp_errf(ORSP_E_USAGE, "BPP build: a part of more than %zu bytes",
		                 ORSP_BSP_MAX_BUILD_PART);
	e = check_msg(p->configure_isdp, BSP_TAG_CONFIGURE_ISDP, "ConfigureISDPRequest");
	if (e == ORSP_OK)
		e = check_msg(p->store_metadata, BSP_TAG_STORE_METADATA, "StoreMetadataRequest");
	if (e != ORSP_OK)
		return e;
	if (p->ppk)
		return check_ppp(p->profile);
	if (!p->profile.p || !p->profile.len)
		return orsp_errf(ORSP_E_USAGE, "BPP build: empty profile");
	return ORSP_OK;
}

/* Sizes of the parts, computed once for both size() and build(). */
typedef struct bpp_layout {
	size_t crt, fields, iscr, seq0, seq1, seq2, seq3, content, total;
} bpp_layout;

static void layout(const orsp_bsp_bpp_params *p, bpp_layout *l)
{
	l->crt = tlv_len(BSP_TAG_CRT_KEY_TYPE, 1) + tlv_len(BSP_TAG_CRT_KEY_LEN, 1) +
	         tlv_len(BSP_TAG_CRT_HOST_ID, p->host_id.len);
	l->fields = tlv_len(BSP_TAG_REMOTE_OP_ID, 1) +
	            tlv_len(BSP_TAG_TRANSACTION_ID, p->transaction_id.len) +
	            tlv_len(BSP_TAG_CRT, l->crt) + tlv_len(BSP_TAG_OTPK, ORSP_EC_POINT_LEN);
	l->iscr = l->fields + tlv_len(BSP_TAG_SIGN, ORSP_EC_SIG_LEN);
	l->seq0 = bsp_seq_content_len(ORSP_BSP_TAG_ENC_MAC, p->configure_isdp.len);
	l->seq1 = bsp_seq_content_len(ORSP_BSP_TAG_MAC_ONLY, p->store_metadata.len);
	l->seq2 = p->ppk ? bsp_seq_content_len(ORSP_BSP_TAG_ENC_MAC, RSK_LEN) : 0;
	l->seq3 = p->ppk ? p->profile.len : bsp_seq_content_len(ORSP_BSP_TAG_PPP, p->profile.len);
	l->content = tlv_len(BSP_TAG_ISCR, l->iscr) + tlv_len(BSP_TAG_SEQ87_FIRST, l->seq0) +
	             tlv_len(BSP_TAG_SEQ88, l->seq1) + tlv_len(BSP_TAG_SEQ86, l->seq3);
	if (p->ppk)
		l->content += tlv_len(BSP_TAG_SEQ87_SECOND, l->seq2);
	l->total = tlv_len(BSP_TAG_BPP, l->content);
}

orsp_err orsp_bsp_bpp_size(const orsp_bsp_bpp_params *p, size_t *out)
{
	bpp_layout l;
	orsp_err e;

	if (!out)
		return orsp_errf(ORSP_E_USAGE, "BPP size: NULL output");
	*out = 0;
	e = check_params(p);
	if (e != ORSP_OK)
		return e;
	layout(p, &l);
	*out = l.total;
	return ORSP_OK;
}

/* Append `seqtag` { segments of data under segtag } using c. */
static orsp_err put_seq(orsp_writer *w, orsp_bsp_ctx *c, uint32_t seqtag, uint8_t segtag,
                        const uint8_t *data, size_t n)
{
	size_t max = seg_payload(segtag);
	orsp_err e = ORSP_OK;

	orsp_der_put_header(w, seqtag, bsp_seq_content_len(segtag, n));
	for (size_t off = 0; off < n && e == ORSP_OK; off += max)
		e = orsp_bsp_protect(c, segtag, data + off, n - off < max ? n - off : max, w);
	return e;
}

size_t orsp_bsp_ppp_len(size_t upp_len)
{
	return bsp_seq_content_len(ORSP_BSP_TAG_PPP, upp_len);
}

orsp_err orsp_bsp_ppp_build(const orsp_bsp_keys *ppk, orsp_slice upp, orsp_writer *w)
{
	orsp_bsp_ctx *c = NULL;
	size_t max = ORSP_BSP_MAX_ENC_PAYLOAD, start;
	orsp_err e;

	if (!ppk || !w || !upp.p || !upp.len)
		return orsp_errf(ORSP_E_USAGE, "PPP build: PPKs, profile and output needed");
	if (upp.len > ORSP_BSP_MAX_BUILD_PART)
		return orsp_errf(ORSP_E_USAGE, "PPP build: profile of more than %zu bytes",
		                 ORSP_BSP_MAX_BUILD_PART);
	if (w->overflow || w->cap - w->len < orsp_bsp_ppp_len(upp.len))
		return orsp_errf(ORSP_E_RESOURCE, "PPP build: output buffer too small");
	start = w->len;
	e = orsp_bsp_ctx_new(ppk, 0, &c);
	for (size_t off = 0; e == ORSP_OK && off < upp.len; off += max)
		e = orsp_bsp_protect(c, ORSP_BSP_TAG_PPP, upp.p + off,
		                     upp.len - off < max ? upp.len - off : max, w);
	orsp_bsp_ctx_free(c);
	if (e != ORSP_OK && w->len > start) {
		/* Leave nothing half-built behind, as orsp_bsp_bpp_build. */
		orsp_wipe(w->p + start, w->len - start);
		w->len = start;
	}
	return e;
}

static orsp_err bsp_bpp_build_run(const orsp_bsp_bpp_params *p, orsp_writer *w)
{
	uint8_t smdp_otpk[ORSP_EC_POINT_LEN], ss[ORSP_ECKA_LEN], sig[ORSP_EC_SIG_LEN];
	uint8_t fields[128], tbs[128 + 3 + ORSP_EC_POINT_LEN], rsk[RSK_LEN];
	orsp_writer fw, tw, rw;
	orsp_bsp_keys keys;
	orsp_bsp_ctx *c = NULL;
	bpp_layout l;
	size_t start;
	orsp_err e;

	memset(&keys, 0, sizeof(keys));
	memset(rsk, 0, sizeof(rsk));
	if (!w)
		return orsp_errf(ORSP_E_USAGE, "BPP build: NULL output");
	start = w->len;
	e = check_params(p);
	if (e != ORSP_OK)
		return e;
	layout(p, &l);
	if (w->overflow || w->cap - w->len < l.total)
		return orsp_errf(ORSP_E_RESOURCE, "BPP build: %zu bytes needed, room for %zu",
		                 l.total, w->overflow ? 0 : w->cap - w->len);

	/* Session keys: ECKA(otSK.DP.ECKA, otPK.EUICC.ECKA) -> KDF (§2.6.4.2). orsp_ecka
	 * refuses a point that is not on the key's curve. */
	e = orsp_ec_public_point(p->smdp_otsk, smdp_otpk);
	if (e == ORSP_OK)
		e = orsp_ecka(p->smdp_otsk, p->euicc_otpk.p, p->euicc_otpk.len, ss);
	if (e == ORSP_OK)
		e = orsp_bsp_derive_keys(ss, sizeof(ss), ORSP_BSP_KEY_TYPE_AES, ORSP_BSP_KEY_LEN,
		                         p->host_id.p, p->host_id.len, p->eid, &keys);
	if (e == ORSP_OK)
		e = orsp_bsp_ctx_new(&keys, 0, &c);
	if (e != ORSP_OK)
		goto out;

	/* InitialiseSecureChannelRequest fields (§5.5.1), then smdpSign over them and
	 * euiccOtpk. */
	orsp_writer_init(&fw, fields, sizeof(fields));
	orsp_der_put_uint(&fw, BSP_TAG_REMOTE_OP_ID, BSP_REMOTE_OP_INSTALL_BPP);
	orsp_der_put_tlv(&fw, BSP_TAG_TRANSACTION_ID, p->transaction_id.p, p->transaction_id.len);
	orsp_der_put_header(&fw, BSP_TAG_CRT, l.crt);
	orsp_der_put_tlv(&fw, BSP_TAG_CRT_KEY_TYPE, (const uint8_t[]){ORSP_BSP_KEY_TYPE_AES}, 1);
	orsp_der_put_tlv(&fw, BSP_TAG_CRT_KEY_LEN, (const uint8_t[]){ORSP_BSP_KEY_LEN}, 1);
	orsp_der_put_tlv(&fw, BSP_TAG_CRT_HOST_ID, p->host_id.p, p->host_id.len);
	orsp_der_put_tlv(&fw, BSP_TAG_OTPK, smdp_otpk, sizeof(smdp_otpk));
	orsp_writer_init(&tw, tbs, sizeof(tbs));
	bsp_put_signed_data(&tw, orsp_slice_make(fields, fw.len), p->euicc_otpk.p,
	                    p->euicc_otpk.len);
	e = orsp_writer_status(&fw);
	if (e == ORSP_OK)
		e = orsp_writer_status(&tw);
	if (e == ORSP_OK && fw.len != l.fields)
		e = orsp_errf(ORSP_E_CRYPTO, "BPP build: internal size mismatch");
	if (e == ORSP_OK && p->smdp_sign)
		memcpy(sig, p->smdp_sign, sizeof(sig));
	else if (e == ORSP_OK)
		e = orsp_ecdsa_sign(p->dppb, tbs, tw.len, sig);
	if (e != ORSP_OK)
		goto out;
	if (p->smdp_sign_out)
		memcpy(p->smdp_sign_out, sig, sizeof(sig));

	orsp_der_put_header(w, BSP_TAG_BPP, l.content);
	orsp_der_put_header(w, BSP_TAG_ISCR, l.iscr);
	orsp_write_bytes(w, fields, fw.len);
	orsp_der_put_tlv(w, BSP_TAG_SIGN, sig, sizeof(sig));
	e = put_seq(w, c, BSP_TAG_SEQ87_FIRST, ORSP_BSP_TAG_ENC_MAC, p->configure_isdp.p,
	            p->configure_isdp.len);
	if (e == ORSP_OK)
		e = put_seq(w, c, BSP_TAG_SEQ88, ORSP_BSP_TAG_MAC_ONLY, p->store_metadata.p,
		            p->store_metadata.len);
	if (e == ORSP_OK && p->ppk) {
		/* §2.5.3: with a pre-protected package the session keys are replaced by the
		 * PPKs, and the '86' segments are sent as they were protected. */
		orsp_writer_init(&rw, rsk, sizeof(rsk));
		put_rsk(&rw, p->ppk);
		e = orsp_writer_status(&rw);
		if (e == ORSP_OK)
			e = put_seq(w, c, BSP_TAG_SEQ87_SECOND, ORSP_BSP_TAG_ENC_MAC, rsk, rw.len);
		if (e == ORSP_OK) {
			orsp_der_put_header(w, BSP_TAG_SEQ86, l.seq3);
			orsp_write_bytes(w, p->profile.p, p->profile.len);
		}
	} else if (e == ORSP_OK) {
		e = put_seq(w, c, BSP_TAG_SEQ86, ORSP_BSP_TAG_PPP, p->profile.p, p->profile.len);
	}
	if (e == ORSP_OK)
		e = orsp_writer_status(w);
	if (e != ORSP_OK && w->len > start) {
		/* Leave nothing half-built behind. */
		orsp_wipe(w->p + start, w->len - start);
		w->len = start;
	}
out:
	orsp_bsp_ctx_free(c);
	orsp_bsp_keys_wipe(&keys);
	orsp_wipe(ss, sizeof(ss));
	orsp_wipe(rsk, sizeof(rsk));
	return e;
}

orsp_err orsp_bsp_bpp_build(const orsp_bsp_bpp_params *p, orsp_writer *w)
{
	uint64_t t0 = orsp__crypto_acct_begin();
	orsp_err e = bsp_bpp_build_run(p, w);
	orsp__crypto_acct_end(t0);
	return e;
}
