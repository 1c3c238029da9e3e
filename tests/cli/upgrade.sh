#!/usr/bin/env bash
# Upgrading a database an older openrsp made (its schema one migration behind): the SM-DP+'s
# and the AuC's are not migrated while another process (an older server) has them open, the
# command refused with the pid and the way out, the schema left at its version; once that
# process has closed it, the next command migrates it. `smdp backup` and `auc backup` copy an
# older database as it is (not migrated: the backup taken before an upgrade opens with the
# program that made it), and say so; a newer one is still refused.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_upgrade.XXXXXX")
unset ORSP_KEK ORSP_AUC_DB
. "$(dirname "$0")/lib/common.bash"
hpid=""
cleanup() {
	[[ -n "$hpid" ]] && kill "$hpid" 2>/dev/null && wait "$hpid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# The current databases, and what makes them one migration behind (the last step undone and
# its schema_migrations row removed): smdp 17 (the executed ES2+ calls' table), auc 5 (the
# card secrets' table rebuilt with a wider CHECK, which runs again on the same columns)
S=$T/smdp.db
A=$T/auc.db
run smdp profile import "$V/saip/pysim-unique/TS48V1-A-UNIQUE.der" --db "$S"
expect "smdp profile import" 0 "$rc"
lacks "a new database's first migration is no upgrade: no line" "migrated" "$err"
run auc add --db "$A" --imsi 001010000000001 --k 000102030405060708090a0b0c0d0e0f \
	--opc 00112233445566778899aabbccddeeff
expect "auc add" 0 "$rc"
lacks "a new AuC's first migration is no upgrade: no line" "migrated" "$err"
SMDP_OLD="DROP TABLE smdp_call; DELETE FROM schema_migrations WHERE module = 'smdp' AND version = 17"
AUC_OLD="DELETE FROM schema_migrations WHERE module = 'auc' AND version = 5"

# version DB MODULE: the module's schema version in DB, read without openrsp
version() {
	"$PY" -c 'import sqlite3, sys
d = sqlite3.connect(sys.argv[1])
print(d.execute("SELECT MAX(version) FROM schema_migrations WHERE module = ?", (sys.argv[2],)).fetchone()[0])' "$1" "$2"
}
# ----- not migrated while another process has it open -----
for m in smdp auc; do
	if [[ $m == smdp ]]; then
		db=$T/old.db src=$S sql=$SMDP_OLD from=16 to=17 verb=(smdp profile list)
	else
		db=$T/olda.db src=$A sql=$AUC_OLD from=4 to=5 verb=(auc list)
	fi
	older "$db" "$src" "$sql"
	expect "$m: the copy is one migration behind" $from "$(version "$db" $m)"
	hold_db "$db"
	failure "another process (pid $hpid) has the database open" "${verb[@]}" --db "$db"
	has "$m: the versions" "the $m schema of $(realpath "$db") is at version $from and this program's at $to" "$err"
	has "$m: what to do" "Stop every program using it, the older servers included, then run this again" "$err"
	expect "$m: still at its version" $from "$(version "$db" $m)"
	release_db
	run "${verb[@]}" --db "$db" --json
	expect "$m: migrated once nobody else has it open (rc)" 0 "$rc"
	expect "$m: migrated once nobody else has it open" $to "$(version "$db" $m)"
	# one line on stderr says it, out of the way of --json
	line=" openrsp warn: database $(realpath "$db"): the $m schema was migrated from version $from to $to"
	if [[ $(grep -cF -- "$line" <<<"$err") -eq 1 && $(wc -l <<<"$err") -eq 1 ]]; then ok; else bad "$m: the migration's line: '$err'"; fi
	"$PY" -c 'import json, sys; json.loads(sys.argv[1])' "$out" && ok || bad "$m: --json output: $out"
	# up to date, the other process does not matter; no line
	hold_db "$db"
	run "${verb[@]}" --db "$db"
	expect "$m: an up-to-date database while another process has it open" 0 "$rc"
	lacks "$m: no line when up to date" "migrated" "$err"
	release_db
done

# ----- in a PID namespace without a /proc of its own (unshare -pf, bubblewrap without --proc)
# getpid() is 1 while /proc/locks names the process by the outer pid: its own locks are not
# another's (orsp_proc_self_pid; a review found the migration refused so, "pid 393" being
# itself). Skipped where no such namespace can be made. -----
if unshare -Urpf true 2>/dev/null; then
	older "$T/ns.db" "$S" "$SMDP_OLD"
	rc=0
	err=$(unshare -Urpf "$B" smdp profile list --db "$T/ns.db" 2>&1 >/dev/null) || rc=$?
	expect "a PID namespace without its /proc: its own locks are its own (rc: $err)" 0 "$rc"
	expect "a PID namespace without its /proc: migrated" 17 "$(version "$T/ns.db" smdp)"
else
	echo "skip: no PID namespace (unshare -Urpf)"
fi

# ----- a backup copies an older database as it is -----
# journal DB: its journal mode, read without openrsp
journal() {
	"$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode").fetchone()[0])' "$1"
}
for m in smdp auc; do
	if [[ $m == smdp ]]; then
		db=$T/bk.db src=$S sql=$SMDP_OLD from=16 to=17
	else
		db=$T/bka.db src=$A sql=$AUC_OLD from=4 to=5
	fi
	older "$db" "$src" "$sql"
	run $m backup --db "$db" --out "$T/$m-copy.db"
	expect "$m backup of an older database (rc)" 0 "$rc"
	has "$m backup: the summary says it" "schema:      $m version $from (older than this program's $to: copied as it is, not migrated)" "$out"
	expect "$m backup: the database left at its version" $from "$(version "$db" $m)"
	expect "$m backup: and in its journal mode" delete "$(journal "$db")"
	expect "$m backup: the copy at that version" $from "$(version "$T/$m-copy.db" $m)"
	run $m backup --db "$db" --out "$T/$m-copy2.db" --json
	expect "$m backup --json (rc)" 0 "$rc"
	expect "$m backup --json: the versions" "$from $to" "$(json schema_version) $(json schema_latest)"
	# the copy is a database the verbs open (a newer program's first one migrates it)
	cp "$db.kek" "$T/$m-copy.db.kek"
	if [[ $m == smdp ]]; then run smdp profile list --db "$T/$m-copy.db" --count; else run auc list --db "$T/$m-copy.db"; fi
	expect "$m: the copy opens" 0 "$rc"
	# an up-to-date one: the summary as before
	run $m backup --db "$src" --out "$T/$m-cur.db"
	has "$m backup of an up-to-date database" "schema:      $m version $to"$'\n' "$out"$'\n'
	# a newer one is still refused, nothing written
	older "$T/newer-$m.db" "$src" "INSERT INTO schema_migrations VALUES ('$m', 99, 'future', 0)"
	failure "$m schema version 99 is newer than this program" $m backup --db "$T/newer-$m.db" --out "$T/newer-$m-copy.db"
	untouched "$m backup of a newer database" "$T/newer-$m.db"
	[[ ! -e "$T/newer-$m-copy.db" ]] && ok || bad "$m backup of a newer database made a file"
done

finish
