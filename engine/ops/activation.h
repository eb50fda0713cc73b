// Activations of the feed-forward network, elementwise.
//   relu(x) = max(0, x)                                 relu'(x) = 1 if x > 0 else 0 (PyTorch's convention at 0)
//   gelu(x) = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))    gelu'(x) = Phi(x) + x phi(x)   (exact, approximate='none')
#pragma once

#include <cstdint>
#include <string>

namespace attn {

enum class Activation { kRelu, kGelu };

// "relu" / "gelu" (PyTorch's names). Returns false for anything else.
bool parse_activation(const std::string& name, Activation* out);
const char* activation_name(Activation a);

// y[i] = act(x[i]) for n elements; y may alias x.
template <class T>
void activation_forward(T* y, const T* x, int64_t n, Activation a);

// In the forward pass this was: y = act(x).   dx[i] += dy[i] * act'(x[i])
template <class T>
void activation_backward(T* dx, const T* dy, const T* x, int64_t n, Activation a);

}  // namespace attn
