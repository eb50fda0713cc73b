#include "models/config.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <cstdio>
#include <cstdlib>

namespace attn {

namespace {

const char* const kKeys[] = {"arch", "vocab_size", "tgt_vocab_size", "num_layers", "num_decoder_layers", "d_model",
                             "nhead", "dim_feedforward", "dropout", "activation", "norm_first", "layer_norm_eps",
                             "positional", "max_len", "scale_embedding", "causal", "final_norm", "head_size",
                             "pad_id", "scaled", "temperature", "bias", "tie_embeddings"};

// The shortest decimal that reads back as the same float: 0.1f is written 0.1, not 0.10000000149011612.
Json float_json(float f) {
  char buf[32];
  for (int precision = 6; precision <= 9; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, static_cast<double>(f));
    if (std::strtof(buf, nullptr) == f) break;
  }
  return Json::number(std::strtod(buf, nullptr));
}

}  // namespace

Status model_config_from_json(const Json& j, ModelConfig* out) {
  if (!j.is_object()) return Status::error("the model config must be a JSON object");
  for (const auto& kv : j.members()) {
    bool known = false;
    for (const char* k : kKeys) known = known || kv.first == k;
    if (!known) return Status::error("unknown model config key '" + kv.first + "'");
  }
  ModelConfig c;
  const std::string arch = j.string_or("arch", "encoder");
  if (!parse_arch(arch, &c.arch)) return Status::error("arch must be encoder, decoder or encoder-decoder, got '" + arch + "'");
  const std::string pos = j.string_or("positional", "sinusoidal");
  if (!parse_positional(pos, &c.positional))
    return Status::error("positional must be none, sinusoidal or learned, got '" + pos + "'");
  const std::string act = j.string_or("activation", "relu");
  if (!parse_activation(act, &c.layer.activation)) return Status::error(std::string("activation must be ") + activation_names() + ", got '" + act + "'");
  int64_t pad = c.pad_id;
  ATTN_TRY(get_int(j, "vocab_size", 1, 1 << 22, &c.vocab_size));
  ATTN_TRY(get_int(j, "tgt_vocab_size", 0, 1 << 22, &c.tgt_vocab_size));
  ATTN_TRY(get_int(j, "num_layers", 0, 64, &c.num_layers));
  ATTN_TRY(get_int(j, "num_decoder_layers", 0, 64, &c.num_decoder_layers));
  ATTN_TRY(get_int(j, "d_model", 1, 8192, &c.layer.d_model));
  ATTN_TRY(get_int(j, "nhead", 1, 1024, &c.layer.nhead));
  ATTN_TRY(get_int(j, "dim_feedforward", 1, 65536, &c.layer.dim_feedforward));
  ATTN_TRY(get_int(j, "max_len", 1, 1 << 16, &c.max_len));
  ATTN_TRY(get_int(j, "head_size", 0, 1 << 22, &c.head_size));
  ATTN_TRY(get_int(j, "pad_id", -1, 1 << 22, &pad));
  c.pad_id = static_cast<int32_t>(pad);
  ATTN_TRY(get_float(j, "dropout", &c.layer.dropout));
  ATTN_TRY(get_float(j, "layer_norm_eps", &c.layer.layer_norm_eps));
  ATTN_TRY(get_float(j, "temperature", &c.layer.score_scale.temperature));
  ATTN_TRY(get_bool(j, "norm_first", &c.layer.norm_first));
  ATTN_TRY(get_bool(j, "scale_embedding", &c.scale_embedding));
  ATTN_TRY(get_bool(j, "causal", &c.causal));
  ATTN_TRY(get_bool(j, "final_norm", &c.final_norm));
  ATTN_TRY(get_bool(j, "scaled", &c.layer.score_scale.scaled));
  ATTN_TRY(get_bool(j, "bias", &c.layer.bias));
  ATTN_TRY(get_bool(j, "tie_embeddings", &c.tie_embeddings));
  ATTN_TRY(c.validate());
  *out = c;
  return Status();
}

Json model_config_to_json(const ModelConfig& c) {
  Json j = Json::object();
  auto num = [](double d) { return Json::number(d); };
  j.set("arch", Json::string(arch_name(c.arch)));
  j.set("vocab_size", num(static_cast<double>(c.vocab_size)));
  if (c.arch == Arch::kEncoderDecoder) {
    j.set("tgt_vocab_size", num(static_cast<double>(c.tgt_vocab_size)));
    j.set("num_decoder_layers", num(static_cast<double>(c.num_decoder_layers)));
  }
  j.set("num_layers", num(static_cast<double>(c.num_layers)));
  j.set("d_model", num(static_cast<double>(c.layer.d_model)));
  j.set("nhead", num(static_cast<double>(c.layer.nhead)));
  j.set("dim_feedforward", num(static_cast<double>(c.layer.dim_feedforward)));
  j.set("dropout", float_json(c.layer.dropout));
  j.set("activation", Json::string(activation_name(c.layer.activation)));
  j.set("norm_first", Json::boolean(c.layer.norm_first));
  j.set("layer_norm_eps", float_json(c.layer.layer_norm_eps));
  j.set("bias", Json::boolean(c.layer.bias));
  j.set("positional", Json::string(positional_name(c.positional)));
  j.set("max_len", num(static_cast<double>(c.max_len)));
  j.set("scale_embedding", Json::boolean(c.scale_embedding));
  j.set("causal", Json::boolean(c.causal));
  j.set("final_norm", Json::boolean(c.final_norm));
  j.set("head_size", num(static_cast<double>(c.head_size)));
  j.set("pad_id", num(c.pad_id));
  if (c.tie_embeddings) j.set("tie_embeddings", Json::boolean(true));
  j.set("scaled", Json::boolean(c.layer.score_scale.scaled));
  j.set("temperature", float_json(c.layer.score_scale.temperature));
  return j;
}

namespace {
const char* const kLstmKeys[] = {"arch", "vocab_size", "tgt_vocab_size", "head_size", "hidden_size", "num_layers", "pad_id"};
}  // namespace

bool is_lstm_config(const Json& j) { return j.is_object() && j.string_or("arch", "") == "lstm"; }

Status lstm_config_from_json(const Json& j, LstmSeq2SeqConfig* out) {
  if (!is_lstm_config(j)) return Status::error("an LSTM config must be a JSON object with \"arch\": \"lstm\"");
  for (const auto& kv : j.members())
    if (std::none_of(std::begin(kLstmKeys), std::end(kLstmKeys), [&](const char* k) { return kv.first == k; }))
      return Status::error("unknown LSTM config key '" + kv.first + "'");
  for (const char* k : kLstmKeys)
    if (!j.find(k)) return Status::error(std::string("the LSTM config has no '") + k + "'");
  LstmSeq2SeqConfig c;
  int64_t pad = 0;
  ATTN_TRY(get_int(j, "vocab_size", 1, 1 << 22, &c.vocab_size));
  ATTN_TRY(get_int(j, "tgt_vocab_size", 1, 1 << 22, &c.tgt_vocab_size));
  ATTN_TRY(get_int(j, "head_size", 1, 1 << 22, &c.head_size));
  ATTN_TRY(get_int(j, "hidden_size", 1, 8192, &c.hidden_size));
  ATTN_TRY(get_int(j, "num_layers", 1, 64, &c.num_layers));
  ATTN_TRY(get_int(j, "pad_id", -1, c.vocab_size - 1, &pad));
  c.pad_id = static_cast<int32_t>(pad);
  *out = c;
  return Status();
}

Json lstm_config_to_json(const LstmSeq2SeqConfig& c) {
  Json j = Json::object();
  j.set("arch", Json::string("lstm"));
  for (const auto& [key, value] : {std::pair<const char*, int64_t>{"vocab_size", c.vocab_size}, {"tgt_vocab_size", c.tgt_vocab_size},
                                   {"head_size", c.head_size}, {"hidden_size", c.hidden_size},
                                   {"num_layers", c.num_layers}, {"pad_id", c.pad_id}})
    j.set(key, Json::number(static_cast<double>(value)));
  return j;
}

}  // namespace attn
