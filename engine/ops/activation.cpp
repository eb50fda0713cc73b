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

void activation_forward(float* y, const float* x, int64_t n, Activation a) {
  if (a == Activation::kRelu) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : (x[i] == x[i] ? 0.0f : x[i]);  // NaN stays NaN
  } else {
    constexpr float kInvSqrt2 = 0.70710678118654752440f;
    for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kInvSqrt2));
  }
}

}  // namespace attn
