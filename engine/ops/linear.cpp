#include "ops/linear.h"

#include "core/tensor.h"
#include "ops/gemm.h"

namespace attn {

template <class T>
void linear_forward(T* y, const T* x, const T* w, const T* b, int64_t N, int64_t in, int64_t out) {
  gemm(y, out, x, in, false, w, in, true, N, out, in, false);  // y = x w^T
  if (b) MapT<T>(y, N, out).rowwise() += Eigen::Map<const RowVecT<T>>(b, out);
}

template <class T>
void linear_backward(T* dx, T* dw, T* db, const T* dy, const T* x, const T* w, int64_t N, int64_t in, int64_t out) {
  CMapT<T> dY(dy, N, out);
  if (dx) gemm(dx, in, dy, out, false, w, in, false, N, in, out, true);  // dx += dy w
  if (dw) gemm(dw, in, dy, out, true, x, in, false, out, in, N, true);   // dw += dy^T x
  if (db) Eigen::Map<RowVecT<T>>(db, out) += dY.colwise().sum();
}

template void linear_forward(float*, const float*, const float*, const float*, int64_t, int64_t, int64_t);
template void linear_forward(double*, const double*, const double*, const double*, int64_t, int64_t, int64_t);
template void linear_backward(float*, float*, float*, const float*, const float*, const float*, int64_t, int64_t, int64_t);
template void linear_backward(double*, double*, double*, const double*, const double*, const double*, int64_t, int64_t,
                              int64_t);

}  // namespace attn
