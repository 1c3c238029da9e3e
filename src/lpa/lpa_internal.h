/* openrsp lpa: internals shared by the sources of src/lpa. */
#ifndef ORSP_LPA_INTERNAL_H
#define ORSP_LPA_INTERNAL_H

#include <stddef.h>

#include "openrsp/core.h"
#include "openrsp/der.h"
#include "openrsp/lpa.h"

/* Text from the eUICC or the SM-DP+ (names, addresses, messages) made safe for a terminal,
 * into out (cap bytes, NUL-terminated): well-formed UTF-8 is kept, except control characters
 * (C0 with CR, LF and ESC, DEL, C1) and those that reorder or hide text (bidirectional
 * controls, zero-width characters: orsp_utf8_is_control), which become '?', as does each
 * byte that is not part of well-formed UTF-8. Cut at a character boundary when out is too
 * small. */
void lpa_text_copy(orsp_slice v, char *out, size_t cap);

/* The first field of a card answer's SEQUENCE (its content seq) into *f: the rsp module is
 * EXTENSIBILITY IMPLIED, so the fields a later version adds after it are skipped, each a
 * well-formed TLV of another tag (orsp_der_skip_extensions: an answer cut or garbled after it,
 * or with that field again, is still refused). ORSP_E_MALFORMED (no detail) when there is none
 * or the rest does not read. */
ORSP_MUST_CHECK orsp_err lpa_first_field(orsp_slice seq, orsp_tlv *f);

/* A card answer's field of tag that must come at most once (one of once[0..n), n <= 32):
 * ORSP_E_MALFORMED "card: WHAT: field TAG twice" if *seen has its bit already, else the bit
 * (1 << its index in once) set. Other tags pass. Never the last of two, nor a mix of both. */
ORSP_MUST_CHECK orsp_err lpa_field_once(unsigned *seen, uint32_t tag, const uint32_t *once,
                                        size_t n, const char *what);

/* A PprIds or pprFlags BIT STRING's contents (ppr.c): bit b at 1 << b. ORSP_E_MALFORMED
 * (no detail) for what orsp_der_bits refuses (padding bits that are not zero among it), or
 * a set bit beyond 31. */
ORSP_MUST_CHECK orsp_err lpa_ppr_bits(orsp_slice v, uint32_t *out);

/* The contents of an OperatorID (profileOwner B7, an allowedOperators entry) parsed strictly
 * into op: mccMnc of 3 bytes, then gid1, gid2 if present, nothing else. */
ORSP_MUST_CHECK orsp_err lpa_operator_parse(orsp_slice v, orsp_lpa_operator *op);

/* The error for undefinedError (127) from a function that records a notification (card.c):
 * with notifications pending, it names how many and says that a full list refuses the
 * change. */
ORSP_MUST_CHECK orsp_err lpa_undefined_error(orsp_lpa_card *c);

/* The SM-DP+ addresses of the notifications the eUICC keeps (the whole list,
 * orsp_lpa_notifications_all), for a message (card.c): out[cap] "N for ADDRESS, ..." in the
 * order first listed (compared case-insensitively; at most 3, then ", and for K other
 * addresses"), "" when the list does not read or is empty; cmd[cmd_cap] the command that
 * removes those of one address in backticks, naming it when all have one that is a host name
 * (ADDRESS otherwise). */
void lpa_pending_addresses(orsp_lpa_card *c, char *out, size_t cap, char *cmd, size_t cmd_cap);

/* Whether the eUICC holds a profile of ICCID iccid (card.c): GetProfilesInfo with that ICCID
 * as its searchCriteria and the ICCID alone in its tagList (SGP.22 §5.7.15), each profile
 * listed compared (an eUICC that ignored the criteria lists them all, its first
 * ORSP_LPA_MAX_PROFILES). Only a listed profile of that ICCID is true: an error or an answer
 * that does not read says nothing, false. */
bool lpa_profile_held(orsp_lpa_card *c, const char *iccid);

/* The structure of a Bound Profile Package as LoadBoundProfilePackage cuts it (card.c): BF36
 * { BF23, then A0..A3 parts of TLVs }, nothing sent. ORSP_E_MALFORMED naming what is wrong. */
ORSP_MUST_CHECK orsp_err lpa_bpp_check(const uint8_t *bpp, size_t n);

/* Checks of the SM-DP+'s ES9+ answers in the download (download.c), before anything of them
 * goes to the eUICC; each ORSP_E_MALFORMED for what does not read, ORSP_E_VERIFY for what is
 * not this session's. Not static so that fuzz/fuzz_lpa_es9p.c reaches them.
 * lpa_server_signed1_check: ServerSigned1 (initiateAuthentication) for session tid, echoing
 * chal and naming fqdn (whose: where that address came from), its serverChallenge 16 bytes.
 * lpa_metadata_of: profileMetadata (authenticateClient), a StoreMetadataRequest, into *p,
 * *owner and *has_owner (all zeroed first, profile class 2 when none is given); an ICCID of
 * other than 19 or 20 digits is malformed.
 * lpa_smdp_signed2_check: the contents of SmdpSigned2 (authenticateClient): for session tid,
 * its ccRequiredFlag (mandatory, a DER BOOLEAN) into *cc_required; the fields in the
 * ASN.1's order, each once.
 * lpa_bpp_tid_check: the Bound Profile Package's InitialiseSecureChannelRequest for session
 * tid. */
ORSP_MUST_CHECK orsp_err lpa_server_signed1_check(const uint8_t *s1, size_t n, const uint8_t *tid,
                                                  size_t tid_len, const uint8_t chal[16],
                                                  const char *fqdn, const char *whose);
ORSP_MUST_CHECK orsp_err lpa_metadata_of(const uint8_t *meta, size_t n, orsp_lpa_profile *p,
                                         orsp_lpa_operator *owner, bool *has_owner);
ORSP_MUST_CHECK orsp_err lpa_smdp_signed2_check(orsp_slice v, const uint8_t *tid, size_t tid_len,
                                                bool *cc_required);
ORSP_MUST_CHECK orsp_err lpa_bpp_tid_check(const uint8_t *bpp, size_t bppl, const uint8_t *tid,
                                           size_t tid_len);

/* Room for the eUICC's answer to RetrieveNotificationsList by seqNumber: one
 * PendingNotification. */
#define LPA_NOTIFICATION_MAX 8192

#endif
