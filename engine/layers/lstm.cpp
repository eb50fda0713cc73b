#include "layers/lstm.h"

#include <algorithm>
#include <cmath>

#include "ops/gemm.h"
#include "ops/linear.h"

namespace attn {

namespace {

float sigmoid(float a) { return 1.0f / (1.0f + std::exp(-a)); }

// The parameters of one layer, by reference (P: const Param for the forward pass, Param for the backward).
template <class P>
struct LayerParams {
  P& w_ih;  // [4H, I]
  P& w_hh;  // [4H, H]
  P& b_ih;  // [4H]
  P& b_hh;  // [4H]
};

// The state before step t, as rows of B: h_{t-1} and c_{t-1} (h0, c0 at t = 0), ld floats apart.
struct Previous {
  const float* h;
  const float* c;
  int64_t ld;
};
Previous previous(const LstmLayerCache& c, int64_t t) {
  const int64_t T = c.h.dim(1), H = c.h.dim(2);
  if (t == 0) return {c.h0.ptr(), c.c0.ptr(), H};
  return {c.h.ptr() + (t - 1) * H, c.c.ptr() + (t - 1) * H, T * H};
}

// One layer over the whole sequence. c.input [B, T, I] must be set; h0, c0 [B, H] (c.h0, c.c0) too.
// Fills c.gates, c.c, c.h; out [B, T, H] gets h_t (0 past a row's length).
void layer_forward(LstmLayerCache& c, Tensor& out, const LayerParams<const Param>& p, const std::vector<int64_t>& lengths) {
  const int64_t B = c.input.dim(0), T = c.input.dim(1), I = c.input.dim(2), H = p.w_hh.value.dim(1), G = 4 * H;
  c.gates.resize({B, T, G});
  c.c.resize({B, T, H});
  c.h.resize({B, T, H});
  out.resize({B, T, H});
  // The input's part of every step at once: a [B, T, 4H] = x W_ih^T + b_ih.
  linear_forward(c.gates.ptr(), c.input.ptr(), p.w_ih.value.ptr(), p.b_ih.value.ptr(), B * T, I, G);
  for (int64_t t = 0; t < T; ++t) {
    // a_t [B, 4H] += h_{t-1} W_hh^T (rows of h are T * H apart in [B, T, H]).
    const Previous prev = previous(c, t);
    gemm(c.gates.ptr() + t * G, T * G, prev.h, prev.ld, false, p.w_hh.value.ptr(), H, true, B, G, H, true);
    for (int64_t b = 0; b < B; ++b) {
      float* a = c.gates.ptr() + (b * T + t) * G;
      const float* hp = prev.h + b * prev.ld;
      const float* cp = prev.c + b * prev.ld;
      float* ct = c.c.ptr() + (b * T + t) * H;
      float* ht = c.h.ptr() + (b * T + t) * H;
      float* yt = out.ptr() + (b * T + t) * H;
      if (t >= lengths[static_cast<size_t>(b)]) {  // past this row's end: carry the state, output 0
        std::fill(a, a + G, 0.0f);
        std::copy(cp, cp + H, ct);
        std::copy(hp, hp + H, ht);
        std::fill(yt, yt + H, 0.0f);
        continue;
      }
      for (int64_t j = 0; j < H; ++j) {
        const float i = sigmoid(a[j] + p.b_hh.value.data[j]);
        const float f = sigmoid(a[H + j] + p.b_hh.value.data[H + j]);
        const float g = std::tanh(a[2 * H + j] + p.b_hh.value.data[2 * H + j]);
        const float o = sigmoid(a[3 * H + j] + p.b_hh.value.data[3 * H + j]);
        a[j] = i, a[H + j] = f, a[2 * H + j] = g, a[3 * H + j] = o;
        ct[j] = f * cp[j] + i * g;
        ht[j] = yt[j] = o * std::tanh(ct[j]);
      }
    }
  }
}

// In the forward pass this was: layer_forward(c, out, p, lengths). dout [B, T, H] (null: 0), dh, dc [B, H] hold
// dh_n, dc_n on entry and dh0, dc0 on return. dx [B, T, I] += (null: not needed); the parameters' grads accumulate.
void layer_backward(Tensor* dx, Tensor& dh, Tensor& dc, const Tensor* dout, const LayerParams<Param>& p, const LstmLayerCache& c,
                    const std::vector<int64_t>& lengths) {
  const int64_t B = c.input.dim(0), T = c.input.dim(1), I = c.input.dim(2), H = p.w_hh.value.dim(1), G = 4 * H;
  Tensor da({B, T, G}, 0.0f);  // d loss / d pre-activation gates (0 past a row's length)
  Tensor dh_prev({B, H});
  for (int64_t t = T - 1; t >= 0; --t) {
    const Previous prev = previous(c, t);
    for (int64_t b = 0; b < B; ++b) {
      if (t >= lengths[static_cast<size_t>(b)]) continue;  // the state was carried: dh, dc pass through
      const float* a = c.gates.ptr() + (b * T + t) * G;
      const float* cp = prev.c + b * prev.ld;
      const float* ct = c.c.ptr() + (b * T + t) * H;
      float* d = da.ptr() + (b * T + t) * G;
      float* dhb = dh.ptr() + b * H;
      float* dcb = dc.ptr() + b * H;
      for (int64_t j = 0; j < H; ++j) {
        const float i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
        // h_t = o * tanh(c_t), and h_t is both this step's output and the next step's state
        const float dht = dhb[j] + (dout ? dout->data[static_cast<size_t>((b * T + t) * H + j)] : 0.0f);
        const float tc = std::tanh(ct[j]);
        // c_t = f * c_{t-1} + i * g, and c_t also feeds the next step's cell
        const float dct = dcb[j] + dht * o * (1.0f - tc * tc);
        d[j] = dct * g * i * (1.0f - i);
        d[H + j] = dct * cp[j] * f * (1.0f - f);
        d[2 * H + j] = dct * i * (1.0f - g * g);
        d[3 * H + j] = dht * tc * o * (1.0f - o);
        dcb[j] = dct * f;  // d c_{t-1}
      }
    }
    // a_t = ... + h_{t-1} W_hh^T:   d h_{t-1} = da_t W_hh;   dW_hh += da_t^T h_{t-1}
    const float* da_t = da.ptr() + t * G;
    gemm(dh_prev.ptr(), H, da_t, T * G, false, p.w_hh.value.ptr(), H, false, B, H, G, false);
    gemm(p.w_hh.grad_ptr(), H, da_t, T * G, true, prev.h, prev.ld, false, G, H, B, true);
    for (int64_t b = 0; b < B; ++b)
      if (t < lengths[static_cast<size_t>(b)]) std::copy(dh_prev.ptr() + b * H, dh_prev.ptr() + (b + 1) * H, dh.ptr() + b * H);
  }
  // a = x W_ih^T + b_ih (+ b_hh): the input's part, for every step at once.
  linear_backward(dx ? dx->ptr() : nullptr, p.w_ih.grad_ptr(), p.b_ih.grad_ptr(), da.ptr(), c.input.ptr(),
                  p.w_ih.value.ptr(), B * T, I, G);
  float* db_hh = p.b_hh.grad_ptr();
  for (int64_t n = 0; n < B * T; ++n)
    for (int64_t k = 0; k < G; ++k) db_hh[k] += da.data[static_cast<size_t>(n * G + k)];
}

}  // namespace

LSTM::LSTM(int64_t input_size, int64_t hidden_size, int64_t num_layers) {
  for (int64_t k = 0; k < num_layers; ++k) {
    const int64_t in = k ? hidden_size : input_size;
    weight_ih.push_back(Param{Tensor({4 * hidden_size, in}), Tensor()});
    weight_hh.push_back(Param{Tensor({4 * hidden_size, hidden_size}), Tensor()});
    bias_ih.push_back(Param{Tensor({4 * hidden_size}), Tensor()});
    bias_hh.push_back(Param{Tensor({4 * hidden_size}), Tensor()});
  }
}

void LSTM::reset_parameters(Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size()));
  visit("", [&](const std::string&, Param& p) { init_uniform(p.value, bound, rng); });
}

void LSTM::visit(const std::string& prefix, const ParamVisitor& fn) {
  for (size_t k = 0; k < weight_ih.size(); ++k) {
    const std::string l = "_l" + std::to_string(k);
    fn(prefix + "weight_ih" + l, weight_ih[k]);
    fn(prefix + "weight_hh" + l, weight_hh[k]);
    fn(prefix + "bias_ih" + l, bias_ih[k]);
    fn(prefix + "bias_hh" + l, bias_hh[k]);
  }
}

const Tensor& LSTM::forward(LstmCache& cache, const Tensor& x, const Tensor* h0, const Tensor* c0,
                            const std::vector<int64_t>* lengths) const {
  const int64_t B = x.dim(0), T = x.dim(1), H = hidden_size(), L = num_layers();
  cache.B = B, cache.T = T;
  cache.lengths = lengths ? *lengths : std::vector<int64_t>(static_cast<size_t>(B), T);
  cache.layers.resize(static_cast<size_t>(L));
  cache.h_n.resize({L, B, H});
  cache.c_n.resize({L, B, H});
  for (int64_t k = 0; k < L; ++k) {
    LstmLayerCache& c = cache.layers[static_cast<size_t>(k)];
    c.input = k ? cache.output : x;
    c.h0 = Tensor({B, H}, 0.0f);
    c.c0 = Tensor({B, H}, 0.0f);
    if (h0) std::copy(h0->ptr() + k * B * H, h0->ptr() + (k + 1) * B * H, c.h0.ptr());
    if (c0) std::copy(c0->ptr() + k * B * H, c0->ptr() + (k + 1) * B * H, c.c0.ptr());
    const size_t i = static_cast<size_t>(k);
    layer_forward(c, cache.output, LayerParams<const Param>{weight_ih[i], weight_hh[i], bias_ih[i], bias_hh[i]},
                  cache.lengths);
    for (int64_t b = 0; b < B; ++b) {  // the state after the row's last step
      const int64_t last = (b * T + cache.lengths[static_cast<size_t>(b)] - 1) * H;
      std::copy(c.h.ptr() + last, c.h.ptr() + last + H, cache.h_n.ptr() + (k * B + b) * H);
      std::copy(c.c.ptr() + last, c.c.ptr() + last + H, cache.c_n.ptr() + (k * B + b) * H);
    }
  }
  return cache.output;
}

void LSTM::backward(Tensor* dx, Tensor* dh0, Tensor* dc0, const Tensor* doutput, const Tensor* dh_n,
                    const Tensor* dc_n, const LstmCache& cache) {
  const int64_t B = cache.B, H = hidden_size(), L = num_layers();
  if (dh0) dh0->resize({L, B, H});
  if (dc0) dc0->resize({L, B, H});
  Tensor dout_below;  // d loss / d (the input of the layer above) = d (this layer's output)
  const Tensor* dout = doutput;
  for (int64_t k = L - 1; k >= 0; --k) {
    const LstmLayerCache& c = cache.layers[static_cast<size_t>(k)];
    Tensor dh({B, H}, 0.0f), dc({B, H}, 0.0f);
    if (dh_n) std::copy(dh_n->ptr() + k * B * H, dh_n->ptr() + (k + 1) * B * H, dh.ptr());
    if (dc_n) std::copy(dc_n->ptr() + k * B * H, dc_n->ptr() + (k + 1) * B * H, dc.ptr());
    Tensor dinput;
    Tensor* din = k ? &dinput : dx;
    if (din) *din = Tensor(c.input.shape, 0.0f);
    const size_t i = static_cast<size_t>(k);
    layer_backward(din, dh, dc, dout, LayerParams<Param>{weight_ih[i], weight_hh[i], bias_ih[i], bias_hh[i]}, c,
                   cache.lengths);
    if (dh0) std::copy(dh.ptr(), dh.ptr() + B * H, dh0->ptr() + k * B * H);
    if (dc0) std::copy(dc.ptr(), dc.ptr() + B * H, dc0->ptr() + k * B * H);
    dout_below = std::move(dinput);
    dout = &dout_below;
  }
}

}  // namespace attn
