#!/usr/bin/env bash
# `openrsp smdp profile list` with its filters: --state, --iccid, --eid, --older-than,
# --limit (said when it cuts the list) and --count, each alone and combined, text and
# JSON; every bad value a usage error (exit 2) before the database is opened.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_smdp_list.XXXXXX")
unset ORSP_KEK
. "$(dirname "$0")/lib/common.bash"

DB=$T/list.db
V7=$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der
EID1=89049032123451234512345678901235
EID2=89049032123451234512345678908801
sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print(r[0][0] if r else "")' "$@"; }
# the ICCIDs of a JSON list, space-separated
iccids() { python3 -c 'import json,sys; print(" ".join(p["iccid"] for p in json.load(sys.stdin)))' <<<"$out"; }

run smdp profile generate --no-auc --db "$DB" --template "$V7" --iccid-start 898824700000005000 \
	--imsi-start 001019000000500 --count 5
expect "generate rc" 0 "$rc"
run smdp profile list --db "$DB" --json
read -r I0 I1 I2 I3 I4 <<<"$(iccids)"
if [[ -n "$I4" ]]; then ok; else bad "five profiles: $out"; fi

# 0 and 1 ordered for EID1, 2 for EID2, 3 without an EID; 4 stays available
run smdp order --db "$DB" --iccid "$I0" --eid "$EID1" --release --fqdn smdp.example.com
expect "order 0" 0 "$rc"
run smdp order --db "$DB" --iccid "$I1" --eid "$EID1" --release --fqdn smdp.example.com
expect "order 1" 0 "$rc"
run smdp order --db "$DB" --iccid "$I2" --eid "$EID2" --release --fqdn smdp.example.com
expect "order 2" 0 "$rc"
run smdp order --db "$DB" --iccid "$I3" --fqdn smdp.example.com
expect "order 3" 0 "$rc"
# What a device would have done (no eUICC here): 0 downloaded three days ago and never
# installed (a download stuck on the device), 1 downloaded ten minutes ago, 2 installed
# three days ago; the imports and orders are now.
NOW=$(date +%s)
sql "$DB" "UPDATE smdp_profile SET state = 'downloaded', updated_at = $((NOW - 3 * 86400)) WHERE iccid = '$I0'" >/dev/null
sql "$DB" "UPDATE smdp_profile SET state = 'downloaded', updated_at = $((NOW - 600)) WHERE iccid = '$I1'" >/dev/null
sql "$DB" "UPDATE smdp_profile SET state = 'installed', updated_at = $((NOW - 3 * 86400)) WHERE iccid = '$I2'" >/dev/null

# no filter: every profile, as before
run smdp profile list --db "$DB" --json
expect "all" "$I0 $I1 $I2 $I3 $I4" "$(iccids)"
run smdp profile list --db "$DB"
expect "all: header and five rows" 6 "$(wc -l <<<"$out")"

# --state, one and several
run smdp profile list --db "$DB" --state downloaded --json
expect "downloaded" "$I0 $I1" "$(iccids)"
run smdp profile list --db "$DB" --state available,allocated --json
expect "available,allocated" "$I3 $I4" "$(iccids)"
run smdp profile list --db "$DB" --state released --state installed --json
expect "--state twice adds" "$I2" "$(iccids)"
run smdp profile list --db "$DB" --state error
expect "no match: rc" 0 "$rc"
expect "no match: text" "no profile matches" "$out"
run smdp profile list --db "$DB" --state error --json
expect "no match: JSON" "[]" "$out"

# the operator's question: downloaded, no installation result, for more than 6 hours
for d in 6h 360m 21600s 1d; do
	run smdp profile list --db "$DB" --state downloaded --older-than "$d" --json
	expect "stuck downloads (--older-than $d)" "$I0" "$(iccids)"
done
run smdp profile list --db "$DB" --state downloaded --older-than 5m --json
expect "downloaded over 5 minutes ago" "$I0 $I1" "$(iccids)"
run smdp profile list --db "$DB" --state downloaded --older-than 4d --json
expect "none over 4 days" "" "$(iccids)"
run smdp profile list --db "$DB" --older-than 1h --json
expect "--older-than alone" "$I0 $I2" "$(iccids)"
run smdp profile list --db "$DB" --state downloaded --older-than 6h
expect "stuck downloads: text rows" 2 "$(wc -l <<<"$out")"
has "stuck downloads: text" "$I0" "$out"

# --eid, --iccid, alone and with the others
run smdp profile list --db "$DB" --eid "$EID1" --json
expect "EID1" "$I0 $I1" "$(iccids)"
run smdp profile list --db "$DB" --eid "$EID1" --state downloaded --older-than 6h --json
expect "EID1 stuck" "$I0" "$(iccids)"
run smdp profile list --db "$DB" --eid "$EID2" --state downloaded --json
expect "EID2 downloaded" "" "$(iccids)"
run smdp profile list --db "$DB" --iccid "$I2" --json
expect "ICCID" "$I2" "$(iccids)"
run smdp profile list --db "$DB" --iccid "$I2" --state downloaded --json
expect "ICCID in another state" "" "$(iccids)"
run smdp profile list --db "$DB" --iccid 89000000000000000000
expect "unknown ICCID" "no profile matches" "$out"
# the 19 digits with ES2+'s F pad, as order and cancel take them (refused as no digits before
# session 54), in list, audit and reports alike
expect "19 digits" 19 "${#I2}"
run smdp profile list --db "$DB" --iccid "${I2}F" --json
expect "ICCID with its F pad" "$I2" "$(iccids)"
run smdp profile list --db "$DB" --iccid "${I2}f" --json
expect "ICCID with its f pad" "$I2" "$(iccids)"
run smdp audit --db "$DB" --iccid "${I2}F" --json
expect "audit of the padded ICCID: rc" 0 "$rc"
expect "audit of the padded ICCID: its rows" "$I2" \
	"$(python3 -c 'import json,sys; print(" ".join(sorted({r["iccid"] for r in json.load(sys.stdin)})))' <<<"$out")"
run smdp reports --db "$DB" --iccid "${I2}F"
expect "reports of the padded ICCID: rc" 0 "$rc"
usage --iccid smdp profile list --db "$DB" --iccid "${I2}FF"
usage --iccid smdp profile list --db "$DB" --iccid "${I2:0:18}FF"
usage --iccid smdp audit --db "$DB" --iccid "${I2:0:18}F"

# --limit: the first N, and a line saying more match (on stderr with --json, whose
# standard output stays one JSON array)
run smdp profile list --db "$DB" --limit 2
expect "limit rc" 0 "$rc"
expect "limit: header, two rows, the note" 4 "$(wc -l <<<"$out")"
expect "limit note" "the first 2 shown (--limit): more match" "$(tail -1 <<<"$out")"
run smdp profile list --db "$DB" --limit 2 --json
expect "limit JSON" "$I0 $I1" "$(iccids)"
expect "limit JSON note" "openrsp: smdp profile list: the first 2 shown (--limit): more match" "$err"
run smdp profile list --db "$DB" --limit 5
lacks "limit = matches: no note" "more match" "$out"
expect "limit = matches: header and five rows" 6 "$(wc -l <<<"$out")"
run smdp profile list --db "$DB" --limit 1 --state downloaded --older-than 1m --json
expect "limit with filters" "$I0" "$(iccids)"
has "limit with filters: note" "more match" "$err"

# --count: per state (those asked for, else all) and the total
run smdp profile list --db "$DB" --count
expect "count rc" 0 "$rc"
has "count: downloaded" "downloaded   2" "$out"
has "count: released" "released     0" "$out"
expect "count: total" "total        5" "$(tail -1 <<<"$out")"
run smdp profile list --db "$DB" --count --json
expect "count JSON" "1 0 2 1 5" \
	"$(python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["available"], c["released"], c["downloaded"], c["installed"], c["total"])' <<<"$out")"
run smdp profile list --db "$DB" --count --state downloaded --older-than 6h --json
expect "count of stuck downloads" '{"downloaded":1,"total":1}' "$out"
run smdp profile list --db "$DB" --count --eid "$EID1"
expect "count for an EID" "$(printf '%-11s  %s\n' STATE PROFILES; printf '%-11s  %s\n' available 0 allocated 0 linked 0 confirmed 0 released 0 downloaded 2 installed 0 error 0 unavailable 0 total 2)" "$out"

# never key material (K of TS.48 is 000102030405060708090A0B0C0D0E0F; generate draws new
# ones, which nothing prints)
run smdp profile list --db "$DB" --state downloaded,installed --json
lacks "no K" "000102030405060708090a0b0c0d0e0f" "$out"
lacks "no keys" "opc" "$out"

# bad values: exit 2 naming the option, nothing printed, no database created
N=$T/never.db
usage --state smdp profile list --db "$N" --state Downloaded
has "unknown state lists the valid ones" "available, allocated, linked, confirmed, released, downloaded, installed, error, unavailable" "$err"
usage --state smdp profile list --db "$N" --state stuck
usage --state smdp profile list --db "$N" --state ""
usage --state smdp profile list --db "$N" --state downloaded,
usage --state smdp profile list --db "$N" --state ,downloaded
usage --state smdp profile list --db "$N" --state downloaded,,error
usage --state smdp profile list --db "$N" --state "downloaded' OR 1=1 --"
usage --eid smdp profile list --db "$N" --eid 123
usage --eid smdp profile list --db "$N" --eid 89049032123451234512345678909966
usage --eid smdp profile list --db "$N" --eid ""
usage --iccid smdp profile list --db "$N" --iccid 12ab
usage --iccid smdp profile list --db "$N" --iccid 894944000000000000012
usage --iccid smdp profile list --db "$N" --iccid ""
for d in 6 h 6x 6hh -6h 0s 0d 6.5h " 6h" 36501d 99999999999999999999d; do
	usage --older-than smdp profile list --db "$N" --older-than "$d"
done
usage --older-than smdp profile list --db "$N" --older-than
for l in 0 -1 abc 1.5 "" 4294967296; do
	usage --limit smdp profile list --db "$N" --limit "$l"
done
usage --limit smdp profile list --db "$N" --count --limit 3
usage --nope smdp profile list --db "$N" --nope
if [[ ! -e "$N" && ! -e "$N.kek" ]]; then ok; else bad "a usage error created the database"; fi
# the longest duration taken: nothing is that old
run smdp profile list --db "$DB" --older-than 36500d
expect "36500d" "no profile matches" "$out"

# a package whose profileType holds a terminal escape (ESC ] 0;X BEL) and U+009B (CSI to many
# terminals), well-formed UTF-8: the import refuses it (since session 57: the SM-DP+ would
# send it on as the profile's name), naming it without the control characters
python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
old = b"\x82\x1fGSMA Generic eUICC Test Profile"
assert d.count(old) == 1
open(sys.argv[2], "wb").write(d.replace(old, b"\x82\x1f\x1b]0;X\x07\xc2\x9bGeneric eUICC Test Prof"))' \
	"$V/saip/pysim-unique/TS48V1-A-UNIQUE.der" "$T/escape.der"
run smdp profile import "$T/escape.der" --db "$T/escape.db"
expect "escape: import rc" 1 "$rc"
has "escape: import refused" "profileType: holds a control character" "$err"
lacks "escape: import, no ESC byte" $'\e' "$out$err"
lacks "escape: import, no BEL byte" $'\a' "$out$err"
# ... such a name in a database an earlier import made: list shows each control character
# as '?' (the LPA's rule), JSON escapes ESC and BEL
run smdp profile import "$V/saip/pysim-unique/TS48V1-A-UNIQUE.der" --db "$T/escape.db"
expect "escape: the clean package imported" 0 "$rc"
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE smdp_profile SET profile_type = ?", ("\x1b]0;X\x07\u009bGeneric eUICC Test Prof",))
c.commit()' "$T/escape.db"
run smdp profile list --db "$T/escape.db"
has "escape: list" "?]0;X??Generic eUICC Test Prof" "$out"
lacks "escape: list, no ESC byte" $'\e' "$out"
lacks "escape: list, no BEL byte" $'\a' "$out"
lacks "escape: list, no U+009B" $'\xc2\x9b' "$out"
run smdp profile list --db "$T/escape.db" --json
expect "escape: JSON keeps the text" $'\e]0;X\a\xc2\x9bGeneric eUICC Test Prof' \
	"$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["profileType"])' <<<"$out")"
lacks "escape: JSON, no ESC byte" $'\e' "$out"
# the audit's text output likewise: a backup row's detail names the backup, here a file
# name with ESC ] 0;X BEL in it
run smdp backup --db "$T/escape.db" --out "$T/b"$'\e]0;X\a'".db"
expect "escape: backup rc" 0 "$rc"
run smdp audit --db "$T/escape.db"
has "escape: audit detail" "$T/b?]0;X?.db" "$out"
lacks "escape: audit, no ESC byte" $'\e' "$out"
lacks "escape: audit, no BEL byte" $'\a' "$out"

# ----- an empty file made beforehand with the umask's mode becomes a database of the owner's
# only, as one created by the import is (it kept 0644, and its -wal and -shm with it) -----
(umask 022 && : >"$T/touched.db")
"$B" smdp profile import "$V7" --db "$T/touched.db" >/dev/null
expect "an empty file made beforehand: its mode" 600 "$(stat -c %a "$T/touched.db")"

# ----- a read-write open that ran out of descriptors (`ulimit -n 5` under backup) leaves a
# -wal of 0 bytes without -shm: the read-only verbs read the database as it is (the log has no
# frame) and make no -shm; they were refused "-wal is there without -shm" until session 74.
# Made by hand where the limit does not leave it (a build that needs more descriptors) -----
"$B" smdp profile import "$V7" --db "$T/fd.db" >/dev/null
(ulimit -n 5 && "$B" smdp backup --db "$T/fd.db" --out "$T/fd.bak") >/dev/null 2>&1 || :
if [[ -e "$T/fd.db-shm" || ! -e "$T/fd.db-wal" ]]; then
	rm -f "$T/fd.db-shm" && : >"$T/fd.db-wal"
fi
rc=0
out=$("$B" smdp profile list --count --db "$T/fd.db" 2>&1) || rc=$?
expect "empty -wal alone: list --count rc ($out)" 0 "$rc"
has "empty -wal alone: list --count" "total        1" "$out"
rc=0
out=$("$B" smdp audit --db "$T/fd.db" 2>&1) || rc=$?
expect "empty -wal alone: audit rc ($out)" 0 "$rc"
[[ ! -e "$T/fd.db-shm" ]] && ok || bad "empty -wal alone: a read-only verb made -shm"

# ----- a database this user may only read: listed without making its -wal and -shm with the
# file's mode 0400 (SQLite opened it read-only in silence, and those files kept every writer
# out once the database was writable again); as another user, when this one is root; named by
# its path or by a file: URI (whose open went on making them until session 68) -----
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	for form in path uri; do
		# a directory of nobody's own (the tests' is the owner's only): not one that others
		# may write in, where the KEK file's directory is refused (since session 75)
		R=$(mktemp -d /tmp/cli_smdp_list_ro.XXXXXX)
		"$B" smdp profile import "$V7" --db "$R/r.db" >/dev/null
		chown nobody "$R" "$R/r.db" "$R/r.db.kek"
		chmod 0400 "$R/r.db"
		db=$R/r.db
		if [[ $form == uri ]]; then db=file:$R/r.db; fi
		rc=0
		out=$(as_nobody "$B" smdp profile list --db "$db" 2>&1) || rc=$?
		expect "$form: read-only database listed: rc ($out)" 0 "$rc"
		has "$form: read-only database listed" "89000123456789012341" "$out"
		[[ ! -e "$R/r.db-wal" && ! -e "$R/r.db-shm" ]] && ok ||
			bad "$form: a read-only list left $(ls -l "$R" | grep -- '-wal\|-shm')"
		chmod 0600 "$R/r.db"
		rc=0
		out=$(as_nobody "$B" smdp order --db "$db" --iccid 89000123456789012341 --fqdn smdp.example.org 2>&1) || rc=$?
		expect "$form: writable again: an order goes through ($out)" 0 "$rc"
		rm -rf "$R"
	done
else
	ok # not root: no other user to be
fi

rm -rf "$T"
finish
