// Attention rollout and attention flow (Abnar & Zuidema, 2020, "Quantifying Attention Flow in Transformers"):
// how much each input token contributes to each position after a stack of self-attention layers, read from the
// attention weights alone. See docs/rollout.md for the math, the choices made here and a worked example.
//
// Notation: L = layers, H = heads, T = tokens. The input is what a model's forward pass records, one tensor per
// layer of one self-attention stack, [H, T, T] or [1, H, T, T]: rows are queries, columns keys, each row a softmax.
//
//   1. Heads averaged (or one head chosen):        Ā_l = mean_h A_l[h]                              [T, T]
//   2. The residual connection accounted for:      A'_l = (1 - r)·Ā_l + r·I, rows renormalized      [T, T]
//      (r = residual, 0.5 in the paper; r = 0 keeps the raw attention). A row of zeros (a query whose keys were
//      all masked) becomes the identity row when r > 0 (the token keeps itself) and stays zero when r = 0.
//   3. Rollout:  R_1 = A'_1,  R_l = A'_l · R_{l-1}                                                   [L, T, T]
//      R_l[i, j]: the share of input token j in position i after layer l (rows sum to 1).
//   4. Flow: the layers as a graph, node (l, i) for layer l = 0..L and token i, an edge (l-1, j) -> (l, i) with
//      capacity A'_l[i, j]. flow_l[i, j] = the maximum flow from input node (0, j) to node (l, i), and each row
//      divided by its sum (as the paper's code does; normalize = false keeps the raw maximum flows).  [T, T]
//
// Example (a 2-layer, 2-head causal model's weights from Model::forward):
//   std::vector<Tensor> att = {trace.at("decoder.layers.0.self_attn.weights"), trace.at("decoder.layers.1.self_attn.weights")};
//   Tensor rollout, flow;
//   Status st = attention_rollout(att, RolloutOptions{}, &rollout);  // [2, T, T]
//   st = attention_flow(att, FlowOptions{}, &flow);                  // [T, T], after the last layer
#pragma once

#include <vector>

#include "core/tensor.h"

namespace attn {

struct RolloutOptions {
  double residual = 0.5;  // r in A'_l = (1 - r)·Ā_l + r·I, in [0, 1]
  int64_t head = -1;      // -1: the mean of the heads; otherwise that head (0-based) of every layer
};

struct FlowOptions : RolloutOptions {
  int64_t layer = -1;      // the flow into the positions after this layer (0-based); -1 = the last layer
  bool normalize = true;   // divide each row by its sum (the paper's code); false = the raw maximum flows
};

// Attention flow solves T × T maximum-flow problems, each on a graph of m = layer + 1 edge layers of T × T edges:
// its work grows as m · T^4. It is refused beyond the tokens that keep it near a second in WebAssembly:
// 48 tokens through 12 layers, 57 through 6, 75 through 2 (the message says so). Rollout has no such limit.
int64_t max_flow_tokens(int64_t layers);

// attentions: L tensors [H, T, T] or [1, H, T, T], the same shape for every layer, weights finite and >= 0.
// out: [L, T, T], out[l] = R_{l+1} (after layer l, 0-based).
Status attention_rollout(const std::vector<Tensor>& attentions, const RolloutOptions& options, Tensor* out);

// attentions as above, T <= max_flow_tokens(layer + 1). out: [T, T], row i = position i after layer options.layer.
Status attention_flow(const std::vector<Tensor>& attentions, const FlowOptions& options, Tensor* out);

}  // namespace attn
