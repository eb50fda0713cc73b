#include "layers/basic.h"

#include <cmath>

#include "ops/layernorm.h"
#include "ops/linear.h"

namespace attn {

Linear::Linear(int64_t in_features, int64_t out_features, bool has_bias) {
  weight.value = Tensor({out_features, in_features});
  if (has_bias) bias.value = Tensor({out_features});
}

void Linear::reset_parameters(Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features()));
  init_uniform(weight.value, bound, rng);
  init_uniform(bias.value, bound, rng);
}

void Linear::visit(const std::string& prefix, const ParamVisitor& fn) {
  fn(prefix + "weight", weight);
  if (!bias.value.data.empty()) fn(prefix + "bias", bias);
}

void Linear::forward(MatRef y, ConstMatRef x) const {
  linear_forward(y, x, weight.value.mat(), bias.value.data.empty() ? nullptr : bias.value.ptr());
}

LayerNorm::LayerNorm(int64_t E, float eps_) : eps(eps_) {
  weight.value = Tensor({E}, 1.0f);
  bias.value = Tensor({E}, 0.0f);
}

void LayerNorm::reset_parameters() {
  init_constant(weight.value, 1.0f);
  init_constant(bias.value, 0.0f);
}

void LayerNorm::visit(const std::string& prefix, const ParamVisitor& fn) {
  fn(prefix + "weight", weight);
  fn(prefix + "bias", bias);
}

void LayerNorm::forward(MatRef y, float* mean, float* rstd, ConstMatRef x) const {
  layernorm_forward(y, mean, rstd, x, weight.value.ptr(), bias.value.ptr(), eps);
}

const Tensor& LayerNorm::forward(NormCache& c, const Tensor& x) const {
  const int64_t N = x.numel() / x.dim(-1);
  c.out.resize(x.shape);
  c.mean.resize({N});
  c.rstd.resize({N});
  forward(c.out.mat(), c.mean.ptr(), c.rstd.ptr(), x.mat());
  return c.out;
}

}  // namespace attn
