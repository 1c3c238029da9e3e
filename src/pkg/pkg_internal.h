/* PRIVATE to src/pkg: the model behind include/openrsp/pkg.h.
 *
 * Each profile element is the asn1c decoding of its DER (module set "pe", symbols prefixed:
 * include orsp_asn1_pe.h, never a generated header) plus the DER it came from. Generated
 * types are reached generically through their descriptors where the code does not care which
 * PE it is (headers, file members), and by name where it does (AKA, PINs).
 */
#ifndef ORSP_PKG_INTERNAL_H
#define ORSP_PKG_INTERNAL_H

#include "orsp_asn1_pe.h"

#include "openrsp/pkg.h"

typedef struct pkg_pe {
	ProfileElement_t *asn; /* NULL for ORSP_PE_UNKNOWN */
	orsp_pe_type type;
	const uint8_t *raw; /* the PE's DER: into orsp_pkg.buf, or `own` */
	size_t raw_len;
	uint8_t *own;  /* a re-encoding owned by this PE (wiped and freed with it) */
	bool lossless; /* asn re-encodes to exactly raw */
	bool unknown_mandated; /* ORSP_PE_UNKNOWN: its PEHeader (read from raw) says mandated */
	bool dirty;    /* asn changed since raw was produced */
} pkg_pe;

struct orsp_pkg {
	uint8_t *buf; /* copy of the decoded input */
	size_t buf_len;
	pkg_pe *pe;
	size_t n;
	orsp_pkg_class profile_class;
};

/* ----- pkg.c ----- */

/* "PE #i (type): <fmt>" as the error detail; returns e. */
orsp_err pe_errf(size_t i, orsp_pe_type t, orsp_err e, const char *fmt, ...) ORSP_PRINTF(4, 5);
/* The chosen alternative of pe and its descriptor (NULL if none). */
void *pe_body(ProfileElement_t *pe, asn_TYPE_descriptor_t **td);
/* The PEHeader of pe (NULL for the ProfileHeader or an empty CHOICE). */
PEHeader_t *pe_header(ProfileElement_t *pe);
/* Encode pe->asn into a fresh buffer that replaces pe->raw. */
ORSP_MUST_CHECK orsp_err pe_reencode(pkg_pe *pe, size_t index);
/* Zero the key material held in the decoded structure (before it is freed or replaced): K,
 * OPc, CDMA keys, PIN/PUK values, security-domain keys, sdPersoData, install parameters and
 * processData, every file content, nonStandard content. */
void pe_wipe_secrets(ProfileElement_t *pe);
/* Replace an OCTET STRING's bytes, wiping the old ones first. */
ORSP_MUST_CHECK orsp_err os_set(OCTET_STRING_t *os, const uint8_t *p, size_t n);
/* Allocate *slot (if NULL) and set it; or free and clear it when p is NULL. */
ORSP_MUST_CHECK orsp_err os_opt_set(OCTET_STRING_t **slot, const uint8_t *p, size_t n);
/* Dotted text of an OID ("2.23.143.1.2.1"); "" if it cannot be represented. */
void oid_text(const OBJECT_IDENTIFIER_t *oid, char *out, size_t cap);
/* The i-th PE of a type, or -1. */
long pkg_find(const orsp_pkg *pkg, orsp_pe_type t, size_t nth);

/* ----- pe_cdmaparameter.c ----- */

/* orsp_pkg_perso.cdma_keys for PE number pe: every secret of c random, of its length. */
ORSP_MUST_CHECK orsp_err cdma_draw(PE_CDMAParameter_t *c, size_t pe);

/* ----- pe_files.c ----- */

typedef struct fs_member {
	const char *name;
	File_t *file; /* NULL if the OPTIONAL member is absent */
} fs_member;

/* The File members of a file-system PE (present or not, in module order); the count. */
size_t fs_members(ProfileElement_t *pe, fs_member *out, size_t cap);
/* The File named `name` in pe, or NULL. */
File_t *fs_file(ProfileElement_t *pe, const char *name);
/* The PE's templateID, or NULL. */
OBJECT_IDENTIFIER_t *fs_template(ProfileElement_t *pe);
/* The Fcp of a File, or NULL. */
Fcp_t *file_fcp(const File_t *f);
/* The linearised content (see orsp_pkg_file_read) of file `name` of PE pe: its size the
 * package's, else the TS 31.102 default (name), else the template's (pe's type and template,
 * name); the template's default content laid under the package's content when the package
 * gives no fill or repeat pattern. */
ORSP_MUST_CHECK orsp_err file_content(const pkg_pe *pe, const File_t *f, const char *name,
                                      uint8_t *buf, size_t cap, size_t *len);
/* The file's size: its efFileSize (1 to 4 bytes, big-endian) when given, else
 * file_default_size(name), which is 0 for a file TS 31.102 does not fix. */
size_t file_size(const File_t *f, const char *name);
/* Whether the package gives any of f's bytes: a fillPattern/repeatPattern or content (else
 * the file's template content applies). */
bool file_defines_content(const File_t *f);
/* Whether f is marked doNotCreate (PEDefinitions File): the package does not create it. */
bool file_do_not_create(const File_t *f);
/* f, unless it is marked doNotCreate: the eUICC does not create such a file, so the NAA has
 * none, as when the PE leaves it out (NULL). */
File_t *file_created(File_t *f);
/* Replace every fillFileOffset/fillFileContent of f by one fillFileContent of n bytes
 * (ORSP_E_POLICY for a file marked doNotCreate). */
ORSP_MUST_CHECK orsp_err file_set_content(File_t *f, const uint8_t *p, size_t n);
/* Default size of the EFs whose size TS 31.102 / TS 102 221 fixes, else 0. */
size_t file_default_size(const char *name);
/* A record file's record length (Fcp fileDescriptor bytes 3-4), else size: one record. */
size_t file_record_len(const File_t *f, size_t size);

/* ----- pe_isim.c ----- */

/* Grow transparent file f's efFileSize to the TLV of text when smaller (a file without
 * efFileSize is left alone). The caller has touched the PE. */
ORSP_MUST_CHECK orsp_err isim_fit_file(File_t *f, const char *name, const char *text);
/* The whole content of ISIM file f (`name`) holding the identity `text` (`what` names it in
 * errors): a tag-'80' TLV 'FF'-padded to the file, or with records to record 1 and every
 * other record 'FF'. *len = the file size. ORSP_E_USAGE if text does not fit (naming the
 * file and the sizes), ORSP_E_NOT_FOUND if the file has no size, ORSP_E_POLICY over cap. */
ORSP_MUST_CHECK orsp_err isim_file_bytes(const File_t *f, const char *name, const char *what,
                                         const char *text, bool records, uint8_t *buf, size_t cap,
                                         size_t *len);

/* ----- pe_header.c ----- */

ServicesList_t *hdr_services(ProfileHeader_t *h);
bool svc_get(const ServicesList_t *s, orsp_pkg_service svc);
ORSP_MUST_CHECK orsp_err svc_set(ServicesList_t *s, orsp_pkg_service svc, bool on);

/* ----- pe_akaparameter.c ----- */

/* The effective numeric SQN-type value of an optional 6-byte OCTET STRING. */
uint64_t aka_u48(const OCTET_STRING_t *os, uint64_t dflt);
#define AKA_SQN_MAX UINT64_C(0x07FFFFFFFFFF) /* PEDefinitions: sqnDelta/AgeLimit/Init limit */

/* ----- pe_pincodes.c ----- */

/* What a key reference is (TS 102 221 Table 9.3): a global one (PIN Appl 1-8 01-08, ADM1-5
 * 0A-0E, ADM6-10 8A-8E, the universal PIN 11), which the MF's PE-PINCodes defines; a local
 * one (second PIN Appl 1-8 81-88), which a DF's or ADF's PE-PINCodes defines; or none
 * (PEDefinitions PINKeyReferenceValue names no other, PUKKeyReferenceValue only 01-08 and
 * 81-88: puk). */
typedef enum pin_ref_kind { PIN_REF_NONE, PIN_REF_GLOBAL, PIN_REF_LOCAL } pin_ref_kind;
pin_ref_kind pin_ref_kind_of(long ref, bool puk);
/* maxNumOfAttemps-retryNumLeft (v, or its DEFAULT dflt if absent): the maximum number of
 * attempts in the high nibble, the retries left in the low one (PEDefinitions). */
#define PIN_TRIES_DEFAULT 51  /* PINConfiguration: 3 of 3 */
#define PUK_TRIES_DEFAULT 170 /* PUKConfiguration: 10 of 10 */
void pin_tries(const long *v, long dflt, unsigned *max, unsigned *left);

/* ----- pe_securitydomain.c ----- */

/* The kind of key a keyType codes (GPCS Table 11-16). */
orsp_pkg_sd_key_kind sd_key_kind_of(const OCTET_STRING_t *type);
/* Whether component m of key j of s's keyList, a symmetric key (ORSP_PKG_SD_KEY_SYMMETRIC),
 * is one a security domain cannot hold: a length its type does not allow, or a KVN and KID a
 * symmetric component before it has (GPCS §11.1.8: the pair names the key). What it breaks, naming
 * the key, into msg. Both key j and its component m exist. The rule of the validator and of
 * personalisation (sd_keys). */
bool sd_key_refused(const PE_SecurityDomain_t *s, int j, int m, char *msg, size_t cap);

#endif
