/* Private to the aka module: one algorithm-independent view of f1..f5*. */
#ifndef ORSP_AKA_INTERNAL_H
#define ORSP_AKA_INTERNAL_H

#include "openrsp/aka.h"

/* All outputs of one run, at the subscriber's lengths. MAC-A/MAC-S hold the 64 bits that
 * travel in AUTN/AUTS (the first 64 bits of a longer TUAK MAC). */
typedef struct aka_outputs {
	uint8_t mac_a[8], mac_s[8];
	uint8_t res[ORSP_AKA_MAX_OUT];
	size_t res_len;
	uint8_t ck[ORSP_AKA_MAX_OUT], ik[ORSP_AKA_MAX_OUT];
	size_t ck_len, ik_len;
	uint8_t ak[6], ak_star[6];
} aka_outputs;

/* Checks the subscriber (algorithm, key lengths, parameters): ORSP_E_USAGE if unusable. */
ORSP_MUST_CHECK orsp_err aka_check_subscriber(const orsp_aka_subscriber *s);

/* Run the subscriber's algorithm. sqn and amf NULL: f1/f1* skipped (mac_a/mac_s zero). */
ORSP_MUST_CHECK orsp_err aka_run(const orsp_aka_subscriber *s, const uint8_t rand[16],
                                 const uint8_t *sqn, const uint8_t *amf, aka_outputs *o);

/* Parse "MCCMNC" (5 or 6 decimal digits) or "MCC-MNC" into digit values; mnc_len is 2 or 3.
 * ORSP_E_MALFORMED on anything else. */
ORSP_MUST_CHECK orsp_err aka_parse_plmn(const char *mccmnc, uint8_t mcc[3], uint8_t mnc[3],
                                        size_t *mnc_len);

#endif
