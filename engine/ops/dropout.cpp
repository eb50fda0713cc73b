#include "ops/dropout.h"

#include "core/check.h"

namespace attn {

void dropout_forward(float* y, float* keep, const float* x, int64_t n, float p, Rng& rng) {
  ATTN_ASSERT(p >= 0.0f && p < 1.0f, "dropout_forward: p must be in [0, 1)");
  const float survivor = 1.0f / (1.0f - p);
  for (int64_t i = 0; i < n; ++i) {
    keep[i] = rng.uniform() < p ? 0.0f : survivor;
    y[i] = x[i] * keep[i];
  }
}

}  // namespace attn
