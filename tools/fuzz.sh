#!/usr/bin/env bash
# Fuzzes the model-file loader, the JSON parser, the tokenizers, the Hugging Face config, checkpoint and shard
# index readers and the training lab's run configs with libFuzzer (clang-14, ASan + UBSan).
#
#   tools/fuzz.sh [SECONDS]                      each target for SECONDS (default: 60 for fuzz_model_file, 20 for
#                                                fuzz_json, 30 for the others): the test command's mode
#   tools/fuzz.sh --campaign [RUNS] [TARGET...]  each target, in the order given (default: all, then the page's
#                                                URL-state and run-file fuzz loop, "web"), to RUNS executions
#                                                (default 10,000,000)
#   tools/fuzz.sh --suite [GTEST ARGS...]        the GoogleTest suite linked against the same sanitized engine
#                                                (attn_tests_sanitized): every ASan or UBSan report fails it
#   tools/fuzz.sh --with-suite [SECONDS]         timed mode, with the sanitized suite running meanwhile (on the
#                                                other core; its log: <build>/suite.log): the test command's mode
#
# Both configure and build the fuzz tree incrementally: build/fuzz, or $ATTN_FUZZ_BUILD.
#
# Timed mode copies the committed seed corpus (tests/fuzz/corpus/<dir>/) to a scratch directory under
# <build>/run/ (the committed corpus never grows), runs each target, and prints one line per target: name,
# seconds, executions, exec/s. Exits non-zero if any target crashes, times out, runs out of memory, or a
# sanitizer fires; the reproducer is left in <build>/run/<target>/ (crash-*, timeout-*, oom-*). Re-run one input
# with:  <build>/<target> FILE
#
# Campaign mode (tests/fuzz/README.md, "Campaigns"), per target, in <build>/campaign/<target>/:
#  1. fuzzes from the committed corpus to RUNS executions (-runs), going on after a finding (at most 5 restarts);
#  2. minimizes: merges (-merge=1) everything it found into a fresh directory that starts with the named seeds,
#     and writes the inputs that add coverage back to tests/fuzz/corpus/<dir>/ (named by their SHA-1, at most
#     the target's max_len bytes each), replacing those of earlier campaigns;
#  3. copies every finding (crash-*, timeout-*, oom-*, leak-*) to tests/fuzz/regressions/<target>/, where the
#     GoogleTest suite replays it through the same checks (FuzzReplay.FindingsOfCampaignsStayFixed);
#  4. prints executions, seconds, exec/s, coverage (cov: and ft: of libFuzzer's last status line) and findings,
#     and writes them into its row of tests/fuzz/campaign.md as soon as the target is done.
# Meant to run long in the background on idle CPU (see tests/fuzz/README.md for the command). Exits non-zero
# when a target had findings.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# name corpus-dir seconds(timed mode) max_len(campaign: the longest input libFuzzer makes, and the cap of a
# committed corpus file)
TARGETS=(
  "fuzz_model_file model_file 60 20000"
  "fuzz_json json 20 4096"
  "fuzz_tokenizer tokenizer 30 256"
  "fuzz_tokenizer_json tokenizer_json 30 4096"
  "fuzz_sentencepiece sentencepiece 30 8192"
  "fuzz_hf_config hf_config 30 4096"
  "fuzz_hf_index hf_index 30 4096"
  "fuzz_run_config run_config 30 4096"
)
target_names() { local t; for t in "${TARGETS[@]}"; do echo "${t%% *}"; done; }

MODE=timed
WITH_SUITE=0
SECONDS_ARG=""
RUNS=10000000
CHOSEN=()
if [ "${1:-}" = "--suite" ]; then
  MODE=suite
  shift
elif [ "${1:-}" = "--campaign" ]; then
  MODE=campaign
  shift
  if [ -n "${1:-}" ] && [[ "$1" =~ ^[0-9]+$ ]]; then RUNS="$1"; shift; fi
  CHOSEN=("$@")
  if ! [[ "$RUNS" =~ ^[1-9][0-9]*$ ]]; then echo "usage: tools/fuzz.sh --campaign [RUNS] [TARGET...]" >&2; exit 2; fi
  for c in "${CHOSEN[@]}"; do
    if [ "$c" != web ] && ! target_names | grep -qx "$c"; then
      echo "unknown target '$c' (targets: $(target_names | tr '\n' ' ')web)" >&2
      exit 2
    fi
  done
else
  if [ "${1:-}" = "--with-suite" ]; then WITH_SUITE=1; shift; fi
  SECONDS_ARG="${1:-}"
  if [ $# -gt 1 ] || { [ -n "$SECONDS_ARG" ] && ! [[ "$SECONDS_ARG" =~ ^[1-9][0-9]*$ ]]; }; then
    echo "usage: tools/fuzz.sh [--with-suite] [SECONDS]   or   tools/fuzz.sh --campaign [RUNS] [TARGET...]   or   tools/fuzz.sh --suite [GTEST ARGS...]" >&2
    exit 2
  fi
fi

BUILD="${ATTN_FUZZ_BUILD:-$ROOT/build/fuzz}"
apt_install clang-14 libclang-rt-14-dev cmake make libeigen3-dev xtensor-dev

# Configured every time (quick when nothing changed), so that a target added to CMakeLists.txt since the tree was
# made is known before it is asked for by name. With the GoogleTest sources (ATTN_BUILD_TESTS) for --suite: the
# tree builds only what is asked for by name.
CC=clang-14 CXX=clang++-14 cmake -S "$ROOT" -B "$BUILD" -DATTN_FUZZ=ON -DATTN_BUILD_TESTS=ON \
  -DATTN_NATIVE_ARCH=OFF >/dev/null

# Symbolized stacks, and every sanitizer report is fatal (UBSan is also built with -fno-sanitize-recover=all).
SYMBOLIZER=/usr/lib/llvm-14/bin/llvm-symbolizer
if [ -x "$SYMBOLIZER" ]; then export ASAN_SYMBOLIZER_PATH="$SYMBOLIZER" UBSAN_SYMBOLIZER_PATH="$SYMBOLIZER"; fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# The GoogleTest suite against the sanitized engine. Also checks the order in which globals are initialized, and
# stack memory used after its function returned.
run_suite() {
  ASAN_OPTIONS="$ASAN_OPTIONS:strict_init_order=1:detect_stack_use_after_return=1" \
    "$BUILD/attn_tests_sanitized" --gtest_brief=1 "$@"
}

if [ "$MODE" = suite ]; then
  log "Building the GoogleTest suite against the sanitized engine (clang-14, ASan + UBSan) in ${BUILD#"$ROOT"/}"
  cmake --build "$BUILD" -j "$JOBS" --target attn_tests_sanitized
  log "GoogleTest under AddressSanitizer + UndefinedBehaviorSanitizer (the same suite)"
  run_suite "$@"
  exit 0
fi

log "Building the fuzz targets (clang-14, -fsanitize=fuzzer,address,undefined) in ${BUILD#"$ROOT"/}"
suite_target=()
if [ "$WITH_SUITE" = 1 ]; then suite_target=(attn_tests_sanitized); fi
# shellcheck disable=SC2046
cmake --build "$BUILD" -j "$JOBS" --target $(target_names) attn_fuzz_make_corpus "${suite_target[@]}"
suite_pid=""
if [ "$WITH_SUITE" = 1 ]; then
  log "GoogleTest under AddressSanitizer + UndefinedBehaviorSanitizer, while the fuzzers run (log: ${BUILD#"$ROOT"/}/suite.log)"
  run_suite >"$BUILD/suite.log" 2>&1 &
  suite_pid=$!
fi
COMMON_ARGS=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

failed=()
summary=()

# The executions a libFuzzer log reports (its final stats, or its last status line "#N ...").
executions_in() {
  local n
  n=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$1" | tail -1)
  [ -n "$n" ] || n=$(sed -n 's/^#\([0-9][0-9]*\)\t.*/\1/p' "$1" | tail -1)
  echo "${n:-0}"
}

run_target() {  # name seconds corpus-subdir
  local name="$1" secs="$2" sub="$3"
  local scratch="$BUILD/run/$name" seeds="$ROOT/tests/fuzz/corpus/$sub" dict="$ROOT/tests/fuzz/$sub.dict"
  rm -rf "$scratch"
  mkdir -p "$scratch/corpus"
  cp "$seeds"/* "$scratch/corpus/"
  log "Fuzzing $name for ${secs}s ($(ls "$scratch/corpus" | wc -l) seeds; log: ${scratch#"$ROOT"/}/fuzz.log)"
  local args=(-max_total_time="$secs" "${COMMON_ARGS[@]}" -artifact_prefix="$scratch/")
  if [ -f "$dict" ]; then args+=(-dict="$dict"); fi
  local rc=0 start end
  start=$(date +%s.%N)
  "$BUILD/$name" "${args[@]}" "$scratch/corpus" >"$scratch/fuzz.log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  local runs elapsed
  runs=$(executions_in "$scratch/fuzz.log")
  elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  local line
  line=$(awk -v n="$name" -v s="$elapsed" -v r="$runs" -v rc="$rc" \
    'BEGIN { printf "%-18s %7ss %10d execs %9.0f exec/s  %s", n, s, r, (s > 0 ? r / s : 0), (rc == 0 ? "ok" : "FAILED (exit " rc ")") }')
  summary+=("$line")
  if [ "$rc" -ne 0 ]; then
    failed+=("$name")
    echo "---- $name failed (exit $rc); the end of its log:" >&2
    tail -n 60 "$scratch/fuzz.log" >&2
    local art
    for art in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-* "$scratch"/slow-unit-*; do
      if [ -e "$art" ]; then
        echo "---- reproducer: ${art#"$ROOT"/}   (re-run: ${BUILD#"$ROOT"/}/$name ${art#"$ROOT"/})" >&2
      fi
    done
  fi
  return 0
}

# ------------------------------------------------------------------------------------------------ campaigns
RESULTS="$ROOT/tests/fuzz/campaign.md"

# Writes (or replaces) the row of one target in tests/fuzz/campaign.md. Arguments: the row's cells.
record_row() {
  local name="$1" row
  row="| \`$1\` | $2 | $3 | $4 | $5 | $6 | $7 | $8 |"
  if [ ! -f "$RESULTS" ]; then
    cat >"$RESULTS" <<'EOF'
# Fuzz campaigns

Written by `tools/fuzz.sh --campaign` as each target finishes (tests/fuzz/README.md, "Campaigns"). One row per
target, from its latest campaign: executions, wall-clock seconds and executions per second (on a shared 2-core
machine, at `nice -n 19`: the load average at the end is given), libFuzzer's coverage at the end (`cov`: code
edges, `ft`: features) and the findings, which are copied to `tests/fuzz/regressions/<target>/`. `web` is the
page's URL-state and run-file fuzz loop (tests/web/url-state-fuzz.test.ts), which has no coverage counter.

| target | executions | seconds | exec/s | coverage (cov / ft) | findings | corpus (files, KB) | finished (UTC, load) |
|--------|-----------:|--------:|-------:|---------------------|----------|--------------------|----------------------|
EOF
  fi
  local tmp="$RESULTS.tmp"
  awk -v name="| \`$name\` |" -v row="$row" '
    index($0, name) == 1 { if (!done) print row; done = 1; next }
    { print }
    END { if (!done) print row }' "$RESULTS" >"$tmp"
  mv "$tmp" "$RESULTS"
}

# Whether a timeout's input runs alone, three times, each in under a second (a tenth of the campaign's timeout).
replays_quickly() {  # target artifact
  local i t0 t1
  for i in 1 2 3; do
    t0=$(date +%s.%N)
    "$BUILD/$1" -timeout=10 "$2" >/dev/null 2>&1 || return 1
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 1) }' || return 1
  done
}

campaign_target() {  # name corpus-subdir max_len
  local name="$1" sub="$2" max_len="$3"
  local dir="$BUILD/campaign/$name" seeds="$ROOT/tests/fuzz/corpus/$sub" dict="$ROOT/tests/fuzz/$sub.dict"
  local regress="$ROOT/tests/fuzz/regressions/$name"
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts" "$dir/merged" "$dir/previous"
  cp "$seeds"/* "$dir/corpus/"
  local args=("${COMMON_ARGS[@]}" -max_len="$max_len" -artifact_prefix="$dir/artifacts/")
  if [ -f "$dict" ]; then args+=(-dict="$dict"); fi
  log "Campaign: $name to $RUNS executions (log: ${dir#"$ROOT"/}/fuzz-*.log)"

  local done_runs=0 findings=0 attempt=0 rc start end
  start=$(date +%s.%N)
  while [ "$done_runs" -lt "$RUNS" ] && [ "$attempt" -le 5 ]; do
    rc=0
    "$BUILD/$name" "${args[@]}" -runs=$((RUNS - done_runs)) "$dir/corpus" >"$dir/fuzz-$attempt.log" 2>&1 || rc=$?
    done_runs=$((done_runs + $(executions_in "$dir/fuzz-$attempt.log")))
    attempt=$((attempt + 1))
    [ "$rc" -eq 0 ] && break
    echo "---- $name: a finding (exit $rc) after $done_runs executions; the end of its log:" >&2
    tail -n 30 "$dir/fuzz-$((attempt - 1)).log" >&2
  done
  end=$(date +%s.%N)
  local cov ft
  cov=$(cat "$dir"/fuzz-*.log | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/\1/p' | tail -1)
  ft=$(cat "$dir"/fuzz-*.log | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/\2/p' | tail -1)

  # Minimize: the named seeds first, then whatever adds coverage from this campaign's corpus and the inputs
  # earlier campaigns committed (named by their SHA-1).
  local f base
  for f in "$seeds"/*; do
    base=$(basename "$f")
    if [[ "$base" =~ ^[0-9a-f]{40}$ ]]; then cp "$f" "$dir/previous/"; else cp "$f" "$dir/merged/"; fi
  done
  "$BUILD/$name" -merge=1 "${COMMON_ARGS[@]}" -max_len="$max_len" "$dir/merged" "$dir/corpus" "$dir/previous" \
    >"$dir/merge.log" 2>&1 || echo "---- $name: the merge failed (see ${dir#"$ROOT"/}/merge.log); corpus left as it was" >&2
  if grep -q "MERGE-OUTER: .* new files" "$dir/merge.log"; then
    find "$seeds" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
    for f in "$dir/merged"/*; do
      base=$(basename "$f")
      if [[ "$base" =~ ^[0-9a-f]{40}$ ]] && [ "$(stat -c %s "$f")" -le "$max_len" ]; then cp "$f" "$seeds/"; fi
    done
  fi

  local art kinds=() stalls=0
  for art in "$dir/artifacts"/crash-* "$dir/artifacts"/timeout-* "$dir/artifacts"/oom-* "$dir/artifacts"/leak-*; do
    [ -e "$art" ] || continue
    # A timeout whose input runs quickly alone was a stall: at nice 19 beside busy processes the fuzzer can get no
    # CPU for seconds, and libFuzzer's timeout is wall-clock time. It stays in the artifacts, not a regression.
    if [[ "$(basename "$art")" == timeout-* ]] && replays_quickly "$name" "$art"; then
      echo "---- $name: $(basename "$art") runs in under a second alone: a stall of this machine, not a finding" >&2
      stalls=$((stalls + 1))
      continue
    fi
    mkdir -p "$regress"
    cp "$art" "$regress/"
    findings=$((findings + 1))
    kinds+=("$(basename "$art")")
  done
  [ "$findings" -eq 0 ] || failed+=("$name")

  local secs rate files kb load when found
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
  rate=$(awk -v s="$secs" -v r="$done_runs" 'BEGIN { printf "%.0f", (s > 0 ? r / s : 0) }')
  files=$(ls "$seeds" | wc -l)
  kb=$(du -sk "$seeds" | cut -f1)
  load=$(cut -d' ' -f1 /proc/loadavg)
  when=$(date -u '+%Y-%m-%d %H:%M')
  found="none"
  [ "$findings" -eq 0 ] || found="$findings: ${kinds[*]}"
  [ "$stalls" -eq 0 ] || found="$found ($stalls timeout(s) whose input runs in under a second alone: the fuzzer was starved of CPU, not slow)"
  record_row "$name" "$done_runs" "$secs" "$rate" "${cov:-?} / ${ft:-?}" "$found" "$files, $kb" "$when, load $load"
  summary+=("$(printf '%-18s %11d execs %7ss %7s exec/s  cov %s ft %s  findings: %s' "$name" "$done_runs" "$secs" \
    "$rate" "${cov:-?}" "${ft:-?}" "$found")")
}

# The page's fuzz loop (Vitest) with RUNS inputs per parser.
campaign_web() {
  check_node
  install_web_deps
  local log_file="$BUILD/campaign/web.log" rc=0 start end
  mkdir -p "$BUILD/campaign"
  log "Campaign: the page's URL-state and run-file fuzz loop, $RUNS inputs per parser (log: ${log_file#"$ROOT"/})"
  start=$(date +%s)
  (cd "$ROOT/web" && FUZZ_WEB_RUNS="$RUNS" npx vitest run --config vitest.config.ts ../tests/web/url-state-fuzz.test.ts) \
    >"$log_file" 2>&1 || rc=$?
  end=$(date +%s)
  local secs=$((end - start)) found="none"
  if [ "$rc" -ne 0 ]; then
    found="$(grep -m1 -o 'input [0-9]*: .*' "$log_file" | cut -c1-200 | tr '|' '/')"
    failed+=(web)
  fi
  record_row web "$((2 * RUNS))" "$secs" "$(( secs > 0 ? 2 * RUNS / secs : 0 ))" "-" "${found:-failed, see the log}" "-" \
    "$(date -u '+%Y-%m-%d %H:%M'), load $(cut -d' ' -f1 /proc/loadavg)"
  summary+=("$(printf '%-18s %11d execs %7ss  findings: %s' web "$((2 * RUNS))" "$secs" "$found")")
}

if [ "$MODE" = timed ]; then
  for t in "${TARGETS[@]}"; do
    read -r name sub secs _ <<<"$t"
    run_target "$name" "${SECONDS_ARG:-$secs}" "$sub"
  done
  log "Summary (target, seconds, executions, exec/s)"
else
  # In the order given (the fast targets first, for a campaign that may be cut short), or every target then web.
  [ ${#CHOSEN[@]} -ne 0 ] || CHOSEN=($(target_names) web)
  for c in "${CHOSEN[@]}"; do
    if [ "$c" = web ]; then campaign_web; continue; fi
    for t in "${TARGETS[@]}"; do
      read -r name sub _ max_len <<<"$t"
      if [ "$name" = "$c" ]; then campaign_target "$name" "$sub" "$max_len"; fi
    done
  done
  log "Campaign summary (also in tests/fuzz/campaign.md)"
fi
printf '%s\n' "${summary[@]}"
if [ -n "$suite_pid" ]; then
  suite_rc=0
  wait "$suite_pid" || suite_rc=$?
  log "GoogleTest under AddressSanitizer + UndefinedBehaviorSanitizer: $([ $suite_rc -eq 0 ] && echo passed || echo "FAILED (exit $suite_rc)")"
  # The suite's summary, or on failure what it reported (a sanitizer's report is at the end).
  if [ $suite_rc -eq 0 ]; then grep -E '^\[(==========|  PASSED  |  SKIPPED )\]' "$BUILD/suite.log"; else tail -n 60 "$BUILD/suite.log"; fi
  [ $suite_rc -eq 0 ] || failed+=(attn_tests_sanitized)
fi
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzzing FAILED: ${failed[*]}" >&2
  exit 1
fi
