/* BSP segment protection (SGP.22 §2.6.4.3 - §2.6.4.5, formerly SCP03t).
 *
 * One context = one key set, one MAC chain, one block counter. Every segment, '88'
 * included, uses the next counter value (SGP.22 §2.5.4: "the data block counter for ICV
 * calculation is incremented also for each segment with C-MAC only"). The state only moves
 * when a segment was completely produced or completely verified, so a failed call leaves
 * the context as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "bsp_internal.h"

#define BLOCK 16
#define MAX_SEGMENT_LIMIT 65535

struct orsp_bsp_ctx {
	orsp_aes_ecb *icv_aes; /* S-ENC key schedule, for the ICV blocks */
	orsp_aes_cmac_key *cmac; /* S-MAC, keyed once for all segments */
	uint8_t enc[ORSP_BSP_KEY_LEN];
	uint8_t mcv[BLOCK];
	uint64_t counter;
	size_t max_segment;
	size_t scratch_cap;
	/* MCV || tag || length || data: the CMAC input, built in place; also the CBC buffer. */
	uint8_t scratch[];
};

static bool tag_ok(uint8_t tag)
{
	return tag == ORSP_BSP_TAG_PPP || tag == ORSP_BSP_TAG_ENC_MAC ||
	       tag == ORSP_BSP_TAG_MAC_ONLY;
}

static bool tag_encrypts(uint8_t tag)
{
	return tag != ORSP_BSP_TAG_MAC_ONLY;
}

orsp_err orsp_bsp_ctx_new(const orsp_bsp_keys *keys, size_t max_segment, orsp_bsp_ctx **out)
{
	orsp_bsp_ctx *c = NULL;
	size_t cap;

	if (!out)
		return orsp_errf(ORSP_E_USAGE, "BSP context: NULL output");
	*out = NULL;
	if (!keys)
		return orsp_errf(ORSP_E_USAGE, "BSP context: NULL keys");
	if (keys->enc.len != ORSP_BSP_KEY_LEN || keys->mac.len != ORSP_BSP_KEY_LEN ||
	    keys->mcv.len != ORSP_BSP_KEY_LEN)
		return orsp_errf(ORSP_E_USAGE,
		                 "BSP context: keys and MCV must be 16 bytes each (%zu/%zu/%zu)",
		                 keys->enc.len, keys->mac.len, keys->mcv.len);
	if (max_segment == 0)
		max_segment = ORSP_BSP_MAX_SEGMENT;
	if (max_segment < 32 || max_segment > MAX_SEGMENT_LIMIT)
		return orsp_errf(ORSP_E_USAGE, "BSP context: max_segment %zu outside 32..%d",
		                 max_segment, MAX_SEGMENT_LIMIT);
	cap = BLOCK + max_segment;
	c = calloc(1, sizeof(*c) + cap);
	if (!c)
		return orsp_errf(ORSP_E_RESOURCE, "BSP context: out of memory");
	c->scratch_cap = cap;
	c->max_segment = max_segment;
	c->counter = 1;
	memcpy(c->enc, keys->enc.v, ORSP_BSP_KEY_LEN);
	memcpy(c->mcv, keys->mcv.v, BLOCK);
	c->icv_aes = orsp_aes_ecb_new(c->enc, ORSP_BSP_KEY_LEN);
	c->cmac = orsp_aes_cmac_key_new(keys->mac.v, ORSP_BSP_KEY_LEN);
	if (!c->icv_aes || !c->cmac) {
		orsp_bsp_ctx_free(c);
		return orsp_errf(ORSP_E_CRYPTO, "BSP context: cannot key AES");
	}
	*out = c;
	return ORSP_OK;
}

void orsp_bsp_ctx_free(orsp_bsp_ctx *c)
{
	if (!c)
		return;
	orsp_aes_ecb_free(c->icv_aes);
	orsp_aes_cmac_key_free(c->cmac);
	orsp_wipe(c, sizeof(*c) + c->scratch_cap);
	free(c);
}

uint64_t orsp_bsp_ctx_counter(const orsp_bsp_ctx *c)
{
	return c ? c->counter : 0;
}

/* Length of the data field (before the MAC) for n plaintext bytes. */
static size_t data_len(uint8_t tag, size_t n)
{
	/* §2.6.4.4: padding is always added: 80, then 0..15 zero bytes to a multiple of 16. */
	return tag_encrypts(tag) ? (n / BLOCK + 1) * BLOCK : n;
}

size_t orsp_bsp_segment_len(uint8_t tag, size_t n)
{
	size_t v;

	/* SIZE_MAX for an n whose segment would not fit a size_t (no buffer can hold it) */
	if (n > SIZE_MAX - 2 * BLOCK - ORSP_BSP_MAC_LEN - 16)
		return SIZE_MAX;
	v = data_len(tag, n) + ORSP_BSP_MAC_LEN;
	return 1 + orsp_der_len_size(v) + v;
}

/* ICV = AES-ECB(S-ENC, counter as a 16-byte big-endian block) (§2.6.4.4). */
static orsp_err make_icv(orsp_bsp_ctx *c, uint8_t icv[BLOCK])
{
	uint64_t v = c->counter;
	memset(icv, 0, BLOCK);
	for (int i = BLOCK - 1; i >= BLOCK - 8; i--) {
		icv[i] = (uint8_t)v;
		v >>= 8;
	}
	return orsp_aes_ecb_encrypt(c->icv_aes, icv, icv, 1);
}

orsp_err orsp_bsp_protect(orsp_bsp_ctx *c, uint8_t tag, const uint8_t *in, size_t n, orsp_writer *w)
{
	uint8_t icv[BLOCK], full[BLOCK];
	orsp_writer hw;
	size_t dlen, vlen, total, hlen;
	uint8_t *data;
	orsp_err e;

	if (!c || !w || (!in && n))
		return orsp_errf(ORSP_E_USAGE, "BSP protect: NULL argument");
	if (!tag_ok(tag))
		return orsp_errf(ORSP_E_USAGE, "BSP protect: tag %02X is not 86, 87 or 88", tag);
	if (n == 0)
		return orsp_errf(ORSP_E_USAGE, "BSP protect: empty segment");
	if (n > c->max_segment)
		return orsp_errf(ORSP_E_USAGE, "BSP protect: %zu bytes exceed one segment", n);
	dlen = data_len(tag, n);
	vlen = dlen + ORSP_BSP_MAC_LEN;
	total = orsp_bsp_segment_len(tag, n);
	/* The sender's side: SGP.22 §2.5.3 allows at most 1020 bytes including tag, length and
	 * MAC, the default max_segment, which orsp_bsp_bpp_build never widens. */
	if (total > c->max_segment)
		return orsp_errf(
		    ORSP_E_USAGE,
		    "BSP protect: %zu plaintext bytes make a %zu-byte segment (max %zu)", n, total,
		    c->max_segment);
	if (c->counter == UINT64_MAX)
		return orsp_errf(ORSP_E_STATE, "BSP protect: block counter exhausted");
	if (w->overflow || w->cap - w->len < total)
		return orsp_errf(ORSP_E_RESOURCE, "BSP protect: output buffer too small");

	/* scratch = MCV || tag || length || data */
	orsp_writer_init(&hw, c->scratch + BLOCK, c->scratch_cap - BLOCK);
	orsp_der_put_header(&hw, tag, vlen);
	hlen = hw.len;
	data = c->scratch + BLOCK + hlen;
	memcpy(data, in, n);
	if (tag_encrypts(tag)) {
		data[n] = 0x80;
		memset(data + n + 1, 0, dlen - n - 1);
		e = make_icv(c, icv);
		if (e == ORSP_OK)
			e = orsp_aes_cbc_encrypt(c->enc, ORSP_BSP_KEY_LEN, icv, data, dlen, data);
		if (e != ORSP_OK)
			goto out;
	}
	memcpy(c->scratch, c->mcv, BLOCK);
	/* §2.6.4.5: CMAC over MCV || tag || final length || data. */
	e = orsp_aes_cmac_key_mac(c->cmac, c->scratch, BLOCK + hlen + dlen, full);
	if (e != ORSP_OK)
		goto out;

	orsp_write_bytes(w, c->scratch + BLOCK, hlen + dlen);
	orsp_write_bytes(w, full, ORSP_BSP_MAC_LEN);
	e = orsp_writer_status(w);
	if (e != ORSP_OK)
		goto out;
	/* The next MCV is the full 16-byte CMAC, not the transmitted 8 bytes. */
	memcpy(c->mcv, full, BLOCK);
	c->counter++;
out:
	orsp_wipe(c->scratch, BLOCK + hlen + dlen);
	orsp_wipe(icv, sizeof(icv));
	orsp_wipe(full, sizeof(full));
	return e;
}

/* Remove 80 00.. padding from the last block: the 80 must lie within the last 16 bytes
 * and everything after it must be zero. Runs after the MAC verified, so its timing tells
 * nothing an attacker could not compute. */
static orsp_err unpad(const uint8_t *p, size_t n, size_t *out)
{
	size_t i = n;
	while (i > 0 && n - i < BLOCK && p[i - 1] == 0)
		i--;
	if (i == 0 || n - i >= BLOCK || p[i - 1] != 0x80)
		return orsp_errf(ORSP_E_MALFORMED, "BSP: bad padding in a verified segment");
	*out = i - 1;
	return ORSP_OK;
}

orsp_err orsp_bsp_unprotect(orsp_bsp_ctx *c, uint8_t expected_tag, orsp_slice seg, uint8_t *out,
                            size_t cap, size_t *out_len)
{
	uint8_t icv[BLOCK], full[BLOCK];
	size_t dlen, plen = 0, body;
	const uint8_t *data, *mac;
	bool enc;
	orsp_tlv t;
	orsp_err e;

	if (!c || !out_len || (!out && cap))
		return orsp_errf(ORSP_E_USAGE, "BSP unprotect: NULL argument");
	*out_len = 0;
	if (!tag_ok(expected_tag))
		return orsp_errf(ORSP_E_USAGE, "BSP unprotect: tag %02X is not 86, 87 or 88",
		                 expected_tag);
	if (c->counter == UINT64_MAX)
		return orsp_errf(ORSP_E_STATE, "BSP unprotect: block counter exhausted");
	e = orsp_der_parse_one(seg, &t);
	if (e != ORSP_OK)
		return e;
	if (t.tag != expected_tag)
		return orsp_errf(ORSP_E_MALFORMED, "BSP: segment tag %02X where %02X was expected",
		                 (unsigned)t.tag, expected_tag);
	if (seg.len > c->max_segment)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "BSP: segment of %zu bytes exceeds the %zu-byte limit (SGP.22 "
		                 "2.5.3)",
		                 seg.len, c->max_segment);
	enc = tag_encrypts(expected_tag);
	if (t.value.len < ORSP_BSP_MAC_LEN + (enc ? BLOCK : 1))
		return orsp_errf(ORSP_E_MALFORMED, "BSP: segment %02X too short (%zu bytes)",
		                 expected_tag, t.value.len);
	dlen = t.value.len - ORSP_BSP_MAC_LEN;
	if (enc && dlen % BLOCK)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "BSP: encrypted segment of %zu bytes is not whole AES blocks",
		                 dlen);
	data = t.value.p;
	mac = data + dlen;

	/* §2.6.4.5: CMAC over MCV || tag || length || data, as received. */
	body = seg.len - ORSP_BSP_MAC_LEN;
	memcpy(c->scratch, c->mcv, BLOCK);
	memcpy(c->scratch + BLOCK, seg.p, body);
	e = orsp_aes_cmac_key_mac(c->cmac, c->scratch, BLOCK + body, full);
	if (e != ORSP_OK)
		goto out;
	if (!orsp_ct_eq(full, mac, ORSP_BSP_MAC_LEN)) {
		e = orsp_errf(ORSP_E_VERIFY,
		              "BSP: C-MAC of segment %02X (counter %llu) does not "
		              "verify",
		              expected_tag, (unsigned long long)c->counter);
		goto out;
	}

	if (enc) {
		e = make_icv(c, icv);
		if (e == ORSP_OK)
			e = orsp_aes_cbc_decrypt(c->enc, ORSP_BSP_KEY_LEN, icv, data, dlen,
			                         c->scratch);
		if (e == ORSP_OK)
			e = unpad(c->scratch, dlen, &plen);
		if (e != ORSP_OK)
			goto out;
		data = c->scratch;
	} else {
		plen = dlen;
	}
	if (plen > cap) {
		e = orsp_errf(ORSP_E_RESOURCE, "BSP unprotect: %zu plaintext bytes, room for %zu",
		              plen, cap);
		goto out;
	}
	if (plen)
		memcpy(out, data, plen);
	*out_len = plen;
	memcpy(c->mcv, full, BLOCK);
	c->counter++;
out:
	orsp_wipe(c->scratch, BLOCK + body);
	orsp_wipe(icv, sizeof(icv));
	orsp_wipe(full, sizeof(full));
	return e;
}
