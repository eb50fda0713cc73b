// The engine's threads (core/parallel.h): every index once, in aligned pieces; nested loops; errors; and matrix
// products with the same bits on one thread as on several. In a build without threads the engine keeps one.
#include <atomic>
#include <stdexcept>
#include <vector>

#include "core/parallel.h"
#include "core/rng.h"
#include "ops/gemm.h"
#include "test_util.h"

namespace attn {
namespace {

// The number of threads a build with threads gets in these tests (the WebAssembly one starts 3 helpers).
int most_threads() {
#if defined(ATTN_THREADS)
  return 4;
#else
  return 1;
#endif
}

// Restores the thread count a test changed.
struct Threads {
  explicit Threads(int n) : before(num_threads()) { got = set_num_threads(n); }
  ~Threads() { set_num_threads(before); }
  int before, got;
};

TEST(Parallel, EveryIndexOnceInAlignedPieces) {
  for (const int threads : {1, 2, 3, most_threads()}) {
    Threads use(threads);
#if defined(ATTN_THREADS)
    ASSERT_EQ(use.got, threads);
#else
    ASSERT_EQ(use.got, 1);
#endif
    for (const int64_t n : {1, 2, 7, 64, 65, 100, 1000, 4099}) {
      for (const int64_t align : {1, 8, 64}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::atomic<int> pieces{0};
        parallel_for(n, align, 1e9, 0, [&](int64_t b, int64_t e) {
          ++pieces;
          EXPECT_LT(b, e);
          if (b > 0) {
            EXPECT_EQ(b % align, 0) << "a piece starts inside an aligned block";
          }
          for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n " << n << " index " << i;
        EXPECT_LE(pieces.load(), use.got * kPiecesPerThread);
        if (use.got == 1) {
          EXPECT_EQ(pieces.load(), 1);
        }
      }
    }
  }
}

TEST(Parallel, SmallWorkAndNestedLoopsStayOnTheCallingThread) {
  Threads use(most_threads());
  int calls = 0;  // not atomic: one thread only
  parallel_for(1000, 1, 10, 100, [&](int64_t b, int64_t e) {
    ++calls;
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 1000);
  });
  EXPECT_EQ(calls, 1);
  std::atomic<int64_t> sum{0};
  parallel_for(100, 1, 1e9, 0, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      int inner = 0;
      parallel_for(10, 1, 1e9, 0, [&](int64_t ib, int64_t ie) { inner += static_cast<int>(ie - ib); });  // serial
      sum += inner;
    }
  });
  EXPECT_EQ(sum.load(), 1000);
}

// The engine reports errors as Status, never by throwing; natively an exception (bad_alloc) still reaches the
// caller. (WebAssembly builds do not catch C++ exceptions at all: there a throw aborts.)
#if !defined(__EMSCRIPTEN__)
TEST(Parallel, AnErrorInAPieceReachesTheCaller) {
  Threads use(most_threads());
  for (int64_t bad : {0, 999}) {  // in the caller's piece, and in the last one
    EXPECT_THROW(parallel_for(1000, 1, 1e9, 0,
                              [&](int64_t b, int64_t e) {
                                if (b <= bad && bad < e) throw std::runtime_error("piece failed");
                              }),
                 std::runtime_error);
  }
  int64_t total = 0;  // and the pool still works
  std::vector<int64_t> part(static_cast<size_t>(use.got * kPiecesPerThread), 0);
  std::atomic<int> slot{0};
  parallel_for(1000, 1, 1e9, 0, [&](int64_t b, int64_t e) { part[static_cast<size_t>(slot++)] = e - b; });
  for (int64_t p : part) total += p;
  EXPECT_EQ(total, 1000);
}
#endif

// Each thread computes whole columns of C with the one-thread arithmetic: the same bits with 1, 2, 3 or 4 threads,
// for every layout and for shapes whose columns do not divide evenly (and one new token: M = 1).
TEST(Parallel, MatrixProductsHaveTheSameBitsOnAnyNumberOfThreads) {
  Rng rng(11);
  const int64_t shapes[][3] = {{1, 2304, 768}, {3, 1000, 96}, {64, 768, 64}, {17, 333, 129}, {128, 130, 77}};
  for (const auto& s : shapes) {
    const int64_t M = s[0], N = s[1], K = s[2];
    for (int layout = 0; layout < 8; ++layout) {
      const bool ta = layout & 1, tb = layout & 2, acc = layout & 4;
      std::vector<float> A(static_cast<size_t>(M * K)), B(static_cast<size_t>(N * K)), C0(static_cast<size_t>(M * N));
      for (float& x : A) x = static_cast<float>(rng.normal());
      for (float& x : B) x = static_cast<float>(rng.normal());
      for (float& x : C0) x = static_cast<float>(rng.normal());
      std::vector<float> one = C0;
      {
        Threads use(1);
        gemm(one.data(), N, A.data(), ta ? M : K, ta, B.data(), tb ? K : N, tb, M, N, K, acc);
      }
      for (const int threads : {2, 3, most_threads()}) {
        Threads use(threads);
        std::vector<float> many = C0;
        gemm(many.data(), N, A.data(), ta ? M : K, ta, B.data(), tb ? K : N, tb, M, N, K, acc);
        for (size_t i = 0; i < many.size(); ++i)
          ASSERT_EQ(many[i], one[i]) << M << "x" << N << "x" << K << " layout " << layout << " threads " << threads;
      }
    }
  }
}

}  // namespace
}  // namespace attn
