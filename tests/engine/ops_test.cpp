// Ops on hand-made inputs: the masked-softmax rule, dropout, the generator, half floats.
#include <cmath>
#include <cstdio>
#include <vector>
#include <limits>

#include "core/rng.h"
#include "io/safetensors.h"
#include "ops/attention.h"
#include "ops/dropout.h"
#include "ops/gemm.h"
#include "ops/softmax.h"
#include "test_util.h"

namespace attn {
namespace {

const float kInf = std::numeric_limits<float>::infinity();

TEST(Softmax, RowsSumToOneAndAreShiftInvariant) {
  Mat x(2, 3);
  x << 1, 2, 3, 1001, 1002, 1003;  // the second row would overflow exp() without the max subtraction
  Mat w(2, 3);
  softmax_forward(w.data(), x.data(), x.rows(), x.cols());
  for (int i = 0; i < 2; ++i) EXPECT_NEAR(w.row(i).sum(), 1.0f, 1e-6f);
  EXPECT_NEAR(w(0, 0), w(1, 0), 1e-6f);
  EXPECT_NEAR(w(0, 2), std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), 1e-6);
}

TEST(Softmax, MaskedKeysGetZeroAndFullyMaskedRowsAreZeroNotNaN) {
  Mat x(3, 3);
  x << 0, -kInf, 0,  //
      -kInf, -kInf, -kInf,  // every key masked
      5, -kInf, -kInf;
  Mat w(3, 3);
  softmax_forward(w.data(), x.data(), x.rows(), x.cols());
  EXPECT_FLOAT_EQ(w(0, 0), 0.5f);
  EXPECT_EQ(w(0, 1), 0.0f);
  for (int j = 0; j < 3; ++j) EXPECT_EQ(w(1, j), 0.0f);
  EXPECT_EQ(w(2, 0), 1.0f);
}

TEST(Softmax, NaNPropagatesLikePyTorch) {
  Mat x(1, 2);
  x << std::nanf(""), 1.0f;
  Mat w(1, 2);
  softmax_forward(w.data(), x.data(), x.rows(), x.cols());
  EXPECT_TRUE(std::isnan(w(0, 1)));
}

// Rows of every length mod 4 (the WebAssembly build's four-lane exp and its tail), wide ranges, masked keys and
// aliasing (w == logits), against exp in double precision.
TEST(Softmax, MatchesDoublePrecisionOnLongRowsWithMasks) {
  Rng rng(7);
  for (int64_t C : {1, 4, 5, 7, 8, 33, 130}) {
    const int64_t N = 6;
    std::vector<float> x(static_cast<size_t>(N * C));
    for (int64_t i = 0; i < N; ++i)
      for (int64_t j = 0; j < C; ++j) {
        const float spread = i < 2 ? 3.0f : 60.0f;  // some rows with weights down to exp(-120): flushed to 0
        float v = static_cast<float>(rng.uniform(-spread, spread));
        if (i == 3 && j % 3 == 1) v = -kInf;
        x[static_cast<size_t>(i * C + j)] = v;
      }
    std::vector<float> w(x.size()), alias = x;
    softmax_forward(w.data(), x.data(), N, C);
    softmax_forward(alias.data(), alias.data(), N, C);
    for (int64_t i = 0; i < N; ++i) {
      double m = -INFINITY, sum = 0.0;
      for (int64_t j = 0; j < C; ++j) m = std::max(m, double(x[size_t(i * C + j)]));
      for (int64_t j = 0; j < C; ++j) sum += std::exp(double(x[size_t(i * C + j)]) - m);
      double total = 0.0;
      for (int64_t j = 0; j < C; ++j) {
        const size_t k = static_cast<size_t>(i * C + j);
        const double want = std::exp(double(x[k]) - m) / sum;
        // x - max is rounded to float first: its relative error (6e-8) times |x - max| moves exp that much.
        const double tol = want * (2e-6 + 1.2e-7 * std::abs(double(x[k]) - m)) + 1e-37;
        if (x[k] == -kInf) {
          EXPECT_EQ(w[k], 0.0f);
          EXPECT_EQ(alias[k], 0.0f);
        } else {
          EXPECT_NEAR(w[k], want, tol) << "C " << C << " row " << i << " col " << j;
          EXPECT_NEAR(alias[k], want, tol) << "in place";  // natively Eigen's exp may take another path: not bit for bit
        }
        total += w[k];
      }
      EXPECT_NEAR(total, 1.0, 1e-6);
    }
  }
}

TEST(Attention, FullyMaskedQueryGivesZeroOutput) {
  Mat q = Mat::Ones(2, 4), k = Mat::Ones(3, 4), v = Mat::Random(3, 5);
  Mat mask = Mat::Zero(2, 3);
  mask.row(1).setConstant(-kInf);
  Mat w(2, 3), out(2, 5);
  AttentionSlice<float> s;
  s.weights = w.data();
  attention_forward(out.data(), s, q.data(), k.data(), v.data(), mask.data(), 0.5f, 0.0f, nullptr, 2, 3, 4, 5);
  EXPECT_TRUE(out.row(1).isZero(0.0f));
  EXPECT_NEAR(out(0, 0), v.col(0).mean(), 1e-6f);  // equal scores -> uniform weights -> mean of values
}

TEST(Attention, ScaleFactorHonoursToggleAndTemperature) {
  ScoreScale s;
  EXPECT_FLOAT_EQ(s.factor(16), 0.25f);
  s.temperature = 2.0f;
  EXPECT_FLOAT_EQ(s.factor(16), 0.125f);
  s.scaled = false;
  EXPECT_FLOAT_EQ(s.factor(16), 0.5f);
  s = ScoreScale();
  s.scale = 0.3f;
  EXPECT_FLOAT_EQ(s.factor(16), 0.3f);
}

TEST(Dropout, ZeroesAboutPAndRescalesSurvivors) {
  Rng rng(7);
  const int n = 100000;
  std::vector<float> x(n, 1.0f), y(n), keep(n);
  dropout_forward(y.data(), keep.data(), x.data(), n, 0.25f, rng);
  int zeros = 0;
  for (int i = 0; i < n; ++i) {
    if (y[i] == 0.0f) ++zeros;
    else EXPECT_FLOAT_EQ(y[i], 1.0f / 0.75f);
  }
  EXPECT_NEAR(zeros / static_cast<double>(n), 0.25, 0.01);
}

TEST(Rng, SameSeedSameNumbersAndKnownFirstValues) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next_u32(), b.next_u32());
  Rng d(42);
  EXPECT_NE(d.next_u32(), c.next_u32());
  // Fixed values: the native and WebAssembly builds must produce exactly these.
  Rng e(1);
  EXPECT_EQ(e.next_u32(), 3298052251u);
  EXPECT_EQ(e.next_u32(), 621805878u);
  double m = 0, v = 0;
  Rng f(5);
  for (int i = 0; i < 20000; ++i) {
    const double z = f.normal();
    m += z;
    v += z * z;
  }
  EXPECT_NEAR(m / 20000, 0.0, 0.03);
  EXPECT_NEAR(v / 20000, 1.0, 0.03);
}

TEST(Half, RoundTripsAndRoundsToNearestEven) {
  for (float f : {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 5.960464477539063e-08f, 0.333251953125f})
    EXPECT_EQ(half_to_float(float_to_half(f)), f) << f;
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048.0f), float_to_half(1.0f));  // tie -> even
  EXPECT_TRUE(std::isinf(half_to_float(float_to_half(1e6f))));
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::nanf("")))));
  EXPECT_EQ(half_to_float(0x3555), 0.333251953125f);
}

}  // namespace
}  // namespace attn

namespace attn::test {
namespace {

// The one matrix product (Eigen natively, the SIMD kernel in WebAssembly) against three loops in double: every
// transpose combination, edges of the 4 x 8 tiles, K across blocks, wide N, strided rows, accumulation.
TEST(Gemm, MatchesTheReferenceOnEveryShapeAndLayout) {
  Rng rng(3);
  const int64_t shapes[][3] = {{1, 1, 1}, {3, 7, 5}, {4, 8, 16}, {5, 9, 17}, {13, 30, 64}, {22, 22, 16}, {9, 600, 40},
                               {37, 19, 300}, {64, 192, 64}, {2, 3, 0}, {1, 37, 515}, {2, 40, 300}, {4, 13, 7}};
  double worst = 0;
  for (const auto& s : shapes) {
    const int64_t M = s[0], N = s[1], K = s[2];
    for (int layout = 0; layout < 8; ++layout) {
      const bool ta = layout & 1, tb = layout & 2, acc = layout & 4;
      const int64_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;  // rows wider than the matrices
      std::vector<float> A(static_cast<size_t>((ta ? K : M) * lda + 1)), B(static_cast<size_t>((tb ? N : K) * ldb + 1));
      std::vector<float> C(static_cast<size_t>(M * ldc)), R;
      for (float& x : A) x = static_cast<float>(rng.normal());
      for (float& x : B) x = static_cast<float>(rng.normal());
      for (float& x : C) x = static_cast<float>(rng.normal());
      R = C;
      gemm(C.data(), ldc, A.data(), lda, ta, B.data(), ldb, tb, M, N, K, acc);
      gemm_reference(R.data(), ldc, A.data(), lda, ta, B.data(), ldb, tb, M, N, K, acc);
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < ldc; ++j) {
          const size_t at = static_cast<size_t>(i * ldc + j);
          if (j >= N) {
            ASSERT_EQ(C[at], R[at]) << "wrote outside the matrix at " << i << "," << j;  // padding untouched
            continue;
          }
          const double err = std::fabs(C[at] - R[at]) / (1.0 + std::sqrt(static_cast<double>(K)));
          worst = std::max(worst, err);
          ASSERT_LT(err, 1e-5) << M << "x" << N << "x" << K << " layout " << layout << " at " << i << "," << j;
        }
    }
  }
  std::printf("  gemm: worst |engine - reference| / (1 + sqrt K) = %.2e\n", worst);
}

// A row of C is the same whether it is computed with 1, 2 or 4 rows of A (the small-M kernel of WebAssembly) or
// with many (the packed kernel): a cached forward pass over one new token gives the bits of the full pass. Exactly
// in WebAssembly; natively (Eigen's kernels differ by shape) to rounding.
TEST(Gemm, ARowHasTheSameValueWhateverTheNumberOfRows) {
  Rng rng(5);
  for (const int64_t K : {7, 64, 300, 515}) {
    for (int layout = 0; layout < 8; ++layout) {
      const bool ta = layout & 1, tb = layout & 2, acc = layout & 4;
      const int64_t M = 11, N = 45;
      std::vector<float> A(static_cast<size_t>(M * K)), B(static_cast<size_t>(N * K)), C0(static_cast<size_t>(M * N));
      for (float& x : A) x = static_cast<float>(rng.normal());
      for (float& x : B) x = static_cast<float>(rng.normal());
      for (float& x : C0) x = static_cast<float>(rng.normal());
      std::vector<float> all = C0;
      gemm(all.data(), N, A.data(), ta ? M : K, ta, B.data(), tb ? K : N, tb, M, N, K, acc);
      for (const int64_t rows : {1, 2, 3, 4}) {
        const int64_t first = M - rows;  // the last rows
        std::vector<float> part(C0.begin() + first * N, C0.end());
        const float* a = ta ? A.data() + first : A.data() + first * K;
        gemm(part.data(), N, a, ta ? M : K, ta, B.data(), tb ? K : N, tb, rows, N, K, acc);
        for (int64_t i = 0; i < rows * N; ++i) {
#if defined(__wasm_simd128__)
          ASSERT_EQ(part[i], all[first * N + i]) << "K " << K << " layout " << layout << " rows " << rows << " at " << i;
#else
          ASSERT_NEAR(part[i], all[first * N + i], 1e-4 * (1 + std::sqrt(static_cast<double>(K))));
#endif
        }
      }
    }
  }
}

}  // namespace
}  // namespace attn::test

namespace attn::test {
namespace {

// Found by a clean-clone CI run: Eigen's vectorized exp clamps its input, so exp(-inf) gave the smallest normal
// number instead of 0 whenever a row was aligned for packets, and masked keys got a weight of ~1e-38 (float) or
// ~1e-309 (double) depending on where the heap put the buffer. Every offset and width is tried here.
template <class T>
void masked_keys_are_exactly_zero() {
  const T neg_inf = -std::numeric_limits<T>::infinity();
  Rng rng(11);
  for (int64_t C = 1; C <= 40; ++C)
    for (int64_t offset = 0; offset < 16; ++offset) {
      const int64_t N = 3;
      std::vector<T> x(static_cast<size_t>(offset + N * C)), w(x.size(), T(7));
      for (T& v : x) v = rng.uniform() < 0.4 ? neg_inf : static_cast<T>(rng.normal());
      softmax_forward(w.data() + offset, x.data() + offset, N, C);
      for (int64_t i = offset; i < offset + N * C; ++i) {
        if (x[static_cast<size_t>(i)] == neg_inf) {
          ASSERT_EQ(w[static_cast<size_t>(i)], T(0)) << "C " << C << " offset " << offset;
        }
      }
    }
}

TEST(Softmax, MaskedKeysGetExactlyZeroWhateverTheAlignment) {
  masked_keys_are_exactly_zero<float>();
  masked_keys_are_exactly_zero<double>();
}

}  // namespace
}  // namespace attn::test
