/* openrsp pkg: MCIM profile packages.
 *
 * A profile package is the TCA "eUICC Profile Package: Interoperable Format" (PEDefinitions
 * v3.3.1, SAIP): a plain concatenation of DER-encoded ProfileElement values with no outer
 * wrapper, the Unprotected Profile Package that an SM-DP+ binds for one eUICC (SGP.22 §2.5).
 *
 * The model is the asn1c decoding of each ProfileElement (module set "pe", see docs/asn1.md),
 * kept private to this module, plus the DER bytes each PE was decoded from. This header
 * exposes no generated type: callers read the model through the secret-free summaries below,
 * and reach K and OPc/TOPc (orsp_pkg_get_aka_keys) and the security domains' keys
 * (orsp_pkg_get_sd_key_data) only as orsp_secret. Everything the model holds is wiped when it
 * is freed.
 *
 * Errors from outside input name the profile element: "PE #<index> (<type>): <reason>", the
 * index counted from 0 in package order, the type as the ProfileElement CHOICE names it.
 * Details never contain key material.
 */
#ifndef OPENRSP_PKG_H
#define OPENRSP_PKG_H

#include "openrsp/aka.h"
#include "openrsp/core.h"

#define ORSP_PKG_MAX_SIZE (4u << 20) /* largest package orsp_pkg_decode accepts */
#define ORSP_PKG_MAX_PES 1024        /* most profile elements in one package */
#define ORSP_PKG_MAX_DEPTH 24        /* deepest DER nesting inside one PE */
/* Most TLVs in one package, every nesting level counted. The decoded model costs up to ~190
 * bytes per TLV (a 4 MiB package of 2-byte items would take ~380 MB); GSMA's TS.48
 * profiles have about 2,500. */
#define ORSP_PKG_MAX_TLVS 100000

/* ProfileElement CHOICE alternatives, numbered as their context tags + 1 (PEDefinitions). */
typedef enum orsp_pe_type {
	ORSP_PE_UNKNOWN = 0, /* an alternative this version of PEDefinitions does not know */
	ORSP_PE_HEADER,
	ORSP_PE_GENERIC_FILE_MANAGEMENT,
	ORSP_PE_PIN_CODES,
	ORSP_PE_PUK_CODES,
	ORSP_PE_AKA_PARAMETER,
	ORSP_PE_CDMA_PARAMETER,
	ORSP_PE_SECURITY_DOMAIN,
	ORSP_PE_RFM,
	ORSP_PE_APPLICATION,
	ORSP_PE_NON_STANDARD,
	ORSP_PE_END,
	ORSP_PE_RFU1,
	ORSP_PE_RFU2,
	ORSP_PE_RFU3,
	ORSP_PE_RFU4,
	ORSP_PE_RFU5,
	ORSP_PE_MF,
	ORSP_PE_CD,
	ORSP_PE_TELECOM,
	ORSP_PE_USIM,
	ORSP_PE_OPT_USIM,
	ORSP_PE_ISIM,
	ORSP_PE_OPT_ISIM,
	ORSP_PE_PHONEBOOK,
	ORSP_PE_GSM_ACCESS,
	ORSP_PE_CSIM,
	ORSP_PE_OPT_CSIM,
	ORSP_PE_EAP,
	ORSP_PE_DF_5GS,
	ORSP_PE_DF_SAIP,
	ORSP_PE_DF_SNPN,
	ORSP_PE_DF_5GPROSE,
	ORSP_PE_IOT,
	ORSP_PE_OPT_IOT,
	ORSP_PE__COUNT
} orsp_pe_type;

/* The ASN.1 identifier of the alternative ("akaParameter", "opt-usim"); "unknown" otherwise. */
const char *orsp_pe_type_name(orsp_pe_type t);

/* ---------------------------------------------------------------- package --------------- */

typedef struct orsp_pkg orsp_pkg;

/* Decode a package: every PE must be one DER TLV (strict: definite minimal lengths, nesting at
 * most ORSP_PKG_MAX_DEPTH) that decodes as a ProfileElement satisfying the module's constraints.
 * A PE of an unknown CHOICE alternative is kept as received (type ORSP_PE_UNKNOWN). The input
 * is copied. Structure rules (header first, end last...) are orsp_pkg_validate's job.
 * Errors: ORSP_E_MALFORMED naming the PE, ORSP_E_RESOURCE (size, PE and TLV count limits,
 * memory; the TLV limit names the PE that reaches it). A failed allocation is one of the
 * wiping allocator (orsp_wipe_malloc ...), counted in orsp_wipe_alloc_failures, and a limit is
 * not: a caller that must tell the host's shortage from a package too large reads the count
 * before and after (an eUICC's install: the first is no fault of the package). */
ORSP_MUST_CHECK orsp_err orsp_pkg_decode(const uint8_t *der, size_t len, orsp_pkg **out);
/* Wipe and free (NULL is fine). */
void orsp_pkg_free(orsp_pkg *pkg);

/* Encode the package. By default each PE is emitted as the DER it was decoded from, or as it
 * was re-encoded by personalisation; ORSP_PKG_ENCODE_REENCODE encodes every PE afresh from the
 * model (fails for ORSP_PE_UNKNOWN PEs). *out is malloc'd and holds key material: release it
 * with orsp_pkg_buf_free. */
#define ORSP_PKG_ENCODE_REENCODE 1u
ORSP_MUST_CHECK orsp_err orsp_pkg_encode(const orsp_pkg *pkg, unsigned flags, uint8_t **out,
                                         size_t *out_len);
/* Wipe len bytes at buf and free it (NULL is fine). */
void orsp_pkg_buf_free(uint8_t *buf, size_t len);

/* Number of profile elements. */
size_t orsp_pkg_count(const orsp_pkg *pkg);

typedef struct orsp_pe_info {
	orsp_pe_type type;
	bool has_header; /* a PEHeader: every PE except the ProfileHeader */
	unsigned id;     /* PEHeader.identification */
	bool mandated;   /* PEHeader.mandated (of an unknown alternative: read from raw) */
	orsp_slice raw;  /* the PE's DER, valid until the package changes; may hold secrets */
	bool lossless;   /* the model re-encodes to exactly raw (false: not DER, or extensions) */
} orsp_pe_info;
/* PE number i (0-based). ORSP_E_USAGE if i is out of range. */
ORSP_MUST_CHECK orsp_err orsp_pkg_pe(const orsp_pkg *pkg, size_t i, orsp_pe_info *out);

/* ---------------------------------------------------------------- ProfileHeader --------- */

/* ServicesList members, in module order. */
typedef enum orsp_pkg_service {
	ORSP_SVC_CONTACTLESS,
	ORSP_SVC_USIM,
	ORSP_SVC_ISIM,
	ORSP_SVC_CSIM,
	ORSP_SVC_MILENAGE,
	ORSP_SVC_TUAK128,
	ORSP_SVC_CAVE,
	ORSP_SVC_GBA_USIM,
	ORSP_SVC_GBA_ISIM,
	ORSP_SVC_MBMS,
	ORSP_SVC_EAP,
	ORSP_SVC_JAVACARD,
	ORSP_SVC_MULTOS,
	ORSP_SVC_MULTIPLE_USIM,
	ORSP_SVC_MULTIPLE_ISIM,
	ORSP_SVC_MULTIPLE_CSIM,
	ORSP_SVC_TUAK256,
	ORSP_SVC_USIM_TEST_ALGORITHM,
	ORSP_SVC_BER_TLV,
	ORSP_SVC_DFLINK,
	ORSP_SVC_CAT_TP,
	ORSP_SVC_GET_IDENTITY,
	ORSP_SVC_PROFILE_A_X25519,
	ORSP_SVC_PROFILE_B_P256,
	ORSP_SVC_SUCI_CALCULATOR_API,
	ORSP_SVC_DNS_RESOLUTION,
	ORSP_SVC_SCP11AC,
	ORSP_SVC_SCP11C_AUTHORIZATION_MECHANISM,
	ORSP_SVC_S16MODE,
	ORSP_SVC_EAKA,
	ORSP_SVC__COUNT
} orsp_pkg_service;
#define ORSP_SVC_BIT(s) (UINT64_C(1) << (s))
/* The ASN.1 identifier ("usim-test-algorithm"), or "?" */
const char *orsp_pkg_service_name(orsp_pkg_service s);
/* The bit of SGP.22's UICCCapability (EUICCInfo2) that announces service s, or -1 when
 * none does (usim-test-algorithm). Bits 0..18 are in SGP.22 v2.2, the rest came later. */
int orsp_pkg_service_capability(orsp_pkg_service s);
#define ORSP_UICC_CAPABILITY_BITS 31
/* The UICCCapability identifier of bit b ("akaMilenage"), or NULL past the known bits. */
const char *orsp_uicc_capability_name(unsigned b);

#define ORSP_PKG_MAX_GFSTE 32
#define ORSP_PKG_OID_MAX 64 /* dotted OID text, NUL included */

typedef struct orsp_pkg_header {
	size_t pe_index;
	unsigned major, minor;
	bool has_profile_type;
	char profile_type[401]; /* UTF-8, at most 100 characters */
	uint8_t iccid_raw[10];  /* ProfileHeader.iccid as coded */
	char iccid[21];         /* its digits, padding removed; "" if not BCD digits */
	uint64_t services;      /* ORSP_SVC_BIT() of each eUICC-Mandatory-service */
	size_t n_gfste;         /* eUICC-Mandatory-GFSTEList (first ORSP_PKG_MAX_GFSTE kept) */
	char gfste[ORSP_PKG_MAX_GFSTE][ORSP_PKG_OID_MAX];
	size_t n_mandatory_aids;
	bool has_pol, has_connectivity_parameters, has_iot_options;
} orsp_pkg_header;

/* The first ProfileHeader. ORSP_E_NOT_FOUND if the package has none. */
ORSP_MUST_CHECK orsp_err orsp_pkg_get_header(const orsp_pkg *pkg, orsp_pkg_header *out);

/* ---------------------------------------------------------------- file system PEs ------- */

#define ORSP_PKG_MAX_FILES 96

typedef struct orsp_pkg_file {
	const char *name; /* the PE member: "ef-imsi", "adf-usim" (static storage) */
	bool do_not_create;
	bool has_fcp; /* a fileDescriptor (Fcp) is given */
	bool has_fid;
	uint16_t fid;
	bool has_size;
	size_t size; /* efFileSize */
	bool has_fill_pattern, has_repeat_pattern;
	size_t n_content;   /* fillFileContent items */
	size_t content_len; /* their total length */
} orsp_pkg_file;

typedef struct orsp_pkg_fs {
	size_t pe_index;
	char template_oid[ORSP_PKG_OID_MAX];
	size_t n_files; /* Files present in the PE */
	orsp_pkg_file files[ORSP_PKG_MAX_FILES];
} orsp_pkg_fs;

/* true for the PEs that create files from a TCA template (mf, usim, opt-usim, ..., opt-iot). */
bool orsp_pe_type_is_fs(orsp_pe_type t);
/* The template and the Files present in file-system PE number pe. ORSP_E_USAGE if that PE
 * is not a file-system PE. */
ORSP_MUST_CHECK orsp_err orsp_pkg_get_files(const orsp_pkg *pkg, size_t pe, orsp_pkg_fs *out);

/* The content of file `name` of PE number pe as the package defines it: a fillPattern or
 * repeatPattern spread over the file size, then every fillFileContent at its offset (bytes
 * the package does not define read as 'FF'). *len is the file size when known (efFileSize,
 * or the TS 31.102 size of EF.IMSI/EF.SPN/EF.ICCID), else the end of the defined bytes.
 * ORSP_E_NOT_FOUND if the PE has no such file, ORSP_E_RESOURCE if cap is too small. */
ORSP_MUST_CHECK orsp_err orsp_pkg_file_read(const orsp_pkg *pkg, size_t pe, const char *name,
                                            uint8_t *buf, size_t cap, size_t *len);

/* File descriptor bytes (TS 102 221 §11.1.1.4.3) of the template files. */
#define ORSP_PKG_FD_DF 0x38 /* DF or ADF (b6-b4 111) */
#define ORSP_PKG_FD_TR 0x41 /* working EF, transparent (shareable) */
#define ORSP_PKG_FD_LF 0x42 /* working EF, linear fixed */
#define ORSP_PKG_FD_CY 0x46 /* working EF, cyclic */

/* One file of a TCA file template (eUICC Profile Package: Interoperable Format, Annex A): what
 * the eUICC creates where the PE's Fcp does not say otherwise. */
typedef struct orsp_pkg_tpl_file {
	orsp_pe_type pe;  /* the file-system PE whose template has it */
	const char *name; /* its PE member, "ef-imsi" */
	uint16_t fid;
	uint8_t fd;       /* file descriptor byte */
	uint16_t rec_len; /* record files; 0: the package must give it */
	uint16_t size;    /* whole file; 0: the package must give it */
	uint8_t sfi;
	const char *fill; /* default content as a hex fill pattern (last byte repeated); NULL: FF */
	bool one_record;  /* the template makes one record, its length the size the package gives
	                     (rec_len 0): ISIM's EF.IMPU and EF.P-CSCF */
} orsp_pkg_tpl_file;

/* The template files openrsp knows (the MF's, the USIM's and ISIM's and a subset of their
 * optional files: those openrsp's eUICC serves, docs/usim.md), *n their count. */
const orsp_pkg_tpl_file *orsp_pkg_tpl_files(size_t *n);
/* The template file `name` of file-system PE type pe, NULL if openrsp does not know it. */
const orsp_pkg_tpl_file *orsp_pkg_tpl_find(orsp_pe_type pe, const char *name);
/* The size of template file t in the version of its template that the PE names (its
 * templateID, dotted; NULL: the first version): t->size, but for EF.UST, 14 bytes in the first
 * ADF.USIM template (2.23.143.1.2.4) and 17 in the second (ORSP_PKG_TPL_USIM_V2). */
#define ORSP_PKG_TPL_USIM_V2 "2.23.143.1.2.4.2"
size_t orsp_pkg_tpl_size(const orsp_pkg_tpl_file *t, const char *oid);
/* The layout rules of a working EF with file descriptor byte fd, record length rec_len (0:
 * none known) and size bytes (TS 102 221 §11.1.1.4.3): a transparent, linear fixed or cyclic
 * EF has 1 to 65535 bytes, a linear fixed or cyclic one 1 to 254 records of 1 to 255 bytes,
 * its size a whole number of them. ORSP_OK for any other file (DF, BER-TLV EF);
 * ORSP_E_MALFORMED naming `name`, the sizes and the rule otherwise. Both the validator and
 * openrsp's eUICC apply it. */
ORSP_MUST_CHECK orsp_err orsp_pkg_ef_layout_check(const char *name, uint8_t fd, size_t rec_len,
                                                  size_t size);
/* Lay a file's pattern over dst (n bytes, TS 102 222 §6.3.2.2): a fill pattern written once
 * and its last byte repeated, a repeat pattern (repeat) repeated whole; in a linear fixed or
 * cyclic file each record (rec_len) starts the pattern afresh, in a transparent file (rec_len
 * 0) the file does. No pattern (plen 0): 'FF'. Both the package side (orsp_pkg_file_read)
 * and openrsp's eUICC lay files so. */
void orsp_pkg_fill_pattern(uint8_t *dst, size_t n, size_t rec_len, const uint8_t *pat, size_t plen,
                           bool repeat);
/* Whether fid names no file of a directory (TS 102 221 §8.3): 3F00 (the MF's), 7FFF (the
 * current ADF), FFFF. Both the validator and openrsp's eUICC refuse a file of such an ID. */
bool orsp_pkg_fid_reserved(uint16_t fid);
/* Whether aid (len bytes) is an AID of the NAA whose PE type naa is: ORSP_PE_USIM the 3GPP RID
 * and USIM code A0000000871002, ORSP_PE_ISIM the ISIM's A0000000871004 (TS 101 220 Annex
 * E), at most 16 bytes; false for any other type. An AID shorter than the 7 bytes has not got
 * the prefix. */
bool orsp_pkg_naa_aid(orsp_pe_type naa, const uint8_t *aid, size_t len);

/* ---------------------------------------------------------------- NAA summaries --------- */

typedef struct orsp_pkg_usim {
	size_t pe_index; /* the PE-USIM (or PE-IoT) */
	bool has_imsi;
	char imsi[16]; /* EF.IMSI (TS 31.102 §4.2.2) */
	bool has_ad;
	uint8_t ad[8]; /* EF.AD as defined (first 8 bytes) */
	size_t ad_len;
	unsigned mnc_len; /* EF.AD byte 4 (2 or 3); 2 if the package leaves EF.AD's content to
	                     the template (TCA default '00000002'); 0 if EF.AD gives no length
	                     or is marked doNotCreate (the eUICC has no EF.AD) */
	bool has_spn;
	uint8_t spn_display; /* EF.SPN byte 1 */
	char spn[64];        /* EF.SPN name, UTF-8 (GSM default alphabet decoded) */
} orsp_pkg_usim;

/* The n-th PE-USIM or PE-IoT (package order). ORSP_E_NOT_FOUND past the last. */
ORSP_MUST_CHECK orsp_err orsp_pkg_get_usim(const orsp_pkg *pkg, size_t n, orsp_pkg_usim *out);

#define ORSP_PKG_IMS_MAX 256 /* an IMS identity as read from the ISIM, NUL included */
#define ORSP_PKG_MAX_IMPU 8

/* The IMS identity of a PE-ISIM (TS 31.103 §4.2.2-4.2.4). Each file holds a tag-'80' TLV
 * with the identity as text; an identity that is not such a TLV of printable ASCII is left
 * out (has_* false, or the record not listed). */
typedef struct orsp_pkg_isim {
	size_t pe_index;
	bool has_impi;
	char impi[ORSP_PKG_IMS_MAX]; /* EF.IMPI (6F02): the private user identity */
	bool has_domain;
	char domain[ORSP_PKG_IMS_MAX]; /* EF.DOMAIN (6F03): the home network domain */
	size_t n_impu; /* EF.IMPU (6F04) records holding an identity (first ORSP_PKG_MAX_IMPU) */
	unsigned impu_record[ORSP_PKG_MAX_IMPU]; /* its record number, from 1 */
	char impu[ORSP_PKG_MAX_IMPU][ORSP_PKG_IMS_MAX];
} orsp_pkg_isim;

/* The n-th PE-ISIM (package order). ORSP_E_NOT_FOUND past the last. */
ORSP_MUST_CHECK orsp_err orsp_pkg_get_isim(const orsp_pkg *pkg, size_t n, orsp_pkg_isim *out);

typedef enum orsp_pkg_alg {
	ORSP_PKG_ALG_MILENAGE = 1, /* algorithmID values of AlgoParameter */
	ORSP_PKG_ALG_TUAK = 2,
	ORSP_PKG_ALG_TEST = 3, /* usim-test-algorithm (TS 34.108 §8.1.2) */
} orsp_pkg_alg;
/* "milenage", "tuak", "usim-test-algorithm", or "?" */
const char *orsp_pkg_alg_name(long algorithm_id);

/* One PE-AKAParameter, without its secrets. */
typedef struct orsp_pkg_aka {
	size_t pe_index;
	unsigned id;
	bool is_mapping; /* mappingParameter: keys shared with another NAA */
	uint8_t mapping_options;
	uint8_t mapping_source[16]; /* AID */
	size_t mapping_source_len;
	long algorithm; /* algorithmID as coded */
	uint8_t algorithm_options;
	size_t key_len, opc_len;       /* lengths only: K and OPc never leave as plain bytes */
	bool has_rotation, has_xoring; /* encoded (else the module's defaults apply) */
	orsp_milenage_consts milenage; /* r1..r5 (bits), c1..c5 in effect */
	bool has_auth_counter_max;
	uint8_t auth_counter_max[3];
	bool has_keccak;
	unsigned keccak; /* numberOfKeccak in effect */
	bool has_sqn_options, has_sqn_delta, has_sqn_age_limit, has_sqn_init;
	uint8_t sqn_options; /* values in effect (defaults if absent) */
	uint64_t sqn_delta, sqn_age_limit;
	size_t n_sqn_init;
	uint64_t sqn_init[32];
} orsp_pkg_aka;

/* Number of PE-AKAParameter elements, and the n-th of them (package order). */
size_t orsp_pkg_aka_count(const orsp_pkg *pkg);
ORSP_MUST_CHECK orsp_err orsp_pkg_get_aka(const orsp_pkg *pkg, size_t n, orsp_pkg_aka *out);
/* K and OPc/TOPc of the n-th PE-AKAParameter (an algoParameter). The caller wipes both.
 * ORSP_E_NOT_FOUND for a mappingParameter, ORSP_E_MALFORMED if longer than ORSP_SECRET_MAX. */
ORSP_MUST_CHECK orsp_err orsp_pkg_get_aka_keys(const orsp_pkg *pkg, size_t n, orsp_secret *k,
                                               orsp_secret *opc);

/* The AKA subscriber of the n-th PE-AKAParameter (an algoParameter; aka its parsed form,
 * orsp_pkg_get_aka): K, OPc/TOPc, Milenage with its rotations and constants, or TUAK with its
 * Keccak iterations, as the eUICC's USIM runs it (src/euicc/usim_fs.c) and the AuC is to.
 * ORSP_E_POLICY for another algorithm (usim-test-algorithm); the errors of
 * orsp_pkg_get_aka_keys and orsp_aka_subscriber_init. The caller wipes sub
 * (orsp_aka_subscriber_wipe); on an error nothing of the keys is left in it. */
ORSP_MUST_CHECK orsp_err orsp_pkg_aka_subscriber(const orsp_pkg *pkg, size_t n,
                                                 const orsp_pkg_aka *aka, orsp_aka_subscriber *sub);

/* Which PE-AKAParameter holds the keys of the NAA whose application PE is number naa_pe (a
 * PE-USIM, PE-ISIM, PE-CSIM or PE-IoT): *n is its number for orsp_pkg_get_aka and
 * orsp_pkg_get_aka_keys. TCA SAIP: an NAA's PEs follow its application PE, up to the next
 * NAA's (or the MF's); its PE-AKAParameter is the first among them. A mappingParameter there
 * is followed to the algoParameter of the NAA whose ADF has the mappingSource AID (one step:
 * a mapping onto a mapping is ORSP_E_MALFORMED). ORSP_E_NOT_FOUND if the NAA has no
 * PE-AKAParameter or the mapping names no NAA that has one; ORSP_E_USAGE if naa_pe is not
 * an NAA's application PE. */
ORSP_MUST_CHECK orsp_err orsp_pkg_naa_aka(const orsp_pkg *pkg, size_t naa_pe, size_t *n);

/* One PIN or PUK configuration, without its value. */
typedef struct orsp_pkg_pin {
	size_t pe_index;
	bool puk;           /* from PE-PUKCodes */
	long key_reference; /* PINKeyReferenceValue / PUKKeyReferenceValue */
	size_t value_len;
	bool has_unblock; /* PINs: unblockingPINReference */
	long unblock_reference;
	unsigned attributes;   /* PINs: pinAttributes (default 7) */
	unsigned max_attempts; /* high nibble of maxNumOfAttemps-retryNumLeft */
	unsigned retries_left; /* low nibble */
} orsp_pkg_pin;
/* "pinAppl1", "adm1", "secondPINAppl1", "universalPIN" (11), "pukAppl1" ..., or "?" */
const char *orsp_pkg_pin_ref_name(long key_reference, bool puk);
/* Every PIN and PUK configuration in package order; *n gets how many exist (the first cap
 * are written). */
ORSP_MUST_CHECK orsp_err orsp_pkg_get_pins(const orsp_pkg *pkg, orsp_pkg_pin *out, size_t cap,
                                           size_t *n);
/* The pinValue or pukValue of the n-th configuration orsp_pkg_get_pins lists (same order), for
 * the eUICC's USIM. The caller wipes out. ORSP_E_NOT_FOUND past the last; ORSP_E_MALFORMED if
 * longer than ORSP_SECRET_MAX; on an error out is wiped. */
ORSP_MUST_CHECK orsp_err orsp_pkg_get_pin_value(const orsp_pkg *pkg, size_t n, orsp_secret *out);

/* One PE-CDMAParameter (the CSIM's CDMA secrets), without its values. */
typedef struct orsp_pkg_cdma {
	size_t pe_index;
	size_t a_key_len;     /* authenticationKey: the CAVE A-Key (8 bytes) */
	size_t ssd_len;       /* ssd: SSD_A || SSD_B (16 bytes); 0: absent */
	size_t hrpd_len;      /* hrpdAccessAuthenticationData (C.S0016 §4.5.7.10); 0: absent */
	size_t simple_ip_len; /* simpleIPAuthenticationData (§4.5.7.7); 0: absent */
	size_t mobile_ip_len; /* mobileIPAuthenticationData (§4.5.7.8); 0: absent */
	size_t n_secrets;     /* how many of those five are present (the A-Key always is) */
} orsp_pkg_cdma;
/* The n-th PE-CDMAParameter (package order). ORSP_E_NOT_FOUND past the last. */
ORSP_MUST_CHECK orsp_err orsp_pkg_get_cdma(const orsp_pkg *pkg, size_t n, orsp_pkg_cdma *out);

/* ---------------------------------------------------------------- security domains ------ */

/* What a keyType (GlobalPlatform Card Specification v2.3 Table 11-16) codes. */
typedef enum orsp_pkg_sd_key_kind {
	ORSP_PKG_SD_KEY_OTHER = 0, /* a public key ('A0', 'A1', 'B0'), curve parameters ('B2'..
	                              'B7', 'F0'), a reserved or multi-byte type */
	ORSP_PKG_SD_KEY_DES,       /* '80', '82', '83', '84': 8, 16 or 24 bytes */
	ORSP_PKG_SD_KEY_PSK,       /* '85' TLS pre-shared key: 16..64 bytes */
	ORSP_PKG_SD_KEY_AES,       /* '88': 16, 24 or 32 bytes */
	ORSP_PKG_SD_KEY_HMAC,      /* '90' HMAC-SHA1, '91' HMAC-SHA1-160: 16..64 bytes */
	ORSP_PKG_SD_KEY_PRIVATE,   /* 'A2'..'A8' RSA, 'B1' ECC private key parts */
} orsp_pkg_sd_key_kind;
/* The symmetric kinds: those orsp_pkg_perso.sd_keys draws afresh. */
#define ORSP_PKG_SD_KEY_SYMMETRIC(k) ((k) >= ORSP_PKG_SD_KEY_DES && (k) <= ORSP_PKG_SD_KEY_HMAC)

/* One component of a key in the keyList of a PE-SecurityDomain (SAIP §8.6.3), without its
 * value. */
typedef struct orsp_pkg_sd_key {
	size_t pe_index;  /* the PE-SecurityDomain */
	unsigned sd;      /* its position among the package's securityDomain PEs, from 1 */
	size_t key;       /* the KeyObject's index in keyList, from 0 */
	size_t component; /* the index in its keyComponents, from 0 */
	uint8_t kvn, kid; /* keyVersionNumber, keyIdentifier */
	int type;         /* keyType when it is one byte, else -1 */
	orsp_pkg_sd_key_kind kind;
	size_t len;       /* keyData length */
	uint8_t usage[2]; /* the KeyObject's keyUsageQualifier (GPCS §11.1.9, Table 11-17) */
	size_t usage_len; /* 1 or 2 */
} orsp_pkg_sd_key;

/* "DES", "AES", "TLS-PSK", "HMAC-SHA1", "RSA-public-e", "ECC-private" ...: what keyType
 * type codes (GPCS Table 11-16; -1 for a keyType that is not one byte: "extended"), or
 * "reserved". */
const char *orsp_pkg_sd_key_type_name(int type);

/* One PE-SecurityDomain (SAIP §8.6), without its keys. */
typedef struct orsp_pkg_sd {
	size_t pe_index;
	unsigned sd;           /* its position among the package's securityDomain PEs, from 1,
	                          as orsp_pkg_sd_key.sd counts */
	uint8_t aid[16];       /* instance.instanceAID */
	size_t aid_len;        /* 0 if it is not 5 to 16 bytes */
	uint8_t privileges[3]; /* instance.applicationPrivileges (GPCS §11.1.2) */
	size_t privileges_len; /* 0 if it is not 1 to 3 bytes */
	size_t n_keys;         /* KeyObjects in its keyList */
} orsp_pkg_sd;

/* The n-th PE-SecurityDomain (package order, n from 0: its orsp_pkg_sd.sd is n + 1).
 * ORSP_E_NOT_FOUND past the last. */
ORSP_MUST_CHECK orsp_err orsp_pkg_get_sd(const orsp_pkg *pkg, size_t n, orsp_pkg_sd *out);

/* Every key component of every PE-SecurityDomain in package order; *n gets how many exist
 * (the first cap are written). */
ORSP_MUST_CHECK orsp_err orsp_pkg_get_sd_keys(const orsp_pkg *pkg, orsp_pkg_sd_key *out, size_t cap,
                                              size_t *n);
/* keyData of a component orsp_pkg_get_sd_keys listed (the caller wipes out).
 * ORSP_E_USAGE/ORSP_E_NOT_FOUND if key names no component of this package, ORSP_E_MALFORMED
 * if longer than ORSP_SECRET_MAX. */
ORSP_MUST_CHECK orsp_err orsp_pkg_get_sd_key_data(const orsp_pkg *pkg, const orsp_pkg_sd_key *key,
                                                  orsp_secret *out);

/* ---------------------------------------------------------------- validation ------------ */

#define ORSP_PKG_MAX_ISSUES 64

typedef struct orsp_pkg_issue {
	bool error; /* false: a warning, the package stays usable */
	long pe;    /* PE index, -1 for the package as a whole */
	orsp_pe_type type;
	char msg[200];
} orsp_pkg_issue;

typedef struct orsp_pkg_report {
	size_t n; /* issues recorded in issue[] */
	size_t errors, warnings;
	bool truncated; /* more than ORSP_PKG_MAX_ISSUES were found */
	orsp_pkg_issue issue[ORSP_PKG_MAX_ISSUES];
} orsp_pkg_report;

/* Check the package against the rules in docs/pkg.md: PE-Header first and once, PE-End last
 * and once, identification numbers unique, the PEs the mandatory services need present and
 * in order, AKA parameters well formed and their algorithms among the mandatory services,
 * ICCID and EF.IMSI well formed, File and PIN/PUK structure, every known PE DER (it
 * re-encodes to its received bytes: not a BER-only value, no element the model drops). rep
 * (may be NULL) receives every issue. Returns ORSP_OK if there is no error (warnings
 * allowed), else ORSP_E_POLICY with the first error as detail. This is the check of a
 * package one vouches for (the SM-DP+'s import, `profile check`): it is
 * orsp_pkg_validate_flags(pkg, 0, rep). */
ORSP_MUST_CHECK orsp_err orsp_pkg_validate(const orsp_pkg *pkg, orsp_pkg_report *rep);

/* ORSP_PKG_VALIDATE_INSTALL: the check of an eUICC installing the package (TCA SAIP error
 * handling; PEDefinitions is EXTENSIBILITY IMPLIED so an older eUICC takes a newer package).
 * A known PE that does not re-encode to its received bytes (an element of a later
 * PEDefinitions, or a value that is not DER: the two cannot be told apart) is a warning,
 * processed without what the model drops, unless its PEHeader has `mandated`: then it is an
 * error. (The ProfileHeader, which has no PEHeader, counts as not mandated.) The layout of a
 * file as the eUICC creates it, and PE-USIMs and PE-IoTs whose EF.IMSI differ, are warnings
 * too. Every other rule is the same. */
#define ORSP_PKG_VALIDATE_INSTALL 1u
/* orsp_pkg_validate with flags (0 or ORSP_PKG_VALIDATE_INSTALL); other bits: ORSP_E_USAGE. A
 * check that could not be made for want of memory is an error of the report ("cannot check
 * ...: out of memory", or a finding of what it could not read), its failed allocation counted
 * in orsp_wipe_alloc_failures as orsp_pkg_decode's are. */
ORSP_MUST_CHECK orsp_err orsp_pkg_validate_flags(const orsp_pkg *pkg, unsigned flags,
                                                 orsp_pkg_report *rep);
/* "error: PE #3 (pinCodes): ..." / "warning: package: ..." */
void orsp_pkg_issue_format(const orsp_pkg_issue *issue, char *buf, size_t cap);

/* ---------------------------------------------------------------- personalisation ------- */

/* SGP.22 profileClass. A TCA package does not carry it: it is kept with the model for the
 * profile metadata built at binding time. */
typedef enum orsp_pkg_class {
	ORSP_PKG_CLASS_UNSET = 0,
	ORSP_PKG_CLASS_TEST,
	ORSP_PKG_CLASS_PROVISIONING,
	ORSP_PKG_CLASS_OPERATIONAL,
} orsp_pkg_class;
const char *orsp_pkg_class_name(orsp_pkg_class c); /* "test", ..., "unset" */
/* "test", "provisioning" or "operational" (case-insensitive) into *out; ORSP_E_USAGE (the
 * detail quotes the text) for anything else. */
ORSP_MUST_CHECK orsp_err orsp_pkg_class_parse(const char *text, orsp_pkg_class *out);
orsp_pkg_class orsp_pkg_get_class(const orsp_pkg *pkg);

/* What to change; every field has a "keep" value (NULL, false, 0, -1) set by
 * orsp_pkg_perso_init. Wipe with orsp_pkg_perso_wipe. */
typedef struct orsp_pkg_perso {
	const char *iccid; /* 19 or 20 digits, the last a valid Luhn check digit */
	const char *imsi;  /* 6..15 digits: EF.IMSI of every PE-USIM and PE-IoT */
	unsigned mnc_len;  /* 2 or 3: EF.AD byte 4; 0 keeps it. ORSP_E_NOT_FOUND for a
	                    * PE-USIM/PE-IoT without an EF.AD, or one marked doNotCreate */
	/* 2 or 3: the MNC length of the IMS domain (keep_ims_identity below) when neither
	 * mnc_len nor the first PE-USIM's EF.AD gives one; EF.AD is left as it is. When EF.AD
	 * gives one it wins, and a different ims_mnc_len is ORSP_E_USAGE. 0: none. */
	unsigned ims_mnc_len;

	bool set_aka;       /* every algoParameter gets the algorithm and keys below */
	orsp_aka_alg alg;   /* ORSP_AKA_MILENAGE or ORSP_AKA_TUAK */
	orsp_secret k;      /* Milenage 16 bytes, TUAK 16 or 32 */
	orsp_secret opc;    /* OPc (16) / TOPc (32), or OP/TOP when op_given */
	bool op_given;      /* derive OPc (orsp_milenage_opc) or TOPc (orsp_tuak_topc) */
	bool custom_consts; /* Milenage r1..r5/c1..c5 below, else TS 35.206 defaults */
	orsp_milenage_consts consts;
	unsigned keccak;       /* TUAK Keccak iterations, 1..255; 0 means 1 */
	int algorithm_options; /* 0..255 sets algorithmOptions; -1 keeps it */

	bool set_sqn; /* sqnOptions, sqnDelta, sqnAgeLimit of every akaParameter */
	bool set_sqn_delta; /* sqnDelta only (sqn_delta below): each akaParameter keeps its
	                       own sqnOptions and sqnAgeLimit; set_sqn wins if both are set */
	uint8_t sqn_options;
	uint64_t sqn_delta, sqn_age_limit; /* at most 0x07FFFFFFFFFF */
	bool set_sqn_init;
	uint64_t sqn_init[32]; /* SEQ per IND, at most 0x07FFFFFFFFFF */

	const char *pin1, *pin2; /* 4..8 digits: pinAppl1, secondPINAppl1 */
	const char *puk1, *puk2; /* 8 digits: pukAppl1, secondPUKAppl1 */
	const char *adm1, *adm2; /* 4..8 digits: adm1, adm2 */

	const char *spn;          /* EF.SPN: up to 16 GSM default alphabet characters */
	int spn_display;          /* EF.SPN byte 1; -1 keeps the template's */
	const char *profile_name; /* ProfileHeader.profileType, 1..100 characters (RFC 3629) */
	orsp_pkg_class profile_class;

	/* With imsi set, every PE-ISIM gets the IMS identity TS 23.003 §13 derives from it
	 * (orsp_ims_identity): EF.IMPI, EF.DOMAIN, and EF.IMPU record 1 (the other records
	 * cleared), the MNC length being mnc_len, else the first PE-USIM's EF.AD, else
	 * ims_mnc_len (ORSP_E_NOT_FOUND when none gives it: an EF.AD marked doNotCreate gives
	 * none, and no length is assumed). true keeps
	 * the template's identity instead (one assigned by the IMS core, or files too small for
	 * the derived one). The one field whose "keep" value is not the zero value's meaning:
	 * without imsi nothing is derived either way. */
	bool keep_ims_identity;

	/* Every symmetric key (ORSP_PKG_SD_KEY_SYMMETRIC) in the keyList of every
	 * PE-SecurityDomain gets random keyData of its length; its other fields, and every other
	 * key, stay. ORSP_E_POLICY for a private key (it cannot be drawn at random), a length
	 * its type does not allow, or two symmetric keys of one security domain that share KVN
	 * and KID (the key then has no unambiguous name: orsp_pkg_sd_key). Read the new values
	 * with orsp_pkg_get_sd_key_data. */
	bool sd_keys;

	/* Every PE-CDMAParameter gets random secrets of the template's lengths: the A-Key, the
	 * SSD, and the shared secrets inside the HRPD, Simple IP and Mobile IP blocks (their
	 * lengths, NAI indexes and reserved bits kept, C.S0016 §4.5.7). openrsp does no CAVE
	 * or CDMA authentication, so nobody keeps them; a GSMA TS.48 template's are published
	 * test values. ORSP_E_POLICY for a block that does not follow C.S0016's layout. The
	 * CSIM's files, its IMSI_M and IMSI_T included, stay the template's. */
	bool cdma_keys;
} orsp_pkg_perso;

void orsp_pkg_perso_init(orsp_pkg_perso *p);
void orsp_pkg_perso_wipe(orsp_pkg_perso *p);

/* Apply p to the package, all or nothing: on any error the package is unchanged. Every
 * changed PE is re-encoded (its raw bytes replaced). Updates the header's AKA algorithm
 * services (milenage / tuak128 / tuak256 / usim-test-algorithm) to exactly those the
 * algoParameters use. Errors: ORSP_E_USAGE (a bad value, naming the field; an IMS identity
 * longer than its ISIM file or record, naming the file and both sizes), ORSP_E_NOT_FOUND
 * (the template lacks the PE or file to change), ORSP_E_POLICY (a PE that cannot be
 * re-encoded without loss). */
ORSP_MUST_CHECK orsp_err orsp_pkg_personalise(orsp_pkg *pkg, const orsp_pkg_perso *p);

/* ---------------------------------------------------------------- codings --------------- */

/* Luhn (ISO/IEC 7812-1) check digit for a string of decimal digits, or -1 if not digits. */
int orsp_luhn_digit(const char *digits, size_t n);
/* A complete ICCID (ITU-T E.118): 19 or 20 digits whose last is the Luhn check digit.
 * ORSP_E_USAGE naming the expected check digit otherwise. */
ORSP_MUST_CHECK orsp_err orsp_iccid_check(const char *iccid);
/* ProfileHeader.iccid: digits as BCD in reading order, 'F' padded to 10 bytes. */
ORSP_MUST_CHECK orsp_err orsp_iccid_encode_header(const char *iccid, uint8_t out[10]);
/* EF.ICCID (TS 102 221 §13.2): the same digits with the nibbles of each byte swapped. */
ORSP_MUST_CHECK orsp_err orsp_iccid_encode_ef(const char *iccid, uint8_t out[10]);
/* orsp_iccid_encode_ef of 19 or 20 decimal digits whose last is not checked: an ICCID as
 * SGP.22 carries it (Iccid ::= OCTET STRING (SIZE(10))), which need not end in its Luhn
 * check digit. ORSP_E_USAGE for anything else. */
ORSP_MUST_CHECK orsp_err orsp_iccid_encode_ef_unchecked(const char *iccid, uint8_t out[10]);
/* The inverses: digits up to the first 'F' nibble (only 'F' may follow). */
ORSP_MUST_CHECK orsp_err orsp_iccid_decode_header(const uint8_t in[10], char out[21]);
ORSP_MUST_CHECK orsp_err orsp_iccid_decode_ef(const uint8_t in[10], char out[21]);

/* EF.IMSI (TS 31.102 §4.2.2): length byte, then digit 1 with the parity/type nibble '9' (odd
 * number of digits) or '1' (even), then the remaining digits two per byte, low nibble first,
 * 'F' padded to 9 bytes. 6..15 digits. */
ORSP_MUST_CHECK orsp_err orsp_imsi_encode_ef(const char *imsi, uint8_t out[9]);
ORSP_MUST_CHECK orsp_err orsp_imsi_decode_ef(const uint8_t *in, size_t len, char out[16]);

/* EF.SPN (TS 31.102 §4.2.12): display condition, then the name in the GSM 7-bit default
 * alphabet (TS 23.038, one character per byte), 'FF' padded to `size` bytes (17 in
 * TS 31.102). Characters outside the default alphabet are refused (ORSP_E_USAGE). */
ORSP_MUST_CHECK orsp_err orsp_spn_encode_ef(const char *spn, uint8_t display, uint8_t *out,
                                            size_t size);
/* Decodes the default-alphabet form to UTF-8; a UCS2-coded name ('80'...) is refused
 * (ORSP_E_MALFORMED). */
ORSP_MUST_CHECK orsp_err orsp_spn_decode_ef(const uint8_t *in, size_t len, uint8_t *display,
                                            char *out, size_t cap);

/* The IMSI-based IMS identity of TS 23.003 §13: the home network domain (§13.2)
 * "ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org", the MNC always 3 digits (a 2-digit MNC gets a
 * leading 0); the private user identity (§13.3) "<IMSI>@<domain>"; the temporary public
 * user identity (§13.4B) "sip:<IMSI>@<domain>". */
typedef struct orsp_ims_identity {
	char domain[40];
	char impi[56];
	char impu[60];
} orsp_ims_identity;
/* imsi 6..15 digits, mnc_len 2 or 3; ORSP_E_USAGE otherwise. */
ORSP_MUST_CHECK orsp_err orsp_ims_identity_derive(const char *imsi, unsigned mnc_len,
                                                  orsp_ims_identity *out);
/* EF.IMPI, EF.DOMAIN, an EF.IMPU record (TS 31.103 §4.2.2-4.2.4): tag '80', length, the text,
 * 'FF' padded to `size` bytes (a NULL text is the empty one). ORSP_E_USAGE if it does not fit
 * (naming both sizes). */
ORSP_MUST_CHECK orsp_err orsp_ims_encode_ef(const char *text, uint8_t *out, size_t size);
/* The inverse: the text of a tag-'80' TLV at the start of in (1- or 2-byte length), which
 * must be printable ASCII. ORSP_E_NOT_FOUND for an empty file or record (first byte 'FF'),
 * ORSP_E_MALFORMED otherwise, ORSP_E_RESOURCE if cap is too small. */
ORSP_MUST_CHECK orsp_err orsp_ims_decode_ef(const uint8_t *in, size_t len, char *out, size_t cap);

#endif
