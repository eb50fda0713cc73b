// Cross-entropy over logits, identical to nn.CrossEntropyLoss(ignore_index, label_smoothing, reduction='mean'):
//   for each row n whose target t != ignore_index, with p = softmax(logits[n]):
//     loss_n = (1 - eps) * (-log p_t) + eps * mean_c(-log p_c)
//   loss = sum of loss_n / (number of rows not ignored)      (0 when every row is ignored)
#pragma once

#include <cstdint>

namespace attn {

// logits [N, C], targets [N]. Writes probs [N, C] (softmax, for backward; may be null) and row_losses [N]
// (loss_n, NaN for an ignored row; may be null: reduction='none' of the same loss). Returns the mean loss and the
// count of rows that were not ignored. Targets must be in [0, C) or equal ignore_index.
template <class T>
double cross_entropy_forward(T* probs, int64_t* count, const T* logits, const int32_t* targets, int64_t N, int64_t C,
                             int32_t ignore_index, double label_smoothing, double* row_losses = nullptr);

// In the forward pass this was: loss = mean_n CE(softmax(logits[n]), target[n]).
// dlogits [N, C] += dloss * (p - q) / count, q = (1 - eps) onehot(t) + eps / C; ignored rows get nothing.
template <class T>
void cross_entropy_backward(T* dlogits, const T* probs, const int32_t* targets, int64_t N, int64_t C,
                            int32_t ignore_index, double label_smoothing, int64_t count, double dloss);

}  // namespace attn
