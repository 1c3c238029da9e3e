#!/usr/bin/env bash
# `openrsp auc backup` and `openrsp smdp backup`: a backup taken while another process writes
# (an AuC handing out vectors, `smdp serve` running) opens with the KEK it names; the summary
# and its JSON; every refusal (--out exists, its directory missing, no database, not a
# database, the other module's, a wrong KEK) leaves no file, no temporary file and no audit
# row; and the restore of the docs (the old database moved aside with its -wal/-shm/-journal,
# the backup copied in under a temporary name): after a writer killed in a transaction (a hot
# journal) and a server killed outright (commits only in the -wal), the restored file is
# intact, the change made since is gone from it and the verbs (and the server) work on it,
# and the old set still holds the change and its audit rows.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_backup.XXXXXX")
unset ORSP_KEK ORSP_AUC_DB
. "$(dirname "$0")/lib/common.bash"
pid=""
wpid=""
cleanup() {
	[[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[[ -n "$wpid" ]] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

K=000102030405060708090a0b0c0d0e0f
OPC=00112233445566778899aabbccddeeff
I1=001010000000001
I2=001010000000002

# absent DESC FILE: FILE does not exist
absent() {
	if [[ -e "$2" ]]; then bad "$1: $2 exists"; else ok; fi
}
# no_tmp DESC: no temporary file of a backup left in $T
no_tmp() {
	if compgen -G "$T/*.tmp*" >/dev/null || compgen -G "$T/*/*.tmp*" >/dev/null; then
		bad "$1: a temporary file was left: $(ls "$T")"
	else ok; fi
}
# json_get JSON EXPR: EXPR of the object (python, as j)
json_get() {
	"$PY" -c 'import json, sys; j = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}
auc_backups() { # auc_backups DB: the number of backup audit rows
	"$B" auc audit --db "$1" --json | "$PY" -c 'import json, sys; print(sum(1 for r in json.load(sys.stdin) if r["action"] == "backup"))'
}
smdp_backups() { # smdp_backups DB
	"$B" smdp audit --db "$1" --json | "$PY" -c 'import json, sys; print(sum(1 for r in json.load(sys.stdin) if r["action"] == "backup"))'
}

# ----- the AuC -----
A=$T/auc.db
run auc add --db "$A" --imsi $I1 --k $K --opc $OPC
expect "auc add" 0 "$rc"
run auc add --db "$A" --imsi $I2 --k $K --opc $OPC
expect "auc add 2" 0 "$rc"

usage --out auc backup --db "$A"
usage --out auc backup --db "$A" --out ''
not_stdout --out auc backup --db "$A" --out -
usage --db auc backup --db '' --out "$T/x.db"
usage extra auc backup --db "$A" --out "$T/x.db" extra
usage --bogus auc backup --db "$A" --out "$T/x.db" --bogus
absent "a usage error made a backup" "$T/x.db"

# a backup while another process hands out vectors (each a committed write) blocks no writer:
# the backup is stopped (SIGSTOP) while it copies: it holds its read snapshot, seen as its
# shared lock on one of the read marks of the WAL index (bytes 123..127 of the -shm file, in
# /proc/locks), not the write lock (byte 120) its own transactions before and after the copy
# take, and the copy's temporary file has bytes; the writer must commit two vectors
# meanwhile, then the backup goes on. With a 20 MB table
# beside the subscribers the copy lasts long enough to be caught in most tries; a try whose
# backup ended before it was caught is made again. No vector may fail.
"$PY" - "$A" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE filler(x)")
c.execute("INSERT INTO filler SELECT randomblob(4000) FROM (WITH RECURSIVE c(i) AS "
          "(SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 5000) SELECT i FROM c)")
c.commit()
PYEOF
W=$T/writer.log
(while [[ ! -e "$T/writer.stop" ]]; do
	if "$B" auc vector $I1 --db "$A" >/dev/null 2>>"$T/writer.err"; then echo ok; else echo fail; fi >>"$W"
done) &
wpid=$!
for _ in $(seq 1 100); do grep -qs '^ok$' "$W" && break; sleep 0.05; done
tries=0
caught=""
while ((tries < 5)); do
	tries=$((tries + 1))
	rm -f "$T/a1.db"
	"$B" auc backup --db "$A" --out "$T/a1.db" >"$T/backup.out" 2>"$T/backup.err" &
	pid=$!
	caught=$("$PY" - "$pid" "$A-shm" "$W" "$T/a1.db" <<'PYEOF'
import glob, os, signal, sys, time
pid, shm, log, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def state():  # the process's state letter; None once it is gone
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None

def copying():
    """the copy under way: the backup holds a read mark of the WAL index (a shared lock on one
    of bytes 123..127 of the -shm file) and not its write lock (byte 120: the backup's own
    transactions before and after the copy, the KEK's check and the audit row, take it, and
    stopped then it would block the writer), and the copy's temporary file has bytes"""
    try:
        ino = str(os.stat(shm).st_ino)
    except FileNotFoundError:
        return False
    mark = write = False
    with open("/proc/locks") as f:
        for line in f:
            # "N: POSIX ADVISORY READ|WRITE PID MAJ:MIN:INODE START END"; a waiter has "->"
            p = line.split()
            if (len(p) < 8 or p[1] != "POSIX" or p[4] != str(pid)
                    or p[5].rsplit(":", 1)[1] != ino):
                continue
            end = 1 << 62 if p[7] == "EOF" else int(p[7])
            if p[3] == "READ" and 123 <= int(p[6]) <= 127:
                mark = True
            if p[3] == "WRITE" and int(p[6]) <= 120 <= end:
                write = True
    if not mark or write:
        return False
    for t in glob.glob(glob.escape(out) + ".tmp*"):
        try:
            if not t.endswith("-journal") and os.path.getsize(t) > 0:
                return True
        except OSError:
            pass
    return False

def oks():
    with open(log) as f:
        return sum(1 for line in f if line == "ok\n")

stopped = False
try:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        s = state()
        if s is None or s in "ZX":
            print("missed")
            sys.exit()
        if not copying():
            time.sleep(0.001)
            continue
        os.kill(pid, signal.SIGSTOP)
        stopped = True
        while state() not in (None, "T", "t", "Z", "X") and time.monotonic() < deadline:
            time.sleep(0.001)
        if state() in ("T", "t") and copying():
            base = oks()
            while oks() < base + 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            print(f"held {oks() - base}")
            sys.exit()
        os.kill(pid, signal.SIGCONT)  # the snapshot was let go before the stop took hold
        stopped = False
    print("timeout")
finally:
    if stopped:
        os.kill(pid, signal.SIGCONT)
PYEOF
	)
	rc=0
	wait "$pid" || rc=$?
	pid=""
	out=$(cat "$T/backup.out")
	[[ $caught == missed ]] || break
done
touch "$T/writer.stop"
wait "$wpid" 2>/dev/null || true
wpid=""
expect "auc backup under writes" 0 "$rc"
# two commits at least while the backup held its snapshot, stopped
case $caught in
"held "[2-9]* | "held "[1-9][0-9]*) ok ;;
*) bad "the writer stalled while the backup held its snapshot ($tries tries: $caught): $(sort "$W" | uniq -c | tr '\n' ' ')" ;;
esac
expect "no vector failed beside the backup" 0 "$(grep -c '^fail$' "$W" || true)"
real=$(cd "$T" && pwd -P)
has "the backup's absolute name" "backup:      $real/a1.db" "$out"
has "schema" "schema:      auc version 5" "$out"
has "subscribers" "subscribers: 2" "$out"
has "the KEK file" "KEK:         $real/auc.db.kek" "$out"
has "the KEK is not in it" "The KEK is NOT in the backup" "$out"
expect "mode 0600" 600 "$(stat -c %a "$T/a1.db")"
no_tmp "auc backup"
expect "one backup row a try" "$tries" "$(auc_backups "$A")"
run auc audit --db "$A" --json
has "the row names the backup" "\"action\":\"backup\",\"imsi\":\"\",\"result\":\"ok\",\"detail\":\"$real/a1.db\"" "$out"
# the copy opens with that KEK file and hands out vectors (K and OPc unwrap)
run auc vector $I1 --db "$T/a1.db" --kek-file "$A.kek"
expect "vectors from the backup" 0 "$rc"
run auc vector $I1 --db "$T/a1.db"
failure "no KEK file" auc vector $I1 --db "$T/a1.db"

# JSON, and the KEK from ORSP_KEK
run auc backup --db "$A" --out "$T/a2.db" --json
expect "auc backup --json" 0 "$rc"
expect "json path" "$real/a2.db" "$(json_get "$out" 'j["path"]')"
expect "json subscribers" 2 "$(json_get "$out" 'j["subscribers"]')"
expect "json schema" "auc 5" "$(json_get "$out" 'j["module"] + " " + str(j["schema_version"])')"
expect "json kek" "$real/auc.db.kek None False" "$(json_get "$out" 'j["kek_file"] + " " + str(j["kek_env"]) + " " + str(j["kek_in_backup"])')"
expect "json size" "$(stat -c %s "$T/a2.db")" "$(json_get "$out" 'j["size"]')"
ORSP_KEK=$(od -An -tx1 "$A.kek" | tr -d ' \n') run auc backup --db "$A" --out "$T/a3.db"
expect "auc backup with ORSP_KEK" 0 "$rc"
has "the ORSP_KEK key" "KEK:         the ORSP_KEK key" "$out"
rows=$(auc_backups "$A")

# refusals: nothing made, nothing audited
echo keep >"$T/taken"
failure "already exists (not overwritten)" auc backup --db "$A" --out "$T/taken"
expect "existing file untouched" keep "$(cat "$T/taken")"
for s in "" -journal -wal -shm; do
	failure "backup $A$s is the" auc backup --db "$A" --out "$A$s"
done
absent "no backup as the database's journal" "$A-journal"
failure "no directory $T/none" auc backup --db "$A" --out "$T/none/b.db"
failure "no AuC database at $T/nothere.db" auc backup --db "$T/nothere.db" --out "$T/b.db"
absent "no database created" "$T/nothere.db"
echo junk >"$T/junk.db"
failure "not a database" auc backup --db "$T/junk.db" --out "$T/b.db"
mkdir "$T/dir.db"
failure "is a directory" auc backup --db "$T/dir.db" --out "$T/b.db"
head -c 32 /dev/urandom >"$T/wrong.kek"
chmod 600 "$T/wrong.kek"
failure "wrong KEK" auc backup --db "$A" --kek-file "$T/wrong.kek" --out "$T/b.db"
absent "no backup after the refusals" "$T/b.db"
no_tmp "refusals"
expect "no backup row after the refusals" "$rows" "$(auc_backups "$A")"

# restore_steps DB BACKUP: steps 2 and 3 of the docs' restore, literally: the old database
# moved aside with its -wal, -shm and -journal under one new name, the backup copied beside it
# under a temporary name and renamed in place
restore_steps() {
	local db=$1 s
	mv "$db" "$db.old"
	for s in -wal -shm -journal; do [ ! -e "$db$s" ] || mv "$db$s" "$db.old$s"; done
	cp "$2" "$db.restoring" && mv "$db.restoring" "$db"
}
# integrity DB: SQLite's integrity_check of DB (a hot journal beside it is rolled back first)
integrity() {
	"$PY" -c 'import sqlite3, sys
try:
    print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])
except sqlite3.Error as e:
    print(e)' "$1"
}

# restore: a change after the backup, then a writer killed in the middle of a transaction in
# rollback-journal mode (the store's mode where WAL is not available), which leaves a hot
# -journal; the documented restore: the restored file is intact and the change is gone from
# it; the old set, rolled back, still holds the change and its audit row
run auc backup --db "$A" --out "$T/before-delete.db"
expect "backup before the change" 0 "$rc"
run auc delete $I2 --db "$A"
expect "the change" 0 "$rc"
run auc show $I2 --db "$A"
expect "deleted" 1 "$rc"
("$PY" - "$A" <<'PYEOF') 2>/dev/null || true
import os, signal, sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA journal_mode=DELETE")
c.execute("PRAGMA cache_size=1")  # spill the changed pages into the file before the commit
c.execute("BEGIN IMMEDIATE")
c.execute("CREATE TABLE spill(x)")
for _ in range(200):
    c.execute("INSERT INTO spill VALUES (randomblob(4000))")
os.kill(os.getpid(), signal.SIGKILL)
PYEOF
if [[ -s "$A-journal" ]]; then ok; else bad "no hot journal left by the killed writer"; fi
restore_steps "$A" "$T/before-delete.db"
expect "restored: intact beside the old set's journal" ok "$(integrity "$A")"
absent "no temporary file of the restore" "$A.restoring"
expect "restored: mode 0600" 600 "$(stat -c %a "$A")"
run auc show $I2 --db "$A.old" --kek-file "$A.kek"
expect "the old set: the change is there" 1 "$rc"
run auc audit --db "$A.old" --kek-file "$A.kek" --json
has "the old set: the change's audit row" "\"action\":\"delete\",\"imsi\":\"$I2\"" "$out"
expect "the old set: rolled back, intact" ok "$(integrity "$A.old")"
run auc show $I2 --db "$A"
expect "restored: the subscriber is back" 0 "$rc"
run auc vector $I2 --db "$A"
expect "restored: vectors" 0 "$rc"
run auc list --db "$A"
has "restored: list" $I2 "$out"

# ----- the SM-DP+, with its server running -----
FQDN=smdp.example.org
"$B" pki init "$T/pki" --smdp-fqdn $FQDN >/dev/null
S=$T/smdp.db
"$B" smdp profile import "$V/saip/pysim-unique/TS48V1-A-UNIQUE.der" --db "$S" >/dev/null
ICCID=8949449999999990023
{
	echo "fqdn = $FQDN"
	echo "oid = 2.999.10"
	echo "port = 0"
	echo "database = smdp.db"
	echo "tls_cert = pki/smdp/dptls.pem"
	echo "tls_key = pki/smdp/dptls_key.pem"
	echo "es2_token = test-operator-token-0123456789"
	smdp_keyset_conf
} >"$T/smdp.conf"
chmod 600 "$T/smdp.conf"
start_server() {
	"$B" smdp serve --config "$T/smdp.conf" >"$T/port" 2>"$T/serve.log" &
	pid=$!
	for _ in $(seq 1 1200); do [[ -s "$T/port" ]] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if [[ -s "$T/port" ]]; then ok; else bad "smdp serve did not start: $(cat "$T/serve.log")"; fi
}
stop_server() {
	stop_checked "$pid" "smdp serve" "$T/serve.log"
	pid=""
}
start_server

usage --out smdp backup --config "$T/smdp.conf"
not_stdout --out smdp backup --config "$T/smdp.conf" --out -
usage --config smdp backup --config "$T/smdp.conf" --db "$S" --out "$T/x.db"
# a key file with text before its PEM block, over 8 KiB: read whole (up to 16 KiB, as
# orsp_ec_load_private takes it), not cut and refused as "not a private key"
{
	for i in $(seq 150); do echo "Explanatory text line $i about this key, its origin and its use."; done
	cat "$T/pki/smdp/dpauth_key.pem"
} >"$T/pki/smdp/dpauth_long.pem"
chmod 600 "$T/pki/smdp/dpauth_long.pem"
sed 's|^dpauth_key = .*|dpauth_key = pki/smdp/dpauth_long.pem|' "$T/smdp.conf" >"$T/long.conf"
chmod 600 "$T/long.conf"
run smdp backup --config "$T/long.conf" --out "$T/long.db"
expect "smdp backup with an 11 KB dpauth_key file" "0:" "$rc:$err"
rm -f "$T/long.db"
run smdp backup --config "$T/smdp.conf" --out "$T/s1.db"
expect "smdp backup while serving" 0 "$rc"
has "the backup's name" "backup:      $real/s1.db" "$out"
has "profiles" "profiles:    1 (available 1)" "$out"
# a database the server used holds the ES9+ handler's schema too: both named (until session 76
# the inventory's alone)
es9p=$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT max(version) FROM schema_migrations WHERE module = ?", ("smdp_es9p",)).fetchone()[0])' "$S")
expect "both schemas" "schema:      smdp version 21, smdp_es9p version $es9p" "$(grep '^schema:' <<<"$out")"
has "the KEK file" "KEK:         $real/smdp.db.kek" "$out"
no_tmp "smdp backup"
run smdp backup --db "$S" --out "$T/s2.db" --json
expect "smdp backup --json" 0 "$rc"
expect "json profiles" "1 1 0" "$(json_get "$out" 'str(j["profiles"]["available"]) + " " + str(j["profiles"]["total"]) + " " + str(j["profiles"]["released"])')"
expect "json module" smdp "$(json_get "$out" 'j["module"]')"
expect "json ES9+ schema" "$es9p $es9p" "$(json_get "$out" 'str(j["es9p_schema_version"]) + " " + str(j["es9p_schema_latest"])')"
rows=$(smdp_backups "$S")
expect "three backup rows (long.db, s1.db, s2.db)" 3 "$rows"
failure "already exists" smdp backup --db "$S" --out "$T/s1.db"
failure "the rollback journal of the database" smdp backup --db "$S" --out "$S-journal"
absent "no backup as the database's journal" "$S-journal"
failure "no directory" smdp backup --db "$S" --out "$T/none/s.db"
failure "no SM-DP+ database at $T/nothere.db" smdp backup --db "$T/nothere.db" --out "$T/b.db"
absent "no database created" "$T/nothere.db"
failure "not a database" smdp backup --db "$T/junk.db" --out "$T/b.db"
failure "holds no SM-DP+ inventory" smdp backup --db "$A" --kek-file "$A.kek" --out "$T/b.db"
failure "holds no AuC" auc backup --db "$S" --kek-file "$S.kek" --out "$T/b.db"
failure "wrong KEK" smdp backup --db "$S" --kek-file "$T/wrong.kek" --out "$T/b.db"
absent "no backup after the refusals" "$T/b.db"
no_tmp "smdp refusals"
expect "no backup row after the refusals" "$rows" "$(smdp_backups "$S")"

# A refused backup of an older database (one migration behind, in rollback-journal mode)
# leaves it as it was: --out is looked at before the open, which migrates it
older "$T/old.db" "$S" "$SMDP_ONE_BEHIND"
older "$T/olda.db" "$A" "DROP TRIGGER auc_audit_no_replace;
DELETE FROM schema_migrations WHERE module = 'auc' AND version >= 4"
for m in smdp auc; do
	o=$T/old.db
	[[ $m == auc ]] && o=$T/olda.db
	failure "already exists" $m backup --db "$o" --out "$T/taken"
	untouched "$m backup, --out exists" "$o"
	failure "the rollback journal of the database" $m backup --db "$o" --out "$o-journal"
	untouched "$m backup, --out the journal" "$o"
	failure "no directory" $m backup --db "$o" --out "$T/none/o.db"
	untouched "$m backup, no directory" "$o"
done
absent "no backup as the older database's journal" "$T/old.db-journal"
# auc export's FILE the same, K and OPc in the clear never in a file SQLite takes for its own
failure "already exists" auc export --db "$T/olda.db" --format osmo-hlr-vty --all --out "$T/taken"
untouched "auc export, --out exists" "$T/olda.db"
failure "export $T/olda.db-journal is the rollback journal of the database" \
	auc export --db "$T/olda.db" --format osmo-hlr-vty --all --out "$T/olda.db-journal"
untouched "auc export, --out the journal" "$T/olda.db"
absent "no export as the older database's journal" "$T/olda.db-journal"
failure "no directory" auc export --db "$T/olda.db" --format osmo-hlr-vty --all --out "$T/none/e.vty"
untouched "auc export, no directory" "$T/olda.db"
usage --out auc export --db "$T/olda.db" --format osmo-hlr-vty --all --out ""

# restore: an order after the backup; stopped, restored: the profile is Available again
run smdp order --config "$T/smdp.conf" --iccid $ICCID --release
expect "smdp order" 0 "$rc"
run smdp profile list --db "$S" --state released --count --json
expect "released" 1 "$(json_get "$out" 'j["released"]')"
# the server killed outright: its last commits are only in smdp.db-wal
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
pid=""
if [[ -s "$S-wal" ]]; then ok; else bad "no -wal left by the killed server"; fi
restore_steps "$S" "$T/s1.db"
expect "restored: intact" ok "$(integrity "$S")"
run smdp audit --db "$S.old" --kek-file "$S.kek" --iccid $ICCID --json
expect "the old set's audit" 0 "$rc"
has "the old set: the order after the backup" '"action":"confirmOrder(release)"' "$out"
run smdp profile list --db "$S.old" --kek-file "$S.kek" --state released --count --json
expect "the old set: released" 1 "$(json_get "$out" 'j["released"]')"
run smdp profile list --db "$S" --state available --count --json
expect "restored: available again" 1 "$(json_get "$out" 'j["available"]')"
start_server
run smdp order --config "$T/smdp.conf" --iccid $ICCID --release
expect "restored: an order while serving" 0 "$rc"
stop_server

finish
