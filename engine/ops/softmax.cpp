#include "ops/softmax.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "core/tensor.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace attn {

#if defined(__wasm_simd128__)
namespace {

// exp(x) for four x <= 0 at once (the softmax's x - max): x = n ln 2 + r with |r| <= ln 2 / 2, exp(r) by its
// degree-6 Taylor-like polynomial (Cephes' expf coefficients, error under 2 ulp), times 2^n built in the exponent
// bits. Below -87.3 (where exp underflows float) it is 0; a NaN stays NaN. Eigen has no WebAssembly SIMD exp, and
// its scalar one made the softmax of attention 3.5 ns per element (bench/README.md, kernels against ORT Web).
inline v128_t exp_nonpositive(v128_t x) {
  const v128_t log2e = wasm_f32x4_splat(1.44269504088896341f);
  const v128_t ln2_hi = wasm_f32x4_splat(0.693359375f), ln2_lo = wasm_f32x4_splat(-2.12194440e-4f);
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, log2e));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, ln2_hi));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, ln2_lo));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), wasm_f32x4_add(r, wasm_f32x4_splat(1.0f)));
  // 2^n: n + 127 in the exponent field (n >= -126 here: smaller x are flushed to 0 below). Adding 1.5 * 2^23
  // puts the integer n + 127 in the low mantissa bits, and the shift by 23 drops everything above them.
  const v128_t biased = wasm_f32x4_add(n, wasm_f32x4_splat(12582912.0f + 127.0f));
  const v128_t scale = wasm_i32x4_shl(biased, 23);
  const v128_t y = wasm_f32x4_mul(p, scale);
  return wasm_v128_andnot(y, wasm_f32x4_lt(x, wasm_f32x4_splat(-87.33654f)));  // underflow: 0 (NaN compares false)
}

// One row of softmax_forward<float>, four lanes at a time: the maximum, exp(x - max) with masked keys (-inf)
// exactly 0, their sum, then each times its reciprocal. The row's sum is taken lane-wise then across lanes, so the bits
// differ from Eigen's scalar loop by rounding only (tests/engine/ops_test.cpp compares both with PyTorch).
void softmax_row(float* y, const float* x, int64_t C) {
  const float neg_inf = -std::numeric_limits<float>::infinity();
  const int64_t c4 = C - C % 4;
  v128_t mx = wasm_f32x4_splat(neg_inf), nans = wasm_i32x4_splat(0);
  for (int64_t j = 0; j < c4; j += 4) {  // pmax is one instruction (max with NaN rules is several): NaNs apart
    const v128_t v = wasm_v128_load(x + j);
    mx = wasm_f32x4_pmax(mx, v);
    nans = wasm_v128_or(nans, wasm_f32x4_ne(v, v));
  }
  float m = std::fmax(std::fmax(wasm_f32x4_extract_lane(mx, 0), wasm_f32x4_extract_lane(mx, 1)),
                      std::fmax(wasm_f32x4_extract_lane(mx, 2), wasm_f32x4_extract_lane(mx, 3)));
  bool nan = wasm_v128_any_true(nans);
  for (int64_t j = c4; j < C; ++j) {
    nan |= std::isnan(x[j]);
    m = std::fmax(m, x[j]);
  }
  if (m == neg_inf) {  // every key masked: the query attends to nothing
    for (int64_t j = 0; j < C; ++j) y[j] = 0.0f;
    return;
  }
  if (nan) {  // a NaN logit makes the row NaN
    for (int64_t j = 0; j < C; ++j) y[j] = std::numeric_limits<float>::quiet_NaN();
    return;
  }
  const v128_t vm = wasm_f32x4_splat(m), ninf = wasm_f32x4_splat(neg_inf);
  v128_t sum4 = wasm_f32x4_splat(0.0f);
  for (int64_t j = 0; j < c4; j += 4) {
    const v128_t v = wasm_v128_load(x + j);
    const v128_t e = wasm_v128_andnot(exp_nonpositive(wasm_f32x4_sub(v, vm)), wasm_f32x4_eq(v, ninf));
    wasm_v128_store(y + j, e);
    sum4 = wasm_f32x4_add(sum4, e);
  }
  if (c4 < C) {  // the last C % 4 as one more vector padded with -inf, whose lanes come out exactly 0
    float in[4] = {neg_inf, neg_inf, neg_inf, neg_inf}, out[4];
    for (int64_t j = c4; j < C; ++j) in[j - c4] = x[j];
    const v128_t v = wasm_v128_load(in);
    const v128_t e = wasm_v128_andnot(exp_nonpositive(wasm_f32x4_sub(v, vm)), wasm_f32x4_eq(v, ninf));
    wasm_v128_store(out, e);
    sum4 = wasm_f32x4_add(sum4, e);
    for (int64_t j = c4; j < C; ++j) y[j] = out[j - c4];
  }
  // Element j is always summed in lane j % 4, in order, and masked keys add exactly 0: a row has the same bits
  // whatever masked keys follow it (a causal row in the full pass, and the same row computed alone from the
  // KV cache while typing: tests/web/hf.test.ts checks them bit for bit).
  const float sum = (wasm_f32x4_extract_lane(sum4, 0) + wasm_f32x4_extract_lane(sum4, 1)) +
                    (wasm_f32x4_extract_lane(sum4, 2) + wasm_f32x4_extract_lane(sum4, 3));
  const float inv = 1.0f / sum;  // times the reciprocal, as PyTorch's CPU softmax does
  const v128_t vs = wasm_f32x4_splat(inv);
  for (int64_t j = 0; j < c4; j += 4) wasm_v128_store(y + j, wasm_f32x4_mul(wasm_v128_load(y + j), vs));
  for (int64_t j = c4; j < C; ++j) y[j] *= inv;
}

}  // namespace
#endif

template <class T>
void softmax_forward(T* w, const T* logits, int64_t N, int64_t C) {
#if defined(__wasm_simd128__)
  if constexpr (std::is_same_v<T, float>) {
    for (int64_t i = 0; i < N; ++i) softmax_row(w + i * C, logits + i * C, C);
    return;
  }
#endif
  const T neg_inf = -std::numeric_limits<T>::infinity();
  CMapT<T> x(logits, N, C);
  MapT<T> y(w, N, C);
  for (int64_t i = 0; i < N; ++i) {
    auto row = x.row(i).array();
    if ((row == neg_inf).all()) {  // every key masked: the query attends to nothing
      y.row(i).setZero();
      continue;
    }
    const T m = row.maxCoeff();  // a NaN logit makes the row NaN, as in PyTorch
    // Masked keys get exactly 0. (Eigen's vectorized exp clamps its input, so exp(-inf) would come out as the
    // smallest normal number, not 0, whenever a row happens to be aligned for packets.)
    y.row(i) = (row == neg_inf).select(T(0), (row - m).exp()).matrix();
    y.row(i) /= y.row(i).sum();
  }
}

template <class T>
void softmax_backward(T* dlogits, const T* dw, const T* w, int64_t N, int64_t C) {
  CMapT<T> W(w, N, C), dW(dw, N, C);
  MapT<T> dL(dlogits, N, C);
  for (int64_t i = 0; i < N; ++i) {
    const T dot = W.row(i).dot(dW.row(i));
    dL.row(i) = (W.row(i).array() * (dW.row(i).array() - dot)).matrix();
  }
}

template void softmax_forward(float*, const float*, int64_t, int64_t);
template void softmax_forward(double*, const double*, int64_t, int64_t);
template void softmax_backward(float*, const float*, const float*, int64_t, int64_t);
template void softmax_backward(double*, const double*, const double*, int64_t, int64_t);

}  // namespace attn
