#include "models/model.h"

#include <cmath>
#include <limits>

#include "ops/embedding.h"
#include "ops/linear.h"

namespace attn {

bool parse_arch(const std::string& s, Arch* out) {
  if (s == "encoder") *out = Arch::kEncoder;
  else if (s == "decoder") *out = Arch::kDecoder;
  else if (s == "encoder-decoder") *out = Arch::kEncoderDecoder;
  else return false;
  return true;
}

const char* arch_name(Arch a) {
  return a == Arch::kEncoder ? "encoder" : a == Arch::kDecoder ? "decoder" : "encoder-decoder";
}

bool parse_positional(const std::string& s, Positional* out) {
  if (s == "none") *out = Positional::kNone;
  else if (s == "sinusoidal") *out = Positional::kSinusoidal;
  else if (s == "learned") *out = Positional::kLearned;
  else return false;
  return true;
}

const char* positional_name(Positional p) {
  return p == Positional::kNone ? "none" : p == Positional::kSinusoidal ? "sinusoidal" : "learned";
}

Status ModelConfig::validate() const {
  if (vocab_size <= 0) return Status::error("vocab_size must be positive");
  if (tgt_vocab_size < 0) return Status::error("tgt_vocab_size must not be negative");
  if (num_layers < 0 || num_decoder_layers < 0) return Status::error("layer counts must not be negative");
  if (num_layers > 64 || num_decoder_layers > 64) return Status::error("at most 64 layers");
  if (max_len <= 0) return Status::error("max_len must be positive");
  if (head_size < 0) return Status::error("head_size must not be negative");
  if (tie_embeddings) {
    const int64_t out_vocab = arch == Arch::kEncoderDecoder ? target_vocab() : vocab_size;
    if (head_size != out_vocab)
      return Status::error("tie_embeddings needs head_size (" + std::to_string(head_size) +
                           ") to equal the output vocabulary (" + std::to_string(out_vocab) + ")");
  }
  return layer.validate();
}

TransformerModel::TransformerModel(const ModelConfig& c) : config(c) {
  ATTN_ASSERT(c.validate().ok(), "TransformerModel: " + c.validate().message());
  const int64_t E = c.d_model();
  embed.value = Tensor({c.vocab_size, E});
  if (c.positional == Positional::kLearned) pos_embed.value = Tensor({c.max_len, E});
  switch (c.arch) {
    case Arch::kEncoder:
      encoder = TransformerEncoder(c.layer, c.num_layers, c.final_norm);
      break;
    case Arch::kDecoder:
      decoder_only = TransformerEncoder(c.layer, c.num_layers, c.final_norm);
      break;
    case Arch::kEncoderDecoder:
      encoder = TransformerEncoder(c.layer, c.num_layers, c.final_norm);
      decoder = TransformerDecoder(c.layer, c.num_decoder_layers, c.final_norm);
      tgt_embed.value = Tensor({c.target_vocab(), E});
      if (c.positional == Positional::kLearned) tgt_pos_embed.value = Tensor({c.max_len, E});
      break;
  }
  if (c.head_size > 0) {
    head = Linear(E, c.head_size, true);
    if (c.tie_embeddings) head.weight.value = Tensor();  // the embedding table serves as the weight
  }
}

const Param& TransformerModel::head_weight() const {
  if (!config.tie_embeddings) return head.weight;
  return config.arch == Arch::kEncoderDecoder ? tgt_embed : embed;
}

Param& TransformerModel::head_weight() {
  if (!config.tie_embeddings) return head.weight;
  return config.arch == Arch::kEncoderDecoder ? tgt_embed : embed;
}

void TransformerModel::reset_parameters(Rng& rng) {
  // Token and position vectors start on the same scale (unit variance per component), so neither drowns the
  // other. With scale_embedding the table is multiplied by sqrt(E) in the forward pass, so it starts at
  // N(0, 1/E), the convention of the 2017 paper (fairseq); without, N(0, 1), nn.Embedding's default.
  const double token_std = config.scale_embedding ? 1.0 / std::sqrt(static_cast<double>(config.d_model())) : 1.0;
  init_normal(embed.value, token_std, rng);
  init_normal(pos_embed.value, 1.0, rng);
  init_normal(tgt_embed.value, token_std, rng);
  init_normal(tgt_pos_embed.value, 1.0, rng);
  encoder.reset_parameters(rng);
  decoder_only.reset_parameters(rng);
  decoder.reset_parameters(rng);
  if (config.head_size > 0) {
    if (config.tie_embeddings) init_uniform(head.bias.value, 1.0 / std::sqrt(static_cast<double>(config.d_model())), rng);
    else head.reset_parameters(rng);
  }
}

void TransformerModel::visit(const ParamVisitor& fn) {
  fn("embed.weight", embed);
  if (config.positional == Positional::kLearned) fn("pos_embed.weight", pos_embed);
  switch (config.arch) {
    case Arch::kEncoder:
      encoder.visit("encoder.", fn);
      break;
    case Arch::kDecoder:
      decoder_only.visit("decoder.", fn);
      break;
    case Arch::kEncoderDecoder:
      encoder.visit("encoder.", fn);
      fn("tgt_embed.weight", tgt_embed);
      if (config.positional == Positional::kLearned) fn("tgt_pos_embed.weight", tgt_pos_embed);
      decoder.visit("decoder.", fn);
      break;
  }
  if (config.head_size > 0) {
    if (config.tie_embeddings) fn("head.bias", head.bias);
    else head.visit("head.", fn);
  }
}

int64_t TransformerModel::num_parameters() {
  int64_t n = 0;
  visit([&](const std::string&, Param& p) { n += p.value.numel(); });
  return n;
}

Status TransformerModel::check_ids(const std::vector<int32_t>& ids, int64_t length, int64_t vocab) const {
  if (length <= 0) return Status::error("the sequence is empty");
  if (length > config.max_len)
    return Status::error("the sequence has " + std::to_string(length) + " tokens; this model takes at most " +
                         std::to_string(config.max_len));
  for (int32_t id : ids)
    if (id < 0 || id >= vocab)
      return Status::error("token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                           std::to_string(vocab) + ")");
  return Status();
}

Status TransformerModel::check_head_masks(HeadMasks* h) const {
  const int64_t H = config.layer.nhead, Dh = config.d_model() / H;
  ATTN_TRY(h->head_mask.validate("head_mask", "head_mean", config.num_layers, H, Dh));
  if (config.arch != Arch::kEncoderDecoder) {
    for (const StackHeadMask* m : {&h->decoder_head_mask, &h->cross_attn_head_mask})
      if (m->active() || !m->mean.data.empty())
        return Status::error(std::string("decoder_head_mask and cross_attn_head_mask are for encoder-decoder models: ") +
                             (config.arch == Arch::kEncoder ? "an " : "a ") + arch_name(config.arch) +
                             " model has one stack, masked by head_mask");
    return Status();
  }
  const int64_t N = config.num_decoder_layers;
  ATTN_TRY(h->decoder_head_mask.validate("decoder_head_mask", "decoder_head_mean", N, H, Dh));
  return h->cross_attn_head_mask.validate("cross_attn_head_mask", "cross_attn_head_mean", N, H, Dh);
}

float TransformerModel::embed_scale() const {
  return config.scale_embedding ? std::sqrt(static_cast<float>(config.d_model())) : 1.0f;
}

void TransformerModel::embed_tokens(Tensor& out, const Param& table, const Param& positions,
                                    const std::vector<int32_t>& ids, int64_t B, int64_t L) const {
  const int64_t E = config.d_model();
  out.resize({B, L, E});
  embedding_forward(out.ptr(), ids.data(), table.value.ptr(), B * L, E, embed_scale());
  if (config.positional == Positional::kSinusoidal && (sinusoid_.data.empty() || sinusoid_.dim(0) < L))
    sinusoid_ = sinusoidal_encoding(L, E);
  const Tensor* pe = config.positional == Positional::kSinusoidal ? &sinusoid_
                     : config.positional == Positional::kLearned  ? &positions.value
                                                                  : nullptr;
  if (pe)
    for (int64_t b = 0; b < B; ++b) MatMap(out.ptr() + b * L * E, L, E) += pe->mat().topRows(L);
}

void TransformerModel::embed_backward(Param& table, Param& positions, const Tensor& d, const std::vector<int32_t>& ids,
                                      int64_t B, int64_t L) {
  const int64_t E = config.d_model();
  embedding_backward(table.grad_ptr(), d.ptr(), ids.data(), B * L, E, embed_scale());
  if (config.positional == Positional::kLearned) {
    MatMap dpos(positions.grad_ptr(), config.max_len, E);
    for (int64_t b = 0; b < B; ++b) dpos.topRows(L) += ConstMatMap(d.ptr() + b * L * E, L, E);
  }
}

Tensor TransformerModel::padding_mask(const std::vector<int32_t>& ids, int64_t B, int64_t L) const {
  if (config.pad_id < 0) return Tensor();
  Tensor m({B, L});
  for (int64_t i = 0; i < B * L; ++i)
    if (ids[static_cast<size_t>(i)] == config.pad_id) m.data[static_cast<size_t>(i)] = -std::numeric_limits<float>::infinity();
  return m;
}

const Tensor& TransformerModel::apply_head(ModelCache& c, const Tensor& hidden) const {
  c.hidden = hidden;
  if (config.head_size == 0) {
    c.logits = hidden;
    return c.logits;
  }
  Shape s = hidden.shape;
  s.back() = config.head_size;
  c.logits.resize(s);
  linear_forward(c.logits.ptr(), hidden.ptr(), head_weight().value.ptr(), head.bias.value.ptr(),
                 hidden.numel() / hidden.dim(-1), config.d_model(), config.head_size);
  return c.logits;
}

const Tensor& TransformerModel::forward(ModelCache& c, const std::vector<int32_t>& ids, int64_t B, int64_t L,
                                        const ForwardContext& ctx, const HeadMasks* heads) const {
  ATTN_ASSERT(config.arch != Arch::kEncoderDecoder, "forward: use forward_seq2seq for encoder-decoder models");
  c.B = B;
  c.L = L;
  c.T = 0;
  c.ids = ids;
  embed_tokens(c.embedded, embed, pos_embed, ids, B, L);
  Tensor pad = padding_mask(ids, B, L);
  AttnMasks masks;
  masks.key_padding_mask = pad.data.empty() ? nullptr : &pad;
  masks.causal = config.arch == Arch::kDecoder || config.causal;
  const TransformerEncoder& stack = config.arch == Arch::kDecoder ? decoder_only : encoder;
  EncoderCache& cache = config.arch == Arch::kDecoder ? c.decoder_only : c.encoder;
  return apply_head(c, stack.forward(cache, c.embedded, masks, ctx, heads ? &heads->head_mask : nullptr));
}

const Tensor& TransformerModel::forward_seq2seq(ModelCache& c, const std::vector<int32_t>& src, int64_t S,
                                                const std::vector<int32_t>& tgt, int64_t T, int64_t B,
                                                const ForwardContext& ctx, const HeadMasks* heads) const {
  ATTN_ASSERT(config.arch == Arch::kEncoderDecoder, "forward_seq2seq: not an encoder-decoder model");
  c.B = B;
  c.L = S;
  c.T = T;
  c.ids = src;
  c.tgt_ids = tgt;
  embed_tokens(c.embedded, embed, pos_embed, src, B, S);
  Tensor src_pad = padding_mask(src, B, S);
  Tensor tgt_pad = padding_mask(tgt, B, T);
  AttnMasks src_masks, tgt_masks, memory_masks;
  src_masks.key_padding_mask = src_pad.data.empty() ? nullptr : &src_pad;
  src_masks.causal = config.causal;
  memory_masks.key_padding_mask = src_masks.key_padding_mask;
  tgt_masks.key_padding_mask = tgt_pad.data.empty() ? nullptr : &tgt_pad;
  tgt_masks.causal = true;
  const Tensor& memory = encoder.forward(c.encoder, c.embedded, src_masks, ctx, heads ? &heads->head_mask : nullptr);
  embed_tokens(c.tgt_embedded, tgt_embed, tgt_pos_embed, tgt, B, T);
  return apply_head(c, decoder.forward(c.decoder, c.tgt_embedded, memory, tgt_masks, memory_masks, ctx,
                                       heads ? &heads->decoder_head_mask : nullptr,
                                       heads ? &heads->cross_attn_head_mask : nullptr));
}

void TransformerModel::zero_grad() {
  visit([](const std::string&, Param& p) { p.zero_grad(); });
}

void TransformerModel::backward(const ModelCache& c, const Tensor& dlogits) {
  Tensor dhidden(c.hidden.shape, 0.0f);
  if (config.head_size > 0)
    linear_backward(dhidden.ptr(), head_weight().grad_ptr(), head.bias.grad_ptr(), dlogits.ptr(), c.hidden.ptr(),
                    head_weight().value.ptr(), c.hidden.numel() / c.hidden.dim(-1), config.d_model(), config.head_size);
  else dhidden = dlogits;
  Tensor dembedded(c.embedded.shape, 0.0f);
  switch (config.arch) {
    case Arch::kEncoder:
      encoder.backward(dembedded, dhidden, c.encoder);
      break;
    case Arch::kDecoder:
      decoder_only.backward(dembedded, dhidden, c.decoder_only);
      break;
    case Arch::kEncoderDecoder: {
      Tensor dtgt(c.tgt_embedded.shape, 0.0f), dmemory(c.encoder.output.shape, 0.0f);
      decoder.backward(dtgt, dmemory, dhidden, c.decoder, c.encoder.output);
      embed_backward(tgt_embed, tgt_pos_embed, dtgt, c.tgt_ids, c.B, c.T);
      encoder.backward(dembedded, dmemory, c.encoder);
      break;
    }
  }
  embed_backward(embed, pos_embed, dembedded, c.ids, c.B, c.L);
}

void TransformerModel::visit_trace(const ModelCache& c, const TraceFn& fn) {
  if (!c.embedded.data.empty()) fn("embedded", c.embedded);
  if (!c.encoder.layers.empty()) attn::visit_trace(c.encoder, "encoder.", fn);
  if (!c.decoder_only.layers.empty()) attn::visit_trace(c.decoder_only, "decoder.", fn);
  if (!c.tgt_embedded.data.empty()) fn("tgt_embedded", c.tgt_embedded);
  if (!c.decoder.layers.empty()) attn::visit_trace(c.decoder, "decoder.", fn);
  if (!c.logits.data.empty()) fn("logits", c.logits);
}

}  // namespace attn
