#!/usr/bin/env bash
# `openrsp smdp profile purge`: the packages (K, OPc) of profiles in final states are dropped,
# with the filters of `profile list`, --dry-run and --json; the rows, states and audit stay;
# a purged profile's ICCID and IMSI still refuse a second import; every bad value a usage
# error (exit 2) before the database is opened, and a state that is not final among them.
# With `smdp serve` running on the database: a profile the LPA and its software eUICC
# downloaded and installed is purged beside the server, whose enable notification for it is
# then accepted, and the next download completes.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_smdp_purge.XXXXXX")
unset ORSP_KEK
. "$(dirname "$0")/lib/common.bash"

DB=$T/purge.db
V7=$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der
EID1=89049032123451234512345678901235
sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print(r[0][0] if r else "")' "$@"; }
packages() { sql "$DB" "SELECT count(*) FROM smdp_upp"; }
# the JSON object's member $1
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" <<<"$out"; }

run smdp profile generate --no-auc --db "$DB" --template "$V7" --iccid-start 898824700000006000 \
	--imsi-start 001019000000600 --count 5 --json
expect "generate rc" 0 "$rc"
run smdp profile list --db "$DB" --json
read -r I0 I1 I2 I3 I4 <<<"$(python3 -c 'import json,sys; print(" ".join(p["iccid"] for p in json.load(sys.stdin)))' <<<"$out")"
if [[ -n "$I4" ]]; then ok; else bad "five profiles: $out"; fi
# What devices would have done (no eUICC here): 0 installed three days ago, 1 installed
# now, 2 failed (Error), 3 delivered and not installed yet (Downloaded), 4 still Available.
NOW=$(date +%s)
sql "$DB" "UPDATE smdp_profile SET state = 'installed', eid = '$EID1', updated_at = $((NOW - 3 * 86400)) WHERE iccid = '$I0'" >/dev/null
sql "$DB" "UPDATE smdp_profile SET state = 'installed', eid = '$EID1' WHERE iccid = '$I1'" >/dev/null
sql "$DB" "UPDATE smdp_profile SET state = 'error' WHERE iccid = '$I2'" >/dev/null
sql "$DB" "UPDATE smdp_profile SET state = 'downloaded', eid = '$EID1' WHERE iccid = '$I3'" >/dev/null
expect "five packages" 5 "$(packages)"

# bad values: usage errors before the database is opened (none is created)
N=$T/none.db
for st in available allocated linked confirmed released downloaded installed,released; do
	usage --state smdp profile purge --db "$N" --state "$st"
	has "--state $st: why" "not a final state" "$err"
done
usage --state smdp profile purge --db "$N" --state bogus
usage --state smdp profile purge --db "$N" --state ""
for d in 0s 5x 6 "" 36501d; do
	usage --older-than smdp profile purge --db "$N" --older-than "$d"
done
for l in 0 -1 abc 4294967296; do
	usage --limit smdp profile purge --db "$N" --limit "$l"
done
usage --iccid smdp profile purge --db "$N" --iccid 89x
usage --eid smdp profile purge --db "$N" --eid 89049032123451234512345678901234
usage --nope smdp profile purge --db "$N" --nope
usage "--db or --config" smdp profile purge
run smdp profile purge --db "$N" extra
expect "positional: rc" 2 "$rc"
usage nope smdp profile nope --db "$N"
if [[ ! -e "$N" && ! -e "$N.kek" ]]; then ok; else bad "a usage error created the database"; fi
# a database that does not exist is not created
run smdp profile purge --db "$N"
expect "no database: rc" 1 "$rc"
if [[ ! -e "$N" && ! -e "$N.kek" ]]; then ok; else bad "purge created a database"; fi
# another KEK: refused, nothing dropped
head -c 32 /dev/urandom >"$T/other.kek"
run smdp profile purge --db "$DB" --kek-file "$T/other.kek"
expect "other KEK: rc" 1 "$rc"
expect "other KEK: nothing dropped" 5 "$(packages)"

# a dry run counts, drops nothing
run smdp profile purge --db "$DB" --state installed,error,unavailable --dry-run --json
expect "dry run rc" 0 "$rc"
expect "dry run: would purge" 3 "$(field wouldPurge)"
expect "dry run: installed" 2 "$(field installed)"
expect "dry run: error" 1 "$(field error)"
expect "dry run: complete" True "$(field complete)"
expect "dry run: nothing dropped" 5 "$(packages)"
run smdp profile purge --db "$DB" --dry-run
expect "dry run text" "would purge the packages of 2 profiles (installed 2)" "$out"

# installed over two days ago: profile 0 (64 bytes of its sealed package kept to look for)
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); open(sys.argv[3], "wb").write(c.execute("SELECT substr(u.upp_sealed, 5001, 64) FROM smdp_upp u JOIN smdp_profile p ON p.id = u.profile_id WHERE p.iccid = ?", (sys.argv[2],)).fetchone()[0])' "$DB" "$I0" "$T/probe"
expect "the probe is in the database before" True \
	"$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read() in open(sys.argv[2], "rb").read())' "$T/probe" "$DB")"
run smdp profile purge --db "$DB" --older-than 2d
expect "older than 2d: rc" 0 "$rc"
expect "older than 2d" "purged the packages of 1 profile (installed 1)" "$out"
expect "older than 2d: four packages" 4 "$(packages)"
# its bytes gone from the files (secure_delete, the log checkpointed at the last close)
expect "older than 2d: the package's bytes overwritten" "False False" \
	"$(python3 -c 'import os,sys; p=open(sys.argv[1], "rb").read(); print(*[os.path.exists(f) and p in open(f, "rb").read() for f in sys.argv[2:]])' "$T/probe" "$DB" "$DB-wal")"
run smdp profile list --db "$DB" --iccid "$I0" --json
expect "purged: package held" False "$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["packageHeld"])' <<<"$out")"
expect "purged: state kept" installed "$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])' <<<"$out")"
expect "purged: last change kept" $((NOW - 3 * 86400)) "$(sql "$DB" "SELECT updated_at FROM smdp_profile WHERE iccid = '$I0'")"
run smdp audit --db "$DB" --iccid "$I0"
has "audit: purge row" "purge" "$(tail -1 <<<"$out")"
has "audit: what went" "package deleted (" "$(tail -1 <<<"$out")"
lacks "audit: no key material" "opc" "$out"

# the default (installed), by EID: profile 1; then nothing left
run smdp profile purge --db "$DB" --eid "$EID1" --json
expect "by EID" 1 "$(field purged)"
run smdp profile purge --db "$DB"
expect "nothing left" "purged the packages of 0 profiles (installed 0)" "$out"
# Error, by ICCID; a limit
run smdp profile purge --db "$DB" --state error --iccid "$I3"
expect "another profile's ICCID" "purged the packages of 0 profiles (error 0)" "$out"
run smdp profile purge --db "$DB" --state error --limit 1 --json
expect "error" 1 "$(field error)"
expect "two packages left: Downloaded and Available" 2 "$(packages)"
expect "every purge audited" 3 "$(sql "$DB" "SELECT count(*) FROM smdp_audit WHERE action = 'purge'")"

# the purged package's ICCID and IMSI still refuse its second import
run smdp profile generate --no-auc --db "$DB" --template "$V7" --iccid-start 898824700000006000 \
	--imsi-start 001019000000600 --count 1
expect "second import of a purged profile: rc" 1 "$rc"
expect "still two packages" 2 "$(packages)"
# the Downloaded profile keeps its package: its retry can still bind
run smdp profile list --db "$DB" --iccid "$I3" --json
expect "Downloaded keeps its package" True "$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["packageHeld"])' <<<"$out")"

# ----- stopped by a signal (SIGTERM here; SIGINT and SIGHUP alike) while the open waits for
# the write lock another connection holds (the open's KEK check is a write transaction:
# orsp_kek_check): nothing purged, exit 1 saying so. Until session 54 the handler was put in
# place after the open, so such a signal killed the process (143), and for a while after that
# the stop was looked at only after a batch, so a batch of 100 was purged all the same. -----
BDB=$T/batches.db
run smdp profile generate --no-auc --db "$BDB" --template "$V7" --iccid-start 898824700000007000 \
	--imsi-start 001019000000700 --count 103
expect "batches: generate rc" 0 "$rc"
sql "$BDB" "UPDATE smdp_profile SET state = 'unavailable'" >/dev/null
term_while_locked "$BDB" "$T/stop.out" "$T/stop.err" \
	"$B" smdp profile purge --db "$BDB" --state unavailable
expect "stopped purge: rc (not SIGTERM's 143)" 1 "$rc"
expect "stopped purge: nothing" "purged the packages of 0 profiles (unavailable 0)" \
	"$(cat "$T/stop.out")"
expect "stopped purge: why" "openrsp: smdp profile purge: stopped by a signal; the profiles counted above were purged, others the filters take may still hold their packages" \
	"$(cat "$T/stop.err")"
expect "stopped purge: packages left" 103 "$(sql "$BDB" "SELECT count(*) FROM smdp_upp")"
expect "stopped purge: no audit row" 0 "$(sql "$BDB" "SELECT count(*) FROM smdp_audit WHERE action = 'purge'")"
# a --dry-run stopped so says nothing was purged (it said "were purged" until session 65). It
# only reads (a read-only open, session 73: it waits for no write lock), so it is stopped
# while its open waits for a lock that keeps readers out too: the exclusive lock of a
# database in rollback-journal mode, as a writer holds it while it commits
sql "$BDB" "PRAGMA journal_mode=DELETE" >/dev/null
LOCK_KIND=EXCLUSIVE term_while_locked "$BDB" "$T/stop.out" "$T/stop.err" \
	"$B" smdp profile purge --db "$BDB" --state unavailable --dry-run
expect "stopped dry run: rc" 1 "$rc"
expect "stopped dry run: why" "openrsp: smdp profile purge: stopped by a signal; nothing was purged (--dry-run), and the profiles counted above are not all the filters take" \
	"$(cat "$T/stop.err")"
run smdp profile purge --db "$BDB" --state unavailable --json
expect "the purge after the stop" 103 "$(field purged)"

# ----- beside a running server -----
trap 'smdp_stop; rm -rf "$T"' EXIT
served_device served.db
SDB=$T/served.db
run smdp profile generate --no-auc --db "$SDB" --template "$V7" --iccid-start 898824700000006100 \
	--imsi-start 001019000000610 --count 2
expect "served: generate rc" 0 "$rc"
mapfile -t SI < <("$B" smdp profile list --db "$SDB" --json |
	python3 -c 'import json,sys; [print(p["iccid"]) for p in json.load(sys.stdin)]')
AC1=$("$B" smdp order --config "$T/smdp.conf" --iccid "${SI[0]}" --release)
AC2=$("$B" smdp order --config "$T/smdp.conf" --iccid "${SI[1]}" --release)
smdp_start "$T/smdp.conf"
URL=http://127.0.0.1:$PORT
run lpa profile download -a "$AC1" --server-url "$URL" --insecure --euicc "local:$T/dev"
expect "served: first download rc ($err)" 0 "$rc"
run smdp profile purge --config "$T/smdp.conf" --json
expect "served: purged beside the server" 1 "$(field purged)"
expect "served: the other keeps its package" 1 "$(sql "$SDB" "SELECT count(*) FROM smdp_upp")"
# the eUICC enables the purged profile; its notification is judged on the profile's row
run lpa profile enable "${SI[0]}" --euicc "local:$T/dev"
expect "served: enable rc ($err)" 0 "$rc"
run lpa notification process --server-url "$URL" --insecure --euicc "local:$T/dev"
expect "served: notifications rc ($err)" 0 "$rc"
expect "served: the enable notification accepted" accepted \
	"$(sql "$SDB" "SELECT result FROM es9p_notification WHERE iccid = '${SI[0]}' AND event = 'enable'")"
run lpa profile download -a "$AC2" --server-url "$URL" --insecure --euicc "local:$T/dev"
expect "served: second download rc ($err)" 0 "$rc"
smdp_stop
expect "served: both installed" "installed installed" \
	"$(sql "$SDB" "SELECT group_concat(state, ' ') FROM smdp_profile")"

rm -rf "$T"
finish
