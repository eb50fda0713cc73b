#include "models/functional.h"

#include <limits>
#include <set>

namespace attn {

namespace {

const float kNegInf = -std::numeric_limits<float>::infinity();

std::string layout_name(bool batch_first) { return batch_first ? "[B, L, E]" : "[L, B, E]"; }

// x as batch-first [B, T, D]; 2-d input is unbatched (B = 1).
Status to_batch_first(const Tensor& x, bool batch_first, const std::string& name, Tensor* out, bool* unbatched) {
  if (x.rank() == 2) {
    *unbatched = true;
    *out = x.reshaped({1, x.dim(0), x.dim(1)});
  } else if (x.rank() == 3) {
    *unbatched = false;
    *out = batch_first ? x : swap01(x);
  } else {
    return Status::error(name + ": expected a 3-d " + layout_name(batch_first) + " tensor or a 2-d [L, E] tensor, got " +
                         shape_str(x.shape));
  }
  if (out->dim(1) == 0 || out->dim(0) == 0) return Status::error(name + ": empty sequence " + shape_str(x.shape));
  return Status();
}

Tensor from_batch_first(const Tensor& y, bool batch_first, bool unbatched) {
  if (unbatched) return y.reshaped({y.dim(1), y.dim(2)});
  return batch_first ? y : swap01(y);
}

// Checks an MHA-style attn_mask: [L, S], or [B*H, L, S] (unbatched: [H, L, S]).
Status check_attn_mask(const MaskArg& m, const std::string& name, int64_t B, int64_t H, int64_t L, int64_t S) {
  if (!m.present()) return Status();
  const Shape& s = m.values.shape;
  if (s == Shape{L, S} || s == Shape{B * H, L, S}) return Status();
  return Status::error(name + ": expected shape " + shape_str({L, S}) + " or " + shape_str({B * H, L, S}) +
                       " (batch * num_heads, L, S), got " + shape_str(s));
}

// Checks a key padding mask: [B, S] (unbatched: [S]) and returns it additive as [B, S].
Status padding_mask(const MaskArg& m, const std::string& name, int64_t B, int64_t S, bool unbatched, Tensor* out) {
  if (!m.present()) return Status();
  const Shape& s = m.values.shape;
  if (!(s == Shape{B, S} || (unbatched && s == Shape{S})))
    return Status::error(name + ": expected shape " + shape_str(unbatched ? Shape{S} : Shape{B, S}) + ", got " +
                         shape_str(s));
  *out = additive_mask(m, false).reshaped({B, S});
  return Status();
}

NamedTensors collect(const std::function<void(const TraceFn&)>& visit) {
  NamedTensors out;
  visit([&](const std::string& name, const Tensor& t) { out.emplace_back(name, t); });
  return out;
}

}  // namespace

Tensor swap01(const Tensor& x) {
  const int64_t A = x.dim(0), B = x.dim(1), D = x.dim(2);
  Tensor y({B, A, D});
  for (int64_t a = 0; a < A; ++a)
    for (int64_t b = 0; b < B; ++b)
      std::copy_n(x.ptr() + (a * B + b) * D, D, y.ptr() + (b * A + a) * D);
  return y;
}

Tensor additive_mask(const MaskArg& m, bool true_means_keep) {
  if (!m.is_bool) return m.values;
  Tensor out(m.values.shape);
  for (size_t i = 0; i < out.data.size(); ++i) {
    const bool flag = m.values.data[i] != 0.0f;
    out.data[i] = flag == true_means_keep ? 0.0f : kNegInf;
  }
  return out;
}

Status load_state_dict_visit(const std::function<void(const ParamVisitor&)>& visit_all, const TensorMap& state) {
  Status status;
  std::set<std::string> expected;
  visit_all([&](const std::string& name, Param& p) {
    expected.insert(name);
    if (!status.ok()) return;
    auto it = state.find(name);
    if (it == state.end()) {
      status = Status::error("missing parameter '" + name + "' of shape " + shape_str(p.value.shape));
    } else if (it->second.shape != p.value.shape) {
      status = Status::error("parameter '" + name + "' has shape " + shape_str(it->second.shape) +
                             " but the model expects " + shape_str(p.value.shape));
    } else {
      p.value.data = it->second.data;
    }
  });
  ATTN_TRY(status);
  for (const auto& kv : state)
    if (!expected.count(kv.first)) return Status::error("unexpected parameter '" + kv.first + "'");
  return Status();
}

// ------------------------------------------------------------------------------------------------------------ SDPA

Status scaled_dot_product_attention(const SdpaArgs& a, SdpaResult* r) {
  const Tensor &q = a.query, &k = a.key, &v = a.value;
  if (q.rank() < 2 || k.rank() != q.rank() || v.rank() != q.rank())
    return Status::error("query, key and value must have the same rank (at least 2): got " + shape_str(q.shape) +
                         ", " + shape_str(k.shape) + ", " + shape_str(v.shape));
  const int n = q.rank();
  const Shape lead(q.shape.begin(), q.shape.end() - 2);
  if (Shape(k.shape.begin(), k.shape.end() - 2) != lead || Shape(v.shape.begin(), v.shape.end() - 2) != lead)
    return Status::error("query, key and value must share their leading (batch, head) dimensions: got " +
                         shape_str(q.shape) + ", " + shape_str(k.shape) + ", " + shape_str(v.shape));
  const int64_t L = q.dim(-2), E = q.dim(-1), S = k.dim(-2), Ev = v.dim(-1);
  if (k.dim(-1) != E) return Status::error("key's last dimension (" + std::to_string(k.dim(-1)) +
                                           ") must equal query's (" + std::to_string(E) + ")");
  if (v.dim(-2) != S) return Status::error("value must have as many rows as key (" + std::to_string(S) + ")");
  if (L == 0 || S == 0 || E == 0) return Status::error("empty query or key");
  if (a.is_causal && a.attn_mask.present())
    return Status::error("explicit attn_mask should not be set when is_causal=True (as in PyTorch)");
  if (!(a.dropout_p >= 0.0f && a.dropout_p < 1.0f)) return Status::error("dropout_p must be in [0, 1)");
  if (!(a.scale.temperature > 0.0f)) return Status::error("temperature must be positive");

  // The mask, broadcast to [N, L, S] (N = product of the leading dimensions).
  const int64_t N = numel_of(lead);
  Shape full = lead;
  full.push_back(L);
  full.push_back(S);
  Tensor mask;
  if (a.attn_mask.present() || a.is_causal) {
    mask = Tensor({N, L, S});
    if (a.attn_mask.present()) {
      const Tensor add = additive_mask(a.attn_mask, true);
      const Shape& ms = add.shape;
      if (add.rank() > n)
        return Status::error("attn_mask " + shape_str(ms) + " has more dimensions than " + shape_str(full));
      // Strides of the mask aligned to the right of `full`, 0 where it broadcasts.
      std::vector<int64_t> stride(static_cast<size_t>(n), 0);
      int64_t st = 1;
      for (int d = n - 1, md = add.rank() - 1; md >= 0; --d, --md) {
        const int64_t want = full[static_cast<size_t>(d)], have = ms[static_cast<size_t>(md)];
        if (have != want && have != 1)
          return Status::error("attn_mask " + shape_str(ms) + " cannot be broadcast to " + shape_str(full));
        stride[static_cast<size_t>(d)] = have == 1 ? 0 : st;
        st *= have;
      }
      std::vector<int64_t> idx(static_cast<size_t>(n), 0);
      for (int64_t flat = 0; flat < N * L * S; ++flat) {
        int64_t off = 0, rem = flat;
        for (int d = n - 1; d >= 0; --d) {
          const int64_t sz = full[static_cast<size_t>(d)];
          off += (rem % sz) * stride[static_cast<size_t>(d)];
          rem /= sz;
        }
        mask.data[static_cast<size_t>(flat)] = add.data[static_cast<size_t>(off)];
      }
    }
    if (a.is_causal)
      for (int64_t b = 0; b < N; ++b)
        for (int64_t i = 0; i < L; ++i)
          for (int64_t j = i + 1; j < S; ++j) mask.data[static_cast<size_t>((b * L + i) * S + j)] = kNegInf;
  }

  Shape out_shape = lead;
  out_shape.push_back(L);
  out_shape.push_back(Ev);
  r->output = Tensor(out_shape);
  r->weights = Tensor(full);
  r->scores = Tensor(full);
  r->scaled = Tensor(full);
  const bool drop = a.dropout_p > 0.0f;
  r->dropped = drop ? Tensor(full) : Tensor();
  Tensor keep = drop ? Tensor(full) : Tensor();
  Rng rng(a.seed);
  const float factor = a.scale.factor(E);
  for (int64_t b = 0; b < N; ++b) {
    AttentionSlice<float> s;
    s.scores = r->scores.ptr() + b * L * S;
    s.scaled = r->scaled.ptr() + b * L * S;
    s.weights = r->weights.ptr() + b * L * S;
    if (drop) {
      s.dropped = r->dropped.ptr() + b * L * S;
      s.keep = keep.ptr() + b * L * S;
    }
    attention_forward(r->output.ptr() + b * L * Ev, s, q.ptr() + b * L * E, k.ptr() + b * S * E, v.ptr() + b * S * Ev,
                      mask.data.empty() ? nullptr : mask.ptr() + b * L * S, factor, a.dropout_p, drop ? &rng : nullptr,
                      L, S, E, Ev);
  }
  if (!mask.data.empty()) mask.reshape(full);
  r->mask = mask;
  return Status();
}

// ------------------------------------------------------------------------------------------------------------- MHA

Status multihead_attention(const MhaArgs& a, MhaResult* r) {
  ATTN_TRY(a.config.validate());
  Tensor q, k, v;
  bool uq, uk, uv;
  ATTN_TRY(to_batch_first(a.query, a.batch_first, "query", &q, &uq));
  ATTN_TRY(to_batch_first(a.key, a.batch_first, "key", &k, &uk));
  ATTN_TRY(to_batch_first(a.value, a.batch_first, "value", &v, &uv));
  if (uq != uk || uq != uv) return Status::error("query, key and value must all be batched (3-d) or all unbatched (2-d)");
  const MhaConfig& c = a.config;
  const int64_t B = q.dim(0), L = q.dim(1), S = k.dim(1), H = c.num_heads;
  if (q.dim(2) != c.embed_dim)
    return Status::error("query's last dimension is " + std::to_string(q.dim(2)) + " but embed_dim is " +
                         std::to_string(c.embed_dim));
  if (k.dim(2) != c.key_dim())
    return Status::error("key's last dimension is " + std::to_string(k.dim(2)) + " but kdim is " + std::to_string(c.key_dim()));
  if (v.dim(2) != c.value_dim())
    return Status::error("value's last dimension is " + std::to_string(v.dim(2)) + " but vdim is " +
                         std::to_string(c.value_dim()));
  if (k.dim(0) != B || v.dim(0) != B) return Status::error("query, key and value must have the same batch size");
  if (v.dim(1) != S) return Status::error("key and value must have the same length");

  MultiheadAttention mha(c);
  ATTN_TRY(load_state_dict(mha, a.params));

  ATTN_TRY(check_attn_mask(a.attn_mask, "attn_mask", B, H, L, S));
  Tensor attn_mask = a.attn_mask.present() ? additive_mask(a.attn_mask, false) : Tensor();
  Tensor kpm;
  ATTN_TRY(padding_mask(a.key_padding_mask, "key_padding_mask", B, S, uq, &kpm));
  AttnMasks masks;
  masks.attn_mask = attn_mask.data.empty() ? nullptr : &attn_mask;
  masks.key_padding_mask = kpm.data.empty() ? nullptr : &kpm;
  masks.causal = a.is_causal;

  Rng rng(a.seed);
  ForwardContext ctx;
  ctx.training = a.training;
  ctx.rng = &rng;
  ctx.record_scores = a.record_scores;
  mha.forward(r->trace, q, k, v, masks, ctx);

  r->attn_output = from_batch_first(r->trace.output, a.batch_first, uq);
  r->attn_output_weights = Tensor();
  if (a.need_weights) {
    const Tensor& w = r->trace.dropped.data.empty() ? r->trace.weights : r->trace.dropped;  // PyTorch returns post-dropout
    Tensor out = a.average_attn_weights ? mean_over_heads(w) : w;
    if (uq) out.reshape(Shape(out.shape.begin() + 1, out.shape.end()));
    r->attn_output_weights = std::move(out);
  }
  return Status();
}

// ---------------------------------------------------------------------------------------------- encoder / decoder

namespace {

struct PreparedLayer {
  Tensor x, memory, mask, kpm, memory_mask, memory_kpm;
  bool unbatched = false;
  AttnMasks self_masks, memory_masks;
};

Status prepare_layer(const LayerArgs& a, bool decoder, PreparedLayer* p) {
  ATTN_TRY(a.config.validate());
  if (a.num_layers < 0 || a.num_layers > 64) return Status::error("num_layers must be in [0, 64]");
  const char* src_name = decoder ? "tgt" : "src";
  ATTN_TRY(to_batch_first(a.src, a.batch_first, src_name, &p->x, &p->unbatched));
  const int64_t B = p->x.dim(0), L = p->x.dim(1), E = a.config.d_model, H = a.config.nhead;
  if (p->x.dim(2) != E)
    return Status::error(std::string(src_name) + "'s last dimension is " + std::to_string(p->x.dim(2)) +
                         " but d_model is " + std::to_string(E));
  const std::string prefix = decoder ? "tgt" : "src";
  ATTN_TRY(check_attn_mask(a.mask, prefix + "_mask", B, H, L, L));
  if (a.mask.present()) p->mask = additive_mask(a.mask, false);
  ATTN_TRY(padding_mask(a.key_padding_mask, prefix + "_key_padding_mask", B, L, p->unbatched, &p->kpm));
  p->self_masks.attn_mask = p->mask.data.empty() ? nullptr : &p->mask;
  p->self_masks.key_padding_mask = p->kpm.data.empty() ? nullptr : &p->kpm;
  p->self_masks.causal = a.is_causal;
  if (!decoder) return Status();

  bool mem_unbatched = false;
  ATTN_TRY(to_batch_first(a.memory, a.batch_first, "memory", &p->memory, &mem_unbatched));
  if (mem_unbatched != p->unbatched) return Status::error("tgt and memory must both be batched or both unbatched");
  const int64_t S = p->memory.dim(1);
  if (p->memory.dim(0) != B) return Status::error("tgt and memory must have the same batch size");
  if (p->memory.dim(2) != E) return Status::error("memory's last dimension must be d_model (" + std::to_string(E) + ")");
  ATTN_TRY(check_attn_mask(a.memory_mask, "memory_mask", B, H, L, S));
  if (a.memory_mask.present()) p->memory_mask = additive_mask(a.memory_mask, false);
  ATTN_TRY(padding_mask(a.memory_key_padding_mask, "memory_key_padding_mask", B, S, p->unbatched, &p->memory_kpm));
  p->memory_masks.attn_mask = p->memory_mask.data.empty() ? nullptr : &p->memory_mask;
  p->memory_masks.key_padding_mask = p->memory_kpm.data.empty() ? nullptr : &p->memory_kpm;
  return Status();
}

ForwardContext layer_context(const LayerArgs& a, Rng* rng) {
  ForwardContext ctx;
  ctx.training = a.training;
  ctx.rng = rng;
  ctx.record_scores = a.record_scores;
  return ctx;
}

}  // namespace

Status transformer_encoder(const LayerArgs& a, LayerResult* r) {
  PreparedLayer p;
  ATTN_TRY(prepare_layer(a, false, &p));
  Rng rng(a.seed);
  const ForwardContext ctx = layer_context(a, &rng);
  if (a.num_layers == 0) {
    TransformerEncoderLayer layer(a.config);
    ATTN_TRY(load_state_dict(layer, a.params));
    EncoderLayerCache cache;
    r->output = from_batch_first(layer.forward(cache, p.x, p.self_masks, ctx), a.batch_first, p.unbatched);
    r->trace = collect([&](const TraceFn& fn) { visit_trace(cache, "", fn); });
  } else {
    TransformerEncoder stack(a.config, a.num_layers, a.norm);
    ATTN_TRY(load_state_dict(stack, a.params));
    EncoderCache cache;
    r->output = from_batch_first(stack.forward(cache, p.x, p.self_masks, ctx), a.batch_first, p.unbatched);
    r->trace = collect([&](const TraceFn& fn) { visit_trace(cache, "", fn); });
  }
  return Status();
}

Status transformer_decoder(const LayerArgs& a, LayerResult* r) {
  PreparedLayer p;
  ATTN_TRY(prepare_layer(a, true, &p));
  Rng rng(a.seed);
  const ForwardContext ctx = layer_context(a, &rng);
  if (a.num_layers == 0) {
    TransformerDecoderLayer layer(a.config);
    ATTN_TRY(load_state_dict(layer, a.params));
    DecoderLayerCache cache;
    r->output = from_batch_first(layer.forward(cache, p.x, p.memory, p.self_masks, p.memory_masks, ctx),
                                 a.batch_first, p.unbatched);
    r->trace = collect([&](const TraceFn& fn) { visit_trace(cache, "", fn); });
  } else {
    TransformerDecoder stack(a.config, a.num_layers, a.norm);
    ATTN_TRY(load_state_dict(stack, a.params));
    DecoderCache cache;
    r->output = from_batch_first(stack.forward(cache, p.x, p.memory, p.self_masks, p.memory_masks, ctx),
                                 a.batch_first, p.unbatched);
    r->trace = collect([&](const TraceFn& fn) { visit_trace(cache, "", fn); });
  }
  return Status();
}

}  // namespace attn
