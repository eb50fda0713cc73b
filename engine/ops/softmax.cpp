#include "ops/softmax.h"

#include <cmath>
#include <limits>

namespace attn {

void softmax_rows_forward(MatRef w, ConstMatRef logits) {
  const float neg_inf = -std::numeric_limits<float>::infinity();
  for (Eigen::Index i = 0; i < logits.rows(); ++i) {
    auto row = logits.row(i).array();
    if ((row == neg_inf).all()) {  // every key masked: the query attends to nothing
      w.row(i).setZero();
      continue;
    }
    // maxCoeff ignores nothing: a NaN logit makes the row NaN, as in PyTorch.
    const float m = row.maxCoeff();
    w.row(i) = (row - m).exp().matrix();
    w.row(i) /= w.row(i).sum();
  }
}

}  // namespace attn
