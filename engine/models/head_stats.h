// What each attention head does, measured over text: the numbers behind the page's head gallery.
// For every (layer, head) of one attention kind, averaged over all real query rows (not padding, not fully
// masked) of every sequence added:
//   entropy   -sum_j w_ij log2 w_ij (bits): low = focused on a few keys, high = spread out
//   previous  w_{i, i-1}   (queries i >= 1)          self   w_{i, i}        next  w_{i, i+1} (not the last query)
//   first     w_{i, 0}     (queries i >= 1)          punct  sum of w_ij over punctuation keys j
//   max       max_j w_ij: how peaked the row is
// Self-attention only for previous/self (cross-attention has no "previous"); those stay 0 for cross-attention.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace attn {

struct HeadStat {
  double entropy = 0, previous = 0, self = 0, next = 0, first = 0, punct = 0, max = 0;
  int64_t rows = 0;        // query rows averaged
  int64_t later_rows = 0;  // of those, rows i >= 1 (the denominator of previous and first)
  int64_t earlier_rows = 0;  // rows that have a next key (the denominator of next)
};

class HeadStats {
 public:
  HeadStats(int64_t layers, int64_t heads) : layers_(layers), heads_(heads), sums_(static_cast<size_t>(layers * heads)) {}

  // weights [B, H, L, S] of `layer`; query_len[b] / key_len[b]: real lengths of row b (the rest is padding);
  // punct [B, S]: 1 where key j of row b is punctuation (may be empty). self_attention: L and S index the
  // same tokens.
  void add(int64_t layer, const Tensor& weights, const std::vector<int64_t>& query_len,
           const std::vector<int64_t>& key_len, const std::vector<uint8_t>& punct, bool self_attention);

  // Averages, [layer][head].
  std::vector<std::vector<HeadStat>> result() const;

 private:
  int64_t layers_, heads_;
  std::vector<HeadStat> sums_;
};

}  // namespace attn
