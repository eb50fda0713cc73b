#!/usr/bin/env bash
# Fuzzes the model-file loader, the JSON parser and the tokenizers with libFuzzer (clang-14, ASan + UBSan) for a
# bounded time.
#
#   tools/fuzz.sh [SECONDS]   each target runs SECONDS (default: 60 for fuzz_model_file, 20 for fuzz_json,
#                             30 for fuzz_tokenizer, fuzz_sentencepiece and fuzz_hf_config)
#
# Configures and builds build/fuzz (incrementally), copies the committed seed corpus (tests/fuzz/corpus/<target>/)
# to a scratch directory under build/fuzz/run/ (the committed corpus never grows), runs each target, and prints
# one line per target: name, seconds, executions, exec/s. Exits non-zero if any target crashes, times out, runs
# out of memory, or a sanitizer fires; the reproducer is left in build/fuzz/run/<target>/ (crash-*, timeout-*,
# oom-*). Re-run one input with:  build/fuzz/<target> FILE
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SECONDS_ARG="${1:-}"
if [ -n "$SECONDS_ARG" ] && ! [[ "$SECONDS_ARG" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: tools/fuzz.sh [SECONDS]" >&2
  exit 2
fi

BUILD="$ROOT/build/fuzz"
apt_install clang-14 libclang-rt-14-dev cmake make libeigen3-dev xtensor-dev

log "Building the fuzz targets (clang-14, -fsanitize=fuzzer,address,undefined) in build/fuzz"
# Configured every time (quick when nothing changed), so that a target added to CMakeLists.txt since the tree was
# made is known before it is asked for by name.
CC=clang-14 CXX=clang++-14 cmake -S "$ROOT" -B "$BUILD" -DATTN_FUZZ=ON -DATTN_BUILD_TESTS=OFF \
  -DATTN_NATIVE_ARCH=OFF >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target fuzz_model_file fuzz_json fuzz_tokenizer fuzz_sentencepiece fuzz_hf_config attn_fuzz_make_corpus

# Symbolized stacks, and every sanitizer report is fatal (UBSan is also built with -fno-sanitize-recover=all).
SYMBOLIZER=/usr/lib/llvm-14/bin/llvm-symbolizer
if [ -x "$SYMBOLIZER" ]; then export ASAN_SYMBOLIZER_PATH="$SYMBOLIZER" UBSAN_SYMBOLIZER_PATH="$SYMBOLIZER"; fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
summary=()
run_target() {  # name seconds corpus-subdir
  local name="$1" secs="$2" sub="$3"
  local scratch="$BUILD/run/$name" seeds="$ROOT/tests/fuzz/corpus/$sub" dict="$ROOT/tests/fuzz/$sub.dict"
  rm -rf "$scratch"
  mkdir -p "$scratch/corpus"
  cp "$seeds"/* "$scratch/corpus/"
  log "Fuzzing $name for ${secs}s ($(ls "$scratch/corpus" | wc -l) seeds; log: ${scratch#"$ROOT"/}/fuzz.log)"
  local args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$scratch/")
  if [ -f "$dict" ]; then args+=(-dict="$dict"); fi
  local rc=0 start end
  start=$(date +%s.%N)
  "$BUILD/$name" "${args[@]}" "$scratch/corpus" >"$scratch/fuzz.log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  local runs elapsed
  runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$scratch/fuzz.log" | tail -1)
  [ -n "$runs" ] || runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$scratch/fuzz.log" | tail -1)
  [ -n "$runs" ] || runs=0
  elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  local line
  line=$(awk -v n="$name" -v s="$elapsed" -v r="$runs" -v rc="$rc" \
    'BEGIN { printf "%-16s %7ss %10d execs %9.0f exec/s  %s", n, s, r, (s > 0 ? r / s : 0), (rc == 0 ? "ok" : "FAILED (exit " rc ")") }')
  summary+=("$line")
  if [ "$rc" -ne 0 ]; then
    failed+=("$name")
    echo "---- $name failed (exit $rc); the end of its log:" >&2
    tail -n 60 "$scratch/fuzz.log" >&2
    local art
    for art in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-* "$scratch"/slow-unit-*; do
      if [ -e "$art" ]; then
        echo "---- reproducer: ${art#"$ROOT"/}   (re-run: build/fuzz/$name ${art#"$ROOT"/})" >&2
      fi
    done
  fi
  return 0
}

run_target fuzz_model_file "${SECONDS_ARG:-60}" model_file
run_target fuzz_json "${SECONDS_ARG:-20}" json
run_target fuzz_tokenizer "${SECONDS_ARG:-30}" tokenizer
run_target fuzz_sentencepiece "${SECONDS_ARG:-30}" sentencepiece
run_target fuzz_hf_config "${SECONDS_ARG:-30}" hf_config

log "Summary (target, seconds, executions, exec/s)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzzing FAILED: ${failed[*]}" >&2
  exit 1
fi
