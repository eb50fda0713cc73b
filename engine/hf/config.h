// Hugging Face config.json, read for the four families the engine runs:
//
//   model_type    classes                              example checkpoints
//   "gpt2"        GPT2LMHeadModel (GPT2Model)          gpt2, distilgpt2, gpt2-medium
//   "bert"        BertForMaskedLM, BertModel           bert-base-uncased, bert-base-cased
//   "distilbert"  DistilBertForMaskedLM                distilbert-base-uncased
//   "marian"      MarianMTModel                        Helsinki-NLP/opus-mt-en-fr and the other opus-mt pairs
//
// Each family has its own key names (n_embd / hidden_size / dim / d_model, ...); HfConfig holds them under one
// set of names, with each family's defaults (those of its configuration_*.py) for absent keys. Keys the engine does
// not need (dropouts, initializer ranges, task parameters, ...) are ignored, as Hugging Face ignores unknown keys;
// keys that would change the math in a way the engine does not implement (a relative position embedding, say)
// are refused by name. Every message starts with "config.json: ".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/check.h"
#include "ops/activation.h"

namespace attn {

enum class HfFamily { kGpt2, kBert, kDistilBert, kMarian };

const char* hf_family_name(HfFamily f);  // "gpt2", "bert", "distilbert", "marian"

struct HfConfig {
  HfFamily family = HfFamily::kGpt2;
  std::vector<std::string> architectures;  // as given ("GPT2LMHeadModel"), for display

  int64_t vocab_size = 0;      // V: rows of the token embedding (and of the output layer)
  int64_t d_model = 0;         // E: n_embd, hidden_size, dim, d_model
  int64_t num_layers = 0;      // n_layer, num_hidden_layers, n_layers, encoder_layers
  int64_t num_heads = 0;       // H: n_head, num_attention_heads, n_heads, encoder_attention_heads
  int64_t ffn_dim = 0;         // F: n_inner (4E when null), intermediate_size, hidden_dim, encoder_ffn_dim
  int64_t max_positions = 0;   // P: n_positions, max_position_embeddings
  float layer_norm_eps = 1e-5f;
  Activation activation = Activation::kGelu;  // every feed-forward network (and BERT/DistilBERT's MLM transform)

  // GPT-2
  bool scale_attn_weights = true;                // scores / sqrt(Dh); false: raw scores
  bool scale_attn_by_inverse_layer_idx = false;  // scores also / (layer index + 1)
  // BERT
  int64_t type_vocab_size = 0;  // rows of the token-type (segment) embedding; 0 for the other families
  // Marian (encoder-decoder)
  int64_t decoder_layers = 0;
  int64_t decoder_heads = 0;
  int64_t decoder_ffn_dim = 0;
  int64_t decoder_vocab_size = 0;    // == vocab_size unless the embeddings are not shared
  bool share_embeddings = true;      // share_encoder_decoder_embeddings
  bool scale_embedding = false;      // multiply token embeddings by sqrt(E)
  int32_t decoder_start_token_id = -1;
  int32_t forced_eos_token_id = -1;  // the token generation must end with when it reaches its length limit
  int32_t max_length = 0;            // generation limit (config.max_length), 0 when absent

  // Special ids (-1 when the config does not give one).
  int32_t pad_token_id = -1;
  int32_t bos_token_id = -1;
  int32_t eos_token_id = -1;

  bool tie_word_embeddings = true;  // the output layer reads the token embedding (the Hub's checkpoints all do)
  // Set by the loader, from the checkpoint: BERT / DistilBERT files without an MLM head (BertModel) have none.
  bool lm_head = true;

  bool encoder_decoder() const { return family == HfFamily::kMarian; }
  bool causal() const { return family == HfFamily::kGpt2; }
  // Parameters the engine holds for this config (what it allocates, as float32 values).
  int64_t parameter_count() const;
};

// Largest model a config may describe (parameters), so that a small file cannot ask for terabytes.
constexpr int64_t kHfMaxParameters = int64_t{1} << 31;

// Parses and validates config.json; *out changes only on success.
Status hf_config_from_json(std::string_view text, HfConfig* out);

}  // namespace attn
