#include "models/transformer.h"

#include <cmath>
#include <cstring>

namespace attn {

// ------------------------------------------------------------------------------------------------- head masks

Status StackHeadMask::validate(const std::string& name, const std::string& mean_name, int64_t layers, int64_t heads,
                               int64_t head_dim) {
  const std::string sizes = std::to_string(layers) + " layers of " + std::to_string(heads) + " heads";
  if (active() && mask.shape == Shape{heads}) {  // one row for every layer, as Hugging Face's get_head_mask expands it
    Tensor rows({layers, heads});
    for (int64_t l = 0; l < layers; ++l) std::copy(mask.data.begin(), mask.data.end(), rows.ptr() + l * heads);
    mask = std::move(rows);
  }
  if (active() && mask.shape != Shape{layers, heads})
    return Status::error(name + " has shape " + shape_str(mask.shape) + " but the model has " + sizes + ": give " +
                         shape_str({layers, heads}) + " (or " + shape_str({heads}) + " for every layer)");
  for (size_t i = 0; i < mask.data.size(); ++i)
    if (!std::isfinite(mask.data[i]))
      return Status::error(name + "[" + std::to_string(i / static_cast<size_t>(heads)) + "][" +
                           std::to_string(i % static_cast<size_t>(heads)) + "] is " + std::to_string(mask.data[i]) +
                           ": every value must be a finite number (1 keeps a head, 0 removes it)");
  if (mean.data.empty()) return Status();
  if (mean.shape != Shape{layers, heads, head_dim})
    return Status::error(mean_name + " has shape " + shape_str(mean.shape) + " but the model has " + sizes + " of " +
                         std::to_string(head_dim) + " dimensions: give " + shape_str({layers, heads, head_dim}));
  for (float v : mean.data)
    if (!std::isfinite(v)) return Status::error(mean_name + " holds " + std::to_string(v) + ": every value must be finite");
  return Status();
}

HeadMask StackHeadMask::layer(size_t l) const {
  HeadMask h;
  if (!active()) return h;
  const int64_t H = mask.dim(1);
  h.scale = mask.ptr() + static_cast<int64_t>(l) * H;
  if (!mean.data.empty()) h.mean = mean.ptr() + static_cast<int64_t>(l) * H * mean.dim(2);
  return h;
}

namespace {
bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape == b.shape && (a.data.empty() || std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0);
}
// masks with layer l's head ablation.
AttnMasks for_layer(const AttnMasks& masks, const StackHeadMask* heads, size_t l) {
  AttnMasks m = masks;
  if (heads) m.heads = heads->layer(l);
  return m;
}
// What a layer keeps with ForwardContext::attention_only: attention weights, masks, keys and values.
void keep_attention_only(AttentionCache& a) {
  for (Tensor* t : {&a.q, &a.scores, &a.scaled, &a.dropped, &a.keep, &a.heads, &a.concat, &a.output}) *t = Tensor();
}
void keep_attention_only(FeedForwardCache& f) {
  for (Tensor* t : {&f.pre, &f.hidden, &f.keep, &f.output}) *t = Tensor();
}
void keep_attention_only(EncoderLayerCache& c) {
  for (Tensor* t : {&c.input, &c.keep1, &c.keep2, &c.resid1, &c.resid2, &c.output}) *t = Tensor();
  c.norm1 = c.norm2 = NormCache();
  keep_attention_only(c.self_attn);
  keep_attention_only(c.ff);
}
void keep_attention_only(DecoderLayerCache& c) {
  for (Tensor* t : {&c.input, &c.keep1, &c.keep2, &c.keep3, &c.resid1, &c.resid2, &c.resid3, &c.output}) *t = Tensor();
  c.norm1 = c.norm2 = c.norm3 = NormCache();
  keep_attention_only(c.self_attn);
  keep_attention_only(c.multihead_attn);
  keep_attention_only(c.ff);
}

// The running hidden state after layer l: the layer's output, moved out of its cache when that cache is trimmed.
template <class LayerCache>
const Tensor* after_layer(LayerCache& c, Tensor& carried, const ForwardContext& ctx) {
  if (!ctx.attention_only) return &c.output;
  carried = std::move(c.output);
  keep_attention_only(c);
  return &carried;
}

// The final norm (when the stack has one) and the output; with attention_only the norm's cache is not kept.
template <class Cache>
const Tensor& finish_stack(Cache& c, const Tensor* h, bool has_norm, const LayerNorm& norm, const ForwardContext& ctx) {
  if (has_norm) {
    c.norm_input = *h;
    h = &norm.forward(c.norm, c.norm_input);
  }
  c.output = *h;
  if (ctx.attention_only) {
    c.norm_input = Tensor();
    c.norm = NormCache();
  }
  return c.output;
}
}  // namespace

bool StackHeadMask::operator==(const StackHeadMask& o) const { return same_bits(mask, o.mask) && same_bits(mean, o.mean); }

bool HeadMasks::operator==(const HeadMasks& o) const {
  return head_mask == o.head_mask && decoder_head_mask == o.decoder_head_mask &&
         cross_attn_head_mask == o.cross_attn_head_mask;
}

// ------------------------------------------------------------------------------------------------------ stacks

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
                                          const ForwardContext& ctx, const StackHeadMask* heads) const {
  c.layers.resize(layers.size());
  const Tensor* h = &x;
  Tensor carried;
  for (size_t i = 0; i < layers.size(); ++i) {
    layers[i].forward(c.layers[i], *h, for_layer(masks, heads, i), ctx);
    h = after_layer(c.layers[i], carried, ctx);
  }
  return finish_stack(c, h, has_norm, norm, ctx);
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
                                          const ForwardContext& ctx, const StackHeadMask* self_heads,
                                          const StackHeadMask* cross_heads) const {
  c.layers.resize(layers.size());
  const Tensor* h = &x;
  Tensor carried;
  for (size_t i = 0; i < layers.size(); ++i) {
    layers[i].forward(c.layers[i], *h, memory, for_layer(tgt_masks, self_heads, i), for_layer(memory_masks, cross_heads, i),
                      ctx);
    h = after_layer(c.layers[i], carried, ctx);
  }
  return finish_stack(c, h, has_norm, norm, ctx);
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
