#include "train/decode.h"

#include <algorithm>

namespace attn {

namespace {
int32_t argmax_last(const Tensor& logits) {
  const int64_t C = logits.dim(-1), N = logits.numel() / C;
  const float* row = logits.ptr() + (N - 1) * C;
  return static_cast<int32_t>(std::max_element(row, row + C) - row);
}
}  // namespace

Decoded greedy_seq2seq(const TransformerModel& model, const std::vector<int32_t>& src, int32_t bos, int32_t eos,
                       int64_t max_len, const HeadMasks* heads, const ForwardContext& ctx) {
  Decoded d;
  std::vector<int32_t> prefix = {bos};
  max_len = std::min<int64_t>(max_len, model.config.max_len - 1);
  while (static_cast<int64_t>(d.tokens.size()) < max_len) {
    const Tensor& logits = model.forward_seq2seq(d.cache, src, static_cast<int64_t>(src.size()), prefix,
                                                 static_cast<int64_t>(prefix.size()), 1, ctx, heads);
    const int32_t next = argmax_last(logits);
    if (next == eos) {
      d.finished = true;
      break;
    }
    d.tokens.push_back(next);
    prefix.push_back(next);
  }
  return d;
}

Decoded greedy_lm(const TransformerModel& model, const std::vector<int32_t>& prompt, int32_t eos, int64_t max_new,
                  const HeadMasks* heads, const ForwardContext& ctx) {
  Decoded d;
  std::vector<int32_t> seq = prompt;
  while (static_cast<int64_t>(d.tokens.size()) < max_new && static_cast<int64_t>(seq.size()) < model.config.max_len) {
    const int32_t next = argmax_last(model.forward(d.cache, seq, 1, static_cast<int64_t>(seq.size()), ctx, heads));
    if (next == eos) {
      d.finished = true;
      break;
    }
    d.tokens.push_back(next);
    seq.push_back(next);
  }
  return d;
}

}  // namespace attn
