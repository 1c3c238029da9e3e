#!/usr/bin/env python3
"""A minimal client of osmo-hlr (Osmocom's HLR, a Debian package) for tests/cli/osmo_hlr.sh.

  osmo_hlr.py vty ADDR COMMAND...      run VTY commands (port 4258) in enable mode, print
                                       osmo-hlr's answers; exit 1 when it answers one of
                                       them with an error
  osmo_hlr.py vty-file ADDR FILE       the same with the lines of FILE as the commands
  osmo_hlr.py sai ADDR IMSI [AUTS RAND] SendAuthInfo over GSUP (port 4222): prints one line
                                       "RAND AUTN RES CK IK" (hex) per vector; with AUTS and
                                       RAND a resynchronisation first. Exit 1 on a GSUP error.

GSUP is Osmocom's protocol between VLR/SGSN and HLR, carried in IPA (a 3-byte header: length,
protocol 0xEE with extension 0x05). Written from libosmocore's gsup.h message and IE numbers.
"""
import re
import socket
import struct
import sys
import time

IPA_CCM, IPA_OSMO, IPA_EXT_GSUP = 0xFE, 0xEE, 0x05
CCM_PING, CCM_PONG, CCM_ID_GET, CCM_ID_RESP, CCM_ID_ACK = 0x00, 0x01, 0x04, 0x05, 0x06
SAI_REQ, SAI_ERR, SAI_RES = 0x08, 0x09, 0x0A
IE_IMSI, IE_CAUSE, IE_TUPLE = 0x01, 0x02, 0x03
IE_RAND, IE_IK, IE_CK, IE_AUTN, IE_AUTS, IE_RES = 0x20, 0x23, 0x24, 0x25, 0x26, 0x27


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        part = s.recv(n - len(b))
        if not part:
            raise EOFError("osmo-hlr closed the connection")
        b += part
    return b


def ipa_send(s, proto, payload):
    s.sendall(struct.pack(">HB", len(payload), proto) + payload)


def ipa_recv(s):
    length, proto = struct.unpack(">HB", recv_exact(s, 3))
    return proto, recv_exact(s, length)


def tlv(tag, value):
    return bytes([tag, len(value)]) + value


def parse_ies(b):
    out, i = [], 0
    while i + 2 <= len(b):
        tag, n = b[i], b[i + 1]
        if i + 2 + n > len(b):
            raise ValueError("truncated GSUP IE %02x" % tag)
        out.append((tag, b[i + 2:i + 2 + n]))
        i += 2 + n
    if i != len(b):
        raise ValueError("trailing bytes in GSUP message")
    return out


def tbcd(digits):
    if len(digits) % 2:
        digits += "f"
    return bytes(int(digits[i + 1], 16) << 4 | int(digits[i], 16) for i in range(0, len(digits), 2))


def sai(addr, imsi, auts=None, rand=None):
    s = socket.create_connection((addr, 4222), timeout=10)
    msg = bytes([SAI_REQ]) + tlv(IE_IMSI, tbcd(imsi))
    if auts:
        msg += tlv(IE_AUTS, bytes.fromhex(auts)) + tlv(IE_RAND, bytes.fromhex(rand))
    sent = False
    while True:
        proto, p = ipa_recv(s)
        if proto == IPA_CCM:
            if p[0] == CCM_ID_GET:  # identify: serial number (osmo-hlr routes by it), unit
                # name, unit ID
                tags = ((0x00, b"openrsp-test\0"), (0x01, b"openrsp-test\0"), (0x08, b"0/0/0\0"))
                ids = b"".join(struct.pack(">HB", len(v) + 1, t) + v for t, v in tags)
                ipa_send(s, IPA_CCM, bytes([CCM_ID_RESP]) + ids)
            elif p[0] == CCM_PING:
                ipa_send(s, IPA_CCM, bytes([CCM_PONG]))
            elif p[0] == CCM_ID_ACK:
                ipa_send(s, IPA_CCM, bytes([CCM_ID_ACK]))
            if not sent and p[0] in (CCM_ID_GET, CCM_ID_ACK):
                ipa_send(s, IPA_OSMO, bytes([IPA_EXT_GSUP]) + msg)
                sent = True
            continue
        if proto != IPA_OSMO or not p or p[0] != IPA_EXT_GSUP:
            continue
        g = p[1:]
        if g[0] == SAI_ERR:
            cause = dict(parse_ies(g[1:])).get(IE_CAUSE, b"?")
            print("SendAuthInfo error, cause %s" % cause.hex(), file=sys.stderr)
            return 1
        if g[0] != SAI_RES:
            continue
        for tag, v in parse_ies(g[1:]):
            if tag == IE_TUPLE:
                t = dict(parse_ies(v))
                print(" ".join(t[k].hex() for k in (IE_RAND, IE_AUTN, IE_RES, IE_CK, IE_IK)))
        return 0


PROMPT = re.compile(rb"[A-Za-z0-9_-]+(\([A-Za-z0-9_-]+\))?[#>] $")
# osmo-hlr answers a successful `subscriber imsi ... create` with a "%" line too
NOT_AN_ERROR = ("% Created subscriber",)


def vty_answer(s):
    """Everything up to the next prompt (the VTY echoes the command line first)."""
    b, t0 = b"", time.time()
    while not PROMPT.search(b):
        if time.time() - t0 > 10:
            raise TimeoutError("no VTY prompt from osmo-hlr: %r" % b[-200:])
        part = s.recv(4096)
        if not part:
            raise EOFError("osmo-hlr closed the VTY connection")
        b += part
    return b.decode(errors="replace")


def vty(addr, commands):
    """One command at a time, each answer read up to the prompt before the next is sent
    (sent all at once, osmo-hlr's VTY drops the answers when `exit` closes the session, and
    its errors go unseen). Prints the answers; exit 1 naming each command answered with an
    error."""
    s = socket.create_connection((addr, 4258), timeout=10)
    vty_answer(s)  # banner
    bad = []
    for c in ["enable"] + list(commands):
        s.sendall(c.encode() + b"\n")
        lines = vty_answer(s).splitlines()[1:-1]  # without the echo and the prompt
        for line in lines:
            print(line)
        errors = [ln for ln in lines if ln.startswith("%") and not ln.startswith(NOT_AN_ERROR)]
        if errors:  # the command without its arguments after "update": no key in the message
            bad.append("%s: %s" % (c.split(" update ")[0], " ".join(errors)))
    s.sendall(b"exit\n")
    s.close()
    if bad:
        print("osmo-hlr VTY: %s" % "; ".join(bad), file=sys.stderr)
        return 1
    return 0


def vty_file(addr, path):
    """The lines of a file (`openrsp auc export --format osmo-hlr-vty`) as VTY commands."""
    with open(path, encoding="ascii") as f:
        commands = [line.rstrip("\n") for line in f if line.strip()]
    return vty(addr, commands)


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "vty":
        sys.exit(vty(a[1], a[2:]))
    if len(a) == 3 and a[0] == "vty-file":
        sys.exit(vty_file(a[1], a[2]))
    if len(a) in (3, 5) and a[0] == "sai":
        sys.exit(sai(a[1], a[2], *(a[3:5] if len(a) == 5 else ())))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
