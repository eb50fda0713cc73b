// Activations of the feed-forward network, elementwise.
//   relu(x) = max(0, x)
//   gelu(x) = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))    (the exact form; PyTorch's approximate='none')
#pragma once

#include <string>

#include "core/tensor.h"

namespace attn {

enum class Activation { kRelu, kGelu };

// "relu" / "gelu" (PyTorch's names). Returns false for anything else.
bool parse_activation(const std::string& name, Activation* out);
const char* activation_name(Activation a);

// y[i] = act(x[i]) for n elements; y may alias x.
void activation_forward(float* y, const float* x, int64_t n, Activation a);

}  // namespace attn
