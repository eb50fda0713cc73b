// Token embedding (nn.Embedding) and positional encodings.
#pragma once

#include "core/tensor.h"

namespace attn {

// out[N, E] = table[ids[n], :] * scale. ids must be in [0, V) (checked by the caller).
void embedding_forward(MatRef out, const int32_t* ids, int64_t n, ConstMatRef table, float scale);

// The sinusoidal encoding of Vaswani et al. (2017), section 3.5, as a [length, E] tensor:
//   PE(pos, 2i)   = sin(pos / 10000^(2i / E))
//   PE(pos, 2i+1) = cos(pos / 10000^(2i / E))
// computed in double and rounded once to float. Odd E: the last column is a sine.
Tensor sinusoidal_encoding(int64_t length, int64_t E);

}  // namespace attn
