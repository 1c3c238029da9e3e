#!/usr/bin/env bash
# `openrsp aka` and the command-line frame: published vectors through the CLI (compared
# with the vector files, never with hand-typed values), --json output, help, and every usage
# error exiting 2 with the argument named.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_aka.XXXXXX")
. "$(dirname "$0")/lib/common.bash"

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
# xor_hex A B: two 48-bit hex values xored, 12 hex digits.
xor_hex() { printf '%012x' $((16#$1 ^ 16#$2)); }

# ----- Milenage: every set of milenage.tsv (TS 35.208 and others), with OPc and with OP -----
while IFS=$'\t' read -r set k rand sqn amf op opc mac res ck ik ak; do
	autn="$(xor_hex "$sqn" "$ak")$amf$mac"
	for key in "--opc $opc" "--op $op"; do
		# shellcheck disable=SC2086
		run aka gen --k "$k" $key --rand "$rand" --sqn "$sqn" --amf "$amf" --json
		expect "set $set ($key) exit" 0 "$rc"
		jload
		expect "set $set mac_a" "$mac" "${J[mac_a]}"
		expect "set $set xres" "$res" "${J[xres]}"
		expect "set $set ck" "$ck" "${J[ck]}"
		expect "set $set ik" "$ik" "${J[ik]}"
		expect "set $set ak" "$ak" "${J[ak]}"
		expect "set $set autn" "$autn" "${J[autn]}"
	done
done < <(tsv milenage.tsv set k rand sqn amf op opc f1_mac_a f2_res f3_ck f4_ik f5_ak)

# Text output: aligned "name: hex" lines, set 1.
IFS=$'\t' read -r k rand sqn amf opc mac res ck ik ak < <(tsv milenage.tsv k rand sqn amf opc f1_mac_a f2_res f3_ck f4_ik f5_ak | head -1)
run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$sqn" --amf "$amf"
expect "text exit" 0 "$rc"
expect "text MAC-A" "$mac" "$(awk '$1 == "MAC-A:" {print $2}' <<<"$out")"
expect "text XRES" "$res" "$(awk '$1 == "XRES:" {print $2}' <<<"$out")"
expect "text CK" "$ck" "$(awk '$1 == "CK:" {print $2}' <<<"$out")"
expect "text IK" "$ik" "$(awk '$1 == "IK:" {print $2}' <<<"$out")"
expect "text AK" "$ak" "$(awk '$1 == "AK:" {print $2}' <<<"$out")"
expect "text AUTN" "$(xor_hex "$sqn" "$ak")$amf$mac" "$(awk '$1 == "AUTN:" {print $2}' <<<"$out")"
expect "text has 6 lines without --plmn" 6 "$(wc -l <<<"$out")"
# Upper-case hex input is accepted; output is lower case.
run aka gen --k "${k^^}" --opc "${opc^^}" --rand "${rand^^}" --sqn "${sqn^^}" --amf "${amf^^}" --json
expect "upper-case input" "$res" "$(json xres)"

# Keys from a file (mode 600) or from standard input, so that no other user sees them in ps;
# a key given as hex is overwritten in the process's command line once read.
printf '%s\n' "$k" >"$T/k"
printf '%s\n' "$opc" >"$T/opc"
chmod 600 "$T/k" "$T/opc"
G=(--rand "$rand" --sqn "$sqn" --amf "$amf" --json)
run aka gen --k "@$T/k" --opc "@$T/opc" "${G[@]}"
expect "keys from files" "0 $res" "$rc $(json xres)"
out=$(printf '%s\n%s\n' "$k" "$opc" | "$B" aka gen --k - --opc - "${G[@]}") || bad "keys from stdin"
expect "keys from standard input, K first" "$res" "$(json xres)"
# read(2) a byte at a time, no stdio buffer (which would keep a copy of the keys): stdin is
# read no further than the lines it needs, the rest is left for whoever reads it next
out=$(printf '%s\n%s\nleft over\n' "$k" "$opc" | {
	"$B" aka gen --k - --opc - "${G[@]}" >/dev/null && cat
}) || bad "keys from a pipe"
expect "stdin read only as far as the keys" "left over" "$out"
chmod 644 "$T/k"
usage "--k" aka gen --k "@$T/k" --opc "$opc" "${G[@]}"
has "a key file others can read" "chmod 600" "$err"
usage "--opc" aka gen --k "$k" --opc "@$T/none" "${G[@]}"
has "a missing key file" "cannot open" "$err"
usage "--k" aka gen --k - --opc "$opc" "${G[@]}" </dev/null
has "no key on standard input" "nothing to read from standard input" "$err"
# a line longer than any key (160 bytes with its end): refused as such, not cut to a key
printf '%0200d\n' 0 >"$T/long"
chmod 600 "$T/long"
usage "--k" aka gen --k "@$T/long" --opc "$opc" "${G[@]}"
expect "a key file's line too long: said" "openrsp: --k: the line in $T/long is too long" "$err"
usage "--opc" aka gen --k "$k" --opc - "${G[@]}" <"$T/long"
expect "a line on standard input too long: said" "openrsp: --opc: the line in standard input is too long" "$err"
# piped NAME ARGS...: openrsp ARGS started with standard input from the pipe $T/NAME (held
# open on fd 3, nothing written yet) and output to $T/NAME.out; p its process, cmdline its
# command line once a value there is overwritten (or it ended), up to 2 minutes: a sanitizer
# build starts slowly, more so on a loaded machine
piped() {
	mkfifo "$T/$1"
	"$B" "${@:2}" <"$T/$1" >"$T/$1.out" 2>&1 &
	p=$!
	exec 3>"$T/$1"
	for _ in $(seq 1 1200); do
		grep -q xxxxxxxx "/proc/$p/cmdline" 2>/dev/null && break
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	cmdline=$(tr '\0' ' ' <"/proc/$p/cmdline")
}
# K given as hex, OPc read from a pipe nobody writes to yet: meanwhile the command line
# shows no K
piped fifo aka gen --k "$k" --opc - "${G[@]}"
lacks "K in the command line once read" "$k" "$cmdline"
has "K overwritten in the command line" "--k $(printf 'x%.0s' $(seq 1 ${#k}))" "$cmdline"
echo "$opc" >&3
exec 3>&-
wait "$p" || bad "aka gen with OPc from a pipe"
out=$(cat "$T/fifo.out")
expect "K from the command line, OPc from a pipe" "$res" "$(json xres)"
# both OP and OPc given (refused once K is read, which waits on a pipe): neither stays in the
# command line meanwhile (the second did until session 57)
op2=00112233445566778899aabbccddeeff
piped fifo2 aka gen --k - --op "$op2" --opc "$opc" "${G[@]}"
lacks "OP and OPc both given: OP not in the command line" "$op2" "$cmdline"
lacks "OP and OPc both given: OPc not in the command line" "$opc" "$cmdline"
echo "$k" >&3
exec 3>&-
rc=0
wait "$p" || rc=$?
expect "OP and OPc both given: a usage error" 2 "$rc"
# OPc given inline, K read from a pipe nobody writes to yet: the OPc leaves the command
# line before K is waited for
piped fifo3 aka gen --opc "$opc" --k - "${G[@]}"
lacks "OPc in the command line while K is waited for" "$opc" "$cmdline"
echo "$k" >&3
exec 3>&-
wait "$p" || bad "aka gen with K from a pipe"
out=$(cat "$T/fifo3.out")
expect "OPc from the command line, K from a pipe" "$res" "$(json xres)"

# Custom Milenage constants given explicitly equal to the defaults change nothing; others do.

# a usage error in an option before the keys (or -h) overwrites them before it is said:
# here the message waits on a full pipe, the keys already gone (they stayed until the exit)
for early in "--frob" "-h" "--json=1" "--amf 8000 --amf 8000"; do
	# shellcheck disable=SC2086 # $early: options and their values
	hidden_while_said "aka gen $early" "$k $opc" aka gen $early --k "$k" --opc "$opc" \
		--rand "$rand" --sqn "$sqn"
done
hidden_while_said "aka gen --op=" "$k $opc" aka gen --frob --k="$k" --op="$opc"
# and where no verb reads them: the help of the noun or of the verb, an unknown verb
hidden_while_said "aka --help" "$k $opc" aka --help --k "$k" --opc "$opc"
hidden_while_said "aka gen --help" "$k $opc" aka gen --help --k "$k" --opc "$opc"
hidden_while_said "aka frob" "$k $opc" aka frob --k "$k" --opc "$opc"
hidden_while_said "help aka gen" "$k $opc" help aka gen --k "$k" --opc "$opc"
hidden_while_said "aka auts --frob" "$k $opc" aka auts --frob --k "$k" --op "$opc"
hidden_while_said "aka usim --frob" "$k $opc" aka usim --frob --opc "$opc" --k "$k"
hidden_while_said "aka opc --frob" "$k $opc" aka opc --frob --k "$k" --top "$opc"
# a key too long to be one is overwritten when read as well, not when refused for its length
# (a usage error said before, an extra argument here, waited with it in the command line)
long=$(printf '%0200d' 7)
hidden_while_said "aka gen, a long --k" "$long" aka gen --k "$long" --opc "$opc" extra
run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$sqn" --amf "$amf" --json \
	--r1 64 --r2 0 --r3 32 --r4 64 --r5 96 --c1 00000000000000000000000000000000 \
	--c2 00000000000000000000000000000001 --c3 00000000000000000000000000000002 \
	--c4 00000000000000000000000000000004 --c5 00000000000000000000000000000008
expect "default constants spelled out" "$res" "$(json xres)"
run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$sqn" --amf "$amf" --json --r2 8
if [[ $rc -eq 0 && "$(json xres)" != "$res" ]]; then ok; else bad "--r2 8 changes RES"; fi

# ----- TUAK: every set of tuak.tsv (TS 35.233), with TOPc and with TOP -----
while IFS=$'\t' read -r set k rand sqn amf top it topc macb mac resb res ckb ck ikb ik ak; do
	for key in "--topc $topc" "--top $top"; do
		# shellcheck disable=SC2086
		run aka gen --alg tuak --k "$k" $key --keccak "$it" --mac-bits "$macb" --res-bits "$resb" \
			--ck-bits "$ckb" --ik-bits "$ikb" --rand "$rand" --sqn "$sqn" --amf "$amf" --json
		expect "tuak set $set ($key) exit" 0 "$rc"
		jload
		expect "tuak set $set mac_a" "$mac" "${J[mac_a]}"
		expect "tuak set $set xres" "$res" "${J[xres]}"
		expect "tuak set $set ck" "$ck" "${J[ck]}"
		expect "tuak set $set ik" "$ik" "${J[ik]}"
		expect "tuak set $set ak" "$ak" "${J[ak]}"
		expect "tuak set $set autn" "$(xor_hex "$sqn" "$ak")$amf${mac:0:16}" "${J[autn]}"
	done
done < <(tsv tuak.tsv set k rand sqn amf top keccak_iterations topc mac_bits f1_mac_a res_bits f2_res ck_bits f3_ck ik_bits f4_ik f5_ak)

# ----- 5G derivations against kdf_5g.tsv -----
IFS=$'\t' read -r k rand sqn amf opc < <(tsv milenage.tsv k rand sqn amf opc | head -1)
# XRES* for TS 35.208 set 1 and SNN 5G:mnc001.mcc001 (row wmnsk-ts35207-1-resstar).
xs=$(tsv kdf_5g.tsv id output | awk -F'\t' '$1 == "wmnsk-ts35207-1-resstar" {print $2}')
run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$sqn" --amf "$amf" --json \
	--snn 5G:mnc001.mcc001.3gppnetwork.org
expect "xres_star (--snn)" "$xs" "$(json xres_star)"
snn_json=$out
run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$sqn" --amf "$amf" --json --plmn 00101
expect "xres_star (--plmn derives the SNN)" "$xs" "$(json xres_star)"
for f in hxres_star kausf kseaf; do
	expect "$f same with --plmn and --snn" "$(out=$snn_json json $f)" "$(json $f)"
done
expect "kasme is 64 hex digits" 64 "$(json kasme | tr -d '\n' | wc -c)"
run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$sqn" --amf "$amf" --json
if "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if set(d) == {"mac_a","xres","ck","ik","ak","autn"} else 1)' "$out"; then ok; else bad "plain JSON has exactly the six fields"; fi
# HXRES* of the wmnsk "dummy" vector (kdf_5g.tsv, helper row).
hx=$(tsv kdf_5g.tsv id output | awk -F'\t' '$1 == "helper-dummy-hxresstar" {print $2}')
dx=$(tsv kdf_5g.tsv id output | awk -F'\t' '$1 == "wmnsk-dummy-resstar" {print $2}')
run aka gen --k 00112233445566778899aabbccddeeff --opc 62e75b8d6fa5bf46ec87a9276f9df54d \
	--rand 00112233445566778899aabbccddeeff --sqn 000000000001 --amf 8000 --plmn 00101 --json
expect "dummy xres_star" "$dx" "$(json xres_star)"
expect "dummy hxres_star" "$hx" "$(json hxres_star)"
run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$sqn" --amf "$amf" --plmn 00101
for name in KASME 'XRES*' 'HXRES*' KAUSF KSEAF; do
	if awk -v n="$name:" '$1 == n && $2 ~ /^[0-9a-f]+$/ {f = 1} END {exit !f}' <<<"$out"; then
		ok
	else
		bad "text output has $name"
	fi
done

# An AMF without the separation bit is used as given (osmo-auc-gen does the same), with a
# warning when keys for EPS/5G are derived; none otherwise, nor for an AMF with the bit.
expect "AMF $amf (the bit set), --plmn: no warning" "" "$err"
run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$sqn" --amf 0000 --plmn 00101 --json
expect "AMF 0000 --plmn exit" 0 "$rc"
expect "AMF 0000 --plmn: AUTN with the AMF given" 0000 "$(json autn | cut -c13-16)"
expect "AMF 0000 --plmn: the warning" "openrsp: warning: AMF 0000 has no separation bit: a UE refuses this AUTN for EPS/5G (TS 33.401 §6.1.1); its keys are derived all the same" "$err"
run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$sqn" --amf 7fff --snn 5G:mnc001.mcc001.3gppnetwork.org
has "AMF 7fff --snn: the warning" "openrsp: warning: AMF 7fff has no separation bit" "$err"
run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$sqn" --amf 0000 --json
expect "AMF 0000 without --plmn/--snn exit" 0 "$rc"
expect "AMF 0000 without --plmn/--snn: no warning" "" "$err"
run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$sqn" --amf 8000 --snn 5G:mnc001.mcc001.3gppnetwork.org
expect "AMF 8000 --snn: no warning" "" "$err"

# ----- AUTS: every row of milenage_auts.tsv -----
while IFS=$'\t' read -r id k opc rand sqn_ms auts result; do
	run aka auts --k "$k" --opc "$opc" --rand "$rand" --auts "$auts" --json
	if [[ "$result" == ok ]]; then
		expect "auts $id exit" 0 "$rc"
		expect "auts $id sqn_ms" "$sqn_ms" "$(json sqn_ms)"
		run aka auts --k "$k" --opc "$opc" --rand "$rand" --auts "$auts"
		expect "auts $id text" "SQN_MS:   $sqn_ms" "$out"
	else
		expect "auts $id fails with exit 1" 1 "$rc"
		expect "auts $id message" "openrsp: aka auts: MAC-S verification failed" "$err"
	fi
done < <(tsv milenage_auts.tsv id k opc rand sqn_ms auts expected_result)
# A good AUTS with one bit flipped fails.
IFS=$'\t' read -r k opc rand auts < <(tsv milenage_auts.tsv k opc rand auts | head -1)
flipped="${auts:0:27}$(printf '%x' $(((16#${auts:27:1}) ^ 1)))"
run aka auts --k "$k" --opc "$opc" --rand "$rand" --auts "$flipped"
expect "flipped AUTS exit" 1 "$rc"
expect "flipped AUTS message" "openrsp: aka auts: MAC-S verification failed" "$err"

# ----- aka opc: OPc from OP for every Milenage set -----
while IFS=$'\t' read -r k op opc; do
	run aka opc --k "$k" --op "$op" --json
	expect "opc" "$opc" "$(json opc)"
done < <(tsv milenage.tsv k op opc)
while IFS=$'\t' read -r k top it topc; do
	run aka opc --alg tuak --k "$k" --top "$top" --keccak "$it" --json
	expect "topc" "$topc" "$(json topc)"
done < <(tsv tuak.tsv k top keccak_iterations topc)

# ----- usage errors: exit 2, one line naming the argument -----
IFS=$'\t' read -r K OPC R < <(tsv milenage.tsv k opc rand | head -1)
G=(aka gen --k "$K" --opc "$OPC" --rand "$R" --sqn 000000000001 --amf 8000)
usage --k aka gen --k 0011 --opc "$OPC" --rand "$R" --sqn 000000000001 --amf 8000
usage --k aka gen --k "${K:0:31}" --opc "$OPC" --rand "$R" --sqn 000000000001 --amf 8000
usage --k aka gen --k "${K:0:30}zz" --opc "$OPC" --rand "$R" --sqn 000000000001 --amf 8000
usage --k aka gen --k "$K$K" --opc "$OPC" --rand "$R" --sqn 000000000001 --amf 8000
usage --k aka gen --opc "$OPC" --rand "$R" --sqn 000000000001 --amf 8000
usage --k aka gen --k
usage --opc aka gen --k "$K" --rand "$R" --sqn 000000000001 --amf 8000
usage --opc aka gen --k "$K" --opc "${OPC:0:30}" --rand "$R" --sqn 000000000001 --amf 8000
usage --op aka gen --k "$K" --op "${OPC}00" --rand "$R" --sqn 000000000001 --amf 8000
usage --op "${G[@]}" --op "$OPC"
usage --rand aka gen --k "$K" --opc "$OPC" --sqn 000000000001 --amf 8000
usage --rand aka gen --k "$K" --opc "$OPC" --rand "${R}00" --sqn 000000000001 --amf 8000
usage --rand aka gen --k "$K" --opc "$OPC" --rand "g${R:1}" --sqn 000000000001 --amf 8000
usage --sqn aka gen --k "$K" --opc "$OPC" --rand "$R" --amf 8000
usage --sqn aka gen --k "$K" --opc "$OPC" --rand "$R" --sqn 0001 --amf 8000
usage --amf aka gen --k "$K" --opc "$OPC" --rand "$R" --sqn 000000000001
usage --amf aka gen --k "$K" --opc "$OPC" --rand "$R" --sqn 000000000001 --amf 800
usage --alg "${G[@]}" --alg comp128
usage --alg "${G[@]}" --alg ""
usage --frobnicate "${G[@]}" --frobnicate
usage --json "${G[@]}" --json=yes
usage -x "${G[@]}" -x
usage extra "${G[@]}" extra
# output that cannot be written is a failure, not success with nothing printed
rc=0
"$B" "${G[@]}" >/dev/full 2>"$T/err" || rc=$?
expect "aka gen to a full disk" "1 openrsp: standard output: write failed: No space left on device" "$rc $(cat "$T/err")"
rc=0
"$B" help >/dev/full 2>"$T/err" || rc=$?
expect "help to a full disk" "1 openrsp: standard output: write failed: No space left on device" "$rc $(cat "$T/err")"
# a help longer than stdio's buffer: the write that failed was inside printf, and stdio
# dropped the rest, so the final flush had nothing to write; the reason is still given
rc=0
"$B" help smdp profile >/dev/full 2>"$T/err" || rc=$?
expect "long help to a full disk" "1 openrsp: standard output: write failed: No space left on device" "$rc $(cat "$T/err")"
# an unknown short option inside a cluster or with text attached is named by its letter, not
# by the argument before it, which getopt has not moved past: here K or OPc
usage -j aka gen --rand "$R" --sqn 000000000001 --amf 8000 --opc "$OPC" --k "$K" -jv
lacks "-jv after --k: K not shown" "$K" "$err"
usage -o aka gen --rand "$R" --sqn 000000000001 --amf 8000 --k "$K" --opc "$OPC" -oout
lacks "-oout after --opc: OPc not shown" "$OPC" "$err"
usage -h aka gen --k "$K" --opc "$OPC" -hv
usage '-\xff' "${G[@]}" $'-\xffv'
# a stray argument that may be a key (its option name forgotten) is not echoed
usage "argument 1" aka gen --k "$K" --rand "$R" --sqn 000000000001 --amf 8000 "$OPC"
lacks "stray OPc not shown" "$OPC" "$err"
usage --top "${G[@]}" --top "$OPC$OPC"
usage --r1 "${G[@]}" --r1 128
# past 64 bits, decimal or hex: not wrapped round to a small value
usage --r1 "${G[@]}" --r1 18446744073709551616
expect "--r1 2^64: said" "openrsp: --r1: number too large" "$err"
usage --r2 "${G[@]}" --r2 0x10000000000000000
expect "--r2 0x1 and 16 zeros: said" "openrsp: --r2: number too large" "$err"
# TOP/TOPc and c1..c5 belong to one algorithm each
usage --topc aka gen --k "$K" --topc "$OPC$OPC" --rand "$R" --sqn 000000000001 --amf 8000
expect "--topc without --alg tuak: said" "openrsp: --topc: only with --alg tuak" "$err"
usage --top aka gen --k "$K" --top "$OPC$OPC" --rand "$R" --sqn 000000000001 --amf 8000
expect "--top without --alg tuak: said" "openrsp: --top: only with --alg tuak" "$err"
usage --r3 "${G[@]}" --r3 x
usage --c2 "${G[@]}" --c2 0001
usage --keccak "${G[@]}" --keccak 2
usage --plmn "${G[@]}" --plmn 0010
usage --plmn "${G[@]}" --plmn 001ab
usage --snn "${G[@]}" --snn ""
T_ARGS=(aka gen --alg tuak --k "$K" --topc "$OPC$OPC" --rand "$R" --sqn 000000000001 --amf 8000)
usage --topc aka gen --alg tuak --k "$K" --topc "$OPC" --rand "$R" --sqn 000000000001 --amf 8000
usage --topc aka gen --alg tuak --k "$K" --rand "$R" --sqn 000000000001 --amf 8000
usage --k aka gen --alg tuak --k "${K}00" --topc "$OPC$OPC" --rand "$R" --sqn 000000000001 --amf 8000
usage --keccak "${T_ARGS[@]}" --keccak 0
# at most 255 Keccak iterations, a profile's numberOfKeccak (one byte)
usage --keccak "${T_ARGS[@]}" --keccak 256
usage --keccak "${T_ARGS[@]}" --keccak 65536
usage --keccak aka opc --alg tuak --k "$K" --top "$OPC$OPC" --keccak 256
run "${T_ARGS[@]}" --keccak 255
expect "aka gen --keccak 255" 0 "$rc"
usage --mac-bits "${T_ARGS[@]}" --mac-bits 32
usage --res-bits "${T_ARGS[@]}" --res-bits 16
usage --ck-bits "${T_ARGS[@]}" --ck-bits 64
usage --ik-bits "${T_ARGS[@]}" --ik-bits 512
usage --r1 "${T_ARGS[@]}" --r1 8
usage --c1 "${T_ARGS[@]}" --c1 "$OPC"
expect "--c1 with --alg tuak: said" "openrsp: --c1: only with --alg milenage" "$err"
usage --plmn "${T_ARGS[@]}" --ck-bits 256 --plmn 00101
usage --auts aka auts --k "$K" --opc "$OPC" --rand "$R" --auts 00
usage --auts aka auts --k "$K" --opc "$OPC" --rand "$R"
usage --rand aka auts --k "$K" --opc "$OPC" --auts 0000000000000000000000000000
usage --opc aka opc --k "$K" --opc "$OPC"
# options that play no part in OPc/TOPc are unknown to opc, not taken and ignored
for o in --r1 --c5 --mac-bits --res-bits --ck-bits --ik-bits; do
	usage "$o" aka opc --k "$K" --op "$OPC" "$o" 1
	has "aka opc $o: unknown" "$o: unknown option" "$err"
done
# The command frame.
usage aka aka
usage frob frob
usage frob aka frob
usage --bogus --bogus
# the start of a long option's name is that option when it starts no other (getopt_long, as
# GNU tools: docs/cli.md); of two or more it is ambiguous, said so with them (until session 76
# "unknown option")
run "${T_ARGS[@]}" --mac-bits 128
full="$rc $out"
run "${T_ARGS[@]}" --mac 128
expect "a unique start of --mac-bits taken for it" "$full" "$rc $out"
usage --c "${T_ARGS[@]}" --c 5
expect "--c: ambiguous" "openrsp: --c: ambiguous option (--c1, --c2, --c3, --c4, --c5, --ck-bits)" "$err"
usage --r "${T_ARGS[@]}" --r=5
expect "--r=5: ambiguous" "openrsp: --r: ambiguous option (--r1, --r2, --r3, --r4, --r5, --res-bits, --rand)" "$err"
# an error of a unique start names the option it was taken for (until session 76 the start
# as typed: `--mac: requires a value`)
usage --mac-bits "${T_ARGS[@]}" --mac
expect "--mac, no value: named in full" "openrsp: --mac-bits: requires a value" "$err"
usage --mac-bits "${T_ARGS[@]}" --mac-bits 64 --mac 64
expect "--mac and --mac-bits: given twice, named in full" "openrsp: --mac-bits: given twice" "$err"
usage --json "${T_ARGS[@]}" --js=1
expect "--js=1: named in full" "openrsp: --json: does not take a value" "$err"
# ... and the secrets before it still leave the command line while it is said
hidden_while_said "aka gen --mac" "$k $opc" aka gen --k "$k" --opc "$opc" --mac
hidden_while_said "aka gen --k= twice" "$k $opc" aka gen --k="$k" --opc "$opc" --k="$k"
usage frob help frob
# help's own help is the top page (until session 76 "help: unknown command", exit 2)
top=$("$B" help)
for h in help --help -h; do
	run help $h
	expect "help $h: the top page" "0 $top" "$rc $out"
done
usage aka help help aka
# an empty word is named quoted (it was `openrsp: : unknown command`)
usage '""' ''
expect "an empty command: said" 'openrsp: "": unknown command (see openrsp help)' "$err"
usage '""' help ''
usage '""' aka ''
expect "an empty verb: said" 'openrsp: "": unknown verb of aka (see openrsp help aka)' "$err"
# help NOUN VERB: an unknown verb, or a word after the verb
usage frob help aka frob
expect "help aka frob: said" "openrsp: frob: unknown verb of aka (see openrsp help aka)" "$err"
usage extra help aka gen extra
expect "help aka gen extra: said" "openrsp: extra: unexpected argument" "$err"
# ... but a verb's own verb is its page, as `smdp profile list --help` gives it (refused until
# session 57); a word that is none, or a fourth, is not
run help smdp profile list
expect "help smdp profile list: the page of smdp profile" "0 $("$B" smdp profile list --help)" "$rc $out"
run help lpa profile enable
expect "help lpa profile enable: the page of lpa profile" "0 $("$B" help lpa profile)" "$rc $out"
usage ICCID help lpa profile ICCID
usage list help smdp order list
usage x help smdp profile list x
# a value a synopsis lists is no verb (taken for one until the session's review)
usage tuak help aka opc tuak
usage unavailable help smdp cancel unavailable
usage osmo-hlr-vty help auc export osmo-hlr-vty

# ----- aka usim: the USIM side of every TS 35.208 set -----
while IFS=$'\t' read -r i k rand sqn amf opc res ck ik; do
	run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$sqn" --amf "$amf" --json
	autn=$(json autn)
	# A USIM whose last accepted SQN is one SEQ lower (same IND; the published SQNs are far
	# beyond delta = 2^28 from zero) answers RES/CK/IK of the published set.
	prev=$(printf '%012x' $(((16#$sqn - 32) & 16#ffffffffffff)))
	run aka usim --k "$k" --opc "$opc" --rand "$rand" --autn "$autn" --sqn-ms "$prev" --json
	jload
	expect "usim set $i rc" 0 "$rc"
	expect "usim set $i res" "$res" "${J[res]}"
	expect "usim set $i ck" "$ck" "${J[ck]}"
	expect "usim set $i ik" "$ik" "${J[ik]}"
	# The same SQN again is a replay: exit 1 with an AUTS that the AuC side accepts and that
	# carries the USIM's SQN_MS back.
	run aka usim --k "$k" --opc "$opc" --rand "$rand" --autn "$autn" --sqn-ms "$sqn" --json
	expect "usim set $i replay rc" 1 "$rc"
	expect "usim set $i replay result" sync_failure "$(json result)"
	auts=$(json auts)
	run aka auts --k "$k" --opc "$opc" --rand "$rand" --auts "$auts" --json
	expect "usim set $i auts verifies" 0 "$rc"
	expect "usim set $i sqn_ms" "$sqn" "$(json sqn_ms)"
done < <(tsv milenage.tsv set k rand sqn amf opc f2_res f3_ck f4_ik)
# A corrupted AUTN fails MAC-A: exit 1, no AUTS, no RES.
IFS=$'\t' read -r k rand sqn amf opc < <(tsv milenage.tsv k rand sqn amf opc | head -1)
run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$sqn" --amf "$amf" --json
autn=$(json autn)
bad_autn="${autn:0:31}$(printf '%x' $(((16#${autn:31:1} + 1) % 16)))"
run aka usim --k "$k" --opc "$opc" --rand "$rand" --autn "$bad_autn"
if [[ $rc -eq 1 && -z "$out" && "$err" == *"MAC-A verification failed"* ]]; then ok; else bad "usim bad MAC: rc=$rc out='$out' err='$err'"; fi
usage --autn aka usim --k "$k" --opc "$opc" --rand "$rand" --autn 0011
usage --autn aka usim --k "$k" --opc "$opc" --rand "$rand"
usage --sqn-ms aka usim --k "$k" --opc "$opc" --rand "$rand" --autn "$autn" --sqn-ms xyz
usage --ind-bits aka usim --k "$k" --opc "$opc" --rand "$rand" --autn "$autn" --ind-bits 9
# Freshness is per IND (C.2.2): a USIM that accepted SEQ 4097 under IND 0 takes SEQ 1 under
# IND 1 (what osmo-hlr's first vector meets after an export, docs/auc.md) and refuses it under
# IND 0 with AUTS.
ms=$(printf '%012x' $((4097 << 5)))
for ind in 1 0; do
	run aka gen --k "$k" --opc "$opc" --rand "$rand" --sqn "$(printf '%012x' $((1 << 5 | ind)))" --amf 8000 --json
	a1=$(json autn)
	run aka usim --k "$k" --opc "$opc" --rand "$rand" --autn "$a1" --sqn-ms "$ms" --json
	if [[ $ind -eq 1 ]]; then want=ok; else want=sync_failure; fi
	expect "usim: SEQ 1 under IND $ind after SEQ 4097 under IND 0" $want "$(json result)"
done

# ----- help and version -----
for args in "help" "--help" "help aka" "aka --help" "aka help" "aka gen --help" "help aka gen" \
	"aka auts --help" "auc --help" "auc vector --help" "bench aka --help"; do
	# shellcheck disable=SC2086
	run $args
	if [[ $rc -eq 0 && "$out" == usage:* && -z "$err" ]]; then ok; else bad "'openrsp $args' prints help"; fi
done
run aka gen --help
if grep -q -- "--opc" <<<"$out" && grep -q -- "--plmn" <<<"$out"; then ok; else bad "gen help lists options"; fi
run
expect "no arguments exit" 2 "$rc"
run --version
expect "--version" "openrsp $(sed -n 's/^project(openrsp VERSION \([0-9.]*\).*/\1/p' "$V/../../CMakeLists.txt")" "$(head -1 <<<"$out")"
# then the libraries in use, one line each: SQLite and OpenSSL as their own commands (same
# Debian packages) name them
expect "--version lines" 7 "$(wc -l <<<"$out")"
expect "--version SQLite" "SQLite $(sqlite3 --version | cut -d' ' -f1)" "$(sed -n 2,3p <<<"$out" | grep '^SQLite')"
expect "--version OpenSSL" "$(openssl version | sed 's/.*(Library: \(.*\))$/\1/')" "$(sed -n 2p <<<"$out")"
has "--version libmicrohttpd" "libmicrohttpd " "$out"
has "--version the header check" "header section layout " "$out"
for lib in GnuTLS libcurl jansson; do has "--version $lib" "$lib " "$out"; done
# an argument it does not take is refused, as by every verb, not ignored
usage extra --version extra
usage --json version --json

# Every openrsp process turns core files off at its start (cli/main.c: RLIMIT_CORE 0, soft and
# hard): a core would hold K and OPc. Seen in /proc of a command that waits for K on its
# standard input, polled (the limit is set once main() runs, a moment after the exec).
mkfifo "$T/stdin"
# (its soft limit raised to the hard one first, so that the 0 is openrsp's own)
# With ORSP_KEK set, its value must not stay in what /proc/PID/environ shows (the same user
# reads it): openrsp points the variable at a copy and zeroes the original bytes.
KEKHEX=5ec2e7a1b0c4d3f2e1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8
(
	ulimit -S -c "$(ulimit -H -c)"
	ORSP_KEK=$KEKHEX exec "$B" aka opc --k - --op 00112233445566778899aabbccddeeff \
		<"$T/stdin" >"$T/opc.out" 2>&1
) &
waiting=$!
exec 7>"$T/stdin" # the command now waits for K
core=""
kek_shown=""
for _ in $(seq 1 2400); do
	if [[ "$(cat "/proc/$waiting/comm" 2>/dev/null)" == openrsp ]]; then
		core=$(awk '/^Max core file size/ {print $5 "/" $6}' "/proc/$waiting/limits" 2>/dev/null)
		kek_shown=$(tr '\0' '\n' <"/proc/$waiting/environ" 2>/dev/null | grep -c "$KEKHEX" || true)
		[[ "$core" == 0/0 && "$kek_shown" == 0 ]] && break
	fi
	sleep 0.05
done
echo 000102030405060708090a0b0c0d0e0f >&7
exec 7>&-
wait "$waiting" || true
expect "no core file: RLIMIT_CORE soft/hard" 0/0 "$core"
expect "ORSP_KEK's value not in /proc/PID/environ" 0 "$kek_shown"
has "no core file: the command went on" "OPc:" "$(cat "$T/opc.out")"

# Nor in the memory of a server: `smdp serve` loads its KEK once and starts no process, so the
# hex text is wiped from the environment once decoded (orsp_kek_env_once; before session 76
# the heap copy above stayed for the server's life). Its memory read through /proc/PID/mem
# (tests/cli/lib/memscan.py), when this user may (else skipped): no copy of the text, in
# either case; the server still serves.
served_device "$T/mem.db"
ORSP_KEK=$KEKHEX smdp_start "$T/smdp.conf" "$T/serve.log"
KEKUP=${KEKHEX^^}
rc=0
scan=$(python3 "$(dirname "$0")/lib/memscan.py" "$server" "$KEKHEX" "$KEKUP" 2>"$T/scan.err") || rc=$?
if [[ $rc -eq 77 ]]; then
	echo "aka: the server's memory not scanned: $(cat "$T/scan.err")"
elif LC_ALL=C grep -qaF -e __asan_init -e __tsan_init "$B"; then
	# the sanitizer's runtime reads the environment the process started with
	# (/proc/self/environ) before main and keeps that copy: not openrsp's to wipe
	echo "aka: the server's memory not checked for ORSP_KEK: a sanitizer build"
else
	expect "memscan ran" 0 "$rc"
	expect "ORSP_KEK's text not in smdp serve's memory (lower, upper case)" "0 0" "${scan//$'\n'/ }"
fi
expect "smdp serve with ORSP_KEK serves" ok "$(curl -s --max-time 20 "http://127.0.0.1:$PORT/health")"
smdp_stop

rm -rf "$T"
finish
