#!/usr/bin/env bash
# Runs the demo: installs what is missing, builds the WebAssembly engine (single-threaded, and with threads) and
# the page, serves web/dist (cross-origin isolated: the engine runs on threads) and prints its URL.   PORT=9000 tools/demo.sh   to use another port.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_build_deps
install_web_deps
build_wasm
build_wasm_threads
build_web
exec node "$ROOT/tools/serve.mjs" --dir "$ROOT/web/dist" --port "${PORT:-8080}" --host "${HOST:-127.0.0.1}"
