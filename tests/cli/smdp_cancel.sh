#!/usr/bin/env bash
# `openrsp smdp cancel` (ES2+ cancelOrder at the console): an order back to Available (its
# EID and matching ID cleared, ordered again), a released one to Unavailable for good, the
# order's EID and matching ID compared, the audit row, a profile without an order refused,
# and every bad value a usage error (exit 2) before the database is opened. Then `smdp
# confirm` and `smdp release` (confirmOrder, releaseProfile): an order placed without
# --release confirmed and released, the EID, matching ID and code of confirmOrder, a profile
# in another state or an expired order refused with the audit log unchanged, the usage errors,
# and a download of a profile released this way.
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

run smdp profile generate --no-auc --db "$DB" --template "$V7" --iccid-start 898824700000006000 \
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
# an order placed without an EID: --eid is refused as naming none, not as another (the
# store's own word, read in its transaction, since session 70)
failure "--eid given, but the order names no EID" smdp cancel --db "$DB" --iccid "$I1" \
	--eid "$EID2" --final available

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

# ----- `smdp confirm` and `smdp release` (ES2+ confirmOrder, releaseProfile at the console):
# an order placed without --cc or --release goes on from the command line -----
run smdp profile generate --no-auc --db "$DB" --template "$V7" --iccid-start 898824700000007000 \
	--imsi-start 001019000000700 --count 7
expect "generate for confirm rc" 0 "$rc"
run smdp profile list --db "$DB" --json
read -r C0 C1 C2 C3 C4 C5 C6 <<<"$(iccids | tr ' ' '\n' | grep '^8988247000000070' | tr '\n' ' ')"
if [[ -n "$C6" ]]; then ok; else bad "seven more profiles: $out"; fi
cc() {
	run smdp profile list --db "$DB" --iccid "$1" --json
	python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ccRequired"])' <<<"$out"
}
audit_now() { "$B" smdp audit --db "$DB" --json; }

# Allocated -> Confirmed -> Released, the matching ID the order's
run smdp order --db "$DB" --iccid "$C0" --matching-id CONF-0 --fqdn smdp.example.com
expect "order C0 (no --release)" "0 LPA:1\$smdp.example.com\$CONF-0" "$rc $out"
expect "order C0 state" "allocated - CONF-0" "$(state "$C0")"
# a profile in a state confirmOrder or releaseProfile does not take: refused naming the
# state, nothing changed, not even the audit log
A=$(audit_now)
failure "releaseProfile is not allowed in state allocated" smdp release --db "$DB" --iccid "$C0"
failure "confirmOrder is not allowed in state available" smdp confirm --db "$DB" --iccid "$C3" \
	--fqdn smdp.example.com
failure "releaseProfile is not allowed in state available" smdp release --db "$DB" --iccid "$C3"
failure "no profile with ICCID 898824700000009999" smdp confirm --db "$DB" \
	--iccid 898824700000009999 --fqdn smdp.example.com
failure "no profile with ICCID 898824700000009999" smdp release --db "$DB" --iccid 898824700000009999
expect "refusals: the audit log as it was" "$A" "$(audit_now)"
expect "refusals: C0 as it was" "allocated - CONF-0" "$(state "$C0")"
run smdp confirm --db "$DB" --iccid "${C0}F" --fqdn smdp.example.com
expect "confirm C0: the order's matching ID" "0 LPA:1\$smdp.example.com\$CONF-0" "$rc $out"
expect "confirm C0 state" "confirmed - CONF-0" "$(state "$C0")"
A=$(audit_now)
failure "confirmOrder(release) is not allowed in state confirmed" smdp confirm --db "$DB" --iccid "$C0" \
	--fqdn smdp.example.com --release
expect "confirmed twice: the audit log as it was" "$A" "$(audit_now)"
run smdp release --db "$DB" --iccid "$C0"
expect "release C0" "0 released the order of $C0: Released" "$rc $out"
expect "release C0 state" "released - CONF-0" "$(state "$C0")"
A=$(audit_now)
failure "releaseProfile is not allowed in state released" smdp release --db "$DB" --iccid "$C0"
failure "confirmOrder is not allowed in state released" smdp confirm --db "$DB" --iccid "$C0" \
	--fqdn smdp.example.com
expect "released twice: the audit log as it was" "$A" "$(audit_now)"
# audited as the server's own, and no progress report (SGP.22 has no point for them)
run smdp audit --db "$DB" --iccid "$C0" --json
expect "audit C0" "import downloadOrder confirmOrder releaseProfile" \
	"$(python3 -c 'import json,sys; print(" ".join(r["action"] for r in json.load(sys.stdin)))' <<<"$out")"
run smdp reports --db "$DB" --iccid "$C0"
expect "no report for C0" "no progress reports" "$out"

# Linked: another --eid is refused (nothing changed); the order's EID, a new matching ID and a
# confirmation code (from standard input) are taken, and the code flag is in the code
run smdp order --db "$DB" --iccid "$C1" --eid "$EID1" --fqdn smdp.example.com
expect "order C1 rc" 0 "$rc"
A=$(audit_now)
failure "profile $C1: --eid is not the order's EID" smdp confirm --db "$DB" --iccid "$C1" \
	--eid "$EID2" --fqdn smdp.example.com
expect "EID mismatch: the audit log as it was" "$A" "$(audit_now)"
expect "EID mismatch: still linked" "linked $EID1" "$(state "$C1" | cut -d' ' -f1,2)"
run smdp confirm --db "$DB" --iccid "$C1" --eid "$EID1" --matching-id CONF-1B --cc - \
	--fqdn smdp.example.com <<<4321
expect "confirm C1: the new matching ID and the CC flag" \
	"0 LPA:1\$smdp.example.com\$CONF-1B\$\$1" "$rc $out"
expect "confirm C1 state" "confirmed $EID1 CONF-1B" "$(state "$C1")"
expect "confirm C1: a code required" True "$(cc "$C1")"
run smdp audit --db "$DB" --iccid "$C1"
has "audit C1: code and matching ID" \
	"confirmation code set; matching ID from the operator: CONF-1B" "$out"
lacks "audit C1: not the code" 4321 "$out"

# Allocated: an --eid binds it (bindEid), --release releases it; a matching ID of another
# order is refused
run smdp order --db "$DB" --iccid "$C2" --fqdn smdp.example.com
expect "order C2 rc" 0 "$rc"
MID2=$(state "$C2" | cut -d' ' -f3)
A=$(audit_now)
failure "profile $C2: --matching-id CONF-1B is another order's matching ID" smdp confirm \
	--db "$DB" --iccid "$C2" --matching-id CONF-1B --fqdn smdp.example.com
expect "matching ID in use: the audit log as it was" "$A" "$(audit_now)"
run smdp confirm --db "$DB" --iccid "$C2" --eid "$EID2" --release --fqdn smdp.example.com
expect "confirm C2 --release" "0 LPA:1\$smdp.example.com\$$MID2" "$rc $out"
expect "confirm C2 state" "released $EID2 $MID2" "$(state "$C2")"
expect "confirm C2: no code" False "$(cc "$C2")"
run smdp audit --db "$DB" --iccid "$C2" --json
expect "audit C2" "import downloadOrder bindEid confirmOrder(release)" \
	"$(python3 -c 'import json,sys; print(" ".join(r["action"] for r in json.load(sys.stdin)))' <<<"$out")"

# an order past its validity is not confirmed nor released: it ends Unavailable, reported
# to the operator as expired
run smdp order --db "$DB" --iccid "$C3" --fqdn smdp.example.com
run smdp order --db "$DB" --iccid "$C4" --fqdn smdp.example.com
run smdp confirm --db "$DB" --iccid "$C4" --fqdn smdp.example.com
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE smdp_profile SET expires_at = 1 WHERE iccid IN (?, ?)", (sys.argv[2], sys.argv[3])); c.commit()' "$DB" "$C3" "$C4"
failure "the order of profile $C3 has expired: the profile is Unavailable now" smdp confirm \
	--db "$DB" --iccid "$C3" --fqdn smdp.example.com
failure "the order of profile $C4 has expired: the profile is Unavailable now" smdp release \
	--db "$DB" --iccid "$C4"
expect "expired at confirm" "unavailable unavailable" \
	"$(state "$C3" | cut -d' ' -f1) $(state "$C4" | cut -d' ' -f1)"
# asked again once Unavailable: still "expired", not refused for the state (as ES2+ answers
# 8.8.5/4.10 then; until session 73 "not allowed in state unavailable")
failure "confirmOrder: the order of profile $C3 has expired: the profile is Unavailable" \
	smdp confirm --db "$DB" --iccid "$C3" --fqdn smdp.example.com
failure "releaseProfile: the order of profile $C4 has expired: the profile is Unavailable" \
	smdp release --db "$DB" --iccid "$C4"
run smdp reports --db "$DB" --iccid "$C4"
has "expiry reported" "Failed 8.8.5/4.10" "$out"

# usage errors, before any database is opened: none created, an older one not migrated
usage --iccid smdp confirm --db "$NO" --fqdn smdp.example.com
usage --iccid smdp confirm --db "$NO" --iccid 89882470000000700x --fqdn smdp.example.com
usage --fqdn smdp confirm --db "$NO" --iccid "$C5"
usage --fqdn smdp confirm --db "$NO" --iccid "$C5" --fqdn smdp
usage --eid smdp confirm --db "$NO" --iccid "$C5" --fqdn smdp.example.com \
	--eid 89049032123451234512345678901234
usage --eid smdp confirm --db "$NO" --iccid "$C5" --fqdn smdp.example.com --eid ""
usage --matching-id smdp confirm --db "$NO" --iccid "$C5" --fqdn smdp.example.com --matching-id abc
usage --matching-id smdp confirm --db "$NO" --iccid "$C5" --fqdn smdp.example.com --matching-id ""
usage --cc smdp confirm --db "$NO" --iccid "$C5" --fqdn smdp.example.com --cc 'a b'
usage --cc smdp confirm --db "$NO" --iccid "$C5" --fqdn smdp.example.com --cc 1 --cc 2
usage "--db or --config" smdp confirm --iccid "$C5" --fqdn smdp.example.com
usage extra smdp confirm --db "$NO" --iccid "$C5" --fqdn smdp.example.com extra
usage --iccid smdp release --db "$NO"
usage --iccid smdp release --db "$NO" --iccid 12345
usage --fqdn smdp release --db "$NO" --iccid "$C5" --fqdn smdp.example.com
usage "--db or --config" smdp release --iccid "$C5"
if [[ -e "$NO" || -e "$NO.kek" ]]; then bad "a usage error created $NO"; else ok; fi
failure "no SM-DP+ database at $NO" smdp confirm --db "$NO" --iccid "$C5" --fqdn smdp.example.com
failure "no SM-DP+ database at $NO" smdp release --db "$NO" --iccid "$C5"
if [[ -e "$NO" || -e "$NO.kek" ]]; then bad "confirm or release created $NO"; else ok; fi
older "$T/old.db" "$DB" "$SMDP_ONE_BEHIND"
usage --eid smdp confirm --db "$T/old.db" --iccid "$C1" --fqdn smdp.example.com --eid 1234
usage --cc smdp confirm --db "$T/old.db" --iccid "$C1" --fqdn smdp.example.com --cc ''
usage --iccid smdp release --db "$T/old.db" --iccid 1
untouched "confirm and release: usage errors" "$T/old.db"

# ----- a profile confirmed and released this way downloads: `smdp serve` (plain HTTP) and
# the LPA with its software eUICC (ORSP_TEST_PORT: the server's port; default any free one)
FQDN=smdp.example.org
"$B" pki init "$T/pki" --smdp-fqdn $FQDN >/dev/null
{
	echo "fqdn = $FQDN"
	echo "oid = 2.999.10"
	echo "port = ${ORSP_TEST_PORT:-0}"
	echo "plain_http = yes"
	echo "database = cancel.db"
	smdp_keyset_conf
} >"$T/smdp.conf"
chmod 600 "$T/smdp.conf"
run smdp order --db "$DB" --iccid "$C5" --fqdn "$FQDN"
expect "order C5 rc" 0 "$rc"
expect "order C5 without --release: what the device meets" "openrsp: note: smdp order: profile $C5 is allocated, not released: a download with this activation code is refused until \`openrsp smdp release --iccid $C5\` (or ES2+ releaseProfile)" "$err"
run smdp confirm --config "$T/smdp.conf" --iccid "$C5" --cc 8642
expect "confirm C5 through the configuration rc" 0 "$rc"
AC=$out
has "confirm C5: the configuration's address" "LPA:1\$$FQDN\$" "$AC"
run smdp release --config "$T/smdp.conf" --iccid "$C5"
expect "release C5 through the configuration rc" 0 "$rc"
# an expiry found through a configuration without callback_url is not reported, as the
# server's own are not: nobody would send the report (it was queued until session 65)
run smdp order --db "$DB" --iccid "$C6" --fqdn "$FQDN"
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE smdp_profile SET expires_at = 1 WHERE iccid = ?", (sys.argv[2],)); c.commit()' "$DB" "$C6"
failure "the order of profile $C6 has expired" smdp confirm --config "$T/smdp.conf" --iccid "$C6"
expect "expired through the configuration" unavailable "$(state "$C6" | cut -d' ' -f1)"
run smdp reports --db "$DB" --iccid "$C6"
expect "expired through the configuration: no report" "no progress reports" "$out"
# --resend through that configuration queues a given-up report again (a server of another
# configuration on the database may send it) and says that no server of this one will
given_up() {
	python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("INSERT INTO smdp_progress (at, iccid, profile_type, point_id, success, attempts, next_at, done) VALUES (1, ?, ?, 3, 1, 10, 0, 2)", (sys.argv[2], "t")); c.commit()' "$DB" "$C6"
}
given_up
run smdp reports --config "$T/smdp.conf" --resend
expect "resend without callback_url" "0 queued again: 1 progress report given up" "$rc $out"
has "resend without callback_url: the warning" \
	"openrsp: warning: smdp reports --resend: $T/smdp.conf has no callback_url: no server of that configuration sends progress reports" "$err"
given_up
run smdp reports --config "$T/smdp.conf" --resend --json
expect "resend without callback_url, JSON" '0 {"resent":1,"no_callback_url":true}' \
	"$rc $(tr -d ' \n' <<<"$out")"
has "resend without callback_url, JSON: the warning" "has no callback_url" "$err"
{ echo "callback_url = http://127.0.0.1:9"; cat "$T/smdp.conf"; } >"$T/cb.conf"
chmod 600 "$T/cb.conf"
given_up
run smdp reports --config "$T/cb.conf" --resend --json
expect "resend with callback_url, JSON" '0 {"resent":1,"no_callback_url":false}' \
	"$rc $(tr -d ' \n' <<<"$out")"
expect "resend with callback_url: no warning" "" "$err"
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM smdp_progress"); c.commit()' "$DB"
"$B" smdp serve --config "$T/smdp.conf" >"$T/port" 2>"$T/serve.log" &
server=$!
trap '[[ -z "$server" ]] || kill "$server" 2>/dev/null || true' EXIT
wait_for 60 "smdp serve to print its port" nonempty "$T/port"
PORT=$(head -1 "$T/port")
"$B" euicc init --state "$T/dev" --pki "$T/pki" >/dev/null
run lpa profile download -a "$AC" -c 8642 --server-url "http://127.0.0.1:$PORT" --insecure \
	--euicc "local:$T/dev"
expect "download of C5 rc ($err)" 0 "$rc"
has "download of C5" "installed $C5" "$out"
expect "C5 installed" installed "$(state "$C5" | cut -d' ' -f1)"
stop_checked "$server" "smdp serve" "$T/serve.log"
server=

rm -rf "$T"
finish
