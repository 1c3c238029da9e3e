/* openrsp lpa: the ES10 driver — logical channel, ISD-R selection, STORE DATA chaining,
 * GET RESPONSE, and the ES10b/c functions (SGP.22 §5.7) with strict response parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lpa_internal.h"
#include "openrsp/der.h"
#include "openrsp/lpa.h"
#include "openrsp/pkg.h"

#define RAPDU_MAX 260

static uint8_t cla_for(uint8_t base, uint8_t ch)
{
	/* ETSI TS 102 221 §10.1.1: channels 0-3 in b2b1 of '0X'/'8X', 4-19 in '4X'/'CX' */
	if (ch < 4)
		return (uint8_t)(base | ch);
	return (uint8_t)((base == 0x80 ? 0xC0 : 0x40) | (ch - 4));
}

/* One exchange; 61xx answered with GET RESPONSE until the data is complete; 6Cxx repeats
 * the command with the right Le. The data goes to out (cap bytes), the final SW to *sw. The
 * copies of the command and of the answer are wiped on every return: PrepareDownload carries
 * hashCc and its answer echoes it (a short confirmation code is found from it). */
static orsp_err exchange(orsp_lpa_card *c, const uint8_t *capdu, size_t n, uint8_t *out,
                         size_t cap, size_t *olen, uint16_t *sw)
{
	uint8_t r[RAPDU_MAX], cmd[5 + 255 + 1];
	size_t rl = 0, got = 0;
	bool ran = false; /* a 61xx came: the command ran, its answer is being fetched */
	orsp_err e;

	if (n > sizeof(cmd))
		return orsp_errf(ORSP_E_USAGE, "lpa: command too long");
	memcpy(cmd, capdu, n);
	for (int guard = 0; guard < 512; guard++) {
		e = c->t.transmit(c->t.user, cmd, n, r, sizeof(r), &rl);
		if (e)
			goto out;
		if (rl < 2) {
			e = orsp_errf(ORSP_E_MALFORMED, "card: response without status word");
			goto out;
		}
		*sw = (uint16_t)(r[rl - 2] << 8 | r[rl - 1]);
		if (got + rl - 2 > cap) {
			e = orsp_errf(ORSP_E_RESOURCE, "card: response larger than %zu bytes", cap);
			goto out;
		}
		memcpy(out + got, r, rl - 2);
		got += rl - 2;
		if ((*sw >> 8) == 0x61) {
			ran = true;
			/* GET RESPONSE on the same channel */
			cmd[0] = cla_for(0x00, c->open ? c->channel : 0);
			cmd[1] = 0xC0;
			cmd[2] = cmd[3] = 0;
			cmd[4] = (uint8_t)(*sw & 0xFF);
			n = 5;
			continue;
		}
		/* 6Cxx: repeat the command just sent (the original or a GET RESPONSE) with Le = xx;
		 * only a command with an Le field (short case 2 or 4) can be repeated so */
		if ((*sw >> 8) == 0x6C && (n == 5 || (n > 5 && n == 6 + (size_t)cmd[4]))) {
			cmd[n - 1] = (uint8_t)(*sw & 0xFF);
			continue;
		}
		/* a GET RESPONSE refused after the command ran (61xx): its answer is lost (another
		 * command, on any channel, took the card's pending answer), not the command
		 * refused: the eUICC may have enabled a profile, removed a notification */
		if (ran && *sw != 0x9000 && (*sw >> 8) != 0x91) {
			e = orsp_errf(
			    ORSP_E_STATE,
			    "card: the eUICC ran the command, but its answer was lost (GET "
			    "RESPONSE: SW %04X); look at its state before trying again",
			    *sw);
			goto out;
		}
		*olen = got;
		e = ORSP_OK;
		goto out;
	}
	e = orsp_errf(ORSP_E_MALFORMED, "card: endless response chain");
out:
	orsp_wipe(cmd, sizeof(cmd));
	orsp_wipe(r, sizeof(r));
	return e;
}

orsp_err orsp_lpa_card_open(orsp_lpa_card *c, const orsp_lpa_transport *t)
{
	static const uint8_t term_cap[] = {0x80, 0xAA, 0x00, 0x00, 0x0A, 0xA9, 0x08, 0x81,
	                                   0x00, 0x82, 0x01, 0x01, 0x83, 0x01, 0x07};
	static const uint8_t manage[] = {0x00, 0x70, 0x00, 0x00, 0x01};
	uint8_t out[300], sel[5 + 16 + 1];
	char detail[256];
	size_t ol = 0;
	uint16_t sw = 0;
	orsp_err e;

	if (!c || !t || !t->transmit)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	memset(c, 0, sizeof(*c));
	c->t = *t;
	/* TERMINAL CAPABILITY (eUICC-related support); a card without it answers 6D00. */
	if ((e = exchange(c, term_cap, sizeof(term_cap), out, sizeof(out), &ol, &sw)))
		return e;
	if ((e = exchange(c, manage, sizeof(manage), out, sizeof(out), &ol, &sw)))
		return e;
	if (sw != 0x9000 || ol != 1 || out[0] == 0 || out[0] > 19)
		return orsp_errf(ORSP_E_STATE, "card: MANAGE CHANNEL refused (SW %04X)", sw);
	c->channel = out[0];
	c->open = true;
	sel[0] = cla_for(0x00, c->channel);
	sel[1] = 0xA4;
	sel[2] = 0x04;
	sel[3] = 0x00;
	sel[4] = 16;
	if ((e = orsp_hex_decode_exact(ORSP_LPA_ISDR_AID, sel + 5, 16)))
		return e;
	sel[21] = 0x00;
	if ((e = exchange(c, sel, sizeof(sel), out, sizeof(out), &ol, &sw)))
		goto fail;
	if (sw != 0x9000) {
		e = orsp_errf(ORSP_E_NOT_FOUND,
		              "card: no ISD-R (SELECT %s answered %04X): not an eUICC, or a "
		              "non-standard ISD-R AID",
		              ORSP_LPA_ISDR_AID, sw);
		goto fail;
	}
	return ORSP_OK;
fail:
	/* closing the channel talks to the card, which may replace the error detail */
	orsp_err_detail_copy(detail, sizeof(detail));
	orsp_lpa_card_close(c);
	return orsp_errf(e, "%s", detail);
}

void orsp_lpa_card_close(orsp_lpa_card *c)
{
	uint8_t cmd[5], out[8];
	size_t ol;
	uint16_t sw;

	if (!c || !c->open)
		return;
	cmd[0] = 0x00;
	cmd[1] = 0x70;
	cmd[2] = 0x80;
	cmd[3] = c->channel;
	if (exchange(c, cmd, 4, out, sizeof(out), &ol, &sw))
		orsp_err_clear();
	c->open = false;
}

/* The STORE DATA block size for card c (lpac's when none was set). */
static size_t card_mss(const orsp_lpa_card *c)
{
	return c && c->mss ? c->mss : ORSP_LPA_DEFAULT_MSS;
}

/* orsp_lpa_es10's STORE DATA blocks and their answers (its arguments checked there). */
static orsp_err es10_blocks(orsp_lpa_card *c, const uint8_t *req, size_t n, uint8_t *rsp,
                            size_t cap, size_t *rlen)
{
	size_t mss = card_mss(c), off = 0, ol = 0;
	uint8_t cmd[5 + 255 + 1];
	unsigned block = 0;
	uint16_t sw = 0;
	orsp_err e;

	do {
		size_t k = n - off > mss ? mss : n - off;
		bool last = off + k == n;
		cmd[0] = cla_for(0x80, c->channel);
		cmd[1] = 0xE2;
		cmd[2] = last ? 0x91 : 0x11;
		cmd[3] = (uint8_t)block++;
		cmd[4] = (uint8_t)k;
		memcpy(cmd + 5, req + off, k);
		cmd[5 + k] = 0x00;
		ol = 0;
		e = exchange(c, cmd, 5 + k + (last ? 1 : 0), rsp, cap, &ol, &sw);
		/* the block may hold hashCc (PrepareDownload), as exchange's copy of it */
		orsp_wipe(cmd, sizeof(cmd));
		if (e == ORSP_E_RESOURCE)
			return orsp_errf(
			    e,
			    "card: the answer to %02X%02X is larger than the %zu bytes the "
			    "LPA takes",
			    req[0], n > 1 ? req[1] : 0, cap);
		if (e)
			return e;
		c->last_sw = sw;
		/* 91XX: normal ending with a proactive command pending (ETSI TS 102 221
		 * §10.2.1.1), e.g. a REFRESH after EnableProfile with refreshFlag. The answer is
		 * the data; the LPA does not FETCH it (the modem's job, as with lpac). */
		if (sw != 0x9000 && (sw >> 8) != 0x91) {
			const char *why = c->t.detail ? c->t.detail(c->t.user) : NULL;
			bool has = why && why[0];
			return orsp_errf(ORSP_E_STATE,
			                 "card refused STORE DATA block %u (SW %04X%s%s)",
			                 block - 1, sw, has ? ": " : "", has ? why : "");
		}
		off += k;
	} while (off < n);
	*rlen = ol;
	return ORSP_OK;
}

orsp_err orsp_lpa_es10(orsp_lpa_card *c, const uint8_t *req, size_t n, uint8_t *rsp, size_t cap,
                       size_t *rlen)
{
	orsp_err e;

	if (!c || !c->open || !req || !n || !rsp || !rlen || card_mss(c) > 255)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	*rlen = 0;
	/* the block number is P2, one byte: 256 blocks at most, checked before any is sent */
	if ((n - 1) / card_mss(c) >= 256)
		return orsp_errf(
		    ORSP_E_RESOURCE,
		    "card: the request %02X%02X of %zu bytes needs more than 256 STORE "
		    "DATA blocks of %zu bytes (the block number is one byte); nothing "
		    "was sent",
		    req[0], n > 1 ? req[1] : 0, n, card_mss(c));
	/* the card held for the function's APDUs (orsp_lpa_transport.begin) */
	if (c->t.begin && (e = c->t.begin(c->t.user)))
		return e;
	e = es10_blocks(c, req, n, rsp, cap, rlen);
	if (c->t.begin && c->t.end)
		c->t.end(c->t.user);
	return e;
}

/* One ES10 call whose response must be exactly one TLV with the request's tag. */
static orsp_err call(orsp_lpa_card *c, const uint8_t *req, size_t n, uint8_t *rsp, size_t cap,
                     orsp_tlv *out)
{
	size_t rl = 0;
	uint32_t tag = n >= 2 ? (uint32_t)(req[0] << 8 | req[1]) : 0;
	orsp_err e = orsp_lpa_es10(c, req, n, rsp, cap, &rl);

	if (e)
		return e;
	if (orsp_der_parse_one(orsp_slice_make(rsp, rl), out) || out->tag != tag ||
	    orsp_der_validate(out->raw, 16))
		return orsp_errf(ORSP_E_MALFORMED, "card: malformed response to %04X", (unsigned)tag);
	return ORSP_OK;
}

/* call() with an answer buffer of cap bytes from the heap (answers that grow with what the
 * card holds are too large for a stack); *rsp the caller's to free, also on an error. Never
 * shared: two threads, each with its own card, do not meet. */
static orsp_err call_alloc(orsp_lpa_card *c, const uint8_t *req, size_t n, size_t cap,
                           uint8_t **rsp, orsp_tlv *out)
{
	if (!(*rsp = malloc(cap)))
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	return call(c, req, n, *rsp, cap, out);
}

orsp_err orsp_lpa_get_eid(orsp_lpa_card *c, char eid[33])
{
	static const uint8_t req[] = {0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A};
	uint8_t rsp[64];
	orsp_tlv t, f;

	orsp_err e = call(c, req, sizeof(req), rsp, sizeof(rsp), &t);
	if (e)
		return e;
	if (lpa_first_field(t.value, &f) || f.tag != 0x5A || f.value.len != 16)
		return orsp_errf(ORSP_E_MALFORMED, "card: GetEID answer without a 16-byte EID");
	e = orsp_hex_encode(f.value.p, 16, eid, 33);
	for (int i = 0; !e && i < 32; i++)
		if (eid[i] >= 'a')
			eid[i] = (char)(eid[i] - 'a' + 'A');
	return e;
}

/* Room for answers that grow with what the card holds. GetProfilesInfo without a tag list
 * returns every field: per profile up to about 1.4 KiB with names and a 1024-byte icon
 * (SGP.22 ProfileInfo), more with notificationConfigurationInfo; ListNotification about 290
 * bytes per notification with a 255-byte address. */
#define PROFILES_ANSWER_MAX (64 * 1024)
#define NOTIFICATIONS_ANSWER_MAX (32 * 1024)

/* GetProfilesInfo (req, req_len: the request, with its search criteria and tag list if
 * any): the first cap into out, *n of them; out NULL: *n counts them all (each read as a
 * copy would be). *n is 0 on an error. */
static orsp_err profiles_list(orsp_lpa_card *c, const uint8_t *req, size_t req_len,
                              orsp_lpa_profile *out, size_t cap, size_t *n)
{
	uint8_t *rsp = NULL;
	orsp_tlv t, list;
	orsp_reader r;
	orsp_err e;

	*n = 0;
	if ((e = call_alloc(c, req, req_len, PROFILES_ANSWER_MAX, &rsp, &t)))
		goto out;
	if (orsp_der_parse_one(t.value, &list)) {
		e = orsp_errf(ORSP_E_MALFORMED, "card: GetProfilesInfo answer");
		goto out;
	}
	if (list.tag == 0x81) {
		e = orsp_errf(ORSP_E_STATE, "card: GetProfilesInfo error");
		goto out;
	}
	if (list.tag != 0xA0) {
		e = orsp_errf(ORSP_E_MALFORMED, "card: GetProfilesInfo answer");
		goto out;
	}
	orsp_reader_init(&r, list.value.p, list.value.len);
	while (orsp_reader_remaining(&r)) {
		orsp_tlv pi, f;
		orsp_reader fr;
		orsp_lpa_profile *p, counted;
		bool has_ppr = false;
		unsigned seen = 0;
		if (orsp_der_read(&r, &pi) || pi.tag != 0xE3) {
			e = orsp_errf(ORSP_E_MALFORMED, "card: ProfileInfo");
			goto out;
		}
		if (out && *n == cap)
			break;
		p = out ? &out[*n] : &counted; /* counting: each read all the same */
		(*n)++;
		memset(p, 0, sizeof(*p));
		p->profile_class = 2; /* DEFAULT operational */
		p->state_unknown = true; /* until a profileState of v2.2's is read */
		orsp_reader_init(&fr, pi.value.p, pi.value.len);
		while (orsp_reader_remaining(&fr)) {
			uint64_t v = 0;
			if (orsp_der_read(&fr, &f)) {
				e = orsp_errf(ORSP_E_MALFORMED, "card: ProfileInfo field");
				goto out;
			}
			/* the fields shown and acted on, each once: never the last of two (an
			 * ICCID or a state the card sent beside another; until session 57) */
			{
				static const uint32_t once[] = {0x5A, 0x4F, 0x9F70, 0x90,
				                                0x91, 0x92, 0x95};
				if ((e = lpa_field_once(&seen, f.tag, once, ORSP_ARRAY_LEN(once),
				                        "ProfileInfo")))
					goto out;
			}
			if (f.tag == 0x5A && f.value.len == 10) {
				if (orsp_iccid_decode_ef(f.value.p, p->iccid))
					snprintf(p->iccid, sizeof(p->iccid), "?");
			} else if (f.tag == 0x4F && f.value.len <= 16) {
				memcpy(p->aid, f.value.p, f.value.len);
				p->aid_len = f.value.len;
			} else if (f.tag == 0x9F70 && !orsp_der_uint(f.value, &v) && v <= 1) {
				/* another value, or none, was shown as disabled (until session
				 * 68) */
				p->enabled = v == 1;
				p->state_unknown = false;
			} else if (f.tag == 0x90) {
				lpa_text_copy(f.value, p->nickname, sizeof(p->nickname));
			} else if (f.tag == 0x91) {
				lpa_text_copy(f.value, p->spn, sizeof(p->spn));
			} else if (f.tag == 0x92) {
				lpa_text_copy(f.value, p->name, sizeof(p->name));
			} else if (f.tag == 0x95) {
				/* a class SGP.22 v2.2 does not define is shown as such, never as
				 * the DEFAULT (operational), which only an absent one is */
				p->profile_class =
				    !orsp_der_uint(f.value, &v) && v <= 2 ? (int)v : -1;
			} else if (f.tag == 0x99) {
				/* shown, not acted on: lenient as the names, but a malformed (or
				 * repeated) value is rules unknown, never a profile without any */
				if (has_ppr || lpa_ppr_bits(f.value, &p->ppr) != ORSP_OK) {
					p->ppr = 0;
					p->ppr_unreadable = true;
				}
				has_ppr = true;
			}
		}
	}
out:
	free(rsp);
	if (e)
		*n = 0;
	return e;
}

/* GetProfilesInfo of every profile, every field */
static const uint8_t profiles_all[] = {0xBF, 0x2D, 0x00};

orsp_err orsp_lpa_profiles(orsp_lpa_card *c, orsp_lpa_profile *out, size_t cap, size_t *n)
{
	*n = 0;
	if (!out)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	return profiles_list(c, profiles_all, sizeof(profiles_all), out, cap, n);
}

orsp_err orsp_lpa_profile_count(orsp_lpa_card *c, size_t *n)
{
	return profiles_list(c, profiles_all, sizeof(profiles_all), NULL, 0, n);
}

bool lpa_profile_held(orsp_lpa_card *c, const char *iccid)
{
	uint8_t req[32], ef[10];
	orsp_lpa_profile *list = NULL;
	orsp_writer w;
	orsp_der_mark m, sc;
	size_t n = 0;
	bool held = false;

	if (orsp_iccid_encode_ef_unchecked(iccid, ef)) {
		orsp_err_clear();
		return false;
	}
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF2D);
	sc = orsp_der_begin(&w, 0xA0);
	orsp_der_put_tlv(&w, 0x5A, ef, sizeof(ef));
	orsp_der_end(&w, sc);
	orsp_der_put_tlv(&w, 0x5C, "\x5A", 1); /* tagList: the ICCID */
	orsp_der_end(&w, m);
	/* an eUICC that ignores the criteria lists every profile: each compared */
	if (!orsp_writer_status(&w) && (list = calloc(ORSP_LPA_MAX_PROFILES, sizeof(*list))) &&
	    profiles_list(c, req, w.len, list, ORSP_LPA_MAX_PROFILES, &n) == ORSP_OK)
		for (size_t i = 0; !held && i < n; i++)
			held = strcmp(list[i].iccid, iccid) == 0;
	orsp_err_clear();
	free(list);
	return held;
}

/* A profile identifier as its TLV value: an ICCID (19-20 digits) as EF.ICCID's 10 bytes,
 * tag 5A, or an ISD-P AID (5..16 bytes in hex), tag 4F, into b[16], *tag and *len. The
 * ICCID's last digit is not checked: SGP.22 types Iccid as OCTET STRING (SIZE(10)), profiles
 * exist whose ICCID has no Luhn check digit, and the LPA lists them as they are. */
static orsp_err parse_id(const char *id, uint8_t b[16], uint32_t *tag, size_t *len)
{
	size_t n = strlen(id);

	if ((n == 19 || n == 20) && strspn(id, "0123456789") == n) {
		if (orsp_iccid_encode_ef_unchecked(id, b))
			return orsp_errf(ORSP_E_USAGE, "%s: not an ICCID", id);
		*tag = 0x5A;
		*len = 10;
		return ORSP_OK;
	}
	/* digits only and not 19-20 of them: an ICCID of another length (18), never an ISD-P
	 * AID (SGP.22's begin A000000559): it went out as an AID, and the answer was "no such
	 * profile" (until session 57) */
	if (n && strspn(id, "0123456789") == n)
		return orsp_errf(ORSP_E_USAGE,
		                 "%s: an ICCID of %zu digits: give one of 19-20 digits, or the "
		                 "profile's ISD-P AID (hex: isdpAid in profile list --json)",
		                 id, n);
	if (n >= 10 && n <= 32 && n % 2 == 0 && orsp_hex_decode_exact(id, b, n / 2) == ORSP_OK) {
		*tag = 0x4F;
		*len = n / 2;
		return ORSP_OK;
	}
	return orsp_errf(ORSP_E_USAGE, "%s: give an ICCID (19-20 digits) or an ISD-P AID (hex)", id);
}

orsp_err orsp_lpa_iccid_check(const char *iccid)
{
	uint8_t b[10];

	if (!iccid)
		return orsp_errf(ORSP_E_USAGE, "lpa: no ICCID");
	if (orsp_iccid_encode_ef_unchecked(iccid, b))
		return orsp_errf(ORSP_E_USAGE, "%s: give an ICCID (19-20 digits)", iccid);
	return ORSP_OK;
}

/* e from the eUICC about profile id: a "no such profile" for an ICCID whose last digit is
 * not its Luhn check digit says so, as the likely reason (a digit mistyped); the ICCID was
 * sent as given all the same, being one a profile may have. */
static orsp_err id_not_found(const char *id, orsp_err e)
{
	size_t n = strlen(id);
	int want;
	char detail[200];

	if (e != ORSP_E_NOT_FOUND || (n != 19 && n != 20) || strspn(id, "0123456789") != n ||
	    (want = orsp_luhn_digit(id, n - 1)) == id[n - 1] - '0')
		return e;
	orsp_err_detail_copy(detail, sizeof(detail));
	return orsp_errf(e,
	                 "%s (the ICCID's last digit is not its Luhn check digit, %d: mistyped?)",
	                 detail, want);
}

orsp_err orsp_lpa_profile_id_check(const char *id)
{
	uint8_t b[16];
	uint32_t tag;
	size_t len;

	if (!id)
		return orsp_errf(ORSP_E_USAGE, "lpa: no profile identifier");
	return parse_id(id, b, &tag, &len);
}

static orsp_err put_id(orsp_writer *w, const char *id)
{
	uint8_t b[16];
	uint32_t tag;
	size_t len;
	orsp_err e = parse_id(id, b, &tag, &len);

	if (e)
		return e;
	orsp_der_put_tlv(w, tag, b, len);
	return ORSP_OK;
}

/* At most this many addresses named by lpa_pending_addresses, the rest "and others" */
#define PENDING_ADDRESSES_NAMED 3

void lpa_pending_addresses(orsp_lpa_card *c, char *out, size_t cap, char *cmd, size_t cmd_cap)
{
	orsp_lpa_notification *no = NULL;
	size_t n = 0, *first = NULL, *count, nd = 0, len = 0;

	out[0] = '\0';
	snprintf(cmd, cmd_cap, "`openrsp lpa notification remove --address ADDRESS`");
	/* the whole list: the first 32 until session 74, which named only their addresses */
	if (orsp_lpa_notifications_all(c, &no, &n) != ORSP_OK || !n ||
	    !(first = calloc(2 * n, sizeof(*first)))) {
		orsp_err_clear();
		free(no);
		return;
	}
	count = first + n;
	/* distinct addresses in the order first listed, compared as SGP.22 compares them */
	for (size_t i = 0; i < n; i++) {
		size_t d = 0;
		while (d < nd && strcasecmp(no[first[d]].address, no[i].address) != 0)
			d++;
		if (d == nd) {
			first[nd] = i;
			count[nd++] = 0;
		}
		count[d]++;
	}
	for (size_t d = 0; d < nd && d < PENDING_ADDRESSES_NAMED && len < cap; d++) {
		int k = snprintf(out + len, cap - len, "%s%zu for %s", d ? ", " : "", count[d],
		                 no[first[d]].address);
		len += k > 0 ? (size_t)k : 0;
	}
	if (nd > PENDING_ADDRESSES_NAMED && len < cap)
		snprintf(out + len, cap - len, ", and for %zu other addresses",
		         nd - PENDING_ADDRESSES_NAMED);
	/* one address, a host name (so nothing in it a shell would act on when pasted) */
	if (nd == 1 && orsp_lpa_address_ok(no[0].address))
		snprintf(cmd, cmd_cap, "`openrsp lpa notification remove --address %s`",
		         no[0].address);
	free(first);
	free(no);
}

/* undefinedError from an enable, disable, delete or memory reset: with notifications
 * pending, a list without room for the operation's notifications is a likely cause (an
 * eUICC that must record them and has no room refuses it; openrsp's does: an enable that
 * disables another profile may need two places, so the list need not be full): the message
 * says how many there are, for which SM-DP+ addresses, and what to do, including the way
 * out when an SM-DP+ keeps refusing its notifications (a notification is never dropped
 * unasked, so until it is removed no change goes through). The caller's label names the
 * operation: the message does not. */
orsp_err lpa_undefined_error(orsp_lpa_card *c)
{
	size_t n = 0;
	char addrs[900], cmd[400];

	if (orsp_lpa_notification_count(c, &n) != ORSP_OK)
		n = 0;
	orsp_err_clear();
	if (!n)
		return orsp_errf(ORSP_E_STATE, "the eUICC answered undefinedError (127)");
	lpa_pending_addresses(c, addrs, sizeof(addrs), cmd, sizeof(cmd));
	return orsp_errf(ORSP_E_STATE,
	                 "the eUICC answered undefinedError (127) with %zu notification%s "
	                 "pending%s%s%s: its notification list likely has no room for this "
	                 "change's notifications (an eUICC refuses a change it could not "
	                 "record): deliver %s (`openrsp lpa notification process`) or remove "
	                 "%s, then try again; those of an SM-DP+ that keeps refusing them: %s "
	                 "removes them unsent",
	                 n, n == 1 ? "" : "s", addrs[0] ? " (" : "", addrs, addrs[0] ? ")" : "",
	                 n == 1 ? "it" : "them", n == 1 ? "it" : "some", cmd);
}

/* The way past a profile's policy rules that the end user has: the eUICC refuses to disable
 * a PPR1 profile (or enable another while it is enabled) and to delete a PPR2 one, and only
 * eUICCMemoryReset of the operational profiles deletes them whatever their rules (SGP.22
 * §3.3.2); the message names that command and that it takes every operational profile. */
#define POLICY_WAY_OUT                                                                             \
	": only a memory reset of the eUICC's operational profiles removes it (`openrsp lpa chip " \
	"reset --operational --yes`), and that deletes every operational profile on the eUICC"

/* disallowedByPolicy of what (enable, disable, delete), the rule named */
static orsp_err policy_refusal(const char *what)
{
	if (!strcmp(what, "enable"))
		return orsp_errf(
		    ORSP_E_POLICY,
		    "the enabled profile's policy rules forbid disabling it, as "
		    "enabling another profile would (PPR1, disallowedByPolicy)" POLICY_WAY_OUT);
	if (!strcmp(what, "disable"))
		return orsp_errf(ORSP_E_POLICY, "the profile's policy rules forbid disabling it "
		                                "(PPR1, disallowedByPolicy)" POLICY_WAY_OUT);
	if (!strcmp(what, "delete"))
		return orsp_errf(ORSP_E_POLICY, "the profile's policy rules forbid deleting it "
		                                "(PPR2, disallowedByPolicy)" POLICY_WAY_OUT);
	return orsp_errf(ORSP_E_POLICY, "disallowed by the profile policy rules");
}

/* The result of a profile operation (SGP.22 §5.7.16-18, §5.7.21), in words without the
 * operation's name (the caller's label has it); c: the card of an enable, disable or
 * delete, which record a notification (NULL for the others). */
static orsp_err result_of(orsp_lpa_card *c, const char *what, const orsp_tlv *t)
{
	orsp_tlv f;
	uint64_t v = 127;

	/* the result first; fields a later version adds after it are skipped: the card has
	 * acted, and its answer is not "malformed" for them */
	if (lpa_first_field(t->value, &f) || f.tag != 0x80 || orsp_der_uint(f.value, &v))
		return orsp_errf(ORSP_E_MALFORMED, "card: %s answer", what);
	switch (v) {
	case 0:
		return ORSP_OK;
	case 1:
		return orsp_errf(ORSP_E_NOT_FOUND, "no such profile on the eUICC");
	case 2: /* profileNotInDisabledState (enable, delete), profileNotInEnabledState */
		if (!strcmp(what, "delete"))
			return orsp_errf(ORSP_E_STATE, "the profile is enabled: disable it first "
			                               "(profileNotInDisabledState)");
		if (!strcmp(what, "enable"))
			return orsp_errf(ORSP_E_STATE, "the profile is enabled already "
			                               "(profileNotInDisabledState)");
		if (!strcmp(what, "disable"))
			return orsp_errf(ORSP_E_STATE, "the profile is disabled already "
			                               "(profileNotInEnabledState)");
		return orsp_errf(ORSP_E_STATE, "the profile is not in the required state");
	case 3: /* disallowedByPolicy: PPR1 (no disabling) or PPR2 (no deletion) */
		return policy_refusal(what);
	case 4:
		return orsp_errf(ORSP_E_STATE, "wrong profile re-enabling");
	case 5:
		return orsp_errf(ORSP_E_STATE, "the card is busy (catBusy)");
	case 127:
		/* the eUICC's own reason, when the transport has it (the in-process eUICC's:
		 * an enable of a profile whose stored records do not authenticate) */
		if (c && c->t.detail) {
			const char *why = c->t.detail(c->t.user);
			if (why && why[0])
				return orsp_errf(ORSP_E_STATE,
				                 "the eUICC answered undefinedError (127): %s",
				                 why);
		}
		if (c) /* an operation that records a notification */
			return lpa_undefined_error(c);
		return orsp_errf(ORSP_E_STATE, "the eUICC answered undefinedError (127)");
	default:
		return orsp_errf(ORSP_E_STATE, "the eUICC answered error %llu",
		                 (unsigned long long)v);
	}
}

static orsp_err state_change(orsp_lpa_card *c, uint32_t tag, const char *what, const char *id)
{
	uint8_t req[64], rsp[64];
	orsp_writer w;
	orsp_der_mark m, pid;
	orsp_tlv t;
	orsp_err e;

	if (!c || !id)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, tag);
	if (tag == 0xBF33) {
		if ((e = put_id(&w, id)))
			return e;
	} else {
		/* profileIdentifier [0] CHOICE { isdpAid 4F | iccid 5A }, refreshFlag [1] */
		pid = orsp_der_begin(&w, 0xA0);
		if ((e = put_id(&w, id)))
			return e;
		orsp_der_end(&w, pid);
		orsp_der_put_tlv(&w, 0x81, "\xFF", 1);
	}
	orsp_der_end(&w, m);
	if ((e = orsp_writer_status(&w)) || (e = call(c, req, w.len, rsp, sizeof(rsp), &t)))
		return e;
	return id_not_found(id, result_of(c, what, &t));
}

orsp_err orsp_lpa_enable(orsp_lpa_card *c, const char *id)
{
	return state_change(c, 0xBF31, "enable", id);
}

orsp_err orsp_lpa_disable(orsp_lpa_card *c, const char *id)
{
	return state_change(c, 0xBF32, "disable", id);
}

orsp_err orsp_lpa_delete(orsp_lpa_card *c, const char *id)
{
	return state_change(c, 0xBF33, "delete", id);
}

orsp_err orsp_lpa_nickname_check(const char *nickname)
{
	size_t n = strlen(nickname), chars = 0;

	for (size_t i = 0, k; i < n; i += k, chars++) {
		uint32_t cp = 0;
		k = orsp_utf8_seq((const uint8_t *)nickname + i, n - i, &cp);
		if (k == 0)
			return orsp_errf(ORSP_E_USAGE, "not UTF-8 at byte %zu", i + 1);
		if (orsp_utf8_is_control(cp))
			return orsp_errf(ORSP_E_USAGE, "control character U+%04X at byte %zu",
			                 (unsigned)cp, i + 1);
	}
	if (chars > ORSP_LPA_NAME_CHARS)
		return orsp_errf(ORSP_E_USAGE, "%zu characters, at most %d", chars,
		                 ORSP_LPA_NAME_CHARS);
	return ORSP_OK;
}

orsp_err orsp_lpa_set_nickname(orsp_lpa_card *c, const char *iccid, const char *nickname)
{
	uint8_t req[32 + ORSP_LPA_NAME_BUF], rsp[32], b[10];
	orsp_writer w;
	orsp_der_mark m;
	orsp_tlv t;
	size_t n = nickname ? strlen(nickname) : 0;
	orsp_err e;

	if (!c || !iccid || !nickname)
		return orsp_errf(ORSP_E_USAGE, "nickname: missing arguments");
	if ((e = orsp_lpa_nickname_check(nickname)))
		return e;
	if ((e = orsp_lpa_iccid_check(iccid)) || (e = orsp_iccid_encode_ef_unchecked(iccid, b)))
		return e;
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF29);
	orsp_der_put_tlv(&w, 0x5A, b, 10);
	orsp_der_put_tlv(&w, 0x90, nickname, n);
	orsp_der_end(&w, m);
	if ((e = orsp_writer_status(&w)) || (e = call(c, req, w.len, rsp, sizeof(rsp), &t)))
		return e;
	return id_not_found(iccid, result_of(NULL, "nickname", &t));
}

/* ListNotification's answer (v, its BF28's value): the first cap into out, *n of them; out
 * NULL: *n counts them all (each read as a copy would be). *n is 0 on an error. */
static orsp_err notifications_parse(orsp_slice v, orsp_lpa_notification *out, size_t cap, size_t *n)
{
	orsp_tlv list;
	orsp_reader r;
	orsp_err e = ORSP_OK;

	*n = 0;
	if (orsp_der_parse_one(v, &list) || (list.tag != 0xA0 && list.tag != 0x81)) {
		e = orsp_errf(ORSP_E_MALFORMED, "card: ListNotification answer");
		goto out;
	}
	if (list.tag == 0x81) {
		e = orsp_errf(ORSP_E_STATE, "card: ListNotification error");
		goto out;
	}
	orsp_reader_init(&r, list.value.p, list.value.len);
	while (orsp_reader_remaining(&r)) {
		orsp_tlv m, f;
		orsp_reader fr;
		orsp_lpa_notification *no, counted;
		unsigned seen = 0; /* lpa_field_once: seqNumber, operation, address, iccid */
		if (orsp_der_read(&r, &m) || m.tag != 0xBF2F) {
			e = orsp_errf(ORSP_E_MALFORMED, "card: NotificationMetadata");
			goto out;
		}
		if (out && *n == cap)
			break;
		no = out ? &out[*n] : &counted; /* counting: each read all the same */
		(*n)++;
		memset(no, 0, sizeof(*no));
		orsp_reader_init(&fr, m.value.p, m.value.len);
		while (orsp_reader_remaining(&fr)) {
			if (orsp_der_read(&fr, &f)) {
				e = orsp_errf(ORSP_E_MALFORMED, "card: NotificationMetadata field");
				goto out;
			}
			/* each once (bits 0-2 the mandatory fields): never the last of two, the
			 * seqNumber removed or the address sent to being another than the
			 * first's, as for ProfileInfo */
			{
				static const uint32_t once[] = {0x80, 0x81, 0x0C, 0x5A};
				if ((e = lpa_field_once(&seen, f.tag, once, ORSP_ARRAY_LEN(once),
				                        "NotificationMetadata")))
					goto out;
			}
			if (f.tag == 0x80 && orsp_der_uint(f.value, &no->seq)) {
				e = orsp_errf(ORSP_E_MALFORMED, "card: seqNumber");
				goto out;
			}
			if (f.tag == 0x81) {
				/* profileManagementOperation: DER, its unused bits zero */
				uint8_t b = 0;
				size_t nbits;
				if (orsp_der_bits_octet(f.value, &b, &nbits)) {
					orsp_err_clear();
					e = orsp_errf(ORSP_E_MALFORMED,
					              "card: NotificationMetadata: the"
					              " profileManagementOperation is not a DER BIT"
					              " STRING");
					goto out;
				}
				snprintf(no->event, sizeof(no->event), "%s",
				         b & 0x80   ? "install"
				         : b & 0x40 ? "enable"
				         : b & 0x20 ? "disable"
				         : b & 0x10 ? "delete"
				                    : "unknown");
			}
			if (f.tag == 0x0C)
				lpa_text_copy(f.value, no->address, sizeof(no->address));
			if (f.tag == 0x5A && f.value.len == 10 && orsp_iccid_decode_ef(f.value.p, no->iccid))
				no->iccid[0] = '\0';
		}
		/* NotificationMetadata: seqNumber, profileManagementOperation and
		 * notificationAddress are mandatory; without one it would be listed (and removed)
		 * as seqNumber 0, an empty event or address the card did not give */
		if ((seen & 7) != 7) {
			e = orsp_errf(ORSP_E_MALFORMED,
			              "card: NotificationMetadata without its seqNumber, "
			              "profileManagementOperation or notificationAddress");
			goto out;
		}
	}
out:
	if (e)
		*n = 0;
	return e;
}

static const uint8_t list_notification[] = {0xBF, 0x28, 0x00};

/* ListNotification: the first cap into out, *n of them; out NULL: *n counts them all. *n
 * is 0 on an error. */
static orsp_err notifications_list(orsp_lpa_card *c, orsp_lpa_notification *out, size_t cap,
                                   size_t *n)
{
	uint8_t *rsp = NULL;
	orsp_tlv t;
	orsp_err e;

	*n = 0;
	if (!(e = call_alloc(c, list_notification, sizeof(list_notification),
	                     NOTIFICATIONS_ANSWER_MAX, &rsp, &t)))
		e = notifications_parse(t.value, out, cap, n);
	free(rsp);
	return e;
}

orsp_err orsp_lpa_notifications_all(orsp_lpa_card *c, orsp_lpa_notification **out, size_t *n)
{
	uint8_t *rsp = NULL;
	orsp_tlv t;
	size_t k = 0;
	orsp_err e;

	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	if (!c || !out || !n)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	/* one answer, counted and then copied: what is listed is one list, not two reads */
	if ((e = call_alloc(c, list_notification, sizeof(list_notification),
	                    NOTIFICATIONS_ANSWER_MAX, &rsp, &t)) ||
	    (e = notifications_parse(t.value, NULL, 0, &k)))
		goto out;
	if (k > ORSP_LPA_NOTIFICATIONS_MAX) {
		e = orsp_errf(
		    ORSP_E_RESOURCE,
		    "card: ListNotification lists %zu notifications, more than the %d the "
		    "LPA takes",
		    k, ORSP_LPA_NOTIFICATIONS_MAX);
		goto out;
	}
	if (k && !(*out = calloc(k, sizeof(**out)))) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	if ((e = notifications_parse(t.value, *out, k, n))) {
		free(*out);
		*out = NULL;
	}
out:
	free(rsp);
	return e;
}

orsp_err orsp_lpa_notifications(orsp_lpa_card *c, orsp_lpa_notification *out, size_t cap, size_t *n)
{
	*n = 0;
	if (!out)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	return notifications_list(c, out, cap, n);
}

orsp_err orsp_lpa_notification_count(orsp_lpa_card *c, size_t *n)
{
	return notifications_list(c, NULL, 0, n);
}

orsp_err orsp_lpa_notification_remove(orsp_lpa_card *c, uint64_t seq)
{
	uint8_t req[24], rsp[32];
	orsp_writer w;
	orsp_der_mark m;
	orsp_tlv t, f;
	uint64_t v = 1;
	orsp_err e;

	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF30);
	orsp_der_put_uint(&w, 0x80, seq);
	orsp_der_end(&w, m);
	if ((e = orsp_writer_status(&w)) || (e = call(c, req, w.len, rsp, sizeof(rsp), &t)))
		return e;
	if (lpa_first_field(t.value, &f) || f.tag != 0x80 || orsp_der_uint(f.value, &v))
		return orsp_errf(ORSP_E_MALFORMED, "card: NotificationSent answer");
	if (v == 1)
		return orsp_errf(ORSP_E_NOT_FOUND, "no notification %llu on the eUICC",
		                 (unsigned long long)seq);
	return v == 0 ? ORSP_OK : orsp_errf(ORSP_E_STATE, "card: NotificationSent error %llu",
	                                    (unsigned long long)v);
}

orsp_err orsp_lpa_notification_remove_address(orsp_lpa_card *c, const char *address,
                                              orsp_lpa_notification *removed, size_t cap, size_t *n)
{
	orsp_lpa_notification *no = NULL;
	size_t k = 0;
	orsp_err e = ORSP_OK;

	if (n)
		*n = 0;
	if (!c || !address || !address[0] || !n || (cap && !removed))
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	/* the whole list, once: read 32 at a time until a round removed none, those behind a
	 * full first 32 of other addresses were never reached (until session 74) */
	if ((e = orsp_lpa_notifications_all(c, &no, &k)))
		return e;
	for (size_t i = 0; i < k; i++) {
		if (strcasecmp(no[i].address, address) != 0)
			continue;
		if ((e = orsp_lpa_notification_remove(c, no[i].seq)) == ORSP_E_NOT_FOUND) {
			orsp_err_clear(); /* gone meanwhile */
			e = ORSP_OK;
			continue;
		}
		if (e) {
			e = orsp_errf(e, "notification %llu: %s (%zu removed before it)",
			              (unsigned long long)no[i].seq, orsp_err_detail(), *n);
			goto out;
		}
		if (*n < cap)
			removed[*n] = no[i];
		(*n)++;
	}
	if (!*n)
		e = orsp_errf(ORSP_E_NOT_FOUND, "no notification for %s on the eUICC", address);
out:
	free(no);
	return e;
}

/* One piece of the BPP; *got true when the eUICC answered it with data: its
 * ProfileInstallationResult, which ends the loading (SGP.22 §5.7.6: any piece may return it,
 * an error result as soon as the eUICC fails, e.g. on BF23's smdpSign). c NULL: send nothing
 * (the package's structure is being checked), only check that the piece fits in 256 STORE
 * DATA blocks of mss bytes (the block number is one byte): a piece that does not would
 * otherwise be found only once the pieces before it had gone. */
static orsp_err bpp_piece(orsp_lpa_card *c, size_t mss, const uint8_t *p, size_t n, uint8_t *pir,
                          size_t cap, size_t *rl, bool *got)
{
	orsp_err e = ORSP_OK;

	if (c)
		e = orsp_lpa_es10(c, p, n, pir, cap, rl);
	else if (n && (n - 1) / mss >= 256)
		e = orsp_errf(
		    ORSP_E_MALFORMED,
		    "bound profile package: a piece of %zu bytes (tag %02X) needs more than"
		    " 256 STORE DATA blocks of %zu bytes",
		    n, p[0], mss);
	*got = c && !e && *rl > 0;
	return e;
}

/* The parts of BoundProfilePackage (SGP.22 §2.5.5) after BF23, in the only order it allows:
 * firstSequenceOf87, sequenceOf88, secondSequenceOf87 OPTIONAL, sequenceOf86; each a
 * non-empty sequence of its one element tag. */
static const struct {
	uint32_t tag, element;
	bool optional;
	const char *name;
} bpp_parts[] = {
    {0xA0, 0x87, false, "firstSequenceOf87 (A0)"},
    {0xA1, 0x88, false, "sequenceOf88 (A1)"},
    {0xA2, 0x87, true, "secondSequenceOf87 (A2)"},
    {0xA3, 0x86, false, "sequenceOf86 (A3)"},
};
#define BPP_PARTS (sizeof(bpp_parts) / sizeof(bpp_parts[0]))

/* part against bpp_parts, the parts before *next seen already: in its place, with every
 * element checked (*next then past it), or an error naming what is wrong. */
static orsp_err bpp_part_next(const orsp_tlv *part, size_t *next)
{
	orsp_reader sr;
	orsp_tlv el;
	size_t i = *next, n = 0;

	while (i < BPP_PARTS && bpp_parts[i].tag != part->tag && bpp_parts[i].optional)
		i++;
	if (i == BPP_PARTS || bpp_parts[i].tag != part->tag) {
		for (size_t j = 0; j < BPP_PARTS; j++) {
			if (bpp_parts[j].tag != part->tag)
				continue;
			if (j < *next)
				return orsp_errf(
				    ORSP_E_MALFORMED,
				    "bound profile package: %s repeated or out of order",
				    bpp_parts[j].name);
			return orsp_errf(ORSP_E_MALFORMED, "bound profile package: no %s before %s",
			                 bpp_parts[i].name, bpp_parts[j].name);
		}
		return orsp_errf(ORSP_E_MALFORMED, "bound profile package: unexpected part");
	}
	orsp_reader_init(&sr, part->value.p, part->value.len);
	while (orsp_reader_remaining(&sr)) {
		if (orsp_der_read(&sr, &el))
			return orsp_errf(ORSP_E_MALFORMED, "bound profile package: segment");
		if (el.tag != bpp_parts[i].element)
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "bound profile package: %s holds a tag %X element, %X expected",
			    bpp_parts[i].name, (unsigned)el.tag, (unsigned)bpp_parts[i].element);
		n++;
	}
	if (!n)
		return orsp_errf(ORSP_E_MALFORMED, "bound profile package: %s is empty",
		                 bpp_parts[i].name);
	*next = i + 1;
	return ORSP_OK;
}

/* The BPP segmented as SGP.22 §2.5.5 / lpac: every piece is one ES10 command, until the
 * eUICC answers one with its ProfileInstallationResult; nothing is sent after that. c NULL:
 * only the structure is checked (every part present, in order, with its own element tags), so
 * a malformed package is refused before the eUICC got any of it (and the session can still
 * be cancelled there), each piece against the block size mss. */
static orsp_err bpp_walk(orsp_lpa_card *c, size_t mss, const uint8_t *bpp, size_t n, uint8_t *pir,
                         size_t cap, size_t *rl, bool *got)
{
	orsp_tlv top, iscr, part;
	orsp_reader r;
	size_t hdr, next = 0;
	orsp_err e;

	*got = false;
	if (orsp_der_parse_one(orsp_slice_make(bpp, n), &top) || top.tag != 0xBF36)
		return orsp_errf(ORSP_E_MALFORMED, "bound profile package: not a BF36 TLV");
	hdr = top.raw.len - top.value.len;
	orsp_reader_init(&r, top.value.p, top.value.len);
	if (orsp_der_expect(&r, 0xBF23, &iscr))
		return orsp_errf(ORSP_E_MALFORMED, "bound profile package: no BF23");
	/* 1: BF36 header together with BF23 */
	e = bpp_piece(c, mss, bpp, hdr + iscr.raw.len, pir, cap, rl, got);
	while (!e && !*got && orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &part))
			return orsp_errf(ORSP_E_MALFORMED, "bound profile package: bad part");
		if ((e = bpp_part_next(&part, &next)))
			return e;
		if (part.tag == 0xA0 || part.tag == 0xA2) {
			/* 2, 4: the whole A0 / A2 */
			e = bpp_piece(c, mss, part.raw.p, part.raw.len, pir, cap, rl, got);
		} else {
			/* 3, 5: the header alone, then each segment */
			orsp_reader sr;
			orsp_tlv seg;
			e = bpp_piece(c, mss, part.raw.p, part.raw.len - part.value.len, pir, cap,
			              rl, got);
			orsp_reader_init(&sr, part.value.p, part.value.len);
			while (!e && !*got && orsp_reader_remaining(&sr)) {
				if (orsp_der_read(&sr, &seg))
					return orsp_errf(ORSP_E_MALFORMED, "bound profile package: segment");
				e = bpp_piece(c, mss, seg.raw.p, seg.raw.len, pir, cap, rl, got);
			}
		}
	}
	while (!e && !*got && next < BPP_PARTS && bpp_parts[next].optional)
		next++;
	if (!e && !*got && next < BPP_PARTS)
		return orsp_errf(ORSP_E_MALFORMED, "bound profile package: no %s",
		                 bpp_parts[next].name);
	return e;
}

orsp_err lpa_bpp_check(const uint8_t *bpp, size_t n)
{
	size_t rl = 0;
	bool got = false;

	return bpp_walk(NULL, ORSP_LPA_DEFAULT_MSS, bpp, n, NULL, 0, &rl, &got);
}

orsp_err orsp_lpa_load_bpp(orsp_lpa_card *c, const uint8_t *bpp, size_t n, uint8_t *pir, size_t cap,
                           size_t *pir_len)
{
	size_t rl = 0;
	bool got = false;
	orsp_err e;

	if (!c || !bpp || !pir || !pir_len)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	*pir_len = 0;
	/* checked whole first, against this card's block size */
	if ((e = bpp_walk(NULL, card_mss(c), bpp, n, NULL, 0, &rl, &got)) ||
	    (e = bpp_walk(c, card_mss(c), bpp, n, pir, cap, &rl, &got)))
		return e;
	if (!got)
		return orsp_errf(ORSP_E_MALFORMED, "card: no ProfileInstallationResult");
	*pir_len = rl;
	return ORSP_OK;
}
