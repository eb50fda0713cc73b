// Shared by the Hugging Face fuzz targets (fuzz_hf_config, fuzz_hf_index): a fixed tiny gpt2 config.json, the
// same checkpoint as two valid shards, and the checks of a load's outcome.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hf/weights.h"
#include "io/safetensors.h"

namespace fuzz_hf {

// Every broken property aborts: libFuzzer reports it as a crash. target: the fuzz target's name.
[[noreturn]] inline void broken(const char* target, const char* property, const std::string& detail) {
  std::fprintf(stderr, "%s: property broken: %s: %s\n", target, property, detail.c_str());
  std::abort();
}

// bos and eos in the vocabulary: the reader refuses gpt2's default 50256 for 8 tokens (checked by FixtureLoads).
inline const char* kConfig = R"({"model_type": "gpt2", "vocab_size": 8, "n_embd": 4, "n_head": 2, "n_layer": 1,
                          "n_positions": 8, "n_inner": 8, "activation_function": "gelu_new",
                          "bos_token_id": 7, "eos_token_id": 7})";

// A valid tiny gpt2 checkpoint, in two shards (embeddings; the rest).
struct Shards {
  std::string first, second;
  Shards() {
    using attn::Tensor;
    const auto t = [](attn::Shape s, float v) { return Tensor(s, v); };
    const Tensor wte = t({8, 4}, 0.1f), wpe = t({8, 4}, 0.2f);
    const Tensor ln = t({4}, 1.0f), bias4 = t({4}, 0.0f), c_attn = t({4, 12}, 0.05f), c_attn_b = t({12}, 0.0f);
    const Tensor c_proj = t({4, 4}, 0.1f), fc = t({4, 8}, 0.1f), fc_b = t({8}, 0.0f), proj = t({8, 4}, 0.1f);
    first = attn::write_safetensors({{"wte.weight", &wte}, {"wpe.weight", &wpe}}, {{"format", "pt"}});
    second = attn::write_safetensors({{"h.0.ln_1.weight", &ln}, {"h.0.ln_1.bias", &bias4},
                                      {"h.0.attn.c_attn.weight", &c_attn}, {"h.0.attn.c_attn.bias", &c_attn_b},
                                      {"h.0.attn.c_proj.weight", &c_proj}, {"h.0.attn.c_proj.bias", &bias4},
                                      {"h.0.ln_2.weight", &ln}, {"h.0.ln_2.bias", &bias4},
                                      {"h.0.mlp.c_fc.weight", &fc}, {"h.0.mlp.c_fc.bias", &fc_b},
                                      {"h.0.mlp.c_proj.weight", &proj}, {"h.0.mlp.c_proj.bias", &bias4},
                                      {"ln_f.weight", &ln}, {"ln_f.bias", &bias4}},
                                     {{"format", "pt"}});
  }
};

// A load that failed (st): it says why and leaves no model. what: the file under test, for messages.
inline void check_failure(const char* target, const attn::Status& st, const attn::HfLoaded& loaded, const char* what) {
  if (st.message().empty()) broken(target, what, "a failed load says why");
  if (loaded.model) broken(target, what, "a failed load leaves no model");
}

// A model that loaded runs a forward pass on three ids: each attention row [.., S] sums to 1, logits [1, 3, V].
// The one exception is the softmax's documented rule (ops/softmax.h): a row whose logits are all -inf gets all
// zeros. A causal model's row is never all masked, but absurd weights (|w| ~ 1e37, as a fuzzed file holds) make
// q k^T overflow on every key: the pass runs with full_trace so each zero row is checked against its scores, and
// it is accepted only when none of them is finite (which infinities, or NaN, the recorded scores hold depends on
// the order of a product's sums, which differs between the native and the WebAssembly kernels).
inline void check_model(const char* target, const attn::HfModel& m) {
  attn::HfInput in;
  in.input_ids = {1, 2, 3};
  in.full_trace = true;
  attn::HfCache cache;
  const attn::Status st = m.forward(in, &cache);
  if (!st.ok()) broken(target, "a loaded model runs on valid ids", st.message());
  for (const auto& layer : cache.stack.layers) {
    const attn::AttentionCache& a = layer.self_attn;
    const attn::Tensor& w = a.weights;
    const int64_t S = w.dim(-1), rows = w.numel() / S;
    if (a.scaled.numel() != w.numel()) broken(target, "a full trace keeps the scaled scores", attn::shape_str(a.scaled.shape));
    // The mask [1, Hm, L, S]: one matrix for all heads (Hm = 1), or one per head; none: empty.
    const int64_t LS = a.mask.numel() > 0 ? a.mask.dim(-1) * a.mask.dim(-2) : 0;
    const bool per_head = LS > 0 && a.mask.numel() / LS > 1;
    for (int64_t r = 0; r < rows; ++r) {
      double sum = 0;
      bool none_finite = true;  // of the scaled scores + mask, the softmax's logits
      for (int64_t j = 0; j < S; ++j) {
        const size_t i = static_cast<size_t>(r * S + j);
        sum += w.data[i];
        float logit = a.scaled.data[i];
        if (LS > 0) logit += a.mask.data[per_head ? i : i % static_cast<size_t>(LS)];
        none_finite = none_finite && !std::isfinite(logit);
      }
      if (!std::isfinite(sum)) continue;  // NaN or inf scores: the same NaN PyTorch computes
      if (none_finite ? sum != 0.0 : !(std::fabs(sum - 1.0) < 1e-4))
        broken(target, none_finite ? "a row without a finite logit is all zeros" : "attention rows sum to 1", std::to_string(sum));
    }
  }
  if (cache.logits.shape != attn::Shape{1, 3, m.output_vocab()}) broken(target, "logits shape", attn::shape_str(cache.logits.shape));
}

// Aborts unless the fixture itself loads (kConfig with both shards, through an index naming every tensor): a
// fixture the reader refuses would turn every input into the same early failure, fuzzing nothing. Once per run.
inline void check_fixture_loads(const char* target, const Shards& shards) {
  static const bool checked = [&] {
    std::string index = R"({"weight_map": {"wte.weight": "a", "wpe.weight": "a")";
    for (const char* name : {"h.0.ln_1.weight", "h.0.ln_1.bias", "h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias",
                             "h.0.attn.c_proj.weight", "h.0.attn.c_proj.bias", "h.0.ln_2.weight", "h.0.ln_2.bias",
                             "h.0.mlp.c_fc.weight", "h.0.mlp.c_fc.bias", "h.0.mlp.c_proj.weight", "h.0.mlp.c_proj.bias",
                             "ln_f.weight", "ln_f.bias"})
      index += std::string(", \"") + name + "\": \"b\"";
    index += "}}";
    attn::HfFilesInMemory files;
    files.files["config.json"] = kConfig;
    files.files["model.safetensors.index.json"] = index;
    files.files["a"] = shards.first;
    files.files["b"] = shards.second;
    attn::HfLoaded loaded;
    const attn::Status st = attn::load_hf_model(files, {}, &loaded);
    if (!st.ok()) broken(target, "the fixed config and shards load", st.message());
    return true;
  }();
  (void)checked;
}

}  // namespace fuzz_hf
