#!/usr/bin/env bash
# `openrsp smdp`: import the TS.48 profiles (duplicates refused), list them (never key
# material), order by ICCID and by profile type with the activation code printed, the
# UPP not stored in clear, Profile Policy Rules set at import and generation, and usage
# errors.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_smdp.XXXXXX")
unset ORSP_KEK
. "$(dirname "$0")/lib/common.bash"


DB=$T/smdp.db
U=$V/saip/pysim-unique
G=$V/saip/gsma-ts48
TYPE="GSMA Generic eUICC Test Profile"

# One file: ICCID from pySim's README, IMSI from GSMA's .txt dump (EF.IMSI 080910101032540636).
run smdp profile import "$U/TS48V1-A-UNIQUE.der" --db "$DB"
expect "import rc" 0 "$rc"
expect "import line" "imported 8949449999999990023 (IMSI 001010123456063, type \"$TYPE\") from $U/TS48V1-A-UNIQUE.der" "$out"
expect "KEK file created 0600" 600 "$(stat -c %a "$DB.kek")"

# The same file again: duplicate ICCID. All TS.48 files share the IMSI: duplicate IMSI.
run smdp profile import "$U/TS48V1-A-UNIQUE.der" --db "$DB"
expect "duplicate rc" 1 "$rc"
expect "duplicate ICCID" "openrsp: $U/TS48V1-A-UNIQUE.der: ICCID 8949449999999990023 already imported" "$err"
run smdp profile import "$U" --db "$DB"
expect "directory rc" 1 "$rc"
expect "directory summary" "0 imported, 18 failed" "$(tail -1 <<<"$out")"
expect "IMSI duplicates named" 17 "$(grep -c 'IMSI 001010123456063 already imported' <<<"$err")"

# GSMA's v7 profile into a second database (the GSMA ICCID 89000123456789012341).
DB2=$T/smdp2.db
run smdp profile import "$G/v7" --db "$DB2"
expect "v7 rc (shared IMSI)" 1 "$rc"
expect "v7 one imported" "1 imported, 3 failed" "$(tail -1 <<<"$out")"
run smdp profile list --db "$DB2" --json
expect "v7 ICCID" "89000123456789012341" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["iccid"])' <<<"$out")"

# A file that is not a profile package.
head -c 100 /dev/urandom >"$T/junk.der"
run smdp profile import "$T/junk.der" --db "$DB"
expect "junk rc" 1 "$rc"
# Bad input changes nothing: the file is judged before the database is opened, which would
# migrate an older one (here one migration behind, in rollback-journal mode); a directory of
# nothing but such files too
older "$T/old.db" "$DB" "$SMDP_ONE_BEHIND"
failure "junk.der: PE #0" smdp profile import "$T/junk.der" --db "$T/old.db"
untouched "junk into an older database" "$T/old.db"
mkdir -p "$T/junkdir"
cp "$T/junk.der" "$T/junkdir/a.der"
: >"$T/junkdir/b.der"
run smdp profile import "$T/junkdir" --db "$T/old.db"
expect "a directory of junk: rc and summary" "1 0 imported, 2 failed" "$rc $out"
has "a directory of junk: the file named" "$T/junkdir/a.der: PE #0" "$err"
untouched "a directory of junk into an older database" "$T/old.db"
# with a package after the junk, the database is opened (and migrated) for it
cp "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_BERTLV_SUCI.der" "$T/junkdir/c.der"
run smdp profile import "$T/junkdir" --db "$T/old.db"
expect "junk, then a package: rc and summary" "1 1 imported, 2 failed" "$rc $(tail -1 <<<"$out")"
has "junk, then a package: imported" "from $T/junkdir/c.der" "$out"
if cmp -s "$T/old.db" "$T/old.db.orig"; then bad "junk, then a package: not migrated"; else ok; fi
# In a directory: entries named *.der that are not regular files (a directory; a FIFO, which
# must not block the open waiting for a writer), and an empty file
mkdir -p "$T/odd/a.der"
: >"$T/odd/b.der"
mkfifo "$T/odd/c.der"
rc=0
out=$(timeout 60 "$B" smdp profile import "$T/odd" --db "$DB" 2>"$T/err") || rc=$?
err=$(cat "$T/err")
expect "odd directory rc" 1 "$rc"
has "odd: not a regular file" "openrsp: $T/odd/a.der: not a regular file" "$err"
has "odd: empty file" "openrsp: $T/odd/b.der: empty file" "$err"
has "odd: a FIFO" "openrsp: $T/odd/c.der: not a regular file" "$err"
has "odd: summary" "0 imported, 3 failed" "$out"
# An entry whose path would not fit 4095 bytes (a directory named by a long path, here one of
# many "./"): named as a failure, not only counted (until session 65)
mkdir -p "$T/long"
lname=$(printf 'p%.0s' {1..246}).der
: >"$T/long/$lname"
ldir=$T/long/$(printf './%.0s' $(seq 1 $(((3900 - ${#T}) / 2))))
run smdp profile import "$ldir" --db "$DB"
expect "a path too long: rc and summary" "1 0 imported, 1 failed" "$rc $out"
has "a path too long: named" "openrsp: $lname: its path in " "$err"
has "a path too long: why" " is longer than 4095 bytes" "$err"
# A directory without a *.der file: a failure (the wrong directory, or packages not named
# *.der), not "0 imported, 0 failed" and exit 0; no database is created for it
mkdir -p "$T/nothing"
: >"$T/nothing/profile.bin"
run smdp profile import "$T/nothing" --db "$T/nothing.db"
expect "no *.der rc" 1 "$rc"
expect "no *.der message" "openrsp: $T/nothing: no *.der file in this directory" "$err"
expect "no *.der: nothing on stdout" "" "$out"
if [[ -e "$T/nothing.db" ]]; then bad "no *.der: a database was created"; else ok; fi

# A database that does not exist: the verbs that work on profiles already there refuse it
# and create nothing (it was created empty, with a new KEK file: a typo in --db listed
# "no profiles"); import and generate create it, and take it away again with its new KEK
# file when they fail before storing anything
left() { (shopt -s nullglob && cd "$T" && f=("$1"*) && echo "${f[*]}"); }
NO="no SM-DP+ database at $T/typo.db (\`openrsp smdp profile import\` or \`generate\` creates one)"
failure "smdp order: $NO" smdp order --db "$T/typo.db" --iccid 8949449999999990023 --fqdn smdp.example.com
failure "smdp profile list: $NO" smdp profile list --db "$T/typo.db"
failure "smdp profile list: $NO" smdp profile list --db "$T/typo.db" --count --json
failure "smdp audit: $NO" smdp audit --db "$T/typo.db"
failure "smdp reports: $NO" smdp reports --db "sqlite:$T/typo.db" --json
failure "smdp backup: $NO" smdp backup --db "$T/typo.db" --out "$T/typo-backup.db"
# an empty --out (a script's unset variable) is named before the database is looked at
usage --out smdp backup --db "$T/typo.db" --out ""
expect "smdp backup --out '': said" "openrsp: --out: empty path" "$err"
expect "missing database: nothing created" "" "$(left typo)"
failure "junk.der: PE #0" smdp profile import "$T/junk.der" --db "$T/typo.db"
expect "failed import: no new database left" "" "$(left typo)"
ORSP_KEK=$(printf '%064d' 7) failure "junk.der: PE #0" smdp profile import "$T/junk.der" --db "$T/typo.db"
expect "failed import with ORSP_KEK: no new database left" "" "$(left typo)"
# a database whose directory is missing: its new KEK file cannot be made there, which is
# said so (not "no KEK file at", which sends the user after a --kek-file typo)
failure "KEK: cannot create KEK file $T/nodir/typo.db.kek: No such file or directory" smdp profile import "$U/TS48V1-A-UNIQUE.der" --db "$T/nodir/typo.db"
nothing_left "$T/nodir"
mkdir -p "$T/both"
cp "$T/junk.der" "$T/both/b.der"
run smdp profile import "$T/both" --db "$T/typo.db"
expect "a directory failing: rc" 1 "$rc"
expect "a directory failing: no new database left" "" "$(left typo)"
# a KEK file that was there stays; one made beside a database that could not be made goes
head -c 32 /dev/urandom >"$T/typo.kek"
chmod 600 "$T/typo.kek"
failure "junk.der: PE #0" smdp profile import "$T/junk.der" --db "$T/typo.db" --kek-file "$T/typo.kek"
expect "failed import: the given KEK file kept" "typo.kek" "$(left typo)"
failure "cannot create" smdp profile import "$U/TS48V1-A-UNIQUE.der" --db "$T/nodir/typo.db" \
	--kek-file "$T/typo2.kek"
expect "no directory for the database: no KEK file left" "typo.kek" "$(left typo)"
# generate: refused at the first profile (the AuC named is the SM-DP+'s database, no AuC)
failure "holds no AuC" smdp profile generate --db "$T/typo.db" --template "$U/TS48V1-A-UNIQUE.der" \
	--iccid-start 898824700000009000 --imsi-start 001019000000900 --auc "$DB"
expect "failed generate: no new database left" "typo.kek" "$(left typo)"
# a partial import keeps what it imported
cp "$U/TS48V1-A-UNIQUE.der" "$T/both/a.der"
run smdp profile import "$T/both" --db "$T/typo.db"
expect "partial import: rc" 1 "$rc"
has "partial import: summary" "1 imported, 1 failed" "$out"
run smdp profile list --db "$T/typo.db" --json
expect "partial import: the profile kept" 1 "$(grep -c '"iccid"' <<<"$out")"
rm -f "$T"/typo*

# DIR given with a trailing slash: the file names are not doubled-slashed
run smdp profile import "$G/v7/" --db "$T/slash.db"
has "trailing slash: one slash" "from $G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_BERTLV_SUCI.der" "$out"
lacks "trailing slash: no double slash" "v7//" "$out"

# list: text and JSON, no key material (K of TS.48 is 000102030405060708090A0B0C0D0E0F)
run smdp profile list --db "$DB"
expect "list rc" 0 "$rc"
expect "list rows" 2 "$(wc -l <<<"$out")"
[[ "$out" == *"8949449999999990023"*"available"* ]] && ok || bad "list shows the profile available"
run smdp profile list --db "$DB" --json
expect "json state" "available" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])' <<<"$out")"
[[ "${out,,}" != *"000102030405060708090a0b0c0d0e0f"* ]] && ok || bad "list prints K"

# The UPP is not in the database file in clear: search for 64 bytes of the package.
NEEDLE=$(od -An -tx1 -j 300 -N 64 "$U/TS48V1-A-UNIQUE.der" | tr -d ' \n')
HAY=$(od -An -tx1 -v "$DB" | tr -d ' \n')
[[ "$HAY" != *"$NEEDLE"* ]] && ok || bad "UPP stored in clear"
HAYK=$(od -An -tx1 -v "$DB" | tr -d ' \n')
[[ "$HAYK" == *"$(printf '8949449999999990023' | od -An -tx1 | tr -d ' \n')"* ]] && ok || bad "ICCID not found in the DB (needle check broken)"

# a confirmation code that cannot be used is refused before the order is placed
run smdp order --db "$DB" --iccid 8949449999999990023 --cc 'a b' --release --fqdn smdp.example.com
expect "order with a bad CC rc" 2 "$rc"
[[ "$err" == *"--cc"*"printable ASCII"* ]] && ok || bad "bad CC message: $err"
run smdp profile list --db "$DB" --json
[[ "$out" != *'"state": "allocated"'* && "$out" != *'"state":"allocated"'* ]] && ok || bad "an order was left open: $out"

# --cc is a secret: given once, and "-" reads it from standard input (here: nothing there)
usage --cc smdp order --db "$DB" --iccid 8949449999999990023 --cc 1234 --cc 5678 --fqdn smdp.example.com
usage --cc smdp order --db "$DB" --iccid 8949449999999990023 --cc - --fqdn smdp.example.com </dev/null

# order by ICCID with EID, matching ID, CC (from standard input) and release -> activation code
# a usage error in an option before --cc (or -h) overwrites the code before it is said: here
# the message waits on a full pipe, the code already gone (it stayed until the exit)
for early in "--frob" "-h" "--eid 1 --eid 1"; do
	# shellcheck disable=SC2086 # $early: options and their values
	hidden_while_said "smdp order $early" 24681357 smdp order --db "$DB" $early \
		--iccid 8949449999999990023 --cc 24681357 --fqdn smdp.example.com
	# shellcheck disable=SC2086
	hidden_while_said "smdp confirm $early" 24681357 smdp confirm --db "$DB" $early \
		--iccid 8949449999999990023 --cc=24681357 --fqdn smdp.example.com
done
run smdp order --db "$DB" --iccid 8949449999999990023 --eid 89049032123451234512345678901235 \
	--matching-id ABC-42 --cc - --release --fqdn smdp.example.com <<<1234
expect "order rc" 0 "$rc"
# with a confirmation code, the code carries SGP.22 §4.1's CC required flag (empty OID, "1")
expect "activation code" 'LPA:1$smdp.example.com$ABC-42$$1' "$out"
# which openrsp's LPA reads: without -c it asks for the code, before any eUICC is touched
ac=$out
run lpa profile download --euicc "local:$T/no-euicc" -a "$ac"
if [[ $rc -eq 1 && "$err" == *"this activation code needs a confirmation code: add -c CODE"* && ! -e "$T/no-euicc" ]]; then ok; else bad "LPA and the CC flag: rc=$rc $err"; fi
run smdp profile list --db "$DB" --json
expect "released" "released ABC-42 True 89049032123451234512345678901235" \
	"$(python3 -c 'import json,sys; p=json.load(sys.stdin)[0]; print(p["state"], p["matchingId"], p["ccRequired"], p["eid"])' <<<"$out")"
[[ "$out" != *"1234\""* ]] && ok || bad "list prints the CC"
# the same profile again: not available
run smdp order --db "$DB" --iccid 8949449999999990023 --fqdn smdp.example.com
expect "reorder rc" 1 "$rc"
[[ "$err" == "openrsp: downloadOrder: "*"not allowed in state released"* ]] && ok || bad "reorder message: $err"

# the audit log of that profile: import, order (the matching ID), confirm with release
run smdp audit --db "$DB" --iccid 8949449999999990023
expect "audit rc" 0 "$rc"
expect "audit rows" 4 "$(wc -l <<<"$out")"
[[ "$out" == *"downloadOrder"*"available"*"linked"*"ABC-42, EID 89049032123451234512345678901235"* ]] && ok || bad "audit order row: $out"
# (the EID has 1234 in it: left out of the search for the CC)
[[ "${out//89049032123451234512345678901235/}" != *1234* ]] && ok || bad "audit prints the CC"
run smdp audit --db "$DB" --json
expect "audit json" "import downloadOrder(eid) confirmOrder(release)" \
	"$(python3 -c 'import json,sys; print(" ".join(r["action"] for r in json.load(sys.stdin) if r["iccid"] == "8949449999999990023"))' <<<"$out")"
run smdp audit --db "$DB" --iccid 8988247000000010018
expect "audit of another ICCID" "no audit rows" "$out"
# --limit N: the newest N rows only, still oldest first (as `auc audit`), of one profile or all
run smdp audit --db "$DB" --iccid 8949449999999990023 --limit 2
expect "audit --limit 2: the newest two, oldest first" "downloadOrder(eid) confirmOrder(release)" \
	"$(awk 'NR > 1 {printf "%s%s", (NR > 2 ? " " : ""), $2}' <<<"$out")"
run smdp audit --db "$DB" --json
all=$out
run smdp audit --db "$DB" --limit 1 --json
expect "audit --limit 1: the newest row of all" \
	"$(python3 -c 'import json,sys; print(json.load(sys.stdin)[-1:])' <<<"$all")" \
	"$(python3 -c 'import json,sys; print(json.load(sys.stdin))' <<<"$out")"
run smdp audit --db "$DB" --limit 1000000000 --json
expect "audit --limit above the rows: all of them" "$all" "$out"
usage --limit smdp audit --db "$DB" --limit 0
usage --limit smdp audit --db "$DB" --limit x
usage --limit smdp audit --db "$DB" --limit 1000000001
usage --limit smdp reports --db "$DB" --limit 1
# no state change so far reports to the operator
run smdp reports --db "$DB"
expect "reports rc" 0 "$rc"
expect "no reports" "no progress reports" "$out"
run smdp reports --db "$DB" --json
expect "reports json" "[]" "$(tr -d ' \n' <<<"$out")"
# --resend queues the given-up reports again (of --iccid, else all); audit has no --resend
run smdp reports --db "$DB" --resend
expect "resend, none" "0 queued again: 0 progress reports given up" "$rc $out"
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("INSERT INTO smdp_progress (at, iccid, profile_type, point_id, success, attempts, next_at, done) VALUES (1, ?, ?, 3, 1, 10, 0, 2)", ("8949449999999990999", "t")); c.commit()' "$DB"
run smdp reports --db "$DB" --resend --iccid 8949449999999990023 --json
expect "resend, another ICCID" '0 {"resent":0}' "$rc $(tr -d ' \n' <<<"$out")"
run smdp reports --db "$DB" --resend --iccid 8949449999999990999
expect "resend one" "0 queued again: 1 progress report given up" "$rc $out"
run smdp reports --db "$DB" --json
expect "resent: pending, attempts 0" "pending 0" \
	"$(python3 -c 'import json,sys; r=json.load(sys.stdin)[0]; print(r["delivery"], r["attempts"])' <<<"$out")"
run smdp audit --db "$DB" --iccid 8949449999999990999
has "resend audited" "reportsResent" "$out"
usage --resend smdp audit --db "$DB" --resend
usage --iccid smdp reports --db "$DB" --resend --iccid 12ab
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM smdp_progress"); c.commit()' "$DB"
usage --iccid smdp audit --db "$DB" --iccid 12ab
# an in-memory database (the inventory would be lost at exit) is refused, nothing made
cd "$T"
usage --db smdp profile import --db :memory: "$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der"
cd - >/dev/null
if [[ -e "$T/:memory:" || -e "$T/:memory:.kek" ]]; then bad "smdp --db :memory: made a file"; else ok; fi
usage --db smdp order --db "file:$T/m.db?mode=memory" --iccid 8949449999999990023 --fqdn smdp.example.com
usage --iccid smdp reports --db "$DB" --iccid ""
usage "--db or --config" smdp audit
usage "--db or --config" smdp reports
usage "--db or --config" smdp audit --db ""
usage "--db or --config" smdp audit --kek-file "$DB.kek"
usage "--db or --config" smdp order --iccid 1 --fqdn a.b
# an empty --config or --auc is a usage error too (it was exit 1, --auc only after the first
# profile was built)
usage --config smdp profile list --config ""
usage --config smdp serve --config ""
usage --config smdp serve --config "" --check
usage --auc smdp profile generate --db "$T/ea.db" --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	--iccid-start 898824700000009100 --imsi-start 001019000000910 --auc ""
if [[ -e "$T/ea.db" ]]; then bad "a refused --auc '' made the database"; else ok; fi
# an empty --kek-file (a script's unset variable) is a usage error for every verb that opens
# the database, as for `openrsp auc`, also with ORSP_KEK set (it was read as "no KEK file
# given": the KEK from ORSP_KEK, or exit 1); nothing is made
for v in "audit" "reports" "order --iccid 8949449999999990023 --fqdn smdp.example.com" \
	"profile list" "profile import $U/TS48V1-A-UNIQUE.der" \
	"profile generate --no-auc --template $G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der --iccid-start 898824700000009000 --imsi-start 001019000000900 --count 1" \
	"rekey --new-kek-file $T/ek.kek" "backup --out $T/ek.bak"; do
	for kek in "" "$(od -An -tx1 "$DB.kek" | tr -d ' \n')"; do
		if [[ -n "$kek" ]]; then export ORSP_KEK=$kek; else unset ORSP_KEK; fi
		# shellcheck disable=SC2086
		run smdp $v --db "$T/ek.db" --kek-file ""
		expect "smdp ${v%% -*} --kek-file ''${kek:+ (ORSP_KEK set)}: usage error" \
			"2 openrsp: --kek-file: empty path" "$rc $err"
		# shellcheck disable=SC2086
		run smdp $v --db "$DB" --kek-file ""
		expect "smdp ${v%% -*} --kek-file '' on a database${kek:+ (ORSP_KEK set)}: usage error" \
			"2 openrsp: --kek-file: empty path" "$rc $err"
	done
	unset ORSP_KEK
done
for f in "$T/ek.db" "$T/ek.kek" "$T/ek.bak"; do
	if [[ -e "$f" ]]; then bad "a refused --kek-file '' made $f"; else ok; fi
done
usage --nope smdp reports --db "$DB" --nope
usage --iccid smdp profile list --db "$DB" --iccid 1x

# order by profile type: the one profile is taken; generated matching ID
run smdp order --db "$DB2" --profile-type "$TYPE" --fqdn smdp.example.com
expect "order by type rc" 0 "$rc"
[[ "$out" =~ ^LPA:1\$smdp\.example\.com\$[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$ ]] && ok || bad "generated AC: $out"
run smdp order --db "$DB2" --profile-type "$TYPE" --fqdn smdp.example.com
expect "none left rc" 1 "$rc"
[[ "$err" == *"no available profile of type"* ]] && ok || bad "none left message: $err"
run smdp profile list --db "$DB2"
[[ "$out" == *"allocated"* ]] && ok || bad "allocated state listed"

# wrong KEK
head -c 32 /dev/urandom >"$T/other.kek"
chmod 600 "$T/other.kek"
run smdp profile list --db "$DB" --kek-file "$T/other.kek"
expect "wrong KEK rc" 1 "$rc"
[[ "$err" == *"wrong KEK"* ]] && ok || bad "wrong KEK message: $err"

# usage errors
usage --fqdn smdp order --db "$DB" --iccid 1 --fqdn "bad_host"
usage --fqdn smdp order --db "$DB" --iccid 1 --fqdn 192.0.2.1
# one label: openrsp's LPA would refuse the activation code
usage --fqdn smdp order --db "$DB" --iccid 1 --fqdn smdp
has "--fqdn smdp" "not a DNS name: one label only" "$err"
usage --fqdn smdp order --db "$DB" --iccid 1
usage --iccid smdp order --db "$DB" --fqdn a.b
usage --iccid smdp order --db "$DB" --iccid 1 --profile-type x --fqdn a.b
usage --matching-id smdp order --db "$DB" --iccid 1 --fqdn a.b --matching-id "abc"
usage --eid smdp order --db "$DB" --iccid 1 --fqdn a.b --eid 123
# a --profile-type no profile can have (over 400 bytes, as ES2+) is judged before the open,
# which would migrate an older database; one of 400 bytes is looked for
older "$T/oold.db" "$DB" "$SMDP_ONE_BEHIND"
usage --profile-type smdp order --db "$T/oold.db" --profile-type "$(printf 't%.0s' {1..401})" --fqdn a.b
untouched "order, --profile-type too long" "$T/oold.db"
# (this one opens the database, which migrates it: the migration's line, then the refusal)
run smdp order --db "$T/oold.db" --profile-type "$(printf 't%.0s' {1..400})" --fqdn a.b
expect "unknown profile type: rc" 1 "$rc"
has "unknown profile type: the migration said" "the smdp schema was migrated from version 20 to 21" "$err"
has "unknown profile type: refused" "openrsp: downloadOrder: unknown profile type" "$err"
usage "--db or --config" smdp profile list
usage "--db or --config" smdp profile import "$U/TS48V1-A-UNIQUE.der"
# a FILE that is not there fails the run, as for profile inspect (a usage error until session
# 76), after the usage errors, nothing made
failure "$T/nope: cannot open" smdp profile import "$T/nope" --db "$DB"
expect "import of no file: the message" "openrsp: $T/nope: cannot open: No such file or directory" "$err"
failure "$T/nope: cannot open" smdp profile import "$T/nope" --db "$T/nope.db"
nothing_left "$T/nope.db" "$T/nope.db.kek"
usage --replace-orphans smdp profile import "$T/nope" --db "$DB" --replace-orphans
# the words of `openrsp aka frob` (three wordings until session 76)
usage profile smdp profile
expect "smdp profile: said" "openrsp: profile: expected a verb (see openrsp help smdp profile)" "$err"
usage frob smdp profile frob
expect "smdp profile frob: said" "openrsp: frob: unknown verb of smdp profile (see openrsp help smdp profile)" "$err"


# ----- profile generate: N personalised profiles from a template, keys into an AuC -----
GDB=$T/gen.db
AUC=$T/gen-auc.db
# --auc takes only an AuC that exists: one not there (a typo) or an empty file is refused,
# nothing made, saying how to create one (until session 73 generate created a second AuC
# with its KEK file, which got the keys the real one never saw; with ORSP_KEK set, the
# SM-DP+'s key, it was refused only as a new AuC under that key)
failure "--auc: no AuC database at $AUC (\`openrsp auc init --db $AUC\` creates one)" smdp profile generate --db "$GDB" --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" --iccid-start 898824700000001000 --imsi-start 001019000000000 --count 1 --auc "$AUC"
expect "a missing AuC: nothing made" "" "$(find "$T" -maxdepth 1 -name 'gen*')"
ORSP_KEK=$(printf '%064x' 7) failure "--auc: no AuC database at $AUC (\`openrsp auc init --db $AUC\` creates one)" smdp profile generate --db "$GDB" --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" --iccid-start 898824700000001000 --imsi-start 001019000000000 --count 1 --auc "$AUC"
expect "a missing AuC, ORSP_KEK set: nothing made" "" "$(find "$T" -maxdepth 1 -name 'gen*')"
: >"$AUC"
failure "--auc: $AUC holds no AuC (\`openrsp auc init --db $AUC\` creates one)" smdp profile generate --db "$GDB" --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" --iccid-start 898824700000001000 --imsi-start 001019000000000 --count 1 --auc "$AUC"
expect "an empty AuC file: nothing made" "$AUC" "$(find "$T" -maxdepth 1 -name 'gen*')"
expect "an empty AuC file: left empty" 0 "$(stat -c %s "$AUC")"
rm -f "$AUC"
run auc init --db "$AUC"
expect "auc init for generate" 0 "$rc"
run smdp profile generate --db "$GDB" --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" --iccid-start 898824700000001000 --imsi-start 001019000000000 --count 5 --auc "$AUC" --spn "Gen" --name "Generated"
expect "generate rc" 0 "$rc"
expect "generate line: what went to the AuC" "generated 5 profile(s), subscribers with K/OPc, PUK1, PUK2, ADM1, ADM2 and 6 security-domain keys each added to the AuC $AUC; 5 CDMA secrets each drawn at random, kept nowhere" "$out"
# each ISIM gets its IMSI's IMS identity (TS 23.003 §13): no more warning about a shared one
lacks "no ISIM warning" "ISIM" "$err"
# the CSIM's CDMA secrets (PE #17: A-Key, SSD, HRPD, Simple IP, Mobile IP) are drawn per
# profile (test_pkg test_personalise_cdma_keys); its identity is the template's, and a
# warning says so, the one line on stderr
expect "generate warns of the CSIM identity" "openrsp: warning: every profile generated keeps the CSIM identity (EF.IMSI_M, EF.IMSI_T) of $G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der: openrsp assigns no CDMA identity" "$err"
# stderr not a terminal (a log under nohup, cron, systemd): no bar, and a progress line every
# 30 s, none in a run this short (the exact stderr above); every 1 ms here (ORSP_TEST_PROGRESS_MS,
# for the tests only). Until session 79 nothing was said until the end (100,000 profiles: 7.5 min)
ORSP_TEST_PROGRESS_MS=1 run smdp profile generate --db "$T/gen-progress.db" --no-auc \
	--template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" --iccid-start 898824700000003000 \
	--imsi-start 001019000000300 --count 5
expect "generate, progress lines: rc" 0 "$rc"
has "generate, progress lines: the summary" "generated 5 profile(s); " "$out"
lines=$(grep -cE '^openrsp: generated [1-4] of 5 profile\(s\) in [0-9]+ s \([0-9]+/s, about [0-9]+ s left\)$' <<<"$err" || true)
[[ $lines -ge 1 ]] && ok || bad "generate, progress lines off a terminal: none in '$err'"
lacks "generate, progress lines: no bar off a terminal" "[#" "$err"
lacks "generate, progress lines: none at the end (the summary says it)" "generated 5 of 5" "$err"
# PUK1/2, ADM1/2 drawn per profile (TS.48's are public test values), kept wrapped in the AuC
secrets=()
for imsi in 001019000000000 001019000000001; do
	for n in puk1 puk2 adm1 adm2; do
		run auc secret "$imsi" "$n" --db "$AUC"
		[[ $rc -eq 0 && "$out" =~ ^[0-9]{8}$ ]] && ok || bad "auc secret $imsi $n: rc=$rc '$out'"
		secrets+=("$out")
	done
done
expect "card secrets all different" 8 "$(printf '%s\n' "${secrets[@]}" | sort -u | wc -l)"
for v in "${secrets[@]}"; do
	grep -q "$v" "$AUC" && bad "card secret $v in the AuC file in clear" || ok
done
usage NAME auc secret 001019000000000 pin1 --db "$AUC"
failure "no subscriber with IMSI 001019000009999" auc secret 001019000009999 puk1 --db "$AUC"
# The security domains' symmetric keys are drawn per profile too (TS.48's MNO-SD has three
# DES and three AES keys, KVN 01/02, KID 01..03, all 000102..0F): kept wrapped in the AuC
# under sd1-kvn<XX>-kid<YY>, printed as lower-case hex (as every command prints hex), one per
# profile and key.
SDK=(sd1-kvn01-kid01 sd1-kvn01-kid02 sd1-kvn01-kid03 sd1-kvn02-kid01 sd1-kvn02-kid02 sd1-kvn02-kid03)
run auc secret 001019000000000 --list --db "$AUC"
expect "auc secret --list" "adm1 adm2 puk1 puk2 ${SDK[*]}" "$(tr '\n' ' ' <<<"$out" | sed 's/ $//')"
sdkeys=()
for imsi in 001019000000000 001019000000001; do
	for n in "${SDK[@]}"; do
		run auc secret "$imsi" "$n" --db "$AUC"
		if [[ $rc -eq 0 && "$out" =~ ^[0-9a-f]{32}$ && "$out" != 000102030405060708090a0b0c0d0e0f ]]; then
			ok
		else
			bad "auc secret $imsi $n: rc=$rc '$out'"
		fi
		sdkeys+=("$n=$out")
	done
done
expect "SD keys all different" 12 "$(printf '%s\n' "${sdkeys[@]}" | cut -d= -f2 | sort -u | wc -l)"
# the DES keys (KVN 01) as personalisation writes them: odd parity in every byte
if python3 - "$AUC" "${sdkeys[@]}" <<'PY'; then ok; else bad "SD keys: parity or in the AuC file in clear"; fi
import sys
db = open(sys.argv[1], "rb").read()
for a in sys.argv[2:]:
    name, key = a.split("=")
    k = bytes.fromhex(key)
    assert k not in db, name
    if "kvn01" in name:
        assert all(bin(b).count("1") % 2 == 1 for b in k), name
PY
run auc secret 001019000000000 SD1-KVN01-KID01 --db "$AUC"
expect "SD key name in upper case" "${sdkeys[0]#*=}" "$out"
# the AuC's audit log: generate's add and a "card secret set" per secret (the name, never the
# value), a "card secret read" per read; --list is not audited
run auc audit --db "$AUC" --imsi 001019000000000 --json
expect "audit: add, then a card secret set per name" "add adm1 adm2 puk1 puk2 ${SDK[*]}" \
	"$(python3 -c 'import json, sys
r = json.loads(sys.argv[1])
print(" ".join([r[0]["action"]] + sorted(x["detail"] for x in r[1:11] if x["action"] == "card secret set")))' "$out")"
expect "audit: the reads" 11 "$(grep -o '"action":"card secret read"' <<<"$out" | wc -l)"
expect "audit: card secret set rows" 10 "$(grep -o '"action":"card secret set"' <<<"$out" | wc -l)"
for v in "${secrets[@]}" "${sdkeys[@]#*=}"; do
	lacks "audit: no secret value" "$v" "$out"
done
usage NAME auc secret 001019000000000 sd0-kvn01-kid01 --db "$AUC"
usage NAME auc secret 001019000000000 sd1-kvn1-kid01 --db "$AUC"
run auc secret 001019000000000 sd1-kvn1-kid1 --db "$AUC"
has "a short KVN/KID: the form asked for" "XX and YY: two hex digits each" "$err"
usage NAME auc secret 001019000000000 --db "$AUC"
has "no NAME: --list named" "required (--list prints the names stored for the IMSI)" "$err"
failure "no sd1-kvn03-kid01 stored for IMSI 001019000000000" auc secret 001019000000000 sd1-kvn03-kid01 --db "$AUC"
usage IMSI auc secret --list --db "$AUC"
failure "001019000009999" auc secret 001019000009999 --list --db "$AUC"
run smdp profile list --db "$GDB" --json
expect "generated profiles" 5 "$(grep -o '"iccid"' <<<"$out" | wc -l)"
if grep -q '"8988247000000010018"' <<<"$out" && grep -q '"001019000000004"' <<<"$out"; then ok; else bad "generated ICCID/IMSI sequence: $out"; fi
run auc list --db "$AUC"
expect "AuC subscribers" 5 "$(grep -c '^00101900000000' <<<"$out")"
# the same range again: refused at the first profile, nothing added to the AuC
run smdp profile generate --db "$GDB" --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" --iccid-start 898824700000001000 --imsi-start 001019000000010 --count 2 --auc "$AUC"
expect "duplicate range rc" 1 "$rc"
# an AuC with its own KEK file, ORSP_KEK set for the SM-DP+: the wrong KEK, and why
ORSP_KEK=$(printf '%064x' 7) run smdp profile generate --db "$T/gen-other.db" --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" --iccid-start 898824700000002000 --imsi-start 001019000000100 --count 1 --auc "$AUC"
expect "ORSP_KEK and the AuC's own KEK: rc" 1 "$rc"
expect "ORSP_KEK and the AuC's own KEK: why, and the new database removed again" \
	"openrsp: $AUC: wrong KEK: this database was created with another KEK (or rotated since: see rekey); ORSP_KEK is set, and is the AuC's KEK as well as the SM-DP+'s (unset it and give the SM-DP+'s with --kek-file)
openrsp: the new database $T/gen-other.db was removed again: nothing was kept" "$err"
expect "ORSP_KEK and the AuC's own KEK: no SM-DP+ database left" "" "$(find "$T" -maxdepth 1 -name 'gen-other*')"
run auc list --db "$AUC"
expect "AuC unchanged" 5 "$(grep -c '^0010190' <<<"$out")"
# the AuC takes the USIM's SQN range from the template's PE-AKAParameter: sqnDelta as its
# resync delta, the highest sqnInit as SEQ_HE (so the first vector is fresh for the USIM)
run profile build --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" --iccid 89882470000000990008 \
	--imsi 001019000000999 --k 000102030405060708090a0b0c0d0e0f --opc 000102030405060708090a0b0c0d0e0f \
	--sqn-delta 1000 --sqn-init 7 -o "$T/delta-tpl.der"
expect "template with sqnDelta rc" 0 "$rc"
run profile inspect "$T/delta-tpl.der"
has "template sqnDelta" "delta 0000000003E8" "$out"
"$B" auc init --db "$T/auc-delta.db" >/dev/null
run smdp profile generate --db "$T/gen-delta.db" --template "$T/delta-tpl.der" \
	--iccid-start 898824700000009000 --imsi-start 001019000000500 --count 1 --auc "$T/auc-delta.db"
expect "generate with sqnDelta rc" 0 "$rc"
run auc show 001019000000500 --db "$T/auc-delta.db" --json
expect "AuC delta from the template" "1000 0000000000e0" \
	"$(python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["sqn_delta"], j["sqn"])' <<<"$out")"
run auc list --db "$AUC" --json
expect "AuC delta default" 268435456 "$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["sqn_delta"])' <<<"$out")"
# --auc naming the --db file (also through `sqlite:`, another spelling of the path, or a
# file not created yet) is refused before anything is written: the two transactions would
# wait for each other
TPL=$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der
usage --auc smdp profile generate --db "$GDB" --template "$TPL" --iccid-start 898824700000008000 \
	--imsi-start 001019000000800 --auc "sqlite:$T/./$(basename "$GDB")"
mkdir -p "$T/new"
usage --auc smdp profile generate --db "$T/new/one.db" --template "$TPL" --iccid-start 898824700000008000 \
	--imsi-start 001019000000800 --auc "$T/new/../new/one.db"
expect "nothing created" "" "$(ls "$T/new")"
# an SQLite file: URI names the file the store opens, for this check and for the KEK file
usage --auc smdp profile generate --db "file:$T/new/one.db" --template "$TPL" --iccid-start 898824700000008000 \
	--imsi-start 001019000000800 --auc "$T/new/one.db"
usage --auc smdp profile generate --db "sqlite:file://localhost$T/new/one.db?mode=rwc" --template "$TPL" \
	--iccid-start 898824700000008000 --imsi-start 001019000000800 --auc "file:$T/new/%6fne.db"
expect "file: URI: nothing created" "" "$(ls "$T/new")"
# an AuC kept in memory would lose the keys of the profiles the SM-DP+ keeps
usage --auc smdp profile generate --db "$T/new/one.db" --template "$TPL" --iccid-start 898824700000008000 \
	--imsi-start 001019000000800 --auc :memory:
has "--auc :memory: said" "an in-memory database" "$err"
expect "--auc :memory:: nothing created" "" "$(ls "$T/new")"
rc=0
(cd "$T/new" && "$B" smdp profile import "$U/TS48V1-A-UNIQUE.der" --db file:x.db >/dev/null 2>"$T/err") || rc=$?
expect "file: URI: import rc" 0 "$rc"
expect "file: URI: the database and its KEK beside it" "x.db x.db.kek" "$(cd "$T/new" && echo *)"
rm -f "$T"/new/x.db*
usage --iccid-start smdp profile generate --no-auc --db "$GDB" --template x --iccid-start 12 --imsi-start 001019000000000
usage --imsi-start smdp profile generate --no-auc --db "$GDB" --template x --iccid-start 898824700000001000 --imsi-start 12a
usage --count smdp profile generate --no-auc --db "$GDB" --template x --iccid-start 898824700000001000 --imsi-start 001019000000000 --count 0
usage --template smdp profile generate --no-auc --db "$GDB" --iccid-start 898824700000001000 --imsi-start 001019000000000
# the two ranges have no default: each missing one named
usage --iccid-start smdp profile generate --no-auc --db "$GDB" --template x --imsi-start 001019000000000
expect "generate without --iccid-start: said" "openrsp: --iccid-start: required" "$err"
usage --imsi-start smdp profile generate --no-auc --db "$GDB" --template x --iccid-start 898824700000001000
expect "generate without --imsi-start: said" "openrsp: --imsi-start: required" "$err"
usage --template smdp profile generate --no-auc --db "$GDB" --template "" --iccid-start 898824700000001000 --imsi-start 001019000000000
usage "--db or --config" smdp profile generate --no-auc --template x --iccid-start 898824700000001000 --imsi-start 001019000000000
# where the keys go is a choice: without --auc each profile's random K/OPc (PUKs, ADM and OTA
# keys) are kept nowhere but in the SM-DP+'s sealed package, which a purge deletes; such a
# run is refused, nothing made, naming what would be lost and what to give (it said only
# "generated N profile(s)", exit 0, until session 73); --no-auc says it on purpose
usage --auc smdp profile generate --db "$T/choice.db" --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	--iccid-start 898824700000001000 --imsi-start 001019000000000
has "no --auc: what is kept nowhere" "each profile's random K/OPc (and its PUKs, ADM and OTA keys) would be kept nowhere but in the SM-DP+'s sealed package, which no command prints and a purge deletes" "$err"
has "no --auc: what to give" "give --auc AUC_DB (\`openrsp auc init --db AUC_DB\` creates one" "$err"
has "no --auc: or --no-auc" "or --no-auc for profiles nobody will authenticate" "$err"
usage --no-auc smdp profile generate --db "$T/choice.db" --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	--iccid-start 898824700000001000 --imsi-start 001019000000000 --no-auc --auc "$T/choice-auc.db"
nothing_left "$T/choice.db" "$T/choice.db.kek" "$T/choice-auc.db"
# the template is read as a regular file of bounded size (no unchecked seeking): a directory
# or a pipe is refused by name, before any database is opened
failure "$T: not a regular file" smdp profile generate --no-auc --db "$T/tpl.db" --template "$T" \
	--iccid-start 898824700000001000 --imsi-start 001019000000000
failure "not a regular file" smdp profile generate --no-auc --db "$T/tpl.db" --template <(cat "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der") \
	--iccid-start 898824700000001000 --imsi-start 001019000000000
[[ ! -e "$T/tpl.db" ]] && ok || bad "a refused template created the database"
# Bad input changes nothing: the first profile is made and judged, and the AuC of --auc looked
# at with its KEK file, before the database is opened, which would migrate an older one (one
# migration behind, in rollback-journal mode)
older "$T/gold.db" "$GDB" "$SMDP_ONE_BEHIND"
# gen_refused WORD DESC ARGS...: a generation into that copy (put back first) with ARGS
# refused, saying WORD, and the copy untouched
gen_refused() {
	cp "$T/gold.db.orig" "$T/gold.db"
	failure "$1" smdp profile generate --db "$T/gold.db" --template "$TPL" \
		--iccid-start 898824700000006000 --imsi-start 001019000000600 --count 2 "${@:3}"
	untouched "generate, $2" "$T/gold.db"
}
gen_refused "profile 1 of 2: spn: SPN: longer than 16 characters" "--spn too long" \
	--no-auc --spn 12345678901234567
gen_refused "profile 1 of 2: spn: SPN: character U+0001" "--spn not GSM" --no-auc --spn $'a\x01b'
gen_refused "profile 1 of 2: profile_name: must be 1 to 100" "--name too long" \
	--no-auc --name "$(printf 'n%.0s' {1..101})"
# an escape sequence the end user's terminal would act on (LPAs and `euicc info` show it)
gen_refused "profile 1 of 2: profile_name: holds a control character" "--name with ESC" \
	--no-auc --name $'red \e[31mname'
gen_refused "$T/junk.der: open: file is not a database" "--auc not a database" --auc "$T/junk.der"
gen_refused "is a directory, not a database file" "--auc a directory" --auc "$T"
gen_refused "no AuC database at $T/none/auc.db" "--auc in no directory" \
	--auc "$T/none/auc.db"
gen_refused "holds no AuC but other tables" "--auc the SM-DP+'s" --auc "$DB"
# an AuC a newer program migrated (found only once the SM-DP+ was opened, until session 65)
cp "$AUC" "$T/gnewer-auc.db"
cp "$AUC.kek" "$T/gnewer-auc.db.kek"
python3 -c 'import sqlite3, sys
d = sqlite3.connect(sys.argv[1])
d.execute("INSERT INTO schema_migrations (module, version, description, applied_at) VALUES (?, 99, ?, 0)", ("auc", "future"))
d.commit()' "$T/gnewer-auc.db"
gen_refused "auc schema version 99 is newer than this program" "--auc newer" --auc "$T/gnewer-auc.db"
# an AuC that is not there: nothing made, neither store (a new AuC and its KEK file were
# made before the SM-DP+ was opened, and removed again when that was refused, until
# session 73)
gen_refused "--auc: no AuC database at $T/gnew-auc.db" "--auc missing" --auc "$T/gnew-auc.db"
[[ ! -e "$T/gnew-auc.db" && ! -e "$T/gnew-auc.db.kek" ]] && ok || bad "a refused generate made an AuC"
# the SM-DP+'s KEK wrong: the AuC as it was
head -c 32 /dev/urandom >"$T/gwrong.kek"
chmod 600 "$T/gwrong.kek"
cp "$AUC" "$T/gauc-before.db"
gen_refused "wrong KEK" "wrong KEK" --auc "$AUC" --kek-file "$T/gwrong.kek"
cmp -s "$AUC" "$T/gauc-before.db" && ok || bad "a generate refused for the SM-DP+'s KEK changed the AuC"
# --keep-sd-keys: the template's security-domain keys in every profile, none in the AuC
"$B" auc init --db "$T/keep-auc.db" >/dev/null
run smdp profile generate --db "$T/keep.db" --template "$TPL" --iccid-start 898824700000007000 \
	--imsi-start 001019000000700 --auc "$T/keep-auc.db" --keep-sd-keys
expect "generate --keep-sd-keys rc" 0 "$rc"
expect "generate --keep-sd-keys line" "generated 1 profile(s), subscribers with K/OPc, PUK1, PUK2, ADM1 and ADM2 each added to the AuC $T/keep-auc.db; the template's security-domain keys kept (none in the AuC); 5 CDMA secrets each drawn at random, kept nowhere" "$out"
run auc secret 001019000000700 --list --db "$T/keep-auc.db"
expect "--keep-sd-keys: no SD key in the AuC" "adm1 adm2 puk1 puk2" "$(tr '\n' ' ' <<<"$out" | sed 's/ $//')"
# A template whose security domain holds a private key ('B1' in place of the first AES
# key's '88'): refused before anything is written, naming the way out
python3 - "$TPL" "$T/privkey-tpl.der" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
pat = bytes.fromhex("800188" "8610")
assert pat in b
open(sys.argv[2], "wb").write(b.replace(pat, bytes.fromhex("8001B1" "8610"), 1))
PY
failure "--keep-sd-keys keeps the template's" smdp profile generate --no-auc --db "$T/priv.db" \
	--template "$T/privkey-tpl.der" --iccid-start 898824700000007100 --imsi-start 001019000000710
has "private key named" "keyType B1 is part of a private key" "$err"
if [[ ! -e "$T/priv.db" ]]; then ok; else bad "a template with a private key created the database"; fi
run smdp profile generate --no-auc --db "$T/priv.db" --template "$T/privkey-tpl.der" \
	--iccid-start 898824700000007100 --imsi-start 001019000000710 --keep-sd-keys
expect "private key kept with --keep-sd-keys" 0 "$rc"

# --keep-cdma-keys: the template's CDMA secrets in every profile, with a warning
run smdp profile generate --no-auc --db "$T/keep-cdma.db" --template "$TPL" --iccid-start 898824700000007200 \
	--imsi-start 001019000000720 --count 2 --keep-cdma-keys
expect "generate --keep-cdma-keys rc" 0 "$rc"
expect "generate --keep-cdma-keys line" "generated 2 profile(s); K/OPc, PUK1, PUK2, ADM1, ADM2 and 6 security-domain keys each drawn at random, in no AuC (--no-auc); the template's CDMA secrets kept" "$out"
has "generate --keep-cdma-keys warns" "openrsp: warning: every profile generated keeps the 5 CDMA secrets (A-Key, SSD, HRPD/Simple IP/Mobile IP shared secrets) of $TPL (a GSMA TS.48 template's are published test values)" "$err"
# --json of a complete run says so, as a stopped one says it is not (below)
run smdp profile generate --no-auc --db "$T/json-gen.db" --template "$TPL" --iccid-start 898824700000007300 \
	--imsi-start 001019000000730 --count 2 --json
expect "generate --json complete" '{"generated":2,"complete":true}' "$out"
# A template whose HRPD block has an SS_LENGTH (31) running past its 17 bytes: refused before
# anything is written, naming the way out; taken with --keep-cdma-keys
python3 - "$TPL" "$T/cdma-bad-tpl.der" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
pat = bytes.fromhex("83118008101820")
assert b.count(pat) == 1
open(sys.argv[2], "wb").write(b.replace(pat, bytes.fromhex("8311f808101820")))
PY
failure "--keep-cdma-keys keeps the template's CDMA keys" smdp profile generate --no-auc --db "$T/cdma-bad.db" \
	--template "$T/cdma-bad-tpl.der" --iccid-start 898824700000007300 --imsi-start 001019000000730
has "HRPD block named" "PE #17 (cdmaParameter): hrpdAccessAuthenticationData" "$err"
if [[ ! -e "$T/cdma-bad.db" ]]; then ok; else bad "a template with a bad HRPD block created the database"; fi
run smdp profile generate --no-auc --db "$T/cdma-bad.db" --template "$T/cdma-bad-tpl.der" \
	--iccid-start 898824700000007300 --imsi-start 001019000000730 --keep-cdma-keys
expect "bad HRPD block kept with --keep-cdma-keys" 0 "$rc"

# the IMS identity is derived per profile: a template whose EF.IMPU records (32 bytes, descriptor
# 42210020) cannot hold the temporary IMPU is refused at the first profile, nothing imported;
# --keep-ims-identity leaves the template's identity and goes on
python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
old = bytes.fromhex("82044221004083026F04")
assert d.count(old) == 1
open(sys.argv[2], "wb").write(d.replace(old, bytes.fromhex("82044221002083026F04")))' \
	"$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" "$T/impu32.der"
failure "profile 1 of 2: PE #18 (isim): ef-impu: the IMPU sip:001019000000700@ims.mnc001.mcc001.3gppnetwork.org does not fit the record of 32 bytes" \
	smdp profile generate --no-auc --db "$T/impu32.db" --template "$T/impu32.der" \
	--iccid-start 898824700000007000 --imsi-start 001019000000700 --count 2
# nothing imported: the database made for it is gone with its KEK file
expect "impu32: no database left" "" "$(left impu32.db)"
# with --auc: the template's refusal comes first, before the AuC is looked at
failure "profile 1 of 2: PE #18 (isim): ef-impu" smdp profile generate --db "$T/impu32.db" \
	--template "$T/impu32.der" --iccid-start 898824700000007000 --imsi-start 001019000000700 \
	--count 2 --auc "$T/impu32-auc.db"
expect "impu32 --auc: no database left" "impu32.der" "$(left impu32)"
run smdp profile generate --no-auc --db "$T/impu32.db" --template "$T/impu32.der" \
	--iccid-start 898824700000007000 --imsi-start 001019000000700 --count 2 --keep-ims-identity
expect "--keep-ims-identity rc" 0 "$rc"
expect "--keep-ims-identity line" "generated 2 profile(s); K/OPc, PUK1, PUK2, ADM1, ADM2 and 6 security-domain keys each drawn at random, in no AuC (--no-auc); 5 CDMA secrets each drawn at random, kept nowhere" "$out"
# a template whose EF.AD gives no MNC length (byte 4 '00'): --mnc-length gives the IMS
# domain's, EF.AD staying as it is; without it generate asks for it
python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
old = bytes.fromhex("830480000002")
assert d.count(old) == 1
open(sys.argv[2], "wb").write(d.replace(old, bytes.fromhex("830480000000")))' \
	"$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" "$T/ad-nomnc.der"
usage --mnc-length smdp profile generate --no-auc --db "$T/ad-nomnc.db" --template "$T/ad-nomnc.der" \
	--iccid-start 898824700000007200 --imsi-start 001019000000000
run smdp profile generate --no-auc --db "$T/ad-nomnc.db" --template "$T/ad-nomnc.der" \
	--iccid-start 898824700000007200 --imsi-start 001019000000000 --count 2 --mnc-length 2
expect "EF.AD without MNC length, --mnc-length 2: rc" 0 "$rc"
expect "EF.AD without MNC length, --mnc-length 2: line" "generated 2 profile(s); K/OPc, PUK1, PUK2, ADM1, ADM2 and 6 security-domain keys each drawn at random, in no AuC (--no-auc); 5 CDMA secrets each drawn at random, kept nowhere" "$out"
run smdp profile list --db "$T/ad-nomnc.db" --json
expect "EF.AD without MNC length: both imported" 2 "$(grep -o '"iccid"' <<<"$out" | wc -l)"
# and --mnc-length goes into each profile's EF.AD, so that the device splits the IMSI as the
# IMS domain does (EF.AD kept the template's 00 until session 54); the package read from the
# database by an independent unsealing (lib/unseal_upp.py)
AD_ICCID=$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["iccid"])' <<<"$out")
"$PY" "$(dirname "$0")/lib/unseal_upp.py" "$T/ad-nomnc.db" "$AD_ICCID" >"$T/ad-nomnc-gen.der"
run profile inspect "$T/ad-nomnc-gen.der"
has "generated EF.AD: the MNC length" "MNC length 2" "$out"
has "generated IMPI" "@ims.mnc001.mcc001.3gppnetwork.org" "$out"
# an EF.AD given 3 bytes of content and no size (lib/der_replace.py): generate takes it (for a
# moment in session 54 it refused it: "ef-ad content is not defined by the template", since
# "ef-ad has 3 bytes: no byte 4 for the MNC length")
"$PY" "$(dirname "$0")/lib/der_replace.py" "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	"$T/ad3.der" 830480000002 8303800000
run smdp profile generate --no-auc --db "$T/ad3.db" --template "$T/ad3.der" \
	--iccid-start 898824700000007300 --imsi-start 001019000000000 --count 2 --mnc-length 2
expect "EF.AD of 3 bytes, --mnc-length 2: rc ($err)" 0 "$rc"
AD_ICCID=$("$B" smdp profile list --db "$T/ad3.db" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["iccid"])')
"$PY" "$(dirname "$0")/lib/unseal_upp.py" "$T/ad3.db" "$AD_ICCID" >"$T/ad3-gen.der"
run profile inspect "$T/ad3-gen.der"
has "EF.AD of 3 bytes: the IMPI" "@ims.mnc001.mcc001.3gppnetwork.org" "$out"
# its 3 bytes of content without a size lie on the template's 4 bytes, as the eUICC makes the
# file: --mnc-length goes into byte 4 (until session 68 the package side read a 3-byte file,
# while the eUICC served the template's byte 4, 02)
has "EF.AD of 3 bytes' content: byte 4 the template's, the MNC length written" "MNC length 2" "$out"
# profile build from it names its own option; with it, the identity of a 2-digit MNC
failure "(EF.AD gives none): give --mnc-length, or --keep-ims-identity" profile build \
	--template "$T/ad-nomnc.der" --iccid 8949449999999990171 --imsi 001019000000000 \
	--k 000102030405060708090a0b0c0d0e0f --opc 000102030405060708090a0b0c0d0e0f -o "$T/ad-nomnc-built.der"
lacks "build error names no API field" "mnc_len" "$err"
run profile build --template "$T/ad-nomnc.der" --iccid 8949449999999990171 --imsi 001019000000000 \
	--k 000102030405060708090a0b0c0d0e0f --opc 000102030405060708090a0b0c0d0e0f --mnc-len 2 \
	-o "$T/ad-nomnc-built.der"
expect "build --mnc-len 2 (the older name of --mnc-length) rc" 0 "$rc"
run profile inspect "$T/ad-nomnc-built.der"
has "built IMPI" "001019000000000@ims.mnc001.mcc001.3gppnetwork.org" "$out"

# ----- Profile Policy Rules: set at import or generation, with the owner from the package -----
PDB=$T/ppr.db
V7=$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der
run smdp profile import "$V7" --db "$PDB" --ppr ppr1
expect "import --ppr rc" 0 "$rc"
expect "import --ppr line" "imported 89000123456789012341 (IMSI 001010123456789, type \"$TYPE\", PPRs ppr1 for MCC 001 MNC 01) from $V7" "$out"
run smdp profile generate --no-auc --db "$PDB" --template "$V7" --iccid-start 898824700000002000 \
	--imsi-start 001019000000100 --count 2 --ppr PPR2,ppr1 --mnc-length 2
expect "generate --ppr rc" 0 "$rc"
run smdp profile list --db "$PDB" --json
expect "PPRs and owner listed" "['ppr1'] {'mcc': '001', 'mnc': '01'}|['ppr1', 'ppr2'] {'mcc': '001', 'mnc': '01'}|['ppr1', 'ppr2'] {'mcc': '001', 'mnc': '01'}" \
	"$(python3 -c 'import json,sys; print("|".join("%s %s" % (p["profilePolicyRules"], p["profileOwner"]) for p in json.load(sys.stdin)))' <<<"$out")"
run smdp audit --db "$PDB" --iccid 89000123456789012341
has "import audited with its PPRs" "PPRs ppr1, owner MCC 001 MNC 01" "$out"
# profiles without PPRs list as before: no such keys
run smdp profile list --db "$DB2" --json
lacks "no PPRs without --ppr" "profilePolicyRules" "$out"
lacks "no owner without --ppr" "profileOwner" "$out"
# refused: unknown, repeated or empty rules, pprUpdateControl (ES6), PPR3; --mnc-length
# out of range, without --ppr, or against EF.AD; nothing imported
for v in ppr3 pprUpdateControl ppr0 ppr1,ppr1 'ppr1,' ',ppr2' 'ppr1 ppr2' ''; do
	usage --ppr smdp profile import "$V7" --db "$T/refused.db" --ppr "$v"
	usage --ppr smdp profile generate --no-auc --db "$T/refused.db" --template "$V7" \
		--iccid-start 898824700000003000 --imsi-start 001019000000200 --ppr "$v"
done
run smdp profile import "$V7" --db "$T/refused.db" --ppr ppr3
expect "--ppr ppr3 message" "openrsp: --ppr: expected ppr1, ppr2 or ppr1,ppr2, each once (this SM-DP+ sets no pprUpdateControl or ppr3), not \"ppr3\"" "$err"
usage --mnc-length smdp profile import "$V7" --db "$T/refused.db" --mnc-length 2
usage --mnc-length smdp profile import "$V7" --db "$T/refused.db" --ppr ppr1 --mnc-length 4
usage --mnc-length smdp profile generate --no-auc --db "$T/refused.db" --template "$V7" \
	--iccid-start 898824700000003000 --imsi-start 001019000000200 --mnc-length 3
failure "the package's EF.AD gives a 2-digit MNC, not 3" \
	smdp profile import "$V7" --db "$T/refused.db" --ppr ppr2 --mnc-length 3
expect "nothing imported, nothing created" "" "$(left refused.db)"

# ----- profile class: set at import or generation, shown, audited; refused otherwise -----
CDB=$T/class.db
run smdp profile import "$V7" --db "$CDB" --class Test
expect "import --class rc" 0 "$rc"
expect "import --class line" "imported 89000123456789012341 (IMSI 001010123456789, type \"$TYPE\", class test) from $V7" "$out"
run smdp profile generate --no-auc --db "$CDB" --template "$V7" --iccid-start 898824700000004000 \
	--imsi-start 001019000000300 --count 1 --class provisioning --ppr ppr1
expect "generate --class rc" 0 "$rc"
run smdp profile list --db "$CDB" --json
expect "classes listed" "test|provisioning" \
	"$(python3 -c 'import json,sys; print("|".join(p["profileClass"] for p in json.load(sys.stdin)))' <<<"$out")"
run smdp audit --db "$CDB" --iccid 89000123456789012341
has "import audited with its class" "class test" "$out"
run smdp profile list --db "$DB2" --json
lacks "no class without --class" "profileClass" "$out"
for v in tst '' 'test,operational' 0; do
	usage --class smdp profile import "$V7" --db "$T/refused.db" --class "$v"
done
usage --class smdp profile import "$V7" --db "$T/refused.db" --class test --class test
usage --class smdp profile generate --no-auc --db "$T/refused.db" --template "$V7" \
	--iccid-start 898824700000003000 --imsi-start 001019000000200 --class x
expect "nothing imported with a bad class, nothing created" "" "$(left refused.db)"

# ----- generate --auc is all or nothing per profile: a failure in either store leaves both
# as they were for that profile (failures injected by triggers), and a rerun succeeds -----
ADB=$T/atom.db
AAUC=$T/atom-auc.db
sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print(r[0][0] if r else "")' "$@"; }
"$B" auc init --db "$AAUC" >/dev/null
run smdp profile generate --db "$ADB" --template "$V7" --iccid-start 898824700000004000 \
	--imsi-start 001019000000300 --count 1 --auc "$AAUC"
expect "atomic: first rc" 0 "$rc"
sql "$AAUC" "CREATE TRIGGER inj BEFORE INSERT ON auc_subscriber WHEN NEW.imsi = '001019000000302'
	BEGIN SELECT RAISE(ABORT, 'injected AuC failure'); END" >/dev/null
run smdp profile generate --db "$ADB" --template "$V7" --iccid-start 898824700000004001 \
	--imsi-start 001019000000301 --count 3 --auc "$AAUC"
expect "atomic: AuC failure rc" 1 "$rc"
has "atomic: AuC failure named" "profile 2 of 3: " "$err"
has "atomic: AuC failure cause" "injected AuC failure" "$err"
has "atomic: AuC failure outcome" "neither the SM-DP+ nor the AuC keeps this profile" "$err"
expect "atomic: SM-DP+ without the failed profile" "2 0" \
	"$(sql "$ADB" "SELECT COUNT(*) FROM smdp_profile") $(sql "$ADB" "SELECT COUNT(*) FROM smdp_profile WHERE imsi = '001019000000302'")"
expect "atomic: AuC without it" "2 0" \
	"$(sql "$AAUC" "SELECT COUNT(*) FROM auc_subscriber") $(sql "$AAUC" "SELECT COUNT(*) FROM auc_audit WHERE imsi = '001019000000302'")"
sql "$AAUC" "DROP TRIGGER inj" >/dev/null
sql "$ADB" "CREATE TRIGGER inj BEFORE INSERT ON smdp_profile WHEN NEW.imsi = '001019000000303'
	BEGIN SELECT RAISE(ABORT, 'injected SM-DP+ failure'); END" >/dev/null
run smdp profile generate --db "$ADB" --template "$V7" --iccid-start 898824700000004002 \
	--imsi-start 001019000000302 --count 2 --auc "$AAUC"
expect "atomic: SM-DP+ failure rc" 1 "$rc"
has "atomic: SM-DP+ failure cause" "injected SM-DP+ failure" "$err"
expect "atomic: SM-DP+ keeps the one before" "3 0" \
	"$(sql "$ADB" "SELECT COUNT(*) FROM smdp_profile") $(sql "$ADB" "SELECT COUNT(*) FROM smdp_profile WHERE imsi = '001019000000303'")"
expect "atomic: AuC without the failed subscriber, no audit trace" "3 0" \
	"$(sql "$AAUC" "SELECT COUNT(*) FROM auc_subscriber") $(sql "$AAUC" "SELECT COUNT(*) FROM auc_audit WHERE imsi = '001019000000303'")"
sql "$ADB" "DROP TRIGGER inj" >/dev/null
# the rerun of the failed profile succeeds; `sqlite:` in --auc finds the same <file>.kek
run smdp profile generate --db "$ADB" --template "$V7" --iccid-start 898824700000004003 \
	--imsi-start 001019000000303 --count 1 --auc "sqlite:$AAUC"
expect "atomic: rerun rc" 0 "$rc"
expect "atomic: both stores complete" "4 4" \
	"$(sql "$ADB" "SELECT COUNT(*) FROM smdp_profile") $(sql "$AAUC" "SELECT COUNT(*) FROM auc_subscriber")"
# a range generated before: both stores keep theirs, and the message says so (it said neither
# store kept the profile); a subscriber the SM-DP+ has no profile of (a run killed between
# the two commits) is named for deletion
run smdp profile generate --db "$ADB" --template "$V7" --iccid-start 898824700000004003 \
	--imsi-start 001019000000303 --count 1 --auc "$AAUC"
expect "atomic: range again rc" 1 "$rc"
expect "atomic: range again named" "openrsp: 8988247000000040031: profile 1 of 1: subscriber 001019000000303 already exists in the AuC, and the SM-DP+ holds profile 8988247000000040031 of that IMSI already; nothing of this profile was written by this run; all 1 of this range are in both stores already: nothing to do" "$err"
sql "$ADB" "DELETE FROM smdp_profile WHERE imsi = '001019000000303'" >/dev/null
run smdp profile generate --db "$ADB" --template "$V7" --iccid-start 898824700000004003 \
	--imsi-start 001019000000303 --count 1 --auc "$AAUC"
has "atomic: orphan subscriber named" "the SM-DP+ has no profile of IMSI 001019000000303: a subscriber left by a run killed between the two commits? If no SIM uses it, --replace-orphans replaces it with this run's (or \`openrsp auc delete 001019000000303\`)" "$err"
# a known ICCID (the SM-DP+ refused; the AuC added nothing): no subscriber named for deletion
run smdp profile generate --db "$ADB" --template "$V7" --iccid-start 898824700000004000 \
	--imsi-start 001019000000999 --count 1 --auc "$AAUC"
expect "atomic: known ICCID named, no advice" "openrsp: 8988247000000040007: profile 1 of 1: ICCID 8988247000000040007 already imported; nothing of this profile was written by this run" "$err"
# a failure half-way keeps the profiles before it, and says which, and the rest of the range
# (it said only "profile 3 of 4: ...", exit 1, as if nothing had been imported)
run smdp profile generate --no-auc --db "$T/half.db" --template "$V7" --iccid-start 898824700000006002 \
	--imsi-start 001019000000602 --count 1
expect "half-way: the profile in the way rc" 0 "$rc"
run smdp profile generate --no-auc --db "$T/half.db" --template "$V7" --iccid-start 898824700000006000 \
	--imsi-start 001019000000600 --count 4
expect "half-way: rc" 1 "$rc"
expect "half-way: the profiles kept and the rest named" "openrsp: 8988247000000060021: profile 3 of 4: ICCID 8988247000000060021 already imported; the 2 before it (ICCID 8988247000000060005 to 8988247000000060013) stay imported; the rest: --iccid-start 898824700000006002 --imsi-start 001019000000602 --count 2" "$err"
expect "half-way: the two kept" 3 "$(sql "$T/half.db" "SELECT COUNT(*) FROM smdp_profile")"
# SIGINT stops between two profiles, each in both stores or in neither, and names the rest
SDB=$T/stop.db
SAUC=$T/stop-auc.db
"$B" auc init --db "$SAUC" >/dev/null
"$B" smdp profile generate --db "$SDB" --template "$V7" --iccid-start 898824700000100000 \
	--imsi-start 001019000100000 --count 100000 --auc "$SAUC" --json >"$T/stop.out" 2>"$T/stop.err" &
gen=$!
for _ in $(seq 1 600); do
	[[ -e $SDB && $(sql "$SDB" "SELECT COUNT(*) FROM smdp_profile" 2>/dev/null || echo 0) -gt 0 ]] && break
	sleep 0.1
done
kill -INT "$gen"
rc=0
wait "$gen" || rc=$?
expect "generate stopped by SIGINT: rc" 1 "$rc"
made=$(sql "$SDB" "SELECT COUNT(*) FROM smdp_profile")
expect "generate stopped: the AuC has as many" "$made" "$(sql "$SAUC" "SELECT COUNT(*) FROM auc_subscriber")"
expect "generate stopped: the rest named" "openrsp: generate: stopped by a signal after $made of 100000 profile(s), each in both stores; the rest: --iccid-start $((898824700000100000 + made)) --imsi-start $(printf '00101900%07d' $((100000 + made))) --count $((100000 - made))" "$(cat "$T/stop.err")"
# --json says how many were committed, and that the run is not complete (stdout was empty
# until session 56)
expect "generate stopped: --json" "{\"generated\":$made,\"complete\":false}" "$(cat "$T/stop.out")"

# ----- order --cc/--release is one transaction: a confirmOrder that fails (the move to
# Released refused by a trigger, aborting the statement or the whole transaction) leaves the
# profile Available, no matching ID, nothing in the audit log or the outbox; it was left
# Allocated under a matching ID nobody knew, and the next order took another profile -----
OI=$(sql "$ADB" "SELECT iccid FROM smdp_profile ORDER BY id LIMIT 1")
for how in ABORT ROLLBACK; do
	sql "$ADB" "CREATE TRIGGER inj BEFORE UPDATE OF state ON smdp_profile WHEN NEW.state = 'released'
		BEGIN SELECT RAISE($how, 'injected release failure'); END" >/dev/null
	run smdp order --db "$ADB" --profile-type "$TYPE" --cc 1234 --release --fqdn smdp.example.com
	expect "order, confirmOrder failing ($how): rc, nothing printed" "1 " "$rc $out"
	expect "order, confirmOrder failing ($how): the profile named" \
		"openrsp: confirmOrder: step: injected release failure (no order placed: profile $OI stays Available)" "$err"
	expect "order, confirmOrder failing ($how): profile Available, no order" "available||0||0" \
		"$(sql "$ADB" "SELECT state || '|' || IFNULL(matching_id, '') || '|' || download_attempts || '|' || IFNULL(eid, '') || '|' || (cc_wrapped IS NOT NULL) FROM smdp_profile WHERE iccid = '$OI'")"
	expect "order, confirmOrder failing ($how): no audit row, no report" "0 0" \
		"$(sql "$ADB" "SELECT COUNT(*) FROM smdp_audit WHERE iccid = '$OI' AND action <> 'import'") $(sql "$ADB" "SELECT COUNT(*) FROM smdp_progress")"
	sql "$ADB" "DROP TRIGGER inj" >/dev/null
done
# the same order again takes the same profile, released
run smdp order --db "$ADB" --profile-type "$TYPE" --release --fqdn smdp.example.com
expect "order after the failures: rc" 0 "$rc"
expect "order after the failures: the same profile, released" "released $(cut -d'$' -f3 <<<"$out")" \
	"$(sql "$ADB" "SELECT state || ' ' || matching_id FROM smdp_profile WHERE iccid = '$OI'")"

# ----- generate's counters stay in the MSIN and after the ICCID's issuer number -----
# V7's EF.AD gives a 2-digit MNC: 00101 999999 + 2 would become MNC 02; refused before
# anything is written (no database created)
usage --count smdp profile generate --no-auc --db "$T/range.db" --template "$V7" \
	--iccid-start 898824700000005000 --imsi-start 00101999999 --count 3
has "IMSI range refusal says why" "3 IMSIs from 00101999999 would run out of the MSIN (MCC 001, MNC 01)" "$err"
usage --count smdp profile generate --no-auc --db "$T/range.db" --template "$V7" \
	--iccid-start 898824700000005000 --imsi-start 001019999999999 --count 2
# the ICCID counts after its first 7 digits (89 + country code + issuer, E.118)
usage --count smdp profile generate --no-auc --db "$T/range.db" --template "$V7" \
	--iccid-start 898824799999999999 --imsi-start 001019000000600 --count 2
has "ICCID range refusal says why" "would change the issuer identification number (the first 7 digits)" "$err"
usage --count smdp profile generate --no-auc --db "$T/range.db" --template "$V7" \
	--iccid-start 8988247999999999999 --imsi-start 001019000000600 --count 2
[[ ! -e "$T/range.db" ]] && ok || bad "a refused range created the database"
# a one-digit MSIN counts to 9 only; the MNC length must agree with EF.AD
usage --count smdp profile generate --no-auc --db "$T/range.db" --template "$V7" \
	--iccid-start 898824700000005000 --imsi-start 001019 --count 2
usage --mnc-length smdp profile generate --no-auc --db "$T/range.db" --template "$V7" \
	--iccid-start 898824700000005000 --imsi-start 00101999998 --count 1 --mnc-length 3
# the ranges up to their last value are fine (--mnc-length that agrees, without --ppr)
run smdp profile generate --no-auc --db "$T/range.db" --template "$V7" --iccid-start 898824799999999998 \
	--imsi-start 00101999998 --count 2 --mnc-length 2
expect "ranges up to the last value rc" 0 "$rc"
run smdp profile list --db "$T/range.db" --json
expect "ranges up to the last value" "00101999998 00101999999" \
	"$(python3 -c 'import json,sys; print(" ".join(p["imsi"] for p in json.load(sys.stdin)))' <<<"$out")"

# ----- the SM-DP+ keeps a database of its own -----
# every verb that opens the inventory refuses the AuC's database (the subscriber keys) and
# another program's SQLite file, before any SM-DP+ table is added or the journal mode changed
schema() { # schema FILE: the schema's names, the journal mode bytes, the files beside it
	python3 - "$1" <<'PY'
import os, sqlite3, sys
f = sys.argv[1]
with open(f, "rb") as h:
    hdr = h.read(20)
# immutable: a read-only reader of a WAL file makes its -wal and -shm, and leaves them (they
# were removed by the next `auc list` until it opened read-only too, session 73)
c = sqlite3.connect("file:%s?mode=ro&immutable=1" % f, uri=True)
print(sorted(r[0] for r in c.execute("SELECT name FROM sqlite_master")), hdr[18], hdr[19])
c.close()
print(sorted(n for n in os.listdir(os.path.dirname(f)) if n.startswith(os.path.basename(f))))
PY
}
mkdir -p "$T/own"
AUCDB=$T/own/auc.db
run auc add --db "$AUCDB" --imsi 001010000000001 --k 000102030405060708090a0b0c0d0e0f \
	--opc 0f0e0d0c0b0a09080706050403020100
expect "AuC database rc" 0 "$rc"
python3 - "$T/own/foreign.sqlite" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA journal_mode=DELETE")
c.execute("CREATE TABLE t (a INTEGER)")
c.execute("INSERT INTO t VALUES (42)")
c.commit()
c.close()
PY
auc_before=$(schema "$AUCDB")
foreign_before=$(schema "$T/own/foreign.sqlite")
has "foreign file in rollback-journal mode" "['t'] 1 1" "$foreign_before"
own_verbs=("profile list" "audit" "reports" "profile import $U/TS48V1-A-UNIQUE.der"
	"order --iccid 8949449999999990023 --fqdn smdp.example.com"
	"profile generate --no-auc --template $V7 --iccid-start 898824799999999998 --imsi-start 00101999998 --count 1")
for v in "${own_verbs[@]}"; do
	# shellcheck disable=SC2086 # the verb and its arguments are words
	failure "$AUCDB: $AUCDB holds no SM-DP+ inventory but other tables (an AuC database?): the SM-DP+ needs a database of its own" \
		smdp $v --db "$AUCDB"
	# the key from the environment: no KEK file is created beside the other program's file
	# shellcheck disable=SC2086
	ORSP_KEK=$(printf '%064d' 7) failure "foreign.sqlite holds no SM-DP+ inventory but other tables" \
		smdp $v --db "$T/own/foreign.sqlite"
done
expect "AuC database unchanged" "$auc_before" "$(schema "$AUCDB")"
expect "foreign file unchanged" "$foreign_before" "$(schema "$T/own/foreign.sqlite")"
run auc list --db "$AUCDB"
expect "AuC still opens" 0 "$rc"
# the verbs that work on the inventory there (order, list, audit, reports, backup, rekey)
# create nothing and write nothing into a file that holds none: a 0-byte file (it was made
# an SM-DP+ database, and `profile list` said "no profiles"), a file that is not SQLite, the
# AuC's database; each is refused naming it and left byte for byte as it was, with no
# -wal/-shm file and no KEK file made beside it, with the KEK from a file or ORSP_KEK
: >"$T/own/zero.db"
head -c 4096 /dev/urandom >"$T/own/junk.db"
sums() { (cd "$T/own" && sha256sum zero.db junk.db auc.db auc.db.kek && ls); }
sums_before=$(sums)
read_verbs=("profile list" "profile list --count --json" "audit --json" "reports"
	"order --iccid 8949449999999990023 --fqdn smdp.example.com" "backup --out $T/own/b.db"
	"rekey --new-kek-file $T/own/new.kek")
NONE="holds no SM-DP+ inventory (\`openrsp smdp profile import\` or \`generate\` creates one)"
refused() { # refused WORD ARGS...: failure, with the KEK from ORSP_KEK if $kek is set
	if [[ -n $kek ]]; then ORSP_KEK=$kek failure "$@"; else failure "$@"; fi
}
for v in "${read_verbs[@]}"; do
	case $v in
	profile*) name="smdp profile list" ;;
	*) name="smdp ${v%% *}" ;;
	esac
	for kek in "" "$(printf '%064d' 7)"; do
		# shellcheck disable=SC2086 # the verb and its arguments are words
		refused "$name: $T/own/zero.db $NONE" smdp $v --db "$T/own/zero.db"
		# shellcheck disable=SC2086
		refused "$name: $T/own/zero.db $NONE" smdp $v --db "sqlite:$T/own/zero.db"
		# shellcheck disable=SC2086
		refused "$T/own/junk.db: open: file is not a database" smdp $v --db "$T/own/junk.db"
		# shellcheck disable=SC2086
		refused "$AUCDB: $AUCDB holds no SM-DP+ inventory but other tables" smdp $v --db "$AUCDB"
	done
done
expect "refused files unchanged, nothing made beside them" "$sums_before" "$(sums)"
# a verb that creates the inventory still takes an empty file (as `smdp serve` does)
run smdp profile import "$U/TS48V1-A-UNIQUE.der" --db "$T/own/zero.db"
expect "import takes a 0-byte file" 0 "$rc"
run smdp profile list --db "$T/own/zero.db"
has "and the inventory is there" "8949449999999990023" "$out"

# a database path that is no database is said to be one, not a KEK problem, with or
# without ORSP_KEK (its usage-error branch is for a malformed ORSP_KEK only)
mkdir -p "$T/own/adir"
failure "$T/own/adir: $T/own/adir is a directory, not a database file" \
	smdp profile list --db "$T/own/adir"
ORSP_KEK=$(printf '%064d' 7) failure "$T/own/adir: $T/own/adir is a directory, not a database file" \
	smdp profile list --db "$T/own/adir"

# ----- a KEK file is created only with a new database -----
# an inventory restored without its KEK: refused, and no new random KEK takes the real one's
# place beside it (it could not open the database, and would be in the way of the restore)
cp "$DB" "$T/own/restored.db"
failure "no KEK file at $T/own/restored.db.kek for $T/own/restored.db" \
	smdp profile list --db "$T/own/restored.db"
[ ! -e "$T/own/restored.db.kek" ] && ok || bad "a KEK file was created beside the restored database"
cp "$DB.kek" "$T/own/restored.db.kek"
run smdp profile list --db "$T/own/restored.db"
expect "restored database with its KEK" 0 "$rc"
# generate --auc: the same for the AuC's database
cp "$AUCDB" "$T/own/auc2.db"
failure "no KEK file at $T/own/auc2.db.kek for the AuC $T/own/auc2.db" \
	smdp profile generate --template "$V7" --iccid-start 898824799999999997 \
	--imsi-start 00101999997 --count 1 --db "$T/own/gen.db" --auc "$T/own/auc2.db"
[ ! -e "$T/own/auc2.db.kek" ] && ok || bad "a KEK file was created beside the AuC's database"
# another program's database as --auc, without a KEK file: refused for what it is, not as
# one whose KEK is missing
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("CREATE TABLE t(x)"); c.commit()' "$T/own/other.db"
failure "$T/own/other.db: $T/own/other.db holds no AuC but other tables" \
	smdp profile generate --template "$V7" --iccid-start 898824799999999997 \
	--imsi-start 00101999997 --count 1 --db "$T/own/gen.db" --auc "$T/own/other.db"
[ ! -e "$T/own/other.db.kek" ] && ok || bad "a KEK file was created beside another program's database"

# a secret typed on a terminal for "-" is not shown: the terminal's echo is off while it is
# read (it was echoed as typed), a prompt names the option, and the terminal's settings are
# back afterwards (script(1) gives the command a terminal; its output is what the terminal
# showed)
if command -v script >/dev/null; then
	run smdp profile generate --no-auc --template "$V7" --iccid-start 898824799999999900 \
		--imsi-start 00101999990 --count 1 --db "$T/tty.db"
	TI=$("$B" smdp profile list --db "$T/tty.db" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["iccid"])')
	shown=$( (
		sleep 1
		printf '9876secretCC\r'
	) | script -qec "'$B' smdp order --db '$T/tty.db' --iccid $TI --fqdn smdp.example.com --cc -; stty -a" /dev/null)
	has "tty: the prompt" "openrsp: --cc (not shown): " "$shown"
	lacks "tty: the CC not shown" "9876secretCC" "$shown"
	has "tty: the order placed" 'LPA:1$smdp.example.com$' "$shown"
	has "tty: echo on again" " echo " " $(tr -s ' \r\n' '   ' <<<"$shown") "
else
	echo "# script(1) missing: the terminal echo check skipped"
fi

# ----- import --auc: prepared packages feed the AuC too (the issue's "import ... also feeding
# the AuC subscriber store when asked"; until session 67 only generate did). Packages built
# here with known keys: the AuC must hold exactly those, with the algorithm and SQN range.
IA=$T/import-auc
mkdir -p "$IA/pk" "$IA/pk2" "$IA/bad"
IK=000102030405060708090a0b0c0d0e0f
IOPC=0f0e0d0c0b0a09080706050403020100
run profile build --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	--iccid "$(luhn 898824700000007100)" --imsi 001017000000710 --k "$IK" --opc "$IOPC" \
	--sqn-init 40 -o "$IA/pk/a.der"
expect "build a (Milenage)" 0 "$rc"
run profile build --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	--iccid "$(luhn 898824700000007101)" --imsi 001017000000711 --alg tuak --k "$IK$IK" \
	--topc "$IOPC$IOPC" --keccak 2 -o "$IA/pk/b.der"
expect "build b (TUAK)" 0 "$rc"
# a package whose USIM runs the test algorithm: nothing the AuC can take, refused before
# either database is made
cp "$U/TS48V1-A-UNIQUE.der" "$IA/bad/t.der"
failure "the USIM's algorithm usim-test-algorithm: neither Milenage nor TUAK, which the AuC does not run" \
	smdp profile import "$IA/bad/t.der" --db "$IA/s.db" --auc "$IA/a.db"
nothing_left "$IA/s.db" "$IA/s.db.kek" "$IA/a.db" "$IA/a.db.kek"
usage --auc smdp profile import "$IA/pk" --db "$IA/s.db" --auc "$IA/s.db"
usage --auc smdp profile import "$IA/pk" --db "$IA/s.db" --auc ""
nothing_left "$IA/s.db" "$IA/a.db"
# an AuC that is not there (a typo): refused, neither store made (it was created, with its
# KEK file, and the line said "its subscriber into the AuC", until session 73)
failure "--auc: no AuC database at $IA/a.db (\`openrsp auc init --db $IA/a.db\` creates one)" \
	smdp profile import "$IA/pk" --db "$IA/s.db" --auc "$IA/a.db"
nothing_left "$IA/s.db" "$IA/s.db.kek" "$IA/a.db" "$IA/a.db.kek"
run auc init --db "$IA/a.db"
expect "auc init for import" 0 "$rc"
run smdp profile import "$IA/pk" --db "$IA/s.db" --auc "$IA/a.db"
expect "import --auc rc" 0 "$rc"
# the line names the AuC the subscriber went into
has "import --auc line" "imported $(luhn 898824700000007100) (IMSI 001017000000710, type \"$TYPE\", its subscriber into the AuC $IA/a.db) from $IA/pk/a.der" "$out"
expect "import --auc summary" "2 imported, 0 failed" "$(tail -1 <<<"$out")"
# the same directory again into the same stores: each package's subscriber and profile are
# there, and the message names both (it named only the AuC's subscriber, as if the SM-DP+
# held no profile of it)
run smdp profile import "$IA/pk" --db "$IA/s.db" --auc "$IA/a.db"
expect "import --auc again rc" 1 "$rc"
has "import --auc again: both stores named" "openrsp: $IA/pk/a.der: subscriber 001017000000710 already exists in the AuC, and the SM-DP+ holds profile $(luhn 898824700000007100) of that IMSI already; nothing of this profile was written by this run" "$err"
expect "import --auc again summary" "0 imported, 2 failed" "$(tail -1 <<<"$out")"
expect "the AuC's KEK file" 600 "$(stat -c %a "$IA/a.db.kek")"
run auc show --db "$IA/a.db" 001017000000711 --json
expect "TUAK subscriber" tuak "$(json alg)"
run auc export --db "$IA/a.db" --format osmo-hlr-vty --out "$IA/a.vty" 001017000000710
expect "export of the imported subscriber" 0 "$rc"
has "its K and OPc are the package's" "subscriber imsi 001017000000710 update aud3g milenage k $IK opc $IOPC" "$(cat "$IA/a.vty")"
run auc show --db "$IA/a.db" 001017000000710 --json
# sqnInit 40 for every IND: the AuC starts at SEQ 40 (its next vector 41), IND 0
expect "the SQN range of the package" 000000000500 "$(json sqn)"
# the same IMSI again, into another SM-DP+: the AuC refuses it, and the SM-DP+ keeps nothing
run smdp profile import "$IA/pk/a.der" --db "$IA/s2.db" --auc "$IA/a.db"
expect "a known IMSI rc" 1 "$rc"
has "a known IMSI named" "001017000000710" "$err"
has "neither store keeps it" "nothing of this profile was written by this run" "$err"
nothing_left "$IA/s2.db" "$IA/s2.db.kek"
# sqnInit at SEQ's top (2^43 - 1 with 5 IND bits): the AuC could make no vector after it
# (it was taken, and every vector then failed with "SEQ would wrap around"); one below it is
# taken
run profile build --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	--iccid "$(luhn 898824700000007102)" --imsi 001017000000712 --k "$IK" --opc "$IOPC" \
	--sqn-init 8796093022207 -o "$IA/bad/top.der"
expect "build with sqnInit at the top" 0 "$rc"
failure "sqnInit 8796093022207 too large for the AuC: no SQN would follow it" \
	smdp profile import "$IA/bad/top.der" --db "$IA/s3.db" --auc "$IA/a3.db"
nothing_left "$IA/s3.db" "$IA/s3.db.kek" "$IA/a3.db" "$IA/a3.db.kek"
"$B" auc init --db "$IA/a3.db" >/dev/null
run profile build --template "$G/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	--iccid "$(luhn 898824700000007103)" --imsi 001017000000713 --k "$IK" --opc "$IOPC" \
	--sqn-init 8796093022206 -o "$IA/pk2/below.der"
run smdp profile import "$IA/pk2/below.der" --db "$IA/s3.db" --auc "$IA/a3.db"
expect "sqnInit below the top imported" 0 "$rc"
run auc vector --db "$IA/a3.db" 001017000000713 --json
expect "a vector after it" 0 "$rc"

rm -rf "$T"
finish
