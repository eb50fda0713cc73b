#!/bin/bash
# Builds attn_bench natively and as WebAssembly, runs both (single-threaded) and prints one table with ratios.
#   bench/run.sh [attn_bench options...]      e.g. bench/run.sh --runs 9 --shape 256,512,8
# Build trees: build/native and build/wasm (configured here if missing). Raw outputs: build/bench/*.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Emscripten needs node-acorn for -O2/-O3 links (see /work/shared/TOOLCHAIN.md).
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
out=build/bench
mkdir -p "$out"

echo "== building (native: g++ -O3 -march=native; wasm: em++ -O3 -msimd128)" >&2
# (Re)configure every time: creates missing trees and makes existing ones see bench/ (make only knows the
# targets of its last configure). Both are quick when nothing changed.
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >&2
cmake --build build/native --target attn_bench -j"$(nproc)" >&2
emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >&2
cmake --build build/wasm --target attn_bench -j"$(nproc)" >&2

# One runtime at a time, so they do not compete for cores. Each output is shown as it comes and kept.
echo "== native" >&2
build/native/bench/attn_bench "$@" | tee "$out/native.txt" >&2
echo "== wasm (node)" >&2
node --no-experimental-fetch build/wasm/bench/attn_bench.js "$@" | tee "$out/wasm-node.txt" >&2

echo
/usr/bin/python3 bench/report.py --baseline native "$out/native.txt" "$out/wasm-node.txt"
