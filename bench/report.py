#!/usr/bin/python3
"""Combine benchmark records (JSON lines) from several runtimes into one table with ratios.

usage: bench/report.py [--baseline RUNTIME] FILE...     (FILE may be '-' for stdin)

Reads every line starting with '{' as a record and ignores the rest, so the raw output of attn_bench (or of any
peer that prints the same records) can be passed as is. Records used (see bench/mha_bench.cpp):
  {"runtime": ..., "build": ..., "kernel": "mha_forward", "B", "L", "E", "H", "ms", "gflops", "checksum", ...}
  {"runtime": ..., "build": ..., "kernel": "gemm", "M", "K", "N", "ms", "gflops", ...}
  {"runtime": ..., "build": ..., "kernel": "train_step", "B", "L", "E", "H", "params", "ms", "ms_min",
   "steps_per_s", "tokens_per_s", "gflops", "steps_total", "loss_first", "loss_last", ...}   (bench/train_bench.cpp,
   bench/train_torch.py)
A gemm record with M = L and K = N = E is the reference GEMM of the shape (L, E, H): the size of its projections.
Prints one table per kind of record found: MHA forward (one row per (shape, runtime)), and training (one row per
(shape, runtime), with each runtime's speedup over --train-baseline, PyTorch by default).
Runtimes in the order they first appear; missing values print as '-'. Standard library only.
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


def build_train_rows(records, baseline):
    runtimes = list(dict.fromkeys(r["runtime"] for r in records))
    train = {(r["B"], r["L"], r["E"], r["runtime"]): r for r in records if r["kernel"] == "train_step"}
    shapes = list(dict.fromkeys(key[:3] for key in train))

    rows = []
    for B, L, E in shapes:
        base = train.get((B, L, E, baseline), {})
        for runtime in runtimes:
            t = train.get((B, L, E, runtime))
            if t is None:
                continue
            losses = None
            if "loss_first" in t and "loss_last" in t:
                losses = f"{t['loss_first']:.4f} -> {t['loss_last']:.4f} ({t.get('steps_total', '?')})"
            rows.append([
                f"B={B} L={L} E={E} ({t.get('params', '?')} params)",
                runtime,
                fmt(t.get("ms"), ".1f"),
                fmt(t.get("ms_min"), ".1f"),
                fmt(t.get("steps_per_s"), ".2f"),
                fmt(t.get("tokens_per_s"), ".0f"),
                fmt(t.get("gflops"), ".1f"),
                fmt(ratio(base.get("ms"), t.get("ms")), ".2f", "x"),  # speedup: baseline time / this time
                "-" if losses is None else losses,
            ])
    return rows


def check_losses_agree(records):
    """Same parameters, same batch, same optimizer: every training run's losses should match the first runtime's."""
    train = [r for r in records if r["kernel"] == "train_step" and "loss_first" in r]
    for r in train:
        ref = next(q for q in train if (q["B"], q["L"], q["E"]) == (r["B"], r["L"], r["E"]))
        if r is ref:
            continue
        # Step 1 runs on identical numbers: float rounding only. Later steps drift apart slowly (AdamW divides by
        # sqrt(v), which magnifies rounding differences in tiny gradients): allow 1% there.
        checks = [("loss_first", 1e-4, "step 1")]
        if r.get("steps_total") == ref.get("steps_total"):
            checks.append(("loss_last", 1e-2, f"step {r.get('steps_total')}"))
        for key, tolerance, what in checks:
            if abs(r[key] - ref[key]) > tolerance * max(1.0, abs(ref[key])):
                print(f"WARNING: {r['runtime']}: training loss at {what} {r[key]:.6g} differs from "
                      f"{ref['runtime']}'s {ref[key]:.6g}")


def print_mha_table(records, baseline):
    header = ["shape (B=1, self-attn)", "runtime", "MHA ms", "MHA GFLOP/s", "GEMM GFLOP/s", "MHA/GEMM",
              f"MHA time vs {baseline}", f"GEMM time vs {baseline}"]
    print_table(header, build_rows(records, baseline))
    print()
    print("MHA ms: median time of one forward. GFLOP/s: MHA counts 8*L*E^2 + 4*L^2*E flops;")
    print("  GEMM is one projection alone, [L,E] x [E,E]^T.")
    print("MHA/GEMM: MHA's effective rate as a share of the same runtime's GEMM rate.")
    print(f"vs {baseline}: time ratio to the {baseline} row of the same shape (2.00x = twice as slow).")
    print_builds(records)
    check_outputs_agree(records, baseline)


def print_train_table(records, baseline):
    header = ["training: encoder, 2 layers, H=4, F=512, V=1000", "runtime", "ms/step", "min ms", "steps/s",
              "tokens/s", "GFLOP/s", f"speedup vs {baseline}", "loss step 1 -> last (steps)"]
    print_table(header, build_train_rows(records, baseline))
    print()
    print("One step: forward (train mode, dropout 0) + cross-entropy on every position + backward + clip_grad_norm(1.0)")
    print("  + AdamW(lr 1e-3, weight_decay 0.01), single-threaded, the same seeded batch every step.")
    print("ms/step: median over the timed runs; tokens/s = B*L*steps/s. GFLOP/s counts the matrix products only")
    print("  (3 x forward: 2 layers x (8*N*E^2 + 4*N*E*F + 4*B*L^2*E) + head 2*N*E*V, N = B*L).")
    print(f"speedup vs {baseline}: {baseline}'s time per step / this runtime's (1.50x = 1.5 times as fast as "
          f"{baseline}; <1 = slower).")
    print("All runtimes start from the same hashed parameters and batch, so their losses must agree.")
    if not any(r["runtime"] == baseline for r in records if r["kernel"] == "train_step"):
        print(f"NOTE: no {baseline} record: speedups not computed.")
    print_builds([r for r in records if r["kernel"] == "train_step"])
    for r in records:
        if r["kernel"] == "train_step" and "netlib reference" in r.get("blas", ""):
            print(f"WARNING: {r['runtime']} ran its matrix products on the netlib reference BLAS (unoptimized): "
                  "install an optimized one (apt-get install libopenblas0-serial) or point TORCH_LD_LIBRARY_PATH "
                  "at one (bench/README.md) for a fair comparison.")
    check_losses_agree(records)


def print_builds(records):
    for runtime, build in dict.fromkeys((r["runtime"], r.get("build", "?")) for r in records):
        print(f"  {runtime}: {build}")


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
    parser.add_argument("--baseline", default="native", help="runtime the MHA time ratios divide by (native)")
    parser.add_argument("--train-baseline", default="torch", help="runtime the training speedups compare to (torch)")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    records = read_records(args.files)
    mha = [r for r in records if r["kernel"] in ("mha_forward", "gemm")]
    train = [r for r in records if r["kernel"] == "train_step"]
    if not mha and not train:
        sys.exit("report.py: no records found")
    if mha:
        print_mha_table(mha, args.baseline)
    if mha and train:
        print()
        print()
    if train:
        print_train_table(train, args.train_baseline)


if __name__ == "__main__":
    main()
