#include "test_util.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace attn::test {

const GoldenFile& GoldenFile::get(const std::string& name) {
  static std::map<std::string, std::unique_ptr<GoldenFile>> files;
  auto& slot = files[name];
  if (!slot) {
    slot = std::make_unique<GoldenFile>();
    const std::string path = std::string(ATTN_GOLDEN_DIR) + "/" + name + ".safetensors";
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot open golden file %s\n", path.c_str());
      std::abort();
    }
    std::stringstream ss;
    ss << in.rdbuf();
    slot->bytes_ = ss.str();
    Status st = SafetensorsFile::parse(slot->bytes_, &slot->file_);
    ATTN_ASSERT(st.ok(), path + ": " + st.message());
    Json cases;
    st = Json::parse(slot->file_.metadata.at("cases"), &cases);
    ATTN_ASSERT(st.ok() && cases.is_array(), path + ": bad cases metadata");
    slot->cases_ = cases.items();
  }
  return *slot;
}

std::string rewritten(const std::string& bytes, const std::function<void(TensorList&, Metadata&)>& edit) {
  SafetensorsFile file;
  Status st = SafetensorsFile::parse(bytes, &file);
  ATTN_ASSERT(st.ok(), "rewritten: " + st.message());
  TensorList tensors;
  for (const SafetensorsEntry& e : file.entries) {
    tensors.emplace_back(e.name, Tensor());
    st = file.read(e.name, &tensors.back().second);
    ATTN_ASSERT(st.ok(), "rewritten: " + st.message());
  }
  Metadata meta = file.metadata;
  edit(tensors, meta);
  std::vector<std::pair<std::string, const Tensor*>> refs;
  for (auto& [n, t] : tensors) refs.emplace_back(n, &t);
  return write_safetensors(refs, meta);
}

Tensor GoldenFile::tensor(const std::string& name) const {
  Tensor t;
  Status st = file_.read(name, &t);
  ATTN_ASSERT(st.ok(), st.message());
  return t;
}

std::vector<double> GoldenFile::f64(const std::string& name, Shape* shape) const {
  std::vector<double> v;
  Status st = file_.read_f64(name, &v, shape);
  ATTN_ASSERT(st.ok(), st.message());
  return v;
}

TensorMap GoldenFile::params(const std::string& case_id) const {
  TensorMap m;
  const std::string prefix = case_id + ".param.";
  for (const auto& e : file_.entries)
    if (e.name.compare(0, prefix.size(), prefix) == 0) m[e.name.substr(prefix.size())] = tensor(e.name);
  return m;
}

std::vector<std::string> golden_case_ids(const std::string& file) {
  std::vector<std::string> ids;
  for (const Json& c : GoldenFile::get(file).cases()) ids.push_back(c.string_or("id", "?"));
  return ids;
}

const Json& golden_case(const std::string& file, const std::string& id) {
  for (const Json& c : GoldenFile::get(file).cases())
    if (c.string_or("id", "") == id) return c;
  ATTN_ASSERT(false, "no golden case " + id);
}

MaskArg golden_mask(const GoldenFile& g, const Json& c, const std::string& name) {
  MaskArg m;
  const std::string kind = c.string_or(name, "");
  if (kind.empty()) return m;
  m.values = g.tensor(c.string_or("id", "") + ".in." + name);
  m.is_bool = kind == "bool";
  return m;
}

ModelConfig golden_model_config(const Json& c) {
  ModelConfig m;
  EXPECT_TRUE(parse_arch(c.string_or("arch", ""), &m.arch));
  EXPECT_TRUE(parse_positional(c.string_or("positional", ""), &m.positional));
  m.vocab_size = static_cast<int64_t>(c.number_or("vocab_size", 0));
  m.tgt_vocab_size = static_cast<int64_t>(c.number_or("tgt_vocab_size", 0));
  m.num_layers = static_cast<int64_t>(c.number_or("num_layers", 0));
  m.num_decoder_layers = static_cast<int64_t>(c.number_or("num_decoder_layers", 0));
  m.max_len = static_cast<int64_t>(c.number_or("max_len", 0));
  m.final_norm = c.bool_or("final_norm", false);
  m.head_size = static_cast<int64_t>(c.number_or("head_size", 0));
  m.pad_id = static_cast<int32_t>(c.number_or("pad_id", -1));
  m.layer.d_model = static_cast<int64_t>(c.number_or("d_model", 0));
  m.layer.nhead = static_cast<int64_t>(c.number_or("nhead", 1));
  m.layer.dim_feedforward = static_cast<int64_t>(c.number_or("dim_feedforward", 0));
  m.layer.dropout = 0.0f;
  EXPECT_TRUE(parse_activation(c.string_or("activation", ""), &m.layer.activation));
  m.layer.norm_first = c.bool_or("norm_first", false);
  m.layer.layer_norm_eps = static_cast<float>(c.number_or("layer_norm_eps", 1e-5));
  EXPECT_TRUE(m.validate().ok()) << m.validate().message();
  return m;
}

std::vector<int32_t> golden_ids(const GoldenFile& g, const std::string& name, int64_t* B, int64_t* L) {
  const Tensor t = g.tensor(name);
  *B = t.dim(0);
  *L = t.dim(1);
  return std::vector<int32_t>(t.data.begin(), t.data.end());
}

HeadMasks read_head_masks(const std::function<bool(const std::string&, Tensor*)>& read) {
  HeadMasks h;
  for (auto [mask, stack] : {std::make_pair("head_mask", &h.head_mask), std::make_pair("decoder_head_mask", &h.decoder_head_mask),
                             std::make_pair("cross_attn_head_mask", &h.cross_attn_head_mask)}) {
    const std::string name = mask;
    read(name, &stack->mask);
    read(name.substr(0, name.size() - 4) + "mean", &stack->mean);
  }
  return h;
}

std::map<std::string, ErrorReport>& error_report() {
  static std::map<std::string, ErrorReport> r;
  return r;
}

void expect_close(const Tensor& actual, const std::vector<double>& expected, const Shape& expected_shape,
                  const std::string& group, const std::string& what) {
  ASSERT_EQ(shape_str(actual.shape), shape_str(expected_shape)) << what << ": shape";
  ErrorReport& rep = error_report()[group];
  rep.tensors++;
  double worst = 0.0;
  size_t worst_i = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const double a = actual.data[i], e = expected[i];
    ASSERT_TRUE(std::isfinite(a)) << what << ": non-finite value " << a << " at " << i;
    const double err = std::fabs(a - e);
    rep.values++;
    rep.max_abs = std::max(rep.max_abs, err);
    if (std::fabs(e) > 1.0) rep.max_rel = std::max(rep.max_rel, err / std::fabs(e));
    const double excess = err - std::max(kAbsTol, kRelTol * std::fabs(e));
    if (excess > worst) {
      worst = excess;
      worst_i = i;
    }
  }
  EXPECT_EQ(worst, 0.0) << what << ": value " << actual.data[worst_i] << " vs reference " << expected[worst_i]
                        << " at flat index " << worst_i;
}

void expect_close_golden(const Tensor& actual, const GoldenFile& g, const std::string& name, const std::string& group) {
  Shape shape;
  const std::vector<double> ref = g.f64(name, &shape);
  expect_close(actual, ref, shape, group, name);
}

void expect_weight_rows(const Tensor& w, const std::string& what) {
  const int64_t S = w.dim(-1), rows = w.numel() / S;
  ErrorReport& rep = error_report()["weight rows"];
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0.0;
    bool all_zero = true;
    for (int64_t j = 0; j < S; ++j) {
      const float x = w.data[static_cast<size_t>(r * S + j)];
      ASSERT_TRUE(std::isfinite(x)) << what << ": non-finite weight in row " << r;
      ASSERT_GE(x, 0.0f) << what << ": negative weight in row " << r;
      sum += x;
      all_zero = all_zero && x == 0.0f;
    }
    rep.row_checks++;
    if (!all_zero) {
      rep.max_abs = std::max(rep.max_abs, std::fabs(sum - 1.0));
      EXPECT_NEAR(sum, 1.0, kRowSumTol) << what << ": row " << r;
    }
  }
}

namespace {
// Prints the error report when the whole suite is done.
class ReportEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (error_report().empty()) return;
    std::printf("\nParity against PyTorch float64 (max |engine - torch|, max relative where |torch| > 1):\n");
    for (const auto& [group, r] : error_report()) {
      if (group == "weight rows")
        std::printf("  %-24s %8ld rows      max |row sum - 1| = %.3g\n", group.c_str(), r.row_checks, r.max_abs);
      else
        std::printf("  %-24s %4ld tensors %8ld values  max abs %.3g  max rel %.3g\n", group.c_str(), r.tensors,
                    r.values, r.max_abs, r.max_rel);
    }
  }
};
const auto* const kReportEnv = ::testing::AddGlobalTestEnvironment(new ReportEnvironment);
}  // namespace

}  // namespace attn::test

#if defined(ATTN_TEST_THREADS)
#include "core/parallel.h"
namespace {
// The threaded WebAssembly suite runs every test on ATTN_TEST_THREADS threads (results must not change).
const int kSuiteThreads = attn::set_num_threads(ATTN_TEST_THREADS);
}  // namespace
#endif
