/* Sequence number management, TS 33.102 Annex C.
 *
 * SQN (48 bits) = SEQ || IND with IND the ind_bits least significant bits (Annex C.1, C.3).
 * USIM (C.2): an array SEQ_MS(i), one entry per IND value, all initially zero. A received
 * SQN is accepted iff
 *   - SEQ > SEQ_MS(IND)                                  (C.2.2 (a), otherwise (b))
 *   - SEQ - SEQ_MS <= delta when SEQ > SEQ_MS            (C.2.1, wrap-around protection)
 *   - SEQ_MS - SEQ < L when SEQ < SEQ_MS                 (C.2.2, optional age limit L)
 * where SEQ_MS is the highest SEQ accepted anywhere in the array. delta = 0 or L = 0
 * switch the respective check off.
 * AuC (Annex C.1, C.3): SEQ_HE is incremented for each vector; IND is chosen per vector.
 */
#include <string.h>

#include "openrsp/aka.h"

void orsp_usim_sqn_init(orsp_usim_sqn *st, unsigned ind_bits)
{
	memset(st, 0, sizeof(*st));
	st->ind_bits = ind_bits;
	st->delta = ORSP_SQN_DEFAULT_DELTA;
	st->age_limit = 0;
}

static unsigned sqn_ind_count(const orsp_usim_sqn *st)
{
	return 1u << st->ind_bits;
}

/* Index of the array entry with the highest SEQ (the lowest such IND on ties). */
static unsigned sqn_highest_ind(const orsp_usim_sqn *st)
{
	unsigned best = 0;
	for (unsigned i = 1; i < sqn_ind_count(st); i++)
		if (st->seq[i] > st->seq[best])
			best = i;
	return best;
}

uint64_t orsp_usim_sqn_ms(const orsp_usim_sqn *st)
{
	if (!st || st->ind_bits > ORSP_SQN_MAX_IND_BITS)
		return 0;
	unsigned i = sqn_highest_ind(st);
	/* SQN_MS = SEQ_MS || IND of that entry (C.2.2 (b): "the highest previously accepted
	 * sequence number anywhere in the array"). */
	return ((st->seq[i] << st->ind_bits) | i) & ORSP_AKA_SQN_MAX;
}

orsp_err orsp_usim_sqn_check(const orsp_usim_sqn *st, uint64_t sqn)
{
	if (!st || st->ind_bits > ORSP_SQN_MAX_IND_BITS)
		return orsp_errf(ORSP_E_USAGE, "SQN state missing or IND length above %d bits",
		                 ORSP_SQN_MAX_IND_BITS);
	if (sqn > ORSP_AKA_SQN_MAX)
		return orsp_errf(ORSP_E_USAGE, "SQN exceeds 48 bits");

	const uint64_t seq = sqn >> st->ind_bits;
	const unsigned ind = (unsigned)(sqn & (sqn_ind_count(st) - 1u));
	const uint64_t seq_ms = st->seq[sqn_highest_ind(st)];

	/* C.2.2: optional age limit L, checked before (a)/(b). */
	if (st->age_limit && seq < seq_ms && seq_ms - seq >= st->age_limit)
		return orsp_errf(ORSP_E_STATE, "SQN too old: SEQ_MS - SEQ = %llu >= L",
		                 (unsigned long long)(seq_ms - seq));
	/* C.2.1: SEQ - SEQ_MS <= delta protects the counter against wrap-around. */
	if (st->delta && seq > seq_ms && seq - seq_ms > st->delta)
		return orsp_errf(ORSP_E_STATE, "SQN too far ahead: SEQ - SEQ_MS = %llu > delta",
		                 (unsigned long long)(seq - seq_ms));
	/* C.2.2 (a)/(b): fresh only if above the entry of its own IND. */
	if (seq <= st->seq[ind])
		return orsp_errf(ORSP_E_STATE, "SQN replayed: SEQ not above SEQ_MS(%u)", ind);
	return ORSP_OK;
}

void orsp_usim_sqn_accept(orsp_usim_sqn *st, uint64_t sqn)
{
	if (!st || st->ind_bits > ORSP_SQN_MAX_IND_BITS || sqn > ORSP_AKA_SQN_MAX)
		return;
	const uint64_t seq = sqn >> st->ind_bits;
	const unsigned ind = (unsigned)(sqn & (sqn_ind_count(st) - 1u));
	/* C.2.2 (a): SEQ_MS(i) := SEQ. Never lower an entry, even if called unchecked. */
	if (seq > st->seq[ind])
		st->seq[ind] = seq;
}

orsp_err orsp_auc_next_sqn(uint64_t last, unsigned ind_bits, unsigned ind, uint64_t *next)
{
	if (!next)
		return orsp_errf(ORSP_E_USAGE, "next SQN: missing output");
	*next = 0;
	if (ind_bits > ORSP_SQN_MAX_IND_BITS)
		return orsp_errf(ORSP_E_USAGE, "IND length %u above %d bits", ind_bits,
		                 ORSP_SQN_MAX_IND_BITS);
	if (ind >= (1u << ind_bits))
		return orsp_errf(ORSP_E_USAGE, "IND %u does not fit in %u bits", ind, ind_bits);
	if (last > ORSP_AKA_SQN_MAX)
		return orsp_errf(ORSP_E_USAGE, "SQN exceeds 48 bits");

	/* Annex C.3: SEQ_HE is a counter of 48 - ind_bits bits, incremented per vector. */
	const uint64_t seq_max = ORSP_AKA_SQN_MAX >> ind_bits;
	const uint64_t seq = last >> ind_bits;
	if (seq >= seq_max)
		return orsp_errf(ORSP_E_RESOURCE, "SEQ would wrap around");
	*next = ((seq + 1) << ind_bits) | ind;
	return ORSP_OK;
}
