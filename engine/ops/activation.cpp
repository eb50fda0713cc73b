#include "ops/activation.h"

#include <cmath>

namespace attn {

bool parse_activation(const std::string& name, Activation* out) {
  if (name == "relu") *out = Activation::kRelu;
  else if (name == "gelu") *out = Activation::kGelu;
  else if (name == "gelu_tanh") *out = Activation::kGeluTanh;
  else if (name == "silu") *out = Activation::kSilu;
  else return false;
  return true;
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kRelu: return "relu";
    case Activation::kGelu: return "gelu";
    case Activation::kGeluTanh: return "gelu_tanh";
    case Activation::kSilu: return "silu";
  }
  return "relu";
}

const char* activation_names() { return "relu, gelu, gelu_tanh or silu"; }

namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kTanhCubic = 0.044715;

}  // namespace

template <class T>
void activation_forward(T* y, const T* x, int64_t n, Activation a) {
  switch (a) {
    case Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : (x[i] == x[i] ? T(0) : x[i]);  // NaN stays NaN
      break;
    case Activation::kGelu:
      for (int64_t i = 0; i < n; ++i) y[i] = T(0.5) * x[i] * (T(1) + std::erf(x[i] * T(kInvSqrt2)));
      break;
    case Activation::kGeluTanh:
      for (int64_t i = 0; i < n; ++i) {
        const T v = x[i];
        y[i] = T(0.5) * v * (T(1) + std::tanh(T(kSqrt2OverPi) * (v + T(kTanhCubic) * v * v * v)));
      }
      break;
    case Activation::kSilu:
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (T(1) + std::exp(-x[i]));
      break;
  }
}

template <class T>
void activation_backward(T* dx, const T* dy, const T* x, int64_t n, Activation a) {
  switch (a) {
    case Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) dx[i] += x[i] > T(0) ? dy[i] : T(0);
      break;
    case Activation::kGelu:
      for (int64_t i = 0; i < n; ++i) {
        const T cdf = T(0.5) * (T(1) + std::erf(x[i] * T(kInvSqrt2)));
        const T pdf = T(kInvSqrt2Pi) * std::exp(T(-0.5) * x[i] * x[i]);
        dx[i] += dy[i] * (cdf + x[i] * pdf);
      }
      break;
    case Activation::kGeluTanh:
      for (int64_t i = 0; i < n; ++i) {
        const T v = x[i];
        const T t = std::tanh(T(kSqrt2OverPi) * (v + T(kTanhCubic) * v * v * v));
        const T du = T(kSqrt2OverPi) * (T(1) + T(3 * kTanhCubic) * v * v);
        dx[i] += dy[i] * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * du);
      }
      break;
    case Activation::kSilu:
      for (int64_t i = 0; i < n; ++i) {
        const T s = T(1) / (T(1) + std::exp(-x[i]));
        dx[i] += dy[i] * s * (T(1) + x[i] * (T(1) - s));
      }
      break;
  }
}

template void activation_forward(float*, const float*, int64_t, Activation);
template void activation_forward(double*, const double*, int64_t, Activation);
template void activation_backward(float*, const float*, const float*, int64_t, Activation);
template void activation_backward(double*, const double*, const double*, int64_t, Activation);

}  // namespace attn
