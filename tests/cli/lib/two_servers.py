#!/usr/bin/env python3
"""The two helpers of tests/cli/smdp_two_servers.sh (two `openrsp smdp serve` on one database).

  two_servers.py relay PORTFILE BACKENDS LOG [--pair N] [--hold FUNCTION:SESSION]
      An ES9+ relay on 127.0.0.1 in front of the two servers whose ports BACKENDS holds
      ("PORT_A PORT_B", read at every request, so a restarted server can be put in). The
      sessions are numbered in the order of their initiateAuthentication (1, 2, ...), and the
      k-th request of session n (k = 0 for initiateAuthentication) goes to server (n + k) % 2
      (0 = A, 1 = B): the steps of every session alternate between the two processes, odd
      sessions starting on B, even ones on A. The session of a request is its transactionId
      (handleNotification: the transactionId found inside the ProfileInstallationResult).
      A server that refuses the connection (it is gone) gets the request's other server, as a
      load balancer would. One line per request in LOG: "session step function server status
      transactionId" (server A, B, or A>B / B>A after such a switch).
      --pair N: the first N getBoundProfilePackage requests wait in pairs, each first one for
      the next (up to 60 s), and go on together: the progress reports of two profiles are then
      queued at the same moment.
      --hold FUNCTION:SESSION: that request waits before it is sent: LOG.held gets the server
      it would go to (A or B), and the request goes on when LOG.go exists (up to 60 s).
  two_servers.py operator PORTFILE LOG [--refuse ICCID:POINT:N]
      The operator's ES2+ endpoint for HandleDownloadProgressInfo. Every report is answered
      after 0.4 s (longer than the senders' 200 ms between rounds, so a report that another
      process did not see as taken is sent again while the first send is in flight); until
      two reports have been in flight at once, a report waits up to 3 s for another (the
      test's servers have callback_senders = 1: each sends one report at a time, so two in
      flight come from two processes).
      Each answer stays below the servers' 5 s client timeout. One JSON line per report in
      LOG, written before the answer: iccid, point, status, callId, answer (HTTP status),
      concurrent (whether two were in flight at once so far). --refuse: the first N sends of
      that report are answered 500 (it stays queued, to be sent again after a backoff).
  two_servers.py race DB ICCID POINT N
      Sets up the race that the outbox's conditional claim decides: waits (up to 60 s) until
      the report (ICCID, POINT) was refused N times and waits for its next attempt, then
      holds SQLite's write lock (BEGIN IMMEDIATE, as a third writer) from before that report
      comes due until 1.5 s after: each server's sender reads it as due meanwhile and blocks
      on its claim, and the claims run one after the other when the lock goes. Exit 0 when
      it held the lock so, 1 when the report was not found waiting in time.

Both print their port into PORTFILE once they listen (written whole: a temporary file renamed).
"""
import base64
import http.client
import http.server
import json
import os
import sqlite3
import sys
import threading
import time


def write_whole(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def serve(handler, portfile):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    write_whole(portfile, "%d\n" % srv.server_address[1])
    srv.serve_forever()


class Relay:
    def __init__(self, backends, log, pair, hold):
        self.backends, self.log = backends, log
        self.cond = threading.Condition()
        self.sessions = {}  # transactionId (upper-case hex) -> [session, requests so far]
        self.n = 0
        self.others = 0
        self.pair, self.gbpp = pair, 0
        self.hold = hold

    def ports(self):
        with open(self.backends) as f:
            return [int(p) for p in f.read().split()]

    def route(self, function, req):
        """(session, step, server, transactionId) of a request."""
        with self.cond:
            if function == "initiateAuthentication":
                self.n += 1
                return self.n, 0, self.n % 2, None
            tid = req.get("transactionId") if isinstance(req, dict) else None
            if not tid and isinstance(req, dict) and "pendingNotification" in req:
                try:
                    raw = base64.b64decode(req["pendingNotification"])
                except ValueError:
                    raw = b""
                for t in self.sessions:
                    if bytes.fromhex(t) in raw:
                        tid = t
            s = self.sessions.get(tid.upper()) if tid else None
            if not s:
                self.others += 1
                return 0, 0, self.others % 2, tid
            s[1] += 1
            return s[0], s[1], (s[0] + s[1]) % 2, tid.upper()

    def wait_pair(self):
        with self.cond:
            i = self.gbpp
            self.gbpp += 1
            if i >= self.pair:
                return
            if i % 2 == 0:
                self.cond.wait_for(lambda: self.gbpp > i + 1, timeout=60)
            else:
                self.cond.notify_all()

    def wait_hold(self, server):
        write_whole(self.log + ".held", "AB"[server] + "\n")
        t0 = time.monotonic()
        while not os.path.exists(self.log + ".go") and time.monotonic() - t0 < 60:
            time.sleep(0.02)

    def forward(self, server, path, body, headers):
        """(status, headers, body, servers tried)."""
        tried = ""
        for s in (server, 1 - server):
            tried += ("" if not tried else ">") + "AB"[s]
            c = http.client.HTTPConnection("127.0.0.1", self.ports()[s], timeout=60)
            try:
                c.request("POST", path, body, headers)
                r = c.getresponse()
                return r.status, r.getheaders(), r.read(), tried
            except ConnectionRefusedError:
                continue
            finally:
                c.close()
        return 502, [], b"", tried

    def record(self, line):
        with self.cond:
            with open(self.log, "a") as f:
                f.write(line + "\n")


def relay_handler(relay):
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            function = self.path.rsplit("/", 1)[-1]
            try:
                req = json.loads(body)
            except ValueError:
                req = None
            n, step, server, tid = relay.route(function, req)
            if function == "getBoundProfilePackage":
                relay.wait_pair()
            if relay.hold == (function, n):
                relay.wait_hold(server)
            fwd = {k: v for k, v in self.headers.items()
                   if k.lower() in ("content-type", "x-admin-protocol", "user-agent")}
            status, headers, data, tried = relay.forward(server, self.path, body, fwd)
            if function == "initiateAuthentication" and status == 200:
                try:
                    tid = json.loads(data)["transactionId"].upper()
                    with relay.cond:
                        relay.sessions[tid] = [n, 0]
                except (ValueError, KeyError, AttributeError):
                    pass
            relay.record("%d %d %s %s %d %s" % (n, step, function, tried, status, tid or "-"))
            self.send_response(status)
            for k, v in headers:
                if k.lower() in ("content-type", "x-admin-protocol"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return H


class Operator:
    HOLD_S, ANSWER_S = 3.0, 0.4

    def __init__(self, log, refuse):
        self.log = log
        self.cond = threading.Condition()
        self.inflight = 0
        self.concurrent = False
        self.refuse = refuse  # (iccid, point, sends still to refuse) or None


def operator_handler(op):
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                req = json.loads(body)
            except ValueError:
                req = {}
            with op.cond:
                op.inflight += 1
                if op.inflight >= 2:
                    op.concurrent = True
                    op.cond.notify_all()
                op.cond.wait_for(lambda: op.concurrent, timeout=op.HOLD_S)
            time.sleep(op.ANSWER_S)
            point = req.get("notificationPointId")
            with op.cond:
                answer = 200
                r = op.refuse
                if r and r[2] > 0 and (req.get("iccid"), point) == (r[0], r[1]):
                    op.refuse = (r[0], r[1], r[2] - 1)
                    answer = 500
                rec = {"iccid": req.get("iccid"), "point": point,
                       "status": req.get("notificationPointStatus", {}).get("status"),
                       "callId": req.get("header", {}).get("functionCallIdentifier"),
                       "path": self.path, "answer": answer, "concurrent": op.concurrent}
                with open(op.log, "a") as f:
                    f.write(json.dumps(rec) + "\n")
                # out of flight before the answer: that sender's next report is not counted
                # as a second one in flight
                op.inflight -= 1
            out = json.dumps({"header": {"functionExecutionStatus": {
                "status": "Executed-Success" if answer == 200 else "Failed"}}}).encode()
            self.send_response(answer)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    return H


def race(db, iccid, point, n):
    c = sqlite3.connect(db, timeout=10, isolation_level=None)
    q = "SELECT done, next_at FROM smdp_progress WHERE iccid = ? AND point_id = ? AND attempts >= ?"
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:
        if c.execute(q, (iccid, point, n)).fetchone():
            break
        time.sleep(0.02)
    # Under the write lock: the report must still wait for its next attempt; it is then due
    # in 1..2 s (the servers' clock is whole seconds), so no claim can slip in before the
    # second lock is taken.
    c.execute("BEGIN IMMEDIATE")
    row = c.execute(q, (iccid, point, n)).fetchone()
    now = int(time.time())
    if not row or row[0] != 0 or row[1] <= now:
        c.execute("ROLLBACK")
        print("race: report %s point %d not found waiting for its next attempt (%s)"
              % (iccid, point, row), file=sys.stderr)
        return 1
    due = now + 2
    c.execute("UPDATE smdp_progress SET next_at = ? WHERE iccid = ? AND point_id = ? AND done = 0",
              (due, iccid, point))
    c.execute("COMMIT")
    c.execute("BEGIN IMMEDIATE")
    while time.time() < due + 1.5:
        time.sleep(0.02)
    c.execute("COMMIT")
    return 0


def main(a):
    if len(a) >= 4 and a[0] == "relay":
        pair, hold, rest = 0, None, a[4:]
        while rest:
            if rest[0] == "--pair" and len(rest) > 1:
                pair = int(rest[1])
            elif rest[0] == "--hold" and len(rest) > 1:
                f, n = rest[1].split(":")
                hold = (f, int(n))
            else:
                break
            rest = rest[2:]
        if not rest:
            serve(relay_handler(Relay(a[2], a[3], pair, hold)), a[1])
            return 0
    if a[:1] == ["operator"] and (len(a) == 3 or (len(a) == 5 and a[3] == "--refuse")):
        refuse = None
        if len(a) == 5:
            iccid, point, n = a[4].split(":")
            refuse = (iccid, int(point), int(n))
        serve(operator_handler(Operator(a[2], refuse)), a[1])
        return 0
    if len(a) == 5 and a[0] == "race":
        return race(a[1], a[2], int(a[3]), int(a[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
