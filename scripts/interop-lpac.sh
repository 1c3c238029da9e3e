#!/usr/bin/env bash
# Interop check with lpac, the C LPA of the estkme-group project, which nobody here wrote:
# lpac drives openrsp's software eUICC through pcscd + vsmartcard-vpcd (PC/SC) and downloads
# from `openrsp smdp serve` over HTTPS.
#
#   LPAC=/path/to/lpac scripts/interop-lpac.sh [OPENRSP_BINARY]
#
# lpac is not a Debian package and is not part of this project: build it yourself from its
# own source (cmake, with -DUSE_SYSTEM_DEPS=ON and libcjson-dev where the build cannot
# download cJSON) and point LPAC at the binary. Not run by `make test` or CI.
#
# Needs root: it starts its own pcscd (none may be running), binds the SM-DP+ to port 443 on
# loopback (lpac has no port in its activation code handling) and adds the test FQDN to
# /etc/hosts for the run (removed again on exit). lpac does not check the server's TLS
# certificate; the eUICC checks the SM-DP+ through CERT.DPauth as always.
#
# Checks: EID over PC/SC; lpac right after openrsp's own LPA on the same card (T=0 kept);
# ES2+ order; download and install (SM-DP+ state Downloaded); enable; the installation result
# and the enable notification delivered and removed (state Installed); a download with an
# unknown matching ID fails with the SM-DP+'s reason; disable, delete, their notifications.
# Exit 0 when all hold.
set -euo pipefail

B=${1:-$(dirname "$0")/../build/openrsp}
LPAC=${LPAC:-}
FQDN=smdp.example.org
tok=interop-operator-token-0001
port=${ORSP_VPCD_PORT:-} # empty: interop_card_stack picks a free one
sock=/run/pcscd/pcscd.comm
pids=()

fail() {
	echo "interop-lpac: FAIL: $*" >&2
	exit 1
}
[ -n "$LPAC" ] && [ -x "$LPAC" ] || fail "set LPAC to an lpac binary"
[ -x "$B" ] || fail "$B is not the openrsp binary (build first, or give its path)"
[ "$(id -u)" = 0 ] || fail "needs root (pcscd, port 443, /etc/hosts)"
[ ! -S "$sock" ] || fail "a pcscd is running ($sock); stop it first"
driver=$(ls /usr/lib/*/pcsc/drivers/serial/libifdvpcd.so \
	/usr/lib/pcsc/drivers/serial/libifdvpcd.so 2>/dev/null | head -1 || true)
[ -n "$driver" ] || fail "vsmartcard-vpcd is not installed"
B=$(realpath "$B")
data=$(realpath "$(dirname "$0")/../data")
work=$(mktemp -d /tmp/interop-lpac.XXXXXX)

# shellcheck source=SCRIPTDIR/lib/interop.bash
. "$(dirname "$0")/lib/interop.bash"
trap 'interop_cleanup $? interop-lpac "$FQDN" "$work"' EXIT

interop_card_stack interop-lpac --no-auc --iccid-start 898824700000003000 --imsi-start 001019000003000

export LPAC_APDU=pcsc LPAC_HTTP=curl
ok() { # ok <what> <lpac args...>: run lpac, require its final "code":0
	local what=$1 out
	shift
	out=$("$LPAC" "$@" 2>&1) || true
	grep -q '"type":"lpa","payload":{"code":0' <<<"$out" || fail "$what: $out"
	echo "interop-lpac: $what: ok"
	LAST=$out
}
for _ in $(seq 1 50); do
	"$LPAC" chip info >chip.json 2>/dev/null && grep -q eidValue chip.json && break
	sleep 0.2
done
eid=$(grep -o '"eidValue":"[0-9A-F]*"' chip.json | cut -d'"' -f4 || true)
[ -n "$eid" ] || fail "no EID from lpac chip info: $(cat chip.json)"
echo "interop-lpac: lpac reads EID $eid over PC/SC"
# openrsp's LPA on the same card, then lpac at once (it speaks T=0 only): the card must not be
# left in T=1 (it was until session 53: "Card protocol mismatch" until a reset)
"$B" lpa chip info --euicc pcsc >/dev/null 2>"$work/lpa.err" || fail "openrsp lpa chip info: $(cat "$work/lpa.err")"
out=$("$LPAC" chip info 2>&1) || true
grep -q "$eid" <<<"$out" || fail "lpac after openrsp lpa: $out"
echo "interop-lpac: openrsp lpa, then lpac on the same card: ok"

C=(curl -s --max-time 10 --cacert pki/ci/ci.pem)
hdr='"header":{"functionRequesterIdentifier":"op","functionCallIdentifier":"1"}'
es2() {
	"${C[@]}" -X POST -H 'Content-Type: application/json' -H 'X-Admin-Protocol: gsma/rsp/v2.2.0' \
		-H "Authorization: Bearer $tok" \
		-d "$2" "https://$FQDN/gsma/rsp2/es2plus/$1"
}
state() { "$B" smdp profile list --db smdp.db | grep "$1" | awk '{print $3}'; }
iccid=$("$B" smdp profile list --db smdp.db --json | grep -o '"iccid":"[0-9]*"' | awk -F'"' 'NR == 1 { print $4 }')
es2 downloadOrder "{$hdr,\"iccid\":\"$iccid\",\"eid\":\"$eid\"}" >/dev/null
mid=$(es2 confirmOrder "{$hdr,\"iccid\":\"$iccid\",\"releaseFlag\":true}" |
	grep -o '"matchingId":"[^"]*"' | cut -d'"' -f4 || true)
[ -n "$mid" ] || fail "ES2+ order"

ok "download (activation code LPA:1\$$FQDN\$$mid)" profile download -a "LPA:1\$$FQDN\$$mid"
grep -q "\"iccid\":\"$iccid\"" <<<"$LAST" || fail "download result names another ICCID: $LAST"
[ "$(state "$iccid")" = downloaded ] || fail "SM-DP+ state $(state "$iccid"), not downloaded"
ok "profile list" profile list
grep -q "\"iccid\":\"$iccid\"" <<<"$LAST" || fail "profile not listed: $LAST"
ok "enable" profile enable "$iccid"
# lpac keeps the installation result as a pending notification until it is processed
ok "notifications (installation result, enable) delivered and removed" notification process -a -r
ok "notification list" notification list
grep -q '"data":\[\]' <<<"$LAST" || fail "notifications left: $LAST"
[ "$(state "$iccid")" = installed ] || fail "SM-DP+ state $(state "$iccid"), not installed"
echo "interop-lpac: the SM-DP+ accepted lpac's installation result: installed"

out=$("$LPAC" profile download -s "$FQDN" -m NO-SUCH-ORDER-1 2>&1) || true
grep -q '"code":-1' <<<"$out" && grep -q "matching ID refused" <<<"$out" ||
	fail "unknown matching ID: $out"
echo "interop-lpac: unknown matching ID refused (8.2.6/3.8 as lpac reports it)"

ok "disable" profile disable "$iccid"
ok "delete" profile delete "$iccid"
ok "disable/delete notifications delivered" notification process -a -r
ok "profile list after delete" profile list
grep -q '"data":\[\]' <<<"$LAST" || fail "profile still listed: $LAST"
n=$(grep -c "function=handleNotification .*http=204 result=ok" smdp.log)
[ "$n" -ge 4 ] || fail "the SM-DP+ logged $n accepted notifications, expected 4"
echo "interop-lpac: PASS (lpac $("$LPAC" version 2>/dev/null | grep -o '"data":"[^"]*"' | cut -d'"' -f4))"
