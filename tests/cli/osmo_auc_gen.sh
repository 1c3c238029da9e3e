#!/usr/bin/env bash
# `openrsp aka` against osmo-auc-gen (libosmocore-utils, written by the Osmocom project):
# random K, OP or OPc, RAND, SQN and AMF; both must give the same AUTN, RES, CK and IK
# (Milenage, TS 35.206), and the same SQN_MS from an AUTS that `openrsp aka usim` made.
# Exit 77 (skipped) when osmo-auc-gen is not installed (scripts/setup.sh installs it).
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
command -v osmo-auc-gen >/dev/null || {
	echo "osmo-auc-gen is not installed (libosmocore-utils): skipped"
	exit 77
}
. "$(dirname "$0")/lib/common.bash"
hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
field() { awk -v k="$1:" '$1 == k { print $2 }' <<<"$2"; }     # osmo-auc-gen "NAME:<tab>value"
json() { grep -o "\"$1\":\"[0-9a-f]*\"" <<<"$2" | cut -d'"' -f4; } # openrsp --json

for i in $(seq 1 24); do
	k=$(hex 16)
	rand=$(hex 16)
	amf=$(hex 2)
	sqn_hex=$(printf '%012x' $(((0x$(hex 6)) & 0x7fffffffffff)))
	if ((i % 2)); then
		opt=(-o) oarg=(--opc) kind=OPc
	else
		opt=(-O) oarg=(--op) kind=OP
	fi
	o=$(hex 16)
	theirs=$(osmo-auc-gen -3 -a milenage -k "$k" "${opt[@]}" "$o" -r "$rand" -f "$amf" \
		-s $((0x$sqn_hex)))
	ours=$("$B" aka gen --k "$k" "${oarg[@]}" "$o" --rand "$rand" --amf "$amf" --sqn "$sqn_hex" --json)
	for f in AUTN:autn RES:xres CK:ck IK:ik; do
		want=$(field "${f%%:*}" "$theirs")
		got=$(json "${f#*:}" "$ours")
		if [[ -n "$want" && "$want" == "$got" ]]; then
			ok
		else
			bad "vector $i ($kind) ${f%%:*}: osmo-auc-gen '$want', openrsp '$got' (K $k $kind $o RAND $rand SQN $sqn_hex AMF $amf)"
		fi
	done
	# resynchronisation: a USIM that has seen a higher SQN answers AUTS; both sides read
	# the same SQN_MS back from it
	sqn_ms=$(printf '%012x' $((0x$sqn_hex + 64)))
	rc=0
	usim=$("$B" aka usim --k "$k" "${oarg[@]}" "$o" --rand "$rand" --autn "$(json autn "$ours")" \
		--sqn-ms "$sqn_ms" --json 2>/dev/null) || rc=$?
	auts=$(json auts "$usim")
	if [[ $rc -ne 1 || -z "$auts" ]]; then
		bad "vector $i: the USIM did not answer AUTS (rc $rc: $usim)"
		continue
	fi
	theirs=$(osmo-auc-gen -3 -a milenage -k "$k" "${opt[@]}" "$o" -r "$rand" -A "$auts")
	ours=$("$B" aka auts --k "$k" "${oarg[@]}" "$o" --rand "$rand" --auts "$auts" --json)
	want=$(field SQN.MS "$theirs")
	got=$(json sqn_ms "$ours")
	if [[ -n "$want" && -n "$got" && $((0x$got)) -eq $want && $want -eq $((0x$sqn_ms)) ]]; then
		ok
	else
		bad "vector $i AUTS: osmo-auc-gen SQN.MS '$want', openrsp '$got', USIM had $sqn_ms"
	fi
done

finish
