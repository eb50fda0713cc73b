#include "layers/multihead_attention.h"

#include <cmath>
#include <limits>

#include "core/parallel.h"
#include "core/view.h"
#include "ops/linear.h"

namespace attn {

Status MhaConfig::validate() const {
  if (embed_dim <= 0) return Status::error("embed_dim must be positive, got " + std::to_string(embed_dim));
  if (num_heads <= 0) return Status::error("num_heads must be positive, got " + std::to_string(num_heads));
  if (embed_dim % num_heads != 0)
    return Status::error("embed_dim (" + std::to_string(embed_dim) + ") must be divisible by num_heads (" +
                         std::to_string(num_heads) + ")");
  if (kdim < 0 || vdim < 0) return Status::error("kdim and vdim must be positive");
  if (!(dropout >= 0.0f && dropout < 1.0f)) return Status::error("dropout must be in [0, 1)");
  if (!(score_scale.temperature > 0.0f) || !std::isfinite(score_scale.temperature))
    return Status::error("temperature must be a positive number");
  if (!std::isfinite(score_scale.scale)) return Status::error("scale must be a finite number");
  return Status();
}

MultiheadAttention::MultiheadAttention(const MhaConfig& c) : config(c) {
  ATTN_ASSERT(c.validate().ok(), "MultiheadAttention: " + c.validate().message());
  const int64_t E = c.embed_dim;
  if (c.same_embed_dim()) {
    in_proj_weight.value = Tensor({3 * E, E});
  } else {
    q_proj_weight.value = Tensor({E, E});
    k_proj_weight.value = Tensor({E, c.key_dim()});
    v_proj_weight.value = Tensor({E, c.value_dim()});
  }
  if (c.bias) in_proj_bias.value = Tensor({3 * E});
  out_proj = Linear(E, E, c.bias);
}

void MultiheadAttention::reset_parameters(Rng& rng) {
  auto xavier = [&](Tensor& w) {
    init_uniform(w, std::sqrt(6.0 / static_cast<double>(w.dim(0) + w.dim(1))), rng);
  };
  if (config.same_embed_dim()) {
    xavier(in_proj_weight.value);
  } else {
    xavier(q_proj_weight.value);
    xavier(k_proj_weight.value);
    xavier(v_proj_weight.value);
  }
  init_uniform(out_proj.weight.value, 1.0 / std::sqrt(static_cast<double>(config.embed_dim)), rng);
  init_constant(in_proj_bias.value, 0.0f);
  init_constant(out_proj.bias.value, 0.0f);
}

void MultiheadAttention::visit(const std::string& prefix, const ParamVisitor& fn) {
  if (config.same_embed_dim()) {
    fn(prefix + "in_proj_weight", in_proj_weight);
  } else {
    fn(prefix + "q_proj_weight", q_proj_weight);
    fn(prefix + "k_proj_weight", k_proj_weight);
    fn(prefix + "v_proj_weight", v_proj_weight);
  }
  if (config.bias) fn(prefix + "in_proj_bias", in_proj_bias);
  out_proj.visit(prefix + "out_proj.", fn);
}

void AttentionCache::visit(const std::string& prefix,
                           const std::function<void(const std::string&, const Tensor&)>& fn) const {
  const std::pair<const char*, const Tensor*> entries[] = {
      {"q", &q},           {"k", &k},         {"v", &v},       {"scores", &scores},
      {"scaled", &scaled}, {"mask", &mask},   {"weights", &weights}, {"dropped", &dropped},
      {"heads", &heads},   {"concat", &concat}, {"output", &output}};
  for (const auto& [name, t] : entries)
    if (!t->data.empty()) fn(prefix + name, *t);
}

namespace {

// Attention over fewer multiply-adds than this stays on one thread (see kParallelMacs in ops/gemm.cpp).
constexpr double kParallelAttentionMacs = 1 << 17;

// [B, T, H*Dh] (heads side by side) <-> [B, H, T, Dh] (one contiguous matrix per head).
void split_heads(float* heads, const float* merged, int64_t B, int64_t H, int64_t T, int64_t Dh) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      MatMap(heads + (b * H + h) * T * Dh, T, Dh) =
          ConstStridedMap(merged + b * T * H * Dh + h * Dh, T, Dh, Eigen::OuterStride<>(H * Dh));
}
void merge_heads(float* merged, const float* heads, int64_t B, int64_t H, int64_t T, int64_t Dh) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      StridedMap(merged + b * T * H * Dh + h * Dh, T, Dh, Eigen::OuterStride<>(H * Dh)) =
          ConstMatMap(heads + (b * H + h) * T * Dh, T, Dh);
}

// heads [B, H, T, Dh] = x [B, T, Din] projected by rows [row0, row0 + H*Dh) of w [*, Din], plus bias
// (a pointer to those rows' bias, or null).
void project_to_heads(Tensor& heads, const Tensor& x, const Tensor& w, int64_t row0, const float* bias) {
  const int64_t B = heads.dim(0), H = heads.dim(1), T = heads.dim(2), Dh = heads.dim(3), Din = x.dim(2);
  Mat tmp(B * T, H * Dh);
  linear_forward(tmp.data(), x.ptr(), w.ptr() + row0 * Din, bias, B * T, Din, H * Dh);
  split_heads(heads.ptr(), tmp.data(), B, H, T, Dh);
}

// The combined additive mask [B, Hm, L, S] of every mask kind into `out` (left empty when there is none).
// Hm = H only when attn_mask is per head ([B*H, L, S]); otherwise the mask is shared by all heads.
void combine_masks(Tensor& out, const AttnMasks& m, int64_t B, int64_t H, int64_t L, int64_t S) {
  if (!m.any()) {
    out = Tensor();
    return;
  }
  const float neg_inf = -std::numeric_limits<float>::infinity();
  const bool per_head = m.attn_mask && m.attn_mask->rank() == 3;
  const int64_t Hm = per_head ? H : 1;
  out.resize({B, Hm, L, S});
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < Hm; ++h) {
      MatMap dst(out.ptr() + (b * Hm + h) * L * S, L, S);
      if (m.attn_mask) dst = ConstMatMap(m.attn_mask->ptr() + (per_head ? b * H + h : 0) * L * S, L, S);
      else dst.setZero();
      if (m.key_padding_mask) dst.rowwise() += ConstRowVecMap(m.key_padding_mask->ptr() + b * S, S);
      if (m.causal)
        for (int64_t i = 0; i < L; ++i)
          for (int64_t j = i + 1; j < S; ++j) dst(i, j) = neg_inf;
    }
  }
}

}  // namespace

void ablate_head(float* weights, float* heads, float m, const float* mean, int64_t rows, int64_t S, int64_t Dh) {
  if (m == 1.0f) return;
  MatMap(weights, rows, S) *= m;
  MatMap out(heads, rows, Dh);
  out *= m;
  if (mean) out.rowwise() += (1.0f - m) * ConstRowVecMap(mean, Dh);
}

const Tensor& MultiheadAttention::forward(AttentionCache& c, const Tensor& query, const Tensor& key,
                                          const Tensor& value, const AttnMasks& masks,
                                          const ForwardContext& ctx) const {
  const int64_t B = query.dim(0), L = query.dim(1), S = key.dim(1);
  const int64_t E = config.embed_dim, H = config.num_heads, Dh = config.head_dim();

  // 1. Project and split into heads.
  c.q.resize({B, H, L, Dh});
  c.k.resize({B, H, S, Dh});
  c.v.resize({B, H, S, Dh});
  const float* bias = config.bias ? in_proj_bias.value.ptr() : nullptr;  // [3E]: q, k, v biases
  auto bias_at = [&](int64_t offset) { return bias ? bias + offset : nullptr; };
  if (config.same_embed_dim()) {
    project_to_heads(c.q, query, in_proj_weight.value, 0, bias_at(0));
    project_to_heads(c.k, key, in_proj_weight.value, E, bias_at(E));
    project_to_heads(c.v, value, in_proj_weight.value, 2 * E, bias_at(2 * E));
  } else {
    project_to_heads(c.q, query, q_proj_weight.value, 0, bias_at(0));
    project_to_heads(c.k, key, k_proj_weight.value, 0, bias_at(E));
    project_to_heads(c.v, value, v_proj_weight.value, 0, bias_at(2 * E));
  }

  // 2. Scaled dot-product attention, one (batch, head) slice at a time.
  combine_masks(c.mask, masks, B, H, L, S);
  const int64_t Hm = c.mask.data.empty() ? 0 : c.mask.dim(1);
  const bool drop = ctx.dropout_active(config.dropout);
  auto size_or_clear = [&](Tensor& t, bool keep) { keep ? t.resize({B, H, L, S}) : void(t = Tensor()); };
  c.weights.resize({B, H, L, S});
  c.heads.resize({B, H, L, Dh});
  size_or_clear(c.scores, ctx.record_scores);
  size_or_clear(c.scaled, ctx.record_scores);
  size_or_clear(c.dropped, drop);
  size_or_clear(c.keep, drop);
  const float factor = config.score_scale.factor(Dh);
  const auto slices = [&](int64_t first, int64_t last) {
    for (int64_t bh = first; bh < last; ++bh) {
      const int64_t ls = bh * L * S;
      AttentionSlice<float> slice;
      slice.weights = c.weights.ptr() + ls;
      if (ctx.record_scores) {
        slice.scores = c.scores.ptr() + ls;
        slice.scaled = c.scaled.ptr() + ls;
      }
      if (drop) {
        slice.dropped = c.dropped.ptr() + ls;
        slice.keep = c.keep.ptr() + ls;
      }
      attention_forward(c.heads.ptr() + bh * L * Dh, slice, c.q.ptr() + bh * L * Dh, c.k.ptr() + bh * S * Dh,
                        c.v.ptr() + bh * S * Dh, Hm == 0 ? nullptr : c.mask.ptr() + (Hm == H ? bh : bh / H) * L * S,
                        factor, drop ? config.dropout : 0.0f, ctx.rng, L, S, Dh, Dh);
      if (masks.heads.scale) {
        const int64_t h = bh % H;
        ablate_head(slice.weights, c.heads.ptr() + bh * L * Dh, masks.heads.scale[h],
                    masks.heads.mean ? masks.heads.mean + h * Dh : nullptr, L, S, Dh);
      }
    }
  };
  // With threads, the (batch, head) slices are shared out (each computed exactly as alone); with dropout they stay
  // in order on one thread, so the generator's draws do not depend on the number of threads.
  if (drop) slices(0, B * H);
  else parallel_for(B * H, 1, 2.0 * static_cast<double>(B * H * L * S * Dh), kParallelAttentionMacs, slices);

  // 3. Concatenate the heads and project.
  c.concat.resize({B, L, E});
  merge_heads(c.concat.ptr(), c.heads.ptr(), B, H, L, Dh);
  c.output.resize({B, L, E});
  out_proj.forward(c.output.ptr(), c.concat.ptr(), B * L);
  return c.output;
}

void MultiheadAttention::backward(Tensor* dquery, Tensor* dkey, Tensor* dvalue, const Tensor& dout,
                                  const AttentionCache& c, const Tensor& query, const Tensor& key, const Tensor& value) {
  const int64_t B = query.dim(0), L = query.dim(1), S = key.dim(1);
  const int64_t E = config.embed_dim, H = config.num_heads, Dh = config.head_dim();
  // 3. output = concat Wo^T + bo
  Mat dconcat = Mat::Zero(B * L, E);
  out_proj.backward(dconcat.data(), dout.ptr(), c.concat.ptr(), B * L);
  Tensor dheads({B, H, L, Dh});
  split_heads(dheads.ptr(), dconcat.data(), B, H, L, Dh);
  // 2. heads = attention(q, k, v) per (batch, head)
  Tensor dq({B, H, L, Dh}), dk({B, H, S, Dh}), dv({B, H, S, Dh});
  const float factor = config.score_scale.factor(Dh);
  const bool dropped = !c.dropped.data.empty();
  for (int64_t bh = 0; bh < B * H; ++bh) {
    const int64_t ls = bh * L * S;
    attention_backward(dq.ptr() + bh * L * Dh, dk.ptr() + bh * S * Dh, dv.ptr() + bh * S * Dh,
                       dheads.ptr() + bh * L * Dh, c.weights.ptr() + ls, dropped ? c.dropped.ptr() + ls : nullptr,
                       dropped ? c.keep.ptr() + ls : nullptr, c.q.ptr() + bh * L * Dh, c.k.ptr() + bh * S * Dh,
                       c.v.ptr() + bh * S * Dh, factor, L, S, Dh, Dh);
  }
  // 1. q = query Wq^T + bq (and k, v): back through the projections
  float* dbias = config.bias ? in_proj_bias.grad_ptr() : nullptr;
  // dx += d(heads) merged, through rows [w_row0, w_row0 + E) of w; the bias slice starts at b_off.
  auto back = [&](Tensor* dx, const Tensor& heads_grad, const Tensor& x, Param& w, int64_t w_row0, int64_t b_off,
                  int64_t T) {
    Mat merged(B * T, E);
    merge_heads(merged.data(), heads_grad.ptr(), B, H, T, Dh);
    const int64_t Din = x.dim(2);
    linear_backward(dx ? dx->ptr() : nullptr, w.grad_ptr() + w_row0 * Din, dbias ? dbias + b_off : nullptr,
                    merged.data(), x.ptr(), w.value.ptr() + w_row0 * Din, B * T, Din, E);
  };
  if (config.same_embed_dim()) {
    back(dquery, dq, query, in_proj_weight, 0, 0, L);
    back(dkey, dk, key, in_proj_weight, E, E, S);
    back(dvalue, dv, value, in_proj_weight, 2 * E, 2 * E, S);
  } else {
    back(dquery, dq, query, q_proj_weight, 0, 0, L);
    back(dkey, dk, key, k_proj_weight, 0, E, S);
    back(dvalue, dv, value, v_proj_weight, 0, 2 * E, S);
  }
}

Tensor mean_over_heads(const Tensor& weights) {
  return to_tensor(xt::mean(nd(weights), {1}));  // [B, H, L, S] -> [B, L, S]
}

}  // namespace attn
