// Rng: a small seeded generator that gives the same numbers natively and in WebAssembly.
// (std:: distributions differ between libstdc++ and libc++, so they are not used.)
// Generator: PCG32 (O'Neill, XSH-RR 64/32). Normals: Box-Muller computed in double.
#pragma once

#include <cmath>
#include <cstdint>

namespace attn {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0, uint64_t stream = 0x2545F4914F6CDD1Dull) { reseed(seed, stream); }

  void reseed(uint64_t seed, uint64_t stream = 0x2545F4914F6CDD1Dull) {
    state_ = 0;
    inc_ = (stream << 1u) | 1u;
    next_u32();
    state_ += seed;
    next_u32();
    has_spare_ = false;
  }

  uint32_t next_u32() {
    uint64_t old = state_;
    state_ = old * 6364136223846793005ull + inc_;
    uint32_t xorshifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = static_cast<uint32_t>(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() {
    uint64_t hi = next_u32() >> 5, lo = next_u32() >> 6;  // 27 + 26 bits
    return (static_cast<double>(hi) * 67108864.0 + static_cast<double>(lo)) / 9007199254740992.0;
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  // Standard normal.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    double r = std::sqrt(-2.0 * std::log(u1));
    double t = 6.283185307179586476925 * u2;
    spare_ = r * std::sin(t);
    has_spare_ = true;
    return r * std::cos(t);
  }

  // Uniform integer in [0, n).
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(uniform() * n); }

 private:
  uint64_t state_ = 0, inc_ = 1;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace attn
