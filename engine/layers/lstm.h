// nn.LSTM(input_size, hidden_size, num_layers, batch_first=True): a stack of recurrent layers, forward and
// backward (backpropagation through time), with PyTorch's parameter names and layout.
//
// Notation: B = batch, T = time steps, I = input size (of layer 0; H for the layers above), H = hidden size,
// L = layers. The gates of one step are 4H numbers in PyTorch's order i, f, g, o:
//
//     [a_i, a_f, a_g, a_o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh        (each H wide)
//     i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
//     c_t = f * c_{t-1} + i * g          (the cell: the only path along time, a sum)
//     h_t = o * tanh(c_t)                (the output at step t, and the next step's input state)
//
// Every step needs the previous one: an LSTM cannot compute its steps in parallel, and everything it read
// reaches the end of the sequence only through (h_T, c_T), L x 2H numbers: the bottleneck of a sequence-to-
// sequence model without attention (models/lstm_seq2seq.h).
//
// Parameters, per layer k (state_dict names as nn.LSTM's):
//   weight_ih_l{k} [4H, I or H], weight_hh_l{k} [4H, H], bias_ih_l{k} [4H], bias_hh_l{k} [4H]
//
// Variable lengths (PyTorch's pack_padded_sequence): a row of length n < T stops at step n. Its state is carried
// unchanged through the steps after n, so (h_n, c_n) is the state after its last real input, and its output at
// those steps is 0 (pad_packed_sequence's padding).
#pragma once

#include <vector>

#include "layers/module.h"

namespace attn {

struct LstmLayerCache {
  Tensor input;  // [B, T, I] this layer's input
  Tensor gates;  // [B, T, 4H] i, f, g, o after their sigmoid / tanh (0 at steps past a row's length)
  Tensor c;      // [B, T, H] the cell after each step (carried past a row's length)
  Tensor h;      // [B, T, H] the state after each step (carried past a row's length)
  Tensor h0, c0; // [B, H] the state before step 0
};

struct LstmCache {
  int64_t B = 0, T = 0;
  std::vector<int64_t> lengths;  // [B] each row's length (T for all when none were given)
  std::vector<LstmLayerCache> layers;
  Tensor output;  // [B, T, H] the last layer's h_t (0 past a row's length)
  Tensor h_n;     // [L, B, H] each layer's state after its row's last step
  Tensor c_n;     // [L, B, H]
};

class LSTM {
 public:
  LSTM() = default;
  LSTM(int64_t input_size, int64_t hidden_size, int64_t num_layers);

  std::vector<Param> weight_ih, weight_hh, bias_ih, bias_hh;  // one of each per layer

  int64_t input_size() const { return weight_ih.empty() ? 0 : weight_ih[0].value.dim(1); }
  int64_t hidden_size() const { return weight_hh.empty() ? 0 : weight_hh[0].value.dim(1); }
  int64_t num_layers() const { return static_cast<int64_t>(weight_ih.size()); }
  // nn.LSTM's default: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)).
  void reset_parameters(Rng& rng);
  // Names prefix + "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l1", ...
  void visit(const std::string& prefix, const ParamVisitor& fn);

  // cache.output [B, T, H], cache.h_n, cache.c_n [L, B, H] = LSTM(x [B, T, I], (h0, c0) [L, B, H]).
  // h0, c0: null for zeros. lengths: [B] values in 1..T, or null for all T. Returns cache.output.
  const Tensor& forward(LstmCache& cache, const Tensor& x, const Tensor* h0, const Tensor* c0,
                        const std::vector<int64_t>* lengths) const;
  // In the forward pass this was: (output, (h_n, c_n)) = LSTM(x, (h0, c0)). Given the gradients of the outputs
  // (doutput [B, T, H], dh_n, dc_n [L, B, H]; any may be null for zeros), every parameter's grad accumulates,
  // and dx [B, T, I], dh0, dc0 [L, B, H] are written (each may be null: not needed).
  void backward(Tensor* dx, Tensor* dh0, Tensor* dc0, const Tensor* doutput, const Tensor* dh_n, const Tensor* dc_n,
                const LstmCache& cache);
};

}  // namespace attn
