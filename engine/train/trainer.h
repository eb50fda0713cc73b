// The training loop, one step at a time, so a caller (the CLI trainer, or the page's worker) can report after
// every step and pause, resume or stop between steps:
//
//   Trainer trainer(model, config);             // model: a TransformerModel (or the LstmSeq2Seq baseline);
//                                               // config: optimizer + loss
//   for (...) {
//     StepStats s = trainer.step(batch);          // forward (training mode), loss, backward, clip, update
//     EvalStats e = trainer.evaluate(held_out);   // forward in eval mode: loss and accuracies, no update
//   }
#pragma once

#include <vector>

#include "io/json.h"
#include "models/lstm_seq2seq.h"
#include "models/model.h"
#include "train/optim.h"

namespace attn {

struct TrainConfig {
  OptimizerConfig optim;
  double label_smoothing = 0.0;
  int32_t ignore_index = -100;  // targets equal to this carry no loss (use the pad id)
  uint64_t seed = 0;            // dropout's generator

  Status validate() const;
};

// Reads {"optimizer": "adamw", "lr": ..., "beta1", "beta2", "eps", "weight_decay", "clip_norm", "schedule",
// "warmup", "total_steps", "min_lr_ratio", "label_smoothing", "ignore_index", "seed"}; absent keys keep their
// defaults, unknown keys are rejected.
Status train_config_from_json(const Json& j, TrainConfig* out);
Json train_config_to_json(const TrainConfig& c);

// One batch of token ids, row-major, padded to equal lengths.
struct Batch {
  int64_t B = 0;
  int64_t S = 0;                  // length of src
  int64_t T = 0;                  // length of tgt (encoder-decoder only; 0 otherwise)
  std::vector<int32_t> src;      // [B, S] the input (for encoder-decoder models: the encoder's)
  std::vector<int32_t> tgt;      // [B, T] the decoder's input (encoder-decoder only)
  std::vector<int32_t> targets;  // [B, T] or [B, S]: the label of each output position, or ignore_index

  int64_t out_len() const { return T > 0 ? T : S; }
};

struct StepStats {
  int64_t step = 0;        // 1-based count of optimizer steps done
  double loss = 0.0;       // mean cross-entropy over the counted positions (before the update)
  double grad_norm = 0.0;  // global gradient norm before clipping
  double lr = 0.0;         // learning rate used by this step
  int64_t tokens = 0;      // positions that carried a loss
};

struct EvalStats {
  double loss = 0.0;
  int64_t tokens = 0;             // positions with a target
  int64_t correct = 0;            // of those, argmax == target
  int64_t sequences = 0;          // rows with at least one target
  int64_t exact = 0;              // rows where every target position is right
  double token_accuracy() const { return tokens ? static_cast<double>(correct) / tokens : 0.0; }
  double exact_match() const { return sequences ? static_cast<double>(exact) / sequences : 0.0; }
};

// What one step did, for a learner taking it apart (the page's <attn-train-step>). The gradients, as the optimizer
// used them (after clipping), stay in each parameter's grad; the optimizer's state is optimizer().state(k).
struct StepDetails {
  std::vector<double> losses;       // [B * out_len] each position's loss, NaN where the target is ignored
  std::vector<FloatBuffer> before;  // per parameter, in visit order: its value before the update
  double clip_coef = 1.0;           // the factor clipping multiplied every gradient by (1: not clipped)
};

class Trainer {
 public:
  Trainer(TransformerModel& model, const TrainConfig& config);
  // The recurrent baseline, trained on encoder-decoder batches by the same loop (loss, clipping, optimizer).
  Trainer(LstmSeq2Seq& model, const TrainConfig& config);

  // Checks a batch against the model (shapes, id ranges, lengths); step() and evaluate() assume it passed.
  Status check(const Batch& batch) const;
  StepStats step(const Batch& batch, StepDetails* details = nullptr);
  EvalStats evaluate(const Batch& batch);
  // Argmax predictions [B, out_len] of the last forward (evaluate or step).
  std::vector<int32_t> predictions() const;

  int64_t steps_done() const { return optimizer_.steps(); }
  const TrainConfig& config() const { return config_; }
  const ModelCache& cache() const { return cache_; }  // a transformer's last forward (empty for the LSTM)
  const Optimizer& optimizer() const { return optimizer_; }
  std::vector<Param*> params();

 private:
  const Tensor& forward(const Batch& batch, bool training);  // the logits [B, out_len, C]
  void visit(const ParamVisitor& fn);

  TransformerModel* model_ = nullptr;  // one of the two is set
  LstmSeq2Seq* lstm_ = nullptr;
  LstmSeq2SeqCache lstm_cache_;
  const Tensor* logits_ = nullptr;     // of the last forward
  TrainConfig config_;
  Optimizer optimizer_;
  Rng rng_;
  ModelCache cache_;
  Tensor probs_, dlogits_;
};

}  // namespace attn
