// Scaled dot-product attention for one (batch, head) slice: the formula of "Attention Is All You Need",
//
//     weights = softmax(Q K^T * factor + mask),   out = dropout(weights) V,   factor = scale / temperature
//
// with the masked-row rule of ops/softmax.h (a query whose keys are all masked gets zero weights and a zero
// output). `scale` is 1/sqrt(d_k) by default; the page can switch it off (scale = 1) to show why it is there.
// Shapes: q [L, D], k [S, D], v [S, Dv], mask and every score buffer [L, S], out [L, Dv]; all row-major.
#pragma once

#include <cstdint>

#include "core/rng.h"

namespace attn {

// How raw scores are scaled before the softmax.
struct ScoreScale {
  bool scaled = true;         // multiply by `scale` (default 1/sqrt(d_k)); false: leave raw scores
  float scale = 0.0f;         // 0 means 1/sqrt(d_k), as in PyTorch; any other value is used as given
  float temperature = 1.0f;   // divide by the temperature (1 = standard attention)
  // The factor that multiplies Q K^T for head width d_k.
  float factor(int64_t d_k) const;
};

// Buffers of one slice, caller-owned. Optional ones may be null.
template <class T>
struct AttentionSlice {
  T* scores = nullptr;   // [L, S] optional: raw Q K^T
  T* scaled = nullptr;   // [L, S] optional: Q K^T * factor (before the mask)
  T* weights = nullptr;  // [L, S] required: softmax weights (rows sum to 1, or are all 0 when fully masked)
  T* dropped = nullptr;  // [L, S] required when dropout is active: weights after dropout
  T* keep = nullptr;     // [L, S] required when dropout is active: 1/(1-p) where kept, 0 where dropped
};

// out [L, Dv] = attention(q, k, v). mask: additive [L, S] (0 keep, -inf masked, other values added) or null.
// Dropout on the weights applies only when dropout_p > 0 and rng is given (training; float only).
template <class T>
void attention_forward(T* out, const AttentionSlice<T>& slice, const T* q, const T* k, const T* v, const T* mask,
                       T factor, float dropout_p, Rng* rng, int64_t L, int64_t S, int64_t D, int64_t Dv);

// In the forward pass this was: weights = softmax(q k^T * factor + mask); out = dropout(weights) v.
// dq [L, D] += ..., dk [S, D] += ..., dv [S, Dv] += ... (any may be null). `dropped` and `keep` are null
// when no dropout ran.
template <class T>
void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* weights, const T* dropped, const T* keep,
                        const T* q, const T* k, const T* v, T factor, int64_t L, int64_t S, int64_t D, int64_t Dv);

}  // namespace attn
