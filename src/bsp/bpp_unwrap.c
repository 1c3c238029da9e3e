/* Bound Profile Package, eUICC side: a streaming unwrap (SGP.22 §2.5.4, §2.5.5, §5.5).
 *
 * The BPP arrives in pieces of any size. It is read as a sequence of units: the header of
 * a container (BF36, A0..A3) or a whole leaf TLV (BF23, one '86'/'87'/'88' segment). A
 * unit is buffered until complete (a leaf is at most 1036 bytes, BF23 at most 512), then
 * checked against the transition table below; container contents are never buffered.
 * Every length is checked against the remaining length of each enclosing container as soon
 * as the header is in, and every tag as soon as its octets are in, so a wrong or over-long
 * part is refused before its contents arrive.
 *
 * Nothing reaches the caller before it is verified: the BF23 signature first, then the
 * C-MAC of each segment. A failure is final and wipes the keys.
 */
#include <stdlib.h>
#include <string.h>

#include "bsp_internal.h"

typedef enum ustate {
	ST_BPP,       /* expecting the BF36 header */
	ST_ISCR,      /* expecting BF23 InitialiseSecureChannelRequest */
	ST_SEQ0_HDR,  /* expecting A0 firstSequenceOf87 */
	ST_SEQ0,      /* in A0: '87' segments of ConfigureISDPRequest */
	ST_SEQ1_HDR,  /* expecting A1 sequenceOf88 */
	ST_SEQ1,      /* in A1: '88' segments of StoreMetadataRequest */
	ST_SEQ23_HDR, /* expecting A2 secondSequenceOf87 or A3 sequenceOf86 */
	ST_SEQ2,      /* in A2: '87' segments of ReplaceSessionKeysRequest */
	ST_SEQ3_HDR,  /* expecting A3 after A2 */
	ST_SEQ3,      /* in A3: '86' segments of the profile package */
	ST_DONE,      /* BF36 complete; any further byte is an error */
	ST_FAILED,    /* final; every call returns ORSP_E_STATE */
	ST__COUNT
} ustate;

enum { K_OUTER, K_SEQ, K_LEAF };

/* The allowed units per state. A tag not listed for the current state is refused. */
typedef struct transition {
	uint8_t state;
	uint32_t tag;
	uint8_t kind;
	uint16_t max; /* leaf: largest whole TLV */
	uint8_t next;
} transition;

static const transition transitions[] = {
    {ST_BPP, BSP_TAG_BPP, K_OUTER, 0, ST_ISCR},
    {ST_ISCR, BSP_TAG_ISCR, K_LEAF, ORSP_BSP_MAX_ISCR, ST_SEQ0_HDR},
    {ST_SEQ0_HDR, BSP_TAG_SEQ87_FIRST, K_SEQ, 0, ST_SEQ0},
    {ST_SEQ0, ORSP_BSP_TAG_ENC_MAC, K_LEAF, ORSP_BSP_MAX_RECV_SEGMENT, ST_SEQ0},
    {ST_SEQ1_HDR, BSP_TAG_SEQ88, K_SEQ, 0, ST_SEQ1},
    {ST_SEQ1, ORSP_BSP_TAG_MAC_ONLY, K_LEAF, ORSP_BSP_MAX_RECV_SEGMENT, ST_SEQ1},
    {ST_SEQ23_HDR, BSP_TAG_SEQ87_SECOND, K_SEQ, 0, ST_SEQ2},
    {ST_SEQ23_HDR, BSP_TAG_SEQ86, K_SEQ, 0, ST_SEQ3},
    {ST_SEQ2, ORSP_BSP_TAG_ENC_MAC, K_LEAF, ORSP_BSP_MAX_RECV_SEGMENT, ST_SEQ2},
    {ST_SEQ3_HDR, BSP_TAG_SEQ86, K_SEQ, 0, ST_SEQ3},
    {ST_SEQ3, ORSP_BSP_TAG_PPP, K_LEAF, ORSP_BSP_MAX_RECV_SEGMENT, ST_SEQ3},
};

/* Per state: the state after the open sequence ends, the part being worked on (BppCommandId
 * for failure reports) and its name for messages. */
static const struct {
	uint8_t after_seq;
	uint8_t step;
	const char *what;
} states[ST__COUNT] = {
    [ST_BPP] = {ST_FAILED, ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL, "BoundProfilePackage"},
    [ST_ISCR] = {ST_FAILED, ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL,
                 "initialiseSecureChannelRequest"},
    [ST_SEQ0_HDR] = {ST_FAILED, ORSP_BSP_STEP_CONFIGURE_ISDP, "firstSequenceOf87"},
    [ST_SEQ0] = {ST_SEQ1_HDR, ORSP_BSP_STEP_CONFIGURE_ISDP, "firstSequenceOf87"},
    [ST_SEQ1_HDR] = {ST_FAILED, ORSP_BSP_STEP_STORE_METADATA, "sequenceOf88"},
    [ST_SEQ1] = {ST_SEQ23_HDR, ORSP_BSP_STEP_STORE_METADATA, "sequenceOf88"},
    [ST_SEQ23_HDR] = {ST_FAILED, ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS,
                      "secondSequenceOf87 or sequenceOf86"},
    [ST_SEQ2] = {ST_SEQ3_HDR, ORSP_BSP_STEP_REPLACE_SESSION_KEYS, "secondSequenceOf87"},
    [ST_SEQ3_HDR] = {ST_FAILED, ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS, "sequenceOf86"},
    [ST_SEQ3] = {ST_DONE, ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS, "sequenceOf86"},
    [ST_DONE] = {ST_FAILED, ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS, "end of the package"},
    [ST_FAILED] = {ST_FAILED, ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS, "failed unwrap"},
};

#define HDR_MAX (2 + 1 + 4) /* two tag octets, at most four length octets */
_Static_assert(ORSP_BSP_MAX_RECV_PAYLOAD + 1 + 3 + ORSP_BSP_MAC_LEN == ORSP_BSP_MAX_RECV_SEGMENT,
               "plain holds the data of the largest segment accepted");
#define RSK_MAX 128
#define MSG_MAX ORSP_BSP_MAX_STORE_METADATA

struct orsp_bsp_unwrap {
	ustate state;
	orsp_bsp_reason reason;
	orsp_bsp_step step;
	orsp_err err;

	const orsp_ec_key *euicc_otsk, *dppb;
	uint8_t eid[ORSP_BSP_EID_LEN];
	uint8_t tid[ORSP_BSP_TID_MAX];
	size_t tid_len;
	orsp_bsp_unwrap_cbs cb;

	orsp_bsp_ctx *ctx; /* session keys, then the PPKs after ReplaceSessionKeys */

	/* Containers: BF36 and the open A0..A3, with the bytes they still hold. */
	bool seq_open;
	size_t bpp_left, seq_left;

	/* The unit being assembled. */
	uint8_t hdr[HDR_MAX];
	size_t hdr_len;
	const transition *tr; /* set once the tag is known */
	bool in_leaf;         /* header done, collecting a leaf's contents */
	size_t unit_len, unit_need;
	uint8_t unit[ORSP_BSP_MAX_RECV_SEGMENT];

	uint8_t plain[ORSP_BSP_MAX_RECV_PAYLOAD];
	uint8_t msg[MSG_MAX]; /* ConfigureISDP, StoreMetadata or ReplaceSessionKeys so far */
	size_t msg_len;
};

static const char *const reason_names[] = {
    [ORSP_BSP_OK] = "ok",
    [ORSP_BSP_R_STRUCTURE] = "structure error",
    [ORSP_BSP_R_MAC] = "C-MAC verification failed",
    [ORSP_BSP_R_SIGNATURE] = "smdpSign verification failed",
    [ORSP_BSP_R_TRANSACTION_ID] = "wrong transactionId",
    [ORSP_BSP_R_CRT] = "unsupported CRT values",
    [ORSP_BSP_R_REMOTE_OP] = "unsupported remoteOpId",
    [ORSP_BSP_R_KEY_AGREEMENT] = "key agreement failed",
    [ORSP_BSP_R_LIMIT] = "larger than supported",
    [ORSP_BSP_R_REFUSED] = "refused by the caller",
    [ORSP_BSP_R_INTERNAL] = "internal error",
};

const char *orsp_bsp_reason_str(orsp_bsp_reason r)
{
	if ((size_t)r < ORSP_ARRAY_LEN(reason_names) && reason_names[r])
		return reason_names[r];
	return "unknown";
}

orsp_bsp_reason orsp_bsp_unwrap_reason(const orsp_bsp_unwrap *u, orsp_bsp_step *step)
{
	if (!u)
		return ORSP_BSP_OK;
	if (step)
		*step = u->step;
	return u->reason;
}

static void wipe_buffers(orsp_bsp_unwrap *u)
{
	orsp_wipe(u->unit, sizeof(u->unit));
	orsp_wipe(u->plain, sizeof(u->plain));
	orsp_wipe(u->msg, sizeof(u->msg));
	u->msg_len = 0;
}

/* Record a failure (once), wipe keys and buffers, and return e. The detail recorded by
 * orsp_errf() at the failing call site is left as it is. */
static orsp_err fail(orsp_bsp_unwrap *u, orsp_err e, orsp_bsp_reason reason)
{
	if (u->state != ST_FAILED) {
		u->step = (orsp_bsp_step)states[u->state].step;
		u->reason = reason;
		u->err = e;
		u->state = ST_FAILED;
	}
	orsp_bsp_ctx_free(u->ctx);
	u->ctx = NULL;
	wipe_buffers(u);
	return e;
}

/* Map an error of a lower layer to a reason. */
static orsp_bsp_reason reason_of(orsp_err e, orsp_bsp_reason verify_reason)
{
	switch (e) {
	case ORSP_E_VERIFY:
		return verify_reason;
	case ORSP_E_RESOURCE:
		return ORSP_BSP_R_LIMIT;
	case ORSP_E_CRYPTO:
		return ORSP_BSP_R_INTERNAL;
	default:
		return ORSP_BSP_R_STRUCTURE;
	}
}

static orsp_err structure(orsp_bsp_unwrap *u)
{
	return fail(u, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE);
}

orsp_err orsp_bsp_unwrap_new(const orsp_bsp_unwrap_params *p, orsp_bsp_unwrap **out)
{
	orsp_bsp_unwrap *u;

	if (!out)
		return orsp_errf(ORSP_E_USAGE, "BPP unwrap: NULL output");
	*out = NULL;
	if (!p || !p->euicc_otsk || !p->dppb || !p->eid)
		return orsp_errf(ORSP_E_USAGE,
		                 "BPP unwrap: otSK.EUICC.ECKA, PK.DPpb and EID needed");
	if (!p->transaction_id.p || p->transaction_id.len < 1 ||
	    p->transaction_id.len > ORSP_BSP_TID_MAX)
		return orsp_errf(ORSP_E_USAGE,
		                 "BPP unwrap: transactionId of %zu bytes (need 1..16)",
		                 p->transaction_id.len);
	u = calloc(1, sizeof(*u));
	if (!u)
		return orsp_errf(ORSP_E_RESOURCE, "BPP unwrap: out of memory");
	u->state = ST_BPP;
	u->euicc_otsk = p->euicc_otsk;
	u->dppb = p->dppb;
	memcpy(u->eid, p->eid, ORSP_BSP_EID_LEN);
	memcpy(u->tid, p->transaction_id.p, p->transaction_id.len);
	u->tid_len = p->transaction_id.len;
	u->cb = p->cb;
	*out = u;
	return ORSP_OK;
}

void orsp_bsp_unwrap_free(orsp_bsp_unwrap *u)
{
	if (!u)
		return;
	orsp_bsp_ctx_free(u->ctx);
	orsp_wipe(u, sizeof(*u));
	free(u);
}

/* ---------------------------------------------------------------- BF23 ------------------ */

/* The fields of BF23 and of its controlRefTemplate: after them only a later version's are
 * skipped (the rsp module is EXTENSIBILITY IMPLIED), never one of these again. */
static const uint32_t iscr_fields[] = {BSP_TAG_REMOTE_OP_ID, BSP_TAG_TRANSACTION_ID, BSP_TAG_CRT,
                                       BSP_TAG_OTPK, BSP_TAG_SIGN};
static const uint32_t crt_fields[] = {BSP_TAG_CRT_KEY_TYPE, BSP_TAG_CRT_KEY_LEN,
                                      BSP_TAG_CRT_HOST_ID};

/* InitialiseSecureChannelRequest (§5.5.1): parse, check remoteOpId, transactionId and CRT,
 * verify smdpSign over the request's data objects and our own euiccOtpk, then ECKA and
 * the session keys (§2.6.4.2). */
static orsp_err process_iscr(orsp_bsp_unwrap *u, orsp_slice raw)
{
	orsp_tlv bf23, op, tid, crt, ktype, klen, hid, otpk, sign;
	uint8_t euicc_otpk[ORSP_EC_POINT_LEN], ss[ORSP_ECKA_LEN];
	uint8_t tbs[ORSP_BSP_MAX_ISCR + 3 + ORSP_EC_POINT_LEN];
	orsp_bsp_keys keys;
	orsp_reader r, cr;
	orsp_writer tw;
	uint64_t op_val;
	orsp_err e;

	memset(&keys, 0, sizeof(keys));
	e = orsp_der_parse_one(raw, &bf23);
	if (e != ORSP_OK)
		return fail(u, e, ORSP_BSP_R_STRUCTURE);
	orsp_reader_init(&r, bf23.value.p, bf23.value.len);
	e = orsp_der_expect(&r, BSP_TAG_REMOTE_OP_ID, &op);
	if (e == ORSP_OK)
		e = orsp_der_expect(&r, BSP_TAG_TRANSACTION_ID, &tid);
	if (e == ORSP_OK)
		e = orsp_der_expect(&r, BSP_TAG_CRT, &crt);
	if (e == ORSP_OK)
		e = orsp_der_expect(&r, BSP_TAG_OTPK, &otpk);
	if (e == ORSP_OK)
		e = orsp_der_expect(&r, BSP_TAG_SIGN, &sign);
	if (e == ORSP_OK)
		e = orsp_der_skip_extensions(&r, iscr_fields, ORSP_ARRAY_LEN(iscr_fields),
		                             BSP_MSG_MAX_DEPTH);
	if (e == ORSP_OK) {
		orsp_reader_init(&cr, crt.value.p, crt.value.len);
		e = orsp_der_expect(&cr, BSP_TAG_CRT_KEY_TYPE, &ktype);
		if (e == ORSP_OK)
			e = orsp_der_expect(&cr, BSP_TAG_CRT_KEY_LEN, &klen);
		if (e == ORSP_OK)
			e = orsp_der_expect(&cr, BSP_TAG_CRT_HOST_ID, &hid);
		if (e == ORSP_OK)
			e = orsp_der_skip_extensions(&cr, crt_fields, ORSP_ARRAY_LEN(crt_fields),
			                             BSP_MSG_MAX_DEPTH);
	}
	if (e == ORSP_OK &&
	    (ktype.value.len != 1 || klen.value.len != 1 || hid.value.len < 1 ||
	     hid.value.len > ORSP_BSP_HOST_ID_MAX || tid.value.len < 1 ||
	     tid.value.len > ORSP_BSP_TID_MAX || otpk.value.len != ORSP_EC_POINT_LEN ||
	     sign.value.len != ORSP_EC_SIG_LEN))
		e = orsp_errf(ORSP_E_MALFORMED, "BPP: BF23 field of a wrong size");
	if (e == ORSP_OK)
		e = orsp_der_uint(op.value, &op_val);
	if (e != ORSP_OK)
		return fail(u, e, ORSP_BSP_R_STRUCTURE);

	if (op_val != BSP_REMOTE_OP_INSTALL_BPP) {
		orsp_errf(ORSP_E_POLICY, "BPP: remoteOpId %llu is not installBoundProfilePackage",
		          (unsigned long long)op_val);
		return fail(u, ORSP_E_POLICY, ORSP_BSP_R_REMOTE_OP);
	}
	if (tid.value.len != u->tid_len || !orsp_ct_eq(tid.value.p, u->tid, u->tid_len)) {
		orsp_errf(ORSP_E_POLICY, "BPP: transactionId is not the one of this session");
		return fail(u, ORSP_E_POLICY, ORSP_BSP_R_TRANSACTION_ID);
	}
	if (ktype.value.p[0] != ORSP_BSP_KEY_TYPE_AES || klen.value.p[0] != ORSP_BSP_KEY_LEN) {
		orsp_errf(ORSP_E_POLICY, "BPP: CRT keyType %02X keyLen %02X (only 88 10)",
		          ktype.value.p[0], klen.value.p[0]);
		return fail(u, ORSP_E_POLICY, ORSP_BSP_R_CRT);
	}

	/* smdpSign covers remoteOpId .. smdpOtpk as received, then euiccOtpk (§5.5.1). */
	e = orsp_ec_public_point(u->euicc_otsk, euicc_otpk);
	if (e != ORSP_OK)
		return fail(u, e, ORSP_BSP_R_INTERNAL);
	orsp_writer_init(&tw, tbs, sizeof(tbs));
	bsp_put_signed_data(
	    &tw, orsp_slice_make(op.raw.p, (size_t)(otpk.raw.p - op.raw.p) + otpk.raw.len),
	    euicc_otpk, sizeof(euicc_otpk));
	e = orsp_writer_status(&tw);
	if (e == ORSP_OK)
		e = orsp_ecdsa_verify(u->dppb, tbs, tw.len, sign.value.p);
	if (e != ORSP_OK)
		return fail(u, e, e == ORSP_E_CRYPTO ? ORSP_BSP_R_INTERNAL : ORSP_BSP_R_SIGNATURE);

	e = orsp_ecka(u->euicc_otsk, otpk.value.p, otpk.value.len, ss);
	if (e != ORSP_OK) {
		e = fail(u, e, e == ORSP_E_CRYPTO ? ORSP_BSP_R_INTERNAL : ORSP_BSP_R_KEY_AGREEMENT);
		goto out;
	}
	e = orsp_bsp_derive_keys(ss, sizeof(ss), ktype.value.p[0], klen.value.p[0], hid.value.p,
	                         hid.value.len, u->eid, &keys);
	if (e == ORSP_OK)
		e = orsp_bsp_ctx_new(&keys, ORSP_BSP_MAX_RECV_SEGMENT, &u->ctx);
	if (e != ORSP_OK)
		e = fail(u, e, reason_of(e, ORSP_BSP_R_INTERNAL));
out:
	orsp_wipe(ss, sizeof(ss));
	orsp_bsp_keys_wipe(&keys);
	return e;
}

/* ---------------------------------------------------------------- segments -------------- */

static orsp_err append_msg(orsp_bsp_unwrap *u, const uint8_t *p, size_t n, size_t max)
{
	if (n > max - u->msg_len) {
		orsp_errf(ORSP_E_RESOURCE, "BPP: %s longer than %zu bytes", states[u->state].what,
		          max);
		return fail(u, ORSP_E_RESOURCE,
		            u->state == ST_SEQ2 ? ORSP_BSP_R_STRUCTURE : ORSP_BSP_R_LIMIT);
	}
	memcpy(u->msg + u->msg_len, p, n);
	u->msg_len += n;
	return ORSP_OK;
}

static orsp_err call(orsp_bsp_unwrap *u, orsp_err (*fn)(void *, orsp_slice), orsp_slice s)
{
	orsp_err e;

	if (!fn)
		return ORSP_OK;
	e = fn(u->cb.arg, s);
	if (e != ORSP_OK)
		return fail(u, e, ORSP_BSP_R_REFUSED);
	return ORSP_OK;
}

static orsp_err process_segment(orsp_bsp_unwrap *u, uint8_t tag, orsp_slice raw)
{
	size_t n = 0;
	orsp_err e;

	e = orsp_bsp_unprotect(u->ctx, tag, raw, u->plain, sizeof(u->plain), &n);
	if (e != ORSP_OK)
		return fail(u, e, reason_of(e, ORSP_BSP_R_MAC));
	switch (u->state) {
	case ST_SEQ0:
		e = append_msg(u, u->plain, n, ORSP_BSP_MAX_CONFIGURE_ISDP);
		break;
	case ST_SEQ1:
		e = append_msg(u, u->plain, n, ORSP_BSP_MAX_STORE_METADATA);
		break;
	case ST_SEQ2:
		e = append_msg(u, u->plain, n, RSK_MAX);
		break;
	default: /* ST_SEQ3: the next bytes of the profile package, verified */
		e = call(u, u->cb.profile_data, orsp_slice_make(u->plain, n));
		break;
	}
	orsp_wipe(u->plain, n);
	return e;
}

/* The collected plaintext must be exactly one well-formed DER TLV with this tag. */
static orsp_err check_msg(orsp_bsp_unwrap *u, uint32_t tag)
{
	orsp_slice m = orsp_slice_make(u->msg, u->msg_len);
	orsp_tlv t;
	orsp_err e = orsp_der_parse_one(m, &t);

	if (e == ORSP_OK && t.tag != tag)
		e = orsp_errf(ORSP_E_MALFORMED, "BPP: %s carries tag %X, not %X",
		              states[u->state].what, (unsigned)t.tag, (unsigned)tag);
	if (e == ORSP_OK)
		e = orsp_der_validate(m, BSP_MSG_MAX_DEPTH);
	if (e != ORSP_OK)
		return fail(u, e, ORSP_BSP_R_STRUCTURE);
	return ORSP_OK;
}

/* ReplaceSessionKeysRequest (§5.5.4): BF26 { 80 MCV, 81 PPK-ENC, 82 PPK-MAC }, 16 bytes
 * each. The PPKs start a new context: counter 1, MCV from the request (§2.5.3). */
static orsp_err replace_session_keys(orsp_bsp_unwrap *u)
{
	static const uint32_t tags[3] = {0x80, 0x81, 0x82};
	orsp_tlv f[3], bf26;
	orsp_bsp_keys keys;
	orsp_bsp_ctx *nc = NULL;
	orsp_reader r;
	orsp_err e;

	memset(&keys, 0, sizeof(keys));
	e = check_msg(u, BSP_TAG_REPLACE_SESSION_KEYS);
	if (e != ORSP_OK)
		return e;
	e = orsp_der_parse_one(orsp_slice_make(u->msg, u->msg_len), &bf26);
	orsp_reader_init(&r, bf26.value.p, bf26.value.len);
	for (int i = 0; i < 3 && e == ORSP_OK; i++) {
		e = orsp_der_expect(&r, tags[i], &f[i]);
		if (e == ORSP_OK && f[i].value.len != ORSP_BSP_KEY_LEN)
			e = orsp_errf(ORSP_E_MALFORMED,
			              "BPP: ReplaceSessionKeys field %d has %zu bytes, not 16", i,
			              f[i].value.len);
	}
	if (e == ORSP_OK) /* a later version's fields skipped, the keys never again */
		e = orsp_der_skip_extensions(&r, tags, ORSP_ARRAY_LEN(tags), BSP_MSG_MAX_DEPTH);
	if (e == ORSP_OK)
		e = orsp_bsp_keys_set(&keys, f[1].value.p, f[2].value.p, f[0].value.p);
	if (e == ORSP_OK)
		e = orsp_bsp_ctx_new(&keys, ORSP_BSP_MAX_RECV_SEGMENT, &nc);
	orsp_bsp_keys_wipe(&keys);
	orsp_wipe(u->msg, u->msg_len);
	u->msg_len = 0;
	if (e != ORSP_OK)
		return fail(u, e, reason_of(e, ORSP_BSP_R_STRUCTURE));
	orsp_bsp_ctx_free(u->ctx);
	u->ctx = nc;
	if (u->cb.replace_session_keys) {
		e = u->cb.replace_session_keys(u->cb.arg);
		if (e != ORSP_OK)
			return fail(u, e, ORSP_BSP_R_REFUSED);
	}
	return ORSP_OK;
}

/* The open sequence is complete: act on what it carried, move on. */
static orsp_err end_sequence(orsp_bsp_unwrap *u)
{
	orsp_slice m = orsp_slice_make(u->msg, u->msg_len);
	orsp_err e = ORSP_OK;

	switch (u->state) {
	case ST_SEQ0:
		e = check_msg(u, BSP_TAG_CONFIGURE_ISDP);
		if (e == ORSP_OK)
			e = call(u, u->cb.configure_isdp, m);
		break;
	case ST_SEQ1:
		e = check_msg(u, BSP_TAG_STORE_METADATA);
		if (e == ORSP_OK)
			e = call(u, u->cb.store_metadata, m);
		break;
	case ST_SEQ2:
		e = replace_session_keys(u);
		break;
	default:
		break;
	}
	if (e != ORSP_OK)
		return e;
	u->msg_len = 0;
	u->seq_open = false;
	u->state = states[u->state].after_seq;
	return ORSP_OK;
}

/* ---------------------------------------------------------------- units ----------------- */

static const transition *find_transition(ustate s, uint32_t tag)
{
	for (size_t i = 0; i < ORSP_ARRAY_LEN(transitions); i++)
		if (transitions[i].state == s && transitions[i].tag == tag)
			return &transitions[i];
	return NULL;
}

/* After every unit: a container that ran out must be closed, and BF36 must end exactly
 * where sequenceOf86 ends. */
static orsp_err after_unit(orsp_bsp_unwrap *u)
{
	orsp_err e;

	if (u->seq_open && u->seq_left == 0) {
		e = end_sequence(u);
		if (e != ORSP_OK)
			return e;
	}
	if (u->state == ST_DONE && u->bpp_left != 0) {
		orsp_errf(ORSP_E_MALFORMED, "BPP: %zu bytes after sequenceOf86 inside BF36",
		          u->bpp_left);
		return structure(u);
	}
	if (u->state != ST_DONE && u->bpp_left == 0) {
		orsp_errf(ORSP_E_MALFORMED, "BPP: BF36 ends where %s was expected",
		          states[u->state].what);
		return structure(u);
	}
	return ORSP_OK;
}

/* The tag octets are in: is this unit allowed here? 1 = need more, 0 = known. */
static int header_tag(const uint8_t *h, size_t n, uint32_t *tag, size_t *tag_len)
{
	if ((h[0] & 0x1F) != 0x1F) {
		*tag = h[0];
		*tag_len = 1;
		return 0;
	}
	if (n < 2)
		return 1;
	/* Every BPP tag has at most two identifier octets; a third is never expected, so
	 * the 0x80 continuation bit here makes the tag unknown. */
	*tag = ((uint32_t)h[0] << 8) | h[1];
	*tag_len = 2;
	return 0;
}

/* Parse the length octets after tag_len tag octets: 1 = need more, 0 = done, -1 = not
 * DER (indefinite or more than four octets). */
static int header_len(const uint8_t *h, size_t n, size_t tag_len, size_t *len, size_t *hdr_len)
{
	size_t k;
	uint32_t v = 0;

	if (n < tag_len + 1)
		return 1;
	if (h[tag_len] < 0x80) {
		*len = h[tag_len];
		*hdr_len = tag_len + 1;
		return 0;
	}
	k = h[tag_len] & 0x7F;
	if (k == 0 || k > 4)
		return -1;
	if (n < tag_len + 1 + k)
		return 1;
	for (size_t i = 0; i < k; i++)
		v = (v << 8) | h[tag_len + 1 + i];
	*len = v;
	*hdr_len = tag_len + 1 + k;
	return 0;
}

/* Whether a unit of hdr_len header and len content bytes fits in room, without forming the
 * sum (which can wrap when size_t is 32 bits). */
static bool fits(size_t hdr_len, size_t len, size_t room)
{
	return hdr_len <= room && len <= room - hdr_len;
}

/* A complete header: check it is the one DER encoding of (tag, len) — the DER writer is
 * the reference — and that it fits in its containers. */
static orsp_err header_done(orsp_bsp_unwrap *u, size_t len)
{
	const transition *tr = u->tr;
	uint8_t canon[HDR_MAX];
	size_t total;
	orsp_writer cw;

	orsp_writer_init(&cw, canon, sizeof(canon));
	orsp_der_put_header(&cw, tr->tag, len);
	if (orsp_writer_status(&cw) != ORSP_OK || cw.len != u->hdr_len ||
	    memcmp(canon, u->hdr, cw.len) != 0) {
		orsp_errf(ORSP_E_MALFORMED, "BPP: header of %s is not DER (non-minimal length)",
		          states[u->state].what);
		return structure(u);
	}
	if (tr->kind == K_OUTER) {
		u->bpp_left = len;
		u->state = tr->next;
		u->hdr_len = 0;
		u->tr = NULL;
		return after_unit(u);
	}
	/* len is compared with what is left before hdr_len + len is formed: with a 32-bit
	 * size_t a four-octet length near 2^32 would wrap the sum past every check. */
	if (!fits(u->hdr_len, len, u->bpp_left) ||
	    (u->seq_open && !fits(u->hdr_len, len, u->seq_left))) {
		orsp_errf(
		    ORSP_E_MALFORMED, "BPP: %s of %zu + %zu bytes runs past the end of its %s",
		    states[u->state].what, u->hdr_len, len, u->seq_open ? "sequence" : "BF36");
		return structure(u);
	}
	total = u->hdr_len + len; /* <= bpp_left: cannot wrap */
	if (tr->kind == K_SEQ) {
		if (len == 0) {
			orsp_errf(ORSP_E_MALFORMED, "BPP: %s is empty", states[tr->next].what);
			u->state = tr->next;
			return structure(u);
		}
		u->bpp_left -= u->hdr_len;
		u->seq_open = true;
		u->seq_left = len;
		u->state = tr->next;
		u->hdr_len = 0;
		u->tr = NULL;
		return ORSP_OK;
	}
	/* A leaf: a segment is accepted up to ORSP_BSP_MAX_RECV_SEGMENT, 1036 bytes: §2.5.3's
	 * 1020 (what we send) plus the padding block of senders that count the plaintext
	 * (osmo-smdpp, bsp.h); BF23 has its own bound. Refused here, before its contents are
	 * read. */
	if (total > tr->max) {
		orsp_errf(ORSP_E_MALFORMED, "BPP: %s element of %zu bytes exceeds %u",
		          states[u->state].what, total, (unsigned)tr->max);
		return fail(u, ORSP_E_MALFORMED,
		            tr->tag == BSP_TAG_ISCR ? ORSP_BSP_R_LIMIT : ORSP_BSP_R_STRUCTURE);
	}
	memcpy(u->unit, u->hdr, u->hdr_len);
	u->unit_len = u->hdr_len;
	u->unit_need = len;
	u->in_leaf = true;
	return ORSP_OK;
}

static orsp_err leaf_done(orsp_bsp_unwrap *u)
{
	const transition *tr = u->tr;
	orsp_slice raw = orsp_slice_make(u->unit, u->unit_len);
	orsp_err e;

	u->in_leaf = false;
	u->hdr_len = 0;
	u->tr = NULL;
	u->bpp_left -= raw.len;
	if (u->seq_open)
		u->seq_left -= raw.len;
	if (tr->tag == BSP_TAG_ISCR)
		e = process_iscr(u, raw);
	else
		e = process_segment(u, (uint8_t)tr->tag, raw);
	orsp_wipe(u->unit, raw.len);
	u->unit_len = 0;
	if (e != ORSP_OK)
		return e;
	u->state = tr->next;
	return after_unit(u);
}

/* One header byte in. */
static orsp_err header_byte(orsp_bsp_unwrap *u, uint8_t b)
{
	size_t tag_len, len, hdr_len;
	uint32_t tag;
	int r;

	u->hdr[u->hdr_len++] = b;
	if (!u->tr) {
		if (header_tag(u->hdr, u->hdr_len, &tag, &tag_len))
			return ORSP_OK;
		u->tr = find_transition(u->state, tag);
		if (!u->tr) {
			orsp_errf(ORSP_E_MALFORMED, "BPP: tag %X where %s was expected",
			          (unsigned)tag, states[u->state].what);
			return structure(u);
		}
	}
	tag_len = u->tr->tag > 0xFF ? 2 : 1;
	r = header_len(u->hdr, u->hdr_len, tag_len, &len, &hdr_len);
	if (r > 0)
		return ORSP_OK;
	if (r < 0) {
		orsp_errf(ORSP_E_MALFORMED,
		          "BPP: length of %s is not DER (indefinite or > 4 "
		          "octets)",
		          states[u->state].what);
		return structure(u);
	}
	return header_done(u, len);
}

orsp_err orsp_bsp_unwrap_feed(orsp_bsp_unwrap *u, const void *data, size_t n)
{
	const uint8_t *p = data;
	orsp_err e;

	if (!u || (!data && n))
		return orsp_errf(ORSP_E_USAGE, "BPP unwrap: NULL argument");
	if (u->state == ST_FAILED)
		return orsp_errf(ORSP_E_STATE, "BPP unwrap: already failed (%s)",
		                 orsp_bsp_reason_str(u->reason));
	while (n > 0) {
		if (u->state == ST_DONE) {
			orsp_errf(ORSP_E_MALFORMED, "BPP: %zu bytes after the end of BF36", n);
			return structure(u);
		}
		if (u->in_leaf) {
			size_t take = n < u->unit_need ? n : u->unit_need;
			memcpy(u->unit + u->unit_len, p, take);
			u->unit_len += take;
			u->unit_need -= take;
			p += take;
			n -= take;
		} else {
			e = header_byte(u, *p++);
			n--;
			if (e != ORSP_OK)
				return e;
		}
		if (u->in_leaf && u->unit_need == 0) {
			e = leaf_done(u);
			if (e != ORSP_OK)
				return e;
		}
	}
	return ORSP_OK;
}

orsp_err orsp_bsp_unwrap_finish(orsp_bsp_unwrap *u)
{
	if (!u)
		return orsp_errf(ORSP_E_USAGE, "BPP unwrap: NULL argument");
	if (u->state == ST_FAILED)
		return orsp_errf(ORSP_E_STATE, "BPP unwrap: already failed (%s)",
		                 orsp_bsp_reason_str(u->reason));
	if (u->state != ST_DONE) {
		orsp_errf(ORSP_E_MALFORMED, "BPP: truncated while reading %s",
		          states[u->state].what);
		return structure(u);
	}
	/* the package is whole: its session keys (or the PPKs) are not needed any more */
	orsp_bsp_ctx_free(u->ctx);
	u->ctx = NULL;
	return ORSP_OK;
}
