#!/usr/bin/env bash
# `cmake --install` (docs/deploy.md): the files it puts under a prefix, the systemd units of
# the SM-DP+ and of the CRL timer naming the binary under the prefix given at install time
# (also with DESTDIR), `systemd-analyze verify` on them (the template units as an instance)
# when systemd-analyze is there, and the shipped data:
# an installed binary reads PREFIX/share/openrsp (and names it when it is missing, never
# falling back to the source tree), ORSP_DATA_DIR comes first, and the build directory's
# binary reads the source tree's data/ even beside a share/openrsp of its own.
# The installs are of the default component, so the manifest they leave in the build
# directory is install_manifest_Unspecified.txt, not the install_manifest.txt of a user's own
# `cmake --install` (which an uninstall may read).
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_install.XXXXXX")
. "$(dirname "$0")/lib/common.bash"

build=$(dirname "$(realpath "$B")")
tpl=profiles/ts48-v7-saip2.3-nobertlv.der
unit=lib/systemd/system/openrsp-smdp.service
fetch_unit=lib/systemd/system/openrsp-crl-fetch@.service
fetch_timer=lib/systemd/system/openrsp-crl-fetch@.timer
purge_unit=lib/systemd/system/openrsp-smdp-purge.service
purge_timer=lib/systemd/system/openrsp-smdp-purge.timer

if ! command -v cmake >/dev/null || [[ ! -f $build/cmake_install.cmake ]]; then
	echo "skipped: no cmake, or $build is not a CMake build directory"
	exit 77
fi
check_file() { # check_file PATH: a regular file
	if [[ -f $1 ]]; then ok; else bad "missing $1"; fi
}

# --- under a prefix ---
manifest=$build/install_manifest.txt
before=$( [[ -f $manifest ]] && sha256sum <"$manifest" || echo none)
P=$T/usr
if cmake --install "$build" --component Unspecified --prefix "$P" >"$T/log" 2>&1; then ok; else bad "install: $(cat "$T/log")"; fi
if [[ -x $P/bin/openrsp ]]; then ok; else bad "no executable $P/bin/openrsp"; fi
check_file "$P/share/openrsp/$tpl"
check_file "$P/share/openrsp/profiles/README.md"
for f in smdp.conf.example deploy.md smdp.md README.md LICENSE; do
	check_file "$P/share/doc/openrsp/$f"
done
check_file "$P/$unit"
expect "ExecStart" "ExecStart=$P/bin/openrsp smdp serve --config /etc/openrsp/smdp.conf" \
	"$(grep '^ExecStart=' "$P/$unit")"
expect "Documentation" "Documentation=file://$P/share/doc/openrsp/deploy.md" \
	"$(grep '^Documentation=' "$P/$unit")"
lacks "no placeholder left" "@ORSP_" "$(cat "$P/$unit")"
# every library bound at start, those linked without -z now too (docs/crypto.md)
expect "the server's libraries bound at start" "Environment=LD_BIND_NOW=1" \
	"$(grep '^Environment=' "$P/$unit")"
# the open file limit the connections need, whatever hard limit the machine gives services
# (the server raises its soft limit itself: ~@resources does not stop glibc's prlimit64)
expect "the server's open file limit" "LimitNOFILE=65536" "$(grep '^LimitNOFILE=' "$P/$unit")"
check_file "$P/$fetch_unit"
check_file "$P/$fetch_timer"
expect "crl-fetch ExecStart" \
	"ExecStart=$P/bin/openrsp pki crl-fetch \$CRL_URL \$CRL_FETCH_OPTIONS --issuer-cert \${CRL_ISSUER} --out \${CRL_FILE}" \
	"$(grep '^ExecStart=' "$P/$fetch_unit")"
lacks "no placeholder left in the CRL units" "@ORSP_" "$(cat "$P/$fetch_unit" "$P/$fetch_timer")"
check_file "$P/$purge_unit"
check_file "$P/$purge_timer"
expect "purge ExecStart" \
	"ExecStart=$P/bin/openrsp smdp profile purge --config /etc/openrsp/smdp.conf \$PURGE_OPTIONS" \
	"$(grep '^ExecStart=' "$P/$purge_unit")"
expect "purge's default retention" 'Environment="PURGE_OPTIONS=--older-than 30d"' \
	"$(grep '^Environment=' "$P/$purge_unit")"
lacks "no placeholder left in the purge units" "@ORSP_" "$(cat "$P/$purge_unit" "$P/$purge_timer")"
# the three services' own mount namespace and their user's IPC objects removed (session 77),
# but not ProcSubset=pid (it hides /proc/locks, which finds the other processes on a database)
# nor PrivateUsers= (a SupplementaryGroups=softhsm drop-in could not give its group)
for u in "$unit" "$fetch_unit" "$purge_unit"; do
	expect "PrivateMounts in ${u##*/}" "PrivateMounts=yes" "$(grep '^PrivateMounts=' "$P/$u")"
	expect "RemoveIPC in ${u##*/}" "RemoveIPC=yes" "$(grep '^RemoveIPC=' "$P/$u")"
	expect "no ProcSubset or PrivateUsers in ${u##*/}" "" \
		"$(grep -E '^(ProcSubset|PrivateUsers)=' "$P/$u")"
done
if command -v systemd-analyze >/dev/null; then
	# exit 0 and not a word: an unknown key is only a warning for systemd
	rc=0
	v=$(systemd-analyze verify "$P/$unit" 2>&1) || rc=$?
	expect "systemd-analyze verify exit" 0 "$rc"
	expect "systemd-analyze verify says nothing" "" "$v"
	# a template is verified as an instance: the timer and its service side by side
	mkdir -p "$T/units"
	cp "$P/$fetch_unit" "$T/units/openrsp-crl-fetch@eum-a.service"
	cp "$P/$fetch_timer" "$T/units/openrsp-crl-fetch@eum-a.timer"
	rc=0
	v=$(systemd-analyze verify "$T/units/openrsp-crl-fetch@eum-a.service" \
		"$T/units/openrsp-crl-fetch@eum-a.timer" 2>&1) || rc=$?
	expect "systemd-analyze verify of the CRL units exit" 0 "$rc"
	expect "systemd-analyze verify of the CRL units says nothing" "" "$v"
	rc=0
	v=$(systemd-analyze verify "$P/$purge_unit" "$P/$purge_timer" 2>&1) || rc=$?
	expect "systemd-analyze verify of the purge units exit" 0 "$rc"
	expect "systemd-analyze verify of the purge units says nothing" "" "$v"
else
	echo "note: systemd-analyze is not installed; the unit is not verified"
fi

# --- the data beside the installed binary ---
run_at() { # run_at BINARY ARGS...: as run, with that binary and ORSP_DATA_DIR unset
	local bin=$1
	shift
	rc=0
	out=$(env -u ORSP_DATA_DIR "$bin" "$@" 2>"$T/err") || rc=$?
	err=$(cat "$T/err")
}
run_at "$P/bin/openrsp" demo
expect "installed demo" 0 "$rc"
has "installed demo" "every step verified" "$out"
# without its installed template, the installed binary fails naming it ...
mv "$P/share/openrsp/$tpl" "$T/good.der"
run_at "$P/bin/openrsp" demo
expect "installed demo, no template" 1 "$rc"
has "names the installed template" "$P/share/openrsp/$tpl" "$err"
has "says which data directory and the ways out" "openrsp: demo: no default template in $P/share/openrsp, the installed data directory as found from where this binary is (a binary copied out of the build directory counts as installed): set ORSP_DATA_DIR to the sources' data/, or give --template FILE" "$err"
# ... the build tree's binary never looks there ...
run_at "$B" demo
expect "build-tree demo beside a broken install" 0 "$rc"
# ... nor falls back to the source tree when the whole directory is gone
mv "$P/share/openrsp" "$T/data.saved"
run_at "$P/bin/openrsp" demo
expect "installed demo, no share/openrsp" 1 "$rc"
has "names the installed place" "$P/share/openrsp/$tpl" "$err"
mv "$T/data.saved" "$P/share/openrsp"
# ... and ORSP_DATA_DIR comes first
rc=0
out=$(ORSP_DATA_DIR=$T/nowhere "$P/bin/openrsp" demo 2>"$T/err") || rc=$?
expect "ORSP_DATA_DIR over the installed data" 1 "$rc"
has "names ORSP_DATA_DIR's template" "$T/nowhere/$tpl" "$(cat "$T/err")"
has "ORSP_DATA_DIR's directory named" "no default template in $T/nowhere, the data directory ORSP_DATA_DIR names" "$(cat "$T/err")"
mv "$T/good.der" "$P/share/openrsp/$tpl"

# --- the build directory's binary beside a share/openrsp of its build tree's parent (the
# source tree when build/ is in it): still the source tree's data. Made only where nothing is,
# and removed again.
side=$(dirname "$build")/share
if [[ ! -e $side ]]; then
	trap 'rm -rf "$side"' EXIT
	mkdir -p "$side/openrsp/profiles"
	printf 'not a profile' >"$side/openrsp/$tpl"
	run_at "$B" demo
	expect "build-tree demo beside BUILD/../share/openrsp" 0 "$rc"
	rm -rf "$side"
	trap - EXIT
else
	echo "note: $side exists; the build-tree check beside it is skipped"
fi

# --- DESTDIR (a package build): the unit names the final prefix, the tree still runs ---
S=$T/stage
if DESTDIR=$S cmake --install "$build" --component Unspecified --prefix /usr >"$T/log" 2>&1; then ok; else bad "DESTDIR install: $(cat "$T/log")"; fi
expect "DESTDIR ExecStart" "ExecStart=/usr/bin/openrsp smdp serve --config /etc/openrsp/smdp.conf" \
	"$(grep '^ExecStart=' "$S/usr/$unit")"
expect "DESTDIR crl-fetch ExecStart" \
	"ExecStart=/usr/bin/openrsp pki crl-fetch \$CRL_URL \$CRL_FETCH_OPTIONS --issuer-cert \${CRL_ISSUER} --out \${CRL_FILE}" \
	"$(grep '^ExecStart=' "$S/usr/$fetch_unit")"
expect "DESTDIR purge ExecStart" \
	"ExecStart=/usr/bin/openrsp smdp profile purge --config /etc/openrsp/smdp.conf \$PURGE_OPTIONS" \
	"$(grep '^ExecStart=' "$S/usr/$purge_unit")"
run_at "$S/usr/bin/openrsp" demo
expect "staged demo" 0 "$rc"

expect "the build directory's install_manifest.txt untouched" "$before" \
	"$( [[ -f $manifest ]] && sha256sum <"$manifest" || echo none)"

rm -rf "$T"
finish
