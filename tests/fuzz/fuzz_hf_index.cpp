// libFuzzer target: a sharded Hugging Face checkpoint's index (model.safetensors.index.json, read by
// engine/hf/weights.cpp), on arbitrary bytes used as the index next to a fixed tiny gpt2 config.json and three
// shards: the two halves of a valid checkpoint (model-00001-of-00002.safetensors: the embeddings,
// model-00002-of-00002.safetensors: the rest) and a third (model-00003-of-00003.safetensors) that holds the
// embeddings again, so an index may name a tensor in two shards.
// Properties: load_hf_model never crashes; a failure says why and leaves no model; a model that loads runs a
// forward pass on three tokens (finite attention rows summing to 1, logits [1, 3, V]).
#include <cstdint>
#include <string>
#include <string_view>

#include "hf_fixture.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz_hf::Shards shards;
  fuzz_hf::check_fixture_loads("fuzz_hf_index", shards);
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  attn::HfFilesInMemory files;
  files.files["config.json"] = fuzz_hf::kConfig;
  files.files["model.safetensors.index.json"] = bytes;
  files.files["model-00001-of-00002.safetensors"] = shards.first;
  files.files["model-00002-of-00002.safetensors"] = shards.second;
  files.files["model-00003-of-00003.safetensors"] = shards.first;
  attn::HfLoaded loaded;
  const attn::Status st = attn::load_hf_model(files, {}, &loaded);
  if (!st.ok()) fuzz_hf::check_failure("fuzz_hf_index", st, loaded, "model.safetensors.index.json");
  else fuzz_hf::check_model("fuzz_hf_index", *loaded.model);
  return 0;
}
