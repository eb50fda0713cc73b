// Scaled dot-product attention for one (batch, head) slice: the formula of "Attention Is All You Need",
//
//     weights = softmax(Q K^T * scale / temperature + mask),   out = dropout(weights) V
//
// with the masked-row rule of ops/softmax.h (a query whose keys are all masked gets zero weights and a zero
// output). `scale` is 1/sqrt(d_k) by default; the page can switch it off (scale = 1) to show why it is there.
#pragma once

#include "core/rng.h"
#include "core/tensor.h"

namespace attn {

// How raw scores are scaled before the softmax.
struct ScoreScale {
  bool scaled = true;         // multiply by `scale` (default 1/sqrt(d_k)); false: leave raw scores
  float scale = 0.0f;         // 0 means 1/sqrt(d_k), as in PyTorch; any other value is used as given
  float temperature = 1.0f;   // divide by the temperature (1 = standard attention)
  // The factor that multiplies Q K^T for head width d_k.
  float factor(int64_t d_k) const;
};

// Buffers of one slice, all row-major and caller-owned. Optional ones may be null.
struct AttentionSlice {
  float* scores = nullptr;   // [L, S] optional: raw Q K^T
  float* scaled = nullptr;   // [L, S] optional: Q K^T * factor (before the mask)
  float* weights = nullptr;  // [L, S] required: softmax weights
  float* dropped = nullptr;  // [L, S] required when dropout is active: weights after dropout
  float* keep = nullptr;     // [L, S] required when dropout is active: 1/(1-p) where kept, 0 where dropped
};

// q [L, D], k [S, D], v [S, Dv], mask [L, S] additive (0 keep, -inf masked, any other value is added) or
// null. out [L, Dv]. Dropout on the weights applies only when dropout_p > 0 and rng is given (training).
void attention_forward(MatRef out, const AttentionSlice& slice, ConstMatRef q, ConstMatRef k, ConstMatRef v,
                       const float* mask, float factor, float dropout_p, Rng* rng);

}  // namespace attn
