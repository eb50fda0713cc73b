#include "ops/linear.h"

namespace attn {

void linear_forward(MatRef y, ConstMatRef x, ConstMatRef w, const float* b) {
  ATTN_ASSERT(x.cols() == w.cols() && y.rows() == x.rows() && y.cols() == w.rows(), "linear_forward: shapes");
  y.noalias() = x * w.transpose();
  if (b) y.rowwise() += ConstRowVecMap(b, w.rows());
}

}  // namespace attn
