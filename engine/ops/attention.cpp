#include "ops/attention.h"

#include <cmath>
#include <type_traits>

#include "core/tensor.h"
#include "ops/dropout.h"
#include "ops/softmax.h"

namespace attn {

float ScoreScale::factor(int64_t d_k) const {
  float s = !scaled ? 1.0f : (scale != 0.0f ? scale : static_cast<float>(1.0 / std::sqrt(static_cast<double>(d_k))));
  return s / temperature;
}

namespace {
// Per-head products are often tiny (a few tokens, head width 8-64): Eigen's blocked GEMM spends more time
// packing than multiplying there, so small ones use the coefficient-based product instead.
inline bool small(int64_t m, int64_t n, int64_t k) { return m * n * k <= 32 * 32 * 32; }

template <class Dst, class A, class B>
void product(Dst&& dst, const A& a, const B& b, bool accumulate) {
  if (small(a.rows(), b.cols(), a.cols())) {
    if (accumulate) dst += a.lazyProduct(b);
    else dst = a.lazyProduct(b);
  } else {
    if (accumulate) dst.noalias() += a * b;
    else dst.noalias() = a * b;
  }
}
}  // namespace

template <class T>
void attention_forward(T* out, const AttentionSlice<T>& slice, const T* q, const T* k, const T* v, const T* mask,
                       T factor, float dropout_p, Rng* rng, int64_t L, int64_t S, int64_t D, int64_t Dv) {
  MapT<T> w(slice.weights, L, S);
  product(w, CMapT<T>(q, L, D), CMapT<T>(k, S, D).transpose(), false);  // raw scores  Q K^T
  if (slice.scores) MapT<T>(slice.scores, L, S) = w;
  w *= factor;                                                       // scaled scores
  if (slice.scaled) MapT<T>(slice.scaled, L, S) = w;
  if (mask) w += CMapT<T>(mask, L, S);                               // masked keys become -inf
  softmax_forward(slice.weights, slice.weights, L, S);               // weights
  const T* used = slice.weights;
  if constexpr (std::is_same_v<T, float>) {
    if (dropout_p > 0.0f && rng) {
      ATTN_ASSERT(slice.dropped && slice.keep, "attention_forward: dropout needs buffers");
      dropout_forward(slice.dropped, slice.keep, slice.weights, L * S, dropout_p, *rng);
      used = slice.dropped;
    }
  }
  product(MapT<T>(out, L, Dv), CMapT<T>(used, L, S), CMapT<T>(v, S, Dv), false);  // weighted sum of values
}

template <class T>
void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* weights, const T* dropped, const T* keep,
                        const T* q, const T* k, const T* v, T factor, int64_t L, int64_t S, int64_t D, int64_t Dv) {
  CMapT<T> dO(dout, L, Dv);
  // out = P' V with P' = dropout(P):  dV += P'^T dO,  dP' = dO V^T
  if (dv) product(MapT<T>(dv, S, Dv), CMapT<T>(dropped ? dropped : weights, L, S).transpose(), dO, true);
  MatT<T> g(L, S);
  product(g, dO, CMapT<T>(v, S, Dv).transpose(), false);
  if (keep) g.array() *= CMapT<T>(keep, L, S).array();  // through the dropout
  softmax_backward(g.data(), g.data(), weights, L, S);  // through the softmax: now d(logits)
  g *= factor;                                          // through the scaling: now d(Q K^T); the mask is constant
  if (dq) product(MapT<T>(dq, L, D), g, CMapT<T>(k, S, D), true);
  if (dk) product(MapT<T>(dk, S, D), g.transpose(), CMapT<T>(q, L, D), true);
}

#define ATTN_INSTANTIATE(T)                                                                                       \
  template void attention_forward(T*, const AttentionSlice<T>&, const T*, const T*, const T*, const T*, T, float,   \
                                  Rng*, int64_t, int64_t, int64_t, int64_t);                                        \
  template void attention_backward(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, const T*, const T*, \
                                   T, int64_t, int64_t, int64_t, int64_t);
ATTN_INSTANTIATE(float)
ATTN_INSTANTIATE(double)
#undef ATTN_INSTANTIATE

}  // namespace attn
