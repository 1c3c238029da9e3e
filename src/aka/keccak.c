/* Keccak-f[1600] permutation (FIPS 202 §3.2, 24 rounds) as used by TUAK (TS 35.231 §6).
 *
 * Plain 64-bit lane implementation: no tables indexed by data, so its timing does not
 * depend on the (secret) state. Lane i of the state is bytes 8i..8i+7, little-endian,
 * which is the byte order of TS 35.231/35.232.
 */
#include <string.h>

#include "openrsp/aka.h"

static const uint64_t keccak_rc[24] = {
    UINT64_C(0x0000000000000001), UINT64_C(0x0000000000008082), UINT64_C(0x800000000000808a),
    UINT64_C(0x8000000080008000), UINT64_C(0x000000000000808b), UINT64_C(0x0000000080000001),
    UINT64_C(0x8000000080008081), UINT64_C(0x8000000000008009), UINT64_C(0x000000000000008a),
    UINT64_C(0x0000000000000088), UINT64_C(0x0000000080008009), UINT64_C(0x000000008000000a),
    UINT64_C(0x000000008000808b), UINT64_C(0x800000000000008b), UINT64_C(0x8000000000008089),
    UINT64_C(0x8000000000008003), UINT64_C(0x8000000000008002), UINT64_C(0x8000000000000080),
    UINT64_C(0x000000000000800a), UINT64_C(0x800000008000000a), UINT64_C(0x8000000080008081),
    UINT64_C(0x8000000000008080), UINT64_C(0x0000000080000001), UINT64_C(0x8000000080008008),
};

/* rho and pi done in place: starting from lane (1, 0), pi moves lane (x, y) to
 * (y, 2x + 3y); keccak_pi_lane lists the destinations along that 24-lane cycle and
 * keccak_rho_rot the rho offset (FIPS 202 Table 2) of the lane moved there. */
static const uint8_t keccak_pi_lane[24] = {
    10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
};
static const uint8_t keccak_rho_rot[24] = {
    1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
};

static inline uint64_t rotl64(uint64_t v, unsigned r)
{
	return (v << r) | (v >> ((64u - r) & 63u));
}

static void keccak_rounds(uint64_t a[25])
{
	uint64_t c[5], t, u;

	for (unsigned round = 0; round < 24; round++) {
		/* theta */
		for (unsigned x = 0; x < 5; x++)
			c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
		for (unsigned x = 0; x < 5; x++) {
			t = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
			for (unsigned y = 0; y < 25; y += 5)
				a[y + x] ^= t;
		}
		/* rho and pi (unrolled so the lane indices and offsets become constants) */
		t = a[1];
#pragma GCC unroll 24
		for (unsigned i = 0; i < 24; i++) {
			u = a[keccak_pi_lane[i]];
			a[keccak_pi_lane[i]] = rotl64(t, keccak_rho_rot[i]);
			t = u;
		}
		/* chi, row by row */
		for (unsigned y = 0; y < 25; y += 5) {
			for (unsigned x = 0; x < 5; x++)
				c[x] = a[y + x];
			for (unsigned x = 0; x < 5; x++)
				a[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
		}
		/* iota */
		a[0] ^= keccak_rc[round];
	}
	orsp_wipe(c, sizeof(c));
}

void orsp_keccak_f1600(uint8_t state[200])
{
	uint64_t a[25];

	for (unsigned i = 0; i < 25; i++) {
		uint64_t v = 0;
		for (int j = 7; j >= 0; j--)
			v = (v << 8) | state[8 * i + (unsigned)j];
		a[i] = v;
	}
	keccak_rounds(a);
	for (unsigned i = 0; i < 25; i++)
		for (unsigned j = 0; j < 8; j++)
			state[8 * i + j] = (uint8_t)(a[i] >> (8 * j));
	orsp_wipe(a, sizeof(a));
}
