// Model files: a model as safetensors (Hugging Face's format), its config in the metadata:
//   __metadata__ = {"format": "attn-model", "version": "1", "config": "<model config JSON>", ...extra}
//   tensors: every parameter under its PyTorch-style name, F32 (or F16 to halve the size).
// Two kinds of model: a TransformerModel (models/model.h; config as models/config.h), and the training lab's LSTM
// baseline (models/lstm_seq2seq.h; config {"arch": "lstm", ...}). The LSTM's tensors are a PyTorch module's
// state_dict with nn.Embedding, nn.LSTM(batch_first=True) and nn.Linear attributes: embed.weight,
// encoder.weight_ih_l0 [4H, H], encoder.weight_hh_l0 [4H, H], encoder.bias_ih_l0 [4H], encoder.bias_hh_l0 [4H]
// (then _l1, ...), tgt_embed.weight, decoder.*, head.weight, head.bias. The engine's LSTM keeps nn.LSTM's layout
// (gates stacked in the order i, f, g, o), so the tensors are written as the engine holds them: no mapping.
// Loading validates everything before allocating the model: the safetensors layout (io/safetensors.h), the
// config, a size bound, and that the file holds exactly the model's tensors with their shapes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "models/lstm_seq2seq.h"
#include "models/model.h"

namespace attn {

// The bytes of a model file. extra metadata (string -> string) is stored beside the config.
std::string save_model(TransformerModel& model, bool f16 = false, const std::map<std::string, std::string>& extra = {});
std::string save_model(LstmSeq2Seq& model, bool f16 = false, const std::map<std::string, std::string>& extra = {});

struct LoadedModel {
  std::unique_ptr<TransformerModel> model;  // a transformer's file, or
  std::unique_ptr<LstmSeq2Seq> lstm;        // an LSTM's (load_any_model only)
  std::map<std::string, std::string> metadata;
};

// Largest model a file may describe (parameters), so a tiny corrupt file cannot request gigabytes.
constexpr int64_t kMaxModelParameters = int64_t{1} << 28;

// A transformer's file (out->model); an LSTM's gets a message saying what it is and what reads it.
Status load_model(std::string_view bytes, LoadedModel* out);
// Either kind: out->model or out->lstm is set.
Status load_any_model(std::string_view bytes, LoadedModel* out);

// The number of parameters a config implies, computed without allocating anything.
int64_t parameter_count(const ModelConfig& c);

}  // namespace attn
