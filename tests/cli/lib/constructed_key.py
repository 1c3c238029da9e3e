"""constructed_key.py IN OUT KEYHEX: OUT is the profile package IN (DER) with every
algoParameter key [2] holding KEYHEX rewritten as a constructed string of two OCTET STRING
segments, 8 bytes each (BER, not DER: X.690 8.7.3), every enclosing length adjusted. Used by
tests/cli/heapscan.sh."""
import sys


def parse(b, i, end):
    """[(tag, children or value)] of the TLVs in b[i:end] (definite lengths only)"""
    out = []
    while i < end:
        s = i
        if b[i] & 0x1F == 0x1F:
            i += 1
            while b[i] & 0x80:
                i += 1
        i += 1
        tag, n = b[s:i], b[i]
        i += 1
        if n & 0x80:
            w = n & 0x7F
            n = int.from_bytes(b[i:i + w], "big")
            i += w
        out.append((tag, parse(b, i, i + n) if tag[0] & 0x20 else b[i:i + n]))
        i += n
    return out


def length(n):
    if n < 128:
        return bytes([n])
    x = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(x)]) + x


def encode(nodes, key):
    r = b""
    for tag, v in nodes:
        if isinstance(v, list):
            body = encode(v, key)
        elif tag == b"\x82" and v == key:
            tag = b"\xA2"
            body = b"\x04\x08" + key[:8] + b"\x04\x08" + key[8:]
        else:
            body = v
        r += tag + length(len(body)) + body
    return r


def main():
    der = open(sys.argv[1], "rb").read()
    key = bytes.fromhex(sys.argv[3])
    if len(key) != 16 or der.count(key) == 0:
        sys.exit("constructed_key.py: a 16-byte key found in the package is needed")
    ber = encode(parse(der, 0, len(der)), key)
    if key in ber:
        sys.exit("constructed_key.py: the key was not rewritten everywhere")
    open(sys.argv[2], "wb").write(ber)


main()
