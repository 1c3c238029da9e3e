/* openrsp lpa: the local software eUICC (a sealed directory of `openrsp euicc`) as a
 * transport: orsp_euicc_host_open, then every APDU through orsp_euicc_apdu_process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/lpa.h"

typedef struct local {
	orsp_euicc_host *h;
	/* the eUICC's error behind the last APDU's error status word, or its reason for an
	 * undefinedError answer (orsp_euicc_refusal); "" none */
	char why[ORSP_ERR_DETAIL_MAX];
} local;

/* The eUICC runs on this thread: what it failed with is the thread's error detail when it
 * answers. A status word carries no text, so it is kept here for the LPA's message (the
 * detail is cleared first: an earlier one must not be taken for this command's); so is an
 * ES10 answer's code, whose reason the core keeps (orsp_euicc_refusal, cleared by each ES10
 * request: the APDU that carried the answer is the last one the LPA reads it after). */
static orsp_err local_transmit(void *user, const uint8_t *capdu, size_t n, uint8_t *rapdu,
                               size_t cap, size_t *rlen)
{
	local *l = user;
	orsp_err e;
	uint8_t sw1;

	l->why[0] = '\0';
	orsp_err_clear();
	e = orsp_euicc_apdu_process(orsp_euicc_host_apdu(l->h), capdu, n, rapdu, cap, rlen);
	sw1 = e == ORSP_OK && *rlen >= 2 ? rapdu[*rlen - 2] : 0x90;
	if (sw1 != 0x90 && sw1 != 0x91 && sw1 != 0x61)
		orsp_err_detail_copy(l->why, sizeof(l->why));
	else
		snprintf(l->why, sizeof(l->why), "%s",
		         orsp_euicc_refusal(orsp_euicc_host_core(l->h)));
	return e;
}

static const char *local_detail(void *user)
{
	return ((local *)user)->why;
}

static void local_close(void *user)
{
	local *l = user;
	orsp_euicc_host_close(l->h);
	free(l);
}

orsp_err orsp_lpa_transport_local(const char *dir, orsp_lpa_transport *t)
{
	local *l;
	orsp_err e;

	if (!dir || !dir[0] || !t)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	memset(t, 0, sizeof(*t));
	l = calloc(1, sizeof(*l));
	if (!l)
		return orsp_errf(ORSP_E_RESOURCE, "lpa: out of memory");
	if ((e = orsp_euicc_host_open(dir, &l->h))) {
		free(l);
		return e;
	}
	t->user = l;
	t->transmit = local_transmit;
	t->close = local_close;
	t->detail = local_detail;
	return ORSP_OK;
}
