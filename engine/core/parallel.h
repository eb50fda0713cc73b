// Threads for the engine's big loops (the columns of a matrix product). The engine runs on one thread unless it
// was built with threads (ATTN_THREADS: natively, and the WebAssembly build with pthreads that the page uses when
// it is cross-origin isolated) and set_num_threads asked for more.
//
// Work is split by output, never inside a sum: each thread computes whole columns of C, each with the very
// arithmetic of the one-thread run, so results are bit-identical whatever the number of threads.
#pragma once

#include <cstdint>
#include <functional>

namespace attn {

// The most threads the engine uses (the calling thread included).
constexpr int kMaxThreads = 8;

// How many pieces parallel_for cuts a loop into, per thread. Threads take pieces as they come (the calling thread
// too), so a thread that the system descheduled (in the browser, the page's own threads share the cores) holds up
// one piece, not a fixed share of the loop; and if no helper wakes in time the caller does every piece itself.
constexpr int kPiecesPerThread = 4;

// How many threads parallel_for uses now (1 without ATTN_THREADS).
int num_threads();

// Asks for n threads (the calling thread included), clamped to [1, kMaxThreads] (1 without ATTN_THREADS); the
// helpers start here, once. Returns the number now in use, which is fewer if a helper could not start (in the
// browser, a pthread needs a Web Worker from the pool made at load). Not while a parallel_for runs.
int set_num_threads(int n);

// Calls fn(begin, end) on contiguous pieces of [0, n), at most kPiecesPerThread per thread, on whichever thread
// takes each (in any order); inner boundaries are multiples of `align`. Returns when every piece is done; natively,
// an exception in a piece is rethrown here (the engine itself reports errors as Status; WebAssembly builds do not
// catch exceptions). Runs fn(0, n) on the calling thread alone when one thread is set, when `work` (any measure,
// e.g. multiply-adds) is below `min_work`, or inside another parallel_for.
void parallel_for(int64_t n, int64_t align, double work, double min_work, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace attn
