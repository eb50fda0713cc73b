// The means of mean ablation: each head's context vector (its output before out_proj, the Trace's "heads" entry
// [B, H, L, Dh]) averaged over every position of many sequences. Replacing a head by this mean (HeadMask::mean)
// removes what the head says about *this* input while keeping what it says on average, so the layers above still
// get an input of the usual size: a gentler test of a head than zeroing it (zero ablation).
//
//   head_means(model, seqs, tgts, &out):
//     out->head_mask.mean              [layers, H, Dh]   the encoder's (or the only stack's) heads
//     out->decoder_head_mask.mean      [decoder layers, H, Dh]   encoder-decoder models: decoder self-attention
//     out->cross_attn_head_mask.mean   [decoder layers, H, Dh]   and cross-attention
//   (the masks themselves stay empty: set them to choose which heads are replaced).
#pragma once

#include <vector>

#include "models/model.h"

namespace attn {

// seqs: token id sequences, one forward pass each (every position counts, padding included: give unpadded
// sequences); tgts: the decoder inputs of encoder-decoder models, one per sequence (else empty). Sums in double.
Status head_means(const TransformerModel& model, const std::vector<std::vector<int32_t>>& seqs,
                  const std::vector<std::vector<int32_t>>& tgts, HeadMasks* out);

}  // namespace attn
