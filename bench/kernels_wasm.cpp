// attn_kernels: the engine's kernels as plain C functions for JavaScript (bench/ort/ort_bench.mjs), so that they are
// timed from JavaScript exactly as ONNX Runtime Web is: performance.now() around many calls, in the same Node run.
// Emscripten only (bench/CMakeLists.txt): build/wasm/bench/attn_kernels.js + .wasm, a MODULARIZE (CommonJS)
// factory `createAttnKernels`, loaded by the benchmark with `wasmBinary`. Compiled like the engine
// (attn_engine's flags: em++ -O3 -msimd128, single-threaded), linked against the same attn_engine library.
//
// Buffers live in the wasm heap: JavaScript allocates them once (kb_alloc), copies the inputs in once, and times
// only the calls. The heap does not grow (fixed INITIAL_MEMORY), so views on it stay valid.
//
//   kb_gemm      C [M, N] = A [M, K] . op(B) through attn::gemm (ops/gemm.h). trans_b = 1: B is [N, K] and the
//                product is A B^T, the layout of every linear layer of the engine (x W^T with nn.Linear's weight
//                [out, in]; ops/linear.cpp), computed by the dot-product kernel without packing. trans_b = 0: B is
//                [K, N] (ONNX MatMul's layout), computed by the packed 4 x 8 kernel.
//   kb_softmax   w [N, C] = softmax of each row of x [N, C] (attn::softmax_forward, ops/softmax.h).
//   kb_mha_*     attn::MultiheadAttention (E, H, bias) with the given PyTorch-layout weights; forward(x, x, x):
//                self-attention, no mask, eval mode, batch 1, as bench/mha_bench.cpp times it.
//   kb_build_info  compiler, SIMD, Node version (bench_common.h).
//   kb_peak      the machine's peak for WebAssembly SIMD without memory traffic: `iters` iterations of NACC
//                independent chains acc = acc * m + a on f32x4 (separate mul and add: this clang has no usable
//                relaxed-simd FMA, and the engine's kernels use mul + add too). 8 flops per chain and iteration.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <emscripten.h>
#include <wasm_simd128.h>

#include "bench_common.h"
#include "layers/multihead_attention.h"
#include "ops/gemm.h"
#include "ops/softmax.h"

extern "C" {

// The build, as in the other benchmarks' records: "em++ 3.1.6, simd128, node v20..., Eigen 3.4.0 SIMD: ...".
EMSCRIPTEN_KEEPALIVE const char* kb_build_info() {
  static const std::string info = attn_bench::build_info();
  return info.c_str();
}

EMSCRIPTEN_KEEPALIVE float* kb_alloc(int32_t n_floats) {
  return static_cast<float*>(std::aligned_alloc(64, ((static_cast<size_t>(n_floats) * 4 + 63) / 64) * 64));
}
EMSCRIPTEN_KEEPALIVE void kb_free(float* p) { std::free(p); }

EMSCRIPTEN_KEEPALIVE void kb_gemm(float* C, const float* A, const float* B, int32_t M, int32_t N, int32_t K,
                                  int32_t trans_b) {
  if (trans_b) attn::gemm(C, N, A, K, false, B, K, true, M, N, K, false);
  else attn::gemm(C, N, A, K, false, B, N, false, M, N, K, false);
}

EMSCRIPTEN_KEEPALIVE void kb_softmax(float* w, const float* x, int32_t N, int32_t C) {
  attn::softmax_forward(w, x, N, C);
}

}  // extern "C"

// ------------------------------------------------------------------------------------------- multi-head attention

namespace {

struct MhaBench {
  attn::MultiheadAttention mha;
  attn::Tensor x;
  attn::AttentionCache cache;
};

void copy_into(attn::Tensor& t, const float* src) { std::memcpy(t.ptr(), src, t.data.size() * sizeof(float)); }

}  // namespace

extern "C" {

// A MultiheadAttention(E, H) with in_proj_weight [3E, E], in_proj_bias [3E], out_proj.weight [E, E],
// out_proj.bias [E] (copied), and an input x [1, L, E] (copied). Returns a handle for kb_mha_forward.
EMSCRIPTEN_KEEPALIVE MhaBench* kb_mha_create(int32_t E, int32_t H, int32_t L, const float* in_proj_weight,
                                             const float* in_proj_bias, const float* out_proj_weight,
                                             const float* out_proj_bias, const float* x) {
  attn::MhaConfig config;
  config.embed_dim = E;
  config.num_heads = H;
  if (!config.validate().ok()) return nullptr;
  auto b = std::make_unique<MhaBench>();
  b->mha = attn::MultiheadAttention(config);
  copy_into(b->mha.in_proj_weight.value, in_proj_weight);
  copy_into(b->mha.in_proj_bias.value, in_proj_bias);
  copy_into(b->mha.out_proj.weight.value, out_proj_weight);
  copy_into(b->mha.out_proj.bias.value, out_proj_bias);
  b->x = attn::Tensor({1, L, E});
  copy_into(b->x, x);
  return b.release();
}

// One forward(x, x, x); returns the output [1, L, E] (valid until the next call or kb_mha_destroy).
EMSCRIPTEN_KEEPALIVE const float* kb_mha_forward(MhaBench* b) {
  static const attn::AttnMasks no_masks;
  static const attn::ForwardContext eval_mode;
  return b->mha.forward(b->cache, b->x, b->x, b->x, no_masks, eval_mode).ptr();
}

EMSCRIPTEN_KEEPALIVE void kb_mha_destroy(MhaBench* b) { delete b; }

}  // extern "C"

// ---------------------------------------------------------------------------------------------- the peak

namespace {

template <int NACC>
float peak(int32_t iters, float m, float a) {
  const v128_t vm = wasm_f32x4_splat(m), va = wasm_f32x4_splat(a);
  v128_t acc[NACC];
  for (int i = 0; i < NACC; ++i) acc[i] = wasm_f32x4_splat(static_cast<float>(i) * 0.01f);
  for (int32_t n = 0; n < iters; ++n) {
#pragma clang loop unroll(full)
    for (int i = 0; i < NACC; ++i) acc[i] = wasm_f32x4_add(wasm_f32x4_mul(acc[i], vm), va);
  }
  v128_t s = acc[0];
  for (int i = 1; i < NACC; ++i) s = wasm_f32x4_add(s, acc[i]);
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) + wasm_f32x4_extract_lane(s, 2) +
         wasm_f32x4_extract_lane(s, 3);
}

}  // namespace

extern "C" {

// `iters` iterations of n_acc independent f32x4 multiply-add chains (n_acc in 4, 6, 8, 10, 12, 14; otherwise 0 is
// returned without work): 8 * n_acc * iters flops. m and a come from JavaScript so nothing is folded; with
// m < 1 the chains converge to a / (1 - m), never overflow nor become subnormal.
EMSCRIPTEN_KEEPALIVE float kb_peak(int32_t n_acc, int32_t iters, float m, float a) {
  switch (n_acc) {
    case 4: return peak<4>(iters, m, a);
    case 6: return peak<6>(iters, m, a);
    case 8: return peak<8>(iters, m, a);
    case 10: return peak<10>(iters, m, a);
    case 11: return peak<11>(iters, m, a);
    case 12: return peak<12>(iters, m, a);
    case 13: return peak<13>(iters, m, a);
    case 14: return peak<14>(iters, m, a);
    default: return 0.0f;
  }
}

}  // extern "C"
