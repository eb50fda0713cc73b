// PyTorch-style entry points: the functions a learner knows from torch, with its argument names, layouts and
// mask conventions, validating every input and answering with a Status that names the problem.
// The JavaScript API (engine/bindings) and the golden tests call these; nothing here knows about JS.
//
// Layouts, as in PyTorch:
//   - batch_first=false (PyTorch's default for nn.MultiheadAttention and the transformer layers): [L, B, E];
//     batch_first=true: [B, L, E]; 2-d inputs [L, E] are unbatched.
//   - returned attention weights are [B, L, S] (head-averaged) or [B, H, L, S] (per head), whatever batch_first.
// Mask conventions (beware: they differ between the two PyTorch APIs, and we follow each):
//   - scaled_dot_product_attention: a boolean attn_mask is True where the query MAY attend;
//   - nn.MultiheadAttention / transformer layers: boolean masks are True where attending is NOT allowed.
//   - float masks are added to the scores in both (use -inf to mask).
//   A query whose keys are all masked gets zero weights and a zero attention output (ops/softmax.h).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "models/transformer.h"

namespace attn {

using TensorMap = std::map<std::string, Tensor>;
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// A mask as a PyTorch user passes it. Boolean masks hold 0/1 in `values`.
struct MaskArg {
  Tensor values;
  bool is_bool = false;
  bool present() const { return !values.data.empty(); }
};

// Loads a state_dict into anything with visit(prefix, fn). Every parameter must be present with its exact shape;
// extra names are rejected. Messages name the parameter.
template <class Module>
Status load_state_dict(Module& m, const TensorMap& state, const std::string& prefix = "");
Status load_state_dict_visit(const std::function<void(const ParamVisitor&)>& visit_all, const TensorMap& state);

// ------------------------------------------------------------------------------------------------------------
// F.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal, scale) + our extensions.
struct SdpaArgs {
  Tensor query;         // [..., L, E]
  Tensor key;           // [..., S, E]
  Tensor value;         // [..., S, Ev]
  MaskArg attn_mask;    // broadcastable to [..., L, S]; bool: True = may attend
  float dropout_p = 0.0f;
  bool is_causal = false;
  ScoreScale scale;     // scale (0 = 1/sqrt(E)), on/off, temperature
  uint64_t seed = 0;    // dropout's generator
};
struct SdpaResult {
  Tensor output;   // [..., L, Ev]
  Tensor weights;  // [..., L, S] softmax weights (before dropout)
  Tensor dropped;  // [..., L, S] after dropout (dropout_p > 0 only)
  Tensor scores;   // [..., L, S] raw Q K^T
  Tensor scaled;   // [..., L, S] scaled scores
  Tensor mask;     // [..., L, S] the additive mask (empty when none)
};
Status scaled_dot_product_attention(const SdpaArgs& args, SdpaResult* result);

// ------------------------------------------------------------------------------------------------------------
// nn.MultiheadAttention(embed_dim, num_heads, dropout, bias, kdim, vdim, batch_first)(query, key, value,
//   key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal)
struct MhaArgs {
  MhaConfig config;
  bool batch_first = false;
  TensorMap params;           // state_dict: in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias, ...
  Tensor query, key, value;   // [L, B, E] / [B, L, E] / [L, E]
  MaskArg key_padding_mask;   // [B, S] (or [S] unbatched); bool: True = ignore this key
  MaskArg attn_mask;          // [L, S] or [B*H, L, S]; bool: True = not allowed
  bool need_weights = true;
  bool average_attn_weights = true;
  bool is_causal = false;     // adds a causal mask (in PyTorch it is only a hint; here it is applied)
  bool training = false;      // dropout on the weights when config.dropout > 0
  uint64_t seed = 0;
  bool record_scores = false; // keep raw and scaled scores in the trace
};
struct MhaResult {
  Tensor attn_output;          // same layout as query
  Tensor attn_output_weights;  // [B, L, S] or [B, H, L, S] (unbatched: without B); empty if !need_weights
  AttentionCache trace;        // batch-first internals: q, k, v [B, H, *, Dh], weights [B, H, L, S], ...
};
Status multihead_attention(const MhaArgs& args, MhaResult* result);

// ------------------------------------------------------------------------------------------------------------
// nn.TransformerEncoderLayer / nn.TransformerEncoder and their decoder twins. num_layers = 0 means a single
// layer with the state_dict names of the layer itself ("self_attn.in_proj_weight"); num_layers >= 1 means a
// stack with "layers.{i}." names and, when `norm` is set, a final LayerNorm "norm.weight", "norm.bias".
struct LayerArgs {
  LayerConfig config;
  int64_t num_layers = 0;
  bool norm = false;
  bool batch_first = false;
  TensorMap params;
  Tensor src;                     // encoder input, or the decoder's tgt: [L, B, E] / [B, L, E] / [L, E]
  Tensor memory;                  // decoder only: [S, B, E] / [B, S, E] / [S, E]
  MaskArg mask;                   // src_mask / tgt_mask: [L, L] or [B*H, L, L]; bool True = not allowed
  MaskArg key_padding_mask;       // src_key_padding_mask / tgt_key_padding_mask [B, L]
  MaskArg memory_mask;            // decoder: [L, S] or [B*H, L, S]
  MaskArg memory_key_padding_mask;// decoder: [B, S]
  bool is_causal = false;         // src/tgt causal mask
  bool training = false;
  uint64_t seed = 0;
  bool record_scores = false;
};
struct LayerResult {
  Tensor output;       // same layout as src
  NamedTensors trace;  // e.g. "layers.0.self_attn.weights" [B, H, L, S]; for a single layer "self_attn.weights"
};
Status transformer_encoder(const LayerArgs& args, LayerResult* result);
Status transformer_decoder(const LayerArgs& args, LayerResult* result);

// ------------------------------------------------------------------------------------------------------------
// Small helpers shared with the bindings and tests.
// [L, B, E] <-> [B, L, E] (swap the first two dimensions of a rank-3 tensor).
Tensor swap01(const Tensor& x);
// A boolean or float mask as an additive float mask. true_means_keep selects the SDPA convention.
Tensor additive_mask(const MaskArg& m, bool true_means_keep);

}  // namespace attn

// ------------------------------------------------------------------------------------------------ template body
namespace attn {
template <class Module>
Status load_state_dict(Module& m, const TensorMap& state, const std::string& prefix) {
  return load_state_dict_visit([&](const ParamVisitor& fn) { m.visit(prefix, fn); }, state);
}
}  // namespace attn
