// Optimizers, gradient clipping and learning-rate schedules, exactly as PyTorch computes them:
//   torch.optim.Adam (weight decay as an L2 term added to the gradient), torch.optim.AdamW (decoupled weight
//   decay), torch.nn.utils.clip_grad_norm_, and a warmup-then-decay schedule (torch's LambdaLR with lr_at).
#pragma once

#include <string>
#include <vector>

#include "layers/module.h"

namespace attn {

struct OptimizerConfig {
  std::string optimizer = "adamw";  // "adam" | "adamw"
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weight_decay = 0.01;       // AdamW: decoupled; Adam: L2 added to the gradient (0 = plain Adam)
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

// Adam / AdamW with the arithmetic of torch.optim's single-tensor implementation (step counts from 1, bias
// corrections, eps added after the square root). State is kept per parameter, in the order given to step().
class AdamOptimizer {
 public:
  explicit AdamOptimizer(const OptimizerConfig& config) : config_(config) {}
  void step(const std::vector<Param*>& params, double lr);
  int64_t steps() const { return t_; }
  void reset() {
    t_ = 0;
    m_.clear();
    v_.clear();
  }

 private:
  OptimizerConfig config_;
  int64_t t_ = 0;
  std::vector<FloatBuffer> m_, v_;
};

// The global L2 norm of all gradients; when max_norm > 0 every gradient is scaled by
// min(1, max_norm / (norm + 1e-6)), like torch.nn.utils.clip_grad_norm_. Returns the norm before clipping.
double clip_grad_norm(const std::vector<Param*>& params, double max_norm);

}  // namespace attn
