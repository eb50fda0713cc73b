// Model files: a TransformerModel as safetensors (Hugging Face's format), its config in the metadata:
//   __metadata__ = {"format": "attn-model", "version": "1", "config": "<model config JSON>", ...extra}
//   tensors: every parameter under its PyTorch-style name (see models/model.h), F32 (or F16 to halve the size).
// Loading validates everything before allocating the model: the safetensors layout (io/safetensors.h), the
// config (models/config.h), a size bound, and that the file holds exactly the model's tensors with their shapes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "models/model.h"

namespace attn {

// The bytes of a model file. extra metadata (string -> string) is stored beside the config.
std::string save_model(TransformerModel& model, bool f16 = false, const std::map<std::string, std::string>& extra = {});

struct LoadedModel {
  std::unique_ptr<TransformerModel> model;
  std::map<std::string, std::string> metadata;
};

// Largest model a file may describe (parameters), so a tiny corrupt file cannot request gigabytes.
constexpr int64_t kMaxModelParameters = int64_t{1} << 28;

Status load_model(std::string_view bytes, LoadedModel* out);

// The number of parameters a config implies, computed without allocating anything.
int64_t parameter_count(const ModelConfig& c);

}  // namespace attn
