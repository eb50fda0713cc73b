// attn-train: trains a transformer on a toy task from the command line, with the engine's own training loop.
// Run `attn-train --help` for the options. Writes checkpoints (safetensors) and a loss log (JSON lines).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "io/json.h"
#include "tools/cli_io.h"
#include "io/model_file.h"
#include "models/config.h"
#include "train/decode.h"
#include "train/tasks.h"
#include "train/trainer.h"

using namespace attn;
using cli::die;
using cli::read_file;
using cli::write_file;

namespace {

const char* kHelp = R"(attn-train: train a transformer on a toy sequence task with the attn engine.

Usage: attn-train [options]

Task (data is generated from the seed; the held-out set from a different seed):
  --task NAME           copy | reverse | sort | repeat                      [reverse]
  --symbols N           distinct symbols                                    [10]
  --min-len N           shortest input                                      [3]
  --max-len N           longest input                                       [10]

Model (a config JSON like the page's; see README "Model config"):
  --arch NAME           encoder-decoder | decoder | encoder                 [encoder-decoder]
  --layers N            encoder layers (decoder layers for --arch decoder)  [2]
  --decoder-layers N    decoder layers of encoder-decoder models            [2]
  --d-model N                                                               [64]
  --heads N                                                                 [4]
  --ff N                feed-forward width                                  [256]
  --dropout P           (toy tasks need none; PyTorch's default is 0.1)    [0]
  --activation NAME     relu | gelu                                         [relu]
  --norm-first          pre-norm layers (default: post-norm, as in the 2017 paper)
  --positional NAME     none | sinusoidal | learned                         [sinusoidal]

Training:
  --steps N             optimizer steps                                     [2000]
  --batch N             sequences per step                                  [64]
  --optimizer NAME      adam | adamw                                        [adamw]
  --lr X                peak learning rate                                  [0.003]
  --weight-decay X                                                          [0.01]
  --beta1 X --beta2 X --eps X                                               [0.9 0.98 1e-9]
  --clip X              clip the global gradient norm (0: off)              [1.0]
  --warmup N            linear warmup steps                                 [100]
  --schedule NAME       constant | linear | cosine                          [cosine]
  --min-lr-ratio X      the decay ends at lr * this                         [0.05]
  --label-smoothing X                                                       [0.0]
  --seed N              weights, data and dropout                           [1]
  --config FILE         a JSON file {"task": {...}, "model": {...}, "train": {...}, "run": {...}} with the same
                        settings under their JSON names; command-line options override it

Output:
  --out DIR             write DIR/model.safetensors (final weights + config), DIR/checkpoint-STEP.safetensors,
                        DIR/log.jsonl (one line per step: step, loss, grad_norm, lr, tokens, seconds) and
                        DIR/run.json (the full configuration)
  --checkpoint-every N  also save a checkpoint every N steps                [0: only the final model]
  --eval-every N        held-out loss and accuracies every N steps          [200]
  --eval-size N         held-out sequences                                  [500]
  --f16                 store weights as float16 (half the size)
  --quiet               no progress lines
  --help                this text

The last lines report held-out teacher-forced token accuracy and exact match, and greedy-decoding exact match
(the model generating whole answers by itself). Example:

  attn-train --task reverse --steps 2000 --out runs/reverse
)";

struct Options {
  TaskConfig task;
  ModelConfig model;
  TrainConfig train;
  int64_t steps = 2000, batch = 64, eval_every = 200, eval_size = 500, checkpoint_every = 0;
  uint64_t seed = 1;
  std::string out;
  bool f16 = false, quiet = false;
};

// Applies "key": value settings (from --config or the command line) to the options.
void apply(Options& o, const std::string& section, const std::string& key, const Json& v) {
  auto num = [&]() {
    if (!v.is_number()) die(section + "." + key + " must be a number");
    return v.as_number();
  };
  auto str = [&]() {
    if (!v.is_string()) die(section + "." + key + " must be a string");
    return v.as_string();
  };
  if (section == "task") {
    if (key == "name") {
      if (!parse_task(str(), &o.task.kind)) die("unknown task '" + str() + "'");
    } else if (key == "symbols") o.task.symbols = static_cast<int32_t>(num());
    else if (key == "min_len") o.task.min_len = static_cast<int32_t>(num());
    else if (key == "max_len") o.task.max_len = static_cast<int32_t>(num());
    else die("unknown task setting '" + key + "'");
  } else if (section == "run") {
    if (key == "steps") o.steps = static_cast<int64_t>(num());
    else if (key == "batch") o.batch = static_cast<int64_t>(num());
    else if (key == "seed") o.seed = static_cast<uint64_t>(num());
    else if (key == "eval_every") o.eval_every = static_cast<int64_t>(num());
    else if (key == "eval_size") o.eval_size = static_cast<int64_t>(num());
    else if (key == "checkpoint_every") o.checkpoint_every = static_cast<int64_t>(num());
    else die("unknown run setting '" + key + "'");
  }
}

Json config_defaults() {
  Json model = Json::object();
  model.set("arch", Json::string("encoder-decoder"));
  model.set("num_layers", Json::number(2));
  model.set("num_decoder_layers", Json::number(2));
  model.set("d_model", Json::number(64));
  model.set("nhead", Json::number(4));
  model.set("dim_feedforward", Json::number(256));
  model.set("dropout", Json::number(0.0));
  model.set("activation", Json::string("relu"));
  model.set("norm_first", Json::boolean(false));
  model.set("positional", Json::string("sinusoidal"));
  Json train = Json::object();
  train.set("optimizer", Json::string("adamw"));
  train.set("lr", Json::number(3e-3));
  train.set("beta1", Json::number(0.9));
  train.set("beta2", Json::number(0.98));
  train.set("eps", Json::number(1e-9));
  train.set("weight_decay", Json::number(0.01));
  train.set("clip_norm", Json::number(1.0));
  train.set("warmup", Json::number(100));
  train.set("schedule", Json::string("cosine"));
  train.set("min_lr_ratio", Json::number(0.05));
  train.set("label_smoothing", Json::number(0.0));
  Json all = Json::object();
  all.set("model", model);
  all.set("train", train);
  all.set("task", Json::object());
  all.set("run", Json::object());
  return all;
}

// Command-line flags mapped to (section, JSON key, kind).
struct Flag {
  const char* section;
  const char* key;
  char kind;  // n = number, s = string, b = boolean switch
};
const std::map<std::string, Flag> kFlags = {
    {"--task", {"task", "name", 's'}},          {"--symbols", {"task", "symbols", 'n'}},
    {"--min-len", {"task", "min_len", 'n'}},    {"--max-len", {"task", "max_len", 'n'}},
    {"--arch", {"model", "arch", 's'}},         {"--layers", {"model", "num_layers", 'n'}},
    {"--decoder-layers", {"model", "num_decoder_layers", 'n'}},
    {"--d-model", {"model", "d_model", 'n'}},   {"--heads", {"model", "nhead", 'n'}},
    {"--ff", {"model", "dim_feedforward", 'n'}}, {"--dropout", {"model", "dropout", 'n'}},
    {"--activation", {"model", "activation", 's'}}, {"--norm-first", {"model", "norm_first", 'b'}},
    {"--positional", {"model", "positional", 's'}}, {"--steps", {"run", "steps", 'n'}},
    {"--batch", {"run", "batch", 'n'}},         {"--seed", {"run", "seed", 'n'}},
    {"--eval-every", {"run", "eval_every", 'n'}}, {"--eval-size", {"run", "eval_size", 'n'}},
    {"--checkpoint-every", {"run", "checkpoint_every", 'n'}},
    {"--optimizer", {"train", "optimizer", 's'}}, {"--lr", {"train", "lr", 'n'}},
    {"--weight-decay", {"train", "weight_decay", 'n'}}, {"--beta1", {"train", "beta1", 'n'}},
    {"--beta2", {"train", "beta2", 'n'}},       {"--eps", {"train", "eps", 'n'}},
    {"--clip", {"train", "clip_norm", 'n'}},    {"--warmup", {"train", "warmup", 'n'}},
    {"--schedule", {"train", "schedule", 's'}}, {"--min-lr-ratio", {"train", "min_lr_ratio", 'n'}},
    {"--label-smoothing", {"train", "label_smoothing", 'n'}},
};

Options parse(int argc, char** argv, Json* resolved) {
  Json cfg = config_defaults();
  Options o;
  // --config first, so that flags override it.
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kHelp, stdout);
      std::exit(0);
    }
    if (std::strcmp(argv[i], "--config") == 0) {
      if (i + 1 >= argc) die("--config needs a file");
      Json file;
      Status st = Json::parse(read_file(argv[i + 1]), &file);
      if (!st.ok() || !file.is_object()) die(std::string(argv[i + 1]) + ": " + (st.ok() ? "not a JSON object" : st.message()));
      for (const auto& [section, values] : file.members()) {
        if (!cfg.find(section)) die("unknown config section '" + section + "'");
        if (!values.is_object()) die("config section '" + section + "' must be an object");
        Json merged = *cfg.find(section);
        for (const auto& [k, v] : values.members()) merged.set(k, v);
        cfg.set(section, merged);
      }
    }
  }
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config") {
      ++i;
      continue;
    }
    if (a == "--out") {
      if (i + 1 >= argc) die("--out needs a directory");
      o.out = argv[++i];
      continue;
    }
    if (a == "--f16") {
      o.f16 = true;
      continue;
    }
    if (a == "--quiet") {
      o.quiet = true;
      continue;
    }
    auto it = kFlags.find(a);
    if (it == kFlags.end()) die("unknown option " + a + " (see --help)");
    const Flag& f = it->second;
    Json section = *cfg.find(f.section);
    if (f.kind == 'b') {
      section.set(f.key, Json::boolean(true));
    } else {
      if (i + 1 >= argc) die(a + " needs a value");
      const std::string v = argv[++i];
      if (f.kind == 's') {
        section.set(f.key, Json::string(v));
      } else {
        char* end = nullptr;
        const double d = std::strtod(v.c_str(), &end);
        if (!end || *end || !std::isfinite(d)) die(a + " needs a number, got '" + v + "'");
        section.set(f.key, Json::number(d));
      }
    }
    cfg.set(f.section, section);
  }
  for (const char* s : {"task", "run"})
    for (const auto& [k, v] : cfg.find(s)->members()) apply(o, s, k, v);
  // The model's vocabulary, head and positions follow from the task.
  Json model = *cfg.find("model");
  Arch arch;
  if (!parse_arch(model.string_or("arch", "encoder-decoder"), &arch)) die("unknown arch '" + model.string_or("arch", "") + "'");
  Status st = o.task.validate(arch);
  if (!st.ok()) die(st.message());
  model.set("vocab_size", Json::number(o.task.vocab_size()));
  model.set("head_size", Json::number(o.task.vocab_size()));
  if (arch == Arch::kEncoderDecoder) model.set("tgt_vocab_size", Json::number(o.task.vocab_size()));
  model.set("max_len", Json::number(o.task.max_positions(arch) + 1));
  model.set("pad_id", Json::number(kPad));
  st = model_config_from_json(model, &o.model);
  if (!st.ok()) die("model: " + st.message());
  Json train = *cfg.find("train");
  train.set("ignore_index", Json::number(kPad));
  train.set("seed", Json::number(static_cast<double>(o.seed)));
  train.set("total_steps", Json::number(static_cast<double>(o.steps)));
  st = train_config_from_json(train, &o.train);
  if (!st.ok()) die("train: " + st.message());
  if (o.steps <= 0 || o.batch <= 0) die("--steps and --batch must be positive");
  cfg.set("model", model_config_to_json(o.model));
  cfg.set("train", train_config_to_json(o.train));
  Json task = Json::object();
  task.set("name", Json::string(task_name(o.task.kind)));
  task.set("symbols", Json::number(o.task.symbols));
  task.set("min_len", Json::number(o.task.min_len));
  task.set("max_len", Json::number(o.task.max_len));
  cfg.set("task", task);
  Json run = Json::object();
  run.set("steps", Json::number(static_cast<double>(o.steps)));
  run.set("batch", Json::number(static_cast<double>(o.batch)));
  run.set("seed", Json::number(static_cast<double>(o.seed)));
  cfg.set("run", run);
  *resolved = cfg;
  return o;
}

std::string clock_text(double seconds) {
  const int s = static_cast<int>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%02d", s / 60, s % 60);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  cli::program = "attn-train";
  Json resolved;
  Options o = parse(argc, argv, &resolved);
  if (!o.out.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.out, ec);
    if (ec) die("cannot create " + o.out + ": " + ec.message());
    write_file(o.out + "/run.json", resolved.dump() + "\n");
  }
  TransformerModel model(o.model);
  Rng init(o.seed);
  model.reset_parameters(init);
  Trainer trainer(model, o.train);
  Rng data(o.seed * 7919 + 1), held(o.seed * 104729 + 2);
  std::vector<std::vector<int32_t>> held_inputs;
  for (int64_t i = 0; i < o.eval_size; ++i) held_inputs.push_back(task_input(o.task, held));
  const Batch held_batch = make_batch(o.task, o.model.arch, held_inputs);

  std::printf("attn-train: %s, %s, %lld parameters, %lld steps of %lld sequences\n", task_name(o.task.kind),
              arch_name(o.model.arch), static_cast<long long>(model.num_parameters()), static_cast<long long>(o.steps),
              static_cast<long long>(o.batch));
  std::ofstream log;
  if (!o.out.empty()) log.open(o.out + "/log.jsonl");
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  double last_print = -1.0;
  int64_t tokens = 0;
  auto save = [&](const std::string& name) {
    if (o.out.empty()) return;
    write_file(o.out + "/" + name, save_model(model, o.f16, {{"task", task_name(o.task.kind)},
                                                            {"run", resolved.dump()}}));
  };
  for (int64_t step = 1; step <= o.steps; ++step) {
    const Batch b = task_batch(o.task, o.model.arch, o.batch, data);
    const StepStats s = trainer.step(b);
    tokens += s.tokens;
    const double t = elapsed();
    if (log.is_open()) {
      Json line = Json::object();
      line.set("step", Json::number(static_cast<double>(s.step)));
      line.set("loss", Json::number(s.loss));
      line.set("grad_norm", Json::number(s.grad_norm));
      line.set("lr", Json::number(s.lr));
      line.set("tokens", Json::number(static_cast<double>(s.tokens)));
      line.set("seconds", Json::number(t));
      log << line.dump() << "\n";
    }
    if (!std::isfinite(s.loss)) die("the loss became " + std::to_string(s.loss) + " at step " + std::to_string(step) + "; try a lower --lr");
    const bool eval_now = o.eval_every > 0 && step % o.eval_every == 0;
    if (!o.quiet && (t - last_print >= 1.0 || step == o.steps || eval_now)) {
      const double rate = t > 0 ? tokens / t : 0.0;
      const double eta = t / static_cast<double>(step) * static_cast<double>(o.steps - step);
      std::printf("step %6lld/%lld  loss %.4f  lr %.2e  %9.0f tok/s  elapsed %s  ETA %s\n",
                  static_cast<long long>(step), static_cast<long long>(o.steps), s.loss, s.lr, rate,
                  clock_text(t).c_str(), clock_text(eta).c_str());
      std::fflush(stdout);
      last_print = t;
    }
    if (eval_now) {
      const EvalStats e = trainer.evaluate(held_batch);
      if (!o.quiet)
        std::printf("  held-out: loss %.4f  token accuracy %.2f%%  exact match %.2f%% (teacher-forced)\n", e.loss,
                    100 * e.token_accuracy(), 100 * e.exact_match());
    }
    if (o.checkpoint_every > 0 && step % o.checkpoint_every == 0 && step != o.steps)
      save("checkpoint-" + std::to_string(step) + ".safetensors");
  }
  save("model.safetensors");

  // Final evaluation: teacher-forced, then greedy generation of whole answers.
  const EvalStats e = trainer.evaluate(held_batch);
  // An encoder labels every position at once, so its teacher-forced answer is its generated answer.
  double greedy = e.exact_match();
  if (o.model.arch != Arch::kEncoder) {
    int64_t exact = 0;
    for (const auto& x : held_inputs) {
      const std::vector<int32_t> y = task_answer(o.task.kind, x);
      const int64_t limit = static_cast<int64_t>(y.size()) + 2;
      std::vector<int32_t> prompt = x;
      prompt.push_back(kBos);
      const Decoded d = o.model.arch == Arch::kEncoderDecoder ? greedy_seq2seq(model, x, kBos, kEos, limit)
                                                              : greedy_lm(model, prompt, kEos, limit);
      exact += d.finished && d.tokens == y;
    }
    greedy = static_cast<double>(exact) / static_cast<double>(held_inputs.size());
  }
  std::printf("done in %s: held-out loss %.4f, token accuracy %.2f%%, exact match %.2f%% (teacher-forced), "
              "%.2f%% (greedy decoding, %zu sequences)\n",
              clock_text(elapsed()).c_str(), e.loss, 100 * e.token_accuracy(), 100 * e.exact_match(), 100 * greedy,
              held_inputs.size());
  if (!o.out.empty()) std::printf("wrote %s/model.safetensors, log.jsonl, run.json\n", o.out.c_str());
  return 0;
}
