// Multi-head attention with the parameters, names and semantics of torch.nn.MultiheadAttention.
//
//   Q = query Wq^T + bq,  K = key Wk^T + bk,  V = value Wv^T + bv          [B, L|S, E]
//   split E into H heads of Dh = E / H; for each batch b and head h:
//       heads[b, h] = attention(Q[b, :, h], K[b, :, h], V[b, :, h], mask[b, h])   (ops/attention.h)
//   concat the heads back to [B, L, E];  output = concat Wo^T + bo
//
// Parameters (PyTorch state_dict names):
//   in_proj_weight [3E, E]      rows [0,E) = Wq, [E,2E) = Wk, [2E,3E) = Wv   (when kdim == vdim == E)
//   q_proj_weight [E, E], k_proj_weight [E, kdim], v_proj_weight [E, vdim]  (instead, when they differ)
//   in_proj_bias [3E], out_proj.weight [E, E], out_proj.bias [E]            (biases only when bias=true)
// Not supported: add_bias_kv, add_zero_attn.
#pragma once

#include "layers/basic.h"
#include "ops/attention.h"

namespace attn {

struct MhaConfig {
  int64_t embed_dim = 0;
  int64_t num_heads = 1;
  int64_t kdim = 0;  // 0 means embed_dim
  int64_t vdim = 0;  // 0 means embed_dim
  bool bias = true;
  float dropout = 0.0f;     // on the attention weights, in training only
  ScoreScale score_scale;   // 1/sqrt(Dh) by default (our teaching extension: off, custom, temperature)

  int64_t key_dim() const { return kdim ? kdim : embed_dim; }
  int64_t value_dim() const { return vdim ? vdim : embed_dim; }
  int64_t head_dim() const { return embed_dim / num_heads; }
  bool same_embed_dim() const { return key_dim() == embed_dim && value_dim() == embed_dim; }
  Status validate() const;
};

// Head ablation of one attention call: Hugging Face's head_mask (one layer's row), and mean ablation. For head h
// with m = scale[h], after the softmax:
//   weights[b, h] *= m                                   (the Trace shows these, as HF's output_attentions do)
//   heads[b, h]    = m * (softmax V) + (1 - m) * mean[h]  (mean [Dh]; without `mean`, zeros)
// so m = 1 keeps the head, m = 0 removes its contribution (zero ablation, or mean ablation with `mean`), and a
// fraction scales it. Inference only: a backward pass assumes no ablation (the trainer never sets one).
struct HeadMask {
  const float* scale = nullptr;  // [H]      null: every head kept (the unablated path, unchanged)
  const float* mean = nullptr;   // [H, Dh]  what a removed head outputs instead; null: zeros
};

// Applies head ablation to one (batch, head) slice: weights [rows, S] *= m; heads [rows, Dh] = m heads + (1 - m)
// mean (mean [Dh] or null). m = 1 changes nothing (not a bit).
void ablate_head(float* weights, float* heads, float m, const float* mean, int64_t rows, int64_t S, int64_t Dh);

// Masks of one attention call. Every mask is additive: 0 keeps a key, -inf removes it, other values are added
// to the scores. (Boolean masks are converted at the API boundary, see models/api.h.) The head mask is not a
// mask of the scores: it scales each head's weights after the softmax (HeadMask).
struct AttnMasks {
  const Tensor* attn_mask = nullptr;         // [L, S] or [B*H, L, S]
  const Tensor* key_padding_mask = nullptr;  // [B, S]
  bool causal = false;                       // also remove every key j > query i
  HeadMask heads;                            // head ablation (stacks set one row per layer)
  bool any() const { return attn_mask || key_padding_mask || causal; }
};

// Everything one attention call computed, by name: the Trace of this block (what the page shows) and the
// cache of its backward pass. Shapes for query [B, L, E] and key/value [B, S, *].
struct AttentionCache {
  Tensor q;        // [B, H, L, Dh]  projected queries, one matrix per head
  Tensor k;        // [B, H, S, Dh]  projected keys
  Tensor v;        // [B, H, S, Dh]  projected values
  Tensor scores;   // [B, H, L, S]   raw Q K^T               (only with ForwardContext::record_scores)
  Tensor scaled;   // [B, H, L, S]   Q K^T * scale / temp    (only with ForwardContext::record_scores)
  Tensor mask;     // [B, Hm, L, S]  the combined additive mask (empty when there is none); Hm = H when the
                   //                mask differs per head (a [B*H, L, S] attn_mask), else 1 (same for all heads)
  Tensor weights;  // [B, H, L, S]   softmax weights: rows sum to 1, or are all 0 when fully masked
  Tensor dropped;  // [B, H, L, S]   weights after dropout    (training with dropout only)
  Tensor keep;     // [B, H, L, S]   dropout multipliers      (training with dropout only)
  Tensor heads;    // [B, H, L, Dh]  per-head outputs: weights @ V
  Tensor concat;   // [B, L, E]      heads side by side, the input of out_proj
  Tensor output;   // [B, L, E]      concat Wo^T + bo

  // Calls fn(name, tensor) for each non-empty entry: "q", "k", "v", "scores", ...
  void visit(const std::string& prefix, const std::function<void(const std::string&, const Tensor&)>& fn) const;
};

class MultiheadAttention {
 public:
  MultiheadAttention() = default;
  explicit MultiheadAttention(const MhaConfig& config);  // config must validate

  MhaConfig config;
  Param in_proj_weight;                               // [3E, E]   (same_embed_dim)
  Param q_proj_weight, k_proj_weight, v_proj_weight;  // [E, E], [E, kdim], [E, vdim] (otherwise)
  Param in_proj_bias;                                 // [3E]      (bias)
  Linear out_proj;                                    // [E, E] + [E]

  // nn.MultiheadAttention._reset_parameters: xavier_uniform on the input projections, zero biases,
  // out_proj.weight ~ U(-1/sqrt(E), 1/sqrt(E)).
  void reset_parameters(Rng& rng);
  void visit(const std::string& prefix, const ParamVisitor& fn);

  // query [B, L, E], key [B, S, kdim], value [B, S, vdim] -> returns cache.output [B, L, E].
  // Shapes must already be validated (models/functional.h does it for user input).
  const Tensor& forward(AttentionCache& cache, const Tensor& query, const Tensor& key, const Tensor& value,
                        const AttnMasks& masks, const ForwardContext& ctx) const;

  // In the forward pass this was: output = forward(query, key, value). Given d output [B, L, E]:
  // dquery [B, L, E] += ..., dkey [B, S, kdim] += ..., dvalue [B, S, vdim] += ... (null: not needed; they may
  // be the same tensor for self-attention), and every parameter's grad accumulates.
  void backward(Tensor* dquery, Tensor* dkey, Tensor* dvalue, const Tensor& doutput, const AttentionCache& cache,
                const Tensor& query, const Tensor& key, const Tensor& value);
};

// Head-averaged weights [B, L, S] from per-head weights [B, H, L, S] (average_attn_weights=True).
Tensor mean_over_heads(const Tensor& weights);

}  // namespace attn
