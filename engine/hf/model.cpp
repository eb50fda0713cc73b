#include "hf/model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/gemm.h"

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

void HfModel::run_decoder(HfCache* c, const std::vector<int32_t>& tgt, const Tensor& memory_pad) const {
  c->Td = static_cast<int64_t>(tgt.size());
  embed_target(c->tgt_embedded, tgt);
  AttnMasks tgt_masks, memory_masks;
  tgt_masks.causal = true;
  memory_masks.key_padding_mask = memory_pad.data.empty() ? nullptr : &memory_pad;
  ForwardContext ctx;
  c->hidden = decoder.forward(c->decoder, c->tgt_embedded, c->stack.output, tgt_masks, memory_masks, ctx);
}

Status HfModel::forward(const HfInput& in, HfCache* c) const {
  ATTN_TRY(check(in));
  c->T = static_cast<int64_t>(in.input_ids.size());
  c->Td = 0;
  embed(c->embedded, in);
  const Tensor pad = padding_mask(in.attention_mask);
  AttnMasks masks;
  masks.key_padding_mask = pad.data.empty() ? nullptr : &pad;
  masks.causal = config.causal();
  ForwardContext ctx;
  c->hidden = stack().forward(c->stack, c->embedded, masks, ctx);
  if (config.encoder_decoder()) run_decoder(c, in.decoder_input_ids, pad);
  if (in.logits && (config.family == HfFamily::kGpt2 || config.encoder_decoder() || config.lm_head)) {
    apply_head(c, in.logit_positions);
  } else {
    c->logit_positions.clear();
    c->logits = Tensor();
    c->head_hidden = Tensor();
  }
  return Status();
}

Status HfModel::generate(const HfInput& source, int64_t max_new_tokens, std::vector<int32_t>* ids, HfCache* c) const {
  if (!config.encoder_decoder()) return Status::error("generate: translation needs an encoder-decoder (marian) model");
  if (max_new_tokens < 1) return Status::error("generate: max_new_tokens must be at least 1");
  HfInput in = source;
  in.decoder_input_ids = {config.decoder_start_token_id};
  in.logit_positions.clear();
  ATTN_TRY(check(in));
  // The longest sequence: max_new_tokens after the start token, within the positions and config.max_length.
  int64_t limit = std::min<int64_t>(1 + max_new_tokens, config.max_positions);
  if (config.max_length > 0) limit = std::min<int64_t>(limit, config.max_length);
  c->T = static_cast<int64_t>(in.input_ids.size());
  embed(c->embedded, in);
  const Tensor pad = padding_mask(in.attention_mask);
  AttnMasks masks;
  masks.key_padding_mask = pad.data.empty() ? nullptr : &pad;
  ForwardContext ctx;
  encoder.forward(c->stack, c->embedded, masks, ctx);
  std::vector<int32_t> seq = in.decoder_input_ids;
  const int32_t pad_id = config.pad_token_id, eos = config.eos_token_id;
  while (static_cast<int64_t>(seq.size()) < limit) {
    run_decoder(c, seq, pad);
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
  // The whole sequence teacher-forced: every generated token's attention, and the logits of every position.
  run_decoder(c, seq, pad);
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
