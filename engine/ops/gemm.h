// General matrix product, the one place where the engine multiplies matrices:
//
//     C [M, N]  =  op(A) op(B)        (or C += op(A) op(B) when accumulate)
//
// Row-major with row strides: op(A) is A [M, K] (lda >= K), or with trans_a the transpose of A [K, M]
// (lda >= M); op(B) is B [K, N] (ldb >= N), or with trans_b the transpose of B [N, K] (ldb >= K); C has
// ldc >= N. C must not overlap A or B.
//
// Natively, and for double everywhere, this is Eigen (blocked GEMM, or a coefficient-based product for small
// sizes, where packing would cost more than it saves). Eigen 3.4 has no WebAssembly SIMD backend, so in the
// browser its kernel runs one float at a time; there, float products use 128-bit SIMD (wasm_simd128.h):
//   - A B^T (every linear layer and Q K^T): dot products of contiguous rows, 2 x 4 at a time, nothing packed;
//   - otherwise a 4 x 8 register-blocked kernel over packed panels, or, for at most 4 rows, the same sums
//     without packing.
// In WebAssembly a row of C has the same bits whatever the number of rows computed with it (a cached pass over
// one new token equals the full pass). In the build with threads, each thread computes a block of columns of C
// with the same arithmetic (core/parallel.h), so the bits do not depend on the number of threads either. Every
// order of summation is fixed, so results are deterministic in each build (bench/README.md has the speeds).
#pragma once

#include <cstdint>

namespace attn {

template <class T>
void gemm(T* C, int64_t ldc, const T* A, int64_t lda, bool trans_a, const T* B, int64_t ldb, bool trans_b, int64_t M,
          int64_t N, int64_t K, bool accumulate);

// The scalar reference: three loops in double, for tests.
void gemm_reference(float* C, int64_t ldc, const float* A, int64_t lda, bool trans_a, const float* B, int64_t ldb,
                    bool trans_b, int64_t M, int64_t N, int64_t K, bool accumulate);

}  // namespace attn
