/* libFuzzer target for the ISD-R's ES10 functions (src/euicc/es10_isdr.c).
 *
 * The input is a session: a sequence of ES10 requests, each a 2-byte big-endian length and
 * that many bytes (cut short at the end of the input), given to one eUICC with
 * orsp_euicc_es10(). The eUICC is the SGP.26 NIST test identity (tests/vectors/sgp26, found
 * next to this source file), provisioned once into an in-memory record store; every input
 * starts from that provisioned state. Properties:
 *  - orsp_euicc_es10() never crashes, and fails only with a defined error category;
 *  - a response is empty (an intermediate LoadBoundProfilePackage piece) or exactly one
 *    well-formed DER TLV whose tag is the request's (BF37 answers a BF36 piece);
 *  - the profile and notification counts stay within the compile-time limits;
 *  - the records in the store always reopen (orsp_euicc_open on them succeeds) and give the
 *    same counts.
 * A violated property calls abort(). The eUICC draws random challenges and keys, so runs are
 * not bit-for-bit reproducible, but no property depends on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/der.h"
#include "openrsp/euicc.h"

#include "euicc_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static orsp_euicc *card;
static uint8_t rsp_buf[ORSP_EUICC_MAX_RESPONSE];

static store live, base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fx_provision(&card, &live, &base);
	return 0;
}

/* ---------------------------------------------------------------- one input ------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	orsp_reader in;

	st_copy(&live, &base);
	memset(card, 0, sizeof(*card));
	check(orsp_euicc_open(card, &st_ops, &live) == ORSP_OK);
	orsp_reader_init(&in, data, size);
	while (orsp_reader_remaining(&in)) {
		uint16_t n = 0;
		orsp_slice req;
		orsp_writer w;
		orsp_tlv t;
		orsp_err e;

		if (orsp_read_be16(&in, &n))
			break;
		if (n > orsp_reader_remaining(&in))
			n = (uint16_t)orsp_reader_remaining(&in);
		if (orsp_read_slice(&in, n, &req))
			break;
		orsp_writer_init(&w, rsp_buf, sizeof(rsp_buf));
		e = orsp_euicc_es10(card, req, &w);
		orsp_err_clear();
		if (e) {
			check(known_error(e));
			continue;
		}
		check(orsp_writer_status(&w) == ORSP_OK);
		if (w.len == 0)
			continue;
		check(orsp_der_parse_one(orsp_slice_make(rsp_buf, w.len), &t) == ORSP_OK);
		check(orsp_der_validate(t.raw, ORSP_DER_MAX_DEPTH) == ORSP_OK);
		if (t.tag != 0xBF37) {
			orsp_tlv q;
			check(orsp_der_parse_one(req, &q) == ORSP_OK && q.tag == t.tag);
		}
	}
	fx_check_reopen(card, &live);
	return 0;
}
