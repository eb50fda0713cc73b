// Token embedding (nn.Embedding) and positional encodings.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace attn {

// out[n, :] = table[ids[n], :] * scale for n < N; table is [V, E]. ids must be in [0, V) (checked by the caller).
template <class T>
void embedding_forward(T* out, const int32_t* ids, const T* table, int64_t N, int64_t E, T scale);

// In the forward pass this was: out[n] = table[ids[n]] * scale.   dtable[ids[n], :] += dout[n, :] * scale
template <class T>
void embedding_backward(T* dtable, const T* dout, const int32_t* ids, int64_t N, int64_t E, T scale);

// The sinusoidal encoding of Vaswani et al. (2017), section 3.5, as a [length, E] tensor:
//   PE(pos, 2i)   = sin(pos / 10000^(2i / E))
//   PE(pos, 2i+1) = cos(pos / 10000^(2i / E))
// computed in double and rounded once to float. Odd E: the last column is a sine. It has no parameters.
Tensor sinusoidal_encoding(int64_t length, int64_t E);

}  // namespace attn
