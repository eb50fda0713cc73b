// A training run: a task, a model, its trainer and a held-out set, made from one JSON config. The CLI trainer
// (tools/train.cpp, `attn-train --config`) and the page's training lab (engine/bindings, in a Web Worker) both
// drive this class, so the same config trains the same way natively and in the browser.
//
//   {"task":  {"name": "reverse", "symbols": 10, "min_len": 3, "max_len": 10},
//    "model": {"arch": "encoder-decoder", "num_layers": 1, "num_decoder_layers": 1, "d_model": 32, "nhead": 2,
//              "dim_feedforward": 64, "dropout": 0, "activation": "relu", "norm_first": false,
//              "positional": "sinusoidal"},
//    "train": {"optimizer": "adamw", "lr": 0.01, "warmup": 50, "schedule": "cosine", "clip_norm": 1, ...},
//    "run":   {"steps": 500, "batch": 64, "seed": 1, "eval_size": 500, "eval_every": 100}}
//
// "arch": "lstm" trains the recurrent baseline instead (models/lstm_seq2seq.h: a sequence-to-sequence LSTM
// without attention, on the encoder-decoder batches): it reads d_model (its hidden size) and num_layers (its
// encoder's and its decoder's); the transformer's other keys are not used, and dropout must be 0.
//
// The task decides the model's vocab_size, tgt_vocab_size, head_size, max_len and pad_id, and the run decides
// the trainer's total_steps, ignore_index and seed: those keys may be given only with the values they must have.
// Data: training examples are drawn from the training part of the split by a generator seeded from the run's
// seed, the held-out set (eval_size examples) from the held-out part by another (see train/tasks.h).
// Batches of similar lengths: examples are drawn kBucketBatches batches at a time, sorted by input length and
// cut into batches, which are then trained in a shuffled order, as machine-translation trainers do. Each
// batch is padded only to its own longest input, so little of the work is spent on padding (dates vary from
// 6 to 38 characters).
//
//   TrainingRun run(config);
//   while (run.steps_done() < config.steps) { StepStats s = run.step(); ... }
//   EvalStats e = run.evaluate();            // teacher-forced, on the held-out set
//   GenerationStats g = run.generate();      // greedy decoding of every held-out answer: exact match, BLEU
//   Decoded d = run.infer({3, 4, 5});         // a learner's input: the answer and the attention (d.cache)
//   run.log_prob({3, 4, 5}, d.tokens, d.finished, &heads, &lp);  // how likely that answer is with heads ablated
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/json.h"
#include "train/decode.h"
#include "train/metrics.h"
#include "train/tasks.h"
#include "train/trainer.h"

namespace attn {

constexpr int kBucketBatches = 16;

struct RunConfig {
  TaskConfig task;
  ModelConfig model;  // completed from the task (for an LSTM run: the encoder-decoder its batches are made for)
  bool recurrent = false;  // model.arch "lstm": the LSTM baseline, configured by lstm
  LstmSeq2SeqConfig lstm;
  TrainConfig train;  // completed from the run
  int64_t steps = 2000;
  int64_t batch = 64;
  int64_t eval_size = 500;
  int64_t eval_every = 200;  // held-out evaluation every this many steps (0: only at the end)
  uint64_t seed = 1;
};

// Reads and validates a whole run config, with messages a learner can act on ("d_model (30) must be divisible
// by nhead (4)"). Absent keys take the defaults of the CLI trainer (attn-train --help).
Status run_config_from_json(const Json& j, RunConfig* out);
Json run_config_to_json(const RunConfig& c);
// The config without the keys that follow from the task and the run (model.vocab_size, ..., train.total_steps):
// for a caller that changes the task or the steps of a resolved config (attn-train's flags over --config).
Json without_derived_keys(const Json& j);

struct GenerationStats {
  int64_t sequences = 0;
  int64_t exact = 0;     // generated answers equal to the reference (and finished with <eos>)
  BleuScore bleu;        // corpus BLEU-4 over the answers' symbols
  double exact_match() const { return sequences ? static_cast<double>(exact) / static_cast<double>(sequences) : 0.0; }
};

// How TrainingRun::infer runs its forwards.
struct InferOptions {
  const HeadMasks* heads = nullptr;  // head ablation (null: none), checked with TrainingRun::check_head_masks
  bool record_scores = false;        // keep q, k, scores and scaled scores in the attention caches
};

class TrainingRun {
 public:
  explicit TrainingRun(const RunConfig& config);  // config must come from run_config_from_json
  TrainingRun(const TrainingRun&) = delete;  // the trainer refers to the model
  TrainingRun& operator=(const TrainingRun&) = delete;

  StepStats step();              // one optimizer step on the next training batch
  // The batch the next step() trains on, exactly (padded, shifted for teacher forcing, targets ignore_index
  // where nothing is scored). Looking changes nothing: the run trains the same batches, peeked at or not.
  const Batch& next_batch();
  EvalStats evaluate();          // eval mode, teacher-forced, on the held-out set
  // Greedy decoding of the first `limit` held-out inputs (0: all): what the model produces on its own.
  GenerationStats generate(int64_t limit = 0);
  // The model's answer to one input x (symbol ids, checked with check_input): greedy decoding for models with
  // a decoder, one argmax per position for encoders. d.cache holds the attention of the final forward (none for
  // an LSTM run). o.heads: head ablation at every forward (checked with check_head_masks); o.record_scores: the
  // attention caches also keep q, k and the raw and scaled scores (ForwardContext::record_scores).
  Decoded infer(const std::vector<int32_t>& x, const InferOptions& o = InferOptions()) const;
  // log P(answer | x), summed in double: teacher-forced, the log-probability of every answer symbol (and of <eos>
  // when finished) for models with a decoder; for encoders, of answer[i] at each position i (answer.size() ==
  // x.size(), finished ignored). x and answer as infer takes and gives them; heads as infer's. Transformer runs
  // only; input that does not fit the model gets a message.
  Status log_prob(const std::vector<int32_t>& x, const std::vector<int32_t>& answer, bool finished,
                  const HeadMasks* heads, double* out) const;
  // Head masks given by a user, checked against the model (TransformerModel::check_head_masks; an LSTM run has
  // no heads: a mask is an error, none is fine).
  Status check_head_masks(HeadMasks* heads) const;
  // Mean ablation's means (models/head_means.h) over the held-out examples, teacher-forced as trace() runs them:
  // out->head_mask.mean [layers, H, Dh] (and the decoder's two of an encoder-decoder model). Transformer runs only.
  Status held_out_head_means(HeadMasks* out) const;
  // Teacher-forced forward of one example (eval mode): its attention at this point of training (an LSTM run has
  // none: its cache holds only the sizes and the logits).
  const ModelCache& trace(const Sample& s);
  Status check_input(const std::vector<int32_t>& x) const;
  // Replaces the weights with those of a model of the same config (a saved run read back); the optimizer
  // starts afresh. A transformer's for a transformer run, an LSTM's for an LSTM run.
  Status load_weights(TransformerModel& other);
  Status load_weights(LstmSeq2Seq& other);

  // The run's model as a model file (io/model_file.h: a transformer's, or the LSTM's with nn.LSTM's tensors),
  // with the task's name and the run's config (run_config_to_json) in the metadata as "task" and "run".
  std::string save(bool f16 = false);
  // A run rebuilt from such a file (the lab's or attn-train's): the config from its "run" metadata, the weights
  // from its tensors; training would start afresh (the optimizer's state is not in the file). A file that is not
  // a run, or whose weights are not of its run's model, gets a message.
  static Status load(std::string_view bytes, std::unique_ptr<TrainingRun>* out);

  const RunConfig& config() const { return config_; }
  TransformerModel& model() { return model_; }  // a transformer run's model
  LstmSeq2Seq& lstm() { return lstm_; }         // an LSTM run's
  int64_t num_parameters() { return config_.recurrent ? lstm_.num_parameters() : model_.num_parameters(); }
  const std::vector<Sample>& held_out() const { return held_out_; }
  int64_t steps_done() const { return trainer_.steps_done(); }

 private:
  RunConfig config_;
  TransformerModel model_;  // a transformer run's model, or
  LstmSeq2Seq lstm_;        // a recurrent run's
  Trainer trainer_;
  Rng data_;
  std::vector<Batch> pending_;  // the rest of the current bucket of batches, next last
  void draw_bucket();           // fills pending_ with kBucketBatches batches of similar lengths
  std::vector<Sample> held_out_;
  Batch held_batch_;
  ModelCache trace_cache_;
};

}  // namespace attn
