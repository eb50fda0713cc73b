#include "ops/cross_entropy.h"

#include <cmath>
#include <vector>

namespace attn {

template <class T>
double cross_entropy_forward(T* probs, int64_t* count, const T* logits, const int32_t* targets, int64_t N, int64_t C,
                             int32_t ignore_index, double label_smoothing, double* row_losses) {
  double total = 0.0;
  int64_t n_valid = 0;
  for (int64_t n = 0; n < N; ++n) {
    const T* x = logits + n * C;
    T m = x[0];
    for (int64_t c = 1; c < C; ++c) m = std::max(m, x[c]);
    // One exp per logit, in T; the sum in double. probs = e / sum, and -log p_c = lse - x_c.
    T* e = probs ? probs + n * C : nullptr;
    double sum = 0.0;
    for (int64_t c = 0; c < C; ++c) {
      const T ec = std::exp(x[c] - m);
      if (e) e[c] = ec;
      sum += ec;
    }
    const double lse = static_cast<double>(m) + std::log(sum);
    if (e) {
      const T inv = static_cast<T>(1.0 / sum);
      for (int64_t c = 0; c < C; ++c) e[c] *= inv;
    }
    const int32_t t = targets[n];
    if (t == ignore_index) {
      if (row_losses) row_losses[n] = std::nan("");
      continue;
    }
    double smooth = 0.0;
    if (label_smoothing > 0.0) {
      for (int64_t c = 0; c < C; ++c) smooth += lse - x[c];
      smooth /= static_cast<double>(C);
    }
    const double loss = (1.0 - label_smoothing) * (lse - x[t]) + label_smoothing * smooth;
    if (row_losses) row_losses[n] = loss;
    total += loss;
    ++n_valid;
  }
  *count = n_valid;
  return n_valid ? total / static_cast<double>(n_valid) : 0.0;
}

template <class T>
void cross_entropy_backward(T* dlogits, const T* probs, const int32_t* targets, int64_t N, int64_t C,
                            int32_t ignore_index, double label_smoothing, int64_t count, double dloss) {
  if (count == 0) return;
  const double scale = dloss / static_cast<double>(count);
  const double uniform = label_smoothing / static_cast<double>(C);
  for (int64_t n = 0; n < N; ++n) {
    const int32_t t = targets[n];
    if (t == ignore_index) continue;
    for (int64_t c = 0; c < C; ++c) {
      const double q = (c == t ? 1.0 - label_smoothing : 0.0) + uniform;
      dlogits[n * C + c] += static_cast<T>(scale * (probs[n * C + c] - q));
    }
  }
}

template double cross_entropy_forward(float*, int64_t*, const float*, const int32_t*, int64_t, int64_t, int32_t, double,
                                      double*);
template double cross_entropy_forward(double*, int64_t*, const double*, const int32_t*, int64_t, int64_t, int32_t,
                                      double, double*);
template void cross_entropy_backward(float*, const float*, const int32_t*, int64_t, int64_t, int32_t, double, int64_t,
                                     double);
template void cross_entropy_backward(double*, const double*, const int32_t*, int64_t, int64_t, int32_t, double, int64_t,
                                     double);

}  // namespace attn
