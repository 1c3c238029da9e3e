#!/usr/bin/env bash
# Upgrading a database an older openrsp made (its schema one migration behind): the SM-DP+'s
# and the AuC's are not migrated while another process (an older server) has them open, the
# command refused with the pid and the way out, the schema left at its version; once that
# process has closed it, the next command that writes migrates it. `smdp backup` and `auc
# backup` copy an older database as it is (not migrated: the backup taken before an upgrade
# opens with the program that made it), and say so; a newer one is still refused. The verbs
# that only read leave a database byte for byte as it is: an older one is refused, not
# migrated, a backup (rollback-journal mode) not switched to WAL.
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
# its schema_migrations row removed): smdp 21 (the answers of recorded ES2+ confirmOrder calls: two columns,
# SMDP_ONE_BEHIND in lib/common.bash), auc 5 (the card secrets' table rebuilt with a wider CHECK, which runs again on the
# same columns)
S=$T/smdp.db
A=$T/auc.db
run smdp profile import "$V/saip/pysim-unique/TS48V1-A-UNIQUE.der" --db "$S"
expect "smdp profile import" 0 "$rc"
lacks "a new database's first migration is no upgrade: no line" "migrated" "$err"
run auc add --db "$A" --imsi 001010000000001 --k 000102030405060708090a0b0c0d0e0f \
	--opc 00112233445566778899aabbccddeeff
expect "auc add" 0 "$rc"
lacks "a new AuC's first migration is no upgrade: no line" "migrated" "$err"
SMDP_OLD=$SMDP_ONE_BEHIND
AUC_OLD="DELETE FROM schema_migrations WHERE module = 'auc' AND version = 5"

# journal DB: its journal mode, read without openrsp
journal() {
	"$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode").fetchone()[0])' "$1"
}
# version DB MODULE: the module's schema version in DB, read without openrsp
version() {
	"$PY" -c 'import sqlite3, sys
d = sqlite3.connect(sys.argv[1])
print(d.execute("SELECT MAX(version) FROM schema_migrations WHERE module = ?", (sys.argv[2],)).fetchone()[0])' "$1" "$2"
}
# ----- not migrated while another process has it open (verb: one that writes, which
# migrates; reading: one that only reads) -----
IMSI=001010000000001
for m in smdp auc; do
	if [[ $m == smdp ]]; then
		db=$T/old.db src=$S sql=$SMDP_OLD from=20 to=21 verb=(smdp reports --resend)
		reading=(smdp profile list)
	else
		db=$T/olda.db src=$A sql=$AUC_OLD from=4 to=5 verb=(auc vector $IMSI) reading=(auc list)
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
	# read beside it (its -wal and -shm there)
	run "${reading[@]}" --db "$db"
	expect "$m: read while another process has it open (rc: $err)" 0 "$rc"
	release_db
done

# ----- in a PID namespace without a /proc of its own (unshare -pf, bubblewrap without --proc)
# getpid() is 1 while /proc/locks names the process by the outer pid: its own locks are not
# another's (orsp_proc_self_pid; a review found the migration refused so, "pid 393" being
# itself). Skipped where no such namespace can be made. -----
if unshare -Urpf true 2>/dev/null; then
	older "$T/ns.db" "$S" "$SMDP_OLD"
	rc=0
	err=$(unshare -Urpf "$B" smdp reports --resend --db "$T/ns.db" 2>&1 >/dev/null) || rc=$?
	expect "a PID namespace without its /proc: its own locks are its own (rc: $err)" 0 "$rc"
	expect "a PID namespace without its /proc: migrated" 21 "$(version "$T/ns.db" smdp)"
else
	echo "skip: no PID namespace (unshare -Urpf)"
fi

# ----- a backup copies an older database as it is -----
for m in smdp auc; do
	if [[ $m == smdp ]]; then
		db=$T/bk.db src=$S sql=$SMDP_OLD from=20 to=21
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
	# the copy is a database the verbs open: one that only reads leaves it as it is, one that
	# writes migrates it (how this program checks a backup of an older version: on a copy)
	cp "$db.kek" "$T/$m-copy.db.kek"
	cp "$T/$m-copy.db" "$T/$m-copy.db.orig"
	if [[ $m == smdp ]]; then
		r=(smdp profile list --count) w=(smdp reports --resend)
	else
		r=(auc list) w=(auc vector $IMSI)
	fi
	failure "older than this program's" "${r[@]}" --db "$T/$m-copy.db"
	untouched "$m: the copy read" "$T/$m-copy.db"
	run "${w[@]}" --db "$T/$m-copy.db"
	expect "$m: the copy migrated by a verb that writes (rc: $err)" 0 "$rc"
	expect "$m: the copy migrated" $to "$(version "$T/$m-copy.db" $m)"
	run "${r[@]}" --db "$T/$m-copy.db"
	expect "$m: then read" 0 "$rc"
	# an up-to-date one: the summary as before
	run $m backup --db "$src" --out "$T/$m-cur.db"
	# (the whole line: grep -F took the needle's newline for a second, empty pattern)
	expect "$m backup of an up-to-date database" "schema:      $m version $to" "$(grep '^schema:' <<<"$out")"
	# a newer one is still refused, nothing written
	older "$T/newer-$m.db" "$src" "INSERT INTO schema_migrations VALUES ('$m', 99, 'future', 0)"
	failure "$m schema version 99 is newer than this program" $m backup --db "$T/newer-$m.db" --out "$T/newer-$m-copy.db"
	untouched "$m backup of a newer database" "$T/newer-$m.db"
	[[ ! -e "$T/newer-$m-copy.db" ]] && ok || bad "$m backup of a newer database made a file"
done

# ----- the verbs that only read leave the database byte for byte as it is. Until session 73
# they opened it as those that write do: reading the backup taken before an upgrade (`smdp
# profile list --count`: is the backup good?) migrated it, and the binary to go back to then
# refused it; reading any backup (rollback-journal mode) switched it to WAL. An older schema
# is refused, saying what migrates it; a newer one and a wrong KEK as before; a backup of
# this version is read without a -wal or -shm made -----
head -c 32 /dev/urandom >"$T/wrong.kek"
chmod 600 "$T/wrong.kek"
for m in smdp auc; do
	if [[ $m == smdp ]]; then
		src=$S sql=$SMDP_OLD from=20 to=21 what="\`smdp serve\`, or a verb that writes"
		verbs=("smdp profile list" "smdp profile list --count" "smdp audit" "smdp reports"
			"smdp profile purge --dry-run")
	else
		src=$A sql=$AUC_OLD from=4 to=5 what="A verb that writes"
		verbs=("auc list" "auc show $IMSI" "auc audit" "auc secret --list $IMSI")
	fi
	old=$T/ro-old-$m.db cur=$T/ro-cur-$m.db new=$T/ro-new-$m.db
	older "$old" "$src" "$sql"
	older "$new" "$src" "INSERT INTO schema_migrations VALUES ('$m', 99, 'future', 0)"
	run $m backup --db "$src" --out "$cur"
	expect "$m: a backup of this version (rc)" 0 "$rc"
	cp "$src.kek" "$cur.kek"
	cp "$cur" "$cur.orig"
	for v in "${verbs[@]}"; do
		read -ra args <<<"$v"
		failure "$old holds the $m schema at version $from, older than this program's $to, and is left as it is" \
			"${args[@]}" --db "$old"
		has "$v: what migrates it" "$what" "$err"
		untouched "$v of an older database" "$old"
		failure "$m schema version 99 is newer than this program" "${args[@]}" --db "$new"
		untouched "$v of a newer database" "$new"
		run "${args[@]}" --db "$cur"
		expect "$v of a backup (rc: $err)" 0 "$rc"
		untouched "$v of a backup" "$cur"
		failure "wrong KEK" "${args[@]}" --db "$cur" --kek-file "$T/wrong.kek"
		untouched "$v of a backup, wrong KEK" "$cur"
	done
	expect "$m: the older database still at its version" $from "$(version "$old" $m)"
	expect "$m: and in its journal mode" delete "$(journal "$old")"
	expect "$m: the backup still in rollback-journal mode" delete "$(journal "$cur")"
done
# A rollback journal left by a writer killed in its transaction (a hot journal): the file is
# not its last commit until the journal is rolled back, which a read-only open cannot do. A
# verb that only reads has it rolled back (as the verbs that write do: the restore's step that
# reads the old set): the file back at its last commit byte for byte, in its journal mode,
# nothing else written. Where the file may not be written (a URI's mode=ro), refused saying so,
# both files left as they are.
H=$T/hot.db
cp "$S.kek" "$H.kek"
hot() {
	cp "$T/ro-cur-smdp.db" "$H"
	"$PY" -c 'import os, sqlite3, sys
d = sqlite3.connect(sys.argv[1], isolation_level=None)
d.execute("PRAGMA cache_size = 1")
d.execute("BEGIN")
d.execute("CREATE TABLE big (x)")
d.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)"
          " INSERT INTO big SELECT randomblob(5000) FROM n")
os._exit(0)' "$H"
	if [[ -s "$H-journal" ]] && ! cmp -s "$H" "$T/ro-cur-smdp.db"; then ok; else bad "no hot journal made"; fi
}
hot
cp "$H" "$H.orig"
cp "$H-journal" "$H.journal.orig"
failure "its -journal holds a transaction left unfinished (a writer was killed in it), which must be rolled back into the file before it is read" \
	smdp audit --db "file:$H?mode=ro" --kek-file "$H.kek"
cmp -s "$H" "$H.orig" && cmp -s "$H-journal" "$H.journal.orig" && ok || bad "mode=ro: the files changed"
for v in "smdp audit" "smdp profile list --count" "smdp reports"; do
	hot
	read -ra args <<<"$v"
	run "${args[@]}" --db "$H"
	expect "$v with a hot journal (rc: $err)" 0 "$rc"
	[[ ! -e "$H-journal" ]] && ok || bad "$v: the journal not rolled back"
	cmp -s "$H" "$T/ro-cur-smdp.db" && ok || bad "$v: the file is not its last commit"
	expect "$v: in its journal mode" delete "$(journal "$H")"
done

finish
