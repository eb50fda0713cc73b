#include "ops/layernorm.h"

#include <cmath>

namespace attn {

void layernorm_forward(MatRef y, float* mean, float* rstd, ConstMatRef x, const float* gamma, const float* beta,
                       float eps) {
  const Eigen::Index n = x.rows(), e = x.cols();
  for (Eigen::Index i = 0; i < n; ++i) {
    // Two passes in double: exact enough that a float64 reference agrees to ~1e-7.
    double m = 0.0;
    for (Eigen::Index j = 0; j < e; ++j) m += x(i, j);
    m /= static_cast<double>(e);
    double v = 0.0;
    for (Eigen::Index j = 0; j < e; ++j) v += (x(i, j) - m) * (x(i, j) - m);
    v /= static_cast<double>(e);
    const double r = 1.0 / std::sqrt(v + static_cast<double>(eps));
    for (Eigen::Index j = 0; j < e; ++j) {
      float norm = static_cast<float>((x(i, j) - m) * r);
      y(i, j) = gamma ? norm * gamma[j] + (beta ? beta[j] : 0.0f) : norm;
    }
    if (mean) mean[i] = static_cast<float>(m);
    if (rstd) rstd[i] = static_cast<float>(r);
  }
}

}  // namespace attn
