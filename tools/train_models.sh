#!/usr/bin/env bash
# Trains the page's three models from scratch with the engine, natively, and writes them to models/<name>/
# (model.safetensors as F16, tokenizer.json, metrics.json, heldout.json). Deterministic: the same seed gives the
# same weights. The language model and the tagger train side by side (one core each; the engine is
# single-threaded). See models/README.md.
#   tools/train_models.sh            all three
#   tools/train_models.sh dates      one of: tokenizer lm tagger dates
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_build_deps
install_web_deps
install_model_data
apt_install time
configure "$ROOT/build/native" cmake
cmake --build "$ROOT/build/native" -j "$JOBS" --target attn-models
bin="$ROOT/build/native/attn-models"
cd "$ROOT"
what="${1:-all}"
run() {
  log "Training: $*"
  /usr/bin/time -f "  ($1: %e s wall, %M KB peak memory)" "$bin" "$@" | tee "build/train-$1.log"
}
case "$what" in
  all)
    run tokenizer
    run lm & lm=$!
    run tagger & tagger=$!
    wait $lm; wait $tagger
    run dates
    ;;
  tokenizer | lm | tagger | dates) run "$what" ;;
  *) echo "usage: tools/train_models.sh [all|tokenizer|lm|tagger|dates]" >&2; exit 2 ;;
esac
copy_models
log "Models written to models/ and copied to web/public/models/"
