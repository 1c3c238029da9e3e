#!/usr/bin/env bash
# Interop check with pySim's es9p_client, an ES9+ client with a simulated eUICC that nobody
# here wrote: it downloads a profile from `openrsp smdp serve` and decodes the Bound Profile
# Package with pySim's own BSP code (session keys, decryption, C-MAC chain).
#
#   PYSIM=/path/to/pysim [PYTHONPATH=...] sudo -E scripts/interop-es9p-client.sh [OPENRSP_BINARY]
#
# PYSIM and PYTHONPATH as for osmo-smdpp (scripts/lib/osmo-smdpp.bash; es9p_client needs
# python3-requests besides). Needs root: es9p_client takes the SM-DP+ address from its URL's
# host and port, so the server listens on port 80 of loopback (plain HTTP: the SGP.26 DPtls
# certificate expired in 2026) and the test FQDN goes into /etc/hosts for the run (removed
# again on exit). The SM-DP+ uses the SGP.26 test certificates; es9p_client the SGP.26
# eUICC. Not run by `make test` or CI.
#
# Checks: an ES2+-style order (EID, matching ID, released) is downloaded: initiateAuthentication,
# authenticateClient, getBoundProfilePackage; es9p_client's decoded profile package is
# byte for byte the imported one; the SM-DP+ shows the profile Downloaded. Exit 0 when all
# hold.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
B=$(realpath "${1:-$here/../build/openrsp}")
V=$here/../tests/vectors
S=$V/sgp26
FQDN=testsmdpplus1.example.com
EID=89049032123451234512345678901235
ICCID=89000123456789012341
UPP=$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der
pid=""

fail() {
	echo "interop-es9p-client: FAIL: $*" >&2
	exit 1
}
[ -x "$B" ] || fail "$B is not the openrsp binary (build first, or give its path)"
[ -n "${PYSIM:-}" ] && [ -f "$PYSIM/contrib/es9p_client.py" ] || fail "set PYSIM to a pySim checkout"
[ "$(id -u)" = 0 ] || fail "needs root (port 80, /etc/hosts)"
if (exec 3<>/dev/tcp/127.0.0.1/80) 2>/dev/null; then fail "port 80 is in use"; fi

T=$(mktemp -d /tmp/interop-es9p-client.XXXXXX)
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	sed -i "/ $FQDN # interop-es9p-client\$/d" /etc/hosts
	rm -rf "$T"
}
trap cleanup EXIT

# the signing keys copied with mode 600 (a key file others can read is refused)
install -m 600 "$S/DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem" "$S/DPpb/SK_S_SM_DPpb_ECDSA_NIST.pem" "$T/"
cat >"$T/smdp.conf" <<EOF
fqdn = $FQDN
oid = 2.999.10
listen = 127.0.0.1
port = 80
database = $T/smdp.db
plain_http = yes
[keyset]
ci = $S/CertificateIssuer/CERT_CI_ECDSA_NIST.der
dpauth_cert = $S/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der
dpauth_key = $T/SK_S_SM_DPauth_ECDSA_NIST.pem
dppb_cert = $S/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der
dppb_key = $T/SK_S_SM_DPpb_ECDSA_NIST.pem
EOF
"$B" smdp profile import "$UPP" --db "$T/smdp.db" >/dev/null
ac=$("$B" smdp order --config "$T/smdp.conf" --iccid $ICCID --eid $EID --matching-id ES9P-CLIENT-1 --release)
[ "$ac" = "LPA:1\$$FQDN\$ES9P-CLIENT-1" ] || fail "order: $ac"
mkdir -p "$T/certs" "$T/out"
cp "$S/eUICC/CERT_EUICC_ECDSA_NIST.der" "$S/eUICC/SK_EUICC_ECDSA_NIST.pem" \
	"$S/EUM/CERT_EUM_ECDSA_NIST.der" "$S/CertificateIssuer/CERT_CI_ECDSA_NIST.der" "$T/certs/"

echo "127.0.0.1 $FQDN # interop-es9p-client" >>/etc/hosts
"$B" smdp serve --config "$T/smdp.conf" >"$T/port" 2>"$T/serve.log" &
pid=$!
for _ in $(seq 1 50); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "the SM-DP+ did not start: $(cat "$T/serve.log")"

(cd "$PYSIM" && PYTHONPATH="$PYSIM${PYTHONPATH:+:$PYTHONPATH}" /usr/bin/python3 contrib/es9p_client.py \
	--url "http://$FQDN" --certificate-path "$T/certs" \
	download --matchingId ES9P-CLIENT-1 --output-path "$T/out") >"$T/client.log" 2>&1 ||
	fail "es9p_client download (log: $(grep -v '^DEBUG' "$T/client.log" | tail -5))"
cmp -s "$T/out/$ICCID.upp.der" "$UPP" || fail "es9p_client's decoded package differs from the imported one"
echo "interop-es9p-client: ok: downloaded; pySim decoded the BPP to the imported package, byte for byte"
"$B" smdp profile list --db "$T/smdp.db" | grep -q "^$ICCID .* downloaded " ||
	fail "the SM-DP+ does not show the profile Downloaded"
for fn in initiateAuthentication authenticateClient getBoundProfilePackage; do
	grep -q "function=$fn .*eid=.* http=200 result=ok" "$T/serve.log" || fail "no successful $fn in the log"
done
echo "interop-es9p-client: ok: the SM-DP+ logged the three calls and shows the profile Downloaded"
echo "interop-es9p-client: PASS"
