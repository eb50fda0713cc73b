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
