// Dropout (Srivastava et al.): in training, each element is zeroed with probability p and the survivors are
// scaled by 1/(1-p) so the expected value is unchanged. In evaluation it is the identity.
// Seeded by the engine's Rng, so a run is reproducible (the numbers differ from PyTorch's generator).
#pragma once

#include <cstdint>

#include "core/rng.h"

namespace attn {

// y = x * keep, keep[i] = 1/(1-p) with probability 1-p, else 0. keep is saved for the backward pass.
// p must be in [0, 1). y may alias x.
void dropout_forward(float* y, float* keep, const float* x, int64_t n, float p, Rng& rng);

// In the forward pass this was: y = x * keep.   dx += dy * keep
template <class T>
void dropout_backward(T* dx, const T* dy, const T* keep, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * keep[i];
}

}  // namespace attn
