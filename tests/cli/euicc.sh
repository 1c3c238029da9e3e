#!/usr/bin/env bash
# `openrsp euicc`: init from the SGP.26 NIST eUICC identity and from an `openrsp pki init`
# directory (both curves), the sealed directory's modes, info (text and JSON, no key ever
# printed), serve against a fake vpcd (ATR, SELECT ISD-R, GetEID by STORE DATA; at 127.0.0.1
# and at [::1]; info refused meanwhile; SIGTERM and SIGHUP stop it), the errors (missing
# directory, wrong key file, init twice, two inits at once, init of a served card, device.key readable by others or missing, a tampered
# manifest, usage: an IPv6 --vpcd address without brackets), bad key and certificate files
# refused before --state is touched (junk, empty, a certificate for the key, a key not
# CERT.EUICC's, an EUM not its issuer, a CI not the EUM's, another EID), an identity
# outside its validity period taken with a warning, and `bench euicc` once (a complete
# download into a fresh sealed card).
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}/sgp26
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_euicc.XXXXXX")
. "$(dirname "$0")/lib/common.bash"
EID=89049032123451234512345678901235

mode() { stat -c %a "$1"; }
sgp26_nist() {
	echo --key "$V/eUICC/SK_EUICC_ECDSA_NIST.pem" --cert "$V/eUICC/CERT_EUICC_ECDSA_NIST.der" \
		--eum-cert "$V/EUM/CERT_EUM_ECDSA_NIST.der" \
		--ci-cert "$V/CertificateIssuer/CERT_CI_ECDSA_NIST.der"
}

# ----- init from the SGP.26 identity -----
S=$T/card
run euicc init --state "$S" $(sgp26_nist)
if [[ $rc -eq 0 && "$out" == *"$EID"* ]]; then ok; else bad "init sgp26: rc=$rc $err"; fi
[[ $(mode "$S") == 700 ]] && ok || bad "state dir mode $(mode "$S")"
[[ $(mode "$S/device.key") == 600 && $(stat -c %s "$S/device.key") == 32 ]] && ok ||
	bad "device.key mode/size"

run euicc info --state "$S"
# name: value lines, every value in one column
want=$(printf 'eid:           %s\nprofiles:      0\nnotifications: 0' "$EID")
if [[ $rc -eq 0 && "$out" == "$want" ]]; then ok; else bad "info: rc=$rc out='$out' $err"; fi
# No key ever: neither the device key nor SK.EUICC (its scalar in hex) appears.
devkey=$(od -An -tx1 "$S/device.key" | tr -d ' \n')
sk=$(openssl pkey -in "$V/eUICC/SK_EUICC_ECDSA_NIST.pem" -noout -text 2>/dev/null |
	sed -n '/priv:/,/pub:/p' | grep -v 'priv:\|pub:' | tr -d ' :\n')
run euicc info --state "$S" --json
if [[ $rc -eq 0 ]] && python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["eid"] == sys.argv[2], d
assert d["profiles"] == [] and d["notifications"] == 0, d
' "$out" "$EID"; then ok; else bad "info --json: rc=$rc out='$out' $err"; fi
if [[ -n "$devkey" && -n "$sk" && "$out" != *"$devkey"* && "$out" != *"$sk"* ]]; then ok; else
	bad "a key in the info output"; fi
# The sealed files hold no plaintext key or certificate either.
cert_hex=$(od -An -tx1 "$V/eUICC/CERT_EUICC_ECDSA_NIST.der" | tr -d ' \n' | cut -c1-64)
if ! cat "$S"/* | od -An -tx1 | tr -d ' \n' | grep -q "$cert_hex"; then ok; else
	bad "CERT.EUICC in clear in the state directory"; fi

# ----- errors -----
run euicc init --state "$S" $(sgp26_nist)
if [[ $rc -eq 1 && "$err" == *"$S"* ]]; then ok; else bad "init twice: rc=$rc $err"; fi
failure "no sealed store" euicc info --state "$T/none"
has "info on no eUICC: euicc init named" "create one with \`openrsp euicc init --state $T/none --pki PKI\`" "$err"
# what an init killed before the manifest leaves (a device key, the counter at 0): info names
# it, and init run again starts afresh instead of asking for files to be removed by hand
mkdir -m 700 "$T/killed"
head -c 32 /dev/urandom >"$T/killed/device.key"
chmod 600 "$T/killed/device.key"
head -c 8 /dev/zero >"$T/killed/counter"
failure "did not finish" euicc info --state "$T/killed"
run euicc init --state "$T/killed" $(sgp26_nist)
if [[ $rc -eq 0 && "$out" == *"$EID"* ]]; then ok; else bad "init after a killed init: rc=$rc $err"; fi
[[ ! -e "$T/none" ]] && ok || bad "info created the missing directory"
# A key that does not belong to CERT.EUICC: refused, and nothing left behind.
run euicc init --state "$T/wrongkey" --key "$V/DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem" \
	--cert "$V/eUICC/CERT_EUICC_ECDSA_NIST.der" --eum-cert "$V/EUM/CERT_EUM_ECDSA_NIST.der" \
	--ci-cert "$V/CertificateIssuer/CERT_CI_ECDSA_NIST.der"
if [[ $rc -eq 1 && $(wc -l <"$T/err") -eq 1 ]]; then ok; else bad "wrong key: rc=$rc $err"; fi
[[ ! -e "$T/wrongkey/manifest" && ! -e "$T/wrongkey/device.key" ]] && ok ||
	bad "wrong key left a store behind"
failure "" euicc init --state "$T/nokey" --key "$T/no-such.pem" \
	--cert "$V/eUICC/CERT_EUICC_ECDSA_NIST.der" --eum-cert "$V/EUM/CERT_EUM_ECDSA_NIST.der" \
	--ci-cert "$V/CertificateIssuer/CERT_CI_ECDSA_NIST.der"
# A FIFO or a directory as the key or a certificate: refused at once, naming it (a FIFO
# blocked the open for ever, waiting for a writer), and no store made
mkfifo "$T/fifo"
for o in --key --cert --eum-cert --ci-cert; do
	for f in "$T/fifo" "$T"; do
		args=($(sgp26_nist))
		for i in "${!args[@]}"; do [[ ${args[$i]} == "$o" ]] && args[$((i + 1))]=$f; done
		rc=0
		timeout 60 "$B" euicc init --state "$T/notreg" "${args[@]}" >/dev/null 2>"$T/err" ||
			rc=$?
		err=$(cat "$T/err")
		expect "$o $f rc" 1 "$rc"
		has "$o $f" "$f is not a regular file" "$err"
		[[ ! -e "$T/notreg" ]] && ok || bad "$o $f: a store was made"
	done
done
# a key file over ORSP_EC_KEY_FILE_MAX: refused by its size, naming it (it was read up to
# 64 KiB and refused by the parser without a name), and no store made
head -c 16385 /dev/zero | tr '\0' x >"$T/big.pem"
failure "--key: $T/big.pem is larger than 16384 bytes" euicc init --state "$T/bigkey" \
	--key "$T/big.pem" --cert "$V/eUICC/CERT_EUICC_ECDSA_NIST.der" \
	--eum-cert "$V/EUM/CERT_EUM_ECDSA_NIST.der" --ci-cert "$V/CertificateIssuer/CERT_CI_ECDSA_NIST.der"
[[ ! -e "$T/bigkey" ]] && ok || bad "a key file too large: a store was made"
chmod 644 "$S/device.key"
failure "chmod 600" euicc info --state "$S"
chmod 600 "$S/device.key"
run euicc info --state "$S"
[[ $rc -eq 0 ]] && ok || bad "info after chmod 600: $err"
# a counter or manifest others may write (they could put an older counter back): refused
for f in counter manifest; do
	chmod o+w "$S/$f"
	failure "chmod go-w" euicc info --state "$S"
	chmod 600 "$S/$f"
done
mv "$S/device.key" "$T/device.key.saved"
failure "device key" euicc info --state "$S"
mv "$T/device.key.saved" "$S/device.key"
# the directories above the state count: a parent others may write in (they could rename the
# state away and put an older copy at its name: `mv pw/dev pw/dev.cur && mv pw/dev.bak pw/dev`,
# which went unnoticed until session 74) is refused, naming it, as is a state path that is a
# symbolic link; the parent put right, the card opens again
mkdir -m 0755 "$T/pw"
mv "$S" "$T/pw/card"
chmod 0777 "$T/pw"
failure "group or others may write in the directory $T/pw on its path (mode 0777)" \
	euicc info --state "$T/pw/card"
has "parent dir: how to fix" "chmod go-w $T/pw" "$err"
failure "group or others may write in the directory $T/pw" euicc init --state "$T/pw/new" $(sgp26_nist)
[[ ! -e "$T/pw/new" ]] && ok || bad "init under a parent others may write in made $T/pw/new"
chmod 0755 "$T/pw"
ln -s "$T/pw/card" "$T/cardlink"
failure "$T/cardlink: a symbolic link; name the directory itself" euicc info --state "$T/cardlink"
# the link followed only by "." is the last name all the same (opened until session 74's review)
failure "$T/cardlink/.: a symbolic link; name the directory itself" euicc info --state "$T/cardlink/."
failure "$T/cardlink/./: a symbolic link; name the directory itself" euicc info --state "$T/cardlink/./"
# another user's directory on the path (as root): what to do is a path of one's own, not
# "chown it" (their home, say); it said "chown it" and "anything in its place" until session 74
if [[ $(id -u) -eq 0 ]]; then
	mkdir -m 0755 "$T/hn"
	chown 65534 "$T/hn"
	failure "$T/hn/card: the directory $T/hn on its path is owned by uid 65534" \
		euicc init --state "$T/hn/card" $(sgp26_nist)
	has "another user's directory: what to do" "that user may put anything in it; choose a path of your own (or run as that user)" "$err"
	lacks "another user's directory: no chown" "chown" "$err"
	[[ ! -e "$T/hn/card" ]] && ok || bad "init under another user's directory made $T/hn/card"
fi
mv "$T/pw/card" "$S"
run euicc info --state "$S"
[[ $rc -eq 0 ]] && ok || bad "info after the parent was put right: $err"
# a store that lost its manifest: what to do said in words for the user (it named a C
# function, and the LPA's form began "no sealed store here")
cp -a "$S" "$T/nomanifest"
rm "$T/nomanifest/manifest"
failure "$T/nomanifest: a sealed store that lost its manifest" euicc info --state "$T/nomanifest"
has "lost manifest: way out" "Move $T/nomanifest aside and restore it from a backup; remove it (rm -r) only if" "$err"
lacks "lost manifest: no C function" "orsp_seal" "$err"
lacks "lost manifest: no contradiction" "no sealed store here" "$err"
failure "$T/nomanifest: a sealed store that lost its manifest" euicc init --state "$T/nomanifest" $(sgp26_nist)
lacks "lost manifest (init): no C function" "orsp_seal" "$err"
cp -a "$S" "$T/tampered"
python3 -c '
import sys
p = sys.argv[1] + "/manifest"
b = bytearray(open(p, "rb").read()); b[30] ^= 1; open(p, "wb").write(b)' "$T/tampered"
failure "" euicc info --state "$T/tampered"

# ----- init from `openrsp pki init` -----
"$B" pki init "$T/pki" >/dev/null
run euicc init --state "$T/card2" --pki "$T/pki" --json
peid=$(openssl x509 -inform der -in "$T/pki/euicc/euicc.der" -noout -subject -nameopt multiline |
	sed -n 's/.*serialNumber *= *//p')
if [[ $rc -eq 0 ]] && python3 -c '
import json, sys
d = json.loads(sys.argv[1]); assert d["eid"] == sys.argv[2], d' "$out" "$peid"; then ok; else
	bad "init --pki: rc=$rc out='$out' $err (eid $peid)"; fi
lacks "init --pki: an identity valid now, no warning" "warning" "$err"
run euicc info --state "$T/card2"
[[ $rc -eq 0 && "$out" == *"$peid"* ]] && ok || bad "info of --pki card: $out $err"

# ----- two inits at once on one directory (none, or an empty one) -----
# Exactly one makes its card, the store is that card whole, and the other says why it made
# none: another init is making it, or it holds one already. Until session 79 the other said
# "the sealed store is in use by another process (pid N)" (or "...; try again"), and an init
# that came in between the first one's create and its open provisioned the store instead.
for i in 1 2 3 4 5 6 7 8; do
	D=$T/race$i
	if ((i % 2)); then mkdir -m 700 "$D"; fi
	"$B" euicc init --state "$D" $(sgp26_nist) >/dev/null 2>"$T/race-a.err" &
	pa=$!
	"$B" euicc init --state "$D" --pki "$T/pki" >/dev/null 2>"$T/race-b.err" &
	pb=$!
	ra=0 rb=0
	wait $pa || ra=$?
	wait $pb || rb=$?
	if ((ra == 0 && rb == 1)); then
		want=$EID loser=$(cat "$T/race-b.err")
	elif ((ra == 1 && rb == 0)); then
		want=$peid loser=$(cat "$T/race-a.err")
	else
		bad "two inits at once: rc $ra and $rb: $(cat "$T/race-a.err" "$T/race-b.err")"
		continue
	fi
	run euicc info --state "$D"
	[[ $rc -eq 0 && "$out" == "eid:"*"$want"* ]] && ok || bad "two inits at once: the card ($want): $out $err"
	if [[ "$loser" == "openrsp: euicc init: $D is being initialised by another process (pid "*"); nothing was written: once it has finished, \`openrsp euicc info --state $D\` shows the card it made" ||
		"$loser" == "openrsp: euicc init: $D was being initialised by another process, which has ended since; "* ||
		"$loser" == "openrsp: euicc init: $D: holds a sealed store already" ]]; then
		ok
	else
		bad "two inits at once: the refusal: $loser"
	fi
done

"$B" pki init "$T/pki2" --curve both >/dev/null
run euicc init --state "$T/card3" --pki "$T/pki2" --curve brainpool
[[ $rc -eq 0 ]] && ok || bad "init --pki --curve brainpool: $err"
failure "brainpool" euicc init --state "$T/card4" --pki "$T/pki" --curve brainpool
# a hierarchy of one curve serves the curve it is, never another: a NIST identity asked of a
# brainpool one was made brainpool, and --curve brainpool refused it as having none
"$B" pki init "$T/pki-bp" --curve brainpool >/dev/null
failure "no nist hierarchy: this one is brainpoolP256r1" euicc init --state "$T/card5" --pki "$T/pki-bp" --curve nist
[[ ! -e "$T/card5" ]] && ok || bad "a refused --curve made the state"
run euicc init --state "$T/card5" --pki "$T/pki-bp" --curve brainpool
[[ $rc -eq 0 ]] && ok || bad "init --pki (brainpool only) --curve brainpool: $err"
failure "" euicc init --state "$T/card4" --pki "$T/no-such"

# ----- an identity outside its validity period: taken, with a warning -----
# The eUICC does not judge its own identity's dates (docs/euicc.md, "The clock"), an SM-DP+
# does: init warns on stderr, naming the certificate, its file, its dates and this host's
# time, and goes on (until session 75 it said nothing). The certificates of $T/pki signed
# again by their issuer's key with other dates.
# resign CERT KEY OUT FROM TO: CERT as it is but valid from FROM to TO days from now
resign() {
	"$PY" - "$@" <<'PYEOF'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
cert = x509.load_der_x509_certificate(open(sys.argv[1], "rb").read())
key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
b = (x509.CertificateBuilder().subject_name(cert.subject).issuer_name(cert.issuer)
     .public_key(cert.public_key()).serial_number(cert.serial_number)
     .not_valid_before(now + datetime.timedelta(days=int(sys.argv[4])))
     .not_valid_after(now + datetime.timedelta(days=int(sys.argv[5]))))
for e in cert.extensions:
    b = b.add_extension(e.value, e.critical)
out = b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
open(sys.argv[3], "wb").write(out)
PYEOF
}
# utc CERT startdate|enddate: its notBefore or notAfter as the warning writes it
utc() {
	date -u -d "$(openssl x509 -inform der -in "$1" -noout -"$2" | cut -d= -f2)" \
		'+%Y-%m-%d %H:%M:%SZ'
}
resign "$T/pki/euicc/euicc.der" "$T/pki/eum/eum_key.pem" "$T/euicc-old.der" -20 -10
resign "$T/pki/eum/eum.der" "$T/pki/ci/ci_key.pem" "$T/eum-new.der" 10 20
resign "$T/pki/ci/ci.der" "$T/pki/ci/ci_key.pem" "$T/ci-new.der" 5 3000
dates() { echo "notBefore $(utc "$1" startdate), notAfter $(utc "$1" enddate)"; }
today=$(date -u +%Y-%m-%d)
run euicc init --state "$T/card-old" --key "$T/pki/euicc/euicc_key.pem" \
	--cert "$T/euicc-old.der" --eum-cert "$T/pki/eum/eum.der" --ci-cert "$T/pki/ci/ci.der"
[[ $rc -eq 0 && "$out" == *"$peid"* ]] && ok || bad "init, CERT.EUICC expired: rc=$rc $err"
has "CERT.EUICC expired: the warning" "openrsp: warning: euicc init: CERT.EUICC \
($T/euicc-old.der) has expired by this host's clock (now $today " "$err"
has "CERT.EUICC expired: its dates" "$(dates "$T/euicc-old.der")): an SM-DP+ whose clock \
agrees refuses every download to this eUICC (authenticateClient); check this host's date and \
time" "$err"
expect "CERT.EUICC expired: one warning" 1 "$(grep -c warning <<<"$err")"
run euicc info --state "$T/card-old"
[[ $rc -eq 0 && "$out" == *"$peid"* ]] && ok || bad "info, CERT.EUICC expired: rc=$rc $err"
run euicc init --state "$T/card-new" --key "$T/pki/euicc/euicc_key.pem" \
	--cert "$T/pki/euicc/euicc.der" --eum-cert "$T/eum-new.der" --ci-cert "$T/ci-new.der"
[[ $rc -eq 0 ]] && ok || bad "init, CERT.EUM and CI not valid yet: rc=$rc $err"
has "CERT.EUM not valid yet" "CERT.EUM ($T/eum-new.der) is not valid yet by this host's clock \
(now $today " "$err"
has "CERT.EUM not valid yet: its dates" "$(dates "$T/eum-new.der")): an SM-DP+" "$err"
has "CI not valid yet" "the CI certificate ($T/ci-new.der) is not valid yet by this host's \
clock (now $today " "$err"
has "CI not valid yet: its dates" "$(dates "$T/ci-new.der")): this eUICC refuses every SM-DP+ \
certificate under it (invalidCertificate)" "$err"
lacks "CERT.EUICC valid: not named" "CERT.EUICC" "$err"

# ----- bad key and certificate files: judged whole before --state is touched -----
# Each refused with the message it always had, and nothing changed: a --state to be made is
# never made (nor made and taken away again: its parent's mtime would move), and what a
# killed init left (init goes on in that) and a store holding an eUICC stay byte for byte.
printf 'junk\000\377\060\202' >"$T/junk"
: >"$T/empty"
mkdir -m 700 "$T/parent" "$T/half.orig"
head -c 32 /dev/urandom >"$T/half.orig/device.key"
chmod 600 "$T/half.orig/device.key"
head -c 8 /dev/zero >"$T/half.orig/counter"
touch -d @1000000000 "$T/half.orig" "$T/half.orig"/*
# snapshot DIR: the name, mode, size and mtime of DIR and of every file in it, and its bytes
snapshot() {
	stat -c '%n %a %s %Y' "$1" "$1"/*
	sha256sum "$1"/*
}
cp -a "$T/half.orig" "$T/half"
half_before=$(snapshot "$T/half")
card_before=$(snapshot "$S")
# bad_files WANT OPTION FILE [ARGS...]: init with the SGP.26 identity, FILE for OPTION (added
# if it is not one of the identity's) and ARGS, into each of the three; refused with WANT,
# and none of them changed
bad_files() {
	local want=$1 opt=$2 file=$3 st i args added=("$2" "$3")
	shift 3
	rm -rf "$T/half"
	cp -a "$T/half.orig" "$T/half"
	touch -d @1000000000 "$T/parent"
	read -r -a args <<<"$(sgp26_nist)"
	for i in "${!args[@]}"; do [[ ${args[i]} == "$opt" ]] && args[i + 1]=$file && added=(); done
	for st in "$T/parent/card" "$T/half" "$S"; do
		failure "$want" euicc init --state "$st" "${args[@]}" "${added[@]}" "$@"
	done
	if [[ -e "$T/parent/card" ]]; then bad "$opt $file: --state made"; else ok; fi
	expect "$opt $file: --state's parent mtime" 1000000000 "$(stat -c %Y "$T/parent")"
	expect "$opt $file: a killed init's directory" "$half_before" "$(snapshot "$T/half")"
	expect "$opt $file: a card's directory" "$card_before" "$(snapshot "$S")"
}
nokey="euicc init: not a readable private key (PEM or DER SEC1/PKCS#8, unencrypted)"
notcert="no DER or PEM certificate found"
notmine="euicc init: SK.EUICC does not belong to CERT.EUICC"
bad_files "$nokey" --key "$T/junk"
bad_files "euicc init: private key data of 0 bytes (1..16384 accepted)" --key "$T/empty"
bad_files "$nokey" --key "$V/eUICC/CERT_EUICC_ECDSA_NIST.der"
bad_files "$nokey" --key "$V/CertificateIssuer/CERT_CI_ECDSA_NIST.pem"
# the brainpool SK.EUICC (a brainpool identity is taken: the key's curve is not CERT.EUICC's)
bad_files "$notmine" --key "$V/eUICC/SK_EUICC_ECDSA_BRP.pem"
bad_files "$notmine" --key "$V/DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem"
for o in --cert --eum-cert --ci-cert; do
	bad_files "$T/junk: $notcert" $o "$T/junk"
	bad_files "$T/empty: $notcert" $o "$T/empty"
done
bad_files "$V/eUICC/SK_EUICC_ECDSA_NIST.pem: $notcert" --cert "$V/eUICC/SK_EUICC_ECDSA_NIST.pem"
# an EUM the CIs know, but not CERT.EUICC's issuer
bad_files "authorityKeyIdentifier does not match the EUM subjectKeyIdentifier" \
	--eum-cert "$T/pki/eum/eum.der" --ci-cert "$T/pki/ci/ci.der"
bad_files "EUM certificate \"EUM Test\": issued by an unknown CI" \
	--eum-cert "$V/EUM/CERT_EUM_ECDSA_BRP.der"
bad_files "EUM certificate \"EUM Test\": issued by an unknown CI" \
	--ci-cert "$V/CertificateIssuer/CERT_CI_ECDSA_BRP.der"
bad_files "expected EUM (2.23.146.1.2.1.2)" --eum-cert "$V/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der"
# an EID with valid check digits, not the certificate's
bad_files "euicc init: the EID is not CERT.EUICC's ($EID)" --eid 89049032123451234512345678909965

# ----- usage -----
usage --state euicc init $(sgp26_nist)
# neither --pki nor --key...: the usual form named first (it said "--key: required")
usage --pki euicc init --state "$T/none"
has "init without an identity: both forms" "give --pki DIR (a \`openrsp pki init\` directory), or --key, --cert, --eum-cert and --ci-cert" "$err"
usage --state euicc info
usage --state euicc serve
# an empty --state (a script's unset variable) is a usage error naming it, for every verb
usage --state euicc init --state "" $(sgp26_nist)
usage --state euicc info --state ""
usage --state euicc serve --state ""
# --state given twice is refused (it was taken as the last one: --ci-cert alone adds up)
usage --state euicc init --state "$T/s1" --state "$T/s2" $(sgp26_nist)
has "--state twice" "--state: given twice" "$err"
if [[ ! -e "$T/s1" && ! -e "$T/s2" ]]; then ok; else bad "--state twice: a state was made"; fi
usage --state euicc info --state "$T/s1" --state "$T/s2"
usage --pki euicc init --state "$T/u" --pki "$T/pki" --key x.pem
usage --curve euicc init --state "$T/u" --pki "$T/pki" --curve ed25519
usage --eid euicc init --state "$T/u" $(sgp26_nist) --eid 1234
# a default SM-DP+ address the LPA would not download from: refused before anything is made
read -r -a nist <<<"$(sgp26_nist)"
usage --default-dp euicc init --state "$T/u" "${nist[@]}" --default-dp smdp
has "--default-dp smdp" "one label only" "$err"
usage --default-dp euicc init --state "$T/u" "${nist[@]}" --default-dp 192.0.2.1
if [[ -e "$T/u" ]]; then bad "--default-dp refused, but $T/u was made"; else ok; fi
# wrong check digits: refused before the sealed store is made in --state (an empty directory
# there is not written in)
mkdir "$T/u-empty"
touch -d @1000000000 "$T/u-empty"
usage --eid euicc init --state "$T/u-empty" "${nist[@]}" --eid 89049032123451234512345678901234
has "--eid check digits" "wrong check digits" "$err"
expect "--eid check digits: the directory not written in" 1000000000 "$(stat -c %Y "$T/u-empty")"
usage --key euicc init --state "$T/u" --cert a --eum-cert b --ci-cert c
# each of the four files named, without --pki: the one missing is said, before any is read
usage --cert euicc init --state "$T/u" --key a --eum-cert b --ci-cert c
expect "no --cert: said" "openrsp: --cert: required" "$err"
usage --eum-cert euicc init --state "$T/u" --key a --cert b --ci-cert c
expect "no --eum-cert: said" "openrsp: --eum-cert: required" "$err"
usage --ci-cert euicc init --state "$T/u" --key a --cert b --eum-cert c
expect "no --ci-cert: said" "openrsp: --ci-cert: required" "$err"
# --curve picks a hierarchy of --pki: alone it would be ignored
usage --curve euicc init --state "$T/u" "${nist[@]}" --curve nist
expect "--curve without --pki: said" "openrsp: --curve: only with --pki" "$err"
# --ci-cert adds up to the eUICC's 4 CIs: a fifth is refused, not dropped
usage --ci-cert euicc init --state "$T/u" "${nist[@]}" --ci-cert c2 --ci-cert c3 --ci-cert c4 \
	--ci-cert c5
expect "five --ci-cert: said" "openrsp: --ci-cert: at most 4" "$err"
if [[ -e "$T/u" ]]; then bad "a usage error of euicc init made $T/u"; else ok; fi
usage --vpcd euicc serve --state "$S" --vpcd 127.0.0.1:99999
# empty (a script's unset variable) is no address, not the default one
usage --vpcd euicc serve --state "$S" --vpcd ""
# an IPv6 address goes in brackets: unbracketed, "::1" would be host ":" and port 1 (tried
# for ever), and "fe80::1:2" either of two (with no card: the option is refused first)
usage --vpcd euicc serve --state "$T/none" --vpcd ::1
has "--vpcd ::1" "in brackets" "$err"
usage --vpcd euicc serve --state "$T/none" --vpcd fe80::1:35963
usage --vpcd euicc serve --state "$T/none" --vpcd '[::1'
usage --vpcd euicc serve --state "$T/none" --vpcd '[::1]35963'
usage --vpcd euicc serve --state "$T/none" --vpcd '[]:35963'
usage --vpcd euicc serve --state "$T/none" --vpcd '[::1]:0'
usage --bogus euicc info --state "$S" --bogus
run euicc init --help
[[ $rc -eq 0 && "$out" == *"--pki"* ]] && ok || bad "init --help"
# the file provider's limits said where the directory is made and served (docs/seal.md;
# the page's lines joined)
flat=$(tr '\n' ' ' <<<"$out")
has "init --help: a reader clones it" "whoever can read DIR's files gets every profile's K and OPc and can clone the eUICC" "$flat"
has "init --help: a whole rollback undetected" "a whole older copy of DIR back undetected (a partial rollback is detected)" "$flat"
run euicc serve --help
flat=$(tr '\n' ' ' <<<"$out")
has "serve --help: a reader clones it" "whoever can read its files can clone the eUICC" "$flat"
has "serve --help: a whole rollback undetected" "roll it back whole undetected (a partial rollback is detected)" "$flat"
run help euicc
[[ $rc -eq 0 && "$out" == *"serve"* && "$out" == *"info"* ]] && ok || bad "help euicc"

# ----- serve against a fake vpcd -----
cat >"$T/vpcd.py" <<'PY'
import socket, struct, sys
addr = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
srv = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, 0)); srv.listen(1)
print(srv.getsockname()[1], flush=True)
srv.settimeout(120)
c, _ = srv.accept(); c.settimeout(120)
def rx(n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d: raise SystemExit("closed")
        b += d
    return b
def tx(m): c.sendall(struct.pack(">H", len(m)) + m)
def xfer(m):
    tx(m); return rx(struct.unpack(">H", rx(2))[0])
def apdu(hexs):
    r = xfer(bytes.fromhex(hexs))
    data = b""
    while r[-2] == 0x61:
        data += r[:-2]
        r = xfer(bytes([0x00, 0xC0, 0x00, 0x00, r[-1]]))
    return data + r[:-2], r[-2:].hex()
tx(b"\x01")
atr = xfer(b"\x04")
assert atr[0] == 0x3B, atr.hex()
# SGP.22 2.2.3: the ISD-R AID; GetEID (BF3E, tag list 5A) by STORE DATA (SGP.22 5.7.2).
_, sw = apdu("00A4040010A0000005591010FFFFFFFF890000010000")
assert sw == "9000", sw
data, sw = apdu("80E2910006BF3E035C015A00")
assert sw == "9000", sw
print(data.hex(), flush=True)
c.close()
PY
# serve_session ADDR NAME: the fake vpcd listening on ADDR (any port) and `euicc serve --vpcd`
# with that address (an IPv6 one in brackets) and port; checks the EID vpcd got back and
# leaves serve running as $sv, the port in $port, its stderr in $T/NAME-serve.err.
serve_session() {
	local addr=$1 name=$2 spec=$1
	[[ $addr == *:* ]] && spec="[$addr]"
	python3 "$T/vpcd.py" "$addr" >"$T/$name.out" 2>"$T/$name.err" &
	vp=$!
	wait_for 60 "the fake vpcd's port" nonempty "$T/$name.out"
	port=$(head -1 "$T/$name.out")
	"$B" euicc serve --state "$S" --vpcd "$spec:$port" 2>"$T/$name-serve.err" &
	sv=$!
	vrc=0
	wait $vp || vrc=$?
	if [[ $vrc -eq 0 && $(sed -n 2p "$T/$name.out") == "bf3e125a10$EID" ]]; then ok; else
		bad "serve over vpcd at $spec: $(cat "$T/$name.out" "$T/$name.err" "$T/$name-serve.err")"
	fi
}
serve_session 127.0.0.1 vpcd
# one user at a time: info is refused while serve holds the directory
failure "in use" euicc info --state "$S"
# named with serve's pid, its command line's leading words and the way out, for the LPA too
# (it said "in use by another process" alone until session 71, "perhaps `openrsp euicc serve`"
# of any holder until session 75); waited for 5 s first
busy="$S: the sealed store is in use by another process (pid $sv, \`openrsp euicc serve ...\`): stop it, or reach the card through it with the LPA's --euicc pcsc"
has "in use: serve's pid and the way out" "$busy" "$err"
failure "$busy" lpa chip info --euicc "local:$S"
# an init of the served card's directory: refused, the live store untouched
sum=$(cat "$S"/* | sha256sum)
failure "$S: holds a sealed store already" euicc init --state "$S" --pki "$T/pki"
expect "init beside serve: the store untouched" "$sum" "$(cat "$S"/* | sha256sum)"
# a second serve is not sent to the LPA's --euicc pcsc: that would be itself
failure "$S: the sealed store is in use by another process (pid $sv, \`openrsp euicc serve ...\`): this eUICC is served already; stop that one first" euicc serve --state "$S" --vpcd "127.0.0.1:$port"
kill -TERM $sv
src=0
wait $sv || src=$?
[[ $src -eq 0 ]] && ok || bad "serve after SIGTERM: rc=$src $(cat "$T/vpcd-serve.err")"
# SIGHUP stops it the same way (vpcd gone: it waits to reconnect meanwhile); sent once the
# start-up line says the handlers are in place (in a new file: the redirection comes a
# moment late)
"$B" euicc serve --state "$S" --vpcd "127.0.0.1:$port" 2>"$T/serve2.err" &
sv=$!
for _ in $(seq 1200); do grep -qs 'retrying' "$T/serve2.err" && break; kill -0 $sv 2>/dev/null || break; sleep 0.1; done
# nobody listening: it says it is connecting, never that the card is served (it did, above
# vpcd's "Connection refused", until session 71)
has "serve, vpcd gone: connecting" "connecting to vpcd at 127.0.0.1:$port" "$(cat "$T/serve2.err")"
lacks "serve, vpcd gone: not served" "served to vpcd" "$(cat "$T/serve2.err")"
kill -HUP $sv
src=0
wait $sv || src=$?
[[ $src -eq 0 ]] && ok || bad "serve after SIGHUP: rc=$src $(cat "$T/serve2.err")"
# started with SIGHUP ignored (nohup, a supervisor): it stays ignored, SIGTERM stops it
nohup "$B" euicc serve --state "$S" --vpcd "127.0.0.1:$port" >/dev/null 2>"$T/serve3.err" &
sv=$!
for _ in $(seq 1200); do grep -qs 'connecting to vpcd' "$T/serve3.err" && break; kill -0 $sv 2>/dev/null || break; sleep 0.1; done
kill -HUP $sv
sleep 0.5
if kill -0 $sv 2>/dev/null; then ok; else bad "serve under nohup stopped on SIGHUP: $(cat "$T/serve3.err")"; fi
kill -TERM $sv
src=0
wait $sv || src=$?
[[ $src -eq 0 ]] && ok || bad "serve under nohup after SIGTERM: rc=$src $(cat "$T/serve3.err")"

# an IPv6 vpcd, [::1]:PORT (where this host has IPv6 loopback)
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	serve_session ::1 vpcd6
	kill -TERM $sv
	src=0
	wait $sv || src=$?
	[[ $src -eq 0 ]] && ok || bad "serve [::1] after SIGTERM: rc=$src $(cat "$T/vpcd6-serve.err")"
	has "serve [::1] start-up line" "served to vpcd at [::1]:$port" "$(cat "$T/vpcd6-serve.err")"
fi

# ----- bench euicc: a complete download into a fresh sealed card, and AUTHENTICATE -----
run bench euicc --seconds 0.2 --installs 1 --json \
	--profile "$ORSP_VECTORS/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der"
if [[ $rc -eq 0 ]] && python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["install_ms"] > 0 and d["install_card_ms"] <= d["install_ms"], d
assert d["authenticate_per_s"] > 0 and d["authenticate_sealed_per_s"] > 0, d
assert d["ram_bytes"]["total"] > d["ram_bytes"]["euicc_core"] > 0, d
' "$out"; then ok; else bad "bench euicc: rc=$rc out='$out' $err"; fi
usage --installs bench euicc --installs 0

rm -rf "$T"
finish
