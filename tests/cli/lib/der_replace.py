#!/usr/bin/python3
"""Replace the one occurrence of a whole TLV (OLD, hex) in a sequence of DER values (IN) by
another (NEW, hex), fixing the length of every constructed TLV that holds it, and write OUT.
For tests that need a package changed in a way openrsp's own tools do not make (an EF.AD of
3 bytes); the result is DER again when OLD and NEW are.

usage: der_replace.py IN OUT OLD NEW"""
import sys


def header(d, i):
    """(tag end, length, value start) of the TLV at i."""
    j = i + 1
    if d[i] & 0x1F == 0x1F:
        while d[j] & 0x80:
            j += 1
        j += 1
    n = d[j]
    j += 1
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(d[j:j + k], "big")
        j += k
    return n, j


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def rebuild(d, at, old, new):
    """d with old (at offset at, relative to d) replaced by new, its TLVs' lengths fixed."""
    out, i = b"", 0
    while i < len(d):
        n, v = header(d, i)
        end = v + n
        if i <= at < end:
            if i == at:
                assert d[i:end] == old, "OLD is not a whole TLV there"
                out += new
            else:
                tag_end = i + 1
                if d[i] & 0x1F == 0x1F:
                    while d[tag_end] & 0x80:
                        tag_end += 1
                    tag_end += 1
                assert d[i] & 0x20, "OLD lies inside a primitive TLV"
                inner = rebuild(d[v:end], at - v, old, new)
                out += d[i:tag_end] + enc_len(len(inner)) + inner
        else:
            out += d[i:end]
        i = end
    return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    old, new = bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])
    d = open(src, "rb").read()
    assert d.count(old) == 1, "OLD occurs %d times" % d.count(old)
    open(dst, "wb").write(rebuild(d, d.index(old), old, new))


main()
