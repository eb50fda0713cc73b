#include "hf/weights.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <set>

#include "io/json.h"
#include "io/safetensors.h"

namespace attn {

// ================================================================================================= the tables
//
// Left: the name in the checkpoint and its shape; right: the engine parameter (engine/hf/model.h).

namespace {

using F = HfFill;

// GPT2LMHeadModel (gpt2, distilgpt2, gpt2-medium). Conv1D layers store their weight as [in, out].
const HfFamilyTable kGpt2 = {
    "transformer.",
    {
        {"wte.weight",               "V E",  "embed.tokens",                              F::kCopy},
        {"wpe.weight",               "P E",  "embed.positions",                           F::kCopy},
        {"h.{i}.ln_1.weight",        "E",    "decoder.layers.{i}.norm1.weight",           F::kCopy},
        {"h.{i}.ln_1.bias",          "E",    "decoder.layers.{i}.norm1.bias",             F::kCopy},
        {"h.{i}.attn.c_attn.weight", "E 3E", "decoder.layers.{i}.self_attn.in_proj_weight", F::kTranspose},
        {"h.{i}.attn.c_attn.bias",   "3E",   "decoder.layers.{i}.self_attn.in_proj_bias", F::kCopy},
        {"h.{i}.attn.c_proj.weight", "E E",  "decoder.layers.{i}.self_attn.out_proj.weight", F::kTranspose},
        {"h.{i}.attn.c_proj.bias",   "E",    "decoder.layers.{i}.self_attn.out_proj.bias", F::kCopy},
        {"h.{i}.ln_2.weight",        "E",    "decoder.layers.{i}.norm2.weight",           F::kCopy},
        {"h.{i}.ln_2.bias",          "E",    "decoder.layers.{i}.norm2.bias",             F::kCopy},
        {"h.{i}.mlp.c_fc.weight",    "E F",  "decoder.layers.{i}.linear1.weight",         F::kTranspose},
        {"h.{i}.mlp.c_fc.bias",      "F",    "decoder.layers.{i}.linear1.bias",           F::kCopy},
        {"h.{i}.mlp.c_proj.weight",  "F E",  "decoder.layers.{i}.linear2.weight",         F::kTranspose},
        {"h.{i}.mlp.c_proj.bias",    "E",    "decoder.layers.{i}.linear2.bias",           F::kCopy},
        {"ln_f.weight",              "E",    "decoder.norm.weight",                       F::kCopy},
        {"ln_f.bias",                "E",    "decoder.norm.bias",                         F::kCopy},
    },
    {
        {"lm_head.weight",           "V E",  "head.weight",  F::kCopy},  // only when tie_word_embeddings = false
    },
    {"h.{i}.attn.bias", "h.{i}.attn.masked_bias", "lm_head.weight"},
};

// BertForMaskedLM / BertModel (bert-base-uncased, bert-base-cased). Separate query/key/value projections.
const HfFamilyTable kBert = {
    "bert.",
    {
        {"embeddings.word_embeddings.weight",       "V E",  "embed.tokens",      F::kCopy},
        {"embeddings.position_embeddings.weight",   "P E",  "embed.positions",   F::kCopy},
        {"embeddings.token_type_embeddings.weight", "Tt E", "embed.token_types", F::kCopy},
        {"embeddings.LayerNorm.weight",             "E",    "embed.norm.weight", F::kCopy},
        {"embeddings.LayerNorm.bias",               "E",    "embed.norm.bias",   F::kCopy},
        {"encoder.layer.{i}.attention.self.query.weight",       "E E", "encoder.layers.{i}.self_attn.in_proj_weight", F::kQ},
        {"encoder.layer.{i}.attention.self.query.bias",         "E",   "encoder.layers.{i}.self_attn.in_proj_bias",   F::kQ},
        {"encoder.layer.{i}.attention.self.key.weight",         "E E", "encoder.layers.{i}.self_attn.in_proj_weight", F::kK},
        {"encoder.layer.{i}.attention.self.key.bias",           "E",   "encoder.layers.{i}.self_attn.in_proj_bias",   F::kK},
        {"encoder.layer.{i}.attention.self.value.weight",       "E E", "encoder.layers.{i}.self_attn.in_proj_weight", F::kV},
        {"encoder.layer.{i}.attention.self.value.bias",         "E",   "encoder.layers.{i}.self_attn.in_proj_bias",   F::kV},
        {"encoder.layer.{i}.attention.output.dense.weight",     "E E", "encoder.layers.{i}.self_attn.out_proj.weight", F::kCopy},
        {"encoder.layer.{i}.attention.output.dense.bias",       "E",   "encoder.layers.{i}.self_attn.out_proj.bias",  F::kCopy},
        {"encoder.layer.{i}.attention.output.LayerNorm.weight", "E",   "encoder.layers.{i}.norm1.weight",   F::kCopy},
        {"encoder.layer.{i}.attention.output.LayerNorm.bias",   "E",   "encoder.layers.{i}.norm1.bias",     F::kCopy},
        {"encoder.layer.{i}.intermediate.dense.weight",         "F E", "encoder.layers.{i}.linear1.weight", F::kCopy},
        {"encoder.layer.{i}.intermediate.dense.bias",           "F",   "encoder.layers.{i}.linear1.bias",   F::kCopy},
        {"encoder.layer.{i}.output.dense.weight",               "E F", "encoder.layers.{i}.linear2.weight", F::kCopy},
        {"encoder.layer.{i}.output.dense.bias",                 "E",   "encoder.layers.{i}.linear2.bias",   F::kCopy},
        {"encoder.layer.{i}.output.LayerNorm.weight",           "E",   "encoder.layers.{i}.norm2.weight",   F::kCopy},
        {"encoder.layer.{i}.output.LayerNorm.bias",             "E",   "encoder.layers.{i}.norm2.bias",     F::kCopy},
    },
    {
        {"cls.predictions.transform.dense.weight",     "E E", "head.transform.weight", F::kCopy},
        {"cls.predictions.transform.dense.bias",       "E",   "head.transform.bias",   F::kCopy},
        {"cls.predictions.transform.LayerNorm.weight", "E",   "head.norm.weight",      F::kCopy},
        {"cls.predictions.transform.LayerNorm.bias",   "E",   "head.norm.bias",        F::kCopy},
        {"cls.predictions.bias|cls.predictions.decoder.bias", "V", "head.bias",        F::kCopy},
    },
    {"embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias", "cls.seq_relationship.weight",
     "cls.seq_relationship.bias", "cls.predictions.decoder.weight", "cls.predictions.decoder.bias"},
};

// DistilBertForMaskedLM (distilbert-base-uncased).
const HfFamilyTable kDistilBert = {
    "distilbert.",
    {
        {"embeddings.word_embeddings.weight",                "V E", "embed.tokens",      F::kCopy},
        {"embeddings.position_embeddings.weight",            "P E", "embed.positions",   F::kCopy},
        {"embeddings.LayerNorm.weight",                      "E",   "embed.norm.weight", F::kCopy},
        {"embeddings.LayerNorm.bias",                        "E",   "embed.norm.bias",   F::kCopy},
        {"transformer.layer.{i}.attention.q_lin.weight",     "E E", "encoder.layers.{i}.self_attn.in_proj_weight", F::kQ},
        {"transformer.layer.{i}.attention.q_lin.bias",       "E",   "encoder.layers.{i}.self_attn.in_proj_bias",   F::kQ},
        {"transformer.layer.{i}.attention.k_lin.weight",     "E E", "encoder.layers.{i}.self_attn.in_proj_weight", F::kK},
        {"transformer.layer.{i}.attention.k_lin.bias",       "E",   "encoder.layers.{i}.self_attn.in_proj_bias",   F::kK},
        {"transformer.layer.{i}.attention.v_lin.weight",     "E E", "encoder.layers.{i}.self_attn.in_proj_weight", F::kV},
        {"transformer.layer.{i}.attention.v_lin.bias",       "E",   "encoder.layers.{i}.self_attn.in_proj_bias",   F::kV},
        {"transformer.layer.{i}.attention.out_lin.weight",   "E E", "encoder.layers.{i}.self_attn.out_proj.weight", F::kCopy},
        {"transformer.layer.{i}.attention.out_lin.bias",     "E",   "encoder.layers.{i}.self_attn.out_proj.bias",  F::kCopy},
        {"transformer.layer.{i}.sa_layer_norm.weight",       "E",   "encoder.layers.{i}.norm1.weight",   F::kCopy},
        {"transformer.layer.{i}.sa_layer_norm.bias",         "E",   "encoder.layers.{i}.norm1.bias",     F::kCopy},
        {"transformer.layer.{i}.ffn.lin1.weight",            "F E", "encoder.layers.{i}.linear1.weight", F::kCopy},
        {"transformer.layer.{i}.ffn.lin1.bias",              "F",   "encoder.layers.{i}.linear1.bias",   F::kCopy},
        {"transformer.layer.{i}.ffn.lin2.weight",            "E F", "encoder.layers.{i}.linear2.weight", F::kCopy},
        {"transformer.layer.{i}.ffn.lin2.bias",              "E",   "encoder.layers.{i}.linear2.bias",   F::kCopy},
        {"transformer.layer.{i}.output_layer_norm.weight",   "E",   "encoder.layers.{i}.norm2.weight",   F::kCopy},
        {"transformer.layer.{i}.output_layer_norm.bias",     "E",   "encoder.layers.{i}.norm2.bias",     F::kCopy},
    },
    {
        {"vocab_transform.weight",  "E E", "head.transform.weight", F::kCopy},
        {"vocab_transform.bias",    "E",   "head.transform.bias",   F::kCopy},
        {"vocab_layer_norm.weight", "E",   "head.norm.weight",      F::kCopy},
        {"vocab_layer_norm.bias",   "E",   "head.norm.bias",        F::kCopy},
        {"vocab_projector.bias",    "V",   "head.bias",             F::kCopy},
    },
    {"embeddings.position_ids", "vocab_projector.weight"},
};

// MarianMTModel (Helsinki-NLP/opus-mt-*). BART-style attention with separate q/k/v projections.
const HfFamilyTable kMarian = {
    "model.",
    {
        {"shared.weight",                                    "V E",  "embed.tokens",        F::kCopy},
        {"decoder.embed_tokens.weight",                      "Vd E", "tgt_embed.tokens",    F::kCopy},  // unshared only
        {"encoder.embed_positions.weight",                   "P E",  "embed.positions",     F::kCopy},  // else computed
        {"decoder.embed_positions.weight",                   "P E",  "tgt_embed.positions", F::kCopy},  // else computed
        {"encoder.layers.{i}.self_attn.q_proj.weight",       "E E",  "encoder.layers.{i}.self_attn.in_proj_weight", F::kQ},
        {"encoder.layers.{i}.self_attn.q_proj.bias",         "E",    "encoder.layers.{i}.self_attn.in_proj_bias",   F::kQ},
        {"encoder.layers.{i}.self_attn.k_proj.weight",       "E E",  "encoder.layers.{i}.self_attn.in_proj_weight", F::kK},
        {"encoder.layers.{i}.self_attn.k_proj.bias",         "E",    "encoder.layers.{i}.self_attn.in_proj_bias",   F::kK},
        {"encoder.layers.{i}.self_attn.v_proj.weight",       "E E",  "encoder.layers.{i}.self_attn.in_proj_weight", F::kV},
        {"encoder.layers.{i}.self_attn.v_proj.bias",         "E",    "encoder.layers.{i}.self_attn.in_proj_bias",   F::kV},
        {"encoder.layers.{i}.self_attn.out_proj.weight",     "E E",  "encoder.layers.{i}.self_attn.out_proj.weight", F::kCopy},
        {"encoder.layers.{i}.self_attn.out_proj.bias",       "E",    "encoder.layers.{i}.self_attn.out_proj.bias",  F::kCopy},
        {"encoder.layers.{i}.self_attn_layer_norm.weight",   "E",    "encoder.layers.{i}.norm1.weight",   F::kCopy},
        {"encoder.layers.{i}.self_attn_layer_norm.bias",     "E",    "encoder.layers.{i}.norm1.bias",     F::kCopy},
        {"encoder.layers.{i}.fc1.weight",                    "F E",  "encoder.layers.{i}.linear1.weight", F::kCopy},
        {"encoder.layers.{i}.fc1.bias",                      "F",    "encoder.layers.{i}.linear1.bias",   F::kCopy},
        {"encoder.layers.{i}.fc2.weight",                    "E F",  "encoder.layers.{i}.linear2.weight", F::kCopy},
        {"encoder.layers.{i}.fc2.bias",                      "E",    "encoder.layers.{i}.linear2.bias",   F::kCopy},
        {"encoder.layers.{i}.final_layer_norm.weight",       "E",    "encoder.layers.{i}.norm2.weight",   F::kCopy},
        {"encoder.layers.{i}.final_layer_norm.bias",         "E",    "encoder.layers.{i}.norm2.bias",     F::kCopy},
        {"decoder.layers.{i}.self_attn.q_proj.weight",       "E E",  "decoder.layers.{i}.self_attn.in_proj_weight", F::kQ},
        {"decoder.layers.{i}.self_attn.q_proj.bias",         "E",    "decoder.layers.{i}.self_attn.in_proj_bias",   F::kQ},
        {"decoder.layers.{i}.self_attn.k_proj.weight",       "E E",  "decoder.layers.{i}.self_attn.in_proj_weight", F::kK},
        {"decoder.layers.{i}.self_attn.k_proj.bias",         "E",    "decoder.layers.{i}.self_attn.in_proj_bias",   F::kK},
        {"decoder.layers.{i}.self_attn.v_proj.weight",       "E E",  "decoder.layers.{i}.self_attn.in_proj_weight", F::kV},
        {"decoder.layers.{i}.self_attn.v_proj.bias",         "E",    "decoder.layers.{i}.self_attn.in_proj_bias",   F::kV},
        {"decoder.layers.{i}.self_attn.out_proj.weight",     "E E",  "decoder.layers.{i}.self_attn.out_proj.weight", F::kCopy},
        {"decoder.layers.{i}.self_attn.out_proj.bias",       "E",    "decoder.layers.{i}.self_attn.out_proj.bias",  F::kCopy},
        {"decoder.layers.{i}.self_attn_layer_norm.weight",   "E",    "decoder.layers.{i}.norm1.weight",   F::kCopy},
        {"decoder.layers.{i}.self_attn_layer_norm.bias",     "E",    "decoder.layers.{i}.norm1.bias",     F::kCopy},
        {"decoder.layers.{i}.encoder_attn.q_proj.weight",    "E E",  "decoder.layers.{i}.multihead_attn.in_proj_weight", F::kQ},
        {"decoder.layers.{i}.encoder_attn.q_proj.bias",      "E",    "decoder.layers.{i}.multihead_attn.in_proj_bias",   F::kQ},
        {"decoder.layers.{i}.encoder_attn.k_proj.weight",    "E E",  "decoder.layers.{i}.multihead_attn.in_proj_weight", F::kK},
        {"decoder.layers.{i}.encoder_attn.k_proj.bias",      "E",    "decoder.layers.{i}.multihead_attn.in_proj_bias",   F::kK},
        {"decoder.layers.{i}.encoder_attn.v_proj.weight",    "E E",  "decoder.layers.{i}.multihead_attn.in_proj_weight", F::kV},
        {"decoder.layers.{i}.encoder_attn.v_proj.bias",      "E",    "decoder.layers.{i}.multihead_attn.in_proj_bias",   F::kV},
        {"decoder.layers.{i}.encoder_attn.out_proj.weight",  "E E",  "decoder.layers.{i}.multihead_attn.out_proj.weight", F::kCopy},
        {"decoder.layers.{i}.encoder_attn.out_proj.bias",    "E",    "decoder.layers.{i}.multihead_attn.out_proj.bias",  F::kCopy},
        {"decoder.layers.{i}.encoder_attn_layer_norm.weight", "E",   "decoder.layers.{i}.norm2.weight",   F::kCopy},
        {"decoder.layers.{i}.encoder_attn_layer_norm.bias",  "E",    "decoder.layers.{i}.norm2.bias",     F::kCopy},
        {"decoder.layers.{i}.fc1.weight",                    "Fd E", "decoder.layers.{i}.linear1.weight", F::kCopy},
        {"decoder.layers.{i}.fc1.bias",                      "Fd",   "decoder.layers.{i}.linear1.bias",   F::kCopy},
        {"decoder.layers.{i}.fc2.weight",                    "E Fd", "decoder.layers.{i}.linear2.weight", F::kCopy},
        {"decoder.layers.{i}.fc2.bias",                      "E",    "decoder.layers.{i}.linear2.bias",   F::kCopy},
        {"decoder.layers.{i}.final_layer_norm.weight",       "E",    "decoder.layers.{i}.norm3.weight",   F::kCopy},
        {"decoder.layers.{i}.final_layer_norm.bias",         "E",    "decoder.layers.{i}.norm3.bias",     F::kCopy},
    },
    {
        {"final_logits_bias", "1 Vd", "head.bias", F::kCopy},  // absent in MarianModel files: zeros
    },
    {"encoder.embed_tokens.weight", "decoder.embed_tokens.weight", "lm_head.weight", "model.encoder.embed_tokens.weight",
     "model.decoder.embed_tokens.weight"},
};

}  // namespace

const HfFamilyTable& hf_family_table(HfFamily family) {
  switch (family) {
    case HfFamily::kGpt2: return kGpt2;
    case HfFamily::kBert: return kBert;
    case HfFamily::kDistilBert: return kDistilBert;
    case HfFamily::kMarian: return kMarian;
  }
  return kGpt2;
}

// ================================================================================================== files

Status HfFiles::read_all(const std::string& name, std::string* out) const {
  if (!has(name)) return Status::error(name + " is missing");
  const uint64_t n = size(name);
  if (n > (uint64_t{1} << 30)) return Status::error(name + " is too large (" + std::to_string(n >> 20) + " MB)");
  std::string bytes(static_cast<size_t>(n), '\0');
  ATTN_TRY(read(name, 0, n, bytes.data()));
  *out = std::move(bytes);
  return Status();
}

uint64_t HfFilesInMemory::size(const std::string& name) const {
  const auto it = files.find(name);
  return it == files.end() ? 0 : it->second.size();
}

Status HfFilesInMemory::read(const std::string& name, uint64_t offset, uint64_t n, char* dst) const {
  const auto it = files.find(name);
  if (it == files.end()) return Status::error(name + " is missing");
  if (offset > it->second.size() || n > it->second.size() - offset) return Status::error(name + ": read past the end");
  std::memcpy(dst, it->second.data() + offset, n);
  return Status();
}

std::vector<std::string> HfFilesInMemory::names() const {
  std::vector<std::string> out;
  for (const auto& kv : files) out.push_back(kv.first);
  return out;
}

// ================================================================================================= loading

namespace {

std::string replace_index(std::string s, int64_t i) {
  const size_t at = s.find("{i}");
  if (at != std::string::npos) s.replace(at, 3, std::to_string(i));
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

// The shape a table row expects, from the config's sizes.
Shape expected_shape(const char* dims, const HfConfig& c) {
  Shape s;
  for (const std::string& d : split(dims, ' ')) {
    if (d == "V") s.push_back(c.vocab_size);
    else if (d == "Vd") s.push_back(c.decoder_vocab_size);
    else if (d == "E") s.push_back(c.d_model);
    else if (d == "3E") s.push_back(3 * c.d_model);
    else if (d == "F") s.push_back(c.ffn_dim);
    else if (d == "Fd") s.push_back(c.decoder_ffn_dim);
    else if (d == "P") s.push_back(c.max_positions);
    else if (d == "Tt") s.push_back(c.type_vocab_size);
    else if (d == "1") s.push_back(1);
    else ATTN_ASSERT(false, "hf table: unknown dimension " + d);
  }
  return s;
}

// Where the config's sizes come from, for messages.
std::string size_names(HfFamily f) {
  switch (f) {
    case HfFamily::kGpt2: return "V = vocab_size, E = n_embd, F = n_inner or 4 n_embd, P = n_positions";
    case HfFamily::kBert:
      return "V = vocab_size, E = hidden_size, F = intermediate_size, P = max_position_embeddings, Tt = type_vocab_size";
    case HfFamily::kDistilBert: return "V = vocab_size, E = dim, F = hidden_dim, P = max_position_embeddings";
    case HfFamily::kMarian:
      return "V = vocab_size, Vd = decoder_vocab_size, E = d_model, F = encoder_ffn_dim, Fd = decoder_ffn_dim, "
             "P = max_position_embeddings";
  }
  return "";
}

// One tensor of the checkpoint: which file, and its entry.
struct Located {
  std::string file;
  SafetensorsEntry entry;
  uint64_t data_start = 0;
};

// The checkpoint's index: every tensor of every shard, by name.
struct CheckpointIndex {
  std::map<std::string, Located> tensors;
  std::set<std::string> used;
  std::set<std::string> dtypes;
  uint64_t largest = 0;  // bytes of the largest tensor

  const Located* find(const std::string& name) const {
    const auto it = tensors.find(name);
    return it == tensors.end() ? nullptr : &it->second;
  }
};

Status read_header(const HfFiles& files, const std::string& file, CheckpointIndex* index) {
  const uint64_t size = files.size(file);
  std::string first8(8, '\0');
  if (size < 8) return Status::error(file + ": invalid safetensors file: shorter than its 8-byte header size");
  ATTN_TRY(files.read(file, 0, 8, first8.data()));
  uint64_t header_end = 0;
  Status st = SafetensorsFile::header_bytes(first8, size, &header_end);
  std::string head;
  if (st.ok()) {
    head.resize(static_cast<size_t>(header_end));
    st = files.read(file, 0, header_end, head.data());
  }
  SafetensorsFile parsed;
  if (st.ok()) st = SafetensorsFile::parse_header(head, size, &parsed);
  if (!st.ok()) return Status::error(file + ": " + st.message());
  for (const SafetensorsEntry& e : parsed.entries) {
    if (index->tensors.count(e.name)) return Status::error(file + ": tensor '" + e.name + "' is also in another shard");
    index->tensors[e.name] = Located{file, e, parsed.data_start()};
    index->largest = std::max(index->largest, e.end - e.begin);
  }
  return Status();
}

// model.safetensors, or the shards that model.safetensors.index.json lists.
Status read_checkpoint_index(const HfFiles& files, CheckpointIndex* index) {
  if (files.has("model.safetensors")) return read_header(files, "model.safetensors", index);
  if (files.has("model.safetensors.index.json")) {
    std::string text;
    ATTN_TRY(files.read_all("model.safetensors.index.json", &text));
    Json j;
    Status st = Json::parse(text, &j);
    if (!st.ok()) return Status::error("model.safetensors.index.json: " + st.message());
    const Json* map = j.is_object() ? j.find("weight_map") : nullptr;
    if (map == nullptr || !map->is_object())
      return Status::error("model.safetensors.index.json: weight_map must be an object {tensor: file}");
    std::set<std::string> shards;
    for (const auto& [name, file] : map->members()) {
      if (!file.is_string()) return Status::error("model.safetensors.index.json: weight_map['" + name + "'] must be a file name");
      shards.insert(file.as_string());
    }
    for (const std::string& shard : shards) {
      if (!files.has(shard))
        return Status::error("model.safetensors.index.json lists " + shard + ", which is missing: open all its files");
      ATTN_TRY(read_header(files, shard, index));
    }
    for (const auto& [name, file] : map->members()) {
      const Located* t = index->find(name);
      if (t == nullptr || t->file != file.as_string())
        return Status::error("model.safetensors.index.json: tensor '" + name + "' is not in " + file.as_string());
    }
    return Status();
  }
  for (const char* other : {"pytorch_model.bin", "tf_model.h5", "flax_model.msgpack", "rust_model.ot"})
    if (files.has(other))
      return Status::error(std::string("model.safetensors is missing: this folder has ") + other +
                           ", which the engine does not read. Download the model's model.safetensors (most models on "
                           "the Hub have one), or convert the weights to safetensors.");
  return Status::error("model.safetensors is missing: a Hugging Face model folder has config.json and model.safetensors");
}

// The family a set of tensor names looks like, "" when unsure (for the "two different models" message).
std::string looks_like(const CheckpointIndex& index) {
  const auto any = [&](const char* suffix) {
    const std::string s = suffix;
    for (const auto& kv : index.tensors)
      if (kv.first.size() >= s.size() && kv.first.compare(kv.first.size() - s.size(), s.size(), s) == 0) return true;
    return false;
  };
  if (any("wte.weight")) return "gpt2";
  if (any("attention.q_lin.weight")) return "distilbert";
  if (any("attention.self.query.weight")) return "bert";
  if (any("shared.weight") || any("self_attn.q_proj.weight")) return "marian";
  return "";
}

struct Planned {
  const Located* source;
  std::string engine;
  HfFill fill;
};

// The largest layer index in the checkpoint for names like "<stem><i>." (-1 when none), for messages.
int64_t last_layer(const CheckpointIndex& index, const std::string& stem) {
  int64_t last = -1;
  for (const auto& kv : index.tensors) {
    const size_t at = kv.first.find(stem);
    if (at == std::string::npos) continue;
    const std::string rest = kv.first.substr(at + stem.size());
    const size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string::npos) continue;
    const std::string digits = rest.substr(0, dot);
    if (digits.size() > 4 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    last = std::max<int64_t>(last, std::stoll(digits));
  }
  return last;
}

// The checkpoint names a table row may appear under: with and without the prefix (body rows), and the TF-era
// LayerNorm.gamma / LayerNorm.beta.
std::vector<std::string> candidates(const std::string& names, const char* prefix, bool body) {
  std::vector<std::string> out;
  for (const std::string& name : split(names, '|')) {
    std::vector<std::string> forms = {name};
    const auto ends = [&](const std::string& s) {
      return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
    };
    if (ends("LayerNorm.weight")) forms.push_back(name.substr(0, name.size() - 6) + "gamma");
    if (ends("LayerNorm.bias")) forms.push_back(name.substr(0, name.size() - 4) + "beta");
    for (const std::string& f : forms) {
      if (body) out.push_back(prefix + f);
      out.push_back(f);
    }
  }
  return out;
}

int64_t layers_of(const std::string& engine_name, const HfConfig& c) {
  if (engine_name.rfind("decoder.layers.", 0) == 0 && c.encoder_decoder()) return c.decoder_layers;
  return c.num_layers;
}

bool is_float_dtype(const std::string& d) { return d == "F32" || d == "F16" || d == "BF16" || d == "F64"; }

}  // namespace

int64_t hf_memory_estimate(const HfConfig& c, int64_t T) {
  const int64_t E = c.d_model, H = std::max(c.num_heads, c.decoder_heads);
  const int64_t F = std::max(c.ffn_dim, c.decoder_ffn_dim);
  const int64_t layers = c.num_layers + 2 * c.decoder_layers;  // Marian's decoder layers keep two attentions
  // Every layer keeps its keys and values and its [H, T, T] weights and mask (what the page draws and a cached
  // pass reads); the layer being computed also holds about a dozen [T, E] tensors, its two [T, F] ones and its
  // scores.
  const int64_t kept = 2 * T * E + (H + 1) * T * T;
  const int64_t working = 14 * T * E + 2 * T * F + H * T * T;
  const int64_t V = std::max(c.vocab_size, c.decoder_vocab_size);
  return 4 * (c.parameter_count() + layers * kept + working + 2 * V) + (int64_t{16} << 20);
}

int64_t hf_max_tokens(const HfConfig& c, int64_t available_bytes) {
  int64_t lo = 0, hi = c.max_positions;  // the largest T whose estimate fits: binary search
  while (lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    if (hf_memory_estimate(c, mid) <= available_bytes) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

Status load_hf_model(const HfFiles& files, const HfLoadOptions& options, HfLoaded* out) {
  // 1. The config.
  if (!files.has("config.json"))
    return Status::error("config.json is missing: a Hugging Face model folder has config.json next to model.safetensors");
  std::string config_text;
  ATTN_TRY(files.read_all("config.json", &config_text));
  HfConfig config;
  ATTN_TRY(hf_config_from_json(config_text, &config));
  const HfFamilyTable& table = hf_family_table(config.family);
  const std::string family = hf_family_name(config.family);

  // 2. The checkpoint's index (headers only).
  CheckpointIndex index;
  ATTN_TRY(read_checkpoint_index(files, &index));
  const std::string guess = looks_like(index);
  const auto two_models = [&]() -> std::string {
    if (!guess.empty() && guess != family)
      return ": the weights look like a " + guess + " checkpoint but config.json is a " + family +
             " config. Are config.json and model.safetensors from two different models?";
    return "";
  };
  const auto find = [&](const std::string& name, bool body) -> const Located* {
    for (const std::string& c : candidates(name, table.prefix, body))
      if (const Located* t = index.find(c)) return t;
    return nullptr;
  };

  // 3. Which head: BERT and DistilBERT files without their MLM head (BertModel) give a model without one.
  if (config.family == HfFamily::kBert || config.family == HfFamily::kDistilBert) {
    config.lm_head = false;
    for (const HfWeight& w : table.head) config.lm_head = config.lm_head || find(w.checkpoint, false) != nullptr;
  }

  // 4. The plan: every parameter's source, checked for presence, dtype and shape before anything is allocated.
  std::set<std::string> wanted;  // the engine's parameters for this config (what HfModel allocates)
  {
    // Built from a model of the same config without its allocations: the names follow from the config alone.
    HfConfig names_only = config;
    names_only.vocab_size = names_only.decoder_vocab_size = 1;
    names_only.max_positions = 1;
    names_only.d_model = names_only.num_heads = names_only.decoder_heads = 1;
    names_only.ffn_dim = names_only.decoder_ffn_dim = 1;
    names_only.type_vocab_size = std::min<int64_t>(config.type_vocab_size, 1);
    HfModel skeleton(names_only);
    skeleton.visit([&](const std::string& name, Param&) { wanted.insert(name); });
  }
  std::vector<Planned> plan;
  std::set<std::string> filled;
  const auto plan_rows = [&](const std::vector<HfWeight>& rows, bool body) -> Status {
    for (const HfWeight& w : rows) {
      const bool per_layer = std::string(w.engine).find("{i}") != std::string::npos;
      const int64_t n = per_layer ? layers_of(w.engine, config) : 1;
      for (int64_t i = 0; i < n; ++i) {
        const std::string engine = replace_index(w.engine, i);
        const std::string name = replace_index(w.checkpoint, i);
        if (!wanted.count(engine)) continue;  // tied, or a part this config does not have
        const Located* t = find(name, body);
        const Shape shape = expected_shape(w.shape, config);
        const std::string shown = split(name, '|')[0];
        if (t == nullptr) {
          // Marian's sinusoids and final_logits_bias may be absent: the engine computes them, or uses zeros.
          if (config.family == HfFamily::kMarian &&
              (engine == "embed.positions" || engine == "tgt_embed.positions" || engine == "head.bias"))
            continue;
          std::string hint = two_models();
          if (hint.empty() && per_layer) {
            const std::string stem = shown.substr(0, shown.find(std::to_string(i) + "."));
            const int64_t last = last_layer(index, stem);
            if (last >= 0 && last < i)
              hint = ": config.json says " + std::to_string(n) + " layers but model.safetensors has " +
                     std::to_string(last + 1) + ". Are config.json and model.safetensors from the same model?";
          }
          return Status::error("model.safetensors has no tensor '" + shown + "' (shape " + shape_str(shape) +
                               "), which a " + family + " model needs" + hint);
        }
        if (!is_float_dtype(t->entry.dtype))
          return Status::error(t->file + ": tensor '" + t->entry.name + "' is " + t->entry.dtype +
                               ": weights must be F32, F16 or BF16");
        if (t->entry.shape != shape)
          return Status::error(t->file + ": tensor '" + t->entry.name + "' has shape " + shape_str(t->entry.shape) +
                               " but config.json implies " + shape_str(shape) + " (" + w.shape + "; " +
                               size_names(config.family) + ")" +
                               (two_models().empty() ? ". Are config.json and model.safetensors from the same model?"
                                                     : two_models()));
        plan.push_back(Planned{t, engine, w.fill});
        index.used.insert(t->entry.name);
        index.dtypes.insert(t->entry.dtype);
        filled.insert(engine);
      }
    }
    return Status();
  };
  ATTN_TRY(plan_rows(table.body, true));
  ATTN_TRY(plan_rows(table.head, false));

  // Tensors nobody reads: the known buffers and tied copies silently, anything else reported.
  std::set<std::string> ignored;
  for (const char* pattern : table.ignored) {
    const bool per_layer = std::string(pattern).find("{i}") != std::string::npos;
    const int64_t n = per_layer ? std::max(config.num_layers, config.decoder_layers) : 1;
    for (int64_t i = 0; i < n; ++i)
      for (const std::string& c : candidates(replace_index(pattern, i), table.prefix, true)) ignored.insert(c);
  }
  std::vector<std::string> unused;
  for (const auto& kv : index.tensors)
    if (!index.used.count(kv.first) && !ignored.count(kv.first)) unused.push_back(kv.first);

  // 5. Memory, before allocating.
  const int64_t tokens = std::min<int64_t>(config.max_positions, kHfWorkingTokens);
  const int64_t bytes = hf_memory_estimate(config, tokens) + static_cast<int64_t>(index.largest);  // + staging, at most
  if (options.max_bytes > 0 && bytes > options.max_bytes)
    return Status::error("this model needs about " + std::to_string(bytes >> 20) + " MB to run (" +
                         std::to_string(config.parameter_count() / 1000000) + " million parameters), more than the " +
                         std::to_string(options.max_bytes >> 20) + " MB available");

  const auto finish = [&](HfLoaded* o) {
    o->config = config;
    o->dtype = index.dtypes.size() == 1 ? *index.dtypes.begin() : (index.dtypes.empty() ? "F32" : "mixed");
    o->unused = std::move(unused);
    o->bytes = bytes;
    o->max_tokens = options.max_bytes > 0
                        ? hf_max_tokens(config, options.max_bytes - static_cast<int64_t>(index.largest))
                        : config.max_positions;
  };
  if (options.check_only) {
    out->model.reset();
    finish(out);
    return Status();
  }

  // 6. Allocate, then fill every parameter from its source, one tensor at a time.
  auto model = std::make_unique<HfModel>(config);
  std::map<std::string, Param*> params;
  model->visit([&](const std::string& name, Param& p) { params[name] = &p; });
  // Staging buffers, allocated once at the largest size needed (and never zero-filled): bytes to convert (other
  // dtypes than F32) and float32 values to transpose. F32 tensors that keep their layout are read straight into
  // the parameter.
  uint64_t raw_bytes = 0, transposed = 0;
  for (const Planned& p : plan) {
    const SafetensorsEntry& e = p.source->entry;
    if (e.dtype != "F32") raw_bytes = std::max(raw_bytes, e.end - e.begin);
    if (p.fill == HfFill::kTranspose) transposed = std::max<uint64_t>(transposed, static_cast<uint64_t>(numel_of(e.shape)));
  }
  std::unique_ptr<char[]> raw(new char[raw_bytes]);
  std::unique_ptr<float[]> values(new float[transposed]);
  for (const Planned& p : plan) {
    const SafetensorsEntry& e = p.source->entry;
    const uint64_t bytes_in_file = e.end - e.begin, offset = p.source->data_start + e.begin;
    const size_t n = static_cast<size_t>(bytes_in_file / dtype_size(e.dtype));
    Tensor& dst = params.at(p.engine)->value;
    const size_t part = p.fill == HfFill::kK ? 1 : p.fill == HfFill::kV ? 2 : 0;  // kQ, kCopy: 0
    float* into = p.fill == HfFill::kTranspose ? values.get() : dst.ptr() + part * n;
    if (e.dtype == "F32") {
      ATTN_TRY(files.read(p.source->file, offset, bytes_in_file, reinterpret_cast<char*>(into)));
    } else {
      ATTN_TRY(files.read(p.source->file, offset, bytes_in_file, raw.get()));
      convert_to_f32(e.dtype, raw.get(), n, into);
    }
    if (p.fill == HfFill::kTranspose) {  // checkpoint [in, out] -> engine [out, in], in 32 x 32 blocks
      const int64_t in = e.shape[0], outs = e.shape[1];
      constexpr int64_t kBlock = 32;
      for (int64_t i0 = 0; i0 < in; i0 += kBlock)
        for (int64_t o0 = 0; o0 < outs; o0 += kBlock)
          for (int64_t i = i0; i < std::min(in, i0 + kBlock); ++i)
            for (int64_t o = o0; o < std::min(outs, o0 + kBlock); ++o) dst.data[static_cast<size_t>(o * in + i)] = into[i * outs + o];
    }
  }
  if (config.family == HfFamily::kMarian) {
    if (!filled.count("embed.positions")) model->positions.value = marian_sinusoids(config.max_positions, config.d_model);
    if (!filled.count("tgt_embed.positions"))
      model->tgt_positions.value = marian_sinusoids(config.max_positions, config.d_model);
  }

  out->model = std::move(model);
  finish(out);
  return Status();
}

}  // namespace attn
