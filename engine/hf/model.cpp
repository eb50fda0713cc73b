#include "hf/model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/attention.h"
#include "ops/gemm.h"
#include "ops/layernorm.h"
#include "ops/linear.h"

namespace attn {

namespace {

LayerConfig layer_config(const HfConfig& c, int64_t heads, int64_t ffn) {
  LayerConfig l;
  l.d_model = c.d_model;
  l.nhead = heads;
  l.dim_feedforward = ffn;
  l.dropout = 0.0f;  // inference only
  l.activation = c.activation;
  l.layer_norm_eps = c.layer_norm_eps;
  l.norm_first = c.family == HfFamily::kGpt2;  // GPT-2 normalizes before each block; the others after
  l.bias = true;
  l.score_scale.scaled = c.family != HfFamily::kGpt2 || c.scale_attn_weights;
  return l;
}

}  // namespace

Tensor marian_sinusoids(int64_t P, int64_t E) {
  Tensor t({P, E});
  const int64_t sines = (E + 1) / 2;
  for (int64_t pos = 0; pos < P; ++pos) {
    float* row = t.ptr() + pos * E;
    for (int64_t k = 0; k < sines; ++k) {
      const double angle = static_cast<double>(pos) / std::pow(10000.0, 2.0 * static_cast<double>(k) / static_cast<double>(E));
      row[k] = static_cast<float>(std::sin(angle));
      if (sines + k < E) row[sines + k] = static_cast<float>(std::cos(angle));
    }
  }
  return t;
}

HfModel::HfModel(const HfConfig& c) : config(c) {
  const int64_t E = c.d_model;
  tokens.value = Tensor({c.vocab_size, E});
  positions.value = Tensor({c.max_positions, E});
  switch (c.family) {
    case HfFamily::kGpt2: {
      decoder_only = TransformerEncoder(layer_config(c, c.num_heads, c.ffn_dim), c.num_layers, /*final_norm=*/true);
      if (c.scale_attn_by_inverse_layer_idx) {
        const double base = c.scale_attn_weights ? 1.0 / std::sqrt(static_cast<double>(E / c.num_heads)) : 1.0;
        for (size_t i = 0; i < decoder_only.layers.size(); ++i) {
          ScoreScale& s = decoder_only.layers[i].self_attn.config.score_scale;
          s.scaled = true;
          s.scale = static_cast<float>(base / static_cast<double>(i + 1));
        }
      }
      if (!c.tie_word_embeddings) head_weight.value = Tensor({c.vocab_size, E});
      break;
    }
    case HfFamily::kBert:
    case HfFamily::kDistilBert:
      if (c.type_vocab_size > 0) token_types.value = Tensor({c.type_vocab_size, E});
      embed_norm = LayerNorm(E, c.layer_norm_eps);
      encoder = TransformerEncoder(layer_config(c, c.num_heads, c.ffn_dim), c.num_layers, false);
      if (c.lm_head) {
        head_transform = Linear(E, E);
        head_norm = LayerNorm(E, c.layer_norm_eps);
        head_bias.value = Tensor({c.vocab_size});
      }
      break;
    case HfFamily::kMarian:
      if (!c.share_embeddings) tgt_tokens.value = Tensor({c.decoder_vocab_size, E});
      tgt_positions.value = Tensor({c.max_positions, E});
      encoder = TransformerEncoder(layer_config(c, c.num_heads, c.ffn_dim), c.num_layers, false);
      decoder = TransformerDecoder(layer_config(c, c.decoder_heads, c.decoder_ffn_dim), c.decoder_layers, false);
      head_bias.value = Tensor({c.decoder_vocab_size});
      break;
  }
}

void HfModel::visit(const ParamVisitor& fn) {
  fn("embed.tokens", tokens);
  fn("embed.positions", positions);
  if (!token_types.value.data.empty()) fn("embed.token_types", token_types);
  if (config.family == HfFamily::kBert || config.family == HfFamily::kDistilBert) embed_norm.visit("embed.norm.", fn);
  if (!tgt_tokens.value.data.empty()) fn("tgt_embed.tokens", tgt_tokens);
  if (!tgt_positions.value.data.empty()) fn("tgt_embed.positions", tgt_positions);
  encoder.visit("encoder.", fn);
  decoder_only.visit("decoder.", fn);
  decoder.visit("decoder.", fn);
  if (head_transform.weight.value.numel() > 0) {
    head_transform.visit("head.transform.", fn);
    head_norm.visit("head.norm.", fn);
  }
  if (!head_weight.value.data.empty()) fn("head.weight", head_weight);
  if (!head_bias.value.data.empty()) fn("head.bias", head_bias);
}

int64_t HfModel::num_parameters() {
  int64_t n = 0;
  visit([&](const std::string&, Param& p) { n += p.value.numel(); });
  return n;
}

int64_t HfModel::output_vocab() const { return config.encoder_decoder() ? config.decoder_vocab_size : config.vocab_size; }

Status HfModel::check(const HfInput& in) const {
  const auto check_ids = [&](const std::vector<int32_t>& ids, const char* name, int64_t vocab) -> Status {
    if (ids.empty()) return Status::error(std::string(name) + " is empty: give at least one token");
    if (static_cast<int64_t>(ids.size()) > config.max_positions)
      return Status::error(std::string(name) + " has " + std::to_string(ids.size()) + " tokens: this model reads at most " +
                           std::to_string(config.max_positions));
    for (size_t i = 0; i < ids.size(); ++i)
      if (ids[i] < 0 || ids[i] >= vocab)
        return Status::error(std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(ids[i]) +
                             " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
    return Status();
  };
  ATTN_TRY(check_ids(in.input_ids, "input_ids", config.vocab_size));
  const size_t T = in.input_ids.size();
  if (!in.attention_mask.empty()) {
    if (in.attention_mask.size() != T)
      return Status::error("attention_mask has " + std::to_string(in.attention_mask.size()) + " values for " +
                           std::to_string(T) + " tokens");
    bool any = false;
    for (size_t i = 0; i < T; ++i) {
      if (in.attention_mask[i] != 0 && in.attention_mask[i] != 1)
        return Status::error("attention_mask[" + std::to_string(i) + "] must be 0 or 1");
      any = any || in.attention_mask[i] == 1;
    }
    if (!any) return Status::error("attention_mask is all 0: at least one token must be attended to");
  }
  if (!in.token_type_ids.empty()) {
    if (config.family != HfFamily::kBert) return Status::error("token_type_ids are for BERT models only");
    if (in.token_type_ids.size() != T)
      return Status::error("token_type_ids has " + std::to_string(in.token_type_ids.size()) + " values for " +
                           std::to_string(T) + " tokens");
    for (size_t i = 0; i < T; ++i)
      if (in.token_type_ids[i] < 0 || in.token_type_ids[i] >= config.type_vocab_size)
        return Status::error("token_type_ids[" + std::to_string(i) + "] = " + std::to_string(in.token_type_ids[i]) +
                             " is outside [0, " + std::to_string(config.type_vocab_size) + ")");
  }
  size_t rows = T;
  if (config.encoder_decoder()) {
    ATTN_TRY(check_ids(in.decoder_input_ids, "decoder_input_ids", config.decoder_vocab_size));
    rows = in.decoder_input_ids.size();
  } else if (!in.decoder_input_ids.empty()) {
    return Status::error("decoder_input_ids are for encoder-decoder models (marian) only");
  }
  for (int64_t p : in.logit_positions)
    if (p < 0 || p >= static_cast<int64_t>(rows))
      return Status::error("logit position " + std::to_string(p) + " is outside the sequence [0, " +
                           std::to_string(rows) + ")");
  return Status();
}

Tensor HfModel::padding_mask(const std::vector<int32_t>& attention_mask) const {
  if (std::find(attention_mask.begin(), attention_mask.end(), 0) == attention_mask.end()) return Tensor();
  Tensor m({1, static_cast<int64_t>(attention_mask.size())});
  for (size_t i = 0; i < attention_mask.size(); ++i)
    if (attention_mask[i] == 0) m.data[i] = -std::numeric_limits<float>::infinity();
  return m;
}

// out [1, T, E]: token embeddings (times sqrt(E) for Marian), plus positions, plus BERT's segments, then
// BERT's and DistilBERT's LayerNorm.
void HfModel::embed(Tensor& out, const HfInput& in) const {
  const int64_t T = static_cast<int64_t>(in.input_ids.size()), E = config.d_model;
  out.resize({1, T, E});
  const float scale = config.scale_embedding ? std::sqrt(static_cast<float>(E)) : 1.0f;
  for (int64_t t = 0; t < T; ++t) {
    float* row = out.ptr() + t * E;
    const float* tok = tokens.value.ptr() + static_cast<int64_t>(in.input_ids[t]) * E;
    const float* pos = positions.value.ptr() + t * E;
    if (config.family == HfFamily::kBert && !token_types.value.data.empty()) {
      // modeling_bert.py: (inputs_embeds + token_type_embeddings) + position_embeddings
      const int32_t type = in.token_type_ids.empty() ? 0 : in.token_type_ids[t];
      const float* seg = token_types.value.ptr() + static_cast<int64_t>(type) * E;
      for (int64_t e = 0; e < E; ++e) row[e] = (tok[e] + seg[e]) + pos[e];
    } else {
      for (int64_t e = 0; e < E; ++e) row[e] = tok[e] * scale + pos[e];
    }
  }
  if (config.family == HfFamily::kBert || config.family == HfFamily::kDistilBert) {
    NormCache nc;
    embed_norm.forward(nc, out);
    out = std::move(nc.out);
  }
}

void HfModel::embed_target(Tensor& out, const std::vector<int32_t>& ids) const {
  const int64_t T = static_cast<int64_t>(ids.size()), E = config.d_model;
  const Param& table = tgt_tokens.value.data.empty() ? tokens : tgt_tokens;
  const float scale = config.scale_embedding ? std::sqrt(static_cast<float>(E)) : 1.0f;
  out.resize({1, T, E});
  for (int64_t t = 0; t < T; ++t) {
    float* row = out.ptr() + t * E;
    const float* tok = table.value.ptr() + static_cast<int64_t>(ids[t]) * E;
    const float* pos = tgt_positions.value.ptr() + t * E;
    for (int64_t e = 0; e < E; ++e) row[e] = tok[e] * scale + pos[e];
  }
}

// logits [1, N, V] for the rows `positions` of c->hidden (BERT and DistilBERT first transform them:
// LN(act(h W + b))), times the output-side token embedding (or GPT-2's own lm_head), plus the bias.
void HfModel::apply_head(HfCache* c, const std::vector<int64_t>& positions) const {
  const int64_t E = config.d_model, rows = c->hidden.dim(1);
  c->logit_positions = positions;
  if (c->logit_positions.empty())
    for (int64_t p = 0; p < rows; ++p) c->logit_positions.push_back(p);
  const int64_t N = static_cast<int64_t>(c->logit_positions.size());
  Tensor h({1, N, E});
  for (int64_t n = 0; n < N; ++n)
    std::copy_n(c->hidden.ptr() + c->logit_positions[n] * E, E, h.ptr() + n * E);
  if (head_transform.weight.value.numel() > 0) {
    Tensor pre({1, N, E});
    head_transform.forward(pre.ptr(), h.ptr(), N);
    activation_forward(pre.ptr(), pre.ptr(), pre.numel(), config.activation);
    NormCache nc;
    head_norm.forward(nc, pre);
    c->head_hidden = std::move(nc.out);
    h = c->head_hidden;
  } else {
    c->head_hidden = Tensor();
  }
  const Param& w = !head_weight.value.data.empty() ? head_weight
                   : (config.encoder_decoder() && !tgt_tokens.value.data.empty()) ? tgt_tokens
                                                                                  : tokens;
  const int64_t V = output_vocab();
  c->logits.resize({1, N, V});
  gemm<float>(c->logits.ptr(), V, h.ptr(), E, false, w.value.ptr(), E, true, N, V, E, false);
  if (!head_bias.value.data.empty())
    for (int64_t n = 0; n < N; ++n) c->logits.mat(V).row(n) += head_bias.value.mat(V).row(0);
}

namespace {
// Eval mode; without the full Trace each layer keeps only its attention (a large model's memory is one layer's).
// The full Trace also keeps each attention's raw and scaled scores [1, H, L, S] (the neuron view's steps).
ForwardContext pass_context(bool full_trace) {
  ForwardContext ctx;
  ctx.attention_only = !full_trace;
  ctx.record_scores = full_trace;
  return ctx;
}
}  // namespace

Status HfModel::check_head_masks(HeadMasks* h) const {
  const int64_t Dh = config.d_model / config.num_heads;
  ATTN_TRY(h->head_mask.validate("head_mask", "head_mean", config.num_layers, config.num_heads, Dh));
  if (!config.encoder_decoder()) {
    if (h->decoder_head_mask.active() || h->cross_attn_head_mask.active() || !h->decoder_head_mask.mean.data.empty() ||
        !h->cross_attn_head_mask.mean.data.empty())
      return Status::error("decoder_head_mask and cross_attn_head_mask are for encoder-decoder (marian) models: a " +
                           std::string(hf_family_name(config.family)) + " model has one stack, masked by head_mask");
    return Status();
  }
  const int64_t Dd = config.d_model / config.decoder_heads;
  ATTN_TRY(h->decoder_head_mask.validate("decoder_head_mask", "decoder_head_mean", config.decoder_layers,
                                         config.decoder_heads, Dd));
  return h->cross_attn_head_mask.validate("cross_attn_head_mask", "cross_attn_head_mean", config.decoder_layers,
                                          config.decoder_heads, Dd);
}

void HfModel::run_decoder(HfCache* c, const std::vector<int32_t>& tgt, const Tensor& memory_pad, bool full_trace,
                          const HeadMasks& heads) const {
  c->Td = static_cast<int64_t>(tgt.size());
  embed_target(c->tgt_embedded, tgt);
  AttnMasks tgt_masks, memory_masks;
  tgt_masks.causal = true;
  memory_masks.key_padding_mask = memory_pad.data.empty() ? nullptr : &memory_pad;
  c->hidden = decoder.forward(c->decoder, c->tgt_embedded, c->stack.output, tgt_masks, memory_masks,
                              pass_context(full_trace), &heads.decoder_head_mask, &heads.cross_attn_head_mask);
}

Status HfModel::forward(const HfInput& given, HfCache* c) const {
  ATTN_TRY(check(given));
  HfInput in = given;  // with its head masks checked and expanded to every layer
  ATTN_TRY(check_head_masks(&in.heads));
  const bool padded = std::find(in.attention_mask.begin(), in.attention_mask.end(), 0) != in.attention_mask.end();
  if (in.reuse_cache && !in.full_trace && config.family == HfFamily::kGpt2 && !padded && !c->ids.empty() && in.heads == c->heads) {
    const size_t shared = static_cast<size_t>(
        std::mismatch(c->ids.begin(), c->ids.end(), in.input_ids.begin(), in.input_ids.end()).first - c->ids.begin());
    if (shared > 0) {
      forward_cached(in, static_cast<int64_t>(shared), c);
      return Status();
    }
  }
  c->ids.clear();
  c->reused = 0;
  c->T = static_cast<int64_t>(in.input_ids.size());
  c->Td = 0;
  embed(c->embedded, in);
  const Tensor pad = padding_mask(in.attention_mask);
  AttnMasks masks;
  masks.key_padding_mask = pad.data.empty() ? nullptr : &pad;
  masks.causal = config.causal();
  c->hidden = stack().forward(c->stack, c->embedded, masks, pass_context(in.full_trace), &in.heads.head_mask);
  if (config.encoder_decoder()) run_decoder(c, in.decoder_input_ids, pad, in.full_trace, in.heads);
  if (config.family == HfFamily::kGpt2 && !padded) {  // a later pass with the same head masks may continue from this one
    c->ids = in.input_ids;
    c->heads = in.heads;
  }
  if (in.logits && (config.family == HfFamily::kGpt2 || config.encoder_decoder() || config.lm_head)) {
    apply_head(c, in.logit_positions);
  } else {
    c->logit_positions.clear();
    c->logits = Tensor();
    c->head_hidden = Tensor();
  }
  return Status();
}

namespace {

// Rows [0, keep) of each of the H blocks of a [1, H, rows, cols] tensor, in a [1, H, new_rows, new_cols] one
// (columns past `cols` zero). The blocks move because the row count changes.
void regrow(Tensor& t, int64_t H, int64_t keep, int64_t new_rows, int64_t new_cols) {
  const int64_t rows = t.dim(2), cols = t.dim(3);
  Tensor out({1, H, new_rows, new_cols});
  const int64_t w = std::min(cols, new_cols);
  for (int64_t h = 0; h < H; ++h)
    for (int64_t r = 0; r < keep; ++r)
      std::copy_n(t.ptr() + (h * rows + r) * cols, w, out.ptr() + (h * new_rows + r) * new_cols);
  t = std::move(out);
}

}  // namespace

// The GPT-2 layer (pre-norm, causal) over positions [P, T) only, with the arithmetic of the full pass
// (TransformerEncoderLayer::forward and MultiheadAttention::forward: the same kernels on the same rows):
//   h = ln_1(x);  q, k, v = h W^T + b;  K, V = cached rows [0, P) then the new ones;
//   per head: weights rows [P, T) = softmax(q K^T / sqrt(Dh) + causal mask);  heads = weights V
//   x = x + c_proj(heads);  x = x + mlp(ln_2(x))
void HfModel::forward_cached(const HfInput& in, int64_t P, HfCache* c) const {
  const int64_t T = static_cast<int64_t>(in.input_ids.size()), n = T - P, E = config.d_model;
  const int64_t H = config.num_heads, Dh = E / H, F = config.ffn_dim;
  // The new positions' embeddings.
  Tensor x({1, n, E});
  for (int64_t t = P; t < T; ++t) {
    const float* tok = tokens.value.ptr() + static_cast<int64_t>(in.input_ids[t]) * E;
    const float* pos = positions.value.ptr() + t * E;
    float* row = x.ptr() + (t - P) * E;
    for (int64_t e = 0; e < E; ++e) row[e] = tok[e] * 1.0f + pos[e];
  }
  Tensor causal({1, 1, T, T});
  for (int64_t i = 0; i < T; ++i)
    for (int64_t j = i + 1; j < T; ++j) causal.data[static_cast<size_t>(i * T + j)] = -std::numeric_limits<float>::infinity();
  Tensor h({1, n, E}), q({1, n, E}), k({1, n, E}), v({1, n, E}), head_q({1, H, n, Dh}), heads({1, H, n, Dh});
  Tensor concat({1, n, E});
  Tensor attn_out({1, n, E}), resid({1, n, E}), pre({1, n, F}), ff({1, n, E});
  for (size_t l = 0; l < decoder_only.layers.size(); ++l) {
    const TransformerEncoderLayer& layer = decoder_only.layers[l];
    const MultiheadAttention& sa = layer.self_attn;
    EncoderLayerCache& lc = c->stack.layers[l];
    AttentionCache& ac = lc.self_attn;
    // The cache keeps what later passes and the page read: keys, values, weights and the mask.
    for (Tensor* stale : {&lc.input, &lc.norm1.out, &lc.norm1.mean, &lc.norm1.rstd, &lc.norm2.out, &lc.norm2.mean,
                          &lc.norm2.rstd, &lc.resid1, &lc.resid2, &lc.keep1, &lc.keep2, &lc.ff.pre, &lc.ff.hidden,
                          &lc.ff.keep, &lc.ff.output, &lc.output, &ac.q, &ac.scores, &ac.scaled, &ac.dropped, &ac.keep,
                          &ac.heads, &ac.concat, &ac.output})
      *stale = Tensor();
    regrow(ac.k, H, P, T, Dh);
    regrow(ac.v, H, P, T, Dh);
    regrow(ac.weights, H, P, T, T);
    ac.mask = causal;

    layernorm_forward(h.ptr(), static_cast<float*>(nullptr), static_cast<float*>(nullptr), x.ptr(),
                      layer.norm1.weight.value.ptr(), layer.norm1.bias.value.ptr(), n, E, layer.norm1.eps);
    const float* w = sa.in_proj_weight.value.ptr();
    const float* b = sa.in_proj_bias.value.ptr();
    linear_forward(q.ptr(), h.ptr(), w, b, n, E, E);
    linear_forward(k.ptr(), h.ptr(), w + E * E, b + E, n, E, E);
    linear_forward(v.ptr(), h.ptr(), w + 2 * E * E, b + 2 * E, n, E, E);
    for (int64_t hd = 0; hd < H; ++hd)
      for (int64_t r = 0; r < n; ++r) {
        std::copy_n(k.ptr() + r * E + hd * Dh, Dh, ac.k.ptr() + (hd * T + P + r) * Dh);
        std::copy_n(v.ptr() + r * E + hd * Dh, Dh, ac.v.ptr() + (hd * T + P + r) * Dh);
        std::copy_n(q.ptr() + r * E + hd * Dh, Dh, head_q.ptr() + (hd * n + r) * Dh);
      }
    const float factor = sa.config.score_scale.factor(Dh);
    for (int64_t hd = 0; hd < H; ++hd) {
      AttentionSlice<float> slice;
      slice.weights = ac.weights.ptr() + (hd * T + P) * T;
      attention_forward(heads.ptr() + hd * n * Dh, slice, head_q.ptr() + hd * n * Dh, ac.k.ptr() + hd * T * Dh,
                        ac.v.ptr() + hd * T * Dh, causal.ptr() + P * T, factor, 0.0f, static_cast<Rng*>(nullptr), n, T,
                        Dh, Dh);
    }
    const HeadMask ablation = in.heads.head_mask.layer(l);  // the cache was filled with the same masks
    if (ablation.scale)
      for (int64_t hd = 0; hd < H; ++hd)
        ablate_head(ac.weights.ptr() + (hd * T + P) * T, heads.ptr() + hd * n * Dh, ablation.scale[hd],
                    ablation.mean ? ablation.mean + hd * Dh : nullptr, n, T, Dh);
    for (int64_t hd = 0; hd < H; ++hd)
      for (int64_t r = 0; r < n; ++r) std::copy_n(heads.ptr() + (hd * n + r) * Dh, Dh, concat.ptr() + r * E + hd * Dh);
    sa.out_proj.forward(attn_out.ptr(), concat.ptr(), n);
    resid = attn_out;
    resid.mat() += x.mat();  // x + attention, added as the full pass adds it
    layernorm_forward(h.ptr(), static_cast<float*>(nullptr), static_cast<float*>(nullptr), resid.ptr(),
                      layer.norm2.weight.value.ptr(), layer.norm2.bias.value.ptr(), n, E, layer.norm2.eps);
    layer.linear1.forward(pre.ptr(), h.ptr(), n);
    activation_forward(pre.ptr(), pre.ptr(), pre.numel(), layer.config.activation);
    layer.linear2.forward(ff.ptr(), pre.ptr(), n);
    x = ff;
    x.mat() += resid.mat();
  }
  // ln_f, and the new rows of the last hidden state.
  Tensor hidden({1, T, E});
  std::copy_n(c->hidden.ptr(), P * E, hidden.ptr());
  layernorm_forward(hidden.ptr() + P * E, static_cast<float*>(nullptr), static_cast<float*>(nullptr), x.ptr(),
                    decoder_only.norm.weight.value.ptr(), decoder_only.norm.bias.value.ptr(), n, E,
                    decoder_only.norm.eps);
  c->hidden = std::move(hidden);
  for (Tensor* stale : {&c->embedded, &c->stack.norm_input, &c->stack.norm.out, &c->stack.norm.mean,
                        &c->stack.norm.rstd, &c->stack.output})
    *stale = Tensor();
  c->T = T;
  c->ids = in.input_ids;
  c->reused = P;
  if (in.logits) {
    apply_head(c, in.logit_positions);
  } else {
    c->logit_positions.clear();
    c->logits = Tensor();
  }
}

Status HfModel::generate(const HfInput& source, int64_t max_new_tokens, std::vector<int32_t>* ids, HfCache* c) const {
  if (!config.encoder_decoder()) return Status::error("generate: translation needs an encoder-decoder (marian) model");
  if (max_new_tokens < 1) return Status::error("generate: max_new_tokens must be at least 1");
  HfInput in = source;
  in.decoder_input_ids = {config.decoder_start_token_id};
  in.logit_positions.clear();
  ATTN_TRY(check(in));
  ATTN_TRY(check_head_masks(&in.heads));
  // The longest sequence: max_new_tokens after the start token, within the positions and config.max_length.
  int64_t limit = std::min<int64_t>(1 + max_new_tokens, config.max_positions);
  if (config.max_length > 0) limit = std::min<int64_t>(limit, config.max_length);
  c->T = static_cast<int64_t>(in.input_ids.size());
  embed(c->embedded, in);
  const Tensor pad = padding_mask(in.attention_mask);
  AttnMasks masks;
  masks.key_padding_mask = pad.data.empty() ? nullptr : &pad;
  encoder.forward(c->stack, c->embedded, masks, pass_context(source.full_trace), &in.heads.head_mask);
  std::vector<int32_t> seq = in.decoder_input_ids;
  const int32_t pad_id = config.pad_token_id, eos = config.eos_token_id;
  while (static_cast<int64_t>(seq.size()) < limit) {
    run_decoder(c, seq, pad, false, in.heads);
    apply_head(c, {static_cast<int64_t>(seq.size()) - 1});
    float* logits = c->logits.ptr();
    const int64_t V = output_vocab();
    if (pad_id >= 0 && pad_id != eos) logits[pad_id] = -std::numeric_limits<float>::infinity();
    // Hugging Face's forced_eos_token_id: the last position the length limit allows ends the sentence.
    int32_t next;
    if (config.forced_eos_token_id >= 0 && static_cast<int64_t>(seq.size()) + 1 == limit) {
      next = config.forced_eos_token_id;
    } else {
      next = static_cast<int32_t>(std::max_element(logits, logits + V) - logits);  // the first of equal maxima
    }
    seq.push_back(next);
    if (next == eos) break;
  }
  // The decoder inputs of the whole translation (every token but the last) teacher-forced: row i is the step that
  // wrote token i + 1, with its attention and its logits, as Hugging Face's per-step outputs of generate().
  run_decoder(c, std::vector<int32_t>(seq.begin(), seq.end() - 1), pad, source.full_trace, in.heads);
  apply_head(c, {});
  *ids = std::move(seq);
  return Status();
}

void HfModel::visit_trace(const HfCache& c, const TraceFn& fn) const {
  if (config.family == HfFamily::kGpt2) {
    attn::visit_trace(c.stack, "decoder.", fn);
  } else {
    attn::visit_trace(c.stack, "encoder.", fn);
    if (config.encoder_decoder()) attn::visit_trace(c.decoder, "decoder.", fn);
  }
}

}  // namespace attn
