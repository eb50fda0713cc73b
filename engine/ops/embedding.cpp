#include "ops/embedding.h"

#include <cmath>

namespace attn {

template <class T>
void embedding_forward(T* out, const int32_t* ids, const T* table, int64_t N, int64_t E, T scale) {
  for (int64_t n = 0; n < N; ++n) {
    const T* row = table + static_cast<int64_t>(ids[n]) * E;
    for (int64_t j = 0; j < E; ++j) out[n * E + j] = row[j] * scale;
  }
}

template <class T>
void embedding_backward(T* dtable, const T* dout, const int32_t* ids, int64_t N, int64_t E, T scale) {
  for (int64_t n = 0; n < N; ++n) {
    T* row = dtable + static_cast<int64_t>(ids[n]) * E;
    for (int64_t j = 0; j < E; ++j) row[j] += dout[n * E + j] * scale;
  }
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

template void embedding_forward(float*, const int32_t*, const float*, int64_t, int64_t, float);
template void embedding_forward(double*, const int32_t*, const double*, int64_t, int64_t, double);
template void embedding_backward(float*, const float*, const int32_t*, int64_t, int64_t, float);
template void embedding_backward(double*, const double*, const int32_t*, int64_t, int64_t, double);

}  // namespace attn
