// Toy sequence tasks for learning to train transformers, generated from a seed (no files needed):
//   copy     "3 1 4" -> "3 1 4"         reverse  "3 1 4" -> "4 1 3"
//   sort     "3 1 4" -> "1 3 4"         repeat   "3 1 4" -> "3 1 4 3 1 4"  (say it twice: an induction task)
// Vocabulary: 0 = <pad>, 1 = <bos> (also the separator), 2 = <eos>, then `symbols` symbols 3, 4, ...
//
// Batches for the three architectures:
//   encoder-decoder:  src = x (padded), tgt = <bos> y, targets = y <eos>
//   decoder (LM):     src = x <bos> y, targets = next tokens, with the loss only on the answer y <eos>
//   encoder:          src = x, targets = y (same length; copy and sort only), one label per position
#pragma once

#include <string>
#include <vector>

#include "core/rng.h"
#include "models/model.h"
#include "train/trainer.h"

namespace attn {

constexpr int32_t kPad = 0, kBos = 1, kEos = 2, kFirstSymbol = 3;

enum class TaskKind { kCopy, kReverse, kSort, kRepeat };
bool parse_task(const std::string& name, TaskKind* out);
const char* task_name(TaskKind t);

struct TaskConfig {
  TaskKind kind = TaskKind::kReverse;
  int32_t symbols = 10;  // distinct symbols (vocabulary = symbols + 3)
  int32_t min_len = 3;
  int32_t max_len = 10;

  int32_t vocab_size() const { return symbols + kFirstSymbol; }
  // Longest sequence a model sees for this task and architecture (for max_len of positional encodings).
  int32_t max_positions(Arch arch) const;
  Status validate(Arch arch) const;
};

// The answer y for an input x.
std::vector<int32_t> task_answer(TaskKind kind, const std::vector<int32_t>& x);

// A random input: between min_len and max_len symbols.
std::vector<int32_t> task_input(const TaskConfig& task, Rng& rng);

// A batch of `B` random examples, laid out for the architecture (see above), targets padded with kPad
// (use ignore_index = kPad when training).
Batch task_batch(const TaskConfig& task, Arch arch, int64_t B, Rng& rng);

// The same layout from given inputs (the held-out set, or a learner's own example).
Batch make_batch(const TaskConfig& task, Arch arch, const std::vector<std::vector<int32_t>>& inputs);

}  // namespace attn
