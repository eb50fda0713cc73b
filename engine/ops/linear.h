// Linear map with nn.Linear's layout: the weight is [out, in], so y = x W^T + b.
// T is float (the engine) or double (gradient checks). Backward functions ADD into their outputs (+=),
// so gradients from several uses of one tensor accumulate; any gradient output may be null (not needed).
#pragma once

#include <cstdint>

namespace attn {

// y[N, out] = x[N, in] W[out, in]^T + b[out]   (b may be null)
template <class T>
void linear_forward(T* y, const T* x, const T* w, const T* b, int64_t N, int64_t in, int64_t out);

// In the forward pass this was: y = x W^T + b.
// dx[N, in] += dy W;   dw[out, in] += dy^T x;   db[out] += sum over rows of dy
template <class T>
void linear_backward(T* dx, T* dw, T* db, const T* dy, const T* x, const T* w, int64_t N, int64_t in, int64_t out);

}  // namespace attn
