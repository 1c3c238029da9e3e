#!/usr/bin/env python3
"""memscan.py PID TEXT...: how many times each TEXT (its bytes as given) is in the readable
memory of process PID (/proc/PID/mem, region by region as /proc/PID/maps lists them), one
count a line in the order given. Regions over 1 GiB are left out (a sanitizer's shadow memory,
terabytes reserved, read as zeros), the others read 64 MiB at a time. Exit 77 when /proc/PID/mem cannot be read (another user's
process, or ptrace denied: Yama's ptrace_scope, a container without CAP_SYS_PTRACE)."""
import re
import sys

pid = sys.argv[1]
needles = [t.encode() for t in sys.argv[2:]]
try:
    mem = open(f'/proc/{pid}/mem', 'rb', 0)
    maps = open(f'/proc/{pid}/maps').read().splitlines()
except OSError as e:
    print(f'memscan: cannot read the memory of {pid}: {e}', file=sys.stderr)
    sys.exit(77)
counts = [0] * len(needles)
read_any = False
for line in maps:
    parts = line.split()
    lo, hi = (int(x, 16) for x in parts[0].split('-'))
    path = parts[5] if len(parts) > 5 else ''
    if 'r' not in parts[1] or path in ('[vvar]', '[vsyscall]', '[vvar_vclock]'):
        continue
    if hi - lo > 1 << 30:
        continue
    # chunks that overlap by the longest needle less one byte: a match across two is
    # counted in the second, once
    over = max((len(n) for n in needles), default=1) - 1
    at = lo
    while at < hi:
        try:
            mem.seek(at)
            data = mem.read(min(hi, at + (64 << 20) + over) - at)
        except OSError:
            break
        read_any = True
        for i, n in enumerate(needles):
            counts[i] += sum(1 for m in re.finditer(re.escape(n), data)
                             if m.start() < (64 << 20) or at + len(data) >= hi)
        at += 64 << 20
if not read_any:
    print(f'memscan: no region of {pid} could be read', file=sys.stderr)
    sys.exit(77)
for c in counts:
    print(c)
