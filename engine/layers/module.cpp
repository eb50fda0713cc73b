#include "layers/module.h"

namespace attn {

void init_uniform(Tensor& t, double bound, Rng& rng) {
  for (float& x : t.data) x = static_cast<float>(rng.uniform(-bound, bound));
}

void init_normal(Tensor& t, double std, Rng& rng) {
  for (float& x : t.data) x = static_cast<float>(rng.normal() * std);
}

void init_constant(Tensor& t, float value) {
  for (float& x : t.data) x = value;
}

}  // namespace attn
