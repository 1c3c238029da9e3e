# Shared by the tests/cli/*.sh scripts (sourced, not a test: ctest runs only cli/*.sh):
# pass/fail counters and the checks they all use. A script sets B (the openrsp binary) and
# T (its temporary directory) before it calls run, usage or failure, and ends with finish.
pass=0
fail=0
# openrsp warns on stderr when a TLS key log is asked for: not in the tests' stderr checks
unset SSLKEYLOGFILE GNUTLS_KEYLOGFILE

# Python for the checks: the interpreter itself, chosen once. A version manager's shim first on
# PATH (pyenv's, on the CI machines) costs about 0.4 s of CPU a call, and the scripts make
# hundreds of calls; Debian's python3 (scripts/setup.sh installs it) starts in 0.05 s.
if [[ -z ${PY:-} ]]; then
	if [[ -x /usr/bin/python3 ]]; then
		PY=/usr/bin/python3
	else
		PY=$(command python3 -c 'import sys; print(sys.executable)')
	fi
fi
python3() { "$PY" "$@"; }

# The JSON in $out: json KEY... prints one field (KEY a member name, or an array index, at
# each level); jload [INDEX] puts the fields of the object (or of its array element INDEX)
# into the associative array J. An object whose values are all lower-case hex strings (what
# `openrsp ... --json` prints for keys and vectors) is read here (json_flat); anything else
# by one Python run, whose start (some 30 ms of CPU here) the scripts would otherwise pay
# for each of hundreds of such answers.
declare -A J JF
JSON_FLAT='^\{("[A-Za-z0-9_]+":"[0-9a-f]*"(,"[A-Za-z0-9_]+":"[0-9a-f]*")*)?\}$'
JSON_MEMBER='^"([A-Za-z0-9_]+)":"([0-9a-f]*)",?(.*)$'
# json_flat: the members of such an object in $out into JF; status 1 (JF empty) for any other
json_flat() {
	local s
	JF=()
	[[ $out =~ $JSON_FLAT ]] || return 1
	s=${out:1:${#out}-2}
	while [[ $s =~ $JSON_MEMBER ]]; do
		JF[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
		s=${BASH_REMATCH[3]}
	done
}
json() {
	if (($# == 1)) && json_flat && [[ -v JF[$1] ]]; then
		printf '%s\n' "${JF[$1]}"
		return
	fi
	"$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
for k in sys.argv[2:]:
    d = d[int(k)] if isinstance(d, list) else d[k]
print(d)' "$out" "$@"
}
jload() {
	local k v
	J=()
	if (($# == 0)) && json_flat; then
		for k in "${!JF[@]}"; do J[$k]=${JF[$k]}; done
		return
	fi
	while IFS=$'\t' read -r k v; do J[$k]=$v; done < <("$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
if len(sys.argv) > 2:
    d = d[int(sys.argv[2])]
for k, v in d.items():
    print("%s\t%s" % (k, v))' "$out" "$@")
}

ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*" >&2
}
# run ARGS...: openrsp's stdout in $out, stderr in $err, exit status in $rc.
run() {
	rc=0
	out=$("$B" "$@" 2>"$T/err") || rc=$?
	err=$(cat "$T/err")
}
# expect DESC WANT GOT
expect() {
	if [[ "$2" == "$3" ]]; then ok; else bad "$1: got '$3', want '$2'"; fi
}
# has DESC NEEDLE HAYSTACK / lacks DESC NEEDLE HAYSTACK (case-insensitive). NEEDLE is one
# non-empty line: grep -F takes each line of a pattern as a pattern of its own, and an empty
# one matches anything, so a needle ending in a newline (or empty) made `has` pass whatever
# the haystack (until session 76: upgrade.sh had one), and `lacks` fail; such a needle is the
# test's mistake, said as a failure.
needle_ok() {
	[[ -n "$2" && "$2" != *$'\n'* ]] && return 0
	bad "$1: the needle '$2' is empty or has a newline: give one line (has/lacks)"
	return 1
}
has() {
	needle_ok "$1" "$2" || return 0
	if grep -qF -- "$2" <<<"$3"; then ok; else bad "$1: '$2' not in '$3'"; fi
}
lacks() {
	needle_ok "$1" "$2" || return 0
	if grep -qiF -- "$2" <<<"$3"; then bad "$1: '$2' must not appear"; else ok; fi
}
# nothing_left FILE...: none of them exists (each removed if it is there)
nothing_left() {
	local f
	for f in "$@"; do
		if [[ -e "$f" ]]; then
			bad "left $f"
			rm -rf "$f"
		else
			ok
		fi
	done
}
# usage NAME ARGS...: exit status 2, one stderr line "openrsp: NAME: ...", nothing on stdout.
usage() {
	local name=$1
	shift
	run "$@"
	if [[ $rc -eq 2 && "$err" == "openrsp: $name: "* && $(wc -l <"$T/err") -eq 1 && -z "$out" ]]; then
		ok
	else
		bad "usage error naming $name: rc=$rc stderr='$err' (args: $*)"
	fi
}
# failure WORD ARGS...: exit status 1, one stderr line "openrsp: ..." containing WORD.
failure() {
	local word=$1
	shift
	run "$@"
	if [[ $rc -eq 1 && "$err" == "openrsp: "*"$word"* && $(wc -l <"$T/err") -eq 1 ]]; then
		ok
	else
		bad "failure '$word': rc=$rc stderr='$err' (args: $*)"
	fi
}
# not_stdout NAME ARGS...: ARGS give "-" as an output path, which only `auc export --out -`
# takes as standard output: run in an empty directory, a usage error naming NAME that says
# so, and nothing made there (a file or directory named "-" was, until session 76)
not_stdout() {
	local name=$1
	shift
	rm -rf "$T/dash"
	mkdir "$T/dash"
	pushd "$T/dash" >/dev/null
	usage "$name" "$@"
	has "$name -: said" '"-" (standard output) is not taken here' "$err"
	popd >/dev/null
	if [[ -n $(ls -A "$T/dash") ]]; then bad "$name -: made $(ls -A "$T/dash") ($*)"; else ok; fi
}
# wchan_names: whether this kernel names the function a sleeping process waits in
# (/proc/PID/wchan), asked once of a sleep(1); "0" is also what it says of a running process
WCHAN_NAMES=""
wchan_names() {
	local sp w
	if [[ -z $WCHAN_NAMES ]]; then
		WCHAN_NAMES=no
		sleep 30 &
		sp=$!
		for _ in $(seq 1 100); do
			w=$(cat "/proc/$sp/wchan" 2>/dev/null || true)
			if [[ -n $w && $w != 0 ]]; then
				WCHAN_NAMES=yes
				break
			fi
			sleep 0.02
		done
		kill "$sp" 2>/dev/null || true
		wait "$sp" 2>/dev/null || true
	fi
	[[ $WCHAN_NAMES == yes ]]
}
# waiting_on_pipe PID: process PID sleeps in a write to a pipe (anon_pipe_write, pipe_write);
# on a kernel that names no such function, it sleeps (state S)
waiting_on_pipe() {
	local w
	if wchan_names; then
		w=$(cat "/proc/$1/wchan" 2>/dev/null) || return 1
		[[ $w == *pipe_write ]]
	else
		[[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == S ]]
	fi
}
# hidden_while_said DESC SECRETS ARGS...: openrsp ARGS with standard output and error on a pipe
# whose buffer is full, so that what it says first waits; meanwhile none of SECRETS (words
# separated by spaces) may be in its command line, each overwritten with x's instead. For a
# secret option the options stop before (a usage error in an option before it, -h): the
# message must not wait with the secret still in ps. Standard input is /dev/null.
hidden_while_said() {
	local desc=$1 secret p drain cmdline
	local -a secrets
	read -ra secrets <<<"$2"
	shift 2
	rm -f "$T/full"
	mkfifo "$T/full"
	exec 7<>"$T/full"
	head -c 65536 /dev/zero >&7 # the pipe's buffer full: a write to it waits
	"$B" "$@" >&7 2>&7 </dev/null &
	p=$!
	# asleep in its write to the pipe (/proc/PID/wchan; where the kernel does not say, asleep
	# at all), or gone; a sanitizer build starts slowly, and more so on a loaded machine: the
	# bound (2 minutes) is only there for a hang
	for _ in $(seq 1 2400); do
		waiting_on_pipe "$p" && break
		kill -0 "$p" 2>/dev/null || break
		sleep 0.05
	done
	cmdline=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null || true)
	for secret in "${secrets[@]}"; do
		lacks "$desc: $secret in the command line" "$secret" "$cmdline"
		has "$desc: $secret overwritten" "${secret//?/x}" "$cmdline"
	done
	cat <&7 >/dev/null &
	drain=$!
	wait "$p" 2>/dev/null || true
	kill "$drain" 2>/dev/null || true
	wait "$drain" 2>/dev/null || true
	exec 7>&-
	rm -f "$T/full"
}
# luhn DIGITS: DIGITS and its Luhn check digit (an ICCID's, as generate makes them)
luhn() {
	python3 -c 'import sys
d = sys.argv[1]; s = 0
for i, c in enumerate(reversed(d)):
    v = int(c) * (2 if i % 2 == 0 else 1); s += v - 9 if v > 9 else v
print(d + str((10 - s % 10) % 10))' "$1"
}
# The [keyset] section of an SM-DP+ configuration beside a `pki init` directory named pki.
smdp_keyset_conf() {
	echo "[keyset]"
	echo "ci = pki/ci/ci.der"
	echo "dpauth_cert = pki/smdp/dpauth.der"
	echo "dpauth_key = pki/smdp/dpauth_key.pem"
	echo "dppb_cert = pki/smdp/dppb.der"
	echo "dppb_key = pki/smdp/dppb_key.pem"
}
# A /metrics scrape checked by Prometheus' own tools (scripts/setup.sh installs both):
# promtool's lint, and the samples as prometheus_client's parser reads them, one per line
# (lib/prom_parse.py), into the variable named $2. Counts a failure of either with bad.
metrics_parse() {
	local _mp_out
	if _mp_out=$(promtool check metrics <<<"$1" 2>&1); then ok; else bad "promtool check metrics: $_mp_out"; fi
	if _mp_out=$(python3 "$(dirname "${BASH_SOURCE[0]}")/prom_parse.py" <<<"$1" 2>&1); then
		ok
		printf -v "$2" '%s' "$_mp_out"
	else
		bad "prometheus_client: $_mp_out"
		printf -v "$2" '%s' ""
	fi
}

# wait_for SECONDS WHAT COMMAND...: poll COMMAND every 50 ms until it succeeds; give up (exit
# 1) after SECONDS, saying WHAT did not happen, with the end of every $T/*.log.
wait_for() {
	local limit=$1 what=$2
	shift 2
	local end=$((SECONDS + limit))
	until "$@"; do
		if ((SECONDS >= end)); then
			echo "FAIL: gave up after ${limit} s waiting for: $what" >&2
			for f in "$T"/*.log; do
				echo "--- $f" >&2
				tail -20 "$f" >&2
			done
			exit 1
		fi
		sleep 0.05
	done
}
nonempty() { [[ -s "$1" ]]; }
# hold_db DB: another process with DB open in WAL mode, as an older `serve` keeps it (its pid
# in hpid, which the script's cleanup kills), until release_db
hold_db() {
	rm -f "$T/held" "$T/release"
	"$PY" -c 'import os, sqlite3, sys, time
d = sqlite3.connect(sys.argv[1])
d.execute("PRAGMA journal_mode=WAL").fetchone()
d.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.02)
d.close()' "$1" "$T/held" "$T/release" &
	hpid=$!
	wait_for 30 "the holder of $1" test -e "$T/held"
}
release_db() {
	touch "$T/release"
	wait "$hpid" || bad "the holder failed"
	hpid=""
}
# smdp_start CONF: `smdp serve --config CONF` in the background (its log $T/serve.log, its pid
# in server), once it has printed its port (in PORT); smdp_stop stops it (none running: nothing).
# served_device DB: a test PKI for smdp.example.org in $T/pki, a software eUICC of it in $T/dev,
# and $T/smdp.conf for that SM-DP+: plain HTTP on a free port, the database DB (relative: beside
# the configuration), the PKI's key set.
served_device() {
	local fqdn=smdp.example.org
	"$B" pki init "$T/pki" --smdp-fqdn $fqdn >/dev/null
	"$B" euicc init --state "$T/dev" --pki "$T/pki" >/dev/null
	{
		printf '%s\n' "fqdn = $fqdn" "oid = 2.999.10" "port = 0" "plain_http = yes" \
			"database = $1"
		smdp_keyset_conf
	} >"$T/smdp.conf"
}
server=""
# smdp_start CONF [STDERR]: the server in the background, its stderr in STDERR ($T/serve.log)
smdp_start() {
	: >"$T/port"
	"$B" smdp serve --config "$1" >"$T/port" 2>"${2:-$T/serve.log}" &
	server=$!
	wait_for 60 "smdp serve to print its port" nonempty "$T/port"
	# shellcheck disable=SC2034 # read by the scripts
	PORT=$(head -1 "$T/port")
}
smdp_stop() {
	if [[ -n "$server" ]]; then
		stop_checked "$server" "smdp serve" "$T/serve.log"
	fi
	server=""
}
# metric SERIES: its value in a /metrics scrape of the server on $PORT (SERIES with its
# labels, if any)
metric() {
	curl -s --max-time 20 "http://127.0.0.1:$PORT/metrics" | awk -v s="$1" '$1 == s { print $2 }'
}
# stop_checked PID WHAT [LOG]: SIGTERM to a server started in the background, which exits 0 at
# its stop; anything else (a sanitizer's report at the stop or after the last request, a
# crash) is a failure, with the end of its LOG. It passed unseen before.
stop_checked() {
	local st=0
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || st=$?
	if [[ $st -eq 0 ]]; then
		ok
	else
		bad "$2 (process $1) exited $st at its stop${3:+: $(tail -n 5 "$3" 2>/dev/null)}"
	fi
}
# hold_write_lock DB: another connection takes DB's write lock (BEGIN IMMEDIATE, or BEGIN
# $LOCK_KIND: EXCLUSIVE keeps the readers of a database in rollback-journal mode out too) and
# holds it until release_write_lock (at most 2 minutes: a bound for a hang only, as the waits below; a
# sanitizer's openrsp on a loaded machine starts many times slower); returns once it is held.
# For a command that must be caught while it waits for the database.
hold_write_lock() {
	rm -f "$T/lock.held" "$T/lock.release"
	"$PY" -c '
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN " + sys.argv[4])
open(sys.argv[2], "w").close()
for _ in range(12000):
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.01)
c.execute("ROLLBACK")' "$1" "$T/lock.held" "$T/lock.release" "${LOCK_KIND:-IMMEDIATE}" &
	LOCK_PID=$!
	wait_for 60 "the write lock on $1" test -e "$T/lock.held"
}
release_write_lock() {
	touch "$T/lock.release"
	wait "$LOCK_PID"
	rm -f "$T/lock.held" "$T/lock.release"
}
# opened PID NAME: process PID has a file open whose path ends in /NAME
opened() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[[ $(readlink "$fd" 2>/dev/null) == */"$2" ]] && return 0
	done
	return 1
}
# term_while_locked DB OUT ERR COMMAND...: COMMAND (stdout to OUT, stderr to ERR) started while
# another connection holds DB's write lock, sent SIGTERM once it has DB open (its signal
# handler is in place by then, and it is waiting for the lock), the lock then released; its
# exit status in $rc.
term_while_locked() {
	local db=$1 out=$2 errf=$3 pid
	shift 3
	hold_write_lock "$db"
	"$@" >"$out" 2>"$errf" &
	pid=$!
	wait_for 60 "$* opening $db" opened "$pid" "${db##*/}"
	kill -TERM "$pid" 2>/dev/null || true
	release_write_lock
	rc=0
	wait "$pid" || rc=$?
}
# SQL that takes a current SM-DP+ database one migration back, for `older`: migration 21 (the
# answers of recorded ES2+ confirmOrder calls, two columns of smdp_call) undone and its
# schema_migrations row removed
SMDP_ONE_BEHIND="ALTER TABLE smdp_call DROP COLUMN eid;
ALTER TABLE smdp_call DROP COLUMN matching_id;
DELETE FROM schema_migrations WHERE module = 'smdp' AND version = 21"
# older OLD SRC SQL: OLD a copy of the database SRC (and its KEK file SRC.kek) in
# rollback-journal mode with SQL run on it (a migration taken back: one behind), and
# OLD.orig its bytes, for `untouched`
older() {
	python3 -c '
import sqlite3, sys
s = sqlite3.connect(sys.argv[1])
d = sqlite3.connect(sys.argv[2])
s.backup(d)
s.close()
d.execute("PRAGMA journal_mode=DELETE")
d.executescript(sys.argv[3])
d.close()' "$2" "$1" "$3"
	cp "$2.kek" "$1.kek"
	cp "$1" "$1.orig"
}
# untouched DESC OLD: OLD has the bytes of OLD.orig, and no -wal or -shm beside it
untouched() {
	if cmp -s "$2" "$2.orig" && [[ ! -e "$2-wal" && ! -e "$2-shm" ]]; then ok; else bad "$1: $2 changed"; fi
}
# The closing line ctest's log shows, and the exit status.
finish() {
	echo "$pass passed, $fail failed"
	[[ $fail -eq 0 ]]
}

# A self-signed CI certificate (the CI policy) valid from $2 to $3 (YYYYMMDDHHMMSSZ, made by
# openssl ca: req has no dates of its choosing in OpenSSL 3.0) as $1/ci.pem and $1/ci/ci.der,
# with the key $4 copied to $1/ci/ci_key.pem, or a new P-256 key without $4.
dated_ci() {
	mkdir -p "$1/ci" "$1/db"
	if [[ -n "${4:-}" ]]; then
		cp "$4" "$1/ci/ci_key.pem"
	else
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1/ci/ci_key.pem" 2>/dev/null
	fi
	: >"$1/db/index.txt"
	echo 01 >"$1/db/serial"
	cat >"$1/ca.cnf" <<-EOF
		[ca]
		default_ca = ci
		[ci]
		database = $1/db/index.txt
		new_certs_dir = $1/db
		serial = $1/db/serial
		default_md = sha256
		policy = any
		x509_extensions = ext
		[any]
		commonName = supplied
		[ext]
		basicConstraints = critical, CA:true
		keyUsage = critical, keyCertSign, cRLSign
		certificatePolicies = critical, 2.23.146.1.2.1.0
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
	EOF
	openssl req -new -key "$1/ci/ci_key.pem" -subj "/CN=dated CI" -out "$1/ci.csr" 2>/dev/null
	openssl ca -batch -config "$1/ca.cnf" -selfsign -keyfile "$1/ci/ci_key.pem" -in "$1/ci.csr" \
		-startdate "$2" -enddate "$3" -out "$1/ci.pem" >/dev/null 2>&1
	openssl x509 -in "$1/ci.pem" -outform der -out "$1/ci/ci.der"
}
