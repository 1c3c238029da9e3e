/* BSP session key derivation (SGP.22 §2.6.4.2). */
#include <string.h>

#include "bsp_internal.h"

orsp_err orsp_bsp_keys_set(orsp_bsp_keys *k, const uint8_t enc[ORSP_BSP_KEY_LEN],
                           const uint8_t mac[ORSP_BSP_KEY_LEN], const uint8_t mcv[ORSP_BSP_KEY_LEN])
{
	orsp_err e;

	if (!k || !enc || !mac || !mcv)
		return orsp_errf(ORSP_E_USAGE, "BSP keys: NULL argument");
	e = orsp_secret_set(&k->enc, enc, ORSP_BSP_KEY_LEN);
	if (e == ORSP_OK)
		e = orsp_secret_set(&k->mac, mac, ORSP_BSP_KEY_LEN);
	if (e == ORSP_OK)
		e = orsp_secret_set(&k->mcv, mcv, ORSP_BSP_KEY_LEN);
	if (e != ORSP_OK)
		orsp_bsp_keys_wipe(k);
	return e;
}

orsp_err orsp_bsp_derive_keys(const uint8_t *shared_secret, size_t ss_len, uint8_t key_type,
                              uint8_t key_len, const uint8_t *host_id, size_t host_id_len,
                              const uint8_t eid[ORSP_BSP_EID_LEN], orsp_bsp_keys *out)
{
	/* keyType || keyLen || L || hostId (<= 16) || L || EID (16) */
	uint8_t info[2 + 1 + ORSP_BSP_HOST_ID_MAX + 1 + ORSP_BSP_EID_LEN];
	uint8_t okm[3 * ORSP_BSP_KEY_LEN];
	size_t n = 0;
	orsp_err e;

	if (!out)
		return orsp_errf(ORSP_E_USAGE, "BSP KDF: NULL output");
	orsp_bsp_keys_wipe(out);
	if (!shared_secret || ss_len == 0 || ss_len > ORSP_SECRET_MAX || !eid ||
	    (!host_id && host_id_len))
		return orsp_errf(ORSP_E_USAGE, "BSP KDF: missing shared secret or EID");
	/* The CRT of InitialiseSecureChannelRequest: only AES with 16-byte keys is defined
	 * (SGP.22 §2.6.4.2, keyLen "SHALL be 0x10"). */
	if (key_type != ORSP_BSP_KEY_TYPE_AES || key_len != ORSP_BSP_KEY_LEN)
		return orsp_errf(ORSP_E_POLICY,
		                 "BSP KDF: unsupported CRT keyType %02X keyLen %02X (need 88 10)",
		                 key_type, key_len);
	if (host_id_len == 0 || host_id_len > ORSP_BSP_HOST_ID_MAX)
		return orsp_errf(ORSP_E_USAGE, "BSP KDF: hostId of %zu bytes (need 1..16)",
		                 host_id_len);

	/* SharedInfo of §2.6.4.2: the lengths are single octets (all below 128). */
	info[n++] = key_type;
	info[n++] = key_len;
	info[n++] = (uint8_t)host_id_len;
	memcpy(info + n, host_id, host_id_len);
	n += host_id_len;
	info[n++] = ORSP_BSP_EID_LEN;
	memcpy(info + n, eid, ORSP_BSP_EID_LEN);
	n += ORSP_BSP_EID_LEN;

	e = orsp_kdf_x963_sha256(shared_secret, ss_len, info, n, okm, sizeof(okm));
	if (e != ORSP_OK)
		goto out;
	/* Output split: initial MCV | S-ENC | S-MAC. */
	e = orsp_bsp_keys_set(out, okm + ORSP_BSP_KEY_LEN, okm + 2 * ORSP_BSP_KEY_LEN, okm);
out:
	orsp_wipe(okm, sizeof(okm));
	return e;
}
