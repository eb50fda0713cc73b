// Stacks of layers: nn.TransformerEncoder and nn.TransformerDecoder (N layers, then an optional final LayerNorm).
// The same masks go to every layer, as in PyTorch. Parameter names: "layers.{i}.*" and "norm.*".
#pragma once

#include <vector>

#include "layers/transformer_layers.h"

namespace attn {

// Head ablation of a whole stack: Hugging Face's head_mask (one row per layer) and, for mean ablation, what each
// removed head outputs instead (layers/multihead_attention.h HeadMask says how they act).
struct StackHeadMask {
  Tensor mask;  // [layers, H]       multiplies head h's attention weights in layer l; empty: no ablation
  Tensor mean;  // [layers, H, Dh]   replaces a removed head's output (its context vector); empty: zeros

  bool active() const { return !mask.data.empty(); }
  // Checks the shapes and values as a user gave them, under the name the user knows ("head_mask", with "head_mean"
  // for the mean). A mask of shape [H] applies to every layer (as in Hugging Face) and is expanded to [layers, H].
  // Values must be finite. A mean without a mask removes no head (it changes nothing).
  Status validate(const std::string& name, const std::string& mean_name, int64_t layers, int64_t heads,
                  int64_t head_dim);
  // Layer l's row, for AttnMasks::heads (empty when not active).
  HeadMask layer(size_t l) const;
  bool operator==(const StackHeadMask& o) const;  // the same shapes and bits
};

// A model's head ablation, by Hugging Face's names: head_mask is the encoder's (or the only stack's: decoder-only
// models, GPT-2, BERT), decoder_head_mask the decoder's self-attention and cross_attn_head_mask its
// cross-attention (encoder-decoder models).
struct HeadMasks {
  StackHeadMask head_mask, decoder_head_mask, cross_attn_head_mask;
  bool any() const { return head_mask.active() || decoder_head_mask.active() || cross_attn_head_mask.active(); }
  bool operator==(const HeadMasks& o) const;
};

struct EncoderCache {
  std::vector<EncoderLayerCache> layers;
  Tensor norm_input;  // [B, L, E] input of the final norm (empty without one)
  NormCache norm;     // the final norm (empty without one)
  Tensor output;   // [B, L, E]
};

struct DecoderCache {
  std::vector<DecoderLayerCache> layers;
  Tensor norm_input;
  NormCache norm;
  Tensor output;   // [B, L, E]
};

class TransformerEncoder {
 public:
  TransformerEncoder() = default;
  TransformerEncoder(const LayerConfig& layer, int64_t num_layers, bool final_norm);

  std::vector<TransformerEncoderLayer> layers;
  bool has_norm = false;
  LayerNorm norm;

  void reset_parameters(Rng& rng);
  void visit(const std::string& prefix, const ParamVisitor& fn);
  // x [B, L, E] -> cache.output [B, L, E]. heads: head ablation, one row per layer (null or inactive: none).
  const Tensor& forward(EncoderCache& cache, const Tensor& x, const AttnMasks& masks, const ForwardContext& ctx,
                        const StackHeadMask* heads = nullptr) const;
  // dx [B, L, E] += ...; parameter grads accumulate. Layers in reverse order.
  void backward(Tensor& dx, const Tensor& doutput, const EncoderCache& cache);
};

class TransformerDecoder {
 public:
  TransformerDecoder() = default;
  TransformerDecoder(const LayerConfig& layer, int64_t num_layers, bool final_norm);

  std::vector<TransformerDecoderLayer> layers;
  bool has_norm = false;
  LayerNorm norm;

  void reset_parameters(Rng& rng);
  void visit(const std::string& prefix, const ParamVisitor& fn);
  // x [B, L, E], memory [B, S, E] -> cache.output [B, L, E]. self_heads, cross_heads: head ablation of the
  // self-attention and the cross-attention, one row per layer (null or inactive: none).
  const Tensor& forward(DecoderCache& cache, const Tensor& x, const Tensor& memory, const AttnMasks& tgt_masks,
                        const AttnMasks& memory_masks, const ForwardContext& ctx,
                        const StackHeadMask* self_heads = nullptr, const StackHeadMask* cross_heads = nullptr) const;
  // dx [B, L, E] += ..., dmemory [B, S, E] += ... (every layer reads the memory); parameter grads accumulate.
  void backward(Tensor& dx, Tensor& dmemory, const Tensor& doutput, const DecoderCache& cache, const Tensor& memory);
};

void visit_trace(const EncoderCache& c, const std::string& prefix, const TraceFn& fn);
void visit_trace(const DecoderCache& c, const std::string& prefix, const TraceFn& fn);

}  // namespace attn
