#include "ops/softmax.h"

#include <limits>

#include "core/tensor.h"

namespace attn {

template <class T>
void softmax_forward(T* w, const T* logits, int64_t N, int64_t C) {
  const T neg_inf = -std::numeric_limits<T>::infinity();
  CMapT<T> x(logits, N, C);
  MapT<T> y(w, N, C);
  for (int64_t i = 0; i < N; ++i) {
    auto row = x.row(i).array();
    if ((row == neg_inf).all()) {  // every key masked: the query attends to nothing
      y.row(i).setZero();
      continue;
    }
    const T m = row.maxCoeff();  // a NaN logit makes the row NaN, as in PyTorch
    // Masked keys get exactly 0. (Eigen's vectorized exp clamps its input, so exp(-inf) would come out as the
    // smallest normal number, not 0, whenever a row happens to be aligned for packets.)
    y.row(i) = (row == neg_inf).select(T(0), (row - m).exp()).matrix();
    y.row(i) /= y.row(i).sum();
  }
}

template <class T>
void softmax_backward(T* dlogits, const T* dw, const T* w, int64_t N, int64_t C) {
  CMapT<T> W(w, N, C), dW(dw, N, C);
  MapT<T> dL(dlogits, N, C);
  for (int64_t i = 0; i < N; ++i) {
    const T dot = W.row(i).dot(dW.row(i));
    dL.row(i) = (W.row(i).array() * (dW.row(i).array() - dot)).matrix();
  }
}

template void softmax_forward(float*, const float*, int64_t, int64_t);
template void softmax_forward(double*, const double*, int64_t, int64_t);
template void softmax_backward(float*, const float*, const float*, int64_t, int64_t);
template void softmax_backward(double*, const double*, const double*, int64_t, int64_t);

}  // namespace attn
