#!/usr/bin/env bash
# A flush of the SM-DP+'s or the AuC's log that fails (an I/O error of the disk), made by
# tests/failsync.c preloaded into openrsp ($ORSP_FAILSYNC, the Nth sync of a file ending in
# "-wal" failing once with EIO, N from ORSP_FAILSYNC_AT). Each command's first commit in a
# process writes a new log's header, which SQLite syncs inside COMMIT: a failure there (N = 1)
# is a COMMIT that failed, nothing kept, and said so. The next sync (N = 2) is openrsp's own
# flush after the commit: the change is in the database but may not survive a power cut, so
# the command says what it did, with a warning, and a later write of the same process is
# refused ("an earlier flush ... failed ...; nothing was written") rather than committed and
# reported durable again.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
FS=${ORSP_FAILSYNC:?set ORSP_FAILSYNC to tests/failsync.c built as a shared library}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_flush.XXXXXX")
unset ORSP_KEK
. "$(dirname "$0")/lib/common.bash"

V7=$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der
FQDN=smdp.example.org
WARN="the transaction was committed but may not survive a power cut: cannot sync the write-ahead log"
LATER="failed, and its lost writes may not be seen again: restart (close every handle on the database); nothing was written"
# failing N ARGS...: run (common.bash) with the Nth sync of a log failing
failing() {
	local n=$1
	shift
	LD_PRELOAD=$FS ORSP_FAILSYNC_AT=$n run "$@"
}
# state DB ICCID: the profile's state, as `smdp profile list` shows it
state() {
	"$B" smdp profile list --db "$1" --iccid "$2" --json |
		python3 -c 'import json,sys; a=json.load(sys.stdin); print(a[0]["state"] if a else "none")'
}
# count DB: the number of profiles the SM-DP+ holds
count() { "$B" smdp profile list --db "$1" --count --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }

run smdp profile generate --no-auc --db "$T/d.db" --template "$V7" --iccid-start 898824700000001000 \
	--imsi-start 001019000001000 --count 6
expect "generate: rc" 0 "$rc"
I=()
for i in 0 1 2 3 4 5; do I+=("$(luhn 89882470000000100$i)"); done

# ----- the shim fails nothing beyond the syncs a command makes (a control) -----
failing 99 smdp order --db "$T/d.db" --fqdn "$FQDN" --iccid "${I[5]}"
expect "no sync failed: rc" 0 "$rc"
lacks "no sync failed: nothing said" "failsync" "$err"
expect "no sync failed: nothing on stderr but the note of an order not released" \
	"openrsp: note: smdp order: profile ${I[5]} is allocated, not released: a download with this activation code is refused until \`openrsp smdp release --iccid ${I[5]}\` (or ES2+ releaseProfile)" "$err"

# ----- order: the COMMIT fails (the new log's header) -----
failing 1 smdp order --db "$T/d.db" --fqdn "$FQDN" --iccid "${I[0]}"
expect "order, COMMIT fails: rc" 1 "$rc"
expect "order, COMMIT fails: no activation code" "" "$out"
has "order, COMMIT fails: the sync failed" "failsync: fdatasync of $T/d.db-wal failed (EIO), sync 1" "$err"
has "order, COMMIT fails: said" "openrsp: smdp order: COMMIT: disk I/O error (no order placed: profile ${I[0]} stays Available)" "$err"
expect "order, COMMIT fails: still available" available "$(state "$T/d.db" "${I[0]}")"

# ----- order: committed, the flush after it fails -----
failing 2 smdp order --db "$T/d.db" --fqdn "$FQDN" --iccid "${I[0]}"
expect "order, flush fails: rc" 0 "$rc"
has "order, flush fails: the activation code" "LPA:1\$$FQDN\$" "$out"
has "order, flush fails: the sync failed" "failsync: fdatasync of $T/d.db-wal failed (EIO), sync 2" "$err"
has "order, flush fails: warned" "openrsp: warning: smdp order: $WARN" "$err"
expect "order, flush fails: allocated" allocated "$(state "$T/d.db" "${I[0]}")"

# ----- confirm, release, cancel: committed, the flush fails -----
run smdp order --db "$T/d.db" --fqdn "$FQDN" --iccid "${I[1]}"
expect "order to confirm: rc" 0 "$rc"
failing 2 smdp confirm --db "$T/d.db" --fqdn "$FQDN" --iccid "${I[1]}" --release
expect "confirm, flush fails: rc" 0 "$rc"
has "confirm, flush fails: the activation code" "LPA:1\$$FQDN\$" "$out"
has "confirm, flush fails: warned" "openrsp: warning: smdp confirm: $WARN" "$err"
expect "confirm, flush fails: released" released "$(state "$T/d.db" "${I[1]}")"
failing 1 smdp confirm --db "$T/d.db" --fqdn "$FQDN" --iccid "${I[0]}" --release
expect "confirm, COMMIT fails: rc" 1 "$rc"
has "confirm, COMMIT fails: said" "openrsp: confirmOrder: COMMIT: disk I/O error" "$err"
expect "confirm, COMMIT fails: still allocated" allocated "$(state "$T/d.db" "${I[0]}")"

run smdp order --db "$T/d.db" --fqdn "$FQDN" --iccid "${I[2]}" --cc 1234
expect "order to release: rc" 0 "$rc"
failing 2 smdp release --db "$T/d.db" --iccid "${I[2]}"
expect "release, flush fails: rc" 0 "$rc"
expect "release, flush fails: said" "released the order of ${I[2]}: Released" "$out"
has "release, flush fails: warned" "openrsp: warning: smdp release: $WARN" "$err"
expect "release, flush fails: released" released "$(state "$T/d.db" "${I[2]}")"

failing 2 smdp cancel --db "$T/d.db" --iccid "${I[0]}" --final unavailable
expect "cancel, flush fails: rc" 0 "$rc"
expect "cancel, flush fails: said" "cancelled the order of ${I[0]}: Unavailable" "$out"
has "cancel, flush fails: warned" "openrsp: warning: smdp cancel: $WARN" "$err"
expect "cancel, flush fails: unavailable" unavailable "$(state "$T/d.db" "${I[0]}")"

# ----- import, one file per batch: the first batch committed with a failed flush is
# imported (with a warning), the second refused before anything is written; with the COMMIT
# failing, the first is not imported and the second is -----
mkdir -p "$T/pk" "$T/one"
for i in 1 2 3; do
	"$B" profile build --template "$V7" --iccid "$(luhn 89882470000000200$i)" \
		--imsi "00101900000200$i" --k 000102030405060708090a0b0c0d0e0f \
		--opc 0f0e0d0c0b0a09080706050403020100 -o "$T/pk/p$i.der" >/dev/null 2>&1
done
mv "$T/pk/p3.der" "$T/one/p3.der"
for db in i1 i2; do
	run smdp profile import "$T/one/p3.der" --db "$T/$db.db"
	expect "import $db: the first file: rc" 0 "$rc"
done
failing 2 smdp profile import "$T/pk" --db "$T/i2.db" --batch 1
expect "import, flush fails: rc" 1 "$rc"
expect "import, flush fails: the first imported" \
	"imported $(luhn 898824700000002001) (IMSI 001019000002001, type \"GSMA Generic eUICC Test Profile\") from $T/pk/p1.der
1 imported, 1 failed" "$out"
has "import, flush fails: warned for the first" "openrsp: warning: $T/pk/p1.der: $WARN" "$err"
has "import, flush fails: the second refused" "openrsp: $T/pk/p2.der: an earlier flush of $T/i2.db $LATER" "$err"
expect "import, flush fails: the first kept" available "$(state "$T/i2.db" "$(luhn 898824700000002001)")"
expect "import, flush fails: the second not" none "$(state "$T/i2.db" "$(luhn 898824700000002002)")"
expect "import, flush fails: two profiles" 2 "$(count "$T/i2.db")"

failing 1 smdp profile import "$T/pk" --db "$T/i1.db" --batch 1
expect "import, COMMIT fails: rc" 1 "$rc"
expect "import, COMMIT fails: the second imported" \
	"imported $(luhn 898824700000002002) (IMSI 001019000002002, type \"GSMA Generic eUICC Test Profile\") from $T/pk/p2.der
1 imported, 1 failed" "$out"
has "import, COMMIT fails: the first failed" "openrsp: $T/pk/p1.der: COMMIT: disk I/O error" "$err"
expect "import, COMMIT fails: the first not kept" none "$(state "$T/i1.db" "$(luhn 898824700000002001)")"
expect "import, COMMIT fails: two profiles" 2 "$(count "$T/i1.db")"

# ----- generate with the AuC (committed first): its flush failing keeps the batch in both
# stores, with a warning; the next profile is refused, nothing of it written -----
"$B" auc init --db "$T/ga.db" >/dev/null
run smdp profile generate --db "$T/g.db" --auc "$T/ga.db" --template "$V7" \
	--iccid-start 898824700000003000 --imsi-start 001019000003000 --count 1
expect "generate into g: rc" 0 "$rc"
failing 2 smdp profile generate --db "$T/g.db" --auc "$T/ga.db" --template "$V7" \
	--iccid-start 898824700000003001 --imsi-start 001019000003001 --count 3 --batch 1
expect "generate, AuC flush fails: rc" 1 "$rc"
has "generate, AuC flush fails: the sync failed" "failsync: fdatasync of $T/ga.db-wal failed (EIO), sync 2" "$err"
has "generate, AuC flush fails: warned" "openrsp: warning: AuC subscriber 001019000003001: $WARN" "$err"
has "generate, AuC flush fails: the next refused" \
	"openrsp: $(luhn 898824700000003002): profile 2 of 3: an earlier flush of $T/ga.db $LATER; the 1 before it (ICCID $(luhn 898824700000003001) to $(luhn 898824700000003001)) stay imported, each in both stores; the rest: --iccid-start 898824700000003002 --imsi-start 001019000003002 --count 2" "$err"
expect "generate, AuC flush fails: two profiles" 2 "$(count "$T/g.db")"
run auc show 001019000003001 --db "$T/ga.db"
expect "generate, AuC flush fails: the subscriber kept" 0 "$rc"
run auc show 001019000003002 --db "$T/ga.db"
expect "generate, AuC flush fails: the next subscriber not" 1 "$rc"

failing 1 smdp profile generate --db "$T/g.db" --auc "$T/ga.db" --template "$V7" \
	--iccid-start 898824700000003002 --imsi-start 001019000003002 --count 2 --batch 1
expect "generate, AuC COMMIT fails: rc" 1 "$rc"
has "generate, AuC COMMIT fails: said" "openrsp: $(luhn 898824700000003002): profile 1 of 2: COMMIT: disk I/O error" "$err"
expect "generate, AuC COMMIT fails: nothing more" 2 "$(count "$T/g.db")"
run auc show 001019000003002 --db "$T/ga.db"
expect "generate, AuC COMMIT fails: no subscriber" 1 "$rc"

# ----- a new database: its schema's COMMIT fails (sync 1), or the flush after it (sync 2:
# "committed"); nothing generated, so the new database and its KEK file are removed again,
# and said (without a word until session 75: `smdp profile list` then found no database) -----
for n in 1 2; do
	failing $n smdp profile generate --no-auc --db "$T/new$n.db" --template "$V7" \
		--iccid-start 898824700000004000 --imsi-start 001019000004000 --count 2
	expect "new database, sync $n fails: rc" 1 "$rc"
	has "new database, sync $n fails: the sync failed" "failsync: fdatasync of $T/new$n.db-wal failed (EIO), sync $n" "$err"
	has "new database, sync $n fails: removed, said" \
		"openrsp: the new database $T/new$n.db (and its KEK file $T/new$n.db.kek) was removed again: nothing was kept" "$err"
	expect "new database, sync $n fails: nothing left" "" "$(find "$T" -maxdepth 1 -name "new$n.db*")"
done
has "new database, flush fails: committed, said before" "openrsp: $T/new2.db: $WARN" "$err"
failing 2 smdp profile import "$T/one/p3.der" --db "$T/new3.db"
expect "import, new database, flush fails: rc" 1 "$rc"
has "import, new database, flush fails: removed, said" \
	"openrsp: the new database $T/new3.db (and its KEK file $T/new3.db.kek) was removed again: nothing was kept" "$err"
expect "import, new database, flush fails: nothing left" "" "$(find "$T" -maxdepth 1 -name "new3.db*")"

# ----- a new AuC (auc add, auc init): the same. Until session 76 a failed schema COMMIT
# (sync 1) left an empty file, which the next `auc add` took for a new database, and a failed
# flush after it (sync 2) a database and its KEK file; the KEK file only was removed -----
K=000102030405060708090a0b0c0d0e0f
OP=101112131415161718191a1b1c1d1e1f
for n in 1 2; do
	for verb in add init; do
		a=$T/newauc-$verb$n.db
		if [ $verb = add ]; then
			failing $n auc add --db "$a" --imsi 001019000005000 --k "$K" --opc "$OP"
		else
			failing $n auc init --db "$a"
		fi
		expect "auc $verb, new database, sync $n fails: rc" 1 "$rc"
		has "auc $verb, new database, sync $n fails: the sync failed" \
			"failsync: fdatasync of $a-wal failed (EIO), sync $n" "$err"
		has "auc $verb, new database, sync $n fails: removed, said" \
			"openrsp: the new database $a (and its KEK file $a.kek) was removed again: nothing was kept" "$err"
		expect "auc $verb, new database, sync $n fails: nothing left" "" \
			"$(find "$T" -maxdepth 1 -name "newauc-$verb$n.db*")"
	done
done
# the next add makes the database anew, with its KEK file, and keeps the subscriber
run auc add --db "$T/newauc-add1.db" --imsi 001019000005000 --k "$K" --opc "$OP"
expect "auc add after a failed first one: rc" 0 "$rc"
run auc show 001019000005000 --db "$T/newauc-add1.db"
expect "auc add after a failed first one: the subscriber" 0 "$rc"
# the subscriber's COMMIT made, its flush failed: the database holds it, and is left
failing 4 auc add --db "$T/newauc-kept.db" --imsi 001019000005001 --k "$K" --opc "$OP"
expect "auc add, subscriber's flush fails: rc" 1 "$rc"
has "auc add, subscriber's flush fails: left, said" \
	"openrsp: left the new database $T/newauc-kept.db and its KEK file $T/newauc-kept.db.kek: it holds 2 row(s)" "$err"
run auc show 001019000005001 --db "$T/newauc-kept.db"
expect "auc add, subscriber's flush fails: the subscriber kept" 0 "$rc"

# ----- a file put in place by rename: the directory's flush after it fails -----
# (orsp_file_replace: the new file is in place, not known durable, and the error says that
# rather than a failure that would leave the old file)
BUILD=(profile build --template "$V7" --iccid 8949449999999990171 --imsi 262019876543210
	--k "$K" --op "$OP")
echo old >"$T/p.der"
LD_PRELOAD=$FS ORSP_FAILSYNC_DIRS=1 run "${BUILD[@]}" -o "$T/p.der"
expect "build, directory flush fails: rc" 1 "$rc"
has "build, directory flush fails: the sync failed" "failsync: fsync of directory $T failed (EIO)" "$err"
has "build, directory flush fails: said" "the new $T/p.der is in place, but a crash may still bring back the file it replaced: cannot flush the directory of $T/p.der: Input/output error" "$err"
run profile inspect "$T/p.der"
expect "build, directory flush fails: the new package is there" 0 "$rc"
has "build, directory flush fails: its ICCID" "8949449999999990171" "$out"
expect "build, directory flush fails: no temporary file left" "" "$(find "$T" -maxdepth 1 -name 'p.der.tmp-*')"
# the control: the same build with every flush going through
LD_PRELOAD=$FS run "${BUILD[@]}" -o "$T/p2.der"
expect "build, no flush fails: rc" 0 "$rc"
lacks "build, no flush fails: nothing said" "failsync" "$err"

# ----- auc export: the new file's name is flushed too (its "ok" audit rows name it) -----
LD_PRELOAD=$FS ORSP_FAILSYNC_DIRS=1 run auc export --db "$T/ga.db" --format osmo-hlr-vty 001019000003001 --out "$T/x.vty"
expect "export, directory flush fails: rc" 1 "$rc"
has "export, directory flush fails: said" "cannot flush the directory of $T/x.vty" "$err"
expect "export, directory flush fails: no file" "" "$(find "$T" -maxdepth 1 -name 'x.vty*')"
run auc audit --db "$T/ga.db" --imsi 001019000003001
has "export, directory flush fails: audited not written" "not written" "$out"
LD_PRELOAD=$FS run auc export --db "$T/ga.db" --format osmo-hlr-vty 001019000003001 --out "$T/x.vty"
expect "export, no flush fails: rc" 0 "$rc"

finish
