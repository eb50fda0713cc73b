#!/usr/bin/env bash
# Builds everything: the native engine and tests, the WebAssembly engine and tests, and the page (web/dist).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_build_deps
install_web_deps
log "Building the engine natively (g++) with its tests"
configure "$ROOT/build/native" cmake
cmake --build "$ROOT/build/native" -j "$JOBS"
build_wasm
build_wasm_threads
log "Building the WebAssembly test suite (single-threaded, and with threads)"
cmake --build "$ROOT/build/wasm" -j "$JOBS"
cmake --build "$ROOT/build/wasm-mt" -j "$JOBS"
build_web
