// Linear and LayerNorm as modules: parameters + forward + backward, named like nn.Linear and nn.LayerNorm.
#pragma once

#include "layers/module.h"

namespace attn {

class Linear {
 public:
  Linear() = default;
  Linear(int64_t in_features, int64_t out_features, bool bias = true);

  Param weight;  // [out, in]
  Param bias;    // [out], empty without bias

  int64_t in_features() const { return weight.value.dim(1); }
  int64_t out_features() const { return weight.value.dim(0); }
  bool has_bias() const { return !bias.value.data.empty(); }
  // nn.Linear's default: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
  void reset_parameters(Rng& rng);
  void visit(const std::string& prefix, const ParamVisitor& fn);

  // y [N, out] = x [N, in] W^T + b
  void forward(float* y, const float* x, int64_t N) const;
  // dx [N, in] += dy W (dx may be null); weight.grad += dy^T x; bias.grad += sum dy.
  void backward(float* dx, const float* dy, const float* x, int64_t N);
};

// A LayerNorm call's output and the statistics its backward needs.
struct NormCache {
  Tensor out;   // [..., E]
  Tensor mean;  // [N] one per row (N = numel / E)
  Tensor rstd;  // [N] 1 / sqrt(var + eps)
};

class LayerNorm {
 public:
  LayerNorm() = default;
  explicit LayerNorm(int64_t E, float eps = 1e-5f);

  Param weight;  // [E] gamma, initialized to 1
  Param bias;    // [E] beta, initialized to 0
  float eps = 1e-5f;

  void reset_parameters();
  void visit(const std::string& prefix, const ParamVisitor& fn);
  // cache.out [..., E] = layernorm(x [..., E]). Returns cache.out.
  const Tensor& forward(NormCache& cache, const Tensor& x) const;
  // dx [..., E] += d layernorm / dx applied to dy; weight.grad, bias.grad accumulate. x is the forward input.
  void backward(Tensor& dx, const Tensor& dy, const Tensor& x, const NormCache& cache);
};

}  // namespace attn
