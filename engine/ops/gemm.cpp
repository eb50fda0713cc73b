#include "ops/gemm.h"

#include <algorithm>
#include <vector>

#include "core/parallel.h"
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
// (bp[k * 8 + j]); for each 5 rows, op(A) into a panel of 5 rows (ap[k * 5 + i]). The kernel keeps a 5 x 8 tile
// of C in ten 4-lane registers and adds one rank-1 update per k: 10 accumulators + 2 values of B + 1 splat of A
// are 13 of the 15 xmm registers V8 allocates on x64 (6 x 8 or 4 x 12, at 15-16, spill and run at half the
// speed; 4 x 8 is 10-15% slower than 5 x 8). Edges are zero-padded in the panels and written back through a
// scratch tile.
//
// The order of summation, the same in every kernel here (gemm_small_m included): each C[i][j] is, for each block
// of kKc depths in ascending order, the sum over k ascending of the products A[i][k] B[k][j] started from +0
// (multiplies and adds separate: wasm SIMD has no fused multiply-add without relaxed-simd), then that block's sum
// added to C (s + C) when accumulating or after the first block. That order depends on K alone, not on M, N or
// where the element sits in its tile: a row of C has the same bits however many rows are computed with it.
constexpr int64_t kMr = 5, kNr = 8, kKc = 256, kNc = 512;

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
    } else {  // op(B) column j is B's row j: 4 rows at a time, 4 depths transposed in registers
      for (int jj = 0; jj < kNr; jj += 4) {
        const float* r0 = B + (n0 + j0 + jj) * ldb + k0;
        if (jj + 4 > w) {  // the last columns, zero-padded
          for (int j = jj; j < jj + 4; ++j)
            for (int k = 0; k < K; ++k) dst[k * kNr + j] = j < w ? r0[(j - jj) * ld + k] : 0.0f;
          continue;
        }
        const float* r1 = r0 + ld;
        const float* r2 = r1 + ld;
        const float* r3 = r2 + ld;
        float* d = dst + jj;
        int k = 0;
        for (; k + 4 <= K; k += 4, d += 4 * kNr) {
          const v128_t x0 = wasm_v128_load(r0 + k), x1 = wasm_v128_load(r1 + k);
          const v128_t x2 = wasm_v128_load(r2 + k), x3 = wasm_v128_load(r3 + k);
          const v128_t t0 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5);
          const v128_t t2 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
          wasm_v128_store(d, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
          wasm_v128_store(d + kNr, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
          wasm_v128_store(d + 2 * kNr, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
          wasm_v128_store(d + 3 * kNr, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
        }
        for (; k < K; ++k, d += kNr) d[0] = r0[k], d[1] = r1[k], d[2] = r2[k], d[3] = r3[k];
      }
    }
  }
}

void pack_a(float* ap, const float* A, int64_t lda, bool trans_a, int64_t i0, int64_t h, int64_t k0, int64_t kc) {
  const int K = static_cast<int>(kc), H = static_cast<int>(h), ld = static_cast<int>(lda);
  if (trans_a) {  // op(A) rows are A's columns: 5 contiguous values per k
    const float* src = A + k0 * lda + i0;
    for (int k = 0; k < K; ++k, src += ld, ap += kMr) {
      if (H == kMr) {
        wasm_v128_store(ap, wasm_v128_load(src));
        ap[4] = src[4];
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

// tile [5, 8] (row stride ldt) (+)= ap [kc, 5]^T bp [kc, 8], in the order above. Pointers step through the
// panels (32-bit arithmetic; 64-bit indices cost a conversion per load in wasm32), and A's values are loaded as
// splats (a broadcast from memory; splatting lanes of one loaded vector by shuffles is no faster).
inline void kernel_5x8(float* tile, int64_t ldt, const float* ap, const float* bp, int64_t kc, bool accumulate) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  v128_t c40 = c00, c41 = c00;
  for (int k = static_cast<int>(kc); k > 0; --k, ap += kMr, bp += kNr) {
    const v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    v128_t a = wasm_v128_load32_splat(ap);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(ap + 1);
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(ap + 2);
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(ap + 3);
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(ap + 4);
    c40 = wasm_f32x4_add(c40, wasm_f32x4_mul(a, b0));
    c41 = wasm_f32x4_add(c41, wasm_f32x4_mul(a, b1));
  }
  const auto put = [accumulate](float* r, v128_t lo, v128_t hi) {
    if (accumulate) {
      lo = wasm_f32x4_add(lo, wasm_v128_load(r));
      hi = wasm_f32x4_add(hi, wasm_v128_load(r + 4));
    }
    wasm_v128_store(r, lo);
    wasm_v128_store(r + 4, hi);
  };
  put(tile, c00, c01);
  put(tile + ldt, c10, c11);
  put(tile + 2 * ldt, c20, c21);
  put(tile + 3 * ldt, c30, c31);
  put(tile + 4 * ldt, c40, c41);
}

// A few rows of A (M <= kSmallM: one new token, the last position's logits), with no packing: B is read once, in
// place, which is what bounds a product whose work is M * N * K but whose data is N * K. Each C[i][j] is summed
// exactly as the packed kernel sums it (k ascending from 0 within each kKc block, the block's sum then added to C;
// multiplies and adds separate), so a row gives the same bits whichever kernel computes it: a forward pass over
// the one new token of a cached prefix equals the full pass.
constexpr int64_t kSmallM = 4;

// Lanes j..j+3 of op(B)'s row k.
inline v128_t b_lanes(const float* B, int64_t ldb, bool trans_b, int64_t k, int64_t j) {
  if (!trans_b) return wasm_v128_load(B + k * ldb + j);
  return wasm_f32x4_make(B[j * ldb + k], B[(j + 1) * ldb + k], B[(j + 2) * ldb + k], B[(j + 3) * ldb + k]);
}

void gemm_small_m(float* C, int64_t ldc, const float* A, int64_t lda, bool trans_a, const float* B, int64_t ldb,
                  bool trans_b, int64_t M, int64_t N, int64_t K, bool accumulate) {
  const auto a_at = [&](int64_t i, int64_t k) { return trans_a ? A[k * lda + i] : A[i * lda + k]; };
  const auto b_at = [&](int64_t k, int64_t j) { return trans_b ? B[j * ldb + k] : B[k * ldb + j]; };
  if (K == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, 0.0f);
    return;
  }
  const int64_t n4 = N - N % 4;
  for (int64_t k0 = 0; k0 < K; k0 += kKc) {
    const int64_t k1 = std::min(K, k0 + kKc);
    const bool acc = accumulate || k0 > 0;
    for (int64_t j = 0; j < n4; j += 4) {
      v128_t c[kSmallM];
      for (int64_t i = 0; i < M; ++i) c[i] = wasm_f32x4_splat(0);
      int64_t k = k0;
      if (trans_b) {  // four rows of B, four depths at a time, transposed in registers
        const float* r0 = B + j * ldb;
        const float* r1 = r0 + ldb;
        const float* r2 = r1 + ldb;
        const float* r3 = r2 + ldb;
        for (; k + 4 <= k1; k += 4) {
          const v128_t x0 = wasm_v128_load(r0 + k), x1 = wasm_v128_load(r1 + k);
          const v128_t x2 = wasm_v128_load(r2 + k), x3 = wasm_v128_load(r3 + k);
          const v128_t t0 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5);
          const v128_t t2 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
          const v128_t b[4] = {wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5), wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7),
                               wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5), wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7)};
          for (int64_t i = 0; i < M; ++i)
            for (int d = 0; d < 4; ++d) c[i] = wasm_f32x4_add(c[i], wasm_f32x4_mul(wasm_f32x4_splat(a_at(i, k + d)), b[d]));
        }
      }
      for (; k < k1; ++k) {
        const v128_t b = b_lanes(B, ldb, trans_b, k, j);
        for (int64_t i = 0; i < M; ++i) c[i] = wasm_f32x4_add(c[i], wasm_f32x4_mul(wasm_f32x4_splat(a_at(i, k)), b));
      }
      for (int64_t i = 0; i < M; ++i) {
        float* out = C + i * ldc + j;
        wasm_v128_store(out, acc ? wasm_f32x4_add(c[i], wasm_v128_load(out)) : c[i]);
      }
    }
    for (int64_t j = n4; j < N; ++j)  // the last columns, one at a time, in the same order
      for (int64_t i = 0; i < M; ++i) {
        float sum = 0.0f;
        for (int64_t k = k0; k < k1; ++k) sum += a_at(i, k) * b_at(k, j);
        C[i * ldc + j] = acc ? sum + C[i * ldc + j] : sum;
      }
  }
}

// C = A B^T with A [M, K] and B [N, K] row-major (every linear layer: x W^T, and the scores Q K^T): each C[i][j] is
// a dot product of two contiguous rows, so nothing is packed. Four lanes hold the partial sums of k = 0, 1, 2, 3
// (mod 4) in ascending order, then ((l0 + l1) + (l2 + l3)), then the last K % 4 products in order, then + C when
// accumulating. That order depends on K alone, not on M or on where the row sits: a row of C has the same bits
// however many rows are computed with it (one new token, or the whole text). Blocks of 2 rows of A by 4 rows of
// B keep eight sums in registers; B is walked in blocks of kDotRows rows that stay in cache while every row of A
// passes over them.
constexpr int64_t kDotRows = 64;

inline float dot_finish(v128_t s, const float* a, const float* b, int64_t k4, int64_t K) {
  float sum = (wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1)) +
              (wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3));
  for (int64_t k = k4; k < K; ++k) sum += a[k] * b[k];
  return sum;
}

void gemm_dot(float* C, int64_t ldc, const float* A, int64_t lda, const float* B, int64_t ldb, int64_t M, int64_t N,
              int64_t K, bool accumulate) {
  const int k4 = static_cast<int>(K - K % 4);
  const auto store = [&](float* c, float v) { *c = accumulate ? v + *c : v; };
  for (int64_t n0 = 0; n0 < N; n0 += kDotRows) {
    const int64_t n1 = std::min(N, n0 + kDotRows);
    for (int64_t i = 0; i < M; i += 2) {
      const bool two = i + 1 < M;
      const float* a0 = A + i * lda;
      const float* a1 = two ? a0 + lda : a0;
      int64_t j = n0;
      if (!two) {  // a single row (one new token, one position's logits): 1 x 8, not 2 x 4 with a copy
        for (; j + 8 <= n1; j += 8) {
          const float* b[8];
          for (int r = 0; r < 8; ++r) b[r] = B + (j + r) * ldb;
          v128_t s[8];
          for (int r = 0; r < 8; ++r) s[r] = wasm_f32x4_splat(0);
          for (int k = 0; k < k4; k += 4) {
            const v128_t x = wasm_v128_load(a0 + k);
            for (int r = 0; r < 8; ++r) s[r] = wasm_f32x4_add(s[r], wasm_f32x4_mul(x, wasm_v128_load(b[r] + k)));
          }
          for (int r = 0; r < 8; ++r) store(C + i * ldc + j + r, dot_finish(s[r], a0, b[r], k4, K));
        }
      }
      for (; j + 4 <= n1; j += 4) {
        const float* b0 = B + j * ldb;
        const float* b1 = b0 + ldb;
        const float* b2 = b1 + ldb;
        const float* b3 = b2 + ldb;
        v128_t s00 = wasm_f32x4_splat(0), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        for (int k = 0; k < k4; k += 4) {
          const v128_t x0 = wasm_v128_load(a0 + k), x1 = wasm_v128_load(a1 + k);
          const v128_t w0 = wasm_v128_load(b0 + k), w1 = wasm_v128_load(b1 + k);
          const v128_t w2 = wasm_v128_load(b2 + k), w3 = wasm_v128_load(b3 + k);
          s00 = wasm_f32x4_add(s00, wasm_f32x4_mul(x0, w0));
          s01 = wasm_f32x4_add(s01, wasm_f32x4_mul(x0, w1));
          s02 = wasm_f32x4_add(s02, wasm_f32x4_mul(x0, w2));
          s03 = wasm_f32x4_add(s03, wasm_f32x4_mul(x0, w3));
          s10 = wasm_f32x4_add(s10, wasm_f32x4_mul(x1, w0));
          s11 = wasm_f32x4_add(s11, wasm_f32x4_mul(x1, w1));
          s12 = wasm_f32x4_add(s12, wasm_f32x4_mul(x1, w2));
          s13 = wasm_f32x4_add(s13, wasm_f32x4_mul(x1, w3));
        }
        float* c0 = C + i * ldc + j;
        store(c0, dot_finish(s00, a0, b0, k4, K));
        store(c0 + 1, dot_finish(s01, a0, b1, k4, K));
        store(c0 + 2, dot_finish(s02, a0, b2, k4, K));
        store(c0 + 3, dot_finish(s03, a0, b3, k4, K));
        if (two) {
          float* c1 = c0 + ldc;
          store(c1, dot_finish(s10, a1, b0, k4, K));
          store(c1 + 1, dot_finish(s11, a1, b1, k4, K));
          store(c1 + 2, dot_finish(s12, a1, b2, k4, K));
          store(c1 + 3, dot_finish(s13, a1, b3, k4, K));
        }
      }
      for (; j < n1; ++j) {  // the last rows of B, one at a time, in the same order
        const float* b = B + j * ldb;
        v128_t s0 = wasm_f32x4_splat(0), s1 = s0;
        for (int k = 0; k < k4; k += 4) {
          const v128_t w = wasm_v128_load(b + k);
          s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a0 + k), w));
          s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(a1 + k), w));
        }
        store(C + i * ldc + j, dot_finish(s0, a0, b, k4, K));
        if (two) store(C + (i + 1) * ldc + j, dot_finish(s1, a1, b, k4, K));
      }
    }
  }
}

// Columns [0, N) of C on one thread: the kernel for the shape.
void gemm_simd_columns(float* C, int64_t ldc, const float* A, int64_t lda, bool trans_a, const float* B, int64_t ldb,
                       bool trans_b, int64_t M, int64_t N, int64_t K, bool accumulate) {
  if (!trans_a && trans_b) {
    gemm_dot(C, ldc, A, lda, B, ldb, M, N, K, accumulate);
    return;
  }
  if (M <= kSmallM) {
    gemm_small_m(C, ldc, A, lda, trans_a, B, ldb, trans_b, M, N, K, accumulate);
    return;
  }
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
            kernel_5x8(c, ldc, ap.data(), bp.data() + p * kNr * kc, kc, acc);
          } else {  // an edge: through the scratch tile
            kernel_5x8(tile, kNr, ap.data(), bp.data() + p * kNr * kc, kc, false);
            for (int64_t i = 0; i < h; ++i)
              for (int64_t j = 0; j < w; ++j) c[i * ldc + j] = (acc ? c[i * ldc + j] : 0.0f) + tile[i * kNr + j];
          }
        }
      }
    }
  }
}
// With threads, each takes a block of columns of C (and the rows or columns of op(B) that make them): every C[i][j]
// is summed as on one thread, so the bits do not depend on the number of threads. Products under ~100 k multiply-
// adds stay on one thread (waking a helper costs more).
constexpr double kParallelMacs = 1 << 17;

void gemm_simd(float* C, int64_t ldc, const float* A, int64_t lda, bool trans_a, const float* B, int64_t ldb,
               bool trans_b, int64_t M, int64_t N, int64_t K, bool accumulate) {
  parallel_for(N, kDotRows, static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K), kParallelMacs,
               [&](int64_t j0, int64_t j1) {
                 gemm_simd_columns(C + j0, ldc, A, lda, trans_a, trans_b ? B + j0 * ldb : B + j0, ldb, trans_b, M,
                                   j1 - j0, K, accumulate);
               });
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
