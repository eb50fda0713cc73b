#!/bin/bash
# Builds the benchmarks natively and as WebAssembly, runs them (single-threaded, one after the other) and prints
# tables with ratios.
#   bench/run.sh                      both benchmarks with their defaults: MHA forward, then training
#   bench/run.sh mha [options...]     MHA forward only (attn_bench options, e.g. --runs 9 --shape 256,512,8)
#   bench/run.sh train [options...]   training only: engine native, engine wasm, PyTorch (options go to all three,
#                                     e.g. --steps 20 --runs 5 --batch 16)
#   bench/run.sh --runs 9 ...         (options first: the same as `mha`, as before the training benchmark)
#   bench/run.sh lab [preset ...]     the training lab in headless Chromium vs attn-train natively (builds
#                                     everything with tools/build.sh first; writes web/src/lab/native-speed.json)
#   bench/run.sh ort [options...]     engine kernels (GEMM, MHA forward, softmax) against ONNX Runtime Web in one
#                                     Node run (bench/ort/ort_bench.mjs options, e.g. --runs 9 --run-ms 300)
# Build trees: build/native and build/wasm (configured here if missing). Raw outputs: build/bench/*.txt.
# TORCH_LD_LIBRARY_PATH=dir: prepended to LD_LIBRARY_PATH for the PyTorch run only (a folder holding an optimized
# libblas.so.3, e.g. OpenBLAS's; see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

what=all
case "${1:-}" in
  lab) shift; ./tools/build.sh >&2; exec node bench/lab_bench.mjs "$@" ;;
  ort) what=ort; shift ;;
  mha | train | all) what=$1; shift ;;
  -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) what=mha ;;
  "") ;;
  *) echo "bench/run.sh: unknown benchmark '$1' (want mha, train, lab, ort or all)" >&2; exit 2 ;;
esac
if [[ $what == all && $# -gt 0 ]]; then
  echo "bench/run.sh: options go to one benchmark: bench/run.sh mha|train [options...]" >&2
  exit 2
fi

# Engine kernels against ONNX Runtime Web: the kernels' module in build/wasm (configured as for mha), onnxruntime-web
# from bench/ort/package-lock.json, the ONNX graphs from bench/ort/make_graphs.py (python3-onnx; made by the script).
if [[ $what == ort ]]; then
  export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
  if [[ -z "${BENCH_NO_INSTALL:-}" ]]; then
    source tools/common.sh
    apt_install python3-onnx python3-numpy
  fi
  echo "== building attn_kernels (wasm: em++ -O3 -msimd128)" >&2
  emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >&2
  cmake --build build/wasm --target attn_kernels -j"$(nproc)" >&2
  stamp=bench/ort/node_modules/.lock-stamp
  want="$(sha256sum bench/ort/package-lock.json | cut -d' ' -f1)"
  if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
    echo "== npm ci in bench/ort (onnxruntime-web)" >&2
    (cd bench/ort && npm ci --no-audit --no-fund --loglevel=error) >&2
    echo "$want" > "$stamp"
  fi
  mkdir -p build/bench
  node --no-experimental-fetch bench/ort/ort_bench.mjs "$@" | tee build/bench/ort.txt
  exit 0
fi

# The peer: PyTorch from Debian on an optimized single-threaded BLAS (Debian's default is the reference BLAS,
# several times slower, which would flatter the engine). Installing libopenblas0-serial makes it the system's
# libblas.so.3 through update-alternatives. Set BENCH_NO_INSTALL=1 to leave the machine as it is.
if [[ $what != mha && -z "${BENCH_NO_INSTALL:-}" ]]; then
  source tools/common.sh
  apt_install python3-torch libopenblas0-serial
fi

# Debian's Emscripten needs node-acorn for -O2/-O3 links (see /work/shared/TOOLCHAIN.md).
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
out=build/bench
mkdir -p "$out"

targets=()
[[ $what != train ]] && targets+=(attn_bench)
[[ $what != mha ]] && targets+=(attn_train_bench)

echo "== building ${targets[*]} (native: g++ -O3 -march=native; wasm: em++ -O3 -msimd128)" >&2
# (Re)configure every time: creates missing trees and makes existing ones see bench/ (make only knows the
# targets of its last configure). Both are quick when nothing changed.
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >&2
cmake --build build/native --target "${targets[@]}" -j"$(nproc)" >&2
emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >&2
cmake --build build/wasm --target "${targets[@]}" -j"$(nproc)" >&2

# One runtime at a time, so they do not compete for cores. Each output is shown as it comes and kept.
files=()
if [[ $what != train ]]; then
  echo "== mha: native" >&2
  build/native/bench/attn_bench "$@" | tee "$out/native.txt" >&2
  echo "== mha: wasm (node)" >&2
  node --no-experimental-fetch build/wasm/bench/attn_bench.js "$@" | tee "$out/wasm-node.txt" >&2
  files+=("$out/native.txt" "$out/wasm-node.txt")
fi
if [[ $what != mha ]]; then
  echo "== train: native" >&2
  build/native/bench/attn_train_bench "$@" | tee "$out/train-native.txt" >&2
  echo "== train: wasm (node)" >&2
  node --no-experimental-fetch build/wasm/bench/attn_train_bench.js "$@" | tee "$out/train-wasm-node.txt" >&2
  files+=("$out/train-native.txt" "$out/train-wasm-node.txt")
  # PyTorch is optional: Debian's python3-torch, run with /usr/bin/python3 (not another python3 on PATH).
  rm -f "$out/train-torch.txt"
  if /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
    echo "== train: torch (cpu, 1 thread)" >&2
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
      LD_LIBRARY_PATH="${TORCH_LD_LIBRARY_PATH:+$TORCH_LD_LIBRARY_PATH${LD_LIBRARY_PATH:+:}}${LD_LIBRARY_PATH:-}" \
      /usr/bin/python3 bench/train_torch.py "$@" | tee "$out/train-torch.txt" >&2
    files+=("$out/train-torch.txt")
  else
    echo "== train: torch SKIPPED: /usr/bin/python3 cannot import torch (apt-get install -y python3-torch)" >&2
  fi
fi

echo
/usr/bin/python3 bench/report.py --baseline native --train-baseline torch "${files[@]}"
if [[ $what != mha && ! -s $out/train-torch.txt ]]; then
  echo "NOTE: PyTorch was skipped (/usr/bin/python3 cannot import torch): no speedups vs torch."
fi
