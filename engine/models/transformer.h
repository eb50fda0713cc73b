// Stacks of layers: nn.TransformerEncoder and nn.TransformerDecoder (N layers, then an optional final LayerNorm).
// The same masks go to every layer, as in PyTorch. Parameter names: "layers.{i}.*" and "norm.*".
#pragma once

#include <vector>

#include "layers/transformer_layers.h"

namespace attn {

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
  // x [B, L, E] -> cache.output [B, L, E]
  const Tensor& forward(EncoderCache& cache, const Tensor& x, const AttnMasks& masks, const ForwardContext& ctx) const;
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
  // x [B, L, E], memory [B, S, E] -> cache.output [B, L, E]
  const Tensor& forward(DecoderCache& cache, const Tensor& x, const Tensor& memory, const AttnMasks& tgt_masks,
                        const AttnMasks& memory_masks, const ForwardContext& ctx) const;
  // dx [B, L, E] += ..., dmemory [B, S, E] += ... (every layer reads the memory); parameter grads accumulate.
  void backward(Tensor& dx, Tensor& dmemory, const Tensor& doutput, const DecoderCache& cache, const Tensor& memory);
};

void visit_trace(const EncoderCache& c, const std::string& prefix, const TraceFn& fn);
void visit_trace(const DecoderCache& c, const std::string& prefix, const TraceFn& fn);

}  // namespace attn
