#!/usr/bin/env bash
# `openrsp auc`: a subscriber's round trip through the CLI (add, vector, resync, list, show,
# delete), vectors cross-checked against `openrsp aka gen` with the published keys, the KEK
# file, K/OPc never printed nor stored in clear, usage errors, and `auc export` as far as it
# needs no osmo-hlr (refusals, files, standard output, a terminal, a reader gone).
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_auc.XXXXXX")
unset ORSP_KEK ORSP_AUC_DB
. "$(dirname "$0")/lib/common.bash"

# failure WHAT ARGS...: exit status 1 and one stderr line "openrsp: WHAT...".
failure() {
	local what=$1
	shift
	run "$@"
	if [[ $rc -eq 1 && "$err" == "openrsp: $what"* && $(wc -l <"$T/err") -eq 1 ]]; then
		ok
	else
		bad "failure '$what': rc=$rc stderr='$err' (args: $*)"
	fi
}
# tsv FILE COL...: the rows of a vector file, selected columns, tab-separated.
tsv() {
	"$PY" -c '
import csv, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
with open(sys.argv[1]) as f:
    rows = [r for r in csv.DictReader((l for l in f if l.strip() and not l.startswith("#")), delimiter="\t")]
for r in rows:
    print("\t".join(r[c] for c in sys.argv[2:]))' "$V/$1" "${@:2}"
}
# no_secret DESC TEXT: none of K, OP, OPc (either case) appears in TEXT.
no_secret() {
	local s
	for s in "$K" "$OP" "$OPC"; do
		if grep -qi -- "$s" <<<"$2"; then
			bad "$1 contains a key"
			return
		fi
	done
	ok
}
# file_has_bytes FILE HEX: does the file contain these bytes (or half of them)?
file_has_bytes() {
	"$PY" -c '
import sys
data = open(sys.argv[1], "rb").read()
k = bytes.fromhex(sys.argv[2])
sys.exit(0 if (k in data or k[:8] in data or k[8:] in data) else 1)' "$1" "$2"
}

IFS=$'\t' read -r K OP OPC < <(tsv milenage.tsv k op opc | head -1)
DB=$T/auc.db
A=(--db "$DB")
IMSI=001010000000001

# ----- add -----
run auc add "${A[@]}" --imsi $IMSI --k "$K" --op "$OP"
expect "add exit" 0 "$rc"
no_secret "add output" "$out$err"
expect "KEK file created 0600" 600 "$(stat -c %a "$DB.kek")"
expect "KEK file 32 bytes" 32 "$(stat -c %s "$DB.kek")"
expect "database 0600" 600 "$(stat -c %a "$DB")"
failure "auc add: subscriber $IMSI already exists" auc add "${A[@]}" --imsi $IMSI --k "$K" --opc "$OPC"
run auc add "${A[@]}" --imsi 001010000000002 --k "$K" --opc "$OPC" --amf b9b9 --sqn 0x40 --ind-bits 4 --sqn-delta 1000
expect "add second" 0 "$rc"

# ----- list / show never show keys -----
run auc list "${A[@]}"
expect "list exit" 0 "$rc"
no_secret "list" "$out"
expect "list rows" 3 "$(wc -l <<<"$out")"
run auc list "${A[@]}" --json
no_secret "list --json" "$out"
expect "list --json count" 2 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out")"
expect "list --json imsi" $IMSI "$(json 0 imsi)"
expect "list --json sqn" 000000000000 "$(json 0 sqn)"
expect "list --json amf default" 8000 "$(json 0 amf)"
expect "list --json ind_bits default" 5 "$(json 0 ind_bits)"
expect "list --json second amf" b9b9 "$(json 1 amf)"
expect "list --json second sqn" 000000000040 "$(json 1 sqn)"
expect "list --json second ind_bits" 4 "$(json 1 ind_bits)"
expect "list --json sqn_delta default" 268435456 "$(json 0 sqn_delta)"
expect "list --json second sqn_delta" 1000 "$(json 1 sqn_delta)"
run auc show "${A[@]}" $IMSI
no_secret "show" "$out"
# name: value lines, every value in one column (a space after the longest name)
if [[ "$out" == "IMSI:      $IMSI"$'\n'*$'\nIND bits:  5\nSQN delta: 268435456\nr1..r5:    '* ]]; then
	ok
else
	bad "show: values not in one column: '$out'"
fi
run auc show "${A[@]}" $IMSI --json
no_secret "show --json" "$out"
expect "show alg" milenage "$(json alg)"

# ----- vectors: SQN = SEQ || IND, each checked against aka gen with the published OPc -----
run auc vector "${A[@]}" $IMSI --count 3 --json
expect "vector exit" 0 "$rc"
no_secret "vector --json" "$out"
expect "3 vectors" 3 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out")"
vectors=$out
for i in 0 1 2; do
	out=$vectors
	jload $i
	declare -A W
	for f in "${!J[@]}"; do W[$f]=${J[$f]}; done
	expect "vector $i sqn (SEQ $((i + 1)), IND 0)" "$(printf '%012x' $(((i + 1) << 5)))" "${W[sqn]}"
	run aka gen --k "$K" --opc "$OPC" --rand "${W[rand]}" --sqn "${W[sqn]}" --amf "${W[amf]}" --json
	jload
	for f in mac_a xres ck ik ak autn; do
		expect "vector $i $f = aka gen" "${J[$f]}" "${W[$f]}"
	done
done
out=$vectors
if [[ "$(json 0 rand)" != "$(json 1 rand)" ]]; then ok; else bad "fresh RAND per vector"; fi
# Another IND, persisted SQN continues.
run auc vector "${A[@]}" $IMSI --ind 7 --json
expect "IND 7 sqn" "$(printf '%012x' $(((4 << 5) | 7)))" "$(json 0 sqn)"
# Text output, and --plmn derivations equal aka gen's.
run auc vector "${A[@]}" $IMSI --plmn 00101
expect "text vector exit" 0 "$rc"
rand=$(awk '$1 == "RAND:" {print $2}' <<<"$out")
sqn=$(awk '$1 == "SQN:" {print $2}' <<<"$out")
kasme=$(awk '$1 == "KASME:" {print $2}' <<<"$out")
kausf=$(awk '$1 == "KAUSF:" {print $2}' <<<"$out")
expect "text vector sqn" "$(printf '%012x' $((5 << 5)))" "$sqn"
run aka gen --k "$K" --opc "$OPC" --rand "$rand" --sqn "$sqn" --amf 8000 --plmn 00101 --json
expect "kasme = aka gen" "$(json kasme)" "$kasme"
expect "kausf = aka gen" "$(json kausf)" "$kausf"
run auc vector "${A[@]}" $IMSI --snn 5G:mnc001.mcc001.3gppnetwork.org --json
if "$PY" -c 'import json,sys; d=json.loads(sys.argv[1])[0]; sys.exit(0 if "xres_star" in d and "kseaf" in d and "kasme" not in d else 1)' "$out"; then ok; else bad "--snn adds 5G keys only"; fi
run auc list "${A[@]}" --json
expect "stored SQN" "$(printf '%012x' $((6 << 5)))" "$(json 0 sqn)"

# ----- vectors for EPS/5G (--plmn, --snn) carry the AMF separation bit whatever AMF the
# subscriber has (TS 33.401 §6.1.2, TS 33.501 §6.1.3.2); UMTS vectors keep the stored AMF -----
E=(--db "$T/eps.db")
run auc add "${E[@]}" --imsi $IMSI --k "$K" --opc "$OPC" --amf 0000
expect "add AMF 0000" 0 "$rc"
run auc vector "${E[@]}" $IMSI --plmn 00101
expect "EPS vector exit" 0 "$rc"
autn=$(awk '$1 == "AUTN:" {print $2}' <<<"$out")
expect "EPS vector: AMF 8000 in AUTN" 8000 "${autn:12:4}"
expect "EPS vector: the note" "openrsp: note: $IMSI has AMF 0000, without the separation bit; these vectors for EPS/5G use AMF 8000, as the UE requires" "$err"
rand=$(awk '$1 == "RAND:" {print $2}' <<<"$out")
sqn=$(awk '$1 == "SQN:" {print $2}' <<<"$out")
kasme=$(awk '$1 == "KASME:" {print $2}' <<<"$out")
run aka gen --k "$K" --opc "$OPC" --rand "$rand" --sqn "$sqn" --amf 8000 --plmn 00101 --json
expect "EPS vector: AUTN = aka gen with AMF 8000" "$(json autn)" "$autn"
expect "EPS vector: KASME = aka gen with AMF 8000" "$(json kasme)" "$kasme"
run auc vector "${E[@]}" $IMSI --snn 5G:mnc001.mcc001.3gppnetwork.org --json
expect "5G vector: amf 8000" 8000 "$(json 0 amf)"
expect "5G vector: AUTN's AMF 8000" 8000 "$(json 0 autn | cut -c13-16)"
run auc vector "${E[@]}" $IMSI --json
expect "UMTS vector: the stored AMF" 0000 "$(json 0 amf)"
expect "UMTS vector: AUTN's AMF 0000" 0000 "$(json 0 autn | cut -c13-16)"
expect "UMTS vector: no note" "" "$err"
run auc add "${E[@]}" --imsi 001010000000002 --k "$K" --opc "$OPC" --amf b9b9
run auc vector "${E[@]}" 001010000000002 --plmn 00101 --json
expect "EPS vector, AMF b9b9 has the bit: kept" b9b9 "$(json 0 amf)"
expect "EPS vector, AMF b9b9: no note" "" "$err"
run auc show "${E[@]}" $IMSI --json
expect "stored AMF unchanged" 0000 "$(json amf)"
run auc audit "${E[@]}" --imsi $IMSI --json
expect "audit: the EPS vector's use and AMF" "1 vector(s), IND 0, last SQN 000000000020, for EPS/5G, AMF 8000" "$(json 1 detail)"

# ----- resync with a published AUTS (milenage_auts.tsv) -----
IFS=$'\t' read -r rk ropc rrand rsqn rauts < <(tsv milenage_auts.tsv id k opc rand sqn_ms auts | awk -F'\t' '$1 == "wmnsk-ts35207-1-auts"' | cut -f2-)
run auc add "${A[@]}" --imsi 001010000000003 --k "$rk" --opc "$ropc"
expect "add resync subscriber" 0 "$rc"
bad_auts="${rauts:0:27}$(printf '%x' $(((16#${rauts:27:1}) ^ 1)))"
failure "auc resync: MAC-S verification failed" auc resync "${A[@]}" 001010000000003 --rand "$rrand" --auts "$bad_auts"
run auc show "${A[@]}" 001010000000003 --json
expect "SQN unchanged after bad AUTS" 000000000000 "$(json sqn)"
run auc resync "${A[@]}" 001010000000003 --rand "$rrand" --auts "$rauts" --json
expect "resync exit" 0 "$rc"
expect "resync sqn_ms" "$rsqn" "$(json sqn_ms)"
expect "resync reset (the USIM is ahead)" True "$(json reset)"
run auc vector "${A[@]}" 001010000000003 --ind 2 --json
next_sqn=$(printf '%012x' $(((((16#$rsqn) >> 5) + 1) << 5 | 2)))
expect "next SQN = SEQ_MS + 1, IND 2" "$next_sqn" "$(json 0 sqn)"
# the same AUTS replayed: SQN_HE is now in range, so it is kept, not rolled back
run auc resync "${A[@]}" 001010000000003 --rand "$rrand" --auts "$rauts"
expect "replayed resync exit" 0 "$rc"
expect "replayed resync: in range, kept" "SQN:      in range, kept" "$(grep '^SQN:' <<<"$out")"
run auc show "${A[@]}" 001010000000003 --json
expect "SQN kept after replayed AUTS" "$next_sqn" "$(json sqn)"

# ----- at rest: the database holds no K, OP or OPc bytes -----
for f in "$DB" "$DB-wal"; do
	[[ -e "$f" ]] || continue
	for s in "$K" "$OP" "$OPC" "$rk" "$ropc"; do
		if file_has_bytes "$f" "$s"; then bad "$(basename "$f") contains key bytes"; else ok; fi
	done

# ----- a -wal without its -shm, every commit in it in the file: what a writer killed between
# its close's two unlinks leaves (SQLite's close checkpoints the whole log, unlinks -shm, then
# -wal). A read-only verb reads the file and makes nothing (until session 77 refused, the hint
# naming `serve`, which the AuC has not); one with a commit the file has not is refused.
run auc list "${A[@]}"
listed=$out
cp "$DB" "$T/left.db"
cp "$DB.kek" "$T/left.kek"
"$PY" -c '
import shutil, sqlite3, sys
d = sys.argv[1]
con = sqlite3.connect(d + "/left.db", isolation_level=None)
con.execute("VACUUM")  # every page through the log, the content as it was
con.execute("PRAGMA wal_checkpoint(FULL)")
for s in ("", "-wal"):
    shutil.copy(d + "/left.db" + s, d + "/left2.db" + s)
con.executescript("CREATE TABLE zz (x); DROP TABLE zz;")  # a commit after the checkpoint
for s in ("", "-wal"):
    shutil.copy(d + "/left.db" + s, d + "/left3.db" + s)
con.close()' "$T"
cp "$T/left2.db-wal" "$T/left2.wal.saved"
run auc list --db "$T/left2.db" --kek-file "$T/left.kek"
expect "list beside a -wal the file holds" 0 "$rc"
expect "list beside a -wal the file holds: the subscribers" "$listed" "$out"
nothing_left "$T/left2.db-shm"
cmp -s "$T/left2.db-wal" "$T/left2.wal.saved" && ok || bad "a read-only list changed the -wal"
failure "auc list: $T/left3.db: $T/left3.db-wal is there without $T/left3.db-shm" auc list --db "$T/left3.db" --kek-file "$T/left.kek"
has "the refusal says why" "not a log whose commits are all in the file" "$err"
lacks "the refusal names no bare serve" '(`serve`' "$err"
nothing_left "$T/left3.db-shm"
done

# ----- KEK handling -----
cp "$DB.kek" "$T/kek.saved"
chmod 640 "$DB.kek"
failure "KEK: KEK file $DB.kek is accessible by group or others" auc list "${A[@]}"
chmod 600 "$DB.kek"
head -c 32 /dev/urandom >"$T/other.kek"
chmod 600 "$T/other.kek"
failure "$DB: wrong KEK" auc list "${A[@]}" --kek-file "$T/other.kek"
ORSP_KEK=$(od -An -tx1 -v "$DB.kek" | tr -d ' \n')
export ORSP_KEK
run auc list "${A[@]}" --kek-file "$T/other.kek"
expect "ORSP_KEK wins over --kek-file" 0 "$rc"
ORSP_KEK=00$(head -c 62 <<<"$ORSP_KEK")
failure "$DB: wrong KEK" auc list "${A[@]}"
ORSP_KEK=0011
usage ORSP_KEK auc list "${A[@]}"
# 64 zeros are no KEK, as a KEK file of 32 zero bytes is not
ORSP_KEK=$(printf '%064d' 0)
usage ORSP_KEK auc list "${A[@]}"
has "zero ORSP_KEK named" "holds 32 zero bytes, which is no KEK" "$err"
unset ORSP_KEK
cmp -s "$DB.kek" "$T/kek.saved" && ok || bad "KEK file unchanged"

# ----- init: an AuC without subscribers and its KEK file, for `smdp profile generate --auc`
# and `import --auc`, which take only one that exists; one there already, or another
# program's database, is refused and left as it was -----
run auc init --db "$T/init.db"
expect "init rc" 0 "$rc"
expect "init said" "created the AuC $T/init.db (no subscriber; KEK file $T/init.db.kek)" "$out"
expect "init: KEK file 0600" 600 "$(stat -c %a "$T/init.db.kek")"
expect "init: KEK file 32 bytes" 32 "$(stat -c %s "$T/init.db.kek")"
expect "init: database 0600" 600 "$(stat -c %a "$T/init.db")"
run auc list --db "$T/init.db" --json
expect "init: an AuC without subscribers" "[]" "$out"
run auc add --db "$T/init.db" --imsi $IMSI --k "$K" --opc "$OPC"
expect "init: add into it under its KEK" 0 "$rc"
cp "$T/init.db.kek" "$T/init.kek.before"
failure "auc init: $T/init.db holds an AuC already" auc init --db "$T/init.db"
cmp -s "$T/init.db.kek" "$T/init.kek.before" && ok || bad "init of an AuC there changed its KEK file"
run auc list --db "$T/init.db"
has "init of an AuC there: its subscriber stays" "$IMSI" "$out"
"$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("CREATE TABLE t(x)"); c.commit()' "$T/other.db"
failure "auc init: $T/other.db holds no AuC but other tables (an SM-DP+ database?)" auc init --db "$T/other.db"
nothing_left "$T/other.db.kek"
# ORSP_KEK set: its key is the new AuC's, no KEK file made (as for add)
ORSP_KEK=$(printf '%064d' 7) run auc init --db "$T/init-env.db"
expect "init with ORSP_KEK said" "created the AuC $T/init-env.db (no subscriber; its KEK is the ORSP_KEK key)" "$out"
nothing_left "$T/init-env.db.kek"
ORSP_KEK=$(printf '%064d' 7) run auc list --db "$T/init-env.db" --json
expect "init with ORSP_KEK: opens under it" "[]" "$out"
# a database that cannot be created (its directory missing): the KEK file made for it is
# removed again
failure "$T/nodir/i.db: cannot create" auc init --db "$T/nodir/i.db" --kek-file "$T/i.kek"
nothing_left "$T/i.kek" "$T/nodir"
# nor a KEK file (its directory missing): the KEK file's failure, not "no KEK file at"
# (which sends the user after a --kek-file typo)
failure "KEK: cannot create KEK file $T/nodir/i.kek: No such file or directory" auc init --db "$T/i.db" --kek-file "$T/nodir/i.kek"
nothing_left "$T/i.db" "$T/nodir"
usage --db auc init --db ""
usage extra auc init --db "$T/init2.db" extra
nothing_left "$T/init2.db" "$T/init2.db.kek"
rm -f "$T"/init* "$T"/other.db*

# ----- defaults: $ORSP_AUC_DB, then openrsp-auc.db in the current directory -----
ORSP_AUC_DB=$DB run auc list --json
expect "ORSP_AUC_DB" 3 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out")"
mkdir "$T/cwd"
(cd "$T/cwd" && "$B" auc add --imsi 00101 --k "$K" --opc "$OPC" >/dev/null)
if [[ -f "$T/cwd/openrsp-auc.db" && -f "$T/cwd/openrsp-auc.db.kek" ]]; then ok; else bad "default database in cwd"; fi

# ----- a database path that does not exist: only add creates one; every other verb refuses
# it before anything is created (no empty database, no new KEK file beside it) -----
# nodb WHAT ARGS...: openrsp auc ARGS with the missing database; the message names it.
nodb() {
	local what=$1
	shift
	failure "$what: no AuC database at $T/typo.db (\`openrsp auc init\` or \`auc add\` creates one)" "$@"
	if compgen -G "$T/typo*" >/dev/null; then
		bad "$what with a missing database left $(echo "$T"/typo*)"
		rm -f "$T"/typo*
	else
		ok
	fi
}
N=(--db "$T/typo.db")
nodb "auc vector" auc vector "${N[@]}" $IMSI
nodb "auc resync" auc resync "${N[@]}" $IMSI --rand "$rrand" --auts "$rauts"
nodb "auc list" auc list "${N[@]}"
nodb "auc list" auc list "${N[@]}" --json
nodb "auc show" auc show "${N[@]}" $IMSI
nodb "auc delete" auc delete "${N[@]}" $IMSI
nodb "auc secret" auc secret "${N[@]}" $IMSI puk1
nodb "auc secret" auc secret "${N[@]}" $IMSI --list
nodb "auc export" auc export "${N[@]}" --format osmo-hlr-vty $IMSI --out "$T/typo.vty"
nodb "auc audit" auc audit "${N[@]}"
nodb "auc list" auc list --db "sqlite:$T/typo.db"
nodb "auc show" auc show --db "sqlite:$T/typo.db" --kek-file "$T/typo.db.kek" $IMSI
ORSP_AUC_DB=$T/typo.db nodb "auc list" auc list
# a database without its KEK file (a --kek-file typo, a copy restored without it): refused,
# no KEK file written where the real one belongs
failure "auc list: no KEK file at $T/typo.kek for $DB" auc list "${A[@]}" --kek-file "$T/typo.kek"
nothing_left "$T/typo.kek"
cp "$DB" "$T/copy.db"
failure "auc audit: no KEK file at $T/copy.db.kek for $T/copy.db" auc audit --db "$T/copy.db"
failure "auc vector: no KEK file at $T/copy.db.kek" auc vector --db "$T/copy.db" $IMSI
nothing_left "$T/copy.db.kek"
# add too: only a database that did not exist gets a new KEK file
failure "auc add: no KEK file at $T/copy.db.kek for $T/copy.db" auc add --db "$T/copy.db" --imsi 001010000000002 --k "$K" --opc "$OPC"
nothing_left "$T/copy.db.kek"
cp "$DB.kek" "$T/copy.db.kek"
run auc list --db "$T/copy.db" --json
expect "a copy with its KEK" 3 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out")"
rm -f "$T"/copy.db*
# a new database that cannot be created (its directory missing): the KEK file add created for
# it is removed again; one that was there before is left as it was
failure "$T/nodir/n.db: cannot create" auc add --db "$T/nodir/n.db" --kek-file "$T/n.kek" --imsi $IMSI --k "$K" --opc "$OPC"
nothing_left "$T/n.kek" "$T/nodir"
cp "$DB.kek" "$T/n.kek"
failure "$T/nodir/n.db: cannot create" auc add --db "$T/nodir/n.db" --kek-file "$T/n.kek" --imsi $IMSI --k "$K" --opc "$OPC"
cmp -s "$DB.kek" "$T/n.kek" && ok || bad "a KEK file there before the failed add was changed"
rm -f "$T/n.kek"
# a KEK file named like the database or one of SQLite's files beside it (which SQLite deletes
# or takes over, the KEK with it): a usage error before anything is made, for a new database
# and an existing one, a file: URI and another spelling of the directory too
for s in -journal -wal -shm; do
	usage --kek-file auc add --db "$T/own.db" --kek-file "$T/own.db$s" --imsi $IMSI --k "$K" --opc "$OPC"
	has "--kek-file $s named" "KEK file $T/own.db$s is the" "$err"
	usage --kek-file auc add --db "file://$T/own.db" --kek-file "$T/./own.db$s" --imsi $IMSI --k "$K" --opc "$OPC"
	usage --kek-file auc list "${A[@]}" --kek-file "$DB$s"
done
usage --kek-file auc add --db "$T/own.db" --kek-file "$T/own.db" --imsi $IMSI --k "$K" --opc "$OPC"
has "--kek-file the database itself" "is the database $T/own.db itself" "$err"
nothing_left "$T/own.db" "$T/own.db-journal" "$T/own.db-wal" "$T/own.db-shm"
# a path that is not a regular file: refused by every verb, add included, before any KEK
mkdir "$T/dir.db"
failure "auc list: $T/dir.db is a directory, not a database file" auc list --db "$T/dir.db"
failure "auc add: $T/dir.db is a directory, not a database file" auc add --db "$T/dir.db" --imsi $IMSI --k "$K" --opc "$OPC"
nothing_left "$T/dir.db.kek"
rmdir "$T/dir.db"
# another program's database (the SM-DP+'s): no verb puts an AuC into it
schema() { "$PY" -c 'import sqlite3, sys; print(sorted(sqlite3.connect(sys.argv[1]).execute("SELECT type, name FROM sqlite_master").fetchall()))' "$1"; }
run smdp profile import "$V/saip/pysim-unique/TS48V1-A-UNIQUE.der" --db "$T/s.db"
expect "an SM-DP+ database" 0 "$rc"
tables=$(schema "$T/s.db")
# the way out is not `auc add`, which refuses it (it was named so until session 68)
failure "auc list: $T/s.db holds no AuC but other tables (an SM-DP+ database?): the AuC needs a database of its own" auc list --db "$T/s.db" --kek-file "$T/s.db.kek"
failure "auc show: $T/s.db holds no AuC" auc show --db "$T/s.db" --kek-file "$T/s.db.kek" $IMSI
failure "auc add: $T/s.db holds no AuC but other tables (an SM-DP+ database?): the AuC needs a database of its own" auc add --db "$T/s.db" --imsi $IMSI --k "$K" --opc "$OPC"
expect "the SM-DP+ database: no table added" "$tables" "$(schema "$T/s.db")"
rm -f "$T"/s.db*
# another program's database, with no KEK file beside it: what is wrong is the database,
# said before any KEK file is looked for (it said "no KEK file at ...", as if one were lost)
"$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("CREATE TABLE t(x)"); c.commit()' "$T/o.db"
failure "auc list: $T/o.db holds no AuC but other tables" auc list --db "$T/o.db"
failure "auc add: $T/o.db holds no AuC but other tables (an SM-DP+ database?): the AuC needs a database of its own" auc add --db "$T/o.db" --imsi $IMSI --k "$K" --opc "$OPC"
nothing_left "$T/o.db.kek"
rm -f "$T"/o.db*
# an empty file is no AuC either, but add may create one in it
: >"$T/empty.db"
ORSP_KEK=$(printf '%064d' 7) failure "auc list: $T/empty.db holds no AuC" auc list --db "$T/empty.db"
failure "auc list: $T/empty.db holds no AuC" auc list --db "$T/empty.db"
nothing_left "$T/empty.db.kek"
ORSP_KEK=$(printf '%064d' 7) run auc add --db "$T/empty.db" --imsi $IMSI --k "$K" --opc "$OPC"
expect "add into an empty file" 0 "$rc"
rm -f "$T"/empty.db*
# without ORSP_KEK: the empty file is a new database, its KEK file made beside it (it asked
# for a KEK file that could not exist until session 68)
: >"$T/empty.db"
chmod 600 "$T/empty.db"
failure "auc list: $T/empty.db holds no AuC (\`openrsp auc init\` or \`auc add\` creates one)" auc list --db "$T/empty.db"
run auc add --db "$T/empty.db" --imsi $IMSI --k "$K" --opc "$OPC"
expect "add into an empty file, no ORSP_KEK" 0 "$rc"
expect "its KEK file made, 0600" 600 "$(stat -c %a "$T/empty.db.kek")"
run auc list --db "$T/empty.db"
expect "listed under that KEK" 0 "$rc"
rm -f "$T"/empty.db*
# an SQLite file: URI names the file it resolves to: the same database, its KEK beside it
run auc list --db "file:$DB" --json
expect "file: URI" 3 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out")"
run auc list --db "file://$DB?mode=rw" --json
expect "file:// URI with a query" 3 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out")"
# mode=rwc, SQLite's read-write-create, taken by a verb that creates nothing as mode=rw (until
# session 68 every verb refused it, add too: "access mode not allowed: rwc")
run auc list --db "file:$DB?mode=rwc" --json
expect "file: URI with mode=rwc" 3 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out")"
failure "auc list: no AuC database at file:$T/typo.db (\`openrsp auc init\` or \`auc add\` creates one)" auc list --db "file:$T/typo.db"
nothing_left "$T/typo.db" "$T/typo.db.kek" "$T/file:$T/typo.db"
run auc add --db "file:$T/uri.db" --imsi $IMSI --k "$K" --opc "$OPC"
expect "add with a file: URI" 0 "$rc"
expect "file: URI: database 0600" 600 "$(stat -c %a "$T/uri.db")"
expect "file: URI: KEK beside it" 600 "$(stat -c %a "$T/uri.db.kek")"
run auc show --db "$T/uri.db" $IMSI
expect "file: URI: the same database by its path" 0 "$rc"
rm -f "$T"/uri.db*
run auc add --db "file:$T/rwc.db?mode=rwc" --imsi $IMSI --k "$K" --opc "$OPC"
expect "add with mode=rwc" 0 "$rc"
expect "mode=rwc: database 0600" 600 "$(stat -c %a "$T/rwc.db")"
rm -f "$T"/rwc.db*
# a file: URI that turns SQLite's locks off (two processes could hand out one SQN): refused
# by add (no database, no KEK file) and by the other verbs
failure "auc add: file:$T/nolock.db?nolock=1: nolock (or vfs=unix-none) turns SQLite's file locks off" \
	auc add --db "file:$T/nolock.db?nolock=1" --imsi $IMSI --k "$K" --opc "$OPC"
nothing_left "$T/nolock.db" "$T/nolock.db.kek"
failure "auc vector: file:$DB?vfs=unix-none: nolock (or vfs=unix-none)" auc vector --db "file:$DB?vfs=unix-none" $IMSI
failure "auc list: PostgreSQL is not supported by this build" auc list --db postgres://x
failure "auc add: PostgreSQL is not supported by this build" auc add --db postgres://x --imsi $IMSI --k "$K" --opc "$OPC"
nothing_left postgres:

# an empty --db (a script's unset variable) is a usage error, not the default database
# incwd ARGS...: openrsp ARGS run in $T/cwd (which has the default database), as run does
incwd() {
	rc=0
	out=$(cd "$T/cwd" && "$B" "$@" 2>"$T/err") || rc=$?
	err=$(cat "$T/err")
}
incwd auc delete --db "" 00101
expect "--db '': usage error" "2 openrsp: --db: empty path" "$rc $err"
incwd auc list --db "" --json
expect "--db '': no list of the default database" "2 " "$rc $out"
incwd auc show 00101
expect "--db '': the subscriber of the default database kept" 0 "$rc"
# so is an empty --kek-file, for every verb that opens the AuC (it read as "no KEK file given")
for v in "list" "show 00101" "backup --out $T/kb.db" "audit" "add --imsi 001010000000999 --k $K --opc $OPC"; do
	# shellcheck disable=SC2086
	incwd auc $v --kek-file ""
	expect "auc $v --kek-file '': usage error" "2 openrsp: --kek-file: empty path" "$rc $err"
done
if [[ -e "$T/kb.db" ]]; then bad "auc backup --kek-file '': a backup was written"; else ok; fi
ORSP_AUC_DB="" incwd auc list --json
expect "empty ORSP_AUC_DB: the default database" 1 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out")"

# auc secret with one word: the NAME hint only when it is an IMSI
usage NAME auc secret "${A[@]}" $IMSI
has "secret IMSI: --list hint" "NAME: required (--list prints the names stored for the IMSI)" "$err"
usage IMSI auc secret "${A[@]}" puk1
expect "secret NAME: the IMSI error" "openrsp: IMSI: expected 5 to 15 decimal digits" "$err"

# ----- delete -----
run auc delete "${A[@]}" 001010000000002
expect "delete exit" 0 "$rc"
failure "auc delete: no subscriber with IMSI 001010000000002" auc delete "${A[@]}" 001010000000002
failure "auc vector: no subscriber" auc vector "${A[@]}" 001010000000002
failure "auc resync: no subscriber" auc resync "${A[@]}" 001010000000002 --rand "$rrand" --auts "$rauts"
run auc list "${A[@]}" --json
expect "2 left" 2 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out")"

# ----- usage errors -----
usage --imsi auc add "${A[@]}" --k "$K" --opc "$OPC"
usage --imsi auc add "${A[@]}" --imsi 0010 --k "$K" --opc "$OPC"
usage --imsi auc add "${A[@]}" --imsi 0010100000000012 --k "$K" --opc "$OPC"
usage --imsi auc add "${A[@]}" --imsi 00101000000000x --k "$K" --opc "$OPC"
usage --k auc add "${A[@]}" --imsi 001010000000009 --opc "$OPC"
usage --k auc add "${A[@]}" --imsi 001010000000009 --k "${K}0" --opc "$OPC"
usage --opc auc add "${A[@]}" --imsi 001010000000009 --k "$K"
usage --alg auc add "${A[@]}" --imsi 001010000000009 --k "$K" --opc "$OPC" --alg xor
usage --amf auc add "${A[@]}" --imsi 001010000000009 --k "$K" --opc "$OPC" --amf 80
usage --sqn auc add "${A[@]}" --imsi 001010000000009 --k "$K" --opc "$OPC" --sqn 281474976710656
# a usage error in an option before the keys (or -h) overwrites them before it is said
for early in "--frob" "-h" "--imsi 001010000000009 --imsi 001010000000009"; do
	# shellcheck disable=SC2086 # $early: options and their values
	hidden_while_said "auc add $early" "$K $OPC" auc add "${A[@]}" $early --k "$K" --opc "$OPC"
done
# an option given twice is refused, not the last value taken; a key's values are not shown
usage --imsi auc add "${A[@]}" --imsi 001010000000009 --k "$K" --opc "$OPC" --imsi 001010000000008
has "--imsi twice" "given twice" "$err"
usage --amf auc add "${A[@]}" --imsi 001010000000009 --k "$K" --opc "$OPC" --amf 8000 --amf=0000
usage --sqn auc add "${A[@]}" --imsi 001010000000009 --k "$K" --opc "$OPC" --sqn 1 --sqn 2
usage --ind-bits auc add "${A[@]}" --imsi 001010000000009 --k "$K" --opc "$OPC" --ind-bits 5 --ind-bits 5
usage --opc auc add "${A[@]}" --imsi 001010000000009 --k "$K" --opc "$OPC" --opc "$OPC"
lacks "--opc twice: the key not said" "$OPC" "$err"
run auc list "${A[@]}"
lacks "a refused repeat added nothing" 001010000000009 "$out"
usage --sqn auc add "${A[@]}" --imsi 001010000000009 --k "$K" --opc "$OPC" --sqn -1
usage --ind-bits auc add "${A[@]}" --imsi 001010000000009 --k "$K" --opc "$OPC" --ind-bits 9
usage --keccak auc add "${A[@]}" --imsi 001010000000009 --alg tuak --k "$K" --topc "$OPC$OPC" --keccak 256
usage --keccak auc add "${A[@]}" --imsi 001010000000009 --alg tuak --k "$K" --top "$OPC$OPC" --keccak 65536
usage --sqn-delta auc add "${A[@]}" --imsi 001010000000009 --k "$K" --opc "$OPC" --sqn-delta 281474976710656
usage --nope auc add "${A[@]}" --imsi 001010000000009 --k "$K" --opc "$OPC" --nope
usage -x auc add "${A[@]}" --imsi 001010000000009 --opc "$OPC" --k "$K" -xy
lacks "-xy after --k: K not shown" "$K" "$err"
# --opc forgotten: the OPc is a stray argument, named by its place, not echoed
usage "argument 1" auc add "${A[@]}" --imsi 001010000000009 --k "$K" "$OPC"
lacks "stray OPc not shown" "$OPC" "$err"
usage "argument 2" auc vector "${A[@]}" $IMSI "$(printf 'a%.0s' {1..65})"
usage IMSI auc vector "${A[@]}"
usage IMSI auc vector "${A[@]}" 12ab
usage 001010000000002 auc vector "${A[@]}" $IMSI 001010000000002
usage --count auc vector "${A[@]}" $IMSI --count 0
usage --count auc vector "${A[@]}" $IMSI --count 33
usage --ind auc vector "${A[@]}" $IMSI --ind 32
usage --ind auc vector "${A[@]}" $IMSI --ind x
usage --plmn auc vector "${A[@]}" $IMSI --plmn 1
usage --db auc vector --db
# a database SQLite keeps in memory: what add wrote would be lost at exit (it said "added",
# and left an empty file named ":memory:" and a KEK file beside it); nothing is made
cd "$T"
usage --db auc add --db :memory: --imsi 001010000000009 --k "$K" --opc "$OPC"
cd - >/dev/null
has "--db :memory: said" "an in-memory database" "$(cat "$T/err")"
if [[ -e "$T/:memory:" || -e "$T/:memory:.kek" ]]; then bad "--db :memory: made a file"; else ok; fi
usage --db auc add --db "file:$T/m.db?mode=memory" --imsi 001010000000009 --k "$K" --opc "$OPC"
usage --db auc list --db "sqlite:file:$T/m.db?vfs=memdb"
ORSP_AUC_DB=:memory: usage ORSP_AUC_DB auc list
usage --rand auc resync "${A[@]}" $IMSI --auts "$rauts"
usage --auts auc resync "${A[@]}" $IMSI --rand "$rrand"
usage --auts auc resync "${A[@]}" $IMSI --rand "$rrand" --auts "${rauts}00"
usage IMSI auc resync "${A[@]}" --rand "$rrand" --auts "$rauts"
usage IMSI auc delete "${A[@]}"
usage --json auc delete "${A[@]}" $IMSI --json
usage extra auc list "${A[@]}" extra
usage frob auc frob
# No SQN was spent by the refused commands.
run auc show "${A[@]}" $IMSI --json
expect "SQN after usage errors" "$(printf '%012x' $((6 << 5)))" "$(json sqn)"

# ----- output that cannot be written: exit 1 and one line, although the SQN is spent (it
# was stored before the vector was printed, so that no vector is ever handed out twice) -----
for fmt in --json ""; do
	rc=0
	# shellcheck disable=SC2086
	"$B" auc vector "${A[@]}" $IMSI $fmt >/dev/full 2>"$T/err" || rc=$?
	expect "vector ${fmt:-text} to a full disk" \
		"1 openrsp: standard output: write failed: No space left on device" "$rc $(cat "$T/err")"
	rc=0
	# shellcheck disable=SC2086
	"$B" auc vector "${A[@]}" $IMSI $fmt >&- 2>"$T/err" || rc=$?
	expect "vector ${fmt:-text} to a closed stdout" \
		"1 openrsp: standard output: write failed: Bad file descriptor" "$rc $(cat "$T/err")"
done
run auc show "${A[@]}" $IMSI --json
expect "SQN spent by the vectors not written" "$(printf '%012x' $((10 << 5)))" "$(json sqn)"

# ----- help: every verb's synopsis shows the database options, and every option of a
# synopsis has its line in the options list -----
for v in add vector resync list show delete secret export audit; do
	run auc "$v" --help
	syn=$(sed -n '1,/^$/p' <<<"$out")
	has "auc $v synopsis: --kek-file" "[--kek-file PATH]" "$syn"
	while read -r o; do
		if grep -qE -- "^  (.* \| )?$o( |$)" <<<"$out"; then ok; else bad "auc $v --help: no options line for $o"; fi
	done < <(grep -oE -- '--[a-z][a-z-]*' <<<"$syn" | sort -u)
done
run auc resync --help
has "auc resync --help: the range is the subscriber's delta" "by 1..Δ, Δ the subscriber's --sqn-delta: default 2^28;" "$out"
lacks "auc resync --help: no fixed 2^28 range" "by 1..2^28" "$out"
run auc export --help
has "auc export --help: AUTS only under an IND the AuC used" "a USIM may refuse its first vector as too" "$out"
has "auc export --help: freshness per IND" "(freshness is per IND, TS 33.102 C.2.2)" "$out"
run auc secret --help
expect "auc secret: both synopsis lines with --kek-file" 2 "$(sed -n '1,/^$/p' <<<"$out" | grep -c -- '--kek-file PATH')"

# ----- export (osmo-hlr-vty): what needs no osmo-hlr (tests/cli/osmo_hlr.sh feeds it to one) -----
E=(--db "$T/exp.db")
EXP=(auc export "${E[@]}" --format osmo-hlr-vty)
EI=001010000000101
run auc add "${E[@]}" --imsi $EI --k "$K" --opc "$OPC"
expect "export: add" 0 "$rc"
# audit ROW: how many export audit rows with that result
audit_rows() { "$PY" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM auc_audit WHERE action = '"'export'"' AND result = ?", (sys.argv[2],)).fetchone()[0])' "$T/exp.db" "$1"; }
# a reader gone before the first byte (a pipe whose read end is closed, SIGPIPE's default
# action restored for openrsp): exit 1 naming the write, and a "not written" row after the
# export's own, not a process killed by SIGPIPE
"$PY" -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE, restore_signals=True)
sys.stderr.buffer.write(p.stderr)
sys.exit(128 - p.returncode if p.returncode < 0 else p.returncode)' \
	"$B" "${EXP[@]}" --all --out - 2>"$T/err" && rc=0 || rc=$?
err=$(cat "$T/err")
expect "export into a closed pipe: rc (not SIGPIPE's 141)" 1 "$rc"
expect "export into a closed pipe: message" "openrsp: auc export: write to the output failed: Broken pipe" "$err"
expect "export into a closed pipe: export row" 1 "$(audit_rows ok)"
expect "export into a closed pipe: not written row" 1 "$(audit_rows "not written")"
# refused before anything is written: TUAK, an unknown IMSI (named), --all with a TUAK
# subscriber; usage errors
EI2=001010000000102
run auc add "${E[@]}" --imsi $EI2 --k "$K" --opc "$OPC" --ind-bits 3 --amf 0000
expect "export: add (IND 3 bits)" 0 "$rc"
run auc add "${E[@]}" --imsi 001019999999999 --alg tuak --k "$K" --topc "$OPC$OPC"
expect "export: add (TUAK)" 0 "$rc"
# a TUAK subscriber with 256-bit CK: EPS/5G vectors refused saying why, not advising
# --ck-bits, which auc vector has not (AuC walkthrough, session 71)
run auc add "${E[@]}" --imsi 001019999999997 --alg tuak --k "$K" --topc "$OPC$OPC" --ck-bits 256
expect "add (TUAK, 256-bit CK)" 0 "$rc"
run auc vector "${E[@]}" 001019999999997 --snn 5G:mnc001.mcc001.3gppnetwork.org
expect "vector --snn, 256-bit CK: usage" 2 "$rc"
has "vector --snn, 256-bit CK: why" "this subscriber's TUAK CK or IK has 256 bits, fixed at \`auc add\`: no EPS or 5G keys can be derived for it" "$err"
lacks "vector --snn, 256-bit CK: no --ck-bits advice" "--ck-bits" "$err"
run auc delete "${E[@]}" 001019999999997
expect "delete (TUAK, 256-bit CK)" 0 "$rc"
failure "auc export: subscriber 001019999999999: TUAK cannot be exported to osmo-hlr" \
	"${EXP[@]}" $EI 001019999999999 --out "$T/refused.vty"
if [[ ! -e "$T/refused.vty" ]]; then ok; else bad "refused export (TUAK) left a file"; fi
failure "auc export: no subscriber with IMSI 001010000000000" "${EXP[@]}" $EI 001010000000000 --out "$T/refused.vty"
if [[ ! -e "$T/refused.vty" ]]; then ok; else bad "refused export (unknown IMSI) left a file"; fi
failure "auc export: subscriber 001019999999999: TUAK" "${EXP[@]}" --all --out "$T/refused.vty"
if [[ ! -e "$T/refused.vty" ]]; then ok; else bad "refused export (--all) left a file"; fi
usage --out "${EXP[@]}" $EI
usage IMSI "${EXP[@]}" --out "$T/refused.vty"
usage IMSI "${EXP[@]}" --all $EI --out "$T/refused.vty"
# an IMSI given twice: a usage error, before the database is opened (it was exit 1, after)
usage IMSI "${EXP[@]}" $EI $EI --out "$T/refused.vty"
has "an IMSI twice" "$EI given twice" "$err"
# a stray argument beside --all is not echoed: it may be a key whose option name was left out
usage IMSI "${EXP[@]}" --all 465b5ce8b199b49faa5f0a2ee238a6bc --out "$T/refused.vty"
lacks "--all and a key-like argument: not echoed" 465b5ce8b199b49faa5f0a2ee238a6bc "$err"
usage --format auc export "${E[@]}" --format csv $EI --out "$T/refused.vty"
# no --format: there is no default format to write keys in
usage --format auc export "${E[@]}" $EI --out "$T/refused.vty"
expect "auc export without --format: said" "openrsp: --format: required" "$err"
usage --to-terminal "${EXP[@]}" $EI --out "$T/refused.vty" --to-terminal
if [[ ! -e "$T/refused.vty" ]]; then ok; else bad "a usage error left a file"; fi
expect "refused exports read no key" 1 "$(audit_rows ok)"
# SIGTERM (SIGINT, SIGHUP) ends an export with nothing written: exit 1, no file, no key read
# (killed by it, the process left its file behind, empty or cut). Here it comes while the
# export waits for the database, whose write lock another connection holds until then
# (test_auc's test_export_interrupted stops one whose file is made).
term_while_locked "$T/exp.db" /dev/null "$T/err" "$B" "${EXP[@]}" $EI --out "$T/stopped.vty"
expect "interrupted export: rc (not SIGTERM's 143)" 1 "$rc"
expect "interrupted export: message" "openrsp: auc export: interrupted: nothing exported" "$(cat "$T/err")"
nothing_left "$T/stopped.vty"
expect "interrupted export read no key" 1 "$(audit_rows ok)"
# a new file, 0600, the commands; the summary names no key
run "${EXP[@]}" $EI $EI2 --out "$T/export.vty"
expect "export rc" 0 "$rc"
expect "export summary" "exported 2 subscribers to $T/export.vty (K and OPc in the clear)" "$out"
no_secret "export summary" "$out$err"
expect "export file mode" 600 "$(stat -c %a "$T/export.vty")"
has "export file" "subscriber imsi $EI update aud3g milenage k ${K,,} opc ${OPC,,} ind-bitlen 5" "$(cat "$T/export.vty")"
has "export file (IND 3)" "subscriber imsi $EI2 update aud3g milenage k ${K,,} opc ${OPC,,} ind-bitlen 3" "$(cat "$T/export.vty")"
expect "export rows" 3 "$(audit_rows ok)"
# an existing file: refused, left as it was, nothing read
cp "$T/export.vty" "$T/export.before"
failure "auc export: $T/export.vty already exists" "${EXP[@]}" $EI --out "$T/export.vty"
if cmp -s "$T/export.vty" "$T/export.before"; then ok; else bad "existing export file changed"; fi
expect "existing file: no export row" 3 "$(audit_rows ok)"
# standard output when asked (a file of mode 0600): the same text, the summary on stderr
(umask 077 && "$B" "${EXP[@]}" $EI $EI2 --out - >"$T/export.stdout" 2>"$T/err") && rc=0 || rc=$?
expect "--out - rc" 0 "$rc"
if cmp -s "$T/export.stdout" "$T/export.vty"; then ok; else bad "--out - differs from the file"; fi
expect "--out - summary" "exported 2 subscribers to standard output (K and OPc in the clear)" "$(cat "$T/err")"
# nor a file others may read (made by the shell with umask 022), --to-terminal or not:
# refused before the database is opened, nothing written, no audit row
for tt in "" --to-terminal; do
	rm -f "$T/export.open"
	(umask 022 && "$B" "${EXP[@]}" $EI --out - $tt >"$T/export.open" 2>"$T/err") && rc=0 || rc=$?
	expect "--out - into a 0644 file $tt: usage" 2 "$rc"
	has "--out - into a 0644 file $tt: named" "standard output is a file that others may read (mode 0644)" "$(cat "$T/err")"
	expect "--out - into a 0644 file $tt: nothing written" 0 "$(stat -c %s "$T/export.open")"
done
expect "--out - into a 0644 file: no export row" 5 "$(audit_rows ok)"
# auc secret prints a value (a PUK, an ADM key, a security domain's OTA key) the same way:
# not into a file others may read, refused before the database is opened; --list's names may
rm -f "$T/secret.open"
(umask 022 && "$B" auc secret "${E[@]}" $EI puk1 >"$T/secret.open" 2>"$T/err") && rc=0 || rc=$?
expect "auc secret into a 0644 file: usage" 2 "$rc"
has "auc secret into a 0644 file: named" "standard output is a file that others may read (mode 0644)" "$(cat "$T/err")"
# the verb and what it prints named (it said "NAME: ... the keys", session 71's AuC walkthrough)
has "auc secret into a 0644 file: the verb and the secret" "openrsp: auc secret: standard output is a file that others may read (mode 0644): the secret would be readable" "$(cat "$T/err")"
# an IMSI with no subscriber is said so, as the other verbs say it, not as a secret missing
{ "$B" auc secret "${E[@]}" 001019999999998 puk1 2>"$T/err" </dev/null | cat >/dev/null; } || true
has "auc secret of an unknown IMSI" "no subscriber with IMSI 001019999999998" "$(cat "$T/err")"
(umask 022 && "$B" auc secret "${E[@]}" $EI --list >"$T/secret.open" 2>"$T/err") && rc=0 || rc=$?
expect "auc secret --list into a 0644 file" 0 "$rc"
# nor into a file of another user's, whatever its mode (root writing where nobody reads; its
# mode alone was looked at until session 68)
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	rm -f "$T/secret.other"
	install -o nobody -m 600 /dev/null "$T/secret.other"
	"$B" auc secret "${E[@]}" $EI puk1 >"$T/secret.other" 2>"$T/err" && rc=0 || rc=$?
	expect "auc secret into another user's file: usage" 2 "$rc"
	has "auc secret into another user's file: named" "standard output is a file of another user" "$(cat "$T/err")"
	expect "auc secret into another user's file: nothing written" 0 "$(stat -c %s "$T/secret.other")"
fi
# a terminal only with --to-terminal (script(1) gives the command one)
if command -v script >/dev/null; then
	o=$(script -qec "$B ${EXP[*]} $EI --out -" /dev/null </dev/null || true)
	has "terminal refused" "standard output is a terminal" "$o"
	lacks "terminal: no key" "$K" "$o"
	o=$(script -qec "$B ${EXP[*]} $EI --out - --to-terminal" /dev/null </dev/null || true)
	has "--to-terminal: the commands" "subscriber imsi $EI update aud3g" "$o"
else
	echo "script(1) not installed: the terminal cases are not run"
fi

# ----- audit: the log read back (read-only), filtered, limited, as JSON; never a key -----
U=(--db "$T/audit.db")
run auc audit "${U[@]}"
expect "audit: a missing database" "openrsp: auc audit: no AuC database at $T/audit.db (\`openrsp auc init\` or \`auc add\` creates one)" "$err"
run auc add "${U[@]}" --imsi 001010000000201 --k "$K" --opc "$OPC"
run auc add "${U[@]}" --imsi 001010000000202 --k "$K" --opc "$OPC"
run auc vector "${U[@]}" 001010000000201 --count 2
run auc resync "${U[@]}" 001010000000201 --rand "$rrand" --auts "$bad_auts"
expect "audit: a failed resync" 1 "$rc"
run auc export "${U[@]}" --format osmo-hlr-vty 001010000000202 --out -
run auc delete "${U[@]}" 001010000000202
run auc audit "${U[@]}"
expect "audit rc" 0 "$rc"
no_secret "audit" "$out$err"
expect "audit: header and 6 rows" 7 "$(wc -l <<<"$out")"
expect "audit: header" "TIME ACTION IMSI RESULT DETAIL" "$(head -1 <<<"$out" | tr -s ' ')"
expect "audit: actions, oldest first" "add add vectors resync export delete" "$(awk 'NR > 1 {printf "%s%s", (NR > 2 ? " " : ""), $2}' <<<"$out")"
if [[ "$(sed -n 4p <<<"$out")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\ +vectors\ +001010000000201\ +ok\ +2\ vector\(s\),\ IND\ 0,\ last\ SQN\ 000000000040$ ]]; then ok; else bad "audit: vectors row '$(sed -n 4p <<<"$out")'"; fi
has "audit: resync refused" "001010000000201  verify failed  MAC-S mismatch" "$out"
has "audit: export" "001010000000202  ok             osmo-hlr-vty to standard output" "$out"
run auc audit "${U[@]}" --json
expect "audit --json rc" 0 "$rc"
no_secret "audit --json" "$out"
expect "audit --json: 6 rows" 6 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out")"
jload 2
expect "audit --json action" vectors "${J[action]}"
expect "audit --json imsi" 001010000000201 "${J[imsi]}"
expect "audit --json result" ok "${J[result]}"
expect "audit --json detail" "2 vector(s), IND 0, last SQN 000000000040" "${J[detail]}"
expect "audit --json fields" "action detail id imsi result time" "$(printf '%s\n' "${!J[@]}" | sort | tr '\n' ' ' | sed 's/ $//')"
run auc audit "${U[@]}" --imsi 001010000000202 --json
expect "audit --imsi" "add export delete" "$("$PY" -c 'import json,sys; print(" ".join(r["action"] for r in json.loads(sys.argv[1]) if r["imsi"] == "001010000000202"))' "$out")"
expect "audit --imsi: that IMSI only" 3 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out")"
run auc audit "${U[@]}" --limit 2
expect "audit --limit 2: the newest two, oldest first" "export delete" "$(awk 'NR > 1 {printf "%s%s", (NR > 2 ? " " : ""), $2}' <<<"$out")"
run auc audit "${U[@]}" --imsi 001010000000201 --limit 1 --json
expect "audit --imsi --limit" resync "$(json 0 action)"
run auc audit "${U[@]}" --imsi 001010000000299
expect "audit: no rows" "no audit rows" "$out"
run auc audit "${U[@]}" --json
expect "audit: reading wrote no row" 6 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out")"
usage --imsi auc audit "${U[@]}" --imsi 0010
usage --limit auc audit "${U[@]}" --limit 0
usage --limit auc audit "${U[@]}" --limit x
usage extra auc audit "${U[@]}" extra
# a relative --out: the audit row names the file by its absolute name
mkdir "$T/rel"
(cd "$T/rel" && "$B" auc export "${U[@]}" --format osmo-hlr-vty 001010000000201 --out ../rel/./out.vty >/dev/null)
run auc audit "${U[@]}" --limit 1 --json
expect "export audit: the file's absolute name" "osmo-hlr-vty to $(realpath "$T/rel")/out.vty" "$(json 0 detail)"

# an export in a directory deeper than PATH_MAX: refused with the reason first (not cut
# from the message by the long path), the file removed, no export row
nrows() { "$B" auc audit "${U[@]}" --json | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
rows=$(nrows)
deep=$("$PY" -c '
import os, subprocess, sys
os.chdir(sys.argv[1])
for _ in range(20):
    os.mkdir("d" * 250)
    os.chdir("d" * 250)
p = subprocess.run(sys.argv[2:] + ["--out", "deep.vty"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
print(p.returncode, os.path.exists("deep.vty"), p.stderr.decode().strip())' \
	"$T/rel" "$B" auc export "${U[@]}" --format osmo-hlr-vty 001010000000201)
expect "deep export: exit 1, file removed, the reason" \
	"1 False openrsp: auc export: path too long: deep.vty" "$deep"
expect "deep export: no export row" "$rows" "$(nrows)"
rm -rf "$T/rel/$(printf 'd%.0s' {1..250})"

# a file name that is not UTF-8 (0xff) or holds a C1 control (U+009B): '?' in the text, and
# --json is valid JSON in UTF-8 (a strict decoder reads it)
run auc export "${U[@]}" --format osmo-hlr-vty 001010000000201 --out "$T/rel/x"$'\xff'"y"$'\xc2\x9b'"z.vty"
expect "export to an odd name" 0 "$rc"
"$B" auc audit "${U[@]}" --limit 1 --json >"$T/audit.json"
expect "audit --json: UTF-8 JSON, odd bytes as '?'" "osmo-hlr-vty to $(realpath "$T/rel")/x?y?z.vty" \
	"$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))[0]["detail"])' "$T/audit.json")"
run auc audit "${U[@]}" --limit 1
has "audit: odd bytes as '?'" "/x?y?z.vty" "$out"
if LC_ALL=C grep -q $'\xc2\x9b\|\xff' <<<"$out"; then bad "audit text passes a C1 control or a non-UTF-8 byte"; else ok; fi
# the same in a --json summary, which prints the name as it is: each byte of no well-formed
# UTF-8 sequence (0xff; the encoded surrogate ed a0 80) is U+FFFD, a C1 control \u009b,
# other UTF-8 (é) kept; strict UTF-8 and JSON
odd="$T/rel/b"$'\xff'"c"$'\xc2\x9b'"d"$'\xc3\xa9\xed\xa0\x80'"e.bak"
"$B" auc backup "${U[@]}" --out "$odd" --json >"$T/backup.json"
expect "backup --json to an odd name: UTF-8 JSON" \
	"$(realpath "$T/rel")/b\ufffdc\x9bd\xe9\ufffd\ufffd\ufffde.bak" \
	"$("$PY" -c 'import json,sys; print(ascii(json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))["path"])[1:-1])' "$T/backup.json")"
if LC_ALL=C grep -q $'\xc2\x9b\|\xff' "$T/backup.json"; then bad "backup --json passes a C1 control or a non-UTF-8 byte"; else ok; fi

# ----- the KEK file's directories are judged as the sealed store's are (since session 75; only
# the links on its path were before, and each of these was taken): one that others may write in
# without the sticky bit, or another user's, is refused with what to do, and nothing is made;
# a sticky one (as /tmp) is taken -----
mkdir -m 0777 "$T/open"
failure "KEK: KEK file $T/open/a.db.kek: group or others may write in the directory $T/open on its path (mode 0777)" auc init --db "$T/open/a.db"
has "directory others may write in: what to do" "chmod go-w $T/open (or chmod +t it)" "$err"
nothing_left "$T/open/a.db" "$T/open/a.db.kek"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 0755 "$T/open"
	chown nobody "$T/open"
	failure "KEK: KEK file $T/open/a.db.kek: the directory $T/open on its path is owned by uid $(id -u nobody), not by this user (uid 0) or root: that user may put anything in it; choose a path of your own" auc init --db "$T/open/a.db"
	nothing_left "$T/open/a.db" "$T/open/a.db.kek"
	chown 0 "$T/open"
fi
chmod 1777 "$T/open"
run auc init --db "$T/open/a.db"
expect "a sticky directory: auc init ($err)" 0 "$rc"
[[ -f "$T/open/a.db.kek" ]] && ok || bad "a sticky directory: no KEK file made"

rm -rf "$T"
finish
