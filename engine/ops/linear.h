// Linear map, nn.Linear layout: the weight is [out, in], so y = x W^T + b.
#pragma once

#include "core/tensor.h"

namespace attn {

// y[N, out] = x[N, in] * w[out, in]^T + b[out]   (b may be null: no bias)
void linear_forward(MatRef y, ConstMatRef x, ConstMatRef w, const float* b);

}  // namespace attn
