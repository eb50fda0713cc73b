#!/usr/bin/python3
"""PyTorch CPU peer of bench/train_bench.cpp: training steps per second of the same model, single-threaded.

usage: /usr/bin/python3 bench/train_torch.py [--batch B] [--seq-len L] [--steps N] [--runs N] [--warmup N] [--seed S]

Run with Debian's PyTorch (apt-get install python3-torch; /usr/bin/python3, not another python3 on PATH).
Prints one JSON line with the fields of attn_train_bench (runtime "torch"), then a human-readable line.

The model is the engine's arch "encoder" written with stock modules: nn.Embedding (* sqrt(E)) + sinusoidal
positions + nn.TransformerEncoder(batch_first=True; 2 post-norm layers, E 128, 4 heads, feed-forward 512, relu,
dropout 0) + nn.Linear head (1000), float32, train mode. One step: zero_grad, forward, F.cross_entropy over every
position, backward, clip_grad_norm_(1.0), AdamW(lr 1e-3, weight_decay 0.01). The same batch every step.

Parameters and data come from the same counter-based hash as train_bench.cpp (splitmix64 of the parameter's
name and the element's index, here in numpy uint64), so the runs start from the same weights as the engine's:
loss_first must match the engine's to float rounding, loss_last closely.
"""
import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

E, H, FF, LAYERS, VOCAB = 128, 4, 512, 2, 1000  # the fixed model of the benchmark (as in train_bench.cpp)


# --------------------------------------------------------------------- shared deterministic numbers
# Mirror of train_bench.cpp (fnv1a64, mix, unit, init_param, random_ids): change both or neither.
M64 = (1 << 64) - 1


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for c in s.encode():
        h = ((h ^ c) * 0x100000001B3) & M64
    return h


def mix(key, count):
    """splitmix64 of the counters 0 .. count-1 under key, as a uint64 array (numpy wraps modulo 2^64)."""
    u = np.uint64
    with np.errstate(over="ignore"):
        z = u(key) + (np.arange(count, dtype=np.uint64) + u(1)) * u(0x9E3779B97F4A7C15)
        z = (z ^ (z >> u(30))) * u(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> u(27))) * u(0x94D049BB133111EB)
        return z ^ (z >> u(31))


def unit(key, count):
    return (mix(key, count) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53  # [0, 1), exact


def init_param(name, p, seed):
    """LayerNorm weights 1; embedding U(-sqrt 3, sqrt 3); matrices U(+-1/sqrt(fan_in)); vectors U(+-0.02)."""
    is_matrix = p.dim() == 2
    if not is_matrix and "norm" in name and name.endswith(".weight"):
        values = np.ones(p.numel())
    else:
        bound = math.sqrt(3.0) if name == "embed.weight" else 1.0 / math.sqrt(p.shape[1]) if is_matrix else 0.02
        values = (2.0 * unit((fnv1a64(name) + seed) & M64, p.numel()) - 1.0) * bound
    with torch.no_grad():
        p.copy_(torch.from_numpy(values.astype(np.float32)).reshape(p.shape))


def random_ids(stream, count, n, seed):
    return torch.from_numpy((mix((fnv1a64(stream) + seed) & M64, count) % np.uint64(n)).astype(np.int64))


def sinusoidal(length, dim):
    """The engine's table (ops/embedding.cpp), computed in float64: sin at even j, cos at odd j."""
    pos = torch.arange(length, dtype=torch.float64)[:, None]
    j = torch.arange(dim)
    angle = pos / torch.pow(10000.0, (j - j % 2).to(torch.float64) / dim)
    return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle)).to(torch.float32)


# ------------------------------------------------------------------------------------------------ model
class Model(nn.Module):
    """Parameter names as the engine's TransformerModel (embed.*, encoder.layers.{i}.*, head.*)."""

    def __init__(self, max_len):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, E)
        layer = nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, activation="relu", layer_norm_eps=1e-5,
                                           batch_first=True, norm_first=False)
        self.encoder = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
        self.head = nn.Linear(E, VOCAB)
        self.register_buffer("pe", sinusoidal(max_len, E))

    def forward(self, ids):
        x = self.embed(ids) * math.sqrt(E) + self.pe[: ids.shape[1]]
        return self.head(self.encoder(x))


def loaded_blas():
    """The BLAS library this process loaded (after the matmuls ran), e.g.
    "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3 (netlib reference BLAS: unoptimized)". Debian's torch is built
    against the generic libblas.so.3 and gets whichever one the alternatives system (or LD_LIBRARY_PATH) points at."""
    paths = []
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path).lower()
                if ("blas" in name or "mkl" in name) and path not in paths:
                    paths.append(path)
    except OSError:
        return "?"
    if not paths:
        return "none loaded"
    real = [os.path.realpath(p) for p in paths]
    text = ", ".join(dict.fromkeys(real))
    if any("openblas" in r for r in real):
        return text + " (OpenBLAS)"
    if any("mkl" in r for r in real):
        return text + " (MKL)"
    if any("/blas/libblas.so" in r for r in real):
        return text + " (netlib reference BLAS: unoptimized)"
    return text


def step_flops(B, L):
    """As train_bench.cpp: the matrix products of forward x 3."""
    N = B * L
    layer = 2 * N * E * 3 * E + 2 * N * E * E + 4 * N * E * FF + 4 * B * L * L * E
    return 3.0 * (LAYERS * layer + 2 * N * E * VOCAB)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10, help="training steps per timed run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs, median reported")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    B, L = max(1, args.batch), max(1, args.seq_len)
    steps, runs, warmup = max(1, args.steps), max(1, args.runs), max(0, args.warmup)

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    config = torch.__config__.show()
    capability = next((line.split(":", 1)[1].strip() for line in config.splitlines() if "CPU capability" in line), "?")
    blas_info = next((part.split("=", 1)[1] for part in config.replace(",", " ").split()
                      if part.startswith("BLAS_INFO=")), "?")
    build = (f"torch {torch.__version__} (BLAS_INFO {blas_info}), CPU capability {capability}, "
             f"mkldnn {torch.backends.mkldnn.is_available()}, python {platform.python_version()}, "
             f"threads {torch.get_num_threads()}")
    print(f"# train_torch  runtime: torch  build: {build}", flush=True)

    model = Model(L)
    params = 0
    for name, p in model.named_parameters():
        init_param(name, p, args.seed)
        params += p.numel()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    ids = random_ids("ids", B * L, VOCAB, args.seed).reshape(B, L)
    targets = random_ids("targets", B * L, VOCAB, args.seed)

    losses = []

    def step():
        opt.zero_grad()
        logits = model(ids)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())

    for _ in range(warmup):
        step()
    per_step = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        per_step.append((time.perf_counter() - t0) * 1000.0 / steps)
    ms = statistics.median(per_step)
    blas = loaded_blas()
    build += f", BLAS library {blas}"
    if not math.isfinite(losses[-1]):
        sys.exit(f"the loss is not finite: {losses[-1]}")
    flops = step_flops(B, L)
    record = {"runtime": "torch", "build": build, "kernel": "train_step", "arch": "encoder", "B": B, "L": L,
              "E": E, "H": H, "F": FF, "layers": LAYERS, "V": VOCAB, "params": params, "flops": flops, "ms": ms,
              "ms_min": min(per_step), "steps_per_s": 1000.0 / ms, "tokens_per_s": 1000.0 / ms * B * L,
              "gflops": flops / (ms * 1e6), "runs": runs, "steps": steps, "warmup": warmup,
              "steps_total": len(losses), "loss_first": losses[0], "loss_last": losses[-1], "checksum": losses[-1], "blas": blas}
    print(json.dumps(record), flush=True)
    print(f"\ntorch  train_step  B={B} L={L} E={E} params={params}  median {ms:.2f} ms  min {min(per_step):.2f} ms  "
          f"{1000.0 / ms:.2f} steps/s  {1000.0 / ms * B * L:.0f} tokens/s  {flops / (ms * 1e6):.1f} GFLOP/s  "
          f"loss {losses[0]:.4f} -> {losses[-1]:.4f} ({len(losses)} steps)")


if __name__ == "__main__":
    main()
