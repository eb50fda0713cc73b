#include "io/model_file.h"

#include <set>

#include "io/safetensors.h"
#include "models/config.h"

namespace attn {

namespace {

// M: TransformerModel or LstmSeq2Seq (anything with visit(ParamVisitor)); config: its config as JSON.
template <class M>
std::string save_file(M& model, const Json& config, bool f16, const std::map<std::string, std::string>& extra) {
  std::vector<std::pair<std::string, const Tensor*>> tensors;
  model.visit([&](const std::string& name, Param& p) { tensors.emplace_back(name, &p.value); });
  std::map<std::string, std::string> meta = extra;
  meta["format"] = "attn-model";
  meta["version"] = "1";
  meta["config"] = config.dump();
  return write_safetensors(tensors, meta, f16);
}

// The safetensors layout and the metadata: the format, and the config as JSON (not yet validated).
Status read_header(std::string_view bytes, SafetensorsFile* file, Json* config) {
  ATTN_TRY(SafetensorsFile::parse(bytes, file));
  auto meta = file->metadata.find("format");
  if (meta == file->metadata.end() || meta->second != "attn-model")
    return Status::error("not an attn model file: the metadata has no \"format\": \"attn-model\"");
  auto cfg = file->metadata.find("config");
  if (cfg == file->metadata.end()) return Status::error("the model file has no config in its metadata");
  Status st = Json::parse(cfg->second, config);
  if (!st.ok()) return Status::error("the model config is not valid JSON: " + st.message());
  return Status();
}

// Before allocating: the file's tensors must be floating point and hold exactly as many values as the config implies.
Status check_size(const SafetensorsFile& file, int64_t expected) {
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
  return Status();
}

// Every parameter model visits, read from the file under its name (shapes must match); no other tensor allowed.
template <class M>
Status read_params(const SafetensorsFile& file, M& model) {
  std::set<std::string> expected_names;
  Status missing;
  model.visit([&](const std::string& name, Param& p) {
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
  return Status();
}

// A model of config c (a ModelConfig or an LstmSeq2SeqConfig), checked against the file and read from it.
template <class M, class C>
Status read_model(const SafetensorsFile& file, const C& c, int64_t parameters, std::unique_ptr<M>* out) {
  ATTN_TRY(check_size(file, parameters));
  auto model = std::make_unique<M>(c);
  ATTN_TRY(read_params(file, *model));
  *out = std::move(model);
  return Status();
}

Status load(std::string_view bytes, bool lstm_too, LoadedModel* out) {
  SafetensorsFile file;
  Json j;
  ATTN_TRY(read_header(bytes, &file, &j));
  LoadedModel loaded;
  if (is_lstm_config(j)) {
    if (!lstm_too)
      return Status::error("this file holds the training lab's LSTM baseline (arch \"lstm\"), not a transformer: it has "
                           "no attention; Engine.loadRun (the lab) reads it");
    LstmSeq2SeqConfig config;
    Status st = lstm_config_from_json(j, &config);
    if (!st.ok()) return Status::error("the LSTM config is invalid: " + st.message());
    ATTN_TRY(read_model(file, config, config.parameter_count(), &loaded.lstm));
  } else {
    ModelConfig config;
    Status st = model_config_from_json(j, &config);
    if (!st.ok()) return Status::error("the model config is invalid: " + st.message());
    ATTN_TRY(read_model(file, config, parameter_count(config), &loaded.model));
  }
  loaded.metadata = file.metadata;
  *out = std::move(loaded);
  return Status();
}

}  // namespace

std::string save_model(TransformerModel& model, bool f16, const std::map<std::string, std::string>& extra) {
  return save_file(model, model_config_to_json(model.config), f16, extra);
}

std::string save_model(LstmSeq2Seq& model, bool f16, const std::map<std::string, std::string>& extra) {
  return save_file(model, lstm_config_to_json(model.config), f16, extra);
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

Status load_model(std::string_view bytes, LoadedModel* out) { return load(bytes, false, out); }

Status load_any_model(std::string_view bytes, LoadedModel* out) { return load(bytes, true, out); }

}  // namespace attn
