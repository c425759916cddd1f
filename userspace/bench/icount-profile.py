#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Instructions a message by symbol, from make bench BENCH_PROFILE=DIR.

    icount-profile.py DIR [--top N] [--run LABEL ...]

DIR holds what that run left: "blocks", the plugin's profile (one record
per counted run: the instructions each vCPU executed in each translation
block, icount-plugin.c), and "guest", what the benchmark wrote after its
last run (bench-netns.sh's profile_symbols: the gateway's vCPU, each run's
label and instruction count, the guest's text symbols).

For every run this prints the symbols in which the gateway's vCPU executed
the most instructions, per delivered message (per frame sent for the
floods, which deliver none), and their share of the run's count.  Blocks
in user space are one line, "[user]" (grpsec-gw, OpenSSL, the benchmark's
own programs on that vCPU).  A block is named by the symbol it starts
in; a block that runs on past the symbol's end is rare (the compiler's
tail calls) and counted whole to its first symbol.
"""
import argparse
import bisect
import collections
import os
import sys


def fail(msg):
    sys.exit("icount-profile.py: " + msg)


def read_guest(path):
    gw_cpu, runs, syms = None, [], []
    section = "runs"
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            line = raw.decode("ascii", "replace").strip("\r\n")
            w = line.split()
            if not w:
                continue
            if w[0] == "grpsec-kallsyms":
                section = "syms"
            elif w[0] == "grpsec-end":
                section = "end"
            elif section == "syms" and len(w) >= 3:
                name = w[2] + (" " + w[3] if len(w) > 3 else "")
                syms.append((int(w[0], 16), name))
            elif w[0] == "grpsec-gw-cpu" and len(w) == 2:
                gw_cpu = int(w[1])
            elif w[0] == "grpsec-run" and len(w) == 5:
                runs.append((w[1], int(w[2]), float(w[3]), float(w[4])))
            elif section == "runs":
                fail("%s:%d: unexpected line %r" % (path, n, line[:60]))
    if section != "end":
        fail("%s: no grpsec-end line (did the benchmark finish?)" % path)
    if gw_cpu is None:
        fail("%s: no grpsec-gw-cpu line" % path)
    if not syms or all(a == 0 for a, _ in syms):
        fail("%s: no symbol addresses (kptr_restrict?)" % path)
    syms.sort()
    return gw_cpu, runs, syms


def read_blocks(path):
    records, cur = [], None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            w = line.split()
            if w and w[0] == "grpsec-profile":
                cur = []
            elif w == ["end"]:
                if cur is None:
                    fail("%s:%d: end without a record" % (path, n))
                records.append(cur)
                cur = None
            elif cur is not None and len(w) >= 2:
                cur.append((int(w[0], 16), [int(x) for x in w[1:]]))
            else:
                fail("%s:%d: unexpected line %r" % (path, n, line[:60]))
    return records


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--run", action="append", help="only these runs")
    a = ap.parse_args()
    gw_cpu, runs, syms = read_guest(os.path.join(a.dir, "guest"))
    records = read_blocks(os.path.join(a.dir, "blocks"))
    if len(records) != len(runs):
        fail("%d profile records for %d runs" % (len(records), len(runs)))
    addrs = [s[0] for s in syms]

    def name(vaddr):
        if vaddr >> 63 == 0:
            return "[user]"
        i = bisect.bisect_right(addrs, vaddr) - 1
        return syms[i][1] if i >= 0 else "[kernel, before the first symbol]"

    for (label, counted, per_msg, per_frame), rec in zip(runs, records):
        if a.run and label not in a.run:
            continue
        by = collections.Counter()
        for vaddr, per_vcpu in rec:
            if gw_cpu < len(per_vcpu):
                by[name(vaddr)] += per_vcpu[gw_cpu]
        total = sum(by.values())
        unit, per = ("message", per_msg) if per_msg else ("frame", per_frame)
        if not per or not counted:
            print("=== %s: nothing counted" % label)
            continue
        msgs = counted / per
        print("=== %s: %.0f instructions a %s; the profile holds %.1f%% of the count"
              % (label, per, unit, 100.0 * total / counted))
        for sym, insns in by.most_common(a.top):
            print("  %8.1f  %5.1f%%  %s" % (insns / msgs, 100.0 * insns / counted, sym))
        mods = collections.Counter()
        for sym, insns in by.items():
            mods[sym.split()[1] if " " in sym else
                 ("[user]" if sym == "[user]" else "[kernel]")] += insns
        print("  by module: " + ", ".join("%s %.0f" % (m, i / msgs)
                                          for m, i in mods.most_common()))


if __name__ == "__main__":
    main()
