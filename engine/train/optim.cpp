#include "train/optim.h"

#include <cmath>

namespace attn {

Status OptimizerConfig::validate() const {
  if (optimizer != "adam" && optimizer != "adamw") return Status::error("optimizer must be adam or adamw");
  if (!(lr > 0.0) || !std::isfinite(lr)) return Status::error("lr must be a positive number");
  if (!(beta1 >= 0.0 && beta1 < 1.0) || !(beta2 >= 0.0 && beta2 < 1.0)) return Status::error("betas must be in [0, 1)");
  if (!(eps > 0.0)) return Status::error("eps must be positive");
  if (!(weight_decay >= 0.0)) return Status::error("weight_decay must not be negative");
  if (!(clip_norm >= 0.0)) return Status::error("clip_norm must not be negative");
  if (schedule != "constant" && schedule != "linear" && schedule != "cosine")
    return Status::error("schedule must be constant, linear or cosine");
  if (warmup < 0 || total_steps < 0) return Status::error("warmup and total_steps must not be negative");
  if (!(min_lr_ratio >= 0.0 && min_lr_ratio <= 1.0)) return Status::error("min_lr_ratio must be in [0, 1]");
  return Status();
}

double OptimizerConfig::lr_at(int64_t step) const {
  if (step < warmup) return lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
  if (schedule == "constant") return lr;
  const double floor = lr * min_lr_ratio;
  const double span = static_cast<double>(std::max<int64_t>(1, total_steps - warmup));
  const double p = std::min(1.0, static_cast<double>(step - warmup) / span);
  if (schedule == "cosine") return floor + (lr - floor) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * p));
  return lr + (floor - lr) * p;
}

void AdamOptimizer::step(const std::vector<Param*>& params, double lr) {
  if (m_.size() != params.size()) {
    m_.assign(params.size(), {});
    v_.assign(params.size(), {});
  }
  ++t_;
  const OptimizerConfig& c = config_;
  const double bc1 = 1.0 - std::pow(c.beta1, static_cast<double>(t_));
  const double bc2_sqrt = std::sqrt(1.0 - std::pow(c.beta2, static_cast<double>(t_)));
  const double step_size = lr / bc1;
  const bool decoupled = c.optimizer == "adamw";
  for (size_t k = 0; k < params.size(); ++k) {
    Param& p = *params[k];
    float* w = p.value.ptr();
    const float* g = p.grad_ptr();
    const size_t n = p.value.data.size();
    if (m_[k].size() != n) {
      m_[k].assign(n, 0.0f);
      v_[k].assign(n, 0.0f);
    }
    float* m = m_[k].data();
    float* v = v_[k].data();
    for (size_t i = 0; i < n; ++i) {
      double grad = g[i];
      double param = w[i];
      if (decoupled) param *= 1.0 - lr * c.weight_decay;  // AdamW: decay the weight itself
      else grad += c.weight_decay * param;                  // Adam: L2 penalty in the gradient
      const double mi = m[i] + (1.0 - c.beta1) * (grad - m[i]);
      const double vi = c.beta2 * v[i] + (1.0 - c.beta2) * grad * grad;
      m[i] = static_cast<float>(mi);
      v[i] = static_cast<float>(vi);
      const double denom = std::sqrt(vi) / bc2_sqrt + c.eps;
      w[i] = static_cast<float>(param - step_size * mi / denom);
    }
  }
}

double clip_grad_norm(const std::vector<Param*>& params, double max_norm) {
  double sq = 0.0;
  for (Param* p : params) {
    const float* g = p->grad_ptr();
    for (size_t i = 0; i < p->value.data.size(); ++i) sq += static_cast<double>(g[i]) * g[i];
  }
  const double norm = std::sqrt(sq);
  if (max_norm > 0.0) {
    const double coef = std::min(1.0, max_norm / (norm + 1e-6));
    for (Param* p : params)
      for (float& x : p->grad.data) x = static_cast<float>(x * coef);
  }
  return norm;
}

}  // namespace attn
