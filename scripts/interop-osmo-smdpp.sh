#!/usr/bin/env bash
# Interop check with pySim's osmo-smdpp, an SM-DP+ nobody here wrote: openrsp's LPA and its
# software eUICC (holding the SGP.26 test eUICC identity) download from it.
#
#   PYSIM=/path/to/pysim [PYTHONPATH=...] scripts/interop-osmo-smdpp.sh [OPENRSP_BINARY]
#
# What PYSIM must hold and how osmo-smdpp is run: scripts/lib/osmo-smdpp.bash. Not run by
# `make test` or CI.
#
# Checks: a matching ID osmo-smdpp does not know is refused (8.2.6/3.8) and the eUICC's
# session is cancelled; an activation code naming another SM-DP+ OID is refused; then the
# download of MID (its activation code with osmo-smdpp's OID) (default TS48V2-SAIP2-3-NOBERTLV-UNIQUE):
# mutual authentication (each side checks the other's chain to the SGP.26 CI), the
# profile's metadata, the BPP (osmo-smdpp's '86' segments are 1036 bytes, over SGP.22
# §2.5.3's 1020, which the eUICC accepts: docs/bsp.md), the installation; then enable, and
# the enable notification is sent; osmo-smdpp checks the eUICC's chain and signature and
# logs it; disable, delete, those notifications too. Exit 0; exit 1 on anything else (a
# refused download included: until 2026-12-02 the eUICC refused the 1036-byte segments,
# docs/interop.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/osmo-smdpp.bash"
B=$(realpath "${1:-$here/../build/openrsp}")
MID=${MID:-TS48V2-SAIP2-3-NOBERTLV-UNIQUE}
V=$here/../tests/vectors/sgp26
EID=89049032123451234512345678901235 # the SGP.26 eUICC certificate's

[ -x "$B" ] || osmo_fail "$B is not the openrsp binary (build first, or give its path)"
[ -f "${PYSIM:-}/smdpp-data/upp/$MID.der" ] || osmo_fail "no profile $MID in PYSIM/smdpp-data/upp"

T=$(mktemp -d /tmp/interop-osmo-smdpp.XXXXXX)
trap 'osmo_stop; rm -rf "$T"' EXIT
pass() { echo "interop-osmo-smdpp: ok: $*"; }

"$B" euicc init --state "$T/euicc" --key "$V/eUICC/SK_EUICC_ECDSA_NIST.pem" \
	--cert "$V/eUICC/CERT_EUICC_ECDSA_NIST.der" --eum-cert "$V/EUM/CERT_EUM_ECDSA_NIST.der" \
	--ci-cert "$V/CertificateIssuer/CERT_CI_ECDSA_NIST.der" >/dev/null
E=(--euicc "local:$T/euicc")
# osmo-smdpp serves plain HTTP, which the LPA takes only with --insecure (warned about)
L=(--server-url "$OSMO_URL" --insecure "${E[@]}")
osmo_start "$here" "$T/osmo.log"

# an unknown matching ID
rc=0
"$B" lpa profile download -a "LPA:1\$$OSMO_FQDN\$NO-SUCH-PROFILE" "${L[@]}" >/dev/null 2>"$T/err" || rc=$?
[[ $rc -eq 1 && "$(cat "$T/err")" == *"authenticateClient (Failed 8.2.6/3.8"*"(session cancelled"* ]] ||
	osmo_fail "unknown matching ID: rc=$rc $(cat "$T/err")"
pass "unknown matching ID refused (8.2.6/3.8), session cancelled on the eUICC"

# an activation code for another SM-DP+ OID than osmo-smdpp's CERT.DPauth (SGP.26: 2.999.10)
rc=0
"$B" lpa profile download -a "LPA:1\$$OSMO_FQDN\$$MID\$2.999.11" "${L[@]}" >/dev/null 2>"$T/err" || rc=$?
[[ $rc -eq 1 && "$(cat "$T/err")" == *"names the SM-DP+ OID 2.999.10, not 2.999.11"* ]] ||
	osmo_fail "another SM-DP+ OID: rc=$rc $(cat "$T/err")"
pass "an activation code for another SM-DP+ OID refused before the eUICC was asked"

# the download, with the SM-DP+ OID in the activation code
rc=0
"$B" lpa profile download -a "LPA:1\$$OSMO_FQDN\$$MID\$2.999.10" "${L[@]}" >"$T/out" 2>"$T/err" || rc=$?
grep -q "profile offered: " "$T/err" || osmo_fail "no profile metadata: $(cat "$T/err")"
pass "authenticated both ways; offered: $(sed -n 's/.*profile offered: //p' "$T/err")"
[[ $rc -eq 0 ]] || osmo_fail "download: rc=$rc $(cat "$T/err")"
ICCID=$(sed -n 's/^installed \([0-9]*\) .*/\1/p' "$T/out")
[ -n "$ICCID" ] || osmo_fail "no ICCID in: $(cat "$T/out")"
pass "installed $ICCID"
"$B" lpa profile enable "$ICCID" "${E[@]}" >/dev/null
"$B" lpa notification process "${L[@]}" >/dev/null
grep -q "handleNotification: EID $EID: enable of $ICCID" "$T/osmo.log" ||
	osmo_fail "osmo-smdpp did not log the enable notification"
pass "enabled; the notification verified by osmo-smdpp"
"$B" lpa profile disable "$ICCID" "${E[@]}" >/dev/null
"$B" lpa profile delete "$ICCID" "${E[@]}" >/dev/null
"$B" lpa notification process "${L[@]}" >/dev/null
grep -q "handleNotification: EID $EID: delete of $ICCID" "$T/osmo.log" ||
	osmo_fail "osmo-smdpp did not log the delete notification"
pass "disabled, deleted; notifications verified by osmo-smdpp"
echo "interop-osmo-smdpp: PASS"
