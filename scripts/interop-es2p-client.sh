#!/usr/bin/env bash
# Interop check with pySim's ES2+ client (pySim.esim.es2p.Es2pApiClient), an operator-side
# client that nobody here wrote: it drives the ES2+ functions of `openrsp smdp serve`
# (downloadOrder, confirmOrder, releaseProfile, cancelOrder), pySim encoding every request
# and decoding and validating every answer with its own code (its ICCID, EID and header
# checks; a refusal raised as its ApiError).
#
#   PYSIM=/path/to/pysim [PYTHONPATH=...] [PYTHON=python3] scripts/interop-es2p-client.sh [OPENRSP_BINARY]
#
# PYSIM names a pySim checkout of your own (2024 or later: pySim/esim/es2p.py); PYTHON (default
# python3) must import requests. The ES2+ client needs none of the other Python dependencies
# of osmo-smdpp (scripts/lib/osmo-smdpp.bash), but a PYTHONPATH with them is kept. Needs no
# root: the SM-DP+ listens on a free high port of loopback over HTTPS with the DPtls
# certificate of a test PKI made by `openrsp pki init`, which the client checks against that
# PKI's CI for the SM-DP+'s FQDN (a requests transport adapter connects to 127.0.0.1 and names
# the FQDN in SNI and the host name check: no /etc/hosts entry; ES2+ itself does not look at
# the host the client addressed). The operator authenticates either way the server takes:
# `Authorization: Bearer <es2_token>` in the client's requests session, or a client
# certificate of `es2_client_ca` (an operator CA made here with openssl) given to pySim's own
# client_cert. The client's requests session does not read the environment (trust_env off):
# requests would take REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE over pySim's server_cert_verify, and
# a proxy for loopback. Not run by `make test` or CI.
#
# Checks (each state read back with `openrsp smdp profile list --json`, and each refusal's
# subjectCode/reasonCode those of docs/smdp-server.md, "ES2+ as implemented"):
# - without authentication, with a wrong token and with a client certificate of another CA:
#   HTTP 401 with `WWW-Authenticate: Bearer`, nothing ordered; with the operator's client
#   certificate and no token an unknown ICCID is answered by ES2+ (8.2.1/3.9);
# - a 20-digit ICCID (TS.48 v7) ordered with an EID (Linked, the ICCID returned) and confirmed
#   with the operator's matchingId and releaseFlag true (that matchingId, the EID and the
#   FQDN returned; Released); releaseProfile of it 8.2.1/3.5, a second downloadOrder 8.2.1/3.3,
#   cancelOrder with another matchingId 8.2.6/3.10, each leaving it Released; cancelOrder
#   Unavailable with its EID and matchingId: Unavailable, and downloadOrder 8.2.1/3.3 after;
# - a 19-digit ICCID (pySim's TS.48 copy with its own ICCID), which pySim sends padded with F:
#   ordered with an EID, the answer its 19 digits; confirmOrder with another EID 8.1.1/3.10,
#   with the matchingId of another order 8.2.6/3.3, cancelOrder with another EID 8.1.1/3.10,
#   each leaving it Linked; cancelOrder Available: Available, EID and matchingId cleared;
# - by profileType (three generated 19-digit profiles of a type of their own): the first one
#   returned (Allocated), confirmed without matchingId and releaseFlag false (the server's
#   generated matchingId, no EID; Confirmed), releaseProfile (Released, the same matchingId);
#   the second ordered with an EID, cancelled Available, ordered again by type (the same
#   profile, Allocated), cancelled Unavailable; the third returned, its confirmOrder with an
#   smdsAddress refused 8.9/5.1 (SM-DS event registration is not implemented,
#   docs/smdp.md) leaving it Allocated, then confirmed with an EID (bound to the order placed
#   without one) and a confirmationCode, releaseFlag true (the EID returned, downloadOrder's
#   matchingId kept; Released, a code required); then the type has none left, 8.2.5/3.7; an
#   unknown type 8.2.5/3.9; an ICCID with another profile's type 8.2.5/3.8; these calls go
#   over mutual TLS, the others with the token;
# - pySim decoded every answer without a warning (it warns of a member it does not know);
# - the SM-DP+ logged every call as ES2+ with no 500, and never the token.
# Exit 0 when all hold.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
B=$(realpath "${1:-$here/../build/openrsp}")
V=$here/../tests/vectors
FQDN=smdp.example.org
PY=${PYTHON:-python3}
pid=""

fail() {
	echo "interop-es2p-client: FAIL: $*" >&2
	exit 1
}
[ -x "$B" ] || fail "$B is not the openrsp binary (build first, or give its path)"
if [ -z "${PYSIM:-}" ] || [ ! -f "$PYSIM/pySim/esim/es2p.py" ]; then fail "set PYSIM to a pySim checkout"; fi
command -v openssl >/dev/null || fail "openssl is not installed (the operator's client certificates)"
PYTHONPATH="$PYSIM${PYTHONPATH:+:$PYTHONPATH}" "$PY" -c 'import requests, pySim.esim.es2p' 2>/dev/null ||
	fail "$PY cannot import requests and pySim.esim.es2p (PYSIM=$PYSIM)"

T=$(mktemp -d /tmp/interop-es2p-client.XXXXXX)
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# the SM-DP+'s PKI (DPtls for the FQDN), and the operator's: a CA of its own for es2_client_ca,
# a client certificate of it (clientAuth, as the server asks), and one of another CA
"$B" pki init "$T/pki" --smdp-fqdn $FQDN >/dev/null
mint() { # mint NAME SUBJECT [ISSUER]: a P-256 key and certificate, self-signed CA without ISSUER
	local name=$1 subject=$2 issuer=${3:-}
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$name.key" 2>/dev/null
	chmod 600 "$T/$name.key"
	if [ -z "$issuer" ]; then
		openssl req -x509 -new -key "$T/$name.key" -subj "$subject" -days 2 -out "$T/$name.pem" \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
	else
		openssl req -new -key "$T/$name.key" -subj "$subject" -out "$T/$name.csr"
		printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$T/$name.ext"
		openssl x509 -req -in "$T/$name.csr" -CA "$T/$issuer.pem" -CAkey "$T/$issuer.key" \
			-CAcreateserial -days 2 -extfile "$T/$name.ext" -out "$T/$name.pem" 2>/dev/null
	fi
}
mint opca "/O=interop operator/CN=operator ES2 CA"
mint op "/O=interop operator/CN=es2p-client" opca
mint otherca "/O=someone else/CN=another CA"
mint other "/O=someone else/CN=es2p-client" otherca

# the inventory: TS.48 v7 (ICCID of 20 digits), pySim's TS.48 v1 copy with an ICCID of 19
# digits, and three profiles of a type of their own generated from TS.48 v7 (19 digits each)
DB=$T/smdp.db
TYPE="openrsp ES2+ interop"
"$B" smdp profile import "$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" --db "$DB" >/dev/null
"$B" smdp profile import "$V/saip/pysim-unique/TS48V1-A-UNIQUE.der" --db "$DB" >/dev/null
"$B" smdp profile generate --no-auc --db "$DB" --template "$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	--iccid-start 898824700000001000 --imsi-start 001019000000000 --count 3 --name "$TYPE" >/dev/null 2>&1 ||
	fail "profile generate"
"$B" smdp profile list --db "$DB" --state available --count --json | grep -q '"total":5' ||
	fail "the inventory is not the five profiles: $("$B" smdp profile list --db "$DB")"

TOKEN=$(openssl rand -hex 20)
cat >"$T/smdp.conf" <<EOF
fqdn = $FQDN
oid = 2.999.10
listen = 127.0.0.1
port = 0
database = $DB
tls_cert = $T/pki/smdp/dptls.pem
tls_key = $T/pki/smdp/dptls_key.pem
es2_token = $TOKEN
es2_client_ca = $T/opca.pem
[keyset]
ci = $T/pki/ci/ci.der
dpauth_cert = $T/pki/smdp/dpauth.der
dpauth_key = $T/pki/smdp/dpauth_key.pem
dppb_cert = $T/pki/smdp/dppb.der
dppb_key = $T/pki/smdp/dppb_key.pem
EOF
chmod 600 "$T/smdp.conf" # it holds the token

"$B" smdp serve --config "$T/smdp.conf" >"$T/port" 2>"$T/serve.log" &
pid=$!
for _ in $(seq 1 100); do
	[ -s "$T/port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
[ -s "$T/port" ] || fail "the SM-DP+ did not start: $(cat "$T/serve.log")"
PORT=$(head -1 "$T/port")

cat >"$T/es2p.py" <<'PYEOF'
"""pySim's Es2pApiClient against openrsp's ES2+ (driven by scripts/interop-es2p-client.sh)."""
import json
import logging
import os
import re
import subprocess
import sys

from requests.adapters import HTTPAdapter
from pySim.esim.es2p import Es2pApiClient
from pySim.esim.http_json_api import ApiError, HttpStatusError

E = os.environ
B, DB, FQDN, PORT, TOKEN, T = E['B'], E['DB'], E['FQDN'], E['PORT'], E['TOKEN'], E['DIR']
CA = T + '/pki/ci/ci.pem'
URL = 'https://127.0.0.1:%s' % PORT
TYPE, TS48_TYPE = E['TYPE'], 'GSMA Generic eUICC Test Profile'
EID1 = '89049032123451234512345678901235'
EID2 = '89049032987654321098765432109887'
A20 = '89000123456789012341'  # TS.48 v7, 20 digits
B19 = '8949449999999990023'  # pySim's TS48V1-A-UNIQUE, 19 digits
C1, C2, C3 = '8988247000000010000', '8988247000000010018', '8988247000000010026'
UNKNOWN = '8949449999999999998'
MID_A = 'PYSIM-ES2P-0001'
last = {}


class Warnings(logging.Handler):
    """pySim's warnings, e.g. "Unexpected/unsupported output parameter" for a member of an
    answer it does not know: there must be none."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.seen = []

    def emit(self, record):
        self.seen.append(record.getMessage())


warnings = Warnings()
logging.getLogger('pySim.esim.http_json_api').addHandler(warnings)
logging.getLogger('pySim.esim.es2p').addHandler(warnings)


def fail(msg):
    print('interop-es2p-client: FAIL: %s' % msg, file=sys.stderr)
    if last:
        print('  last request:  POST %s %s' % (last['url'], last['req']), file=sys.stderr)
        print('  last response: HTTP %s %s' % (last['status'], last['rsp']), file=sys.stderr)
    sys.exit(1)


def ok(msg):
    print('interop-es2p-client: ok: %s' % msg)


class ToFqdn(HTTPAdapter):
    """TLS to 127.0.0.1 with the SM-DP+'s FQDN in SNI and the certificate's name check."""

    def init_poolmanager(self, *args, **kwargs):
        kwargs['server_hostname'] = FQDN
        kwargs['assert_hostname'] = FQDN
        super().init_poolmanager(*args, **kwargs)


def record(r, *args, **kwargs):
    body = r.request.body
    last.update(url=r.request.url, status=r.status_code, rsp=r.text,
                req=body.decode() if isinstance(body, bytes) else body)


def client(token=None, cert=None):
    """pySim's client: the server's CA for verify=, a client certificate for cert= (pySim's
    own server_cert_verify and client_cert), a bearer token in its requests session."""
    c = Es2pApiClient(URL, 'openrsp-interop', server_cert_verify=CA, client_cert=cert)
    # requests takes REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE from the environment over the
    # session's verify= (pySim's server_cert_verify), and proxies from it: neither applies here
    c.session.trust_env = False
    c.session.mount('https://', ToFqdn())
    c.session.hooks['response'].append(record)
    if token:
        c.session.headers['Authorization'] = 'Bearer ' + token
    return c


def sent():
    return json.loads(last['req'])


def answered():
    return json.loads(last['rsp'])


def profile(iccid):
    out = subprocess.run([B, 'smdp', 'profile', 'list', '--db', DB, '--iccid', iccid, '--json'],
                         check=True, capture_output=True, text=True).stdout
    rows = json.loads(out)
    if len(rows) != 1:
        fail('profile list --iccid %s: %s' % (iccid, out))
    return rows[0]


def state(iccid, want, eid=None, mid=None):
    """The profile's state as `smdp profile list` shows it; eid/mid: the order's (False: none)."""
    p = profile(iccid)
    got = (p['state'], p.get('eid', False), p.get('matchingId', False))
    if got[0] != want or (eid is not None and got[1] != eid) or (mid is not None and got[2] != mid):
        fail('%s: profile list shows state/eid/matchingId %s, expected %s' % (iccid, got, (want, eid, mid)))
    return p


def refused(what, call, data, subject, reason):
    """pySim raises ApiError for the SM-DP+'s Failed answer, with SGP.22's codes."""
    try:
        res = call(data)
    except ApiError as e:
        if (e.status, e.subject_code, e.reason_code) != ('Failed', subject, reason):
            fail('%s: %s, expected Failed %s/%s' % (what, e, subject, reason))
        ok('%s: pySim ApiError status=%s subjectCode=%s reasonCode=%s message="%s"'
           % (what, e.status, e.subject_code, e.reason_code, e.message))
        return e
    fail('%s: no ApiError, answered %s' % (what, res))


def unauthorised(what, c):
    try:
        res = c.call_downloadOrder({'iccid': A20, 'eid': EID1})
    except HttpStatusError as e:
        r = e.args[0]
        if r.status_code != 401 or not r.headers.get('WWW-Authenticate', '').startswith('Bearer'):
            fail('%s: HTTP %s, WWW-Authenticate %r' % (what, r.status_code, r.headers.get('WWW-Authenticate')))
        ok('%s: pySim HttpStatusError, HTTP 401, WWW-Authenticate: %s' % (what, r.headers['WWW-Authenticate']))
        return
    fail('%s: let through: %s' % (what, res))


def call(what, fn, data):
    try:
        return fn(data)
    except Exception as e:  # ApiError, HttpStatusError, pySim's ValueError on a bad answer
        fail('%s: %s: %s' % (what, type(e).__name__, e))


# ----- operator authentication -----
unauthorised('no token, no client certificate', client())
unauthorised('a wrong token', client(token='wrong-token-' + TOKEN[:16]))
unauthorised('a client certificate of another CA', client(cert=(T + '/other.pem', T + '/other.key')))
state(A20, 'available', eid=False, mid=False)
tok = client(token=TOKEN)
mtls = client(cert=(T + '/op.pem', T + '/op.key'))
refused('mutual TLS (the operator CA\'s certificate, no token): downloadOrder of an unknown ICCID',
        mtls.call_downloadOrder, {'iccid': UNKNOWN}, '8.2.1', '3.9')

# ----- a 20-digit ICCID by ICCID with an EID, confirmed and released with a matchingId -----
r = call('downloadOrder A20', tok.call_downloadOrder, {'iccid': A20, 'eid': EID1})
if r.get('iccid') != A20 or sent()['iccid'] != A20:
    fail('downloadOrder %s: sent %s, returned %s' % (A20, sent().get('iccid'), r.get('iccid')))
state(A20, 'linked', eid=EID1)
ok('downloadOrder(iccid %s, eid): returned iccid %s; profile list: linked, EID bound' % (A20, r['iccid']))
r = call('confirmOrder A20', tok.call_confirmOrder,
         {'iccid': A20, 'eid': EID1, 'matchingId': MID_A, 'releaseFlag': True})
if r.get('matchingId') != MID_A or r.get('eid') != EID1 or r.get('smdpAddress') != FQDN:
    fail('confirmOrder %s: %s' % (A20, r))
state(A20, 'released', eid=EID1, mid=MID_A)
ok('confirmOrder(matchingId %s, releaseFlag true): returned matchingId %s, eid, smdpAddress %s; '
   'profile list: released' % (MID_A, r['matchingId'], r['smdpAddress']))
refused('releaseProfile of a Released profile', tok.call_releaseProfile, {'iccid': A20}, '8.2.1', '3.5')
refused('downloadOrder of a Released ICCID', tok.call_downloadOrder, {'iccid': A20}, '8.2.1', '3.3')
state(A20, 'released', eid=EID1, mid=MID_A)

# ----- a 19-digit ICCID: pySim pads it with F -----
r = call('downloadOrder B19', tok.call_downloadOrder, {'iccid': B19, 'eid': EID1})
if sent()['iccid'] != B19 + 'F':
    fail('pySim sent iccid %s, expected the 19 digits and F' % sent()['iccid'])
if answered().get('iccid') != B19 or r.get('iccid') != B19:
    fail('downloadOrder %sF: answered %s, pySim decoded %s' % (B19, answered().get('iccid'), r.get('iccid')))
p = state(B19, 'linked', eid=EID1)
mid_b = p['matchingId']
ok('downloadOrder(iccid %s, eid): pySim sent "iccid":"%s", the SM-DP+ answered "iccid":"%s", '
   'pySim decoded %s; profile list: linked' % (B19, sent()['iccid'], answered()['iccid'], r['iccid']))
refused('confirmOrder with another EID than the order\'s', tok.call_confirmOrder,
        {'iccid': B19, 'eid': EID2, 'releaseFlag': True}, '8.1.1', '3.10')
refused('confirmOrder with the matchingId of another order', tok.call_confirmOrder,
        {'iccid': B19, 'matchingId': MID_A, 'releaseFlag': True}, '8.2.6', '3.3')
refused('cancelOrder with another EID than the order\'s', tok.call_cancelOrder,
        {'iccid': B19, 'eid': EID2, 'finalProfileStatusIndicator': 'Available'}, '8.1.1', '3.10')
state(B19, 'linked', eid=EID1, mid=mid_b)
ok('the three refusals left %s linked, its EID and matchingId as they were' % B19)
call('cancelOrder B19', tok.call_cancelOrder,
     {'iccid': B19, 'eid': EID1, 'finalProfileStatusIndicator': 'Available'})
if sent()['iccid'] != B19 + 'F':
    fail('pySim sent iccid %s' % sent()['iccid'])
state(B19, 'available', eid=False, mid=False)
ok('cancelOrder(iccid %sF, eid, Available): profile list: available, EID and matchingId cleared' % B19)

# ----- the 20-digit profile's order cancelled Unavailable -----
refused('cancelOrder with another matchingId than the order\'s', tok.call_cancelOrder,
        {'iccid': A20, 'matchingId': 'NOT-THE-ORDERS-ID', 'finalProfileStatusIndicator': 'Unavailable'},
        '8.2.6', '3.10')
state(A20, 'released', eid=EID1, mid=MID_A)
call('cancelOrder A20', tok.call_cancelOrder,
     {'iccid': A20, 'eid': EID1, 'matchingId': MID_A, 'finalProfileStatusIndicator': 'Unavailable'})
state(A20, 'unavailable')
ok('cancelOrder(iccid %s, eid, matchingId, Unavailable): profile list: unavailable' % A20)
refused('downloadOrder of an Unavailable ICCID', tok.call_downloadOrder, {'iccid': A20}, '8.2.1', '3.3')

# ----- by profileType, over mutual TLS -----
r = call('downloadOrder by type', mtls.call_downloadOrder, {'profileType': TYPE})
if r.get('iccid') != C1:
    fail('downloadOrder(profileType): returned %s, expected %s (the first Available)' % (r.get('iccid'), C1))
state(C1, 'allocated', eid=False)
ok('downloadOrder(profileType "%s"): returned iccid %s; profile list: allocated, no EID' % (TYPE, r['iccid']))
r = call('confirmOrder C1', mtls.call_confirmOrder, {'iccid': C1, 'releaseFlag': False})
if sent().get('matchingId') is not None or 'eid' in r or r.get('smdpAddress') != FQDN:
    fail('confirmOrder %s without matchingId: sent %s, answered %s' % (C1, sent(), r))
mid_c = r.get('matchingId', '')
if not re.fullmatch(r'[0-9A-Z]{5}(-[0-9A-Z]{5}){3}', mid_c):
    fail('confirmOrder: the generated matchingId %r' % mid_c)
state(C1, 'confirmed', eid=False, mid=mid_c)
ok('confirmOrder(no matchingId, releaseFlag false): returned the generated matchingId %s, no eid; '
   'profile list: confirmed' % mid_c)
call('releaseProfile C1', mtls.call_releaseProfile, {'iccid': C1})
state(C1, 'released', eid=False, mid=mid_c)
ok('releaseProfile(iccid %sF): profile list: released, matchingId %s' % (C1, mid_c))
r = call('downloadOrder by type with EID', mtls.call_downloadOrder, {'profileType': TYPE, 'eid': EID2})
if r.get('iccid') != C2:
    fail('downloadOrder(profileType, eid): returned %s, expected %s' % (r.get('iccid'), C2))
state(C2, 'linked', eid=EID2)
call('cancelOrder C2 Available', mtls.call_cancelOrder, {'iccid': C2, 'finalProfileStatusIndicator': 'Available'})
state(C2, 'available', eid=False, mid=False)
ok('downloadOrder(profileType, eid) returned %s (linked); cancelOrder(Available): available' % C2)
r = call('downloadOrder by type again', mtls.call_downloadOrder, {'profileType': TYPE})
if r.get('iccid') != C2:
    fail('downloadOrder(profileType) after the cancel: returned %s, expected %s again' % (r.get('iccid'), C2))
state(C2, 'allocated', eid=False)
call('cancelOrder C2 Unavailable', mtls.call_cancelOrder, {'iccid': C2, 'finalProfileStatusIndicator': 'Unavailable'})
state(C2, 'unavailable')
ok('downloadOrder(profileType) returned %s again (allocated); cancelOrder(Unavailable): unavailable' % C2)
r = call('downloadOrder by type, the last', mtls.call_downloadOrder, {'profileType': TYPE})
if r.get('iccid') != C3:
    fail('downloadOrder(profileType): returned %s, expected %s' % (r.get('iccid'), C3))
state(C3, 'allocated', eid=False)
ok('downloadOrder(profileType) returned %s, the last of the type (allocated)' % C3)
mid_3 = profile(C3)['matchingId']
refused('confirmOrder with an smdsAddress (SM-DS registration, not implemented)', mtls.call_confirmOrder,
        {'iccid': C3, 'smdsAddress': 'smds.example.org', 'releaseFlag': True}, '8.9', '5.1')
state(C3, 'allocated', eid=False, mid=mid_3)
r = call('confirmOrder C3', mtls.call_confirmOrder,
         {'iccid': C3, 'eid': EID2, 'confirmationCode': '31415926', 'releaseFlag': True})
if r.get('matchingId') != mid_3 or r.get('eid') != EID2 or r.get('smdpAddress') != FQDN:
    fail('confirmOrder %s with an EID and a confirmation code: %s' % (C3, r))
p = state(C3, 'released', eid=EID2, mid=mid_3)
if p.get('ccRequired') is not True:
    fail('confirmOrder %s: profile list says ccRequired %s' % (C3, p.get('ccRequired')))
ok('confirmOrder(eid, confirmationCode, releaseFlag true) of an order without EID: the EID bound, '
   'downloadOrder\'s matchingId %s kept; profile list: released, ccRequired' % mid_3)
refused('downloadOrder of a type with no Available profile left', mtls.call_downloadOrder,
        {'profileType': TYPE}, '8.2.5', '3.7')
refused('downloadOrder of an unknown profileType', mtls.call_downloadOrder,
        {'profileType': 'no such profile type'}, '8.2.5', '3.9')
refused('downloadOrder of an ICCID with another profile\'s type', mtls.call_downloadOrder,
        {'iccid': B19, 'profileType': TYPE}, '8.2.5', '3.8')
state(B19, 'available', eid=False, mid=False)

want = {A20: 'unavailable', B19: 'available', C1: 'released', C2: 'unavailable', C3: 'released'}
got = {i: profile(i)['state'] for i in want}
if got != want:
    fail('final states %s, expected %s' % (got, want))
ok('final states: %s' % ', '.join('%s %s' % kv for kv in got.items()))
last.clear()
if warnings.seen:
    fail('pySim warned: %s' % '; '.join(warnings.seen))
ok('pySim decoded every answer without a warning (no member it does not know)')
PYEOF

(cd "$T" && B="$B" DB="$DB" FQDN=$FQDN PORT="$PORT" TOKEN="$TOKEN" DIR="$T" TYPE="$TYPE" \
	PYTHONPATH="$PYSIM${PYTHONPATH:+:$PYTHONPATH}" "$PY" "$T/es2p.py") || fail "the pySim client's checks (above)"

# the server's log: every call as ES2+, no internal failure, never the token
for fn in downloadOrder confirmOrder cancelOrder releaseProfile; do
	grep -q "es2+ function=$fn .* http=200 result=ok" "$T/serve.log" || fail "no successful $fn in the log"
done
n=$(grep -c "es2+ function=.* http=401 result=refused" "$T/serve.log" || true)
[ "$n" = 3 ] || fail "$n refusals for want of authentication in the log, expected 3"
if grep -q "http=500" "$T/serve.log"; then fail "an internal failure: $(grep http=500 "$T/serve.log")"; fi
if grep -qF "$TOKEN" "$T/serve.log"; then fail "the token is in the server's log"; fi
echo "interop-es2p-client: ok: the SM-DP+ logged the calls (3 refused for authentication), no 500, never the token"
echo "interop-es2p-client: PASS"
