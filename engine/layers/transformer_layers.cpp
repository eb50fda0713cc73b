#include "layers/transformer_layers.h"

#include <cmath>

#include "ops/dropout.h"

namespace attn {

MhaConfig LayerConfig::attention() const {
  MhaConfig m;
  m.embed_dim = d_model;
  m.num_heads = nhead;
  m.bias = bias;
  m.dropout = dropout;
  m.score_scale = score_scale;
  return m;
}

Status LayerConfig::validate() const {
  if (d_model <= 0) return Status::error("d_model must be positive, got " + std::to_string(d_model));
  if (nhead <= 0) return Status::error("nhead must be positive, got " + std::to_string(nhead));
  if (d_model % nhead != 0)
    return Status::error("d_model (" + std::to_string(d_model) + ") must be divisible by nhead (" +
                         std::to_string(nhead) + ")");
  if (dim_feedforward <= 0) return Status::error("dim_feedforward must be positive");
  if (!(layer_norm_eps > 0.0f) || !std::isfinite(layer_norm_eps)) return Status::error("layer_norm_eps must be a positive number");
  return attention().validate();
}

namespace {

// out = x + dropout(sub): the residual connection around a sub-block. keep records the dropout.
void add_residual(Tensor& out, Tensor& keep, const Tensor& x, const Tensor& sub, float p, const ForwardContext& ctx) {
  out = sub;
  if (ctx.dropout_active(p)) {
    keep.resize(sub.shape);
    dropout_forward(out.ptr(), keep.ptr(), out.ptr(), out.numel(), p, *ctx.rng);
  } else {
    keep = Tensor();
  }
  out.mat() += x.mat();
}

void feed_forward(FeedForwardCache& c, const Linear& linear1, const Linear& linear2, Activation act, float p,
                  const Tensor& x, const ForwardContext& ctx) {
  const int64_t F = linear1.out_features();
  Shape hidden_shape = x.shape;
  hidden_shape.back() = F;
  const int64_t N = x.numel() / x.dim(-1);
  c.pre.resize(hidden_shape);
  linear1.forward(c.pre.ptr(), x.ptr(), N);
  c.hidden.resize(hidden_shape);
  activation_forward(c.hidden.ptr(), c.pre.ptr(), c.pre.numel(), act);
  if (ctx.dropout_active(p)) {
    c.keep.resize(hidden_shape);
    dropout_forward(c.hidden.ptr(), c.keep.ptr(), c.hidden.ptr(), c.hidden.numel(), p, *ctx.rng);
  } else {
    c.keep = Tensor();
  }
  c.output.resize(x.shape);
  linear2.forward(c.output.ptr(), c.hidden.ptr(), N);
}

// In the forward pass this was: output = linear2(dropout(act(linear1(x)))).   dx += ...
void feed_forward_backward(Tensor& dx, Linear& linear1, Linear& linear2, Activation act, const Tensor& doutput,
                           const FeedForwardCache& c, const Tensor& x) {
  const int64_t N = x.numel() / x.dim(-1);
  Tensor dhidden(c.hidden.shape, 0.0f);
  linear2.backward(dhidden.ptr(), doutput.ptr(), c.hidden.ptr(), N);
  if (!c.keep.data.empty()) dhidden.mat().array() *= c.keep.mat().array();  // through the dropout
  Tensor dpre(c.pre.shape, 0.0f);
  activation_backward(dpre.ptr(), dhidden.ptr(), c.pre.ptr(), dpre.numel(), act);
  linear1.backward(dx.ptr(), dpre.ptr(), x.ptr(), N);
}

// In the forward pass this was: out = x + dropout(sub).  dx += dout;  returns d sub = dout * keep.
Tensor residual_backward(Tensor& dx, const Tensor& dout, const Tensor& keep) {
  dx.mat() += dout.mat();
  Tensor dsub = dout;
  if (!keep.data.empty()) dsub.mat().array() *= keep.mat().array();
  return dsub;
}

}  // namespace

// ---------------------------------------------------------------------------------------------- encoder layer

TransformerEncoderLayer::TransformerEncoderLayer(const LayerConfig& c)
    : config(c),
      self_attn(c.attention()),
      linear1(c.d_model, c.dim_feedforward, c.bias),
      linear2(c.dim_feedforward, c.d_model, c.bias),
      norm1(c.d_model, c.layer_norm_eps),
      norm2(c.d_model, c.layer_norm_eps) {}

void TransformerEncoderLayer::reset_parameters(Rng& rng) {
  self_attn.reset_parameters(rng);
  linear1.reset_parameters(rng);
  linear2.reset_parameters(rng);
  norm1.reset_parameters();
  norm2.reset_parameters();
}

void TransformerEncoderLayer::visit(const std::string& prefix, const ParamVisitor& fn) {
  self_attn.visit(prefix + "self_attn.", fn);
  linear1.visit(prefix + "linear1.", fn);
  linear2.visit(prefix + "linear2.", fn);
  norm1.visit(prefix + "norm1.", fn);
  norm2.visit(prefix + "norm2.", fn);
}

const Tensor& TransformerEncoderLayer::forward(EncoderLayerCache& c, const Tensor& x, const AttnMasks& masks,
                                               const ForwardContext& ctx) const {
  const float p = config.dropout;
  c.input = x;
  if (config.norm_first) {
    norm1.forward(c.norm1, x);
    self_attn.forward(c.self_attn, c.norm1.out, c.norm1.out, c.norm1.out, masks, ctx);
    add_residual(c.resid1, c.keep1, x, c.self_attn.output, p, ctx);
    norm2.forward(c.norm2, c.resid1);
    feed_forward(c.ff, linear1, linear2, config.activation, p, c.norm2.out, ctx);
    add_residual(c.resid2, c.keep2, c.resid1, c.ff.output, p, ctx);
    c.output = c.resid2;
  } else {
    self_attn.forward(c.self_attn, x, x, x, masks, ctx);
    add_residual(c.resid1, c.keep1, x, c.self_attn.output, p, ctx);
    norm1.forward(c.norm1, c.resid1);
    feed_forward(c.ff, linear1, linear2, config.activation, p, c.norm1.out, ctx);
    add_residual(c.resid2, c.keep2, c.norm1.out, c.ff.output, p, ctx);
    norm2.forward(c.norm2, c.resid2);
    c.output = c.norm2.out;
  }
  return c.output;
}

void TransformerEncoderLayer::backward(Tensor& dx, const Tensor& dy, const EncoderLayerCache& c) {
  const Tensor& x = c.input;
  if (config.norm_first) {
    // y = r1 + dropout2(ff(norm2(r1))),  r1 = x + dropout1(sa(norm1(x)))
    Tensor dr1(x.shape, 0.0f);
    Tensor dff = residual_backward(dr1, dy, c.keep2);
    Tensor dn2(x.shape, 0.0f);
    feed_forward_backward(dn2, linear1, linear2, config.activation, dff, c.ff, c.norm2.out);
    norm2.backward(dr1, dn2, c.resid1, c.norm2);
    Tensor dsa = residual_backward(dx, dr1, c.keep1);
    Tensor dn1(x.shape, 0.0f);
    self_attn.backward(&dn1, &dn1, &dn1, dsa, c.self_attn, c.norm1.out, c.norm1.out, c.norm1.out);
    norm1.backward(dx, dn1, x, c.norm1);
  } else {
    // y = norm2(n1 + dropout2(ff(n1))),  n1 = norm1(x + dropout1(sa(x)))
    Tensor dr2(x.shape, 0.0f);
    norm2.backward(dr2, dy, c.resid2, c.norm2);
    Tensor dn1(x.shape, 0.0f);
    Tensor dff = residual_backward(dn1, dr2, c.keep2);
    feed_forward_backward(dn1, linear1, linear2, config.activation, dff, c.ff, c.norm1.out);
    Tensor dr1(x.shape, 0.0f);
    norm1.backward(dr1, dn1, c.resid1, c.norm1);
    Tensor dsa = residual_backward(dx, dr1, c.keep1);
    self_attn.backward(&dx, &dx, &dx, dsa, c.self_attn, x, x, x);
  }
}

// ---------------------------------------------------------------------------------------------- decoder layer

TransformerDecoderLayer::TransformerDecoderLayer(const LayerConfig& c)
    : config(c),
      self_attn(c.attention()),
      multihead_attn(c.attention()),
      linear1(c.d_model, c.dim_feedforward, c.bias),
      linear2(c.dim_feedforward, c.d_model, c.bias),
      norm1(c.d_model, c.layer_norm_eps),
      norm2(c.d_model, c.layer_norm_eps),
      norm3(c.d_model, c.layer_norm_eps) {}

void TransformerDecoderLayer::reset_parameters(Rng& rng) {
  self_attn.reset_parameters(rng);
  multihead_attn.reset_parameters(rng);
  linear1.reset_parameters(rng);
  linear2.reset_parameters(rng);
  norm1.reset_parameters();
  norm2.reset_parameters();
  norm3.reset_parameters();
}

void TransformerDecoderLayer::visit(const std::string& prefix, const ParamVisitor& fn) {
  self_attn.visit(prefix + "self_attn.", fn);
  multihead_attn.visit(prefix + "multihead_attn.", fn);
  linear1.visit(prefix + "linear1.", fn);
  linear2.visit(prefix + "linear2.", fn);
  norm1.visit(prefix + "norm1.", fn);
  norm2.visit(prefix + "norm2.", fn);
  norm3.visit(prefix + "norm3.", fn);
}

const Tensor& TransformerDecoderLayer::forward(DecoderLayerCache& c, const Tensor& x, const Tensor& memory,
                                               const AttnMasks& tgt_masks, const AttnMasks& memory_masks,
                                               const ForwardContext& ctx) const {
  const float p = config.dropout;
  c.input = x;
  if (config.norm_first) {
    norm1.forward(c.norm1, x);
    self_attn.forward(c.self_attn, c.norm1.out, c.norm1.out, c.norm1.out, tgt_masks, ctx);
    add_residual(c.resid1, c.keep1, x, c.self_attn.output, p, ctx);
    norm2.forward(c.norm2, c.resid1);
    multihead_attn.forward(c.multihead_attn, c.norm2.out, memory, memory, memory_masks, ctx);
    add_residual(c.resid2, c.keep2, c.resid1, c.multihead_attn.output, p, ctx);
    norm3.forward(c.norm3, c.resid2);
    feed_forward(c.ff, linear1, linear2, config.activation, p, c.norm3.out, ctx);
    add_residual(c.resid3, c.keep3, c.resid2, c.ff.output, p, ctx);
    c.output = c.resid3;
  } else {
    self_attn.forward(c.self_attn, x, x, x, tgt_masks, ctx);
    add_residual(c.resid1, c.keep1, x, c.self_attn.output, p, ctx);
    norm1.forward(c.norm1, c.resid1);
    multihead_attn.forward(c.multihead_attn, c.norm1.out, memory, memory, memory_masks, ctx);
    add_residual(c.resid2, c.keep2, c.norm1.out, c.multihead_attn.output, p, ctx);
    norm2.forward(c.norm2, c.resid2);
    feed_forward(c.ff, linear1, linear2, config.activation, p, c.norm2.out, ctx);
    add_residual(c.resid3, c.keep3, c.norm2.out, c.ff.output, p, ctx);
    norm3.forward(c.norm3, c.resid3);
    c.output = c.norm3.out;
  }
  return c.output;
}

void TransformerDecoderLayer::backward(Tensor& dx, Tensor& dmemory, const Tensor& dy, const DecoderLayerCache& c,
                                       const Tensor& memory) {
  const Tensor& x = c.input;
  if (config.norm_first) {
    // y = r2 + dropout3(ff(norm3(r2))), r2 = r1 + dropout2(ca(norm2(r1), memory)), r1 = x + dropout1(sa(norm1(x)))
    Tensor dr2(x.shape, 0.0f);
    Tensor dff = residual_backward(dr2, dy, c.keep3);
    Tensor dn3(x.shape, 0.0f);
    feed_forward_backward(dn3, linear1, linear2, config.activation, dff, c.ff, c.norm3.out);
    norm3.backward(dr2, dn3, c.resid2, c.norm3);
    Tensor dr1(x.shape, 0.0f);
    Tensor dca = residual_backward(dr1, dr2, c.keep2);
    Tensor dn2(x.shape, 0.0f);
    multihead_attn.backward(&dn2, &dmemory, &dmemory, dca, c.multihead_attn, c.norm2.out, memory, memory);
    norm2.backward(dr1, dn2, c.resid1, c.norm2);
    Tensor dsa = residual_backward(dx, dr1, c.keep1);
    Tensor dn1(x.shape, 0.0f);
    self_attn.backward(&dn1, &dn1, &dn1, dsa, c.self_attn, c.norm1.out, c.norm1.out, c.norm1.out);
    norm1.backward(dx, dn1, x, c.norm1);
  } else {
    // y = norm3(n2 + dropout3(ff(n2))), n2 = norm2(n1 + dropout2(ca(n1, memory))), n1 = norm1(x + dropout1(sa(x)))
    Tensor dr3(x.shape, 0.0f);
    norm3.backward(dr3, dy, c.resid3, c.norm3);
    Tensor dn2(x.shape, 0.0f);
    Tensor dff = residual_backward(dn2, dr3, c.keep3);
    feed_forward_backward(dn2, linear1, linear2, config.activation, dff, c.ff, c.norm2.out);
    Tensor dr2(x.shape, 0.0f);
    norm2.backward(dr2, dn2, c.resid2, c.norm2);
    Tensor dn1(x.shape, 0.0f);
    Tensor dca = residual_backward(dn1, dr2, c.keep2);
    multihead_attn.backward(&dn1, &dmemory, &dmemory, dca, c.multihead_attn, c.norm1.out, memory, memory);
    Tensor dr1(x.shape, 0.0f);
    norm1.backward(dr1, dn1, c.resid1, c.norm1);
    Tensor dsa = residual_backward(dx, dr1, c.keep1);
    self_attn.backward(&dx, &dx, &dx, dsa, c.self_attn, x, x, x);
  }
}

namespace {

// Entries with no data (a step this call did not compute) are left out, as AttentionCache::visit does.
void put(const TraceFn& fn, const std::string& name, const Tensor& t) {
  if (!t.data.empty()) fn(name, t);
}

void visit_norm(const NormCache& n, const std::string& name, const TraceFn& fn) {
  put(fn, name + ".out", n.out);
  put(fn, name + ".mean", n.mean);
  put(fn, name + ".rstd", n.rstd);
}

void visit_ff(const FeedForwardCache& f, const std::string& prefix, const TraceFn& fn) {
  put(fn, prefix + "ff.pre", f.pre);
  put(fn, prefix + "ff.hidden", f.hidden);
  put(fn, prefix + "ff.output", f.output);
}

}  // namespace

void visit_trace(const EncoderLayerCache& c, const std::string& prefix, const TraceFn& fn) {
  put(fn, prefix + "input", c.input);
  visit_norm(c.norm1, prefix + "norm1", fn);
  c.self_attn.visit(prefix + "self_attn.", fn);
  put(fn, prefix + "resid1", c.resid1);
  visit_norm(c.norm2, prefix + "norm2", fn);
  visit_ff(c.ff, prefix, fn);
  put(fn, prefix + "resid2", c.resid2);
  put(fn, prefix + "output", c.output);
}

void visit_trace(const DecoderLayerCache& c, const std::string& prefix, const TraceFn& fn) {
  put(fn, prefix + "input", c.input);
  visit_norm(c.norm1, prefix + "norm1", fn);
  c.self_attn.visit(prefix + "self_attn.", fn);
  put(fn, prefix + "resid1", c.resid1);
  visit_norm(c.norm2, prefix + "norm2", fn);
  c.multihead_attn.visit(prefix + "multihead_attn.", fn);
  put(fn, prefix + "resid2", c.resid2);
  visit_norm(c.norm3, prefix + "norm3", fn);
  visit_ff(c.ff, prefix, fn);
  put(fn, prefix + "resid3", c.resid3);
  put(fn, prefix + "output", c.output);
}

}  // namespace attn
