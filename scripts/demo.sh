#!/usr/bin/env bash
# openrsp demo, as far as the system exists today: the Selected Home Operator's AuC and the
# subscriber side of 3GPP AKA. The operator stores a subscriber (K/OPc wrapped under its
# KEK), hands out vectors, the subscriber side answers the challenge (RES = XRES, keys
# agree), a replayed challenge is refused with AUTS, and the AuC resynchronises on it.
# The subscriber side is `openrsp aka usim`, a stand-in for the software eUICC's USIM that
# a later issue adds; the remote provisioning steps (SM-DP+, eUICC, LPA) come with it.
# Exit status 0 only if every step verified.
set -euo pipefail

B=${1:-build/openrsp}
[ -x "$B" ] || { echo "demo: $B not built (run make)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/openrsp-demo.XXXXXX")
trap 'rm -rf "$T"' EXIT
export ORSP_AUC_DB="$T/auc.db"
step=0
t0=$(date +%s%N)

say() {
	step=$((step + 1))
	local ms=$((($(date +%s%N) - t0) / 1000000))
	printf '[%3d.%03d s] %2d. %s\n' $((ms / 1000)) $((ms % 1000)) "$step" "$*"
}
die() {
	echo "demo: FAILED at step $step: $*" >&2
	exit 1
}
PY=$(command -v /usr/bin/python3 || command -v python3)
field() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d[sys.argv[1]])' "$1"; }

imsi=001010000000001
k=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
op=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
opc=$("$B" aka opc --k "$k" --op "$op" --json | field opc)

say "operator A provisions subscriber $imsi in its AuC (Milenage; K and OPc stored wrapped under the KEK)"
"$B" auc add --imsi "$imsi" --k "$k" --op "$op" --amf 8000 >/dev/null || die "auc add"
"$B" auc list | grep -q "$imsi" || die "subscriber not listed"
if "$B" auc list --json | grep -qi "$k"; then die "K visible in the subscriber list"; fi

say "the network asks the AuC for an authentication vector (PLMN 001/01)"
v=$("$B" auc vector "$imsi" --plmn 00101 --json) || die "auc vector"
rand=$(field rand <<<"$v"); autn=$(field autn <<<"$v"); xres=$(field xres <<<"$v")
ck=$(field ck <<<"$v"); ik=$(field ik <<<"$v"); sqn=$(field sqn <<<"$v")
echo "             RAND $rand  AUTN $autn  SQN $sqn"

say "the subscriber's USIM checks AUTN (MAC-A, SQN freshness) and answers"
u=$("$B" aka usim --k "$k" --opc "$opc" --rand "$rand" --autn "$autn" --json) || die "USIM refused a fresh challenge"
[ "$(field res <<<"$u")" = "$xres" ] || die "RES != XRES"
[ "$(field ck <<<"$u")" = "$ck" ] && [ "$(field ik <<<"$u")" = "$ik" ] || die "CK/IK disagree"
echo "             RES = XRES = $xres; CK and IK agree"

say "an attacker replays the same challenge: the USIM refuses it and answers AUTS"
rc=0
u=$("$B" aka usim --k "$k" --opc "$opc" --rand "$rand" --autn "$autn" --sqn-ms "$sqn" --json 2>/dev/null) || rc=$?
[ "$rc" = 1 ] && [ "$(field result <<<"$u")" = sync_failure ] || die "replay was not refused"
auts=$(field auts <<<"$u")
echo "             AUTS $auts"

say "the AuC verifies MAC-S and resynchronises its SQN"
"$B" auc resync "$imsi" --rand "$rand" --auts "$auts" >/dev/null || die "auc resync"

say "a new vector after resynchronisation is accepted by the USIM"
v=$("$B" auc vector "$imsi" --json) || die "auc vector after resync"
rand=$(field rand <<<"$v"); autn=$(field autn <<<"$v"); xres=$(field xres <<<"$v")
u=$("$B" aka usim --k "$k" --opc "$opc" --rand "$rand" --autn "$autn" --sqn-ms "$sqn" --json) || die "USIM refused the resynchronised challenge"
[ "$(field res <<<"$u")" = "$xres" ] || die "RES != XRES after resync"
echo "             new SQN $(field sqn <<<"$v"); RES = XRES"

say "every step verified"
