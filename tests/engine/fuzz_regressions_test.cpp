// The libFuzzer targets' checks (tests/fuzz/fuzz_*.cpp), replayed in the unit-test suite on:
//  - every finding of a fuzz campaign, kept in tests/fuzz/regressions/<target>/ (crash-*, timeout-*, oom-*,
//    leak-*: tools/fuzz.sh --campaign copies them there): the input that broke a property or made a sanitizer
//    fire fails here until the engine is fixed, and keeps the fix from coming undone;
//  - the committed corpus, tests/fuzz/corpus/<dir>/ (the seeds and what campaigns merged in).
// Each target's source is compiled into attn_tests with its entry point renamed <target>_one_input (CMakeLists.txt,
// ATTN_FUZZ_TARGETS). A broken property aborts with "<target>: property broken: ..." (as under libFuzzer), which
// fails the suite; in the sanitized suite (tools/fuzz.sh --suite) a sanitizer report does. A timeout finding must now run in under the
// fuzzers' -timeout (10 s).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#define ATTN_FUZZ_ENTRY(name) extern "C" int name##_one_input(const uint8_t* data, size_t size);
ATTN_FUZZ_ENTRY(fuzz_model_file)
ATTN_FUZZ_ENTRY(fuzz_json)
ATTN_FUZZ_ENTRY(fuzz_tokenizer)
ATTN_FUZZ_ENTRY(fuzz_tokenizer_json)
ATTN_FUZZ_ENTRY(fuzz_sentencepiece)
ATTN_FUZZ_ENTRY(fuzz_hf_config)
ATTN_FUZZ_ENTRY(fuzz_hf_index)
ATTN_FUZZ_ENTRY(fuzz_run_config)
#undef ATTN_FUZZ_ENTRY

namespace {

namespace fs = std::filesystem;

struct Target {
  const char* name;    // the fuzz target (tests/fuzz/<name>.cpp, tests/fuzz/regressions/<name>/)
  const char* corpus;  // its seed corpus: tests/fuzz/corpus/<corpus>/
  int (*one_input)(const uint8_t*, size_t);
};

const Target kTargets[] = {
    {"fuzz_model_file", "model_file", fuzz_model_file_one_input},
    {"fuzz_json", "json", fuzz_json_one_input},
    {"fuzz_tokenizer", "tokenizer", fuzz_tokenizer_one_input},
    {"fuzz_tokenizer_json", "tokenizer_json", fuzz_tokenizer_json_one_input},
    {"fuzz_sentencepiece", "sentencepiece", fuzz_sentencepiece_one_input},
    {"fuzz_hf_config", "hf_config", fuzz_hf_config_one_input},
    {"fuzz_hf_index", "hf_index", fuzz_hf_index_one_input},
    {"fuzz_run_config", "run_config", fuzz_run_config_one_input},
};

// The regular files of dir, sorted (none when dir does not exist).
std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file()) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs one input through the target's checks; returns the seconds it took.
double replay(const Target& t, const std::string& bytes) {
  const auto start = std::chrono::steady_clock::now();
  t.one_input(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class FuzzReplay : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzReplay, FindingsOfCampaignsStayFixed) {
  const Target& t = GetParam();
  for (const fs::path& p : files_in(fs::path(ATTN_FUZZ_DIR) / "regressions" / t.name)) {
    SCOPED_TRACE(p.string());
    const double seconds = replay(t, read_bytes(p));
    EXPECT_LT(seconds, 10.0) << "slower than the fuzzers' -timeout";
  }
}

TEST_P(FuzzReplay, CommittedCorpusKeepsItsProperties) {
  const Target& t = GetParam();
  const std::vector<fs::path> files = files_in(fs::path(ATTN_FUZZ_DIR) / "corpus" / t.corpus);
  ASSERT_FALSE(files.empty()) << "no seeds in tests/fuzz/corpus/" << t.corpus;
  for (const fs::path& p : files) {
    SCOPED_TRACE(p.string());
    replay(t, read_bytes(p));
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, ::testing::ValuesIn(kTargets),
                         [](const ::testing::TestParamInfo<Target>& info) { return std::string(info.param.name); });

}  // namespace
