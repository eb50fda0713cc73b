// Helpers shared by the engine tests: golden files, tolerant comparisons, and an error report.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/json.h"
#include "io/safetensors.h"
#include "models/functional.h"
#include "models/model.h"

namespace attn::test {

// Tolerances of the parity tests: |engine - torch(float64)| <= kAbsTol, or <= kRelTol * |torch| for large values.
constexpr double kAbsTol = 1e-5;
constexpr double kRelTol = 1e-4;
constexpr double kRowSumTol = 1e-6;

// How many times slower this build runs than the optimized one: the sanitizers' build (tools/fuzz.sh --suite:
// ASan + UBSan at -O1) takes 5 to 40 times as long. The tests that check a path stays linear (a MiB of text within
// seconds) multiply their limits by it: they are there to catch a quadratic path, which no constant factor hides.
#if defined(__SANITIZE_ADDRESS__)
constexpr double kSlowdown = 20;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr double kSlowdown = 20;
#else
constexpr double kSlowdown = 1;
#endif
#else
constexpr double kSlowdown = 1;
#endif

// One golden file (tests/golden/<name>.safetensors) kept in memory for the whole run.
class GoldenFile {
 public:
  static const GoldenFile& get(const std::string& name);
  const std::vector<Json>& cases() const { return cases_; }
  const SafetensorsFile& file() const { return file_; }
  bool has(const std::string& tensor) const { return file_.find(tensor) != nullptr; }
  Tensor tensor(const std::string& name) const;  // as float32
  std::vector<double> f64(const std::string& name, Shape* shape = nullptr) const;
  // All "<case>.param.*" tensors by their state_dict name.
  TensorMap params(const std::string& case_id) const;

 private:
  std::string bytes_;
  SafetensorsFile file_;
  std::vector<Json> cases_;
};

// The ids of a golden file's cases (for INSTANTIATE_TEST_SUITE_P).
std::vector<std::string> golden_case_ids(const std::string& file);
const Json& golden_case(const std::string& file, const std::string& id);

// A mask input of a case, or an absent mask when the case has none.
MaskArg golden_mask(const GoldenFile& g, const Json& c, const std::string& name);

// A whole-model case's config (make_golden.py make_models: arch, sizes, positions, norms, head, padding id), and its
// token ids "<case>.in.<name>" [B, L] as int32.
ModelConfig golden_model_config(const Json& c);
std::vector<int32_t> golden_ids(const GoldenFile& g, const std::string& name, int64_t* B, int64_t* L);

// Head masks by their names (head_mask, head_mean, decoder_head_mask, decoder_head_mean, cross_attn_head_mask,
// cross_attn_head_mean): read(name, &tensor) fills the tensor and returns true when the source has that name.
HeadMasks read_head_masks(const std::function<bool(const std::string&, Tensor*)>& read);

// A safetensors file's tensors (as float32, in file order) and metadata, edited and written again: for tests of
// files that are broken in one way.
using TensorList = std::vector<std::pair<std::string, Tensor>>;
using Metadata = std::map<std::string, std::string>;
std::string rewritten(const std::string& bytes, const std::function<void(TensorList&, Metadata&)>& edit);

// Compares actual to the float64 reference, records the largest error under `group`, fails with the worst index.
void expect_close(const Tensor& actual, const std::vector<double>& expected, const Shape& expected_shape,
                  const std::string& group, const std::string& what);
void expect_close_golden(const Tensor& actual, const GoldenFile& g, const std::string& name, const std::string& group);

// Every row (last dimension) of attention weights sums to 1 within kRowSumTol or is exactly all zero
// (a fully-masked query); no NaN or Inf anywhere.
void expect_weight_rows(const Tensor& w, const std::string& what);

// The largest errors seen, printed at the end of the run (the numbers the issue note reports).
struct ErrorReport {
  double max_abs = 0.0, max_rel = 0.0;
  long values = 0, tensors = 0, row_checks = 0;
};
std::map<std::string, ErrorReport>& error_report();

}  // namespace attn::test
