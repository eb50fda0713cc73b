#!/usr/bin/env bash
# Runs every test: the engine's GoogleTest suite natively and as WebAssembly under Node, the JavaScript tests
# (the engine's JS API against the PyTorch golden files, and the page's modules), and the end-to-end tests
# of the built page in headless Chromium. Installs what is missing first. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
apt_install chromium fonts-noto-color-emoji fonts-wqy-microhei python3-torch  # PyTorch: tests/web/pytorch.test.ts runs the widgets' scripts
"$ROOT/tools/build.sh"

log "GoogleTest, native"
"$ROOT/build/native/attn_tests" --gtest_brief=1
log "GoogleTest, WebAssembly under Node (the same suite)"
node --no-experimental-fetch "$ROOT/build/wasm/attn_tests.js" --gtest_brief=1
log "GoogleTest, WebAssembly with threads under Node (the same suite on 4 threads: the same bits)"
node --no-experimental-fetch "$ROOT/build/wasm-mt/attn_tests.js" --gtest_brief=1
log "CLI trainer: string reversal must reach >= 99% greedy exact match"
"$ROOT/build/native/attn-train" --help | grep -q "Usage: attn-train"
run="$ROOT/build/runs/reverse"
mkdir -p "$ROOT/build/runs"
"$ROOT/build/native/attn-train" --task reverse --steps 2000 --eval-every 500 --out "$run" | tee "$run.log" | grep -E "held-out|done"
exact=$(sed -n 's/.* \([0-9.]*\)% (greedy decoding.*/\1/p' "$run.log")
awk -v e="$exact" 'BEGIN { if (e + 0 < 99) { print "reversal exact match " e "% is below 99%"; exit 1 } }'
log "Shipped models: each re-measured on a slice of its test set, against its bar"
install_model_data
probes="$ROOT/build/model-probes"
mkdir -p "$probes"
"$ROOT/build/native/attn-models" eval lm --slice 3000 --probe-out "$probes/lm.json"
"$ROOT/build/native/attn-models" eval tagger --slice 2000 --probe-out "$probes/tagger.json"
"$ROOT/build/native/attn-models" eval dates --slice 1200 --probe-out "$probes/dates.json"
log "Retraining is deterministic: two short date-translator runs from the same seed write identical weights"
repro="$ROOT/build/repro"
rm -rf "$repro"
# Output paths of different lengths shift the heap: the weights must not depend on where buffers land.
for r in a a-longer-path/for-the-second-run; do  # exit code 1 means "below the bar", expected after 40 steps
  mkdir -p "$repro/$r"
  "$ROOT/build/native/attn-models" dates --steps 40 --held-out 60 --out "$repro/$r" >"$repro/$r.log" || [ $? -eq 1 ]
done
cmp "$repro/a/model.safetensors" "$repro/a-longer-path/for-the-second-run/model.safetensors"
log "JavaScript tests (Vitest): engine API vs PyTorch goldens, training, models, page modules"
(cd "$ROOT/web" && ATTN_CLI_MODEL="$run/model.safetensors" ATTN_MODEL_PROBES="$probes" npx vitest run --config vitest.config.ts)
log "Fuzzing the loaders, parsers and tokenizers (libFuzzer, ASan + UBSan), and the GoogleTest suite under the same sanitizers"
"$ROOT/tools/fuzz.sh" --with-suite "${FUZZ_SECONDS:-60}"
log "End-to-end tests: the built page in headless Chromium, cross-origin isolated, the engine on 2 threads"
(cd "$ROOT/web" && ATTN_E2E_THREADS=2 npx vitest run --config vitest.e2e.config.ts)
# The second pass, not isolated, runs only the files whose behaviour differs without cross-origin isolation.
# What differs is the engine build the page's workers start (web/src/engine/engine-build.ts): the single-threaded
# one, whose memory is not shared (growing it detaches the views the workers copy results out of). Every numeric
# check of the first pass already compares the page's threaded build with the single-threaded build in Node
# (build/wasm), bit for bit, and threads.test.ts starts both kinds of server itself (it ran above). So this pass
# covers each worker once on the single-threaded build, not every widget again: the explorer's worker with the
# trained models (explorer), every widget of the gallery through the shared worker (gallery), Hugging Face
# checkpoints loaded into a growing memory, a dying worker replaced (hf-models), and the lab's training worker
# with its stored runs (lab).
single_build_files=(explorer.test.ts gallery.test.ts hf-models.test.ts lab.test.ts)
for f in "${single_build_files[@]}"; do
  [ -f "$ROOT/tests/e2e/$f" ] || { echo "tools/test.sh: tests/e2e/$f is gone; update single_build_files" >&2; exit 1; }
done
log "End-to-end tests again, not isolated (the single-threaded engine): ${single_build_files[*]}"
(cd "$ROOT/web" && ATTN_E2E_ISOLATION=0 npx vitest run --config vitest.e2e.config.ts "${single_build_files[@]/#//}")
log "All tests passed"
