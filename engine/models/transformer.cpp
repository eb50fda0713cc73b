#include "models/transformer.h"

namespace attn {

// Layers are built one by one (a vector's fill constructor would also build a prototype layer: a full
// layer's memory even for num_layers = 0).
TransformerEncoder::TransformerEncoder(const LayerConfig& layer, int64_t num_layers, bool final_norm_)
    : has_norm(final_norm_), norm(layer.d_model, layer.layer_norm_eps) {
  layers.reserve(static_cast<size_t>(num_layers));
  for (int64_t i = 0; i < num_layers; ++i) layers.emplace_back(layer);
}

void TransformerEncoder::reset_parameters(Rng& rng) {
  for (auto& l : layers) l.reset_parameters(rng);
  norm.reset_parameters();
}

void TransformerEncoder::visit(const std::string& prefix, const ParamVisitor& fn) {
  for (size_t i = 0; i < layers.size(); ++i) layers[i].visit(prefix + "layers." + std::to_string(i) + ".", fn);
  if (has_norm) norm.visit(prefix + "norm.", fn);
}

const Tensor& TransformerEncoder::forward(EncoderCache& c, const Tensor& x, const AttnMasks& masks,
                                          const ForwardContext& ctx) const {
  c.layers.resize(layers.size());
  const Tensor* h = &x;
  for (size_t i = 0; i < layers.size(); ++i) h = &layers[i].forward(c.layers[i], *h, masks, ctx);
  if (has_norm) {
    c.norm_input = *h;
    h = &norm.forward(c.norm, c.norm_input);
  }
  c.output = *h;
  return c.output;
}

void TransformerEncoder::backward(Tensor& dx, const Tensor& dy, const EncoderCache& c) {
  Tensor d = dy;  // gradient flowing down the stack
  if (has_norm) {
    Tensor dn(dy.shape, 0.0f);
    norm.backward(dn, dy, c.norm_input, c.norm);
    d = std::move(dn);
  }
  for (size_t i = layers.size(); i-- > 0;) {
    Tensor din(d.shape, 0.0f);
    layers[i].backward(din, d, c.layers[i]);
    d = std::move(din);
  }
  dx.mat() += d.mat();
}

TransformerDecoder::TransformerDecoder(const LayerConfig& layer, int64_t num_layers, bool final_norm_)
    : has_norm(final_norm_), norm(layer.d_model, layer.layer_norm_eps) {
  layers.reserve(static_cast<size_t>(num_layers));
  for (int64_t i = 0; i < num_layers; ++i) layers.emplace_back(layer);
}

void TransformerDecoder::reset_parameters(Rng& rng) {
  for (auto& l : layers) l.reset_parameters(rng);
  norm.reset_parameters();
}

void TransformerDecoder::visit(const std::string& prefix, const ParamVisitor& fn) {
  for (size_t i = 0; i < layers.size(); ++i) layers[i].visit(prefix + "layers." + std::to_string(i) + ".", fn);
  if (has_norm) norm.visit(prefix + "norm.", fn);
}

const Tensor& TransformerDecoder::forward(DecoderCache& c, const Tensor& x, const Tensor& memory,
                                          const AttnMasks& tgt_masks, const AttnMasks& memory_masks,
                                          const ForwardContext& ctx) const {
  c.layers.resize(layers.size());
  const Tensor* h = &x;
  for (size_t i = 0; i < layers.size(); ++i)
    h = &layers[i].forward(c.layers[i], *h, memory, tgt_masks, memory_masks, ctx);
  if (has_norm) {
    c.norm_input = *h;
    h = &norm.forward(c.norm, c.norm_input);
  }
  c.output = *h;
  return c.output;
}

void TransformerDecoder::backward(Tensor& dx, Tensor& dmemory, const Tensor& dy, const DecoderCache& c,
                                  const Tensor& memory) {
  Tensor d = dy;
  if (has_norm) {
    Tensor dn(dy.shape, 0.0f);
    norm.backward(dn, dy, c.norm_input, c.norm);
    d = std::move(dn);
  }
  for (size_t i = layers.size(); i-- > 0;) {
    Tensor din(d.shape, 0.0f);
    layers[i].backward(din, dmemory, d, c.layers[i], memory);
    d = std::move(din);
  }
  dx.mat() += d.mat();
}

void visit_trace(const EncoderCache& c, const std::string& prefix, const TraceFn& fn) {
  for (size_t i = 0; i < c.layers.size(); ++i) visit_trace(c.layers[i], prefix + "layers." + std::to_string(i) + ".", fn);
  fn(prefix + "output", c.output);
}

void visit_trace(const DecoderCache& c, const std::string& prefix, const TraceFn& fn) {
  for (size_t i = 0; i < c.layers.size(); ++i) visit_trace(c.layers[i], prefix + "layers." + std::to_string(i) + ".", fn);
  fn(prefix + "output", c.output);
}

}  // namespace attn
