// Tensor: the one container of the engine. A shape and a row-major float32 buffer, nothing more.
//
// Notation used in every header of the engine:
//   B = batch, L = target (query) length, S = source (key) length, E = model width (embed_dim),
//   H = heads, Dh = E / H (head width), F = feed-forward width, V = vocabulary size.
// Every activation is batch-first and row-major: a [B, L, E] tensor stores x[b][l][e] at (b * L + l) * E + e.
//
// Math is done through Eigen maps over the buffer (no copies); N-d views for the Trace use xtensor's
// xt::adapt over the same memory (see engine/models/trace.h).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <cstddef>
#include <initializer_list>
#include <new>
#include <string>
#include <vector>

#include "core/check.h"

namespace attn {

// One row-major matrix type for the whole engine, and maps that view tensor memory as matrices.
using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatMap = Eigen::Map<Mat>;
using ConstMatMap = Eigen::Map<const Mat>;
// A matrix inside a wider one (for example one head's columns of a [L, E] block): rows are `stride` apart.
using StridedMap = Eigen::Map<Mat, 0, Eigen::OuterStride<>>;
using ConstStridedMap = Eigen::Map<const Mat, 0, Eigen::OuterStride<>>;
using RowVec = Eigen::Matrix<float, 1, Eigen::Dynamic>;
using RowVecMap = Eigen::Map<RowVec>;
using ConstRowVecMap = Eigen::Map<const RowVec>;
// Function parameters take matrices as Refs (Eigen's advice): any map or block with unit inner stride binds
// without a copy.
using MatRef = Eigen::Ref<Mat>;
using ConstMatRef = Eigen::Ref<const Mat>;

// The same, for any scalar type T (float in the engine, double in gradient checks).
template <class T>
using MatT = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MapT = Eigen::Map<MatT<T>>;
template <class T>
using CMapT = Eigen::Map<const MatT<T>>;
template <class T>
using RowVecT = Eigen::Matrix<T, 1, Eigen::Dynamic>;

using Shape = std::vector<int64_t>;

// Buffers start on a 64-byte boundary. Eigen's vectorized loops peel a different number of leading elements
// (and so round differently) depending on a buffer's alignment; with every buffer aligned the same way, the
// same computation gives the same bits wherever the heap puts it (two runs in one process, or in two).
template <class T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::size_t kAlign = 64;
  AlignedAllocator() = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(kAlign))); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t(kAlign)); }
  template <class U>
  bool operator==(const AlignedAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const AlignedAllocator<U>&) const { return false; }
};
using FloatBuffer = std::vector<float, AlignedAllocator<float>>;

// Number of elements of a shape (1 for the empty shape, i.e. a scalar).
int64_t numel_of(const Shape& shape);
// "[2, 3, 4]"
std::string shape_str(const Shape& shape);

struct Tensor {
  Shape shape;
  FloatBuffer data;

  Tensor() = default;
  explicit Tensor(Shape s, float fill = 0.0f);
  Tensor(Shape s, const std::vector<float>& values);  // values.size() must equal numel(shape)

  int64_t numel() const { return static_cast<int64_t>(data.size()); }
  int rank() const { return static_cast<int>(shape.size()); }
  bool empty() const { return data.empty() && shape.empty(); }
  // Size of dimension i; negative i counts from the end like Python.
  int64_t dim(int i) const;

  float* ptr() { return data.data(); }
  const float* ptr() const { return data.data(); }

  // The whole buffer seen as a [numel / cols, cols] matrix; cols defaults to the last dimension.
  MatMap mat(int64_t cols = -1);
  ConstMatMap mat(int64_t cols = -1) const;

  // Gives the tensor this shape, reusing its buffer when it is large enough. The values are NOT reset: use it
  // for outputs that are about to be overwritten (caches reused across calls avoid reallocation).
  void resize(const Shape& s);
  // Same data, another shape with the same number of elements.
  Tensor reshaped(Shape s) const;
  void reshape(Shape s);
};

}  // namespace attn
