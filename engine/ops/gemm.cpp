#include "ops/gemm.h"

#include <algorithm>
#include <vector>

#include "core/tensor.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace attn {

namespace {

template <class T>
using StridedT = Eigen::Map<const MatT<T>, 0, Eigen::OuterStride<>>;

// Eigen: blocked GEMM, or the coefficient-based product when packing would cost more than it saves.
template <class T>
void gemm_eigen(T* C, int64_t ldc, const T* A, int64_t lda, bool trans_a, const T* B, int64_t ldb, bool trans_b,
                int64_t M, int64_t N, int64_t K, bool accumulate) {
  Eigen::Map<MatT<T>, 0, Eigen::OuterStride<>> c(C, M, N, Eigen::OuterStride<>(ldc));
  auto run = [&](const auto& a, const auto& b) {
    if (M * N * K <= 32 * 32 * 32) {
      if (accumulate) c += a.lazyProduct(b);
      else c = a.lazyProduct(b);
    } else {
      if (accumulate) c.noalias() += a * b;
      else c.noalias() = a * b;
    }
  };
  auto with_b = [&](const auto& a) {
    if (trans_b) run(a, StridedT<T>(B, N, K, Eigen::OuterStride<>(ldb)).transpose());
    else run(a, StridedT<T>(B, K, N, Eigen::OuterStride<>(ldb)));
  };
  if (trans_a) with_b(StridedT<T>(A, K, M, Eigen::OuterStride<>(lda)).transpose());
  else with_b(StridedT<T>(A, M, K, Eigen::OuterStride<>(lda)));
}

#if defined(__wasm_simd128__)
// ------------------------------------------------------------------------------------ WebAssembly SIMD
// Blocking: for each block of kKc depths and kNc columns, op(B) is packed into panels of 8 columns
// (bp[k * 8 + j]); for each 4 rows, op(A) into a panel of 4 rows (ap[k * 4 + i]). The kernel keeps a 4 x 8 tile
// of C in eight 4-lane registers and adds one rank-1 update per k. Edges are zero-padded in the panels and
// written back through a scratch tile.
constexpr int64_t kMr = 4, kNr = 8, kKc = 256, kNc = 512;

void pack_b(float* bp, const float* B, int64_t ldb, bool trans_b, int64_t k0, int64_t kc, int64_t n0, int64_t nc) {
  const int K = static_cast<int>(kc), ld = static_cast<int>(ldb);
  for (int64_t j0 = 0; j0 < nc; j0 += kNr) {
    const int w = static_cast<int>(std::min(kNr, nc - j0));
    float* dst = bp + j0 * kc;
    if (!trans_b) {  // op(B) rows are B's rows: 8 contiguous values per k
      const float* src = B + k0 * ldb + n0 + j0;
      for (int k = 0; k < K; ++k, src += ld, dst += kNr) {
        if (w == kNr) {
          wasm_v128_store(dst, wasm_v128_load(src));
          wasm_v128_store(dst + 4, wasm_v128_load(src + 4));
        } else {
          for (int j = 0; j < w; ++j) dst[j] = src[j];
          for (int j = w; j < kNr; ++j) dst[j] = 0.0f;
        }
      }
    } else {  // op(B) column j is B's row j: read each row once, contiguously
      for (int j = 0; j < kNr; ++j) {
        float* d = dst + j;
        if (j < w) {
          const float* src = B + (n0 + j0 + j) * ldb + k0;
          for (int k = 0; k < K; ++k) d[k * kNr] = src[k];
        } else {
          for (int k = 0; k < K; ++k) d[k * kNr] = 0.0f;
        }
      }
    }
  }
}

void pack_a(float* ap, const float* A, int64_t lda, bool trans_a, int64_t i0, int64_t h, int64_t k0, int64_t kc) {
  const int K = static_cast<int>(kc), H = static_cast<int>(h), ld = static_cast<int>(lda);
  if (trans_a) {  // op(A) rows are A's columns: 4 contiguous values per k
    const float* src = A + k0 * lda + i0;
    for (int k = 0; k < K; ++k, src += ld, ap += kMr) {
      if (H == kMr) {
        wasm_v128_store(ap, wasm_v128_load(src));
      } else {
        for (int i = 0; i < H; ++i) ap[i] = src[i];
        for (int i = H; i < kMr; ++i) ap[i] = 0.0f;
      }
    }
    return;
  }
  for (int i = 0; i < kMr; ++i) {
    if (i < H) {
      const float* src = A + (i0 + i) * lda + k0;
      for (int k = 0; k < K; ++k) ap[k * kMr + i] = src[k];
    } else {
      for (int k = 0; k < K; ++k) ap[k * kMr + i] = 0.0f;
    }
  }
}

// tile [4, 8] (row stride ldt) (+)= ap [kc, 4]^T bp [kc, 8]. Pointers step through the panels (32-bit
// arithmetic; 64-bit indices cost a conversion per load in wasm32), and A's values are loaded as splats.
inline void kernel_4x8(float* tile, int64_t ldt, const float* ap, const float* bp, int64_t kc, bool accumulate) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int k = static_cast<int>(kc); k > 0; --k, ap += kMr, bp += kNr) {
    const v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    const v128_t a0 = wasm_v128_load32_splat(ap), a1 = wasm_v128_load32_splat(ap + 1);
    const v128_t a2 = wasm_v128_load32_splat(ap + 2), a3 = wasm_v128_load32_splat(ap + 3);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
  }
  float* r0 = tile;
  float* r1 = tile + ldt;
  float* r2 = tile + 2 * ldt;
  float* r3 = tile + 3 * ldt;
  if (accumulate) {
    c00 = wasm_f32x4_add(c00, wasm_v128_load(r0));
    c01 = wasm_f32x4_add(c01, wasm_v128_load(r0 + 4));
    c10 = wasm_f32x4_add(c10, wasm_v128_load(r1));
    c11 = wasm_f32x4_add(c11, wasm_v128_load(r1 + 4));
    c20 = wasm_f32x4_add(c20, wasm_v128_load(r2));
    c21 = wasm_f32x4_add(c21, wasm_v128_load(r2 + 4));
    c30 = wasm_f32x4_add(c30, wasm_v128_load(r3));
    c31 = wasm_f32x4_add(c31, wasm_v128_load(r3 + 4));
  }
  wasm_v128_store(r0, c00);
  wasm_v128_store(r0 + 4, c01);
  wasm_v128_store(r1, c10);
  wasm_v128_store(r1 + 4, c11);
  wasm_v128_store(r2, c20);
  wasm_v128_store(r2 + 4, c21);
  wasm_v128_store(r3, c30);
  wasm_v128_store(r3 + 4, c31);
}

void gemm_simd(float* C, int64_t ldc, const float* A, int64_t lda, bool trans_a, const float* B, int64_t ldb,
               bool trans_b, int64_t M, int64_t N, int64_t K, bool accumulate) {
  if (K == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, 0.0f);
    return;
  }
  static thread_local std::vector<float> bp, ap;
  float tile[kMr * kNr];
  for (int64_t n0 = 0; n0 < N; n0 += kNc) {
    const int64_t nc = std::min(kNc, N - n0), panels = (nc + kNr - 1) / kNr;
    for (int64_t k0 = 0; k0 < K; k0 += kKc) {
      const int64_t kc = std::min(kKc, K - k0);
      const bool acc = accumulate || k0 > 0;
      bp.resize(static_cast<size_t>(panels * kNr * kc));
      ap.resize(static_cast<size_t>(kMr * kc));
      pack_b(bp.data(), B, ldb, trans_b, k0, kc, n0, nc);
      for (int64_t i0 = 0; i0 < M; i0 += kMr) {
        const int64_t h = std::min(kMr, M - i0);
        pack_a(ap.data(), A, lda, trans_a, i0, h, k0, kc);
        for (int64_t p = 0; p < panels; ++p) {
          const int64_t j0 = n0 + p * kNr, w = std::min(kNr, N - j0);
          float* c = C + i0 * ldc + j0;
          if (h == kMr && w == kNr) {
            kernel_4x8(c, ldc, ap.data(), bp.data() + p * kNr * kc, kc, acc);
          } else {  // an edge: through the scratch tile
            kernel_4x8(tile, kNr, ap.data(), bp.data() + p * kNr * kc, kc, false);
            for (int64_t i = 0; i < h; ++i)
              for (int64_t j = 0; j < w; ++j) c[i * ldc + j] = (acc ? c[i * ldc + j] : 0.0f) + tile[i * kNr + j];
          }
        }
      }
    }
  }
}
#endif

}  // namespace

template <class T>
void gemm(T* C, int64_t ldc, const T* A, int64_t lda, bool trans_a, const T* B, int64_t ldb, bool trans_b, int64_t M,
          int64_t N, int64_t K, bool accumulate) {
  if (M <= 0 || N <= 0) return;
#if defined(__wasm_simd128__)
  if constexpr (std::is_same_v<T, float>) {
    gemm_simd(C, ldc, A, lda, trans_a, B, ldb, trans_b, M, N, K, accumulate);
    return;
  }
#endif
  gemm_eigen(C, ldc, A, lda, trans_a, B, ldb, trans_b, M, N, K, accumulate);
}

template void gemm(float*, int64_t, const float*, int64_t, bool, const float*, int64_t, bool, int64_t, int64_t, int64_t, bool);
template void gemm(double*, int64_t, const double*, int64_t, bool, const double*, int64_t, bool, int64_t, int64_t, int64_t,
                   bool);

void gemm_reference(float* C, int64_t ldc, const float* A, int64_t lda, bool trans_a, const float* B, int64_t ldb,
                    bool trans_b, int64_t M, int64_t N, int64_t K, bool accumulate) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = accumulate ? C[i * ldc + j] : 0.0;
      for (int64_t k = 0; k < K; ++k)
        s += static_cast<double>(trans_a ? A[k * lda + i] : A[i * lda + k]) *
             static_cast<double>(trans_b ? B[j * ldb + k] : B[k * ldb + j]);
      C[i * ldc + j] = static_cast<float>(s);
    }
}

}  // namespace attn
