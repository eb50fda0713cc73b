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
// browser its kernel runs one float at a time; there, float products use a 4 x 8 register-blocked kernel on
// 128-bit SIMD (wasm_simd128.h) over packed panels, about three times faster on the engine's shapes
// (bench/README.md). Both orders of summation are fixed, so results are deterministic in each build.
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
