#!/usr/bin/python3
"""Combine benchmark records (JSON lines) from several runtimes into one table with ratios.

usage: bench/report.py [--baseline RUNTIME] FILE...     (FILE may be '-' for stdin)

Reads every line starting with '{' as a record and ignores the rest, so the raw output of attn_bench (or of any
peer that prints the same records) can be passed as is. Records used (see bench/mha_bench.cpp):
  {"runtime": ..., "build": ..., "kernel": "mha_forward", "B", "L", "E", "H", "ms", "gflops", "checksum", ...}
  {"runtime": ..., "build": ..., "kernel": "gemm", "M", "K", "N", "ms", "gflops", ...}
A gemm record with M = L and K = N = E is the reference GEMM of the shape (L, E, H): the size of its projections.
One row per (shape, runtime), runtimes in the order they first appear; missing values print as '-'.
Standard library only.
"""
import argparse
import json
import sys


def read_records(paths):
    records = []
    for path in paths:
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
        with stream:
            records += [json.loads(line) for line in stream if line.startswith("{")]
    return records


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(value, spec, suffix=""):
    return "-" if value is None else format(value, spec) + suffix


def build_rows(records, baseline):
    runtimes = list(dict.fromkeys(r["runtime"] for r in records))
    mha = {(r["L"], r["E"], r["H"], r["runtime"]): r for r in records if r["kernel"] == "mha_forward"}
    gemm = {(r["M"], r["K"], r["N"], r["runtime"]): r for r in records if r["kernel"] == "gemm"}
    shapes = list(dict.fromkeys(key[:3] for key in mha))

    rows = []
    for L, E, H in shapes:
        base_mha = mha.get((L, E, H, baseline), {})
        base_gemm = gemm.get((L, E, E, baseline), {})
        for runtime in runtimes:
            m = mha.get((L, E, H, runtime), {})
            g = gemm.get((L, E, E, runtime), {})
            rows.append([
                f"L={L} E={E} H={H}",
                runtime,
                fmt(m.get("ms"), ".2f"),
                fmt(m.get("gflops"), ".1f"),
                fmt(g.get("gflops"), ".1f"),
                fmt(ratio(m.get("gflops"), g.get("gflops")), ".0%"),
                fmt(ratio(m.get("ms"), base_mha.get("ms")), ".2f", "x"),
                fmt(ratio(g.get("ms"), base_gemm.get("ms")), ".2f", "x"),
            ])
    return rows


def print_table(header, rows):
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]

    def line(cells):  # the two label columns left-aligned, numbers right-aligned
        return "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths)))

    print(line(header))
    print(line(["-" * w for w in widths]))
    previous_shape = None
    for row in rows:
        print(line(row if row[0] != previous_shape else [""] + row[1:]))
        previous_shape = row[0]


def check_outputs_agree(records, baseline):
    """Same seed, same computation: every runtime's MHA output sum should match the baseline's closely."""
    base = {(r["L"], r["E"], r["H"]): r["checksum"] for r in records
            if r["kernel"] == "mha_forward" and r["runtime"] == baseline and "checksum" in r}
    for r in records:
        key = (r.get("L"), r.get("E"), r.get("H"))
        if r["kernel"] == "mha_forward" and key in base and "checksum" in r:
            diff = abs(r["checksum"] - base[key])
            if diff > 1e-3 * max(1.0, abs(base[key])):
                print(f"WARNING: {r['runtime']} L={key[0]}: output sum {r['checksum']:.6g} differs from "
                      f"{baseline}'s {base[key]:.6g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="native", help="runtime the time ratios divide by (native)")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    records = read_records(args.files)
    if not records:
        sys.exit("report.py: no records found")
    header = ["shape (B=1, self-attn)", "runtime", "MHA ms", "MHA GFLOP/s", "GEMM GFLOP/s", "MHA/GEMM",
              f"MHA time vs {args.baseline}", f"GEMM time vs {args.baseline}"]
    print_table(header, build_rows(records, args.baseline))
    print()
    print("MHA ms: median time of one forward. GFLOP/s: MHA counts 8*L*E^2 + 4*L^2*E flops;")
    print("  GEMM is one projection alone, [L,E] x [E,E]^T.")
    print("MHA/GEMM: MHA's effective rate as a share of the same runtime's GEMM rate.")
    print(f"vs {args.baseline}: time ratio to the {args.baseline} row of the same shape (2.00x = twice as slow).")
    for runtime, build in dict.fromkeys((r["runtime"], r.get("build", "?")) for r in records):
        print(f"  {runtime}: {build}")
    check_outputs_agree(records, args.baseline)


if __name__ == "__main__":
    main()
