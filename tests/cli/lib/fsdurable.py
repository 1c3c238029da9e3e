#!/usr/bin/env python3
"""fsdurable.py LOG ROOT SNAP: what a power cut right after a command said it succeeded may
undo, read from `strace -f -qq -yy -xx -s 1048576 -e trace=TRACE -o LOG openrsp ...` (TRACE
below), for the files under ROOT, a directory that was copied to SNAP before the run.

The project's own model, after the one of session 77's power-loss review (its fsmodel.py):
  - a directory's entries (create, link, rename, unlink, mkdir) survive a cut only as of the
    begin of the last fsync of that directory that ended before the cut;
  - a file's bytes only as of the begin of the last fsync/fdatasync of that file.
The cut: just after the first write to fd 1 (the success line). Printed: one line for each
name or file whose durable state then differs from what the page cache holds ("name P:
durable=no|yes|another file now=yes|no" or "data P"); exit status 1 if there is one, 0 if none, 2 if the log has
no write to fd 1. The entries of SNAP count as durable from the start.

TRACE=openat,link,linkat,write,pwrite64,fsync,fdatasync,rename,renameat,renameat2,unlink,
unlinkat,mkdir,mkdirat,ftruncate"""
import collections
import os
import re
import sys

HEXS = re.compile(r'"((?:\\x[0-9a-f]{2})*)"')
LINE = re.compile(r'^(\d+)\s+(\w+)\((.*)\)\s+= (-?\d+(?:<[^>]*>)?)')
UNFINISHED = re.compile(r'^(\d+)\s+(.*) <unfinished \.\.\.>$')
RESUMED = re.compile(r'^(\d+)\s+<\.\.\. \w+ resumed>(.*)$')
FD = re.compile(r'(-?\d+|AT_FDCWD)<((?:\\x[0-9a-f]{2})*)>')


def unhex(s):
    return bytes.fromhex(s.replace('\\x', '')).decode('utf-8', 'replace')


def fdpath(tok):
    m = FD.match(tok.strip())
    return unhex(m.group(2)) if m else None


def strings(args):
    return [unhex(s) for s in HEXS.findall(args)]


def split_args(a):
    out, depth, cur, q = [], 0, '', False
    for ch in a:
        if ch == '"':
            q = not q
        if not q:
            if ch in '[{(<':
                depth += 1
            elif ch in ']})>':
                depth -= 1
            elif ch == ',' and depth == 0:
                out.append(cur.strip())
                cur = ''
                continue
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


class Model:
    def __init__(self, log, root, snap):
        self.root = os.path.realpath(root)
        self.names = {}  # path -> inode (the page cache's view)
        self.isdir = set()
        self.entries0 = collections.defaultdict(dict)  # dir -> {name: inode}, durable at start
        self.data0 = {}
        for d, ds, fs in os.walk(snap):
            ad = os.path.normpath(os.path.join(self.root, os.path.relpath(d, snap)))
            self.isdir.add(ad)
            for n in ds + fs:
                ino = ('d:' if n in ds else 's:') + os.path.join(ad, n)
                self.entries0[ad][n] = ino
                self.names[os.path.join(ad, n)] = ino
                if n in fs:
                    with open(os.path.join(d, n), 'rb') as f:
                        self.data0[ino] = f.read()
        self.names[self.root] = 'd:' + self.root
        self.isdir.add(self.root)
        self.dirops = collections.defaultdict(list)  # dir -> [(i, name, inode or None)]
        self.writes = collections.defaultdict(list)  # inode -> [(i, offset or None, bytes)]
        self.syncs = collections.defaultdict(list)  # inode -> [i]
        self.ack = None
        self.n = 0
        pending = {}  # tid -> (index, first half) of a call another thread interrupted
        for i, raw in enumerate(open(log, errors='replace')):
            raw = raw.rstrip('\n')
            m = UNFINISHED.match(raw)
            if m:
                pending[m.group(1)] = (i, m.group(1) + ' ' + m.group(2))
                continue
            m = RESUMED.match(raw)
            if m and m.group(1) in pending:
                i, head = pending.pop(m.group(1))  # counted from its begin
                raw = head + m.group(2)
            m = LINE.match(raw)
            if m and self.ack is None:
                self.event(i, *m.groups()[1:4])

    def under(self, p):
        return p is not None and (p == self.root or p.startswith(self.root + '/'))

    def path(self, dirtok, name):
        base = fdpath(dirtok) if dirtok else None
        return os.path.normpath(name if name.startswith('/') or base is None else
                                os.path.join(base, name))

    def link(self, i, p, ino):
        d, n = os.path.split(p)
        self.names[p] = ino
        self.dirops[d].append((i, n, ino))

    def unlink(self, i, p):
        d, n = os.path.split(p)
        self.names.pop(p, None)
        self.dirops[d].append((i, n, None))

    def new(self):
        self.n += 1
        return 'n%d' % self.n

    def event(self, i, call, args, ret):
        a, r = split_args(args), int(ret.split('<')[0])
        if r < 0:
            return
        s = strings(args)
        if call == 'openat':
            p = fdpath(ret)
            if not self.under(p):
                return
            if 'O_DIRECTORY' in a[2]:
                self.isdir.add(p)
                self.names.setdefault(p, 'd:' + p)
            elif 'O_TMPFILE' in a[2]:
                self.names[p] = self.new()  # no entry until linked
            else:
                if p not in self.names:
                    self.link(i, p, self.new())
                if 'O_TRUNC' in a[2]:
                    self.writes[self.names[p]].append((i, 0, None))
        elif call in ('write', 'pwrite64'):
            fd = a[0].split('<')[0]
            if fd == '1':
                self.ack = i
                return
            p = fdpath(a[0])
            if not self.under(p) or a[0].endswith('(deleted)>') or p not in self.names:
                return
            data = bytes.fromhex(HEXS.findall(args)[0].replace('\\x', ''))[:r]
            self.writes[self.names[p]].append(
                (i, int(a[-1]) if call == 'pwrite64' else None, data))
        elif call == 'ftruncate':
            p = fdpath(a[0])
            if self.under(p) and p in self.names:
                self.writes[self.names[p]].append((i, int(a[1]), None))
        elif call in ('fsync', 'fdatasync'):
            p = fdpath(a[0])
            if self.under(p):
                self.syncs['d:' + p if p in self.isdir else self.names.get(p)].append(i)
        elif call in ('rename', 'renameat', 'renameat2'):
            src = self.path(None if call == 'rename' else a[0], s[0])
            dst = self.path(None if call == 'rename' else a[2], s[1])
            ino = self.names.get(src)
            if self.under(src):
                self.unlink(i, src)
            if self.under(dst) and ino:
                self.link(i, dst, ino)
        elif call in ('link', 'linkat'):
            if call == 'linkat' and 'AT_EMPTY_PATH' in a[-1]:
                src, dst = fdpath(a[0]), self.path(a[2], s[-1])
            elif call == 'linkat':
                src, dst = self.path(a[0], s[0]), self.path(a[2], s[1])
            else:
                src, dst = self.path(None, s[0]), self.path(None, s[1])
            if self.under(dst) and src in self.names:
                self.link(i, dst, self.names[src])
        elif call in ('unlink', 'unlinkat'):
            p = self.path(None if call == 'unlink' else a[0], s[0])
            if self.under(p):
                self.unlink(i, p)
                self.isdir.discard(p)
        elif call in ('mkdir', 'mkdirat'):
            p = self.path(None if call == 'mkdir' else a[0], s[0])
            if self.under(p):
                self.isdir.add(p)
                self.link(i, p, 'd:' + p)

    def synced_at(self, ino, cut, durable):
        if not durable:
            return cut
        return max([b for b in self.syncs.get(ino, []) if b < cut], default=-1)

    def entries(self, d, cut, durable):
        lim = self.synced_at('d:' + d, cut, durable)
        ent = dict(self.entries0.get(d, {}))
        for i, n, ino in self.dirops.get(d, []):
            if i >= lim:
                continue
            if ino is None:
                ent.pop(n, None)
            else:
                ent[n] = ino
        return ent

    def data(self, ino, cut, durable):
        lim = self.synced_at(ino, cut, durable)
        buf, pos = bytearray(self.data0.get(ino, b'')), 0
        for i, off, d in self.writes.get(ino, []):
            if i >= lim:
                continue
            if d is None:  # truncated to off
                del buf[off:]
                pos = 0
                continue
            off = pos if off is None else off
            buf[off:off + len(d)] = d
            pos = off + len(d)
        return bytes(buf)

    def lost(self, cut):
        out = []

        def walk(d):
            dur, now = self.entries(d, cut, True), self.entries(d, cut, False)
            for n in sorted(set(dur) | set(now)):
                p = os.path.join(d, n)
                if dur.get(n) != now.get(n):
                    out.append('name %s: durable=%s now=%s' %
                               (p, 'no' if n not in dur else 'another file' if n in now else
                                'yes', 'yes' if n in now else 'no'))
                elif now[n].startswith('d:'):
                    walk(p)
                elif self.data(now[n], cut, True) != self.data(now[n], cut, False):
                    out.append('data %s' % p)
        walk(self.root)
        return out


if __name__ == '__main__':
    m = Model(*sys.argv[1:4])
    if m.ack is None:
        print('no write to fd 1 in the log')
        sys.exit(2)
    lost = m.lost(m.ack)
    for line in lost:
        print(line)
    sys.exit(1 if lost else 0)
