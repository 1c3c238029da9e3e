#!/usr/bin/env bash
# `openrsp profile`: inspect, build and check on the GSMA TS.48 test profiles
# (tests/vectors/saip), keys from milenage.tsv / tuak.tsv (compared with the vector files,
# never with hand-typed results), malformed packages, and every usage error exiting 2 with the
# argument named. inspect must never print K, OP/OPc or TOP/TOPc.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_profile.XXXXXX")
. "$(dirname "$0")/lib/common.bash"
TS48="$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der"

# col FILE ROW COLUMN: one cell of a TSV vector file (ROW counted from 1 after the header).
col() {
	awk -F'\t' -v row="$2" -v name="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
		NR == row + 1 { print $c }' "$V/$1"
}

# ----- every TS.48 profile passes check -----
n=0
while IFS= read -r f; do
	run profile check "$f"
	if [[ $rc -eq 0 && "$out" == *"valid profile package"* ]]; then ok; else bad "check $f: rc=$rc $err"; fi
	n=$((n + 1))
done < <(find "$V/saip" -name '*.der' | sort)
expect "TS.48 profiles found" 1 $((n >= 44))

# ----- inspect a TS.48 profile -----
TEST_K=000102030405060708090a0b0c0d0e0f # GSMA's test K (saip/README.md)
run profile inspect "$TS48"
expect "inspect exit" 0 "$rc"
has "ICCID" "ICCID:        89000123456789012341" "$out"
has "EF.IMSI" "EF.IMSI:      001010123456789" "$out"
has "EF.AD" "EF.AD:        80000002 (MNC length 2)" "$out"
has "EF.SPN" '"GSMA_TEST"' "$out"
has "algorithm" "usim-test-algorithm (3), options 02" "$out"
has "usim template" "template 2.23.143.1.2.4: adf-usim(7FD0) ef-imsi(6F07)" "$out"
has "K length" "K:            16 bytes (not shown)" "$out"
lacks "inspect shows no K" "$TEST_K" "$out"
run profile inspect --json "$TS48"
expect "json iccid" 89000123456789012341 "$(json header iccid)"
expect "json imsi" 001010123456789 "$(json usim 0 imsi)"
expect "json alg" usim-test-algorithm "$(json aka 0 algorithm)"
expect "json key length" 16 "$(json aka 0 key_length)"
expect "json pes" 30 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])["pes"]))' "$out")"
lacks "json shows no K" "$TEST_K" "$out"
# a profileType with a terminal escape (ESC ] 0;X BEL sets the window title) and U+009B (CSI
# to many terminals): well-formed UTF-8, so the package passes; inspect shows each control
# character as '?' (the LPA's rule), JSON escapes them
"$PY" -c '
import sys
d = open(sys.argv[1], "rb").read()
old = b"\x82\x1fGSMA Generic eUICC Test Profile"
assert d.count(old) == 1
open(sys.argv[2], "wb").write(d.replace(old, b"\x82\x1f\x1b]0;X\x07\xc2\x9bGeneric eUICC Test Prof"))' \
	"$TS48" "$T/escape.der"
run profile inspect "$T/escape.der"
expect "escape: inspect exit" 0 "$rc"
has "escape: profile type shown safely" "profile type: ?]0;X??Generic eUICC Test Prof" "$out"
lacks "escape: no ESC byte" $'\e' "$out"
lacks "escape: no BEL byte" $'\a' "$out"
lacks "escape: no U+009B" $'\xc2\x9b' "$out"
run profile inspect --json "$T/escape.der"
expect "escape: JSON keeps the text, escaped" $'\e]0;X\a\xc2\x9bGeneric eUICC Test Prof' "$(json header profile_type)"
lacks "escape: no ESC byte in JSON" $'\e' "$out"

# ----- inspect: the security domains, their keys and their card-secret names, never a key value -----
# TS.48's ISD-R-like security domain: SCP80 (KVN 01: KIc, KID, KIK as DES) and SCP03 (KVN 02:
# S-ENC, S-MAC, DEK as AES), all six 16 bytes of 000102...0F, the test K's bytes. A copy with a
# different value in each keyData ('86' 10 after keyType '80'/'88') shows whether any of them
# leaks; the package is otherwise the same bytes, so it still decodes.
SDK=(sd1-kvn01-kid01 sd1-kvn01-kid02 sd1-kvn01-kid03 sd1-kvn02-kid01 sd1-kvn02-kid02 sd1-kvn02-kid03)
SD_PKG="$T/ts48-sdkeys.der"
mapfile -t SD_VALS < <("$PY" -c '
import hashlib, sys
d = bytearray(open(sys.argv[1], "rb").read())
old = bytes(range(16))
n = 0
for t in (b"\x80\x01\x80\x86\x10", b"\x80\x01\x88\x86\x10"):
    o = 0
    while (o := d.find(t + old, o)) >= 0:
        v = hashlib.sha256(b"sd key %d" % n).digest()[:16]
        d[o + len(t):o + len(t) + 16] = v
        print(v.hex())
        n += 1
        o += len(t) + 16
open(sys.argv[2], "wb").write(d)' "$TS48" "$SD_PKG")
expect "TS.48 keyData replaced" 6 "${#SD_VALS[@]}"
run profile inspect "$TS48"
has "sd1 heading" "security domain sd1 (PE #24)" "$out"
has "sd1 AID" "AID:          a000000151000000" "$out"
has "sd1 privileges" "privileges:   82dc00" "$out"
has "SCP80 KIc" "KVN 01 KID 01  usage 18    DES (80)              16 bytes  card secret sd1-kvn01-kid01" "$out"
has "SCP03 DEK" "KVN 02 KID 03  usage 48    AES (88)              16 bytes  card secret sd1-kvn02-kid03" "$out"
for name in "${SDK[@]}"; do has "text names $name" "card secret $name" "$out"; done
# a name for `auc secret`, not a claim that some AuC holds the key
lacks "no AuC label" "AuC sd" "$out" # not just "AuC": the file path is in the output
for f in "$TS48" "$SD_PKG"; do
	for mode in text json; do
		opt=()
		[[ $mode == json ]] && opt=(--json)
		run profile inspect "${opt[@]}" "$f"
		expect "inspect ($mode) $f exit" 0 "$rc"
		lacks "no TS.48 key ($mode)" "$TEST_K" "$out$err"
		lacks "no TS.48 key start ($mode)" "00010203" "$out$err"
		for v in "${SD_VALS[@]}"; do
			lacks "no key $v ($mode)" "$v" "$out$err"
			lacks "no key start ${v:0:8} ($mode)" "${v:0:8}" "$out$err"
			lacks "no key end ${v:24} ($mode)" "${v:24}" "$out$err"
		done
	done
done
run profile inspect --json "$SD_PKG"
expect "json sd number" 1 "$(json security_domains 0 sd)"
expect "json sd AID" a000000151000000 "$(json security_domains 0 aid)"
expect "json sd privileges" 82dc00 "$(json security_domains 0 privileges)"
expect "json sd keys listed" True "$(json security_domain_keys_complete)"
for k in 0 1 2 3 4 5; do
	expect "json key $k name" "${SDK[$k]}" "$(json security_domains 0 keys $k card_secret)"
	expect "json key $k length" 16 "$(json security_domains 0 keys $k length)"
	expect "json key $k type" "$([[ $k -lt 3 ]] && echo DES || echo AES)" \
		"$(json security_domains 0 keys $k type_name)"
done
expect "json KVN/KID of the DEK" 02/03 "$(json security_domains 0 keys 5 kvn)/$(json security_domains 0 keys 5 kid)"
expect "json one security domain" 1 \
	"$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])["security_domains"]))' "$out")"

# ----- build: Milenage with OP (TS 35.208 set 1) -----
K=$(col milenage.tsv 1 k)
OP=$(col milenage.tsv 1 op)
OPC=$(col milenage.tsv 1 opc)
OUT="$T/milenage.der"
run profile build --template "$TS48" --iccid 8949449999999990171 --imsi 262019876543210 \
	--k "$K" --op "$OP" --spn "openrsp" --profile-name "openrsp test profile" --class test -o "$OUT"
expect "build exit" 0 "$rc"
has "build summary" "ICCID 8949449999999990171, IMSI 262019876543210, milenage" "$out"
has "class reported" "profile class test" "$out"
lacks "build shows no K" "$K" "$out$err"
# the template's security-domain keys are kept, and build says so (one line on stderr), as
# it says the CSIM's identity is kept (the next line; "build: the CDMA secrets" below)
expect "build warns of the template's security-domain keys" "openrsp: warning: $OUT keeps the 6 symmetric security-domain keys of $TS48 (OTA keys; a GSMA TS.48 template's are published test keys): every package built from that template shares them. \`openrsp smdp profile generate\` draws them per card and, with --auc, keeps them in the AuC" "$(sed -n 1p <<<"$err")"
expect "build's stderr: two warnings" 2 "$(wc -l <<<"$err")"
expect "mode 0600" 600 "$(stat -c %a "$OUT")"
run profile check "$OUT"
expect "built package checks" 0 "$rc"
run profile inspect "$OUT"
has "built ICCID" "ICCID:        8949449999999990171" "$out"
has "built IMSI" "EF.IMSI:      262019876543210" "$out"
has "built SPN" '"openrsp"' "$out"
has "built name" "profile type: openrsp test profile" "$out"
has "built alg" "milenage (1)" "$out"
has "built services" "milenage" "$(grep services: <<<"$out")"
lacks "no test algorithm left" "usim-test-algorithm" "$out"
lacks "inspect shows no K" "$K" "$out"
lacks "inspect shows no OPc" "$OPC" "$out"
# -o is --output only where an option stands: as an option's value it stays "-o" (it was read
# as --output, the profile named "--output"), after "--" it is an argument; -o and --output
# are one option, given twice refused
BA=(profile build --template "$TS48" --iccid 8949449999999990171 --imsi 262019876543210 --k "$K" --op "$OP")
run "${BA[@]}" --profile-name -o -o "$T/o-name.der"
expect "--profile-name -o: rc" 0 "$rc"
run profile inspect "$T/o-name.der"
has "--profile-name -o: the name" "profile type: -o" "$out"
usage -o "${BA[@]}" --output "$T/o-dash.der" -- -o
usage -o "${BA[@]}" -o "$T/o-1.der" -o "$T/o-2.der"
usage --output "${BA[@]}" -o "$T/o-1.der" --output "$T/o-2.der"
usage -o "${BA[@]}" -o
if [[ ! -e "$T/o-dash.der" && ! -e "$T/o-1.der" && ! -e "$T/o-2.der" ]]; then ok; else bad "a refused -o wrote a package"; fi
lacks "inspect shows no OP" "$OP" "$out"
run profile inspect --json "$OUT"
lacks "json shows no K" "$K" "$out"
lacks "json shows no OPc" "$OPC" "$out"
expect "json opc length" 16 "$(json aka 1 opc_length)"
expect "json profile type" "openrsp test profile" "$(json header profile_type)"
# The OPc really is in the package (as bytes), computed from OP as TS 35.208 says.
expect "OPc in package" 1 "$("$PY" -c 'import sys; print(int(bytes.fromhex(sys.argv[2]) in open(sys.argv[1],"rb").read()))' "$OUT" "$OPC")"

# ----- build: the CDMA secrets are drawn per package, the CSIM identity is kept -----
# TS.48 v7 SUCI: PE #14 csim, PE #17 cdmaParameter with GSMA's published A-Key
# 00000000FFFFFFFF, SSD 0123...CDEF twice and HRPD, Simple IP and Mobile IP blocks.
SUCI="$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_BERTLV_SUCI.der"
# pe FILE N: PE number N of a package, in hex
pe() {
	"$PY" -c '
import sys
d = open(sys.argv[1], "rb").read()
i = n = 0
while i < len(d):
    j = i + 1
    if d[i] & 0x1F == 0x1F:
        while d[j] & 0x80: j += 1
        j += 1
    l = d[j]; j += 1
    if l & 0x80:
        k = l & 0x7F; l = int.from_bytes(d[j:j + k], "big"); j += k
    if n == int(sys.argv[2]):
        print(d[i:j + l].hex()); break
    i = j + l; n += 1' "$1" "$2"
}
CDMA_T=$(pe "$SUCI" 17)
expect "template's PE #17 is the cdmaParameter" "a56fa005800081011281080000" "${CDMA_T:0:26}"
CSIM_T=$(pe "$SUCI" 14)
declare -A CDMA
for v in a b; do
	run profile build --template "$SUCI" --iccid 8949449999999990171 --imsi 262019876543210 \
		--k "$K" --op "$OP" -o "$T/cdma-$v.der"
	expect "build $v (CDMA secrets drawn)" 0 "$rc"
	has "build $v says the CDMA secrets were drawn" "CDMA: 5 secrets (A-Key, SSD, HRPD/Simple IP/Mobile IP shared secrets) drawn at random and kept nowhere: openrsp does no CDMA authentication (--keep-cdma-keys keeps the template's)" "$out"
	has "build $v warns of the CSIM identity" "openrsp: warning: $T/cdma-$v.der keeps the CSIM identity (EF.IMSI_M, EF.IMSI_T) of $SUCI: openrsp assigns no CDMA identity, so every package built from that template shares it" "$err"
	lacks "build $v: no warning of CDMA secrets kept" "CDMA secrets" "$err"
	run profile check "$T/cdma-$v.der"
	expect "build $v checks" 0 "$rc"
	CDMA[$v]=$(pe "$T/cdma-$v.der" 17)
	expect "build $v: the CSIM is the template's" "$CSIM_T" "$(pe "$T/cdma-$v.der" 14)"
	expect "build $v: cdmaParameter of the template's length" "${#CDMA_T}" "${#CDMA[$v]}"
	expect "build $v: cdmaParameter not the template's" 1 "$([[ ${CDMA[$v]} != "$CDMA_T" ]] && echo 1 || echo 0)"
	lacks "build $v: GSMA's A-Key gone" "00000000ffffffff" "${CDMA[$v]}"
	lacks "build $v: GSMA's SSD gone" "0123456789abcdef0123456789abcdef" "${CDMA[$v]}"
done
expect "two builds, two cdmaParameters" 1 "$([[ ${CDMA[a]} != "${CDMA[b]}" ]] && echo 1 || echo 0)"
# --keep-cdma-keys: the template's, with a warning
run profile build --template "$SUCI" --iccid 8949449999999990171 --imsi 262019876543210 \
	--k "$K" --op "$OP" --keep-cdma-keys -o "$T/cdma-kept.der"
expect "build --keep-cdma-keys" 0 "$rc"
has "--keep-cdma-keys warns" "openrsp: warning: $T/cdma-kept.der keeps the 5 CDMA secrets (A-Key, SSD, HRPD/Simple IP/Mobile IP shared secrets) of $SUCI (a GSMA TS.48 template's are published test values): every package built from that template shares them" "$err"
lacks "--keep-cdma-keys: nothing drawn" "CDMA:" "$out"
expect "--keep-cdma-keys keeps the cdmaParameter" "$CDMA_T" "$(pe "$T/cdma-kept.der" 17)"
run profile check "$T/cdma-kept.der"
expect "kept CDMA secrets check" 0 "$rc"
# an HRPD block whose SS_LENGTH (31) runs past its 17 bytes: refused with the way out
"$PY" -c 'import sys; d = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(d.replace(bytes.fromhex("83118008101820"), bytes.fromhex("8311f808101820")))' "$SUCI" "$T/cdma-bad.der"
failure "--keep-cdma-keys keeps the template's CDMA keys" profile build --template "$T/cdma-bad.der" \
	--iccid 8949449999999990171 --imsi 262019876543210 --k "$K" --op "$OP" -o "$T/cdma-bad-out.der"
has "the block named" "PE #17 (cdmaParameter): hrpdAccessAuthenticationData" "$err"
expect "nothing written" 0 "$([[ -e "$T/cdma-bad-out.der" ]] && echo 1 || echo 0)"
run profile build --template "$T/cdma-bad.der" --iccid 8949449999999990171 --imsi 262019876543210 \
	--k "$K" --op "$OP" --keep-cdma-keys -o "$T/cdma-bad-out.der"
expect "that template with --keep-cdma-keys" 0 "$rc"

# ----- build: TUAK, 256-bit K, 2 Keccak iterations, TOP (TS 35.233 set 6) -----
TK=$(col tuak.tsv 6 k)
TOP=$(col tuak.tsv 6 top)
TOPC=$(col tuak.tsv 6 topc)
ITER=$(col tuak.tsv 6 keccak_iterations)
run profile build --template "$TS48" --iccid 89000123456789012341 --imsi 00101012345678 \
	--alg tuak --k "$TK" --top "$TOP" --keccak "$ITER" --mnc-length 3 -o "$T/tuak.der"
expect "tuak build" 0 "$rc"
run profile inspect "$T/tuak.der"
has "tuak alg" "tuak (2)" "$out"
has "tuak keccak" "Keccak:       $ITER iteration(s)" "$out"
has "tuak256 service" "tuak256" "$out"
has "mnc length" "(MNC length 3)" "$out"
lacks "no TOPc" "$TOPC" "$out"
lacks "no K" "$TK" "$out"
expect "TOPc in package" 1 "$("$PY" -c 'import sys; print(int(bytes.fromhex(sys.argv[2]) in open(sys.argv[1],"rb").read()))' "$T/tuak.der" "$TOPC")"

# ----- the ISIM's IMS identity: TS 23.003 §13's of the IMSI, not the template's -----
run profile inspect "$TS48"
has "template IMPI" "EF.IMPI:      001010123456789@test.3gpp.com" "$out"
has "template IMPU 3" "EF.IMPU 3:    sip:user@test.3gpp.com" "$out"
run profile inspect "$OUT"
has "built IMPI" "EF.IMPI:      262019876543210@ims.mnc001.mcc262.3gppnetwork.org" "$out"
has "built domain" "EF.DOMAIN:    ims.mnc001.mcc262.3gppnetwork.org" "$out"
has "built IMPU" "EF.IMPU 1:    sip:262019876543210@ims.mnc001.mcc262.3gppnetwork.org" "$out"
lacks "template's other IMPUs cleared" "test.3gpp.com" "$out"
run profile inspect "$T/tuak.der"
has "3-digit MNC" "EF.IMPI:      00101012345678@ims.mnc010.mcc001.3gppnetwork.org" "$out"
# the next IMSI from the same template: another IMPI
run profile build --template "$TS48" --iccid 8949449999999990171 --imsi 262019876543211 \
	--k "$K" --op "$OP" -o "$T/next.der"
expect "second build" 0 "$rc"
run profile inspect --json "$T/next.der"
expect "json impi" 262019876543211@ims.mnc001.mcc262.3gppnetwork.org "$(json isim 0 impi)"
expect "json impu" sip:262019876543211@ims.mnc001.mcc262.3gppnetwork.org "$(json isim 0 impu 0 uri)"
# EF.AD marked doNotCreate (lib/der_replace.py; PEDefinitions File.doNotCreate): the eUICC has
# no EF.AD, so nothing gives the IMS domain's MNC length (it took 2: ims.mnc041.mcc310 for MNC
# 410) and --mnc-length has no EF.AD to go to (it was refused as ORSP_E_POLICY, "the file is
# marked doNotCreate"); the package is valid, and builds with the template's IMS identity
"$PY" "$(dirname "$0")/lib/der_replace.py" "$TS48" "$T/ad-dnc.der" \
	b517a10f8202412183026fad8b036f0607a500830480000002 b5028000
run profile check "$T/ad-dnc.der"
expect "EF.AD doNotCreate: check ($err)" 0 "$rc"
has "EF.AD doNotCreate: a warning (TS 31.102 makes it mandatory)" \
	"warning: PE #7 (usim): ef-ad: doNotCreate leaves the USIM without EF.AD" "$out"
# EF.IMSI marked doNotCreate: no subscription on the USIM, and none `profile build` can write
# (it was a valid package, 0 warnings, that the build refused)
"$PY" "$(dirname "$0")/lib/der_replace.py" "$TS48" "$T/imsi-dnc.der" \
	a31ca10f8202412183026f078b036f060aa5008309080910101032547698 a3028000
run profile check "$T/imsi-dnc.der"
expect "EF.IMSI doNotCreate: check" 1 "$rc"
has "EF.IMSI doNotCreate named" \
	"error: PE #7 (usim): ef-imsi: doNotCreate leaves the USIM without EF.IMSI, mandatory in TS 31.102" "$out"
failure "(EF.AD is marked doNotCreate): give --keep-ims-identity" profile build \
	--template "$T/ad-dnc.der" --iccid 8949449999999990171 --imsi 310410123456789 \
	--k "$K" --op "$OP" -o "$T/ad-dnc-built.der"
failure "(usim): no ef-ad in the template: cannot set the MNC length" profile build \
	--template "$T/ad-dnc.der" --iccid 8949449999999990171 --imsi 310410123456789 \
	--k "$K" --op "$OP" --mnc-length 3 -o "$T/ad-dnc-built.der"
run profile build --template "$T/ad-dnc.der" --iccid 8949449999999990171 \
	--imsi 310410123456789 --k "$K" --op "$OP" --keep-ims-identity -o "$T/ad-dnc-built.der"
expect "EF.AD doNotCreate: build --keep-ims-identity" 0 "$rc"
# --keep-ims-identity: the template's stays
run profile build --template "$TS48" --iccid 8949449999999990171 --imsi 262019876543212 \
	--k "$K" --op "$OP" --keep-ims-identity -o "$T/kept.der"
expect "build --keep-ims-identity" 0 "$rc"
run profile inspect "$T/kept.der"
has "kept IMPI" "EF.IMPI:      001010123456789@test.3gpp.com" "$out"
has "kept IMPU 2" "EF.IMPU 2:    sip:+11234567890@test.3gpp.com" "$out"
# EF.IMPU records of 32 bytes (descriptor 42210020): the 55-byte temporary IMPU does not fit
"$PY" -c '
import sys
d = open(sys.argv[1], "rb").read()
old = bytes.fromhex("82044221004083026F04")
assert d.count(old) == 1
open(sys.argv[2], "wb").write(d.replace(old, bytes.fromhex("82044221002083026F04")))' "$TS48" "$T/impu32.der"
usage build profile build --template "$T/impu32.der" --iccid 8949449999999990171 \
	--imsi 262019876543213 --k "$K" --op "$OP" -o "$T/impu32-built.der"
has "too long named" "ef-impu: the IMPU sip:262019876543213@ims.mnc001.mcc262.3gppnetwork.org does not fit the record of 32 bytes: 55 bytes needed" "$err"
if [[ -e "$T/impu32-built.der" ]]; then bad "a refused IMS identity wrote output"; else ok; fi
run profile build --template "$T/impu32.der" --iccid 8949449999999990171 \
	--imsi 262019876543213 --k "$K" --op "$OP" --keep-ims-identity -o "$T/impu32-built.der"
expect "too long kept" 0 "$rc"
# EF.IMPU of 80 bytes (efFileSize C0 made 50) in records of 64: no whole number of records,
# which openrsp's eUICC refuses (it served the profile without its ISIM): check and build
# refuse it naming the file and both sizes, and build writes nothing
"$PY" -c '
import sys
d = open(sys.argv[1], "rb").read()
old = bytes.fromhex("83026F048B036F06018001C0")
assert d.count(old) == 1
open(sys.argv[2], "wb").write(d.replace(old, old[:-1] + b"\x50"))' "$TS48" "$T/impu80.der"
run profile check "$T/impu80.der"
expect "EF.IMPU of 80 bytes: check" 1 "$rc"
has "EF.IMPU of 80 bytes named" "error: PE #18 (isim): ef-impu: 80 bytes is not a whole number of records of 64 bytes" "$out"
for keep in "" --keep-ims-identity; do
	run profile build --template "$T/impu80.der" --iccid 8949449999999990171 \
		--imsi 262019876543213 --k "$K" --op "$OP" $keep -o "$T/impu80-built.der"
	expect "EF.IMPU of 80 bytes: build $keep" 1 "$rc"
	has "EF.IMPU of 80 bytes: build $keep names it" "ef-impu: 80 bytes is not a whole number of records of 64 bytes" "$err"
	if [[ -e "$T/impu80-built.der" ]]; then bad "EF.IMPU of 80 bytes: build $keep wrote output"; else ok; fi
done
# a USIM dfName of the ISIM's application code, a record length that does not divide
# EF.PSISMSC's 22 bytes (a PE the eUICC does not serve): refused naming them
"$PY" -c '
import sys
d = open(sys.argv[1], "rb").read()
for old, new, out in (("840CA0000000871002FF49FF0589", "840CA0000000871004FF49FF0589", "usim-aid"),
                      ("8204422100168302" "6FE5", "8204422100158302" "6FE5", "psismsc")):
    old, new = bytes.fromhex(old), bytes.fromhex(new)
    assert d.count(old) == 1
    open(sys.argv[2] + "/" + out + ".der", "wb").write(d.replace(old, new))' "$TS48" "$T"
run profile check "$T/usim-aid.der"
expect "USIM dfName of an ISIM: check" 1 "$rc"
has "USIM dfName of an ISIM named" "error: PE #7 (usim): adf-usim: dfName a0000000871004ff49ff0589 is not a USIM AID" "$out"
run profile check "$T/psismsc.der"
expect "EF.PSISMSC in records of 21: check" 1 "$rc"
has "EF.PSISMSC in records of 21 named" "error: PE #4 (telecom): ef-psismsc: 22 bytes is not a whole number of records of 21 bytes" "$out"

# ----- --sqn-delta: each PE-AKAParameter keeps its own sqnOptions and sqnAgeLimit -----
# The second one gets sqnAgeLimit [4] 000000001001 (before its sqnInit [5], if any).
"$PY" -c '
import sys
def tlvs(d):
    i = 0
    while i < len(d):
        j = i + 1
        n = d[j]
        hl, l = (2, n) if n < 0x80 else (2 + (n & 0x7f), int.from_bytes(d[j + 1:j + 1 + (n & 0x7f)], "big"))
        yield d[i:i + hl + l], d[i + hl:i + hl + l]
        i += hl + l
def tlv(tag, v):
    n = len(v)
    ln = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + ln + v
out, akas = b"", 0
for raw, val in tlvs(open(sys.argv[1], "rb").read()):
    if raw[0] == 0xa4:  # [4] constructed = PE-AKAParameter
        akas += 1
        if akas == 2:
            kids = [k for k, _ in tlvs(val)]
            at = next((i for i, k in enumerate(kids) if k[0] == 0xa5), len(kids))
            kids.insert(at, bytes.fromhex("8406000000001001"))
            raw = tlv(0xa4, b"".join(kids))
    out += raw
assert akas == 2
open(sys.argv[2], "wb").write(out)' "$TS48" "$T/age.der"
run profile check "$T/age.der"
expect "two age limits template" 0 "$rc"
run profile build --template "$T/age.der" --iccid 89000123456789012341 --imsi 001010123456789 \
	--k "$K" --opc "$OPC" --sqn-delta 1000 -o "$T/age-built.der"
expect "sqn-delta build" 0 "$rc"
run profile inspect --json "$T/age-built.der"
expect "first sqnDelta" 1000 "$(json aka 0 sqn_delta)"
expect "second sqnDelta" 1000 "$(json aka 1 sqn_delta)"
expect "first age limit kept" $((0x10000000)) "$(json aka 0 sqn_age_limit)"
expect "second age limit kept" $((0x1001)) "$(json aka 1 sqn_age_limit)"

# ----- malformed and invalid packages: exit 1 naming the PE -----
head -c 500 "$TS48" >"$T/trunc.der"
run profile check "$T/trunc.der"
expect "truncated exit" 1 "$rc"
has "truncated names the PE" "openrsp: $T/trunc.der: PE #1" "$err"
# --json: one object also for a FILE that does not decode or cannot be read, its one issue
# what stderr says (until session 76 nothing on stdout)
: >"$T/empty.der"
for f in "$T/trunc.der" "$T/empty.der" "$T/no \"such\".der"; do
	run profile check --json "$f"
	expect "json of a package not decoded: exit ($f)" 1 "$rc"
	expect "json of a package not decoded ($f)" \
		"['file', 'valid', 'profile_elements', 'errors', 'warnings', 'issues'] $f False 0 1 0 1" \
		"$("$PY" -c 'import json, sys; d = json.loads(sys.argv[1]); print(list(d), d["file"], d["valid"], d["profile_elements"], d["errors"], d["warnings"], len(d["issues"]))' "$out")"
	expect "json of a package not decoded: the issue ($f)" "error|${err#"openrsp: $f: "}" \
		"$(json issues 0 severity)|$(json issues 0 message)"
	expect "json of a package not decoded: one stderr line ($f)" 1 "$(wc -l <"$T/err")"
done
# Without its PE-Header (the first TLV, cut with its own length).
"$PY" -c '
import sys
d = open(sys.argv[1], "rb").read()
n = d[1]
hl, l = (2, n) if n < 0x80 else (2 + (n & 0x7f), int.from_bytes(d[2:2 + (n & 0x7f)], "big"))
open(sys.argv[2], "wb").write(d[hl + l:])' "$TS48" "$T/nohdr.der"
run profile check "$T/nohdr.der"
expect "no header exit" 1 "$rc"
has "no header reported" "error: PE #0 (mf): the first PE must be the ProfileHeader" "$out"
has "no header summary" "invalid profile package" "$err"
run profile check --json "$T/nohdr.der"
expect "json check exit" 1 "$rc"
expect "json valid" False "$(json valid)"
run profile inspect "$T/nohdr.der"
expect "inspect of a decodable but invalid package" 0 "$rc"
# A value that is BER, not DER (X.690 §8.3.2): PE-End's identification 1F as 00 1F. The
# SM-DP+'s import validates the same way, so it refuses the package too.
"$PY" -c '
import sys
d = open(sys.argv[1], "rb").read()
assert d.endswith(bytes.fromhex("aa07a005800081011f"))
open(sys.argv[2], "wb").write(d[:-9] + bytes.fromhex("aa08a00680008102001f"))' "$TS48" "$T/notder.der"
run profile check "$T/notder.der"
expect "not DER exit" 1 "$rc"
has "not DER reported" "error: PE #29 (end): not DER" "$out"
# An element of a later PEDefinitions ([1] in PE-End), which the decoder drops: nothing could
# check it, so the check refuses it (an eUICC installs it unless the PE is mandated).
"$PY" -c '
import sys
d = open(sys.argv[1], "rb").read()
assert d.endswith(bytes.fromhex("aa07a005800081011f"))
open(sys.argv[2], "wb").write(d[:-9] + bytes.fromhex("aa0aa005800081011f810100"))' "$TS48" "$T/ext.der"
run profile check "$T/ext.der"
expect "later element exit" 1 "$rc"
has "later element reported" "error: PE #29 (end): not DER" "$out"
run profile check "$T/none.der"
expect "missing file" 1 "$rc"
run profile build --template "$T/trunc.der" --iccid 89000123456789012341 --imsi 001010123456789 \
	--k "$K" --opc "$OPC" -o "$T/x.der"
expect "bad template exit" 1 "$rc"
has "bad template names the PE" "PE #1" "$err"
[[ ! -e "$T/x.der" ]] && ok || bad "no output for a bad template"
# A template the build cannot fill (no PE-USIM): exit 1, an existing output stays as it was.
cp "$OUT" "$T/keep.der"
"$PY" -c '
import sys
d = open(sys.argv[1], "rb").read()
out, i = b"", 0
while i < len(d):
    t = d[i]; j = i + 1
    if t & 0x1f == 0x1f:
        while d[j] & 0x80: j += 1
        j += 1
    n = d[j]
    hl, l = (j + 1 - i, n) if n < 0x80 else (j + 1 - i + (n & 0x7f), int.from_bytes(d[j + 1:j + 1 + (n & 0x7f)], "big"))
    if d[i:j] != bytes([0xb3]):  # [19] constructed = PE-USIM
        out += d[i:i + hl + l]
    i += hl + l
open(sys.argv[2], "wb").write(out)' "$TS48" "$T/nousim.der"
run profile build --template "$T/nousim.der" --iccid 89000123456789012341 --imsi 001010123456789 \
	--k "$K" --opc "$OPC" -o "$T/keep.der"
expect "no USIM exit" 1 "$rc"
has "no USIM reason" "PE-USIM" "$err"
cmp -s "$OUT" "$T/keep.der" && ok || bad "existing output changed by a failed build"
# -o names a file: a FIFO, a device or a link is refused and left as it was (a FIFO and a
# device node were replaced by a file holding K until session 70), and so is the template
# itself (it was replaced by the package)
build_to() {
	run profile build --template "$1" --iccid 89000123456789012341 --imsi 001010123456789 \
		--k "$K" --opc "$OPC" -o "$2"
}
mkfifo "$T/out.fifo"
build_to "$TS48" "$T/out.fifo"
expect "-o a FIFO" 1 "$rc"
has "-o a FIFO says so" "is a FIFO, not a regular file" "$err"
[[ -p "$T/out.fifo" ]] && ok || bad "the FIFO at -o was replaced"
ln -s "$T/keep.der" "$T/out.link"
build_to "$TS48" "$T/out.link"
expect "-o a link" 1 "$rc"
has "-o a link says so" "is a symbolic link" "$err"
[[ -L "$T/out.link" ]] && cmp -s "$OUT" "$T/keep.der" && ok || bad "the link at -o or its file changed"
cp "$TS48" "$T/tmpl.der"
build_to "$T/tmpl.der" "$T/tmpl.der"
expect "-o the template" 1 "$rc"
has "-o the template says so" "is the template" "$err"
cmp -s "$TS48" "$T/tmpl.der" && ok || bad "the template was replaced"
# what a killed build left beside -o (its temporary file, K in it) goes with the next build
cp "$OUT" "$T/out.der.tmp-0a1b2c"
build_to "$TS48" "$T/out.der"
expect "build beside a leftover" 0 "$rc"
[[ ! -e "$T/out.der.tmp-0a1b2c" ]] && ok || bad "a killed build's temporary file was left"

# ----- secrets leave the command line -----
# PIN1, PUK1 and ADM1 are overwritten in argv once the options are read: while the command
# waits for K on standard input (a FIFO), /proc/PID/cmdline no longer holds them
# waiting NAME ARGS...: openrsp ARGS started with standard input from the FIFO $T/NAME (held
# open on fd 3), pid its process and cmdline its command line once it blocks in read(2)
# (syscall 0) on fd 0
waiting() {
	mkfifo "$T/$1"
	exec 3<>"$T/$1"
	"$B" "${@:2}" <"$T/$1" >/dev/null 2>"$T/$1.err" &
	pid=$!
	for _ in $(seq 2400); do
		[[ $(cat "/proc/$pid/syscall" 2>/dev/null) == "0 0x0 "* ]] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
}
waiting fifo profile build --template "$TS48" --iccid 89000123456789012341 --imsi 001010123456789 \
	--k - --opc "$OPC" --pin1 13572468 --puk1 97531864 --adm1 86429753 -o "$T/fifo.der"
has "cmdline of the waiting build" "--adm1 xxxxxxxx" "$cmdline"
lacks "ADM1 in cmdline" 86429753 "$cmdline"
lacks "PIN1 in cmdline" 13572468 "$cmdline"
lacks "PUK1 in cmdline" 97531864 "$cmdline"
echo "$K" >&3
rc=0
wait "$pid" || rc=$?
exec 3>&-
expect "build with --k - from a FIFO" 0 "$rc"
# the values went into the package: ASCII digits of ADM1 (TS 102 221 §9.5.1)
expect "ADM1 in the package" 1 "$("$PY" -c 'import sys; print(int(b"86429753" in open(sys.argv[1],"rb").read()))' "$T/fifo.der")"
# K and OPc given inline leave the command line when read as options too, before --pin1 -
# waits on standard input (they stayed there until the PIN was typed: session 57's review)
waiting pinfifo profile build --template "$TS48" --iccid 89000123456789012341 \
	--imsi 001010123456789 --k "$K" --opc "$OPC" --pin1 - -o "$T/pin.der"
lacks "K in cmdline while --pin1 - waits" "$K" "$cmdline"
lacks "OPc in cmdline while --pin1 - waits" "$OPC" "$cmdline"
echo 1234 >&3
rc=0
wait "$pid" || rc=$?
exec 3>&-
expect "build with --pin1 - from a FIFO" 0 "$rc"
# ... also from @FILE (mode 600) and from standard input
(umask 077 && echo 24681357 >"$T/adm1.txt")
run profile build --template "$TS48" --iccid 89000123456789012341 --imsi 001010123456789 \
	--k "$K" --opc "$OPC" --adm1 "@$T/adm1.txt" --pin1 - -o "$T/adm1.der" <<<"1234"
expect "--adm1 @FILE --pin1 - exit" 0 "$rc"
expect "ADM1 from @FILE in the package" 1 "$("$PY" -c 'import sys; print(int(b"24681357" in open(sys.argv[1],"rb").read()))' "$T/adm1.der")"
chmod 644 "$T/adm1.txt"

# ----- usage errors: exit 2, the argument named -----
A=(--template "$TS48" --iccid 89000123456789012341 --imsi 001010123456789 --k "$K" --opc "$OPC")
# a_but OPT...: A without those options and their values, into AB (an option given twice is
# refused as such, so a bad value of one of A's is given in its place)
a_but() {
	local i o skip
	AB=()
	for ((i = 0; i < ${#A[@]}; i += 2)); do
		skip=
		for o; do [[ ${A[i]} == "$o" ]] && skip=1; done
		[[ -n $skip ]] || AB+=("${A[i]}" "${A[i + 1]}")
	done
}
usage --k profile build "${A[@]}" --k "$K" -o "$T/u.der"
usage --pin1 profile build "${A[@]}" --pin1 1234 --pin1 5678 -o "$T/u.der"
not_stdout -o profile build "${A[@]}" -o -
not_stdout -o profile build "${A[@]}" --output -
usage --adm1 profile build "${A[@]}" --adm1 "@$T/adm1.txt" -o "$T/u.der"
usage --puk1 profile build "${A[@]}" --puk1 "$(printf '1%.0s' {1..65})" -o "$T/u.der"
usage --pin2 profile build "${A[@]}" --pin2 - -o "$T/u.der" </dev/null
# a usage error in an option before the secrets (or -h) overwrites them before it is said:
# here the message waits on a full pipe, the secrets already gone (they stayed until the exit)
a_but --k --opc
for early in "--frob" "-h" "--iccid 1 --iccid 1"; do
	# shellcheck disable=SC2086 # $early: options and their values
	hidden_while_said "profile build $early" "$K $OPC 13572468 24681357 97531864 86429753 31415926" \
		profile build $early "${AB[@]}" --k "$K" --opc "$OPC" --pin1 13572468 --pin2 24681357 \
		--puk1 97531864 --puk2 86429753 --adm1=31415926 -o "$T/u.der"
done
# `-o` as a secret option's value: taken as that value (and overwritten), not a crash on a
# read-only "--output"; the file name after it is then an extra argument
usage x profile build "${A[@]}" --pin1 -o x
usage x profile build "${A[@]}" --adm1 -o x
# a stray argument before or among the options (getopt moves it to the end)
usage stray profile build stray "${A[@]}" -o "$T/u.der"
usage stray profile build -o "$T/u.der" stray "${A[@]}"
# an empty path (a script's unset variable) is a usage error naming the option, not
# "openrsp: : cannot write" once the package is built
usage -o profile build "${A[@]}" -o ""
a_but --template
usage --template profile build "${AB[@]}" --template "" -o "$T/u.der"
lacks "--template '': not taken for a repeat" "given twice" "$err"
# -oOUT (no such form: -o OUT) is named -o, not by the OPc before it; a forgotten --opc
# leaves the OPc a stray argument, not echoed either
usage -o profile build "${A[@]}" "-o$T/u.der"
lacks "-oOUT: OPc not shown" "$OPC" "$err"
usage "argument 1" profile build --template "$TS48" --iccid 89000123456789012341 --imsi 001010123456789 --k "$K" "$OPC" -o "$T/u.der"
lacks "stray OPc not shown" "$OPC" "$err"
usage --template profile build --iccid 89000123456789012341 --imsi 001010123456789 --k "$K" --opc "$OPC" -o "$T/u.der"
usage --iccid profile build --template "$TS48" --imsi 001010123456789 --k "$K" --opc "$OPC" -o "$T/u.der"
a_but --iccid
usage --iccid profile build "${AB[@]}" --iccid 89000123456789012342 -o "$T/u.der"
lacks "--iccid, a bad check digit: not taken for a repeat" "given twice" "$err"
a_but --imsi
usage --imsi profile build "${AB[@]}" --imsi 12345 -o "$T/u.der"
lacks "--imsi 12345: not taken for a repeat" "given twice" "$err"
usage --imsi profile build --template "$TS48" --iccid 89000123456789012341 --k "$K" --opc "$OPC" -o "$T/u.der"
usage --k profile build --template "$TS48" --iccid 89000123456789012341 --imsi 001010123456789 --opc "$OPC" -o "$T/u.der"
a_but --k
usage --k profile build "${AB[@]}" --k 0011 -o "$T/u.der"
lacks "--k 0011: not taken for a repeat" "given twice" "$err"
usage --opc profile build --template "$TS48" --iccid 89000123456789012341 --imsi 001010123456789 --k "$K" -o "$T/u.der"
usage --op profile build "${A[@]}" --op "$OP" -o "$T/u.der"
usage --alg profile build "${A[@]}" --alg cave -o "$T/u.der"
usage --class profile build "${A[@]}" --class bogus -o "$T/u.der"
usage --spn profile build "${A[@]}" --spn "a~b" -o "$T/u.der"
usage --profile-name profile build "${A[@]}" --profile-name "$(printf 'x%.0s' {1..101})" -o "$T/u.der"
# empty (a script's unset variable), or more bytes than 100 characters of UTF-8 can be (101
# of 4 bytes): refused by the CLI before the package is built
usage --profile-name profile build "${A[@]}" --profile-name "" -o "$T/u.der"
expect "--profile-name '': said" "openrsp: --profile-name: expected 1 to 100 characters" "$err"
usage --profile-name profile build "${A[@]}" --profile-name "$(printf '\xf0\x9f\x98\x80%.0s' {1..101})" -o "$T/u.der"
expect "--profile-name of 404 bytes: said" "openrsp: --profile-name: expected 1 to 100 characters" "$err"
if [[ -e "$T/u.der" ]]; then bad "a refused --profile-name wrote $T/u.der"; else ok; fi
# not UTF-8 as RFC 3629 has it: a surrogate, past U+10FFFF, overlong (it became SGP.22's
# profileName and broke inspect --json)
usage --profile-name profile build "${A[@]}" --profile-name $'a\xed\xa0\x80' -o "$T/u.der"
usage --profile-name profile build "${A[@]}" --profile-name $'\xf7\xbf\xbf\xbf' -o "$T/u.der"
usage --profile-name profile build "${A[@]}" --profile-name $'\xe0\x80\x80' -o "$T/u.der"
usage --mnc-length profile build "${A[@]}" --mnc-length 4 -o "$T/u.der"
usage --mnc-len profile build "${A[@]}" --mnc-len 4 -o "$T/u.der"
# its two spellings are one option: given twice as any option is (the last was taken)
usage --mnc-len profile build "${A[@]}" --mnc-length 2 --mnc-len 3 -o "$T/u.der"
usage --mnc-length profile build "${A[@]}" --mnc-len 2 --mnc-length 3 -o "$T/u.der"
usage --pin1 profile build "${A[@]}" --pin1 12 -o "$T/u.der"
a_but --k --opc
usage --mac-bits profile build "${AB[@]}" --alg tuak --k "$TK" --opc "$TOPC" --mac-bits 128 -o "$T/u.der"
has "build --help: the TUAK lengths refused" "(--mac/res/ck/ik-bits refused: no package carries them)" "$("$B" profile build --help)"
usage -o profile build "${A[@]}"
usage --bogus profile build "${A[@]}" --bogus -o "$T/u.der"
usage FILE profile inspect
usage "$TS48" profile inspect "$TS48" "$TS48"
usage FILE profile check
usage --bogus profile check --bogus "$TS48"
usage frob profile frob
[[ ! -e "$T/u.der" ]] && ok || bad "a usage error wrote output"

# ----- help -----
for args in "help profile" "profile --help" "profile build --help" "help profile inspect" \
	"profile check --help"; do
	# shellcheck disable=SC2086
	run $args
	if [[ $rc -eq 0 && "$out" == usage:* && -z "$err" ]]; then ok; else bad "'openrsp $args' prints help"; fi
done
# the --json fields each help names are those the verb writes
for verb in inspect check; do
	run profile $verb --json "$TS48"
	got=$("$PY" -c 'import json, sys; print(", ".join(json.loads(sys.argv[1])))' "$out")
	named=$("$B" profile $verb --help | tr '\n' ' ' | sed -n 's/.*--json *one JSON object (\([^)]*\)).*/\1/p' | tr -s ' ')
	expect "$verb --help names the --json fields" "$got" "$named"
done
# -h or --help as an option's value is that value, not a request for help
for name in -h --help; do
	run profile build "${A[@]}" --profile-name "$name" -o "$T/h$name.der"
	if [[ $rc -eq 0 && "$out" != usage:* && -s "$T/h$name.der" ]]; then ok; else bad "--profile-name $name: rc=$rc $out"; fi
	run profile inspect --json "$T/h$name.der"
	expect "--profile-name $name as the name" "$name" "$(json header profile_type)"
done
# ... and -h after options with values still asks for help, doing nothing
run profile build "${A[@]}" -o "$T/h.der" -h
if [[ $rc -eq 0 && "$out" == usage:* && ! -e "$T/h.der" ]]; then ok; else bad "build ... -h: rc=$rc"; fi

rm -rf "$T"
finish
