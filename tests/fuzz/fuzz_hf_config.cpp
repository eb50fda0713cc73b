// libFuzzer target: the Hugging Face loader's parsers (engine/hf/), on arbitrary bytes used three ways:
//  1. as config.json: hf_config_from_json never crashes; a failure says why (starting "config.json: "); a success
//     describes a model whose parameter count and memory estimate are positive and below the limits;
//  2. as model.safetensors next to a fixed tiny gpt2 config.json: load_hf_model validates the header, names,
//     dtypes and shapes before allocating; a failure says why and leaves no model; a success runs a forward pass
//     on three tokens (finite attention rows summing to 1, logits of the right shape);
//  3. as model.safetensors.index.json next to the same config and two fixed valid shards: the weight map is read
//     and checked against the shards.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "hf/weights.h"
#include "io/safetensors.h"

namespace {

[[noreturn]] void broken(const char* property, const std::string& detail) {
  std::fprintf(stderr, "fuzz_hf_config: property broken: %s: %s\n", property, detail.c_str());
  std::abort();
}

const char* kConfig = R"({"model_type": "gpt2", "vocab_size": 8, "n_embd": 4, "n_head": 2, "n_layer": 1,
                          "n_positions": 8, "n_inner": 8, "activation_function": "gelu_new"})";

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

void check_failure(const attn::Status& st, const attn::HfLoaded& loaded, const char* what) {
  if (st.message().empty()) broken(what, "a failed load says why");
  if (loaded.model) broken(what, "a failed load leaves no model");
}

void check_model(const attn::HfModel& m) {
  attn::HfInput in;
  in.input_ids = {1, 2, 3};
  attn::HfCache cache;
  const attn::Status st = m.forward(in, &cache);
  if (!st.ok()) broken("a loaded model runs on valid ids", st.message());
  for (const auto& layer : cache.stack.layers) {
    const attn::Tensor& w = layer.self_attn.weights;
    const int64_t S = w.dim(-1);
    for (int64_t r = 0; r < w.numel() / S; ++r) {
      double sum = 0;
      for (int64_t j = 0; j < S; ++j) sum += w.data[static_cast<size_t>(r * S + j)];
      if (!(std::fabs(sum - 1.0) < 1e-4) && std::isfinite(sum)) broken("attention rows sum to 1", std::to_string(sum));
    }
  }
  if (cache.logits.shape != attn::Shape{1, 3, m.output_vocab()}) broken("logits shape", attn::shape_str(cache.logits.shape));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Shards shards;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // 1. config.json
  attn::HfConfig config;
  attn::Status st = attn::hf_config_from_json(bytes, &config);
  if (!st.ok()) {
    if (st.message().rfind("config.json: ", 0) != 0) broken("config errors start with \"config.json: \"", st.message());
  } else {
    const int64_t n = config.parameter_count();
    if (n <= 0 || n > attn::kHfMaxParameters) broken("parameter count within limits", std::to_string(n));
    if (attn::hf_memory_estimate(config, 1) <= 0 || attn::hf_max_tokens(config, int64_t{1} << 31) < 0)
      broken("memory estimate positive", std::to_string(n));
  }

  // 2. model.safetensors next to a fixed config
  {
    attn::HfFilesInMemory files;
    files.files["config.json"] = kConfig;
    files.files["model.safetensors"] = bytes;
    attn::HfLoaded loaded;
    st = attn::load_hf_model(files, {}, &loaded);
    if (!st.ok()) check_failure(st, loaded, "model.safetensors");
    else check_model(*loaded.model);
  }

  // 3. model.safetensors.index.json next to the config and two valid shards
  {
    attn::HfFilesInMemory files;
    files.files["config.json"] = kConfig;
    files.files["model.safetensors.index.json"] = bytes;
    files.files["model-00001-of-00002.safetensors"] = shards.first;
    files.files["model-00002-of-00002.safetensors"] = shards.second;
    attn::HfLoaded loaded;
    st = attn::load_hf_model(files, {}, &loaded);
    if (!st.ok()) check_failure(st, loaded, "model.safetensors.index.json");
    else check_model(*loaded.model);
  }
  return 0;
}
