/* CPU time spent in the expensive primitives (ECDSA, key generation, ECKA, building a BPP),
 * summed over all threads: the SM-DP+ reports it in /metrics, and `openrsp bench smdp`
 * compares it with the server's whole CPU time, both measured by the server in the same run.
 *
 * Only the outermost accounted call of a thread is timed (building a BPP signs and runs
 * ECKA inside), from the thread's CPU clock: the time the thread ran, not the time it
 * waited. Off until orsp_crypto_account(true); then about two clock reads per call. */
#include <stdatomic.h>
#include <time.h>

#include "openrsp/crypto.h"

static atomic_bool acct_on;
static _Atomic uint64_t acct_ns;
static _Thread_local unsigned acct_depth;

static uint64_t thread_ns(void)
{
	struct timespec t;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0)
		return 0;
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void orsp_crypto_account(bool on)
{
	atomic_store(&acct_on, on);
}

uint64_t orsp_crypto_cpu_ns(void)
{
	return atomic_load(&acct_ns);
}

/* 0: not counting (off); 1: inside an accounted call; else the thread's CPU clock + 2. */
uint64_t orsp__crypto_acct_begin(void)
{
	if (!atomic_load_explicit(&acct_on, memory_order_relaxed))
		return 0;
	if (acct_depth++)
		return 1;
	return thread_ns() + 2;
}

void orsp__crypto_acct_end(uint64_t t0)
{
	if (t0 == 0)
		return;
	acct_depth--;
	if (t0 > 1) {
		uint64_t now = thread_ns() + 2;
		if (now > t0)
			atomic_fetch_add_explicit(&acct_ns, now - t0, memory_order_relaxed);
	}
}
