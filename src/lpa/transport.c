/* openrsp lpa: APDU transports — in-process over an APDU context, and PC/SC (pcsclite). */
#include <stdlib.h>
#include <string.h>

#include <PCSC/winscard.h>

#include "openrsp/lpa.h"

/* ---------------------------------------------------------------- in-process ------------ */

static orsp_err apdu_transmit(void *user, const uint8_t *capdu, size_t n, uint8_t *rapdu,
                              size_t cap, size_t *rlen)
{
	return orsp_euicc_apdu_process(user, capdu, n, rapdu, cap, rlen);
}

orsp_err orsp_lpa_transport_apdu(orsp_euicc_apdu_ctx *ctx, orsp_lpa_transport *t)
{
	if (!ctx || !t)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	memset(t, 0, sizeof(*t));
	t->user = ctx;
	t->transmit = apdu_transmit;
	return ORSP_OK;
}

void orsp_lpa_transport_close(orsp_lpa_transport *t)
{
	if (t && t->close)
		t->close(t->user);
	if (t)
		memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------- PC/SC ----------------- */

typedef struct pcsc {
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD proto;
} pcsc;

static orsp_err pcsc_err(const char *what, LONG rv)
{
	return orsp_errf(rv == (LONG)SCARD_E_NO_SERVICE || rv == (LONG)SCARD_E_NO_READERS_AVAILABLE
	                     ? ORSP_E_IO
	                     : ORSP_E_STATE,
	                 "PC/SC %s: %s", what, pcsc_stringify_error(rv));
}

static orsp_err pcsc_transmit(void *user, const uint8_t *capdu, size_t n, uint8_t *rapdu,
                              size_t cap, size_t *rlen)
{
	pcsc *p = user;
	const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	DWORD len = (DWORD)cap;
	/* T=0 carries a case 4 command as case 3 (ISO/IEC 7816-3 §12.2.4): the Le byte dropped,
	 * the card answers 61xx and the data comes with GET RESPONSE (the exchange does that);
	 * character-level readers refuse a T=0 command with both Lc data and Le */
	if (p->proto != SCARD_PROTOCOL_T1 && n > 5 && capdu[4] != 0 && n == 6 + (size_t)capdu[4])
		n--;
	LONG rv = SCardTransmit(p->card, pci, capdu, (DWORD)n, NULL, rapdu, &len);

	if (rv != SCARD_S_SUCCESS)
		return pcsc_err("transmit", rv);
	*rlen = len;
	return ORSP_OK;
}

static orsp_err pcsc_begin(void *user)
{
	pcsc *p = user;
	LONG rv = SCardBeginTransaction(p->card);

	/* another client reset the card: the ISD-R's channel and selection are gone */
	if (rv == (LONG)SCARD_W_RESET_CARD)
		return orsp_errf(ORSP_E_STATE, "PC/SC: the card was reset by another client of "
		                               "the reader; open it again");
	return rv == SCARD_S_SUCCESS ? ORSP_OK : pcsc_err("begin transaction", rv);
}

static void pcsc_end(void *user)
{
	pcsc *p = user;
	(void)SCardEndTransaction(p->card, SCARD_LEAVE_CARD);
}

static void pcsc_close(void *user)
{
	pcsc *p = user;
	if (!p)
		return;
	SCardDisconnect(p->card, SCARD_LEAVE_CARD);
	SCardReleaseContext(p->ctx);
	free(p);
}

orsp_err orsp_lpa_transport_pcsc(const char *reader, orsp_lpa_transport *t)
{
	pcsc *p;
	char *names = NULL, *chosen = NULL;
	DWORD len = 0;
	LONG rv;
	long index = -1;
	orsp_err e = ORSP_OK;

	if (!t)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	memset(t, 0, sizeof(*t));
	p = calloc(1, sizeof(*p));
	if (!p)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
	if (rv != SCARD_S_SUCCESS) {
		free(p);
		return orsp_errf(ORSP_E_IO, "PC/SC: pcscd is not reachable (%s); start pcscd",
		                 pcsc_stringify_error(rv));
	}
	rv = SCardListReaders(p->ctx, NULL, NULL, &len);
	if (rv == SCARD_S_SUCCESS) {
		names = calloc(1, len + 1);
		if (!names)
			rv = (LONG)SCARD_E_NO_MEMORY;
		else
			rv = SCardListReaders(p->ctx, NULL, names, &len);
	}
	if (rv != SCARD_S_SUCCESS) {
		e = orsp_errf(ORSP_E_NOT_FOUND, "PC/SC: no reader (%s)", pcsc_stringify_error(rv));
		goto fail;
	}
	if (reader && reader[0] && strspn(reader, "0123456789") == strlen(reader))
		index = strtol(reader, NULL, 10);
	{
		long i = 0;
		for (char *r = names; *r; r += strlen(r) + 1, i++) {
			if (!reader || !reader[0] || (index >= 0 && i == index) ||
			    (index < 0 && strstr(r, reader))) {
				chosen = r;
				break;
			}
		}
	}
	if (!chosen) {
		e = orsp_errf(ORSP_E_NOT_FOUND, "PC/SC: no reader matches \"%s\"", reader);
		goto fail;
	}
	/* T=0 first: pcscd keeps the protocol the card was first connected with until the card
	 * is reset, and clients that speak T=0 only (lpac, pySim) are refused ("Card protocol
	 * mismatch") after a connection in T=1, which pcscd picks when both are allowed and the
	 * card offers both. T=1 only for a card without T=0, or already in T=1. */
	rv = SCardConnect(p->ctx, chosen, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0, &p->card,
	                  &p->proto);
	/* a card without T=0, or a reader that cannot run the card's T=0 (a T=1-only CCID
	 * reader: pcsc-lite answers "unresponsive" when the protocol change fails) */
	if (rv == SCARD_E_PROTO_MISMATCH || rv == SCARD_W_UNRESPONSIVE_CARD)
		rv = SCardConnect(p->ctx, chosen, SCARD_SHARE_SHARED,
		                  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->card, &p->proto);
	if (rv != SCARD_S_SUCCESS) {
		e = orsp_errf(ORSP_E_NOT_FOUND, "PC/SC: no card in \"%s\" (%s)", chosen,
		              pcsc_stringify_error(rv));
		goto fail;
	}
	free(names);
	t->user = p;
	t->transmit = pcsc_transmit;
	t->close = pcsc_close;
	t->begin = pcsc_begin;
	t->end = pcsc_end;
	return ORSP_OK;
fail:
	free(names);
	SCardReleaseContext(p->ctx);
	free(p);
	return e;
}
