/* openrsp euicc: the ISD-R — ES10a/b/c (SGP.22 v2.2 §5.7), the ECASD and the ISD-Ps.
 *
 * Requests are parsed with the strict DER reader and answered with the DER writer; nothing
 * here allocates (the crypto, bsp and pkg modules called may). Persistent state is the
 * records "ecasd" (identity), "isdr" (profiles, notifications, counters), "upp.<n>",
 * "sqn.<n>", "isqn.<n>" and "pin.<n>" (package, USIM and ISIM SQN state, PIN state of ISD-P
 * number n); every
 * state change is one commit of
 * all the records it touches, so a crash leaves the old or the new state. docs/euicc.md.
 */
#include <stdio.h>
#include <string.h>

#include "openrsp/der.h"
#include "openrsp/euicc.h"
#include "openrsp/pkg.h"

enum { S_NONE = 0, S_CHAL, S_AUTH, S_PREP, S_LOAD };

static const uint8_t isdp_aid_base[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                          0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00};

/* ---------------------------------------------------------------- small helpers --------- */

static void put_str(orsp_writer *w, uint32_t tag, const char *s)
{
	orsp_der_put_tlv(w, tag, s, strlen(s));
}

static void copy_str(orsp_slice v, char *out, size_t cap)
{
	size_t n = v.len < cap ? v.len : cap - 1;
	memcpy(out, v.p, n);
	out[n] = '\0';
}

/* Whether v is well-formed UTF-8 (RFC 3629) of at most max characters and without U+0000
 * (kept as a C string): what a serviceProviderName, profileName or profileNickname must be.
 * SGP.22 sizes them in characters, so max characters take up to 4 * max bytes, which the
 * profile record's buffers hold: such a value is kept whole. */
static bool text_ok(orsp_slice v, size_t max)
{
	return orsp_utf8_string_ok(v.p, v.len, max);
}

/* The nesting a request's fields may have: the dispatcher validated the whole request to 16
 * levels, its fields are one below. */
#define REQ_DEPTH 15

/* The request SEQUENCE v whose one OPTIONAL field is of tag, into *f (*present); the rsp
 * module is EXTENSIBILITY IMPLIED, so a later version's fields after it are skipped (X.680
 * §52), each a well-formed TLV and not that field again. false when what follows does not
 * read. */
static bool opt_field(orsp_slice v, uint32_t tag, orsp_tlv *f, bool *present)
{
	orsp_reader r;
	orsp_reader_init(&r, v.p, v.len);
	*present = orsp_der_expect(&r, tag, f) == ORSP_OK;
	orsp_err_clear();
	return orsp_der_skip_extensions(&r, &tag, 1, REQ_DEPTH) == ORSP_OK;
}

/* opt_field for a field that must be there: false when it is missing too. */
static bool one_field(orsp_slice v, uint32_t tag, orsp_tlv *f)
{
	bool present;
	return opt_field(v, tag, f, &present) && present;
}

static orsp_err sign(const orsp_euicc *e, const uint8_t *m, size_t n, uint8_t sig[ORSP_EC_SIG_LEN])
{
	return orsp_ecdsa_sign(e->sk, m, n, sig);
}

/* A check of the SM-DP+'s certificate or signature that failed (e) in a command (fn) that
 * began with orsp_wipe_alloc_failures() at since: true when the eUICC failed inside rather
 * than the SM-DP+'s data, out of memory (ORSP_E_RESOURCE, or an allocation of OpenSSL's
 * failed meanwhile, which OpenSSL may drop or read as bad input), logged. The command then
 * answers as for its other internal failures, never invalidCertificate or invalidSignature,
 * which blame the SM-DP+ and which the LPA reports to it (until session 75 they did). The
 * checks' ORSP_E_RESOURCE is a failed allocation only: a value of the certificate longer
 * than the eUICC keeps is ORSP_E_MALFORMED (src/crypto/x509.c; until session 76 it was
 * ORSP_E_RESOURCE, and orsp_cert_rid's and orsp_cert_aki's results were kept out of e). */
static bool failed_inside(orsp_err e, unsigned long since, const char *fn)
{
	if (e != ORSP_E_RESOURCE && orsp_wipe_alloc_failures() == since)
		return false;
	orsp_log(ORSP_LOG_WARN,
	         "%s: the SM-DP+'s certificate or signature not checked, out of "
	         "memory: %s",
	         fn, orsp_err_detail());
	return true;
}

static orsp_euicc_profile_rec *find_profile(orsp_euicc *e, orsp_slice aid, orsp_slice iccid)
{
	for (size_t i = 0; i < ORSP_EUICC_MAX_PROFILES; i++) {
		orsp_euicc_profile_rec *p = &e->profiles[i];
		if (!p->used)
			continue;
		if (aid.p && aid.len == p->aid_len && !memcmp(aid.p, p->aid, aid.len))
			return p;
		if (iccid.p && iccid.len == 10 && !memcmp(iccid.p, p->iccid, 10))
			return p;
	}
	return NULL;
}

static orsp_euicc_profile_rec *enabled_profile(orsp_euicc *e)
{
	for (size_t i = 0; i < ORSP_EUICC_MAX_PROFILES; i++)
		if (e->profiles[i].used && e->profiles[i].enabled)
			return &e->profiles[i];
	return NULL;
}

static unsigned isdp_no(const orsp_euicc_profile_rec *p)
{
	return (unsigned)(p->aid[14] - 0x10) << 8 | p->aid[15];
}

/* ISD-P number n has the AID isdp_aid_base with 0x10 + (n >> 8), n & 0xFF as its last two
 * bytes, so n runs from 0 to 0xEFFF: past that the byte wraps and the AID would become the
 * ISD-R's (…0100), the ECASD's (…0200) or, from 0x10000, ISD-P 0's again, records included. */
#define ISDP_NUMBERS 0xF000u
/* The PprIds the Rules Authorisation Table allows (GetRAT's `05 60`), as the first octet of
 * the BIT STRING: ppr1 (0x40) and ppr2 (0x20); StoreMetadata refuses any other (reason 15) */
#define RAT_PPRS 0x60
_Static_assert(ORSP_EUICC_MAX_PROFILES < ISDP_NUMBERS, "an ISD-P number is always free");

static void rec_name(char out[16], const char *kind, const orsp_euicc_profile_rec *p)
{
	snprintf(out, 16, "%s.%u", kind, isdp_no(p));
}

/* The records an ISD-P owns besides its entry in "isdr": its package, the SQN states of its
 * USIM and ISIM and the state of its PINs. A record kind a profile gets must be listed here:
 * DeleteProfile and eUICCMemoryReset remove exactly these, and a kind left out would outlive its
 * profile (SQN state, or the package with K and OPc). "upp" first: an install that reuses a number
 * puts the package in place of that removal. */
static const char *const isdp_kinds[] = {"upp", "sqn", "isqn", "pin"};
#define ISDP_RECORDS (sizeof(isdp_kinds) / sizeof(isdp_kinds[0]))
_Static_assert(ISDP_RECORDS == ORSP_EUICC_ISDP_RECORDS, "euicc.h counts every ISD-P record kind");

/* The removal of every record of ISD-P p, for a commit: ISDP_RECORDS entries of recs, their
 * names in names; returns ISDP_RECORDS. */
static size_t isdp_removals(const orsp_euicc_profile_rec *p, char (*names)[16],
                            orsp_euicc_record *recs)
{
	for (size_t i = 0; i < ISDP_RECORDS; i++) {
		rec_name(names[i], isdp_kinds[i], p);
		recs[i] = (orsp_euicc_record){names[i], NULL, 0};
	}
	return ISDP_RECORDS;
}

/* The notification address of a profile for one NotificationEvent bit; "" none. */
static const char *event_addr(const orsp_euicc_profile_rec *p, uint8_t event)
{
	for (int i = 0; i < 4; i++)
		if (event == (uint8_t)(0x80 >> i))
			return p->notif_addr[i];
	return "";
}

/* The address a tool shows for the profile: the install one, else the first set. */
static const char *main_addr(const orsp_euicc_profile_rec *p)
{
	for (int i = 0; i < 4; i++)
		if (p->notif_addr[i][0])
			return p->notif_addr[i];
	return "";
}

_Static_assert(ORSP_EUICC_ADDR_MAX > ORSP_FQDN_MAX, "an address of an FQDN's length is kept whole");

/* notificationConfigurationInfo (the value of B6): SEQUENCE OF {profileManagementOperation
 * [0] NotificationEvent, notificationAddress [1] UTF8String}; each event gets the address of
 * the first entry that lists it (fields after the two: a later version's, skipped). The same
 * coding is kept in the profile record. False when an entry does not decode as that, or its
 * address is not UTF-8, holds a NUL or is longer than an FQDN's 253 bytes: never cut; the
 * entries before it are taken. */
static bool parse_notif_config(orsp_slice v, orsp_euicc_profile_rec *p)
{
	orsp_reader nr, cr;
	orsp_tlv c, g, a;
	uint64_t bits;
	size_t nbits;

	orsp_reader_init(&nr, v.p, v.len);
	while (orsp_reader_remaining(&nr)) {
		if (orsp_der_read(&nr, &c) || c.tag != 0x30)
			goto bad;
		orsp_reader_init(&cr, c.value.p, c.value.len);
		if (orsp_der_expect(&cr, 0x80, &g) || orsp_der_bits(g.value, &bits, &nbits) ||
		    orsp_der_expect(&cr, 0x81, &a) || a.value.len > ORSP_FQDN_MAX ||
		    !text_ok(a.value, ORSP_FQDN_MAX))
			goto bad;
		for (int i = 0; a.value.len && i < 4; i++) /* bit i: NotificationEvent i */
			if ((bits >> i & 1) && !p->notif_addr[i][0])
				copy_str(a.value, p->notif_addr[i], sizeof(p->notif_addr[i]));
	}
	return true;
bad:
	orsp_err_clear();
	return false;
}

/* profileOwner [23] OperatorID ::= SEQUENCE { mccMnc [0] OCTET STRING (SIZE(3)), gid1 [1]
 * OCTET STRING OPTIONAL, gid2 [2] OCTET STRING OPTIONAL } (B7's content v). Those three fields
 * are kept in p, their bytes only, when the gids are at most ORSP_EUICC_GID_MAX bytes (else
 * none: the profile installs without it). A field of a later version (the module's implied
 * extensibility) may only follow them, and is neither checked further nor kept. False when it
 * does not decode as that: mccMnc missing, first or not 3 bytes, a field out of order or
 * twice, one before a known one. */
static bool parse_owner(orsp_slice v, orsp_euicc_profile_rec *p)
{
	orsp_reader r;
	orsp_tlv f;
	uint8_t buf[ORSP_EUICC_OWNER_MAX];
	size_t len = 0;
	bool keep = true, later = false;
	int last = -1;

	orsp_reader_init(&r, v.p, v.len);
	while (orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &f))
			goto bad;
		if (f.tag != 0x80 && f.tag != 0x81 && f.tag != 0x82) {
			later = true; /* a later version's: after the known fields only */
			continue;
		}
		int n = (int)f.tag - 0x80;
		if (later || n <= last || (n == 0 && f.value.len != 3) || (n > 0 && last < 0))
			goto bad;
		last = n;
		if (f.value.len > ORSP_EUICC_GID_MAX || len + f.raw.len > sizeof(buf))
			keep = false;
		else {
			memcpy(buf + len, f.raw.p, f.raw.len);
			len += f.raw.len;
		}
	}
	if (last < 0)
		goto bad;
	p->owner_len = 0;
	if (keep) {
		memcpy(p->owner, buf, len);
		p->owner_len = (uint8_t)len;
	}
	return true;
bad:
	orsp_err_clear();
	return false;
}

static void put_notif_config(orsp_writer *w, const orsp_euicc_profile_rec *p)
{
	orsp_der_mark l = orsp_der_begin(w, 0xB6);

	for (int i = 0; i < 4; i++) {
		uint8_t b[2] = {0, 0};
		bool seen = false;
		orsp_der_mark e;
		if (!p->notif_addr[i][0])
			continue;
		for (int j = 0; j < i; j++)
			seen |= !strcmp(p->notif_addr[j], p->notif_addr[i]);
		if (seen) /* written with the first event that has this address */
			continue;
		/* b[0]: DER counts the bits after the last one set as unused */
		for (int j = i; j < 4; j++)
			if (!strcmp(p->notif_addr[j], p->notif_addr[i])) {
				b[1] |= (uint8_t)(0x80 >> j);
				b[0] = (uint8_t)(7 - j);
			}
		e = orsp_der_begin(w, 0x30);
		orsp_der_put_tlv(w, 0x80, b, 2);
		put_str(w, 0x81, p->notif_addr[i]);
		orsp_der_end(w, e);
	}
	orsp_der_end(w, l);
}

/* ---------------------------------------------------------------- records --------------- */

static orsp_err save_ecasd(orsp_writer *w, const orsp_euicc_identity *id, const uint8_t eid[16])
{
	orsp_der_mark m = orsp_der_begin(w, 0x30), l;

	orsp_der_put_tlv(w, 0x5A, eid, 16);
	orsp_der_put_tlv(w, 0x84, id->sk_euicc.p, id->sk_euicc.len);
	orsp_der_put_tlv(w, 0x85, id->cert_euicc.p, id->cert_euicc.len);
	orsp_der_put_tlv(w, 0x86, id->cert_eum.p, id->cert_eum.len);
	l = orsp_der_begin(w, 0xA7);
	for (size_t i = 0; i < id->n_ci; i++)
		orsp_der_put_tlv(w, 0x04, id->ci_certs[i].p, id->ci_certs[i].len);
	orsp_der_end(w, l);
	if (id->default_dp)
		put_str(w, 0x0C, id->default_dp);
	orsp_der_end(w, m);
	return orsp_writer_status(w);
}

/* The "isdr" record: counters, default address, profiles, notifications. Its largest size
 * is euicc.h's ORSP_EUICC_ENC_ISDR, asserted to fit e->rec: a field added here goes there. */
static orsp_err save_isdr(const orsp_euicc *e, orsp_writer *w)
{
	orsp_der_mark m = orsp_der_begin(w, 0x30), l;

	orsp_der_put_uint(w, 0x80, e->next_seq);
	orsp_der_put_uint(w, 0x81, e->next_isdp);
	put_str(w, 0x82, e->default_dp);
	l = orsp_der_begin(w, 0xA3);
	for (size_t i = 0; i < ORSP_EUICC_MAX_PROFILES; i++) {
		const orsp_euicc_profile_rec *p = &e->profiles[i];
		orsp_der_mark r;
		uint8_t b;
		if (!p->used)
			continue;
		r = orsp_der_begin(w, 0x30);
		orsp_der_put_tlv(w, 0x4F, p->aid, p->aid_len);
		orsp_der_put_tlv(w, 0x5A, p->iccid, 10);
		b = p->enabled;
		orsp_der_put_tlv(w, 0x81, &b, 1);
		put_str(w, 0x90, p->nickname);
		put_str(w, 0x91, p->spn);
		put_str(w, 0x92, p->name);
		orsp_der_put_uint(w, 0x95, (uint64_t)(p->profile_class < 0 ? 2 : p->profile_class));
		orsp_der_put_tlv(w, 0x99, &p->ppr, 1);
		/* 84 + 0C: what versions before the per-event addresses read (every event of 84
		 * to one address); B6: the address of each event, which they skip */
		b = 0;
		for (int k = 0; k < 4; k++)
			b |= p->notif_addr[k][0] ? (uint8_t)(0x80 >> k) : 0;
		orsp_der_put_tlv(w, 0x84, &b, 1);
		put_str(w, 0x0C, main_addr(p));
		put_notif_config(w, p);
		orsp_der_put_uint(w, 0x85, p->upp_len);
		if (p->owner_len)
			orsp_der_put_tlv(w, 0xB7, p->owner, p->owner_len);
		orsp_der_end(w, r);
	}
	orsp_der_end(w, l);
	l = orsp_der_begin(w, 0xA4);
	for (size_t i = 0; i < ORSP_EUICC_MAX_NOTIFICATIONS; i++) {
		const orsp_euicc_notification_rec *n = &e->notifs[i];
		orsp_der_mark r;
		if (!n->used)
			continue;
		r = orsp_der_begin(w, 0x30);
		orsp_der_put_uint(w, 0x80, n->seq);
		orsp_der_put_tlv(w, 0x81, &n->event, 1);
		put_str(w, 0x0C, n->addr);
		orsp_der_put_tlv(w, 0x5A, n->iccid, 10);
		orsp_der_put_tlv(w, 0x04, n->data, n->len);
		orsp_der_end(w, r);
	}
	orsp_der_end(w, l);
	if (e->load.cmd) {
		l = orsp_der_begin(w, 0xA5);
		orsp_der_put_uint(w, 0x81, (uint64_t)e->load.cmd);
		orsp_der_put_tlv(w, 0x80, e->load.tid, e->load.tid_len);
		orsp_der_put_tlv(w, 0x06, e->load.smdp_oid, e->load.smdp_oid_len);
		put_str(w, 0x0C, e->load.addr);
		orsp_der_put_tlv(w, 0x5A, e->load.iccid, 10);
		orsp_der_end(w, l);
	}
	orsp_der_end(w, m);
	return orsp_writer_status(w);
}

/* The installation in progress (save_isdr's A5) into e->load: a bppCommandId of 1, 2, 4 or 5
 * and a transactionId of 1 to 16 bytes, or it is not taken (none). */
static void read_load_rec(orsp_euicc *e, orsp_slice v)
{
	orsp_reader r;
	orsp_tlv g;
	uint64_t cmd = 0;

	memset(&e->load, 0, sizeof(e->load));
	orsp_reader_init(&r, v.p, v.len);
	while (orsp_reader_remaining(&r) && !orsp_der_read(&r, &g)) {
		if (g.tag == 0x81 && !orsp_der_uint(g.value, &cmd))
			continue;
		if (g.tag == 0x80 && g.value.len >= 1 && g.value.len <= sizeof(e->load.tid)) {
			memcpy(e->load.tid, g.value.p, g.value.len);
			e->load.tid_len = g.value.len;
		} else if (g.tag == 0x06 && g.value.len <= sizeof(e->load.smdp_oid)) {
			memcpy(e->load.smdp_oid, g.value.p, g.value.len);
			e->load.smdp_oid_len = g.value.len;
		} else if (g.tag == 0x0C)
			copy_str(g.value, e->load.addr, sizeof(e->load.addr));
		else if (g.tag == 0x5A && g.value.len == 10)
			memcpy(e->load.iccid, g.value.p, 10);
	}
	orsp_err_clear();
	if ((cmd == 1 || cmd == 2 || cmd == 4 || cmd == 5) && e->load.tid_len)
		e->load.cmd = (int)cmd;
	else
		memset(&e->load, 0, sizeof(e->load));
}

static orsp_err load_isdr(orsp_euicc *e, orsp_slice rec)
{
	orsp_tlv top, f;
	orsp_reader r;
	uint64_t v;
	size_t np = 0, nn = 0;

	if (orsp_der_parse_one(rec, &top) || top.tag != 0x30 || orsp_der_validate(top.raw, 8))
		return orsp_errf(ORSP_E_MALFORMED, "eUICC state: damaged isdr record");
	orsp_reader_init(&r, top.value.p, top.value.len);
	while (orsp_reader_remaining(&r)) {
		orsp_reader lr;
		orsp_tlv item;
		if (orsp_der_read(&r, &f))
			return orsp_errf(ORSP_E_MALFORMED, "eUICC state: isdr record");
		if (f.tag == 0x80 && !orsp_der_uint(f.value, &v))
			e->next_seq = (uint32_t)v;
		else if (f.tag == 0x81 && !orsp_der_uint(f.value, &v))
			e->next_isdp = (uint32_t)v;
		else if (f.tag == 0x82)
			copy_str(f.value, e->default_dp, sizeof(e->default_dp));
		else if (f.tag == 0xA5)
			read_load_rec(e, f.value);
		else if (f.tag == 0xA3 || f.tag == 0xA4) {
			orsp_reader_init(&lr, f.value.p, f.value.len);
			while (orsp_reader_remaining(&lr)) {
				orsp_reader fr;
				orsp_tlv g;
				if (orsp_der_read(&lr, &item) || item.tag != 0x30)
					return orsp_errf(ORSP_E_MALFORMED,
					                 "eUICC state: isdr entry");
				orsp_reader_init(&fr, item.value.p, item.value.len);
				if (f.tag == 0xA3) {
					orsp_euicc_profile_rec *p;
					uint8_t old_events = 0;
					char old_addr[ORSP_EUICC_ADDR_MAX] = "";
					bool per_event = false;
					if (np == ORSP_EUICC_MAX_PROFILES)
						return orsp_errf(ORSP_E_RESOURCE,
						                 "eUICC state: too many profiles");
					p = &e->profiles[np++];
					memset(p, 0, sizeof(*p));
					p->used = true;
					while (orsp_reader_remaining(&fr)) {
						if (orsp_der_read(&fr, &g))
							return orsp_errf(ORSP_E_MALFORMED,
							                 "eUICC state: profile");
						if (g.tag == 0x4F && g.value.len <= 16) {
							memcpy(p->aid, g.value.p, g.value.len);
							p->aid_len = (uint8_t)g.value.len;
						} else if (g.tag == 0x5A && g.value.len == 10)
							memcpy(p->iccid, g.value.p, 10);
						else if (g.tag == 0x81 && g.value.len == 1)
							p->enabled = g.value.p[0] != 0;
						else if (g.tag == 0x90)
							copy_str(g.value, p->nickname,
							         sizeof(p->nickname));
						else if (g.tag == 0x91)
							copy_str(g.value, p->spn, sizeof(p->spn));
						else if (g.tag == 0x92)
							copy_str(g.value, p->name, sizeof(p->name));
						else if (g.tag == 0x95 &&
						         !orsp_der_uint(g.value, &v))
							p->profile_class = (int8_t)v;
						else if (g.tag == 0x99 && g.value.len == 1)
							p->ppr = g.value.p[0];
						else if (g.tag == 0x84 && g.value.len == 1)
							old_events = g.value.p[0];
						else if (g.tag == 0x0C)
							copy_str(g.value, old_addr,
							         sizeof(old_addr));
						else if (g.tag == 0xB6) {
							per_event = true;
							/* written by put_notif_config, checked when
							 * it came with StoreMetadata */
							(void)parse_notif_config(g.value, p);
						} else if (g.tag == 0x85 &&
						           !orsp_der_uint(g.value, &v))
							p->upp_len = (uint32_t)v;
						else if (g.tag == 0xB7)
							/* written from what parse_owner kept */
							(void)parse_owner(g.value, p);
					}
					/* written before the per-event addresses: one for all its
					 * events */
					for (int k = 0; !per_event && old_addr[0] && k < 4; k++)
						if (old_events & (0x80 >> k))
							snprintf(p->notif_addr[k],
							         sizeof(p->notif_addr[k]), "%s",
							         old_addr);
					if (p->aid_len != 16)
						return orsp_errf(ORSP_E_MALFORMED,
						                 "eUICC state: profile AID");
				} else {
					orsp_euicc_notification_rec *n;
					if (nn == ORSP_EUICC_MAX_NOTIFICATIONS)
						return orsp_errf(
						    ORSP_E_RESOURCE,
						    "eUICC state: too many notifications");
					n = &e->notifs[nn++];
					memset(n, 0, sizeof(*n));
					n->used = true;
					while (orsp_reader_remaining(&fr)) {
						if (orsp_der_read(&fr, &g))
							return orsp_errf(
							    ORSP_E_MALFORMED,
							    "eUICC state: notification");
						if (g.tag == 0x80 && !orsp_der_uint(g.value, &v))
							n->seq = (uint32_t)v;
						else if (g.tag == 0x81 && g.value.len == 1)
							n->event = g.value.p[0];
						else if (g.tag == 0x0C)
							copy_str(g.value, n->addr, sizeof(n->addr));
						else if (g.tag == 0x5A && g.value.len == 10)
							memcpy(n->iccid, g.value.p, 10);
						else if (g.tag == 0x04 &&
						         g.value.len <= sizeof(n->data)) {
							memcpy(n->data, g.value.p, g.value.len);
							n->len = (uint16_t)g.value.len;
						}
					}
				}
			}
		}
	}
	return ORSP_OK;
}

/* Commit the isdr record together with the records of up to every ISD-P (isdp_kinds): one
 * storage commit, so a crash leaves all of it old or all of it new. */
static orsp_err commit(orsp_euicc *e, const orsp_euicc_record *extra, size_t n_extra)
{
	orsp_euicc_record recs[1 + ISDP_RECORDS * ORSP_EUICC_MAX_PROFILES];
	orsp_writer w;
	orsp_err err;

	if (n_extra > ISDP_RECORDS * ORSP_EUICC_MAX_PROFILES)
		return orsp_errf(ORSP_E_USAGE, "eUICC commit: too many records");
	orsp_writer_init(&w, e->rec, sizeof(e->rec));
	if ((err = save_isdr(e, &w)))
		return err;
	recs[0] = (orsp_euicc_record){"isdr", e->rec, w.len};
	for (size_t i = 0; i < n_extra; i++)
		recs[1 + i] = extra[i];
	if ((err = e->ops->commit(e->user, recs, 1 + n_extra)))
		return err;
	e->load_stored = e->load.cmd != 0;
	return ORSP_OK;
}

/* Load the persistent part from storage (open, and restore() after a failed commit). */
static orsp_err reload(orsp_euicc *e)
{
	size_t len = 0;
	orsp_err err;

	memset(e->profiles, 0, sizeof(e->profiles));
	memset(e->notifs, 0, sizeof(e->notifs));
	memset(&e->load, 0, sizeof(e->load));
	e->next_seq = e->next_isdp = 0;
	err = e->ops->read(e->user, "isdr", e->rec, sizeof(e->rec), &len);
	if (!err)
		err = load_isdr(e, orsp_slice_make(e->rec, len));
	e->load_stored = !err && e->load.cmd;
	return err;
}

/* ---------------------------------------------------------------- USIM of the profile --- */

/* The SQN state of the enabled profile's USIM ("sqn") or ISIM ("isqn"). */
static orsp_err persist_kind(orsp_euicc *e, const char *kind, const uint8_t *state, size_t len)
{
	orsp_euicc_profile_rec *p = enabled_profile(e);
	orsp_euicc_record r;
	char name[16];

	if (!e->open || !p)
		return orsp_errf(ORSP_E_STATE, "no enabled profile");
	rec_name(name, kind, p);
	r = (orsp_euicc_record){name, state, len};
	return e->ops->commit(e->user, &r, 1);
}

static orsp_err persist_sqn(void *user, const uint8_t *state, size_t len)
{
	return persist_kind(user, "sqn", state, len);
}

static orsp_err persist_isim_sqn(void *user, const uint8_t *state, size_t len)
{
	return persist_kind(user, "isqn", state, len);
}

static orsp_err persist_pins(void *user, const uint8_t *state, size_t len)
{
	return persist_kind(user, "pin", state, len);
}

/* Give the loaded USIM its PIN state, record "pin" of profile p (absent: the package's). */
static orsp_err pin_register(orsp_euicc *e, const orsp_euicc_profile_rec *p)
{
	uint8_t st[ORSP_USIM_PIN_STATE_MAX];
	size_t len = 0;
	char name[16];
	orsp_err err;

	rec_name(name, "pin", p);
	err = e->ops->read(e->user, name, st, sizeof(st), &len);
	if (err == ORSP_E_NOT_FOUND) {
		orsp_err_clear();
		len = 0;
		err = ORSP_OK;
	}
	if (!err)
		err = orsp_usim_pin_state(&e->usim, st, len, persist_pins, e);
	orsp_wipe(st, sizeof(st));
	return err;
}

/* Read record kind of profile p into buf (up to ORSP_USIM_SQN_STATE_MAX bytes); an absent
 * one is *len 0. */
static orsp_err read_sqn(orsp_euicc *e, const char *kind, const orsp_euicc_profile_rec *p,
                         uint8_t *buf, size_t *len)
{
	char name[16];
	orsp_err err;

	rec_name(name, kind, p);
	err = e->ops->read(e->user, name, buf, ORSP_USIM_SQN_STATE_MAX, len);
	if (err == ORSP_E_NOT_FOUND) {
		*len = 0;
		err = ORSP_OK;
		orsp_err_clear();
	}
	return err;
}

/* Register the ISIM of the loaded profile, if it has one, with its SQN state: record
 * "isqn" for an ISIM with a K of its own; one that shares the USIM's K uses the USIM's state
 * and record "sqn" (orsp_usim_isim_shares_sqn), and an "isqn" left from before is not
 * read. */
static orsp_err isim_register(orsp_euicc *e, const orsp_euicc_profile_rec *p)
{
	uint8_t sqn[ORSP_USIM_SQN_STATE_MAX], aid[16];
	size_t sl = 0, al = 0;
	orsp_err err;

	err = orsp_usim_isim_aid(&e->usim, aid, &al);
	if (err == ORSP_E_NOT_FOUND) {
		orsp_err_clear();
		return ORSP_OK; /* no PE-ISIM: no ISIM (SELECT of its AID: 6A82) */
	}
	if (!err && !orsp_usim_isim_shares_sqn(&e->usim))
		err = read_sqn(e, "isqn", p, sqn, &sl);
	if (!err)
		err = orsp_usim_isim_state(&e->usim, sqn, sl, persist_isim_sqn, e);
	orsp_wipe(sqn, sizeof(sqn));
	if (!err)
		err = orsp_euicc_apdu_register(e->apdu, aid, al, &orsp_isim_app_ops, &e->usim);
	return err;
}

/* Say why the enabled profile's USIM is not served (its upp or sqn record does not read or
 * does not authenticate: the sealed store found it damaged or tampered with; a package the
 * USIM refuses): the callers go on without it, and this is where it is reported. */
static void usim_not_served(const orsp_euicc_profile_rec *p)
{
	char detail[ORSP_ERR_DETAIL_MAX], iccid[21];

	orsp_err_detail_copy(detail, sizeof(detail));
	if (orsp_iccid_decode_ef(p->iccid, iccid))
		snprintf(iccid, sizeof(iccid), "?");
	orsp_log(ORSP_LOG_WARN, "profile %s: its USIM is not served: %s", iccid, detail);
}

/* Keep the USIM and ISIM of the enabled profile registered on the APDU context, and only
 * them. */
static orsp_err usim_sync(orsp_euicc *e)
{
	orsp_euicc_profile_rec *p = enabled_profile(e);
	uint8_t sqn[ORSP_USIM_SQN_STATE_MAX];
	size_t len = 0, sl = 0;
	char name[16];
	orsp_err err;

	if (!e->apdu)
		return ORSP_OK;
	if (e->usim_registered) {
		if (orsp_euicc_apdu_unregister(e->apdu, e->usim_aid, e->usim_aid_len))
			orsp_err_clear();
		if (e->usim.isim.loaded &&
		    orsp_euicc_apdu_unregister(e->apdu, e->usim.isim.aid, e->usim.isim.aid_len))
			orsp_err_clear();
		orsp_euicc_apdu_set_mf(e->apdu, NULL, NULL);
		orsp_usim_unload(&e->usim);
		e->usim_registered = false;
	}
	if (!p)
		return ORSP_OK;
	rec_name(name, "upp", p);
	if ((err = e->ops->read(e->user, name, e->upp, sizeof(e->upp), &len))) {
		/* a read that failed midway may have left part of the package */
		orsp_wipe(e->upp, sizeof(e->upp));
		usim_not_served(p);
		return err;
	}
	err = read_sqn(e, "sqn", p, sqn, &sl);
	if (!err)
		err = orsp_usim_load(&e->usim, e->upp, len, sqn, sl, persist_sqn, e);
	orsp_wipe(e->upp, len);
	orsp_wipe(sqn, sizeof(sqn));
	if (!err)
		err = pin_register(e, p);
	if (!err)
		err = orsp_usim_aid(&e->usim, e->usim_aid, &e->usim_aid_len);
	if (!err)
		err = orsp_euicc_apdu_register(e->apdu, e->usim_aid, e->usim_aid_len,
		                               &orsp_usim_app_ops, &e->usim);
	if (!err && isim_register(e, p) != ORSP_OK) {
		/* The ISIM's state record unreadable or damaged: the USIM stays, the profile is
		 * served without its ISIM (SELECT 6A82) until the next load. */
		orsp_log(ORSP_LOG_WARN, "profile %s: its ISIM is not served: %s", e->usim.iccid,
		         orsp_err_detail());
		orsp_err_clear();
		orsp_usim_isim_drop(&e->usim); /* its files too, as orsp_usim_load does */
	}
	if (err) {
		usim_not_served(p);
		orsp_usim_unload(&e->usim);
		return err;
	}
	orsp_euicc_apdu_set_mf(e->apdu, &orsp_usim_mf_ops, &e->usim);
	e->usim_registered = true;
	return ORSP_OK;
}

/* After a failed commit (which changed nothing stored: orsp_euicc_storage_ops) the memory
 * copy must not be trusted: back to the stored state, and the card goes on serving. If that
 * cannot be read either, the card stops serving until it is reopened (every later ES10
 * command fails, the USIM is unregistered): going on with empty tables would let the next
 * commit store them (profiles lost, upp records orphaned, sequence numbers reused). The
 * commit's error detail is kept for the failed command (the LPA's message quotes it): the
 * reload records and clears details of its own (a stored load record's reading cleared it,
 * until session 75, so that a download's every failed commit but its first lost its
 * reason). */
static void restore(orsp_euicc *e)
{
	char why[ORSP_ERR_DETAIL_MAX];

	orsp_err_detail_copy(why, sizeof(why));
	if (reload(e)) {
		memset(e->profiles, 0, sizeof(e->profiles));
		memset(e->notifs, 0, sizeof(e->notifs));
		e->open = false;
		(void)usim_sync(e); /* no enabled profile left: only unregisters */
	}
	orsp_err_clear();
	if (why[0])
		(void)orsp_errf(ORSP_E_STORAGE, "%s", why);
}

/* ---------------------------------------------------------------- open / provision ------ */

static orsp_err load_identity(orsp_euicc *e, orsp_slice rec, const orsp_euicc_identity *check)
{
	orsp_tlv top, f;
	orsp_reader r;
	orsp_cert *cert = NULL, *eum = NULL;
	orsp_ec_key *pub = NULL;
	orsp_err err = ORSP_OK;
	uint8_t a[ORSP_EC_POINT_LEN], b[ORSP_EC_POINT_LEN];

	(void)check;
	if (orsp_der_parse_one(rec, &top) || top.tag != 0x30)
		return orsp_errf(ORSP_E_MALFORMED, "eUICC state: damaged ecasd record");
	if ((err = orsp_ci_store_new(&e->cis)))
		return err;
	orsp_reader_init(&r, top.value.p, top.value.len);
	while (!err && orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &f)) {
			err = orsp_errf(ORSP_E_MALFORMED, "eUICC state: ecasd record");
			break;
		}
		if (f.tag == 0x5A && f.value.len == 16) {
			memcpy(e->eid_bin, f.value.p, 16);
			err = orsp_hex_encode(f.value.p, 16, e->eid, sizeof(e->eid));
		} else if (f.tag == 0x84) {
			err = orsp_ec_load_private(f.value.p, f.value.len, &e->sk);
		} else if (f.tag == 0x85 && f.value.len <= sizeof(e->cert)) {
			memcpy(e->cert, f.value.p, f.value.len);
			e->cert_len = f.value.len;
		} else if (f.tag == 0x86 && f.value.len <= sizeof(e->eum)) {
			memcpy(e->eum, f.value.p, f.value.len);
			e->eum_len = f.value.len;
		} else if (f.tag == 0xA7) {
			orsp_reader cr;
			orsp_tlv c;
			orsp_reader_init(&cr, f.value.p, f.value.len);
			while (!err && orsp_reader_remaining(&cr) && e->n_ci < ORSP_EUICC_MAX_CI) {
				orsp_cert *ci = NULL;
				if (orsp_der_read(&cr, &c))
					err = orsp_errf(ORSP_E_MALFORMED, "eUICC state: CI list");
				if (!err)
					err = orsp_cert_parse(c.value.p, c.value.len, &ci);
				if (!err)
					err = orsp_ci_store_add(e->cis, ci);
				if (!err)
					err = orsp_cert_ski(ci, e->ski[e->n_ci], 20,
					                    &e->ski_len[e->n_ci]);
				if (!err)
					e->n_ci++;
				orsp_cert_free(ci);
			}
		} else if (f.tag == 0x0C) {
			/* the initial value eUICCMemoryReset goes back to; the current one is in
			 * the isdr record */
			copy_str(f.value, e->factory_dp, sizeof(e->factory_dp));
			if (!e->default_dp[0])
				copy_str(f.value, e->default_dp, sizeof(e->default_dp));
		}
	}
	if (!err && (!e->sk || !e->cert_len || !e->eum_len || !e->n_ci))
		err = orsp_errf(ORSP_E_MALFORMED, "eUICC state: incomplete identity");
	/* the key belongs to CERT.EUICC, and the chain verifies (EID in the EUM's range); not
	 * its validity periods: an eUICC has no trusted clock (SGP.22 §4.5.2.2), and a host
	 * clock outside them (booted at 2000-01-01 before NTP, behind a fresh PKI, after
	 * CERT.EUICC expired) refused every command, a profile list too. Whether CERT.EUICC
	 * and CERT.EUM are valid now is the SM-DP+'s to judge (docs/euicc.md). */
	if (!err)
		err = orsp_cert_parse(e->cert, e->cert_len, &cert);
	if (!err)
		err = orsp_cert_parse(e->eum, e->eum_len, &eum);
	if (!err)
		err = orsp_cert_public_key(cert, &pub);
	if (!err)
		err = orsp_ec_public_point(pub, a);
	if (!err)
		err = orsp_ec_public_point(e->sk, b);
	if (!err && memcmp(a, b, sizeof(a)))
		err = orsp_errf(ORSP_E_USAGE, "SK.EUICC does not belong to CERT.EUICC");
	if (!err) {
		char eid[33];
		err = orsp_rsp_verify_euicc_chain_untimed(e->cis, eum, cert, eid);
		if (!err && strcasecmp(eid, e->eid) != 0)
			err = orsp_errf(ORSP_E_USAGE, "the EID is not CERT.EUICC's (%s)", eid);
		for (int i = 0; !err && i < 32; i++)
			if (e->eid[i] >= 'a')
				e->eid[i] = (char)(e->eid[i] - 'a' + 'A');
	}
	if (!err)
		err = orsp_cert_aki(eum, e->sign_ski, sizeof(e->sign_ski), &e->sign_ski_len);
	orsp_ec_free(pub);
	orsp_cert_free(cert);
	orsp_cert_free(eum);
	return err;
}

/* What provisioning checks of an identity before it looks at the store: complete, a valid
 * EID (its 16 bytes into eid), a default address the LPA downloads from, certificates that
 * fit the record. */
static orsp_err identity_args(const orsp_euicc_identity *id, uint8_t eid[16])
{
	if (!id || !id->eid || !id->sk_euicc.p || !id->cert_euicc.p || !id->cert_eum.p ||
	    !id->n_ci || id->n_ci > ORSP_EUICC_MAX_CI)
		return orsp_errf(ORSP_E_USAGE, "eUICC provision: incomplete identity");
	if (orsp_eid_check(id->eid) || orsp_hex_decode_exact(id->eid, eid, 16))
		return orsp_errf(ORSP_E_USAGE, "eUICC provision: EID %s is not valid", id->eid);
	/* the address the LPA downloads from without an activation code: a host name by the rule
	 * the LPA and the SM-DP+ follow ("" as none) */
	if (id->default_dp && id->default_dp[0] &&
	    orsp_fqdn_check(id->default_dp, strnlen(id->default_dp, ORSP_FQDN_MAX + 1)))
		return orsp_errf(ORSP_E_USAGE, "eUICC provision: default SM-DP+ address: %s",
		                 orsp_err_detail());
	if (id->cert_euicc.len > ORSP_EUICC_CERT_MAX || id->cert_eum.len > ORSP_EUICC_CERT_MAX)
		return orsp_errf(ORSP_E_USAGE, "eUICC provision: certificate too large");
	return ORSP_OK;
}

/* The ecasd record of id written into work->rec (its length into len) and loaded back from
 * there as orsp_euicc_open will load it: the key parses and belongs to CERT.EUICC, the chain
 * verifies to a CI, the EID is the certificate's. */
static orsp_err identity_build(orsp_euicc *work, const orsp_euicc_identity *id,
                               const uint8_t eid[16], size_t *len)
{
	orsp_writer w;
	orsp_err err;

	orsp_writer_init(&w, work->rec, sizeof(work->rec));
	if ((err = save_ecasd(&w, id, eid)) ||
	    (err = load_identity(work, orsp_slice_make(work->rec, w.len), id)))
		return err;
	*len = w.len;
	return ORSP_OK;
}

/* SK.EUICC (in the record and loaded) and the CI store out of work, all of it zero after. */
static void work_wipe(orsp_euicc *work)
{
	orsp_ec_free(work->sk);
	orsp_ci_store_free(work->cis);
	orsp_wipe(work, sizeof(*work));
}

orsp_err orsp_euicc_identity_check(orsp_euicc *work, const orsp_euicc_identity *id)
{
	uint8_t eid[16];
	size_t len = 0;
	orsp_err err;

	if (!work)
		return orsp_errf(ORSP_E_USAGE, "eUICC provision: no workspace");
	memset(work, 0, sizeof(*work));
	if (!(err = identity_args(id, eid)))
		err = identity_build(work, id, eid, &len);
	work_wipe(work);
	return err;
}

orsp_err orsp_euicc_provision(orsp_euicc *work, const orsp_euicc_storage_ops *ops, void *user,
                              const orsp_euicc_identity *id)
{
	/* work holds the ecasd record (SK.EUICC in it) and the identity loaded from it, which
	 * verifies it before anything is written; every return below passes out: and wipes it */
	uint8_t eid[16], buf[32 + ORSP_EUICC_ADDR_MAX];
	orsp_writer w2;
	size_t len;
	orsp_euicc_record recs[2];
	orsp_err err;

	if (!work)
		return orsp_errf(ORSP_E_USAGE, "eUICC provision: no workspace");
	memset(work, 0, sizeof(*work));
	if (!ops) {
		err = orsp_errf(ORSP_E_USAGE, "eUICC provision: incomplete identity");
		goto out;
	}
	if ((err = identity_args(id, eid)))
		goto out;
	/* read into work: an existing ecasd record, SK.EUICC included, is wiped at out: too */
	if (ops->read(user, "ecasd", work->rec, sizeof(work->rec), &len) != ORSP_E_NOT_FOUND) {
		err = orsp_errf(ORSP_E_EXISTS, "this store holds an eUICC already");
		goto out;
	}
	orsp_err_clear();
	if ((err = identity_build(work, id, eid, &len)))
		goto out;
	recs[0] = (orsp_euicc_record){"ecasd", work->rec, len};
	/* the empty isdr record after the identity: counters, the default address (at most an
	 * FQDN's 253 bytes, as SetDefaultDpAddress takes it) and two empty lists */
	memset(work->profiles, 0, sizeof(work->profiles));
	memset(work->notifs, 0, sizeof(work->notifs));
	snprintf(work->default_dp, sizeof(work->default_dp), "%s",
	         id->default_dp ? id->default_dp : "");
	work->next_seq = 1;
	work->next_isdp = 0;
	orsp_writer_init(&w2, buf, sizeof(buf));
	if ((err = save_isdr(work, &w2)))
		goto out;
	recs[1] = (orsp_euicc_record){"isdr", buf, w2.len};
	err = ops->commit(user, recs, 2);
out:
	work_wipe(work);
	return err;
}

static orsp_err settle_load(orsp_euicc *e);

orsp_err orsp_euicc_open(orsp_euicc *e, const orsp_euicc_storage_ops *ops, void *user)
{
	size_t len = 0;
	orsp_err err;

	if (!e || !ops)
		return orsp_errf(ORSP_E_USAGE, "eUICC open: bad arguments");
	memset(e, 0, sizeof(*e));
	e->ops = ops;
	e->user = user;
	err = ops->read(user, "ecasd", e->rec, sizeof(e->rec), &len);
	if (err == ORSP_E_NOT_FOUND)
		err = orsp_errf(ORSP_E_NOT_FOUND,
		                "no eUICC here (create one with openrsp euicc init)");
	if (!err)
		err = load_identity(e, orsp_slice_make(e->rec, len), NULL);
	orsp_wipe(e->rec, sizeof(e->rec));
	if (!err)
		err = reload(e);
	if (err) {
		orsp_euicc_close(e);
		return err;
	}
	e->open = true;
	/* an installation a power loss interrupted: its PIR now. If that cannot be committed,
	 * the record stays stored and the next open makes it; the card serves on, unless the
	 * state could not be read back (restore) */
	if (e->load.cmd && (err = settle_load(e))) {
		if (!e->open) {
			orsp_euicc_close(e);
			return err;
		}
		orsp_log(ORSP_LOG_WARN,
		         "eUICC open: the result of an installation interrupted by a power loss "
		         "is not stored yet (the next open tries again): %s",
		         orsp_err_detail());
		orsp_err_clear();
	}
	return ORSP_OK;
}

void orsp_euicc_close(orsp_euicc *e)
{
	if (!e)
		return;
	if (e->s.uw)
		orsp_bsp_unwrap_free(e->s.uw);
	orsp_ec_free(e->kept_otsk); /* e->s.otsk borrows it */
	orsp_ec_free(e->s.dppb);
	orsp_ec_free(e->sk);
	orsp_ci_store_free(e->cis);
	orsp_usim_unload(&e->usim);
	orsp_wipe(e, sizeof(*e));
}

const char *orsp_euicc_eid(const orsp_euicc *e)
{
	return e ? e->eid : "";
}

const char *orsp_euicc_refusal(const orsp_euicc *e)
{
	return e ? e->refusal : "";
}

size_t orsp_euicc_profile_count(const orsp_euicc *e)
{
	size_t n = 0;
	for (size_t i = 0; e && i < ORSP_EUICC_MAX_PROFILES; i++)
		n += e->profiles[i].used;
	return n;
}

orsp_err orsp_euicc_profile_get(const orsp_euicc *e, size_t i, orsp_euicc_profile_info *out)
{
	size_t k = 0;

	if (!e || !out)
		return orsp_errf(ORSP_E_USAGE, "bad arguments");
	for (size_t j = 0; j < ORSP_EUICC_MAX_PROFILES; j++) {
		const orsp_euicc_profile_rec *p = &e->profiles[j];
		if (!p->used || k++ != i)
			continue;
		memset(out, 0, sizeof(*out));
		if (orsp_iccid_decode_ef(p->iccid, out->iccid))
			snprintf(out->iccid, sizeof(out->iccid), "?");
		memcpy(out->aid, p->aid, p->aid_len);
		out->aid_len = p->aid_len;
		out->enabled = p->enabled;
		snprintf(out->name, sizeof(out->name), "%s", p->name);
		snprintf(out->spn, sizeof(out->spn), "%s", p->spn);
		snprintf(out->nickname, sizeof(out->nickname), "%s", p->nickname);
		out->profile_class = p->profile_class;
		out->ppr = p->ppr;
		snprintf(out->smdp_address, sizeof(out->smdp_address), "%s", main_addr(p));
		return ORSP_OK;
	}
	return orsp_errf(ORSP_E_NOT_FOUND, "no profile %zu", i);
}

size_t orsp_euicc_notification_count(const orsp_euicc *e)
{
	size_t n = 0;
	for (size_t i = 0; e && i < ORSP_EUICC_MAX_NOTIFICATIONS; i++)
		n += e->notifs[i].used;
	return n;
}

/* ---------------------------------------------------------------- notifications --------- */

static orsp_euicc_notification_rec *new_notification(orsp_euicc *e)
{
	for (size_t i = 0; i < ORSP_EUICC_MAX_NOTIFICATIONS; i++)
		if (!e->notifs[i].used) {
			memset(&e->notifs[i], 0, sizeof(e->notifs[i]));
			e->notifs[i].used = true;
			e->notifs[i].seq = e->next_seq++;
			return &e->notifs[i];
		}
	return NULL; /* full: the oldest are the LPA's to send first (SGP.22 §3.5) */
}

static void put_meta(orsp_writer *w, uint32_t seq, uint8_t event, const char *addr,
                     const uint8_t iccid[10])
{
	orsp_der_mark m = orsp_der_begin(w, 0xBF2F);
	uint8_t bits[2] = {(uint8_t)(event == 0x80   ? 7
	                             : event == 0x40 ? 6
	                             : event == 0x20 ? 5
	                                             : 4),
	                   event};
	static const uint8_t none[10] = {0};
	orsp_der_put_uint(w, 0x80, seq);
	orsp_der_put_tlv(w, 0x81, bits, 2);
	put_str(w, 0x0C, addr);
	/* iccid is OPTIONAL: absent when a download failed before its metadata was known */
	if (memcmp(iccid, none, 10) != 0)
		orsp_der_put_tlv(w, 0x5A, iccid, 10);
	orsp_der_end(w, m);
}

/* A signed enable/disable/delete notification, when the profile asked for it. */
static orsp_err add_other_notification(orsp_euicc *e, const orsp_euicc_profile_rec *p,
                                       uint8_t event)
{
	const char *addr = event_addr(p, event);
	orsp_euicc_notification_rec *n;
	orsp_writer w;
	uint8_t sig[ORSP_EC_SIG_LEN];
	orsp_err err;

	if (!addr[0])
		return ORSP_OK;
	n = new_notification(e);
	if (!n) /* the callers checked notif_room first */
		return orsp_errf(ORSP_E_RESOURCE, "eUICC: notification list full");
	n->event = event;
	snprintf(n->addr, sizeof(n->addr), "%s", addr);
	memcpy(n->iccid, p->iccid, 10);
	orsp_writer_init(&w, n->data, sizeof(n->data));
	put_meta(&w, n->seq, event, n->addr, n->iccid);
	if ((err = orsp_writer_status(&w)) || (err = sign(e, n->data, w.len, sig)))
		return err;
	orsp_der_put_tlv(&w, 0x5F37, sig, sizeof(sig));
	n->len = (uint16_t)w.len;
	return orsp_writer_status(&w);
}

/* The notifications event of p (NULL: none) records: 1 when p asks for one (an address), else
 * 0. */
static size_t notif_need(const orsp_euicc_profile_rec *p, uint8_t event)
{
	return p && event_addr(p, event)[0];
}

/* Whether need more notifications fit in the list. SGP.22 has every enable, disable and
 * delete the profile asks notifications for produce one (eUICCMemoryReset's deletes too), and
 * their results have no code for a full list: the operation is refused (undefinedError)
 * rather than done without its notification, until the LPA has delivered and removed some
 * (RemoveNotificationFromList). A download from PrepareDownload on holds one place for its
 * installation result (PIR, or the interruption PIR): prepare_download takes a session only
 * when there is room for it, and nothing else can take that place until the session ends. */
static bool notif_room(const orsp_euicc *e, size_t need)
{
	size_t pir_held = e->s.step == S_PREP || e->s.step == S_LOAD;
	return orsp_euicc_notification_count(e) + pir_held + need <= ORSP_EUICC_MAX_NOTIFICATIONS;
}

/* ---------------------------------------------------------------- ES10 functions -------- */

static void put_info1_lists(const orsp_euicc *e, orsp_writer *w)
{
	orsp_der_mark l = orsp_der_begin(w, 0xA9);
	for (size_t i = 0; i < e->n_ci; i++)
		orsp_der_put_tlv(w, 0x04, e->ski[i], e->ski_len[i]);
	orsp_der_end(w, l);
	l = orsp_der_begin(w, 0xAA);
	orsp_der_put_tlv(w, 0x04, e->sign_ski, e->sign_ski_len);
	orsp_der_end(w, l);
}

static void info1(const orsp_euicc *e, orsp_writer *w)
{
	orsp_der_mark m = orsp_der_begin(w, 0xBF20);
	orsp_der_put_tlv(w, 0x82, "\x02\x02\x02", 3);
	put_info1_lists(e, w);
	orsp_der_end(w, m);
}

static void info2(const orsp_euicc *e, orsp_writer *w)
{
	orsp_der_mark m = orsp_der_begin(w, 0xBF22), ecr;
	size_t used = orsp_euicc_profile_count(e);
	size_t free_slots = ORSP_EUICC_MAX_PROFILES - used;
	/* DER drops trailing zero bits of a named bit list (X.690 §11.2.2): 07 80 with the
	 * first bit, an empty BIT STRING without it */
	static const uint8_t rsp_cap_on[2] = {0x07, 0x80}, rsp_cap_off[1] = {0x00};

	orsp_der_put_tlv(w, 0x81, "\x02\x03\x01", 3); /* SAIP 2.3.1 */
	orsp_der_put_tlv(w, 0x82, "\x02\x02\x02", 3); /* SGP.22 2.2.2 */
	orsp_der_put_tlv(w, 0x83, "\x01\x00\x00", 3);
	ecr = orsp_der_begin(w, 0x84);
	orsp_der_put_uint(w, 0x81, used);
	orsp_der_put_uint(w, 0x82, free_slots ? (uint64_t)ORSP_EUICC_MAX_UPP : 0);
	orsp_der_put_uint(w, 0x83, 16384);
	orsp_der_end(w, ecr);
	/* uiccCapability (DER BIT STRING): usimSupport (1), isimSupport (2), akaMilenage (4),
	 * akaTuak128 (6), akaTuak256 (7): the USIM and ISIM applications and their algorithms
	 * (docs/usim.md, docs/isim.md) */
	orsp_der_put_tlv(w, 0x85, "\x00\x6B", 2);
	if (free_slots)
		orsp_der_put_tlv(w, 0x88, rsp_cap_on, sizeof(rsp_cap_on));
	else
		orsp_der_put_tlv(w, 0x88, rsp_cap_off, sizeof(rsp_cap_off));
	put_info1_lists(e, w);
	orsp_der_put_tlv(w, 0x04, "\x00\x01\x00", 3);
	put_str(w, 0x0C, "openrsp-software-euicc");
	orsp_der_end(w, m);
}

static void reset_session(orsp_euicc *e)
{
	if (e->s.uw)
		orsp_bsp_unwrap_free(e->s.uw);
	orsp_ec_free(e->s.dppb); /* s.otsk borrows e->kept_otsk, which outlives the session */
	orsp_wipe(&e->s, sizeof(e->s));
	orsp_wipe(e->upp, sizeof(e->upp));
}

/* otSK.EUICC.ECKA kept for a retry (§5.7.5) freed and its otPK wiped: no later
 * PrepareDownload gets it back. Whatever borrowed it (s.otsk, the unwrap) is gone first. */
static void drop_kept_otsk(orsp_euicc *e)
{
	orsp_ec_free(e->kept_otsk);
	e->kept_otsk = NULL;
	orsp_wipe(e->kept_otpk, sizeof(e->kept_otpk));
}

/* A package whose installation, or whose result, could not be stored (the commit failed and
 * changed nothing; restore() took the stored state back): while the card still serves, the
 * session goes back to where PrepareDownload left it, the package and its unwrapping dropped,
 * so that the LPA can end it with a signed CancelSession, which the SM-DP+ takes to end the
 * order's download (ES9+ CancelSession), or load the package again. Ending the session here
 * left the LPA no result to send: the SM-DP+ kept the order Downloaded. */
static void end_failed_load(orsp_euicc *e)
{
	if (!e->open || e->s.step < S_PREP) {
		reset_session(e);
		return;
	}
	if (e->s.uw)
		orsp_bsp_unwrap_free(e->s.uw);
	e->s.uw = NULL;
	e->s.bpp_total = e->s.bpp_fed = e->s.upp_len = e->s.meta_len = 0;
	e->s.refused = e->s.bpp_cmd = 0;
	e->s.unstored = false;
	/* no longer loading: a load record restore() read back stays stored until the next
	 * commit (or the next open makes its interruption PIR), but is not this session's */
	memset(&e->load, 0, sizeof(e->load));
	orsp_wipe(e->s.meta, sizeof(e->s.meta));
	orsp_wipe(e->upp, sizeof(e->upp));
	e->s.step = S_PREP;
}

/* The largest ctxParams1 (CtxParamsForCommonAuthentication: a matchingId, at most an
 * activation code's 255 characters, and the deviceInfo) AuthenticateServer takes. */
#define CTX_PARAMS1_MAX 512

/* AuthenticateServer (§5.7.13). Every answer but the AuthenticateResponseOk ends the
 * session: the euiccChallenge is used once, also when the eUICC fails inside. */
static orsp_err authenticate_server(orsp_euicc *e, const orsp_tlv *req, orsp_writer *w)
{
	orsp_tlv s1, fsig, pkid = {0}, fcert, ctxp, f;
	orsp_reader r;
	orsp_cert *cert = NULL;
	orsp_ec_key *pub = NULL;
	/* euiccSigned1: transactionId, serverAddress, serverChallenge, euiccInfo2 (under 384
	 * bytes with ORSP_EUICC_MAX_CI CIs), ctxParams1 */
	uint8_t sig[ORSP_EC_SIG_LEN], tid[16] = {0}, schal[16] = {0},
	                              buf[64 + ORSP_EUICC_ADDR_MAX + 384 + CTX_PARAMS1_MAX],
	                              oid[sizeof(e->s.smdp_oid)], ci_id[sizeof(e->s.dp_ci)];
	size_t tid_len = 0, oid_len = 0, ci_id_len = 0;
	char addr[ORSP_EUICC_ADDR_MAX] = "";
	bool chal_ok = false, known_ci = false, ds = false;
	int code = 0;
	orsp_err err = ORSP_OK, why = ORSP_OK;
	unsigned long failed = orsp_wipe_alloc_failures();

	/* what a later version adds after ctxParams1 (v3: otherCertsInChain [1], crlList [2])
	 * is skipped */
	orsp_reader_init(&r, req->value.p, req->value.len);
	if (orsp_der_expect(&r, 0x30, &s1) || orsp_der_read(&r, &fsig) || fsig.tag != 0x5F37 ||
	    fsig.value.len != 64 || orsp_der_expect(&r, 0x04, &pkid) ||
	    orsp_der_expect(&r, 0x30, &fcert) || orsp_der_expect(&r, 0xA0, &ctxp) ||
	    ctxp.raw.len > CTX_PARAMS1_MAX ||
	    orsp_der_skip_extensions(&r, (const uint32_t[]){0x30, 0x5F37, 0x04, 0xA0}, 4,
	                             REQ_DEPTH))
		code = 127;
	if (!code) {
		/* ServerSigned1 {transactionId [0], euiccChallenge [1], serverAddress [3],
		 * serverChallenge [4]}: each once and in that order; transactionId, serverAddress
		 * and serverChallenge, which euiccSigned1 repeats, present with their sizes, else
		 * undefinedError (never signed with an empty address or a zero challenge, nor the
		 * last of two taken). A later version's fields (v3's sessionContext [5]) come
		 * after serverChallenge and are skipped; any other field, or one of the four out of
		 * order, is undefinedError as in smdpSigned2 (until session 71 the four were taken
		 * in any order and an unknown field anywhere). A missing or wrong euiccChallenge
		 * is the mismatch below. */
		orsp_reader sr;
		unsigned seen = 0, bit;
		orsp_reader_init(&sr, s1.value.p, s1.value.len);
		while (orsp_reader_remaining(&sr)) {
			if (orsp_der_read(&sr, &f)) {
				code = 127;
				break;
			}
			bit = f.tag == 0x80   ? 1u
			      : f.tag == 0x81 ? 2u
			      : f.tag == 0x83 ? 4u
			      : f.tag == 0x84 ? 8u
			                      : 0u;
			/* seen >= bit: this field again, or one that comes before a field read */
			if ((bit && seen >= bit) || (!bit && !(seen & 8))) {
				code = 127;
				break;
			}
			seen |= bit;
			if (f.tag == 0x80 && f.value.len >= 1 && f.value.len <= 16) {
				memcpy(tid, f.value.p, f.value.len);
				tid_len = f.value.len;
			} else if (f.tag == 0x81 && f.value.len == 16)
				chal_ok =
				    e->s.step == S_CHAL && orsp_ct_eq(f.value.p, e->s.echal, 16);
			else if (f.tag == 0x83 && f.value.len >= 1 &&
			         text_ok(f.value, sizeof(addr) - 1) && f.value.len < sizeof(addr))
				copy_str(f.value, addr, sizeof(addr));
			else if (f.tag == 0x83) {
				/* longer than an FQDN, empty, not UTF-8 or with a NUL inside (which
				 * copy_str would cut at): not cut and signed */
				code = 127;
				break;
			} else if (f.tag == 0x84 && f.value.len == 16) {
				memcpy(schal, f.value.p, 16);
			} else if (f.tag == 0x84) {
				code = 127;
				break;
			}
		}
		if (!tid_len || !(seen & 4) || !(seen & 8))
			code = 127;
	}
	/* euiccCiPKIdToBeUsed must be in euiccCiPKIdListForSigning: the CI of our own EUM
	 * chain, not just any CI we trust for verification; pkid is only there when the request
	 * parsed */
	known_ci = !code && pkid.value.len == e->sign_ski_len &&
	           !memcmp(pkid.value.p, e->sign_ski, pkid.value.len);
	/* only right after GetEUICCChallenge: a challenge is used once */
	if (!code && e->s.step != S_CHAL)
		code = 4; /* noSessionContext */
	if (!code && !known_ci)
		code = 7; /* ciPKUnknown */
	/* the SM-DP+ OID (subjectAltName registeredID) is part of CERT.DPauth: the session
	 * names the SM-DP+ by it (CancelSession's smdpOid, the PIR, CERT.DPpb's check), so a
	 * certificate without one is refused, never a session with an empty OID. The CI that
	 * verified it is the one its authorityKeyIdentifier names (one CI per key id in
	 * e->cis): the session keeps that key id for CERT.DPpb's check. */
	/* SGP.22 §5.7.13: serverCertificate is an RSP server's CERT.XXauth, an SM-DP+'s
	 * (DPauth) or an SM-DS's (DSauth, its event retrieval: matchingId an EventID or empty);
	 * only CERT.DPauth was taken until session 68, and an LPA's discovery through an SM-DS
	 * was refused invalidCertificate */
	if (!code && (why = orsp_cert_parse(fcert.raw.p, fcert.raw.len, &cert)))
		code = 1; /* invalidCertificate */
	if (!code &&
	    (why = orsp_rsp_verify_server_cert(e->cis, cert, ORSP_ROLE_DP_AUTH, NULL, 0)) &&
	    why != ORSP_E_RESOURCE) {
		why = orsp_rsp_verify_server_cert(e->cis, cert, ORSP_ROLE_DS_AUTH, NULL, 0);
		ds = why == ORSP_OK;
	}
	if (!code && why)
		code = 1;
	if (!code && ((why = orsp_cert_rid(cert, oid, sizeof(oid), &oid_len)) ||
	              (why = orsp_cert_aki(cert, ci_id, sizeof(ci_id), &ci_id_len))))
		code = 1; /* invalidCertificate */
	if (!code) {
		memcpy(sig, fsig.value.p, 64);
		if ((why = orsp_cert_public_key(cert, &pub)) ||
		    (why = orsp_ecdsa_verify(pub, s1.raw.p, s1.raw.len, sig)))
			code = 2; /* invalidSignature */
	}
	/* the eUICC out of memory: undefinedError, as when its own signature fails below */
	if ((code == 1 || code == 2) && failed_inside(why, failed, "AuthenticateServer"))
		code = 127;
	if (!code && !chal_ok)
		code = 6; /* euiccChallengeMismatch */
	/* EuiccSigned1 { transactionId, serverAddress, serverChallenge, euiccInfo2, ctxParams1 } */
	orsp_writer sw;
	orsp_writer_init(&sw, buf, sizeof(buf));
	if (!code) {
		orsp_der_mark m = orsp_der_begin(&sw, 0x30);
		orsp_der_put_tlv(&sw, 0x80, tid, tid_len);
		put_str(&sw, 0x83, addr);
		orsp_der_put_tlv(&sw, 0x84, schal, 16);
		info2(e, &sw);
		orsp_write_bytes(&sw, ctxp.raw.p, ctxp.raw.len);
		orsp_der_end(&sw, m);
		if (orsp_writer_status(&sw) || sign(e, buf, sw.len, sig))
			code =
			    127; /* undefinedError: failed inside; the session ends all the same */
	}
	if (code) {
		orsp_der_mark m = orsp_der_begin(w, 0xBF38), x = orsp_der_begin(w, 0xA1);
		orsp_der_put_tlv(w, 0x80, tid, tid_len ? tid_len : 1);
		orsp_der_put_uint(w, 0x02, (uint64_t)code);
		orsp_der_end(w, x);
		orsp_der_end(w, m);
		orsp_err_clear();
		reset_session(e);
		goto out;
	}
	{
		orsp_der_mark m = orsp_der_begin(w, 0xBF38), ok = orsp_der_begin(w, 0xA0);
		orsp_write_bytes(w, buf, sw.len);
		orsp_der_put_tlv(w, 0x5F37, sig, 64);
		orsp_write_bytes(w, e->cert, e->cert_len);
		orsp_write_bytes(w, e->eum, e->eum_len);
		orsp_der_end(w, ok);
		orsp_der_end(w, m);
	}
	if ((err = orsp_writer_status(w))) { /* not answered: no session either */
		reset_session(e);
		goto out;
	}
	/* the session: the SM-DP+ OID (for CancelSession) from CERT.DPauth */
	memcpy(e->s.tid, tid, tid_len);
	e->s.tid_len = tid_len;
	snprintf(e->s.server_addr, sizeof(e->s.server_addr), "%s", addr);
	memcpy(e->s.sig1, sig, sizeof(sig));
	memcpy(e->s.smdp_oid, oid, oid_len);
	e->s.smdp_oid_len = oid_len;
	memcpy(e->s.dp_ci, ci_id, ci_id_len);
	e->s.dp_ci_len = ci_id_len;
	e->s.ds = ds;
	e->s.step = S_AUTH;
out:
	orsp_ec_free(pub);
	orsp_cert_free(cert);
	return err;
}

/* PrepareDownload (§5.7.5) */
static orsp_err prepare_download(orsp_euicc *e, const orsp_tlv *req, orsp_writer *w)
{
	orsp_tlv s2, fsig, f, fcert, hcc = {0}, bpp_otpk = {0};
	orsp_reader r;
	orsp_cert *cert = NULL;
	uint8_t msg[512], sig[ORSP_EC_SIG_LEN], buf[256], pt[ORSP_EC_POINT_LEN];
	bool tid_ok = false, cc_required = false, cc_flag_ok = true;
	int code = 0;
	orsp_err err = ORSP_OK, why = ORSP_OK;
	unsigned long failed = orsp_wipe_alloc_failures();

	orsp_reader_init(&r, req->value.p, req->value.len);
	if (orsp_der_expect(&r, 0x30, &s2) || orsp_der_read(&r, &fsig) || fsig.tag != 0x5F37 ||
	    fsig.value.len != 64 || orsp_der_read(&r, &f))
		code = 127;
	if (!code && f.tag == 0x04) {
		hcc = f; /* hashCc: Octet32 */
		if (hcc.value.len != 32 || orsp_der_read(&r, &f))
			code = 127;
	}
	if (!code) {
		fcert = f;
		if (fcert.tag != 0x30 ||
		    orsp_der_skip_extensions(&r, (const uint32_t[]){0x30, 0x5F37, 0x04}, 3,
		                             REQ_DEPTH))
			code = 127;
	}
	if (!code && e->s.step != S_AUTH)
		code = 4; /* noSessionContext */
	/* SmdpSigned2 { transactionId [0], ccRequiredFlag BOOLEAN, bppEuiccOtpk [APPLICATION
	 * 73] OPTIONAL, ... }: in that order, each once (a later extension is skipped). A field
	 * missing, twice or out of order, or a ccRequiredFlag that is not a DER BOOLEAN (01 01
	 * 01 is not read as TRUE): malformed, undefinedError; never the last of two values. */
	if (!code) {
		orsp_reader sr;
		orsp_tlv ft, fc;
		orsp_reader_init(&sr, s2.value.p, s2.value.len);
		cc_flag_ok = !orsp_der_read(&sr, &ft) && ft.tag == 0x80 &&
		             !orsp_der_read(&sr, &fc) && fc.tag == 0x01 &&
		             !orsp_der_bool(fc.value, &cc_required);
		for (bool first = true; cc_flag_ok && orsp_reader_remaining(&sr); first = false) {
			if (orsp_der_read(&sr, &f) || f.tag == 0x80 || f.tag == 0x01 ||
			    (f.tag == 0x5F49 && !first))
				cc_flag_ok = false;
			else if (f.tag == 0x5F49)
				bpp_otpk = f;
		}
		if (cc_flag_ok)
			tid_ok = ft.value.len == e->s.tid_len &&
			         !memcmp(ft.value.p, e->s.tid, ft.value.len);
		orsp_err_clear();
	}
	if (!code && !cc_flag_ok)
		code = 127;
	if (!code) {
		orsp_ec_free(e->s.dppb); /* one PK.DPpb per session, never leaked */
		e->s.dppb = NULL;
	}
	/* a session an SM-DS authenticated (CERT.DSauth) prepares no profile: its CERT.DPpb
	 * would name no CERT.DPauth of the session */
	if (!code && (e->s.ds || (why = orsp_cert_parse(fcert.raw.p, fcert.raw.len, &cert)) ||
	              (why = orsp_rsp_verify_server_cert(e->cis, cert, ORSP_ROLE_DP_PB, NULL, 0)) ||
	              (why = orsp_cert_public_key(cert, &e->s.dppb))))
		code = 1;
	/* SGP.22 §5.7.5: CERT.DPpb must name the same SM-DP+ (OID) as CERT.DPauth [A2]. And
	 * it must come from the CI that certified the session's CERT.DPauth (the same
	 * authorityKeyIdentifier, which picked the CI that verified each): by decision, as
	 * §5.7.5 asks for a CERT.DPpb valid as §4.5.2.2 says, which any CI the eUICC trusts
	 * makes it. An SM-DP+ holds its DPauth and DPpb under one CI (openrsp's key sets are
	 * checked so); a profile binding key certified by a CI the session did not
	 * authenticate the SM-DP+ under (on that CI's curve, which the one-time key would
	 * follow) is refused: invalidCertificate, DownloadErrorCode having no other code. */
	if (!code) {
		uint8_t oid[32], ci_id[sizeof(e->s.dp_ci)];
		size_t oid_len = 0, ci_id_len = 0;
		if ((why = orsp_cert_rid(cert, oid, sizeof(oid), &oid_len)) ||
		    oid_len != e->s.smdp_oid_len || memcmp(oid, e->s.smdp_oid, oid_len) ||
		    (why = orsp_cert_aki(cert, ci_id, sizeof(ci_id), &ci_id_len)) ||
		    !e->s.dp_ci_len || ci_id_len != e->s.dp_ci_len ||
		    memcmp(ci_id, e->s.dp_ci, ci_id_len))
			code = 1;
	}
	/* smdpSignature2 over smdpSigned2 || 5F37 40 || euiccSignature1 */
	if (!code && s2.raw.len + 3 + 64 <= sizeof(msg)) {
		memcpy(msg, s2.raw.p, s2.raw.len);
		msg[s2.raw.len] = 0x5F;
		msg[s2.raw.len + 1] = 0x37;
		msg[s2.raw.len + 2] = 0x40;
		memcpy(msg + s2.raw.len + 3, e->s.sig1, 64);
		memcpy(sig, fsig.value.p, 64);
		if ((why = orsp_ecdsa_verify(e->s.dppb, msg, s2.raw.len + 67, sig)))
			code = 2;
	} else if (!code) {
		code = 2; /* too large to verify here: never accept it unverified */
	}
	/* the eUICC out of memory: the status word of ORSP_E_RESOURCE (6A84), the session kept
	 * for the LPA's CancelSession, as when its one-time key or its signature fails below */
	if ((code == 1 || code == 2) && failed_inside(why, failed, "PrepareDownload")) {
		err = orsp_errf(ORSP_E_RESOURCE, "PrepareDownload: out of memory checking the "
		                                 "SM-DP+'s certificate or signature");
		goto out;
	}
	if (!code && !tid_ok)
		code = 5; /* invalidTransactionId */
	if (!code && cc_required != (hcc.value.p != NULL))
		code = 127;
	/* the PIR of this download must have its place in the notification list (held from here
	 * to the session's end, notif_room): a profile is never installed without the result the
	 * SM-DP+ learns it from. SGP.22 has no code for a full list: undefinedError, as for
	 * enable, disable and delete; nothing changes, and the download can be tried again once
	 * the LPA has delivered and removed notifications. */
	if (!code && !notif_room(e, 1))
		code = 127;
	if (code) {
		orsp_der_mark m = orsp_der_begin(w, 0xBF21), x = orsp_der_begin(w, 0xA1);
		orsp_der_put_tlv(w, 0x80, e->s.tid_len ? e->s.tid : (const uint8_t *)"\0",
		                 e->s.tid_len ? e->s.tid_len : 1);
		orsp_der_put_uint(w, 0x02, (uint64_t)code);
		orsp_der_end(w, x);
		orsp_der_end(w, m);
		orsp_err_clear();
		reset_session(e);
		goto out;
	}
	/* the one-time key pair on the curve of the session (DPpb's): the kept one when the
	 * SM-DP+ asks for it again with bppEuiccOtpk (a retry of the same binding, §5.7.5),
	 * else a fresh one */
	if (!e->kept_otsk || orsp_ec_curve(e->kept_otsk) != orsp_ec_curve(e->s.dppb) ||
	    bpp_otpk.value.len != sizeof(e->kept_otpk) ||
	    memcmp(bpp_otpk.value.p, e->kept_otpk, sizeof(e->kept_otpk))) {
		orsp_ec_free(e->kept_otsk);
		e->kept_otsk = NULL;
		if ((err = orsp_ec_generate(orsp_ec_curve(e->s.dppb), &e->kept_otsk)) ||
		    (err = orsp_ec_public_point(e->kept_otsk, e->kept_otpk)))
			goto out;
	}
	e->s.otsk = e->kept_otsk;
	memcpy(pt, e->kept_otpk, sizeof(pt));
	{
		orsp_writer sw;
		orsp_der_mark m;
		orsp_writer_init(&sw, buf, sizeof(buf));
		m = orsp_der_begin(&sw, 0x30);
		orsp_der_put_tlv(&sw, 0x80, e->s.tid, e->s.tid_len);
		orsp_der_put_tlv(&sw, 0x5F49, pt, sizeof(pt));
		if (hcc.value.p)
			orsp_der_put_tlv(&sw, 0x04, hcc.value.p, 32);
		orsp_der_end(&sw, m);
		if ((err = orsp_writer_status(&sw)))
			goto out;
		/* euiccSignature2 over euiccSigned2 || 5F37 40 || smdpSignature2 */
		memcpy(msg, buf, sw.len);
		msg[sw.len] = 0x5F;
		msg[sw.len + 1] = 0x37;
		msg[sw.len + 2] = 0x40;
		memcpy(msg + sw.len + 3, fsig.value.p, 64);
		if ((err = sign(e, msg, sw.len + 67, sig)))
			goto out;
		m = orsp_der_begin(w, 0xBF21);
		{
			orsp_der_mark ok = orsp_der_begin(w, 0xA0);
			orsp_write_bytes(w, buf, sw.len);
			orsp_der_put_tlv(w, 0x5F37, sig, 64);
			orsp_der_end(w, ok);
		}
		orsp_der_end(w, m);
	}
	e->s.step = S_PREP;
out:
	orsp_cert_free(cert);
	/* euiccSigned2 holds hashCc: with the transactionId, a short confirmation code is
	 * found from it */
	orsp_wipe(buf, sizeof(buf));
	orsp_wipe(msg, sizeof(msg));
	return err;
}

/* ----- LoadBoundProfilePackage (§5.7.6): the pieces arrive as separate commands ----- */

/* The session's StoreMetadataRequest (BF25), checked when its piece arrives (cb_meta) and
 * read again by install() and for an error PIR: the profile record's names, class, PPRs and
 * notification addresses in *out, its ICCID in meta_iccid, and where the PIR goes in addr
 * (the install notification's address, else the session's SM-DP+). Returns 0 or the
 * ErrorReason that refuses it at storeMetadata: incorrectInputValues (1),
 * unsupportedProfileClass (6), installFailedDueToIccidAlreadyExistsOnEuicc (9). */
static int meta_check(orsp_euicc *e, orsp_euicc_profile_rec *out, uint8_t meta_iccid[10],
                      char addr[ORSP_EUICC_ADDR_MAX])
{
	orsp_euicc_profile_rec np = {0};
	orsp_tlv t, f;
	orsp_reader r;
	int reason = 0;
	bool bad_class = false, bad_text = false, bad_meta = false;

	snprintf(addr, ORSP_EUICC_ADDR_MAX, "%s", e->s.server_addr);
	/* StoreMetadataRequest: ICCID, names, class, notification configuration, PPRs */
	if (orsp_der_parse_one(orsp_slice_make(e->s.meta, e->s.meta_len), &t) || t.tag != 0xBF25) {
		reason = 1;
	} else {
		uint64_t v;
		size_t nbits;
		unsigned seen = 0, bit;
		uint8_t ppr;
		bool ppr_later = false;
		orsp_reader_init(&r, t.value.p, t.value.len);
		np.profile_class = 2;
		/* every field decodes as its type, each of those taken here at most once (never
		 * the last of two), iccid, serviceProviderName and profileName are there;
		 * fields of later versions are skipped */
		while (orsp_reader_remaining(&r)) {
			if (orsp_der_read(&r, &f)) {
				bad_meta = true;
				break;
			}
			bit = f.tag == 0x5A   ? 1u
			      : f.tag == 0x91 ? 2u
			      : f.tag == 0x92 ? 4u
			      : f.tag == 0x95 ? 8u
			      : f.tag == 0x99 ? 16u
			      : f.tag == 0xB6 ? 32u
			      : f.tag == 0xB7 ? 64u
			                      : 0u;
			bad_meta |= (seen & bit) != 0;
			seen |= bit;
			if (f.tag == 0x5A && f.value.len == 10)
				memcpy(meta_iccid, f.value.p, 10);
			else if (f.tag == 0x5A)
				bad_meta = true; /* Iccid: SIZE(10) */
			else if (f.tag == 0x91 && text_ok(f.value, ORSP_EUICC_SPN_CHARS))
				copy_str(f.value, np.spn, sizeof(np.spn));
			else if (f.tag == 0x92 && text_ok(f.value, ORSP_EUICC_NAME_CHARS))
				copy_str(f.value, np.name, sizeof(np.name));
			else if (f.tag == 0x91 || f.tag == 0x92)
				bad_text = true; /* over its SIZE in characters, or not UTF-8 */
			else if (f.tag == 0x95) {
				/* test (0) only with testProfileSupport in rspCapability, which
				 * this eUICC does not announce (no test NAA key check, reason 14);
				 * classes beyond operational (2) are unknown:
				 * unsupportedProfileClass */
				if (orsp_der_uint(f.value, &v) || v == 0 || v > 2)
					bad_class = true;
				else
					np.profile_class = (int8_t)v;
			} else if (f.tag == 0x99 && !orsp_der_bits_octet(f.value, &ppr, &nbits)) {
				np.ppr = ppr; /* PprIds bits 0..7, those the string holds */
				/* a rule from bit 8 on (a later version's) is set where a contents
				 * octet after the first is not zero (its unused bits are, DER) */
				for (size_t k = 2; k < f.value.len; k++)
					ppr_later |= f.value.p[k] != 0;
			} else if (f.tag == 0x99)
				bad_meta = true;
			else if (f.tag == 0xB6 && !parse_notif_config(f.value, &np))
				bad_meta = true;
			else if (f.tag == 0xB7 && !parse_owner(f.value, &np))
				bad_meta = true;
		}
		if ((seen & 7u) != 7u)
			bad_meta = true;
		if (np.notif_addr[0][0]) /* the install notification: the PIR */
			snprintf(addr, ORSP_EUICC_ADDR_MAX, "%s", np.notif_addr[0]);
		if (bad_class) {
			reason = 6; /* unsupportedProfileClass */
		} else if (bad_text || bad_meta) {
			/* a name that does not decode as its UTF8String (SIZE(0..32) or
			 * SIZE(0..64) characters), a field that does not decode, one twice,
			 * a mandatory one missing: refused rather than cut, stored as received
			 * or installed without it */
			reason = 1; /* incorrectInputValues */
		} else if ((np.ppr & ~RAT_PPRS) || ppr_later) {
			/* a rule the Rules Authorisation Table (GetRAT) does not allow: §2.9's
			 * Profile Policy Enabler refuses the profile (pprUpdateControl, or bits
			 * of later versions, were installed and never enforced; one from bit 8
			 * on until session 68) */
			reason = 15; /* installFailedDueToPprNotAllowed */
		} else if (find_profile(e, (orsp_slice){0}, orsp_slice_make(meta_iccid, 10))) {
			reason = 9; /* installFailedDueToIccidAlreadyExistsOnEuicc */
		}
	}
	orsp_err_clear();
	*out = np;
	return reason;
}

/* A callback refusing the package: the ErrorReason of its PIR, at the command whose part the
 * unwrap was processing (bpp_piece). */
static orsp_err refuse(orsp_euicc *e, int reason, const char *why)
{
	e->s.refused = reason;
	return orsp_errf(ORSP_E_POLICY, "profile refused: %s", why);
}

/* BppCommandId cmd executed (s.bpp_cmd), and stored in the load record (e->load, "isdr"'s
 * A5) with what the interruption PIR needs: the transactionId, the SM-DP+'s OID, the install
 * address and the ICCID once StoreMetadata was executed (meta_check, as interrupt_load reads
 * them). So a power loss or a kill, which no code of this process sees, ends the installation
 * as a card reset does: the next open makes the PIR (settle_load). One commit of "isdr" per
 * BppCommandId (1, 2, 4 when the package has ReplaceSessionKeys, 5 at the first segment); the
 * state is the stored one plus this record, as no other command runs during a load. If the
 * commit fails, the command fails (s.unstored, bpp_piece). */
static orsp_err load_note(orsp_euicc *e, int cmd)
{
	orsp_euicc_profile_rec np;
	orsp_err err;

	e->s.bpp_cmd = cmd;
	memset(&e->load, 0, sizeof(e->load));
	e->load.cmd = cmd;
	memcpy(e->load.tid, e->s.tid, e->s.tid_len);
	e->load.tid_len = e->s.tid_len;
	memcpy(e->load.smdp_oid, e->s.smdp_oid, e->s.smdp_oid_len);
	e->load.smdp_oid_len = e->s.smdp_oid_len;
	(void)meta_check(e, &np, e->load.iccid, e->load.addr);
	if ((err = commit(e, NULL, 0)))
		e->s.unstored = true;
	return err;
}

/* Each callback records its BppCommandId once executed (load_note): from ConfigureISDP on,
 * the ISD-P exists and an interruption is reported (interrupt_load, or settle_load after a
 * power loss). ConfigureISDP and StoreMetadata are checked as their pieces arrive: SGP.22
 * answers the PIR at the failing command, so the download stops there and the rest is
 * neither decrypted nor kept. */
static orsp_err cb_isdp(void *arg, orsp_slice der)
{
	orsp_euicc *e = arg;
	(void)der;
	if (orsp_euicc_profile_count(e) == ORSP_EUICC_MAX_PROFILES)
		return refuse(e, 10, "no free ISD-P"); /* insufficientMemoryForProfile */
	return load_note(e, 1);                        /* configureISDP */
}

static orsp_err cb_meta(void *arg, orsp_slice der)
{
	orsp_euicc *e = arg;
	orsp_euicc_profile_rec np;
	uint8_t iccid[10] = {0};
	char addr[ORSP_EUICC_ADDR_MAX];
	int reason;

	if (der.len > sizeof(e->s.meta))
		return orsp_errf(ORSP_E_RESOURCE, "metadata too large");
	memcpy(e->s.meta, der.p, der.len);
	e->s.meta_len = der.len; /* kept when refused too: the PIR names its ICCID */
	if ((reason = meta_check(e, &np, iccid, addr)))
		return refuse(e, reason, "StoreMetadata");
	return load_note(e, 2); /* storeMetadata */
}

static orsp_err cb_rsk(void *arg)
{
	return load_note(arg, 4); /* replaceSessionKeys */
}

static orsp_err cb_data(void *arg, orsp_slice d)
{
	orsp_euicc *e = arg;
	if (e->s.upp_len + d.len > sizeof(e->upp)) {
		e->s.refused = 10; /* insufficientMemory */
		return orsp_errf(ORSP_E_RESOURCE, "profile larger than %zu bytes", sizeof(e->upp));
	}
	memcpy(e->upp + e->s.upp_len, d.p, d.len);
	e->s.upp_len += d.len;
	return e->s.bpp_cmd == 5 ? ORSP_OK : load_note(e, 5); /* loadProfileElements */
}

/* The ProfileInstallationResult: signed, returned, and kept as a notification when there is
 * room and an address to send it to. Its seqNumber is used up either way: the caller commits
 * the counter before the answer leaves the card. Without a session (session false) it is
 * only answered: never kept, the counter untouched, seqNumber 0 (which no notification has,
 * the counter starts at 1), so a command without a session writes nothing. */
static orsp_err pir(orsp_euicc *e, const orsp_euicc_profile_rec *p, const uint8_t iccid[10],
                    const char *addr, int cmd, int reason, bool session, orsp_writer *w)
{
	orsp_euicc_notification_rec *n = session && addr[0] ? new_notification(e) : NULL;
	uint8_t data[ORSP_EUICC_NOTIF_MAX], sig[ORSP_EC_SIG_LEN];
	orsp_writer dw;
	orsp_der_mark m, res, ch;
	uint32_t seq = n ? n->seq : session ? e->next_seq++ : 0;
	orsp_err err;

	orsp_writer_init(&dw, data, sizeof(data));
	m = orsp_der_begin(&dw, 0xBF27);
	orsp_der_put_tlv(&dw, 0x80, e->s.tid, e->s.tid_len);
	put_meta(&dw, seq, 0x80, addr, iccid);
	if (e->s.smdp_oid_len)
		orsp_der_put_tlv(&dw, 0x06, e->s.smdp_oid, e->s.smdp_oid_len);
	res = orsp_der_begin(&dw, 0xA2);
	if (p) {
		ch = orsp_der_begin(&dw, 0xA0);
		orsp_der_put_tlv(&dw, 0x4F, p->aid, p->aid_len);
		orsp_der_put_tlv(&dw, 0x04, "\x30\x07\xA0\x05\x30\x03\x80\x01\x00", 9);
	} else {
		ch = orsp_der_begin(&dw, 0xA1);
		orsp_der_put_uint(&dw, 0x80, (uint64_t)cmd);
		orsp_der_put_uint(&dw, 0x81, (uint64_t)reason);
	}
	orsp_der_end(&dw, ch);
	orsp_der_end(&dw, res);
	orsp_der_end(&dw, m);
	if ((err = orsp_writer_status(&dw)) || (err = sign(e, data, dw.len, sig)))
		return err;
	m = orsp_der_begin(w, 0xBF37);
	orsp_write_bytes(w, data, dw.len);
	orsp_der_put_tlv(w, 0x5F37, sig, 64);
	orsp_der_end(w, m);
	if ((err = orsp_writer_status(w)))
		return err;
	if (n) {
		size_t len = w->len;
		/* the PIR is the last thing written to w */
		const uint8_t *start =
		    w->p + len -
		    (dw.len + 67 + orsp_der_tag_size(0xBF37) + orsp_der_len_size(dw.len + 67));
		n->event = 0x80;
		snprintf(n->addr, sizeof(n->addr), "%s", addr);
		memcpy(n->iccid, iccid, 10);
		if (len - (size_t)(start - w->p) <= sizeof(n->data)) {
			n->len = (uint16_t)(len - (size_t)(start - w->p));
			memcpy(n->data, start, n->len);
		} else {
			n->used = false;
		}
	}
	return ORSP_OK;
}

/* A PIR with errorResult, ending the session: committed (the counter, and the notification
 * if it was kept) before it is answered; if that commit fails, the command fails, the
 * memory goes back to the stored state and the session stays for a CancelSession
 * (end_failed_load). */
static orsp_err error_pir(orsp_euicc *e, const uint8_t iccid[10], const char *addr, int cmd,
                          int reason, orsp_writer *w)
{
	orsp_err err = pir(e, NULL, iccid, addr, cmd, reason, true, w);

	memset(&e->load, 0, sizeof(e->load)); /* ended: its record goes with this commit */
	if (!err)
		err = commit(e, NULL, 0);
	if (err) {
		restore(e);
		end_failed_load(e);
		return err;
	}
	reset_session(e);
	return ORSP_OK;
}

static int bsp_reason(orsp_bsp_reason r)
{
	switch (r) {
	case ORSP_BSP_R_STRUCTURE:
		return 7;
	case ORSP_BSP_R_MAC:
		return 8;
	/* A signed smdpOtpk that is no curve point is a bad input value of
	 * InitialiseSecureChannel: no SCP03t-protected data exists yet, so not 8. */
	case ORSP_BSP_R_KEY_AGREEMENT:
		return 1;
	case ORSP_BSP_R_SIGNATURE:
		return 2;
	case ORSP_BSP_R_TRANSACTION_ID:
		return 3;
	case ORSP_BSP_R_CRT:
		return 4;
	case ORSP_BSP_R_REMOTE_OP:
		return 5;
	case ORSP_BSP_R_LIMIT:
		return 10;
	default:
		return 127;
	}
}

/* Install what the BPP carried: checks, a new ISD-P, one commit, the PIR. */
static orsp_err install(orsp_euicc *e, orsp_writer *w)
{
	orsp_euicc_profile_rec np = {0}, *slot = NULL;
	uint8_t meta_iccid[10] = {0};
	char addr[ORSP_EUICC_ADDR_MAX];
	int reason = 0, cmd = 5;
	unsigned no = 0;
	bool reused = false;
	orsp_err err;

	/* checked at its piece already; read again for the record (the profiles cannot have
	 * changed since: any other command ends the load) */
	reason = meta_check(e, &np, meta_iccid, addr);
	if (reason)
		cmd = 2; /* storeMetadata */
	/* the package: it decodes, its ICCID is the metadata's, room for it */
	if (!reason) {
		orsp_pkg *pkg = NULL;
		orsp_pkg_header h;
		orsp_err uerr;
		char digits[21];
		uint8_t ef[10];
		unsigned long failed = orsp_wipe_alloc_failures();
		/* decoded once and checked against the package rules (docs/pkg.md) before
		 * anything is installed [A2]; as an eUICC: a PE with an element of a later
		 * PEDefinitions is refused only when mandated (TCA SAIP error handling). The
		 * trial load below works on the same decoded form. */
		if (orsp_pkg_decode(e->upp, e->s.upp_len, &pkg) ||
		    orsp_pkg_validate_flags(pkg, ORSP_PKG_VALIDATE_INSTALL, NULL) ||
		    orsp_pkg_get_header(pkg, &h) || orsp_iccid_decode_header(h.iccid_raw, digits) ||
		    orsp_iccid_encode_ef(digits, ef)) {
			reason = 12; /* installFailedDueToPEProcessingError */
		} else if (memcmp(ef, meta_iccid, 10) != 0) {
			reason = 13; /* installFailedDueToDataMismatch */
		} else if ((uerr = orsp_usim_check_pkg(pkg)) != ORSP_OK) {
			/* a USIM this card could not serve: refused here rather than installed
			 * and enabled with no USIM (docs/euicc.md). A sound package whose files
			 * do not fit the USIM's tables (ORSP_USIM_MAX_FILES, ORSP_USIM_DATA_MAX),
			 * or no memory for the trial load, is a profile this card cannot hold. */
			reason = uerr == ORSP_E_RESOURCE
			             ? 10  /* installFailedDueToInsufficientMemoryForProfile */
			             : 12; /* installFailedDueToPEProcessingError */
		}
		orsp_pkg_free(pkg);
		/* A failed allocation of the host's (the checks' are counted: orsp_pkg_decode,
		 * orsp_usim_check_pkg) is no fault of the package and passes, as a full disk does:
		 * no PIR, whose error the SM-DP+ takes as the order's end, but the command refused
		 * (6A84, as PrepareDownload's out of memory), the session back where
		 * PrepareDownload left it for the LPA's CancelSession, and the order kept for
		 * another download. A package past the card's limits (ORSP_E_RESOURCE too, not
		 * counted) keeps its reason. Until session 79 it was 12 or 10, and the order was
		 * lost. */
		if (reason && orsp_wipe_alloc_failures() != failed) {
			char why[256];
			orsp_err_detail_copy(why, sizeof(why));
			end_failed_load(e);
			return orsp_errf(ORSP_E_RESOURCE,
			                 "out of memory checking the profile package: %s", why);
		}
		orsp_err_clear();
	}
	for (size_t i = 0; !reason && i < ORSP_EUICC_MAX_PROFILES && !slot; i++)
		if (!e->profiles[i].used)
			slot = &e->profiles[i];
	if (!reason && !slot) {
		reason = 10;
		cmd = 1;
	}
	if (reason)
		return error_pir(e, meta_iccid, addr, cmd, reason, w);
	np.used = true;
	memcpy(np.aid, isdp_aid_base, 16);
	np.aid_len = 16;
	if (e->next_isdp < ISDP_NUMBERS) {
		no = e->next_isdp++;
	} else {
		/* the numbers are used up (after 61 440 installs): the lowest one no installed
		 * ISD-P has, its SQN records removed in the install's commit */
		for (no = 0, reused = true; no < ISDP_NUMBERS; no++) {
			bool taken = false;
			for (size_t i = 0; i < ORSP_EUICC_MAX_PROFILES; i++)
				taken |= e->profiles[i].used && isdp_no(&e->profiles[i]) == no;
			if (!taken)
				break;
		}
	}
	np.aid[14] = (uint8_t)(0x10 + (no >> 8));
	np.aid[15] = (uint8_t)no;
	memcpy(np.iccid, meta_iccid, 10);
	np.upp_len = (uint32_t)e->s.upp_len;
	*slot = np;
	memset(&e->load, 0, sizeof(e->load)); /* installed: the load record goes with it */
	err = pir(e, slot, meta_iccid, addr, 0, 0, true, w);
	if (!err) {
		char names[ISDP_RECORDS][16];
		orsp_euicc_record recs[ISDP_RECORDS];
		/* upp.<n> written; a reused number's other records (sqn, isqn) removed */
		size_t n = reused ? isdp_removals(slot, names, recs) : 1;
		rec_name(names[0], "upp", slot);
		recs[0] = (orsp_euicc_record){names[0], e->upp, e->s.upp_len};
		err = commit(e, recs, n);
	}
	if (!err) {
		/* installed: the one-time key is done with (§3.1.3.3); the unwrap borrowed it */
		orsp_bsp_unwrap_free(e->s.uw);
		e->s.uw = NULL;
		drop_kept_otsk(e);
	}
	if (err) {
		restore(e); /* not installed: the stored state is the truth */
		end_failed_load(e);
		return err;
	}
	reset_session(e);
	return ORSP_OK;
}

static orsp_err bpp_piece(orsp_euicc *e, orsp_slice piece, orsp_writer *w)
{
	orsp_err err;

	err = orsp_bsp_unwrap_feed(e->s.uw, piece.p, piece.len);
	e->s.bpp_fed += piece.len;
	if (!err && e->s.bpp_fed >= e->s.bpp_total)
		err = orsp_bsp_unwrap_finish(e->s.uw);
	if (err && e->s.unstored) {
		/* the load record's commit failed: a state change not stored fails its command
		 * (6581), as an install's does; the session stays for a CancelSession */
		restore(e);
		end_failed_load(e);
		return err;
	}
	if (err) {
		orsp_bsp_step step = ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL;
		orsp_bsp_reason why = orsp_bsp_unwrap_reason(e->s.uw, &step);
		orsp_euicc_profile_rec np;
		uint8_t iccid[10] = {0};
		char addr[ORSP_EUICC_ADDR_MAX];
		int reason = e->s.refused ? e->s.refused : bsp_reason(why);
		orsp_err_clear();
		/* the profile's ICCID and install address, once StoreMetadata got through */
		(void)meta_check(e, &np, iccid, addr);
		return error_pir(e, iccid, addr, (int)step, reason, w);
	}
	if (e->s.bpp_fed < e->s.bpp_total)
		return ORSP_OK; /* 9000, no data: more pieces to come */
	return install(e, w);
}

static orsp_err load_bpp_start(orsp_euicc *e, orsp_slice req, orsp_writer *w)
{
	size_t hdr, len = 0;
	orsp_bsp_unwrap_params p = {0};
	orsp_err err;

	/* BF36 and its length: the whole package is this many bytes */
	if (req.len < 4)
		return orsp_errf(ORSP_E_MALFORMED, "LoadBoundProfilePackage too short");
	if (req.p[2] < 0x80) {
		hdr = 3;
		len = req.p[2];
	} else {
		size_t nl = req.p[2] & 0x7F;
		if (nl < 1 || nl > 3 || req.len < 3 + nl)
			return orsp_errf(ORSP_E_MALFORMED, "LoadBoundProfilePackage length");
		hdr = 3 + nl;
		for (size_t i = 0; i < nl; i++)
			len = len << 8 | req.p[3 + i];
	}
	if (e->s.step != S_PREP) {
		/* no session: a PIR with an error, as a card does; its transactionId (mandatory,
		 * 1..16 bytes) is the one BF23 names, if it can be read [A2]. Only answered:
		 * neither kept as a notification nor committed (pir above), so such commands can
		 * neither fill the notification list nor cost a storage write each. */
		uint8_t iccid[10] = {0};
		orsp_reader br;
		orsp_tlv b23, bt;
		orsp_reader_init(&br, req.p + hdr, req.len - hdr);
		e->s.tid_len = 1;
		e->s.tid[0] = 0;
		if (!orsp_der_read(&br, &b23) && b23.tag == 0xBF23) {
			orsp_reader tr;
			orsp_reader_init(&tr, b23.value.p, b23.value.len);
			while (orsp_reader_remaining(&tr) && !orsp_der_read(&tr, &bt))
				if (bt.tag == 0x80 && bt.value.len >= 1 && bt.value.len <= 16) {
					memcpy(e->s.tid, bt.value.p, bt.value.len);
					e->s.tid_len = bt.value.len;
					break;
				}
		}
		orsp_err_clear();
		err = pir(e, NULL, iccid, e->s.server_addr, 0, 3, false, w);
		reset_session(e);
		return err;
	}
	p.euicc_otsk = e->s.otsk;
	p.dppb = e->s.dppb;
	p.eid = e->eid_bin;
	p.transaction_id = orsp_slice_make(e->s.tid, e->s.tid_len);
	p.cb.arg = e;
	p.cb.configure_isdp = cb_isdp;
	p.cb.store_metadata = cb_meta;
	p.cb.replace_session_keys = cb_rsk;
	p.cb.profile_data = cb_data;
	if ((err = orsp_bsp_unwrap_new(&p, &e->s.uw)))
		return err;
	e->s.step = S_LOAD;
	e->s.bpp_total = hdr + len;
	e->s.bpp_fed = 0;
	e->s.upp_len = 0;
	return bpp_piece(e, req, w);
}

/* A package whose load ends without its result: a card reset, or an ES10 command other than
 * its next piece (a new BF36 and a CancelSession that is refused included). Once ConfigureISDP
 * was executed (s.bpp_cmd) the installation had begun, and it ends as SGP.22 has an
 * interrupted installation end: a PIR with installFailedDueToInterruption (11) at the last
 * BPP command executed, addressed as the install PIR; no command is left to answer it, so it
 * is kept as a pending notification (in the place held for it since PrepareDownload,
 * notif_room) and committed, which the LPA retrieves and sends to the SM-DP+ as the other
 * PIRs. Before ConfigureISDP no ISD-P existed and nothing is kept. The session ends either
 * way. A CancelSession that is taken does not come here: its signed answer is the session's
 * result, which the SM-DP+ gets by ES9+ CancelSession, so a PIR too would give one session
 * two results. */
static orsp_err interrupt_load(orsp_euicc *e)
{
	uint8_t buf[ORSP_EUICC_NOTIF_MAX + 128];
	orsp_euicc_profile_rec np;
	uint8_t iccid[10] = {0};
	char addr[ORSP_EUICC_ADDR_MAX];
	orsp_writer w;
	orsp_err err = ORSP_OK;

	if (e->s.step == S_LOAD && e->s.bpp_cmd) {
		(void)meta_check(e, &np, iccid, addr);
		orsp_writer_init(&w, buf, sizeof(buf));
		err = error_pir(e, iccid, addr, e->s.bpp_cmd, 11, &w);
	}
	reset_session(e);
	return err;
}

/* A load record found at open (e->load): an installation that began (ConfigureISDP was
 * executed) and neither ended nor was interrupted in a process that saw it end, i.e. a power
 * loss, a kill -9 or a crash during LoadBoundProfilePackage. It ends as interrupt_load ends
 * one: the PIR {bppCommandId of the record, installFailedDueToInterruption (11)} with the
 * session's transactionId and SM-DP+ OID, addressed as the install PIR, kept as a pending
 * notification (the place PrepareDownload held for it was free when the record was stored,
 * and no command could take it during the load) and committed with the record's removal.
 * Nothing else of the installation was stored (the package and the ISD-P's entry are written
 * with its last piece), so there is no partial ISD-P to delete. */
static orsp_err settle_load(orsp_euicc *e)
{
	uint8_t buf[ORSP_EUICC_NOTIF_MAX + 128], iccid[10];
	char addr[ORSP_EUICC_ADDR_MAX];
	orsp_writer w;
	int cmd = e->load.cmd;

	reset_session(e);
	memcpy(e->s.tid, e->load.tid, e->load.tid_len);
	e->s.tid_len = e->load.tid_len;
	memcpy(e->s.smdp_oid, e->load.smdp_oid, e->load.smdp_oid_len);
	e->s.smdp_oid_len = e->load.smdp_oid_len;
	memcpy(iccid, e->load.iccid, sizeof(iccid));
	snprintf(addr, sizeof(addr), "%s", e->load.addr);
	orsp_writer_init(&w, buf, sizeof(buf));
	/* error_pir ends the session either way (its step is S_NONE: end_failed_load resets it) */
	return error_pir(e, iccid, addr, cmd, 11, &w);
}

/* ----- profile management (ES10c) ----- */

static orsp_err result(orsp_writer *w, uint32_t tag, int code)
{
	orsp_der_mark m = orsp_der_begin(w, tag);
	orsp_der_put_uint(w, 0x80, (uint64_t)code);
	orsp_der_end(w, m);
	return ORSP_OK;
}

/* A profile identifier, CHOICE { isdpAid 4F OctetTo16, iccid 5A Iccid (10 bytes) }: exactly
 * one such TLV, else false (the request is malformed: undefinedError). *p is the profile it
 * names, NULL none (iccidOrAidNotFound). */
static bool target(orsp_euicc *e, orsp_slice ident, orsp_euicc_profile_rec **p)
{
	orsp_tlv t;

	*p = NULL;
	if (orsp_der_parse_one(ident, &t)) {
		orsp_err_clear();
		return false;
	}
	if (t.tag == 0x4F && t.value.len >= 1 && t.value.len <= 16)
		*p = find_profile(e, t.value, (orsp_slice){0});
	else if (t.tag == 0x5A && t.value.len == 10)
		*p = find_profile(e, (orsp_slice){0}, t.value);
	else
		return false;
	return true;
}

/* Before profile p is enabled: read every record its USIM and ISIM are loaded from
 * (usim_sync: "upp", "sqn", "pin", "isqn"; only "upp" must be there), so that the store
 * authenticates each (the sealed store: tag and manifest). Nothing is kept, nothing changes.
 * The package is not decoded here: the install's trial load took it, and usim_sync decodes
 * it once after the commit. ORSP_OK; else the store's error: ORSP_E_VERIFY for a record
 * tampered with or damaged, ORSP_E_NOT_FOUND for a package missing, ORSP_E_STORAGE /
 * ORSP_E_RESOURCE when it could not be read now. */
static orsp_err profile_check(orsp_euicc *e, const orsp_euicc_profile_rec *p)
{
	static const char *const state_kinds[] = {"sqn", "pin", "isqn"};
	uint8_t st[ORSP_USIM_SQN_STATE_MAX > ORSP_USIM_PIN_STATE_MAX ? ORSP_USIM_SQN_STATE_MAX
	                                                             : ORSP_USIM_PIN_STATE_MAX];
	size_t len = 0;
	char name[16];
	orsp_err err;

	rec_name(name, "upp", p);
	if ((err = e->ops->read(e->user, name, e->upp, sizeof(e->upp), &len)))
		err = orsp_errf(err, "record %s: %s", name, orsp_err_detail());
	/* a read that failed midway may have left part of the package (K and OPc) */
	orsp_wipe(e->upp, sizeof(e->upp));
	for (size_t i = 0; !err && i < sizeof(state_kinds) / sizeof(state_kinds[0]); i++) {
		rec_name(name, state_kinds[i], p);
		err = e->ops->read(e->user, name, st, sizeof(st), &len);
		if (err == ORSP_E_NOT_FOUND) { /* the package's initial state */
			orsp_err_clear();
			err = ORSP_OK;
		} else if (err)
			err = orsp_errf(err, "record %s: %s", name, orsp_err_detail());
	}
	orsp_wipe(st, sizeof(st));
	return err;
}

/* EnableProfile of profile p refused for what profile_check found (err): undefinedError, the
 * only code of EnableProfileResponse for it (SGP.22 v2.2 §5.7.16), with the reason kept for
 * orsp_euicc_refusal and logged (`euicc serve` has no other way to tell). A record that could
 * not be read now (storage, memory) is no refusal: the command fails, as a failed commit
 * does, and may be tried again. Nothing was changed either way. */
static orsp_err enable_refused(orsp_euicc *e, const orsp_euicc_profile_rec *p, orsp_err err,
                               orsp_writer *w)
{
	char detail[ORSP_ERR_DETAIL_MAX / 2], iccid[21]; /* room for the words around it */

	if (err == ORSP_E_STORAGE || err == ORSP_E_RESOURCE || err == ORSP_E_IO ||
	    err == ORSP_E_CRYPTO)
		return err;
	orsp_err_detail_copy(detail, sizeof(detail));
	orsp_err_clear();
	if (orsp_iccid_decode_ef(p->iccid, iccid))
		snprintf(iccid, sizeof(iccid), "?");
	snprintf(e->refusal, sizeof(e->refusal),
	         "the eUICC's stored profile %s %s (tampered with or damaged): %s; it cannot be "
	         "enabled, only deleted",
	         iccid, err == ORSP_E_VERIFY ? "does not authenticate" : "cannot be loaded",
	         detail);
	orsp_log(ORSP_LOG_WARN, "EnableProfile refused (undefinedError): %s", e->refusal);
	return result(w, 0xBF31, 127);
}

/* EnableProfile / DisableProfile: { profileIdentifier [0] CHOICE, refreshFlag [1] BOOLEAN },
 * both mandatory, then only a later version's fields (skipped). The refreshFlag is checked
 * and has no effect: the USIM of the newly enabled profile is there at once, with no REFRESH
 * to wait for. */
static orsp_err enable_disable(orsp_euicc *e, const orsp_tlv *req, orsp_writer *w, bool enable)
{
	orsp_tlv id, rf;
	orsp_reader r;
	orsp_euicc_profile_rec *p, *cur;
	uint32_t tag = enable ? 0xBF31 : 0xBF32;
	bool refresh; /* checked, no effect */
	orsp_err err;

	orsp_reader_init(&r, req->value.p, req->value.len);
	if (orsp_der_expect(&r, 0xA0, &id) || orsp_der_expect(&r, 0x81, &rf) ||
	    orsp_der_bool(rf.value, &refresh) ||
	    orsp_der_skip_extensions(&r, (const uint32_t[]){0xA0, 0x81}, 2, REQ_DEPTH) ||
	    !target(e, id.value, &p)) {
		orsp_err_clear();
		return result(w, tag, 127); /* undefinedError */
	}
	if (!p)
		return result(w, tag, 1); /* iccidOrAidNotFound */
	cur = enabled_profile(e);
	if (enable ? p->enabled : !p->enabled)
		return result(w, tag, 2); /* profileNotIn{Disabled,Enabled}State */
	/* PPR1: the enabled profile cannot be disabled (also not by enabling another) */
	if (cur && (cur->ppr & 0x40))
		return result(w, tag, 3);
	if (!notif_room(e, notif_need(cur, 0x20) + notif_need(enable ? p : NULL, 0x40)))
		return result(w, tag, 127); /* the list is full: see notif_room */
	/* A profile whose records do not authenticate is refused before anything changes: no
	 * commit, no notification, the enabled one stays enabled. Only the profile enabled at
	 * open is kept without its USIM (orsp_euicc_attach), so that it can be deleted; this
	 * one can be deleted as it is. */
	if (enable && (err = profile_check(e, p)))
		return enable_refused(e, p, err, w);
	if (cur) {
		cur->enabled = false;
		if ((err = add_other_notification(e, cur, 0x20)))
			goto fail;
	}
	if (enable) {
		p->enabled = true;
		if ((err = add_other_notification(e, p, 0x40)))
			goto fail;
	}
	if ((err = commit(e, NULL, 0)))
		goto fail;
	if (usim_sync(e))
		orsp_err_clear(); /* the state is committed; the USIM reloads on the next open */
	return result(w, tag, 0);
fail:
	restore(e);
	return err;
}

static orsp_err delete_profile(orsp_euicc *e, const orsp_tlv *req, orsp_writer *w)
{
	orsp_euicc_profile_rec *p;
	orsp_euicc_record recs[ISDP_RECORDS];
	char names[ISDP_RECORDS][16];
	size_t n;
	orsp_err err;

	if (!target(e, req->value, &p))
		return result(w, 0xBF33, 127); /* undefinedError */
	if (!p)
		return result(w, 0xBF33, 1);
	if (p->enabled)
		return result(w, 0xBF33, 2);
	if (p->ppr & 0x20)
		return result(w, 0xBF33, 3); /* PPR2 */
	if (!notif_room(e, notif_need(p, 0x10)))
		return result(w, 0xBF33, 127); /* the list is full: see notif_room */
	if ((err = add_other_notification(e, p, 0x10)))
		goto fail;
	n = isdp_removals(p, names, recs);
	memset(p, 0, sizeof(*p));
	if ((err = commit(e, recs, n)))
		goto fail;
	return result(w, 0xBF33, 0);
fail:
	restore(e);
	return err;
}

static bool want(const orsp_tlv *taglist, uint32_t tag)
{
	if (!taglist || !taglist->value.p)
		return true;
	for (size_t i = 0; i < taglist->value.len; i++) {
		uint32_t t = taglist->value.p[i];
		if ((t & 0x1F) == 0x1F && i + 1 < taglist->value.len)
			t = t << 8 | taglist->value.p[++i];
		if (t == tag)
			return true;
	}
	return false;
}

/* A list function's error answer: tag { [1] code } (ProfileInfoListError,
 * listNotificationsResultError, notificationsListResultError). */
static orsp_err list_error(orsp_writer *w, uint32_t tag, int code)
{
	orsp_der_mark m = orsp_der_begin(w, tag);
	orsp_der_put_uint(w, 0x81, (uint64_t)code);
	orsp_der_end(w, m);
	orsp_err_clear();
	return ORSP_OK;
}

/* A NotificationEvent filter: a DER BIT STRING of one content octet with a bit set (its
 * unused bits zero: orsp_der_bits_octet). */
static bool event_filter(const orsp_tlv *f, uint8_t *filter)
{
	uint8_t bits = 0;
	size_t nbits;

	if (f->value.len != 2 || orsp_der_bits_octet(f->value, &bits, &nbits) || !bits) {
		orsp_err_clear();
		return false;
	}
	*filter = bits;
	return true;
}

/* GetProfilesInfo: { searchCriteria [0] CHOICE { 4F OctetTo16, 5A Iccid, 95 ProfileClass }
 * OPTIONAL, tagList 5C OPTIONAL }. A searchCriteria that is none of these is
 * incorrectInputValues (1), not "no filter"; a later version's fields after them are
 * skipped; one of them twice or out of order is undefinedError (127). */
static orsp_err profiles_info(orsp_euicc *e, const orsp_tlv *req, orsp_writer *w)
{
	orsp_tlv f, tl = {0}, crit = {0}, c = {0};
	orsp_reader r;
	orsp_der_mark m, l;

	orsp_reader_init(&r, req->value.p, req->value.len);
	if (orsp_der_expect(&r, 0xA0, &f) == ORSP_OK)
		crit = f;
	if (orsp_der_expect(&r, 0x5C, &f) == ORSP_OK)
		tl = f;
	if (orsp_der_skip_extensions(&r, (const uint32_t[]){0xA0, 0x5C}, 2, REQ_DEPTH)) {
		orsp_err_clear();
		return list_error(w, 0xBF2D, 127);
	}
	orsp_err_clear();
	if (crit.raw.p && (orsp_der_parse_one(crit.value, &c) ||
	                   !((c.tag == 0x4F && c.value.len >= 1 && c.value.len <= 16) ||
	                     (c.tag == 0x5A && c.value.len == 10) ||
	                     (c.tag == 0x95 && c.value.len == 1 && c.value.p[0] <= 2))))
		return list_error(w, 0xBF2D, 1); /* incorrectInputValues */
	m = orsp_der_begin(w, 0xBF2D);
	l = orsp_der_begin(w, 0xA0);
	for (size_t i = 0; i < ORSP_EUICC_MAX_PROFILES; i++) {
		const orsp_euicc_profile_rec *p = &e->profiles[i];
		orsp_der_mark pi;
		if (!p->used)
			continue;
		if (crit.raw.p) {
			if (c.tag == 0x4F &&
			    (c.value.len != p->aid_len || memcmp(c.value.p, p->aid, c.value.len)))
				continue;
			if (c.tag == 0x5A && (c.value.len != 10 || memcmp(c.value.p, p->iccid, 10)))
				continue;
			if (c.tag == 0x95 &&
			    (c.value.len != 1 || c.value.p[0] != (uint8_t)p->profile_class))
				continue;
		}
		pi = orsp_der_begin(w, 0xE3);
		if (want(&tl, 0x5A))
			orsp_der_put_tlv(w, 0x5A, p->iccid, 10);
		if (want(&tl, 0x4F))
			orsp_der_put_tlv(w, 0x4F, p->aid, p->aid_len);
		if (want(&tl, 0x9F70))
			orsp_der_put_uint(w, 0x9F70, p->enabled ? 1 : 0);
		if (want(&tl, 0x90))
			put_str(w, 0x90, p->nickname);
		if (want(&tl, 0x91))
			put_str(w, 0x91, p->spn);
		if (want(&tl, 0x92))
			put_str(w, 0x92, p->name);
		if (want(&tl, 0x95))
			orsp_der_put_uint(w, 0x95, (uint64_t)p->profile_class);
		/* notificationConfigurationInfo [22] when a tagList asks for it (the default set
		 * without a tagList stays as it was: what a commercial eUICC's answer to BF2D00
		 * shows, docs/euicc.md) */
		if (tl.value.p && want(&tl, 0xB6) && main_addr(p)[0])
			put_notif_config(w, p);
		if (tl.value.p && want(&tl, 0xB7) && p->owner_len)
			orsp_der_put_tlv(w, 0xB7, p->owner, p->owner_len);
		if (want(&tl, 0x99) && p->ppr) {
			/* DER named BIT STRING: trailing zero bits not counted (X.690 §11.2.2) */
			uint8_t b[2] = {0, p->ppr};
			while (!(p->ppr & (1u << b[0])))
				b[0]++;
			orsp_der_put_tlv(w, 0x99, b, 2);
		}
		orsp_der_end(w, pi);
	}
	orsp_der_end(w, l);
	orsp_der_end(w, m);
	return ORSP_OK;
}

/* The slots of the notifications held, oldest first (by seqNumber): a freed slot is taken
 * again by the next notification, so the slots' order is not the events'. Both lists give them
 * in order: the LPA sends them as listed, and an operator applying an enable after the
 * disable that followed it ends in the wrong state (they were listed by slot). */
static size_t notif_order(const orsp_euicc *e, size_t order[ORSP_EUICC_MAX_NOTIFICATIONS])
{
	size_t n = 0;

	for (size_t i = 0; i < ORSP_EUICC_MAX_NOTIFICATIONS; i++) {
		size_t k;
		if (!e->notifs[i].used)
			continue;
		for (k = n++; k > 0 && e->notifs[order[k - 1]].seq > e->notifs[i].seq; k--)
			order[k] = order[k - 1];
		order[k] = i;
	}
	return n;
}

static orsp_err list_notifications(orsp_euicc *e, const orsp_tlv *req, orsp_writer *w)
{
	size_t order[ORSP_EUICC_MAX_NOTIFICATIONS];
	orsp_tlv f;
	orsp_reader r;
	uint8_t filter = 0;
	orsp_der_mark m, l;

	/* { profileManagementOperation [1] NotificationEvent OPTIONAL }: a filter that is not
	 * one is undefinedError, not "no filter"; a later version's fields are skipped */
	orsp_reader_init(&r, req->value.p, req->value.len);
	if (orsp_der_expect(&r, 0x81, &f) == ORSP_OK && !event_filter(&f, &filter))
		return list_error(w, 0xBF28, 127);
	if (orsp_der_skip_extensions(&r, (const uint32_t[]){0x81}, 1, REQ_DEPTH)) {
		orsp_err_clear();
		return list_error(w, 0xBF28, 127);
	}
	orsp_err_clear();
	m = orsp_der_begin(w, 0xBF28);
	l = orsp_der_begin(w, 0xA0);
	for (size_t k = 0, n_used = notif_order(e, order); k < n_used; k++) {
		const orsp_euicc_notification_rec *n = &e->notifs[order[k]];
		if (!filter || (filter & n->event))
			put_meta(w, n->seq, n->event, n->addr, n->iccid);
	}
	orsp_der_end(w, l);
	orsp_der_end(w, m);
	return ORSP_OK;
}

static orsp_err retrieve_notifications(orsp_euicc *e, const orsp_tlv *req, orsp_writer *w)
{
	size_t order[ORSP_EUICC_MAX_NOTIFICATIONS];
	orsp_tlv crit, c;
	uint64_t seq = 0;
	bool by_seq = false, given;
	uint8_t filter = 0;
	size_t found = 0;
	orsp_der_mark m, l;

	/* { searchCriteria [0] CHOICE { seqNumber [0], profileManagementOperation [1] }
	 * OPTIONAL }: a searchCriteria that is neither is undefinedError, not "every
	 * notification"; a later version's fields after it are skipped (until session 70 they
	 * were undefinedError), searchCriteria again is not one */
	if (!opt_field(req->value, 0xA0, &crit, &given))
		return list_error(w, 0xBF2B, 127);
	if (given) {
		if (orsp_der_parse_one(crit.value, &c))
			return list_error(w, 0xBF2B, 127);
		if (c.tag == 0x80 && !orsp_der_uint(c.value, &seq))
			by_seq = true;
		else if (c.tag != 0x81 || !event_filter(&c, &filter))
			return list_error(w, 0xBF2B, 127);
	}
	orsp_err_clear();
	m = orsp_der_begin(w, 0xBF2B);
	l = orsp_der_begin(w, 0xA0);
	for (size_t k = 0, n_used = notif_order(e, order); k < n_used; k++) {
		const orsp_euicc_notification_rec *n = &e->notifs[order[k]];
		if ((by_seq && n->seq != seq) || (filter && !(filter & n->event)))
			continue;
		found++;
		if (n->event == 0x80) {
			orsp_write_bytes(w, n->data, n->len); /* the PIR */
		} else {
			/* OtherSignedNotification { metadata, signature, CERT.EUICC, CERT.EUM } */
			orsp_der_mark o = orsp_der_begin(w, 0x30);
			orsp_write_bytes(w, n->data, n->len);
			orsp_write_bytes(w, e->cert, e->cert_len);
			orsp_write_bytes(w, e->eum, e->eum_len);
			orsp_der_end(w, o);
		}
	}
	orsp_der_end(w, l);
	orsp_der_end(w, m);
	if (!found) {
		w->len = 0;
		w->overflow = false;
		m = orsp_der_begin(w, 0xBF2B);
		orsp_der_put_uint(w, 0x81, 1); /* noResultAvailable */
		orsp_der_end(w, m);
	}
	return ORSP_OK;
}

static orsp_err remove_notification(orsp_euicc *e, const orsp_tlv *req, orsp_writer *w)
{
	orsp_tlv f;
	uint64_t seq;
	orsp_err err;

	if (!one_field(req->value, 0x80, &f) || orsp_der_uint(f.value, &seq)) {
		orsp_err_clear();
		return result(w, 0xBF30, 127);
	}
	for (size_t i = 0; i < ORSP_EUICC_MAX_NOTIFICATIONS; i++) {
		if (e->notifs[i].used && e->notifs[i].seq == seq) {
			e->notifs[i].used = false;
			if ((err = commit(e, NULL, 0))) {
				restore(e);
				return err;
			}
			return result(w, 0xBF30, 0);
		}
	}
	return result(w, 0xBF30, 1); /* nothingToDelete */
}

static orsp_err cancel_session(orsp_euicc *e, const orsp_tlv *req, orsp_writer *w)
{
	orsp_tlv ft, fr;
	orsp_reader r;
	uint64_t reason = 0;
	uint8_t buf[128], sig[ORSP_EC_SIG_LEN];
	orsp_der_mark m;
	orsp_err err;
	int code = 0;

	/* the session first: a request that does not name it (no session, no transactionId or
	 * another one) is invalidTransactionId; one that names it with no reason, a reason that
	 * is no CancelSessionReason (a DER INTEGER, not negative), or after it a known field
	 * again or bytes that do not read, is undefinedError (a later version's fields are
	 * skipped) */
	orsp_reader_init(&r, req->value.p, req->value.len);
	if (e->s.step < S_AUTH || orsp_der_expect(&r, 0x80, &ft) || ft.value.len != e->s.tid_len ||
	    memcmp(ft.value.p, e->s.tid, ft.value.len))
		code = 5; /* invalidTransactionId */
	else if (orsp_der_expect(&r, 0x81, &fr) || orsp_der_uint(fr.value, &reason) ||
	         orsp_der_skip_extensions(&r, (const uint32_t[]){0x80, 0x81}, 2, REQ_DEPTH))
		code = 127; /* undefinedError */
	if (code) {
		orsp_err_clear();
		/* while loading, as any other command: the unfinished package is dropped, and the
		 * session, which this answer does not end with a result, gets its interruption
		 * PIR (interrupt_load); if that fails to commit, so does this command */
		if (e->s.step == S_LOAD && (err = interrupt_load(e)))
			return err;
		m = orsp_der_begin(w, 0xBF41);
		orsp_der_put_uint(w, 0x81, (uint64_t)code);
		orsp_der_end(w, m);
		return ORSP_OK;
	}
	{
		orsp_writer sw;
		orsp_writer_init(&sw, buf, sizeof(buf));
		m = orsp_der_begin(&sw, 0x30);
		orsp_der_put_tlv(&sw, 0x80, e->s.tid, e->s.tid_len);
		orsp_der_put_tlv(&sw, 0x81, e->s.smdp_oid, e->s.smdp_oid_len);
		orsp_der_put_uint(&sw, 0x82, reason);
		orsp_der_end(&sw, m);
		if ((err = orsp_writer_status(&sw)) || (err = sign(e, buf, sw.len, sig)))
			return err;
		m = orsp_der_begin(w, 0xBF41);
		{
			orsp_der_mark ok = orsp_der_begin(w, 0xA0);
			orsp_write_bytes(w, buf, sw.len);
			orsp_der_put_tlv(w, 0x5F37, sig, 64);
			orsp_der_end(w, ok);
		}
		orsp_der_end(w, m);
	}
	/* also while a package is loading (S_LOAD, the LPA gave up on it): nothing of it is
	 * stored before its last piece but the load record, so dropping the session (unwrap
	 * context, metadata, the package buffer) and that record leaves no trace of it. No
	 * interruption PIR (interrupt_load, settle_load): this signed answer is the session's one
	 * result, which the LPA passes to the SM-DP+ with ES9+ CancelSession. The record's removal
	 * is committed before the answer leaves the card; if that fails, the command fails
	 * (6581) and the session stays for the CancelSession again. */
	if (e->load.cmd || e->load_stored) {
		memset(&e->load, 0, sizeof(e->load));
		if ((err = commit(e, NULL, 0))) {
			restore(e);
			end_failed_load(e);
			return err;
		}
	}
	reset_session(e);
	return ORSP_OK;
}

/* Whether eUICCMemoryReset with these options deletes p: operational profiles (class 2) for
 * deleteOperationalProfiles, test profiles (class 0) for deleteFieldLoadedTestProfiles. */
static bool reset_deletes(const orsp_euicc_profile_rec *p, uint8_t opts)
{
	return p->used && ((p->profile_class == 2 && (opts & 0x80)) ||
	                   (p->profile_class == 0 && (opts & 0x40)));
}

/* eUICCMemoryReset (§5.7.19): resetOptions [2] BIT STRING { deleteOperationalProfiles(0),
 * deleteFieldLoadedTestProfiles(1), resetDefaultSmdpAddress(2) }; everything in one commit.
 * The answer says whether a profile was deleted: ok when at least one was, else
 * nothingToDelete; the default SM-DP+ address is reset all the same, and "in this case, both
 * ok and nothingToDelete responses indicate successful execution" (§5.7.19; until session 70
 * a reset of the address alone answered ok). Each deleted profile raises the delete
 * notification its notificationConfigurationInfo asks for, as DeleteProfile does (the
 * operator learns that its profile is gone; SGP.22 v3 states it for this function); when they
 * do not all fit in the list, nothing is done (undefinedError), as for DeleteProfile. */
static orsp_err memory_reset(orsp_euicc *e, const orsp_tlv *req, orsp_writer *w)
{
	orsp_euicc_record recs[ISDP_RECORDS * ORSP_EUICC_MAX_PROFILES];
	char names[ISDP_RECORDS * ORSP_EUICC_MAX_PROFILES][16];
	size_t n = 0, need = 0;
	bool any = false, enabled_gone = false;
	uint8_t opts = 0;
	size_t nbits;
	orsp_tlv f;
	orsp_err err;

	/* resetOptions of one contents octet, DER: {07 20} (bit 0, clear; bit 2 a set padding
	 * bit) is undefinedError, never resetDefaultSmdpAddress. No option set is {00}, the
	 * initial octet alone (X.690 §11.2.2 drops every trailing zero bit): well formed, it
	 * selects nothing, so nothingToDelete below ({01}, unused bits of no octet, is not) */
	if (!one_field(req->value, 0x82, &f) || (f.value.len != 1 && f.value.len != 2) ||
	    orsp_der_bits_octet(f.value, &opts, &nbits)) {
		orsp_err_clear();
		return result(w, 0xBF34, 127);
	}
	for (size_t i = 0; i < ORSP_EUICC_MAX_PROFILES; i++)
		if (reset_deletes(&e->profiles[i], opts))
			need += notif_need(&e->profiles[i], 0x10);
	if (!notif_room(e, need))
		return result(w, 0xBF34, 127); /* the list is full: see notif_room */
	for (size_t i = 0; i < ORSP_EUICC_MAX_PROFILES; i++) {
		orsp_euicc_profile_rec *p = &e->profiles[i];
		if (!reset_deletes(p, opts))
			continue;
		if ((err = add_other_notification(e, p, 0x10))) {
			restore(e);
			return err;
		}
		n += isdp_removals(p, names + n, recs + n);
		enabled_gone |= p->enabled;
		memset(p, 0, sizeof(*p));
		any = true;
	}
	/* resetDefaultSmdpAddress: back to its initial (provisioned) value (§5.7.19) */
	if ((opts & 0x20) && strcmp(e->default_dp, e->factory_dp)) {
		snprintf(e->default_dp, sizeof(e->default_dp), "%s", e->factory_dp);
		any = true;
	}
	if (!any)
		return result(w, 0xBF34, 1); /* nothingToDelete, nothing to store */
	if ((err = commit(e, recs, n))) {
		restore(e);
		return err;
	}
	/* profiles deleted: a download session in progress ends as a cancelled one does, and
	 * the one-time key kept for a retry of its binding goes with it (RAM only), so that no
	 * profile prepared before the reset is bound and installed after it */
	if (n) {
		reset_session(e);
		drop_kept_otsk(e);
	}
	/* The USIM (and ISIM) go with the enabled profile only: a reset that keeps it leaves
	 * the terminal's session on them as it is. */
	if (enabled_gone && usim_sync(e))
		orsp_err_clear();
	return result(w, 0xBF34, n ? 0 : 1); /* ok: a profile deleted; else nothingToDelete */
}

orsp_err orsp_euicc_es10(orsp_euicc *e, orsp_slice req, orsp_writer *w)
{
	orsp_tlv t;

	if (!e || !e->open || !w || !req.p)
		return orsp_errf(ORSP_E_USAGE, "eUICC: %s",
		                 e && w && req.p ? "not open (or stopped by unreadable storage)"
		                                 : "bad arguments");
	e->refusal[0] = '\0';
	/* the pieces of a LoadBoundProfilePackage after the first one */
	if (e->s.step == S_LOAD && req.len && req.p[0] != 0xBF)
		return bpp_piece(e, req, w);
	/* anything else ends an unfinished package, a new BF36 too, with the interruption PIR
	 * once ConfigureISDP was executed; if that fails to commit, so does the command.
	 * CancelSession ends it in cancel_session: taken, with its signed answer instead. */
	if (e->s.step == S_LOAD && !(req.len >= 2 && req.p[0] == 0xBF && req.p[1] == 0x41)) {
		orsp_err err = interrupt_load(e);
		if (err)
			return err;
	}
	if (req.len >= 2 && req.p[0] == 0xBF && req.p[1] == 0x36)
		return load_bpp_start(e, req, w);
	if (orsp_der_parse_one(req, &t) || orsp_der_validate(t.raw, 16)) {
		/* a CancelSession that does not even read ends the load as any other command */
		if (e->s.step == S_LOAD) {
			orsp_err err = interrupt_load(e);
			if (err)
				return err;
		}
		return orsp_errf(ORSP_E_MALFORMED, "ES10: not one well-formed TLV");
	}
	switch (t.tag) {
	case 0xBF2E: { /* GetEUICCChallenge */
		orsp_der_mark m;
		reset_session(e);
		if (orsp_random(e->s.echal, 16))
			return ORSP_E_CRYPTO;
		e->s.step = S_CHAL;
		m = orsp_der_begin(w, 0xBF2E);
		orsp_der_put_tlv(w, 0x80, e->s.echal, 16);
		orsp_der_end(w, m);
		return orsp_writer_status(w);
	}
	case 0xBF20:
		info1(e, w);
		return orsp_writer_status(w);
	case 0xBF22:
		info2(e, w);
		return orsp_writer_status(w);
	case 0xBF38:
		return authenticate_server(e, &t, w);
	case 0xBF21:
		return prepare_download(e, &t, w);
	case 0xBF41:
		return cancel_session(e, &t, w);
	case 0xBF2D:
		return profiles_info(e, &t, w);
	case 0xBF31:
		return enable_disable(e, &t, w, true);
	case 0xBF32:
		return enable_disable(e, &t, w, false);
	case 0xBF33:
		return delete_profile(e, &t, w);
	case 0xBF28:
		return list_notifications(e, &t, w);
	case 0xBF2B:
		return retrieve_notifications(e, &t, w);
	case 0xBF30:
		return remove_notification(e, &t, w);
	case 0xBF34:
		return memory_reset(e, &t, w);
	case 0xBF3E: { /* GetEID */
		orsp_der_mark m = orsp_der_begin(w, 0xBF3E);
		orsp_der_put_tlv(w, 0x5A, e->eid_bin, 16);
		orsp_der_end(w, m);
		return orsp_writer_status(w);
	}
	case 0xBF29: { /* SetNickname { iccid, profileNickname [16] } */
		orsp_tlv fi, fn;
		orsp_reader r;
		orsp_euicc_profile_rec *p;
		orsp_err err;
		orsp_reader_init(&r, t.value.p, t.value.len);
		/* profileNickname: UTF8String (SIZE(0..64)), in characters; refused (never cut)
		 * when longer or not UTF-8 */
		if (orsp_der_expect(&r, 0x5A, &fi) || fi.value.len != 10 ||
		    orsp_der_expect(&r, 0x90, &fn) ||
		    orsp_der_skip_extensions(&r, (const uint32_t[]){0x5A, 0x90}, 2, REQ_DEPTH) ||
		    !text_ok(fn.value, ORSP_EUICC_NAME_CHARS)) {
			orsp_err_clear();
			return result(w, 0xBF29, 127);
		}
		if (!(p = find_profile(e, (orsp_slice){0}, fi.value)))
			return result(w, 0xBF29, 1);
		copy_str(fn.value, p->nickname, sizeof(p->nickname));
		if ((err = commit(e, NULL, 0))) {
			restore(e);
			return err;
		}
		return result(w, 0xBF29, 0);
	}
	case 0xBF3C: { /* GetEuiccConfiguredAddresses */
		orsp_der_mark m = orsp_der_begin(w, 0xBF3C);
		if (e->default_dp[0])
			put_str(w, 0x80, e->default_dp);
		put_str(w, 0x81, "lpa.ds.gsma.com");
		orsp_der_end(w, m);
		return orsp_writer_status(w);
	}
	case 0xBF3F: { /* SetDefaultDpAddress { defaultDpAddress [0] UTF8String } (§5.7.4) */
		orsp_tlv f;
		orsp_err err;
		/* a host name by the rule provisioning, the LPA and the SM-DP+ apply
		 * (orsp_fqdn_check: at most 253 letters, digits, '-' and '.', so no NUL and nothing
		 * that is not UTF-8), or empty: no default address. Anything else is
		 * undefinedError, the address unchanged and nothing committed, never cut. A later
		 * version's fields after it are skipped (until session 70 undefinedError). */
		if (!one_field(t.value, 0x80, &f) ||
		    (f.value.len && orsp_fqdn_check((const char *)f.value.p, f.value.len))) {
			orsp_err_clear();
			return result(w, 0xBF3F, 127);
		}
		copy_str(f.value, e->default_dp, sizeof(e->default_dp));
		if ((err = commit(e, NULL, 0))) {
			restore(e);
			return err;
		}
		return result(w, 0xBF3F, 0);
	}
	case 0xBF43: { /* GetRAT */
		/* The Rules Authorisation Table of a consumer eUICC, matching what StoreMetadata
		 * accepts and enable / disable / delete enforce: one rule {pprIds ppr1|ppr2,
		 * allowedOperators {mccMnc EEEEEE: every digit the wildcard, no GIDs: any
		 * operator}, pprFlags consentRequired (the LPA asks the end user)}. */
		static const uint8_t rat[] = {0x30, 0x11, 0x80, 0x02, 0x05, RAT_PPRS, 0xA1,
		                              0x07, 0x30, 0x05, 0x80, 0x03, 0xEE,     0xEE,
		                              0xEE, 0x82, 0x02, 0x07, 0x80};
		orsp_der_mark m = orsp_der_begin(w, 0xBF43);
		orsp_der_put_tlv(w, 0xA0, rat, sizeof(rat));
		orsp_der_end(w, m);
		return orsp_writer_status(w);
	}
	default:
		return orsp_errf(ORSP_E_NOT_FOUND, "ES10: function %04X not supported",
		                 (unsigned)t.tag);
	}
}

/* ---------------------------------------------------------------- the APDU applications - */

static uint16_t isdr_store_data(void *user, uint8_t channel, orsp_slice data, orsp_writer *rsp)
{
	orsp_err err;

	(void)channel;
	err = orsp_euicc_es10(user, data, rsp);
	if (err == ORSP_OK)
		return orsp_writer_status(rsp) ? ORSP_SW_TECHNICAL_PROBLEM : ORSP_SW_OK;
	return err == ORSP_E_NOT_FOUND ? ORSP_SW_FUNCTION_NOT_SUPPORTED
	                               : orsp_euicc_sw_from_err(err);
}

/* A card reset (orsp_euicc_apdu_reset: power on, power off, reset; openrsp euicc serve gets
 * them from vpcd) ends the RSP session, as a card's RAM does not outlive one: the
 * euiccChallenge, PK.DPpb, the session keys and a package half received are wiped, and no
 * command after the reset continues the session. A package whose installation had begun
 * ends with its interruption PIR kept (interrupt_load); if its commit fails, it is lost
 * (logged): no command is there to fail. */
static void isdr_reset(void *user)
{
	orsp_euicc *e = user;

	if (!e->open) {
		reset_session(e);
		return;
	}
	if (interrupt_load(e)) {
		orsp_log(ORSP_LOG_WARN,
		         "card reset: the interrupted installation's result not kept: %s",
		         orsp_err_detail());
		orsp_err_clear();
	}
}

/* The ISD-R's proprietary FCI data (GlobalPlatform Card Specification, SELECT response
 * 'A5'): '9F65' the maximum length of a command's data field, 255 (short APDUs; ES10 commands
 * longer than that are STORE DATA chains). */
static uint16_t isdr_select(void *user, uint8_t channel, orsp_writer *fci_prop)
{
	static const uint8_t max_data = 0xFF;
	(void)user;
	(void)channel;
	orsp_der_put_tlv(fci_prop, 0x9F65, &max_data, 1);
	return ORSP_SW_OK;
}

static const orsp_euicc_app_ops isdr_ops = {
    .select = isdr_select, .store_data = isdr_store_data, .reset = isdr_reset, .fci_only = true};

orsp_err orsp_euicc_attach(orsp_euicc *e, orsp_euicc_apdu_ctx *apdu)
{
	uint8_t aid[16];
	orsp_err err;

	if (!e || !e->open || !apdu)
		return orsp_errf(ORSP_E_USAGE, "eUICC attach: bad arguments");
	if ((err = orsp_hex_decode_exact(ORSP_ISDR_AID_HEX, aid, 16)) ||
	    (err = orsp_euicc_apdu_register(apdu, aid, 16, &isdr_ops, e)))
		return err;
	e->apdu = apdu;
	/* A USIM that does not load (a damaged upp record, a package the USIM refuses) must not
	 * make the ISD-R unreachable: the card still answers ES10, so the LPA can disable or
	 * delete that profile; the USIM is simply absent (SELECT 6A82). */
	if (usim_sync(e))
		orsp_err_clear();
	return ORSP_OK;
}
