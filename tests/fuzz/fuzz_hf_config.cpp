// libFuzzer target: the Hugging Face loader's parsers (engine/hf/), on arbitrary bytes used two ways:
//  1. as config.json: hf_config_from_json never crashes; a failure says why (starting "config.json: "); a success
//     describes a model whose parameter count and memory estimate are positive and below the limits;
//  2. as model.safetensors next to a fixed tiny gpt2 config.json: load_hf_model validates the header, names,
//     dtypes and shapes before allocating; a failure says why and leaves no model; a success runs a forward pass
//     on three tokens (finite attention rows summing to 1, logits of the right shape).
// model.safetensors.index.json has a target of its own: fuzz_hf_index.
#include <cstdint>
#include <string>
#include <string_view>

#include "hf_fixture.h"

namespace {

constexpr const char* kTarget = "fuzz_hf_config";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz_hf::Shards shards;
  fuzz_hf::check_fixture_loads(kTarget, shards);
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // 1. config.json
  attn::HfConfig config;
  attn::Status st = attn::hf_config_from_json(bytes, &config);
  if (!st.ok()) {
    if (st.message().rfind("config.json: ", 0) != 0) fuzz_hf::broken(kTarget, "config errors start with \"config.json: \"", st.message());
  } else {
    const int64_t n = config.parameter_count();
    if (n <= 0 || n > attn::kHfMaxParameters) fuzz_hf::broken(kTarget, "parameter count within limits", std::to_string(n));
    if (attn::hf_memory_estimate(config, 1) <= 0 || attn::hf_max_tokens(config, int64_t{1} << 31) < 0)
      fuzz_hf::broken(kTarget, "memory estimate positive", std::to_string(n));
  }

  // 2. model.safetensors next to a fixed config
  {
    attn::HfFilesInMemory files;
    files.files["config.json"] = fuzz_hf::kConfig;
    files.files["model.safetensors"] = bytes;
    attn::HfLoaded loaded;
    st = attn::load_hf_model(files, {}, &loaded);
    if (!st.ok()) fuzz_hf::check_failure(kTarget, st, loaded, "model.safetensors");
    else fuzz_hf::check_model(kTarget, *loaded.model);
  }
  return 0;
}
