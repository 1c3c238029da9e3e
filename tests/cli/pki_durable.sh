#!/usr/bin/env bash
# What `openrsp pki init`, `pki smdp` and `pki crl` have written is durable when they print
# their success line: run under strace, the names they made, replaced or removed and the
# bytes of their files are read from the log and compared, at that line, with what the
# directories' and files' own flushes made durable (lib/fsdurable.py). Until session 77 no
# new directory was flushed in its parent (DIR itself, DIR/ci ...), README.txt was never
# flushed, and --force's removal of the old files set aside (the old CI key among them) was
# not flushed either: a power cut after "success" could leave none of the 19 files, or bring
# the old keys back.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_pki_durable.XXXXXX")
. "$(dirname "$0")/lib/common.bash"
FSD=$(dirname "$0")/lib/fsdurable.py

if ! command -v strace >/dev/null; then
	echo "skipped: no strace"
	exit 0
elif ! strace -f -o /dev/null true 2>"$T/strace.err"; then
	echo "skipped: strace cannot trace here: $(cat "$T/strace.err")"
	exit 0
fi
# (an AddressSanitizer build's leak check does not work under ptrace)
no_lsan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
TRACE=openat,link,linkat,write,pwrite64,fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat
TRACE=$TRACE,mkdir,mkdirat,ftruncate

# durable DESC ROOT ARGS...: openrsp ARGS run under strace (rc, out, err as run's); then what
# a power cut at its success line would undo under ROOT, in $lost (empty: nothing)
durable() {
	local what=$1 root=$2
	shift 2
	rm -rf "$T/snap"
	cp -a "$root" "$T/snap"
	rc=0
	out=$(ASAN_OPTIONS=$no_lsan strace -o "$T/log" -f -qq -yy -xx -s 1048576 -e trace=$TRACE \
		"$B" "$@" 2>"$T/err") || rc=$?
	err=$(cat "$T/err")
	expect "$what: rc ($err)" 0 "$rc"
	lost=$(python3 "$FSD" "$T/log" "$root" "$T/snap" 2>&1) || true
	expect "$what: nothing a power cut at the success line undoes" "" "$lost"
}

# ----- pki init: DIR made in its parent, its subdirectories, 18 files and README.txt -----
mkdir -p "$T/w"
durable "init" "$T/w" pki init "$T/w/pki" --smdp-fqdn smdp.example.org
has "init: said" "EID" "$out"
expect "init: 19 files" 19 "$(find "$T/w/pki" -type f | wc -l)"

# ----- DIR there and empty: its subdirectories flushed in it -----
mkdir -p "$T/e/pki"
durable "init into an empty DIR" "$T/e" pki init "$T/e/pki"

# ----- --curve both: DIR/nist and DIR/brainpool -----
mkdir -p "$T/b"
durable "init --curve both" "$T/b" pki init "$T/b/pki" --curve both
expect "init --curve both: 37 files" 37 "$(find "$T/b/pki" -type f | wc -l)"

# ----- --force: the old files set aside are gone for good, README.txt replaced -----
old_ci=$(cat "$T/w/pki/ci/ci_key.pem")
durable "init --force" "$T/w" pki init "$T/w/pki" --force --smdp-fqdn smdp2.example.org
cp "$T/log" "$T/force.log"
expect "init --force: no file set aside left" "" "$(find "$T/w/pki" -name '*.old-*')"
has "init --force: the new README.txt" "smdp2.example.org" "$(cat "$T/w/pki/README.txt")"
if [[ "$(cat "$T/w/pki/ci/ci_key.pem")" != "$old_ci" ]]; then ok; else bad "init --force: a new CI key"; fi

# ----- pki smdp: DIR made, DIR/smdp, with --force again -----
durable "smdp" "$T/w" pki smdp "$T/w/dp2" --ci "$T/w/pki" --smdp-fqdn dp2.example.org --smdp-oid 2.999.20
durable "smdp --force" "$T/w" pki smdp "$T/w/dp2" --ci "$T/w/pki" --smdp-fqdn dp3.example.org \
	--smdp-oid 2.999.20 --force
expect "smdp --force: no file set aside left" "" "$(find "$T/w/dp2" -name '*.old-*')"

# ----- pki crl: the new CRL's name in its directory -----
durable "crl" "$T/w" pki crl --issuer-cert "$T/w/pki/ci/ci.der" \
	--issuer-key "$T/w/pki/ci/ci_key.pem" --out "$T/w/ci.crl"

# ----- a flush that fails (EIO injected by strace) -----
# failing N ARGS...: openrsp ARGS with its Nth fsync failing with EIO (rc, out, err)
failing() {
	local n=$1
	shift
	rc=0
	out=$(ASAN_OPTIONS=$no_lsan strace -o /dev/null -f -qq -e trace=fsync \
		-e inject=fsync:error=EIO:when="$n" "$B" "$@" 2>"$T/err") || rc=$?
	err=$(cat "$T/err")
}
# the first: DIR's name in its parent, after mkdir DIR: the run undone, DIR removed
mkdir -p "$T/f"
failing 1 pki init "$T/f/pki"
expect "flush of DIR's parent fails: rc" 1 "$rc"
expect "flush of DIR's parent fails: said" \
	"openrsp: $T/f/pki: cannot flush the directory of $T/f/pki: Input/output error" "$err"
expect "flush of DIR's parent fails: DIR removed" "" "$(ls "$T/f")"
# --force, the last: DIR's after README.txt.old-PID's removal: the new hierarchy stays
n=$(grep -c '^[0-9]* *fsync(' "$T/force.log")
failing "$n" pki init "$T/w/pki" --force --smdp-fqdn smdp3.example.org
expect "--force, the last flush fails: rc" 1 "$rc"
has "--force, the last flush fails: said" \
	"the new files are in place, but a crash may bring back the old ones removed (NAME.old-" "$err"
has "--force, the last flush fails: the new README.txt" "smdp3.example.org" \
	"$(cat "$T/w/pki/README.txt")"
expect "--force, the last flush fails: 19 files" 19 "$(find "$T/w/pki" -type f | wc -l)"

# ----- the model itself: a name not flushed is caught (a negative control) -----
mkdir -p "$T/n"
rm -rf "$T/snap"
cp -a "$T/n" "$T/snap"
strace -o "$T/log" -f -qq -yy -xx -s 1048576 -e trace=$TRACE \
	"$PY" -c 'import os, sys
fd = os.open(sys.argv[1] + "/f", os.O_WRONLY | os.O_CREAT, 0o600)
os.write(fd, b"x"); os.fsync(fd); os.close(fd)
print("done")' "$T/n" >/dev/null
lost=$(python3 "$FSD" "$T/log" "$T/n" "$T/snap") || true
expect "control: a new file whose directory was not flushed" "name $T/n/f: durable=no now=yes" "$lost"

finish
