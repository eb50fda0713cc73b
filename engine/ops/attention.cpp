#include "ops/attention.h"

#include <cmath>

#include "ops/dropout.h"
#include "ops/softmax.h"

namespace attn {

float ScoreScale::factor(int64_t d_k) const {
  float s = !scaled ? 1.0f : (scale != 0.0f ? scale : static_cast<float>(1.0 / std::sqrt(static_cast<double>(d_k))));
  return s / temperature;
}

void attention_forward(MatRef out, const AttentionSlice& slice, ConstMatRef q, ConstMatRef k, ConstMatRef v,
                       const float* mask, float factor, float dropout_p, Rng* rng) {
  const Eigen::Index L = q.rows(), S = k.rows();
  ATTN_ASSERT(q.cols() == k.cols() && v.rows() == S && out.rows() == L && out.cols() == v.cols(),
              "attention_forward: shapes");
  MatMap w(slice.weights, L, S);
  w.noalias() = q * k.transpose();                       // raw scores  Q K^T
  if (slice.scores) MatMap(slice.scores, L, S) = w;
  w *= factor;                                           // scaled scores
  if (slice.scaled) MatMap(slice.scaled, L, S) = w;
  if (mask) w += ConstMatMap(mask, L, S);                // masked keys become -inf
  softmax_rows_forward(w, w);                            // weights (rows sum to 1, or are all 0)
  if (dropout_p > 0.0f && rng) {
    ATTN_ASSERT(slice.dropped && slice.keep, "attention_forward: dropout needs buffers");
    dropout_forward(slice.dropped, slice.keep, slice.weights, L * S, dropout_p, *rng);
    out.noalias() = ConstMatMap(slice.dropped, L, S) * v;
  } else {
    out.noalias() = w * v;                               // weighted sum of values
  }
}

}  // namespace attn
