// attn_train_bench: training steps per second of one small model with attn::Trainer, for comparing the native and
// the WebAssembly builds of the engine with PyTorch (bench/train_torch.py prints the same records).
//
// One source, two builds (see bench/CMakeLists.txt):
//   native: g++ -O3 -march=native   -> build/native/bench/attn_train_bench
//   wasm:   em++ -O3 -msimd128      -> build/wasm/bench/attn_train_bench.js   (node --no-experimental-fetch ...)
// Both are single-threaded (the engine defines EIGEN_DONT_PARALLELIZE and uses no threads).
//
// The model (arch "encoder"): ids -> embedding * sqrt(E) + sinusoidal positions -> TransformerEncoder (2 post-norm
// layers, E = 128, 4 heads, feed-forward 512, relu, dropout 0) -> Linear head (1000 outputs); vocabulary 1000.
// The task: one batch of B x L random ids with a random target at every position, cross-entropy (mean over all
// B*L positions). One step = Trainer::step: forward (training mode) + loss + backward + clip_grad_norm(1.0) +
// AdamW (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight_decay 0.01). The same batch every step.
//
// Same starting point everywhere: parameters and data come from a counter-based hash (splitmix64) of the
// parameter's name and the element's index, which train_torch.py computes identically (see init_value below).
// So all runtimes start from the same weights and see the same batch: loss_first (the loss of step 1) must agree
// to float rounding, and loss_last (after all steps) closely.
//
// Timing: `warmup` untimed steps, then `runs` runs of `steps` steps each, timed with std::chrono::steady_clock;
// reported: median and minimum time per step over the runs.
//
// Output: one JSON line (read by bench/report.py), then a human-readable summary. Fields:
//   runtime, build, kernel "train_step", arch, B, L, E, H, F, layers, V (vocabulary = head size), params,
//   flops (approximate, see step_flops), ms (median per step), ms_min, steps_per_s, tokens_per_s (B*L per step),
//   gflops, runs, steps (per run), warmup, steps_total, loss_first, loss_last, checksum (= loss_last).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_common.h"
#include "io/json.h"
#include "models/model.h"
#include "train/trainer.h"

namespace {

using attn::Json;
using attn_bench::build_info;
using attn_bench::now_ms;
using attn_bench::runtime_name;

// ------------------------------------------------------------------------------------------------ options

struct Options {
  int64_t B = 32, L = 64;  // batch, sequence length
  int warmup = 3;          // untimed steps first
  int runs = 5;            // timed runs; the median run is reported
  int steps = 10;          // steps per run
  uint64_t seed = 1234;    // of the parameters and the batch
};

// The fixed model of the benchmark (train_torch.py builds the same).
constexpr int64_t kE = 128, kH = 4, kF = 512, kLayers = 2, kVocab = 1000;

[[noreturn]] void usage(const char* argv0, int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: %s [--batch B] [--seq-len L] [--steps N] [--runs N] [--warmup N] [--seed S]\n"
               "  --batch B     sequences per batch (default 32)\n"
               "  --seq-len L   tokens per sequence (default 64)\n"
               "  --steps N     training steps per timed run (default 10)\n"
               "  --runs N      timed runs, median reported (default 5)\n"
               "  --warmup N    untimed steps first (default 3)\n"
               "  --seed S      seed of the parameters and the batch (default 1234)\n",
               argv0);
  std::exit(code);
}

Options parse_args(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (!std::strcmp(arg, "--help") || !std::strcmp(arg, "-h")) usage(argv[0], 0);
    if (i + 1 >= argc) usage(argv[0], 2);
    const char* value = argv[++i];
    if (!std::strcmp(arg, "--batch")) {
      opt.B = std::max(1, std::atoi(value));
    } else if (!std::strcmp(arg, "--seq-len")) {
      opt.L = std::max(1, std::atoi(value));
    } else if (!std::strcmp(arg, "--steps")) {
      opt.steps = std::max(1, std::atoi(value));
    } else if (!std::strcmp(arg, "--runs")) {
      opt.runs = std::max(1, std::atoi(value));
    } else if (!std::strcmp(arg, "--warmup")) {
      opt.warmup = std::max(0, std::atoi(value));
    } else if (!std::strcmp(arg, "--seed")) {
      opt.seed = std::strtoull(value, nullptr, 10);
    } else {
      usage(argv[0], 2);
    }
  }
  return opt;
}

// ------------------------------------------------------------------------- shared deterministic numbers
// Mirrored in train_torch.py (numpy uint64 arithmetic): change both or neither.

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return h;
}

// splitmix64 of the counter i under `key`.
uint64_t mix(uint64_t key, uint64_t i) {
  uint64_t z = key + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double unit(uint64_t key, uint64_t i) { return static_cast<double>(mix(key, i) >> 11) * 0x1.0p-53; }  // [0, 1)

// Parameter `name` [shape]: LayerNorm weights 1; embedding U(-sqrt 3, sqrt 3) (unit variance, like nn.Embedding's
// N(0, 1)); other matrices U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (nn.Linear's bound); vectors (biases) U(-0.02, 0.02).
void init_param(const std::string& name, attn::Tensor& t, uint64_t seed) {
  const bool is_matrix = t.shape.size() == 2;
  const bool norm_weight = !is_matrix && name.find("norm") != std::string::npos &&
                           name.size() >= 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
  if (norm_weight) {
    std::fill(t.data.begin(), t.data.end(), 1.0f);
    return;
  }
  const double bound = name == "embed.weight" ? std::sqrt(3.0)
                       : is_matrix             ? 1.0 / std::sqrt(static_cast<double>(t.shape[1]))
                                               : 0.02;
  const uint64_t key = fnv1a64(name) + seed;
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>((2.0 * unit(key, i) - 1.0) * bound);
}

// B*L values in [0, n): the ids (stream "ids") or the targets (stream "targets").
std::vector<int32_t> random_ids(const std::string& stream, int64_t count, int64_t n, uint64_t seed) {
  const uint64_t key = fnv1a64(stream) + seed;
  std::vector<int32_t> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) out[static_cast<size_t>(i)] = static_cast<int32_t>(mix(key, i) % n);
  return out;
}

// Matrix-product flops of one training step (forward x 3: backward computes two products per forward one).
// Forward per layer: q/k/v 2*N*E*3E + out 2*N*E*E + feed-forward 2*2*N*E*F + scores and weights*V 2*2*B*L*L*E;
// head 2*N*E*V; N = B*L. Softmax, LayerNorm, the optimizer etc. are not counted.
double step_flops(int64_t B, int64_t L) {
  const double N = static_cast<double>(B * L);
  const double layer = 2 * N * kE * 3 * kE + 2 * N * kE * kE + 4 * N * kE * kF + 4.0 * B * L * L * kE;
  return 3.0 * (kLayers * layer + 2 * N * kE * kVocab);
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse_args(argc, argv);
  const std::string build = build_info();
  std::printf("# attn_train_bench  runtime: %s  build: %s  Eigen threads: %d\n", runtime_name(), build.c_str(),
              Eigen::nbThreads());

  attn::ModelConfig mc;
  mc.arch = attn::Arch::kEncoder;
  mc.vocab_size = kVocab;
  mc.num_layers = kLayers;
  mc.layer.d_model = kE;
  mc.layer.nhead = kH;
  mc.layer.dim_feedforward = kF;
  mc.layer.dropout = 0.0f;
  mc.layer.activation = attn::Activation::kRelu;
  mc.layer.norm_first = false;
  mc.positional = attn::Positional::kSinusoidal;
  mc.max_len = opt.L;
  mc.scale_embedding = true;
  mc.head_size = kVocab;
  if (attn::Status st = mc.validate(); !st.ok()) {
    std::fprintf(stderr, "bad model config: %s\n", st.message().c_str());
    return 1;
  }
  attn::TransformerModel model(mc);
  int64_t params = 0;
  model.visit([&](const std::string& name, attn::Param& p) {
    init_param(name, p.value, opt.seed);
    params += p.value.numel();
  });

  attn::TrainConfig tc;
  tc.optim.optimizer = "adamw";
  tc.optim.lr = 1e-3;
  tc.optim.weight_decay = 0.01;
  tc.optim.clip_norm = 1.0;
  tc.seed = opt.seed;
  attn::Trainer trainer(model, tc);

  attn::Batch batch;
  batch.B = opt.B;
  batch.S = opt.L;
  batch.src = random_ids("ids", opt.B * opt.L, kVocab, opt.seed);
  batch.targets = random_ids("targets", opt.B * opt.L, kVocab, opt.seed);
  if (attn::Status st = trainer.check(batch); !st.ok()) {
    std::fprintf(stderr, "bad batch: %s\n", st.message().c_str());
    return 1;
  }

  double loss_first = 0, loss_last = 0;
  auto step = [&] {
    const attn::StepStats s = trainer.step(batch);
    if (s.step == 1) loss_first = s.loss;
    loss_last = s.loss;
  };
  for (int i = 0; i < opt.warmup; ++i) step();
  std::vector<double> per_step;
  for (int r = 0; r < opt.runs; ++r) {
    const double t0 = now_ms();
    for (int i = 0; i < opt.steps; ++i) step();
    per_step.push_back((now_ms() - t0) / opt.steps);
  }
  std::sort(per_step.begin(), per_step.end());
  const size_t n = per_step.size();
  const double ms = n % 2 ? per_step[n / 2] : 0.5 * (per_step[n / 2 - 1] + per_step[n / 2]);
  const double flops = step_flops(opt.B, opt.L);
  if (!std::isfinite(loss_last)) {
    std::fprintf(stderr, "the loss is not finite: %g\n", loss_last);
    return 1;
  }

  Json j = Json::object();
  j.set("runtime", Json::string(runtime_name()));
  j.set("build", Json::string(build));
  j.set("kernel", Json::string("train_step"));
  j.set("arch", Json::string("encoder"));
  const std::pair<const char*, int64_t> dims[] = {{"B", opt.B},      {"L", opt.L}, {"E", kE},         {"H", kH},
                                                  {"F", kF},         {"layers", kLayers}, {"V", kVocab}, {"params", params}};
  for (const auto& [name, value] : dims) j.set(name, Json::number(static_cast<double>(value)));
  j.set("flops", Json::number(flops));
  j.set("ms", Json::number(ms));
  j.set("ms_min", Json::number(per_step.front()));
  j.set("steps_per_s", Json::number(1000.0 / ms));
  j.set("tokens_per_s", Json::number(1000.0 / ms * static_cast<double>(opt.B * opt.L)));
  j.set("gflops", Json::number(flops / (ms * 1e6)));
  j.set("runs", Json::number(opt.runs));
  j.set("steps", Json::number(opt.steps));
  j.set("warmup", Json::number(opt.warmup));
  j.set("steps_total", Json::number(static_cast<double>(trainer.steps_done())));
  j.set("loss_first", Json::number(loss_first));
  j.set("loss_last", Json::number(loss_last));
  j.set("checksum", Json::number(loss_last));
  std::printf("%s\n", j.dump().c_str());

  std::printf("\n%-10s %-10s %-28s %10s %10s %8s %9s %8s %-12s\n", "runtime", "kernel", "shape", "median ms", "min ms",
              "steps/s", "tokens/s", "GFLOP/s", "loss 1 -> last");
  char shape[64];
  std::snprintf(shape, sizeof shape, "B=%lld L=%lld E=%lld params=%lld", static_cast<long long>(opt.B),
                static_cast<long long>(opt.L), static_cast<long long>(kE), static_cast<long long>(params));
  std::printf("%-10s %-10s %-28s %10.2f %10.2f %8.2f %9.0f %8.1f %.4f -> %.4f (%lld steps)\n", runtime_name(),
              "train_step", shape, ms, per_step.front(), 1000.0 / ms, 1000.0 / ms * static_cast<double>(opt.B * opt.L),
              flops / (ms * 1e6), loss_first, loss_last, static_cast<long long>(trainer.steps_done()));
  return 0;
}
