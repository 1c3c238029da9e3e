#!/usr/bin/env bash
# `openrsp pki init`: the layout on both curves, key files 0600, every certificate parsed by
# `openssl x509`, DPauth/DPpb/DPtls/EUM verified by `openssl verify` against the CI, the
# SGP.22 profile visible in the text dump, EIDs with valid MOD 97-10 check digits (checked
# by Python's integers), a non-empty DIR refused, --force, options, and usage errors.
# `openrsp pki smdp`: another SM-DP+ under an existing CI. `openrsp pki crl`: CRLs of the CI
# and of the EUM read back and verified by `openssl crl`, and what it refuses.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_pki.XXXXXX")
. "$(dirname "$0")/lib/common.bash"

check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then ok; else bad "$what"; fi
}
text() { openssl x509 -noout -text -in "$1"; }
cert_has() { # cert_has FILE STRING: the certificate's text dump contains STRING
	if text "$1" | grep -qF -- "$2"; then ok; else bad "$1 lacks '$2'"; fi
}
mod97() { python3 -c 'import sys; print(int(sys.argv[1]) % 97)' "$1"; }

names=(ci/ci eum/eum euicc/euicc smdp/dpauth smdp/dppb smdp/dptls)

# Checks of one hierarchy directory $1 on curve $2 (OpenSSL's name), EID $3.
check_hierarchy() {
	local d=$1 curve=$2 eid=$3 n
	for n in "${names[@]}"; do
		for f in "$d/$n.der" "$d/$n.pem" "$d/${n}_key.pem"; do
			if [[ -f $f ]]; then ok; else bad "missing $f"; fi
		done
		if [[ $(stat -c %a "$d/${n}_key.pem") == 600 ]]; then ok; else bad "$d/${n}_key.pem not 0600"; fi
		check "openssl x509 parses $d/$n.pem" openssl x509 -noout -text -in "$d/$n.pem"
		check "openssl x509 parses $d/$n.der" openssl x509 -noout -text -inform der -in "$d/$n.der"
		# DER and PEM are the same certificate; the key belongs to it.
		if cmp -s <(openssl x509 -inform der -in "$d/$n.der" -outform der) \
			<(openssl x509 -in "$d/$n.pem" -outform der); then ok; else bad "$n der != pem"; fi
		if [[ $(openssl pkey -in "$d/${n}_key.pem" -pubout) == $(openssl x509 -in "$d/$n.pem" -noout -pubkey) ]]; then
			ok
		else
			bad "$d/${n}_key.pem does not match $n.pem"
		fi
		cert_has "$d/$n.pem" "ASN1 OID: $curve"
		cert_has "$d/$n.pem" "Signature Algorithm: ecdsa-with-SHA256"
		cert_has "$d/$n.pem" "X509v3 Subject Key Identifier"
		# the CI, self-signed, has none (SGP.22's CERT.CI, SGP.26's CIs)
		if [[ $n == ci/ci ]]; then
			if text "$d/$n.pem" | grep -qF "Authority Key Identifier"; then
				bad "$d/$n.pem has an authorityKeyIdentifier"
			else ok; fi
		else
			cert_has "$d/$n.pem" "X509v3 Authority Key Identifier"
		fi
	done
	for n in eum/eum smdp/dpauth smdp/dppb smdp/dptls; do
		if openssl verify -CAfile "$d/ci/ci.pem" "$d/$n.pem" >"$T/v" 2>&1 && grep -q ": OK" "$T/v"; then
			ok
		else
			bad "openssl verify $d/$n.pem: $(cat "$T/v")"
		fi
	done
	check "DPtls verifies as a TLS server for its name" openssl verify -CAfile "$d/ci/ci.pem" \
		-purpose sslserver -verify_hostname testsmdpplus1.example.com "$d/smdp/dptls.pem"
	if openssl verify -CAfile "$d/ci/ci.pem" -verify_hostname other.example.com \
		"$d/smdp/dptls.pem" >/dev/null 2>&1; then bad "DPtls verified for another name"; else ok; fi
	# The SGP.22 v2 profile (roles 2.23.146.1.2.1.x).
	cert_has "$d/ci/ci.pem" "Policy: 2.23.146.1.2.1.0"
	cert_has "$d/ci/ci.pem" "Certificate Sign, CRL Sign"
	cert_has "$d/ci/ci.pem" "CA:TRUE"
	cert_has "$d/eum/eum.pem" "Policy: 2.23.146.1.2.1.2"
	cert_has "$d/eum/eum.pem" "CA:TRUE, pathlen:0"
	cert_has "$d/eum/eum.pem" "DirName:O = openrsp Test EUM, serialNumber = 89049032"
	cert_has "$d/euicc/euicc.pem" "Policy: 2.23.146.1.2.1.1"
	cert_has "$d/euicc/euicc.pem" "serialNumber = $eid"
	cert_has "$d/euicc/euicc.pem" "Digital Signature"
	cert_has "$d/smdp/dpauth.pem" "Policy: 2.23.146.1.2.1.4"
	cert_has "$d/smdp/dpauth.pem" "Registered ID:2.999.10"
	cert_has "$d/smdp/dppb.pem" "Policy: 2.23.146.1.2.1.5"
	cert_has "$d/smdp/dptls.pem" "Policy: 2.23.146.1.2.1.3"
	cert_has "$d/smdp/dptls.pem" "TLS Web Server Authentication"
	cert_has "$d/smdp/dptls.pem" "DNS:testsmdpplus1.example.com, Registered ID:2.999.10"
	# The eUICC is issued by the EUM (openssl verify refuses it: GSMA EID-prefix rule).
	if [[ $(openssl x509 -in "$d/euicc/euicc.pem" -noout -issuer | sed 's/^issuer=//') == \
		$(openssl x509 -in "$d/eum/eum.pem" -noout -subject | sed 's/^subject=//') ]]; then
		ok
	else
		bad "eUICC issuer is not the EUM subject"
	fi
}

# ----- one curve, text output -----
run pki init "$T/nist"
if [[ $rc -eq 0 && "$out" == *"EID:"* && "$out" == *"DPtls"* && -z "$err" ]]; then ok; else bad "pki init nist rc=$rc $err"; fi
eid=$(sed -n 's/^EID: *//p' <<<"$out")
if [[ ${#eid} -eq 32 && $eid == 89049032* && $(mod97 "$eid") == 1 ]]; then ok; else bad "EID '$eid'"; fi
check_hierarchy "$T/nist" prime256v1 "$eid"
if [[ -f "$T/nist/README.txt" ]] && grep -qF "$eid" "$T/nist/README.txt"; then ok; else bad "README.txt"; fi
# The SKIs in the summary are the certificates'.
ski=$(openssl x509 -in "$T/nist/ci/ci.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f)
if [[ "$out" == *"ci/ci.pem  SKI $ski"* ]]; then ok; else bad "summary SKI of the CI ($ski)"; fi

# ----- both curves, JSON -----
run pki init "$T/both" --curve both --json
if [[ $rc -eq 0 ]]; then ok; else bad "pki init both rc=$rc $err"; fi
if python3 - "$out" "$T/both" <<'EOF'; then ok; else bad "JSON of --curve both: $out"; fi
import json, subprocess, sys
d = json.loads(sys.argv[1])
base = sys.argv[2]
eid = d["eid"]
assert len(eid) == 32 and eid.isdigit() and eid.startswith("89049032"), eid
assert int(eid) % 97 == 1, eid  # ISO 7064 MOD 97-10 (SGP.29)
assert d["smdp_fqdn"] == "testsmdpplus1.example.com" and d["smdp_oid"] == "2.999.10"
assert [h["curve"] for h in d["hierarchies"]] == ["P-256", "brainpoolP256r1"]
assert [h["dir"] for h in d["hierarchies"]] == [base + "/nist", base + "/brainpool"]
for h in d["hierarchies"]:
    assert [c["role"] for c in h["certs"]] == ["CI", "EUM", "eUICC", "DPauth", "DPpb", "DPtls"]
    for c in h["certs"]:
        out = subprocess.run(["openssl", "x509", "-inform", "der", "-in", c["der"], "-noout",
                              "-ext", "subjectKeyIdentifier"], capture_output=True, text=True,
                             check=True).stdout
        ski = out.strip().splitlines()[-1].strip().replace(":", "").lower()
        assert ski == c["ski"], (c, ski)
        assert c["pem"].endswith(".pem") and c["key"].endswith("_key.pem")
EOF
eid=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["eid"])' "$out")
check_hierarchy "$T/both/nist" prime256v1 "$eid"
check_hierarchy "$T/both/brainpool" brainpoolP256r1 "$eid"
# Two independent hierarchies: the brainpool CI does not verify the NIST DPauth.
if openssl verify -CAfile "$T/both/brainpool/ci/ci.pem" "$T/both/nist/smdp/dpauth.pem" >/dev/null 2>&1; then
	bad "cross-curve verify succeeded"
else
	ok
fi

# ----- brainpool alone, options -----
eid2=$(python3 -c '
p = "8901234" + "5" * 23
print(p + "%02d" % (98 - int(p) * 100 % 97))')
run pki init "$T/bp" --curve brainpool --eid-prefix 8901234 --eid "$eid2" \
	--smdp-fqdn smdp.test.example --smdp-oid 2.999.77 --days 30 --permitted-eins
if [[ $rc -eq 0 ]]; then ok; else bad "pki init brainpool with options rc=$rc $err"; fi
expect "a 7-digit EID prefix: warned" "openrsp: warning: an EID prefix of 7 digits: SM-DP+ servers that read only 8 (pySim's osmo-smdpp) refuse the eUICCs of this EUM" "$err"
if [[ $(mod97 "$eid2") == 1 ]]; then ok; else bad "test EID $eid2"; fi
cert_has "$T/bp/ci/ci.pem" "ASN1 OID: brainpoolP256r1"
cert_has "$T/bp/euicc/euicc.pem" "serialNumber = $eid2"
cert_has "$T/bp/eum/eum.pem" "serialNumber = 8901234"
cert_has "$T/bp/eum/eum.pem" "2.23.146.1.2.2.0"
cert_has "$T/bp/smdp/dptls.pem" "DNS:smdp.test.example, Registered ID:2.999.77"
cert_has "$T/bp/smdp/dpauth.pem" "Registered ID:2.999.77"
# no distribution points unless asked
for n in "${names[@]}"; do
	if text "$T/bp/$n.pem" | grep -q "CRL Distribution"; then bad "$n: CRL distribution points"; else ok; fi
done
check "DPtls verifies for --smdp-fqdn" openssl verify -CAfile "$T/bp/ci/ci.pem" \
	-verify_hostname smdp.test.example "$T/bp/smdp/dptls.pem"
check "valid for 29 more days" openssl x509 -in "$T/bp/smdp/dppb.pem" -noout -checkend $((29 * 86400))
if openssl x509 -in "$T/bp/smdp/dppb.pem" -noout -checkend $((31 * 86400)) >/dev/null; then
	bad "--days 30 gave more than 31 days"
else
	ok
fi

# ----- CRL distribution points: the CI's in what it issues, the EUM's in the eUICC's -----
run pki init "$T/cdp" --crl-url http://ci.test.example/ci-a.crl --crl-url HTTPS://ci.test.example/b \
	--eum-crl-url http://eum.test.example/eum.crl
if [[ $rc -eq 0 ]]; then ok; else bad "pki init --crl-url rc=$rc $err"; fi
for n in eum/eum smdp/dpauth smdp/dppb smdp/dptls; do
	cert_has "$T/cdp/$n.pem" "URI:http://ci.test.example/ci-a.crl"
	cert_has "$T/cdp/$n.pem" "URI:HTTPS://ci.test.example/b"
done
cert_has "$T/cdp/euicc/euicc.pem" "URI:http://eum.test.example/eum.crl"
if text "$T/cdp/ci/ci.pem" | grep -q "CRL Distribution"; then bad "the CI names a CRL of its own"; else ok; fi
if text "$T/cdp/euicc/euicc.pem" | grep -q "ci-a.crl"; then bad "the eUICC names the CI's CRL"; else ok; fi
run pki smdp "$T/cdp2" --ci "$T/cdp" --smdp-fqdn two.test.example --smdp-oid 2.999.11 \
	--crl-url http://ci.test.example/ci-a.crl
if [[ $rc -eq 0 ]]; then ok; else bad "pki smdp --crl-url rc=$rc $err"; fi
for n in dpauth dppb dptls; do
	cert_has "$T/cdp2/smdp/$n.pem" "URI:http://ci.test.example/ci-a.crl"
done
# two CIs (--curve both) are two issuers: a URL each, {curve} in it (one URL for both left one
# hierarchy with no CRL it could fetch)
usage --crl-url pki init "$T/cdpb0" --curve both --crl-url http://ci.test.example/ci.crl
usage --eum-crl-url pki init "$T/cdpb0" --curve both --crl-url "http://ci.test.example/{curve}.crl" \
	--eum-crl-url http://eum.test.example/eum.crl
run pki init "$T/cdpb" --curve both --crl-url "http://ci.test.example/ci-{curve}.crl" \
	--eum-crl-url "http://eum.test.example/{curve}/eum.crl"
if [[ $rc -eq 0 ]]; then ok; else bad "pki init --curve both --crl-url {curve} rc=$rc $err"; fi
for c in nist brainpool; do
	cert_has "$T/cdpb/$c/smdp/dpauth.pem" "URI:http://ci.test.example/ci-$c.crl"
	cert_has "$T/cdpb/$c/euicc/euicc.pem" "URI:http://eum.test.example/$c/eum.crl"
done
run pki smdp "$T/cdpb2" --ci "$T/cdpb/brainpool" --smdp-fqdn two.test.example \
	--smdp-oid 2.999.11 --crl-url "http://ci.test.example/ci-{curve}.crl"
cert_has "$T/cdpb2/smdp/dppb.pem" "URI:http://ci.test.example/ci-brainpool.crl"

# DIR a symbolic link to an empty directory: written into it (it was "exists and is not a
# directory")
mkdir "$T/real"
ln -s "$T/real" "$T/link"
run pki init "$T/link"
if [[ $rc -eq 0 && -f "$T/real/ci/ci.der" ]]; then ok; else bad "pki init into a symbolic link rc=$rc $err"; fi

# ----- a non-empty DIR is refused; --force replaces the layout only -----
sum=$(sha256sum "$T/nist/ci/ci.der")
failure "not empty" pki init "$T/nist"
if [[ $(sha256sum "$T/nist/ci/ci.der") == "$sum" ]]; then ok; else bad "refused run changed files"; fi
mkdir "$T/other"
echo keep >"$T/other/keep.txt"
failure "not empty" pki init "$T/other"
echo keep >"$T/nist/keep.txt"
# what a killed run leaves: a temporary file beside a key's name (part of a private key)
echo partial >"$T/nist/ci/ci_key.pem.tmp-a1b2c3"
echo keep >"$T/nist/ci/ci_key.pem.tmp-notours"
echo keep >"$T/nist/ci/ci_key.pem.tmp-my.bak"
run pki init "$T/nist" --force
if [[ $rc -eq 0 ]]; then ok; else bad "--force rc=$rc $err"; fi
if [[ $(sha256sum "$T/nist/ci/ci.der") != "$sum" ]]; then ok; else bad "--force did not reissue"; fi
if [[ $(cat "$T/nist/keep.txt") == keep ]]; then ok; else bad "--force touched another file"; fi
if [[ ! -e "$T/nist/ci/ci_key.pem.tmp-a1b2c3" ]]; then ok; else bad "--force left a temporary key file"; fi
if [[ -e "$T/nist/ci/ci_key.pem.tmp-notours" && -e "$T/nist/ci/ci_key.pem.tmp-my.bak" ]]; then ok; else bad "--force removed a file not of its making"; fi
rm -f "$T/nist/ci/ci_key.pem.tmp-notours" "$T/nist/ci/ci_key.pem.tmp-my.bak"
eid=$(sed -n 's/^EID: *//p' <<<"$out")
check_hierarchy "$T/nist" prime256v1 "$eid"
# a --force run that fails leaves the old PKI as it was, CI key included (the old files were
# removed first, and the failure removed the new ones: the directory held no key at all)
layout_sums() { (cd "$1" && find . -type f ! -name keep.txt ! -name README.txt -exec sha256sum {} + | sort); }
before=$(layout_sums "$T/nist")
mv "$T/nist/README.txt" "$T/readme.keep"
mkdir "$T/nist/README.txt"
failure "is a directory" pki init "$T/nist" --force
rmdir "$T/nist/README.txt"
mv "$T/readme.keep" "$T/nist/README.txt"
expect "a failed --force: the old files kept" "$before" "$(layout_sums "$T/nist")"
expect "a failed --force: nothing set aside left" "" "$(find "$T/nist" -name '*.old-*')"
# what a killed --force run set aside (NAME.old-PID) is never written over, by a later run
# of the same PID (a container's first process: here one in a PID namespace of its own)
if unshare -p -f true 2>/dev/null; then
	echo "old key" >"$T/nist/ci/ci_key.pem.old-1"
	rc=0
	unshare -p -f "$B" pki init "$T/nist" --force >/dev/null 2>"$T/err" || rc=$?
	expect "--force as PID 1: rc" 0 "$rc"
	expect "--force as PID 1: the old set-aside key kept" "old key" "$(cat "$T/nist/ci/ci_key.pem.old-1")"
	expect "--force as PID 1: its own set-aside files gone" "$T/nist/ci/ci_key.pem.old-1" \
		"$(find "$T/nist" -name '*.old-*')"
	rm "$T/nist/ci/ci_key.pem.old-1"
else
	echo "# unshare -p unavailable: the set-aside name check skipped"
fi

# ----- failures -----
touch "$T/afile"
failure "" pki init "$T/afile"
failure "" pki init "$T/no/such/parent"
# all or nothing: a write that fails late (README.txt beyond a 1 KiB file size limit, after
# every key and certificate) removes what the run created, DIR included
rc=0
(
	trap '' XFSZ
	ulimit -f 1
	"$B" pki init "$T/late" --curve both
) >/dev/null 2>"$T/err" || rc=$?
if [[ $rc -eq 1 && $(cat "$T/err") == *README.txt* ]]; then ok; else bad "late failure rc=$rc $(cat "$T/err")"; fi
if [[ ! -e "$T/late" ]]; then ok; else bad "a failed pki init left $(find "$T/late" | head -3)"; fi
# ... and leaves alone what was there before (--force into a DIR whose layout holds a
# directory where a certificate belongs)
mkdir -p "$T/keep/smdp/dpauth.der"
echo keep >"$T/keep/keep.txt"
failure "is a directory" pki init "$T/keep" --force
if [[ $(cd "$T/keep" && find . | sort | tr '\n' ' ') == ". ./keep.txt ./smdp ./smdp/dpauth.der " ]]; then
	ok
else
	bad "a failed pki init --force left $(cd "$T/keep" && find . | sort | tr '\n' ' ')"
fi

# ----- usage errors -----
usage --curve pki init "$T/u" --curve nistp256
usage --curve pki init "$T/u" --curve
not_stdout DIR pki init -
not_stdout DIR pki smdp - --ci "$T/nist" --smdp-fqdn a.example --smdp-oid 2.999.3
usage --eid-prefix pki init "$T/u" --eid-prefix 8904x
usage --crl-url pki init "$T/u" --crl-url ftp://ci.example/ci.crl
usage --crl-url pki init "$T/u" --crl-url "http://ci.example/a b.crl"
usage --crl-url pki init "$T/u" --crl-url http:///ci.crl
usage --crl-url pki init "$T/u" --crl-url http://a/1 --crl-url http://a/2 --crl-url http://a/3 \
	--crl-url http://a/4 --crl-url http://a/5
usage --eum-crl-url pki init "$T/u" --eum-crl-url ldap://eum.example/cn=EUM
usage --crl-url pki smdp "$T/u" --ci "$T/nist" --smdp-fqdn a.example --smdp-oid 2.999.3 --crl-url x
usage --eid-prefix pki init "$T/u" --eid-prefix ""
usage --eid-prefix pki init "$T/u" --eid-prefix 1234567890123456789012345678901
usage --eid pki init "$T/u" --eid 8904903212345123451234567890123
usage --eid pki init "$T/u" --eid 89049032123451234512345678901234
usage --eid pki init "$T/u" --eid-prefix 89049033 --eid 89049032123451234512345678901235
usage --smdp-fqdn pki init "$T/u" --smdp-fqdn "a..example"
usage --smdp-fqdn pki init "$T/u" --smdp-fqdn "a_b.example"
usage --smdp-fqdn pki init "$T/u" --smdp-fqdn "-a.example"
usage --smdp-oid pki init "$T/u" --smdp-oid 2
usage --smdp-oid pki init "$T/u" --smdp-oid 2.999.x
usage --smdp-oid pki init "$T/u" --smdp-oid 3.1
# X.660: under the first arcs 0 and 1 the second arc is below 40
usage --smdp-oid pki init "$T/u" --smdp-oid 1.40
usage --smdp-oid pki init "$T/u" --smdp-oid 0.40.1
# the SM-DP+'s own rule (its `oid`): at most 63 characters, no arc over 64 bits; a longer
# OID made a hierarchy `smdp serve` refused to serve
usage --smdp-oid pki init "$T/u" --smdp-oid 2.999.18446744073709551616
usage --smdp-oid pki init "$T/u" --smdp-oid "2.999.$(printf '1.%.0s' {1..29})1"
has "--smdp-oid: the rule said" "at most 63 characters" "$err"
usage --smdp-oid pki smdp "$T/u" --ci "$T/nist" --smdp-fqdn a.example --smdp-oid 2.999.18446744073709551616
usage --smdp-oid pki init "$T/u" --smdp-oid 1.100
usage --smdp-oid pki init "$T/u" --smdp-oid 1.2.
# RFC 3696 §2: a name whose last label is all digits is an IPv4 literal
usage --smdp-fqdn pki init "$T/u" --smdp-fqdn 1.2.3.4
usage --smdp-fqdn pki init "$T/u" --smdp-fqdn 10.0.0.1
usage --smdp-fqdn pki init "$T/u" --smdp-fqdn smdp.example.123
# one label: the SM-DP+ refuses it as its fqdn and the LPA in an activation code
usage --smdp-fqdn pki init "$T/u" --smdp-fqdn smdp
usage --smdp-fqdn pki init "$T/u" --smdp-fqdn localhost
usage --days pki init "$T/u" --days 0
usage --days pki init "$T/u" --days 36501
usage --days pki init "$T/u" --days x
usage --tls-days pki init "$T/u" --tls-days 0
usage --tls-days pki init "$T/u" --tls-days 826
usage --tls-days pki smdp "$T/u" --ci "$T/nist" --smdp-fqdn b.example --smdp-oid 2.999.12 --tls-days 826
# an explicit --tls-days past --days: refused, naming both and the rule (was cut silently)
usage --tls-days pki init "$T/u" --days 10 --tls-days 20
expect "pki init --tls-days past --days: the message" \
	"openrsp: --tls-days: 20 is past --days 10: a DPtls certificate cannot outlive its CI" "$err"
nothing_left "$T/u"
usage --tls-days pki smdp "$T/u" --ci "$T/nist" --smdp-fqdn b.example --smdp-oid 2.999.12 --days 5 --tls-days 6
has "pki smdp --tls-days past --days: the rule" "6 is past --days 5: DPtls is never valid longer than DPauth and DPpb" "$err"
usage --frob pki init "$T/u" --frob
usage --force pki init "$T/u" --force=yes
usage DIR pki init
usage extra pki init "$T/u" extra
usage frob pki frob
if [[ ! -e "$T/u" ]]; then ok; else bad "a usage error created DIR"; fi
# the edges that stay valid: second arc 39 under 1, any under 2, a digit label not last
run pki init "$T/oid39" --smdp-oid 1.39.7 --smdp-fqdn 1.2.3.example
if [[ $rc -eq 0 ]]; then ok; else bad "--smdp-oid 1.39.7 refused: $err"; fi
cert_has "$T/oid39/smdp/dptls.pem" "DNS:1.2.3.example, Registered ID:1.39.7"
run pki init "$T/oid2" --smdp-oid 2.100.3
if [[ $rc -eq 0 ]]; then ok; else bad "--smdp-oid 2.100.3 refused: $err"; fi
# The SGP.26 EID passes the check-digit rule.
run pki init "$T/sgp26eid" --eid 89049032123451234512345678901235
if [[ $rc -eq 0 ]]; then ok; else bad "SGP.26 EID refused: $err"; fi

# ----- pki smdp: a second SM-DP+ under the CI of an existing hierarchy -----
run pki init "$T/ca" --smdp-fqdn smdp-a.example.org
run pki smdp "$T/dp2" --ci "$T/ca" --smdp-fqdn smdp-b.example.org --smdp-oid 2.999.11
if [[ $rc -eq 0 ]]; then ok; else bad "pki smdp: $err"; fi
for n in dpauth dppb dptls; do
	if openssl verify -CAfile "$T/ca/ci/ci.pem" "$T/dp2/smdp/$n.pem" >/dev/null 2>&1; then ok; else bad "pki smdp: $n does not chain to the CI"; fi
	m=$(stat -c %a "$T/dp2/smdp/${n}_key.pem")
	if [[ $m == 600 ]]; then ok; else bad "pki smdp: key mode $m"; fi
done
if openssl x509 -in "$T/dp2/smdp/dptls.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "smdp-b.example.org"; then ok; else bad "pki smdp: FQDN not in DPtls SAN"; fi
# a certificate of another role or a key of another CI is refused
mkdir -p "$T/wrongci/ci"
cp "$T/ca/eum/eum.der" "$T/wrongci/ci/ci.der"
cp "$T/ca/eum/eum_key.pem" "$T/wrongci/ci/ci_key.pem"
failure "CI certificate" pki smdp "$T/w1" --ci "$T/wrongci" --smdp-fqdn b.example --smdp-oid 2.999.12
run pki init "$T/ca2"
cp "$T/ca/ci/ci.der" "$T/ca2/ci/ci.der"
failure "does not belong" pki smdp "$T/w2" --ci "$T/ca2" --smdp-fqdn b.example --smdp-oid 2.999.12
failure "" pki smdp "$T/w3" --ci "$T/no-such" --smdp-fqdn b.example --smdp-oid 2.999.12
expect "no CI: the directory named once" 1 "$(grep -o "$T/no-such" <<<"$err" | wc -l)"
# the CI's certificate or key a FIFO or a directory: refused at once, naming it (a FIFO
# blocked the open for ever, waiting for a writer), and nothing written
for n in ci.der ci_key.pem; do
	for kind in fifo dir; do
		rm -rf "$T/odd" "$T/w5"
		cp -r "$T/ca" "$T/odd"
		rm -f "$T/odd/ci/$n"
		if [[ $kind == fifo ]]; then mkfifo "$T/odd/ci/$n"; else mkdir "$T/odd/ci/$n"; fi
		rc=0
		timeout 60 "$B" pki smdp "$T/w5" --ci "$T/odd" --smdp-fqdn b.example \
			--smdp-oid 2.999.12 >/dev/null 2>"$T/err" || rc=$?
		err=$(cat "$T/err")
		expect "$n a $kind: rc" 1 "$rc"
		has "$n a $kind" "$T/odd/ci/$n is not a regular file" "$err"
		[[ ! -e "$T/w5/smdp" ]] && ok || bad "$n a $kind: files written"
	done
done
rm -rf "$T/odd" "$T/w5"
# a --curve both hierarchy has its CIs one level down: the error says which to give
failure "give --ci $T/both/nist or --ci $T/both/brainpool" \
	pki smdp "$T/w3" --ci "$T/both" --smdp-fqdn b.example --smdp-oid 2.999.12
expect "--curve both: the directory named once" 1 "$(grep -o "$T/both holds" <<<"$err" | wc -l)"
failure "not empty" pki smdp "$T/dp2" --ci "$T/ca" --smdp-fqdn smdp-b.example.org --smdp-oid 2.999.11
# pki smdp --force that fails at DPtls keeps the old DPauth and DPpb (they were gone)
before=$(layout_sums "$T/dp2")
mv "$T/dp2/smdp/dptls.pem" "$T/dptls.keep"
mkdir "$T/dp2/smdp/dptls.pem"
failure "is a directory" pki smdp "$T/dp2" --ci "$T/ca" --smdp-fqdn smdp-b.example.org --smdp-oid 2.999.11 --force
rmdir "$T/dp2/smdp/dptls.pem"
mv "$T/dptls.keep" "$T/dp2/smdp/dptls.pem"
expect "a failed pki smdp --force: the old files kept" "$before" "$(layout_sums "$T/dp2")"
expect "a failed pki smdp --force: nothing set aside left" "" "$(find "$T/dp2" -name '*.old-*')"
run pki smdp "$T/dp2" --ci "$T/ca" --smdp-fqdn smdp-b.example.org --smdp-oid 2.999.11 --force
expect "pki smdp --force: rc" 0 "$rc"
if [[ $(layout_sums "$T/dp2") != "$before" ]]; then ok; else bad "pki smdp --force did not reissue"; fi
expect "pki smdp --force: nothing set aside left" "" "$(find "$T/dp2" -name '*.old-*')"
usage --ci pki smdp "$T/w4" --smdp-fqdn b.example --smdp-oid 2.999.12
# an empty --ci (a script's unset variable) is no directory: it read /ci/ci.der
usage --ci pki smdp "$T/w4" --ci "" --smdp-fqdn b.example --smdp-oid 2.999.12
usage --smdp-fqdn pki smdp "$T/w4" --ci "$T/ca" --smdp-oid 2.999.12
usage --smdp-oid pki smdp "$T/w4" --ci "$T/ca" --smdp-fqdn b.example
usage --smdp-fqdn pki smdp "$T/w4" --ci "$T/ca" --smdp-fqdn "a..b" --smdp-oid 2.999.12
usage --smdp-fqdn pki smdp "$T/w4" --ci "$T/ca" --smdp-fqdn 192.0.2.1 --smdp-oid 2.999.12
usage --smdp-oid pki smdp "$T/w4" --ci "$T/ca" --smdp-fqdn b.example --smdp-oid 0.40
if [[ ! -e "$T/w4" ]]; then ok; else bad "a usage error of pki smdp created DIR"; fi
# a write that fails (no file may grow) leaves no DIR behind
rc=0
(
	trap '' XFSZ
	ulimit -f 0
	"$B" pki smdp "$T/w5" --ci "$T/ca" --smdp-fqdn b.example --smdp-oid 2.999.12
) >/dev/null 2>"$T/err" || rc=$?
if [[ $rc -eq 1 ]]; then ok; else bad "pki smdp write failure rc=$rc $(cat "$T/err")"; fi
if [[ ! -e "$T/w5" ]]; then ok; else bad "a failed pki smdp left $(find "$T/w5" | head -3)"; fi

# ----- pki smdp: nothing outlives the CI, nothing is issued by a CI outside its validity -----
enddate() { openssl x509 -noout -enddate -in "$1"; }
period() { # period NAME FILE DAYS: notAfter - notBefore is DAYS days exactly
	local nb na
	nb=$(date -d "$(openssl x509 -noout -startdate -in "$2" | cut -d= -f2)" +%s)
	na=$(date -d "$(openssl x509 -noout -enddate -in "$2" | cut -d= -f2)" +%s)
	if [[ $((na - nb)) -eq $(($3 * 86400)) ]]; then ok; else bad "$1: $2 is valid $((na - nb)) s, not $3 days"; fi
}
# pki init: every certificate ends with its CI
run pki init "$T/ca1" --days 1
for n in "${names[@]}"; do
	# DPtls: a validity of --tls-days (capped at --days) from its backdated notBefore, so
	# an hour before the others
	[[ $n == smdp/dptls ]] && continue
	expect "pki init: $n ends with the CI" "$(enddate "$T/ca1/ci/ci.pem")" "$(enddate "$T/ca1/$n.pem")"
done
period "pki init --days 1: DPtls" "$T/ca1/smdp/dptls.pem" 1
# --days beyond the CI's end: capped at it, and said on stderr
run pki smdp "$T/dp3" --ci "$T/ca1" --smdp-fqdn b.example --smdp-oid 2.999.12 --days 36500
expect "pki smdp --days 36500 under a 1-day CI" 0 "$rc"
has "the cap said" "openrsp: warning: the CI expires on " "$err"
has "the cap said in full" "before the 36500 days of --days: DPauth, DPpb and DPtls expire with it" "$err"
# without --days: the default 3650 days, silently no longer than the CI
run pki smdp "$T/dp4" --ci "$T/ca1" --smdp-fqdn b.example --smdp-oid 2.999.12
expect "pki smdp without --days under a 1-day CI" "0:" "$rc:$err"
for d in dp3 dp4; do
	for n in dpauth dppb dptls; do
		expect "pki smdp: $d $n ends with the CI" "$(enddate "$T/ca1/ci/ci.pem")" "$(enddate "$T/$d/smdp/$n.pem")"
		check "pki smdp: $d $n chains to the CI" openssl verify -CAfile "$T/ca1/ci/ci.pem" "$T/$d/smdp/$n.pem"
	done
done
# within the CI's validity: as asked, no warning
run pki smdp "$T/dp5" --ci "$T/ca" --smdp-fqdn b.example --smdp-oid 2.999.12 --days 10
expect "pki smdp --days 10" "0:" "$rc:$err"
check "pki smdp --days 10 ends in 10 days" openssl x509 -noout -in "$T/dp5/smdp/dpauth.pem" -checkend $((10 * 86400 - 120))
if openssl x509 -noout -in "$T/dp5/smdp/dpauth.pem" -checkend $((10 * 86400 + 120)) >/dev/null; then bad "pki smdp --days 10 ends later"; else ok; fi
# DPtls: 397 days by default (SGP.26's are about 13 months; Apple's platforms refuse a TLS
# server certificate valid over 825 days), the others --days; --tls-days within --days
within() { # within NAME FILE DAYS: the certificate ends in DAYS days, give or take 2 minutes
	if openssl x509 -noout -in "$2" -checkend $(($3 * 86400 - 120)) >/dev/null &&
		! openssl x509 -noout -in "$2" -checkend $(($3 * 86400 + 120)) >/dev/null; then
		ok
	else bad "$1: $2 does not end in $3 days ($(enddate "$2"))"; fi
}
period "pki init: DPtls by default" "$T/nist/smdp/dptls.pem" 397
within "pki init: DPauth by default" "$T/nist/smdp/dpauth.pem" 3650
period "pki smdp --days 10: DPtls" "$T/dp5/smdp/dptls.pem" 10
run pki smdp "$T/dptls30" --ci "$T/ca" --smdp-fqdn b.example --smdp-oid 2.999.12 --tls-days 30
expect "pki smdp --tls-days 30" "0:" "$rc:$err"
period "pki smdp --tls-days 30: DPtls" "$T/dptls30/smdp/dptls.pem" 30
within "pki smdp --tls-days 30: DPpb" "$T/dptls30/smdp/dppb.pem" 3650
run pki init "$T/tls" --days 900 --tls-days 825 --json
expect "pki init --tls-days 825" "0:" "$rc:$err"
has "pki init --json: tls_days" '"tls_days":825' "$out"
period "pki init --tls-days 825: DPtls (Apple counts notBefore to notAfter)" "$T/tls/smdp/dptls.pem" 825
within "pki init --days 900: the CI" "$T/tls/ci/ci.pem" 900
# a CI key file with text before its PEM block (as openssl's own output has), over 8 KiB:
# read as orsp_ec_load_private takes it (up to 16 KiB), not refused as unreadable
mkdir -p "$T/long/ci"
cp "$T/ca/ci/ci.der" "$T/long/ci/"
{
	for i in $(seq 150); do echo "Explanatory text line $i about this CI key, its origin and its use."; done
	cat "$T/ca/ci/ci_key.pem"
} >"$T/long/ci/ci_key.pem"
chmod 600 "$T/long/ci/ci_key.pem"
run pki smdp "$T/dp6" --ci "$T/long" --smdp-fqdn b.example --smdp-oid 2.999.12
expect "pki smdp with an 11 KB CI key file" "0:" "$rc:$err"
head -c 16385 /dev/zero | tr '\0' x >"$T/long/ci/ci_key.pem"
failure "larger than 16384 bytes" pki smdp "$T/dp7" --ci "$T/long" --smdp-fqdn b.example --smdp-oid 2.999.12

dated_ci "$T/expired" 20200101000000Z 20210101000000Z "$T/ca1/ci/ci_key.pem"
failure "the CI expired on 2021-01-01 00:00:00Z" pki smdp "$T/w6" --ci "$T/expired" --smdp-fqdn b.example --smdp-oid 2.999.12
dated_ci "$T/future" 20900101000000Z 20910101000000Z "$T/ca1/ci/ci_key.pem"
failure "the CI is not valid before 2090-01-01 00:00:00Z" pki smdp "$T/w6" --ci "$T/future" --smdp-fqdn b.example --smdp-oid 2.999.12
if [[ ! -e "$T/w6" ]]; then ok; else bad "a CI outside its validity issued into $T/w6"; fi

# output that cannot be written: exit 1 with the reason (pki init and pki smdp flush
# their summary themselves), and the hierarchy made stays made
rc=0
"$B" pki init "$T/full" >/dev/full 2>"$T/err" || rc=$?
expect "pki init to a full disk" "1 openrsp: standard output: write failed: No space left on device" "$rc $(cat "$T/err")"
if [[ -f "$T/full/ci/ci_key.pem" ]]; then ok; else bad "pki init to a full disk made no hierarchy"; fi
rc=0
"$B" pki smdp "$T/full2" --ci "$T/ca" --smdp-fqdn b.example --smdp-oid 2.999.12 >/dev/full 2>"$T/err" || rc=$?
expect "pki smdp to a full disk" "1 openrsp: standard output: write failed: No space left on device" "$rc $(cat "$T/err")"

# ----- pki crl: CRLs of the CI (revoking the EUM) and of the EUM (revoking the eUICC) -----
# Read back by openssl alone: the fields, the signature with the issuer's certificate, the
# serial numbers as `openssl x509 -serial` prints them.
run pki init "$T/rev"
P=$T/rev
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }
# crl_text FORM FILE: openssl's text dump of the CRL
crl_text() { openssl crl -inform "$1" -in "$2" -noout -text; }
# crl_verified DESC FORM FILE ISSUER_PEM: openssl verifies the CRL's signature with ISSUER_PEM
# (it says "verify OK" or "verify failure" on stderr, exit status 0 either way)
crl_verified() {
	if openssl crl -inform "$2" -in "$3" -CAfile "$4" -noout 2>&1 | grep -qx "verify OK"; then ok; else bad "$1: openssl does not verify $3 with $4"; fi
}
# no_crl DESC FILE: nothing written at FILE, not even a temporary file beside it
no_crl() {
	if [[ ! -e $2 ]] && ! compgen -G "$2.tmp-*" >/dev/null; then ok; else bad "$1: left $(ls -d "$2"*)"; fi
}
CI=(--issuer-cert "$P/ci/ci.der" --issuer-key "$P/ci/ci_key.pem") # the CI as the issuer

# the CI revokes the EUM: DER, a reason, --days 3 from a given thisUpdate (2026-01-01)
crl_t0=$(date +%s%N)
run pki crl "${CI[@]}" --out "$T/ci.crl" --revoke "$P/eum/eum.der" --reason keyCompromise --days 3 \
	--this-update 1767225600
crl_t1=$(date +%s%N)
expect "pki crl of the CI" "0:$T/ci.crl: 1 revoked, next update 2026-01-04 00:00:00Z:" "$rc:$out:$err"
crl=$(crl_text DER "$T/ci.crl")
has "CI CRL: v2" "Version 2 (0x1)" "$crl"
has "CI CRL: signature" "Signature Algorithm: ecdsa-with-SHA256" "$crl"
has "CI CRL: issuer" "Issuer: C = XX, O = openrsp, OU = TESTCERT, CN = openrsp Test CI" "$crl"
has "CI CRL: thisUpdate" "Last Update: Jan  1 00:00:00 2026 GMT" "$crl"
has "CI CRL: nextUpdate --days 3" "Next Update: Jan  4 00:00:00 2026 GMT" "$crl"
has "CI CRL: the EUM's serial" "Serial Number: $(serial_of "$P/eum/eum.pem")" "$crl"
has "CI CRL: revoked as of thisUpdate" "Revocation Date: Jan  1 00:00:00 2026 GMT" "$crl"
has "CI CRL: the reason" "Key Compromise" "$crl"
expect "CI CRL: one entry" 1 "$(grep -c 'Serial Number:' <<<"$crl")"
# the cRLNumber is the time of issue in nanoseconds by default (whatever --this-update
# says); the AKI is the CI's SKI
num=$(grep -A1 'CRL Number:' <<<"$crl" | tail -1 | tr -d ' ')
if [[ $num =~ ^[0-9]+$ ]] && ((num >= crl_t0 && num <= crl_t1)); then ok; else bad "CI CRL: cRLNumber $num, issued between $crl_t0 and $crl_t1"; fi
expect "CI CRL: AKI" "$(openssl x509 -in "$P/ci/ci.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')" \
	"$(grep -A1 'Authority Key Identifier' <<<"$crl" | tail -1 | tr -d ' ')"
crl_verified "CI CRL" DER "$T/ci.crl" "$P/ci/ci.pem"
# ... and not with the CI of another hierarchy, which has the same name
run pki init "$T/rev2"
if openssl crl -inform DER -in "$T/ci.crl" -CAfile "$T/rev2/ci/ci.pem" -noout 2>&1 | grep -qx "verify OK"; then
	bad "CI CRL verified with another CI's key"
else
	ok
fi

# the EUM revokes the eUICC: PEM, another reason, the default 7 days from now
before=$(date +%s)
run pki crl --issuer-cert "$P/eum/eum.pem" --issuer-key "$P/eum/eum_key.pem" --out "$T/eum.pem" \
	--revoke "$P/euicc/euicc.der" --reason superseded
after=$(date +%s)
if [[ $rc -eq 0 && $out == "$T/eum.pem: 1 revoked, next update "*Z && -z $err ]]; then ok; else bad "pki crl of the EUM: rc=$rc $out $err"; fi
expect "EUM CRL: PEM" "-----BEGIN X509 CRL-----" "$(head -1 "$T/eum.pem")"
crl=$(crl_text PEM "$T/eum.pem")
has "EUM CRL: issuer" "Issuer: C = XX, O = openrsp Test EUM, CN = openrsp EUM" "$crl"
has "EUM CRL: the eUICC's serial" "Serial Number: $(serial_of "$P/euicc/euicc.pem")" "$crl"
has "EUM CRL: the reason" "Superseded" "$crl"
crl_verified "EUM CRL" PEM "$T/eum.pem" "$P/eum/eum.pem"
# the EUM has no cRLSign (SGP.26's has none either): RFC 5280 verifiers refuse its CRL
cat "$P/ci/ci.pem" "$P/eum/eum.pem" >"$T/chain.pem"
openssl verify -crl_check -CRLfile "$T/eum.pem" -CAfile "$T/chain.pem" "$P/euicc/euicc.pem" >"$T/v" 2>&1 || true
has "openssl verify -crl_check of the EUM's CRL" "key usage does not include CRL signing" "$(cat "$T/v")"
this=$(date -u -d "$(openssl crl -in "$T/eum.pem" -noout -lastupdate | sed 's/^lastUpdate=//')" +%s)
next=$(date -u -d "$(openssl crl -in "$T/eum.pem" -noout -nextupdate | sed 's/^nextUpdate=//')" +%s)
if ((this >= before && this <= after)); then ok; else bad "EUM CRL: thisUpdate $this not now ($before..$after)"; fi
expect "EUM CRL: nextUpdate 7 days on by default" $((7 * 86400)) $((next - this))
expect "EUM CRL: the summary's next update" "$(date -u -d "@$next" '+%Y-%m-%d %H:%M:%SZ')" "${out##*next update }"

# serial numbers given in hex (as openssl x509 -serial prints them; a first byte from 80 on
# stays positive, leading zeros go), no reason, a given number
run pki crl "${CI[@]}" --out "$T/serials.crl" --serial "$(serial_of "$P/smdp/dptls.pem")" --serial 80 --serial 00ff \
	--serial 000001 --number 42 --reason unspecified --days 1
expect "pki crl --serial" "0:" "$rc:$err"
crl=$(crl_text DER "$T/serials.crl")
has "--serial: DPtls's serial" "Serial Number: $(serial_of "$P/smdp/dptls.pem")" "$crl"
has "--serial 80" "Serial Number: 80" "$crl"
has "--serial 00ff" "Serial Number: FF" "$crl"
has "--serial 000001" "Serial Number: 01" "$crl"
lacks "--serial: no negative serial" "Serial Number: -" "$crl"
lacks "--reason unspecified: no reasonCode" "Reason Code" "$crl"
expect "--number 42" 42 "$(grep -A1 'CRL Number:' <<<"$crl" | tail -1 | tr -d ' ')"
crl_verified "CRL of --serial" DER "$T/serials.crl" "$P/ci/ci.pem"
# openssl's verifier applies it (current: thisUpdate now): DPtls revoked, DPauth not
openssl verify -crl_check -CRLfile "$T/serials.crl" -CAfile "$P/ci/ci.pem" "$P/smdp/dptls.pem" >"$T/v" 2>&1 || true
has "openssl verify -crl_check: DPtls revoked" "certificate revoked" "$(cat "$T/v")"
check "openssl verify -crl_check: DPauth good" openssl verify -crl_check -CRLfile "$T/serials.crl" \
	-CAfile "$P/ci/ci.pem" "$P/smdp/dpauth.pem"

# nothing revoked: an empty CRL, which still verifies
run pki crl "${CI[@]}" --out "$T/empty.crl"
expect "pki crl, nothing revoked" "0:" "$rc:$err"
has "empty CRL: its summary" ": 0 revoked, next update " "$out"
has "empty CRL" "No Revoked Certificates." "$(crl_text DER "$T/empty.crl")"
crl_verified "empty CRL" DER "$T/empty.crl" "$P/ci/ci.pem"

# refused, exit 1, one line naming the file, nothing written
failure "$P/eum/eum_key.pem: this key does not belong to the issuer certificate $P/ci/ci.der" \
	pki crl --issuer-cert "$P/ci/ci.der" --issuer-key "$P/eum/eum_key.pem" --out "$T/x.crl"
no_crl "another key" "$T/x.crl"
failure "$P/euicc/euicc.der: not issued by $P/ci/ci.der: its issuer name is not" \
	pki crl "${CI[@]}" --out "$T/x.crl" --revoke "$P/eum/eum.der" --revoke "$P/euicc/euicc.der"
no_crl "the EUM's eUICC under the CI" "$T/x.crl"
# another CI's EUM: the same names, another key
failure "$T/rev2/eum/eum.der: not issued by $P/ci/ci.der: its authorityKeyIdentifier is not" \
	pki crl "${CI[@]}" --out "$T/x.crl" --revoke "$T/rev2/eum/eum.der"
no_crl "another CI's EUM" "$T/x.crl"
# the EUM's name and AKI, but a signature that is not the CI's (its last byte changed)
python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-1] ^= 1
open(sys.argv[2], "wb").write(b)' "$P/eum/eum.der" "$T/forged.der"
failure "$T/forged.der: not issued by $P/ci/ci.der: its signature does not verify" \
	pki crl "${CI[@]}" --out "$T/x.crl" --revoke "$T/forged.der"
no_crl "a forged EUM" "$T/x.crl"
failure "is the issuer's own certificate" pki crl "${CI[@]}" --out "$T/x.crl" --revoke "$P/ci/ci.pem"
failure "not a CI or EUM certificate" pki crl --issuer-cert "$P/smdp/dpauth.der" \
	--issuer-key "$P/smdp/dpauth_key.pem" --out "$T/x.crl"
no_crl "a DPauth issuer" "$T/x.crl"
sum=$(sha256sum "$T/ci.crl")
failure "$T/ci.crl: already exists: not overwritten" pki crl "${CI[@]}" --out "$T/ci.crl"
expect "an existing --out untouched" "$sum" "$(sha256sum "$T/ci.crl")"
failure "pki crl: cannot create $T/no/such/dir.crl: No such file or directory" pki crl "${CI[@]}" --out "$T/no/such/dir.crl"
# a write that fails (no file may grow; stderr read through a pipe, which may): nothing left
rc=0
err=$(
	trap '' XFSZ
	ulimit -f 0
	"$B" pki crl "${CI[@]}" --out "$T/x.crl" 2>&1 >/dev/null
) || rc=$?
expect "pki crl, a write that fails" "1 openrsp: pki crl: write to $T/x.crl failed: File too large" "$rc $err"
no_crl "a failed write" "$T/x.crl"

# usage errors, exit 2, nothing written
usage --serial pki crl "${CI[@]}" --out "$T/x.crl" --serial 0g
not_stdout --out pki crl "${CI[@]}" --out - --serial 01
usage --serial pki crl "${CI[@]}" --out "$T/x.crl" --serial 123
has "--serial of an odd number of digits" "expected an even number of hex digits" "$err"
usage --serial pki crl "${CI[@]}" --out "$T/x.crl" --serial ""
usage --serial pki crl "${CI[@]}" --out "$T/x.crl" --serial 0x01
usage --serial pki crl "${CI[@]}" --out "$T/x.crl" --serial "$(printf '01%.0s' {1..21})"
# 20 bytes from 80 on: 21 octets in DER
usage --serial pki crl "${CI[@]}" --out "$T/x.crl" --serial "80$(printf '01%.0s' {1..19})"
usage --serial pki crl "${CI[@]}" --out "$T/x.crl" --serial 0080 --serial 80
usage --revoke pki crl "${CI[@]}" --out "$T/x.crl" --revoke "$P/eum/eum.der" --revoke "$P/eum/eum.pem"
usage --reason pki crl "${CI[@]}" --out "$T/x.crl" --revoke "$P/eum/eum.der" --reason compromised
# removeFromCRL (8) belongs to delta CRLs
usage --reason pki crl "${CI[@]}" --out "$T/x.crl" --revoke "$P/eum/eum.der" --reason removeFromCRL
usage --days pki crl "${CI[@]}" --out "$T/x.crl" --days 0
usage --days pki crl "${CI[@]}" --out "$T/x.crl" --days x
usage --days pki crl "${CI[@]}" --out "$T/x.crl" --days 36501
usage --number pki crl "${CI[@]}" --out "$T/x.crl" --number -1
usage --this-update pki crl "${CI[@]}" --out "$T/x.crl" --this-update now
usage --issuer-key pki crl --issuer-cert "$P/ci/ci.der" --out "$T/x.crl"
usage --issuer-cert pki crl --issuer-key "$P/ci/ci_key.pem" --out "$T/x.crl"
usage --out pki crl "${CI[@]}"
usage --out pki crl "${CI[@]}" --out ""
usage --issuer-key pki crl --issuer-cert "$P/ci/ci.der" --issuer-key "" --out "$T/x.crl"
usage --revoke pki crl "${CI[@]}" --out "$T/x.crl" --revoke ""
usage extra pki crl "${CI[@]}" --out "$T/x.crl" extra
no_crl "usage errors" "$T/x.crl"

run pki init --help
if [[ $rc -eq 0 && "$out" == *"--curve"* && "$out" == *"--eid-prefix"* ]]; then ok; else bad "pki init --help"; fi
run help pki
if [[ $rc -eq 0 && "$out" == *"init"* && "$out" == *"crl "* ]]; then ok; else bad "help pki"; fi
run pki crl --help
if [[ $rc -eq 0 && "$out" == *"--issuer-cert"* && "$out" == *"--revoke"* ]]; then ok; else bad "pki crl --help"; fi

rm -rf "$T"
finish
