#include "ops/activation.h"

#include <cmath>

namespace attn {

bool parse_activation(const std::string& name, Activation* out) {
  if (name == "relu") *out = Activation::kRelu;
  else if (name == "gelu") *out = Activation::kGelu;
  else return false;
  return true;
}

const char* activation_name(Activation a) { return a == Activation::kRelu ? "relu" : "gelu"; }

template <class T>
void activation_forward(T* y, const T* x, int64_t n, Activation a) {
  if (a == Activation::kRelu) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : (x[i] == x[i] ? T(0) : x[i]);  // NaN stays NaN
  } else {
    const T inv_sqrt2 = T(0.70710678118654752440);
    for (int64_t i = 0; i < n; ++i) y[i] = T(0.5) * x[i] * (T(1) + std::erf(x[i] * inv_sqrt2));
  }
}

template <class T>
void activation_backward(T* dx, const T* dy, const T* x, int64_t n, Activation a) {
  if (a == Activation::kRelu) {
    for (int64_t i = 0; i < n; ++i) dx[i] += x[i] > T(0) ? dy[i] : T(0);
  } else {
    const T inv_sqrt2 = T(0.70710678118654752440), inv_sqrt_2pi = T(0.39894228040143267794);
    for (int64_t i = 0; i < n; ++i) {
      const T cdf = T(0.5) * (T(1) + std::erf(x[i] * inv_sqrt2));
      const T pdf = inv_sqrt_2pi * std::exp(T(-0.5) * x[i] * x[i]);
      dx[i] += dy[i] * (cdf + x[i] * pdf);
    }
  }
}

template void activation_forward(float*, const float*, int64_t, Activation);
template void activation_forward(double*, const double*, int64_t, Activation);
template void activation_backward(float*, const float*, const float*, int64_t, Activation);
template void activation_backward(double*, const double*, const double*, int64_t, Activation);

}  // namespace attn
