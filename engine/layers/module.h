// What every layer shares: parameters with gradients, a visitor over them by PyTorch state_dict name,
// the forward context (train/eval, dropout generator, what to record), and PyTorch's default initializers.
#pragma once

#include <functional>
#include <string>

#include "core/rng.h"
#include "core/tensor.h"

namespace attn {

struct Param {
  Tensor value;
  Tensor grad;  // same shape as value; allocated (zeros) on first use by a backward pass

  // The gradient buffer, allocated as zeros when missing.
  float* grad_ptr() {
    if (grad.data.size() != value.data.size()) grad = Tensor(value.shape, 0.0f);
    return grad.ptr();
  }
  void zero_grad() {
    if (grad.data.size() == value.data.size()) std::fill(grad.data.begin(), grad.data.end(), 0.0f);
    else grad = Tensor(value.shape, 0.0f);
  }
};

// Called once per parameter with its full PyTorch-style name, e.g. "layers.0.self_attn.in_proj_weight".
using ParamVisitor = std::function<void(const std::string& name, Param& p)>;

struct ForwardContext {
  bool training = false;       // dropout active (PyTorch's module.train()); false = module.eval()
  Rng* rng = nullptr;          // dropout's generator; required when training with dropout > 0
  bool record_scores = false;  // also keep raw and scaled scores in the attention caches (teaching views)
  bool attention_only = false; // stacks keep only each layer's attention (weights, mask, keys, values) in its cache,
                               // so a large model's working memory is one layer's (models/transformer.h)
  bool dropout_active(float p) const { return training && p > 0.0f && rng != nullptr; }
};

// PyTorch's default initializers, drawn from the engine's Rng (same distributions, different numbers):
void init_uniform(Tensor& t, double bound, Rng& rng);  // U(-bound, bound)
void init_normal(Tensor& t, double std, Rng& rng);     // N(0, std^2)
void init_constant(Tensor& t, float value);

}  // namespace attn
