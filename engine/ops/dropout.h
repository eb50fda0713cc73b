// Dropout (Srivastava et al.): in training, each element is zeroed with probability p and the survivors are
// scaled by 1/(1-p) so the expected value is unchanged. In evaluation it is the identity.
// Seeded by the engine's Rng, so a run is reproducible (the numbers differ from PyTorch's generator).
#pragma once

#include "core/rng.h"
#include "core/tensor.h"

namespace attn {

// y = x * keep, keep[i] = 1/(1-p) with probability 1-p, else 0. keep is saved for the backward pass.
// p must be in [0, 1); p = 0 copies. y may alias x.
void dropout_forward(float* y, float* keep, const float* x, int64_t n, float p, Rng& rng);

}  // namespace attn
