#include "core/tensor.h"

#include <cstdio>
#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace attn {

#if defined(__GLIBC__)
namespace {
// Training allocates and frees the same activation-sized buffers (often > 128 KB) at every step. By default
// glibc serves those with mmap and unmaps them on free, so every step pays page faults again: about two
// thirds of a small model's training time, measured. Keeping them in the heap removes that cost.
// (WebAssembly's allocator never returns memory, so it needs nothing.)
const bool kMallocTuned = [] {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  return true;
}();
}  // namespace
#endif

void fail_assert(const char* expr, const char* file, int line, const std::string& message) {
  std::fprintf(stderr, "attn: internal error at %s:%d: %s (%s)\n", file, line, message.c_str(), expr);
  std::abort();
}

int64_t numel_of(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Tensor::Tensor(Shape s, float fill) : shape(std::move(s)), data(static_cast<size_t>(numel_of(shape)), fill) {}

Tensor::Tensor(Shape s, const std::vector<float>& values) : shape(std::move(s)), data(values.begin(), values.end()) {
  ATTN_ASSERT(numel_of(shape) == numel(), "Tensor: " + shape_str(shape) + " does not hold " +
                                              std::to_string(data.size()) + " values");
}

int64_t Tensor::dim(int i) const {
  if (i < 0) i += rank();
  ATTN_ASSERT(i >= 0 && i < rank(), "Tensor::dim out of range for shape " + shape_str(shape));
  return shape[static_cast<size_t>(i)];
}

MatMap Tensor::mat(int64_t cols) {
  if (cols < 0) cols = shape.empty() ? 1 : shape.back();
  ATTN_ASSERT(cols > 0 ? numel() % cols == 0 : numel() == 0, "Tensor::mat: bad column count");
  return MatMap(data.data(), cols > 0 ? numel() / cols : 0, cols);
}

ConstMatMap Tensor::mat(int64_t cols) const {
  if (cols < 0) cols = shape.empty() ? 1 : shape.back();
  ATTN_ASSERT(cols > 0 ? numel() % cols == 0 : numel() == 0, "Tensor::mat: bad column count");
  return ConstMatMap(data.data(), cols > 0 ? numel() / cols : 0, cols);
}

void Tensor::resize(const Shape& s) {
  shape = s;
  data.resize(static_cast<size_t>(numel_of(s)));
}

Tensor Tensor::reshaped(Shape s) const {
  Tensor t = *this;
  t.reshape(std::move(s));
  return t;
}

void Tensor::reshape(Shape s) {
  ATTN_ASSERT(numel_of(s) == numel(), "reshape " + shape_str(shape) + " -> " + shape_str(s));
  shape = std::move(s);
}

}  // namespace attn
