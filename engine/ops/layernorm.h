// Layer normalization (Ba et al.), nn.LayerNorm over the last dimension:
//   y = (x - mean) / sqrt(var + eps) * gamma + beta,   var is the biased variance (divide by E).
#pragma once

#include "core/tensor.h"

namespace attn {

// x, y [N, E]; gamma, beta [E] (null: no affine); mean, rstd [N] saved for backward (may be null).
// y may alias x.
void layernorm_forward(MatRef y, float* mean, float* rstd, ConstMatRef x, const float* gamma, const float* beta,
                       float eps);

}  // namespace attn
