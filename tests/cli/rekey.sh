#!/usr/bin/env bash
# `openrsp auc rekey` and `openrsp smdp rekey`: a full round (rekey, then the other verbs
# work with the new KEK file and refuse the old one), the next steps printed, the audit
# row, and the refusals: NEW exists, wrong old KEK, a database another process holds open,
# a tampered value, usage errors; none of them changes anything or leaves NEW behind.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_rekey.XXXXXX")
unset ORSP_KEK ORSP_AUC_DB
. "$(dirname "$0")/lib/common.bash"

K=000102030405060708090a0b0c0d0e0f
OPC=00112233445566778899aabbccddeeff
IMSI=001010000000001

# sum DB: a digest of the database's rows (through sqlite3 in python: the file itself
# changes with every open, its content must not)
sum() {
	"$PY" -c '
import hashlib, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
h = hashlib.sha256()
for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type = '"'table'"' ORDER BY name"):
    for r in c.execute("SELECT * FROM \"%s\" ORDER BY rowid" % t):
        h.update(repr(r).encode())
print(h.hexdigest())' "$1"
}

# absent DESC FILE: FILE does not exist
absent() {
	if [[ -e "$2" ]]; then bad "$1: $2 exists"; else ok; fi
}
# ----- the AuC -----
A=$T/auc.db
run auc add --db "$A" --imsi $IMSI --k $K --opc $OPC
expect "auc add" 0 "$rc"
before=$(sum "$A")

usage --new-kek-file auc rekey --db "$A"
usage --new-kek-file auc rekey --db "$A" --new-kek-file ''
not_stdout --new-kek-file auc rekey --db "$A" --new-kek-file -
usage --new-kek-file auc rekey --db "$A" --new-kek-file "$T/atwice1.kek" --new-kek-file "$T/atwice2.kek"
has "a repeated --new-kek-file named (auc)" "given twice" "$err"
absent "a repeated --new-kek-file made the first (auc)" "$T/atwice1.kek"
absent "a repeated --new-kek-file made the last (auc)" "$T/atwice2.kek"
usage --db auc rekey --db '' --new-kek-file "$T/x.kek"
usage --kek-file auc rekey --db "$A" --kek-file '' --new-kek-file "$T/x.kek"
absent "a usage error created the new KEK file" "$T/x.kek"

# NEW the old KEK file itself, by any name (another spelling, a link): said so, with what
# to name instead (it had the advice for any file that exists); left alone
kek_sum=$(od -An -tx1 -v "$A.kek")
for n in "$A.kek" "$T/./auc.db.kek" "$T/kek-link"; do
	[[ $n != "$T/kek-link" ]] || ln -s "$A.kek" "$T/kek-link"
	usage --new-kek-file auc rekey --db "$A" --new-kek-file "$n"
	has "NEW the KEK in use ($n)" "openrsp: --new-kek-file: $n is the KEK file in use itself ($A.kek): the rotation writes the new KEK to a new file and leaves the old one as it is (backups made before need it); name a file that does not exist, e.g. --new-kek-file $A.kek.new, and move it in place of the old one afterwards" "$err"
done
expect "the KEK file in use kept" "$kek_sum" "$(od -An -tx1 -v "$A.kek")"
# a file of the same content is another file: exists already; with ORSP_KEK set the file
# is not the KEK in use: exists already too
cp -p "$A.kek" "$T/kek-copy"
failure "exists already" auc rekey --db "$A" --new-kek-file "$T/kek-copy"
ORSP_KEK=$(od -An -tx1 -v "$A.kek" | tr -d ' \n') failure "exists already" auc rekey --db "$A" --new-kek-file "$A.kek"
# NEW exists (any other file): refused, left alone
echo keep >"$T/taken"
failure "exists already" auc rekey --db "$A" --new-kek-file "$T/taken"
has "NEW: which KEK opens the database" "a rotation that left it did not commit (the database opens with the KEK given, not with $T/taken: " "$err"
has "NEW: deleted only if a rotation left it" "if an interrupted rotation of this database left it, delete $T/taken and run the rotation again; otherwise name a new file" "$err"
lacks "no unconditional advice to delete" "delete it and run again" "$err"
expect "existing file kept" keep "$(cat "$T/taken")"
# NEW named like the database or one of SQLite's files beside it (SQLite would delete it or
# take it over, and the database would be under a KEK that is gone): a usage error, as the KEK
# file in use is, nothing made (exit 1 until session 76)
for s in "" -journal -wal -shm; do
	usage --new-kek-file auc rekey --db "$A" --new-kek-file "$A$s"
	has "rekey $s: said" "openrsp: --new-kek-file: new KEK file $A$s is the" "$err"
	has "rekey $s: another name asked for" "name another file" "$err"
done
absent "a refused NEW left behind" "$A-journal"
expect "the database unchanged by the refusals" "$before" "$(sum "$A")"
# wrong old KEK
head -c 32 /dev/urandom >"$T/wrong.kek"
chmod 600 "$T/wrong.kek"
failure "wrong KEK" auc rekey --db "$A" --kek-file "$T/wrong.kek" --new-kek-file "$T/new.kek"
absent "wrong KEK left the new KEK file" "$T/new.kek"
failure "no AuC database" auc rekey --db "$T/none.db" --new-kek-file "$T/new.kek"
absent "rekey created a database" "$T/none.db"
# hold DB: another process with the database open (SQLite's own, from python), until
# unhold; its pid in $holder
hold() {
	rm -f "$T/held"
	"$PY" -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
c.execute("SELECT count(*) FROM sqlite_master").fetchall()
open(sys.argv[2], "w").write("open")
time.sleep(60)' "$1" "$T/held" &
	holder=$!
	wait_for 60 "$1 held open" nonempty "$T/held"
}
unhold() {
	kill "$holder"
	wait "$holder" 2>/dev/null || true
}
hold "$A"
failure "stop the servers" auc rekey --db "$A" --new-kek-file "$T/new.kek"
has "the error names the database" "$A is open in another process" "$err"
unhold
absent "a held database left the new KEK file" "$T/new.kek"
expect "nothing changed by the refusals" "$before" "$(sum "$A")"

# the round
run auc rekey --db "$A" --new-kek-file "$T/new.kek"
expect "auc rekey rc" 0 "$rc"
has "values counted" "KEK rotated: 3 values of $A re-wrapped under the new KEK in $T/new.kek." "$out"
has "next step: the old KEK aside first" "copy $A.kek aside first (cp -p -- $A.kek $A.kek.pre-rotation)" "$out"
has "next step: move" "then move $T/new.kek in place of $A.kek, or point --kek-file at it." "$out"
expect "new KEK file 0600" 600 "$(stat -c %a "$T/new.kek")"
failure "wrong KEK" auc list --db "$A"
has "wrong KEK mentions a rotation" "created with another KEK (or rotated since: see rekey)" "$err"
run auc list --db "$A" --kek-file "$T/new.kek"
expect "auc list with the new KEK" 0 "$rc"
has "the subscriber listed" $IMSI "$out"
run auc vector $IMSI --db "$A" --kek-file "$T/new.kek"
expect "auc vector with the new KEK" 0 "$rc"
run auc audit --db "$A" --kek-file "$T/new.kek"
has "audit row" "kek rotated" "$out"
has "audit detail" "new KEK file $T/new.kek" "$out"
lacks "no key in the audit" "$(od -An -tx1 "$T/new.kek" | tr -d ' \n')" "$out"
# the moved file takes the old one's place
mv "$T/new.kek" "$A.kek"
run auc list --db "$A"
expect "auc list after the move" 0 "$rc"
# ORSP_KEK holds the old KEK as for every verb
ORSP_KEK=$(od -An -tx1 "$A.kek" | tr -d ' \n') run auc rekey --db "$A" --new-kek-file "$T/env.kek"
expect "rekey from ORSP_KEK" 0 "$rc"
# no file to move in place of an environment variable: --kek-file NEW, or ORSP_KEK set to
# NEW's hex digits by the command printed, which is run here as printed
has "next step: --kek-file and unset" "point --kek-file at $T/env.kek and unset ORSP_KEK" "$out"
lacks "no file to move for ORSP_KEK" "in place of" "$out"
lacks "ORSP_KEK is no file" "(ORSP_KEK)" "$out"
has "next step: old KEK (ORSP_KEK)" "keep the old KEK only as long as backups" "$out"
setkek=$(sed -n "s/^ *64 hex digits: //p" <<<"$out")
expect "the command that sets ORSP_KEK" "export ORSP_KEK=\$(od -An -tx1 -v -- $T/env.kek | tr -d ' \\n')" "$setkek"
run auc list --db "$A" --kek-file "$T/env.kek"
expect "auc list after the ORSP_KEK rekey" 0 "$rc"
# (the wrong --kek-file: ORSP_KEK takes precedence)
rc=0
(eval "$setkek" && "$B" auc list --db "$A" --kek-file "$T/wrong.kek") >"$T/out" 2>&1 || rc=$?
expect "auc list with ORSP_KEK set as printed" 0 "$rc"
has "ORSP_KEK set as printed: the subscriber listed" $IMSI "$(cat "$T/out")"
# a NEW whose name a shell would split or expand: the printed command quotes it (on a copy
# of the database, which stays under env.kek for what follows)
cp "$A" "$T/q.db"
ORSP_KEK=$(od -An -tx1 "$T/env.kek" | tr -d ' \n') run auc rekey --db "$T/q.db" --new-kek-file "$T/my new'\$x.kek"
expect "rekey to a name with a space, a quote and a dollar" 0 "$rc"
setkek=$(sed -n "s/^ *64 hex digits: //p" <<<"$out")
has "the name quoted" "od -An -tx1 -v -- '$T/my new'\\''\$x.kek'" "$setkek"
rc=0
(eval "$setkek" && "$B" auc list --db "$T/q.db" --kek-file "$T/wrong.kek") >"$T/out" 2>&1 || rc=$?
expect "auc list with ORSP_KEK set as printed for the quoted name" 0 "$rc"
# an old KEK file whose name has a space: quoted in the copy command (not until session 65)
cp "$T/q.db" "$T/q2.db"
cp "$T/my new'\$x.kek" "$T/old key.kek"
run auc rekey --db "$T/q2.db" --kek-file "$T/old key.kek" --new-kek-file "$T/q2new.kek"
has "the old KEK's name quoted" "(cp -p -- '$T/old key.kek' '$T/old key.kek'.pre-rotation)" "$out"
# relative names that start with '-': `--` ends od's and cp's options in the printed commands,
# which are run here as printed (od and cp read such a name as options until session 66)
cp "$T/q2.db" "$T/q3.db"
pushd "$T" >/dev/null
ORSP_KEK=$(od -An -tx1 -v q2new.kek | tr -d ' \n') run auc rekey --db q3.db --new-kek-file -dash.kek
expect "rekey to a name starting with -" 0 "$rc"
setkek=$(sed -n "s/^ *64 hex digits: //p" <<<"$out")
rc=0
(eval "$setkek" && "$B" auc list --db q3.db --kek-file "$T/wrong.kek") >"$T/out" 2>&1 || rc=$?
expect "auc list with ORSP_KEK set as printed for -dash.kek" 0 "$rc"
run auc rekey --db q3.db --kek-file -dash.kek --new-kek-file q3new.kek
expect "rekey from a KEK file named -dash.kek" 0 "$rc"
copy=$(sed -n 's/.*aside first (\(cp -p .*\.pre-rotation\)).*/\1/p' <<<"$out")
rc=0
(eval "$copy") >"$T/out" 2>&1 || rc=$?
expect "the copy command as printed for -dash.kek" 0 "$rc"
rc=0
cmp -s -- -dash.kek -dash.kek.pre-rotation || rc=$?
expect "the copy is the old KEK" 0 "$rc"
popd >/dev/null

# a tampered value: named, nothing changed, no new KEK file
"$PY" -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
(w,) = c.execute("SELECT k_wrapped FROM auc_subscriber").fetchone()
w = bytearray(w)
w[20] ^= 1
c.execute("UPDATE auc_subscriber SET k_wrapped = ?", (bytes(w),))
c.commit()' "$A"
before=$(sum "$A")
failure "auc_subscriber.k_wrapped of auc:k:$IMSI" auc rekey --db "$A" --kek-file "$T/env.kek" --new-kek-file "$T/t.kek"
absent "a tampered value left the new KEK file" "$T/t.kek"
expect "nothing changed by a tampered value" "$before" "$(sum "$A")"

# ----- the SM-DP+ -----
S=$T/smdp.db
run smdp profile import "$V/saip/pysim-unique/TS48V1-A-UNIQUE.der" --db "$S"
expect "smdp import" 0 "$rc"
run smdp order --db "$S" --iccid 8949449999999990023 --cc 1234 --release --fqdn smdp.example.com
expect "smdp order" 0 "$rc"
before=$(sum "$S")
usage --new-kek-file smdp rekey --db "$S"
usage --new-kek-file smdp rekey --db "$S" --new-kek-file ''
not_stdout --new-kek-file smdp rekey --db "$S" --new-kek-file -
usage --new-kek-file smdp rekey --db "$S" --new-kek-file "$T/twice1.kek" --new-kek-file "$T/twice2.kek"
has "a repeated --new-kek-file named" "given twice" "$err"
absent "a repeated --new-kek-file made the first" "$T/twice1.kek"
absent "a repeated --new-kek-file made the last" "$T/twice2.kek"
usage "--db or --config" smdp rekey --new-kek-file "$T/s.kek"
usage --config smdp rekey --config "$T/x.conf" --db "$S" --new-kek-file "$T/s.kek"
usage --new-kek-file smdp rekey --db "$S" --new-kek-file "$T/./smdp.db.kek"
has "NEW the KEK in use (smdp)" "$T/./smdp.db.kek is the KEK file in use itself ($S.kek)" "$err"
usage --new-kek-file smdp rekey --db "$S" --new-kek-file "$S"
has "NEW the database (smdp)" "new KEK file $S is the database $S itself: name another file" "$err"
usage --new-kek-file smdp rekey --db "$S" --new-kek-file "$S-wal"
has "NEW the WAL (smdp)" "new KEK file $S-wal is the write-ahead log" "$err"
usage --new-kek-file smdp rekey --db "$S" --new-kek-file "$S-journal"
has "NEW the journal (smdp)" "new KEK file $S-journal is the rollback journal" "$err"
absent "a refused NEW left behind" "$S-journal"
usage --kek-file smdp rekey --db "$S" --kek-file "$S-shm" --new-kek-file "$T/s.kek"
failure "wrong KEK" smdp rekey --db "$S" --kek-file "$T/wrong.kek" --new-kek-file "$T/s.kek"
failure "smdp rekey: no SM-DP+ database at $T/none.db" smdp rekey --db "$T/none.db" --new-kek-file "$T/s.kek"
absent "smdp rekey created a database" "$T/none.db"
hold "$S"
failure "stop the servers" smdp rekey --db "$S" --new-kek-file "$T/s.kek"
unhold
absent "a refusal left the new KEK file" "$T/s.kek"
expect "nothing changed by the refusals" "$before" "$(sum "$S")"

# A refused rotation of an older database leaves it as it was: NEW is looked at before the
# open, which migrates it and switches it to WAL
older "$T/old.db" "$S" "$SMDP_ONE_BEHIND"
run auc add --db "$T/fresha.db" --imsi $IMSI --k $K --opc $OPC
expect "auc add (older)" 0 "$rc"
older "$T/olda.db" "$T/fresha.db" "DROP TRIGGER auc_audit_no_replace;
DELETE FROM schema_migrations WHERE module = 'auc' AND version >= 4"
for m in smdp auc; do
	o=$T/old.db
	[[ $m == auc ]] && o=$T/olda.db
	failure "exists already" $m rekey --db "$o" --new-kek-file "$T/taken"
	untouched "$m rekey, NEW exists" "$o"
	usage --new-kek-file $m rekey --db "$o" --new-kek-file "$o-journal"
	has "$m rekey, NEW the journal: said" "is the rollback journal" "$err"
	untouched "$m rekey, NEW the journal" "$o"
	failure "cannot create KEK file $T/none/n.kek" $m rekey --db "$o" --new-kek-file "$T/none/n.kek"
	untouched "$m rekey, no directory for NEW" "$o"
	failure "wrong KEK" $m rekey --db "$o" --kek-file "$T/wrong.kek" --new-kek-file "$T/n.kek"
	untouched "$m rekey, wrong KEK" "$o"
	absent "$m rekey: a refusal left NEW" "$T/n.kek"
done

# the round, through the server's configuration
"$B" pki init "$T/pki" --smdp-fqdn smdp.example.org >/dev/null
{
	echo "fqdn = smdp.example.org"
	echo "oid = 2.999.10"
	echo "database = smdp.db"
	echo "tls_cert = pki/smdp/dptls.pem"
	echo "tls_key = pki/smdp/dptls_key.pem"
	smdp_keyset_conf
} >"$T/s.conf"
run smdp rekey --config "$T/s.conf" --new-kek-file "$T/s.kek"
has "next step names the configuration" "point the configuration's kek_file at it" "$out"
expect "smdp rekey rc" 0 "$rc"
has "values counted" "KEK rotated: 3 values of $S" "$out"
failure "wrong KEK" smdp profile list --db "$S"
run smdp profile list --db "$S" --kek-file "$T/s.kek"
expect "smdp profile list with the new KEK" 0 "$rc"
has "the profile listed" 8949449999999990023 "$out"
run smdp audit --db "$S" --kek-file "$T/s.kek"
has "audit row" "kekRotated" "$out"
# from ORSP_KEK, through the configuration: its kek_file, or ORSP_KEK set as printed
ORSP_KEK=$(od -An -tx1 "$T/s.kek" | tr -d ' \n') run smdp rekey --config "$T/s.conf" --new-kek-file "$T/s2.kek"
expect "smdp rekey from ORSP_KEK" 0 "$rc"
has "next step: kek_file and unset" "point the configuration's kek_file at $T/s2.kek and unset ORSP_KEK" "$out"
lacks "no file to move for ORSP_KEK" "in place of" "$out"
setkek=$(sed -n "s/^ *64 hex digits: //p" <<<"$out")
rc=0
(eval "$setkek" && "$B" smdp profile list --db "$S" --kek-file "$T/wrong.kek") >"$T/out" 2>&1 || rc=$?
expect "smdp profile list with ORSP_KEK set as printed" 0 "$rc"
has "ORSP_KEK set as printed: the profile listed" 8949449999999990023 "$(cat "$T/out")"
# into a closed pipe (SIGPIPE's default action restored for openrsp): the rotation is done,
# and the output that could not be written is said, exit 1; until session 65 the process was
# killed by SIGPIPE after its commit, saying nothing (rc 141)
closed_pipe() {
	"$PY" -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE, restore_signals=True)
sys.stderr.buffer.write(p.stderr)
sys.exit(128 - p.returncode if p.returncode < 0 else p.returncode)' "$B" "$@" 2>"$T/err" && rc=0 || rc=$?
	err=$(cat "$T/err")
}
closed_pipe smdp rekey --db "$S" --kek-file "$T/s2.kek" --new-kek-file "$T/s3.kek"
expect "smdp rekey into a closed pipe: rc (not SIGPIPE's 141)" 1 "$rc"
has "smdp rekey into a closed pipe: said" "openrsp: standard output: write failed: Broken pipe" "$err"
run smdp audit --db "$S" --kek-file "$T/s3.kek"
expect "smdp rekey into a closed pipe: rotated all the same" 0 "$rc"
closed_pipe kek info --kek-file "$T/s3.kek"
expect "kek info into a closed pipe: rc" 1 "$rc"

# from another directory, NEW relative: the next step names NEW by its absolute name, which
# the configuration's kek_file takes (relative to the configuration's directory, NEW as typed
# named another file; until session 71), as the audit row does
mkdir -p "$T/elsewhere"
here=$(cd "$T/elsewhere" && pwd -P)
pushd "$T/elsewhere" >/dev/null
ORSP_KEK=$(od -An -tx1 -v "$T/s3.kek" | tr -d ' \n') run smdp rekey --config ../s.conf --new-kek-file s4.kek
expect "rekey from another directory (ORSP_KEK)" 0 "$rc"
has "next step: NEW's absolute name (ORSP_KEK)" "point the configuration's kek_file at $here/s4.kek and unset ORSP_KEK" "$out"
cp s4.kek "$S.kek" # the configuration's kek_file (its default, the database's name and .kek)
run smdp rekey --config ../s.conf --new-kek-file s5.kek
expect "rekey from another directory" 0 "$rc"
has "next step: NEW's absolute name" "then move $here/s5.kek in place of ../smdp.db.kek, or point the configuration's kek_file at it." "$out"
popd >/dev/null
run smdp audit --db "$S" --kek-file "$T/elsewhere/s5.kek"
has "the audit row names NEW the same way" "new KEK file $here/s5.kek" "$out"

# a database path that is no database, and a database without its KEK file: said as every
# other smdp verb says them
mkdir -p "$T/adir"
failure "$T/adir: $T/adir is a directory, not a database file" \
	smdp rekey --db "$T/adir" --new-kek-file "$T/n1.kek"
cp "$S" "$T/nokek.db"
failure "no KEK file at $T/nokek.db.kek for $T/nokek.db (--kek-file names it, or ORSP_KEK holds the key)" \
	smdp rekey --db "$T/nokek.db" --new-kek-file "$T/n1.kek"
absent "no new KEK file for a refused rekey" "$T/n1.kek"

# ----- a rotation killed with NEW made: the same rekey again says which KEK is the database's -----
# killed SYSCALL N ARGS...: openrsp ARGS killed (SIGKILL, by strace's fault injection) at its
# Nth call of SYSCALL; rc as run's (137), in a subshell whose "Killed" goes to $T/err
killed() {
	rc=0
	(ASAN_OPTIONS=$no_lsan strace -f -o /dev/null -e trace="$1" \
		-e inject="$1":signal=SIGKILL:when="$2" "$B" "${@:3}" || exit $?) >"$T/out" 2>"$T/err" ||
		rc=$?
}
# (an AddressSanitizer build's leak check does not work under ptrace: it ends the process
# with status 1 at its exit, which the counting run below took for a failed rotation)
no_lsan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
if ! command -v strace >/dev/null; then
	echo "skipped: no strace (the rotations killed in their window)"
elif ! strace -f -o /dev/null true 2>"$T/strace.err"; then
	echo "skipped: strace cannot trace here: $(cat "$T/strace.err")"
else
	for m in smdp auc; do
		D=$T/kill-$m.db
		if [[ $m == smdp ]]; then
			run smdp profile import "$V/saip/pysim-unique/TS48V1-A-UNIQUE.der" --db "$D"
			list=(smdp profile list --db "$D")
		else
			run auc add --db "$D" --imsi $IMSI --k $K --opc $OPC
			list=(auc list --db "$D")
		fi
		expect "$m: the database made" 0 "$rc"
		cp -p "$D" "$D.fresh"
		cp -p "$D.kek" "$D.kek.fresh"
		# the unlink of the -wal at the last close, after the -shm's: counted on a rotation
		# run to its end (on a copy), from a database without -wal, as the one killed
		rc=0
		ASAN_OPTIONS=$no_lsan strace -f -o "$T/unlinks" -e trace=unlink "$B" $m rekey \
			--db "$D" --new-kek-file "$T/count.kek" >/dev/null 2>"$T/err" || rc=$?
		expect "$m: the rotation whose unlinks are counted: exit $(head -c 300 "$T/err")" 0 "$rc"
		last=$(grep 'unlink(' "$T/unlinks" | grep -n -- "-wal\"" | tail -1 | cut -d: -f1)
		cp -p "$D.fresh" "$D"
		cp -p "$D.kek.fresh" "$D.kek"
		rm -f "$T/count.kek" "$D-wal" "$D-shm"
		# killed after its commit, at that unlink: DB-wal without DB-shm, which a read-only
		# open refused with either KEK until session 77 (the check the docs gave until
		# session 76)
		killed unlink "$last" $m rekey --db "$D" --new-kek-file "$T/$m-c.kek"
		expect "$m: killed at the -wal's unlink" 137 "$rc"
		[[ -e "$D-wal" && ! -e "$D-shm" ]] && ok || bad "$m: not the -wal without -shm window"
		# every commit of that log is in the file (the close checkpointed it): a read-only
		# verb reads the file, with NEW, and makes nothing (refused until session 77)
		run "${list[@]}" --kek-file "$T/$m-c.kek"
		expect "$m: a read-only verb beside the -wal left: $(head -c 300 "$T/err")" 0 "$rc"
		[[ -e "$D-wal" && ! -e "$D-shm" ]] && ok || bad "$m: the read-only verb changed the files"
		failure "the rotation that left it committed" $m rekey --db "$D" --new-kek-file "$T/$m-c.kek"
		has "$m: committed: NEW is the KEK" "(the database opens with $T/$m-c.kek, not with the KEK given): $T/$m-c.kek is the database's KEK now" "$err"
		lacks "$m: committed: no advice to delete" "delete" "$err"
		run "${list[@]}" --kek-file "$T/$m-c.kek"
		expect "$m: the database opens with NEW" 0 "$rc"
		failure "wrong KEK" "${list[@]}"

		# killed inside the transaction (the log's first sync, before the commit): the same
		# rekey says so, and the way out it gives works
		cp -p "$D.fresh" "$D"
		cp -p "$D.kek.fresh" "$D.kek"
		rm -f "$D-wal" "$D-shm"
		killed fdatasync 1 $m rekey --db "$D" --new-kek-file "$T/$m-u.kek"
		expect "$m: killed in the transaction" 137 "$rc"
		[[ -e "$T/$m-u.kek" ]] && ok || bad "$m: no NEW left by the rotation killed"
		failure "a rotation that left it did not commit" $m rekey --db "$D" --new-kek-file "$T/$m-u.kek"
		has "$m: not committed: delete NEW" "(the database opens with the KEK given, not with $T/$m-u.kek): if an interrupted rotation of this database left it, delete $T/$m-u.kek and run the rotation again" "$err"
		run "${list[@]}"
		expect "$m: the database opens with the old KEK" 0 "$rc"
		rm "$T/$m-u.kek"
		run $m rekey --db "$D" --new-kek-file "$T/$m-u.kek"
		expect "$m: the rotation run again" 0 "$rc"
		run "${list[@]}" --kek-file "$T/$m-u.kek"
		expect "$m: the database opens with the new NEW" 0 "$rc"
	done
fi

finish
