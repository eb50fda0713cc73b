// Optimizers, gradient clipping and learning-rate schedules, exactly as PyTorch computes them:
//   torch.optim.SGD (momentum, dampening, Nesterov; weight decay as an L2 term added to the gradient),
//   torch.optim.Adam (weight decay as an L2 term), torch.optim.AdamW (decoupled weight decay),
//   torch.nn.utils.clip_grad_norm_, and a warmup-then-decay schedule (torch's LambdaLR with lr_at).
#pragma once

#include <string>
#include <vector>

#include "layers/module.h"

namespace attn {

struct OptimizerConfig {
  std::string optimizer = "adamw";  // "sgd" | "adam" | "adamw"
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam, AdamW
  double momentum = 0.0, dampening = 0.0;         // SGD (momentum 0: plain gradient descent)
  bool nesterov = false;                          // SGD: needs momentum > 0 and dampening 0, as torch
  double weight_decay = 0.01;       // AdamW: decoupled; SGD and Adam: L2 added to the gradient (0 = none)
  double clip_norm = 0.0;           // clip the global gradient norm to this (0 = no clipping)
  std::string schedule = "constant";  // "constant" | "linear" | "cosine" (after the warmup)
  int64_t warmup = 0;               // steps of linear warmup from lr/warmup up to lr
  int64_t total_steps = 0;          // where the decay ends (linear / cosine)
  double min_lr_ratio = 0.0;        // the decay ends at lr * min_lr_ratio

  Status validate() const;
  // The learning rate of optimizer step `step` (0-based):
  //   step < warmup:  lr * (step + 1) / warmup
  //   after:          p = min(1, (step - warmup) / (total_steps - warmup));
  //                   cosine: floor + (lr - floor) (1 + cos(pi p)) / 2;   linear: lr + (floor - lr) p
  double lr_at(int64_t step) const;
};

// SGD, Adam and AdamW with the arithmetic of torch.optim's single-tensor implementations. Per parameter k, in
// the order given to step(), with g its gradient (after clipping) and w its value; t counts steps from 1:
//   sgd:    g += wd w;  momentum > 0: buf = g at t = 1, else momentum buf + (1 - dampening) g;
//           d = g + momentum buf (Nesterov) or buf (or g without momentum);  w -= lr d
//   adam:   g += wd w;                       m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
//   adamw:  w *= 1 - lr wd;                  w -= lr / (1 - beta1^t) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// Values are computed in double and stored as float.
class Optimizer {
 public:
  explicit Optimizer(const OptimizerConfig& config) : config_(config) {}
  void step(const std::vector<Param*>& params, double lr);
  int64_t steps() const { return t_; }
  const OptimizerConfig& config() const { return config_; }
  void reset() {
    t_ = 0;
    a_.clear();
    b_.clear();
  }
  // Parameter k's state after the last step, by torch.optim's names (optimizer.state[p]): "exp_avg" and
  // "exp_avg_sq" (Adam, AdamW), "momentum_buffer" (SGD with momentum); none before the first step or for plain SGD.
  std::vector<std::pair<std::string, const FloatBuffer*>> state(size_t k) const;

 private:
  void sgd_step(Param& p, size_t k, double lr);
  void adam_step(Param& p, size_t k, double lr);

  OptimizerConfig config_;
  int64_t t_ = 0;
  std::vector<FloatBuffer> a_, b_;  // Adam: exp_avg, exp_avg_sq; SGD: momentum_buffer (a_)
};

// The global L2 norm of all gradients; when max_norm > 0 every gradient is scaled by
// min(1, max_norm / (norm + 1e-6)), like torch.nn.utils.clip_grad_norm_. Returns the norm before clipping.
double clip_grad_norm(const std::vector<Param*>& params, double max_norm);

}  // namespace attn
