// Errors. The engine does not use C++ exceptions (they are slow and heavy in WebAssembly).
//  - Bad input from a user (a shape, a file, a config) is reported with a Status carrying a clear message;
//    every public entry point validates before it computes.
//  - A broken internal invariant (a bug) stops the program with ATTN_ASSERT and a message.
#pragma once

#include <string>
#include <utility>

// Fast-math breaks NaN/Inf handling and Eigen's vectorized exp under Emscripten: refuse to build with it.
#if defined(__FAST_MATH__)
#error "attn: do not build with -ffast-math (it breaks softmax, NaN checks and Eigen's exp)"
#endif
#if defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__
#error "attn: do not build with -ffinite-math-only (masked attention relies on -inf)"
#endif

namespace attn {

class Status {
 public:
  Status() = default;  // ok
  static Status error(std::string message) { return Status(std::move(message)); }
  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string m) : failed_(true), message_(std::move(m)) {}
  bool failed_ = false;
  std::string message_;
};

[[noreturn]] void fail_assert(const char* expr, const char* file, int line, const std::string& message);

}  // namespace attn

#define ATTN_ASSERT(cond, msg)                                          \
  do {                                                                  \
    if (!(cond)) ::attn::fail_assert(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)

// Return early from a function returning Status when a sub-step fails.
#define ATTN_TRY(expr)                    \
  do {                                    \
    ::attn::Status attn_status_ = (expr); \
    if (!attn_status_.ok()) return attn_status_; \
  } while (0)
