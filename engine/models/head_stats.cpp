#include "models/head_stats.h"

#include <cmath>

namespace attn {

void HeadStats::add(int64_t layer, const Tensor& w, const std::vector<int64_t>& query_len,
                    const std::vector<int64_t>& key_len, const std::vector<uint8_t>& punct, bool self_attention) {
  const int64_t B = w.dim(0), H = w.dim(1), L = w.dim(2), S = w.dim(3);
  ATTN_ASSERT(layer >= 0 && layer < layers_ && H == heads_, "HeadStats::add: layer or head count");
  for (int64_t b = 0; b < B; ++b) {
    const int64_t lq = query_len[static_cast<size_t>(b)], lk = key_len[static_cast<size_t>(b)];
    for (int64_t h = 0; h < H; ++h) {
      HeadStat& s = sums_[static_cast<size_t>(layer * heads_ + h)];
      for (int64_t i = 0; i < std::min(lq, L); ++i) {
        const float* row = w.ptr() + ((b * H + h) * L + i) * S;
        double total = 0, entropy = 0, mx = 0, p = 0;
        for (int64_t j = 0; j < std::min(lk, S); ++j) {
          const double x = row[j];
          total += x;
          if (x > 0) entropy -= x * std::log2(x);
          mx = std::max(mx, x);
          if (!punct.empty() && punct[static_cast<size_t>(b * S + j)]) p += x;
        }
        if (total == 0) continue;  // a fully masked query
        s.entropy += entropy;
        s.max += mx;
        s.punct += p;
        if (self_attention && i < lk) s.self += row[i];
        if (self_attention && i + 1 < std::min(lk, S)) {
          s.next += row[i + 1];
          ++s.earlier_rows;
        }
        if (i >= 1) {
          if (self_attention) s.previous += row[i - 1];
          s.first += row[0];
          ++s.later_rows;
        }
        ++s.rows;
      }
    }
  }
}

std::vector<std::vector<HeadStat>> HeadStats::result() const {
  std::vector<std::vector<HeadStat>> out(static_cast<size_t>(layers_), std::vector<HeadStat>(static_cast<size_t>(heads_)));
  for (int64_t l = 0; l < layers_; ++l) {
    for (int64_t h = 0; h < heads_; ++h) {
      HeadStat s = sums_[static_cast<size_t>(l * heads_ + h)];
      if (s.rows) {
        const double n = static_cast<double>(s.rows);
        s.entropy /= n;
        s.max /= n;
        s.punct /= n;
        s.self /= n;
      }
      if (s.earlier_rows) s.next /= static_cast<double>(s.earlier_rows);
      if (s.later_rows) {
        s.previous /= static_cast<double>(s.later_rows);
        s.first /= static_cast<double>(s.later_rows);
      }
      out[static_cast<size_t>(l)][static_cast<size_t>(h)] = s;
    }
  }
  return out;
}

}  // namespace attn
