#!/usr/bin/env bash
# Interop check with the TLS-terminating proxies docs/deploy.md puts in front of the SM-DP+,
# written elsewhere: Debian's HAProxy (`mode http`) and nginx (`proxy_pass`), each taking
# TLS with the SM-DP+'s DPtls certificate and key and passing plain HTTP to `openrsp smdp
# serve` (`plain_http = yes`) on loopback.
#
#   sudo scripts/interop-proxy.sh [OPENRSP_BINARY]
#   scripts/interop-proxy.sh --ctest OPENRSP_BINARY
#
# Needs haproxy and nginx installed (`apt-get install haproxy nginx`, which scripts/setup.sh
# does; their system services are not used: each proxy runs here as a foreground process of
# its own, with a configuration written into the working directory). Run by hand it needs
# root: the proxy listens on port 443 of loopback and the test FQDN goes into /etc/hosts for
# the run (removed again on exit), so that openrsp's LPA reaches https://FQDN as a device
# would, trusting only the test CI. With --ctest (`make test` and CI, ctest proxy_interop)
# it needs no root and touches nothing outside its working directory: each proxy listens on
# a free port of loopback, and the LPA (--server-url), curl (--resolve) and the load reach
# it there, still checking that its certificate names the FQDN; a missing haproxy, nginx or
# python3 then skips the test (exit 77) instead of failing it.
#
# Checks, for each proxy: a whole download with openrsp's LPA and software eUICC through the
# proxy (the profile Installed on the SM-DP+, the enable notification, and for nginx the
# disable of the first profile, delivered); `GET /health` through the proxy answers 200; a
# request from 127.0.0.5 is logged with that client (`trusted_proxies = 127.0.0.1`, HAProxy's
# `option forwardfor`, nginx's `$proxy_add_x_forwarded_for`), not the one it forged; the
# request-smuggling probes (`GET /health` with an empty field name, obs-fold, a NUL in a
# value, mixed CRLF and bare LF, and a `:` line ended by a bare LF), sent as raw bytes over
# TLS to a second frontend of the same proxy whose server, a third SM-DP+ process that gets
# nothing else, is reached through a recording relay, so that the bytes the proxy forwards
# are seen: what each proxy does is printed (and what the SM-DP+ does with each probe sent
# to it directly), and the check fails only if a probe that reached the SM-DP+ still
# malformed was answered by a handler; one the proxy made well-formed may be (a proxy's
# choice, printed). Each proxy in front of two SM-DP+ processes on one database, one of them
# stopped by SIGTERM (`drain = 4`) under a steady load of ES9+ requests through the proxy; no
# request may fail (a connection error, a 502 or 503 of the proxy's) while the other takes
# over: HAProxy with `option httpchk GET /health`, `check inter 1s fall 2` (it must take the
# draining server out), nginx with an `upstream` block and `keepalive 8` (no active check:
# it sends to the draining server until its socket closes). One PASS or FAIL line per check;
# exit 0 when all pass. The working directory (test PKI with its keys, database, logs) is removed
# after a pass and kept after a failure.
set -euo pipefail

CTEST=0
if [ "${1:-}" = --ctest ]; then
	CTEST=1
	shift
fi
B=${1:-$(dirname "$0")/../build/openrsp}
FQDN=smdp.example.org
DRAIN=4
PY=/usr/bin/python3
pids=()
failed=0
checks=0

fail() {
	echo "interop-proxy: FAIL: $*" >&2
	exit 1
}
pass() {
	checks=$((checks + 1))
	echo "interop-proxy: PASS: $*"
}
bad() {
	checks=$((checks + 1))
	failed=$((failed + 1))
	echo "interop-proxy: FAIL: $*"
}
missing() { # missing WHAT: fail, or with --ctest skip
	if [ "$CTEST" = 1 ]; then
		echo "interop-proxy: SKIPPED: $* (scripts/setup.sh installs it)" >&2
		exit 77
	fi
	fail "$*"
}
[ -x "$B" ] || fail "$B is not the openrsp binary (build first, or give its path)"
[ "$CTEST" = 1 ] || [ "$(id -u)" = 0 ] || fail "needs root (port 443, /etc/hosts), or --ctest"
for prog in haproxy nginx curl; do
	command -v "$prog" >/dev/null || missing "$prog is needed (apt-get install haproxy nginx curl)"
done
[ -x "$PY" ] || missing "$PY is needed (the probes, the relay and the load)"
if [ "$CTEST" = 0 ] && (exec 3<>/dev/tcp/127.0.0.1/443) 2>/dev/null; then fail "port 443 is in use"; fi
B=$(realpath "$B")
data=$(realpath "$(dirname "$0")/../data")
T=$(mktemp -d /tmp/interop-proxy.XXXXXX)

# shellcheck source=SCRIPTDIR/lib/interop.bash
. "$(dirname "$0")/lib/interop.bash"
trap 'interop_cleanup $? interop-proxy "$FQDN" "$T"' EXIT

freeport() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# owns_port PID PORT: PID holds a socket listening on PORT of loopback (/proc/net/tcp's
# inode of it among PID's descriptors), not merely someone
owns_port() {
	local inode
	for inode in $(awk -v p="0100007F:$(printf '%04X' "$2")" '$2 == p && $4 == "0A" {print $10}' /proc/net/tcp); do
		find "/proc/$1/fd" -lname "socket:\[$inode\]" 2>/dev/null | grep -q . && return 0
	done
	return 1
}
# start_proxy WHAT "PORT..." LOG CMD...: CMD in the background, its output appended to LOG,
# its PID in PROXY_PID; returns once it listens itself on every PORT (a proxy that could not
# bind one may hold the others a while before it gives up), or 1 when it ended first (a port
# taken by another process between freeport and its bind: the caller picks others and tries
# again)
start_proxy() {
	local what=$1 ports=$2 log=$3 p all
	shift 3
	"$@" >>"$log" 2>&1 &
	pids+=($!)
	PROXY_PID=$!
	for _ in $(seq 1 100); do
		kill -0 "$PROXY_PID" 2>/dev/null || return 1
		all=1
		for p in $ports; do
			owns_port "$PROXY_PID" "$p" || all=0
		done
		[ "$all" = 1 ] && return 0
		sleep 0.1
	done
	fail "$what does not listen on ports $ports: $(tail -5 "$log")"
}
# another_port PORT: a free port other than PORT (freeport may give the same one twice)
another_port() {
	local p
	p=$(freeport)
	while [ "$p" = "$1" ]; do p=$(freeport); done
	echo "$p"
}

# ---- helpers in Python: a recording relay, the raw probes, the load during the drain ----
cat >"$T/relay.py" <<'EOF'
# relay.py PORTFILE TARGET_PORT LOG: accept on loopback, pass each connection on to
# 127.0.0.1:TARGET_PORT, append every byte the proxy sends towards the server to LOG
import socket, sys, threading
portfile, target, logname = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
log = open(logname, "ab", buffering=0)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(16)
open(portfile, "w").write("%d\n" % ls.getsockname()[1])
def pipe(src, dst, record):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            if record:
                with lock:
                    log.write(b)
            dst.sendall(b)
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = ls.accept()
    try:
        u = socket.create_connection(("127.0.0.1", target))
    except OSError:
        c.close()
        continue
    threading.Thread(target=pipe, args=(c, u, True), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c, False), daemon=True).start()
EOF

cat >"$T/probe.py" <<'EOF'
# probe.py NAME PORT TLS(0|1) CAFILE FQDN RELAYLOG SMDPLOG TABLE: send each probe as raw bytes,
# print what came back, what the proxy forwarded (RELAYLOG, "-" for none) and what the
# SM-DP+ logged; append a table row per probe to TABLE; exit 1 if a probe that reached the
# SM-DP+ still malformed was answered by a handler
import os, socket, ssl, sys, time
name, port, tls, cafile, fqdn, relaylog, smdplog, table = sys.argv[1:9]
port, tls = int(port), tls == "1"
H = fqdn.encode()
probes = [
    ("colon", "a field line `: v` after Host",
     b"GET /health HTTP/1.1\r\nHost: " + H + b"\r\n: v\r\nConnection: close\r\n\r\n"),
    ("obs-fold", "obs-fold `X-A: b` CRLF SP `c`",
     b"GET /health HTTP/1.1\r\nHost: " + H + b"\r\nX-A: b\r\n c\r\nConnection: close\r\n\r\n"),
    ("nul", "a NUL in a field value",
     b"GET /health HTTP/1.1\r\nHost: " + H + b"\r\nX-A: b\x00c\r\nConnection: close\r\n\r\n"),
    ("mixed", "CRLF and bare LF line endings",
     b"GET /health HTTP/1.1\r\nHost: " + H + b"\nX-A: b\r\nConnection: close\r\n\r\n"),
    # docs/http.md: the one layout the SM-DP+ cannot see (the same bytes as the empty line
    # once libmicrohttpd has read them), left to the proxy; sent directly it is not counted
    ("colon-lf", "a line `:` alone ended by a bare LF",
     b"GET /health HTTP/1.1\r\nHost: " + H + b"\r\n:\nX-A: b\r\nConnection: close\r\n\r\n"),
]
def size(f):
    try:
        return os.path.getsize(f)
    except OSError:
        return 0
def tail(f, off):
    if f == "-":
        return b""
    with open(f, "rb") as h:
        h.seek(off)
        return h.read()
def malformed(sect):
    """what is still malformed in a forwarded header section (bytes), or ''"""
    lines = sect.split(b"\n")
    what = []
    if b"\x00" in sect:
        what.append("NUL")
    crlf = [l.endswith(b"\r") for l in lines[:-1]]
    if crlf and any(crlf) and not all(crlf):
        what.append("mixed line endings")
    for l in lines[1:]:
        if l.startswith(b":"):
            what.append("empty field name")
        if l[:1] in (b" ", b"\t") and l.strip(b"\r"):
            what.append("obs-fold")
    return ", ".join(what)
def shown(b):
    return repr(b)[2:-1]
bad = 0
for key, desc, req in probes:
    r0, l0 = size(relaylog) if relaylog != "-" else 0, size(smdplog)
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if tls:
        ctx = ssl.create_default_context(cafile=cafile)
        s = ctx.wrap_socket(s, server_hostname=fqdn)
    s.sendall(req)
    ans = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            ans += b
    except (socket.timeout, OSError):
        pass
    s.close()
    time.sleep(0.3)
    fwd = tail(relaylog, r0) if relaylog != "-" else req
    logged = tail(smdplog, l0).decode(errors="replace").strip().splitlines()
    status = ans.split(b"\r\n", 1)[0].decode(errors="replace") or "(no answer, connection closed)"
    body = ans.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in ans else b""
    code = status.split(" ")[1] if status.startswith("HTTP/") else "-"
    handler = [l for l in logged if "function=health" in l and "http=200" in l]
    if code == "200" and body.strip() == b"ok":
        handler.append("answer 200 ok")
    if relaylog == "-":
        who = "%s %s; the SM-DP+ logged: %s" % (status, shown(body[:90]),
                                                 "; ".join(l.replace("openrsp smdp: ", "") for l in logged))
        row = "answers %s %s" % (code, shown(body[:80]))
        if handler and key == "colon-lf":
            row += " (known: docs/http.md)"
        elif handler:
            bad += 1
            row += " (FAIL: the handler)"
    elif not fwd and not logged:
        who = "refused by the proxy itself: %s" % status
        row = "refuses it: %s" % code
    else:
        sect = fwd.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in fwd else fwd.split(b"\n\n", 1)[0]
        m = malformed(sect)
        hdr = [shown(l.rstrip(b"\r")) for l in sect.split(b"\n")[1:]]
        how = ("as sent (still %s)" % m) if m else "normalised"
        smdp = "; ".join(l.replace("openrsp smdp: ", "") for l in logged) or "nothing"
        who = "forwarded %s: %s; the SM-DP+ logged: %s; answer %s %s" % (
            how, " | ".join(hdr), smdp, status, shown(body[:90]))
        if handler and m:
            bad += 1
            who = "REACHED A HANDLER MALFORMED: " + who
            row = "forwards it %s: the handler answered %s (FAIL)" % (how, code)
        elif handler:
            row = "forwards it normalised (%s): /health answers %s" % (" | ".join(hdr)[:60], code)
        else:
            row = "forwards it %s: the SM-DP+ answers %s" % (how, code)
    print("interop-proxy: %s probe %s (%s): %s" % (name, key, desc, who))
    with open(table, "a") as t:
        t.write("%s\t%s\t%s\n" % (name, key, row))
sys.exit(1 if bad else 0)
EOF

cat >"$T/load.py" <<'EOF'
# load.py PORT CAFILE FQDN STOPFILE OUT: ES9+ initiateAuthentication with an incomplete body
# (answered at once, 1.2/2.1, by whichever SM-DP+ gets it) through the proxy on
# 127.0.0.1:PORT, its certificate checked for FQDN, until STOPFILE exists: two workers on
# keep-alive connections, one opening a connection per request. One line per request in OUT:
# time, worker, status (or ERR and the exception), the backend HAProxy names, the start of
# the body.
import http.client, json, os, socket, ssl, sys, threading, time
port, cafile, fqdn, stop, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=cafile)
class Conn(http.client.HTTPSConnection):
    """the proxy on loopback, whatever FQDN resolves to; Host: and SNI name FQDN"""
    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        # as http.client's own connect: headers and body go out as they are written (else
        # nginx's delayed ACK holds the body's TLS record back 40 ms)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = ctx.wrap_socket(s, server_hostname=fqdn)
lock = threading.Lock()
f = open(out, "w")
hdrs = {"X-Admin-Protocol": "gsma/rsp/v2.2.0", "Content-Type": "application/json"}
def work(wid, keep):
    c = None
    while not os.path.exists(stop):
        t = time.time()
        try:
            if c is None:
                c = Conn(fqdn, port, context=ctx, timeout=10)
            c.request("POST", "/gsma/rsp2/es9plus/initiateAuthentication", body=b"{}", headers=hdrs)
            r = c.getresponse()
            body = r.read()
            rec = [t, wid, r.status, r.getheader("X-Backend", "-"), body[:80].decode(errors="replace")]
            if not keep or r.will_close:
                c.close()
                c = None
        except Exception as e:
            rec = [t, wid, "ERR", "-", "%s: %s" % (type(e).__name__, e)]
            try:
                c.close()
            except Exception:
                pass
            c = None
        with lock:
            f.write(json.dumps(rec) + "\n")
            f.flush()
        time.sleep(0.005)
ts = [threading.Thread(target=work, args=(i, i < 2)) for i in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
EOF

# ---- the SM-DP+ side: PKI, inventory, orders, two processes on one database, the eUICC ----
cd "$T"
mkdir -p proxy relay
"$B" pki init pki --smdp-fqdn "$FQDN" >/dev/null
# one configuration for every SM-DP+ process: port 0, so that each takes a free port itself
# and prints it (no port chosen here that another test could take before the server binds it)
printf '%s\n' "fqdn = $FQDN" "oid = 2.999.10" "listen = 127.0.0.1" "port = 0" \
	"plain_http = yes" "drain = $DRAIN" "database = smdp.db" \
	"trusted_proxies = 127.0.0.1" "[keyset]" \
	"ci = pki/ci/ci.der" "dpauth_cert = pki/smdp/dpauth.der" \
	"dpauth_key = pki/smdp/dpauth_key.pem" "dppb_cert = pki/smdp/dppb.der" \
	"dppb_key = pki/smdp/dppb_key.pem" >smdp.conf
"$B" smdp profile generate --no-auc --db smdp.db --template "$data/profiles/ts48-v7-saip2.3-nobertlv.der" \
	--iccid-start 898824700000004000 --imsi-start 001019000004000 --count 2 >/dev/null 2>generate.log
mapfile -t ICCIDS < <("$B" smdp profile list --db smdp.db --json |
	"$PY" -c 'import json,sys; [print(p["iccid"]) for p in json.load(sys.stdin)]')
[ "${#ICCIDS[@]}" = 2 ] || fail "generated ${#ICCIDS[@]} profiles, want 2"
declare -A AC=()
for i in "${ICCIDS[@]}"; do
	AC[$i]=$("$B" smdp order --config smdp.conf --iccid "$i" --release)
done
"$B" euicc init --state euicc --pki pki >/dev/null

declare -A SPID=()
start_smdp() { # start_smdp NAME VAR: its port (printed once it listens) into VAR
	local port=
	: >"smdp-$1.port"
	"$B" smdp serve --config smdp.conf >"smdp-$1.port" 2>"smdp-$1.log" &
	pids+=($!)
	SPID[$1]=$!
	for _ in $(seq 1 300); do
		port=$(cat "smdp-$1.port")
		[ -n "$port" ] && break
		kill -0 "${SPID[$1]}" 2>/dev/null || break
		sleep 0.1
	done
	[[ "$port" =~ ^[0-9]+$ ]] || fail "the SM-DP+ ($1) did not start: $(tail -5 "smdp-$1.log")"
	printf -v "$2" '%s' "$port"
}
start_smdp a PA
start_smdp b PB
start_smdp c PC # the probes' only: its log shows nothing but them
# where each proxy takes TLS: port 443 and the FQDN in /etc/hosts, as a device reaches an
# SM-DP+; with --ctest a free port (chosen as each proxy starts), which the LPA, curl and the
# load are sent to
if [ "$CTEST" = 0 ]; then
	echo "127.0.0.1 $FQDN # interop-proxy" >>/etc/hosts
	PX=443
	PN=443
fi

# the DPtls certificate and key as the proxies take them (HAProxy: one file with both)
cat pki/smdp/dptls.pem pki/smdp/dptls_key.pem >proxy/dptls-haproxy.pem
chmod 600 proxy/dptls-haproxy.pem
haproxy_v=$(haproxy -v | awk 'NR == 1 {print $3}') # (no head: it would leave haproxy a SIGPIPE)
nginx_v=$(nginx -v 2>&1 | sed 's|.*nginx/||')
echo "interop-proxy: HAProxy $haproxy_v, nginx $nginx_v, $("$B" --version | sed -n 1p)"

LPA=(--euicc local:euicc)
to_proxy() { # to_proxy PORT: where the LPA (SRV) and curl (CURL) reach the proxy
	TLSPORT=$1
	CURL=(curl -s --max-time 10 --cacert pki/ci/ci.pem)
	SRV=()
	if [ "$CTEST" = 1 ]; then
		CURL+=(--resolve "$FQDN:$1:127.0.0.1")
		SRV=(--server-url "https://127.0.0.1:$1")
	fi
}
served_logs() { cat smdp-a.log smdp-b.log smdp-d.log 2>/dev/null; } # all but the probes' SM-DP+
notified() { served_logs | grep -c "function=handleNotification .*http=204 result=ok" || true; }
state() { "$B" smdp profile list --db smdp.db --iccid "$1" | awk -v i="$1" '$1 == i {print $3}'; }

check_download() { # check_download PROXY ICCID WANT_NOTIFICATIONS PROXYLOG
	local p=$1 i=$2 want=$3 n0 n1 out es9
	n0=$(notified)
	if ! out=$("$B" lpa profile download -a "${AC[$i]}" --ca pki/ci/ci.pem "${SRV[@]}" "${LPA[@]}" 2>&1) ||
		! grep -q "^installed $i" <<<"$out"; then
		bad "$p: download of $i through the proxy: $(tail -3 <<<"$out")"
		return
	fi
	[ "$(state "$i")" = installed ] || {
		bad "$p: download: the SM-DP+ shows $i $(state "$i"), not installed"
		return
	}
	if ! out=$("$B" lpa profile enable "$i" "${LPA[@]}" 2>&1) ||
		! out=$("$B" lpa notification process --ca pki/ci/ci.pem "${SRV[@]}" "${LPA[@]}" 2>&1); then
		bad "$p: enable and notifications through the proxy: $(tail -3 <<<"$out")"
		return
	fi
	out=$("$B" lpa notification list --json "${LPA[@]}" 2>&1) || true
	grep -q '"data":\[\]' <<<"$out" || {
		bad "$p: notifications left on the eUICC: $out"
		return
	}
	n1=$(notified)
	[ $((n1 - n0)) -eq "$want" ] || {
		bad "$p: the SM-DP+ accepted $((n1 - n0)) notifications, want $want"
		return
	}
	es9=$(grep -c "es9plus" "$4" || true)
	[ "$es9" -ge $((3 + want)) ] || {
		bad "$p: the proxy's log shows $es9 ES9+ requests, want at least $((3 + want))"
		return
	}
	pass "$p: download of $i through the proxy (LPA:1\$$FQDN\$...): installed; $want notification(s) (installation result, enable$([ "$want" -gt 2 ] && echo ", disable")) delivered, 204; $es9 ES9+ requests in the proxy's log"
}
check_health() { # check_health PROXY
	local out
	out=$("${CURL[@]}" -o health.body -w '%{http_code}' "https://$FQDN:$TLSPORT/health") || true
	out="$out $(cat health.body 2>/dev/null)"
	if [ "$out" = "200 ok" ]; then
		pass "$1: GET https://$FQDN:$TLSPORT/health through the proxy: 200 ok"
	else
		bad "$1: GET /health through the proxy: $out"
	fi
}
check_forwarded() { # check_forwarded PROXY: a 404 from 127.0.0.5 logged with that client
	local n0 out
	n0=$(served_logs | grep -c "client=127.0.0.5 via=127.0.0.1 method=GET path=/no-such-path" || true)
	out=$("${CURL[@]}" --interface 127.0.0.5 -o /dev/null -w '%{http_code}' \
		-H 'X-Forwarded-For: 192.0.2.66' "https://$FQDN:$TLSPORT/no-such-path") || true
	# (a 404 is logged by the HTTP server's hook once it is out: a moment later, longer beside
	# a sanitizer's server on a loaded machine; up to a minute)
	for _ in $(seq 1 600); do
		[ "$out" = 404 ] || break
		[ "$(served_logs | grep -c "client=127.0.0.5 via=127.0.0.1 method=GET path=/no-such-path" || true)" -gt "$n0" ] && break
		sleep 0.1
	done
	if [ "$out" = 404 ] && [ "$(served_logs | grep -c "client=127.0.0.5 via=127.0.0.1 method=GET path=/no-such-path" || true)" -gt "$n0" ]; then
		pass "$1: X-Forwarded-For: a 404 from 127.0.0.5 through the proxy is logged client=127.0.0.5 via=127.0.0.1 (the client's own X-Forwarded-For entry, 192.0.2.66, is not taken: the proxy's entry is the rightmost untrusted one)"
	else
		bad "$1: X-Forwarded-For: answer $out; the SM-DP+ did not log client=127.0.0.5 via=127.0.0.1"
	fi
}
check_probes() { # check_probes PROXY PROBE_PORT SMDPLOG
	if "$PY" probe.py "$1" "$2" 1 pki/ci/ci.pem "$FQDN" relay/log "$3" probes.tsv; then
		pass "$1: smuggling probes: none reached a handler malformed (what the proxy did: above)"
	else
		bad "$1: smuggling probes: a malformed request reached a handler (above)"
	fi
}
start_relay() { # start_relay TARGET_PORT: the recording relay, its port in RELAY
	rm -f relay/port relay/log
	: >relay/log
	"$PY" relay.py relay/port "$1" relay/log &
	pids+=($!)
	RELAY_PID=$!
	for _ in $(seq 1 50); do
		[ -s relay/port ] && break
		sleep 0.1
	done
	[ -s relay/port ] || fail "the relay did not start"
	RELAY=$(cat relay/port)
}

stop_under_load() { # stop_under_load PROXY PORT NAME STOPPED OTHER: the SM-DP+ NAME (the
	# proxy's server STOPPED, as its X-Backend names it) SIGTERMed under the load through the
	# proxy on PORT; no request may fail, and OTHER must answer all after NAME's exit. HAProxy:
	# when its check marked STOPPED DOWN, which a drain must come before
	local p=$1 port=$2 pid=${SPID[$3]} stopped=$4 other=$5 t_term t_down="" t_exit rc=0 out ok
	local dr
	dr=$(sed -n 's/^drain = //p' smdp.conf)
	rm -f stop
	"$PY" load.py "$port" pki/ci/ci.pem "$FQDN" stop "load-$p.jsonl" &
	pids+=($!)
	local load=$!
	sleep 1.5
	t_term=$(date +%s.%N)
	kill -TERM "$pid"
	for _ in $(seq 1 $(((dr + 20) * 10))); do
		[ "$p" = haproxy ] && [ -z "$t_down" ] && [ "$(hastate "$stopped")" = DOWN ] &&
			t_down=$(date +%s.%N)
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$pid" || rc=$?
	t_exit=$(date +%s.%N)
	sleep 2
	touch stop
	wait "$load" || true
	if out=$("$PY" - "load-$p.jsonl" "$t_term" "$t_exit" "$stopped" "$other" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
t_term, t_exit, a, b = float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
# nginx's $upstream_addr lists every server tried, the one that answered last
for r in recs:
    r[3] = r[3].split(", ")[-1]
bad = [r for r in recs if r[2] != 200 or r[3] not in (a, b)
       or '"functionExecutionStatus"' not in r[4]]
def n(cond):
    return sum(1 for r in recs if cond(r))
print("%d requests, %d failed; before SIGTERM the stopped one %d, the other %d; during its "
      "stop %d, %d; after its exit %d, %d" % (
          len(recs), len(bad),
          n(lambda r: r[0] < t_term and r[3] == a), n(lambda r: r[0] < t_term and r[3] == b),
          n(lambda r: t_term <= r[0] < t_exit and r[3] == a),
          n(lambda r: t_term <= r[0] < t_exit and r[3] == b),
          n(lambda r: r[0] >= t_exit and r[3] == a), n(lambda r: r[0] >= t_exit and r[3] == b)))
for r in bad[:10]:
    print("  failed at %+.2f s after SIGTERM: %s" % (r[0] - t_term, r[2:]))
sys.exit(1 if bad or not recs or n(lambda r: r[0] >= t_exit and r[3] == a)
         or not n(lambda r: r[0] >= t_exit and r[3] == b) else 0)
PYEOF
	); then ok=1; else ok=0; fi
	if [ "$p" = haproxy ]; then
		local down_after drained
		down_after=$([ -n "$t_down" ] && awk -v a="$t_down" -v b="$t_term" 'BEGIN{printf "%.1f s", a-b}' || echo never)
		drained=$(grep -c 'health function=health .*http=503' "smdp-$3.log" || true)
		if [ "$ok" = 1 ] && [ "$rc" = 0 ] && [ -n "$t_down" ] && grep -q "drain over after" "smdp-$3.log"; then
			pass "$p: drain: $stopped SIGTERM with drain = $dr: HAProxy marked it DOWN after $down_after ($drained checks answered 503 draining), exit 0; ${out%%$'\n'*}"
		else
			bad "$p: drain: $stopped exit $rc, DOWN after $down_after, $drained 503 checks; $out"
		fi
	elif [ "$ok" = 1 ] && [ "$rc" = 0 ]; then
		pass "$p: one of two upstream servers (keepalive 8) SIGTERMed with drain = $dr: exit 0; ${out%%$'\n'*}"
	else
		bad "$p: one of two upstream servers (keepalive 8) SIGTERMed with drain = $dr: exit $rc; $out"
	fi
}

# the SM-DP+ alone first, for the table: what it does with each probe sent to it directly
"$PY" probe.py smdp-direct "$PC" 0 - "$FQDN" - smdp-c.log probes.tsv >probes-direct.txt ||
	fail "a probe sent directly reached the SM-DP+'s handler ($("$B" --version | grep '^libmicrohttpd')): $(cat probes-direct.txt)"
cat probes-direct.txt

# ---- HAProxy ----
start_relay "$PC"
haproxy_cfg() {
cat >proxy/haproxy.cfg <<EOF
global
	log stdout format raw local0 info
	stats socket $T/proxy/haproxy.sock mode 600 level admin
defaults
	mode http
	log global
	option httplog
	timeout connect 2s
	timeout client 30s
	timeout server 30s
	timeout http-request 10s
frontend smdp_tls
	bind 127.0.0.1:$PX ssl crt $T/proxy/dptls-haproxy.pem
	default_backend smdp
backend smdp
	option forwardfor
	option httpchk GET /health
	http-check expect status 200
	http-response set-header X-Backend %s
	server smdp1 127.0.0.1:$PA check inter 1s fall 2
	server smdp2 127.0.0.1:$PB check inter 1s fall 2
frontend probes_tls
	bind 127.0.0.1:$HPROBE ssl crt $T/proxy/dptls-haproxy.pem
	default_backend probes
backend probes
	server relay 127.0.0.1:$RELAY
EOF
}
for try in 1 2 3; do
	[ "$CTEST" = 1 ] && PX=$(freeport)
	HPROBE=$(another_port "$PX")
	haproxy_cfg
	haproxy -c -q -f proxy/haproxy.cfg || fail "haproxy refuses its configuration"
	start_proxy haproxy "$PX $HPROBE" proxy/haproxy.log haproxy -db -f proxy/haproxy.cfg && break
	[ "$try" = 3 ] && fail "haproxy did not start: $(tail -5 proxy/haproxy.log)"
done
HAPROXY_PID=$PROXY_PID
hastate() { # hastate SERVER: its status in HAProxy's statistics (UP, DOWN, ...)
	"$PY" - "$T/proxy/haproxy.sock" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
d = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    d += b
lines = d.decode().splitlines()
cols = lines[0].lstrip("# ").split(",")
for l in lines[1:]:
    f = dict(zip(cols, l.split(",")))
    if f.get("pxname") == "smdp" and f.get("svname") == sys.argv[2]:
        print(f["status"].split(" ")[0])
EOF
}
for _ in $(seq 1 50); do
	[ "$(hastate smdp1)" = UP ] && [ "$(hastate smdp2)" = UP ] && break
	sleep 0.1
done
if [ "$(hastate smdp1)" != UP ] || [ "$(hastate smdp2)" != UP ]; then
	fail "HAProxy does not see both SM-DP+ processes UP: smdp1 $(hastate smdp1), smdp2 $(hastate smdp2)"
fi

to_proxy "$PX"
check_download haproxy "${ICCIDS[0]}" 2 proxy/haproxy.log
check_health haproxy
check_forwarded haproxy
check_probes haproxy "$HPROBE" smdp-c.log
kill "$RELAY_PID"

# the drain: smdp1 (drain = 4) stopped under load, smdp2 takes over
stop_under_load haproxy "$PX" a smdp1 smdp2
kill "$HAPROXY_PID"
wait "$HAPROXY_PID" 2>/dev/null || true

# ---- nginx, in front of the second SM-DP+ and a fourth ----
start_smdp d PD
start_relay "$PC"
mkdir -p proxy/nginx/tmp
nginx_user="# (not root: the workers run as this user)"
if [ "$(id -u)" = 0 ]; then # the workers as www-data, as Debian runs them
	nginx_user="user www-data;"
	chown www-data proxy/nginx/tmp
	chmod 711 "$T" proxy proxy/nginx
fi
nginx_cfg() {
cat >proxy/nginx.conf <<EOF
daemon off;
$nginx_user
worker_processes 1;
pid $T/proxy/nginx/nginx.pid;
error_log $T/proxy/nginx/error.log info;
events { worker_connections 256; }
http {
	access_log $T/proxy/nginx/access.log;
	client_body_temp_path $T/proxy/nginx/tmp/body;
	proxy_temp_path $T/proxy/nginx/tmp/proxy;
	fastcgi_temp_path $T/proxy/nginx/tmp/fastcgi;
	uwsgi_temp_path $T/proxy/nginx/tmp/uwsgi;
	scgi_temp_path $T/proxy/nginx/tmp/scgi;
	ssl_certificate $T/pki/smdp/dptls.pem;
	ssl_certificate_key $T/pki/smdp/dptls_key.pem;
	proxy_http_version 1.1;
	proxy_set_header Connection "";
	proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
	upstream smdp {
		server 127.0.0.1:$PB;
		server 127.0.0.1:$PD;
		keepalive 8;
	}
	server {
		listen 127.0.0.1:$PN ssl;
		server_name $FQDN;
		location / {
			proxy_pass http://smdp;
			add_header X-Backend \$upstream_addr always;
		}
	}
	server {
		listen 127.0.0.1:$NPROBE ssl;
		server_name $FQDN;
		location / { proxy_pass http://127.0.0.1:$RELAY; }
	}
}
EOF
}
for try in 1 2 3; do
	[ "$CTEST" = 1 ] && PN=$(freeport)
	NPROBE=$(another_port "$PN")
	nginx_cfg
	nginx -t -q -p "$T/proxy/nginx/" -e "$T/proxy/nginx/error.log" -c "$T/proxy/nginx.conf" ||
		fail "nginx refuses its configuration: $(tail -3 proxy/nginx/error.log)"
	start_proxy nginx "$PN $NPROBE" proxy/nginx/error.log \
		nginx -p "$T/proxy/nginx/" -e "$T/proxy/nginx/error.log" -c "$T/proxy/nginx.conf" && break
	[ "$try" = 3 ] && fail "nginx did not start: $(tail -5 proxy/nginx/error.log)"
done

# the second profile: enabling it disables the first, so three notifications
to_proxy "$PN"
check_download nginx "${ICCIDS[1]}" 3 proxy/nginx/access.log
check_health nginx
check_forwarded nginx
check_probes nginx "$NPROBE" smdp-c.log
kill "$RELAY_PID"
# nginx has no active check (a draining /health is not seen): it goes on sending to the
# draining server, whose answers (Connection: close) end nginx's pooled connections to it,
# and once that one's socket closes, passes each request whose connect is refused on
stop_under_load nginx "$PN" d "127.0.0.1:$PD" "127.0.0.1:$PB"

echo "interop-proxy: the probes (proxy, probe, what happened):"
sed 's/^/  /' probes.tsv
if [ "$failed" = 0 ]; then
	echo "interop-proxy: PASS ($checks checks)"
else
	echo "interop-proxy: FAIL ($failed of $checks checks failed)"
	exit 1
fi
