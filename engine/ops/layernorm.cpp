#include "ops/layernorm.h"

#include <cmath>
#include <vector>

namespace attn {

template <class T>
void layernorm_forward(T* y, T* mean, T* rstd, const T* x, const T* gamma, const T* beta, int64_t N, int64_t E,
                       double eps) {
  for (int64_t i = 0; i < N; ++i) {
    const T* xi = x + i * E;
    // Two passes in double: exact enough that a float64 reference agrees to ~1e-7.
    double m = 0.0;
    for (int64_t j = 0; j < E; ++j) m += xi[j];
    m /= static_cast<double>(E);
    double v = 0.0;
    for (int64_t j = 0; j < E; ++j) v += (xi[j] - m) * (xi[j] - m);
    v /= static_cast<double>(E);
    const double r = 1.0 / std::sqrt(v + eps);
    T* yi = y + i * E;
    for (int64_t j = 0; j < E; ++j) {
      const T norm = static_cast<T>((xi[j] - m) * r);
      yi[j] = gamma ? norm * gamma[j] + (beta ? beta[j] : T(0)) : norm;
    }
    if (mean) mean[i] = static_cast<T>(m);
    if (rstd) rstd[i] = static_cast<T>(r);
  }
}

template <class T>
void layernorm_backward(T* dx, T* dgamma, T* dbeta, const T* dy, const T* x, const T* mean, const T* rstd,
                        const T* gamma, int64_t N, int64_t E) {
  std::vector<double> xhat(static_cast<size_t>(E)), g(static_cast<size_t>(E));
  for (int64_t i = 0; i < N; ++i) {
    const T* xi = x + i * E;
    const T* dyi = dy + i * E;
    double g_mean = 0.0, gx_mean = 0.0;
    for (int64_t j = 0; j < E; ++j) {
      xhat[j] = (static_cast<double>(xi[j]) - mean[i]) * rstd[i];
      g[j] = static_cast<double>(dyi[j]) * (gamma ? gamma[j] : T(1));
      g_mean += g[j];
      gx_mean += g[j] * xhat[j];
      if (dgamma) dgamma[j] += static_cast<T>(dyi[j] * xhat[j]);
      if (dbeta) dbeta[j] += dyi[j];
    }
    g_mean /= static_cast<double>(E);
    gx_mean /= static_cast<double>(E);
    T* dxi = dx + i * E;
    for (int64_t j = 0; j < E; ++j) dxi[j] += static_cast<T>(rstd[i] * (g[j] - g_mean - xhat[j] * gx_mean));
  }
}

template void layernorm_forward(float*, float*, float*, const float*, const float*, const float*, int64_t, int64_t,
                                double);
template void layernorm_forward(double*, double*, double*, const double*, const double*, const double*, int64_t,
                                int64_t, double);
template void layernorm_backward(float*, float*, float*, const float*, const float*, const float*, const float*,
                                 const float*, int64_t, int64_t);
template void layernorm_backward(double*, double*, double*, const double*, const double*, const double*, const double*,
                                 const double*, int64_t, int64_t);

}  // namespace attn
