#!/usr/bin/env bash
# `openrsp lpa`: help, usage errors (exit 2, one line naming the argument) and failures that
# must leave the eUICC untouched (exit 1, one line saying what failed and what to do): bad
# activation codes, no trust anchor, unreachable eUICC (PC/SC without pcscd, missing local
# directory), JSON failure objects. The download itself is covered by test_lpa_download
# (fake parties) and test_lpa_e2e (real eUICC and SM-DP+) when those streams are built.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_lpa.XXXXXX")
. "$(dirname "$0")/lib/common.bash"
# never talk to a pcscd of the machine: point pcsclite at a socket that does not exist
export PCSCLITE_CSOCK_NAME="$T/no-pcscd.sock"
unset ORSP_LPA_EUICC ORSP_LPA_CA
server_pid=""
silent=""
dl=""
cleanup() {
	local p
	for p in "$server_pid" "$dl" "$silent"; do
		[[ -n "$p" ]] || continue
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap cleanup EXIT

failure() { # NEEDLE ARGS...: exit 1, one line on stderr containing NEEDLE, nothing on stdout
	local needle=$1
	shift
	run "$@"
	# progress lines ("[1/5] ...") may come first; exactly one error line
	local line
	line=$(grep '^openrsp: ' "$T/err" || true)
	if [[ $rc -eq 1 && $(grep -c '^openrsp: ' "$T/err") -eq 1 && -z "$out" ]] &&
		[[ $(grep -vc '^openrsp: \|^\[[1-5]/5\] ' "$T/err") -eq 0 ]] &&
		grep -qF -- "$needle" <<<"$line"; then
		ok
	else
		bad "failure '$needle': rc=$rc stderr='$err' stdout='$out' (args: $*)"
	fi
}
# run_notty ARGS...: as run, in a new session without a controlling terminal (no /dev/tty)
run_notty() {
	rc=0
	out=$(setsid -w "$B" "$@" 2>"$T/err" </dev/null) || rc=$?
	err=$(cat "$T/err")
}

# ----- help -----
for args in "help lpa" "lpa chip --help" "lpa profile --help" "lpa notification --help" \
	"lpa profile download --help"; do
	# shellcheck disable=SC2086
	run $args
	if [[ $rc -eq 0 && "$out" == usage:* && -z "$err" ]]; then ok; else bad "'openrsp $args' prints help"; fi
done
run lpa profile --help
has "profile help names download" "download -a AC" "$out"
has "profile help names --server-url" "--server-url URL" "$out"
has "profile help sizes a nickname in characters" "at most 64 characters of UTF-8" "$out"

# ----- usage errors -----
usage --euicc lpa profile list
usage --euicc lpa profile list --euicc sim:0
usage --euicc lpa profile list --euicc local:
# a sub-verb missing or unknown: the words of `openrsp aka frob` (three wordings until session 76)
usage profile lpa profile
expect "lpa profile: said" "openrsp: profile: expected a verb (see openrsp help lpa profile)" "$err"
usage frob lpa profile frob --euicc pcsc
expect "lpa profile frob: said" "openrsp: frob: unknown verb of lpa profile (see openrsp help lpa profile)" "$err"
usage '""' lpa notification ''
expect "lpa notification '': said" 'openrsp: "": unknown verb of lpa notification (see openrsp help lpa notification)' "$err"
usage chip lpa chip --euicc pcsc
expect "lpa chip --euicc: said" "openrsp: chip: expected a verb (see openrsp help lpa chip)" "$err"
usage "ICCID|AID" lpa profile enable --euicc pcsc
# a malformed ICCID or AID is a usage error naming it, before the eUICC is opened (not
# "pcscd"); a well-formed one gets as far as the eUICC, an ICCID whose last digit is not a
# Luhn check digit too (SGP.22 Iccid is 10 octets: profiles with one exist)
for v in enable disable delete; do
	usage "ICCID|AID" lpa profile $v 123 --euicc pcsc
	usage "ICCID|AID" lpa profile $v 890001234567890123410 --euicc pcsc
	usage "ICCID|AID" lpa profile $v a00000055910100 --euicc pcsc
	failure "pcscd" lpa profile $v 89000123456789012341 --euicc pcsc
	failure "pcscd" lpa profile $v 89000123456789012342 --euicc pcsc
	failure "pcscd" lpa profile $v a0000005591010ffffffff8900001100 --euicc pcsc
done
usage ICCID lpa profile nickname 123 name --euicc pcsc
usage ICCID lpa profile nickname 8900012345678901234F name --euicc pcsc
has "nickname's ICCID rule named" "8900012345678901234F: give an ICCID (19-20 digits)" "$err"
failure "pcscd" lpa profile nickname 89000123456789012341 name --euicc pcsc
failure "pcscd" lpa profile nickname 89000123456789012342 name --euicc pcsc
usage "ICCID NAME" lpa profile nickname 89000123456789012341 --euicc pcsc
usage NAME lpa profile nickname 89000123456789012341 \
	01234567890123456789012345678901234567890123456789012345678901234 --euicc pcsc
usage NAME lpa profile nickname 89000123456789012341 $'a\tb' --euicc pcsc
has "a tab is named as a control character" "control character U+0009 at byte 2" "$err"
usage NAME lpa profile nickname 89000123456789012341 $'a\xff' --euicc pcsc
has "a byte that is not UTF-8 is named" "not UTF-8 at byte 2" "$err"
# a right-to-left override would show the nickname reordered
usage NAME lpa profile nickname 89000123456789012341 $'a\xe2\x80\xaeb' --euicc pcsc
has "a right-to-left override is named" "control character U+202E at byte 2" "$err"
usage SEQ lpa notification remove x --euicc pcsc
# --address: an SM-DP+ address, alone (no SEQ with it), not on another sub-verb
usage --address lpa notification remove --address "" --euicc pcsc
run lpa notification remove 7 --address smdp.example.com --euicc pcsc
expect "remove with SEQ and --address: rc" 2 "$rc"
usage list lpa notification list --address smdp.example.com --euicc pcsc
# without -a the eUICC's default SM-DP+ address is read: the eUICC is opened
failure "pcscd" lpa profile download --euicc pcsc --ca /dev/null
usage --server-url lpa profile download -a '1$a.example$X' --server-url ftp://x --euicc pcsc
# a URL without a host (its path taken for one: https:///gsma/rsp2/... went to host "gsma")
for u in https:// http:// https:///x https://:8443 'https://?x' 'https://#x'; do
	usage --server-url lpa profile download -a '1$a.example$X' --server-url "$u" --insecure --euicc pcsc
done
# an empty confirmation code (a script's unset variable): refused, never sent as a wrong one
usage --cc lpa profile download -a '1$a.example$X$$1' -c "" --insecure --euicc pcsc
has "-c ''" "empty" "$err"
# a URL over 511 characters is refused before the eUICC is opened (pcsc is not reached),
# never cut to another server's or path's
usage --server-url lpa profile download -a '1$a.example$X' --server-url "https://$(printf 'a%.0s' {1..600}).example" --euicc pcsc
has "long URL: how long" "616 characters, at most 511" "$err"
# a value glued to an option's name is not echoed (a confirmation code, a key): the option
# it starts with is named; a misspelt name is echoed as it is
usage --cc... lpa profile download -a '1$a.example$X' --cc1234SECRET --euicc pcsc
lacks "glued CC not echoed" "1234SECRET" "$err"
has "glued CC: the hint" "give it as --cc VALUE" "$err"
usage --k... auc add --k00112233445566778899aabbccddeeff --imsi 001010000000001
lacks "glued K not echoed" "0011223344" "$err"
usage --cafile lpa profile download -a '1$a.example$X' --cafile x --euicc pcsc
# plain HTTP (no TLS) only with --insecure
usage --server-url lpa profile download -a '1$a.example$X' --server-url http://127.0.0.1:1 --euicc pcsc
usage --server-url lpa notification process --server-url http://127.0.0.1:1 --euicc pcsc
run lpa profile download -a '1$a.example$X' --server-url http://127.0.0.1:1 --euicc pcsc
has "http:// refused, says why" "http:// has no TLS" "$err"
usage --timeout lpa profile download -a '1$a.example$X' --timeout 0 --euicc pcsc
# -a and -c are getopt's own short options for --ac and --cc: twice is "given twice", the
# value a separate argument (-aVALUE refused, not echoed: it may be the confirmation code)
usage -a lpa profile download -a 1 -c 2 -a 3 -c 4 --euicc pcsc
expect "-a twice: said" "openrsp: -a: given twice" "$err"
usage -c lpa profile download -a 1 -c8642 --euicc pcsc
expect "-cVALUE: said" "openrsp: -c: expected -c VALUE, the value a separate argument" "$err"
lacks "-cVALUE: not echoed" 8642 "$err"
usage list lpa profile list --ca x --euicc pcsc
usage list lpa profile list --accept-ppr ppr1 --euicc pcsc
# --accept-ppr: known rules, each once, comma-separated
for v in ppr4 pprUpdateControl ppr1,,ppr2 ppr1,ppr1 'ppr1,' ''; do
	usage --accept-ppr lpa profile download -a '1$a.example$X' --accept-ppr "$v" --euicc pcsc
done
usage --nope lpa profile list --nope --euicc pcsc
# chip reset: what to reset, and --yes; its options belong to it alone
usage "chip reset" lpa chip reset --yes --euicc pcsc
usage --yes lpa chip reset --operational --test --euicc pcsc
usage info lpa chip info --operational --euicc pcsc
usage list lpa profile list --yes --euicc pcsc
usage ADDRESS lpa chip default-smdp --euicc pcsc
# a bad address is refused before the eUICC is opened (not "pcscd")
usage ADDRESS lpa chip default-smdp 'smdp..example.com' --euicc pcsc
usage ADDRESS lpa chip default-smdp 'https://smdp.example.com' --euicc pcsc
# one label is not an SM-DP+ address, and the message says why
usage ADDRESS lpa chip default-smdp localhost --euicc pcsc
has "default-smdp localhost" "at least two labels" "$err"
# nor is an IPv4 address, which openrsp's SM-DP+ refuses as its fqdn
usage ADDRESS lpa chip default-smdp 1.2.3.4 --euicc pcsc
has "default-smdp 1.2.3.4" "the last label is all digits" "$err"
failure "pcscd" lpa chip reset --operational --yes --euicc pcsc

# --ask with no terminal to ask on: a usage error before the eUICC is opened (not "pcscd")
run_notty lpa profile download -a '1$smdp.example.com$ABC' --ask --euicc pcsc --ca /dev/null
if [[ $rc -eq 2 && "$err" == "openrsp: --ask: no terminal to ask on"* && $(wc -l <"$T/err") -eq 1 && -z "$out" ]]; then
	ok
else
	bad "--ask without a terminal: rc=$rc stderr='$err'"
fi

# ----- bad activation codes: exit 1 before the eUICC is opened -----
for ac in '2$smdp.example.com$ABC' 'LPA:1$smdp_x.example.com$ABC' '1$smdp.example.com$AB C' \
	'1$smdp.example.com$ABC$1.3.x$1' '1$smdp.example.com$ABC$$2' '1$smdp.example.com' \
	'1$smdp.example.com$A$1.3$1$x'; do
	failure "activation code" lpa profile download -a "$ac" --euicc pcsc --ca /dev/null
done
run lpa profile download -a '2$smdp.example.com$ABC' --euicc pcsc --ca /dev/null
has "bad AC says what to do" "check the code you were given" "$err"
# an IPv4 address is no SM-DP+ address (openrsp's SM-DP+ refuses it as its fqdn)
failure "the SM-DP+ address is not a host name (FQDN): the last label is all digits" \
	lpa profile download -a "1\$1.2.3.4\$ABC" --euicc pcsc --ca /dev/null
# a confirmation code is needed but not given
failure "-c CODE" lpa profile download -a '1$smdp.example.com$ABC$$1' --euicc pcsc --ca /dev/null
# no trust anchor for https
failure "no trust anchor for the SM-DP+ TLS certificate: give the CI certificate with --ca FILE (or set ORSP_LPA_CA)" \
	lpa profile download -a '1$smdp.example.com$ABC' --euicc pcsc
# an empty --ca is a usage error (it failed only at the TLS handshake, "error setting
# certificate file: "), an empty ORSP_LPA_CA counts as unset
usage --ca lpa profile download -a '1$smdp.example.com$ABC' --ca "" --euicc pcsc
ORSP_LPA_CA= failure "--ca FILE" lpa profile download -a '1$smdp.example.com$ABC' --euicc pcsc

# ----- the eUICC cannot be reached -----
failure "pcscd" lpa profile list --euicc pcsc
failure "pcscd" lpa chip info --euicc pcsc:0
failure "pcscd" lpa notification list --euicc pcsc:'Some Reader'
failure "pcscd" lpa profile enable 89000123456789012341 --euicc pcsc
failure "pcscd" lpa profile download -a '1$smdp.example.com$ABC' --euicc pcsc --ca /dev/null
ORSP_LPA_EUICC=pcsc failure "pcscd" lpa profile list
run lpa profile list --euicc "local:$T/missing"
if [[ $rc -eq 1 && $(wc -l <"$T/err") -eq 1 && -z "$out" ]]; then ok; else bad "local missing dir: rc=$rc '$err'"; fi
# how to make the eUICC it names: euicc init with that directory (it said "create one first")
has "local missing dir: euicc init named" "openrsp: eUICC: $T/missing: no sealed store here, so no eUICC: create one with \`openrsp euicc init --state $T/missing --pki PKI\` (PKI: a directory made by \`openrsp pki init\`; \`openrsp euicc init --help\` for other certificates), or name the directory of an existing one" "$err"

# --insecure is warned about
run lpa profile download -a '1$smdp.example.com$ABC' --insecure --euicc pcsc
has "--insecure warning" "WARNING: --insecure" "$err"
[[ $rc -eq 1 ]] && ok || bad "--insecure run: rc=$rc"

# ----- JSON failure objects (lpac-like) -----
run lpa profile list --euicc pcsc --json
[[ $rc -eq 1 ]] && ok || bad "json failure rc=$rc"
[[ "$(json type)" == lpa ]] && ok || bad "json type: $out"
[[ "$(json payload code)" == -1 ]] && ok || bad "json code: $out"
[[ "$(json payload message)" == eUICC ]] && ok || bad "json message: $out"
has "json data" "pcscd" "$(json payload data)"
run lpa profile download -a '3$x.example$Y' --euicc pcsc --ca /dev/null --json
[[ "$(json payload message)" == "profile download" ]] && ok || bad "json download message: $out"
has "json AC detail" "AC_Format" "$(json payload data)"

# ----- the local software eUICC (`openrsp euicc init`, SGP.26 test identity) -----
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}/sgp26
S=$T/card
EID=89049032123451234512345678901235
run euicc init --state "$S" --key "$V/eUICC/SK_EUICC_ECDSA_NIST.pem" \
	--cert "$V/eUICC/CERT_EUICC_ECDSA_NIST.der" --eum-cert "$V/EUM/CERT_EUM_ECDSA_NIST.der" \
	--ci-cert "$V/CertificateIssuer/CERT_CI_ECDSA_NIST.der"
if [[ $rc -eq 0 ]]; then
	ok
	run lpa chip info --euicc "local:$S"
	[[ $rc -eq 0 ]] && ok || bad "chip info local: rc=$rc $err"
	has "chip info EID" "$EID" "$out"
	# both CI lists: verification (trusted) and signing (the card's own EUM chain's CI)
	has "chip info: the signing CI list" "signing CI (key id):" "$out"
	has "chip info: the verification CI list" "trusted CI (key id):" "$out"
	run lpa chip info --euicc "local:$S" --json
	[[ "$(json payload data eidValue)" == "$EID" ]] && ok || bad "chip info json: $out"
	[[ "$(json payload code)" == 0 ]] && ok || bad "chip info json code: $out"
	# the software eUICC's uiccCapability, by name, as lpac shows it
	[[ "$(json payload data EUICCInfo2 uiccCapability)" == "['usimSupport', 'isimSupport', 'akaMilenage', 'akaTuak128', 'akaTuak256']" ]] && ok || bad "chip info uiccCapability: $out"
	run lpa chip info --euicc "local:$S"
	has "chip info capabilities" "capabilities:" "$out"
	[[ "$out" == *"usimSupport isimSupport akaMilenage akaTuak128 akaTuak256"* ]] && ok || bad "chip info capabilities: $out"
	run lpa profile list --euicc "local:$S"
	[[ $rc -eq 0 && "$out" == "no profile" ]] && ok || bad "profile list local: rc=$rc '$out' $err"
	run lpa profile list --euicc "local:$S" --json
	[[ "$(json payload data)" == "[]" ]] && ok || bad "profile list json: $out"
	run lpa notification list --euicc "local:$S"
	[[ $rc -eq 0 && "$out" == "no pending notification" ]] && ok || bad "notification list: '$out'"
	# the verb once: the label is the command's, the library's text does not repeat it
	failure "openrsp: profile enable: no such profile on the eUICC" \
		lpa profile enable 89000123456789012341 --euicc "local:$S"
	failure "openrsp: profile delete: no such profile on the eUICC" \
		lpa profile delete A0000005591010FFFFFFFF8900001000 --euicc "local:$S"
	failure "no notification" lpa notification remove 7 --euicc "local:$S"
	# a seqNumber past 32 bits, as notification list prints it and notification process
	# advises removing it: taken (it was a usage error until session 56); past 64 bits not
	failure "no notification" lpa notification remove 4294967296 --euicc "local:$S"
	failure "no notification" lpa notification remove 18446744073709551615 --euicc "local:$S"
	usage SEQ lpa notification remove 18446744073709551616 --euicc "local:$S"
	failure "no notification for smdp.example.com on the eUICC" \
		lpa notification remove --address smdp.example.com --euicc "local:$S"
	# the default SM-DP+ address: a host name, or "" to remove it; a memory reset
	# restores the initial one (none for this eUICC)
	usage ADDRESS lpa chip default-smdp 'smdp..example.com' --euicc "local:$S"
	run lpa chip default-smdp smdp.example.net --euicc "local:$S"
	[[ $rc -eq 0 && "$out" == "default SM-DP+ address is now smdp.example.net" ]] && ok ||
		bad "chip default-smdp: rc=$rc '$out' $err"
	run lpa chip info --euicc "local:$S" --json
	[[ "$(json payload data EuiccConfiguredAddresses defaultDpAddress)" == smdp.example.net ]] &&
		ok || bad "default address not set: $out"
	# a state change the disk refuses (the file size limit, EFBIG, SIGXFSZ ignored; stderr
	# through a pipe, which the limit does not reach): exit 1 saying the eUICC's reason,
	# nothing changed and no file of it left, and the card serves on (until session 69 the
	# message had the status word alone)
	rc=0
	err=$(bash -c 'trap "" XFSZ; ulimit -f 0; exec "$@"' _ "$B" lpa chip default-smdp \
		smdp.example.org --euicc "local:$S" 2>&1 >/dev/null) || rc=$?
	[[ $rc -eq 1 && "$err" == *"(SW 6581: "*".rec: write failed: File too large)"* ]] && ok ||
		bad "a refused write: rc=$rc '$err'"
	[[ -z "$(find "$S" -name '*.tmp')" ]] && ok || bad "a refused write left: $(ls "$S")"
	run lpa chip info --euicc "local:$S" --json
	[[ $rc -eq 0 && "$(json payload data EuiccConfiguredAddresses defaultDpAddress)" == \
		smdp.example.net ]] && ok || bad "after a refused write: rc=$rc $out $err"
	run lpa chip reset --operational --yes --euicc "local:$S"
	[[ $rc -eq 0 && "$out" == "nothing to reset" ]] && ok || bad "reset of nothing: rc=$rc '$out'"
	# no profile deleted: no delete notification to speak of
	run lpa chip reset --operational --default-smdp --yes --euicc "local:$S"
	expect "reset deleting nothing" "0 reset done" "$rc $out"
	run lpa chip default-smdp smdp.example.net --euicc "local:$S"
	run lpa chip reset --default-smdp --yes --euicc "local:$S" --json
	[[ $rc -eq 0 && "$(json payload code)" == 0 ]] && ok || bad "reset default address: $out $err"
	run lpa chip info --euicc "local:$S" --json
	[[ "$(json payload data EuiccConfiguredAddresses defaultDpAddress)" == "None" ]] &&
		ok || bad "default address not reset: $out"
	# an unreachable SM-DP+: exit 1, one line, the eUICC unchanged
	# (plain HTTP, so --insecure: warned about, then one error line)
	run lpa profile download -a '1$testsmdpplus1.example.com$X' --server-url http://127.0.0.1:1 \
		--insecure --euicc "local:$S"
	if [[ $rc -eq 1 && -z "$out" && $(grep -c '^openrsp: profile download: .*check the network' "$T/err") -eq 1 ]]; then
		ok
	else
		bad "unreachable SM-DP+: rc=$rc $err"
	fi
	has "http:// with --insecure is warned about" "WARNING: --insecure: http:// has no TLS" "$err"
	# once, in the command's words: the http module does not log its own warning as well
	expect "--insecure warned once" 1 "$(grep -ci 'insecure\|TLS verification' "$T/err")"
	lacks "--insecure: no internal field named" "insecure_for_tests" "$err"
	run lpa profile download -a '1$testsmdpplus1.example.com$X' --server-url https://127.0.0.1:1 \
		--insecure --euicc "local:$S"
	has "https:// with --insecure is warned about" "TLS certificate is NOT verified" "$err"
	expect "https:// --insecure warned once" 1 "$(grep -ci 'insecure\|TLS verification' "$T/err")"
	# the confirmation code leaves the command line once read: a download waiting on an
	# SM-DP+ that never answers (a socket listening, nobody accepting) shows it overwritten
	# (both killed below; their times only bound a hang: a sanitizer's openrsp on a loaded
	# machine took more than the 5 s this waited for its start)
	coproc SILENT { exec "$PY" -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print(s.getsockname()[1], flush=True); time.sleep(300)'; }
	silent=$SILENT_PID # bash unsets SILENT_PID once it has reaped the coprocess
	read -r sport <&"${SILENT[0]}"
	"$B" lpa profile download -a '1$testsmdpplus1.example.com$X$$1' -c 13572468 \
		--server-url "http://127.0.0.1:$sport" --insecure --timeout 300 --euicc "local:$S" \
		>/dev/null 2>&1 &
	dl=$!
	for _ in $(seq 1 2400); do
		grep -q xxxxxxxx "/proc/$dl/cmdline" 2>/dev/null && break
		kill -0 "$dl" 2>/dev/null || break
		sleep 0.05
	done
	cmdline=$(tr '\0' ' ' <"/proc/$dl/cmdline" 2>/dev/null || true)
	has "the confirmation code overwritten in the command line" "-c xxxxxxxx" "$cmdline"
	lacks "the confirmation code in the command line" 13572468 "$cmdline"
	kill "$dl" "$silent" 2>/dev/null || true
	wait "$dl" 2>/dev/null || true
	wait "$silent" 2>/dev/null || true
	dl=""
	silent=""
	# a usage error before -c is read (an option before it refused, -h) hides the code
	# before it says anything: here the message waits on a full pipe, the code already gone
	for early in "--timeout 0" "-h" "--frob"; do
		# shellcheck disable=SC2086 # $early: an option and its value
		hidden_while_said "lpa $early" 24681357 lpa profile download $early -c 24681357 \
			--euicc "local:$S"
	done
	hidden_while_said "lpa --cc=" 24681357 lpa profile download --frob --cc=24681357 \
		--euicc "local:$S"
	# and where no sub-verb reads them
	hidden_while_said "lpa profile frob" 24681357 lpa profile frob -c 24681357
	hidden_while_said "lpa profile -c" 24681357 lpa profile -c 24681357
	# -c @FILE names where the code is, not the code: left as it is, for the message to name
	usage --cc lpa profile download -a '1$smdp.example.com$X$$1' -c "@$T/no-cc" \
		--euicc "local:$S"
	has "-c @FILE: the file named" "cannot open $T/no-cc" "$err"
	# a second -c is refused, the first code off the command line too
	usage -c lpa profile download -a '1$smdp.example.com$X$$1' -c 1234 -c 5678 \
		--euicc "local:$S"
	run lpa profile list --euicc "local:$S"
	[[ "$out" == "no profile" ]] && ok || bad "eUICC changed by a failed download: '$out'"
else
	bad "euicc init: rc=$rc $err"
fi

# ----- a whole download through the CLI: `openrsp smdp serve` (HTTPS, a private test PKI),
# an order over ES2+, `openrsp lpa profile download` into a local eUICC of the same PKI -----
if command -v curl >/dev/null; then
	FQDN=smdp.example.org
	P=$T/pki
	"$B" pki init "$P" --smdp-fqdn $FQDN >/dev/null
	TOKEN=test-operator-token-0123456789
	{
		echo "fqdn = $FQDN"
		echo "oid = 2.999.10"
		echo "port = 0"
		echo "database = smdp.db"
		echo "tls_cert = pki/smdp/dptls.pem"
		echo "tls_key = pki/smdp/dptls_key.pem"
		echo "es2_token = $TOKEN"
		smdp_keyset_conf
	} >"$T/smdp.conf"
	chmod 600 "$T/smdp.conf" # it holds the ES2+ token
	TS48=${ORSP_VECTORS}/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der
	# the operator sets PPR1 (an M2M profile that must stay enabled) on the TS.48 profile...
	run smdp profile import "$TS48" --db "$T/smdp.db" --ppr ppr1
	has "imported with PPR1" "PPRs ppr1 for MCC 001 MNC 01" "$out"
	# ...and PPR1, PPR2 on six more, for --ask: 89000123456789001005, 89000123456789001013
	# and 89000123456789001021, for --accept-ppr ppr1: 89000123456789001039, and for long
	# answers to --ask: 89000123456789001047 and 89000123456789001054
	"$B" smdp profile generate --no-auc --db "$T/smdp.db" --template "$TS48" \
		--iccid-start 8900012345678900100 --imsi-start 001010000000100 --count 6 \
		--ppr ppr1,ppr2 >/dev/null
	# ...and five without rules, for an enable that disables another: 89000123456789002003
	# and 89000123456789002011, and for installation results left pending: 89000123456789002029,
	# 89000123456789002037 and 89000123456789002045
	"$B" smdp profile generate --no-auc --db "$T/smdp.db" --template "$TS48" \
		--iccid-start 8900012345678900200 --imsi-start 001010000000200 --count 5 >/dev/null
	"$B" smdp serve --config "$T/smdp.conf" >"$T/port" 2>"$T/serve.log" &
	server_pid=$!
	for _ in $(seq 1 1200); do [[ -s "$T/port" ]] && break; kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
	PORT=$(head -1 "$T/port")
	E2=$T/card2
	"$B" euicc init --state "$E2" --pki "$P" >/dev/null
	EID2=$("$B" lpa chip info --euicc "local:$E2" --json | "$PY" -c \
		'import json,sys; print(json.load(sys.stdin)["payload"]["data"]["eidValue"])')
	HDR='"header":{"functionRequesterIdentifier":"op","functionCallIdentifier":"c1"}'
	es2() {
		curl -s --max-time 10 --cacert "$P/ci/ci.pem" --resolve "$FQDN:$PORT:127.0.0.1" \
			-X POST -H 'Content-Type: application/json' -H 'X-Admin-Protocol: gsma/rsp/v2.2.0' \
			-H "Authorization: Bearer $TOKEN" -d "$2" "https://$FQDN:$PORT/gsma/rsp2/es2plus/$1"
	}
	order() { # ICCID: ordered for the eUICC and released; its matching ID on stdout
		# a call of its own: one call identifier is one order (a replay after it)
		es2 downloadOrder "{${HDR/c1/order-$1},\"iccid\":\"$1\",\"eid\":\"$EID2\"}" >/dev/null
		es2 confirmOrder "{$HDR,\"iccid\":\"$1\",\"releaseFlag\":true}" |
			"$PY" -c 'import json,sys; print(json.load(sys.stdin)["matchingId"])'
	}
	# run_pty ANSWER... -- ARGS...: openrsp ARGS on a new pseudo-terminal (its /dev/tty and its
	# output), each ANSWER typed at the next question; what it wrote in $out, status in $rc
	run_pty() {
		rc=0
		out=$("$PY" -c '
import os, pty, select, sys, time
sep = sys.argv.index("--")
answers, cmd = sys.argv[1:sep], sys.argv[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(cmd[0], cmd)
buf, end = b"", time.time() + 60
while True:
    if not select.select([fd], [], [], max(0.0, end - time.time()))[0]:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    buf += data
    if answers and (buf.endswith(b"[y/N] ") or buf.endswith(b"the profile): ")):
        os.write(fd, answers.pop(0).encode() + b"\n")
sys.stdout.write(buf.decode(errors="replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))' "$@") || rc=$?
	}
	ICCID=89000123456789012341
	MID=$(order $ICCID)
	SRV=(--server-url "https://127.0.0.1:$PORT" --ca "$P/ci/ci.pem" --euicc "local:$E2")
	# the wrong address in the activation code (the CA right): the advice is about the address
	failure "https://127.0.0.1:$PORT: the server's TLS certificate is not for smdp.wrong.example: check that address (the activation code's)" \
		lpa profile download -a "LPA:1\$smdp.wrong.example\$$MID" "${SRV[@]}"
	# the wrong CA: TLS refused, nothing changes
	failure "does not chain to a trusted CA: check --ca" lpa profile download -a "LPA:1\$$FQDN\$$MID" --server-url \
		"https://127.0.0.1:$PORT" --ca "$V/CertificateIssuer/CERT_CI_ECDSA_NIST.pem" \
		--euicc "local:$E2"
	# --ask with no terminal: refused before the eUICC or the SM-DP+ is asked anything, so the
	# order is not ended as if the user had rejected the profile
	run_notty lpa profile download -a "LPA:1\$$FQDN\$$MID" "${SRV[@]}" --ask
	if [[ $rc -eq 2 && "$err" == "openrsp: --ask: "* ]]; then ok; else bad "--ask without a terminal: rc=$rc $err"; fi
	# rules that need consent (the software eUICC's RAT says so) and nobody to give it: the
	# download is postponed, nothing installed, the order stays
	failure "need the end user's consent: ask with --ask, or pre-authorise them with --accept-ppr (session cancelled)" \
		lpa profile download -a "LPA:1\$$FQDN\$$MID" "${SRV[@]}"
	run lpa profile list --euicc "local:$E2"
	[[ "$out" == "no profile" ]] && ok || bad "eUICC changed by a postponed download: '$out'"
	# the device's consent given beforehand, as an M2M device would; the code with a later
	# SGP.22 version's fields after the flag, taken and said ignored
	run lpa profile download -a "LPA:1\$$FQDN\$$MID\$\$\$KEYID\$1" "${SRV[@]}" --accept-ppr PPR1
	if [[ $rc -eq 0 && "$out" == "installed $ICCID"* ]]; then ok; else bad "download: rc=$rc $err"; fi
	# the next step names the eUICC it was given (pasted as printed, it failed with exit 2
	# until session 71); run below as printed
	enable=$(sed -n 's/^installed .* (disabled; enable it with `openrsp \(.*\)`)$/\1/p' <<<"$out")
	expect "download: the enable hint names the eUICC" "lpa profile enable $ICCID --euicc local:$E2" "$enable"
	has "later AC fields said ignored" \
		"the activation code's 2 fields after the confirmation code flag" "$err"
	has "download progress" "[4/5] installing on the eUICC" "$err"
	has "the rules shown" "profile policy rules: PPR1 (no disabling)" "$err"
	lacks "no PPR2 set" "PPR2" "$err"
	has "consent from --accept-ppr" \
		"consent to PPR1 (no disabling) given beforehand (--accept-ppr)" "$err"
	run lpa profile list --euicc "local:$E2" --json
	[[ "$(json payload data 0 iccid)" == "$ICCID" && "$(json payload data 0 profileState)" == disabled ]] &&
		ok || bad "profile list after download: $out"
	[[ "$(json payload data 0 profilePolicyRules)" == "['ppr1']" ]] &&
		ok || bad "profile list --json: the PPR1 the profile carries: $out"
	run lpa profile list --euicc "local:$E2"
	has "profile list: the rules" "[rules: PPR1 (no disabling)]" "$out"
	# a card whose profile has a PprIds bit v2.2 does not define (bit 5; its record's
	# 99 01 40 made 99 01 44) and an unknown profileClass (95 01 07): both shown as they are,
	# neither dropped nor taken for another
	if [[ -n "${ORSP_SEAL_RECORD:-}" ]]; then
		cp -a "$E2" "$T/e2-odd"
		"$ORSP_SEAL_RECORD" "$T/e2-odd" isdr get >"$T/isdr"
		"$PY" -c '
import sys
b = open(sys.argv[1], "rb").read()
assert b.count(bytes.fromhex("950102990140")) == 1
open(sys.argv[1], "wb").write(b.replace(bytes.fromhex("950102990140"), bytes.fromhex("950107990144")))' "$T/isdr"
		"$ORSP_SEAL_RECORD" "$T/e2-odd" isdr put <"$T/isdr"
		run lpa profile list --euicc "local:$T/e2-odd" --json
		[[ "$(json payload data 0 profilePolicyRules)" == "['ppr1', 'ppr5']" &&
			"$(json payload data 0 profileClass)" == unknown ]] &&
			ok || bad "profile list --json: PPR bit 5 and class 7: $out"
		run lpa profile list --euicc "local:$T/e2-odd"
		has "profile list: an unknown rule" "[rules: PPR1 (no disabling), PPR5 (unknown)]" "$out"
		has "profile list: an unknown class" "disabled  unknown " "$out"
	fi
	eval "run $enable"
	[[ $rc -eq 0 ]] && ok || bad "enable: rc=$rc $err"
	# the profile asks for an enable notification: counted before and after, so said
	expect "enable: the notification it left" \
		"enabled $ICCID; a notification for the operator is pending (\`openrsp lpa notification process --euicc local:$E2 --ca FILE\` sends it)" "$out"
	run lpa notification list --euicc "local:$E2" --json
	[[ "$(json payload data 0 profileManagementOperation)" == enable ]] && ok || bad "notification: $out"
	# no CA: the advice names ORSP_LPA_CA too, as profile download's does; nothing sent,
	# the notification stays
	failure "no trust anchor for the SM-DP+ TLS certificate ($FQDN): give the CI certificate with --ca FILE (or set ORSP_LPA_CA)" \
		lpa notification process --server-url "https://127.0.0.1:$PORT" --euicc "local:$E2"
	run lpa notification list --euicc "local:$E2" --json
	[[ "$(json payload data 0 profileManagementOperation)" == enable ]] && ok || bad "notification kept: $out"
	run lpa notification process "${SRV[@]}"
	[[ $rc -eq 0 && "$out" == "1 notification delivered and removed" ]] && ok ||
		bad "notification process: rc=$rc '$out' $err"
	run lpa notification list --euicc "local:$E2"
	[[ "$out" == "no pending notification" ]] && ok || bad "notification left: $out"
	# the eUICC enforces the PPR1 the operator set: the way past it named, --euicc in it
	failure "openrsp: profile disable: the profile's policy rules forbid disabling it (PPR1, disallowedByPolicy): only a memory reset of the eUICC's operational profiles removes it (\`openrsp lpa chip reset --operational --yes --euicc local:$E2\`), and that deletes every operational profile on the eUICC" \
		lpa profile disable "$ICCID" --euicc "local:$E2"
	failure "openrsp: profile enable: the profile is enabled already" \
		lpa profile enable "$ICCID" --euicc "local:$E2"
	run lpa profile list --euicc "local:$E2" --json
	[[ "$(json payload data 0 profileState)" == enabled ]] && ok || bad "PPR1 profile not enabled: $out"
	# --ask: the profile and its rules shown, "y", then the rules' consent: "yes" typed out
	ICCID2=89000123456789001005
	MID2=$(order $ICCID2)
	run_pty y yes -- "$B" lpa profile download -a "LPA:1\$$FQDN\$$MID2" "${SRV[@]}" --ask
	if [[ $rc -eq 0 && "$out" == *"Install this profile? [y/N] y"* &&
		"$out" == *"PPR1: once enabled, this profile cannot be disabled"* &&
		"$out" == *"PPR2: this profile cannot be deleted"* &&
		"$out" == *'Type "yes" to accept them (anything else refuses the profile): yes'* &&
		"$out" == *"installed $ICCID2"* ]]; then
		ok
	else
		bad "--ask with consent: rc=$rc $out"
	fi
	# "y" is not the strong confirmation: the rules are refused, the order ends (Error)
	ICCID3=89000123456789001013
	MID3=$(order $ICCID3)
	run_pty y y -- "$B" lpa profile download -a "LPA:1\$$FQDN\$$MID3" "${SRV[@]}" --ask
	if [[ $rc -eq 1 && "$out" == *"openrsp: profile download: the profile's policy rules PPR1 (no disabling), PPR2 (no deletion) were refused (session cancelled)"* ]]; then
		ok
	else
		bad "--ask with the rules refused: rc=$rc $out"
	fi
	run smdp profile list --db "$T/smdp.db" --json
	[[ $("$PY" -c 'import json,sys; print([p["state"] for p in json.loads(sys.argv[1]) if p["iccid"] == sys.argv[2]][0])' "$out" $ICCID3) == error ]] &&
		ok || bad "the refused order: $out"
	# --json --ask: the question comes with the profile it is about, shown on the terminal
	ICCID4=89000123456789001021
	MID4=$(order $ICCID4)
	run_pty n -- "$B" lpa profile download -a "LPA:1\$$FQDN\$$MID4" "${SRV[@]}" --ask --json
	if [[ $rc -eq 1 &&
		"$out" == *"ICCID $ICCID4, provider "*"profile policy rules: PPR1 (no disabling), PPR2 (no deletion)"*"Install this profile? [y/N] n"* &&
		"$out" == *"download refused by the user"* &&
		"$out" == *'"message":"es8p_meatadata_parse","data":"'$ICCID4'"'* ]]; then
		ok
	else
		bad "--json --ask shows the profile: rc=$rc $out"
	fi
	# consent given beforehand to PPR1 alone on a PPR1 + PPR2 profile: nobody refused PPR2,
	# the device was not set up for it, so the download is postponed (the order stays) and
	# the message names PPR2 alone
	ICCID5=89000123456789001039
	MID5=$(order $ICCID5)
	failure "this profile's policy rules PPR2 (no deletion) need the end user's consent" \
		lpa profile download -a "LPA:1\$$FQDN\$$MID5" "${SRV[@]}" --accept-ppr ppr1
	run smdp profile list --db "$T/smdp.db" --json
	expect "the order after a partial --accept-ppr" released \
		"$("$PY" -c 'import json,sys; print([p["state"] for p in json.loads(sys.argv[1]) if p["iccid"] == sys.argv[2]][0])' "$out" $ICCID5)"
	run lpa profile list --euicc "local:$E2" --json
	[[ $("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])["payload"]["data"]))' "$out") == 2 ]] &&
		ok || bad "profiles after the --ask downloads: $out"
	# the order is used: a second download is refused by the SM-DP+, with advice
	failure "8.2/1.2" lpa profile download -a "LPA:1\$$FQDN\$$MID" "${SRV[@]}"
	# a memory reset deletes both, PPR1 (enabled) and PPR2 alike, and leaves a delete
	# notification for each, which the SM-DP+ receives
	run lpa notification process "${SRV[@]}"
	run lpa chip reset --operational --yes --euicc "local:$E2"
	[[ $rc -eq 0 && "$out" == "reset done; 2 delete notifications for the operators are pending"* ]] &&
		ok || bad "chip reset: rc=$rc '$out' $err"
	run lpa profile list --euicc "local:$E2"
	[[ "$out" == "no profile" ]] && ok || bad "profiles left after the reset: '$out'"
	run lpa notification list --euicc "local:$E2" --json
	[[ $("$PY" -c 'import json,sys; print(sorted((n["profileManagementOperation"], n["iccid"]) for n in json.loads(sys.argv[1])["payload"]["data"]))' "$out") == "[('delete', '$ICCID2'), ('delete', '$ICCID')]" ]] &&
		ok || bad "delete notifications after the reset: $out"
	run lpa notification process "${SRV[@]}"
	[[ $rc -eq 0 && "$out" == "2 notifications delivered and removed" ]] && ok ||
		bad "delete notifications delivered: rc=$rc '$out' $err"
	# no activation code: the eUICC's default SM-DP+ address, none at first
	run lpa chip default-smdp "" --euicc "local:$E2"
	# (the command it names carries this one's --euicc: it did not until the session 71
	# device walkthrough, and pasted it failed with exit 2)
	failure "no activation code, and the eUICC has no default SM-DP+ address: give one with -a CODE, or set the default with \`openrsp lpa chip default-smdp ADDRESS --euicc local:$E2\`" \
		lpa profile download "${SRV[@]}"
	# a default address the SM-DP+'s TLS certificate does not name: the advice names where
	# the address came from
	run lpa chip default-smdp other.example.org --euicc "local:$E2"
	failure "check that address (the eUICC's default SM-DP+ address) and --server-url" \
		lpa profile download "${SRV[@]}"
	run lpa chip default-smdp "$FQDN" --euicc "local:$E2"
	# the SM-DP+ finds the profile released for this EID without a matching ID (the default
	# SM-DP+ case): the order postponed above, now with the consent to both its rules
	run lpa profile download "${SRV[@]}" --accept-ppr ppr1,ppr2
	if [[ $rc -eq 0 && "$out" == "installed $ICCID5"* ]]; then ok; else bad "default SM-DP+ download: rc=$rc $out $err"; fi
	has "default SM-DP+ progress" "[1/5] authenticating with the SM-DP+: $FQDN" "$err"
	# the same, said with an activation code of an empty matching ID: nothing left for this
	# EID, the EID refused (8.2.6/3.8, the matching ID's, until session 57), and said so
	failure "8.1.1/3.8" lpa profile download -a "LPA:1\$$FQDN\$" "${SRV[@]}"
	has "default SM-DP+, no order: the advice" "the SM-DP+ has no profile ordered for this eUICC (EID)" "$err"
	# an answer longer than the LPA reads at once: nothing of it answers the next question.
	# A long "yes" to "Install this profile?", then the consent is asked (its question shown)
	# and the answer typed there, "yes", installs the profile
	ICCID6=89000123456789001047
	MID6=$(order $ICCID6)
	run_pty "yes, install this profile" yes -- "$B" lpa profile download -a "LPA:1\$$FQDN\$$MID6" "${SRV[@]}" --ask
	if [[ $rc -eq 0 && "$out" == *"Install this profile? [y/N] yes, install this profile"* &&
		"$out" == *"PPR2: this profile cannot be deleted"* &&
		"$out" == *'Type "yes" to accept them (anything else refuses the profile): yes'* &&
		"$out" == *"installed $ICCID6"* ]]; then
		ok
	else
		bad "--ask with a long first answer: rc=$rc $out"
	fi
	# a long answer starting with "yes" at the consent is not the word typed out: refused
	ICCID7=89000123456789001054
	MID7=$(order $ICCID7)
	run_pty y "yes, I accept these rules" -- "$B" lpa profile download -a "LPA:1\$$FQDN\$$MID7" "${SRV[@]}" --ask
	if [[ $rc -eq 1 && "$out" == *'(anything else refuses the profile): yes, I accept these rules'* &&
		"$out" == *"PPR1 (no disabling), PPR2 (no deletion) were refused (session cancelled)"* ]]; then
		ok
	else
		bad "--ask with a long answer at the consent: rc=$rc $out"
	fi
	# enabling a profile while another is enabled disables that one: a notification for each
	# profile's operator, and the message counts both (it said one)
	ICCIDA=89000123456789002003
	ICCIDB=89000123456789002011
	for i in $ICCIDA $ICCIDB; do
		run lpa profile download -a "LPA:1\$$FQDN\$$(order $i)" "${SRV[@]}"
		[[ $rc -eq 0 ]] && ok || bad "download $i: rc=$rc $err"
	done
	# notification process sends nothing without a CA, which a profile change takes no option
	# for: `--ca FILE` to fill in, unless ORSP_LPA_CA gives it, which the command reads too
	# (until session 76 it was left out, and the command failed as printed)
	ORSP_LPA_CA=$P/ci/ci.pem run lpa profile enable $ICCIDA --euicc "local:$E2"
	expect "enable: one notification" \
		"enabled $ICCIDA; a notification for the operator is pending (\`openrsp lpa notification process --euicc local:$E2\` sends it)" "$out"
	run lpa profile enable $ICCIDB --euicc "local:$E2"
	expect "enable disabling another: two notifications" \
		"enabled $ICCIDB; 2 notifications for the operators are pending (\`openrsp lpa notification process --euicc local:$E2 --ca FILE\` sends them)" "$out"
	# a disabled profile whose sealed package does not authenticate (a byte of its record file
	# flipped, as anyone who can write the directory may; the file is the newest once the
	# record is written again): the enable refused, exit 1 naming the problem, nothing
	# changed (the other profile enabled, no notification added), and it can be deleted.
	# Until session 74 it was enabled (exit 0), its notification queued and B disabled.
	if [[ -n "${ORSP_SEAL_RECORD:-}" ]]; then
		E3=$T/card-tampered
		cp -a "$E2" "$E3"
		run lpa profile list --euicc "local:$E3" --json
		n=$("$PY" -c 'import json,sys; a=[p["isdpAid"] for p in json.loads(sys.argv[1])["payload"]["data"] if p["iccid"] == sys.argv[2]][0]; print((int(a[28:30], 16) - 0x10) << 8 | int(a[30:32], 16))' "$out" $ICCIDA)
		"$ORSP_SEAL_RECORD" "$E3" "upp.$n" get >"$T/upp"
		"$ORSP_SEAL_RECORD" "$E3" "upp.$n" put <"$T/upp"
		rm -f "$T/upp"
		"$PY" -c '
import glob, sys
p = sorted(glob.glob(sys.argv[1] + "/r*.rec"))[-1]
b = bytearray(open(p, "rb").read()); b[100] ^= 1; open(p, "wb").write(b)' "$E3"
		run lpa notification list --euicc "local:$E3" --json
		nbefore=$out
		run lpa profile enable $ICCIDA --euicc "local:$E3"
		expect "enable of a tampered profile: rc and stdout" "1 " "$rc $out"
		has "enable of a tampered profile: the message" \
			"openrsp: profile enable: the eUICC answered undefinedError (127): the eUICC's stored profile $ICCIDA does not authenticate (tampered with or damaged): record upp.$n: " "$err"
		has "enable of a tampered profile: what to do" "it cannot be enabled, only deleted" "$err"
		run lpa profile list --euicc "local:$E3" --json
		expect "enable of a tampered profile: the states" "['disabled', 'enabled']" \
			"$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1])["payload"]["data"]; print([p["profileState"] for p in d if p["iccid"] in sys.argv[2:]])' "$out" $ICCIDA $ICCIDB)"
		run lpa notification list --euicc "local:$E3" --json
		expect "enable of a tampered profile: no notification added" "$nbefore" "$out"
		run lpa profile delete $ICCIDA --euicc "local:$E3"
		expect "the tampered profile deleted: rc" 0 "$rc"
		run lpa profile list --euicc "local:$E3"
		lacks "the tampered profile deleted" "$ICCIDA" "$out"
		[[ "$out" =~ $ICCIDB\ +enabled ]] && ok || bad "the other profile still enabled: $out"
	fi
	# an installation result the SM-DP+ did not take (a proxy in front of it answers its first
	# handleNotification 500): the command that sends it names the eUICC, the URL and the
	# options given, and sends it when run as printed (pasted, it failed with exit 2 until
	# session 71)
	"$PY" "$(dirname "$0")/lib/bench_mitm.py" "https://127.0.0.1:$PORT" handleNotification \
		"$T/proxy.port" &
	proxy=$!
	wait_for 60 "the proxy's port" nonempty "$T/proxy.port"
	purl="http://127.0.0.1:$(cat "$T/proxy.port")"
	ICCID8=89000123456789002029
	run lpa profile download -a "LPA:1\$$FQDN\$$(order $ICCID8)" --server-url "$purl" --insecure \
		--ca "$P/ci/ci.pem" --euicc "local:$E2"
	expect "download, its result refused: rc" 0 "$rc"
	send=$(sed -n 's/.*still pending on the eUICC, `openrsp \(.*\)` sends it$/\1/p' <<<"$out")
	expect "download, its result refused: the command names what was given" \
		"lpa notification process --euicc local:$E2 --server-url $purl --ca $P/ci/ci.pem --insecure" "$send"
	eval "run $send"
	expect "the result sent as printed: rc" 0 "$rc"
	has "the result sent as printed" "delivered and removed" "$out"
	# a URL with a userinfo (a password, perhaps) is not shown
	ICCID9=89000123456789002037
	run lpa profile download -a "LPA:1\$$FQDN\$$(order $ICCID9)" --insecure \
		--server-url "http://user:pw-secret@127.0.0.1:$(cat "$T/proxy.port")" --euicc "local:$E2"
	expect "download with a userinfo, its result refused: rc" 0 "$rc"
	has "a userinfo's URL shown as URL" "\`openrsp lpa notification process --euicc local:$E2 --server-url URL --insecure\` sends it" "$out"
	lacks "no userinfo in the next step" "pw-secret" "$out"
	run lpa notification process --euicc "local:$E2" --server-url "$purl" --insecure
	has "its result sent" "delivered and removed" "$out"
	# the same activation code again after a result the SM-DP+ did not take (as after an
	# SM-DP+ killed during the installation): the profile is on the eUICC, so nothing is
	# bound, no download attempt counted, and its result is delivered; until session 72 each
	# try bound a new package, which the eUICC refused (ErrorReason 9), until the order's
	# download limit ("ask the operator for a new order")
	ICCID10=89000123456789002045
	MID10=$(order $ICCID10)
	rurl="http://retry:x@127.0.0.1:$(cat "$T/proxy.port")"
	run lpa profile download -a "LPA:1\$$FQDN\$$MID10" --server-url "$rurl" --insecure --euicc "local:$E2"
	expect "download, its result refused (3): rc" 0 "$rc"
	smdp_profile() { # ICCID: its state and download attempts at the SM-DP+
		"$B" smdp profile list --db "$T/smdp.db" --json | "$PY" -c \
			'import json,sys; print(*[(p["state"], p["downloadAttempts"]) for p in json.load(sys.stdin) if p["iccid"] == sys.argv[1]])' "$1"
	}
	expect "its result refused: the SM-DP+'s profile" "('downloaded', 1)" "$(smdp_profile $ICCID10)"
	run lpa profile download -a "LPA:1\$$FQDN\$$MID10" --server-url "$rurl" --insecure --euicc "local:$E2"
	expect "the same code again: rc" 0 "$rc"
	expect "the same code again: what it says" \
		"$ICCID10: already installed on this eUICC, nothing downloaded; its installation result had not reached the SM-DP+ and was delivered now" "$out"
	expect "the same code again: the SM-DP+'s profile" "('installed', 1)" "$(smdp_profile $ICCID10)"
	run lpa notification list --euicc "local:$E2" --json
	lacks "the same code again: its result no longer pending" "$ICCID10" "$out"
	# the notifications of an SM-DP+ that keeps refusing them (they would fill the eUICC's
	# list, which then refuses every change): removed by its address, in any case, each
	# printed; none left for it then (session 74)
	run lpa profile enable $ICCID10 --euicc "local:$E2"
	expect "enable $ICCID10: rc" 0 "$rc"
	run lpa notification list --euicc "local:$E2" --json
	npend=$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])["payload"]["data"]))' "$out")
	[[ $npend -ge 1 ]] && ok || bad "a notification pending after the enable: $out"
	run lpa notification remove --address "${FQDN^^}" --euicc "local:$E2"
	expect "remove --address: rc" 0 "$rc"
	has "remove --address: what it removed" "(enable, ICCID $ICCID10, for $FQDN; not sent)" "$out"
	expect "remove --address: a line for each" "$npend" "$(grep -c '^removed notification [0-9]* (' <<<"$out")"
	run lpa notification list --euicc "local:$E2"
	expect "remove --address: none left" "no pending notification" "$out"
	failure "no notification for $FQDN on the eUICC" \
		lpa notification remove --address "$FQDN" --euicc "local:$E2"
	# the storage review's rollback: the eUICC's state copied, a profile deleted and the delete
	# delivered, the copy put back, the profile enabled and the enable delivered. The two
	# verified notifications carry one seqNumber: the SM-DP+ answers as ever (delivered and
	# removed) but audits eUICCSequenceReused, logs a warning and counts it; until session 74
	# it took both as `accepted` and said nothing
	cp -a "$E2" "$T/e2-snap"
	run lpa profile delete $ICCIDA --euicc "local:$E2"
	expect "rollback: delete: rc" 0 "$rc"
	run lpa notification process "${SRV[@]}"
	expect "rollback: the delete delivered" "1 notification delivered and removed" "$out"
	rm -rf "$E2"
	cp -a "$T/e2-snap" "$E2"
	run lpa profile enable $ICCIDA --euicc "local:$E2"
	expect "rollback: enable after the copy put back: rc" 0 "$rc"
	run lpa notification process "${SRV[@]}"
	expect "rollback: the enable (and the disable of $ICCID10) delivered" \
		"2 notifications delivered and removed" "$out"
	# (the eUICC numbers the disable of the profile enabled before first, so the disable
	# takes the delete's number)
	run smdp audit --db "$T/smdp.db" --json
	reuse=$("$PY" -c 'import json,sys; print(*[r["detail"] for r in json.loads(sys.argv[1]) if r["action"] == "eUICCSequenceReused"], sep="\n")' "$out")
	expect "rollback: audited once" 1 "$(grep -c . <<<"$reuse")"
	has "rollback: the audit row names both" \
		"eUICC $EID2 signed seqNumber " "$reuse"
	has "rollback: the audit row names both (2)" \
		"twice: delete of $ICCIDA (recorded accepted), now " "$reuse"
	run smdp profile list --db "$T/smdp.db" --json
	expect "rollback: the profile stays installed" installed \
		"$("$PY" -c 'import json,sys; print([p["state"] for p in json.loads(sys.argv[1]) if p["iccid"] == sys.argv[2]][0])' "$out" $ICCIDA)"
	# written before the answer
	has "rollback: the warning" \
		"openrsp smdp: warning: eUICC $EID2 signed two notifications with one seqNumber" \
		"$(cat "$T/serve.log")"
	mtx=$(curl -s --max-time 10 --cacert "$P/ci/ci.pem" --resolve "$FQDN:$PORT:127.0.0.1" \
		"https://$FQDN:$PORT/metrics")
	has "rollback: counted" "openrsp_smdp_euicc_sequence_reused_total 1" "$mtx"
	kill "$proxy"
	wait "$proxy" 2>/dev/null || true
	stop_checked "$server_pid" "smdp serve"
	server_pid=""
else
	bad "curl is not installed (scripts/setup.sh installs it)"
fi

finish
