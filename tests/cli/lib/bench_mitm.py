#!/usr/bin/env python3
"""A proxy between `openrsp bench smdp --url` and an SM-DP+ that changes one field of one ES9+
answer: the last byte of serverSignature1 (initiateAuthentication), of smdpSignature2
(authenticateClient) or a byte near the end of boundProfilePackage (getBoundProfilePackage);
or, FIELD handleNotification (tests/cli/lpa.sh), answers the first handleNotification (the
first of each Authorization header: a URL's userinfo) HTTP 500 without passing it on, as an
SM-DP+ that did not take it. Everything else, /metrics included,
goes through unchanged; an https TARGET (a test's own SM-DP+) is reached without checking its
certificate. Usage:
    bench_mitm.py TARGET_URL FIELD PORTFILE
It listens on 127.0.0.1 on a port of its own, written to PORTFILE once it listens."""
import base64
import http.server
import json
import os
import ssl
import sys
import urllib.error
import urllib.request

TARGET, FIELD, PORTFILE = sys.argv[1], sys.argv[2], sys.argv[3]
# straight to TARGET: never through a proxy the environment names (http_proxy)
CTX = ssl.create_default_context()
CTX.check_hostname, CTX.verify_mode = False, ssl.CERT_NONE
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                     urllib.request.HTTPSHandler(context=CTX))
REFUSED = set()  # the Authorization headers whose handleNotification was refused


def change(body):
    try:
        d = json.loads(body)
    except ValueError:
        return body
    if FIELD not in d:
        return body
    raw = bytearray(base64.b64decode(d[FIELD]))
    at = len(raw) - 1 if FIELD != "boundProfilePackage" else len(raw) - 20
    raw[at] ^= 0x01
    d[FIELD] = base64.b64encode(bytes(raw)).decode()
    return json.dumps(d).encode()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def forward(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        auth = self.headers.get("Authorization")
        if FIELD == "handleNotification" and self.path.endswith("/handleNotification") \
                and auth not in REFUSED:
            REFUSED.add(auth)
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        req = urllib.request.Request(TARGET + self.path, data=body, method=method)
        for h in ("Content-Type", "X-Admin-Protocol", "Authorization"):
            if self.headers.get(h):
                req.add_header(h, self.headers[h])
        try:
            with OPENER.open(req, timeout=30) as r:
                status, rb, hdrs = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, rb, hdrs = e.code, e.read(), e.headers
        if status == 200 and rb:
            rb = change(rb)
        self.send_response(status)
        for h in ("Content-Type", "X-Admin-Protocol"):
            if hdrs.get(h):
                self.send_header(h, hdrs[h])
        self.send_header("Content-Length", str(len(rb)))
        self.end_headers()
        self.wfile.write(rb)

    def do_POST(self):
        self.forward("POST")

    def do_GET(self):
        self.forward("GET")


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
s.serve_forever()
