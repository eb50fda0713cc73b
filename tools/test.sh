#!/usr/bin/env bash
# Runs every test: the engine's GoogleTest suite natively and as WebAssembly under Node, the JavaScript tests
# (the engine's JS API against the PyTorch golden files, and the page's modules), and the end-to-end tests
# of the built page in headless Chromium. Installs what is missing first. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
apt_install chromium fonts-noto-color-emoji fonts-wqy-microhei
"$ROOT/tools/build.sh"

log "GoogleTest, native"
"$ROOT/build/native/attn_tests" --gtest_brief=1
log "GoogleTest, WebAssembly under Node (the same suite)"
node --no-experimental-fetch "$ROOT/build/wasm/attn_tests.js" --gtest_brief=1
log "JavaScript tests (Vitest): engine API vs PyTorch goldens, page modules"
(cd "$ROOT/web" && npx vitest run --config vitest.config.ts)
log "End-to-end tests: the built page in headless Chromium"
(cd "$ROOT/web" && npx vitest run --config vitest.e2e.config.ts)
log "All tests passed"
