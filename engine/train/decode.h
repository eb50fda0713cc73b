// Inference: greedy decoding, one token at a time, always taking the most likely next token.
//   encoder-decoder: encode the source once; start from <bos>; append argmax until <eos> or max_len.
//   decoder-only:    start from the prompt; append argmax until <eos> or max_new tokens.
// Each step reruns the decoder over the whole prefix (simple and exact; fine for the small models here).
#pragma once

#include <vector>

#include "models/model.h"

namespace attn {

struct Decoded {
  std::vector<int32_t> tokens;  // generated tokens (without <bos>, without the final <eos>)
  bool finished = false;        // <eos> was produced
  ModelCache cache;             // the last forward: the Trace of the whole generated sequence
};

// src: one source sequence. Returns the generated target tokens. heads: head ablation at every step (null: none;
// validated by the caller, TransformerModel::check_head_masks). ctx: every step's forward (eval mode; with
// record_scores the cache keeps the queries, keys and scores too).
Decoded greedy_seq2seq(const TransformerModel& model, const std::vector<int32_t>& src, int32_t bos, int32_t eos,
                       int64_t max_len, const HeadMasks* heads = nullptr, const ForwardContext& ctx = ForwardContext());
Decoded greedy_lm(const TransformerModel& model, const std::vector<int32_t>& prompt, int32_t eos, int64_t max_new,
                  const HeadMasks* heads = nullptr, const ForwardContext& ctx = ForwardContext());

}  // namespace attn
