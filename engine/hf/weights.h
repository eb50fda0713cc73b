// Hugging Face checkpoints into the engine: one table per family maps the checkpoint's tensor names onto the
// engine's parameters (engine/hf/model.h), and load_hf_model reads a model folder's files through it.
//
// A checkpoint carries more than the model needs, and each family names its tensors its own way:
//   - names with or without the base model's prefix ("transformer.", "bert.", "distilbert.", "model.");
//   - TF-era names LayerNorm.gamma / LayerNorm.beta for LayerNorm.weight / LayerNorm.bias;
//   - buffers that are not parameters: GPT-2's causal masks h.N.attn.bias and h.N.attn.masked_bias, position_ids
//     (stored as I64), and heads the engine does not run (BERT's pooler and next-sentence head);
//   - tied copies: lm_head.weight, cls.predictions.decoder.weight, vocab_projector.weight and Marian's
//     model.encoder/decoder.embed_tokens.weight repeat the token embedding the output layer reads;
//   - stored sinusoidal tables (Marian's embed_positions), which the engine otherwise computes.
// Every tensor the config requires must be present with the shape the config implies; each error names the
// tensor, the shape expected and the shape found. Weights may be stored as F32, F16 or BF16 (or F64); the engine
// computes in float32.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hf/model.h"

namespace attn {

// How a checkpoint tensor fills an engine parameter.
enum class HfFill {
  kCopy,       // the same layout
  kTranspose,  // GPT-2's Conv1D stores [in, out]; the engine's Linear is [out, in] (nn.Linear's layout)
  kQ, kK, kV,  // a separate query / key / value projection is one third of the engine's in_proj ([3E, E] or [3E])
};

// One row of a family's table.
struct HfWeight {
  const char* checkpoint;  // name in the checkpoint ("{i}" = layer index); "a|b": either name
  const char* shape;       // its shape in config sizes: V vocabulary, Vd decoder vocabulary, E width, 3E, F / Fd
                           // feed-forward widths, P positions, Tt token types, 1
  const char* engine;      // the engine parameter it fills (engine/hf/model.h)
  HfFill fill;
};

// The tables, in the order of each checkpoint (see weights.cpp). `body` names may carry the base model's prefix;
// `head` names never do. `ignored` lists the buffers and tied copies that are read by nothing.
struct HfFamilyTable {
  const char* prefix;                 // "transformer.", "bert.", "distilbert.", "model."
  std::vector<HfWeight> body;
  std::vector<HfWeight> head;         // the output head (absent in BertModel files: then the model has none)
  std::vector<const char*> ignored;   // "{i}" allowed
};
const HfFamilyTable& hf_family_table(HfFamily family);

// The files of a model folder: small ones (config.json, tokenizer files) are read whole, model.safetensors a
// range at a time, so a 500 MB checkpoint never sits in memory twice.
class HfFiles {
 public:
  virtual ~HfFiles() = default;
  virtual bool has(const std::string& name) const = 0;
  virtual uint64_t size(const std::string& name) const = 0;
  // Copies bytes [offset, offset + n) of a file into dst (the range is within the file).
  virtual Status read(const std::string& name, uint64_t offset, uint64_t n, char* dst) const = 0;
  virtual std::vector<std::string> names() const = 0;
  Status read_all(const std::string& name, std::string* out) const;
};

// Files held in memory (tests, tools): name -> bytes, which must outlive this object.
class HfFilesInMemory : public HfFiles {
 public:
  std::map<std::string, std::string_view> files;
  bool has(const std::string& name) const override { return files.count(name) > 0; }
  uint64_t size(const std::string& name) const override;
  Status read(const std::string& name, uint64_t offset, uint64_t n, char* dst) const override;
  std::vector<std::string> names() const override;
};

struct HfLoadOptions {
  // Only check (config.json, the safetensors headers, every tensor's name, dtype and shape, the memory) and fill
  // in everything but the model: the files' data is never read, so the weight files may be given by their first
  // bytes only (HfFiles::size must still be the whole file's). A page checks a model this way before reading it.
  bool check_only = false;
  // Refuse models whose parameters and working memory for a text of kHfWorkingTokens tokens would need more
  // than this many bytes (0: no limit). The check runs before anything is allocated.
  int64_t max_bytes = 0;
};

struct HfLoaded {
  std::unique_ptr<HfModel> model;     // null after check_only
  HfConfig config;
  std::string dtype;                  // of the stored weights: "F32", "F16", "BF16", or "mixed"
  std::vector<std::string> unused;    // checkpoint tensors the engine did not use (besides the known buffers)
  int64_t bytes = 0;                  // the memory estimate that max_bytes was checked against
  int64_t max_tokens = 0;             // the longest text that fits in max_bytes (the model's positions if none)
};

// The memory a model needs in the engine to run a text of T tokens: its parameters as float32, what every layer
// keeps (keys, values, attention weights) and one layer's working memory.
int64_t hf_memory_estimate(const HfConfig& config, int64_t T);
// The longest text (tokens, at most the model's positions) whose estimate fits in `available_bytes`.
int64_t hf_max_tokens(const HfConfig& config, int64_t available_bytes);
// A model is refused when it cannot run texts of this many tokens (or its positions, if fewer).
constexpr int64_t kHfWorkingTokens = 256;

// Reads config.json and model.safetensors (or model.safetensors.index.json and its shards). Everything is checked
// before the model is allocated; *out changes only on success.
Status load_hf_model(const HfFiles& files, const HfLoadOptions& options, HfLoaded* out);

}  // namespace attn
