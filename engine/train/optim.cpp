#include "train/optim.h"

#include <cmath>

namespace attn {

Status OptimizerConfig::validate() const {
  if (optimizer != "sgd" && optimizer != "adam" && optimizer != "adamw")
    return Status::error("optimizer must be sgd, adam or adamw");
  if (!(lr > 0.0) || !std::isfinite(lr)) return Status::error("lr must be a positive number");
  if (!(beta1 >= 0.0 && beta1 < 1.0) || !(beta2 >= 0.0 && beta2 < 1.0)) return Status::error("betas must be in [0, 1)");
  if (!(eps > 0.0)) return Status::error("eps must be positive");
  if (!(momentum >= 0.0 && momentum < 1.0)) return Status::error("momentum must be in [0, 1)");
  if (!(dampening >= 0.0 && dampening <= 1.0)) return Status::error("dampening must be in [0, 1]");
  if (nesterov && (momentum <= 0.0 || dampening != 0.0))
    return Status::error("Nesterov momentum requires a momentum above 0 and zero dampening");
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

void Optimizer::step(const std::vector<Param*>& params, double lr) {
  if (a_.size() != params.size()) {
    a_.assign(params.size(), {});
    b_.assign(params.size(), {});
  }
  ++t_;
  for (size_t k = 0; k < params.size(); ++k) {
    if (config_.optimizer == "sgd") sgd_step(*params[k], k, lr);
    else adam_step(*params[k], k, lr);
  }
}

void Optimizer::sgd_step(Param& p, size_t k, double lr) {
  const OptimizerConfig& c = config_;
  float* w = p.value.ptr();
  const float* g = p.grad_ptr();
  const size_t n = p.value.data.size();
  const bool first = a_[k].size() != n;
  if (c.momentum > 0.0 && first) a_[k].assign(n, 0.0f);
  float* buf = c.momentum > 0.0 ? a_[k].data() : nullptr;
  for (size_t i = 0; i < n; ++i) {
    double d = static_cast<double>(g[i]) + c.weight_decay * static_cast<double>(w[i]);
    if (buf) {
      const double b = first ? d : c.momentum * buf[i] + (1.0 - c.dampening) * d;
      buf[i] = static_cast<float>(b);
      d = c.nesterov ? d + c.momentum * b : b;
    }
    w[i] = static_cast<float>(static_cast<double>(w[i]) - lr * d);
  }
}

void Optimizer::adam_step(Param& p, size_t k, double lr) {
  const OptimizerConfig& c = config_;
  const double bc1 = 1.0 - std::pow(c.beta1, static_cast<double>(t_));
  const double bc2_sqrt = std::sqrt(1.0 - std::pow(c.beta2, static_cast<double>(t_)));
  const double step_size = lr / bc1;
  const bool decoupled = c.optimizer == "adamw";
  float* w = p.value.ptr();
  const float* g = p.grad_ptr();
  const size_t n = p.value.data.size();
  if (a_[k].size() != n) {
    a_[k].assign(n, 0.0f);
    b_[k].assign(n, 0.0f);
  }
  float* m = a_[k].data();
  float* v = b_[k].data();
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

std::vector<std::pair<std::string, const FloatBuffer*>> Optimizer::state(size_t k) const {
  std::vector<std::pair<std::string, const FloatBuffer*>> out;
  if (k >= a_.size() || a_[k].empty()) return out;
  if (config_.optimizer == "sgd") {
    out.emplace_back("momentum_buffer", &a_[k]);
  } else {
    out.emplace_back("exp_avg", &a_[k]);
    out.emplace_back("exp_avg_sq", &b_[k]);
  }
  return out;
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
