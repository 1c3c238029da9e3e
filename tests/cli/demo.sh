#!/usr/bin/env bash
# `make demo` must keep working: `openrsp demo` runs the whole story, exits 0, prints every
# step of the timeline, leaves no work directory behind and no server listening; with
# --keep the work directory stays; a missing template is a clear failure, and so is a
# profile whose ISIM the device cannot use (the IMS step fails, exit 1).
set -euo pipefail
B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_demo.XXXXXX")
. "$(dirname "$0")/lib/common.bash"

# its help is that of its single verb (what `openrsp demo` runs), not a list of verbs
for how in "demo --help" "help demo" "demo run --help"; do
	rc=0
	# shellcheck disable=SC2086 # the words of $how are the arguments
	out=$(TMPDIR=$T "$B" $how 2>&1) || rc=$?
	if [[ $rc -eq 0 && "$out" == "usage: openrsp demo [--keep] [--template FILE]"* &&
		"$out" == *"--template FILE  the profile package"* && "$out" != *"verbs:"* ]]; then
		ok
	else
		bad "openrsp $how: rc=$rc: $out"
	fi
done
rc=0
out=$(TMPDIR=$T "$B" demo 2>"$T/err") || rc=$?
[[ $rc -eq 0 ]] && ok || bad "demo exit $rc: $(cat "$T/err") $out"
for want in "operator-A orders a profile" "device downloads and installs operator-A" \
	"RES = XRES" "device enables operator-B" "refuses operator-A's challenge: MAC failure" \
	"13. operator-B authenticates the device's IMS client (ISIM identity; IMS AKA" \
	"ISIM a0000000871004ff49ff0589 (from EF.DIR) selected on logical channel" \
	"EF.IMPI 001020000000002@ims.mnc002.mcc001.3gppnetwork.org" \
	"EF.IMPU sip:001020000000002@ims.mnc002.mcc001.3gppnetwork.org" \
	"both as TS 23.003 derives them from IMSI 001020000000002" \
	"the USIM's vector of step 12 replayed to the ISIM: synchronisation failure (DC, AUTS)" \
	"IMS AKA with a fresh vector: RES = XRES (8 bytes), CK and IK agree with operator-B's AuC" \
	"14. the old subscription no longer answers" \
	"deletes operator-A's profile" "install, enable, disable and delete notifications: one each, verified" \
	"every step verified" "16. checking what operator-A's SM-DP+ received" \
	"17. done: the device changed operator remotely; every step verified ("; do
	[[ "$out" == *"$want"* ]] && ok || bad "timeline lacks '$want'"
done
# nothing left behind
left=$(find "$T" -maxdepth 1 -name 'openrsp-demo.*' | wc -l)
[[ $left -eq 0 ]] && ok || bad "work directory left behind"
# and so under a TMPDIR holding a quote and a space: its directory removed, and nothing else
# (a shell's reading of "rm -rf '$TMPDIR/...'" removed "$T/q/x" instead and kept its own)
odd="$T/q/x' '$T/q/y"
mkdir -p "$odd" "$T/q/x"
touch "$T/q/x/keep"
rc=0
TMPDIR=$odd "$B" demo >/dev/null 2>"$T/err" || rc=$?
if [[ $rc -eq 0 && -f "$T/q/x/keep" && -z "$(ls -A "$odd")" && ! -s "$T/err" ]]; then ok; else
	bad "demo under TMPDIR=$odd: rc=$rc $(cat "$T/err"); left: $(ls -A "$odd")"
fi
# removed by openrsp itself: no rm is run (a child gets the environment, ORSP_KEK with it)
mkdir -p "$T/nopath"
rc=0
TMPDIR="$T/nopath" PATH=/nonexistent "$B" demo >/dev/null 2>"$T/err" || rc=$?
if [[ $rc -eq 0 && -z "$(ls -A "$T/nopath")" && ! -s "$T/err" ]]; then ok; else
	bad "demo without PATH: rc=$rc $(cat "$T/err"); left: $(ls -A "$T/nopath")"
fi
# A signal stops it before its next step, its work directory removed: the demo is held at its
# first step's line (its stdout a pipe filled beforehand) when SIGTERM comes, then let go.
mkdir -p "$T/sig"
mkfifo "$T/fifo"
exec 3<>"$T/fifo"
python3 -c '
import os
os.set_blocking(3, False)
try:
    while True:
        os.write(3, b"x" * 4096)
except BlockingIOError:
    pass
os.set_blocking(3, True)'
TMPDIR="$T/sig" "$B" demo >&3 2>"$T/sig.err" &
pid=$!
held() { compgen -G "$T/sig/openrsp-demo.*" >/dev/null; }
wait_for 60 "the demo's work directory" held
sleep 0.5
kill -TERM $pid
cat <&3 >/dev/null &
drain=$!
rc=0
wait $pid || rc=$?
kill $drain
exec 3>&-
if [[ $rc -eq 1 && "$(cat "$T/sig.err")" == *"stopped by a signal"* && -z "$(ls -A "$T/sig")" ]]; then
	ok
else
	bad "demo SIGTERM: rc=$rc $(cat "$T/sig.err"); left: $(ls -A "$T/sig")"
fi
# no key material in the output
if grep -qiE "BEGIN (EC )?PRIVATE KEY" <<<"$out"; then bad "key in the output"; else ok; fi
# --keep keeps it; the kept eUICC state is sealed (no profile bytes in clear)
out=$(TMPDIR=$T "$B" demo --keep 2>/dev/null) && rc=0 || rc=$?
kept=$(find "$T" -maxdepth 1 -name 'openrsp-demo.*' | head -1)
[[ $rc -eq 0 && -n "$kept" && -f "$kept/device-euicc/manifest" ]] && ok || bad "--keep"
if [[ -n "$kept" ]] && grep -rqa "GSMA Generic eUICC Test Profile\|Operator B" "$kept/device-euicc"; then bad "eUICC state readable in clear"; else ok; fi
# a missing template
rc=0
TMPDIR=$T "$B" demo --template "$T/none.der" >/dev/null 2>&1 || rc=$?
[[ $rc -eq 1 ]] && ok || bad "missing template: rc=$rc"
# a template that is not a regular file (a FIFO blocked the demo for ever in its open; a
# directory was malloc'd at the size ftell gave it), an empty one, and one over the limit of
# a profile package: refused at once, naming it, before any step
mkfifo "$T/tpl.fifo"
mkdir -p "$T/tpl.dir"
: >"$T/tpl.empty"
truncate -s 3G "$T/tpl.big"
for c in "tpl.fifo:not a regular file" "tpl.dir:not a regular file" "tpl.empty:empty file" \
	"tpl.big:3221225472 bytes exceeds the"; do
	rc=0
	out=$(TMPDIR=$T timeout 60 "$B" demo --template "$T/${c%%:*}" 2>"$T/err") || rc=$?
	err=$(cat "$T/err")
	expect "template ${c%%:*} rc" 1 "$rc"
	has "template ${c%%:*}" "openrsp: $T/${c%%:*}: ${c#*:}" "$err"
	expect "template ${c%%:*}: no step" "" "$out"
done
rm -f "$T/tpl.big"
# The IMS step fails when the device cannot use an ISIM, the steps before it pass: the
# template without its PE-ISIM and PE-OPT-ISIM (and the header's isim service), EF.DIR still
# listing the ISIM (the card serves none), and so with every ISIM AID's application code
# 1004 made 1005 (EF.DIR lists none). An ISIM the card would not serve (a dfName that is no
# ISIM AID) is refused at import (docs/pkg.md).
TPL=${ORSP_DATA_DIR:-$(dirname "$0")/../../data}/profiles/ts48-v7-saip2.3-nobertlv.der
python3 - "$TPL" "$T" <<'END'
import sys


def tlv(b, i):
    """tag, value start and end of the TLV at b[i] (one-byte tags)"""
    n, j = b[i + 1], i + 2
    if n & 0x80:
        n, j = int.from_bytes(b[j:j + (n & 0x7F)], "big"), j + (n & 0x7F)
    return b[i], j, j + n


def children(v):
    i, out = 0, []
    while i < len(v):
        t, s, e = tlv(v, i)
        out.append((t, v[s:e], v[i:e]))
        i = e
    return out


def der(tag, v):
    n = len(v).to_bytes((len(v).bit_length() + 7) // 8 or 1, "big")
    return bytes([tag]) + (n if len(v) < 0x80 else bytes([0x80 | len(n)]) + n) + v


d, out = open(sys.argv[1], "rb").read(), b""
for t, v, raw in children(d):
    if t in (0xB5, 0xB6):  # PE-ISIM [21], PE-OPT-ISIM [22]
        continue
    if t == 0xA0:  # ProfileHeader: eUICC-Mandatory-services [5] without isim [2]
        raw = der(t, b"".join(der(ct, b"".join(r for st, _, r in children(cv) if st != 0x82))
                              if ct == 0xA5 else r for ct, cv, r in children(v)))
    out += raw
isim = bytes.fromhex("a0000000871004")
assert out.count(isim) > 1
open(sys.argv[2] + "/isim-unserved.der", "wb").write(out)
open(sys.argv[2] + "/isim-none.der", "wb").write(out.replace(isim, isim[:-1] + b"\x05"))
END
for c in "isim-unserved:EF.DIR lists an ISIM the card does not serve (SELECT: SW 6A82)" \
	"isim-none:the profile has no ISIM (EF.DIR lists none)"; do
	rc=0
	out=$(TMPDIR=$T "$B" demo --template "$T/${c%%:*}.der" 2>"$T/err") || rc=$?
	if [[ $rc -eq 1 && "$out" == *"RES = XRES (8 bytes), CK and IK agree with operator-B's AuC"* &&
		"$out" == *"13. operator-B authenticates the device's IMS client"* &&
		"$out" != *"14. "* && "$(grep -v ' openrsp warn: ' "$T/err")" == "openrsp demo: FAILED at step 13: ${c#*:}" ]]; then
		ok
	else
		bad "${c%%:*}: rc=$rc: $(cat "$T/err") $out"
	fi
done
# a failed run removes its work directory too (the one left is --keep's)
left=$(find "$T" -maxdepth 1 -name 'openrsp-demo.*' | wc -l)
expect "work directories after the failed runs" 1 "$left"
rm -rf "$T"
finish
