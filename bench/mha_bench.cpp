// attn_bench: time of one multi-head attention forward, and the GEMM rate of the same build, for comparing the
// native and the WebAssembly builds of the engine (and, through the same JSON records, other runtimes).
//
// One source, two builds (see bench/CMakeLists.txt):
//   native: g++ -O3 -march=native   -> build/native/bench/attn_bench
//   wasm:   em++ -O3 -msimd128      -> build/wasm/bench/attn_bench.js   (node --no-experimental-fetch ...)
// Both are single-threaded (the engine defines EIGEN_DONT_PARALLELIZE and uses no threads).
//
// For each shape (B = 1, self-attention: query = key = value = x [1, L, E], no mask, eval mode):
//   mha_forward  MultiheadAttention::forward(x, x, x), seeded random weights (reset_parameters) and input.
//                flops = 3 input projections 2*L*E*E each + scores Q K^T 2*L*L*E + weights V 2*L*L*E
//                        + out projection 2*L*E*E  =  8*L*E^2 + 4*L^2*E   (softmax, biases, copies not counted)
//   gemm         C [M, N] = A [M, K] * W [N, K]^T with M = L, K = N = E, through attn::gemm (ops/gemm.h: Eigen
//                natively, the engine's SIMD kernel in WebAssembly): one projection at this shape exactly as the
//                engine computes it (x W^T, weight in nn.Linear's [out, in] layout). flops = 2*M*K*N. The
//                reference rate of this build.
//
// Timing: a few warm-up calls; then `runs` runs of `reps` calls each (reps chosen so that one run lasts at
// least run_ms), timed with std::chrono::steady_clock; reported: median and minimum time per call.
//
// Output: one JSON object per line for each measurement (lines starting with '{', read by bench/report.py),
// then a human-readable table (all other lines). Record fields:
//   runtime, build, kernel ("mha_forward" | "gemm"), dims (B, L, E, H | M, K, N), flops, ms (median per call),
//   ms_min, gflops (flops / median), runs, reps, checksum (sum of the output: native and wasm should agree).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "bench_common.h"
#include "io/json.h"
#include "layers/multihead_attention.h"
#include "ops/gemm.h"

namespace {

using attn::Json;
using attn::Tensor;

// ------------------------------------------------------------------------------------------------ options

struct MhaShape {
  int64_t L = 0, E = 0, H = 0;  // sequence length, embed_dim, num_heads (batch is 1)
};

struct Options {
  std::vector<MhaShape> shapes;  // default: {128, 768, 12}, {512, 768, 12}
  int warmup = 2;                // untimed calls before timing
  int runs = 7;                  // timed runs; the median run is reported
  double run_ms = 100.0;         // each run repeats the call until it lasts at least this long
  uint64_t seed = 1234;
};

[[noreturn]] void usage(const char* argv0, int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: %s [--shape L,E,H]... [--runs N] [--warmup N] [--run-ms T] [--seed S]\n"
               "  --shape L,E,H  multi-head attention shape, batch 1 (repeatable; default 128,768,12 and "
               "512,768,12)\n"
               "  --runs N       timed runs per measurement, median reported (default 7)\n"
               "  --warmup N     untimed calls first (default 2)\n"
               "  --run-ms T     minimum duration of one run in ms; short calls are repeated (default 100)\n"
               "  --seed S       seed of weights and inputs (default 1234)\n",
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
    if (!std::strcmp(arg, "--shape")) {
      MhaShape s;
      long long L, E, H;
      if (std::sscanf(value, "%lld,%lld,%lld", &L, &E, &H) != 3 || L <= 0 || E <= 0 || H <= 0 || E % H) {
        std::fprintf(stderr, "bad --shape '%s': want L,E,H with E divisible by H\n", value);
        std::exit(2);
      }
      s.L = L, s.E = E, s.H = H;
      opt.shapes.push_back(s);
    } else if (!std::strcmp(arg, "--runs")) {
      opt.runs = std::max(1, std::atoi(value));
    } else if (!std::strcmp(arg, "--warmup")) {
      opt.warmup = std::max(0, std::atoi(value));
    } else if (!std::strcmp(arg, "--run-ms")) {
      opt.run_ms = std::max(0.0, std::atof(value));
    } else if (!std::strcmp(arg, "--seed")) {
      opt.seed = std::strtoull(value, nullptr, 10);
    } else {
      usage(argv[0], 2);
    }
  }
  if (opt.shapes.empty()) opt.shapes = {{128, 768, 12}, {512, 768, 12}};
  return opt;
}

using attn_bench::build_info;
using attn_bench::now_ms;
using attn_bench::runtime_name;

// --------------------------------------------------------------------------------------------------- timing

struct Timing {
  double median_ms = 0, min_ms = 0;  // per call
  int runs = 0, reps = 0;            // reps = calls per run
};

template <class Fn>
Timing measure(Fn&& fn, const Options& opt) {
  for (int i = 0; i < opt.warmup; ++i) fn();
  // Calibrate: one more call tells how many calls fill a run of run_ms.
  double t0 = now_ms();
  fn();
  const double one_ms = std::max(now_ms() - t0, 1e-6);
  Timing t;
  t.runs = opt.runs;
  t.reps = std::max(1, static_cast<int>(std::ceil(opt.run_ms / one_ms)));
  std::vector<double> per_call;
  for (int r = 0; r < t.runs; ++r) {
    t0 = now_ms();
    for (int i = 0; i < t.reps; ++i) fn();
    per_call.push_back((now_ms() - t0) / t.reps);
  }
  std::sort(per_call.begin(), per_call.end());
  const size_t n = per_call.size();
  t.median_ms = n % 2 ? per_call[n / 2] : 0.5 * (per_call[n / 2 - 1] + per_call[n / 2]);
  t.min_ms = per_call.front();
  return t;
}

// ------------------------------------------------------------------------------------------- measurements

struct Measurement {
  std::string kernel;                               // "mha_forward" | "gemm"
  std::vector<std::pair<std::string, int64_t>> dims;  // in print order
  double flops = 0;
  Timing timing;
  double checksum = 0;  // sum of the output's elements

  double gflops() const { return flops / (timing.median_ms * 1e6); }
};

double sum_of(const Tensor& t) {
  double s = 0;
  for (float v : t.data) s += v;
  return s;
}

// mha_forward: self-attention of x [1, L, E] with H heads, eval mode, no mask, no weights requested.
Measurement bench_mha(const MhaShape& shape, const Options& opt) {
  const int64_t L = shape.L, E = shape.E, H = shape.H;
  attn::Rng rng(opt.seed);
  attn::MhaConfig config;
  config.embed_dim = E;
  config.num_heads = H;
  attn::MultiheadAttention mha(config);
  mha.reset_parameters(rng);
  Tensor x({1, L, E});
  attn::init_uniform(x, 1.0, rng);

  attn::AttentionCache cache;
  const attn::AttnMasks no_masks;
  const attn::ForwardContext eval_mode;
  Measurement m;
  m.kernel = "mha_forward";
  m.dims = {{"B", 1}, {"L", L}, {"E", E}, {"H", H}};
  m.flops = 8.0 * L * E * E + 4.0 * L * L * E;
  m.timing = measure([&] { mha.forward(cache, x, x, x, no_masks, eval_mode); }, opt);
  m.checksum = sum_of(cache.output);
  return m;
}

// gemm: C [M, N] = A [M, K] * W [N, K]^T through attn::gemm: the product of ops/linear.h.
Measurement bench_gemm(int64_t M, int64_t K, int64_t N, const Options& opt) {
  attn::Rng rng(opt.seed);
  Tensor a({M, K}), w({N, K});
  attn::init_uniform(a, 1.0, rng);
  attn::init_uniform(w, 1.0, rng);
  attn::Mat c(M, N);

  Measurement m;
  m.kernel = "gemm";
  m.dims = {{"M", M}, {"K", K}, {"N", N}};
  m.flops = 2.0 * M * K * N;
  m.timing = measure([&] { attn::gemm(c.data(), N, a.ptr(), K, false, w.ptr(), K, true, M, N, K, false); }, opt);
  m.checksum = c.cast<double>().sum();
  return m;
}

// -------------------------------------------------------------------------------------------------- output

std::string json_line(const Measurement& m, const std::string& build) {
  Json j = Json::object();
  j.set("runtime", Json::string(runtime_name()));
  j.set("build", Json::string(build));
  j.set("kernel", Json::string(m.kernel));
  for (const auto& [name, value] : m.dims) j.set(name, Json::number(static_cast<double>(value)));
  j.set("flops", Json::number(m.flops));
  j.set("ms", Json::number(m.timing.median_ms));
  j.set("ms_min", Json::number(m.timing.min_ms));
  j.set("gflops", Json::number(m.gflops()));
  j.set("runs", Json::number(m.timing.runs));
  j.set("reps", Json::number(m.timing.reps));
  j.set("checksum", Json::number(m.checksum));
  return j.dump();
}

std::string dims_str(const Measurement& m) {
  std::string s;
  for (const auto& [name, value] : m.dims) s += (s.empty() ? "" : " ") + name + "=" + std::to_string(value);
  return s;
}

void print_table(const std::vector<Measurement>& ms) {
  std::printf("\n%-10s %-12s %-24s %10s %10s %9s %6s\n", "runtime", "kernel", "shape", "median ms", "min ms",
              "GFLOP/s", "reps");
  for (const Measurement& m : ms)
    std::printf("%-10s %-12s %-24s %10.3f %10.3f %9.1f %3dx%-2d\n", runtime_name(), m.kernel.c_str(),
                dims_str(m).c_str(), m.timing.median_ms, m.timing.min_ms, m.gflops(), m.timing.runs,
                m.timing.reps);
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse_args(argc, argv);
  const std::string build = build_info();
  std::printf("# attn_bench  runtime: %s  build: %s  Eigen threads: %d\n", runtime_name(), build.c_str(),
              Eigen::nbThreads());

  std::vector<Measurement> results;
  auto record = [&](Measurement m) {
    std::printf("%s\n", json_line(m, build).c_str());
    std::fflush(stdout);
    results.push_back(std::move(m));
  };
  for (const MhaShape& s : opt.shapes) {
    record(bench_mha(s, opt));
    record(bench_gemm(s.L, s.E, s.E, opt));  // the projections' GEMM at this shape: [L, E] x [E, E]
  }
  print_table(results);
  return 0;
}
