// Linear and LayerNorm as modules: parameters + forward, named like nn.Linear and nn.LayerNorm.
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
  // nn.Linear's default: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
  void reset_parameters(Rng& rng);
  void visit(const std::string& prefix, const ParamVisitor& fn);
  // y [N, out] = x [N, in] W^T + b
  void forward(MatRef y, ConstMatRef x) const;
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
  // y [N, E] = layernorm(x [N, E]); mean, rstd [N] saved for backward (may be null). y may alias x.
  void forward(MatRef y, float* mean, float* rstd, ConstMatRef x) const;
  // The same over a tensor [..., E], keeping everything in cache. Returns cache.out.
  const Tensor& forward(NormCache& cache, const Tensor& x) const;
};

}  // namespace attn
