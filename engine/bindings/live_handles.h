// A count of the engine objects JavaScript holds, for leak checks (Engine.liveHandles() in attn.mjs): every bound
// class (models, tokenizers, training runs, Hugging Face models and tokenizers) derives from LiveHandle<kind>, so the
// count is of C++ objects alive, however JavaScript made or freed them (.delete()). Tensors are not handles: every
// tensor the engine returns to JavaScript is a copy in a typed array. Also the WebAssembly memory's size and the
// bytes malloc has handed out (Engine.memoryUse()).
#pragma once

#include <emscripten/val.h>
#include <malloc.h>

#include <array>
#include <atomic>
#include <cstddef>

namespace attn::js {

enum HandleKind { kModelHandle, kTokenizerHandle, kRunHandle, kHfModelHandle, kHfTokenizerHandle, kHandleKinds };

// Live objects per kind (static storage: starts at zero).
inline std::array<std::atomic<int>, kHandleKinds>& live_handle_counts() {
  static std::array<std::atomic<int>, kHandleKinds> counts;
  return counts;
}

// A base of each bound class: counts its instances alive.
template <HandleKind K>
struct LiveHandle {
  LiveHandle() { ++live_handle_counts()[K]; }
  LiveHandle(const LiveHandle&) { ++live_handle_counts()[K]; }
  LiveHandle& operator=(const LiveHandle&) = default;
  ~LiveHandle() { --live_handle_counts()[K]; }
};

// {models, tokenizers, runs, hfModels, hfTokenizers, total}: the engine objects alive now.
inline emscripten::val live_handles_js() {
  static const char* names[kHandleKinds] = {"models", "tokenizers", "runs", "hfModels", "hfTokenizers"};
  emscripten::val out = emscripten::val::object();
  int total = 0;
  for (int k = 0; k < kHandleKinds; ++k) {
    const int n = live_handle_counts()[k].load();
    out.set(names[k], n);
    total += n;
  }
  out.set("total", total);
  return out;
}

// {memoryBytes, heapBytes}: the WebAssembly memory's size (it only grows) and the bytes malloc has handed out and
// not had back (what a leak makes grow).
inline emscripten::val memory_use_js() {
  emscripten::val out = emscripten::val::object();
  out.set("memoryBytes", static_cast<double>(__builtin_wasm_memory_size(0)) * 65536.0);
  out.set("heapBytes", static_cast<double>(mallinfo().uordblks));
  return out;
}

}  // namespace attn::js
