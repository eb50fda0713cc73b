// libFuzzer target: the training lab's run configs (engine/train/run.h) on arbitrary bytes, read the two ways a
// learner hands them to the engine: a run config as `attn-train --config` and the lab's form write it
// ({"task": ..., "model": ..., "train": ..., "run": ...}), or a run file as the lab exports it
// ({"format": "attn-lab-run", "config": {...}, "history": ...}), whose "config" the page gives the engine.
//
// Besides "no crash, no sanitizer report":
//  - run_config_from_json on any JSON: a rejection says why (a non-empty message) and leaves the output alone;
//  - an accepted config writes (run_config_to_json) a config that reads back and writes the same text (a fixed
//    point), and the same config without its derived keys (without_derived_keys, attn-train's flags over
//    --config) reads back to it too;
//  - a small accepted config (at most kRunMaxParameters parameters) makes a TrainingRun that trains one step on its
//    first batch (a batch of the run's size, step 1, positions scored) and answers its first held-out input
//    within the task's answer bound. A run costs milliseconds under the sanitizers (the round trip, tens of
//    microseconds), so only inputs whose length is a multiple of kRunEvery make one, and the run's batch and
//    held-out set are cut to 2 examples; the config itself is checked as given.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "io/json.h"
#include "io/model_file.h"
#include "train/run.h"

namespace {

[[noreturn]] void broken(const char* property, const std::string& detail) {
  std::fprintf(stderr, "fuzz_run_config: property broken: %s: %s\n", property, detail.c_str());
  std::abort();
}

// Runs only small models (the parameter limit of the lab itself, 20 million, is the config reader's to check).
constexpr int64_t kRunMaxParameters = int64_t{1} << 14;
constexpr size_t kRunEvery = 8;

// config: a run config the reader accepted (its JSON, for messages: text).
void check_round_trip(const attn::RunConfig& config, const std::string& text) {
  const attn::Json written = attn::run_config_to_json(config);
  const std::string once = written.dump();
  attn::Json parsed;
  if (!attn::Json::parse(once, &parsed).ok()) broken("a written config is JSON", once);
  attn::RunConfig again;
  attn::Status st = attn::run_config_from_json(parsed, &again);
  if (!st.ok()) broken("a written config reads back", st.message() + " [" + once + "] from [" + text + "]");
  if (attn::run_config_to_json(again).dump() != once) broken("run_config_to_json is a fixed point", once);

  attn::RunConfig bare;
  st = attn::run_config_from_json(attn::without_derived_keys(written), &bare);
  if (!st.ok()) broken("a config without its derived keys reads", st.message() + " [" + once + "]");
  if (attn::run_config_to_json(bare).dump() != once) broken("the derived keys are derived again", once);
}

// config: an accepted config of `parameters` parameters.
void check_run(attn::RunConfig config, int64_t parameters) {
  config.batch = std::min<int64_t>(config.batch, 2);
  config.eval_size = std::min<int64_t>(config.eval_size, 2);
  attn::TrainingRun run(config);
  if (run.num_parameters() != parameters)
    broken("the run has the parameters its config says", std::to_string(run.num_parameters()) + " != " + std::to_string(parameters));
  const attn::Batch& b = run.next_batch();
  if (b.B != config.batch || static_cast<int64_t>(b.src.size()) != b.B * b.S ||
      static_cast<int64_t>(b.targets.size()) != b.B * b.out_len())
    broken("a batch has the run's size", std::to_string(b.B) + " x " + std::to_string(b.S));
  const attn::StepStats s = run.step();
  if (s.step != 1 || s.tokens <= 0) broken("a step trains on the batch", std::to_string(s.tokens) + " positions");
  const attn::Sample& first = run.held_out().at(0);
  if (!run.check_input(first.x).ok()) broken("a held-out input is a valid input", run.check_input(first.x).message());
  const attn::Decoded d = run.infer(first.x);
  if (static_cast<int64_t>(d.tokens.size()) > config.task.max_answer() + 1)
    broken("an answer stays within the task's bound", std::to_string(d.tokens.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  attn::Json j;
  if (!attn::Json::parse(text, &j).ok()) return 0;
  // A run file: its config.
  if (j.is_object() && j.string_or("format", "") == "attn-lab-run" && j.find("config")) {
    attn::Json inner = *j.find("config");  // a copy first: j owns what find points to
    j = std::move(inner);
  }

  attn::RunConfig config;
  config.steps = -7;  // a value no accepted config has: a rejection must leave it
  const attn::Status st = attn::run_config_from_json(j, &config);
  if (!st.ok()) {
    if (st.message().empty()) broken("a rejected config says why", std::string(text.substr(0, 200)));
    if (config.steps != -7) broken("a rejected config leaves the output alone", st.message());
    return 0;
  }
  const std::string shown(text.substr(0, 400));
  check_round_trip(config, shown);
  const int64_t n = config.recurrent ? config.lstm.parameter_count() : attn::parameter_count(config.model);
  if (n <= kRunMaxParameters && size % kRunEvery == 0) check_run(config, n);
  return 0;
}
