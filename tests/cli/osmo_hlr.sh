#!/usr/bin/env bash
# `openrsp aka usim` (the USIM side of AKA, as the software eUICC's USIM answers) against
# osmo-hlr (Debian package, written by the Osmocom project), over GSUP as an MSC or SGSN asks
# it: a subscriber with random K and OPc (IND 5 bits) is created through osmo-hlr's VTY; each
# vector osmo-hlr hands out passes the USIM's checks with the same RES, CK and IK; a USIM
# whose SQN is ahead refuses a vector with AUTS, osmo-hlr resynchronises from that AUTS and
# its next vector is accepted; an AUTS with one bit changed is refused by osmo-hlr.
# Then openrsp's AuC hands its subscribers to osmo-hlr (`openrsp auc export --format
# osmo-hlr-vty`, the file fed to the VTY): osmo-hlr holds the same K, OPc and IND length; a
# USIM that took an AuC vector under the IND osmo-hlr uses for this client refuses osmo-hlr's
# first one (osmo-hlr starts from its own SQN, and freshness is per IND, TS 33.102 C.2.2) with
# AUTS, after which osmo-hlr's vectors are accepted, and `openrsp aka gen` with
# osmo-hlr's RAND, SQN and AMF computes osmo-hlr's AUTN, RES, CK and IK.
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
	"subscriber imsi $IMSI update aud3g milenage k $K opc $OPC ind-bitlen 5" >/dev/null && ok || bad "VTY provisioning"
# the VTY client sees osmo-hlr's errors
if "${H[@]}" vty "$ADDR" "subscriber imsi $IMSI create" >/dev/null 2>"$T/e_vty"; then
	bad "VTY: creating $IMSI twice was not an error"
else has "VTY error" "already exists" "$(cat "$T/e_vty")"; fi

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

# ----- openrsp's AuC exports its subscribers to osmo-hlr -----
ind=$((sqn & 31)) # the IND osmo-hlr gives this GSUP client: the AuC's vector takes it too,
# as under another IND the USIM would accept osmo-hlr's lower SEQ without AUTS
A=(--db "$T/auc.db")
K2=$(hex 16) OPC2=$(hex 16) K3=$(hex 16) OPC3=$(hex 16)
IMSI2=00101$(printf '%010d' $((RANDOM * 32768 + RANDOM + 1)))
IMSI3=00101$(printf '%010d' $((RANDOM * 32768 + RANDOM + 2)))
run auc add "${A[@]}" --imsi "$IMSI2" --k "$K2" --opc "$OPC2" --sqn $((4096 << 5))
expect "auc add" 0 "$rc"
run auc add "${A[@]}" --imsi "$IMSI3" --k "$K3" --opc "$OPC3" --ind-bits 3 --amf 0000
expect "auc add (IND 3 bits)" 0 "$rc"

# the USIM takes a vector of openrsp's AuC: its SQN_MS is now the AuC's
v=$("$B" auc vector "${A[@]}" "$IMSI2" --ind "$ind" --json)
o=$("$B" aka usim --k "$K2" --opc "$OPC2" --rand "$(json rand "$v")" --autn "$(json autn "$v")" --json || true)
if [[ "$o" == *'"result":"ok"'* && "$(json res "$o")" == "$(json xres "$v")" ]]; then ok; else bad "AuC vector: $o ($v)"; fi
ms2=$(json sqn "$v")

# refusals, usage errors, --out -, the terminal and an existing file need no osmo-hlr:
# tests/cli/auc.sh
EXP=(auc export "${A[@]}" --format osmo-hlr-vty)
run "${EXP[@]}" "$IMSI2" "$IMSI3" --out "$T/export.vty"
expect "export" 0 "$rc"
has "export summary" "exported 2 subscribers to $T/export.vty" "$out"
lacks "keys on the screen" "$K2" "$out$err"
expect "export file mode" 600 "$(stat -c %a "$T/export.vty")"
has "export file" "subscriber imsi $IMSI2 update aud3g milenage k $K2 opc $OPC2 ind-bitlen 5" "$(cat "$T/export.vty")"

# osmo-hlr takes the file and holds what the AuC holds
if "${H[@]}" vty-file "$ADDR" "$T/export.vty" >"$T/vty_out" 2>&1; then ok; else
	bad "VTY rejected the export: $(cat "$T/vty_out")"
fi
o=$("${H[@]}" vty "$ADDR" "subscriber imsi $IMSI2 show" "subscriber imsi $IMSI3 show" || true)
has "osmo-hlr K" "K=$K2" "$o"
has "osmo-hlr OPc" "OPC=$OPC2" "$o"
has "osmo-hlr K (2)" "K=$K3" "$o"
has "osmo-hlr OPc (2)" "OPC=$OPC3" "$o"
has "osmo-hlr IND" "IND-bitlen=3" "$o"

# osmo-hlr starts from its own SQN, below the AuC's under the same IND: the USIM asks for
# resynchronisation once
if "${H[@]}" sai "$ADDR" "$IMSI2" >"$T/v3"; then ok; else bad "SendAuthInfo (exported): $(tail -3 "$T/hlr.log")"; fi
read -r rand3 autn3 _ <"$T/v3"
o=$("$B" aka usim --k "$K2" --opc "$OPC2" --rand "$rand3" --autn "$autn3" --sqn-ms="$ms2" --json || true)
auts3=$(json auts "$o")
if [[ "$o" == *'"result":"sync_failure"'* && ${#auts3} -eq 28 ]]; then ok; else
	bad "exported: no AUTS for osmo-hlr's first SQN: $o"
fi
if "${H[@]}" sai "$ADDR" "$IMSI2" "$auts3" "$rand3" >"$T/v4"; then ok; else bad "exported: resync: $(tail -3 "$T/hlr.log")"; fi
while read -r rand autn res ck ik; do
	o=$("$B" aka usim --k "$K2" --opc "$OPC2" --rand "$rand" --autn "$autn" --sqn-ms="$ms2" --json || true)
	if [[ "$o" == *'"result":"ok"'* && "$(json res "$o")" == "$res" && "$(json ck "$o")" == "$ck" &&
		"$(json ik "$o")" == "$ik" ]]; then ok; else bad "exported, after resync: $o (HLR: $res $ck $ik)"; fi
	# openrsp computes osmo-hlr's vector from the same RAND, SQN and AMF
	ak=$(json ak "$("$B" aka gen --k "$K2" --opc "$OPC2" --rand "$rand" --sqn 000000000000 --amf 0000 --json)")
	s=$(printf '%012x' $((0x${autn:0:12} ^ 0x$ak)))
	g=$("$B" aka gen --k "$K2" --opc "$OPC2" --rand "$rand" --sqn "$s" --amf "${autn:12:4}" --json)
	if [[ "$(json autn "$g")" == "$autn" && "$(json xres "$g")" == "$res" && "$(json ck "$g")" == "$ck" &&
		"$(json ik "$g")" == "$ik" ]]; then ok; else bad "aka gen differs from osmo-hlr: $g (HLR: $autn $res $ck $ik)"; fi
	if [[ $((0x$s >> 5)) -gt $((0x$ms2 >> 5)) ]]; then ok; else bad "osmo-hlr SQN $s not above the USIM's $ms2"; fi
done <"$T/v4"
# the IND length went over: SEQ 1 of osmo-hlr's first vector, 3 IND bits
read -r rand autn _ <<<"$("${H[@]}" sai "$ADDR" "$IMSI3" | head -1)"
ak=$(json ak "$("$B" aka gen --k "$K3" --opc "$OPC3" --rand "$rand" --sqn 000000000000 --amf 0000 --json)")
expect "osmo-hlr SEQ with 3 IND bits" 1 $(((0x${autn:0:12} ^ 0x$ak) >> 3))

finish
