#!/usr/bin/env bash
# `openrsp smdp cancel` (ES2+ cancelOrder at the console): an order back to Available (its
# EID and matching ID cleared, ordered again), a released one to Unavailable for good, the
# order's EID and matching ID compared, the audit row, a profile without an order refused,
# and every bad value a usage error (exit 2) before the database is opened.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_smdp_cancel.XXXXXX")
unset ORSP_KEK
. "$(dirname "$0")/lib/common.bash"

DB=$T/cancel.db
V7=$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der
EID1=89049032123451234512345678901235
EID2=89049032123451234512345678908801
iccids() { python3 -c 'import json,sys; print(" ".join(p["iccid"] for p in json.load(sys.stdin)))' <<<"$out"; }
state() {
	run smdp profile list --db "$DB" --iccid "$1" --json
	python3 -c 'import json,sys; p=json.load(sys.stdin)[0]; print(p["state"], p.get("eid") or "-", p.get("matchingId") or "-")' <<<"$out"
}

run smdp profile generate --db "$DB" --template "$V7" --iccid-start 898824700000006000 \
	--imsi-start 001019000000600 --count 3
expect "generate rc" 0 "$rc"
run smdp profile list --db "$DB" --json
read -r I0 I1 I2 <<<"$(iccids)"
if [[ -n "$I2" ]]; then ok; else bad "three profiles: $out"; fi

run smdp order --db "$DB" --iccid "$I0" --eid "$EID1" --matching-id CANCEL-0 --fqdn smdp.example.com
expect "order 0" 0 "$rc"
run smdp order --db "$DB" --iccid "$I1" --matching-id CANCEL-1 --release --fqdn smdp.example.com
expect "order 1" 0 "$rc"

# the order's EID and matching ID must be the ones given; nothing changes otherwise
failure "not the order's EID" smdp cancel --db "$DB" --iccid "$I0" --eid "$EID2" --final available
failure "not the order's" smdp cancel --db "$DB" --iccid "$I0" --matching-id CANCEL-X --final available
expect "refused: the order stands" "linked $EID1 CANCEL-0" "$(state "$I0")"

# Linked -> Available: the order cleared, and the profile can be ordered again
run smdp cancel --db "$DB" --iccid "$I0" --eid "$EID1" --matching-id CANCEL-0 --final available
expect "cancel 0 rc" 0 "$rc"
expect "cancel 0 line" "cancelled the order of $I0: Available" "$out"
expect "cancel 0 state" "available - -" "$(state "$I0")"
# by 19 digits and the F pad, as ES2+ takes them (TS.48's form): the same profile (it was
# looked up as given, "no profile with ICCID ...F")
run smdp order --db "$DB" --iccid "${I0}F" --matching-id CANCEL-0B --fqdn smdp.example.com
expect "ordered again" 0 "$rc"
expect "ordered again: the padded ICCID's profile" "allocated - CANCEL-0B" "$(state "$I0")"

# Released -> Unavailable; then nothing to cancel
run smdp cancel --db "$DB" --iccid "${I1}f" --final unavailable
expect "cancel 1 rc" 0 "$rc"
expect "cancel 1 line: the ICCID without the pad" "cancelled the order of $I1: Unavailable" "$out"
expect "cancel 1 state" "unavailable" "$(state "$I1" | cut -d' ' -f1)"
failure "cancelOrder" smdp cancel --db "$DB" --iccid "$I1" --final available
expect "Unavailable stays" "unavailable" "$(state "$I1" | cut -d' ' -f1)"
# no order to cancel, an unknown profile
failure "cancelOrder" smdp cancel --db "$DB" --iccid "$I2" --final available
failure "cancelOrder" smdp cancel --db "$DB" --iccid 898824700000009999 --final available

# audited as the server's own cancels are
run smdp audit --db "$DB"
has "audit: the cancel to Available" "cancelOrder(available)" "$out"
has "audit: the cancel to Unavailable" "cancelOrder(unavailable)" "$out"

# usage errors, before any database is opened
NO=$T/none.db
usage --final smdp cancel --db "$NO" --iccid "$I0" --final maybe
usage --final smdp cancel --db "$NO" --iccid "$I0"
usage --iccid smdp cancel --db "$NO" --final available
usage --iccid smdp cancel --db "$NO" --iccid 12345 --final available
usage --iccid smdp cancel --db "$NO" --iccid 89882470000000600x --final available
usage --iccid smdp cancel --db "$NO" --iccid "${I0}FF" --final available
usage --iccid smdp cancel --db "$NO" --iccid 89882470000000600F --final available
usage --iccid smdp order --db "$NO" --iccid 89882470000000600x --fqdn smdp.example.com
usage --iccid smdp order --db "$NO" --iccid 12345 --fqdn smdp.example.com
usage --iccid smdp order --db "$NO" --iccid "${I0}FF" --fqdn smdp.example.com
usage --eid smdp cancel --db "$NO" --iccid "$I0" --eid 1234 --final available
usage --matching-id smdp cancel --db "$NO" --iccid "$I0" --matching-id 'a b' --final available
if [[ -e "$NO" ]]; then bad "a usage error created $NO"; else ok; fi

rm -rf "$T"
finish
