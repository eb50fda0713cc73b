// Layer normalization (Ba et al.), nn.LayerNorm over the last dimension:
//   y = (x - mean) / sqrt(var + eps) * gamma + beta,   var is the biased variance (divide by E).
#pragma once

#include <cstdint>

namespace attn {

// x, y [N, E]; gamma, beta [E] (null: no affine); mean, rstd [N] saved for backward (may be null).
// y may alias x.
template <class T>
void layernorm_forward(T* y, T* mean, T* rstd, const T* x, const T* gamma, const T* beta, int64_t N, int64_t E,
                       double eps);

// In the forward pass this was: xhat = (x - mean) * rstd;  y = xhat * gamma + beta.
// dx [N, E] += rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma;
// dgamma [E] += sum_n dy * xhat;  dbeta [E] += sum_n dy.   (dgamma, dbeta may be null)
template <class T>
void layernorm_backward(T* dx, T* dgamma, T* dbeta, const T* dy, const T* x, const T* mean, const T* rstd,
                        const T* gamma, int64_t N, int64_t E);

}  // namespace attn
