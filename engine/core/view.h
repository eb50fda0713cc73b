// N-d views of a Tensor's buffer with xtensor (no copy): nd(t) is an xtensor expression of shape t.shape that
// reads (or, for a non-const tensor, writes) the same memory. Used for the Trace's per-head slices:
//   auto w = nd(cache.weights);                          // [B, H, L, S]
//   auto head = xt::view(w, b, h, xt::all(), xt::all()); // [L, S], still the same memory
#pragma once

#include <xtensor/xadapt.hpp>
#include <xtensor/xview.hpp>

#include "core/tensor.h"

namespace attn {

inline std::vector<size_t> xshape(const Shape& s) { return std::vector<size_t>(s.begin(), s.end()); }

inline auto nd(Tensor& t) { return xt::adapt(t.ptr(), t.data.size(), xt::no_ownership(), xshape(t.shape)); }
inline auto nd(const Tensor& t) {
  return xt::adapt(t.ptr(), t.data.size(), xt::no_ownership(), xshape(t.shape));
}

// A copy of any xtensor expression as a Tensor.
template <class E>
Tensor to_tensor(const E& expr) {
  Tensor out(Shape(expr.shape().begin(), expr.shape().end()));
  std::copy(expr.begin(), expr.end(), out.data.begin());
  return out;
}

}  // namespace attn
