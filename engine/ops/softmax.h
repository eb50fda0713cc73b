// Softmax over each row, safe for masked rows.
//
// The rule for masked keys: logits may hold -inf (a masked key). Each row subtracts its maximum before exp.
// A row whose logits are ALL -inf (every key masked) gets all-zero weights, never NaN. This is the rule of
// PyTorch's `_safe_softmax` (used by F.scaled_dot_product_attention since 2.5): such a query attends to
// nothing, so its attention output is the zero vector.
#pragma once

#include "core/tensor.h"

namespace attn {

// w[N, C] = softmax(logits[N, C]) row by row. w may alias logits (in-place).
void softmax_rows_forward(MatRef w, ConstMatRef logits);

}  // namespace attn
