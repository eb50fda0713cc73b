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
#include "train/run.h"

using namespace attn;
using cli::die;
using cli::read_file;
using cli::write_file;

namespace {

const char* kHelp = R"(attn-train: train a transformer on a toy sequence task with the attn engine.

Usage: attn-train [options]

Task (data is generated from the seed; 1 in 8 inputs is held out for testing and never trained on):
  --task NAME           copy | reverse | sort | repeat | dates | summarize  [reverse]
  --symbols N           distinct symbols (toy tasks)                        [10]
  --min-len N           shortest input (toy tasks)                          [3]
  --max-len N           longest input (toy tasks)                           [10]

Model (a config JSON like the page's; see README "Model config"):
  --arch NAME           encoder-decoder | decoder | encoder | lstm          [encoder-decoder]
                        (lstm: a seq2seq LSTM without attention; reads --layers and --d-model)
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
                        settings under their JSON names (the page's training lab exports these);
                        command-line options override it

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
  RunConfig run;
  Json resolved;  // the whole config, as run.json records it
  int64_t checkpoint_every = 0;
  std::string out;
  bool f16 = false, quiet = false;
};

// Command-line flags mapped to (section, JSON key, kind) of the run config (engine/train/run.h).
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
    {"--optimizer", {"train", "optimizer", 's'}}, {"--lr", {"train", "lr", 'n'}},
    {"--weight-decay", {"train", "weight_decay", 'n'}}, {"--beta1", {"train", "beta1", 'n'}},
    {"--beta2", {"train", "beta2", 'n'}},       {"--eps", {"train", "eps", 'n'}},
    {"--clip", {"train", "clip_norm", 'n'}},    {"--warmup", {"train", "warmup", 'n'}},
    {"--schedule", {"train", "schedule", 's'}}, {"--min-lr-ratio", {"train", "min_lr_ratio", 'n'}},
    {"--label-smoothing", {"train", "label_smoothing", 'n'}},
};

Options parse(int argc, char** argv) {
  Json cfg = Json::object();
  Options o;
  // --config first, so that flags override it. A config exported by the page's lab works as it is.
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kHelp, stdout);
      std::exit(0);
    }
    if (std::strcmp(argv[i], "--config") == 0) {
      if (i + 1 >= argc) die("--config needs a file");
      Status st = Json::parse(read_file(argv[i + 1]), &cfg);
      if (!st.ok() || !cfg.is_object()) die(std::string(argv[i + 1]) + ": " + (st.ok() ? "not a JSON object" : st.message()));
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
    if (a == "--f16" || a == "--quiet") {
      (a == "--f16" ? o.f16 : o.quiet) = true;
      continue;
    }
    if (a == "--checkpoint-every") {
      char* end = nullptr;
      o.checkpoint_every = i + 1 < argc ? std::strtoll(argv[++i], &end, 10) : -1;
      if (!end || *end || o.checkpoint_every < 0) die("--checkpoint-every needs a number of steps");
      continue;
    }
    auto it = kFlags.find(a);
    if (it == kFlags.end()) die("unknown option " + a + " (see --help)");
    const Flag& f = it->second;
    Json section = cfg.find(f.section) ? *cfg.find(f.section) : Json::object();
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
  // Keys that follow from the task and the run are recomputed: a config exported by the page has them, and
  // flags may change the task or the steps.
  const Status st = run_config_from_json(without_derived_keys(cfg), &o.run);
  if (!st.ok()) die(st.message());
  o.resolved = run_config_to_json(o.run);
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
  Options o = parse(argc, argv);
  const RunConfig& rc = o.run;
  if (!o.out.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.out, ec);
    if (ec) die("cannot create " + o.out + ": " + ec.message());
    write_file(o.out + "/run.json", o.resolved.dump() + "\n");
  }
  TrainingRun run(rc);

  std::printf("attn-train: %s, %s, %lld parameters, %lld steps of %lld sequences\n", task_name(rc.task.kind),
              rc.recurrent ? "lstm" : arch_name(rc.model.arch), static_cast<long long>(run.num_parameters()),
              static_cast<long long>(rc.steps),
              static_cast<long long>(rc.batch));
  std::ofstream log;
  if (!o.out.empty()) log.open(o.out + "/log.jsonl");
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  double last_print = -1.0, eval_seconds = 0.0;
  int64_t tokens = 0;
  auto save = [&](const std::string& name) {
    if (!o.out.empty()) write_file(o.out + "/" + name, run.save(o.f16));  // the run's config in the metadata
  };
  for (int64_t step = 1; step <= rc.steps; ++step) {
    const StepStats s = run.step();
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
    const bool eval_now = rc.eval_every > 0 && step % rc.eval_every == 0;
    if (!o.quiet && (t - last_print >= 1.0 || step == rc.steps || eval_now)) {
      const double train_time = t - eval_seconds;
      const double rate = train_time > 0 ? tokens / train_time : 0.0;
      const double eta = train_time / static_cast<double>(step) * static_cast<double>(rc.steps - step);
      std::printf("step %6lld/%lld  loss %.4f  lr %.2e  %9.0f tok/s  %6.1f steps/s  elapsed %s  ETA %s\n",
                  static_cast<long long>(step), static_cast<long long>(rc.steps), s.loss, s.lr, rate,
                  train_time > 0 ? step / train_time : 0.0, clock_text(t).c_str(), clock_text(eta).c_str());
      std::fflush(stdout);
      last_print = t;
    }
    if (eval_now) {
      const EvalStats e = run.evaluate();
      if (!o.quiet)
        std::printf("  held-out: loss %.4f  token accuracy %.2f%%  exact match %.2f%% (teacher-forced)\n", e.loss,
                    100 * e.token_accuracy(), 100 * e.exact_match());
      eval_seconds += elapsed() - t;
    }
    if (o.checkpoint_every > 0 && step % o.checkpoint_every == 0 && step != rc.steps)
      save("checkpoint-" + std::to_string(step) + ".safetensors");
  }
  const double train_seconds = elapsed() - eval_seconds;
  save("model.safetensors");

  // Final evaluation: teacher-forced, then greedy generation of whole answers.
  const EvalStats e = run.evaluate();
  const GenerationStats g = run.generate();
  std::printf("done in %s: held-out loss %.4f, token accuracy %.2f%%, exact match %.2f%% (teacher-forced), "
              "%.2f%% (greedy decoding, %lld sequences), BLEU %.4f\n",
              clock_text(elapsed()).c_str(), e.loss, 100 * e.token_accuracy(), 100 * e.exact_match(), 100 * g.exact_match(),
              static_cast<long long>(g.sequences), g.bleu.bleu);
  std::printf("training: %.2f s for %lld steps, %.1f steps/s (evaluations excluded)\n", train_seconds,
              static_cast<long long>(rc.steps), rc.steps / train_seconds);
  if (!o.out.empty())
    std::printf("wrote %s/model.safetensors, log.jsonl, run.json\n", o.out.c_str());
  return 0;
}
