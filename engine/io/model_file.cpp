#include "io/model_file.h"

#include <set>

#include "io/safetensors.h"
#include "models/config.h"

namespace attn {

std::string save_model(TransformerModel& model, bool f16, const std::map<std::string, std::string>& extra) {
  std::vector<std::pair<std::string, const Tensor*>> tensors;
  model.visit([&](const std::string& name, Param& p) { tensors.emplace_back(name, &p.value); });
  std::map<std::string, std::string> meta = extra;
  meta["format"] = "attn-model";
  meta["version"] = "1";
  meta["config"] = model_config_to_json(model.config).dump();
  return write_safetensors(tensors, meta, f16);
}

int64_t parameter_count(const ModelConfig& c) {
  const int64_t E = c.d_model(), F = c.layer.dim_feedforward, b = c.layer.bias ? 1 : 0;
  const int64_t attention = 4 * E * E + b * 4 * E;               // in_proj (3E x E), out_proj, biases
  const int64_t ff = 2 * E * F + b * (F + E);
  const int64_t enc_layer = attention + ff + 4 * E;              // 2 layer norms
  const int64_t dec_layer = 2 * attention + ff + 6 * E;          // 3 layer norms
  const int64_t norm = c.final_norm ? 2 * E : 0;
  const int64_t pos = c.positional == Positional::kLearned ? c.max_len * E : 0;
  int64_t n = c.vocab_size * E + pos + c.num_layers * enc_layer + norm;
  if (c.arch == Arch::kEncoderDecoder) n += c.target_vocab() * E + pos + c.num_decoder_layers * dec_layer + norm;
  if (c.head_size > 0) n += (c.tie_embeddings ? 0 : c.head_size * E) + c.head_size;
  return n;
}

Status load_model(std::string_view bytes, LoadedModel* out) {
  SafetensorsFile file;
  ATTN_TRY(SafetensorsFile::parse(bytes, &file));
  auto meta = file.metadata.find("format");
  if (meta == file.metadata.end() || meta->second != "attn-model")
    return Status::error("not an attn model file: the metadata has no \"format\": \"attn-model\"");
  auto cfg = file.metadata.find("config");
  if (cfg == file.metadata.end()) return Status::error("the model file has no config in its metadata");
  Json j;
  Status st = Json::parse(cfg->second, &j);
  if (!st.ok()) return Status::error("the model config is not valid JSON: " + st.message());
  ModelConfig config;
  st = model_config_from_json(j, &config);
  if (!st.ok()) return Status::error("the model config is invalid: " + st.message());

  // Before allocating: the file must hold exactly as many values as the config implies.
  const int64_t expected = parameter_count(config);
  if (expected > kMaxModelParameters)
    return Status::error("the config describes " + std::to_string(expected) + " parameters, more than the limit of " +
                         std::to_string(kMaxModelParameters));
  int64_t held = 0;
  for (const auto& e : file.entries) {
    if (e.dtype != "F32" && e.dtype != "F16" && e.dtype != "BF16" && e.dtype != "F64")
      return Status::error("tensor '" + e.name + "' has dtype " + e.dtype + "; model weights must be floating point");
    held += numel_of(e.shape);
  }
  if (held != expected)
    return Status::error("the file holds " + std::to_string(held) + " values but the config needs " +
                         std::to_string(expected));

  auto model = std::make_unique<TransformerModel>(config);
  std::set<std::string> expected_names;
  Status missing;
  model->visit([&](const std::string& name, Param& p) {
    expected_names.insert(name);
    if (!missing.ok()) return;
    const SafetensorsEntry* e = file.find(name);
    if (!e) {
      missing = Status::error("the model file is missing tensor '" + name + "'");
    } else if (e->shape != p.value.shape) {
      missing = Status::error("tensor '" + name + "' has shape " + shape_str(e->shape) + " but the config needs " +
                              shape_str(p.value.shape));
    } else {
      missing = file.read(name, &p.value);
    }
  });
  ATTN_TRY(missing);
  for (const auto& e : file.entries)
    if (!expected_names.count(e.name)) return Status::error("unexpected tensor '" + e.name + "' in the model file");
  out->model = std::move(model);
  out->metadata = file.metadata;
  return Status();
}

}  // namespace attn
