/* The SM-DP+ profile state machine as a table (SGP.22 ES2+ profile states, rsp-notes §A.1).
 *
 * A (state, event) pair absent from the table is an illegal transition: ORSP_E_STATE.
 */
#include <string.h>

#include "openrsp/smdp.h"

typedef struct transition {
	orsp_smdp_state from;
	orsp_smdp_event ev;
	orsp_smdp_state to;
} transition;

static const transition table[] = {
    /* ES2+.DownloadOrder: Allocated without EID, Linked with it. */
    {ORSP_SMDP_AVAILABLE, ORSP_SMDP_EV_ORDER, ORSP_SMDP_ALLOCATED},
    {ORSP_SMDP_AVAILABLE, ORSP_SMDP_EV_ORDER_EID, ORSP_SMDP_LINKED},
    /* ES2+.ConfirmOrder: Confirmed, or straight to Released with releaseFlag. */
    {ORSP_SMDP_ALLOCATED, ORSP_SMDP_EV_CONFIRM, ORSP_SMDP_CONFIRMED},
    {ORSP_SMDP_LINKED, ORSP_SMDP_EV_CONFIRM, ORSP_SMDP_CONFIRMED},
    {ORSP_SMDP_ALLOCATED, ORSP_SMDP_EV_CONFIRM_RELEASE, ORSP_SMDP_RELEASED},
    {ORSP_SMDP_LINKED, ORSP_SMDP_EV_CONFIRM_RELEASE, ORSP_SMDP_RELEASED},
    /* ES2+.ReleaseProfile. */
    {ORSP_SMDP_CONFIRMED, ORSP_SMDP_EV_RELEASE, ORSP_SMDP_RELEASED},
    /* ES2+.CancelOrder while an order is open: finalProfileStatusIndicator decides. Once
     * delivered with no installation result yet (Downloaded: the package may be lost, and
     * the eUICC may never report), only to Unavailable: the eUICC may hold the profile, and
     * an Available one would be handed to another (the store refuses Available as well for
     * a Released order whose package went out before, reopened by a postponement). */
    {ORSP_SMDP_ALLOCATED, ORSP_SMDP_EV_CANCEL_AVAILABLE, ORSP_SMDP_AVAILABLE},
    {ORSP_SMDP_LINKED, ORSP_SMDP_EV_CANCEL_AVAILABLE, ORSP_SMDP_AVAILABLE},
    {ORSP_SMDP_CONFIRMED, ORSP_SMDP_EV_CANCEL_AVAILABLE, ORSP_SMDP_AVAILABLE},
    {ORSP_SMDP_RELEASED, ORSP_SMDP_EV_CANCEL_AVAILABLE, ORSP_SMDP_AVAILABLE},
    {ORSP_SMDP_ALLOCATED, ORSP_SMDP_EV_CANCEL_UNAVAILABLE, ORSP_SMDP_UNAVAILABLE},
    {ORSP_SMDP_LINKED, ORSP_SMDP_EV_CANCEL_UNAVAILABLE, ORSP_SMDP_UNAVAILABLE},
    {ORSP_SMDP_CONFIRMED, ORSP_SMDP_EV_CANCEL_UNAVAILABLE, ORSP_SMDP_UNAVAILABLE},
    {ORSP_SMDP_RELEASED, ORSP_SMDP_EV_CANCEL_UNAVAILABLE, ORSP_SMDP_UNAVAILABLE},
    {ORSP_SMDP_DOWNLOADED, ORSP_SMDP_EV_CANCEL_UNAVAILABLE, ORSP_SMDP_UNAVAILABLE},
    /* An open order past its expiry. */
    {ORSP_SMDP_ALLOCATED, ORSP_SMDP_EV_EXPIRE, ORSP_SMDP_UNAVAILABLE},
    {ORSP_SMDP_LINKED, ORSP_SMDP_EV_EXPIRE, ORSP_SMDP_UNAVAILABLE},
    {ORSP_SMDP_CONFIRMED, ORSP_SMDP_EV_EXPIRE, ORSP_SMDP_UNAVAILABLE},
    {ORSP_SMDP_RELEASED, ORSP_SMDP_EV_EXPIRE, ORSP_SMDP_UNAVAILABLE},
    /* ES9+: BPP delivered, then the Profile Installation Result. */
    {ORSP_SMDP_RELEASED, ORSP_SMDP_EV_DOWNLOADED, ORSP_SMDP_DOWNLOADED},
    {ORSP_SMDP_DOWNLOADED, ORSP_SMDP_EV_PIR_OK, ORSP_SMDP_INSTALLED},
    {ORSP_SMDP_DOWNLOADED, ORSP_SMDP_EV_PIR_FAIL, ORSP_SMDP_ERROR},
    /* CC or download retries exhausted, or another download failure. */
    {ORSP_SMDP_RELEASED, ORSP_SMDP_EV_FAIL, ORSP_SMDP_ERROR},
    {ORSP_SMDP_DOWNLOADED, ORSP_SMDP_EV_FAIL, ORSP_SMDP_ERROR},
    /* The eUICC postponed after delivery (cancelSession: postponed, timeout). */
    {ORSP_SMDP_DOWNLOADED, ORSP_SMDP_EV_REOPEN, ORSP_SMDP_RELEASED},
    /* The success of a package this order delivered to the eUICC before a later session of
     * the same eUICC (its retry) postponed and so reopened it: the eUICC holds the profile. */
    {ORSP_SMDP_RELEASED, ORSP_SMDP_EV_PIR_OK_REOPENED, ORSP_SMDP_INSTALLED},
};

static const char *const state_names[ORSP_SMDP_STATE__COUNT] = {
    [ORSP_SMDP_AVAILABLE] = "available",     [ORSP_SMDP_ALLOCATED] = "allocated",
    [ORSP_SMDP_LINKED] = "linked",           [ORSP_SMDP_CONFIRMED] = "confirmed",
    [ORSP_SMDP_RELEASED] = "released",       [ORSP_SMDP_DOWNLOADED] = "downloaded",
    [ORSP_SMDP_INSTALLED] = "installed",     [ORSP_SMDP_ERROR] = "error",
    [ORSP_SMDP_UNAVAILABLE] = "unavailable",
};

static const char *const event_names[ORSP_SMDP_EVENT__COUNT] = {
    [ORSP_SMDP_EV_ORDER] = "downloadOrder",
    [ORSP_SMDP_EV_ORDER_EID] = "downloadOrder(eid)",
    [ORSP_SMDP_EV_CONFIRM] = "confirmOrder",
    [ORSP_SMDP_EV_CONFIRM_RELEASE] = "confirmOrder(release)",
    [ORSP_SMDP_EV_RELEASE] = "releaseProfile",
    [ORSP_SMDP_EV_CANCEL_AVAILABLE] = "cancelOrder(available)",
    [ORSP_SMDP_EV_CANCEL_UNAVAILABLE] = "cancelOrder(unavailable)",
    [ORSP_SMDP_EV_EXPIRE] = "expire",
    [ORSP_SMDP_EV_DOWNLOADED] = "downloaded",
    [ORSP_SMDP_EV_PIR_OK] = "pir(success)",
    [ORSP_SMDP_EV_PIR_FAIL] = "pir(failure)",
    [ORSP_SMDP_EV_FAIL] = "fail",
    [ORSP_SMDP_EV_REOPEN] = "cancelSession(postponed)",
    [ORSP_SMDP_EV_PIR_OK_REOPENED] = "pir(success,reopened)",
};

const char *orsp_smdp_state_name(orsp_smdp_state s)
{
	if ((unsigned)s >= ORSP_SMDP_STATE__COUNT)
		return "?";
	return state_names[s];
}

orsp_err orsp_smdp_state_parse(const char *name, orsp_smdp_state *out)
{
	if (!name || !out)
		return orsp_errf(ORSP_E_USAGE, "state parse: missing arguments");
	for (unsigned i = 0; i < ORSP_SMDP_STATE__COUNT; i++) {
		if (strcmp(state_names[i], name) == 0) {
			*out = (orsp_smdp_state)i;
			return ORSP_OK;
		}
	}
	return orsp_errf(ORSP_E_MALFORMED, "unknown profile state \"%.32s\"", name);
}

const char *orsp_smdp_event_name(orsp_smdp_event e)
{
	if ((unsigned)e >= ORSP_SMDP_EVENT__COUNT)
		return "?";
	return event_names[e];
}

orsp_err orsp_smdp_transition(orsp_smdp_state s, orsp_smdp_event e, orsp_smdp_state *next)
{
	if (!next || (unsigned)s >= ORSP_SMDP_STATE__COUNT || (unsigned)e >= ORSP_SMDP_EVENT__COUNT)
		return orsp_errf(ORSP_E_USAGE, "transition: bad arguments");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(table); i++) {
		if (table[i].from == s && table[i].ev == e) {
			*next = table[i].to;
			return ORSP_OK;
		}
	}
	return orsp_errf(ORSP_E_STATE, "%s is not allowed in state %s", event_names[e],
	                 state_names[s]);
}
