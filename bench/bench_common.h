// What the benchmarks share: the runtime's name in the JSON records, a description of the build, a clock.
// Header-only, used by mha_bench.cpp and train_bench.cpp (each one source for the native and the wasm build).
#pragma once

#include <chrono>
#include <string>

#include <Eigen/Core>

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#endif

namespace attn_bench {

inline const char* runtime_name() {
#ifdef __EMSCRIPTEN__
  return "wasm-node";
#else
  return "native";
#endif
}

// Compiler, target SIMD and what Eigen vectorizes with, e.g.
// "g++ 12.2.0, AVX512F, Eigen 3.4.0 SIMD: AVX512, FMA, AVX2, ..." or "em++ 3.1.6, simd128, node v20.20.2, ...".
inline std::string build_info() {
  std::string s;
#if defined(__EMSCRIPTEN__)
  s = "em++ " + std::to_string(__EMSCRIPTEN_major__) + "." + std::to_string(__EMSCRIPTEN_minor__) + "." +
      std::to_string(__EMSCRIPTEN_tiny__);
#if defined(__wasm_simd128__)
  s += ", simd128";
#endif
  s += std::string(", node ") + emscripten_run_script_string("process.version");
#else
#if defined(__clang__)
  s = "clang++ " __clang_version__;
#elif defined(__GNUC__)
  s = "g++ " __VERSION__;
#endif
#if defined(__AVX512F__)
  s += ", AVX512F";
#elif defined(__AVX2__)
  s += ", AVX2";
#endif
#endif
  s += ", Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
       std::to_string(EIGEN_MINOR_VERSION) + " SIMD: " + Eigen::SimdInstructionSetsInUse();
  return s;
}

inline double now_ms() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double, std::milli>(clock::now().time_since_epoch()).count();
}

}  // namespace attn_bench
