// Sequence tasks for learning to train transformers, generated from a seed (no files needed):
//   copy     "3 1 4" -> "3 1 4"         reverse  "3 1 4" -> "4 1 3"
//   sort     "3 1 4" -> "1 3 4"         repeat   "3 1 4" -> "3 1 4 3 1 4"  (say it twice: an induction task)
//   dates    "Monday, Nov. 23rd 2026" -> "2026-11-23"  (the date translator's grammar, engine/train/dates.h,
//            one character per token)
//   summarize "yesterday the tired old farmer quietly sold his two brown cows at the market" -> "farmer sold
//            cows at market"  (a headline: who, did, what, where; engine/train/summarize.h, one word per token)
// Vocabulary: 0 = <pad>, 1 = <bos> (also the separator), 2 = <eos>, then the symbols from id 3: for the toy
// tasks `symbols` symbols written as the numbers 0, 1, 2, ...; for dates the characters of kDateAlphabet; for
// summarize the words of summarize::words().
//
// Train / held-out split: an input is HELD OUT when a hash of its ids says so (1 in 8 inputs, whatever the
// seed), so training never sees a held-out input, and any seed draws held-out sets from the same part of the
// space. For dates the held-out part holds new dates written in the training formats; for summarize, new
// sentences of the same grammar.
//
// Batches for the three architectures:
//   encoder-decoder:  src = x (padded), tgt = <bos> y, targets = y <eos>
//   decoder (LM):     src = x <bos> y, targets = next tokens, with the loss only on the answer y <eos>
//   encoder:          src = x, targets = y (same length; copy, reverse and sort only), one label per position
#pragma once

#include <string>
#include <vector>

#include "core/rng.h"
#include "core/check.h"
#include "io/json.h"
#include "models/model.h"
#include "train/trainer.h"

namespace attn {

constexpr int32_t kPad = 0, kBos = 1, kEos = 2, kFirstSymbol = 3;

// The characters of the dates task, in id order from kFirstSymbol: everything the grammar writes.
constexpr const char kDateAlphabet[] = " ',-./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr int32_t kDateMaxSource = 38;  // "Wednesday, the 30th of September, 2026"
constexpr int32_t kDateTarget = 10;     // "2026-11-23"

enum class TaskKind { kCopy, kReverse, kSort, kRepeat, kDates, kSummarize };
bool parse_task(const std::string& name, TaskKind* out);
const char* task_name(TaskKind t);
// "copy, reverse, sort, repeat, dates or summarize": the names parse_task knows, for messages.
const char* task_names();

struct TaskConfig {
  TaskKind kind = TaskKind::kReverse;
  int32_t symbols = 10;  // toy tasks: distinct symbols (vocabulary = symbols + 3)
  int32_t min_len = 3;   // toy tasks: input lengths
  int32_t max_len = 10;

  int32_t vocab_size() const;
  // Longest input x (symbols, characters or words).
  int32_t max_input() const;
  // Longest sequence a model sees for this task and architecture (for max_len of positional encodings).
  int32_t max_positions(Arch arch) const;
  // Longest answer y (without <eos>): a bound for greedy decoding.
  int32_t max_answer() const;
  Status validate(Arch arch) const;
};

// Reads {"name": "reverse", "symbols": 10, "min_len": 3, "max_len": 10} (absent keys keep their defaults;
// unknown keys are rejected) and writes it back.
Status task_config_from_json(const Json& j, TaskConfig* out);
Json task_config_to_json(const TaskConfig& t);

// One example: input x and answer y, as symbol ids (no specials).
struct Sample {
  std::vector<int32_t> x, y;
};

enum class Split { kTrain, kHeldOut };

// True when x belongs to the held-out part of the task (a fixed 1 in 8 of all inputs, by an FNV-1a hash).
bool is_held_out(const std::vector<int32_t>& x);

// The answer y for an input x (toy tasks; dates have no function from ids, see task_sample).
std::vector<int32_t> task_answer(TaskKind kind, const std::vector<int32_t>& x);
// The answer the task's rule gives a learner's input, when it has one: a toy task's answer, or the headline of a
// sentence of the summarize grammar (summarize::headline_of). False for dates, and for a sentence the headline
// rule cannot read.
bool rule_answer(const TaskConfig& task, const std::vector<int32_t>& x, std::vector<int32_t>* y);

// A random example from one part of the split.
Sample task_sample(const TaskConfig& task, Rng& rng, Split split = Split::kTrain);

// A batch of `B` random examples, laid out for the architecture (see above), targets padded with kPad
// (use ignore_index = kPad when training).
Batch task_batch(const TaskConfig& task, Arch arch, int64_t B, Rng& rng, Split split = Split::kTrain);

// The same layout from given examples (the held-out set, or a learner's own example).
Batch make_batch(Arch arch, const std::vector<Sample>& samples);

// Text <-> ids for people: toy symbols are written as numbers separated by spaces ("3 1 4"; with at most 10
// symbols the spaces may be left out: "314"), dates as their characters, summarize as words separated by spaces
// (parse_task_input also takes capitals and the punctuation , . ; : ! ? between words, and drops them).
// parse_task_input says what is wrong with a learner's input ("'x' is not a symbol of this task: use numbers
// from 0 to 9").
Status parse_task_input(const TaskConfig& task, const std::string& text, std::vector<int32_t>* x);
std::string task_text(const TaskConfig& task, const std::vector<int32_t>& ids);
// The label of one token id: "<pad>", "<bos>", "<eos>", "7", "N", "␣" for the dates' space, "farmer".
std::string token_label(const TaskConfig& task, int32_t id);

}  // namespace attn
