#!/usr/bin/env bash
# `openrsp aka usim` (the USIM side of AKA, as the software eUICC's USIM answers) against
# osmo-hlr (Debian package, written by the Osmocom project), over GSUP as an MSC or SGSN asks
# it: a subscriber with random K and OPc (IND 5 bits) is created through osmo-hlr's VTY; each
# vector osmo-hlr hands out passes the USIM's checks with the same RES, CK and IK; a USIM
# whose SQN is ahead refuses a vector with AUTS, osmo-hlr resynchronises from that AUTS and
# its next vector is accepted; an AUTS with one bit changed is refused by osmo-hlr.
# osmo-hlr listens on a random 127.x.y.z address, so one started by the system does not
# stand in the way. Exit 77 (skipped) when osmo-hlr is not installed (scripts/setup.sh
# installs it).
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
command -v osmo-hlr >/dev/null || {
	echo "osmo-hlr is not installed: skipped"
	exit 77
}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_osmo_hlr.XXXXXX")
. "$(dirname "$0")/lib/common.bash"
H=(python3 "$(dirname "$0")/lib/osmo_hlr.py")
pid=""
cleanup() {
	[[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
json() { grep -o "\"$1\":\"[0-9a-f]*\"" <<<"$2" | cut -d'"' -f4; }

ADDR=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
cat >"$T/hlr.cfg" <<EOF
log stderr
 logging level main notice
line vty
 bind $ADDR
ctrl
 bind $ADDR
hlr
 gsup
  bind ip $ADDR
EOF
osmo-hlr -c "$T/hlr.cfg" -l "$T/hlr.db" >"$T/hlr.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	(exec 3<>"/dev/tcp/$ADDR/4222") 2>/dev/null && (exec 3<>"/dev/tcp/$ADDR/4258") 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || {
		cat "$T/hlr.log" >&2
		exit 1
	}
	sleep 0.1
done

K=$(hex 16)
OPC=$(hex 16)
IMSI=00101$(printf '%010d' $((RANDOM * 32768 + RANDOM)))
"${H[@]}" vty "$ADDR" "subscriber imsi $IMSI create" \
	"subscriber imsi $IMSI update aud3g milenage k $K opc $OPC ind-bitlen 5" && ok || bad "VTY provisioning"

usim() { # usim RAND AUTN [SQN_MS]: openrsp aka usim --json
	"$B" aka usim --k "$K" --opc "$OPC" --rand "$1" --autn "$2" ${3:+--sqn-ms=$3} --json || true
}

# every vector of a SendAuthInfo: the USIM's answer is osmo-hlr's
"${H[@]}" sai "$ADDR" "$IMSI" >"$T/v1" && ok || bad "SendAuthInfo: $(cat "$T/hlr.log")"
[[ $(wc -l <"$T/v1") -ge 3 ]] && ok || bad "fewer than 3 vectors: $(cat "$T/v1")"
while read -r rand autn res ck ik; do
	o=$(usim "$rand" "$autn")
	[[ "$o" == *'"result":"ok"'* && "$(json res "$o")" == "$res" &&
		"$(json ck "$o")" == "$ck" && "$(json ik "$o")" == "$ik" ]] && ok || bad "vector $rand: $o (HLR: $res $ck $ik)"
done <"$T/v1"

# a USIM ahead of the HLR: AUTS, osmo-hlr resynchronises, its next vector is fresh
read -r rand autn _ <"$T/v1"
ak=$(json ak "$("$B" aka gen --k "$K" --opc "$OPC" --rand "$rand" --sqn 000000000000 --amf 0000 --json)")
sqn=$((0x${autn:0:12} ^ 0x$ak))
ms=$(printf '%012x' $((((sqn >> 5) + 1000) << 5 | (sqn & 31)))) # same IND, SEQ 1000 ahead
o=$(usim "$rand" "$autn" "$ms")
auts=$(json auts "$o")
[[ "$o" == *'"result":"sync_failure"'* && ${#auts} -eq 28 ]] && ok || bad "no AUTS: $o"
bad_auts=${auts:0:27}$(printf '%x' $(((0x${auts:27:1}) ^ 1)))
if "${H[@]}" sai "$ADDR" "$IMSI" "$bad_auts" "$rand" >"$T/v_bad" 2>"$T/e_bad"; then
	bad "osmo-hlr took a tampered AUTS: $(cat "$T/v_bad")"
else ok; fi
"${H[@]}" sai "$ADDR" "$IMSI" "$auts" "$rand" >"$T/v2" && ok || bad "resync SendAuthInfo: $(tail -3 "$T/hlr.log")"
read -r rand2 autn2 res2 ck2 ik2 <"$T/v2"
o=$(usim "$rand2" "$autn2" "$ms")
[[ "$o" == *'"result":"ok"'* && "$(json res "$o")" == "$res2" && "$(json ck "$o")" == "$ck2" &&
	"$(json ik "$o")" == "$ik2" ]] && ok || bad "after resync: $o (HLR: $res2 $ck2 $ik2)"

finish
