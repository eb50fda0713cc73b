#include "hf/config.h"

#include <cmath>

#include "io/json.h"

namespace attn {

const char* hf_family_name(HfFamily f) {
  switch (f) {
    case HfFamily::kGpt2: return "gpt2";
    case HfFamily::kBert: return "bert";
    case HfFamily::kDistilBert: return "distilbert";
    case HfFamily::kMarian: return "marian";
  }
  return "gpt2";
}

namespace {

Status fail(const std::string& message) { return Status::error("config.json: " + message); }

// A key whose value is null counts as absent (config.json writes "n_inner": null for "the default").
const Json* value_of(const Json& j, const char* key) {
  const Json* v = j.find(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

// An integer in [lo, hi] under `key`; *out unchanged when absent. required: absent is an error.
Status read_int(const Json& j, const char* key, int64_t lo, int64_t hi, int64_t* out, bool required = false) {
  const Json* v = value_of(j, key);
  if (v == nullptr) return required ? fail(std::string(key) + " is missing") : Status();
  if (!v->is_number() || v->as_number() != std::floor(v->as_number()))
    return fail(std::string(key) + " must be an integer, got " + v->dump().substr(0, 40));
  const double d = v->as_number();
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
    return fail(std::string(key) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                Json::number(d).dump());
  *out = static_cast<int64_t>(d);
  return Status();
}

Status read_id(const Json& j, const char* key, int32_t* out) {
  int64_t v = *out;
  ATTN_TRY(read_int(j, key, -1, (int64_t{1} << 31) - 1, &v));
  *out = static_cast<int32_t>(v);
  return Status();
}

Status read_bool(const Json& j, const char* key, bool* out) {
  const Json* v = value_of(j, key);
  if (v == nullptr) return Status();
  if (!v->is_bool()) return fail(std::string(key) + " must be true or false");
  *out = v->as_bool();
  return Status();
}

Status read_eps(const Json& j, const char* key, float* out) {
  const Json* v = value_of(j, key);
  if (v == nullptr) return Status();
  if (!v->is_number() || !(v->as_number() > 0) || !(v->as_number() < 1))
    return fail(std::string(key) + " must be a small positive number, got " + v->dump().substr(0, 40));
  *out = static_cast<float>(v->as_number());
  if (!(*out > 0)) return fail(std::string(key) + " is too small for a float32");
  return Status();
}

// Hugging Face's activation names (transformers/activations.py) that the engine computes exactly.
Status read_activation(const Json& j, const char* key, Activation* out) {
  const Json* v = value_of(j, key);
  if (v == nullptr) return Status();
  if (!v->is_string()) return fail(std::string(key) + " must be a string");
  const std::string& a = v->as_string();
  if (a == "relu") *out = Activation::kRelu;
  else if (a == "gelu") *out = Activation::kGelu;  // exact erf GELU
  else if (a == "gelu_new" || a == "gelu_pytorch_tanh" || a == "gelu_fast") *out = Activation::kGeluTanh;
  else if (a == "swish" || a == "silu") *out = Activation::kSilu;
  else
    return fail(std::string(key) + " \"" + a.substr(0, 40) +
                "\" is not supported (relu, gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, swish or silu)");
  return Status();
}

// The largest sizes a config may give. Real checkpoints are far below them.
constexpr int64_t kMaxVocab = int64_t{1} << 21;
constexpr int64_t kMaxWidth = 1 << 16;
constexpr int64_t kMaxLayers = 256;
constexpr int64_t kMaxPositions = 1 << 16;

Status read_gpt2(const Json& j, HfConfig* c) {
  c->layer_norm_eps = 1e-5f;
  c->activation = Activation::kGeluTanh;  // GPT2Config's default "gelu_new"
  c->max_positions = 1024;
  ATTN_TRY(read_int(j, "vocab_size", 1, kMaxVocab, &c->vocab_size, true));
  ATTN_TRY(read_int(j, "n_embd", 1, kMaxWidth, &c->d_model, true));
  ATTN_TRY(read_int(j, "n_layer", 0, kMaxLayers, &c->num_layers, true));
  ATTN_TRY(read_int(j, "n_head", 1, kMaxWidth, &c->num_heads, true));
  ATTN_TRY(read_int(j, "n_positions", 1, kMaxPositions, &c->max_positions));
  c->ffn_dim = 4 * c->d_model;
  ATTN_TRY(read_int(j, "n_inner", 1, int64_t{1} << 20, &c->ffn_dim));
  ATTN_TRY(read_eps(j, "layer_norm_epsilon", &c->layer_norm_eps));
  ATTN_TRY(read_activation(j, "activation_function", &c->activation));
  ATTN_TRY(read_bool(j, "scale_attn_weights", &c->scale_attn_weights));
  ATTN_TRY(read_bool(j, "scale_attn_by_inverse_layer_idx", &c->scale_attn_by_inverse_layer_idx));
  c->bos_token_id = c->eos_token_id = 50256;
  return Status();
}

Status read_bert(const Json& j, HfConfig* c) {
  c->layer_norm_eps = 1e-12f;
  c->activation = Activation::kGelu;
  c->max_positions = 512;
  c->type_vocab_size = 2;
  c->pad_token_id = 0;
  ATTN_TRY(read_int(j, "vocab_size", 1, kMaxVocab, &c->vocab_size, true));
  ATTN_TRY(read_int(j, "hidden_size", 1, kMaxWidth, &c->d_model, true));
  ATTN_TRY(read_int(j, "num_hidden_layers", 0, kMaxLayers, &c->num_layers, true));
  ATTN_TRY(read_int(j, "num_attention_heads", 1, kMaxWidth, &c->num_heads, true));
  ATTN_TRY(read_int(j, "intermediate_size", 1, int64_t{1} << 20, &c->ffn_dim, true));
  ATTN_TRY(read_int(j, "max_position_embeddings", 1, kMaxPositions, &c->max_positions));
  ATTN_TRY(read_int(j, "type_vocab_size", 0, 1 << 16, &c->type_vocab_size));
  ATTN_TRY(read_eps(j, "layer_norm_eps", &c->layer_norm_eps));
  ATTN_TRY(read_activation(j, "hidden_act", &c->activation));
  if (const Json* v = value_of(j, "position_embedding_type"); v && !(v->is_string() && v->as_string() == "absolute"))
    return fail("position_embedding_type " + v->dump().substr(0, 40) +
                " is not supported (only \"absolute\", the learned positions of BERT)");
  if (const Json* v = value_of(j, "is_decoder"); v && v->is_bool() && v->as_bool())
    return fail("is_decoder = true (BERT as a causal decoder) is not supported");
  return Status();
}

Status read_distilbert(const Json& j, HfConfig* c) {
  c->layer_norm_eps = 1e-12f;  // fixed in modeling_distilbert.py, not a config key
  c->activation = Activation::kGelu;
  c->max_positions = 512;
  c->pad_token_id = 0;
  ATTN_TRY(read_int(j, "vocab_size", 1, kMaxVocab, &c->vocab_size, true));
  ATTN_TRY(read_int(j, "dim", 1, kMaxWidth, &c->d_model, true));
  ATTN_TRY(read_int(j, "n_layers", 0, kMaxLayers, &c->num_layers, true));
  ATTN_TRY(read_int(j, "n_heads", 1, kMaxWidth, &c->num_heads, true));
  ATTN_TRY(read_int(j, "hidden_dim", 1, int64_t{1} << 20, &c->ffn_dim, true));
  ATTN_TRY(read_int(j, "max_position_embeddings", 1, kMaxPositions, &c->max_positions));
  ATTN_TRY(read_activation(j, "activation", &c->activation));
  return Status();
}

Status read_marian(const Json& j, HfConfig* c) {
  c->layer_norm_eps = 1e-5f;  // nn.LayerNorm's default, as modeling_marian.py builds them
  c->activation = Activation::kGelu;  // MarianConfig's default; the opus-mt files all say "swish"
  c->max_positions = 1024;
  c->scale_embedding = false;
  ATTN_TRY(read_int(j, "vocab_size", 1, kMaxVocab, &c->vocab_size, true));
  ATTN_TRY(read_int(j, "d_model", 1, kMaxWidth, &c->d_model, true));
  ATTN_TRY(read_int(j, "encoder_layers", 0, kMaxLayers, &c->num_layers, true));
  ATTN_TRY(read_int(j, "decoder_layers", 1, kMaxLayers, &c->decoder_layers, true));
  ATTN_TRY(read_int(j, "encoder_attention_heads", 1, kMaxWidth, &c->num_heads, true));
  ATTN_TRY(read_int(j, "decoder_attention_heads", 1, kMaxWidth, &c->decoder_heads, true));
  ATTN_TRY(read_int(j, "encoder_ffn_dim", 1, int64_t{1} << 20, &c->ffn_dim, true));
  ATTN_TRY(read_int(j, "decoder_ffn_dim", 1, int64_t{1} << 20, &c->decoder_ffn_dim, true));
  ATTN_TRY(read_int(j, "max_position_embeddings", 1, kMaxPositions, &c->max_positions));
  ATTN_TRY(read_activation(j, "activation_function", &c->activation));
  ATTN_TRY(read_bool(j, "scale_embedding", &c->scale_embedding));
  ATTN_TRY(read_bool(j, "share_encoder_decoder_embeddings", &c->share_embeddings));
  c->decoder_vocab_size = c->vocab_size;
  ATTN_TRY(read_int(j, "decoder_vocab_size", 1, kMaxVocab, &c->decoder_vocab_size));
  if (c->share_embeddings && c->decoder_vocab_size != c->vocab_size)
    return fail("decoder_vocab_size (" + std::to_string(c->decoder_vocab_size) + ") differs from vocab_size (" +
                std::to_string(c->vocab_size) + ") but share_encoder_decoder_embeddings is true");
  int64_t max_length = 0;
  ATTN_TRY(read_int(j, "max_length", 0, kMaxPositions, &max_length));
  c->max_length = static_cast<int32_t>(max_length);
  ATTN_TRY(read_id(j, "decoder_start_token_id", &c->decoder_start_token_id));
  ATTN_TRY(read_id(j, "forced_eos_token_id", &c->forced_eos_token_id));
  return Status();
}

}  // namespace

int64_t HfConfig::parameter_count() const {
  const int64_t E = d_model, F = ffn_dim, P = max_positions, L = num_layers;
  const int64_t norm = 2 * E;
  const int64_t self_attn = 4 * E * E + 4 * E;
  const int64_t ffn = 2 * E * F + F + E;
  int64_t n = vocab_size * E;
  switch (family) {
    case HfFamily::kGpt2:
      if (!tie_word_embeddings) n += vocab_size * E;  // lm_head.weight of its own
      return n + P * E + L * (self_attn + ffn + 2 * norm) + norm;
    case HfFamily::kBert:
    case HfFamily::kDistilBert: {
      n += P * E + type_vocab_size * E + norm + L * (self_attn + ffn + 2 * norm);
      if (lm_head) n += E * E + E + norm + vocab_size;  // transform, its norm, the output bias
      return n;
    }
    case HfFamily::kMarian: {
      const int64_t Fd = decoder_ffn_dim;
      if (!share_embeddings) n += decoder_vocab_size * E;
      n += 2 * P * E;  // the two sinusoidal tables
      n += L * (self_attn + ffn + 2 * norm);
      n += decoder_layers * (2 * self_attn + 2 * E * Fd + Fd + E + 3 * norm);
      return n + decoder_vocab_size;  // final_logits_bias
    }
  }
  return n;
}

Status hf_config_from_json(std::string_view text, HfConfig* out) {
  Json j;
  const Status parsed = Json::parse(text, &j);
  if (!parsed.ok()) return fail(parsed.message());
  if (!j.is_object()) return fail("the file must be a JSON object");
  const Json* type = value_of(j, "model_type");
  if (type == nullptr || !type->is_string())
    return fail("model_type is missing: this is not a Hugging Face model's config.json");
  HfConfig c;
  const std::string& t = type->as_string();
  if (t == "gpt2") c.family = HfFamily::kGpt2;
  else if (t == "bert") c.family = HfFamily::kBert;
  else if (t == "distilbert") c.family = HfFamily::kDistilBert;
  else if (t == "marian") c.family = HfFamily::kMarian;
  else
    return fail("model_type \"" + t.substr(0, 40) +
                "\" is not supported: the engine runs gpt2 (GPT-2, DistilGPT2), bert (BERT), distilbert (DistilBERT) "
                "and marian (MarianMT, opus-mt) models");
  if (const Json* a = value_of(j, "architectures")) {
    if (!a->is_array()) return fail("architectures must be a list of class names");
    for (const Json& name : a->items()) {
      if (!name.is_string()) return fail("architectures must be a list of class names");
      c.architectures.push_back(name.as_string().substr(0, 80));
    }
  }
  switch (c.family) {
    case HfFamily::kGpt2: ATTN_TRY(read_gpt2(j, &c)); break;
    case HfFamily::kBert: ATTN_TRY(read_bert(j, &c)); break;
    case HfFamily::kDistilBert: ATTN_TRY(read_distilbert(j, &c)); break;
    case HfFamily::kMarian: ATTN_TRY(read_marian(j, &c)); break;
  }
  ATTN_TRY(read_id(j, "pad_token_id", &c.pad_token_id));
  ATTN_TRY(read_id(j, "bos_token_id", &c.bos_token_id));
  ATTN_TRY(read_id(j, "eos_token_id", &c.eos_token_id));
  ATTN_TRY(read_bool(j, "tie_word_embeddings", &c.tie_word_embeddings));
  if (c.family == HfFamily::kMarian && c.decoder_start_token_id < 0) c.decoder_start_token_id = c.pad_token_id;

  // Shapes that must agree.
  const auto divisible = [&](int64_t heads, const char* what) -> Status {
    if (c.d_model % heads != 0)
      return fail("the width (" + std::to_string(c.d_model) + ") must be divisible by " + what + " (" +
                  std::to_string(heads) + ")");
    return Status();
  };
  ATTN_TRY(divisible(c.num_heads, "the number of attention heads"));
  if (c.encoder_decoder()) ATTN_TRY(divisible(c.decoder_heads, "decoder_attention_heads"));
  const int64_t out_vocab = c.encoder_decoder() ? c.decoder_vocab_size : c.vocab_size;
  const auto check_id = [&](int32_t id, const char* key, int64_t vocab) -> Status {
    if (id >= vocab)
      return fail(std::string(key) + " (" + std::to_string(id) + ") is outside the vocabulary (" +
                  std::to_string(vocab) + " tokens)");
    return Status();
  };
  ATTN_TRY(check_id(c.pad_token_id, "pad_token_id", c.vocab_size));
  ATTN_TRY(check_id(c.eos_token_id, "eos_token_id", out_vocab));
  if (c.encoder_decoder()) {
    if (c.decoder_start_token_id < 0) return fail("decoder_start_token_id (or pad_token_id) is needed to translate");
    ATTN_TRY(check_id(c.decoder_start_token_id, "decoder_start_token_id", out_vocab));
    ATTN_TRY(check_id(c.forced_eos_token_id, "forced_eos_token_id", out_vocab));
    if (c.eos_token_id < 0) return fail("eos_token_id is needed to translate");
  }
  if (!c.tie_word_embeddings && c.family != HfFamily::kGpt2)
    return fail("tie_word_embeddings = false is supported for gpt2 only");
  const double params = static_cast<double>(c.parameter_count());
  if (params > static_cast<double>(kHfMaxParameters))
    return fail("this model would have " + std::to_string(static_cast<int64_t>(params / 1e6)) +
                " million parameters: more than the engine can hold (" +
                std::to_string(kHfMaxParameters / 1000000) + " million)");
  *out = std::move(c);
  return Status();
}

}  // namespace attn
