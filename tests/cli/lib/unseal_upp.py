#!/usr/bin/python3
"""The package of one profile of an SM-DP+ database, unsealed as docs/smdp.md says
(smdp_upp: dek_wrapped = version 1 || IV || ciphertext || tag, the KEK's AES-256-GCM with
additional data version || "smdp:dek:<ICCID>"; upp_sealed = IV || ciphertext || tag under that
data key, additional data "smdp:upp:<ICCID>"), written to stdout. An independent reading of
the format, for tests that look inside a generated package.

usage: unseal_upp.py DB ICCID   (the KEK in DB.kek: 32 raw bytes or 64 hex digits)"""
import sqlite3
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def kek_of(path):
    raw = open(path, "rb").read()
    if len(raw) == 32:
        return raw
    return bytes.fromhex(raw.decode().strip())


def main():
    db, iccid = sys.argv[1], sys.argv[2]
    kek = kek_of(db + ".kek")
    row = sqlite3.connect(db).execute(
        "SELECT u.dek_wrapped, u.upp_sealed FROM smdp_upp u JOIN smdp_profile p"
        " ON p.id = u.profile_id WHERE p.iccid = ?", (iccid,)).fetchone()
    if row is None:
        sys.exit("no package of ICCID " + iccid)
    wrapped, sealed = row
    version = wrapped[:1]
    dek = AESGCM(kek).decrypt(wrapped[1:13], wrapped[13:],
                              version + ("smdp:dek:" + iccid).encode())
    upp = AESGCM(dek).decrypt(sealed[:12], sealed[12:], ("smdp:upp:" + iccid).encode())
    sys.stdout.buffer.write(upp)


main()
