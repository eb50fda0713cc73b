#include "models/lstm_seq2seq.h"

#include <algorithm>

#include "ops/embedding.h"

namespace attn {

int64_t LstmSeq2SeqConfig::parameter_count() const {
  const int64_t H = hidden_size, per_layer = 4 * H * (H + H) + 8 * H;  // every layer reads H: the embeddings are H wide
  return (vocab_size + tgt_vocab_size) * H + 2 * num_layers * per_layer + head_size * (H + 1);
}

LstmSeq2Seq::LstmSeq2Seq(const LstmSeq2SeqConfig& c)
    : config(c),
      encoder(c.hidden_size, c.hidden_size, c.num_layers),
      decoder(c.hidden_size, c.hidden_size, c.num_layers),
      head(c.hidden_size, c.head_size) {
  embed.value = Tensor({c.vocab_size, c.hidden_size});
  tgt_embed.value = Tensor({c.tgt_vocab_size, c.hidden_size});
}

void LstmSeq2Seq::reset_parameters(Rng& rng) {
  init_normal(embed.value, 1.0, rng);
  encoder.reset_parameters(rng);
  init_normal(tgt_embed.value, 1.0, rng);
  decoder.reset_parameters(rng);
  head.reset_parameters(rng);
}

void LstmSeq2Seq::visit(const ParamVisitor& fn) {
  fn("embed.weight", embed);
  encoder.visit("encoder.", fn);
  fn("tgt_embed.weight", tgt_embed);
  decoder.visit("decoder.", fn);
  head.visit("head.", fn);
}

int64_t LstmSeq2Seq::num_parameters() {
  int64_t n = 0;
  visit([&](const std::string&, Param& p) { n += p.value.numel(); });
  return n;
}

void LstmSeq2Seq::zero_grad() {
  visit([](const std::string&, Param& p) { p.zero_grad(); });
}

Status LstmSeq2Seq::check_ids(const std::vector<int32_t>& ids, int64_t length, int64_t vocab) const {
  if (length <= 0) return Status::error("the sequence is empty");
  for (int32_t id : ids)
    if (id < 0 || id >= vocab)
      return Status::error("token id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
  return Status();
}

void LstmSeq2Seq::embed_ids(Tensor& out, const Param& table, const std::vector<int32_t>& ids, int64_t B, int64_t L) const {
  const int64_t H = config.hidden_size;
  out.resize({B, L, H});
  embedding_forward(out.ptr(), ids.data(), table.value.ptr(), B * L, H, 1.0f);
}

const Tensor& LstmSeq2Seq::forward(LstmSeq2SeqCache& c, const std::vector<int32_t>& src, int64_t S,
                                   const std::vector<int32_t>& tgt, int64_t T, int64_t B) const {
  c.B = B, c.S = S, c.T = T;
  c.src = src, c.tgt = tgt;
  // Each source row ends at its first pad (pads only follow the input).
  std::vector<int64_t> lengths(static_cast<size_t>(B), S);
  for (int64_t b = 0; b < B; ++b) {
    const auto row = src.begin() + b * S;
    lengths[static_cast<size_t>(b)] = std::max<int64_t>(1, std::find(row, row + S, config.pad_id) - row);
  }
  embed_ids(c.src_embedded, embed, src, B, S);
  encoder.forward(c.encoder, c.src_embedded, nullptr, nullptr, &lengths);
  embed_ids(c.tgt_embedded, tgt_embed, tgt, B, T);
  const Tensor& states = decoder.forward(c.decoder, c.tgt_embedded, &c.encoder.h_n, &c.encoder.c_n, nullptr);
  c.logits.resize({B, T, config.head_size});
  head.forward(c.logits.ptr(), states.ptr(), B * T);
  return c.logits;
}

void LstmSeq2Seq::backward(const LstmSeq2SeqCache& c, const Tensor& dlogits) {
  const int64_t H = config.hidden_size;
  Tensor dstates(c.decoder.output.shape, 0.0f), dtgt_embedded, dh_n, dc_n, dsrc_embedded;
  head.backward(dstates.ptr(), dlogits.ptr(), c.decoder.output.ptr(), c.B * c.T);
  decoder.backward(&dtgt_embedded, &dh_n, &dc_n, &dstates, nullptr, nullptr, c.decoder);
  embedding_backward(tgt_embed.grad_ptr(), dtgt_embedded.ptr(), c.tgt.data(), c.B * c.T, H, 1.0f);
  encoder.backward(&dsrc_embedded, nullptr, nullptr, nullptr, &dh_n, &dc_n, c.encoder);
  embedding_backward(embed.grad_ptr(), dsrc_embedded.ptr(), c.src.data(), c.B * c.S, H, 1.0f);
}

LstmAnswer LstmSeq2Seq::greedy(const std::vector<int32_t>& src, int32_t bos, int32_t eos, int64_t max_len) const {
  LstmSeq2SeqCache c;
  const int64_t S = static_cast<int64_t>(src.size());
  embed_ids(c.src_embedded, embed, src, 1, S);
  encoder.forward(c.encoder, c.src_embedded, nullptr, nullptr, nullptr);
  Tensor h = c.encoder.h_n, cell = c.encoder.c_n, logits({1, config.head_size});
  LstmAnswer a;
  int32_t token = bos;
  while (static_cast<int64_t>(a.tokens.size()) < max_len) {
    embed_ids(c.tgt_embedded, tgt_embed, {token}, 1, 1);
    const Tensor& state = decoder.forward(c.decoder, c.tgt_embedded, &h, &cell, nullptr);
    head.forward(logits.ptr(), state.ptr(), 1);
    h = c.decoder.h_n, cell = c.decoder.c_n;
    token = static_cast<int32_t>(std::max_element(logits.data.begin(), logits.data.end()) - logits.data.begin());
    if (token == eos) {
      a.finished = true;
      break;
    }
    a.tokens.push_back(token);
  }
  return a;
}

}  // namespace attn
