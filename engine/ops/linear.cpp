#include "ops/linear.h"

#include "core/tensor.h"

namespace attn {

template <class T>
void linear_forward(T* y, const T* x, const T* w, const T* b, int64_t N, int64_t in, int64_t out) {
  MapT<T> Y(y, N, out);
  Y.noalias() = CMapT<T>(x, N, in) * CMapT<T>(w, out, in).transpose();
  if (b) Y.rowwise() += Eigen::Map<const RowVecT<T>>(b, out);
}

template <class T>
void linear_backward(T* dx, T* dw, T* db, const T* dy, const T* x, const T* w, int64_t N, int64_t in, int64_t out) {
  CMapT<T> dY(dy, N, out);
  if (dx) MapT<T>(dx, N, in).noalias() += dY * CMapT<T>(w, out, in);
  if (dw) MapT<T>(dw, out, in).noalias() += dY.transpose() * CMapT<T>(x, N, in);
  if (db) Eigen::Map<RowVecT<T>>(db, out) += dY.colwise().sum();
}

template void linear_forward(float*, const float*, const float*, const float*, int64_t, int64_t, int64_t);
template void linear_forward(double*, const double*, const double*, const double*, int64_t, int64_t, int64_t);
template void linear_backward(float*, float*, float*, const float*, const float*, const float*, int64_t, int64_t, int64_t);
template void linear_backward(double*, double*, double*, const double*, const double*, const double*, int64_t, int64_t,
                              int64_t);

}  // namespace attn
