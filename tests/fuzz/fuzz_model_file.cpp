// libFuzzer target: the model-file loaders (attn::load_any_model, attn::load_model) on arbitrary bytes.
//
// Built only in the fuzz tree (CMake option ATTN_FUZZ, clang, ASan + UBSan); run by tools/fuzz.sh from the seed
// corpus in tests/fuzz/corpus/model_file/ (regenerate with make_corpus, see tests/fuzz/README.md).
//
// Besides "no crash, no sanitizer report", a file that loads must behave like a model:
//  - load_any_model and load_model agree on a transformer's file; an LSTM's (the lab's baseline) loads only with
//    load_any_model, and load_model says why not;
//  - save_model(loaded) reloads, with the same config, metadata and bit-identical parameters (F32), and the F16
//    save of it loads too (either kind);
//  - a tiny forward pass with valid ids gives the output shape the config implies (only for small models);
//  - a training-run config in the metadata ("run", as the lab and attn-train write it) that reads writes back to itself.
// A broken property aborts, which libFuzzer reports as a crash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "io/model_file.h"
#include "models/config.h"
#include "train/run.h"

namespace {

[[noreturn]] void broken(const char* property, const std::string& detail) {
  std::fprintf(stderr, "fuzz_model_file: property broken: %s: %s\n", property, detail.c_str());
  std::abort();
}

// Forward passes only on small models: keeps every input cheap (the load itself is bounded by the file size).
constexpr int64_t kForwardMaxParameters = int64_t{1} << 16;

std::vector<int32_t> make_ids(int64_t n, int64_t vocab, int32_t salt) {
  std::vector<int32_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7 + salt) % vocab);
  return ids;
}

void tiny_forward(const attn::TransformerModel& m) {
  const attn::ModelConfig& c = m.config;
  const int64_t B = 1, L = c.max_len < 3 ? c.max_len : 3, T = c.max_len < 2 ? c.max_len : 2;
  const int64_t out_width = c.head_size > 0 ? c.head_size : c.d_model();
  attn::ModelCache cache;
  attn::ForwardContext ctx;  // eval mode: no dropout, no rng
  const std::vector<int32_t> src = make_ids(B * L, c.vocab_size, 1);
  attn::Status st = m.check_ids(src, L, c.vocab_size);
  if (!st.ok()) broken("valid source ids accepted", st.message());
  const attn::Tensor* out;
  int64_t out_len;
  if (c.arch == attn::Arch::kEncoderDecoder) {
    const std::vector<int32_t> tgt = make_ids(B * T, c.target_vocab(), 2);
    st = m.check_ids(tgt, T, c.target_vocab());
    if (!st.ok()) broken("valid target ids accepted", st.message());
    out = &m.forward_seq2seq(cache, src, L, tgt, T, B, ctx);
    out_len = T;
  } else {
    out = &m.forward(cache, src, B, L, ctx);
    out_len = L;
  }
  const attn::Shape want = {B, out_len, out_width};
  if (out->shape != want || out->numel() != B * out_len * out_width)
    broken("forward output shape", attn::shape_str(out->shape) + " != " + attn::shape_str(want));
}

// The parameters' names and values (pointers into the model: nothing is copied). M: TransformerModel or LstmSeq2Seq.
template <class M>
std::vector<const attn::FloatBuffer*> params_of(M& m, std::vector<std::string>* names) {
  std::vector<const attn::FloatBuffer*> values;
  m.visit([&](const std::string& name, attn::Param& p) {
    names->push_back(name);
    values.push_back(&p.value.data);
  });
  return values;
}

bool same_bits(const std::vector<const attn::FloatBuffer*>& a, const std::vector<const attn::FloatBuffer*>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i]->size() != b[i]->size() ||
        (!a[i]->empty() && std::memcmp(a[i]->data(), b[i]->data(), a[i]->size() * sizeof(float)) != 0))
      return false;
  return true;
}

void check_round_trip(attn::LoadedModel& loaded) {
  attn::TransformerModel& m = *loaded.model;
  const std::string config = attn::model_config_to_json(m.config).dump();

  attn::LoadedModel again;
  attn::Status st = attn::load_model(attn::save_model(m, false, loaded.metadata), &again);
  if (!st.ok()) broken("a loaded model saves (F32) and reloads", st.message() + " [config " + config + "]");
  const std::string config2 = attn::model_config_to_json(again.model->config).dump();
  if (config2 != config) broken("the config survives a save/load round trip", config + " -> " + config2);
  std::vector<std::string> n1, n2;
  const auto p1 = params_of(m, &n1), p2 = params_of(*again.model, &n2);
  if (n1 != n2 || !same_bits(p1, p2)) broken("F32 parameters survive a save/load round trip bit for bit", config);
  for (const auto& [k, v] : loaded.metadata) {
    if (k == "config" || k == "version") continue;  // rewritten by save_model
    auto it = again.metadata.find(k);
    if (it == again.metadata.end() || it->second != v) broken("metadata survives a save/load round trip", k);
  }

  attn::LoadedModel half;
  st = attn::load_model(attn::save_model(m, true, loaded.metadata), &half);
  if (!st.ok()) broken("a loaded model saves (F16) and reloads", st.message() + " [config " + config + "]");
}

// An LSTM's file: its parameter count is its config's, and it saves and reloads (F32 bit for bit, F16 too).
void check_lstm(attn::LoadedModel& loaded) {
  attn::LstmSeq2Seq& m = *loaded.lstm;
  if (m.num_parameters() != m.config.parameter_count())
    broken("an LSTM's parameter count is its config's", std::to_string(m.num_parameters()) + " != " + std::to_string(m.config.parameter_count()));
  attn::LoadedModel again;
  attn::Status st = attn::load_any_model(attn::save_model(m, false, loaded.metadata), &again);
  if (!st.ok() || !again.lstm) broken("a loaded LSTM saves (F32) and reloads", st.message());
  std::vector<std::string> n1, n2;
  const auto p1 = params_of(m, &n1), p2 = params_of(*again.lstm, &n2);
  if (n1 != n2 || !same_bits(p1, p2)) broken("an LSTM's F32 parameters survive a save/load round trip bit for bit", "");
  attn::LoadedModel half;
  st = attn::load_any_model(attn::save_model(m, true, loaded.metadata), &half);
  if (!st.ok() || !half.lstm) broken("a loaded LSTM saves (F16) and reloads", st.message());
}

// A file saved by the lab or attn-train carries its training run's config ("run" in the metadata); the page
// reads it when a learner imports a run. One that reads must write back to itself.
void check_run_config(const attn::LoadedModel& loaded) {
  const auto it = loaded.metadata.find("run");
  if (it == loaded.metadata.end()) return;
  attn::Json j;
  if (!attn::Json::parse(it->second, &j).ok()) return;
  attn::RunConfig c;
  const attn::Status st = attn::run_config_from_json(j, &c);
  if (!st.ok()) {
    if (st.message().empty()) broken("a rejected run config says why", it->second);
    return;
  }
  const std::string once = attn::run_config_to_json(c).dump();
  attn::RunConfig again;
  attn::Json j2;
  if (!attn::Json::parse(once, &j2).ok() || !attn::run_config_from_json(j2, &again).ok() ||
      attn::run_config_to_json(again).dump() != once)
    broken("a run config writes back to itself", once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  attn::LoadedModel any;
  const attn::Status any_st = attn::load_any_model(bytes, &any);
  attn::LoadedModel loaded;
  const attn::Status st = attn::load_model(bytes, &loaded);
  if (!any_st.ok()) {
    if (any_st.message().empty()) broken("a failed load says why", "empty Status message (load_any_model)");
    if (any.model || any.lstm) broken("a failed load leaves the output empty", any_st.message());
    if (st.ok()) broken("load_model reads no file that load_any_model refuses", any_st.message());
  } else if (any.lstm) {
    if (any.model) broken("one kind of model per file", "both set");
    if (st.ok()) broken("load_model refuses an LSTM's file", "it loaded");
    check_lstm(any);
    check_run_config(any);
  } else if (!any.model) {
    broken("a successful load gives a model", "neither kind (load_any_model)");
  } else if (!st.ok()) {
    broken("load_model reads a transformer's file that load_any_model reads", st.message());
  }
  if (!st.ok()) {
    if (st.message().empty()) broken("a failed load says why", "empty Status message");
    if (loaded.model) broken("a failed load leaves the output empty", st.message());
    return 0;
  }
  if (!loaded.model) broken("a successful load gives a model", "null model");
  const int64_t n = loaded.model->num_parameters();
  if (n != attn::parameter_count(loaded.model->config))
    broken("parameter_count(config) matches the built model",
           std::to_string(n) + " != " + std::to_string(attn::parameter_count(loaded.model->config)));
  check_round_trip(loaded);
  check_run_config(loaded);
  if (n <= kForwardMaxParameters) tiny_forward(*loaded.model);
  return 0;
}
