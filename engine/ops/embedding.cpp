#include "ops/embedding.h"

#include <cmath>

namespace attn {

void embedding_forward(MatRef out, const int32_t* ids, int64_t n, ConstMatRef table, float scale) {
  ATTN_ASSERT(out.rows() == n && out.cols() == table.cols(), "embedding_forward: shapes");
  for (int64_t i = 0; i < n; ++i) out.row(i) = table.row(ids[i]) * scale;
}

Tensor sinusoidal_encoding(int64_t length, int64_t E) {
  Tensor pe({length, E});
  for (int64_t pos = 0; pos < length; ++pos) {
    for (int64_t j = 0; j < E; ++j) {
      const double two_i = static_cast<double>(j - (j % 2));
      const double angle = static_cast<double>(pos) / std::pow(10000.0, two_i / static_cast<double>(E));
      pe.data[static_cast<size_t>(pos * E + j)] = static_cast<float>(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  }
  return pe;
}

}  // namespace attn
