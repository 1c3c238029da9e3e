#!/usr/bin/env bash
# The databases on a nearly full ext4 file system with 1 KiB blocks, what mke2fs makes for any
# volume under 512 MB: SQLite grows the WAL-index (<db>-shm) one byte per 4 KiB page and then
# uses it as memory, so 3 of each page's 4 blocks stayed holes, and the first store into one
# with no block free ended the process with SIGBUS (exit 135, no message): `auc show` and
# `smdp profile list` at their open, with 8 to 10 KiB free, and a running `smdp serve` in the
# COMMIT of an ES2+ order, with 22 to 42 KiB free (a disk-full review; seen here). The store's
# VFS (src/store/sqlite_vfs.c) allocates the blocks first: a clean "database or disk is full"
# now, at every level of free space from the one where all succeed down to none. The levels
# are scanned rather than picked, so that another kernel's block accounting still meets the
# window. Needs root (a loop mount of an image file): skipped (77) as another user, or where
# the image cannot be made or mounted (a container without loop devices).
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_disk_full.XXXXXX")
unset ORSP_KEK
. "$(dirname "$0")/lib/common.bash"

M=$T/mnt
mounted=""
cleanup() {
	if [[ -n "$server" ]]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	if [[ -n "$mounted" ]] && ! umount "$M" 2>/dev/null; then
		return # the mount stays, and the directory under it
	fi
	rm -rf "$T"
}
trap cleanup EXIT

skip() {
	echo "skipped: $*"
	exit 77
}
[[ $(id -u) -eq 0 ]] || skip "needs root, to loop-mount a file system"
for c in mkfs.ext4 mount umount fallocate df; do
	command -v $c >/dev/null || skip "no $c"
done
command -v curl >/dev/null || {
	echo "curl is not installed (scripts/setup.sh installs it)" >&2
	exit 1
}
truncate -s 16M "$T/fs.img"
mkfs.ext4 -q -F -m 0 -b 1024 "$T/fs.img" >"$T/mkfs.log" 2>&1 || skip "mkfs.ext4: $(cat "$T/mkfs.log")"
mkdir -p "$M"
mount -o loop "$T/fs.img" "$M" 2>"$T/mount.log" || skip "cannot loop-mount an image: $(cat "$T/mount.log")"
mounted=yes
expect "block size" 1024 "$(stat -f -c %S "$M")"

unfill() {
	rm -f "$M/filler" "$M/filler2"
	sync -f "$M"
}
free_kib() { df -k --output=avail "$M" | tail -1; }
# leave KIB: fill the file system with files of zeros (their blocks allocated) until about KIB
# KiB are free: a large one, then a small one that an extent in the inode holds (the large one's
# extent tree takes blocks of its own), a KiB less each time it does not fit
leave() {
	local n
	unfill
	n=$(($(free_kib) - $1 - 256))
	if ((n > 0)); then
		fallocate -l "${n}K" "$M/filler"
	fi
	n=$(($(free_kib) - $1))
	while ((n > 0)) && ! fallocate -l "${n}K" "$M/filler2" 2>/dev/null; do
		n=$((n - 1))
	done
	sync -f "$M"
}
# clean WHAT: the last run either succeeded or failed with one line saying the disk is full
clean() {
	if [[ $rc -eq 0 ]] || [[ $rc -eq 1 && $(wc -l <"$T/err") -eq 1 &&
		("$err" == *"database or disk is full"* || "$err" == *"No space left on device"*) ]]; then
		ok
	else
		bad "$1: rc=$rc (135: SIGBUS) stderr='$err'"
	fi
}

V7=$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der
FQDN=smdp.example.org
TOKEN=test-operator-token-0123456789
run auc add --db "$M/auc.db" --imsi 001010000000001 --k 000102030405060708090a0b0c0d0e0f \
	--opc 0f0e0d0c0b0a09080706050403020100
expect "auc add: rc" 0 "$rc"
run smdp profile generate --db "$M/smdp.db" --template "$V7" --iccid-start 898824700000002000 \
	--imsi-start 001019000000100 --count 20 --no-auc
expect "generate: rc" 0 "$rc"
ICC=()
for i in $(seq -w 0 19); do ICC+=("$(luhn 8988247000000020$i)"); done

# ----- a command opening a database that no process has open: it makes the -shm file -----
# (verbs that write: since session 73 the verbs that only read open the database read-only,
# and one may succeed on a full disk)
top=48
for ((l = top; l >= 0; l--)); do
	for what in auc smdp; do
		leave $l
		if [[ $what == auc ]]; then
			run auc vector 001010000000001 --db "$M/auc.db"
		else
			run smdp reports --resend --db "$M/smdp.db"
		fi
		clean "$what: open to write with $l KiB free"
		[[ $l -ne $top ]] || expect "$what: open to write with $l KiB free: rc" 0 "$rc"
		[[ $l -ne 0 ]] || expect "$what: open to write on a full disk: rc" 1 "$rc"
		# what a failed read left (nothing in it): the next command makes its own
		rm -f "$M/$what.db-shm" "$M/$what.db-wal"
	done
done

# ----- a running server, started with room: the disk fills, then an ES2+ order -----
{
	printf '%s\n' "fqdn = $FQDN" "oid = 2.999.10" "port = 0" "plain_http = yes" \
		"database = $M/smdp.db" "es2_token = $TOKEN"
	smdp_keyset_conf
} >"$T/smdp.conf"
chmod 600 "$T/smdp.conf"
"$B" pki init "$T/pki" --smdp-fqdn $FQDN >/dev/null
n=0
top=64
for ((l = top; l >= 0; l -= 4)); do
	unfill
	smdp_start "$T/smdp.conf"
	leave $l
	rm -f "$T/body"
	code=$(curl -s --max-time 60 -o "$T/body" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -H 'X-Admin-Protocol: gsma/rsp/v2.2.0' \
		-H "Authorization: Bearer $TOKEN" \
		-d "{\"header\":{\"functionRequesterIdentifier\":\"op\",\"functionCallIdentifier\":\"c$n\"},\"iccid\":\"${ICC[$n]}\"}" \
		"http://127.0.0.1:$PORT/gsma/rsp2/es2plus/downloadOrder" || true)
	n=$((n + 1))
	if [[ $code == 200 ]] || [[ $code == 500 && $(cat "$T/serve.log") == *"error=COMMIT: database or disk is full"* ]]; then
		ok
	else
		bad "ES2+ downloadOrder with $l KiB free: HTTP $code $(cat "$T/body")"
	fi
	[[ $l -ne $top ]] || expect "downloadOrder with $l KiB free: HTTP" 200 "$code"
	[[ $l -ne 0 ]] || expect "downloadOrder on a full disk: HTTP" 500 "$code"
	# a balancer takes the instance out while its writes find no room (until session 74
	# /health answered 200 "ok" here), and back in once room is made, with no write between
	if [[ $code == 500 ]]; then
		expect "/health with $l KiB free after a write found no room" "database disk full 503" \
			"$(curl -s --max-time 20 -w '%{http_code}' "http://127.0.0.1:$PORT/health" | tr '\n' ' ')"
	fi
	if [[ $l -eq 0 ]]; then
		unfill
		expect "/health once room was made" "ok 200" \
			"$(curl -s --max-time 20 -w '%{http_code}' "http://127.0.0.1:$PORT/health" | tr '\n' ' ')"
	fi
	smdp_stop # exit 0, not 135
done

finish
