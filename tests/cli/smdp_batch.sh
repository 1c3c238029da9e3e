#!/usr/bin/env bash
# `openrsp smdp profile generate` and `profile import` commit in batches (--batch): a profile
# (a file) that fails is rolled back alone in both stores, the ones before it in its batch are
# committed, and generate stops there, with the messages one commit per profile gave; a
# failure that takes the whole transaction (a trigger's RAISE(ROLLBACK), as SQLite does after
# an I/O error or a full disk) loses the batch in both stores and says so; the SM-DP+'s
# commit failing after the AuC's (a deferred foreign key, checked at COMMIT) deletes the
# batch's AuC subscribers again.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_smdp_batch.XXXXXX")
unset ORSP_KEK
. "$(dirname "$0")/lib/common.bash"

V7=$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der
# sql DB QUERY: the first column of the first row
sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print(r[0][0] if r and r[0][0] is not None else "")' "$@"; }
# imsis DB TABLE: the IMSIs of the table, in order, comma-separated
imsis() { sql "$1" "SELECT group_concat(imsi, ',') FROM (SELECT imsi FROM $2 ORDER BY imsi)"; }
gen() { run smdp profile generate --template "$V7" "$@"; }
BOTH=", each in both stores"
# the AuCs of --auc, which must exist
for a in a o r r2 k; do "$B" auc init --db "$T/$a-auc.db" >/dev/null; done

# ----- a profile the SM-DP+ refuses in the middle of a batch (its ICCID known): the two
# before it committed in both stores, it and those after it in neither -----
gen --no-auc --db "$T/a.db" --iccid-start 898824700000005002 --imsi-start 001019000000999 --count 1
expect "ICCID in the way: rc" 0 "$rc"
gen --db "$T/a.db" --auc "$T/a-auc.db" --iccid-start 898824700000005000 \
	--imsi-start 001019000000500 --count 5
expect "known ICCID mid-batch: rc" 1 "$rc"
expect "known ICCID mid-batch: the message of one commit per profile" \
	"openrsp: $(luhn 898824700000005002): profile 3 of 5: ICCID $(luhn 898824700000005002) already imported; nothing of this profile was written by this run; the 2 before it (ICCID $(luhn 898824700000005000) to $(luhn 898824700000005001)) stay imported$BOTH; the rest: --iccid-start 898824700000005002 --imsi-start 001019000000502 --count 3" "$err"
expect "known ICCID mid-batch: SM-DP+" "001019000000500,001019000000501,001019000000999" "$(imsis "$T/a.db" smdp_profile)"
expect "known ICCID mid-batch: AuC" "001019000000500,001019000000501" "$(imsis "$T/a-auc.db" auc_subscriber)"
expect "known ICCID mid-batch: no card secret or audit row of the refused profile" "0 0" \
	"$(sql "$T/a-auc.db" "SELECT COUNT(*) FROM auc_card_secret WHERE imsi > '001019000000501'") $(sql "$T/a-auc.db" "SELECT COUNT(*) FROM auc_audit WHERE imsi > '001019000000501'")"
# the rest, as named, completes the range
gen --db "$T/a.db" --auc "$T/a-auc.db" --iccid-start 898824700000005003 \
	--imsi-start 001019000000503 --count 2
expect "the rest: rc" 0 "$rc"
expect "the rest: AuC" "001019000000500,001019000000501,001019000000503,001019000000504" "$(imsis "$T/a-auc.db" auc_subscriber)"

# ----- the AuC refuses one (its IMSI known) in the second batch of three: the first batch
# and the one before it in the second committed -----
run auc add --db "$T/a-auc.db" --imsi 001019000000604 --k 000102030405060708090a0b0c0d0e0f \
	--opc 0f0e0d0c0b0a09080706050403020100
expect "a subscriber in the way: rc" 0 "$rc"
gen --db "$T/a.db" --auc "$T/a-auc.db" --iccid-start 898824700000006000 \
	--imsi-start 001019000000600 --count 7 --batch 3
expect "known IMSI, second batch: rc" 1 "$rc"
expect "known IMSI, second batch: the message" \
	"openrsp: $(luhn 898824700000006004): profile 5 of 7: subscriber 001019000000604 already exists; nothing of this profile was written by this run, and the SM-DP+ has no profile of IMSI 001019000000604: a subscriber left by a run killed between the two commits? If no SIM uses it, --replace-orphans replaces it with this run's (or \`openrsp auc delete 001019000000604\`); the 4 before it (ICCID $(luhn 898824700000006000) to $(luhn 898824700000006003)) stay imported$BOTH; the rest: --iccid-start 898824700000006004 --imsi-start 001019000000604 --count 3" "$err"
expect "known IMSI, second batch: SM-DP+" "001019000000600,001019000000601,001019000000602,001019000000603" \
	"$(sql "$T/a.db" "SELECT group_concat(imsi, ',') FROM (SELECT imsi FROM smdp_profile WHERE imsi LIKE '0010190000006%' ORDER BY imsi)")"
expect "known IMSI, second batch: AuC" "001019000000600,001019000000601,001019000000602,001019000000603,001019000000604" \
	"$(sql "$T/a-auc.db" "SELECT group_concat(imsi, ',') FROM (SELECT imsi FROM auc_subscriber WHERE imsi LIKE '0010190000006%' ORDER BY imsi)")"

# ----- a failure that takes the SM-DP+'s whole transaction: the batch goes in both stores,
# the message names it, and the rest starts at its first profile -----
sql "$T/a.db" "CREATE TRIGGER inj BEFORE INSERT ON smdp_profile WHEN NEW.imsi = '001019000000703'
	BEGIN SELECT RAISE(ROLLBACK, 'injected rollback'); END" >/dev/null
gen --db "$T/a.db" --auc "$T/a-auc.db" --iccid-start 898824700000007000 \
	--imsi-start 001019000000700 --count 5 --batch 2
expect "transaction lost: rc" 1 "$rc"
has "transaction lost: the profile and its cause" "openrsp: $(luhn 898824700000007003): profile 4 of 5: " "$err"
has "transaction lost: the cause" "injected rollback" "$err"
has "transaction lost: the batch named, what stays, the rest" \
	"; neither the SM-DP+ nor the AuC keeps this profile; the 1 before it in its batch (ICCID $(luhn 898824700000007002) to $(luhn 898824700000007002)) were not kept either: the SM-DP+'s transaction was rolled back; the 2 before them (ICCID $(luhn 898824700000007000) to $(luhn 898824700000007001)) stay imported$BOTH; the rest: --iccid-start 898824700000007002 --imsi-start 001019000000702 --count 3" "$err"
expect "transaction lost: SM-DP+" "001019000000700,001019000000701" \
	"$(sql "$T/a.db" "SELECT group_concat(imsi, ',') FROM (SELECT imsi FROM smdp_profile WHERE imsi LIKE '0010190000007%' ORDER BY imsi)")"
expect "transaction lost: AuC" "001019000000700,001019000000701" \
	"$(sql "$T/a-auc.db" "SELECT group_concat(imsi, ',') FROM (SELECT imsi FROM auc_subscriber WHERE imsi LIKE '0010190000007%' ORDER BY imsi)")"
sql "$T/a.db" "DROP TRIGGER inj" >/dev/null

# ----- the SM-DP+'s commit fails after the AuC's: a deferred foreign key that a profile's
# row breaks, checked only at COMMIT. The batch's AuC subscribers are deleted again (in the
# audit log: added, then deleted), the batches before it stay -----
sql "$T/a.db" "CREATE TABLE inj_parent (id INTEGER PRIMARY KEY)" >/dev/null
sql "$T/a.db" "CREATE TABLE inj_child (p INTEGER REFERENCES inj_parent (id) DEFERRABLE INITIALLY DEFERRED)" >/dev/null
sql "$T/a.db" "CREATE TRIGGER inj AFTER INSERT ON smdp_profile WHEN NEW.imsi IN ('001019000000803', '001019000000900')
	BEGIN INSERT INTO inj_child VALUES (1); END" >/dev/null
gen --db "$T/a.db" --auc "$T/a-auc.db" --iccid-start 898824700000008000 \
	--imsi-start 001019000000800 --count 6 --batch 2
expect "SM-DP+ commit failed: rc" 1 "$rc"
has "SM-DP+ commit failed: the batch named" "openrsp: generate: profiles 3 to 4 of 6 (ICCID $(luhn 898824700000008002) to $(luhn 898824700000008003)): " "$err"
has "SM-DP+ commit failed: the cause" "FOREIGN KEY constraint failed" "$err"
has "SM-DP+ commit failed: the subscribers deleted, what stays, the rest" \
	" (the AuC subscribers 001019000000802 to 001019000000803 were deleted again); the 2 before them (ICCID $(luhn 898824700000008000) to $(luhn 898824700000008001)) stay imported$BOTH; the rest: --iccid-start 898824700000008002 --imsi-start 001019000000802 --count 4" "$err"
expect "SM-DP+ commit failed: SM-DP+" "001019000000800,001019000000801" \
	"$(sql "$T/a.db" "SELECT group_concat(imsi, ',') FROM (SELECT imsi FROM smdp_profile WHERE imsi LIKE '0010190000008%' ORDER BY imsi)")"
expect "SM-DP+ commit failed: AuC" "001019000000800,001019000000801" \
	"$(sql "$T/a-auc.db" "SELECT group_concat(imsi, ',') FROM (SELECT imsi FROM auc_subscriber WHERE imsi LIKE '0010190000008%' ORDER BY imsi)")"
expect "SM-DP+ commit failed: no card secret left" 0 \
	"$(sql "$T/a-auc.db" "SELECT COUNT(*) FROM auc_card_secret WHERE imsi IN ('001019000000802', '001019000000803')")"
expect "SM-DP+ commit failed: audited, added and deleted" "add,delete add,delete" \
	"$(sql "$T/a-auc.db" "SELECT group_concat(action, ',') FROM auc_audit WHERE imsi = '001019000000802' AND action IN ('add', 'delete')") $(sql "$T/a-auc.db" "SELECT group_concat(action, ',') FROM auc_audit WHERE imsi = '001019000000803' AND action IN ('add', 'delete')")"
# one profile per commit (--batch 1): the message of before
gen --db "$T/a.db" --auc "$T/a-auc.db" --iccid-start 898824700000009000 \
	--imsi-start 001019000000900 --count 1 --batch 1
expect "SM-DP+ commit failed, --batch 1: rc" 1 "$rc"
has "SM-DP+ commit failed, --batch 1: the profile" "openrsp: $(luhn 898824700000009000): profile 1 of 1: " "$err"
has "SM-DP+ commit failed, --batch 1: the subscriber deleted" " (the AuC subscriber 001019000000900 was deleted again)" "$err"
expect "SM-DP+ commit failed, --batch 1: neither store" "0 0" \
	"$(sql "$T/a.db" "SELECT COUNT(*) FROM smdp_profile WHERE imsi = '001019000000900'") $(sql "$T/a-auc.db" "SELECT COUNT(*) FROM auc_subscriber WHERE imsi = '001019000000900'")"
sql "$T/a.db" "DROP TRIGGER inj" >/dev/null

# ----- import: a file refused in the middle of a batch is rolled back alone, the others
# imported, the lines in the files' order; a failure that takes the transaction reports the
# batch's other files as not imported -----
mkdir -p "$T/pk"
for i in 1 2 3 4 5; do
	"$B" profile build --template "$V7" --iccid "$(luhn 89882470000001000$i)" \
		--imsi "00101900000100$i" --k 000102030405060708090a0b0c0d0e0f \
		--opc 0f0e0d0c0b0a09080706050403020100 -o "$T/pk/p$i.der" >/dev/null 2>&1
done
run smdp profile import "$T/pk/p3.der" --db "$T/i.db"
expect "import: the third first" 0 "$rc"
run smdp profile import "$T/pk" --db "$T/i.db" --batch 4
expect "import, one refused: rc" 1 "$rc"
expect "import, one refused: the lines in order" \
	"imported $(luhn 898824700000010001) (IMSI 001019000001001, type \"GSMA Generic eUICC Test Profile\") from $T/pk/p1.der
imported $(luhn 898824700000010002) (IMSI 001019000001002, type \"GSMA Generic eUICC Test Profile\") from $T/pk/p2.der
imported $(luhn 898824700000010004) (IMSI 001019000001004, type \"GSMA Generic eUICC Test Profile\") from $T/pk/p4.der
imported $(luhn 898824700000010005) (IMSI 001019000001005, type \"GSMA Generic eUICC Test Profile\") from $T/pk/p5.der
4 imported, 1 failed" "$out"
expect "import, one refused: its message" "openrsp: $T/pk/p3.der: ICCID $(luhn 898824700000010003) already imported" "$err"
expect "import, one refused: the inventory" 5 "$(sql "$T/i.db" "SELECT COUNT(*) FROM smdp_profile")"
run smdp profile import "$T/pk/p1.der" --db "$T/j.db"
sql "$T/j.db" "CREATE TRIGGER inj BEFORE INSERT ON smdp_profile WHEN NEW.imsi = '001019000001004'
	BEGIN SELECT RAISE(ROLLBACK, 'injected rollback'); END" >/dev/null
rm "$T/pk/p1.der"
run smdp profile import "$T/pk" --db "$T/j.db" --batch 10
expect "import, transaction lost: rc" 1 "$rc"
expect "import, transaction lost: only the file after it" \
	"imported $(luhn 898824700000010005) (IMSI 001019000001005, type \"GSMA Generic eUICC Test Profile\") from $T/pk/p5.der
1 imported, 3 failed" "$out"
has "import, transaction lost: the files before it" "openrsp: $T/pk/p2.der: not imported: the transaction was rolled back" "$err"
has "import, transaction lost: the files before it" "openrsp: $T/pk/p3.der: not imported: the transaction was rolled back" "$err"
has "import, transaction lost: the file" "openrsp: $T/pk/p4.der: " "$err"
expect "import, transaction lost: the inventory" "001019000001001,001019000001005" "$(imsis "$T/j.db" smdp_profile)"

# ----- import stopped by a signal (SIGTERM here; SIGINT and SIGHUP alike) between two files:
# the open batch committed, the files after it named, exit 1 (the signal's default action
# killed the process with its batch lost). It comes while the import waits for the write
# lock another connection holds until then. -----
mkdir -p "$T/pk2"
cp "$T/pk/p2.der" "$T/pk/p3.der" "$T/pk/p4.der" "$T/pk/p5.der" "$T/pk2/"
run smdp profile import "$T/pk2/p5.der" --db "$T/s.db"
expect "stopped import: the last in place" 0 "$rc"
term_while_locked "$T/s.db" "$T/stop.out" "$T/stop.err" \
	"$B" smdp profile import "$T/pk2" --db "$T/s.db" --batch 10
expect "stopped import: rc (not SIGTERM's 143)" 1 "$rc"
expect "stopped import: the file of the open batch kept" \
	"imported $(luhn 898824700000010002) (IMSI 001019000001002, type \"GSMA Generic eUICC Test Profile\") from $T/pk2/p2.der
1 imported, 0 failed" "$(cat "$T/stop.out")"
expect "stopped import: the rest named" \
	"openrsp: smdp profile import: stopped by a signal; 3 file(s) not looked at, from $T/pk2/p3.der on" \
	"$(cat "$T/stop.err")"
expect "stopped import: the inventory" "001019000001002,001019000001005" "$(imsis "$T/s.db" smdp_profile)"

# ----- generate stopped the same way while it opens the database (its handler was put in
# place only after the opens: the signal's default action killed it there, rc 143, and what the
# opens had made stayed): exit 1 before the first profile, nothing added -----
term_while_locked "$T/s.db" "$T/stop.out" "$T/stop.err" \
	"$B" smdp profile generate --no-auc --db "$T/s.db" --template "$V7" \
	--iccid-start 898824700000012000 --imsi-start 001019000001200 --count 3
expect "stopped generate: rc (not SIGTERM's 143)" 1 "$rc"
has "stopped generate: said, with the range to rerun" \
	"stopped by a signal after 0 of 3 profile(s); the rest: --iccid-start 898824700000012000" \
	"$(cat "$T/stop.err")"
expect "stopped generate: the inventory" "001019000001002,001019000001005" "$(imsis "$T/s.db" smdp_profile)"

# ----- subscribers a run killed between the AuC's commit and the SM-DP+'s leaves (orphans:
# in the AuC, no profile of their IMSI in the SM-DP+; `auc add` makes them the same): a rerun
# is refused at the first, saying how many of the run's IMSIs from it are such, and
# --replace-orphans replaces them (deleted and added anew, audited), never a subscriber
# whose IMSI the SM-DP+ holds -----
OK16=000102030405060708090a0b0c0d0e0f
OPC16=0f0e0d0c0b0a09080706050403020100
# orphans AUC IMSI...: subscribers as a run killed between the two commits leaves them
orphans() {
	local a=$1 i
	shift
	for i in "$@"; do run auc add --db "$a" --imsi "$i" --k $OK16 --opc $OPC16; done
}
gen --db "$T/o.db" --auc "$T/o-auc.db" --iccid-start 898824700000013000 \
	--imsi-start 001019000001300 --count 2
expect "orphans: the two before them: rc" 0 "$rc"
orphans "$T/o-auc.db" 001019000001302 001019000001303 001019000001304
gen --db "$T/o.db" --auc "$T/o-auc.db" --iccid-start 898824700000013002 \
	--imsi-start 001019000001302 --count 4
expect "orphans, without the option: rc" 1 "$rc"
expect "orphans, without the option: the count and the option" \
	"openrsp: $(luhn 898824700000013002): profile 1 of 4: subscriber 001019000001302 already exists; nothing of this profile was written by this run, and the SM-DP+ has no profile of IMSI 001019000001302 nor of the 2 after it (to 001019000001304): 3 subscribers left by a run killed between the two commits? If no SIM uses them, --replace-orphans replaces them with this run's" "$err"
usage --replace-orphans smdp profile generate --no-auc --db "$T/o.db" --template "$V7" \
	--iccid-start 898824700000013002 --imsi-start 001019000001302 --replace-orphans
usage --replace-orphans smdp profile import "$V7" --db "$T/o.db" --replace-orphans
# a subscriber whose profile the SM-DP+ holds is refused with the option too
gen --db "$T/o.db" --auc "$T/o-auc.db" --iccid-start 898824700000013001 \
	--imsi-start 001019000001301 --count 5 --replace-orphans
expect "orphans, a held one first: rc" 1 "$rc"
has "orphans, a held one first: refused as a duplicate" \
	"profile 1 of 5: subscriber 001019000001301 already exists in the AuC, and the SM-DP+ holds profile $(luhn 898824700000013001) of that IMSI already; nothing of this profile was written by this run" "$err"
lacks "orphans, a held one first: not called an orphan" "replaces" "$err"
expect "orphans, a held one first: nothing replaced" 0 \
	"$(sql "$T/o-auc.db" "SELECT COUNT(*) FROM auc_audit WHERE action = 'delete'")"
gen --db "$T/o.db" --auc "$T/o-auc.db" --iccid-start 898824700000013002 \
	--imsi-start 001019000001302 --count 4 --replace-orphans
expect "orphans, --replace-orphans: rc ($err)" 0 "$rc"
has "orphans, --replace-orphans: the line" "each added to the AuC $T/o-auc.db (3 replacing a subscriber without a profile)" "$out"
expect "orphans, --replace-orphans: the SM-DP+" "001019000001300,001019000001301,001019000001302,001019000001303,001019000001304,001019000001305" "$(imsis "$T/o.db" smdp_profile)"
expect "orphans, --replace-orphans: audited as replaced" "delete,add delete,add delete,add" \
	"$(for i in 2 3 4; do sql "$T/o-auc.db" "SELECT group_concat(action, ',') FROM (SELECT action FROM auc_audit WHERE imsi = '00101900000130$i' AND action IN ('add', 'delete') ORDER BY id LIMIT 2 OFFSET 1)"; done | tr '\n' ' ' | sed 's/ $//')"
expect "orphans, --replace-orphans: the delete's reason" 3 \
	"$(sql "$T/o-auc.db" "SELECT COUNT(*) FROM auc_audit WHERE action = 'delete' AND detail LIKE 'replaced (--replace-orphans)%'")"
# each replaced subscriber's K/OPc are its new profile's: in the package (unsealed from the
# SM-DP+ independently, lib/unseal_upp.py), not the orphan's
run auc export --db "$T/o-auc.db" --format osmo-hlr-vty --all --out "$T/o.vty"
expect "orphans: export rc" 0 "$rc"
for i in 2 3 4; do
	"$PY" "$(dirname "$0")/lib/unseal_upp.py" "$T/o.db" "$(luhn 89882470000001300$i)" >"$T/o$i.der"
	if "$PY" - "$T/o.vty" "$T/o$i.der" 00101900000130$i $OK16 <<'PY'; then ok; else bad "orphan 130$i: the AuC's K/OPc are not its profile's"; fi
import re, sys
vty, der, imsi, old = open(sys.argv[1]).read(), open(sys.argv[2], "rb").read(), sys.argv[3], sys.argv[4]
k, opc = re.search(r"subscriber imsi %s update aud3g milenage k (\w+) opc (\w+)" % imsi, vty).groups()
assert k.lower() != old and bytes.fromhex(k) in der and bytes.fromhex(opc) in der
PY
done
lacks "orphans: no K printed" "$OK16" "$out$err"

# import --auc alike (each file on its own): a package's subscriber left without its
# profile is refused, then replaced by the package's
"$B" profile build --template "$V7" --iccid "$(luhn 898824700000014001)" \
	--imsi 001019000001401 --k 00112233445566778899aabbccddeeff \
	--opc ffeeddccbbaa99887766554433221100 -o "$T/o-imp.der" >/dev/null 2>&1
orphans "$T/o-auc.db" 001019000001401
run smdp profile import "$T/o-imp.der" --db "$T/o.db" --auc "$T/o-auc.db"
expect "import, orphan: rc" 1 "$rc"
has "import, orphan: the option named" "the SM-DP+ has no profile of IMSI 001019000001401: a subscriber left by a run killed between the two commits? If no SIM uses it, --replace-orphans replaces it with this run's" "$err"
run smdp profile import "$T/o-imp.der" --db "$T/o.db" --auc "$T/o-auc.db" --replace-orphans
expect "import, --replace-orphans: rc ($err)" 0 "$rc"
expect "import, --replace-orphans: the line" "imported $(luhn 898824700000014001) (IMSI 001019000001401, type \"GSMA Generic eUICC Test Profile\", its subscriber into the AuC $T/o-auc.db, replacing one without a profile) from $T/o-imp.der" "$out"
rm -f "$T/o.vty"
run auc export --db "$T/o-auc.db" --format osmo-hlr-vty --out "$T/o.vty" 001019000001401
has "import, --replace-orphans: the package's K/OPc" "subscriber imsi 001019000001401 update aud3g milenage k 00112233445566778899aabbccddeeff opc ffeeddccbbaa99887766554433221100" "$(cat "$T/o.vty")"
# the same file again: its profile is held now, so it is a duplicate, not an orphan
run smdp profile import "$T/o-imp.der" --db "$T/o.db" --auc "$T/o-auc.db" --replace-orphans
expect "import again, --replace-orphans: rc" 1 "$rc"
has "import again, --replace-orphans: refused" "already" "$err"
lacks "import again, --replace-orphans: not called an orphan" "replaces it" "$err"

# only the run's start is replaced: after a subscriber added anew, one without a profile
# further on may be another SIM's (`auc add`), and is refused as without the option, its K
# kept (until the session-72 review every such subscriber of the range was replaced)
orphans "$T/o-auc.db" 001019000001600 001019000001603
gen --db "$T/o.db" --auc "$T/o-auc.db" --iccid-start 898824700000016000 \
	--imsi-start 001019000001600 --count 5 --replace-orphans
expect "a SIM's subscriber past the start: rc" 1 "$rc"
has "a SIM's subscriber past the start: why" "profile 4 of 5: subscriber 001019000001603 already exists; nothing of this profile was written by this run: the SM-DP+ has no profile of IMSI 001019000001603, but --replace-orphans replaces only the subscribers at the start of the run, before its first profile added anew (where a rerun meets a killed run's), so this one may be another SIM's; if no SIM uses it, \`openrsp auc delete 001019000001603\`" "$err"
expect "a SIM's subscriber past the start: the start replaced, the rest before it added" \
	"001019000001600,001019000001601,001019000001602" \
	"$(sql "$T/o.db" "SELECT group_concat(imsi) FROM (SELECT imsi FROM smdp_profile WHERE imsi LIKE '0010190000016%' ORDER BY imsi)")"
rm -f "$T/o.vty"
run auc export --db "$T/o-auc.db" --format osmo-hlr-vty --out "$T/o.vty" 001019000001603
has "a SIM's subscriber past the start: its K kept" "subscriber imsi 001019000001603 update aud3g milenage k $OK16 opc $OPC16" "$(cat "$T/o.vty")"

# ----- the same range run again (as after a run killed without a word, which could name no
# rest): refused at its first profile, saying how many of the range both stores hold one
# after the other and the rest from there; the rest, with the orphans the kill left,
# completes with --replace-orphans -----
gen --db "$T/r.db" --auc "$T/r-auc.db" --iccid-start 898824700000015000 \
	--imsi-start 001019000001500 --count 3
expect "range again: the first three: rc" 0 "$rc"
orphans "$T/r-auc.db" 001019000001503 001019000001504
gen --db "$T/r.db" --auc "$T/r-auc.db" --iccid-start 898824700000015000 \
	--imsi-start 001019000001500 --count 6
expect "range again: rc" 1 "$rc"
expect "range again: how many held, and the rest" \
	"openrsp: $(luhn 898824700000015000): profile 1 of 6: subscriber 001019000001500 already exists in the AuC, and the SM-DP+ holds profile $(luhn 898824700000015000) of that IMSI already; nothing of this profile was written by this run; the first 3 of this range are in both stores already; the rest: --iccid-start 898824700000015003 --imsi-start 001019000001503 --count 3" "$err"
gen --db "$T/r.db" --auc "$T/r-auc.db" --iccid-start 898824700000015003 \
	--imsi-start 001019000001503 --count 3 --replace-orphans
expect "range again: the rest with --replace-orphans: rc ($err)" 0 "$rc"
gen --db "$T/r.db" --auc "$T/r-auc.db" --iccid-start 898824700000015000 \
	--imsi-start 001019000001500 --count 6
expect "range again, all held: rc" 1 "$rc"
has "range again, all held: said" "; all 6 of this range are in both stores already: nothing to do" "$err"
# the ICCIDs held with other IMSIs: not this range, no count
gen --db "$T/r.db" --auc "$T/r-auc.db" --iccid-start 898824700000015000 \
	--imsi-start 001019000001600 --count 2
expect "another range's ICCIDs: rc" 1 "$rc"
has "another range's ICCIDs: refused" "profile 1 of 2: ICCID $(luhn 898824700000015000) already imported" "$err"
lacks "another range's ICCIDs: no count" "of this range" "$err"
# the SM-DP+ holds the profiles, the AuC not their subscribers: not both stores
gen --db "$T/r.db" --auc "$T/r2-auc.db" --iccid-start 898824700000015000 \
	--imsi-start 001019000001500 --count 2
expect "held in the SM-DP+ only: rc" 1 "$rc"
lacks "held in the SM-DP+ only: no count" "of this range" "$err"
# without --auc, the SM-DP+ alone
gen --no-auc --db "$T/r3.db" --iccid-start 898824700000015000 --imsi-start 001019000001500 --count 2
gen --no-auc --db "$T/r3.db" --iccid-start 898824700000015000 --imsi-start 001019000001500 --count 5
expect "range again, no AuC: rc" 1 "$rc"
has "range again, no AuC: how many held, and the rest" \
	"profile 1 of 5: ICCID $(luhn 898824700000015000) already imported; the first 2 of this range are in the SM-DP+ already; the rest: --iccid-start 898824700000015002 --imsi-start 001019000001502 --count 3" "$err"

# ----- import --auc killed (SIGKILL: no handler) while it adds its second file: the first
# file's line, committed in both stores, is in the output already (until session 72 it sat
# in stdout's buffer, a file's, and was lost with the process) -----
if command -v gdb >/dev/null; then
	mkdir -p "$T/pk3"
	cp "$T/pk/p2.der" "$T/pk/p3.der" "$T/pk3/"
	gdb -q -batch -ex 'set breakpoint pending on' -ex 'break orsp_auc_add' -ex run \
		-ex continue -ex kill --args "$B" smdp profile import "$T/pk3" --db "$T/k.db" \
		--auc "$T/k-auc.db" >"$T/k.gdb" 2>&1 </dev/null || true
	run smdp profile list --db "$T/k.db" --json
	expect "killed import: the first file kept" 1 "$(grep -o '"iccid"' <<<"$out" | wc -l)"
	# gdb's own lines too in that file: the program's line among them
	has "killed import: its line printed" \
		"imported $(luhn 898824700000010002) (IMSI 001019000001002, type \"GSMA Generic eUICC Test Profile\", its subscriber into the AuC $T/k-auc.db) from $T/pk3/p2.der" \
		"$(cat "$T/k.gdb")"
fi

# ----- --batch: 1 to 10000 -----
for v in 0 10001 x ''; do
	usage --batch smdp profile generate --no-auc --db "$T/u.db" --template "$V7" \
		--iccid-start 898824700000011000 --imsi-start 001019000001100 --batch "$v"
	usage --batch smdp profile import "$T/pk" --db "$T/u.db" --batch "$v"
done
[[ ! -e "$T/u.db" ]] && ok || bad "a refused --batch created the database"

# ----- a failed import removes the new database it created only if nobody wrote to it: A is
# held (gdb) where it opens the database, B imports the same package into it and exits, A then
# fails (the ICCID is there now) and must leave B's profile and the KEK file (until session 55
# it removed both): held before the open (B creates the database: not A's to remove), and
# after it (A created it: B's rows keep it) -----
# race NAME BREAKPOINT: A held at BREAKPOINT while B runs; $T/NAME.db, $T/NAME-a.out, -b.out
race() {
	local db=$T/$1.db
	gdb -q -batch -ex 'set breakpoint pending on' -ex "break $2" -ex run \
		-ex "shell '$B' smdp profile import '$V7' --db '$db' >'$T/$1-b.out' 2>&1" \
		-ex delete -ex continue --args "$B" smdp profile import "$V7" --db "$db" \
		>"$T/$1-a.out" 2>&1 || true
	has "$1: B imported" "imported 89000123456789012341" "$(cat "$T/$1-b.out")"
	has "$1: A refused" "already imported" "$(cat "$T/$1-a.out")"
	expect "$1: B's profile kept" 1 "$(sql "$db" "SELECT count(*) FROM smdp_profile")"
	[[ -f "$db.kek" ]] && ok || bad "$1: the KEK file was removed"
}
if command -v gdb >/dev/null; then
	race before-open orsp_smdp_open_ex
	race after-open orsp_smdp_created
	has "after-open: A says why it leaves the database" "row(s) written since it was made" \
		"$(cat "$T/after-open-a.out")"
	# B imports and drops the audit table: A cannot count the rows, and keeps the database
	# (the failed count was 0 until session 57: B's database and profile were removed)
	db=$T/unread.db
	gdb -q -batch -ex 'set breakpoint pending on' -ex 'break orsp_smdp_created' -ex run \
		-ex "shell '$B' smdp profile import '$V7' --db '$db' >'$T/unread-b.out' 2>&1; python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"DROP TABLE smdp_audit\"); c.commit()' '$db'" \
		-ex delete -ex continue --args "$B" smdp profile import "$V7" --db "$db" \
		>"$T/unread-a.out" 2>&1 || true
	has "unreadable count: A refused" "already imported" "$(cat "$T/unread-a.out")"
	has "unreadable count: A says why it leaves the database" "it cannot be read to see whether another process wrote to it" \
		"$(cat "$T/unread-a.out")"
	expect "unreadable count: B's profile kept" 1 "$(sql "$db" "SELECT count(*) FROM smdp_profile")"
else
	bad "gdb is missing (scripts/setup.sh installs it)"
fi

rm -rf "$T"
finish
