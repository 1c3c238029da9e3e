/* openrsp lpa: the local software eUICC (a sealed directory of `openrsp euicc`) as a
 * transport: orsp_euicc_host_open, then every APDU through orsp_euicc_apdu_process. */
#include <string.h>

#include "openrsp/lpa.h"

static orsp_err local_transmit(void *user, const uint8_t *capdu, size_t n, uint8_t *rapdu,
                               size_t cap, size_t *rlen)
{
	return orsp_euicc_apdu_process(orsp_euicc_host_apdu(user), capdu, n, rapdu, cap, rlen);
}

static void local_close(void *user)
{
	orsp_euicc_host_close(user);
}

orsp_err orsp_lpa_transport_local(const char *dir, orsp_lpa_transport *t)
{
	orsp_euicc_host *h = NULL;
	orsp_err e;

	if (!dir || !dir[0] || !t)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	memset(t, 0, sizeof(*t));
	if ((e = orsp_euicc_host_open(dir, &h)))
		return e;
	t->user = h;
	t->transmit = local_transmit;
	t->close = local_close;
	return ORSP_OK;
}
