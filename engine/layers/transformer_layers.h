// nn.TransformerEncoderLayer and nn.TransformerDecoderLayer, with the same sub-modules, names and order.
//
// Encoder layer, x [B, L, E]:
//   norm_first=false (post-norm, the 2017 paper):  x = norm1(x + sa(x));        x = norm2(x + ff(x))
//   norm_first=true  (pre-norm):                   x = x + sa(norm1(x));        x = x + ff(norm2(x))
// Decoder layer, x [B, L, E], memory [B, S, E]:
//   post-norm:  x = norm1(x + sa(x));  x = norm2(x + ca(x, memory));  x = norm3(x + ff(x))
//   pre-norm:   x = x + sa(norm1(x));  x = x + ca(norm2(x), memory);  x = x + ff(norm3(x))
// where sa = dropout1(self_attn), ca = dropout2(multihead_attn), ff = dropout_last(linear2(dropout(act(linear1)))).
#pragma once

#include "layers/multihead_attention.h"
#include "ops/activation.h"

namespace attn {

struct LayerConfig {
  int64_t d_model = 0;
  int64_t nhead = 1;
  int64_t dim_feedforward = 2048;
  float dropout = 0.1f;
  Activation activation = Activation::kRelu;
  float layer_norm_eps = 1e-5f;
  bool norm_first = false;
  bool bias = true;
  ScoreScale score_scale;  // passed to every attention block of the layer

  MhaConfig attention() const;  // the self/cross-attention config of this layer
  Status validate() const;
};

// Position-wise feed-forward network: linear2(dropout(act(linear1(x)))), applied to each token alone.
struct FeedForwardCache {
  Tensor pre;     // [B, L, F]  linear1 output
  Tensor hidden;  // [B, L, F]  after the activation and dropout
  Tensor keep;    // [B, L, F]  dropout multipliers (training with dropout only)
  Tensor output;  // [B, L, E]  linear2 output
};

struct EncoderLayerCache {
  Tensor input;              // [B, L, E]
  NormCache norm1, norm2;
  AttentionCache self_attn;
  Tensor keep1, keep2;       // [B, L, E] dropout1 / dropout2 multipliers (training only)
  Tensor resid1;             // [B, L, E] input + dropout1(self-attention)
  Tensor resid2;             // [B, L, E] (input of norm2 in post-norm) + dropout2(feed-forward)
  FeedForwardCache ff;
  Tensor output;             // [B, L, E]
};

struct DecoderLayerCache {
  Tensor input;                       // [B, L, E]
  NormCache norm1, norm2, norm3;
  AttentionCache self_attn;           // [B, H, L, L]
  AttentionCache multihead_attn;      // [B, H, L, S]  cross-attention over the memory
  Tensor keep1, keep2, keep3;
  Tensor resid1, resid2, resid3;      // [B, L, E] after each residual addition
  FeedForwardCache ff;
  Tensor output;                      // [B, L, E]
};

using TraceFn = std::function<void(const std::string&, const Tensor&)>;

class TransformerEncoderLayer {
 public:
  TransformerEncoderLayer() = default;
  explicit TransformerEncoderLayer(const LayerConfig& config);  // config must validate

  LayerConfig config;
  MultiheadAttention self_attn;
  Linear linear1, linear2;  // [F, E], [E, F]
  LayerNorm norm1, norm2;

  void reset_parameters(Rng& rng);
  void visit(const std::string& prefix, const ParamVisitor& fn);
  // x [B, L, E] -> returns cache.output [B, L, E]
  const Tensor& forward(EncoderLayerCache& cache, const Tensor& x, const AttnMasks& masks,
                        const ForwardContext& ctx) const;
  // dx [B, L, E] += d output / d x applied to doutput; parameter grads accumulate. Needs the forward's cache.
  void backward(Tensor& dx, const Tensor& doutput, const EncoderLayerCache& cache);
};

class TransformerDecoderLayer {
 public:
  TransformerDecoderLayer() = default;
  explicit TransformerDecoderLayer(const LayerConfig& config);

  LayerConfig config;
  MultiheadAttention self_attn, multihead_attn;
  Linear linear1, linear2;
  LayerNorm norm1, norm2, norm3;

  void reset_parameters(Rng& rng);
  void visit(const std::string& prefix, const ParamVisitor& fn);
  // x [B, L, E], memory [B, S, E] -> returns cache.output [B, L, E]
  const Tensor& forward(DecoderLayerCache& cache, const Tensor& x, const Tensor& memory, const AttnMasks& tgt_masks,
                        const AttnMasks& memory_masks, const ForwardContext& ctx) const;
  // dx [B, L, E] += ..., dmemory [B, S, E] += ...; parameter grads accumulate.
  void backward(Tensor& dx, Tensor& dmemory, const Tensor& doutput, const DecoderLayerCache& cache,
                const Tensor& memory);
};

// A layer cache's entries for the Trace, in the order they are computed: "input", "norm1.out" / ".mean" /
// ".rstd" (per token), "self_attn.q" ... "self_attn.output", "resid1", "norm2.*", ["multihead_attn.*", "resid2",
// "norm3.*" for a decoder], "ff.pre" (linear1), "ff.hidden" (after the activation), "ff.output", the last
// residual sum and "output". Post-norm and pre-norm use the same names; what each norm normalizes differs.
void visit_trace(const EncoderLayerCache& c, const std::string& prefix, const TraceFn& fn);
void visit_trace(const DecoderLayerCache& c, const std::string& prefix, const TraceFn& fn);

}  // namespace attn
