#include "core/parallel.h"

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>

#if defined(ATTN_THREADS)
#include <pthread.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#endif

namespace attn {

namespace {

thread_local bool in_parallel = false;  // nested calls run serially

#if defined(ATTN_THREADS)
constexpr int kMaxPieces = kMaxThreads * kPiecesPerThread;

// Cuts [0, n) into at most `parts` pieces with boundaries that are multiples of align, the first pieces at least as
// long; writes them to out and returns how many.
int split(int64_t n, int64_t align, int parts, std::pair<int64_t, int64_t>* out) {
  const int64_t units = (n + align - 1) / align;
  const int64_t p = std::min<int64_t>(parts, units);
  int64_t begin = 0;
  for (int64_t i = 0; i < p; ++i) {
    const int64_t take = units / p + (i < units % p ? 1 : 0);
    const int64_t end = std::min(n, begin + take * align);
    out[i] = {begin, end};
    begin = end;
  }
  return static_cast<int>(p);
}

// How long a waiting thread spins before it sleeps: the products of one forward pass follow each other within
// microseconds, and waking a sleeping thread costs about 0.1 ms (a futex; Atomics.wait in the browser).
constexpr std::chrono::microseconds kSpin(100);

// Spins while pred() is false, for up to kSpin; returns pred().
template <class Pred>
bool spin(Pred pred) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; ++i) {
    if (pred()) return true;
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > until) return pred();
  }
}

// A run is published as one 64-bit word, its generation number and its number of pieces; the pieces are claimed
// from a second word, the generation and the next piece, so a thread that wakes late can never take a piece of one
// run for another. The caller takes pieces too: if no helper wakes, it does them all. Helpers and the caller spin
// briefly, then sleep.
class Pool {
 public:
  ~Pool() { resize(1); }

  int size() const { return static_cast<int>(helpers_.size()) + 1; }

  int resize(int n) {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_.store(true);
    }
    start_.notify_all();
    for (pthread_t t : helpers_) pthread_join(t, nullptr);
    helpers_.clear();
    starts_.clear();
    stop_.store(false);
    starts_.reserve(static_cast<size_t>(n));
    for (int i = 1; i < n; ++i) {
      // A helper counts runs from the current one: a run that starts before the helper does is still its own.
      starts_.push_back({this, generation(job_.load())});
      pthread_t t;
      // pthread_create, not std::thread: it reports a failure (a browser's worker pool used up) without an
      // exception, which WebAssembly builds could not catch. Fewer helpers then.
      if (pthread_create(&t, nullptr, &Pool::thread_main, &starts_.back()) != 0) break;
      helpers_.push_back(t);
    }
    return size();
  }

  // Runs fn on pieces_[0, count), which the caller has written.
  void run(int count, const std::function<void(int64_t, int64_t)>& fn) {
    fn_ = &fn;
    error_ = nullptr;
    pending_.store(count, std::memory_order_relaxed);
    const uint64_t gen = generation(job_.load()) + 1;
    next_.store(gen << 8, std::memory_order_relaxed);
    job_.store((gen << 8) | static_cast<uint64_t>(count), std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(m_);
      if (sleepers_ > 0) start_.notify_all();
    }
    in_parallel = true;
    work(gen, count);
    in_parallel = false;
    const auto done = [&] { return pending_.load(std::memory_order_acquire) == 0; };
    if (!spin(done)) {
      std::unique_lock<std::mutex> lock(m_);
      caller_sleeps_ = true;
      done_.wait(lock, done);
      caller_sleeps_ = false;
    }
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

  std::pair<int64_t, int64_t>* pieces() { return pieces_.data(); }

 private:
  struct Start {
    Pool* pool;
    uint64_t generation;
  };

  static uint64_t generation(uint64_t word) { return word >> 8; }

  static void* thread_main(void* arg) {
    const Start* s = static_cast<const Start*>(arg);
    s->pool->serve(s->generation);
    return nullptr;
  }

  // Takes the pieces of run `gen` one by one until none is left (or the run is over: then it is not this one's).
  void work(uint64_t gen, int count) {
    for (;;) {
      uint64_t word = next_.load(std::memory_order_acquire);
      int piece;
      do {
        piece = static_cast<int>(word & 0xff);
        if (generation(word) != gen || piece >= count) return;
      } while (!next_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel));
      const std::pair<int64_t, int64_t> range = pieces_[static_cast<size_t>(piece)];
      try {
        (*fn_)(range.first, range.second);
      } catch (...) {
        std::lock_guard<std::mutex> lock(m_);
        if (!error_) error_ = std::current_exception();
      }
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(m_);
        if (caller_sleeps_) done_.notify_one();
      }
    }
  }

  void serve(uint64_t seen) {
    in_parallel = true;
    for (;;) {
      uint64_t job = job_.load(std::memory_order_acquire);
      const auto fresh = [&] {
        job = job_.load(std::memory_order_acquire);
        return stop_.load() || generation(job) != seen;
      };
      if (!spin(fresh)) {
        std::unique_lock<std::mutex> lock(m_);
        ++sleepers_;
        start_.wait(lock, fresh);
        --sleepers_;
      }
      if (stop_.load()) return;
      seen = generation(job);
      work(seen, static_cast<int>(job & 0xff));
    }
  }

  std::mutex m_;
  std::condition_variable start_, done_;
  std::vector<pthread_t> helpers_;
  std::vector<Start> starts_;  // reserved before the helpers start: their arguments never move
  std::array<std::pair<int64_t, int64_t>, kMaxPieces> pieces_{};
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  std::atomic<uint64_t> job_{0};   // generation << 8 | number of pieces
  std::atomic<uint64_t> next_{0};  // generation << 8 | the next piece to take
  std::atomic<int> pending_{0};    // pieces not finished
  std::atomic<bool> stop_{false};
  int sleepers_ = 0;               // helpers asleep on start_ (under m_)
  bool caller_sleeps_ = false;     // the caller asleep on done_ (under m_)
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool p;
  return p;
}
#endif

}  // namespace

int num_threads() {
#if defined(ATTN_THREADS)
  return pool().size();
#else
  return 1;
#endif
}

int set_num_threads(int n) {
#if defined(ATTN_THREADS)
  n = std::clamp(n, 1, kMaxThreads);
  return n == pool().size() ? n : pool().resize(n);
#else
  (void)n;
  return 1;
#endif
}

void parallel_for(int64_t n, int64_t align, double work, double min_work, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int threads = num_threads();
  if (threads == 1 || in_parallel || work < min_work || n <= std::max<int64_t>(align, 1)) {
    fn(0, n);
    return;
  }
#if defined(ATTN_THREADS)
  const int count = split(n, std::max<int64_t>(align, 1), threads * kPiecesPerThread, pool().pieces());
  if (count > 1) {
    pool().run(count, fn);
    return;
  }
#endif
  fn(0, n);
}

}  // namespace attn
