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
  if (has_bias()) fn(prefix + "bias", bias);
}

void Linear::forward(float* y, const float* x, int64_t N) const {
  linear_forward(y, x, weight.value.ptr(), has_bias() ? bias.value.ptr() : nullptr, N, in_features(), out_features());
}

void Linear::backward(float* dx, const float* dy, const float* x, int64_t N) {
  linear_backward(dx, weight.grad_ptr(), has_bias() ? bias.grad_ptr() : nullptr, dy, x, weight.value.ptr(), N,
                  in_features(), out_features());
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

const Tensor& LayerNorm::forward(NormCache& c, const Tensor& x) const {
  const int64_t E = x.dim(-1), N = x.numel() / E;
  c.out.resize(x.shape);
  c.mean.resize({N});
  c.rstd.resize({N});
  layernorm_forward(c.out.ptr(), c.mean.ptr(), c.rstd.ptr(), x.ptr(), weight.value.ptr(), bias.value.ptr(), N, E, eps);
  return c.out;
}

void LayerNorm::backward(Tensor& dx, const Tensor& dy, const Tensor& x, const NormCache& c) {
  const int64_t E = x.dim(-1), N = x.numel() / E;
  layernorm_backward(dx.ptr(), weight.grad_ptr(), bias.grad_ptr(), dy.ptr(), x.ptr(), c.mean.ptr(), c.rstd.ptr(),
                     weight.value.ptr(), N, E);
}

}  // namespace attn
