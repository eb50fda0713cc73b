#include "ops/attention.h"

#include <cmath>
#include <type_traits>

#include "core/tensor.h"
#include "ops/dropout.h"
#include "ops/gemm.h"
#include "ops/softmax.h"

namespace attn {

float ScoreScale::factor(int64_t d_k) const {
  float s = !scaled ? 1.0f : (scale != 0.0f ? scale : static_cast<float>(1.0 / std::sqrt(static_cast<double>(d_k))));
  return s / temperature;
}


template <class T>
void attention_forward(T* out, const AttentionSlice<T>& slice, const T* q, const T* k, const T* v, const T* mask,
                       T factor, float dropout_p, Rng* rng, int64_t L, int64_t S, int64_t D, int64_t Dv) {
  MapT<T> w(slice.weights, L, S);
  gemm(slice.weights, S, q, D, false, k, D, true, L, S, D, false);  // raw scores  Q K^T
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
  gemm(out, Dv, used, S, false, v, Dv, false, L, Dv, S, false);  // weighted sum of values  P V
}

template <class T>
void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* weights, const T* dropped, const T* keep,
                        const T* q, const T* k, const T* v, T factor, int64_t L, int64_t S, int64_t D, int64_t Dv) {
  // out = P' V with P' = dropout(P):  dV += P'^T dO,  dP' = dO V^T
  if (dv) gemm(dv, Dv, dropped ? dropped : weights, S, true, dout, Dv, false, S, Dv, L, true);
  MatT<T> g(L, S);
  gemm(g.data(), S, dout, Dv, false, v, Dv, true, L, S, Dv, false);
  if (keep) g.array() *= CMapT<T>(keep, L, S).array();  // through the dropout
  softmax_backward(g.data(), g.data(), weights, L, S);  // through the softmax: now d(logits)
  g *= factor;                                          // through the scaling: now d(Q K^T); the mask is constant
  if (dq) gemm(dq, D, g.data(), S, false, k, D, false, L, D, S, true);  // dQ += g K
  if (dk) gemm(dk, D, g.data(), S, true, q, D, false, S, D, L, true);   // dK += g^T Q
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
