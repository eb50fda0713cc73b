// Activations of the feed-forward network, elementwise.
//   relu(x) = max(0, x)                                 relu'(x) = 1 if x > 0 else 0 (PyTorch's convention at 0)
//   gelu(x) = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))    gelu'(x) = Phi(x) + x phi(x)   (exact, approximate='none')
//   gelu_tanh(x) = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
//                  (PyTorch's approximate='tanh'; GPT-2's "gelu_new")
//                  gelu_tanh'(x) = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
//   silu(x) = x sigmoid(x)                              silu'(x) = s (1 + x (1 - s)), s = sigmoid(x)
//                  (nn.SiLU; "swish" in Hugging Face configs, Marian's activation)
#pragma once

#include <cstdint>
#include <string>

namespace attn {

enum class Activation { kRelu, kGelu, kGeluTanh, kSilu };

// "relu", "gelu", "gelu_tanh", "silu" (the names activation_name gives). Returns false for anything else.
bool parse_activation(const std::string& name, Activation* out);
const char* activation_name(Activation a);
// For messages: the accepted names, "relu, gelu, gelu_tanh or silu".
const char* activation_names();

// y[i] = act(x[i]) for n elements; y may alias x.
template <class T>
void activation_forward(T* y, const T* x, int64_t n, Activation a);

// In the forward pass this was: y = act(x).   dx[i] += dy[i] * act'(x[i])
template <class T>
void activation_backward(T* dx, const T* dy, const T* x, int64_t n, Activation a);

}  // namespace attn
