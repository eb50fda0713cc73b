// Softmax over each row, safe for masked rows.
//
// The rule for masked keys: logits may hold -inf (a masked key). Each row subtracts its maximum before exp.
// A row whose logits are ALL -inf (every key masked) gets all-zero weights, never NaN. This is the rule of
// PyTorch's `_safe_softmax` (used by F.scaled_dot_product_attention since 2.5): such a query attends to
// nothing, so its attention output is the zero vector, and no gradient flows through it.
#pragma once

#include <cstdint>

namespace attn {

// w[N, C] = softmax(logits[N, C]) row by row. w may alias logits.
template <class T>
void softmax_forward(T* w, const T* logits, int64_t N, int64_t C);

// In the forward pass this was: w = softmax(logits).
// dlogits[N, C] = w * (dw - sum_j dw_j w_j)   (written, not accumulated; may alias dw)
template <class T>
void softmax_backward(T* dlogits, const T* dw, const T* w, int64_t N, int64_t C);

}  // namespace attn
